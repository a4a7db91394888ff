//! Load-aware rebalancing (paper §6.2 problem 2, "MD5 of the source address spreads flows,
//! not bytes"; issue 7 item 3).
//!
//! Input: each customer address's rate ([`RateMeter`] over `FLOW_STATS` counters) and the VM
//! it currently goes through at each layer ([`Assignment`]). Per layer, a VM's load is the
//! sum of its addresses' rates, compared with its share by weight.
//!
//! # Metrics
//!
//! With `L_v` the load of VM `v`, `w_v` its weight and `W` the layer's total weight, the
//! normalised load is `u_v = L_v / w_v` and the mean `μ = ΣL / W`.
//! - `max_over_mean = max u_v / μ` (1 = perfectly even): what operators read.
//! - An address cannot be split, so no placement beats the **floor**
//!   `max(μ, c_max / w_max)` (the heaviest address alone on the largest VM).
//!   `max_over_floor = max u_v / floor` is what the planner steers: under Zipf-like volumes a
//!   single customer may outweigh a VM's fair share, and no move can change that.
//!
//! # Planner
//!
//! A layer starts rebalancing when `max_over_floor` exceeds
//! [`BalanceConfig::start_threshold`] and stops once it is at most
//! [`BalanceConfig::stop_threshold`] (hysteresis: between the two, an idle layer stays idle
//! and an active one keeps going). Each step takes the most loaded VM `s` and the least loaded
//! `d` and moves one address `c` from `s` to `d`, choosing, among the addresses of `s` that
//! improve the balance — `c·(1/w_s + 1/w_d)/2 < u_s − u_d`, which strictly lowers
//! `Σ L_v²/w_v` (so loads that hold still never oscillate), and `(L_d + c)/w_d < u_s` (so the
//! maximum never rises) — the one leaving the pair's higher normalised load lowest (the
//! heaviest that does not overshoot). Rate limits: at most
//! [`BalanceConfig::max_moves`] moves per planning round, across layers, most unbalanced
//! layer first; an address moved at a layer is not moved there again for
//! [`BalanceConfig::min_dwell`]; an address lighter than [`BalanceConfig::min_move_share`] of
//! its layer's load is never moved.
//!
//! A move becomes an [`OverrideReason::Balance`] override ([`apply_moves`]), a customer-level
//! choice above the hash choice; a move back to the hash choice just removes the override.
//!
//! **A move breaks the moved customer's sessions on a stateful VNF**: the new VM has never
//! seen them (a firewall drops their next packets as out-of-state; NAT-less designs like
//! FlowFall's at least keep addresses, so clients reconnect at once). That is why moves are
//! rate-limited, why each customer dwells, and why only the heaviest few are moved.

mod rate;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use flowfall_topology::{Topology, VmId};

use crate::assign::{
    AddressKey, Assignment, LayerChooser, LiveSet, Override, OverrideReason, Overrides,
};
use crate::error::Error;
use crate::liveness::{Nanos, SECOND};

pub use rate::{Rate, RateMeter};

/// Thresholds and rate limits of the planner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceConfig {
    /// `max_over_floor` above which an idle layer starts rebalancing (default 1.25).
    pub start_threshold: f64,
    /// `max_over_floor` at or below which an active layer stops (default 1.10).
    pub stop_threshold: f64,
    /// Most moves per planning round, all layers together (default 8).
    pub max_moves: usize,
    /// Time an address stays put at a layer after being moved there (default 300 s).
    pub min_dwell: Nanos,
    /// Addresses carrying less than this share of their layer's load are never moved
    /// (default 0: any address may move if it is the best fit; raise it to leave small
    /// customers' sessions alone at the price of a coarser balance).
    pub min_move_share: f64,
}

impl Default for BalanceConfig {
    fn default() -> Self {
        BalanceConfig {
            start_threshold: 1.25,
            stop_threshold: 1.10,
            max_moves: 8,
            min_dwell: 300 * SECOND,
            min_move_share: 0.0,
        }
    }
}

