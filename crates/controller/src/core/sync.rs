//! Bringing every connected switch to the compiled tables, one run at a time.
//!
//! A run takes the difference between what each ready switch holds (`installed`, the
//! controller's belief, confirmed by barriers) and its desired table, ordered by
//! `flowfall_compile::Diff` into waypoint-safe phases (interior adds, edge adds, modifies,
//! deletes: architecture §5). Every phase is sent to every switch it touches, followed by a
//! barrier; the next phase starts when all barriers are answered. The belief changes only when
//! a barrier confirms a batch, minus the entries the switch refused with an ERROR. Entries with
//! foreign cookies are never deleted. Changes that arrive during a run start another run when
//! it ends, so updates never interleave.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::Instant;

use flowfall_compile::cookie::{CookieKind, OwnerId};
use flowfall_compile::diff::{Op, Phase as DiffPhase};
use flowfall_compile::tables::{SwitchTable, Tables};
use flowfall_compile::{Diff, FlowEntry};
use flowfall_ofp::FlowMod;
use flowfall_ofp::flow_mod::flow_mod_flags;
use flowfall_ofp::message::Message;
use tracing::{debug, info};

use super::channel::Phase;
use super::table::FlowSet;
use super::{ConnId, Controller, Output};
use crate::metrics::ErrorKind;

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
    generation: u64,
    since: Option<Instant>,
    /// Whether the run sends anything (empty runs are not timed).
    pushed: bool,
    steps: VecDeque<Step>,
    current: BTreeMap<u64, Batch>,
}

/// What may differ between the switches and their desired tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scope {
    /// Anything (recompiles, switches (re)connecting): compare whole tables.
    All,
    /// Only the address entries of these owners (reactive activations and withdrawals):
    /// compare just those, so a packet-in costs in proportion to its own flows.
    Owners(BTreeSet<OwnerId>),
}

impl Scope {
    fn merge(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::Owners(mut a), Scope::Owners(b)) => {
                a.extend(b);
                Scope::Owners(a)
            }
            _ => Scope::All,
        }
    }
}

/// Update state of the controller.
#[derive(Debug, Default)]
pub(super) struct Sync {
    run: Option<Run>,
    /// What changed while a run was in flight: another run starts when it ends.
    pub(super) again: Option<Scope>,
    /// When the oldest change not yet pushed happened.
    since: Option<Instant>,
}

impl Sync {
    /// If `xid` is a flow mod of the current phase on `conn`, marks it failed and returns its
    /// entry.
    pub(super) fn flow_mod_failed(&mut self, conn: ConnId, xid: u32) -> Option<FlowEntry> {
        let run = self.run.as_mut()?;
        let batch = run.current.values_mut().find(|b| b.conn == conn)?;
        let (_, op) = batch.ops.iter().find(|(x, _)| *x == xid)?;
        batch.failed.insert(xid);
        Some(op.entry().clone())
    }

    /// Whether a run is in flight.
    pub(super) fn busy(&self) -> bool {
        self.run.is_some()
    }
}

