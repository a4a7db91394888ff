//! Controller settings: listen addresses, the API token, the web portal, TLS files, keepalive
//! timers and per-switch buffer bounds.
//!
//! These are deliberately *not* part of the topology file (whose tables `flowfall-topology`
//! owns and validates with `deny_unknown_fields`): one topology can be served by controllers
//! with different settings. They come, in increasing precedence, from the defaults
//! ([`Settings::default`]), an optional TOML file ([`Settings::from_toml_str`] /
//! [`Settings::from_file`]), the environment ([`Settings::apply_env`]) and command-line flags
//! (the bundled binary sets fields directly).
//!
//! ```toml
//! [openflow]
//! listen = "0.0.0.0:6653"      # OpenFlow channel (IANA port 6653)
//! echo_interval = 5            # seconds of silence before we send ECHO_REQUEST
//! dead_peer_timeout = 15       # seconds without any message before the switch is dropped
//! handshake_timeout = 10       # seconds each handshake reply may take
//! barrier_timeout = 30         # seconds a BARRIER_REQUEST may stay unanswered
//! inbound_queue = 4096         # messages of one switch waiting for the core (flood bound)
//! outbound_buffer = 67108864   # bytes queued towards one switch (stall bound)
//!
//! [openflow.tls]               # optional: TLS with client-certificate verification
//! cert = "controller.pem"      # our certificate chain (PEM)
//! key = "controller.key"       # our private key (PEM)
//! client_ca = "switch-ca.pem"  # CA(s) that switch certificates must chain to (PEM)
//!
//! [api]
//! listen = "127.0.0.1:8080"    # REST API and /metrics
//! token = "s3cret"             # bearer token; or token_file, or env FLOWFALL_API_TOKEN
//! portal = true                # serve the web portal on this port too (default true)
//!
//! [portal]                     # optional: the portal's own logins (docs/portal.md)
//! [portal.operators]
//! noc = "op-0123456789abcdef"
//! [portal.customers.alpha]
//! token = "cu-0123456789abcdef"
//! allowed_services = ["firewall"]
//! ```
//!
//! Without a `[portal]` section the portal accepts the REST API token (if it has the portal's
//! 16-character minimum) as the operator `api`: whoever holds that token can already change
//! everything through the API, so no new credential appears. See [`PortalSettings`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flowfall_portal::{ConfigError as PortalConfigError, PortalConfig, Token};
use serde::Deserialize;

/// Environment variable holding the REST API bearer token (overrides the file).
pub const ENV_API_TOKEN: &str = "FLOWFALL_API_TOKEN";
/// Environment variable overriding `openflow.listen`.
pub const ENV_OPENFLOW_LISTEN: &str = "FLOWFALL_OPENFLOW_LISTEN";
/// Environment variable overriding `api.listen`.
pub const ENV_API_LISTEN: &str = "FLOWFALL_API_LISTEN";

/// Largest settings file accepted, bytes.
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;

/// The smallest `outbound_buffer`: one maximal OpenFlow message must fit.
pub const MIN_OUTBOUND_BUFFER: usize = 65_535;

/// A settings problem, naming the key (e.g. `openflow.echo_interval`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read settings file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_SETTINGS_BYTES`].
    #[error("settings file {path} is {size} bytes, the limit is {MAX_SETTINGS_BYTES}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// TOML syntax, unknown key or wrong type.
    #[error("settings: {path}: {message}")]
    Parse {
        /// Dotted key path where parsing stopped (empty for syntax errors at top level).
        path: String,
        /// The parser's message (with line and column for syntax errors).
        message: String,
    },
    /// The `[portal]` section does not validate (every problem, one per line, paths from the
    /// top of the file: `portal.customers.alpha.token: ...`).
    #[error("settings: {}", portal_problems(.0))]
    Portal(PortalConfigError),
    /// A value out of its range.
    #[error("settings: {key}: expected {expected}, found {found}")]
    Invalid {
        /// Dotted key, e.g. `openflow.dead_peer_timeout`.
        key: &'static str,
        /// What is allowed.
        expected: String,
        /// What was given.
        found: String,
    },
}

