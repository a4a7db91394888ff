//! Topologies shared by the unit tests.

use flowfall_topology::Topology;
use flowfall_topology::synthetic::{SyntheticSpec, generate_config};

/// Two layers over J0..J2: `firewall` (hv1: fw-1, fw-2; hv2: fw-3) and `ddos` (hv3: dd-1,
/// dd-2), one bypass each, three customers.
pub(crate) const SAMPLE: &str = r#"
[chain]
tos_encoding = "dscp"

[[switches]]
name = "j0"
dpid = 1
[[switches]]
name = "j1"
dpid = 2
[[switches]]
name = "j2"
dpid = 3

[backbone]
port = 1
router_mac = "02:00:00:00:ff:01"

[[layers]]
name = "firewall"
bypass = [{ down_port = 20, up_port = 20 }]
[[layers.hypervisors]]
name = "hv1"
down_port = 2
up_port = 2
[[layers.hypervisors.vms]]
name = "fw-1"
down_mac = "02:00:00:01:01:01"
up_mac = "02:00:00:01:01:02"
[[layers.hypervisors.vms]]
name = "fw-2"
down_mac = "02:00:00:01:02:01"
up_mac = "02:00:00:01:02:02"
[[layers.hypervisors]]
name = "hv2"
down_port = 3
up_port = 3
[[layers.hypervisors.vms]]
name = "fw-3"
down_mac = "02:00:00:01:03:01"
up_mac = "02:00:00:01:03:02"

[[layers]]
name = "ddos"
bypass = [{ down_port = 21, up_port = 21 }]
[[layers.hypervisors]]
name = "hv3"
down_port = 4
up_port = 2
[[layers.hypervisors.vms]]
name = "dd-1"
down_mac = "02:00:00:02:01:01"
up_mac = "02:00:00:02:01:02"
[[layers.hypervisors.vms]]
name = "dd-2"
down_mac = "02:00:00:02:02:01"
up_mac = "02:00:00:02:02:02"

[[customers]]
name = "c1"
port = 1
cpe_mac = "02:00:00:aa:00:01"
ipv4 = ["192.0.2.0/24"]
services = ["firewall", "ddos"]

[[customers]]
name = "c2"
port = 5
cpe_mac = "02:00:00:aa:00:02"
ipv4 = ["198.51.100.0/24", "203.0.113.7"]
services = ["firewall"]

[[customers]]
name = "c3"
port = 6
cpe_mac = "02:00:00:aa:00:03"
ipv4 = ["203.0.113.128/25"]
services = ["ddos"]
"#;

fn parse(text: &str) -> Topology {
    Topology::from_toml_str(text).unwrap_or_else(|e| panic!("{e}"))
}

/// [`SAMPLE`], parsed.
pub(crate) fn sample_topology() -> Topology {
    parse(SAMPLE)
}

/// [`SAMPLE`] with every junction scoped to VLAN 115.
pub(crate) fn vlan_topology() -> Topology {
    parse(
        &SAMPLE
            .replace("dpid = 1\n", "dpid = 1\nvlan = 115\n")
            .replace("dpid = 2\n", "dpid = 2\nvlan = 115\n")
            .replace("dpid = 3\n", "dpid = 3\nvlan = 115\n"),
    )
}

/// SplitMix64: a deterministic stream for test data.
pub(crate) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The synthetic topology of `spec`, and the same after a reload that changes the weight of
/// the `nth` VM (0-based) of layer 0: same VM ids, a different selector.
pub(crate) fn reload_pair(spec: &SyntheticSpec, nth: usize) -> (Topology, Topology) {
    let config = generate_config(spec).unwrap_or_else(|e| panic!("{e}"));
    let topology = Topology::from_config(&config).unwrap_or_else(|e| panic!("{e:?}"));
    let mut changed = config;
    let entry = changed
        .layers
        .get_mut(0)
        .and_then(|l| {
            l.hypervisors
                .iter_mut()
                .flat_map(|h| h.vms.iter_mut())
                .nth(nth)
        })
        .unwrap_or_else(|| panic!("no VM {nth} in layer 0"));
    entry.weight = Some(entry.weight.unwrap_or(1) % 4 + 1);
    let reloaded = Topology::from_config(&changed).unwrap_or_else(|e| panic!("{e:?}"));
    (topology, reloaded)
}
