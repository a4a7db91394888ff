//! NAT-in-chain detection in the core (issue 7 item 4; paper §6.2 problem 4).
//!
//! `flowfall_health::nat::nat_flows` puts an entry on each VD port of J1..Jn (upstream
//! traffic leaving a VM) that sends IPv4 packets no customer entry claimed to the controller,
//! truncated to 128 bytes and metered per switch (`[health.nat] rate`, packets/s; the meter
//! is created by a `METER_MOD` sent when the switch becomes ready, before its flows). Each such
//! PACKET_IN is classified by `flowfall_health::nat::NatDetector`: a source address that
//! belongs to no customer means a VNF rewrote it (NAT in the chain): an **alarm**, logged once
//! per (switch, port, source) and counted on every packet; a known customer's unclaimed
//! packet (in flight while its customer moved, or a VNF rewriting the ToS byte) is only
//! counted.
//!
//! Alarms not seen again for an hour are forgotten (the counters keep them).
//!
//! Detection only, by default: the VM keeps its customers (whose translated traffic the
//! junction above it cannot claim, so it is lost). With `[health.nat] on_alarm = "fail-over"`
//! the VM an alarm names (by the frame's source MAC, or the probe it rewrote) leaves its layer
//! like a dead VM (its state reads `nat`); it comes back only when an operator says so with
//! `PUT /api/vms/{name}/live true`.
//!
//! A switch that refuses the meter (`OFPET_METER_MOD_FAILED` other than "exists") makes the
//! detection entries unmetered on every switch (the controller's own PACKET_IN limits then
//! bound the rate).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Instant;

use flowfall_health::nat::{Alarm, NatConfig, NatDetector, NatMeter, Verdict, meter_mods};
use flowfall_ofp::error_msg::{ErrorCode, ErrorMsg, MeterModFailedCode};
use flowfall_ofp::message::Message;
use flowfall_ofp::meter::MeterModCommand;
use flowfall_ofp::packet_in::PacketIn;
use flowfall_topology::format_dpid;
use serde::Serialize;
use tracing::{debug, warn};

use super::{ConnId, Controller, CoreError};

/// Meter id of the detection entries.
const METER_ID: u32 = 0xff00;

/// An alarm not seen again for this long (ns) is forgotten: one hour.
const ALARM_TTL: u64 = 3_600_000_000_000;

/// How often forgotten alarms are looked for (ns): a minute.
const EXPIRY_EVERY: u64 = 60_000_000_000;

/// What a NAT alarm does to the VM it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NatAction {
    /// Log and count only (default).
    #[default]
    Alarm,
    /// Also take the VM out of its layer until an operator puts it back.
    FailOver,
}

impl NatAction {
    /// `alarm` or `fail-over`.
    pub const fn name(self) -> &'static str {
        match self {
            NatAction::Alarm => "alarm",
            NatAction::FailOver => "fail-over",
        }
    }

    /// The action of a settings name.
    pub fn from_name(name: &str) -> Option<NatAction> {
        [NatAction::Alarm, NatAction::FailOver]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

/// `[health.nat]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatSettings {
    /// Whether detection entries are installed (default true).
    pub enabled: bool,
    /// Most detection PACKET_INs per second and switch (the meter's rate and burst; default
    /// 100; 0 = no meter).
    pub rate: u32,
    /// Most distinct alarms kept (default 1024; the least recently seen go first).
    pub max_alarms: usize,
    /// What an alarm does to the VM it names (default: nothing, [`NatAction::Alarm`]).
    pub on_alarm: NatAction,
}

impl Default for NatSettings {
    fn default() -> Self {
        NatSettings {
            enabled: true,
            rate: 100,
            max_alarms: 1024,
            on_alarm: NatAction::Alarm,
        }
    }
}

