//! The sans-IO controller core (architecture §2): a state machine fed [`Event`]s that answers
//! with [`Output`]s (messages to send, connections to close, confirmations) and tells when it
//! next needs the clock ([`Controller::poll_timeout`]). No sockets, no tokio, no wall clock:
//! every method takes `now`, so all of it runs in unit tests against a fake switch.
//!
//! What it does:
//! - the OpenFlow 1.3 channel per connection ([`channel`]): version negotiation, FEATURES,
//!   PORT_DESC, SET_CONFIG, echo keepalive both ways with a dead-peer timeout;
//! - matches switches to junctions by datapath id (unknown ones are left untouched) and
//!   reports ports the topology expects but the switch lacks;
//! - reconciles on connect: reads the switch's flows and sends only the difference to the
//!   compiled table, never a flush, so a controller restart drops no traffic;
//! - pushes every model change (port status, VM liveness, service change, reload) as a
//!   waypoint-safe update (`flowfall_compile::Diff` phases) confirmed by barriers;
//! - reactive mode (the paper's): a PACKET_IN installs the customer's flows along the whole
//!   path, then the packet is sent back through the pipeline;
//! - answers malformed or unexpected messages with the spec's ERROR (type/code per the
//!   problem, the first 64 bytes quoted), without touching other switches;
//! - on request, reads J0's flow statistics into per-customer traffic counters ([`stats`]).

pub mod balance;
pub mod channel;
mod handlers;
pub mod health;
pub mod links;
pub mod locate;
pub mod model;
pub mod nat;
pub mod packet;
pub mod pins;
mod queries;
mod reactive;
mod rebuild;
mod reject;
pub mod stats;
mod sync;
pub mod table;
pub mod views;

#[cfg(test)]
mod handover_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_health;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

use flowfall_ofp::hello::Hello;
use flowfall_ofp::message::{Message, OfMessage};
use flowfall_topology::Topology;
use tracing::{info, warn};

use crate::metrics::{DisconnectReason, Metrics};
use crate::settings::OpenFlowSettings;
use channel::{Conn, Expired, Phase, Timers};
use model::Model;
use sync::Sync;
use table::FlowSet;

pub use channel::Timers as CoreTimers;

/// Identifies one switch connection (assigned by the runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Something that happened, for [`Controller::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A switch connected (after TLS, when used).
    Connected {
        /// The connection.
        conn: ConnId,
        /// The switch's address, for logs and views.
        peer: String,
    },
    /// One framed message arrived (its bytes, undecoded).
    Message {
        /// The connection.
        conn: ConnId,
        /// The whole message, header included.
        bytes: Vec<u8>,
    },
    /// The connection ended (the runtime noticed, e.g. closed by the switch or a bound hit).
    Disconnected {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: DisconnectReason,
    },
    /// Several chains per controller: another core did this connection's handshake up to
    /// FEATURES_REQUEST, and the switch's FEATURES_REPLY names a datapath this core's chain
    /// owns. The core takes the connection over as if it had done the handshake itself: it
    /// handles `features` (the whole FEATURES_REPLY) and goes on with PORT_DESC, SET_CONFIG
    /// and the reconcile, with fresh keepalive timers.
    Adopted {
        /// The connection.
        conn: ConnId,
        /// The switch's address, for logs and views.
        peer: String,
        /// The FEATURES_REPLY message, header included.
        features: Vec<u8>,
    },
    /// Several chains per controller: the connection was handed over to the core of the
    /// chain owning its datapath ([`Event::Adopted`] there). This core forgets it without
    /// sending or closing anything and without counting a disconnection.
    HandedOver {
        /// The connection.
        conn: ConnId,
    },
}

/// Something for the runtime to do. New kinds may be added: match with a catch-all arm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// Send a message on a connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// The message.
        msg: OfMessage,
    },
    /// Send messages already encoded, back to back, each with its own xid: how the core
    /// sends flow entries (FLOW_MODs encoded from its own copy of each entry, rather than
    /// a typed [`flowfall_ofp::FlowMod`] cloned from it per message).
    SendEncoded {
        /// The connection.
        conn: ConnId,
        /// One or more whole OpenFlow messages.
        bytes: Vec<u8>,
    },
    /// Flush what was sent, then close the connection. The core has already forgotten it.
    Close {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: DisconnectReason,
    },
    /// Every connected switch now holds the flows of model `generation` (or newer).
    Synced {
        /// The model generation.
        generation: u64,
    },
}

