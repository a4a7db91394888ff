//! Actions, OpenFlow 1.3.5 §7.2.5 (`ofp_action_*`).

use crate::Oxm;

/// `OFPP_CONTROLLER`: send to the controller.
pub const OFPP_CONTROLLER: u32 = 0xffff_fffd;
/// `OFPCML_NO_BUFFER`: `max_len` asking the switch to send the whole packet, unbuffered.
pub const OFPCML_NO_BUFFER: u16 = 0xffff;

/// One action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Action {
    /// `OFPAT_OUTPUT` (0): output to `port`; `max_len` bytes go to the controller.
    Output {
        /// Output port (an `OFPP_*` reserved value or a physical port).
        port: u32,
        /// Bytes to send to the controller when `port` is `OFPP_CONTROLLER`.
        max_len: u16,
    },
    /// `OFPAT_COPY_TTL_OUT` (11).
    CopyTtlOut,
    /// `OFPAT_COPY_TTL_IN` (12).
    CopyTtlIn,
    /// `OFPAT_SET_MPLS_TTL` (15).
    SetMplsTtl(u8),
    /// `OFPAT_DEC_MPLS_TTL` (16).
    DecMplsTtl,
    /// `OFPAT_PUSH_VLAN` (17) with the tag's ethertype (0x8100 or 0x88a8).
    PushVlan(u16),
    /// `OFPAT_POP_VLAN` (18).
    PopVlan,
    /// `OFPAT_PUSH_MPLS` (19) with the ethertype.
    PushMpls(u16),
    /// `OFPAT_POP_MPLS` (20) with the ethertype of the payload.
    PopMpls(u16),
    /// `OFPAT_SET_QUEUE` (21).
    SetQueue(u32),
    /// `OFPAT_GROUP` (22).
    Group(u32),
    /// `OFPAT_SET_NW_TTL` (23).
    SetNwTtl(u8),
    /// `OFPAT_DEC_NW_TTL` (24).
    DecNwTtl,
    /// `OFPAT_SET_FIELD` (25): rewrite one header field given as an OXM.
    SetField(Oxm),
    /// `OFPAT_PUSH_PBB` (26) with the ethertype.
    PushPbb(u16),
    /// `OFPAT_POP_PBB` (27).
    PopPbb,
    /// `OFPAT_EXPERIMENTER` (0xffff), e.g. Nicira (0x00002320) actions, kept raw.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the experimenter id, padding included, byte for byte.
        data: Vec<u8>,
    },
    /// An action type this crate does not know, kept raw.
    Unknown {
        /// `type` field.
        action_type: u16,
        /// Everything after the 4-byte type/len header, byte for byte.
        data: Vec<u8>,
    },
}

use crate::error::{DecodeError, EncodeError};
use crate::oxm::hex_bytes;
use crate::tlv::{self, Item};
use crate::wire::{Reader, Writer};
use std::fmt;

/// `OFPP_MAX`: the highest number of a physical port.
pub const OFPP_MAX: u32 = 0xffff_ff00;
/// `OFPP_IN_PORT`: send the packet out of its input port.
pub const OFPP_IN_PORT: u32 = 0xffff_fff8;
/// `OFPP_TABLE`: submit the packet to the first flow table (packet-out only).
pub const OFPP_TABLE: u32 = 0xffff_fff9;
/// `OFPP_NORMAL`: forward using the switch's non-OpenFlow pipeline.
pub const OFPP_NORMAL: u32 = 0xffff_fffa;
/// `OFPP_FLOOD`: flood along the non-OpenFlow spanning tree, input port excluded.
pub const OFPP_FLOOD: u32 = 0xffff_fffb;
/// `OFPP_ALL`: every standard port except the input port.
pub const OFPP_ALL: u32 = 0xffff_fffc;
/// `OFPP_LOCAL`: the switch's local networking stack.
pub const OFPP_LOCAL: u32 = 0xffff_fffe;

