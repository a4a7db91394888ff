//! Semantic validation, separate from decoding (OpenFlow 1.3.5 §7.2.3.6, §7.2.3.7,
//! §7.2.4, §7.2.5, §7.4.4).
//!
//! Decoding accepts anything that is structurally sound, so messages round-trip byte for
//! byte. This module then checks what a switch must reject and maps every problem to the
//! `(type, code)` of the ERROR reply the spec prescribes:
//!
//! | check | error |
//! |---|---|
//! | a match field's prerequisite missing or not earlier in the match (§7.2.3.6) | `OFPBMC_BAD_PREREQ` |
//! | the same field twice | `OFPBMC_DUP_FIELD` |
//! | value bits set where the mask is 0 (§7.2.3.5) | `OFPBMC_BAD_WILDCARDS` |
//! | a mask on a field that allows none (kept as [`Oxm::Raw`]) | `OFPBMC_BAD_MASK` |
//! | a basic field number OpenFlow 1.3.5 does not define | `OFPBMC_BAD_FIELD` |
//! | a value wider than its field (vlan_pcp > 7, ...) | `OFPBMC_BAD_VALUE` |
//! | two instructions of one type (§7.2.4) | `OFPBIC_DUP_INST` |
//! | goto_table not to a later table | `OFPBIC_BAD_TABLE_ID` |
//! | unknown instruction type | `OFPBIC_UNKNOWN_INST` |
//! | unknown action type | `OFPBAC_BAD_TYPE` |
//! | output to an invalid port / group above `OFPG_MAX` | `OFPBAC_BAD_OUT_PORT` / `OFPBAC_BAD_OUT_GROUP` |
//! | push with a wrong ethertype | `OFPBAC_BAD_ARGUMENT` |
//! | set_field on a pipeline field / unknown field | `OFPBAC_BAD_SET_TYPE` |
//! | set_field with a mask or an out-of-range value | `OFPBAC_BAD_SET_ARGUMENT` |
//! | set_field whose prerequisites the match (and earlier push/pop actions) do not establish | `OFPBAC_MATCH_INCONSISTENT` |
//! | flow mod: undefined command / flags, add or modify in `OFPTT_ALL` | `OFPFMFC_BAD_COMMAND` / `OFPFMFC_BAD_FLAGS` / `OFPFMFC_BAD_TABLE_ID` |
//! | non-zero padding (raw bytes needed) | `OFPBMC_BAD_LEN` / `OFPBAC_BAD_LEN` / `OFPBIC_BAD_LEN` / `OFPBRC_BAD_LEN`, by the structure holding it |
//!
//! Experimenter items (Nicira actions and fields, experimenter instructions) are opaque
//! and pass. [`Problem::error_reply`] builds the ERROR message carrying the first 64 bytes
//! of the offending request.

use crate::Match;
use crate::action::{Action, OFPP_IN_PORT, OFPP_LOCAL, OFPP_MAX};
use crate::error::DecodeError;
use crate::error_msg::{
    BadActionCode, BadInstructionCode, BadMatchCode, BadRequestCode, ErrorCode, ErrorMsg,
    FlowModFailedCode,
};
use crate::flow_mod::{FlowMod, FlowModCommand, OFPP_ANY, OFPTT_ALL};
use crate::header::Header;
use crate::instruction::Instruction;
use crate::message::{Message, OfMessage};
use crate::multipart::MultipartRequestBody;
use crate::oxm::{OFPVID_PRESENT, OFPXMC_OPENFLOW_BASIC, Oxm, basic_field_info};
use std::collections::HashSet;

/// `OFPG_MAX`: the highest ordinary group number.
pub const OFPG_MAX: u32 = 0xffff_ff00;
/// `OFPTT_MAX`: the highest ordinary table number.
pub const OFPTT_MAX: u8 = 0xfe;

/// Every `ofp_flow_mod_flags` bit OpenFlow 1.3.5 defines.
const FLOW_MOD_FLAGS_DEFINED: u16 = 0x1f;