impl NatSettings {
    /// The detector's configuration, with the meter when `meter` (and a rate is set).
    pub fn detector_config(&self, meter: bool) -> NatConfig {
        NatConfig {
            meter: (meter && self.rate > 0).then_some(NatMeter {
                id: METER_ID,
                rate: self.rate,
                burst: self.rate,
            }),
            max_alarms: self.max_alarms,
            ..NatConfig::default()
        }
    }
}

/// One NAT alarm (GET /api/alarms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmView {
    /// Always `nat`: a packet left a VM with a source address that belongs to no customer.
    pub kind: String,
    /// Junction name.
    pub switch: String,
    /// Its datapath id.
    pub dpid: String,
    /// The VD port it arrived on.
    pub port: u32,
    /// The layer whose VM sent it.
    pub layer: String,
    /// The VM (by the frame's source MAC), when known.
    pub vm: Option<String>,
    /// The frame's source MAC.
    pub eth_src: String,
    /// The unknown source address.
    pub src: String,
    /// Destination of the last packet.
    pub dst: String,
    /// When the packet was one of our liveness probes: the VM it probed (its source was
    /// rewritten, so that VM translates addresses).
    pub probe_of: Option<String>,
    /// Packets seen (after the switch's meter).
    pub count: u64,
    /// Seconds since the first packet.
    pub first_seen_s_ago: f64,
    /// Seconds since the last packet.
    pub last_seen_s_ago: f64,
}

/// The detection state of the core.
#[derive(Debug)]
pub(super) struct NatWatch {
    detector: NatDetector,
    /// False once a switch refused the meter: entries are installed without it.
    metered: bool,
    /// METER_MODs in flight: `(connection, xid)` -> datapath.
    meter_mods: BTreeMap<(ConnId, u32), u64>,
    /// When stale alarms are next looked for (health clock).
    next_expiry: u64,
    /// VMs taken out by an alarm (`on_alarm = "fail-over"`), by name.
    pub(super) failed: BTreeSet<String>,
}

impl NatWatch {
    pub(super) fn new(settings: &NatSettings) -> Result<NatWatch, CoreError> {
        let config = settings.detector_config(true);
        Ok(NatWatch {
            detector: NatDetector::new(config)
                .map_err(|e| CoreError::Config(format!("[health.nat]: {e}")))?,
            metered: config.meter.is_some(),
            meter_mods: BTreeMap::new(),
            next_expiry: EXPIRY_EVERY,
            failed: BTreeSet::new(),
        })
    }

    /// Whether the detection entries carry the meter.
    pub(super) fn metered(&self) -> bool {
        self.metered
    }

    /// Current alarms.
    pub(super) fn alarm_count(&self) -> usize {
        self.detector.alarms().len()
    }
}

impl Controller {
    /// A switch became ready: creates the detection meter on it, before the update that
    /// installs the entries using it.
    pub(super) fn health_switch_ready(&mut self, conn: ConnId, dpid: u64) {
        let Some(h) = self.health.as_ref() else {
            return;
        };
        if !h.nat.as_ref().is_some_and(NatWatch::metered) {
            return;
        }
        let mods: Vec<_> = meter_mods(self.model.topology(), &h.config.nat.detector_config(true))
            .into_iter()
            .filter(|(_, d, _)| *d == dpid)
            .collect();
        for (_, _, mm) in mods {
            let xid = self.send(conn, Message::MeterMod(mm));
            if let Some(n) = self.health.as_mut().and_then(|h| h.nat.as_mut()) {
                n.meter_mods.insert((conn, xid), dpid);
            }
        }
    }

