//! The packet headers the simulator matches and rewrites.
//!
//! Modelled: Ethernet addresses and type, one 802.1Q tag, IPv4/IPv6 addresses, the ToS /
//! Traffic Class byte (DSCP and ECN), protocol, TTL / hop limit, and TCP/UDP/SCTP ports. A
//! field whose prerequisites the packet does not meet (OpenFlow 1.3.5 §7.2.3.6: `ipv4_src`
//! on an IPv6 packet, `vlan_pcp` without a tag) is *absent* and never matches; a field of a
//! protocol the simulator does not model (ARP, ICMP, MPLS, ...) present in the packet is an
//! [`Error::SimUnsupported`], never a silent mismatch.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flowfall_ofp::MacAddr;

use super::field::Field;
use crate::error::Error;

/// `eth_type` of IPv4.
pub const ETH_TYPE_IPV4: u16 = 0x0800;
/// `eth_type` of IPv6.
pub const ETH_TYPE_IPV6: u16 = 0x86dd;
/// `eth_type` of ARP.
pub const ETH_TYPE_ARP: u16 = 0x0806;
/// `OFPVID_PRESENT`.
const VID_PRESENT: u16 = 0x1000;

/// An 802.1Q tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// 12-bit VLAN id.
    pub vid: u16,
    /// 3-bit priority.
    pub pcp: u8,
}

/// IP header fields common to both families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpFields {
    /// The ToS (IPv4) or Traffic Class (IPv6) byte: DSCP << 2 | ECN.
    pub tos: u8,
    /// Protocol / next header.
    pub proto: u8,
    /// TTL / hop limit.
    pub ttl: u8,
    /// Source and destination port for TCP (6), UDP (17) and SCTP (132).
    pub ports: Option<(u16, u16)>,
}

impl Default for IpFields {
    fn default() -> IpFields {
        IpFields {
            tos: 0,
            proto: 17,
            ttl: 64,
            ports: Some((40000, 53)),
        }
    }
}

/// What follows the Ethernet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// IPv4.
    Ipv4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
        /// ToS, protocol, TTL, ports.
        ip: IpFields,
    },
    /// IPv6.
    Ipv6 {
        /// Source address.
        src: Ipv6Addr,
        /// Destination address.
        dst: Ipv6Addr,
        /// Traffic Class, next header, hop limit, ports.
        ip: IpFields,
    },
    /// Anything else, by ethertype (ARP, LLDP, ...); no field past `eth_type` is modelled.
    Other {
        /// The ethertype.
        eth_type: u16,
    },
}

/// A packet as it enters a switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packet {
    /// Ingress port.
    pub in_port: u32,
    /// Ethernet source.
    pub eth_src: MacAddr,
    /// Ethernet destination.
    pub eth_dst: MacAddr,
    /// The 802.1Q tag, if any.
    pub vlan: Option<VlanTag>,
    /// The network layer.
    pub network: Network,
}

impl Packet {
    /// An IP packet (IPv4 when both addresses are IPv4, IPv6 when both are IPv6) with the given
    /// ToS byte, UDP ports 40000 -> 53, TTL 64 and zero MAC addresses.
    ///
    /// # Errors
    /// [`Error::SimMixedFamilies`] when one address is IPv4 and the other IPv6.
    pub fn ip(in_port: u32, src: IpAddr, dst: IpAddr, tos: u8) -> Result<Packet, Error> {
        let ip = IpFields {
            tos,
            ..IpFields::default()
        };
        let network = match (src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => Network::Ipv4 { src, dst, ip },
            (IpAddr::V6(src), IpAddr::V6(dst)) => Network::Ipv6 { src, dst, ip },
            _ => return Err(Error::SimMixedFamilies { src, dst }),
        };
        Ok(Packet {
            in_port,
            eth_src: MacAddr::ZERO,
            eth_dst: MacAddr::ZERO,
            vlan: None,
            network,
        })
    }