/// Errors of requests to the core (API calls, reloads).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// No customer of that name.
    #[error("no customer named {0:?}")]
    UnknownCustomer(String),
    /// No VM of that name.
    #[error("no VM named {0:?}")]
    UnknownVm(String),
    /// A service name that is not a layer.
    #[error("customer {customer:?}: no layer named {service:?} (layers: {known})")]
    UnknownService {
        /// The customer.
        customer: String,
        /// The unknown name.
        service: String,
        /// The layers there are.
        known: String,
    },
    /// The change cannot be expressed in this configuration.
    #[error("configuration: {0}")]
    Config(String),
    /// The flow tables could not be compiled.
    #[error("compile: {0}")]
    Compile(String),
}

impl From<&OpenFlowSettings> for Timers {
    fn from(s: &OpenFlowSettings) -> Timers {
        Timers {
            echo_interval: s.echo_interval,
            dead_peer_timeout: s.dead_peer_timeout,
            handshake_timeout: s.handshake_timeout,
            barrier_timeout: s.barrier_timeout,
        }
    }
}

/// The controller core. See the [module docs](self).
#[derive(Debug)]
pub struct Controller {
    timers: Timers,
    model: Model,
    conns: BTreeMap<ConnId, Conn>,
    /// The connection serving each managed datapath id.
    by_dpid: HashMap<u64, ConnId>,
    /// What each datapath holds, as far as barriers confirmed.
    installed: HashMap<u64, FlowSet>,
    sync: Sync,
    /// Model generation: bumped on every change of the desired tables.
    generation: u64,
    outputs: VecDeque<Output>,
    metrics: Metrics,
    next_xid: u32,
    /// Reactive mode: packets waiting for their flows.
    pending_packets: VecDeque<reactive::PendingPacket>,
    /// Per-customer traffic counters from J0's flow statistics.
    traffic: stats::Traffic,
    /// VM health probing, when enabled ([`Controller::enable_health`]).
    health: Option<health::Health>,
}

impl Controller {
    /// A core serving `topology`.
    pub fn new(topology: Topology, timers: Timers) -> Result<Controller, CoreError> {
        let model = Model::new(topology)?;
        let mut c = Controller {
            timers,
            model,
            conns: BTreeMap::new(),
            by_dpid: HashMap::new(),
            installed: HashMap::new(),
            sync: Sync::default(),
            generation: 0,
            outputs: VecDeque::new(),
            metrics: Metrics::default(),
            next_xid: 1,
            pending_packets: VecDeque::new(),
            traffic: stats::Traffic::default(),
            health: None,
        };
        // Nothing connected yet: generation 0 is trivially in place.
        c.outputs.push_back(Output::Synced { generation: 0 });
        Ok(c)
    }

