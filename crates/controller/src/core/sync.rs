//! Bringing every connected switch to the compiled tables.
//!
//! A run takes the difference between what each ready switch holds (`installed`, the
//! controller's belief, confirmed by barriers) and its desired table, ordered by
//! `flowfall_compile::Diff` into waypoint-safe phases (interior adds, edge adds, modifies,
//! deletes: architecture §5). Every phase is sent to every switch it touches, followed by a
//! barrier; the next phase starts when all barriers are answered. The belief changes only when
//! a barrier confirms a batch, minus the entries the switch refused with an ERROR. Entries with
//! foreign cookies are never deleted.
//!
//! # Which runs overlap
//!
//! A run has a [`Scope`]: whole tables of every ready switch ([`Scope::All`]: recompiles,
//! reloads), a few addresses' entries on every ready switch ([`Scope::Owners`]: reactive
//! activations and withdrawals), or whole tables of a few switches ([`Scope::Switches`]: the
//! reconcile of a switch that (re)connected, once its table has been read). Up to
//! [`MAX_RUNS`] runs are in flight at once:
//!
//! - a run over [`Scope::All`] never overlaps anything;
//! - runs over [`Scope::Owners`] overlap each other when no address is in two of them: their
//!   entries are disjoint, so each run's phases keep their order and a new address's path
//!   need not wait for the previous batch's barriers;
//! - runs over [`Scope::Switches`] overlap each other when no switch is in two of them, and
//!   a reconcile starts only when every run in flight is such a reconcile and no other change
//!   is waiting. A reconcile never overlaps an owner-scoped or whole-chain run, either way.
//!
//! Changes that cannot start at once (an overlap, or too many runs) wait, merged into one
//! waiting change, and start when a run ends; changes of different kinds merge into
//! [`Scope::All`], as before reconciles were scoped.
//!
//! Why overlapping reconciles keep every packet on its service path. The phase order across
//! switches is what a run over several switches relies on: a switch's new entry may lead to
//! an entry on another switch, which must be there first. A reconcile is different in kind:
//! the switch joins holding a table the controller did not choose (what it kept while the
//! channel was down, or nothing), and until its reconcile is confirmed its stale or missing
//! entries meet packets whatever the controller does; in a serial order they did so for as
//! long as every earlier reconcile took. What overlapping must not add is a mix of *targets*:
//!
//! - *One target.* A reconcile starts only while every other run in flight is a reconcile and
//!   no change is waiting or deferred. Every change of the desired tables asks for a run
//!   (model changes, activations and withdrawals, reloads; a reconnecting switch whose table
//!   teaches the model reactive addresses asks for a [`Scope::All`] run, not a reconcile) and
//!   every such run is exclusive with reconciles. So all the runs in flight bring their
//!   switches to the same desired tables, and every other ready switch holds those tables
//!   already (as far as barriers confirmed). At any moment each entry of a reconciling switch
//!   holds its connect-time value or its desired value, and each entry elsewhere its desired
//!   value: per entry, the values a serial order of the same reconciles passes through, never
//!   a third generation, and never a chain-wide or owner-scoped change applied on one switch
//!   ahead of its phases on the others (that run waits for the reconciles; a reconcile waits
//!   for it).
//! - *Layers.* Whether a packet crosses layer *k* is decided by the FlowFall entry it meets at
//!   the junction below the layer (`flowfall_compile::rules`: J*k* only forwards into layer
//!   *k* + 1 or past it), so a packet meeting only desired or connect-time values crosses the
//!   layers those values send it through, as in a serial order. Within each reconcile the
//!   diff's phases keep their order on its switch: adds before the redirects that lead to
//!   them, redirects before deletes.
//! - *Missing entries.* What overlapping changes is which switches are still converging at
//!   the same time: a desired entry of one reconciling switch may lead to an entry another
//!   reconciling switch does not hold yet. The packet then meets that switch's lower entries,
//!   the IP-miss to the controller (reactive mode, re-injected only where its entries expect
//!   it) or the table-miss drop, exactly as it does in a serial order while the later switch
//!   waits with its connect-time table (for longer there). A foreign entry below FlowFall's
//!   could catch it in either order: the phases cannot help a switch whose table is stale.
//! - *Disjoint switches.* Two runs in flight never have a switch in common, so no two
//!   batches race for one key and each belief changes only by its own run's confirmed
//!   batches. A run keeps its switches when one goes away ([`Controller::sync_switch_gone`]):
//!   should the switch be ready again before the run's later phases, they go to its new
//!   connection in the run's order, as they always did, and the switch's own reconcile
//!   waits for that run.
//! - *Confirmation.* The confirmed generation is the lowest of every run in flight and every
//!   waiting change, so generations are still confirmed in order: [`Output::Synced`] and the
//!   packets held for their flows wait for every reconcile started before, as they did.
//!
//! A recompile thus still waits for the reconciles in flight, and a reconcile for a recompile
//! or an activation in flight (each touches every ready switch and orders its phases across
//! them); reconciles of different switches no longer wait for one another. One consequence:
//! entries a switch refused stay pending until that switch reconnects or the next
//! chain-wide run, not retried whenever any switch reconnects.

