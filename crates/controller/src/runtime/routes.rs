//! Which core serves a connection, when one controller serves several chains.
//!
//! Every connection starts at the lobby: the first chain's core, which does the OpenFlow
//! handshake up to FEATURES_REQUEST as with one chain. The connection task looks at the
//! first FEATURES_REPLY the switch sends (OpenFlow 1.3.5 §7.3.1: the datapath id is at bytes
//! 8..16): when another chain owns that datapath, it tells the lobby the connection is handed
//! over and sends the FEATURES_REPLY, then every later message, to the owner's core, which
//! adopts the connection in the post-FEATURES state ([`crate::core::Event::Adopted`]).
//! Because one task decides and sends, the owner sees the connection's messages in order, and
//! the connection's disconnect reaches whichever core holds it. A datapath of no chain stays
//! on the lobby, unmanaged.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use flowfall_ofp::OfMessage;
use flowfall_ofp::header::{Header, OFPT_FEATURES_REPLY};
use flowfall_ofp::message::Message;
use tokio::sync::mpsc;

use super::connection::ConnInput;

/// The datapath id a message announces, when it is a well-formed OpenFlow 1.3
/// FEATURES_REPLY (decoded by `flowfall-ofp`; other messages are passed over after a look at
/// their type byte).
pub(crate) fn features_dpid(msg: &[u8]) -> Option<u64> {
    if Header::parse(msg).ok()?.msg_type != OFPT_FEATURES_REPLY {
        return None;
    }
    match OfMessage::decode(msg).ok()?.msg {
        Message::FeaturesReply(f) => Some(f.datapath_id),
        _ => None,
    }
}

/// Datapath id -> index of the chain owning it.
pub(crate) type Owners = HashMap<u64, usize>;

/// The cores' inboxes and which chain owns each datapath.
#[derive(Debug)]
pub(crate) struct Routes {
    /// One inbox per chain, in chain order; the first is the lobby.
    cores: Vec<mpsc::UnboundedSender<ConnInput>>,
    /// Replaced as a whole by a reload.
    owners: RwLock<Arc<Owners>>,
}

impl Routes {
    /// Routes over `cores` (at least one).
    pub(crate) fn new(cores: Vec<mpsc::UnboundedSender<ConnInput>>, owners: Owners) -> Routes {
        Routes {
            cores,
            owners: RwLock::new(Arc::new(owners)),
        }
    }

    /// The lobby, where every connection starts; `None` without any core.
    pub(crate) fn lobby(&self) -> Option<&mpsc::UnboundedSender<ConnInput>> {
        self.cores.first()
    }

    /// Whether there is a chain to hand connections over to.
    pub(crate) fn several(&self) -> bool {
        self.cores.len() > 1
    }

    /// The inbox of the chain owning `dpid`, unless that is the lobby's chain or none.
    pub(crate) fn elsewhere(&self, dpid: u64) -> Option<&mpsc::UnboundedSender<ConnInput>> {
        let owner = self.owners().get(&dpid).copied()?;
        if owner == 0 {
            return None;
        }
        self.cores.get(owner)
    }

    /// The current ownership.
    pub(crate) fn owners(&self) -> Arc<Owners> {
        // A poisoned lock only means a writer panicked while swapping an Arc: the value is whole.
        Arc::clone(&self.owners.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Replaces the ownership (after a reload).
    pub(crate) fn set_owners(&self, owners: Owners) {
        *self.owners.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(owners);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(dpid: u64) -> Vec<u8> {
        let mut m = vec![4, 6, 0, 32, 0, 0, 0, 9];
        m.extend_from_slice(&dpid.to_be_bytes());
        m.extend_from_slice(&[0; 16]);
        m
    }

    #[test]
    fn reads_the_dpid_of_a_features_reply_only() {
        assert_eq!(features_dpid(&features(0x1234)), Some(0x1234));
        let mut other = features(1);
        other[1] = 5; // FEATURES_REQUEST
        assert_eq!(features_dpid(&other), None);
        let mut v10 = features(1);
        v10[0] = 1;
        assert_eq!(features_dpid(&v10), None);
        assert_eq!(features_dpid(&features(1)[..20]), None);
        let mut long = features(1);
        long.push(0);
        assert_eq!(features_dpid(&long), None);
        assert_eq!(features_dpid(&[]), None);
    }

    #[test]
    fn routes_to_the_owner_unless_it_is_the_lobby() {
        let (a, _ra) = mpsc::unbounded_channel();
        let (b, _rb) = mpsc::unbounded_channel();
        let routes = Routes::new(vec![a, b.clone()], HashMap::from([(1, 0), (2, 1)]));
        assert!(routes.several());
        assert!(routes.elsewhere(1).is_none());
        assert!(routes.elsewhere(2).is_some_and(|s| s.same_channel(&b)));
        assert!(routes.elsewhere(3).is_none());
        routes.set_owners(HashMap::from([(3, 1)]));
        assert!(routes.elsewhere(2).is_none());
        assert!(routes.elsewhere(3).is_some());
    }
}
