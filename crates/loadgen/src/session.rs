//! One emulated switch on a TCP connection to the controller (one tokio task per switch):
//! the I/O around [`EmulatedSwitch`], the PACKET_IN sender and the answer bookkeeping.
//!
//! A session goes through the phases the coordinator ([`crate::bench`], [`crate::scale`])
//! drives with a [`Control`] value: connect and handshake (it reports [`Up::Ready`] once it
//! has sent its FEATURES_REPLY), announce its hosts ([`Up::Announced`] once all are answered
//! or timed out), then send PACKET_INs until the end of the measurement window. Reads,
//! writes, control changes and a ticker are multiplexed in one `select!`; the output buffer
//! is bounded (reading pauses while it is full), so a controller that stops reading cannot
//! make the generator grow without bound.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowfall_ofp::EncodeError;
use flowfall_ofp::flow_mod::OFP_NO_BUFFER;
use flowfall_ofp::framer::{FrameError, Framer};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::MissedTickBehavior;

use crate::inflight::{InFlight, Pending};
use crate::pacer::next_wakeup;
use crate::packet;
use crate::report::Recorder;
use crate::switch::{EmulatedSwitch, Notice, SwitchCounters, SwitchError};
use crate::workload::{Probe, SwitchPlan, Workload};

/// Most bytes queued for the controller before the session stops reading.
pub const MAX_OUTPUT: usize = 4 << 20;
const READ_CHUNK: usize = 16 << 10;

/// How PACKET_INs are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Up to `window` in flight per switch; count answers per second.
    Throughput,
    /// One in flight per switch; measure each answer's latency.
    Latency,
}

/// Per-session settings.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Sending mode.
    pub mode: Mode,
    /// PACKET_INs in flight per switch in throughput mode.
    pub window: usize,
    /// Offered PACKET_INs per second for this switch (open loop, 1 ms granularity), if paced.
    pub rate: Option<f64>,
    /// A PACKET_IN unanswered for this long is counted lost and frees its window slot.
    pub timeout: Duration,
    /// Whether PACKET_INs carry a buffer id the controller may use (cbench does).
    pub buffered: bool,
    /// Ticker period (expiry, pacing, end of window).
    pub tick: Duration,
    /// Sub-millisecond wake-ups for paced sending ([`crate::pacer::Pacer`]).
    pub pacer: Option<Arc<Notify>>,
}

/// What the coordinator tells the sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Handshake only; wait.
    Wait,
    /// Send the workload's announcements.
    Announce,
    /// Send PACKET_INs from now on; measure `[from, from + duration)` and stop at its end.
    Run {
        /// Start of the measurement window (after the warm-up).
        from: Instant,
        /// Its length.
        duration: Duration,
    },
    /// Close the connection and report.
    Stop,
}

/// What a session tells the coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Up {
    /// Session `0` sent its FEATURES_REPLY.
    Ready(usize),
    /// Session `0` finished its announcements.
    Announced(usize),
    /// Session `0` received FLOW_MODs before the run (the controller programming its base
    /// tables); sent at most every [`BUSY_EVERY`] per session.
    Busy(usize),
    /// Session `index` answered a BARRIER_REQUEST that followed FLOW_MODs; it holds `flows`.
    Programmed {
        /// The session.
        index: usize,
        /// When (since the run's start).
        at: Duration,
        /// Flow entries it holds.
        flows: usize,
    },
}

/// Least time between two [`Up::Busy`] reports of one session.
pub const BUSY_EVERY: Duration = Duration::from_millis(10);

/// Times of a session's milestones, since the run's start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timeline {
    /// TCP connected.
    pub connected: Option<Duration>,
    /// FEATURES_REPLY sent.
    pub features: Option<Duration>,
    /// First FLOW_STATS reply sent (the controller reading the table to reconcile).
    pub flow_stats: Option<Duration>,
    /// First FLOW_MOD received.
    pub first_flow_mod: Option<Duration>,
    /// Last BARRIER_REPLY that followed FLOW_MODs.
    pub programmed: Option<Duration>,
}

