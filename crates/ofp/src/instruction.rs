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

use crate::action::{ActionsRef, encode_actions, fmt_actions};
use crate::error::{DecodeError, EncodeError};
use crate::oxm::hex_bytes;
use crate::tlv::{self, Item};
use crate::wire::{Reader, Sink};
use std::fmt;

/// `OFPIT_GOTO_TABLE`.
pub const OFPIT_GOTO_TABLE: u16 = 1;
/// `OFPIT_WRITE_METADATA`.
pub const OFPIT_WRITE_METADATA: u16 = 2;
/// `OFPIT_WRITE_ACTIONS`.
pub const OFPIT_WRITE_ACTIONS: u16 = 3;
/// `OFPIT_APPLY_ACTIONS`.
pub const OFPIT_APPLY_ACTIONS: u16 = 4;
/// `OFPIT_CLEAR_ACTIONS`.
pub const OFPIT_CLEAR_ACTIONS: u16 = 5;
/// `OFPIT_METER`.
pub const OFPIT_METER: u16 = 6;
/// `OFPIT_EXPERIMENTER`.
pub const OFPIT_EXPERIMENTER: u16 = 0xffff;

/// Bytes of the smallest instruction (`ofp_instruction` header plus 4 bytes).
pub const OFP_INSTRUCTION_MIN_LEN: usize = 8;

/// Names of the instruction header's fields, for errors.
const HEADER: tlv::Names = tlv::Names {
    what: "ofp_instruction",
    type_field: "ofp_instruction.type",
    len_field: LEN_FIELD,
};

/// The instruction header's length field.
const LEN_FIELD: &str = "ofp_instruction.len";

/// The spec name and exact length of each fixed-size instruction type.
fn fixed_layout(instruction_type: u16) -> Option<(&'static str, usize)> {
    Some(match instruction_type {
        OFPIT_GOTO_TABLE => ("ofp_instruction_goto_table", 8),
        OFPIT_WRITE_METADATA => ("ofp_instruction_write_metadata", 24),
        OFPIT_CLEAR_ACTIONS => ("ofp_instruction_actions", 8),
        OFPIT_METER => ("ofp_instruction_meter", 8),
        _ => return None,
    })
}

impl Instruction {
    /// The `type` field (`OFPIT_*`).
    #[inline]
    pub fn instruction_type(&self) -> u16 {
        match self {
            Instruction::GotoTable(_) => OFPIT_GOTO_TABLE,
            Instruction::WriteMetadata { .. } => OFPIT_WRITE_METADATA,
            Instruction::WriteActions(_) => OFPIT_WRITE_ACTIONS,
            Instruction::ApplyActions(_) => OFPIT_APPLY_ACTIONS,
            Instruction::ClearActions => OFPIT_CLEAR_ACTIONS,
            Instruction::Meter(_) => OFPIT_METER,
            Instruction::Experimenter { .. } => OFPIT_EXPERIMENTER,
            Instruction::Unknown {
                instruction_type, ..
            } => *instruction_type,
        }
    }

