//! The selection key: a customer's IPv4/IPv6 address or prefix, as the exact bytes that are
//! hashed.
//!
//! FlowFall (paper §4.2) picks a layer's VM by hashing the customer's *source IP address*. A
//! [`Key`] holds that address in canonical byte form:
//!
//! | key                    | hashed bytes ([`Key::as_bytes`])                      | length |
//! |------------------------|-------------------------------------------------------|--------|
//! | IPv4 address           | the 4 address bytes, network order                    | 4      |
//! | IPv6 address           | the 16 address bytes, network order                   | 16     |
//! | IPv4 prefix `a/len`    | the 4 bytes of `a` with host bits cleared, then `len` | 5      |
//! | IPv6 prefix `a/len`    | the 16 bytes of `a` with host bits cleared, then `len`| 17     |
//!
//! A full-length prefix (`/32`, `/128`) *is* the address: it becomes the plain address key, so
//! `10.0.0.1/32` and `10.0.0.1` pick the same VM. Host bits are cleared, so `10.0.0.1/24` and
//! `10.0.0.0/24` are one key. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) stay IPv6 keys: the
//! address family is part of the identity, as it is in the flow match.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{KeyError, excerpt};

/// A selection key: an IPv4/IPv6 address or prefix in canonical form (see the
/// [module docs](self) for the exact bytes).
///
/// ```
/// use flowfall_select::Key;
/// use std::net::Ipv4Addr;
///
/// let host = Key::from(Ipv4Addr::new(10, 0, 0, 1));
/// assert_eq!(host.as_bytes(), &[10, 0, 0, 1]);
/// let net: Key = "10.0.0.77/24".parse()?;
/// assert_eq!(net.as_bytes(), &[10, 0, 0, 0, 24]);
/// assert_eq!(net.to_string(), "10.0.0.0/24");
/// assert_eq!("10.0.0.1/32".parse::<Key>()?, host);
/// # Ok::<(), flowfall_select::KeyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(Repr);

/// Canonical storage; each variant holds exactly the bytes that are hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    V4([u8; 4]),
    V4Prefix([u8; 5]),
    V6([u8; 16]),
    V6Prefix([u8; 17]),
}

impl Key {
    /// The key of one address.
    pub const fn addr(addr: IpAddr) -> Key {
        match addr {
            IpAddr::V4(a) => Key::v4(a),
            IpAddr::V6(a) => Key::v6(a),
        }
    }

    /// The key of one IPv4 address: its 4 bytes.
    pub const fn v4(addr: Ipv4Addr) -> Key {
        Key(Repr::V4(addr.octets()))
    }

    /// The key of one IPv6 address: its 16 bytes.
    pub const fn v6(addr: Ipv6Addr) -> Key {
        Key(Repr::V6(addr.octets()))
    }

    /// The key of the prefix `addr/len`: host bits are cleared; a full-length prefix is the
    /// plain address key.
    ///
    /// # Errors
    /// [`KeyError::PrefixTooLong`] when `len` exceeds 32 (IPv4) or 128 (IPv6).
    pub fn prefix(addr: IpAddr, len: u8) -> Result<Key, KeyError> {
        match addr {
            IpAddr::V4(a) => Key::v4_prefix(a, len),
            IpAddr::V6(a) => Key::v6_prefix(a, len),
        }
    }

    /// The key of the IPv4 prefix `addr/len` (see [`Key::prefix`]).
    ///
    /// # Errors
    /// [`KeyError::PrefixTooLong`] when `len > 32`.
    pub fn v4_prefix(addr: Ipv4Addr, len: u8) -> Result<Key, KeyError> {
        match len {
            0..=31 => {
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                let [a, b, c, d] = (u32::from(addr) & mask).to_be_bytes();
                Ok(Key(Repr::V4Prefix([a, b, c, d, len])))
            }
            32 => Ok(Key::v4(addr)),
            _ => Err(KeyError::PrefixTooLong {
                family: "IPv4",
                found: len,
                max: 32,
            }),
        }
    }

    /// The key of the IPv6 prefix `addr/len` (see [`Key::prefix`]).
    ///
    /// # Errors
    /// [`KeyError::PrefixTooLong`] when `len > 128`.
    pub fn v6_prefix(addr: Ipv6Addr, len: u8) -> Result<Key, KeyError> {
        match len {
            0..=127 => {
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                let masked = (u128::from(addr) & mask).to_be_bytes();
                let mut bytes = [0u8; 17];
                for (dst, src) in bytes.iter_mut().zip(masked) {
                    *dst = src;
                }
                bytes[16] = len;
                Ok(Key(Repr::V6Prefix(bytes)))
            }
            128 => Ok(Key::v6(addr)),
            _ => Err(KeyError::PrefixTooLong {
                family: "IPv6",
                found: len,
                max: 128,
            }),
        }
    }

