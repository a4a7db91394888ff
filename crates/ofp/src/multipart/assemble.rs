//! Splitting and reassembling multipart messages (OpenFlow 1.3.5 §7.3.5: a request or
//! reply too large for one message is sent as several messages with the same xid, each
//! but the last flagged `OFPMPF_REQ_MORE` / `OFPMPF_REPLY_MORE`).
//!
//! [`split_reply`] cuts a reply whose encoding would exceed the 64 KiB message limit into
//! several `OFPT_MULTIPART_REPLY` messages at entry boundaries (flow stats, port stats,
//! table features, ...). [`Reassembler`] does the reverse on the receiving side, with
//! bounds on the number of pending transactions and on the bytes buffered for each.

use super::{
    MULTIPART_HEADER_LEN, MultipartExperimenter, MultipartReply, MultipartReplyBody,
    MultipartRequest, MultipartRequestBody, OFPMPF_REPLY_MORE, OFPMPF_REQ_MORE, multipart_type,
};
use crate::error::EncodeError;
use crate::items;
use crate::message::{Message, OfMessage};
use crate::wire::Writer;
use std::collections::HashMap;

/// Size of the OpenFlow header.
const OFP_HEADER_LEN: usize = 8;
/// Largest OpenFlow message (its `length` field is 16 bits).
pub const MAX_MESSAGE_LEN: usize = u16::MAX as usize;

