//! The end-to-end lab from Rust: Open vSwitch junctions, customer/VM/router namespaces.
//!
//! [`Lab::up`] runs `lab/lab.py up` (see lab/README.md) in a private temporary directory and
//! reads the `lab.json` it writes; dropping the [`Lab`] tears everything down again. The helpers
//! send real traffic (`ping`, UDP and TCP echo) between the namespaces, read the per-VM iptables
//! counters that prove which VNF VMs a packet crossed, and drive and inspect the switches with
//! `ovs-ofctl` / `ovs-appctl` / `ovs-vsctl`.
//!
//! The lab needs root, Open vSwitch, iproute2, iptables, ethtool, iputils-ping and Python 3.11.
//! Without them [`Lab::up_or_skip`] skips the test with a message, except under `CI=true`, where
//! it fails so that CI never passes by skipping.
//!
//! One host runs one userspace datapath at a time (OVS names its tap `ovs-netdev`), so labs take
//! turns: within a test binary through a lock, across processes by retrying while `lab.py`
//! reports the datapath busy.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::process::{self, Background, CmdOutput, RunError};

/// Default deadline of one command run in the lab.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Deadline for bringing the lab up, including waiting for another lab to finish.
pub const UP_TIMEOUT: Duration = Duration::from_secs(180);
/// Exit status of `lab.py up` when another lab holds the userspace datapath.
const LAB_BUSY: i32 = 3;
/// Tools the lab runs (lab.py checks the OVS ones too, but a clear skip reason is kinder).
const TOOLS: &[&str] = &[
    "ovsdb-tool",
    "ovsdb-server",
    "ovs-vswitchd",
    "ovs-vsctl",
    "ovs-ofctl",
    "ovs-appctl",
    "ip",
    "iptables",
    "iptables-save",
    "iptables-restore",
    "ethtool",
    "ping",
    "python3",
];
const OVS_ENV: [&str; 4] = ["OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"];

/// A path inside the repository (the root package's manifest directory).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Whether this run is CI's (`CI=true`), where a lab that cannot start is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Why a lab operation failed.
#[derive(Debug)]
pub enum LabError {
    /// The machine cannot run the lab (not root, tools missing): a reason to skip.
    Unavailable(String),
    /// A command could not be run or did not finish in time.
    Run(RunError),
    /// A command exited unsuccessfully.
    Failed {
        /// The command line.
        command: String,
        /// Its exit code (`None`: killed by a signal).
        code: Option<i32>,
        /// What it printed on stderr.
        stderr: String,
    },
    /// Output that should have been JSON or a known report was not.
    Parse {
        /// What was being parsed.
        what: String,
        /// Why it failed.
        why: String,
    },
    /// A host, switch or VM name the lab does not have.
    Unknown {
        /// "customer", "switch", "VM", "host", ...
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A deadline passed while waiting for a condition.
    Timeout(String),
    /// A file could not be read or written.
    Io {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabError::Unavailable(why) => write!(f, "lab unavailable: {why}"),
            LabError::Run(e) => e.fmt(f),
            LabError::Failed {
                command,
                code,
                stderr,
            } => {
                write!(f, "{command} failed (exit {code:?}): {}", stderr.trim())
            }
            LabError::Parse { what, why } => write!(f, "cannot parse {what}: {why}"),
            LabError::Unknown { kind, name } => write!(f, "the lab has no {kind} named {name:?}"),
            LabError::Timeout(what) => write!(f, "timed out: {what}"),
            LabError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for LabError {}

impl From<RunError> for LabError {
    fn from(e: RunError) -> Self {
        LabError::Run(e)
    }
}

/// Result of lab operations.
pub type Result<T, E = LabError> = std::result::Result<T, E>;

fn ok(out: CmdOutput) -> Result<CmdOutput> {
    if out.success() {
        Ok(out)
    } else {
        let code = out.code();
        Err(LabError::Failed {
            command: out.command,
            code,
            stderr: out.stderr,
        })
    }
}

fn parse_json<T: for<'de> Deserialize<'de>>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| LabError::Parse {
        what: what.to_owned(),
        why: format!("{e}: {text:?}"),
    })
}

/// How the VNF VMs forward (`lab.py --vm-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VmPolicy {
    /// Upstream (dn -> up) always; downstream only for connections seen upstream (conntrack),
    /// so return traffic through a different VM than the request is dropped and counted.
    #[default]
    Stateful,
    /// Both directions unconditionally.
    Open,
}

