//! Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
//! Load Balancer", NSDI 2016, §3.4), with weights.
//!
//! A lookup table of prime size `M` is filled once; a selection is one key hash and one table
//! read (O(1)).
//!
//! - **Table size.** `M` is the first entry of [`TABLE_SIZES`] (primes 65 537 and 655 373) with
//!   `M ≥ 100 × U`, where `U` is the sum of the weights divided by their gcd (`U = N` for equal
//!   weights). So there are at least 100 slots per member (per weight unit), and `M` does not
//!   move when a member joins or leaves unless `U` crosses 655: a changed `M` would reshuffle
//!   every key. More than 6 553 units are refused ([`SelectError::WeightsTooFine`]).
//! - **Permutations.** Member `i` visits slots `(offset_i + j·skip_i) mod M`, `j = 0, 1, …`
//!   with `offset_i = id_hash(id_i, OFFSET_SALT) mod M` and
//!   `skip_i = id_hash(id_i, SKIP_SALT) mod (M−1) + 1`; `M` prime makes each a full cycle.
//! - **Turns.** Members take turns claiming their next free slot. With weights, member `i`'s
//!   `k`-th turn comes at virtual time `k / w_i` (stride scheduling); equal times go in id
//!   order. With equal weights this is the paper's round robin, and every member ends with
//!   `⌊M/N⌋` or `⌈M/N⌉` slots; with weights member `i` gets `M·w_i/U` slots within 2.
//! - **Lookup.** `slot = ⌊key_hash(key) · M / 2^64⌋` (multiply-shift), answer `table[slot]`.
//!
//! Everything is computed from ids in id order, so the table does not depend on the order
//! members are listed in. When one of N members leaves, its keys move plus a small extra
//! share (the paper reports a few percent at `M ≈ 100·N`).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::SelectError;
use crate::hash::{id_hash, key_hash, reduce};
use crate::key::Key;
use crate::member::{Entry, Member, MemberSet};
use crate::{Algorithm, Selector};

/// The table sizes Maglev chooses from, smallest first; all prime.
pub const TABLE_SIZES: [u64; 2] = [65_537, 655_373];

/// Minimum table slots per weight unit (the "at least 100× the members").
pub const SLOTS_PER_WEIGHT_UNIT: u64 = 100;

const OFFSET_SALT: u64 = 0x4D41_474C_4556_4F46; // "MAGLEVOF"
const SKIP_SALT: u64 = 0x4D41_474C_4556_534B; // "MAGLEVSK"

/// Marks a slot not yet claimed while filling (never a member index: those are below
/// [`MAX_MEMBERS`](crate::MAX_MEMBERS) = `u16::MAX`).
const EMPTY: u16 = u16::MAX;

/// The Maglev lookup-table selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maglev {
    set: MemberSet,
    /// Caller index per slot; empty when there are no members.
    table: Vec<u16>,
}

impl Maglev {
    /// Builds the selector and fills its table (a few milliseconds for `M = 65 537`).
    ///
    /// # Errors
    /// [`SelectError::ZeroWeight`], [`SelectError::DuplicateId`],
    /// [`SelectError::TooManyMembers`], [`SelectError::WeightsTooFine`].
    pub fn new(members: &[Member]) -> Result<Maglev, SelectError> {
        let set = MemberSet::new(members)?;
        let table = match set.by_id() {
            [] => Vec::new(),
            entries => {
                let size = table_size(set.total_units())?;
                fill(entries, size)
            }
        };
        Ok(Maglev { set, table })
    }

    /// The table size `M` in use (0 when there are no members).
    pub fn table_size(&self) -> usize {
        self.table.len()
    }

    /// How many slots each member owns, in the caller's order.
    pub fn slot_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.set.members().len()];
        for &index in &self.table {
            if let Some(c) = counts.get_mut(usize::from(index)) {
                *c += 1;
            }
        }
        counts
    }
}

/// The first size in [`TABLE_SIZES`] with at least [`SLOTS_PER_WEIGHT_UNIT`] slots per unit.
fn table_size(units: u64) -> Result<usize, SelectError> {
    let needed = units.saturating_mul(SLOTS_PER_WEIGHT_UNIT);
    let largest = TABLE_SIZES[TABLE_SIZES.len() - 1];
    TABLE_SIZES
        .iter()
        .find(|&&m| m >= needed)
        .and_then(|&m| usize::try_from(m).ok())
        .ok_or(SelectError::WeightsTooFine {
            units,
            max_units: largest / SLOTS_PER_WEIGHT_UNIT,
        })
}

/// A member's place in the turn order: its next turn is due at virtual time `due / weight`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Turn {
    due: u64,
    weight: u64,
    /// Position in id order: breaks ties.
    position: usize,
}

impl Ord for Turn {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest turn, then the smallest
    /// position.
    fn cmp(&self, other: &Turn) -> Ordering {
        // due ≤ M + 1 < 2^20 and weight < 2^32: the products fit in u128 with room to spare.
        let mine = u128::from(self.due) * u128::from(other.weight);
        let theirs = u128::from(other.due) * u128::from(self.weight);
        theirs
            .cmp(&mine)
            .then_with(|| other.position.cmp(&self.position))
    }
}

