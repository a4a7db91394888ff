//! [`Mac`]: an Ethernet address, as written in the configuration (`"02:00:00:01:01:01"`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 48-bit Ethernet (MAC) address.
///
/// Parsed from six two-digit hex groups separated by `:` or `-`; displayed lowercase with
/// colons, the form `ovs-ofctl` prints. Serialized (serde) as that string.
///
/// ```
/// use flowfall_topology::Mac;
///
/// let mac: Mac = "02:00:00:AA:00:01".parse()?;
/// assert_eq!(mac.to_string(), "02:00:00:aa:00:01");
/// assert!(mac.is_locally_administered() && !mac.is_multicast());
/// assert!("02:00:00:aa:00".parse::<Mac>().is_err());
/// # Ok::<(), flowfall_topology::MacParseError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The address as a 48-bit integer (first octet most significant).
    pub fn to_u64(self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    }

    /// The address whose 48-bit value is the low 48 bits of `value`.
    pub fn from_u64(value: u64) -> Self {
        let b = value.to_be_bytes();
        Mac([b[2], b[3], b[4], b[5], b[6], b[7]])
    }

    /// The six octets.
    pub fn octets(self) -> [u8; 6] {
        self.0
    }

    /// Whether the group bit is set (multicast or broadcast): never a host's address.
    pub fn is_multicast(self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether the locally-administered bit is set.
    pub fn is_locally_administered(self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// Whether this is `00:00:00:00:00:00`.
    pub fn is_zero(self) -> bool {
        self.0 == [0; 6]
    }
}

/// Why a string is not a MAC address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a MAC address (expected six hex pairs like 02:00:00:00:00:01)")]
pub struct MacParseError(pub String);

impl FromStr for Mac {
    type Err = MacParseError;

    fn from_str(s: &str) -> Result<Self, MacParseError> {
        let err = || MacParseError(s.to_owned());
        let mut out = [0u8; 6];
        let mut groups = s.split([':', '-']);
        for byte in &mut out {
            let group = groups.next().ok_or_else(err)?;
            if group.len() != 2 || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err());
            }
            *byte = u8::from_str_radix(group, 16).map_err(|_| err())?;
        }
        if groups.next().is_some() {
            return Err(err());
        }
        Ok(Mac(out))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [b':'; 17];
        for (chunk, byte) in text.chunks_mut(3).zip(self.0) {
            if let [hi, lo, ..] = chunk {
                *hi = HEX[usize::from(byte >> 4)];
                *lo = HEX[usize::from(byte & 0xf)];
            }
        }
        // Only ASCII hex digits and colons were written.
        f.pad(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mac({self})")
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:00:00",
            "2:00:00:00:00:00",
            "02:00:00:00:00:0g",
            "020000000000",
            "02:00:00:00:00:+1",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad}");
        }
    }

    #[test]
    fn dash_separated_and_flags() {
        let mac: Result<Mac, _> = "01-80-C2-00-00-0E".parse();
        assert_eq!(mac, Ok(Mac([0x01, 0x80, 0xc2, 0, 0, 0x0e])));
        assert!(mac.is_ok_and(|m| m.is_multicast()));
        assert!(Mac::default().is_zero());
        assert_eq!(format!("[{:>19}]", Mac([0xab; 6])), "[  ab:ab:ab:ab:ab:ab]");
    }

    proptest! {
        #[test]
        fn round_trips(octets in any::<[u8; 6]>()) {
            let mac = Mac(octets);
            prop_assert_eq!(mac.to_string().parse::<Mac>(), Ok(mac));
            prop_assert_eq!(Mac::from_u64(mac.to_u64()), mac);
        }
    }
}
