//! Table features (`ofp_table_features` and its properties, OpenFlow 1.3.5 §7.3.5.5):
//! the body of `OFPMP_TABLE_FEATURES` requests and replies.
//!
//! Each property is followed by zero padding to a multiple of 8 bytes that its `length`
//! does not count (§7.3.5.5.2); decoding skips it and encoding writes it. Properties of
//! unknown type keep their bytes and re-encode unchanged.

use crate::error::{DecodeError, EncodeError};
use crate::fixed_str::FixedStr;
use crate::items;
use crate::oxm::OFPXMC_EXPERIMENTER;
use crate::oxm::hex_bytes;
use crate::wire::{Reader, Writer};
use std::fmt;

/// Size of the fixed part of `ofp_table_features`.
pub const OFP_TABLE_FEATURES_LEN: usize = 64;
/// `OFP_MAX_TABLE_NAME_LEN`: size of the NUL-padded table name.
pub const OFP_MAX_TABLE_NAME_LEN: usize = 32;
/// Size of `ofp_table_feature_prop_header`.
pub const OFP_TABLE_FEATURE_PROP_HEADER_LEN: usize = 4;
/// Size of the fixed part of `ofp_table_feature_prop_experimenter`.
pub const OFP_TABLE_FEATURE_PROP_EXPERIMENTER_LEN: usize = 12;
/// `OFPTT_MAX`: the last usable table number.
pub const OFPTT_MAX: u8 = 0xfe;
/// `OFPTC_DEPRECATED_MASK`: the table `config` bits OpenFlow 1.3 deprecates.
pub const OFPTC_DEPRECATED_MASK: u32 = 3;

/// `ofp_table_feature_prop_type` codes (§7.3.5.5.2). Odd codes are the `_MISS` variants
/// that describe the table-miss flow entry.
pub mod prop_type {
    /// `OFPTFPT_INSTRUCTIONS`.
    pub const INSTRUCTIONS: u16 = 0;
    /// `OFPTFPT_INSTRUCTIONS_MISS`.
    pub const INSTRUCTIONS_MISS: u16 = 1;
    /// `OFPTFPT_NEXT_TABLES`.
    pub const NEXT_TABLES: u16 = 2;
    /// `OFPTFPT_NEXT_TABLES_MISS`.
    pub const NEXT_TABLES_MISS: u16 = 3;
    /// `OFPTFPT_WRITE_ACTIONS`.
    pub const WRITE_ACTIONS: u16 = 4;
    /// `OFPTFPT_WRITE_ACTIONS_MISS`.
    pub const WRITE_ACTIONS_MISS: u16 = 5;
    /// `OFPTFPT_APPLY_ACTIONS`.
    pub const APPLY_ACTIONS: u16 = 6;
    /// `OFPTFPT_APPLY_ACTIONS_MISS`.
    pub const APPLY_ACTIONS_MISS: u16 = 7;
    /// `OFPTFPT_MATCH`.
    pub const MATCH: u16 = 8;
    /// `OFPTFPT_WILDCARDS`.
    pub const WILDCARDS: u16 = 10;
    /// `OFPTFPT_WRITE_SETFIELD`.
    pub const WRITE_SETFIELD: u16 = 12;
    /// `OFPTFPT_WRITE_SETFIELD_MISS`.
    pub const WRITE_SETFIELD_MISS: u16 = 13;
    /// `OFPTFPT_APPLY_SETFIELD`.
    pub const APPLY_SETFIELD: u16 = 14;
    /// `OFPTFPT_APPLY_SETFIELD_MISS`.
    pub const APPLY_SETFIELD_MISS: u16 = 15;
    /// `OFPTFPT_EXPERIMENTER`.
    pub const EXPERIMENTER: u16 = 0xfffe;
    /// `OFPTFPT_EXPERIMENTER_MISS`.
    pub const EXPERIMENTER_MISS: u16 = 0xffff;

    /// Every code with a typed [`super::TableFeatureProp`] variant.
    pub const KNOWN: [u16; 16] = [
        INSTRUCTIONS,
        INSTRUCTIONS_MISS,
        NEXT_TABLES,
        NEXT_TABLES_MISS,
        WRITE_ACTIONS,
        WRITE_ACTIONS_MISS,
        APPLY_ACTIONS,
        APPLY_ACTIONS_MISS,
        MATCH,
        WILDCARDS,
        WRITE_SETFIELD,
        WRITE_SETFIELD_MISS,
        APPLY_SETFIELD,
        APPLY_SETFIELD_MISS,
        EXPERIMENTER,
        EXPERIMENTER_MISS,
    ];
}