/// TLS for the OpenFlow channel (OpenFlow 1.3.5 §6.3.3): the controller presents `cert`
/// and requires every switch to present a certificate that chains to `client_ca`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM file with the controller's certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the controller's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM file with the CA certificates that switch certificates must chain to.
    pub client_ca: PathBuf,
}

/// The OpenFlow channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFlowSettings {
    /// Listen address (default `0.0.0.0:6653`).
    pub listen: SocketAddr,
    /// TLS, or plain TCP when `None` (default).
    pub tls: Option<TlsSettings>,
    /// Silence after which we send an ECHO_REQUEST (default 5 s).
    pub echo_interval: Duration,
    /// Silence after which the switch is considered dead and disconnected (default 15 s).
    pub dead_peer_timeout: Duration,
    /// Longest wait for each handshake reply (HELLO, FEATURES, PORT_DESC; default 10 s).
    pub handshake_timeout: Duration,
    /// Longest wait for a BARRIER_REPLY before the switch is disconnected (default 30 s).
    pub barrier_timeout: Duration,
    /// Messages of one switch that may wait for the core; beyond it the switch is flooding
    /// and is disconnected (default 4096).
    pub inbound_queue: usize,
    /// Bytes that may wait to be written to one switch; beyond it the switch is stalled and
    /// is disconnected (default 64 MiB).
    pub outbound_buffer: usize,
}

/// The REST API and metrics endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    /// Listen address (default `127.0.0.1:8080`); `None` disables the API.
    pub listen: Option<SocketAddr>,
    /// Bearer token every request must carry. Without one the API is not started.
    pub token: Option<String>,
}

/// Whether and with which logins the web portal (`flowfall-portal`) is served on the REST
/// port, beside the API (issue 8; `docs/portal.md`).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum PortalSettings {
    /// Not served (`[api] portal = false`).
    Off,
    /// The default without a `[portal]` section: served with the REST API token as the only
    /// login, for the operator `api`. Not served when there is no API token or it is shorter
    /// than the portal's minimum ([`flowfall_portal::config::MIN_TOKEN_LEN`]).
    #[default]
    ApiToken,
    /// Served with the `[portal]` section's own operator and customer tokens (the API token
    /// is then not a portal login).
    Configured(PortalConfig),
}

impl PortalSettings {
    /// The portal configuration to serve, given the API token; `Err` says why the portal is
    /// off.
    pub fn resolve(&self, api_token: Option<&str>) -> Result<PortalConfig, String> {
        match self {
            PortalSettings::Off => Err("api.portal = false".into()),
            PortalSettings::Configured(cfg) => Ok(cfg.clone()),
            PortalSettings::ApiToken => {
                let token = api_token.ok_or("no [portal] section and no API token")?;
                let mut cfg = PortalConfig::default();
                cfg.operators.insert("api".into(), Token::new(token));
                cfg.validate().map_err(|e| {
                    format!(
                        "no [portal] section, and the API token is no portal login: {}",
                        portal_problems(&e)
                    )
                })?;
                Ok(cfg)
            }
        }
    }
}

/// A portal configuration problem list with paths from the top of the settings file
/// (`portal.operators.noc: ...`), one per line.
pub(crate) fn portal_problems(e: &PortalConfigError) -> String {
    let one = |p: &flowfall_portal::ConfigProblem| {
        if p.path.is_empty() {
            format!("portal: {}", p.message)
        } else {
            format!("portal.{}: {}", p.path, p.message)
        }
    };
    match e {
        PortalConfigError::Parse(p) => one(p),
        PortalConfigError::Invalid(ps) => ps.iter().map(one).collect::<Vec<_>>().join("\n"),
    }
}

/// Every controller setting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `[openflow]`.
    pub openflow: OpenFlowSettings,
    /// `[api]`.
    pub api: ApiSettings,
    /// `[portal]` and `api.portal`.
    pub portal: PortalSettings,
    /// `[health]`.
    pub health: HealthSettings,
}

