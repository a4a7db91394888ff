//! [`Compilation`]: a topology, its live VMs and a generation, compiled; the state that
//! incremental recompiles start from.
//!
//! A compilation holds, per customer address, the hop chosen at every layer ([`Hop`]), and
//! produces from it the flow entries of every switch ([`Compilation::tables`]), the entries of
//! one address ([`Compilation::address_flows`], what reactive mode installs on a packet-in),
//! the capacity [`Report`], and ordered [`Diff`]s to a new topology or live-VM set
//! ([`Compilation::update`]).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;

use flowfall_select::Key;
use flowfall_topology::{Customer, PortRole, Topology, VmId};
use flowfall_tos::ServiceSet;
use ipnet::IpNet;

use crate::cookie::{OwnerId, OwnerTable};
use crate::diff::{Diff, keyed_diff};
use crate::entry::FlowEntry;
use crate::error::Error;
use crate::live::LiveVms;
use crate::path::{Hop, LayerSelector, hop};
use crate::plan::Plan;
use crate::report::{Report, SwitchReport};
use crate::rules::{AddressRef, Rules};
use crate::sim::Packet;
use crate::tables::{SwitchTable, Tables};

/// Index of a customer address in a [`Compilation`] ([`Compilation::addresses`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressId(pub usize);

/// One customer address (a prefix of a customer; a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    /// The customer's index in the topology.
    pub customer: usize,
    /// The prefix.
    pub prefix: IpNet,
    /// The selection key: the prefix, or for a /32 or /128 exactly the address bytes, as the
    /// paper hashes them.
    pub key: Key,
    /// Owner id in the cookies of the address's entries.
    pub owner: OwnerId,
    /// The customer's service set.
    pub services: ServiceSet,
}

/// A compiled topology (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Compilation {
    topology: Arc<Topology>,
    live: LiveVms,
    generation: u16,
    plan: Arc<Plan>,
    selectors: Vec<Arc<LayerSelector>>,
    addresses: Arc<Vec<Address>>,
    by_customer: Arc<Vec<Range<usize>>>,
    /// `addresses.len() * n` hops, address-major.
    hops: Vec<Hop>,
    /// Per layer, the addresses whose service set contains it.
    users: Arc<Vec<Vec<u32>>>,
}

/// Every address of every customer, with collision-free owner ids.
fn enumerate_addresses(t: &Topology) -> (Vec<Address>, Vec<Range<usize>>) {
    let mut addresses = Vec::new();
    let mut by_customer = Vec::with_capacity(t.customers().len());
    for (ci, c) in t.customers().iter().enumerate() {
        let start = addresses.len();
        let prefixes = c
            .ipv4
            .iter()
            .map(|&n| IpNet::V4(n))
            .chain(c.ipv6.iter().map(|&n| IpNet::V6(n)));
        for prefix in prefixes {
            addresses.push(Address {
                customer: ci,
                prefix,
                key: Key::from(prefix),
                owner: OwnerId::NONE,
                services: c.services,
            });
        }
        by_customer.push(start..addresses.len());
    }
    // Owners: each address's hash, unless two collide; then, as OwnerTable documents, in
    // (name, prefix) order so the result does not depend on the order of the file. Without a
    // collision both give every address its hash, so the sort is only paid for collisions.
    let customers = t.customers();
    let name = |a: &Address| customers.get(a.customer).map_or("", |c| c.name.as_str());
    let base: Vec<OwnerId> = addresses
        .iter()
        .map(|a| OwnerId::for_address(name(a), a.prefix, 0))
        .collect();
    let mut sorted = base.clone();
    sorted.sort_unstable();
    if sorted.windows(2).all(|w| w[0] != w[1]) {
        for (a, owner) in addresses.iter_mut().zip(base) {
            a.owner = owner;
        }
    } else {
        let mut order: Vec<(&str, IpNet, usize)> = addresses
            .iter()
            .enumerate()
            .map(|(i, a)| (name(a), a.prefix, i))
            .collect();
        order.sort_unstable();
        let mut owners = OwnerTable::with_capacity(addresses.len());
        for (n, prefix, i) in order {
            let owner = owners.assign(n, prefix);
            if let Some(a) = addresses.get_mut(i) {
                a.owner = owner;
            }
        }
    }
    (addresses, by_customer)
}

