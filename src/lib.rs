//! # FlowFall
//!
//! NFV service chaining over OpenFlow 1.3, after the FlowFall system deployed at
//! Interop Tokyo ShowNet 2015. This facade re-exports the workspace crates so an
//! application can depend on one name:
//!
//! | module | crate | what it holds |
//! |---|---|---|
//! | [`ofp`] | `flowfall-ofp` | OpenFlow 1.3.5 wire codec |
//! | [`tos`] | `flowfall-tos` | service bitmap <-> ToS/DSCP byte |
//! | [`topology`] | `flowfall-topology` | VNF layers, junctions, customers; TOML config |
//! | [`select`] | `flowfall-select` | VM selection (MD5-mod, rendezvous, Maglev) |
//! | [`compile`] | `flowfall-compile` | model -> per-switch flow tables, diffs, simulator |
//! | [`health`] | `flowfall-health` | VNF liveness probes, LLDP, failover, rebalancing, NAT detection |
//! | [`controller`] | `flowfall-controller` | sans-IO controller core and tokio runtime |
//! | [`portal`] | `flowfall-portal` | customer and operator web portal |
//!
//! ```
//! use flowfall::ofp::{Message, OfMessage};
//! use flowfall::select::{Algorithm, Key, Member, Selector};
//! use std::net::Ipv4Addr;
//!
//! // A switch's HELLO off the wire (OpenFlow 1.3, xid 1).
//! let hello = OfMessage::decode(&[0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01])?;
//! assert!(matches!(hello.msg, Message::Hello(_)));
//!
//! // The VM of a three-VM layer that a customer address goes through: a pure function.
//! let layer: Vec<Member> = (1..=3).map(|id| Member::new(id, 1)).collect();
//! let maglev = Algorithm::Maglev.build(&layer)?;
//! let key = Key::from(Ipv4Addr::new(192, 0, 2, 7));
//! assert_eq!(maglev.select(&key), Algorithm::Maglev.build(&layer)?.select(&key));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub use flowfall_compile as compile;
pub use flowfall_controller as controller;
pub use flowfall_health as health;
pub use flowfall_ofp as ofp;
pub use flowfall_portal as portal;
pub use flowfall_select as select;
pub use flowfall_topology as topology;
pub use flowfall_tos as tos;
