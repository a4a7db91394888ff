//! Large synthetic topologies for tests and benchmarks, deterministic in a seed and valid by
//! construction.
//!
//! Layout: junction `j<i>` has dpid `i + 1`. Customer `c<i>` sits on port `i + 1` of J0 with
//! the /28 `10.0.0.0 + 16·i` (room for 2^20 customers), every third one also the host
//! `172.16.0.0 + i` and, with [`SyntheticSpec::ipv6`], the /64 `2001:db8::/32` + `i` (i.e. `2001:db8:<i / 2^16>:<i % 2^16>::/64`). Layer
//! `l` has [`SyntheticSpec::bypass_per_layer`] bypass links, hypervisors `l<l>-hv<h>` and VMs
//! `l<l>-vm<v>` spread round-robin over them. Ports on each switch are numbered upwards from 1
//! in that order; MACs are `02:..` locally administered, all distinct. The seed chooses each
//! customer's services (each layer with probability 1/2) and each VM's weight (1..=4).
//!
//! ```
//! use flowfall_topology::synthetic::{generate, SyntheticSpec};
//!
//! let spec = SyntheticSpec { customers: 1000, layers: 4, vms_per_layer: 16, ..Default::default() };
//! let topo = generate(&spec)?;
//! assert_eq!(topo.customers().len(), 1000);
//! assert_eq!(topo.switches().len(), 5);
//! assert_eq!(topo.all_vms().count(), 64);
//! assert_eq!(generate(&spec)?, topo, "deterministic in the seed");
//! # Ok::<(), flowfall_topology::synthetic::SpecError>(())
//! ```

use flowfall_tos::{Encoding, ServiceSet};

use crate::file::{
    BackboneEntry, BypassEntry, ChainSection, ConfigFile, CustomerEntry, DpidValue,
    HypervisorEntry, LayerEntry, SwitchEntry, VmEntry,
};
use crate::options::{SelectorKind, ServiceSource};
use crate::{ConfigErrors, Mac, Topology};

/// Most customers the address plan holds (2^20 /28s in 10.0.0.0/8).
pub const MAX_CUSTOMERS: usize = 1 << 20;
/// Most hypervisors per layer.
pub const MAX_HYPERVISORS: usize = 4096;
/// Most VMs per layer.
pub const MAX_VMS: usize = 65_536;
/// Most bypass links per layer.
pub const MAX_BYPASS: usize = 16;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntheticSpec {
    /// Number of customers (0..=[`MAX_CUSTOMERS`]).
    pub customers: usize,
    /// Number of VNF layers (1..=the encoding's capacity with ToS services, else 1..=64).
    pub layers: usize,
    /// Hypervisors per layer (0..=[`MAX_HYPERVISORS`]; at least 1 if there are VMs).
    pub hypervisors_per_layer: usize,
    /// VMs per layer (0..=[`MAX_VMS`]).
    pub vms_per_layer: usize,
    /// Bypass links per layer (1..=[`MAX_BYPASS`]).
    pub bypass_per_layer: usize,
    /// Seed of the services and weights.
    pub seed: u64,
    /// ToS encoding of the chain.
    pub encoding: Encoding,
    /// Service source of the chain.
    pub service_source: ServiceSource,
    /// Selector of every layer.
    pub selector: SelectorKind,
    /// Whether customers also get an IPv6 /64.
    pub ipv6: bool,
    /// VLAN scope of every junction.
    pub vlan: Option<u16>,
}

impl Default for SyntheticSpec {
    /// 20 customers, 3 layers of 2 hypervisors × 8 VMs, one bypass each, DSCP, seed 0.
    fn default() -> Self {
        SyntheticSpec {
            customers: 20,
            layers: 3,
            hypervisors_per_layer: 2,
            vms_per_layer: 8,
            bypass_per_layer: 1,
            seed: 0,
            encoding: Encoding::Dscp,
            service_source: ServiceSource::Tos,
            selector: SelectorKind::default(),
            ipv6: true,
            vlan: None,
        }
    }
}

