//! NAT-in-chain detection (paper §6.2 problem 4: "no header-rewriting functions inside the
//! chain"; issue 7 item 4).
//!
//! A VNF that rewrites source addresses breaks FlowFall: its output no longer matches the
//! customer's entries at the next junction, and return traffic would carry an address the
//! chain does not know. Without detection that traffic silently hits the table-miss drop.
//!
//! [`nat_flows`] installs, at each junction J*k* (k > 0) on each VD port (upstream traffic
//! leaving a VM of layer k−1), `in_port=<VD>, [vlan_vid,] eth_type=0x0800` →
//! `output:CONTROLLER` with a small `max_len` at [`PRIORITY_NAT`] — above the compiler's
//! table-miss drop (0) and reactive IP-miss (1), below every customer entry (1000 and up), so
//! it only sees IPv4 packets no customer entry claimed. An optional meter
//! ([`NatConfig::meter`], [`meter_mods`]) bounds the packet-in rate a misbehaving VNF can
//! cause. Frames still end at the controller, never downstream: detection does not bypass.
//!
//! [`NatDetector::on_packet_in`] classifies those packet-ins. A source address that belongs
//! to no customer raises an [`Alarm`] naming the switch, port, layer and — by the frame's
//! source MAC, which is the VM's uplink MAC — the VM; a probe whose source was rewritten
//! names its VM exactly. Alarms are de-duplicated per (datapath, port, source) and their
//! number is bounded (least recently seen evicted first). A packet from a known customer
//! that no entry claimed (a VNF that rewrote the ToS byte, or packets still in a VM while
//! its customers move) is counted, not alarmed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use flowfall_ofp::meter::{MeterBand, MeterMod, MeterModCommand, meter_flags};
use flowfall_ofp::packet_in::PacketIn;
use flowfall_ofp::{Instruction, MacAddr, Oxm};
use flowfall_topology::{PortRole, Topology, VmId};

use crate::cookie::{PRIORITY_NAT, Purpose};
use crate::error::Error;
use crate::flows::{self, SwitchFlowMod};
use crate::liveness::Nanos;
use crate::probe::ProbePayload;
use crate::wire::{ETH_TYPE_IPV4, Ethernet, IP_PROTO_UDP, Ipv4, UDP_HEADER_LEN};

/// Rate limit of the detection packet-ins on a switch (`OFPMF_PKTPS` meter, drop band).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatMeter {
    /// Meter id (1..=0xffff0000).
    pub id: u32,
    /// Packets per second.
    pub rate: u32,
    /// Burst, packets.
    pub burst: u32,
}

/// Detection settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatConfig {
    /// Bytes of each packet sent to the controller (default 128: Ethernet, a VLAN tag, an
    /// IPv4 header with options, UDP and a probe payload).
    pub max_len: u16,
    /// Meter on the detection entries (default id 0xff00, 100 packets/s, burst 100); `None`
    /// for switches without meters (the controller then relies on its own packet-in limits).
    pub meter: Option<NatMeter>,
    /// Most distinct alarms kept (default 1024).
    pub max_alarms: usize,
}

impl Default for NatConfig {
    fn default() -> Self {
        NatConfig {
            max_len: 128,
            meter: Some(NatMeter {
                id: 0xff00,
                rate: 100,
                burst: 100,
            }),
            max_alarms: 1024,
        }
    }
}

impl NatConfig {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`Error::Config`] for a `max_len` outside 34..=65509 (it must hold an Ethernet and an
    /// IPv4 header), a meter id outside 1..=0xffff0000 or a zero rate, or `max_alarms`
    /// outside 1..=1 000 000.
    pub fn validate(&self) -> Result<(), Error> {
        if !(34..=0xffe5).contains(&self.max_len) {
            return Err(Error::config("nat.max_len", "34..=65509", self.max_len));
        }
        if let Some(m) = self.meter {
            if !(1..=0xffff_0000).contains(&m.id) {
                return Err(Error::config("nat.meter.id", "1..=0xffff0000", m.id));
            }
            if m.rate == 0 {
                return Err(Error::config("nat.meter.rate", ">= 1 packet/s", 0));
            }
        }
        if !(1..=1_000_000).contains(&self.max_alarms) {
            return Err(Error::config(
                "nat.max_alarms",
                "1..=1000000",
                self.max_alarms,
            ));
        }
        Ok(())
    }
}