    /// The next output, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Controller::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conns
            .values()
            .map(|c| c.next_deadline(&self.timers))
            .chain(self.health_deadline())
            .min()
    }

    /// The current model generation (bumped by every change of the desired flows).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The topology being served.
    pub fn topology(&self) -> &Topology {
        self.model.topology()
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Every customer, with the services in effect.
    pub fn customer_views(&self) -> Vec<views::CustomerView> {
        self.model.customer_views()
    }

    /// One customer.
    pub fn customer_view(&self, name: &str) -> Option<views::CustomerView> {
        self.model.customer_view(name)
    }

    /// A customer's path through the chain.
    pub fn path_view(&self, name: &str) -> Option<views::PathView> {
        self.model.path_view(name)
    }

    /// Every VM with its liveness and, when probed, its probe state, RTT and loss.
    pub fn vm_views(&self) -> Vec<views::VmView> {
        let mut v = self.model.vm_views();
        self.health_fill(&mut v);
        v
    }

    /// Whether any output is waiting.
    pub fn has_output(&self) -> bool {
        !self.outputs.is_empty()
    }

    fn xid(&mut self) -> u32 {
        let x = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1).max(1);
        x
    }

    fn send(&mut self, conn: ConnId, msg: Message) -> u32 {
        let xid = self.xid();
        self.outputs.push_back(Output::Send {
            conn,
            msg: OfMessage { xid, msg },
        });
        xid
    }

    /// Queues messages already encoded (nothing when `bytes` is empty).
    fn send_encoded(&mut self, conn: ConnId, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.outputs.push_back(Output::SendEncoded { conn, bytes });
        }
    }

    fn reply(&mut self, conn: ConnId, xid: u32, msg: Message) {
        self.outputs.push_back(Output::Send {
            conn,
            msg: OfMessage { xid, msg },
        });
    }

    /// Feeds one event.
    pub fn handle(&mut self, now: Instant, event: Event) {
        self.handle_batch(now, std::iter::once(event));
    }

    /// Feeds several events that arrived together (e.g. every frame read in one turn of the
    /// runtime). Reactive activations and withdrawals of the whole batch become one sync
    /// (one round of FLOW_MODs and barriers per switch and phase), so the barrier round
    /// trips amortise over the batch.
    pub fn handle_batch(&mut self, now: Instant, events: impl IntoIterator<Item = Event>) {
        self.health_clock(now);
        for event in events {
            self.handle_one(now, event);
        }
        self.push_deferred(now);
    }

    fn handle_one(&mut self, now: Instant, event: Event) {
        match event {
            Event::Connected { conn, peer } => {
                info!(conn = conn.0, %peer, "switch connected");
                self.conns.insert(conn, Conn::new(peer, now, &self.timers));
                self.send(conn, Message::Hello(Hello::default()));
            }
            Event::Message { conn, bytes } => self.on_bytes(now, conn, &bytes),
            Event::Disconnected { conn, reason } => self.forget(now, conn, reason),
            Event::Adopted {
                conn,
                peer,
                features,
            } => self.adopt(now, conn, peer, &features),
            Event::HandedOver { conn } => {
                if self.release(now, conn, None) {
                    info!(
                        conn = conn.0,
                        "switch handed over to the chain owning its datapath"
                    );
                }
            }
        }
    }

    /// Handles every timer due at `now` (echo requests, handshake, barrier and dead-peer
    /// timeouts).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.health_clock(now);
        let due: Vec<(ConnId, Expired)> = self
            .conns
            .iter()
            .filter_map(|(&id, c)| c.expired(now, &self.timers).map(|e| (id, e)))
            .collect();
        for (conn, expired) in due {
            match expired {
                Expired::Echo => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.last_echo = Some(now);
                    }
                    self.send(conn, Message::EchoRequest(Vec::new()));
                }
                Expired::Handshake => self.close(now, conn, DisconnectReason::HandshakeTimeout),
                Expired::DeadPeer => self.close(now, conn, DisconnectReason::DeadPeer),
                Expired::Barrier => self.close(now, conn, DisconnectReason::BarrierTimeout),
            }
        }
        self.health_timeout(now);
    }

    /// Several chains per controller, after a reload: closes the connections of datapaths
    /// this core leaves unmanaged that `elsewhere` says another chain now owns, so that
    /// their switches reconnect and are handed over to that chain's core. Returns how many
    /// were closed.
    pub fn release_foreign(&mut self, now: Instant, elsewhere: impl Fn(u64) -> bool) -> usize {
        let foreign: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.phase == Phase::Unmanaged && c.dpid.is_some_and(&elsewhere))
            .map(|(&id, _)| id)
            .collect();
        for &conn in &foreign {
            self.close(now, conn, DisconnectReason::Moved);
        }
        foreign.len()
    }

    /// Closes a connection on the core's initiative.
    fn close(&mut self, now: Instant, conn: ConnId, reason: DisconnectReason) {
        if self.conns.contains_key(&conn) {
            warn!(
                conn = conn.0,
                reason = reason.name(),
                "disconnecting switch"
            );
            self.forget(now, conn, reason);
            self.outputs.push_back(Output::Close { conn, reason });
        }
    }

    /// Drops a connection's state (the connection is gone or going).
    fn forget(&mut self, now: Instant, conn: ConnId, reason: DisconnectReason) {
        self.release(now, conn, Some(reason));
    }

    /// Drops a connection's state, counting the disconnection when `reason` is given (not
    /// for a hand-over); a managed datapath it served is gone from the updates. Whether the
    /// connection was known.
    fn release(&mut self, now: Instant, conn: ConnId, reason: Option<DisconnectReason>) -> bool {
        let Some(c) = self.conns.remove(&conn) else {
            return false;
        };
        if let Some(reason) = reason {
            self.metrics.disconnect(reason);
        }
        if let Some(dpid) = c.dpid {
            if self.by_dpid.get(&dpid) == Some(&conn) {
                self.by_dpid.remove(&dpid);
                if c.phase == Phase::Ready {
                    self.metrics.switches_connected =
                        self.metrics.switches_connected.saturating_sub(1);
                }
                let reason = reason.map_or("handed_over", DisconnectReason::name);
                info!(conn = conn.0, dpid = %flowfall_topology::format_dpid(dpid), reason, "switch disconnected");
                self.sync_switch_gone(now, dpid);
            }
        }
        true
    }
}