/// A spec that cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// A count outside its range.
    #[error("{field} = {value} is out of range (expected {expected})")]
    OutOfRange {
        /// The spec field.
        field: &'static str,
        /// Its value.
        value: usize,
        /// The accepted range.
        expected: String,
    },
    /// The generated configuration failed validation (a bug in the generator).
    #[error("generated configuration is invalid:\n{0}")]
    Invalid(ConfigErrors),
    /// The configuration could not be written as TOML.
    #[error("cannot write TOML: {0}")]
    Toml(String),
}

impl SyntheticSpec {
    /// Checks every count against its range.
    ///
    /// # Errors
    /// [`SpecError::OutOfRange`] naming the first bad field.
    pub fn check(&self) -> Result<(), SpecError> {
        let max_layers = match self.service_source {
            ServiceSource::Tos => self.encoding.capacity(),
            ServiceSource::Config => ServiceSet::CAPACITY,
        };
        let min_hv = usize::from(self.vms_per_layer > 0);
        let vlan = self.vlan.map_or(1, usize::from);
        let checks = [
            ("customers", self.customers, 0, MAX_CUSTOMERS),
            ("layers", self.layers, 1, max_layers),
            (
                "hypervisors_per_layer",
                self.hypervisors_per_layer,
                min_hv,
                MAX_HYPERVISORS,
            ),
            ("vms_per_layer", self.vms_per_layer, 0, MAX_VMS),
            ("bypass_per_layer", self.bypass_per_layer, 1, MAX_BYPASS),
            ("vlan", vlan, 1, 4094),
        ];
        for (field, value, lo, hi) in checks {
            if !(lo..=hi).contains(&value) {
                let expected = format!("{lo}..={hi}");
                return Err(SpecError::OutOfRange {
                    field,
                    value,
                    expected,
                });
            }
        }
        Ok(())
    }
}

/// SplitMix64: a tiny, well-mixed deterministic generator.
fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hands out ports per switch and MACs, each from 1 upwards.
struct Counters {
    ports: Vec<i64>,
    mac: u64,
}

impl Counters {
    fn port(&mut self, switch: usize) -> i64 {
        match self.ports.get_mut(switch) {
            Some(next) => {
                *next += 1;
                *next
            }
            None => 0,
        }
    }

    fn mac(&mut self) -> String {
        self.mac += 1;
        Mac::from_u64(0x0200_0000_0000 | self.mac).to_string()
    }
}

/// The configuration for `spec`.
///
/// # Errors
/// [`SpecError::OutOfRange`] when the spec is outside the generator's limits.
pub fn generate_config(spec: &SyntheticSpec) -> Result<ConfigFile, SpecError> {
    spec.check()?;
    let mut next = Counters {
        ports: vec![0; spec.layers + 1],
        mac: 0,
    };
    let switches = (0..=spec.layers)
        .map(|i| SwitchEntry {
            name: format!("j{i}"),
            dpid: DpidValue::Int(i as i64 + 1),
            vlan: spec.vlan.map(i64::from),
            capacity: None,
        })
        .collect();
    let backbone = BackboneEntry {
        port: next.port(spec.layers),
        router_mac: next.mac(),
    };
    // Customers first, so their edge ports are 1..=customers on J0.
    let layer_names: Vec<String> = (0..spec.layers).map(|l| format!("layer{l}")).collect();
    let customers = (0..spec.customers)
        .map(|i| customer(spec, i, &layer_names, &mut next))
        .collect();
    let layers = (0..spec.layers)
        .map(|l| layer(spec, l, &layer_names, &mut next))
        .collect();
    Ok(ConfigFile {
        chain: ChainSection {
            name: format!("synthetic-{}", spec.seed),
            tos_encoding: spec.encoding,
            service_source: spec.service_source,
            ..ChainSection::default()
        },
        switches,
        backbone,
        layers,
        customers,
    })
}

