//! `OFPT_ERROR` (OpenFlow 1.3.5 §7.4.4): error types, their codes, and the ERROR body.
//!
//! Every `OFPET_*` type has a code enum with an `Unknown(u16)` fallback, so any ERROR
//! decodes and re-encodes unchanged. [`ErrorCode`] pairs a type with its code and is what
//! `validate` reports; [`ErrorMsg::reply_to`] builds the reply carrying the first 64 bytes
//! of the offending request, as the spec asks.

use crate::error::{DecodeError, EncodeError};
use crate::oxm::hex_bytes;
use crate::wire::{Reader, Writer};
use crate::wire_enum::wire_enum;
use std::fmt;

/// Bytes of the offending request an ERROR reply carries (§7.4.4: "at least 64 bytes").
pub const ERROR_DATA_LEN: usize = 64;

wire_enum! {
    /// `ofp_error_type`.
    pub enum ErrorType: u16 {
        /// `OFPET_HELLO_FAILED`.
        HelloFailed = 0 => "hello_failed",
        /// `OFPET_BAD_REQUEST`.
        BadRequest = 1 => "bad_request",
        /// `OFPET_BAD_ACTION`.
        BadAction = 2 => "bad_action",
        /// `OFPET_BAD_INSTRUCTION`.
        BadInstruction = 3 => "bad_instruction",
        /// `OFPET_BAD_MATCH`.
        BadMatch = 4 => "bad_match",
        /// `OFPET_FLOW_MOD_FAILED`.
        FlowModFailed = 5 => "flow_mod_failed",
        /// `OFPET_GROUP_MOD_FAILED`.
        GroupModFailed = 6 => "group_mod_failed",
        /// `OFPET_PORT_MOD_FAILED`.
        PortModFailed = 7 => "port_mod_failed",
        /// `OFPET_TABLE_MOD_FAILED`.
        TableModFailed = 8 => "table_mod_failed",
        /// `OFPET_QUEUE_OP_FAILED`.
        QueueOpFailed = 9 => "queue_op_failed",
        /// `OFPET_SWITCH_CONFIG_FAILED`.
        SwitchConfigFailed = 10 => "switch_config_failed",
        /// `OFPET_ROLE_REQUEST_FAILED`.
        RoleRequestFailed = 11 => "role_request_failed",
        /// `OFPET_METER_MOD_FAILED`.
        MeterModFailed = 12 => "meter_mod_failed",
        /// `OFPET_TABLE_FEATURES_FAILED`.
        TableFeaturesFailed = 13 => "table_features_failed",
        /// `OFPET_EXPERIMENTER`.
        Experimenter = 0xffff => "experimenter",
    }
}

wire_enum! {
    /// `ofp_hello_failed_code`.
    pub enum HelloFailedCode: u16 {
        /// `OFPHFC_INCOMPATIBLE`: no compatible version.
        Incompatible = 0 => "incompatible",
        /// `OFPHFC_EPERM`: permissions error.
        Eperm = 1 => "eperm",
    }
}

wire_enum! {
    /// `ofp_bad_request_code`.
    pub enum BadRequestCode: u16 {
        /// `OFPBRC_BAD_VERSION`: version not supported.
        BadVersion = 0 => "bad_version",
        /// `OFPBRC_BAD_TYPE`: message type not supported.
        BadType = 1 => "bad_type",
        /// `OFPBRC_BAD_MULTIPART`: multipart type not supported.
        BadMultipart = 2 => "bad_multipart",
        /// `OFPBRC_BAD_EXPERIMENTER`: experimenter id not supported.
        BadExperimenter = 3 => "bad_experimenter",
        /// `OFPBRC_BAD_EXP_TYPE`: experimenter type not supported.
        BadExpType = 4 => "bad_exp_type",
        /// `OFPBRC_EPERM`: permissions error.
        Eperm = 5 => "eperm",
        /// `OFPBRC_BAD_LEN`: wrong request length for type.
        BadLen = 6 => "bad_len",
        /// `OFPBRC_BUFFER_EMPTY`: buffer already used.
        BufferEmpty = 7 => "buffer_empty",
        /// `OFPBRC_BUFFER_UNKNOWN`: buffer does not exist.
        BufferUnknown = 8 => "buffer_unknown",
        /// `OFPBRC_BAD_TABLE_ID`: table id invalid or missing.
        BadTableId = 9 => "bad_table_id",
        /// `OFPBRC_IS_SLAVE`: denied because the controller is slave.
        IsSlave = 10 => "is_slave",
        /// `OFPBRC_BAD_PORT`: invalid port.
        BadPort = 11 => "bad_port",
        /// `OFPBRC_BAD_PACKET`: invalid packet in packet-out.
        BadPacket = 12 => "bad_packet",
        /// `OFPBRC_MULTIPART_BUFFER_OVERFLOW`: multipart request overflowed the buffer.
        MultipartBufferOverflow = 13 => "multipart_buffer_overflow",
    }
}