/// One element of an instructions property: an instruction type without its data
/// (`ofp_instruction` header, §7.3.5.5.2). Experimenter instructions carry their
/// experimenter id in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct InstructionId {
    /// `OFPIT_*` type.
    pub instruction_type: u16,
    /// Bytes after the 4-byte type/len header (empty for standard instructions; the
    /// experimenter id for `OFPIT_EXPERIMENTER`).
    pub data: Vec<u8>,
}

impl InstructionId {
    /// A standard instruction id (4 bytes on the wire).
    pub fn new(instruction_type: u16) -> Self {
        InstructionId {
            instruction_type,
            data: Vec::new(),
        }
    }
}

/// One element of an actions property: an action type without its data
/// (`ofp_action_header` type and len, §7.3.5.5.2). Experimenter actions carry their
/// experimenter id in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ActionId {
    /// `OFPAT_*` type.
    pub action_type: u16,
    /// Bytes after the 4-byte type/len header (empty for standard actions; the
    /// experimenter id for `OFPAT_EXPERIMENTER`).
    pub data: Vec<u8>,
}

impl ActionId {
    /// A standard action id (4 bytes on the wire).
    pub fn new(action_type: u16) -> Self {
        ActionId {
            action_type,
            data: Vec::new(),
        }
    }
}

/// Decode a type/len element (instruction or action id): returns the type and the bytes
/// after the 4-byte header.
fn decode_tl_id(r: &mut Reader<'_>, what: &'static str) -> Result<(u16, Vec<u8>), DecodeError> {
    let mut e = items::take_item(r, what, 2, 4)?;
    let id_type = e.u16(what)?;
    e.skip(what, 2)?;
    Ok((id_type, e.take_rest().to_vec()))
}

fn encode_tl_id(
    w: &mut Writer<'_>,
    what: &'static str,
    id_type: u16,
    data: &[u8],
) -> Result<(), EncodeError> {
    let start = w.pos();
    w.u16(id_type);
    w.u16(0);
    w.bytes(data);
    w.patch_len16(what, start + 2, start)
}

/// One element of a match, wildcards or set-field property: an OXM header
/// (§7.3.5.5.2). Experimenter-class (0xffff) headers are 64-bit: the header followed by
/// the experimenter id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct OxmId {
    /// The 32-bit OXM header: class (16 bits), field (7), hasmask (1), length (8).
    pub header: u32,
    /// The experimenter id; present exactly when the class is `OFPXMC_EXPERIMENTER`.
    pub experimenter: Option<u32>,
}

impl OxmId {
    /// A header of class `OFPXMC_OPENFLOW_BASIC` (0x8000).
    pub fn basic(field: u8, has_mask: bool, length: u8) -> Self {
        OxmId {
            header: (u32::from(crate::oxm::OFPXMC_OPENFLOW_BASIC) << 16)
                | (u32::from(field & 0x7f) << 9)
                | (u32::from(has_mask) << 8)
                | u32::from(length),
            experimenter: None,
        }
    }

    /// `oxm_class`.
    pub fn class(&self) -> u16 {
        (self.header >> 16) as u16
    }

    /// `oxm_field`.
    pub fn field(&self) -> u8 {
        ((self.header >> 9) & 0x7f) as u8
    }

    /// `oxm_hasmask`.
    pub fn has_mask(&self) -> bool {
        self.header & 0x100 != 0
    }