//! # Activations of brand-new addresses
//!
//! A reactive activation of an address none of whose entries is installed or in flight
//! anywhere sends all of them in one phase ([`Diff::between_reactive`]): until every one is
//! confirmed, a packet of the address follows its final path as far as the entries go and is
//! punted to the controller where one is missing, which holds it like the first packet and
//! re-injects it at that switch (see `reactive.rs`). Everything else keeps the phases.
//!
//! A packet waiting for its flows (reactive mode) and [`Output::Synced`] follow the
//! *confirmed generation*: the newest model generation every change up to which is
//! confirmed on every ready switch.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::Instant;

use flowfall_compile::cookie::OwnerId;
use flowfall_compile::diff::{Op, Phase as DiffPhase};
use flowfall_compile::{Diff, FlowEntry};
use flowfall_ofp::FlowModParts;
use flowfall_ofp::flow_mod::flow_mod_flags;
use flowfall_ofp::message::Message;
use tracing::{debug, info, warn};

use super::channel::Phase;
use super::table::FlowSet;
use super::{ConnId, Controller, Output};
use crate::metrics::ErrorKind;

/// Most runs in flight at once (owner-scoped runs overlap each other, reconciles of
/// different switches overlap each other).
pub(crate) const MAX_RUNS: usize = 8;

/// The operations sent to one switch in the current phase.
#[derive(Debug)]
struct Batch {
    conn: ConnId,
    barrier: u32,
    ops: Vec<(u32, Op)>,
    failed: HashSet<u32>,
}

/// One phase: operations per datapath id.
type Step = BTreeMap<u64, Vec<Op>>;

#[derive(Debug)]
struct Run {
    /// Identifies the run while it is in flight.
    id: u64,
    /// Model generation when it started (for logs).
    generation: u64,
    /// The oldest model generation among the changes it carries.
    low: u64,
    /// What it compares (overlap checks).
    scope: Scope,
    since: Option<Instant>,
    /// Whether the run sends anything (empty runs are not timed).
    pushed: bool,
    steps: VecDeque<Step>,
    current: BTreeMap<u64, Batch>,
}

/// What may differ between the switches and their desired tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scope {
    /// Anything (recompiles, reloads, a switch whose table taught the model addresses):
    /// compare the whole tables of every ready switch.
    All,
    /// Only the address entries of these owners (reactive activations and withdrawals):
    /// compare just those, so a packet-in costs in proportion to its own flows.
    Owners(BTreeSet<OwnerId>),
    /// The whole tables of these datapaths, and nothing else (a switch's reconcile after its
    /// table was read): the desired tables did not change, only what the switch holds.
    Switches(BTreeSet<u64>),
}

impl Scope {
    /// The reconcile of datapath `dpid`.
    pub(super) fn switch(dpid: u64) -> Scope {
        Scope::Switches(BTreeSet::from([dpid]))
    }

    fn merge(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::Owners(mut a), Scope::Owners(b)) => {
                a.extend(b);
                Scope::Owners(a)
            }
            (Scope::Switches(mut a), Scope::Switches(b)) => {
                a.extend(b);
                Scope::Switches(a)
            }
            _ => Scope::All,
        }
    }

    /// Whether a run over this scope may send to `dpid`.
    fn touches(&self, dpid: u64) -> bool {
        match self {
            Scope::All | Scope::Owners(_) => true,
            Scope::Switches(s) => s.contains(&dpid),
        }
    }
}

/// Changes not pushed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pending {
    scope: Scope,
    /// The oldest model generation among them.
    low: u64,
    /// When the oldest of them happened.
    since: Instant,
}

