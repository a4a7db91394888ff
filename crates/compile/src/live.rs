//! [`LiveVms`]: which VMs of a topology are up. A layer's selector is built over its live VMs
//! only (architecture.md §3: `v_i = select(live VMs of layer i, key a)`).

use flowfall_topology::{Topology, VmId};

use crate::error::Error;

/// The set of live VMs of one topology, one flag per VM, layer by layer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LiveVms {
    layers: Vec<Vec<bool>>,
}

impl LiveVms {
    /// Every VM of `topology` live.
    pub fn all(topology: &Topology) -> LiveVms {
        LiveVms {
            layers: topology
                .layers()
                .iter()
                .map(|l| vec![true; l.vms.len()])
                .collect(),
        }
    }

    /// No VM of `topology` live.
    pub fn none(topology: &Topology) -> LiveVms {
        LiveVms {
            layers: topology
                .layers()
                .iter()
                .map(|l| vec![false; l.vms.len()])
                .collect(),
        }
    }

    /// Exactly the VMs `ids` live.
    ///
    /// # Errors
    /// [`Error::UnknownVm`] for an id naming no VM of `topology`.
    pub fn from_ids(
        topology: &Topology,
        ids: impl IntoIterator<Item = VmId>,
    ) -> Result<LiveVms, Error> {
        let mut live = LiveVms::none(topology);
        for id in ids {
            live.set(id, true)?;
        }
        Ok(live)
    }

    /// Whether VM `id` is live (`false` for an unknown id).
    pub fn contains(&self, id: VmId) -> bool {
        self.layers
            .get(id.layer)
            .and_then(|l| l.get(id.index))
            .copied()
            .unwrap_or(false)
    }

    /// Marks VM `id` live or dead; returns whether that changed anything.
    ///
    /// # Errors
    /// [`Error::UnknownVm`] for an id outside the topology this set was made for.
    pub fn set(&mut self, id: VmId, live: bool) -> Result<bool, Error> {
        let slot = self
            .layers
            .get_mut(id.layer)
            .and_then(|l| l.get_mut(id.index))
            .ok_or(Error::UnknownVm { id })?;
        let changed = *slot != live;
        *slot = live;
        Ok(changed)
    }

    /// The same set with `id` dead.
    ///
    /// # Errors
    /// As [`LiveVms::set`].
    pub fn without(&self, id: VmId) -> Result<LiveVms, Error> {
        let mut l = self.clone();
        l.set(id, false)?;
        Ok(l)
    }

    /// The live VMs, layer by layer.
    pub fn ids(&self) -> impl Iterator<Item = VmId> + '_ {
        self.layers.iter().enumerate().flat_map(|(layer, vms)| {
            vms.iter()
                .enumerate()
                .filter(|(_, up)| **up)
                .map(move |(index, _)| VmId { layer, index })
        })
    }

    /// Number of live VMs.
    pub fn len(&self) -> usize {
        self.layers.iter().flatten().filter(|&&up| up).count()
    }

    /// Whether no VM is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live flags of layer `layer` (empty for an unknown layer).
    pub fn layer(&self, layer: usize) -> &[bool] {
        self.layers.get(layer).map_or(&[], Vec::as_slice)
    }

    /// Whether this set has the shape of `topology` (same layers, same VM counts).
    pub fn fits(&self, topology: &Topology) -> bool {
        self.layers.len() == topology.layers().len()
            && self
                .layers
                .iter()
                .zip(topology.layers())
                .all(|(flags, l)| flags.len() == l.vms.len())
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
}
