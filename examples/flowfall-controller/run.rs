//! The `run` subcommand (the default): serve a topology to OpenFlow 1.3 switches.
//!
//! Settings come, in increasing precedence, from the defaults, `--settings FILE`
//! (crates/controller/README.md documents the keys), the environment (`FLOWFALL_API_TOKEN`,
//! `FLOWFALL_OPENFLOW_LISTEN`, `FLOWFALL_API_LISTEN`) and the flags below. Without `--config`
//! the embedded ShowNet 2015 topology (examples/configs/shownet2015.toml) is served.
//! SIGHUP re-reads `--config` and pushes only the difference; SIGINT/SIGTERM shut down
//! gracefully (the switches keep their flows).
//!
//! `--config` may be repeated: one chain per file, switch-disjoint, each served by its own
//! core (docs/config.md, "Several chains"); SIGHUP then re-reads every file.
//!
//! The web portal is served on the REST port (<http://127.0.0.1:8080/> by default). Without a
//! `[portal]` section in `--settings`, its only login is the REST API token (operator `api`,
//! when the token has at least 16 characters); without any token nothing listens there.
//! `--no-portal` serves the API alone.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use flowfall_controller::settings::{PortalSettings, Settings, SettingsError, TlsSettings};
use flowfall_topology::{Deployment, Topology};

use crate::offline::Failure;

/// The topology served when `--config` is not given.
const SHOWNET2015: &str = include_str!("../configs/shownet2015.toml");

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Arguments of `run`.
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Topology file (TOML, docs/config.md); default: the embedded ShowNet 2015 topology.
    /// Repeat for several chains (switch-disjoint; `/api/...` means the first).
    #[arg(long, value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Controller settings file (TOML: [openflow], [openflow.tls], [api], [portal]).
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// OpenFlow listen address (default 0.0.0.0:6653).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// REST API listen address (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub api_listen: Option<SocketAddr>,
    /// File holding the REST API bearer token (or set FLOWFALL_API_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,
    /// Do not serve the REST API (nor the portal).
    #[arg(long)]
    pub no_api: bool,
    /// Do not serve the web portal on the REST port.
    #[arg(long, conflicts_with = "no_api")]
    pub no_portal: bool,
    /// TLS: the controller's certificate chain (PEM); needs --tls-key and --tls-client-ca.
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "tls_client_ca"])]
    pub tls_cert: Option<PathBuf>,
    /// TLS: the controller's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// TLS: CA certificates switch certificates must chain to (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Log format (level from RUST_LOG, default info).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a terminal (not for a log file or journald), and never with NO_COLOR.
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    // A second initialisation (not possible from the command line) would be the only error.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The settings: file, environment, then flags.
fn settings(args: &RunArgs) -> Result<Settings, Failure> {
    let mut s = match &args.settings {
        Some(path) => Settings::from_file(path).map_err(|e| match e {
            // These already name the file.
            SettingsError::Io { .. } | SettingsError::TooLarge { .. } => e.to_string(),
            other => format!("{}: {other}", path.display()),
        })?,
        None => Settings::default(),
    };
    s.apply_env(|k| std::env::var(k).ok())?;
    if let Some(listen) = args.listen {
        s.openflow.listen = listen;
    }
    if let Some(listen) = args.api_listen {
        s.api.listen = Some(listen);
    }
    if let Some(path) = &args.api_token_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--api-token-file {}: {e}", path.display()))?;
        let token = text.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "--api-token-file {}: expected a non-empty token of printable ASCII",
                path.display()
            )
            .into());
        }
        s.api.token = Some(token.to_string());
    }
    if args.no_api {
        s.api.listen = None;
    }
    if args.no_portal {
        s.portal = PortalSettings::Off;
    }
    if let (Some(cert), Some(key), Some(client_ca)) =
        (&args.tls_cert, &args.tls_key, &args.tls_client_ca)
    {
        s.openflow.tls = Some(TlsSettings {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: client_ca.clone(),
        });
    }
    s.validate()?;
    Ok(s)
}

/// Runs the controller until SIGINT/SIGTERM.
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    init_logs(args.log_format);
    let settings = settings(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.config.as_slice() {
        [] | [_] => {
            let path = args.config.first();
            let topology = match path {
                Some(path) => {
                    Topology::from_file(path).map_err(|e| format!("{}:\n{e}", path.display()))?
                }
                None => Topology::from_toml_str(SHOWNET2015)
                    .map_err(|e| format!("embedded shownet2015.toml:\n{e}"))?,
            };
            runtime.block_on(flowfall_controller::run(settings, topology, path.cloned()))?;
        }
        several => {
            let deployment = Deployment::from_files(several)?;
            runtime.block_on(flowfall_controller::run_deployment(settings, deployment))?;
        }
    }
    Ok(())
}