    /// The instruction's spec name (`"goto_table"`, `"apply_actions"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Instruction::GotoTable(_) => "goto_table",
            Instruction::WriteMetadata { .. } => "write_metadata",
            Instruction::WriteActions(_) => "write_actions",
            Instruction::ApplyActions(_) => "apply_actions",
            Instruction::ClearActions => "clear_actions",
            Instruction::Meter(_) => "meter",
            Instruction::Experimenter { .. } => "experimenter",
            Instruction::Unknown { .. } => "unknown",
        }
    }

    /// Bytes on the wire (`len`).
    #[inline]
    pub fn encoded_len(&self) -> usize {
        match self {
            Instruction::WriteActions(a) | Instruction::ApplyActions(a) => {
                8 + a.iter().map(crate::Action::encoded_len).sum::<usize>()
            }
            Instruction::Experimenter { data, .. } => 8 + data.len(),
            Instruction::Unknown { data, .. } => 4 + data.len(),
            other => fixed_layout(other.instruction_type()).map_or(8, |(_, len)| len),
        }
    }

    /// Encodes the instruction, computing `len` and writing zero padding.
    ///
    /// Experimenter and unknown instructions are written byte for byte; their `data` must
    /// make the instruction a multiple of 8 bytes long or [`EncodeError::BadValue`] is
    /// returned (as it is for an [`Instruction::Unknown`] with a typed instruction type).
    #[inline(always)]
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        // Fixed-size instructions are built on the stack and appended at once.
        let t = self.instruction_type();
        let [t0, t1] = t.to_be_bytes();
        match self {
            Instruction::GotoTable(table) => w.padded(
                &[t0, t1, 0, 8, *table, 0, 0, 0],
                &[("ofp_instruction_goto_table.pad", 5..8)],
            ),
            Instruction::WriteMetadata { metadata, mask } => {
                let [d0, d1, d2, d3, d4, d5, d6, d7] = metadata.to_be_bytes();
                let [m0, m1, m2, m3, m4, m5, m6, m7] = mask.to_be_bytes();
                let b = [
                    t0, t1, 0, 24, 0, 0, 0, 0, d0, d1, d2, d3, d4, d5, d6, d7, m0, m1, m2, m3, m4,
                    m5, m6, m7,
                ];
                w.padded(&b, &[("ofp_instruction_write_metadata.pad", 4..8)]);
            }
            Instruction::WriteActions(actions) | Instruction::ApplyActions(actions) => {
                encode_actions_instruction(w, t, |w| encode_actions(actions, w))?;
            }
            Instruction::ClearActions => w.padded(
                &[t0, t1, 0, 8, 0, 0, 0, 0],
                &[("ofp_instruction_actions.pad", 4..8)],
            ),
            Instruction::Meter(id) => {
                let [i0, i1, i2, i3] = id.to_be_bytes();
                w.bytes(&[t0, t1, 0, 8, i0, i1, i2, i3]);
            }
            Instruction::Experimenter { experimenter, data } => {
                encode_experimenter(w, *experimenter, data)?;
            }
            Instruction::Unknown {
                instruction_type,
                data,
            } => encode_unknown(w, *instruction_type, data)?,
        }
        Ok(())
    }
}

/// Writes the header of a write/apply-actions instruction of type `t`, the actions
/// `actions` writes, and patches the length.
#[inline(always)]
fn encode_actions_instruction<S: Sink>(
    w: &mut S,
    t: u16,
    actions: impl FnOnce(&mut S) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let start = w.pos();
    // Type, a length patched below, padding: one word, one store.
    w.padded(
        &(u64::from(t) << 48).to_be_bytes(),
        &[("ofp_instruction_actions.pad", 4..8)],
    );
    actions(w)?;
    tlv::finish(w, start, LEN_FIELD, t)
}

/// Writes an experimenter instruction byte for byte.
fn encode_experimenter(
    w: &mut impl Sink,
    experimenter: u32,
    data: &[u8],
) -> Result<(), EncodeError> {
    tlv::header(w, OFPIT_EXPERIMENTER, 8 + data.len(), LEN_FIELD)?;
    w.u32(experimenter);
    w.bytes(data);
    Ok(())
}

/// Writes an instruction of a type this crate does not know byte for byte (refusing a
/// typed type, which would not decode back as unknown).
fn encode_unknown(
    w: &mut impl Sink,
    instruction_type: u16,
    data: &[u8],
) -> Result<(), EncodeError> {
    if (OFPIT_GOTO_TABLE..=OFPIT_METER).contains(&instruction_type)
        || instruction_type == OFPIT_EXPERIMENTER
    {
        return Err(tlv::typed_type("ofp_instruction.type", instruction_type));
    }
    tlv::header(w, instruction_type, 4 + data.len(), LEN_FIELD)?;
    w.bytes(data);
    Ok(())
}

