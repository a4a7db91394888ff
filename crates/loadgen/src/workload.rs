//! What the emulated switches send: per switch, its [`SwitchSpec`] (dpid, ports) and a
//! [`Workload`] that says which packets reach the controller as table misses.
//!
//! - [`Learning`] (cbench style): each switch has its own hosts (distinct MACs and IPv4
//!   addresses) spread over its ports. Every host first announces itself with a broadcast ARP
//!   request, so a learning switch learns where it is; measured packets are UDP datagrams
//!   between two learned hosts on different ports, which a learning switch answers with a
//!   FLOW_MOD (and a PACKET_OUT unless it uses the buffer).
//! - [`FlowFall`]: IPv4 packets of the customers of a FlowFall topology: upstream at J0 from a
//!   customer address, on the customer's edge port, with the customer's ToS byte; optionally
//!   downstream at Jn from the backbone port toward a customer address. Switch dpids, VLANs
//!   and ports are the topology's.
//! - [`Silent`]: a switch that only answers the controller (scale runs, inner junctions).
//!
//! Workloads are pure functions of the packet index, so runs are reproducible.

use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use flowfall_ofp::MacAddr;
use flowfall_topology::{Customer, Topology};

use crate::packet::Headers;
use crate::switch::SwitchSpec;

/// Most hosts a learning switch can have (host numbers fit 16 bits of the MAC).
pub const MAX_HOSTS: u32 = 65_536;
/// Most emulated switches a plan generates (switch numbers fit 16 bits of the MAC).
pub const MAX_SWITCHES: usize = 65_536;
/// Most addresses a FlowFall source cycles through per prefix.
pub const MAX_HOSTS_PER_PREFIX: u32 = 65_536;
/// MAC the FlowFall workload sends upstream packets to (the junction rewrites it anyway).
pub const GATEWAY_MAC: MacAddr = MacAddr([0x02, 0xfa, 0x11, 0xfa, 0x11, 0x01]);
/// The remote ("Internet") side of FlowFall packets: TEST-NET-2, RFC 5737.
pub const REMOTE_NET: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 0);

/// A packet that reaches the controller: the frame's headers and the port it arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Ingress port.
    pub in_port: u32,
    /// The frame.
    pub headers: Headers,
}

/// The packets one emulated switch sends to the controller.
pub trait Workload: fmt::Debug + Send + Sync {
    /// Packets sent once after the handshake, before anything is measured (a learning
    /// switch's host announcements). Their answers are awaited but not counted.
    fn announcements(&self) -> Vec<Probe>;
    /// The `k`-th measured packet, or `None` when this switch sends none.
    fn probe(&self, k: u64) -> Option<Probe>;
}

/// Errors of building a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A count is outside its range.
    #[error("{what}: expected {expected}, found {found}")]
    OutOfRange {
        /// The parameter.
        what: &'static str,
        /// The allowed range.
        expected: String,
        /// The value given.
        found: u64,
    },
    /// The topology has nothing to send.
    #[error(
        "the topology has no customer with an IPv4 prefix: the flowfall workload has nothing to send"
    )]
    NoCustomerAddresses,
}

/// One emulated switch of a run: how it looks and what it sends.
#[derive(Debug, Clone)]
pub struct SwitchPlan {
    /// Its dpid and ports.
    pub spec: SwitchSpec,
    /// What it sends.
    pub workload: Arc<dyn Workload>,
}

/// Sends nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Workload for Silent {
    fn announcements(&self) -> Vec<Probe> {
        Vec::new()
    }
    fn probe(&self, _k: u64) -> Option<Probe> {
        None
    }
}

/// The cbench-style learning-switch workload of one switch.
#[derive(Debug, Clone)]
pub struct Learning {
    switch: u32,
    ports: Vec<u32>,
    hosts: u32,
}

impl Learning {
    /// Hosts `0..hosts` of switch number `switch`, host `h` on `ports[h % ports.len()]`.
    /// Needs at least two ports and two hosts (traffic between hosts on the same port is not
    /// forwarded by a learning switch) and at most [`MAX_HOSTS`] hosts.
    pub fn new(switch: u32, ports: Vec<u32>, hosts: u32) -> Result<Learning, PlanError> {
        if ports.len() < 2 {
            return Err(PlanError::OutOfRange {
                what: "ports per switch (learning workload)",
                expected: ">= 2".into(),
                found: ports.len() as u64,
            });
        }
        if !(2..=MAX_HOSTS).contains(&hosts) {
            return Err(PlanError::OutOfRange {
                what: "hosts per switch",
                expected: format!("2..={MAX_HOSTS}"),
                found: u64::from(hosts),
            });
        }
        Ok(Learning {
            switch,
            ports,
            hosts,
        })
    }

