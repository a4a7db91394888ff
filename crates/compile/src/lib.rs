//! # flowfall-compile: FlowFall flow tables, diffs and a pipeline simulator
//!
//! From a validated [`flowfall_topology::Topology`], its run-time [`Inputs`] (the live VMs
//! [`LiveVms`], per-address VM overrides [`VmOverrides`] and the live bypass links
//! [`LiveBypass`]) and each layer's selector, this crate compiles the flow table of every
//! junction switch as
//! typed OpenFlow 1.3 entries ([`FlowEntry`], convertible to [`flowfall_ofp::FlowMod`]),
//! following the FlowFall rules of architecture.md §3 (paper §4.2) exactly: per customer
//! address, upstream entries from J0 to J*n* through one VM of each layer of its service set
//! (bypass links past the others) and mirrored downstream entries back through the same VMs.
//! See [`rules`] for the entries and priorities.
//!
//! - **Fail-closed**: a known customer's return traffic follows its configured service set
//!   (no bypass by default, unlike the 2015 original, architecture.md §4); a layer with no
//!   live VM drops the traffic of the customers needing it unless it is `fail-open`.
//! - **Anti-spoofing** at J0: a wrong source address or ToS value from a customer port is
//!   dropped, or re-marked with `spoof_action = "remark"`.
//! - **Proactive and reactive** modes from one function ([`Compilation::address_flows`]);
//!   **ToS or config** service sources; **IPv4 and IPv6** customers; VLAN-scoped junctions.
//! - **Cookies** name each entry's owner ([`cookie`]) so a controller can reconcile tables.
//! - **Overrides** ([`overrides`]): an address can be pinned to a VM of a layer (failover
//!   pinning, load balancing); honoured while that VM is live and the layer is in the
//!   address's service set, ignored otherwise. **Dead bypass links** are avoided: their
//!   addresses move to the layer's live links, or are dropped at the edges when none is live.
//! - **Incremental** recompiles ([`Compilation::update_inputs`], [`Compilation::set_live`],
//!   [`Compilation::set_overrides`], [`Compilation::set_live_bypass`]) give minimal, safely
//!   ordered [`Diff`]s (add, barrier, modify, barrier, delete; architecture.md §5) touching
//!   only the addresses whose path changes.
//! - A capacity [`Report`] per switch, and [`ofctl`] output for `ovs-ofctl add-flows`.
//! - A [`sim`]ulator with OpenFlow 1.3 pipeline semantics that walks packets through the whole
//!   chain; the crate's property tests check every rule above with it.
//!
//! ```
//! use std::sync::Arc;
//! use flowfall_compile::sim::{Fabric, Outcome, Tracer};
//! use flowfall_compile::{AddressId, Compilation, LiveVms, VmOverrides};
//! use flowfall_topology::Topology;
//!
//! let topology = Arc::new(Topology::from_toml_str(r#"
//!     [[switches]]
//!     name = "j0"
//!     dpid = 1
//!     [[switches]]
//!     name = "j1"
//!     dpid = 2
//!     [backbone]
//!     port = 1
//!     router_mac = "02:00:00:00:ff:01"
//!     [[layers]]
//!     name = "firewall"
//!     bypass = [{ down_port = 20, up_port = 20 }]
//!     [[layers.hypervisors]]
//!     name = "hv1"
//!     down_port = 11
//!     up_port = 11
//!     [[layers.hypervisors.vms]]
//!     name = "fw-1"
//!     down_mac = "02:00:00:01:01:01"
//!     up_mac = "02:00:00:01:01:02"
//!     [[customers]]
//!     name = "bravo"
//!     port = 2
//!     cpe_mac = "02:00:00:aa:00:02"
//!     ipv4 = ["10.0.2.0/24"]
//!     services = ["firewall"]
//! "#)?);
//! let mut compiled = Compilation::new(Arc::clone(&topology), LiveVms::all(&topology), 1)?;
//! let tables = compiled.tables();
//! println!("{}", tables.switches[0].to_ofctl()?);
//!
//! // Walk bravo's packets through the compiled tables.
//! let fabric = Fabric::from_tables(&tables)?;
//! let tracer = Tracer::new(&topology, &fabric, None);
//! let up = tracer.upstream(0, "10.0.2.7".parse()?, 0x04)?; // DSCP 1 = firewall
//! assert_eq!(up.describe(&topology), "j0[2] -> fw-1 -> j1[11] -> port 1 (eth_dst 02:00:00:00:ff:01)");
//! let spoofed = tracer.upstream(0, "10.0.2.7".parse()?, 0)?; // wrong ToS
//! assert_eq!(spoofed.outcome, Outcome::Dropped { switch: 0 });
//!
//! // fw-1 dies: the layer is fail-closed, so bravo's traffic is dropped at the edges.
//! let fw1 = topology.vm_by_name("fw-1").ok_or("no fw-1")?.id;
//! let diff = compiled.set_live(LiveVms::all(&topology).without(fw1)?, 2)?;
//! assert_eq!(diff.stats().total(), 4); // J0 up and J1 down become drops; 2 entries go
//!
//! // A pin on a dead VM is ignored; once fw-1 is back, bravo follows it.
//! let mut pins = VmOverrides::new();
//! pins.insert("bravo", "10.0.2.0/24".parse()?, fw1);
//! assert!(compiled.set_overrides(pins, 3)?.is_empty());
//! let diff = compiled.set_live(LiveVms::all(&topology), 4)?;
//! assert_eq!(compiled.chosen_vms(AddressId(0)), [fw1]);
//! assert_eq!(diff.stats().total(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod compilation;
pub mod cookie;
pub mod diff;
pub mod entry;
pub mod error;
pub mod fxhash;
pub mod live;
pub mod ofctl;
pub mod overrides;
pub mod path;
mod plan;
pub mod report;
pub mod rules;
pub mod sim;
pub mod tables;

pub use compilation::{Address, AddressId, Compilation, Inputs};
pub use diff::{Diff, DiffStats, Op, Phase, PhaseKind};
pub use entry::{FlowEntry, Instructions};
pub use error::Error;
pub use live::{BypassId, LiveBypass, LiveVms};
pub use overrides::VmOverrides;
pub use path::Hop;
pub use report::Report;
pub use tables::{SwitchTable, Tables};

#[cfg(test)]
mod properties;
#[cfg(test)]
mod properties_reactive;