/// The detection entries (see the [module docs](self)).
pub fn nat_flows(topology: &Topology, config: &NatConfig) -> Vec<SwitchFlowMod> {
    let meter = config.meter.map(|m| Instruction::Meter(m.id));
    let instructions: Vec<Instruction> = meter
        .into_iter()
        .chain(std::iter::once(flows::to_controller(config.max_len)))
        .collect();
    flows::vd_port_flows(topology, Purpose::Nat, PRIORITY_NAT, &[], &instructions)
}

/// The `METER_MOD`s creating the detection meter, one per datapath with detection entries:
/// `(junction index, dpid, meter mod)`. Empty without a meter.
pub fn meter_mods(topology: &Topology, config: &NatConfig) -> Vec<(usize, u64, MeterMod)> {
    let Some(m) = config.meter else {
        return Vec::new();
    };
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for s in topology.switches().iter().skip(1) {
        if seen.contains(&s.dpid) {
            continue;
        }
        seen.push(s.dpid);
        out.push((
            s.index,
            s.dpid,
            MeterMod {
                command: MeterModCommand::Add,
                flags: meter_flags::PKTPS | meter_flags::BURST | meter_flags::STATS,
                meter_id: m.id,
                bands: vec![MeterBand::Drop {
                    rate: m.rate,
                    burst_size: m.burst,
                }],
            },
        ));
    }
    out
}

/// One suspected header-rewriting VNF output, de-duplicated per (datapath, port, source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// Junction index.
    pub switch: usize,
    /// Its datapath id.
    pub dpid: u64,
    /// The VD port the packet arrived on.
    pub port: u32,
    /// The layer whose VM sent it.
    pub layer: usize,
    /// The VM, when the frame's source MAC is one of the port's VMs' uplink MACs.
    pub vm: Option<VmId>,
    /// The frame's source MAC (the last one seen).
    pub eth_src: MacAddr,
    /// The unknown source address.
    pub src: Ipv4Addr,
    /// The destination of the last packet seen.
    pub dst: Ipv4Addr,
    /// When the packet was a liveness probe whose source was rewritten: the VM it probed.
    pub probe_of: Option<VmId>,
    /// First packet.
    pub first_seen: Nanos,
    /// Last packet.
    pub last_seen: Nanos,
    /// Packets seen (after the switch's meter).
    pub count: u64,
}

/// What one packet-in was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A source that belongs to no customer: alarm (`new` the first time for its key: log it).
    Alarm {
        /// The alarm, updated.
        alarm: Alarm,
        /// Whether this packet created it.
        new: bool,
    },
    /// A known customer's packet that no entry claimed.
    KnownSource {
        /// The customer.
        customer: String,
    },
    /// Not from a watched (VD) port of a junction.
    NotWatched,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NatStats {
    /// Packets classified.
    pub packets: u64,
    /// Distinct alarms raised.
    pub alarms: u64,
    /// Alarms evicted to stay within `max_alarms`.
    pub evicted: u64,
    /// Unclaimed packets from known customers.
    pub known_source: u64,
    /// Packets that are not IPv4 or not from a watched port.
    pub ignored: u64,
}

/// The packet-in classifier (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct NatDetector {
    config: NatConfig,
    alarms: HashMap<(u64, u32, Ipv4Addr), Alarm>,
    stats: NatStats,
}

impl NatDetector {
    /// A detector with no alarms.
    ///
    /// # Errors
    /// [`Error::Config`] when `config` is out of range.
    pub fn new(config: NatConfig) -> Result<NatDetector, Error> {
        config.validate()?;
        Ok(NatDetector {
            config,
            alarms: HashMap::new(),
            stats: NatStats::default(),
        })
    }

    /// Classifies a `PACKET_IN` from a [`Purpose::Nat`] entry of datapath `dpid`.
    ///
    /// # Errors
    /// [`Error::Truncated`] / [`Error::BadValue`] when the data is not an Ethernet frame with
    /// a valid IPv4 header (the packet is counted as ignored).
    pub fn on_packet_in(
        &mut self,
        topology: &Topology,
        dpid: u64,
        packet_in: &PacketIn,
        now: Nanos,
    ) -> Result<Verdict, Error> {
        let in_port = packet_in.match_.fields.iter().find_map(|f| match f {
            Oxm::InPort(p) => Some(*p),
            _ => None,
        });
        self.classify(topology, dpid, in_port.unwrap_or(0), &packet_in.data, now)
    }

