//! The validated model (architecture.md section 3): [`Topology`] and its parts.

use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;

use flowfall_tos::{Catalogue, ServiceSet};
use ipnet::{Ipv4Net, Ipv6Net};

use crate::address::AddressIndex;
use crate::error::{ConfigError, ConfigErrors};
use crate::file::{ConfigFile, MAX_CONFIG_BYTES};
use crate::options::{Chain, SelectorKind, WhenEmpty};
use crate::role::{PortMap, PortRole};
use crate::vm::{Vm, VmId};
use crate::{Mac, validate};

/// A junction switch J*i* (a whole OpenFlow switch, or its VLAN-scoped part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    /// Position in the chain: 0 faces customers, the last faces the backbone.
    pub index: usize,
    /// Configured name.
    pub name: String,
    /// OpenFlow datapath id.
    pub dpid: u64,
    /// VLAN scope: the junction is this VLAN of the switch (the 2015 deployment ran two chains
    /// on VLANs 115 and 116 of the same switches).
    pub vlan: Option<u16>,
    /// Declared flow-table capacity, entries.
    pub capacity: Option<usize>,
}

impl Switch {
    /// The datapath id as `00:00:00:00:00:00:00:01`.
    pub fn dpid_string(&self) -> String {
        format_dpid(self.dpid)
    }
}

/// Formats a datapath id as eight colon-separated hex pairs.
///
/// ```
/// assert_eq!(flowfall_topology::format_dpid(0x1a), "00:00:00:00:00:00:00:1a");
/// ```
pub fn format_dpid(dpid: u64) -> String {
    let b = dpid.to_be_bytes();
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
    )
}

/// Parses 16 hex digits, colons anywhere optional (`"00:00:00:00:00:00:00:01"`,
/// `"0000000000000001"`).
pub(crate) fn parse_dpid(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|&c| c != ':').collect();
    if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(&digits, 16).ok()
}

/// The backbone-router edge ("edge-up") on the last switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backbone {
    /// Port on the last switch.
    pub port: u32,
    /// The router's MAC: `eth_dst` of upstream packets leaving the chain.
    pub router_mac: Mac,
}

/// A bypass link of a layer: BU port on the lower switch, BD port on the upper one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bypass {
    /// Index among the layer's bypass links (several share load).
    pub index: usize,
    /// BU port on the layer's lower switch.
    pub down_port: u32,
    /// BD port on the layer's upper switch.
    pub up_port: u32,
}

/// A hypervisor (or hardware box) of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hypervisor {
    /// Index within the layer.
    pub index: usize,
    /// Layer index.
    pub layer: usize,
    /// Configured name (unique in the topology).
    pub name: String,
    /// VU port on the layer's lower switch (downlink NIC).
    pub down_port: u32,
    /// VD port on the layer's upper switch (uplink NIC).
    pub up_port: u32,
    /// Its VMs, as a range of [`Layer::vms`] indices.
    pub vms: Range<usize>,
}

/// A VNF layer: one network function, several VMs on several hypervisors, and bypass links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Position in the chain (0-based); sits between switches `index` and `index + 1`.
    pub index: usize,
    /// Name, also the service name customers select.
    pub name: String,
    /// Service bit position in the ToS encoding.
    pub bit: u32,
    /// VM-selection algorithm.
    pub selector: SelectorKind,
    /// Behaviour when no VM is live.
    pub when_empty: WhenEmpty,
    /// Bypass links.
    pub bypass: Vec<Bypass>,
    /// Hypervisors in file order.
    pub hypervisors: Vec<Hypervisor>,
    /// Every VM of the layer, hypervisor by hypervisor ([`VmId::index`] indexes this).
    pub vms: Vec<Vm>,
}

impl Layer {
    /// The switch below the layer (VU and BU ports): `index`.
    pub fn down_switch(&self) -> usize {
        self.index
    }

    /// The switch above the layer (VD and BD ports): `index + 1`.
    pub fn up_switch(&self) -> usize {
        self.index + 1
    }

    /// The VMs of hypervisor `hv`.
    pub fn vms_on(&self, hv: usize) -> &[Vm] {
        self.hypervisors
            .get(hv)
            .and_then(|h| self.vms.get(h.vms.clone()))
            .unwrap_or(&[])
    }

    /// Sum of the VMs' weights.
    pub fn total_weight(&self) -> u64 {
        self.vms.iter().map(|v| u64::from(v.weight)).sum()
    }
}

