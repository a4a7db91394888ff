//! `OFPT_PACKET_IN` (OpenFlow 1.3.5 §7.4.1): `ofp_packet_in`.

use crate::error::{DecodeError, EncodeError};
use crate::flow_match::Match;
use crate::wire::{Reader, Writer};
use crate::wire_enum::wire_enum;

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

impl PacketIn {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let buffer_id = r.u32("ofp_packet_in.buffer_id")?;
        let total_len = r.u16("ofp_packet_in.total_len")?;
        let reason = PacketInReason::from_wire(r.u8("ofp_packet_in.reason")?);
        let table_id = r.u8("ofp_packet_in.table_id")?;
        let cookie = r.u64("ofp_packet_in.cookie")?;
        let match_ = Match::decode(r)?;
        r.skip("ofp_packet_in.pad", 2)?;
        Ok(PacketIn {
            buffer_id,
            total_len,
            reason,
            table_id,
            cookie,
            match_,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u32(self.buffer_id);
        w.u16(self.total_len);
        w.u8(self.reason.to_wire());
        w.u8(self.table_id);
        w.u64(self.cookie);
        self.match_.encode(w)?;
        w.pad("ofp_packet_in.pad", 2);
        w.bytes(&self.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Oxm;
    use crate::ryu_vectors::body_round_trip;

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
