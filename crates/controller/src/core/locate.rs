//! Which customer address a reactive PACKET_IN belongs to, by hash lookups instead of a scan
//! of the customer's prefixes.
//!
//! The paper's reactive mode (section 4.2) installs one *address* per first packet: the
//! customer prefix holding the packet's customer-side address (its destination on a port
//! leading up, its source otherwise). Customer prefixes never overlap (the topology refuses
//! overlaps), so the prefix holding an address is the only one among its truncations to the
//! prefix lengths in use: one hash lookup per distinct prefix length (one or two in practice),
//! whatever the number of addresses. `flowfall_compile::Compilation::locate` gives the same
//! answer by a linear scan of the customer's prefixes (a property test below checks that).

use std::collections::HashMap;
use std::net::IpAddr;

use flowfall_compile::fxhash::FxBuild;
use flowfall_compile::{AddressId, Compilation};
use flowfall_topology::{PortRole, Topology};
use ipnet::IpNet;

/// The addresses of a compilation by prefix. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct AddressIndex {
    /// Each address and its customer's index, by prefix.
    by_prefix: HashMap<IpNet, (AddressId, usize), FxBuild>,
    /// Distinct IPv4 prefix lengths, longest first.
    v4_lengths: Vec<u8>,
    /// Distinct IPv6 prefix lengths, longest first.
    v6_lengths: Vec<u8>,
}

impl AddressIndex {
    /// The index of every address of `compiled`.
    pub fn new(compiled: &Compilation) -> AddressIndex {
        let mut index = AddressIndex::default();
        for (i, a) in compiled.addresses().iter().enumerate() {
            let lengths = match a.prefix {
                IpNet::V4(_) => &mut index.v4_lengths,
                IpNet::V6(_) => &mut index.v6_lengths,
            };
            if !lengths.contains(&a.prefix.prefix_len()) {
                lengths.push(a.prefix.prefix_len());
            }
            index
                .by_prefix
                .insert(a.prefix.trunc(), (AddressId(i), a.customer));
        }
        index.v4_lengths.sort_unstable_by(|a, b| b.cmp(a));
        index.v6_lengths.sort_unstable_by(|a, b| b.cmp(a));
        index
    }

    /// The address holding `addr`, if any.
    pub fn containing(&self, addr: IpAddr) -> Option<AddressId> {
        self.with_customer(addr).map(|(id, _)| id)
    }

    /// The address holding `addr` and its customer's index.
    fn with_customer(&self, addr: IpAddr) -> Option<(AddressId, usize)> {
        let lengths = match addr {
            IpAddr::V4(_) => &self.v4_lengths,
            IpAddr::V6(_) => &self.v6_lengths,
        };
        lengths.iter().find_map(|&len| {
            let net = IpNet::new(addr, len).ok()?.trunc();
            self.by_prefix.get(&net).copied()
        })
    }

    /// The address a packet from `src` to `dst` arriving on port `in_port` of junction
    /// `switch` belongs to: the customer-side address's prefix, provided that a packet on a
    /// customer's edge port comes from that customer. `None` for a port without a role, an
    /// address of no customer, or another customer's address on an edge port.
    pub fn locate(
        &self,
        topology: &Topology,
        switch: usize,
        in_port: u32,
        src: IpAddr,
        dst: IpAddr,
    ) -> Option<AddressId> {
        let role = topology.role(switch, in_port)?;
        let addr = if role.leads_up() { dst } else { src };
        // The prefix holding the address is its customer's (prefixes never overlap).
        let (id, customer) = self.with_customer(addr)?;
        if let PortRole::Edge { customer: c } = role
            && c != customer
        {
            return None;
        }
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use flowfall_compile::LiveVms;
    use flowfall_compile::sim::Packet;
    use proptest::prelude::*;

    /// Two customers with prefixes of several lengths (v4 and v6), over one layer.
    const TOPO: &str = r#"
[chain]
name = "t"
mode = "reactive"
idle_timeout = 30
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
name = "fw"
bypass = [ { down_port = 20, up_port = 20 } ]
[[layers.hypervisors]]
name = "hv1"
down_port = 10
up_port = 11
[[layers.hypervisors.vms]]
name = "fw-1"
down_mac = "02:00:00:00:01:01"
up_mac = "02:00:00:00:01:02"
[[customers]]
name = "a"
port = 100
cpe_mac = "02:00:00:00:0a:01"
ipv4 = ["10.0.0.0/24", "10.0.1.7", "10.0.2.0/28"]
ipv6 = ["2001:db8:a::/48"]
services = ["fw"]
[[customers]]
name = "b"
port = 101
cpe_mac = "02:00:00:00:0b:01"
ipv4 = ["10.1.0.0/16", "192.0.2.128/25"]
ipv6 = ["2001:db8:b::1"]
services = []
"#;

    fn compiled() -> (Arc<Topology>, Compilation) {
        let topo = Arc::new(Topology::from_toml_str(TOPO).unwrap());
        let live = LiveVms::all(&topo);
        let c = Compilation::new(Arc::clone(&topo), live, 0).unwrap();
        (topo, c)
    }

    #[test]
    fn finds_each_prefix_and_nothing_outside() {
        let (topo, c) = compiled();
        let index = AddressIndex::new(&c);
        for (i, a) in c.addresses().iter().enumerate() {
            assert_eq!(index.containing(a.prefix.addr()), Some(AddressId(i)));
        }
        assert_eq!(index.containing("10.0.1.8".parse().unwrap()), None);
        assert_eq!(index.containing("2001:db8:c::1".parse().unwrap()), None);
        // Another customer's source on a's edge port is not a's address.
        let src: IpAddr = "10.1.2.3".parse().unwrap();
        let dst: IpAddr = "203.0.113.1".parse().unwrap();
        assert_eq!(index.locate(&topo, 0, 100, src, dst), None);
        assert!(index.locate(&topo, 0, 101, src, dst).is_some());
    }

    fn any_addr() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            // Near the configured prefixes, so most land inside one.
            (
                prop_oneof![Just(0x0a00_0000u32), Just(0x0a01_0000), Just(0xc000_0280)],
                0u32..0x0300
            )
                .prop_map(|(base, off)| IpAddr::from(std::net::Ipv4Addr::from(base + off))),
            any::<u32>().prop_map(|v| IpAddr::from(std::net::Ipv4Addr::from(v))),
            (prop_oneof![Just(0x000a_u128), Just(0x000b)], 0u128..4).prop_map(|(site, low)| {
                IpAddr::from(std::net::Ipv6Addr::from(
                    (0x2001_0db8_u128 << 96) | (site << 80) | low,
                ))
            }),
        ]
    }

    proptest! {
        /// The index answers as the compiler's own scan does, on every junction and port.
        #[test]
        fn agrees_with_the_compilers_scan(
            switch in 0usize..2,
            port in prop_oneof![Just(1u32), Just(10), Just(11), Just(20), Just(100), Just(101), Just(7)],
            src in any_addr(),
            dst in any_addr(),
        ) {
            let (topo, c) = compiled();
            let index = AddressIndex::new(&c);
            let want = Packet::ip(port, src, dst, 0).ok().and_then(|p| c.locate(switch, &p));
            let mixed = src.is_ipv4() != dst.is_ipv4();
            let got = if mixed { None } else { index.locate(&topo, switch, port, src, dst) };
            prop_assert_eq!(got, want);
        }
    }
}