/// `OFPAT_OUTPUT`.
pub const OFPAT_OUTPUT: u16 = 0;
/// `OFPAT_COPY_TTL_OUT`.
pub const OFPAT_COPY_TTL_OUT: u16 = 11;
/// `OFPAT_COPY_TTL_IN`.
pub const OFPAT_COPY_TTL_IN: u16 = 12;
/// `OFPAT_SET_MPLS_TTL`.
pub const OFPAT_SET_MPLS_TTL: u16 = 15;
/// `OFPAT_DEC_MPLS_TTL`.
pub const OFPAT_DEC_MPLS_TTL: u16 = 16;
/// `OFPAT_PUSH_VLAN`.
pub const OFPAT_PUSH_VLAN: u16 = 17;
/// `OFPAT_POP_VLAN`.
pub const OFPAT_POP_VLAN: u16 = 18;
/// `OFPAT_PUSH_MPLS`.
pub const OFPAT_PUSH_MPLS: u16 = 19;
/// `OFPAT_POP_MPLS`.
pub const OFPAT_POP_MPLS: u16 = 20;
/// `OFPAT_SET_QUEUE`.
pub const OFPAT_SET_QUEUE: u16 = 21;
/// `OFPAT_GROUP`.
pub const OFPAT_GROUP: u16 = 22;
/// `OFPAT_SET_NW_TTL`.
pub const OFPAT_SET_NW_TTL: u16 = 23;
/// `OFPAT_DEC_NW_TTL`.
pub const OFPAT_DEC_NW_TTL: u16 = 24;
/// `OFPAT_SET_FIELD`.
pub const OFPAT_SET_FIELD: u16 = 25;
/// `OFPAT_PUSH_PBB`.
pub const OFPAT_PUSH_PBB: u16 = 26;
/// `OFPAT_POP_PBB`.
pub const OFPAT_POP_PBB: u16 = 27;
/// `OFPAT_EXPERIMENTER`.
pub const OFPAT_EXPERIMENTER: u16 = 0xffff;

/// Experimenter id of Nicira / Open vSwitch extensions (`NX_VENDOR_ID`).
pub const NX_EXPERIMENTER_ID: u32 = 0x0000_2320;

/// Bytes of the generic action header (`type`, `len`, 4 bytes of pad or payload).
pub const OFP_ACTION_HEADER_LEN: usize = 8;

/// Names of the action header's fields, for errors.
const HEADER: tlv::Names = tlv::Names {
    what: "ofp_action_header",
    type_field: "ofp_action_header.type",
    len_field: LEN_FIELD,
};

/// The action header's length field.
const LEN_FIELD: &str = "ofp_action_header.len";

/// The spec name and exact length of each fixed-size action type.
fn fixed_layout(action_type: u16) -> Option<(&'static str, usize)> {
    Some(match action_type {
        OFPAT_OUTPUT => ("ofp_action_output", 16),
        OFPAT_COPY_TTL_OUT => ("ofp_action_copy_ttl_out", 8),
        OFPAT_COPY_TTL_IN => ("ofp_action_copy_ttl_in", 8),
        OFPAT_SET_MPLS_TTL => ("ofp_action_mpls_ttl", 8),
        OFPAT_DEC_MPLS_TTL => ("ofp_action_dec_mpls_ttl", 8),
        OFPAT_PUSH_VLAN => ("ofp_action_push_vlan", 8),
        OFPAT_POP_VLAN => ("ofp_action_pop_vlan", 8),
        OFPAT_PUSH_MPLS => ("ofp_action_push_mpls", 8),
        OFPAT_POP_MPLS => ("ofp_action_pop_mpls", 8),
        OFPAT_SET_QUEUE => ("ofp_action_set_queue", 8),
        OFPAT_GROUP => ("ofp_action_group", 8),
        OFPAT_SET_NW_TTL => ("ofp_action_nw_ttl", 8),
        OFPAT_DEC_NW_TTL => ("ofp_action_dec_nw_ttl", 8),
        OFPAT_PUSH_PBB => ("ofp_action_push_pbb", 8),
        OFPAT_POP_PBB => ("ofp_action_pop_pbb", 8),
        _ => return None,
    })
}

/// Name of a reserved port number (`OFPP_*`), lower case, or `None` for other ports.
pub fn reserved_port_name(port: u32) -> Option<&'static str> {
    Some(match port {
        OFPP_IN_PORT => "in_port",
        OFPP_TABLE => "table",
        OFPP_NORMAL => "normal",
        OFPP_FLOOD => "flood",
        OFPP_ALL => "all",
        OFPP_CONTROLLER => "controller",
        OFPP_LOCAL => "local",
        crate::flow_mod::OFPP_ANY => "any",
        _ => return None,
    })
}

