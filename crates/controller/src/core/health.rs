//! VM and link health inside the core (issue 7), on top of the sans-IO state machines of
//! `flowfall-health`:
//!
//! - **Probes** ([`flowfall_health::liveness::Monitor`]): every VM is probed *through* the VNF
//!   (a probe injected on the VM's VU port must come back on its VD port, so a VM that stops
//!   forwarding is found even when its links stay up). Its Up/Down transitions drive the same
//!   liveness update as `PUT /api/vms/{name}/live`: the tables are recompiled without the dead
//!   VM and pushed in waypoint-safe phases.
//! - **Start-up grace**: a VM that has not answered a single probe yet is not failed over
//!   during [`HealthConfig::startup_grace`] after probing starts (or after it appeared in a
//!   reload). VMs that are still booting, or whose hypervisor wiring is still being set up when
//!   the junctions are already programmed, would otherwise all be declared dead at once, their
//!   layers emptied and their customers' traffic dropped for the time they take to answer three
//!   probes in a row. A VM that answered once is judged normally; one that never answers is
//!   declared down when its grace ends.
//! - **LLDP link monitoring** ([`super::links`]), **NAT-in-chain detection**
//!   ([`super::nat`]), **failover pins** ([`super::pins`]) and **load balancing**
//!   ([`super::balance`]) hang off the same timer and PACKET_IN dispatch.
//!
//! Probing starts once every junction of the topology is connected and the first update
//! (which installs the probe-return entries) is confirmed: before that a probe could not
//! come back.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowfall_compile::FlowEntry;
use flowfall_compile::cookie::Cookie;
use flowfall_health::cookie::{self, Purpose};
use flowfall_health::flows::SwitchFlowMod;
use flowfall_health::liveness::{
    Cause, Event as HealthEvent, LivenessConfig, Monitor, Transition, VmState,
};
use flowfall_health::probe::{self, ProbeConfig};
use flowfall_health::{lldp, nat as hnat};
use flowfall_ofp::message::Message;
use flowfall_ofp::packet_in::PacketIn;
use flowfall_topology::Topology;
use tracing::{debug, info, warn};

use super::balance::{BalanceSettings, Balancing};
use super::links::{LinkSettings, LinkWatch};
use super::nat::{NatSettings, NatWatch};
use super::{Controller, CoreError};

/// Health settings of the core (the `[health]` settings table and its sub-tables).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// Time between two probes of one VM (default 100 ms).
    pub interval: Duration,
    /// Consecutive missed probes that make a VM Down (default 3).
    pub miss_count: u32,
    /// How long a VM that has not answered any probe yet keeps its customers (default 5 s),
    /// from the start of probing or from the reload that added it. See the
    /// [module docs](self).
    pub startup_grace: Duration,
    /// Whether customers moved away from a dead VM return to it when it recovers (default
    /// `false`: they stay on the VM that took them over, keeping their sessions there).
    pub return_on_recovery: bool,
    /// LLDP on the bypass links (`[health.lldp]`).
    pub lldp: LinkSettings,
    /// NAT-in-chain detection (`[health.nat]`).
    pub nat: NatSettings,
    /// Load-aware rebalancing (`[health.balance]`).
    pub balance: BalanceSettings,
}

impl Default for HealthConfig {
    fn default() -> Self {
        let d = LivenessConfig::default();
        HealthConfig {
            interval: Duration::from_nanos(d.interval),
            miss_count: d.miss_count,
            startup_grace: Duration::from_secs(5),
            return_on_recovery: false,
            lldp: LinkSettings::default(),
            nat: NatSettings::default(),
            balance: BalanceSettings::default(),
        }
    }
}

