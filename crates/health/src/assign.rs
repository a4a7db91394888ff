//! Which VM each customer address goes through: the compiler's hash choice over a layer's live
//! VMs (architecture.md §3, `v_i = select(live VMs of layer i, key a)`), and the per-address
//! [`Overrides`] that failover pinning ([`crate::failover`]) and load balancing
//! ([`crate::balance`]) place above it.
//!
//! The unit is the customer **address** (one prefix of one customer, [`AddressKey`]), the
//! key the selectors hash, named by customer name and prefix so it survives configuration
//! reloads that reorder customers (as the compiler's cookie owners do). An override says
//! "address `a` goes through VM `v` at `v`'s layer", and applies only while `v` is live;
//! otherwise the hash choice stands.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use flowfall_select::{Algorithm, AnySelector, Key, Member, Selector};
use flowfall_topology::{SelectorKind, ServiceSet, Topology, VmId};
use ipnet::IpNet;

use crate::error::Error;
use crate::liveness::Nanos;

/// A customer address: one prefix (or host) of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressKey {
    /// Customer name.
    pub customer: String,
    /// The prefix, as configured (host bits clear).
    pub prefix: IpNet,
}

impl AddressKey {
    /// The key for `prefix` of `customer`.
    pub fn new(customer: impl Into<String>, prefix: IpNet) -> AddressKey {
        AddressKey {
            customer: customer.into(),
            prefix,
        }
    }
}

impl fmt::Display for AddressKey {
    /// `customer/prefix`, e.g. `c1/192.0.2.0/24`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.customer, self.prefix)
    }
}

/// Every address of `topology` with its customer's service set, customer by customer, IPv4
/// prefixes then IPv6 (the compiler's order).
pub fn addresses(topology: &Topology) -> Vec<(AddressKey, ServiceSet)> {
    topology
        .customers()
        .iter()
        .flat_map(|c| {
            c.ipv4
                .iter()
                .map(|&n| IpNet::V4(n))
                .chain(c.ipv6.iter().map(|&n| IpNet::V6(n)))
                .map(move |p| (AddressKey::new(c.name.clone(), p), c.services))
        })
        .collect()
}

/// A set of live VMs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveSet(BTreeSet<VmId>);

impl LiveSet {
    /// Every VM of `topology`.
    pub fn all(topology: &Topology) -> LiveSet {
        LiveSet(topology.all_vms().map(|v| v.id).collect())
    }

    /// Whether `vm` is live.
    pub fn contains(&self, vm: VmId) -> bool {
        self.0.contains(&vm)
    }

    /// Marks `vm` live; returns whether it was not.
    pub fn insert(&mut self, vm: VmId) -> bool {
        self.0.insert(vm)
    }

    /// Marks `vm` dead; returns whether it was live.
    pub fn remove(&mut self, vm: VmId) -> bool {
        self.0.remove(&vm)
    }

    /// The live VMs, layer by layer.
    pub fn iter(&self) -> impl Iterator<Item = VmId> + '_ {
        self.0.iter().copied()
    }

    /// The live VMs of `layer`.
    pub fn in_layer(&self, layer: usize) -> impl Iterator<Item = VmId> + '_ {
        let lo = VmId { layer, index: 0 };
        self.0
            .range(lo..)
            .copied()
            .take_while(move |v| v.layer == layer)
    }

    /// Number of live VMs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no VM is live.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<VmId> for LiveSet {
    fn from_iter<I: IntoIterator<Item = VmId>>(iter: I) -> Self {
        LiveSet(iter.into_iter().collect())
    }
}

/// Who placed an override.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OverrideReason {
    /// Failover pinned the address where it went while its hash VM was down.
    Failover,
    /// The load balancer moved it.
    Balance,
    /// An operator placed it.
    Operator,
}

impl OverrideReason {
    /// `failover`, `balance`, `operator`.
    pub const fn name(self) -> &'static str {
        match self {
            OverrideReason::Failover => "failover",
            OverrideReason::Balance => "balance",
            OverrideReason::Operator => "operator",
        }
    }
}

