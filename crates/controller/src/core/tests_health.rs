//! The health machinery of the core (start-up grace, failover pins, NAT detection, LLDP link
//! monitoring, load balancing) against fake switches that answer the handshake, barriers and
//! flow statistics; probes, LLDP frames and unclaimed packets come back as the real network
//! would return them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use flowfall_compile::cookie::CookieKind;
use flowfall_health::cookie::{Purpose, cookie};
use flowfall_health::lldp::LldpFrame;
use flowfall_health::probe::{Probe, targets};
use flowfall_ofp::error_msg::{ErrorCode, ErrorMsg, MeterModFailedCode};
use flowfall_ofp::fixed_str::FixedStr;
use flowfall_ofp::meter::MeterModCommand;
use flowfall_ofp::multipart::{
    FlowStats, MultipartReply, MultipartReplyBody, MultipartRequestBody,
};
use flowfall_ofp::packet_in::{PacketIn, PacketInReason};
use flowfall_ofp::port::{Port, PortReason, PortStatus, port_state};
use flowfall_ofp::{Action, Instruction, Match, Message, OfMessage, Oxm};
use flowfall_topology::Topology;

use super::health::HealthConfig;
use super::tests::{LAB, features_reply};
use super::{ConnId, Controller, Event, Timers};

const TIMERS: Timers = Timers {
    echo_interval: Duration::from_secs(60),
    dead_peer_timeout: Duration::from_secs(600),
    handshake_timeout: Duration::from_secs(10),
    barrier_timeout: Duration::from_secs(30),
};

/// The core and one fake switch per junction.
struct Fakes {
    topo: Topology,
    core: Controller,
    now: Instant,
    /// Connection -> datapath id.
    conns: BTreeMap<ConnId, u64>,
    /// Everything the core sent, in order.
    sent: Vec<(ConnId, OfMessage)>,
    /// How far `sent` was answered by [`Fakes::network`].
    answered: usize,
    /// How the switches refuse a meter's first METER_MOD, if they do.
    refuse_meters: Option<MeterModFailedCode>,
    /// Bytes per second of each address entry owner, for FLOW_STATS counters.
    rates: BTreeMap<u64, u64>,
    started: Instant,
}

impl Fakes {
    fn new(text: &str, config: &HealthConfig) -> Fakes {
        let topo = Topology::from_toml_str(text).unwrap();
        let now = Instant::now();
        let mut core = Controller::new(topo.clone(), TIMERS).unwrap();
        core.enable_health(now, config).unwrap();
        Fakes {
            topo,
            core,
            now,
            conns: BTreeMap::new(),
            sent: Vec::new(),
            answered: 0,
            refuse_meters: None,
            rates: BTreeMap::new(),
            started: now,
        }
    }

    fn lab(config: &HealthConfig) -> Fakes {
        Fakes::new(LAB, config)
    }

    fn connect_all(&mut self) {
        for (i, sw) in self.topo.switches().to_vec().iter().enumerate() {
            let conn = ConnId(i as u64 + 1);
            self.conns.insert(conn, sw.dpid);
            self.core.handle(
                self.now,
                Event::Connected {
                    conn,
                    peer: format!("fake-{i}"),
                },
            );
            self.deliver(conn, Message::Hello(Default::default()));
        }
    }

    fn conn_of(&self, dpid: u64) -> ConnId {
        *self
            .conns
            .iter()
            .find(|(_, d)| **d == dpid)
            .map(|(c, _)| c)
            .unwrap()
    }

    fn deliver(&mut self, conn: ConnId, msg: Message) {
        let bytes = OfMessage { xid: 0, msg }.to_vec().unwrap();
        self.core.handle(self.now, Event::Message { conn, bytes });
        self.pump();
    }

    /// Runs the core and the fakes' protocol answers until nothing moves.
    fn pump(&mut self) {
        while let Some(out) = self.core.poll_output() {
            for (conn, msg) in super::tests::sent_messages(&out) {
                self.sent.push((conn, msg.clone()));
                for reply in self.react(conn, &msg) {
                    let bytes = OfMessage {
                        xid: msg.xid,
                        msg: reply,
                    }
                    .to_vec()
                    .unwrap();
                    self.core.handle(self.now, Event::Message { conn, bytes });
                }
            }
        }
    }

