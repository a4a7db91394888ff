//! Per-customer traffic counters, read from J0's flow statistics (`OFPMP_FLOW`, OpenFlow
//! 1.3.5 §7.3.5.2).
//!
//! Every address entry names its owner in its cookie (`flowfall_compile::cookie`), so the
//! counters of J0's *upstream* entries (the customer's packets entering the chain) and of its
//! *downstream* entries (packets delivered to the customer) add up per customer and direction.
//! [`Controller::poll_traffic`] asks every ready datapath serving J0 for its flow statistics;
//! each complete reply is folded into running totals:
//!
//! - an entry's growth since the previous reply is added; an entry seen for the first time
//!   adds its whole count (its traffic since it was installed);
//! - a count that went down means the entry was deleted and added again, or the switch
//!   restarted: the whole new count is added;
//! - an entry removed between two polls loses its traffic since the previous poll (reactive
//!   entries expiring, for instance), so the totals are a lower bound. They never go down.
//!
//! Bounded: one outstanding request per connection (a new poll replaces it, a late reply to
//! the old one is ignored), at most as many entries per reply as a reconcile reads (4 million) (a bigger reply is
//! dropped), one sample kept per J0 address entry, one total per customer of the topology.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use flowfall_compile::FlowEntry;
use flowfall_compile::cookie::{Cookie, CookieKind, OwnerId};
use flowfall_ofp::message::Message;
use flowfall_ofp::multipart::{
    FlowStats, FlowStatsRequest, MultipartReply, MultipartReplyBody, MultipartRequest,
    MultipartRequestBody, OFPMPF_REPLY_MORE,
};
use flowfall_topology::format_dpid;
use serde::Serialize;
use tracing::{debug, warn};

use super::channel::{MAX_FLOW_STATS, Phase};
use super::table::FlowKey;
use super::{ConnId, Controller};

/// Packets and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TrafficCount {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

impl TrafficCount {
    /// What `self` grew by since `before`: the difference, or all of `self` when a counter
    /// went down (the entry was replaced or the switch restarted).
    fn growth_since(self, before: Option<TrafficCount>) -> TrafficCount {
        match before {
            Some(b) if self.packets >= b.packets && self.bytes >= b.bytes => TrafficCount {
                packets: self.packets - b.packets,
                bytes: self.bytes - b.bytes,
            },
            _ => self,
        }
    }

    fn add(&mut self, other: TrafficCount) {
        self.packets = self.packets.saturating_add(other.packets);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// One customer's traffic at J0, both directions, since the controller started polling.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CustomerTraffic {
    /// Customer to Internet: hits of the customer's J0 upstream entries.
    pub upstream: TrafficCount,
    /// Internet to customer: hits of the customer's J0 downstream entries.
    pub downstream: TrafficCount,
}

/// Which way an address entry carries traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Upstream,
    Downstream,
}

/// One J0 address entry's counters in one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sample {
    customer: String,
    /// The address entry's cookie owner (its customer address).
    owner: OwnerId,
    direction: Direction,
    count: TrafficCount,
}

/// A FLOW_STATS request in flight and the samples of the parts received so far.
#[derive(Debug)]
struct Pending {
    xid: u32,
    dpid: u64,
    entries: usize,
    samples: HashMap<FlowKey, Sample>,
}

/// The counters' state in the core.
#[derive(Debug, Default)]
pub(super) struct Traffic {
    pending: BTreeMap<ConnId, Pending>,
    /// The previous complete reply of each datapath.
    last: HashMap<u64, HashMap<FlowKey, Sample>>,
    totals: BTreeMap<String, CustomerTraffic>,
    /// Whether any reply was folded (before that, counters are unknown).
    polled: bool,
}

impl Traffic {
    /// Whether `xid` on `conn` answers our outstanding poll.
    pub(super) fn expects(&self, conn: ConnId, xid: u32) -> bool {
        self.pending.get(&conn).is_some_and(|p| p.xid == xid)
    }

