//! Multipart messages (`OFPT_MULTIPART_REQUEST` / `OFPT_MULTIPART_REPLY`, OpenFlow 1.3.5
//! §7.3.5): statistics, descriptions and features, one body type per `OFPMP_*` kind.
//!
//! Every one of the 14 standard kinds has a typed body; `OFPMP_EXPERIMENTER` keeps its
//! experimenter id, type and raw data; any other type code decodes to `Unknown` with the
//! raw body, so all multipart messages round-trip byte for byte (padding is always
//! written as zero).
//!
//! Large replies are split over several messages flagged `OFPMPF_REPLY_MORE`; see
//! [`assemble`] to split a reply and to reassemble the parts.

pub mod assemble;
pub mod desc;
pub mod flow;
pub mod port_stats;
pub mod table_stats;

use crate::error::{DecodeError, EncodeError};
use crate::group::{GroupDesc, GroupFeatures, GroupStats, GroupStatsRequest};
use crate::items;
use crate::meter::{MeterConfig, MeterFeatures, MeterMultipartRequest, MeterStats};
use crate::oxm::hex_bytes;
use crate::port::Port;
use crate::queue::{QueueStats, QueueStatsRequest};
use crate::table_features::TableFeatures;
use crate::wire::{Reader, Writer};
use std::fmt;

pub use assemble::{
    Reassembler, ReassemblyError, ReassemblyLimits, split_reply, split_reply_with_limit,
    split_request, split_request_with_limit,
};
pub use desc::Desc;
pub use flow::{AggregateStats, FlowStats, FlowStatsRequest};
pub use port_stats::{PortStats, PortStatsRequest};
pub use table_stats::TableStats;

/// Size of the multipart header after the 8-byte OpenFlow header (`type`, `flags`,
/// `pad[4]`).
pub const MULTIPART_HEADER_LEN: usize = 8;
/// `OFPMPF_REQ_MORE`: more request parts follow.
pub const OFPMPF_REQ_MORE: u16 = 1;
/// `OFPMPF_REPLY_MORE`: more reply parts follow.
pub const OFPMPF_REPLY_MORE: u16 = 1;

/// `ofp_multipart_type` codes (§7.3.5).
pub mod multipart_type {
    /// `OFPMP_DESC`: switch description.
    pub const DESC: u16 = 0;
    /// `OFPMP_FLOW`: individual flow statistics.
    pub const FLOW: u16 = 1;
    /// `OFPMP_AGGREGATE`: aggregate flow statistics.
    pub const AGGREGATE: u16 = 2;
    /// `OFPMP_TABLE`: flow table statistics.
    pub const TABLE: u16 = 3;
    /// `OFPMP_PORT_STATS`: port statistics.
    pub const PORT_STATS: u16 = 4;
    /// `OFPMP_QUEUE`: queue statistics.
    pub const QUEUE: u16 = 5;
    /// `OFPMP_GROUP`: group counters.
    pub const GROUP: u16 = 6;
    /// `OFPMP_GROUP_DESC`: group descriptions.
    pub const GROUP_DESC: u16 = 7;
    /// `OFPMP_GROUP_FEATURES`: group features.
    pub const GROUP_FEATURES: u16 = 8;
    /// `OFPMP_METER`: meter statistics.
    pub const METER: u16 = 9;
    /// `OFPMP_METER_CONFIG`: meter configuration.
    pub const METER_CONFIG: u16 = 10;
    /// `OFPMP_METER_FEATURES`: meter features.
    pub const METER_FEATURES: u16 = 11;
    /// `OFPMP_TABLE_FEATURES`: table features.
    pub const TABLE_FEATURES: u16 = 12;
    /// `OFPMP_PORT_DESC`: port descriptions.
    pub const PORT_DESC: u16 = 13;
    /// `OFPMP_EXPERIMENTER`.
    pub const EXPERIMENTER: u16 = 0xffff;

