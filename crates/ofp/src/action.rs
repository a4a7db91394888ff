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
use crate::oxm::{OxmRef, hex_bytes};
use crate::tlv::{self, Item};
use crate::wire::{Reader, Sink, words16};
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

    /// Encodes the action, computing `len` and writing zero padding.
    ///
    /// Experimenter and unknown actions are written byte for byte; their `data` must make
    /// the action a multiple of 8 bytes long, as the spec requires, or
    /// [`EncodeError::BadValue`] is returned (as it is for an [`Action::Unknown`] whose
    /// type has a typed variant, which would not decode back).
    #[inline(always)]
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        // Fixed-size actions are built in registers and appended at once.
        if let Some((word, pads)) = self.short_image() {
            w.padded(&word.to_be_bytes(), pads);
            return Ok(());
        }
        match self {
            Action::Output { port, max_len } => {
                let word = (u64::from(OFPAT_OUTPUT) << 48) | (16 << 32) | u64::from(*port);
                let b = words16(word, u64::from(*max_len) << 48);
                w.padded(&b, &[("ofp_action_output.pad", 10..16)]);
            }
            Action::SetField(oxm) => match oxm.short_image() {
                // Action header, OXM header, 1 to 8 bytes of payload and padding: 16
                // bytes, two words. (Only a raw TLV can have no payload.)
                Some((header, payload, len)) if len > 0 => {
                    let head = (u64::from(OFPAT_SET_FIELD) << 48) | (16 << 32) | u64::from(header);
                    // `len` is 1 to 8.
                    let pads = [("ofp_action_set_field.pad", (8 + len).min(16)..16)];
                    w.padded(&words16(head, payload), &pads);
                }
                _ => encode_set_field(w, oxm.encoded_len(), |w| oxm.encode(w))?,
            },
            Action::Experimenter { experimenter, data } => match <[u8; 8]>::try_from(&data[..]) {
                // The common 16-byte form (a Nicira header and 6 bytes, say): two words.
                Ok(data) => {
                    let head = (u64::from(OFPAT_EXPERIMENTER) << 48)
                        | (16 << 32)
                        | u64::from(*experimenter);
                    w.bytes(&words16(head, u64::from_be_bytes(data)));
                }
                Err(_) => encode_experimenter(w, *experimenter, data)?,
            },
            Action::Unknown { action_type, data } => encode_unknown(w, *action_type, data)?,
            // The 8-byte actions, written above.
            _ => {}
        }
        Ok(())
    }

    /// The 8 bytes of an action whose structure is 8 bytes long (every fixed-size type
    /// but output), as one big-endian word, and its padding runs (for a recording
    /// writer); `None` for the other actions.
    #[inline(always)]
    fn short_image(&self) -> Option<(u64, PadRuns)> {
        // The type, the 4 bytes after the type/len header, and their padding.
        const GENERIC: PadRuns = &[("ofp_action_generic.pad", 4..8)];
        const TTL: PadRuns = &[("ofp_action_ttl.pad", 5..8)];
        const PUSH: PadRuns = &[("ofp_action_push.pad", 6..8)];
        let (t, body, pads): (u16, u32, PadRuns) = match *self {
            Action::CopyTtlOut => (OFPAT_COPY_TTL_OUT, 0, GENERIC),
            Action::CopyTtlIn => (OFPAT_COPY_TTL_IN, 0, GENERIC),
            Action::DecMplsTtl => (OFPAT_DEC_MPLS_TTL, 0, GENERIC),
            Action::PopVlan => (OFPAT_POP_VLAN, 0, GENERIC),
            Action::DecNwTtl => (OFPAT_DEC_NW_TTL, 0, GENERIC),
            Action::PopPbb => (OFPAT_POP_PBB, 0, GENERIC),
            Action::SetMplsTtl(ttl) => (OFPAT_SET_MPLS_TTL, u32::from(ttl) << 24, TTL),
            Action::SetNwTtl(ttl) => (OFPAT_SET_NW_TTL, u32::from(ttl) << 24, TTL),
            Action::PushVlan(eth) => (OFPAT_PUSH_VLAN, u32::from(eth) << 16, PUSH),
            Action::PushMpls(eth) => (OFPAT_PUSH_MPLS, u32::from(eth) << 16, PUSH),
            Action::PushPbb(eth) => (OFPAT_PUSH_PBB, u32::from(eth) << 16, PUSH),
            Action::PopMpls(eth) => (
                OFPAT_POP_MPLS,
                u32::from(eth) << 16,
                &[("ofp_action_pop_mpls.pad", 6..8)],
            ),
            Action::SetQueue(id) => (OFPAT_SET_QUEUE, id, &[]),
            Action::Group(id) => (OFPAT_GROUP, id, &[]),
            _ => return None,
        };
        Some(((u64::from(t) << 48) | (8 << 32) | u64::from(body), pads))
    }
}

