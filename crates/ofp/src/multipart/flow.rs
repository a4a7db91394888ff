//! Flow statistics: `ofp_flow_stats_request` and `ofp_flow_stats` (OpenFlow 1.3.5
//! §7.3.5.2), `ofp_aggregate_stats_request` and `ofp_aggregate_stats_reply` (§7.3.5.3).

use crate::action::PortNo;
use crate::error::{DecodeError, EncodeError};
use crate::instruction::{decode_instructions, encode_instructions};
use crate::items;
use crate::wire::{Fixed, Reader, Writer};
use crate::{Instruction, Match};
use std::fmt;

/// Size of the fixed part of `ofp_flow_stats_request` (before the match).
pub const FLOW_STATS_REQUEST_FIXED_LEN: usize = 32;
/// Size of the fixed part of `ofp_flow_stats` (before the match).
pub const OFP_FLOW_STATS_FIXED_LEN: usize = 48;
/// Size of `ofp_aggregate_stats_reply`.
pub const OFP_AGGREGATE_STATS_REPLY_LEN: usize = 24;

/// `ofp_flow_stats_request` (§7.3.5.2), also the body of `OFPMP_AGGREGATE` requests
/// (`ofp_aggregate_stats_request` has the same layout, §7.3.5.3): which flow entries to
/// report.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowStatsRequest {
    /// Table to read, or `OFPTT_ALL`.
    pub table_id: u8,
    /// Require entries to output to this port (`OFPP_ANY` = no filter).
    pub out_port: u32,
    /// Require entries to output to this group (`OFPG_ANY` = no filter).
    pub out_group: u32,
    /// Require entries to have this cookie (under `cookie_mask`).
    pub cookie: u64,
    /// Cookie bits to compare; 0 = no restriction.
    pub cookie_mask: u64,
    /// Fields to match (non-strict).
    #[cfg_attr(feature = "serde", serde(rename = "match"))]
    pub match_: Match,
}

impl Default for FlowStatsRequest {
    /// Every flow entry of every table.
    fn default() -> Self {
        FlowStatsRequest {
            table_id: crate::flow_mod::OFPTT_ALL,
            out_port: crate::flow_mod::OFPP_ANY,
            out_group: crate::flow_mod::OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            match_: Match::default(),
        }
    }
}

impl FlowStatsRequest {
    /// Decode the request; the match must end the body.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let table_id = r.u8("ofp_flow_stats_request.table_id")?;
        r.skip("ofp_flow_stats_request.pad", 3)?;
        let out_port = r.u32("ofp_flow_stats_request.out_port")?;
        let out_group = r.u32("ofp_flow_stats_request.out_group")?;
        r.skip("ofp_flow_stats_request.pad2", 4)?;
        let req = FlowStatsRequest {
            table_id,
            out_port,
            out_group,
            cookie: r.u64("ofp_flow_stats_request.cookie")?,
            cookie_mask: r.u64("ofp_flow_stats_request.cookie_mask")?,
            match_: Match::decode(r)?,
        };
        items::exact(r, "ofp_flow_stats_request trailing bytes", 0)?;
        Ok(req)
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u8(self.table_id);
        w.pad("ofp_flow_stats_request.pad", 3);
        w.u32(self.out_port);
        w.u32(self.out_group);
        w.pad("ofp_flow_stats_request.pad2", 4);
        w.u64(self.cookie);
        w.u64(self.cookie_mask);
        self.match_.encode(w)
    }
}

/// `ofp_flow_stats` (§7.3.5.2): one flow entry in an `OFPMP_FLOW` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowStats {
    /// Table the entry is in.
    pub table_id: u8,
    /// Time the entry has been alive, seconds part.
    pub duration_sec: u32,
    /// Time the entry has been alive beyond `duration_sec`, nanoseconds.
    pub duration_nsec: u32,
    /// Priority of the entry.
    pub priority: u16,
    /// Idle timeout (seconds).
    pub idle_timeout: u16,
    /// Hard timeout (seconds).
    pub hard_timeout: u16,
    /// `OFPFF_*` flags.
    pub flags: u16,
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// Packets that hit the entry.
    pub packet_count: u64,
    /// Bytes that hit the entry.
    pub byte_count: u64,
    /// The entry's match.
    #[cfg_attr(feature = "serde", serde(rename = "match"))]
    pub match_: Match,
    /// The entry's instructions.
    pub instructions: Vec<Instruction>,
}

