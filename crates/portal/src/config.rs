//! The portal's configuration: who may log in, what customers may change, the CPE hook.
//!
//! It is one TOML table (the controller nests it as `[portal]`); paths in errors are relative
//! to that table. See `docs/portal.md` for the full reference.
//!
//! ```toml
//! poll_interval_secs = 5
//!
//! [operators]
//! noc = "op-0123456789abcdef"
//!
//! [customers.exhibitor01]
//! token = "cu-0123456789abcdef"
//! allowed_services = ["dpi", "ddos"]   # default: every service
//!
//! [cpe_hook]
//! kind = "command"                      # or "webhook" with url = "http://..."
//! program = "/usr/local/bin/push-tos"
//! args = ["--customer={customer}", "--tos={tos}"]
//! timeout_ms = 10000
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::hook::{check_template, parse_webhook_url};
use crate::secret::{Digest, Token};

/// Shortest token accepted: 16 characters keeps guessing out of reach even without a
/// login rate limit.
pub const MIN_TOKEN_LEN: usize = 16;
/// Longest token accepted.
pub const MAX_TOKEN_LEN: usize = 512;
/// Longest operator or customer name accepted.
pub const MAX_NAME_LEN: usize = 128;
/// Longest CPE hook timeout, milliseconds.
pub const MAX_HOOK_TIMEOUT_MS: u64 = 300_000;

/// The portal's configuration (deserialised from its TOML table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalConfig {
    /// Operator name → token. Operators see every switch, layer, VM, customer and alarm, and
    /// may change any customer. The name is what the audit log records.
    #[serde(default)]
    pub operators: BTreeMap<String, Token>,
    /// Customer name (as in the topology) → its token and what it may change.
    #[serde(default)]
    pub customers: BTreeMap<String, CustomerAccess>,
    /// Where to hand a customer's new ToS value (tos mode only); none by default.
    #[serde(default)]
    pub cpe_hook: Option<CpeHook>,
    /// Session cookie settings.
    #[serde(default)]
    pub session: SessionConfig,
    /// Changes the in-memory audit log keeps (oldest dropped first); default 500.
    #[serde(default = "default_audit_capacity")]
    pub audit_capacity: usize,
    /// How often the pages poll the JSON API, seconds; default 5.
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
}

fn default_audit_capacity() -> usize {
    500
}

fn default_poll_interval() -> u64 {
    5
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            operators: BTreeMap::new(),
            customers: BTreeMap::new(),
            cpe_hook: None,
            session: SessionConfig::default(),
            audit_capacity: default_audit_capacity(),
            poll_interval_secs: default_poll_interval(),
        }
    }
}

/// One customer's portal access.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerAccess {
    /// The customer's token.
    pub token: Token,
    /// Services the customer may turn on and off; `None` (the default) allows every service.
    /// Services outside the list keep whatever state the operator gave them.
    #[serde(default)]
    pub allowed_services: Option<Vec<String>>,
}

impl CustomerAccess {
    /// Whether the customer may turn `service` on or off.
    pub fn allows(&self, service: &str) -> bool {
        self.allowed_services
            .as_ref()
            .is_none_or(|a| a.iter().any(|s| s == service))
    }
}

/// Session cookie settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// A session unused this long ends, seconds; default 1800.
    pub idle_timeout_secs: u64,
    /// A session ends this long after login whatever its use, seconds; default 43200 (12 h).
    pub lifetime_secs: u64,
    /// Most sessions kept at once; logging in beyond it ends the least recently used one.
    /// Default 1024.
    pub max_sessions: usize,
    /// Mark the cookie `Secure` (browsers then send it over HTTPS only). Default `false`,
    /// since the REST port serves plain HTTP; set it when a TLS proxy fronts the portal.
    pub secure_cookie: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout_secs: 1800,
            lifetime_secs: 43_200,
            max_sessions: 1024,
            secure_cookie: false,
        }
    }
}