impl Pending {
    fn merge(self, other: Pending) -> Pending {
        Pending {
            scope: self.scope.merge(other.scope),
            low: self.low.min(other.low),
            since: self.since.min(other.since),
        }
    }
}

/// Adds `p` to the changes in `slot`.
fn merge_into(slot: &mut Option<Pending>, p: Pending) {
    *slot = Some(match slot.take() {
        Some(have) => have.merge(p),
        None => p,
    });
}

/// Update state of the controller.
#[derive(Debug, Default)]
pub(super) struct Sync {
    /// Runs in flight, oldest first.
    runs: Vec<Run>,
    next_run: u64,
    /// Changes that could not start a run yet: they start when a run ends.
    again: Option<Pending>,
    /// Reactive activations and withdrawals of the events being handled: pushed together
    /// when the batch of events is done ([`Controller::push_deferred`]), one sync for all.
    deferred: Option<Pending>,
    /// The newest generation reported in [`Output::Synced`] (reports never go back).
    reported: u64,
}

impl Sync {
    /// If `xid` is a flow mod of a phase in flight on `conn`, marks it failed and returns its
    /// entry.
    pub(super) fn flow_mod_failed(&mut self, conn: ConnId, xid: u32) -> Option<FlowEntry> {
        self.runs.iter_mut().find_map(|run| {
            let batch = run.current.values_mut().find(|b| b.conn == conn)?;
            let (_, op) = batch.ops.iter().find(|(x, _)| *x == xid)?;
            batch.failed.insert(xid);
            Some(op.entry().clone())
        })
    }

    /// The newest generation every change up to which is confirmed (`current` when nothing
    /// is in flight or waiting); `None` while a change of generation 0 is unconfirmed.
    pub(super) fn confirmed(&self, current: u64) -> Option<u64> {
        let low = self
            .runs
            .iter()
            .map(|r| r.low)
            .chain(self.again.iter().map(|p| p.low))
            .chain(self.deferred.iter().map(|p| p.low))
            .min();
        match low {
            None => Some(current),
            Some(l) => l.checked_sub(1),
        }
    }

    /// Whether a run over `scope` may start now (see the module docs, "Which runs overlap").
    fn may_start(&self, scope: &Scope) -> bool {
        let room = self.runs.len() < MAX_RUNS;
        match scope {
            Scope::All => self.runs.is_empty(),
            Scope::Owners(_) => {
                room && self
                    .runs
                    .iter()
                    .all(|r| matches!(r.scope, Scope::Owners(_)))
            }
            // Nothing else waiting (the caller took the only waiting change) or deferred:
            // every run in flight and this one share one target.
            Scope::Switches(_) => {
                room && self.deferred.is_none()
                    && self
                        .runs
                        .iter()
                        .all(|r| matches!(r.scope, Scope::Switches(_)))
            }
        }
    }

    /// Splits changes into those that may start now (no run in flight has their owners or
    /// switches) and those that must wait.
    fn split_free(&self, p: Pending) -> (Option<Pending>, Option<Pending>) {
        let Pending { scope, low, since } = p;
        match scope {
            Scope::All => (Some(Pending { scope, low, since }), None),
            Scope::Owners(owners) => {
                let busy = |o: &OwnerId| {
                    self.runs
                        .iter()
                        .any(|r| matches!(&r.scope, Scope::Owners(s) if s.contains(o)))
                };
                partition(owners, busy, Scope::Owners, low, since)
            }
            Scope::Switches(dpids) => {
                let busy = |d: &u64| self.runs.iter().any(|r| r.scope.touches(*d));
                partition(dpids, busy, Scope::Switches, low, since)
            }
        }
    }

    /// Whether a change waits to start or a switch's reconcile is in flight (health probing
    /// starts after both: they may be installing the last junction's probe-return entries).
    pub(super) fn settling(&self) -> bool {
        self.again.is_some()
            || self
                .runs
                .iter()
                .any(|r| matches!(r.scope, Scope::Switches(_)))
    }
}

/// `set` split into the members no run in flight has and those `busy` says one has, each
/// part a change over `scope` of it (`None` when empty): `(free, wait)`.
fn partition<T: Ord>(
    set: BTreeSet<T>,
    busy: impl Fn(&T) -> bool,
    scope: fn(BTreeSet<T>) -> Scope,
    low: u64,
    since: Instant,
) -> (Option<Pending>, Option<Pending>) {
    let (wait, free): (BTreeSet<T>, BTreeSet<T>) = set.into_iter().partition(busy);
    let part = |s: BTreeSet<T>| {
        (!s.is_empty()).then(|| Pending {
            scope: scope(s),
            low,
            since,
        })
    };
    (part(free), part(wait))
}