fn customer(
    spec: &SyntheticSpec,
    i: usize,
    layer_names: &[String],
    next: &mut Counters,
) -> CustomerEntry {
    let random = splitmix(spec.seed ^ splitmix(i as u64));
    let index = i as u32;
    let mut ipv4 = vec![format!(
        "{}/28",
        std::net::Ipv4Addr::from(0x0a00_0000 + (index << 4))
    )];
    if i % 3 == 0 {
        ipv4.push(std::net::Ipv4Addr::from(0xac10_0000 + index).to_string());
    }
    let ipv6 = if spec.ipv6 {
        // 2001:db8:<index high 16 bits>:<index low 16 bits>::/64
        vec![format!(
            "2001:db8:{:x}:{:x}::/64",
            index >> 16,
            index & 0xffff
        )]
    } else {
        Vec::new()
    };
    let services = layer_names
        .iter()
        .enumerate()
        .filter(|&(l, _)| random >> (l % 64) & 1 == 1)
        .map(|(_, name)| name.clone())
        .collect();
    CustomerEntry {
        name: format!("c{i}"),
        port: next.port(0),
        cpe_mac: next.mac(),
        ipv4,
        ipv6,
        services,
    }
}

fn layer(spec: &SyntheticSpec, l: usize, names: &[String], next: &mut Counters) -> LayerEntry {
    let bypass = (0..spec.bypass_per_layer)
        .map(|_| BypassEntry {
            down_port: next.port(l),
            up_port: next.port(l + 1),
        })
        .collect();
    let mut hypervisors: Vec<HypervisorEntry> = (0..spec.hypervisors_per_layer)
        .map(|h| HypervisorEntry {
            name: format!("l{l}-hv{h}"),
            down_port: next.port(l),
            up_port: next.port(l + 1),
            vms: Vec::new(),
        })
        .collect();
    let hv_count = hypervisors.len().max(1);
    for v in 0..spec.vms_per_layer {
        let random = splitmix(spec.seed.rotate_left(17) ^ splitmix(((l as u64) << 32) | v as u64));
        let vm = VmEntry {
            name: format!("l{l}-vm{v}"),
            down_mac: next.mac(),
            up_mac: next.mac(),
            weight: Some((random % 4) as i64 + 1),
        };
        if let Some(hv) = hypervisors.get_mut(v % hv_count) {
            hv.vms.push(vm);
        }
    }
    LayerEntry {
        name: names.get(l).cloned().unwrap_or_default(),
        bit: None,
        selector: spec.selector,
        when_empty: Default::default(),
        bypass,
        hypervisors,
    }
}

/// The validated topology for `spec`.
///
/// # Errors
/// [`SpecError::OutOfRange`] for a spec outside the limits; [`SpecError::Invalid`] would
/// mean a generator bug (tests check it never happens).
pub fn generate(spec: &SyntheticSpec) -> Result<Topology, SpecError> {
    Topology::from_config(&generate_config(spec)?).map_err(SpecError::Invalid)
}

