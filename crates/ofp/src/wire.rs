//! Bounds-checked byte cursors used by every codec in this crate.
//!
//! [`Reader`] never panics: each read checks the bytes present and returns
//! [`DecodeError::Truncated`] with the absolute offset. [`Writer`] appends big-endian
//! integers and back-patches 16-bit length fields.
//!
//! Encoders are written once against the crate-internal `Sink` trait, which [`Writer`]
//! implements and so does `Window`: a cursor over a zero-filled, pre-sized part of the
//! output, for the hot encoders (FLOW_MOD). A `Window` never grows and skips padding
//! (the bytes are zero already), so a write is one bounds check and a store; when the
//! room it was given runs out it notes so and the message is encoded again through a
//! [`Writer`].

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
        let v = len16(what, len)?;
        match self
            .out
            .get_mut(at..)
            .and_then(<[u8]>::first_chunk_mut::<2>)
        {
            Some(slot) => {
                *slot = v.to_be_bytes();
                Ok(())
            }
            None => Err(slot_outside(what, at, len)),
        }
    }
}

/// `len` as the value of the 16-bit length field `what`.
#[inline]
fn len16(what: &'static str, len: usize) -> Result<u16, EncodeError> {
    u16::try_from(len).map_err(|_| too_long(what, len))
}

/// The error for a structure of `len` bytes whose 16-bit length field `what` cannot hold
/// its length.
#[cold]
#[inline(never)]
fn too_long(what: &'static str, len: usize) -> EncodeError {
    EncodeError::TooLong {
        what,
        len,
        max: u16::MAX as usize,
    }
}

/// The error for a length slot (of `what`, `len` bytes) at `at`, past the output.
#[cold]
#[inline(never)]
fn slot_outside(what: &'static str, at: usize, len: usize) -> EncodeError {
    EncodeError::BadValue {
        field: what,
        reason: format!("length slot at {at} lies outside the {len}-byte output"),
    }
}

/// Where encoders write: a [`Writer`] (appends to a `Vec`, may record padding) or a
/// [`Window`] (a pre-sized, zero-filled part of the output). Every encoder is written
/// once, generic over its sink, so both give the same bytes.
pub(crate) trait Sink {
    /// The position of the next byte (absolute, in the sink's own numbering).
    fn pos(&self) -> usize;

    /// Append bytes.
    fn bytes(&mut self, b: &[u8]);

