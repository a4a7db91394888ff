//! The core against in-memory fake switches (Faucet style): each fake answers the handshake,
//! keeps its flow table in `flowfall_compile`'s switch simulator (OpenFlow 1.3 flow-mod
//! semantics), answers FLOW_STATS from it (with its own field order, like Open vSwitch) and
//! barriers; the tests then walk packets through the fakes' tables.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use flowfall_compile::sim::{Fabric, Tracer};
use flowfall_compile::{Compilation, LiveVms};
use flowfall_ofp::error_msg::{BadRequestCode, ErrorCode, ErrorMsg, HelloFailedCode};
use flowfall_ofp::features::SwitchFeatures;
use flowfall_ofp::fixed_str::FixedStr;
use flowfall_ofp::flow_removed::{FlowRemoved, FlowRemovedReason};
use flowfall_ofp::hello::Hello;
use flowfall_ofp::multipart::{
    FlowStats, MultipartReply, MultipartReplyBody, MultipartRequestBody, OFPMPF_REPLY_MORE,
};
use flowfall_ofp::packet_in::{PacketIn, PacketInReason};
use flowfall_ofp::port::{Port, PortReason, PortStatus, port_state};
use flowfall_ofp::{FlowModCommand, Match, Message, OfMessage, Oxm};
use flowfall_topology::Topology;

use super::packet::tests::ipv4_frame;
use super::{ConnId, Controller, Event, Output, Timers};
use crate::metrics::DisconnectReason;

pub(crate) const LAB: &str = include_str!("../../../../examples/configs/lab.toml");

const TIMERS: Timers = Timers {
    echo_interval: Duration::from_secs(5),
    dead_peer_timeout: Duration::from_secs(15),
    handshake_timeout: Duration::from_secs(10),
    barrier_timeout: Duration::from_secs(30),
};

/// A switch's FEATURES_REPLY for datapath `dpid` (254 tables, no buffers).
pub(super) fn features_reply(dpid: u64) -> Message {
    Message::FeaturesReply(SwitchFeatures {
        datapath_id: dpid,
        n_buffers: 0,
        n_tables: 254,
        auxiliary_id: 0,
        capabilities: 0,
        reserved: 0,
    })
}

/// The messages an output sends, with their connection: the one of an [`Output::Send`],
/// each of an [`Output::SendEncoded`] (decoded); none for other outputs.
pub(super) fn sent_messages(out: &Output) -> Vec<(ConnId, OfMessage)> {
    match out {
        Output::Send { conn, msg } => vec![(*conn, msg.clone())],
        Output::SendEncoded { conn, bytes } => flowfall_ofp::framer::frames(bytes)
            .map(|frame| (*conn, OfMessage::decode(frame.unwrap()).unwrap()))
            .collect(),
        Output::Close { .. } | Output::Synced { .. } => Vec::new(),
    }
}

fn port(no: u32, up: bool) -> Port {
    Port {
        port_no: no,
        name: FixedStr::truncating(&format!("p{no}")),
        state: if up { 0 } else { port_state::LINK_DOWN },
        ..Port::default()
    }
}

/// A fake switch.
struct Fake {
    junction: usize,
    dpid: u64,
    ports: Vec<Port>,
    answer_barriers: bool,
    answer_features: bool,
    /// Refuse flow mods whose match contains this field.
    refuse: Option<Oxm>,
}

impl Fake {
    fn new(topo: &Topology, junction: usize) -> Fake {
        let sw = &topo.switches()[junction];
        Fake {
            junction,
            dpid: sw.dpid,
            ports: topo
                .ports(junction)
                .iter()
                .map(|&(p, _)| port(p, true))
                .collect(),
            answer_barriers: true,
            answer_features: true,
            refuse: None,
        }
    }
}

/// A check run on the fakes' tables after every flow mod.
type Check = Box<dyn FnMut(&Topology, &Fabric)>;

struct Net {
    topo: Topology,
    core: Controller,
    now: Instant,
    fabric: Fabric,
    fakes: BTreeMap<ConnId, Fake>,
    next_conn: u64,
    closed: Vec<(ConnId, DisconnectReason)>,
    synced: Vec<u64>,
    /// Everything the controller sent, in order.
    sent: Vec<(ConnId, OfMessage)>,
    /// Run after every flow mod a fake applies.
    check: Option<Check>,
}

impl Net {
    fn new(text: &str) -> Net {
        let topo = Topology::from_toml_str(text).unwrap();
        let n = topo.switches().len();
        Net {
            core: Controller::new(topo.clone(), TIMERS).unwrap(),
            topo,
            now: Instant::now(),
            fabric: Fabric::empty(n),
            fakes: BTreeMap::new(),
            next_conn: 1,
            closed: Vec::new(),
            synced: Vec::new(),
            sent: Vec::new(),
            check: None,
        }
    }

    /// A new controller over the same fake switches (whose tables are kept).
    fn restart_controller(&mut self) {
        self.core = Controller::new(self.topo.clone(), TIMERS).unwrap();
        self.fakes.clear();
        self.sent.clear();
        self.synced.clear();
    }

    fn lab() -> Net {
        Net::new(LAB)
    }

    /// Connects a fake and runs the handshake; returns its connection.
    fn connect(&mut self, fake: Fake) -> ConnId {
        self.connect_with_hello(fake, Hello::default())
    }

