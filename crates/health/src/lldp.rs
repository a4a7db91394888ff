//! LLDP (IEEE 802.1AB-2016 §8) frames for link liveness on bypass links, as the paper
//! proposes (§6.2: "LLDP sent and received by the controller through packet-out / packet-in").
//!
//! The controller sends one frame out of each end of each bypass link
//! ([`packet_out`]); the switch at the far end returns it ([`lldp_flows`]) and
//! [`crate::links::LinkMonitor`] learns that the link carries frames in that direction.
//!
//! Frame: `01:80:c2:00:00:0e` (nearest bridge), ethertype `0x88cc`, then the three mandatory
//! TLVs and End:
//!
//! - Chassis ID, subtype 7 (locally assigned): `dpid:` and the datapath id as 16 lower-case
//!   hex digits (the form Ryu and ONOS use, so their tools read our frames);
//! - Port ID, subtype 2 (port component): the OpenFlow port number, 4 bytes big-endian;
//! - Time To Live, seconds.
//!
//! The frame is padded to the 60-byte Ethernet minimum.

use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::{Action, MacAddr, Match, Oxm};
use flowfall_topology::Topology;

use crate::cookie::{PRIORITY_LLDP, Purpose};
use crate::error::Error;
use crate::flows::{self, SwitchFlowMod};
use crate::wire::{Cursor, ETH_TYPE_LLDP, Ethernet};

/// The nearest-bridge group address LLDP is sent to.
pub const LLDP_MULTICAST: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]);
/// TLV type End of LLDPDU.
pub const TLV_END: u8 = 0;
/// TLV type Chassis ID.
pub const TLV_CHASSIS_ID: u8 = 1;
/// TLV type Port ID.
pub const TLV_PORT_ID: u8 = 2;
/// TLV type Time To Live.
pub const TLV_TTL: u8 = 3;
/// Chassis ID subtype "locally assigned".
pub const CHASSIS_LOCAL: u8 = 7;
/// Port ID subtype "port component".
pub const PORT_COMPONENT: u8 = 2;
/// Shortest Ethernet frame (without FCS); shorter frames are padded.
pub const MIN_FRAME: usize = 60;

const DPID_PREFIX: &[u8] = b"dpid:";

/// An LLDPDU's mandatory TLVs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lldpdu {
    /// Chassis ID subtype.
    pub chassis_subtype: u8,
    /// Chassis ID (1..=255 bytes).
    pub chassis_id: Vec<u8>,
    /// Port ID subtype.
    pub port_subtype: u8,
    /// Port ID (1..=255 bytes).
    pub port_id: Vec<u8>,
    /// Seconds the information stays valid.
    pub ttl: u16,
    /// Number of optional TLVs that followed (skipped).
    pub optional_tlvs: usize,
}

fn tlv_header(kind: u8, len: usize) -> [u8; 2] {
    ((u16::from(kind) << 9) | (len as u16 & 0x01ff)).to_be_bytes()
}

impl Lldpdu {
    /// The LLDPDU FlowFall sends out of port `port` of datapath `dpid`.
    pub fn for_port(dpid: u64, port: u32, ttl: u16) -> Lldpdu {
        let mut chassis_id = DPID_PREFIX.to_vec();
        chassis_id.extend_from_slice(format!("{dpid:016x}").as_bytes());
        Lldpdu {
            chassis_subtype: CHASSIS_LOCAL,
            chassis_id,
            port_subtype: PORT_COMPONENT,
            port_id: port.to_be_bytes().to_vec(),
            ttl,
            optional_tlvs: 0,
        }
    }

    /// The datapath id, when the chassis id is FlowFall's (`dpid:` + 16 hex digits).
    pub fn dpid(&self) -> Option<u64> {
        if self.chassis_subtype != CHASSIS_LOCAL {
            return None;
        }
        let hex = self.chassis_id.strip_prefix(DPID_PREFIX)?;
        if hex.len() != 16 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    }

    /// The OpenFlow port number, when the port id is FlowFall's (subtype 2, 4 bytes).
    pub fn port_no(&self) -> Option<u32> {
        if self.port_subtype != PORT_COMPONENT {
            return None;
        }
        let b: [u8; 4] = self.port_id.as_slice().try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }

