//! The harness of the VM-health lab tests (`tests/health_*.rs`, issue 7): the controller
//! in-process on ephemeral ports (OpenFlow and REST API, health probes on as by default), the
//! lab connected to it, and the proofs the tests rest on:
//!
//! - [`TtlCounters`]: the VMs are routers, so the IP TTL a packet reaches the router with
//!   counts the VNF layers it crossed (64: none, 63: one, ...), per source;
//! - [`Ping`]: a timestamped ping (`ping -D`, 10 ms apart) whose [`longest_gap`] is the time
//!   traffic stopped (the failover time);
//! - [`forwarding`]: a VM that stops forwarding (an iptables DROP in its namespace) while its
//!   links stay up, which only probes through the VNF can notice.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flowfall::controller::runtime::{ControllerHandle, Running, Runtime};
use flowfall::controller::settings::Settings;
use flowfall::topology::Topology;

use super::lab::{Lab, LabOptions};

/// The REST API token of the tests' controllers.
pub const TOKEN: &str = "health-lab-token";
/// The failover budget of issue 7: traffic of a dead VM's customers flows again within it.
pub const BUDGET: Duration = Duration::from_secs(1);

/// The core, as the tests query it.
pub type Core = flowfall::controller::Controller;

/// The controller, in-process on its own tokio runtime.
pub struct Controller {
    rt: tokio::runtime::Runtime,
    running: Option<Running>,
    api: SocketAddr,
}

impl Controller {
    /// Starts a controller for `config` with the default settings (probes every 100 ms, down
    /// after 3 misses), OpenFlow and API on ephemeral loopback ports, changed by `tweak`.
    pub fn start(config: &Path, tweak: impl FnOnce(&mut Settings)) -> Controller {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let mut settings = Settings::default();
        assert!(settings.health.enabled, "probes are on by default");
        settings.openflow.listen = "127.0.0.1:0".parse().expect("address");
        settings.api.listen = Some("127.0.0.1:0".parse().expect("address"));
        settings.api.token = Some(TOKEN.into());
        tweak(&mut settings);
        let topology = Topology::from_file(config).expect("lab topology");
        let running = rt
            .block_on(
                Runtime::new(settings, topology)
                    .topology_path(config)
                    .start(),
            )
            .expect("controller start");
        let api = running.api_addr().expect("API address");
        Controller {
            rt,
            running: Some(running),
            api,
        }
    }

    /// The OpenFlow target the lab's junctions connect to (`tcp:127.0.0.1:PORT`).
    pub fn openflow_target(&self) -> String {
        format!("tcp:{}", self.running().openflow_addr())
    }

    fn running(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    fn handle(&self) -> ControllerHandle {
        self.running().handle()
    }

    /// Runs `f` on the core.
    pub fn query<R: Send + 'static>(&self, f: impl FnOnce(&Core) -> R + Send + 'static) -> R {
        let h = self.handle();
        self.rt.block_on(h.call(move |c, _| f(c))).expect("core")
    }

