//! The top-level OpenFlow 1.3.5 message: [`OfMessage`] = transaction id + [`Message`].
//!
//! [`OfMessage::decode`] takes exactly one message (the slice length must equal the
//! header's `length`; framing a stream is [`crate::framer`]'s job), checks the version
//! (any version for HELLO, 0x04 for everything else) and decodes the body by type.
//! Unknown message types are kept raw. [`OfMessage::encode`] computes every length field
//! and writes padding as zeros.

use crate::async_config::AsyncConfig;
use crate::error::{DecodeError, EncodeError};
use crate::error_msg::ErrorMsg;
use crate::experimenter::ExperimenterMsg;
use crate::features::SwitchFeatures;
use crate::flow_mod::FlowMod;
use crate::flow_removed::FlowRemoved;
use crate::group::GroupMod;
use crate::header::*;
use crate::hello::Hello;
use crate::meter::MeterMod;
use crate::multipart::{MultipartReply, MultipartRequest};
use crate::oxm::hex_bytes;
use crate::packet_in::PacketIn;
use crate::packet_out::PacketOut;
use crate::port::{PortMod, PortStatus};
use crate::queue::{QueueGetConfigReply, QueueGetConfigRequest};
use crate::role::RoleMessage;
use crate::switch_config::SwitchConfig;
use crate::table_mod::TableMod;
use crate::wire::{PadSpan, Reader, Sink, Window, Writer};
use std::fmt;

/// One OpenFlow message body, by type (`OFPT_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Message {
    /// `OFPT_HELLO` (the version byte is kept in [`Hello::version`]).
    Hello(Hello),
    /// `OFPT_ERROR`.
    Error(ErrorMsg),
    /// `OFPT_ECHO_REQUEST` with its arbitrary data.
    EchoRequest(Vec<u8>),
    /// `OFPT_ECHO_REPLY` with the request's data.
    EchoReply(Vec<u8>),
    /// `OFPT_EXPERIMENTER`.
    Experimenter(ExperimenterMsg),
    /// `OFPT_FEATURES_REQUEST` (no body).
    FeaturesRequest,
    /// `OFPT_FEATURES_REPLY`.
    FeaturesReply(SwitchFeatures),
    /// `OFPT_GET_CONFIG_REQUEST` (no body).
    GetConfigRequest,
    /// `OFPT_GET_CONFIG_REPLY`.
    GetConfigReply(SwitchConfig),
    /// `OFPT_SET_CONFIG`.
    SetConfig(SwitchConfig),
    /// `OFPT_PACKET_IN`.
    PacketIn(PacketIn),
    /// `OFPT_FLOW_REMOVED`.
    FlowRemoved(FlowRemoved),
    /// `OFPT_PORT_STATUS`.
    PortStatus(PortStatus),
    /// `OFPT_PACKET_OUT`.
    PacketOut(PacketOut),
    /// `OFPT_FLOW_MOD`.
    FlowMod(FlowMod),
    /// `OFPT_GROUP_MOD`.
    GroupMod(GroupMod),
    /// `OFPT_PORT_MOD`.
    PortMod(PortMod),
    /// `OFPT_TABLE_MOD`.
    TableMod(TableMod),
    /// `OFPT_MULTIPART_REQUEST`.
    MultipartRequest(MultipartRequest),
    /// `OFPT_MULTIPART_REPLY`.
    MultipartReply(MultipartReply),
    /// `OFPT_BARRIER_REQUEST` (no body).
    BarrierRequest,
    /// `OFPT_BARRIER_REPLY` (no body).
    BarrierReply,
    /// `OFPT_QUEUE_GET_CONFIG_REQUEST`.
    QueueGetConfigRequest(QueueGetConfigRequest),
    /// `OFPT_QUEUE_GET_CONFIG_REPLY`.
    QueueGetConfigReply(QueueGetConfigReply),
    /// `OFPT_ROLE_REQUEST`.
    RoleRequest(RoleMessage),
    /// `OFPT_ROLE_REPLY`.
    RoleReply(RoleMessage),
    /// `OFPT_GET_ASYNC_REQUEST` (no body).
    GetAsyncRequest,
    /// `OFPT_GET_ASYNC_REPLY`.
    GetAsyncReply(AsyncConfig),
    /// `OFPT_SET_ASYNC`.
    SetAsync(AsyncConfig),
    /// `OFPT_METER_MOD`.
    MeterMod(MeterMod),
    /// A message type OpenFlow 1.3.5 does not define (> 29), kept raw.
    Unknown {
        /// The header's `type`.
        msg_type: u8,
        /// Everything after the 8-byte header.
        body: Vec<u8>,
    },
}

