//! VM health inside the core (issue 7): a `flowfall_health::liveness::Monitor` probes every
//! VM *through* the VNF (a probe injected on the VM's VU port must come back on its VD port,
//! so a VM that stops forwarding is found even when its links stay up), and its Up/Down
//! transitions drive the same liveness update as `PUT /api/vms/{name}/live`: the tables are
//! recompiled without the dead VM and pushed in waypoint-safe phases.
//!
//! Probing starts once every junction of the topology is connected and the first update
//! (which installs the probe-return entries) is confirmed: before that a probe could not
//! come back and every VM would be declared dead.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use flowfall_compile::FlowEntry;
use flowfall_compile::cookie::Cookie;
use flowfall_health::cookie::{self, Purpose};
use flowfall_health::liveness::{Event as HealthEvent, LivenessConfig, Monitor, Transition};
use flowfall_health::probe::{self, ProbeConfig};
use flowfall_ofp::message::Message;
use flowfall_ofp::packet_in::PacketIn;
use flowfall_topology::Topology;
use tracing::{debug, info, warn};

use super::{Controller, CoreError};

/// Probe settings of the core (the `[health]` settings table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthConfig {
    /// Time between two probes of one VM (default 100 ms).
    pub interval: Duration,
    /// Consecutive missed probes that make a VM Down (default 3).
    pub miss_count: u32,
}

impl Default for HealthConfig {
    fn default() -> Self {
        let d = LivenessConfig::default();
        HealthConfig {
            interval: Duration::from_nanos(d.interval),
            miss_count: d.miss_count,
        }
    }
}

impl HealthConfig {
    /// The monitor's configuration: a reply is due within one interval.
    pub fn liveness(&self) -> LivenessConfig {
        let ns = u64::try_from(self.interval.as_nanos()).unwrap_or(u64::MAX);
        LivenessConfig {
            interval: ns,
            reply_timeout: ns,
            miss_count: self.miss_count,
            ..LivenessConfig::default()
        }
    }
}

/// The health state of the core.
#[derive(Debug)]
pub(super) struct Health {
    config: LivenessConfig,
    /// The monitor, once probing started.
    monitor: Option<Monitor>,
    /// The origin of the monitor's clock (`Nanos` since then).
    epoch: Instant,
    /// VMs moved out of their layer by a probe or port verdict.
    pub(super) failovers: u64,
    /// VMs back in their layer.
    pub(super) recoveries: u64,
}

/// The entries returning probes to the controller, as flow entries of the desired tables:
/// `(junction index, entry)`.
pub(super) fn return_entries(topology: &Topology) -> Vec<(usize, FlowEntry)> {
    probe::return_flows(topology, &ProbeConfig::default())
        .into_iter()
        .map(|s| {
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
        })
        .collect()
}

impl Health {
    pub(super) fn new(config: &HealthConfig, now: Instant) -> Result<Health, CoreError> {
        let config = config.liveness();
        config
            .validate()
            .map_err(|e| CoreError::Config(format!("[health]: {e}")))?;
        Ok(Health {
            config,
            monitor: None,
            epoch: now,
            failovers: 0,
            recoveries: 0,
        })
    }