/// How bypass links are built (`lab.py --bypass-links`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BypassLinks {
    /// OVS patch-port pairs (cheapest; their link cannot go down).
    #[default]
    Patch,
    /// veth pairs in the root namespace: [`Lab::set_link`] can take one down, and both
    /// junctions then report the port down (PORT_STATUS).
    Veth,
}

/// Options of [`Lab::up_with`].
#[derive(Debug, Clone, Default)]
pub struct LabOptions {
    /// Controller targets every junction connects to (e.g. `tcp:127.0.0.1:6653`); none leaves
    /// the junctions without a controller (and, being fail_mode=secure, without flows).
    pub controllers: Vec<String>,
    /// Name prefix (1-4 of `[a-z0-9]`, starting with a letter); default: unique per lab.
    pub prefix: Option<String>,
    /// VM forwarding policy.
    pub vm_policy: VmPolicy,
    /// What bypass links are made of.
    pub bypass_links: BypassLinks,
}

/// A junction switch as built (`lab.json` `switches[]`).
#[derive(Debug, Clone, Deserialize)]
pub struct SwitchInfo {
    /// Name in the config.
    pub name: String,
    /// Position in the chain (J0 = 0).
    pub index: usize,
    /// Datapath id, 16 hex digits.
    pub dpid: String,
    /// The OVS bridge.
    pub bridge: String,
    /// OpenFlow port number (as a string) -> OVS interface name.
    pub ports: BTreeMap<String, String>,
}

/// A customer host (`lab.json` `customers[]`).
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerInfo {
    /// Name in the config.
    pub name: String,
    /// Edge port on J0.
    pub port: u32,
    /// The CPE MAC (the host's interface MAC).
    pub mac: String,
    /// Its configured prefixes.
    pub networks: Vec<String>,
    /// Its host addresses, one per prefix; the first is the default source.
    pub addresses: Vec<String>,
    /// Service layer names.
    pub services: Vec<String>,
    /// The service bitmap in the chain's encoding.
    pub service_value: u8,
    /// The ToS byte all its packets carry.
    pub tos: u8,
    /// Its network namespace.
    pub namespace: String,
}

/// A VNF VM (`lab.json` `vms[]`).
#[derive(Debug, Clone, Deserialize)]
pub struct VmInfo {
    /// Name in the config.
    pub name: String,
    /// Its layer's name.
    pub layer: String,
    /// Its layer's index (between switches `layer_index` and `layer_index + 1`).
    pub layer_index: usize,
    /// Its hypervisor's name.
    pub hypervisor: String,
    /// MAC of its downlink interface `dn`.
    pub down_mac: String,
    /// MAC of its uplink interface `up`.
    pub up_mac: String,
    /// Its hypervisor's VU port on the switch below.
    pub down_port: u32,
    /// Its hypervisor's VD port on the switch above.
    pub up_port: u32,
    /// Its network namespace.
    pub namespace: String,
}

/// A bypass link (`lab.json` `bypasses[]`).
#[derive(Debug, Clone, Deserialize)]
pub struct BypassInfo {
    /// Its layer's name.
    pub layer: String,
    /// Its layer's index.
    pub layer_index: usize,
    /// BU port on the switch below.
    pub down_port: u32,
    /// BD port on the switch above.
    pub up_port: u32,
    /// The interface on the switch below (a patch port or a veth end in the root namespace).
    #[serde(default)]
    pub down_patch: String,
    /// The interface on the switch above.
    #[serde(default)]
    pub up_patch: String,
    /// `patch` or `veth`.
    #[serde(default)]
    pub kind: String,
}

