//! [`Encoding`]: where service bits live in the IPv4 ToS / IPv6 Traffic Class byte, and the
//! OpenFlow 1.3 match fields ([`TosMatch`]) that select a byte value.
//!
//! Bit numbering throughout: bit `n` of a byte has value `1 << n` (bit 0 = least significant).
//! The ToS byte (RFC 2474, RFC 3168) is `DSCP (bits 7..2) | ECN (bits 1..0)`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::TosError;

/// How service bits are written into the ToS / Traffic Class byte.
///
/// | encoding | service bit `p` is | ToS value of bit `p` | bits | ECN |
/// |---|---|---|---|---|
/// | [`Dscp`](Encoding::Dscp) (default) | DSCP bit `p` = ToS bit `p + 2` | `1 << (p + 2)` | 0..=5 | untouched |
/// | [`Tos8`](Encoding::Tos8) (opt-in) | ToS bit `p` | `1 << p` | 0..=7 | **carries services** |
///
/// The paper (section 4.2) uses the whole 8-bit ToS byte as the bitmap, so at most 8 layers.
/// Its bits 0 and 1 are the ECN field (RFC 3168): ECN-capable routers rewrite them (set CE on
/// congestion), which would silently change a customer's services, and OpenFlow 1.3 matches them
/// through a separate field (`ip_ecn`). [`Tos8`](Encoding::Tos8) reproduces the paper and is
/// unsafe wherever ECN is in use; [`Dscp`](Encoding::Dscp) carries at most 6 layers in the DSCP
/// field only and never reads or writes ECN.
///
/// The ShowNet 2015 deployment put its three layers on ToS bits 3, 4 and 5 (values `0x08`,
/// `0x10`, `0x20`). Those are DSCP bits 1, 2 and 3, so under [`Dscp`](Encoding::Dscp) the same
/// markings are service bits `1..=3`, byte for byte, and ECN stays free.
///
/// Serialized (serde) as `"dscp"` / `"tos8"`.
///
/// ```
/// use flowfall_tos::Encoding;
///
/// // ShowNet 2015: the firewall layer on ToS bit 4 is DSCP bit 2.
/// assert_eq!(Encoding::Dscp.encode_bits(1 << 2)?, 0x10);
/// assert_eq!(Encoding::Tos8.encode_bits(1 << 4)?, 0x10);
/// // DSCP decoding ignores ECN: CE (0b11) set by a router changes nothing.
/// assert_eq!(Encoding::Dscp.decode_bits(0x10 | 0b11), 1 << 2);
/// assert!(Encoding::Dscp.encode_bits(1 << 6).is_err(), "only 6 bits");
/// # Ok::<(), flowfall_tos::TosError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Service bits in the 6 DSCP bits (ToS bits 2..=7); ECN (ToS bits 0..=1) untouched.
    #[default]
    Dscp,
    /// Service bits in all 8 ToS bits, as the paper did; unsafe with ECN.
    Tos8,
}

impl Encoding {
    /// Both encodings, default first.
    pub const ALL: [Encoding; 2] = [Encoding::Dscp, Encoding::Tos8];