/// A customer edge on the first switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Index in [`Topology::customers`].
    pub index: usize,
    /// Configured name.
    pub name: String,
    /// Edge port on the first switch.
    pub port: u32,
    /// The CPE's MAC: `eth_dst` of downstream packets leaving the chain.
    pub cpe_mac: Mac,
    /// IPv4 hosts and prefixes (hosts as /32).
    pub ipv4: Vec<Ipv4Net>,
    /// IPv6 hosts and prefixes (hosts as /128).
    pub ipv6: Vec<Ipv6Net>,
    /// The layers the customer's traffic passes through.
    pub services: ServiceSet,
    /// The ToS byte the CPE marks (ECN zero), when `service_source = "tos"`.
    pub tos: Option<u8>,
}

/// A validated FlowFall topology: junction switches J0..Jn, n VNF layers, customers and the
/// backbone edge (architecture.md section 3), with port roles and address look-ups.
///
/// Built only by validation ([`Topology::from_toml_str`], [`Topology::from_file`],
/// [`Topology::from_config`], [`synthetic::generate`](crate::synthetic::generate)), so its
/// invariants hold: `switches.len() == layers.len() + 1`; names, MACs, switch ports and
/// customer prefixes are unique; every layer has VMs or a bypass; every customer that skips a
/// layer has a bypass to take; with `service_source = "tos"` every layer's bit fits the
/// encoding and every customer has a ToS value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    pub(crate) chain: Chain,
    pub(crate) switches: Vec<Switch>,
    pub(crate) backbone: Backbone,
    pub(crate) layers: Vec<Layer>,
    pub(crate) customers: Vec<Customer>,
    pub(crate) catalogue: Option<Catalogue>,
    pub(crate) ports: PortMap,
    pub(crate) addresses: AddressIndex,
    /// Every VM, sorted by name (names are unique); see [`Topology::index_names`].
    pub(crate) vms_by_name: Vec<VmId>,
    /// Every customer index, sorted by name (names are unique).
    pub(crate) customers_by_name: Vec<usize>,
}

impl Topology {
    /// Sorts the name indices; validation calls it once the parts are in place.
    pub(crate) fn index_names(&mut self) {
        let layers = &self.layers;
        let vm_name = |id: &VmId| {
            let vm = layers.get(id.layer).and_then(|l| l.vms.get(id.index));
            vm.map_or("", |vm| vm.name.as_str())
        };
        self.vms_by_name = layers
            .iter()
            .flat_map(|l| l.vms.iter().map(|vm| vm.id))
            .collect();
        self.vms_by_name
            .sort_unstable_by(|a, b| vm_name(a).cmp(vm_name(b)));
        let customers = &self.customers;
        let customer_name = |i: &usize| customers.get(*i).map_or("", |c| c.name.as_str());
        self.customers_by_name = (0..customers.len()).collect();
        self.customers_by_name
            .sort_unstable_by(|a, b| customer_name(a).cmp(customer_name(b)));
    }

    /// Parses and validates TOML text (`docs/config.md`).
    ///
    /// # Errors
    /// Every problem found, each with its path. A TOML syntax error, unknown key or wrongly
    /// typed value stops parsing and is the only error reported (with its line).
    pub fn from_toml_str(text: &str) -> Result<Topology, ConfigErrors> {
        Topology::from_config(&ConfigFile::from_toml_str(text)?)
    }

