//! Fixed-size, NUL-padded character arrays (`char name[OFP_MAX_PORT_NAME_LEN]`,
//! `char mfr_desc[DESC_STR_LEN]`, ... in OpenFlow 1.3.5 §7.2.1, §7.3.5.1, §7.3.5.5.1).
//!
//! A [`FixedStr`] keeps all `N` bytes exactly as they were on the wire, so a port or table
//! name with bytes after its terminating NUL, or with invalid UTF-8, re-encodes unchanged.
//! [`FixedStr::to_string_lossy`] gives the text up to the first NUL.

use crate::error::DecodeError;
use crate::wire::{Reader, Writer};
use std::borrow::Cow;
use std::fmt;

/// `N` bytes of NUL-padded text, kept byte for byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FixedStr<const N: usize>([u8; N]);

/// Error building a [`FixedStr`] from text that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("text of {len} bytes does not fit a {capacity}-byte NUL-terminated field (at most {max} bytes)", max = .capacity.saturating_sub(1))]
pub struct FixedStrError {
    /// Length of the text in bytes.
    pub len: usize,
    /// Size of the field, terminating NUL included.
    pub capacity: usize,
}

impl<const N: usize> FixedStr<N> {
    /// The all-zero (empty) string.
    pub const EMPTY: Self = FixedStr([0; N]);

    /// Text of at most `N - 1` bytes, NUL-padded (the specification requires a terminating
    /// NUL).
    pub fn new(text: &str) -> Result<Self, FixedStrError> {
        if text.len() >= N {
            return Err(FixedStrError {
                len: text.len(),
                capacity: N,
            });
        }
        let mut b = [0u8; N];
        b[..text.len()].copy_from_slice(text.as_bytes());
        Ok(FixedStr(b))
    }

    /// Text cut to the longest prefix of at most `N - 1` bytes that ends on a character
    /// boundary.
    pub fn truncating(text: &str) -> Self {
        let mut end = text.len().min(N.saturating_sub(1));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut b = [0u8; N];
        b[..end].copy_from_slice(&text.as_bytes()[..end]);
        FixedStr(b)
    }

    /// The raw bytes, exactly as on the wire.
    pub const fn from_bytes(bytes: [u8; N]) -> Self {
        FixedStr(bytes)
    }

    /// The raw `N` bytes.
    pub const fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The bytes before the first NUL (all of them if there is none).
    pub fn text_bytes(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(N);
        &self.0[..end]
    }

    /// The text before the first NUL, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.text_bytes()).ok()
    }

    /// The text before the first NUL, invalid UTF-8 replaced by U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.text_bytes())
    }

    /// True when the bytes are exactly what [`FixedStr::new`] would build from
    /// [`FixedStr::as_str`]: valid UTF-8, a NUL within the field, zeros after it.
    pub fn is_canonical(&self) -> bool {
        let text = self.text_bytes();
        text.len() < N
            && std::str::from_utf8(text).is_ok()
            && self.0[text.len()..].iter().all(|&b| b == 0)
    }

    pub(crate) fn decode(r: &mut Reader<'_>, what: &'static str) -> Result<Self, DecodeError> {
        r.array::<N>(what).map(FixedStr)
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.bytes(&self.0);
    }
}

impl<const N: usize> Default for FixedStr<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> fmt::Display for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl<const N: usize> fmt::Debug for FixedStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_canonical() {
            fmt::Debug::fmt(&*self.to_string_lossy(), f)
        } else {
            write!(f, "FixedStr({:?})", &self.0[..])
        }
    }
}

impl<const N: usize> std::str::FromStr for FixedStr<N> {
    type Err = FixedStrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FixedStr::new(s)
    }
}

/// Serialized as a string when canonical ([`FixedStr::is_canonical`]), otherwise as the
/// list of all `N` bytes, so serde round trips are lossless too.
#[cfg(feature = "serde")]
impl<const N: usize> serde::Serialize for FixedStr<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.as_str() {
            Some(text) if self.is_canonical() => s.serialize_str(text),
            _ => s.collect_seq(self.0.iter()),
        }
    }
}