/// Greedily pack `entries` into chunks whose encodings each fit `budget` bytes. Always
/// returns at least one (possibly empty) chunk.
fn chunk<T, B>(
    entries: Vec<T>,
    budget: usize,
    enc: impl Fn(&T, &mut Writer<'_>) -> Result<(), EncodeError>,
    wrap: impl Fn(Vec<T>) -> B,
) -> Result<Vec<B>, EncodeError> {
    let mut parts = Vec::new();
    let mut current = Vec::new();
    let mut current_len = 0usize;
    let mut scratch = Vec::new();
    for entry in entries {
        scratch.clear();
        enc(&entry, &mut Writer::new(&mut scratch))?;
        let n = scratch.len();
        if n > budget {
            return Err(EncodeError::TooLong {
                what: "multipart entry",
                len: n,
                max: budget,
            });
        }
        if current_len + n > budget {
            parts.push(wrap(std::mem::take(&mut current)));
            current_len = 0;
        }
        current.push(entry);
        current_len += n;
    }
    parts.push(wrap(current));
    Ok(parts)
}

/// The body budget of one message of at most `max_message_len` bytes.
fn body_budget(max_message_len: usize) -> Result<usize, EncodeError> {
    let fixed = OFP_HEADER_LEN + MULTIPART_HEADER_LEN;
    if max_message_len <= fixed || max_message_len > MAX_MESSAGE_LEN {
        return Err(EncodeError::BadValue {
            field: "max_message_len",
            reason: format!(
                "{max_message_len} must be in {}..={MAX_MESSAGE_LEN}",
                fixed + 1
            ),
        });
    }
    Ok(max_message_len - fixed)
}

/// Check that a body without entries (encoded by `encode`) fits `budget` bytes.
fn check_fits(
    budget: usize,
    encode: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let mut scratch = Vec::new();
    encode(&mut Writer::new(&mut scratch))?;
    let len = scratch.len();
    if len > budget {
        return Err(EncodeError::TooLong {
            what: "unsplittable multipart body",
            len,
            max: budget,
        });
    }
    Ok(())
}

/// Concatenate the data of a later experimenter part with the same id and type.
fn merge_experimenter(
    acc: &mut MultipartExperimenter,
    next: MultipartExperimenter,
) -> Result<(), MultipartExperimenter> {
    if (acc.experimenter, acc.exp_type) == (next.experimenter, next.exp_type) {
        acc.data.extend(next.data);
        Ok(())
    } else {
        Err(next)
    }
}

impl MultipartReplyBody {
    /// Split into bodies of the same kind whose encodings each fit `budget` bytes.
    fn split(self, budget: usize) -> Result<Vec<Self>, EncodeError> {
        use super::{FlowStats, PortStats, TableStats};
        use crate::group::{GroupDesc, GroupStats};
        use crate::meter::{MeterConfig, MeterStats};
        use crate::port::Port;
        use crate::queue::QueueStats;
        use crate::table_features::TableFeatures;
        use MultipartReplyBody as B;
        match self {
            B::Flow(v) => chunk(v, budget, FlowStats::encode, B::Flow),
            B::Table(v) => chunk(v, budget, items::infallible(TableStats::encode), B::Table),
            B::PortStats(v) => chunk(
                v,
                budget,
                items::infallible(PortStats::encode),
                B::PortStats,
            ),
            B::Queue(v) => chunk(v, budget, items::infallible(QueueStats::encode), B::Queue),
            B::Group(v) => chunk(v, budget, GroupStats::encode, B::Group),
            B::GroupDesc(v) => chunk(v, budget, GroupDesc::encode, B::GroupDesc),
            B::Meter(v) => chunk(v, budget, MeterStats::encode, B::Meter),
            B::MeterConfig(v) => chunk(v, budget, MeterConfig::encode, B::MeterConfig),
            B::TableFeatures(v) => chunk(v, budget, TableFeatures::encode, B::TableFeatures),
            B::PortDesc(v) => chunk(v, budget, items::infallible(Port::encode), B::PortDesc),
            single => {
                check_fits(budget, |w| single.encode(w))?;
                Ok(vec![single])
            }
        }
    }

    /// Append the entries of a later part; `Err(next)` when the kinds differ or the kind
    /// has no entries to concatenate.
    fn merge(&mut self, next: Self) -> Result<(), Self> {
        use MultipartReplyBody as B;
        match (self, next) {
            (B::Flow(a), B::Flow(b)) => a.extend(b),
            (B::Table(a), B::Table(b)) => a.extend(b),
            (B::PortStats(a), B::PortStats(b)) => a.extend(b),
            (B::Queue(a), B::Queue(b)) => a.extend(b),
            (B::Group(a), B::Group(b)) => a.extend(b),
            (B::GroupDesc(a), B::GroupDesc(b)) => a.extend(b),
            (B::Meter(a), B::Meter(b)) => a.extend(b),
            (B::MeterConfig(a), B::MeterConfig(b)) => a.extend(b),
            (B::TableFeatures(a), B::TableFeatures(b)) => a.extend(b),
            (B::PortDesc(a), B::PortDesc(b)) => a.extend(b),
            (B::Experimenter(a), B::Experimenter(b)) => {
                return merge_experimenter(a, b).map_err(B::Experimenter);
            }
            (
                B::Unknown { mp_type: a, body },
                B::Unknown {
                    mp_type: b,
                    body: more,
                },
            ) if *a == b => body.extend(more),
            (_, next) => return Err(next),
        }
        Ok(())
    }

    /// True for the kinds whose parts [`MultipartReplyBody::merge`] can concatenate.
    fn mergeable(&self) -> bool {
        use MultipartReplyBody as B;
        !matches!(
            self,
            B::Desc(_) | B::Aggregate(_) | B::GroupFeatures(_) | B::MeterFeatures(_)
        )
    }
}

impl MultipartRequestBody {
    fn split(self, budget: usize) -> Result<Vec<Self>, EncodeError> {
        use crate::table_features::TableFeatures;
        use MultipartRequestBody as B;
        match self {
            B::TableFeatures(v) => chunk(v, budget, TableFeatures::encode, B::TableFeatures),
            single => {
                check_fits(budget, |w| single.encode(w))?;
                Ok(vec![single])
            }
        }
    }

    fn merge(&mut self, next: Self) -> Result<(), Self> {
        use MultipartRequestBody as B;
        match (self, next) {
            (B::TableFeatures(a), B::TableFeatures(b)) => a.extend(b),
            (B::Experimenter(a), B::Experimenter(b)) => {
                return merge_experimenter(a, b).map_err(B::Experimenter);
            }
            (
                B::Unknown { mp_type: a, body },
                B::Unknown {
                    mp_type: b,
                    body: more,
                },
            ) if *a == b => body.extend(more),
            (_, next) => return Err(next),
        }
        Ok(())
    }

    fn mergeable(&self) -> bool {
        use MultipartRequestBody as B;
        matches!(
            self,
            B::TableFeatures(_) | B::Experimenter(_) | B::Unknown { .. }
        )
    }
}

/// Number the parts of a split body as messages with transaction id `xid`: every part
/// but the last gets `more` added to `flags`; the last keeps `flags`.
fn number_parts<B>(
    xid: u32,
    flags: u16,
    more: u16,
    parts: Vec<B>,
    wrap: impl Fn(u16, B) -> Message,
) -> Vec<OfMessage> {
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, body)| OfMessage {
            xid,
            msg: wrap(if i < last { flags | more } else { flags }, body),
        })
        .collect()
}