/// Nanoseconds of a duration, saturating.
pub(super) fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl HealthConfig {
    /// The monitor's configuration: a reply is due within one interval.
    pub fn liveness(&self) -> LivenessConfig {
        let ns = ns(self.interval);
        LivenessConfig {
            interval: ns,
            reply_timeout: ns,
            miss_count: self.miss_count,
            ..LivenessConfig::default()
        }
    }

    /// Checks every sub-setting against the health state machines' ranges.
    ///
    /// # Errors
    /// [`CoreError::Config`] naming the setting.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            CoreError::Config(format!("[health{what}]: {e}"))
        };
        self.liveness().validate().map_err(|e| bad("", &e))?;
        if self.startup_grace > Duration::from_secs(3600) {
            return Err(CoreError::Config(format!(
                "[health] startup_grace: expected at most 3600 s, found {} s",
                self.startup_grace.as_secs_f64()
            )));
        }
        self.lldp
            .config()
            .validate()
            .map_err(|e| bad(".lldp", &e))?;
        self.nat
            .detector_config(true)
            .validate()
            .map_err(|e| bad(".nat", &e))?;
        self.balance
            .config()
            .validate()
            .map_err(|e| bad(".balance", &e))?;
        Ok(())
    }
}

/// The health machinery at a glance (GET /api/health).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HealthView {
    /// Whether health is on (`[health] enabled`).
    pub enabled: bool,
    /// Whether probing runs (every junction connected and programmed once).
    pub probing: bool,
    /// VMs declared down (their customers moved).
    pub failovers: u64,
    /// VMs back up.
    pub recoveries: u64,
    /// VMs that never answered a probe and would be down but for their start-up grace.
    pub unproven: Vec<String>,
    /// Layers without a live VM: `dropping` (fail-closed) or `bypassing` (fail-open).
    pub empty_layers: Vec<String>,
    /// Customer prefixes pinned above the hash choice by a failover.
    pub failover_pins: usize,
    /// ... by the load balancer.
    pub balance_pins: usize,
    /// Bypass links down.
    pub links_down: usize,
    /// Current NAT-in-chain alarms.
    pub nat_alarms: usize,
}

/// VMs that have not proven themselves yet: their Down verdicts wait for the end of their
/// start-up grace.
#[derive(Debug, Default)]
pub(super) struct Grace {
    /// When each unproven VM's grace ends, by name.
    until: HashMap<String, Instant>,
    /// VMs the monitor holds Down while the model keeps them (their grace runs).
    deferred: BTreeSet<String>,
}

impl Grace {
    /// Starts the grace of `name` (a VM just put under watch).
    fn start(&mut self, name: &str, now: Instant, grace: Duration) {
        if let Some(end) = now.checked_add(grace) {
            self.until.insert(name.to_string(), end);
        }
    }

    /// Whether a Down verdict on `name`, which has answered `received` probes so far, waits.
    fn defers(&mut self, name: &str, received: u64, now: Instant) -> bool {
        if received > 0 {
            self.until.remove(name);
            return false;
        }
        let waiting = self.until.get(name).is_some_and(|&end| now < end);
        if waiting {
            self.deferred.insert(name.to_string());
        }
        waiting
    }

    /// Whether an Up verdict on `name` only ends a deferral (the model never saw it Down).
    fn cancels(&mut self, name: &str) -> bool {
        self.until.remove(name);
        self.deferred.remove(name)
    }

    /// The deferred VMs whose grace has ended (they leave the deferred set).
    fn expired(&mut self, now: Instant) -> Vec<String> {
        let until = &self.until;
        let done: Vec<String> = self
            .deferred
            .iter()
            .filter(|n| until.get(*n).is_none_or(|&end| now >= end))
            .cloned()
            .collect();
        for n in &done {
            self.deferred.remove(n);
            self.until.remove(n);
        }
        self.until
            .retain(|n, end| now < *end || self.deferred.contains(n));
        done
    }

    /// When the earliest deferred grace ends.
    fn deadline(&self) -> Option<Instant> {
        self.deferred
            .iter()
            .filter_map(|n| self.until.get(n).copied())
            .min()
    }

    /// Whether `name`'s Down verdict is being held back.
    pub(super) fn is_deferred(&self, name: &str) -> bool {
        self.deferred.contains(name)
    }
}

