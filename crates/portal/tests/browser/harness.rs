//! Runs `portal.spec.mjs` (playwright-core in Debian's Chromium) against any portal.
//!
//! Shared by `crates/portal/tests/browser.rs` (in-process demo backend) and, through
//! `#[path = "../../portal/tests/browser/harness.rs"] mod harness;`, by tests that run the same
//! scenario against the real controller. Needs only `tokio` and `serde_json`.

#![allow(dead_code)] // each including test uses its own subset

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// This directory (the scenario, package.json, package-lock.json): `PORTAL_BROWSER_DIR`, else
/// found from the including crate's manifest directory (the portal's, or a sibling crate's).
pub fn browser_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PORTAL_BROWSER_DIR") {
        return PathBuf::from(d);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("tests/browser"),
        manifest.join("../portal/tests/browser"),
        manifest.join("crates/portal/tests/browser"),
    ];
    candidates
        .iter()
        .find(|d| d.join("portal.spec.mjs").exists())
        .cloned()
        .unwrap_or_else(|| manifest.join("tests/browser"))
}

/// What the scenario needs on the machine.
#[derive(Debug, Clone)]
pub struct Tools {
    /// `node` (v20+).
    pub node: PathBuf,
    /// Chromium (Debian's `chromium` package: `/usr/bin/chromium`).
    pub chromium: PathBuf,
    /// The scenario's directory, with `node_modules/playwright-core` installed.
    pub dir: PathBuf,
}

async fn runs(program: &Path, arg: &str) -> bool {
    let status = tokio::process::Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    matches!(
        tokio::time::timeout(Duration::from_secs(30), status).await,
        Ok(Ok(s)) if s.success()
    )
}

/// Finds node and Chromium (`NODE`, `CHROMIUM` override them) and installs playwright-core
/// with `npm ci` when `node_modules` lacks it. `Err` is the reason to skip.
pub async fn find_tools() -> Result<Tools, String> {
    let node = PathBuf::from(std::env::var("NODE").unwrap_or_else(|_| "node".into()));
    if !runs(&node, "--version").await {
        return Err(format!(
            "{} is not runnable (install Node.js 20+)",
            node.display()
        ));
    }
    let chromium =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if !chromium.exists() {
        return Err(format!(
            "{} not found (apt-get install chromium chromium-driver)",
            chromium.display()
        ));
    }
    let dir = browser_dir();
    if !dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".into());
        let install = tokio::process::Command::new(&npm)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        match tokio::time::timeout(Duration::from_secs(300), install).await {
            Ok(Ok(out)) if out.status.success() => {}
            Ok(Ok(out)) => {
                return Err(format!(
                    "`npm ci` in {} failed: {}",
                    dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Ok(Err(e)) => return Err(format!("cannot run {npm}: {e}")),
            Err(_) => return Err("`npm ci` took more than 300 s".into()),
        }
    }
    Ok(Tools {
        node,
        chromium,
        dir,
    })
}

/// One run of the scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Base URL of the page (`http://127.0.0.1:PORT/`).
    pub base_url: String,
    /// The customer that logs in.
    pub customer: String,
    /// Its token.
    pub customer_token: String,
    /// The service it toggles (must be allowed to it).
    pub service: String,
    /// An operator token.
    pub operator_token: String,
    /// Where to write the operator view's screenshot.
    pub screenshot: Option<PathBuf>,
    /// Where to write the customer view's screenshot (after the change).
    pub customer_screenshot: Option<PathBuf>,
}

/// Runs the scenario; `Ok` is the JSON the script printed after `SCENARIO_RESULT `.
pub async fn run(tools: &Tools, s: &Scenario) -> Result<serde_json::Value, String> {
    let mut cmd = tokio::process::Command::new(&tools.node);
    cmd.arg("portal.spec.mjs")
        .current_dir(&tools.dir)
        .env("PORTAL_URL", &s.base_url)
        .env("PORTAL_CUSTOMER", &s.customer)
        .env("PORTAL_CUSTOMER_TOKEN", &s.customer_token)
        .env("PORTAL_SERVICE", &s.service)
        .env("PORTAL_OPERATOR_TOKEN", &s.operator_token)
        .env("CHROMIUM", &tools.chromium)
        .env(
            "PORTAL_SCREENSHOT",
            s.screenshot.as_deref().unwrap_or(Path::new("")),
        )
        .env(
            "PORTAL_CUSTOMER_SCREENSHOT",
            s.customer_screenshot.as_deref().unwrap_or(Path::new("")),
        )
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = match tokio::time::timeout(Duration::from_secs(150), cmd.output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("cannot run node: {e}")),
        Err(_) => return Err("the browser scenario took more than 150 s".into()),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "scenario exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        ));
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SCENARIO_RESULT "))
        .ok_or_else(|| format!("no SCENARIO_RESULT line\nstdout:\n{stdout}\nstderr:\n{stderr}"))?;
    serde_json::from_str(line).map_err(|e| format!("bad SCENARIO_RESULT json: {e}: {line}"))
}

/// The strings of a JSON array of the scenario's result (empty for anything else).
pub fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Skips (prints why) outside CI; fails under `CI=true`, where every tool must be installed.
pub fn skip_or_fail(reason: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("browser test cannot run under CI: {reason}");
    }
    eprintln!("SKIPPED browser test: {reason}");
}
