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
///
/// `Unknown(v)` is meant for values the spec does not define: `Unknown(0)` encodes as 0,
/// which decodes as [`FlowModCommand::Add`]. [`FlowModCommand::from_u8`], the decoder and
/// the `arbitrary` implementation always give the named variant for 0..=4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

/// An arbitrary wire value, canonical: 0..=4 give their named variant, never `Unknown`.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for FlowModCommand {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        u8::arbitrary(u).map(FlowModCommand::from_u8)
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u8::size_hint(depth)
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
use crate::flow_match::MatchRef;
use crate::header::{OFP_HEADER_LEN, OFP_VERSION, OFPT_FLOW_MOD};
use crate::instruction::{
    InstructionsRef, OFP_INSTRUCTION_MIN_LEN, decode_instructions, encode_instructions,
};
use crate::message::{append_or_restore, append_windowed, decode_typed, write_message};
use crate::wire::{Reader, Sink};
use std::fmt;

/// The fixed part of `ofp_flow_mod` (cookie through pad) of `$fm`, a [`FlowModParts`] or a
/// [`FlowModRef`] (same field names), as five big-endian 8-byte words (the last one ends
/// with the 2 bytes of padding): built in registers, appended with one write.
macro_rules! fixed_part {
    ($fm:expr) => {
        [
            $fm.cookie,
            $fm.cookie_mask,
            (u64::from($fm.table_id) << 56)
                | (u64::from($fm.command.to_u8()) << 48)
                | (u64::from($fm.idle_timeout) << 32)
                | (u64::from($fm.hard_timeout) << 16)
                | u64::from($fm.priority),
            (u64::from($fm.buffer_id) << 32) | u64::from($fm.out_port),
            (u64::from($fm.out_group) << 32) | (u64::from($fm.flags) << 16),
        ]
        .map(u64::to_be_bytes)
    };
}

/// Padding of the fixed part, for [`Sink::padded`].
const FIXED_PADS: [(&str, std::ops::Range<usize>); 1] = [("ofp_flow_mod.pad", 38..40)];

impl FlowMod {
    /// Decodes the body of an `OFPT_FLOW_MOD` (everything after the 8-byte header);
    /// consumes all of `r`. One pass over the bytes with the parsers [`FlowModRef`]'s
    /// decoder checks them with ([`read_fixed`], [`Match::decode`] and
    /// `decode_instructions`, in the same order), so both forms accept the same messages
    /// with the same errors.
    #[inline]
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let fixed = read_fixed_part(r)?;
        let match_ = Match::decode(r)?;
        let instructions = decode_instructions(r)?;
        Ok(fixed.with_parts(match_, instructions))
    }

    /// Encodes the body of an `OFPT_FLOW_MOD`.
    #[inline]
    pub(crate) fn encode_body(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        encode_body(self, w)
    }

    /// Appends the whole message (header with `xid` included) to `out`; see
    /// [`FlowModParts::encode_message`].
    #[inline]
    pub(crate) fn encode_message(&self, xid: u32, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_message(self, xid, out)
    }

    /// Bytes to set aside for the message ([`FlowModParts`]'s encoder explains).
    #[inline]
    pub(crate) fn room(&self) -> usize {
        room(self)
    }

    /// This FLOW_MOD as borrowed parts (nothing is copied).
    #[inline]
    pub fn parts(&self) -> FlowModParts<'_> {
        FlowModParts {
            cookie: self.cookie,
            cookie_mask: self.cookie_mask,
            table_id: self.table_id,
            command: self.command,
            idle_timeout: self.idle_timeout,
            hard_timeout: self.hard_timeout,
            priority: self.priority,
            buffer_id: self.buffer_id,
            out_port: self.out_port,
            out_group: self.out_group,
            flags: self.flags,
            match_: &self.match_,
            instructions: &self.instructions,
        }
    }
}