    /// The exact bytes every algorithm hashes (table in the [module docs](self)).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::V4(b) => b,
            Repr::V4Prefix(b) => b,
            Repr::V6(b) => b,
            Repr::V6Prefix(b) => b,
        }
    }

    /// The address (for a prefix: its network address, host bits cleared).
    pub fn address(&self) -> IpAddr {
        match self.0 {
            Repr::V4(b) => IpAddr::V4(Ipv4Addr::from(b)),
            Repr::V4Prefix([a, b, c, d, _]) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
            Repr::V6(b) => IpAddr::V6(Ipv6Addr::from(b)),
            Repr::V6Prefix(b) => {
                let mut octets = [0u8; 16];
                for (dst, src) in octets.iter_mut().zip(b) {
                    *dst = src;
                }
                IpAddr::V6(Ipv6Addr::from(octets))
            }
        }
    }

    /// The prefix length, or `None` for a single address.
    pub fn prefix_len(&self) -> Option<u8> {
        match self.0 {
            Repr::V4(_) | Repr::V6(_) => None,
            Repr::V4Prefix([.., len]) => Some(len),
            Repr::V6Prefix(b) => Some(b[16]),
        }
    }
}

impl From<Ipv4Addr> for Key {
    fn from(addr: Ipv4Addr) -> Key {
        Key::v4(addr)
    }
}

impl From<Ipv6Addr> for Key {
    fn from(addr: Ipv6Addr) -> Key {
        Key::v6(addr)
    }
}

impl From<IpAddr> for Key {
    fn from(addr: IpAddr) -> Key {
        Key::addr(addr)
    }
}

impl TryFrom<(IpAddr, u8)> for Key {
    type Error = KeyError;
    fn try_from((addr, len): (IpAddr, u8)) -> Result<Key, KeyError> {
        Key::prefix(addr, len)
    }
}

impl TryFrom<(Ipv4Addr, u8)> for Key {
    type Error = KeyError;
    fn try_from((addr, len): (Ipv4Addr, u8)) -> Result<Key, KeyError> {
        Key::v4_prefix(addr, len)
    }
}

impl TryFrom<(Ipv6Addr, u8)> for Key {
    type Error = KeyError;
    fn try_from((addr, len): (Ipv6Addr, u8)) -> Result<Key, KeyError> {
        Key::v6_prefix(addr, len)
    }
}

impl From<Ipv4Net> for Key {
    fn from(net: Ipv4Net) -> Key {
        // `Ipv4Net` guarantees prefix_len <= 32, so the error arm is unreachable; fall back to
        // the address rather than panic.
        Key::v4_prefix(net.addr(), net.prefix_len()).unwrap_or(Key::v4(net.addr()))
    }
}

impl From<Ipv6Net> for Key {
    fn from(net: Ipv6Net) -> Key {
        // `Ipv6Net` guarantees prefix_len <= 128 (see the IPv4 impl).
        Key::v6_prefix(net.addr(), net.prefix_len()).unwrap_or(Key::v6(net.addr()))
    }
}

impl From<IpNet> for Key {
    fn from(net: IpNet) -> Key {
        match net {
            IpNet::V4(n) => Key::from(n),
            IpNet::V6(n) => Key::from(n),
        }
    }
}

impl fmt::Display for Key {
    /// `10.0.0.1`, `10.0.0.0/24`, `2001:db8::1`, `2001:db8::/32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix_len() {
            None => write!(f, "{}", self.address()),
            Some(len) => write!(f, "{}/{len}", self.address()),
        }
    }
}

impl FromStr for Key {
    type Err = KeyError;

    /// Parses `ADDRESS` or `ADDRESS/LEN` (IPv4 dotted quad or IPv6 text form).
    fn from_str(s: &str) -> Result<Key, KeyError> {
        let (addr_text, len_text) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr = IpAddr::from_str(addr_text).map_err(|_| KeyError::InvalidAddress {
            found: excerpt(addr_text),
        })?;
        match len_text {
            None => Ok(Key::addr(addr)),
            Some(text) => {
                let valid = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
                let len = valid
                    .then(|| text.parse::<u8>().ok())
                    .flatten()
                    .ok_or_else(|| KeyError::InvalidPrefixLength {
                        offset: addr_text.len() + 1,
                        found: excerpt(text),
                    })?;
                Key::prefix(addr, len)
            }
        }
    }
}

