//! `ofp_match` (OpenFlow 1.3.5 §7.2.2): the OXM match structure.

use crate::Oxm;

/// `OFPMT_OXM`, the only match type OpenFlow 1.3 defines for use.
pub const OFPMT_OXM: u16 = 1;

/// A flow match: an ordered list of OXM TLVs (`ofp_match` with `type = OFPMT_OXM`).
///
/// The order of `fields` is kept on decode and used on encode, so messages round-trip
/// byte for byte. An empty list matches every packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Match {
    /// The OXM TLVs, in wire order.
    pub fields: Vec<Oxm>,
}

impl Match {
    /// A match on every packet.
    pub fn new() -> Self {
        Match::default()
    }

    /// Builder: append one OXM TLV.
    pub fn with(mut self, oxm: Oxm) -> Self {
        self.fields.push(oxm);
        self
    }
}

impl From<Vec<Oxm>> for Match {
    fn from(fields: Vec<Oxm>) -> Self {
        Match { fields }
    }
}

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, Writer};
use std::fmt;

/// Bytes of the `ofp_match` header (`type`, `length`).
pub const OFP_MATCH_HEADER_LEN: usize = 4;

impl Match {
    /// The `length` field: header plus OXM TLVs, padding excluded.
    #[inline]
    pub fn wire_len(&self) -> usize {
        OFP_MATCH_HEADER_LEN + self.fields.iter().map(Oxm::encoded_len).sum::<usize>()
    }

    /// Bytes on the wire, padding to a multiple of 8 included.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        self.wire_len().div_ceil(8) * 8
    }

    /// The first field with basic field number `field` (see [`crate::oxm::basic_field_info`]).
    pub fn get(&self, field: u8) -> Option<&Oxm> {
        self.fields.iter().find(|o| o.basic_field() == Some(field))
    }

    /// Decodes one `ofp_match` including its trailing padding to 8 bytes.
    ///
    /// The type must be `OFPMT_OXM`; `length` must cover the 4-byte header and lie within
    /// the bytes present; TLVs must exactly fill it.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
        let start = r.offset();
        let match_type = r.u16("ofp_match.type")?;
        if match_type != OFPMT_OXM {
            return Err(DecodeError::bad_value(
                "ofp_match.type",
                start,
                format_args!("{OFPMT_OXM} (OFPMT_OXM)"),
                format_args!("{match_type}"),
            ));
        }
        let len = usize::from(r.u16("ofp_match.length")?);
        if len < OFP_MATCH_HEADER_LEN {
            return Err(DecodeError::bad_length(
                "ofp_match",
                start,
                format_args!(">= {OFP_MATCH_HEADER_LEN}"),
                len,
            ));
        }
        let body_len = len - OFP_MATCH_HEADER_LEN;
        if body_len > r.remaining() {
            let max = r.remaining() + OFP_MATCH_HEADER_LEN;
            return Err(DecodeError::bad_length(
                "ofp_match",
                start,
                format_args!("<= {max}"),
                len,
            ));
        }
        let mut body = r.sub("ofp_match fields", body_len)?;
        let mut fields = Vec::with_capacity(crate::oxm::count(body.rest()));
        while !body.is_empty() {
            Oxm::decode_into(&mut body, &mut fields, |oxm| oxm)?;
        }
        r.skip("ofp_match padding", len.div_ceil(8) * 8 - len)?;
        Ok(Match { fields })
    }

    /// Encodes the match with its padding to 8 bytes.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(OFPMT_OXM);
        w.u16(0);
        for f in &self.fields {
            f.encode(w)?;
        }
        w.patch_len16("ofp_match", start + 2, start)?;
        w.pad_to_named("ofp_match.pad", start, 8);
        Ok(())
    }
}

impl fmt::Display for Match {
    /// Comma-separated fields (`in_port=6,eth_type=0x0800`), or `any` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fields.is_empty() {
            return f.write_str("any");
        }
        for (i, oxm) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{oxm}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MacAddr;
    use crate::strategies::arb_match;
    use proptest::prelude::*;

    fn enc(m: &Match) -> Vec<u8> {
        let mut v = Vec::new();
        m.encode(&mut Writer::new(&mut v)).unwrap();
        v
    }

    #[test]
    fn golden_match_from_spec_layout() {
        // in_port=6, eth_src=f2:0b:a4:7d:f8:ea: length 22, padded to 24.
        let b = [
            0x00, 0x01, 0x00, 0x16, 0x80, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06, 0x80, 0x00,
            0x08, 0x06, 0xf2, 0x0b, 0xa4, 0x7d, 0xf8, 0xea, 0x00, 0x00,
        ];
        let m = Match::new().with(Oxm::InPort(6)).with(Oxm::EthSrc(
            MacAddr([0xf2, 0x0b, 0xa4, 0x7d, 0xf8, 0xea]),
            None,
        ));
        let mut r = Reader::new(&b);
        assert_eq!(Match::decode(&mut r), Ok(m.clone()));
        assert!(r.is_empty());
        assert_eq!(enc(&m), b);
        assert_eq!(m.wire_len(), 22);
        assert_eq!(m.to_string(), "in_port=6,eth_src=f2:0b:a4:7d:f8:ea");
    }

    #[test]
    fn empty_match_is_four_bytes_plus_padding() {
        let m = Match::new();
        assert_eq!(enc(&m), [0, 1, 0, 4, 0, 0, 0, 0]);
        assert_eq!(m.to_string(), "any");
    }

    #[test]
    fn errors_name_offsets() {
        // Standard (type 0) match rejected.
        let b = [0, 0, 0, 4, 0, 0, 0, 0];
        let e = Match::decode(&mut Reader::with_base(&b, 48)).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::BadValue {
                field: "ofp_match.type",
                offset: 48,
                ..
            }
        ));
        // length 3 < header.
        let b = [0, 1, 0, 3, 0, 0, 0, 0];
        let e = Match::decode(&mut Reader::with_base(&b, 48)).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::BadLength {
                offset: 48,
                found: 3,
                ..
            }
        ));
        // length beyond the bytes present.
        let b = [0, 1, 0, 40, 0, 0, 0, 0];
        let e = Match::decode(&mut Reader::with_base(&b, 48)).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::BadLength {
                offset: 48,
                found: 40,
                ..
            }
        ));
        // TLV overrunning the match length: in_port claims 4 bytes, only 2 inside.
        let b = [0, 1, 0, 10, 0x80, 0, 0, 4, 0, 0, 0, 0];
        let e = Match::decode(&mut Reader::with_base(&b, 48)).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "oxm payload",
                offset: 56,
                needed: 4,
                available: 2
            }
        );
        // ip_proto=6: length 9, so 7 padding bytes must follow; only 2 do.
        let b = [0, 1, 0, 9, 0x80, 0, 0x14, 1, 6, 0, 0];
        let e = Match::decode(&mut Reader::with_base(&b, 48)).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "ofp_match padding",
                offset: 57,
                needed: 7,
                available: 2
            }
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn round_trip(m in arb_match()) {
            let bytes = enc(&m);
            prop_assert_eq!(bytes.len(), m.encoded_len());
            prop_assert_eq!(bytes.len() % 8, 0);
            let mut r = Reader::new(&bytes);
            prop_assert_eq!(Match::decode(&mut r), Ok(m));
            prop_assert!(r.is_empty());
        }
    }
}
