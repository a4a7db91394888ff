//! The interface between the portal and whatever runs the chain (the FlowFall controller, or
//! [`DemoBackend`](crate::demo::DemoBackend) in tests and demos).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::model::{Alarm, ChainOverview, CustomerStatus};

/// A boxed, `Send` future: what [`PortalBackend`] methods return, so the trait stays
/// object-safe (`Arc<dyn PortalBackend>`) without a macro crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who made a request: an operator or a customer, by the name their token is configured under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "name", rename_all = "lowercase")]
pub enum Actor {
    /// An operator (`[portal.operators] name = "token"`): sees and changes everything.
    Operator(String),
    /// A customer (`[portal.customers.name]`): sees and changes only that customer.
    Customer(String),
}

impl Actor {
    /// Whether this actor may see and change `customer`.
    pub fn may_access(&self, customer: &str) -> bool {
        match self {
            Actor::Operator(_) => true,
            Actor::Customer(own) => own == customer,
        }
    }

    /// Whether this is an operator.
    pub fn is_operator(&self) -> bool {
        matches!(self, Actor::Operator(_))
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        match self {
            Actor::Operator(n) | Actor::Customer(n) => n,
        }
    }
}

/// `operator:alice` or `customer:exhibitor01`, as the audit log writes it.
impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Operator(n) => write!(f, "operator:{n}"),
            Actor::Customer(n) => write!(f, "customer:{n}"),
        }
    }
}

/// A request to replace a customer's service set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRequest {
    /// The customer.
    pub customer: String,
    /// The complete new service set (layer names, each at most once, any order).
    pub services: Vec<String>,
    /// Who asked for it (already authorised by the portal).
    pub actor: Actor,
}

/// What a backend did with a [`ChangeRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeReport {
    /// The customer.
    pub customer: String,
    /// Services in effect before (chain order).
    pub old_services: Vec<String>,
    /// Services in effect now (chain order).
    pub new_services: Vec<String>,
    /// The ToS value the new services encode, when the chain carries services in the ToS byte;
    /// the portal hands it to the CPE hook.
    pub tos: Option<u8>,
    /// `true` once every connected switch confirmed the new flows (barrier); `false` when the
    /// update was pushed but not yet confirmed.
    pub confirmed: bool,
    /// Free text for the user, e.g. the update's generation number.
    pub detail: Option<String>,
}

/// What kind of failure a backend reports; decides the HTTP status the portal answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendErrorKind {
    /// No such customer (404).
    NotFound,
    /// The request is not valid for this chain, e.g. an unknown service or a customer that
    /// cannot skip a layer without a bypass link (422).
    Invalid,
    /// The backend cannot answer now, e.g. shutting down (503).
    Unavailable,
    /// Anything else (500).
    Internal,
}

/// A backend failure, shown to the user as its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    /// What kind of failure.
    pub kind: BackendErrorKind,
    /// What went wrong, for the user.
    pub message: String,
}

impl BackendError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: BackendErrorKind, message: impl Into<String>) -> Self {
        BackendError {
            kind,
            message: message.into(),
        }
    }
}

/// What the portal needs from the system running the chain.
///
/// The FlowFall controller implements it over its core: `set_services` must be the same
/// waypoint-safe update as its REST API's `PUT /api/customers/{name}/services` (add new flows,
/// barrier, then remove old ones, so a function is never bypassed mid-change).
///
/// Methods return [`BoxFuture`]s so the trait is object-safe; an implementation writes
/// `Box::pin(async move { ... })`.
pub trait PortalBackend: Send + Sync + 'static {
    /// The chain: switches, layers, VMs with liveness, bypasses.
    fn overview(&self) -> BoxFuture<'_, Result<ChainOverview, BackendError>>;

    /// Every customer, in configuration order.
    fn customers(&self) -> BoxFuture<'_, Result<Vec<CustomerStatus>, BackendError>>;

    /// One customer, or `None` if there is no such customer. The default filters
    /// [`customers`](Self::customers); override it when one lookup is cheaper.
    fn customer(
        &self,
        name: String,
    ) -> BoxFuture<'_, Result<Option<CustomerStatus>, BackendError>> {
        Box::pin(async move { Ok(self.customers().await?.into_iter().find(|c| c.name == name)) })
    }

    /// Active alarms, most severe first.
    fn alarms(&self) -> BoxFuture<'_, Result<Vec<Alarm>, BackendError>>;

    /// Replaces a customer's service set with the waypoint-safe update, and reports what
    /// changed. The portal has already checked that `request.actor` may make this change and
    /// serialises calls (one change at a time).
    fn set_services(
        &self,
        request: ChangeRequest,
    ) -> BoxFuture<'_, Result<ChangeReport, BackendError>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actor_scoping_and_display() {
        let op = Actor::Operator("alice".into());
        let cu = Actor::Customer("ex01".into());
        assert!(op.may_access("ex01") && op.may_access("ex02"));
        assert!(cu.may_access("ex01") && !cu.may_access("ex02"));
        assert_eq!(op.to_string(), "operator:alice");
        assert_eq!(cu.to_string(), "customer:ex01");
        assert_eq!(
            serde_json::to_value(&cu).ok(),
            Some(json!({"role": "customer", "name": "ex01"}))
        );
    }
}
