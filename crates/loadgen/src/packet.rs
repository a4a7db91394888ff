//! The Ethernet frames the emulated switches carry in their PACKET_INs: Ethernet II with at
//! most one 802.1Q tag, then IPv4/UDP (IETF RFC 791, RFC 768) or ARP (RFC 826).
//!
//! [`Headers`] is the high-level form of a frame (what a controller reads from it);
//! [`Headers::emit`] builds the bytes and [`Headers::parse`] reads them back, bounds-checked,
//! with the byte offset of whatever is wrong. Every frame a workload emits carries a 32-bit
//! tag in its payload, so two frames in flight are never byte-identical and a PACKET_OUT that
//! returns a frame can be matched to the PACKET_IN it answers.

use std::net::Ipv4Addr;

use flowfall_ofp::MacAddr;

/// Ethertype of IPv4.
pub const ETH_TYPE_IPV4: u16 = 0x0800;
/// Ethertype of ARP.
pub const ETH_TYPE_ARP: u16 = 0x0806;
/// Ethertype (TPID) of an IEEE 802.1Q tag.
pub const ETH_TYPE_VLAN: u16 = 0x8100;
/// IP protocol number of UDP.
pub const IP_PROTO_UDP: u8 = 17;
/// IP protocol number of TCP.
pub const IP_PROTO_TCP: u8 = 6;
/// The shortest Ethernet frame without its FCS; shorter frames are padded to it.
pub const MIN_FRAME_LEN: usize = 60;
/// UDP source port of generated datagrams.
pub const UDP_SRC_PORT: u16 = 49_152;
/// UDP destination port of generated datagrams (discard, RFC 863).
pub const UDP_DST_PORT: u16 = 9;
/// ARP operation code of a request.
pub const ARP_REQUEST: u16 = 1;

const ETH_HEADER_LEN: usize = 14;
const VLAN_TAG_LEN: usize = 4;
const IPV4_HEADER_LEN: usize = 20;
const UDP_HEADER_LEN: usize = 8;
const ARP_LEN: usize = 28;
/// Payload of generated UDP datagrams: the tag and zero padding.
const UDP_PAYLOAD_LEN: usize = 18;

/// A frame that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame ends inside a header.
    #[error("frame truncated in {what} at byte {offset}: need {needed} bytes, {len} in the frame")]
    Truncated {
        /// The header being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs from `offset`.
        needed: usize,
        /// Length of the frame.
        len: usize,
    },
    /// The IPv4 header is not version 4 or its IHL is below 5.
    #[error("bad IPv4 version/IHL byte at byte {offset}: expected 0x45..=0x4f, found {found:#04x}")]
    BadIpv4Header {
        /// Offset of the version/IHL byte.
        offset: usize,
        /// The byte.
        found: u8,
    },
    /// The VLAN id is out of range for a frame to be built.
    #[error("VLAN id {0} is out of range (0..=4095)")]
    BadVlan(u16),
}

/// The layer-3 part of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L3 {
    /// An IPv4 packet.
    Ipv4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
        /// The ToS byte (DSCP << 2 | ECN).
        tos: u8,
        /// Protocol number.
        proto: u8,
        /// UDP/TCP source and destination ports, when the protocol has them and the header
        /// is present.
        ports: Option<(u16, u16)>,
    },
    /// An ARP packet (Ethernet/IPv4).
    Arp {
        /// Operation (1 request, 2 reply).
        op: u16,
        /// Sender hardware address.
        sha: MacAddr,
        /// Sender protocol address.
        spa: Ipv4Addr,
        /// Target hardware address.
        tha: MacAddr,
        /// Target protocol address.
        tpa: Ipv4Addr,
    },
    /// Any other ethertype (the payload is not read).
    Other(u16),
}

/// The header fields of a frame, as a controller reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Headers {
    /// Destination MAC.
    pub eth_dst: MacAddr,
    /// Source MAC.
    pub eth_src: MacAddr,
    /// VLAN id of the 802.1Q tag, if tagged.
    pub vlan: Option<u16>,
    /// What follows the Ethernet header.
    pub l3: L3,
}

