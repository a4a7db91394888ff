//! The few packet headers health traffic needs, as checked views: Ethernet II with at most one
//! 802.1Q tag (IEEE 802.1Q §9), IPv4 (RFC 791) and UDP (RFC 768).
//!
//! Parsing never panics and never trusts a length field: every read is bounds-checked and a
//! failure is an [`Error`] naming the field and its offset in the frame.

use std::net::Ipv4Addr;

use flowfall_ofp::MacAddr;

use crate::error::Error;

/// Ethertype IPv4.
pub const ETH_TYPE_IPV4: u16 = 0x0800;
/// Ethertype 802.1Q (customer VLAN tag).
pub const ETH_TYPE_VLAN: u16 = 0x8100;
/// Ethertype 802.1ad (service VLAN tag).
pub const ETH_TYPE_QINQ: u16 = 0x88a8;
/// Ethertype LLDP (IEEE 802.1AB).
pub const ETH_TYPE_LLDP: u16 = 0x88cc;
/// IP protocol number of UDP.
pub const IP_PROTO_UDP: u8 = 17;
/// Length of an untagged Ethernet II header.
pub const ETH_HEADER_LEN: usize = 14;
/// Length of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of a UDP header.
pub const UDP_HEADER_LEN: usize = 8;

/// A bounds-checked big-endian reader over a frame; offsets are from the frame's start.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at offset `pos` of `bytes` (`pos` may exceed the length: reads then fail).
    pub(crate) fn at(bytes: &'a [u8], pos: usize) -> Cursor<'a> {
        Cursor { bytes, pos }
    }

    /// Offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// Takes `n` bytes.
    pub(crate) fn take(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], Error> {
        let s = self
            .pos
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.pos..end))
            .ok_or(Error::Truncated {
                what,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            })?;
        self.pos += n;
        Ok(s)
    }

    /// Takes `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let s = self.take(what, N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(u8::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }
}

/// The RFC 1071 Internet checksum of `parts` concatenated (each part's length need not be
/// even only for the last one).
pub(crate) fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet II header with at most one VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ethernet {
    /// Destination MAC.
    pub dst: MacAddr,
    /// Source MAC.
    pub src: MacAddr,
    /// VLAN id (12 bits) of an 802.1Q / 802.1ad tag, if tagged.
    pub vlan: Option<u16>,
    /// Ethertype of the payload.
    pub ethertype: u16,
}

impl Ethernet {
    /// Parses the header; returns it and the payload's offset.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the frame is shorter than its header.
    pub fn parse(frame: &[u8]) -> Result<(Ethernet, usize), Error> {
        let mut c = Cursor::at(frame, 0);
        let dst = MacAddr(c.array("ethernet.dst")?);
        let src = MacAddr(c.array("ethernet.src")?);
        let mut ethertype = c.u16("ethernet.ethertype")?;
        let mut vlan = None;
        if ethertype == ETH_TYPE_VLAN || ethertype == ETH_TYPE_QINQ {
            vlan = Some(c.u16("vlan.tci")? & 0x0fff);
            ethertype = c.u16("vlan.ethertype")?;
        }
        Ok((
            Ethernet {
                dst,
                src,
                vlan,
                ethertype,
            },
            c.offset(),
        ))
    }

    /// Appends the header (an 802.1Q tag with priority 0 when `vlan` is set).
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.dst.0);
        out.extend_from_slice(&self.src.0);
        if let Some(vid) = self.vlan {
            out.extend_from_slice(&ETH_TYPE_VLAN.to_be_bytes());
            out.extend_from_slice(&(vid & 0x0fff).to_be_bytes());
        }
        out.extend_from_slice(&self.ethertype.to_be_bytes());
    }
}

/// The IPv4 header fields health traffic uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4 {
    /// ToS byte.
    pub tos: u8,
    /// Identification.
    pub id: u16,
    /// Time to live.
    pub ttl: u8,
    /// Protocol of the payload.
    pub protocol: u8,
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
}

/// Where an IPv4 packet's parts sit in a frame, as found by [`Ipv4::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Layout {
    /// Offset of the payload (after options).
    pub payload_offset: usize,
    /// Payload length the header announces (total length minus header length).
    pub payload_len: usize,
    /// Whether the frame holds fewer bytes than the header announces (a packet-in cut to
    /// `max_len`).
    pub truncated: bool,
}