    fn react(&self, conn: ConnId, m: &OfMessage) -> Vec<Message> {
        let dpid = self.conns[&conn];
        match &m.msg {
            Message::FeaturesRequest => vec![features_reply(dpid)],
            Message::MultipartRequest(r) => match r.body {
                MultipartRequestBody::PortDesc => {
                    let ports = self
                        .topo
                        .switches_with_dpid(dpid)
                        .flat_map(|s| self.topo.ports(s.index).iter().map(|&(p, _)| p))
                        .collect::<BTreeSet<u32>>()
                        .into_iter()
                        .map(|p| port(p, true))
                        .collect();
                    vec![reply(MultipartReplyBody::PortDesc(ports))]
                }
                MultipartRequestBody::Flow(_) => {
                    vec![reply(MultipartReplyBody::Flow(self.flow_stats(dpid)))]
                }
                _ => Vec::new(),
            },
            Message::MeterMod(mm) => match self.refuse_meters {
                Some(code) if mm.command == MeterModCommand::Add => {
                    vec![Message::Error(ErrorMsg::reply_to(
                        ErrorCode::MeterModFailed(code),
                        &m.to_vec().unwrap(),
                    ))]
                }
                _ => Vec::new(),
            },
            Message::BarrierRequest => vec![Message::BarrierReply],
            _ => Vec::new(),
        }
    }

    /// What the switch holds (the core's confirmed belief), with counters growing at each
    /// owner's rate since the start.
    fn flow_stats(&self, dpid: u64) -> Vec<FlowStats> {
        let secs = self.now.saturating_duration_since(self.started).as_secs();
        let Some(set) = self.core.installed.get(&dpid) else {
            return Vec::new();
        };
        set.iter()
            .map(|e| {
                let owner = e.cookie.0 & 0xfff_ffff_ffff;
                let bytes = self.rates.get(&owner).copied().unwrap_or(0) * secs;
                FlowStats {
                    packet_count: bytes / 100,
                    byte_count: bytes,
                    ..super::tests::flow_stats(e)
                }
            })
            .collect()
    }

    /// Advances the clock by `step`, then returns what the network would: probes through
    /// VMs not in `dead`, LLDP frames across links not in `cut` (by bypass port on the lower
    /// switch).
    fn run(&mut self, total: Duration, step: Duration, dead: &[&str], cut: &[u32]) {
        let mut t = Duration::ZERO;
        while t < total {
            t += step;
            self.now += step;
            self.core.handle_timeout(self.now);
            self.pump();
            self.network(dead, cut);
        }
    }

    /// [`Fakes::run`] for `total_ms` in 50 ms steps, the VMs in `dead` silent, every link up.
    fn probe_for(&mut self, total_ms: u64, dead: &[&str]) {
        let step = Duration::from_millis(50);
        self.run(Duration::from_millis(total_ms), step, dead, &[]);
    }

    /// [`Fakes::run`] for `total_ms` in 100 ms steps, every VM answering, the links in `cut`
    /// silent.
    fn lldp_for(&mut self, total_ms: u64, cut: &[u32]) {
        let step = Duration::from_millis(100);
        self.run(Duration::from_millis(total_ms), step, &[], cut);
    }

    fn network(&mut self, dead: &[&str], cut: &[u32]) {
        let probes = targets(&self.topo);
        let sent: Vec<(ConnId, OfMessage)> = self.sent[self.answered..].to_vec();
        self.answered = self.sent.len();
        for (conn, m) in sent {
            let Message::PacketOut(po) = &m.msg else {
                continue;
            };
            if let Ok(p) = Probe::parse(&po.data) {
                let Some(t) = probes.iter().find(|t| {
                    t.vm.layer == usize::from(p.payload.layer)
                        && t.vm.index == p.payload.index as usize
                }) else {
                    continue;
                };
                if dead.contains(&t.name.as_str()) {
                    continue;
                }
                let to = self.conn_of(t.up_dpid);
                let pi = packet_in(
                    t.up_port,
                    cookie(Purpose::ProbeReturn, t.up_switch),
                    po.data.clone(),
                );
                self.deliver(to, pi);
            } else if LldpFrame::parse(&po.data).is_ok() {
                let from = (self.conns[&conn], out_port(&po.actions));
                if let Some((to, switch)) = self.far_end(from, cut) {
                    let conn = self.conn_of(to.0);
                    let pi = packet_in(to.1, cookie(Purpose::Lldp, switch), po.data.clone());
                    self.deliver(conn, pi);
                }
            }
        }
    }