    /// The ethertype (of the payload, after any VLAN tag, as `OXM_OF_ETH_TYPE` sees it).
    pub const fn eth_type(&self) -> u16 {
        match self.network {
            Network::Ipv4 { .. } => ETH_TYPE_IPV4,
            Network::Ipv6 { .. } => ETH_TYPE_IPV6,
            Network::Other { eth_type } => eth_type,
        }
    }

    /// The IP fields, if this is an IP packet.
    pub const fn ip_fields(&self) -> Option<&IpFields> {
        match &self.network {
            Network::Ipv4 { ip, .. } | Network::Ipv6 { ip, .. } => Some(ip),
            Network::Other { .. } => None,
        }
    }

    fn ip_fields_mut(&mut self) -> Option<&mut IpFields> {
        match &mut self.network {
            Network::Ipv4 { ip, .. } | Network::Ipv6 { ip, .. } => Some(ip),
            Network::Other { .. } => None,
        }
    }

    /// Source and destination IP addresses.
    pub const fn ip_addrs(&self) -> Option<(IpAddr, IpAddr)> {
        match self.network {
            Network::Ipv4 { src, dst, .. } => Some((IpAddr::V4(src), IpAddr::V4(dst))),
            Network::Ipv6 { src, dst, .. } => Some((IpAddr::V6(src), IpAddr::V6(dst))),
            Network::Other { .. } => None,
        }
    }

    /// The ToS / Traffic Class byte of an IP packet.
    pub fn tos(&self) -> Option<u8> {
        self.ip_fields().map(|ip| ip.tos)
    }

    fn port_of(&self, want_proto: u8, dst: bool) -> Option<u128> {
        let ip = self.ip_fields()?;
        if ip.proto != want_proto {
            return None;
        }
        ip.ports.map(|(s, d)| u128::from(if dst { d } else { s }))
    }

    fn unmodelled(&self, field: Field, present: bool) -> Result<Option<u128>, Error> {
        if present {
            Err(Error::SimUnsupported {
                what: format!("match on {field}"),
            })
        } else {
            Ok(None)
        }
    }

    /// The packet's value of `field`, or `None` when the packet does not have it.
    ///
    /// # Errors
    /// [`Error::SimUnsupported`] for a field of a protocol the packet carries but the
    /// simulator does not model.
    pub fn get(&self, field: Field) -> Result<Option<u128>, Error> {
        let mac = |m: MacAddr| {
            let b = m.octets();
            u128::from(u64::from_be_bytes([
                0, 0, b[0], b[1], b[2], b[3], b[4], b[5],
            ]))
        };
        let proto = self.ip_fields().map(|ip| ip.proto);
        Ok(match field {
            Field::InPort => Some(self.in_port.into()),
            Field::EthDst => Some(mac(self.eth_dst)),
            Field::EthSrc => Some(mac(self.eth_src)),
            Field::EthType => Some(self.eth_type().into()),
            Field::VlanVid => Some(
                self.vlan
                    .map_or(0, |t| (t.vid & 0x0fff) | VID_PRESENT)
                    .into(),
            ),
            Field::VlanPcp => self.vlan.map(|t| t.pcp.into()),
            Field::IpDscp => self.ip_fields().map(|ip| (ip.tos >> 2).into()),
            Field::IpEcn => self.ip_fields().map(|ip| (ip.tos & 3).into()),
            Field::IpProto => proto.map(u128::from),
            Field::Ipv4Src | Field::Ipv4Dst => match self.network {
                Network::Ipv4 { src, dst, .. } => {
                    let a = if field == Field::Ipv4Src { src } else { dst };
                    Some(u32::from(a).into())
                }
                _ => None,
            },
            Field::Ipv6Src | Field::Ipv6Dst => match self.network {
                Network::Ipv6 { src, dst, .. } => {
                    let a = if field == Field::Ipv6Src { src } else { dst };
                    Some(a.into())
                }
                _ => None,
            },
            Field::TcpSrc => self.port_of(6, false),
            Field::TcpDst => self.port_of(6, true),
            Field::UdpSrc => self.port_of(17, false),
            Field::UdpDst => self.port_of(17, true),
            Field::SctpSrc => self.port_of(132, false),
            Field::SctpDst => self.port_of(132, true),
            Field::Metadata | Field::InPhyPort | Field::TunnelId => {
                // Pipeline metadata is handled by the pipeline; the others default to "absent".
                None
            }
            Field::Icmpv4Type | Field::Icmpv4Code => {
                let v4 = matches!(self.network, Network::Ipv4 { .. });
                return self.unmodelled(field, v4 && proto == Some(1));
            }
            Field::Icmpv6Type | Field::Icmpv6Code | Field::Ipv6NdTarget => {
                let v6 = matches!(self.network, Network::Ipv6 { .. });
                return self.unmodelled(field, v6 && proto == Some(58));
            }
            Field::Ipv6NdSll | Field::Ipv6NdTll => {
                let v6 = matches!(self.network, Network::Ipv6 { .. });
                return self.unmodelled(field, v6 && proto == Some(58));
            }
            Field::Ipv6Flabel | Field::Ipv6Exthdr => {
                return self.unmodelled(field, matches!(self.network, Network::Ipv6 { .. }));
            }
            Field::ArpOp | Field::ArpSpa | Field::ArpTpa | Field::ArpSha | Field::ArpTha => {
                return self.unmodelled(field, self.eth_type() == ETH_TYPE_ARP);
            }
            Field::MplsLabel | Field::MplsTc | Field::MplsBos => {
                let mpls = matches!(self.eth_type(), 0x8847 | 0x8848);
                return self.unmodelled(field, mpls);
            }
            Field::PbbIsid => return self.unmodelled(field, self.eth_type() == 0x88e7),
        })
    }

