//! The REST API and the Prometheus endpoint (axum), on their own listen address.
//!
//! Every request must carry `Authorization: Bearer <token>`; a missing or wrong token gets
//! `401 Unauthorized` with `WWW-Authenticate: Bearer`. Bodies are JSON.
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/api/switches` | [`SwitchView`](crate::core::views::SwitchView) list |
//! | GET | `/api/switches/{name}/flows` | [`FlowsView`](crate::core::views::FlowsView) |
//! | GET | `/api/customers` | [`CustomerView`](crate::core::views::CustomerView) list |
//! | GET | `/api/customers/{name}` | one customer |
//! | PUT | `/api/customers/{name}/services` | body `["firewall", "ids"]` (or `{"services": [...]}`): recompile, push the waypoint-safe diff; `200` once every connected switch confirmed it, `202` if that took longer than the wait |
//! | GET | `/api/customers/{name}/path` | [`PathView`](crate::core::views::PathView) |
//! | GET | `/api/vms` | [`VmView`](crate::core::views::VmView) list: liveness, probe state, RTT, loss, load |
//! | PUT | `/api/vms/{name}/live` | body `true` / `false` (or `{"live": b}`): administrative liveness |
//! | GET | `/api/health` | [`HealthView`](crate::core::health::HealthView): failovers, recoveries, unproven VMs, empty layers, pins, dead links, alarms at a glance |
//! | GET | `/api/layers` | [`LayerView`](crate::core::pins::LayerView) list: live VMs per layer, `dropping` / `bypassing` without any |
//! | GET | `/api/pins` | [`PinView`](crate::core::pins::PinView) list: customer prefixes kept on a VM above the hash (failover, balance) |
//! | GET | `/api/links` | [`LinkView`](crate::core::links::LinkView) list: bypass links and their LLDP state |
//! | GET | `/api/alarms` | [`AlarmView`](crate::core::nat::AlarmView) list: NAT-in-chain alarms, most recent first |
//! | GET | `/api/balance` | [`BalanceView`](crate::core::balance::BalanceView): the last rebalancing round (loads before/after, moves); `404` without health. **A move breaks the moved customer's sessions on a stateful VNF** |
//! | POST | `/api/reload` | re-read the topology file and push only the diff (like SIGHUP); with several chains, every chain's file |
//! | GET | `/api/chains` | [`ChainView`](super::ChainView) list: name, file, junction switches, connected |
//! | GET | `/metrics` | Prometheus text format |
//!
//! With several chains ([`Runtime::deployment`](super::Runtime::deployment)), every `/api/...`
//! route above but `/api/reload` and `/api/chains` is also served per chain under
//! `/api/chains/{name}/...` (e.g. `/api/chains/vlan116/switches`), and `/api/...` keeps
//! meaning the **first** chain (the first `--config`). `/api/reload` re-reads every chain's
//! file, and answers once every chain confirmed its change. `/metrics` labels every sample
//! with `chain="name"` (each family's `# HELP`/`# TYPE` once); with one chain it is unlabelled
//! as before.
//!
//! The web portal ([`super::portal`]) is merged onto the same port after this router's token
//! layer: `/` and `/portal/...` have the portal's own logins.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::ControllerHandle;
use crate::core::{Controller, CoreError};

/// How long a PUT waits for the switches to confirm the change before answering `202`.
pub const APPLY_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Api {
    handle: ControllerHandle,
}

/// An API error: status and message, answered as `{"error": message}`.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let status = match e {
            CoreError::UnknownCustomer(_) | CoreError::UnknownVm(_) => StatusCode::NOT_FOUND,
            CoreError::UnknownService { .. } | CoreError::Config(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

fn stopped() -> ApiError {
    ApiError(
        StatusCode::SERVICE_UNAVAILABLE,
        "controller is shutting down".into(),
    )
}

fn not_found(what: &str, name: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("no {what} named {name:?}"))
}

/// Compares without an early exit, so the time taken does not reveal a matching prefix.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn require_token(State(token): State<Arc<str>>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(t) if same_secret(t.as_bytes(), token.as_bytes()) => next.run(req).await,
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(json!({ "error": "missing or wrong bearer token" })),
        )
            .into_response(),
    }
}

/// One chain's routes, relative to where they are nested (`/api` or `/api/chains/{name}`).
fn chain_routes(handle: ControllerHandle) -> Router {
    Router::new()
        .route("/switches", get(switches))
        .route("/switches/{name}/flows", get(flows))
        .route("/customers", get(customers))
        .route("/customers/{name}", get(customer))
        .route("/customers/{name}/services", put(set_services))
        .route("/customers/{name}/path", get(path))
        .route("/vms", get(vms))
        .route("/vms/{name}/live", put(set_vm_live))
        .route("/health", get(health))
        .route("/layers", get(layers))
        .route("/pins", get(pins))
        .route("/links", get(links))
        .route("/alarms", get(alarms))
        .route("/balance", get(balance))
        .with_state(Api { handle })
}