    /// Polls (10 ms steps) until `done` holds or `limit` passes: how long it took, or `None`.
    pub fn poll(
        &self,
        limit: Duration,
        done: impl Fn(&Core) -> bool + Send + Sync + Clone + 'static,
    ) -> Option<Duration> {
        let started = Instant::now();
        loop {
            if self.query(done.clone()) {
                return Some(started.elapsed());
            }
            if started.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// [`Controller::poll`] that fails the test on timeout.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        done: impl Fn(&Core) -> bool + Send + Sync + Clone + 'static,
    ) -> Duration {
        self.poll(limit, done)
            .unwrap_or_else(|| panic!("timed out after {limit:?} waiting: {what}"))
    }

    /// Waits until every VM is probed up (with an RTT) and every junction holds its table.
    pub fn wait_all_up(&self, limit: Duration) -> Duration {
        self.wait_for("every VM probed up, switches in sync", limit, |c| {
            c.vm_views()
                .iter()
                .all(|v| v.live && v.state.as_deref() == Some("up") && v.rtt_ms.is_some())
                && in_sync(c)
        })
    }

    /// Waits until no VM of `layer` is live and the switches hold the resulting tables.
    pub fn wait_layer_dead(&self, layer: &'static str, limit: Duration) -> Duration {
        self.wait_for(
            &format!("layer {layer} without a live VM"),
            limit,
            move |c| {
                c.vm_views()
                    .iter()
                    .filter(|v| v.layer == layer)
                    .all(|v| !v.live)
                    && in_sync(c)
            },
        )
    }

    /// A layer's status in `GET /api/layers`: `ok`, `dropping` (no live VM, fail-closed) or
    /// `bypassing` (no live VM, fail-open).
    pub fn layer_status(&self, layer: &str) -> String {
        let (status, layers) = self.http("GET", "/api/layers", None);
        assert_eq!(status, 200, "{layers}");
        layers
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["layer"] == layer))
            .and_then(|l| l["status"].as_str())
            .unwrap_or_else(|| panic!("no layer {layer} in /api/layers: {layers}"))
            .to_string()
    }

    /// The VM the controller sends `customer`'s first prefix through in `layer`, or `drop` /
    /// `bypass`.
    pub fn hop(&self, customer: &'static str, layer: &'static str) -> String {
        self.query(move |c| {
            let path = c.path_view(customer).expect("customer");
            let hop = path.prefixes[0]
                .hops
                .iter()
                .find(|h| h.layer == layer)
                .expect("layer")
                .clone();
            hop.vm.unwrap_or(hop.via)
        })
    }

    /// Every VM's probe state (`up`, `suspect`, `down`).
    pub fn states(&self) -> BTreeMap<String, String> {
        self.query(|c| {
            c.vm_views()
                .into_iter()
                .map(|v| (v.name, v.state.unwrap_or_default()))
                .collect()
        })
    }

    /// The value of the first metric line starting with `series` (a name, or a name with its
    /// labels, e.g. `flowfall_vm_up{vm="fw-1"`) followed by a space.
    pub fn metric(&self, series: &str) -> Option<f64> {
        let text = self.query(|c| c.metrics_text());
        metric_value(&text, series)
    }

    /// One REST call: (status, JSON body or `Null`).
    pub fn http(&self, method: &str, path: &str, body: Option<&str>) -> (u16, serde_json::Value) {
        super::http::call(self.api, method, path, TOKEN, body)
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown());
        }
    }
}

/// Whether every junction holds exactly the compiled table.
pub fn in_sync(c: &Core) -> bool {
    c.switch_views().iter().all(|s| s.in_sync)
}

/// The value of `series` in Prometheus text (see [`Controller::metric`]): the first line
/// whose name and labels are `series`, or begin with it up to a `{`, `,` or `}`.
pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (key, value) = l.rsplit_once(' ')?;
        let rest = key.strip_prefix(series)?;
        let whole = rest.is_empty() || rest.starts_with(['{', ',', '}']);
        whole.then(|| value.parse().ok()).flatten()
    })
}

/// The controller for `config` (changed by `tweak`), the lab built with `options` connected
/// to it, every VM probed up; `None` when the lab cannot run here (skipped, see
/// tests/support/lab.rs).
pub fn setup(
    scenario: &str,
    config: &Path,
    mut options: LabOptions,
    tweak: impl FnOnce(&mut Settings),
) -> Option<(Controller, Lab)> {
    let ctl = Controller::start(config, tweak);
    options.controllers = vec![ctl.openflow_target()];
    let lab = match Lab::up_with(config, &options) {
        Ok(lab) => lab,
        Err(super::lab::LabError::Unavailable(why)) if !super::lab::in_ci() => {
            eprintln!("SKIPPED: the end-to-end lab cannot run here: {why}");
            return None;
        }
        Err(e) => panic!("lab up failed: {e}"),
    };
    let t = ctl.wait_all_up(Duration::from_secs(30));
    eprintln!(
        "[{scenario}] lab up, every VM probed up {:.2} s later",
        t.as_secs_f64()
    );
    Some((ctl, lab))
}

