//! `OFPT_FLOW_REMOVED` (OpenFlow 1.3.5 §7.4.2): `ofp_flow_removed`.

use crate::error::{DecodeError, EncodeError};
use crate::flow_match::Match;
use crate::wire::{Reader, Writer};
use crate::wire_enum::wire_enum;

wire_enum! {
    /// `ofp_flow_removed_reason`.
    pub enum FlowRemovedReason: u8 {
        /// `OFPRR_IDLE_TIMEOUT`.
        IdleTimeout = 0 => "idle_timeout",
        /// `OFPRR_HARD_TIMEOUT`.
        HardTimeout = 1 => "hard_timeout",
        /// `OFPRR_DELETE`: evicted by a DELETE flow mod.
        Delete = 2 => "delete",
        /// `OFPRR_GROUP_DELETE`: its group was removed.
        GroupDelete = 3 => "group_delete",
    }
}

/// The body of an `OFPT_FLOW_REMOVED`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowRemoved {
    /// Cookie of the removed entry.
    pub cookie: u64,
    /// Its priority.
    pub priority: u16,
    /// Why it was removed.
    pub reason: FlowRemovedReason,
    /// Its table.
    pub table_id: u8,
    /// Seconds it was alive.
    pub duration_sec: u32,
    /// Nanoseconds alive beyond `duration_sec`.
    pub duration_nsec: u32,
    /// Its idle timeout.
    pub idle_timeout: u16,
    /// Its hard timeout.
    pub hard_timeout: u16,
    /// Packets it matched.
    pub packet_count: u64,
    /// Bytes it matched.
    pub byte_count: u64,
    /// Its match.
    #[cfg_attr(feature = "serde", serde(rename = "match"))]
    pub match_: Match,
}

impl FlowRemoved {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(FlowRemoved {
            cookie: r.u64("ofp_flow_removed.cookie")?,
            priority: r.u16("ofp_flow_removed.priority")?,
            reason: FlowRemovedReason::from_wire(r.u8("ofp_flow_removed.reason")?),
            table_id: r.u8("ofp_flow_removed.table_id")?,
            duration_sec: r.u32("ofp_flow_removed.duration_sec")?,
            duration_nsec: r.u32("ofp_flow_removed.duration_nsec")?,
            idle_timeout: r.u16("ofp_flow_removed.idle_timeout")?,
            hard_timeout: r.u16("ofp_flow_removed.hard_timeout")?,
            packet_count: r.u64("ofp_flow_removed.packet_count")?,
            byte_count: r.u64("ofp_flow_removed.byte_count")?,
            match_: Match::decode(r)?,
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u64(self.cookie);
        w.u16(self.priority);
        w.u8(self.reason.to_wire());
        w.u8(self.table_id);
        w.u32(self.duration_sec);
        w.u32(self.duration_nsec);
        w.u16(self.idle_timeout);
        w.u16(self.hard_timeout);
        w.u64(self.packet_count);
        w.u64(self.byte_count);
        self.match_.encode(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    #[test]
    fn golden_and_truncation() {
        let f = FlowRemoved {
            cookie: 1,
            priority: 2,
            reason: FlowRemovedReason::Delete,
            table_id: 3,
            duration_sec: 4,
            duration_nsec: 5,
            idle_timeout: 6,
            hard_timeout: 7,
            packet_count: 8,
            byte_count: 9,
            match_: Match::new(),
        };
        let mut b = vec![
            0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 6, 0, 7,
        ];
        b.extend(8u64.to_be_bytes());
        b.extend(9u64.to_be_bytes());
        b.extend([0, 1, 0, 4, 0, 0, 0, 0]);
        let mut v = Vec::new();
        f.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, b);
        assert_eq!(
            FlowRemoved::decode_body(&mut Reader::with_base(&b, 8)),
            Ok(f)
        );
        assert!(matches!(
            FlowRemoved::decode_body(&mut Reader::with_base(&b[..40], 8)),
            Err(DecodeError::Truncated {
                what: "ofp_match.type",
                offset: 48,
                ..
            })
        ));
    }

    #[test]
    fn ryu_vectors() {
        for name in [
            "4-40-ofp_flow_removed.packet",
            "libofproto-OFP13-flow_removed.packet",
        ] {
            body_round_trip(name, 11, FlowRemoved::decode_body, FlowRemoved::encode_body);
        }
    }
}
