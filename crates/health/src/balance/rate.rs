//! [`RateMeter`]: byte and packet rates from cumulative flow counters (`OFPMP_FLOW` replies,
//! OpenFlow 1.3.5 §7.3.5.2), the load input of the balancer. No sFlow needed.

use std::collections::BTreeMap;

use crate::liveness::{Nanos, SECOND};

/// A rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rate {
    /// Bytes per second.
    pub bytes_per_s: f64,
    /// Packets per second.
    pub packets_per_s: f64,
}

/// Turns successive counter snapshots into rates, per key (e.g. per customer address: the
/// controller sums the counters of an address's entries, upstream at J0 and downstream at
/// Jn, under its key).
///
/// Counters that went down (the entry was replaced, which resets them, §6.4) count from 0. A
/// key seen for the first time gets no rate until the next snapshot (its counting period is
/// unknown). Keys missing from a snapshot are forgotten, so memory follows the live entries.
#[derive(Debug, Clone, Default)]
pub struct RateMeter<K> {
    last: BTreeMap<K, (u64, u64)>,
    last_at: Option<Nanos>,
}

impl<K: Ord + Clone> RateMeter<K> {
    /// A meter with no snapshot yet.
    pub fn new() -> RateMeter<K> {
        RateMeter {
            last: BTreeMap::new(),
            last_at: None,
        }
    }

    /// Takes a snapshot `(key, byte_count, packet_count)` at `now`; several samples with one
    /// key are summed. Returns the rates since the previous snapshot (empty for the first,
    /// or when `now` is not after it).
    pub fn observe(
        &mut self,
        now: Nanos,
        samples: impl IntoIterator<Item = (K, u64, u64)>,
    ) -> BTreeMap<K, Rate> {
        let mut snapshot: BTreeMap<K, (u64, u64)> = BTreeMap::new();
        for (k, bytes, packets) in samples {
            let slot = snapshot.entry(k).or_default();
            slot.0 = slot.0.saturating_add(bytes);
            slot.1 = slot.1.saturating_add(packets);
        }
        let mut rates = BTreeMap::new();
        if let Some(dt) = self
            .last_at
            .and_then(|t| now.checked_sub(t))
            .filter(|&dt| dt > 0)
        {
            let seconds = dt as f64 / SECOND as f64;
            let delta = |cur: u64, prev: u64| if cur >= prev { cur - prev } else { cur } as f64;
            for (k, &(bytes, packets)) in &snapshot {
                if let Some(&(pb, pp)) = self.last.get(k) {
                    rates.insert(
                        k.clone(),
                        Rate {
                            bytes_per_s: delta(bytes, pb) / seconds,
                            packets_per_s: delta(packets, pp) / seconds,
                        },
                    );
                }
            }
        }
        self.last = snapshot;
        self.last_at = Some(now);
        rates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_resets_and_forgetting() {
        let mut m = RateMeter::new();
        assert!(m.observe(0, [("a", 1000, 10), ("b", 0, 0)]).is_empty());
        // Two entries of "a" are summed; "b" is reset (counter went down); "c" is new.
        let r = m.observe(
            2 * SECOND,
            [("a", 2000, 20), ("a", 1000, 10), ("b", 0, 0), ("c", 5, 1)],
        );
        assert_eq!(
            r.get("a"),
            Some(&Rate {
                bytes_per_s: 1000.0,
                packets_per_s: 10.0
            })
        );
        assert_eq!(r.get("b"), Some(&Rate::default()));
        assert_eq!(r.get("c"), None);
        let r = m.observe(3 * SECOND, [("a", 500, 5), ("c", 105, 2)]);
        assert_eq!(
            r.get("a").map(|r| r.bytes_per_s),
            Some(500.0),
            "reset: counts from zero"
        );
        assert_eq!(r.get("c").map(|r| r.packets_per_s), Some(1.0));
        assert_eq!(r.len(), 2, "b forgotten");
        assert!(
            m.observe(3 * SECOND, [("a", 600, 6)]).is_empty(),
            "no time passed"
        );
    }
}
