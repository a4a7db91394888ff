//! Per-VM liveness from probes through the VNF ([`crate::probe`]) and from `PORT_STATUS`
//! (paper §5.2/§6.2 problem 1; issue 7 item 1).
//!
//! [`Monitor`] is a sans-IO state machine: the caller passes the time in (ns on any monotonic
//! clock, [`Nanos`]) and sends the `PACKET_OUT`s it returns. Each VM is probed every
//! [`LivenessConfig::interval`]; a probe not back within [`LivenessConfig::reply_timeout`] is
//! a miss.
//!
//! ```text
//!            1st miss                 miss_count consecutive misses
//!   Up ───────────────────▶ Suspect ─────────────────────────────▶ Down
//!   ▲  ◀─────────────────────  │                                    │
//!   │        a reply                                                │
//!   └───────────────────────────────────────────────────────────────┘
//!         recovery_count consecutive replies (and its ports up)
//!
//!   any state ── PORT_STATUS link down on its VU or VD port ──▶ Down (at once)
//! ```
//!
//! A Suspect VM still carries traffic; only [`Event::VmDown`] / [`Event::VmUp`] change the
//! live set the compiler sees. With the defaults (100 ms, timeout 100 ms, 3 misses) a VM that
//! dies is declared Down at most `miss_count × interval + reply_timeout` = 400 ms later
//! ([`LivenessConfig::worst_case_detection`]), provided [`Monitor::on_tick`] runs at
//! [`Monitor::next_deadline`]; a link going down is seen as soon as its `PORT_STATUS` arrives.

mod stats;

use std::collections::{BTreeSet, HashMap, VecDeque};

use flowfall_ofp::packet_in::PacketIn;
use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::{Oxm, flow_match::Match};
use flowfall_topology::{Topology, VmId};

use crate::error::{Error, Rejection};
use crate::probe::{Probe, ProbeConfig, ProbeTarget, ProbeTemplate, targets};

pub use stats::{LossWindow, RttStats};

/// Time in nanoseconds on the caller's monotonic clock.
pub type Nanos = u64;
/// One millisecond in [`Nanos`].
pub const MILLISECOND: Nanos = 1_000_000;
/// One second in [`Nanos`].
pub const SECOND: Nanos = 1_000_000_000;
/// Most probes of one VM in flight at once; [`LivenessConfig::validate`] keeps the reply
/// timeout short enough that this is never reached.
pub const MAX_OUTSTANDING: usize = 64;
/// Largest loss window.
pub const MAX_LOSS_WINDOW: usize = 10_000;

/// Probe timing and the thresholds of the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LivenessConfig {
    /// Time between two probes of one VM (default 100 ms).
    pub interval: Nanos,
    /// Time after which an unanswered probe is a miss (default 100 ms).
    pub reply_timeout: Nanos,
    /// Consecutive misses that make a VM Down (default 3).
    pub miss_count: u32,
    /// Consecutive replies that bring a Down VM back Up (default 3).
    pub recovery_count: u32,
    /// Probes over which the loss ratio is computed (default 100, i.e. 10 s).
    pub loss_window: usize,
    /// State of every VM before its first probe: [`VmState::Up`] (default, what the
    /// compiler assumes before liveness is known) or [`VmState::Down`].
    pub initial_state: VmState,
}

impl Default for LivenessConfig {
    fn default() -> Self {
        LivenessConfig {
            interval: 100 * MILLISECOND,
            reply_timeout: 100 * MILLISECOND,
            miss_count: 3,
            recovery_count: 3,
            loss_window: 100,
            initial_state: VmState::Up,
        }
    }
}