impl Headers {
    /// A UDP datagram from `src` to `dst` with ToS byte `tos`.
    pub fn udp(
        eth_src: MacAddr,
        eth_dst: MacAddr,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        tos: u8,
    ) -> Headers {
        Headers {
            eth_dst,
            eth_src,
            vlan: None,
            l3: L3::Ipv4 {
                src,
                dst,
                tos,
                proto: IP_PROTO_UDP,
                ports: Some((UDP_SRC_PORT, UDP_DST_PORT)),
            },
        }
    }

    /// A broadcast ARP request from `sha`/`spa` asking for `tpa`: how a host announces itself.
    pub fn arp_request(sha: MacAddr, spa: Ipv4Addr, tpa: Ipv4Addr) -> Headers {
        Headers {
            eth_dst: MacAddr::BROADCAST,
            eth_src: sha,
            vlan: None,
            l3: L3::Arp {
                op: ARP_REQUEST,
                sha,
                spa,
                tha: MacAddr::ZERO,
                tpa,
            },
        }
    }

    /// The same headers tagged with VLAN `vlan`.
    pub fn tagged(mut self, vlan: Option<u16>) -> Headers {
        self.vlan = vlan;
        self
    }

    /// The ethertype after any VLAN tag.
    pub fn eth_type(&self) -> u16 {
        match self.l3 {
            L3::Ipv4 { .. } => ETH_TYPE_IPV4,
            L3::Arp { .. } => ETH_TYPE_ARP,
            L3::Other(t) => t,
        }
    }

    /// Builds the frame, with `tag` in its payload (UDP payload, or the padding after ARP and
    /// other ethertypes). Frames are at least [`MIN_FRAME_LEN`] bytes. A UDP datagram's
    /// ports are taken from [`L3::Ipv4::ports`] (defaults when `None`); IPv4 packets of other
    /// protocols carry the tag as their payload.
    pub fn emit(&self, tag: u32) -> Result<Vec<u8>, FrameError> {
        let mut f = Vec::with_capacity(MIN_FRAME_LEN + VLAN_TAG_LEN);
        f.extend_from_slice(&self.eth_dst.octets());
        f.extend_from_slice(&self.eth_src.octets());
        if let Some(vid) = self.vlan {
            if vid > 0x0fff {
                return Err(FrameError::BadVlan(vid));
            }
            f.extend_from_slice(&ETH_TYPE_VLAN.to_be_bytes());
            f.extend_from_slice(&vid.to_be_bytes());
        }
        f.extend_from_slice(&self.eth_type().to_be_bytes());
        match self.l3 {
            L3::Ipv4 {
                src,
                dst,
                tos,
                proto,
                ports,
            } => emit_ipv4(&mut f, src, dst, tos, proto, ports, tag),
            L3::Arp {
                op,
                sha,
                spa,
                tha,
                tpa,
            } => {
                f.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4]);
                f.extend_from_slice(&op.to_be_bytes());
                f.extend_from_slice(&sha.octets());
                f.extend_from_slice(&spa.octets());
                f.extend_from_slice(&tha.octets());
                f.extend_from_slice(&tpa.octets());
                f.extend_from_slice(&tag.to_be_bytes());
            }
            L3::Other(_) => f.extend_from_slice(&tag.to_be_bytes()),
        }
        if f.len() < MIN_FRAME_LEN {
            f.resize(MIN_FRAME_LEN, 0);
        }
        Ok(f)
    }

    /// Reads the headers of a frame.
    pub fn parse(frame: &[u8]) -> Result<Headers, FrameError> {
        let eth = take(frame, 0, ETH_HEADER_LEN, "Ethernet header")?;
        let eth_dst = mac_at(eth, 0);
        let eth_src = mac_at(eth, 6);
        let mut eth_type = be16(eth, 12);
        let mut at = ETH_HEADER_LEN;
        let mut vlan = None;
        if eth_type == ETH_TYPE_VLAN {
            let tag = take(frame, at, VLAN_TAG_LEN, "802.1Q tag")?;
            vlan = Some(be16(tag, 0) & 0x0fff);
            eth_type = be16(tag, 2);
            at += VLAN_TAG_LEN;
        }
        let l3 = match eth_type {
            ETH_TYPE_IPV4 => parse_ipv4(frame, at)?,
            ETH_TYPE_ARP => {
                let a = take(frame, at, ARP_LEN, "ARP packet")?;
                L3::Arp {
                    op: be16(a, 6),
                    sha: mac_at(a, 8),
                    spa: ipv4_at(a, 14),
                    tha: mac_at(a, 18),
                    tpa: ipv4_at(a, 24),
                }
            }
            other => L3::Other(other),
        };
        Ok(Headers {
            eth_dst,
            eth_src,
            vlan,
            l3,
        })
    }
}