impl Ipv4 {
    /// Parses the header at `offset` of `frame`: version 4, header length 20..=60 and within
    /// the total length, header checksum valid. The payload may be cut short (see
    /// [`Ipv4Layout::truncated`]), the header may not.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the header is cut; [`Error::BadValue`] for a wrong version,
    /// header length, total length or checksum.
    pub fn parse(frame: &[u8], offset: usize) -> Result<(Ipv4, Ipv4Layout), Error> {
        let mut c = Cursor::at(frame, offset);
        let ver_ihl = c.u8("ipv4.version_ihl")?;
        if ver_ihl >> 4 != 4 {
            return Err(Error::bad("ipv4.version", offset, "4", ver_ihl >> 4));
        }
        let header_len = usize::from(ver_ihl & 0x0f) * 4;
        if header_len < IPV4_HEADER_LEN {
            return Err(Error::bad(
                "ipv4.ihl",
                offset,
                ">= 5 (20 bytes)",
                ver_ihl & 0x0f,
            ));
        }
        let tos = c.u8("ipv4.tos")?;
        let total_at = c.offset();
        let total_len = usize::from(c.u16("ipv4.total_length")?);
        if total_len < header_len {
            return Err(Error::bad(
                "ipv4.total_length",
                total_at,
                format!(">= header length {header_len}"),
                total_len,
            ));
        }
        let id = c.u16("ipv4.identification")?;
        c.u16("ipv4.flags_fragment")?;
        let ttl = c.u8("ipv4.ttl")?;
        let protocol = c.u8("ipv4.protocol")?;
        c.u16("ipv4.checksum")?;
        let src = Ipv4Addr::from(c.array::<4>("ipv4.src")?);
        let dst = Ipv4Addr::from(c.array::<4>("ipv4.dst")?);
        c.take("ipv4.options", header_len - IPV4_HEADER_LEN)?;
        let header = frame.get(offset..offset + header_len).unwrap_or(&[]);
        let sum = internet_checksum(&[header]);
        if sum != 0 {
            return Err(Error::bad(
                "ipv4.checksum",
                offset + 10,
                "a header summing to 0xffff",
                format!("a residue of {sum:#06x}"),
            ));
        }
        let payload_offset = offset + header_len;
        let payload_len = total_len - header_len;
        let truncated = frame.len().saturating_sub(payload_offset) < payload_len;
        Ok((
            Ipv4 {
                tos,
                id,
                ttl,
                protocol,
                src,
                dst,
            },
            Ipv4Layout {
                payload_offset,
                payload_len,
                truncated,
            },
        ))
    }

    /// Appends a 20-byte header (no options, don't-fragment set) for a payload of
    /// `payload_len` bytes, with its checksum.
    ///
    /// # Errors
    /// [`Error::Config`] when the packet would exceed 65 535 bytes.
    pub fn emit(&self, payload_len: usize, out: &mut Vec<u8>) -> Result<(), Error> {
        let total = u16::try_from(IPV4_HEADER_LEN + payload_len).map_err(|_| {
            Error::config(
                "ipv4.total_length",
                "<= 65535",
                IPV4_HEADER_LEN + payload_len,
            )
        })?;
        let start = out.len();
        out.push(0x45);
        out.push(self.tos);
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&0x4000u16.to_be_bytes());
        out.push(self.ttl);
        out.push(self.protocol);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.src.octets());
        out.extend_from_slice(&self.dst.octets());
        let sum = internet_checksum(&[out.get(start..).unwrap_or(&[])]);
        if let Some(slot) = out.get_mut(start + 10..start + 12) {
            slot.copy_from_slice(&sum.to_be_bytes());
        }
        Ok(())
    }
}

/// A UDP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
}

impl Udp {
    /// Parses the header at `offset` and returns it with the payload's range, bounded by the
    /// UDP length field and by `ip_payload_len` (the IPv4 payload length). A non-zero
    /// checksum is verified over the pseudo-header when the whole datagram is present.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the header or the datagram is cut; [`Error::BadValue`] for
    /// a length outside `8..=ip_payload_len` or a wrong checksum.
    pub fn parse(
        frame: &[u8],
        offset: usize,
        ip: &Ipv4,
        ip_payload_len: usize,
    ) -> Result<(Udp, std::ops::Range<usize>), Error> {
        let mut c = Cursor::at(frame, offset);
        let src_port = c.u16("udp.src_port")?;
        let dst_port = c.u16("udp.dst_port")?;
        let len_at = c.offset();
        let len = usize::from(c.u16("udp.length")?);
        let checksum = c.u16("udp.checksum")?;
        if len < UDP_HEADER_LEN || len > ip_payload_len {
            return Err(Error::bad(
                "udp.length",
                len_at,
                format!("8..={ip_payload_len} (the IPv4 payload)"),
                len,
            ));
        }
        let datagram = Cursor::at(frame, offset).take("udp datagram", len)?;
        if checksum != 0 {
            let sum = internet_checksum(&[&pseudo_header(ip, len), datagram]);
            if sum != 0 {
                return Err(Error::bad(
                    "udp.checksum",
                    offset + 6,
                    "a datagram summing to 0xffff with its pseudo-header",
                    format!("a residue of {sum:#06x}"),
                ));
            }
        }
        Ok((
            Udp { src_port, dst_port },
            offset + UDP_HEADER_LEN..offset + len,
        ))
    }

