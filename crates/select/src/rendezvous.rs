//! Rendezvous (highest random weight) hashing (Thaler & Ravishankar, "Using name-based
//! mappings to increase hit rates", IEEE/ACM ToN 1998), weighted by the logarithmic method
//! (Schindelhauer & Schomaker, "Weighted distributed hash tables", SPAA 2005).
//!
//! Per member `i` (id `id_i`, gcd-reduced weight `w_i`) a seed `s_i = id_hash(id_i, SALT)` is
//! precomputed. For a key with `k = key_hash(key)` each member scores
//! `h_i = mix64(k ^ s_i)`:
//! - equal weights: the member with the largest `⌊h_i / 2^11⌋` wins;
//! - otherwise: the member with the smallest `-ln(u_i) / w_i` wins, `u_i = (⌊h_i / 2^11⌋ + 1)
//!   / 2^53` (the logarithm is computed with basic IEEE operations only, so it is bit-identical
//!   on every platform: see [`hash`](crate::hash)).
//!
//! Exact ties go to the smaller id. The score of a member depends only on the key and that
//! member's id, so removing a member moves exactly the keys it held (1/N of them on average)
//! and adding one takes keys only onto the newcomer. Cost: O(N) per selection.

use crate::error::SelectError;
use crate::hash::{id_hash, key_hash, mix64, neg_ln_unit};
use crate::key::Key;
use crate::member::{Member, MemberSet};
use crate::{Algorithm, Selector};

/// 2^-53: the spacing of the `u` values.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// Salt of the per-member seed.
const SEED_SALT: u64 = 0x5245_4E44_455A_564F; // "RENDEZVO"

/// The rendezvous (highest-random-weight) selector.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendezvous {
    set: MemberSet,
    /// Per member, in id order: seed and 1/w (unused when weights are uniform).
    scored: Vec<Scored>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Scored {
    seed: u64,
    inv_weight: f64,
    index: u16,
}

impl Rendezvous {
    /// Builds the selector.
    ///
    /// # Errors
    /// [`SelectError::ZeroWeight`], [`SelectError::DuplicateId`],
    /// [`SelectError::TooManyMembers`].
    pub fn new(members: &[Member]) -> Result<Rendezvous, SelectError> {
        let set = MemberSet::new(members)?;
        let scored = set
            .by_id()
            .iter()
            .map(|e| Scored {
                seed: id_hash(e.id, SEED_SALT),
                // Reduced weights fit in u32, so the conversion is exact.
                inv_weight: 1.0 / e.units as f64,
                index: e.index,
            })
            .collect();
        Ok(Rendezvous { set, scored })
    }
}

impl Selector for Rendezvous {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Rendezvous
    }

    fn members(&self) -> &[Member] {
        self.set.members()
    }

    fn select(&self, key: &Key) -> Option<usize> {
        let k = key_hash(key);
        // Members are in ascending id order and only a strictly better score replaces the
        // best, so exact ties go to the smaller id.
        let best = if self.set.uniform() {
            let mut best: Option<(u64, u16)> = None;
            for m in &self.scored {
                let score = mix64(k ^ m.seed) >> 11;
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, m.index));
                }
            }
            best.map(|(_, index)| index)
        } else {
            let mut best: Option<(f64, u16)> = None;
            for m in &self.scored {
                let h = mix64(k ^ m.seed);
                if let Some((b, _)) = best {
                    // Pruning, which changes no answer: -ln(u) ≥ 1 − u, so a member whose
                    // (1 − u)/w is already above the best score cannot win. `1 − u` is exact
                    // (an integer below 2^53 over 2^53); the 1e-9 margin dwarfs the ~1e-14
                    // relative error of the computed scores, so a skipped member's computed
                    // score would also have been above `b`.
                    let one_minus_u = ((1u64 << 53) - 1 - (h >> 11)) as f64 * UNIT;
                    if one_minus_u * m.inv_weight * (1.0 - 1e-9) >= b {
                        continue;
                    }
                }
                let score = neg_ln_unit(h) * m.inv_weight;
                if best.is_none_or(|(b, _)| score < b) {
                    best = Some((score, m.index));
                }
            }
            best.map(|(_, index)| index)
        };
        best.map(usize::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::sample_ipv4_keys as keys;
    use proptest::prelude::*;

    #[test]
    fn hardware_box_takes_its_weighted_share() {
        // A box of weight 10 beside 11 VMs of weight 1: expected share 10/21.
        let mut members = vec![Member::new(1000, 10)];
        members.extend((0..11).map(|id| Member::new(id, 1)));
        let sel = Rendezvous::new(&members).unwrap();
        let n = 40_000usize;
        let on_box = keys(7, n).filter(|k| sel.select(k) == Some(0)).count();
        let share = on_box as f64 / n as f64;
        assert!((share - 10.0 / 21.0).abs() < 0.02, "share {share}");
    }

    /// The weighted rule without pruning, straight from the module docs.
    fn select_by_definition(sel: &Rendezvous, key: &Key) -> Option<usize> {
        let k = key_hash(key);
        sel.scored
            .iter()
            .map(|m| (neg_ln_unit(mix64(k ^ m.seed)) * m.inv_weight, m.index))
            .fold(
                None,
                |best: Option<(f64, u16)>, (score, index)| match best {
                    Some((b, _)) if b <= score => best,
                    _ => Some((score, index)),
                },
            )
            .map(|(_, index)| usize::from(index))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Pruning never changes the weighted answer.
        #[test]
        fn pruning_matches_the_definition(
            weights in proptest::collection::vec(1u32..100, 2..64),
            salt in any::<u64>(),
        ) {
            let members: Vec<_> = (0u64..).zip(&weights).map(|(id, &w)| Member::new(id, w)).collect();
            let sel = Rendezvous::new(&members).unwrap();
            for key in keys(salt, 500) {
                prop_assert_eq!(sel.select(&key), select_by_definition(&sel, &key));
            }
        }

        /// Removing a member moves exactly the keys it held; everything else stays.
        #[test]
        fn removal_moves_only_the_removed_members_keys(
            weights in proptest::collection::vec(1u32..5, 2..16),
            gone in any::<proptest::sample::Index>(),
            salt in any::<u64>(),
        ) {
            let members: Vec<_> = (0u64..).zip(&weights).map(|(id, &w)| Member::new(id * 7 + 3, w)).collect();
            let gone = gone.index(members.len());
            let mut rest = members.clone();
            let removed = rest.remove(gone);
            let before = Rendezvous::new(&members).unwrap();
            let after = Rendezvous::new(&rest).unwrap();
            for key in keys(salt, 300) {
                let old = before.select_member(&key).unwrap().id;
                let new = after.select_member(&key).unwrap().id;
                if old != removed.id {
                    prop_assert_eq!(old, new);
                }
            }
        }
    }
}