    /// An ERROR from a switch: true when it answers one of our METER_MODs (handled here).
    pub(super) fn health_switch_error(
        &mut self,
        now: Instant,
        conn: ConnId,
        xid: u32,
        err: &ErrorMsg,
    ) -> bool {
        let Some(n) = self.health.as_mut().and_then(|h| h.nat.as_mut()) else {
            return false;
        };
        let Some(dpid) = n.meter_mods.remove(&(conn, xid)) else {
            return false;
        };
        if err.code == ErrorCode::MeterModFailed(MeterModFailedCode::MeterExists) {
            // Left by an earlier controller: make sure it has our rate.
            if let Some(h) = self.health.as_ref() {
                let modify = meter_mods(self.model.topology(), &h.config.nat.detector_config(true))
                    .into_iter()
                    .find(|(_, d, _)| *d == dpid)
                    .map(|(_, _, mut mm)| {
                        mm.command = MeterModCommand::Modify;
                        mm
                    });
                if let Some(mm) = modify {
                    let xid = self.send(conn, Message::MeterMod(mm));
                    if let Some(n) = self.health.as_mut().and_then(|h| h.nat.as_mut()) {
                        n.meter_mods.insert((conn, xid), dpid);
                    }
                }
            }
            return true;
        }
        warn!(dpid = %format_dpid(dpid), code = ?err.code,
            "switch refused the NAT detection meter: detection entries go unmetered");
        n.metered = false;
        n.meter_mods.clear();
        let topo = std::sync::Arc::clone(self.model.topology_arc());
        if let Some(h) = self.health.as_ref() {
            self.model.set_extra_entries(h.entries(&topo));
        }
        self.model_changed(now);
        true
    }