    /// The other end of the bypass link at `(dpid, port)` and its junction, unless cut.
    fn far_end(&self, from: (u64, u32), cut: &[u32]) -> Option<((u64, u32), usize)> {
        let topo = &self.topo;
        topo.layers().iter().find_map(|l| {
            let lo = topo.switch(l.down_switch())?;
            let hi = topo.switch(l.up_switch())?;
            l.bypass.iter().find_map(|b| {
                if cut.contains(&b.down_port) {
                    return None;
                }
                if from == (lo.dpid, b.down_port) {
                    Some(((hi.dpid, b.up_port), hi.index))
                } else if from == (hi.dpid, b.up_port) {
                    Some(((lo.dpid, b.down_port), lo.index))
                } else {
                    None
                }
            })
        })
    }

    fn vm(&self, name: &str) -> super::views::VmView {
        self.core
            .vm_views()
            .into_iter()
            .find(|v| v.name == name)
            .unwrap()
    }

    /// The VM `customer`'s first prefix goes through at `layer`.
    fn via(&self, customer: &str, layer: &str) -> Option<String> {
        let p = self.core.path_view(customer).unwrap();
        p.prefixes[0]
            .hops
            .iter()
            .find(|h| h.layer == layer)
            .and_then(|h| h.vm.clone())
    }

    fn metric(&self, line: &str) -> bool {
        self.core.metrics_text().lines().any(|l| l == line)
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

fn reply(body: MultipartReplyBody) -> Message {
    Message::MultipartReply(MultipartReply { flags: 0, body })
}

fn packet_in(in_port: u32, cookie: u64, data: Vec<u8>) -> Message {
    Message::PacketIn(PacketIn {
        buffer_id: 0xffff_ffff,
        total_len: data.len() as u16,
        reason: PacketInReason::Action,
        table_id: 0,
        cookie,
        match_: Match::new().with(Oxm::InPort(in_port)),
        data,
    })
}

fn out_port(actions: &[Action]) -> u32 {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Output { port, .. } => Some(*port),
            _ => None,
        })
        .unwrap()
}

/// An Ethernet + IPv4 + UDP frame from `mac` with a valid header checksum.
fn udp_frame(mac: [u8; 6], src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 9];
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0];
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16);
    ip[10..12].copy_from_slice(&ck.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&[0x30, 0x39, 0x30, 0x39, 0, 8, 0, 0]);
    f
}

#[test]
fn vms_that_never_answered_keep_their_customers_during_the_startup_grace() {
    // The lab's VMs are still being wired when the junctions are programmed: no probe comes
    // back for the first second and a half. Nothing may move.
    let mut net = Fakes::lab(&HealthConfig::default());
    net.connect_all();
    let generation = net.core.generation();
    net.probe_for(1500, &["fw-1", "fw-2", "fw-3", "ids-1", "ids-2"]);
    assert_eq!(net.core.generation(), generation, "nothing was recompiled");
    for v in net.core.vm_views() {
        assert!(v.live, "{} kept its customers", v.name);
        assert_eq!(v.state.as_deref(), Some("unproven"), "{}", v.name);
    }
    assert!(net.metric("flowfall_failovers_total 0"));
    let h = net.core.health_view();
    assert!(
        h.probing && h.unproven.len() == 5 && h.empty_layers.is_empty(),
        "{h:?}"
    );
    // Then every VM but fw-2 answers: they come up without any update; fw-2 never answers
    // and leaves its layer when its grace ends (5 s after probing started).
    net.probe_for(3000, &["fw-2"]);
    assert_eq!(net.core.generation(), generation);
    assert_eq!(net.vm("fw-1").state.as_deref(), Some("up"));
    assert!(net.vm("fw-2").live);
    net.probe_for(700, &["fw-2"]);
    let fw2 = net.vm("fw-2");
    assert!(!fw2.live && fw2.state.as_deref() == Some("down"), "{fw2:?}");
    assert!(net.metric("flowfall_failovers_total 1"));
    // A VM that answered once is judged at once: fw-1 dies, Down within 3 x 100 + 100 ms.
    net.probe_for(450, &["fw-1", "fw-2"]);
    assert!(!net.vm("fw-1").live);
    assert!(net.metric("flowfall_failovers_total 2"));
    // fw-3 too: the firewall layer is empty and fails closed.
    net.probe_for(450, &["fw-1", "fw-2", "fw-3"]);
    let h = net.core.health_view();
    assert_eq!(h.empty_layers, vec!["firewall".to_string()], "{h:?}");
    assert!(h.unproven.is_empty() && h.failovers == 3, "{h:?}");
    assert_eq!(net.via("charlie", "firewall"), None);
}

