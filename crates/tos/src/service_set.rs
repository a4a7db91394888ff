//! [`ServiceSet`]: which VNF layers a customer's traffic passes through.

use std::fmt;
use std::ops::{BitAnd, BitOr};

use serde::{Deserialize, Serialize};

use crate::TosError;

/// A set of VNF layers, as a bitmap over **layer indices** (0-based, chain order).
///
/// Layer `i` is in the set when the customer's traffic must pass through layer `i`; otherwise
/// that layer is bypassed (paper, section 4.2). The set is independent of how it is written on
/// the wire: a [`Catalogue`](crate::Catalogue) maps each layer to a bit position and an
/// [`Encoding`](crate::Encoding) places those bits in the ToS byte.
///
/// A set holds layers `0..=63` ([`ServiceSet::CAPACITY`]); that limit only matters when
/// services come from configuration rather than the ToS byte (which holds 6 or 8).
///
/// Serialized (serde) as a sorted list of layer indices, e.g. `[0, 2]`.
///
/// ```
/// use flowfall_tos::ServiceSet;
///
/// let mut set = ServiceSet::EMPTY;
/// assert!(set.insert(2)?);
/// assert!(set.insert(0)?);
/// assert!(!set.insert(2)?, "already there");
/// assert!(set.contains(0) && !set.contains(1));
/// assert_eq!(set.iter().collect::<Vec<_>>(), vec![0, 2]);
/// assert_eq!(set.to_string(), "{0,2}");
/// assert!(set.insert(64).is_err());
/// # Ok::<(), flowfall_tos::TosError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<u32>", into = "Vec<u32>")]
pub struct ServiceSet(u64);

impl ServiceSet {
    /// Number of layers a set can hold (layer indices `0..CAPACITY`).
    pub const CAPACITY: usize = 64;

    /// The empty set: every layer is bypassed.
    pub const EMPTY: ServiceSet = ServiceSet(0);

    /// The set whose bitmap is `bits` (bit `i` = layer `i`).
    pub const fn from_bits(bits: u64) -> Self {
        ServiceSet(bits)
    }

    /// The bitmap (bit `i` = layer `i`).
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set of the first `n` layers (`0..n`), saturating at [`Self::CAPACITY`].
    pub const fn first(n: usize) -> Self {
        if n >= Self::CAPACITY {
            ServiceSet(u64::MAX)
        } else {
            ServiceSet((1u64 << n) - 1)
        }
    }

    /// Builds a set from layer indices; fails on the first index out of range.
    pub fn from_layers<I: IntoIterator<Item = usize>>(layers: I) -> Result<Self, TosError> {
        let mut set = ServiceSet::EMPTY;
        for layer in layers {
            set.insert(layer)?;
        }
        Ok(set)
    }

    /// Whether layer `layer` is in the set (always false for `layer >= 64`).
    pub const fn contains(self, layer: usize) -> bool {
        layer < Self::CAPACITY && self.0 & (1u64 << layer) != 0
    }

    /// Adds layer `layer`; returns whether it was newly added.
    ///
    /// # Errors
    /// [`TosError::LayerOutOfRange`] when `layer >= 64`.
    pub fn insert(&mut self, layer: usize) -> Result<bool, TosError> {
        if layer >= Self::CAPACITY {
            return Err(TosError::LayerOutOfRange { layer });
        }
        let added = !self.contains(layer);
        self.0 |= 1u64 << layer;
        Ok(added)
    }

    /// Removes layer `layer`; returns whether it was present.
    pub fn remove(&mut self, layer: usize) -> bool {
        let present = self.contains(layer);
        if present {
            self.0 &= !(1u64 << layer);
        }
        present
    }

    /// Number of layers in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty (the customer bypasses every layer).
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Layers in both sets.
    pub const fn intersection(self, other: ServiceSet) -> ServiceSet {
        ServiceSet(self.0 & other.0)
    }