/// A message with its transaction id: what travels on an OpenFlow connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct OfMessage {
    /// Transaction id (replies echo the request's).
    pub xid: u32,
    /// The message.
    pub msg: Message,
}

impl Message {
    /// The header `type` (`OFPT_*`).
    pub fn msg_type(&self) -> u8 {
        match self {
            Message::Hello(_) => OFPT_HELLO,
            Message::Error(_) => OFPT_ERROR,
            Message::EchoRequest(_) => OFPT_ECHO_REQUEST,
            Message::EchoReply(_) => OFPT_ECHO_REPLY,
            Message::Experimenter(_) => OFPT_EXPERIMENTER,
            Message::FeaturesRequest => OFPT_FEATURES_REQUEST,
            Message::FeaturesReply(_) => OFPT_FEATURES_REPLY,
            Message::GetConfigRequest => OFPT_GET_CONFIG_REQUEST,
            Message::GetConfigReply(_) => OFPT_GET_CONFIG_REPLY,
            Message::SetConfig(_) => OFPT_SET_CONFIG,
            Message::PacketIn(_) => OFPT_PACKET_IN,
            Message::FlowRemoved(_) => OFPT_FLOW_REMOVED,
            Message::PortStatus(_) => OFPT_PORT_STATUS,
            Message::PacketOut(_) => OFPT_PACKET_OUT,
            Message::FlowMod(_) => OFPT_FLOW_MOD,
            Message::GroupMod(_) => OFPT_GROUP_MOD,
            Message::PortMod(_) => OFPT_PORT_MOD,
            Message::TableMod(_) => OFPT_TABLE_MOD,
            Message::MultipartRequest(_) => OFPT_MULTIPART_REQUEST,
            Message::MultipartReply(_) => OFPT_MULTIPART_REPLY,
            Message::BarrierRequest => OFPT_BARRIER_REQUEST,
            Message::BarrierReply => OFPT_BARRIER_REPLY,
            Message::QueueGetConfigRequest(_) => OFPT_QUEUE_GET_CONFIG_REQUEST,
            Message::QueueGetConfigReply(_) => OFPT_QUEUE_GET_CONFIG_REPLY,
            Message::RoleRequest(_) => OFPT_ROLE_REQUEST,
            Message::RoleReply(_) => OFPT_ROLE_REPLY,
            Message::GetAsyncRequest => OFPT_GET_ASYNC_REQUEST,
            Message::GetAsyncReply(_) => OFPT_GET_ASYNC_REPLY,
            Message::SetAsync(_) => OFPT_SET_ASYNC,
            Message::MeterMod(_) => OFPT_METER_MOD,
            Message::Unknown { msg_type, .. } => *msg_type,
        }
    }

