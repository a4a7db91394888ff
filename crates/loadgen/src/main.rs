//! `flowfall-loadgen`: an OpenFlow 1.3 controller benchmark (see the library docs).
//!
//! ```text
//! flowfall-loadgen [bench] --controller 127.0.0.1:6653 --switches 16 --mode throughput \
//!     --duration 10 --warmup 2 --workload learning --window 64 --json out.json
//! flowfall-loadgen bench --workload flowfall --config topology.toml ...
//! flowfall-loadgen install --listen 127.0.0.1:6653 --flows 100000 [--bundle]
//! flowfall-loadgen scale --controller 127.0.0.1:6653 --switches 1000 [--config topology.toml]... --pid PID
//! flowfall-loadgen flows --flows 100000 > flows.txt      # the same flows for ovs-ofctl add-flows
//! ```

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use flowfall_loadgen::bench::{BenchOptions, run_bench};
use flowfall_loadgen::install::{InstallOptions, accept_and_install};
use flowfall_loadgen::scale::{ScaleOptions, run_scale};
use flowfall_loadgen::session::Mode;
use flowfall_loadgen::workload::{SwitchPlan, flowfall_plan, learning_plan, silent_plan};
use flowfall_loadgen::{flowset, workload};
use flowfall_topology::Topology;
use serde::Serialize;