    /// Appends the TLVs and End.
    ///
    /// # Errors
    /// [`Error::Config`] when an id is empty or longer than 255 bytes.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        for (field, kind, subtype, id) in [
            (
                "lldp.chassis_id",
                TLV_CHASSIS_ID,
                self.chassis_subtype,
                &self.chassis_id,
            ),
            (
                "lldp.port_id",
                TLV_PORT_ID,
                self.port_subtype,
                &self.port_id,
            ),
        ] {
            if id.is_empty() || id.len() > 255 {
                return Err(Error::config(field, "1..=255 bytes", id.len()));
            }
            out.extend_from_slice(&tlv_header(kind, 1 + id.len()));
            out.push(subtype);
            out.extend_from_slice(id);
        }
        out.extend_from_slice(&tlv_header(TLV_TTL, 2));
        out.extend_from_slice(&self.ttl.to_be_bytes());
        out.extend_from_slice(&tlv_header(TLV_END, 0));
        Ok(())
    }

    /// Parses an LLDPDU at `offset` of `frame`: Chassis ID, Port ID and TTL first, in that
    /// order; then optional TLVs up to End or the end of the frame.
    ///
    /// # Errors
    /// [`Error::Truncated`] for a TLV longer than the frame; [`Error::BadValue`] for a
    /// missing or misplaced mandatory TLV or a length out of range.
    pub fn parse(frame: &[u8], offset: usize) -> Result<Lldpdu, Error> {
        let mut c = Cursor::at(frame, offset);
        let mut mandatory = |kind: u8, name: &'static str, min: usize, max: usize| {
            let at = c.offset();
            let header = c.u16("lldp.tlv_header")?;
            let (found, len) = ((header >> 9) as u8, usize::from(header & 0x01ff));
            if found != kind {
                return Err(Error::bad(
                    name,
                    at,
                    format!("TLV type {kind}"),
                    format!("type {found}"),
                ));
            }
            if !(min..=max).contains(&len) {
                return Err(Error::bad(name, at, format!("length {min}..={max}"), len));
            }
            c.take(name, len)
        };
        let chassis = mandatory(TLV_CHASSIS_ID, "lldp.chassis_id", 2, 256)?;
        let port = mandatory(TLV_PORT_ID, "lldp.port_id", 2, 256)?;
        let ttl = mandatory(TLV_TTL, "lldp.ttl", 2, 511)?;
        let mut optional_tlvs = 0;
        while c.remaining() > 0 {
            let at = c.offset();
            let header = c.u16("lldp.tlv_header")?;
            let (kind, len) = ((header >> 9) as u8, usize::from(header & 0x01ff));
            if kind == TLV_END {
                if len != 0 {
                    return Err(Error::bad("lldp.end", at, "length 0", len));
                }
                break;
            }
            c.take("lldp.tlv", len)?;
            optional_tlvs += 1;
        }
        let split = |b: &[u8]| {
            (
                b.first().copied().unwrap_or(0),
                b.get(1..).unwrap_or(&[]).to_vec(),
            )
        };
        let (chassis_subtype, chassis_id) = split(chassis);
        let (port_subtype, port_id) = split(port);
        Ok(Lldpdu {
            chassis_subtype,
            chassis_id,
            port_subtype,
            port_id,
            ttl: u16::from_be_bytes([
                ttl.first().copied().unwrap_or(0),
                ttl.get(1).copied().unwrap_or(0),
            ]),
            optional_tlvs,
        })
    }
}

/// An LLDP Ethernet frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LldpFrame {
    /// Source MAC (the sending port's).
    pub src: MacAddr,
    /// The LLDPDU.
    pub lldpdu: Lldpdu,
}

