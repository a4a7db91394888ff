//! A sans-IO emulated OpenFlow 1.3 switch: feed it the controller's messages, it appends its
//! replies to an output buffer and tells the caller what happened ([`Notice`]).
//!
//! It answers what a controller asks of a switch during the handshake and afterwards
//! (OpenFlow 1.3.5 §6.3.1, §7.3): HELLO with a version bitmap (§7.5.1), FEATURES (§7.3.1),
//! GET_CONFIG/SET_CONFIG (§7.3.2), ECHO, BARRIER (§6.2), ROLE (§7.3.9), GET_ASYNC/SET_ASYNC
//! (§7.3.10) and the multipart kinds DESC, PORT_DESC, FLOW, AGGREGATE, TABLE and PORT_STATS
//! (§7.3.5). FLOW_MODs change its [`FlowTable`], so FLOW_STATS gives back what was installed
//! and a controller can reconcile against it. Anything else is refused with the spec's
//! ERROR (`OFPBRC_BAD_TYPE` / `OFPBRC_BAD_MULTIPART`) carrying the request's first 64 bytes.

use std::time::Instant;

use flowfall_ofp::async_config::AsyncConfig;
use flowfall_ofp::error_msg::{
    BadRequestCode, ErrorCode, ErrorMsg, FlowModFailedCode, HelloFailedCode,
};
use flowfall_ofp::features::{SwitchFeatures, capabilities};
use flowfall_ofp::fixed_str::FixedStr;
use flowfall_ofp::header::{OFP_VERSION, OFPT_HELLO};
use flowfall_ofp::hello::Hello;
use flowfall_ofp::multipart::{
    AggregateStats, Desc, MultipartReply, MultipartReplyBody, MultipartRequest,
    MultipartRequestBody, PortStats, Reassembler, ReassemblyLimits, TableStats, split_reply,
};
use flowfall_ofp::packet_in::{PacketIn, PacketInReason};
use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::port::{Port, port_features, port_no, port_state};
use flowfall_ofp::role::{ControllerRole, RoleMessage};
use flowfall_ofp::switch_config::SwitchConfig;
use flowfall_ofp::{EncodeError, FlowMod, MacAddr, Match, Message, OfMessage, Oxm};

use crate::flow_table::{Applied, FlowTable, MAX_TABLE_ID};

/// Default number of packet buffers a switch reports (FEATURES `n_buffers`).
pub const DEFAULT_BUFFERS: u32 = 256;
/// Default flow-table capacity of an emulated switch (all tables together).
pub const DEFAULT_MAX_FLOWS: usize = 1_000_000;

/// One port of an emulated switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    /// OpenFlow port number (1..=`OFPP_MAX`).
    pub port_no: u32,
    /// Name (at most 15 bytes are sent).
    pub name: String,
    /// Hardware address.
    pub hw_addr: MacAddr,
}

/// What an emulated switch looks like to the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchSpec {
    /// Datapath id.
    pub dpid: u64,
    /// Ports, reported in PORT_DESC.
    pub ports: Vec<PortSpec>,
    /// Reported `n_buffers`.
    pub n_buffers: u32,
    /// Flow-table capacity; FLOW_MODs beyond it fail with `OFPFMFC_TABLE_FULL`.
    pub max_flows: usize,
}

impl SwitchSpec {
    /// A switch with datapath id `dpid` and the given port numbers; ports are named
    /// `s<dpid>-p<n>` and get locally administered MACs derived from the dpid and port.
    pub fn new(dpid: u64, ports: impl IntoIterator<Item = u32>) -> SwitchSpec {
        let d = dpid.to_be_bytes();
        SwitchSpec {
            dpid,
            ports: ports
                .into_iter()
                .map(|n| {
                    let p = n.to_be_bytes();
                    PortSpec {
                        port_no: n,
                        name: format!("s{dpid:x}-p{n}"),
                        hw_addr: MacAddr([0x0a, d[6], d[7], p[1], p[2], p[3]]),
                    }
                })
                .collect(),
            n_buffers: DEFAULT_BUFFERS,
            max_flows: DEFAULT_MAX_FLOWS,
        }
    }

