//! `OFPT_PACKET_IN` (OpenFlow 1.3.5 §7.4.1): `ofp_packet_in`.

use crate::error::{DecodeError, EncodeError};
use crate::flow_match::Match;
use crate::header::{OFP_VERSION, OFPT_PACKET_IN};
use crate::message::{append_or_restore, decode_typed, write_message};
use crate::wire::{Fixed, Reader, Writer};
use crate::wire_enum::wire_enum;
use std::borrow::Cow;

wire_enum! {
    /// `ofp_packet_in_reason`.
    pub enum PacketInReason: u8 {
        /// `OFPR_NO_MATCH`: no matching flow (table-miss entry).
        NoMatch = 0 => "no_match",
        /// `OFPR_ACTION`: an output-to-controller action.
        Action = 1 => "action",
        /// `OFPR_INVALID_TTL`: the packet has an invalid TTL.
        InvalidTtl = 2 => "invalid_ttl",
    }
}

/// Bytes of `ofp_packet_in` between the header and the match (buffer_id through cookie).
pub(crate) const OFP_PACKET_IN_FIXED_LEN: usize = 16;

/// The body of an `OFPT_PACKET_IN`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PacketIn {
    /// Buffer id on the switch, or [`crate::flow_mod::OFP_NO_BUFFER`].
    pub buffer_id: u32,
    /// Full length of the frame (`data` may be shorter).
    pub total_len: u16,
    /// Why the packet is sent.
    pub reason: PacketInReason,
    /// Table that was looked up.
    pub table_id: u8,
    /// Cookie of the flow entry that sent the packet.
    pub cookie: u64,
    /// Pipeline fields of the packet (in_port, metadata, tunnel_id, ...).
    #[cfg_attr(feature = "serde", serde(rename = "match"))]
    pub match_: Match,
    /// The packet (or its first bytes).
    pub data: Vec<u8>,
}

/// A PACKET_IN whose frame borrows the received message instead of copying it: the
/// fields of [`PacketIn`], with `data: &[u8]` and the match owned when decoded, borrowed
/// when viewed. Decode one with [`PacketInRef::decode_message`]; [`PacketIn::view`] and
/// [`PacketInRef::into_owned`] convert between the two.
///
/// ```
/// use flowfall_ofp::packet_in::{PacketIn, PacketInReason, PacketInRef};
/// use flowfall_ofp::{Match, Message, OfMessage, Oxm};
///
/// let frame = [0xffu8; 60];
/// let pin = PacketIn {
///     buffer_id: 0xffff_ffff,
///     total_len: 60,
///     reason: PacketInReason::NoMatch,
///     table_id: 0,
///     cookie: 0,
///     match_: Match::new().with(Oxm::InPort(3)),
///     data: frame.to_vec(),
/// };
/// let wire = OfMessage::new(7, Message::PacketIn(pin.clone())).to_vec()?;
///
/// let (xid, view) = PacketInRef::decode_message(&wire)?;
/// assert_eq!(xid, 7);
/// assert_eq!(view.data, &frame[..]);
/// assert_eq!(view.data.as_ptr(), wire[wire.len() - 60..].as_ptr()); // no copy
/// assert_eq!(view.match_.fields, [Oxm::InPort(3)]);
/// assert_eq!(view.into_owned(), pin);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PacketInRef<'a> {
    /// Buffer id on the switch, or [`crate::flow_mod::OFP_NO_BUFFER`].
    pub buffer_id: u32,
    /// Full length of the frame (`data` may be shorter).
    pub total_len: u16,
    /// Why the packet is sent.
    pub reason: PacketInReason,
    /// Table that was looked up.
    pub table_id: u8,
    /// Cookie of the flow entry that sent the packet.
    pub cookie: u64,
    /// Pipeline fields of the packet (in_port, metadata, tunnel_id, ...).
    pub match_: Cow<'a, Match>,
    /// The packet (or its first bytes), borrowed from the message.
    pub data: &'a [u8],
}

impl<'a> PacketInRef<'a> {
    /// Decodes the one OFPT_PACKET_IN message `buf` holds (header included, as
    /// [`crate::OfMessage::decode`] takes it) without copying the frame; returns the xid
    /// and the body.
    ///
    /// Errors are [`crate::OfMessage::decode`]'s, plus [`DecodeError::BadValue`] (field
    /// `ofp_header.type`, offset 1) for a message of another type.
    pub fn decode_message(buf: &'a [u8]) -> Result<(u32, Self), DecodeError> {
        decode_typed(buf, OFPT_PACKET_IN, PacketInRef::decode_body)
    }

