//! Groups: `OFPT_GROUP_MOD` (OpenFlow 1.3.5 §7.3.4.3) with its buckets, and the group
//! multipart bodies: group statistics (§7.3.5.9), group description (§7.3.5.10) and group
//! features (§7.3.5.11).

use crate::Action;
use crate::action::{PortNo, fmt_actions};
use crate::action::{decode_actions, encode_actions};
use crate::error::{DecodeError, EncodeError};
use crate::items;
use crate::wire::{Reader, Writer};
use crate::wire_enum::wire_enum;
use std::fmt;

/// Size of the fixed part of `ofp_bucket`.
pub const OFP_BUCKET_LEN: usize = 16;
/// Size of the fixed part of `ofp_group_mod` (after the 8-byte header).
pub const GROUP_MOD_FIXED_LEN: usize = 8;
/// Size of the fixed part of `ofp_group_stats`.
pub const OFP_GROUP_STATS_LEN: usize = 40;
/// Size of `ofp_bucket_counter`.
pub const OFP_BUCKET_COUNTER_LEN: usize = 16;
/// Size of the fixed part of `ofp_group_desc`.
pub const OFP_GROUP_DESC_LEN: usize = 8;
/// Size of `ofp_group_features`.
pub const OFP_GROUP_FEATURES_LEN: usize = 40;
/// Size of the group stats request body (`ofp_group_stats_request`).
pub const GROUP_STATS_REQUEST_LEN: usize = 8;

/// Group numbers (`ofp_group`, §7.3.4.3).
pub mod group_id {
    /// `OFPG_MAX`: the largest group number.
    pub const MAX: u32 = 0xffff_ff00;
    /// `OFPG_ALL`: every group (group delete and stats requests).
    pub const ALL: u32 = 0xffff_fffc;
    /// `OFPG_ANY`: wildcard group (flow filters) and "no group" for `watch_group`.
    pub const ANY: u32 = crate::flow_mod::OFPG_ANY;
}

/// `ofp_group_capabilities` bits (§7.3.5.11).
pub mod group_capabilities {
    /// `OFPGFC_SELECT_WEIGHT`: select groups support weights.
    pub const SELECT_WEIGHT: u32 = 1 << 0;
    /// `OFPGFC_SELECT_LIVENESS`: select groups support liveness.
    pub const SELECT_LIVENESS: u32 = 1 << 1;
    /// `OFPGFC_CHAINING`: groups may point to groups.
    pub const CHAINING: u32 = 1 << 2;
    /// `OFPGFC_CHAINING_CHECKS`: the switch checks chaining for loops and deletes.
    pub const CHAINING_CHECKS: u32 = 1 << 3;
}

wire_enum! {
    /// `ofp_group_mod_command` (§7.3.4.3).
    pub enum GroupModCommand: u16 {
        /// `OFPGC_ADD`: new group.
        Add = 0 => "add",
        /// `OFPGC_MODIFY`: modify all matching groups.
        Modify = 1 => "modify",
        /// `OFPGC_DELETE`: delete all matching groups.
        Delete = 2 => "delete",
    }
}

wire_enum! {
    /// `ofp_group_type` (§7.3.4.3).
    pub enum GroupType: u8 {
        /// `OFPGT_ALL`: all buckets (multicast/broadcast).
        All = 0 => "all",
        /// `OFPGT_SELECT`: one bucket (multipath).
        Select = 1 => "select",
        /// `OFPGT_INDIRECT`: the single bucket.
        Indirect = 2 => "indirect",
        /// `OFPGT_FF`: the first live bucket (fast failover).
        FastFailover = 3 => "ff",
    }
}

/// `ofp_bucket` (§7.3.4.3): one action bucket of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Bucket {
    /// Relative weight (select groups only, otherwise 0).
    pub weight: u16,
    /// Port whose liveness decides whether the bucket is live (fast-failover groups;
    /// [`crate::port::port_no::ANY`] otherwise).
    pub watch_port: u32,
    /// Group whose liveness decides whether the bucket is live ([`group_id::ANY`] when
    /// unused).
    pub watch_group: u32,
    /// The bucket's action set.
    pub actions: Vec<Action>,
}

