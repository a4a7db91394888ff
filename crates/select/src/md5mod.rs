//! `Md5Mod`: the FlowFall paper's selection, MD5 of the source address reduced modulo the
//! member count (paper §4.2), made a pure function and extended with weights.
//!
//! Exactly:
//! 1. `digest = MD5(key.as_bytes())`: for an address, its 4 (IPv4) or 16 (IPv6) network-order
//!    bytes and nothing else (prefix keys: see [`Key`]).
//! 2. `value` = all 16 digest bytes read as one **big-endian** 128-bit unsigned integer, i.e.
//!    Python's `int(hashlib.md5(addr_bytes).hexdigest(), 16)`.
//! 3. Members are put in ascending id order and weights divided by their gcd (`w_i`,
//!    total `W`). `slot = value mod W`. Member `i` (in id order) owns slots
//!    `[w_0+…+w_(i-1), w_0+…+w_i)`; the owner of `slot` is chosen. With equal weights `W = N`
//!    and this is the paper's `members_by_id[value mod N]`.
//!
//! Each selection hashes only its own key (the 2015 original fed every key into one long-lived
//! MD5 object, so its answer depended on packet-in order). Md5Mod is *not* consistent: when one
//! of N members leaves, about (N−1)/N of all keys move. Prefer [`Rendezvous`](crate::Rendezvous)
//! or [`Maglev`](crate::Maglev) unless paper-exact behaviour is wanted.

use md5::{Digest, Md5};

use crate::error::SelectError;
use crate::key::Key;
use crate::member::{Member, MemberSet};
use crate::{Algorithm, Selector};

/// The paper's MD5-modulo selector (see the [module docs](self) for the exact formula).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Md5Mod {
    set: MemberSet,
    /// Running sums of reduced weights in id order; `cumulative[i]` is the end of member i's
    /// slots. Empty when the weights are uniform (the slot is then the position).
    cumulative: Vec<u64>,
}

impl Md5Mod {
    /// Builds the selector.
    ///
    /// # Errors
    /// [`SelectError::ZeroWeight`], [`SelectError::DuplicateId`],
    /// [`SelectError::TooManyMembers`].
    pub fn new(members: &[Member]) -> Result<Md5Mod, SelectError> {
        let set = MemberSet::new(members)?;
        let cumulative = if set.uniform() {
            Vec::new()
        } else {
            set.by_id()
                .iter()
                .scan(0u64, |sum, e| {
                    *sum += e.units;
                    Some(*sum)
                })
                .collect()
        };
        Ok(Md5Mod { set, cumulative })
    }

    /// Step 2 of the formula: the MD5 digest of the key's bytes as a big-endian `u128`.
    ///
    /// ```
    /// use flowfall_select::{Key, Md5Mod};
    /// use std::net::Ipv4Addr;
    /// // MD5(0a 00 00 01) = 36281222a4a9d8fcb0cb39f0ff87cc3b
    /// let v = Md5Mod::value(&Key::from(Ipv4Addr::new(10, 0, 0, 1)));
    /// assert_eq!(v, 0x3628_1222_a4a9_d8fc_b0cb_39f0_ff87_cc3b);
    /// ```
    pub fn value(key: &Key) -> u128 {
        u128::from_be_bytes(Md5::digest(key.as_bytes()).into())
    }
}

impl Selector for Md5Mod {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Md5Mod
    }

    fn members(&self) -> &[Member] {
        self.set.members()
    }

    fn select(&self, key: &Key) -> Option<usize> {
        let total = self.set.total_units();
        if total == 0 {
            return None;
        }
        // The remainder is below `total`, a u64.
        let slot = (Md5Mod::value(key) % u128::from(total)) as u64;
        let position = if self.cumulative.is_empty() {
            slot as usize
        } else {
            self.cumulative.partition_point(|&end| end <= slot)
        };
        self.set.by_id().get(position).map(|e| usize::from(e.index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// Keys with their `MD5(bytes)` as a big-endian integer reduced mod 3 and mod 12,
    /// computed independently with Python's hashlib.
    fn vectors() -> Vec<(Key, u64, u64)> {
        vec![
            (Key::from(Ipv4Addr::new(10, 0, 0, 1)), 2, 11),
            (Key::from(Ipv4Addr::new(192, 168, 1, 1)), 1, 1),
            (Key::from("2001:db8::1".parse::<Ipv6Addr>().unwrap()), 1, 4),
            ("10.0.0.0/24".parse().unwrap(), 0, 9),
        ]
    }

    #[test]
    fn equal_weights_index_the_id_ordered_members() {
        // Caller order 30, 10, 20; id order 10, 20, 30.
        let sel =
            Md5Mod::new(&[Member::new(30, 1), Member::new(10, 1), Member::new(20, 1)]).unwrap();
        let ids = [10, 20, 30];
        for (key, mod3, _) in vectors() {
            let got = sel.select_member(&key).map(|m| m.id);
            assert_eq!(got, Some(ids[mod3 as usize]), "{key}");
        }
        let twelve: Vec<_> = (0..12).map(|id| Member::new(id, 3)).collect();
        let sel = Md5Mod::new(&twelve).unwrap();
        for (key, _, mod12) in vectors() {
            assert_eq!(sel.select(&key), Some(mod12 as usize), "{key}");
        }
    }

    #[test]
    fn weights_map_slots_over_cumulative_ranges() {
        // Reduced weights 1, 10, 1 (W = 12): id 1 owns slot 0, id 2 slots 1..=10, id 3 slot 11.
        let sel = Md5Mod::new(&[Member::new(3, 2), Member::new(2, 20), Member::new(1, 2)]).unwrap();
        for (key, _, slot) in vectors() {
            let want = match slot {
                0 => 1,
                11 => 3,
                _ => 2,
            };
            assert_eq!(sel.select_member(&key).map(|m| m.id), Some(want), "{key}");
        }
    }

    #[test]
    fn answer_does_not_depend_on_earlier_selections() {
        // The 2015 defect: a shared MD5 object made answers depend on call order.
        let sel = Md5Mod::new(&(0..7).map(|id| Member::new(id, 1)).collect::<Vec<_>>()).unwrap();
        let key = Key::from(Ipv4Addr::new(10, 0, 0, 1));
        let first = sel.select(&key);
        for i in 0..100u32 {
            sel.select(&Key::from(Ipv4Addr::from(i)));
        }
        assert_eq!(sel.select(&key), first);
        assert_eq!(first, Some(4)); // MD5(10.0.0.1) mod 7 = 4 (Python hashlib)
    }
}