/// What a session hands back.
#[derive(Debug, Clone)]
pub struct SessionResult {
    /// Session index.
    pub index: usize,
    /// Its dpid.
    pub dpid: u64,
    /// Answer counts (after a run).
    pub recorder: Option<Recorder>,
    /// Protocol counters.
    pub counters: SwitchCounters,
    /// Flow entries at the end.
    pub flows: usize,
    /// Milestones.
    pub timeline: Timeline,
    /// Whether this switch sends PACKET_INs.
    pub sending: bool,
}

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The TCP connection could not be made.
    #[error("switch {dpid:#x}: cannot connect to {addr}: {source}")]
    Connect {
        /// The switch.
        dpid: u64,
        /// The controller.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// Reading or writing failed.
    #[error("switch {dpid:#x}: connection error: {source}")]
    Io {
        /// The switch.
        dpid: u64,
        /// The error.
        source: std::io::Error,
    },
    /// The controller closed the connection early.
    #[error("switch {dpid:#x}: the controller closed the connection ({phase})")]
    Closed {
        /// The switch.
        dpid: u64,
        /// What the session was doing.
        phase: &'static str,
    },
    /// The byte stream broke OpenFlow framing.
    #[error("switch {dpid:#x}: bad stream from the controller: {source}")]
    Frame {
        /// The switch.
        dpid: u64,
        /// The error.
        source: FrameError,
    },
    /// The switch state machine gave up.
    #[error("switch {dpid:#x}: {source}")]
    Switch {
        /// The switch.
        dpid: u64,
        /// The error.
        source: SwitchError,
    },
    /// A generated frame could not be built.
    #[error("switch {dpid:#x}: cannot build a frame: {source}")]
    Packet {
        /// The switch.
        dpid: u64,
        /// The error.
        source: packet::FrameError,
    },
    /// A PACKET_IN could not be encoded.
    #[error("switch {dpid:#x}: cannot encode a PACKET_IN: {source}")]
    Encode {
        /// The switch.
        dpid: u64,
        /// The error.
        source: EncodeError,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Waiting,
    Announcing,
    Announced,
    Running,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Handshake => "during the handshake",
            Phase::Waiting => "while waiting for the run",
            Phase::Announcing => "during the announcements",
            Phase::Announced => "after the announcements",
            Phase::Running => "during the measurement",
        }
    }
}

struct Session {
    index: usize,
    dpid: u64,
    base: Instant,
    opts: SessionOptions,
    workload: Arc<dyn Workload>,
    switch: EmulatedSwitch,
    inflight: InFlight,
    out: Vec<u8>,
    phase: Phase,
    announcements: VecDeque<Probe>,
    next_probe: u64,
    sent_since_start: u64,
    run_start: Option<Instant>,
    recorder: Option<Recorder>,
    timeline: Timeline,
    flow_mods_since_barrier: bool,
    /// When [`Up::Busy`] was last sent.
    last_busy: Option<Instant>,
    up: mpsc::UnboundedSender<Up>,
    sending: bool,
}