/// The backbone router (`lab.json` `router`).
#[derive(Debug, Clone, Deserialize)]
pub struct RouterInfo {
    /// Its network namespace.
    pub namespace: String,
    /// Its MAC (the config's router_mac).
    pub mac: String,
    /// Its address, the "Internet host" customers reach.
    pub address: String,
    /// Edge-up port on the last switch.
    pub port: u32,
    /// Name of the last switch.
    pub switch: String,
}

/// What `lab.py up` built (`lab.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct LabInfo {
    /// Name prefix of everything the lab created.
    pub prefix: String,
    /// "dscp" or "tos8".
    pub tos_encoding: String,
    /// Controller targets of the junctions.
    pub controllers: Vec<String>,
    /// Junctions in chain order.
    pub switches: Vec<SwitchInfo>,
    /// Customer hosts.
    pub customers: Vec<CustomerInfo>,
    /// VNF VMs.
    pub vms: Vec<VmInfo>,
    /// Bypass links.
    pub bypasses: Vec<BypassInfo>,
    /// The backbone router.
    pub router: RouterInfo,
    /// Every namespace of the lab.
    pub namespaces: Vec<String>,
    /// Seconds `lab.py up` took (0 for a plan).
    #[serde(default)]
    pub up_seconds: f64,
}

/// Forward counters of one VM's iptables rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct VmCounters {
    /// Packets forwarded dn -> up (toward the backbone).
    pub up_packets: u64,
    /// Bytes forwarded dn -> up.
    pub up_bytes: u64,
    /// Packets forwarded up -> dn (toward the customer).
    pub down_packets: u64,
    /// Bytes forwarded up -> dn.
    pub down_bytes: u64,
    /// Packets the VM refused (wrong direction, or return traffic of a connection it never saw).
    pub dropped_packets: u64,
    /// Bytes it refused.
    pub dropped_bytes: u64,
}

/// What `ping` reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingReport {
    /// Echo requests sent.
    pub transmitted: u32,
    /// Echo replies received.
    pub received: u32,
}

/// What an echo probe reported (`lab.py probe`): datagrams for UDP, bytes for TCP.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProbeReport {
    /// "udp" or "tcp".
    pub proto: String,
    /// Datagrams (UDP) or bytes (TCP) sent.
    pub sent: u64,
    /// Datagrams (UDP) or bytes (TCP) echoed back.
    pub received: u64,
    /// TCP: whether the connection was established.
    #[serde(default)]
    pub connected: Option<bool>,
    /// TCP: whether the echoed bytes equal the sent ones.
    #[serde(default)]
    pub intact: Option<bool>,
}

/// One lab at a time per process: the userspace datapath is per host.
static TURN: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// This process's turn at the lab; handed back on drop.
#[derive(Debug)]
struct Turn;

impl Turn {
    fn take(timeout: Duration) -> Result<Turn> {
        let (lock, cvar) = &TURN;
        let busy = lock.lock().unwrap_or_else(|p| p.into_inner());
        let (mut busy, wait) = cvar
            .wait_timeout_while(busy, timeout, |busy| *busy)
            .unwrap_or_else(|p| p.into_inner());
        if wait.timed_out() {
            return Err(LabError::Timeout(format!(
                "another lab of this process stayed up for {timeout:?}"
            )));
        }
        *busy = true;
        Ok(Turn)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let (lock, cvar) = &TURN;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = false;
        cvar.notify_one();
    }
}

fn unique_prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let n = std::process::id()
        .wrapping_mul(31)
        .wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed))
        % (36 * 36 * 36);
    let digit = |i: u32| char::from(DIGITS.get((i % 36) as usize).copied().unwrap_or(b'0'));
    format!("f{}{}{}", digit(n / 1296), digit(n / 36), digit(n))
}

fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .any(|dir| dir.join(tool).is_file())
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Why this machine cannot run the lab, if it cannot.
pub fn unavailable_reason() -> Option<String> {
    if effective_uid() != Some(0) {
        return Some("not running as root".into());
    }
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !on_path(t)).collect();
    if !missing.is_empty() {
        return Some(format!(
            "missing {} (apt-get install openvswitch-switch iproute2 iptables ethtool iputils-ping python3)",
            missing.join(", ")
        ));
    }
    python_reason()
}