impl Action {
    /// The `type` field (`OFPAT_*`).
    #[inline]
    pub fn action_type(&self) -> u16 {
        match self {
            Action::Output { .. } => OFPAT_OUTPUT,
            Action::CopyTtlOut => OFPAT_COPY_TTL_OUT,
            Action::CopyTtlIn => OFPAT_COPY_TTL_IN,
            Action::SetMplsTtl(_) => OFPAT_SET_MPLS_TTL,
            Action::DecMplsTtl => OFPAT_DEC_MPLS_TTL,
            Action::PushVlan(_) => OFPAT_PUSH_VLAN,
            Action::PopVlan => OFPAT_POP_VLAN,
            Action::PushMpls(_) => OFPAT_PUSH_MPLS,
            Action::PopMpls(_) => OFPAT_POP_MPLS,
            Action::SetQueue(_) => OFPAT_SET_QUEUE,
            Action::Group(_) => OFPAT_GROUP,
            Action::SetNwTtl(_) => OFPAT_SET_NW_TTL,
            Action::DecNwTtl => OFPAT_DEC_NW_TTL,
            Action::SetField(_) => OFPAT_SET_FIELD,
            Action::PushPbb(_) => OFPAT_PUSH_PBB,
            Action::PopPbb => OFPAT_POP_PBB,
            Action::Experimenter { .. } => OFPAT_EXPERIMENTER,
            Action::Unknown { action_type, .. } => *action_type,
        }
    }

    /// `OFPAT_OUTPUT` to `port` with `max_len` = [`OFPCML_NO_BUFFER`] (whole packets to
    /// the controller, unbuffered).
    pub fn output(port: u32) -> Self {
        Action::Output {
            port,
            max_len: OFPCML_NO_BUFFER,
        }
    }

    /// Bytes on the wire (`len`).
    #[inline]
    pub fn encoded_len(&self) -> usize {
        match self {
            Action::Output { .. } => 16,
            Action::SetField(oxm) => (4 + oxm.encoded_len()).div_ceil(8) * 8,
            Action::Experimenter { data, .. } => 8 + data.len(),
            Action::Unknown { data, .. } => 4 + data.len(),
            // Every other action is an 8-byte structure (see `fixed_layout`).
            _ => 8,
        }
    }

    /// Decodes one action (§7.2.5) framed as `item` (its `len` is a multiple of 8, at
    /// least 8 and within the bytes present); `len` must be exactly the structure's size
    /// for fixed-size actions. Bytes a typed action leaves unread are its padding (checked
    /// by `validate`). The action is appended to `out`.
    fn decode_into(item: Item<'_>, out: &mut Vec<Action>) -> Result<(), DecodeError> {
        let be16 = u16::from_be_bytes;
        let be32 = u32::from_be_bytes;
        // Fixed-size actions: the slice pattern checks the size and takes the fields.
        let value = match (item.item_type, item.body) {
            (OFPAT_OUTPUT, &[p0, p1, p2, p3, m0, m1, _, _, _, _, _, _]) => Action::Output {
                port: be32([p0, p1, p2, p3]),
                max_len: be16([m0, m1]),
            },
            (OFPAT_COPY_TTL_OUT, [_, _, _, _]) => Action::CopyTtlOut,
            (OFPAT_COPY_TTL_IN, [_, _, _, _]) => Action::CopyTtlIn,
            (OFPAT_SET_MPLS_TTL, &[ttl, _, _, _]) => Action::SetMplsTtl(ttl),
            (OFPAT_DEC_MPLS_TTL, [_, _, _, _]) => Action::DecMplsTtl,
            (OFPAT_PUSH_VLAN, &[e0, e1, _, _]) => Action::PushVlan(be16([e0, e1])),
            (OFPAT_POP_VLAN, [_, _, _, _]) => Action::PopVlan,
            (OFPAT_PUSH_MPLS, &[e0, e1, _, _]) => Action::PushMpls(be16([e0, e1])),
            (OFPAT_POP_MPLS, &[e0, e1, _, _]) => Action::PopMpls(be16([e0, e1])),
            (OFPAT_SET_QUEUE, &[q0, q1, q2, q3]) => Action::SetQueue(be32([q0, q1, q2, q3])),
            (OFPAT_GROUP, &[g0, g1, g2, g3]) => Action::Group(be32([g0, g1, g2, g3])),
            (OFPAT_SET_NW_TTL, &[ttl, _, _, _]) => Action::SetNwTtl(ttl),
            (OFPAT_DEC_NW_TTL, [_, _, _, _]) => Action::DecNwTtl,
            (OFPAT_PUSH_PBB, &[e0, e1, _, _]) => Action::PushPbb(be16([e0, e1])),
            (OFPAT_POP_PBB, [_, _, _, _]) => Action::PopPbb,
            (OFPAT_SET_FIELD, body) => {
                // Appended in place; on a length error the caller drops `out` anyway.
                let mut b = Reader::with_base(body, item.start + 4);
                crate::Oxm::decode_into(&mut b, out, Action::SetField)?;
                let want = (4 + (body.len() - b.remaining())).div_ceil(8) * 8;
                if item.len() != want {
                    return Err(item.wrong_size("ofp_action_set_field", want));
                }
                return Ok(());
            }
            (OFPAT_EXPERIMENTER, &[e0, e1, e2, e3, ref data @ ..]) => Action::Experimenter {
                experimenter: be32([e0, e1, e2, e3]),
                data: data.to_vec(),
            },
            (action_type, body) => match fixed_layout(action_type) {
                Some((name, want)) => return Err(item.wrong_size(name, want)),
                None => Action::Unknown {
                    action_type,
                    data: body.to_vec(),
                },
            },
        };
        out.push(value);
        Ok(())
    }