    /// The spec name of the type without `OFPT_` (`"FLOW_MOD"`, `"MULTIPART_REPLY"`,
    /// `"UNKNOWN"`).
    pub fn type_name(&self) -> &'static str {
        msg_type_name(self.msg_type())
    }

    /// The header version this message is sent with: [`Hello::version`] for HELLO,
    /// [`OFP_VERSION`] otherwise.
    pub fn version(&self) -> u8 {
        match self {
            Message::Hello(h) => h.version,
            _ => OFP_VERSION,
        }
    }

    /// The encoded size (header included) of the messages sent most (FLOW_MOD, PACKET_IN,
    /// PACKET_OUT, ECHO), so [`OfMessage::to_vec`] allocates once (for FLOW_MOD, the room
    /// its encoder sets aside, at least its size); the header size for the others, which
    /// grow the output as they go.
    fn size_hint(&self) -> usize {
        OFP_HEADER_LEN
            + match self {
                Message::FlowMod(f) => f.room().saturating_sub(OFP_HEADER_LEN),
                Message::PacketIn(p) => {
                    crate::packet_in::OFP_PACKET_IN_FIXED_LEN
                        + p.match_.encoded_len()
                        + 2
                        + p.data.len()
                }
                Message::PacketOut(p) => {
                    crate::packet_out::OFP_PACKET_OUT_FIXED_LEN
                        + p.actions
                            .iter()
                            .map(crate::Action::encoded_len)
                            .sum::<usize>()
                        + p.data.len()
                }
                Message::EchoRequest(data) | Message::EchoReply(data) => data.len(),
                _ => 0,
            }
    }

    /// Decodes a body of type `msg_type` from `r` (which spans exactly the body).
    fn decode_body(version: u8, msg_type: u8, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match msg_type {
            OFPT_HELLO => Message::Hello(Hello::decode_body(version, r)?),
            OFPT_ERROR => Message::Error(ErrorMsg::decode_body(r)?),
            OFPT_ECHO_REQUEST => Message::EchoRequest(r.take_rest().to_vec()),
            OFPT_ECHO_REPLY => Message::EchoReply(r.take_rest().to_vec()),
            OFPT_EXPERIMENTER => Message::Experimenter(ExperimenterMsg::decode_body(r)?),
            OFPT_FEATURES_REQUEST => Message::FeaturesRequest,
            OFPT_FEATURES_REPLY => Message::FeaturesReply(SwitchFeatures::decode_body(r)?),
            OFPT_GET_CONFIG_REQUEST => Message::GetConfigRequest,
            OFPT_GET_CONFIG_REPLY => Message::GetConfigReply(SwitchConfig::decode_body(r)?),
            OFPT_SET_CONFIG => Message::SetConfig(SwitchConfig::decode_body(r)?),
            OFPT_PACKET_IN => Message::PacketIn(PacketIn::decode_body(r)?),
            OFPT_FLOW_REMOVED => Message::FlowRemoved(FlowRemoved::decode_body(r)?),
            OFPT_PORT_STATUS => Message::PortStatus(PortStatus::decode_body(r)?),
            OFPT_PACKET_OUT => Message::PacketOut(PacketOut::decode_body(r)?),
            OFPT_FLOW_MOD => Message::FlowMod(FlowMod::decode_body(r)?),
            OFPT_GROUP_MOD => Message::GroupMod(GroupMod::decode_body(r)?),
            OFPT_PORT_MOD => Message::PortMod(PortMod::decode_body(r)?),
            OFPT_TABLE_MOD => Message::TableMod(TableMod::decode_body(r)?),
            OFPT_MULTIPART_REQUEST => Message::MultipartRequest(MultipartRequest::decode_body(r)?),
            OFPT_MULTIPART_REPLY => Message::MultipartReply(MultipartReply::decode_body(r)?),
            OFPT_BARRIER_REQUEST => Message::BarrierRequest,
            OFPT_BARRIER_REPLY => Message::BarrierReply,
            OFPT_QUEUE_GET_CONFIG_REQUEST => {
                Message::QueueGetConfigRequest(QueueGetConfigRequest::decode_body(r)?)
            }
            OFPT_QUEUE_GET_CONFIG_REPLY => {
                Message::QueueGetConfigReply(QueueGetConfigReply::decode_body(r)?)
            }
            OFPT_ROLE_REQUEST => Message::RoleRequest(RoleMessage::decode_body(r)?),
            OFPT_ROLE_REPLY => Message::RoleReply(RoleMessage::decode_body(r)?),
            OFPT_GET_ASYNC_REQUEST => Message::GetAsyncRequest,
            OFPT_GET_ASYNC_REPLY => Message::GetAsyncReply(AsyncConfig::decode_body(r)?),
            OFPT_SET_ASYNC => Message::SetAsync(AsyncConfig::decode_body(r)?),
            OFPT_METER_MOD => Message::MeterMod(MeterMod::decode_body(r)?),
            msg_type => Message::Unknown {
                msg_type,
                body: r.take_rest().to_vec(),
            },
        })
    }

    /// Encodes the body (everything after the header).
    fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            Message::Hello(h) => h.encode_body(w),
            Message::Error(e) => e.encode_body(w),
            Message::EchoRequest(data) | Message::EchoReply(data) => {
                w.bytes(data);
                Ok(())
            }
            Message::Experimenter(e) => e.encode_body(w),
            Message::FeaturesRequest
            | Message::GetConfigRequest
            | Message::BarrierRequest
            | Message::BarrierReply
            | Message::GetAsyncRequest => Ok(()),
            Message::FeaturesReply(f) => f.encode_body(w),
            Message::GetConfigReply(c) | Message::SetConfig(c) => c.encode_body(w),
            Message::PacketIn(p) => p.encode_body(w),
            Message::FlowRemoved(f) => f.encode_body(w),
            Message::PortStatus(p) => p.encode_body(w),
            Message::PacketOut(p) => p.encode_body(w),
            Message::FlowMod(f) => f.encode_body(w),
            Message::GroupMod(g) => g.encode_body(w),
            Message::PortMod(p) => p.encode_body(w),
            Message::TableMod(t) => t.encode_body(w),
            Message::MultipartRequest(m) => m.encode_body(w),
            Message::MultipartReply(m) => m.encode_body(w),
            Message::QueueGetConfigRequest(q) => q.encode_body(w),
            Message::QueueGetConfigReply(q) => q.encode_body(w),
            Message::RoleRequest(r) | Message::RoleReply(r) => r.encode_body(w),
            Message::GetAsyncReply(a) | Message::SetAsync(a) => a.encode_body(w),
            Message::MeterMod(m) => m.encode_body(w),
            Message::Unknown { msg_type, body } => {
                if *msg_type <= OFPT_METER_MOD {
                    return Err(EncodeError::BadValue {
                        field: "ofp_header.type",
                        reason: format!(
                            "{msg_type} is OFPT_{}; use its typed variant",
                            msg_type_name(*msg_type)
                        ),
                    });
                }
                w.bytes(body);
                Ok(())
            }
        }
    }
}