    /// The owned form (copies `data`).
    #[inline]
    pub fn into_owned(self) -> PacketIn {
        PacketIn {
            buffer_id: self.buffer_id,
            total_len: self.total_len,
            reason: self.reason,
            table_id: self.table_id,
            cookie: self.cookie,
            match_: self.match_.into_owned(),
            data: self.data.to_vec(),
        }
    }

    /// Appends the whole message (header with `xid` included) to `out`, the bytes
    /// [`crate::OfMessage::encode`] writes for the owned form. On error `out` is left as
    /// it was.
    pub fn encode_message(&self, xid: u32, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_or_restore(out, |w| {
            write_message(w, OFP_VERSION, OFPT_PACKET_IN, xid, |w| self.encode_body(w))
        })
    }

    #[inline]
    fn decode_body(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let buffer_id = r.u32("ofp_packet_in.buffer_id")?;
        let total_len = r.u16("ofp_packet_in.total_len")?;
        let reason = PacketInReason::from_wire(r.u8("ofp_packet_in.reason")?);
        let table_id = r.u8("ofp_packet_in.table_id")?;
        let cookie = r.u64("ofp_packet_in.cookie")?;
        let match_ = Cow::Owned(Match::decode(r)?);
        r.skip("ofp_packet_in.pad", 2)?;
        Ok(PacketInRef {
            buffer_id,
            total_len,
            reason,
            table_id,
            cookie,
            match_,
            data: r.take_rest(),
        })
    }

    fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let fixed = Fixed::<OFP_PACKET_IN_FIXED_LEN>::new()
            .put(&self.buffer_id.to_be_bytes())
            .put(&self.total_len.to_be_bytes())
            .put(&[self.reason.to_wire(), self.table_id])
            .put(&self.cookie.to_be_bytes());
        w.bytes(fixed.bytes());
        self.match_.encode(w)?;
        w.pad("ofp_packet_in.pad", 2);
        w.bytes(self.data);
        Ok(())
    }
}