/// Runs `args` in `host`'s namespace; fails the test unless it succeeds. Its stdout.
pub fn run_ok(lab: &Lab, host: &str, args: &[&str]) -> String {
    let out = lab
        .exec(host, args)
        .unwrap_or_else(|e| panic!("exec {args:?} in {host}: {e}"));
    assert!(
        out.success(),
        "{args:?} in {host}: {} {}",
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// Stops (`false`) or restores (`true`) a VM's forwarding, its links untouched.
pub fn forwarding(lab: &Lab, vm: &str, on: bool) {
    let op = if on { "-D" } else { "-I" };
    run_ok(lab, vm, &["iptables", op, "FORWARD", "-j", "DROP"]);
}

/// Per-(source label, TTL) packet counters in one host's INPUT chain (the router's, or a
/// customer's for return traffic).
pub struct TtlCounters<'a> {
    lab: &'a Lab,
    host: String,
}

/// The TTLs counted: a packet crosses at most a handful of VNF layers (each VM is a router).
const TTLS: std::ops::RangeInclusive<u8> = 58..=64;

impl<'a> TtlCounters<'a> {
    /// Counting rules (no target: they only count) for packets from each `(label, source)`
    /// (an address or prefix) arriving at the router.
    pub fn install(lab: &'a Lab, sources: &[(&str, &str)]) -> TtlCounters<'a> {
        TtlCounters::install_at(lab, "router", sources)
    }

    /// [`TtlCounters::install`] in `host` (see [`Lab::namespace`]).
    pub fn install_at(lab: &'a Lab, host: &str, sources: &[(&str, &str)]) -> TtlCounters<'a> {
        run_ok(lab, host, &["iptables", "-N", "fftest"]);
        run_ok(lab, host, &["iptables", "-I", "INPUT", "1", "-j", "fftest"]);
        let mut rules = String::from("*filter\n");
        for (label, src) in sources {
            for ttl in TTLS {
                rules.push_str(&format!(
                    "-A fftest -s {src} -m ttl --ttl-eq {ttl} -m comment --comment {label}:{ttl}\n"
                ));
            }
        }
        rules.push_str("COMMIT\n");
        let ns = lab.namespace(host).expect("namespace");
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, "iptables-restore", "--noflush"]);
        let out = super::process::run(&mut cmd, Some(rules.as_bytes()), Duration::from_secs(30))
            .expect("iptables-restore");
        assert!(out.success(), "iptables-restore: {}", out.stderr);
        TtlCounters {
            lab,
            host: host.to_string(),
        }
    }

    /// Zeroes the counters.
    pub fn zero(&self) {
        run_ok(self.lab, &self.host, &["iptables", "-Z", "fftest"]);
    }

    /// label -> TTL -> packets (zero counts left out).
    pub fn read(&self) -> BTreeMap<String, BTreeMap<u8, u64>> {
        let text = run_ok(
            self.lab,
            &self.host,
            &["iptables", "-L", "fftest", "-v", "-x", "-n"],
        );
        let mut out: BTreeMap<String, BTreeMap<u8, u64>> = BTreeMap::new();
        for line in text.lines() {
            let pkts = line
                .split_whitespace()
                .next()
                .and_then(|p| p.parse::<u64>().ok());
            let comment = line.split("/* ").nth(1).and_then(|c| c.split(" */").next());
            let (Some(pkts), Some((label, ttl))) = (pkts, comment.and_then(|c| c.rsplit_once(':')))
            else {
                continue;
            };
            if let (Ok(ttl), true) = (ttl.parse::<u8>(), pkts > 0) {
                *out.entry(label.to_string())
                    .or_default()
                    .entry(ttl)
                    .or_default() += pkts;
            }
        }
        out
    }

    /// TTL -> packets of one label.
    pub fn of(&self, label: &str) -> BTreeMap<u8, u64> {
        self.read().remove(label).unwrap_or_default()
    }
}

/// The interval of a [`Ping`] (`ping -i 0.01`).
pub const PING_INTERVAL: Duration = Duration::from_millis(10);

/// Per-VM counters of the packets from one source a VM forwards upstream (`dn` -> `up`):
/// a counting rule (no target) at the top of each VM's FORWARD chain. Unlike the lab's
/// per-VM counters they leave out the health probes, which cross every VM ten times a second.
pub struct SourceCounters<'a> {
    lab: &'a Lab,
    vms: Vec<String>,
    comment: String,
}