impl OfMessage {
    /// A message with transaction id `xid`.
    pub fn new(xid: u32, msg: Message) -> Self {
        OfMessage { xid, msg }
    }

    /// Decodes exactly one message: `buf.len()` must equal the header's `length`.
    ///
    /// Errors: [`DecodeError::Truncated`] for fewer than 8 bytes or fewer than the header's
    /// `length`, [`DecodeError::BadLength`] when `length` is below 8 or `buf` holds more
    /// bytes than it says, or the body has bytes its type does not use, [`DecodeError::BadVersion`] for a
    /// non-HELLO message whose version is not 0x04, and any error of the body's decoder.
    /// Offsets count from `buf[0]`.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let (h, mut r) = open_message(buf)?;
        let msg = Message::decode_body(h.version, h.msg_type, &mut r)?;
        check_consumed(&h, &r)?;
        Ok(OfMessage { xid: h.xid, msg })
    }

    fn encode_with(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        write_message(w, self.msg.version(), self.msg.msg_type(), self.xid, |w| {
            self.msg.encode_body(w)
        })
    }

    /// Appends the encoded message to `out`. On error `out` is left as it was.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match &self.msg {
            // The message sent most, through its pre-sized fast path (same bytes).
            Message::FlowMod(f) => f.encode_message(self.xid, out),
            _ => append_or_restore(out, |w| self.encode_with(w)),
        }
    }

    /// The encoded message.
    pub fn to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.msg.size_hint());
        self.encode(&mut out)?;
        Ok(out)
    }

    /// The encoded message and the padding runs in it (offsets from its first byte),
    /// for `validate`'s non-zero padding check.
    pub(crate) fn encode_recording(&self) -> Result<(Vec<u8>, Vec<PadSpan>), EncodeError> {
        let mut out = Vec::new();
        let mut w = Writer::recording(&mut out);
        self.encode_with(&mut w)?;
        let pads = w.into_pads();
        Ok((out, pads))
    }
}

/// Checks the header of the one message `buf` must hold exactly (length, version) and
/// returns it with a reader over the body (see [`OfMessage::decode`] for the errors).
#[inline]
pub(crate) fn open_message(buf: &[u8]) -> Result<(Header, Reader<'_>), DecodeError> {
    let mut r = Reader::new(buf);
    let h = Header::decode(&mut r)?;
    if h.message_len() >= OFP_HEADER_LEN && h.message_len() > buf.len() {
        return Err(DecodeError::Truncated {
            what: "OpenFlow message",
            offset: 0,
            needed: h.message_len(),
            available: buf.len(),
        });
    }
    if h.message_len() < OFP_HEADER_LEN || h.message_len() != buf.len() {
        return Err(DecodeError::BadLength {
            what: "ofp_header.length",
            offset: 0,
            expected: format!("== {} (bytes given, at least 8)", buf.len()),
            found: h.message_len(),
        });
    }
    if h.msg_type != OFPT_HELLO && h.version != OFP_VERSION {
        return Err(DecodeError::BadVersion {
            offset: 0,
            found: h.version,
        });
    }
    Ok((h, r))
}

/// The error unless the body decoder used every byte of the message.
#[inline]
pub(crate) fn check_consumed(h: &Header, r: &Reader<'_>) -> Result<(), DecodeError> {
    if r.is_empty() {
        return Ok(());
    }
    Err(DecodeError::BadLength {
        what: msg_type_name(h.msg_type),
        offset: 0,
        expected: format!("== {} (bytes the body uses)", r.offset()),
        found: h.message_len(),
    })
}

