//! Shared helpers for fixed-size bodies and length-prefixed item lists (ports, buckets,
//! meter bands, queue properties, multipart entries, table-feature properties).
//!
//! Every helper checks lengths against the bytes present before slicing, so a hostile
//! length field yields a [`DecodeError`] with the absolute offset, never a panic or an
//! allocation larger than the input.

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, Writer};
use std::fmt;

/// Check that `r` holds exactly `n` bytes: fewer is [`DecodeError::Truncated`], more is
/// [`DecodeError::BadLength`] (both at the body's offset).
pub(crate) fn exact(r: &Reader<'_>, what: &'static str, n: usize) -> Result<(), DecodeError> {
    let found = r.remaining();
    if found < n {
        Err(DecodeError::Truncated {
            what,
            offset: r.offset(),
            needed: n,
            available: found,
        })
    } else if found > n {
        Err(DecodeError::BadLength {
            what,
            offset: r.offset(),
            expected: format!("== {n}"),
            found,
        })
    } else {
        Ok(())
    }
}

/// Peek the 16-bit length field `len_at` bytes into the next item, check that it is at
/// least `min` and fits the bytes present, and take the item as a sub-reader.
pub(crate) fn take_item<'a>(
    r: &mut Reader<'a>,
    what: &'static str,
    len_at: usize,
    min: usize,
) -> Result<Reader<'a>, DecodeError> {
    let len = usize::from(r.peek_u16(what, len_at)?);
    if len < min {
        return Err(DecodeError::BadLength {
            what,
            offset: r.offset(),
            expected: format!(">= {min}"),
            found: len,
        });
    }
    if len > r.remaining() {
        return Err(DecodeError::BadLength {
            what,
            offset: r.offset(),
            expected: format!("<= {} (bytes present)", r.remaining()),
            found: len,
        });
    }
    r.sub(what, len)
}

/// Decode items until `r` is empty. Each call of `item` must consume at least one byte
/// (all OpenFlow items have a non-empty header); a decoder that does not is reported as a
/// bad length rather than looping.
pub(crate) fn list<'a, T>(
    r: &mut Reader<'a>,
    what: &'static str,
    mut item: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    while !r.is_empty() {
        let before = r.offset();
        out.push(item(r)?);
        if r.offset() == before {
            return Err(DecodeError::BadLength {
                what,
                offset: before,
                expected: "> 0".to_string(),
                found: 0,
            });
        }
    }
    Ok(out)
}

/// Encode every item of a list.
pub(crate) fn encode_all<T>(
    items: &[T],
    w: &mut Writer<'_>,
    mut enc: impl FnMut(&T, &mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    items.iter().try_for_each(|i| enc(i, w))
}

/// Adapt an infallible encoder (`fn(&T, &mut Writer)`) to the fallible signature the
/// list helpers take.
pub(crate) fn infallible<T>(
    f: fn(&T, &mut Writer<'_>),
) -> impl Fn(&T, &mut Writer<'_>) -> Result<(), EncodeError> {
    move |v, w| {
        f(v, w);
        Ok(())
    }
}

/// Display `items` separated by `sep`.
pub(crate) fn fmt_joined<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    sep: &str,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Skip the padding that follows an item of `len` bytes to align it to `align`.
pub(crate) fn skip_pad(
    r: &mut Reader<'_>,
    what: &'static str,
    len: usize,
    align: usize,
) -> Result<(), DecodeError> {
    r.skip(what, len.next_multiple_of(align) - len)
}

/// Check that a raw "unknown" item's 16-bit type is not one of the `known` types this
/// crate decodes into typed variants (otherwise its encoding would not decode back to the
/// same value).
pub(crate) fn reject_known(
    field: &'static str,
    value: u16,
    known: &[u16],
) -> Result<(), EncodeError> {
    if known.contains(&value) {
        Err(EncodeError::BadValue {
            field,
            reason: format!("type {value:#x} has a typed variant; use it instead of the raw one"),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_reports_short_and_long() {
        let d = [0u8; 4];
        let r = Reader::with_base(&d, 8);
        assert!(exact(&r, "x", 4).is_ok());
        assert_eq!(
            exact(&r, "x", 6),
            Err(DecodeError::Truncated {
                what: "x",
                offset: 8,
                needed: 6,
                available: 4
            })
        );
        assert_eq!(
            exact(&r, "x", 2),
            Err(DecodeError::BadLength {
                what: "x",
                offset: 8,
                expected: "== 2".into(),
                found: 4
            })
        );
    }

    #[test]
    fn take_item_checks_bounds() {
        // Item with len 6 at offset 2 of a 8-byte buffer.
        let d = [0xaa, 0xbb, 0x00, 0x06, 1, 2, 3, 4];
        let mut r = Reader::with_base(&d, 16);
        r.skip("p", 2).unwrap();
        let sub = take_item(&mut r, "item", 0, 4).unwrap();
        assert_eq!(sub.offset(), 18);
        assert_eq!(sub.remaining(), 6);
        assert!(r.is_empty());

        let d = [0x00, 0x03, 0, 0];
        let e = take_item(&mut Reader::with_base(&d, 10), "item", 0, 4).unwrap_err();
        assert_eq!(
            e,
            DecodeError::BadLength {
                what: "item",
                offset: 10,
                expected: ">= 4".into(),
                found: 3
            }
        );
        let d = [0x00, 0x09, 0, 0];
        let e = take_item(&mut Reader::with_base(&d, 10), "item", 0, 4).unwrap_err();
        assert!(matches!(e, DecodeError::BadLength { found: 9, .. }));
        let d = [0x00];
        let e = take_item(&mut Reader::with_base(&d, 10), "item", 0, 4).unwrap_err();
        assert!(matches!(e, DecodeError::Truncated { offset: 10, .. }));
    }

    #[test]
    fn list_refuses_a_decoder_that_does_not_advance() {
        let d = [1u8, 2];
        let mut r = Reader::new(&d);
        let e = list(&mut r, "items", |_| Ok(())).unwrap_err();
        assert!(matches!(e, DecodeError::BadLength { offset: 0, .. }));
        let mut r = Reader::new(&d);
        assert_eq!(list(&mut r, "items", |r| r.u8("b")).unwrap(), vec![1, 2]);
    }

    #[test]
    fn reject_known_types() {
        assert!(reject_known("t", 1, &[0, 1, 2]).is_err());
        assert!(reject_known("t", 3, &[0, 1, 2]).is_ok());
    }
}