/// One override: the VM an address goes through at that VM's layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Override {
    /// The VM.
    pub vm: VmId,
    /// Who placed it.
    pub reason: OverrideReason,
    /// When.
    pub since: Nanos,
}

/// Per-address VM choices above the hash choice, at most one per (address, layer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Overrides {
    map: BTreeMap<(AddressKey, usize), Override>,
}

impl Overrides {
    /// No overrides.
    pub fn new() -> Overrides {
        Overrides::default()
    }

    /// The override of `address` at `layer`.
    pub fn get(&self, address: &AddressKey, layer: usize) -> Option<&Override> {
        self.map.get(&(address.clone(), layer))
    }

    /// Sets the override of `address` at `o.vm`'s layer; returns the one it replaces.
    pub fn insert(&mut self, address: AddressKey, o: Override) -> Option<Override> {
        self.map.insert((address, o.vm.layer), o)
    }

    /// Removes the override of `address` at `layer`.
    pub fn remove(&mut self, address: &AddressKey, layer: usize) -> Option<Override> {
        self.map.remove(&(address.clone(), layer))
    }

    /// Removes every override naming `vm`; returns them.
    pub fn remove_vm(&mut self, vm: VmId) -> Vec<(AddressKey, Override)> {
        let keys: Vec<(AddressKey, usize)> = self
            .map
            .iter()
            .filter(|(_, o)| o.vm == vm)
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .filter_map(|k| self.map.remove(&k).map(|o| (k.0, o)))
            .collect()
    }

    /// Keeps the overrides for which `keep(address, override)` holds; returns how many
    /// were removed.
    pub fn retain(&mut self, mut keep: impl FnMut(&AddressKey, &Override) -> bool) -> usize {
        let before = self.map.len();
        self.map.retain(|(a, _), o| keep(a, o));
        before - self.map.len()
    }

    /// Drops overrides that no longer fit `topology` (customer, prefix or VM gone, or the
    /// customer no longer uses the layer), e.g. after a reload; returns how many.
    pub fn prune(&mut self, topology: &Topology) -> usize {
        let known: BTreeMap<AddressKey, ServiceSet> = addresses(topology).into_iter().collect();
        self.retain(|a, o| {
            known.get(a).is_some_and(|s| s.contains(o.vm.layer)) && topology.vm(o.vm).is_some()
        })
    }

    /// Every override: `(address, override)` by address, then layer.
    pub fn iter(&self) -> impl Iterator<Item = (&AddressKey, &Override)> + '_ {
        self.map.iter().map(|((a, _), o)| (a, o))
    }

    /// Number of overrides.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of overrides per reason.
    pub fn count(&self, reason: OverrideReason) -> usize {
        self.map.values().filter(|o| o.reason == reason).count()
    }
}

fn algorithm(kind: SelectorKind) -> Algorithm {
    match kind {
        SelectorKind::Md5Mod => Algorithm::Md5Mod,
        SelectorKind::Rendezvous => Algorithm::Rendezvous,
        SelectorKind::Maglev => Algorithm::Maglev,
    }
}

/// Everything a [`LayerChooser`] is built from: the layer, its algorithm and its live VMs
/// in layer order with their `(stable_id, weight)`. Two equal keys build the same chooser,
/// whatever topology they come from, so a cache keyed by it needs no invalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChooserKey {
    layer: usize,
    kind: SelectorKind,
    members: Vec<(VmId, u64, u32)>,
}

impl ChooserKey {
    fn new(topology: &Topology, live: &LiveSet, layer: usize) -> ChooserKey {
        let l = topology.layer(layer);
        let members = l
            .map_or(&[][..], |l| l.vms.as_slice())
            .iter()
            .filter(|vm| live.contains(vm.id))
            .map(|vm| (vm.id, vm.stable_id, vm.weight))
            .collect();
        ChooserKey {
            layer,
            kind: l.map_or(SelectorKind::default(), |l| l.selector),
            members,
        }
    }
}