#[test]
fn customers_stay_on_their_new_vm_after_recovery_and_the_pins_survive_a_reload() {
    let mut net = Fakes::lab(&HealthConfig::default());
    net.connect_all();
    net.probe_for(500, &[]);
    assert!(net.core.pin_views().is_empty());
    let victim = net.via("charlie", "firewall").unwrap();
    net.probe_for(500, &[&victim]);
    assert!(!net.vm(&victim).live);
    let moved_to = net.via("charlie", "firewall").unwrap();
    assert_ne!(moved_to, victim);
    // Back up: charlie stays where it went (its firewall sessions live there now).
    net.probe_for(500, &[]);
    assert!(net.vm(&victim).live);
    assert_eq!(net.via("charlie", "firewall").unwrap(), moved_to);
    let pins = net.core.pin_views();
    assert!(
        pins.iter().any(|p| p.customer == "charlie"
            && p.layer == "firewall"
            && p.vm == moved_to
            && p.reason == "failover"),
        "{pins:?}"
    );
    let n = pins.iter().filter(|p| p.reason == "failover").count();
    assert!(net.metric(&format!("flowfall_pins{{reason=\"failover\"}} {n}")));
    // The desired tables send charlie's firewall hop to the pinned VM.
    let layers = net.core.layer_views();
    assert!(
        layers.iter().all(|l| l.status == "ok" && l.live == l.total),
        "{layers:?}"
    );
    // A reload keeps the pins (by customer, prefix and VM name).
    let now = net.now;
    net.core.reload(now, net.topo.clone()).unwrap();
    net.pump();
    assert_eq!(net.core.pin_views(), pins);
    assert_eq!(net.via("charlie", "firewall").unwrap(), moved_to);
    // A reload without charlie drops its pins.
    let without = LAB.replace("name = \"charlie\"", "name = \"charlie2\"");
    net.core
        .reload(now, Topology::from_toml_str(&without).unwrap())
        .unwrap();
    assert!(net.core.pin_views().iter().all(|p| p.customer != "charlie"));
}

#[test]
fn return_on_recovery_sends_customers_back() {
    let config = HealthConfig {
        return_on_recovery: true,
        ..HealthConfig::default()
    };
    let mut net = Fakes::lab(&config);
    net.connect_all();
    net.probe_for(500, &[]);
    let home = net.via("charlie", "firewall").unwrap();
    net.probe_for(500, &[&home]);
    assert_ne!(net.via("charlie", "firewall").unwrap(), home);
    net.probe_for(500, &[]);
    assert_eq!(net.via("charlie", "firewall").unwrap(), home);
    assert!(net.core.pin_views().iter().all(|p| p.reason != "failover"));
}