fn python_reason() -> Option<String> {
    let tomllib = process::run(
        Command::new("python3").args(["-c", "import tomllib"]),
        None,
        COMMAND_TIMEOUT,
    );
    if !tomllib.as_ref().is_ok_and(CmdOutput::success) {
        return Some("python3 with tomllib (Python 3.11 or newer) is needed".into());
    }
    None
}

/// What `lab.py up` would build from `config` (`lab.py plan`), without building anything:
/// needs Python 3.11 only, not root.
pub fn plan(config: &Path) -> Result<LabInfo> {
    if let Some(why) = python_reason() {
        return Err(LabError::Unavailable(why));
    }
    let mut cmd = Command::new("python3");
    cmd.arg(repo_path("lab/lab.py"))
        .arg("plan")
        .arg("--config")
        .arg(config);
    let out = ok(process::run(&mut cmd, None, COMMAND_TIMEOUT)?)?;
    parse_json("lab.py plan", &out.stdout)
}

/// A running lab; dropping it tears the lab down.
#[derive(Debug)]
pub struct Lab {
    dir: PathBuf,
    info: LabInfo,
    is_down: bool,
    _turn: Turn,
}

impl Lab {
    /// Bring the lab up from `config` (a topology TOML), junctions pointed at `controller`.
    pub fn up(config: &Path, controller: Option<&str>) -> Result<Lab> {
        let options = LabOptions {
            controllers: controller.map(str::to_owned).into_iter().collect(),
            ..LabOptions::default()
        };
        Lab::up_with(config, &options)
    }

    /// Like [`Lab::up`], but a machine that cannot run the lab skips the test (returns `None`
    /// after saying why on stderr) instead of failing it, unless `CI=true`. Any other error
    /// fails the test.
    pub fn up_or_skip(config: &Path, controller: Option<&str>) -> Option<Lab> {
        match Lab::up(config, controller) {
            Ok(lab) => Some(lab),
            Err(LabError::Unavailable(why)) if !in_ci() => {
                eprintln!("SKIPPED: the end-to-end lab cannot run here: {why}");
                None
            }
            Err(e) => panic!("lab up failed: {e}"),
        }
    }

    /// Bring the lab up with explicit options.
    pub fn up_with(config: &Path, options: &LabOptions) -> Result<Lab> {
        if let Some(why) = unavailable_reason() {
            return Err(LabError::Unavailable(why));
        }
        let started = Instant::now();
        let turn = Turn::take(UP_TIMEOUT)?;
        let prefix = options.prefix.clone().unwrap_or_else(unique_prefix);
        let dir =
            std::env::temp_dir().join(format!("flowfall-lab-{prefix}-{}", std::process::id()));
        let mut cmd = Command::new("python3");
        cmd.arg(repo_path("lab/lab.py"))
            .arg("up")
            .arg("--config")
            .arg(config)
            .arg("--dir")
            .arg(&dir);
        cmd.args(["--prefix", &prefix]);
        // A lab whose test process died (killed run) may then be reaped by the next one.
        cmd.args(["--owner-pid", &std::process::id().to_string()]);
        cmd.args([
            "--vm-policy",
            if options.vm_policy == VmPolicy::Open {
                "open"
            } else {
                "stateful"
            },
        ]);
        if options.bypass_links == BypassLinks::Veth {
            cmd.args(["--bypass-links", "veth"]);
        }
        for target in &options.controllers {
            cmd.args(["--controller", target]);
        }
        loop {
            let out = process::run(&mut cmd, None, UP_TIMEOUT)?;
            if out.code() == Some(LAB_BUSY) && started.elapsed() < UP_TIMEOUT {
                thread::sleep(Duration::from_millis(500));
                continue;
            }
            ok(out)?;
            break;
        }
        let path = dir.join("lab.json");
        let info = std::fs::read_to_string(&path)
            .map_err(|source| LabError::Io {
                path: path.clone(),
                source,
            })
            .and_then(|text| parse_json::<LabInfo>("lab.json", &text));
        let info = match info {
            Ok(info) => info,
            Err(e) => {
                // Up, but unusable: take it down again rather than leak it.
                let mut down = Command::new("python3");
                down.arg(repo_path("lab/lab.py"))
                    .arg("down")
                    .arg("--dir")
                    .arg(&dir);
                if let Err(down_error) = process::run(&mut down, None, COMMAND_TIMEOUT) {
                    eprintln!("lab down after a bad lab.json failed: {down_error}");
                }
                return Err(e);
            }
        };
        Ok(Lab {
            dir,
            info,
            is_down: false,
            _turn: turn,
        })
    }