/// Decodes the one message `buf` holds, which must be of type `msg_type`, with the body
/// decoder `body`; returns its xid and body. For the borrowed views
/// ([`crate::packet_in::PacketInRef`], [`crate::packet_out::PacketOutRef`]).
pub(crate) fn decode_typed<'a, T>(
    buf: &'a [u8],
    msg_type: u8,
    body: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<(u32, T), DecodeError> {
    let (h, mut r) = open_message(buf)?;
    if h.msg_type != msg_type {
        return Err(DecodeError::BadValue {
            field: "ofp_header.type",
            offset: 1,
            expected: format!("{msg_type} (OFPT_{})", msg_type_name(msg_type)),
            found: format!("{} (OFPT_{})", h.msg_type, msg_type_name(h.msg_type)),
        });
    }
    let decoded = body(&mut r)?;
    check_consumed(&h, &r)?;
    Ok((h.xid, decoded))
}

/// Writes one message: the header (its length patched once `body` has written the body).
#[inline]
pub(crate) fn write_message<S: Sink>(
    w: &mut S,
    version: u8,
    msg_type: u8,
    xid: u32,
    body: impl FnOnce(&mut S) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let start = w.pos();
    Header {
        version,
        msg_type,
        length: 0,
        xid,
    }
    .encode(w);
    body(w)?;
    w.patch_len16("OpenFlow message", start + 2, start)
}

/// Runs `write` on a writer appending to `out`; on error `out` is left as it was.
pub(crate) fn append_or_restore(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let before = out.len();
    let result = write(&mut Writer::new(out));
    if result.is_err() {
        out.truncate(before);
    }
    result
}

/// Appends to `out` what `window` writes into a zero-filled [`Window`] of `room` bytes
/// (no growth, one bounds check per write, padding skipped), then drops the room left
/// over. When `room` turns out too small, encodes again with `writer` on a [`Writer`]:
/// both closures must run the same generic encoder, so the bytes and errors are the
/// same either way. On error `out` is left as it was.
#[inline]
pub(crate) fn append_windowed(
    out: &mut Vec<u8>,
    room: usize,
    window: impl FnOnce(&mut Window<'_>) -> Result<(), EncodeError>,
    writer: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let before = out.len();
    out.resize(before.saturating_add(room), 0);
    let written = match out.get_mut(before..).and_then(Window::zeroed) {
        Some(mut win) => match window(&mut win) {
            Ok(()) if win.fits() => Some(Ok(win.pos())),
            Err(e) if win.fits() => Some(Err(e)),
            // Out of room: its bytes and errors are meaningless.
            _ => None,
        },
        None => None,
    };
    match written {
        Some(Ok(used)) => {
            out.truncate(before + used);
            Ok(())
        }
        Some(Err(e)) => {
            out.truncate(before);
            Err(e)
        }
        None => {
            out.truncate(before);
            append_or_restore(out, writer)
        }
    }
}

/// `impl From<Body> for Message` for bodies that belong to a single message type.
macro_rules! message_from {
    ($($body:ty => $variant:ident,)*) => {
        $(impl From<$body> for Message {
            fn from(b: $body) -> Self {
                Message::$variant(b)
            }
        })*
    };
}

message_from! {
    Hello => Hello,
    ErrorMsg => Error,
    ExperimenterMsg => Experimenter,
    SwitchFeatures => FeaturesReply,
    PacketIn => PacketIn,
    FlowRemoved => FlowRemoved,
    PortStatus => PortStatus,
    PacketOut => PacketOut,
    FlowMod => FlowMod,
    GroupMod => GroupMod,
    PortMod => PortMod,
    TableMod => TableMod,
    MultipartRequest => MultipartRequest,
    MultipartReply => MultipartReply,
    QueueGetConfigRequest => QueueGetConfigRequest,
    QueueGetConfigReply => QueueGetConfigReply,
    MeterMod => MeterMod,
}

impl fmt::Display for Message {
    /// One line: the type name, then an `ovs-ofctl`-like summary of the body, e.g.
    /// `FLOW_MOD add table=0 priority=123 cookie=0x0 match=in_port=6
    /// instructions=goto_table:1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())?;
        match self {
            Message::Hello(h) => write!(f, " {h}"),
            Message::Error(e) => write!(f, " {e}"),
            Message::EchoRequest(d) | Message::EchoReply(d) => {
                write!(f, " data=0x{}", hex_bytes(d))
            }
            Message::Experimenter(e) => write!(
                f,
                " experimenter={:#x} exp_type={} data=0x{}",
                e.experimenter,
                e.exp_type,
                hex_bytes(&e.data)
            ),
            Message::FeaturesRequest
            | Message::GetConfigRequest
            | Message::BarrierRequest
            | Message::BarrierReply
            | Message::GetAsyncRequest => Ok(()),
            Message::FeaturesReply(s) => write!(
                f,
                " dpid={:#018x} n_buffers={} n_tables={} auxiliary_id={} capabilities={:#x}",
                s.datapath_id, s.n_buffers, s.n_tables, s.auxiliary_id, s.capabilities
            ),
            Message::GetConfigReply(c) | Message::SetConfig(c) => {
                write!(f, " flags={:#x} miss_send_len={}", c.flags, c.miss_send_len)
            }
            Message::PacketIn(p) => write!(
                f,
                " buffer_id={:#x} total_len={} reason={} table={} cookie={:#x} match={} data_len={}",
                p.buffer_id,
                p.total_len,
                p.reason,
                p.table_id,
                p.cookie,
                p.match_,
                p.data.len()
            ),
            Message::FlowRemoved(r) => write!(
                f,
                " reason={} table={} priority={} cookie={:#x} duration={}.{:09}s \
                 packets={} bytes={} match={}",
                r.reason,
                r.table_id,
                r.priority,
                r.cookie,
                r.duration_sec,
                r.duration_nsec,
                r.packet_count,
                r.byte_count,
                r.match_
            ),
            Message::PacketOut(p) => {
                write!(
                    f,
                    " buffer_id={:#x} in_port={} actions=",
                    p.buffer_id,
                    crate::action::PortNo(p.in_port)
                )?;
                crate::action::fmt_actions(f, &p.actions)?;
                write!(f, " data_len={}", p.data.len())
            }
            Message::FlowMod(m) => write!(f, " {m}"),
            Message::TableMod(t) => write!(f, " table={} config={:#x}", t.table_id, t.config),
            Message::RoleRequest(r) | Message::RoleReply(r) => {
                write!(f, " role={} generation_id={}", r.role, r.generation_id)
            }
            Message::GetAsyncReply(a) | Message::SetAsync(a) => write!(
                f,
                " packet_in={:#x}/{:#x} port_status={:#x}/{:#x} flow_removed={:#x}/{:#x}",
                a.packet_in_mask[0],
                a.packet_in_mask[1],
                a.port_status_mask[0],
                a.port_status_mask[1],
                a.flow_removed_mask[0],
                a.flow_removed_mask[1]
            ),
            Message::Unknown { msg_type, body } => {
                write!(f, " type={msg_type} body=0x{}", hex_bytes(body))
            }
            Message::PortStatus(b) => write!(f, " {b}"),
            Message::GroupMod(b) => write!(f, " {b}"),
            Message::PortMod(b) => write!(f, " {b}"),
            Message::MultipartRequest(b) => write!(f, " {b}"),
            Message::MultipartReply(b) => write!(f, " {b}"),
            Message::QueueGetConfigRequest(b) => write!(f, " {b}"),
            Message::QueueGetConfigReply(b) => write!(f, " {b}"),
            Message::MeterMod(b) => write!(f, " {b}"),
        }
    }
}