    /// MAC of host `h`: `02:00:<switch>:<host>` (16 bits each).
    pub fn mac(&self, h: u32) -> MacAddr {
        let s = self.switch.to_be_bytes();
        let h = h.to_be_bytes();
        MacAddr([0x02, 0x00, s[2], s[3], h[2], h[3]])
    }

    /// IPv4 address of host `h`: in 10.0.0.0/8, distinct across switches and hosts.
    pub fn ip(&self, h: u32) -> Ipv4Addr {
        let n = (u64::from(self.switch) * u64::from(self.hosts) + u64::from(h) + 1) % (1 << 24);
        Ipv4Addr::from((10u32 << 24) | n as u32)
    }

    /// The port host `h` sits on.
    pub fn port(&self, h: u32) -> u32 {
        let i = (h as usize) % self.ports.len().max(1);
        self.ports.get(i).copied().unwrap_or_default()
    }
}

impl Workload for Learning {
    fn announcements(&self) -> Vec<Probe> {
        let gateway = Ipv4Addr::new(10, 255, 255, 254);
        (0..self.hosts)
            .map(|h| Probe {
                in_port: self.port(h),
                headers: Headers::arp_request(self.mac(h), self.ip(h), gateway),
            })
            .collect()
    }

    fn probe(&self, k: u64) -> Option<Probe> {
        let hosts = u64::from(self.hosts);
        let src = (k % hosts) as u32;
        // Round r pairs each host with the one 1 + r after it; skip partners on its own port.
        let round = (k / hosts) % (hosts - 1);
        let mut dst = ((u64::from(src) + 1 + round) % hosts) as u32;
        // Hosts 0 and 1 sit on different ports, so a partner exists within `hosts` steps.
        for _ in 0..self.hosts {
            if self.port(dst) != self.port(src) {
                break;
            }
            dst = (dst + 1) % self.hosts;
        }
        Some(Probe {
            in_port: self.port(src),
            headers: Headers::udp(self.mac(src), self.mac(dst), self.ip(src), self.ip(dst), 0),
        })
    }
}

/// A plan of `switches` learning switches with dpids `first_dpid..`, ports `1..=ports` and
/// `hosts` hosts each.
pub fn learning_plan(
    switches: usize,
    first_dpid: u64,
    ports: u32,
    hosts: u32,
) -> Result<Vec<SwitchPlan>, PlanError> {
    check_switches(switches)?;
    (0..switches)
        .map(|i| {
            let port_list: Vec<u32> = (1..=ports).collect();
            Ok(SwitchPlan {
                spec: SwitchSpec::new(first_dpid.wrapping_add(i as u64), port_list.clone()),
                workload: Arc::new(Learning::new(i as u32, port_list, hosts)?),
            })
        })
        .collect()
}

/// A plan of `switches` silent switches with dpids `first_dpid..` and ports `1..=ports`.
pub fn silent_plan(
    switches: usize,
    first_dpid: u64,
    ports: u32,
) -> Result<Vec<SwitchPlan>, PlanError> {
    check_switches(switches)?;
    Ok((0..switches)
        .map(|i| SwitchPlan {
            spec: SwitchSpec::new(first_dpid.wrapping_add(i as u64), 1..=ports),
            workload: Arc::new(Silent),
        })
        .collect())
}

fn check_switches(switches: usize) -> Result<(), PlanError> {
    if (1..=MAX_SWITCHES).contains(&switches) {
        Ok(())
    } else {
        Err(PlanError::OutOfRange {
            what: "switches",
            expected: format!("1..={MAX_SWITCHES}"),
            found: switches as u64,
        })
    }
}

/// Which way FlowFall packets travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Customer to backbone, entering J0 on the customer's edge port.
    Upstream {
        /// The customer's ToS byte.
        tos: u8,
    },
    /// Backbone to customer, entering Jn on the backbone port.
    Downstream,
}

/// A customer prefix as a FlowFall packet source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// Ingress port.
    pub in_port: u32,
    /// VLAN of the junction, if it is a VLAN slice.
    pub vlan: Option<u16>,
    /// Source MAC of the frames (the CPE's or the backbone router's).
    pub eth_src: MacAddr,
    /// First customer address used.
    pub first: Ipv4Addr,
    /// How many consecutive addresses are cycled through.
    pub hosts: u32,
    /// Direction.
    pub direction: Direction,
}

/// The FlowFall workload of one switch: its sources, visited round robin, each cycling
/// through its addresses.
#[derive(Debug, Clone, Default)]
pub struct FlowFall {
    sources: Vec<Source>,
}

impl FlowFall {
    /// The sources this switch sends from.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }
}

impl Workload for FlowFall {
    fn announcements(&self) -> Vec<Probe> {
        Vec::new()
    }