wire_enum! {
    /// `ofp_bad_action_code`.
    pub enum BadActionCode: u16 {
        /// `OFPBAC_BAD_TYPE`: unknown action type.
        BadType = 0 => "bad_type",
        /// `OFPBAC_BAD_LEN`: length problem in actions.
        BadLen = 1 => "bad_len",
        /// `OFPBAC_BAD_EXPERIMENTER`: unknown experimenter id.
        BadExperimenter = 2 => "bad_experimenter",
        /// `OFPBAC_BAD_EXP_TYPE`: unknown action for the experimenter id.
        BadExpType = 3 => "bad_exp_type",
        /// `OFPBAC_BAD_OUT_PORT`: problem validating the output port.
        BadOutPort = 4 => "bad_out_port",
        /// `OFPBAC_BAD_ARGUMENT`: bad action argument.
        BadArgument = 5 => "bad_argument",
        /// `OFPBAC_EPERM`: permissions error.
        Eperm = 6 => "eperm",
        /// `OFPBAC_TOO_MANY`: can't handle this many actions.
        TooMany = 7 => "too_many",
        /// `OFPBAC_BAD_QUEUE`: problem validating the output queue.
        BadQueue = 8 => "bad_queue",
        /// `OFPBAC_BAD_OUT_GROUP`: invalid group id.
        BadOutGroup = 9 => "bad_out_group",
        /// `OFPBAC_MATCH_INCONSISTENT`: action can't apply for this match, or a set-field
        /// prerequisite is missing.
        MatchInconsistent = 10 => "match_inconsistent",
        /// `OFPBAC_UNSUPPORTED_ORDER`: action order unsupported.
        UnsupportedOrder = 11 => "unsupported_order",
        /// `OFPBAC_BAD_TAG`: unsupported tag/encap.
        BadTag = 12 => "bad_tag",
        /// `OFPBAC_BAD_SET_TYPE`: unsupported type in SET_FIELD.
        BadSetType = 13 => "bad_set_type",
        /// `OFPBAC_BAD_SET_LEN`: length problem in SET_FIELD.
        BadSetLen = 14 => "bad_set_len",
        /// `OFPBAC_BAD_SET_ARGUMENT`: bad argument in SET_FIELD.
        BadSetArgument = 15 => "bad_set_argument",
    }
}

wire_enum! {
    /// `ofp_bad_instruction_code`.
    pub enum BadInstructionCode: u16 {
        /// `OFPBIC_UNKNOWN_INST`: unknown instruction.
        UnknownInst = 0 => "unknown_inst",
        /// `OFPBIC_UNSUP_INST`: instruction not supported.
        UnsupInst = 1 => "unsup_inst",
        /// `OFPBIC_BAD_TABLE_ID`: invalid table id.
        BadTableId = 2 => "bad_table_id",
        /// `OFPBIC_UNSUP_METADATA`: metadata value unsupported.
        UnsupMetadata = 3 => "unsup_metadata",
        /// `OFPBIC_UNSUP_METADATA_MASK`: metadata mask unsupported.
        UnsupMetadataMask = 4 => "unsup_metadata_mask",
        /// `OFPBIC_BAD_EXPERIMENTER`: unknown experimenter id.
        BadExperimenter = 5 => "bad_experimenter",
        /// `OFPBIC_BAD_EXP_TYPE`: unknown instruction for the experimenter id.
        BadExpType = 6 => "bad_exp_type",
        /// `OFPBIC_BAD_LEN`: length problem in instructions.
        BadLen = 7 => "bad_len",
        /// `OFPBIC_EPERM`: permissions error.
        Eperm = 8 => "eperm",
        /// `OFPBIC_DUP_INST`: duplicate instruction.
        DupInst = 9 => "dup_inst",
    }
}

