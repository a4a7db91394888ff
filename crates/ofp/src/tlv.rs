//! The type/length framing shared by actions (§7.2.5) and instructions (§7.2.4): a 16-bit
//! type, a 16-bit length covering the whole item, and a total length that is a multiple
//! of 8 and at least 8.

use crate::error::{DecodeError, EncodeError};
use crate::wire::Sink;

/// The C names of one family's item header, used in errors.
pub(crate) struct Names {
    /// The header struct (`"ofp_action_header"`).
    pub what: &'static str,
    /// Its type field (`"ofp_action_header.type"`).
    pub type_field: &'static str,
    /// Its length field (`"ofp_action_header.len"`).
    pub len_field: &'static str,
}

/// One item taken off the wire.
pub(crate) struct Item<'a> {
    /// Absolute offset of the item.
    pub start: usize,
    /// The `type` field.
    pub item_type: u16,
    /// The `len - 4` bytes after the type/length header.
    pub body: &'a [u8],
}

impl Item<'_> {
    /// The `len` field.
    pub fn len(&self) -> usize {
        self.body.len() + 4
    }

    /// The error for a type with one fixed size (`name`, `want` bytes) whose `len` differs.
    #[cold]
    pub fn wrong_size(&self, name: &'static str, want: usize) -> DecodeError {
        DecodeError::bad_length(name, self.start, format_args!("== {want}"), self.len())
    }
}

/// How many well-formed items (header present, `len` >= 8, a multiple of 8 and within
/// the bytes) follow one another from the start of `b`: the capacity to give the `Vec` a
/// list is decoded into. Never more than `b.len() / 8`, whatever the length fields say.
#[inline]
pub(crate) fn count(b: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = b;
    while let Some((_, after)) = split(rest, 0) {
        rest = after;
        n += 1;
    }
    n
}

/// Splits the item at the start of `b` (whose first byte is at absolute offset `start`)
/// off the rest: `None` when its header is cut short, its `len` is below 8 or not a
/// multiple of 8, or it runs past `b` ([`framing_error`] says which).
#[inline]
fn split(b: &[u8], start: usize) -> Option<(Item<'_>, &[u8])> {
    let &[t0, t1, l0, l1, ..] = b else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if len < 8 || len % 8 != 0 {
        return None;
    }
    let (item, rest) = b.split_at_checked(len)?;
    let body = item.get(4..)?;
    let item_type = u16::from_be_bytes([t0, t1]);
    Some((
        Item {
            start,
            item_type,
            body,
        },
        rest,
    ))
}

/// Why [`split`] refused the item at the start of `b`.
#[cold]
#[inline(never)]
fn framing_error(b: &[u8], start: usize, names: &Names) -> DecodeError {
    let found = b.len();
    match *b {
        [] | [_] => DecodeError::Truncated {
            what: names.type_field,
            offset: start,
            needed: 2,
            available: found,
        },
        [_, _] | [_, _, _] => DecodeError::Truncated {
            what: names.len_field,
            offset: start + 2,
            needed: 2,
            available: found - 2,
        },
        [_, _, l0, l1, ..] => {
            let len = usize::from(u16::from_be_bytes([l0, l1]));
            if len < 8 || len % 8 != 0 {
                DecodeError::bad_length(
                    names.what,
                    start,
                    format_args!(">= 8 and a multiple of 8"),
                    len,
                )
            } else {
                DecodeError::bad_length(names.what, start, format_args!("<= {found}"), len)
            }
        }
    }
}

/// Checks that well-formed items exactly fill `b` (whose first byte is at absolute
/// offset `base`), passing each to `check` (which checks its contents); returns how many
/// there are. A list that passes can then be walked with [`Items`].
#[inline]
pub(crate) fn walk<'a>(
    b: &'a [u8],
    base: usize,
    names: &Names,
    mut check: impl FnMut(Item<'a>) -> Result<(), DecodeError>,
) -> Result<usize, DecodeError> {
    let mut n = 0;
    let mut rest = b;
    while !rest.is_empty() {
        let start = base + (b.len() - rest.len());
        let (item, after) = split(rest, start).ok_or_else(|| framing_error(rest, start, names))?;
        check(item)?;
        rest = after;
        n += 1;
    }
    Ok(n)
}

/// The items of a list, in order, each framed as [`walk`] checks them; ends at the first
/// malformed item (none, in a list [`walk`] accepted).
#[derive(Debug, Clone)]
pub(crate) struct Items<'a> {
    /// The bytes not yet split off.
    rest: &'a [u8],
    /// Absolute offset of `rest[0]`.
    at: usize,
}

impl<'a> Items<'a> {
    /// The items filling `b`, whose first byte is at absolute offset `base`.
    #[inline]
    pub(crate) fn new(b: &'a [u8], base: usize) -> Self {
        Items { rest: b, at: base }
    }