    /// Encodes the action, computing `len` and writing zero padding.
    ///
    /// Experimenter and unknown actions are written byte for byte; their `data` must make
    /// the action a multiple of 8 bytes long, as the spec requires, or
    /// [`EncodeError::BadValue`] is returned (as it is for an [`Action::Unknown`] whose
    /// type has a typed variant, which would not decode back).
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        // Fixed-size actions are built on the stack and appended at once.
        let t = self.action_type();
        match self {
            Action::Output { port, max_len } => {
                let [t0, t1] = t.to_be_bytes();
                let [p0, p1, p2, p3] = port.to_be_bytes();
                let [m0, m1] = max_len.to_be_bytes();
                let b = [t0, t1, 0, 16, p0, p1, p2, p3, m0, m1, 0, 0, 0, 0, 0, 0];
                w.padded(&b, &[("ofp_action_output.pad", 10..16)]);
            }
            Action::CopyTtlOut
            | Action::CopyTtlIn
            | Action::DecMplsTtl
            | Action::PopVlan
            | Action::DecNwTtl
            | Action::PopPbb => w.padded(&short(t, [0; 4]), &[("ofp_action_generic.pad", 4..8)]),
            Action::SetMplsTtl(ttl) | Action::SetNwTtl(ttl) => {
                w.padded(&short(t, [*ttl, 0, 0, 0]), &[("ofp_action_ttl.pad", 5..8)]);
            }
            Action::PushVlan(eth) | Action::PushMpls(eth) | Action::PushPbb(eth) => {
                let [e0, e1] = eth.to_be_bytes();
                w.padded(&short(t, [e0, e1, 0, 0]), &[("ofp_action_push.pad", 6..8)]);
            }
            Action::PopMpls(eth) => {
                let [e0, e1] = eth.to_be_bytes();
                w.padded(
                    &short(t, [e0, e1, 0, 0]),
                    &[("ofp_action_pop_mpls.pad", 6..8)],
                );
            }
            Action::SetQueue(id) | Action::Group(id) => w.bytes(&short(t, id.to_be_bytes())),
            Action::SetField(oxm) => {
                let oxm_len = oxm.encoded_len();
                let len = (4 + oxm_len).div_ceil(8) * 8;
                tlv::header(w, t, len, LEN_FIELD)?;
                oxm.encode(w)?;
                w.pad("ofp_action_set_field.pad", len - 4 - oxm_len);
            }
            Action::Experimenter { experimenter, data } => {
                tlv::header(w, t, 8 + data.len(), LEN_FIELD)?;
                w.u32(*experimenter);
                w.bytes(data);
            }
            Action::Unknown { action_type, data } => {
                if *action_type == OFPAT_SET_FIELD
                    || *action_type == OFPAT_EXPERIMENTER
                    || fixed_layout(*action_type).is_some()
                {
                    return Err(tlv::typed_type("ofp_action_header.type", *action_type));
                }
                tlv::header(w, t, 4 + data.len(), LEN_FIELD)?;
                w.bytes(data);
            }
        }
        Ok(())
    }
}

/// The 8 bytes of an action of type `action_type` whose body after the type/len header is
/// `body` (`len` = 8).
fn short(action_type: u16, body: [u8; 4]) -> [u8; 8] {
    let [t0, t1] = action_type.to_be_bytes();
    let [b0, b1, b2, b3] = body;
    [t0, t1, 0, 8, b0, b1, b2, b3]
}

