//! Liveness probes that cross the VNF itself (paper §5.2/§6.2 problem 1: "hashing hides VMs
//! from ordinary ping monitoring").
//!
//! A probe is an ordinary Ethernet + IPv4 + UDP packet that the controller injects with a
//! `PACKET_OUT` on a VM's VU port at the layer's lower switch, addressed at layer 2 to the VM's
//! downlink MAC ([`ProbeTemplate::packet_out`]). The VM routes it like customer traffic: its
//! destination lies on the backbone side, so it leaves through the VM's uplink and enters the
//! layer's upper switch on the VM's VD port. There a high-priority entry
//! ([`return_flows`]) matching the probe's source address and UDP port hands it back to the
//! controller as a `PACKET_IN`, which [`Probe::parse`] reads. A probe that comes back proves
//! the VM's two NICs, its forwarding and the junction ports on both sides.
//!
//! # Addresses (the defaults of [`ProbeConfig`])
//!
//! Source `198.18.0.1`, destination `198.19.255.254`, UDP port `49871` both ways.
//! `198.18.0.0/15` is reserved for benchmarking network devices (RFC 2544 §C.2.2, RFC 6890
//! registry: forwardable, not globally reachable): exactly "test traffic crossing a network
//! function", never a customer's or the Internet's address, and — unlike the alternatives —
//! forwardable, so a conforming router or firewall VNF passes it. `192.0.0.8` (RFC 7600) and
//! `169.254.0.0/16` (RFC 3927 §2.7) are registered as not forwardable: a VNF that honours that
//! would drop every probe and look dead. The port is in the dynamic range (RFC 6335 §6), never
//! assigned. The VNF must route the destination upstream (a default route toward its uplink
//! does) and, if it filters, admit UDP from the probe source to the probe port; with strict
//! reverse-path filtering it needs a route for the source toward its downlink, as for customer
//! prefixes. [`ProbeConfig::check_topology`] refuses addresses inside a customer prefix.
//!
//! # Payload (40 bytes, big-endian)
//!
//! | offset | size | field                                             |
//! |--------|------|---------------------------------------------------|
//! | 0      | 4    | magic `"FFhp"` ([`MAGIC`])                        |
//! | 4      | 1    | version ([`VERSION`])                             |
//! | 5      | 1    | reserved, 0                                       |
//! | 6      | 2    | layer index                                       |
//! | 8      | 4    | VM index in the layer                             |
//! | 12     | 4    | monitor instance ([`ProbeConfig::instance`])      |
//! | 16     | 8    | VM stable id (FNV-1a of its name)                 |
//! | 24     | 8    | sequence number                                   |
//! | 32     | 8    | send time, ns (the monitor's clock)               |

use std::net::{IpAddr, Ipv4Addr};

use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::{Action, MacAddr, Oxm};
use flowfall_topology::{Topology, VmId};

use crate::cookie::{PRIORITY_PROBE_RETURN, Purpose};
use crate::error::Error;
use crate::flows::{self, SwitchFlowMod};
use crate::wire::{
    Cursor, ETH_TYPE_IPV4, Ethernet, IP_PROTO_UDP, Ipv4, UDP_HEADER_LEN, Udp, fill_udp_checksum,
};

/// Default probe source address (RFC 2544 benchmarking block).
pub const DEFAULT_SOURCE: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// Default probe destination address (RFC 2544 benchmarking block, backbone side).
pub const DEFAULT_DESTINATION: Ipv4Addr = Ipv4Addr::new(198, 19, 255, 254);
/// Default UDP source and destination port (dynamic range).
pub const DEFAULT_PORT: u16 = 49_871;
/// Default source MAC of probes (locally administered, `02:46:46:68:70:01`: "FFhp").
pub const DEFAULT_SOURCE_MAC: MacAddr = MacAddr([0x02, 0x46, 0x46, 0x68, 0x70, 0x01]);
/// The payload's first four bytes, `"FFhp"`.
pub const MAGIC: [u8; 4] = *b"FFhp";
/// Payload format version.
pub const VERSION: u8 = 1;
/// Payload length.
pub const PAYLOAD_LEN: usize = 40;

