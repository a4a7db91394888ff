//! `OFPT_HELLO` (OpenFlow 1.3.5 §7.5.1) and version negotiation (§6.3.1).
//!
//! A HELLO may carry any version byte (it is how peers negotiate), so [`Hello`] keeps the
//! header's version. Its body is a list of `ofp_hello_elem_*` TLVs, each padded to 8
//! bytes; the version bitmap is typed and any other element is kept raw.

use crate::error::{DecodeError, EncodeError};
use crate::header::OFP_VERSION;
use crate::oxm::hex_bytes;
use crate::wire::{Reader, Writer};
use std::fmt;

/// `OFPHET_VERSIONBITMAP`.
pub const OFPHET_VERSIONBITMAP: u16 = 1;

/// Bytes of an `ofp_hello_elem_header` (`type`, `length`).
const ELEM_HEADER_LEN: usize = 4;

/// A HELLO message: the version byte of its header plus its elements.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Hello {
    /// The `ofp_header.version` the peer sent: the highest version it supports.
    pub version: u8,
    /// Hello elements, in wire order.
    pub elements: Vec<HelloElement>,
}

/// One `ofp_hello_elem_*` TLV.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum HelloElement {
    /// `OFPHET_VERSIONBITMAP`: bit `n` of `bitmaps[i]` set means version `32*i + n` is
    /// supported.
    VersionBitmap(Vec<u32>),
    /// An element type this crate does not know, kept raw.
    Unknown {
        /// Element `type`.
        element_type: u16,
        /// The element payload after its 4-byte header, padding excluded.
        data: Vec<u8>,
    },
}

impl Default for Hello {
    /// A HELLO for OpenFlow 1.3 only: version 4 with a bitmap holding just version 4.
    fn default() -> Self {
        Hello::with_versions(&[OFP_VERSION])
    }
}

impl Hello {
    /// A HELLO advertising exactly `versions` (header version = the highest; no bitmap
    /// element when `versions` is empty).
    pub fn with_versions(versions: &[u8]) -> Self {
        let top = versions.iter().copied().max();
        let mut bitmaps = vec![0u32; top.map_or(0, |v| usize::from(v) / 32 + 1)];
        for &v in versions {
            if let Some(word) = bitmaps.get_mut(usize::from(v) / 32) {
                *word |= 1 << (v % 32);
            }
        }
        Hello {
            version: top.unwrap_or(OFP_VERSION),
            elements: if bitmaps.is_empty() {
                Vec::new()
            } else {
                vec![HelloElement::VersionBitmap(bitmaps)]
            },
        }
    }

    /// The versions listed in the first version-bitmap element, ascending, or `None` when
    /// the HELLO has no bitmap.
    pub fn bitmap_versions(&self) -> Option<Vec<u8>> {
        self.elements.iter().find_map(|e| match e {
            HelloElement::VersionBitmap(words) => Some(
                (0..=u8::MAX)
                    .filter(|v| {
                        words
                            .get(usize::from(*v) / 32)
                            .is_some_and(|w| w & (1 << (v % 32)) != 0)
                    })
                    .collect(),
            ),
            HelloElement::Unknown { .. } => None,
        })
    }

    /// Whether this peer supports `version`: by its bitmap when it sent one, otherwise
    /// every version up to its header version (§6.3.1).
    pub fn supports(&self, version: u8) -> bool {
        match self.bitmap_versions() {
            Some(vs) => vs.contains(&version),
            None => version <= self.version,
        }
    }

    /// The version two peers agree on (§6.3.1): with bitmaps on both sides, the highest
    /// version in both; otherwise the smaller header version, if both support it.
    /// `None` means negotiation failed (send `OFPET_HELLO_FAILED`/`OFPHFC_INCOMPATIBLE`).
    pub fn negotiate(&self, peer: &Hello) -> Option<u8> {
        match (self.bitmap_versions(), peer.bitmap_versions()) {
            (Some(a), Some(b)) => a.into_iter().filter(|v| b.contains(v)).max(),
            _ => {
                let v = self.version.min(peer.version);
                (self.supports(v) && peer.supports(v)).then_some(v)
            }
        }
    }

    /// Decodes the body of a HELLO (the elements); `version` comes from the header.
    pub(crate) fn decode_body(version: u8, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut elements = Vec::new();
        while !r.is_empty() {
            elements.push(HelloElement::decode(r)?);
        }
        Ok(Hello { version, elements })
    }

    /// Encodes the body of a HELLO.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        self.elements.iter().try_for_each(|e| e.encode(w))
    }
}