/// How a new ToS value reaches the customer's CPE (paper §5: the 2015 portal pushed it over
/// NETCONF). See [`crate::hook`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum CpeHook {
    /// Run a program directly (no shell).
    Command {
        /// Program path (or name looked up in `PATH`).
        program: String,
        /// Arguments; `{customer}`, `{tos}`, `{tos_hex}`, `{dscp}`, `{services}`, `{actor}`
        /// are replaced, `{{`/`}}` are literal braces.
        #[serde(default)]
        args: Vec<String>,
        /// Kill the program after this long, milliseconds; default 10000.
        #[serde(default = "default_hook_timeout_ms")]
        timeout_ms: u64,
    },
    /// POST a JSON [`CpePush`](crate::hook::CpePush) to an `http://` URL.
    Webhook {
        /// `http://host[:port]/path`.
        url: String,
        /// Give up after this long, milliseconds; default 10000.
        #[serde(default = "default_hook_timeout_ms")]
        timeout_ms: u64,
    },
}

fn default_hook_timeout_ms() -> u64 {
    10_000
}

/// One configuration problem: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Dotted path of the offending value, relative to the portal table (`customers.ex01.token`).
    pub path: String,
    /// What is wrong, with the expected and found values.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A configuration that does not parse or does not validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// TOML syntax, an unknown key or a wrongly typed value (parsing stops at the first).
    #[error("{0}")]
    Parse(ConfigProblem),
    /// Every validation problem, in key order, one per line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ConfigProblem>),
}

fn problem(path: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        path: path.into(),
        message: message.into(),
    }
}

fn check_name(path: &str, name: &str, out: &mut Vec<ConfigProblem>) {
    if name.is_empty() {
        out.push(problem(path, "empty name"));
    } else if name.chars().count() > MAX_NAME_LEN {
        out.push(problem(
            path,
            format!("name longer than {MAX_NAME_LEN} characters"),
        ));
    } else if name.chars().any(char::is_control) {
        out.push(problem(path, "name contains control characters"));
    }
}

fn check_token(path: &str, token: &Token, out: &mut Vec<ConfigProblem>) {
    let t = token.expose();
    let len = t.chars().count();
    if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&len) {
        out.push(problem(
            path,
            format!("token must be {MIN_TOKEN_LEN}..={MAX_TOKEN_LEN} characters, found {len}"),
        ));
    } else if let Some((i, c)) = t.char_indices().find(|&(_, c)| !c.is_ascii_graphic()) {
        out.push(problem(
            path,
            format!(
                "token must be printable ASCII without spaces, found {:?} at byte {i}",
                c.escape_default().to_string()
            ),
        ));
    }
}