/// Runs one emulated switch against the controller at `addr` until the coordinator stops
/// it or its measurement window ends.
pub async fn run_session(
    index: usize,
    plan: SwitchPlan,
    addr: SocketAddr,
    opts: SessionOptions,
    base: Instant,
    up: mpsc::UnboundedSender<Up>,
    mut control: watch::Receiver<Control>,
) -> Result<SessionResult, SessionError> {
    let dpid = plan.spec.dpid;
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|source| SessionError::Connect { dpid, addr, source })?;
    let io = |source| SessionError::Io { dpid, source };
    stream.set_nodelay(true).map_err(io)?;
    let (mut rd, mut wr) = stream.into_split();
    let sending = plan.workload.probe(0).is_some();
    let mut s = Session {
        index,
        dpid,
        base,
        opts: opts.clone(),
        workload: plan.workload,
        switch: EmulatedSwitch::new(plan.spec),
        inflight: InFlight::new(),
        out: Vec::with_capacity(4 << 10),
        phase: Phase::Handshake,
        announcements: VecDeque::new(),
        next_probe: 0,
        sent_since_start: 0,
        run_start: None,
        recorder: None,
        timeline: Timeline::default(),
        flow_mods_since_barrier: false,
        last_busy: None,
        up,
        sending,
    };
    s.timeline.connected = Some(base.elapsed());
    let hello = s.switch.hello();
    hello
        .encode(&mut s.out)
        .map_err(|source| SessionError::Encode { dpid, source })?;
    let mut framer = Framer::new();
    let mut rbuf = vec![0u8; READ_CHUNK];
    let pacer = opts.pacer.clone();
    let mut ticker = tokio::time::interval(opts.tick);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut control_open = true;
    loop {
        tokio::select! {
            read = rd.read(&mut rbuf), if s.out.len() < MAX_OUTPUT => {
                let n = read.map_err(io)?;
                let Some(chunk) = rbuf.get(..n).filter(|c| !c.is_empty()) else {
                    return Err(SessionError::Closed { dpid, phase: s.phase.name() });
                };
                framer.push(chunk).map_err(|source| SessionError::Frame { dpid, source })?;
                let now = Instant::now();
                loop {
                    let frame = match framer.next_frame() {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(source) => return Err(SessionError::Frame { dpid, source }),
                    };
                    let notice = s
                        .switch
                        .handle(now, frame, &mut s.out)
                        .map_err(|source| SessionError::Switch { dpid, source })?;
                    if let Some(n) = notice {
                        s.on_notice(now, n);
                    }
                }
                s.fill(now)?;
            }
            written = wr.write(&s.out), if !s.out.is_empty() => {
                let n = written.map_err(io)?;
                s.out.drain(..n);
            }
            changed = control.changed(), if control_open => {
                let c = if changed.is_ok() { *control.borrow_and_update() } else { Control::Stop };
                control_open = changed.is_ok();
                if s.on_control(Instant::now(), c)? {
                    break;
                }
            }
            _ = next_wakeup(pacer.as_deref()), if s.phase == Phase::Running => {
                s.fill(Instant::now())?;
            }
            _ = ticker.tick() => {
                let now = Instant::now();
                if s.on_tick(now)? {
                    break;
                }
            }
        }
    }
    // Best effort: deliver what is queued (e.g. a last reply) before closing.
    let _ = tokio::time::timeout(Duration::from_millis(100), wr.write_all(&s.out)).await;
    Ok(SessionResult {
        index,
        dpid,
        recorder: s.recorder,
        counters: s.switch.counters(),
        flows: s.switch.table().len(),
        timeline: s.timeline,
        sending: s.sending,
    })
}

impl Session {
    fn on_notice(&mut self, now: Instant, notice: Notice) {
        let since = now.saturating_duration_since(self.base);
        match notice {
            Notice::FeaturesReplied => {
                if self.timeline.features.is_none() {
                    self.timeline.features = Some(since);
                }
                if self.phase == Phase::Handshake {
                    self.phase = Phase::Waiting;
                    let _ = self.up.send(Up::Ready(self.index));
                }
            }
            Notice::FlowStatsReplied => {
                self.timeline.flow_stats.get_or_insert(since);
            }
            Notice::FlowMod { flow_mod, .. } => {
                self.timeline.first_flow_mod.get_or_insert(since);
                self.flow_mods_since_barrier = true;
                let due = self
                    .last_busy
                    .is_none_or(|t| now.saturating_duration_since(t) >= BUSY_EVERY);
                if self.phase != Phase::Running && due {
                    self.last_busy = Some(now);
                    let _ = self.up.send(Up::Busy(self.index));
                }
                for p in self.inflight.answer_flow_mod(&flow_mod) {
                    self.answered(now, &p, true);
                }
            }
            Notice::PacketOut(po) => {
                if let Some(p) = self.inflight.answer_packet_out(&po) {
                    self.answered(now, &p, false);
                }
            }
            Notice::BarrierReplied => {
                if self.flow_mods_since_barrier {
                    self.flow_mods_since_barrier = false;
                    self.timeline.programmed = Some(since);
                    let _ = self.up.send(Up::Programmed {
                        index: self.index,
                        at: since,
                        flows: self.switch.table().len(),
                    });
                }
            }
            Notice::Negotiated | Notice::ControllerError(_) | Notice::Refused(_) => {}
        }
    }