impl LivenessConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::Config`] for an interval outside 1 ms..=60 s, a reply timeout outside
    /// 1 ms..=32 intervals, zero or more than 1000 misses or replies, a loss window outside
    /// 1..=[`MAX_LOSS_WINDOW`], or an initial state of Suspect.
    pub fn validate(&self) -> Result<(), Error> {
        if !(MILLISECOND..=60 * SECOND).contains(&self.interval) {
            return Err(Error::config(
                "liveness.interval",
                "1 ms..=60 s (in ns)",
                self.interval,
            ));
        }
        let max_timeout = self.interval.saturating_mul(MAX_OUTSTANDING as u64 / 2);
        if !(MILLISECOND..=max_timeout).contains(&self.reply_timeout) {
            return Err(Error::config(
                "liveness.reply_timeout",
                format!("1 ms..={max_timeout} ns (32 intervals)"),
                self.reply_timeout,
            ));
        }
        for (field, v) in [
            ("liveness.miss_count", self.miss_count),
            ("liveness.recovery_count", self.recovery_count),
        ] {
            if !(1..=1000).contains(&v) {
                return Err(Error::config(field, "1..=1000", v));
            }
        }
        if !(1..=MAX_LOSS_WINDOW).contains(&self.loss_window) {
            return Err(Error::config(
                "liveness.loss_window",
                format!("1..={MAX_LOSS_WINDOW}"),
                self.loss_window,
            ));
        }
        if self.initial_state == VmState::Suspect {
            return Err(Error::config(
                "liveness.initial_state",
                "up or down",
                "suspect",
            ));
        }
        Ok(())
    }

    /// The longest time from a VM's death to its [`Event::VmDown`], when ticks run at
    /// [`Monitor::next_deadline`]: the last probe it forwarded left just before it died, the
    /// next `miss_count` are lost, and the last of those is declared missed `reply_timeout`
    /// after it was sent: `miss_count × interval + reply_timeout`.
    pub fn worst_case_detection(&self) -> Nanos {
        u64::from(self.miss_count)
            .saturating_mul(self.interval)
            .saturating_add(self.reply_timeout)
    }

    /// The shortest time from a VM's recovery to its [`Event::VmUp`]:
    /// `(recovery_count − 1) × interval` after the first answered probe.
    pub fn recovery_time(&self) -> Nanos {
        u64::from(self.recovery_count.saturating_sub(1)).saturating_mul(self.interval)
    }
}

/// A VM's liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VmState {
    /// Answering probes: carries traffic.
    Up,
    /// Missed at least one probe, fewer than the miss count: still carries traffic.
    Suspect,
    /// Declared dead: its customers are moved (see [`crate::failover`]).
    Down,
}

impl VmState {
    /// `up`, `suspect`, `down`.
    pub const fn name(self) -> &'static str {
        match self {
            VmState::Up => "up",
            VmState::Suspect => "suspect",
            VmState::Down => "down",
        }
    }

    /// Whether the VM belongs in its layer's live set (Up or Suspect).
    pub const fn is_live(self) -> bool {
        !matches!(self, VmState::Down)
    }
}

impl std::fmt::Display for VmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// Probes were missed (`misses` consecutive so far).
    ProbeTimeout {
        /// Consecutive misses.
        misses: u32,
    },
    /// A probe came back (Suspect → Up).
    ProbeReply,
    /// Enough consecutive probes came back (Down → Up).
    Recovered {
        /// Consecutive replies.
        replies: u32,
    },
    /// `PORT_STATUS` reported the VM's VU or VD port down.
    PortDown {
        /// Datapath of the port.
        dpid: u64,
        /// The port.
        port: u32,
    },
}

/// One state change of one VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The VM.
    pub vm: VmId,
    /// State before.
    pub from: VmState,
    /// State after.
    pub to: VmState,
    /// When it was decided.
    pub at: Nanos,
    /// Why.
    pub cause: Cause,
}

/// What the controller acts on: a VM leaves or rejoins its layer's live set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The VM is Down: recompile without it.
    VmDown {
        /// The VM.
        vm: VmId,
        /// When.
        at: Nanos,
        /// Why.
        cause: Cause,
    },
    /// The VM is Up again: recompile with it.
    VmUp {
        /// The VM.
        vm: VmId,
        /// When.
        at: Nanos,
    },
}

impl Transition {
    /// The event this transition is, if it changes the live set.
    pub fn event(&self) -> Option<Event> {
        match (self.from.is_live(), self.to.is_live()) {
            (true, false) => Some(Event::VmDown {
                vm: self.vm,
                at: self.at,
                cause: self.cause,
            }),
            (false, true) => Some(Event::VmUp {
                vm: self.vm,
                at: self.at,
            }),
            _ => None,
        }
    }
}

/// The health of one VM.
#[derive(Debug, Clone, PartialEq)]
pub struct VmHealth {
    /// Current state.
    pub state: VmState,
    /// When it entered that state (0 for the initial state).
    pub since: Nanos,
    /// Round-trip times.
    pub rtt: RttStats,
    /// Probes sent.
    pub sent: u64,
    /// Probes answered in time.
    pub received: u64,
    /// Probes missed.
    pub lost: u64,
    /// Replies that came after their probe had been counted missed.
    pub late: u64,
    /// Current run of misses.
    pub consecutive_misses: u32,
    /// Current run of replies.
    pub consecutive_replies: u32,
    /// Whether its VU or VD port is reported down.
    pub port_down: bool,
    /// When the last reply arrived.
    pub last_reply: Option<Nanos>,
    window: LossWindow,
}

impl VmHealth {
    fn new(state: VmState, window: usize) -> VmHealth {
        VmHealth {
            state,
            since: 0,
            rtt: RttStats::default(),
            sent: 0,
            received: 0,
            lost: 0,
            late: 0,
            consecutive_misses: 0,
            consecutive_replies: 0,
            port_down: false,
            last_reply: None,
            window: LossWindow::new(window),
        }
    }

    /// Share of the probes in the loss window that were missed (0 before any probe).
    pub fn loss_ratio(&self) -> f64 {
        self.window.ratio()
    }

    /// The loss window.
    pub fn loss_window(&self) -> &LossWindow {
        &self.window
    }
}

/// A probe to send: `PACKET_OUT` [`packet_out`](Self::packet_out) to datapath `dpid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeToSend {
    /// The VM probed.
    pub vm: VmId,
    /// The junction to send it to (the layer's lower switch).
    pub switch: usize,
    /// Its datapath id.
    pub dpid: u64,
    /// Sequence number.
    pub seq: u64,
    /// The message body.
    pub packet_out: PacketOut,
}

