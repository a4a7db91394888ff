//! The web portal on the controller's REST port, in-process on ephemeral ports: the page and
//! the portal's JSON API are served without the API's bearer token, `/api/*` keeps it; a
//! customer's change goes through the core; logins come from `[portal]` or, without it, the
//! API token.

use std::net::SocketAddr;
use std::time::Duration;

use flowfall_controller::runtime::{Running, Runtime};
use flowfall_controller::settings::Settings;
use flowfall_topology::Topology;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LAB: &str = include_str!("../../../examples/configs/lab.toml");
const API_TOKEN: &str = "api-token-0123456789";
const OPERATOR: &str = "op-noc-0123456789abcdef";
const ALPHA: &str = "cu-alpha-0123456789abcdef";

fn settings(extra: &str) -> Settings {
    let text =
        format!("[openflow]\nlisten = \"127.0.0.1:0\"\n[api]\nlisten = \"127.0.0.1:0\"\n{extra}");
    Settings::from_toml_str(&text).unwrap()
}

fn with_portal(api_token: bool) -> Settings {
    let token = if api_token {
        format!("token = \"{API_TOKEN}\"\n")
    } else {
        String::new()
    };
    settings(&format!(
        "{token}[portal]\npoll_interval_secs = 1\n[portal.operators]\nnoc = \"{OPERATOR}\"\n\
         [portal.customers.alpha]\ntoken = \"{ALPHA}\"\nallowed_services = [\"firewall\"]\n"
    ))
}

async fn start(settings: Settings) -> Running {
    Runtime::new(settings, Topology::from_toml_str(LAB).unwrap())
        .start()
        .await
        .unwrap()
}