/// One layer's selector over its live VMs, built exactly as the compiler builds it (members
/// `(stable_id, weight)` of the live VMs in layer order, the layer's algorithm).
#[derive(Clone)]
pub struct LayerChooser {
    layer: usize,
    selector: AnySelector,
    vm_of_member: Vec<VmId>,
}

impl fmt::Debug for LayerChooser {
    /// The layer, algorithm and VMs, without the selector's tables (a Maglev table has
    /// 65,537 slots).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LayerChooser")
            .field("layer", &self.layer)
            .field("algorithm", &self.selector.algorithm())
            .field("vms", &self.vm_of_member)
            .finish()
    }
}

impl LayerChooser {
    /// The chooser of `layer` over the VMs of `live` in it.
    ///
    /// # Errors
    /// [`Error::Selector`] when the selector cannot be built (e.g. duplicate stable ids).
    pub fn new(topology: &Topology, live: &LiveSet, layer: usize) -> Result<LayerChooser, Error> {
        LayerChooser::build(&ChooserKey::new(topology, live, layer))
    }

    fn build(key: &ChooserKey) -> Result<LayerChooser, Error> {
        let members: Vec<Member> = key
            .members
            .iter()
            .map(|&(_, stable_id, weight)| Member::new(stable_id, weight))
            .collect();
        let selector = algorithm(key.kind)
            .build(&members)
            .map_err(|source| Error::Selector {
                layer: key.layer,
                source,
            })?;
        Ok(LayerChooser {
            layer: key.layer,
            selector,
            vm_of_member: key.members.iter().map(|&(vm, _, _)| vm).collect(),
        })
    }

    /// The layer.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// The hash choice for `prefix` (`None` when no VM is live).
    pub fn hash_choice(&self, prefix: IpNet) -> Option<VmId> {
        self.selector
            .select(&Key::from(prefix))
            .and_then(|m| self.vm_of_member.get(m).copied())
    }

    /// The VM `address` goes through: its override when that VM is live, else the hash
    /// choice.
    pub fn choice(
        &self,
        address: &AddressKey,
        overrides: &Overrides,
        live: &LiveSet,
    ) -> Option<VmId> {
        overrides
            .get(address, self.layer)
            .map(|o| o.vm)
            .filter(|&vm| live.contains(vm) && vm.layer == self.layer)
            .or_else(|| self.hash_choice(address.prefix))
    }
}

/// The most recently used [`LayerChooser`]s, so that a VM change does not rebuild the
/// selector tables of live sets seen before (a Maglev table of 65,537 slots costs a few
/// milliseconds in a release build, ~50 ms in a debug one).
///
/// Entries are keyed by everything a chooser is built from (layer, algorithm, live VMs with
/// their stable ids and weights), so a hit is the chooser [`LayerChooser::new`] would build,
/// also after a configuration reload: a layer whose VMs or weights changed simply misses.
/// At most [`ChooserCache::capacity`] entries are kept, least recently used evicted first.
#[derive(Clone)]
pub struct ChooserCache {
    capacity: usize,
    /// Least recently used first.
    entries: Vec<(ChooserKey, Arc<LayerChooser>)>,
    hits: u64,
    misses: u64,
}

impl ChooserCache {
    /// The default capacity: a VM going down and coming back in each of a few layers.
    pub const DEFAULT_CAPACITY: usize = 16;

