//! [`VmOverrides`]: per-address VM choices above the layers' hash choice ("pins"), for
//! failover pinning, load balancing and operators.
//!
//! An override says "at layer *l*, address *a* goes through VM *v*". It is keyed by customer
//! name and prefix, like the cookie owners ([`crate::cookie`]), so it survives configuration
//! reloads that reorder customers. In hop selection ([`crate::path`]) it wins over the hash
//! choice when, and only when, the layer is in the address's service set and *v* is a live VM
//! of that layer; otherwise it is ignored (not an error): a dead VM, a VM index the layer does
//! not have, a layer the customer does not use, or a customer or prefix the topology does not
//! have. The choice stays a pure function of the configuration and these inputs, so both
//! directions, proactive and reactive compilation and every controller replica agree
//! (architecture.md §3).
//!
//! ```
//! use flowfall_compile::VmOverrides;
//! use flowfall_topology::VmId;
//!
//! let mut pins = VmOverrides::new();
//! let prefix = "10.0.2.0/24".parse()?;
//! pins.insert("bravo", prefix, VmId { layer: 0, index: 1 });
//! assert_eq!(pins.get("bravo", prefix, 0), Some(VmId { layer: 0, index: 1 }));
//! assert_eq!(pins.get("bravo", prefix, 1), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use flowfall_topology::{Topology, VmId};
use ipnet::IpNet;

use crate::compilation::Address;
use crate::fxhash::FxBuild;

/// Per-address VM choices: `(customer name, prefix, layer) -> VM` (see the
/// [module docs](self)). Prefixes are stored with their host bits cleared.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VmOverrides {
    /// Customer name -> (prefix, layer) -> VM index in the layer. No empty inner map.
    map: BTreeMap<String, BTreeMap<(IpNet, usize), usize>>,
    len: usize,
}

impl VmOverrides {
    /// No overrides.
    pub fn new() -> VmOverrides {
        VmOverrides::default()
    }

    /// Sends `prefix` of `customer` through `vm` at `vm`'s layer; returns the VM it replaces.
    pub fn insert(&mut self, customer: impl Into<String>, prefix: IpNet, vm: VmId) -> Option<VmId> {
        let old = self
            .map
            .entry(customer.into())
            .or_default()
            .insert((prefix.trunc(), vm.layer), vm.index);
        if old.is_none() {
            self.len += 1;
        }
        old.map(|index| VmId {
            layer: vm.layer,
            index,
        })
    }

    /// Removes the override of `prefix` of `customer` at `layer`; returns its VM.
    pub fn remove(&mut self, customer: &str, prefix: IpNet, layer: usize) -> Option<VmId> {
        let inner = self.map.get_mut(customer)?;
        let index = inner.remove(&(prefix.trunc(), layer))?;
        if inner.is_empty() {
            self.map.remove(customer);
        }
        self.len -= 1;
        Some(VmId { layer, index })
    }

    /// The override of `prefix` of `customer` at `layer`.
    pub fn get(&self, customer: &str, prefix: IpNet, layer: usize) -> Option<VmId> {
        let index = *self.map.get(customer)?.get(&(prefix.trunc(), layer))?;
        Some(VmId { layer, index })
    }

    /// Every override, `(customer, prefix, vm)`, by customer name, prefix, then layer.
    pub fn iter(&self) -> impl Iterator<Item = (&str, IpNet, VmId)> + '_ {
        self.map.iter().flat_map(|(name, inner)| {
            inner.iter().map(move |(&(prefix, layer), &index)| {
                (name.as_str(), prefix, VmId { layer, index })
            })
        })
    }

    /// Number of overrides.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Extend<(String, IpNet, VmId)> for VmOverrides {
    fn extend<I: IntoIterator<Item = (String, IpNet, VmId)>>(&mut self, iter: I) {
        for (customer, prefix, vm) in iter {
            self.insert(customer, prefix, vm);
        }
    }
}

impl FromIterator<(String, IpNet, VmId)> for VmOverrides {
    fn from_iter<I: IntoIterator<Item = (String, IpNet, VmId)>>(iter: I) -> Self {
        let mut o = VmOverrides::new();
        o.extend(iter);
        o
    }
}

/// [`VmOverrides`] resolved against one compilation's addresses: `(address index, layer) ->
/// VM index`, for the overrides naming an address of the topology (whether the VM exists and
/// is live is decided at selection time, [`crate::path::LayerSelector::pick`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Pins {
    map: HashMap<(usize, usize), u32, FxBuild>,
}