/// The health state of the core.
#[derive(Debug)]
pub(super) struct Health {
    pub(super) config: HealthConfig,
    liveness: LivenessConfig,
    /// The monitor, once probing started.
    pub(super) monitor: Option<Monitor>,
    /// The origin of the health clock (`Nanos` since then).
    epoch: Instant,
    /// VMs moved out of their layer by a probe or port verdict.
    pub(super) failovers: u64,
    /// VMs back in their layer.
    pub(super) recoveries: u64,
    /// Start-up grace of VMs that never answered.
    pub(super) grace: Grace,
    /// LLDP on the bypass links, once probing started.
    pub(super) links: Option<LinkWatch>,
    /// NAT-in-chain detection.
    pub(super) nat: Option<NatWatch>,
    /// Load-aware rebalancing.
    pub(super) balance: Balancing,
    /// Layers without a live VM at the last check (logged when that changes).
    empty_layers: BTreeSet<String>,
}

/// A health flow mod as an entry of the desired tables.
fn entry(s: SwitchFlowMod) -> (usize, FlowEntry) {
    let f = s.flow_mod;
    (
        s.switch,
        FlowEntry {
            table_id: f.table_id,
            priority: f.priority,
            match_: f.match_,
            instructions: f.instructions.into(),
            cookie: Cookie(f.cookie),
            idle_timeout: f.idle_timeout,
        },
    )
}

/// The entries returning packets to the controller with the default settings (probe
/// returns, LLDP, NAT detection with its meter), as flow entries of the desired tables:
/// `(junction index, entry)`.
#[cfg(test)]
pub(super) fn return_entries(topology: &Topology) -> Vec<(usize, FlowEntry)> {
    health_entries(topology, &HealthConfig::default(), true)
}

/// The entries `config` installs beside the compiled tables: probe returns, and LLDP and NAT
/// detection when enabled (metered when `meter`).
pub(super) fn health_entries(
    topology: &Topology,
    config: &HealthConfig,
    meter: bool,
) -> Vec<(usize, FlowEntry)> {
    let mut flows = probe::return_flows(topology, &ProbeConfig::default());
    if config.lldp.enabled {
        flows.extend(lldp::lldp_flows(topology));
    }
    if config.nat.enabled {
        flows.extend(hnat::nat_flows(
            topology,
            &config.nat.detector_config(meter),
        ));
    }
    flows.into_iter().map(entry).collect()
}

impl Health {
    pub(super) fn new(config: &HealthConfig, now: Instant) -> Result<Health, CoreError> {
        config.validate()?;
        let nat = config
            .nat
            .enabled
            .then(|| NatWatch::new(&config.nat))
            .transpose()?;
        Ok(Health {
            config: config.clone(),
            liveness: config.liveness(),
            monitor: None,
            epoch: now,
            failovers: 0,
            recoveries: 0,
            grace: Grace::default(),
            links: None,
            nat,
            balance: Balancing::new(&config.balance)?,
            empty_layers: BTreeSet::new(),
        })
    }

    /// `now` on the health clock.
    pub(super) fn nanos(&self, now: Instant) -> u64 {
        ns(now.saturating_duration_since(self.epoch))
    }

    /// The instant of `nanos` on the health clock.
    pub(super) fn instant(&self, nanos: u64) -> Option<Instant> {
        self.epoch.checked_add(Duration::from_nanos(nanos))
    }

    /// When the monitors next need the clock (`None` while they are not running).
    fn deadline(&self) -> Option<Instant> {
        let probes = self.monitor.as_ref().and_then(Monitor::next_deadline);
        let links = self.links.as_ref().and_then(LinkWatch::next_deadline);
        [probes, links]
            .into_iter()
            .flatten()
            .filter_map(|n| self.instant(n))
            .chain(self.grace.deadline())
            .min()
    }

    /// Whether the NAT detection entries carry their meter.
    fn metered(&self) -> bool {
        self.nat.as_ref().is_none_or(NatWatch::metered)
    }

    /// The entries to install beside the compiled tables of `topology`.
    pub(super) fn entries(&self, topology: &Topology) -> Vec<(usize, FlowEntry)> {
        health_entries(topology, &self.config, self.metered())
    }
}

