//! The path of one customer address through the layers: for each layer, the VM chosen by the
//! layer's selector over its live VMs (or the address's override, [`crate::overrides`], when
//! it names a live VM), a live bypass link, or nothing (fail-closed).
//!
//! This is the pure function architecture.md §3 relies on: the choice depends only on the
//! configuration, the live VMs and bypass links, the overrides and the address, so proactive and reactive compilation, both
//! directions and every controller replica agree.

use std::sync::Arc;

use flowfall_select::hash::{key_hash, mix64, reduce};
use flowfall_select::{AnySelector, Key, Member, Selector};
use flowfall_topology::WhenEmpty;
use flowfall_tos::ServiceSet;

use crate::error::Error;
use crate::plan::LayerPlan;

/// What an address's traffic does at one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hop {
    /// Through this VM (index into the layer's VMs, [`flowfall_topology::VmId::index`]).
    Vm(u32),
    /// Past the layer over this bypass link (index into the layer's bypass links): the layer
    /// is not in the address's service set, or it is but has no live VM and is `fail-open`.
    Bypass(u16),
    /// Nowhere: the layer is in the service set, has no live VM and is `fail-closed` (or is
    /// `fail-open` without a live bypass link), or the address must bypass the layer and no
    /// bypass link of it is live. The whole address is then dropped at the edges.
    Blocked,
}

/// How a layer's selector chooses among its live VMs.
#[derive(Debug, Clone)]
enum Choice {
    /// No live VM.
    Empty,
    /// One live VM (its index in the layer).
    Single(u32),
    /// Several: the algorithm's selector and, per member position, the VM index.
    Many {
        selector: AnySelector,
        vm_of_member: Vec<u32>,
    },
}

/// A layer's selector over its live VMs, built once per compile (not per customer).
///
/// With no live VM or exactly one, every algorithm has one answer for every key (none, or
/// that VM), so no table is built: a Maglev table costs milliseconds to fill.
#[derive(Debug, Clone)]
pub(crate) struct LayerSelector {
    /// The live flag of every VM of the layer (a pin is honoured only on a live VM).
    live: Vec<bool>,
    choice: Choice,
}

impl LayerSelector {
    /// Builds the selector of layer `layer` over the VMs flagged live in `live`.
    pub(crate) fn build(
        layer: usize,
        plan: &LayerPlan,
        live: &[bool],
    ) -> Result<LayerSelector, Error> {
        let mut members: Vec<Member> = Vec::new();
        let mut vm_of_member = Vec::new();
        for (i, (vm, &up)) in plan.vms.iter().zip(live).enumerate() {
            if up {
                members.push(vm.member);
                vm_of_member.push(i as u32);
            }
        }
        let choice = match vm_of_member.as_slice() {
            [] => Choice::Empty,
            [one] if members.iter().all(|m| m.weight > 0) => Choice::Single(*one),
            _ => {
                let selector = plan
                    .algorithm
                    .build(&members)
                    .map_err(|source| Error::Selector { layer, source })?;
                Choice::Many {
                    selector,
                    vm_of_member,
                }
            }
        };
        let mut flags = live.to_vec();
        flags.truncate(plan.vms.len());
        Ok(LayerSelector {
            live: flags,
            choice,
        })
    }

    /// The VM index chosen for `key`: `pin` when it names a live VM of the layer, else the
    /// hash choice; `None` when no VM is live.
    pub(crate) fn pick(&self, key: &Key, pin: Option<u32>) -> Option<u32> {
        if let Some(vm) = pin
            && self.live.get(vm as usize).copied().unwrap_or(false)
        {
            return Some(vm);
        }
        match &self.choice {
            Choice::Empty => None,
            Choice::Single(vm) => Some(*vm),
            Choice::Many {
                selector,
                vm_of_member,
            } => selector
                .select(key)
                .and_then(|m| vm_of_member.get(m).copied()),
        }
    }
}

/// A layer's choice among its live bypass links.
///
/// `key_hash(key)` reduced over ALL configured links names the link as long as it is live
/// (links are static, so plain multiply-shift reduction is stable, and with every link live
/// this is the only rule); an address whose link is down is spread over the live links by a
/// second, independent reduction (`mix64` of the hash), so a link going down moves only the
/// addresses that used it. With no live link there is no choice ([`Hop::Blocked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BypassChoice {
    /// The live flag of every configured link.
    live: Vec<bool>,
    /// The indices of the live links.
    up: Vec<u16>,
}