/// The configuration for `spec` as TOML text.
///
/// # Errors
/// As [`generate_config`], or [`SpecError::Toml`].
pub fn generate_toml(spec: &SyntheticSpec) -> Result<String, SpecError> {
    generate_config(spec)?
        .to_toml_string()
        .map_err(|e| SpecError::Toml(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PortRole;
    use proptest::prelude::*;

    fn ok(spec: &SyntheticSpec) -> Topology {
        generate(spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"))
    }

    #[test]
    fn default_spec_is_valid_and_deterministic() {
        let spec = SyntheticSpec::default();
        assert_eq!(ok(&spec), ok(&spec));
        let other = SyntheticSpec {
            seed: 1,
            ..spec.clone()
        };
        let services = |t: &Topology| t.customers().iter().map(|c| c.services).collect::<Vec<_>>();
        assert_ne!(services(&ok(&spec)), services(&ok(&other)));
    }

    #[test]
    fn toml_round_trip() {
        let spec = SyntheticSpec {
            customers: 50,
            vlan: Some(115),
            ..Default::default()
        };
        let text = generate_toml(&spec).unwrap_or_else(|e| panic!("{e}"));
        let parsed = Topology::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed, ok(&spec));
    }

    #[test]
    fn limits() {
        let too_many = SyntheticSpec {
            layers: 7,
            ..Default::default()
        };
        assert_eq!(
            too_many.check().map_err(|e| e.to_string()),
            Err("layers = 7 is out of range (expected 1..=6)".into())
        );
        let config = SyntheticSpec {
            service_source: ServiceSource::Config,
            ..too_many
        };
        assert!(config.check().is_ok());
        let orphan_vms = SyntheticSpec {
            hypervisors_per_layer: 0,
            ..Default::default()
        };
        assert!(generate(&orphan_vms).is_err());
        let bypass_only = SyntheticSpec {
            hypervisors_per_layer: 0,
            vms_per_layer: 0,
            ..Default::default()
        };
        assert!(generate(&bypass_only).is_ok());
    }

    #[test]
    fn largest_shapes() {
        // 64 layers (config-sourced services), and 2^20 customers' address plan edges.
        let wide = SyntheticSpec {
            layers: 64,
            customers: 10,
            vms_per_layer: 2,
            service_source: ServiceSource::Config,
            ..Default::default()
        };
        assert_eq!(ok(&wide).layers().len(), 64);
        let last = MAX_CUSTOMERS - 1;
        let spec = SyntheticSpec::default();
        let mut next = Counters {
            ports: vec![0; 4],
            mac: 0,
        };
        let c = customer(&spec, last, &[], &mut next);
        assert_eq!(c.ipv4[0], "10.255.255.240/28");
        assert_eq!(c.ipv6, ["2001:db8:f:ffff::/64"]);
        let c = customer(&spec, 70_000, &[], &mut next);
        assert_eq!(c.ipv6, ["2001:db8:1:1170::/64"]);
        assert_eq!(c.ipv4.len(), 1, "70000 is not a multiple of 3");
    }

    #[test]
    fn large_topology_is_valid() {
        let spec = SyntheticSpec {
            customers: 20_000,
            layers: 6,
            hypervisors_per_layer: 8,
            vms_per_layer: 64,
            ..Default::default()
        };
        let topo = ok(&spec);
        assert_eq!(topo.all_vms().count(), 6 * 64);
        assert!(topo.layers().iter().all(|l| l.vms_on(7).len() == 8));
        let last = topo.customers().last().map(|c| (c.port, c.name.as_str()));
        assert_eq!(last, Some((20_000, "c19999")));
        assert_eq!(
            topo.customer_by_name("c12345").map(|c| c.index),
            Some(12_345)
        );
    }

    #[test]
    fn roles_cover_every_port() {
        let topo = ok(&SyntheticSpec::default());
        for s in 0..topo.switches().len() {
            for &(port, role) in topo.ports(s) {
                assert_eq!(topo.port_of(role), Some((s, port)));
            }
        }
        assert_eq!(topo.role(0, 1), Some(PortRole::Edge { customer: 0 }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn any_spec_in_range_validates(
            customers in 0usize..300,
            layers in 1usize..=6,
            hvs in 1usize..5,
            vms in 0usize..20,
            bypass in 1usize..3,
            seed in any::<u64>(),
            ipv6 in any::<bool>(),
        ) {
            let spec = SyntheticSpec {
                customers, layers, hypervisors_per_layer: hvs, vms_per_layer: vms,
                bypass_per_layer: bypass, seed, ipv6, ..Default::default()
            };
            let topo = generate(&spec);
            prop_assert!(topo.is_ok(), "{:?}", topo.err());
            let topo = topo.unwrap_or_else(|_| unreachable!());
            prop_assert_eq!(topo.customers().len(), customers);
            for c in topo.customers() {
                for net in &c.ipv4 {
                    let found = topo.customer_for_address(net.addr().into()).map(|f| f.index);
                    prop_assert_eq!(found, Some(c.index));
                }
                prop_assert!(c.tos.is_some());
            }
        }
    }
}