impl LldpFrame {
    /// Parses an untagged LLDP frame (any destination; LLDP has three group addresses).
    ///
    /// # Errors
    /// [`Error::BadValue`] for another ethertype or a VLAN tag, and as [`Lldpdu::parse`].
    pub fn parse(frame: &[u8]) -> Result<LldpFrame, Error> {
        let (eth, at) = Ethernet::parse(frame)?;
        if eth.ethertype != ETH_TYPE_LLDP || eth.vlan.is_some() {
            return Err(Error::bad(
                "ethernet.ethertype",
                12,
                "0x88cc (LLDP, untagged)",
                format!(
                    "{:#06x}{}",
                    eth.ethertype,
                    if eth.vlan.is_some() { " tagged" } else { "" }
                ),
            ));
        }
        Ok(LldpFrame {
            src: eth.src,
            lldpdu: Lldpdu::parse(frame, at)?,
        })
    }

    /// The frame's bytes, padded to [`MIN_FRAME`].
    ///
    /// # Errors
    /// As [`Lldpdu::emit`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(MIN_FRAME);
        Ethernet {
            dst: LLDP_MULTICAST,
            src: self.src,
            vlan: None,
            ethertype: ETH_TYPE_LLDP,
        }
        .emit(&mut out);
        self.lldpdu.emit(&mut out)?;
        if out.len() < MIN_FRAME {
            out.resize(MIN_FRAME, 0);
        }
        Ok(out)
    }
}

/// The source MAC for frames out of `port` of `dpid` when the port's own is not known: a
/// locally administered address from the dpid's low 24 bits and the port's low 16 bits.
pub fn default_source_mac(dpid: u64, port: u32) -> MacAddr {
    let d = dpid.to_be_bytes();
    let p = port.to_be_bytes();
    MacAddr([0x02, d[5], d[6], d[7], p[2], p[3]])
}

/// The `PACKET_OUT` sending FlowFall's LLDP frame out of `port` of `dpid`.
///
/// # Errors
/// As [`LldpFrame::to_bytes`]; [`Lldpdu::for_port`]'s ids (21 and 4 bytes) always fit, so it
/// does not happen here.
pub fn packet_out(dpid: u64, port: u32, src: MacAddr, ttl: u16) -> Result<PacketOut, Error> {
    let frame = LldpFrame {
        src,
        lldpdu: Lldpdu::for_port(dpid, port, ttl),
    };
    Ok(flows::packet_out(
        vec![Action::output(port)],
        frame.to_bytes()?,
    ))
}

