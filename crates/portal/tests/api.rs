//! The portal router end to end, in process (tower `oneshot`), over the demo backend.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use flowfall_portal::demo::DemoBackend;
use flowfall_portal::{
    Actor, BackendError, BackendErrorKind, BoxFuture, ChainOverview, ChangeReport, ChangeRequest,
    CustomerStatus, PortalBackend, PortalConfig, router,
};
use serde_json::{Value, json};
use tower::ServiceExt as _;

const OPERATOR: &str = "op-0123456789abcdef";
const EX01: &str = "cu-ex01-0123456789";
const EX03: &str = "cu-ex03-0123456789";

fn config(extra: &str) -> PortalConfig {
    let text = format!(
        r#"
[operators]
noc = "{OPERATOR}"
[customers.exhibitor01]
token = "{EX01}"
allowed_services = ["analysis", "ddos"]
[customers.exhibitor03]
token = "{EX03}"
{extra}
"#
    );
    match PortalConfig::from_toml_str(&text) {
        Ok(c) => c,
        Err(e) => panic!("test config: {e}"),
    }
}

fn app_with(backend: Arc<dyn PortalBackend>, cfg: PortalConfig) -> Router {
    match router(backend, cfg) {
        Ok(r) => r,
        Err(e) => panic!("router: {e}"),
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

async fn send(app: &Router, req: Request<Body>) -> Reply {
    let response = match app.clone().oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        json,
    }
}

fn request(method: &str, uri: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

fn json_body(v: &Value) -> Body {
    Body::from(v.to_string())
}

/// A browser session: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn login_reply(app: &Router, token: &str) -> Reply {
    send(
        app,
        request("POST", "/portal/api/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(json_body(&json!({ "token": token })))
            .unwrap_or_default(),
    )
    .await
}

impl Reply {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn login(app: &Router, token: &str) -> Browser {
    let r = login_reply(app, token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let set_cookie = r.header(header::SET_COOKIE);
    let cookie = set_cookie.split(';').next().unwrap_or("").to_owned();
    let csrf = r.json["csrf_token"].as_str().unwrap_or("").to_owned();
    assert!(
        !cookie.is_empty() && csrf.len() == 64,
        "{set_cookie} {}",
        r.json
    );
    Browser { cookie, csrf }
}

fn bearer_get(token: &str, uri: &str) -> Request<Body> {
    request("GET", uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap_or_default()
}

impl Browser {
    fn get(&self, uri: &str) -> Request<Body> {
        request("GET", uri)
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap_or_default()
    }

    fn put_services(&self, customer: &str, services: &[&str], csrf: Option<&str>) -> Request<Body> {
        let mut b = request("PUT", &format!("/portal/api/customers/{customer}/services"))
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = csrf {
            b = b.header("X-CSRF-Token", t);
        }
        b.body(json_body(&json!({ "services": services })))
            .unwrap_or_default()
    }
}

fn bearer_put(token: &str, customer: &str, services: &[&str]) -> Request<Body> {
    request("PUT", &format!("/portal/api/customers/{customer}/services"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(json_body(&json!({ "services": services })))
        .unwrap_or_default()
}

#[tokio::test]
async fn no_credentials_or_a_wrong_token_is_401() {
    let app = app_with(Arc::new(DemoBackend::shownet()), config(""));
    for uri in [
        "/portal/api/session",
        "/portal/api/overview",
        "/portal/api/customers/exhibitor01",
    ] {
        let r = send(
            &app,
            request("GET", uri).body(Body::empty()).unwrap_or_default(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(r.json["error"].is_string());
    }
    let r = login_reply(&app, "cu-ex01-012345678X").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header(header::SET_COOKIE), "");
    let r = send(
        &app,
        bearer_get("nope-nope-nope-nope", "/portal/api/overview"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header(header::WWW_AUTHENTICATE), "Bearer");
}

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie() {
    let app = app_with(Arc::new(DemoBackend::shownet()), config(""));
    let r = login_reply(&app, EX01).await;
    let cookie = r.header(header::SET_COOKIE);
    for attr in [
        "flowfall_portal=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(
        !cookie.contains("Secure"),
        "secure_cookie defaults to false"
    );
    assert_eq!(
        r.json["actor"],
        json!({"role": "customer", "name": "exhibitor01"})
    );
    assert_eq!(r.json["poll_interval_secs"], json!(5));

    let app = app_with(
        Arc::new(DemoBackend::shownet()),
        config("[session]\nsecure_cookie = true\n"),
    );
    let r = login_reply(&app, OPERATOR).await;
    let cookie = r.header(header::SET_COOKIE);
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

#[tokio::test]
async fn customers_see_only_their_own_customer() {
    let app = app_with(Arc::new(DemoBackend::shownet()), config(""));
    let ex01 = login(&app, EX01).await;
    let own = send(&app, ex01.get("/portal/api/customers/exhibitor01")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json["customer"]["name"], "exhibitor01");
    assert_eq!(own.json["tos_mode"], true);
    assert_eq!(
        own.json["services"],
        json!([
            {"name": "analysis", "enabled": false, "allowed": true},
            {"name": "firewall", "enabled": true, "allowed": false},
            {"name": "ddos", "enabled": false, "allowed": true},
        ])
    );
    let other = send(&app, ex01.get("/portal/api/customers/exhibitor02")).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let overview = send(&app, ex01.get("/portal/api/overview")).await;
    assert_eq!(overview.status, StatusCode::FORBIDDEN);
    let put = send(
        &app,
        ex01.put_services("exhibitor03", &[], Some(&ex01.csrf)),
    )
    .await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);

    let op = login(&app, OPERATOR).await;
    let any = send(&app, op.get("/portal/api/customers/exhibitor02")).await;
    assert_eq!(any.status, StatusCode::OK);
    assert!(
        any.json["services"]
            .as_array()
            .is_some_and(|s| s.iter().all(|t| t["allowed"] == true))
    );
    let ov = send(&app, op.get("/portal/api/overview")).await;
    assert_eq!(ov.status, StatusCode::OK);
    assert_eq!(ov.json["chain"]["layers"].as_array().map(Vec::len), Some(3));
    assert_eq!(ov.json["customers"].as_array().map(Vec::len), Some(3));
    assert_eq!(ov.json["alarms"][0]["source"], "vm fw-2");
    let missing = send(&app, op.get("/portal/api/customers/nobody")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_change_needs_the_sessions_csrf_token() {
    let backend = Arc::new(DemoBackend::shownet());
    let app = app_with(backend.clone(), config(""));
    let ex01 = login(&app, EX01).await;
    let other = login(&app, EX01).await;
    for csrf in [None, Some(""), Some(other.csrf.as_str())] {
        let r = send(
            &app,
            ex01.put_services("exhibitor01", &["firewall", "ddos"], csrf),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert!(r.json["error"].as_str().is_some_and(|e| e.contains("CSRF")));
    }
    assert!(backend.changes().is_empty(), "nothing reached the backend");
    let logout = request("POST", "/portal/api/logout")
        .header(header::COOKIE, &ex01.cookie)
        .body(Body::empty())
        .unwrap_or_default();
    assert_eq!(send(&app, logout).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_customer_change_reaches_the_backend_with_its_actor_and_is_audited() {
    let backend = Arc::new(DemoBackend::shownet());
    let app = app_with(backend.clone(), config(""));
    let ex01 = login(&app, EX01).await;
    let r = send(
        &app,
        ex01.put_services("exhibitor01", &["firewall", "ddos"], Some(&ex01.csrf)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["change"]["old_services"], json!(["firewall"]));
    assert_eq!(
        r.json["change"]["new_services"],
        json!(["firewall", "ddos"])
    );
    assert_eq!(r.json["change"]["tos"], json!(0x30));
    assert_eq!(r.json["hook"], Value::Null);
    assert_eq!(
        backend.changes(),
        vec![ChangeRequest {
            customer: "exhibitor01".into(),
            services: vec!["firewall".into(), "ddos".into()],
            actor: Actor::Customer("exhibitor01".into()),
        }]
    );

    let op = login(&app, OPERATOR).await;
    let ov = send(&app, op.get("/portal/api/overview")).await;
    let entry = &ov.json["audit"][0];
    assert_eq!(entry["seq"], 1);
    assert_eq!(
        entry["actor"],
        json!({"role": "customer", "name": "exhibitor01"})
    );
    assert_eq!(entry["customer"], "exhibitor01");
    assert_eq!(entry["old_services"], json!(["firewall"]));
    assert_eq!(entry["new_services"], json!(["firewall", "ddos"]));
    assert_eq!(entry["outcome"], json!({"status": "applied"}));
    let page = send(&app, ex01.get("/portal/api/customers/exhibitor01")).await;
    assert_eq!(page.json["audit"][0]["seq"], 1);
    assert_eq!(
        page.json["customer"]["services"],
        json!(["firewall", "ddos"])
    );
}

#[tokio::test]
async fn customers_toggle_only_allowed_services_operators_anything() {
    let backend = Arc::new(DemoBackend::shownet());
    let app = app_with(backend.clone(), config(""));
    let ex01 = login(&app, EX01).await;
    // firewall is not exhibitor01's to change: turning it off is refused...
    let r = send(
        &app,
        ex01.put_services("exhibitor01", &["ddos"], Some(&ex01.csrf)),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("\"firewall\""))
    );
    assert!(backend.changes().is_empty());
    // ... and an operator may.
    let r = send(&app, bearer_put(OPERATOR, "exhibitor01", &["ddos"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(
        backend.changes().last().map(|c| c.actor.clone()),
        Some(Actor::Operator("noc".into()))
    );
    // A customer bearer token works for scripts, without CSRF, still scoped.
    let r = send(&app, bearer_put(EX03, "exhibitor03", &["analysis"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let r = send(&app, bearer_put(EX03, "exhibitor01", &[])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(backend.changes().len(), 2);
}

#[tokio::test]
async fn malformed_changes_are_refused_before_the_backend() {
    let backend = Arc::new(DemoBackend::shownet());
    let app = app_with(backend.clone(), config(""));
    for (services, status) in [
        (vec!["nat"], StatusCode::UNPROCESSABLE_ENTITY),
        (vec!["ddos", "ddos"], StatusCode::UNPROCESSABLE_ENTITY),
        (vec![""], StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = send(&app, bearer_put(OPERATOR, "exhibitor03", &services)).await;
        assert_eq!(r.status, status, "{services:?}: {}", r.json);
    }
    let too_many: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
    let refs: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let r = send(&app, bearer_put(OPERATOR, "exhibitor03", &refs)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = send(&app, bearer_put(OPERATOR, "nobody", &[])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let raw_put = |body: String| {
        request("PUT", "/portal/api/customers/exhibitor03/services")
            .header(header::AUTHORIZATION, format!("Bearer {OPERATOR}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap_or_default()
    };
    let r = send(&app, raw_put("{\"services\": 7}".into())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json["error"].is_string());
    let huge = format!("{{\"services\": [\"{}\"]}}", "x".repeat(20_000));
    assert_eq!(
        send(&app, raw_put(huge)).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert!(backend.changes().is_empty());
}

#[tokio::test]
async fn cross_origin_changes_are_refused() {
    let backend = Arc::new(DemoBackend::shownet());
    let app = app_with(backend.clone(), config(""));
    let ex03 = login(&app, EX03).await;
    let with_origin = |origin: &str| {
        let mut req = ex03.put_services("exhibitor03", &["ddos"], Some(&ex03.csrf));
        let h = req.headers_mut();
        h.insert(
            header::HOST,
            "portal.example:8080"
                .parse()
                .unwrap_or(header::HeaderValue::from_static("")),
        );
        h.insert(
            header::ORIGIN,
            origin
                .parse()
                .unwrap_or(header::HeaderValue::from_static("")),
        );
        req
    };
    for evil in ["http://evil.example", "null", "http://portal.example:8081"] {
        assert_eq!(
            send(&app, with_origin(evil)).await.status,
            StatusCode::FORBIDDEN,
            "{evil}"
        );
    }
    assert!(backend.changes().is_empty());
    assert_eq!(
        send(&app, with_origin("http://portal.example:8080"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = app_with(Arc::new(DemoBackend::shownet()), config(""));
    let ex03 = login(&app, EX03).await;
    assert_eq!(
        send(&app, ex03.get("/portal/api/session")).await.status,
        StatusCode::OK
    );
    let r = send(
        &app,
        request("POST", "/portal/api/logout")
            .header(header::COOKIE, &ex03.cookie)
            .header("X-CSRF-Token", &ex03.csrf)
            .body(Body::empty())
            .unwrap_or_default(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.header(header::SET_COOKIE).contains("Max-Age=0"));
    assert_eq!(
        send(&app, ex03.get("/portal/api/session")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn pages_and_answers_carry_security_headers() {
    let app = app_with(Arc::new(DemoBackend::shownet()), config(""));
    let get = |uri: &str| request("GET", uri).body(Body::empty()).unwrap_or_default();
    let page = send(&app, get("/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header(header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    let csp = page.header(header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    for (asset, ct) in [
        ("portal.js", "text/javascript; charset=utf-8"),
        ("chain.js", "text/javascript; charset=utf-8"),
        ("portal.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let r = send(&app, get(&format!("/portal/assets/{asset}"))).await;
        assert_eq!(r.status, StatusCode::OK, "{asset}");
        assert_eq!(r.header(header::CONTENT_TYPE), ct);
    }
    let api = send(&app, get("/portal/api/session")).await;
    assert_eq!(api.header(header::CACHE_CONTROL), "no-store");
    let unknown = send(&app, get("/portal/api/flows")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.json["error"].is_string());
}

/// The demo backend, except that changes fail.
struct Refusing(DemoBackend);

impl PortalBackend for Refusing {
    fn overview(&self) -> BoxFuture<'_, Result<ChainOverview, BackendError>> {
        self.0.overview()
    }
    fn customers(&self) -> BoxFuture<'_, Result<Vec<CustomerStatus>, BackendError>> {
        self.0.customers()
    }
    fn alarms(&self) -> BoxFuture<'_, Result<Vec<flowfall_portal::Alarm>, BackendError>> {
        self.0.alarms()
    }
    fn set_services(&self, _: ChangeRequest) -> BoxFuture<'_, Result<ChangeReport, BackendError>> {
        Box::pin(async {
            Err(BackendError::new(
                BackendErrorKind::Unavailable,
                "controller is shutting down",
            ))
        })
    }
}

#[tokio::test]
async fn backend_failures_are_answered_and_audited() {
    let app = app_with(Arc::new(Refusing(DemoBackend::shownet())), config(""));
    let r = send(&app, bearer_put(EX03, "exhibitor03", &["ddos"])).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json["error"], "controller is shutting down");
    let ov = send(&app, bearer_get(OPERATOR, "/portal/api/overview")).await;
    assert_eq!(
        ov.json["audit"][0]["outcome"],
        json!({"status": "failed", "message": "controller is shutting down"})
    );
    assert_eq!(ov.json["audit"][0]["new_services"], json!(["ddos"]));
}

#[tokio::test]
async fn the_cpe_hook_gets_the_new_tos_and_its_failure_keeps_the_change() {
    let dir = std::env::temp_dir().join(format!("flowfall-portal-hook-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let out = dir.join("pushed");
    let hook = format!(
        "[cpe_hook]\nkind = \"command\"\nprogram = \"/bin/sh\"\nargs = [\"-c\", \"echo $1=$2 >> {}; echo pushed $2\", \"sh\", \"{{customer}}\", \"{{tos_hex}}\"]\n",
        out.display()
    );
    let backend = Arc::new(DemoBackend::shownet());
    let app = app_with(backend.clone(), config(&hook));
    let r = send(&app, bearer_put(EX03, "exhibitor03", &["analysis", "ddos"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["hook"]["ok"], true);
    assert_eq!(r.json["hook"]["detail"], "pushed 0x28");
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(written, "exhibitor03=0x28\n");

    let failing = "[cpe_hook]\nkind = \"command\"\nprogram = \"/bin/sh\"\nargs = [\"-c\", \"echo NETCONF session refused >&2; exit 1\"]\n";
    let backend = Arc::new(DemoBackend::shownet());
    let app = app_with(backend.clone(), config(failing));
    let r = send(&app, bearer_put(EX03, "exhibitor03", &["ddos"])).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the flow change stands: {}",
        r.json
    );
    assert_eq!(r.json["hook"]["ok"], false);
    assert!(
        r.json["hook"]["detail"]
            .as_str()
            .is_some_and(|d| d.ends_with("NETCONF session refused"))
    );
    assert_eq!(backend.changes().len(), 1);
    let ov = send(&app, bearer_get(OPERATOR, "/portal/api/overview")).await;
    assert_eq!(ov.json["audit"][0]["hook"]["ok"], false);
    assert_eq!(ov.json["audit"][0]["outcome"], json!({"status": "applied"}));
    assert!(
        ov.json["cpe_hook"]
            .as_str()
            .is_some_and(|t| t == "command /bin/sh")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_config_builds_no_router() {
    let cfg = PortalConfig {
        poll_interval_secs: 0,
        ..config("")
    };
    let Err(e) = router(Arc::new(DemoBackend::shownet()), cfg) else {
        panic!("must be refused");
    };
    assert_eq!(
        e.to_string(),
        "poll_interval_secs: expected 1..=3600, found 0"
    );
}
