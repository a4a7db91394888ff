//! The portal's HTTP surface: the page, its assets and the JSON API under `/portal/api/`.
//!
//! | method | path | who | answer |
//! |---|---|---|---|
//! | GET | `/`, `/portal` | anyone | the page (login form, then the customer or operator view) |
//! | GET | `/portal/assets/{file}` | anyone | embedded CSS/JS/SVG |
//! | POST | `/portal/api/login` | anyone | body `{"token": "..."}` → session cookie + [`SessionInfo`] |
//! | POST | `/portal/api/logout` | session | ends the session (CSRF token required) |
//! | GET | `/portal/api/session` | session or bearer | [`SessionInfo`] |
//! | GET | `/portal/api/overview` | operator | [`Overview`]: chain, customers, alarms, audit log |
//! | GET | `/portal/api/customers/{name}` | operator, that customer | [`CustomerPage`] |
//! | PUT | `/portal/api/customers/{name}/services` | operator, that customer | body `{"services": [...]}` → [`ChangeResponse`] |
//!
//! Authentication: the session cookie from `login` (browsers), or `Authorization: Bearer
//! <token>` (scripts; no session, no CSRF token needed since browsers never add that header
//! on their own). `401` without valid credentials, `403` for another customer's data, an
//! operator-only page, a change without the session's `X-CSRF-Token`, or a cross-origin
//! `Origin` on a POST/PUT. Errors are `{"error": "..."}`.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::assets;
use crate::audit::{AuditEntry, AuditLog, Change, ChangeOutcome};
use crate::backend::{
    Actor, BackendError, BackendErrorKind, ChangeReport, ChangeRequest, PortalBackend,
};
use crate::config::{CpeHook, CustomerAccess, PortalConfig};
use crate::hook::{CpePush, HookOutcome};
use crate::model::{Alarm, ChainOverview, CustomerStatus};
use crate::secret::Digest;
use crate::session::{COOKIE_NAME, CSRF_HEADER, Session, Sessions, cookie_value};

/// Largest request body accepted, bytes.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Most services one change may name.
pub const MAX_SERVICES: usize = 64;
/// Audit entries the overview returns.
pub const OVERVIEW_AUDIT_ENTRIES: usize = 50;
/// Audit entries a customer page returns.
pub const CUSTOMER_AUDIT_ENTRIES: usize = 20;

/// `Content-Security-Policy` of every portal response: nothing but same-origin scripts,
/// styles and API calls.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Who may log in with which token, and what customers may change.
struct Access {
    tokens: Vec<(Digest, Actor)>,
    customers: std::collections::BTreeMap<String, CustomerAccess>,
}

impl Access {
    fn new(cfg: &PortalConfig) -> Self {
        let operators = cfg
            .operators
            .iter()
            .map(|(n, t)| (Digest::of(t.expose()), Actor::Operator(n.clone())));
        let customers = cfg
            .customers
            .iter()
            .map(|(n, a)| (Digest::of(a.token.expose()), Actor::Customer(n.clone())));
        Access {
            tokens: operators.chain(customers).collect(),
            customers: cfg.customers.clone(),
        }
    }

    /// The actor of `token`; compares against every configured token, without early exit.
    fn lookup(&self, token: &str) -> Option<Actor> {
        let given = Digest::of(token);
        let mut found = None;
        for (digest, actor) in &self.tokens {
            if digest.matches(&given) && found.is_none() {
                found = Some(actor.clone());
            }
        }
        found
    }

    /// Whether `actor` may turn `service` of `customer` on or off.
    fn may_toggle(&self, actor: &Actor, customer: &str, service: &str) -> bool {
        match actor {
            Actor::Operator(_) => true,
            Actor::Customer(own) => {
                own == customer && self.customers.get(own).is_some_and(|a| a.allows(service))
            }
        }
    }
}

/// Shared state of the portal's handlers.
struct Portal {
    backend: Arc<dyn PortalBackend>,
    access: Access,
    sessions: Sessions,
    audit: AuditLog,
    hook: Option<CpeHook>,
    /// Serialises changes, so hook deliveries reach CPEs in the order flows changed.
    change_lock: tokio::sync::Mutex<()>,
    secure_cookie: bool,
    lifetime_secs: u64,
    poll_interval_secs: u64,
}

