//! The controller's model: the topology plus what it learns at run time (port states, VM
//! liveness, service changes, reactive addresses), and the flow tables compiled from it with
//! `flowfall-compile`.
//!
//! The desired table of a junction is a pure function of this model (architecture §3: the VM
//! choice depends only on config, live VMs and the address), so it is recompiled after every
//! change and compared with what the switch holds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use flowfall_compile::cookie::{Cookie, CookieKind, OwnerId};
use flowfall_compile::sim::Packet;
use flowfall_compile::{AddressId, Compilation, FlowEntry, Hop, LiveVms};
use flowfall_ofp::{Action, Instruction, Oxm};
use flowfall_topology::{Customer, Mode, PortRole, ServiceSet, ServiceSource, Topology, VmId};
use flowfall_tos::TosMatch;

use super::CoreError;
use super::locate::AddressIndex;
use super::packet::IpHeader;
use super::table::{
    FlowSet, OwnerMap, OwnerSet, is_address_cookie, is_own_cookie, normalise_in_place,
};
use super::views::{CustomerView, HopView, PathView, PrefixPathView, VmView};

/// Most owner slots reserved up front for reactive activations (over the active set and
/// every junction's index): about 4 million, some 130 MiB.
const MAX_RESERVED_OWNER_SLOTS: usize = 1 << 22;

/// The model. See the [module docs](self).
#[derive(Debug)]
pub struct Model {
    /// The topology as configured.
    topology: Arc<Topology>,
    /// The topology compiled: `topology` with the runtime service overrides applied.
    compiled: Compilation,
    /// `compiled`'s addresses by prefix (reactive PACKET_IN lookups).
    index: AddressIndex,
    /// VMs taken out administratively (REST / monitor), by name.
    admin_down: BTreeSet<String>,
    /// Ports reported down, by (datapath id, port).
    port_down: BTreeSet<(u64, u32)>,
    /// Runtime service sets, by customer name (only where they differ from the file).
    overrides: BTreeMap<String, ServiceSet>,
    /// Reactive mode: addresses whose flows are installed, by cookie owner.
    active: OwnerSet,
    /// The address of each cookie owner in `compiled`.
    owners: HashMap<OwnerId, AddressId>,
    /// Desired entries per junction index, except address entries (those are in `addressed`).
    desired: Vec<Vec<FlowEntry>>,
    /// Desired address entries ([`is_address_cookie`]) per junction index, by cookie owner:
    /// a reactive activation or withdrawal touches one owner here, not the tables.
    addressed: Vec<Owned>,
    /// VMs declared down by health probing, by name.
    probe_down: BTreeSet<String>,
    /// Entries added to the compiled tables (health probe returns): `(junction, entry)`.
    extra: Vec<(usize, FlowEntry)>,
    /// Failover and balance pins, live bypass links ([`super::pins`]).
    steering: super::pins::Steering,
    /// The extra entries changed since the last full compile (an update must not be partial).
    extra_changed: bool,
}

fn compile_error(e: flowfall_compile::Error) -> CoreError {
    CoreError::Compile(e.to_string())
}

impl Model {
    /// A model of `topology` with every VM live, compiled.
    pub fn new(topology: Topology) -> Result<Model, CoreError> {
        let topology = Arc::new(topology);
        let live = LiveVms::all(&topology);
        let compiled = Compilation::new(Arc::clone(&topology), live, 0).map_err(compile_error)?;
        let steering = super::pins::Steering::new(&topology);
        let mut m = Model {
            topology,
            compiled,
            index: AddressIndex::default(),
            admin_down: BTreeSet::new(),
            port_down: BTreeSet::new(),
            overrides: BTreeMap::new(),
            active: OwnerSet::default(),
            owners: HashMap::new(),
            desired: Vec::new(),
            addressed: Vec::new(),
            probe_down: BTreeSet::new(),
            extra: Vec::new(),
            steering,
            extra_changed: false,
        };
        m.recompile(0)?;
        Ok(m)
    }

    /// The topology as configured.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The topology as configured, shared.
    pub fn topology_arc(&self) -> &Arc<Topology> {
        &self.topology
    }

