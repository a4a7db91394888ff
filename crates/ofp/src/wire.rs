//! Bounds-checked byte cursors used by every codec in this crate.
//!
//! [`Reader`] never panics: each read checks the bytes present and returns
//! [`DecodeError::Truncated`] with the absolute offset. [`Writer`] appends big-endian
//! integers and back-patches 16-bit length fields.

use crate::error::{DecodeError, EncodeError};

/// A checked big-endian reader over a byte slice.
///
/// `base` is the absolute offset of `buf[0]` within the message, so errors from nested
/// structures report message offsets.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    /// The unread bytes.
    rest: &'a [u8],
    /// Absolute offset one past the last byte (`base + buf.len()`), so the offset of the
    /// next byte is `end - rest.len()`.
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, whose first byte is at absolute offset 0.
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Reader::with_base(buf, 0)
    }

    /// A reader over `buf`, whose first byte is at absolute offset `base`.
    #[inline]
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Reader {
            rest: buf,
            end: base.saturating_add(buf.len()),
        }
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.end - self.rest.len()
    }

    /// Bytes left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// True when every byte has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The unread bytes, without consuming them.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The error for a read of `needed` bytes at the cursor when fewer are left (kept out
    /// of line so the read paths stay small).
    #[cold]
    #[inline(never)]
    fn truncated(&self, what: &'static str, needed: usize) -> DecodeError {
        DecodeError::Truncated {
            what,
            offset: self.offset(),
            needed,
            available: self.remaining(),
        }
    }

    /// Take `n` bytes.
    #[inline]
    pub fn bytes(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        match self.rest.split_at_checked(n) {
            Some((s, rest)) => {
                self.rest = rest;
                Ok(s)
            }
            None => Err(self.truncated(what, n)),
        }
    }

    /// Take `n` bytes as a sub-reader that keeps absolute offsets.
    #[inline]
    pub fn sub(&mut self, what: &'static str, n: usize) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let s = self.bytes(what, n)?;
        Ok(Reader {
            rest: s,
            end: base + n,
        })
    }

    /// Take a fixed-size array.
    #[inline]
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        match self.rest.split_first_chunk::<N>() {
            Some((a, rest)) => {
                self.rest = rest;
                Ok(*a)
            }
            None => Err(self.truncated(what, N)),
        }
    }

    /// Skip `n` bytes of padding (their contents are not checked here; see `validate`).
    #[inline]
    pub fn skip(&mut self, what: &'static str, n: usize) -> Result<(), DecodeError> {
        self.bytes(what, n).map(|_| ())
    }

    /// Take every remaining byte.
    #[inline]
    pub fn take_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    /// Read a `u8`.
    #[inline]
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(what).map(|[b]| b)
    }

    /// Read a big-endian `u16`.
    #[inline]
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.array(what).map(u16::from_be_bytes)
    }

    /// Read a big-endian `u32`.
    #[inline]
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        self.array(what).map(u32::from_be_bytes)
    }

    /// Read a big-endian `u64`.
    #[inline]
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        self.array(what).map(u64::from_be_bytes)
    }

    /// Peek a big-endian `u16` at `ahead` bytes from the cursor, without consuming.
    #[inline]
    pub fn peek_u16(&self, what: &'static str, ahead: usize) -> Result<u16, DecodeError> {
        match self.rest.get(ahead..).and_then(<[u8]>::first_chunk::<2>) {
            Some(b) => Ok(u16::from_be_bytes(*b)),
            None => Err(self.truncated(what, ahead.saturating_add(2))),
        }
    }
}

/// One run of padding bytes written by a [`Writer`] that records padding
/// (see [`Writer::recording`]); `validate` uses these spans to find non-zero padding in
/// received bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PadSpan {
    /// Position of the first padding byte in the output buffer.
    pub offset: usize,
    /// Number of padding bytes.
    pub len: usize,
    /// The structure the padding belongs to (C name, e.g. `"ofp_action_output.pad"`).
    pub what: &'static str,
}

/// An appending big-endian writer.
#[derive(Debug)]
pub struct Writer<'a> {
    out: &'a mut Vec<u8>,
    pads: Option<Vec<PadSpan>>,
}

/// Zero bytes for short padding runs (most padding runs in OpenFlow 1.3 are at most 8
/// bytes long).
const ZEROS: [u8; 8] = [0; 8];