#[test]
fn an_unknown_source_from_a_vm_raises_one_alarm_and_is_counted() {
    let mut net = Fakes::lab(&HealthConfig::default());
    net.connect_all();
    // The meter reaches J1 and J2 before any entry using it.
    for conn in [ConnId(2), ConnId(3)] {
        let msgs: Vec<&Message> = net
            .sent
            .iter()
            .filter(|(c, _)| *c == conn)
            .map(|(_, m)| &m.msg)
            .collect();
        let meter = msgs.iter().position(|m| matches!(m, Message::MeterMod(_)));
        let metered = msgs.iter().position(|m| {
            matches!(m, Message::FlowMod(f) if f.instructions.iter().any(|i| matches!(i, Instruction::Meter(_))))
        });
        assert!(
            meter.is_some() && metered.is_some() && meter < metered,
            "{conn:?}"
        );
    }
    assert!(net.metric("flowfall_nat_metered 1"));
    // fw-1 sends packets from 100.64.0.7 (translated): they reach J1 on VD port 11.
    let fw1 = [0x02, 0, 0, 0x01, 0x01, 0x02];
    let j1 = net.conn_of(net.topo.switches()[1].dpid);
    let nat = cookie(Purpose::Nat, 1);
    for _ in 0..3 {
        let f = udp_frame(fw1, [100, 64, 0, 7], [203, 0, 113, 1]);
        net.deliver(j1, packet_in(11, nat, f));
    }
    // A customer's own address that no entry claimed: counted, no alarm.
    let f = udp_frame(fw1, [10, 0, 2, 9], [203, 0, 113, 1]);
    net.deliver(j1, packet_in(11, nat, f));
    let alarms = net.core.alarm_views(net.now);
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let a = &alarms[0];
    assert_eq!(
        (
            a.switch.as_str(),
            a.port,
            a.layer.as_str(),
            a.vm.as_deref(),
            a.src.as_str(),
            a.count
        ),
        ("j1", 11, "firewall", Some("fw-1"), "100.64.0.7", 3)
    );
    assert!(net.metric("flowfall_nat_alarms_total 1"));
    assert!(net.metric("flowfall_nat_packets_total 4"));
    assert!(net.metric("flowfall_nat_known_source_total 1"));
    // Garbage is counted as ignored, never trusted.
    net.deliver(j1, packet_in(11, nat, vec![1, 2, 3]));
    assert!(net.metric("flowfall_nat_ignored_total 1"));
    // Not seen again for an hour: forgotten, still counted.
    net.now += Duration::from_secs(3601);
    net.core.handle_timeout(net.now);
    assert!(net.core.alarm_views(net.now).is_empty());
    assert!(net.metric("flowfall_nat_alarms_total 1"));
}

