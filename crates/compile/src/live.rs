//! What is up: [`LiveVms`], the live VMs (a layer's selector is built over its live VMs only,
//! architecture.md §3: `v_i = select(live VMs of layer i, key a)`), and [`LiveBypass`], the
//! live bypass links (a dead link is never chosen, see [`crate::path`]).

use std::fmt;
use std::marker::PhantomData;

use flowfall_topology::{Layer, Topology, VmId};

use crate::error::Error;

/// An item a topology has a fixed number of per layer, and that is up or down: a VM
/// ([`VmId`]) or a bypass link ([`BypassId`]). Sealed: implemented by those two only.
pub trait LiveItem: Copy + sealed::Sealed {
    /// The item at `index` of layer `layer`.
    fn at(layer: usize, index: usize) -> Self;
    /// Its layer and index.
    fn position(self) -> (usize, usize);
    /// How many of them `layer` has.
    fn count(layer: &Layer) -> usize;
    /// The error naming it as not in the topology.
    fn unknown(self) -> Error;
}

mod sealed {
    /// Keeps [`super::LiveItem`] to this crate's types.
    pub trait Sealed {}
    impl Sealed for flowfall_topology::VmId {}
    impl Sealed for super::BypassId {}
}

impl LiveItem for VmId {
    fn at(layer: usize, index: usize) -> Self {
        VmId { layer, index }
    }
    fn position(self) -> (usize, usize) {
        (self.layer, self.index)
    }
    fn count(layer: &Layer) -> usize {
        layer.vms.len()
    }
    fn unknown(self) -> Error {
        Error::UnknownVm { id: self }
    }
}

impl LiveItem for BypassId {
    fn at(layer: usize, index: usize) -> Self {
        BypassId { layer, index }
    }
    fn position(self) -> (usize, usize) {
        (self.layer, self.index)
    }
    fn count(layer: &Layer) -> usize {
        layer.bypass.len()
    }
    fn unknown(self) -> Error {
        Error::UnknownBypass { id: self }
    }
}

/// A bypass link: index `index` of layer `layer`'s bypass links
/// ([`flowfall_topology::Bypass::index`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BypassId {
    /// Layer index (0-based, chain order).
    pub layer: usize,
    /// Index among the layer's bypass links.
    pub index: usize,
}

impl fmt::Display for BypassId {
    /// `layer:index`, e.g. `1:0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.layer, self.index)
    }
}

/// The set of live VMs of one topology, one flag per VM, layer by layer.
pub type LiveVms = Live<VmId>;

/// The set of live bypass links of one topology, one flag per link, layer by layer
/// (`LiveBypass::all` unless a link monitor says otherwise).
pub type LiveBypass = Live<BypassId>;

/// Which items ([`LiveItem`]: VMs or bypass links) of one topology are live, one flag per
/// item, layer by layer: [`LiveVms`], [`LiveBypass`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Live<T> {
    layers: Vec<Vec<bool>>,
    item: PhantomData<T>,
}

impl<T: LiveItem> Live<T> {
    fn filled(topology: &Topology, up: bool) -> Live<T> {
        Live {
            layers: topology
                .layers()
                .iter()
                .map(|l| vec![up; T::count(l)])
                .collect(),
            item: PhantomData,
        }
    }

    /// Every item of `topology` live.
    pub fn all(topology: &Topology) -> Live<T> {
        Live::filled(topology, true)
    }

    /// No item of `topology` live.
    pub fn none(topology: &Topology) -> Live<T> {
        Live::filled(topology, false)
    }

    /// Exactly the items `ids` live.
    ///
    /// # Errors
    /// [`Error::UnknownVm`] / [`Error::UnknownBypass`] for an id naming nothing in
    /// `topology`.
    pub fn from_ids(
        topology: &Topology,
        ids: impl IntoIterator<Item = T>,
    ) -> Result<Live<T>, Error> {
        let mut live = Live::none(topology);
        for id in ids {
            live.set(id, true)?;
        }
        Ok(live)
    }

    /// Whether item `id` is live (`false` for an unknown id).
    pub fn contains(&self, id: T) -> bool {
        let (layer, index) = id.position();
        self.layer(layer).get(index).copied().unwrap_or(false)
    }

