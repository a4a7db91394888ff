//! The change audit log: every service change made through the portal, with who made it.
//!
//! Each entry is emitted as a `tracing` event (target `flowfall_portal::audit`, level INFO for
//! applied changes, WARN for failures) and kept in a bounded in-memory ring that the operator
//! page shows (customers see the entries of their own customer).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::backend::Actor;
use crate::hook::HookOutcome;

/// How a change ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "message", rename_all = "lowercase")]
pub enum ChangeOutcome {
    /// Every connected switch confirmed the new flows.
    Applied,
    /// Pushed, not yet confirmed by every switch.
    Pending,
    /// The backend refused or failed; nothing changed.
    Failed(String),
}

/// One audited change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number, from 1, increasing.
    pub seq: u64,
    /// When, milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Who.
    pub actor: Actor,
    /// Which customer.
    pub customer: String,
    /// Services before.
    pub old_services: Vec<String>,
    /// Services asked for (failed) or in effect after (applied, pending).
    pub new_services: Vec<String>,
    /// The new ToS value, in tos mode.
    pub tos: Option<u8>,
    /// How it ended.
    pub outcome: ChangeOutcome,
    /// The CPE hook's result, when it ran.
    pub hook: Option<HookOutcome>,
}

/// What a caller records; [`AuditLog::record`] adds the sequence number and time.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub(crate) actor: Actor,
    pub(crate) customer: String,
    pub(crate) old_services: Vec<String>,
    pub(crate) new_services: Vec<String>,
    pub(crate) tos: Option<u8>,
    pub(crate) outcome: ChangeOutcome,
    pub(crate) hook: Option<HookOutcome>,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<AuditEntry>,
    next_seq: u64,
}

/// The bounded audit ring.
#[derive(Debug)]
pub(crate) struct AuditLog {
    ring: Mutex<Ring>,
    capacity: usize,
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl AuditLog {
    pub(crate) fn new(capacity: usize) -> Self {
        AuditLog {
            ring: Mutex::new(Ring {
                entries: VecDeque::new(),
                next_seq: 1,
            }),
            capacity: capacity.max(1),
        }
    }

    /// Logs `change` (tracing) and keeps it, dropping the oldest entry when full.
    pub(crate) fn record(&self, change: Change) -> AuditEntry {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let entry = AuditEntry {
            seq: ring.next_seq,
            at_unix_ms: now_unix_ms(),
            actor: change.actor,
            customer: change.customer,
            old_services: change.old_services,
            new_services: change.new_services,
            tos: change.tos,
            outcome: change.outcome,
            hook: change.hook,
        };
        ring.next_seq = ring.next_seq.saturating_add(1);
        emit(&entry);
        if ring.entries.len() >= self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry.clone());
        entry
    }

    /// Entries newest first, at most `limit`, only those of `customer` when given.
    pub(crate) fn recent(&self, customer: Option<&str>, limit: usize) -> Vec<AuditEntry> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.entries
            .iter()
            .rev()
            .filter(|e| customer.is_none_or(|c| e.customer == c))
            .take(limit)
            .cloned()
            .collect()
    }
}

fn emit(e: &AuditEntry) {
    let old = e.old_services.join(",");
    let new = e.new_services.join(",");
    let hook = e.hook.as_ref().map(|h| {
        format!(
            "{} {}: {}",
            h.target,
            if h.ok { "ok" } else { "failed" },
            h.detail
        )
    });
    match &e.outcome {
        ChangeOutcome::Failed(reason) => tracing::warn!(
            target: "flowfall_portal::audit",
            seq = e.seq,
            actor = %e.actor,
            customer = %e.customer,
            old = %old,
            requested = %new,
            error = %reason,
            "service change failed"
        ),
        outcome => {
            let hook_failed = e.hook.as_ref().is_some_and(|h| !h.ok);
            let status = if *outcome == ChangeOutcome::Applied {
                "applied"
            } else {
                "pending"
            };
            if hook_failed {
                tracing::warn!(
                    target: "flowfall_portal::audit",
                    seq = e.seq, actor = %e.actor, customer = %e.customer,
                    old = %old, new = %new, tos = ?e.tos, status, hook = ?hook,
                    "service change made; CPE hook failed (flows keep the new set)"
                );
            } else {
                tracing::info!(
                    target: "flowfall_portal::audit",
                    seq = e.seq, actor = %e.actor, customer = %e.customer,
                    old = %old, new = %new, tos = ?e.tos, status, hook = ?hook,
                    "service change made"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(customer: &str, n: usize) -> Change {
        Change {
            actor: Actor::Operator("noc".into()),
            customer: customer.into(),
            old_services: vec![],
            new_services: vec![format!("s{n}")],
            tos: None,
            outcome: ChangeOutcome::Applied,
            hook: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_and_numbers_them() {
        let log = AuditLog::new(3);
        for n in 0..5 {
            log.record(change(if n % 2 == 0 { "a" } else { "b" }, n));
        }
        let all = log.recent(None, 10);
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 4, 3]);
        let a = log.recent(Some("a"), 10);
        assert_eq!(a.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 3]);
        assert_eq!(log.recent(None, 1).len(), 1);
        assert!(all.iter().all(|e| e.at_unix_ms > 0));
    }

    #[test]
    fn outcomes_serialize_with_a_status_tag() {
        assert_eq!(
            serde_json::to_value(ChangeOutcome::Failed("no".into())).ok(),
            Some(serde_json::json!({"status": "failed", "message": "no"}))
        );
        assert_eq!(
            serde_json::to_value(ChangeOutcome::Applied).ok(),
            Some(serde_json::json!({"status": "applied"}))
        );
    }
}