    /// The name of a type code (`"FLOW"`, ...), or `None` for codes the spec does not
    /// define.
    pub fn name(code: u16) -> Option<&'static str> {
        Some(match code {
            DESC => "DESC",
            FLOW => "FLOW",
            AGGREGATE => "AGGREGATE",
            TABLE => "TABLE",
            PORT_STATS => "PORT_STATS",
            QUEUE => "QUEUE",
            GROUP => "GROUP",
            GROUP_DESC => "GROUP_DESC",
            GROUP_FEATURES => "GROUP_FEATURES",
            METER => "METER",
            METER_CONFIG => "METER_CONFIG",
            METER_FEATURES => "METER_FEATURES",
            TABLE_FEATURES => "TABLE_FEATURES",
            PORT_DESC => "PORT_DESC",
            EXPERIMENTER => "EXPERIMENTER",
            _ => return None,
        })
    }

    /// Every code with a typed body.
    pub const KNOWN: [u16; 15] = [
        DESC,
        FLOW,
        AGGREGATE,
        TABLE,
        PORT_STATS,
        QUEUE,
        GROUP,
        GROUP_DESC,
        GROUP_FEATURES,
        METER,
        METER_CONFIG,
        METER_FEATURES,
        TABLE_FEATURES,
        PORT_DESC,
        EXPERIMENTER,
    ];

    /// True for the codes with a typed body (0..=13 and 0xffff).
    pub fn is_known(code: u16) -> bool {
        KNOWN.contains(&code)
    }
}

/// `ofp_experimenter_multipart_header` (§7.3.5.15) and its data: the body of an
/// `OFPMP_EXPERIMENTER` request or reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MultipartExperimenter {
    /// Experimenter id.
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Experimenter-defined data, byte for byte.
    pub data: Vec<u8>,
}

impl MultipartExperimenter {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MultipartExperimenter {
            experimenter: r.u32("ofp_experimenter_multipart_header.experimenter")?,
            exp_type: r.u32("ofp_experimenter_multipart_header.exp_type")?,
            data: r.take_rest().to_vec(),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.experimenter);
        w.u32(self.exp_type);
        w.bytes(&self.data);
    }
}