    fn connect_with_hello(&mut self, fake: Fake, hello: Hello) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.fakes.insert(conn, fake);
        self.core.handle(
            self.now,
            Event::Connected {
                conn,
                peer: format!("fake-{}", conn.0),
            },
        );
        self.deliver(conn, 0, Message::Hello(hello));
        conn
    }

    /// The switch on `conn` goes away: its connection closes.
    fn disconnect(&mut self, conn: ConnId) {
        self.core.handle(
            self.now,
            Event::Disconnected {
                conn,
                reason: DisconnectReason::Closed,
            },
        );
        self.fakes.remove(&conn);
    }

    fn connect_all(&mut self) -> Vec<ConnId> {
        (0..self.topo.switches().len())
            .map(|j| {
                let f = Fake::new(&self.topo, j);
                self.connect(f)
            })
            .collect()
    }

    /// The switch sends `msg` on `conn`.
    fn deliver(&mut self, conn: ConnId, xid: u32, msg: Message) {
        let bytes = OfMessage { xid, msg }.to_vec().unwrap();
        self.deliver_bytes(conn, bytes);
    }

    fn deliver_bytes(&mut self, conn: ConnId, bytes: Vec<u8>) {
        self.core.handle(self.now, Event::Message { conn, bytes });
        self.pump();
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.core.handle_timeout(self.now);
        self.pump();
    }

    /// Runs the controller and the fakes until nothing moves.
    fn pump(&mut self) {
        while let Some(out) = self.core.poll_output() {
            match out {
                Output::Send { .. } | Output::SendEncoded { .. } => {
                    for (conn, msg) in sent_messages(&out) {
                        self.sent.push((conn, msg.clone()));
                        for (xid, reply) in self.react(conn, &msg) {
                            let bytes = OfMessage { xid, msg: reply }.to_vec().unwrap();
                            self.core.handle(self.now, Event::Message { conn, bytes });
                        }
                    }
                }
                Output::Close { conn, reason } => {
                    self.closed.push((conn, reason));
                    self.fakes.remove(&conn);
                }
                Output::Synced { generation } => self.synced.push(generation),
            }
        }
    }

    /// What fake `conn` answers to `m`.
    fn react(&mut self, conn: ConnId, m: &OfMessage) -> Vec<(u32, Message)> {
        let Some(f) = self.fakes.get(&conn) else {
            return Vec::new();
        };
        let (j, dpid) = (f.junction, f.dpid);
        match &m.msg {
            Message::FeaturesRequest if f.answer_features => vec![(m.xid, features_reply(dpid))],
            Message::MultipartRequest(r) => match &r.body {
                MultipartRequestBody::PortDesc => {
                    // Two parts, to exercise OFPMPF_REPLY_MORE.
                    let (a, b) = f.ports.split_at(f.ports.len() / 2);
                    vec![
                        (
                            m.xid,
                            mp(OFPMPF_REPLY_MORE, MultipartReplyBody::PortDesc(a.to_vec())),
                        ),
                        (m.xid, mp(0, MultipartReplyBody::PortDesc(b.to_vec()))),
                    ]
                }
                MultipartRequestBody::Flow(_) => {
                    let stats: Vec<FlowStats> = self
                        .fabric
                        .switches
                        .get(j)
                        .map(|s| s.entries().map(flow_stats).collect())
                        .unwrap_or_default();
                    let chunks: Vec<Vec<FlowStats>> = stats.chunks(3).map(<[_]>::to_vec).collect();
                    let last = chunks.len().saturating_sub(1);
                    if chunks.is_empty() {
                        return vec![(m.xid, mp(0, MultipartReplyBody::Flow(Vec::new())))];
                    }
                    chunks
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let flags = if i < last { OFPMPF_REPLY_MORE } else { 0 };
                            (m.xid, mp(flags, MultipartReplyBody::Flow(c)))
                        })
                        .collect()
                }
                _ => Vec::new(),
            },
            Message::FlowMod(fm) => {
                if let Some(bad) = &f.refuse {
                    if fm.match_.fields.contains(bad) {
                        return vec![(
                            m.xid,
                            Message::Error(ErrorMsg::reply_to(
                                ErrorCode::FlowModFailed(
                                    flowfall_ofp::error_msg::FlowModFailedCode::TableFull,
                                ),
                                &m.to_vec().unwrap(),
                            )),
                        )];
                    }
                }
                assert!(
                    !(matches!(fm.command, FlowModCommand::Delete) && fm.match_.fields.is_empty()),
                    "the controller flushed a table: {fm:?}"
                );
                self.fabric.apply(j, fm).unwrap();
                if let Some(check) = self.check.as_mut() {
                    check(&self.topo, &self.fabric);
                }
                Vec::new()
            }
            Message::BarrierRequest if f.answer_barriers => vec![(m.xid, Message::BarrierReply)],
            Message::EchoRequest(d) => vec![(m.xid, Message::EchoReply(d.clone()))],
            _ => Vec::new(),
        }
    }

    /// Messages sent on `conn` matching `pick`.
    fn sent_to<'a>(&'a self, conn: ConnId) -> impl Iterator<Item = &'a OfMessage> + 'a {
        self.sent
            .iter()
            .filter(move |(c, _)| *c == conn)
            .map(|(_, m)| m)
    }

    fn flow_mods(&self) -> Vec<(ConnId, flowfall_ofp::FlowMod)> {
        self.sent
            .iter()
            .filter_map(|(c, m)| match &m.msg {
                Message::FlowMod(fm) => Some((*c, fm.clone())),
                _ => None,
            })
            .collect()
    }

    /// What the compiler says junction `j` should hold with these live VMs.
    fn expected(&self, live: &LiveVms) -> flowfall_compile::Tables {
        Compilation::new(std::sync::Arc::new(self.topo.clone()), live.clone(), 0)
            .unwrap()
            .tables()
    }
}

/// A table-miss PACKET_IN carrying the whole frame.
fn packet_in(in_port: u32, data: Vec<u8>) -> Message {
    Message::PacketIn(PacketIn {
        buffer_id: 0xffff_ffff,
        total_len: data.len() as u16,
        reason: PacketInReason::NoMatch,
        table_id: 0,
        cookie: 0,
        match_: Match::new().with(Oxm::InPort(in_port)),
        data,
    })
}

fn mp(flags: u16, body: MultipartReplyBody) -> Message {
    Message::MultipartReply(MultipartReply { flags, body })
}

/// A flow-stats entry as Open vSwitch would report it: match fields in another order.
pub(super) fn flow_stats(e: &flowfall_compile::FlowEntry) -> FlowStats {
    let mut fields = e.match_.fields.clone();
    fields.reverse();
    FlowStats {
        table_id: e.table_id,
        duration_sec: 1,
        duration_nsec: 0,
        priority: e.priority,
        idle_timeout: e.idle_timeout,
        hard_timeout: 0,
        flags: 0,
        cookie: e.cookie.0,
        packet_count: 0,
        byte_count: 0,
        match_: Match { fields },
        instructions: e.instructions.to_vec(),
    }
}

/// Sorted `(priority, normalised match, instructions)` of a table, generations aside.
fn canon<'a>(entries: impl Iterator<Item = &'a flowfall_compile::FlowEntry>) -> Vec<String> {
    let mut v: Vec<String> = entries
        .map(|e| {
            format!(
                "{} {:?} {:?} {:x}",
                e.priority,
                super::table::normalise(&e.match_),
                e.instructions,
                e.cookie.identity()
            )
        })
        .collect();
    v.sort();
    v
}

fn assert_tables(net: &Net, want: &flowfall_compile::Tables) {
    for t in &want.switches {
        let have = canon(net.fabric.switches[t.index].entries());
        assert_eq!(have, canon(t.entries.iter()), "junction {}", t.name);
    }
}