impl<'a> Writer<'a> {
    /// A writer appending to `out`.
    #[inline]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Writer { out, pads: None }
    }

    /// A writer appending to `out` that also records every padding run it writes
    /// ([`Writer::pad`], [`Writer::zeros`], [`Writer::pad_to`], [`Writer::padded`]); read
    /// them with [`Writer::into_pads`].
    pub fn recording(out: &'a mut Vec<u8>) -> Self {
        Writer {
            out,
            pads: Some(Vec::new()),
        }
    }

    /// The padding runs recorded so far (empty unless built with [`Writer::recording`]).
    pub fn into_pads(self) -> Vec<PadSpan> {
        self.pads.unwrap_or_default()
    }

    /// Reserve room for at least `additional` more bytes (a capacity hint; it changes no
    /// output).
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    /// Records a padding run of `len` bytes at `offset` when this writer records.
    #[inline]
    fn record(&mut self, what: &'static str, offset: usize, len: usize) {
        if let Some(pads) = &mut self.pads {
            if len > 0 {
                pads.push(PadSpan { offset, len, what });
            }
        }
    }

    /// Append `n` zero bytes of padding belonging to `what`.
    #[inline]
    pub fn pad(&mut self, what: &'static str, n: usize) {
        let end = self.out.len() + n;
        self.record(what, self.out.len(), n);
        if n <= ZEROS.len() {
            // A fixed-size append (plain stores) and a truncate beat a variable-length
            // `memset` for the short runs OpenFlow pads with.
            self.out.extend_from_slice(&ZEROS);
            self.out.truncate(end);
        } else {
            self.out.resize(end, 0);
        }
    }

    /// Append a whole structure at once: `b` holds its bytes, and each `(what, range)` of
    /// `pads` names a run of `b` (zeros) that is padding, recorded like [`Writer::pad`]
    /// records it. One append instead of one per field, for fixed-size structures built
    /// on the stack.
    #[inline]
    pub fn padded(&mut self, b: &[u8], pads: &[(&'static str, std::ops::Range<usize>)]) {
        let at = self.out.len();
        if self.pads.is_some() {
            for (what, range) in pads {
                self.record(what, at + range.start, range.len());
            }
        }
        self.out.extend_from_slice(b);
    }

    /// Bytes in the underlying buffer (the position of the next byte).
    #[inline]
    pub fn pos(&self) -> usize {
        self.out.len()
    }

    /// Append a `u8`.
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    /// Append a big-endian `u16`.
    #[inline]
    pub fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Append a big-endian `u32`.
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Append a big-endian `u64`.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Append bytes.
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// Append `n` zero bytes of padding.
    #[inline]
    pub fn zeros(&mut self, n: usize) {
        self.pad("padding", n);
    }

    /// Pad with zeros until the length since `start` is a multiple of `align`.
    #[inline]
    pub fn pad_to(&mut self, start: usize, align: usize) {
        self.pad_to_named("padding", start, align);
    }

    /// [`Writer::pad_to`], naming the structure the padding belongs to.
    #[inline]
    pub fn pad_to_named(&mut self, what: &'static str, start: usize, align: usize) {
        let len = self.out.len().saturating_sub(start);
        let padded = len.div_ceil(align) * align;
        self.pad(what, padded - len);
    }

    /// Write the 16-bit length `self.pos() - start` at absolute position `at`.
    #[inline]
    pub fn patch_len16(
        &mut self,
        what: &'static str,
        at: usize,
        start: usize,
    ) -> Result<(), EncodeError> {
        let len = self.out.len().saturating_sub(start);
        match (
            u16::try_from(len),
            self.out
                .get_mut(at..)
                .and_then(<[u8]>::first_chunk_mut::<2>),
        ) {
            (Ok(v), Some(slot)) => {
                *slot = v.to_be_bytes();
                Ok(())
            }
            (Err(_), _) => Err(EncodeError::TooLong {
                what,
                len,
                max: u16::MAX as usize,
            }),
            (Ok(_), None) => Err(EncodeError::BadValue {
                field: what,
                reason: format!("length slot at {at} lies outside the {len}-byte output"),
            }),
        }
    }
}

/// A fixed-size structure assembled on the stack field by field, then appended with one
/// [`Writer::padded`] or [`Writer::bytes`] call: one capacity check for the structure
/// instead of one per field. Bytes not written stay zero (padding).
pub(crate) struct Fixed<const N: usize> {
    buf: [u8; N],
    at: usize,
}

impl<const N: usize> Fixed<N> {
    /// An all-zero structure, cursor at byte 0.
    #[inline]
    pub(crate) fn new() -> Self {
        Fixed { buf: [0; N], at: 0 }
    }

    /// Writes `b` at the cursor and moves past it (`b` must fit; a caller bug otherwise).
    #[inline]
    pub(crate) fn put(mut self, b: &[u8]) -> Self {
        let end = self.at + b.len();
        debug_assert!(end <= N, "Fixed<{N}> overflow");
        if let Some(slot) = self.buf.get_mut(self.at..end) {
            slot.copy_from_slice(b);
        }
        self.at = end;
        self
    }

    /// Skips `n` zero bytes (padding).
    #[inline]
    pub(crate) fn zeros(mut self, n: usize) -> Self {
        self.at += n;
        self
    }

    /// The assembled bytes.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8; N] {
        debug_assert_eq!(self.at, N, "Fixed<{N}> not filled");
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_reports_absolute_offset() {
        let data = [1u8, 2, 3];
        let mut r = Reader::with_base(&data, 100);
        assert_eq!(r.u16("a").unwrap(), 0x0102);
        let e = r.u16("b").unwrap_err();
        assert_eq!(
            e,
            DecodeError::Truncated {
                what: "b",
                offset: 102,
                needed: 2,
                available: 1
            }
        );
    }

    #[test]
    fn patch_len_and_pad() {
        let mut v = Vec::new();
        let mut w = Writer::new(&mut v);
        w.u16(7);
        w.u16(0);
        w.u8(9);
        w.pad_to(0, 8);
        w.patch_len16("x", 2, 0).unwrap();
        assert_eq!(v, [0, 7, 0, 8, 9, 0, 0, 0]);
    }

    #[test]
    fn recording_writer_lists_padding_runs() {
        let mut v = vec![0xaa];
        let mut w = Writer::recording(&mut v);
        w.u8(1);
        w.pad("x.pad", 3);
        w.pad("empty", 0);
        w.pad_to_named("y.pad", 1, 8);
        w.padded(
            &[7, 0, 0, 8, 0],
            &[("z.pad", 1..3), ("none", 4..4), ("w.pad", 4..5)],
        );
        w.pad("long", 20);
        assert_eq!(
            w.into_pads(),
            vec![
                PadSpan {
                    offset: 2,
                    len: 3,
                    what: "x.pad"
                },
                PadSpan {
                    offset: 5,
                    len: 4,
                    what: "y.pad"
                },
                PadSpan {
                    offset: 10,
                    len: 2,
                    what: "z.pad"
                },
                PadSpan {
                    offset: 13,
                    len: 1,
                    what: "w.pad"
                },
                PadSpan {
                    offset: 14,
                    len: 20,
                    what: "long"
                },
            ]
        );
        assert_eq!(v.len(), 34);
        assert_eq!(&v[9..14], [7, 0, 0, 8, 0]);
        assert!(v[14..].iter().all(|b| *b == 0));
    }

    #[test]
    fn fixed_structures_are_built_in_order() {
        let f = Fixed::<8>::new()
            .put(&[1, 2])
            .zeros(3)
            .put(&0x0304u16.to_be_bytes())
            .zeros(1);
        assert_eq!(f.bytes(), &[1, 2, 0, 0, 0, 3, 4, 0]);
    }

    #[test]
    fn sub_readers_and_peeks_keep_absolute_offsets() {
        let data = [0u8, 1, 2, 3, 4, 5];
        let mut r = Reader::with_base(&data, 40);
        let mut sub = r.sub("s", 4).unwrap();
        assert_eq!((sub.offset(), r.offset()), (40, 44));
        assert_eq!(sub.peek_u16("p", 2), Ok(0x0203));
        assert_eq!(
            sub.peek_u16("p", 3),
            Err(DecodeError::Truncated {
                what: "p",
                offset: 40,
                needed: 5,
                available: 4
            })
        );
        assert_eq!(sub.array::<3>("a"), Ok([0, 1, 2]));
        assert_eq!(sub.take_rest(), [3]);
        assert!(sub.is_empty());
        assert_eq!(sub.offset(), 44);
        assert!(matches!(
            r.sub("s", 3),
            Err(DecodeError::Truncated {
                offset: 44,
                needed: 3,
                available: 2,
                ..
            })
        ));
    }
}
