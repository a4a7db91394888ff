//! [`LinkMonitor`]: liveness of the chain's inter-switch links (the bypass links: BU on
//! J(i-1) ↔ BD on J(i)) from LLDP ([`crate::lldp`]) and `PORT_STATUS`.
//!
//! Each link is watched in both directions. It is Up while frames crossed it both ways within
//! [`LldpConfig::timeout`], Down when either direction has been silent that long or either
//! end's port is reported down, and Unknown until the first verdict. A frame from one of our
//! link ends that arrives somewhere else is reported as [`Observation::Miswired`].

use flowfall_ofp::MacAddr;
use flowfall_ofp::packet_out::PacketOut;
use flowfall_topology::Topology;

use crate::error::Error;
use crate::liveness::{Nanos, SECOND};
use crate::lldp::{self, LldpFrame};

/// LLDP timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LldpConfig {
    /// Time between two frames out of each link end (default 1 s).
    pub interval: Nanos,
    /// Silence after which a direction is dead (default 3 s: three frames lost).
    pub timeout: Nanos,
}

impl Default for LldpConfig {
    fn default() -> Self {
        LldpConfig {
            interval: SECOND,
            timeout: 3 * SECOND,
        }
    }
}

impl LldpConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::Config`] for an interval outside 10 ms..=1 h or a timeout not longer than
    /// the interval (or over 1 h).
    pub fn validate(&self) -> Result<(), Error> {
        let hour = 3600 * SECOND;
        if !(SECOND / 100..=hour).contains(&self.interval) {
            return Err(Error::config(
                "lldp.interval",
                "10 ms..=1 h (in ns)",
                self.interval,
            ));
        }
        if self.timeout <= self.interval || self.timeout > hour {
            return Err(Error::config(
                "lldp.timeout",
                format!("more than the interval ({} ns), at most 1 h", self.interval),
                self.timeout,
            ));
        }
        Ok(())
    }

    /// The TTL written into frames: the timeout in whole seconds, rounded up (1..=65535).
    pub fn ttl_seconds(&self) -> u16 {
        u16::try_from(self.timeout.div_ceil(SECOND))
            .unwrap_or(u16::MAX)
            .max(1)
    }
}

/// One end of a link: a port of a datapath.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// Datapath id.
    pub dpid: u64,
    /// Port number.
    pub port: u32,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}/{}", self.dpid, self.port)
    }
}

/// A physical link between two junctions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The BU end on the lower junction.
    pub lower: Endpoint,
    /// The BD end on the upper junction.
    pub upper: Endpoint,
    /// Lower junction index (the first, if several VLAN-scoped junctions share the link).
    pub lower_switch: usize,
    /// Upper junction index.
    pub upper_switch: usize,
    /// The `(layer, bypass index)` pairs of the configuration this link carries (several
    /// when VLAN-scoped junctions share the cable).
    pub uses: Vec<(usize, usize)>,
}

/// A link's liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// No verdict yet.
    Unknown,
    /// Frames cross it both ways.
    Up,
    /// A direction is silent or an end's port is down.
    Down,
}

/// A direction of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the lower end (BU) to the upper end (BD).
    Upward,
    /// From the upper end to the lower end.
    Downward,
}

/// Why a link's state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkCause {
    /// Frames now cross both ways.
    Lldp,
    /// A direction has been silent for the timeout.
    Timeout(Direction),
    /// An end's port went down.
    PortDown(Endpoint),
}

/// A link's state change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkTransition {
    /// Index in [`LinkMonitor::links`].
    pub link: usize,
    /// Before.
    pub from: LinkState,
    /// After.
    pub to: LinkState,
    /// When.
    pub at: Nanos,
    /// Why.
    pub cause: LinkCause,
}

/// The health of one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkHealth {
    /// Current state.
    pub state: LinkState,
    /// Since when.
    pub since: Nanos,
    /// Last frame received going up.
    pub last_upward: Option<Nanos>,
    /// Last frame received going down.
    pub last_downward: Option<Nanos>,
    /// Whether an end's port is reported down.
    pub port_down: bool,
    /// When the current watch began (the first tick, or the port coming back up): a
    /// direction never heard since is dead `timeout` after it.
    pub watching_since: Nanos,
}

/// What one received LLDP frame told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// It crossed a known link as expected.
    Link {
        /// Link index.
        link: usize,
        /// Direction it crossed.
        direction: Direction,
        /// The state change it caused.
        transition: Option<LinkTransition>,
    },
    /// One of our frames, sent from `from`, arrived at `to`, which is not the other end of
    /// `from`'s link: a cabling error.
    Miswired {
        /// Where it was sent.
        from: Endpoint,
        /// Where it arrived.
        to: Endpoint,
        /// Where it should have arrived.
        expected: Endpoint,
    },
    /// An LLDP frame not sent by this monitor (another chassis, or an end we do not use).
    Foreign,
}

/// A frame to send: `PACKET_OUT` [`packet_out`](Self::packet_out) to datapath `dpid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LldpToSend {
    /// Junction index.
    pub switch: usize,
    /// Datapath id.
    pub dpid: u64,
    /// Port it leaves through.
    pub port: u32,
    /// The message body.
    pub packet_out: PacketOut,
}