/// The body of a multipart request, one variant per `OFPMP_*` type (§7.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MultipartRequestBody {
    /// `OFPMP_DESC` (§7.3.5.1): empty body.
    Desc,
    /// `OFPMP_FLOW` (§7.3.5.2).
    Flow(FlowStatsRequest),
    /// `OFPMP_AGGREGATE` (§7.3.5.3).
    Aggregate(FlowStatsRequest),
    /// `OFPMP_TABLE` (§7.3.5.4): empty body.
    Table,
    /// `OFPMP_PORT_STATS` (§7.3.5.6).
    PortStats(PortStatsRequest),
    /// `OFPMP_QUEUE` (§7.3.5.8).
    Queue(QueueStatsRequest),
    /// `OFPMP_GROUP` (§7.3.5.9).
    Group(GroupStatsRequest),
    /// `OFPMP_GROUP_DESC` (§7.3.5.10): empty body.
    GroupDesc,
    /// `OFPMP_GROUP_FEATURES` (§7.3.5.11): empty body.
    GroupFeatures,
    /// `OFPMP_METER` (§7.3.5.12).
    Meter(MeterMultipartRequest),
    /// `OFPMP_METER_CONFIG` (§7.3.5.13).
    MeterConfig(MeterMultipartRequest),
    /// `OFPMP_METER_FEATURES` (§7.3.5.14): empty body.
    MeterFeatures,
    /// `OFPMP_TABLE_FEATURES` (§7.3.5.5): empty to query, or the tables to set.
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC` (§7.3.5.7): empty body.
    PortDesc,
    /// `OFPMP_EXPERIMENTER` (§7.3.5.15).
    Experimenter(MultipartExperimenter),
    /// A type code the specification does not define, kept raw.
    Unknown {
        /// The type code (not 0..=13 nor 0xffff).
        mp_type: u16,
        /// The body after the multipart header, byte for byte.
        body: Vec<u8>,
    },
}

/// The body of a multipart reply, one variant per `OFPMP_*` type (§7.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MultipartReplyBody {
    /// `OFPMP_DESC` (§7.3.5.1), boxed: its 1056 bytes of strings would otherwise
    /// make every reply that large.
    Desc(Box<Desc>),
    /// `OFPMP_FLOW` (§7.3.5.2).
    Flow(Vec<FlowStats>),
    /// `OFPMP_AGGREGATE` (§7.3.5.3).
    Aggregate(AggregateStats),
    /// `OFPMP_TABLE` (§7.3.5.4).
    Table(Vec<TableStats>),
    /// `OFPMP_PORT_STATS` (§7.3.5.6).
    PortStats(Vec<PortStats>),
    /// `OFPMP_QUEUE` (§7.3.5.8).
    Queue(Vec<QueueStats>),
    /// `OFPMP_GROUP` (§7.3.5.9).
    Group(Vec<GroupStats>),
    /// `OFPMP_GROUP_DESC` (§7.3.5.10).
    GroupDesc(Vec<GroupDesc>),
    /// `OFPMP_GROUP_FEATURES` (§7.3.5.11).
    GroupFeatures(GroupFeatures),
    /// `OFPMP_METER` (§7.3.5.12).
    Meter(Vec<MeterStats>),
    /// `OFPMP_METER_CONFIG` (§7.3.5.13).
    MeterConfig(Vec<MeterConfig>),
    /// `OFPMP_METER_FEATURES` (§7.3.5.14).
    MeterFeatures(MeterFeatures),
    /// `OFPMP_TABLE_FEATURES` (§7.3.5.5).
    TableFeatures(Vec<TableFeatures>),
    /// `OFPMP_PORT_DESC` (§7.3.5.7).
    PortDesc(Vec<Port>),
    /// `OFPMP_EXPERIMENTER` (§7.3.5.15).
    Experimenter(MultipartExperimenter),
    /// A type code the specification does not define, kept raw.
    Unknown {
        /// The type code (not 0..=13 nor 0xffff).
        mp_type: u16,
        /// The body after the multipart header, byte for byte.
        body: Vec<u8>,
    },
}

/// An empty request body: anything present is an error.
fn empty(r: &Reader<'_>, what: &'static str) -> Result<(), DecodeError> {
    items::exact(r, what, 0)
}

fn reject_known_raw(mp_type: u16) -> Result<(), EncodeError> {
    items::reject_known("ofp_multipart.type", mp_type, &multipart_type::KNOWN)
}

impl MultipartRequestBody {
    /// The `OFPMP_*` type code.
    pub fn mp_type(&self) -> u16 {
        use MultipartRequestBody as B;
        use multipart_type as t;
        match self {
            B::Desc => t::DESC,
            B::Flow(_) => t::FLOW,
            B::Aggregate(_) => t::AGGREGATE,
            B::Table => t::TABLE,
            B::PortStats(_) => t::PORT_STATS,
            B::Queue(_) => t::QUEUE,
            B::Group(_) => t::GROUP,
            B::GroupDesc => t::GROUP_DESC,
            B::GroupFeatures => t::GROUP_FEATURES,
            B::Meter(_) => t::METER,
            B::MeterConfig(_) => t::METER_CONFIG,
            B::MeterFeatures => t::METER_FEATURES,
            B::TableFeatures(_) => t::TABLE_FEATURES,
            B::PortDesc => t::PORT_DESC,
            B::Experimenter(_) => t::EXPERIMENTER,
            B::Unknown { mp_type, .. } => *mp_type,
        }
    }

    fn decode(mp_type: u16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        use MultipartRequestBody as B;
        use multipart_type as t;
        Ok(match mp_type {
            t::DESC => empty(r, "OFPMP_DESC request body").map(|_| B::Desc)?,
            t::FLOW => B::Flow(FlowStatsRequest::decode(r)?),
            t::AGGREGATE => B::Aggregate(FlowStatsRequest::decode(r)?),
            t::TABLE => empty(r, "OFPMP_TABLE request body").map(|_| B::Table)?,
            t::PORT_STATS => B::PortStats(PortStatsRequest::decode(r)?),
            t::QUEUE => B::Queue(QueueStatsRequest::decode(r)?),
            t::GROUP => B::Group(GroupStatsRequest::decode(r)?),
            t::GROUP_DESC => empty(r, "OFPMP_GROUP_DESC request body").map(|_| B::GroupDesc)?,
            t::GROUP_FEATURES => {
                empty(r, "OFPMP_GROUP_FEATURES request body").map(|_| B::GroupFeatures)?
            }
            t::METER => B::Meter(MeterMultipartRequest::decode(r)?),
            t::METER_CONFIG => B::MeterConfig(MeterMultipartRequest::decode(r)?),
            t::METER_FEATURES => {
                empty(r, "OFPMP_METER_FEATURES request body").map(|_| B::MeterFeatures)?
            }
            t::TABLE_FEATURES => {
                B::TableFeatures(items::list(r, "ofp_table_features", TableFeatures::decode)?)
            }
            t::PORT_DESC => empty(r, "OFPMP_PORT_DESC request body").map(|_| B::PortDesc)?,
            t::EXPERIMENTER => B::Experimenter(MultipartExperimenter::decode(r)?),
            mp_type => B::Unknown {
                mp_type,
                body: r.take_rest().to_vec(),
            },
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        use MultipartRequestBody as B;
        match self {
            B::Desc
            | B::Table
            | B::GroupDesc
            | B::GroupFeatures
            | B::MeterFeatures
            | B::PortDesc => {}
            B::Flow(req) | B::Aggregate(req) => req.encode(w)?,
            B::PortStats(req) => req.encode(w),
            B::Queue(req) => req.encode(w),
            B::Group(req) => req.encode(w),
            B::Meter(req) | B::MeterConfig(req) => req.encode(w),
            B::TableFeatures(list) => items::encode_all(list, w, TableFeatures::encode)?,
            B::Experimenter(e) => e.encode(w),
            B::Unknown { mp_type, body } => {
                reject_known_raw(*mp_type)?;
                w.bytes(body);
            }
        }
        Ok(())
    }
}

impl MultipartReplyBody {
    /// The `OFPMP_*` type code.
    pub fn mp_type(&self) -> u16 {
        use MultipartReplyBody as B;
        use multipart_type as t;
        match self {
            B::Desc(_) => t::DESC,
            B::Flow(_) => t::FLOW,
            B::Aggregate(_) => t::AGGREGATE,
            B::Table(_) => t::TABLE,
            B::PortStats(_) => t::PORT_STATS,
            B::Queue(_) => t::QUEUE,
            B::Group(_) => t::GROUP,
            B::GroupDesc(_) => t::GROUP_DESC,
            B::GroupFeatures(_) => t::GROUP_FEATURES,
            B::Meter(_) => t::METER,
            B::MeterConfig(_) => t::METER_CONFIG,
            B::MeterFeatures(_) => t::METER_FEATURES,
            B::TableFeatures(_) => t::TABLE_FEATURES,
            B::PortDesc(_) => t::PORT_DESC,
            B::Experimenter(_) => t::EXPERIMENTER,
            B::Unknown { mp_type, .. } => *mp_type,
        }
    }

    fn decode(mp_type: u16, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        use MultipartReplyBody as B;
        use multipart_type as t;
        Ok(match mp_type {
            t::DESC => B::Desc(Box::new(Desc::decode(r)?)),
            t::FLOW => B::Flow(items::list(r, "ofp_flow_stats", FlowStats::decode)?),
            t::AGGREGATE => B::Aggregate(AggregateStats::decode(r)?),
            t::TABLE => B::Table(items::list(r, "ofp_table_stats", TableStats::decode)?),
            t::PORT_STATS => B::PortStats(items::list(r, "ofp_port_stats", PortStats::decode)?),
            t::QUEUE => B::Queue(items::list(r, "ofp_queue_stats", QueueStats::decode)?),
            t::GROUP => B::Group(items::list(r, "ofp_group_stats", GroupStats::decode)?),
            t::GROUP_DESC => B::GroupDesc(items::list(r, "ofp_group_desc", GroupDesc::decode)?),
            t::GROUP_FEATURES => B::GroupFeatures(GroupFeatures::decode(r)?),
            t::METER => B::Meter(items::list(r, "ofp_meter_stats", MeterStats::decode)?),
            t::METER_CONFIG => {
                B::MeterConfig(items::list(r, "ofp_meter_config", MeterConfig::decode)?)
            }
            t::METER_FEATURES => B::MeterFeatures(MeterFeatures::decode(r)?),
            t::TABLE_FEATURES => {
                B::TableFeatures(items::list(r, "ofp_table_features", TableFeatures::decode)?)
            }
            t::PORT_DESC => B::PortDesc(Port::decode_list(r)?),
            t::EXPERIMENTER => B::Experimenter(MultipartExperimenter::decode(r)?),
            mp_type => B::Unknown {
                mp_type,
                body: r.take_rest().to_vec(),
            },
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        use MultipartReplyBody as B;
        match self {
            B::Desc(d) => d.encode(w),
            B::Flow(list) => items::encode_all(list, w, FlowStats::encode)?,
            B::Aggregate(a) => a.encode(w),
            B::Table(list) => items::encode_all(list, w, items::infallible(TableStats::encode))?,
            B::PortStats(list) => items::encode_all(list, w, items::infallible(PortStats::encode))?,
            B::Queue(list) => items::encode_all(list, w, items::infallible(QueueStats::encode))?,
            B::Group(list) => items::encode_all(list, w, GroupStats::encode)?,
            B::GroupDesc(list) => items::encode_all(list, w, GroupDesc::encode)?,
            B::GroupFeatures(f) => f.encode(w),
            B::Meter(list) => items::encode_all(list, w, MeterStats::encode)?,
            B::MeterConfig(list) => items::encode_all(list, w, MeterConfig::encode)?,
            B::MeterFeatures(f) => f.encode(w),
            B::TableFeatures(list) => items::encode_all(list, w, TableFeatures::encode)?,
            B::PortDesc(list) => items::encode_all(list, w, items::infallible(Port::encode))?,
            B::Experimenter(e) => e.encode(w),
            B::Unknown { mp_type, body } => {
                reject_known_raw(*mp_type)?;
                w.bytes(body);
            }
        }
        Ok(())
    }
}

/// Read the 8-byte multipart header: `(type, flags)`.
fn decode_header(r: &mut Reader<'_>, what: &'static str) -> Result<(u16, u16), DecodeError> {
    let mut h = r.sub(what, MULTIPART_HEADER_LEN)?;
    let mp_type = h.u16("ofp_multipart.type")?;
    let flags = h.u16("ofp_multipart.flags")?;
    Ok((mp_type, flags))
}

fn encode_header(w: &mut Writer<'_>, mp_type: u16, flags: u16) {
    w.u16(mp_type);
    w.u16(flags);
    w.pad("ofp_multipart.pad", 4);
}

/// Defines `MultipartRequest` and `MultipartReply`: the same header (type, flags, pad)
/// in front of a different body enum.
macro_rules! multipart_message {
    (
        $(#[$meta:meta])*
        $name:ident, $body:ident, $more:ident, $more_doc:literal, $what:literal
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name {
            #[doc = $more_doc]
            pub flags: u16,
            /// The typed body.
            pub body: $body,
        }

        impl $name {
            /// A single-part message (no flags).
            pub fn new(body: $body) -> Self {
                $name { flags: 0, body }
            }

            /// The `OFPMP_*` type code.
            pub fn mp_type(&self) -> u16 {
                self.body.mp_type()
            }

            #[doc = concat!("True when `", stringify!($more), "` is set (more parts follow).")]
            pub fn more(&self) -> bool {
                self.flags & $more != 0
            }

            /// Decode the body (after the 8-byte OpenFlow header).
            pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                let (mp_type, flags) = decode_header(r, $what)?;
                Ok($name {
                    flags,
                    body: $body::decode(mp_type, r)?,
                })
            }

            /// Encode the body.
            pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
                encode_header(w, self.body.mp_type(), self.flags);
                self.body.encode(w)
            }
        }
    };
}

multipart_message!(
    /// `OFPT_MULTIPART_REQUEST` body (`ofp_multipart_request`, §7.3.5).
    MultipartRequest,
    MultipartRequestBody,
    OFPMPF_REQ_MORE,
    "`OFPMPF_REQ_*` flags ([`OFPMPF_REQ_MORE`]); other bits are kept as received.",
    "ofp_multipart_request"
);

multipart_message!(
    /// `OFPT_MULTIPART_REPLY` body (`ofp_multipart_reply`, §7.3.5).
    MultipartReply,
    MultipartReplyBody,
    OFPMPF_REPLY_MORE,
    "`OFPMPF_REPLY_*` flags ([`OFPMPF_REPLY_MORE`]); other bits are kept as received.",
    "ofp_multipart_reply"
);

impl fmt::Display for MultipartExperimenter {
    /// `experimenter=0xdeadbeaf exp_type=3405674632 data=<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "experimenter={:#x} exp_type={} data={}",
            self.experimenter,
            self.exp_type,
            hex_bytes(&self.data)
        )
    }
}