/// Bytes to set aside per FLOW_MOD of a phase (a typical entry encodes to 100-200).
const ENCODED_FLOW_MOD_HINT: usize = 160;

/// The flow mod of an operation, borrowing the entry's match and instructions. Entries
/// with an idle timeout (reactive mode) ask for FLOW_REMOVED so the controller learns when
/// they expire.
pub(crate) fn flow_mod(op: &Op) -> FlowModParts<'_> {
    let mut fm = op.flow_mod_parts();
    if matches!(op, Op::Add(_) | Op::Replace(_)) && op.entry().idle_timeout != 0 {
        fm.flags |= flow_mod_flags::SEND_FLOW_REM;
    }
    fm
}

/// Applies a confirmed operation to the belief of what a switch holds.
fn apply(set: &mut FlowSet, op: Op) {
    match op {
        Op::Add(e) | Op::Replace(e) => set.insert(e),
        Op::Modify(e) => set.modify(&e),
        Op::Delete(e) => {
            set.remove(&e);
        }
    }
}

impl Controller {
    /// The desired tables changed: bump the generation, recompile, push the difference.
    pub(super) fn model_changed(&mut self, now: Instant) {
        self.generation += 1;
        // Inputs-only changes (liveness, pins, bypass links) touch the affected owners only.
        match self.model.update_inputs(self.generation) {
            Ok(Some(owners)) => {
                if !owners.is_empty() {
                    // Owner-scoped pushes log at debug (reactive activations); a liveness,
                    // pin or bypass change is an operator event.
                    info!(
                        generation = self.generation,
                        addresses = owners.len(),
                        "pushing update (incremental)"
                    );
                    self.request_sync(now, Scope::Owners(owners));
                }
                return;
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "incremental update refused; recompiling"),
        }
        if let Err(e) = self.model.recompile(self.generation) {
            self.metrics.error(ErrorKind::Compile);
            tracing::error!(error = %e, "cannot compile the flow tables; switches keep their flows");
            return;
        }
        self.request_sync(now, Scope::All);
    }

    /// The address entries of `owner` changed in the desired tables without a recompile
    /// (reactive activation or withdrawal): bump the generation; the entries are pushed with
    /// those of every other owner changed by the same batch of events
    /// ([`Controller::push_deferred`]).
    pub(super) fn desired_changed(&mut self, now: Instant, owner: OwnerId) {
        self.generation += 1;
        let change = Pending {
            scope: Scope::Owners(BTreeSet::from([owner])),
            low: self.generation,
            since: now,
        };
        merge_into(&mut self.sync.deferred, change);
    }

    /// Pushes the owners changed by the events just handled: one sync (or one follow-up of
    /// the runs in flight) for the whole batch.
    pub(super) fn push_deferred(&mut self, now: Instant) {
        if let Some(p) = self.sync.deferred.take() {
            self.enqueue(now, p);
        }
    }

    /// Something may differ between a switch and its desired table: push it now, or when
    /// the runs in flight allow.
    pub(super) fn request_sync(&mut self, now: Instant, scope: Scope) {
        let p = Pending {
            scope,
            low: self.generation,
            since: now,
        };
        self.enqueue(now, p);
    }

    fn enqueue(&mut self, now: Instant, p: Pending) {
        merge_into(&mut self.sync.again, p);
        self.pump(now);
    }

    /// Starts runs for the waiting changes as far as the runs in flight allow.
    fn pump(&mut self, now: Instant) {
        while let Some(p) = self.sync.again.take() {
            if !self.sync.may_start(&p.scope) {
                self.sync.again = Some(p);
                return;
            }
            let (free, wait) = self.sync.split_free(p);
            self.sync.again = wait;
            let Some(free) = free else {
                return;
            };
            self.start_sync(now, free);
        }
    }

    /// The connection of a ready switch.
    pub(super) fn ready_conn(&self, dpid: u64) -> Option<ConnId> {
        let conn = *self.by_dpid.get(&dpid)?;
        (self.conns.get(&conn)?.phase == Phase::Ready).then_some(conn)
    }