/// Builds the router over every chain's handle (the first is what `/api/...` serves);
/// `token` is required on every route.
pub(crate) fn router(handles: Vec<ControllerHandle>, token: &str) -> Router {
    let token: Arc<str> = Arc::from(token);
    let mut router = Router::new();
    if let Some(first) = handles.first() {
        router = router.nest("/api", chain_routes(first.clone()));
        let deployment = Router::new()
            .route("/api/reload", post(reload))
            .route("/api/chains", get(chains))
            .route("/metrics", get(metrics))
            .with_state(Api {
                handle: first.clone(),
            });
        router = router.merge(deployment);
    }
    if handles.len() > 1 {
        for h in handles {
            // Deployment validation made the names non-empty and URL-safe.
            let at = format!("/api/chains/{}", h.chain_name());
            router = router.nest(&at, chain_routes(h));
        }
    }
    router.layer(middleware::from_fn_with_state(token, require_token))
}

/// Runs a query on the core and answers its result as JSON.
async fn query<T, F>(api: &Api, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&Controller) -> T + Send + 'static,
    T: Send + 'static,
{
    api.handle.call(move |c, _| f(c)).await.ok_or_else(stopped)
}

/// A query about one named thing: `404` when it does not exist.
async fn named<T, F>(api: &Api, what: &str, name: String, f: F) -> Result<Response, ApiError>
where
    F: FnOnce(&Controller, &str) -> Option<T> + Send + 'static,
    T: serde::Serialize + Send + 'static,
{
    let n = name.clone();
    query(api, move |c| f(c, &n))
        .await?
        .map(|v| Json(v).into_response())
        .ok_or_else(|| not_found(what, &name))
}

async fn switches(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(query(&api, Controller::switch_views).await?).into_response())
}

async fn flows(State(api): State<Api>, Path(name): Path<String>) -> Result<Response, ApiError> {
    named(&api, "switch", name, Controller::flows_view).await
}

async fn customers(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(query(&api, Controller::customer_views).await?).into_response())
}

async fn customer(State(api): State<Api>, Path(name): Path<String>) -> Result<Response, ApiError> {
    named(&api, "customer", name, Controller::customer_view).await
}

async fn path(State(api): State<Api>, Path(name): Path<String>) -> Result<Response, ApiError> {
    named(&api, "customer", name, Controller::path_view).await
}

async fn vms(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(query(&api, Controller::vm_views).await?).into_response())
}

async fn health(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(query(&api, Controller::health_view).await?).into_response())
}

async fn layers(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(query(&api, Controller::layer_views).await?).into_response())
}

async fn pins(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(query(&api, Controller::pin_views).await?).into_response())
}

/// Runs a query that needs the time on the core.
async fn timed<T, F>(api: &Api, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&Controller, std::time::Instant) -> T + Send + 'static,
    T: Send + 'static,
{
    api.handle
        .call(move |c, now| f(c, now))
        .await
        .ok_or_else(stopped)
}

async fn links(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(timed(&api, Controller::link_views).await?).into_response())
}

async fn alarms(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(timed(&api, Controller::alarm_views).await?).into_response())
}

async fn balance(State(api): State<Api>) -> Result<Response, ApiError> {
    timed(&api, Controller::balance_view)
        .await?
        .map(|v| Json(v).into_response())
        .ok_or_else(|| {
            ApiError(
                StatusCode::NOT_FOUND,
                "health is disabled ([health] enabled = false): no load balancing".into(),
            )
        })
}

/// `["a", "b"]` or `{"services": ["a", "b"]}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ServicesBody {
    List(Vec<String>),
    Object { services: Vec<String> },
}

/// `true` or `{"live": true}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum LiveBody {
    Bare(bool),
    Object { live: bool },
}

/// Waits for the change of `generation` to be confirmed, and answers with `view`.
async fn applied(api: &Api, generation: u64, view: serde_json::Value) -> Response {
    let done = api.handle.wait_synced(generation, APPLY_WAIT).await;
    answer(done, generation, view)
}