/// A FLOW_MOD to encode whose match and instructions are borrowed: the fields of
/// [`FlowMod`], for callers that keep those parts elsewhere (instructions shared by many
/// flow entries, say) and would otherwise clone them into a `FlowMod` only to send it.
/// [`FlowMod::parts`] gives one of a `FlowMod`; both encode through this, to the same bytes.
///
/// ```
/// use flowfall_ofp::{Action, FlowMod, FlowModParts, Instruction, Match, Message, OfMessage, Oxm};
///
/// // One instruction list that many entries share, say.
/// let shared = vec![Instruction::ApplyActions(vec![Action::output(2)])];
/// let match_ = Match::new().with(Oxm::InPort(1));
/// let mut bytes = Vec::new();
/// FlowModParts::add(0, 100, &match_, &shared).encode_message(7, &mut bytes)?;
///
/// let owned = FlowMod::add(0, 100, match_.clone(), shared.clone());
/// assert_eq!(bytes, OfMessage::new(7, Message::FlowMod(owned)).to_vec()?);
/// # Ok::<(), flowfall_ofp::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowModParts<'a> {
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
    pub match_: &'a Match,
    /// Instructions of the entry.
    pub instructions: &'a [Instruction],
}

impl<'a> FlowModParts<'a> {
    /// An `OFPFC_ADD` into `table_id` at `priority`, with no timeouts, no buffer, cookie 0,
    /// wildcard `out_port`/`out_group` and no flags (as [`FlowMod::add`]).
    pub fn add(
        table_id: u8,
        priority: u16,
        match_: &'a Match,
        instructions: &'a [Instruction],
    ) -> Self {
        FlowModParts {
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

    /// Appends the whole message (header with `xid` included) to `out`, as
    /// [`crate::OfMessage::encode`] does for a [`FlowMod`]: into a zero-filled window set
    /// aside at once, so the writes neither grow the buffer nor write padding; encoded
    /// again through a growing buffer in the rare case the window is too small. On error
    /// ([`EncodeError`], as for a `FlowMod`) `out` is left as it was.
    #[inline]
    pub fn encode_message(&self, xid: u32, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_message(self, xid, out)
    }
}

impl From<FlowModParts<'_>> for FlowMod {
    /// The owned FLOW_MOD (clones the match and the instructions).
    fn from(p: FlowModParts<'_>) -> FlowMod {
        FlowMod {
            cookie: p.cookie,
            cookie_mask: p.cookie_mask,
            table_id: p.table_id,
            command: p.command,
            idle_timeout: p.idle_timeout,
            hard_timeout: p.hard_timeout,
            priority: p.priority,
            buffer_id: p.buffer_id,
            out_port: p.out_port,
            out_group: p.out_group,
            flags: p.flags,
            match_: p.match_.clone(),
            instructions: p.instructions.to_vec(),
        }
    }
}

/// What encoding a FLOW_MOD reads, from a [`FlowMod`] or from [`FlowModParts`]: one
/// encoder for both, which reads either in place (copying the fields into a
/// `FlowModParts` first cost the owned form 30 instructions per message).
trait FlowModSource {
    /// The fixed part ([`fixed_part!`]).
    fn fixed_part(&self) -> [[u8; 8]; 5];
    /// The match.
    fn match_fields(&self) -> &Match;
    /// The instructions.
    fn instruction_list(&self) -> &[Instruction];
}

impl FlowModSource for FlowMod {
    #[inline(always)]
    fn fixed_part(&self) -> [[u8; 8]; 5] {
        fixed_part!(self)
    }
    #[inline(always)]
    fn match_fields(&self) -> &Match {
        &self.match_
    }
    #[inline(always)]
    fn instruction_list(&self) -> &[Instruction] {
        &self.instructions
    }
}

impl FlowModSource for FlowModParts<'_> {
    #[inline(always)]
    fn fixed_part(&self) -> [[u8; 8]; 5] {
        fixed_part!(self)
    }
    #[inline(always)]
    fn match_fields(&self) -> &Match {
        self.match_
    }
    #[inline(always)]
    fn instruction_list(&self) -> &[Instruction] {
        self.instructions
    }
}

/// Appends the whole message (header with `xid` included) to `out`: into a zero-filled
/// window of [`room`] bytes set aside at once, so the writes neither grow the buffer nor
/// write padding; encoded again through a growing [`crate::wire::Writer`] in the rare
/// case the room is too small. On error `out` is left as it was.
#[inline]
fn encode_message(f: &impl FlowModSource, xid: u32, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    append_windowed(
        out,
        room(f),
        |w| write_flow_mod(f, xid, w),
        |w| write_flow_mod(f, xid, w),
    )
}