    /// What the lab built.
    pub fn info(&self) -> &LabInfo {
        &self.info
    }

    /// The lab's private directory (OVS database, sockets, logs, lab.json).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A customer by config name.
    pub fn customer(&self, name: &str) -> Result<&CustomerInfo> {
        named(&self.info.customers, "customer", name, |c| &c.name)
    }

    /// A VM by config name.
    pub fn vm(&self, name: &str) -> Result<&VmInfo> {
        named(&self.info.vms, "VM", name, |v| &v.name)
    }

    /// A junction switch by config name.
    pub fn switch(&self, name: &str) -> Result<&SwitchInfo> {
        named(&self.info.switches, "switch", name, |s| &s.name)
    }

    /// The bypass links of a layer, by layer name.
    pub fn bypasses(&self, layer: &str) -> Vec<&BypassInfo> {
        self.info
            .bypasses
            .iter()
            .filter(|b| b.layer == layer)
            .collect()
    }

    /// The namespace of a host: a customer or VM name, `router`, or a namespace of the lab.
    pub fn namespace(&self, host: &str) -> Result<&str> {
        if host == "router" {
            return Ok(&self.info.router.namespace);
        }
        if let Some(c) = self.info.customers.iter().find(|c| c.name == host) {
            return Ok(&c.namespace);
        }
        if let Some(v) = self.info.vms.iter().find(|v| v.name == host) {
            return Ok(&v.namespace);
        }
        self.info
            .namespaces
            .iter()
            .find(|ns| *ns == host)
            .map(String::as_str)
            .ok_or_else(|| unknown("host", host))
    }

    /// The address a host answers on: a customer's first address or the router's.
    pub fn address(&self, host: &str) -> Result<&str> {
        if host == "router" {
            return Ok(&self.info.router.address);
        }
        self.customer(host)?
            .addresses
            .first()
            .map(String::as_str)
            .ok_or_else(|| unknown("address of", host))
    }

    /// Run `args` inside `host`'s namespace (see [`Lab::namespace`]) with the default deadline.
    /// A non-zero exit is not an error here: look at [`CmdOutput::success`].
    pub fn exec(&self, host: &str, args: &[&str]) -> Result<CmdOutput> {
        self.exec_timeout(host, args, COMMAND_TIMEOUT)
    }