    /// Layers in either set.
    pub const fn union(self, other: ServiceSet) -> ServiceSet {
        ServiceSet(self.0 | other.0)
    }

    /// Whether every layer of `self` is in `other`.
    pub const fn is_subset(self, other: ServiceSet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The layer indices in ascending (chain) order.
    pub fn iter(self) -> Iter {
        Iter(self.0)
    }
}

/// Iterator over the layer indices of a [`ServiceSet`], ascending.
#[derive(Debug, Clone)]
pub struct Iter(u64);

impl Iterator for Iter {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let layer = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(layer)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter {}

impl IntoIterator for ServiceSet {
    type Item = usize;
    type IntoIter = Iter;

    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl BitOr for ServiceSet {
    type Output = ServiceSet;

    fn bitor(self, rhs: ServiceSet) -> ServiceSet {
        self.union(rhs)
    }
}

impl BitAnd for ServiceSet {
    type Output = ServiceSet;

    fn bitand(self, rhs: ServiceSet) -> ServiceSet {
        self.intersection(rhs)
    }
}

impl fmt::Display for ServiceSet {
    /// `{0,2}`: the layer indices, ascending.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, layer) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{layer}")?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for ServiceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceSet{self}")
    }
}

impl TryFrom<Vec<u32>> for ServiceSet {
    type Error = TosError;

    fn try_from(layers: Vec<u32>) -> Result<Self, TosError> {
        ServiceSet::from_layers(layers.into_iter().map(|l| l as usize))
    }
}

impl From<ServiceSet> for Vec<u32> {
    fn from(set: ServiceSet) -> Vec<u32> {
        set.iter().map(|l| l as u32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_and_first() {
        assert!(ServiceSet::EMPTY.is_empty());
        assert_eq!(ServiceSet::first(3).bits(), 0b111);
        assert_eq!(ServiceSet::first(64).len(), 64);
        assert_eq!(ServiceSet::first(0), ServiceSet::EMPTY);
    }

    #[test]
    fn insert_out_of_range_is_an_error() {
        let mut set = ServiceSet::EMPTY;
        assert_eq!(set.insert(64), Err(TosError::LayerOutOfRange { layer: 64 }));
        assert!(set.insert(63).unwrap_or(false));
        assert!(!set.contains(64));
        assert!(!set.remove(64));
    }

    #[test]
    fn display_and_debug() {
        let set = ServiceSet::from_bits(0b1010);
        assert_eq!(set.to_string(), "{1,3}");
        assert_eq!(format!("{set:?}"), "ServiceSet{1,3}");
        assert_eq!(ServiceSet::EMPTY.to_string(), "{}");
    }

    #[test]
    fn serde_as_list() {
        let set = ServiceSet::from_bits(0b101);
        let v: Vec<u32> = set.into();
        assert_eq!(v, vec![0, 2]);
        assert_eq!(ServiceSet::try_from(vec![2, 0, 2]), Ok(set));
        assert!(ServiceSet::try_from(vec![70]).is_err());
    }

    proptest! {
        #[test]
        fn iter_matches_contains(bits in any::<u64>()) {
            let set = ServiceSet::from_bits(bits);
            let layers: Vec<usize> = set.iter().collect();
            prop_assert_eq!(layers.len(), set.len());
            prop_assert!(layers.windows(2).all(|w| w[0] < w[1]));
            for l in 0..64 {
                prop_assert_eq!(set.contains(l), layers.contains(&l));
            }
            prop_assert_eq!(ServiceSet::from_layers(layers), Ok(set));
        }

        #[test]
        fn set_algebra(a in any::<u64>(), b in any::<u64>()) {
            let (a, b) = (ServiceSet::from_bits(a), ServiceSet::from_bits(b));
            prop_assert!((a & b).is_subset(a) && (a & b).is_subset(b));
            prop_assert!(a.is_subset(a | b) && b.is_subset(a | b));
            let mut c = a;
            for l in b { c.remove(l); }
            prop_assert!((c & b).is_empty());
        }
    }
}