/// One problem found by validation, with the ERROR it calls for ([`Problem::error_code`]).
///
/// (Serialize only with the `serde` feature: the names are `&'static str`.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Problem {
    /// A match field whose prerequisite is absent or appears only after it.
    #[error("match field {field} needs {requires} earlier in the match")]
    MissingPrerequisite {
        /// The field.
        field: &'static str,
        /// What it needs (e.g. `"eth_type=0x0800"`).
        requires: &'static str,
    },
    /// The same field twice in one match.
    #[error("match field {field} (class {class:#06x}, field {number}) appears twice")]
    DuplicateField {
        /// Field name.
        field: &'static str,
        /// `oxm_class`.
        class: u16,
        /// `oxm_field`.
        number: u8,
    },
    /// A masked value with bits set where its mask is 0.
    #[error("match field {field}: value has bits set where the mask is 0")]
    ValueOutsideMask {
        /// Field name.
        field: &'static str,
    },
    /// `oxm_hasmask` on a field the spec gives no mask.
    #[error("match field {field} does not allow a mask")]
    UnmaskableField {
        /// Field name.
        field: &'static str,
    },
    /// An `OFPXMC_OPENFLOW_BASIC` field number OpenFlow 1.3.5 does not define.
    #[error("match uses undefined basic field {number}")]
    UnknownField {
        /// `oxm_field`.
        number: u8,
    },
    /// A value wider than its field.
    #[error("{field}={value:#x} exceeds the field's maximum {max:#x}")]
    ValueOutOfRange {
        /// Field name.
        field: &'static str,
        /// The value.
        value: u64,
        /// The largest allowed value.
        max: u64,
    },
    /// Two instructions of the same type.
    #[error("instruction {instruction} appears more than once")]
    DuplicateInstruction {
        /// Instruction name.
        instruction: &'static str,
    },
    /// `goto_table` to a table that is not after the flow's table (or to `OFPTT_ALL`).
    #[error("goto_table:{target} from table {table}: the target must be a later table <= 254")]
    GotoTableNotForward {
        /// The flow's table.
        table: u8,
        /// The target.
        target: u8,
    },
    /// An instruction type OpenFlow 1.3.5 does not define.
    #[error("unknown instruction type {instruction_type}")]
    UnknownInstruction {
        /// Its type.
        instruction_type: u16,
    },
    /// An action type OpenFlow 1.3.5 does not define.
    #[error("unknown action type {action_type}")]
    UnknownAction {
        /// Its type.
        action_type: u16,
    },
    /// Output to a port number that cannot be an output.
    #[error("output to invalid port {port:#x}")]
    BadOutPort {
        /// The port.
        port: u32,
    },
    /// Group action to a reserved group number.
    #[error("group action to invalid group {group:#x}")]
    BadOutGroup {
        /// The group.
        group: u32,
    },
    /// A push action with an ethertype the spec does not allow for it.
    #[error("{action} with ethertype {ethertype:#06x}")]
    BadPushEthertype {
        /// Action name.
        action: &'static str,
        /// The ethertype.
        ethertype: u16,
    },
    /// set_field on a field that cannot be set.
    #[error("set_field cannot set {field}")]
    SetFieldNotSettable {
        /// Field name.
        field: &'static str,
    },
    /// set_field with a mask or an out-of-range value.
    #[error("set_field {field}: {reason}")]
    SetFieldBadArgument {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// set_field whose prerequisites are not established.
    #[error("set_field {field} needs {requires} in the match or earlier actions")]
    SetFieldPrerequisite {
        /// Field name.
        field: &'static str,
        /// What it needs.
        requires: &'static str,
    },
    /// A flow-mod command the spec does not define.
    #[error("undefined flow mod command {command}")]
    UnknownFlowModCommand {
        /// The command byte.
        command: u8,
    },
    /// Flow-mod flags with undefined bits.
    #[error("flow mod flags {flags:#06x} have undefined bits")]
    UnknownFlowModFlags {
        /// The flags.
        flags: u16,
    },
    /// An add or modify into `OFPTT_ALL`.
    #[error("flow mod {command} into table 255 (OFPTT_ALL)")]
    FlowModTableAll {
        /// The command.
        command: &'static str,
    },
    /// Padding bytes that are not zero.
    #[error("non-zero padding in {what} at offset {offset}")]
    NonZeroPadding {
        /// The structure the padding belongs to.
        what: &'static str,
        /// Offset of the first non-zero padding byte.
        offset: usize,
    },
    /// Re-encoding the decoded message gives other bytes than received at a position that
    /// is not padding (a non-canonical encoding the decoder tolerated).
    #[error("bytes differ from the canonical encoding at offset {offset}")]
    NotCanonical {
        /// First differing offset (or the shorter length).
        offset: usize,
    },
}

impl Problem {
    /// The spec's ERROR type and code for this problem.
    pub fn error_code(&self) -> ErrorCode {
        use Problem::*;
        match self {
            MissingPrerequisite { .. } => ErrorCode::BadMatch(BadMatchCode::BadPrereq),
            DuplicateField { .. } => ErrorCode::BadMatch(BadMatchCode::DupField),
            ValueOutsideMask { .. } => ErrorCode::BadMatch(BadMatchCode::BadWildcards),
            UnmaskableField { .. } => ErrorCode::BadMatch(BadMatchCode::BadMask),
            UnknownField { .. } => ErrorCode::BadMatch(BadMatchCode::BadField),
            ValueOutOfRange { .. } => ErrorCode::BadMatch(BadMatchCode::BadValue),
            DuplicateInstruction { .. } => ErrorCode::BadInstruction(BadInstructionCode::DupInst),
            GotoTableNotForward { .. } => ErrorCode::BadInstruction(BadInstructionCode::BadTableId),
            UnknownInstruction { .. } => ErrorCode::BadInstruction(BadInstructionCode::UnknownInst),
            UnknownAction { .. } => ErrorCode::BadAction(BadActionCode::BadType),
            BadOutPort { .. } => ErrorCode::BadAction(BadActionCode::BadOutPort),
            BadOutGroup { .. } => ErrorCode::BadAction(BadActionCode::BadOutGroup),
            BadPushEthertype { .. } => ErrorCode::BadAction(BadActionCode::BadArgument),
            SetFieldNotSettable { .. } => ErrorCode::BadAction(BadActionCode::BadSetType),
            SetFieldBadArgument { .. } => ErrorCode::BadAction(BadActionCode::BadSetArgument),
            SetFieldPrerequisite { .. } => ErrorCode::BadAction(BadActionCode::MatchInconsistent),
            UnknownFlowModCommand { .. } => ErrorCode::FlowModFailed(FlowModFailedCode::BadCommand),
            UnknownFlowModFlags { .. } => ErrorCode::FlowModFailed(FlowModFailedCode::BadFlags),
            FlowModTableAll { .. } => ErrorCode::FlowModFailed(FlowModFailedCode::BadTableId),
            NonZeroPadding { what, .. } => padding_error(what),
            NotCanonical { .. } => ErrorCode::BadRequest(BadRequestCode::BadLen),
        }
    }