impl PortalConfig {
    /// Parses the portal table from TOML text and validates it.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let de = toml::Deserializer::new(text);
        let cfg: PortalConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let at = inner
                .span()
                .map(|s| {
                    let before = text.get(..s.start).unwrap_or("");
                    let line = before.matches('\n').count() + 1;
                    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    format!("line {line}, column {col}: ")
                })
                .unwrap_or_default();
            ConfigError::Parse(problem(
                if path == "." { String::new() } else { path },
                format!("{at}{}", inner.message()),
            ))
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every value; reports all problems at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut out = Vec::new();
        if self.operators.is_empty() && self.customers.is_empty() {
            out.push(problem(
                "operators",
                "no operator or customer tokens: nobody could log in",
            ));
        }
        let mut seen: HashMap<Digest, String> = HashMap::new();
        let mut check_unique = |path: String, token: &Token, out: &mut Vec<ConfigProblem>| {
            let d = Digest::of(token.expose());
            if let Some(first) = seen.get(&d) {
                out.push(problem(
                    &path,
                    format!("same token as {first}: every token must identify one user"),
                ));
            } else {
                seen.insert(d, path);
            }
        };
        for (name, token) in &self.operators {
            let path = format!("operators.{name}");
            check_name(&path, name, &mut out);
            check_token(&path, token, &mut out);
            check_unique(path, token, &mut out);
        }
        for (name, access) in &self.customers {
            let base = format!("customers.{name}");
            check_name(&base, name, &mut out);
            let path = format!("{base}.token");
            check_token(&path, &access.token, &mut out);
            check_unique(path, &access.token, &mut out);
            if let Some(allowed) = &access.allowed_services {
                let mut names = BTreeSet::new();
                for (i, s) in allowed.iter().enumerate() {
                    let path = format!("{base}.allowed_services[{i}]");
                    if s.is_empty() {
                        out.push(problem(path, "empty service name"));
                    } else if !names.insert(s.as_str()) {
                        out.push(problem(path, format!("{s:?} listed twice")));
                    }
                }
            }
        }
        if let Some(hook) = &self.cpe_hook {
            match hook {
                CpeHook::Command {
                    program,
                    args,
                    timeout_ms,
                } => {
                    if program.trim().is_empty() {
                        out.push(problem("cpe_hook.program", "empty program"));
                    }
                    for (i, a) in args.iter().enumerate() {
                        if let Err(e) = check_template(a) {
                            out.push(problem(format!("cpe_hook.args[{i}]"), e.to_string()));
                        }
                    }
                    check_hook_timeout(*timeout_ms, &mut out);
                }
                CpeHook::Webhook { url, timeout_ms } => {
                    if let Err(e) = parse_webhook_url(url) {
                        out.push(problem("cpe_hook.url", e));
                    }
                    check_hook_timeout(*timeout_ms, &mut out);
                }
            }
        }
        let s = &self.session;
        check_range(
            "session.idle_timeout_secs",
            s.idle_timeout_secs,
            1,
            604_800,
            &mut out,
        );
        check_range(
            "session.lifetime_secs",
            s.lifetime_secs,
            1,
            2_592_000,
            &mut out,
        );
        if s.lifetime_secs < s.idle_timeout_secs {
            out.push(problem(
                "session.lifetime_secs",
                format!(
                    "shorter than session.idle_timeout_secs ({} < {})",
                    s.lifetime_secs, s.idle_timeout_secs
                ),
            ));
        }
        check_range(
            "session.max_sessions",
            s.max_sessions as u64,
            1,
            1_000_000,
            &mut out,
        );
        check_range(
            "audit_capacity",
            self.audit_capacity as u64,
            1,
            100_000,
            &mut out,
        );
        check_range(
            "poll_interval_secs",
            self.poll_interval_secs,
            1,
            3600,
            &mut out,
        );
        if out.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(out))
        }
    }

    /// Cross-checks the names against the chain the controller loaded: every customer key
    /// must be a `customers` name of the topology and every allowed service a layer name.
    pub fn check_against(&self, customers: &[&str], services: &[&str]) -> Result<(), ConfigError> {
        let mut out = Vec::new();
        for (name, access) in &self.customers {
            if !customers.contains(&name.as_str()) {
                out.push(problem(
                    format!("customers.{name}"),
                    "no customer of that name in the topology",
                ));
            }
            for (i, s) in access.allowed_services.iter().flatten().enumerate() {
                if !services.contains(&s.as_str()) {
                    out.push(problem(
                        format!("customers.{name}.allowed_services[{i}]"),
                        format!("{s:?} is not a layer (services: {})", services.join(", ")),
                    ));
                }
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(out))
        }
    }
}

fn check_hook_timeout(timeout_ms: u64, out: &mut Vec<ConfigProblem>) {
    check_range(
        "cpe_hook.timeout_ms",
        timeout_ms,
        1,
        MAX_HOOK_TIMEOUT_MS,
        out,
    );
}