impl Bucket {
    /// A bucket with the given actions, weight 0 and no watch port/group (the form used
    /// by `all` and `indirect` groups).
    pub fn new(actions: Vec<Action>) -> Self {
        Bucket {
            weight: 0,
            watch_port: crate::port::port_no::ANY,
            watch_group: group_id::ANY,
            actions,
        }
    }

    /// Decode one bucket (its `len` field bounds the action list).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut b = items::take_item(r, "ofp_bucket", 0, OFP_BUCKET_LEN)?;
        b.skip("ofp_bucket.len", 2)?;
        let weight = b.u16("ofp_bucket.weight")?;
        let watch_port = b.u32("ofp_bucket.watch_port")?;
        let watch_group = b.u32("ofp_bucket.watch_group")?;
        b.skip("ofp_bucket.pad", 4)?;
        Ok(Bucket {
            weight,
            watch_port,
            watch_group,
            actions: decode_actions(&mut b)?,
        })
    }

    /// Encode the bucket, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(0);
        w.u16(self.weight);
        w.u32(self.watch_port);
        w.u32(self.watch_group);
        w.pad("ofp_bucket.pad", 4);
        encode_actions(&self.actions, w)?;
        w.patch_len16("ofp_bucket", start, start)
    }

    fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Self>, DecodeError> {
        items::list(r, "ofp_bucket", Bucket::decode)
    }

    fn encode_list(buckets: &[Self], w: &mut Writer<'_>) -> Result<(), EncodeError> {
        items::encode_all(buckets, w, Bucket::encode)
    }
}

/// `OFPT_GROUP_MOD` body (`ofp_group_mod`, §7.3.4.3): add, modify or delete a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupMod {
    /// What to do.
    pub command: GroupModCommand,
    /// Kind of group.
    pub group_type: GroupType,
    /// Group number ([`group_id::ALL`] with delete removes every group).
    pub group_id: u32,
    /// The buckets (empty for delete).
    pub buckets: Vec<Bucket>,
}

impl GroupMod {
    /// Decode the body (after the 8-byte header).
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let command = GroupModCommand::from_wire(r.u16("ofp_group_mod.command")?);
        let group_type = GroupType::from_wire(r.u8("ofp_group_mod.type")?);
        r.skip("ofp_group_mod.pad", 1)?;
        let group_id = r.u32("ofp_group_mod.group_id")?;
        Ok(GroupMod {
            command,
            group_type,
            group_id,
            buckets: Bucket::decode_list(r)?,
        })
    }

    /// Encode the body.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u16(self.command.to_wire());
        w.u8(self.group_type.to_wire());
        w.pad("ofp_group_mod.pad", 1);
        w.u32(self.group_id);
        Bucket::encode_list(&self.buckets, w)
    }
}

/// `ofp_group_stats_request` (§7.3.5.9): the body of an `OFPMP_GROUP` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupStatsRequest {
    /// The group to report, or [`group_id::ALL`].
    pub group_id: u32,
}

impl GroupStatsRequest {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_group_stats_request", GROUP_STATS_REQUEST_LEN)?;
        let group_id = r.u32("ofp_group_stats_request.group_id")?;
        r.skip("ofp_group_stats_request.pad", 4)?;
        Ok(GroupStatsRequest { group_id })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.group_id);
        w.pad("ofp_group_stats_request.pad", 4);
    }
}

/// `ofp_bucket_counter` (§7.3.5.9): counters of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct BucketCounter {
    /// Packets processed by the bucket.
    pub packet_count: u64,
    /// Bytes processed by the bucket.
    pub byte_count: u64,
}

/// `ofp_group_stats` (§7.3.5.9): one entry of an `OFPMP_GROUP` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupStats {
    /// Group number.
    pub group_id: u32,
    /// Flow entries or groups forwarding to this group.
    pub ref_count: u32,
    /// Packets processed by the group.
    pub packet_count: u64,
    /// Bytes processed by the group.
    pub byte_count: u64,
    /// Time the group has been alive, seconds part.
    pub duration_sec: u32,
    /// Time the group has been alive beyond `duration_sec`, nanoseconds.
    pub duration_nsec: u32,
    /// One counter per bucket.
    pub bucket_stats: Vec<BucketCounter>,
}