impl PartialOrd for Turn {
    fn partial_cmp(&self, other: &Turn) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Fills a table of `size` (a prime from [`TABLE_SIZES`]) slots for non-empty `entries`.
fn fill(entries: &[Entry], size: usize) -> Vec<u16> {
    let m = size as u64;
    // Per member in id order: next slot to try and the step.
    let mut cursor: Vec<(u64, u64)> = entries
        .iter()
        .map(|e| {
            let offset = id_hash(e.id, OFFSET_SALT) % m;
            let skip = id_hash(e.id, SKIP_SALT) % (m - 1) + 1;
            (offset, skip)
        })
        .collect();
    let mut turns: BinaryHeap<Turn> = entries
        .iter()
        .enumerate()
        .map(|(position, e)| Turn {
            due: 1,
            weight: e.units,
            position,
        })
        .collect();
    let mut table = vec![EMPTY; size];
    let mut filled = 0usize;
    while filled < size {
        let Some(mut turn) = turns.pop() else { break };
        let (Some((next, skip)), Some(entry)) =
            (cursor.get_mut(turn.position), entries.get(turn.position))
        else {
            break;
        };
        // The permutation is a full cycle of a table that still has an empty slot, so this
        // finds one within `size` steps; not finding one would mean the table is full.
        let claimed = (0..size).any(|_| {
            let slot = *next as usize;
            // next < m and skip < m: one subtraction reduces the sum.
            *next += *skip;
            if *next >= m {
                *next -= m;
            }
            match table.get_mut(slot) {
                Some(cell) if *cell == EMPTY => {
                    *cell = entry.index;
                    true
                }
                _ => false,
            }
        });
        if !claimed {
            break;
        }
        filled += 1;
        turn.due += 1;
        turns.push(turn);
    }
    table
}

impl Selector for Maglev {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Maglev
    }

    fn members(&self) -> &[Member] {
        self.set.members()
    }

    fn select(&self, key: &Key) -> Option<usize> {
        let slot = reduce(key_hash(key), self.table.len() as u64) as usize;
        self.table.get(slot).map(|&index| usize::from(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::mix64;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn is_prime(n: u64) -> bool {
        n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
    }

    #[test]
    fn table_sizes_are_prime_and_ascending() {
        assert!(TABLE_SIZES.iter().all(|&m| is_prime(m)));
        assert!(TABLE_SIZES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn table_size_keeps_100_slots_per_unit() {
        assert_eq!(table_size(1), Ok(65_537));
        assert_eq!(table_size(655), Ok(65_537));
        assert_eq!(table_size(656), Ok(655_373));
        assert_eq!(table_size(6_553), Ok(655_373));
        assert_eq!(
            table_size(6_554),
            Err(SelectError::WeightsTooFine {
                units: 6_554,
                max_units: 6_553
            })
        );
        let m = Maglev::new(&[Member::new(1, 1), Member::new(2, 100_000)]);
        assert!(matches!(
            m,
            Err(SelectError::WeightsTooFine { units: 100_001, .. })
        ));
    }

    #[test]
    fn equal_weights_share_slots_within_one() {
        let members: Vec<_> = (0..12).map(|id| Member::new(id * 31, 1)).collect();
        let sel = Maglev::new(&members).unwrap();
        let counts = sel.slot_counts();
        assert_eq!(counts.iter().sum::<usize>(), 65_537);
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(hi - lo <= 1, "{counts:?}");
    }

    #[test]
    fn empty_selects_nothing() {
        let sel = Maglev::new(&[]).unwrap();
        assert_eq!(sel.table_size(), 0);
        assert_eq!(sel.select(&Key::from(Ipv4Addr::LOCALHOST)), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Each member owns `M·w_i/U` slots, within two.
        #[test]
        fn slots_follow_weights(weights in proptest::collection::vec(1u32..=20, 1..12), salt in any::<u64>()) {
            let members: Vec<_> = (0u64..).zip(&weights).map(|(i, &w)| Member::new(mix64(i ^ salt), w)).collect();
            let sel = Maglev::new(&members).unwrap();
            let m = sel.table_size() as f64;
            let total: u32 = weights.iter().sum();
            for (&w, &count) in weights.iter().zip(&sel.slot_counts()) {
                let exact = m * f64::from(w) / f64::from(total);
                prop_assert!((count as f64 - exact).abs() <= 2.0, "{weights:?}: {count} vs {exact:.2}");
            }
        }

        /// Removing one of N members moves its keys plus at most a small extra share of the
        /// others (under 1 % measured for N < 40; the bound leaves room).
        #[test]
        fn removal_disrupts_little_beyond_the_removed_member(
            n in 3usize..40,
            gone in any::<proptest::sample::Index>(),
            salt in any::<u64>(),
        ) {
            let members: Vec<_> = (0..n as u64).map(|i| Member::new(mix64(i ^ salt), 1)).collect();
            let gone = gone.index(n);
            let mut rest = members.clone();
            let removed = rest.remove(gone);
            let before = Maglev::new(&members).unwrap();
            let after = Maglev::new(&rest).unwrap();
            // Compare the tables slot by slot: exact, no sampling noise.
            let old_ids: Vec<u64> = before.table.iter().map(|&i| members[usize::from(i)].id).collect();
            let new_ids: Vec<u64> = after.table.iter().map(|&i| rest[usize::from(i)].id).collect();
            let stayed_elsewhere = old_ids.iter().filter(|&&id| id != removed.id).count();
            let moved_elsewhere = old_ids.iter().zip(&new_ids)
                .filter(|(o, nw)| **o != removed.id && o != nw)
                .count();
            let extra = moved_elsewhere as f64 / stayed_elsewhere as f64;
            prop_assert!(extra < 0.02, "n={n}: {extra:.4} of the other members' slots moved");
        }
    }
}