    /// Ends the walk (after an item whose contents did not parse).
    #[inline]
    pub(crate) fn stop(&mut self) {
        self.rest = &[];
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;

    #[inline]
    fn next(&mut self) -> Option<Item<'a>> {
        let (item, after) = split(self.rest, self.at)?;
        self.at += item.len();
        self.rest = after;
        Some(item)
    }
}

/// The trait impls shared by the borrowed list views (`MatchRef`, `ActionsRef`,
/// `InstructionsRef`): equality and hashing on the bytes held (wherever they lie), and
/// `IntoIterator` through their `iter()`.
macro_rules! list_view_impls {
    ($view:ident, $bytes:ident, $item:ident, $iter:ident) => {
        /// Views are equal when they hold the same bytes, wherever the bytes lie.
        impl PartialEq for $view<'_> {
            fn eq(&self, other: &Self) -> bool {
                self.$bytes == other.$bytes
            }
        }

        impl Eq for $view<'_> {}

        impl std::hash::Hash for $view<'_> {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.$bytes.hash(state);
            }
        }

        impl<'a> IntoIterator for $view<'a> {
            type Item = $item<'a>;
            type IntoIter = $iter<'a>;

            fn into_iter(self) -> $iter<'a> {
                self.iter()
            }
        }
    };
}

pub(crate) use list_view_impls;

/// Checks the item written since `start` (its type and a placeholder length first) is a
/// multiple of 8 bytes and patches its length.
#[inline]
pub(crate) fn finish(
    w: &mut impl Sink,
    start: usize,
    what: &'static str,
    item_type: u16,
) -> Result<(), EncodeError> {
    let len = w.pos() - start;
    if len % 8 != 0 {
        return Err(misaligned(what, item_type, len));
    }
    w.patch_len16(what, start + 2, start)
}

/// Writes the header of an item whose length `len` is known before its body is written;
/// `len` must be a multiple of 8 and fit 16 bits (the checks [`finish`] makes).
#[inline]
pub(crate) fn header(
    w: &mut impl Sink,
    item_type: u16,
    len: usize,
    what: &'static str,
) -> Result<(), EncodeError> {
    if len % 8 != 0 {
        return Err(misaligned(what, item_type, len));
    }
    let len16 = u16::try_from(len).map_err(|_| EncodeError::TooLong {
        what,
        len,
        max: u16::MAX as usize,
    })?;
    w.u32((u32::from(item_type) << 16) | u32::from(len16));
    Ok(())
}

/// The error for an item of `len` bytes, not a multiple of 8.
#[cold]
#[inline(never)]
fn misaligned(what: &'static str, item_type: u16, len: usize) -> EncodeError {
    EncodeError::BadValue {
        field: what,
        reason: format!(
            "type {item_type:#06x} would be {len} bytes, not a multiple of 8 \
             (pad experimenter/unknown data)"
        ),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn count_stops_at_the_first_malformed_item() {
        let mut b = vec![0, 22, 0, 8, 0, 0, 0, 1]; // group 1
        b.extend([0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0]); // output 2
        assert_eq!(count(&b), 2);
        b.extend([0, 22, 0, 12, 0, 0, 0, 1]); // len not a multiple of 8
        assert_eq!(count(&b), 2);
        // A length field claiming more than the bytes present is not counted.
        assert_eq!(count(&[0, 22, 0xff, 0xf8, 0, 0, 0, 1]), 0);
        assert_eq!(count(&[0, 22, 0]), 0);
    }

    #[test]
    fn framing_errors_name_the_header_field() {
        let names = Names {
            what: "hdr",
            type_field: "hdr.type",
            len_field: "hdr.len",
        };
        let list = |b: &[u8]| {
            let mut types = Vec::new();
            let n = walk(b, 16, &names, |item| {
                types.push(item.item_type);
                Ok(())
            })?;
            let walked: Vec<u16> = Items::new(b, 16).map(|item| item.item_type).collect();
            assert_eq!((n, &walked), (types.len(), &types));
            Ok::<_, DecodeError>(types)
        };
        assert_eq!(
            list(&[0, 1, 0, 8, 0, 0, 0, 0, 0, 2, 0, 8, 0, 0, 0, 0]),
            Ok(vec![1, 2])
        );
        assert_eq!(
            list(&[0]),
            Err(DecodeError::Truncated {
                what: "hdr.type",
                offset: 16,
                needed: 2,
                available: 1
            })
        );
        assert_eq!(
            list(&[0, 1, 0]),
            Err(DecodeError::Truncated {
                what: "hdr.len",
                offset: 18,
                needed: 2,
                available: 1
            })
        );
        assert_eq!(
            list(&[0, 1, 0, 8, 0, 0, 0, 0, 0, 1, 0, 16, 0, 0, 0, 0]),
            Err(DecodeError::BadLength {
                what: "hdr",
                offset: 24,
                expected: "<= 8".into(),
                found: 16
            })
        );
    }

    proptest! {
        #[test]
        fn count_never_exceeds_what_the_bytes_hold(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert!(count(&b) <= b.len() / 8);
        }
    }
}
