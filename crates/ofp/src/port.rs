//! Ports: `ofp_port` (OpenFlow 1.3.5 §7.2.1), `OFPT_PORT_STATUS` (§7.4.3) and
//! `OFPT_PORT_MOD` (§7.3.4.4).

use crate::MacAddr;
use crate::action::PortNo;
use crate::error::{DecodeError, EncodeError};
use crate::fixed_str::FixedStr;
use crate::items;
use crate::wire::{Reader, Writer};
use crate::wire_enum::wire_enum;
use std::fmt;

/// Size of `ofp_port` on the wire.
pub const OFP_PORT_LEN: usize = 64;
/// `OFP_MAX_PORT_NAME_LEN`: size of the NUL-padded port name.
pub const OFP_MAX_PORT_NAME_LEN: usize = 16;
/// Body size of `OFPT_PORT_STATUS` (after the 8-byte header).
pub const PORT_STATUS_BODY_LEN: usize = 8 + OFP_PORT_LEN;
/// Body size of `OFPT_PORT_MOD` (after the 8-byte header).
pub const PORT_MOD_BODY_LEN: usize = 32;

/// Port numbers (`ofp_port_no`, §7.2.1): physical ports are `1..=MAX`, the rest are
/// reserved ports. (The same values as the `OFPP_*` constants of [`crate::action`] and
/// [`crate::flow_mod`], grouped here.)
pub mod port_no {
    /// `OFPP_MAX`: the largest physical port number.
    pub const MAX: u32 = crate::action::OFPP_MAX;
    /// `OFPP_IN_PORT`: send the packet out the port it came in on.
    pub const IN_PORT: u32 = crate::action::OFPP_IN_PORT;
    /// `OFPP_TABLE`: submit the packet to the first flow table (packet-out only).
    pub const TABLE: u32 = crate::action::OFPP_TABLE;
    /// `OFPP_NORMAL`: forward with the non-OpenFlow pipeline.
    pub const NORMAL: u32 = crate::action::OFPP_NORMAL;
    /// `OFPP_FLOOD`: flood with the non-OpenFlow pipeline.
    pub const FLOOD: u32 = crate::action::OFPP_FLOOD;
    /// `OFPP_ALL`: every port except the input port.
    pub const ALL: u32 = crate::action::OFPP_ALL;
    /// `OFPP_CONTROLLER`: send to the controller.
    pub const CONTROLLER: u32 = crate::action::OFPP_CONTROLLER;
    /// `OFPP_LOCAL`: the switch's local networking stack.
    pub const LOCAL: u32 = crate::action::OFPP_LOCAL;
    /// `OFPP_ANY`: wildcard port in requests and filters.
    pub const ANY: u32 = crate::flow_mod::OFPP_ANY;
}

/// `ofp_port_config` bits (§7.2.1): administrative settings of a port.
pub mod port_config {
    /// `OFPPC_PORT_DOWN`: port is administratively down.
    pub const PORT_DOWN: u32 = 1 << 0;
    /// `OFPPC_NO_RECV`: drop all packets received by the port.
    pub const NO_RECV: u32 = 1 << 2;
    /// `OFPPC_NO_FWD`: drop packets forwarded to the port.
    pub const NO_FWD: u32 = 1 << 5;
    /// `OFPPC_NO_PACKET_IN`: do not send packet-in messages for the port.
    pub const NO_PACKET_IN: u32 = 1 << 6;
}

/// `ofp_port_state` bits (§7.2.1): current state of the physical link.
pub mod port_state {
    /// `OFPPS_LINK_DOWN`: no physical link present.
    pub const LINK_DOWN: u32 = 1 << 0;
    /// `OFPPS_BLOCKED`: port is blocked (e.g. by spanning tree).
    pub const BLOCKED: u32 = 1 << 1;
    /// `OFPPS_LIVE`: live for fast-failover groups.
    pub const LIVE: u32 = 1 << 2;
}

