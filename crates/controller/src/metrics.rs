//! Counters the core keeps and their Prometheus text exposition (format 0.0.4).
//!
//! The core owns a [`Metrics`] value and updates it as it handles events (it is
//! single-threaded, so plain integers suffice); the runtime takes a copy and renders it with
//! [`Metrics::render`] for `GET /metrics`.
//!
//! ```
//! use flowfall_controller::metrics::Metrics;
//! use std::time::Duration;
//!
//! let mut m = Metrics::default();
//! m.packet_ins += 3;
//! m.update_latency.observe(Duration::from_millis(20));
//! let text = m.render(&[("j0".to_string(), 12)]);
//! assert!(text.contains("flowfall_packet_ins_total 3\n"));
//! assert!(text.contains("flowfall_flows_installed{switch=\"j0\"} 12\n"));
//! assert!(text.contains("flowfall_update_latency_seconds_bucket{le=\"0.025\"} 1\n"));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

/// Upper bounds (seconds) of the update-latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A cumulative histogram over [`LATENCY_BUCKETS`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations per bucket (not cumulative), same order as [`LATENCY_BUCKETS`].
    pub buckets: [u64; LATENCY_BUCKETS.len()],
    /// Number of observations.
    pub count: u64,
    /// Sum of the observations, seconds.
    pub sum: f64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&le| secs <= le) {
            if let Some(b) = self.buckets.get_mut(i) {
                *b += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }
}

/// Why the core dropped a switch connection, for `flowfall_disconnects_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DisconnectReason {
    /// Version negotiation failed (not OpenFlow 1.3).
    Incompatible,
    /// A handshake step timed out.
    HandshakeTimeout,
    /// No message within the dead-peer timeout.
    DeadPeer,
    /// A barrier stayed unanswered.
    BarrierTimeout,
    /// The stream could not be framed any more, or the switch broke the protocol.
    Protocol,
    /// The switch sent faster than the core could take (inbound queue full).
    Flood,
    /// The switch did not read what we sent (outbound buffer full).
    Stall,
    /// Another connection announced the same datapath id.
    Replaced,
    /// A reload gave the datapath to another chain of this controller; the switch
    /// reconnects and is handed over to it.
    Moved,
    /// The switch (or the network) closed the connection.
    Closed,
    /// The controller is shutting down.
    Shutdown,
}

impl DisconnectReason {
    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            DisconnectReason::Incompatible => "incompatible",
            DisconnectReason::HandshakeTimeout => "handshake_timeout",
            DisconnectReason::DeadPeer => "dead_peer",
            DisconnectReason::BarrierTimeout => "barrier_timeout",
            DisconnectReason::Protocol => "protocol",
            DisconnectReason::Flood => "flood",
            DisconnectReason::Stall => "stall",
            DisconnectReason::Replaced => "replaced",
            DisconnectReason::Moved => "moved",
            DisconnectReason::Closed => "closed",
            DisconnectReason::Shutdown => "shutdown",
        }
    }
}

/// What [`Metrics::errors`] counts, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// A switch sent a message that does not decode or is not valid where it came.
    Malformed,
    /// A switch answered one of our messages with OFPT_ERROR.
    Switch,
    /// A compile or configuration error (e.g. an update that could not be computed).
    Compile,
}

impl ErrorKind {
    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::Switch => "switch",
            ErrorKind::Compile => "compile",
        }
    }
}

/// The controller's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Switches connected, handshake done and matched to a junction.
    pub switches_connected: u64,
    /// PACKET_IN messages received.
    pub packet_ins: u64,
    /// Errors by kind.
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Reconciliations (a connected switch's flows read and brought to the compiled table).
    pub reconciles: u64,
    /// Disconnections by reason.
    pub disconnects: BTreeMap<DisconnectReason, u64>,
    /// FLOW_MOD messages sent.
    pub flow_mods: u64,
    /// Time from an update's start (event) to the last barrier confirming it.
    pub update_latency: Histogram,
}

