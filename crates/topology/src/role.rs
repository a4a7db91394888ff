//! [`PortRole`]: what each port of a junction switch connects to (paper section 4.2).

use std::fmt;

/// The role of one port of one junction switch.
///
/// Layer `l` (0-based) sits between switch `l` (its lower side) and switch `l + 1` (its upper
/// side). Seen from a switch, the paper's four kinds are:
///
/// | role | paper | on switch | connects to |
/// |---|---|---|---|
/// | [`VnfUp`](PortRole::VnfUp) | VU | `l` | a hypervisor's downlink NIC of layer `l` |
/// | [`VnfDown`](PortRole::VnfDown) | VD | `l + 1` | a hypervisor's uplink NIC of layer `l` |
/// | [`BypassUp`](PortRole::BypassUp) | BU | `l` | the bypass link of layer `l`, going up |
/// | [`BypassDown`](PortRole::BypassDown) | BD | `l + 1` | the bypass link of layer `l`, going down |
///
/// plus the edges: [`Edge`](PortRole::Edge) (a customer's CPE, on switch 0) and
/// [`EdgeUp`](PortRole::EdgeUp) (the backbone router, on the last switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortRole {
    /// A customer edge on the first switch.
    Edge {
        /// Customer index.
        customer: usize,
    },
    /// The backbone-router edge on the last switch.
    EdgeUp,
    /// VU: toward a hypervisor of `layer` (its downlink NIC), on switch `layer`.
    VnfUp {
        /// Layer index.
        layer: usize,
        /// Hypervisor index within the layer.
        hypervisor: usize,
    },
    /// VD: toward a hypervisor of `layer` (its uplink NIC), on switch `layer + 1`.
    VnfDown {
        /// Layer index.
        layer: usize,
        /// Hypervisor index within the layer.
        hypervisor: usize,
    },
    /// BU: the bypass link of `layer`, on switch `layer`.
    BypassUp {
        /// Layer index.
        layer: usize,
        /// Bypass index within the layer.
        bypass: usize,
    },
    /// BD: the bypass link of `layer`, on switch `layer + 1`.
    BypassDown {
        /// Layer index.
        layer: usize,
        /// Bypass index within the layer.
        bypass: usize,
    },
}

/// The kind of a [`PortRole`], without indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortKind {
    /// Customer edge.
    Edge,
    /// Backbone edge.
    EdgeUp,
    /// VU.
    VnfUp,
    /// VD.
    VnfDown,
    /// BU.
    BypassUp,
    /// BD.
    BypassDown,
}

impl PortKind {
    /// Short name: `edge`, `edge-up`, `VU`, `VD`, `BU`, `BD`.
    pub const fn name(self) -> &'static str {
        match self {
            PortKind::Edge => "edge",
            PortKind::EdgeUp => "edge-up",
            PortKind::VnfUp => "VU",
            PortKind::VnfDown => "VD",
            PortKind::BypassUp => "BU",
            PortKind::BypassDown => "BD",
        }
    }
}

impl fmt::Display for PortKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PortRole {
    /// The kind, without indices.
    pub const fn kind(self) -> PortKind {
        match self {
            PortRole::Edge { .. } => PortKind::Edge,
            PortRole::EdgeUp => PortKind::EdgeUp,
            PortRole::VnfUp { .. } => PortKind::VnfUp,
            PortRole::VnfDown { .. } => PortKind::VnfDown,
            PortRole::BypassUp { .. } => PortKind::BypassUp,
            PortRole::BypassDown { .. } => PortKind::BypassDown,
        }
    }

    /// The layer a VU/VD/BU/BD port belongs to.
    pub const fn layer(self) -> Option<usize> {
        match self {
            PortRole::VnfUp { layer, .. }
            | PortRole::VnfDown { layer, .. }
            | PortRole::BypassUp { layer, .. }
            | PortRole::BypassDown { layer, .. } => Some(layer),
            PortRole::Edge { .. } | PortRole::EdgeUp => None,
        }
    }