    /// `oxm_length`.
    pub fn length(&self) -> u8 {
        (self.header & 0xff) as u8
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let header = r.u32("oxm_id")?;
        let experimenter = if (header >> 16) as u16 == OFPXMC_EXPERIMENTER {
            Some(r.u32("oxm_id.experimenter")?)
        } else {
            None
        };
        Ok(OxmId {
            header,
            experimenter,
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let is_exp = self.class() == OFPXMC_EXPERIMENTER;
        if is_exp != self.experimenter.is_some() {
            return Err(EncodeError::BadValue {
                field: "oxm_id.experimenter",
                reason: format!(
                    "header {:#010x}: an experimenter id must be present exactly for class 0xffff",
                    self.header
                ),
            });
        }
        w.u32(self.header);
        if let Some(e) = self.experimenter {
            w.u32(e);
        }
        Ok(())
    }
}

/// `ofp_table_feature_prop_experimenter` (§7.3.5.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ExperimenterProp {
    /// Experimenter id.
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Bytes after the 12-byte fixed part, excluding the trailing padding.
    pub data: Vec<u8>,
}

/// A table feature property (§7.3.5.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TableFeatureProp {
    /// `OFPTFPT_INSTRUCTIONS`: instructions supported by the table.
    Instructions(Vec<InstructionId>),
    /// `OFPTFPT_INSTRUCTIONS_MISS`: instructions for the table-miss entry.
    InstructionsMiss(Vec<InstructionId>),
    /// `OFPTFPT_NEXT_TABLES`: tables reachable with goto-table.
    NextTables(Vec<u8>),
    /// `OFPTFPT_NEXT_TABLES_MISS`: next tables for the table-miss entry.
    NextTablesMiss(Vec<u8>),
    /// `OFPTFPT_WRITE_ACTIONS`: actions for the write-actions instruction.
    WriteActions(Vec<ActionId>),
    /// `OFPTFPT_WRITE_ACTIONS_MISS`.
    WriteActionsMiss(Vec<ActionId>),
    /// `OFPTFPT_APPLY_ACTIONS`: actions for the apply-actions instruction.
    ApplyActions(Vec<ActionId>),
    /// `OFPTFPT_APPLY_ACTIONS_MISS`.
    ApplyActionsMiss(Vec<ActionId>),
    /// `OFPTFPT_MATCH`: fields the table can match.
    Match(Vec<OxmId>),
    /// `OFPTFPT_WILDCARDS`: fields the table can wildcard.
    Wildcards(Vec<OxmId>),
    /// `OFPTFPT_WRITE_SETFIELD`: fields for set-field in write-actions.
    WriteSetfield(Vec<OxmId>),
    /// `OFPTFPT_WRITE_SETFIELD_MISS`.
    WriteSetfieldMiss(Vec<OxmId>),
    /// `OFPTFPT_APPLY_SETFIELD`: fields for set-field in apply-actions.
    ApplySetfield(Vec<OxmId>),
    /// `OFPTFPT_APPLY_SETFIELD_MISS`.
    ApplySetfieldMiss(Vec<OxmId>),
    /// `OFPTFPT_EXPERIMENTER`.
    Experimenter(ExperimenterProp),
    /// `OFPTFPT_EXPERIMENTER_MISS`.
    ExperimenterMiss(ExperimenterProp),
    /// A property type this crate does not know, kept raw.
    Unknown {
        /// `type` field (a code not in [`prop_type::KNOWN`]).
        prop_type: u16,
        /// Bytes after the 4-byte header, excluding the trailing padding.
        data: Vec<u8>,
    },
}

impl TableFeatureProp {
    /// The property's `type` code.
    pub fn prop_type(&self) -> u16 {
        use prop_type as t;
        match self {
            TableFeatureProp::Instructions(_) => t::INSTRUCTIONS,
            TableFeatureProp::InstructionsMiss(_) => t::INSTRUCTIONS_MISS,
            TableFeatureProp::NextTables(_) => t::NEXT_TABLES,
            TableFeatureProp::NextTablesMiss(_) => t::NEXT_TABLES_MISS,
            TableFeatureProp::WriteActions(_) => t::WRITE_ACTIONS,
            TableFeatureProp::WriteActionsMiss(_) => t::WRITE_ACTIONS_MISS,
            TableFeatureProp::ApplyActions(_) => t::APPLY_ACTIONS,
            TableFeatureProp::ApplyActionsMiss(_) => t::APPLY_ACTIONS_MISS,
            TableFeatureProp::Match(_) => t::MATCH,
            TableFeatureProp::Wildcards(_) => t::WILDCARDS,
            TableFeatureProp::WriteSetfield(_) => t::WRITE_SETFIELD,
            TableFeatureProp::WriteSetfieldMiss(_) => t::WRITE_SETFIELD_MISS,
            TableFeatureProp::ApplySetfield(_) => t::APPLY_SETFIELD,
            TableFeatureProp::ApplySetfieldMiss(_) => t::APPLY_SETFIELD_MISS,
            TableFeatureProp::Experimenter(_) => t::EXPERIMENTER,
            TableFeatureProp::ExperimenterMiss(_) => t::EXPERIMENTER_MISS,
            TableFeatureProp::Unknown { prop_type, .. } => *prop_type,
        }
    }