/// An HTTP answer.
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// A minimal HTTP/1.1 client: `headers` as `Name: value` lines.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[String],
    body: Option<&str>,
) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Answer {
        status: head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn bearer(token: &str) -> Vec<String> {
    vec![format!("Authorization: Bearer {token}")]
}

#[tokio::test]
async fn the_portal_is_served_beside_the_api_and_a_customer_change_reaches_the_core() {
    let running = start(with_portal(true)).await;
    let addr = running.api_addr().unwrap();
    let handle = running.handle();

    // The page needs no token; the API still does.
    let page = http(addr, "GET", "/", &[], None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<html"), "{}", page.body);
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("default-src 'none'"))
    );
    assert_eq!(
        http(addr, "GET", "/api/switches", &[], None).await.status,
        401
    );
    assert_eq!(
        http(addr, "GET", "/api/switches", &bearer(API_TOKEN), None)
            .await
            .status,
        200
    );
    // With a [portal] section the API token is no portal login.
    let login = format!("{{\"token\": \"{API_TOKEN}\"}}");
    let refused = http(addr, "POST", "/portal/api/login", &[], Some(&login)).await;
    assert_eq!(refused.status, 401);

    // The operator sees the chain as the controller knows it.
    let overview = http(addr, "GET", "/portal/api/overview", &bearer(OPERATOR), None).await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    let o = overview.json();
    assert_eq!(o["chain"]["name"], "lab");
    assert_eq!(o["chain"]["tos_mode"], true);
    assert_eq!(o["chain"]["switches"].as_array().map(Vec::len), Some(3));
    assert_eq!(o["chain"]["layers"][1]["vms"][0]["name"], "ids-1");
    assert_eq!(o["customers"].as_array().map(Vec::len), Some(4));
    assert_eq!(o["alarms"], Value::Array(Vec::new()));

    // The customer logs in with a cookie; a change needs its CSRF token.
    let login = format!("{{\"token\": \"{ALPHA}\"}}");
    let session = http(addr, "POST", "/portal/api/login", &[], Some(&login)).await;
    assert_eq!(session.status, 200, "{}", session.body);
    let cookie = session
        .header("set-cookie")
        .and_then(|c| c.split(';').next().map(str::to_string))
        .unwrap();
    let csrf = session.json()["csrf_token"].as_str().unwrap().to_string();
    let put = "/portal/api/customers/alpha/services";
    let body = Some(r#"{"services": ["firewall"]}"#);
    let no_csrf = http(addr, "PUT", put, &[format!("Cookie: {cookie}")], body).await;
    assert_eq!(no_csrf.status, 403);
    let headers = [format!("Cookie: {cookie}"), format!("X-CSRF-Token: {csrf}")];
    let other = http(
        addr,
        "PUT",
        "/portal/api/customers/bravo/services",
        &headers,
        Some(r#"{"services": []}"#),
    )
    .await;
    assert_eq!(other.status, 403, "another customer");
    let locked = http(addr, "PUT", put, &headers, Some(r#"{"services": ["ids"]}"#)).await;
    assert_eq!(locked.status, 403, "ids is not alpha's to change");
    let changed = http(addr, "PUT", put, &headers, body).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let c = changed.json();
    assert_eq!(c["change"]["old_services"], serde_json::json!([]));
    assert_eq!(c["change"]["new_services"], serde_json::json!(["firewall"]));
    assert_eq!(c["change"]["tos"], 4, "DSCP 1");
    assert_eq!(c["change"]["confirmed"], true);

    // The core has it, and alpha's traffic now crosses a firewall VM.
    let services = handle
        .call(|c, _| c.customer_view("alpha").map(|v| v.services))
        .await
        .unwrap();
    assert_eq!(services, Some(vec!["firewall".to_string()]));
    let page = http(addr, "GET", "/portal/api/customers/alpha", &headers, None).await;
    let p = page.json();
    assert_eq!(p["customer"]["paths"][0]["upstream"][0]["via"], "vm");
    assert_eq!(p["customer"]["paths"][0]["downstream"][1]["via"], "vm");
    assert_eq!(p["audit"][0]["actor"]["name"], "alpha");
    running.shutdown().await;
}

#[tokio::test]
async fn without_a_portal_section_the_api_token_logs_in_as_operator() {
    let running = start(settings(&format!("token = \"{API_TOKEN}\"\n"))).await;
    let addr = running.api_addr().unwrap();
    let login = format!("{{\"token\": \"{API_TOKEN}\"}}");
    let session = http(addr, "POST", "/portal/api/login", &[], Some(&login)).await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert_eq!(
        session.json()["actor"],
        serde_json::json!({"role": "operator", "name": "api"})
    );
    running.shutdown().await;

    // A token too short for a portal login: the API alone.
    let running = start(settings("token = \"short\"\n")).await;
    let addr = running.api_addr().unwrap();
    assert_ne!(http(addr, "GET", "/", &[], None).await.status, 200);
    assert_eq!(
        http(addr, "GET", "/api/vms", &bearer("short"), None)
            .await
            .status,
        200
    );
    running.shutdown().await;

    // Switched off.
    let running = start(settings(&format!(
        "token = \"{API_TOKEN}\"\nportal = false\n"
    )))
    .await;
    let addr = running.api_addr().unwrap();
    assert_ne!(http(addr, "GET", "/", &[], None).await.status, 200);
    running.shutdown().await;
}

#[tokio::test]
async fn a_portal_without_an_api_token_serves_the_portal_only() {
    let running = start(with_portal(false)).await;
    let addr = running.api_addr().unwrap();
    assert_eq!(http(addr, "GET", "/", &[], None).await.status, 200);
    assert_eq!(
        http(addr, "GET", "/api/switches", &bearer(OPERATOR), None)
            .await
            .status,
        404
    );
    assert_eq!(
        http(addr, "GET", "/portal/api/overview", &bearer(OPERATOR), None)
            .await
            .status,
        200
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_portal_section_that_does_not_fit_the_topology_stops_the_start() {
    let s = settings(
        "[portal.customers.zulu]\ntoken = \"cu-zulu-0123456789abcdef\"\n\
         [portal.customers.alpha]\ntoken = \"cu-alpha-0123456789abcdef\"\nallowed_services = [\"dpi\"]\n",
    );
    let err = Runtime::new(s, Topology::from_toml_str(LAB).unwrap())
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("portal.customers.alpha.allowed_services[0]: \"dpi\" is not a layer"),
        "{text}"
    );
    assert!(
        text.contains("portal.customers.zulu: no customer of that name"),
        "{text}"
    );
}