    /// Whether the port leads toward the backbone (upstream traffic leaves through it):
    /// VU, BU and edge-up. Upstream traffic *enters* through the others.
    pub const fn leads_up(self) -> bool {
        matches!(
            self,
            PortRole::VnfUp { .. } | PortRole::BypassUp { .. } | PortRole::EdgeUp
        )
    }

    /// The index of the switch the port is on, for a chain of `layers` layers.
    pub const fn switch(self, layers: usize) -> usize {
        match self {
            PortRole::Edge { .. } => 0,
            PortRole::EdgeUp => layers,
            PortRole::VnfUp { layer, .. } | PortRole::BypassUp { layer, .. } => layer,
            PortRole::VnfDown { layer, .. } | PortRole::BypassDown { layer, .. } => layer + 1,
        }
    }
}

impl fmt::Display for PortRole {
    /// e.g. `edge(customer 3)`, `edge-up`, `VU(layer 0, hv 1)`, `BD(layer 2, bypass 0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match *self {
            PortRole::Edge { customer } => write!(f, "{kind}(customer {customer})"),
            PortRole::EdgeUp => write!(f, "{kind}"),
            PortRole::VnfUp { layer, hypervisor } | PortRole::VnfDown { layer, hypervisor } => {
                write!(f, "{kind}(layer {layer}, hv {hypervisor})")
            }
            PortRole::BypassUp { layer, bypass } | PortRole::BypassDown { layer, bypass } => {
                write!(f, "{kind}(layer {layer}, bypass {bypass})")
            }
        }
    }
}

/// The ports of every switch with their roles, sorted by port for look-up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PortMap {
    per_switch: Vec<Vec<(u32, PortRole)>>,
}

impl PortMap {
    /// Builds the map from `(switch, port, role)` triples already checked to be distinct.
    pub(crate) fn new(switches: usize, entries: Vec<(usize, u32, PortRole)>) -> Self {
        let mut per_switch = vec![Vec::new(); switches];
        for (switch, port, role) in entries {
            if let Some(ports) = per_switch.get_mut(switch) {
                ports.push((port, role));
            }
        }
        for ports in &mut per_switch {
            ports.sort_unstable();
        }
        PortMap { per_switch }
    }

    /// The role of `port` on `switch`.
    pub(crate) fn role(&self, switch: usize, port: u32) -> Option<PortRole> {
        let ports = self.per_switch.get(switch)?;
        let i = ports.binary_search_by_key(&port, |&(p, _)| p).ok()?;
        ports.get(i).map(|&(_, role)| role)
    }

    /// All `(port, role)` of `switch`, by port.
    pub(crate) fn ports(&self, switch: usize) -> &[(u32, PortRole)] {
        self.per_switch.get(switch).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_and_direction() {
        let vu = PortRole::VnfUp {
            layer: 1,
            hypervisor: 0,
        };
        let bd = PortRole::BypassDown {
            layer: 1,
            bypass: 0,
        };
        assert_eq!((vu.switch(3), bd.switch(3)), (1, 2));
        assert_eq!(PortRole::EdgeUp.switch(3), 3);
        assert!(vu.leads_up() && !bd.leads_up());
        assert_eq!(vu.to_string(), "VU(layer 1, hv 0)");
        assert_eq!(bd.to_string(), "BD(layer 1, bypass 0)");
        assert_eq!(
            PortRole::Edge { customer: 4 }.to_string(),
            "edge(customer 4)"
        );
        assert_eq!(bd.layer(), Some(1));
        assert_eq!(PortRole::EdgeUp.layer(), None);
    }

    #[test]
    fn map_lookup() {
        let map = PortMap::new(
            2,
            vec![
                (0, 7, PortRole::Edge { customer: 0 }),
                (0, 2, PortRole::Edge { customer: 1 }),
                (1, 7, PortRole::EdgeUp),
                (5, 1, PortRole::EdgeUp),
            ],
        );
        assert_eq!(map.role(0, 7), Some(PortRole::Edge { customer: 0 }));
        assert_eq!(map.role(1, 7), Some(PortRole::EdgeUp));
        assert_eq!(map.role(0, 3), None);
        assert_eq!(map.role(9, 7), None);
        assert_eq!(map.ports(0).first().map(|p| p.0), Some(2));
        assert!(map.ports(5).is_empty());
    }
}