impl GroupStats {
    /// Decode one entry (its `length` field bounds the bucket counters).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut g = items::take_item(r, "ofp_group_stats", 0, OFP_GROUP_STATS_LEN)?;
        g.skip("ofp_group_stats.length", 2)?;
        g.skip("ofp_group_stats.pad", 2)?;
        let group_id = g.u32("ofp_group_stats.group_id")?;
        let ref_count = g.u32("ofp_group_stats.ref_count")?;
        g.skip("ofp_group_stats.pad2", 4)?;
        Ok(GroupStats {
            group_id,
            ref_count,
            packet_count: g.u64("ofp_group_stats.packet_count")?,
            byte_count: g.u64("ofp_group_stats.byte_count")?,
            duration_sec: g.u32("ofp_group_stats.duration_sec")?,
            duration_nsec: g.u32("ofp_group_stats.duration_nsec")?,
            bucket_stats: items::list(&mut g, "ofp_bucket_counter", |g| {
                let mut c = g.sub("ofp_bucket_counter", OFP_BUCKET_COUNTER_LEN)?;
                Ok(BucketCounter {
                    packet_count: c.u64("ofp_bucket_counter.packet_count")?,
                    byte_count: c.u64("ofp_bucket_counter.byte_count")?,
                })
            })?,
        })
    }

    /// Encode the entry, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(0);
        w.pad("ofp_group_stats.pad", 2);
        w.u32(self.group_id);
        w.u32(self.ref_count);
        w.pad("ofp_group_stats.pad2", 4);
        w.u64(self.packet_count);
        w.u64(self.byte_count);
        w.u32(self.duration_sec);
        w.u32(self.duration_nsec);
        for c in &self.bucket_stats {
            w.u64(c.packet_count);
            w.u64(c.byte_count);
        }
        w.patch_len16("ofp_group_stats", start, start)
    }
}

/// `ofp_group_desc` (§7.3.5.10): one entry of an `OFPMP_GROUP_DESC` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupDesc {
    /// Kind of group.
    pub group_type: GroupType,
    /// Group number.
    pub group_id: u32,
    /// The buckets.
    pub buckets: Vec<Bucket>,
}

impl GroupDesc {
    /// Decode one entry (its `length` field bounds the buckets).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut g = items::take_item(r, "ofp_group_desc", 0, OFP_GROUP_DESC_LEN)?;
        g.skip("ofp_group_desc.length", 2)?;
        let group_type = GroupType::from_wire(g.u8("ofp_group_desc.type")?);
        g.skip("ofp_group_desc.pad", 1)?;
        let group_id = g.u32("ofp_group_desc.group_id")?;
        Ok(GroupDesc {
            group_type,
            group_id,
            buckets: Bucket::decode_list(&mut g)?,
        })
    }

    /// Encode the entry, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(0);
        w.u8(self.group_type.to_wire());
        w.pad("ofp_group_desc.pad", 1);
        w.u32(self.group_id);
        Bucket::encode_list(&self.buckets, w)?;
        w.patch_len16("ofp_group_desc", start, start)
    }
}

/// `ofp_group_features` (§7.3.5.11): the body of an `OFPMP_GROUP_FEATURES` reply.
///
/// The four-element arrays are indexed by group type (`all`, `select`, `indirect`,
/// `fast failover`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct GroupFeatures {
    /// Bitmap of supported group types (`1 << OFPGT_*`).
    pub types: u32,
    /// `OFPGFC_*` bits, see [`group_capabilities`].
    pub capabilities: u32,
    /// Maximum number of groups of each type.
    pub max_groups: [u32; 4],
    /// Bitmaps of supported actions (`1 << OFPAT_*`) per group type.
    pub actions: [u32; 4],
}