    fn probe(&self, k: u64) -> Option<Probe> {
        let n = self.sources.len() as u64;
        let s = self.sources.get((k % n.max(1)) as usize)?;
        let round = k / n;
        let host = Ipv4Addr::from(
            u32::from(s.first).wrapping_add((round % u64::from(s.hosts.max(1))) as u32),
        );
        let remote = Ipv4Addr::from(u32::from(REMOTE_NET) + 1 + (round % 254) as u32);
        let headers = match s.direction {
            Direction::Upstream { tos } => Headers::udp(s.eth_src, GATEWAY_MAC, host, remote, tos),
            Direction::Downstream => Headers::udp(s.eth_src, GATEWAY_MAC, remote, host, 0),
        };
        Some(Probe {
            in_port: s.in_port,
            headers: headers.tagged(s.vlan),
        })
    }
}

/// The emulated switches of a FlowFall topology: one per distinct dpid (VLAN slices of one
/// switch share it), with every port the topology gives it. J0 sends upstream packets from
/// every customer prefix; with `downstream`, Jn also sends return packets toward them.
pub fn flowfall_plan(topology: &Topology, downstream: bool) -> Result<Vec<SwitchPlan>, PlanError> {
    let switches = topology.switches();
    let mut plans: Vec<(SwitchSpec, FlowFall)> = Vec::new();
    for sw in switches {
        let mut ports: Vec<u32> = topology.ports(sw.index).iter().map(|(p, _)| *p).collect();
        match plans.iter_mut().find(|(spec, _)| spec.dpid == sw.dpid) {
            Some((spec, _)) => {
                ports.extend(spec.ports.iter().map(|p| p.port_no));
                ports.sort_unstable();
                ports.dedup();
                *spec = SwitchSpec::new(sw.dpid, ports);
            }
            None => {
                ports.sort_unstable();
                ports.dedup();
                plans.push((SwitchSpec::new(sw.dpid, ports), FlowFall::default()));
            }
        }
    }
    let j0 = switches.first();
    let upstream = customer_sources(topology, |c, first, hosts| Source {
        in_port: c.port,
        vlan: j0.and_then(|s| s.vlan),
        eth_src: MacAddr(c.cpe_mac.octets()),
        first,
        hosts,
        direction: Direction::Upstream {
            tos: c.tos.unwrap_or(0),
        },
    });
    add_sources(&mut plans, j0.map(|s| s.dpid), upstream);
    if downstream {
        let jn = switches.last();
        let backbone = topology.backbone();
        let back = customer_sources(topology, |_, first, hosts| Source {
            in_port: backbone.port,
            vlan: jn.and_then(|s| s.vlan),
            eth_src: MacAddr(backbone.router_mac.octets()),
            first,
            hosts,
            direction: Direction::Downstream,
        });
        add_sources(&mut plans, jn.map(|s| s.dpid), back);
    }
    if plans.iter().all(|(_, w)| w.sources.is_empty()) {
        return Err(PlanError::NoCustomerAddresses);
    }
    Ok(plans
        .into_iter()
        .map(|(spec, w)| SwitchPlan {
            spec,
            workload: if w.sources.is_empty() {
                Arc::new(Silent)
            } else {
                Arc::new(w)
            },
        })
        .collect())
}

/// One source per IPv4 prefix of every customer.
fn customer_sources(
    topology: &Topology,
    make: impl Fn(&Customer, Ipv4Addr, u32) -> Source,
) -> Vec<Source> {
    topology
        .customers()
        .iter()
        .flat_map(|c| {
            c.ipv4.iter().map(|net| {
                let (first, hosts) = host_range(u32::from(net.network()), net.prefix_len());
                make(c, first, hosts)
            })
        })
        .collect()
}

fn add_sources(plans: &mut [(SwitchSpec, FlowFall)], dpid: Option<u64>, sources: Vec<Source>) {
    if let Some((_, w)) = plans.iter_mut().find(|(spec, _)| Some(spec.dpid) == dpid) {
        w.sources.extend(sources);
    }
}

