//! The PACKET_IN benchmark: connect every emulated switch, wait for all handshakes, let the
//! workload announce its hosts, optionally let the controller finish programming its base
//! tables ([`BenchOptions::settle`]), then send PACKET_INs for `warmup + duration` and count
//! the answers of the last `duration` ([`BenchReport`]).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::pacer::{DEFAULT_PERIOD, Pacer};
use crate::report::{BenchReport, Recorder, Traffic};
use crate::session::{Control, Mode, SessionError, SessionOptions, SessionResult, Up, run_session};
use crate::workload::SwitchPlan;

/// Settings of a benchmark run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The controller's OpenFlow address.
    pub controller: SocketAddr,
    /// Throughput or latency.
    pub mode: Mode,
    /// PACKET_INs in flight per sending switch (throughput mode).
    pub window: usize,
    /// Total offered PACKET_INs per second over all sending switches, if paced.
    pub rate: Option<f64>,
    /// Measured time.
    pub duration: Duration,
    /// Time sent but not measured, before `duration`.
    pub warmup: Duration,
    /// A PACKET_IN unanswered this long is lost.
    pub timeout: Duration,
    /// Whether PACKET_INs carry buffer ids.
    pub buffered: bool,
    /// Time allowed for all switches to connect and complete the handshake, and again for
    /// the announcements, and again for settling.
    pub setup_timeout: Duration,
    /// Before sending, wait until no switch has received a FLOW_MOD for this long (a
    /// reactive controller installing its base tables at connect: a large topology's
    /// punt entries would otherwise be measured as part of the PACKET_IN handling). Zero:
    /// start at once.
    pub settle: Duration,
    /// Label of the report (the controller's name).
    pub label: String,
    /// Name of the workload, for the report.
    pub workload: String,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A session failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Not every switch got through a phase in time.
    #[error("{phase}: {done} of {total} switches after {waited:?}")]
    Timeout {
        /// The phase.
        phase: &'static str,
        /// Switches through it.
        done: usize,
        /// Switches in the run.
        total: usize,
        /// How long the run waited.
        waited: Duration,
    },
    /// A session task panicked or was cancelled.
    #[error("a switch task ended abnormally: {0}")]
    Task(String),
    /// The plan is empty or sends nothing.
    #[error("{0}")]
    Plan(String),
}

/// The sessions of a run and the channels that drive them.
pub(crate) struct Fleet {
    pub tasks: JoinSet<Result<SessionResult, SessionError>>,
    pub up: mpsc::UnboundedReceiver<Up>,
    pub control: watch::Sender<Control>,
    pub total: usize,
    pub base: Instant,
}

impl Fleet {
    /// Starts one session per plan.
    pub fn spawn(plans: Vec<SwitchPlan>, addr: SocketAddr, opts: SessionOptions) -> Fleet {
        let base = Instant::now();
        let (up_tx, up) = mpsc::unbounded_channel();
        let (control, control_rx) = watch::channel(Control::Wait);
        let mut tasks = JoinSet::new();
        let total = plans.len();
        for (i, plan) in plans.into_iter().enumerate() {
            tasks.spawn(run_session(
                i,
                plan,
                addr,
                opts.clone(),
                base,
                up_tx.clone(),
                control_rx.clone(),
            ));
        }
        Fleet {
            tasks,
            up,
            control,
            total,
            base,
        }
    }

