//! Login sessions: a random id in an `HttpOnly; SameSite=Strict` cookie, and a per-session
//! CSRF token (synchronizer-token pattern) that every change must echo in `X-CSRF-Token`.
//!
//! The store is in memory and bounded: sessions end after an idle timeout and a lifetime,
//! and a login beyond `max_sessions` ends the least recently used session. Ids are kept as
//! SHA-256 digests, so a lookup's timing says nothing about stored ids.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use ring::rand::SystemRandom;
use tokio::time::Instant;

use crate::backend::Actor;
use crate::config::SessionConfig;
use crate::secret::{Digest, RandomError, random_id, same_bytes};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "flowfall_portal";

/// The header carrying the CSRF token on changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A logged-in session, as a request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) actor: Actor,
    pub(crate) csrf: String,
}

impl Session {
    /// Whether `given` is this session's CSRF token (constant time).
    pub(crate) fn csrf_matches(&self, given: &str) -> bool {
        same_bytes(self.csrf.as_bytes(), given.as_bytes())
    }
}

#[derive(Debug)]
struct Entry {
    session: Session,
    created: Instant,
    last_seen: Instant,
}

/// The session store.
#[derive(Debug)]
pub(crate) struct Sessions {
    entries: Mutex<HashMap<Digest, Entry>>,
    rng: SystemRandom,
    idle: Duration,
    lifetime: Duration,
    max: usize,
}

impl Sessions {
    pub(crate) fn new(cfg: &SessionConfig) -> Self {
        Sessions {
            entries: Mutex::new(HashMap::new()),
            rng: SystemRandom::new(),
            idle: Duration::from_secs(cfg.idle_timeout_secs),
            lifetime: Duration::from_secs(cfg.lifetime_secs),
            max: cfg.max_sessions.max(1),
        }
    }

    fn live(&self, e: &Entry, now: Instant) -> bool {
        now.saturating_duration_since(e.last_seen) < self.idle
            && now.saturating_duration_since(e.created) < self.lifetime
    }

    /// Starts a session for `actor`; returns (cookie value, session).
    pub(crate) fn create(&self, actor: Actor) -> Result<(String, Session), RandomError> {
        let id = random_id(&self.rng)?;
        let session = Session {
            actor,
            csrf: random_id(&self.rng)?,
        };
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.max {
            entries.retain(|_, e| self.live(e, now));
        }
        while entries.len() >= self.max {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => entries.remove(&k),
                None => break,
            };
        }
        entries.insert(
            Digest::of(&id),
            Entry {
                session: session.clone(),
                created: now,
                last_seen: now,
            },
        );
        Ok((id, session))
    }

    /// The live session of cookie value `id`, touching its idle timer; expired sessions are
    /// removed on sight.
    pub(crate) fn get(&self, id: &str) -> Option<Session> {
        let key = Digest::of(id);
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let live = entries.get(&key).map(|e| self.live(e, now))?;
        if !live {
            entries.remove(&key);
            return None;
        }
        let e = entries.get_mut(&key)?;
        e.last_seen = now;
        Some(e.session.clone())
    }

    /// Ends the session of cookie value `id`.
    pub(crate) fn remove(&self, id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&Digest::of(id));
    }

    /// Sessions currently stored (live or not yet swept).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

/// The value of cookie `name` in a `Cookie` header value.
pub(crate) fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k.trim() == name).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(idle: u64, lifetime: u64, max: usize) -> Sessions {
        Sessions::new(&SessionConfig {
            idle_timeout_secs: idle,
            lifetime_secs: lifetime,
            max_sessions: max,
            secure_cookie: false,
        })
    }

    fn op(n: &str) -> Actor {
        Actor::Operator(n.into())
    }

    #[tokio::test(start_paused = true)]
    async fn sessions_expire_when_idle_and_at_their_lifetime() {
        let s = store(10, 25, 8);
        let Ok((id, sess)) = s.create(op("a")) else {
            panic!("rng");
        };
        assert_eq!(s.get(&id), Some(sess.clone()));
        assert!(s.get("not-a-session").is_none());
        // Touched every 8 s: idle timer never runs out, lifetime does.
        for _ in 0..3 {
            tokio::time::advance(Duration::from_secs(8)).await;
            assert!(s.get(&id).is_some());
        }
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(s.get(&id).is_none(), "26 s > lifetime 25 s");
        assert_eq!(s.len(), 0, "expired session removed on sight");

        let Ok((id2, _)) = s.create(op("b")) else {
            panic!("rng");
        };
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(s.get(&id2).is_none(), "idle 10 s");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_store_ends_the_least_recently_used_session() {
        let s = store(100, 1000, 2);
        let ids: Vec<String> = ["a", "b"]
            .iter()
            .filter_map(|n| s.create(op(n)).ok().map(|(id, _)| id))
            .collect();
        assert_eq!(ids.len(), 2);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(s.get(&ids[0]).is_some()); // "a" is now the most recently used
        let Ok((c, _)) = s.create(op("c")) else {
            panic!("rng");
        };
        assert_eq!(s.len(), 2);
        assert!(s.get(&ids[0]).is_some());
        assert!(s.get(&ids[1]).is_none(), "b was least recently used");
        assert!(s.get(&c).is_some());
        s.remove(&c);
        assert!(s.get(&c).is_none());
    }

    #[test]
    fn csrf_tokens_are_per_session_and_compared_exactly() {
        let s = store(100, 1000, 4);
        let (Ok((_, a)), Ok((_, b))) = (s.create(op("a")), s.create(op("a"))) else {
            panic!("rng");
        };
        assert_ne!(a.csrf, b.csrf);
        assert!(a.csrf_matches(&a.csrf.clone()));
        assert!(!a.csrf_matches(&b.csrf));
        assert!(!a.csrf_matches(""));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let h = "theme=dark; flowfall_portal=abc123 ; x=y";
        assert_eq!(cookie_value(h, COOKIE_NAME), Some("abc123"));
        assert_eq!(cookie_value("flowfall_portalx=1", COOKIE_NAME), None);
        assert_eq!(cookie_value("", COOKIE_NAME), None);
    }
}