    /// Decode one property and the padding after it.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        use TableFeatureProp as P;
        use prop_type as t;
        let offset = r.offset();
        let mut p = items::take_item(
            r,
            "ofp_table_feature_prop",
            2,
            OFP_TABLE_FEATURE_PROP_HEADER_LEN,
        )?;
        let len = p.remaining();
        items::skip_pad(r, "ofp_table_feature_prop padding", len, 8)?;
        let code = p.u16("ofp_table_feature_prop.type")?;
        p.skip("ofp_table_feature_prop.length", 2)?;
        let p = &mut p;
        let instructions = |p: &mut Reader<'_>| {
            items::list(p, "instruction_id", |p| {
                let (instruction_type, data) = decode_tl_id(p, "instruction_id")?;
                Ok(InstructionId {
                    instruction_type,
                    data,
                })
            })
        };
        let actions = |p: &mut Reader<'_>| {
            items::list(p, "action_id", |p| {
                let (action_type, data) = decode_tl_id(p, "action_id")?;
                Ok(ActionId { action_type, data })
            })
        };
        let oxms = |p: &mut Reader<'_>| items::list(p, "oxm_id", OxmId::decode);
        let experimenter = |p: &mut Reader<'_>| {
            if len < OFP_TABLE_FEATURE_PROP_EXPERIMENTER_LEN {
                return Err(DecodeError::BadLength {
                    what: "ofp_table_feature_prop_experimenter",
                    offset,
                    expected: ">= 12".to_string(),
                    found: len,
                });
            }
            Ok(ExperimenterProp {
                experimenter: p.u32("ofp_table_feature_prop_experimenter.experimenter")?,
                exp_type: p.u32("ofp_table_feature_prop_experimenter.exp_type")?,
                data: p.take_rest().to_vec(),
            })
        };
        Ok(match code {
            t::INSTRUCTIONS => P::Instructions(instructions(p)?),
            t::INSTRUCTIONS_MISS => P::InstructionsMiss(instructions(p)?),
            t::NEXT_TABLES => P::NextTables(p.take_rest().to_vec()),
            t::NEXT_TABLES_MISS => P::NextTablesMiss(p.take_rest().to_vec()),
            t::WRITE_ACTIONS => P::WriteActions(actions(p)?),
            t::WRITE_ACTIONS_MISS => P::WriteActionsMiss(actions(p)?),
            t::APPLY_ACTIONS => P::ApplyActions(actions(p)?),
            t::APPLY_ACTIONS_MISS => P::ApplyActionsMiss(actions(p)?),
            t::MATCH => P::Match(oxms(p)?),
            t::WILDCARDS => P::Wildcards(oxms(p)?),
            t::WRITE_SETFIELD => P::WriteSetfield(oxms(p)?),
            t::WRITE_SETFIELD_MISS => P::WriteSetfieldMiss(oxms(p)?),
            t::APPLY_SETFIELD => P::ApplySetfield(oxms(p)?),
            t::APPLY_SETFIELD_MISS => P::ApplySetfieldMiss(oxms(p)?),
            t::EXPERIMENTER => P::Experimenter(experimenter(p)?),
            t::EXPERIMENTER_MISS => P::ExperimenterMiss(experimenter(p)?),
            prop_type => P::Unknown {
                prop_type,
                data: p.take_rest().to_vec(),
            },
        })
    }

    /// Encode the property, computing its length, then pad to 8 bytes.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        use TableFeatureProp as P;
        let start = w.pos();
        w.u16(self.prop_type());
        w.u16(0);
        match self {
            P::Instructions(ids) | P::InstructionsMiss(ids) => {
                for id in ids {
                    encode_tl_id(w, "instruction_id", id.instruction_type, &id.data)?;
                }
            }
            P::NextTables(tables) | P::NextTablesMiss(tables) => w.bytes(tables),
            P::WriteActions(ids)
            | P::WriteActionsMiss(ids)
            | P::ApplyActions(ids)
            | P::ApplyActionsMiss(ids) => {
                for id in ids {
                    encode_tl_id(w, "action_id", id.action_type, &id.data)?;
                }
            }
            P::Match(ids)
            | P::Wildcards(ids)
            | P::WriteSetfield(ids)
            | P::WriteSetfieldMiss(ids)
            | P::ApplySetfield(ids)
            | P::ApplySetfieldMiss(ids) => items::encode_all(ids, w, OxmId::encode)?,
            P::Experimenter(e) | P::ExperimenterMiss(e) => {
                w.u32(e.experimenter);
                w.u32(e.exp_type);
                w.bytes(&e.data);
            }
            P::Unknown { prop_type, data } => {
                items::reject_known("ofp_table_feature_prop.type", *prop_type, &prop_type::KNOWN)?;
                w.bytes(data);
            }
        }
        w.patch_len16("ofp_table_feature_prop", start + 2, start)?;
        w.pad_to_named("ofp_table_feature_prop padding", start, 8);
        Ok(())
    }
}