/// VM health probing (`[health]`): every VM is probed through the VNF itself; a VM that
/// misses `miss_count` probes in a row leaves its layer (its customers move) until it answers
/// again.
///
/// ```toml
/// [health]
/// enabled = true              # default
/// interval = 0.1              # seconds between two probes of one VM (default 0.1)
/// miss_count = 3              # consecutive misses that make a VM down (default 3)
/// startup_grace = 5           # s a VM that never answered keeps its customers (default 5)
/// return_on_recovery = false  # customers go back to a recovered VM (default: they stay)
///
/// [health.lldp]               # bypass-link liveness
/// enabled = true
/// interval = 1                # s between two LLDP frames out of each link end
/// timeout = 3                 # s of silence (either direction) that make a link down
///
/// [health.nat]                # NAT-in-chain detection
/// enabled = true
/// rate = 100                  # detection PACKET_INs per second and switch (0: no meter)
/// max_alarms = 1024
/// on_alarm = "alarm"          # or "fail-over": the VM leaves its layer until put back
///
/// [health.balance]            # load-aware rebalancing
/// enabled = false             # moves break the moved customers' sessions on stateful VNFs
/// interval = 10               # s between two reads of J0's counters (0: no load measurement)
/// start_threshold = 1.25      # max/floor that starts a layer rebalancing
/// stop_threshold = 1.10       # ... and stops it
/// max_moves = 8               # per round, all layers together
/// dwell = 300                 # s a moved customer stays put
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    /// Whether probes run (default true).
    pub enabled: bool,
    /// Interval and miss count.
    pub config: crate::core::health::HealthConfig,
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            enabled: true,
            config: crate::core::health::HealthConfig::default(),
        }
    }
}

