//! Instructions, OpenFlow 1.3.5 §7.2.4 (`ofp_instruction_*`).

use crate::Action;

/// One instruction of a flow entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Instruction {
    /// `OFPIT_GOTO_TABLE` (1).
    GotoTable(u8),
    /// `OFPIT_WRITE_METADATA` (2).
    WriteMetadata {
        /// Metadata value.
        metadata: u64,
        /// Which bits of the metadata to write.
        mask: u64,
    },
    /// `OFPIT_WRITE_ACTIONS` (3): merge into the action set.
    WriteActions(Vec<Action>),
    /// `OFPIT_APPLY_ACTIONS` (4): apply immediately, in order.
    ApplyActions(Vec<Action>),
    /// `OFPIT_CLEAR_ACTIONS` (5).
    ClearActions,
    /// `OFPIT_METER` (6).
    Meter(u32),
    /// `OFPIT_EXPERIMENTER` (0xffff), kept raw.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the experimenter id, byte for byte.
        data: Vec<u8>,
    },
    /// An instruction type this crate does not know, kept raw.
    Unknown {
        /// `type` field.
        instruction_type: u16,
        /// Everything after the 4-byte type/len header, byte for byte.
        data: Vec<u8>,
    },
}