/// Addresses and ports of probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeConfig {
    /// IPv4 source of every probe; the return entries match it.
    pub source: Ipv4Addr,
    /// IPv4 destination: any address the VNFs route toward the backbone.
    pub destination: Ipv4Addr,
    /// UDP source and destination port; the return entries match the destination.
    pub port: u16,
    /// Ethernet source of probes.
    pub source_mac: MacAddr,
    /// IPv4 TTL at injection (each VNF decrements it once).
    pub ttl: u8,
    /// A number distinguishing this monitor's probes from another controller's (replicas
    /// with different instances ignore each other's replies).
    pub instance: u32,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            source: DEFAULT_SOURCE,
            destination: DEFAULT_DESTINATION,
            port: DEFAULT_PORT,
            source_mac: DEFAULT_SOURCE_MAC,
            ttl: 64,
            instance: 0,
        }
    }
}

fn unicast(a: Ipv4Addr) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback())
}

impl ProbeConfig {
    /// Checks the values on their own.
    ///
    /// # Errors
    /// [`Error::Config`] for a non-unicast address, equal source and destination, port 0, a
    /// multicast or zero source MAC, or a TTL below 2.
    pub fn validate(&self) -> Result<(), Error> {
        if !unicast(self.source) {
            return Err(Error::config(
                "probe.source",
                "a unicast IPv4 address",
                self.source,
            ));
        }
        if !unicast(self.destination) || self.destination == self.source {
            return Err(Error::config(
                "probe.destination",
                "a unicast IPv4 address other than the source",
                self.destination,
            ));
        }
        if self.port == 0 {
            return Err(Error::config("probe.port", "1..=65535", 0));
        }
        if self.source_mac.0[0] & 1 != 0 || self.source_mac == MacAddr::ZERO {
            return Err(Error::config(
                "probe.source_mac",
                "a unicast, non-zero MAC",
                self.source_mac,
            ));
        }
        if self.ttl < 2 {
            return Err(Error::config(
                "probe.ttl",
                "2..=255 (a VNF decrements it)",
                self.ttl,
            ));
        }
        Ok(())
    }

    /// [`validate`](Self::validate), and checks that neither address belongs to a customer
    /// of `topology` (customer traffic must never match a probe-return entry, and probes
    /// must never match a customer's).
    ///
    /// # Errors
    /// As `validate`, or [`Error::Config`] naming the customer.
    pub fn check_topology(&self, topology: &Topology) -> Result<(), Error> {
        self.validate()?;
        for (field, addr) in [
            ("probe.source", self.source),
            ("probe.destination", self.destination),
        ] {
            if let Some(c) = topology.customer_for_address(IpAddr::V4(addr)) {
                return Err(Error::config(
                    field,
                    "an address outside every customer prefix",
                    format!("{addr}, inside customer `{}`", c.name),
                ));
            }
        }
        Ok(())
    }
}

/// A VM as probes see it: where to inject, where the probe comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// The VM.
    pub vm: VmId,
    /// Its configured name.
    pub name: String,
    /// Its stable id ([`flowfall_topology::Vm::stable_id`]).
    pub stable_id: u64,
    /// The layer's lower switch (where the probe is injected).
    pub down_switch: usize,
    /// Its datapath id.
    pub down_dpid: u64,
    /// Its VLAN scope (the probe is tagged with it).
    pub down_vlan: Option<u16>,
    /// The VM's VU port there.
    pub down_port: u32,
    /// The VM's downlink MAC (`eth_dst` of the probe).
    pub down_mac: MacAddr,
    /// The layer's upper switch (where the probe comes back).
    pub up_switch: usize,
    /// Its datapath id.
    pub up_dpid: u64,
    /// The VM's VD port there.
    pub up_port: u32,
    /// The VM's uplink MAC (`eth_src` of the returning probe, normally).
    pub up_mac: MacAddr,
}