/// `[a; b; c]`.
fn fmt_entries<T: fmt::Display>(f: &mut fmt::Formatter<'_>, entries: &[T]) -> fmt::Result {
    f.write_str("[")?;
    items::fmt_joined(f, entries, "; ")?;
    f.write_str("]")
}

/// The lower-case type name (`flow`, `port_stats`, `type=0x1234` when unknown).
fn fmt_type(f: &mut fmt::Formatter<'_>, mp_type: u16) -> fmt::Result {
    match multipart_type::name(mp_type) {
        Some(name) => f.write_str(&name.to_ascii_lowercase()),
        None => write!(f, "type={mp_type:#x}"),
    }
}

impl fmt::Display for MultipartRequestBody {
    /// The request's parameters (nothing for the empty bodies).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MultipartRequestBody as B;
        match self {
            B::Desc
            | B::Table
            | B::GroupDesc
            | B::GroupFeatures
            | B::MeterFeatures
            | B::PortDesc => Ok(()),
            B::Flow(r) | B::Aggregate(r) => write!(f, "{r}"),
            B::PortStats(r) => write!(f, "{r}"),
            B::Queue(r) => write!(f, "{r}"),
            B::Group(r) => write!(f, "group_id={}", r.group_id),
            B::Meter(r) | B::MeterConfig(r) => write!(f, "meter={}", r.meter_id),
            B::TableFeatures(t) => fmt_entries(f, t),
            B::Experimenter(e) => write!(f, "{e}"),
            B::Unknown { body, .. } => write!(f, "body={}", hex_bytes(body)),
        }
    }
}

