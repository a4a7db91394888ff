//! Read-only snapshots of the core's state, as the REST API returns them (JSON via serde).

use serde::Serialize;

/// One port of a switch, as last reported (PORT_DESC or PORT_STATUS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortView {
    /// OpenFlow port number.
    pub port_no: u32,
    /// Interface name.
    pub name: String,
    /// Link up and not administratively down.
    pub up: bool,
    /// The role the topology gives this port (e.g. `VU(layer 0, hv 1)`), if any.
    pub role: Option<String>,
}

/// One switch connection or expected junction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwitchView {
    /// Junction name from the topology, or `None` for a datapath the topology does not know.
    pub name: Option<String>,
    /// Datapath id, `00:00:...` form.
    pub dpid: Option<String>,
    /// Whether a connection is up.
    pub connected: bool,
    /// Channel state: `hello`, `features`, `port-desc`, `reconcile`, `ready`, `unmanaged`,
    /// `disconnected`.
    pub state: String,
    /// The switch's address.
    pub peer: Option<String>,
    /// Ports reported by the switch.
    pub ports: Vec<PortView>,
    /// Ports the topology expects that the switch does not have.
    pub missing_ports: Vec<u32>,
    /// Flow entries the controller believes the switch holds (confirmed by barrier).
    pub flows: usize,
    /// Whether the switch holds exactly the compiled table (no update pending).
    pub in_sync: bool,
}

/// One customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerView {
    /// Name.
    pub name: String,
    /// Edge port on J0.
    pub port: u32,
    /// The CPE's MAC.
    pub cpe_mac: String,
    /// IPv4 prefixes.
    pub ipv4: Vec<String>,
    /// IPv6 prefixes.
    pub ipv6: Vec<String>,
    /// The services in effect (layer names, chain order).
    pub services: Vec<String>,
    /// The services in the configuration file (differs from `services` after a runtime
    /// change).
    pub configured_services: Vec<String>,
    /// The ToS byte the CPE marks (service_source = "tos").
    pub cpe_tos: Option<u8>,
    /// The ToS byte of the services in effect (J0 re-marks to it when it differs).
    pub tos: Option<u8>,
}

/// Where one of a customer's prefixes goes in one layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HopView {
    /// Layer name.
    pub layer: String,
    /// `vm`, `bypass` or `drop` (no live VM and the layer fails closed).
    pub via: String,
    /// The VM, when `via` is `vm`.
    pub vm: Option<String>,
    /// The VM's hypervisor, when `via` is `vm`.
    pub hypervisor: Option<String>,
}

/// The path of one prefix through the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrefixPathView {
    /// The prefix.
    pub prefix: String,
    /// One hop per layer, chain order.
    pub hops: Vec<HopView>,
}

/// A customer's path (GET /api/customers/{name}/path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathView {
    /// Customer name.
    pub customer: String,
    /// Per prefix.
    pub prefixes: Vec<PrefixPathView>,
}

/// One flow entry, in `ovs-ofctl` syntax and as fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowView {
    /// Table.
    pub table: u8,
    /// Priority.
    pub priority: u16,
    /// Cookie, hex.
    pub cookie: String,
    /// The entry as one `ovs-ofctl add-flow` line.
    pub text: String,
}

/// The flows of one switch (GET /api/switches/{name}/flows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowsView {
    /// Junction name.
    pub switch: String,
    /// What the switch holds, as far as the controller knows (confirmed by barrier).
    pub installed: Vec<FlowView>,
    /// Compiled entries not yet confirmed on the switch.
    pub pending: usize,
}

/// One VM (GET /api/vms).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VmView {
    /// Name.
    pub name: String,
    /// Layer name.
    pub layer: String,
    /// Hypervisor name.
    pub hypervisor: String,
    /// Used for new selections: administratively live and both hypervisor ports up.
    pub live: bool,
    /// Administrative liveness (REST / monitor), independent of port state.
    pub admin_live: bool,
    /// Probe verdict (`up`, `suspect`, `down`), when health probing runs; `unproven` for a VM
    /// that never answered a probe and keeps its customers during its start-up grace; `nat`
    /// for a VM taken out by a NAT alarm (`[health.nat] on_alarm = "fail-over"`).
    pub state: Option<String>,
    /// Probe round-trip time through the VM, milliseconds (EWMA), once a probe returned.
    pub rtt_ms: Option<f64>,
    /// Share of the recent probes lost (0..=1), when health probing runs.
    pub loss: Option<f64>,
    /// Bytes per second through the VM (its customers' J0 counters, both directions), once
    /// the load was measured (`[health.balance] interval`).
    pub load_bytes_per_s: Option<f64>,
    /// Packets per second through the VM, likewise.
    pub load_packets_per_s: Option<f64>,
}
