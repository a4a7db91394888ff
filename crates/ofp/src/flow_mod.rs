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

/// Bytes of `ofp_flow_mod` between the header and the match (cookie through pad).
pub(crate) const OFP_FLOW_MOD_FIXED_LEN: usize = 40;

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

use crate::error::{DecodeError, EncodeError};
use crate::instruction::{decode_instructions, encode_instructions};
use crate::wire::{Fixed, Reader, Writer};
use std::fmt;

impl FlowMod {
    /// Decodes the body of an `OFPT_FLOW_MOD` (everything after the 8-byte header);
    /// consumes all of `r`.
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let cookie = r.u64("ofp_flow_mod.cookie")?;
        let cookie_mask = r.u64("ofp_flow_mod.cookie_mask")?;
        let table_id = r.u8("ofp_flow_mod.table_id")?;
        let command = FlowModCommand::from_u8(r.u8("ofp_flow_mod.command")?);
        let idle_timeout = r.u16("ofp_flow_mod.idle_timeout")?;
        let hard_timeout = r.u16("ofp_flow_mod.hard_timeout")?;
        let priority = r.u16("ofp_flow_mod.priority")?;
        let buffer_id = r.u32("ofp_flow_mod.buffer_id")?;
        let out_port = r.u32("ofp_flow_mod.out_port")?;
        let out_group = r.u32("ofp_flow_mod.out_group")?;
        let flags = r.u16("ofp_flow_mod.flags")?;
        r.skip("ofp_flow_mod.pad", 2)?;
        let match_ = Match::decode(r)?;
        let instructions = decode_instructions(r)?;
        Ok(FlowMod {
            cookie,
            cookie_mask,
            table_id,
            command,
            idle_timeout,
            hard_timeout,
            priority,
            buffer_id,
            out_port,
            out_group,
            flags,
            match_,
            instructions,
        })
    }

    /// Encodes the body of an `OFPT_FLOW_MOD`.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let fixed = Fixed::<OFP_FLOW_MOD_FIXED_LEN>::new()
            .put(&self.cookie.to_be_bytes())
            .put(&self.cookie_mask.to_be_bytes())
            .put(&[self.table_id, self.command.to_u8()])
            .put(&self.idle_timeout.to_be_bytes())
            .put(&self.hard_timeout.to_be_bytes())
            .put(&self.priority.to_be_bytes())
            .put(&self.buffer_id.to_be_bytes())
            .put(&self.out_port.to_be_bytes())
            .put(&self.out_group.to_be_bytes())
            .put(&self.flags.to_be_bytes())
            .zeros(2);
        w.padded(fixed.bytes(), &[("ofp_flow_mod.pad", 38..40)]);
        self.match_.encode(w)?;
        encode_instructions(&self.instructions, w)
    }
}

impl fmt::Display for FlowModCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowModCommand::Add => f.write_str("add"),
            FlowModCommand::Modify => f.write_str("modify"),
            FlowModCommand::ModifyStrict => f.write_str("modify_strict"),
            FlowModCommand::Delete => f.write_str("delete"),
            FlowModCommand::DeleteStrict => f.write_str("delete_strict"),
            FlowModCommand::Unknown(v) => write!(f, "command{v}"),
        }
    }
}

impl fmt::Display for FlowMod {
    /// `add table=0 priority=123 cookie=0x0 match=in_port=6 instructions=goto_table:1`,
    /// plus non-default timeouts, buffer, out_port/out_group and flags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} table={} priority={} cookie={:#x}",
            self.command, self.table_id, self.priority, self.cookie
        )?;
        if self.cookie_mask != 0 {
            write!(f, "/{:#x}", self.cookie_mask)?;
        }
        if self.idle_timeout != 0 {
            write!(f, " idle_timeout={}", self.idle_timeout)?;
        }
        if self.hard_timeout != 0 {
            write!(f, " hard_timeout={}", self.hard_timeout)?;
        }
        if self.buffer_id != OFP_NO_BUFFER {
            write!(f, " buffer_id={:#x}", self.buffer_id)?;
        }
        if self.out_port != OFPP_ANY {
            write!(f, " out_port={}", crate::action::PortNo(self.out_port))?;
        }
        if self.out_group != OFPG_ANY {
            write!(f, " out_group={}", self.out_group)?;
        }
        if self.flags != 0 {
            write!(f, " flags={:#x}", self.flags)?;
        }
        write!(f, " match={} instructions=", self.match_)?;
        if self.instructions.is_empty() {
            return f.write_str("drop");
        }
        for (i, ins) in self.instructions.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{ins}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::arb_flow_mod;
    use crate::{MacAddr, Oxm};
    use proptest::prelude::*;

    /// Body of Ryu's `4-3-ofp_flow_mod.packet` (the README's example 2).
    const RYU_4_3_BODY: &str = "0000000000000000 0000000000000000 00 00 0000 0000 007b \
        0000ffff ffffffff ffffffff 0000 0000 \
        0001 0016 80000004 00000006 80000806 f20ba47df8ea 0000 \
        0001 0008 01 000000";

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        hex::decode(s).unwrap()
    }

    fn enc(fm: &FlowMod) -> Vec<u8> {
        let mut v = Vec::new();
        fm.encode_body(&mut Writer::new(&mut v)).unwrap();
        v
    }

    #[test]
    fn golden_ryu_4_3_body() {
        let b = unhex(RYU_4_3_BODY);
        let mut fm = FlowMod::add(
            0,
            123,
            Match::new().with(Oxm::InPort(6)).with(Oxm::EthSrc(
                "f2:0b:a4:7d:f8:ea".parse::<MacAddr>().unwrap(),
                None,
            )),
            vec![Instruction::GotoTable(1)],
        );
        fm.buffer_id = 0xffff;
        let mut r = Reader::with_base(&b, 8);
        assert_eq!(FlowMod::decode_body(&mut r), Ok(fm.clone()));
        assert!(r.is_empty());
        assert_eq!(enc(&fm), b);
        assert_eq!(
            fm.to_string(),
            "add table=0 priority=123 cookie=0x0 buffer_id=0xffff \
             match=in_port=6,eth_src=f2:0b:a4:7d:f8:ea instructions=goto_table:1"
        );
    }

    #[test]
    fn truncations_report_absolute_offsets() {
        let b = unhex(RYU_4_3_BODY);
        // Cut inside the fixed part: flags at body offset 36 (message offset 44).
        let e = FlowMod::decode_body(&mut Reader::with_base(&b[..37], 8)).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "ofp_flow_mod.flags",
                offset: 44,
                needed: 2,
                available: 1
            }
        );
        // Cut inside the instruction (message offset 72).
        let e = FlowMod::decode_body(&mut Reader::with_base(&b[..68], 8)).unwrap_err();
        assert!(matches!(
            e,
            DecodeError::BadLength {
                what: "ofp_instruction",
                offset: 72,
                ..
            }
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn round_trip(fm in arb_flow_mod()) {
            let bytes = enc(&fm);
            let mut r = Reader::with_base(&bytes, 8);
            prop_assert_eq!(FlowMod::decode_body(&mut r), Ok(fm));
            prop_assert!(r.is_empty());
        }
    }
}