    fn port_desc(&self) -> Vec<Port> {
        self.ports
            .iter()
            .map(|p| Port {
                port_no: p.port_no,
                hw_addr: p.hw_addr,
                name: FixedStr::truncating(&p.name),
                config: 0,
                state: port_state::LIVE,
                curr: port_features::RATE_10GB_FD | port_features::COPPER,
                advertised: 0,
                supported: port_features::RATE_10GB_FD | port_features::COPPER,
                peer: 0,
                curr_speed: 10_000_000,
                max_speed: 10_000_000,
            })
            .collect()
    }
}

/// Something the caller may want to know about a message the switch handled.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// The controller's HELLO arrived; OpenFlow 1.3 was agreed.
    Negotiated,
    /// A FEATURES_REPLY was sent (the usual sign that the controller has the switch).
    FeaturesReplied,
    /// A FLOW_MOD was applied (or refused with the error in `result`, which was sent).
    FlowMod {
        /// The FLOW_MOD.
        flow_mod: Box<FlowMod>,
        /// What it did to the table.
        result: Result<Applied, FlowModFailedCode>,
    },
    /// A PACKET_OUT arrived.
    PacketOut(Box<PacketOut>),
    /// A BARRIER_REPLY was sent.
    BarrierReplied,
    /// A FLOW_STATS reply was sent (the controller is reading the table, e.g. to reconcile).
    FlowStatsReplied,
    /// The controller sent an ERROR.
    ControllerError(ErrorMsg),
    /// The switch refused a message with an ERROR (sent).
    Refused(ErrorCode),
}

/// A failure that ends the connection.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// No common OpenFlow version (an `OFPET_HELLO_FAILED` error was sent).
    #[error("controller HELLO offers no OpenFlow 1.3 (its header version is {version})")]
    NoCommonVersion {
        /// The controller's HELLO header version.
        version: u8,
    },
    /// A reply could not be encoded (a bug: replies are built from valid values).
    #[error("cannot encode reply: {0}")]
    Encode(#[from] EncodeError),
}

/// Counters of what one switch saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SwitchCounters {
    /// Messages received.
    pub received: u64,
    /// FLOW_MODs received.
    pub flow_mods: u64,
    /// FLOW_MODs refused.
    pub flow_mod_errors: u64,
    /// PACKET_OUTs received.
    pub packet_outs: u64,
    /// BARRIER_REQUESTs answered.
    pub barriers: u64,
    /// ERRORs received from the controller.
    pub controller_errors: u64,
    /// ERRORs sent (refused requests).
    pub refused: u64,
}

/// The emulated switch's protocol state.
#[derive(Debug)]
pub struct EmulatedSwitch {
    spec: SwitchSpec,
    table: FlowTable,
    config: SwitchConfig,
    async_config: AsyncConfig,
    role: ControllerRole,
    generation_id: u64,
    next_xid: u32,
    reassembler: Reassembler,
    counters: SwitchCounters,
}

impl EmulatedSwitch {
    /// A switch in its initial state (empty tables, `miss_send_len` 128).
    pub fn new(spec: SwitchSpec) -> EmulatedSwitch {
        EmulatedSwitch {
            table: FlowTable::new(spec.max_flows),
            spec,
            config: SwitchConfig {
                flags: 0,
                miss_send_len: 128,
            },
            async_config: AsyncConfig {
                packet_in_mask: [0b111, 0b100],
                port_status_mask: [0b111, 0b111],
                flow_removed_mask: [0b1111, 0],
            },
            role: ControllerRole::Equal,
            generation_id: 0,
            next_xid: 1,
            reassembler: Reassembler::new(ReassemblyLimits::default()),
            counters: SwitchCounters::default(),
        }
    }

    /// The switch's description.
    pub fn spec(&self) -> &SwitchSpec {
        &self.spec
    }

    /// Its flow tables.
    pub fn table(&self) -> &FlowTable {
        &self.table
    }

    /// Lets the flow table double without re-hashing ([`FlowTable::reserve_headroom`]).
    pub fn reserve_headroom(&mut self) {
        self.table.reserve_headroom();
    }