impl BalanceConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::Config`] unless `1 <= stop_threshold <= start_threshold` (finite),
    /// `1 <= max_moves <= 10000` and `0 <= min_move_share < 1`.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.stop_threshold.is_finite() && self.stop_threshold >= 1.0) {
            return Err(Error::config(
                "balance.stop_threshold",
                "a finite number >= 1",
                self.stop_threshold,
            ));
        }
        if !(self.start_threshold.is_finite() && self.start_threshold >= self.stop_threshold) {
            return Err(Error::config(
                "balance.start_threshold",
                format!(
                    "a finite number >= stop_threshold ({})",
                    self.stop_threshold
                ),
                self.start_threshold,
            ));
        }
        if !(1..=10_000).contains(&self.max_moves) {
            return Err(Error::config(
                "balance.max_moves",
                "1..=10000",
                self.max_moves,
            ));
        }
        if !(0.0..1.0).contains(&self.min_move_share) {
            return Err(Error::config(
                "balance.min_move_share",
                "0 <= share < 1",
                self.min_move_share,
            ));
        }
        Ok(())
    }
}

/// A live VM of a layer and its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmWeight {
    /// The VM.
    pub vm: VmId,
    /// Its selection weight (0 is treated as 1).
    pub weight: u32,
}

/// An address's load on the VM it goes through.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The address.
    pub address: AddressKey,
    /// Its VM at the layer.
    pub vm: VmId,
    /// Its load (bytes per second, or any consistent unit; negative counts as 0).
    pub load: f64,
}

/// One layer's input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerInput {
    /// Layer index.
    pub layer: usize,
    /// Its live VMs.
    pub vms: Vec<VmWeight>,
    /// Its addresses; placements on VMs not listed are ignored.
    pub placements: Vec<Placement>,
}

/// The planner input of every layer from the topology, the live VMs, the current assignment
/// and per-address loads (addresses without a load count 0).
pub fn layer_inputs(
    topology: &Topology,
    live: &LiveSet,
    assignment: &Assignment,
    loads: &BTreeMap<AddressKey, f64>,
) -> Vec<LayerInput> {
    let mut inputs: Vec<LayerInput> = topology
        .layers()
        .iter()
        .map(|l| LayerInput {
            layer: l.index,
            vms: l
                .vms
                .iter()
                .filter(|v| live.contains(v.id))
                .map(|v| VmWeight {
                    vm: v.id,
                    weight: v.weight,
                })
                .collect(),
            placements: Vec::new(),
        })
        .collect();
    for (address, _, vms) in assignment.iter() {
        let load = loads.get(address).copied().unwrap_or(0.0);
        for (input, vm) in inputs.iter_mut().zip(vms) {
            if let Some(vm) = vm {
                input.placements.push(Placement {
                    address: address.clone(),
                    vm: *vm,
                    load,
                });
            }
        }
    }
    inputs
}

/// One VM's load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VmLoad {
    /// The VM.
    pub vm: VmId,
    /// Its weight.
    pub weight: u32,
    /// Sum of its addresses' loads.
    pub load: f64,
    /// Number of its addresses.
    pub addresses: usize,
}

/// One layer's balance (see the [module docs](self) for the metrics).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerBalance {
    /// Layer index.
    pub layer: usize,
    /// Per live VM.
    pub vms: Vec<VmLoad>,
    /// Sum of the loads.
    pub total: f64,
    /// Highest normalised load over the mean (1 when idle).
    pub max_over_mean: f64,
    /// The floor no placement can beat, as a multiple of the mean (≥ 1).
    pub floor_over_mean: f64,
    /// Highest normalised load over the floor (1 when idle): what the planner steers.
    pub max_over_floor: f64,
}

/// One address moved at one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    /// The address.
    pub address: AddressKey,
    /// The layer.
    pub layer: usize,
    /// From this VM.
    pub from: VmId,
    /// To this VM.
    pub to: VmId,
    /// The address's load.
    pub load: f64,
}

/// One planning round's result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BalancePlan {
    /// The moves, in order.
    pub moves: Vec<Move>,
    /// Every layer's balance before.
    pub before: Vec<LayerBalance>,
    /// Every layer's balance once the moves are applied (with the same loads).
    pub after: Vec<LayerBalance>,
    /// Layers rebalancing after this round (hysteresis state).
    pub active: Vec<usize>,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BalanceStats {
    /// Planning rounds.
    pub rounds: u64,
    /// Moves planned.
    pub moves: u64,
    /// Rounds in which the move budget ran out.
    pub rate_limited: u64,
}

/// The working model of one layer.
struct Model {
    layer: usize,
    vms: Vec<VmWeight>,
    /// Per VM position: (load, its placements).
    loads: Vec<f64>,
    members: Vec<Vec<usize>>,
    /// (address, VM position, load).
    placements: Vec<(AddressKey, usize, f64)>,
}

fn weight(w: &VmWeight) -> f64 {
    f64::from(w.weight.max(1))
}

impl Model {
    fn new(input: &LayerInput) -> Model {
        let position: HashMap<VmId, usize> = input
            .vms
            .iter()
            .enumerate()
            .map(|(i, v)| (v.vm, i))
            .collect();
        let mut m = Model {
            layer: input.layer,
            vms: input.vms.clone(),
            loads: vec![0.0; input.vms.len()],
            members: vec![Vec::new(); input.vms.len()],
            placements: Vec::new(),
        };
        for p in &input.placements {
            let Some(&at) = position.get(&p.vm) else {
                continue;
            };
            let load = if p.load.is_finite() {
                p.load.max(0.0)
            } else {
                0.0
            };
            if let (Some(l), Some(members)) = (m.loads.get_mut(at), m.members.get_mut(at)) {
                *l += load;
                members.push(m.placements.len());
                m.placements.push((p.address.clone(), at, load));
            }
        }
        m
    }

    fn normalised(&self, i: usize) -> f64 {
        match (self.loads.get(i), self.vms.get(i)) {
            (Some(l), Some(w)) => l / weight(w),
            _ => 0.0,
        }
    }

    fn total(&self) -> f64 {
        self.loads.iter().sum()
    }

    fn balance(&self) -> LayerBalance {
        let total = self.total();
        let total_weight: f64 = self.vms.iter().map(weight).sum();
        let max_weight = self.vms.iter().map(weight).fold(1.0, f64::max);
        let heaviest = self.placements.iter().map(|p| p.2).fold(0.0, f64::max);
        let max_u = (0..self.vms.len())
            .map(|i| self.normalised(i))
            .fold(0.0, f64::max);
        let (mut over_mean, mut floor_over_mean, mut over_floor) = (1.0, 1.0, 1.0);
        if total > 0.0 && total_weight > 0.0 {
            let mean = total / total_weight;
            let floor = mean.max(heaviest / max_weight);
            over_mean = max_u / mean;
            floor_over_mean = floor / mean;
            over_floor = max_u / floor;
        }
        LayerBalance {
            layer: self.layer,
            vms: self
                .vms
                .iter()
                .enumerate()
                .map(|(i, v)| VmLoad {
                    vm: v.vm,
                    weight: v.weight,
                    load: self.loads.get(i).copied().unwrap_or(0.0),
                    addresses: self.members.get(i).map_or(0, Vec::len),
                })
                .collect(),
            total,
            max_over_mean: over_mean,
            floor_over_mean,
            max_over_floor: over_floor,
        }
    }

    /// The best improving move from the most to the least loaded VM, among placements
    /// `eligible` allows.
    fn best_move(
        &self,
        min_load: f64,
        eligible: impl Fn(&AddressKey) -> bool,
    ) -> Option<(usize, usize)> {
        let n = self.vms.len();
        let by_u = |a: &usize, b: &usize| self.normalised(*a).total_cmp(&self.normalised(*b));
        let src = (0..n).max_by(|a, b| by_u(a, b).then(b.cmp(a)))?;
        let dst = (0..n).min_by(by_u)?;
        let (ws, wd) = (weight(self.vms.get(src)?), weight(self.vms.get(dst)?));
        let (ls, ld) = (*self.loads.get(src)?, *self.loads.get(dst)?);
        let gap = ls / ws - ld / wd;
        let mut best: Option<(f64, f64, usize)> = None;
        for &p in self.members.get(src)? {
            let Some((address, _, c)) = self.placements.get(p) else {
                continue;
            };
            let c = *c;
            let lowers_potential = c * (1.0 / ws + 1.0 / wd) / 2.0 < gap;
            let stays_below = (ld + c) / wd < ls / ws;
            if c <= 0.0 || c < min_load || !lowers_potential || !stays_below || !eligible(address) {
                continue;
            }
            let peak = ((ls - c) / ws).max((ld + c) / wd);
            if best.is_none_or(|(bp, bc, _)| peak < bp || (peak == bp && c > bc)) {
                best = Some((peak, c, p));
            }
        }
        best.map(|(_, _, p)| (p, dst))
    }

    fn apply(&mut self, p: usize, dst: usize) -> Option<Move> {
        let (address, src, c) = self.placements.get(p).cloned()?;
        self.members.get_mut(src)?.retain(|&q| q != p);
        self.members.get_mut(dst)?.push(p);
        *self.loads.get_mut(src)? -= c;
        *self.loads.get_mut(dst)? += c;
        if let Some(slot) = self.placements.get_mut(p) {
            slot.1 = dst;
        }
        Some(Move {
            address,
            layer: self.layer,
            from: self.vms.get(src)?.vm,
            to: self.vms.get(dst)?.vm,
            load: c,
        })
    }
}

/// The rebalancing planner (see the [module docs](self)); keeps the hysteresis state and
/// the dwell times between rounds.
#[derive(Debug, Clone)]
pub struct Balancer {
    config: BalanceConfig,
    active: BTreeSet<usize>,
    moved_at: HashMap<(AddressKey, usize), Nanos>,
    stats: BalanceStats,
}

impl Balancer {
    /// A planner with no layer active.
    ///
    /// # Errors
    /// [`Error::Config`] when `config` is out of range.
    pub fn new(config: BalanceConfig) -> Result<Balancer, Error> {
        config.validate()?;
        Ok(Balancer {
            config,
            active: BTreeSet::new(),
            moved_at: HashMap::new(),
            stats: BalanceStats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BalanceConfig {
        &self.config
    }

    /// Counters.
    pub fn stats(&self) -> BalanceStats {
        self.stats
    }

    /// The layers currently rebalancing.
    pub fn active(&self) -> impl Iterator<Item = usize> + '_ {
        self.active.iter().copied()
    }

    /// The balance of each layer, without planning.
    pub fn measure(inputs: &[LayerInput]) -> Vec<LayerBalance> {
        inputs.iter().map(|i| Model::new(i).balance()).collect()
    }

    /// Plans one round at `now`.
    pub fn plan(&mut self, now: Nanos, inputs: &[LayerInput]) -> BalancePlan {
        let config = self.config;
        self.moved_at
            .retain(|_, &mut t| now < t.saturating_add(config.min_dwell));
        let mut models: Vec<Model> = inputs.iter().map(Model::new).collect();
        let before: Vec<LayerBalance> = models.iter().map(Model::balance).collect();
        for b in &before {
            if b.max_over_floor > config.start_threshold {
                self.active.insert(b.layer);
            } else if b.max_over_floor <= config.stop_threshold {
                self.active.remove(&b.layer);
            }
        }
        self.active.retain(|l| inputs.iter().any(|i| i.layer == *l));
        let mut stuck = vec![false; models.len()];
        let mut moves = Vec::new();
        while moves.len() < config.max_moves {
            // The active, unfinished layer with the worst balance.
            let pick = models
                .iter()
                .enumerate()
                .filter(|(i, m)| {
                    self.active.contains(&m.layer) && !stuck.get(*i).copied().unwrap_or(true)
                })
                .map(|(i, m)| (i, m.balance().max_over_floor))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let Some((i, ratio)) = pick else { break };
            let Some(model) = models.get_mut(i) else {
                break;
            };
            if ratio <= config.stop_threshold {
                self.active.remove(&model.layer);
                continue;
            }
            let min_load = config.min_move_share * model.total();
            let layer = model.layer;
            let moved_at = &self.moved_at;
            let step = model
                .best_move(min_load, |a| !moved_at.contains_key(&(a.clone(), layer)))
                .and_then(|(p, dst)| model.apply(p, dst));
            match step {
                Some(m) => {
                    self.moved_at.insert((m.address.clone(), m.layer), now);
                    moves.push(m);
                }
                None => {
                    if let Some(s) = stuck.get_mut(i) {
                        *s = true;
                    }
                }
            }
        }
        let after: Vec<LayerBalance> = models.iter().map(Model::balance).collect();
        for b in &after {
            if b.max_over_floor <= config.stop_threshold {
                self.active.remove(&b.layer);
            }
        }
        self.stats.rounds += 1;
        self.stats.moves += moves.len() as u64;
        if moves.len() == config.max_moves {
            self.stats.rate_limited += 1;
        }
        BalancePlan {
            moves,
            before,
            after,
            active: self.active.iter().copied().collect(),
        }
    }
}

/// Records `moves` in `overrides`: an [`OverrideReason::Balance`] override on the target VM,
/// or none when the target is the address's hash choice over `live`. Returns how many
/// overrides were set.
///
/// # Errors
/// As [`LayerChooser::new`].
pub fn apply_moves(
    overrides: &mut Overrides,
    topology: &Topology,
    live: &LiveSet,
    moves: &[Move],
    now: Nanos,
) -> Result<usize, Error> {
    let mut choosers: BTreeMap<usize, LayerChooser> = BTreeMap::new();
    let mut set = 0;
    for m in moves {
        let chooser = match choosers.entry(m.layer) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(LayerChooser::new(topology, live, m.layer)?)
            }
        };
        if chooser.hash_choice(m.address.prefix) == Some(m.to) {
            overrides.remove(&m.address, m.layer);
        } else {
            overrides.insert(
                m.address.clone(),
                Override {
                    vm: m.to,
                    reason: OverrideReason::Balance,
                    since: now,
                },
            );
            set += 1;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests;