    /// Rewrites `field` to `value` (a `SET_FIELD` action, §7.2.5).
    ///
    /// # Errors
    /// [`Error::SimSetField`] when the packet lacks the field (its prerequisites are not met)
    /// or the simulator cannot rewrite it.
    pub fn set(&mut self, field: Field, value: u128) -> Result<(), Error> {
        let fail = |reason: &'static str| Error::SimSetField {
            field: field.name(),
            reason,
        };
        let mac_of = |v: u128| {
            let b = (v as u64).to_be_bytes();
            MacAddr([b[2], b[3], b[4], b[5], b[6], b[7]])
        };
        match field {
            Field::EthDst => self.eth_dst = mac_of(value),
            Field::EthSrc => self.eth_src = mac_of(value),
            Field::VlanVid => {
                let tag = self.vlan.as_mut().ok_or_else(|| fail("no VLAN tag"))?;
                tag.vid = (value as u16) & 0x0fff;
            }
            Field::VlanPcp => {
                let tag = self.vlan.as_mut().ok_or_else(|| fail("no VLAN tag"))?;
                tag.pcp = (value as u8) & 7;
            }
            Field::IpDscp | Field::IpEcn | Field::IpProto => {
                let ip = self
                    .ip_fields_mut()
                    .ok_or_else(|| fail("not an IP packet"))?;
                let v = value as u8;
                match field {
                    Field::IpDscp => ip.tos = (ip.tos & 0x03) | ((v & 0x3f) << 2),
                    Field::IpEcn => ip.tos = (ip.tos & 0xfc) | (v & 0x03),
                    _ => ip.proto = v,
                }
            }
            Field::Ipv4Src | Field::Ipv4Dst => match &mut self.network {
                Network::Ipv4 { src, dst, .. } => {
                    let a = Ipv4Addr::from(value as u32);
                    if field == Field::Ipv4Src {
                        *src = a
                    } else {
                        *dst = a
                    }
                }
                _ => return Err(fail("not an IPv4 packet")),
            },
            Field::Ipv6Src | Field::Ipv6Dst => match &mut self.network {
                Network::Ipv6 { src, dst, .. } => {
                    let a = Ipv6Addr::from(value);
                    if field == Field::Ipv6Src {
                        *src = a
                    } else {
                        *dst = a
                    }
                }
                _ => return Err(fail("not an IPv6 packet")),
            },
            Field::TcpSrc
            | Field::TcpDst
            | Field::UdpSrc
            | Field::UdpDst
            | Field::SctpSrc
            | Field::SctpDst => {
                let want = match field {
                    Field::TcpSrc | Field::TcpDst => 6,
                    Field::UdpSrc | Field::UdpDst => 17,
                    _ => 132,
                };
                let dst = matches!(field, Field::TcpDst | Field::UdpDst | Field::SctpDst);
                let ip = self
                    .ip_fields_mut()
                    .ok_or_else(|| fail("not an IP packet"))?;
                if ip.proto != want {
                    return Err(fail("transport protocol differs"));
                }
                let ports = ip
                    .ports
                    .as_mut()
                    .ok_or_else(|| fail("no transport header"))?;
                if dst {
                    ports.1 = value as u16
                } else {
                    ports.0 = value as u16
                }
            }
            _ => return Err(fail("not modelled by the simulator")),
        }
        Ok(())
    }
}