    /// Reads, parses and validates a TOML file.
    ///
    /// # Errors
    /// As [`Topology::from_toml_str`], or one error when the file cannot be read or exceeds
    /// [`MAX_CONFIG_BYTES`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Topology, ConfigErrors> {
        let path = path.as_ref();
        let cannot = |e: &dyn std::fmt::Display| {
            ConfigErrors::single(ConfigError::new(
                "",
                format!("cannot read {}: {e}", path.display()),
            ))
        };
        let len = std::fs::metadata(path).map_err(|e| cannot(&e))?.len();
        crate::file::check_size(usize::try_from(len).unwrap_or(MAX_CONFIG_BYTES + 1))?;
        let text = std::fs::read_to_string(path).map_err(|e| cannot(&e))?;
        Topology::from_toml_str(&text)
    }

    /// Validates an already-parsed configuration.
    ///
    /// # Errors
    /// Every problem found, in file order, each with its path.
    pub fn from_config(file: &ConfigFile) -> Result<Topology, ConfigErrors> {
        validate::validate(file)
    }

    /// Chain-wide options.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Junction switches J0..Jn.
    pub fn switches(&self) -> &[Switch] {
        &self.switches
    }

    /// Switch `index`.
    pub fn switch(&self, index: usize) -> Option<&Switch> {
        self.switches.get(index)
    }

    /// The junction for a datapath id and VLAN scope (`None`: a whole switch).
    pub fn switch_for(&self, dpid: u64, vlan: Option<u16>) -> Option<&Switch> {
        self.switches
            .iter()
            .find(|s| s.dpid == dpid && s.vlan == vlan)
    }

    /// Every junction on datapath `dpid` (several when VLAN-scoped).
    pub fn switches_with_dpid(&self, dpid: u64) -> impl Iterator<Item = &Switch> + '_ {
        self.switches.iter().filter(move |s| s.dpid == dpid)
    }

    /// The backbone edge.
    pub fn backbone(&self) -> &Backbone {
        &self.backbone
    }

    /// VNF layers in chain order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Layer `index`.
    pub fn layer(&self, index: usize) -> Option<&Layer> {
        self.layers.get(index)
    }

    /// The layer named `name`.
    pub fn layer_by_name(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }

    /// Customers in file order.
    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// Customer `index`.
    pub fn customer(&self, index: usize) -> Option<&Customer> {
        self.customers.get(index)
    }

    /// The customer named `name`.
    pub fn customer_by_name(&self, name: &str) -> Option<&Customer> {
        let name_of = |&i: &usize| self.customers.get(i).map_or("", |c| c.name.as_str());
        let found = self
            .customers_by_name
            .binary_search_by(|i| name_of(i).cmp(name));
        found
            .ok()
            .and_then(|k| self.customers_by_name.get(k))
            .and_then(|&i| self.customers.get(i))
    }

    /// The customer one of whose prefixes contains `addr` (prefixes never overlap).
    pub fn customer_for_address(&self, addr: IpAddr) -> Option<&Customer> {
        self.addresses
            .lookup(addr)
            .and_then(|i| self.customers.get(i))
    }

    /// The service catalogue (layer names and bits under the chain's encoding), present when
    /// `service_source = "tos"`.
    pub fn catalogue(&self) -> Option<&Catalogue> {
        self.catalogue.as_ref()
    }

    /// VM `id`.
    pub fn vm(&self, id: VmId) -> Option<&Vm> {
        self.layers.get(id.layer)?.vms.get(id.index)
    }

    /// The VM named `name`.
    pub fn vm_by_name(&self, name: &str) -> Option<&Vm> {
        let name_of = |&id: &VmId| self.vm(id).map_or("", |vm| vm.name.as_str());
        let found = self
            .vms_by_name
            .binary_search_by(|id| name_of(id).cmp(name));
        found
            .ok()
            .and_then(|k| self.vms_by_name.get(k))
            .and_then(|&id| self.vm(id))
    }

    /// Every VM, layer by layer.
    pub fn all_vms(&self) -> impl Iterator<Item = &Vm> + '_ {
        self.layers.iter().flat_map(|l| l.vms.iter())
    }

    /// The hypervisor of VM `id`.
    pub fn hypervisor_of(&self, id: VmId) -> Option<&Hypervisor> {
        let layer = self.layers.get(id.layer)?;
        layer.hypervisors.get(layer.vms.get(id.index)?.hypervisor)
    }

    /// The role of `port` on switch `switch`.
    pub fn role(&self, switch: usize, port: u32) -> Option<PortRole> {
        self.ports.role(switch, port)
    }

    /// Every `(port, role)` of switch `switch`, ascending by port.
    pub fn ports(&self, switch: usize) -> &[(u32, PortRole)] {
        self.ports.ports(switch)
    }

    /// Where a role is: `(switch index, port)`; `None` if its indices name nothing.
    pub fn port_of(&self, role: PortRole) -> Option<(usize, u32)> {
        let switch = role.switch(self.layers.len());
        let port = match role {
            PortRole::Edge { customer } => self.customers.get(customer)?.port,
            PortRole::EdgeUp => self.backbone.port,
            PortRole::VnfUp { layer, hypervisor } => {
                self.layers
                    .get(layer)?
                    .hypervisors
                    .get(hypervisor)?
                    .down_port
            }
            PortRole::VnfDown { layer, hypervisor } => {
                self.layers.get(layer)?.hypervisors.get(hypervisor)?.up_port
            }
            PortRole::BypassUp { layer, bypass } => {
                self.layers.get(layer)?.bypass.get(bypass)?.down_port
            }
            PortRole::BypassDown { layer, bypass } => {
                self.layers.get(layer)?.bypass.get(bypass)?.up_port
            }
        };
        Some((switch, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpid_text_forms() {
        assert_eq!(parse_dpid("00:00:00:00:00:00:00:01"), Some(1));
        assert_eq!(parse_dpid("ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_dpid("0000:0000:0000:00AB"), Some(0xab));
        assert_eq!(parse_dpid("1"), None);
        assert_eq!(parse_dpid("+000000000000001"), None);
        assert_eq!(parse_dpid("00:00:00:00:00:00:00:01:02"), None);
        assert_eq!(format_dpid(u64::MAX), "ff:ff:ff:ff:ff:ff:ff:ff");
        assert_eq!(
            parse_dpid(&format_dpid(0x0123_4567_89ab_cdef)),
            Some(0x0123_4567_89ab_cdef)
        );
    }
}