    /// Folds one complete reply of `dpid` into the totals; `keep` says which customer names
    /// still exist.
    fn fold(&mut self, dpid: u64, samples: HashMap<FlowKey, Sample>, keep: impl Fn(&str) -> bool) {
        let last = self.last.remove(&dpid).unwrap_or_default();
        for (key, s) in &samples {
            let before = last
                .get(key)
                .filter(|l| l.customer == s.customer && l.direction == s.direction)
                .map(|l| l.count);
            let total = self.totals.entry(s.customer.clone()).or_default();
            let slot = match s.direction {
                Direction::Upstream => &mut total.upstream,
                Direction::Downstream => &mut total.downstream,
            };
            slot.add(s.count.growth_since(before));
        }
        self.totals.retain(|name, _| keep(name));
        self.last.insert(dpid, samples);
        self.polled = true;
    }
}

/// A FLOW_STATS request for every entry of every table (reconcile and traffic polls).
pub(super) fn read_all_flows() -> Message {
    Message::MultipartRequest(MultipartRequest {
        flags: 0,
        body: MultipartRequestBody::Flow(FlowStatsRequest {
            table_id: flowfall_ofp::flow_mod::OFPTT_ALL,
            out_port: flowfall_ofp::flow_mod::OFPP_ANY,
            out_group: flowfall_ofp::flow_mod::OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            match_: flowfall_ofp::Match::new(),
        }),
    })
}

impl Controller {
    /// Asks every ready datapath serving J0 for its flow statistics, to update the customers'
    /// traffic counters ([`Controller::customer_traffic`]) when the replies arrive. Replaces
    /// any request still unanswered. Returns how many requests were sent.
    pub fn poll_traffic(&mut self) -> usize {
        let topo = self.model.topology();
        let targets: Vec<(ConnId, u64)> = self
            .by_dpid
            .iter()
            .filter(|(dpid, _)| topo.switches_with_dpid(**dpid).any(|s| s.index == 0))
            .filter(|(_, conn)| {
                self.conns
                    .get(conn)
                    .is_some_and(|c| c.phase == Phase::Ready)
            })
            .map(|(&dpid, &conn)| (conn, dpid))
            .collect();
        let conns = &self.conns;
        self.traffic.pending.retain(|c, _| conns.contains_key(c));
        self.traffic
            .last
            .retain(|d, _| targets.iter().any(|&(_, t)| t == *d));
        for &(conn, dpid) in &targets {
            let xid = self.send(conn, read_all_flows());
            self.traffic.pending.insert(
                conn,
                Pending {
                    xid,
                    dpid,
                    entries: 0,
                    samples: HashMap::new(),
                },
            );
        }
        targets.len()
    }

    /// A customer's traffic at J0 since polling began; `None` for an unknown customer, or
    /// before the first poll was answered.
    pub fn customer_traffic(&self, name: &str) -> Option<CustomerTraffic> {
        self.model.topology().customer_by_name(name)?;
        self.traffic
            .polled
            .then(|| self.traffic.totals.get(name).copied().unwrap_or_default())
    }

    /// One part of the answer to our poll on `conn` (see [`Traffic::expects`]).
    pub(super) fn on_traffic_stats(&mut self, now: Instant, conn: ConnId, reply: MultipartReply) {
        let Some(mut pending) = self.traffic.pending.remove(&conn) else {
            return;
        };
        let MultipartReplyBody::Flow(part) = reply.body else {
            debug!(
                conn = conn.0,
                "traffic poll answered with another multipart type"
            );
            return;
        };
        pending.entries = pending.entries.saturating_add(part.len());
        if pending.entries > MAX_FLOW_STATS {
            warn!(
                dpid = %format_dpid(pending.dpid),
                "traffic poll: more than {MAX_FLOW_STATS} flow entries; reply dropped"
            );
            return;
        }
        for s in part {
            if let Some((key, sample)) = self.sample(pending.dpid, s) {
                pending.samples.insert(key, sample);
            }
        }
        if reply.flags & OFPMPF_REPLY_MORE != 0 {
            self.traffic.pending.insert(conn, pending);
            return;
        }
        let per_address: Vec<(OwnerId, u64, u64)> = pending
            .samples
            .values()
            .map(|s| (s.owner, s.count.bytes, s.count.packets))
            .collect();
        let topo = self.model.topology();
        self.traffic.fold(pending.dpid, pending.samples, |name| {
            topo.customer_by_name(name).is_some()
        });
        self.balance_observe(now, per_address);
    }

