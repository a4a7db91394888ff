//! `OFPT_PACKET_OUT` (OpenFlow 1.3.5 §7.3.7): `ofp_packet_out`.

use crate::action::{Action, decode_actions, encode_actions};
use crate::error::{DecodeError, EncodeError};
use crate::header::{OFP_VERSION, OFPT_PACKET_OUT};
use crate::message::{append_or_restore, decode_typed, write_message};
use crate::wire::{Fixed, Reader, Writer};
use std::borrow::Cow;

/// Bytes of `ofp_packet_out` between the header and the actions (buffer_id through pad).
pub(crate) const OFP_PACKET_OUT_FIXED_LEN: usize = 16;

/// The body of an `OFPT_PACKET_OUT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PacketOut {
    /// Buffer id on the switch, or [`crate::flow_mod::OFP_NO_BUFFER`] (then `data` holds
    /// the packet).
    pub buffer_id: u32,
    /// Ingress port the actions see (`OFPP_CONTROLLER` if none).
    pub in_port: u32,
    /// Actions to apply.
    pub actions: Vec<Action>,
    /// The packet when `buffer_id` is `OFP_NO_BUFFER`.
    pub data: Vec<u8>,
}

/// A PACKET_OUT whose packet is borrowed rather than owned, so a controller can send a
/// frame it received (a [`crate::packet_in::PacketInRef`]'s `data`) or keeps in a buffer
/// without copying it into a `Vec` first: the fields of [`PacketOut`], with `data: &[u8]`
/// and the actions borrowed or owned. Encode one with [`PacketOutRef::encode_message`];
/// decode one with [`PacketOutRef::decode_message`]; [`PacketOut::view`] and
/// [`PacketOutRef::into_owned`] convert.
///
/// ```
/// use flowfall_ofp::packet_out::{PacketOut, PacketOutRef};
/// use flowfall_ofp::{Action, Message, OfMessage};
/// use std::borrow::Cow;
///
/// let frame = [0xabu8; 64];
/// let actions = [Action::output(2)];
/// let out = PacketOutRef {
///     buffer_id: 0xffff_ffff,
///     in_port: 1,
///     actions: Cow::Borrowed(&actions),
///     data: &frame,
/// };
/// let mut wire = Vec::new();
/// out.encode_message(9, &mut wire)?;
///
/// // The same bytes as the owned form.
/// let owned = out.clone().into_owned();
/// assert_eq!(wire, OfMessage::new(9, Message::PacketOut(owned)).to_vec()?);
/// let (xid, back) = PacketOutRef::decode_message(&wire)?;
/// assert_eq!((xid, back), (9, out));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PacketOutRef<'a> {
    /// Buffer id on the switch, or [`crate::flow_mod::OFP_NO_BUFFER`] (then `data` holds
    /// the packet).
    pub buffer_id: u32,
    /// Ingress port the actions see (`OFPP_CONTROLLER` if none).
    pub in_port: u32,
    /// Actions to apply (owned when decoded).
    pub actions: Cow<'a, [Action]>,
    /// The packet when `buffer_id` is `OFP_NO_BUFFER`.
    pub data: &'a [u8],
}

impl<'a> PacketOutRef<'a> {
    /// Decodes the one OFPT_PACKET_OUT message `buf` holds (header included) without
    /// copying the packet; returns the xid and the body.
    ///
    /// Errors are [`crate::OfMessage::decode`]'s, plus [`DecodeError::BadValue`] (field
    /// `ofp_header.type`, offset 1) for a message of another type.
    pub fn decode_message(buf: &'a [u8]) -> Result<(u32, Self), DecodeError> {
        decode_typed(buf, OFPT_PACKET_OUT, PacketOutRef::decode_body)
    }

    /// Appends the whole message (header with `xid` included) to `out`, the bytes
    /// [`crate::OfMessage::encode`] writes for the owned form. On error `out` is left as
    /// it was.
    pub fn encode_message(&self, xid: u32, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_or_restore(out, |w| {
            write_message(w, OFP_VERSION, OFPT_PACKET_OUT, xid, |w| {
                self.encode_body(w)
            })
        })
    }

    /// The owned form (copies `data`, and the actions when borrowed).
    #[inline]
    pub fn into_owned(self) -> PacketOut {
        PacketOut {
            buffer_id: self.buffer_id,
            in_port: self.in_port,
            actions: self.actions.into_owned(),
            data: self.data.to_vec(),
        }
    }

    #[inline]
    fn decode_body(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let buffer_id = r.u32("ofp_packet_out.buffer_id")?;
        let in_port = r.u32("ofp_packet_out.in_port")?;
        let len_offset = r.offset();
        let actions_len = usize::from(r.u16("ofp_packet_out.actions_len")?);
        r.skip("ofp_packet_out.pad", 6)?;
        if actions_len > r.remaining() {
            return Err(DecodeError::BadLength {
                what: "ofp_packet_out.actions_len",
                offset: len_offset,
                expected: format!("<= {}", r.remaining()),
                found: actions_len,
            });
        }
        let mut actions = r.sub("ofp_packet_out.actions", actions_len)?;
        let actions = decode_actions(&mut actions)?;
        Ok(PacketOutRef {
            buffer_id,
            in_port,
            actions: Cow::Owned(actions),
            data: r.take_rest(),
        })
    }

    fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let len_at = w.pos() + 8;
        let fixed = Fixed::<OFP_PACKET_OUT_FIXED_LEN>::new()
            .put(&self.buffer_id.to_be_bytes())
            .put(&self.in_port.to_be_bytes())
            .zeros(8);
        w.padded(fixed.bytes(), &[("ofp_packet_out.pad", 10..16)]);
        let start = w.pos();
        encode_actions(&self.actions, w)?;
        w.patch_len16("ofp_packet_out.actions_len", len_at, start)?;
        w.bytes(self.data);
        Ok(())
    }
}

impl PacketOut {
    /// A borrowed view of this PACKET_OUT (nothing is copied).
    pub fn view(&self) -> PacketOutRef<'_> {
        PacketOutRef {
            buffer_id: self.buffer_id,
            in_port: self.in_port,
            actions: Cow::Borrowed(&self.actions),
            data: &self.data,
        }
    }

    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        PacketOutRef::decode_body(r).map(PacketOutRef::into_owned)
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        self.view().encode_body(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::{body_round_trip, load};
    use crate::strategies::{arb_actions, arb_bytes};
    use crate::{Message, OfMessage};
    use proptest::prelude::*;

    /// `bytes`, one whole PACKET_OUT, decodes to the same value borrowed and owned, the
    /// borrowed packet lies inside `bytes`, and the view re-encodes to `bytes`.
    fn check_view(bytes: &[u8]) {
        let owned = OfMessage::decode(bytes).unwrap();
        let Message::PacketOut(pout) = &owned.msg else {
            panic!("not a PACKET_OUT: {owned}");
        };
        let (xid, view) = PacketOutRef::decode_message(bytes).unwrap();
        assert_eq!((xid, &view), (owned.xid, &pout.view()));
        assert_eq!(
            view.data.as_ptr_range().end,
            bytes.as_ptr_range().end,
            "packet not copied"
        );
        let mut out = vec![0xee];
        view.encode_message(xid, &mut out).unwrap();
        assert_eq!(&out[1..], bytes);
        assert_eq!(view.into_owned(), *pout);
    }

    #[test]
    fn borrowed_view_of_ryu_vectors() {
        for name in [
            "4-1-ofp_packet_out.packet",
            "libofproto-OFP13-ofp_packet_out_packet_library.packet",
        ] {
            if let Some(bytes) = load(name) {
                check_view(&bytes);
            }
        }
    }

    #[test]
    fn borrowed_view_refuses_other_types_and_leaves_output_alone_on_error() {
        let barrier = OfMessage::new(1, Message::BarrierRequest).to_vec().unwrap();
        assert!(matches!(
            PacketOutRef::decode_message(&barrier),
            Err(DecodeError::BadValue {
                field: "ofp_header.type",
                offset: 1,
                ..
            })
        ));
        // An experimenter action whose data is not a multiple of 8 bytes cannot encode.
        let actions = [Action::Experimenter {
            experimenter: 0x2320,
            data: vec![1, 2, 3],
        }];
        let out = PacketOutRef {
            buffer_id: 0,
            in_port: 1,
            actions: Cow::Borrowed(&actions),
            data: &[9; 10],
        };
        let mut wire = vec![7];
        assert!(out.encode_message(5, &mut wire).is_err());
        assert_eq!(wire, [7]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn borrowed_and_owned_agree(
            xid in any::<u32>(),
            buffer_id in any::<u32>(),
            in_port in any::<u32>(),
            actions in arb_actions(),
            data in arb_bytes(96),
        ) {
            let pout = PacketOut { buffer_id, in_port, actions, data };
            check_view(&OfMessage::new(xid, Message::PacketOut(pout)).to_vec().unwrap());
        }
    }

    #[test]
    fn golden_and_errors() {
        let p = PacketOut {
            buffer_id: 0xffff_ffff,
            in_port: 0xffff_fffd,
            actions: vec![Action::output(1)],
            data: vec![1, 2, 3],
        };
        let b = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 16, 0, 0, 0, 0, 0, 0, // fixed
            0, 0, 0, 16, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0, // output:1
            1, 2, 3,
        ];
        let mut v = Vec::new();
        p.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, b);
        assert_eq!(PacketOut::decode_body(&mut Reader::with_base(&b, 8)), Ok(p));
        // actions_len larger than the body.
        let mut bad = b;
        bad[9] = 200;
        assert_eq!(
            PacketOut::decode_body(&mut Reader::with_base(&bad, 8)),
            Err(DecodeError::BadLength {
                what: "ofp_packet_out.actions_len",
                offset: 16,
                expected: "<= 19".into(),
                found: 200
            })
        );
    }

    #[test]
    fn ryu_vectors() {
        for name in [
            "4-1-ofp_packet_out.packet",
            "libofproto-OFP13-ofp_packet_out_packet_library.packet",
        ] {
            body_round_trip(name, 13, PacketOut::decode_body, PacketOut::encode_body);
        }
    }
}