    /// The configuration name: `"dscp"` or `"tos8"`.
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Dscp => "dscp",
            Encoding::Tos8 => "tos8",
        }
    }

    /// How many service bits (hence layers) the encoding carries: 6 or 8.
    pub const fn capacity(self) -> usize {
        match self {
            Encoding::Dscp => 6,
            Encoding::Tos8 => 8,
        }
    }

    /// The ToS bits the encoding owns: `0xfc` (DSCP) or `0xff`.
    pub const fn tos_mask(self) -> u8 {
        match self {
            Encoding::Dscp => 0xfc,
            Encoding::Tos8 => 0xff,
        }
    }

    /// The service-bit masks that fit: `0x3f` (6 bits) or `0xff`.
    pub const fn service_mask(self) -> u8 {
        match self {
            Encoding::Dscp => 0x3f,
            Encoding::Tos8 => 0xff,
        }
    }

    /// Whether the encoding leaves the ECN bits alone (only [`Encoding::Dscp`]).
    pub const fn is_ecn_safe(self) -> bool {
        matches!(self, Encoding::Dscp)
    }

    /// How far service bits are shifted into the ToS byte: 2 (DSCP) or 0.
    const fn shift(self) -> u32 {
        match self {
            Encoding::Dscp => 2,
            Encoding::Tos8 => 0,
        }
    }

    /// Whether service bit position `bit` fits the encoding.
    pub const fn fits(self, bit: u32) -> bool {
        (bit as usize) < self.capacity()
    }

    /// The ToS-byte bit position of service bit `bit` (`bit + 2` for DSCP), if it fits.
    pub const fn tos_bit(self, bit: u32) -> Option<u32> {
        if self.fits(bit) {
            Some(bit + self.shift())
        } else {
            None
        }
    }

    /// Checks that service bit `bit` fits, naming `service` in the error.
    ///
    /// # Errors
    /// [`TosError::BitOutOfRange`].
    pub fn check_bit(self, service: &str, bit: u32) -> Result<(), TosError> {
        if self.fits(bit) {
            Ok(())
        } else {
            Err(TosError::BitOutOfRange {
                service: service.to_owned(),
                bit,
                encoding: self,
            })
        }
    }

    /// The ToS byte carrying the service-bit mask `service_bits` (bit `p` = service bit `p`).
    /// Under DSCP the ECN bits of the result are zero; see [`Encoding::apply`] to keep a
    /// packet's ECN.
    ///
    /// # Errors
    /// [`TosError::ServiceBitsOutOfRange`] when a bit does not fit (DSCP: above `0x3f`).
    pub fn encode_bits(self, service_bits: u8) -> Result<u8, TosError> {
        if service_bits & !self.service_mask() != 0 {
            return Err(TosError::ServiceBitsOutOfRange {
                bits: service_bits,
                encoding: self,
            });
        }
        Ok(service_bits << self.shift())
    }

    /// The service-bit mask carried by ToS byte `tos` (DSCP: `tos >> 2`, ECN ignored).
    pub const fn decode_bits(self, tos: u8) -> u8 {
        tos >> self.shift()
    }

    /// Rewrites the encoding's bits of a packet's ToS byte `packet_tos` to those of `value`,
    /// keeping the rest (DSCP keeps the packet's ECN bits; Tos8 replaces the whole byte).
    pub const fn apply(self, packet_tos: u8, value: u8) -> u8 {
        (packet_tos & !self.tos_mask()) | (value & self.tos_mask())
    }

    /// The OpenFlow 1.3 match that selects packets whose service bits equal those of ToS byte
    /// `tos` (OF 1.3.5 section 7.2.3.7: `OXM_OF_IP_DSCP` is the upper 6 bits, `OXM_OF_IP_ECN`
    /// the lower 2; neither is maskable).
    ///
    /// DSCP: `ip_dscp = tos >> 2` only, any ECN. Tos8: `ip_dscp = tos >> 2` and
    /// `ip_ecn = tos & 3`.
    ///
    /// ```
    /// use flowfall_tos::{Encoding, TosMatch};
    ///
    /// assert_eq!(Encoding::Dscp.match_fields(0x19), TosMatch { ip_dscp: 6, ip_ecn: None });
    /// assert_eq!(Encoding::Tos8.match_fields(0x19), TosMatch { ip_dscp: 6, ip_ecn: Some(1) });
    /// assert_eq!(Encoding::Tos8.match_fields(0x19).to_string(), "ip_dscp=6,ip_ecn=1");
    /// ```
    pub const fn match_fields(self, tos: u8) -> TosMatch {
        TosMatch {
            ip_dscp: tos >> 2,
            ip_ecn: match self {
                Encoding::Dscp => None,
                Encoding::Tos8 => Some(tos & 0b11),
            },
        }
    }

    /// Every ToS byte value whose service bit `bit` is set, ascending, one per distinct match:
    /// DSCP gives the 32 values with ECN zero (each stands for the 4 wire values that differ
    /// only in ECN, which [`Encoding::match_fields`] does not look at); Tos8 gives 128 values.
    ///
    /// OpenFlow 1.3 cannot match "bit `p` set" with one mask on `ip_dscp`, so a table that
    /// tests one bit needs one entry per value (architecture.md section 5).
    /// [`Catalogue::values_with_layer`](crate::Catalogue::values_with_layer) narrows this to
    /// values made of assigned service bits only.
    ///
    /// ```
    /// use flowfall_tos::Encoding;
    ///
    /// let v = Encoding::Dscp.values_with_bit(5)?;
    /// assert_eq!(v.len(), 32);
    /// assert!(v.iter().all(|t| t & 0x80 != 0 && t & 0b11 == 0));
    /// assert_eq!(Encoding::Tos8.values_with_bit(0)?.len(), 128);
    /// # Ok::<(), flowfall_tos::TosError>(())
    /// ```
    ///
    /// # Errors
    /// [`TosError::BitOutOfRange`] when `bit` does not fit.
    pub fn values_with_bit(self, bit: u32) -> Result<Vec<u8>, TosError> {
        self.check_bit("", bit)?;
        let want = 1u8 << (bit + self.shift());
        Ok((0..=u8::MAX)
            .filter(|v| v & !self.tos_mask() == 0 && v & want != 0)
            .collect())
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Encoding {
    type Err = TosError;

    fn from_str(s: &str) -> Result<Self, TosError> {
        Encoding::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| TosError::UnknownEncoding(s.to_owned()))
    }
}

