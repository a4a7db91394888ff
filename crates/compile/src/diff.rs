//! [`Diff`]: the minimal change from one set of tables to another, ordered so that no packet
//! of any customer skips a layer of its service set while it is applied (architecture.md §5:
//! add new, barrier, then remove old; never delete first).
//!
//! Entries are keyed by `(switch, table, priority, match)`; the instructions, idle timeout and
//! cookie identity are the value. The operations come in [`Phase`]s; a controller sends every
//! operation of a phase, waits for a barrier reply from each switch it touched, then starts
//! the next phase. Within a phase the order does not matter.
//!
//! 1. [`PhaseKind::AddInterior`]: new entries no packet reaches yet (upstream entries past J0,
//!    downstream entries below J*n*): only a redirect or a new edge entry leads to them.
//! 2. [`PhaseKind::AddEdge`]: new entries packets reach directly from outside the chain
//!    (upstream at J0, downstream at J*n*, punt, anti-spoof and switch-wide entries). Every
//!    entry they lead to is in place after phase 1.
//! 3. [`PhaseKind::Modify`]: existing keys redirected (another VM, bypass <-> VM, drop <->
//!    forward). Each redirect leads to a key present since phase 1 at the latest.
//! 4. [`PhaseKind::DeleteEdge`]: edge keys gone from the new tables: paths are cut at their
//!    entrance first, so no packet is lost half-way through the chain.
//! 5. [`PhaseKind::DeleteInterior`]: the other keys gone.
//!
//! Why this is safe: at any moment each key holds its old or its new value, and every key a
//! packet can reach exists; at switch J*k* an entry sends the packet through layer *k* if the
//! old or the new value does, so a layer in both the old and the new service set of an
//! address is never skipped, and a packet crosses each layer at most once (J*k* only ever
//! forwards into layer *k*). A packet is dropped only at the edge where it enters (its edge
//! entry is not there yet, or not any more, or is a fail-closed drop), never half-way. The
//! simulator checks all of this after every single operation (crate property tests).
//!
//! # Brand-new owners in reactive mode: one phase
//!
//! [`Diff::between_reactive`] puts every add of a *fresh* owner into the first phase, edge
//! entries included, so a reactive activation costs one barrier round trip instead of two. A
//! fresh owner is a customer address whose caller guarantees that none of its address entries
//! ([`CookieKind::Upstream`], [`CookieKind::Downstream`]) is installed or in flight on any
//! switch, and whose operations in this diff are adds only (checked here: an owner with an
//! entry in `old`, or with a modify, replace or delete, keeps the phases above). Why that is
//! safe in reactive mode (`rules.rs`):
//!
//! - Customer prefixes never overlap (the topology refuses overlaps), so a packet of address
//!   *a* can only match *a*'s own entries, *a*'s punt entries, or switch-wide ones: the
//!   anti-spoofing drop at J0 (customer ports only), the reactive IP-miss entries
//!   (IPv4/IPv6 to the controller, on every junction) and the table-miss drop.
//! - Before the activation none of *a*'s address entries exists, so wherever one is still
//!   missing the packet meets only punt, IP-miss, anti-spoof or table-miss entries: it goes to
//!   the controller, or is dropped at the edge it entered by (J0's anti-spoofing drop when its
//!   punt entry is gone, non-IP frames). None of these forwards a packet anywhere.
//! - Every one of *a*'s entries that is present is its final entry. So at any moment, in any
//!   order and any subset of the phase, a packet follows *a*'s final path for as long as the
//!   entries are there, and at the first junction whose entry is missing it stops there and
//!   goes to the controller: it has crossed exactly the layers of the final path below (up
//!   to) that junction, never a layer outside it, never a wrong VM.
//! - The controller holds such a packet as a pending packet of the generation being installed
//!   and re-injects it (`PACKET_OUT` to `OFPP_TABLE`, with the `in_port` it arrived on) at the
//!   junction it came from once the barriers confirm the phase: from there the final entries
//!   carry it through the remaining layers. No layer is skipped or crossed twice.
//!
//! What the argument needs from the tables, and a controller must ensure before asking for
//! this ordering: no entry other than FlowFall's own matches a customer address's packets
//! below its address entries' priority (a foreign entry at an interior junction could catch
//! the packet where the IP-miss entry would), and packets punted half-way reach the reactive
//! handler whole (not truncated), or are dropped. The property test
//! `fresh_owners_in_one_phase_stop_only_at_the_controller` (crate `properties` module) applies
//! every subset of each fresh owner's operations, and random orders of whole phases, and
//! checks after each step that every packet of every address is delivered on its final path,
//! dropped at its edge, or punted with a prefix of its final path behind it, and that the
//! punted packet, re-injected where it stopped once the diff is applied, completes that path.