    fn answered(&mut self, now: Instant, p: &Pending, flow_mod: bool) {
        if let (true, Some(r)) = (p.measured, self.recorder.as_mut()) {
            r.on_answer(now, p.sent, flow_mod);
        }
    }

    fn on_control(&mut self, now: Instant, c: Control) -> Result<bool, SessionError> {
        match c {
            Control::Wait => {}
            Control::Announce => {
                if matches!(self.phase, Phase::Waiting | Phase::Handshake) {
                    self.announcements = self.workload.announcements().into();
                    self.phase = Phase::Announcing;
                    self.fill(now)?;
                }
            }
            Control::Run { from, duration } => {
                // What the controller installed before the run may double during it.
                self.switch.reserve_headroom();
                self.inflight.clear();
                self.recorder = Some(Recorder::new(from, duration));
                self.run_start = Some(now);
                self.sent_since_start = 0;
                self.phase = Phase::Running;
                self.fill(now)?;
            }
            Control::Stop => return Ok(true),
        }
        Ok(false)
    }

    /// Periodic work; true when the session is over.
    fn on_tick(&mut self, now: Instant) -> Result<bool, SessionError> {
        for p in self.inflight.expire(now, self.opts.timeout) {
            if let (true, Some(r)) = (p.measured, self.recorder.as_mut()) {
                r.on_lost(now);
            }
        }
        if self.phase == Phase::Running
            && self
                .recorder
                .as_ref()
                .is_some_and(|r| now >= r.window_end())
        {
            return Ok(true);
        }
        self.fill(now)?;
        Ok(false)
    }

    /// Sends what the phase, the window and the pacing allow.
    fn fill(&mut self, now: Instant) -> Result<(), SessionError> {
        match self.phase {
            Phase::Announcing => {
                while self.inflight.len() < self.opts.window.max(1) && self.out.len() < MAX_OUTPUT {
                    let Some(p) = self.announcements.pop_front() else {
                        break;
                    };
                    self.send(now, p, false)?;
                }
                if self.announcements.is_empty() && self.inflight.is_empty() {
                    self.phase = Phase::Announced;
                    let _ = self.up.send(Up::Announced(self.index));
                }
            }
            Phase::Running => {
                let window = match self.opts.mode {
                    Mode::Throughput => self.opts.window.max(1),
                    Mode::Latency => 1,
                };
                let end = self.recorder.as_ref().map(Recorder::window_end);
                while self.inflight.len() < window
                    && self.out.len() < MAX_OUTPUT
                    && end.is_some_and(|e| now < e)
                    && self.paced_allowance(now)
                {
                    let Some(p) = self.workload.probe(self.next_probe) else {
                        break;
                    };
                    self.next_probe += 1;
                    self.send(now, p, true)?;
                    if let Some(r) = self.recorder.as_mut() {
                        r.on_sent(now);
                    }
                }
            }
            Phase::Handshake | Phase::Waiting | Phase::Announced => {}
        }
        Ok(())
    }

    fn paced_allowance(&self, now: Instant) -> bool {
        match (self.opts.rate, self.run_start) {
            (Some(rate), Some(start)) => {
                let due = now.saturating_duration_since(start).as_secs_f64() * rate;
                (self.sent_since_start as f64) < due.floor() + 1.0
            }
            _ => true,
        }
    }

    fn send(&mut self, now: Instant, probe: Probe, measured: bool) -> Result<(), SessionError> {
        let dpid = self.dpid;
        let id = self.inflight.next_id();
        let frame = probe
            .headers
            .emit(id)
            .map_err(|source| SessionError::Packet { dpid, source })?;
        let buffer = if self.opts.buffered {
            id
        } else {
            OFP_NO_BUFFER
        };
        self.switch
            .packet_in(buffer, probe.in_port, &frame, &mut self.out)
            .map_err(|source| SessionError::Encode { dpid, source })?;
        self.inflight.insert(
            id,
            Pending {
                sent: now,
                in_port: probe.in_port,
                headers: probe.headers,
                measured,
            },
            frame,
        );
        self.sent_since_start += 1;
        Ok(())
    }
}