/// The entries sending LLDP to the controller: per datapath of the chain (once for junctions
/// that share one), `eth_type=0x88cc` → `output:CONTROLLER`, at [`PRIORITY_LLDP`] with a
/// [`Purpose::Lldp`] cookie naming the first junction on that datapath.
pub fn lldp_flows(topology: &Topology) -> Vec<SwitchFlowMod> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for s in topology.switches() {
        if seen.contains(&s.dpid) {
            continue;
        }
        seen.push(s.dpid);
        out.extend(flows::health_flow(
            topology,
            s.index,
            Purpose::Lldp,
            PRIORITY_LLDP,
            Match::new().with(Oxm::EthType(ETH_TYPE_LLDP)),
            vec![flows::whole_packet_to_controller()],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{sample_topology, vlan_topology};
    use flowfall_ofp::{Message, OfMessage};
    use proptest::prelude::*;

    #[test]
    fn golden_frame() {
        let f = LldpFrame {
            src: MacAddr([2, 0, 0, 0, 0, 1]),
            lldpdu: Lldpdu::for_port(0x1a, 20, 4),
        }
        .to_bytes()
        .unwrap();
        let mut want = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc];
        want.extend_from_slice(&[0x02, 22, 7]);
        want.extend_from_slice(b"dpid:000000000000001a");
        want.extend_from_slice(&[0x04, 5, 2, 0, 0, 0, 20]);
        want.extend_from_slice(&[0x06, 2, 0, 4]);
        want.extend_from_slice(&[0, 0]);
        want.resize(60, 0);
        assert_eq!(f, want);
        let back = LldpFrame::parse(&f).unwrap();
        assert_eq!(
            (back.lldpdu.dpid(), back.lldpdu.port_no(), back.lldpdu.ttl),
            (Some(0x1a), Some(20), 4)
        );
    }

    #[test]
    fn foreign_lldp_parses_but_is_not_ours() {
        // A typical lldpd frame: chassis = MAC (subtype 4), port = interface name (subtype 5),
        // and a System Name TLV.
        let mut f = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 9, 0x88, 0xcc];
        f.extend_from_slice(&[0x02, 7, 4, 2, 0, 0, 0, 0, 9]);
        f.extend_from_slice(&[0x04, 5, 5, b'e', b't', b'h', b'0']);
        f.extend_from_slice(&[0x06, 2, 0, 120]);
        f.extend_from_slice(&[0x0a, 3, b'h', b'v', b'1']);
        f.extend_from_slice(&[0, 0]);
        let l = LldpFrame::parse(&f).unwrap().lldpdu;
        assert_eq!(
            (l.dpid(), l.port_no(), l.optional_tlvs, l.ttl),
            (None, None, 1, 120)
        );
    }

    #[test]
    fn malformed_lldpdus_are_named() {
        let good = LldpFrame {
            src: MacAddr([2, 0, 0, 0, 0, 1]),
            lldpdu: Lldpdu::for_port(1, 2, 3),
        }
        .to_bytes()
        .unwrap();
        let mut swapped = good.clone();
        swapped[14] = 0x04; // the first TLV claims to be a Port ID
        assert!(matches!(
            LldpFrame::parse(&swapped),
            Err(Error::BadValue {
                field: "lldp.chassis_id",
                offset: 14,
                ..
            })
        ));
        let mut long = good.clone();
        long[15] = 200; // chassis length past the frame
        assert!(matches!(
            LldpFrame::parse(&long),
            Err(Error::Truncated { .. })
        ));
        let mut bad_end = good.clone();
        bad_end[49] = 1; // End TLV with a length
        assert!(matches!(
            LldpFrame::parse(&bad_end),
            Err(Error::BadValue {
                field: "lldp.end",
                ..
            })
        ));
        let mut ip = good;
        ip[12..14].copy_from_slice(&[0x08, 0x00]);
        assert!(matches!(
            LldpFrame::parse(&ip),
            Err(Error::BadValue {
                field: "ethernet.ethertype",
                ..
            })
        ));
        assert!(
            Lldpdu {
                chassis_id: Vec::new(),
                ..Lldpdu::for_port(1, 1, 1)
            }
            .emit(&mut Vec::new())
            .is_err()
        );
    }

    #[test]
    fn flows_once_per_datapath() {
        for topo in [sample_topology(), vlan_topology()] {
            let flows = lldp_flows(&topo);
            assert_eq!(flows.len(), 3);
            for f in &flows {
                assert_eq!(f.flow_mod.priority, PRIORITY_LLDP);
                assert_eq!(
                    crate::cookie::parse(f.flow_mod.cookie),
                    Some((Purpose::Lldp, f.switch))
                );
                let msg = OfMessage::new(0, Message::FlowMod(f.flow_mod.clone()));
                assert!(flowfall_ofp::validate::validate(&msg).is_empty());
            }
        }
    }

    #[test]
    fn packet_out_goes_out_of_the_port() {
        let po = packet_out(3, 21, default_source_mac(3, 21), 4).unwrap();
        assert_eq!(po.actions, vec![Action::output(21)]);
        let f = LldpFrame::parse(&po.data).unwrap();
        assert_eq!(f.src, MacAddr([2, 0, 0, 3, 0, 21]));
        assert_eq!((f.lldpdu.dpid(), f.lldpdu.port_no()), (Some(3), Some(21)));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = LldpFrame::parse(&bytes);
        }

        #[test]
        fn round_trip(dpid in any::<u64>(), port in any::<u32>(), ttl in any::<u16>()) {
            let f = LldpFrame { src: default_source_mac(dpid, port), lldpdu: Lldpdu::for_port(dpid, port, ttl) };
            let back = LldpFrame::parse(&f.to_bytes().map_err(|e| TestCaseError::fail(e.to_string()))?)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back.lldpdu.dpid(), Some(dpid));
            prop_assert_eq!(back.lldpdu.port_no(), Some(port));
            prop_assert_eq!(back, f);
        }
    }
}