impl<'a> SourceCounters<'a> {
    /// Counts packets from `source` (an address or prefix) in each of `vms`.
    pub fn install(lab: &'a Lab, vms: &[&str], label: &str, source: &str) -> SourceCounters<'a> {
        let comment = format!("fftest-{label}");
        for vm in vms {
            run_ok(
                lab,
                vm,
                &[
                    "iptables",
                    "-I",
                    "FORWARD",
                    "1",
                    "-i",
                    "dn",
                    "-o",
                    "up",
                    "-s",
                    source,
                    "-m",
                    "comment",
                    "--comment",
                    &comment,
                ],
            );
        }
        SourceCounters {
            lab,
            vms: vms.iter().map(|v| v.to_string()).collect(),
            comment,
        }
    }

    /// VM -> packets counted since the last read (every VM listed; counters zeroed).
    pub fn take(&self) -> BTreeMap<String, u64> {
        self.vms
            .iter()
            .map(|vm| {
                let text = run_ok(
                    self.lab,
                    vm,
                    &["iptables", "-L", "FORWARD", "-v", "-x", "-n", "-Z"],
                );
                let pkts = text
                    .lines()
                    .find(|l| l.contains(&format!("/* {} */", self.comment)))
                    .and_then(|l| l.split_whitespace().next()?.parse().ok())
                    .unwrap_or_else(|| panic!("no counting rule in {vm}: {text}"));
                (vm.clone(), pkts)
            })
            .collect()
    }

    /// The VMs that forwarded at least `n` packets since the last read.
    pub fn busy(&self, n: u64) -> Vec<String> {
        self.take()
            .into_iter()
            .filter(|(_, p)| *p >= n)
            .map(|(vm, _)| vm)
            .collect()
    }
}

/// A timestamped ping (`ping -D`) from a customer to the router, 10 ms apart; killed if the
/// test fails first.
pub struct Ping {
    child: Option<Child>,
}

impl Ping {
    /// Starts `count` echo requests from `customer`'s first address.
    pub fn start(lab: &Lab, customer: &str, count: u32) -> Ping {
        let ns = lab.namespace(customer).expect("namespace").to_string();
        let src = lab.address(customer).expect("address").to_string();
        let dst = lab.address("router").expect("router").to_string();
        let child = Command::new("ip")
            .args([
                "netns", "exec", &ns, "ping", "-n", "-D", "-W", "1", "-i", "0.01",
            ])
            .args(["-c", &count.to_string(), "-I", &src, &dst])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ping");
        Ping { child: Some(child) }
    }

    /// Waits for the end.
    pub fn finish(mut self) -> PingRun {
        let child = self.child.take().expect("child");
        let out = child.wait_with_output().expect("ping output");
        let text = String::from_utf8_lossy(&out.stdout);
        let replies = text
            .lines()
            .filter(|l| l.contains("bytes from"))
            .filter_map(|l| l.strip_prefix('[')?.split(']').next()?.parse().ok())
            .collect();
        let stats =
            super::lab::parse_ping(&text).unwrap_or_else(|| panic!("no ping statistics: {text}"));
        PingRun {
            replies,
            transmitted: stats.transmitted,
            received: stats.received,
        }
    }
}

/// What a [`Ping`] saw.
#[derive(Debug, Clone)]
pub struct PingRun {
    /// Reply timestamps (seconds).
    pub replies: Vec<f64>,
    /// Echo requests sent.
    pub transmitted: u32,
    /// Replies received.
    pub received: u32,
}

impl PingRun {
    /// How long traffic stopped: the longest silence between two replies, or the time the
    /// lost requests span (10 ms each) if that is longer — a ping whose traffic never came
    /// back has few replies, close together, but many losses.
    pub fn outage(&self) -> Duration {
        let lost = self.transmitted.saturating_sub(self.received);
        longest_gap(&self.replies).max(PING_INTERVAL * lost)
    }
}

impl Drop for Ping {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // Only the ping this test started.
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The longest silence between two consecutive replies (`Duration::MAX` with fewer than two).
pub fn longest_gap(replies: &[f64]) -> Duration {
    replies
        .windows(2)
        .map(|w| Duration::from_secs_f64((w[1] - w[0]).max(0.0)))
        .max()
        .unwrap_or(Duration::MAX)
}

/// Milliseconds, for reports.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Minimum, median and maximum of a non-empty sample (the median of an even count is the
/// mean of the two middle values).
pub fn min_median_max(sample: &[Duration]) -> (Duration, Duration, Duration) {
    let mut v = sample.to_vec();
    v.sort();
    let (Some(&min), Some(&max)) = (v.first(), v.last()) else {
        panic!("min_median_max of an empty sample");
    };
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2
    } else {
        v[mid]
    };
    (min, median, max)
}