/// Every VM of `topology` as a probe target, layer by layer.
pub fn targets(topology: &Topology) -> Vec<ProbeTarget> {
    let mut out = Vec::new();
    for layer in topology.layers() {
        let (Some(down), Some(up)) = (
            topology.switch(layer.down_switch()),
            topology.switch(layer.up_switch()),
        ) else {
            continue;
        };
        for vm in &layer.vms {
            out.push(ProbeTarget {
                vm: vm.id,
                name: vm.name.clone(),
                stable_id: vm.stable_id,
                down_switch: down.index,
                down_dpid: down.dpid,
                down_vlan: down.vlan,
                down_port: vm.down_port,
                down_mac: MacAddr(vm.down_mac.octets()),
                up_switch: up.index,
                up_dpid: up.dpid,
                up_port: vm.up_port,
                up_mac: MacAddr(vm.up_mac.octets()),
            });
        }
    }
    out
}

/// The probe payload (see the [module docs](self) for the layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbePayload {
    /// Layer index of the probed VM.
    pub layer: u16,
    /// VM index in the layer.
    pub index: u32,
    /// The sending monitor's instance.
    pub instance: u32,
    /// The VM's stable id.
    pub stable_id: u64,
    /// Sequence number (per VM, from 0).
    pub seq: u64,
    /// Send time, ns on the monitor's clock.
    pub sent_at: u64,
}

impl ProbePayload {
    /// Appends the 40 payload bytes.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(0);
        out.extend_from_slice(&self.layer.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.instance.to_be_bytes());
        out.extend_from_slice(&self.stable_id.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.sent_at.to_be_bytes());
    }

    /// Parses a payload starting at `offset` of `frame` (bytes after the 40 are ignored).
    ///
    /// # Errors
    /// [`Error::Truncated`] for fewer than 40 bytes; [`Error::BadValue`] for a wrong magic or
    /// version.
    pub fn parse(frame: &[u8], offset: usize) -> Result<ProbePayload, Error> {
        let mut c = Cursor::at(frame, offset);
        let magic: [u8; 4] = c.array("probe.magic")?;
        if magic != MAGIC {
            return Err(Error::bad(
                "probe.magic",
                offset,
                "\"FFhp\"",
                format!("{magic:02x?}"),
            ));
        }
        let version = c.u8("probe.version")?;
        if version != VERSION {
            return Err(Error::bad(
                "probe.version",
                offset + 4,
                VERSION.to_string(),
                version,
            ));
        }
        c.u8("probe.reserved")?;
        Ok(ProbePayload {
            layer: c.u16("probe.layer")?,
            index: c.u32("probe.vm_index")?,
            instance: c.u32("probe.instance")?,
            stable_id: c.u64("probe.stable_id")?,
            seq: c.u64("probe.seq")?,
            sent_at: c.u64("probe.sent_at")?,
        })
    }
}

/// A probe packet as read back from a `PACKET_IN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Its Ethernet header as it came back (source: the VM's uplink, normally).
    pub ethernet: Ethernet,
    /// Its IPv4 header (TTL decremented by each VNF crossed).
    pub ip: Ipv4,
    /// Its UDP header.
    pub udp: Udp,
    /// Its payload.
    pub payload: ProbePayload,
}

impl Probe {
    /// Parses a complete probe frame. Never panics, whatever the bytes.
    ///
    /// # Errors
    /// [`Error::Truncated`] or [`Error::BadValue`] naming the first field that is missing or
    /// wrong: not IPv4, not UDP, a cut datagram (a probe is never sent cut: the return entry
    /// asks for the whole packet), bad checksums, magic or version.
    pub fn parse(frame: &[u8]) -> Result<Probe, Error> {
        let (ethernet, at) = Ethernet::parse(frame)?;
        if ethernet.ethertype != ETH_TYPE_IPV4 {
            return Err(Error::bad(
                "ethernet.ethertype",
                at.saturating_sub(2),
                "0x0800 (IPv4)",
                format!("{:#06x}", ethernet.ethertype),
            ));
        }
        let (ip, layout) = Ipv4::parse(frame, at)?;
        if ip.protocol != IP_PROTO_UDP {
            return Err(Error::bad("ipv4.protocol", at + 9, "17 (UDP)", ip.protocol));
        }
        let (udp, payload) = Udp::parse(frame, layout.payload_offset, &ip, layout.payload_len)?;
        if payload.len() < PAYLOAD_LEN {
            return Err(Error::Truncated {
                what: "probe payload",
                offset: payload.start,
                needed: PAYLOAD_LEN,
                available: payload.len(),
            });
        }
        Ok(Probe {
            ethernet,
            ip,
            udp,
            payload: ProbePayload::parse(frame, payload.start)?,
        })
    }