    /// The sample of one flow-stats entry of `dpid`, if it is a J0 address entry of a known
    /// customer.
    fn sample(&self, dpid: u64, s: FlowStats) -> Option<(FlowKey, Sample)> {
        let cookie = Cookie(s.cookie);
        let direction = match cookie.kind()? {
            CookieKind::Upstream => Direction::Upstream,
            CookieKind::Downstream => Direction::Downstream,
            _ => return None,
        };
        let entry = FlowEntry::new(s.table_id, s.priority, s.match_, Vec::new(), cookie);
        if self.model.position(dpid, &entry) != 0 {
            return None;
        }
        let customer = self.model.customer_of_owner(cookie.owner())?;
        Some((
            FlowKey::of(&entry),
            Sample {
                customer: customer.name.clone(),
                owner: cookie.owner(),
                direction,
                count: TrafficCount {
                    packets: s.packet_count,
                    bytes: s.byte_count,
                },
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_ofp::{Match, Oxm};

    fn key(port: u32) -> FlowKey {
        let e = FlowEntry::new(
            0,
            100,
            Match::new().with(Oxm::InPort(port)),
            Vec::new(),
            Cookie(0),
        );
        FlowKey::of(&e)
    }

    fn sample(customer: &str, direction: Direction, packets: u64) -> Sample {
        Sample {
            customer: customer.into(),
            owner: OwnerId::default(),
            direction,
            count: TrafficCount {
                packets,
                bytes: packets * 100,
            },
        }
    }

    fn reply(samples: &[(u32, Sample)]) -> HashMap<FlowKey, Sample> {
        samples.iter().map(|(p, s)| (key(*p), s.clone())).collect()
    }

    #[test]
    fn growth_is_the_difference_or_everything_after_a_reset() {
        let c = |packets, bytes| TrafficCount { packets, bytes };
        assert_eq!(c(10, 1000).growth_since(None), c(10, 1000));
        assert_eq!(c(10, 1000).growth_since(Some(c(4, 400))), c(6, 600));
        assert_eq!(c(3, 300).growth_since(Some(c(4, 400))), c(3, 300));
        assert_eq!(c(5, 300).growth_since(Some(c(4, 400))), c(5, 300));
    }

    #[test]
    fn replies_fold_into_totals_that_never_go_down() {
        use Direction::{Downstream as Down, Upstream as Up};
        let mut t = Traffic::default();
        let all = |_: &str| true;
        t.fold(
            1,
            reply(&[(1, sample("a", Up, 10)), (2, sample("a", Down, 7))]),
            all,
        );
        assert!(t.polled);
        assert_eq!(t.totals["a"].upstream.packets, 10);
        assert_eq!(t.totals["a"].downstream.bytes, 700);
        // Growth is added; a reset entry adds its new count; a vanished entry adds nothing.
        t.fold(
            1,
            reply(&[(1, sample("a", Up, 15)), (3, sample("b", Up, 2))]),
            all,
        );
        assert_eq!(t.totals["a"].upstream.packets, 15);
        assert_eq!(t.totals["a"].downstream.packets, 7);
        assert_eq!(t.totals["b"].upstream.packets, 2);
        t.fold(1, reply(&[(1, sample("a", Up, 4))]), all);
        assert_eq!(t.totals["a"].upstream.packets, 19);
        // Another datapath's entries are tracked apart.
        t.fold(2, reply(&[(1, sample("a", Up, 1))]), all);
        assert_eq!(t.totals["a"].upstream.packets, 20);
        // The same key now owned by another customer starts from its whole count.
        t.fold(1, reply(&[(1, sample("b", Up, 5))]), all);
        assert_eq!(t.totals["b"].upstream.packets, 7);
        // Customers that left the topology are forgotten.
        t.fold(1, HashMap::new(), |n| n == "b");
        assert!(!t.totals.contains_key("a"));
        assert_eq!(t.totals.len(), 1);
    }

    #[test]
    fn only_the_outstanding_request_is_expected() {
        let mut t = Traffic::default();
        t.pending.insert(
            ConnId(1),
            Pending {
                xid: 7,
                dpid: 1,
                entries: 0,
                samples: HashMap::new(),
            },
        );
        assert!(t.expects(ConnId(1), 7));
        assert!(!t.expects(ConnId(1), 8));
        assert!(!t.expects(ConnId(2), 7));
    }
}