/// Padding runs of a structure (C name, byte range), for [`Sink::padded`].
type PadRuns = &'static [(&'static str, std::ops::Range<usize>)];

/// Writes a set-field action whose OXM (`oxm_len` bytes) `oxm` writes, padded to 8.
#[inline(always)]
fn encode_set_field<S: Sink>(
    w: &mut S,
    oxm_len: usize,
    oxm: impl FnOnce(&mut S) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let len = (4 + oxm_len).div_ceil(8) * 8;
    tlv::header(w, OFPAT_SET_FIELD, len, LEN_FIELD)?;
    oxm(w)?;
    w.pad("ofp_action_set_field.pad", len - 4 - oxm_len);
    Ok(())
}

/// Writes an experimenter action byte for byte.
#[inline(always)]
fn encode_experimenter(
    w: &mut impl Sink,
    experimenter: u32,
    data: &[u8],
) -> Result<(), EncodeError> {
    tlv::header(w, OFPAT_EXPERIMENTER, 8 + data.len(), LEN_FIELD)?;
    w.u32(experimenter);
    w.bytes(data);
    Ok(())
}

/// Writes an action of a type this crate does not know byte for byte (refusing a typed
/// type, which would not decode back as unknown).
#[inline(always)]
fn encode_unknown(w: &mut impl Sink, action_type: u16, data: &[u8]) -> Result<(), EncodeError> {
    if action_type == OFPAT_SET_FIELD
        || action_type == OFPAT_EXPERIMENTER
        || fixed_layout(action_type).is_some()
    {
        return Err(tlv::typed_type("ofp_action_header.type", action_type));
    }
    tlv::header(w, action_type, 4 + data.len(), LEN_FIELD)?;
    w.bytes(data);
    Ok(())
}

/// One action borrowed from a received message: [`Action`] without the copies of raw
/// bytes. Yielded by [`ActionsRef::iter`]; [`ActionRef::into_owned`] gives the [`Action`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActionRef<'a> {
    /// An action of one of the fixed-size types (output, group, push/pop, TTL, queue:
    /// every type but set-field, experimenter and unknown), in its owned form, which
    /// holds no heap data. Never [`Action::SetField`], [`Action::Experimenter`] or
    /// [`Action::Unknown`].
    Plain(Action),
    /// `OFPAT_SET_FIELD` (25), the OXM borrowed.
    SetField(OxmRef<'a>),
    /// `OFPAT_EXPERIMENTER` (0xffff), kept raw.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the experimenter id, padding included, borrowed.
        data: &'a [u8],
    },
    /// An action type this crate does not know, kept raw.
    Unknown {
        /// `type` field.
        action_type: u16,
        /// Everything after the 4-byte type/len header, borrowed.
        data: &'a [u8],
    },
}