wire_enum! {
    /// `ofp_bad_match_code`.
    pub enum BadMatchCode: u16 {
        /// `OFPBMC_BAD_TYPE`: unsupported match type.
        BadType = 0 => "bad_type",
        /// `OFPBMC_BAD_LEN`: length problem in match.
        BadLen = 1 => "bad_len",
        /// `OFPBMC_BAD_TAG`: unsupported tag/encap.
        BadTag = 2 => "bad_tag",
        /// `OFPBMC_BAD_DL_ADDR_MASK`: unsupported datalink address mask.
        BadDlAddrMask = 3 => "bad_dl_addr_mask",
        /// `OFPBMC_BAD_NW_ADDR_MASK`: unsupported network address mask.
        BadNwAddrMask = 4 => "bad_nw_addr_mask",
        /// `OFPBMC_BAD_WILDCARDS`: unsupported combination of masked/omitted fields
        /// (also: value bits set where the mask is 0).
        BadWildcards = 5 => "bad_wildcards",
        /// `OFPBMC_BAD_FIELD`: unsupported field type.
        BadField = 6 => "bad_field",
        /// `OFPBMC_BAD_VALUE`: unsupported value in a field.
        BadValue = 7 => "bad_value",
        /// `OFPBMC_BAD_MASK`: unsupported mask.
        BadMask = 8 => "bad_mask",
        /// `OFPBMC_BAD_PREREQ`: a prerequisite was not met.
        BadPrereq = 9 => "bad_prereq",
        /// `OFPBMC_DUP_FIELD`: a field type was duplicated.
        DupField = 10 => "dup_field",
        /// `OFPBMC_EPERM`: permissions error.
        Eperm = 11 => "eperm",
    }
}

wire_enum! {
    /// `ofp_flow_mod_failed_code`.
    pub enum FlowModFailedCode: u16 {
        /// `OFPFMFC_UNKNOWN`.
        Unspecified = 0 => "unspecified",
        /// `OFPFMFC_TABLE_FULL`.
        TableFull = 1 => "table_full",
        /// `OFPFMFC_BAD_TABLE_ID`.
        BadTableId = 2 => "bad_table_id",
        /// `OFPFMFC_OVERLAP`.
        Overlap = 3 => "overlap",
        /// `OFPFMFC_EPERM`.
        Eperm = 4 => "eperm",
        /// `OFPFMFC_BAD_TIMEOUT`.
        BadTimeout = 5 => "bad_timeout",
        /// `OFPFMFC_BAD_COMMAND`.
        BadCommand = 6 => "bad_command",
        /// `OFPFMFC_BAD_FLAGS`.
        BadFlags = 7 => "bad_flags",
    }
}

wire_enum! {
    /// `ofp_group_mod_failed_code`.
    pub enum GroupModFailedCode: u16 {
        /// `OFPGMFC_GROUP_EXISTS`.
        GroupExists = 0 => "group_exists",
        /// `OFPGMFC_INVALID_GROUP`.
        InvalidGroup = 1 => "invalid_group",
        /// `OFPGMFC_WEIGHT_UNSUPPORTED`.
        WeightUnsupported = 2 => "weight_unsupported",
        /// `OFPGMFC_OUT_OF_GROUPS`.
        OutOfGroups = 3 => "out_of_groups",
        /// `OFPGMFC_OUT_OF_BUCKETS`.
        OutOfBuckets = 4 => "out_of_buckets",
        /// `OFPGMFC_CHAINING_UNSUPPORTED`.
        ChainingUnsupported = 5 => "chaining_unsupported",
        /// `OFPGMFC_WATCH_UNSUPPORTED`.
        WatchUnsupported = 6 => "watch_unsupported",
        /// `OFPGMFC_LOOP`.
        Loop = 7 => "loop",
        /// `OFPGMFC_UNKNOWN_GROUP`.
        UnknownGroup = 8 => "unknown_group",
        /// `OFPGMFC_CHAINED_GROUP`.
        ChainedGroup = 9 => "chained_group",
        /// `OFPGMFC_BAD_TYPE`.
        BadType = 10 => "bad_type",
        /// `OFPGMFC_BAD_COMMAND`.
        BadCommand = 11 => "bad_command",
        /// `OFPGMFC_BAD_BUCKET`.
        BadBucket = 12 => "bad_bucket",
        /// `OFPGMFC_BAD_WATCH`.
        BadWatch = 13 => "bad_watch",
        /// `OFPGMFC_EPERM`.
        Eperm = 14 => "eperm",
    }
}