use std::collections::{BTreeSet, HashMap, HashSet};

use flowfall_ofp::{FlowMod, FlowModCommand, FlowModParts, Match};

use crate::cookie::{CookieKind, OwnerId};
use crate::entry::FlowEntry;
use crate::fxhash::FxBuild;
use crate::tables::Tables;

/// One change to one switch's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A new key: `OFPFC_ADD`.
    Add(FlowEntry),
    /// An existing key, new instructions: `OFPFC_MODIFY_STRICT` (cookie and counters kept).
    Modify(FlowEntry),
    /// An existing key whose cookie identity or idle timeout changes: `OFPFC_ADD`, which
    /// replaces the entry of identical match and priority (OpenFlow 1.3.5 §6.4).
    Replace(FlowEntry),
    /// A key gone: `OFPFC_DELETE_STRICT`.
    Delete(FlowEntry),
}

impl Op {
    /// The entry added, modified, replaced or deleted.
    pub fn entry(&self) -> &FlowEntry {
        match self {
            Op::Add(e) | Op::Modify(e) | Op::Replace(e) | Op::Delete(e) => e,
        }
    }

    /// The flow mod carrying the operation.
    pub fn to_flow_mod(&self) -> FlowMod {
        self.flow_mod_parts().into()
    }

    /// [`Op::to_flow_mod`] borrowing the entry's match and instructions (see
    /// [`FlowEntry::flow_mod_parts`]).
    pub fn flow_mod_parts(&self) -> FlowModParts<'_> {
        match self {
            Op::Add(e) | Op::Replace(e) => e.flow_mod_parts(FlowModCommand::Add),
            Op::Modify(e) => e.flow_mod_parts(FlowModCommand::ModifyStrict),
            Op::Delete(e) => e.flow_mod_parts(FlowModCommand::DeleteStrict),
        }
    }
}

/// The phases of a [`Diff`], in application order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PhaseKind {
    /// New entries only reachable through other new or redirected entries; in a
    /// [`Diff::between_reactive`] diff also every entry of a fresh owner (see the module
    /// docs).
    AddInterior,
    /// New entries reachable from outside the chain.
    AddEdge,
    /// Redirected entries.
    Modify,
    /// Removed entries packets reach from outside the chain.
    DeleteEdge,
    /// Removed entries past the edges.
    DeleteInterior,
}

/// The operations of one switch within a phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchOps {
    /// Switch index (J0 = 0).
    pub switch: usize,
    /// The operations, in order.
    pub ops: Vec<Op>,
}

/// One phase: a barrier on every switch touched must follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// Which phase.
    pub kind: PhaseKind,
    /// Per switch, ascending by index.
    pub switches: Vec<SwitchOps>,
}

/// Operation counts of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiffStats {
    /// New keys.
    pub adds: usize,
    /// Changed keys (modify and replace).
    pub modifies: usize,
    /// Removed keys.
    pub deletes: usize,
}

impl DiffStats {
    /// All operations.
    pub fn total(&self) -> usize {
        self.adds + self.modifies + self.deletes
    }
}

/// An ordered table diff (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// Non-empty phases in application order.
    pub phases: Vec<Phase>,
}

/// Whether `e` is an address entry (upstream or downstream hop of a customer address).
fn is_address(e: &FlowEntry) -> bool {
    matches!(
        e.cookie.kind(),
        Some(CookieKind::Upstream | CookieKind::Downstream)
    )
}

/// Every entry of `t` with its switch index.
fn flat(t: &Tables) -> Vec<(usize, FlowEntry)> {
    t.switches
        .iter()
        .flat_map(|s| s.entries.iter().map(move |e| (s.index, e.clone())))
        .collect()
}

/// The owners of the address entries among `entries`.
fn address_owners_of(entries: &[(usize, FlowEntry)]) -> HashSet<OwnerId, FxBuild> {
    entries
        .iter()
        .filter(|(_, e)| is_address(e))
        .map(|(_, e)| e.cookie.owner())
        .collect()
}

/// Whether packets reach `e` on switch `k` directly from outside the chain of `n` layers.
fn is_edge(k: usize, n: usize, e: &FlowEntry) -> bool {
    match e.cookie.kind() {
        Some(CookieKind::Upstream) => k == 0,
        Some(CookieKind::Downstream) => k == n,
        _ => true,
    }
}