/// Split `reply` into `OFPT_MULTIPART_REPLY` messages of at most 65535 bytes each, all
/// with transaction id `xid`, cut at entry boundaries. Every part but the last has
/// `OFPMPF_REPLY_MORE` set; the last keeps `reply.flags`.
///
/// A reply that fits is returned as one message. Fails with [`EncodeError::TooLong`]
/// when a single entry, or a body without entries (desc, aggregate, features,
/// experimenter), does not fit one message.
///
/// ```
/// use flowfall_ofp::multipart::{
///     split_reply, MultipartReply, MultipartReplyBody, PortStats, Reassembler,
/// };
///
/// let stats: Vec<PortStats> = (1..=1000)
///     .map(|port_no| PortStats { port_no, ..PortStats::default() })
///     .collect();
/// let reply = MultipartReply::new(MultipartReplyBody::PortStats(stats));
/// let parts = split_reply(7, reply.clone()).unwrap(); // 2 messages, the first flagged MORE
/// assert_eq!(parts.len(), 2);
///
/// let mut reassembler = Reassembler::default(); // 64 pending xids, 16 MiB each
/// let mut complete = None;
/// for part in parts {
///     let bytes = part.to_vec().unwrap(); // what goes on the wire
///     let received = flowfall_ofp::OfMessage::decode(&bytes).unwrap();
///     complete = reassembler.push(received).unwrap();
/// }
/// assert_eq!(complete.unwrap().msg, flowfall_ofp::Message::MultipartReply(reply));
/// ```
pub fn split_reply(xid: u32, reply: MultipartReply) -> Result<Vec<OfMessage>, EncodeError> {
    split_reply_with_limit(xid, reply, MAX_MESSAGE_LEN)
}

/// [`split_reply`] with a smaller message size limit (17 to 65535 bytes), e.g. to match
/// a peer's buffer.
pub fn split_reply_with_limit(
    xid: u32,
    reply: MultipartReply,
    max_message_len: usize,
) -> Result<Vec<OfMessage>, EncodeError> {
    let parts = reply.body.split(body_budget(max_message_len)?)?;
    Ok(number_parts(
        xid,
        reply.flags,
        OFPMPF_REPLY_MORE,
        parts,
        |flags, body| Message::MultipartReply(MultipartReply { flags, body }),
    ))
}

/// Split `request` into `OFPT_MULTIPART_REQUEST` messages of at most 65535 bytes, with
/// `OFPMPF_REQ_MORE` on all but the last. Only table-features requests have entries to
/// cut; other requests must fit one message.
pub fn split_request(xid: u32, request: MultipartRequest) -> Result<Vec<OfMessage>, EncodeError> {
    split_request_with_limit(xid, request, MAX_MESSAGE_LEN)
}

/// [`split_request`] with a smaller message size limit (17 to 65535 bytes).
pub fn split_request_with_limit(
    xid: u32,
    request: MultipartRequest,
    max_message_len: usize,
) -> Result<Vec<OfMessage>, EncodeError> {
    let parts = request.body.split(body_budget(max_message_len)?)?;
    Ok(number_parts(
        xid,
        request.flags,
        OFPMPF_REQ_MORE,
        parts,
        |flags, body| Message::MultipartRequest(MultipartRequest { flags, body }),
    ))
}