    /// Whether the probe's addresses and port are `config`'s and its instance is too.
    pub fn is_from(&self, config: &ProbeConfig) -> bool {
        self.ip.src == config.source
            && self.ip.dst == config.destination
            && self.udp.dst_port == config.port
            && self.payload.instance == config.instance
    }
}

/// A probe frame for one VM, built once; [`frame`](Self::frame) stamps a sequence number and
/// a send time into a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTemplate {
    frame: Vec<u8>,
    /// Offset of the UDP header.
    udp_at: usize,
    /// The IPv4 header (for the UDP pseudo-header).
    ip: Ipv4,
    down_port: u32,
    down_mac: MacAddr,
}

/// Offsets in the payload of the fields stamped per probe.
const SEQ_AT: usize = 24;
const SENT_AT: usize = 32;

impl ProbeTemplate {
    /// The template for `target`.
    ///
    /// # Errors
    /// [`Error::Config`] when `config` does not [`validate`](ProbeConfig::validate), or
    /// `target`'s layer does not fit the payload's 16 bits (or its index 32 bits).
    pub fn new(config: &ProbeConfig, target: &ProbeTarget) -> Result<ProbeTemplate, Error> {
        config.validate()?;
        let layer = u16::try_from(target.vm.layer)
            .map_err(|_| Error::config("vm.layer", "<= 65535", target.vm.layer))?;
        let index = u32::try_from(target.vm.index)
            .map_err(|_| Error::config("vm.index", "<= 4294967295", target.vm.index))?;
        let ethernet = Ethernet {
            dst: target.down_mac,
            src: config.source_mac,
            vlan: target.down_vlan,
            ethertype: ETH_TYPE_IPV4,
        };
        let ip = Ipv4 {
            tos: 0,
            id: 0,
            ttl: config.ttl,
            protocol: IP_PROTO_UDP,
            src: config.source,
            dst: config.destination,
        };
        let mut payload = Vec::with_capacity(PAYLOAD_LEN);
        ProbePayload {
            layer,
            index,
            instance: config.instance,
            stable_id: target.stable_id,
            seq: 0,
            sent_at: 0,
        }
        .emit(&mut payload);
        let mut frame = Vec::with_capacity(18 + 20 + UDP_HEADER_LEN + PAYLOAD_LEN);
        ethernet.emit(&mut frame);
        ip.emit(UDP_HEADER_LEN + PAYLOAD_LEN, &mut frame)?;
        let udp_at = frame.len();
        Udp {
            src_port: config.port,
            dst_port: config.port,
        }
        .emit(&ip, &payload, &mut frame)?;
        Ok(ProbeTemplate {
            frame,
            udp_at,
            ip,
            down_port: target.down_port,
            down_mac: target.down_mac,
        })
    }

    /// The probe frame with sequence number `seq` sent at `sent_at` (ns).
    pub fn frame(&self, seq: u64, sent_at: u64) -> Vec<u8> {
        let mut f = self.frame.clone();
        let payload_at = self.udp_at + UDP_HEADER_LEN;
        for (at, value) in [(SEQ_AT, seq), (SENT_AT, sent_at)] {
            if let Some(slot) = f.get_mut(payload_at + at..payload_at + at + 8) {
                slot.copy_from_slice(&value.to_be_bytes());
            }
        }
        if let Some(datagram) = f.get_mut(self.udp_at..) {
            fill_udp_checksum(&self.ip, datagram);
        }
        f
    }

    /// The `PACKET_OUT` injecting probe `seq`: `in_port = CONTROLLER`, actions
    /// `set_field:eth_dst=<VM down_mac>, output:<VU port>` (the same actions customer traffic
    /// gets toward this VM, architecture.md §3).
    pub fn packet_out(&self, seq: u64, sent_at: u64) -> PacketOut {
        flows::packet_out(
            vec![
                Action::SetField(Oxm::EthDst(self.down_mac, None)),
                Action::output(self.down_port),
            ],
            self.frame(seq, sent_at),
        )
    }
}