impl BypassChoice {
    /// The choice over the links of `plan` flagged live in `live`.
    pub(crate) fn build(plan: &LayerPlan, live: &[bool]) -> BypassChoice {
        let live: Vec<bool> = (0..plan.bypass.len())
            .map(|i| live.get(i).copied().unwrap_or(false))
            .collect();
        let up = (0..live.len())
            .filter(|&i| live.get(i).copied().unwrap_or(false))
            .filter_map(|i| u16::try_from(i).ok())
            .collect();
        BypassChoice { live, up }
    }

    /// The bypass link for `key`, `None` when no link is live.
    pub(crate) fn pick(&self, key: &Key) -> Option<u16> {
        let h = key_hash(key);
        let first = reduce(h, self.live.len() as u64) as usize;
        if self.live.get(first).copied().unwrap_or(false) {
            return u16::try_from(first).ok();
        }
        let other = reduce(mix64(h), self.up.len() as u64) as usize;
        self.up.get(other).copied()
    }
}

/// Everything hop selection needs about one layer, for one compile: the VM selector and the
/// bypass choice, rebuilt separately when VM or bypass liveness changes.
#[derive(Debug, Clone)]
pub(crate) struct LayerChooser {
    pub(crate) vms: Arc<LayerSelector>,
    pub(crate) bypass: Arc<BypassChoice>,
}