/// What one [`LinkMonitor::on_tick`] produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkTick {
    /// Frames to send now.
    pub frames: Vec<LldpToSend>,
    /// State changes from silent directions.
    pub transitions: Vec<LinkTransition>,
}

/// The link liveness state machine (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct LinkMonitor {
    config: LldpConfig,
    links: Vec<(Link, LinkHealth)>,
    macs: Vec<(Endpoint, MacAddr)>,
    started: Option<Nanos>,
    next_send: Nanos,
    miswired: u64,
}

impl LinkMonitor {
    /// Watches the bypass links of `topology`.
    ///
    /// # Errors
    /// [`Error::Config`] when `config` is out of range.
    pub fn new(topology: &Topology, config: LldpConfig) -> Result<LinkMonitor, Error> {
        config.validate()?;
        let mut links: Vec<(Link, LinkHealth)> = Vec::new();
        for layer in topology.layers() {
            let (Some(lo), Some(hi)) = (
                topology.switch(layer.down_switch()),
                topology.switch(layer.up_switch()),
            ) else {
                continue;
            };
            for b in &layer.bypass {
                let lower = Endpoint {
                    dpid: lo.dpid,
                    port: b.down_port,
                };
                let upper = Endpoint {
                    dpid: hi.dpid,
                    port: b.up_port,
                };
                if let Some((l, _)) = links
                    .iter_mut()
                    .find(|(l, _)| l.lower == lower && l.upper == upper)
                {
                    l.uses.push((layer.index, b.index));
                    continue;
                }
                links.push((
                    Link {
                        lower,
                        upper,
                        lower_switch: lo.index,
                        upper_switch: hi.index,
                        uses: vec![(layer.index, b.index)],
                    },
                    LinkHealth {
                        state: LinkState::Unknown,
                        since: 0,
                        last_upward: None,
                        last_downward: None,
                        port_down: false,
                        watching_since: 0,
                    },
                ));
            }
        }
        Ok(LinkMonitor {
            config,
            links,
            macs: Vec::new(),
            started: None,
            next_send: 0,
            miswired: 0,
        })
    }

    /// Uses `mac` as the source of frames out of `end` (e.g. from `PORT_DESC`); otherwise
    /// [`lldp::default_source_mac`].
    pub fn set_port_mac(&mut self, end: Endpoint, mac: MacAddr) {
        match self.macs.iter_mut().find(|(e, _)| *e == end) {
            Some(slot) => slot.1 = mac,
            None => self.macs.push((end, mac)),
        }
    }