#[cfg(feature = "serde")]
impl<'de, const N: usize> serde::Deserialize<'de> for FixedStr<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<const N: usize>;
        impl<'de, const N: usize> serde::de::Visitor<'de> for V<N> {
            type Value = FixedStr<N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a string of at most {} bytes or a list of {N} bytes",
                    N.saturating_sub(1)
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                FixedStr::new(v).map_err(E::custom)
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                <[u8; N]>::try_from(v)
                    .map(FixedStr)
                    .map_err(|_| E::invalid_length(v.len(), &self))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut b = [0u8; N];
                for (i, slot) in b.iter_mut().enumerate() {
                    *slot = seq
                        .next_element()?
                        .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                }
                if seq.next_element::<u8>()?.is_some() {
                    return Err(serde::de::Error::invalid_length(N + 1, &self));
                }
                Ok(FixedStr(b))
            }
        }
        d.deserialize_any(V::<N>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_pads_and_rejects_overlong() {
        let s = FixedStr::<8>::new("eth0").unwrap();
        assert_eq!(s.as_bytes(), b"eth0\0\0\0\0");
        assert_eq!(s.as_str(), Some("eth0"));
        assert!(s.is_canonical());
        assert_eq!(
            FixedStr::<4>::new("abcd"),
            Err(FixedStrError {
                len: 4,
                capacity: 4
            })
        );
        assert!(FixedStr::<4>::new("abc").is_ok());
    }

    #[test]
    fn truncating_respects_char_boundaries() {
        // "é" is two bytes: a 4-byte field holds "aé" (3 bytes) + NUL, not "aé" + half.
        assert_eq!(FixedStr::<4>::truncating("aéé").as_str(), Some("aé"));
        assert_eq!(FixedStr::<3>::truncating("aé").as_str(), Some("a"));
        assert_eq!(FixedStr::<0>::truncating("x").as_bytes(), &[0u8; 0]);
    }

    #[test]
    fn non_canonical_bytes_are_kept() {
        let raw = *b"ab\0c\xff\0\0\0";
        let s = FixedStr::from_bytes(raw);
        assert_eq!(s.as_str(), Some("ab"));
        assert!(!s.is_canonical());
        assert_eq!(s.as_bytes(), &raw);
        let unterminated = FixedStr::from_bytes(*b"abcd");
        assert_eq!(unterminated.as_str(), Some("abcd"));
        assert!(!unterminated.is_canonical());
        let bad_utf8 = FixedStr::from_bytes(*b"a\xffb\0");
        assert_eq!(bad_utf8.as_str(), None);
        assert_eq!(bad_utf8.to_string_lossy(), "a\u{fffd}b");
    }

    #[test]
    fn decode_encode_and_truncation_offset() {
        let data = *b"xyz\0\0\0\0\0";
        let mut r = Reader::with_base(&data, 40);
        let s = FixedStr::<8>::decode(&mut r, "name").unwrap();
        let mut out = Vec::new();
        s.encode(&mut Writer::new(&mut out));
        assert_eq!(out, data);
        let mut r = Reader::with_base(&data[..5], 40);
        let e = FixedStr::<8>::decode(&mut r, "name").unwrap_err();
        assert_eq!(e.offset(), 40);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_is_lossless() {
        let canonical = FixedStr::<8>::new("port1").unwrap();
        let j = serde_json::to_string(&canonical).unwrap();
        assert_eq!(j, "\"port1\"");
        assert_eq!(serde_json::from_str::<FixedStr<8>>(&j).unwrap(), canonical);
        let odd = FixedStr::from_bytes(*b"p\0\x01\0");
        let j = serde_json::to_string(&odd).unwrap();
        assert_eq!(j, "[112,0,1,0]");
        assert_eq!(serde_json::from_str::<FixedStr<4>>(&j).unwrap(), odd);
        assert!(serde_json::from_str::<FixedStr<4>>("\"toolong\"").is_err());
        assert!(serde_json::from_str::<FixedStr<4>>("[1,2,3]").is_err());
        assert!(serde_json::from_str::<FixedStr<4>>("[1,2,3,4,5]").is_err());
    }
}
