//! `flowfall-controller`: the bundled FlowFall controller.
//!
//! ```text
//! flowfall-controller [run] [--config F]... [--settings S] [--listen ADDR] ...   (the default)
//! ```
//!
//! Several `--config` files: one controller serves several chains, switch-disjoint
//! (docs/config.md, "Several chains").
//!
//! Offline subcommands (no switch needed):
//!
//! ```text
//! flowfall-controller check   --config F [--config G]...
//! flowfall-controller compile --config F [--format ofctl|json|hex] [--switch NAME] [--out-dir D]
//! flowfall-controller trace   --config F [--customer NAME] [--down VM]...
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod offline;
mod run;

/// FlowFall: NFV service chaining over OpenFlow 1.3.
#[derive(Debug, Parser)]
#[command(name = "flowfall-controller", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the topology to OpenFlow 1.3 switches (the default; see `run --help`).
    Run(run::RunArgs),
    /// Validate topology files, compile them and report entries per switch against capacity.
    Check(CheckArgs),
    /// Compile a topology file into per-switch flow tables.
    Compile(CompileArgs),
    /// Trace each customer's traffic through the compiled tables, both directions.
    Trace(TraceArgs),
}

/// The topology configuration (docs/config.md).
#[derive(Debug, Args)]
struct ConfigArg {
    /// Topology file (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Topology file (TOML); repeat for the chains of one controller, which are then also
    /// checked against each other (unique names, no datapath in two chains).
    #[arg(long, value_name = "FILE", required = true)]
    config: Vec<PathBuf>,
}

/// Output format of `compile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// `ovs-ofctl add-flows` syntax, one file per switch.
    Ofctl,
    /// The typed FLOW_MODs as JSON.
    Json,
    /// The encoded OFPT_FLOW_MOD messages, one hex string per line.
    Hex,
}

#[derive(Debug, Args)]
struct CompileArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "ofctl")]
    format: Format,
    /// Only this junction switch.
    #[arg(long, value_name = "NAME")]
    switch: Option<String>,
    /// Write one file per switch here (`<name>.flows`, `<name>.json` or `<name>.hex`)
    /// instead of printing to standard output.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Generation stamped into the flow cookies.
    #[arg(long, default_value_t = 1)]
    generation: u16,
}

#[derive(Debug, Args)]
struct TraceArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Only this customer.
    #[arg(long, value_name = "NAME")]
    customer: Option<String>,
    /// Treat this VM as down (repeatable).
    #[arg(long, value_name = "VM")]
    down: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli
        .command
        .unwrap_or_else(|| Command::Run(run::RunArgs::default()))
    {
        Command::Run(a) => run::run(&a),
        Command::Check(a) => offline::check_all(&a.config),
        Command::Compile(a) => offline::compile(&offline::CompileRequest {
            config: &a.config.config,
            format: match a.format {
                Format::Ofctl => offline::Format::Ofctl,
                Format::Json => offline::Format::Json,
                Format::Hex => offline::Format::Hex,
            },
            switch: a.switch.as_deref(),
            out_dir: a.out_dir.as_deref(),
            generation: a.generation,
        }),
        Command::Trace(a) => offline::trace(&a.config.config, a.customer.as_deref(), &a.down),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flowfall-controller: {e}");
            ExitCode::FAILURE
        }
    }
}