impl<'a> ActionRef<'a> {
    /// The owned form (copies raw bytes).
    #[inline(always)]
    pub fn into_owned(self) -> Action {
        match self {
            ActionRef::Plain(a) => a,
            ActionRef::SetField(OxmRef::Typed(oxm)) => Action::SetField(oxm),
            other => other.into_owned_unplain(),
        }
    }

    /// [`ActionRef::into_owned`] of the variants that borrow bytes (kept out of the hot
    /// path).
    #[inline(never)]
    fn into_owned_unplain(self) -> Action {
        match self {
            ActionRef::Plain(a) => a,
            ActionRef::SetField(oxm) => Action::SetField(oxm.into_owned()),
            ActionRef::Experimenter { experimenter, data } => Action::Experimenter {
                experimenter,
                data: data.to_vec(),
            },
            ActionRef::Unknown { action_type, data } => Action::Unknown {
                action_type,
                data: data.to_vec(),
            },
        }
    }

    /// The `type` field (`OFPAT_*`).
    #[inline]
    pub fn action_type(&self) -> u16 {
        match self {
            ActionRef::Plain(a) => a.action_type(),
            ActionRef::SetField(_) => OFPAT_SET_FIELD,
            ActionRef::Experimenter { .. } => OFPAT_EXPERIMENTER,
            ActionRef::Unknown { action_type, .. } => *action_type,
        }
    }

    /// Decodes one action (§7.2.5) framed as `item` (its `len` is a multiple of 8, at
    /// least 8 and within the bytes present); `len` must be exactly the structure's size
    /// for fixed-size actions. Bytes a typed action leaves unread are its padding (checked
    /// by `validate`). This is the crate's one action parser.
    #[inline]
    fn parse(item: Item<'a>) -> Result<Self, DecodeError> {
        ActionRef::parse_with(item, |a| a)
    }

    /// [`ActionRef::parse`], handing the action to `emit` where it is built, so a caller
    /// that stores or converts it (the owned decoder's `push(a.into_owned())`) does so in
    /// place instead of through a `Result`.
    #[inline(always)]
    fn parse_with<R>(
        item: Item<'a>,
        emit: impl FnOnce(ActionRef<'a>) -> R,
    ) -> Result<R, DecodeError> {
        let be16 = u16::from_be_bytes;
        let be32 = u32::from_be_bytes;
        // Fixed-size actions: the slice pattern checks the size and takes the fields.
        let plain = match (item.item_type, item.body) {
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
                let mut b = Reader::with_base(body, item.start + 4);
                let oxm = OxmRef::parse(&mut b)?;
                let want = (4 + (body.len() - b.remaining())).div_ceil(8) * 8;
                if item.len() != want {
                    return Err(item.wrong_size("ofp_action_set_field", want));
                }
                return Ok(emit(ActionRef::SetField(oxm)));
            }
            (OFPAT_EXPERIMENTER, &[e0, e1, e2, e3, ref data @ ..]) => {
                return Ok(emit(ActionRef::Experimenter {
                    experimenter: be32([e0, e1, e2, e3]),
                    data,
                }));
            }
            (action_type, body) => {
                return match fixed_layout(action_type) {
                    Some((name, want)) => Err(item.wrong_size(name, want)),
                    None => Ok(emit(ActionRef::Unknown {
                        action_type,
                        data: body,
                    })),
                };
            }
        };
        Ok(emit(ActionRef::Plain(plain)))
    }

    /// Encodes the action as [`Action`]'s encoder does.
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        match self {
            ActionRef::Plain(a) => a.encode(w),
            ActionRef::SetField(oxm) => encode_set_field(w, oxm.encoded_len(), |w| oxm.encode(w)),
            ActionRef::Experimenter { experimenter, data } => {
                encode_experimenter(w, *experimenter, data)
            }
            ActionRef::Unknown { action_type, data } => encode_unknown(w, *action_type, data),
        }
    }
}

