//! [`Compilation`]: a topology and its [`Inputs`] (live VMs, VM overrides, live bypass links)
//! compiled under a generation; the state that incremental recompiles start from.
//!
//! A compilation holds, per customer address, the hop chosen at every layer ([`Hop`]), and
//! produces from it the flow entries of every switch ([`Compilation::tables`]), the entries of
//! one address ([`Compilation::address_flows`], what reactive mode installs on a packet-in),
//! the capacity [`Report`], and ordered [`Diff`](crate::Diff)s to a new topology or new inputs
//! ([`Compilation::update_inputs`], [`Compilation::set_live`],
//! [`Compilation::set_overrides`], [`Compilation::set_live_bypass`]).

use std::net::IpAddr;
use std::ops::Range;
use std::sync::Arc;

use flowfall_select::Key;
use flowfall_topology::{Customer, PortRole, Topology, VmId};
use flowfall_tos::ServiceSet;
use ipnet::IpNet;

use crate::cookie::{OwnerId, OwnerTable};
use crate::entry::FlowEntry;
use crate::error::Error;
use crate::live::{LiveBypass, LiveVms};
use crate::overrides::{Pins, VmOverrides};
use crate::path::{BypassChoice, Hop, LayerChooser, LayerSelector, hop};
use crate::plan::Plan;
use crate::report::{Report, SwitchReport};
use crate::rules::{AddressRef, Rules};
use crate::sim::Packet;
use crate::tables::{SwitchTable, Tables};

mod update;

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

/// What a topology is compiled for besides its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// The live VMs: each layer's selector chooses among them.
    pub live: LiveVms,
    /// Per-address VM choices above the hash ([`crate::overrides`]); honoured only on live
    /// VMs of layers the address uses.
    pub overrides: VmOverrides,
    /// The live bypass links: a dead one is never chosen ([`crate::path`]).
    pub live_bypass: LiveBypass,
}

impl Inputs {
    /// Every VM and bypass link of `topology` live, no overrides.
    pub fn all(topology: &Topology) -> Inputs {
        Inputs::with_live(topology, LiveVms::all(topology))
    }

    /// The VMs of `live` live, every bypass link of `topology` live, no overrides.
    pub fn with_live(topology: &Topology, live: LiveVms) -> Inputs {
        Inputs {
            live,
            overrides: VmOverrides::new(),
            live_bypass: LiveBypass::all(topology),
        }
    }
}

/// A compiled topology (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Compilation {
    topology: Arc<Topology>,
    live: LiveVms,
    live_bypass: LiveBypass,
    overrides: Arc<VmOverrides>,
    generation: u16,
    plan: Arc<Plan>,
    choosers: Vec<LayerChooser>,
    /// `overrides` resolved against `addresses`.
    pins: Arc<Pins>,
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

fn build_choosers(
    plan: &Plan,
    live: &LiveVms,
    live_bypass: &LiveBypass,
) -> Result<Vec<LayerChooser>, Error> {
    plan.layers
        .iter()
        .enumerate()
        .map(|(l, lp)| {
            Ok(LayerChooser {
                vms: Arc::new(LayerSelector::build(l, lp, live.layer(l))?),
                bypass: Arc::new(BypassChoice::build(lp, live_bypass.layer(l))),
            })
        })
        .collect()
}

/// The hop of address `a` at layer `l` under `choosers` and `pins`.
fn hop_at(
    plan: &Plan,
    choosers: &[LayerChooser],
    pins: &Pins,
    a: usize,
    address: &Address,
    l: usize,
) -> Hop {
    match (plan.layers.get(l), choosers.get(l)) {
        (Some(lp), Some(ch)) => hop(l, lp, ch, address.services, &address.key, pins.get(a, l)),
        _ => Hop::Blocked,
    }
}

/// Checks that `live` and `live_bypass` have the shape of `topology`.
fn check_fit(topology: &Topology, live: &LiveVms, live_bypass: &LiveBypass) -> Result<(), Error> {
    if !live.fits(topology) {
        return Err(Error::LiveMismatch);
    }
    if !live_bypass.fits(topology) {
        return Err(Error::LiveBypassMismatch);
    }
    Ok(())
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
    /// Compiles `topology` with the VMs of `live` up (every bypass link up, no overrides:
    /// [`Inputs::with_live`]), stamping cookies with `generation`.
    ///
    /// # Errors
    /// As [`Compilation::with_inputs`].
    pub fn new(
        topology: Arc<Topology>,
        live: LiveVms,
        generation: u16,
    ) -> Result<Compilation, Error> {
        let inputs = Inputs::with_live(&topology, live);
        Compilation::with_inputs(topology, inputs, generation)
    }

    /// Compiles `topology` for `inputs`, stamping cookies with `generation`.
    ///
    /// # Errors
    /// [`Error::LiveMismatch`] / [`Error::LiveBypassMismatch`] when `inputs.live` /
    /// `inputs.live_bypass` was made for another topology; [`Error::Selector`] when a layer's
    /// selector cannot be built; [`Error::CapacityExceeded`] when a switch's table exceeds its
    /// declared capacity. Overrides never fail a compile (see [`crate::overrides`]).
    pub fn with_inputs(
        topology: Arc<Topology>,
        inputs: Inputs,
        generation: u16,
    ) -> Result<Compilation, Error> {
        let Inputs {
            live,
            overrides,
            live_bypass,
        } = inputs;
        Compilation::build(topology, live, Arc::new(overrides), live_bypass, generation)
    }

    fn build(
        topology: Arc<Topology>,
        live: LiveVms,
        overrides: Arc<VmOverrides>,
        live_bypass: LiveBypass,
        generation: u16,
    ) -> Result<Compilation, Error> {
        check_fit(&topology, &live, &live_bypass)?;
        let plan = Plan::new(&topology);
        let choosers = build_choosers(&plan, &live, &live_bypass)?;
        let (addresses, by_customer) = enumerate_addresses(&topology);
        let pins = Pins::resolve(&overrides, &topology, &addresses, &by_customer);
        let n = plan.n;
        let mut hops = Vec::with_capacity(addresses.len() * n);
        let mut users = vec![Vec::new(); n];
        for (i, a) in addresses.iter().enumerate() {
            for (l, (lp, ch)) in plan.layers.iter().zip(&choosers).enumerate() {
                hops.push(hop(l, lp, ch, a.services, &a.key, pins.get(i, l)));
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
            live_bypass,
            overrides,
            generation,
            plan: Arc::new(plan),
            choosers,
            pins: Arc::new(pins),
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

    /// The live bypass links compiled for.
    pub fn live_bypass(&self) -> &LiveBypass {
        &self.live_bypass
    }

    /// The VM overrides compiled for (all of them, honoured or not).
    pub fn overrides(&self) -> &VmOverrides {
        &self.overrides
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Overflow;
    use std::net::Ipv4Addr;

    const LAB: &str = include_str!("../../../examples/configs/lab.toml");

    /// The lab topology (examples/configs/lab.toml) with `edit` applied to its text.
    pub(super) fn lab(edit: impl Fn(&str) -> String) -> Arc<Topology> {
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