/// `ofp_table_features` (§7.3.5.5.1): the features of one flow table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TableFeatures {
    /// Table number.
    pub table_id: u8,
    /// NUL-padded table name.
    pub name: FixedStr<OFP_MAX_TABLE_NAME_LEN>,
    /// Metadata bits the table can match.
    pub metadata_match: u64,
    /// Metadata bits the table can write.
    pub metadata_write: u64,
    /// `OFPTC_*` bits.
    pub config: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// The properties, in wire order.
    pub properties: Vec<TableFeatureProp>,
}

impl TableFeatures {
    /// Decode one entry (its `length` field bounds the properties).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut t = items::take_item(r, "ofp_table_features", 0, OFP_TABLE_FEATURES_LEN)?;
        t.skip("ofp_table_features.length", 2)?;
        let table_id = t.u8("ofp_table_features.table_id")?;
        t.skip("ofp_table_features.pad", 5)?;
        Ok(TableFeatures {
            table_id,
            name: FixedStr::decode(&mut t, "ofp_table_features.name")?,
            metadata_match: t.u64("ofp_table_features.metadata_match")?,
            metadata_write: t.u64("ofp_table_features.metadata_write")?,
            config: t.u32("ofp_table_features.config")?,
            max_entries: t.u32("ofp_table_features.max_entries")?,
            properties: items::list(&mut t, "ofp_table_feature_prop", TableFeatureProp::decode)?,
        })
    }

    /// Encode the entry, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(0);
        w.u8(self.table_id);
        w.pad("ofp_table_features.pad", 5);
        self.name.encode(w);
        w.u64(self.metadata_match);
        w.u64(self.metadata_write);
        w.u32(self.config);
        w.u32(self.max_entries);
        items::encode_all(&self.properties, w, TableFeatureProp::encode)?;
        w.patch_len16("ofp_table_features", start, start)
    }

    /// The first property of the given type code, if any.
    pub fn property(&self, code: u16) -> Option<&TableFeatureProp> {
        self.properties.iter().find(|p| p.prop_type() == code)
    }
}

impl TableFeatureProp {
    /// The `OFPTFPT_*` name in lower case (`"apply_actions_miss"`), or `"unknown"`.
    pub fn name(&self) -> &'static str {
        use TableFeatureProp as P;
        match self {
            P::Instructions(_) => "instructions",
            P::InstructionsMiss(_) => "instructions_miss",
            P::NextTables(_) => "next_tables",
            P::NextTablesMiss(_) => "next_tables_miss",
            P::WriteActions(_) => "write_actions",
            P::WriteActionsMiss(_) => "write_actions_miss",
            P::ApplyActions(_) => "apply_actions",
            P::ApplyActionsMiss(_) => "apply_actions_miss",
            P::Match(_) => "match",
            P::Wildcards(_) => "wildcards",
            P::WriteSetfield(_) => "write_setfield",
            P::WriteSetfieldMiss(_) => "write_setfield_miss",
            P::ApplySetfield(_) => "apply_setfield",
            P::ApplySetfieldMiss(_) => "apply_setfield_miss",
            P::Experimenter(_) => "experimenter",
            P::ExperimenterMiss(_) => "experimenter_miss",
            P::Unknown { .. } => "unknown",
        }
    }
}