    fn nanos(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// When the monitor next needs the clock (`None` while it is not running).
    pub(super) fn deadline(&self) -> Option<Instant> {
        let ns = self.monitor.as_ref()?.next_deadline()?;
        self.epoch.checked_add(Duration::from_nanos(ns))
    }
}

impl Controller {
    /// Turns VM health probing on (the runtime does, per the `[health]` settings): the
    /// probe-return entries join the desired tables now, probes start once every junction is
    /// connected and holds them.
    pub fn enable_health(&mut self, now: Instant, config: &HealthConfig) -> Result<(), CoreError> {
        self.health = Some(Health::new(config, now)?);
        self.model
            .set_extra_entries(return_entries(self.model.topology()));
        if self.by_dpid.is_empty() {
            // Nothing installed yet: part of the initial tables, no new generation.
            self.model.recompile(self.generation)
        } else {
            self.model_changed(now);
            Ok(())
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

    /// When the health monitor next needs the clock.
    pub(super) fn health_deadline(&self) -> Option<Instant> {
        let d = self.health.as_ref()?.deadline()?;
        self.all_junctions_ready().then_some(d)
    }

    /// Starts the monitor when every junction is ready (after an update was confirmed).
    pub(super) fn maybe_start_health(&mut self, now: Instant) {
        // A follow-up update pending may be the one installing the probe-return entries of
        // the last junction to connect: wait for it.
        if self.health.as_ref().is_none_or(|h| h.monitor.is_some())
            || self.sync.again.is_some()
            || !self.all_junctions_ready()
        {
            return;
        }
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let topo = self.model.topology();
        match Monitor::for_topology(topo, h.config, ProbeConfig::default()) {
            Ok(m) => {
                info!(vms = topo.all_vms().count(), "VM health probing started");
                h.epoch = now;
                h.monitor = Some(m);
            }
            Err(e) => {
                warn!(error = %e, "VM health probing not possible in this topology");
                self.health = None;
            }
        }
    }

    /// After a reload: probe-return entries and probe targets of the new topology (the
    /// monitor keeps each VM's state by name).
    pub(super) fn health_reloaded(&mut self) -> Result<(), CoreError> {
        let Some(h) = self.health.as_mut() else {
            return Ok(());
        };
        let topo = self.model.topology();
        if let Some(m) = h.monitor.as_mut() {
            m.set_targets(probe::targets(topo))
                .map_err(|e| CoreError::Config(format!("health probes: {e}")))?;
        }
        let entries = return_entries(topo);
        self.model.set_extra_entries(entries);
        self.model.recompile(self.generation)
    }

    /// Timer work of the monitor: sends the due probes, acts on the verdicts.
    pub(super) fn health_timeout(&mut self, now: Instant) {
        if !self.all_junctions_ready() {
            return;
        }
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

    /// A PACKET_IN with a health cookie; false when the cookie is not a health one.
    pub(super) fn health_packet_in(&mut self, now: Instant, dpid: u64, pi: &PacketIn) -> bool {
        let Some((purpose, _)) = cookie::parse(pi.cookie) else {
            return false;
        };
        let Some(h) = self.health.as_mut() else {
            return true;
        };
        let ns = h.nanos(now);
        let (Purpose::ProbeReturn, Some(m)) = (purpose, h.monitor.as_mut()) else {
            debug!(?purpose, "health PACKET_IN not handled");
            return true;
        };
        match m.on_packet_in(dpid, pi, ns) {
            Ok(Some(t)) => self.on_transitions(now, &[t]),
            Ok(None) => {}
            Err(e) => debug!(error = %e, "probe reply not accepted"),
        }
        true
    }

    /// A port's state for the monitor (link down: the VMs behind it are Down at once).
    pub(super) fn health_port_status(&mut self, now: Instant, dpid: u64, port: u32, up: bool) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let Some(m) = h.monitor.as_mut() else {
            return;
        };
        let ts = m.on_port_status(dpid, port, up, ns);
        self.on_transitions(now, &ts);
    }

    /// Live-set changes go through the same update as the REST liveness hook.
    fn on_transitions(&mut self, now: Instant, transitions: &[Transition]) {
        let mut changed = false;
        for t in transitions {
            let Some(name) = self.model.topology().vm(t.vm).map(|v| v.name.clone()) else {
                continue;
            };
            match t.event() {
                Some(HealthEvent::VmDown { cause, .. }) => {
                    warn!(vm = %name, ?cause, "VM down: moving its customers");
                    changed |= self.model.set_probe_live(&name, false);
                    if let Some(h) = self.health.as_mut() {
                        h.failovers += 1;
                    }
                }
                Some(HealthEvent::VmUp { .. }) => {
                    info!(vm = %name, "VM up again");
                    changed |= self.model.set_probe_live(&name, true);
                    if let Some(h) = self.health.as_mut() {
                        h.recoveries += 1;
                    }
                }
                None => debug!(vm = %name, from = %t.from, to = %t.to, "VM health"),
            }
        }
        if changed {
            self.model_changed(now);
        }
    }

    /// Fills the probe state of VM views (state, RTT, loss).
    pub(super) fn health_fill(&self, views: &mut [super::views::VmView]) {
        let Some(m) = self.health.as_ref().and_then(|h| h.monitor.as_ref()) else {
            return;
        };
        for v in views.iter_mut() {
            let Some(vm) = self.model.topology().vm_by_name(&v.name) else {
                continue;
            };
            if let Some(health) = m.health(vm.id) {
                v.state = Some(health.state.name().to_string());
                v.rtt_ms = health.rtt.ewma.map(|ns| ns as f64 / 1e6);
                v.loss = Some(health.loss_ratio());
            }
        }
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
    }
}