impl FlowStats {
    /// Decode one entry (its `length` field bounds the match and instructions).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut f = items::take_item(r, "ofp_flow_stats", 0, OFP_FLOW_STATS_FIXED_LEN)?;
        f.skip("ofp_flow_stats.length", 2)?;
        let table_id = f.u8("ofp_flow_stats.table_id")?;
        f.skip("ofp_flow_stats.pad", 1)?;
        let duration_sec = f.u32("ofp_flow_stats.duration_sec")?;
        let duration_nsec = f.u32("ofp_flow_stats.duration_nsec")?;
        let priority = f.u16("ofp_flow_stats.priority")?;
        let idle_timeout = f.u16("ofp_flow_stats.idle_timeout")?;
        let hard_timeout = f.u16("ofp_flow_stats.hard_timeout")?;
        let flags = f.u16("ofp_flow_stats.flags")?;
        f.skip("ofp_flow_stats.pad2", 4)?;
        Ok(FlowStats {
            table_id,
            duration_sec,
            duration_nsec,
            priority,
            idle_timeout,
            hard_timeout,
            flags,
            cookie: f.u64("ofp_flow_stats.cookie")?,
            packet_count: f.u64("ofp_flow_stats.packet_count")?,
            byte_count: f.u64("ofp_flow_stats.byte_count")?,
            match_: Match::decode(&mut f)?,
            instructions: decode_instructions(&mut f)?,
        })
    }

    /// Encode the entry, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        let fixed = Fixed::<OFP_FLOW_STATS_FIXED_LEN>::new()
            .zeros(2) // length, patched below
            .put(&[self.table_id, 0])
            .put(&self.duration_sec.to_be_bytes())
            .put(&self.duration_nsec.to_be_bytes())
            .put(&self.priority.to_be_bytes())
            .put(&self.idle_timeout.to_be_bytes())
            .put(&self.hard_timeout.to_be_bytes())
            .put(&self.flags.to_be_bytes())
            .zeros(4)
            .put(&self.cookie.to_be_bytes())
            .put(&self.packet_count.to_be_bytes())
            .put(&self.byte_count.to_be_bytes());
        w.padded(
            fixed.bytes(),
            &[
                ("ofp_flow_stats.pad", 3..4),
                ("ofp_flow_stats.pad2", 20..24),
            ],
        );
        self.match_.encode(w)?;
        encode_instructions(&self.instructions, w)?;
        w.patch_len16("ofp_flow_stats", start, start)
    }
}

/// `ofp_aggregate_stats_reply` (§7.3.5.3): the body of an `OFPMP_AGGREGATE` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AggregateStats {
    /// Packets in the matching flows.
    pub packet_count: u64,
    /// Bytes in the matching flows.
    pub byte_count: u64,
    /// Number of matching flows.
    pub flow_count: u32,
}

impl AggregateStats {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(
            r,
            "ofp_aggregate_stats_reply",
            OFP_AGGREGATE_STATS_REPLY_LEN,
        )?;
        let a = AggregateStats {
            packet_count: r.u64("ofp_aggregate_stats_reply.packet_count")?,
            byte_count: r.u64("ofp_aggregate_stats_reply.byte_count")?,
            flow_count: r.u32("ofp_aggregate_stats_reply.flow_count")?,
        };
        r.skip("ofp_aggregate_stats_reply.pad", 4)?;
        Ok(a)
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u64(self.packet_count);
        w.u64(self.byte_count);
        w.u32(self.flow_count);
        w.pad("ofp_aggregate_stats_reply.pad", 4);
    }
}

impl fmt::Display for FlowStatsRequest {
    /// `table=255 out_port=any out_group=4294967295 cookie=0x0/0x0 match=any`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table={} out_port={} out_group={} cookie={:#x}/{:#x} match={}",
            self.table_id,
            PortNo(self.out_port),
            self.out_group,
            self.cookie,
            self.cookie_mask,
            self.match_
        )
    }
}

impl fmt::Display for FlowStats {
    /// `table=0 duration=358.115277000s priority=65535 idle_timeout=0 hard_timeout=0
    /// flags=0x0 cookie=0x0 packets=0 bytes=0 match=any instructions=goto_table:1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table={} duration={}.{:09}s priority={} idle_timeout={} hard_timeout={} \
             flags={:#x} cookie={:#x} packets={} bytes={} match={} instructions=",
            self.table_id,
            self.duration_sec,
            self.duration_nsec,
            self.priority,
            self.idle_timeout,
            self.hard_timeout,
            self.flags,
            self.cookie,
            self.packet_count,
            self.byte_count,
            self.match_
        )?;
        items::fmt_joined(f, &self.instructions, ",")
    }
}

impl fmt::Display for AggregateStats {
    /// `packets=7 bytes=574 flows=6`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "packets={} bytes={} flows={}",
            self.packet_count, self.byte_count, self.flow_count
        )
    }
}