fn emit_ipv4(
    f: &mut Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    tos: u8,
    proto: u8,
    ports: Option<(u16, u16)>,
    tag: u32,
) {
    let l4_len = if proto == IP_PROTO_UDP {
        UDP_HEADER_LEN + UDP_PAYLOAD_LEN
    } else {
        UDP_PAYLOAD_LEN
    };
    let total = (IPV4_HEADER_LEN + l4_len) as u16;
    let start = f.len();
    f.extend_from_slice(&[0x45, tos]);
    f.extend_from_slice(&total.to_be_bytes());
    // Identification: the low bits of the tag; DF set, no fragments; TTL 64.
    f.extend_from_slice(&(tag as u16).to_be_bytes());
    f.extend_from_slice(&[0x40, 0x00, 64, proto, 0, 0]);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&dst.octets());
    let checksum = internet_checksum(f.get(start..).unwrap_or_default());
    if let Some(slot) = f.get_mut(start + 10..start + 12) {
        slot.copy_from_slice(&checksum.to_be_bytes());
    }
    if proto == IP_PROTO_UDP {
        let (sport, dport) = ports.unwrap_or((UDP_SRC_PORT, UDP_DST_PORT));
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&((UDP_HEADER_LEN + UDP_PAYLOAD_LEN) as u16).to_be_bytes());
        // Checksum 0: "no checksum" is allowed over IPv4 (RFC 768).
        f.extend_from_slice(&[0, 0]);
    }
    f.extend_from_slice(&tag.to_be_bytes());
    f.resize(f.len() + UDP_PAYLOAD_LEN - 4, 0);
}

fn parse_ipv4(frame: &[u8], at: usize) -> Result<L3, FrameError> {
    let ip = take(frame, at, IPV4_HEADER_LEN, "IPv4 header")?;
    let ver_ihl = ip.first().copied().unwrap_or_default();
    if ver_ihl >> 4 != 4 || ver_ihl & 0x0f < 5 {
        return Err(FrameError::BadIpv4Header {
            offset: at,
            found: ver_ihl,
        });
    }
    let proto = ip.get(9).copied().unwrap_or_default();
    let l4 = at + usize::from(ver_ihl & 0x0f) * 4;
    let ports = match proto {
        IP_PROTO_UDP | IP_PROTO_TCP => frame.get(l4..l4 + 4).map(|p| (be16(p, 0), be16(p, 2))),
        _ => None,
    };
    Ok(L3::Ipv4 {
        src: ipv4_at(ip, 12),
        dst: ipv4_at(ip, 16),
        tos: ip.get(1).copied().unwrap_or_default(),
        proto,
        ports,
    })
}

/// The one's-complement sum of 16-bit words (RFC 1071), as stored in an IPv4 header.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| {
            u32::from(u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ]))
        })
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn take<'a>(
    frame: &'a [u8],
    offset: usize,
    needed: usize,
    what: &'static str,
) -> Result<&'a [u8], FrameError> {
    frame
        .get(offset..offset.saturating_add(needed))
        .ok_or(FrameError::Truncated {
            what,
            offset,
            needed,
            len: frame.len(),
        })
}

// The helpers below read from slices whose length `take` has checked; out-of-range reads give
// zeros rather than panicking.
fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([
        b.get(at).copied().unwrap_or(0),
        b.get(at + 1).copied().unwrap_or(0),
    ])
}

fn mac_at(b: &[u8], at: usize) -> MacAddr {
    let mut m = [0u8; 6];
    if let Some(s) = b.get(at..at + 6) {
        m.copy_from_slice(s);
    }
    MacAddr(m)
}

