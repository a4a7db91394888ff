//! Choosing an algorithm by name (configuration) and the selector built from it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Selector;
use crate::error::{SelectError, UnknownAlgorithm, excerpt};
use crate::key::Key;
use crate::maglev::Maglev;
use crate::md5mod::Md5Mod;
use crate::member::Member;
use crate::rendezvous::Rendezvous;

/// A selection algorithm, named in configuration as `"md5mod"`, `"rendezvous"` or `"maglev"`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// The paper's MD5 of the address modulo the member count (§4.2): see [`Md5Mod`].
    /// Not consistent: a membership change moves most keys.
    #[default]
    Md5Mod,
    /// Highest random weight: see [`Rendezvous`]. Consistent, O(N) per selection.
    Rendezvous,
    /// Maglev lookup table: see [`Maglev`]. Consistent (with a small extra disruption), O(1) per
    /// selection after an O(M log M) build.
    Maglev,
}

impl Algorithm {
    /// Every algorithm, in declaration order.
    pub const ALL: [Algorithm; 3] = [Algorithm::Md5Mod, Algorithm::Rendezvous, Algorithm::Maglev];

    /// The configuration name: `"md5mod"`, `"rendezvous"` or `"maglev"`.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::Md5Mod => "md5mod",
            Algorithm::Rendezvous => "rendezvous",
            Algorithm::Maglev => "maglev",
        }
    }

    /// Whether a membership change moves only about 1/N of the keys (true for Rendezvous and
    /// Maglev, false for Md5Mod).
    pub const fn is_consistent(self) -> bool {
        !matches!(self, Algorithm::Md5Mod)
    }

    /// Builds a selector over `members` (the layer's live VMs). An empty list is accepted and
    /// selects nothing.
    ///
    /// # Errors
    /// [`SelectError::ZeroWeight`], [`SelectError::DuplicateId`],
    /// [`SelectError::TooManyMembers`]; for Maglev also [`SelectError::WeightsTooFine`].
    pub fn build(self, members: &[Member]) -> Result<AnySelector, SelectError> {
        Ok(match self {
            Algorithm::Md5Mod => AnySelector::Md5Mod(Md5Mod::new(members)?),
            Algorithm::Rendezvous => AnySelector::Rendezvous(Rendezvous::new(members)?),
            Algorithm::Maglev => AnySelector::Maglev(Maglev::new(members)?),
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Accepts exactly the configuration names.
    fn from_str(s: &str) -> Result<Algorithm, UnknownAlgorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownAlgorithm { found: excerpt(s) })
    }
}

/// A selector of any algorithm, as [`Algorithm::build`] returns it (static dispatch, `Clone`).
#[derive(Debug, Clone, PartialEq)]
pub enum AnySelector {
    /// See [`Md5Mod`].
    Md5Mod(Md5Mod),
    /// See [`Rendezvous`].
    Rendezvous(Rendezvous),
    /// See [`Maglev`].
    Maglev(Maglev),
}

impl Selector for AnySelector {
    fn algorithm(&self) -> Algorithm {
        match self {
            AnySelector::Md5Mod(s) => s.algorithm(),
            AnySelector::Rendezvous(s) => s.algorithm(),
            AnySelector::Maglev(s) => s.algorithm(),
        }
    }

    fn members(&self) -> &[Member] {
        match self {
            AnySelector::Md5Mod(s) => s.members(),
            AnySelector::Rendezvous(s) => s.members(),
            AnySelector::Maglev(s) => s.members(),
        }
    }