/// Bounds on the state a [`Reassembler`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ReassemblyLimits {
    /// Transactions (xid and direction) that may be incomplete at once.
    pub max_pending: usize,
    /// Wire bytes (headers included) buffered for one transaction.
    pub max_bytes_per_xid: usize,
}

impl Default for ReassemblyLimits {
    /// 64 pending transactions of at most 16 MiB each.
    fn default() -> Self {
        ReassemblyLimits {
            max_pending: 64,
            max_bytes_per_xid: 16 << 20,
        }
    }
}

/// Why a part was refused. The transaction's buffered parts are dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// A new multi-part transaction arrived while `max` others were incomplete.
    #[error("xid {xid}: {max} multipart transactions already pending")]
    TooManyPending {
        /// The refused transaction.
        xid: u32,
        /// The limit.
        max: usize,
    },
    /// The transaction's parts exceed the byte limit.
    #[error("xid {xid}: multipart parts total {bytes} bytes, the limit is {max}")]
    TooLarge {
        /// The transaction.
        xid: u32,
        /// Bytes including the refused part.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A part's multipart type (or experimenter id/type) differs from the first part's.
    #[error("xid {xid}: multipart part of type {found:#x} after parts of type {expected:#x}")]
    MismatchedKind {
        /// The transaction.
        xid: u32,
        /// Type of the first part.
        expected: u16,
        /// Type of the refused part.
        found: u16,
    },
    /// The `MORE` flag is set on a type whose body is a single structure.
    #[error("xid {xid}: multipart type {mp_type:#x} ({name}) cannot span several messages", name = multipart_type::name(*mp_type).unwrap_or("unknown"))]
    NotSplittable {
        /// The transaction.
        xid: u32,
        /// Its type.
        mp_type: u16,
    },
    /// A part could not be re-encoded to measure its size.
    #[error("xid {xid}: {source}")]
    Encode {
        /// The transaction.
        xid: u32,
        /// The encoding error.
        source: EncodeError,
    },
}

#[derive(Debug)]
enum Partial {
    Request(MultipartRequest),
    Reply(MultipartReply),
}

#[derive(Debug)]
struct Pending {
    partial: Partial,
    bytes: usize,
}

/// Reassembles multipart requests and replies split over several messages.
///
/// Feed every received message to [`Reassembler::push`]: non-multipart messages and
/// single-part multipart messages come straight back; parts flagged `MORE` are buffered
/// per (direction, xid) and the merged message is returned when the part without the flag
/// arrives.
///
/// ```
/// use flowfall_ofp::multipart::{
///     assemble::split_reply_with_limit, MultipartReply, MultipartReplyBody, PortStats, Reassembler,
/// };
///
/// let stats: Vec<PortStats> = (1..=10)
///     .map(|port_no| PortStats { port_no, ..PortStats::default() })
///     .collect();
/// let reply = MultipartReply::new(MultipartReplyBody::PortStats(stats));
/// // 10 entries of 112 bytes, at most 3 per 400-byte message: 4 parts.
/// let parts = split_reply_with_limit(7, reply.clone(), 400).unwrap();
/// assert_eq!(parts.len(), 4);
///
/// let mut r = Reassembler::default();
/// let mut done = None;
/// for part in parts {
///     done = r.push(part).unwrap();
/// }
/// let merged = done.unwrap();
/// assert_eq!(merged.xid, 7);
/// assert_eq!(merged.msg, flowfall_ofp::message::Message::MultipartReply(reply));
/// ```
#[derive(Debug, Default)]
pub struct Reassembler {
    limits: ReassemblyLimits,
    pending: HashMap<(bool, u32), Pending>,
}

impl Reassembler {
    /// A reassembler with the given limits.
    pub fn new(limits: ReassemblyLimits) -> Self {
        Reassembler {
            limits,
            pending: HashMap::new(),
        }
    }