impl Diff {
    /// Orders `ops` (switch, operation) into phases for a chain of `n` layers.
    pub(crate) fn from_ops(ops: Vec<(usize, Op)>, n: usize) -> Diff {
        Diff::ordered(ops, n, |_| false)
    }

    /// Orders `ops` into phases; the adds of owners `fresh` accepts all go into the first
    /// phase ([`PhaseKind::AddInterior`]).
    fn ordered(ops: Vec<(usize, Op)>, n: usize, fresh: impl Fn(OwnerId) -> bool) -> Diff {
        const KINDS: [PhaseKind; 5] = [
            PhaseKind::AddInterior,
            PhaseKind::AddEdge,
            PhaseKind::Modify,
            PhaseKind::DeleteEdge,
            PhaseKind::DeleteInterior,
        ];
        let mut buckets: [Vec<(usize, Op)>; 5] = Default::default();
        for (k, op) in ops {
            let edge = is_edge(k, n, op.entry());
            let phase = match op {
                Op::Add(ref e) if is_address(e) && fresh(e.cookie.owner()) => 0,
                Op::Add(_) if edge => 1,
                Op::Add(_) => 0,
                Op::Modify(_) | Op::Replace(_) => 2,
                Op::Delete(_) if edge => 3,
                Op::Delete(_) => 4,
            };
            if let Some(b) = buckets.get_mut(phase) {
                b.push((k, op));
            }
        }
        let mut phases = Vec::new();
        for (kind, mut ops) in KINDS.into_iter().zip(buckets) {
            if ops.is_empty() {
                continue;
            }
            ops.sort_by_key(|(k, _)| *k);
            let mut switches: Vec<SwitchOps> = Vec::new();
            for (k, op) in ops {
                match switches.last_mut() {
                    Some(s) if s.switch == k => s.ops.push(op),
                    _ => switches.push(SwitchOps {
                        switch: k,
                        ops: vec![op],
                    }),
                }
            }
            phases.push(Phase { kind, switches });
        }
        Diff { phases }
    }

    /// The diff turning `old` into `new` (switches matched by index), for a chain of `n`
    /// layers.
    pub fn between(old: &Tables, new: &Tables, n: usize) -> Diff {
        Diff::between_entries(flat(old), flat(new), n, None)
    }

    /// [`Diff::between`] for a reactive controller: the adds of the owners `fresh` accepts
    /// (brand-new addresses: none of their address entries installed or in flight anywhere,
    /// which only the caller knows) go into one phase, edge entries included; see the
    /// [module docs](self) for why that is safe and what it requires. An owner with an
    /// address entry in `old`, or with any operation other than an add, is not fresh whatever
    /// `fresh` says, and keeps the waypoint-safe phases.
    pub fn between_reactive(
        old: &Tables,
        new: &Tables,
        n: usize,
        fresh: impl Fn(OwnerId) -> bool,
    ) -> Diff {
        Diff::between_entries(flat(old), flat(new), n, Some(&fresh))
    }

    /// [`Diff::between`] (`fresh` = `None`) or [`Diff::between_reactive`] over `(switch
    /// index, entry)` lists: the entries move into the operations instead of being copied
    /// (what a controller diffing a few addresses' entries per packet-in wants).
    pub fn between_entries(
        old: Vec<(usize, FlowEntry)>,
        new: Vec<(usize, FlowEntry)>,
        n: usize,
        fresh: Option<&dyn Fn(OwnerId) -> bool>,
    ) -> Diff {
        let mut ops = Vec::with_capacity(new.len());
        let Some(fresh) = fresh else {
            keyed_diff(old, new, &mut ops);
            return Diff::ordered(ops, n, |_| false);
        };
        // Not fresh: an address entry in `old`, or an operation other than an add.
        let mut stale = address_owners_of(&old);
        keyed_diff(old, new, &mut ops);
        stale.extend(
            ops.iter()
                .filter(|(_, op)| !matches!(op, Op::Add(_)))
                .map(|(_, op)| op.entry().cookie.owner()),
        );
        Diff::ordered(ops, n, |o| !stale.contains(&o) && fresh(o))
    }

    /// Every operation in application order, with its switch.
    pub fn ops(&self) -> impl Iterator<Item = (usize, &Op)> {
        self.phases
            .iter()
            .flat_map(|p| p.switches.iter())
            .flat_map(|s| s.ops.iter().map(move |op| (s.switch, op)))
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops().count()
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.phases.is_empty()
    }

    /// Operation counts.
    pub fn stats(&self) -> DiffStats {
        let mut s = DiffStats::default();
        for (_, op) in self.ops() {
            match op {
                Op::Add(_) => s.adds += 1,
                Op::Modify(_) | Op::Replace(_) => s.modifies += 1,
                Op::Delete(_) => s.deletes += 1,
            }
        }
        s
    }