/// The hop of `key` at layer `layer`, with `pin` the address's override there, if any.
pub(crate) fn hop(
    layer: usize,
    plan: &LayerPlan,
    chooser: &LayerChooser,
    services: ServiceSet,
    key: &Key,
    pin: Option<u32>,
) -> Hop {
    let bypass = || chooser.bypass.pick(key).map_or(Hop::Blocked, Hop::Bypass);
    if !services.contains(layer) {
        return bypass();
    }
    match chooser.vms.pick(key, pin) {
        Some(vm) => Hop::Vm(vm),
        None => match plan.when_empty {
            WhenEmpty::FailClosed => Hop::Blocked,
            WhenEmpty::FailOpen => bypass(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{BypassPlan, VmPlan};
    use flowfall_select::Algorithm;

    fn layer(vms: usize, bypass: usize, when_empty: WhenEmpty) -> LayerPlan {
        LayerPlan {
            vms: (0..vms)
                .map(|i| VmPlan {
                    down_port: 10 + i as u32,
                    up_port: 10 + i as u32,
                    member: Member::new(100 + i as u64, 1),
                    up_instr: Vec::new().into(),
                    down_instr: Vec::new().into(),
                })
                .collect(),
            bypass: (0..bypass)
                .map(|i| BypassPlan {
                    down_port: 20 + i as u32,
                    up_port: 20 + i as u32,
                    up_instr: Vec::new().into(),
                    down_instr: Vec::new().into(),
                })
                .collect(),
            when_empty,
            algorithm: Algorithm::Rendezvous,
        }
    }

    /// The chooser of layer `l` with the VMs and bypass links flagged in `vms` and `links`.
    fn chooser(l: &LayerPlan, vms: &[bool], links: &[bool]) -> LayerChooser {
        LayerChooser {
            vms: Arc::new(LayerSelector::build(0, l, vms).unwrap_or_else(|e| panic!("{e}"))),
            bypass: Arc::new(BypassChoice::build(l, links)),
        }
    }

    #[test]
    fn hops_follow_the_set_and_the_empty_policy() {
        let key = Key::from(std::net::Ipv4Addr::new(10, 0, 0, 1));
        let with = ServiceSet::from_bits(1);
        let without = ServiceSet::EMPTY;
        let l = layer(3, 1, WhenEmpty::FailClosed);
        let sel = chooser(&l, &[true, false, true], &[true]);
        assert!(matches!(hop(0, &l, &sel, with, &key, None), Hop::Vm(0 | 2)));
        assert_eq!(hop(0, &l, &sel, without, &key, None), Hop::Bypass(0));
        let none = chooser(&l, &[false; 3], &[true]);
        assert_eq!(hop(0, &l, &none, with, &key, None), Hop::Blocked);
        let open = layer(3, 2, WhenEmpty::FailOpen);
        let open_none = chooser(&open, &[false; 3], &[true; 2]);
        assert!(matches!(
            hop(0, &open, &open_none, with, &key, None),
            Hop::Bypass(0 | 1)
        ));
        let open_no_bypass = layer(3, 0, WhenEmpty::FailOpen);
        let c = chooser(&open_no_bypass, &[false; 3], &[]);
        assert_eq!(hop(0, &open_no_bypass, &c, with, &key, None), Hop::Blocked);
    }

    #[test]
    fn pins_win_only_on_a_live_vm_of_a_used_layer() {
        let with = ServiceSet::from_bits(1);
        let l = layer(4, 1, WhenEmpty::FailClosed);
        let c = chooser(&l, &[true, true, false, true], &[true]);
        for k in 0..32u8 {
            let key = Key::from(std::net::Ipv4Addr::new(10, 0, k, 1));
            let hash = hop(0, &l, &c, with, &key, None);
            assert_eq!(hop(0, &l, &c, with, &key, Some(3)), Hop::Vm(3));
            assert_eq!(hop(0, &l, &c, with, &key, Some(1)), Hop::Vm(1));
            // A dead VM, a VM the layer does not have: the hash choice.
            assert_eq!(hop(0, &l, &c, with, &key, Some(2)), hash);
            assert_eq!(hop(0, &l, &c, with, &key, Some(9)), hash);
            // A layer the address does not use: its bypass.
            let bypassed = hop(0, &l, &c, ServiceSet::EMPTY, &key, Some(3));
            assert_eq!(bypassed, Hop::Bypass(0));
        }
        // A live pin keeps a layer whose hash choice has one VM left on the pinned one.
        let single = chooser(&l, &[false, false, true, true], &[true]);
        let key = Key::from(std::net::Ipv4Addr::new(10, 9, 9, 9));
        assert_eq!(hop(0, &l, &single, with, &key, Some(2)), Hop::Vm(2));
    }

    #[test]
    fn dead_bypass_links_move_only_their_addresses() {
        let l = layer(1, 4, WhenEmpty::FailClosed);
        let all = chooser(&l, &[true], &[true; 4]);
        let one_down = chooser(&l, &[true], &[true, false, true, true]);
        let none = chooser(&l, &[true], &[false; 4]);
        let mut moved = [0usize; 4];
        for k in 0..4096u32 {
            let key = Key::from(std::net::Ipv4Addr::from(0x0a00_0000 + k));
            let before = hop(0, &l, &all, ServiceSet::EMPTY, &key, None);
            let after = hop(0, &l, &one_down, ServiceSet::EMPTY, &key, None);
            match (before, after) {
                (Hop::Bypass(1), Hop::Bypass(b)) => moved[usize::from(b)] += 1,
                (b, a) => assert_eq!(b, a, "only link 1's addresses move"),
            }
            assert_eq!(
                hop(0, &l, &none, ServiceSet::EMPTY, &key, None),
                Hop::Blocked
            );
            // Subscribers of a layer with live VMs never need a bypass link.
            assert_eq!(
                hop(0, &l, &none, ServiceSet::from_bits(1), &key, None),
                Hop::Vm(0)
            );
        }
        // About a quarter of the keys used link 1; they spread over the three live links.
        assert_eq!(moved[1], 0);
        let total: usize = moved.iter().sum();
        assert!((850..1200).contains(&total), "{total}");
        assert!(
            moved
                .iter()
                .enumerate()
                .all(|(i, &m)| i == 1 || m > total / 5),
            "{moved:?}"
        );
    }

    #[test]
    fn one_live_vm_takes_every_key_as_every_algorithm_would() {
        for algorithm in Algorithm::ALL {
            let mut l = layer(4, 1, WhenEmpty::FailClosed);
            l.algorithm = algorithm;
            let live = [false, false, true, false];
            let fast = LayerSelector::build(0, &l, &live).unwrap_or_else(|e| panic!("{e}"));
            assert!(matches!(fast.choice, Choice::Single(2)));
            let built = algorithm
                .build(&[l.vms[2].member])
                .unwrap_or_else(|e| panic!("{e}"));
            for k in 0..64u8 {
                let key = Key::from(std::net::Ipv4Addr::new(10, 0, k, 1));
                assert_eq!(built.select(&key), Some(0));
                assert_eq!(fast.pick(&key, None), Some(2));
            }
        }
    }
}
