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