    /// The owners of the address entries touched ([`CookieKind::Upstream`],
    /// [`CookieKind::Downstream`] and [`CookieKind::Punt`] cookies).
    pub fn address_owners(&self) -> BTreeSet<OwnerId> {
        self.ops()
            .map(|(_, op)| op.entry().cookie)
            .filter(|c| {
                matches!(
                    c.kind(),
                    Some(CookieKind::Upstream | CookieKind::Downstream | CookieKind::Punt)
                )
            })
            .map(|c| c.owner())
            .collect()
    }

    /// Keeps only the operations whose entry satisfies `keep` (e.g. a reactive controller
    /// keeping the address entries of the owners it has installed), dropping emptied phases.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &FlowEntry) -> bool) {
        for p in &mut self.phases {
            for s in &mut p.switches {
                let k = s.switch;
                s.ops.retain(|op| keep(k, op.entry()));
            }
            p.switches.retain(|s| !s.ops.is_empty());
        }
        self.phases.retain(|p| !p.switches.is_empty());
    }
}

/// Key of an entry on a switch.
type Key<'a> = (usize, u8, u16, &'a Match);

/// Appends to `out` the operations turning the `old` entries into the `new` ones.
pub(crate) fn keyed_diff(
    old: Vec<(usize, FlowEntry)>,
    new: Vec<(usize, FlowEntry)>,
    out: &mut Vec<(usize, Op)>,
) {
    let mut index: HashMap<Key<'_>, usize, FxBuild> =
        HashMap::with_capacity_and_hasher(old.len(), FxBuild::default());
    for (i, (k, e)) in old.iter().enumerate() {
        index.insert((*k, e.table_id, e.priority, &e.match_), i);
    }
    let mut kept = vec![false; old.len()];
    let mut pending = Vec::with_capacity(new.len());
    for (k, e) in new {
        match index.get(&(k, e.table_id, e.priority, &e.match_)) {
            Some(&i) => {
                if let Some(flag) = kept.get_mut(i) {
                    *flag = true;
                }
                let Some((_, o)) = old.get(i) else { continue };
                if o.same_value(&e) {
                    continue;
                }
                let replace =
                    o.cookie.identity() != e.cookie.identity() || o.idle_timeout != e.idle_timeout;
                pending.push((
                    k,
                    if replace {
                        Op::Replace(e)
                    } else {
                        Op::Modify(e)
                    },
                ));
            }
            None => pending.push((k, Op::Add(e))),
        }
    }
    drop(index);
    out.extend(pending);
    out.extend(
        old.into_iter()
            .zip(kept)
            .filter(|(_, kept)| !kept)
            .map(|((k, e), _)| (k, Op::Delete(e))),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookie::Cookie;
    use crate::tables::SwitchTable;
    use flowfall_ofp::{Action, Instruction, Oxm};

    fn e(kind: CookieKind, port: u32, out: u32) -> FlowEntry {
        FlowEntry::new(
            0,
            10,
            Match::new().with(Oxm::InPort(port)),
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: out,
                max_len: 0,
            }])],
            Cookie::new(kind, 1, OwnerId::from_u64(u64::from(port))),
        )
    }

    fn tables(entries: Vec<Vec<FlowEntry>>) -> Tables {
        Tables {
            switches: entries
                .into_iter()
                .enumerate()
                .map(|(index, entries)| SwitchTable {
                    index,
                    name: format!("j{index}"),
                    dpid: index as u64,
                    vlan: None,
                    entries,
                })
                .collect(),
        }
    }

    #[test]
    fn phases_order_adds_modifies_deletes() {
        let up = CookieKind::Upstream;
        let old = tables(vec![vec![e(up, 1, 2)], vec![e(up, 3, 4), e(up, 5, 6)]]);
        let mut moved = e(up, 1, 7);
        moved.cookie = moved.cookie.with_generation(2);
        let new = tables(vec![vec![moved.clone()], vec![e(up, 5, 6), e(up, 8, 9)]]);
        let d = Diff::between(&old, &new, 1);
        let kinds: Vec<_> = d.phases.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                PhaseKind::AddInterior,
                PhaseKind::Modify,
                PhaseKind::DeleteInterior
            ]
        );
        let flat: Vec<_> = d.ops().map(|(k, op)| (k, op.clone())).collect();
        assert_eq!(
            flat,
            vec![
                (1, Op::Add(e(up, 8, 9))),
                (0, Op::Modify(moved)),
                (1, Op::Delete(e(up, 3, 4)))
            ]
        );
        assert_eq!(
            d.stats(),
            DiffStats {
                adds: 1,
                modifies: 1,
                deletes: 1
            }
        );
        assert!(Diff::between(&old, &old, 1).is_empty());
    }

    #[test]
    fn edge_adds_come_after_interior_adds_and_owner_changes_replace() {
        let old = tables(vec![vec![], vec![]]);
        let new = tables(vec![
            vec![e(CookieKind::Upstream, 1, 2)],
            vec![e(CookieKind::Upstream, 3, 4)],
        ]);
        let d = Diff::between(&old, &new, 1);
        let kinds: Vec<_> = d.phases.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [PhaseKind::AddInterior, PhaseKind::AddEdge]);
        assert_eq!(d.phases[0].switches[0].switch, 1);
        let mut other = e(CookieKind::Upstream, 1, 2);
        other.cookie = Cookie::new(CookieKind::Upstream, 1, OwnerId::from_u64(99));
        let d = Diff::between(
            &new,
            &tables(vec![
                vec![other.clone()],
                vec![e(CookieKind::Upstream, 3, 4)],
            ]),
            1,
        );
        assert_eq!(
            d.ops().map(|(_, op)| op.clone()).collect::<Vec<_>>(),
            vec![Op::Replace(other.clone())]
        );
        assert_eq!(
            Op::Replace(other).to_flow_mod().command,
            FlowModCommand::Add
        );
    }

    #[test]
    fn fresh_owners_take_one_phase_and_stale_ones_keep_theirs() {
        let (up, down) = (CookieKind::Upstream, CookieKind::Downstream);
        let empty = tables(vec![vec![], vec![]]);
        // Owner 1: upstream edge at J0, interior at J1. Owner 3: downstream interior at J0,
        // edge at J1.
        let new = tables(vec![
            vec![e(up, 1, 2), e(down, 3, 4)],
            vec![e(up, 1, 5), e(down, 3, 6)],
        ]);
        let d = Diff::between_reactive(&empty, &new, 1, |_| true);
        assert_eq!(d.phases.len(), 1);
        assert_eq!(d.phases[0].kind, PhaseKind::AddInterior);
        assert_eq!(d.len(), 4);
        // The predicate decides: owner 3 not fresh keeps its edge add for the second phase.
        let d = Diff::between_reactive(&empty, &new, 1, |o| o.value() == 1);
        let kinds: Vec<_> = d.phases.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [PhaseKind::AddInterior, PhaseKind::AddEdge]);
        assert_eq!(
            d.phases[1].switches[0].ops,
            vec![Op::Add(e(down, 3, 6))],
            "only the stale owner's edge add waits"
        );
        // An owner with an entry installed is never fresh, whatever the caller says.
        let old = tables(vec![vec![], vec![e(up, 1, 5)]]);
        let d = Diff::between_reactive(&old, &new, 1, |_| true);
        let edge_adds: Vec<_> = d
            .phases
            .iter()
            .filter(|p| p.kind == PhaseKind::AddEdge)
            .flat_map(|p| p.switches.iter().flat_map(|s| s.ops.iter()))
            .cloned()
            .collect();
        assert_eq!(edge_adds, vec![Op::Add(e(up, 1, 2))]);
        // Nor is one being redirected, even with nothing of it in `old` at that key.
        let mut moved = e(up, 1, 9);
        moved.cookie = Cookie::new(up, 1, OwnerId::from_u64(7));
        let old = tables(vec![vec![moved], vec![]]);
        let d = Diff::between_reactive(&old, &new, 1, |o| o.value() == 1);
        assert!(d.ops().any(|(_, op)| matches!(op, Op::Replace(_))));
        assert_eq!(d.phases.last().map(|p| p.kind), Some(PhaseKind::Modify));
        // Without fresh owners it is `between`.
        assert_eq!(
            Diff::between_reactive(&empty, &new, 1, |_| false),
            Diff::between(&empty, &new, 1)
        );
    }

    #[test]
    fn retain_filters_and_drops_empty_phases() {
        let old = tables(vec![vec![], vec![]]);
        let new = tables(vec![
            vec![e(CookieKind::Upstream, 1, 2)],
            vec![e(CookieKind::Upstream, 3, 4)],
        ]);
        let mut d = Diff::between(&old, &new, 1);
        assert_eq!(d.address_owners().len(), 2);
        d.retain(|k, _| k == 0);
        assert_eq!(d.len(), 1);
        assert_eq!(d.phases.len(), 1);
    }
}