impl HelloElement {
    /// Decodes one element and its padding to 8 bytes.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let start = r.offset();
        let element_type = r.u16("ofp_hello_elem_header.type")?;
        let len = usize::from(r.u16("ofp_hello_elem_header.length")?);
        if len < ELEM_HEADER_LEN || len - ELEM_HEADER_LEN > r.remaining() {
            return Err(DecodeError::BadLength {
                what: "ofp_hello_elem_header",
                offset: start,
                expected: format!(">= 4 and <= {}", r.remaining() + ELEM_HEADER_LEN),
                found: len,
            });
        }
        let mut body = r.sub("ofp_hello_elem body", len - ELEM_HEADER_LEN)?;
        let element = if element_type == OFPHET_VERSIONBITMAP {
            if body.remaining() % 4 != 0 {
                return Err(DecodeError::BadLength {
                    what: "ofp_hello_elem_versionbitmap",
                    offset: start,
                    expected: "4 + a multiple of 4".into(),
                    found: len,
                });
            }
            let mut words = Vec::new();
            while !body.is_empty() {
                words.push(body.u32("ofp_hello_elem_versionbitmap.bitmaps")?);
            }
            HelloElement::VersionBitmap(words)
        } else {
            HelloElement::Unknown {
                element_type,
                data: body.take_rest().to_vec(),
            }
        };
        r.skip("ofp_hello_elem padding", len.next_multiple_of(8) - len)?;
        Ok(element)
    }

    /// Encodes the element with its padding to 8 bytes.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        match self {
            HelloElement::VersionBitmap(words) => {
                w.u16(OFPHET_VERSIONBITMAP);
                w.u16(0);
                words.iter().for_each(|x| w.u32(*x));
            }
            HelloElement::Unknown { element_type, data } => {
                if *element_type == OFPHET_VERSIONBITMAP {
                    return Err(EncodeError::BadValue {
                        field: "ofp_hello_elem_header.type",
                        reason: "type 1 is OFPHET_VERSIONBITMAP; use HelloElement::VersionBitmap"
                            .into(),
                    });
                }
                w.u16(*element_type);
                w.u16(0);
                w.bytes(data);
            }
        }
        w.patch_len16("ofp_hello_elem", start + 2, start)?;
        w.pad_to_named("ofp_hello_elem.pad", start, 8);
        Ok(())
    }
}

impl fmt::Display for Hello {
    /// `version=4 versions=1,4` (or `elements=...` for unknown elements).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "version={}", self.version)?;
        if let Some(vs) = self.bitmap_versions() {
            let vs: Vec<String> = vs.iter().map(u8::to_string).collect();
            write!(f, " versions={}", vs.join(","))?;
        }
        for e in &self.elements {
            if let HelloElement::Unknown { element_type, data } = e {
                write!(f, " elem{element_type}=0x{}", hex_bytes(data))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    fn dec(b: &[u8]) -> Result<Hello, DecodeError> {
        let mut r = Reader::with_base(b, 8);
        let h = Hello::decode_body(4, &mut r)?;
        assert!(r.is_empty());
        Ok(h)
    }

    fn enc(h: &Hello) -> Vec<u8> {
        let mut v = Vec::new();
        h.encode_body(&mut Writer::new(&mut v)).unwrap();
        v
    }

    #[test]
    fn default_is_version_four_bitmap() {
        let h = Hello::default();
        assert_eq!(enc(&h), [0, 1, 0, 8, 0, 0, 0, 0x10]);
        assert_eq!(h.version, 4);
        assert_eq!(h.bitmap_versions(), Some(vec![4]));
        assert_eq!(h.to_string(), "version=4 versions=4");
    }

    #[test]
    fn ryu_bitmap_of_nonexistent_versions() {
        // 4-10: bitmap 0x4000060e = {1,2,3,9,10,30}.
        let Some(h) = body_round_trip(
            "4-10-ofp_hello.packet",
            0,
            |r| Hello::decode_body(4, r),
            Hello::encode_body,
        ) else {
            return;
        };
        assert_eq!(h.bitmap_versions(), Some(vec![1, 2, 3, 9, 10, 30]));
    }

    #[test]
    fn negotiation() {
        let ours = Hello::with_versions(&[1, 4]);
        assert_eq!(
            ours.negotiate(&Hello::with_versions(&[1, 3, 4, 5])),
            Some(4)
        );
        assert_eq!(ours.negotiate(&Hello::with_versions(&[2, 3])), None);
        // Peer without bitmap at version 1: common version 1.
        let old = Hello {
            version: 1,
            elements: vec![],
        };
        assert_eq!(ours.negotiate(&old), Some(1));
        // Peer without bitmap at version 6: we only have 4 in our bitmap.
        let newer = Hello {
            version: 6,
            elements: vec![],
        };
        assert_eq!(Hello::with_versions(&[4]).negotiate(&newer), Some(4));
        assert_eq!(
            Hello::with_versions(&[1]).negotiate(&Hello {
                version: 3,
                elements: vec![]
            }),
            Some(1)
        );
        assert_eq!(
            Hello::with_versions(&[33]).bitmap_versions(),
            Some(vec![33])
        );
    }

    #[test]
    fn unknown_element_keeps_data_and_pads() {
        let b = [0, 9, 0, 7, 1, 2, 3, 0, 0, 1, 0, 8, 0, 0, 0, 0x10];
        let h = dec(&b).unwrap();
        assert_eq!(
            h.elements[0],
            HelloElement::Unknown {
                element_type: 9,
                data: vec![1, 2, 3]
            }
        );
        assert_eq!(enc(&h), b);
    }

    #[test]
    fn bad_lengths() {
        assert!(matches!(
            dec(&[0, 1, 0, 2, 0, 0, 0, 0]),
            Err(DecodeError::BadLength {
                offset: 8,
                found: 2,
                ..
            })
        ));
        assert!(matches!(
            dec(&[0, 1, 0, 7, 0, 0, 0, 0]),
            Err(DecodeError::BadLength {
                what: "ofp_hello_elem_versionbitmap",
                ..
            })
        ));
        assert!(matches!(
            dec(&[0, 1, 0, 16, 0, 0, 0, 0]),
            Err(DecodeError::BadLength { found: 16, .. })
        ));
        // Missing padding after a 12-byte element.
        assert_eq!(
            dec(&[0, 1, 0, 12, 0, 0, 0, 0x10, 0, 0, 0, 0]),
            Err(DecodeError::Truncated {
                what: "ofp_hello_elem padding",
                offset: 20,
                needed: 4,
                available: 0
            })
        );
    }
}
