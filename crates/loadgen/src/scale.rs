//! Connection scale: many emulated switches connect to one controller at once; the run
//! measures how long until every switch the controller manages has been programmed (a
//! BARRIER_REPLY after its FLOW_MODs, with no further programming for a quiet period) and
//! how much memory the controller process holds then (`VmRSS`, `VmHWM` of
//! `/proc/<pid>/status`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::bench::{Fleet, RunError};
use crate::session::{Mode, SessionOptions, Up};
use crate::workload::SwitchPlan;

/// Settings of a scale run.
#[derive(Debug, Clone)]
pub struct ScaleOptions {
    /// The controller's OpenFlow address.
    pub controller: SocketAddr,
    /// How many switches must be programmed for the run to end (default: all).
    pub expect_programmed: Option<usize>,
    /// Programming is over when no switch was programmed for this long.
    pub quiet: Duration,
    /// Time allowed for the handshakes, and again for the programming.
    pub timeout: Duration,
    /// The controller's process id, to read its memory.
    pub pid: Option<u32>,
}

/// Memory of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Resident set size now, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size, KiB (`VmHWM`).
    pub hwm_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of process `pid` (`None`: this process).
pub fn memory_of(pid: Option<u32>) -> std::io::Result<Memory> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    parse_status(&std::fs::read_to_string(&path)?).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{path}: no VmRSS/VmHWM lines"),
        )
    })
}

fn parse_status(text: &str) -> Option<Memory> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// What a scale run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleReport {
    /// Switches connected.
    pub switches: usize,
    /// Seconds until every switch had completed its handshake.
    pub all_connected_s: f64,
    /// Switches programmed (BARRIER_REPLY after FLOW_MODs).
    pub programmed: usize,
    /// Switches that had to be programmed for the run to succeed.
    pub expected_programmed: usize,
    /// Seconds from the first connect to the last switch programmed.
    pub all_programmed_s: Option<f64>,
    /// Median seconds from a switch's connect to its last programming.
    pub median_programmed_s: Option<f64>,
    /// Switches whose table the controller read (FLOW_STATS) before programming.
    pub reconciled: usize,
    /// Flow entries over all switches.
    pub flows_total: u64,
    /// Fewest entries in a programmed switch.
    pub flows_min: u64,
    /// Most entries in a switch.
    pub flows_max: u64,
    /// FLOW_MODs received.
    pub flow_mods: u64,
    /// The controller's memory once all were programmed.
    pub controller_memory: Option<Memory>,
    /// The generator's own memory then.
    pub loadgen_memory: Option<Memory>,
}

/// Runs the scale measurement with one (usually silent) emulated switch per plan.
pub async fn run_scale(
    plans: Vec<SwitchPlan>,
    opts: &ScaleOptions,
) -> Result<ScaleReport, RunError> {
    if plans.is_empty() {
        return Err(RunError::Plan("no switches to emulate".into()));
    }
    let session = SessionOptions {
        mode: Mode::Throughput,
        window: 1,
        rate: None,
        timeout: Duration::from_secs(1),
        buffered: false,
        tick: Duration::from_millis(250),
        pacer: None,
    };
    let mut fleet = Fleet::spawn(plans, opts.controller, session);
    let base = fleet.base;
    let expected = opts
        .expect_programmed
        .unwrap_or(fleet.total)
        .min(fleet.total);
    let mut programmed: HashMap<usize, Duration> = HashMap::new();
    let mut last_event = Instant::now();
    fleet
        .wait_all(
            "handshake",
            opts.timeout,
            |e| matches!(e, Up::Ready(_)),
            |e| {
                if let Up::Programmed { index, at, .. } = e {
                    programmed.insert(index, at);
                    last_event = Instant::now();
                }
            },
        )
        .await?;
    let all_connected = base.elapsed();
    let deadline = tokio::time::Instant::now() + opts.timeout;
    loop {
        if programmed.len() >= expected && last_event.elapsed() >= opts.quiet {
            break;
        }
        let wait = if programmed.len() >= expected {
            opts.quiet.saturating_sub(last_event.elapsed())
        } else {
            opts.quiet
        };
        tokio::select! {
            ev = fleet.up.recv() => match ev {
                Some(Up::Programmed { index, at, .. }) => {
                    programmed.insert(index, at);
                    last_event = Instant::now();
                }
                Some(_) => {}
                None => break,
            },
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    let controller_memory = opts.pid.and_then(|p| memory_of(Some(p)).ok());
    let loadgen_memory = memory_of(None).ok();
    let results = fleet.collect(true, Duration::from_secs(30)).await?;
    let mut per_switch: Vec<f64> = results
        .iter()
        .filter_map(|r| {
            let p = r.timeline.programmed?;
            Some(
                p.saturating_sub(r.timeline.connected.unwrap_or_default())
                    .as_secs_f64(),
            )
        })
        .collect();
    per_switch.sort_by(f64::total_cmp);
    let flows: Vec<u64> = results.iter().map(|r| r.flows as u64).collect();
    let programmed_flows: Vec<u64> = results
        .iter()
        .filter(|r| r.timeline.programmed.is_some())
        .map(|r| r.flows as u64)
        .collect();
    Ok(ScaleReport {
        switches: results.len(),
        all_connected_s: all_connected.as_secs_f64(),
        programmed: programmed.len(),
        expected_programmed: expected,
        all_programmed_s: programmed.values().max().map(Duration::as_secs_f64),
        median_programmed_s: per_switch.get(per_switch.len() / 2).copied(),
        reconciled: results
            .iter()
            .filter(|r| r.timeline.flow_stats.is_some())
            .count(),
        flows_total: flows.iter().sum(),
        flows_min: programmed_flows.iter().copied().min().unwrap_or(0),
        flows_max: flows.iter().copied().max().unwrap_or(0),
        flow_mods: results.iter().map(|r| r.counters.flow_mods).sum(),
        controller_memory,
        loadgen_memory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_status() {
        let text = "Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t    5120 kB\nVmRSS:\t    4096 kB\n";
        assert_eq!(
            parse_status(text),
            Some(Memory {
                rss_kib: 4096,
                hwm_kib: 5120
            })
        );
        assert_eq!(parse_status("Name: x\n"), None);
        assert!(memory_of(None).unwrap().rss_kib > 0);
    }
}