/// One instruction borrowed from a received message: [`Instruction`] with its action
/// list decoded lazily ([`ActionsRef`]) and raw bytes borrowed. Yielded by
/// [`InstructionsRef::iter`]; [`InstructionRef::into_owned`] gives the [`Instruction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstructionRef<'a> {
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
    WriteActions(ActionsRef<'a>),
    /// `OFPIT_APPLY_ACTIONS` (4): apply immediately, in order.
    ApplyActions(ActionsRef<'a>),
    /// `OFPIT_CLEAR_ACTIONS` (5).
    ClearActions,
    /// `OFPIT_METER` (6).
    Meter(u32),
    /// `OFPIT_EXPERIMENTER` (0xffff), kept raw.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Everything after the experimenter id, borrowed.
        data: &'a [u8],
    },
    /// An instruction type this crate does not know, kept raw.
    Unknown {
        /// `type` field.
        instruction_type: u16,
        /// Everything after the 4-byte type/len header, borrowed.
        data: &'a [u8],
    },
}

impl<'a> InstructionRef<'a> {
    /// The owned form (decodes and copies the action list, copies raw bytes).
    #[inline]
    pub fn into_owned(self) -> Instruction {
        match self {
            InstructionRef::GotoTable(t) => Instruction::GotoTable(t),
            InstructionRef::WriteMetadata { metadata, mask } => {
                Instruction::WriteMetadata { metadata, mask }
            }
            InstructionRef::WriteActions(a) => Instruction::WriteActions(a.to_vec()),
            InstructionRef::ApplyActions(a) => Instruction::ApplyActions(a.to_vec()),
            InstructionRef::ClearActions => Instruction::ClearActions,
            InstructionRef::Meter(m) => Instruction::Meter(m),
            InstructionRef::Experimenter { experimenter, data } => Instruction::Experimenter {
                experimenter,
                data: data.to_vec(),
            },
            InstructionRef::Unknown {
                instruction_type,
                data,
            } => Instruction::Unknown {
                instruction_type,
                data: data.to_vec(),
            },
        }
    }

    /// The `type` field (`OFPIT_*`).
    #[inline]
    pub fn instruction_type(&self) -> u16 {
        match self {
            InstructionRef::GotoTable(_) => OFPIT_GOTO_TABLE,
            InstructionRef::WriteMetadata { .. } => OFPIT_WRITE_METADATA,
            InstructionRef::WriteActions(_) => OFPIT_WRITE_ACTIONS,
            InstructionRef::ApplyActions(_) => OFPIT_APPLY_ACTIONS,
            InstructionRef::ClearActions => OFPIT_CLEAR_ACTIONS,
            InstructionRef::Meter(_) => OFPIT_METER,
            InstructionRef::Experimenter { .. } => OFPIT_EXPERIMENTER,
            InstructionRef::Unknown {
                instruction_type, ..
            } => *instruction_type,
        }
    }