    /// Forgets alarms not seen for an hour (checked once a minute).
    pub(super) fn nat_timeout(&mut self, now: Instant) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let Some(n) = h.nat.as_mut() else {
            return;
        };
        if ns < n.next_expiry {
            return;
        }
        n.next_expiry = ns.saturating_add(EXPIRY_EVERY);
        let gone = n.detector.expire(ns.saturating_sub(ALARM_TTL));
        if gone > 0 {
            debug!(gone, "NAT alarms not seen for an hour forgotten");
        }
    }

    /// A PACKET_IN of a NAT detection entry.
    pub(super) fn nat_packet_in(&mut self, now: Instant, dpid: u64, pi: &PacketIn) {
        let topo = std::sync::Arc::clone(self.model.topology_arc());
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let Some(n) = h.nat.as_mut() else {
            return;
        };
        let fail_over = h.config.nat.on_alarm == NatAction::FailOver;
        match n.detector.on_packet_in(&topo, dpid, pi, ns) {
            Ok(Verdict::Alarm { alarm, new: true }) => {
                let view = alarm_view(&topo, &alarm, ns);
                warn!(
                    switch = %view.switch, port = view.port, layer = %view.layer,
                    vm = view.vm.as_deref().unwrap_or("?"), src = %view.src, dst = %view.dst,
                    probe_of = view.probe_of.as_deref().unwrap_or("-"),
                    "NAT in the chain: a VM sent a packet whose source belongs to no customer"
                );
                if let Some(vm) = view.vm.or(view.probe_of).filter(|_| fail_over) {
                    self.nat_fail_over(now, vm);
                }
            }
            Ok(Verdict::Alarm { .. }) => {}
            Ok(Verdict::KnownSource { customer }) => {
                debug!(%customer, dpid = %format_dpid(dpid), "unclaimed packet of a known customer");
            }
            Ok(Verdict::NotWatched) => {}
            // Counted by the detector as ignored.
            Err(e) => debug!(error = %e, "NAT detection PACKET_IN not understood"),
        }
    }

    /// `on_alarm = "fail-over"`: the VM leaves its layer until an operator puts it back.
    fn nat_fail_over(&mut self, now: Instant, vm: String) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let Some(n) = h.nat.as_mut() else {
            return;
        };
        if !n.failed.insert(vm.clone()) {
            return;
        }
        warn!(%vm, "NAT in the chain: the VM leaves its layer until PUT /api/vms/{vm}/live true");
        h.failovers += 1;
        if self.model.set_probe_live(&vm, false) {
            self.model_changed(now);
        }
        self.check_layers();
    }

    /// An operator put `vm` back (`PUT /api/vms/{name}/live true`): a VM taken out by a NAT
    /// alarm rejoins its layer, unless its probes say it is dead. True when that changed
    /// the live set.
    pub(super) fn nat_release(&mut self, vm: &str) -> bool {
        let Some(h) = self.health.as_mut() else {
            return false;
        };
        if !h.nat.as_mut().is_some_and(|n| n.failed.remove(vm)) {
            return false;
        }
        let probed_down = h
            .monitor
            .as_ref()
            .zip(self.model.topology().vm_by_name(vm))
            .and_then(|(m, v)| m.state(v.id))
            == Some(flowfall_health::liveness::VmState::Down);
        tracing::info!(vm, "VM put back after a NAT alarm");
        !probed_down && self.model.set_probe_live(vm, true)
    }

    /// Whether `vm` is out of its layer because of a NAT alarm.
    pub(super) fn nat_failed(&self, vm: &str) -> bool {
        self.health
            .as_ref()
            .and_then(|h| h.nat.as_ref())
            .is_some_and(|n| n.failed.contains(vm))
    }

    /// The current NAT alarms, most recently seen first (GET /api/alarms).
    pub fn alarm_views(&self, now: Instant) -> Vec<AlarmView> {
        let Some(h) = self.health.as_ref() else {
            return Vec::new();
        };
        let Some(n) = h.nat.as_ref() else {
            return Vec::new();
        };
        let ns = h.nanos(now);
        let topo = self.model.topology();
        n.detector
            .alarms()
            .into_iter()
            .map(|a| alarm_view(topo, a, ns))
            .collect()
    }

    /// NAT detection metrics.
    pub(super) fn nat_metrics(&self, o: &mut String) {
        let Some(n) = self.health.as_ref().and_then(|h| h.nat.as_ref()) else {
            return;
        };
        let s = n.detector.stats();
        for (name, help, v) in [
            (
                "flowfall_nat_alarms_total",
                "Distinct NAT-in-chain alarms (switch, port, unknown source) raised.",
                s.alarms,
            ),
            (
                "flowfall_nat_packets_total",
                "Unclaimed IPv4 packets from VMs sent to the controller for NAT detection.",
                s.packets,
            ),
            (
                "flowfall_nat_known_source_total",
                "Unclaimed packets whose source is a known customer (counted, no alarm).",
                s.known_source,
            ),
            (
                "flowfall_nat_ignored_total",
                "Detection packets that were not IPv4 or not from a watched port.",
                s.ignored,
            ),
        ] {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        }
        let _ = writeln!(
            o,
            "# HELP flowfall_nat_alarms Current NAT-in-chain alarms.\n# TYPE flowfall_nat_alarms gauge\nflowfall_nat_alarms {}\n# HELP flowfall_nat_metered Whether the detection entries are metered on the switches.\n# TYPE flowfall_nat_metered gauge\nflowfall_nat_metered {}",
            n.detector.alarms().len(),
            u8::from(n.metered)
        );
    }
}

fn alarm_view(topo: &flowfall_topology::Topology, a: &Alarm, now: u64) -> AlarmView {
    let vm_name = |id| topo.vm(id).map(|v| v.name.clone());
    let ago = |t: u64| now.saturating_sub(t) as f64 / 1e9;
    AlarmView {
        kind: "nat".into(),
        switch: topo
            .switch(a.switch)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        dpid: format_dpid(a.dpid),
        port: a.port,
        layer: topo
            .layer(a.layer)
            .map(|l| l.name.clone())
            .unwrap_or_default(),
        vm: a.vm.and_then(vm_name),
        eth_src: a.eth_src.to_string(),
        src: a.src.to_string(),
        dst: a.dst.to_string(),
        probe_of: a.probe_of.and_then(vm_name),
        count: a.count,
        first_seen_s_ago: ago(a.first_seen),
        last_seen_s_ago: ago(a.last_seen),
    }
}