#[derive(Parser, Debug)]
#[command(
    name = "flowfall-loadgen",
    version,
    about = "OpenFlow 1.3 controller benchmark: PACKET_IN throughput/latency, install speed, scale"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    bench: BenchArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Emulated switches send PACKET_INs; count answers (the default command).
    Bench(BenchArgs),
    /// Act as a controller: accept one switch and time a proactive install.
    Install(InstallArgs),
    /// Connect many switches at once; time until all are programmed, read the controller's RSS.
    Scale(ScaleArgs),
    /// Print the install benchmark's flows as `ovs-ofctl add-flows` lines.
    Flows(FlowsArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum WorkloadArg {
    /// cbench-style hosts, announced first (for learning-switch controllers).
    Learning,
    /// Customer traffic of a FlowFall topology (`--config`).
    Flowfall,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    /// A window of PACKET_INs in flight per switch.
    Throughput,
    /// One PACKET_IN in flight per switch.
    Latency,
}

#[derive(Args, Debug, Clone)]
struct SwitchArgs {
    /// Controller OpenFlow address.
    #[arg(long, default_value = "127.0.0.1:6653")]
    controller: SocketAddr,
    /// Number of emulated switches (learning/silent workloads; with --config, the topology's
    /// switches come first).
    #[arg(long, default_value_t = 16)]
    switches: usize,
    /// Datapath id of the first generated switch (the others follow).
    #[arg(long, default_value_t = 1)]
    first_dpid: u64,
    /// Ports per generated switch (numbered 1..=N).
    #[arg(long, default_value_t = 4)]
    ports: u32,
    /// FlowFall topology file: switch dpids, ports and customer addresses come from it.
    /// `scale` takes it repeatedly (the chains of one controller: every file's switches are
    /// emulated); `bench` takes one.
    #[arg(long)]
    config: Vec<PathBuf>,
    /// Write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Tokio worker threads (1 leaves the other cores to the controller).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

#[derive(Args, Debug, Clone)]
struct BenchArgs {
    #[command(flatten)]
    switch: SwitchArgs,
    /// Sending mode.
    #[arg(long, value_enum, default_value_t = ModeArg::Throughput)]
    mode: ModeArg,
    /// What the switches send.
    #[arg(long, value_enum, default_value_t = WorkloadArg::Learning)]
    workload: WorkloadArg,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds sent before measuring.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// PACKET_INs in flight per sending switch (throughput mode).
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// Pace the offered load to this many PACKET_INs per second over all switches.
    #[arg(long)]
    rate: Option<f64>,
    /// Hosts per switch (learning workload).
    #[arg(long, default_value_t = 100)]
    hosts: u32,
    /// Also send return traffic at the last junction (flowfall workload).
    #[arg(long)]
    downstream: bool,
    /// Send PACKET_INs without buffer ids (the controller must return the packet).
    #[arg(long)]
    no_buffer: bool,
    /// Milliseconds after which an unanswered PACKET_IN counts as lost.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    /// Seconds allowed for the handshakes and the announcements.
    #[arg(long, default_value_t = 60.0)]
    setup_timeout: f64,
    /// Before sending, wait until no switch has received a FLOW_MOD for this many
    /// milliseconds (a reactive controller's base tables installed); 0: start at once.
    #[arg(long, default_value_t = 0)]
    settle_ms: u64,
    /// Flow entries each emulated switch holds before it refuses more with
    /// OFPFMFC_TABLE_FULL.
    #[arg(long, default_value_t = flowfall_loadgen::switch::DEFAULT_MAX_FLOWS)]
    max_flows: usize,
    /// Controller name in the report.
    #[arg(long, default_value = "controller")]
    label: String,
}

#[derive(Args, Debug)]
struct InstallArgs {
    /// Address to listen on for the switch.
    #[arg(long, default_value = "127.0.0.1:6653")]
    listen: SocketAddr,
    /// Number of flow entries.
    #[arg(long, default_value_t = 100_000)]
    flows: usize,
    /// Send them in one ONF bundle (commit at once), like `ovs-ofctl --bundle`.
    #[arg(long)]
    bundle: bool,
    /// Seconds allowed per phase (accept, handshake, install).
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
    /// Write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ScaleArgs {
    #[command(flatten)]
    switch: SwitchArgs,
    /// Controller process id (its VmRSS/VmHWM are reported).
    #[arg(long)]
    pid: Option<u32>,
    /// Switches that must be programmed (default: all).
    #[arg(long)]
    expect_programmed: Option<usize>,
    /// Seconds without programming after which the run ends.
    #[arg(long, default_value_t = 2.0)]
    quiet: f64,
    /// Seconds allowed for the handshakes, and again for the programming.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
}

#[derive(Args, Debug)]
struct FlowsArgs {
    /// Number of flow entries.
    #[arg(long, default_value_t = 100_000)]
    flows: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = match &cli.command {
        Some(Command::Bench(b)) => b.switch.threads,
        Some(Command::Scale(s)) => s.switch.threads,
        Some(Command::Install(_)) | Some(Command::Flows(_)) => 1,
        None => cli.bench.switch.threads,
    };
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("flowfall-loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::Bench(b)) => bench(b).await,
            None => bench(cli.bench).await,
            Some(Command::Install(i)) => install(i).await,
            Some(Command::Scale(s)) => scale(s).await,
            Some(Command::Flows(f)) => flows(&f),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flowfall-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn seconds(what: &str, s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("--{what} {s}: {e}"))
}

fn load_topology(path: &Path) -> Result<Topology, String> {
    Topology::from_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_json(path: Option<&Path>, value: &impl Serialize) -> CliResult {
    if let Some(p) = path {
        let text = serde_json::to_string_pretty(value)?;
        std::fs::write(p, text + "\n").map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

async fn bench(a: BenchArgs) -> CliResult {
    let mut plans: Vec<SwitchPlan> = match a.workload {
        WorkloadArg::Learning => learning_plan(
            a.switch.switches,
            a.switch.first_dpid,
            a.switch.ports,
            a.hosts,
        )?,
        WorkloadArg::Flowfall => {
            let [path] = a.switch.config.as_slice() else {
                return Err("--workload flowfall needs one --config <topology.toml>".into());
            };
            flowfall_plan(&load_topology(path)?, a.downstream)?
        }
    };
    for p in &mut plans {
        p.spec.max_flows = a.max_flows;
    }
    let opts = BenchOptions {
        controller: a.switch.controller,
        mode: match a.mode {
            ModeArg::Throughput => Mode::Throughput,
            ModeArg::Latency => Mode::Latency,
        },
        window: a.window,
        rate: a.rate.filter(|r| *r > 0.0),
        duration: seconds("duration", a.duration)?,
        warmup: seconds("warmup", a.warmup)?,
        timeout: Duration::from_millis(a.timeout_ms),
        buffered: !a.no_buffer,
        setup_timeout: seconds("setup-timeout", a.setup_timeout)?,
        settle: Duration::from_millis(a.settle_ms),
        label: a.label.clone(),
        workload: format!("{:?}", a.workload).to_lowercase(),
    };
    let report = run_bench(plans, &opts).await?;
    println!("{report}");
    write_json(a.switch.json.as_deref(), &report)
}

async fn install(a: InstallArgs) -> CliResult {
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
    eprintln!(
        "flowfall-loadgen install: listening on {} for one switch",
        a.listen
    );
    let opts = InstallOptions {
        flows: a.flows,
        bundle: a.bundle,
        timeout: seconds("timeout", a.timeout)?,
    };
    let r = accept_and_install(&listener, opts).await?;
    println!(
        "| installer | flows | connect→barrier s | install s | handshake s | errors | flows in switch |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| flowfall-loadgen{} | {} | {:.3} | {:.3} | {:.3} | {} | {} |",
        if r.bundle { " (bundle)" } else { "" },
        r.flows,
        r.connect_to_barrier_s,
        r.install_s,
        r.handshake_s,
        r.errors,
        r.flows_in_switch
            .map_or_else(|| "?".into(), |n| n.to_string())
    );
    if let Some(e) = &r.first_error {
        eprintln!("first error from the switch: {e}");
    }
    write_json(a.json.as_deref(), &r)
}

async fn scale(a: ScaleArgs) -> CliResult {
    let s = &a.switch;
    // Every chain's switches, in file order (several files: the chains of one controller).
    let mut plans: Vec<SwitchPlan> = Vec::new();
    for path in &s.config {
        let topo = load_topology(path)?;
        for p in flowfall_plan(&topo, false)? {
            if plans.iter().any(|q| q.spec.dpid == p.spec.dpid) {
                return Err(format!(
                    "{}: datapath {} is already a switch of an earlier --config",
                    path.display(),
                    flowfall_topology::format_dpid(p.spec.dpid)
                )
                .into());
            }
            plans.push(SwitchPlan {
                spec: p.spec,
                workload: std::sync::Arc::new(workload::Silent),
            });
        }
    }
    plans.truncate(s.switches);
    // Fill up with generated switches whose dpids the topology does not use.
    let mut dpid = s.first_dpid;
    while plans.len() < s.switches {
        if !plans.iter().any(|p| p.spec.dpid == dpid) {
            plans.extend(silent_plan(1, dpid, s.ports)?);
        }
        dpid = dpid.wrapping_add(1);
    }
    let opts = ScaleOptions {
        controller: s.controller,
        expect_programmed: a.expect_programmed,
        quiet: seconds("quiet", a.quiet)?,
        timeout: seconds("timeout", a.timeout)?,
        pid: a.pid,
    };
    let r = run_scale(plans, &opts).await?;
    let mib = |m: Option<flowfall_loadgen::scale::Memory>| {
        m.map_or_else(
            || "-".into(),
            |m| {
                format!(
                    "{:.1} / {:.1}",
                    m.rss_kib as f64 / 1024.0,
                    m.hwm_kib as f64 / 1024.0
                )
            },
        )
    };
    println!(
        "| switches | all connected s | programmed | all programmed s | median s | reconciled | flows total | controller RSS/peak MiB | loadgen RSS/peak MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.3} | {}/{} | {} | {} | {} | {} | {} | {} |",
        r.switches,
        r.all_connected_s,
        r.programmed,
        r.expected_programmed,
        r.all_programmed_s
            .map_or_else(|| "-".into(), |v| format!("{v:.3}")),
        r.median_programmed_s
            .map_or_else(|| "-".into(), |v| format!("{v:.3}")),
        r.reconciled,
        r.flows_total,
        mib(r.controller_memory),
        mib(r.loadgen_memory)
    );
    write_json(s.json.as_deref(), &r)?;
    if r.programmed < r.expected_programmed {
        return Err(format!(
            "only {} of {} switches were programmed",
            r.programmed, r.expected_programmed
        )
        .into());
    }
    Ok(())
}

fn flows(a: &FlowsArgs) -> CliResult {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for f in flowset::flows(a.flows) {
        writeln!(out, "{}", f.ofctl_line())?;
    }
    out.flush()?;
    Ok(())
}
