//! Bypass-link liveness in the core (issue 7 item 1): LLDP out of both ends of every bypass
//! link (`flowfall_health::links::LinkMonitor`; the LLDP entries of `flowfall_health::lldp`
//! hand the frames back at the far end), `PORT_STATUS` as the fast signal. A link is Up once
//! frames crossed it both ways, Down when a direction is silent for `[health.lldp] timeout`
//! or an end's port goes down. A frame of ours arriving at the wrong port is a cabling error:
//! a warning, once per (sent from, arrived at) pair.
//!
//! A dead bypass link leaves the compiler's live-bypass set: addresses hashed onto it move to
//! the layer's other live bypass links (only those), in the usual waypoint-safe update. Only
//! a link LLDP has heard at least once can be found dead by silence (any link by
//! `PORT_STATUS`): a switch that never hands LLDP back (no punt of `01:80:c2:00:00:0e`, a
//! filtering NIC) must not make every bypass look dead and drop the traffic that needs one.
//! Such a link shows `down` in the views, with a warning, and keeps carrying traffic.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use flowfall_health::links::{
    Endpoint, LinkMonitor, LinkState, LinkTransition, LldpConfig, Observation,
};
use flowfall_ofp::Oxm;
use flowfall_ofp::message::Message;
use flowfall_ofp::packet_in::PacketIn;
use flowfall_topology::{Topology, format_dpid};
use serde::Serialize;
use tracing::{debug, info, warn};

use super::health::ns;
use super::{Controller, CoreError};

/// Most distinct miswirings logged (later ones are only counted).
const MAX_MISWIRINGS_LOGGED: usize = 1024;

/// `[health.lldp]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSettings {
    /// Whether the bypass links are watched (default true).
    pub enabled: bool,
    /// Time between two frames out of each link end (default 1 s).
    pub interval: Duration,
    /// Silence after which a direction is dead (default 3 s).
    pub timeout: Duration,
}

impl Default for LinkSettings {
    fn default() -> Self {
        let d = LldpConfig::default();
        LinkSettings {
            enabled: true,
            interval: Duration::from_nanos(d.interval),
            timeout: Duration::from_nanos(d.timeout),
        }
    }
}

impl LinkSettings {
    /// The monitor's configuration.
    pub fn config(&self) -> LldpConfig {
        LldpConfig {
            interval: ns(self.interval),
            timeout: ns(self.timeout),
        }
    }
}

/// One end of a link (views).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkEndView {
    /// Junction name.
    pub switch: String,
    /// Datapath id.
    pub dpid: String,
    /// Port.
    pub port: u32,
}

/// One bypass link (GET /api/links).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkView {
    /// `bypass`: a link between two consecutive junctions.
    pub kind: String,
    /// The BU end on the lower junction.
    pub lower: LinkEndView,
    /// The BD end on the upper junction.
    pub upper: LinkEndView,
    /// The `layer#index` bypass entries of the configuration it carries.
    pub bypass: Vec<String>,
    /// `unknown` (no verdict yet), `up` or `down`.
    pub state: String,
    /// Seconds in this state.
    pub since_s_ago: f64,
    /// Whether an end's port is reported down.
    pub port_down: bool,
    /// Seconds since a frame last crossed it upward (lower to upper).
    pub last_upward_s_ago: Option<f64>,
    /// Seconds since a frame last crossed it downward.
    pub last_downward_s_ago: Option<f64>,
}

/// The link-watching state of the core.
#[derive(Debug)]
pub(super) struct LinkWatch {
    monitor: LinkMonitor,
    /// Miswirings already logged, `(sent from, arrived at)`.
    logged: BTreeSet<(Endpoint, Endpoint)>,
    /// Links LLDP has found up at least once (by index).
    heard: BTreeSet<usize>,
}