    /// Appends the header and `payload`, with the checksum over the pseudo-header of `ip`.
    ///
    /// # Errors
    /// [`Error::Config`] when the datagram would exceed 65 535 bytes.
    pub fn emit(&self, ip: &Ipv4, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let len = UDP_HEADER_LEN + payload.len();
        let len16 = u16::try_from(len).map_err(|_| Error::config("udp.length", "<= 65535", len))?;
        let start = out.len();
        out.extend_from_slice(&self.src_port.to_be_bytes());
        out.extend_from_slice(&self.dst_port.to_be_bytes());
        out.extend_from_slice(&len16.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(payload);
        if let Some(datagram) = out.get_mut(start..) {
            fill_udp_checksum(ip, datagram);
        }
        Ok(())
    }
}

/// The RFC 768 pseudo-header.
fn pseudo_header(ip: &Ipv4, udp_len: usize) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[..4].copy_from_slice(&ip.src.octets());
    p[4..8].copy_from_slice(&ip.dst.octets());
    p[9] = ip.protocol;
    p[10..].copy_from_slice(&(udp_len as u16).to_be_bytes());
    p
}

/// Computes and writes the checksum of a whole UDP `datagram` (header and payload, at most
/// 65 535 bytes) sent in `ip`.
pub(crate) fn fill_udp_checksum(ip: &Ipv4, datagram: &mut [u8]) {
    if let Some(c) = datagram.get_mut(6..8) {
        c.copy_from_slice(&[0, 0]);
    }
    let sum = match internet_checksum(&[&pseudo_header(ip, datagram.len()), datagram]) {
        // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
        0 => 0xffff,
        s => s,
    };
    if let Some(c) = datagram.get_mut(6..8) {
        c.copy_from_slice(&sum.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Vec<u8> {
        let eth = Ethernet {
            dst: MacAddr([2, 0, 0, 0, 0, 1]),
            src: MacAddr([2, 0, 0, 0, 0, 2]),
            vlan: Some(115),
            ethertype: ETH_TYPE_IPV4,
        };
        let ip = Ipv4 {
            tos: 0x10,
            id: 7,
            ttl: 64,
            protocol: IP_PROTO_UDP,
            src: Ipv4Addr::new(198, 18, 0, 1),
            dst: Ipv4Addr::new(198, 19, 255, 254),
        };
        let mut f = Vec::new();
        eth.emit(&mut f);
        let payload = b"hello";
        ip.emit(UDP_HEADER_LEN + payload.len(), &mut f).unwrap();
        Udp {
            src_port: 1,
            dst_port: 2,
        }
        .emit(&ip, payload, &mut f)
        .unwrap();
        f
    }

    #[test]
    fn round_trip_with_vlan() {
        let f = sample();
        let (eth, at) = Ethernet::parse(&f).unwrap();
        assert_eq!(
            (eth.vlan, eth.ethertype, at),
            (Some(115), ETH_TYPE_IPV4, 18)
        );
        let (ip, layout) = Ipv4::parse(&f, at).unwrap();
        assert_eq!((ip.tos, ip.ttl, ip.protocol), (0x10, 64, 17));
        assert!(!layout.truncated);
        let (udp, payload) =
            Udp::parse(&f, layout.payload_offset, &ip, layout.payload_len).unwrap();
        assert_eq!((udp.src_port, udp.dst_port), (1, 2));
        assert_eq!(f.get(payload), Some(&b"hello"[..]));
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, so the checksum is 220d.
        assert_eq!(
            internet_checksum(&[&[0x00, 0x01, 0xf2, 0x03], &[0xf4, 0xf5, 0xf6, 0xf7]]),
            0x220d
        );
        // Odd split across parts gives the same result.
        assert_eq!(
            internet_checksum(&[&[0x00, 0x01, 0xf2], &[0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            0x220d
        );
    }

    #[test]
    fn corrupted_headers_are_refused_with_offsets() {
        let f = sample();
        let mut bad = f.clone();
        bad[18 + 8] ^= 0x01; // TTL changed without fixing the checksum
        assert_eq!(Ipv4::parse(&bad, 18).unwrap_err().offset(), Some(28));
        let mut bad = f.clone();
        bad[18] = 0x65; // version 6
        assert!(matches!(
            Ipv4::parse(&bad, 18),
            Err(Error::BadValue {
                field: "ipv4.version",
                ..
            })
        ));
        let mut bad = f.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff; // payload byte: UDP checksum fails
        let (ip, l) = Ipv4::parse(&bad, 18).unwrap();
        assert!(matches!(
            Udp::parse(&bad, l.payload_offset, &ip, l.payload_len),
            Err(Error::BadValue {
                field: "udp.checksum",
                offset: 44,
                ..
            })
        ));
    }

    #[test]
    fn truncation_is_reported_not_panicked() {
        let f = sample();
        for cut in 0..f.len() {
            let part = &f[..cut];
            let r = Ethernet::parse(part).and_then(|(_, at)| {
                let (ip, l) = Ipv4::parse(part, at)?;
                Udp::parse(part, l.payload_offset, &ip, l.payload_len).map(|_| ())
            });
            assert!(r.is_err(), "cut at {cut} accepted");
        }
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128), at in 0usize..140) {
            let _ = Ethernet::parse(&bytes);
            if let Ok((ip, l)) = Ipv4::parse(&bytes, at) {
                let _ = Udp::parse(&bytes, l.payload_offset, &ip, l.payload_len);
            }
        }
    }
}