wire_enum! {
    /// `ofp_port_mod_failed_code`.
    pub enum PortModFailedCode: u16 {
        /// `OFPPMFC_BAD_PORT`.
        BadPort = 0 => "bad_port",
        /// `OFPPMFC_BAD_HW_ADDR`.
        BadHwAddr = 1 => "bad_hw_addr",
        /// `OFPPMFC_BAD_CONFIG`.
        BadConfig = 2 => "bad_config",
        /// `OFPPMFC_BAD_ADVERTISE`.
        BadAdvertise = 3 => "bad_advertise",
        /// `OFPPMFC_EPERM`.
        Eperm = 4 => "eperm",
    }
}

wire_enum! {
    /// `ofp_table_mod_failed_code`.
    pub enum TableModFailedCode: u16 {
        /// `OFPTMFC_BAD_TABLE`.
        BadTable = 0 => "bad_table",
        /// `OFPTMFC_BAD_CONFIG`.
        BadConfig = 1 => "bad_config",
        /// `OFPTMFC_EPERM`.
        Eperm = 2 => "eperm",
    }
}

wire_enum! {
    /// `ofp_queue_op_failed_code`.
    pub enum QueueOpFailedCode: u16 {
        /// `OFPQOFC_BAD_PORT`.
        BadPort = 0 => "bad_port",
        /// `OFPQOFC_BAD_QUEUE`.
        BadQueue = 1 => "bad_queue",
        /// `OFPQOFC_EPERM`.
        Eperm = 2 => "eperm",
    }
}

wire_enum! {
    /// `ofp_switch_config_failed_code`.
    pub enum SwitchConfigFailedCode: u16 {
        /// `OFPSCFC_BAD_FLAGS`.
        BadFlags = 0 => "bad_flags",
        /// `OFPSCFC_BAD_LEN`.
        BadLen = 1 => "bad_len",
        /// `OFPSCFC_EPERM`.
        Eperm = 2 => "eperm",
    }
}

wire_enum! {
    /// `ofp_role_request_failed_code`.
    pub enum RoleRequestFailedCode: u16 {
        /// `OFPRRFC_STALE`: stale generation id.
        Stale = 0 => "stale",
        /// `OFPRRFC_UNSUP`: role change unsupported.
        Unsup = 1 => "unsup",
        /// `OFPRRFC_BAD_ROLE`: invalid role.
        BadRole = 2 => "bad_role",
    }
}

wire_enum! {
    /// `ofp_meter_mod_failed_code`.
    pub enum MeterModFailedCode: u16 {
        /// `OFPMMFC_UNKNOWN`.
        Unspecified = 0 => "unspecified",
        /// `OFPMMFC_METER_EXISTS`.
        MeterExists = 1 => "meter_exists",
        /// `OFPMMFC_INVALID_METER`.
        InvalidMeter = 2 => "invalid_meter",
        /// `OFPMMFC_UNKNOWN_METER`.
        UnknownMeter = 3 => "unknown_meter",
        /// `OFPMMFC_BAD_COMMAND`.
        BadCommand = 4 => "bad_command",
        /// `OFPMMFC_BAD_FLAGS`.
        BadFlags = 5 => "bad_flags",
        /// `OFPMMFC_BAD_RATE`.
        BadRate = 6 => "bad_rate",
        /// `OFPMMFC_BAD_BURST`.
        BadBurst = 7 => "bad_burst",
        /// `OFPMMFC_BAD_BAND`.
        BadBand = 8 => "bad_band",
        /// `OFPMMFC_BAD_BAND_VALUE`.
        BadBandValue = 9 => "bad_band_value",
        /// `OFPMMFC_OUT_OF_METERS`.
        OutOfMeters = 10 => "out_of_meters",
        /// `OFPMMFC_OUT_OF_BANDS`.
        OutOfBands = 11 => "out_of_bands",
    }
}

wire_enum! {
    /// `ofp_table_features_failed_code`.
    pub enum TableFeaturesFailedCode: u16 {
        /// `OFPTFFC_BAD_TABLE`.
        BadTable = 0 => "bad_table",
        /// `OFPTFFC_BAD_METADATA`.
        BadMetadata = 1 => "bad_metadata",
        /// `OFPTFFC_BAD_TYPE`.
        BadType = 2 => "bad_type",
        /// `OFPTFFC_BAD_LEN`.
        BadLen = 3 => "bad_len",
        /// `OFPTFFC_BAD_ARGUMENT`.
        BadArgument = 4 => "bad_argument",
        /// `OFPTFFC_EPERM`.
        Eperm = 5 => "eperm",
    }
}