    /// What it has seen so far.
    pub fn counters(&self) -> SwitchCounters {
        self.counters
    }

    /// The configured `miss_send_len` (SET_CONFIG).
    pub fn miss_send_len(&self) -> u16 {
        self.config.miss_send_len
    }

    /// The HELLO to open the connection with: version bitmap offering OpenFlow 1.3 only.
    pub fn hello(&mut self) -> OfMessage {
        OfMessage {
            xid: self.xid(),
            msg: Message::Hello(Hello::with_versions(&[OFP_VERSION])),
        }
    }

    fn xid(&mut self) -> u32 {
        let x = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        x
    }

    /// A table-miss PACKET_IN of `frame` arriving on `in_port` (table 0, cookie all ones as
    /// for the table-miss entry), appended to `out`. The frame is sent whole.
    pub fn packet_in(
        &mut self,
        buffer_id: u32,
        in_port: u32,
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let msg = OfMessage {
            xid: 0,
            msg: Message::PacketIn(PacketIn {
                buffer_id,
                total_len: u16::try_from(frame.len()).unwrap_or(u16::MAX),
                reason: PacketInReason::NoMatch,
                table_id: 0,
                cookie: u64::MAX,
                match_: Match::new().with(Oxm::InPort(in_port)),
                data: frame.to_vec(),
            }),
        };
        msg.encode(out)
    }