type Shared = Arc<Portal>;

/// An error answer: status and message, as `{"error": message}`.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError(status, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> Self {
        let status = match e.kind {
            BackendErrorKind::NotFound => StatusCode::NOT_FOUND,
            BackendErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            BackendErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            BackendErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.message)
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    ApiError(r.status(), r.body_text())
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, message)
}

/// The authenticated caller of a request.
struct Caller {
    actor: Actor,
    /// The session, when authenticated by cookie (then changes need its CSRF token).
    session: Option<(String, Session)>,
}

impl Caller {
    fn require_csrf(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some((_, session)) = &self.session else {
            return Ok(()); // bearer token: not sent by browsers on their own
        };
        let given = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if session.csrf_matches(given) {
            Ok(())
        } else {
            tracing::warn!(actor = %self.actor, "portal change refused: missing or wrong CSRF token");
            Err(forbidden("missing or wrong CSRF token (X-CSRF-Token)"))
        }
    }

    fn require_operator(&self) -> Result<(), ApiError> {
        if self.actor.is_operator() {
            Ok(())
        } else {
            Err(forbidden("operators only"))
        }
    }

    fn require_access(&self, customer: &str) -> Result<(), ApiError> {
        if self.actor.may_access(customer) {
            Ok(())
        } else {
            tracing::warn!(actor = %self.actor, customer, "portal access to another customer refused");
            Err(forbidden(format!(
                "{} may not see customer {customer:?}",
                self.actor
            )))
        }
    }
}

fn session_cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| cookie_value(h, COOKIE_NAME).map(str::to_owned))
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, portal: &Shared) -> Result<Self, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or("");
            return match portal.access.lookup(token) {
                Some(actor) => Ok(Caller {
                    actor,
                    session: None,
                }),
                None => Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "wrong bearer token",
                )),
            };
        }
        let session = session_cookie_id(&parts.headers)
            .and_then(|id| portal.sessions.get(&id).map(|s| (id, s)));
        match session {
            Some((id, s)) => Ok(Caller {
                actor: s.actor.clone(),
                session: Some((id, s)),
            }),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "not logged in (or the session expired)",
            )),
        }
    }
}

/// Who is logged in (`login`, `session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The caller.
    pub actor: Actor,
    /// The value to send in `X-CSRF-Token` on changes (cookie sessions only).
    pub csrf_token: Option<String>,
    /// How often the page should poll, seconds.
    pub poll_interval_secs: u64,
}

/// The operator page's data (`GET /portal/api/overview`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Switches, layers, VMs.
    pub chain: ChainOverview,
    /// Every customer.
    pub customers: Vec<CustomerStatus>,
    /// Active alarms.
    pub alarms: Vec<Alarm>,
    /// The newest changes, newest first.
    pub audit: Vec<AuditEntry>,
    /// The CPE hook's target (`command ...`, `webhook ...`), if one is configured.
    pub cpe_hook: Option<String>,
}

/// One service on a customer page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceToggle {
    /// Service (layer) name.
    pub name: String,
    /// Whether it is on.
    pub enabled: bool,
    /// Whether the caller may turn it on or off.
    pub allowed: bool,
}

/// A customer page's data (`GET /portal/api/customers/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    /// The customer.
    pub customer: CustomerStatus,
    /// Whether services are carried in the ToS byte.
    pub tos_mode: bool,
    /// Every service of the chain, chain order.
    pub services: Vec<ServiceToggle>,
    /// The customer's newest changes, newest first.
    pub audit: Vec<AuditEntry>,
}

/// The answer to a change (`PUT /portal/api/customers/{name}/services`): `200` when every
/// switch confirmed it, `202` when pushed but not yet confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResponse {
    /// What the backend did.
    pub change: ChangeReport,
    /// The CPE hook's result, when it ran (tos mode, hook configured).
    pub hook: Option<HookOutcome>,
    /// The audit log entry's sequence number.
    pub audit_seq: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesBody {
    services: Vec<String>,
}

