//! Counting answers and reporting a run: responses per second (over the run and per
//! one-second interval, like cbench), latency percentiles from an HDR histogram (3
//! significant digits, 1 µs to 60 s, bounded memory), and the protocol counters. Reports
//! print as a table ([`std::fmt::Display`]) and serialize to JSON.

use std::fmt;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Lowest latency the histogram tells apart, in nanoseconds.
const HIST_LOW_NS: u64 = 1_000;
/// Highest latency the histogram holds, in nanoseconds (longer ones are clamped).
const HIST_HIGH_NS: u64 = 60_000_000_000;

/// Counts the answers of one switch (or, merged, of a run) inside the measurement window.
#[derive(Debug, Clone)]
pub struct Recorder {
    from: Instant,
    to: Instant,
    /// `None` only if the histogram could not be created (its bounds are valid constants).
    histogram: Option<Histogram<u64>>,
    per_second: Vec<u64>,
    /// PACKET_INs sent inside the window.
    pub sent: u64,
    /// Answers received inside the window.
    pub responses: u64,
    /// Of which by a FLOW_MOD (a flow set up for the packet) rather than a PACKET_OUT.
    pub by_flow_mod: u64,
    /// PACKET_INs that timed out unanswered inside the window.
    pub lost: u64,
}

impl Recorder {
    /// A recorder for the window `[from, from + duration)`.
    pub fn new(from: Instant, duration: Duration) -> Recorder {
        let secs = duration.as_secs() as usize + usize::from(duration.subsec_nanos() > 0);
        Recorder {
            from,
            to: from + duration,
            histogram: Histogram::new_with_bounds(HIST_LOW_NS, HIST_HIGH_NS, 3).ok(),
            per_second: vec![0; secs],
            sent: 0,
            responses: 0,
            by_flow_mod: 0,
            lost: 0,
        }
    }

    /// Whether `t` is inside the window.
    pub fn in_window(&self, t: Instant) -> bool {
        t >= self.from && t < self.to
    }

    /// End of the window.
    pub fn window_end(&self) -> Instant {
        self.to
    }

    /// A PACKET_IN was sent at `now`.
    pub fn on_sent(&mut self, now: Instant) {
        if self.in_window(now) {
            self.sent += 1;
        }
    }

    /// An answer arrived at `now` for a PACKET_IN sent at `sent`; `flow_mod` when the answer
    /// was a FLOW_MOD.
    pub fn on_answer(&mut self, now: Instant, sent: Instant, flow_mod: bool) {
        if !self.in_window(now) {
            return;
        }
        self.responses += 1;
        self.by_flow_mod += u64::from(flow_mod);
        let latency = now.saturating_duration_since(sent).as_nanos();
        if let Some(h) = self.histogram.as_mut() {
            h.saturating_record(
                u64::try_from(latency)
                    .unwrap_or(u64::MAX)
                    .clamp(HIST_LOW_NS, HIST_HIGH_NS),
            );
        }
        let second = now.saturating_duration_since(self.from).as_secs() as usize;
        if let Some(slot) = self.per_second.get_mut(second) {
            *slot += 1;
        }
    }

    /// A PACKET_IN timed out at `now`.
    pub fn on_lost(&mut self, now: Instant) {
        if self.in_window(now) {
            self.lost += 1;
        }
    }

    /// Adds another recorder's counts (same window length).
    pub fn merge(&mut self, other: &Recorder) {
        self.sent += other.sent;
        self.responses += other.responses;
        self.by_flow_mod += other.by_flow_mod;
        self.lost += other.lost;
        if let (Some(a), Some(b)) = (self.histogram.as_mut(), other.histogram.as_ref()) {
            // Same bounds on both sides, so adding cannot fail; a failure would only lose samples.
            let _ = a.add(b);
        }
        for (a, b) in self.per_second.iter_mut().zip(&other.per_second) {
            *a += b;
        }
    }

    /// Latency percentiles of the answers.
    pub fn latency(&self) -> Latency {
        let us = |ns: u64| ns as f64 / 1_000.0;
        let Some(h) = self.histogram.as_ref().filter(|h| !h.is_empty()) else {
            return Latency::default();
        };
        Latency {
            samples: h.len(),
            min: us(h.min()),
            mean: h.mean() / 1_000.0,
            p50: us(h.value_at_quantile(0.50)),
            p90: us(h.value_at_quantile(0.90)),
            p99: us(h.value_at_quantile(0.99)),
            p999: us(h.value_at_quantile(0.999)),
            max: us(h.max()),
        }
    }

    /// Statistics of the answers per one-second interval.
    pub fn per_second(&self) -> Series {
        Series::of(&self.per_second)
    }
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Number of samples.
    pub samples: u64,
    /// Smallest.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
}

/// Min/max/mean/standard deviation of a series of per-second counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Series {
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub stdev: f64,
}