    fn select(&self, key: &Key) -> Option<usize> {
        match self {
            AnySelector::Md5Mod(s) => s.select(key),
            AnySelector::Rendezvous(s) => s.select(key),
            AnySelector::Maglev(s) => s.select(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{
        loads, moved_share, peak_to_mean, sample_ipv4_keys, weighted_share_error,
    };
    use proptest::prelude::*;
    use proptest::sample::Index;

    #[test]
    fn names_round_trip_through_text_and_serde() {
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
            assert_eq!(serde_json::from_str::<Algorithm>(&json).unwrap(), a);
        }
        assert_eq!(
            "Maglev".parse::<Algorithm>(),
            Err(UnknownAlgorithm {
                found: "Maglev".into()
            })
        );
        assert!(serde_json::from_str::<Algorithm>("\"md5\"").is_err());
        assert_eq!(Algorithm::default(), Algorithm::Md5Mod);
    }

    #[test]
    fn build_errors_are_shared_by_all_algorithms() {
        for a in Algorithm::ALL {
            assert_eq!(
                a.build(&[Member::new(1, 0)]),
                Err(SelectError::ZeroWeight { index: 0, id: 1 })
            );
            assert!(matches!(
                a.build(&[Member::new(1, 1), Member::new(1, 1)]),
                Err(SelectError::DuplicateId {
                    id: 1,
                    first: 0,
                    second: 1
                })
            ));
            let sel = a.build(&[]).unwrap();
            assert_eq!(sel.select(&"10.0.0.1".parse().unwrap()), None);
            assert_eq!(sel.algorithm(), a);
        }
    }

    /// Pinned answers for equal and unequal weights: if one changes, upgrading moves
    /// customers between VMs. The Md5Mod rows were computed independently with Python's
    /// hashlib (`int(md5(bytes).hexdigest(), 16)`, mod 5 / over cumulative weights 1,3,6,10,15);
    /// the Rendezvous and Maglev rows were recorded from this implementation.
    #[test]
    fn answers_are_pinned() {
        let keys = [
            "10.0.0.1",
            "10.0.0.2",
            "192.0.2.7",
            "2001:db8::1",
            "10.0.0.0/24",
        ];
        let answers = |a: Algorithm, weights: [u32; 5]| -> Vec<usize> {
            let members: Vec<_> = (1..)
                .zip(weights)
                .map(|(id, w)| Member::new(id, w))
                .collect();
            let sel = a.build(&members).unwrap();
            keys.iter()
                .filter_map(|k| sel.select(&k.parse().unwrap()))
                .collect()
        };
        let pinned = [
            (Algorithm::Md5Mod, [1, 4, 3, 0, 3], [4, 3, 4, 4, 2]),
            (Algorithm::Rendezvous, [4, 2, 0, 3, 4], [4, 2, 1, 3, 4]),
            (Algorithm::Maglev, [4, 4, 4, 3, 0], [4, 4, 4, 4, 2]),
        ];
        for (a, uniform, weighted) in pinned {
            assert_eq!(answers(a, [1; 5]), uniform, "{a} uniform");
            assert_eq!(answers(a, [1, 2, 3, 4, 5]), weighted, "{a} weighted");
        }
    }

    #[test]
    fn single_member_takes_every_key() {
        for a in Algorithm::ALL {
            let sel = a.build(&[Member::new(99, 4)]).unwrap();
            assert!(
                sample_ipv4_keys(3, 200).all(|k| sel.select(&k) == Some(0)),
                "{a}"
            );
        }
    }

    /// Up to 24 members with distinct ids (arbitrary u64s) and weights 1..=`max_weight`.
    fn members(max_weight: u32) -> impl Strategy<Value = Vec<Member>> {
        proptest::collection::btree_map(any::<u64>(), 1..=max_weight, 0..24)
            .prop_map(|m| m.into_iter().map(|(id, w)| Member::new(id, w)).collect())
    }

    fn equal_members(n: usize, salt: u64) -> Vec<Member> {
        (0..n as u64)
            .map(|i| Member::new(crate::hash::mix64(i ^ salt), 1))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// A pure function of (key, member set): rebuilt, reordered or queried repeatedly, a
        /// key gets the same member id.
        #[test]
        fn deterministic_and_order_insensitive(
            members in members(8),
            salt in any::<u64>(),
            rotate in any::<Index>(),
        ) {
            let mut shuffled = members.clone();
            shuffled.reverse();
            if !shuffled.is_empty() {
                let r = rotate.index(shuffled.len());
                shuffled.rotate_left(r);
            }
            for a in Algorithm::ALL {
                let one = a.build(&members).unwrap();
                let two = a.build(&members).unwrap();
                let other_order = a.build(&shuffled).unwrap();
                for key in sample_ipv4_keys(salt, 64) {
                    let chosen = one.select(&key);
                    prop_assert_eq!(chosen.is_none(), members.is_empty());
                    prop_assert!(chosen.is_none_or(|i| i < members.len()));
                    let id = one.select_member(&key).map(|m| m.id);
                    prop_assert_eq!(one.select(&key), chosen);
                    prop_assert_eq!(two.select(&key), chosen);
                    prop_assert_eq!(other_order.select_member(&key).map(|m| m.id), id);
                }
            }
        }

        /// Weights are relative: multiplying every weight by c changes nothing.
        #[test]
        fn scaling_weights_changes_nothing(members in members(8), c in 2u32..50, salt in any::<u64>()) {
            let scaled: Vec<_> = members.iter().map(|m| Member::new(m.id, m.weight * c)).collect();
            for a in Algorithm::ALL {
                let one = a.build(&members).unwrap();
                let two = a.build(&scaled).unwrap();
                for key in sample_ipv4_keys(salt, 64) {
                    prop_assert_eq!(one.select(&key), two.select(&key));
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        /// Equal weights: max/mean load over 20 000 keys stays near 1 (≈ 1 + 3σ ≈ 1.09 for
        /// 16 members; the bound leaves room).
        #[test]
        fn balanced(n in 2usize..=16, salt in any::<u64>()) {
            let members = equal_members(n, salt);
            for a in Algorithm::ALL {
                let sel = a.build(&members).unwrap();
                let ratio = peak_to_mean(&loads(&sel, sample_ipv4_keys(salt, 20_000)));
                prop_assert!(ratio < 1.2, "{a} n={n}: max/mean {ratio:.3}");
            }
        }

        /// Each member's share of keys follows its weight.
        #[test]
        fn weights_respected(weights in proptest::collection::vec(1u32..=8, 2..8), salt in any::<u64>()) {
            let members: Vec<_> = (0u64..).zip(&weights).map(|(id, &w)| Member::new(id ^ salt, w)).collect();
            for a in Algorithm::ALL {
                let sel = a.build(&members).unwrap();
                let load = loads(&sel, sample_ipv4_keys(salt, 20_000));
                let err = weighted_share_error(&sel, &load);
                prop_assert!(err < 0.3, "{a} {weights:?}: share error {err:.3} ({load:?})");
            }
        }

        /// When one of N members leaves, Md5Mod moves about (N−1)/N of the keys, the
        /// consistent algorithms about 1/N.
        #[test]
        fn disruption_when_one_member_leaves(n in 3usize..=16, gone in any::<Index>(), salt in any::<u64>()) {
            let members = equal_members(n, salt);
            let mut rest = members.clone();
            rest.remove(gone.index(n));
            let nf = n as f64;
            for a in Algorithm::ALL {
                let before = a.build(&members).unwrap();
                let after = a.build(&rest).unwrap();
                let moved = moved_share(&before, &after, sample_ipv4_keys(salt, 4_000));
                if a.is_consistent() {
                    prop_assert!((moved - 1.0 / nf).abs() < 0.05, "{a} n={n}: moved {moved:.3}");
                } else {
                    prop_assert!((moved - (nf - 1.0) / nf).abs() < 0.07, "{a} n={n}: moved {moved:.3}");
                }
            }
        }
    }
}