impl Controller {
    /// Turns VM health on (the runtime does, per the `[health]` settings): the health entries
    /// (probe returns, LLDP, NAT detection) join the desired tables now, probes and LLDP
    /// start once every junction is connected and holds them.
    pub fn enable_health(&mut self, now: Instant, config: &HealthConfig) -> Result<(), CoreError> {
        let h = Health::new(config, now)?;
        self.model
            .set_extra_entries(h.entries(self.model.topology()));
        let topology = Arc::clone(self.model.topology_arc());
        self.model
            .steering_mut()
            .enable(&topology, config.return_on_recovery);
        self.health = Some(h);
        if self.by_dpid.is_empty() {
            // Nothing installed yet: part of the initial tables, no new generation.
            self.model.recompile(self.generation)
        } else {
            self.model_changed(now);
            Ok(())
        }
    }

    /// Stamps `now` on what health changes next (new pins).
    pub(super) fn health_clock(&mut self, now: Instant) {
        if let Some(h) = self.health.as_ref() {
            let ns = h.nanos(now);
            self.model.steering_mut().set_clock(ns);
        }
    }

    /// Whether every junction of the topology is connected and handshaken. Probing pauses
    /// otherwise: a probe through a switch that is away cannot come back, and nothing could
    /// be moved on it anyway.
    pub(super) fn all_junctions_ready(&self) -> bool {
        self.model.topology().switches().iter().all(|s| {
            self.by_dpid
                .get(&s.dpid)
                .and_then(|c| self.conns.get(c))
                .is_some_and(|c| c.phase == super::channel::Phase::Ready)
        })
    }

    /// When the health machinery next needs the clock.
    pub(super) fn health_deadline(&self) -> Option<Instant> {
        let h = self.health.as_ref()?;
        let balance = self.balance_deadline();
        if !self.all_junctions_ready() {
            return None;
        }
        h.deadline().into_iter().chain(balance).min()
    }

    /// Starts the monitors when every junction is ready (after an update was confirmed).
    pub(super) fn maybe_start_health(&mut self, now: Instant) {
        // A follow-up update pending may be the one installing the probe-return entries of
        // the last junction to connect: wait for it.
        if self.health.as_ref().is_none_or(|h| h.monitor.is_some())
            || self.sync.settling()
            || !self.all_junctions_ready()
        {
            return;
        }
        let topo = std::sync::Arc::clone(self.model.topology_arc());
        let Some(h) = self.health.as_mut() else {
            return;
        };
        match Monitor::for_topology(&topo, h.liveness, ProbeConfig::default()) {
            Ok(m) => {
                info!(
                    vms = topo.all_vms().count(),
                    grace_s = h.config.startup_grace.as_secs_f64(),
                    "VM health probing started"
                );
                h.epoch = now;
                for vm in topo.all_vms() {
                    h.grace.start(&vm.name, now, h.config.startup_grace);
                }
                h.monitor = Some(m);
                h.balance.started(0);
                if h.config.lldp.enabled {
                    match LinkWatch::new(&topo, &h.config.lldp) {
                        Ok(l) => h.links = Some(l),
                        Err(e) => warn!(error = %e, "LLDP link monitoring not possible"),
                    }
                }
            }
            Err(e) => {
                warn!(error = %e, "VM health probing not possible in this topology");
                self.health = None;
            }
        }
    }

    /// After a reload: health entries and probe targets of the new topology (the monitor
    /// keeps each VM's state by name; VMs new to it start their grace), links watched anew.
    pub(super) fn health_reloaded(&mut self, now: Instant) -> Result<(), CoreError> {
        let topo = std::sync::Arc::clone(self.model.topology_arc());
        let Some(h) = self.health.as_mut() else {
            return Ok(());
        };
        if let Some(m) = h.monitor.as_mut() {
            let known: BTreeSet<String> = m.states().map(|(t, _)| t.name.clone()).collect();
            m.set_targets(probe::targets(&topo))
                .map_err(|e| CoreError::Config(format!("health probes: {e}")))?;
            for vm in topo.all_vms().filter(|v| !known.contains(&v.name)) {
                h.grace.start(&vm.name, now, h.config.startup_grace);
            }
            if h.links.is_some() {
                h.links = LinkWatch::new(&topo, &h.config.lldp)
                    .inspect_err(|e| warn!(error = %e, "LLDP link monitoring after the reload"))
                    .ok();
            }
        }
        let entries = h.entries(&topo);
        self.model.set_extra_entries(entries);
        self.model.recompile(self.generation)
    }

