//! Per-connection state of the OpenFlow channel (OpenFlow 1.3.5 §6.3): the handshake phase,
//! what the switch told us, and the keepalive and request timers.
//!
//! Handshake, in order: both sides send HELLO and agree on a version (§6.3.1; only 1.3 is
//! accepted); FEATURES_REQUEST/REPLY gives the datapath id; the PORT_DESC multipart gives the
//! ports; SET_CONFIG asks for whole packets in PACKET_IN; in the reconcile phase the switch's
//! flow entries are read (FLOW_STATS) so that only the difference is sent.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flowfall_compile::FlowEntry;
use flowfall_ofp::port::Port;

/// Handshake phase of a connection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Phase {
    /// Our HELLO is sent; waiting for the switch's.
    Hello,
    /// FEATURES_REQUEST sent with this xid.
    Features {
        /// Request xid.
        xid: u32,
    },
    /// PORT_DESC request sent; parts collected so far.
    PortDesc {
        /// Request xid.
        xid: u32,
        /// Ports of the parts received.
        ports: Vec<Port>,
    },
    /// FLOW_STATS request sent; entries collected so far.
    Reconcile {
        /// Request xid.
        xid: u32,
        /// Entries of the parts received.
        entries: Vec<FlowEntry>,
    },
    /// Handshake done, table read: the switch takes part in updates.
    Ready,
    /// A datapath the topology does not know: answered (echo) but never programmed.
    Unmanaged,
}

impl Phase {
    /// Short name for views and logs.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Phase::Hello => "hello",
            Phase::Features { .. } => "features",
            Phase::PortDesc { .. } => "port-desc",
            Phase::Reconcile { .. } => "reconcile",
            Phase::Ready => "ready",
            Phase::Unmanaged => "unmanaged",
        }
    }

    /// Whether the phase waits for a reply (and so has a handshake deadline).
    fn waits(&self) -> bool {
        !matches!(self, Phase::Ready | Phase::Unmanaged)
    }
}

/// Limits bounding what a switch can make the controller hold.
pub(crate) const MAX_PORTS: usize = 65_536;
/// Most flow entries read back from one switch (a bigger table is refused, not buffered).
pub(crate) const MAX_FLOW_STATS: usize = 4_000_000;

/// Timer settings of every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Silence before we send an ECHO_REQUEST.
    pub echo_interval: Duration,
    /// Silence before the switch is considered dead.
    pub dead_peer_timeout: Duration,
    /// Longest wait for each handshake reply.
    pub handshake_timeout: Duration,
    /// Longest wait for a BARRIER_REPLY.
    pub barrier_timeout: Duration,
}

/// Why a timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expired {
    /// Time to send an ECHO_REQUEST.
    Echo,
    /// The handshake step took too long.
    Handshake,
    /// Nothing heard for the dead-peer timeout.
    DeadPeer,
    /// A barrier stayed unanswered.
    Barrier,
}

/// One switch connection.
#[derive(Debug)]
pub(crate) struct Conn {
    /// The switch's address.
    pub peer: String,
    /// Handshake phase.
    pub phase: Phase,
    /// Datapath id, once FEATURES_REPLY came.
    pub dpid: Option<u64>,
    /// Flow tables the switch has (FEATURES_REPLY).
    pub n_tables: u8,
    /// Ports by number (PORT_DESC, then PORT_STATUS).
    pub ports: BTreeMap<u32, Port>,
    /// Last time anything arrived.
    pub last_rx: Instant,
    /// Last ECHO_REQUEST we sent.
    pub last_echo: Option<Instant>,
    /// Deadline of the current handshake step.
    pub phase_deadline: Option<Instant>,
    /// Outstanding barriers: xid -> deadline.
    pub barriers: BTreeMap<u32, Instant>,
}

impl Conn {
    /// A new connection; our HELLO is being sent.
    pub(crate) fn new(peer: String, now: Instant, timers: &Timers) -> Conn {
        Conn {
            peer,
            phase: Phase::Hello,
            dpid: None,
            n_tables: 0,
            ports: BTreeMap::new(),
            last_rx: now,
            last_echo: None,
            phase_deadline: Some(now + timers.handshake_timeout),
            barriers: BTreeMap::new(),
        }
    }

    /// Enters `phase`, arming its deadline when it waits for a reply.
    pub(crate) fn enter(&mut self, phase: Phase, now: Instant, timers: &Timers) {
        self.phase_deadline = phase.waits().then(|| now + timers.handshake_timeout);
        self.phase = phase;
    }

    /// When the next ECHO_REQUEST is due.
    fn echo_due(&self, timers: &Timers) -> Instant {
        let base = match self.last_echo {
            Some(sent) if sent > self.last_rx => sent,
            _ => self.last_rx,
        };
        base + timers.echo_interval
    }

    /// The earliest instant something must happen on this connection.
    pub(crate) fn next_deadline(&self, timers: &Timers) -> Instant {
        let mut t = self
            .echo_due(timers)
            .min(self.last_rx + timers.dead_peer_timeout);
        if let Some(d) = self.phase_deadline {
            t = t.min(d);
        }
        if let Some(&b) = self.barriers.values().min() {
            t = t.min(b);
        }
        t
    }

    /// What expired at `now`, most serious first.
    pub(crate) fn expired(&self, now: Instant, timers: &Timers) -> Option<Expired> {
        if now >= self.last_rx + timers.dead_peer_timeout {
            Some(Expired::DeadPeer)
        } else if self.phase_deadline.is_some_and(|d| now >= d) {
            Some(Expired::Handshake)
        } else if self.barriers.values().any(|&d| now >= d) {
            Some(Expired::Barrier)
        } else if now >= self.echo_due(timers) {
            Some(Expired::Echo)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timers = Timers {
        echo_interval: Duration::from_secs(5),
        dead_peer_timeout: Duration::from_secs(15),
        handshake_timeout: Duration::from_secs(10),
        barrier_timeout: Duration::from_secs(30),
    };

    #[test]
    fn handshake_deadline_then_echo_then_dead_peer() {
        let t0 = Instant::now();
        let mut c = Conn::new("peer".into(), t0, &T);
        assert_eq!(c.next_deadline(&T), t0 + T.echo_interval);
        assert_eq!(c.expired(t0 + Duration::from_secs(4), &T), None);
        assert_eq!(
            c.expired(t0 + Duration::from_secs(5), &T),
            Some(Expired::Echo)
        );
        assert_eq!(
            c.expired(t0 + Duration::from_secs(10), &T),
            Some(Expired::Handshake)
        );
        c.enter(Phase::Ready, t0, &T);
        assert_eq!(
            c.expired(t0 + Duration::from_secs(10), &T),
            Some(Expired::Echo)
        );
        c.last_echo = Some(t0 + Duration::from_secs(5));
        assert_eq!(c.next_deadline(&T), t0 + Duration::from_secs(10));
        assert_eq!(
            c.expired(t0 + Duration::from_secs(15), &T),
            Some(Expired::DeadPeer)
        );
    }

    #[test]
    fn barrier_deadline_counts() {
        let t0 = Instant::now();
        let mut c = Conn::new("peer".into(), t0, &T);
        c.enter(Phase::Ready, t0, &T);
        c.barriers.insert(9, t0 + Duration::from_secs(1));
        assert_eq!(c.next_deadline(&T), t0 + Duration::from_secs(1));
        assert_eq!(
            c.expired(t0 + Duration::from_secs(1), &T),
            Some(Expired::Barrier)
        );
    }
}