/// What one [`Monitor::on_tick`] produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tick {
    /// Probes to send now.
    pub probes: Vec<ProbeToSend>,
    /// State changes from probes that timed out.
    pub transitions: Vec<Transition>,
}

/// Counters of replies the monitor could not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitorStats {
    /// Frames handed in that are not probes at all.
    pub malformed: u64,
    /// Well-formed probes rejected ([`Rejection`]).
    pub rejected: u64,
    /// Replies after their probe's timeout.
    pub late: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    target: ProbeTarget,
    template: ProbeTemplate,
    health: VmHealth,
    next_seq: u64,
    next_probe_at: Option<Nanos>,
    /// `(seq, sent_at)`, oldest first.
    outstanding: VecDeque<(u64, Nanos)>,
}

impl Slot {
    fn touches(&self, dpid: u64, port: u32) -> bool {
        (self.target.down_dpid == dpid && self.target.down_port == port)
            || (self.target.up_dpid == dpid && self.target.up_port == port)
    }

    fn change(&mut self, to: VmState, at: Nanos, cause: Cause) -> Option<Transition> {
        let from = self.health.state;
        if from == to {
            return None;
        }
        self.health.state = to;
        self.health.since = at;
        Some(Transition {
            vm: self.target.vm,
            from,
            to,
            at,
            cause,
        })
    }

    fn miss(&mut self, config: &LivenessConfig, now: Nanos) -> Option<Transition> {
        let h = &mut self.health;
        h.lost += 1;
        h.consecutive_misses = h.consecutive_misses.saturating_add(1);
        h.consecutive_replies = 0;
        h.window.push(false);
        let misses = h.consecutive_misses;
        let cause = Cause::ProbeTimeout { misses };
        match h.state {
            VmState::Up | VmState::Suspect if misses >= config.miss_count => {
                self.change(VmState::Down, now, cause)
            }
            VmState::Up => self.change(VmState::Suspect, now, cause),
            _ => None,
        }
    }