#[test]
fn a_switch_without_meters_gets_unmetered_detection_entries() {
    let mut net = Fakes::lab(&HealthConfig::default());
    net.refuse_meters = Some(MeterModFailedCode::OutOfMeters);
    net.connect_all();
    assert!(net.metric("flowfall_nat_metered 0"));
    let nat_entries: Vec<_> = (0..net.topo.switches().len())
        .flat_map(|j| {
            net.core
                .model
                .desired_junction(j)
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|e| {
            flowfall_health::cookie::parse(e.cookie.0).is_some_and(|(p, _)| p == Purpose::Nat)
        })
        .collect();
    assert!(!nat_entries.is_empty());
    assert!(nat_entries.iter().all(|e| {
        !e.instructions
            .iter()
            .any(|i| matches!(i, Instruction::Meter(_)))
    }));
    assert!(net.core.switch_views().iter().all(|s| s.in_sync));
}

#[test]
fn lldp_judges_bypass_links_and_a_dead_one_is_avoided() {
    let mut net = Fakes::lab(&HealthConfig::default());
    net.connect_all();
    net.lldp_for(1500, &[]);
    let links = net.core.link_views(net.now);
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|l| l.state == "up"), "{links:?}");
    assert!(net.metric("flowfall_link_up{lower=\"00:00:00:00:00:00:00:01/20\",upper=\"00:00:00:00:00:00:00:02/20\"} 1"));
    // alpha uses no layer: it crosses both bypass links.
    let hop = |net: &Fakes, layer: &str| {
        net.core.path_view("alpha").unwrap().prefixes[0]
            .hops
            .iter()
            .find(|h| h.layer == layer)
            .unwrap()
            .via
            .clone()
    };
    assert_eq!(hop(&net, "firewall"), "bypass");
    // The firewall layer's bypass link (J0 port 20) goes silent: down after 3 s; its only
    // bypass gone, alpha's traffic is dropped rather than pushed through a firewall.
    net.lldp_for(3500, &[20]);
    let links = net.core.link_views(net.now);
    assert_eq!(links[0].state, "down", "{links:?}");
    assert_eq!(links[1].state, "up");
    assert_eq!(hop(&net, "firewall"), "drop");
    assert_eq!(hop(&net, "ids"), "bypass");
    // Heard again: up, alpha bypasses again.
    net.lldp_for(1500, &[]);
    assert_eq!(net.core.link_views(net.now)[0].state, "up");
    assert_eq!(hop(&net, "firewall"), "bypass");
    // PORT_STATUS is the fast signal.
    let j1 = net.conn_of(net.topo.switches()[1].dpid);
    net.deliver(
        j1,
        Message::PortStatus(PortStatus {
            reason: PortReason::Modify,
            desc: port(40, false),
        }),
    );
    assert_eq!(net.core.link_views(net.now)[1].state, "down");
    assert!(net.core.link_views(net.now)[1].port_down);
    assert_eq!(hop(&net, "ids"), "drop");
    // An LLDP frame of J0's port 20 arriving at J1's port 40: a cabling error.
    let frame = net
        .sent
        .iter()
        .find_map(|(c, m)| match &m.msg {
            Message::PacketOut(po) if *c == ConnId(1) && LldpFrame::parse(&po.data).is_ok() => {
                Some(po.data.clone())
            }
            _ => None,
        })
        .unwrap();
    net.deliver(j1, packet_in(40, cookie(Purpose::Lldp, 1), frame));
    assert!(net.metric("flowfall_lldp_miswired_total 1"));
}

#[test]
fn loads_are_measured_and_the_most_loaded_vm_sheds_customers() {
    // Eight firewall customers over three VMs: one VM carries at least three.
    let mut text = LAB.to_string();
    for i in 0..6 {
        text.push_str(&format!(
            "\n[[customers]]\nname = \"extra{i}\"\nport = {}\ncpe_mac = \"02:00:00:bb:00:{i:02x}\"\nipv4 = [\"10.1.{i}.0/24\"]\nservices = [\"firewall\"]\n",
            50 + i
        ));
    }
    let mut config = HealthConfig::default();
    config.balance.enabled = true;
    config.balance.interval = Duration::from_secs(1);
    let mut net = Fakes::new(&text, &config);
    net.connect_all();
    net.probe_for(300, &[]);
    // Load only the customers of the busiest firewall VM, 1000 B/s per prefix.
    let mut per_vm: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in net.topo.customers() {
        if let Some(vm) = net.via(&c.name, "firewall") {
            per_vm.entry(vm).or_default().push(c.name.clone());
        }
    }
    let (busy, loaded) = per_vm.iter().max_by_key(|(_, c)| c.len()).unwrap();
    let (busy, loaded) = (busy.clone(), loaded.clone());
    assert!(loaded.len() >= 3, "{per_vm:?}");
    let j0 = net.topo.switches()[0].dpid;
    let owners: Vec<u64> = net.core.installed[&j0]
        .iter()
        .filter(|e| matches!(e.cookie.kind(), Some(CookieKind::Upstream)))
        .filter(|e| {
            net.core
                .model
                .address_key(e.cookie.owner())
                .is_some_and(|(c, _)| loaded.contains(&c))
        })
        .map(|e| e.cookie.0 & 0xfff_ffff_ffff)
        .collect();
    for o in owners {
        net.rates.insert(o, 1000);
    }
    // Two polls: the first gives counters, the second rates and a round.
    net.probe_for(2100, &[]);
    let view = net.core.balance_view(net.now).unwrap();
    assert!(view.rounds >= 1, "{view:?}");
    let before = view.before.iter().find(|l| l.layer == "firewall").unwrap();
    assert!(before.max_over_floor > 1.25, "{before:?}");
    assert!(!view.moves.is_empty(), "{view:?}");
    let after = view.after.iter().find(|l| l.layer == "firewall").unwrap();
    assert!(after.max_over_floor < before.max_over_floor);
    for m in &view.moves {
        assert_eq!(
            (m.layer.as_str(), m.from.as_str()),
            ("firewall", busy.as_str())
        );
        assert_eq!(
            net.via(&m.customer, "firewall").as_deref(),
            Some(m.to.as_str())
        );
        assert!(
            net.core
                .pin_views()
                .iter()
                .any(|p| p.customer == m.customer && p.reason == "balance")
        );
    }
    let busy_view = net.vm(&busy);
    assert!(
        busy_view.load_bytes_per_s.is_some_and(|b| b > 0.0),
        "{busy_view:?}"
    );
    assert!(net.metric(&format!(
        "flowfall_rebalance_moves_total {}",
        view.moves_total
    )));
}

