//! # flowfall-loadgen: an OpenFlow 1.3 controller benchmark
//!
//! cbench measures controllers with OpenFlow 1.0 only. This crate does the same job for
//! OpenFlow 1.3, and two more: how fast a controller programs a switch, and how it copes
//! with many switches at once. It is a library (emulated switches and workloads other
//! projects can reuse) and the `flowfall-loadgen` binary.
//!
//! - [`switch::EmulatedSwitch`]: a sans-IO OpenFlow 1.3 switch: handshake, echo, barrier,
//!   role, async config, DESC/PORT_DESC/FLOW/AGGREGATE/TABLE/PORT_STATS multiparts, and a
//!   [`flow_table::FlowTable`] kept from FLOW_MODs so a controller can reconcile against it.
//! - [`workload`]: what the switches send: [`workload::Learning`] (cbench-style hosts,
//!   announced first so a learning switch knows them), [`workload::FlowFall`] (customer
//!   traffic of a FlowFall topology), [`workload::Silent`].
//! - [`bench::run_bench`]: N switches, one tokio task each, send PACKET_INs in
//!   [`session::Mode::Throughput`] (a window in flight per switch, optionally paced) or
//!   [`session::Mode::Latency`] (one in flight); a PACKET_IN is answered by the first
//!   FLOW_MOD or PACKET_OUT that refers to it ([`inflight`]). The [`report::BenchReport`]
//!   gives responses per second and p50/p99/p99.9 latency, as a table or JSON.
//! - [`install`]: the controller side of a proactive install (pipelined FLOW_MODs, optionally
//!   in an ONF [`bundle`]) timed from connect to BARRIER_REPLY; [`flowset`] holds the flows,
//!   also as `ovs-ofctl add-flows` text, so `ovs-ofctl` can be timed on the same entries.
//! - [`scale::run_scale`]: many switches at once; time until all are programmed and the
//!   controller's RSS.
//!
//! ```
//! use std::time::Instant;
//! use flowfall_loadgen::inflight::{InFlight, Pending};
//! use flowfall_loadgen::switch::EmulatedSwitch;
//! use flowfall_loadgen::workload::learning_plan;
//! use flowfall_ofp::{Message, OfMessage};
//! use flowfall_ofp::packet_out::PacketOut;
//!
//! // Two switches with 4 ports and 8 hosts each, dpids 0x10 and 0x11.
//! let plan = learning_plan(2, 0x10, 4, 8)?;
//! let mut switch = EmulatedSwitch::new(plan[0].spec.clone());
//!
//! // The first measured packet: a UDP datagram between two of its hosts.
//! let probe = plan[0].workload.probe(0).expect("learning switches always send");
//! let mut inflight = InFlight::new();
//! let id = inflight.next_id();
//! let frame = probe.headers.emit(id)?;
//! let mut wire = Vec::new();
//! switch.packet_in(id, probe.in_port, &frame, &mut wire)?;
//! assert!(matches!(OfMessage::decode(&wire)?.msg, Message::PacketIn(_)));
//! let now = Instant::now();
//! inflight.insert(id, Pending { sent: now, in_port: probe.in_port, headers: probe.headers, measured: true }, frame);
//!
//! // A PACKET_OUT using the buffer answers it, once.
//! let out = PacketOut { buffer_id: id, in_port: probe.in_port, actions: vec![], data: vec![] };
//! assert!(inflight.answer_packet_out(&out).is_some());
//! assert!(inflight.answer_packet_out(&out).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bench;
pub mod bundle;
pub mod classify;
pub mod flow_table;
pub mod flowset;
pub mod inflight;
pub mod install;
pub mod pacer;
pub mod packet;
pub mod report;
pub mod scale;
pub mod session;
pub mod switch;
pub mod workload;

pub use bench::{BenchOptions, RunError, run_bench};
pub use install::{InstallOptions, InstallReport, accept_and_install};
pub use report::BenchReport;
pub use scale::{ScaleOptions, ScaleReport, run_scale};
pub use session::Mode;
pub use switch::{EmulatedSwitch, SwitchSpec};
pub use workload::{SwitchPlan, Workload};