/// The entries returning probes to the controller: at each layer's upper switch, per VD port
/// of the layer, `in_port=<VD>, [vlan_vid,] eth_type=0x0800, ip_proto=17,
/// ipv4_src=<probe source>, udp_dst=<probe port>` → `output:CONTROLLER` (whole packet), at
/// [`PRIORITY_PROBE_RETURN`] with a [`Purpose::ProbeReturn`] cookie.
pub fn return_flows(topology: &Topology, config: &ProbeConfig) -> Vec<SwitchFlowMod> {
    flows::vd_port_flows(
        topology,
        Purpose::ProbeReturn,
        PRIORITY_PROBE_RETURN,
        &[
            Oxm::IpProto(IP_PROTO_UDP),
            Oxm::Ipv4Src(config.source, None),
            Oxm::UdpDst(config.port),
        ],
        &[flows::whole_packet_to_controller()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{sample_topology, vlan_topology};
    use crate::wire::internet_checksum;
    use flowfall_ofp::action::OFPP_CONTROLLER;
    use flowfall_ofp::{Instruction, Message, OfMessage};
    use proptest::prelude::*;

    fn target() -> ProbeTarget {
        let topo = sample_topology();
        targets(&topo)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no VM"))
    }

    #[test]
    fn frame_round_trips_and_is_a_valid_packet_out() {
        let t = target();
        let config = ProbeConfig::default();
        let tpl = ProbeTemplate::new(&config, &t).unwrap();
        let frame = tpl.frame(7, 123_456_789);
        assert_eq!(frame.len(), 14 + 20 + 8 + PAYLOAD_LEN);
        let p = Probe::parse(&frame).unwrap();
        assert!(p.is_from(&config));
        assert_eq!(p.ethernet.dst, t.down_mac);
        assert_eq!(p.ethernet.src, DEFAULT_SOURCE_MAC);
        assert_eq!(
            p.payload,
            ProbePayload {
                layer: 0,
                index: 0,
                instance: 0,
                stable_id: t.stable_id,
                seq: 7,
                sent_at: 123_456_789
            }
        );
        let po = tpl.packet_out(7, 123_456_789);
        assert_eq!(po.in_port, OFPP_CONTROLLER);
        assert_eq!(
            po.actions,
            vec![
                Action::SetField(Oxm::EthDst(t.down_mac, None)),
                Action::output(t.down_port)
            ]
        );
        let msg = OfMessage::new(1, Message::PacketOut(po));
        let bytes = msg.to_vec().unwrap();
        assert_eq!(OfMessage::decode(&bytes).unwrap(), msg);
        assert!(flowfall_ofp::validate::validate(&msg).is_empty());
    }

    #[test]
    fn golden_payload_bytes() {
        let mut out = Vec::new();
        ProbePayload {
            layer: 2,
            index: 3,
            instance: 4,
            stable_id: 0x0102_0304_0506_0708,
            seq: 9,
            sent_at: 10,
        }
        .emit(&mut out);
        let want = [
            b'F', b'F', b'h', b'p', 1, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0,
            0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 10,
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn a_forwarded_probe_still_parses() {
        // What the VM does: new MACs, TTL - 1 with the checksum fixed incrementally.
        let tpl = ProbeTemplate::new(&ProbeConfig::default(), &target()).unwrap();
        let mut f = tpl.frame(1, 2);
        f[0..6].copy_from_slice(&[2, 0, 0, 0, 0, 9]);
        f[14 + 8] -= 1;
        f[14 + 10..14 + 12].copy_from_slice(&[0, 0]);
        let sum = internet_checksum(&[&f[14..34]]);
        f[14 + 10..14 + 12].copy_from_slice(&sum.to_be_bytes());
        let p = Probe::parse(&f).unwrap();
        assert_eq!((p.ip.ttl, p.payload.seq), (63, 1));
    }

    #[test]
    fn vlan_scoped_junction_tags_the_probe() {
        let topo = vlan_topology();
        let t = targets(&topo)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no VM"));
        let f = ProbeTemplate::new(&ProbeConfig::default(), &t)
            .unwrap()
            .frame(0, 0);
        assert_eq!(Probe::parse(&f).unwrap().ethernet.vlan, Some(115));
        let flows = return_flows(&topo, &ProbeConfig::default());
        assert!(flows.iter().all(|f| {
            f.flow_mod
                .match_
                .fields
                .contains(&Oxm::VlanVid(0x1000 | 115, None))
        }));
    }

    #[test]
    fn return_flows_per_vd_port_above_customers() {
        let topo = sample_topology();
        let config = ProbeConfig::default();
        let flows = return_flows(&topo, &config);
        let vd_ports: usize = topo.layers().iter().map(|l| l.hypervisors.len()).sum();
        assert_eq!(flows.len(), vd_ports);
        for f in &flows {
            let fm = &f.flow_mod;
            assert_eq!(fm.priority, PRIORITY_PROBE_RETURN);
            assert_eq!(
                crate::cookie::parse(fm.cookie),
                Some((Purpose::ProbeReturn, f.switch))
            );
            assert!(f.switch >= 1);
            assert!(
                fm.match_
                    .fields
                    .contains(&Oxm::Ipv4Src(config.source, None))
            );
            assert!(fm.match_.fields.contains(&Oxm::UdpDst(config.port)));
            assert_eq!(fm.instructions, vec![flows::whole_packet_to_controller()]);
            let msg = OfMessage::new(0, Message::FlowMod(fm.clone()));
            assert!(flowfall_ofp::validate::validate(&msg).is_empty(), "{msg}");
        }
        assert!(matches!(
            flows[0].flow_mod.instructions[0],
            Instruction::ApplyActions(_)
        ));
    }

    #[test]
    fn config_checks() {
        let topo = sample_topology();
        assert_eq!(ProbeConfig::default().check_topology(&topo), Ok(()));
        let inside = ProbeConfig {
            source: Ipv4Addr::new(192, 0, 2, 9),
            ..ProbeConfig::default()
        };
        assert!(matches!(
            inside.check_topology(&topo),
            Err(Error::Config {
                field: "probe.source",
                ..
            })
        ));
        for bad in [
            ProbeConfig {
                ttl: 1,
                ..ProbeConfig::default()
            },
            ProbeConfig {
                port: 0,
                ..ProbeConfig::default()
            },
            ProbeConfig {
                destination: DEFAULT_SOURCE,
                ..ProbeConfig::default()
            },
            ProbeConfig {
                source: Ipv4Addr::BROADCAST,
                ..ProbeConfig::default()
            },
            ProbeConfig {
                source_mac: MacAddr::BROADCAST,
                ..ProbeConfig::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wrong_things_are_named() {
        let tpl = ProbeTemplate::new(&ProbeConfig::default(), &target()).unwrap();
        let f = tpl.frame(1, 2);
        let mut bad = f.clone();
        bad[42] = b'X';
        // Magic changed: the UDP checksum fails first, at its own offset.
        assert!(matches!(
            Probe::parse(&bad),
            Err(Error::BadValue {
                field: "udp.checksum",
                ..
            })
        ));
        assert!(matches!(
            ProbePayload::parse(&bad, 42),
            Err(Error::BadValue {
                field: "probe.magic",
                offset: 42,
                ..
            })
        ));
        let mut arp = f.clone();
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(matches!(
            Probe::parse(&arp),
            Err(Error::BadValue {
                field: "ethernet.ethertype",
                offset: 12,
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
            let _ = Probe::parse(&bytes);
        }

        #[test]
        fn parse_never_panics_on_mutated_probes(
            seq in any::<u64>(),
            at in 0usize..82,
            value in any::<u8>(),
            cut in 0usize..83,
        ) {
            let tpl = ProbeTemplate::new(&ProbeConfig::default(), &target()).unwrap();
            let mut f = tpl.frame(seq, 1);
            if let Some(b) = f.get_mut(at) { *b = value; }
            f.truncate(cut);
            let _ = Probe::parse(&f);
        }

        #[test]
        fn stamped_frames_parse(seq in any::<u64>(), t in any::<u64>()) {
            let tpl = ProbeTemplate::new(&ProbeConfig::default(), &target()).unwrap();
            let p = Probe::parse(&tpl.frame(seq, t)).unwrap();
            prop_assert_eq!((p.payload.seq, p.payload.sent_at), (seq, t));
        }
    }
}