impl LinkWatch {
    pub(super) fn new(
        topology: &Topology,
        settings: &LinkSettings,
    ) -> Result<LinkWatch, CoreError> {
        Ok(LinkWatch {
            monitor: LinkMonitor::new(topology, settings.config())
                .map_err(|e| CoreError::Config(format!("[health.lldp]: {e}")))?,
            logged: BTreeSet::new(),
            heard: BTreeSet::new(),
        })
    }

    pub(super) fn next_deadline(&self) -> Option<u64> {
        self.monitor.next_deadline()
    }

    /// Number of links that are Down.
    pub(super) fn dead_links(&self) -> usize {
        self.monitor
            .links()
            .filter(|(_, h)| h.state == LinkState::Down)
            .count()
    }

    /// The `(layer, bypass index)` pairs carried by links that are Down and either were heard
    /// before or have an end's port down (see the [module docs](self)).
    pub(super) fn dead_bypasses(&self) -> BTreeSet<(usize, usize)> {
        self.monitor
            .links()
            .enumerate()
            .filter(|(i, (_, h))| {
                h.state == LinkState::Down && (h.port_down || self.heard.contains(i))
            })
            .flat_map(|(_, (l, _))| l.uses.iter().copied())
            .collect()
    }
}

fn state_name(s: LinkState) -> &'static str {
    match s {
        LinkState::Unknown => "unknown",
        LinkState::Up => "up",
        LinkState::Down => "down",
    }
}