    /// The ordered difference between what the given datapaths hold and their desired
    /// tables (within `scope`). Deletes of foreign entries are dropped.
    ///
    /// With [`Scope::Owners`] both sides come from the owner indexes ([`FlowSet::owned_by`],
    /// [`Model::desired_owned`](super::model::Model::desired_owned)), so the cost is in
    /// proportion to those owners' entries, not to the tables.
    pub(super) fn diff_of(&self, dpids: &[u64], scope: &Scope) -> Diff {
        let empty = FlowSet::new();
        let mut old: Vec<(usize, FlowEntry)> = Vec::new();
        let mut new: Vec<(usize, FlowEntry)> = Vec::new();
        for sw in self.model.topology().switches() {
            if !dpids.contains(&sw.dpid) {
                continue;
            }
            let k = sw.index;
            let installed = self.installed.get(&sw.dpid).unwrap_or(&empty);
            let here = |e: &&FlowEntry| self.model.position(sw.dpid, e) == k;
            match scope {
                Scope::All | Scope::Switches(_) => {
                    old.extend(installed.iter().filter(here).map(|e| (k, e.clone())));
                    new.extend(self.model.desired_junction(k).map(|e| (k, e.clone())));
                }
                Scope::Owners(owners) => {
                    for &o in owners {
                        old.extend(installed.owned_by(o).filter(here).map(|e| (k, e.clone())));
                        let want = self.model.desired_owned(k, o);
                        new.extend(want.iter().map(|e| (k, e.clone())));
                    }
                }
            }
        }
        let layers = self.model.layers();
        let mut diff = match scope {
            Scope::Owners(_) if self.one_phase_activations() => {
                Diff::between_entries(old, new, layers, Some(&|o| self.nothing_installed(o)))
            }
            _ => Diff::between_entries(old, new, layers, None),
        };
        // Foreign entries only ever appear as deletes (a desired entry on their key replaces
        // them); keep them.
        diff.retain(|_, e| self.model.owns(e));
        diff
    }

    /// Whether a reactive activation of a brand-new address may install all of its entries
    /// in one phase (`flowfall_compile::diff`, "Brand-new owners"): reactive mode; no
    /// foreign entry on any switch (one could catch a packet where the reactive IP-miss entry
    /// would punt it); and no NAT-detection entries, which catch half-way packets at the VD
    /// ports before the IP-miss entry and hand the controller a truncated frame it cannot
    /// re-inject.
    fn one_phase_activations(&self) -> bool {
        self.model.is_reactive()
            && self.health.as_ref().is_none_or(|h| h.nat.is_none())
            && self.installed.values().all(|s| s.foreign_count() == 0)
    }

    /// Whether no switch holds an address entry of `owner`, as far as barriers confirmed.
    /// With no run in flight carrying `owner` (runs in flight never share an owner), none is
    /// on its way either.
    fn nothing_installed(&self, owner: OwnerId) -> bool {
        self.installed
            .values()
            .all(|s| s.owned_by(owner).next().is_none())
    }

    fn start_sync(&mut self, now: Instant, p: Pending) {
        let ready: Vec<u64> = self
            .by_dpid
            .keys()
            .copied()
            .filter(|&d| p.scope.touches(d) && self.ready_conn(d).is_some())
            .collect();
        let diff = self.diff_of(&ready, &p.scope);
        if !diff.is_empty() {
            let s = diff.stats();
            let log = !matches!(p.scope, Scope::Owners(_));
            if log {
                info!(
                    generation = self.generation,
                    adds = s.adds,
                    modifies = s.modifies,
                    deletes = s.deletes,
                    phases = diff.phases.len(),
                    "pushing update"
                );
            } else {
                debug!(
                    generation = self.generation,
                    adds = s.adds,
                    modifies = s.modifies,
                    deletes = s.deletes,
                    phases = diff.phases.len(),
                    "pushing address entries"
                );
            }
        }
        let topo = self.model.topology();
        let dpid_of = |k: usize| topo.switch(k).map(|s| s.dpid);
        let steps: VecDeque<Step> = diff
            .phases
            .into_iter()
            .map(|DiffPhase { switches, .. }| {
                let mut step = Step::new();
                for s in switches {
                    if let Some(dpid) = dpid_of(s.switch) {
                        step.entry(dpid).or_default().extend(s.ops);
                    }
                }
                step
            })
            .collect();
        let id = self.sync.next_run;
        self.sync.next_run += 1;
        self.sync.runs.push(Run {
            id,
            generation: self.generation,
            low: p.low,
            scope: p.scope,
            since: Some(p.since),
            pushed: !steps.is_empty(),
            steps,
            current: BTreeMap::new(),
        });
        self.next_step(now, id);
    }

