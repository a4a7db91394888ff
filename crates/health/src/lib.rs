//! # flowfall-health
//!
//! Sans-IO health management for FlowFall service chains over OpenFlow 1.3: the answers to
//! the open problems the paper names (§5.2, §6.2) — VM liveness hidden by hashing, uneven
//! load, header-rewriting functions in the chain — as state machines and planners that take
//! time and packets in and hand messages and decisions out. No sockets, no clocks, no tokio:
//! the controller feeds them.
//!
//! | module | what it does |
//! |---|---|
//! | [`probe`] | probe packets that cross the VNF itself (`PACKET_OUT` on the VU port, returned by a high-priority entry at the next junction) |
//! | [`liveness`] | per-VM Up / Suspect / Down from probes (RTT, loss) and `PORT_STATUS`; [`liveness::Event`]s for recompiles |
//! | [`lldp`], [`links`] | LLDP frames and a link monitor for the bypass links |
//! | [`assign`] | the compiler's VM choice, reproduced ([`assign::LayerChooser`], kept in an [`assign::ChooserCache`] so VM changes reuse built tables), and per-address [`assign::Overrides`] above it |
//! | [`failover`] | live set and pins from liveness events: only a dead VM's customers move, and they stay when it returns |
//! | [`balance`] | per-VM load from flow counters, imbalance, a rate-limited planner with hysteresis |
//! | [`nat`] | NAT-in-chain detection: entries that punt unclaimed upstream IPv4 on VD ports, and an alarm table |
//! | [`cookie`] | cookies and priorities of the entries above, clear of the compiler's |
//!
//! Time is [`liveness::Nanos`]: nanoseconds on any monotonic clock the caller chooses.
//!
//! ```
//! use flowfall_health::assign::Assignment;
//! use flowfall_health::failover::{Failover, FailoverPolicy};
//! use flowfall_health::liveness::{Event, LivenessConfig, MILLISECOND, Monitor};
//! use flowfall_health::probe::{self, ProbeConfig};
//! use flowfall_topology::Topology;
//!
//! let topo = Topology::from_toml_str(r#"
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
//!     [[layers.hypervisors]]
//!     name = "hv1"
//!     down_port = 2
//!     up_port = 2
//!     [[layers.hypervisors.vms]]
//!     name = "fw-1"
//!     down_mac = "02:00:00:01:01:01"
//!     up_mac = "02:00:00:01:01:02"
//!     [[layers.hypervisors.vms]]
//!     name = "fw-2"
//!     down_mac = "02:00:00:01:02:01"
//!     up_mac = "02:00:00:01:02:02"
//!     [[customers]]
//!     name = "acme"
//!     port = 1
//!     cpe_mac = "02:00:00:aa:00:01"
//!     ipv4 = ["192.0.2.0/26", "192.0.2.64/26", "192.0.2.128/26", "192.0.2.192/26"]
//!     services = ["firewall"]
//! "#)?;
//!
//! // The entry returning probes at J1 (install it with the compiled tables).
//! let config = ProbeConfig::default();
//! assert_eq!(probe::return_flows(&topo, &config).len(), 1);
//!
//! let mut monitor = Monitor::for_topology(&topo, LivenessConfig::default(), config)?;
//! let mut failover = Failover::new(&topo, FailoverPolicy::default());
//!
//! // fw-1 forwards its probes back within 1 ms; fw-2 has died.
//! let mut events = Vec::new();
//! let mut now = 0;
//! while now <= 1000 * MILLISECOND {
//!     let tick = monitor.on_tick(now);
//!     events.extend(tick.transitions.iter().filter_map(|t| t.event()));
//!     for p in tick.probes.iter().filter(|p| p.vm.index == 0) {
//!         // (the controller sends p.packet_out to p.dpid; the PACKET_IN comes back)
//!         monitor.on_probe_reply(&p.packet_out.data, now + MILLISECOND)?;
//!     }
//!     now = monitor.next_deadline().unwrap_or(u64::MAX);
//! }
//! let [Event::VmDown { vm, at, .. }] = events[..] else { panic!("{events:?}") };
//! assert_eq!(topo.vm(vm).map(|v| v.name.as_str()), Some("fw-2"));
//! assert!(at <= LivenessConfig::default().worst_case_detection() + 50 * MILLISECOND);
//! let fw1_health = topo.vm_by_name("fw-1").and_then(|v| monitor.health(v.id));
//! assert_eq!(fw1_health.and_then(|h| h.rtt.last), Some(MILLISECOND));
//!
//! // Failover: fw-2's addresses move to fw-1; the compiler gets the live set and overrides.
//! let update = failover.on_event(&topo, &events[0])?;
//! let fw1 = topo.vm_by_name("fw-1").map(|v| v.id);
//! assert!(!update.moved.is_empty() && update.moved.iter().all(|m| m.to == fw1));
//! let assignment = Assignment::compute(&topo, failover.live(), failover.overrides())?;
//! assert_eq!(assignment.on_vm(vm).count(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The README's examples, compiled as doctests so they stay correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod assign;
pub mod balance;
pub mod cookie;
pub mod error;
pub mod failover;
pub mod flows;
pub mod links;
pub mod liveness;
pub mod lldp;
pub mod nat;
pub mod probe;
pub mod wire;

#[cfg(test)]
mod testing;

pub use error::{Error, Rejection};