impl PacketIn {
    /// A borrowed view of this PACKET_IN (nothing is copied).
    pub fn view(&self) -> PacketInRef<'_> {
        PacketInRef {
            buffer_id: self.buffer_id,
            total_len: self.total_len,
            reason: self.reason,
            table_id: self.table_id,
            cookie: self.cookie,
            match_: Cow::Borrowed(&self.match_),
            data: &self.data,
        }
    }

    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        PacketInRef::decode_body(r).map(PacketInRef::into_owned)
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        self.view().encode_body(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::{body_round_trip, load};
    use crate::strategies::{arb_bytes, arb_match};
    use crate::{Message, OfMessage, Oxm};
    use proptest::prelude::*;

    /// `bytes`, one whole PACKET_IN, decodes to the same value borrowed and owned, the
    /// borrowed frame lies inside `bytes`, and the view re-encodes to `bytes`.
    fn check_view(bytes: &[u8]) {
        let owned = OfMessage::decode(bytes).unwrap();
        let Message::PacketIn(pin) = &owned.msg else {
            panic!("not a PACKET_IN: {owned}");
        };
        let (xid, view) = PacketInRef::decode_message(bytes).unwrap();
        assert_eq!((xid, &view), (owned.xid, &pin.view()));
        assert_eq!(
            view.data.as_ptr_range().end,
            bytes.as_ptr_range().end,
            "frame not copied"
        );
        let mut out = vec![0xee];
        view.encode_message(xid, &mut out).unwrap();
        assert_eq!(&out[1..], bytes);
        assert_eq!(view.into_owned(), *pin);
    }

    #[test]
    fn borrowed_view_of_ryu_vectors() {
        for name in [
            "4-4-ofp_packet_in.packet",
            "4-59-ofp_packet_in.packet",
            "libofproto-OFP13-packet_in.packet",
        ] {
            if let Some(bytes) = load(name) {
                check_view(&bytes);
            }
        }
    }

    #[test]
    fn borrowed_view_refuses_other_types_and_bad_headers() {
        let echo = OfMessage::new(1, Message::EchoRequest(vec![1, 2]))
            .to_vec()
            .unwrap();
        assert_eq!(
            PacketInRef::decode_message(&echo),
            Err(DecodeError::BadValue {
                field: "ofp_header.type",
                offset: 1,
                expected: "10 (OFPT_PACKET_IN)".into(),
                found: "2 (OFPT_ECHO_REQUEST)".into(),
            })
        );
        // Header and body errors are those of `OfMessage::decode`.
        let p = PacketIn {
            buffer_id: 1,
            total_len: 0,
            reason: PacketInReason::NoMatch,
            table_id: 0,
            cookie: 0,
            match_: Match::new(),
            data: vec![],
        };
        let bytes = OfMessage::new(3, Message::PacketIn(p)).to_vec().unwrap();
        for cut in [0, 7, 20, bytes.len() - 1] {
            assert_eq!(
                PacketInRef::decode_message(&bytes[..cut]).unwrap_err(),
                OfMessage::decode(&bytes[..cut]).unwrap_err()
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn borrowed_and_owned_agree(
            xid in any::<u32>(),
            fixed in (any::<u32>(), any::<u16>(), any::<u8>(), any::<u8>(), any::<u64>()),
            match_ in arb_match(),
            data in arb_bytes(96),
        ) {
            let (buffer_id, total_len, reason, table_id, cookie) = fixed;
            let reason = PacketInReason::from_wire(reason);
            let pin = PacketIn { buffer_id, total_len, reason, table_id, cookie, match_, data };
            check_view(&OfMessage::new(xid, Message::PacketIn(pin)).to_vec().unwrap());
        }

        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..96)) {
            let mut b = vec![4, OFPT_PACKET_IN, 0, 0, 0, 0, 0, 9];
            b.extend(body);
            let len = u16::try_from(b.len()).unwrap().to_be_bytes();
            b[2..4].copy_from_slice(&len);
            let owned = OfMessage::decode(&b);
            match PacketInRef::decode_message(&b) {
                Ok((xid, view)) => {
                    prop_assert_eq!(owned, Ok(OfMessage::new(xid, Message::PacketIn(view.into_owned()))));
                }
                Err(e) => prop_assert_eq!(owned, Err(e)),
            }
        }
    }

    #[test]
    fn golden_and_truncation() {
        let p = PacketIn {
            buffer_id: 0xffff_ffff,
            total_len: 3,
            reason: PacketInReason::Action,
            table_id: 1,
            cookie: 2,
            match_: Match::new().with(Oxm::InPort(5)),
            data: vec![0xaa, 0xbb, 0xcc],
        };
        let b = [
            0xff, 0xff, 0xff, 0xff, 0, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, // fixed
            0, 1, 0, 12, 0x80, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 0, // match + pad
            0, 0, 0xaa, 0xbb, 0xcc,
        ];
        let mut v = Vec::new();
        p.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, b);
        assert_eq!(PacketIn::decode_body(&mut Reader::with_base(&b, 8)), Ok(p));
        // Cut before the 2 pad bytes after the match (message offset 8 + 32).
        assert_eq!(
            PacketIn::decode_body(&mut Reader::with_base(&b[..33], 8)),
            Err(DecodeError::Truncated {
                what: "ofp_packet_in.pad",
                offset: 40,
                needed: 2,
                available: 1
            })
        );
    }

    #[test]
    fn ryu_vectors() {
        for name in [
            "4-4-ofp_packet_in.packet",
            "4-59-ofp_packet_in.packet",
            "libofproto-OFP13-packet_in.packet",
        ] {
            body_round_trip(name, 10, PacketIn::decode_body, PacketIn::encode_body);
        }
        // 4-59 matches every OpenFlow 1.3 basic field except vlan_pcp (7), plus the ONF
        // pbb_uca experimenter OXM and two Nicira NXM_1 fields, all kept raw.
        if let Some(p) = body_round_trip(
            "4-59-ofp_packet_in.packet",
            10,
            PacketIn::decode_body,
            PacketIn::encode_body,
        ) {
            let mut fields: Vec<u8> = p
                .match_
                .fields
                .iter()
                .filter_map(Oxm::basic_field)
                .collect();
            fields.sort_unstable();
            fields.dedup();
            assert_eq!(fields, (0..40).filter(|f| *f != 7).collect::<Vec<u8>>());
            let raw = p
                .match_
                .fields
                .iter()
                .filter(|o| matches!(o, Oxm::Raw(_)))
                .count();
            assert_eq!(raw, 3);
        }
    }
}