impl GroupFeatures {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_group_features", OFP_GROUP_FEATURES_LEN)?;
        let types = r.u32("ofp_group_features.types")?;
        let capabilities = r.u32("ofp_group_features.capabilities")?;
        let mut max_groups = [0u32; 4];
        for m in &mut max_groups {
            *m = r.u32("ofp_group_features.max_groups")?;
        }
        let mut actions = [0u32; 4];
        for a in &mut actions {
            *a = r.u32("ofp_group_features.actions")?;
        }
        Ok(GroupFeatures {
            types,
            capabilities,
            max_groups,
            actions,
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.types);
        w.u32(self.capabilities);
        self.max_groups.iter().for_each(|&m| w.u32(m));
        self.actions.iter().for_each(|&a| w.u32(a));
    }
}

impl fmt::Display for Bucket {
    /// `weight:1,watch_port:1,watch_group:any,actions=output:2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "weight:{},watch_port:{},",
            self.weight,
            PortNo(self.watch_port)
        )?;
        match self.watch_group {
            group_id::ANY => f.write_str("watch_group:any,actions=")?,
            g => write!(f, "watch_group:{g},actions=")?,
        }
        fmt_actions(f, &self.actions)
    }
}

/// ` bucket=...` for each bucket.
fn fmt_buckets(f: &mut fmt::Formatter<'_>, buckets: &[Bucket]) -> fmt::Result {
    buckets.iter().try_for_each(|b| write!(f, " bucket={b}"))
}

impl fmt::Display for GroupMod {
    /// `add group_id=1 type=all bucket=weight:0,...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} group_id={} type={}",
            self.command, self.group_id, self.group_type
        )?;
        fmt_buckets(f, &self.buckets)
    }
}

impl fmt::Display for GroupStats {
    /// `group_id=1 ref_count=2 packets=123 bytes=12345 duration=9.609036000s
    /// buckets=234/2345`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "group_id={} ref_count={} packets={} bytes={} duration={}.{:09}s buckets=",
            self.group_id,
            self.ref_count,
            self.packet_count,
            self.byte_count,
            self.duration_sec,
            self.duration_nsec
        )?;
        for (i, c) in self.bucket_stats.iter().enumerate() {
            let sep = if i > 0 { "," } else { "" };
            write!(f, "{sep}{}/{}", c.packet_count, c.byte_count)?;
        }
        Ok(())
    }
}

impl fmt::Display for GroupDesc {
    /// `group_id=1 type=all bucket=...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "group_id={} type={}", self.group_id, self.group_type)?;
        fmt_buckets(f, &self.buckets)
    }
}

impl fmt::Display for GroupFeatures {
    /// `types=0xf capabilities=0x5 max_groups=16777216,... actions=0x3ff9801,...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [g0, g1, g2, g3] = self.max_groups;
        let [a0, a1, a2, a3] = self.actions;
        write!(
            f,
            "types={:#x} capabilities={:#x} max_groups={g0},{g1},{g2},{g3} \
             actions={a0:#x},{a1:#x},{a2:#x},{a3:#x}",
            self.types, self.capabilities
        )
    }
}