    /// The ERROR message answering `request` (the raw bytes of the offending message):
    /// same xid, this problem's type/code, and the request's first 64 bytes as data.
    pub fn error_reply(&self, request: &[u8]) -> OfMessage {
        error_reply(self.error_code(), request)
    }
}

/// The ERROR message answering `request` with `code`: the request's xid (0 if it has no
/// complete header) and its first 64 bytes as data (§7.4.4).
pub fn error_reply(code: ErrorCode, request: &[u8]) -> OfMessage {
    let xid = Header::parse(request).map_or(0, |h| h.xid);
    OfMessage::new(xid, Message::Error(ErrorMsg::reply_to(code, request)))
}

/// The error code for padding in the structure named `what` (its C name).
fn padding_error(what: &str) -> ErrorCode {
    if what.starts_with("ofp_match") {
        ErrorCode::BadMatch(BadMatchCode::BadLen)
    } else if what.starts_with("ofp_action") {
        ErrorCode::BadAction(BadActionCode::BadLen)
    } else if what.starts_with("ofp_instruction") {
        ErrorCode::BadInstruction(BadInstructionCode::BadLen)
    } else {
        ErrorCode::BadRequest(BadRequestCode::BadLen)
    }
}

/// The ERROR a switch sends for a message that failed to decode: `OFPBRC_BAD_VERSION`
/// for a wrong version, a match/action/instruction code when the error names one of those
/// structures (`OFPBMC_BAD_TYPE` for a non-OXM match type, `OFPBMC_BAD_LEN`,
/// `OFPBAC_BAD_LEN`, `OFPBIC_BAD_LEN`), else `OFPBRC_BAD_LEN`.
pub fn decode_error_code(e: &DecodeError) -> ErrorCode {
    match e {
        DecodeError::BadVersion { .. } => ErrorCode::BadRequest(BadRequestCode::BadVersion),
        DecodeError::BadValue {
            field: "ofp_match.type",
            ..
        } => ErrorCode::BadMatch(BadMatchCode::BadType),
        DecodeError::Truncated { what, .. }
        | DecodeError::BadLength { what, .. }
        | DecodeError::BadValue { field: what, .. } => {
            if what.starts_with("ofp_match")
                || what.starts_with("oxm")
                || (0..40).any(|f| basic_field_info(f).is_some_and(|i| i.name == *what))
            {
                ErrorCode::BadMatch(BadMatchCode::BadLen)
            } else if what.starts_with("ofp_action") {
                ErrorCode::BadAction(BadActionCode::BadLen)
            } else if what.starts_with("ofp_instruction") {
                ErrorCode::BadInstruction(BadInstructionCode::BadLen)
            } else {
                ErrorCode::BadRequest(BadRequestCode::BadLen)
            }
        }
    }
}

/// What the fields seen so far establish about the packet, for prerequisite checks.
#[derive(Debug, Clone, Default)]
struct Known {
    in_port: bool,
    vlan_present: bool,
    eth_type: Option<u16>,
    ip_proto: Option<u8>,
    icmpv6_type: Option<u8>,
}

