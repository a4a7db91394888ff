//! `OFPT_FLOW_MOD` (OpenFlow 1.3.5 §7.3.4.2): add, modify or delete flow entries.

use crate::{Instruction, Match};

/// `OFP_NO_BUFFER`: the flow mod refers to no buffered packet.
pub const OFP_NO_BUFFER: u32 = 0xffff_ffff;
/// `OFPP_ANY`: wildcard port for `out_port` filters.
pub const OFPP_ANY: u32 = 0xffff_ffff;
/// `OFPG_ANY`: wildcard group for `out_group` filters.
pub const OFPG_ANY: u32 = 0xffff_ffff;
/// `OFPTT_ALL`: every table (delete commands, flow stats requests).
pub const OFPTT_ALL: u8 = 0xff;

/// `ofp_flow_mod_command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FlowModCommand {
    /// `OFPFC_ADD` (0).
    #[default]
    Add,
    /// `OFPFC_MODIFY` (1).
    Modify,
    /// `OFPFC_MODIFY_STRICT` (2).
    ModifyStrict,
    /// `OFPFC_DELETE` (3).
    Delete,
    /// `OFPFC_DELETE_STRICT` (4).
    DeleteStrict,
    /// A command value the spec does not define, kept so the message round-trips.
    Unknown(u8),
}

impl FlowModCommand {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            FlowModCommand::Add => 0,
            FlowModCommand::Modify => 1,
            FlowModCommand::ModifyStrict => 2,
            FlowModCommand::Delete => 3,
            FlowModCommand::DeleteStrict => 4,
            FlowModCommand::Unknown(v) => v,
        }
    }

    /// From the wire value (undefined values become [`FlowModCommand::Unknown`]).
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => FlowModCommand::Add,
            1 => FlowModCommand::Modify,
            2 => FlowModCommand::ModifyStrict,
            3 => FlowModCommand::Delete,
            4 => FlowModCommand::DeleteStrict,
            v => FlowModCommand::Unknown(v),
        }
    }
}

/// `ofp_flow_mod_flags` bits.
pub mod flow_mod_flags {
    /// `OFPFF_SEND_FLOW_REM`: send FLOW_REMOVED when the entry expires or is deleted.
    pub const SEND_FLOW_REM: u16 = 1 << 0;
    /// `OFPFF_CHECK_OVERLAP`: refuse to add an overlapping entry.
    pub const CHECK_OVERLAP: u16 = 1 << 1;
    /// `OFPFF_RESET_COUNTS`: reset the entry's counters.
    pub const RESET_COUNTS: u16 = 1 << 2;
    /// `OFPFF_NO_PKT_COUNTS`: don't keep packet counts.
    pub const NO_PKT_COUNTS: u16 = 1 << 3;
    /// `OFPFF_NO_BYT_COUNTS`: don't keep byte counts.
    pub const NO_BYT_COUNTS: u16 = 1 << 4;
}

/// `ofp_flow_mod`: the body of an `OFPT_FLOW_MOD` message.
///
/// Lengths and padding are computed on encode; build one with [`FlowMod::add`] and the
/// struct's public fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FlowMod {
    /// Opaque controller-issued identifier.
    pub cookie: u64,
    /// Mask restricting the cookie bits that modify/delete commands must match.
    pub cookie_mask: u64,
    /// Table to put the entry in (or [`OFPTT_ALL`] for deletes).
    pub table_id: u8,
    /// What to do.
    pub command: FlowModCommand,
    /// Idle time before discarding (seconds); 0 = never.
    pub idle_timeout: u16,
    /// Max time before discarding (seconds); 0 = never.
    pub hard_timeout: u16,
    /// Priority of the entry.
    pub priority: u16,
    /// Buffered packet to apply to, or [`OFP_NO_BUFFER`].
    pub buffer_id: u32,
    /// For delete commands: require entries to output to this port ([`OFPP_ANY`] = any).
    pub out_port: u32,
    /// For delete commands: require entries to output to this group ([`OFPG_ANY`] = any).
    pub out_group: u32,
    /// `OFPFF_*` flags, see [`flow_mod_flags`].
    pub flags: u16,
    /// Fields to match.
    #[cfg_attr(feature = "serde", serde(rename = "match"))]
    pub match_: Match,
    /// Instructions of the entry.
    pub instructions: Vec<Instruction>,
}

impl FlowMod {
    /// An `OFPFC_ADD` into `table_id` at `priority`, with no timeouts, no buffer, cookie 0,
    /// wildcard `out_port`/`out_group` and no flags.
    pub fn add(table_id: u8, priority: u16, match_: Match, instructions: Vec<Instruction>) -> Self {
        FlowMod {
            cookie: 0,
            cookie_mask: 0,
            table_id,
            command: FlowModCommand::Add,
            idle_timeout: 0,
            hard_timeout: 0,
            priority,
            buffer_id: OFP_NO_BUFFER,
            out_port: OFPP_ANY,
            out_group: OFPG_ANY,
            flags: 0,
            match_,
            instructions,
        }
    }
}