#[test]
fn handshake_then_the_compiled_tables_are_installed() {
    let mut net = Net::lab();
    let conns = net.connect_all();
    let first: Vec<&str> = net
        .sent_to(conns[0])
        .map(|m| m.msg.type_name())
        .take(5)
        .collect();
    assert_eq!(
        first,
        [
            "HELLO",
            "FEATURES_REQUEST",
            "MULTIPART_REQUEST",
            "SET_CONFIG",
            "MULTIPART_REQUEST"
        ]
    );
    let set_config = net.sent_to(conns[0]).find_map(|m| match &m.msg {
        Message::SetConfig(c) => Some(c.miss_send_len),
        _ => None,
    });
    assert_eq!(set_config, Some(0xffff));
    let live = LiveVms::all(&net.topo);
    assert_tables(&net, &net.expected(&live));
    assert_eq!(net.core.metrics().switches_connected, 3);
    assert_eq!(net.core.metrics().reconciles, 3);
    let views = net.core.switch_views();
    assert!(
        views
            .iter()
            .all(|v| v.connected && v.in_sync && v.state == "ready"),
        "{views:?}"
    );
    assert!(net.synced.contains(&net.core.generation()));
    // Every batch of flow mods ends with a barrier.
    for &c in &conns {
        let types: Vec<&str> = net.sent_to(c).map(|m| m.msg.type_name()).collect();
        assert_eq!(types.last(), Some(&"BARRIER_REQUEST"), "{types:?}");
    }
}

#[test]
fn openflow_other_than_1_3_is_refused_with_a_clear_error() {
    let mut net = Net::lab();
    let f = Fake::new(&net.topo, 0);
    let conn = net.connect_with_hello(f, Hello::with_versions(&[1, 2]));
    let err = net.sent_to(conn).find_map(|m| match &m.msg {
        Message::Error(e) => Some(e.clone()),
        _ => None,
    });
    let err = err.expect("an ERROR");
    assert_eq!(
        err.code,
        ErrorCode::HelloFailed(HelloFailedCode::Incompatible)
    );
    let text = String::from_utf8(err.data).unwrap();
    assert!(text.contains("OpenFlow 1.3"), "{text}");
    assert_eq!(net.closed, [(conn, DisconnectReason::Incompatible)]);
    // A 1.5 switch without a bitmap supports everything up to 1.5: 1.3 is agreed.
    let f = Fake::new(&net.topo, 0);
    let hello = Hello {
        version: 6,
        elements: Vec::new(),
    };
    let conn = net.connect_with_hello(f, hello);
    assert!(
        net.sent_to(conn)
            .any(|m| matches!(m.msg, Message::FeaturesRequest))
    );
}

#[test]
fn an_unknown_datapath_is_left_untouched() {
    let mut net = Net::lab();
    let mut f = Fake::new(&net.topo, 0);
    f.dpid = 0x99;
    let conn = net.connect(f);
    let types: Vec<&str> = net.sent_to(conn).map(|m| m.msg.type_name()).collect();
    assert_eq!(types, ["HELLO", "FEATURES_REQUEST"]);
    net.deliver(conn, 77, Message::EchoRequest(b"hi".to_vec()));
    let last = net.sent_to(conn).last().unwrap();
    assert_eq!(
        (last.xid, &last.msg),
        (77, &Message::EchoReply(b"hi".to_vec()))
    );
    let view = net
        .core
        .switch_views()
        .into_iter()
        .find(|v| v.name.is_none())
        .unwrap();
    assert_eq!(view.state, "unmanaged");
    assert_eq!(view.dpid.as_deref(), Some("00:00:00:00:00:00:00:99"));
    assert_eq!(net.core.metrics().switches_connected, 0);
}

#[test]
fn a_missing_port_is_reported_and_its_vms_are_not_used() {
    let mut net = Net::lab();
    let mut fakes: Vec<Fake> = (0..3).map(|j| Fake::new(&net.topo, j)).collect();
    fakes[1].ports.retain(|p| p.port_no != 12);
    for f in fakes {
        net.connect(f);
    }
    let j1 = net
        .core
        .switch_views()
        .into_iter()
        .find(|v| v.name.as_deref() == Some("j1"))
        .unwrap();
    assert_eq!(j1.missing_ports, [12]);
    let fw3 = net
        .core
        .vm_views()
        .into_iter()
        .find(|v| v.name == "fw-3")
        .unwrap();
    assert!(!fw3.live && fw3.admin_live);
    let mut live = LiveVms::all(&net.topo);
    live.set(net.topo.vm_by_name("fw-3").unwrap().id, false)
        .unwrap();
    assert_tables(&net, &net.expected(&live));
}

#[test]
fn reconnect_sends_only_the_difference_and_never_flushes() {
    let mut net = Net::lab();
    net.connect_all();
    let mods_first = net.flow_mods().len();
    assert!(mods_first > 10);
    // The switches keep their tables; tamper with j1: drop two entries, change one, add a
    // stale FlowFall entry and a foreign one.
    let j1: Vec<flowfall_compile::FlowEntry> = net.fabric.switches[1].entries().cloned().collect();
    let mut tampered = flowfall_compile::sim::SimSwitch::new();
    for (i, e) in j1.iter().enumerate() {
        let mut e = e.clone();
        match i {
            0 | 1 => continue,
            2 => e.instructions = Vec::new().into(),
            _ => {}
        }
        tampered.apply(&e.to_flow_mod()).unwrap();
    }
    let mut stale = j1[3].clone();
    stale.match_.fields.push(Oxm::UdpDst(4789));
    stale.match_.fields.insert(0, Oxm::IpProto(17));
    tampered.apply(&stale.to_flow_mod()).unwrap();
    let mut foreign = stale.clone();
    foreign.cookie = flowfall_compile::cookie::Cookie(0);
    foreign.priority = 1;
    tampered.apply(&foreign.to_flow_mod()).unwrap();
    net.fabric.switches[1] = tampered;
    net.restart_controller();
    net.connect_all();
    let mods = net.flow_mods();
    let by_cmd = |cmd: FlowModCommand| mods.iter().filter(|(_, fm)| fm.command == cmd).count();
    // Two adds, one modify, one delete (the stale one); the foreign entry stays.
    assert_eq!(mods.len(), 4, "{mods:#?}");
    assert_eq!(by_cmd(FlowModCommand::Add), 2);
    assert_eq!(
        by_cmd(FlowModCommand::ModifyStrict) + by_cmd(FlowModCommand::Add),
        3
    );
    assert_eq!(by_cmd(FlowModCommand::DeleteStrict), 1);
    assert!(net.fabric.switches[1].entries().any(|e| e.cookie.0 == 0));
    let live = LiveVms::all(&net.topo);
    let want = net.expected(&live);
    assert_eq!(
        canon(net.fabric.switches[1].entries().filter(|e| e.cookie.0 != 0)),
        canon(want.switches[1].entries.iter())
    );
    // A second restart finds everything in place: nothing at all is sent.
    net.restart_controller();
    net.connect_all();
    assert!(net.flow_mods().is_empty(), "{:#?}", net.flow_mods());
}