/// The OpenFlow 1.3 match fields selecting one ToS value: `OXM_OF_IP_DSCP` and, for
/// [`Encoding::Tos8`], `OXM_OF_IP_ECN`. Both require `eth_type` IPv4 (0x0800) or IPv6 (0x86dd).
///
/// Display uses `ovs-ofctl` syntax: `ip_dscp=2` or `ip_dscp=2,ip_ecn=0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TosMatch {
    /// `ip_dscp`: the upper 6 bits of the ToS byte (0..=63).
    pub ip_dscp: u8,
    /// `ip_ecn`: the lower 2 bits (0..=3), or `None` to leave ECN unmatched.
    pub ip_ecn: Option<u8>,
}

impl TosMatch {
    /// Whether a packet with ToS byte `tos` matches.
    pub const fn matches(self, tos: u8) -> bool {
        tos >> 2 == self.ip_dscp
            && match self.ip_ecn {
                Some(ecn) => tos & 0b11 == ecn,
                None => true,
            }
    }
}

impl fmt::Display for TosMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ip_dscp={}", self.ip_dscp)?;
        if let Some(ecn) = self.ip_ecn {
            write!(f, ",ip_ecn={ecn}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_and_defaults() {
        assert_eq!(Encoding::default(), Encoding::Dscp);
        for e in Encoding::ALL {
            assert_eq!(e.name().parse::<Encoding>(), Ok(e));
            assert_eq!(e.to_string(), e.name());
        }
        assert_eq!(
            "ecn".parse::<Encoding>(),
            Err(TosError::UnknownEncoding("ecn".into()))
        );
    }

    #[test]
    fn shownet_bits_map_to_tos_3_to_5() {
        for (service_bit, tos_bit) in [(1, 3), (2, 4), (3, 5)] {
            assert_eq!(Encoding::Dscp.tos_bit(service_bit), Some(tos_bit));
            assert_eq!(
                Encoding::Dscp.encode_bits(1 << service_bit),
                Encoding::Tos8.encode_bits(1 << tos_bit)
            );
        }
        assert_eq!(Encoding::Dscp.tos_bit(6), None);
        assert_eq!(Encoding::Tos8.tos_bit(7), Some(7));
    }

    #[test]
    fn check_bit_names_service() {
        let err = Encoding::Dscp.check_bit("ddos", 6).unwrap_err();
        assert_eq!(
            err.to_string(),
            "service `ddos`: bit 6 does not fit the dscp encoding (bits 0..=5)"
        );
        assert!(Encoding::Tos8.check_bit("ddos", 7).is_ok());
    }

    #[test]
    fn encode_out_of_range() {
        assert_eq!(
            Encoding::Dscp.encode_bits(0x40).unwrap_err().to_string(),
            "service bits 0x40 do not fit the dscp encoding (mask 0x3f)"
        );
    }

    #[test]
    fn values_with_bit_counts() {
        for e in Encoding::ALL {
            for bit in 0..e.capacity() as u32 {
                let v = e.values_with_bit(bit).unwrap_or_default();
                assert_eq!(v.len(), 1 << (e.capacity() - 1));
                assert!(v.windows(2).all(|w| w[0] < w[1]));
                assert!(v.iter().all(|&t| e.decode_bits(t) & (1 << bit) != 0));
            }
            assert!(e.values_with_bit(e.capacity() as u32).is_err());
        }
    }

    proptest! {
        #[test]
        fn bits_round_trip(bits in any::<u8>(), ecn in 0u8..4) {
            for e in Encoding::ALL {
                match e.encode_bits(bits) {
                    Ok(tos) => {
                        prop_assert_eq!(tos & !e.tos_mask(), 0);
                        prop_assert_eq!(e.decode_bits(tos), bits);
                        // ECN noise on the wire never changes a DSCP-encoded service set.
                        if e.is_ecn_safe() {
                            prop_assert_eq!(e.decode_bits(tos | ecn), bits);
                        }
                    }
                    Err(_) => prop_assert!(bits & !e.service_mask() != 0),
                }
            }
        }

        #[test]
        fn match_selects_exactly_equal_services(a in any::<u8>(), b in any::<u8>()) {
            for e in Encoding::ALL {
                let m = e.match_fields(a);
                prop_assert!(m.matches(a));
                prop_assert_eq!(m.matches(b), e.decode_bits(a) == e.decode_bits(b)
                    && (e.is_ecn_safe() || a == b));
            }
        }

        #[test]
        fn apply_keeps_foreign_bits(packet in any::<u8>(), value in any::<u8>()) {
            for e in Encoding::ALL {
                let out = e.apply(packet, value);
                prop_assert_eq!(out & !e.tos_mask(), packet & !e.tos_mask());
                prop_assert_eq!(out & e.tos_mask(), value & e.tos_mask());
            }
        }
    }
}