    /// An empty cache keeping at most `capacity` choosers (0: none, every request builds).
    pub fn with_capacity(capacity: usize) -> ChooserCache {
        ChooserCache {
            capacity,
            entries: Vec::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The chooser of `layer` over the VMs of `live` in it, built only if no equal one is
    /// cached.
    ///
    /// # Errors
    /// As [`LayerChooser::new`] (failures are not cached).
    pub fn get(
        &mut self,
        topology: &Topology,
        live: &LiveSet,
        layer: usize,
    ) -> Result<Arc<LayerChooser>, Error> {
        let key = ChooserKey::new(topology, live, layer);
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == key) {
            self.hits += 1;
            let entry = self.entries.remove(i);
            let chooser = Arc::clone(&entry.1);
            self.entries.push(entry);
            return Ok(chooser);
        }
        self.misses += 1;
        let chooser = Arc::new(LayerChooser::build(&key)?);
        if self.capacity > 0 {
            if self.entries.len() >= self.capacity {
                self.entries.remove(0);
            }
            self.entries.push((key, Arc::clone(&chooser)));
        }
        Ok(chooser)
    }

    /// The most choosers kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of choosers kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Requests answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Requests that built a chooser.
    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// Forgets every chooser (the counters stay).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

impl Default for ChooserCache {
    /// An empty cache of [`ChooserCache::DEFAULT_CAPACITY`].
    fn default() -> Self {
        ChooserCache::with_capacity(ChooserCache::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for ChooserCache {
    /// Capacity, counters and the cached choosers (without their tables).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChooserCache")
            .field("capacity", &self.capacity)
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .field(
                "choosers",
                &self.entries.iter().map(|(_, c)| c).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Every address's VM at every layer it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    entries: Vec<(AddressKey, ServiceSet, Vec<Option<VmId>>)>,
    index: BTreeMap<AddressKey, usize>,
}

impl Assignment {
    /// The assignment of `topology` with `live` VMs and `overrides`: for each address and
    /// layer, `Some(vm)` when the address uses the layer and a VM is live, else `None`
    /// (bypass, or blocked when the layer is fail-closed).
    ///
    /// # Errors
    /// As [`LayerChooser::new`].
    pub fn compute(
        topology: &Topology,
        live: &LiveSet,
        overrides: &Overrides,
    ) -> Result<Assignment, Error> {
        Assignment::compute_cached(
            topology,
            live,
            overrides,
            &mut ChooserCache::with_capacity(0),
        )
    }

    /// As [`Assignment::compute`], taking the layers' choosers from `cache`.
    ///
    /// # Errors
    /// As [`LayerChooser::new`].
    pub fn compute_cached(
        topology: &Topology,
        live: &LiveSet,
        overrides: &Overrides,
        cache: &mut ChooserCache,
    ) -> Result<Assignment, Error> {
        let choosers = (0..topology.layers().len())
            .map(|l| cache.get(topology, live, l))
            .collect::<Result<Vec<_>, _>>()?;
        let entries: Vec<_> = addresses(topology)
            .into_iter()
            .map(|(a, services)| {
                let vms = choosers
                    .iter()
                    .map(|c| {
                        services
                            .contains(c.layer())
                            .then(|| c.choice(&a, overrides, live))
                            .flatten()
                    })
                    .collect();
                (a, services, vms)
            })
            .collect();
        let index = entries
            .iter()
            .enumerate()
            .map(|(i, (a, _, _))| (a.clone(), i))
            .collect();
        Ok(Assignment { entries, index })
    }

    /// The VM of `address` at `layer`.
    pub fn vm(&self, address: &AddressKey, layer: usize) -> Option<VmId> {
        let &i = self.index.get(address)?;
        self.entries.get(i)?.2.get(layer).copied().flatten()
    }

    /// Every address with its service set and its VM per layer.
    pub fn iter(&self) -> impl Iterator<Item = (&AddressKey, ServiceSet, &[Option<VmId>])> + '_ {
        self.entries.iter().map(|(a, s, v)| (a, *s, v.as_slice()))
    }

    /// The addresses going through `vm`.
    pub fn on_vm(&self, vm: VmId) -> impl Iterator<Item = &AddressKey> + '_ {
        self.entries
            .iter()
            .filter(move |(_, _, v)| v.get(vm.layer).copied().flatten() == Some(vm))
            .map(|(a, _, _)| a)
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no addresses.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{reload_pair, sample_topology};
    use flowfall_compile::{AddressId, Compilation, LiveVms};
    use flowfall_topology::synthetic::{SyntheticSpec, generate};

    fn key(c: &str, p: &str) -> AddressKey {
        AddressKey::new(c, p.parse().unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn addresses_in_compiler_order() {
        let a: Vec<String> = addresses(&sample_topology())
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(
            a,
            [
                "c1/192.0.2.0/24",
                "c2/198.51.100.0/24",
                "c2/203.0.113.7/32",
                "c3/203.0.113.128/25"
            ]
        );
    }

    #[test]
    fn overrides_apply_only_while_their_vm_is_live() {
        let topo = sample_topology();
        let mut live = LiveSet::all(&topo);
        let c = LayerChooser::new(&topo, &live, 0).unwrap_or_else(|e| panic!("{e}"));
        let a = key("c1", "192.0.2.0/24");
        let hash = c
            .hash_choice(a.prefix)
            .unwrap_or_else(|| panic!("no choice"));
        let other = VmId {
            layer: 0,
            index: (hash.index + 1) % 3,
        };
        let mut o = Overrides::new();
        o.insert(
            a.clone(),
            Override {
                vm: other,
                reason: OverrideReason::Balance,
                since: 5,
            },
        );
        assert_eq!(c.choice(&a, &o, &live), Some(other));
        live.remove(other);
        assert_eq!(
            c.choice(&a, &o, &live),
            Some(hash),
            "dead override VM: hash choice"
        );
        assert_eq!(o.count(OverrideReason::Balance), 1);
        assert_eq!(o.remove_vm(other).len(), 1);
        assert!(o.is_empty());
    }

    #[test]
    fn prune_after_reload() {
        let topo = sample_topology();
        let mut o = Overrides::new();
        let ov = |layer, index| Override {
            vm: VmId { layer, index },
            reason: OverrideReason::Operator,
            since: 0,
        };
        o.insert(key("c1", "192.0.2.0/24"), ov(1, 0)); // fine
        o.insert(key("c2", "198.51.100.0/24"), ov(1, 0)); // c2 does not use ddos
        o.insert(key("c9", "10.0.0.0/8"), ov(0, 0)); // no such customer
        o.insert(key("c1", "192.0.2.0/24"), ov(0, 7)); // no such VM
        assert_eq!(o.len(), 4);
        assert_eq!(o.prune(&topo), 3);
        assert_eq!(
            o.get(&key("c1", "192.0.2.0/24"), 1).map(|o| o.vm),
            Some(VmId { layer: 1, index: 0 })
        );
    }

    #[test]
    fn live_set_by_layer() {
        let topo = sample_topology();
        let mut live = LiveSet::all(&topo);
        assert_eq!(live.len(), 5);
        live.remove(VmId { layer: 0, index: 1 });
        let l0: Vec<usize> = live.in_layer(0).map(|v| v.index).collect();
        assert_eq!(l0, [0, 2]);
        assert_eq!(live.in_layer(1).count(), 2);
        assert_eq!(live.in_layer(5).count(), 0);
    }

    /// Every layer's cached chooser chooses as a freshly built one for every address.
    fn assert_cache_fresh(cache: &mut ChooserCache, topo: &Topology, live: &LiveSet) {
        for layer in 0..topo.layers().len() {
            let cached = cache
                .get(topo, live, layer)
                .unwrap_or_else(|e| panic!("{e}"));
            let fresh = LayerChooser::new(topo, live, layer).unwrap_or_else(|e| panic!("{e}"));
            for (a, _) in addresses(topo) {
                assert_eq!(
                    cached.hash_choice(a.prefix),
                    fresh.hash_choice(a.prefix),
                    "layer {layer} {a}"
                );
            }
        }
    }

    /// A cached chooser chooses as a fresh one across VMs going down and up, and across a
    /// reload that changes one VM's weight (same VM ids: only the key's weight tells the
    /// old chooser from the new one).
    #[test]
    fn cached_choosers_choose_as_fresh_ones() {
        for selector in [
            SelectorKind::Md5Mod,
            SelectorKind::Rendezvous,
            SelectorKind::Maglev,
        ] {
            let spec = SyntheticSpec {
                customers: 150,
                layers: 2,
                vms_per_layer: 5,
                selector,
                seed: 5,
                ipv6: false,
                ..Default::default()
            };
            let (topo, reloaded) = reload_pair(&spec, 1);
            let vm = |layer, index| VmId { layer, index };
            let steps = [
                (vm(0, 1), false),
                (vm(0, 3), false),
                (vm(0, 1), true),
                (vm(1, 0), false),
                (vm(0, 3), true),
                (vm(1, 0), true),
                (vm(0, 1), false),
                (vm(0, 1), true),
            ];
            let mut cache = ChooserCache::with_capacity(4);
            for t in [&topo, &reloaded, &topo] {
                let mut live = LiveSet::all(t);
                assert_cache_fresh(&mut cache, t, &live);
                for (v, up) in steps {
                    if up {
                        live.insert(v);
                    } else {
                        live.remove(v);
                    }
                    assert_cache_fresh(&mut cache, t, &live);
                }
            }
            assert!(cache.hits() > 0, "{selector:?}: no hit");
            assert!(cache.len() <= cache.capacity());
            // The reload matters: a stale chooser would choose differently.
            let all = LiveSet::all(&topo);
            let old = LayerChooser::new(&topo, &all, 0).unwrap_or_else(|e| panic!("{e}"));
            let new = LayerChooser::new(&reloaded, &all, 0).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                addresses(&topo)
                    .iter()
                    .any(|(a, _)| old.hash_choice(a.prefix) != new.hash_choice(a.prefix)),
                "{selector:?}: the weight change moves nothing"
            );
        }
    }

    #[test]
    fn cache_evicts_the_least_recently_used() {
        let topo = sample_topology();
        let mut cache = ChooserCache::with_capacity(2);
        let all = LiveSet::all(&topo);
        let mut one_down = all.clone();
        one_down.remove(VmId { layer: 0, index: 1 });
        let get = |cache: &mut ChooserCache, live: &LiveSet, layer| {
            cache
                .get(&topo, live, layer)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        get(&mut cache, &all, 0);
        get(&mut cache, &one_down, 0);
        get(&mut cache, &all, 0); // hit: `one_down` is now the least recent
        get(&mut cache, &all, 1); // evicts `one_down`
        assert_eq!((cache.hits(), cache.misses(), cache.len()), (1, 3, 2));
        get(&mut cache, &all, 0);
        get(&mut cache, &one_down, 0);
        assert_eq!((cache.hits(), cache.misses()), (2, 4));
        let mut none = ChooserCache::with_capacity(0);
        get(&mut none, &all, 0);
        get(&mut none, &all, 0);
        assert_eq!((none.hits(), none.misses(), none.len()), (0, 2, 0));
        cache.clear();
        assert!(cache.is_empty());
    }

    /// The assignment without overrides is exactly the compiler's choice, for every selector
    /// and with VMs down.
    #[test]
    fn matches_the_compiler() {
        for selector in [
            SelectorKind::Md5Mod,
            SelectorKind::Rendezvous,
            SelectorKind::Maglev,
        ] {
            let spec = SyntheticSpec {
                customers: 300,
                layers: 3,
                vms_per_layer: 6,
                selector,
                seed: 7,
                ..Default::default()
            };
            let topo = generate(&spec).unwrap_or_else(|e| panic!("{e}"));
            let mut live = LiveSet::all(&topo);
            live.remove(VmId { layer: 0, index: 2 });
            live.remove(VmId { layer: 2, index: 0 });
            live.remove(VmId { layer: 2, index: 5 });
            let ours = Assignment::compute(&topo, &live, &Overrides::new())
                .unwrap_or_else(|e| panic!("{e}"));
            let compiled = Compilation::new(
                Arc::new(topo.clone()),
                LiveVms::from_ids(&topo, live.iter()).unwrap_or_else(|e| panic!("{e}")),
                0,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(compiled.addresses().len(), ours.len());
            for (i, (a, _, vms)) in ours.iter().enumerate() {
                let theirs = compiled.chosen_vms(AddressId(i));
                let mine: Vec<VmId> = vms.iter().flatten().copied().collect();
                assert_eq!(mine, theirs, "{selector:?} {a}");
                assert_eq!(compiled.addresses()[i].prefix, a.prefix);
            }
        }
    }
}
