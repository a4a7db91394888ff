//! Per-VM probe statistics: round-trip times and loss over a sliding window.

use std::collections::VecDeque;

use super::Nanos;

/// Round-trip times of a VM's probes, in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RttStats {
    /// The last sample.
    pub last: Option<Nanos>,
    /// Exponentially weighted moving average with gain 1/8 (the smoothed RTT of RFC 6298
    /// §2); the first sample sets it.
    pub ewma: Option<Nanos>,
    /// Smallest sample seen.
    pub min: Option<Nanos>,
    /// Largest sample seen.
    pub max: Option<Nanos>,
    /// Number of samples.
    pub samples: u64,
}

impl RttStats {
    /// Adds a sample.
    pub fn record(&mut self, rtt: Nanos) {
        self.last = Some(rtt);
        self.ewma = Some(match self.ewma {
            None => rtt,
            Some(avg) => avg - avg / 8 + rtt / 8,
        });
        self.min = Some(self.min.map_or(rtt, |m| m.min(rtt)));
        self.max = Some(self.max.map_or(rtt, |m| m.max(rtt)));
        self.samples = self.samples.saturating_add(1);
    }
}

/// Outcomes (answered or lost) of the last `capacity` probes of a VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossWindow {
    outcomes: VecDeque<bool>,
    capacity: usize,
    lost: usize,
}

impl LossWindow {
    /// An empty window of `capacity` probes (at least 1).
    pub fn new(capacity: usize) -> LossWindow {
        let capacity = capacity.max(1);
        LossWindow {
            outcomes: VecDeque::with_capacity(capacity),
            capacity,
            lost: 0,
        }
    }

    /// Records one probe's outcome, forgetting the oldest beyond the capacity.
    pub fn push(&mut self, answered: bool) {
        if self.outcomes.len() == self.capacity && self.outcomes.pop_front() == Some(false) {
            self.lost -= 1;
        }
        self.outcomes.push_back(answered);
        if !answered {
            self.lost += 1;
        }
    }

    /// Probes in the window.
    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    /// Whether no probe has been recorded.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// Lost probes in the window.
    pub fn lost(&self) -> usize {
        self.lost
    }

    /// Lost / recorded, 0 when empty.
    pub fn ratio(&self) -> f64 {
        if self.outcomes.is_empty() {
            0.0
        } else {
            self.lost as f64 / self.outcomes.len() as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rtt_tracks_min_max_and_smooths() {
        let mut r = RttStats::default();
        r.record(800);
        assert_eq!(
            (r.last, r.ewma, r.min, r.max),
            (Some(800), Some(800), Some(800), Some(800))
        );
        r.record(1600);
        assert_eq!(r.ewma, Some(800 - 100 + 200));
        assert_eq!((r.min, r.max, r.samples), (Some(800), Some(1600), 2));
        r.record(u64::MAX);
        assert!(
            r.ewma.is_some_and(|e| e > 900),
            "no overflow on huge samples"
        );
    }

    #[test]
    fn window_slides() {
        let mut w = LossWindow::new(4);
        for answered in [false, true, true, true] {
            w.push(answered);
        }
        assert_eq!((w.len(), w.lost()), (4, 1));
        w.push(true); // the loss slides out
        assert_eq!((w.len(), w.lost(), w.ratio()), (4, 0, 0.0));
        w.push(false);
        assert_eq!(w.ratio(), 0.25);
    }

    proptest! {
        #[test]
        fn window_counts_match_a_recount(outcomes in proptest::collection::vec(any::<bool>(), 0..200), cap in 1usize..50) {
            let mut w = LossWindow::new(cap);
            for &o in &outcomes { w.push(o); }
            let tail = &outcomes[outcomes.len().saturating_sub(cap)..];
            prop_assert_eq!(w.len(), tail.len());
            prop_assert_eq!(w.lost(), tail.iter().filter(|o| !**o).count());
        }
    }
}
