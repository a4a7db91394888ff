//! # flowfall-topology
//!
//! The FlowFall topology model (architecture.md section 3; paper sections 4.1-4.2), loaded
//! from TOML (`docs/config.md`) and validated:
//!
//! - junction switches J0..Jn ([`Switch`]: datapath id, optional VLAN scope);
//! - n VNF layers in chain order ([`Layer`]), layer `l` between switches `l` and `l + 1`,
//!   each with hypervisors ([`Hypervisor`]: a downlink port on the lower switch, an uplink
//!   port on the upper one), VMs ([`Vm`]: a MAC on each side, a weight, a stable identity)
//!   and bypass links ([`Bypass`]);
//! - customer edges on J0 ([`Customer`]: port, CPE MAC, IPv4/IPv6 prefixes, chosen services
//!   and the ToS value that carries them) and the backbone edge on Jn ([`Backbone`]);
//! - every switch port's role ([`PortRole`]: edge, edge-up, VU, VD, BU, BD) with look-ups
//!   both ways, and the customer owning an address.
//!
//! Validation reports **every** problem at once, each with its path in the file.
//!
//! ```
//! use flowfall_topology::{PortRole, Topology};
//!
//! let toml = r#"
//! [chain]
//! tos_encoding = "dscp"
//!
//! [[switches]]
//! name = "j0"
//! dpid = 1
//! [[switches]]
//! name = "j1"
//! dpid = 2
//!
//! [backbone]
//! port = 1
//! router_mac = "02:00:00:00:ff:01"
//!
//! [[layers]]
//! name = "firewall"
//! bit = 2
//! bypass = [{ down_port = 20, up_port = 20 }]
//! [[layers.hypervisors]]
//! name = "hv1"
//! down_port = 2
//! up_port = 2
//! [[layers.hypervisors.vms]]
//! name = "fw-1"
//! down_mac = "02:00:00:01:01:01"
//! up_mac = "02:00:00:01:01:02"
//!
//! [[customers]]
//! name = "exhibitor01"
//! port = 1
//! cpe_mac = "02:00:00:aa:00:01"
//! ipv4 = ["192.0.2.0/24"]
//! services = ["firewall"]
//! "#;
//! let topo = Topology::from_toml_str(toml)?;
//! let customer = topo.customer_for_address("192.0.2.7".parse()?).ok_or("no customer")?;
//! assert_eq!(customer.tos, Some(0x10)); // DSCP bit 2 = ToS bit 4
//! let fw = topo.vm_by_name("fw-1").ok_or("no vm")?;
//! assert_eq!(topo.role(0, fw.down_port), Some(PortRole::VnfUp { layer: 0, hypervisor: 0 }));
//! assert_eq!(topo.port_of(PortRole::EdgeUp), Some((1, 1)));
//!
//! // A broken file: every problem, each with its path.
//! let broken = toml.replace("02:00:00:01:01:02", "02:00:00:aa:00:01").replace("port = 1\ncpe", "port = 2\ncpe");
//! let errors = Topology::from_toml_str(&broken).unwrap_err();
//! assert_eq!(errors.paths(), ["customers[0].port", "customers[0].cpe_mac"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// The README's examples, compiled as doctests so they stay correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod address;
mod claims;
pub mod deployment;
mod error;
pub mod file;
mod mac;
mod model;
mod options;
mod role;
pub mod synthetic;
mod validate;
mod vm;

pub use deployment::{DeployedChain, Deployment, DeploymentError, DeploymentErrors};
pub use error::{ConfigError, ConfigErrors, Location};
pub use file::ConfigFile;
pub use flowfall_tos::{Catalogue, Encoding, ServiceSet};
pub use mac::{Mac, MacParseError};
pub use model::{Backbone, Bypass, Customer, Hypervisor, Layer, Switch, Topology, format_dpid};
pub use options::{Chain, Mode, SelectorKind, ServiceSource, SpoofAction, WhenEmpty};
pub use role::{PortKind, PortRole};
pub use validate::{MAX_PORT, MAX_WEIGHT};
pub use vm::{Vm, VmId, stable_hash};