/// Proptest generators for the group types.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use crate::strategies::arb_actions;
    use proptest::collection::vec;
    use proptest::prelude::*;

    pub(crate) fn arb_bucket() -> impl Strategy<Value = Bucket> {
        (any::<u16>(), any::<u32>(), any::<u32>(), arb_actions()).prop_map(
            |(weight, watch_port, watch_group, actions)| Bucket {
                weight,
                watch_port,
                watch_group,
                actions,
            },
        )
    }

    pub(crate) fn arb_buckets() -> impl Strategy<Value = Vec<Bucket>> {
        vec(arb_bucket(), 0..4)
    }

    pub(crate) fn arb_group_stats() -> impl Strategy<Value = GroupStats> {
        (
            any::<[u32; 4]>(),
            any::<[u64; 2]>(),
            vec(any::<[u64; 2]>(), 0..5),
        )
            .prop_map(|(a, b, counters)| GroupStats {
                group_id: a[0],
                ref_count: a[1],
                packet_count: b[0],
                byte_count: b[1],
                duration_sec: a[2],
                duration_nsec: a[3],
                bucket_stats: counters
                    .into_iter()
                    .map(|[packet_count, byte_count]| BucketCounter {
                        packet_count,
                        byte_count,
                    })
                    .collect(),
            })
    }

    pub(crate) fn arb_group_desc() -> impl Strategy<Value = GroupDesc> {
        (any::<u8>(), any::<u32>(), arb_buckets()).prop_map(|(t, group_id, buckets)| GroupDesc {
            group_type: GroupType::from_wire(t),
            group_id,
            buckets,
        })
    }

    pub(crate) fn arb_group_features() -> impl Strategy<Value = GroupFeatures> {
        (any::<[u32; 2]>(), any::<[u32; 4]>(), any::<[u32; 4]>()).prop_map(
            |(tc, max_groups, actions)| GroupFeatures {
                types: tc[0],
                capabilities: tc[1],
                max_groups,
                actions,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::ryu_vectors::{body_round_trip, decodable_prefixes, decode_at8, encode_vec};
    use proptest::prelude::*;

    const OFPT_GROUP_MOD: u8 = 15;

    #[test]
    fn ryu_group_mod_vector() {
        let Some(gm) = body_round_trip(
            "4-21-ofp_group_mod.packet",
            OFPT_GROUP_MOD,
            GroupMod::decode_body,
            GroupMod::encode_body,
        ) else {
            return;
        };
        assert_eq!(gm.command, GroupModCommand::Add);
        assert_eq!(gm.group_type, GroupType::All);
        assert_eq!(gm.group_id, 1);
        assert_eq!(gm.buckets.len(), 1);
        let b = &gm.buckets[0];
        assert_eq!((b.weight, b.watch_port, b.watch_group), (1, 1, 1));
        assert_eq!(
            b.actions,
            vec![Action::Output {
                port: 2,
                max_len: 0xffff
            }]
        );
    }

    /// Hand-written from the §7.3.4.3 layout: a select group with one weighted bucket.
    #[test]
    fn golden_group_mod() {
        let gm = GroupMod {
            command: GroupModCommand::Modify,
            group_type: GroupType::Select,
            group_id: 0x0102_0304,
            buckets: vec![Bucket {
                weight: 5,
                ..Bucket::new(vec![Action::Group(9)])
            }],
        };
        let bytes = encode_vec(&gm, GroupMod::encode_body).unwrap();
        #[rustfmt::skip]
        let expect = [
            0, 1, 1, 0, 1, 2, 3, 4,
            0, 24, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
            0, 22, 0, 8, 0, 0, 0, 9,
        ];
        assert_eq!(bytes, expect);
        assert_eq!(decode_at8(&bytes, GroupMod::decode_body).unwrap(), gm);
        // Cuts inside the fixed part or inside the bucket fail; only the cut right after
        // the fixed part (no buckets) is a valid group mod.
        assert_eq!(decodable_prefixes(&bytes, GroupMod::decode_body), vec![8]);
    }

    #[test]
    fn display() {
        let gm = GroupMod {
            command: GroupModCommand::Add,
            group_type: GroupType::FastFailover,
            group_id: 3,
            buckets: vec![
                Bucket {
                    watch_port: 2,
                    ..Bucket::new(vec![Action::output(2)])
                },
                Bucket::new(vec![]),
            ],
        };
        assert_eq!(
            gm.to_string(),
            "add group_id=3 type=ff bucket=weight:0,watch_port:2,watch_group:any,actions=output:2 \
             bucket=weight:0,watch_port:any,watch_group:any,actions=drop"
        );
        let gs = GroupStats {
            group_id: 1,
            duration_nsec: 5,
            bucket_stats: vec![BucketCounter::default(); 2],
            ..GroupStats::default()
        };
        assert_eq!(
            gs.to_string(),
            "group_id=1 ref_count=0 packets=0 bytes=0 duration=0.000000005s buckets=0/0,0/0"
        );
        assert_eq!(
            GroupFeatures::default().to_string(),
            "types=0x0 capabilities=0x0 max_groups=0,0,0,0 actions=0x0,0x0,0x0,0x0"
        );
    }

    #[test]
    fn bad_bucket_lengths() {
        // Bucket len 8 < 16.
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0];
        let e = decode_at8(&bytes, GroupMod::decode_body).unwrap_err();
        assert_eq!(
            e,
            DecodeError::BadLength {
                what: "ofp_bucket",
                offset: 16,
                expected: ">= 16".into(),
                found: 8
            }
        );
        // Bucket len 0x100 beyond the 8 bytes present.
        bytes[8] = 1;
        bytes[9] = 0;
        let e = decode_at8(&bytes, GroupMod::decode_body).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::BadLength {
                offset: 16,
                found: 256,
                ..
            }
        ));
    }

    #[test]
    fn bucket_longer_than_its_length_field_is_an_encode_error() {
        // 4094 output actions of 16 bytes fit a bucket (16 + 65504 bytes); 4095 do not.
        let bucket = |n| Bucket::new(vec![Action::output(1); n]);
        let bytes = encode_vec(&bucket(4094), Bucket::encode).unwrap();
        assert_eq!(bytes.len(), 65520);
        assert_eq!(&bytes[..2], &[0xff, 0xf0]);
        assert_eq!(
            encode_vec(&bucket(4095), Bucket::encode).unwrap_err(),
            EncodeError::TooLong {
                what: "ofp_bucket",
                len: 65536,
                max: 65535
            }
        );
    }

    #[test]
    fn group_stats_counter_leftover_is_an_error() {
        let gs = GroupStats {
            bucket_stats: vec![BucketCounter::default()],
            ..GroupStats::default()
        };
        let mut bytes = encode_vec(&gs, GroupStats::encode).unwrap();
        assert_eq!(bytes.len(), 56);
        // Claim 48 bytes: 8 bytes of a 16-byte counter.
        bytes[1] = 48;
        bytes.truncate(48);
        let e = decode_at8(&bytes, GroupStats::decode).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "ofp_bucket_counter",
                offset: 8 + 40,
                needed: 16,
                available: 8
            }
        );
    }

    #[test]
    fn fixed_bodies_reject_wrong_sizes() {
        let f = GroupFeatures::default();
        let bytes = encode_vec(&f, |f, w| {
            f.encode(w);
            Ok(())
        })
        .unwrap();
        assert_eq!(bytes.len(), OFP_GROUP_FEATURES_LEN);
        assert!(decodable_prefixes(&bytes, GroupFeatures::decode).is_empty());
        let mut long = bytes.clone();
        long.extend_from_slice(&[0; 8]);
        assert!(matches!(
            decode_at8(&long, GroupFeatures::decode),
            Err(DecodeError::BadLength { found: 48, .. })
        ));
        assert!(matches!(
            decode_at8(&[0; 12], GroupStatsRequest::decode),
            Err(DecodeError::BadLength {
                offset: 8,
                found: 12,
                ..
            })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn group_mod_round_trips(cmd in any::<u16>(), t in any::<u8>(), id in any::<u32>(), buckets in arb_buckets()) {
            let gm = GroupMod {
                command: GroupModCommand::from_wire(cmd),
                group_type: GroupType::from_wire(t),
                group_id: id,
                buckets,
            };
            let bytes = encode_vec(&gm, GroupMod::encode_body).unwrap();
            prop_assert_eq!(decode_at8(&bytes, GroupMod::decode_body).unwrap(), gm);
        }

        #[test]
        fn group_stats_round_trip(gs in arb_group_stats()) {
            let bytes = encode_vec(&gs, GroupStats::encode).unwrap();
            prop_assert_eq!(bytes.len(), 40 + 16 * gs.bucket_stats.len());
            prop_assert_eq!(decode_at8(&bytes, GroupStats::decode).unwrap(), gs);
        }

        #[test]
        fn group_desc_round_trips(gd in arb_group_desc()) {
            let bytes = encode_vec(&gd, GroupDesc::encode).unwrap();
            prop_assert_eq!(decode_at8(&bytes, GroupDesc::decode).unwrap(), gd);
        }

        #[test]
        fn group_features_round_trip(gf in arb_group_features()) {
            let bytes = encode_vec(&gf, |f, w| { f.encode(w); Ok(()) }).unwrap();
            prop_assert_eq!(decode_at8(&bytes, GroupFeatures::decode).unwrap(), gf);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
            let _ = decode_at8(&bytes, GroupMod::decode_body);
            let _ = decode_at8(&bytes, GroupStats::decode);
            let _ = decode_at8(&bytes, GroupDesc::decode);
        }
    }
}