    /// The links and their health.
    pub fn links(&self) -> impl Iterator<Item = (&Link, &LinkHealth)> + '_ {
        self.links.iter().map(|(l, h)| (l, h))
    }

    /// Frames seen arriving at the wrong place so far.
    pub fn miswired(&self) -> u64 {
        self.miswired
    }

    /// When [`on_tick`](Self::on_tick) has something to do next (`Some(0)` before the first
    /// tick, `None` without links).
    pub fn next_deadline(&self) -> Option<Nanos> {
        if self.links.is_empty() {
            return None;
        }
        if self.started.is_none() {
            return Some(0);
        }
        let timeout = self.config.timeout;
        let silent = self
            .links
            .iter()
            .filter(|(_, h)| h.state != LinkState::Down && !h.port_down)
            .flat_map(|(_, h)| {
                [h.last_upward, h.last_downward]
                    .map(|t| t.unwrap_or(h.watching_since).saturating_add(timeout))
            });
        silent.chain(std::iter::once(self.next_send)).min()
    }

    fn change(
        &mut self,
        link: usize,
        to: LinkState,
        at: Nanos,
        cause: LinkCause,
    ) -> Option<LinkTransition> {
        let (_, h) = self.links.get_mut(link)?;
        if h.state == to {
            return None;
        }
        let from = h.state;
        h.state = to;
        h.since = at;
        Some(LinkTransition {
            link,
            from,
            to,
            at,
            cause,
        })
    }

    /// Sends frames when due and declares silent directions dead.
    pub fn on_tick(&mut self, now: Nanos) -> LinkTick {
        let mut tick = LinkTick::default();
        if self.started.is_none() {
            self.started = Some(now);
            self.next_send = now;
            for (_, h) in &mut self.links {
                h.watching_since = now;
            }
        }
        let timeout = self.config.timeout;
        for i in 0..self.links.len() {
            let Some((_, h)) = self.links.get(i) else {
                continue;
            };
            if h.port_down {
                continue;
            }
            let stale = [
                (Direction::Upward, h.last_upward),
                (Direction::Downward, h.last_downward),
            ]
            .into_iter()
            .find(|(_, t)| now >= t.unwrap_or(h.watching_since).saturating_add(timeout));
            if let Some((direction, _)) = stale {
                tick.transitions.extend(self.change(
                    i,
                    LinkState::Down,
                    now,
                    LinkCause::Timeout(direction),
                ));
            }
        }
        if now >= self.next_send {
            let ttl = self.config.ttl_seconds();
            for (link, h) in &self.links {
                if h.port_down {
                    continue;
                }
                for (switch, end) in [
                    (link.lower_switch, link.lower),
                    (link.upper_switch, link.upper),
                ] {
                    let mac = self
                        .macs
                        .iter()
                        .find(|(e, _)| *e == end)
                        .map_or_else(|| lldp::default_source_mac(end.dpid, end.port), |(_, m)| *m);
                    if let Ok(packet_out) = lldp::packet_out(end.dpid, end.port, mac, ttl) {
                        tick.frames.push(LldpToSend {
                            switch,
                            dpid: end.dpid,
                            port: end.port,
                            packet_out,
                        });
                    }
                }
            }
            let next = self.next_send.saturating_add(self.config.interval);
            self.next_send = if next <= now {
                now.saturating_add(self.config.interval)
            } else {
                next
            };
        }
        tick
    }

    /// An LLDP frame arrived in a `PACKET_IN` on port `in_port` of datapath `dpid`.
    ///
    /// # Errors
    /// As [`LldpFrame::parse`] for a frame that is not LLDP.
    pub fn on_lldp(
        &mut self,
        dpid: u64,
        in_port: u32,
        frame: &[u8],
        now: Nanos,
    ) -> Result<Observation, Error> {
        let lldpdu = LldpFrame::parse(frame)?.lldpdu;
        let (Some(from_dpid), Some(from_port)) = (lldpdu.dpid(), lldpdu.port_no()) else {
            return Ok(Observation::Foreign);
        };
        let from = Endpoint {
            dpid: from_dpid,
            port: from_port,
        };
        let to = Endpoint {
            dpid,
            port: in_port,
        };
        let found = self.links.iter().enumerate().find_map(|(i, (l, _))| {
            if l.lower == from {
                Some((i, Direction::Upward, l.upper))
            } else if l.upper == from {
                Some((i, Direction::Downward, l.lower))
            } else {
                None
            }
        });
        let Some((i, direction, expected)) = found else {
            return Ok(Observation::Foreign);
        };
        if to != expected {
            self.miswired += 1;
            return Ok(Observation::Miswired { from, to, expected });
        }
        let Some((_, h)) = self.links.get_mut(i) else {
            return Ok(Observation::Foreign);
        };
        match direction {
            Direction::Upward => h.last_upward = Some(now),
            Direction::Downward => h.last_downward = Some(now),
        }
        let timeout = self.config.timeout;
        let fresh = |t: Option<Nanos>| t.is_some_and(|t| now < t.saturating_add(timeout));
        let both = fresh(h.last_upward) && fresh(h.last_downward) && !h.port_down;
        let transition = if both {
            self.change(i, LinkState::Up, now, LinkCause::Lldp)
        } else {
            None
        };
        Ok(Observation::Link {
            link: i,
            direction,
            transition,
        })
    }

    /// `PORT_STATUS` of `port` on `dpid`: down makes its link Down at once; up lets frames
    /// bring it back.
    pub fn on_port_status(
        &mut self,
        dpid: u64,
        port: u32,
        up: bool,
        now: Nanos,
    ) -> Vec<LinkTransition> {
        let end = Endpoint { dpid, port };
        let mut out = Vec::new();
        for i in 0..self.links.len() {
            let Some((l, h)) = self.links.get_mut(i) else {
                continue;
            };
            if l.lower != end && l.upper != end {
                continue;
            }
            h.port_down = !up;
            if up {
                // Old frames do not count: the link must be heard again both ways.
                h.last_upward = None;
                h.last_downward = None;
                h.watching_since = now;
                self.next_send = now;
            } else {
                out.extend(self.change(i, LinkState::Down, now, LinkCause::PortDown(end)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{sample_topology, vlan_topology};

    fn monitor() -> LinkMonitor {
        LinkMonitor::new(&sample_topology(), LldpConfig::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Delivers every frame of `tick` to the far end, except on `cut` links.
    fn deliver(
        m: &mut LinkMonitor,
        tick: &LinkTick,
        now: Nanos,
        cut: &[usize],
    ) -> Vec<LinkTransition> {
        let links: Vec<Link> = m.links().map(|(l, _)| l.clone()).collect();
        let mut out = Vec::new();
        for f in &tick.frames {
            let from = Endpoint {
                dpid: f.dpid,
                port: f.port,
            };
            let Some((i, l)) = links
                .iter()
                .enumerate()
                .find(|(_, l)| l.lower == from || l.upper == from)
            else {
                continue;
            };
            if cut.contains(&i) {
                continue;
            }
            let to = if l.lower == from { l.upper } else { l.lower };
            if let Ok(Observation::Link {
                transition: Some(t),
                ..
            }) = m.on_lldp(to.dpid, to.port, &f.packet_out.data, now)
            {
                out.push(t);
            }
        }
        out
    }

    #[test]
    fn links_from_bypasses() {
        let m = monitor();
        let links: Vec<&Link> = m.links().map(|(l, _)| l).collect();
        assert_eq!(links.len(), 2);
        assert_eq!(
            (links[0].lower, links[0].upper),
            (
                Endpoint { dpid: 1, port: 20 },
                Endpoint { dpid: 2, port: 20 }
            )
        );
        assert_eq!(
            (links[1].lower, links[1].upper),
            (
                Endpoint { dpid: 2, port: 21 },
                Endpoint { dpid: 3, port: 21 }
            )
        );
        assert_eq!(links[1].uses, vec![(1, 0)]);
        assert_eq!(
            LinkMonitor::new(&vlan_topology(), LldpConfig::default())
                .map(|m| m.links().count())
                .ok(),
            Some(2)
        );
    }

    #[test]
    fn up_when_heard_both_ways_down_when_silent() {
        let mut m = monitor();
        assert_eq!(m.next_deadline(), Some(0));
        let tick = m.on_tick(0);
        assert_eq!(tick.frames.len(), 4, "both ends of both links");
        let ups = deliver(&mut m, &tick, 1, &[]);
        assert_eq!(ups.len(), 2);
        assert!(
            ups.iter()
                .all(|t| t.to == LinkState::Up && t.cause == LinkCause::Lldp)
        );
        // Link 1 is cut from t = 1 s on; link 0 keeps working.
        let mut downs = Vec::new();
        let mut now = 0;
        while now < 10 * SECOND {
            now = m.next_deadline().unwrap_or(now + SECOND).max(now + 1);
            let tick = m.on_tick(now);
            downs.extend(tick.transitions.clone());
            deliver(&mut m, &tick, now, &[1]);
        }
        assert_eq!(downs.len(), 1, "{downs:?}");
        assert_eq!(downs[0].link, 1);
        assert!(matches!(downs[0].cause, LinkCause::Timeout(_)));
        assert!(downs[0].at <= 3 * SECOND + 1, "last heard at t = 1 ns");
        let states: Vec<LinkState> = m.links().map(|(_, h)| h.state).collect();
        assert_eq!(states, vec![LinkState::Up, LinkState::Down]);
    }

    #[test]
    fn never_heard_is_down_after_the_timeout() {
        let mut m = monitor();
        m.on_tick(0);
        assert_eq!(m.next_deadline(), Some(SECOND));
        m.on_tick(SECOND);
        m.on_tick(2 * SECOND);
        let t = m.on_tick(3 * SECOND);
        assert_eq!(t.transitions.len(), 2);
        assert!(
            t.transitions
                .iter()
                .all(|t| t.from == LinkState::Unknown && t.to == LinkState::Down)
        );
    }

    #[test]
    fn port_status_and_miswiring() {
        let mut m = monitor();
        let tick = m.on_tick(0);
        deliver(&mut m, &tick, 1, &[]);
        let t = m.on_port_status(2, 20, false, 5);
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].cause,
            LinkCause::PortDown(Endpoint { dpid: 2, port: 20 })
        );
        // No frames out of a down link; it stays Down until heard both ways after recovery.
        assert_eq!(m.on_tick(SECOND).frames.len(), 2);
        assert!(m.on_port_status(2, 20, true, 2 * SECOND).is_empty());
        let tick = m.on_tick(2 * SECOND);
        assert_eq!(tick.frames.len(), 4);
        let ups = deliver(&mut m, &tick, 2 * SECOND + 1, &[]);
        assert_eq!(ups.iter().map(|t| t.link).collect::<Vec<_>>(), vec![0]);
        // J0's BU frame arriving on J1 port 21 instead of 20.
        let frame = tick
            .frames
            .iter()
            .find(|f| f.dpid == 1)
            .map(|f| f.packet_out.data.clone())
            .unwrap_or_default();
        assert_eq!(
            m.on_lldp(2, 21, &frame, 3 * SECOND),
            Ok(Observation::Miswired {
                from: Endpoint { dpid: 1, port: 20 },
                to: Endpoint { dpid: 2, port: 21 },
                expected: Endpoint { dpid: 2, port: 20 },
            })
        );
        assert_eq!(m.miswired(), 1);
        let other = lldp::packet_out(99, 1, lldp::default_source_mac(99, 1), 4)
            .map(|p| p.data)
            .unwrap_or_default();
        assert_eq!(
            m.on_lldp(2, 20, &other, 3 * SECOND),
            Ok(Observation::Foreign)
        );
        assert!(m.on_lldp(2, 20, &[0u8; 20], 3 * SECOND).is_err());
    }

    #[test]
    fn config_ranges() {
        assert_eq!(LldpConfig::default().validate(), Ok(()));
        assert_eq!(LldpConfig::default().ttl_seconds(), 3);
        let bad = LldpConfig {
            interval: SECOND,
            timeout: SECOND,
        };
        assert!(matches!(
            bad.validate(),
            Err(Error::Config {
                field: "lldp.timeout",
                ..
            })
        ));
        let bad = LldpConfig {
            interval: 0,
            timeout: SECOND,
        };
        assert!(matches!(
            bad.validate(),
            Err(Error::Config {
                field: "lldp.interval",
                ..
            })
        ));
    }
}
