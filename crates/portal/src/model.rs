//! What the portal shows: snapshots of the chain, its customers and its alarms, as a
//! [`PortalBackend`](crate::PortalBackend) reports them and the JSON API serves them.
//!
//! The vocabulary is the paper's (§4.1–4.2): junction switches J0..Jn, VNF layers in chain
//! order, VMs on hypervisors, bypass links, customers with a service set carried in the ToS
//! byte.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The whole chain as the operator view draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainOverview {
    /// The chain's name (`[chain] name` in the topology file).
    pub name: String,
    /// Whether customers' services are carried in the ToS byte (`service_source = "tos"`):
    /// then a change has a new ToS value for the CPE, and the CPE hook runs.
    pub tos_mode: bool,
    /// Junction switches J0..Jn, chain order (J0 faces customers, Jn the backbone).
    pub switches: Vec<SwitchStatus>,
    /// VNF layers, chain order: layer `i` sits between `switches[i]` and `switches[i + 1]`.
    pub layers: Vec<LayerStatus>,
}

impl ChainOverview {
    /// Layer names in chain order: the services a customer can have.
    pub fn catalogue(&self) -> Vec<String> {
        self.layers.iter().map(|l| l.name.clone()).collect()
    }
}

/// One junction switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchStatus {
    /// Junction name from the topology.
    pub name: String,
    /// Datapath id, `00:00:00:00:00:00:00:01` form, when known.
    pub dpid: Option<String>,
    /// Whether its OpenFlow connection is up.
    pub connected: bool,
    /// Free-text channel state (e.g. `ready`, `reconcile`, `disconnected`).
    pub state: String,
    /// Whether the switch holds exactly the compiled flow table, when known.
    pub in_sync: Option<bool>,
    /// Flow entries on the switch, when known.
    pub flows: Option<u64>,
}

/// One VNF layer: one network function, several VMs, optional bypass links (paper §4.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStatus {
    /// Layer name, which is also the service name customers use.
    pub name: String,
    /// Service bit position, when the chain carries services in the ToS byte.
    pub bit: Option<u8>,
    /// The layer's VMs (or hardware boxes), in configuration order.
    pub vms: Vec<VmStatus>,
    /// Bypass links carrying traffic past this layer.
    pub bypass: Vec<BypassStatus>,
}

/// Liveness of a VM, as the controller's monitor last judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liveness {
    /// Answering; selected for new traffic.
    Up,
    /// Missed some probes; still selected, about to be declared down.
    Suspect,
    /// Not answering or administratively down; not selected.
    Down,
    /// No monitor runs, or it has not judged yet.
    Unknown,
}

impl Liveness {
    /// The lower-case name used in JSON and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Up => "up",
            Liveness::Suspect => "suspect",
            Liveness::Down => "down",
            Liveness::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Liveness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One VM (or hardware box) of a layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmStatus {
    /// VM name.
    pub name: String,
    /// Its hypervisor.
    pub hypervisor: String,
    /// Liveness (paper §5.2, open problem 1).
    pub liveness: Liveness,
    /// Last probe round-trip time in milliseconds, when a monitor measures it.
    pub rtt_ms: Option<f64>,
    /// Load, when known (paper §5.2, open problem 2).
    pub load: Option<VmLoad>,
}

/// What is known of a VM's load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmLoad {
    /// Customer prefixes currently steered to the VM.
    pub prefixes: Option<u64>,
    /// Measured throughput through the VM, bits per second.
    pub bits_per_second: Option<u64>,
}

/// One bypass link of a layer (BU port on the lower junction, BD port on the upper).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BypassStatus {
    /// BU port on the junction below the layer.
    pub down_port: u32,
    /// BD port on the junction above the layer.
    pub up_port: u32,
    /// Whether both ends are up, when known.
    pub up: Option<bool>,
}

/// One customer: its services, its paths and its traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerStatus {
    /// Customer name.
    pub name: String,
    /// Services in effect (layer names, chain order).
    pub services: Vec<String>,
    /// The ToS byte those services encode, when the chain carries services in the ToS byte.
    pub tos: Option<u8>,
    /// Where each of the customer's prefixes goes, both directions.
    pub paths: Vec<PrefixPath>,
    /// Traffic counters, when known.
    pub counters: Option<Counters>,
}

/// The path of one prefix through the chain (paper §4.2: downstream mirrors upstream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixPath {
    /// The prefix, e.g. `10.1.1.0/24`.
    pub prefix: String,
    /// Customer to Internet: one hop per layer, J0 to Jn order.
    pub upstream: Vec<Hop>,
    /// Internet to customer: one hop per layer, Jn to J0 order.
    pub downstream: Vec<Hop>,
}

/// Where traffic goes in one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// Layer name.
    pub layer: String,
    /// Through a VM, the bypass, or dropped.
    #[serde(flatten)]
    pub via: Via,
}

/// How a hop crosses its layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "lowercase")]
pub enum Via {
    /// Through this VM.
    Vm {
        /// VM name.
        vm: String,
        /// Its hypervisor.
        hypervisor: String,
    },
    /// Over the layer's bypass link (service off).
    Bypass,
    /// Dropped: the service is on, no VM is live and the layer fails closed.
    Drop,
}

/// Bytes and packets in one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    /// Bytes.
    pub bytes: u64,
    /// Packets.
    pub packets: u64,
}

/// A customer's traffic counters, both directions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Customer to Internet.
    pub upstream: Traffic,
    /// Internet to customer.
    pub downstream: Traffic,
}

/// Severity of an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Traffic is lost or a function is bypassed.
    Critical,
    /// Capacity or redundancy is lost.
    Major,
    /// Something needs a look.
    Minor,
    /// Informational.
    Info,
}

/// One active alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// Severity.
    pub severity: Severity,
    /// What raised it, e.g. `switch j1` or `vm fw-2`.
    pub source: String,
    /// What is wrong.
    pub message: String,
    /// When it was raised, milliseconds since the Unix epoch, when known.
    pub since_unix_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hop_serializes_flat_with_a_via_tag() {
        let vm = Hop {
            layer: "fw".into(),
            via: Via::Vm {
                vm: "fw-1".into(),
                hypervisor: "hv1".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&vm).ok(),
            Some(json!({"layer": "fw", "via": "vm", "vm": "fw-1", "hypervisor": "hv1"}))
        );
        let bypass = Hop {
            layer: "dpi".into(),
            via: Via::Bypass,
        };
        assert_eq!(
            serde_json::to_value(&bypass).ok(),
            Some(json!({"layer": "dpi", "via": "bypass"}))
        );
        let back: Result<Hop, _> = serde_json::from_value(json!({"layer": "x", "via": "drop"}));
        assert_eq!(back.ok().map(|h| h.via), Some(Via::Drop));
    }

    #[test]
    fn liveness_names_match_serde() {
        for l in [
            Liveness::Up,
            Liveness::Suspect,
            Liveness::Down,
            Liveness::Unknown,
        ] {
            assert_eq!(serde_json::to_value(l).ok(), Some(json!(l.as_str())));
            assert_eq!(l.to_string(), l.as_str());
        }
    }
}