    /// Append a whole structure whose runs `pads` (ranges of `b`, zeros) are padding;
    /// see [`Writer::padded`].
    fn padded(&mut self, b: &[u8], pads: &[(&'static str, std::ops::Range<usize>)]);

    /// Append a big-endian `u32` `header`, then the first `len` (at most 8) bytes of the
    /// big-endian `word`, whose bytes after those are zero. A [`Window`] with 12 bytes of
    /// room left stores all of them at once (zeros over zeros past `len`).
    #[inline]
    fn header_and_word(&mut self, header: u32, word: u64, len: usize)
    where
        Self: Sized,
    {
        header_then_bytes(self, header, word, len);
    }

    /// Append `n` zero bytes of padding belonging to `what`.
    fn pad(&mut self, what: &'static str, n: usize);

    /// Write the 16-bit length `self.pos() - start` at position `at`.
    fn patch_len16(
        &mut self,
        what: &'static str,
        at: usize,
        start: usize,
    ) -> Result<(), EncodeError>;

    /// Append a big-endian `u16`.
    #[inline]
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    /// Append a big-endian `u32`.
    #[inline]
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    /// Runs `write` on this sink, for a loop of many small writes: a [`Window`] hands it
    /// a local copy of its cursor (written back after), which the compiler can keep in
    /// registers where the cursor would otherwise be loaded and stored around each write.
    #[inline(always)]
    fn local<R>(&mut self, write: impl FnOnce(&mut Self) -> R) -> R
    where
        Self: Sized,
    {
        write(self)
    }

    /// Pad with zeros (padding of `what`) until the length since `start` is a multiple
    /// of `align`.
    #[inline]
    fn pad_to_named(&mut self, what: &'static str, start: usize, align: usize) {
        let len = self.pos().saturating_sub(start);
        let padded = len.div_ceil(align) * align;
        self.pad(what, padded - len);
    }
}

impl Sink for Writer<'_> {
    #[inline]
    fn pos(&self) -> usize {
        Writer::pos(self)
    }

    /// Appends all 12 bytes, then drops the word's unused tail: fixed-size copies
    /// rather than one of `len` bytes.
    #[inline]
    fn header_and_word(&mut self, header: u32, word: u64, len: usize) {
        let end = self.out.len() + 4 + len.min(8);
        self.out.reserve(12);
        self.out.extend_from_slice(&header.to_be_bytes());
        self.out.extend_from_slice(&word.to_be_bytes());
        self.out.truncate(end);
    }

    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        Writer::bytes(self, b);
    }

    #[inline]
    fn padded(&mut self, b: &[u8], pads: &[(&'static str, std::ops::Range<usize>)]) {
        Writer::padded(self, b, pads);
    }

    #[inline]
    fn pad(&mut self, what: &'static str, n: usize) {
        Writer::pad(self, what, n);
    }

    #[inline]
    fn patch_len16(
        &mut self,
        what: &'static str,
        at: usize,
        start: usize,
    ) -> Result<(), EncodeError> {
        Writer::patch_len16(self, what, at, start)
    }
}

/// A cursor over a zero-filled part of the output whose size was fixed beforehand: one
/// bounds check per write, no growth, padding skipped rather than written (see the
/// module documentation). A write that does not fit puts the window in an overflowed
/// state in which it writes nothing more: [`Window::fits`] then says `false`, and the
/// caller must encode again (the bytes and any error of an overflowed window are
/// meaningless). It records no padding runs.
pub(crate) struct Window<'a> {
    /// The room, all zeros where nothing was written yet (shorter than `u32::MAX`).
    buf: &'a mut [u8],
    /// The position of the next byte; one past the room once a write did not fit (the
    /// overflowed state, in which every write fails). A `u32`, so that `at + len`
    /// provably does not wrap and a write is checked with one comparison.
    at: u32,
}

impl<'a> Window<'a> {
    /// A window over `buf`, which must hold only zeros (padding is not written); `None`
    /// when `buf` is too long for a window (4 GiB), which no OpenFlow message needs.
    #[inline]
    pub(crate) fn zeroed(buf: &'a mut [u8]) -> Option<Self> {
        (buf.len() < u32::MAX as usize).then_some(Window { buf, at: 0 })
    }

    /// True when every write fitted the room.
    #[inline]
    pub(crate) fn fits(&self) -> bool {
        self.at as usize <= self.buf.len()
    }

    /// Puts the window in the overflowed state.
    #[inline]
    fn overflow(&mut self) {
        // The room is shorter than `u32::MAX`.
        self.at = self.buf.len() as u32 + 1;
    }

    /// Moves the cursor to `end`, or into the overflowed state when `end` is past the
    /// room.
    #[inline]
    fn advance_to(&mut self, end: usize) {
        if end <= self.buf.len() {
            // Within the room, which is shorter than `u32::MAX`.
            self.at = end as u32;
        } else {
            self.overflow();
        }
    }
}

impl Sink for Window<'_> {
    #[inline]
    fn pos(&self) -> usize {
        self.at as usize
    }

    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        let at = self.at as usize;
        // Cannot wrap: `at` is below `u32::MAX` and `b` is in memory.
        let end = at + b.len();
        match self.buf.get_mut(at..end) {
            Some(slot) => {
                slot.copy_from_slice(b);
                // `end` is within the room, so shorter than `u32::MAX`.
                self.at = end as u32;
            }
            None => self.overflow(),
        }
    }

    #[inline]
    fn padded(&mut self, b: &[u8], _pads: &[(&'static str, std::ops::Range<usize>)]) {
        self.bytes(b);
    }

    #[inline]
    fn pad(&mut self, _what: &'static str, n: usize) {
        self.advance_to((self.at as usize).saturating_add(n));
    }

    #[inline]
    fn header_and_word(&mut self, header: u32, word: u64, len: usize) {
        let at = self.at as usize;
        match self.buf.get_mut(at..at + 12) {
            Some(slot) if len <= 8 => {
                let (h, p) = slot.split_at_mut(4);
                h.copy_from_slice(&header.to_be_bytes());
                p.copy_from_slice(&word.to_be_bytes());
                // Within the room, so shorter than `u32::MAX`.
                self.at = (at + 4 + len) as u32;
            }
            _ => header_then_bytes(self, header, word, len),
        }
    }

    #[inline(always)]
    fn local<R>(&mut self, write: impl FnOnce(&mut Self) -> R) -> R {
        let mut local = Window {
            buf: std::mem::take(&mut self.buf),
            at: self.at,
        };
        let result = write(&mut local);
        *self = local;
        result
    }

    #[inline]
    fn patch_len16(
        &mut self,
        what: &'static str,
        at: usize,
        start: usize,
    ) -> Result<(), EncodeError> {
        if !self.fits() {
            return Ok(()); // the caller encodes again
        }
        let len = self.pos().saturating_sub(start);
        let v = len16(what, len)?;
        match self.buf.get_mut(at..at.saturating_add(2)) {
            Some(slot) => {
                slot.copy_from_slice(&v.to_be_bytes());
                Ok(())
            }
            None => Err(slot_outside(what, at, len)),
        }
    }
}

/// [`Sink::header_and_word`] as plain appends: the header, then `word`'s first `len` bytes.
#[inline]
fn header_then_bytes(w: &mut impl Sink, header: u32, word: u64, len: usize) {
    w.u32(header);
    let b = word.to_be_bytes();
    w.bytes(b.get(..len).unwrap_or(&b));
}

/// The 16 bytes of two big-endian words, `a` first: a structure assembled in registers.
#[inline(always)]
pub(crate) fn words16(a: u64, b: u64) -> [u8; 16] {
    let [a0, a1, a2, a3, a4, a5, a6, a7] = a.to_be_bytes();
    let [b0, b1, b2, b3, b4, b5, b6, b7] = b.to_be_bytes();
    [
        a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7,
    ]
}

/// `b` (at most 8 bytes) as a big-endian word, its first byte on top and zeros after
/// its last; `None` when longer. Built byte by byte in a register, so no store of
/// `b` has to be reloaded as a wider word.
#[inline(always)]
pub(crate) fn left_word(b: &[u8]) -> Option<u64> {
    if b.len() > 8 {
        return None;
    }
    Some(
        b.iter()
            .zip((0..8).rev())
            .fold(0, |w, (&x, i)| w | u64::from(x) << (8 * i)),
    )
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
    fn windows_write_in_place_skip_padding_and_note_overflow() {
        let mut buf = [0u8; 12];
        let mut w = Window::zeroed(&mut buf).unwrap();
        w.bytes(&[1, 2]);
        w.pad("p", 2);
        w.u32(0x0304_0506);
        assert_eq!((w.pos(), w.fits()), (8, true));
        w.patch_len16("x", 2, 0).unwrap();
        w.local(|w| w.bytes(&[9; 4]));
        assert_eq!((w.pos(), w.fits()), (12, true));
        assert!(matches!(
            w.patch_len16("x", 11, 0),
            Err(EncodeError::BadValue { field: "x", .. })
        ));
        w.bytes(&[1]); // one byte too many
        assert!(!w.fits());
        w.pad_to_named("p", 0, 8);
        w.bytes(&[]);
        assert!(!w.fits());
        // Once overflowed, lengths are left alone: the caller encodes again.
        assert_eq!(w.patch_len16("x", 0, 0), Ok(()));
        assert_eq!(buf, [1, 2, 0, 8, 3, 4, 5, 6, 9, 9, 9, 9]);

        let mut small = [0u8; 3];
        let mut w = Window::zeroed(&mut small).unwrap();
        w.pad("p", 4);
        assert!(!w.fits());
    }

    #[test]
    fn sinks_agree() {
        fn write(s: &mut impl Sink) -> Result<(), EncodeError> {
            let start = s.pos();
            s.u16(0xabcd);
            s.u16(0);
            s.bytes(&[7]);
            s.padded(&[1, 0, 0], &[("q", 1..3)]);
            s.pad_to_named("r", start, 8);
            s.patch_len16("len", start + 2, start)
        }
        let mut v = Vec::new();
        write(&mut Writer::new(&mut v)).unwrap();
        let mut buf = [0u8; 8];
        let mut w = Window::zeroed(&mut buf).unwrap();
        write(&mut w).unwrap();
        assert!(w.fits());
        assert_eq!(v, buf);
        assert_eq!(v, [0xab, 0xcd, 0, 8, 7, 1, 0, 0]);
    }

    #[test]
    fn header_and_word_writes_exactly_its_bytes_in_either_sink() {
        // Window room of exactly 4 + 6 bytes: the 12-byte store does not fit, so the
        // window falls back to writing the 10 bytes; with room to spare it stores 12
        // and moves on 10.
        for room in [10, 16] {
            let mut v = Vec::new();
            let mut w = Writer::new(&mut v);
            let word = u64::from_be_bytes([1, 2, 3, 4, 5, 6, 0, 0]);
            w.header_and_word(0x8000_0806, word, 6);
            let mut buf = vec![0u8; room];
            let mut win = Window::zeroed(&mut buf).unwrap();
            win.header_and_word(0x8000_0806, word, 6);
            assert_eq!((win.pos(), win.fits()), (10, true));
            assert_eq!(v, [0x80, 0, 8, 6, 1, 2, 3, 4, 5, 6]);
            assert_eq!(&buf[..10], &v[..]);
            assert!(buf[10..].iter().all(|&b| b == 0));
        }
        let mut small = [0u8; 9];
        let mut win = Window::zeroed(&mut small).unwrap();
        win.header_and_word(1, 0, 6);
        assert!(!win.fits());
    }

    #[test]
    fn left_words_put_the_first_byte_on_top() {
        assert_eq!(left_word(&[]), Some(0));
        assert_eq!(left_word(&[0xab]), Some(0xab << 56));
        assert_eq!(
            left_word(&[1, 2, 3, 4, 5, 6, 7, 8]),
            Some(0x0102_0304_0506_0708)
        );
        assert_eq!(left_word(&[0; 9]), None);
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