    /// Decodes one instruction (§7.2.4) framed as `item` (its `len` is a multiple of 8, at
    /// least 8 and within the bytes present); `len` must be exact for fixed-size
    /// instructions. This is the crate's one instruction parser. An action list is handed
    /// to `actions` with its absolute offset: [`ActionsRef::parse`] to check it, or
    /// [`ActionsRef::trusted`] for a list checked before.
    #[inline]
    fn parse(
        item: Item<'a>,
        actions: impl FnOnce(&'a [u8], usize) -> Result<ActionsRef<'a>, DecodeError>,
    ) -> Result<Self, DecodeError> {
        let t = item.item_type;
        // Fixed-size instructions: the slice pattern checks the size and takes the fields.
        Ok(match (t, item.body) {
            (OFPIT_GOTO_TABLE, &[table, _, _, _]) => InstructionRef::GotoTable(table),
            (OFPIT_CLEAR_ACTIONS, [_, _, _, _]) => InstructionRef::ClearActions,
            (OFPIT_METER, &[m0, m1, m2, m3]) => {
                InstructionRef::Meter(u32::from_be_bytes([m0, m1, m2, m3]))
            }
            (OFPIT_WRITE_METADATA, body) if body.len() == 20 => {
                let mut b = Reader::with_base(body, item.start + 4);
                b.skip("ofp_instruction_write_metadata.pad", 4)?;
                let metadata = b.u64("ofp_instruction_write_metadata.metadata")?;
                let mask = b.u64("ofp_instruction_write_metadata.metadata_mask")?;
                InstructionRef::WriteMetadata { metadata, mask }
            }
            (OFPIT_WRITE_ACTIONS | OFPIT_APPLY_ACTIONS, [_, _, _, _, list @ ..]) => {
                let list = actions(list, item.start + 8)?;
                if t == OFPIT_WRITE_ACTIONS {
                    InstructionRef::WriteActions(list)
                } else {
                    InstructionRef::ApplyActions(list)
                }
            }
            (OFPIT_EXPERIMENTER, &[e0, e1, e2, e3, ref data @ ..]) => {
                InstructionRef::Experimenter {
                    experimenter: u32::from_be_bytes([e0, e1, e2, e3]),
                    data,
                }
            }
            (instruction_type, body) => match fixed_layout(instruction_type) {
                Some((name, want)) => return Err(item.wrong_size(name, want)),
                None => InstructionRef::Unknown {
                    instruction_type,
                    data: body,
                },
            },
        })
    }

    /// Encodes the instruction as [`Instruction`]'s encoder does.
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        match *self {
            InstructionRef::WriteActions(a) | InstructionRef::ApplyActions(a) => {
                encode_actions_instruction(w, self.instruction_type(), |w| a.encode(w))
            }
            InstructionRef::Experimenter { experimenter, data } => {
                encode_experimenter(w, experimenter, data)
            }
            InstructionRef::Unknown {
                instruction_type,
                data,
            } => encode_unknown(w, instruction_type, data),
            // The rest hold no heap data: encode the owned form.
            fixed => fixed.into_owned().encode(w),
        }
    }
}

/// The instructions of a flow entry borrowed from a received message, decoded as they
/// are iterated ([`InstructionsRef::iter`]); part of [`crate::flow_mod::FlowModRef`].
///
/// Every instruction, and every action inside, was checked when the view was made (the
/// checks [`Instruction`]'s decoder makes, with the same errors), so iterating cannot
/// fail and yields [`InstructionRef`]s, not `Result`s.
#[derive(Debug, Clone, Copy)]
pub struct InstructionsRef<'a> {
    /// The instructions' bytes.
    bytes: &'a [u8],
    /// Absolute offset of `bytes[0]` in the message.
    base: usize,
    /// How many instructions `bytes` holds.
    len: usize,
}

impl<'a> InstructionsRef<'a> {
    /// No instruction.
    pub const EMPTY: InstructionsRef<'static> = InstructionsRef {
        bytes: &[],
        base: 0,
        len: 0,
    };

    /// Checks that instructions exactly fill the rest of `r`, each one (and each action
    /// inside) well-formed, and consumes them.
    pub(crate) fn parse(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let base = r.offset();
        let bytes = r.take_rest();
        let len = tlv::walk(bytes, base, &HEADER, |item| {
            InstructionRef::parse(item, ActionsRef::parse).map(|_| ())
        })?;
        Ok(InstructionsRef { bytes, base, len })
    }

    /// The instructions in wire order.
    #[inline]
    pub fn iter(&self) -> InstructionIter<'a> {
        InstructionIter {
            items: tlv::Items::new(self.bytes, self.base),
            left: self.len,
        }
    }

    /// Number of instructions.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no instruction (the entry drops packets).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The instructions' bytes as received.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The owned instructions.
    #[inline]
    pub fn to_vec(&self) -> Vec<Instruction> {
        let mut out = Vec::with_capacity(self.len);
        out.extend(self.iter().map(InstructionRef::into_owned));
        out
    }

    /// Encodes the instructions as [`Instruction`]'s encoder does.
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        self.iter().try_for_each(|i| i.encode(w))
    }
}