/// A prerequisite of a basic field (§7.2.3.8, table 12, "prerequisite" column).
#[derive(Debug, Clone, Copy)]
enum Prereq {
    None,
    InPort,
    VlanPresent,
    EthType(&'static [u16]),
    IpProto(u8),
    Icmpv6Type(&'static [u8]),
}

const IPV4: &[u16] = &[0x0800];
const IPV6: &[u16] = &[0x86dd];
const IP_ANY: &[u16] = &[0x0800, 0x86dd];
const ARP: &[u16] = &[0x0806];
const MPLS: &[u16] = &[0x8847, 0x8848];
const PBB: &[u16] = &[0x88e7];

/// The prerequisite of basic field `field` and its description.
fn prerequisite(field: u8) -> (Prereq, &'static str) {
    match field {
        1 => (Prereq::InPort, "in_port"),
        7 => (Prereq::VlanPresent, "vlan_vid!=NONE"),
        8..=10 => (Prereq::EthType(IP_ANY), "eth_type=0x0800 or 0x86dd"),
        11 | 12 => (Prereq::EthType(IPV4), "eth_type=0x0800"),
        13 | 14 => (Prereq::IpProto(6), "ip_proto=6"),
        15 | 16 => (Prereq::IpProto(17), "ip_proto=17"),
        17 | 18 => (Prereq::IpProto(132), "ip_proto=132"),
        19 | 20 => (Prereq::IpProto(1), "ip_proto=1"),
        21..=25 => (Prereq::EthType(ARP), "eth_type=0x0806"),
        26..=28 | 39 => (Prereq::EthType(IPV6), "eth_type=0x86dd"),
        29 | 30 => (Prereq::IpProto(58), "ip_proto=58"),
        31 => (Prereq::Icmpv6Type(&[135, 136]), "icmpv6_type=135 or 136"),
        32 => (Prereq::Icmpv6Type(&[135]), "icmpv6_type=135"),
        33 => (Prereq::Icmpv6Type(&[136]), "icmpv6_type=136"),
        34..=36 => (Prereq::EthType(MPLS), "eth_type=0x8847 or 0x8848"),
        37 => (Prereq::EthType(PBB), "eth_type=0x88e7"),
        _ => (Prereq::None, ""),
    }
}

impl Known {
    fn satisfies(&self, p: Prereq) -> bool {
        match p {
            Prereq::None => true,
            Prereq::InPort => self.in_port,
            Prereq::VlanPresent => self.vlan_present,
            Prereq::EthType(types) => self.eth_type.is_some_and(|t| types.contains(&t)),
            Prereq::IpProto(p) => self.ip_proto == Some(p),
            Prereq::Icmpv6Type(types) => self.icmpv6_type.is_some_and(|t| types.contains(&t)),
        }
    }

    /// Records what an exact (or suitably masked) match field establishes.
    fn learn(&mut self, oxm: &Oxm) {
        match oxm {
            Oxm::InPort(_) => self.in_port = true,
            Oxm::VlanVid(v, m) => {
                let m = m.unwrap_or(0xffff);
                self.vlan_present = v & m & OFPVID_PRESENT != 0;
            }
            Oxm::EthType(t) => self.eth_type = Some(*t),
            Oxm::IpProto(p) => self.ip_proto = Some(*p),
            Oxm::Icmpv6Type(t) => self.icmpv6_type = Some(*t),
            _ => {}
        }
    }

    /// Everything the whole match establishes (order ignored).
    fn from_match(m: &Match) -> Self {
        let mut k = Known::default();
        m.fields.iter().for_each(|o| k.learn(o));
        k
    }
}

/// The largest value a basic field may hold, where narrower than its wire type.
fn field_max(field: u8) -> Option<u64> {
    Some(match field {
        6 => 0x1fff,
        7 | 35 => 7,
        8 => 0x3f,
        9 => 3,
        28 | 34 => 0xf_ffff,
        36 => 1,
        37 => 0xff_ffff,
        39 => 0x1ff,
        _ => return None,
    })
}

/// The value of a typed OXM as an integer, for range checks.
fn int_value(oxm: &Oxm) -> Option<u64> {
    Some(match oxm {
        Oxm::VlanVid(v, _) | Oxm::Ipv6Exthdr(v, _) => u64::from(*v),
        Oxm::VlanPcp(v) | Oxm::IpDscp(v) | Oxm::IpEcn(v) | Oxm::MplsTc(v) | Oxm::MplsBos(v) => {
            u64::from(*v)
        }
        Oxm::Ipv6Flabel(v, _) | Oxm::PbbIsid(v, _) | Oxm::MplsLabel(v) => u64::from(*v),
        _ => return None,
    })
}

/// Range problem of a typed OXM, if its value is wider than the field.
fn out_of_range(oxm: &Oxm) -> Option<(&'static str, u64, u64)> {
    let max = field_max(oxm.basic_field()?)?;
    let value = int_value(oxm)?;
    (value > max).then_some((oxm.name(), value, max))
}

/// Problems of a match on its own: prerequisites (in order), duplicates, masks,
/// undefined fields, out-of-range values.
pub fn validate_match(m: &Match) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut known = Known::default();
    let mut seen: HashSet<(u16, u8, Option<u32>)> = HashSet::new();
    for oxm in &m.fields {
        let key = (oxm.class(), oxm.field(), oxm.experimenter());
        if !seen.insert(key) {
            problems.push(Problem::DuplicateField {
                field: oxm.name(),
                class: key.0,
                number: key.1,
            });
        }
        if oxm.class() == OFPXMC_OPENFLOW_BASIC {
            match (basic_field_info(oxm.field()), oxm) {
                (None, _) => problems.push(Problem::UnknownField {
                    number: oxm.field(),
                }),
                (Some(info), Oxm::Raw(raw)) if raw.has_mask && !info.maskable => {
                    problems.push(Problem::UnmaskableField { field: info.name })
                }
                _ => {}
            }
            let (pre, requires) = prerequisite(oxm.field());
            if !known.satisfies(pre) {
                problems.push(Problem::MissingPrerequisite {
                    field: oxm.name(),
                    requires,
                });
            }
        }
        if let Some((field, value, max)) = out_of_range(oxm) {
            problems.push(Problem::ValueOutOfRange { field, value, max });
        }
        if oxm.basic_field().is_some() {
            if let Some((v, mask)) = oxm.value_and_mask() {
                if v.iter().zip(&mask).any(|(v, m)| v & !m != 0) {
                    problems.push(Problem::ValueOutsideMask { field: oxm.name() });
                }
            }
        }
        known.learn(oxm);
    }
    problems
}

/// Fields `set_field` may not write: pipeline fields and the IPv6 extension-header
/// pseudo-field.
fn settable(field: u8) -> bool {
    !matches!(field, 0..=2 | 39)
}

/// Problems of an action list applied to packets that matched `m` (`None`: context
/// unknown, e.g. PACKET_OUT, so set-field prerequisites are not checked). Push/pop actions
/// update what is known for later set-fields.
pub fn validate_actions(actions: &[Action], m: Option<&Match>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut known = m.map(Known::from_match);
    for a in actions {
        match a {
            Action::Output { port, .. } => {
                let reserved_ok = *port >= OFPP_IN_PORT && *port <= OFPP_LOCAL;
                if *port == 0 || *port == OFPP_ANY || (*port > OFPP_MAX && !reserved_ok) {
                    problems.push(Problem::BadOutPort { port: *port });
                }
            }
            Action::Group(g) if *g > OFPG_MAX => problems.push(Problem::BadOutGroup { group: *g }),
            Action::PushVlan(e) if !matches!(e, 0x8100 | 0x88a8) => {
                problems.push(Problem::BadPushEthertype {
                    action: "push_vlan",
                    ethertype: *e,
                })
            }
            Action::PushMpls(e) if !MPLS.contains(e) => problems.push(Problem::BadPushEthertype {
                action: "push_mpls",
                ethertype: *e,
            }),
            Action::PushPbb(e) if !PBB.contains(e) => problems.push(Problem::BadPushEthertype {
                action: "push_pbb",
                ethertype: *e,
            }),
            Action::SetField(oxm) => set_field_problems(oxm, known.as_ref(), &mut problems),
            Action::Unknown { action_type, .. } => problems.push(Problem::UnknownAction {
                action_type: *action_type,
            }),
            _ => {}
        }
        if let Some(k) = known.as_mut() {
            match a {
                Action::PushVlan(_) => k.vlan_present = true,
                Action::PushMpls(e) | Action::PopMpls(e) => k.eth_type = Some(*e),
                Action::SetField(oxm) => k.learn(oxm),
                _ => {}
            }
        }
    }
    problems
}

fn set_field_problems(oxm: &Oxm, known: Option<&Known>, problems: &mut Vec<Problem>) {
    if oxm.class() != OFPXMC_OPENFLOW_BASIC {
        return; // Nicira / experimenter fields are opaque.
    }
    let field = oxm.field();
    let Some(info) = basic_field_info(field) else {
        problems.push(Problem::SetFieldNotSettable { field: oxm.name() });
        return;
    };
    if !settable(field) {
        problems.push(Problem::SetFieldNotSettable { field: info.name });
        return;
    }
    if oxm.has_mask() {
        problems.push(Problem::SetFieldBadArgument {
            field: info.name,
            reason: "a mask is not allowed",
        });
    }
    if out_of_range(oxm).is_some() {
        problems.push(Problem::SetFieldBadArgument {
            field: info.name,
            reason: "value exceeds the field's width",
        });
    }
    if let Some(k) = known {
        let (pre, requires) = prerequisite(field);
        if !k.satisfies(pre) {
            problems.push(Problem::SetFieldPrerequisite {
                field: info.name,
                requires,
            });
        }
    }
}

/// Problems of a flow entry's instruction set: duplicates, unknown types, goto_table
/// direction (when the flow's `table_id` is known), and the actions inside (set-field
/// prerequisites judged against `m`).
pub fn validate_instructions(
    table_id: Option<u8>,
    instructions: &[Instruction],
    m: &Match,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen: HashSet<(u16, u32)> = HashSet::new();
    for ins in instructions {
        let key = match ins {
            Instruction::Experimenter { experimenter, .. } => {
                (ins.instruction_type(), *experimenter)
            }
            _ => (ins.instruction_type(), 0),
        };
        if !seen.insert(key) {
            problems.push(Problem::DuplicateInstruction {
                instruction: ins.name(),
            });
        }
        match ins {
            Instruction::GotoTable(target) => {
                let backwards = table_id.is_some_and(|t| t != OFPTT_ALL && *target <= t);
                if backwards || *target > OFPTT_MAX {
                    problems.push(Problem::GotoTableNotForward {
                        table: table_id.unwrap_or(0),
                        target: *target,
                    });
                }
            }
            Instruction::WriteActions(a) | Instruction::ApplyActions(a) => {
                problems.extend(validate_actions(a, Some(m)));
            }
            Instruction::Unknown {
                instruction_type, ..
            } => problems.push(Problem::UnknownInstruction {
                instruction_type: *instruction_type,
            }),
            _ => {}
        }
    }
    problems
}

/// Problems of a FLOW_MOD: command, flags, table, match and instructions.
pub fn validate_flow_mod(fm: &FlowMod) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let FlowModCommand::Unknown(command) = fm.command {
        problems.push(Problem::UnknownFlowModCommand { command });
    }
    if fm.flags & !FLOW_MOD_FLAGS_DEFINED != 0 {
        problems.push(Problem::UnknownFlowModFlags { flags: fm.flags });
    }
    let adds = matches!(
        fm.command,
        FlowModCommand::Add | FlowModCommand::Modify | FlowModCommand::ModifyStrict
    );
    if adds && fm.table_id == OFPTT_ALL {
        problems.push(Problem::FlowModTableAll {
            command: match fm.command {
                FlowModCommand::Add => "add",
                _ => "modify",
            },
        });
    }
    problems.extend(validate_match(&fm.match_));
    problems.extend(validate_instructions(
        Some(fm.table_id),
        &fm.instructions,
        &fm.match_,
    ));
    problems
}