    /// [`Lab::exec`] with an explicit deadline.
    pub fn exec_timeout(&self, host: &str, args: &[&str], timeout: Duration) -> Result<CmdOutput> {
        let ns = self.namespace(host)?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).args(args);
        Ok(process::run(&mut cmd, None, timeout)?)
    }

    /// Ping `dst` `count` times from `host` (from a customer's first address), 0.2 s apart,
    /// waiting at most one second for each reply.
    pub fn ping(&self, host: &str, dst: &str, count: u32) -> Result<PingReport> {
        // No `-w`: with a deadline ping keeps sending until `count` replies arrive.
        let count_arg = count.max(1).to_string();
        let mut args = vec!["ping", "-n", "-q", "-c", &count_arg, "-i", "0.2", "-W", "1"];
        let source = self.customer(host).ok().and_then(|c| c.addresses.first());
        if let Some(src) = source {
            args.extend(["-I", src]);
        }
        args.push(dst);
        let out = self.exec(host, &args)?;
        parse_ping(&out.stdout).ok_or_else(|| LabError::Parse {
            what: format!("ping output of {}", out.command),
            why: format!(
                "no statistics line; stdout {:?}, stderr {:?}",
                out.stdout, out.stderr
            ),
        })
    }

    fn lab_py(&self) -> Command {
        let mut cmd = Command::new("python3");
        cmd.arg(repo_path("lab/lab.py"));
        cmd
    }

    fn next_port() -> u16 {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed) % 20_000;
        u16::try_from(20_000 + n).unwrap_or(20_000)
    }

    fn probe(
        &self,
        from: &str,
        to: &str,
        proto: &str,
        count: u32,
        size: u32,
    ) -> Result<ProbeReport> {
        let lab_py = repo_path("lab/lab.py").to_string_lossy().into_owned();
        let port = Lab::next_port().to_string();
        let dst = self.address(to)?;
        // One second per datagram or chunk at worst; the server outlives that, then exits.
        let worst = Duration::from_secs(u64::from(count) + 10);
        let lifetime = worst.as_secs().to_string();
        let mut server = Command::new("ip");
        server.args(["netns", "exec", self.namespace(to)?, "python3", &lab_py]);
        server.args([
            "echo",
            "--proto",
            proto,
            "--port",
            &port,
            "--timeout",
            &lifetime,
        ]);
        let _server = Background::start_when_ready(&mut server, COMMAND_TIMEOUT)?;
        let (count, size) = (count.to_string(), size.to_string());
        let mut args = vec![
            "python3", &lab_py, "probe", "--proto", proto, "--dst", dst, "--port", &port,
        ];
        args.extend(["--count", &count, "--size", &size, "--wait", "1"]);
        if let Some(src) = self.customer(from).ok().and_then(|c| c.addresses.first()) {
            args.extend(["--src", src]);
        }
        let out = ok(self.exec_timeout(from, &args, worst + COMMAND_TIMEOUT)?)?;
        parse_json("probe report", out.stdout.trim())
    }

    /// Send `count` UDP datagrams from `from` to an echo server in `to` (a customer or
    /// `router`); report how many came back.
    pub fn udp_roundtrip(&self, from: &str, to: &str, count: u32) -> Result<ProbeReport> {
        self.probe(from, to, "udp", count, 200)
    }

    /// Send about `bytes` bytes over one TCP connection from `from` to an echo server in `to`;
    /// report how many came back and whether they were intact.
    pub fn tcp_roundtrip(&self, from: &str, to: &str, bytes: u32) -> Result<ProbeReport> {
        const CHUNK: u32 = 1000;
        self.probe(from, to, "tcp", bytes.div_ceil(CHUNK).max(1), CHUNK)
    }

    /// Sets a root-namespace link of the lab (a veth bypass end, see [`BypassLinks::Veth`])
    /// up or down; a veth's peer loses its carrier with it.
    pub fn set_link(&self, iface: &str, up: bool) -> Result<()> {
        self.own_root_interface(iface)?;
        let state = if up { "up" } else { "down" };
        let mut cmd = Command::new("ip");
        cmd.args(["link", "set", "dev", iface, state]);
        ok(process::run(&mut cmd, None, COMMAND_TIMEOUT)?).map(drop)
    }

    /// Packets a root-namespace link of the lab sent and received so far: `(tx, rx)`
    /// (`/sys/class/net/<iface>/statistics`).
    pub fn link_packets(&self, iface: &str) -> Result<(u64, u64)> {
        self.own_root_interface(iface)?;
        let read = |what: &str| -> Result<u64> {
            let path = PathBuf::from(format!("/sys/class/net/{iface}/statistics/{what}"));
            let text = std::fs::read_to_string(&path).map_err(|source| LabError::Io {
                path: path.clone(),
                source,
            })?;
            text.trim().parse().map_err(|e| LabError::Parse {
                what: path.display().to_string(),
                why: format!("{e}: {text:?}"),
            })
        };
        Ok((read("tx_packets")?, read("rx_packets")?))
    }

    /// Only the lab's own veth bypass ends may be touched from the root namespace.
    fn own_root_interface(&self, iface: &str) -> Result<()> {
        let mine = self
            .info
            .bypasses
            .iter()
            .filter(|b| b.kind == "veth")
            .any(|b| b.down_patch == iface || b.up_patch == iface);
        if mine {
            Ok(())
        } else {
            Err(unknown("veth bypass interface", iface))
        }
    }

    /// Per-VM forward counters (VM name -> counters), read from each VM's iptables.
    pub fn vm_counters(&self) -> Result<BTreeMap<String, VmCounters>> {
        self.counters(false)
    }

    /// Zero every VM's counters (returns the values they had).
    pub fn zero_vm_counters(&self) -> Result<BTreeMap<String, VmCounters>> {
        self.counters(true)
    }

    fn counters(&self, zero: bool) -> Result<BTreeMap<String, VmCounters>> {
        let mut cmd = self.lab_py();
        cmd.args(["counters", "--dir"]).arg(&self.dir);
        if zero {
            cmd.arg("--zero");
        }
        let out = ok(process::run(&mut cmd, None, COMMAND_TIMEOUT)?)?;
        parse_json("lab.py counters", &out.stdout)
    }

    /// Make every packet `customer` sends carry the ToS byte `tos` (all 8 bits), replacing the
    /// lab's marking from the config (to test anti-spoofing and wrong service values).
    pub fn set_tos(&self, customer: &str, tos: u8) -> Result<()> {
        let tos = format!("{tos:#04x}/0xff");
        let args = [
            "iptables",
            "-t",
            "mangle",
            "-R",
            "OUTPUT",
            "1",
            "-m",
            "comment",
            "--comment",
            "flowfall-mark",
            "-j",
            "TOS",
            "--set-tos",
            &tos,
        ];
        ok(self.exec(self.customer(customer)?.name.as_str(), &args)?).map(drop)
    }

    fn ovs(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        for key in OVS_ENV {
            cmd.env(key, &self.dir);
        }
        cmd
    }

    fn ofctl(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String> {
        let mut cmd = self.ovs("ovs-ofctl");
        cmd.args(["-O", "OpenFlow13"]).args(args);
        Ok(ok(process::run(&mut cmd, stdin, COMMAND_TIMEOUT)?)?.stdout)
    }

    fn vsctl(&self, args: &[&str]) -> Result<String> {
        let mut cmd = self.ovs("ovs-vsctl");
        cmd.arg(format!("--db=unix:{}", self.dir.join("db.sock").display()))
            .arg("--timeout=20")
            .args(args);
        Ok(ok(process::run(&mut cmd, None, COMMAND_TIMEOUT)?)?.stdout)
    }

    /// `ovs-ofctl -O OpenFlow13 dump-flows` of a junction: what the switch really holds.
    pub fn dump_flows(&self, switch: &str) -> Result<String> {
        self.ofctl(&["dump-flows", &self.switch(switch)?.bridge], None)
    }

    /// The flow entries of a junction (the lines of [`Lab::dump_flows`] holding `actions=`).
    pub fn flows(&self, switch: &str) -> Result<Vec<String>> {
        Ok(self
            .dump_flows(switch)?
            .lines()
            .filter(|l| l.contains("actions="))
            .map(|l| l.trim().to_owned())
            .collect())
    }

    /// `ovs-appctl ofproto/trace` of a junction for `flow` (e.g.
    /// `in_port=1,ip,nw_src=10.0.1.2,nw_dst=203.0.113.1,ip_dscp=1`): where it would go.
    pub fn trace(&self, switch: &str, flow: &str) -> Result<String> {
        let bridge = self.switch(switch)?.bridge.clone();
        let mut cmd = self.ovs("ovs-appctl");
        cmd.args(["-t", "ovs-vswitchd", "ofproto/trace", &bridge, flow]);
        Ok(ok(process::run(&mut cmd, None, COMMAND_TIMEOUT)?)?.stdout)
    }

    /// `ovs-ofctl -O OpenFlow13 add-flows` of a file of flows into a junction.
    pub fn add_flows(&self, switch: &str, file: &Path) -> Result<()> {
        let file = file.to_str().ok_or_else(|| LabError::Parse {
            what: "flow file path".into(),
            why: format!("{} is not UTF-8", file.display()),
        })?;
        self.ofctl(&["add-flows", &self.switch(switch)?.bridge, file], None)
            .map(drop)
    }

    /// [`Lab::add_flows`] from text (one flow per line, `ovs-ofctl` syntax).
    pub fn add_flow_text(&self, switch: &str, flows: &str) -> Result<()> {
        self.ofctl(
            &["add-flows", &self.switch(switch)?.bridge, "-"],
            Some(flows.as_bytes()),
        )
        .map(drop)
    }

    /// Delete every flow of a junction.
    pub fn del_flows(&self, switch: &str) -> Result<()> {
        self.ofctl(&["del-flows", &self.switch(switch)?.bridge], None)
            .map(drop)
    }

    /// Whether a junction has a live OpenFlow channel to (at least one of) its controllers.
    pub fn is_connected(&self, switch: &str) -> Result<bool> {
        let bridge = self.switch(switch)?.bridge.clone();
        let refs = self.vsctl(&["get", "bridge", &bridge, "controller"])?;
        for uuid in refs
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
        {
            let uuid = uuid.trim();
            if !uuid.is_empty()
                && self
                    .vsctl(&["get", "controller", uuid, "is_connected"])?
                    .trim()
                    == "true"
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Wait until every junction is connected to its controller.
    pub fn wait_connected(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut waiting = Vec::new();
            for s in &self.info.switches {
                if !self.is_connected(&s.name)? {
                    waiting.push(s.name.clone());
                }
            }
            if waiting.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(LabError::Timeout(format!(
                    "switches {waiting:?} not connected after {timeout:?}"
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// `lab.py status` as JSON.
    pub fn status(&self) -> Result<serde_json::Value> {
        let mut cmd = self.lab_py();
        cmd.args(["status", "--dir"]).arg(&self.dir);
        parse_json(
            "lab.py status",
            &ok(process::run(&mut cmd, None, COMMAND_TIMEOUT)?)?.stdout,
        )
    }

    /// Tear the lab down now (dropping it does the same, ignoring errors).
    pub fn down(mut self) -> Result<()> {
        self.teardown()
    }

    fn teardown(&mut self) -> Result<()> {
        if self.is_down {
            return Ok(());
        }
        self.is_down = true;
        let mut cmd = self.lab_py();
        cmd.args(["down", "--dir"]).arg(&self.dir);
        ok(process::run(&mut cmd, None, Duration::from_secs(60))?)?;
        if thread::panicking() || std::env::var_os("FLOWFALL_LAB_KEEP").is_some() {
            eprintln!("lab logs kept in {}", self.dir.display());
        } else {
            std::fs::remove_dir_all(&self.dir).map_err(|source| LabError::Io {
                path: self.dir.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!("lab teardown failed: {e} (state in {})", self.dir.display());
        }
    }
}

fn named<'a, T>(
    items: &'a [T],
    kind: &'static str,
    name: &str,
    key: impl Fn(&T) -> &String,
) -> Result<&'a T> {
    items
        .iter()
        .find(|item| key(item) == name)
        .ok_or_else(|| unknown(kind, name))
}

fn unknown(kind: &'static str, name: &str) -> LabError {
    LabError::Unknown {
        kind,
        name: name.to_owned(),
    }
}

/// Parse ping's "N packets transmitted, M received" line.
pub fn parse_ping(stdout: &str) -> Option<PingReport> {
    let line = stdout.lines().find(|l| l.contains("packets transmitted"))?;
    let mut numbers = line
        .split(',')
        .filter_map(|part| part.split_whitespace().next()?.parse::<u32>().ok());
    Some(PingReport {
        transmitted: numbers.next()?,
        received: numbers.next()?,
    })
}