impl Serialize for Key {
    /// Serialized as its [`Display`](fmt::Display) text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Key {
    /// Deserialized from the text [`FromStr`] accepts.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an IP address or prefix such as \"10.0.0.1\" or \"10.0.0.0/24\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Key::from_str(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_addresses_hash_exactly_their_bytes() {
        let k = Key::from(Ipv4Addr::new(192, 0, 2, 7));
        assert_eq!(k.as_bytes(), &[192, 0, 2, 7]);
        assert_eq!(k.prefix_len(), None);
        let a6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(Key::from(a6).as_bytes(), &a6.octets());
        assert_eq!(Key::from(IpAddr::V6(a6)), Key::v6(a6));
    }

    #[test]
    fn prefixes_clear_host_bits_and_append_length() {
        let k = Key::v4_prefix(Ipv4Addr::new(10, 1, 2, 3), 12).unwrap();
        assert_eq!(k.as_bytes(), &[10, 0, 0, 0, 12]);
        let k = Key::v4_prefix(Ipv4Addr::new(255, 255, 255, 255), 0).unwrap();
        assert_eq!(k.as_bytes(), &[0, 0, 0, 0, 0]);
        let k = Key::v6_prefix("2001:db8:ffff::1".parse().unwrap(), 36).unwrap();
        let mut want = [0u8; 17];
        want[..5].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0xf0]);
        want[16] = 36;
        assert_eq!(k.as_bytes(), &want);
        assert_eq!(k.to_string(), "2001:db8:f000::/36");
    }

    #[test]
    fn full_length_prefix_is_the_address() {
        let a = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(Key::v4_prefix(a, 32).unwrap(), Key::v4(a));
        let a6: Ipv6Addr = "2001:db8::9".parse().unwrap();
        assert_eq!(Key::v6_prefix(a6, 128).unwrap(), Key::v6(a6));
    }

    #[test]
    fn families_and_prefix_lengths_stay_distinct() {
        let v4 = Key::v4(Ipv4Addr::new(10, 0, 0, 1));
        let mapped = Key::v6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert_ne!(v4, mapped);
        let p8 = Key::v4_prefix(Ipv4Addr::new(10, 0, 0, 0), 8).unwrap();
        let p16 = Key::v4_prefix(Ipv4Addr::new(10, 0, 0, 0), 16).unwrap();
        assert_ne!(p8, p16);
        assert_ne!(p8.as_bytes(), p16.as_bytes());
    }

    #[test]
    fn too_long_prefixes_are_typed_errors() {
        assert_eq!(
            Key::v4_prefix(Ipv4Addr::LOCALHOST, 33),
            Err(KeyError::PrefixTooLong {
                family: "IPv4",
                found: 33,
                max: 32
            })
        );
        assert_eq!(
            Key::try_from((IpAddr::V6(Ipv6Addr::LOCALHOST), 129)),
            Err(KeyError::PrefixTooLong {
                family: "IPv6",
                found: 129,
                max: 128
            })
        );
    }

    #[test]
    fn parse_errors_name_the_part_and_offset() {
        assert_eq!(
            "10.0.0/8".parse::<Key>(),
            Err(KeyError::InvalidAddress {
                found: "10.0.0".into()
            })
        );
        assert_eq!(
            "10.0.0.0/+8".parse::<Key>(),
            Err(KeyError::InvalidPrefixLength {
                offset: 9,
                found: "+8".into()
            })
        );
        assert_eq!(
            "10.0.0.0/".parse::<Key>(),
            Err(KeyError::InvalidPrefixLength {
                offset: 9,
                found: String::new()
            })
        );
        assert_eq!(
            "10.0.0.0/256".parse::<Key>(),
            Err(KeyError::InvalidPrefixLength {
                offset: 9,
                found: "256".into()
            })
        );
        assert!(matches!(
            "10.0.0.0/33".parse::<Key>(),
            Err(KeyError::PrefixTooLong { found: 33, .. })
        ));
        assert!(matches!(
            "10.0.0.0/8/8".parse::<Key>(),
            Err(KeyError::InvalidPrefixLength { .. })
        ));
    }

    #[test]
    fn ipnet_conversions_match_prefix_constructor() {
        let net: IpNet = "10.9.8.7/20".parse().unwrap();
        assert_eq!(
            Key::from(net),
            Key::v4_prefix(Ipv4Addr::new(10, 9, 8, 7), 20).unwrap()
        );
        let net: Ipv6Net = "2001:db8::1/128".parse().unwrap();
        assert_eq!(Key::from(net), Key::v6("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn serde_uses_the_text_form() {
        let k: Key = "2001:db8::/32".parse().unwrap();
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(json, "\"2001:db8::/32\"");
        assert_eq!(serde_json::from_str::<Key>(&json).unwrap(), k);
        let err = serde_json::from_str::<Key>("\"10.0.0.0/40\"").unwrap_err();
        assert!(err.to_string().contains("expected at most 32"), "{err}");
    }

    fn any_key() -> impl Strategy<Value = Key> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|b| Key::v4(b.into())),
            any::<[u8; 16]>().prop_map(|b| Key::v6(b.into())),
            (any::<[u8; 4]>(), 0u8..=32).prop_map(|(b, l)| Key::v4_prefix(b.into(), l).unwrap()),
            (any::<[u8; 16]>(), 0u8..=128).prop_map(|(b, l)| Key::v6_prefix(b.into(), l).unwrap()),
        ]
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(k in any_key()) {
            prop_assert_eq!(k.to_string().parse::<Key>(), Ok(k));
        }

        #[test]
        fn prefix_key_is_idempotent(k in any_key()) {
            if let Some(len) = k.prefix_len() {
                prop_assert_eq!(Key::prefix(k.address(), len), Ok(k));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,48}") {
            let _ = s.parse::<Key>();
        }
    }
}