/// An error type together with its code: the `(type, code)` pair of an ERROR message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ErrorCode {
    /// `OFPET_HELLO_FAILED`.
    HelloFailed(HelloFailedCode),
    /// `OFPET_BAD_REQUEST`.
    BadRequest(BadRequestCode),
    /// `OFPET_BAD_ACTION`.
    BadAction(BadActionCode),
    /// `OFPET_BAD_INSTRUCTION`.
    BadInstruction(BadInstructionCode),
    /// `OFPET_BAD_MATCH`.
    BadMatch(BadMatchCode),
    /// `OFPET_FLOW_MOD_FAILED`.
    FlowModFailed(FlowModFailedCode),
    /// `OFPET_GROUP_MOD_FAILED`.
    GroupModFailed(GroupModFailedCode),
    /// `OFPET_PORT_MOD_FAILED`.
    PortModFailed(PortModFailedCode),
    /// `OFPET_TABLE_MOD_FAILED`.
    TableModFailed(TableModFailedCode),
    /// `OFPET_QUEUE_OP_FAILED`.
    QueueOpFailed(QueueOpFailedCode),
    /// `OFPET_SWITCH_CONFIG_FAILED`.
    SwitchConfigFailed(SwitchConfigFailedCode),
    /// `OFPET_ROLE_REQUEST_FAILED`.
    RoleRequestFailed(RoleRequestFailedCode),
    /// `OFPET_METER_MOD_FAILED`.
    MeterModFailed(MeterModFailedCode),
    /// `OFPET_TABLE_FEATURES_FAILED`.
    TableFeaturesFailed(TableFeaturesFailedCode),
    /// `OFPET_EXPERIMENTER` (`ofp_error_experimenter_msg`).
    Experimenter {
        /// Experimenter-defined type (sent in the `code` position).
        exp_type: u16,
        /// Experimenter id.
        experimenter: u32,
    },
    /// An error type this crate does not know (14..=0xfffe; encoding refuses others).
    Unknown {
        /// `type`.
        error_type: u16,
        /// `code`.
        code: u16,
    },
}

impl ErrorCode {
    /// The error's type.
    pub fn error_type(&self) -> ErrorType {
        match self {
            ErrorCode::HelloFailed(_) => ErrorType::HelloFailed,
            ErrorCode::BadRequest(_) => ErrorType::BadRequest,
            ErrorCode::BadAction(_) => ErrorType::BadAction,
            ErrorCode::BadInstruction(_) => ErrorType::BadInstruction,
            ErrorCode::BadMatch(_) => ErrorType::BadMatch,
            ErrorCode::FlowModFailed(_) => ErrorType::FlowModFailed,
            ErrorCode::GroupModFailed(_) => ErrorType::GroupModFailed,
            ErrorCode::PortModFailed(_) => ErrorType::PortModFailed,
            ErrorCode::TableModFailed(_) => ErrorType::TableModFailed,
            ErrorCode::QueueOpFailed(_) => ErrorType::QueueOpFailed,
            ErrorCode::SwitchConfigFailed(_) => ErrorType::SwitchConfigFailed,
            ErrorCode::RoleRequestFailed(_) => ErrorType::RoleRequestFailed,
            ErrorCode::MeterModFailed(_) => ErrorType::MeterModFailed,
            ErrorCode::TableFeaturesFailed(_) => ErrorType::TableFeaturesFailed,
            ErrorCode::Experimenter { .. } => ErrorType::Experimenter,
            ErrorCode::Unknown { error_type, .. } => ErrorType::from_wire(*error_type),
        }
    }

    /// The `(type, code)` pair to put in an ERROR message (for experimenter errors the
    /// code is `exp_type`).
    pub fn type_code(&self) -> (u16, u16) {
        (self.error_type().to_wire(), self.code().0)
    }