impl fmt::Display for OfMessage {
    /// `xid=7 FLOW_MOD add ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "xid={} {}", self.xid, self.msg)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ryu_vectors::load;
    use crate::strategies::arb_core_message;
    use crate::{Action, Instruction, Match, Oxm};
    use proptest::prelude::*;

    /// Every `*.packet` Ryu vector as (file name, bytes), sorted; empty (with a note) when
    /// the folder is absent.
    pub(crate) fn all_vectors() -> Vec<(String, Vec<u8>)> {
        let dir = crate::ryu_vectors::dir().join("packet");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("note: skipping Ryu vectors, {} not found", dir.display());
            return Vec::new();
        };
        let mut out: Vec<(String, Vec<u8>)> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".packet"))
            .filter_map(|n| load(&n).map(|b| (n, b)))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn echo_request_golden() {
        // Ryu README example 1.
        let b = [4, 2, 0, 12, 0, 0, 0, 0, b'h', b'o', b'g', b'e'];
        let m = OfMessage::decode(&b).unwrap();
        assert_eq!(m, OfMessage::new(0, Message::EchoRequest(b"hoge".to_vec())));
        assert_eq!(m.to_vec().unwrap(), b);
        assert_eq!(m.to_string(), "xid=0 ECHO_REQUEST data=0x686f6765");
    }

    #[test]
    fn header_checks() {
        assert_eq!(
            OfMessage::decode(&[4, 20, 0]),
            Err(DecodeError::Truncated {
                what: "ofp_header.length",
                offset: 2,
                needed: 2,
                available: 1
            })
        );
        // length says 9, 8 bytes given.
        assert_eq!(
            OfMessage::decode(&[4, 20, 0, 9, 0, 0, 0, 0]),
            Err(DecodeError::Truncated {
                what: "OpenFlow message",
                offset: 0,
                needed: 9,
                available: 8
            })
        );
        // length says 8, 9 bytes given.
        assert!(matches!(
            OfMessage::decode(&[4, 20, 0, 8, 0, 0, 0, 0, 0]),
            Err(DecodeError::BadLength {
                what: "ofp_header.length",
                offset: 0,
                found: 8,
                ..
            })
        ));
        // length below the header.
        assert!(matches!(
            OfMessage::decode(&[4, 20, 0, 4, 0, 0, 0, 0]),
            Err(DecodeError::BadLength { found: 4, .. })
        ));
        // Non-HELLO with version 1.
        assert_eq!(
            OfMessage::decode(&[1, 20, 0, 8, 0, 0, 0, 0]),
            Err(DecodeError::BadVersion {
                offset: 0,
                found: 1
            })
        );
        // HELLO with version 1 (negotiation) is fine and keeps its version.
        let h = OfMessage::decode(&[1, 0, 0, 8, 0, 0, 0, 9]).unwrap();
        assert_eq!(
            h.msg,
            Message::Hello(Hello {
                version: 1,
                elements: vec![]
            })
        );
        assert_eq!(h.to_vec().unwrap(), [1, 0, 0, 8, 0, 0, 0, 9]);
        // Body bytes a fixed-size type does not use.
        assert_eq!(
            OfMessage::decode(&[4, 20, 0, 9, 0, 0, 0, 0, 7]),
            Err(DecodeError::BadLength {
                what: "BARRIER_REQUEST",
                offset: 0,
                expected: "== 8 (bytes the body uses)".into(),
                found: 9
            })
        );
    }

    #[test]
    fn unknown_types_round_trip_and_known_types_are_not_raw() {
        let b = [4, 200, 0, 10, 0, 0, 0, 1, 0xab, 0xcd];
        let m = OfMessage::decode(&b).unwrap();
        assert_eq!(
            m.msg,
            Message::Unknown {
                msg_type: 200,
                body: vec![0xab, 0xcd]
            }
        );
        assert_eq!(m.to_vec().unwrap(), b);
        let bad = OfMessage::new(
            1,
            Message::Unknown {
                msg_type: 14,
                body: vec![],
            },
        );
        let mut out = vec![9];
        assert!(bad.encode(&mut out).is_err());
        assert_eq!(out, [9], "output restored on error");
    }

    #[test]
    fn flow_mod_builder_encodes_lengths_and_displays() {
        let fm = FlowMod::add(
            0,
            100,
            Match::new()
                .with(Oxm::EthType(0x0800))
                .with(Oxm::IpProto(6)),
            vec![Instruction::ApplyActions(vec![Action::output(3)])],
        );
        let m = OfMessage::new(7, fm.into());
        let b = m.to_vec().unwrap();
        assert_eq!(usize::from(u16::from_be_bytes([b[2], b[3]])), b.len());
        assert_eq!(b.len(), 8 + 40 + 16 + 24);
        assert_eq!(OfMessage::decode(&b), Ok(m.clone()));
        assert_eq!(
            m.to_string(),
            "xid=7 FLOW_MOD add table=0 priority=100 cookie=0x0 \
             match=eth_type=0x0800,ip_proto=6 instructions=apply_actions(output:3)"
        );
        assert_eq!(m.msg.type_name(), "FLOW_MOD");
    }

    #[test]
    fn too_long_message_is_an_encode_error() {
        let m = OfMessage::new(0, Message::EchoRequest(vec![0; 70_000]));
        assert!(matches!(
            m.to_vec(),
            Err(EncodeError::TooLong { max: 65535, .. })
        ));
    }

    #[test]
    fn every_ryu_vector_round_trips_byte_for_byte() {
        let vectors = all_vectors();
        for (name, bytes) in &vectors {
            let m = OfMessage::decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(m.msg.msg_type(), bytes[1], "{name}");
            let out = m.to_vec().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&out, bytes, "{name}: re-encoding differs");
            assert!(!m.to_string().is_empty());
        }
        if !vectors.is_empty() {
            assert_eq!(vectors.len(), 104);
        }
    }

    #[test]
    fn nicira_flow_mods_keep_experimenter_items_raw() {
        for (name, bytes) in all_vectors() {
            if !name.starts_with("ovs-ofctl") {
                continue;
            }
            let Message::FlowMod(fm) = OfMessage::decode(&bytes).unwrap().msg else {
                panic!("{name}: not a flow mod");
            };
            let nicira_action = fm.instructions.iter().any(|i| match i {
                Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.iter().any(|a| {
                    matches!(
                        a,
                        Action::Experimenter {
                            experimenter: 0x2320,
                            ..
                        }
                    )
                }),
                _ => false,
            });
            let nxm_field = fm.match_.fields.iter().any(|o| matches!(o, Oxm::Raw(_)));
            assert!(nicira_action || nxm_field, "{name}: no Nicira item found");
        }
    }

    #[test]
    fn truncated_flow_mod_vector_is_rejected() {
        // Ryu's `flow_mod.truncated64` case: the first 64 bytes of a 256-byte FLOW_MOD.
        let Some(b) = load("libofproto-OFP13-flow_mod.packet") else {
            return;
        };
        let e = OfMessage::decode(&b[..64]).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "OpenFlow message",
                offset: 0,
                needed: 256,
                available: 64
            }
        );
    }

    #[test]
    fn every_prefix_of_a_vector_fails_inside_it() {
        for name in [
            "4-2-ofp_flow_mod.packet",
            "4-59-ofp_packet_in.packet",
            "4-10-ofp_hello.packet",
        ] {
            let Some(b) = load(name) else { return };
            for cut in 0..b.len() {
                let mut prefix = b[..cut].to_vec();
                if cut >= 4 {
                    // Make the header agree with the cut so the body decoder sees it.
                    let len = u16::try_from(cut).unwrap().to_be_bytes();
                    prefix[2..4].copy_from_slice(&len);
                }
                if let Err(e) = OfMessage::decode(&prefix) {
                    assert!(e.offset() <= cut, "{name} cut {cut}: {e}");
                }
            }
        }
    }

    #[test]
    fn nested_errors_report_message_offsets() {
        // FLOW_MOD with apply_actions holding an output action whose len is 12.
        let fm = FlowMod::add(
            1,
            1,
            Match::new(),
            vec![Instruction::ApplyActions(vec![Action::output(1)])],
        );
        let mut b = OfMessage::new(0, fm.into()).to_vec().unwrap();
        // header 8 + fixed 40 + empty match 8 = 56: instruction; its action starts at 64.
        assert_eq!(&b[64..68], &[0, 0, 0, 16]);
        b[67] = 12;
        assert_eq!(
            OfMessage::decode(&b),
            Err(DecodeError::BadLength {
                what: "ofp_action_header",
                offset: 64,
                expected: ">= 8 and a multiple of 8".into(),
                found: 12
            })
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_json_round_trip() {
        let fm = FlowMod::add(
            0,
            7,
            Match::new()
                .with(Oxm::EthType(0x0800))
                .with(Oxm::Ipv4Src("10.0.0.1".parse().unwrap(), None)),
            vec![Instruction::ApplyActions(vec![Action::output(1)])],
        );
        let m = OfMessage::new(3, fm.into());
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"ipv4_src\":[\"10.0.0.1\",null]"), "{json}");
        let back: OfMessage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[cfg(feature = "arbitrary")]
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// For any value `arbitrary` builds: if it encodes, the bytes decode, and the decoded
        /// value is a fixed point of encode/decode (the fuzz target `structured`'s property).
        #[test]
        fn arbitrary_values_that_encode_decode(seed in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut u = arbitrary::Unstructured::new(&seed);
            let Ok(m) = <OfMessage as arbitrary::Arbitrary>::arbitrary(&mut u) else {
                return Ok(());
            };
            let Ok(bytes) = m.to_vec() else {
                return Ok(());
            };
            let d = OfMessage::decode(&bytes);
            prop_assert!(d.is_ok(), "{:?} encodes but does not decode: {:?}", m, d);
            let d = d.unwrap();
            let again = d.to_vec().unwrap();
            prop_assert_eq!(&again, &bytes);
            prop_assert_eq!(OfMessage::decode(&again), Ok(d));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn round_trip(xid in any::<u32>(), msg in arb_core_message()) {
            let m = OfMessage::new(xid, msg);
            let bytes = m.to_vec().unwrap();
            prop_assert_eq!(OfMessage::decode(&bytes), Ok(m));
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            t in 0u8..32,
            body in proptest::collection::vec(any::<u8>(), 0..128),
        ) {
            let mut b = vec![4, t, 0, 0, 0, 0, 0, 0];
            b.extend(body);
            let len = u16::try_from(b.len()).unwrap().to_be_bytes();
            b[2..4].copy_from_slice(&len);
            if let Ok(m) = OfMessage::decode(&b) {
                // Whatever decodes re-encodes to the same length (padding may differ).
                prop_assert_eq!(m.to_vec().map(|v| v.len()), Ok(b.len()));
            }
        }
    }
}