    /// Handles one message from the controller (`bytes`: the whole message as framed),
    /// appending any replies to `out`.
    pub fn handle(
        &mut self,
        now: Instant,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Notice>, SwitchError> {
        self.counters.received += 1;
        let version = bytes.first().copied().unwrap_or_default();
        let msg_type = bytes.get(1).copied().unwrap_or_default();
        if version != OFP_VERSION && msg_type != OFPT_HELLO {
            return self.refuse(
                0,
                ErrorCode::BadRequest(BadRequestCode::BadVersion),
                bytes,
                out,
            );
        }
        let msg = match OfMessage::decode(bytes) {
            Ok(m) => m,
            Err(_) => {
                let xid = bytes
                    .get(4..8)
                    .and_then(|x| x.try_into().ok())
                    .map_or(0, u32::from_be_bytes);
                return self.refuse(
                    xid,
                    ErrorCode::BadRequest(BadRequestCode::BadLen),
                    bytes,
                    out,
                );
            }
        };
        let xid = msg.xid;
        let reply = |msg: Message| OfMessage { xid, msg };
        let notice = match msg.msg {
            Message::Hello(h) => {
                if !h.supports(OFP_VERSION) {
                    let err = ErrorMsg {
                        code: ErrorCode::HelloFailed(HelloFailedCode::Incompatible),
                        data: b"flowfall-loadgen speaks OpenFlow 1.3 only".to_vec(),
                    };
                    reply(Message::Error(err)).encode(out)?;
                    return Err(SwitchError::NoCommonVersion { version: h.version });
                }
                Some(Notice::Negotiated)
            }
            Message::EchoRequest(data) => {
                reply(Message::EchoReply(data)).encode(out)?;
                None
            }
            Message::EchoReply(_) => None,
            Message::FeaturesRequest => {
                let f = SwitchFeatures {
                    datapath_id: self.spec.dpid,
                    n_buffers: self.spec.n_buffers,
                    n_tables: MAX_TABLE_ID + 1,
                    auxiliary_id: 0,
                    capabilities: capabilities::FLOW_STATS
                        | capabilities::TABLE_STATS
                        | capabilities::PORT_STATS,
                    reserved: 0,
                };
                reply(Message::FeaturesReply(f)).encode(out)?;
                Some(Notice::FeaturesReplied)
            }
            Message::GetConfigRequest => {
                reply(Message::GetConfigReply(self.config)).encode(out)?;
                None
            }
            Message::SetConfig(c) => {
                self.config = c;
                None
            }
            Message::BarrierRequest => {
                self.counters.barriers += 1;
                reply(Message::BarrierReply).encode(out)?;
                Some(Notice::BarrierReplied)
            }
            Message::FlowMod(fm) => {
                self.counters.flow_mods += 1;
                let result = self.table.apply(now, &fm);
                if let Err(code) = result {
                    self.counters.flow_mod_errors += 1;
                    self.counters.refused += 1;
                    reply(Message::Error(ErrorMsg::reply_to(
                        ErrorCode::FlowModFailed(code),
                        bytes,
                    )))
                    .encode(out)?;
                }
                Some(Notice::FlowMod {
                    flow_mod: Box::new(fm),
                    result,
                })
            }
            Message::PacketOut(po) => {
                self.counters.packet_outs += 1;
                Some(Notice::PacketOut(Box::new(po)))
            }
            Message::RoleRequest(r) => {
                if r.role != ControllerRole::NoChange {
                    self.role = r.role;
                    self.generation_id = r.generation_id;
                }
                let answer = RoleMessage {
                    role: self.role,
                    generation_id: self.generation_id,
                };
                reply(Message::RoleReply(answer)).encode(out)?;
                None
            }
            Message::GetAsyncRequest => {
                reply(Message::GetAsyncReply(self.async_config)).encode(out)?;
                None
            }
            Message::SetAsync(a) => {
                self.async_config = a;
                None
            }
            Message::Error(e) => {
                self.counters.controller_errors += 1;
                Some(Notice::ControllerError(e))
            }
            Message::MultipartRequest(req) => return self.multipart(now, xid, req, bytes, out),
            _ => {
                return self.refuse(
                    xid,
                    ErrorCode::BadRequest(BadRequestCode::BadType),
                    bytes,
                    out,
                );
            }
        };
        Ok(notice)
    }

    fn multipart(
        &mut self,
        now: Instant,
        xid: u32,
        req: MultipartRequest,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Notice>, SwitchError> {
        let whole = match self.reassembler.push(OfMessage {
            xid,
            msg: Message::MultipartRequest(req),
        }) {
            Ok(Some(OfMessage {
                msg: Message::MultipartRequest(r),
                ..
            })) => r,
            Ok(_) => return Ok(None),
            Err(_) => {
                self.reassembler.discard(false, xid);
                return self.refuse(
                    xid,
                    ErrorCode::BadRequest(BadRequestCode::MultipartBufferOverflow),
                    bytes,
                    out,
                );
            }
        };
        let mut notice = None;
        let body = match whole.body {
            MultipartRequestBody::Desc => MultipartReplyBody::Desc(Box::new(Desc {
                mfr_desc: FixedStr::truncating("FlowFall-rs"),
                hw_desc: FixedStr::truncating("flowfall-loadgen emulated switch"),
                sw_desc: FixedStr::truncating(env!("CARGO_PKG_VERSION")),
                serial_num: FixedStr::truncating(&format!("{:016x}", self.spec.dpid)),
                dp_desc: FixedStr::truncating(&format!("emulated dpid {:016x}", self.spec.dpid)),
            })),
            MultipartRequestBody::PortDesc => MultipartReplyBody::PortDesc(self.spec.port_desc()),
            MultipartRequestBody::Flow(r) => {
                notice = Some(Notice::FlowStatsReplied);
                MultipartReplyBody::Flow(self.table.stats(now, &r))
            }
            MultipartRequestBody::Aggregate(r) => MultipartReplyBody::Aggregate(AggregateStats {
                packet_count: 0,
                byte_count: 0,
                flow_count: u32::try_from(self.table.stats(now, &r).len()).unwrap_or(u32::MAX),
            }),
            MultipartRequestBody::Table => MultipartReplyBody::Table(
                (0..=MAX_TABLE_ID)
                    .map(|t| TableStats {
                        table_id: t,
                        active_count: u32::try_from(self.table.table_len(t)).unwrap_or(u32::MAX),
                        lookup_count: 0,
                        matched_count: 0,
                    })
                    .collect(),
            ),
            MultipartRequestBody::PortStats(r) => MultipartReplyBody::PortStats(
                self.spec
                    .ports
                    .iter()
                    .filter(|p| r.port_no == port_no::ANY || r.port_no == p.port_no)
                    .map(|p| PortStats {
                        port_no: p.port_no,
                        ..PortStats::default()
                    })
                    .collect(),
            ),
            _ => {
                return self.refuse(
                    xid,
                    ErrorCode::BadRequest(BadRequestCode::BadMultipart),
                    bytes,
                    out,
                );
            }
        };
        for part in split_reply(xid, MultipartReply { flags: 0, body })? {
            part.encode(out)?;
        }
        Ok(notice)
    }

    fn refuse(
        &mut self,
        xid: u32,
        code: ErrorCode,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Option<Notice>, SwitchError> {
        self.counters.refused += 1;
        OfMessage {
            xid,
            msg: Message::Error(ErrorMsg::reply_to(code, bytes)),
        }
        .encode(out)?;
        Ok(Some(Notice::Refused(code)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_ofp::flow_mod::OFPTT_ALL;
    use flowfall_ofp::framer::frames;
    use flowfall_ofp::multipart::FlowStatsRequest;
    use flowfall_ofp::{Action, FlowModCommand, Instruction};
    use proptest::prelude::*;

    fn send(sw: &mut EmulatedSwitch, msg: Message) -> (Option<Notice>, Vec<OfMessage>) {
        let bytes = OfMessage { xid: 77, msg }.to_vec().unwrap();
        let mut out = Vec::new();
        let n = sw.handle(Instant::now(), &bytes, &mut out).unwrap();
        let replies = frames(&out)
            .map(|f| OfMessage::decode(f.unwrap()).unwrap())
            .collect();
        (n, replies)
    }

    fn switch() -> EmulatedSwitch {
        EmulatedSwitch::new(SwitchSpec::new(0x42, [1, 2, 3]))
    }

    #[test]
    fn handshake_answers() {
        let mut sw = switch();
        let hello = sw.hello();
        assert!(matches!(&hello.msg, Message::Hello(h) if h.bitmap_versions() == Some(vec![4])));
        assert_eq!(
            send(&mut sw, Message::Hello(Hello::with_versions(&[1, 4]))).0,
            Some(Notice::Negotiated)
        );
        let (n, r) = send(&mut sw, Message::FeaturesRequest);
        assert_eq!(n, Some(Notice::FeaturesReplied));
        assert!(
            matches!(&r[..], [OfMessage { xid: 77, msg: Message::FeaturesReply(f) }] if f.datapath_id == 0x42)
        );
        let (_, r) = send(
            &mut sw,
            Message::MultipartRequest(MultipartRequest {
                flags: 0,
                body: MultipartRequestBody::PortDesc,
            }),
        );
        let ports: Vec<u32> = match &r[..] {
            [
                OfMessage {
                    msg:
                        Message::MultipartReply(MultipartReply {
                            body: MultipartReplyBody::PortDesc(p),
                            ..
                        }),
                    ..
                },
            ] => p.iter().map(|p| p.port_no).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(ports, [1, 2, 3]);
        send(
            &mut sw,
            Message::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: 0xffff,
            }),
        );
        assert_eq!(sw.miss_send_len(), 0xffff);
        let (_, r) = send(&mut sw, Message::GetConfigRequest);
        assert!(
            matches!(&r[..], [OfMessage { msg: Message::GetConfigReply(c), .. }] if c.miss_send_len == 0xffff)
        );
        let (_, r) = send(&mut sw, Message::EchoRequest(vec![1, 2]));
        assert_eq!(r[0].msg, Message::EchoReply(vec![1, 2]));
        let (n, r) = send(&mut sw, Message::BarrierRequest);
        assert_eq!(
            (n, r[0].msg.clone()),
            (Some(Notice::BarrierReplied), Message::BarrierReply)
        );
    }

    #[test]
    fn hello_without_13_fails() {
        let mut sw = switch();
        let bytes = OfMessage {
            xid: 1,
            msg: Message::Hello(Hello::with_versions(&[1])),
        }
        .to_vec()
        .unwrap();
        let mut out = Vec::new();
        assert!(matches!(
            sw.handle(Instant::now(), &bytes, &mut out),
            Err(SwitchError::NoCommonVersion { version: 1 })
        ));
        assert!(
            matches!(OfMessage::decode(&out).unwrap().msg, Message::Error(e) if e.code == ErrorCode::HelloFailed(HelloFailedCode::Incompatible))
        );
    }

    #[test]
    fn flow_mods_fill_the_table_and_flow_stats_read_it_back() {
        let mut sw = switch();
        for port in 1..=3u32 {
            let fm = FlowMod::add(
                0,
                100,
                Match::new().with(Oxm::InPort(port)),
                vec![Instruction::ApplyActions(vec![Action::Output {
                    port: 2,
                    max_len: 0,
                }])],
            );
            let (n, r) = send(&mut sw, Message::FlowMod(fm));
            assert!(matches!(
                n,
                Some(Notice::FlowMod {
                    result: Ok(Applied { added: 1, .. }),
                    ..
                })
            ));
            assert!(r.is_empty());
        }
        let req = FlowStatsRequest::default();
        let (n, r) = send(
            &mut sw,
            Message::MultipartRequest(MultipartRequest {
                flags: 0,
                body: MultipartRequestBody::Flow(req.clone()),
            }),
        );
        assert_eq!(n, Some(Notice::FlowStatsReplied));
        let got = match &r[..] {
            [
                OfMessage {
                    msg:
                        Message::MultipartReply(MultipartReply {
                            body: MultipartReplyBody::Flow(s),
                            ..
                        }),
                    ..
                },
            ] => s.len(),
            other => panic!("{other:?}"),
        };
        assert_eq!(got, 3);
        let mut del = FlowMod::add(OFPTT_ALL, 0, Match::new(), vec![]);
        del.command = FlowModCommand::Delete;
        send(&mut sw, Message::FlowMod(del));
        assert!(sw.table().is_empty());
        assert_eq!(sw.counters().flow_mods, 4);
    }

    #[test]
    fn refused_requests_get_errors_with_request_bytes() {
        let mut sw = switch();
        let (n, r) = send(&mut sw, Message::BarrierReply);
        assert_eq!(
            n,
            Some(Notice::Refused(ErrorCode::BadRequest(
                BadRequestCode::BadType
            )))
        );
        assert!(matches!(&r[0].msg, Message::Error(e) if e.data.len() == 8));
        let mut fm = FlowMod::add(254, 1, Match::new(), vec![]);
        fm.command = FlowModCommand::Add;
        let (_, r) = send(&mut sw, Message::FlowMod(fm));
        assert!(
            matches!(&r[0].msg, Message::Error(e) if e.code == ErrorCode::FlowModFailed(FlowModFailedCode::BadTableId))
        );
        let mut out = Vec::new();
        let mut v10 = OfMessage {
            xid: 5,
            msg: Message::FeaturesRequest,
        }
        .to_vec()
        .unwrap();
        v10[0] = 1;
        sw.handle(Instant::now(), &v10, &mut out).unwrap();
        assert!(
            matches!(OfMessage::decode(&out).unwrap().msg, Message::Error(e) if e.code == ErrorCode::BadRequest(BadRequestCode::BadVersion))
        );
    }

    #[test]
    fn packet_in_carries_frame_and_in_port() {
        let mut sw = switch();
        let mut out = Vec::new();
        sw.packet_in(9, 3, &[1, 2, 3], &mut out).unwrap();
        match OfMessage::decode(&out).unwrap().msg {
            Message::PacketIn(pi) => {
                assert_eq!((pi.buffer_id, pi.total_len, pi.data), (9, 3, vec![1, 2, 3]));
                assert_eq!(pi.match_.fields, vec![Oxm::InPort(3)]);
            }
            other => panic!("{other:?}"),
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 8..128)) {
            let mut sw = switch();
            let mut b = bytes;
            let len = b.len() as u16;
            b[2..4].copy_from_slice(&len.to_be_bytes());
            let mut out = Vec::new();
            let _ = sw.handle(Instant::now(), &b, &mut out);
        }
    }
}