/// `ofp_port_features` bits (§7.2.1), used by `curr`, `advertised`, `supported`, `peer`
/// and the port-mod `advertise` field.
pub mod port_features {
    /// `OFPPF_10MB_HD`.
    pub const RATE_10MB_HD: u32 = 1 << 0;
    /// `OFPPF_10MB_FD`.
    pub const RATE_10MB_FD: u32 = 1 << 1;
    /// `OFPPF_100MB_HD`.
    pub const RATE_100MB_HD: u32 = 1 << 2;
    /// `OFPPF_100MB_FD`.
    pub const RATE_100MB_FD: u32 = 1 << 3;
    /// `OFPPF_1GB_HD`.
    pub const RATE_1GB_HD: u32 = 1 << 4;
    /// `OFPPF_1GB_FD`.
    pub const RATE_1GB_FD: u32 = 1 << 5;
    /// `OFPPF_10GB_FD`.
    pub const RATE_10GB_FD: u32 = 1 << 6;
    /// `OFPPF_40GB_FD`.
    pub const RATE_40GB_FD: u32 = 1 << 7;
    /// `OFPPF_100GB_FD`.
    pub const RATE_100GB_FD: u32 = 1 << 8;
    /// `OFPPF_1TB_FD`.
    pub const RATE_1TB_FD: u32 = 1 << 9;
    /// `OFPPF_OTHER`: rate not in this list.
    pub const OTHER: u32 = 1 << 10;
    /// `OFPPF_COPPER`: copper medium.
    pub const COPPER: u32 = 1 << 11;
    /// `OFPPF_FIBER`: fiber medium.
    pub const FIBER: u32 = 1 << 12;
    /// `OFPPF_AUTONEG`: auto-negotiation.
    pub const AUTONEG: u32 = 1 << 13;
    /// `OFPPF_PAUSE`: pause.
    pub const PAUSE: u32 = 1 << 14;
    /// `OFPPF_PAUSE_ASYM`: asymmetric pause.
    pub const PAUSE_ASYM: u32 = 1 << 15;
}

/// `ofp_port` (§7.2.1): description of a port, as carried by `OFPT_PORT_STATUS` and the
/// `OFPMP_PORT_DESC` multipart reply.
///
/// The name keeps all 16 bytes as sent, so bytes after the terminating NUL survive a
/// decode/encode round trip.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Port {
    /// Port number (see [`port_no`]).
    pub port_no: u32,
    /// Ethernet address of the port.
    pub hw_addr: MacAddr,
    /// NUL-padded name (`char name[OFP_MAX_PORT_NAME_LEN]`).
    pub name: FixedStr<OFP_MAX_PORT_NAME_LEN>,
    /// `OFPPC_*` bits, see [`port_config`].
    pub config: u32,
    /// `OFPPS_*` bits, see [`port_state`].
    pub state: u32,
    /// Current features (`OFPPF_*`, see [`port_features`]).
    pub curr: u32,
    /// Features advertised by the port.
    pub advertised: u32,
    /// Features supported by the port.
    pub supported: u32,
    /// Features advertised by the peer.
    pub peer: u32,
    /// Current port bitrate in kbps.
    pub curr_speed: u32,
    /// Maximum port bitrate in kbps.
    pub max_speed: u32,
}

impl Port {
    /// True when `OFPPS_LINK_DOWN` is clear and `OFPPC_PORT_DOWN` is clear.
    pub fn is_up(&self) -> bool {
        self.state & port_state::LINK_DOWN == 0 && self.config & port_config::PORT_DOWN == 0
    }

    /// Decode one 64-byte `ofp_port`.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut p = r.sub("ofp_port", OFP_PORT_LEN)?;
        let port_no = p.u32("ofp_port.port_no")?;
        p.skip("ofp_port.pad", 4)?;
        let hw_addr = MacAddr(p.array("ofp_port.hw_addr")?);
        p.skip("ofp_port.pad2", 2)?;
        Ok(Port {
            port_no,
            hw_addr,
            name: FixedStr::decode(&mut p, "ofp_port.name")?,
            config: p.u32("ofp_port.config")?,
            state: p.u32("ofp_port.state")?,
            curr: p.u32("ofp_port.curr")?,
            advertised: p.u32("ofp_port.advertised")?,
            supported: p.u32("ofp_port.supported")?,
            peer: p.u32("ofp_port.peer")?,
            curr_speed: p.u32("ofp_port.curr_speed")?,
            max_speed: p.u32("ofp_port.max_speed")?,
        })
    }

    /// Encode the 64-byte `ofp_port`.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.port_no);
        w.pad("ofp_port.pad", 4);
        w.bytes(&self.hw_addr.0);
        w.pad("ofp_port.pad2", 2);
        self.name.encode(w);
        for v in [
            self.config,
            self.state,
            self.curr,
            self.advertised,
            self.supported,
            self.peer,
            self.curr_speed,
            self.max_speed,
        ] {
            w.u32(v);
        }
    }

    /// Decode a list of ports filling `r` (the `OFPMP_PORT_DESC` reply body).
    pub(crate) fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Self>, DecodeError> {
        items::list(r, "ofp_port", Port::decode)
    }
}