/// `200 {"applied": true, ...}` for a confirmed change, `202 {"applied": false, ...}` else.
fn answer(done: bool, generation: u64, view: serde_json::Value) -> Response {
    let status = if done {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    (
        status,
        Json(json!({ "applied": done, "generation": generation, "result": view })),
    )
        .into_response()
}

/// Runs a change on the core (returning the generation to wait for and a view of the result),
/// then answers once the switches confirmed it.
async fn change<V, F>(api: &Api, f: F) -> Result<Response, ApiError>
where
    F: FnOnce(&mut Controller, std::time::Instant) -> Result<(u64, V), CoreError> + Send + 'static,
    V: serde::Serialize + Send + 'static,
{
    let (generation, view) = api.handle.call(f).await.ok_or_else(stopped)??;
    Ok(applied(api, generation, json!(view)).await)
}

/// A service change as the REST API and the portal make it.
#[derive(Debug, Clone)]
pub(crate) struct ServicesChange {
    /// The customer before the change.
    pub(crate) before: crate::core::views::CustomerView,
    /// The customer after it.
    pub(crate) after: crate::core::views::CustomerView,
    /// The model generation holding it.
    pub(crate) generation: u64,
    /// Whether every connected switch confirmed it within [`APPLY_WAIT`].
    pub(crate) confirmed: bool,
}

/// Why a service change was not made.
#[derive(Debug)]
pub(crate) enum ChangeError {
    /// The controller is shutting down.
    Stopped,
    /// The core refused it (unknown customer or service, or not expressible).
    Core(CoreError),
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Stopped => stopped(),
            ChangeError::Core(e) => e.into(),
        }
    }
}

/// Replaces a customer's services: the core recompiles and pushes the difference as a
/// waypoint-safe update (new flows, barrier, then the old ones removed); then waits up to
/// [`APPLY_WAIT`] for every connected switch to confirm it. `PUT
/// /api/customers/{name}/services` and the portal both change services through here.
pub(crate) async fn change_services(
    handle: &ControllerHandle,
    name: String,
    services: Vec<String>,
) -> Result<ServicesChange, ChangeError> {
    let made = handle
        .call(move |c, now| {
            let view = |c: &Controller| {
                c.customer_view(&name)
                    .ok_or_else(|| CoreError::UnknownCustomer(name.clone()))
            };
            let before = view(c)?;
            let generation = c.set_services(now, &name, &services)?;
            Ok::<_, CoreError>((before, generation, view(c)?))
        })
        .await
        .ok_or(ChangeError::Stopped)?;
    let (before, generation, after) = made.map_err(ChangeError::Core)?;
    let confirmed = handle.wait_synced(generation, APPLY_WAIT).await;
    Ok(ServicesChange {
        before,
        after,
        generation,
        confirmed,
    })
}

async fn set_services(
    State(api): State<Api>,
    Path(name): Path<String>,
    Json(body): Json<ServicesBody>,
) -> Result<Response, ApiError> {
    let services = match body {
        ServicesBody::List(s) | ServicesBody::Object { services: s } => s,
    };
    let change = change_services(&api.handle, name, services).await?;
    Ok(answer(
        change.confirmed,
        change.generation,
        json!(change.after),
    ))
}

async fn set_vm_live(
    State(api): State<Api>,
    Path(name): Path<String>,
    Json(body): Json<LiveBody>,
) -> Result<Response, ApiError> {
    let live = match body {
        LiveBody::Bare(b) | LiveBody::Object { live: b } => b,
    };
    change(&api, move |c, now| {
        let g = c.set_vm_live(now, &name, live)?;
        Ok((g, c.vm_views().into_iter().find(|v| v.name == name)))
    })
    .await
}

async fn reload(State(api): State<Api>) -> Result<Response, ApiError> {
    let reloaded = match api.handle.reload_chains().await {
        Ok(r) => r,
        Err(e) => return Err(ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
    };
    let handles = api.handle.chains();
    if let ([(_, generation)], [_]) = (reloaded.as_slice(), handles.as_slice()) {
        return Ok(applied(&api, *generation, json!({ "reloaded": true })).await);
    }
    // Several chains: wait for each (concurrently), answer 200 once all confirmed.
    let waits = handles
        .iter()
        .zip(&reloaded)
        .map(|(h, &(_, g))| h.wait_synced(g, APPLY_WAIT));
    let done = futures::future::join_all(waits).await;
    let chains: Vec<serde_json::Value> = reloaded
        .iter()
        .zip(&done)
        .map(|((name, g), ok)| json!({ "chain": name, "generation": g, "applied": ok }))
        .collect();
    let all = done.iter().all(|&ok| ok);
    let status = if all {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(json!({ "applied": all, "result": { "reloaded": true, "chains": chains } })),
    )
        .into_response())
}

async fn chains(State(api): State<Api>) -> Result<Response, ApiError> {
    Ok(Json(api.handle.chain_views().await).into_response())
}

async fn metrics(State(api): State<Api>) -> Result<Response, ApiError> {
    let handles = api.handle.chains();
    let text = if handles.len() > 1 {
        let mut texts = Vec::new();
        for h in handles {
            let name = h.chain_name().to_string();
            let text = h.call(|c, _| c.metrics_text()).await.ok_or_else(stopped)?;
            texts.push((name, text));
        }
        crate::metrics::label_chains(&texts)
    } else {
        query(&api, Controller::metrics_text).await?
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}