    /// The code's wire value and its printable name.
    fn code(&self) -> (u16, &dyn fmt::Display) {
        match self {
            ErrorCode::HelloFailed(c) => (c.to_wire(), c),
            ErrorCode::BadRequest(c) => (c.to_wire(), c),
            ErrorCode::BadAction(c) => (c.to_wire(), c),
            ErrorCode::BadInstruction(c) => (c.to_wire(), c),
            ErrorCode::BadMatch(c) => (c.to_wire(), c),
            ErrorCode::FlowModFailed(c) => (c.to_wire(), c),
            ErrorCode::GroupModFailed(c) => (c.to_wire(), c),
            ErrorCode::PortModFailed(c) => (c.to_wire(), c),
            ErrorCode::TableModFailed(c) => (c.to_wire(), c),
            ErrorCode::QueueOpFailed(c) => (c.to_wire(), c),
            ErrorCode::SwitchConfigFailed(c) => (c.to_wire(), c),
            ErrorCode::RoleRequestFailed(c) => (c.to_wire(), c),
            ErrorCode::MeterModFailed(c) => (c.to_wire(), c),
            ErrorCode::TableFeaturesFailed(c) => (c.to_wire(), c),
            ErrorCode::Experimenter { exp_type, .. } => (*exp_type, exp_type),
            ErrorCode::Unknown { code, .. } => (*code, code),
        }
    }

    /// The code for a non-experimenter `(type, code)` pair read from the wire.
    pub fn from_type_code(error_type: u16, code: u16) -> Self {
        match ErrorType::from_wire(error_type) {
            ErrorType::HelloFailed => ErrorCode::HelloFailed(code.into()),
            ErrorType::BadRequest => ErrorCode::BadRequest(code.into()),
            ErrorType::BadAction => ErrorCode::BadAction(code.into()),
            ErrorType::BadInstruction => ErrorCode::BadInstruction(code.into()),
            ErrorType::BadMatch => ErrorCode::BadMatch(code.into()),
            ErrorType::FlowModFailed => ErrorCode::FlowModFailed(code.into()),
            ErrorType::GroupModFailed => ErrorCode::GroupModFailed(code.into()),
            ErrorType::PortModFailed => ErrorCode::PortModFailed(code.into()),
            ErrorType::TableModFailed => ErrorCode::TableModFailed(code.into()),
            ErrorType::QueueOpFailed => ErrorCode::QueueOpFailed(code.into()),
            ErrorType::SwitchConfigFailed => ErrorCode::SwitchConfigFailed(code.into()),
            ErrorType::RoleRequestFailed => ErrorCode::RoleRequestFailed(code.into()),
            ErrorType::MeterModFailed => ErrorCode::MeterModFailed(code.into()),
            ErrorType::TableFeaturesFailed => ErrorCode::TableFeaturesFailed(code.into()),
            ErrorType::Experimenter | ErrorType::Unknown(_) => {
                ErrorCode::Unknown { error_type, code }
            }
        }
    }
}

impl fmt::Display for ErrorCode {
    /// `bad_match:bad_prereq (type=4, code=9)`; experimenter errors show their id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, c) = self.type_code();
        match self {
            ErrorCode::Experimenter {
                exp_type,
                experimenter,
            } => write!(
                f,
                "experimenter:{exp_type} (experimenter={experimenter:#x}, type={t})"
            ),
            other => write!(
                f,
                "{}:{} (type={t}, code={c})",
                other.error_type(),
                other.code().1
            ),
        }
    }
}

/// The body of an `OFPT_ERROR` message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ErrorMsg {
    /// Type and code.
    pub code: ErrorCode,
    /// Type-specific data: usually the first bytes of the failed request; ASCII text for
    /// `OFPET_HELLO_FAILED`.
    pub data: Vec<u8>,
}

impl ErrorMsg {
    /// The reply to a request that failed with `code`: `data` is the first
    /// [`ERROR_DATA_LEN`] (64) bytes of the request as received (§7.4.4).
    pub fn reply_to(code: ErrorCode, request: &[u8]) -> Self {
        ErrorMsg {
            code,
            data: request.iter().take(ERROR_DATA_LEN).copied().collect(),
        }
    }