    /// Timer work: sends the due probes and LLDP frames, acts on the verdicts, ends start-up
    /// graces, polls the load counters.
    pub(super) fn health_timeout(&mut self, now: Instant) {
        self.nat_timeout(now);
        if self.health.is_none() || !self.all_junctions_ready() {
            return;
        }
        self.probe_timeout(now);
        self.grace_timeout(now);
        self.links_timeout(now);
        self.balance_timeout(now);
    }

    fn probe_timeout(&mut self, now: Instant) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let Some(m) = h.monitor.as_mut() else {
            return;
        };
        if m.next_deadline().is_none_or(|d| d > ns) {
            return;
        }
        let tick = m.on_tick(ns);
        for p in tick.probes {
            if let Some(conn) = self.ready_conn(p.dpid) {
                self.send(conn, Message::PacketOut(p.packet_out));
            }
        }
        self.on_transitions(now, &tick.transitions);
    }

    /// VMs that never answered and whose grace ended: out of their layer now.
    fn grace_timeout(&mut self, now: Instant) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let expired = h.grace.expired(now);
        let mut changed = false;
        for name in expired {
            let down = h
                .monitor
                .as_ref()
                .zip(self.model.topology().vm_by_name(&name))
                .and_then(|(m, vm)| m.state(vm.id))
                == Some(VmState::Down);
            if down {
                warn!(vm = %name, grace_s = h.config.startup_grace.as_secs_f64(),
                    "VM never answered a probe during its start-up grace: moving its customers");
                h.failovers += 1;
                changed |= self.model.set_probe_live(&name, false);
            }
        }
        if changed {
            self.model_changed(now);
            self.check_layers();
        }
    }

    /// A PACKET_IN with a health cookie; false when the cookie is not a health one.
    pub(super) fn health_packet_in(&mut self, now: Instant, dpid: u64, pi: &PacketIn) -> bool {
        let Some((purpose, _)) = cookie::parse(pi.cookie) else {
            return false;
        };
        let Some(h) = self.health.as_mut() else {
            return true;
        };
        let ns = h.nanos(now);
        match purpose {
            Purpose::ProbeReturn => {
                let Some(m) = h.monitor.as_mut() else {
                    return true;
                };
                match m.on_packet_in(dpid, pi, ns) {
                    Ok(Some(t)) => self.on_transitions(now, &[t]),
                    Ok(None) => {}
                    Err(e) => debug!(error = %e, "probe reply not accepted"),
                }
            }
            Purpose::Lldp => self.lldp_packet_in(now, dpid, pi),
            Purpose::Nat => self.nat_packet_in(now, dpid, pi),
        }
        true
    }

    /// A port's state for the monitors (link down: the VMs and bypass links behind it are
    /// Down at once).
    pub(super) fn health_port_status(&mut self, now: Instant, dpid: u64, port: u32, up: bool) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let transitions = h
            .monitor
            .as_mut()
            .map(|m| m.on_port_status(dpid, port, up, ns))
            .unwrap_or_default();
        self.on_transitions(now, &transitions);
        self.links_port_status(now, dpid, port, up);
    }

    /// Live-set changes go through the same update as the REST liveness hook.
    fn on_transitions(&mut self, now: Instant, transitions: &[Transition]) {
        let mut changed = false;
        for t in transitions {
            let Some(name) = self.model.topology().vm(t.vm).map(|v| v.name.clone()) else {
                continue;
            };
            let Some(h) = self.health.as_mut() else {
                return;
            };
            match t.event() {
                Some(HealthEvent::VmDown { cause, .. }) => {
                    let received = h
                        .monitor
                        .as_ref()
                        .and_then(|m| m.health(t.vm))
                        .map_or(0, |v| v.received);
                    let probe_verdict = matches!(cause, Cause::ProbeTimeout { .. });
                    if probe_verdict && h.grace.defers(&name, received, now) {
                        info!(vm = %name, "VM has not answered a probe yet; it keeps its customers during its start-up grace");
                        continue;
                    }
                    warn!(vm = %name, ?cause, "VM down: moving its customers");
                    changed |= self.model.set_probe_live(&name, false);
                    h.failovers += 1;
                }
                Some(HealthEvent::VmUp { .. }) => {
                    if h.grace.cancels(&name) {
                        info!(vm = %name, "VM answers its probes");
                        continue;
                    }
                    if h.nat.as_ref().is_some_and(|n| n.failed.contains(&name)) {
                        info!(vm = %name, "VM answers its probes; it stays out after its NAT alarm");
                        continue;
                    }
                    info!(vm = %name, "VM up again");
                    changed |= self.model.set_probe_live(&name, true);
                    h.recoveries += 1;
                }
                None => debug!(vm = %name, from = %t.from, to = %t.to, "VM health"),
            }
        }
        if changed {
            self.model_changed(now);
        }
        self.check_layers();
    }

    /// Logs layers that lost their last live VM (their subscribers' traffic is now dropped or
    /// bypassed, per `when_empty`) or got one back. Called after liveness changes.
    pub(super) fn check_layers(&mut self) {
        if self.health.is_none() {
            return;
        }
        let layers = self.layer_views();
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let mut empty = BTreeSet::new();
        for l in layers.into_iter().filter(|l| l.status != "ok") {
            if !h.empty_layers.contains(&l.layer) {
                warn!(layer = %l.layer, when_empty = %l.when_empty, status = %l.status,
                    "no live VM left in the layer: its subscribers' traffic is {}",
                    if l.status == "dropping" { "dropped" } else { "bypassing it" });
            }
            empty.insert(l.layer);
        }
        for l in h.empty_layers.difference(&empty) {
            info!(layer = %l, "the layer has a live VM again");
        }
        h.empty_layers = empty;
    }

    /// The health machinery at a glance (GET /api/health).
    pub fn health_view(&self) -> HealthView {
        let Some(h) = self.health.as_ref() else {
            return HealthView {
                enabled: false,
                probing: false,
                failovers: 0,
                recoveries: 0,
                unproven: Vec::new(),
                empty_layers: Vec::new(),
                failover_pins: 0,
                balance_pins: 0,
                links_down: 0,
                nat_alarms: 0,
            };
        };
        let pins = self.model.steering().failover().overrides();
        HealthView {
            enabled: true,
            probing: h.monitor.is_some(),
            failovers: h.failovers,
            recoveries: h.recoveries,
            unproven: h.grace.deferred.iter().cloned().collect(),
            empty_layers: self
                .layer_views()
                .into_iter()
                .filter(|l| l.status != "ok")
                .map(|l| l.layer)
                .collect(),
            failover_pins: pins.count(flowfall_health::assign::OverrideReason::Failover),
            balance_pins: pins.count(flowfall_health::assign::OverrideReason::Balance),
            links_down: h.links.as_ref().map_or(0, |l| l.dead_links()),
            nat_alarms: h.nat.as_ref().map_or(0, NatWatch::alarm_count),
        }
    }

    /// Fills the probe state of VM views (state, RTT, loss).
    pub(super) fn health_fill(&self, views: &mut [super::views::VmView]) {
        let Some(h) = self.health.as_ref() else {
            return;
        };
        let Some(m) = h.monitor.as_ref() else {
            return;
        };
        for v in views.iter_mut() {
            let Some(vm) = self.model.topology().vm_by_name(&v.name) else {
                continue;
            };
            if let Some(health) = m.health(vm.id) {
                v.state = Some(if h.grace.is_deferred(&v.name) {
                    "unproven".to_string()
                } else if self.nat_failed(&v.name) {
                    "nat".to_string()
                } else {
                    health.state.name().to_string()
                });
                v.rtt_ms = health.rtt.ewma.map(|ns| ns as f64 / 1e6);
                v.loss = Some(health.loss_ratio());
            }
        }
        self.balance_fill(views);
    }

    /// The health metrics in Prometheus text format (appended to [`Controller::metrics_text`]).
    pub(super) fn health_metrics(&self, o: &mut String) {
        let (failovers, recoveries) = self
            .health
            .as_ref()
            .map_or((0, 0), |h| (h.failovers, h.recoveries));
        let _ = writeln!(
            o,
            "# HELP flowfall_failovers_total VMs declared down by probes or port status (their customers moved).\n# TYPE flowfall_failovers_total counter\nflowfall_failovers_total {failovers}"
        );
        let _ = writeln!(
            o,
            "# HELP flowfall_recoveries_total VMs back up after being declared down.\n# TYPE flowfall_recoveries_total counter\nflowfall_recoveries_total {recoveries}"
        );
        let views = self.vm_views();
        let esc = crate::metrics::escape_label;
        let _ = writeln!(
            o,
            "# HELP flowfall_vm_up Whether a VM carries traffic (1) or not (0).\n# TYPE flowfall_vm_up gauge"
        );
        for v in &views {
            let _ = writeln!(
                o,
                "flowfall_vm_up{{vm=\"{}\",layer=\"{}\"}} {}",
                esc(&v.name),
                esc(&v.layer),
                u8::from(v.live)
            );
        }
        let _ = writeln!(
            o,
            "# HELP flowfall_vm_rtt_seconds Probe round-trip time through the VM (EWMA).\n# TYPE flowfall_vm_rtt_seconds gauge"
        );
        for v in &views {
            if let Some(ms) = v.rtt_ms {
                let _ = writeln!(
                    o,
                    "flowfall_vm_rtt_seconds{{vm=\"{}\"}} {}",
                    esc(&v.name),
                    ms / 1e3
                );
            }
        }
        let _ = writeln!(
            o,
            "# HELP flowfall_layer_live_vms Live VMs per layer.\n# TYPE flowfall_layer_live_vms gauge"
        );
        for l in self.model.topology().layers() {
            let n = views.iter().filter(|v| v.layer == l.name && v.live).count();
            let _ = writeln!(
                o,
                "flowfall_layer_live_vms{{layer=\"{}\"}} {n}",
                esc(&l.name)
            );
        }
        self.pins_metrics(o);
        self.nat_metrics(o);
        self.links_metrics(o);
        self.balance_metrics(o, &views);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_defers_only_unproven_vms_and_ends() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut g = Grace::default();
        g.start("a", t0, 5 * s);
        g.start("b", t0, 5 * s);
        // "a" answered once: judged normally.
        assert!(!g.defers("a", 1, t0 + s));
        assert!(!g.is_deferred("a"));
        // "b" never answered: its Down waits for the end of the grace.
        assert!(g.defers("b", 0, t0 + s));
        assert!(g.is_deferred("b"));
        assert_eq!(g.deadline(), Some(t0 + 5 * s));
        assert!(g.expired(t0 + 4 * s).is_empty());
        assert_eq!(g.expired(t0 + 5 * s), vec!["b".to_string()]);
        assert!(!g.is_deferred("b"));
        assert_eq!(g.deadline(), None);
        // After the grace, a Down is acted on at once.
        assert!(!g.defers("b", 0, t0 + 6 * s));
        // An Up during the grace only ends the deferral.
        g.start("c", t0, 5 * s);
        assert!(g.defers("c", 0, t0 + s));
        assert!(g.cancels("c"));
        assert!(!g.cancels("c"));
        assert!(
            !g.defers("c", 0, t0 + 2 * s),
            "grace is over once cancelled"
        );
    }

    #[test]
    fn config_ranges_are_checked_per_section() {
        assert!(HealthConfig::default().validate().is_ok());
        let c = HealthConfig {
            startup_grace: Duration::from_secs(4000),
            ..HealthConfig::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("startup_grace")
        );
        let mut c = HealthConfig::default();
        c.lldp.timeout = c.lldp.interval;
        assert!(c.validate().unwrap_err().to_string().contains("lldp"));
        let mut c = HealthConfig::default();
        c.balance.stop_threshold = 2.0;
        assert!(c.validate().unwrap_err().to_string().contains("balance"));
    }
}