/// Semantic problems of a decoded message (empty when it is valid). Covers the matches,
/// actions and instructions of FLOW_MOD, PACKET_OUT, PACKET_IN, FLOW_REMOVED, the
/// buckets of GROUP_MOD and the match of flow/aggregate stats requests; other message
/// types have no semantic checks beyond decoding.
pub fn validate(msg: &OfMessage) -> Vec<Problem> {
    match &msg.msg {
        Message::FlowMod(fm) => validate_flow_mod(fm),
        Message::PacketOut(po) => validate_actions(&po.actions, None),
        Message::PacketIn(pi) => validate_match(&pi.match_),
        Message::FlowRemoved(fr) => validate_match(&fr.match_),
        Message::MultipartRequest(mp) => match &mp.body {
            MultipartRequestBody::Flow(r) | MultipartRequestBody::Aggregate(r) => {
                validate_match(&r.match_)
            }
            _ => Vec::new(),
        },
        Message::GroupMod(gm) => gm
            .buckets
            .iter()
            .flat_map(|b| validate_actions(&b.actions, None))
            .collect(),
        _ => Vec::new(),
    }
}

/// Non-zero padding in `raw`, the bytes `msg` was decoded from: every padding run the
/// encoder writes is checked against the received bytes. Bytes that differ outside
/// padding are reported as [`Problem::NotCanonical`].
pub fn check_padding(msg: &OfMessage, raw: &[u8]) -> Vec<Problem> {
    let Ok((canonical, pads)) = msg.encode_recording() else {
        return vec![Problem::NotCanonical { offset: 0 }];
    };
    let mut problems = Vec::new();
    let mut in_pad = vec![false; canonical.len()];
    for span in &pads {
        let end = span.offset + span.len;
        if let Some(flags) = in_pad.get_mut(span.offset..end) {
            flags.iter_mut().for_each(|f| *f = true);
        }
        if let Some(bytes) = raw.get(span.offset..end) {
            if let Some(i) = bytes.iter().position(|b| *b != 0) {
                problems.push(Problem::NonZeroPadding {
                    what: span.what,
                    offset: span.offset + i,
                });
            }
        }
    }
    let differs = canonical
        .iter()
        .zip(raw)
        .enumerate()
        .find(|(i, (c, r))| c != r && !in_pad.get(*i).copied().unwrap_or(false))
        .map(|(i, _)| i);
    match differs {
        Some(offset) => problems.push(Problem::NotCanonical { offset }),
        None if canonical.len() != raw.len() => problems.push(Problem::NotCanonical {
            offset: canonical.len().min(raw.len()),
        }),
        None => {}
    }
    problems
}