impl Portal {
    fn session_info(&self, actor: Actor, csrf_token: Option<String>) -> SessionInfo {
        SessionInfo {
            actor,
            csrf_token,
            poll_interval_secs: self.poll_interval_secs,
        }
    }

    fn cookie(&self, value: &str, max_age: u64) -> Result<HeaderValue, ApiError> {
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
        ))
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "bad cookie value"))
    }
}

async fn login(
    State(portal): State<Shared>,
    headers: HeaderMap,
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let Some(actor) = portal.access.lookup(&body.token) else {
        tracing::warn!("portal login refused: unknown token");
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unknown token"));
    };
    if let Some(old) = session_cookie_id(&headers) {
        portal.sessions.remove(&old);
    }
    let (id, session) = portal
        .sessions
        .create(actor.clone())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    tracing::info!(actor = %actor, "portal login");
    let cookie = portal.cookie(&id, portal.lifetime_secs)?;
    let info = portal.session_info(actor, Some(session.csrf));
    Ok(([(header::SET_COOKIE, cookie)], Json(info)).into_response())
}

async fn logout(
    State(portal): State<Shared>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require_csrf(&headers)?;
    if let Some((id, _)) = &caller.session {
        portal.sessions.remove(id);
        tracing::info!(actor = %caller.actor, "portal logout");
    }
    let cookie = portal.cookie("", 0)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

async fn session(State(portal): State<Shared>, caller: Caller) -> Json<SessionInfo> {
    let csrf = caller.session.map(|(_, s)| s.csrf);
    Json(portal.session_info(caller.actor, csrf))
}

async fn overview(
    State(portal): State<Shared>,
    caller: Caller,
) -> Result<Json<Overview>, ApiError> {
    caller.require_operator()?;
    let b = &portal.backend;
    let (chain, customers, alarms) = tokio::join!(b.overview(), b.customers(), b.alarms());
    Ok(Json(Overview {
        chain: chain?,
        customers: customers?,
        alarms: alarms?,
        audit: portal.audit.recent(None, OVERVIEW_AUDIT_ENTRIES),
        cpe_hook: portal.hook.as_ref().map(CpeHook::target),
    }))
}

fn no_customer(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no customer named {name:?}"))
}

async fn customer(
    State(portal): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<CustomerPage>, ApiError> {
    caller.require_access(&name)?;
    let b = &portal.backend;
    let (chain, status) = tokio::join!(b.overview(), b.customer(name.clone()));
    let chain = chain?;
    let status = status?.ok_or_else(|| no_customer(&name))?;
    let services = chain
        .layers
        .iter()
        .map(|l| ServiceToggle {
            name: l.name.clone(),
            enabled: status.services.contains(&l.name),
            allowed: portal.access.may_toggle(&caller.actor, &name, &l.name),
        })
        .collect();
    Ok(Json(CustomerPage {
        tos_mode: chain.tos_mode,
        services,
        audit: portal.audit.recent(Some(&name), CUSTOMER_AUDIT_ENTRIES),
        customer: status,
    }))
}

/// Checks the requested set's shape: bounded, no empty or repeated names.
fn check_requested(services: &[String]) -> Result<(), ApiError> {
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, m);
    if services.len() > MAX_SERVICES {
        return Err(invalid(format!(
            "at most {MAX_SERVICES} services, found {}",
            services.len()
        )));
    }
    let mut seen = BTreeSet::new();
    for (i, s) in services.iter().enumerate() {
        if s.is_empty() {
            return Err(invalid(format!("services[{i}]: empty name")));
        }
        if !seen.insert(s) {
            return Err(invalid(format!("services[{i}]: {s:?} listed twice")));
        }
    }
    Ok(())
}

async fn put_services(
    State(portal): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Json<ServicesBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require_csrf(&headers)?;
    caller.require_access(&name)?;
    let Json(ServicesBody { services: wanted }) = body.map_err(json_rejection)?;
    check_requested(&wanted)?;

    let _one_at_a_time = portal.change_lock.lock().await;
    let b = &portal.backend;
    let (chain, current) = tokio::join!(b.overview(), b.customer(name.clone()));
    let catalogue = chain?.catalogue();
    let current = current?.ok_or_else(|| no_customer(&name))?;
    if let Some(unknown) = wanted.iter().find(|s| !catalogue.contains(s)) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "unknown service {unknown:?} (services: {})",
                catalogue.join(", ")
            ),
        ));
    }
    let toggled = catalogue
        .iter()
        .filter(|s| wanted.contains(s) != current.services.contains(s));
    for s in toggled {
        if !portal.access.may_toggle(&caller.actor, &name, s) {
            tracing::warn!(actor = %caller.actor, customer = %name, service = %s,
                "portal change refused: service not allowed");
            return Err(forbidden(format!(
                "{} may not turn service {s:?} on or off",
                caller.actor
            )));
        }
    }

    let request = ChangeRequest {
        customer: name.clone(),
        services: wanted.clone(),
        actor: caller.actor.clone(),
    };
    let report = match b.set_services(request).await {
        Ok(r) => r,
        Err(e) => {
            portal.audit.record(Change {
                actor: caller.actor,
                customer: name,
                old_services: current.services,
                new_services: wanted,
                tos: None,
                outcome: ChangeOutcome::Failed(e.message.clone()),
                hook: None,
            });
            return Err(e.into());
        }
    };
    // The flows already carry the new set; a failed hook is reported, not rolled back.
    let hook = match (&portal.hook, report.tos) {
        (Some(h), Some(tos)) => Some(
            h.run(&CpePush {
                customer: name.clone(),
                tos,
                services: report.new_services.clone(),
                actor: caller.actor.to_string(),
            })
            .await,
        ),
        _ => None,
    };
    let entry = portal.audit.record(Change {
        actor: caller.actor,
        customer: name,
        old_services: report.old_services.clone(),
        new_services: report.new_services.clone(),
        tos: report.tos,
        outcome: if report.confirmed {
            ChangeOutcome::Applied
        } else {
            ChangeOutcome::Pending
        },
        hook: hook.clone(),
    });
    let status = if report.confirmed {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let body = ChangeResponse {
        change: report,
        hook,
        audit_seq: entry.seq,
    };
    Ok((status, Json(body)).into_response())
}

