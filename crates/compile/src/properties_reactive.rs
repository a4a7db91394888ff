//! Property tests of reactive activations in one phase ([`Diff::between_reactive`], the
//! safety argument in the [`diff`](crate::diff) module docs), over the random topologies of
//! [`properties`](crate::properties).
//!
//! A reactive chain starts with some addresses active (their entries installed beside the
//! switch-wide, anti-spoofing and punt entries); then some inactive addresses are activated
//! (fresh owners: nothing of theirs installed) and some active ones withdrawn, in one diff.
//! While that diff is applied, in every subset of each fresh owner's operations and in random
//! orders of whole phases, every packet of every address must be
//!
//! - delivered along its old or its final path (the exact route: junctions, ports, VMs), or
//! - dropped, or sent to the controller, at the edge it entered by, or
//! - for a fresh owner only: sent to the controller half-way, at a junction of its final
//!   path, having crossed exactly the final path up to there; re-injected at that junction
//!   (`PACKET_OUT` to `OFPP_TABLE` once the diff is confirmed) it then completes the final
//!   path.
//!
//! The one-phase verdict (a punt half-way is a legal stop) applies to fresh owners only: for
//! every other address the test keeps the waypoint-safe rule of stopping only at the edge.

use std::collections::BTreeSet;

use flowfall_topology::Mode;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::cookie::OwnerId;
use crate::diff::{Op, PhaseKind};
use crate::properties::{case, compiled, fabric_content, fail, route, tables_content, trace_dir};
use crate::sim::trace::{Fabric, Outcome, Step, Trace, Tracer};
use crate::{AddressId, Compilation, Diff, Tables};

type TestResult = Result<(), TestCaseError>;

/// The switch-wide, anti-spoofing and punt entries plus the flows of the `active` addresses.
fn with_flows(c: &Compilation, active: &BTreeSet<usize>) -> Tables {
    let mut t = c.tables();
    for &i in active {
        for (k, e) in c.address_flows(AddressId(i)) {
            if let Some(s) = t.switches.iter_mut().find(|s| s.index == k) {
                s.entries.push(e);
            }
        }
    }
    t
}

/// A packet of one address followed while the diff is applied.
struct Probe {
    owner: OwnerId,
    fresh: bool,
    /// The switch it enters by.
    entry: usize,
    /// Its walk before the diff, and once it is applied.
    before: Trace,
    after: Trace,
    what: String,
}

/// Whether `trace` stopped at the controller at a junction of `full`, having taken exactly
/// `full`'s route up to there.
fn punted_on_the_way(trace: &Trace, full: &Trace) -> bool {
    let Outcome::Controller { switch } = trace.outcome else {
        return false;
    };
    let Some((last, before)) = trace.steps.split_last() else {
        return false;
    };
    let same =
        |a: &Step, b: &Step| a.switch == b.switch && a.packet == b.packet && a.output == b.output;
    let on_path = full
        .steps
        .get(before.len())
        .is_some_and(|f| f.switch == switch && f.switch == last.switch && f.packet == last.packet);
    on_path
        && before.len() < full.steps.len()
        && before.iter().zip(&full.steps).all(|(a, b)| same(a, b))
        && full.vms.starts_with(&trace.vms)
}

/// Checks every probe on `fabric`; a fresh owner's packet punted half-way is re-injected on
/// `last` (the fabric once the diff is applied) and must complete its final path.
fn check(
    c: &Compilation,
    probes: &[Probe],
    fabric: &Fabric,
    last: &Fabric,
    only: Option<OwnerId>,
    step: &str,
) -> TestResult {
    let t = c.topology();
    for p in probes.iter().filter(|p| only.is_none_or(|o| o == p.owner)) {
        let tracer = Tracer::new(t, fabric, None);
        let first = p.before.steps.first().ok_or_else(|| fail("empty trace"))?;
        let trace = tracer.run(first.switch, first.packet).map_err(fail)?;
        let what = format!("{step}: {}", p.what);
        let r = route(&trace);
        if r == route(&p.after) || r == route(&p.before) {
            continue;
        }
        let at_entry = matches!(trace.outcome,
            Outcome::Dropped { switch } | Outcome::Controller { switch } if switch == p.entry);
        if at_entry && trace.vms.is_empty() {
            continue;
        }
        prop_assert!(
            p.fresh && punted_on_the_way(&trace, &p.after),
            "{what}: {} (old {}, final {})",
            trace.describe(t),
            p.before.describe(t),
            p.after.describe(t)
        );
        // The controller re-injects the packet where it came from, once confirmed.
        let stop = trace.steps.last().ok_or_else(|| fail("empty trace"))?;
        let again = Tracer::new(t, last, None)
            .run(stop.switch, stop.packet)
            .map_err(fail)?;
        let mut vms = trace.vms.clone();
        vms.extend(again.vms.iter().copied());
        prop_assert_eq!(
            &vms,
            &p.after.vms,
            "{}: re-injected {}",
            what,
            again.describe(t)
        );
        prop_assert_eq!(
            again.outcome.to_string(),
            p.after.outcome.to_string(),
            "{}: re-injected {}",
            what,
            again.describe(t)
        );
    }
    Ok(())
}