/// Writes the whole message (header with `xid` included).
#[inline]
fn write_flow_mod<S: Sink>(f: &impl FlowModSource, xid: u32, w: &mut S) -> Result<(), EncodeError> {
    write_message(w, OFP_VERSION, OFPT_FLOW_MOD, xid, |w| encode_body(f, w))
}

/// Encodes the body of an `OFPT_FLOW_MOD`.
#[inline]
fn encode_body(f: &impl FlowModSource, w: &mut impl Sink) -> Result<(), EncodeError> {
    w.padded(f.fixed_part().as_flattened(), &FIXED_PADS);
    f.match_fields().encode(w)?;
    encode_instructions(f.instruction_list(), w)
}

/// Bytes to set aside for the message: its size when every action takes at most 16
/// bytes (every fixed-size action does, and so does a set-field of an OXM of up to 12
/// bytes or an experimenter action with up to 8 bytes of data), more than that when
/// some take less. Counted per instruction, not per action, so it costs little next
/// to the encoding. (The sums cannot overflow: each term is bounded by the memory
/// the lists and byte strings take.)
#[inline]
fn room(f: &impl FlowModSource) -> usize {
    let instructions: usize = f
        .instruction_list()
        .iter()
        .map(|i| match i {
            Instruction::WriteActions(a) | Instruction::ApplyActions(a) => {
                OFP_INSTRUCTION_MIN_LEN + a.len() * MAX_COMMON_ACTION_LEN
            }
            other => other.encoded_len(),
        })
        .sum();
    OFP_HEADER_LEN + OFP_FLOW_MOD_FIXED_LEN + f.match_fields().encoded_len() + instructions
}

/// The size of the largest fixed-size action (`ofp_action_output`), which [`room`]
/// sets aside for every action.
const MAX_COMMON_ACTION_LEN: usize = 16;

/// A FLOW_MOD borrowed from a received message, decoded without allocating: the fields
/// of [`FlowMod`], with the match and the instructions decoded as they are iterated
/// ([`MatchRef::iter`], [`InstructionsRef::iter`], and each action list's
/// [`crate::action::ActionsRef::iter`]).
///
/// [`FlowModRef::decode_message`] checks the whole message first (every length, TLV and
/// action, the checks [`crate::OfMessage::decode`] makes, with the same errors and
/// offsets), so a view it returns never fails later: its iterators yield items, not
/// `Result`s. The owned decoder runs the same per-item parsers (OXM, instruction,
/// action) in the same order, in one pass that builds the values, so the two forms accept
/// the same messages with the same errors. [`FlowModRef::into_owned`] gives the
/// [`FlowMod`], and [`FlowModRef::encode_message`] writes the bytes the owned form encodes
/// to.
///
/// ```
/// use flowfall_ofp::action::ActionRef;
/// use flowfall_ofp::flow_mod::FlowModRef;
/// use flowfall_ofp::instruction::InstructionRef;
/// use flowfall_ofp::oxm::OxmRef;
/// use flowfall_ofp::{Action, FlowMod, Instruction, Match, Message, OfMessage, Oxm};
///
/// let flow = FlowMod::add(
///     0,
///     100,
///     Match::new().with(Oxm::InPort(1)),
///     vec![Instruction::ApplyActions(vec![Action::PopVlan, Action::output(2)])],
/// );
/// let wire = OfMessage::new(5, Message::FlowMod(flow.clone())).to_vec()?;
///
/// let (xid, view) = FlowModRef::decode_message(&wire)?; // checks all, allocates nothing
/// assert_eq!((xid, view.priority), (5, 100));
/// assert_eq!(view.match_.iter().next(), Some(OxmRef::Typed(Oxm::InPort(1))));
/// let mut outputs = Vec::new();
/// for ins in view.instructions {
///     if let InstructionRef::ApplyActions(actions) = ins {
///         for action in actions {
///             if let ActionRef::Plain(Action::Output { port, .. }) = action {
///                 outputs.push(port);
///             }
///         }
///     }
/// }
/// assert_eq!(outputs, [2]);
///
/// let mut again = Vec::new();
/// view.encode_message(xid, &mut again)?;
/// assert_eq!(again, wire);
/// assert_eq!(view.into_owned(), flow);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowModRef<'a> {
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
    /// Fields to match, decoded as iterated.
    pub match_: MatchRef<'a>,
    /// Instructions of the entry, decoded as iterated.
    pub instructions: InstructionsRef<'a>,
}

