//! [`Vm`] and its identities: the positional [`VmId`] and the name-keyed stable id.

use std::fmt;

use crate::Mac;

/// Where a VM sits in this topology: its layer and its position among that layer's VMs
/// (hypervisors in file order, then VMs in file order).
///
/// A `VmId` is an index, valid for the [`Topology`](crate::Topology) it came from. To follow
/// a VM across a configuration reload, use its name or [`Vm::stable_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VmId {
    /// Layer index (0-based, chain order).
    pub layer: usize,
    /// Index in [`Layer::vms`](crate::Layer::vms).
    pub index: usize,
}

impl fmt::Display for VmId {
    /// `layer:index`, e.g. `1:3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.layer, self.index)
    }
}

/// One VNF instance of a layer: a VM with an SR-IOV VF on each NIC of its hypervisor, or a
/// hardware box (paper section 5: a layer does not care which).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vm {
    /// Position in the topology.
    pub id: VmId,
    /// The configured name, unique in the topology; the VM's identity across reloads.
    pub name: String,
    /// Index of its hypervisor in [`Layer::hypervisors`](crate::Layer::hypervisors).
    pub hypervisor: usize,
    /// MAC of the downlink VF: `eth_dst` of upstream packets sent to it from the layer's
    /// lower switch.
    pub down_mac: Mac,
    /// MAC of the uplink VF: `eth_dst` of downstream packets sent to it from the layer's
    /// upper switch.
    pub up_mac: Mac,
    /// Selection weight (1..=65535; a hardware box may weigh more than a VM).
    pub weight: u32,
    /// The VU port (its hypervisor's downlink) on the layer's lower switch.
    pub down_port: u32,
    /// The VD port (its hypervisor's uplink) on the layer's upper switch.
    pub up_port: u32,
    /// [`stable_hash`] of the name: the same for the same name in any configuration, process
    /// or release, so a selector keyed on it is stable across restarts and replicas.
    pub stable_id: u64,
}

impl Vm {
    /// The VM's stable identity for hashing selectors ([`Vm::stable_id`]).
    pub fn stable_hash_id(&self) -> u64 {
        self.stable_id
    }
}

/// The stable 64-bit identity of a VM name: FNV-1a (64-bit) of its UTF-8 bytes.
///
/// This function is part of the crate's contract and never changes, so identities survive
/// reloads, restarts and upgrades.
///
/// ```
/// use flowfall_topology::stable_hash;
///
/// assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub const fn stable_hash(name: &str) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let bytes = name.as_bytes();
    let mut hash = OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(PRIME);
        i += 1;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(stable_hash("foobar"), 0x85944171f73967e8);
        assert_eq!(stable_hash("a"), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn vm_id_display() {
        assert_eq!(VmId { layer: 1, index: 3 }.to_string(), "1:3");
    }
}