    /// The topology compiled: the configured one with the runtime service changes applied.
    pub fn compiled_topology(&self) -> &Arc<Topology> {
        self.compiled.topology()
    }

    /// Pins and live bypass links.
    pub(super) fn steering(&self) -> &super::pins::Steering {
        &self.steering
    }

    /// Pins and live bypass links, to change them (recompile after).
    pub(super) fn steering_mut(&mut self) -> &mut super::pins::Steering {
        &mut self.steering
    }

    /// Whether flows are installed per first packet.
    pub fn is_reactive(&self) -> bool {
        self.topology.chain().mode == Mode::Reactive
    }

    /// Junction indices served by datapath `dpid` (several for VLAN-scoped junctions).
    pub fn junctions_of(&self, dpid: u64) -> Vec<usize> {
        self.topology
            .switches_with_dpid(dpid)
            .map(|s| s.index)
            .collect()
    }

    /// Junction names served by `dpid`.
    pub fn junction_names(&self, dpid: u64) -> Vec<String> {
        self.topology
            .switches_with_dpid(dpid)
            .map(|s| s.name.clone())
            .collect()
    }

    /// Every port the topology gives a role on `dpid`.
    pub fn expected_ports(&self, dpid: u64) -> Vec<u32> {
        let ports: BTreeSet<u32> = self
            .junctions_of(dpid)
            .into_iter()
            .flat_map(|j| self.topology.ports(j).iter().map(|&(p, _)| p))
            .collect();
        ports.into_iter().collect()
    }

    /// Number of layers (the last junction is `Jn`).
    pub fn layers(&self) -> usize {
        self.topology.layers().len()
    }

    /// The junction index an entry of `dpid` belongs to (by its VLAN match when the datapath
    /// serves several VLAN-scoped junctions).
    pub fn position(&self, dpid: u64, entry: &FlowEntry) -> usize {
        let mut junctions = self.topology.switches_with_dpid(dpid);
        let Some(first) = junctions.next() else {
            return 0;
        };
        let vid = entry.match_.fields.iter().find_map(|o| match o {
            Oxm::VlanVid(v, _) => Some(v & 0x0fff),
            _ => None,
        });
        std::iter::once(first)
            .chain(junctions)
            .find(|s| s.vlan.is_some() && s.vlan == vid)
            .map_or(first.index, |s| s.index)
    }

    /// Whether an entry is FlowFall's (its cookie has a FlowFall kind): only those are
    /// deleted when the compiled table lacks them; foreign entries are left alone.
    pub fn owns(&self, entry: &FlowEntry) -> bool {
        is_own_cookie(entry.cookie)
    }

    /// Entries installed beside the compiled tables (health probe returns), from the next
    /// recompile on.
    pub fn set_extra_entries(&mut self, extra: Vec<(usize, FlowEntry)>) {
        self.extra_changed = true;
        self.extra = extra
            .into_iter()
            .map(|(k, mut e)| {
                normalise_in_place(&mut e.match_);
                (k, e)
            })
            .collect();
    }

    /// Sets a VM's probe verdict; true when it changed.
    pub fn set_probe_live(&mut self, vm: &str, live: bool) -> bool {
        if live {
            self.probe_down.remove(vm)
        } else {
            self.probe_down.insert(vm.to_string())
        }
    }

    /// The customer name and prefix of the address whose entries carry cookie owner `owner`.
    pub fn address_key(&self, owner: OwnerId) -> Option<(String, ipnet::IpNet)> {
        let id = self.owners.get(&owner)?;
        let address = self.compiled.address(*id)?;
        let customer = self.topology.customer(address.customer)?;
        Some((customer.name.clone(), address.prefix))
    }

    /// The customer whose address entries carry cookie owner `owner`, if any.
    pub fn customer_of_owner(&self, owner: OwnerId) -> Option<&Customer> {
        let id = self.owners.get(&owner)?;
        let address = self.compiled.address(*id)?;
        self.topology.customer(address.customer)
    }