impl fmt::Display for MultipartReplyBody {
    /// The reply's contents, list entries as `[a; b]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MultipartReplyBody as B;
        match self {
            B::Desc(d) => write!(f, "{d}"),
            B::Flow(v) => fmt_entries(f, v),
            B::Aggregate(a) => write!(f, "{a}"),
            B::Table(v) => fmt_entries(f, v),
            B::PortStats(v) => fmt_entries(f, v),
            B::Queue(v) => fmt_entries(f, v),
            B::Group(v) => fmt_entries(f, v),
            B::GroupDesc(v) => fmt_entries(f, v),
            B::GroupFeatures(g) => write!(f, "{g}"),
            B::Meter(v) => fmt_entries(f, v),
            B::MeterConfig(v) => fmt_entries(f, v),
            B::MeterFeatures(m) => write!(f, "{m}"),
            B::TableFeatures(v) => fmt_entries(f, v),
            B::PortDesc(v) => fmt_entries(f, v),
            B::Experimenter(e) => write!(f, "{e}"),
            B::Unknown { body, .. } => write!(f, "body={}", hex_bytes(body)),
        }
    }
}

impl fmt::Display for MultipartRequest {
    /// `flow flags=0x0 table=255 out_port=any ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_type(f, self.mp_type())?;
        write!(f, " flags={:#x} {}", self.flags, self.body)
    }
}

