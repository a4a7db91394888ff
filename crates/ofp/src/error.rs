//! Codec errors. Every decode error names what was being read, what was expected, what was
//! found and the byte offset from the start of the message (or stream) being decoded.

use std::fmt;

/// An error decoding OpenFlow bytes. Offsets count from the first byte of the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes are present than the structure needs.
    #[error("truncated {what} at offset {offset}: need {needed} bytes, {available} present")]
    Truncated {
        /// The structure or field being read.
        what: &'static str,
        /// Offset where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes present from `offset` on.
        available: usize,
    },
    /// A length field is impossible (too short for its own header, not a multiple of its
    /// alignment, or longer than its container).
    #[error("bad length in {what} at offset {offset}: expected {expected}, found {found}")]
    BadLength {
        /// The structure whose length field is wrong.
        what: &'static str,
        /// Offset of the structure.
        offset: usize,
        /// What the length had to be (e.g. ">= 8", "== 16", "<= 40").
        expected: String,
        /// The length found.
        found: usize,
    },
    /// A field holds a value this position does not allow.
    #[error("bad value in {field} at offset {offset}: expected {expected}, found {found}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// Offset of the field.
        offset: usize,
        /// What was allowed.
        expected: String,
        /// What was found (formatted).
        found: String,
    },
    /// The message's version is not OpenFlow 1.3 (0x04) and its type is not HELLO.
    #[error("unsupported OpenFlow version at offset {offset}: expected 0x04, found {found:#04x}")]
    BadVersion {
        /// Offset of the version byte.
        offset: usize,
        /// Version byte found.
        found: u8,
    },
}

impl DecodeError {
    /// The byte offset the error refers to.
    pub fn offset(&self) -> usize {
        match self {
            DecodeError::Truncated { offset, .. }
            | DecodeError::BadLength { offset, .. }
            | DecodeError::BadValue { offset, .. }
            | DecodeError::BadVersion { offset, .. } => *offset,
        }
    }

    /// [`DecodeError::BadLength`], built out of line so decoders' hot paths stay small.
    #[cold]
    #[inline(never)]
    pub(crate) fn bad_length(
        what: &'static str,
        offset: usize,
        expected: fmt::Arguments<'_>,
        found: usize,
    ) -> Self {
        DecodeError::BadLength {
            what,
            offset,
            expected: expected.to_string(),
            found,
        }
    }

    /// [`DecodeError::BadValue`], built out of line so decoders' hot paths stay small.
    #[cold]
    #[inline(never)]
    pub(crate) fn bad_value(
        field: &'static str,
        offset: usize,
        expected: fmt::Arguments<'_>,
        found: fmt::Arguments<'_>,
    ) -> Self {
        DecodeError::BadValue {
            field,
            offset,
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// The same error with its offset shifted by `base` (for a structure decoded from a
    /// sub-slice that starts `base` bytes into the message).
    pub fn at(mut self, base: usize) -> Self {
        match &mut self {
            DecodeError::Truncated { offset, .. }
            | DecodeError::BadLength { offset, .. }
            | DecodeError::BadValue { offset, .. }
            | DecodeError::BadVersion { offset, .. } => *offset += base,
        }
        self
    }
}

/// An error encoding a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A structure's encoded size does not fit its 16-bit length field.
    #[error("{what} too long: {len} bytes, the limit is {max}")]
    TooLong {
        /// The structure.
        what: &'static str,
        /// Its encoded length.
        len: usize,
        /// The largest length its field can hold.
        max: usize,
    },
    /// A field value cannot be represented on the wire.
    #[error("cannot encode {field}: {reason}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}