fn build_selectors(plan: &Plan, live: &LiveVms) -> Result<Vec<Arc<LayerSelector>>, Error> {
    plan.layers
        .iter()
        .enumerate()
        .map(|(l, lp)| LayerSelector::build(l, lp, live.layer(l)).map(Arc::new))
        .collect()
}

/// Whether two topologies differ only in their customers.
fn same_structure(a: &Topology, b: &Topology) -> bool {
    a.chain() == b.chain()
        && a.switches() == b.switches()
        && a.backbone() == b.backbone()
        && a.layers() == b.layers()
}

/// Whether a customer is configured identically (its position aside).
fn same_customer(a: &Customer, b: &Customer) -> bool {
    a.name == b.name
        && a.port == b.port
        && a.cpe_mac == b.cpe_mac
        && a.ipv4 == b.ipv4
        && a.ipv6 == b.ipv6
        && a.services == b.services
        && a.tos == b.tos
}

impl Compilation {
    /// Compiles `topology` with the VMs of `live` up, stamping cookies with `generation`.
    ///
    /// # Errors
    /// [`Error::LiveMismatch`] when `live` was made for another topology;
    /// [`Error::Selector`] when a layer's selector cannot be built;
    /// [`Error::CapacityExceeded`] when a switch's table exceeds its declared capacity.
    pub fn new(
        topology: Arc<Topology>,
        live: LiveVms,
        generation: u16,
    ) -> Result<Compilation, Error> {
        if !live.fits(&topology) {
            return Err(Error::LiveMismatch);
        }
        let plan = Plan::new(&topology);
        let selectors = build_selectors(&plan, &live)?;
        let (addresses, by_customer) = enumerate_addresses(&topology);
        let n = plan.n;
        let mut hops = Vec::with_capacity(addresses.len() * n);
        let mut users = vec![Vec::new(); n];
        for (i, a) in addresses.iter().enumerate() {
            for (l, (lp, sel)) in plan.layers.iter().zip(&selectors).enumerate() {
                hops.push(hop(l, lp, sel, a.services, &a.key));
                if a.services.contains(l)
                    && let Some(u) = users.get_mut(l)
                {
                    u.push(i as u32);
                }
            }
        }
        let c = Compilation {
            topology,
            live,
            generation,
            plan: Arc::new(plan),
            selectors,
            addresses: Arc::new(addresses),
            by_customer: Arc::new(by_customer),
            hops,
            users: Arc::new(users),
        };
        c.report().check()?;
        Ok(c)
    }

    /// The topology compiled.
    pub fn topology(&self) -> &Arc<Topology> {
        &self.topology
    }

    /// The live VMs compiled for.
    pub fn live(&self) -> &LiveVms {
        &self.live
    }

    /// The generation stamped into cookies of entries this compilation emits.
    pub fn generation(&self) -> u16 {
        self.generation
    }

    /// Every customer address, customer by customer (IPv4 prefixes, then IPv6).
    pub fn addresses(&self) -> &[Address] {
        &self.addresses
    }

    /// Address `id`.
    pub fn address(&self, id: AddressId) -> Option<&Address> {
        self.addresses.get(id.0)
    }

    /// The addresses of customer `customer` (an index range into [`Compilation::addresses`]).
    pub fn addresses_of(&self, customer: usize) -> Range<usize> {
        self.by_customer.get(customer).cloned().unwrap_or(0..0)
    }

    /// The hops of address `id`, one per layer.
    pub fn path(&self, id: AddressId) -> &[Hop] {
        let n = self.plan.n;
        self.hops.get(id.0 * n..(id.0 + 1) * n).unwrap_or(&[])
    }

