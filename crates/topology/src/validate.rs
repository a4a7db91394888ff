//! Validation: [`ConfigFile`] to [`Topology`], collecting every problem with its path.
//!
//! One pass over the file in document order checks each value (format, range) on the spot
//! and *claims* what must be unique (names, MACs, switch ports, VM stable ids) and every
//! customer prefix. Duplicates are then found by sorting the claims, overlapping prefixes by
//! a sort and sweep ([`address::overlaps`]). Every check and claim takes the next number of
//! one counter, and errors are finally ordered by it, so the list follows the file whichever
//! check found a problem; a duplicate is reported where it occurs, naming the first use.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use flowfall_tos::{Catalogue, Encoding, ServiceSet};
use ipnet::IpNet;

use crate::Mac;
use crate::address::{self, AddrKey, AddressIndex};
use crate::claims::Claims;
use crate::error::{ConfigError, ConfigErrors};
use crate::file::{
    BackboneEntry, ChainSection, ConfigFile, CustomerEntry, DpidValue, LayerEntry, SwitchEntry,
};
use crate::model::{Backbone, Bypass, Customer, Hypervisor, Layer, Switch, Topology, parse_dpid};
use crate::options::{Chain, Mode, ServiceSource, WhenEmpty};
use crate::role::{PortMap, PortRole};
use crate::vm::{Vm, VmId, stable_hash};

/// Highest usable OpenFlow 1.3 port number (`OFPP_MAX` = 0xffffff00 and above are reserved).
pub const MAX_PORT: u32 = 0xffff_feff;

/// Highest VM weight.
pub const MAX_WEIGHT: u32 = 65_535;

