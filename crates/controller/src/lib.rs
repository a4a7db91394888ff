//! # flowfall-controller
//!
//! The FlowFall NFV service-chaining controller (paper section 4; architecture §2): a sans-IO
//! OpenFlow 1.3 controller [`core`] and a tokio [`runtime`] around it with TLS, a REST API,
//! Prometheus metrics, config reload on SIGHUP and graceful shutdown.
//!
//! - [`core::Controller`] is a state machine: feed it [`core::Event`]s (a switch connected,
//!   a message arrived, it disconnected) and API calls, take [`core::Output`]s (messages to
//!   send, connections to close, update confirmations) with [`core::Controller::poll_output`],
//!   and call [`core::Controller::handle_timeout`] at [`core::Controller::poll_timeout`].
//! - [`runtime::Runtime`] serves it on TCP (or TLS with client certificates) and HTTP: the
//!   REST API, metrics and the web portal ([`runtime::portal`], `flowfall-portal`) on one port.
//!   [`runtime::Runtime::deployment`] serves several switch-disjoint chains (one topology file
//!   and one core task each; [`runtime::routes`] hands each connection to its chain's core).
//! - [`settings::Settings`] holds the controller's own settings (separate from the topology).
//!
//! ```
//! use std::time::Instant;
//! use flowfall_controller::core::{ConnId, Controller, Event, Output};
//! use flowfall_controller::settings::Settings;
//! use flowfall_ofp::{Message, OfMessage};
//! # let topology = flowfall_topology::Topology::from_toml_str(r#"
//! # [[switches]]
//! # name = "j0"
//! # dpid = 1
//! # [[switches]]
//! # name = "j1"
//! # dpid = 2
//! # [backbone]
//! # port = 1
//! # router_mac = "02:00:00:00:ff:01"
//! # [[layers]]
//! # name = "firewall"
//! # bypass = [{ down_port = 20, up_port = 20 }]
//! # [[layers.hypervisors]]
//! # name = "hv1"
//! # down_port = 11
//! # up_port = 11
//! # [[layers.hypervisors.vms]]
//! # name = "fw-1"
//! # down_mac = "02:00:00:01:01:01"
//! # up_mac = "02:00:00:01:01:02"
//! # [[customers]]
//! # name = "alpha"
//! # port = 2
//! # cpe_mac = "02:00:00:aa:00:01"
//! # ipv4 = ["10.0.1.0/24"]
//! # services = ["firewall"]
//! # "#).unwrap();
//!
//! let mut core = Controller::new(topology, (&Settings::default().openflow).into())?;
//! let now = Instant::now();
//! core.handle(now, Event::Connected { conn: ConnId(1), peer: "192.0.2.1:40000".into() });
//! // The controller greets the switch with an OpenFlow 1.3 HELLO.
//! let hello = std::iter::from_fn(|| core.poll_output()).find_map(|o| match o {
//!     Output::Send { msg: OfMessage { msg: Message::Hello(h), .. }, .. } => Some(h),
//!     _ => None,
//! });
//! assert_eq!(hello.map(|h| h.version), Some(4));
//! # Ok::<(), flowfall_controller::core::CoreError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod core;
pub mod metrics;
pub mod runtime;
pub mod settings;

pub use crate::core::{ConnId, Controller, CoreError, Event, Output};
pub use runtime::{
    ChainView, ControllerHandle, Running, Runtime, RuntimeError, run, run_deployment,
};
pub use settings::Settings;