/// First usable address and count of a prefix (network and broadcast excluded below /31),
/// capped at [`MAX_HOSTS_PER_PREFIX`].
fn host_range(network: u32, prefix_len: u8) -> (Ipv4Addr, u32) {
    let size = 1u64 << (32 - u32::from(prefix_len.min(32)));
    let (first, count) = if size <= 2 {
        (network, size)
    } else {
        (network + 1, size - 2)
    };
    (
        Ipv4Addr::from(first),
        count.min(u64::from(MAX_HOSTS_PER_PREFIX)) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::L3;
    use proptest::prelude::*;

    const TOPO: &str = r#"
[chain]
name = "t"
[[switches]]
name = "j0"
dpid = 1
[[switches]]
name = "j1"
dpid = 2
[backbone]
port = 1
router_mac = "02:00:00:00:ff:01"
[[layers]]
name = "firewall"
bypass = [ { down_port = 20, up_port = 20 } ]
[[layers.hypervisors]]
name = "hv1"
down_port = 2
up_port = 2
[[layers.hypervisors.vms]]
name = "fw-1"
down_mac = "02:00:00:01:01:01"
up_mac = "02:00:00:01:01:02"
[[customers]]
name = "a"
port = 5
cpe_mac = "02:00:00:aa:00:01"
ipv4 = ["10.1.1.0/30", "10.9.9.9"]
services = ["firewall"]
"#;

    #[test]
    fn learning_pairs_are_on_different_ports_and_announced() {
        let w = Learning::new(3, vec![1, 2, 3], 10).unwrap();
        let ann = w.announcements();
        assert_eq!(ann.len(), 10);
        for k in 0..500 {
            let p = w.probe(k).unwrap();
            let (src, dst) = (p.headers.eth_src, p.headers.eth_dst);
            assert_ne!(src, dst);
            let port_of = |m: MacAddr| {
                ann.iter()
                    .find(|a| a.headers.eth_src == m)
                    .map(|a| a.in_port)
            };
            assert_eq!(port_of(src), Some(p.in_port));
            assert_ne!(port_of(dst), Some(p.in_port), "k={k}");
        }
    }

    #[test]
    fn learning_rejects_bad_sizes() {
        assert!(Learning::new(0, vec![1], 10).is_err());
        assert!(Learning::new(0, vec![1, 2], 1).is_err());
        assert!(learning_plan(0, 1, 2, 10).is_err());
        let plan = learning_plan(3, 0x10, 4, 8).unwrap();
        assert_eq!(
            plan.iter().map(|p| p.spec.dpid).collect::<Vec<_>>(),
            [0x10, 0x11, 0x12]
        );
    }

    #[test]
    fn flowfall_plan_follows_the_topology() {
        let topo = Topology::from_toml_str(TOPO).unwrap();
        let plan = flowfall_plan(&topo, true).unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[0].spec.dpid, 1);
        assert!(plan[0].spec.ports.iter().any(|p| p.port_no == 5));
        let up = plan[0].workload.probe(0).unwrap();
        assert_eq!(up.in_port, 5);
        match up.headers.l3 {
            L3::Ipv4 { src, .. } => assert_eq!(src, Ipv4Addr::new(10, 1, 1, 1)),
            other => panic!("{other:?}"),
        }
        // /30 has two hosts, /32 one: sources alternate, hosts cycle.
        let srcs: Vec<Ipv4Addr> = (0..6)
            .map(|k| match plan[0].workload.probe(k).unwrap().headers.l3 {
                L3::Ipv4 { src, .. } => src,
                _ => Ipv4Addr::UNSPECIFIED,
            })
            .collect();
        assert_eq!(
            srcs,
            [
                [10, 1, 1, 1],
                [10, 9, 9, 9],
                [10, 1, 1, 2],
                [10, 9, 9, 9],
                [10, 1, 1, 1],
                [10, 9, 9, 9]
            ]
            .map(Ipv4Addr::from)
        );
        let down = plan[1].workload.probe(0).unwrap();
        assert_eq!(down.in_port, 1);
        assert!(
            matches!(down.headers.l3, L3::Ipv4 { dst, .. } if dst == Ipv4Addr::new(10, 1, 1, 1))
        );
        let up_only = flowfall_plan(&topo, false).unwrap();
        assert!(up_only[1].workload.probe(0).is_none());
    }

    #[test]
    fn host_ranges() {
        assert_eq!(host_range(0x0a000000, 32), (Ipv4Addr::new(10, 0, 0, 0), 1));
        assert_eq!(host_range(0x0a000000, 31), (Ipv4Addr::new(10, 0, 0, 0), 2));
        assert_eq!(
            host_range(0x0a000000, 24),
            (Ipv4Addr::new(10, 0, 0, 1), 254)
        );
        assert_eq!(host_range(0x0a000000, 8).1, MAX_HOSTS_PER_PREFIX);
    }

    proptest! {
        #[test]
        fn learning_probe_is_total(switch in 0u32..1000, ports in 2u32..8, hosts in 2u32..300, k in any::<u64>()) {
            let w = Learning::new(switch, (1..=ports).collect(), hosts).unwrap();
            let p = w.probe(k).unwrap();
            let host = |m: MacAddr| u32::from(u16::from_be_bytes([m.0[4], m.0[5]]));
            let (src, dst) = (host(p.headers.eth_src), host(p.headers.eth_dst));
            prop_assert!(src < hosts && dst < hosts);
            prop_assert_eq!(p.in_port, w.port(src));
            prop_assert_ne!(w.port(src), w.port(dst));
        }
    }
}