    /// Number of incomplete transactions.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Drop the buffered parts of request (`is_reply == false`) or reply transaction
    /// `xid`; returns whether there were any.
    pub fn discard(&mut self, is_reply: bool, xid: u32) -> bool {
        self.pending.remove(&(is_reply, xid)).is_some()
    }

    /// Drop every buffered part.
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Accept one received message. Returns `Some(message)` when a complete message is
    /// available (the merged multipart message, or `msg` itself when it needs no
    /// reassembly) and `None` when more parts are awaited.
    pub fn push(&mut self, msg: OfMessage) -> Result<Option<OfMessage>, ReassemblyError> {
        let xid = msg.xid;
        let part = match msg.msg {
            Message::MultipartRequest(r) => Partial::Request(r),
            Message::MultipartReply(r) => Partial::Reply(r),
            other => return Ok(Some(OfMessage { xid, msg: other })),
        };
        Ok(self.push_part(xid, part)?.map(|p| OfMessage {
            xid,
            msg: match p {
                Partial::Request(r) => Message::MultipartRequest(r),
                Partial::Reply(r) => Message::MultipartReply(r),
            },
        }))
    }

    fn push_part(&mut self, xid: u32, part: Partial) -> Result<Option<Partial>, ReassemblyError> {
        let (is_reply, more, mp_type, mergeable) = match &part {
            Partial::Request(r) => (false, r.more(), r.mp_type(), r.body.mergeable()),
            Partial::Reply(r) => (true, r.more(), r.mp_type(), r.body.mergeable()),
        };
        let key = (is_reply, xid);
        let Some(mut pending) = self.pending.remove(&key) else {
            if !more {
                return Ok(Some(part));
            }
            if !mergeable {
                return Err(ReassemblyError::NotSplittable { xid, mp_type });
            }
            let bytes = wire_len(xid, &part)?;
            if bytes > self.limits.max_bytes_per_xid {
                return Err(ReassemblyError::TooLarge {
                    xid,
                    bytes,
                    max: self.limits.max_bytes_per_xid,
                });
            }
            if self.pending.len() >= self.limits.max_pending {
                return Err(ReassemblyError::TooManyPending {
                    xid,
                    max: self.limits.max_pending,
                });
            }
            self.pending.insert(
                key,
                Pending {
                    partial: part,
                    bytes,
                },
            );
            return Ok(None);
        };
        // The entry stays removed on every error path below: the transaction is dropped.
        let bytes = pending.bytes.saturating_add(wire_len(xid, &part)?);
        if bytes > self.limits.max_bytes_per_xid {
            return Err(ReassemblyError::TooLarge {
                xid,
                bytes,
                max: self.limits.max_bytes_per_xid,
            });
        }
        let expected = match &pending.partial {
            Partial::Request(r) => r.mp_type(),
            Partial::Reply(r) => r.mp_type(),
        };
        let merged = match (&mut pending.partial, part) {
            (Partial::Request(acc), Partial::Request(next)) => {
                acc.flags = next.flags;
                acc.body.merge(next.body).is_ok()
            }
            (Partial::Reply(acc), Partial::Reply(next)) => {
                acc.flags = next.flags;
                acc.body.merge(next.body).is_ok()
            }
            // The key includes the direction, so a request never meets a reply here.
            _ => false,
        };
        if !merged {
            return Err(ReassemblyError::MismatchedKind {
                xid,
                expected,
                found: mp_type,
            });
        }
        if more {
            pending.bytes = bytes;
            self.pending.insert(key, pending);
            Ok(None)
        } else {
            Ok(Some(pending.partial))
        }
    }
}

/// The encoded size of a part (OpenFlow header included).
fn wire_len(xid: u32, part: &Partial) -> Result<usize, ReassemblyError> {
    let mut scratch = Vec::new();
    let mut w = Writer::new(&mut scratch);
    match part {
        Partial::Request(r) => r.encode_body(&mut w),
        Partial::Reply(r) => r.encode_body(&mut w),
    }
    .map_err(|source| ReassemblyError::Encode { xid, source })?;
    Ok(OFP_HEADER_LEN + scratch.len())
}

#[cfg(test)]
mod tests;
