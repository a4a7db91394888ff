//! The portal in a real browser: headless Debian Chromium, driven by playwright-core
//! (`tests/browser/portal.spec.mjs`), against the router served on 127.0.0.1 over the demo
//! backend. A customer logs in, toggles a service and applies; the test checks the backend
//! received exactly that change from that customer and that the customer's path changed;
//! then an operator logs in. The scenario writes screenshots of both views into
//! `$FLOWFALL_PORTAL_SCREENSHOTS` when it is set (e.g. `docs/img` to refresh the demo
//! pictures), else into the temp directory, so a normal test run rewrites no tracked file.
//! (The README's operator view comes from the real controller: `tests/portal_e2e.rs`.)
//!
//! Skipped with a printed reason when node or Chromium is missing; fails instead under
//! `CI=true`. playwright-core is installed with `npm ci` from the committed lock file when
//! `tests/browser/node_modules` lacks it.

#[path = "browser/harness.rs"]
mod harness;

use std::path::PathBuf;
use std::sync::Arc;

use flowfall_portal::demo::DemoBackend;
use flowfall_portal::{Actor, PortalBackend, PortalConfig, Via, router};
use harness::strings;

const OPERATOR_TOKEN: &str = "op-browser-0123456789";
const CUSTOMER_TOKEN: &str = "cu-browser-0123456789";

/// Where screenshot `name` goes: `$FLOWFALL_PORTAL_SCREENSHOTS/name` if set, else the temp
/// directory (named after this test, so the controller's browser test does not collide).
fn screenshot_path(name: &str) -> PathBuf {
    match std::env::var_os("FLOWFALL_PORTAL_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir).join(name),
        None => std::env::temp_dir().join(format!("flowfall-demo-{name}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_changes_a_service_in_chromium_and_the_backend_gets_it() {
    let tools = match harness::find_tools().await {
        Ok(t) => t,
        Err(reason) => {
            harness::skip_or_fail(&reason);
            return;
        }
    };
    let cfg = PortalConfig::from_toml_str(&format!(
        r#"
poll_interval_secs = 2
[operators]
noc = "{OPERATOR_TOKEN}"
[customers.exhibitor01]
token = "{CUSTOMER_TOKEN}"
allowed_services = ["analysis", "ddos"]
"#
    ));
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => panic!("config: {e}"),
    };
    let backend = Arc::new(DemoBackend::shownet());
    let app = match router(backend.clone(), cfg) {
        Ok(a) => a,
        Err(e) => panic!("router: {e}"),
    };
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind 127.0.0.1:0: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("local addr: {e}"),
    };
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let screenshot = screenshot_path("portal-operator.png");
    let customer_screenshot = screenshot_path("portal-customer.png");
    let _ = std::fs::remove_file(&screenshot);
    let _ = std::fs::remove_file(&customer_screenshot);
    let scenario = harness::Scenario {
        base_url: format!("http://{addr}/"),
        customer: "exhibitor01".into(),
        customer_token: CUSTOMER_TOKEN.into(),
        service: "ddos".into(),
        operator_token: OPERATOR_TOKEN.into(),
        screenshot: Some(screenshot.clone()),
        customer_screenshot: Some(customer_screenshot.clone()),
    };
    let result = harness::run(&tools, &scenario).await;
    server.abort();
    let result = match result {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };

    // What the customer saw: firewall locked by the operator, ddos off then on.
    assert_eq!(strings(&result["lockedServices"]), ["firewall"]);
    assert_eq!(strings(&result["servicesBefore"]), ["firewall"]);
    assert_eq!(strings(&result["servicesAfter"]), ["firewall", "ddos"]);
    let status = result["statusText"].as_str().unwrap_or("");
    assert!(
        status.starts_with("Applied: firewall, ddos on, ToS 0x30"),
        "{status}"
    );

    // What the backend got: exactly this change, from this customer.
    let changes = backend.changes();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].actor, Actor::Customer("exhibitor01".into()));
    assert_eq!(changes[0].customer, "exhibitor01");
    let mut got = changes[0].services.clone();
    got.sort();
    assert_eq!(got, ["ddos", "firewall"]);

    // The customer's traffic now crosses the DDoS box both ways, and the page said so.
    let now = backend.customer("exhibitor01".into()).await;
    let Ok(Some(now)) = now else {
        panic!("exhibitor01 vanished: {now:?}");
    };
    let tps = Via::Vm {
        vm: "tps-1".into(),
        hypervisor: "a10-tps".into(),
    };
    for p in &now.paths {
        assert!(p.upstream.iter().any(|h| h.layer == "ddos" && h.via == tps));
        assert!(
            p.downstream
                .iter()
                .any(|h| h.layer == "ddos" && h.via == tps)
        );
    }
    let rows = result["pathRows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2 * now.paths.len(), "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| strings(r).last().is_some_and(|c| c == "tps-1 (a10-tps)")),
        "{rows:?}"
    );

    // The operator view drew the chain, highlighted the customer's VMs and logged the change.
    assert_eq!(result["vmBoxes"], 6);
    let highlighted = strings(&result["highlighted"]);
    assert!(highlighted.contains(&"tps-1".to_owned()), "{highlighted:?}");
    assert!(
        highlighted.iter().any(|v| v.starts_with("fw-")),
        "{highlighted:?}"
    );
    let audit = strings(&result["auditFirst"]);
    assert_eq!(
        audit.get(2).map(String::as_str),
        Some("customer exhibitor01"),
        "{audit:?}"
    );
    assert_eq!(
        audit.get(5).map(String::as_str),
        Some("firewall, ddos"),
        "{audit:?}"
    );

    for shot in [&screenshot, &customer_screenshot] {
        let png = std::fs::read(shot).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "no PNG at {}",
            shot.display()
        );
        assert!(
            png.len() > 20_000,
            "small screenshot {} ({} bytes)",
            shot.display(),
            png.len()
        );
        eprintln!("screenshot: {}", shot.display());
    }
}