crate::tlv::list_view_impls!(InstructionsRef, bytes, InstructionRef, InstructionIter);

/// The instructions of an [`InstructionsRef`], decoded one by one.
#[derive(Debug, Clone)]
pub struct InstructionIter<'a> {
    /// The instructions not yet yielded.
    items: tlv::Items<'a>,
    /// How many.
    left: usize,
}

impl<'a> Iterator for InstructionIter<'a> {
    type Item = InstructionRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<InstructionRef<'a>> {
        let item = self.items.next()?;
        // The list, and each action list inside, was checked by `InstructionsRef::parse`,
        // so this parse cannot fail; if it did, the iterator would simply end.
        match InstructionRef::parse(item, |b, at| Ok(ActionsRef::trusted(b, at))) {
            Ok(i) => {
                self.left = self.left.saturating_sub(1);
                Some(i)
            }
            Err(_) => {
                self.items.stop();
                self.left = 0;
                None
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for InstructionIter<'_> {}

impl std::iter::FusedIterator for InstructionIter<'_> {}

/// Decodes a list of instructions filling all of `r`.
///
/// The checks of [`InstructionsRef::parse`], in the same order, in one pass that builds
/// the instructions.
#[inline]
pub(crate) fn decode_instructions(r: &mut Reader<'_>) -> Result<Vec<Instruction>, DecodeError> {
    let base = r.offset();
    let bytes = r.take_rest();
    let mut out = Vec::with_capacity(tlv::count(bytes));
    tlv::walk(bytes, base, &HEADER, |item| {
        let trusted = |b, at| Ok(ActionsRef::trusted(b, at));
        out.push(match InstructionRef::parse(item, trusted)? {
            InstructionRef::WriteActions(a) => Instruction::WriteActions(a.into_checked_vec()?),
            InstructionRef::ApplyActions(a) => Instruction::ApplyActions(a.into_checked_vec()?),
            other => other.into_owned(),
        });
        Ok(())
    })?;
    Ok(out)
}

/// Encodes a list of instructions back to back.
pub(crate) fn encode_instructions(
    instructions: &[Instruction],
    w: &mut impl Sink,
) -> Result<(), EncodeError> {
    for i in instructions {
        i.encode(w)?;
    }
    Ok(())
}

impl fmt::Display for Instruction {
    /// `goto_table:1`, `write_metadata:0x1/0xff`, `apply_actions(output:1)`,
    /// `write_actions(group:2)`, `clear_actions`, `meter:3`, `experimenter:0x2320:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instruction::GotoTable(t) => write!(f, "goto_table:{t}"),
            Instruction::WriteMetadata { metadata, mask } => {
                write!(f, "write_metadata:{metadata:#x}/{mask:#x}")
            }
            Instruction::WriteActions(a) | Instruction::ApplyActions(a) => {
                write!(f, "{}(", self.name())?;
                fmt_actions(f, a)?;
                f.write_str(")")
            }
            Instruction::ClearActions => f.write_str("clear_actions"),
            Instruction::Meter(m) => write!(f, "meter:{m}"),
            Instruction::Experimenter { experimenter, data } => {
                write!(f, "experimenter:{experimenter:#x}:{}", hex_bytes(data))
            }
            Instruction::Unknown {
                instruction_type,
                data,
            } => write!(f, "unknown:{instruction_type}:{}", hex_bytes(data)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Action;
    use crate::strategies::{arb_instruction, arb_instructions};
    use crate::wire::Writer;
    use proptest::prelude::*;

    fn enc(i: &Instruction) -> Vec<u8> {
        let mut v = Vec::new();
        i.encode(&mut Writer::new(&mut v)).unwrap();
        v
    }

    /// Decodes `b`, which must hold exactly one instruction, at offset 72.
    fn dec(b: &[u8]) -> Result<Instruction, DecodeError> {
        let mut list = decode_instructions(&mut Reader::with_base(b, 72))?;
        assert_eq!(list.len(), 1, "one instruction");
        Ok(list.remove(0))
    }

    #[test]
    fn golden_goto_and_apply() {
        let b = [0, 1, 0, 8, 1, 0, 0, 0];
        assert_eq!(dec(&b), Ok(Instruction::GotoTable(1)));
        assert_eq!(enc(&Instruction::GotoTable(1)), b);
        let i = Instruction::ApplyActions(vec![Action::output(2)]);
        let b = [
            0, 4, 0, 24, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(enc(&i), b);
        assert_eq!(dec(&b), Ok(i.clone()));
        assert_eq!(i.to_string(), "apply_actions(output:2)");
        assert_eq!(i.encoded_len(), 24);
    }

    #[test]
    fn golden_write_metadata() {
        let i = Instruction::WriteMetadata {
            metadata: 0x1122,
            mask: 0xffff,
        };
        let mut b = vec![0, 2, 0, 24, 0, 0, 0, 0];
        b.extend(0x1122u64.to_be_bytes());
        b.extend(0xffffu64.to_be_bytes());
        assert_eq!(enc(&i), b);
        assert_eq!(dec(&b), Ok(i));
    }

    #[test]
    fn bad_lengths() {
        assert!(matches!(
            dec(&[0, 1, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::BadLength {
                what: "ofp_instruction_goto_table",
                offset: 72,
                ..
            })
        ));
        assert!(matches!(
            dec(&[0, 1, 0, 6, 1, 0]),
            Err(DecodeError::BadLength {
                what: "ofp_instruction",
                offset: 72,
                found: 6,
                ..
            })
        ));
        // Action inside apply_actions overrunning the instruction.
        let b = [0, 4, 0, 16, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 2];
        assert!(matches!(
            dec(&b),
            Err(DecodeError::BadLength {
                what: "ofp_action_header",
                offset: 80,
                ..
            })
        ));
        assert!(decode_instructions(&mut Reader::new(&[0, 1, 0, 0])).is_err());
    }

    #[test]
    fn experimenter_and_unknown_round_trip() {
        let b = [0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20, 1, 2, 3, 4, 5, 6, 7, 8];
        let i = dec(&b).unwrap();
        assert_eq!(enc(&i), b);
        let b = [0, 9, 0, 8, 1, 2, 3, 4];
        let i = dec(&b).unwrap();
        assert_eq!(
            i,
            Instruction::Unknown {
                instruction_type: 9,
                data: vec![1, 2, 3, 4]
            }
        );
        assert_eq!(enc(&i), b);
        let typed = Instruction::Unknown {
            instruction_type: OFPIT_METER,
            data: vec![0; 4],
        };
        let mut v = Vec::new();
        assert!(typed.encode(&mut Writer::new(&mut v)).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn round_trip(i in arb_instruction()) {
            let bytes = enc(&i);
            prop_assert_eq!(bytes.len(), i.encoded_len());
            prop_assert_eq!(dec(&bytes), Ok(i));
        }

        #[test]
        fn list_round_trip(list in arb_instructions()) {
            let mut v = Vec::new();
            encode_instructions(&list, &mut Writer::new(&mut v)).unwrap();
            prop_assert_eq!(decode_instructions(&mut Reader::new(&v)), Ok(list));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            if let Ok(list) = decode_instructions(&mut Reader::new(&bytes)) {
                let mut v = Vec::new();
                encode_instructions(&list, &mut Writer::new(&mut v)).unwrap();
                prop_assert_eq!(v.len(), bytes.len());
            }
        }
    }
}