fn check_range(path: &str, value: u64, min: u64, max: u64, out: &mut Vec<ConfigProblem>) {
    if !(min..=max).contains(&value) {
        out.push(problem(
            path,
            format!("expected {min}..={max}, found {value}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
poll_interval_secs = 3
[operators]
noc = "op-0123456789abcdef"
[customers.ex01]
token = "cu-0123456789abcdef"
allowed_services = ["dpi"]
[customers.ex02]
token = "cu-fedcba9876543210"
[cpe_hook]
kind = "command"
program = "/usr/local/bin/push-tos"
args = ["--customer={customer}", "--tos={tos}"]
[session]
secure_cookie = true
"#;

    fn problems(text: &str) -> Vec<String> {
        match PortalConfig::from_toml_str(text) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
            Err(ConfigError::Parse(p)) => vec![p.to_string()],
        }
    }

    #[test]
    fn a_good_config_parses_with_defaults() {
        let cfg = PortalConfig::from_toml_str(GOOD);
        let Ok(cfg) = cfg else {
            panic!("{cfg:?}");
        };
        assert_eq!(cfg.poll_interval_secs, 3);
        assert_eq!(cfg.audit_capacity, 500);
        assert!(cfg.session.secure_cookie);
        assert_eq!(cfg.session.idle_timeout_secs, 1800);
        let ex01 = &cfg.customers["ex01"];
        assert!(ex01.allows("dpi") && !ex01.allows("firewall"));
        assert!(cfg.customers["ex02"].allows("firewall"));
        assert!(matches!(
            cfg.cpe_hook,
            Some(CpeHook::Command {
                timeout_ms: 10_000,
                ..
            })
        ));
        assert!(!format!("{cfg:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let p = problems(
            r#"
audit_capacity = 0
[operators]
noc = "short"
ops = "cu-0123456789abcdef"
[customers.ex01]
token = "cu-0123456789abcdef"
allowed_services = ["dpi", "dpi", ""]
[customers.ex02]
token = "has space 0123456789"
[cpe_hook]
kind = "webhook"
url = "https://cpe/"
timeout_ms = 0
[session]
idle_timeout_secs = 100
lifetime_secs = 50
"#,
        );
        let expected = [
            "operators.noc: token must be 16..=512 characters, found 5",
            "customers.ex01.token: same token as operators.ops",
            "customers.ex01.allowed_services[1]: \"dpi\" listed twice",
            "customers.ex01.allowed_services[2]: empty service name",
            "customers.ex02.token: token must be printable ASCII without spaces, found \" \" at byte 3",
            "cpe_hook.url: https is not supported",
            "cpe_hook.timeout_ms: expected 1..=300000, found 0",
            "session.lifetime_secs: shorter than session.idle_timeout_secs (50 < 100)",
            "audit_capacity: expected 1..=100000, found 0",
        ];
        assert_eq!(p.len(), expected.len(), "{p:#?}");
        for (got, want) in p.iter().zip(expected) {
            assert!(got.starts_with(want), "{got} !~ {want}");
        }
    }

    #[test]
    fn bad_argument_templates_and_empty_configs_are_refused() {
        let p = problems(
            r#"
[operators]
noc = "op-0123456789abcdef"
[cpe_hook]
kind = "command"
program = ""
args = ["{tos}", "{nope}"]
"#,
        );
        assert_eq!(p.len(), 2, "{p:#?}");
        assert_eq!(p[0], "cpe_hook.program: empty program");
        assert!(p[1].starts_with("cpe_hook.args[1]: unknown placeholder {nope} at byte 0"));
        assert_eq!(
            problems(""),
            vec!["operators: no operator or customer tokens: nobody could log in"]
        );
    }

    #[test]
    fn parse_errors_name_path_line_and_column() {
        let p = problems("[operators]\nnoc = 5\n");
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("operators.noc: line 2, column 7: invalid type"),
            "{p:?}"
        );
        let p = problems("[cpe_hook]\nkind = \"netconf\"\n");
        assert_eq!(
            p,
            vec![
                "cpe_hook.kind: line 2, column 8: unknown variant `netconf`, expected `command` or `webhook`"
            ]
        );
        let p = problems("[customers.ex01]\ntoken = \"cu-0123456789abcdef\"\ncolour = 1\n");
        assert!(p[0].contains("unknown field `colour`"), "{p:?}");
    }

    #[test]
    fn names_are_cross_checked_against_the_chain() {
        let Ok(cfg) = PortalConfig::from_toml_str(GOOD) else {
            panic!("GOOD must parse");
        };
        assert_eq!(
            cfg.check_against(&["ex01", "ex02"], &["firewall", "dpi"]),
            Ok(())
        );
        let Err(ConfigError::Invalid(p)) = cfg.check_against(&["ex01"], &["firewall"]) else {
            panic!("expected problems");
        };
        let p: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(
            p,
            vec![
                "customers.ex01.allowed_services[0]: \"dpi\" is not a layer (services: firewall)",
                "customers.ex02: no customer of that name in the topology",
            ]
        );
    }
}
