//! Layer members (VMs or hardware boxes) with a stable id and a relative weight, and the
//! validated, id-ordered view every algorithm is built from.

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::error::SelectError;

/// Largest member list a selector accepts (members are stored as 16-bit indices; a layer hangs
/// off one switch, so this is far above any real layer).
pub const MAX_MEMBERS: usize = u16::MAX as usize;

/// A candidate for selection: a VM (or a hardware box, paper §5) in one VNF layer.
///
/// `id` is the member's *stable identity*: the consistent algorithms hash it, not the member's
/// position, so adding or removing one member leaves the others' keys where they were. Derive it
/// from something that survives restarts (a configured VM number, or [`Member::named`]).
/// `weight` is relative capacity: a member of weight 10 takes about ten times the keys of a
/// member of weight 1. Weights are divided by their greatest common divisor before use, so
/// `[2, 2, 4]` and `[1, 1, 2]` select identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Stable identity of the member.
    pub id: u64,
    /// Relative capacity, at least 1 (1 when omitted in serialized form).
    #[serde(default = "one")]
    pub weight: u32,
}

const fn one() -> u32 {
    1
}

impl Member {
    /// A member with the given id and weight.
    pub const fn new(id: u64, weight: u32) -> Member {
        Member { id, weight }
    }

    /// A member whose id is [`Member::id_from_name`] of `name`.
    pub fn named(name: &str, weight: u32) -> Member {
        Member::new(Member::id_from_name(name), weight)
    }

    /// A stable 64-bit id for a textual name: the first 8 bytes of MD5 of its UTF-8 bytes, read
    /// big-endian. Two names colliding is a ~2⁻⁶⁴ event, and is reported by the build as
    /// [`SelectError::DuplicateId`] rather than silently merged.
    ///
    /// ```
    /// use flowfall_select::Member;
    /// // MD5("fw-1") = e6e414bbd9f75c8e 96d283b4abbd5549
    /// assert_eq!(Member::id_from_name("fw-1"), 0xe6e4_14bb_d9f7_5c8e);
    /// ```
    pub fn id_from_name(name: &str) -> u64 {
        let digest: [u8; 16] = Md5::digest(name.as_bytes()).into();
        let [a, b, c, d, e, f, g, h, ..] = digest;
        u64::from_be_bytes([a, b, c, d, e, f, g, h])
    }
}

/// One member in the id-ordered view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Position in the caller's list (what `select` returns).
    pub(crate) index: u16,
    /// The member's id.
    pub(crate) id: u64,
    /// Weight divided by the gcd of all weights.
    pub(crate) units: u64,
}

/// A validated member list: the caller's order (for the answers) and the id order (for the
/// hashing, so that every algorithm is insensitive to the order members are listed in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberSet {
    members: Vec<Member>,
    by_id: Vec<Entry>,
    total_units: u64,
    uniform: bool,
}

impl MemberSet {
    /// Validates `members`: at most [`MAX_MEMBERS`], no weight 0, no duplicate id.
    pub(crate) fn new(members: &[Member]) -> Result<MemberSet, SelectError> {
        if members.len() > MAX_MEMBERS {
            return Err(SelectError::TooManyMembers {
                found: members.len(),
                max: MAX_MEMBERS,
            });
        }
        if let Some((index, m)) = members.iter().enumerate().find(|(_, m)| m.weight == 0) {
            return Err(SelectError::ZeroWeight { index, id: m.id });
        }
        let divisor = members
            .iter()
            .fold(0u64, |g, m| gcd(g, u64::from(m.weight)))
            .max(1);
        let mut by_id = Vec::with_capacity(members.len());
        for (index, m) in (0u16..).zip(members) {
            by_id.push(Entry {
                index,
                id: m.id,
                units: u64::from(m.weight) / divisor,
            });
        }
        by_id.sort_unstable_by_key(|e| (e.id, e.index));
        if let Some(pair) = by_id.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(SelectError::DuplicateId {
                id: pair[0].id,
                first: usize::from(pair[0].index),
                second: usize::from(pair[1].index),
            });
        }
        // At most 65535 members of at most 2^32 - 1 units: the sum fits in u64.
        let total_units = by_id.iter().map(|e| e.units).sum();
        let uniform = by_id.iter().all(|e| e.units == 1);
        Ok(MemberSet {
            members: members.to_vec(),
            by_id,
            total_units,
            uniform,
        })
    }

    /// The members in the caller's order.
    pub(crate) fn members(&self) -> &[Member] {
        &self.members
    }

    /// The members in ascending id order.
    pub(crate) fn by_id(&self) -> &[Entry] {
        &self.by_id
    }

    /// Sum of the gcd-reduced weights (0 for an empty set).
    pub(crate) fn total_units(&self) -> u64 {
        self.total_units
    }

    /// Whether every member has the same weight (every reduced weight is 1).
    pub(crate) fn uniform(&self) -> bool {
        self.uniform
    }
}

/// Greatest common divisor (Euclid); `gcd(0, x) = x`.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_id_and_reduces_weights() {
        let set =
            MemberSet::new(&[Member::new(9, 4), Member::new(3, 2), Member::new(5, 6)]).unwrap();
        let ids: Vec<_> = set
            .by_id()
            .iter()
            .map(|e| (e.id, e.index, e.units))
            .collect();
        assert_eq!(ids, vec![(3, 1, 1), (5, 2, 3), (9, 0, 2)]);
        assert_eq!(set.total_units(), 6);
        assert!(!set.uniform());
        let set = MemberSet::new(&[Member::new(1, 7), Member::new(2, 7)]).unwrap();
        assert!(set.uniform());
        assert_eq!(set.total_units(), 2);
    }

    #[test]
    fn rejects_zero_weight_duplicates_and_oversize() {
        assert_eq!(
            MemberSet::new(&[Member::new(1, 1), Member::new(2, 0)]),
            Err(SelectError::ZeroWeight { index: 1, id: 2 })
        );
        assert_eq!(
            MemberSet::new(&[Member::new(4, 1), Member::new(1, 1), Member::new(4, 2)]),
            Err(SelectError::DuplicateId {
                id: 4,
                first: 0,
                second: 2
            })
        );
        let many: Vec<_> = (0..=MAX_MEMBERS as u64)
            .map(|id| Member::new(id, 1))
            .collect();
        assert_eq!(
            MemberSet::new(&many),
            Err(SelectError::TooManyMembers {
                found: MAX_MEMBERS + 1,
                max: MAX_MEMBERS
            })
        );
    }

    #[test]
    fn empty_set_is_valid() {
        let set = MemberSet::new(&[]).unwrap();
        assert!(set.by_id().is_empty());
        assert_eq!(set.total_units(), 0);
    }

    #[test]
    fn max_weights_do_not_overflow() {
        let big: Vec<_> = (0..1000u64)
            .map(|id| Member::new(id, u32::MAX - id as u32))
            .collect();
        let set = MemberSet::new(&big).unwrap();
        let want: u64 = big.iter().map(|m| u64::from(m.weight)).sum();
        assert_eq!(set.total_units(), want);
    }

    #[test]
    fn serde_defaults_weight_and_rejects_unknown_fields() {
        let m: Member = serde_json::from_str(r#"{"id": 5}"#).unwrap();
        assert_eq!(m, Member::new(5, 1));
        assert!(serde_json::from_str::<Member>(r#"{"id": 5, "wieght": 2}"#).is_err());
    }

    #[test]
    fn gcd_basics() {
        assert_eq!(gcd(0, 6), 6);
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(7, 13), 1);
    }
}