impl<'a> From<&'a Action> for ActionRef<'a> {
    /// The borrowed form of an owned action (raw bytes are borrowed, not copied).
    fn from(a: &'a Action) -> Self {
        match a {
            Action::SetField(Oxm::Raw(raw)) => ActionRef::SetField(OxmRef::Raw(raw.view())),
            Action::SetField(typed) => ActionRef::SetField(OxmRef::Typed(typed.clone())),
            Action::Experimenter { experimenter, data } => ActionRef::Experimenter {
                experimenter: *experimenter,
                data,
            },
            Action::Unknown { action_type, data } => ActionRef::Unknown {
                action_type: *action_type,
                data,
            },
            plain => ActionRef::Plain(plain.clone()),
        }
    }
}

/// A list of actions borrowed from a received message (an `ofp_instruction_actions`
/// body), decoded as they are iterated ([`ActionsRef::iter`]).
///
/// Every action was checked when the view was made (the checks [`Action`]'s decoder
/// makes, with the same errors), so iterating cannot fail and yields [`ActionRef`]s, not
/// `Result`s.
#[derive(Debug, Clone, Copy)]
pub struct ActionsRef<'a> {
    /// The actions' bytes.
    bytes: &'a [u8],
    /// Absolute offset of `bytes[0]` in the message.
    base: usize,
}

impl<'a> ActionsRef<'a> {
    /// Checks that actions exactly fill `b` (whose first byte is at absolute offset
    /// `base`), each one well-formed.
    #[inline]
    pub(crate) fn parse(b: &'a [u8], base: usize) -> Result<Self, DecodeError> {
        // `forget`: a parsed action holds no heap data (see `ActionRef::Plain`), and
        // skipping its drop lets the compiler drop the unused value's construction.
        tlv::walk(b, base, &HEADER, |item| {
            ActionRef::parse_with(item, std::mem::forget)
        })?;
        Ok(ActionsRef { bytes: b, base })
    }

    /// The view of `b` without checking it: only for bytes [`ActionsRef::parse`] accepted
    /// (inside a checked instruction list), or to be decoded with
    /// [`ActionsRef::into_checked_vec`].
    #[inline]
    pub(crate) fn trusted(b: &'a [u8], base: usize) -> Self {
        ActionsRef { bytes: b, base }
    }

    /// The actions in wire order.
    #[inline]
    pub fn iter(&self) -> ActionIter<'a> {
        ActionIter {
            items: tlv::Items::new(self.bytes, self.base),
        }
    }

    /// Number of actions (counted from the length fields: O(n)).
    #[inline]
    pub fn len(&self) -> usize {
        tlv::count(self.bytes)
    }

    /// True when the list holds no action.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The actions' bytes as received.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The owned actions (one allocation for the list, one per raw action or raw
    /// set-field OXM).
    #[inline]
    pub fn to_vec(&self) -> Vec<Action> {
        let mut out = Vec::with_capacity(self.len());
        out.extend(self.iter().map(ActionRef::into_owned));
        out
    }

    /// The owned actions of a list [`ActionsRef::trusted`] wraps but nobody checked yet:
    /// decoded with the checks (and errors) of [`ActionsRef::parse`].
    #[inline]
    pub(crate) fn into_checked_vec(self) -> Result<Vec<Action>, DecodeError> {
        decode_action_bytes(self.bytes, self.base)
    }

    /// Encodes the actions as [`Action`]'s encoder does.
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        self.iter().try_for_each(|a| a.encode(w))
    }
}

crate::tlv::list_view_impls!(ActionsRef, bytes, ActionRef, ActionIter);

/// The actions of an [`ActionsRef`], decoded one by one.
#[derive(Debug, Clone)]
pub struct ActionIter<'a> {
    items: tlv::Items<'a>,
}

