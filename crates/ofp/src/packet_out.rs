//! `OFPT_PACKET_OUT` (OpenFlow 1.3.5 §7.3.7): `ofp_packet_out`.

use crate::action::{Action, decode_actions, encode_actions};
use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, Writer};

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

impl PacketOut {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
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
        Ok(PacketOut {
            buffer_id,
            in_port,
            actions,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u32(self.buffer_id);
        w.u32(self.in_port);
        let len_at = w.pos();
        w.u16(0);
        w.pad("ofp_packet_out.pad", 6);
        let start = w.pos();
        encode_actions(&self.actions, w)?;
        w.patch_len16("ofp_packet_out.actions_len", len_at, start)?;
        w.bytes(&self.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

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