wire_enum! {
    /// `ofp_port_reason` (§7.4.3): why a port-status message was sent.
    pub enum PortReason: u8 {
        /// `OFPPR_ADD`: the port was added.
        Add = 0 => "add",
        /// `OFPPR_DELETE`: the port was removed.
        Delete = 1 => "delete",
        /// `OFPPR_MODIFY`: some attribute of the port changed.
        Modify = 2 => "modify",
    }
}

/// `OFPT_PORT_STATUS` body (`ofp_port_status`, §7.4.3): a port was added, removed or
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortStatus {
    /// Why the message was sent.
    pub reason: PortReason,
    /// The port's description (after the change).
    pub desc: Port,
}

impl PortStatus {
    /// Decode the body (after the 8-byte header): exactly 72 bytes.
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_port_status", PORT_STATUS_BODY_LEN)?;
        let reason = PortReason::from_wire(r.u8("ofp_port_status.reason")?);
        r.skip("ofp_port_status.pad", 7)?;
        Ok(PortStatus {
            reason,
            desc: Port::decode(r)?,
        })
    }

    /// Encode the body.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u8(self.reason.to_wire());
        w.pad("ofp_port_status.pad", 7);
        self.desc.encode(w);
        Ok(())
    }
}

/// `OFPT_PORT_MOD` body (`ofp_port_mod`, §7.3.4.4): change a port's administrative
/// settings.
///
/// Bits of `config` are applied where `mask` is set; `hw_addr` must match the port's
/// address (a sanity check against stale port numbers).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortMod {
    /// The port to modify.
    pub port_no: u32,
    /// The port's hardware address.
    pub hw_addr: MacAddr,
    /// New `OFPPC_*` bits (see [`port_config`]).
    pub config: u32,
    /// Which `config` bits to change.
    pub mask: u32,
    /// `OFPPF_*` features to advertise (see [`port_features`]); 0 leaves them unchanged.
    pub advertise: u32,
}

impl PortMod {
    /// Decode the body (after the 8-byte header): exactly 32 bytes.
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_port_mod", PORT_MOD_BODY_LEN)?;
        let port_no = r.u32("ofp_port_mod.port_no")?;
        r.skip("ofp_port_mod.pad", 4)?;
        let hw_addr = MacAddr(r.array("ofp_port_mod.hw_addr")?);
        r.skip("ofp_port_mod.pad2", 2)?;
        let m = PortMod {
            port_no,
            hw_addr,
            config: r.u32("ofp_port_mod.config")?,
            mask: r.u32("ofp_port_mod.mask")?,
            advertise: r.u32("ofp_port_mod.advertise")?,
        };
        r.skip("ofp_port_mod.pad3", 4)?;
        Ok(m)
    }

    /// Encode the body.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u32(self.port_no);
        w.pad("ofp_port_mod.pad", 4);
        w.bytes(&self.hw_addr.0);
        w.pad("ofp_port_mod.pad2", 2);
        w.u32(self.config);
        w.u32(self.mask);
        w.u32(self.advertise);
        w.pad("ofp_port_mod.pad3", 4);
        Ok(())
    }
}

impl fmt::Display for Port {
    /// `ovs-ofctl`-like: `7(eth0): addr:f2:0b:a4:d0:3f:70 config:0x0 state:0x4 curr:0x2808
    /// advertised:0x0 supported:0x0 peer:0x0 speed:5000/5000kbps`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}): addr:{} config:{:#x} state:{:#x} curr:{:#x} advertised:{:#x} \
             supported:{:#x} peer:{:#x} speed:{}/{}kbps",
            PortNo(self.port_no),
            self.name,
            self.hw_addr,
            self.config,
            self.state,
            self.curr,
            self.advertised,
            self.supported,
            self.peer,
            self.curr_speed,
            self.max_speed
        )
    }
}

impl fmt::Display for PortStatus {
    /// `reason=add 7(eth0): addr:...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reason={} {}", self.reason, self.desc)
    }
}

impl fmt::Display for PortMod {
    /// `port=1 addr:aa:bb:cc:99:88:77 config:0x1/0x1 advertise:0x2808`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port={} addr:{} config:{:#x}/{:#x} advertise:{:#x}",
            PortNo(self.port_no),
            self.hw_addr,
            self.config,
            self.mask,
            self.advertise
        )
    }
}