/// Proptest generators.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use crate::strategies::{arb_instructions, arb_match};
    use proptest::prelude::*;

    pub(crate) fn arb_flow_stats_request() -> impl Strategy<Value = FlowStatsRequest> {
        (
            any::<u8>(),
            any::<[u32; 2]>(),
            any::<[u64; 2]>(),
            arb_match(),
        )
            .prop_map(|(table_id, p, c, match_)| FlowStatsRequest {
                table_id,
                out_port: p[0],
                out_group: p[1],
                cookie: c[0],
                cookie_mask: c[1],
                match_,
            })
    }

    pub(crate) fn arb_flow_stats() -> impl Strategy<Value = FlowStats> {
        (
            any::<u8>(),
            any::<[u32; 2]>(),
            any::<[u16; 4]>(),
            any::<[u64; 3]>(),
            arb_match(),
            arb_instructions(),
        )
            .prop_map(|(table_id, d, t, c, match_, instructions)| FlowStats {
                table_id,
                duration_sec: d[0],
                duration_nsec: d[1],
                priority: t[0],
                idle_timeout: t[1],
                hard_timeout: t[2],
                flags: t[3],
                cookie: c[0],
                packet_count: c[1],
                byte_count: c[2],
                match_,
                instructions,
            })
    }

    pub(crate) fn arb_aggregate() -> impl Strategy<Value = AggregateStats> {
        (any::<[u64; 2]>(), any::<u32>()).prop_map(|(c, flow_count)| AggregateStats {
            packet_count: c[0],
            byte_count: c[1],
            flow_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::ryu_vectors::{decodable_prefixes, decode_at8, encode_vec};
    use crate::{Action, Oxm};
    use proptest::prelude::*;

    /// Hand-written from §7.3.5.2: an entry matching in_port=1 with one goto-table.
    #[test]
    fn golden_flow_stats_entry() {
        let fs = FlowStats {
            table_id: 2,
            duration_sec: 3,
            priority: 100,
            cookie: 0xabcd,
            packet_count: 5,
            match_: Match::new().with(Oxm::InPort(1)),
            instructions: vec![Instruction::GotoTable(4)],
            ..FlowStats::default()
        };
        let bytes = encode_vec(&fs, FlowStats::encode).unwrap();
        #[rustfmt::skip]
        let expect = [
            0, 72, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 1, 0, 12, 0x80, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0,
            0, 1, 0, 8, 4, 0, 0, 0,
        ];
        assert_eq!(bytes, expect);
        assert_eq!(decode_at8(&bytes, FlowStats::decode).unwrap(), fs);
        assert!(decodable_prefixes(&bytes, FlowStats::decode).is_empty());
    }

    #[test]
    fn flow_stats_length_errors() {
        let fs = FlowStats {
            instructions: vec![Instruction::ApplyActions(vec![Action::output(1)])],
            ..FlowStats::default()
        };
        let mut bytes = encode_vec(&fs, FlowStats::encode).unwrap();
        // Length 40 < 48.
        bytes[1] = 40;
        assert!(matches!(
            decode_at8(&bytes, FlowStats::decode),
            Err(DecodeError::BadLength {
                what: "ofp_flow_stats",
                offset: 8,
                found: 40,
                ..
            })
        ));
        // Length cutting into the instruction list: the instruction is truncated.
        bytes[1] = 64;
        let e = decode_at8(&bytes[..64], FlowStats::decode).unwrap_err();
        assert!(e.offset() >= 8 + 56 && e.offset() < 8 + 64, "{e}");
    }

    #[test]
    fn flow_stats_request_rejects_trailing_bytes() {
        let req = FlowStatsRequest::default();
        let mut bytes = encode_vec(&req, FlowStatsRequest::encode).unwrap();
        assert_eq!(bytes.len(), 40);
        assert_eq!(decode_at8(&bytes, FlowStatsRequest::decode).unwrap(), req);
        assert!(decodable_prefixes(&bytes, FlowStatsRequest::decode).is_empty());
        bytes.extend_from_slice(&[0; 8]);
        assert!(matches!(
            decode_at8(&bytes, FlowStatsRequest::decode),
            Err(DecodeError::BadLength {
                offset: 48,
                found: 8,
                ..
            })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn request_round_trips(req in arb_flow_stats_request()) {
            let bytes = encode_vec(&req, FlowStatsRequest::encode).unwrap();
            prop_assert_eq!(decode_at8(&bytes, FlowStatsRequest::decode).unwrap(), req);
        }

        #[test]
        fn entry_round_trips(fs in arb_flow_stats()) {
            let bytes = encode_vec(&fs, FlowStats::encode).unwrap();
            prop_assert_eq!(decode_at8(&bytes, FlowStats::decode).unwrap(), fs);
        }

        #[test]
        fn aggregate_round_trips(a in arb_aggregate()) {
            let bytes = encode_vec(&a, |a, w| { a.encode(w); Ok(()) }).unwrap();
            prop_assert_eq!(bytes.len(), OFP_AGGREGATE_STATS_REPLY_LEN);
            prop_assert_eq!(decode_at8(&bytes, AggregateStats::decode).unwrap(), a);
        }
    }
}