impl<'a> FlowModRef<'a> {
    /// Decodes the one OFPT_FLOW_MOD message `buf` holds (header included, as
    /// [`crate::OfMessage::decode`] takes it) without allocating; returns the xid and the
    /// view. The whole message is checked (see [`FlowModRef`]).
    ///
    /// Errors are [`crate::OfMessage::decode`]'s, plus [`DecodeError::BadValue`] (field
    /// `ofp_header.type`, offset 1) for a message of another type.
    pub fn decode_message(buf: &'a [u8]) -> Result<(u32, Self), DecodeError> {
        decode_typed(buf, OFPT_FLOW_MOD, FlowModRef::decode_body)
    }

    /// The owned form (decodes every TLV, instruction and action again, now without
    /// checks failing, and copies raw bytes).
    #[inline]
    pub fn into_owned(self) -> FlowMod {
        self.with_parts(self.match_.into_owned(), self.instructions.to_vec())
    }

    /// The owned form with these match and instructions.
    #[inline]
    fn with_parts(&self, match_: Match, instructions: Vec<Instruction>) -> FlowMod {
        FlowMod {
            cookie: self.cookie,
            cookie_mask: self.cookie_mask,
            table_id: self.table_id,
            command: self.command,
            idle_timeout: self.idle_timeout,
            hard_timeout: self.hard_timeout,
            priority: self.priority,
            buffer_id: self.buffer_id,
            out_port: self.out_port,
            out_group: self.out_group,
            flags: self.flags,
            match_,
            instructions,
        }
    }

    /// Appends the whole message (header with `xid` included) to `out`, the bytes
    /// [`crate::OfMessage::encode`] writes for the owned form (padding written as zeros).
    /// On error `out` is left as it was.
    pub fn encode_message(&self, xid: u32, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_or_restore(out, |w| {
            write_message(w, OFP_VERSION, OFPT_FLOW_MOD, xid, |w| {
                w.padded(fixed_part!(self).as_flattened(), &FIXED_PADS);
                self.match_.encode(w)?;
                self.instructions.encode(w)
            })
        })
    }

    /// Checks and views the body of an `OFPT_FLOW_MOD`; consumes all of `r`.
    #[inline]
    fn decode_body(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let mut view = read_fixed_part(r)?;
        view.match_ = MatchRef::parse(r)?;
        view.instructions = InstructionsRef::parse(r)?;
        Ok(view)
    }
}

/// Reads the fixed part of `ofp_flow_mod` (cookie through pad) into a [`FlowModRef`]
/// with an empty match and no instructions: one bounds check for the 40 bytes, after
/// which [`read_fixed`]'s field-by-field reads cannot fail (and fold away). When fewer
/// bytes are present, the same reads on `r` itself name the field that is cut short.
#[inline]
fn read_fixed_part<'a>(r: &mut Reader<'_>) -> Result<FlowModRef<'a>, DecodeError> {
    let at = r.offset();
    match r.array::<OFP_FLOW_MOD_FIXED_LEN>("ofp_flow_mod") {
        Ok(bytes) => read_fixed(&mut Reader::with_base(&bytes, at)),
        Err(_) => read_fixed(r),
    }
}

