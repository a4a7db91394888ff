//! The few header fields the controller reads from a PACKET_IN's data (reactive mode, paper
//! section 4.2): an Ethernet II frame, at most one 802.1Q/802.1ad tag, then IPv4 or IPv6.
//! Everything is bounds-checked; a frame that is not IP gives `None`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Ethertype IPv4.
pub const ETH_TYPE_IPV4: u16 = 0x0800;
/// Ethertype IPv6.
pub const ETH_TYPE_IPV6: u16 = 0x86dd;
const ETH_TYPE_VLAN: u16 = 0x8100;
const ETH_TYPE_QINQ: u16 = 0x88a8;

/// IP header fields of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader {
    /// VLAN id of the outer tag, if tagged.
    pub vlan: Option<u16>,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// ToS byte (IPv4) or Traffic Class (IPv6).
    pub tos: u8,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at + N)?.try_into().ok()
}

/// Parses the IP header of an Ethernet frame.
pub fn parse(frame: &[u8]) -> Option<IpHeader> {
    let mut ethertype = be16(frame, 12)?;
    let mut at = 14;
    let mut vlan = None;
    if ethertype == ETH_TYPE_VLAN || ethertype == ETH_TYPE_QINQ {
        vlan = Some(be16(frame, at)? & 0x0fff);
        ethertype = be16(frame, at + 2)?;
        at += 4;
    }
    match ethertype {
        ETH_TYPE_IPV4 => {
            let ver_ihl = *frame.get(at)?;
            if ver_ihl >> 4 != 4 || (ver_ihl & 0x0f) < 5 {
                return None;
            }
            Some(IpHeader {
                vlan,
                tos: *frame.get(at + 1)?,
                src: IpAddr::V4(Ipv4Addr::from(array::<4>(frame, at + 12)?)),
                dst: IpAddr::V4(Ipv4Addr::from(array::<4>(frame, at + 16)?)),
            })
        }
        ETH_TYPE_IPV6 => {
            let first = be16(frame, at)?;
            if first >> 12 != 6 {
                return None;
            }
            Some(IpHeader {
                vlan,
                tos: ((first >> 4) & 0xff) as u8,
                src: IpAddr::V6(Ipv6Addr::from(array::<16>(frame, at + 8)?)),
                dst: IpAddr::V6(Ipv6Addr::from(array::<16>(frame, at + 24)?)),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An Ethernet + IPv4 header (20 bytes, no options) + 8 bytes of payload.
    pub(crate) fn ipv4_frame(src: [u8; 4], dst: [u8; 4], tos: u8) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        f.extend_from_slice(&[0x45, tos, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&[0; 8]);
        f
    }

    #[test]
    fn ipv4_untagged_and_tagged() {
        let f = ipv4_frame([10, 0, 1, 5], [203, 0, 113, 1], 0x04);
        let h = parse(&f).unwrap();
        assert_eq!(h.src, IpAddr::from([10, 0, 1, 5]));
        assert_eq!(h.dst, IpAddr::from([203, 0, 113, 1]));
        assert_eq!((h.tos, h.vlan), (0x04, None));
        let mut tagged = f[..12].to_vec();
        tagged.extend_from_slice(&[0x81, 0x00, 0x20, 0x73]);
        tagged.extend_from_slice(&f[12..]);
        assert_eq!(parse(&tagged).unwrap().vlan, Some(115));
    }

    #[test]
    fn ipv6_traffic_class() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x86, 0xdd, 0x60 | 0x0a, 0xb0, 0, 0, 0, 0, 17, 64]);
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let dst: Ipv6Addr = "2001:db8::2".parse().unwrap();
        f.extend_from_slice(&src.octets());
        f.extend_from_slice(&dst.octets());
        let h = parse(&f).unwrap();
        assert_eq!(h.tos, 0xab);
        assert_eq!((h.src, h.dst), (IpAddr::V6(src), IpAddr::V6(dst)));
    }

    #[test]
    fn non_ip_and_truncated_give_none() {
        let arp = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x06, 0, 1];
        assert_eq!(parse(&arp), None);
        let f = ipv4_frame([1, 2, 3, 4], [5, 6, 7, 8], 0);
        for cut in 0..33 {
            assert_eq!(parse(&f[..cut]), None, "cut at {cut}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = parse(&bytes);
        }
    }
}
