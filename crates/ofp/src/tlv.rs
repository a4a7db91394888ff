//! The type/length framing shared by actions (§7.2.5) and instructions (§7.2.4): a 16-bit
//! type, a 16-bit length covering the whole item, and a total length that is a multiple
//! of 8 and at least 8.

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, Writer};

/// One item taken off the wire: its type, length, start offset and a reader over the
/// bytes after the 4-byte type/length header.
pub(crate) struct Tlv<'a> {
    /// Absolute offset of the item.
    pub start: usize,
    /// The `type` field.
    pub item_type: u16,
    /// The `len` field.
    pub len: usize,
    /// The `len - 4` bytes after the header.
    pub body: Reader<'a>,
}

/// How many well-formed items (header present, `len` >= 8, a multiple of 8 and within
/// the bytes) follow one another from the start of `b`: the capacity to give the `Vec` a
/// list is decoded into. Never more than `b.len() / 8`, whatever the length fields say.
#[inline]
pub(crate) fn count(b: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = b;
    while let Some([_, _, hi, lo]) = rest.first_chunk::<4>() {
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        match rest.get(len..) {
            Some(after) if len >= 8 && len % 8 == 0 => rest = after,
            _ => break,
        }
        n += 1;
    }
    n
}

/// Reads one item's header (`what` names the header struct in errors) and takes its body.
/// `fixed` gives, for types with one fixed size, the struct name and that size.
#[inline]
pub(crate) fn take<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
    type_field: &'static str,
    len_field: &'static str,
    fixed: impl Fn(u16) -> Option<(&'static str, usize)>,
) -> Result<Tlv<'a>, DecodeError> {
    let start = r.offset();
    let item_type = r.u16(type_field)?;
    let len = usize::from(r.u16(len_field)?);
    if len < 8 || len % 8 != 0 {
        return Err(DecodeError::bad_length(what, start, format_args!(">= 8 and a multiple of 8"), len));
    }
    if len - 4 > r.remaining() {
        let max = r.remaining() + 4;
        return Err(DecodeError::bad_length(what, start, format_args!("<= {max}"), len));
    }
    let body = r.sub(what, len - 4)?;
    if let Some((name, want)) = fixed(item_type) {
        if len != want {
            return Err(DecodeError::bad_length(name, start, format_args!("== {want}"), len));
        }
    }
    Ok(Tlv {
        start,
        item_type,
        len,
        body,
    })
}

/// Writes the type and a placeholder length; returns the item's start for [`finish`].
pub(crate) fn begin(w: &mut Writer<'_>, item_type: u16) -> usize {
    let start = w.pos();
    w.u16(item_type);
    w.u16(0);
    start
}

/// Checks the item written since `start` is a multiple of 8 bytes and patches its length.
pub(crate) fn finish(
    w: &mut Writer<'_>,
    start: usize,
    what: &'static str,
    item_type: u16,
) -> Result<(), EncodeError> {
    let len = w.pos() - start;
    if len % 8 != 0 {
        return Err(EncodeError::BadValue {
            field: what,
            reason: format!(
                "type {item_type:#06x} would be {len} bytes, not a multiple of 8 \
                 (pad experimenter/unknown data)"
            ),
        });
    }
    w.patch_len16(what, start + 2, start)
}

/// The error for a raw (`Unknown`) item whose type has a typed variant.
pub(crate) fn typed_type(field: &'static str, item_type: u16) -> EncodeError {
    EncodeError::BadValue {
        field,
        reason: format!(
            "type {item_type} has a typed variant; a raw item of that type would not decode back"
        ),
    }
}