    /// Classifies the (possibly truncated) frame that arrived on `port` of `dpid`.
    ///
    /// # Errors
    /// As [`on_packet_in`](Self::on_packet_in).
    pub fn classify(
        &mut self,
        topology: &Topology,
        dpid: u64,
        port: u32,
        frame: &[u8],
        now: Nanos,
    ) -> Result<Verdict, Error> {
        self.stats.packets += 1;
        let parsed = Ethernet::parse(frame).and_then(|(eth, at)| {
            if eth.ethertype != ETH_TYPE_IPV4 {
                return Err(Error::bad(
                    "ethernet.ethertype",
                    at.saturating_sub(2),
                    "0x0800 (IPv4)",
                    format!("{:#06x}", eth.ethertype),
                ));
            }
            Ipv4::parse(frame, at).map(|(ip, layout)| (eth, ip, layout))
        });
        let (eth, ip, layout) = parsed.inspect_err(|_| self.stats.ignored += 1)?;
        // The junction: the one on this datapath with the frame's VLAN scope.
        let junction = topology
            .switches_with_dpid(dpid)
            .find(|s| s.vlan.is_none() || s.vlan == eth.vlan);
        let role = junction.and_then(|s| topology.role(s.index, port).map(|r| (s.index, r)));
        let Some((switch, PortRole::VnfDown { layer, hypervisor })) = role else {
            self.stats.ignored += 1;
            return Ok(Verdict::NotWatched);
        };
        if let Some(c) = topology.customer_for_address(IpAddr::V4(ip.src)) {
            self.stats.known_source += 1;
            return Ok(Verdict::KnownSource {
                customer: c.name.clone(),
            });
        }
        let vm = topology
            .layer(layer)
            .map(|l| l.vms_on(hypervisor))
            .unwrap_or(&[])
            .iter()
            .find(|v| v.up_mac.octets() == eth.src.0)
            .map(|v| v.id);
        let probe_of = (ip.protocol == IP_PROTO_UDP)
            .then(|| ProbePayload::parse(frame, layout.payload_offset + UDP_HEADER_LEN).ok())
            .flatten()
            .map(|p| VmId {
                layer: usize::from(p.layer),
                index: p.index as usize,
            });
        let key = (dpid, port, ip.src);
        let new = !self.alarms.contains_key(&key);
        if new && self.alarms.len() >= self.config.max_alarms {
            let oldest = self
                .alarms
                .iter()
                .min_by_key(|(_, a)| a.last_seen)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.alarms.remove(&k);
                self.stats.evicted += 1;
            }
        }
        let alarm = self.alarms.entry(key).or_insert_with(|| Alarm {
            switch,
            dpid,
            port,
            layer,
            vm,
            eth_src: eth.src,
            src: ip.src,
            dst: ip.dst,
            probe_of,
            first_seen: now,
            last_seen: now,
            count: 0,
        });
        alarm.count += 1;
        alarm.last_seen = now;
        alarm.dst = ip.dst;
        alarm.eth_src = eth.src;
        alarm.vm = vm.or(alarm.vm);
        alarm.probe_of = probe_of.or(alarm.probe_of);
        if new {
            self.stats.alarms += 1;
        }
        Ok(Verdict::Alarm {
            alarm: alarm.clone(),
            new,
        })
    }

    /// The current alarms, most recently seen first.
    pub fn alarms(&self) -> Vec<&Alarm> {
        let mut v: Vec<&Alarm> = self.alarms.values().collect();
        v.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.src.cmp(&b.src)));
        v
    }

    /// Forgets alarms not seen since `before`; returns how many.
    pub fn expire(&mut self, before: Nanos) -> usize {
        let n = self.alarms.len();
        self.alarms.retain(|_, a| a.last_seen >= before);
        n - self.alarms.len()
    }

    /// Counters.
    pub fn stats(&self) -> NatStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{ProbeConfig, ProbeTemplate, targets};
    use crate::testing::{sample_topology, vlan_topology};
    use crate::wire::Udp;
    use flowfall_ofp::packet_in::PacketInReason;
    use flowfall_ofp::{Match, Message, OfMessage};
    use proptest::prelude::*;

    /// An IPv4/UDP frame from `src` sent by the VM with uplink MAC `mac`.
    fn frame(mac: [u8; 6], src: [u8; 4], vlan: Option<u16>) -> Vec<u8> {
        let mut f = Vec::new();
        Ethernet {
            dst: MacAddr([2, 0, 0, 0, 0, 0xfe]),
            src: MacAddr(mac),
            vlan,
            ethertype: ETH_TYPE_IPV4,
        }
        .emit(&mut f);
        let ip = Ipv4 {
            tos: 0,
            id: 1,
            ttl: 63,
            protocol: IP_PROTO_UDP,
            src: Ipv4Addr::from(src),
            dst: Ipv4Addr::new(8, 8, 8, 8),
        };
        let payload = [0u8; 200];
        if ip.emit(UDP_HEADER_LEN + payload.len(), &mut f).is_ok() {
            let _ = Udp {
                src_port: 1,
                dst_port: 53,
            }
            .emit(&ip, &payload, &mut f);
        }
        f.truncate(128); // what max_len leaves
        f
    }

    fn pin(port: u32, data: Vec<u8>) -> PacketIn {
        PacketIn {
            buffer_id: u32::MAX,
            total_len: 242,
            reason: PacketInReason::Action,
            table_id: 0,
            cookie: crate::cookie::cookie(Purpose::Nat, 1),
            match_: Match::new().with(Oxm::InPort(port)),
            data,
        }
    }

    const FW2_UP: [u8; 6] = [2, 0, 0, 1, 2, 2];

    #[test]
    fn unknown_source_on_a_vd_port_raises_one_deduplicated_alarm() {
        let topo = sample_topology();
        let mut d = NatDetector::new(NatConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        // fw-2 (hv1, VD port 2 on J1, dpid 2) NATs 192.0.2.5 to 100.64.0.1.
        let v = d.on_packet_in(&topo, 2, &pin(2, frame(FW2_UP, [100, 64, 0, 1], None)), 10);
        let Ok(Verdict::Alarm { alarm, new: true }) = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            (alarm.switch, alarm.dpid, alarm.port, alarm.layer),
            (1, 2, 2, 0)
        );
        assert_eq!(alarm.vm, Some(VmId { layer: 0, index: 1 }));
        assert_eq!(
            (alarm.src, alarm.count, alarm.probe_of),
            (Ipv4Addr::new(100, 64, 0, 1), 1, None)
        );
        let v = d.on_packet_in(&topo, 2, &pin(2, frame(FW2_UP, [100, 64, 0, 1], None)), 20);
        let Ok(Verdict::Alarm { alarm, new: false }) = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            (alarm.count, alarm.first_seen, alarm.last_seen),
            (2, 10, 20)
        );
        assert_eq!(d.alarms().len(), 1);
        assert_eq!(d.stats().alarms, 1);
    }

    #[test]
    fn known_sources_and_unwatched_ports_are_not_alarms() {
        let topo = sample_topology();
        let mut d = NatDetector::new(NatConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let v = d.on_packet_in(&topo, 2, &pin(2, frame(FW2_UP, [192, 0, 2, 5], None)), 1);
        assert_eq!(
            v,
            Ok(Verdict::KnownSource {
                customer: "c1".into()
            })
        );
        // J1 port 4 is a VU port (layer ddos's downlink side), and J0 has no VD ports.
        assert_eq!(
            d.on_packet_in(&topo, 2, &pin(4, frame(FW2_UP, [1, 1, 1, 1], None)), 1),
            Ok(Verdict::NotWatched)
        );
        assert_eq!(
            d.on_packet_in(&topo, 1, &pin(2, frame(FW2_UP, [1, 1, 1, 1], None)), 1),
            Ok(Verdict::NotWatched)
        );
        assert!(d.on_packet_in(&topo, 2, &pin(2, vec![0; 13]), 1).is_err());
        assert_eq!(
            d.stats(),
            NatStats {
                packets: 4,
                alarms: 0,
                evicted: 0,
                known_source: 1,
                ignored: 3
            }
        );
    }

    #[test]
    fn a_nated_probe_names_its_vm() {
        let topo = vlan_topology();
        let t = targets(&topo)
            .into_iter()
            .nth(2)
            .unwrap_or_else(|| panic!("no fw-3"));
        let mut f = ProbeTemplate::new(&ProbeConfig::default(), &t)
            .map(|p| p.frame(5, 6))
            .unwrap_or_default();
        // fw-3 rewrites the source to 100.64.9.9 and fixes the IPv4 checksum; eth_src = its up MAC.
        f[6..12].copy_from_slice(&t.up_mac.0);
        f[18 + 12..18 + 16].copy_from_slice(&[100, 64, 9, 9]);
        f[18 + 10..18 + 12].copy_from_slice(&[0, 0]);
        let sum = crate::wire::internet_checksum(&[&f[18..38]]);
        f[18 + 10..18 + 12].copy_from_slice(&sum.to_be_bytes());
        let mut d = NatDetector::new(NatConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let v = d.classify(&topo, t.up_dpid, t.up_port, &f, 3);
        let Ok(Verdict::Alarm { alarm, .. }) = v else {
            panic!("{v:?}")
        };
        assert_eq!(alarm.probe_of, Some(t.vm));
        assert_eq!(alarm.vm, Some(t.vm));
    }

    #[test]
    fn memory_is_bounded() {
        let topo = sample_topology();
        let config = NatConfig {
            max_alarms: 3,
            ..NatConfig::default()
        };
        let mut d = NatDetector::new(config).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..10u8 {
            let _ = d.on_packet_in(
                &topo,
                2,
                &pin(2, frame(FW2_UP, [100, 64, 0, i], None)),
                u64::from(i),
            );
        }
        let srcs: Vec<Ipv4Addr> = d.alarms().iter().map(|a| a.src).collect();
        assert_eq!(
            srcs,
            [
                Ipv4Addr::new(100, 64, 0, 9),
                Ipv4Addr::new(100, 64, 0, 8),
                Ipv4Addr::new(100, 64, 0, 7)
            ]
        );
        assert_eq!(d.stats().evicted, 7);
        assert_eq!(d.expire(9), 2);
    }

    #[test]
    fn flows_sit_below_customers_and_meter_the_punts() {
        let topo = sample_topology();
        let config = NatConfig::default();
        let flows = nat_flows(&topo, &config);
        assert_eq!(flows.len(), 3, "hv1, hv2 on J1; hv3 on J2");
        for f in &flows {
            assert!(f.switch >= 1);
            assert_eq!(f.flow_mod.priority, PRIORITY_NAT);
            assert_eq!(f.flow_mod.instructions[0], Instruction::Meter(0xff00));
            assert_eq!(f.flow_mod.instructions[1], flows::to_controller(128));
            let msg = OfMessage::new(0, Message::FlowMod(f.flow_mod.clone()));
            assert!(flowfall_ofp::validate::validate(&msg).is_empty(), "{msg}");
        }
        let meters = meter_mods(&topo, &config);
        assert_eq!(meters.iter().map(|m| m.1).collect::<Vec<_>>(), [2, 3]);
        let msg = OfMessage::new(0, Message::MeterMod(meters[0].2.clone()));
        assert_eq!(
            OfMessage::decode(&msg.to_vec().unwrap_or_default()).ok(),
            Some(msg)
        );
        let no_meter = NatConfig {
            meter: None,
            ..config
        };
        assert!(meter_mods(&topo, &no_meter).is_empty());
        assert_eq!(
            nat_flows(&topo, &no_meter)[0].flow_mod.instructions.len(),
            1
        );
    }

    #[test]
    fn config_ranges() {
        let ok = NatConfig::default();
        assert_eq!(ok.validate(), Ok(()));
        let meter = |id, rate| Some(NatMeter { id, rate, burst: 1 });
        for (bad, field) in [
            (NatConfig { max_len: 10, ..ok }, "nat.max_len"),
            (
                NatConfig {
                    max_alarms: 0,
                    ..ok
                },
                "nat.max_alarms",
            ),
            (
                NatConfig {
                    meter: meter(0, 1),
                    ..ok
                },
                "nat.meter.id",
            ),
            (
                NatConfig {
                    meter: meter(1, 0),
                    ..ok
                },
                "nat.meter.rate",
            ),
        ] {
            assert!(matches!(bad.validate(), Err(Error::Config { field: f, .. }) if f == field));
        }
    }

    proptest! {
        #[test]
        fn classify_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..160), port in 0u32..8, dpid in 0u64..5) {
            let topo = sample_topology();
            let mut d = NatDetector::new(NatConfig { max_alarms: 4, ..NatConfig::default() })
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let _ = d.classify(&topo, dpid, port, &bytes, 0);
            prop_assert!(d.alarms().len() <= 4);
        }
    }
}
