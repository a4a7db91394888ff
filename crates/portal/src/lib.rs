//! The FlowFall web portal: customers pick their services, operators see the chain.
//!
//! In the 2015 deployment exhibitors chose their services on a web portal, which worked out the
//! ToS value and pushed it to their CPE over NETCONF (paper §5). This crate is that portal for
//! FlowFall-rs, as an [`axum::Router`] the controller mounts on its REST port:
//!
//! - **Customers** log in with their own token and see their service set, the path of their
//!   traffic (which VM in each layer, both directions) and their traffic counters; they turn
//!   services on and off within what the operator allows them
//!   ([`CustomerAccess::allowed_services`]).
//! - **Operators** see every switch, layer, VM (with liveness), customer, alarm and change,
//!   with the chain drawn as SVG (layers as columns, VMs as boxes, junctions as bars, a
//!   customer's path highlighted), and can change any customer.
//! - A change goes through [`PortalBackend::set_services`], which the controller implements
//!   with the same waypoint-safe update as its REST API; in tos mode the new ToS value is then
//!   handed to the customer's CPE through the configured [`CpeHook`].
//! - Security: per-customer tokens see only their customer (`403` otherwise), operator tokens
//!   everything; tokens are compared as SHA-256 digests in constant time; sessions are
//!   `HttpOnly; SameSite=Strict` cookies; every change needs the session's CSRF token; every
//!   change is logged (tracing and an in-memory ring) with who made it.
//! - The pages are plain HTML/CSS/JS embedded in the binary ([`include_bytes!`]), loaded from
//!   the same origin only (a strict `Content-Security-Policy`), no CDN, no build step.
//!
//! The JSON API is described in [`api`]; the configuration in [`config`] and
//! `docs/portal.md`.
//!
//! # CPE hook failures
//!
//! The hook runs after the backend applied the change. If it fails (non-zero exit, timeout,
//! HTTP error), the failure is shown to the user, logged at WARN and recorded in the audit
//! entry, but the **flow change is not undone**: the new flows are already in place on every
//! switch, and undoing them would be a second change racing the first. Re-applying the same
//! set re-runs the hook. Until the CPE marks the new value, its packets carry the old ToS
//! value; with `spoof_action = "remark"` J0 rewrites them to the new one, with `"drop"` they
//! are dropped, so pair a hook with `remark` where a failed push must not cut traffic.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode, header};
//! use flowfall_portal::demo::DemoBackend;
//! use flowfall_portal::{PortalConfig, router};
//! use tower::ServiceExt as _;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = PortalConfig::from_toml_str(r#"
//!     [operators]
//!     noc = "op-0123456789abcdef"
//!     [customers.exhibitor03]
//!     token = "cu-0123456789abcdef"
//!     allowed_services = ["firewall", "ddos"]
//! "#)?;
//! let backend = Arc::new(DemoBackend::shownet());
//! let app = router(backend.clone(), cfg)?; // mount with Router::merge on the REST port
//!
//! // A script uses a bearer token; a browser would log in and send the CSRF token.
//! let put = Request::put("/portal/api/customers/exhibitor03/services")
//!     .header(header::AUTHORIZATION, "Bearer cu-0123456789abcdef")
//!     .header(header::CONTENT_TYPE, "application/json")
//!     .body(Body::from(r#"{"services": ["firewall"]}"#))?;
//! let response = app.clone().oneshot(put).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(backend.changes()[0].services, ["firewall"]);
//!
//! // The same token cannot see another customer.
//! let get = Request::get("/portal/api/customers/exhibitor01")
//!     .header(header::AUTHORIZATION, "Bearer cu-0123456789abcdef")
//!     .body(Body::empty())?;
//! assert_eq!(app.oneshot(get).await?.status(), StatusCode::FORBIDDEN);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
mod assets;
pub mod audit;
pub mod backend;
pub mod config;
pub mod demo;
pub mod hook;
pub mod model;
mod secret;
pub mod session;

use std::sync::Arc;

pub use api::{ChangeResponse, CustomerPage, Overview, ServiceToggle, SessionInfo};
pub use audit::{AuditEntry, ChangeOutcome};
pub use backend::{
    Actor, BackendError, BackendErrorKind, BoxFuture, ChangeReport, ChangeRequest, PortalBackend,
};
pub use config::{
    ConfigError, ConfigProblem, CpeHook, CustomerAccess, PortalConfig, SessionConfig,
};
pub use hook::{CpePush, HookError, HookOutcome};
pub use model::{
    Alarm, BypassStatus, ChainOverview, Counters, CustomerStatus, Hop, LayerStatus, Liveness,
    PrefixPath, Severity, SwitchStatus, Traffic, Via, VmLoad, VmStatus,
};
pub use secret::{RandomError, Token};

/// Builds the portal's router over `backend`: the page at `/` (and `/portal`), assets under
/// `/portal/assets/`, the JSON API under `/portal/api/` (see [`api`]).
///
/// Validates `cfg` first ([`PortalConfig::validate`]). The router carries its own layers
/// (security headers, same-origin check, 16 KiB body limit), so `Router::merge` it into the
/// REST router *after* that router's own auth layer, which must not cover the portal's paths.
pub fn router(
    backend: Arc<dyn PortalBackend>,
    cfg: PortalConfig,
) -> Result<axum::Router, ConfigError> {
    cfg.validate()?;
    Ok(api::build(backend, &cfg))
}