/// Decodes `raw` and runs every check, padding included. A decode failure is returned as
/// the error; map it to an ERROR reply with [`decode_error_code`] and [`error_reply`].
pub fn validate_bytes(raw: &[u8]) -> Result<(OfMessage, Vec<Problem>), DecodeError> {
    let msg = OfMessage::decode(raw)?;
    let mut problems = validate(&msg);
    problems.extend(check_padding(&msg, raw));
    Ok((msg, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_msg::ErrorType;
    use crate::flow_mod::FlowMod;
    use crate::oxm::{OFPVID_NONE, RawOxm};
    use crate::ryu_vectors::load;
    use crate::strategies::arb_flow_mod;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn codes(p: &[Problem]) -> Vec<(u16, u16)> {
        p.iter().map(|p| p.error_code().type_code()).collect()
    }

    #[test]
    fn ipv4_needs_eth_type_first() {
        let ok = Match::new()
            .with(Oxm::EthType(0x0800))
            .with(Oxm::Ipv4Src(v4("10.0.0.1"), None));
        assert_eq!(validate_match(&ok), vec![]);
        let missing = Match::new().with(Oxm::Ipv4Src(v4("10.0.0.1"), None));
        let p = validate_match(&missing);
        assert_eq!(
            p,
            vec![Problem::MissingPrerequisite {
                field: "ipv4_src",
                requires: "eth_type=0x0800"
            }]
        );
        assert_eq!(codes(&p), vec![(4, 9)]); // OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ
        let wrong_order = Match::new()
            .with(Oxm::Ipv4Src(v4("10.0.0.1"), None))
            .with(Oxm::EthType(0x0800));
        assert_eq!(validate_match(&wrong_order).len(), 1);
        let wrong_type = Match::new()
            .with(Oxm::EthType(0x86dd))
            .with(Oxm::Ipv4Dst(v4("10.0.0.1"), None));
        assert_eq!(validate_match(&wrong_type).len(), 1);
    }

    #[test]
    fn tcp_needs_ip_proto_six_and_ip() {
        let ok = Match::new()
            .with(Oxm::EthType(0x86dd))
            .with(Oxm::IpProto(6))
            .with(Oxm::TcpDst(80));
        assert_eq!(validate_match(&ok), vec![]);
        let udp = Match::new()
            .with(Oxm::EthType(0x0800))
            .with(Oxm::IpProto(17))
            .with(Oxm::TcpDst(80));
        assert_eq!(codes(&validate_match(&udp)), vec![(4, 9)]);
        // ip_proto without an IP eth_type is itself missing its prerequisite.
        let no_eth = Match::new().with(Oxm::IpProto(6)).with(Oxm::TcpSrc(1));
        assert_eq!(validate_match(&no_eth).len(), 1);
    }

    #[test]
    fn vlan_pcp_needs_vlan_present() {
        let none = Match::new()
            .with(Oxm::VlanVid(OFPVID_NONE, None))
            .with(Oxm::VlanPcp(3));
        assert_eq!(codes(&validate_match(&none)), vec![(4, 9)]);
        let present = Match::new()
            .with(Oxm::VlanVid(OFPVID_PRESENT, Some(OFPVID_PRESENT)))
            .with(Oxm::VlanPcp(3));
        assert_eq!(validate_match(&present), vec![]);
        let exact = Match::new()
            .with(Oxm::VlanVid(OFPVID_PRESENT | 10, None))
            .with(Oxm::VlanPcp(8));
        assert_eq!(codes(&validate_match(&exact)), vec![(4, 7)]); // BAD_VALUE
    }

    #[test]
    fn duplicates_masks_and_unknown_fields() {
        let dup = Match::new().with(Oxm::InPort(1)).with(Oxm::InPort(2));
        assert_eq!(codes(&validate_match(&dup)), vec![(4, 10)]);
        let wild = Match::new()
            .with(Oxm::EthType(0x0800))
            .with(Oxm::Ipv4Src(v4("10.0.0.1"), Some(v4("255.255.255.0"))));
        assert_eq!(
            validate_match(&wild),
            vec![Problem::ValueOutsideMask { field: "ipv4_src" }]
        );
        assert_eq!(codes(&validate_match(&wild)), vec![(4, 5)]);
        let unmaskable = Match::new().with(Oxm::Raw(RawOxm {
            class: OFPXMC_OPENFLOW_BASIC,
            field: 0,
            has_mask: true,
            payload: vec![0; 8],
        }));
        assert_eq!(codes(&validate_match(&unmaskable)), vec![(4, 8)]);
        let unknown = Match::new().with(Oxm::Raw(RawOxm {
            class: OFPXMC_OPENFLOW_BASIC,
            field: 50,
            has_mask: false,
            payload: vec![1],
        }));
        assert_eq!(codes(&validate_match(&unknown)), vec![(4, 6)]);
        // Nicira fields are opaque and pass, even twice with different fields.
        let nx = Match::new()
            .with(Oxm::Raw(RawOxm {
                class: 1,
                field: 31,
                has_mask: false,
                payload: vec![1, 2, 3, 4],
            }))
            .with(Oxm::Raw(RawOxm {
                class: 1,
                field: 32,
                has_mask: false,
                payload: vec![1, 2, 3, 4],
            }));
        assert_eq!(validate_match(&nx), vec![]);
    }

    #[test]
    fn instruction_duplicates_and_goto() {
        let m = Match::new();
        let ins = vec![
            Instruction::ApplyActions(vec![]),
            Instruction::GotoTable(3),
            Instruction::ApplyActions(vec![]),
        ];
        let p = validate_instructions(Some(1), &ins, &m);
        assert_eq!(
            p,
            vec![Problem::DuplicateInstruction {
                instruction: "apply_actions"
            }]
        );
        assert_eq!(codes(&p), vec![(3, 9)]); // OFPBIC_DUP_INST
        let back = validate_instructions(Some(3), &[Instruction::GotoTable(3)], &m);
        assert_eq!(codes(&back), vec![(3, 2)]);
        let unknown = validate_instructions(
            None,
            &[Instruction::Unknown {
                instruction_type: 7,
                data: vec![0; 4],
            }],
            &m,
        );
        assert_eq!(codes(&unknown), vec![(3, 0)]);
    }

    #[test]
    fn set_field_checks() {
        let ip = Match::new().with(Oxm::EthType(0x0800));
        let ok = [
            Action::SetField(Oxm::Ipv4Dst(v4("10.0.0.2"), None)),
            Action::output(1),
        ];
        assert_eq!(validate_actions(&ok, Some(&ip)), vec![]);
        let arp = Match::new().with(Oxm::EthType(0x0806));
        assert_eq!(codes(&validate_actions(&ok, Some(&arp))), vec![(2, 10)]);
        // vlan_pcp after push_vlan is fine; before it is not.
        let pushed = [Action::PushVlan(0x8100), Action::SetField(Oxm::VlanPcp(5))];
        assert_eq!(validate_actions(&pushed, Some(&Match::new())), vec![]);
        let unpushed = [Action::SetField(Oxm::VlanPcp(5))];
        assert_eq!(
            codes(&validate_actions(&unpushed, Some(&Match::new()))),
            vec![(2, 10)]
        );
        // Pipeline field, mask, range.
        assert_eq!(
            codes(&validate_actions(&[Action::SetField(Oxm::InPort(1))], None)),
            vec![(2, 13)]
        );
        let masked = [Action::SetField(Oxm::EthDst(
            crate::MacAddr::ZERO,
            Some(crate::MacAddr::BROADCAST),
        ))];
        assert_eq!(codes(&validate_actions(&masked, None)), vec![(2, 15)]);
        assert_eq!(
            codes(&validate_actions(
                &[Action::SetField(Oxm::IpDscp(64))],
                None
            )),
            vec![(2, 15)]
        );
    }

    #[test]
    fn action_argument_checks() {
        let bad = [
            Action::output(OFPP_ANY),
            Action::output(0xffff_ff10),
            Action::Group(0xffff_fffc),
            Action::PushVlan(0x0800),
            Action::Unknown {
                action_type: 3,
                data: vec![0; 4],
            },
        ];
        assert_eq!(
            codes(&validate_actions(&bad, None)),
            vec![(2, 4), (2, 4), (2, 9), (2, 5), (2, 0)]
        );
        let good = [
            Action::output(crate::action::OFPP_CONTROLLER),
            Action::output(OFPP_MAX),
            Action::Group(1),
            Action::PushMpls(0x8847),
            Action::Experimenter {
                experimenter: 0x2320,
                data: vec![0; 8],
            },
        ];
        assert_eq!(validate_actions(&good, None), vec![]);
    }

    #[test]
    fn flow_mod_checks() {
        let mut fm = FlowMod::add(OFPTT_ALL, 1, Match::new(), vec![]);
        fm.flags = 0x40;
        fm.command = FlowModCommand::Add;
        assert_eq!(codes(&validate_flow_mod(&fm)), vec![(5, 7), (5, 2)]);
        fm.command = FlowModCommand::Unknown(9);
        assert_eq!(codes(&validate_flow_mod(&fm))[0], (5, 6));
    }

    #[test]
    fn padding_is_found_in_raw_bytes() {
        let fm = FlowMod::add(
            0,
            1,
            Match::new().with(Oxm::InPort(1)),
            vec![Instruction::ApplyActions(vec![Action::output(2)])],
        );
        let msg = OfMessage::new(5, Message::FlowMod(fm));
        let mut raw = msg.to_vec().unwrap();
        assert_eq!(check_padding(&msg, &raw), vec![]);
        // ofp_flow_mod.pad (bytes 46..48), match padding (60..64), output pad (82..88).
        raw[47] = 1;
        raw[62] = 1;
        raw[85] = 1;
        let (decoded, p) = validate_bytes(&raw).unwrap();
        assert_eq!(decoded, msg);
        assert_eq!(
            p,
            vec![
                Problem::NonZeroPadding {
                    what: "ofp_flow_mod.pad",
                    offset: 47
                },
                Problem::NonZeroPadding {
                    what: "ofp_match.pad",
                    offset: 62
                },
                Problem::NonZeroPadding {
                    what: "ofp_action_output.pad",
                    offset: 85
                },
            ]
        );
        assert_eq!(codes(&p), vec![(1, 6), (4, 1), (2, 1)]);
    }

    #[test]
    fn error_reply_carries_request_prefix() {
        let fm = FlowMod::add(0, 1, Match::new().with(Oxm::TcpDst(80)), vec![]);
        let raw = OfMessage::new(42, Message::FlowMod(fm)).to_vec().unwrap();
        let (_, p) = validate_bytes(&raw).unwrap();
        let reply = p[0].error_reply(&raw);
        assert_eq!(reply.xid, 42);
        let Message::Error(e) = &reply.msg else {
            panic!("not an error")
        };
        assert_eq!(e.code.error_type(), ErrorType::BadMatch);
        assert_eq!(e.data, raw[..64]);
        let bytes = reply.to_vec().unwrap();
        assert_eq!(&bytes[8..12], &[0, 4, 0, 9]);
    }

    #[test]
    fn decode_errors_map_to_codes() {
        let mut raw = OfMessage::new(1, Message::BarrierRequest).to_vec().unwrap();
        raw[0] = 1;
        let e = OfMessage::decode(&raw).unwrap_err();
        assert_eq!(
            decode_error_code(&e),
            ErrorCode::BadRequest(BadRequestCode::BadVersion)
        );
        for (what, code) in [
            (
                "ofp_action_output",
                ErrorCode::BadAction(BadActionCode::BadLen),
            ),
            ("in_port", ErrorCode::BadMatch(BadMatchCode::BadLen)),
            (
                "ofp_instruction",
                ErrorCode::BadInstruction(BadInstructionCode::BadLen),
            ),
            (
                "ofp_switch_features",
                ErrorCode::BadRequest(BadRequestCode::BadLen),
            ),
        ] {
            let e = DecodeError::BadLength {
                what,
                offset: 0,
                expected: String::new(),
                found: 0,
            };
            assert_eq!(decode_error_code(&e), code, "{what}");
        }
    }

    #[test]
    fn ryu_all_fields_flow_mod_is_flagged_but_decodes() {
        let Some(raw) = load("4-60-ofp_flow_mod.packet") else {
            return;
        };
        let (_, p) = validate_bytes(&raw).unwrap();
        // eth_type is ARP, so the IPv4/IPv6/TCP/... fields lack prerequisites.
        assert!(p.iter().any(|p| matches!(
            p,
            Problem::MissingPrerequisite {
                field: "ipv4_src",
                ..
            }
        )));
        assert!(!p.iter().any(|p| matches!(p, Problem::NotCanonical { .. })));
    }

    #[test]
    fn ryu_flow_mods_are_canonical() {
        for name in [
            "4-2-ofp_flow_mod.packet",
            "4-3-ofp_flow_mod.packet",
            "4-46-ofp_flow_mod.packet",
        ] {
            let Some(raw) = load(name) else { return };
            let (_, p) = validate_bytes(&raw).unwrap();
            assert!(
                !p.iter().any(|p| matches!(
                    p,
                    Problem::NonZeroPadding { .. } | Problem::NotCanonical { .. }
                )),
                "{name}: {p:?}"
            );
        }
    }

    #[test]
    fn ryu_vectors_have_zero_padding_and_canonical_bytes() {
        for (name, raw) in crate::message::tests::all_vectors() {
            let (msg, problems) = validate_bytes(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
            let layout: Vec<_> = problems
                .iter()
                .filter(|p| {
                    matches!(
                        p,
                        Problem::NonZeroPadding { .. } | Problem::NotCanonical { .. }
                    )
                })
                .collect();
            assert!(layout.is_empty(), "{name}: {layout:?}");
            // Flipping the first padding byte the encoder knows of is detected.
            let (_, pads) = msg.encode_recording().unwrap();
            if let Some(span) = pads.first() {
                let mut dirty = raw.clone();
                dirty[span.offset] = 0xee;
                assert!(
                    check_padding(&msg, &dirty).contains(&Problem::NonZeroPadding {
                        what: span.what,
                        offset: span.offset
                    }),
                    "{name}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Validation never panics, and an encoded message never has padding problems.
        #[test]
        fn encoded_messages_have_clean_padding(fm in arb_flow_mod()) {
            let msg = OfMessage::new(1, Message::FlowMod(fm));
            let raw = msg.to_vec().unwrap();
            let (_, p) = validate_bytes(&raw).unwrap();
            let dirty = p
                .iter()
                .any(|p| matches!(p, Problem::NonZeroPadding { .. } | Problem::NotCanonical { .. }));
            prop_assert!(!dirty, "{:?}", p);
        }
    }
}
