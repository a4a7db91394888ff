//! Load-aware rebalancing in the core (issue 7 item 3; paper §6.2 problem 2: "MD5 of the
//! source address spreads flows, not bytes").
//!
//! Every `[health.balance] interval` the core reads J0's flow statistics (the same poll as the
//! traffic counters of [`super::stats`]). Each customer address's upstream and downstream J0
//! entries are summed under its (customer, prefix) key and turned into byte and packet rates
//! (`flowfall_health::balance::RateMeter`); a VM's load is the sum of the rates of the
//! addresses it carries. With `enabled = true` the planner (`Balancer`: start above
//! `start_threshold` × the best achievable maximum, stop at `stop_threshold`, at most
//! `max_moves` per round, each moved address dwelling `dwell` seconds) moves the heaviest
//! addresses off the most loaded VMs: a move is a `balance` pin ([`super::pins`]) above the
//! hash choice, and the incremental update moves only those addresses, in waypoint-safe
//! order.
//!
//! **A move breaks the moved customer's sessions on a stateful VNF** (the new VM has never
//! seen them: a firewall drops their next packets as out-of-state). Hence the hysteresis, the
//! per-round limit, the dwell time, and `enabled = false` by default: loads are measured and
//! shown (`GET /api/vms`, `GET /api/balance`) either way.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use flowfall_compile::cookie::OwnerId;
use flowfall_health::assign::{AddressKey, Assignment};
use flowfall_health::balance::{
    BalanceConfig, BalancePlan, Balancer, LayerBalance, Rate, RateMeter, apply_moves, layer_inputs,
};
use flowfall_health::liveness::Nanos;
use flowfall_topology::{Topology, VmId};
use serde::Serialize;
use tracing::{info, warn};

use super::health::ns;
use super::views::VmView;
use super::{Controller, CoreError};

/// `[health.balance]` settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceSettings {
    /// Whether the planner moves customers (default false: loads are only measured).
    pub enabled: bool,
    /// Time between two reads of J0's counters (default 10 s; zero: no load measurement).
    pub interval: Duration,
    /// `max/floor` above which a layer starts rebalancing (default 1.25).
    pub start_threshold: f64,
    /// `max/floor` at or below which it stops (default 1.10).
    pub stop_threshold: f64,
    /// Most moves per round, all layers together (default 8).
    pub max_moves: usize,
    /// Time a moved address stays put (default 300 s).
    pub dwell: Duration,
}

impl Default for BalanceSettings {
    fn default() -> Self {
        let d = BalanceConfig::default();
        BalanceSettings {
            enabled: false,
            interval: Duration::from_secs(10),
            start_threshold: d.start_threshold,
            stop_threshold: d.stop_threshold,
            max_moves: d.max_moves,
            dwell: Duration::from_nanos(d.min_dwell),
        }
    }
}

impl BalanceSettings {
    /// The planner's configuration.
    pub fn config(&self) -> BalanceConfig {
        BalanceConfig {
            start_threshold: self.start_threshold,
            stop_threshold: self.stop_threshold,
            max_moves: self.max_moves,
            min_dwell: ns(self.dwell),
            ..BalanceConfig::default()
        }
    }
}

/// One VM's load in a balance view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VmLoadView {
    /// VM name.
    pub vm: String,
    /// Bytes per second of the addresses it carries (both directions).
    pub load: f64,
    /// Its addresses.
    pub addresses: usize,
}

/// One layer's balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerBalanceView {
    /// Layer name.
    pub layer: String,
    /// Per live VM.
    pub vms: Vec<VmLoadView>,
    /// Sum of the loads, bytes per second.
    pub total: f64,
    /// Most loaded VM over the mean (1 = even).
    pub max_over_mean: f64,
    /// Most loaded VM over the best any placement of whole addresses can do.
    pub max_over_floor: f64,
}

/// One move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveView {
    /// Customer name.
    pub customer: String,
    /// The prefix moved.
    pub prefix: String,
    /// Layer name.
    pub layer: String,
    /// From this VM.
    pub from: String,
    /// To this VM.
    pub to: String,
    /// The prefix's load, bytes per second.
    pub load: f64,
}

/// The balancer's state (GET /api/balance).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceView {
    /// Whether moves are made (`[health.balance] enabled`).
    pub enabled: bool,
    /// Seconds since the last round; `None` before the first.
    pub last_round_s_ago: Option<f64>,
    /// Every layer's balance at the last round, before its moves.
    pub before: Vec<LayerBalanceView>,
    /// The same once the moves are applied (same loads).
    pub after: Vec<LayerBalanceView>,
    /// The last round's moves. **Each breaks that customer's sessions on a stateful VNF.**
    pub moves: Vec<MoveView>,
    /// Rounds planned.
    pub rounds: u64,
    /// Moves made, all rounds.
    pub moves_total: u64,
    /// Rounds that hit `max_moves`.
    pub rate_limited: u64,
}