fn ipv4_at(b: &[u8], at: usize) -> Ipv4Addr {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    Ipv4Addr::from(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mac(last: u8) -> MacAddr {
        MacAddr([2, 0, 0, 0, 0, last])
    }

    #[test]
    fn udp_frame_layout_and_checksum() {
        let h = Headers::udp(
            mac(1),
            mac(2),
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(198, 51, 100, 1),
            0x10,
        );
        let f = h.emit(7).unwrap();
        assert_eq!(f.len(), 14 + 20 + 8 + 18);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(f[14], 0x45);
        assert_eq!(f[15], 0x10);
        // A correct header checksums to zero.
        assert_eq!(internet_checksum(&f[14..34]), 0);
        assert_eq!(Headers::parse(&f).unwrap(), h);
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 section 3 example words: 0001 f203 f4f5 f6f7 -> sum ddf2, checksum 220d.
        assert_eq!(
            internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn arp_and_vlan_round_trip() {
        let h = Headers::arp_request(
            mac(9),
            Ipv4Addr::new(10, 0, 0, 9),
            Ipv4Addr::new(10, 0, 0, 254),
        )
        .tagged(Some(115));
        let f = h.emit(1).unwrap();
        assert_eq!(f.len(), MIN_FRAME_LEN);
        assert_eq!(&f[12..16], &[0x81, 0x00, 0x00, 115]);
        assert_eq!(Headers::parse(&f).unwrap(), h);
    }

    #[test]
    fn tags_make_frames_distinct() {
        let h = Headers::arp_request(
            mac(9),
            Ipv4Addr::new(10, 0, 0, 9),
            Ipv4Addr::new(10, 0, 0, 254),
        );
        assert_ne!(h.emit(1).unwrap(), h.emit(2).unwrap());
        let u = Headers::udp(mac(1), mac(2), Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 0);
        assert_ne!(u.emit(1).unwrap(), u.emit(2).unwrap());
    }

    #[test]
    fn bad_input_is_reported_with_offsets() {
        assert_eq!(
            Headers::parse(&[0; 10]),
            Err(FrameError::Truncated {
                what: "Ethernet header",
                offset: 0,
                needed: 14,
                len: 10
            })
        );
        let mut f = Headers::udp(mac(1), mac(2), Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 0)
            .emit(0)
            .unwrap();
        f[14] = 0x65;
        assert_eq!(
            Headers::parse(&f),
            Err(FrameError::BadIpv4Header {
                offset: 14,
                found: 0x65
            })
        );
        let h = Headers::udp(mac(1), mac(2), Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, 0)
            .tagged(Some(5000));
        assert_eq!(h.emit(0), Err(FrameError::BadVlan(5000)));
    }

    fn arb_headers() -> impl Strategy<Value = Headers> {
        let mac = any::<[u8; 6]>().prop_map(MacAddr);
        let ip = any::<u32>().prop_map(Ipv4Addr::from);
        let l3 = prop_oneof![
            (ip.clone(), ip.clone(), any::<u8>()).prop_map(|(src, dst, tos)| L3::Ipv4 {
                src,
                dst,
                tos,
                proto: IP_PROTO_UDP,
                ports: Some((UDP_SRC_PORT, UDP_DST_PORT)),
            }),
            (ip.clone(), ip.clone(), any::<u8>()).prop_map(|(src, dst, tos)| L3::Ipv4 {
                src,
                dst,
                tos,
                proto: 1,
                ports: None,
            }),
            (any::<u16>(), mac.clone(), ip.clone(), mac.clone(), ip).prop_map(
                |(op, sha, spa, tha, tpa)| L3::Arp {
                    op,
                    sha,
                    spa,
                    tha,
                    tpa
                }
            ),
            (0x0900u16..0x8000).prop_map(L3::Other),
        ];
        (mac.clone(), mac, proptest::option::of(0u16..4096), l3).prop_map(
            |(eth_dst, eth_src, vlan, l3)| Headers {
                eth_dst,
                eth_src,
                vlan,
                l3,
            },
        )
    }

    proptest! {
        #[test]
        fn emit_then_parse_is_identity(h in arb_headers(), tag in any::<u32>()) {
            let f = h.emit(tag).unwrap();
            prop_assert!(f.len() >= MIN_FRAME_LEN);
            prop_assert_eq!(Headers::parse(&f).unwrap(), h);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = Headers::parse(&bytes);
        }
    }
}