impl Controller {
    /// Sends the due LLDP frames and acts on silent links.
    pub(super) fn links_timeout(&mut self, now: Instant) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let Some(l) = h.links.as_mut() else {
            return;
        };
        if l.monitor.next_deadline().is_none_or(|d| d > ns) {
            return;
        }
        let tick = l.monitor.on_tick(ns);
        for f in tick.frames {
            if let Some(conn) = self.ready_conn(f.dpid) {
                self.send(conn, Message::PacketOut(f.packet_out));
            }
        }
        self.on_link_transitions(now, &tick.transitions);
    }

    /// An LLDP frame came back (PACKET_IN of an LLDP entry).
    pub(super) fn lldp_packet_in(&mut self, now: Instant, dpid: u64, pi: &PacketIn) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let Some(l) = h.links.as_mut() else {
            return;
        };
        let in_port = pi.match_.fields.iter().find_map(|o| match o {
            Oxm::InPort(p) => Some(*p),
            _ => None,
        });
        let Some(in_port) = in_port else {
            debug!("LLDP PACKET_IN without in_port ignored");
            return;
        };
        match l.monitor.on_lldp(dpid, in_port, &pi.data, ns) {
            Ok(Observation::Link {
                transition: Some(t),
                ..
            }) => self.on_link_transitions(now, &[t]),
            Ok(Observation::Link { .. } | Observation::Foreign) => {}
            Ok(Observation::Miswired { from, to, expected }) => {
                if l.logged.len() < MAX_MISWIRINGS_LOGGED && l.logged.insert((from, to)) {
                    warn!(%from, arrived_at = %to, %expected,
                        "miswired bypass link: an LLDP frame arrived at the wrong port");
                }
            }
            Err(e) => debug!(error = %e, "LLDP PACKET_IN not understood"),
        }
    }

    /// A port's state for the link monitor.
    pub(super) fn links_port_status(&mut self, now: Instant, dpid: u64, port: u32, up: bool) {
        let Some(h) = self.health.as_mut() else {
            return;
        };
        let ns = h.nanos(now);
        let Some(l) = h.links.as_mut() else {
            return;
        };
        let ts = l.monitor.on_port_status(dpid, port, up, ns);
        self.on_link_transitions(now, &ts);
        // A link already down (silent, never heard) whose port now goes down is dead too.
        self.refresh_bypasses(now);
    }

    /// Logs link changes and updates the compiler's live-bypass set.
    fn on_link_transitions(&mut self, now: Instant, transitions: &[LinkTransition]) {
        if transitions.is_empty() {
            return;
        }
        let Some(l) = self.health.as_mut().and_then(|h| h.links.as_mut()) else {
            return;
        };
        l.heard.extend(
            transitions
                .iter()
                .filter(|t| t.to == LinkState::Up)
                .map(|t| t.link),
        );
        for t in transitions {
            let Some((link, h)) = l.monitor.links().nth(t.link) else {
                continue;
            };
            let (lower, upper) = (link.lower, link.upper);
            match t.to {
                LinkState::Down if h.port_down || l.heard.contains(&t.link) => {
                    warn!(%lower, %upper, cause = ?t.cause, "bypass link down");
                }
                LinkState::Down => warn!(
                    %lower,
                    %upper,
                    "bypass link never heard by LLDP (does the switch hand LLDP frames to the \
                     controller?): kept in use"
                ),
                _ => info!(%lower, %upper, state = state_name(t.to), "bypass link"),
            }
        }
        self.refresh_bypasses(now);
    }

    /// Gives the compiler the bypass links now dead (recompiles when that changed).
    fn refresh_bypasses(&mut self, now: Instant) {
        let Some(l) = self.health.as_ref().and_then(|h| h.links.as_ref()) else {
            return;
        };
        let dead = l.dead_bypasses();
        if self.model.steering_mut().set_dead_bypasses(dead) {
            self.model_changed(now);
        }
    }

    /// Every watched link (GET /api/links); empty while LLDP is off or not started.
    pub fn link_views(&self, now: Instant) -> Vec<LinkView> {
        let Some(h) = self.health.as_ref() else {
            return Vec::new();
        };
        let Some(l) = h.links.as_ref() else {
            return Vec::new();
        };
        let ns = h.nanos(now);
        let topo = self.model.topology();
        let ago = |t: u64| ns.saturating_sub(t) as f64 / 1e9;
        let end = |switch: usize, e: Endpoint| LinkEndView {
            switch: topo
                .switch(switch)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            dpid: format_dpid(e.dpid),
            port: e.port,
        };
        l.monitor
            .links()
            .map(|(link, health)| LinkView {
                kind: "bypass".into(),
                lower: end(link.lower_switch, link.lower),
                upper: end(link.upper_switch, link.upper),
                bypass: link
                    .uses
                    .iter()
                    .map(|&(layer, i)| {
                        let name = topo.layer(layer).map_or("?", |l| l.name.as_str());
                        format!("{name}#{i}")
                    })
                    .collect(),
                state: state_name(health.state).into(),
                since_s_ago: ago(health.since),
                port_down: health.port_down,
                last_upward_s_ago: health.last_upward.map(ago),
                last_downward_s_ago: health.last_downward.map(ago),
            })
            .collect()
    }

    /// Link metrics.
    pub(super) fn links_metrics(&self, o: &mut String) {
        let Some(l) = self.health.as_ref().and_then(|h| h.links.as_ref()) else {
            return;
        };
        let _ = writeln!(
            o,
            "# HELP flowfall_link_up Whether a bypass link carries LLDP both ways (1), is down (0) or not judged yet (-1).\n# TYPE flowfall_link_up gauge"
        );
        for (link, h) in l.monitor.links() {
            let v = match h.state {
                LinkState::Up => 1,
                LinkState::Down => 0,
                LinkState::Unknown => -1,
            };
            let _ = writeln!(
                o,
                "flowfall_link_up{{lower=\"{}/{}\",upper=\"{}/{}\"}} {v}",
                format_dpid(link.lower.dpid),
                link.lower.port,
                format_dpid(link.upper.dpid),
                link.upper.port
            );
        }
        let _ = writeln!(
            o,
            "# HELP flowfall_lldp_miswired_total LLDP frames that arrived at the wrong port (cabling errors).\n# TYPE flowfall_lldp_miswired_total counter\nflowfall_lldp_miswired_total {}",
            l.monitor.miswired()
        );
    }
}