    fn reply(&mut self, config: &LivenessConfig, rtt: Nanos, now: Nanos) -> Option<Transition> {
        let h = &mut self.health;
        h.received += 1;
        h.consecutive_replies = h.consecutive_replies.saturating_add(1);
        h.consecutive_misses = 0;
        h.last_reply = Some(now);
        h.window.push(true);
        h.rtt.record(rtt);
        let replies = h.consecutive_replies;
        match h.state {
            VmState::Suspect => self.change(VmState::Up, now, Cause::ProbeReply),
            VmState::Down if !h.port_down && replies >= config.recovery_count => {
                self.change(VmState::Up, now, Cause::Recovered { replies })
            }
            _ => None,
        }
    }
}

/// The liveness state machine of every VM of a chain (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Monitor {
    config: LivenessConfig,
    probe: ProbeConfig,
    slots: Vec<Slot>,
    by_vm: HashMap<VmId, usize>,
    ports_down: BTreeSet<(u64, u32)>,
    stats: MonitorStats,
}

impl Monitor {
    /// A monitor of `targets` (see [`crate::probe::targets`]).
    ///
    /// # Errors
    /// [`Error::Config`] when `config` or `probe` is out of range, or a target cannot be
    /// encoded in a probe.
    pub fn new(
        targets: Vec<ProbeTarget>,
        config: LivenessConfig,
        probe: ProbeConfig,
    ) -> Result<Monitor, Error> {
        config.validate()?;
        probe.validate()?;
        let mut slots = Vec::with_capacity(targets.len());
        for target in targets {
            slots.push(Slot {
                template: ProbeTemplate::new(&probe, &target)?,
                target,
                health: VmHealth::new(config.initial_state, config.loss_window),
                next_seq: 0,
                next_probe_at: None,
                outstanding: VecDeque::new(),
            });
        }
        let by_vm = slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.target.vm, i))
            .collect();
        Ok(Monitor {
            config,
            probe,
            slots,
            by_vm,
            ports_down: BTreeSet::new(),
            stats: MonitorStats::default(),
        })
    }

    /// A monitor of every VM of `topology`; the probe addresses are checked against its
    /// customers ([`ProbeConfig::check_topology`]).
    ///
    /// # Errors
    /// As [`Monitor::new`] and [`ProbeConfig::check_topology`].
    pub fn for_topology(
        topology: &Topology,
        config: LivenessConfig,
        probe: ProbeConfig,
    ) -> Result<Monitor, Error> {
        probe.check_topology(topology)?;
        Monitor::new(targets(topology), config, probe)
    }

    /// Replaces the targets after a configuration reload. A VM keeps its state and
    /// statistics when a target with the same name and stable id existed before; new VMs
    /// start in the initial state. Probes in flight are forgotten (not counted as missed).
    ///
    /// # Errors
    /// As [`Monitor::new`] for a target that cannot be encoded; the monitor is unchanged.
    pub fn set_targets(&mut self, targets: Vec<ProbeTarget>) -> Result<(), Error> {
        let templates = targets
            .iter()
            .map(|t| ProbeTemplate::new(&self.probe, t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut old: HashMap<(String, u64), Slot> = self
            .slots
            .drain(..)
            .map(|s| ((s.target.name.clone(), s.target.stable_id), s))
            .collect();
        let config = self.config;
        let ports_down = &self.ports_down;
        self.slots = targets
            .into_iter()
            .zip(templates)
            .map(|(target, template)| {
                let mut slot = match old.remove(&(target.name.clone(), target.stable_id)) {
                    Some(mut s) => {
                        s.outstanding.clear();
                        s.target = target;
                        s.template = template;
                        s
                    }
                    None => Slot {
                        template,
                        target,
                        health: VmHealth::new(config.initial_state, config.loss_window),
                        next_seq: 0,
                        next_probe_at: None,
                        outstanding: VecDeque::new(),
                    },
                };
                slot.health.port_down = behind_down_port(ports_down, &slot.target);
                slot
            })
            .collect();
        self.by_vm = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.target.vm, i))
            .collect();
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &LivenessConfig {
        &self.config
    }

    /// The probe addresses.
    pub fn probe_config(&self) -> &ProbeConfig {
        &self.probe
    }

    /// Sends due probes and declares missed the probes whose timeout has passed.
    ///
    /// The first tick schedules every VM, spread evenly over one interval so probes do not
    /// leave in bursts. A VM whose port is down is not probed.
    pub fn on_tick(&mut self, now: Nanos) -> Tick {
        let mut tick = Tick::default();
        let n = self.slots.len().max(1) as u64;
        let config = self.config;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            while let Some(&(_, sent)) = slot.outstanding.front() {
                if now < sent.saturating_add(config.reply_timeout) {
                    break;
                }
                slot.outstanding.pop_front();
                tick.transitions.extend(slot.miss(&config, now));
            }
            if slot.health.port_down {
                continue;
            }
            let due = *slot
                .next_probe_at
                .get_or_insert(now.saturating_add(config.interval / n * i as u64));
            if now < due {
                continue;
            }
            if slot.outstanding.len() >= MAX_OUTSTANDING {
                slot.outstanding.pop_front();
                tick.transitions.extend(slot.miss(&config, now));
            }
            let seq = slot.next_seq;
            slot.next_seq += 1;
            slot.outstanding.push_back((seq, now));
            slot.health.sent += 1;
            // Keep the cadence; after a stall, restart from now instead of bursting.
            let next = due.saturating_add(config.interval);
            slot.next_probe_at = Some(if next <= now {
                now.saturating_add(config.interval)
            } else {
                next
            });
            tick.probes.push(ProbeToSend {
                vm: slot.target.vm,
                switch: slot.target.down_switch,
                dpid: slot.target.down_dpid,
                seq,
                packet_out: slot.template.packet_out(seq, now),
            });
        }
        tick
    }

    /// When [`on_tick`](Self::on_tick) has something to do next: the earliest probe due or
    /// timeout; `Some(0)` before the first tick; `None` without targets.
    pub fn next_deadline(&self) -> Option<Nanos> {
        let timeout = self.config.reply_timeout;
        self.slots
            .iter()
            .flat_map(|s| {
                let probe = if s.health.port_down {
                    None
                } else {
                    Some(s.next_probe_at.unwrap_or(0))
                };
                let reply = s
                    .outstanding
                    .front()
                    .map(|&(_, t)| t.saturating_add(timeout));
                probe.into_iter().chain(reply)
            })
            .min()
    }

    /// A probe came back (the data of a `PACKET_IN` from a probe-return entry).
    ///
    /// # Errors
    /// [`Error::Truncated`] / [`Error::BadValue`] when `frame` is not a probe;
    /// [`Error::ProbeRejected`] when it is not one of this monitor's outstanding probes.
    pub fn on_probe_reply(
        &mut self,
        frame: &[u8],
        now: Nanos,
    ) -> Result<Option<Transition>, Error> {
        self.reply(frame, None, now)
    }

    /// A `PACKET_IN` from datapath `dpid`: its `in_port` must be the probed VM's VD port.
    ///
    /// # Errors
    /// As [`on_probe_reply`](Self::on_probe_reply), and [`Rejection::WrongPort`].
    pub fn on_packet_in(
        &mut self,
        dpid: u64,
        packet_in: &PacketIn,
        now: Nanos,
    ) -> Result<Option<Transition>, Error> {
        let in_port = in_port(&packet_in.match_);
        self.reply(&packet_in.data, Some((dpid, in_port)), now)
    }

    fn reply(
        &mut self,
        frame: &[u8],
        arrival: Option<(u64, Option<u32>)>,
        now: Nanos,
    ) -> Result<Option<Transition>, Error> {
        let probe = Probe::parse(frame).inspect_err(|_| self.stats.malformed += 1)?;
        let rejected = |stats: &mut MonitorStats, reason| {
            stats.rejected += 1;
            Err(Error::ProbeRejected { reason })
        };
        if !probe.is_from(&self.probe) {
            return rejected(&mut self.stats, Rejection::Foreign);
        }
        let p = probe.payload;
        let id = VmId {
            layer: usize::from(p.layer),
            index: p.index as usize,
        };
        let Some(slot) = self.by_vm.get(&id).and_then(|&i| self.slots.get_mut(i)) else {
            return rejected(
                &mut self.stats,
                Rejection::UnknownVm {
                    layer: p.layer,
                    index: p.index,
                },
            );
        };
        if slot.target.stable_id != p.stable_id {
            return rejected(&mut self.stats, Rejection::Identity);
        }
        if let Some((dpid, port)) = arrival {
            let expected = slot.target.up_port;
            if dpid != slot.target.up_dpid || port != Some(expected) {
                let port = port.unwrap_or(0);
                return rejected(&mut self.stats, Rejection::WrongPort { port, expected });
            }
        }
        match slot.outstanding.iter().position(|&(seq, _)| seq == p.seq) {
            Some(k) => {
                let sent = slot.outstanding.remove(k).map_or(now, |(_, t)| t);
                Ok(slot.reply(&self.config, now.saturating_sub(sent), now))
            }
            None if p.seq < slot.next_seq => {
                slot.health.late += 1;
                self.stats.late += 1;
                Ok(None)
            }
            None => rejected(&mut self.stats, Rejection::UnknownSequence { seq: p.seq }),
        }
    }

    /// `PORT_STATUS` of port `port` on datapath `dpid`: link down makes every VM behind it
    /// Down at once; link up lets them be probed again (each still needs
    /// [`LivenessConfig::recovery_count`] replies to come Up).
    pub fn on_port_status(
        &mut self,
        dpid: u64,
        port: u32,
        up: bool,
        now: Nanos,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        let changed = if up {
            self.ports_down.remove(&(dpid, port))
        } else {
            self.ports_down.insert((dpid, port))
        };
        if !changed {
            return out;
        }
        for slot in self.slots.iter_mut().filter(|s| s.touches(dpid, port)) {
            if up {
                slot.health.port_down = behind_down_port(&self.ports_down, &slot.target);
                if !slot.health.port_down {
                    slot.next_probe_at = Some(now);
                }
            } else {
                slot.health.port_down = true;
                slot.health.consecutive_replies = 0;
                slot.outstanding.clear();
                out.extend(slot.change(VmState::Down, now, Cause::PortDown { dpid, port }));
            }
        }
        out
    }

    /// The state of VM `vm`.
    pub fn state(&self, vm: VmId) -> Option<VmState> {
        self.health(vm).map(|h| h.state)
    }

    /// The health of VM `vm`.
    pub fn health(&self, vm: VmId) -> Option<&VmHealth> {
        self.by_vm
            .get(&vm)
            .and_then(|&i| self.slots.get(i))
            .map(|s| &s.health)
    }

    /// Every VM's target and health, in target order.
    pub fn states(&self) -> impl Iterator<Item = (&ProbeTarget, &VmHealth)> + '_ {
        self.slots.iter().map(|s| (&s.target, &s.health))
    }

    /// The VMs that are Up or Suspect.
    pub fn live(&self) -> impl Iterator<Item = VmId> + '_ {
        self.slots
            .iter()
            .filter(|s| s.health.state.is_live())
            .map(|s| s.target.vm)
    }

    /// Counters of unusable replies.
    pub fn stats(&self) -> MonitorStats {
        self.stats
    }
}

/// Whether the VU or VD port of `target` is in `ports_down`.
fn behind_down_port(ports_down: &BTreeSet<(u64, u32)>, target: &ProbeTarget) -> bool {
    ports_down.contains(&(target.down_dpid, target.down_port))
        || ports_down.contains(&(target.up_dpid, target.up_port))
}

/// The `in_port` of a `PACKET_IN` match.
fn in_port(m: &Match) -> Option<u32> {
    m.fields.iter().find_map(|f| match f {
        Oxm::InPort(p) => Some(*p),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