    /// Sends the next phase of run `id`, or finishes it.
    fn next_step(&mut self, now: Instant, id: u64) {
        loop {
            let Some(run) = self.sync.runs.iter_mut().find(|r| r.id == id) else {
                return;
            };
            let Some(step) = run.steps.pop_front() else {
                return self.finish_sync(now, id);
            };
            let mut current = BTreeMap::new();
            for (dpid, ops) in step {
                let Some(conn) = self.ready_conn(dpid) else {
                    continue;
                };
                // Encoded here from the operations' own entries, back to back: no typed
                // FlowMod (a copy of every instruction list) per entry.
                let mut sent = Vec::with_capacity(ops.len());
                let mut bytes = Vec::with_capacity(ops.len() * ENCODED_FLOW_MOD_HINT);
                let mut failed = HashSet::new();
                for op in ops {
                    let xid = self.xid();
                    if let Err(e) = flow_mod(&op).encode_message(xid, &mut bytes) {
                        // Not sent, so not believed installed (as if the switch refused it).
                        warn!(conn = conn.0, xid, error = %e, "cannot encode a flow entry; not sent");
                        failed.insert(xid);
                    }
                    sent.push((xid, op));
                }
                self.metrics.flow_mods += (sent.len() - failed.len()) as u64;
                self.send_encoded(conn, bytes);
                let barrier = self.send(conn, Message::BarrierRequest);
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.barriers
                        .insert(barrier, now + self.timers.barrier_timeout);
                }
                current.insert(
                    dpid,
                    Batch {
                        conn,
                        barrier,
                        ops: sent,
                        failed,
                    },
                );
            }
            if current.is_empty() {
                continue;
            }
            if let Some(run) = self.sync.runs.iter_mut().find(|r| r.id == id) {
                run.current = current;
            }
            return;
        }
    }

    fn finish_sync(&mut self, now: Instant, id: u64) {
        let Some(i) = self.sync.runs.iter().position(|r| r.id == id) else {
            return;
        };
        let run = self.sync.runs.remove(i);
        if !matches!(run.scope, Scope::Owners(_)) {
            for (dpid, set) in self.installed.iter_mut() {
                if run.scope.touches(*dpid) {
                    set.reserve_headroom();
                }
            }
        }
        if let (Some(since), true) = (run.since, run.pushed) {
            self.metrics
                .update_latency
                .observe(now.saturating_duration_since(since));
        }
        debug!(generation = run.generation, "update confirmed");
        if let Some(confirmed) = self.sync.confirmed(self.generation) {
            // A reconnecting switch's reconcile (no new generation) can make the confirmed
            // generation step back until it is done: report nothing then.
            if confirmed >= self.sync.reported {
                self.sync.reported = confirmed;
                self.outputs.push_back(Output::Synced {
                    generation: confirmed,
                });
            }
            self.flush_packet_outs(confirmed);
        }
        self.maybe_start_health(now);
        self.pump(now);
    }

    /// A BARRIER_REPLY: the batch before it is in effect.
    pub(super) fn on_barrier_reply(&mut self, now: Instant, conn: ConnId, xid: u32) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.barriers.remove(&xid);
        }
        let found = self.sync.runs.iter_mut().find_map(|run| {
            let dpid = run
                .current
                .iter()
                .find(|(_, b)| b.conn == conn && b.barrier == xid)
                .map(|(&d, _)| d)?;
            let batch = run.current.remove(&dpid)?;
            Some((run.id, dpid, batch, run.current.is_empty()))
        });
        let Some((id, dpid, batch, done)) = found else {
            return;
        };
        let set = self.installed.entry(dpid).or_default();
        for (x, op) in batch.ops {
            if !batch.failed.contains(&x) {
                apply(set, op);
            }
        }
        if done {
            self.next_step(now, id);
        }
    }

    /// A switch went away: the runs no longer wait for it (it reconciles when it returns).
    pub(super) fn sync_switch_gone(&mut self, now: Instant, dpid: u64) {
        let done: Vec<u64> = self
            .sync
            .runs
            .iter_mut()
            .filter_map(|run| {
                let waited = run.current.remove(&dpid).is_some();
                (waited && run.current.is_empty()).then_some(run.id)
            })
            .collect();
        for id in done {
            self.next_step(now, id);
        }
    }
}