impl Pins {
    /// Resolves `overrides` for the `addresses` of `topology` (`by_customer`: each customer's
    /// range of addresses).
    pub(crate) fn resolve(
        overrides: &VmOverrides,
        topology: &Topology,
        addresses: &[Address],
        by_customer: &[Range<usize>],
    ) -> Pins {
        let mut map = HashMap::with_capacity_and_hasher(overrides.len(), FxBuild::default());
        for (name, inner) in &overrides.map {
            let Some(range) = topology
                .customer_by_name(name)
                .and_then(|c| by_customer.get(c.index))
            else {
                continue;
            };
            for (&(prefix, layer), &vm) in inner {
                let found = range
                    .clone()
                    .find(|&i| addresses.get(i).is_some_and(|a| a.prefix == prefix));
                if let (Some(i), Ok(vm)) = (found, u32::try_from(vm)) {
                    map.insert((i, layer), vm);
                }
            }
        }
        Pins { map }
    }

    /// The pinned VM of address `address` at `layer`.
    #[inline]
    pub(crate) fn get(&self, address: usize, layer: usize) -> Option<u32> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get(&(address, layer)).copied()
    }

    /// Whether nothing is pinned.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The addresses whose pins differ between `self` and `other` (same address numbering),
    /// ascending.
    pub(crate) fn changed(&self, other: &Pins) -> Vec<usize> {
        let differs = |a: &Pins, b: &Pins| {
            a.map
                .iter()
                .filter(|(k, v)| b.map.get(k) != Some(v))
                .map(|((i, _), _)| *i)
                .collect::<Vec<_>>()
        };
        let mut out = differs(self, other);
        out.extend(differs(other, self));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether address `a` here has the same pins as address `b` in `other` on all `n` layers.
    pub(crate) fn same_for(&self, a: usize, other: &Pins, b: usize, n: usize) -> bool {
        (self.is_empty() && other.is_empty()) || (0..n).all(|l| self.get(a, l) == other.get(b, l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn insert_get_remove_iterate() {
        let mut o = VmOverrides::new();
        let vm = |layer, index| VmId { layer, index };
        assert_eq!(o.insert("b", net("10.0.0.0/24"), vm(1, 2)), None);
        assert_eq!(o.insert("a", net("10.1.0.0/24"), vm(0, 0)), None);
        // Host bits are cleared: the same prefix, replaced.
        assert_eq!(o.insert("b", net("10.0.0.9/24"), vm(1, 3)), Some(vm(1, 2)));
        assert_eq!(o.insert("b", net("10.0.0.0/24"), vm(0, 1)), None);
        assert_eq!(o.len(), 3);
        assert_eq!(o.get("b", net("10.0.0.0/24"), 1), Some(vm(1, 3)));
        assert_eq!(o.get("b", net("10.0.0.0/24"), 2), None);
        assert_eq!(o.get("c", net("10.0.0.0/24"), 1), None);
        let all: Vec<(&str, IpNet, VmId)> = o.iter().collect();
        assert_eq!(
            all,
            [
                ("a", net("10.1.0.0/24"), vm(0, 0)),
                ("b", net("10.0.0.0/24"), vm(0, 1)),
                ("b", net("10.0.0.0/24"), vm(1, 3)),
            ]
        );
        let rebuilt: VmOverrides = all.iter().map(|&(c, p, v)| (c.to_owned(), p, v)).collect();
        assert_eq!(rebuilt, o);
        assert_eq!(o.remove("a", net("10.1.0.0/24"), 0), Some(vm(0, 0)));
        assert_eq!(o.remove("a", net("10.1.0.0/24"), 0), None);
        assert_eq!(o.len(), 2);
        assert_eq!(o.remove("b", net("10.0.0.0/24"), 0), Some(vm(0, 1)));
        assert_eq!(o.remove("b", net("10.0.0.0/24"), 1), Some(vm(1, 3)));
        // Emptied: equal to a fresh set.
        assert!(o.is_empty());
        assert_eq!(o, VmOverrides::new());
    }

    #[test]
    fn pins_diff_by_address() {
        let mut a = Pins::default();
        let mut b = Pins::default();
        assert!(a.same_for(0, &b, 7, 3));
        a.map.insert((1, 0), 4);
        a.map.insert((2, 1), 5);
        b.map.insert((2, 1), 5);
        b.map.insert((3, 2), 1);
        b.map.insert((1, 0), 6);
        assert_eq!(a.changed(&b), [1, 3]);
        assert!(a.same_for(2, &b, 2, 3) && !a.same_for(1, &b, 1, 3));
        assert_eq!(a.get(2, 1), Some(5));
        assert_eq!(a.get(2, 0), None);
    }
}