impl fmt::Display for TableFeatureProp {
    /// `name(n)` with the number of ids for list properties (`match(40)`,
    /// `next_tables(254)`), `experimenter(0x65:1:<hex>)`, `unknown(9:<hex>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TableFeatureProp as P;
        let name = self.name();
        match self {
            P::Instructions(v) | P::InstructionsMiss(v) => write!(f, "{name}({})", v.len()),
            P::NextTables(v) | P::NextTablesMiss(v) => write!(f, "{name}({})", v.len()),
            P::WriteActions(v)
            | P::WriteActionsMiss(v)
            | P::ApplyActions(v)
            | P::ApplyActionsMiss(v) => write!(f, "{name}({})", v.len()),
            P::Match(v)
            | P::Wildcards(v)
            | P::WriteSetfield(v)
            | P::WriteSetfieldMiss(v)
            | P::ApplySetfield(v)
            | P::ApplySetfieldMiss(v) => write!(f, "{name}({})", v.len()),
            P::Experimenter(e) | P::ExperimenterMiss(e) => write!(
                f,
                "{name}({:#x}:{}:{})",
                e.experimenter,
                e.exp_type,
                hex_bytes(&e.data)
            ),
            P::Unknown { prop_type, data } => write!(f, "{name}({prop_type}:{})", hex_bytes(data)),
        }
    }
}

impl fmt::Display for TableFeatures {
    /// `table=0 name="Flow Table 0x00" metadata_match=0xff.. metadata_write=0x..
    /// config=0x0 max_entries=16777216 instructions(6),next_tables(254),...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table={} name={:?} metadata_match={:#x} metadata_write={:#x} config={:#x} \
             max_entries={} ",
            self.table_id,
            self.name.to_string_lossy(),
            self.metadata_match,
            self.metadata_write,
            self.config,
            self.max_entries
        )?;
        items::fmt_joined(f, &self.properties, ",")
    }
}

