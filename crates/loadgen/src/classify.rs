//! Does a flow entry's match cover a packet? OpenFlow 1.3.5 §5.3 ("Matching") and §7.2.3.
//!
//! Used to tell which outstanding PACKET_IN a FLOW_MOD without a `buffer_id` answers: the
//! entry answers a packet when the packet, as it entered table 0, would hit it. Pipeline
//! fields take their table-0 values (metadata 0, no tunnel). A field the packet does not have
//! (e.g. `ipv4_src` of an ARP frame) or one this module does not read (IPv6, MPLS, PBB,
//! experimenter fields) does not match, so a FLOW_MOD is never credited to a packet it might
//! not cover.

use std::net::Ipv4Addr;

use flowfall_ofp::oxm::OFPVID_PRESENT;
use flowfall_ofp::{MacAddr, Match, Oxm};

use crate::packet::{Headers, IP_PROTO_TCP, IP_PROTO_UDP, L3};

/// Whether `m` matches a packet with `headers` that arrived on `in_port`.
pub fn covers(m: &Match, in_port: u32, headers: &Headers) -> bool {
    m.fields
        .iter()
        .all(|oxm| field_matches(oxm, in_port, headers))
}

fn field_matches(oxm: &Oxm, in_port: u32, h: &Headers) -> bool {
    let ipv4 = match h.l3 {
        L3::Ipv4 {
            src,
            dst,
            tos,
            proto,
            ports,
        } => Some((src, dst, tos, proto, ports)),
        _ => None,
    };
    let arp = match h.l3 {
        L3::Arp {
            op,
            sha,
            spa,
            tha,
            tpa,
        } => Some((op, sha, spa, tha, tpa)),
        _ => None,
    };
    let l4 = |want: u8| {
        ipv4.and_then(|(_, _, _, proto, ports)| (proto == want).then_some(ports).flatten())
    };
    match oxm {
        Oxm::InPort(p) | Oxm::InPhyPort(p) => *p == in_port,
        Oxm::Metadata(v, mask) => masked64(0, *v, *mask),
        Oxm::EthDst(v, mask) => masked_mac(h.eth_dst, *v, *mask),
        Oxm::EthSrc(v, mask) => masked_mac(h.eth_src, *v, *mask),
        Oxm::EthType(t) => *t == h.eth_type(),
        Oxm::VlanVid(v, mask) => {
            let vid = h.vlan.map_or(0, |v| v | OFPVID_PRESENT);
            let mask = mask.unwrap_or(0x1fff);
            vid & mask == v & mask
        }
        // Generated frames carry priority 0 in their tag.
        Oxm::VlanPcp(p) => h.vlan.is_some() && *p == 0,
        Oxm::IpDscp(d) => ipv4.is_some_and(|(_, _, tos, _, _)| tos >> 2 == *d),
        Oxm::IpEcn(e) => ipv4.is_some_and(|(_, _, tos, _, _)| tos & 3 == *e),
        Oxm::IpProto(p) => ipv4.is_some_and(|(_, _, _, proto, _)| proto == *p),
        Oxm::Ipv4Src(v, mask) => ipv4.is_some_and(|(src, ..)| masked_ipv4(src, *v, *mask)),
        Oxm::Ipv4Dst(v, mask) => ipv4.is_some_and(|(_, dst, ..)| masked_ipv4(dst, *v, *mask)),
        Oxm::UdpSrc(p) => l4(IP_PROTO_UDP).is_some_and(|(s, _)| s == *p),
        Oxm::UdpDst(p) => l4(IP_PROTO_UDP).is_some_and(|(_, d)| d == *p),
        Oxm::TcpSrc(p) => l4(IP_PROTO_TCP).is_some_and(|(s, _)| s == *p),
        Oxm::TcpDst(p) => l4(IP_PROTO_TCP).is_some_and(|(_, d)| d == *p),
        Oxm::ArpOp(o) => arp.is_some_and(|(op, ..)| op == *o),
        Oxm::ArpSha(v, mask) => arp.is_some_and(|(_, sha, ..)| masked_mac(sha, *v, *mask)),
        Oxm::ArpSpa(v, mask) => arp.is_some_and(|(_, _, spa, ..)| masked_ipv4(spa, *v, *mask)),
        Oxm::ArpTha(v, mask) => arp.is_some_and(|(_, _, _, tha, _)| masked_mac(tha, *v, *mask)),
        Oxm::ArpTpa(v, mask) => arp.is_some_and(|(.., tpa)| masked_ipv4(tpa, *v, *mask)),
        Oxm::TunnelId(v, mask) => masked64(0, *v, *mask),
        _ => false,
    }
}

