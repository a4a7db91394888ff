//! Bounds-checked byte cursors used by every codec in this crate.
//!
//! [`Reader`] never panics: each read checks the bytes present and returns
//! [`DecodeError::Truncated`] with the absolute offset. [`Writer`] appends big-endian
//! integers and back-patches 16-bit length fields.

use crate::error::{DecodeError, EncodeError};
use byteorder::{BigEndian, ByteOrder};

/// A checked big-endian reader over a byte slice.
///
/// `base` is the absolute offset of `buf[0]` within the message, so errors from nested
/// structures report message offsets.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, whose first byte is at absolute offset 0.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
        }
    }

    /// A reader over `buf`, whose first byte is at absolute offset `base`.
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    fn need(&self, what: &'static str, n: usize) -> Result<(), DecodeError> {
        if self.remaining() < n {
            Err(DecodeError::Truncated {
                what,
                offset: self.offset(),
                needed: n,
                available: self.remaining(),
            })
        } else {
            Ok(())
        }
    }

    /// Take `n` bytes.
    pub fn bytes(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], DecodeError> {
        self.need(what, n)?;
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Take `n` bytes as a sub-reader that keeps absolute offsets.
    pub fn sub(&mut self, what: &'static str, n: usize) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let s = self.bytes(what, n)?;
        Ok(Reader::with_base(s, base))
    }

    /// Take a fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let s = self.bytes(what, N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Skip `n` bytes of padding (their contents are not checked here; see `validate`).
    pub fn skip(&mut self, what: &'static str, n: usize) -> Result<(), DecodeError> {
        self.bytes(what, n).map(|_| ())
    }

    /// Take every remaining byte.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }

    /// Read a `u8`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.bytes(what, 1)?[0])
    }

    /// Read a big-endian `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(BigEndian::read_u16(self.bytes(what, 2)?))
    }

    /// Read a big-endian `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(BigEndian::read_u32(self.bytes(what, 4)?))
    }

    /// Read a big-endian `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(BigEndian::read_u64(self.bytes(what, 8)?))
    }

    /// Peek a big-endian `u16` at `ahead` bytes from the cursor, without consuming.
    pub fn peek_u16(&self, what: &'static str, ahead: usize) -> Result<u16, DecodeError> {
        self.need(what, ahead + 2)?;
        Ok(BigEndian::read_u16(&self.buf[self.pos + ahead..]))
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

impl<'a> Writer<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Writer { out, pads: None }
    }

    /// A writer appending to `out` that also records every padding run it writes
    /// ([`Writer::pad`], [`Writer::zeros`], [`Writer::pad_to`]); read them with
    /// [`Writer::into_pads`].
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

    /// Append `n` zero bytes of padding belonging to `what`.
    pub fn pad(&mut self, what: &'static str, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(pads) = &mut self.pads {
            pads.push(PadSpan {
                offset: self.out.len(),
                len: n,
                what,
            });
        }
        self.out.resize(self.out.len() + n, 0);
    }

    /// Bytes in the underlying buffer (the position of the next byte).
    pub fn pos(&self) -> usize {
        self.out.len()
    }

    /// Append a `u8`.
    pub fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    /// Append a big-endian `u16`.
    pub fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Append a big-endian `u32`.
    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Append a big-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    /// Append bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// Append `n` zero bytes of padding.
    pub fn zeros(&mut self, n: usize) {
        self.pad("padding", n);
    }

    /// Pad with zeros until the length since `start` is a multiple of `align`.
    pub fn pad_to(&mut self, start: usize, align: usize) {
        self.pad_to_named("padding", start, align);
    }

    /// [`Writer::pad_to`], naming the structure the padding belongs to.
    pub fn pad_to_named(&mut self, what: &'static str, start: usize, align: usize) {
        let len = self.out.len().saturating_sub(start);
        let padded = len.div_ceil(align) * align;
        self.pad(what, padded - len);
    }

    /// Write the 16-bit length `self.pos() - start` at absolute position `at`.
    pub fn patch_len16(
        &mut self,
        what: &'static str,
        at: usize,
        start: usize,
    ) -> Result<(), EncodeError> {
        let len = self.out.len().saturating_sub(start);
        let v = u16::try_from(len).map_err(|_| EncodeError::TooLong {
            what,
            len,
            max: u16::MAX as usize,
        })?;
        let slot = self
            .out
            .get_mut(at..at + 2)
            .ok_or_else(|| EncodeError::BadValue {
                field: what,
                reason: format!("length slot at {at} lies outside the {}-byte output", len),
            })?;
        slot.copy_from_slice(&v.to_be_bytes());
        Ok(())
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
            ]
        );
    }
}
