//! The path of one customer address through the layers: for each layer, the VM chosen by the
//! layer's selector over its live VMs, a bypass link, or nothing (fail-closed).
//!
//! This is the pure function architecture.md §3 relies on: the choice depends only on the
//! configuration, the live VMs and the address, so proactive and reactive compilation, both
//! directions and every controller replica agree.

use flowfall_select::hash::{key_hash, reduce};
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
    /// `fail-open` without a bypass link). The whole address is then dropped at the edges.
    Blocked,
}

/// A layer's selector over its live VMs, built once per compile (not per customer).
///
/// With no live VM or exactly one, every algorithm has one answer for every key (none, or
/// that VM), so no table is built: a Maglev table costs milliseconds to fill.
#[derive(Debug, Clone)]
pub(crate) enum LayerSelector {
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
        match vm_of_member.as_slice() {
            [] => Ok(LayerSelector::Empty),
            [one] if members.iter().all(|m| m.weight > 0) => Ok(LayerSelector::Single(*one)),
            _ => {
                let selector = plan
                    .algorithm
                    .build(&members)
                    .map_err(|source| Error::Selector { layer, source })?;
                Ok(LayerSelector::Many {
                    selector,
                    vm_of_member,
                })
            }
        }
    }

    /// The VM index chosen for `key`, or `None` when no VM is live.
    pub(crate) fn pick(&self, key: &Key) -> Option<u32> {
        match self {
            LayerSelector::Empty => None,
            LayerSelector::Single(vm) => Some(*vm),
            LayerSelector::Many {
                selector,
                vm_of_member,
            } => selector
                .select(key)
                .and_then(|m| vm_of_member.get(m).copied()),
        }
    }
}

/// The bypass link of a layer for `key`: `key_hash(key)` reduced over the links (links are
/// static, so plain modulo-style reduction is stable).
pub(crate) fn bypass_for(plan: &LayerPlan, key: &Key) -> Option<u16> {
    match plan.bypass.len() {
        0 => None,
        n => Some(reduce(key_hash(key), n as u64) as u16),
    }
}

/// The hop of `key` at layer `layer`.
pub(crate) fn hop(
    layer: usize,
    plan: &LayerPlan,
    selector: &LayerSelector,
    services: ServiceSet,
    key: &Key,
) -> Hop {
    let bypass = || bypass_for(plan, key).map_or(Hop::Blocked, Hop::Bypass);
    if !services.contains(layer) {
        return bypass();
    }
    match selector.pick(key) {
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

    #[test]
    fn hops_follow_the_set_and_the_empty_policy() {
        let key = Key::from(std::net::Ipv4Addr::new(10, 0, 0, 1));
        let with = ServiceSet::from_bits(1);
        let without = ServiceSet::EMPTY;
        let l = layer(3, 1, WhenEmpty::FailClosed);
        let sel =
            LayerSelector::build(0, &l, &[true, false, true]).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(hop(0, &l, &sel, with, &key), Hop::Vm(0 | 2)));
        assert_eq!(hop(0, &l, &sel, without, &key), Hop::Bypass(0));
        let none = LayerSelector::build(0, &l, &[false; 3]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hop(0, &l, &none, with, &key), Hop::Blocked);
        let open = layer(3, 2, WhenEmpty::FailOpen);
        assert!(matches!(
            hop(0, &open, &none, with, &key),
            Hop::Bypass(0 | 1)
        ));
        let open_no_bypass = layer(3, 0, WhenEmpty::FailOpen);
        assert_eq!(hop(0, &open_no_bypass, &none, with, &key), Hop::Blocked);
    }

    #[test]
    fn one_live_vm_takes_every_key_as_every_algorithm_would() {
        for algorithm in Algorithm::ALL {
            let mut l = layer(4, 1, WhenEmpty::FailClosed);
            l.algorithm = algorithm;
            let live = [false, false, true, false];
            let fast = LayerSelector::build(0, &l, &live).unwrap_or_else(|e| panic!("{e}"));
            assert!(matches!(fast, LayerSelector::Single(2)));
            let built = algorithm
                .build(&[l.vms[2].member])
                .unwrap_or_else(|e| panic!("{e}"));
            for k in 0..64u8 {
                let key = Key::from(std::net::Ipv4Addr::new(10, 0, k, 1));
                assert_eq!(built.select(&key), Some(0));
                assert_eq!(fast.pick(&key), Some(2));
            }
        }
    }
}