/// Proptest generators for the port types.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use proptest::prelude::*;

    /// Any port, including non-canonical names.
    pub(crate) fn arb_port() -> impl Strategy<Value = Port> {
        (
            any::<u32>(),
            any::<[u8; 6]>(),
            prop_oneof![
                "[a-z0-9-]{0,15}".prop_map(|s| FixedStr::new(&s).unwrap_or_default()),
                any::<[u8; 16]>().prop_map(FixedStr::from_bytes),
            ],
            any::<[u32; 8]>(),
        )
            .prop_map(|(port_no, mac, name, v)| Port {
                port_no,
                hw_addr: MacAddr(mac),
                name,
                config: v[0],
                state: v[1],
                curr: v[2],
                advertised: v[3],
                supported: v[4],
                peer: v[5],
                curr_speed: v[6],
                max_speed: v[7],
            })
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::arb_port;
    use super::*;
    use crate::ryu_vectors::{body_round_trip, decodable_prefixes, decode_at8, encode_vec};
    use proptest::prelude::*;

    const OFPT_PORT_STATUS: u8 = 12;
    const OFPT_PORT_MOD: u8 = 16;

    fn port_status(name: &str) -> Option<PortStatus> {
        body_round_trip(
            name,
            OFPT_PORT_STATUS,
            PortStatus::decode_body,
            PortStatus::encode_body,
        )
    }

    fn port_mod(name: &str) -> Option<PortMod> {
        body_round_trip(
            name,
            OFPT_PORT_MOD,
            PortMod::decode_body,
            PortMod::encode_body,
        )
    }

    #[test]
    fn ryu_port_status_vectors() {
        if let Some(ps) = port_status("4-39-ofp_port_status.packet") {
            assert_eq!(ps.reason, PortReason::Add);
            assert_eq!(ps.desc.port_no, 7);
            assert_eq!(ps.desc.hw_addr.to_string(), "f2:0b:a4:d0:3f:70");
            // UTF-8 name (Japanese "my port"), 15 bytes + NUL.
            assert_eq!(ps.desc.name.as_str(), Some("私のポート"));
            assert_eq!(ps.desc.state, port_state::LIVE);
            assert_eq!(ps.desc.curr_speed, 5000);
            assert_eq!(ps.desc.max_speed, 5000);
        }
        if let Some(ps) = port_status("libofproto-OFP13-port_status.packet") {
            assert_eq!(ps.reason, PortReason::Modify);
            assert_eq!(ps.desc.port_no, 1);
            assert_eq!(ps.desc.hw_addr, MacAddr::BROADCAST);
            assert_eq!(ps.desc.name.as_str(), Some("eth0"));
            assert_eq!(ps.desc.curr_speed, 50000);
            assert_eq!(ps.desc.max_speed, 100000);
        }
    }

    #[test]
    fn ryu_port_mod_vectors() {
        if let Some(pm) = port_mod("4-22-ofp_port_mod.packet") {
            assert_eq!(pm.port_no, 1);
            assert_eq!(pm.hw_addr.to_string(), "00:11:00:00:11:11");
            assert_eq!(pm.advertise, port_features::FIBER);
        }
        if let Some(pm) = port_mod("libofproto-OFP13-port_mod.packet") {
            assert_eq!(pm.hw_addr.to_string(), "aa:bb:cc:99:88:77");
            assert_eq!((pm.config, pm.mask), (1, 1));
            assert_eq!(pm.advertise, 0x2808);
        }
    }

    /// Hand-written from §7.3.4.4 / §7.4.3 layouts.
    #[test]
    fn golden_port_mod_and_status() {
        let pm = PortMod {
            port_no: 3,
            hw_addr: MacAddr([2, 0, 0, 0, 0, 9]),
            config: port_config::NO_FWD,
            mask: port_config::NO_FWD | port_config::PORT_DOWN,
            advertise: port_features::RATE_10GB_FD,
        };
        let bytes = encode_vec(&pm, PortMod::encode_body).unwrap();
        let expect: [u8; 32] = [
            0, 0, 0, 3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0x21, 0, 0, 0,
            0x40, 0, 0, 0, 0,
        ];
        assert_eq!(bytes, expect);
        assert_eq!(decode_at8(&bytes, PortMod::decode_body).unwrap(), pm);

        let ps = PortStatus {
            reason: PortReason::Unknown(9),
            desc: Port {
                port_no: port_no::LOCAL,
                name: FixedStr::new("br0").unwrap(),
                ..Port::default()
            },
        };
        let bytes = encode_vec(&ps, PortStatus::encode_body).unwrap();
        assert_eq!(bytes.len(), PORT_STATUS_BODY_LEN);
        assert_eq!(bytes[0], 9);
        assert_eq!(&bytes[8..12], &[0xff, 0xff, 0xff, 0xfe]);
        assert_eq!(&bytes[24..28], b"br0\0");
        assert_eq!(decode_at8(&bytes, PortStatus::decode_body).unwrap(), ps);
        assert!(ps.desc.is_up());
    }

    #[test]
    fn display() {
        let ps = PortStatus {
            reason: PortReason::Modify,
            desc: Port {
                port_no: 7,
                name: FixedStr::new("eth0").unwrap(),
                state: port_state::LIVE,
                curr_speed: 5000,
                max_speed: 10000,
                ..Port::default()
            },
        };
        assert_eq!(
            ps.to_string(),
            "reason=modify 7(eth0): addr:00:00:00:00:00:00 config:0x0 state:0x4 curr:0x0 \
             advertised:0x0 supported:0x0 peer:0x0 speed:5000/10000kbps"
        );
        let pm = PortMod {
            port_no: port_no::LOCAL,
            config: 1,
            mask: 1,
            ..PortMod::default()
        };
        assert_eq!(
            pm.to_string(),
            "port=local addr:00:00:00:00:00:00 config:0x1/0x1 advertise:0x0"
        );
    }

    #[test]
    fn truncation_and_trailing_bytes() {
        let bytes = encode_vec(&PortMod::default(), PortMod::encode_body).unwrap();
        assert!(decodable_prefixes(&bytes, PortMod::decode_body).is_empty());
        let e = decode_at8(&bytes[..20], PortMod::decode_body).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "ofp_port_mod",
                offset: 8,
                needed: 32,
                available: 20
            }
        );
        let mut long = bytes.clone();
        long.push(0);
        let e = decode_at8(&long, PortMod::decode_body).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::BadLength {
                offset: 8,
                found: 33,
                ..
            }
        ));

        let ps = PortStatus {
            reason: PortReason::Delete,
            desc: Port::default(),
        };
        let bytes = encode_vec(&ps, PortStatus::encode_body).unwrap();
        assert!(decodable_prefixes(&bytes, PortStatus::decode_body).is_empty());
    }

    #[test]
    fn port_list_reports_offset_of_partial_port() {
        let mut bytes = encode_vec(&Port::default(), |p, w| {
            p.encode(w);
            Ok(())
        })
        .unwrap();
        bytes.extend_from_slice(&[0; 10]);
        let e = decode_at8(&bytes, Port::decode_list).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "ofp_port",
                offset: 8 + 64,
                needed: 64,
                available: 10
            }
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn port_status_round_trips(desc in arb_port(), reason in any::<u8>()) {
            let ps = PortStatus { reason: PortReason::from_wire(reason), desc };
            let bytes = encode_vec(&ps, PortStatus::encode_body).unwrap();
            prop_assert_eq!(bytes.len(), PORT_STATUS_BODY_LEN);
            prop_assert_eq!(decode_at8(&bytes, PortStatus::decode_body).unwrap(), ps);
        }

        #[test]
        fn port_mod_round_trips(port_no in any::<u32>(), mac in any::<[u8; 6]>(), v in any::<[u32; 3]>()) {
            let pm = PortMod { port_no, hw_addr: MacAddr(mac), config: v[0], mask: v[1], advertise: v[2] };
            let bytes = encode_vec(&pm, PortMod::encode_body).unwrap();
            prop_assert_eq!(decode_at8(&bytes, PortMod::decode_body).unwrap(), pm);
        }

        #[test]
        fn port_lists_round_trip(ports in proptest::collection::vec(arb_port(), 0..6)) {
            let bytes = encode_vec(&ports, |ps, w| { ps.iter().for_each(|p| p.encode(w)); Ok(()) }).unwrap();
            prop_assert_eq!(bytes.len(), ports.len() * OFP_PORT_LEN);
            prop_assert_eq!(decode_at8(&bytes, Port::decode_list).unwrap(), ports);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_at8(&bytes, PortStatus::decode_body);
            let _ = decode_at8(&bytes, PortMod::decode_body);
            let _ = decode_at8(&bytes, Port::decode_list);
        }
    }
}