impl Default for OpenFlowSettings {
    fn default() -> Self {
        OpenFlowSettings {
            listen: SocketAddr::from(([0, 0, 0, 0], 6653)),
            tls: None,
            echo_interval: Duration::from_secs(5),
            dead_peer_timeout: Duration::from_secs(15),
            handshake_timeout: Duration::from_secs(10),
            barrier_timeout: Duration::from_secs(30),
            inbound_queue: 4096,
            outbound_buffer: 64 << 20,
        }
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            token: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    #[serde(default)]
    openflow: FileOpenFlow,
    #[serde(default)]
    api: FileApi,
    portal: Option<PortalConfig>,
    #[serde(default)]
    health: FileHealth,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileHealth {
    enabled: Option<bool>,
    interval: Option<f64>,
    miss_count: Option<i64>,
    startup_grace: Option<f64>,
    return_on_recovery: Option<bool>,
    #[serde(default)]
    lldp: FileLldp,
    #[serde(default)]
    nat: FileNat,
    #[serde(default)]
    balance: FileBalance,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLldp {
    enabled: Option<bool>,
    interval: Option<f64>,
    timeout: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNat {
    enabled: Option<bool>,
    rate: Option<i64>,
    max_alarms: Option<i64>,
    on_alarm: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBalance {
    enabled: Option<bool>,
    interval: Option<f64>,
    start_threshold: Option<f64>,
    stop_threshold: Option<f64>,
    max_moves: Option<i64>,
    dwell: Option<f64>,
}

/// Seconds within `[min, max]`.
fn parse_secs_in(
    key: &'static str,
    secs: f64,
    min: f64,
    max: f64,
) -> Result<Duration, SettingsError> {
    if secs.is_finite() && (min..=max).contains(&secs) {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(SettingsError::Invalid {
            key,
            expected: format!("seconds in [{min}, {max}]"),
            found: secs.to_string(),
        })
    }
}

/// A ratio of loads (`max/floor`), at least 1.
fn parse_ratio(key: &'static str, v: f64) -> Result<f64, SettingsError> {
    if v.is_finite() && (1.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(SettingsError::Invalid {
            key,
            expected: "a number in [1, 100]".into(),
            found: v.to_string(),
        })
    }
}

impl FileHealth {
    /// Applies the `[health]` table (and its sub-tables) to `h`.
    fn apply(self, h: &mut HealthSettings) -> Result<(), SettingsError> {
        let c = &mut h.config;
        if let Some(on) = self.enabled {
            h.enabled = on;
        }
        if let Some(v) = self.interval {
            c.interval = parse_secs_in("health.interval", v, 0.01, 60.0)?;
        }
        if let Some(v) = self.miss_count {
            let n = parse_count("health.miss_count", v, 1, 1000)?;
            c.miss_count = u32::try_from(n).unwrap_or(1000);
        }
        if let Some(v) = self.startup_grace {
            c.startup_grace = parse_secs_in("health.startup_grace", v, 0.0, 3600.0)?;
        }
        if let Some(v) = self.return_on_recovery {
            c.return_on_recovery = v;
        }
        let l = self.lldp;
        if let Some(on) = l.enabled {
            c.lldp.enabled = on;
        }
        if let Some(v) = l.interval {
            c.lldp.interval = parse_secs_in("health.lldp.interval", v, 0.01, 3600.0)?;
        }
        if let Some(v) = l.timeout {
            c.lldp.timeout = parse_secs_in("health.lldp.timeout", v, 0.02, 3600.0)?;
        }
        if c.lldp.timeout <= c.lldp.interval {
            return Err(SettingsError::Invalid {
                key: "health.lldp.timeout",
                expected: format!(
                    "more than health.lldp.interval ({} s)",
                    c.lldp.interval.as_secs_f64()
                ),
                found: c.lldp.timeout.as_secs_f64().to_string(),
            });
        }
        let n = self.nat;
        if let Some(on) = n.enabled {
            c.nat.enabled = on;
        }
        if let Some(v) = n.rate {
            let r = parse_count("health.nat.rate", v, 0, 1_000_000)?;
            c.nat.rate = u32::try_from(r).unwrap_or(1_000_000);
        }
        if let Some(v) = n.max_alarms {
            c.nat.max_alarms = parse_count("health.nat.max_alarms", v, 1, 1_000_000)?;
        }
        if let Some(v) = n.on_alarm {
            c.nat.on_alarm = crate::core::nat::NatAction::from_name(&v).ok_or_else(|| {
                SettingsError::Invalid {
                    key: "health.nat.on_alarm",
                    expected: "\"alarm\" or \"fail-over\"".into(),
                    found: format!("{v:?}"),
                }
            })?;
        }
        let b = self.balance;
        if let Some(on) = b.enabled {
            c.balance.enabled = on;
        }
        if let Some(v) = b.interval {
            c.balance.interval = parse_secs_in("health.balance.interval", v, 0.0, 86_400.0)?;
        }
        if let Some(v) = b.start_threshold {
            c.balance.start_threshold = parse_ratio("health.balance.start_threshold", v)?;
        }
        if let Some(v) = b.stop_threshold {
            c.balance.stop_threshold = parse_ratio("health.balance.stop_threshold", v)?;
        }
        if c.balance.stop_threshold > c.balance.start_threshold {
            return Err(SettingsError::Invalid {
                key: "health.balance.stop_threshold",
                expected: format!(
                    "at most health.balance.start_threshold ({})",
                    c.balance.start_threshold
                ),
                found: c.balance.stop_threshold.to_string(),
            });
        }
        if let Some(v) = b.max_moves {
            c.balance.max_moves = parse_count("health.balance.max_moves", v, 1, 10_000)?;
        }
        if let Some(v) = b.dwell {
            c.balance.dwell = parse_secs_in("health.balance.dwell", v, 0.0, 86_400.0)?;
        }
        // The state machines' own checks, in case a range above is looser than theirs.
        c.validate().map_err(|e| SettingsError::Invalid {
            key: "health",
            expected: "values the health monitors accept".into(),
            found: e.to_string(),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOpenFlow {
    listen: Option<String>,
    tls: Option<FileTls>,
    echo_interval: Option<f64>,
    dead_peer_timeout: Option<f64>,
    handshake_timeout: Option<f64>,
    barrier_timeout: Option<f64>,
    inbound_queue: Option<i64>,
    outbound_buffer: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTls {
    cert: PathBuf,
    key: PathBuf,
    client_ca: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileApi {
    listen: Option<String>,
    enabled: Option<bool>,
    token: Option<String>,
    token_file: Option<PathBuf>,
    portal: Option<bool>,
}

fn parse_addr(key: &'static str, text: &str) -> Result<SocketAddr, SettingsError> {
    text.parse().map_err(|_| SettingsError::Invalid {
        key,
        expected: "an IP address and port, e.g. 127.0.0.1:6653 or [::1]:6653".into(),
        found: format!("{text:?}"),
    })
}

fn parse_secs(key: &'static str, secs: f64) -> Result<Duration, SettingsError> {
    // At most a day: longer keepalives make no sense and keep Duration arithmetic in range.
    if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(SettingsError::Invalid {
            key,
            expected: "seconds in (0, 86400]".into(),
            found: secs.to_string(),
        })
    }
}

fn parse_count(key: &'static str, v: i64, min: usize, max: usize) -> Result<usize, SettingsError> {
    usize::try_from(v)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| SettingsError::Invalid {
            key,
            expected: format!("an integer in {min}..={max}"),
            found: v.to_string(),
        })
}

fn check_token(key: &'static str, token: String) -> Result<String, SettingsError> {
    let token = token.trim().to_owned();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SettingsError::Invalid {
            key,
            expected: "a non-empty token of printable ASCII without spaces".into(),
            found: format!("{} characters", token.chars().count()),
        });
    }
    Ok(token)
}

impl Settings {
    /// Parses a settings file's text; absent keys keep their defaults.
    pub fn from_toml_str(text: &str) -> Result<Settings, SettingsError> {
        let de = toml::Deserializer::new(text);
        let file: FileSettings = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            SettingsError::Parse {
                path: if path == "." {
                    "(top level)".into()
                } else {
                    path
                },
                message: e.inner().to_string(),
            }
        })?;
        Settings::from_file_settings(file)
    }

    /// Reads and parses a settings file (see [`Settings::from_toml_str`]).
    pub fn from_file(path: &Path) -> Result<Settings, SettingsError> {
        let io = |source| SettingsError::Io {
            path: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_SETTINGS_BYTES {
            return Err(SettingsError::TooLarge {
                path: path.to_owned(),
                size,
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Settings::from_toml_str(&text)
    }

    fn from_file_settings(file: FileSettings) -> Result<Settings, SettingsError> {
        let mut s = Settings::default();
        let of = file.openflow;
        if let Some(listen) = of.listen {
            s.openflow.listen = parse_addr("openflow.listen", &listen)?;
        }
        s.openflow.tls = of.tls.map(|t| TlsSettings {
            cert: t.cert,
            key: t.key,
            client_ca: t.client_ca,
        });
        if let Some(v) = of.echo_interval {
            s.openflow.echo_interval = parse_secs("openflow.echo_interval", v)?;
        }
        if let Some(v) = of.dead_peer_timeout {
            s.openflow.dead_peer_timeout = parse_secs("openflow.dead_peer_timeout", v)?;
        }
        if let Some(v) = of.handshake_timeout {
            s.openflow.handshake_timeout = parse_secs("openflow.handshake_timeout", v)?;
        }
        if let Some(v) = of.barrier_timeout {
            s.openflow.barrier_timeout = parse_secs("openflow.barrier_timeout", v)?;
        }
        if let Some(v) = of.inbound_queue {
            s.openflow.inbound_queue = parse_count("openflow.inbound_queue", v, 1, 1 << 20)?;
        }
        if let Some(v) = of.outbound_buffer {
            s.openflow.outbound_buffer =
                parse_count("openflow.outbound_buffer", v, MIN_OUTBOUND_BUFFER, 1 << 32)?;
        }
        let api = file.api;
        if let Some(listen) = api.listen {
            s.api.listen = Some(parse_addr("api.listen", &listen)?);
        }
        if api.enabled == Some(false) {
            s.api.listen = None;
        }
        match (api.token, api.token_file) {
            (Some(_), Some(_)) => {
                return Err(SettingsError::Invalid {
                    key: "api.token_file",
                    expected: "either api.token or api.token_file, not both".into(),
                    found: "both".into(),
                });
            }
            (Some(token), None) => s.api.token = Some(check_token("api.token", token)?),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| SettingsError::Io { path, source })?;
                s.api.token = Some(check_token("api.token_file", text)?);
            }
            (None, None) => {}
        }
        s.portal = match (api.portal, file.portal) {
            (Some(false), Some(_)) => {
                return Err(SettingsError::Invalid {
                    key: "api.portal",
                    expected: "true (or no key) when there is a [portal] section".into(),
                    found: "false".into(),
                });
            }
            (Some(false), None) => PortalSettings::Off,
            (_, Some(cfg)) => {
                cfg.validate().map_err(SettingsError::Portal)?;
                PortalSettings::Configured(cfg)
            }
            (_, None) => PortalSettings::ApiToken,
        };
        file.health.apply(&mut s.health)?;
        s.validate()?;
        Ok(s)
    }

    /// Applies the environment: [`ENV_API_TOKEN`], [`ENV_OPENFLOW_LISTEN`],
    /// [`ENV_API_LISTEN`]. `var` looks a variable up (pass `|k| std::env::var(k).ok()`).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        if let Some(token) = var(ENV_API_TOKEN) {
            self.api.token = Some(check_token("FLOWFALL_API_TOKEN", token)?);
        }
        if let Some(listen) = var(ENV_OPENFLOW_LISTEN) {
            self.openflow.listen = parse_addr("FLOWFALL_OPENFLOW_LISTEN", &listen)?;
        }
        if let Some(listen) = var(ENV_API_LISTEN) {
            self.api.listen = Some(parse_addr("FLOWFALL_API_LISTEN", &listen)?);
        }
        Ok(())
    }

    /// Checks the relations between values (the per-value ranges are checked on parse).
    pub fn validate(&self) -> Result<(), SettingsError> {
        let of = &self.openflow;
        if of.dead_peer_timeout <= of.echo_interval {
            return Err(SettingsError::Invalid {
                key: "openflow.dead_peer_timeout",
                expected: format!(
                    "more than openflow.echo_interval ({} s)",
                    of.echo_interval.as_secs_f64()
                ),
                found: format!("{} s", of.dead_peer_timeout.as_secs_f64()),
            });
        }
        if of.outbound_buffer < MIN_OUTBOUND_BUFFER {
            return Err(SettingsError::Invalid {
                key: "openflow.outbound_buffer",
                expected: format!(">= {MIN_OUTBOUND_BUFFER} bytes"),
                found: of.outbound_buffer.to_string(),
            });
        }
        if of.inbound_queue == 0 {
            return Err(SettingsError::Invalid {
                key: "openflow.inbound_queue",
                expected: ">= 1".into(),
                found: "0".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_section_parses_and_checks_ranges() {
        let s = Settings::default();
        assert!(s.health.enabled);
        assert_eq!(s.health.config.interval, Duration::from_millis(100));
        assert_eq!(s.health.config.miss_count, 3);
        let s =
            Settings::from_toml_str("[health]\nenabled = false\ninterval = 0.25\nmiss_count = 5\n")
                .unwrap();
        assert!(!s.health.enabled);
        assert_eq!(s.health.config.interval, Duration::from_millis(250));
        assert_eq!(s.health.config.miss_count, 5);
        let e = Settings::from_toml_str("[health]\ninterval = 0.001\n").unwrap_err();
        assert!(e.to_string().contains("health.interval"), "{e}");
        let e = Settings::from_toml_str("[health]\nmiss_count = 0\n").unwrap_err();
        assert!(e.to_string().contains("health.miss_count"), "{e}");
        let e = Settings::from_toml_str("[health]\nprobes = 1\n").unwrap_err();
        assert!(e.to_string().contains("health"), "{e}");
    }

    #[test]
    fn health_sub_tables_parse_and_check_ranges() {
        let s = Settings::default();
        let c = &s.health.config;
        assert_eq!(c.startup_grace, Duration::from_secs(5));
        assert!(!c.return_on_recovery);
        assert!(c.lldp.enabled && c.nat.enabled && !c.balance.enabled);
        assert_eq!(c.balance.interval, Duration::from_secs(10));
        let s = Settings::from_toml_str(
            "[health]\nstartup_grace = 2\nreturn_on_recovery = true\n\
             [health.lldp]\nenabled = false\ninterval = 0.5\ntimeout = 2\n\
             [health.nat]\nrate = 0\nmax_alarms = 10\non_alarm = \"fail-over\"\n\
             [health.balance]\nenabled = true\ninterval = 5\nstart_threshold = 1.5\n\
             stop_threshold = 1.2\nmax_moves = 2\ndwell = 60\n",
        )
        .unwrap();
        let c = &s.health.config;
        assert_eq!(c.startup_grace, Duration::from_secs(2));
        assert!(c.return_on_recovery);
        assert!(!c.lldp.enabled);
        assert_eq!(c.lldp.interval, Duration::from_millis(500));
        assert_eq!(c.lldp.timeout, Duration::from_secs(2));
        assert_eq!((c.nat.rate, c.nat.max_alarms), (0, 10));
        assert_eq!(c.nat.on_alarm, crate::core::nat::NatAction::FailOver);
        assert!(c.balance.enabled);
        assert_eq!(c.balance.interval, Duration::from_secs(5));
        assert_eq!(
            (c.balance.start_threshold, c.balance.stop_threshold),
            (1.5, 1.2)
        );
        assert_eq!(c.balance.max_moves, 2);
        assert_eq!(c.balance.dwell, Duration::from_secs(60));
        for (text, key) in [
            ("[health.lldp]\ntimeout = 0.5\n", "health.lldp.timeout"),
            ("[health.nat]\nmax_alarms = 0\n", "health.nat.max_alarms"),
            ("[health.nat]\non_alarm = \"drop\"\n", "health.nat.on_alarm"),
            (
                "[health.balance]\nstop_threshold = 2\n",
                "health.balance.stop_threshold",
            ),
            (
                "[health.balance]\nstart_threshold = 0.5\n",
                "health.balance.start_threshold",
            ),
            (
                "[health.balance]\nmax_moves = 0\n",
                "health.balance.max_moves",
            ),
            ("[health]\nstartup_grace = -1\n", "health.startup_grace"),
            ("[health.balance]\nmoves = 1\n", "moves"),
        ] {
            let e = Settings::from_toml_str(text).unwrap_err().to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Settings::from_toml_str("").unwrap(), Settings::default());
    }

    #[test]
    fn full_file_parses() {
        let s = Settings::from_toml_str(
            r#"
            [openflow]
            listen = "127.0.0.1:16653"
            echo_interval = 0.5
            dead_peer_timeout = 2
            inbound_queue = 16
            outbound_buffer = 100000
            [openflow.tls]
            cert = "c.pem"
            key = "k.pem"
            client_ca = "ca.pem"
            [api]
            listen = "[::1]:9090"
            token = "abc"
            "#,
        )
        .unwrap();
        assert_eq!(s.openflow.listen, "127.0.0.1:16653".parse().unwrap());
        assert_eq!(s.openflow.echo_interval, Duration::from_millis(500));
        assert_eq!(s.openflow.dead_peer_timeout, Duration::from_secs(2));
        assert_eq!(s.openflow.inbound_queue, 16);
        assert_eq!(
            s.openflow.tls.as_ref().unwrap().client_ca,
            PathBuf::from("ca.pem")
        );
        assert_eq!(s.api.listen, Some("[::1]:9090".parse().unwrap()));
        assert_eq!(s.api.token.as_deref(), Some("abc"));
    }

    #[test]
    fn unknown_key_names_its_path() {
        let err = Settings::from_toml_str("[openflow]\nlisten_port = 1\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("openflow"), "{text}");
        assert!(text.contains("listen_port"), "{text}");
    }

    #[test]
    fn bad_values_name_key_expected_and_found() {
        let err = Settings::from_toml_str("[openflow]\necho_interval = -1\n").unwrap_err();
        assert!(matches!(
            err,
            SettingsError::Invalid {
                key: "openflow.echo_interval",
                ..
            }
        ));
        assert!(err.to_string().contains("found -1"), "{err}");
        let err = Settings::from_toml_str("[openflow]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(err.to_string().contains("openflow.listen"), "{err}");
        let err = Settings::from_toml_str("[openflow]\ninbound_queue = 0\n").unwrap_err();
        assert!(err.to_string().contains("openflow.inbound_queue"), "{err}");
        let err = Settings::from_toml_str("[openflow]\noutbound_buffer = 10\n").unwrap_err();
        assert!(err.to_string().contains("65535"), "{err}");
    }

    #[test]
    fn dead_peer_timeout_must_exceed_echo_interval() {
        let err =
            Settings::from_toml_str("[openflow]\necho_interval = 10\ndead_peer_timeout = 10\n")
                .unwrap_err();
        assert!(
            err.to_string().contains("openflow.dead_peer_timeout"),
            "{err}"
        );
    }

    #[test]
    fn token_sources() {
        let err = Settings::from_toml_str("[api]\ntoken = \"a b\"\n").unwrap_err();
        assert!(err.to_string().contains("api.token"), "{err}");
        let err =
            Settings::from_toml_str("[api]\ntoken = \"a\"\ntoken_file = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
        let dir = std::env::temp_dir().join(format!("ff-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "from-file\n").unwrap();
        let text = format!("[api]\ntoken_file = {:?}\n", file.display().to_string());
        let s = Settings::from_toml_str(&text).unwrap();
        assert_eq!(s.api.token.as_deref(), Some("from-file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn environment_overrides_file() {
        let mut s = Settings::from_toml_str("[api]\ntoken = \"file\"\n").unwrap();
        s.apply_env(|k| match k {
            ENV_API_TOKEN => Some("env".into()),
            ENV_OPENFLOW_LISTEN => Some("127.0.0.1:1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.api.token.as_deref(), Some("env"));
        assert_eq!(s.openflow.listen, "127.0.0.1:1".parse().unwrap());
        assert!(
            s.apply_env(|k| (k == ENV_API_LISTEN).then(|| "nope".into()))
                .is_err()
        );
    }

    #[test]
    fn the_portal_section_and_switch() {
        assert_eq!(Settings::default().portal, PortalSettings::ApiToken);
        let s = Settings::from_toml_str(
            "[portal]\npoll_interval_secs = 2\n[portal.operators]\nnoc = \"op-0123456789abcdef\"\n",
        )
        .unwrap();
        let PortalSettings::Configured(cfg) = s.portal else {
            panic!("expected a configured portal: {:?}", s.portal);
        };
        assert_eq!(cfg.poll_interval_secs, 2);
        assert!(cfg.operators.contains_key("noc"));
        let s = Settings::from_toml_str("[api]\nportal = false\n").unwrap();
        assert_eq!(s.portal, PortalSettings::Off);
        let err = Settings::from_toml_str(
            "[api]\nportal = false\n[portal.operators]\nnoc = \"op-0123456789abcdef\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("api.portal"), "{err}");
    }

    #[test]
    fn portal_problems_name_their_path_from_the_top_of_the_file() {
        let err = Settings::from_toml_str(
            "[portal.operators]\nnoc = \"short\"\n[portal.customers.alpha]\ntoken = \"has space 0123456789\"\n",
        )
        .unwrap_err();
        assert!(matches!(err, SettingsError::Portal(_)), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("portal.operators.noc: token must be 16..=512 characters, found 5"),
            "{text}"
        );
        assert!(
            text.contains("\nportal.customers.alpha.token: token must be printable"),
            "{text}"
        );
        let err = Settings::from_toml_str("[portal.operators]\nnoc = 5\n").unwrap_err();
        assert!(err.to_string().contains("portal.operators.noc"), "{err}");
        let err = Settings::from_toml_str("[portal]\ncolour = 1\n").unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
        // Settings never show tokens.
        let s =
            Settings::from_toml_str("[portal.operators]\nnoc = \"op-0123456789abcdef\"\n").unwrap();
        assert!(!format!("{s:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn without_a_portal_section_the_api_token_is_the_operator_login() {
        let cfg = PortalSettings::ApiToken
            .resolve(Some("api-0123456789abcdef"))
            .unwrap();
        assert_eq!(
            cfg.operators.get("api").map(Token::expose),
            Some("api-0123456789abcdef")
        );
        assert!(cfg.customers.is_empty());
        let why = PortalSettings::ApiToken.resolve(Some("short")).unwrap_err();
        assert!(
            why.contains("portal.operators.api: token must be 16..=512 characters"),
            "{why}"
        );
        assert!(PortalSettings::ApiToken.resolve(None).is_err());
        assert!(
            PortalSettings::Off
                .resolve(Some("api-0123456789abcdef"))
                .is_err()
        );
    }

    #[test]
    fn api_can_be_disabled() {
        let s = Settings::from_toml_str("[api]\nenabled = false\n").unwrap();
        assert_eq!(s.api.listen, None);
    }
}