/// Escapes a Prometheus label value.
pub(crate) fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Metrics {
    /// Counts one error of `kind`.
    pub fn error(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind).or_default() += 1;
    }

    /// Counts one disconnection.
    pub fn disconnect(&mut self, reason: DisconnectReason) {
        *self.disconnects.entry(reason).or_default() += 1;
    }

    /// Prometheus text exposition; `flows` gives the flows installed per switch name.
    pub fn render(&self, flows: &[(String, usize)]) -> String {
        let mut o = String::new();
        let family = |o: &mut String, name: &str, kind: &str, help: &str| {
            // Writing to a String cannot fail.
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            &mut o,
            "flowfall_switches_connected",
            "gauge",
            "Junction switches connected and handshaken.",
        );
        let _ = writeln!(o, "flowfall_switches_connected {}", self.switches_connected);
        family(
            &mut o,
            "flowfall_flows_installed",
            "gauge",
            "Flow entries the controller believes each switch holds (confirmed by barrier).",
        );
        for (switch, n) in flows {
            let _ = writeln!(
                o,
                "flowfall_flows_installed{{switch=\"{}\"}} {n}",
                escape_label(switch)
            );
        }
        family(
            &mut o,
            "flowfall_packet_ins_total",
            "counter",
            "PACKET_IN messages received.",
        );
        let _ = writeln!(o, "flowfall_packet_ins_total {}", self.packet_ins);
        family(
            &mut o,
            "flowfall_errors_total",
            "counter",
            "Errors by kind.",
        );
        for kind in [ErrorKind::Malformed, ErrorKind::Switch, ErrorKind::Compile] {
            let n = self.errors.get(&kind).copied().unwrap_or(0);
            let _ = writeln!(o, "flowfall_errors_total{{kind=\"{}\"}} {n}", kind.name());
        }
        family(
            &mut o,
            "flowfall_reconciles_total",
            "counter",
            "Switches whose flows were read and reconciled with the compiled table.",
        );
        let _ = writeln!(o, "flowfall_reconciles_total {}", self.reconciles);
        family(
            &mut o,
            "flowfall_flow_mods_total",
            "counter",
            "FLOW_MOD messages sent.",
        );
        let _ = writeln!(o, "flowfall_flow_mods_total {}", self.flow_mods);
        family(
            &mut o,
            "flowfall_disconnects_total",
            "counter",
            "Switch disconnections by reason.",
        );
        for (reason, n) in &self.disconnects {
            let _ = writeln!(
                o,
                "flowfall_disconnects_total{{reason=\"{}\"}} {n}",
                reason.name()
            );
        }
        family(
            &mut o,
            "flowfall_update_latency_seconds",
            "histogram",
            "Time from a change (switch up, port status, service change, reload) to the barrier confirming its last flow.",
        );
        let h = &self.update_latency;
        let mut cumulative = 0;
        for (le, n) in LATENCY_BUCKETS.iter().zip(h.buckets.iter()) {
            cumulative += n;
            let _ = writeln!(
                o,
                "flowfall_update_latency_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            o,
            "flowfall_update_latency_seconds_bucket{{le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(o, "flowfall_update_latency_seconds_sum {}", h.sum);
        let _ = writeln!(o, "flowfall_update_latency_seconds_count {}", h.count);
        o
    }
}

/// What a line of an exposition is.
enum Line {
    Help,
    Type,
    Sample(String),
}

/// One metric family gathered from several expositions.
#[derive(Debug, Default)]
struct Family {
    help: Option<String>,
    kind: Option<String>,
    samples: Vec<String>,
}

/// Merges the expositions of several chains into one: every sample gets the label
/// `chain="name"` (first), and each family's `# HELP` and `# TYPE` lines appear once, followed
/// by the samples of every chain in the order given. Families keep the order they first
/// appear in.
///
/// ```
/// use flowfall_controller::metrics::{Metrics, label_chains};
///
/// let mut a = Metrics::default();
/// a.packet_ins = 2;
/// let text = label_chains(&[
///     ("a".into(), a.render(&[("j0".into(), 3)])),
///     ("b".into(), Metrics::default().render(&[])),
/// ]);
/// assert!(text.contains("flowfall_packet_ins_total{chain=\"a\"} 2\n"));
/// assert!(text.contains("flowfall_packet_ins_total{chain=\"b\"} 0\n"));
/// assert!(text.contains("flowfall_flows_installed{chain=\"a\",switch=\"j0\"} 3\n"));
/// assert_eq!(text.matches("# TYPE flowfall_packet_ins_total ").count(), 1);
/// ```
pub fn label_chains(chains: &[(String, String)]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut families: std::collections::HashMap<String, Family> = Default::default();
    for (chain, text) in chains {
        let label = format!("chain=\"{}\"", escape_label(chain));
        let mut current: Option<String> = None;
        for line in text.lines() {
            let (name, entry) = if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap_or_default().to_string();
                current = Some(name.clone());
                (name, Line::Help)
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap_or_default().to_string();
                current = Some(name.clone());
                (name, Line::Type)
            } else if line.starts_with('#') || line.trim().is_empty() {
                continue;
            } else {
                let end = line.find(['{', ' ']).unwrap_or(line.len());
                let (name, rest) = line.split_at(end);
                let sample = match rest.strip_prefix('{') {
                    Some(labels) if labels.starts_with('}') => format!("{name}{{{label}{labels}"),
                    Some(labels) => format!("{name}{{{label},{labels}"),
                    None => format!("{name}{{{label}}}{rest}"),
                };
                let family = current.clone().unwrap_or_else(|| name.to_string());
                (family, Line::Sample(sample))
            };
            if !families.contains_key(&name) {
                order.push(name.clone());
            }
            let family = families.entry(name).or_default();
            match entry {
                Line::Help => {
                    family.help.get_or_insert_with(|| line.to_string());
                }
                Line::Type => {
                    family.kind.get_or_insert_with(|| line.to_string());
                }
                Line::Sample(sample) => family.samples.push(sample),
            }
        }
    }
    let mut out = String::new();
    for name in order {
        if let Some(f) = families.remove(&name) {
            for line in f.help.iter().chain(f.kind.iter()).chain(f.samples.iter()) {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_are_labelled_and_families_kept_whole() {
        let mut a = Metrics::default();
        a.update_latency.observe(Duration::from_millis(3));
        a.disconnect(DisconnectReason::Moved);
        let b = Metrics::default();
        let text = label_chains(&[
            ("a".into(), a.render(&[("j0".into(), 1)])),
            ("b\"x".into(), b.render(&[("j0".into(), 2)])),
        ]);
        assert!(
            text.contains("flowfall_update_latency_seconds_bucket{chain=\"a\",le=\"0.005\"} 1\n")
        );
        assert!(text.contains("flowfall_update_latency_seconds_count{chain=\"b\\\"x\"} 0\n"));
        assert!(text.contains("flowfall_disconnects_total{chain=\"a\",reason=\"moved\"} 1\n"));
        // Each family once, its samples right after its TYPE line, both chains there.
        let lines: Vec<&str> = text.lines().collect();
        for family in [
            "flowfall_flows_installed",
            "flowfall_update_latency_seconds",
        ] {
            assert_eq!(text.matches(&format!("# HELP {family} ")).count(), 1);
            let at = lines
                .iter()
                .position(|l| l.starts_with(&format!("# TYPE {family} ")))
                .unwrap();
            let samples: Vec<&&str> = lines[at + 1..]
                .iter()
                .take_while(|l| !l.starts_with('#'))
                .collect();
            assert!(samples.iter().all(|l| l.starts_with(family)), "{samples:?}");
            assert!(samples.iter().any(|l| l.contains("chain=\"a\"")));
            assert!(samples.iter().any(|l| l.contains("chain=\"b\\\"x\"")));
        }
        // Every sample line still parses: name{labels} value.
        for line in lines.iter().filter(|l| !l.starts_with('#')) {
            assert!(line.contains("{chain=\""), "{line}");
            assert!(
                line.rsplit(' ').next().unwrap().parse::<f64>().is_ok(),
                "{line}"
            );
        }
    }

    #[test]
    fn histogram_is_cumulative_and_counts_overflow() {
        let mut m = Metrics::default();
        m.update_latency.observe(Duration::from_micros(500));
        m.update_latency.observe(Duration::from_millis(30));
        m.update_latency.observe(Duration::from_secs(60));
        let text = m.render(&[]);
        assert!(text.contains("flowfall_update_latency_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("flowfall_update_latency_seconds_bucket{le=\"0.05\"} 2\n"));
        assert!(text.contains("flowfall_update_latency_seconds_bucket{le=\"10\"} 2\n"));
        assert!(text.contains("flowfall_update_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("flowfall_update_latency_seconds_count 3\n"));
    }

    #[test]
    fn labels_are_escaped() {
        let text = Metrics::default().render(&[("a\"b\\c\nd".into(), 1)]);
        assert!(
            text.contains(r#"flowfall_flows_installed{switch="a\"b\\c\nd"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn every_family_has_help_and_type() {
        let mut m = Metrics::default();
        m.error(ErrorKind::Switch);
        m.disconnect(DisconnectReason::Flood);
        let text = m.render(&[]);
        for name in [
            "flowfall_switches_connected",
            "flowfall_flows_installed",
            "flowfall_packet_ins_total",
            "flowfall_errors_total",
            "flowfall_reconciles_total",
            "flowfall_update_latency_seconds",
            "flowfall_disconnects_total",
        ] {
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
        }
        assert!(text.contains("flowfall_errors_total{kind=\"switch\"} 1\n"));
        assert!(text.contains("flowfall_disconnects_total{reason=\"flood\"} 1\n"));
        // Every sample line is "name{labels} value" with a numeric value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
