//! Measuring a selector: load per member, balance, weighted-share accuracy and disruption.
//!
//! Used by the property tests, the `balance` example and by anyone who wants to report how a
//! layer's keys spread. Key samples are deterministic (a seed and a counter through
//! [`mix64`]), so every run reports the same figures.

use std::net::Ipv4Addr;

use crate::Selector;
use crate::hash::mix64;
use crate::key::Key;

/// `count` pseudo-random IPv4 address keys, the same for the same `seed` on every run:
/// key `i` is the low 32 bits of `mix64(seed + i·0x9E3779B97F4A7C15)` (SplitMix64's sequence).
pub fn sample_ipv4_keys(seed: u64, count: usize) -> impl Iterator<Item = Key> {
    (0..count as u64).map(move |i| {
        let x = mix64(seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        Key::from(Ipv4Addr::from(x as u32))
    })
}

/// Number of `keys` each member receives, in the selector's member order.
pub fn loads<S: Selector + ?Sized>(selector: &S, keys: impl IntoIterator<Item = Key>) -> Vec<u64> {
    let mut counts = vec![0u64; selector.members().len()];
    for key in keys {
        if let Some(c) = selector.select(&key).and_then(|i| counts.get_mut(i)) {
            *c += 1;
        }
    }
    counts
}

/// Largest load divided by the mean load (1.0 is perfect balance; 0.0 when nothing was
/// counted). Meaningful for equal weights.
pub fn peak_to_mean(loads: &[u64]) -> f64 {
    let total: u64 = loads.iter().sum();
    let peak = loads.iter().copied().max().unwrap_or(0);
    if total == 0 {
        return 0.0;
    }
    peak as f64 * loads.len() as f64 / total as f64
}

/// Largest relative error between a member's share of `loads` and its share of the total
/// weight: `max_i |load_i/Σload − w_i/Σw| / (w_i/Σw)`. `loads` is in the selector's member
/// order, as [`loads`] returns it.
pub fn weighted_share_error<S: Selector + ?Sized>(selector: &S, loads: &[u64]) -> f64 {
    let total_load: u64 = loads.iter().sum();
    let total_weight: u64 = selector.members().iter().map(|m| u64::from(m.weight)).sum();
    if total_load == 0 || total_weight == 0 {
        return 0.0;
    }
    selector
        .members()
        .iter()
        .zip(loads)
        .map(|(m, &load)| {
            let want = f64::from(m.weight) / total_weight as f64;
            let got = load as f64 / total_load as f64;
            (got - want).abs() / want
        })
        .fold(0.0, f64::max)
}

/// Share of `keys` whose chosen member id differs between `before` and `after` (a key that
/// finds no member on one side counts as moved). 0.0 for no keys.
pub fn moved_share<A, B>(before: &A, after: &B, keys: impl IntoIterator<Item = Key>) -> f64
where
    A: Selector + ?Sized,
    B: Selector + ?Sized,
{
    let (mut total, mut moved) = (0u64, 0u64);
    for key in keys {
        total += 1;
        let old = before.select_member(&key).map(|m| m.id);
        let new = after.select_member(&key).map(|m| m.id);
        if old.is_none() || old != new {
            moved += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        moved as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, Member};

    #[test]
    fn samples_are_deterministic_and_distinct() {
        let a: Vec<_> = sample_ipv4_keys(1, 1000).collect();
        let b: Vec<_> = sample_ipv4_keys(1, 1000).collect();
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert!(sorted.len() > 990);
        assert_ne!(a, sample_ipv4_keys(2, 1000).collect::<Vec<_>>());
    }

    #[test]
    fn peak_to_mean_basics() {
        assert_eq!(peak_to_mean(&[]), 0.0);
        assert_eq!(peak_to_mean(&[5, 5, 5]), 1.0);
        assert_eq!(peak_to_mean(&[4, 2, 0]), 2.0);
    }

    #[test]
    fn moved_share_counts_changed_ids() {
        let one = Algorithm::Rendezvous.build(&[Member::new(1, 1)]).unwrap();
        let other = Algorithm::Rendezvous.build(&[Member::new(2, 1)]).unwrap();
        let none = Algorithm::Rendezvous.build(&[]).unwrap();
        assert_eq!(moved_share(&one, &one, sample_ipv4_keys(0, 10)), 0.0);
        assert_eq!(moved_share(&one, &other, sample_ipv4_keys(0, 10)), 1.0);
        assert_eq!(moved_share(&none, &none, sample_ipv4_keys(0, 10)), 1.0);
        assert_eq!(moved_share(&one, &other, std::iter::empty()), 0.0);
    }

    #[test]
    fn weighted_share_error_is_relative() {
        let sel = Algorithm::Md5Mod
            .build(&[Member::new(1, 1), Member::new(2, 3)])
            .unwrap();
        assert_eq!(weighted_share_error(&sel, &[25, 75]), 0.0);
        assert!((weighted_share_error(&sel, &[50, 50]) - 1.0).abs() < 1e-12);
    }
}
