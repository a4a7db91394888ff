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
//! | [`controller`] | `flowfall-controller` | sans-IO controller core and tokio runtime |
#![forbid(unsafe_code)]

pub use flowfall_compile as compile;
pub use flowfall_controller as controller;
pub use flowfall_ofp as ofp;
pub use flowfall_select as select;
pub use flowfall_topology as topology;
pub use flowfall_tos as tos;