/// The balancing state of the core.
#[derive(Debug)]
pub(super) struct Balancing {
    settings: BalanceSettings,
    balancer: Balancer,
    meter: RateMeter<AddressKey>,
    /// Next counter read, on the health clock (`None` before probing starts or when off).
    next_poll: Option<Nanos>,
    /// Whether the next complete snapshot answers our own read (and so gets a planning
    /// round); snapshots the portal asked for only update the loads.
    round_due: bool,
    /// The last round: when, and its plan.
    last: Option<(Nanos, BalancePlan)>,
    /// Per-VM load at the last measurement.
    vm_load: BTreeMap<VmId, Rate>,
    /// Whether loads were measured at least once.
    measured: bool,
}

impl Balancing {
    pub(super) fn new(settings: &BalanceSettings) -> Result<Balancing, CoreError> {
        Ok(Balancing {
            settings: *settings,
            balancer: Balancer::new(settings.config())
                .map_err(|e| CoreError::Config(format!("[health.balance]: {e}")))?,
            meter: RateMeter::new(),
            next_poll: None,
            round_due: false,
            last: None,
            vm_load: BTreeMap::new(),
            measured: false,
        })
    }

    /// Health started at `now`: the first read is one interval later.
    pub(super) fn started(&mut self, now: Nanos) {
        let interval = ns(self.settings.interval);
        self.next_poll = (interval > 0).then(|| now.saturating_add(interval));
    }

    /// Per-VM loads from per-address rates and the current assignment.
    fn measure(&mut self, assignment: &Assignment, rates: &BTreeMap<AddressKey, Rate>) {
        self.measured = true;
        self.vm_load.clear();
        for (address, _, vms) in assignment.iter() {
            let Some(r) = rates.get(address) else {
                continue;
            };
            for vm in vms.iter().flatten() {
                let slot = self.vm_load.entry(*vm).or_default();
                slot.bytes_per_s += r.bytes_per_s;
                slot.packets_per_s += r.packets_per_s;
            }
        }
    }
}

fn layer_views(topo: &Topology, layers: &[LayerBalance]) -> Vec<LayerBalanceView> {
    layers
        .iter()
        .map(|b| LayerBalanceView {
            layer: topo
                .layer(b.layer)
                .map(|l| l.name.clone())
                .unwrap_or_default(),
            vms: b
                .vms
                .iter()
                .map(|v| VmLoadView {
                    vm: topo.vm(v.vm).map(|x| x.name.clone()).unwrap_or_default(),
                    load: v.load,
                    addresses: v.addresses,
                })
                .collect(),
            total: b.total,
            max_over_mean: b.max_over_mean,
            max_over_floor: b.max_over_floor,
        })
        .collect()
}

impl Controller {
    /// When the next counter read is due.
    pub(super) fn balance_deadline(&self) -> Option<Instant> {
        let h = self.health.as_ref()?;
        h.balance.next_poll.and_then(|n| h.instant(n))
    }