    /// Decodes an ERROR body.
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let error_type = r.u16("ofp_error_msg.type")?;
        let code = r.u16("ofp_error_msg.code")?;
        let code = if error_type == ErrorType::Experimenter.to_wire() {
            ErrorCode::Experimenter {
                exp_type: code,
                experimenter: r.u32("ofp_error_experimenter_msg.experimenter")?,
            }
        } else {
            ErrorCode::from_type_code(error_type, code)
        };
        Ok(ErrorMsg {
            code,
            data: r.take_rest().to_vec(),
        })
    }

    /// Encodes an ERROR body. [`ErrorCode::Unknown`] with a type this crate knows
    /// (0..=13, 0xffff) is refused: it would decode as a typed code.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let (t, c) = self.code.type_code();
        w.u16(t);
        w.u16(c);
        match self.code {
            ErrorCode::Experimenter { experimenter, .. } => w.u32(experimenter),
            ErrorCode::Unknown { error_type, .. }
                if !matches!(ErrorType::from_wire(error_type), ErrorType::Unknown(_)) =>
            {
                return Err(EncodeError::BadValue {
                    field: "ofp_error_msg.type",
                    reason: format!(
                        "type {error_type:#x} has a typed ErrorCode variant; use it instead \
                         of ErrorCode::Unknown"
                    ),
                });
            }
            _ => {}
        }
        w.bytes(&self.data);
        Ok(())
    }
}

impl fmt::Display for ErrorMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} data=0x{}", self.code, hex_bytes(&self.data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    fn enc(e: &ErrorMsg) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        e.encode_body(&mut Writer::new(&mut v))?;
        Ok(v)
    }

    #[test]
    fn golden_bad_match_prereq() {
        let e = ErrorMsg {
            code: ErrorCode::BadMatch(BadMatchCode::BadPrereq),
            data: vec![4, 14],
        };
        let b = [0, 4, 0, 9, 4, 14];
        assert_eq!(enc(&e).unwrap(), b);
        assert_eq!(ErrorMsg::decode_body(&mut Reader::with_base(&b, 8)), Ok(e));
        assert_eq!(
            ErrorCode::BadInstruction(BadInstructionCode::DupInst).type_code(),
            (3, 9)
        );
    }

    #[test]
    fn unknown_codes_and_types_round_trip() {
        let b = [0, 4, 0, 99, 1];
        let e = ErrorMsg::decode_body(&mut Reader::new(&b)).unwrap();
        assert_eq!(e.code, ErrorCode::BadMatch(BadMatchCode::Unknown(99)));
        assert_eq!(enc(&e).unwrap(), b);
        let b = [0, 77, 0, 1];
        let e = ErrorMsg::decode_body(&mut Reader::new(&b)).unwrap();
        assert_eq!(
            e.code,
            ErrorCode::Unknown {
                error_type: 77,
                code: 1
            }
        );
        assert_eq!(e.code.error_type(), ErrorType::Unknown(77));
        assert_eq!(enc(&e).unwrap(), b);
        let bad = ErrorMsg {
            code: ErrorCode::Unknown {
                error_type: 0xffff,
                code: 1,
            },
            data: vec![],
        };
        assert!(enc(&bad).is_err());
    }

    #[test]
    fn every_type_maps_back() {
        for t in 0..=13u16 {
            let c = ErrorCode::from_type_code(t, 1);
            assert_eq!(c.type_code(), (t, 1));
            assert!(!matches!(c, ErrorCode::Unknown { .. }));
        }
    }

    #[test]
    fn reply_carries_64_bytes() {
        let req: Vec<u8> = (0..100).collect();
        let e = ErrorMsg::reply_to(ErrorCode::BadRequest(BadRequestCode::BadLen), &req);
        assert_eq!(e.data, req[..64]);
        let e = ErrorMsg::reply_to(ErrorCode::BadRequest(BadRequestCode::BadLen), &req[..10]);
        assert_eq!(e.data.len(), 10);
    }

    #[test]
    fn truncated_experimenter_error() {
        let b = [0xff, 0xff, 0, 1, 0, 0];
        assert_eq!(
            ErrorMsg::decode_body(&mut Reader::with_base(&b, 8)),
            Err(DecodeError::Truncated {
                what: "ofp_error_experimenter_msg.experimenter",
                offset: 12,
                needed: 4,
                available: 2
            })
        );
    }

    #[test]
    fn ryu_vectors() {
        for name in [
            "4-15-ofp_error_msg.packet",
            "libofproto-OFP13-error_msg.packet",
        ] {
            body_round_trip(name, 1, ErrorMsg::decode_body, ErrorMsg::encode_body);
        }
        if let Some(e) = body_round_trip(
            "4-41-ofp_error_msg_experimenter.packet",
            1,
            ErrorMsg::decode_body,
            ErrorMsg::encode_body,
        ) {
            assert_eq!(
                e.code,
                ErrorCode::Experimenter {
                    exp_type: 60000,
                    experimenter: 999_999
                }
            );
            assert_eq!(e.data, b"jikken data");
        }
    }
}