/// Decodes a list of actions filling all of `r` (an action list, `actions_len` bytes).
pub(crate) fn decode_actions(r: &mut Reader<'_>) -> Result<Vec<Action>, DecodeError> {
    let base = r.offset();
    decode_action_bytes(r.take_rest(), base)
}

/// Decodes the list of actions filling `b`, whose first byte is at absolute offset `base`.
pub(crate) fn decode_action_bytes(b: &[u8], base: usize) -> Result<Vec<Action>, DecodeError> {
    tlv::decode_list(b, base, &HEADER, Action::decode_into)
}

/// Encodes a list of actions back to back.
pub(crate) fn encode_actions(actions: &[Action], w: &mut Writer<'_>) -> Result<(), EncodeError> {
    actions.iter().try_for_each(|a| a.encode(w))
}

/// Writes actions comma-separated (`output:1,group:2`), `drop` when empty.
pub(crate) fn fmt_actions(f: &mut fmt::Formatter<'_>, actions: &[Action]) -> fmt::Result {
    if actions.is_empty() {
        return f.write_str("drop");
    }
    for (i, a) in actions.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

/// Displays a port number, by name when reserved.
pub(crate) struct PortNo(pub u32);

impl fmt::Display for PortNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match reserved_port_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for Action {
    /// `ovs-ofctl`-like text: `output:6`, `output:controller:128`, `push_vlan:0x8100`,
    /// `set_field:ipv4_src=10.0.0.1`, `experimenter:0x2320:<hex>`, `unknown:7:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Output { port, max_len } if *port == OFPP_CONTROLLER => {
                write!(f, "output:controller:{max_len}")
            }
            Action::Output { port, .. } => write!(f, "output:{}", PortNo(*port)),
            Action::CopyTtlOut => f.write_str("copy_ttl_out"),
            Action::CopyTtlIn => f.write_str("copy_ttl_in"),
            Action::SetMplsTtl(t) => write!(f, "set_mpls_ttl:{t}"),
            Action::DecMplsTtl => f.write_str("dec_mpls_ttl"),
            Action::PushVlan(e) => write!(f, "push_vlan:{e:#06x}"),
            Action::PopVlan => f.write_str("pop_vlan"),
            Action::PushMpls(e) => write!(f, "push_mpls:{e:#06x}"),
            Action::PopMpls(e) => write!(f, "pop_mpls:{e:#06x}"),
            Action::SetQueue(q) => write!(f, "set_queue:{q}"),
            Action::Group(g) => write!(f, "group:{g}"),
            Action::SetNwTtl(t) => write!(f, "set_nw_ttl:{t}"),
            Action::DecNwTtl => f.write_str("dec_ttl"),
            Action::SetField(oxm) => write!(f, "set_field:{oxm}"),
            Action::PushPbb(e) => write!(f, "push_pbb:{e:#06x}"),
            Action::PopPbb => f.write_str("pop_pbb"),
            Action::Experimenter { experimenter, data } => {
                write!(f, "experimenter:{experimenter:#x}:{}", hex_bytes(data))
            }
            Action::Unknown { action_type, data } => {
                write!(f, "unknown:{action_type}:{}", hex_bytes(data))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Oxm;
    use crate::strategies::{arb_action, arb_actions};
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn enc(a: &Action) -> Vec<u8> {
        let mut v = Vec::new();
        a.encode(&mut Writer::new(&mut v)).unwrap();
        v
    }

    /// Decodes `b`, which must hold exactly one action, at offset 64.
    fn dec(b: &[u8]) -> Result<Action, DecodeError> {
        let mut list = decode_action_bytes(b, 64)?;
        assert_eq!(list.len(), 1, "one action");
        Ok(list.remove(0))
    }

    #[test]
    fn golden_output_and_group() {
        // §7.2.5: output to port 6, max_len 0xffff, 6 pad bytes.
        let b = [0, 0, 0, 16, 0, 0, 0, 6, 0xff, 0xff, 0, 0, 0, 0, 0, 0];
        assert_eq!(dec(&b), Ok(Action::output(6)));
        assert_eq!(enc(&Action::output(6)), b);
        let b = [0, 22, 0, 8, 0, 0, 0, 99];
        assert_eq!(dec(&b), Ok(Action::Group(99)));
        assert_eq!(enc(&Action::Group(99)), b);
    }

    #[test]
    fn golden_set_field_pads_to_eight() {
        // set_field ipv4_dst=10.0.0.1: 4 + 8 = 12 → len 16.
        let a = Action::SetField(Oxm::Ipv4Dst(Ipv4Addr::new(10, 0, 0, 1), None));
        let b = [0, 25, 0, 16, 0x80, 0, 0x18, 4, 10, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(enc(&a), b);
        assert_eq!(dec(&b), Ok(a.clone()));
        assert_eq!(a.to_string(), "set_field:ipv4_dst=10.0.0.1");
        // Same action claiming 24 bytes is refused.
        let mut long = b.to_vec();
        long[3] = 24;
        long.extend([0; 8]);
        assert!(matches!(
            dec(&long),
            Err(DecodeError::BadLength {
                what: "ofp_action_set_field",
                offset: 64,
                ..
            })
        ));
    }

    #[test]
    fn nicira_action_round_trips_raw() {
        // Nicira NXAST_NOTE from ovs-ofctl: experimenter 0x2320, subtype 8.
        let b = [0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 0, 8, 4, 5, 6, 7, 0, 0];
        let a = dec(&b).unwrap();
        assert_eq!(
            a,
            Action::Experimenter {
                experimenter: NX_EXPERIMENTER_ID,
                data: vec![0, 8, 4, 5, 6, 7, 0, 0]
            }
        );
        assert_eq!(enc(&a), b);
    }

    #[test]
    fn bad_lengths_are_reported_with_offsets() {
        // len 4: below the 8-byte header.
        assert_eq!(
            dec(&[0, 0, 0, 4]),
            Err(DecodeError::BadLength {
                what: "ofp_action_header",
                offset: 64,
                expected: ">= 8 and a multiple of 8".into(),
                found: 4
            })
        );
        // len 0 must not loop.
        assert!(decode_actions(&mut Reader::new(&[0, 0, 0, 0])).is_err());
        // Output with len 8.
        assert!(matches!(
            dec(&[0, 0, 0, 8, 0, 0, 0, 1]),
            Err(DecodeError::BadLength {
                what: "ofp_action_output",
                found: 8,
                ..
            })
        ));
        // len beyond the bytes present.
        assert!(matches!(
            dec(&[0, 22, 0, 16, 0, 0, 0, 1]),
            Err(DecodeError::BadLength { found: 16, .. })
        ));
        // Truncated header.
        assert!(matches!(
            dec(&[0, 22, 0]),
            Err(DecodeError::Truncated { offset: 66, .. })
        ));
    }

    #[test]
    fn unknown_with_a_known_type_is_an_encode_error() {
        for action_type in [OFPAT_OUTPUT, OFPAT_SET_FIELD, OFPAT_EXPERIMENTER] {
            let a = Action::Unknown {
                action_type,
                data: vec![0; 4],
            };
            let mut v = Vec::new();
            assert!(a.encode(&mut Writer::new(&mut v)).is_err(), "{action_type}");
        }
    }

    #[test]
    fn misaligned_raw_action_is_an_encode_error() {
        let a = Action::Experimenter {
            experimenter: NX_EXPERIMENTER_ID,
            data: vec![1, 2, 3],
        };
        let mut v = Vec::new();
        assert!(matches!(
            a.encode(&mut Writer::new(&mut v)),
            Err(EncodeError::BadValue { .. })
        ));
    }

    #[test]
    fn display() {
        assert_eq!(Action::output(OFPP_FLOOD).to_string(), "output:flood");
        assert_eq!(
            Action::Output {
                port: OFPP_CONTROLLER,
                max_len: 128
            }
            .to_string(),
            "output:controller:128"
        );
        assert_eq!(Action::PushVlan(0x8100).to_string(), "push_vlan:0x8100");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn round_trip(a in arb_action()) {
            let bytes = enc(&a);
            prop_assert_eq!(bytes.len(), a.encoded_len());
            let back = dec(&bytes);
            prop_assert_eq!(back, Ok(a));
        }

        #[test]
        fn list_round_trip(list in arb_actions()) {
            let mut v = Vec::new();
            encode_actions(&list, &mut Writer::new(&mut v)).unwrap();
            let back = decode_actions(&mut Reader::new(&v)).unwrap();
            prop_assert_eq!(back, list);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(list) = decode_actions(&mut Reader::new(&bytes)) {
                let mut v = Vec::new();
                encode_actions(&list, &mut Writer::new(&mut v)).unwrap();
                prop_assert_eq!(v.len(), bytes.len());
            }
        }
    }
}