async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such portal API endpoint")
}

/// Refuses POST/PUT/DELETE/PATCH whose `Origin` is not this server (defence in depth beside
/// `SameSite=Strict` and the CSRF token).
async fn same_origin(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| req.uri().authority().map(|a| a.as_str()));
            let origin_host = origin.to_str().ok().and_then(|o| {
                o.strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"))
            });
            let same =
                matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h));
            if !same {
                tracing::warn!(origin = ?origin, host = ?host, "portal request refused: cross-origin");
                return forbidden("cross-origin request refused").into_response();
            }
        }
    }
    next.run(req).await
}

/// Security headers on every portal response; API answers are never cached.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/portal/api/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Builds the router; see [`crate::router`].
pub(crate) fn build(backend: Arc<dyn PortalBackend>, cfg: &PortalConfig) -> Router {
    let portal: Shared = Arc::new(Portal {
        backend,
        access: Access::new(cfg),
        sessions: Sessions::new(&cfg.session),
        audit: AuditLog::new(cfg.audit_capacity),
        hook: cfg.cpe_hook.clone(),
        change_lock: tokio::sync::Mutex::new(()),
        secure_cookie: cfg.session.secure_cookie,
        lifetime_secs: cfg.session.lifetime_secs,
        poll_interval_secs: cfg.poll_interval_secs,
    });
    Router::new()
        .route("/", get(assets::index))
        .route("/portal", get(assets::index))
        .route("/portal/assets/{file}", get(assets::asset))
        .route("/portal/api/login", post(login))
        .route("/portal/api/logout", post(logout))
        .route("/portal/api/session", get(session))
        .route("/portal/api/overview", get(overview))
        .route("/portal/api/customers/{name}", get(customer))
        .route("/portal/api/customers/{name}/services", put(put_services))
        .route("/portal/api/{*rest}", any(api_not_found))
        .layer(middleware::from_fn(same_origin))
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(portal)
}