/// A SplitMix64 step (the test's orders come from one proptest seed).
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn shuffle<T>(v: &mut [T], state: &mut u64) {
    for i in (1..v.len()).rev() {
        let j = (next(state) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Most operations of one owner whose every subset is tried (2^10 fabrics).
const EXHAUSTIVE_OPS: usize = 10;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Activating brand-new addresses in one phase (and withdrawing others in the same diff)
    /// never sends a packet past a layer or to a wrong VM: see the module docs.
    #[test]
    fn fresh_owners_in_one_phase_stop_only_at_the_controller(
        case in case(),
        before in proptest::collection::vec(any::<bool>(), 8),
        after in proptest::collection::vec(0u8..4, 8),
        seed in any::<u64>(),
    ) {
        let mut case = case;
        case.config.chain.mode = Mode::Reactive;
        let c = compiled(&case)?;
        let count = c.addresses().len();
        let n = c.topology().layers().len();
        // Active before; after: three quarters of the inactive ones activated (fresh), a
        // quarter of the active ones withdrawn.
        let was: BTreeSet<usize> = (0..count).filter(|i| before[i % before.len()]).collect();
        let is: BTreeSet<usize> = (0..count)
            .filter(|i| {
                let roll = after[(i * 3 + 1) % after.len()];
                if was.contains(i) { roll != 0 } else { roll != 3 }
            })
            .collect();
        let owner_of = |i: usize| c.address(AddressId(i)).map(|a| a.owner).unwrap_or_default();
        let fresh: BTreeSet<OwnerId> = is.difference(&was).map(|&i| owner_of(i)).collect();
        let (old, new) = (with_flows(&c, &was), with_flows(&c, &is));
        let diff = Diff::between_reactive(&old, &new, n, |o| fresh.contains(&o));
        // Every operation of a fresh owner is an add in the first phase; a diff of fresh
        // owners only is one phase.
        for (i, phase) in diff.phases.iter().enumerate() {
            for s in &phase.switches {
                for op in &s.ops {
                    if fresh.contains(&op.entry().cookie.owner()) {
                        prop_assert!(matches!(op, Op::Add(_)));
                        prop_assert_eq!(i, 0);
                        prop_assert_eq!(phase.kind, PhaseKind::AddInterior);
                    }
                }
            }
        }
        if was.is_subset(&is) {
            prop_assert!(diff.phases.len() <= 1, "{} phases", diff.phases.len());
        }
        let start = Fabric::from_tables(&old).map_err(fail)?;
        let mut last = start.clone();
        for (k, op) in diff.ops() {
            last.apply(k, &op.to_flow_mod()).map_err(fail)?;
        }
        prop_assert_eq!(fabric_content(&last), tables_content(&new));
        let mut probes = Vec::new();
        for i in 0..count {
            let id = AddressId(i);
            let a = c.address(id).ok_or_else(|| fail("no address"))?;
            for upstream in [true, false] {
                probes.push(Probe {
                    owner: a.owner,
                    fresh: fresh.contains(&a.owner),
                    entry: if upstream { 0 } else { n },
                    before: trace_dir(&c, &start, None, id, upstream)?,
                    after: trace_dir(&c, &last, None, id, upstream)?,
                    what: format!("{} {}", if upstream { "up" } else { "down" }, a.prefix),
                });
            }
        }
        // Every subset of each fresh owner's operations (first phase, any order).
        let first: Vec<(usize, Op)> = diff
            .phases
            .first()
            .map(|p| {
                p.switches
                    .iter()
                    .flat_map(|s| s.ops.iter().map(move |op| (s.switch, op.clone())))
                    .collect()
            })
            .unwrap_or_default();
        for owner in &fresh {
            let mine: Vec<&(usize, Op)> =
                first.iter().filter(|(_, op)| op.entry().cookie.owner() == *owner).collect();
            if mine.len() > EXHAUSTIVE_OPS {
                continue;
            }
            for mask in 0u32..(1 << mine.len()) {
                let mut f = start.clone();
                for (bit, (k, op)) in mine.iter().enumerate() {
                    if mask >> bit & 1 == 1 {
                        f.apply(*k, &op.to_flow_mod()).map_err(fail)?;
                    }
                }
                check(&c, &probes, &f, &last, Some(*owner), &format!("subset {mask:#b}"))?;
            }
        }
        // Whole phases in random orders, every probe after every operation.
        let mut state = seed;
        for round in 0..2 {
            let mut f = start.clone();
            for (p, phase) in diff.phases.iter().enumerate() {
                let mut ops: Vec<(usize, &Op)> = phase
                    .switches
                    .iter()
                    .flat_map(|s| s.ops.iter().map(move |op| (s.switch, op)))
                    .collect();
                shuffle(&mut ops, &mut state);
                for (i, (k, op)) in ops.into_iter().enumerate() {
                    f.apply(k, &op.to_flow_mod()).map_err(fail)?;
                    check(&c, &probes, &f, &last, None, &format!("order {round}, phase {p}, op {i}"))?;
                }
            }
        }
    }
}