/// Proptest generators for the table-features types.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use crate::strategies::arb_bytes;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn arb_oxm_id() -> impl Strategy<Value = OxmId> + Clone {
        prop_oneof![
            any::<u32>()
                .prop_filter("not experimenter", |h| (h >> 16) != 0xffff)
                .prop_map(|header| OxmId {
                    header,
                    experimenter: None
                }),
            (any::<u16>(), any::<u32>()).prop_map(|(low, e)| OxmId {
                header: 0xffff_0000 | u32::from(low),
                experimenter: Some(e)
            }),
        ]
    }

    fn arb_experimenter_prop() -> impl Strategy<Value = ExperimenterProp> {
        (any::<u32>(), any::<u32>(), arb_bytes(20)).prop_map(|(experimenter, exp_type, data)| {
            ExperimenterProp {
                experimenter,
                exp_type,
                data,
            }
        })
    }

    /// Any property, every variant included (all canonical).
    pub(crate) fn arb_prop() -> impl Strategy<Value = TableFeatureProp> {
        use TableFeatureProp as P;
        let iids = vec(
            (any::<u16>(), prop_oneof![Just(vec![]), arb_bytes(8)]).prop_map(|(t, data)| {
                InstructionId {
                    instruction_type: t,
                    data,
                }
            }),
            0..6,
        );
        let aids = vec(
            (any::<u16>(), prop_oneof![Just(vec![]), arb_bytes(8)]).prop_map(|(t, data)| {
                ActionId {
                    action_type: t,
                    data,
                }
            }),
            0..6,
        );
        let oids = vec(arb_oxm_id(), 0..6);
        let tables = vec(any::<u8>(), 0..20);
        prop_oneof![
            iids.clone().prop_map(P::Instructions),
            iids.prop_map(P::InstructionsMiss),
            tables.clone().prop_map(P::NextTables),
            tables.prop_map(P::NextTablesMiss),
            aids.clone().prop_map(P::WriteActions),
            aids.clone().prop_map(P::WriteActionsMiss),
            aids.clone().prop_map(P::ApplyActions),
            aids.prop_map(P::ApplyActionsMiss),
            oids.clone().prop_map(P::Match),
            oids.clone().prop_map(P::Wildcards),
            oids.clone().prop_map(P::WriteSetfield),
            oids.clone().prop_map(P::WriteSetfieldMiss),
            oids.clone().prop_map(P::ApplySetfield),
            oids.prop_map(P::ApplySetfieldMiss),
            arb_experimenter_prop().prop_map(P::Experimenter),
            arb_experimenter_prop().prop_map(P::ExperimenterMiss),
            (
                any::<u16>().prop_filter("unknown", |t| !prop_type::KNOWN.contains(t)),
                arb_bytes(20)
            )
                .prop_map(|(prop_type, data)| P::Unknown { prop_type, data }),
        ]
    }

    pub(crate) fn arb_table_features() -> impl Strategy<Value = TableFeatures> {
        (
            any::<u8>(),
            prop_oneof![
                "[A-Za-z0-9 ]{0,31}".prop_map(|s| FixedStr::new(&s).unwrap_or_default()),
                any::<[u8; 32]>().prop_map(FixedStr::from_bytes),
            ],
            any::<[u64; 2]>(),
            any::<[u32; 2]>(),
            vec(arb_prop(), 0..6),
        )
            .prop_map(|(table_id, name, m, c, properties)| TableFeatures {
                table_id,
                name,
                metadata_match: m[0],
                metadata_write: m[1],
                config: c[0],
                max_entries: c[1],
                properties,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::ryu_vectors::{decodable_prefixes, decode_at8, encode_vec};
    use proptest::prelude::*;

    fn decode_list(r: &mut Reader<'_>) -> Result<Vec<TableFeatures>, DecodeError> {
        items::list(r, "ofp_table_features", TableFeatures::decode)
    }

    /// Hand-written from §7.3.5.5: one table with a 6-byte next-tables property
    /// (2 padding bytes), an experimenter property and an unknown property.
    #[test]
    fn golden_table_features() {
        let tf = TableFeatures {
            table_id: 1,
            name: FixedStr::new("t1").unwrap(),
            metadata_match: 0xff,
            metadata_write: 0,
            config: 0,
            max_entries: 100,
            properties: vec![
                TableFeatureProp::NextTables(vec![2, 3]),
                TableFeatureProp::Match(vec![
                    OxmId::basic(0, false, 4),
                    OxmId {
                        header: 0xffff_0105,
                        experimenter: Some(0x4f4e_4600),
                    },
                ]),
                TableFeatureProp::ExperimenterMiss(ExperimenterProp {
                    experimenter: 7,
                    exp_type: 8,
                    data: vec![9],
                }),
                TableFeatureProp::Unknown {
                    prop_type: 9,
                    data: vec![],
                },
            ],
        };
        let bytes = encode_vec(&tf, TableFeatures::encode).unwrap();
        let mut expect = vec![0, 64 + 8 + 16 + 16 + 8, 1, 0, 0, 0, 0, 0];
        expect.extend_from_slice(b"t1");
        expect.extend_from_slice(&[0; 30]);
        expect.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
        expect.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 100]);
        expect.extend_from_slice(&[0, 2, 0, 6, 2, 3, 0, 0]);
        expect.extend_from_slice(&[0, 8, 0, 16, 0x80, 0, 0, 4, 0xff, 0xff, 1, 5]);
        expect.extend_from_slice(&[0x4f, 0x4e, 0x46, 0]);
        expect.extend_from_slice(&[0xff, 0xff, 0, 13, 0, 0, 0, 7, 0, 0, 0, 8, 9, 0, 0, 0]);
        expect.extend_from_slice(&[0, 9, 0, 4, 0, 0, 0, 0]);
        assert_eq!(bytes, expect);
        assert_eq!(decode_at8(&bytes, TableFeatures::decode).unwrap(), tf);
        assert!(decodable_prefixes(&bytes, TableFeatures::decode).is_empty());
        assert_eq!(
            tf.property(prop_type::NEXT_TABLES),
            Some(&TableFeatureProp::NextTables(vec![2, 3]))
        );
    }

    #[test]
    fn display() {
        let tf = TableFeatures {
            table_id: 3,
            name: FixedStr::new("t").unwrap(),
            max_entries: 10,
            properties: vec![
                TableFeatureProp::Match(vec![OxmId::basic(0, false, 4)]),
                TableFeatureProp::ExperimenterMiss(ExperimenterProp {
                    experimenter: 0x65,
                    exp_type: 1,
                    data: vec![0xff],
                }),
                TableFeatureProp::Unknown {
                    prop_type: 9,
                    data: vec![],
                },
            ],
            ..TableFeatures::default()
        };
        assert_eq!(
            tf.to_string(),
            "table=3 name=\"t\" metadata_match=0x0 metadata_write=0x0 config=0x0 max_entries=10 \
             match(1),experimenter_miss(0x65:1:ff),unknown(9:)"
        );
    }

    #[test]
    fn oxm_id_accessors() {
        let id = OxmId::basic(6, true, 4);
        assert_eq!(id.header, 0x8000_0d04);
        assert_eq!(
            (id.class(), id.field(), id.has_mask(), id.length()),
            (0x8000, 6, true, 4)
        );
        let bad = OxmId {
            header: 0xffff_0000,
            experimenter: None,
        };
        assert!(
            encode_vec(
                &TableFeatureProp::Match(vec![bad]),
                TableFeatureProp::encode
            )
            .is_err()
        );
        let bad = OxmId {
            experimenter: Some(1),
            ..OxmId::basic(0, false, 4)
        };
        assert!(
            encode_vec(
                &TableFeatureProp::Match(vec![bad]),
                TableFeatureProp::encode
            )
            .is_err()
        );
    }

    #[test]
    fn property_errors() {
        // Missing padding after a 6-byte property.
        let bytes = [0, 2, 0, 6, 1, 2];
        assert_eq!(
            decode_at8(&bytes, TableFeatureProp::decode).unwrap_err(),
            DecodeError::Truncated {
                what: "ofp_table_feature_prop padding",
                offset: 14,
                needed: 2,
                available: 0
            }
        );
        // Experimenter property shorter than 12 bytes.
        let bytes = [0xff, 0xfe, 0, 8, 0, 0, 0, 1];
        assert_eq!(
            decode_at8(&bytes, TableFeatureProp::decode).unwrap_err(),
            DecodeError::BadLength {
                what: "ofp_table_feature_prop_experimenter",
                offset: 8,
                expected: ">= 12".into(),
                found: 8
            }
        );
        // Experimenter OXM id cut after its header.
        let bytes = [0, 8, 0, 8, 0xff, 0xff, 0, 4];
        assert!(matches!(
            decode_at8(&bytes, TableFeatureProp::decode),
            Err(DecodeError::Truncated {
                what: "oxm_id.experimenter",
                offset: 16,
                ..
            })
        ));
        // Instruction id with len 2.
        let bytes = [0, 0, 0, 8, 0, 1, 0, 2];
        assert!(matches!(
            decode_at8(&bytes, TableFeatureProp::decode),
            Err(DecodeError::BadLength {
                what: "instruction_id",
                offset: 12,
                found: 2,
                ..
            })
        ));
        // Property length 2 < header.
        let bytes = [0, 0, 0, 2, 0, 0, 0, 0];
        assert!(matches!(
            decode_at8(&bytes, TableFeatureProp::decode),
            Err(DecodeError::BadLength {
                what: "ofp_table_feature_prop",
                offset: 8,
                found: 2,
                ..
            })
        ));
        // Table features length 16 < 64.
        let mut bytes = vec![0, 16];
        bytes.resize(64, 0);
        assert!(matches!(
            decode_at8(&bytes, decode_list),
            Err(DecodeError::BadLength {
                what: "ofp_table_features",
                offset: 8,
                found: 16,
                ..
            })
        ));
    }

    #[test]
    fn overlong_properties_and_tables_are_encode_errors() {
        // A next-tables property of 4 + 65531 bytes is the longest its length field holds.
        let prop = |n| TableFeatureProp::NextTables(vec![1; n]);
        let bytes = encode_vec(&prop(65531), TableFeatureProp::encode).unwrap();
        assert_eq!(&bytes[2..4], &[0xff, 0xff]);
        assert_eq!(bytes.len(), 65536);
        assert!(matches!(
            encode_vec(&prop(65532), TableFeatureProp::encode),
            Err(EncodeError::TooLong {
                what: "ofp_table_feature_prop",
                len: 65536,
                ..
            })
        ));
        // ... but then the table entry holding it is too long.
        let tf = TableFeatures {
            properties: vec![prop(65531)],
            ..TableFeatures::default()
        };
        assert!(matches!(
            encode_vec(&tf, TableFeatures::encode),
            Err(EncodeError::TooLong {
                what: "ofp_table_features",
                len: 65600,
                ..
            })
        ));
    }

    #[test]
    fn raw_property_with_known_type_is_refused() {
        let p = TableFeatureProp::Unknown {
            prop_type: prop_type::MATCH,
            data: vec![],
        };
        assert!(matches!(
            encode_vec(&p, TableFeatureProp::encode),
            Err(EncodeError::BadValue { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn table_features_round_trip(tfs in proptest::collection::vec(arb_table_features(), 0..4)) {
            let bytes = encode_vec(&tfs, |tfs, w| items::encode_all(tfs, w, TableFeatures::encode)).unwrap();
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert_eq!(decode_at8(&bytes, decode_list).unwrap(), tfs);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_at8(&bytes, decode_list);
            let _ = decode_at8(&bytes, TableFeatureProp::decode);
        }
    }
}