impl<'a> Iterator for ActionIter<'a> {
    type Item = ActionRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<ActionRef<'a>> {
        let item = self.items.next()?;
        // The list was checked by `ActionsRef::parse`, so this parse cannot fail; if it
        // did, the iterator would simply end.
        match ActionRef::parse(item) {
            Ok(a) => Some(a),
            Err(_) => {
                self.items.stop();
                None
            }
        }
    }
}

impl std::iter::FusedIterator for ActionIter<'_> {}

/// Decodes a list of actions filling all of `r` (an action list, `actions_len` bytes).
pub(crate) fn decode_actions(r: &mut Reader<'_>) -> Result<Vec<Action>, DecodeError> {
    let base = r.offset();
    decode_action_bytes(r.take_rest(), base)
}

/// Decodes the list of actions filling `b`, whose first byte is at absolute offset `base`:
/// the checks of [`ActionsRef::parse`], in the same order, in one pass that builds the
/// actions.
#[inline]
pub(crate) fn decode_action_bytes(b: &[u8], base: usize) -> Result<Vec<Action>, DecodeError> {
    let mut out = Vec::with_capacity(tlv::count(b));
    tlv::walk(b, base, &HEADER, |item| {
        ActionRef::parse_with(
            item,
            // Inlined at each construction site, so a plain action goes straight into
            // the `Vec`.
            #[inline(always)]
            |a| out.push(a.into_owned()),
        )
    })?;
    Ok(out)
}

/// Encodes a list of actions back to back.
pub(crate) fn encode_actions(actions: &[Action], w: &mut impl Sink) -> Result<(), EncodeError> {
    w.local(|w| actions.iter().try_for_each(|a| a.encode(w)))
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
    use crate::wire::Writer;
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
    fn set_fields_take_8_or_16_bytes_by_payload() {
        // A raw TLV with no payload: action header and OXM header only.
        let empty = Action::SetField(Oxm::Raw(crate::RawOxm {
            class: 0xffff,
            field: 1,
            has_mask: false,
            payload: vec![],
        }));
        // 1 and 8 bytes of payload: one 16-byte action either way.
        let one = Action::SetField(Oxm::IpDscp(46));
        let eight = Action::SetField(Oxm::TunnelId(0x0102_0304_0506_0708, None));
        let mut v = Vec::new();
        encode_actions(&[empty, one, eight], &mut Writer::new(&mut v)).unwrap();
        assert_eq!(
            v,
            [
                0, 25, 0, 8, 0xff, 0xff, 2, 0, //
                0, 25, 0, 16, 0x80, 0, 0x10, 1, 46, 0, 0, 0, 0, 0, 0, 0, //
                0, 25, 0, 16, 0x80, 0, 0x4c, 8, 1, 2, 3, 4, 5, 6, 7, 8,
            ]
        );
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

        /// The borrowed view of an action list yields what the owned decoder builds,
        /// and re-encodes to the same bytes.
        #[test]
        fn view_round_trip(list in arb_actions()) {
            let mut v = Vec::new();
            encode_actions(&list, &mut Writer::new(&mut v)).unwrap();
            let view = ActionsRef::parse(&v, 16).unwrap();
            prop_assert_eq!(view.len(), list.len());
            prop_assert_eq!(view.to_vec(), list.clone());
            let borrowed: Vec<ActionRef<'_>> = list.iter().map(ActionRef::from).collect();
            prop_assert_eq!(view.iter().collect::<Vec<_>>(), borrowed);
            let mut again = Vec::new();
            view.encode(&mut Writer::new(&mut again)).unwrap();
            prop_assert_eq!(again, v);
        }

        /// On any bytes, the view accepts exactly what the owned decoder accepts, with the
        /// same error.
        #[test]
        fn view_and_owned_agree_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            match (ActionsRef::parse(&bytes, 16), decode_action_bytes(&bytes, 16)) {
                (Ok(view), Ok(list)) => prop_assert_eq!(view.to_vec(), list),
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "view {:?}, owned {:?}", a, b),
            }
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