#[test]
fn a_link_lldp_never_heard_is_shown_down_but_kept_in_use() {
    // Switches that never hand LLDP frames back: every link goes silent.
    let mut net = Fakes::lab(&HealthConfig::default());
    net.connect_all();
    net.lldp_for(3500, &[20, 40]);
    let links = net.core.link_views(net.now);
    assert!(links.iter().all(|l| l.state == "down"), "{links:?}");
    let alpha = net.core.path_view("alpha").unwrap();
    assert!(
        alpha.prefixes[0].hops.iter().all(|h| h.via == "bypass"),
        "{alpha:?}"
    );
    assert_eq!(net.core.health_view().links_down, 2);
    // PORT_STATUS is believed whatever LLDP says.
    let j0 = net.conn_of(net.topo.switches()[0].dpid);
    net.deliver(
        j0,
        Message::PortStatus(PortStatus {
            reason: PortReason::Modify,
            desc: port(20, false),
        }),
    );
    let alpha = net.core.path_view("alpha").unwrap();
    assert_eq!(alpha.prefixes[0].hops[0].via, "drop", "{alpha:?}");
}

#[test]
fn a_meter_left_by_an_earlier_controller_is_modified_not_given_up() {
    let mut net = Fakes::lab(&HealthConfig::default());
    net.refuse_meters = Some(MeterModFailedCode::MeterExists);
    net.connect_all();
    assert!(net.metric("flowfall_nat_metered 1"));
    for conn in [ConnId(2), ConnId(3)] {
        let commands: Vec<MeterModCommand> = net
            .sent
            .iter()
            .filter_map(|(c, m)| match &m.msg {
                Message::MeterMod(mm) if *c == conn => Some(mm.command),
                _ => None,
            })
            .collect();
        assert_eq!(
            commands,
            [MeterModCommand::Add, MeterModCommand::Modify],
            "{conn:?}"
        );
    }
    assert!(net.core.switch_views().iter().all(|s| s.in_sync));
}

#[test]
fn with_fail_over_a_nat_alarm_takes_its_vm_out_until_an_operator_puts_it_back() {
    let mut config = HealthConfig::default();
    config.nat.on_alarm = super::nat::NatAction::FailOver;
    let mut net = Fakes::lab(&config);
    net.connect_all();
    net.probe_for(500, &[]);
    let fw1 = [0x02, 0, 0, 0x01, 0x01, 0x02];
    let j1 = net.conn_of(net.topo.switches()[1].dpid);
    let f = udp_frame(fw1, [100, 64, 0, 7], [203, 0, 113, 1]);
    net.deliver(j1, packet_in(11, cookie(Purpose::Nat, 1), f));
    let v = net.vm("fw-1");
    assert!(!v.live && v.state.as_deref() == Some("nat"), "{v:?}");
    assert!(net.metric("flowfall_failovers_total 1"));
    // Its probes still come back: it stays out.
    net.probe_for(1000, &[]);
    assert!(!net.vm("fw-1").live);
    // The operator puts it back.
    let now = net.now;
    net.core.set_vm_live(now, "fw-1", true).unwrap();
    net.pump();
    let v = net.vm("fw-1");
    assert!(v.live && v.state.as_deref() == Some("up"), "{v:?}");
}