/// Reads the fixed part of `ofp_flow_mod` (cookie through pad) into a [`FlowModRef`]
/// with an empty match and no instructions.
#[inline(always)]
fn read_fixed<'a>(r: &mut Reader<'_>) -> Result<FlowModRef<'a>, DecodeError> {
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
    Ok(FlowModRef {
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
        match_: MatchRef::EMPTY,
        instructions: InstructionsRef::EMPTY,
    })
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
    use crate::action::{ActionRef, ActionsRef};
    use crate::instruction::{InstructionRef, OFPIT_WRITE_ACTIONS};
    use crate::oxm::OxmRef;
    use crate::ryu_vectors::{all_of_type, load};
    use crate::strategies::arb_flow_mod;
    use crate::wire::Writer;
    use crate::{Action, MacAddr, Message, OfMessage, Oxm};
    use proptest::prelude::*;
    use std::net::Ipv6Addr;

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

    /// The whole message written through a growing [`Writer`], the path
    /// [`FlowMod::encode_message`] falls back to when its room runs out.
    fn enc_by_writer(xid: u32, fm: &FlowMod) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        append_or_restore(&mut v, |w| write_flow_mod(fm, xid, w)).map(|()| v)
    }

    /// `fm` through [`OfMessage::encode`] (the window) after `before`, and through a
    /// [`Writer`]: the same bytes or the same error, and `before` kept either way.
    fn check_paths_agree(xid: u32, fm: &FlowMod) -> Result<Vec<u8>, EncodeError> {
        let before = [0xaa, 0xbb];
        let mut out = before.to_vec();
        let windowed = OfMessage::new(xid, Message::FlowMod(fm.clone())).encode(&mut out);
        let written = enc_by_writer(xid, fm);
        assert_eq!(out[..2], before);
        match (windowed, &written) {
            (Ok(()), Ok(bytes)) => assert_eq!(&out[2..], bytes),
            (Err(e), Err(f)) => {
                assert_eq!(&e, f);
                assert_eq!(out.len(), 2, "output left as it was");
            }
            (windowed, written) => panic!("window {windowed:?}, writer {written:?}"),
        }
        assert_eq!(&FlowMod::from(fm.parts()), fm);
        // The borrowed parts encode the same, or fail the same, leaving `before` alone.
        let mut via_parts = before.to_vec();
        match fm.parts().encode_message(xid, &mut via_parts) {
            Ok(()) => assert_eq!(Ok(&via_parts[2..]), written.as_deref()),
            Err(e) => assert_eq!((Err(&e), &via_parts[..]), (written.as_ref(), &before[..])),
        }
        written
    }

    #[test]
    fn window_overflow_falls_back_to_the_writer() {
        // Two 40-byte set-fields and a 72-byte experimenter action: more than the 16
        // bytes per action the room sets aside.
        let all_ones = Ipv6Addr::from([0xff; 16]);
        let fm = FlowMod::add(
            0,
            1,
            Match::new().with(Oxm::Ipv6Dst(Ipv6Addr::LOCALHOST, Some(all_ones))),
            vec![Instruction::ApplyActions(vec![
                Action::SetField(Oxm::Ipv6Src(Ipv6Addr::LOCALHOST, Some(all_ones))),
                Action::SetField(Oxm::Ipv6NdTarget(Ipv6Addr::LOCALHOST)),
                Action::Experimenter {
                    experimenter: 0x2320,
                    data: vec![7; 64],
                },
            ])],
        );
        let bytes = check_paths_agree(5, &fm).unwrap();
        assert!(bytes.len() > fm.room(), "{} <= {}", bytes.len(), fm.room());
        let msg = OfMessage::new(5, Message::FlowMod(fm));
        assert_eq!(OfMessage::decode(&bytes), Ok(msg));
    }

    #[test]
    fn encode_errors_are_the_writers_and_leave_the_output_alone() {
        let misaligned = Action::Experimenter {
            experimenter: 1,
            data: vec![1, 2, 3],
        };
        // Within the room, and after the room ran out (the long experimenter action).
        for actions in [
            vec![Action::output(1), misaligned.clone()],
            vec![
                Action::Experimenter {
                    experimenter: 2,
                    data: vec![0; 256],
                },
                misaligned,
            ],
        ] {
            let fm = FlowMod::add(0, 1, Match::new(), vec![Instruction::WriteActions(actions)]);
            assert!(matches!(
                check_paths_agree(1, &fm),
                Err(EncodeError::BadValue {
                    field: "ofp_action_header.len",
                    ..
                })
            ));
        }
    }

    #[test]
    fn room_is_the_size_when_actions_are_short() {
        let fm = FlowMod::add(
            3,
            7,
            Match::new().with(Oxm::InPort(1)).with(Oxm::EthType(0x0800)),
            vec![
                Instruction::ApplyActions(vec![
                    Action::SetField(Oxm::IpDscp(5)),
                    Action::output(2),
                ]),
                Instruction::GotoTable(4),
            ],
        );
        assert_eq!(check_paths_agree(0, &fm).unwrap().len(), fm.room());
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

    /// Every OXM, instruction and action of `view`, owned, in wire order, found by
    /// walking the lazy iterators (so a test comparing them with the owned decode checks
    /// the iterators, not `into_owned`).
    fn walk(view: &FlowModRef<'_>) -> (Vec<Oxm>, Vec<Instruction>) {
        let oxms: Vec<Oxm> = view.match_.iter().map(OxmRef::into_owned).collect();
        assert_eq!(oxms.len(), view.match_.len());
        let mut instructions = Vec::new();
        for ins in view.instructions {
            instructions.push(match ins {
                InstructionRef::WriteActions(a) | InstructionRef::ApplyActions(a) => {
                    let actions: Vec<Action> = a.iter().map(ActionRef::into_owned).collect();
                    assert_eq!(actions.len(), a.len());
                    assert_eq!(actions.is_empty(), a.is_empty());
                    // Borrowing an owned action gives back what the wire view yields.
                    let again: Vec<ActionRef<'_>> = actions.iter().map(ActionRef::from).collect();
                    assert_eq!(again, a.iter().collect::<Vec<_>>());
                    if ins.instruction_type() == OFPIT_WRITE_ACTIONS {
                        Instruction::WriteActions(actions)
                    } else {
                        Instruction::ApplyActions(actions)
                    }
                }
                other => other.into_owned(),
            });
        }
        assert_eq!(instructions.len(), view.instructions.len());
        (oxms, instructions)
    }

    /// `bytes`, one whole message, decodes to the same result as a view (checked, then
    /// walked) and owned; a view re-encodes to the bytes the owned form encodes to.
    fn check_view(bytes: &[u8]) {
        let owned = OfMessage::decode(bytes);
        let view = FlowModRef::decode_message(bytes);
        let (xid, view) = match (owned, view) {
            (Ok(owned), Ok((xid, view))) => {
                assert_eq!(xid, owned.xid);
                let Message::FlowMod(fm) = &owned.msg else {
                    panic!("not a FLOW_MOD: {owned}");
                };
                let (oxms, instructions) = walk(&view);
                assert_eq!(oxms, fm.match_.fields);
                assert_eq!(&instructions, &fm.instructions);
                assert_eq!(view.into_owned(), *fm);
                (xid, view)
            }
            (Err(e), view) => {
                assert_eq!(view.map(|_| ()), Err(e));
                return;
            }
            (Ok(owned), Err(e)) => panic!("the view refuses what decodes ({e}): {owned}"),
        };
        let mut out = vec![0xee];
        view.encode_message(xid, &mut out).unwrap();
        let owned = OfMessage::new(xid, Message::FlowMod(view.into_owned()));
        assert_eq!(out[1..], owned.to_vec().unwrap());
    }

    #[test]
    fn commands_from_the_wire_are_canonical() {
        for v in 0..=u8::MAX {
            let c = FlowModCommand::from_u8(v);
            assert_eq!(c.to_u8(), v);
            assert_eq!(matches!(c, FlowModCommand::Unknown(_)), v > 4, "{v}");
        }
    }

    #[test]
    fn view_agrees_with_owned_decode_on_every_ryu_flow_mod() {
        let vectors = all_of_type(OFPT_FLOW_MOD);
        for (name, bytes) in &vectors {
            let (_, view) = FlowModRef::decode_message(bytes)
                .unwrap_or_else(|e| panic!("{name}: view refused: {e}"));
            check_view(bytes);
            // Ryu's vectors have zero padding, so the view re-encodes them exactly.
            let mut out = Vec::new();
            view.encode_message(
                u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
                &mut out,
            )
            .unwrap();
            assert_eq!(&out, bytes, "{name}");
        }
        if !vectors.is_empty() {
            assert!(vectors.len() >= 30, "{} FLOW_MOD vectors", vectors.len());
        }
    }

    #[test]
    fn view_of_ryu_4_2_borrows_raw_items() {
        let Some(bytes) = load("4-2-ofp_flow_mod.packet") else {
            return;
        };
        let (_, view) = FlowModRef::decode_message(&bytes).unwrap();
        let lists: Vec<ActionsRef<'_>> = view
            .instructions
            .iter()
            .filter_map(|i| match i {
                InstructionRef::WriteActions(a) | InstructionRef::ApplyActions(a) => Some(a),
                _ => None,
            })
            .collect();
        assert_eq!(
            lists.iter().map(ActionsRef::len).collect::<Vec<_>>(),
            [18, 2]
        );
        let inside = |data: &[u8]| bytes.as_ptr_range().contains(&data.as_ptr());
        let experimenter = lists[0].iter().find_map(|a| match a {
            ActionRef::Experimenter { data, .. } => Some(data),
            _ => None,
        });
        assert!(
            experimenter.is_some_and(inside),
            "experimenter data borrowed"
        );
        let raw_oxm = lists[1].iter().find_map(|a| match a {
            ActionRef::SetField(OxmRef::Raw(raw)) => Some(raw.payload),
            _ => None,
        });
        assert!(raw_oxm.is_some_and(inside), "raw OXM payload borrowed");
    }

    #[test]
    fn view_refuses_other_types_and_reports_owned_errors() {
        let barrier = OfMessage::new(1, Message::BarrierRequest).to_vec().unwrap();
        assert!(matches!(
            FlowModRef::decode_message(&barrier),
            Err(DecodeError::BadValue {
                field: "ofp_header.type",
                offset: 1,
                ..
            })
        ));
        let fm = FlowMod::add(
            0,
            1,
            Match::new().with(Oxm::InPort(6)),
            vec![Instruction::ApplyActions(vec![Action::output(1)])],
        );
        let bytes = OfMessage::new(3, Message::FlowMod(fm)).to_vec().unwrap();
        // Every cut, with the header length patched so the body decoders see it: all fail
        // alike, except the one at the end of the match (a FLOW_MOD without
        // instructions).
        for cut in 8..bytes.len() {
            let mut b = bytes[..cut].to_vec();
            b[2..4].copy_from_slice(&u16::try_from(cut).unwrap().to_be_bytes());
            assert_eq!(
                FlowModRef::decode_message(&b).is_ok(),
                cut == 64,
                "cut {cut}"
            );
            check_view(&b);
        }
        // A match TLV with the wrong length for its field (in_port, oxm_length 2 at
        // offset 55): an error the view reports up front, not while iterating.
        let mut b = bytes.clone();
        b[55] = 2;
        assert!(matches!(
            FlowModRef::decode_message(&b),
            Err(DecodeError::BadLength {
                what: "in_port",
                offset: 52,
                ..
            })
        ));
        check_view(&b);
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

        /// The pre-sized window (room enough or not) writes what a growing writer
        /// writes, and fails as it fails.
        #[test]
        fn window_agrees_with_writer(xid in any::<u32>(), fm in arb_flow_mod()) {
            check_paths_agree(xid, &fm).ok();
        }

        /// For every generated FLOW_MOD: view then `into_owned` == owned decode, the
        /// walked iterators agree, and the view re-encodes to the owned encoding.
        #[test]
        fn view_agrees_with_owned(xid in any::<u32>(), fm in arb_flow_mod()) {
            let bytes = OfMessage::new(xid, Message::FlowMod(fm.clone())).to_vec().unwrap();
            let (x, view) = FlowModRef::decode_message(&bytes).unwrap();
            prop_assert_eq!(x, xid);
            prop_assert_eq!(view.into_owned(), fm);
            check_view(&bytes);
        }

        /// Truncated and corrupted FLOW_MODs: the view accepts exactly what the owned
        /// decoder accepts, with the same error.
        #[test]
        fn view_and_owned_fail_alike(
            fm in arb_flow_mod(),
            cut in any::<prop::sample::Index>(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..), 1..4),
        ) {
            let bytes = OfMessage::new(7, Message::FlowMod(fm)).to_vec().unwrap();
            let cut = 8 + cut.index(bytes.len() - 8);
            let mut short = bytes[..cut].to_vec();
            short[2..4].copy_from_slice(&u16::try_from(cut).unwrap().to_be_bytes());
            check_view(&short);
            let mut bad = bytes.clone();
            for (at, x) in flips {
                // Corrupt the body only (header corruption is `OfMessage`'s business).
                let at = 8 + at.index(bad.len() - 8);
                bad[at] ^= x;
            }
            check_view(&bad);
        }
    }
}