impl Series {
    /// Statistics of `values` (all zero when empty).
    pub fn of(values: &[u64]) -> Series {
        if values.is_empty() {
            return Series::default();
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<u64>() as f64 / n;
        let var = values
            .iter()
            .map(|&v| (v as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        Series {
            min: values.iter().copied().min().unwrap_or(0) as f64,
            max: values.iter().copied().max().unwrap_or(0) as f64,
            mean,
            stdev: var.sqrt(),
        }
    }
}

/// Protocol counters summed over the switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    /// FLOW_MODs received.
    pub flow_mods: u64,
    /// PACKET_OUTs received.
    pub packet_outs: u64,
    /// BARRIER_REQUESTs answered.
    pub barriers: u64,
    /// ERRORs received from the controller.
    pub controller_errors: u64,
    /// Requests the switches refused with an ERROR.
    pub refused: u64,
    /// Flow entries held by the switches at the end.
    pub flows_installed: u64,
}

/// The result of a packet-in benchmark.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// Free label (controller name).
    pub label: String,
    /// `throughput` or `latency`.
    pub mode: String,
    /// Workload name.
    pub workload: String,
    /// Emulated switches connected.
    pub switches: usize,
    /// Of which sending PACKET_INs.
    pub sending_switches: usize,
    /// PACKET_INs in flight per sending switch (1 in latency mode).
    pub window: usize,
    /// Offered load cap in PACKET_INs per second over all switches, if paced.
    pub rate_limit: Option<f64>,
    /// Seconds measured.
    pub duration_s: f64,
    /// PACKET_INs sent while measuring.
    pub packet_ins: u64,
    /// PACKET_INs answered while measuring.
    pub responses: u64,
    /// Answers per second over the measurement.
    pub responses_per_sec: f64,
    /// Answers that were FLOW_MODs, per second: flows set up for PACKET_INs (the rest were
    /// answered by a PACKET_OUT alone, e.g. for a flow the controller had already set up).
    pub flow_setups_per_sec: f64,
    /// Answers per one-second interval.
    pub per_second: Series,
    /// Latency from PACKET_IN sent to its answer received.
    pub latency_us: Latency,
    /// PACKET_INs unanswered within the timeout.
    pub lost: u64,
    /// Protocol counters over the whole run (handshake included).
    pub traffic: Traffic,
}

impl BenchReport {
    /// The report's header row of [`BenchReport::row`].
    pub const HEADER: &'static str = "| controller | mode | switches | window | responses/s | flow setups/s | per-second min..max | p50 µs | p99 µs | p99.9 µs | lost |";
    /// The table separator row.
    pub const SEPARATOR: &'static str = "|---|---|---|---|---:|---:|---|---:|---:|---:|---:|";

    /// One Markdown table row.
    pub fn row(&self) -> String {
        let mode = match self.rate_limit {
            Some(r) => format!("{} @ {:.0}/s", self.mode, r),
            None => self.mode.clone(),
        };
        format!(
            "| {} | {} | {}/{} | {} | {:.0} | {:.0} | {:.0}..{:.0} | {:.1} | {:.1} | {:.1} | {} |",
            self.label,
            mode,
            self.sending_switches,
            self.switches,
            self.window,
            self.responses_per_sec,
            self.flow_setups_per_sec,
            self.per_second.min,
            self.per_second.max,
            self.latency_us.p50,
            self.latency_us.p99,
            self.latency_us.p999,
            self.lost
        )
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", BenchReport::HEADER)?;
        writeln!(f, "{}", BenchReport::SEPARATOR)?;
        writeln!(f, "{}", self.row())?;
        let l = &self.latency_us;
        writeln!(
            f,
            "packet_ins={} responses={} lost={} | latency µs: min {:.1} mean {:.1} p90 {:.1} max {:.1} | per-second stdev {:.0}",
            self.packet_ins,
            self.responses,
            self.lost,
            l.min,
            l.mean,
            l.p90,
            l.max,
            self.per_second.stdev
        )?;
        let t = &self.traffic;
        write!(
            f,
            "received: flow_mods={} packet_outs={} barriers={} errors={} | refused={} | flows in tables={}",
            t.flow_mods,
            t.packet_outs,
            t.barriers,
            t.controller_errors,
            t.refused,
            t.flows_installed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_inside_the_window() {
        let t0 = Instant::now();
        let mut r = Recorder::new(t0 + Duration::from_secs(1), Duration::from_secs(2));
        r.on_sent(t0);
        r.on_answer(t0, t0, true);
        assert_eq!((r.sent, r.responses), (0, 0));
        let inside = t0 + Duration::from_millis(1500);
        r.on_sent(inside);
        r.on_answer(inside, inside - Duration::from_micros(100), true);
        r.on_answer(t0 + Duration::from_millis(2500), inside, false);
        r.on_answer(t0 + Duration::from_secs(3), inside, true);
        r.on_lost(inside);
        assert_eq!((r.sent, r.responses, r.by_flow_mod, r.lost), (1, 2, 1, 1));
        assert_eq!(r.per_second, vec![1, 1]);
        let l = r.latency();
        assert_eq!(l.samples, 2);
        assert!((l.min - 100.0).abs() < 1.0, "{l:?}");
        assert!(l.max >= 999_000.0, "{l:?}");
    }

    #[test]
    fn merge_adds() {
        let t0 = Instant::now();
        let mut a = Recorder::new(t0, Duration::from_secs(1));
        let mut b = Recorder::new(t0, Duration::from_secs(1));
        a.on_answer(t0, t0, false);
        b.on_answer(t0, t0, true);
        b.on_sent(t0);
        a.merge(&b);
        assert_eq!(
            (a.responses, a.by_flow_mod, a.sent, a.latency().samples),
            (2, 1, 1, 2)
        );
        assert_eq!(a.per_second().mean, 2.0);
    }

    #[test]
    fn series_statistics() {
        let s = Series::of(&[2, 4, 4, 4, 5, 5, 7, 9]);
        assert_eq!((s.min, s.max, s.mean, s.stdev), (2.0, 9.0, 5.0, 2.0));
        assert_eq!(Series::of(&[]), Series::default());
    }
}