fn masked64(field: u64, value: u64, mask: Option<u64>) -> bool {
    let m = mask.unwrap_or(u64::MAX);
    field & m == value & m
}

fn masked_mac(field: MacAddr, value: MacAddr, mask: Option<MacAddr>) -> bool {
    let m = mask.unwrap_or(MacAddr::BROADCAST).octets();
    let (f, v) = (field.octets(), value.octets());
    (0..6).all(|i| {
        f.get(i).zip(m.get(i)).map(|(a, b)| a & b) == v.get(i).zip(m.get(i)).map(|(a, b)| a & b)
    })
}

fn masked_ipv4(field: Ipv4Addr, value: Ipv4Addr, mask: Option<Ipv4Addr>) -> bool {
    let m = mask.map_or(u32::MAX, u32::from);
    u32::from(field) & m == u32::from(value) & m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn udp() -> Headers {
        Headers::udp(
            MacAddr([2, 0, 0, 0, 0, 1]),
            MacAddr([2, 0, 0, 0, 0, 2]),
            Ipv4Addr::new(10, 1, 2, 3),
            Ipv4Addr::new(198, 51, 100, 7),
            0x11,
        )
    }

    #[test]
    fn flowfall_style_upstream_match() {
        let m = Match::new()
            .with(Oxm::InPort(3))
            .with(Oxm::EthType(0x0800))
            .with(Oxm::IpDscp(0x11 >> 2))
            .with(Oxm::Ipv4Src(
                Ipv4Addr::new(10, 1, 2, 0),
                Some(Ipv4Addr::new(255, 255, 255, 0)),
            ));
        assert!(covers(&m, 3, &udp()));
        assert!(!covers(&m, 4, &udp()), "other in_port");
        let other = Match::new().with(Oxm::Ipv4Src(
            Ipv4Addr::new(10, 1, 3, 0),
            Some(Ipv4Addr::new(255, 255, 255, 0)),
        ));
        assert!(!covers(&other, 3, &udp()));
    }

    #[test]
    fn learning_style_match_and_absent_fields() {
        let h = udp();
        let m = Match::new()
            .with(Oxm::InPort(1))
            .with(Oxm::EthDst(h.eth_dst, None))
            .with(Oxm::EthSrc(h.eth_src, None));
        assert!(covers(&m, 1, &h));
        let arp = Headers::arp_request(
            h.eth_src,
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
        );
        assert!(!covers(
            &Match::new().with(Oxm::Ipv4Src(Ipv4Addr::new(10, 0, 0, 1), None)),
            1,
            &arp
        ));
        assert!(covers(
            &Match::new().with(Oxm::ArpSpa(Ipv4Addr::new(10, 0, 0, 1), None)),
            1,
            &arp
        ));
        assert!(covers(&Match::new().with(Oxm::UdpDst(9)), 1, &h));
        assert!(!covers(&Match::new().with(Oxm::TcpDst(9)), 1, &h));
        assert!(!covers(&Match::new().with(Oxm::Ipv6Exthdr(0, None)), 1, &h));
    }

    #[test]
    fn vlan_vid_semantics() {
        let untagged = udp();
        let tagged = udp().tagged(Some(115));
        let none = Match::new().with(Oxm::VlanVid(0, None));
        let any_tag = Match::new().with(Oxm::VlanVid(OFPVID_PRESENT, Some(OFPVID_PRESENT)));
        let vid115 = Match::new().with(Oxm::VlanVid(OFPVID_PRESENT | 115, None));
        assert!(covers(&none, 1, &untagged) && !covers(&none, 1, &tagged));
        assert!(!covers(&any_tag, 1, &untagged) && covers(&any_tag, 1, &tagged));
        assert!(covers(&vid115, 1, &tagged) && !covers(&vid115, 1, &untagged));
    }

    proptest! {
        #[test]
        fn empty_match_covers_everything(port in any::<u32>(), src in any::<u32>(), tos in any::<u8>()) {
            let mut h = udp();
            if let L3::Ipv4 { src: s, tos: t, .. } = &mut h.l3 {
                *s = Ipv4Addr::from(src);
                *t = tos;
            }
            prop_assert!(covers(&Match::new(), port, &h));
            prop_assert!(covers(&Match::new().with(Oxm::Ipv4Src(Ipv4Addr::from(src), None)), port, &h));
            prop_assert!(covers(&Match::new().with(Oxm::IpDscp(tos >> 2)).with(Oxm::IpEcn(tos & 3)), port, &h));
        }
    }
}