/// A place in the configuration file; displays as its path (`field` empty = the element).
#[derive(Debug, Clone, Copy)]
enum Loc {
    Root(&'static str),
    Chain(&'static str),
    Switch(usize, &'static str),
    Backbone(&'static str),
    Layer(usize, &'static str),
    Bypass(usize, usize, &'static str),
    Hv(usize, usize, &'static str),
    Vm(usize, usize, usize, &'static str),
    Customer(usize, &'static str),
    CustomerItem(usize, &'static str, usize),
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = match *self {
            Loc::Root(name) => return f.write_str(name),
            Loc::Chain(field) => return write!(f, "chain.{field}"),
            Loc::Backbone(field) => return write!(f, "backbone.{field}"),
            Loc::CustomerItem(c, list, j) => return write!(f, "customers[{c}].{list}[{j}]"),
            Loc::Switch(i, field) => {
                write!(f, "switches[{i}]")?;
                field
            }
            Loc::Layer(l, field) => {
                write!(f, "layers[{l}]")?;
                field
            }
            Loc::Bypass(l, b, field) => {
                write!(f, "layers[{l}].bypass[{b}]")?;
                field
            }
            Loc::Hv(l, h, field) => {
                write!(f, "layers[{l}].hypervisors[{h}]")?;
                field
            }
            Loc::Vm(l, h, v, field) => {
                write!(f, "layers[{l}].hypervisors[{h}].vms[{v}]")?;
                field
            }
            Loc::Customer(c, field) => {
                write!(f, "customers[{c}]")?;
                field
            }
        };
        if field.is_empty() {
            Ok(())
        } else {
            write!(f, ".{field}")
        }
    }
}

/// Where and when (in check order) something was found or claimed.
#[derive(Debug, Clone, Copy)]
struct At {
    order: u64,
    loc: Loc,
}

/// One customer address awaiting the overlap check (recorded in file order).
struct AddressItem {
    at: At,
    customer: usize,
    net: IpNet,
}

/// Validation state: the errors so far, and the claims still to check.
struct Validator<'a> {
    errors: Vec<(u64, ConfigError)>,
    order: u64,
    switch_names: Vec<&'a str>,
    names: Claims<(&'static str, &'a str), At>,
    macs: Claims<Mac, At>,
    ports: Claims<(usize, u32), At>,
    roles: Vec<(usize, u32, PortRole)>,
    stable_ids: Claims<u64, (At, &'a str)>,
    addresses: Vec<AddressItem>,
    ranges: Vec<(AddrKey, AddrKey, usize)>,
}

/// Validates `file`; see the module documentation.
pub(crate) fn validate(file: &ConfigFile) -> Result<Topology, ConfigErrors> {
    let mut v = Validator {
        errors: Vec::new(),
        order: 0,
        switch_names: file.switches.iter().map(|s| s.name.as_str()).collect(),
        names: Claims::new(),
        macs: Claims::new(),
        ports: Claims::new(),
        roles: Vec::new(),
        stable_ids: Claims::new(),
        addresses: Vec::new(),
        ranges: Vec::new(),
    };
    let chain = v.chain(&file.chain);
    let switches = v.switches(&file.switches, file.layers.len());
    let backbone = v.backbone(&file.backbone, file.layers.len());
    let before_layers = v.errors.len();
    let layers = v.layers(&file.layers, &chain);
    let catalogue = if chain.service_source == ServiceSource::Tos {
        v.catalogue(&layers, chain.tos_encoding, v.errors.len() > before_layers)
    } else {
        None
    };
    let customers = v.customers(&file.customers, &layers, catalogue.as_ref());
    v.duplicates();
    v.address_overlaps();

    if !v.errors.is_empty() {
        let mut errors = v.errors;
        errors.sort_by_key(|(order, _)| *order);
        return Err(ConfigErrors::new(
            errors.into_iter().map(|(_, e)| e).collect(),
        ));
    }
    let addresses = v.ranges;
    let owner = |id: usize| v.addresses.get(id).map_or(usize::MAX, |a| a.customer);
    let addresses = addresses.into_iter().map(|(s, e, id)| (s, e, owner(id)));
    let mut topology = Topology {
        ports: PortMap::new(switches.len(), v.roles),
        addresses: AddressIndex::new(addresses.collect()),
        chain,
        switches,
        backbone,
        layers,
        customers,
        catalogue,
        vms_by_name: Vec::new(),
        customers_by_name: Vec::new(),
    };
    topology.index_names();
    Ok(topology)
}

impl<'a> Validator<'a> {
    /// Where `loc` is, numbered in check order.
    fn at(&mut self, loc: Loc) -> At {
        self.order += 1;
        At {
            order: self.order,
            loc,
        }
    }

    fn error(&mut self, loc: Loc, message: impl Into<String>) {
        let at = self.at(loc);
        self.error_at(at, message);
    }

    fn error_at(&mut self, at: At, message: impl Into<String>) {
        let error = ConfigError::new(at.loc.to_string(), message);
        self.errors.push((at.order, error));
    }

    /// An integer that must lie in `lo..=hi`; `what` describes the range in the message.
    fn int<T: TryFrom<i64>>(
        &mut self,
        loc: Loc,
        value: i64,
        lo: i64,
        hi: i64,
        what: &str,
    ) -> Option<T> {
        if (lo..=hi).contains(&value) {
            if let Ok(v) = T::try_from(value) {
                return Some(v);
            }
        }
        self.error(loc, format!("{value} is out of range (expected {what})"));
        None
    }

    /// A non-empty name, claimed for uniqueness among names of its kind.
    fn name(&mut self, kind: &'static str, loc: Loc, name: &'a str) {
        if name.trim().is_empty() {
            self.error(loc, format!("{kind} name must not be empty"));
        } else {
            let at = self.at(loc);
            self.names.claim((kind, name), at);
        }
    }

    /// A host MAC: well-formed, unicast, non-zero; claimed for uniqueness.
    fn mac(&mut self, loc: Loc, text: &str) -> Mac {
        let mac = match text.parse::<Mac>() {
            Ok(mac) => mac,
            Err(e) => {
                self.error(loc, e.to_string());
                return Mac::default();
            }
        };
        if mac.is_multicast() {
            self.error(loc, format!("{mac} is a multicast address, not a host's"));
        } else if mac.is_zero() {
            self.error(loc, "00:00:00:00:00:00 is not a host's address");
        } else {
            let at = self.at(loc);
            self.macs.claim(mac, at);
        }
        mac
    }

    /// A port number with a role on a switch; claimed for uniqueness on that switch.
    fn port(&mut self, loc: Loc, value: i64, switch: usize, role: PortRole) -> u32 {
        let Some(port) = u32::try_from(value)
            .ok()
            .filter(|p| (1..=MAX_PORT).contains(p))
        else {
            let message = format!(
                "{value} is not a valid OpenFlow port (expected 1..={MAX_PORT}, below the \
                 reserved range from 0xffffff00)"
            );
            self.error(loc, message);
            return 0;
        };
        let at = self.at(loc);
        self.ports.claim((switch, port), at);
        self.roles.push((switch, port, role));
        port
    }

    /// Reports every claim that repeats an earlier one.
    fn duplicates(&mut self) {
        let mut found: Vec<(At, String)> = Vec::new();
        for (&(kind, name), later, first) in self.names.duplicates() {
            let message = format!("{kind} name `{name}` is already used by {}", first.loc);
            found.push((*later, message));
        }
        for (mac, later, first) in self.macs.duplicates() {
            found.push((*later, format!("same as {} ({mac})", first.loc)));
        }
        for (&(switch, port), later, first) in self.ports.duplicates() {
            let name = self
                .switch_names
                .get(switch)
                .map_or_else(|| format!("#{switch}"), |n| format!("`{n}`"));
            let message = format!(
                "port {port} on switch {name} is already used by {}",
                first.loc
            );
            found.push((*later, message));
        }
        for (_, (later, name), (first, first_name)) in self.stable_ids.duplicates() {
            // Equal names are reported as such; distinct names whose 64-bit hashes collide
            // are astronomically rare, but a selector keyed on the id would confuse them.
            if name != first_name {
                let message = format!(
                    "`{name}` has the same stable id as {}; rename one",
                    first.loc
                );
                found.push((*later, message));
            }
        }
        for (at, message) in found {
            self.error_at(at, message);
        }
    }

    fn chain(&mut self, c: &ChainSection) -> Chain {
        let idle = Loc::Chain("idle_timeout");
        let idle_timeout = self
            .int::<u16>(idle, c.idle_timeout, 0, 65_535, "0..=65535 seconds")
            .unwrap_or(0);
        if c.mode == Mode::Reactive && c.idle_timeout == 0 {
            self.error(
                idle,
                "must be at least 1 in reactive mode (0 would keep every packet-in flow forever)",
            );
        }
        Chain {
            name: c.name.clone(),
            tos_encoding: c.tos_encoding,
            service_source: c.service_source,
            mode: c.mode,
            idle_timeout,
            spoof_action: c.spoof_action,
        }
    }

    fn switches(&mut self, entries: &'a [SwitchEntry], layers: usize) -> Vec<Switch> {
        let mut by_dpid: HashMap<u64, Vec<(Option<u16>, usize)>> = HashMap::new();
        let mut out = Vec::with_capacity(entries.len());
        for (i, s) in entries.iter().enumerate() {
            self.name("switch", Loc::Switch(i, "name"), &s.name);
            let dpid = self.dpid(Loc::Switch(i, "dpid"), &s.dpid);
            let vlan = s.vlan.and_then(|v| {
                self.int::<u16>(Loc::Switch(i, "vlan"), v, 1, 4094, "a VLAN id 1..=4094")
            });
            let capacity = s.capacity.and_then(|c| {
                let what = "1..=4294967295 flow entries";
                self.int::<usize>(Loc::Switch(i, "capacity"), c, 1, i64::from(u32::MAX), what)
            });
            if let Some(dpid) = dpid {
                let slices = by_dpid.entry(dpid).or_default();
                let clash = slices
                    .iter()
                    .find(|(other, _)| *other == vlan || other.is_none() || vlan.is_none());
                if let Some(&(other, j)) = clash {
                    let dpid = crate::format_dpid(dpid);
                    let message = match (other, vlan) {
                        (Some(a), Some(b)) if a == b => {
                            format!("dpid {dpid} vlan {a} is already switches[{j}]")
                        }
                        (None, None) => format!("dpid {dpid} is already switches[{j}]"),
                        _ => format!(
                            "dpid {dpid} is also switches[{j}]; a whole switch and a VLAN-scoped \
                             junction cannot share a datapath"
                        ),
                    };
                    self.error(Loc::Switch(i, "dpid"), message);
                }
                slices.push((vlan, i));
            }
            out.push(Switch {
                index: i,
                name: s.name.clone(),
                dpid: dpid.unwrap_or(0),
                vlan,
                capacity,
            });
        }
        if entries.len() != layers + 1 {
            self.error(
                Loc::Root("switches"),
                format!(
                    "{layers} layers need {} junction switches (J0..J{layers}), found {}",
                    layers + 1,
                    entries.len()
                ),
            );
        }
        out
    }

    fn dpid(&mut self, loc: Loc, value: &DpidValue) -> Option<u64> {
        let parsed = match value {
            DpidValue::Int(n) => u64::try_from(*n).ok(),
            DpidValue::Text(t) => parse_dpid(t),
        };
        if parsed.is_none() {
            let found = match value {
                DpidValue::Int(n) => n.to_string(),
                DpidValue::Text(t) => format!("`{t}`"),
            };
            self.error(
                loc,
                format!(
                    "{found} is not a datapath id (expected 16 hex digits, colons optional, or a \
                     non-negative integer)"
                ),
            );
        }
        parsed
    }

    fn backbone(&mut self, b: &BackboneEntry, layers: usize) -> Backbone {
        Backbone {
            port: self.port(Loc::Backbone("port"), b.port, layers, PortRole::EdgeUp),
            router_mac: self.mac(Loc::Backbone("router_mac"), &b.router_mac),
        }
    }

    fn layers(&mut self, entries: &'a [LayerEntry], chain: &Chain) -> Vec<Layer> {
        let count = entries.len();
        let encoding = chain.tos_encoding;
        let by_tos = chain.service_source == ServiceSource::Tos;
        if count == 0 {
            self.error(Loc::Root("layers"), "at least one layer is required");
        } else if count > ServiceSet::CAPACITY {
            self.error(
                Loc::Root("layers"),
                format!(
                    "{count} layers, more than the {} a chain can hold",
                    ServiceSet::CAPACITY
                ),
            );
        } else if by_tos && count > encoding.capacity() {
            self.error(
                Loc::Root("layers"),
                format!(
                    "{count} layers do not fit the {encoding} encoding (at most {}); use \
                     tos_encoding = \"tos8\" (up to 8) or service_source = \"config\"",
                    encoding.capacity()
                ),
            );
        }
        let mut bits: HashMap<u32, usize> = HashMap::new();
        let mut out = Vec::with_capacity(count);
        for (li, entry) in entries.iter().enumerate() {
            let vm_count: usize = entry.hypervisors.iter().map(|h| h.vms.len()).sum();
            if vm_count == 0 && entry.bypass.is_empty() {
                self.error(
                    Loc::Layer(li, ""),
                    format!(
                        "layer `{}` has neither VMs nor a bypass link: no traffic could cross it",
                        entry.name
                    ),
                );
            }
            self.name("layer", Loc::Layer(li, "name"), &entry.name);
            let bit = self.bit(li, entry, chain, &mut bits);
            if entry.when_empty == WhenEmpty::FailOpen && entry.bypass.is_empty() {
                self.error(
                    Loc::Layer(li, "when_empty"),
                    "fail-open needs a bypass link, and this layer has none",
                );
            }
            let bypass = self.bypass(li, entry);
            let (hypervisors, vms) = self.hypervisors(li, entry);
            out.push(Layer {
                index: li,
                name: entry.name.clone(),
                bit,
                selector: entry.selector,
                when_empty: entry.when_empty,
                bypass,
                hypervisors,
                vms,
            });
        }
        out
    }

    /// The layer's service bit: in range for the encoding (or 0..=63 without ToS) and unique.
    fn bit(
        &mut self,
        li: usize,
        entry: &LayerEntry,
        chain: &Chain,
        bits: &mut HashMap<u32, usize>,
    ) -> u32 {
        let loc = Loc::Layer(li, "bit");
        let raw = entry.bit.unwrap_or(li as i64);
        let shown = if entry.bit.is_some() {
            format!("bit {raw}")
        } else {
            format!("bit {raw} (the default: the layer's index)")
        };
        let encoding = chain.tos_encoding;
        let (max, why) = if chain.service_source == ServiceSource::Tos {
            (encoding.capacity() - 1, format!("the {encoding} encoding"))
        } else {
            (ServiceSet::CAPACITY - 1, "a service set".to_owned())
        };
        let Some(bit) = u32::try_from(raw).ok().filter(|&b| b as usize <= max) else {
            self.error(loc, format!("{shown} does not fit {why} (bits 0..={max})"));
            return 0;
        };
        match bits.entry(bit) {
            Entry::Occupied(first) => {
                let first = *first.get();
                self.error(loc, format!("{shown} is already used by layers[{first}]"));
            }
            Entry::Vacant(slot) => {
                slot.insert(li);
            }
        }
        bit
    }

    fn bypass(&mut self, li: usize, entry: &LayerEntry) -> Vec<Bypass> {
        let mut out = Vec::with_capacity(entry.bypass.len());
        for (bi, b) in entry.bypass.iter().enumerate() {
            let (layer, bypass) = (li, bi);
            out.push(Bypass {
                index: bi,
                down_port: self.port(
                    Loc::Bypass(li, bi, "down_port"),
                    b.down_port,
                    li,
                    PortRole::BypassUp { layer, bypass },
                ),
                up_port: self.port(
                    Loc::Bypass(li, bi, "up_port"),
                    b.up_port,
                    li + 1,
                    PortRole::BypassDown { layer, bypass },
                ),
            });
        }
        out
    }

    fn hypervisors(&mut self, li: usize, entry: &'a LayerEntry) -> (Vec<Hypervisor>, Vec<Vm>) {
        let mut hvs = Vec::with_capacity(entry.hypervisors.len());
        let mut vms = Vec::new();
        for (hi, h) in entry.hypervisors.iter().enumerate() {
            self.name("hypervisor", Loc::Hv(li, hi, "name"), &h.name);
            let (layer, hypervisor) = (li, hi);
            let down_port = self.port(
                Loc::Hv(li, hi, "down_port"),
                h.down_port,
                li,
                PortRole::VnfUp { layer, hypervisor },
            );
            let up_port = self.port(
                Loc::Hv(li, hi, "up_port"),
                h.up_port,
                li + 1,
                PortRole::VnfDown { layer, hypervisor },
            );
            let first_vm = vms.len();
            for (vi, vm) in h.vms.iter().enumerate() {
                let loc = Loc::Vm(li, hi, vi, "name");
                self.name("VM", loc, &vm.name);
                let stable_id = stable_hash(&vm.name);
                let at = self.at(loc);
                self.stable_ids.claim(stable_id, (at, vm.name.as_str()));
                let down_mac = self.mac(Loc::Vm(li, hi, vi, "down_mac"), &vm.down_mac);
                let up_mac = self.mac(Loc::Vm(li, hi, vi, "up_mac"), &vm.up_mac);
                let what = format!("a weight 1..={MAX_WEIGHT}");
                let weight = vm.weight.map_or(Some(1), |w| {
                    self.int::<u32>(
                        Loc::Vm(li, hi, vi, "weight"),
                        w,
                        1,
                        MAX_WEIGHT.into(),
                        &what,
                    )
                });
                vms.push(Vm {
                    id: VmId {
                        layer: li,
                        index: vms.len(),
                    },
                    name: vm.name.clone(),
                    hypervisor: hi,
                    down_mac,
                    up_mac,
                    weight: weight.unwrap_or(1),
                    down_port,
                    up_port,
                    stable_id,
                });
            }
            hvs.push(Hypervisor {
                index: hi,
                layer: li,
                name: h.name.clone(),
                down_port,
                up_port,
                vms: first_vm..vms.len(),
            });
        }
        (hvs, vms)
    }

    /// The catalogue of a ToS-driven chain. Every problem it could find was already reported
    /// with a path; if the layers were clean and it still fails, report that at `layers`.
    fn catalogue(
        &mut self,
        layers: &[Layer],
        encoding: Encoding,
        dirty: bool,
    ) -> Option<Catalogue> {
        if dirty {
            return None;
        }
        let services = layers.iter().map(|l| (l.name.clone(), l.bit));
        match Catalogue::new(encoding, services) {
            Ok(catalogue) => Some(catalogue),
            Err(e) => {
                self.error(Loc::Root("layers"), e.to_string());
                None
            }
        }
    }

    fn customers(
        &mut self,
        entries: &'a [CustomerEntry],
        layers: &[Layer],
        catalogue: Option<&Catalogue>,
    ) -> Vec<Customer> {
        let layer_index: HashMap<&str, usize> = layers
            .iter()
            .rev()
            .map(|l| (l.name.as_str(), l.index))
            .collect();
        let mut no_bypass = ServiceSet::EMPTY;
        for layer in layers.iter().filter(|l| l.bypass.is_empty()) {
            // Layers beyond a set's capacity were reported already.
            let _ = no_bypass.insert(layer.index);
        }
        let known = || {
            let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
            names.join(", ")
        };
        let mut out = Vec::with_capacity(entries.len());
        for (ci, c) in entries.iter().enumerate() {
            if c.ipv4.is_empty() && c.ipv6.is_empty() {
                self.error(
                    Loc::Customer(ci, ""),
                    "has no addresses: list at least one host or prefix in ipv4 or ipv6",
                );
            }
            self.name("customer", Loc::Customer(ci, "name"), &c.name);
            let role = PortRole::Edge { customer: ci };
            let port = self.port(Loc::Customer(ci, "port"), c.port, 0, role);
            let cpe_mac = self.mac(Loc::Customer(ci, "cpe_mac"), &c.cpe_mac);
            let ipv4 = self.nets(ci, "ipv4", &c.ipv4, address::parse_ipv4);
            let ipv6 = self.nets(ci, "ipv6", &c.ipv6, address::parse_ipv6);
            let mut services = ServiceSet::EMPTY;
            for (j, name) in c.services.iter().enumerate() {
                let loc = Loc::CustomerItem(ci, "services", j);
                match layer_index.get(name.as_str()) {
                    None => {
                        let known = known();
                        self.error(loc, format!("unknown service `{name}` (layers: {known})"));
                    }
                    Some(&layer) => {
                        if services.insert(layer) == Ok(false) {
                            self.error(loc, format!("`{name}` is listed twice"));
                        }
                    }
                }
            }
            let skipped = ServiceSet::from_bits(no_bypass.bits() & !services.bits());
            if !skipped.is_empty() {
                let names: Vec<String> = skipped
                    .iter()
                    .filter_map(|l| layers.get(l))
                    .map(|l| format!("`{}`", l.name))
                    .collect();
                self.error(
                    Loc::Customer(ci, "services"),
                    if let [name] = names.as_slice() {
                        format!(
                            "skips layer {name}, which has no bypass link to carry its traffic \
                             past (list the service or give the layer a bypass)"
                        )
                    } else {
                        format!(
                            "skips layers {}, which have no bypass link to carry its traffic \
                             past (list the services or give the layers a bypass)",
                            names.join(", ")
                        )
                    },
                );
            }
            out.push(Customer {
                index: ci,
                name: c.name.clone(),
                port,
                cpe_mac,
                ipv4,
                ipv6,
                services,
                tos: catalogue.and_then(|cat| cat.encode(services).ok()),
            });
        }
        out
    }

    /// Parses one address list of customer `ci`, claiming each good entry for the overlap
    /// check; bad entries are reported and left out.
    fn nets<N: Copy + Into<IpNet>>(
        &mut self,
        ci: usize,
        list: &'static str,
        texts: &[String],
        parse: fn(&str) -> Result<N, String>,
    ) -> Vec<N> {
        let mut out = Vec::with_capacity(texts.len());
        for (j, text) in texts.iter().enumerate() {
            let loc = Loc::CustomerItem(ci, list, j);
            match parse(text) {
                Ok(net) => {
                    let ipnet: IpNet = net.into();
                    let (first, last) = address::range(&ipnet);
                    self.ranges.push((first, last, self.addresses.len()));
                    let at = self.at(loc);
                    self.addresses.push(AddressItem {
                        at,
                        customer: ci,
                        net: ipnet,
                    });
                    out.push(net);
                }
                Err(message) => self.error(loc, message),
            }
        }
        out
    }

    /// Reports every customer prefix that overlaps another (within or across customers) at
    /// the later of the two, naming the earlier.
    fn address_overlaps(&mut self) {
        let mut pairs = address::overlaps(&mut self.ranges);
        pairs.sort_unstable();
        for (a, b) in pairs {
            // Items are in file order: the larger index is the later one.
            let (later, earlier) = (a.max(b), a.min(b));
            let (Some(later), Some(earlier)) =
                (self.addresses.get(later), self.addresses.get(earlier))
            else {
                continue;
            };
            let message = if later.net == earlier.net {
                format!("{} is also listed at {}", later.net, earlier.at.loc)
            } else {
                format!(
                    "{} overlaps {} at {}",
                    later.net, earlier.net, earlier.at.loc
                )
            };
            let at = later.at;
            self.error_at(at, message);
        }
    }
}