    /// Marks item `id` live or dead; returns whether that changed anything.
    ///
    /// # Errors
    /// [`Error::UnknownVm`] / [`Error::UnknownBypass`] for an id outside the topology this
    /// set was made for.
    pub fn set(&mut self, id: T, live: bool) -> Result<bool, Error> {
        let (layer, index) = id.position();
        let slot = self
            .layers
            .get_mut(layer)
            .and_then(|l| l.get_mut(index))
            .ok_or_else(|| id.unknown())?;
        let changed = *slot != live;
        *slot = live;
        Ok(changed)
    }

    /// The same set with `id` dead.
    ///
    /// # Errors
    /// As [`Live::set`].
    pub fn without(&self, id: T) -> Result<Live<T>, Error> {
        let mut l = self.clone();
        l.set(id, false)?;
        Ok(l)
    }

    /// The live items, layer by layer.
    pub fn ids(&self) -> impl Iterator<Item = T> + '_ {
        self.layers.iter().enumerate().flat_map(|(layer, flags)| {
            flags
                .iter()
                .enumerate()
                .filter(|(_, up)| **up)
                .map(move |(index, _)| T::at(layer, index))
        })
    }

    /// Number of live items.
    pub fn len(&self) -> usize {
        self.layers.iter().flatten().filter(|&&up| up).count()
    }

    /// Whether no item is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live flags of layer `layer`'s items (empty for an unknown layer).
    pub fn layer(&self, layer: usize) -> &[bool] {
        self.layers.get(layer).map_or(&[], Vec::as_slice)
    }

    /// Whether this set has the shape of `topology` (same layers, same item counts).
    pub fn fits(&self, topology: &Topology) -> bool {
        self.layers.len() == topology.layers().len()
            && self
                .layers
                .iter()
                .zip(topology.layers())
                .all(|(flags, l)| flags.len() == T::count(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_topology::synthetic::{SyntheticSpec, generate};

    #[test]
    fn set_and_query() {
        let topo = generate(&SyntheticSpec::default()).unwrap_or_else(|e| panic!("{e}"));
        let mut live = LiveVms::all(&topo);
        assert_eq!(live.len(), 24);
        let id = VmId { layer: 1, index: 3 };
        assert_eq!(live.set(id, false), Ok(true));
        assert_eq!(live.set(id, false), Ok(false));
        assert!(!live.contains(id));
        assert_eq!(live.ids().count(), 23);
        let bad = VmId { layer: 9, index: 0 };
        assert_eq!(live.set(bad, true), Err(Error::UnknownVm { id: bad }));
        let rebuilt = LiveVms::from_ids(&topo, live.ids());
        assert_eq!(rebuilt, Ok(live.clone()));
        assert!(live.fits(&topo) && LiveVms::none(&topo).is_empty());
    }

    #[test]
    fn bypass_links_set_and_query() {
        let spec = SyntheticSpec {
            bypass_per_layer: 2,
            ..SyntheticSpec::default()
        };
        let topo = generate(&spec).unwrap_or_else(|e| panic!("{e}"));
        let mut live = LiveBypass::all(&topo);
        assert_eq!(live.len(), 6);
        let id = BypassId { layer: 2, index: 1 };
        assert_eq!(live.set(id, false), Ok(true));
        assert_eq!(live.set(id, false), Ok(false));
        assert!(!live.contains(id) && live.contains(BypassId { layer: 2, index: 0 }));
        assert_eq!(live.layer(2), &[true, false]);
        let bad = BypassId { layer: 0, index: 2 };
        assert_eq!(live.set(bad, true), Err(Error::UnknownBypass { id: bad }));
        assert_eq!(LiveBypass::from_ids(&topo, live.ids()), Ok(live.clone()));
        assert_eq!(LiveBypass::all(&topo).without(id), Ok(live.clone()));
        assert!(live.fits(&topo) && LiveBypass::none(&topo).is_empty());
        // The VM shape is not the bypass shape.
        let other = generate(&SyntheticSpec::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!live.fits(&other) && LiveBypass::all(&other).fits(&other));
        assert_eq!(id.to_string(), "2:1");
    }
}