    /// The VMs address `id` crosses, in upstream order (an empty list when blocked).
    pub fn chosen_vms(&self, id: AddressId) -> Vec<VmId> {
        let path = self.path(id);
        if path.contains(&Hop::Blocked) {
            return Vec::new();
        }
        path.iter()
            .enumerate()
            .filter_map(|(layer, h)| match h {
                Hop::Vm(v) => Some(VmId {
                    layer,
                    index: *v as usize,
                }),
                _ => None,
            })
            .collect()
    }

    fn rules(&self) -> Rules<'_> {
        Rules {
            plan: &self.plan,
            generation: self.generation,
        }
    }

    fn address_ref(&self, i: usize) -> Option<AddressRef> {
        self.addresses.get(i).map(|a| AddressRef {
            customer: a.customer,
            prefix: a.prefix,
            owner: a.owner,
        })
    }

    /// The upstream and downstream entries of address `id` on every switch, `(switch,
    /// entry)`: what reactive mode installs when the address's first packet arrives, and
    /// exactly the address's share of the proactive tables.
    pub fn address_flows(&self, id: AddressId) -> Vec<(usize, FlowEntry)> {
        let mut out = Vec::with_capacity(2 * (self.plan.n + 1));
        if let Some(a) = self.address_ref(id.0) {
            self.rules()
                .address(&a, self.path(id), &mut |k, e| out.push((k, e)));
        }
        out
    }

    /// Everything the compiler defines for one address: its flows and, in reactive mode, its
    /// punt entries.
    fn unit_entries(
        &self,
        rules: &Rules<'_>,
        i: usize,
        hops: &[Hop],
        out: &mut Vec<(usize, FlowEntry)>,
    ) {
        if let Some(a) = self.address_ref(i) {
            let mut emit = |k, e| out.push((k, e));
            rules.address(&a, hops, &mut emit);
            if self.plan.reactive {
                rules.punts(&a, &mut emit);
            }
        }
    }

    /// The tables to install now: everything in proactive mode; in reactive mode the
    /// switch-wide, anti-spoofing and punt entries (address entries follow packet-ins).
    pub fn tables(&self) -> Tables {
        self.materialize(!self.plan.reactive)
    }

    /// Every entry the compiler defines, including in reactive mode the address entries of
    /// every address, as if all were active (the reference for diffs and reconciliation).
    pub fn all_entries(&self) -> Tables {
        self.materialize(true)
    }

    fn materialize(&self, with_flows: bool) -> Tables {
        let report = self.report();
        let rules = self.rules();
        let mut per: Vec<Vec<FlowEntry>> = report
            .switches
            .iter()
            .map(|s| {
                Vec::with_capacity(if with_flows {
                    s.worst_case()
                } else {
                    s.installed()
                })
            })
            .collect();
        for (k, v) in per.iter_mut().enumerate() {
            rules.static_entries(k, v);
        }
        if let Some(j0) = per.first_mut() {
            j0.extend((0..self.plan.customers.len()).filter_map(|c| rules.anti_spoof(c)));
        }
        for i in 0..self.addresses.len() {
            let Some(a) = self.address_ref(i) else {
                continue;
            };
            let mut emit = |k: usize, e| {
                if let Some(v) = per.get_mut(k) {
                    v.push(e);
                }
            };
            if with_flows {
                rules.address(&a, self.path(AddressId(i)), &mut emit);
            }
            if self.plan.reactive {
                rules.punts(&a, &mut emit);
            }
        }
        Tables {
            switches: self
                .topology
                .switches()
                .iter()
                .zip(per)
                .map(|(s, entries)| SwitchTable {
                    index: s.index,
                    name: s.name.clone(),
                    dpid: s.dpid,
                    vlan: s.vlan,
                    entries,
                })
                .collect(),
        }
    }

    /// Entries per switch and table, without building the tables.
    pub fn report(&self) -> Report {
        let n = self.plan.n;
        let mut address_entries = vec![0usize; n + 1];
        for i in 0..self.addresses.len() {
            if self.path(AddressId(i)).contains(&Hop::Blocked) {
                address_entries[0] += 1;
                address_entries[n] += 1;
            } else {
                for c in &mut address_entries {
                    *c += 2;
                }
            }
        }
        let statics = if self.plan.reactive { 3 } else { 1 };
        let punts = if self.plan.reactive {
            self.addresses.len()
        } else {
            0
        };
        let switches = self
            .topology
            .switches()
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let flows = address_entries.get(k).copied().unwrap_or(0);
                let mut installed = statics;
                if k == 0 {
                    installed += self.plan.customers.len() + punts;
                }
                if k == n {
                    installed += punts;
                }
                let on_demand = if self.plan.reactive {
                    flows
                } else {
                    installed += flows;
                    0
                };
                SwitchReport {
                    index: k,
                    name: s.name.clone(),
                    dpid: s.dpid,
                    capacity: s.capacity,
                    tables: [(0u8, installed)].into_iter().collect(),
                    on_demand,
                }
            })
            .collect();
        Report { switches }
    }

    /// The address a packet-in belongs to: the packet arrived on `in_port` of switch
    /// `switch`; upstream ports (customer edge, VD, BD) name the source address, downstream
    /// ports (edge-up, VU, BU) the destination. `None` for a non-IP packet, an address of no
    /// customer, or a source arriving on another customer's edge port (spoofed).
    pub fn locate(&self, switch: usize, packet: &Packet) -> Option<AddressId> {
        let (src, dst) = packet.ip_addrs()?;
        let role = self.topology.role(switch, packet.in_port)?;
        let addr: IpAddr = if role.leads_up() { dst } else { src };
        let customer = self.topology.customer_for_address(addr)?;
        if let PortRole::Edge { customer: c } = role
            && c != customer.index
        {
            return None;
        }
        self.addresses_of(customer.index)
            .find(|&i| {
                self.addresses
                    .get(i)
                    .is_some_and(|a| a.prefix.contains(&addr))
            })
            .map(AddressId)
    }

    /// Recompiles for `live` (same topology); see [`Compilation::update`].
    ///
    /// # Errors
    /// As [`Compilation::update`].
    pub fn set_live(&mut self, live: LiveVms, generation: u16) -> Result<Diff, Error> {
        let topology = Arc::clone(&self.topology);
        self.update(topology, live, generation)
    }

    /// Recompiles for a new topology and live-VM set and returns the ordered diff from the
    /// current tables to the new ones ([`Diff`]; in reactive mode it covers the address
    /// entries of every address, see [`Diff::retain`]). On error nothing changes.
    ///
    /// Incremental when only liveness and customers change: a layer whose live VMs changed
    /// gets a new selector and only its subscribers are re-selected; only addresses whose hops
    /// changed, and customers whose configuration changed, are recompiled. Any other change
    /// (chain options, switches, backbone, layers) recompiles everything and diffs the full
    /// tables.
    ///
    /// # Errors
    /// As [`Compilation::new`]; the current state is kept.
    pub fn update(
        &mut self,
        topology: Arc<Topology>,
        live: LiveVms,
        generation: u16,
    ) -> Result<Diff, Error> {
        if !live.fits(&topology) {
            return Err(Error::LiveMismatch);
        }
        let n = self.plan.n;
        if !same_structure(&self.topology, &topology) {
            let new = Compilation::new(topology, live, generation)?;
            let diff = Diff::between(&self.all_entries(), &new.all_entries(), new.plan.n);
            *self = new;
            return Ok(diff);
        }
        let same_customers = Arc::ptr_eq(&self.topology, &topology)
            || self.topology.customers() == topology.customers();
        let mut selectors = self.selectors.clone();
        let mut reselect = vec![false; n];
        for (l, (slot, r)) in selectors.iter_mut().zip(&mut reselect).enumerate() {
            if live.layer(l) != self.live.layer(l) {
                let lp = self.plan.layers.get(l).ok_or(Error::LiveMismatch)?;
                *slot = Arc::new(LayerSelector::build(l, lp, live.layer(l))?);
                *r = true;
            }
        }
        if same_customers {
            return self.reselect(topology, live, generation, selectors, &reselect);
        }
        let plan = Arc::new(Plan::new(&topology));
        let mut next = Compilation {
            topology,
            live,
            generation,
            plan,
            selectors,
            addresses: Arc::default(),
            by_customer: Arc::default(),
            hops: Vec::new(),
            users: Arc::default(),
        };
        let mut old_entries = Vec::new();
        let mut new_entries = Vec::new();
        self.customers_changed(&mut next, &reselect, &mut old_entries, &mut new_entries);
        let mut ops = Vec::new();
        keyed_diff(old_entries, new_entries, &mut ops);
        let diff = Diff::from_ops(ops, n);
        next.report().check()?;
        *self = next;
        Ok(diff)
    }

    /// The liveness-only update: the subscribers of the layers in `reselect` are re-selected
    /// with `selectors`; hops are patched in place (and restored if the capacity check
    /// fails), and only addresses whose hops changed are recompiled.
    fn reselect(
        &mut self,
        topology: Arc<Topology>,
        live: LiveVms,
        generation: u16,
        selectors: Vec<Arc<LayerSelector>>,
        reselect: &[bool],
    ) -> Result<Diff, Error> {
        let n = self.plan.n;
        // (hop index, old hop, new hop) of every hop that changes.
        let mut patches: Vec<(usize, Hop, Hop)> = Vec::new();
        let mut changed: Vec<usize> = Vec::new();
        let mut seen = vec![false; self.addresses.len()];
        for (l, _) in reselect.iter().enumerate().filter(|(_, r)| **r) {
            let (Some(lp), Some(sel), Some(users)) =
                (self.plan.layers.get(l), selectors.get(l), self.users.get(l))
            else {
                continue;
            };
            for &a in users {
                let a = a as usize;
                let Some(addr) = self.addresses.get(a) else {
                    continue;
                };
                let h = hop(l, lp, sel, addr.services, &addr.key);
                if let Some(old) = self.hops.get(a * n + l).copied()
                    && old != h
                {
                    patches.push((a * n + l, old, h));
                    if let Some(s) = seen.get_mut(a)
                        && !*s
                    {
                        *s = true;
                        changed.push(a);
                    }
                }
            }
        }
        // The entries of the changed addresses before...
        let mut old_entries = Vec::new();
        let old_rules = self.rules();
        for &a in &changed {
            self.unit_entries(&old_rules, a, self.path(AddressId(a)), &mut old_entries);
        }
        // ... and after.
        for &(i, _, new) in &patches {
            if let Some(slot) = self.hops.get_mut(i) {
                *slot = new;
            }
        }
        if let Err(e) = self.report().check() {
            for &(i, old, _) in &patches {
                if let Some(slot) = self.hops.get_mut(i) {
                    *slot = old;
                }
            }
            return Err(e);
        }
        let new_rules = Rules {
            plan: &self.plan,
            generation,
        };
        let mut new_entries = Vec::new();
        for &a in &changed {
            self.unit_entries(&new_rules, a, self.path(AddressId(a)), &mut new_entries);
        }
        let mut ops = Vec::new();
        keyed_diff(old_entries, new_entries, &mut ops);
        self.topology = topology;
        self.live = live;
        self.generation = generation;
        self.selectors = selectors;
        Ok(Diff::from_ops(ops, n))
    }

    /// The customer part of an incremental update: `next` has the new topology, plan and
    /// selectors; fills its addresses, hops and users, and the entries that change.
    fn customers_changed(
        &self,
        next: &mut Compilation,
        reselect: &[bool],
        old_entries: &mut Vec<(usize, FlowEntry)>,
        new_entries: &mut Vec<(usize, FlowEntry)>,
    ) {
        let n = self.plan.n;
        let (addresses, by_customer) = enumerate_addresses(&next.topology);
        next.addresses = Arc::new(addresses);
        next.by_customer = Arc::new(by_customer);
        let old_customers = self.topology.customers();
        let new_customers = next.topology.customers();
        let old_index: HashMap<(&str, IpNet), usize> = self
            .addresses
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                Some(((old_customers.get(a.customer)?.name.as_str(), a.prefix), i))
            })
            .collect();
        let mut kept_old: HashSet<usize> = HashSet::new();
        let mut hops = Vec::with_capacity(next.addresses.len() * n);
        let mut users = vec![Vec::new(); n];
        let mut recompile: Vec<usize> = Vec::new();
        for (i, a) in next.addresses.iter().enumerate() {
            let Some(c) = new_customers.get(a.customer) else {
                continue;
            };
            let old = old_index
                .get(&(c.name.as_str(), a.prefix))
                .copied()
                .filter(|&o| {
                    self.addresses.get(o).is_some_and(|oa| {
                        oa.owner == a.owner
                            && old_customers
                                .get(oa.customer)
                                .is_some_and(|oc| same_customer(oc, c))
                    })
                });
            let mut differs = old.is_none();
            for (l, (lp, sel)) in next.plan.layers.iter().zip(&next.selectors).enumerate() {
                let carried = old.and_then(|o| self.hops.get(o * n + l).copied());
                let h = match carried {
                    Some(h) if !reselect.get(l).copied().unwrap_or(true) => h,
                    _ => hop(l, lp, sel, a.services, &a.key),
                };
                differs |= carried != Some(h);
                hops.push(h);
                if a.services.contains(l)
                    && let Some(u) = users.get_mut(l)
                {
                    u.push(i as u32);
                }
            }
            if let Some(o) = old {
                kept_old.insert(o);
                if differs {
                    let old_hops = self.path(AddressId(o));
                    self.unit_entries(&self.rules(), o, old_hops, old_entries);
                    recompile.push(i);
                }
            } else {
                recompile.push(i);
            }
        }
        next.hops = hops;
        next.users = Arc::new(users);
        let new_rules = next.rules();
        for i in recompile {
            next.unit_entries(&new_rules, i, next.path(AddressId(i)), new_entries);
        }
        let old_rules = self.rules();
        for o in (0..self.addresses.len()).filter(|o| !kept_old.contains(o)) {
            self.unit_entries(&old_rules, o, self.path(AddressId(o)), old_entries);
        }
        // Anti-spoofing entries of customers added, removed or changed.
        let new_by_name: HashMap<&str, &Customer> =
            new_customers.iter().map(|c| (c.name.as_str(), c)).collect();
        let old_by_name: HashMap<&str, &Customer> =
            old_customers.iter().map(|c| (c.name.as_str(), c)).collect();
        for c in old_customers {
            if !new_by_name
                .get(c.name.as_str())
                .is_some_and(|nc| same_customer(c, nc))
                && let Some(e) = old_rules.anti_spoof(c.index)
            {
                old_entries.push((0, e));
            }
        }
        for c in new_customers {
            if !old_by_name
                .get(c.name.as_str())
                .is_some_and(|oc| same_customer(oc, c))
                && let Some(e) = new_rules.anti_spoof(c.index)
            {
                new_entries.push((0, e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Overflow;
    use std::net::Ipv4Addr;

    const LAB: &str = include_str!("../../../examples/configs/lab.toml");

    fn lab(edit: impl Fn(&str) -> String) -> Arc<Topology> {
        Arc::new(Topology::from_toml_str(&edit(LAB)).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn capacity_overflow_fails_the_compile() {
        let t = lab(|s| s.replace("name = \"j1\"\n", "name = \"j1\"\ncapacity = 10\n"));
        let err = Compilation::new(Arc::clone(&t), LiveVms::all(&t), 1).err();
        assert_eq!(
            err,
            Some(Error::CapacityExceeded {
                overflows: vec![Overflow {
                    switch: "j1".into(),
                    entries: 11,
                    capacity: 10
                }]
            })
        );
        let fits = lab(|s| s.replace("name = \"j1\"\n", "name = \"j1\"\ncapacity = 11\n"));
        assert!(Compilation::new(Arc::clone(&fits), LiveVms::all(&fits), 1).is_ok());
    }

    #[test]
    fn failed_update_keeps_the_state() {
        let t = lab(|s| s.to_owned());
        let mut c =
            Compilation::new(Arc::clone(&t), LiveVms::all(&t), 1).unwrap_or_else(|e| panic!("{e}"));
        let before = c.all_entries();
        let tight = lab(|s| s.replace("name = \"j2\"\n", "name = \"j2\"\ncapacity = 3\n"));
        assert!(matches!(
            c.update(Arc::clone(&tight), LiveVms::all(&tight), 2),
            Err(Error::CapacityExceeded { .. })
        ));
        assert_eq!(c.all_entries(), before);
        assert_eq!(c.generation(), 1);
        // A live set of another shape is refused, also without changing anything.
        let bigger = lab(|s| {
            s.replace(
                "up_mac = \"02:00:00:01:03:02\"",
                "up_mac = \"02:00:00:01:03:02\"\n[[layers.hypervisors.vms]]\nname = \"fw-4\"\n\
                 down_mac = \"02:00:00:01:04:01\"\nup_mac = \"02:00:00:01:04:02\"",
            )
        });
        assert_eq!(
            c.set_live(LiveVms::all(&bigger), 3).err(),
            Some(Error::LiveMismatch)
        );
        assert_eq!(c.all_entries(), before);
    }

    #[test]
    fn report_counts_entries_per_switch() {
        let t = lab(|s| s.to_owned());
        let c =
            Compilation::new(Arc::clone(&t), LiveVms::all(&t), 1).unwrap_or_else(|e| panic!("{e}"));
        // 5 addresses x 2 directions + table-miss, + 4 anti-spoof entries at J0.
        let counts: Vec<usize> = c.report().switches.iter().map(|s| s.installed()).collect();
        assert_eq!(counts, vec![15, 11, 11]);
        let tables = c.tables();
        let real: Vec<usize> = tables.switches.iter().map(|s| s.entries.len()).collect();
        assert_eq!(real, counts);
        // Reactive: 3 switch-wide entries, the punts at the edges, address flows on demand.
        let r = lab(|s| s.replace("mode = \"proactive\"", "mode = \"reactive\""));
        let c =
            Compilation::new(Arc::clone(&r), LiveVms::all(&r), 1).unwrap_or_else(|e| panic!("{e}"));
        let report = c.report();
        let counts: Vec<(usize, usize)> = report
            .switches
            .iter()
            .map(|s| (s.installed(), s.on_demand))
            .collect();
        assert_eq!(counts, vec![(12, 10), (3, 10), (8, 10)]);
        assert_eq!(c.tables().len(), 23);
        assert_eq!(c.all_entries().len(), 53);
    }

    #[test]
    fn locate_finds_the_address_of_a_packet_in() {
        let t = lab(|s| s.to_owned());
        let c =
            Compilation::new(Arc::clone(&t), LiveVms::all(&t), 1).unwrap_or_else(|e| panic!("{e}"));
        let delta_host = IpAddr::V4(Ipv4Addr::new(10, 0, 44, 5));
        let remote = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1));
        let up = Packet::ip(4, delta_host, remote, 8).unwrap_or_else(|e| panic!("{e}"));
        let id = c.locate(0, &up).unwrap_or_else(|| panic!("not located"));
        assert_eq!(
            c.address(id).map(|a| a.prefix.to_string()).as_deref(),
            Some("10.0.44.5/32")
        );
        // The same source on another customer's port is spoofed.
        let spoofed = Packet { in_port: 1, ..up };
        assert_eq!(c.locate(0, &spoofed), None);
        // Downstream at the last switch: by destination.
        let down = Packet::ip(1, remote, delta_host, 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.locate(2, &down), Some(id));
        let unknown = Packet::ip(1, remote, remote, 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.locate(2, &unknown), None);
    }
}