impl fmt::Display for MultipartReply {
    /// `port_stats flags=0x0 [port=7 rx pkts=...; port=6 ...]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_type(f, self.mp_type())?;
        write!(f, " flags={:#x} {}", self.flags, self.body)
    }
}

/// Proptest generators for multipart bodies.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use crate::group::strategies::{arb_group_desc, arb_group_features, arb_group_stats};
    use crate::meter::strategies::{arb_meter_config, arb_meter_features, arb_meter_stats};
    use crate::port::strategies::arb_port;
    use crate::queue::strategies::arb_queue_stats;
    use crate::strategies::arb_bytes;
    use crate::table_features::strategies::arb_table_features;
    use desc::strategies::arb_desc;
    use flow::strategies::{arb_aggregate, arb_flow_stats, arb_flow_stats_request};
    use port_stats::strategies::arb_port_stats;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use table_stats::strategies::arb_table_stats;

    fn arb_experimenter() -> impl Strategy<Value = MultipartExperimenter> {
        (any::<u32>(), any::<u32>(), arb_bytes(40)).prop_map(|(experimenter, exp_type, data)| {
            MultipartExperimenter {
                experimenter,
                exp_type,
                data,
            }
        })
    }

    fn arb_unknown_type() -> impl Strategy<Value = u16> {
        any::<u16>().prop_filter("unknown type", |t| !multipart_type::is_known(*t))
    }

    /// Lists of up to `max` entries (the empty list included).
    fn list<S: Strategy>(s: S, max: usize) -> impl Strategy<Value = Vec<S::Value>> {
        vec(s, 0..=max)
    }

    pub(crate) fn arb_request_body() -> impl Strategy<Value = MultipartRequestBody> {
        use MultipartRequestBody as B;
        prop_oneof![
            Just(B::Desc),
            arb_flow_stats_request().prop_map(B::Flow),
            arb_flow_stats_request().prop_map(B::Aggregate),
            Just(B::Table),
            any::<u32>().prop_map(|port_no| B::PortStats(PortStatsRequest { port_no })),
            any::<[u32; 2]>().prop_map(|a| B::Queue(QueueStatsRequest {
                port_no: a[0],
                queue_id: a[1]
            })),
            any::<u32>().prop_map(|group_id| B::Group(GroupStatsRequest { group_id })),
            Just(B::GroupDesc),
            Just(B::GroupFeatures),
            any::<u32>().prop_map(|meter_id| B::Meter(MeterMultipartRequest { meter_id })),
            any::<u32>().prop_map(|meter_id| B::MeterConfig(MeterMultipartRequest { meter_id })),
            Just(B::MeterFeatures),
            list(arb_table_features(), 3).prop_map(B::TableFeatures),
            Just(B::PortDesc),
            arb_experimenter().prop_map(B::Experimenter),
            (arb_unknown_type(), arb_bytes(40))
                .prop_map(|(mp_type, body)| B::Unknown { mp_type, body }),
        ]
    }

    pub(crate) fn arb_reply_body() -> impl Strategy<Value = MultipartReplyBody> {
        use MultipartReplyBody as B;
        prop_oneof![
            arb_desc().prop_map(|d| B::Desc(Box::new(d))),
            list(arb_flow_stats(), 3).prop_map(B::Flow),
            arb_aggregate().prop_map(B::Aggregate),
            list(arb_table_stats(), 6).prop_map(B::Table),
            list(arb_port_stats(), 4).prop_map(B::PortStats),
            list(arb_queue_stats(), 4).prop_map(B::Queue),
            list(arb_group_stats(), 3).prop_map(B::Group),
            list(arb_group_desc(), 3).prop_map(B::GroupDesc),
            arb_group_features().prop_map(B::GroupFeatures),
            list(arb_meter_stats(), 3).prop_map(B::Meter),
            list(arb_meter_config(), 3).prop_map(B::MeterConfig),
            arb_meter_features().prop_map(B::MeterFeatures),
            list(arb_table_features(), 3).prop_map(B::TableFeatures),
            list(arb_port(), 4).prop_map(B::PortDesc),
            arb_experimenter().prop_map(B::Experimenter),
            (arb_unknown_type(), arb_bytes(40))
                .prop_map(|(mp_type, body)| B::Unknown { mp_type, body }),
        ]
    }

    pub(crate) fn arb_request() -> impl Strategy<Value = MultipartRequest> {
        (any::<u16>(), arb_request_body())
            .prop_map(|(flags, body)| MultipartRequest { flags, body })
    }

    pub(crate) fn arb_reply() -> impl Strategy<Value = MultipartReply> {
        (any::<u16>(), arb_reply_body()).prop_map(|(flags, body)| MultipartReply { flags, body })
    }
}

#[cfg(test)]
mod tests;