    /// Reads J0's counters when due.
    pub(super) fn balance_timeout(&mut self, now: Instant) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let b = &mut h.balance;
        if b.next_poll.is_none_or(|t| t > ns) {
            return;
        }
        let interval = ns_interval(&b.settings);
        b.next_poll = Some(ns.saturating_add(interval));
        let sent = self.poll_traffic();
        if let Some(h) = self.health.as_mut() {
            h.balance.round_due = sent > 0;
        }
    }

    /// A complete J0 counter snapshot, `(owner, bytes, packets)` per address entry: rates,
    /// loads, and a planning round.
    pub(super) fn balance_observe(&mut self, now: Instant, samples: Vec<(OwnerId, u64, u64)>) {
        let keyed: Vec<(AddressKey, u64, u64)> = samples
            .into_iter()
            .filter_map(|(owner, bytes, packets)| {
                let (customer, prefix) = self.model.address_key(owner)?;
                Some((AddressKey::new(customer, prefix), bytes, packets))
            })
            .collect();
        // The services in effect (runtime changes included), as compiled.
        let topo = std::sync::Arc::clone(self.model.compiled_topology());
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let rates = h.balance.meter.observe(ns, keyed);
        if rates.is_empty() {
            return;
        }
        let failover = self.model.steering_mut().failover_mut();
        let live = failover.live().clone();
        // From the failover's chooser cache: no selector table is rebuilt per poll.
        let assignment = match failover.assignment(&topo) {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "load balance: no assignment");
                return;
            }
        };
        h.balance.measure(&assignment, &rates);
        if !std::mem::take(&mut h.balance.round_due) {
            return;
        }
        let loads: BTreeMap<AddressKey, f64> = rates
            .iter()
            .map(|(k, r)| (k.clone(), r.bytes_per_s))
            .collect();
        let inputs = layer_inputs(&topo, &live, &assignment, &loads);
        if !h.balance.settings.enabled {
            // Measured, not planned: the round shows the balance as it is.
            let before = Balancer::measure(&inputs);
            h.balance.last = Some((
                ns,
                BalancePlan {
                    after: before.clone(),
                    before,
                    ..BalancePlan::default()
                },
            ));
            return;
        }
        let plan = h.balance.balancer.plan(ns, &inputs);
        let moves = plan.moves.clone();
        h.balance.last = Some((ns, plan));
        if moves.is_empty() {
            return;
        }
        for m in &moves {
            info!(customer = %m.address.customer, prefix = %m.address.prefix, layer = m.layer,
                from = ?topo.vm(m.from).map(|v| &v.name), to = ?topo.vm(m.to).map(|v| &v.name),
                bytes_per_s = m.load, "load balance: moving a customer (its sessions on a stateful VNF break)");
        }
        let overrides = self.model.steering_mut().failover_mut().overrides_mut();
        match apply_moves(overrides, &topo, &live, &moves, ns) {
            Ok(_) => self.model_changed(now),
            Err(e) => warn!(error = %e, "load balance: moves not applied"),
        }
    }

    /// The balancer's state (GET /api/balance); `None` without health.
    pub fn balance_view(&self, now: Instant) -> Option<BalanceView> {
        let h = self.health.as_ref()?;
        let topo = self.model.topology();
        let b = &h.balance;
        let stats = b.balancer.stats();
        let (at, plan) = match &b.last {
            Some((at, plan)) => (Some(*at), Some(plan)),
            None => (None, None),
        };
        let name = |vm: VmId| topo.vm(vm).map(|v| v.name.clone()).unwrap_or_default();
        Some(BalanceView {
            enabled: b.settings.enabled,
            last_round_s_ago: at.map(|t| h.nanos(now).saturating_sub(t) as f64 / 1e9),
            before: plan.map_or_else(Vec::new, |p| layer_views(topo, &p.before)),
            after: plan.map_or_else(Vec::new, |p| layer_views(topo, &p.after)),
            moves: plan.map_or_else(Vec::new, |p| {
                p.moves
                    .iter()
                    .map(|m| MoveView {
                        customer: m.address.customer.clone(),
                        prefix: m.address.prefix.to_string(),
                        layer: topo
                            .layer(m.layer)
                            .map(|l| l.name.clone())
                            .unwrap_or_default(),
                        from: name(m.from),
                        to: name(m.to),
                        load: m.load,
                    })
                    .collect()
            }),
            rounds: stats.rounds,
            moves_total: stats.moves,
            rate_limited: stats.rate_limited,
        })
    }

    /// Fills the measured load of VM views.
    pub(super) fn balance_fill(&self, views: &mut [VmView]) {
        let Some(h) = self.health.as_ref() else {
            return;
        };
        if !h.balance.measured {
            return;
        }
        for v in views.iter_mut() {
            let Some(vm) = self.model.topology().vm_by_name(&v.name) else {
                continue;
            };
            let r = h.balance.vm_load.get(&vm.id).copied().unwrap_or_default();
            v.load_bytes_per_s = Some(r.bytes_per_s);
            v.load_packets_per_s = Some(r.packets_per_s);
        }
    }

    /// Balance metrics.
    pub(super) fn balance_metrics(&self, o: &mut String, views: &[VmView]) {
        let Some(h) = self.health.as_ref() else {
            return;
        };
        let s = h.balance.balancer.stats();
        let _ = writeln!(
            o,
            "# HELP flowfall_rebalance_moves_total Customer prefixes moved by the load balancer (each breaks its sessions on a stateful VNF).\n# TYPE flowfall_rebalance_moves_total counter\nflowfall_rebalance_moves_total {}\n# HELP flowfall_rebalance_rounds_total Load balancing rounds planned.\n# TYPE flowfall_rebalance_rounds_total counter\nflowfall_rebalance_rounds_total {}",
            s.moves, s.rounds
        );
        let esc = crate::metrics::escape_label;
        let _ = writeln!(
            o,
            "# HELP flowfall_vm_load_bytes_per_second Traffic through a VM (its customers' J0 counters, both directions).\n# TYPE flowfall_vm_load_bytes_per_second gauge"
        );
        for v in views {
            if let Some(b) = v.load_bytes_per_s {
                let _ = writeln!(
                    o,
                    "flowfall_vm_load_bytes_per_second{{vm=\"{}\"}} {b}",
                    esc(&v.name)
                );
            }
        }
        if let Some((_, plan)) = &h.balance.last {
            let _ = writeln!(
                o,
                "# HELP flowfall_layer_max_over_mean Most loaded VM of a layer over the mean (1 = even).\n# TYPE flowfall_layer_max_over_mean gauge"
            );
            for b in &plan.before {
                let name = self
                    .model
                    .topology()
                    .layer(b.layer)
                    .map_or("", |l| l.name.as_str());
                let _ = writeln!(
                    o,
                    "flowfall_layer_max_over_mean{{layer=\"{}\"}} {}",
                    esc(name),
                    b.max_over_mean
                );
            }
        }
    }
}

fn ns_interval(s: &BalanceSettings) -> Nanos {
    ns(s.interval).max(1)
}