/// Every customer's packets, both directions, cross at least the layers in both `old` and
/// `new` service sets and at most those in either, and reach the other end or are dropped.
fn waypoint_check(old: BTreeMap<usize, u64>, new: BTreeMap<usize, u64>) -> Check {
    Box::new(move |topo, fabric| {
        let tracer = Tracer::new(topo, fabric, None);
        for c in topo.customers() {
            let (o, n) = (old[&c.index], new[&c.index]);
            let must = o & n;
            let may = o | n;
            let src: IpAddr = flowfall_compile::sim::trace::sample_host(c.ipv4[0].into());
            let tos = c.tos.unwrap_or(0);
            for trace in [
                tracer.upstream(c.index, src, tos).unwrap(),
                tracer.downstream(src).unwrap(),
            ] {
                if !trace.delivered() {
                    continue;
                }
                let crossed: u64 = trace.layers().iter().map(|l| 1u64 << l).sum();
                assert_eq!(crossed & must, must, "{}: {}", c.name, trace.describe(topo));
                assert_eq!(crossed & !may, 0, "{}: {}", c.name, trace.describe(topo));
            }
        }
    })
}

fn sets(topo: &Topology) -> BTreeMap<usize, u64> {
    topo.customers()
        .iter()
        .map(|c| (c.index, c.services.bits()))
        .collect()
}

#[test]
fn a_port_going_down_moves_its_vms_customers_without_skipping_a_layer() {
    let mut net = Net::lab();
    let conns = net.connect_all();
    let s = sets(&net.topo);
    net.check = Some(waypoint_check(s.clone(), s));
    net.sent.clear();
    // fw-hv1 (fw-1, fw-2) loses its downlink on j0 (port 11).
    net.deliver(
        conns[0],
        0,
        Message::PortStatus(PortStatus {
            reason: PortReason::Modify,
            desc: port(11, false),
        }),
    );
    let mut live = LiveVms::all(&net.topo);
    for vm in ["fw-1", "fw-2"] {
        live.set(net.topo.vm_by_name(vm).unwrap().id, false)
            .unwrap();
    }
    assert_tables(&net, &net.expected(&live));
    // Within the update, deletes come after every add and modify, each phase confirmed by
    // barriers before the next.
    let kinds: Vec<&str> = net
        .sent
        .iter()
        .filter_map(|(_, m)| match &m.msg {
            Message::FlowMod(fm) if fm.command == FlowModCommand::DeleteStrict => Some("del"),
            Message::FlowMod(_) => Some("set"),
            Message::BarrierRequest => Some("barrier"),
            _ => None,
        })
        .collect();
    let first_del = kinds.iter().position(|k| *k == "del").expect("deletes");
    let last_set = kinds.iter().rposition(|k| *k == "set").expect("adds");
    assert!(last_set < first_del, "{kinds:?}");
    assert!(kinds[last_set..first_del].contains(&"barrier"), "{kinds:?}");
    assert!(net.core.metrics().update_latency.count >= 2);
    // Back up: the VMs return.
    net.deliver(
        conns[0],
        0,
        Message::PortStatus(PortStatus {
            reason: PortReason::Modify,
            desc: port(11, true),
        }),
    );
    assert_tables(&net, &net.expected(&LiveVms::all(&net.topo)));
}

#[test]
fn a_service_change_takes_effect_without_skipping_a_layer_and_remarks_at_j0() {
    let mut net = Net::lab();
    net.connect_all();
    let old = sets(&net.topo);
    let bravo = net.topo.customer_by_name("bravo").unwrap().index;
    let mut new = old.clone();
    new.insert(bravo, 0b10); // ids only
    net.check = Some(waypoint_check(old, new));
    let now = net.now;
    let generation = net
        .core
        .set_services(now, "bravo", &["ids".into()])
        .unwrap();
    net.pump();
    assert!(net.synced.contains(&generation));
    let view = net.core.customer_view("bravo").unwrap();
    assert_eq!(view.services, ["ids"]);
    assert_eq!(view.configured_services, ["firewall"]);
    assert_eq!((view.cpe_tos, view.tos), (Some(4), Some(8)));
    // The CPE still marks DSCP 1 (firewall): its packets now cross ids only.
    let tracer = Tracer::new(&net.topo, &net.fabric, None);
    let src: IpAddr = "10.0.2.7".parse().unwrap();
    let t = tracer.upstream(bravo, src, 4).unwrap();
    assert!(t.delivered(), "{}", t.describe(&net.topo));
    assert_eq!(t.layers(), [1], "{}", t.describe(&net.topo));
    let back = tracer.downstream(src).unwrap();
    assert_eq!(back.vms, t.vms, "same VM both directions");
    let path = net.core.path_view("bravo").unwrap();
    assert_eq!(path.prefixes[0].hops[0].via, "bypass");
    assert_eq!(path.prefixes[0].hops[1].via, "vm");
    // Unknown names are refused.
    assert!(
        net.core
            .set_services(now, "bravo", &["dpi".into()])
            .is_err()
    );
    assert!(net.core.set_services(now, "zulu", &[]).is_err());
    // Back to the configured set: the override disappears.
    net.check = None;
    net.core
        .set_services(now, "bravo", &["firewall".into()])
        .unwrap();
    net.pump();
    assert_tables(&net, &net.expected(&LiveVms::all(&net.topo)));
}