    /// Waits until `want(event)` has held for every switch, watching for failed sessions.
    /// Events that do not satisfy `want` go to `other`.
    pub async fn wait_all(
        &mut self,
        phase: &'static str,
        timeout: Duration,
        want: impl Fn(&Up) -> bool,
        mut other: impl FnMut(Up),
    ) -> Result<(), RunError> {
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut done = 0;
        while done < self.total {
            tokio::select! {
                ev = self.up.recv() => match ev {
                    Some(e) if want(&e) => done += 1,
                    Some(e) => other(e),
                    None => break,
                },
                ended = self.tasks.join_next() => match ended {
                    Some(Ok(Err(e))) => return Err(e.into()),
                    Some(Err(e)) => return Err(RunError::Task(e.to_string())),
                    Some(Ok(Ok(_))) | None => {
                        return Err(RunError::Timeout { phase, done, total: self.total, waited: start.elapsed() })
                    }
                },
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(RunError::Timeout { phase, done, total: self.total, waited: start.elapsed() });
                }
            }
        }
        Ok(())
    }

    /// Waits until the controller has finished programming the switches: no session has
    /// reported FLOW_MODs ([`Up::Busy`], [`Up::Programmed`]) for `quiet`, and either no
    /// session received any or every one was programmed (a controller that programs its
    /// switches one after the other leaves gaps between them: reading and diffing a large
    /// table takes seconds). After `timeout` the run starts anyway, with a note on stderr
    /// (some controllers never program some switches).
    pub async fn settle(&mut self, quiet: Duration, timeout: Duration) -> Result<(), RunError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = tokio::time::Instant::now();
        let mut touched = std::collections::BTreeSet::new();
        let mut programmed = std::collections::BTreeSet::new();
        loop {
            let done = touched.is_empty() || programmed.len() == self.total;
            if tokio::time::Instant::now() >= deadline {
                eprintln!(
                    "settling: {} of {} switches programmed, still busy after {:?}; starting anyway",
                    programmed.len(),
                    self.total,
                    timeout
                );
                return Ok(());
            }
            let until = if done {
                (last + quiet).min(deadline)
            } else {
                deadline
            };
            tokio::select! {
                ev = self.up.recv() => match ev {
                    Some(Up::Busy(i)) => {
                        touched.insert(i);
                        last = tokio::time::Instant::now();
                    }
                    Some(Up::Programmed { index, .. }) => {
                        touched.insert(index);
                        programmed.insert(index);
                        last = tokio::time::Instant::now();
                    }
                    Some(_) => {}
                    None => return Ok(()),
                },
                ended = self.tasks.join_next() => match ended {
                    Some(Ok(Err(e))) => return Err(e.into()),
                    Some(Err(e)) => return Err(RunError::Task(e.to_string())),
                    Some(Ok(Ok(_))) | None => {
                        return Err(RunError::Timeout { phase: "settling", done: programmed.len(), total: self.total, waited: timeout })
                    }
                },
                () = tokio::time::sleep_until(until) => {
                    if done && tokio::time::Instant::now() >= last + quiet {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Collects every session's result (after telling them to stop, if `stop`).
    pub async fn collect(
        mut self,
        stop: bool,
        timeout: Duration,
    ) -> Result<Vec<SessionResult>, RunError> {
        if stop {
            let _ = self.control.send(Control::Stop);
        }
        let start = Instant::now();
        let mut out = Vec::with_capacity(self.total);
        let deadline = tokio::time::Instant::now() + timeout;
        while out.len() < self.total {
            let next = tokio::time::timeout_at(deadline, self.tasks.join_next()).await;
            match next {
                Ok(Some(Ok(Ok(r)))) => out.push(r),
                Ok(Some(Ok(Err(e)))) => return Err(e.into()),
                Ok(Some(Err(e))) => return Err(RunError::Task(e.to_string())),
                Ok(None) => break,
                Err(_) => {
                    return Err(RunError::Timeout {
                        phase: "collecting results",
                        done: out.len(),
                        total: self.total,
                        waited: start.elapsed(),
                    });
                }
            }
        }
        out.sort_by_key(|r| r.index);
        Ok(out)
    }
}

/// Runs the benchmark with one emulated switch per plan.
pub async fn run_bench(
    plans: Vec<SwitchPlan>,
    opts: &BenchOptions,
) -> Result<BenchReport, RunError> {
    if plans.is_empty() {
        return Err(RunError::Plan("no switches to emulate".into()));
    }
    let sending = plans
        .iter()
        .filter(|p| p.workload.probe(0).is_some())
        .count();
    if sending == 0 {
        return Err(RunError::Plan(
            "no switch of the plan sends PACKET_INs".into(),
        ));
    }
    let session = SessionOptions {
        mode: opts.mode,
        window: opts.window.max(1),
        rate: opts.rate.map(|r| r / sending as f64),
        timeout: opts.timeout,
        buffered: opts.buffered,
        tick: Duration::from_millis(10),
        pacer: None,
    };
    // Paced runs: sub-millisecond wake-ups from a pacer thread (stopped when dropped).
    let pacer = match opts.rate {
        Some(_) => Some(
            Pacer::start(DEFAULT_PERIOD)
                .map_err(|e| RunError::Plan(format!("cannot start the pacer thread: {e}")))?,
        ),
        None => None,
    };
    let session = SessionOptions {
        pacer: pacer.as_ref().map(Pacer::notify),
        ..session
    };
    let mut fleet = Fleet::spawn(plans, opts.controller, session);
    fleet
        .wait_all(
            "handshake",
            opts.setup_timeout,
            |e| matches!(e, Up::Ready(_)),
            |_| {},
        )
        .await?;
    let _ = fleet.control.send(Control::Announce);
    fleet
        .wait_all(
            "announcements",
            opts.setup_timeout,
            |e| matches!(e, Up::Announced(_)),
            |_| {},
        )
        .await?;
    if !opts.settle.is_zero() {
        fleet.settle(opts.settle, opts.setup_timeout).await?;
    }
    let from = Instant::now() + opts.warmup;
    let _ = fleet.control.send(Control::Run {
        from,
        duration: opts.duration,
    });
    let results = fleet
        .collect(false, opts.warmup + opts.duration + Duration::from_secs(10))
        .await?;
    Ok(summarize(&results, opts, from, sending))
}

fn summarize(
    results: &[SessionResult],
    opts: &BenchOptions,
    from: Instant,
    sending: usize,
) -> BenchReport {
    let mut total = Recorder::new(from, opts.duration);
    let mut traffic = Traffic::default();
    for r in results {
        if let Some(rec) = &r.recorder {
            total.merge(rec);
        }
        traffic.flow_mods += r.counters.flow_mods;
        traffic.packet_outs += r.counters.packet_outs;
        traffic.barriers += r.counters.barriers;
        traffic.controller_errors += r.counters.controller_errors;
        traffic.refused += r.counters.refused;
        traffic.flows_installed += r.flows as u64;
    }
    let secs = opts.duration.as_secs_f64();
    let per_sec = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    BenchReport {
        label: opts.label.clone(),
        mode: match opts.mode {
            Mode::Throughput => "throughput".into(),
            Mode::Latency => "latency".into(),
        },
        workload: opts.workload.clone(),
        switches: results.len(),
        sending_switches: sending,
        window: match opts.mode {
            Mode::Throughput => opts.window.max(1),
            Mode::Latency => 1,
        },
        rate_limit: opts.rate,
        duration_s: secs,
        packet_ins: total.sent,
        responses: total.responses,
        responses_per_sec: per_sec(total.responses),
        flow_setups_per_sec: per_sec(total.by_flow_mod),
        per_second: total.per_second(),
        latency_us: total.latency(),
        lost: total.lost,
        traffic,
    }
}