impl fmt::Display for Packet {
    /// `in_port=1 02:..:01 > 02:..:02 10.0.0.1 > 192.0.2.1 tos=0x10`, in the spirit of
    /// `ovs-appctl ofproto/trace` flow descriptions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "in_port={} {} > {}",
            self.in_port, self.eth_src, self.eth_dst
        )?;
        if let Some(t) = self.vlan {
            write!(f, " vlan={}", t.vid)?;
        }
        match (self.ip_addrs(), self.tos()) {
            (Some((s, d)), Some(tos)) => write!(f, " {s} > {d} tos={tos:#04x}"),
            _ => write!(f, " eth_type={:#06x}", self.eth_type()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4() -> Packet {
        Packet::ip(
            3,
            Ipv4Addr::new(10, 0, 0, 1).into(),
            Ipv4Addr::new(192, 0, 2, 1).into(),
            0x13,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn get_respects_prerequisites() {
        let p = v4();
        assert_eq!(p.get(Field::IpDscp).ok().flatten(), Some(4));
        assert_eq!(p.get(Field::IpEcn).ok().flatten(), Some(3));
        assert_eq!(p.get(Field::Ipv4Src).ok().flatten(), Some(0x0a00_0001));
        assert_eq!(p.get(Field::Ipv6Src).ok().flatten(), None);
        assert_eq!(p.get(Field::VlanVid).ok().flatten(), Some(0));
        assert_eq!(p.get(Field::VlanPcp).ok().flatten(), None);
        assert_eq!(p.get(Field::UdpDst).ok().flatten(), Some(53));
        assert_eq!(p.get(Field::TcpDst).ok().flatten(), None);
        assert_eq!(p.get(Field::ArpOp).ok().flatten(), None);
        let arp = Packet {
            network: Network::Other {
                eth_type: ETH_TYPE_ARP,
            },
            ..p
        };
        assert!(matches!(
            arp.get(Field::ArpOp),
            Err(Error::SimUnsupported { .. })
        ));
    }

    #[test]
    fn set_rewrites_only_the_field() {
        let mut p = v4();
        assert!(p.set(Field::IpDscp, 9).is_ok());
        assert_eq!(p.tos(), Some((9 << 2) | 3));
        assert!(p.set(Field::IpEcn, 0).is_ok());
        assert_eq!(p.tos(), Some(9 << 2));
        assert!(p.set(Field::EthDst, 0x0200_0000_0001).is_ok());
        assert_eq!(p.eth_dst, MacAddr([2, 0, 0, 0, 0, 1]));
        assert!(matches!(
            p.set(Field::Ipv6Dst, 1),
            Err(Error::SimSetField {
                field: "ipv6_dst",
                ..
            })
        ));
        assert!(matches!(
            p.set(Field::VlanVid, 5),
            Err(Error::SimSetField { .. })
        ));
    }

    #[test]
    fn mixed_families_are_refused() {
        let r = Packet::ip(1, Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into(), 0);
        assert!(matches!(r, Err(Error::SimMixedFamilies { .. })));
    }
}