/// The flow mod of an operation. Entries with an idle timeout (reactive mode) ask for
/// FLOW_REMOVED so the controller learns when they expire.
pub(crate) fn flow_mod(op: &Op) -> FlowMod {
    let mut fm = op.to_flow_mod();
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
        if let Err(e) = self.model.recompile(self.generation) {
            self.metrics.error(ErrorKind::Compile);
            tracing::error!(error = %e, "cannot compile the flow tables; switches keep their flows");
            return;
        }
        self.request_sync(now, Scope::All);
    }

    /// The address entries of `owner` changed in the desired tables without a recompile
    /// (reactive activation or withdrawal): bump the generation and push them.
    pub(super) fn desired_changed(&mut self, now: Instant, owner: OwnerId) {
        self.generation += 1;
        self.request_sync(now, Scope::Owners(BTreeSet::from([owner])));
    }

    /// Something may differ between a switch and its desired table: push it now, or after
    /// the run in flight.
    pub(super) fn request_sync(&mut self, now: Instant, scope: Scope) {
        self.sync.since.get_or_insert(now);
        if self.sync.busy() {
            self.sync.again = Some(match self.sync.again.take() {
                Some(pending) => pending.merge(scope),
                None => scope,
            });
        } else {
            self.start_sync(now, scope);
        }
    }

    /// The connection of a ready switch.
    pub(super) fn ready_conn(&self, dpid: u64) -> Option<ConnId> {
        let conn = *self.by_dpid.get(&dpid)?;
        (self.conns.get(&conn)?.phase == Phase::Ready).then_some(conn)
    }

    /// The ordered difference between what the given datapaths hold and their desired
    /// tables (within `scope`). Deletes of foreign entries are dropped.
    pub(super) fn diff_of(&self, dpids: &[u64], scope: &Scope) -> Diff {
        let in_scope = |e: &FlowEntry| match scope {
            Scope::All => true,
            Scope::Owners(owners) => {
                matches!(
                    e.cookie.kind(),
                    Some(CookieKind::Upstream | CookieKind::Downstream)
                ) && owners.contains(&e.cookie.owner())
            }
        };
        let empty = FlowSet::new();
        let mut old = Tables::default();
        let mut new = Tables::default();
        for sw in self.model.topology().switches() {
            if !dpids.contains(&sw.dpid) {
                continue;
            }
            let installed = self.installed.get(&sw.dpid).unwrap_or(&empty);
            let table = |entries: Vec<FlowEntry>| SwitchTable {
                index: sw.index,
                name: sw.name.clone(),
                dpid: sw.dpid,
                vlan: sw.vlan,
                entries,
            };
            old.switches.push(table(
                installed
                    .iter()
                    .filter(|e| in_scope(e) && self.model.position(sw.dpid, e) == sw.index)
                    .cloned()
                    .collect(),
            ));
            new.switches.push(table(
                self.model
                    .desired_junction(sw.index)
                    .iter()
                    .filter(|e| in_scope(e))
                    .cloned()
                    .collect(),
            ));
        }
        let mut diff = Diff::between(&old, &new, self.model.layers());
        // Foreign entries only ever appear as deletes (a desired entry on their key replaces
        // them); keep them.
        diff.retain(|_, e| self.model.owns(e));
        diff
    }

    fn start_sync(&mut self, now: Instant, scope: Scope) {
        let ready: Vec<u64> = self
            .by_dpid
            .keys()
            .copied()
            .filter(|&d| self.ready_conn(d).is_some())
            .collect();
        let diff = self.diff_of(&ready, &scope);
        if !diff.is_empty() {
            let s = diff.stats();
            info!(
                generation = self.generation,
                adds = s.adds,
                modifies = s.modifies,
                deletes = s.deletes,
                phases = diff.phases.len(),
                "pushing update"
            );
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
        self.sync.run = Some(Run {
            generation: self.generation,
            since: self.sync.since.take(),
            pushed: !steps.is_empty(),
            steps,
            current: BTreeMap::new(),
        });
        self.next_step(now);
    }

    /// Sends the next phase, or finishes the run.
    fn next_step(&mut self, now: Instant) {
        loop {
            let Some(run) = self.sync.run.as_mut() else {
                return;
            };
            let Some(step) = run.steps.pop_front() else {
                return self.finish_sync(now);
            };
            let mut current = BTreeMap::new();
            for (dpid, ops) in step {
                let Some(conn) = self.ready_conn(dpid) else {
                    continue;
                };
                let mut sent = Vec::with_capacity(ops.len());
                for op in ops {
                    let xid = self.send(conn, Message::FlowMod(flow_mod(&op)));
                    sent.push((xid, op));
                }
                self.metrics.flow_mods += sent.len() as u64;
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
                        failed: HashSet::new(),
                    },
                );
            }
            if current.is_empty() {
                continue;
            }
            if let Some(run) = self.sync.run.as_mut() {
                run.current = current;
            }
            return;
        }
    }

    fn finish_sync(&mut self, now: Instant) {
        let Some(run) = self.sync.run.take() else {
            return;
        };
        if let (Some(since), true) = (run.since, run.pushed) {
            self.metrics
                .update_latency
                .observe(now.saturating_duration_since(since));
        }
        debug!(generation = run.generation, "update confirmed");
        self.outputs.push_back(Output::Synced {
            generation: run.generation,
        });
        self.flush_packet_outs(run.generation);
        self.maybe_start_health(now);
        if let Some(scope) = self.sync.again.take() {
            self.start_sync(now, scope);
        }
    }

    /// A BARRIER_REPLY: the batch before it is in effect.
    pub(super) fn on_barrier_reply(&mut self, now: Instant, conn: ConnId, xid: u32) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.barriers.remove(&xid);
        }
        let Some(run) = self.sync.run.as_mut() else {
            return;
        };
        let Some(dpid) = run
            .current
            .iter()
            .find(|(_, b)| b.conn == conn && b.barrier == xid)
            .map(|(&d, _)| d)
        else {
            return;
        };
        let Some(batch) = run.current.remove(&dpid) else {
            return;
        };
        let done = run.current.is_empty();
        let set = self.installed.entry(dpid).or_default();
        for (x, op) in batch.ops {
            if !batch.failed.contains(&x) {
                apply(set, op);
            }
        }
        if done {
            self.next_step(now);
        }
    }

    /// A switch went away: the run no longer waits for it (it reconciles when it returns).
    pub(super) fn sync_switch_gone(&mut self, now: Instant, dpid: u64) {
        let Some(run) = self.sync.run.as_mut() else {
            return;
        };
        if run.current.remove(&dpid).is_some() && run.current.is_empty() {
            self.next_step(now);
        }
    }
}
