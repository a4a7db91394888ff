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
use crate::oxm::OxmRef;
use crate::wire::{Reader, Sink};
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

    /// Decodes one `ofp_match` including its trailing padding to 8 bytes: the checks of
    /// [`MatchRef::parse`], in the same order, in one pass that builds the fields.
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Match, DecodeError> {
        let (mut body, pad) = MatchRef::frame(r)?;
        let mut fields = Vec::with_capacity(crate::oxm::count(body.rest()));
        while !body.is_empty() {
            fields.push(OxmRef::parse(&mut body)?.into_owned());
        }
        r.skip("ofp_match padding", pad)?;
        Ok(Match { fields })
    }

    /// Encodes the match with its padding to 8 bytes.
    #[inline]
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        let start = w.pos();
        // Type and a length patched below.
        w.u32(u32::from(OFPMT_OXM) << 16);
        for f in &self.fields {
            f.encode(w)?;
        }
        w.patch_len16("ofp_match", start + 2, start)?;
        w.pad_to_named("ofp_match.pad", start, 8);
        Ok(())
    }
}

/// An `ofp_match` borrowed from a received message, its OXM TLVs decoded as they are
/// iterated ([`MatchRef::iter`]); part of [`crate::flow_mod::FlowModRef`].
///
/// Every TLV was checked when the view was made (the checks [`Match`]'s decoder makes,
/// with the same errors), so iterating cannot fail and yields [`OxmRef`]s, not `Result`s.
#[derive(Debug, Clone, Copy)]
pub struct MatchRef<'a> {
    /// The OXM TLVs (`length - 4` bytes, padding excluded).
    fields: &'a [u8],
    /// Absolute offset of `fields[0]` in the message.
    base: usize,
    /// How many TLVs `fields` holds.
    len: usize,
}

impl<'a> MatchRef<'a> {
    /// A match on every packet.
    pub const EMPTY: MatchRef<'static> = MatchRef {
        fields: &[],
        base: 0,
        len: 0,
    };

    /// Checks one `ofp_match` at the cursor, padding to 8 bytes included, and consumes it.
    ///
    /// The type must be `OFPMT_OXM`; `length` must cover the 4-byte header and lie within
    /// the bytes present; TLVs must exactly fill it, each one well-formed
    /// ([`OxmRef::parse`]).
    pub(crate) fn parse(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let (mut body, pad) = MatchRef::frame(r)?;
        let (fields, base) = (body.rest(), body.offset());
        let mut len = 0;
        while !body.is_empty() {
            // `forget`: a parsed TLV holds no heap data (a typed field or a borrowed raw
            // one), and skipping its drop lets the compiler drop the unused value.
            OxmRef::parse(&mut body).map(std::mem::forget)?;
            len += 1;
        }
        r.skip("ofp_match padding", pad)?;
        Ok(MatchRef { fields, base, len })
    }

    /// Reads the `ofp_match` header at the cursor and takes the TLVs: returns a reader
    /// over them and the number of padding bytes that follow.
    #[inline]
    fn frame(r: &mut Reader<'a>) -> Result<(Reader<'a>, usize), DecodeError> {
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
        let body = r.sub("ofp_match fields", body_len)?;
        Ok((body, len.div_ceil(8) * 8 - len))
    }

    /// The OXM TLVs in wire order.
    #[inline]
    pub fn iter(&self) -> MatchIter<'a> {
        MatchIter {
            r: Reader::with_base(self.fields, self.base),
            left: self.len,
        }
    }

    /// Number of OXM TLVs.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a match on every packet (no TLVs).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The TLVs' bytes as received (the match's `length - 4` bytes, padding excluded).
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.fields
    }

    /// The owned match (one allocation for the field list, one per raw TLV).
    #[inline]
    pub fn into_owned(self) -> Match {
        let mut fields = Vec::with_capacity(self.len);
        fields.extend(self.iter().map(OxmRef::into_owned));
        Match { fields }
    }

    /// Encodes the match as [`Match`]'s encoder does: an OXM TLV re-encodes to the bytes
    /// it was decoded from, so the fields are copied and the padding written as zeros.
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(OFPMT_OXM);
        w.u16(0);
        w.bytes(self.fields);
        w.patch_len16("ofp_match", start + 2, start)?;
        w.pad_to_named("ofp_match.pad", start, 8);
        Ok(())
    }
}

crate::tlv::list_view_impls!(MatchRef, fields, OxmRef, MatchIter);

/// The OXM TLVs of a [`MatchRef`], decoded one by one.
#[derive(Debug, Clone)]
pub struct MatchIter<'a> {
    /// The TLVs not yet yielded.
    r: Reader<'a>,
    /// How many.
    left: usize,
}

impl<'a> Iterator for MatchIter<'a> {
    type Item = OxmRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<OxmRef<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The bytes were checked by `MatchRef::parse`, so this parse cannot fail; if it
        // did, the iterator would simply end.
        match OxmRef::parse(&mut self.r) {
            Ok(oxm) => Some(oxm),
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for MatchIter<'_> {}

impl std::iter::FusedIterator for MatchIter<'_> {}

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
    use crate::wire::Writer;
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

        /// The borrowed view yields the fields the owned decoder builds, reports the same
        /// errors on any bytes, and re-encodes to the owned encoding.
        #[test]
        fn view_agrees_with_owned(
            m in arb_match(),
            len in 0u8..48,
            body in proptest::collection::vec(any::<u8>(), 0..48),
        ) {
            let bytes = enc(&m);
            let mut r = Reader::new(&bytes);
            let view = MatchRef::parse(&mut r).unwrap();
            prop_assert!(r.is_empty());
            prop_assert_eq!(view.len(), m.fields.len());
            prop_assert_eq!(view.into_owned(), m.clone());
            let mut again = Vec::new();
            view.encode(&mut Writer::new(&mut again)).unwrap();
            prop_assert_eq!(again, bytes);
            // An OXM match header claiming `len` bytes, then arbitrary bytes.
            let mut junk = vec![0, 1, 0, len];
            junk.extend(body);
            let owned = Match::decode(&mut Reader::with_base(&junk, 8));
            match MatchRef::parse(&mut Reader::with_base(&junk, 8)) {
                Ok(view) => prop_assert_eq!(Ok(view.into_owned()), owned),
                Err(e) => prop_assert_eq!(Err(e), owned),
            }
        }

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