    /// The desired entries of junction `index`.
    pub fn desired_junction(&self, index: usize) -> impl Iterator<Item = &FlowEntry> {
        let owned = self
            .addressed
            .get(index)
            .into_iter()
            .flat_map(|m| m.values().flatten());
        self.desired.get(index).into_iter().flatten().chain(owned)
    }

    /// The desired address entries of cookie owner `owner` on junction `index`: a lookup, not
    /// a scan of the table.
    pub fn desired_owned(&self, index: usize, owner: OwnerId) -> &[FlowEntry] {
        self.addressed
            .get(index)
            .and_then(|m| m.get(&owner))
            .map_or(&[], Vec::as_slice)
    }

    /// The services in effect for a customer.
    fn services_of(&self, customer: &Customer) -> ServiceSet {
        self.overrides
            .get(&customer.name)
            .copied()
            .unwrap_or(customer.services)
    }

    /// Whether a VM is usable: administratively live and both its hypervisor ports up.
    pub fn vm_live(&self, id: VmId) -> bool {
        let Some(vm) = self.topology.vm(id) else {
            return false;
        };
        if self.admin_down.contains(&vm.name) || self.probe_down.contains(&vm.name) {
            return false;
        }
        let Some(layer) = self.topology.layer(id.layer) else {
            return false;
        };
        let dpid_of = |j: usize| self.topology.switch(j).map(|s| s.dpid);
        let down = dpid_of(layer.down_switch()).map(|d| (d, vm.down_port));
        let up = dpid_of(layer.up_switch()).map(|d| (d, vm.up_port));
        ![down, up]
            .into_iter()
            .flatten()
            .any(|k| self.port_down.contains(&k))
    }

    /// The live VMs.
    pub fn live_vms(&self) -> BTreeSet<VmId> {
        self.topology
            .all_vms()
            .map(|v| v.id)
            .filter(|&id| self.vm_live(id))
            .collect()
    }

    /// Records port states of `dpid`; true when VM liveness changed (recompile needed).
    pub fn set_port_states(&mut self, dpid: u64, states: &[(u32, bool)]) -> bool {
        let before = self.live_vms();
        for &(port, up) in states {
            if up {
                self.port_down.remove(&(dpid, port));
            } else {
                self.port_down.insert((dpid, port));
            }
        }
        self.live_vms() != before
    }

    /// Sets a VM's administrative liveness; true when it changed.
    pub fn set_admin_live(&mut self, vm: &str, live: bool) -> Result<bool, CoreError> {
        if self.topology.vm_by_name(vm).is_none() {
            return Err(CoreError::UnknownVm(vm.to_string()));
        }
        Ok(if live {
            self.admin_down.remove(vm)
        } else {
            self.admin_down.insert(vm.to_string())
        })
    }