#[test]
fn malformed_and_unexpected_messages_get_the_specs_error_and_touch_nothing_else() {
    let mut net = Net::lab();
    let conns = net.connect_all();
    net.sent.clear();
    // A FEATURES_REPLY 4 bytes short.
    let mut bad = OfMessage {
        xid: 0x1234,
        msg: Message::FeaturesReply(SwitchFeatures {
            datapath_id: 1,
            n_buffers: 0,
            n_tables: 1,
            auxiliary_id: 0,
            capabilities: 0,
            reserved: 0,
        }),
    }
    .to_vec()
    .unwrap();
    bad.truncate(bad.len() - 4);
    let len = bad.len() as u16;
    bad[2..4].copy_from_slice(&len.to_be_bytes());
    net.deliver_bytes(conns[0], bad.clone());
    // A FLOW_MOD (controller-to-switch only), an unknown type, a wrong version.
    let flow_mod = OfMessage {
        xid: 7,
        msg: Message::FlowMod(flowfall_ofp::FlowMod::add(
            0,
            1,
            Match::new()
                .with(Oxm::InPort(1))
                .with(Oxm::EthType(0x0800))
                .with(Oxm::Ipv4Src([10, 0, 0, 1].into(), None))
                .with(Oxm::Ipv4Dst([10, 0, 0, 2].into(), None)),
            Vec::new(),
        )),
    }
    .to_vec()
    .unwrap();
    net.deliver_bytes(conns[0], flow_mod.clone());
    net.deliver_bytes(conns[0], vec![4, 99, 0, 8, 0, 0, 0, 8]);
    net.deliver_bytes(conns[0], vec![5, 2, 0, 8, 0, 0, 0, 9]);
    let errors: Vec<(u32, ErrorMsg)> = net
        .sent
        .iter()
        .filter_map(|(c, m)| match &m.msg {
            Message::Error(e) => {
                assert_eq!(*c, conns[0]);
                Some((m.xid, e.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(errors[0].0, 0x1234);
    assert_eq!(
        errors[0].1.code,
        ErrorCode::BadRequest(BadRequestCode::BadLen)
    );
    assert_eq!(errors[0].1.data, bad);
    assert_eq!(
        errors[1].1.code,
        ErrorCode::BadRequest(BadRequestCode::BadType)
    );
    assert_eq!(errors[1].1.data, &flow_mod[..64]);
    assert_eq!(
        errors[2].1.code,
        ErrorCode::BadRequest(BadRequestCode::BadType)
    );
    assert_eq!(
        errors[3].1.code,
        ErrorCode::BadRequest(BadRequestCode::BadVersion)
    );
    assert_eq!(errors[3].0, 9);
    // Nothing went to the other switches, nobody was disconnected.
    assert!(net.sent.iter().all(|(c, _)| *c == conns[0]));
    assert!(net.closed.is_empty());
    assert_eq!(
        net.core.metrics().errors[&crate::metrics::ErrorKind::Malformed],
        4
    );
}

#[test]
fn echo_both_ways_and_a_silent_switch_is_dropped() {
    let mut net = Net::lab();
    let conns = net.connect_all();
    net.deliver(conns[1], 42, Message::EchoRequest(vec![1, 2, 3]));
    assert!(
        net.sent_to(conns[1])
            .any(|m| m.xid == 42 && m.msg == Message::EchoReply(vec![1, 2, 3]))
    );
    // The fakes answer echoes: nobody is dropped however long it lasts.
    for _ in 0..10 {
        net.advance(Duration::from_secs(5));
    }
    assert!(net.closed.is_empty(), "{:?}", net.closed);
    assert!(
        net.sent_to(conns[2])
            .any(|m| matches!(m.msg, Message::EchoRequest(_)))
    );
    // j2 goes silent (the fake is gone, nothing answers).
    let silent = conns[2];
    net.fakes.remove(&silent);
    net.advance(Duration::from_secs(5));
    net.advance(Duration::from_secs(5));
    assert!(net.closed.is_empty());
    net.advance(Duration::from_secs(5));
    assert_eq!(net.closed, [(silent, DisconnectReason::DeadPeer)]);
    assert_eq!(net.core.metrics().switches_connected, 2);
    assert!(!net.core.switch_views()[2].connected);
}

#[test]
fn handshake_and_barrier_timeouts_disconnect() {
    let mut net = Net::lab();
    let mut f = Fake::new(&net.topo, 0);
    f.answer_features = false;
    let c0 = net.connect(f);
    let mut f = Fake::new(&net.topo, 1);
    f.answer_barriers = false;
    let c1 = net.connect(f);
    // Keep both alive with echoes from the switches' side.
    for _ in 0..3 {
        net.now += Duration::from_secs(4);
        net.deliver(c0, 1, Message::EchoRequest(Vec::new()));
        net.deliver(c1, 1, Message::EchoRequest(Vec::new()));
        net.core.handle_timeout(net.now);
        net.pump();
    }
    assert_eq!(net.closed, [(c0, DisconnectReason::HandshakeTimeout)]);
    for _ in 0..6 {
        net.now += Duration::from_secs(4);
        net.deliver(c1, 1, Message::EchoRequest(Vec::new()));
        net.core.handle_timeout(net.now);
        net.pump();
    }
    assert_eq!(net.closed[1], (c1, DisconnectReason::BarrierTimeout));
}

#[test]
fn a_refused_flow_mod_is_counted_and_not_believed() {
    let mut net = Net::lab();
    let mut f = Fake::new(&net.topo, 2);
    f.refuse = Some(Oxm::InPort(40));
    net.connect(Fake::new(&net.topo, 0));
    net.connect(Fake::new(&net.topo, 1));
    net.connect(f);
    assert!(net.core.metrics().errors[&crate::metrics::ErrorKind::Switch] >= 1);
    let j2 = net
        .core
        .switch_views()
        .into_iter()
        .find(|v| v.name.as_deref() == Some("j2"))
        .unwrap();
    assert!(!j2.in_sync);
    assert!(net.core.flows_view("j2").unwrap().pending >= 1);
    let j0 = net.core.flows_view("j0").unwrap();
    assert_eq!(j0.pending, 0);
    assert!(
        j0.installed.iter().all(|f| f.text.contains("priority=")),
        "{:?}",
        j0.installed
    );
}

#[test]
fn the_same_datapath_connecting_again_replaces_the_old_connection() {
    let mut net = Net::lab();
    let old = net.connect(Fake::new(&net.topo, 0));
    let new = net.connect(Fake::new(&net.topo, 0));
    assert_eq!(net.closed, [(old, DisconnectReason::Replaced)]);
    assert!(net.core.switch_views()[0].connected);
    assert_eq!(net.core.metrics().switches_connected, 1);
    // The switch kept its flows: the new connection reconciles to nothing to send.
    assert_eq!(net.core.switch_views()[0].state, "ready");
    assert!(
        !net.sent_to(new)
            .any(|m| matches!(m.msg, Message::FlowMod(_)))
    );
}

#[test]
fn reload_pushes_only_the_difference() {
    let mut net = Net::lab();
    net.connect_all();
    net.sent.clear();
    let without_delta = LAB.replace("name = \"delta\"", "name = \"echo\"");
    let topo = Topology::from_toml_str(&without_delta).unwrap();
    let now = net.now;
    net.core.reload(now, topo.clone()).unwrap();
    net.pump();
    net.topo = topo;
    assert_tables(&net, &net.expected(&LiveVms::all(&net.topo)));
    let mods = net.flow_mods();
    // Only delta's (now echo's) two prefixes change: owners are named by customer name.
    assert!(
        !mods.is_empty() && mods.len() <= 4 * 2 * 3,
        "{}",
        mods.len()
    );
    assert!(net.core.customer_view("echo").is_some());
    // An invalid topology is refused and the running one kept.
    let broken = Topology::from_toml_str(LAB).unwrap();
    assert!(net.core.reload(now, broken).is_ok());
}

#[test]
fn vm_liveness_from_the_api_moves_customers() {
    let mut net = Net::lab();
    net.connect_all();
    let now = net.now;
    net.core.set_vm_live(now, "ids-1", false).unwrap();
    net.pump();
    let mut live = LiveVms::all(&net.topo);
    live.set(net.topo.vm_by_name("ids-1").unwrap().id, false)
        .unwrap();
    assert_tables(&net, &net.expected(&live));
    assert!(net.core.set_vm_live(now, "nope", false).is_err());
    let views = net.core.vm_views();
    assert!(!views.iter().find(|v| v.name == "ids-1").unwrap().admin_live);
}

#[test]
fn reactive_mode_installs_the_whole_path_then_sends_the_packet_back() {
    let text = LAB.replace(
        "mode = \"proactive\"",
        "mode = \"reactive\"\nidle_timeout = 60",
    );
    let mut net = Net::new(&text);
    let conns = net.connect_all();
    let base = net.expected(&LiveVms::all(&net.topo));
    assert_tables(&net, &base);
    net.sent.clear();
    // charlie's first packet reaches the controller from J0.
    let frame = ipv4_frame([10, 0, 3, 9], [203, 0, 113, 1], 3 << 2);
    net.deliver(conns[0], 0, packet_in(3, frame.clone()));
    assert_eq!(net.core.metrics().packet_ins, 1);
    // Flows on all three switches, then the packet-out on J0, after the barriers.
    let mods = net.flow_mods();
    let switches: std::collections::BTreeSet<ConnId> = mods.iter().map(|(c, _)| *c).collect();
    assert_eq!(switches.len(), 3, "{mods:#?}");
    assert!(mods.iter().all(|(_, fm)| fm.idle_timeout == 60
        && fm.flags & flowfall_ofp::flow_mod::flow_mod_flags::SEND_FLOW_REM != 0));
    let last = net.sent.last().unwrap();
    assert_eq!(last.0, conns[0]);
    let Message::PacketOut(out) = &last.1.msg else {
        panic!("expected PACKET_OUT, got {:?}", last.1);
    };
    assert_eq!((out.in_port, &out.data), (3, &frame));
    let charlie = net.topo.customer_by_name("charlie").unwrap().index;
    let tracer = Tracer::new(&net.topo, &net.fabric, None);
    let t = tracer
        .upstream(charlie, "10.0.3.9".parse().unwrap(), 3 << 2)
        .unwrap();
    assert_eq!(t.layers(), [0, 1], "{}", t.describe(&net.topo));
    // A second packet-in of the same address installs nothing more.
    let before = net.flow_mods().len();
    net.deliver(
        conns[2],
        0,
        packet_in(1, ipv4_frame([203, 0, 113, 1], [10, 0, 3, 9], 0)),
    );
    assert_eq!(net.flow_mods().len(), before);
    // A restarted controller learns the address from the switches and keeps its flows.
    let installed = net.fabric.switches.iter().map(|s| s.len()).sum::<usize>();
    net.restart_controller();
    net.connect_all();
    assert!(net.flow_mods().is_empty(), "{:#?}", net.flow_mods());
    // The address idles out on J0: its whole path is withdrawn.
    let entry = net.fabric.switches[0]
        .entries()
        .find(|e| e.idle_timeout == 60)
        .cloned()
        .unwrap();
    let conns: Vec<ConnId> = net.fakes.keys().copied().collect();
    net.fabric
        .apply(0, &entry.flow_mod(FlowModCommand::DeleteStrict))
        .unwrap();
    net.deliver(
        conns[0],
        0,
        Message::FlowRemoved(FlowRemoved {
            cookie: entry.cookie.0,
            priority: entry.priority,
            reason: FlowRemovedReason::IdleTimeout,
            table_id: entry.table_id,
            duration_sec: 61,
            duration_nsec: 0,
            idle_timeout: 60,
            hard_timeout: 0,
            packet_count: 1,
            byte_count: 100,
            match_: entry.match_.clone(),
        }),
    );
    let after = net.fabric.switches.iter().map(|s| s.len()).sum::<usize>();
    assert!(after < installed - 1, "{after} vs {installed}");
    assert_tables(&net, &base);
}

/// The barrier requests sent since `from` (an index into `net.sent`), by connection.
fn barriers_since(net: &Net, from: usize) -> Vec<(ConnId, u32)> {
    net.sent[from..]
        .iter()
        .filter(|(_, m)| matches!(m.msg, Message::BarrierRequest))
        .map(|(c, m)| (*c, m.xid))
        .collect()
}

/// The PACKET_OUTs sent since `from`: `(connection, in_port, data)`.
fn packet_outs_since(net: &Net, from: usize) -> Vec<(ConnId, u32, Vec<u8>)> {
    net.sent[from..]
        .iter()
        .filter_map(|(c, m)| match &m.msg {
            Message::PacketOut(out) => Some((*c, out.in_port, out.data.clone())),
            _ => None,
        })
        .collect()
}

/// A reactive lab with its switches connected and programmed, barriers left unanswered from
/// then on; `foreign` puts an entry of another controller on J1 first.
fn reactive_lab(foreign: bool) -> (Net, Vec<ConnId>) {
    let text = LAB.replace(
        "mode = \"proactive\"",
        "mode = \"reactive\"\nidle_timeout = 60",
    );
    let mut net = Net::new(&text);
    if foreign {
        let fm =
            flowfall_ofp::FlowMod::add(0, 7, Match::new().with(Oxm::EthType(0x0800)), Vec::new());
        net.fabric.apply(1, &fm).unwrap();
    }
    let conns = net.connect_all();
    for f in net.fakes.values_mut() {
        f.answer_barriers = false;
    }
    (net, conns)
}

/// [`reactive_lab`] after charlie's first packet reached the controller from J0: the net,
/// its connections, where in `net.sent` the packet's consequences start, and the frame.
fn charlie_first_packet(foreign: bool) -> (Net, Vec<ConnId>, usize, Vec<u8>) {
    let (mut net, conns) = reactive_lab(foreign);
    let from = net.sent.len();
    let frame = ipv4_frame([10, 0, 3, 9], [203, 0, 113, 1], 3 << 2);
    net.deliver(conns[0], 0, packet_in(3, frame.clone()));
    (net, conns, from, frame)
}

/// Charlie's packet walked upstream through the fakes' tables.
fn charlie_upstream(net: &Net) -> flowfall_compile::sim::Trace {
    let charlie = net.topo.customer_by_name("charlie").unwrap().index;
    Tracer::new(&net.topo, &net.fabric, None)
        .upstream(charlie, "10.0.3.9".parse().unwrap(), 3 << 2)
        .unwrap()
}

#[test]
fn a_new_address_is_installed_in_one_phase_and_a_packet_punted_half_way_is_reinjected() {
    let (mut net, conns, from, frame) = charlie_first_packet(false);
    // Every entry of the path goes out at once, one barrier per switch, nothing else yet.
    let barriers = barriers_since(&net, from);
    let mods = net.flow_mods().len();
    assert_eq!(
        barriers.len(),
        3,
        "one phase on three switches: {barriers:?}"
    );
    assert!(packet_outs_since(&net, from).is_empty());
    // A later packet of the address found J1's entry missing and was punted there, by the
    // IP-miss entry, on the VD port it arrived on from charlie's layer-0 VM.
    let t = charlie_upstream(&net);
    assert_eq!(t.layers(), [0, 1], "{}", t.describe(&net.topo));
    let at_j1 = &t.steps[1];
    assert_eq!(at_j1.switch, 1);
    let vd_port = at_j1.packet.in_port;
    let second = ipv4_frame([10, 0, 3, 9], [203, 0, 113, 2], 3 << 2);
    net.deliver(conns[1], 0, packet_in(vd_port, second.clone()));
    assert_eq!(
        net.flow_mods().len(),
        mods,
        "the address is already being installed"
    );
    assert!(
        packet_outs_since(&net, from).is_empty(),
        "held until confirmed"
    );
    // One from another VM of layer 0 does not fit the path there: dropped, not held (it
    // would only come back).
    let other = net
        .topo
        .ports(1)
        .iter()
        .find(|&&(p, role)| {
            p != vd_port && matches!(role, flowfall_topology::PortRole::VnfDown { layer: 0, .. })
        })
        .map(|&(p, _)| p)
        .expect("another VD port on J1");
    net.deliver(conns[1], 0, packet_in(other, second.clone()));
    // The barriers confirm the phase: both packets go back where they came from.
    for (i, (conn, xid)) in barriers.into_iter().enumerate() {
        net.deliver(conn, xid, Message::BarrierReply);
        let outs = packet_outs_since(&net, from);
        if i < 2 {
            assert!(outs.is_empty(), "sent before every barrier: {outs:?}");
        } else {
            assert_eq!(
                outs,
                vec![
                    (conns[0], 3, frame.clone()),
                    (conns[1], vd_port, second.clone())
                ]
            );
        }
    }
    assert_eq!(barriers_since(&net, from).len(), 3, "no second phase");
}

#[test]
fn a_foreign_entry_keeps_new_addresses_in_two_phases() {
    let (mut net, conns, from, frame) = charlie_first_packet(true);
    // Interior entries first: no edge entry matching the packet at J0 yet.
    let first = barriers_since(&net, from);
    assert_eq!(
        charlie_upstream(&net).outcome,
        flowfall_compile::sim::Outcome::Controller { switch: 0 }
    );
    for (conn, xid) in first.clone() {
        net.deliver(conn, xid, Message::BarrierReply);
    }
    let second: Vec<_> = barriers_since(&net, from).split_off(first.len());
    assert!(!second.is_empty(), "a second phase");
    assert!(packet_outs_since(&net, from).is_empty());
    assert_eq!(charlie_upstream(&net).layers(), [0, 1]);
    for (conn, xid) in second {
        net.deliver(conn, xid, Message::BarrierReply);
    }
    assert_eq!(packet_outs_since(&net, from), vec![(conns[0], 3, frame)]);
}

/// J0's flow statistics with `up`/`down` packets (100 bytes each) on every upstream and
/// downstream address entry, in two parts.
fn j0_stats(net: &Net, up: u64, down: u64) -> Vec<Message> {
    use flowfall_compile::cookie::CookieKind;
    let stats: Vec<FlowStats> = net.fabric.switches[0]
        .entries()
        .map(|e| {
            let mut s = flow_stats(e);
            s.packet_count = match e.cookie.kind() {
                Some(CookieKind::Upstream) => up,
                Some(CookieKind::Downstream) => down,
                _ => 1000,
            };
            s.byte_count = s.packet_count * 100;
            s
        })
        .collect();
    let (a, b) = stats.split_at(stats.len() / 2);
    vec![
        mp(OFPMPF_REPLY_MORE, MultipartReplyBody::Flow(a.to_vec())),
        mp(0, MultipartReplyBody::Flow(b.to_vec())),
    ]
}

/// Sends a traffic poll without letting the fakes answer it; the request's xid on J0.
fn poll_by_hand(net: &mut Net, j0: ConnId) -> u32 {
    assert_eq!(net.core.poll_traffic(), 1, "only J0 is polled");
    let mut xid = None;
    while let Some(out) = net.core.poll_output() {
        if let Output::Send { conn, msg } = out {
            if conn == j0 && matches!(msg.msg, Message::MultipartRequest(_)) {
                xid = Some(msg.xid);
            }
        }
    }
    xid.unwrap()
}

#[test]
fn traffic_counters_add_up_j0_address_entries_per_customer_and_direction() {
    use super::stats::{CustomerTraffic, TrafficCount};
    let count = |packets| TrafficCount {
        packets,
        bytes: packets * 100,
    };
    let both = |up, down| CustomerTraffic {
        upstream: count(up),
        downstream: count(down),
    };
    let mut net = Net::lab();
    let conns = net.connect_all();
    assert_eq!(
        net.core.customer_traffic("alpha"),
        None,
        "nothing polled yet"
    );
    // The fakes answer with zero counters.
    assert_eq!(net.core.poll_traffic(), 1);
    net.pump();
    assert_eq!(net.core.customer_traffic("alpha"), Some(both(0, 0)));
    assert_eq!(net.core.customer_traffic("nobody"), None);

    let xid = poll_by_hand(&mut net, conns[0]);
    for m in j0_stats(&net, 10, 4) {
        net.deliver(conns[0], xid, m);
    }
    // One entry per address and direction at J0; delta has two prefixes. Static and
    // anti-spoofing entries (1000 packets each) count for nobody.
    assert_eq!(net.core.customer_traffic("alpha"), Some(both(10, 4)));
    assert_eq!(net.core.customer_traffic("delta"), Some(both(20, 8)));

    // The next poll adds the growth only; a late answer to a replaced poll is ignored.
    let stale = poll_by_hand(&mut net, conns[0]);
    let xid = poll_by_hand(&mut net, conns[0]);
    for m in j0_stats(&net, 1000, 1000) {
        net.deliver(conns[0], stale, m);
    }
    assert_eq!(net.core.customer_traffic("alpha"), Some(both(10, 4)));
    for m in j0_stats(&net, 15, 4) {
        net.deliver(conns[0], xid, m);
    }
    assert_eq!(net.core.customer_traffic("alpha"), Some(both(15, 4)));
    assert_eq!(net.core.customer_traffic("delta"), Some(both(30, 8)));
    // The switch's counters restarted (entries re-added): their new counts are added.
    let xid = poll_by_hand(&mut net, conns[0]);
    for m in j0_stats(&net, 2, 1) {
        net.deliver(conns[0], xid, m);
    }
    assert_eq!(net.core.customer_traffic("alpha"), Some(both(17, 5)));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Each case builds and programs the lab topology: a few cases cover the message types.
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Whatever one switch sends never panics the core, never closes another switch,
        /// and reaches another switch only through a (valid) port-status change; a
        /// malformed message is answered with an ERROR quoting at most its first 64 bytes.
        #[test]
        fn any_bytes_from_one_switch_stay_with_that_switch(
            version in prop_oneof![Just(4u8), any::<u8>()],
            msg_type in 0u8..40,
            body in proptest::collection::vec(any::<u8>(), 0..160),
        ) {
            let mut net = Net::lab();
            let conns = net.connect_all();
            net.sent.clear();
            let mut bytes = vec![version, msg_type, 0, 0, 0, 0, 0, 5];
            bytes.extend_from_slice(&body);
            let len = bytes.len() as u16;
            bytes[2..4].copy_from_slice(&len.to_be_bytes());
            let port_status = matches!(
                OfMessage::decode(&bytes),
                Ok(OfMessage { msg: Message::PortStatus(_), .. })
            );
            net.deliver_bytes(conns[0], bytes.clone());
            prop_assert!(net.closed.iter().all(|(c, _)| *c == conns[0]));
            if !port_status {
                prop_assert!(net.sent.iter().all(|(c, _)| *c == conns[0]));
            }
            for (_, m) in &net.sent {
                if let Message::Error(e) = &m.msg {
                    prop_assert_eq!(m.xid, 5);
                    prop_assert!(e.data.len() <= 64 && bytes.starts_with(&e.data));
                }
            }
        }

        /// The key of an entry does not depend on the order of its match fields.
        #[test]
        fn normal_form_ignores_field_order(seed in any::<u64>()) {
            static TABLES: std::sync::OnceLock<flowfall_compile::Tables> = std::sync::OnceLock::new();
            let tables = TABLES.get_or_init(|| {
                let net = Net::lab();
                net.expected(&LiveVms::all(&net.topo))
            });
            for e in tables.switches.iter().flat_map(|t| t.entries.iter()) {
                let mut shuffled = e.clone();
                let n = shuffled.match_.fields.len().max(1);
                shuffled.match_.fields.rotate_left((seed as usize) % n);
                prop_assert_eq!(
                    super::super::table::FlowKey::of(e),
                    super::super::table::FlowKey::of(&shuffled)
                );
                let once = super::super::table::normalise(&e.match_);
                prop_assert_eq!(super::super::table::normalise(&once), once);
            }
        }
    }
}

/// Answers every probe the controller sent since `from` (index into `net.sent`) the way a
/// forwarding VM does: it comes back as a PACKET_IN on the VM's VD port at the layer's upper
/// switch, with the probe-return entry's cookie. VMs named in `dead` answer nothing.
fn answer_probes(net: &mut Net, from: usize, dead: &[&str]) -> usize {
    use flowfall_health::cookie::{Purpose, cookie};
    use flowfall_health::probe::{Probe, targets};
    let targets = targets(&net.topo);
    let sent: Vec<OfMessage> = net.sent[from..].iter().map(|(_, m)| m.clone()).collect();
    let end = net.sent.len();
    for m in sent {
        let Message::PacketOut(po) = &m.msg else {
            continue;
        };
        let Ok(p) = Probe::parse(&po.data) else {
            continue;
        };
        let Some(t) = targets.iter().find(|t| {
            t.vm.layer == usize::from(p.payload.layer) && t.vm.index == p.payload.index as usize
        }) else {
            continue;
        };
        if dead.contains(&t.name.as_str()) {
            continue;
        }
        let conn = *net
            .fakes
            .iter()
            .find(|(_, f)| f.dpid == t.up_dpid)
            .map(|(c, _)| c)
            .unwrap();
        let Message::PacketIn(mut pi) = packet_in(t.up_port, po.data.clone()) else {
            unreachable!("packet_in builds a PACKET_IN");
        };
        pi.reason = PacketInReason::Action;
        pi.cookie = cookie(Purpose::ProbeReturn, t.up_switch);
        net.deliver(conn, 0, Message::PacketIn(pi));
    }
    end
}

#[test]
fn a_vm_that_stops_answering_probes_loses_its_customers_and_gets_them_back_when_it_answers() {
    use flowfall_health::cookie::is_health;
    let mut net = Net::lab();
    let now = net.now;
    net.core
        .enable_health(
            now,
            // Customers go back to a recovered VM (the default keeps them where they went:
            // tests_health.rs).
            &super::health::HealthConfig {
                return_on_recovery: true,
                ..Default::default()
            },
        )
        .unwrap();
    net.connect_all();
    // The probe-return entries are installed beside the compiled tables.
    let health_entries: usize = net
        .fabric
        .switches
        .iter()
        .map(|s| s.entries().filter(|e| is_health(e.cookie.0)).count())
        .sum();
    // One per VD port of each layer's upper switch.
    assert_eq!(
        health_entries,
        super::health::return_entries(&net.topo).len()
    );
    assert!(health_entries > 0);
    let assert_compiled = |net: &Net, live: &LiveVms| {
        for t in &net.expected(live).switches {
            let have = canon(
                net.fabric.switches[t.index]
                    .entries()
                    .filter(|e| !is_health(e.cookie.0)),
            );
            assert_eq!(have, canon(t.entries.iter()), "junction {}", t.name);
        }
    };
    // Every VM answers: nothing moves, RTTs appear.
    let mut mark = net.sent.len();
    for _ in 0..10 {
        net.advance(Duration::from_millis(50));
        mark = answer_probes(&mut net, mark, &[]);
    }
    assert!(
        net.core
            .vm_views()
            .iter()
            .all(|v| v.live && v.state.as_deref() == Some("up"))
    );
    assert!(net.core.vm_views().iter().all(|v| v.rtt_ms.is_some()));
    assert_compiled(&net, &LiveVms::all(&net.topo));
    // fw-2 stops forwarding: Down within 3 x 100 ms + 100 ms, its customers move.
    let mut down_after = None;
    for step in 1..=12 {
        net.advance(Duration::from_millis(50));
        mark = answer_probes(&mut net, mark, &["fw-2"]);
        let v = net
            .core
            .vm_views()
            .into_iter()
            .find(|v| v.name == "fw-2")
            .unwrap();
        if !v.live {
            down_after = Some(step * 50);
            assert_eq!(v.state.as_deref(), Some("down"));
            assert!(
                v.admin_live,
                "a probe verdict is not an administrative change"
            );
            break;
        }
    }
    let down_after = down_after.expect("fw-2 never declared down");
    assert!(down_after <= 450, "declared down after {down_after} ms");
    let mut live = LiveVms::all(&net.topo);
    live.set(net.topo.vm_by_name("fw-2").unwrap().id, false)
        .unwrap();
    assert_compiled(&net, &live);
    let text = net.core.metrics_text();
    assert!(text.contains("flowfall_failovers_total 1\n"), "{text}");
    assert!(
        text.contains("flowfall_vm_up{vm=\"fw-2\",layer=\"firewall\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains("flowfall_layer_live_vms{layer=\"firewall\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("flowfall_vm_rtt_seconds{vm=\"fw-1\"}"),
        "{text}"
    );
    // It answers again: Up after 3 replies, the tables return to the full set.
    for _ in 0..10 {
        net.advance(Duration::from_millis(50));
        mark = answer_probes(&mut net, mark, &[]);
    }
    assert!(net.core.vm_views().iter().all(|v| v.live));
    assert_compiled(&net, &LiveVms::all(&net.topo));
    assert!(
        net.core
            .metrics_text()
            .contains("flowfall_recoveries_total 1\n")
    );
}

#[path = "index_tests.rs"]
mod index;

#[path = "reconcile_tests.rs"]
mod reconcile;