    /// Sets a customer's services by layer names; true when the set in effect changed.
    pub fn set_services(&mut self, customer: &str, names: &[String]) -> Result<bool, CoreError> {
        let c = self
            .topology
            .customer_by_name(customer)
            .ok_or_else(|| CoreError::UnknownCustomer(customer.to_string()))?;
        let mut set = ServiceSet::EMPTY;
        for name in names {
            let layer =
                self.topology
                    .layer_by_name(name)
                    .ok_or_else(|| CoreError::UnknownService {
                        customer: customer.to_string(),
                        service: name.clone(),
                        known: self
                            .topology
                            .layers()
                            .iter()
                            .map(|l| l.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
            set.insert(layer.index)
                .map_err(|e| CoreError::Config(format!("layer {}: {e}", layer.name)))?;
        }
        let before = self.services_of(c);
        if set == c.services {
            self.overrides.remove(customer);
        } else {
            self.overrides.insert(customer.to_string(), set);
        }
        Ok(set != before)
    }

    /// Replaces the topology. Runtime state is kept where it still applies: service
    /// overrides of customers whose configured services did not change, administrative
    /// liveness of VMs that still exist, port states, active reactive addresses.
    /// On error the old topology stays.
    pub fn reload(&mut self, topology: Topology, generation: u64) -> Result<(), CoreError> {
        let new = Arc::new(topology);
        let old = std::mem::replace(&mut self.topology, Arc::clone(&new));
        let old_overrides = self.overrides.clone();
        let old_admin = self.admin_down.clone();
        self.overrides.retain(|name, _| {
            match (old.customer_by_name(name), new.customer_by_name(name)) {
                (Some(o), Some(n)) => o.services == n.services,
                _ => false,
            }
        });
        self.admin_down.retain(|vm| new.vm_by_name(vm).is_some());
        let live = self.live_vms();
        let old_steering = self.steering.clone();
        self.steering.reloaded(&old, &new, &live);
        if let Err(e) = self.recompile(generation) {
            self.steering = old_steering;
            self.topology = old;
            self.overrides = old_overrides;
            self.admin_down = old_admin;
            return Err(e);
        }
        Ok(())
    }

    /// The junction a packet from `dpid` belongs to.
    fn junction_for(&self, dpid: u64, vlan: Option<u16>) -> Option<usize> {
        self.topology
            .switch_for(dpid, vlan)
            .or_else(|| self.topology.switches_with_dpid(dpid).next())
            .map(|s| s.index)
    }

    /// Reactive mode: activates the address a PACKET_IN belongs to and adds its flows (every
    /// junction, both directions) to the desired tables, without recompiling anything else.
    /// The address's owner when it was not active yet. `Err` says why the packet gets no
    /// flows (unknown address, spoofed source...).
    pub fn activate(
        &mut self,
        dpid: u64,
        in_port: u32,
        header: &IpHeader,
    ) -> Result<Option<OwnerId>, String> {
        let junction = self
            .junction_for(dpid, header.vlan)
            .ok_or_else(|| "datapath not in the topology".to_string())?;
        // Validates the pair of addresses (one family).
        Packet::ip(in_port, header.src, header.dst, header.tos).map_err(|e| e.to_string())?;
        let located = self
            .index
            .locate(&self.topology, junction, in_port, header.src, header.dst);
        let id = located.ok_or_else(|| {
            format!(
                "no customer address for {} -> {} on port {in_port} of J{junction}",
                header.src, header.dst
            )
        })?;
        let owner = self
            .compiled
            .address(id)
            .map(|a| a.owner)
            .ok_or_else(|| "address vanished".to_string())?;
        if !self.active.insert(owner) {
            return Ok(None);
        }
        self.add_address(id);
        Ok(Some(owner))
    }

    /// Whether a packet arriving on `in_port` of `dpid` can go on from there once the
    /// desired tables are installed: always at an edge port (a customer's or the
    /// backbone's: the address's edge entry takes it, or drops it); inside the chain only
    /// when its address has a desired entry for that very port (the packet came out of the
    /// VM or bypass link its path uses there). A packet punted half-way whose path has moved
    /// meanwhile would otherwise come back to the controller each time it is re-injected.
    pub fn continues_here(&self, dpid: u64, in_port: u32, header: &IpHeader) -> bool {
        let Some(junction) = self.junction_for(dpid, header.vlan) else {
            return false;
        };
        match self.topology.role(junction, in_port) {
            Some(PortRole::Edge { .. } | PortRole::EdgeUp) => true,
            None => false,
            Some(_) => self
                .index
                .locate(&self.topology, junction, in_port, header.src, header.dst)
                .and_then(|id| self.compiled.address(id))
                .is_some_and(|a| {
                    self.desired_owned(junction, a.owner)
                        .iter()
                        .any(|e| e.match_.fields.contains(&Oxm::InPort(in_port)))
                }),
        }
    }

    /// Adds the entries of address `id` to the desired tables.
    fn add_address(&mut self, id: AddressId) {
        let entries = self.address_entries(&self.compiled, id);
        add_owned(&mut self.addressed, entries);
    }

    /// Reactive mode: withdraws the address owning `cookie` (its entries leave the desired
    /// tables); its owner when it was active.
    pub fn deactivate(&mut self, cookie: Cookie) -> Option<OwnerId> {
        let owner = cookie.owner();
        if !is_address_cookie(cookie) || !self.active.remove(&owner) {
            return None;
        }
        for m in &mut self.addressed {
            m.remove(&owner);
        }
        Some(owner)
    }

    /// Reactive mode: learns which addresses a switch already has flows for (after a
    /// controller restart the switches keep them) and adds their flows to the desired tables;
    /// true when one was new.
    pub fn learn_installed(&mut self, table: &FlowSet) -> bool {
        if !self.is_reactive() {
            return false;
        }
        let mut learned = Vec::new();
        for e in table.iter() {
            let owner = e.cookie.owner();
            if is_address_cookie(e.cookie)
                && let Some(&id) = self.owners.get(&owner)
                && self.active.insert(owner)
            {
                learned.push(id);
            }
        }
        for &id in &learned {
            self.add_address(id);
        }
        !learned.is_empty()
    }

    /// The topology with the runtime service overrides applied.
    fn effective_topology(&self) -> Result<Arc<Topology>, CoreError> {
        if self.overrides.is_empty() {
            return Ok(Arc::clone(&self.topology));
        }
        Ok(Arc::new(super::rebuild::with_services(
            &self.topology,
            &self.overrides,
        )?))
    }

    /// Compiles the desired tables from the model, stamping `generation` into new cookies.
    pub fn recompile(&mut self, generation: u64) -> Result<(), CoreError> {
        let effective = self.effective_topology()?;
        let live = self.live_vms();
        let inputs = self
            .steering
            .inputs(&effective, &live)
            .map_err(compile_error)?;
        // Cookie generations are 16 bits; they only tell entries' ages apart.
        let compiled = Compilation::with_inputs(effective, inputs, generation as u16)
            .map_err(compile_error)?;
        let owners: HashMap<OwnerId, AddressId> = compiled
            .addresses()
            .iter()
            .enumerate()
            .map(|(i, a)| (a.owner, AddressId(i)))
            .collect();
        let mut desired: Vec<Vec<FlowEntry>> = compiled
            .tables()
            .switches
            .into_iter()
            .map(|s| s.entries)
            .collect();
        let mut addressed: Vec<Owned> = vec![Owned::default(); desired.len()];
        if self.is_reactive() {
            // Address entries only for the active addresses (punt entries for the others).
            self.active.retain(|o| owners.contains_key(o));
            // Room for every address to become active (up to a bound on the slots reserved):
            // a table of half a million owners growing mid-run re-hashes all of them at
            // once, stalling packet-ins.
            if owners.len().saturating_mul(addressed.len() + 1) <= MAX_RESERVED_OWNER_SLOTS {
                self.active
                    .reserve(owners.len().saturating_sub(self.active.len()));
                for m in &mut addressed {
                    m.reserve(owners.len());
                }
            }
            for owner in &self.active {
                if let Some(&id) = owners.get(owner) {
                    add_owned(&mut addressed, self.address_entries(&compiled, id));
                }
            }
        } else {
            // Every address entry is in the tables: re-mark those of changed customers.
            for (customer, remark) in self.remarks() {
                let mine: BTreeSet<OwnerId> = compiled
                    .addresses_of(customer)
                    .filter_map(|i| compiled.address(AddressId(i)).map(|a| a.owner))
                    .collect();
                if let Some(j0) = desired.first_mut() {
                    for e in j0.iter_mut().filter(|e| mine.contains(&e.cookie.owner())) {
                        remark.apply(e);
                    }
                }
            }
        }
        for entries in &mut desired {
            for e in entries.iter_mut() {
                normalise_in_place(&mut e.match_);
            }
        }
        for (k, e) in &self.extra {
            if let Some(v) = desired.get_mut(*k) {
                v.push(e.clone());
            }
        }
        // Address entries (all of them in proactive mode) go to the index by owner.
        for (k, entries) in desired.iter_mut().enumerate() {
            let (owned, rest): (Vec<FlowEntry>, Vec<FlowEntry>) = std::mem::take(entries)
                .into_iter()
                .partition(|e| is_address_cookie(e.cookie));
            *entries = rest;
            add_owned(&mut addressed, owned.into_iter().map(|e| (k, e)));
        }
        self.index = AddressIndex::new(&compiled);
        self.extra_changed = false;
        self.compiled = compiled;
        self.owners = owners;
        self.desired = desired;
        self.addressed = addressed;
        Ok(())
    }

    /// Applies a change of the compiler's inputs only (VM liveness, pins, live bypass links)
    /// incrementally: the cached compilation reselects just the affected addresses
    /// (`Compilation::update_inputs`), and only their entries are replaced in the desired
    /// tables. Returns the owners whose entries changed, or `None` when the change needs a
    /// full [`Model::recompile`] (the topology or runtime services changed, extra entries
    /// were replaced, or the update touched entries other than address entries).
    pub fn update_inputs(
        &mut self,
        generation: u64,
    ) -> Result<Option<BTreeSet<OwnerId>>, CoreError> {
        if self.extra_changed || !self.overrides.is_empty() {
            return Ok(None);
        }
        let topology = Arc::clone(&self.topology);
        if !Arc::ptr_eq(&topology, self.compiled.topology()) {
            return Ok(None);
        }
        let live = self.live_vms();
        let inputs = self
            .steering
            .inputs(&topology, &live)
            .map_err(compile_error)?;
        let diff = self
            .compiled
            .update_inputs(topology, inputs, generation as u16)
            .map_err(compile_error)?;
        if diff
            .ops()
            .any(|(_, op)| !is_address_cookie(op.entry().cookie))
        {
            // The compilation is current; the desired tables are rebuilt from scratch.
            return Ok(None);
        }
        let changed = diff.address_owners();
        let reactive = self.is_reactive();
        for owner in &changed {
            for table in &mut self.addressed {
                table.remove(owner);
            }
            if reactive && !self.active.contains(owner) {
                continue;
            }
            if let Some(&id) = self.owners.get(owner) {
                let entries = self.address_entries(&self.compiled, id);
                add_owned(&mut self.addressed, entries);
            }
        }
        Ok(Some(changed))
    }

    /// The entries of address `id` on every junction, `(junction, entry)`, re-marked when
    /// its customer's services were changed at run time, matches in normal form.
    fn address_entries(&self, compiled: &Compilation, id: AddressId) -> Vec<(usize, FlowEntry)> {
        let remark = compiled.address(id).and_then(|a| {
            self.remarks()
                .into_iter()
                .find(|&(c, _)| c == a.customer)
                .map(|(_, r)| r)
        });
        compiled
            .address_flows(id)
            .into_iter()
            .map(|(k, mut e)| {
                if let (0, Some(r)) = (k, &remark) {
                    r.apply(&mut e);
                }
                normalise_in_place(&mut e.match_);
                (k, e)
            })
            .collect()
    }

    /// In `service_source = "tos"` mode a customer whose services changed at run time still
    /// has its CPE marking the configured ToS value: its J0 upstream entries, compiled for
    /// the new value, must match the CPE's value and re-mark to the new one. The re-marks
    /// needed, by customer index.
    fn remarks(&self) -> Vec<(usize, Remark)> {
        if self.topology.chain().service_source != ServiceSource::Tos {
            return Vec::new();
        }
        let encoding = self.topology.chain().tos_encoding;
        self.overrides
            .iter()
            .filter_map(|(name, &services)| {
                let c = self.topology.customer_by_name(name)?;
                let new = self.topology.catalogue()?.encode(services).ok()?;
                Some((
                    c.index,
                    Remark {
                        cpe: encoding.match_fields(c.tos?),
                        new: encoding.match_fields(new),
                    },
                ))
            })
            .collect()
    }

    /// Customer views.
    pub fn customer_views(&self) -> Vec<CustomerView> {
        self.topology
            .customers()
            .iter()
            .map(|c| self.customer_view_of(c))
            .collect()
    }

    /// One customer's view.
    pub fn customer_view(&self, name: &str) -> Option<CustomerView> {
        self.topology
            .customer_by_name(name)
            .map(|c| self.customer_view_of(c))
    }

    fn names(&self, set: ServiceSet) -> Vec<String> {
        self.topology
            .layers()
            .iter()
            .filter(|l| set.contains(l.index))
            .map(|l| l.name.clone())
            .collect()
    }

    fn customer_view_of(&self, c: &Customer) -> CustomerView {
        let services = self.services_of(c);
        CustomerView {
            name: c.name.clone(),
            port: c.port,
            cpe_mac: c.cpe_mac.to_string(),
            ipv4: c.ipv4.iter().map(ToString::to_string).collect(),
            ipv6: c.ipv6.iter().map(ToString::to_string).collect(),
            services: self.names(services),
            configured_services: self.names(c.services),
            cpe_tos: c.tos,
            tos: self
                .topology
                .catalogue()
                .and_then(|cat| cat.encode(services).ok()),
        }
    }

    /// VM views.
    pub fn vm_views(&self) -> Vec<VmView> {
        self.topology
            .all_vms()
            .map(|v| VmView {
                name: v.name.clone(),
                layer: self
                    .topology
                    .layer(v.id.layer)
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
                hypervisor: self
                    .topology
                    .hypervisor_of(v.id)
                    .map(|h| h.name.clone())
                    .unwrap_or_default(),
                live: self.vm_live(v.id),
                admin_live: !self.admin_down.contains(&v.name),
                state: None,
                rtt_ms: None,
                loss: None,
                load_bytes_per_s: None,
                load_packets_per_s: None,
            })
            .collect()
    }

    /// A customer's path, per prefix and layer (what the compiled tables do, whether or not
    /// installed yet).
    pub fn path_view(&self, name: &str) -> Option<PathView> {
        let c = self.topology.customer_by_name(name)?;
        let prefixes = self
            .compiled
            .addresses_of(c.index)
            .filter_map(|i| {
                let a = self.compiled.address(AddressId(i))?;
                let hops = self
                    .compiled
                    .path(AddressId(i))
                    .iter()
                    .enumerate()
                    .map(|(l, h)| self.hop_view(l, *h))
                    .collect();
                Some(PrefixPathView {
                    prefix: a.prefix.to_string(),
                    hops,
                })
            })
            .collect();
        Some(PathView {
            customer: c.name.clone(),
            prefixes,
        })
    }

    fn hop_view(&self, layer: usize, hop: Hop) -> HopView {
        let name = self
            .topology
            .layer(layer)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        match hop {
            Hop::Vm(i) => {
                let id = VmId {
                    layer,
                    index: i as usize,
                };
                HopView {
                    layer: name,
                    via: "vm".into(),
                    vm: self.topology.vm(id).map(|v| v.name.clone()),
                    hypervisor: self.topology.hypervisor_of(id).map(|h| h.name.clone()),
                }
            }
            Hop::Bypass(_) => HopView {
                layer: name,
                via: "bypass".into(),
                vm: None,
                hypervisor: None,
            },
            Hop::Blocked => HopView {
                layer: name,
                via: "drop".into(),
                vm: None,
                hypervisor: None,
            },
        }
    }
}

/// The address entries of one junction, by cookie owner.
type Owned = OwnerMap<Vec<FlowEntry>>;

/// Files address entries `(junction, entry)` under their cookie owners (entries of unknown
/// junctions are dropped, as the tables would).
fn add_owned(addressed: &mut [Owned], entries: impl IntoIterator<Item = (usize, FlowEntry)>) {
    for (k, e) in entries {
        if let Some(m) = addressed.get_mut(k) {
            m.entry(e.cookie.owner()).or_default().push(e);
        }
    }
}

/// Rewriting a J0 upstream entry compiled for a customer's new ToS value so that it matches
/// the CPE's value and sets the new one (`set_field ip_dscp`, and `ip_ecn` in `tos8`).
#[derive(Debug, Clone, Copy)]
struct Remark {
    cpe: TosMatch,
    new: TosMatch,
}

impl Remark {
    fn apply(&self, e: &mut FlowEntry) {
        if e.cookie.kind() != Some(CookieKind::Upstream) {
            return;
        }
        let mut rewrote = false;
        for f in &mut e.match_.fields {
            match f {
                Oxm::IpDscp(v) if *v == self.new.ip_dscp => {
                    *v = self.cpe.ip_dscp;
                    rewrote = true;
                }
                Oxm::IpEcn(v) if Some(*v) == self.new.ip_ecn => {
                    if let Some(ecn) = self.cpe.ip_ecn {
                        *v = ecn;
                    }
                }
                _ => {}
            }
        }
        // No ToS in the match (spoof_action = "remark"): the entry already sets the value.
        if !rewrote {
            return;
        }
        let mut set = vec![Action::SetField(Oxm::IpDscp(self.new.ip_dscp))];
        if let Some(ecn) = self.new.ip_ecn {
            set.push(Action::SetField(Oxm::IpEcn(ecn)));
        }
        let mut instructions = e.instructions.to_vec();
        match instructions.iter_mut().find_map(|i| match i {
            Instruction::ApplyActions(a) => Some(a),
            _ => None,
        }) {
            Some(actions) => {
                set.append(actions);
                *actions = set;
            }
            None => instructions.insert(0, Instruction::ApplyActions(set)),
        }
        e.instructions = instructions.into();
    }
}

#[cfg(test)]
mod incremental_tests {
    use super::*;
    use flowfall_topology::SelectorKind;
    use flowfall_topology::synthetic::{SyntheticSpec, generate};
    use proptest::prelude::*;

    /// Every desired entry per junction, generations cleared (a full compile stamps its own
    /// generation on every entry, an update only on the entries it changes).
    fn tables(m: &Model) -> Vec<Vec<String>> {
        (0..m.topology().switches().len())
            .map(|k| {
                let mut v: Vec<String> = m
                    .desired_junction(k)
                    .map(|e| {
                        let mut e = e.clone();
                        e.cookie = e.cookie.with_generation(0);
                        format!("{e:?}")
                    })
                    .collect();
                v.sort();
                v
            })
            .collect()
    }

    fn topology() -> Topology {
        let spec = SyntheticSpec {
            customers: 12,
            layers: 2,
            hypervisors_per_layer: 2,
            vms_per_layer: 4,
            bypass_per_layer: 2,
            selector: SelectorKind::Maglev,
            ..SyntheticSpec::default()
        };
        generate(&spec).expect("synthetic topology")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// A sequence of VM liveness changes applied incrementally leaves exactly the desired
        /// tables a full compile of the same state gives, and reports the owners it touched.
        #[test]
        fn updates_equal_a_full_recompile(
            steps in proptest::collection::vec((0usize..8, any::<bool>()), 1..10),
        ) {
            let topo = topology();
            let vms: Vec<String> = topo.all_vms().map(|v| v.name.clone()).collect();
            let mut inc = Model::new(topo.clone()).unwrap();
            let mut full = Model::new(topo).unwrap();
            for (g, (i, live)) in steps.into_iter().enumerate() {
                let before = tables(&inc);
                let name = &vms[i % vms.len()];
                inc.set_admin_live(name, live).unwrap();
                full.set_admin_live(name, live).unwrap();
                let changed = inc.update_inputs(g as u64 + 1).unwrap();
                let changed = changed.expect("a liveness change is incremental");
                full.recompile(g as u64 + 1).unwrap();
                let after = tables(&inc);
                prop_assert_eq!(&after, &tables(&full));
                // Nothing changed outside the reported owners.
                prop_assert_eq!(before == after, changed.is_empty());
            }
        }
    }

    #[test]
    fn other_changes_fall_back_to_a_full_recompile() {
        let topo = topology();
        let mut m = Model::new(topo.clone()).unwrap();
        m.set_extra_entries(Vec::new());
        assert_eq!(m.update_inputs(1).unwrap(), None, "extra entries replaced");
        m.recompile(1).unwrap();
        assert_eq!(m.update_inputs(2).unwrap(), Some(BTreeSet::new()));
        let customer = topo.customers()[0].name.clone();
        m.set_services(&customer, &[]).unwrap();
        assert_eq!(m.update_inputs(3).unwrap(), None, "runtime services");
    }
}
