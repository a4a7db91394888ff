//! `tokio-util` codec for OpenFlow 1.3 connections (feature `tokio`).
//!
//! [`OfCodec`] implements [`Decoder`] and [`Encoder`] over [`BytesMut`], so a TCP or TLS stream
//! becomes a `Stream` + `Sink` of [`OfMessage`]s with `tokio_util::codec::Framed`. Framing
//! follows [`crate::framer`]: the `ofp_header` length (OpenFlow 1.3.5 §7.1) delimits each
//! message; a length below 8 or above the configured maximum is a fatal
//! [`FrameError`], reported with its stream offset.
//!
//! ```
//! use bytes::BytesMut;
//! use flowfall_ofp::tokio_codec::OfCodec;
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = OfCodec::new();
//! let mut wire = BytesMut::new();
//! wire.extend_from_slice(&[4, 2, 0, 12, 0, 0, 0, 7, b'p', b'i']); // 10 of 12 bytes
//! assert!(codec.decode(&mut wire).unwrap().is_none());
//! wire.extend_from_slice(b"ng");
//! let echo = codec.decode(&mut wire).unwrap().unwrap();
//! assert_eq!(echo.xid, 7);
//!
//! let mut out = BytesMut::new();
//! codec.encode(&echo, &mut out).unwrap();
//! assert_eq!(&out[..], &[4, 2, 0, 12, 0, 0, 0, 7, b'p', b'i', b'n', b'g']);
//! ```

use crate::framer::{FrameError, LimitsError, MAX_MESSAGE_LEN, OFP_HEADER_LEN, message_len};
use crate::{EncodeError, OfMessage};
use bytes::BytesMut;
use std::io;
use tokio_util::codec::{Decoder, Encoder};

/// Errors of [`OfCodec`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The underlying transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The stream could not be framed, or a message did not decode (see
    /// [`FrameError::Decode`], which keeps the [`crate::DecodeError`]).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A message to send could not be encoded.
    #[error("cannot encode message: {0}")]
    Encode(#[from] EncodeError),
}

impl From<CodecError> for io::Error {
    /// I/O errors pass through; the others become [`io::ErrorKind::InvalidData`] (decoding) or
    /// [`io::ErrorKind::InvalidInput`] (encoding) with the typed error inside.
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::Io(e) => e,
            CodecError::Frame(e) => io::Error::new(io::ErrorKind::InvalidData, e),
            CodecError::Encode(e) => io::Error::new(io::ErrorKind::InvalidInput, e),
        }
    }
}

/// OpenFlow message codec: decodes [`OfMessage`]s from, and encodes them into, a byte stream.
#[derive(Debug, Clone)]
pub struct OfCodec {
    max_message_len: usize,
    /// Stream offset of the first byte of the decode buffer.
    offset: u64,
    failed: Option<FrameError>,
    /// Reused encode buffer, so encoding does not allocate once warmed up.
    scratch: Vec<u8>,
}

impl Default for OfCodec {
    fn default() -> Self {
        OfCodec::new()
    }
}

impl OfCodec {
    /// A codec accepting messages up to 65535 bytes.
    pub fn new() -> Self {
        OfCodec {
            max_message_len: MAX_MESSAGE_LEN,
            offset: 0,
            failed: None,
            scratch: Vec::new(),
        }
    }

    /// A codec refusing incoming messages longer than `max_message_len` (8..=65535).
    pub fn with_max_message_len(max_message_len: usize) -> Result<Self, LimitsError> {
        if max_message_len < OFP_HEADER_LEN {
            return Err(LimitsError::MaxMessageLenTooSmall(max_message_len));
        }
        if max_message_len > MAX_MESSAGE_LEN {
            return Err(LimitsError::MaxMessageLenTooLarge(max_message_len));
        }
        Ok(OfCodec {
            max_message_len,
            ..OfCodec::new()
        })
    }

    /// Bytes decoded so far (the stream offset of the next message).
    pub fn stream_offset(&self) -> u64 {
        self.offset
    }

    /// Takes the next complete message's bytes out of `src`, or reserves room for it.
    fn next_frame(&mut self, src: &mut BytesMut) -> Result<Option<(u64, BytesMut)>, FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match message_len(src, self.offset, self.max_message_len) {
            Ok(Some(len)) if len <= src.len() => {
                let at = self.offset;
                self.offset += len as u64;
                Ok(Some((at, src.split_to(len))))
            }
            Ok(needed) => {
                src.reserve(needed.unwrap_or(OFP_HEADER_LEN) - src.len());
                Ok(None)
            }
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }
}

impl Decoder for OfCodec {
    type Item = OfMessage;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<OfMessage>, CodecError> {
        let Some((offset, frame)) = self.next_frame(src)? else {
            return Ok(None);
        };
        OfMessage::decode(&frame)
            .map(Some)
            .map_err(|source| FrameError::Decode { offset, source }.into())
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<OfMessage>, CodecError> {
        if let Some(msg) = self.decode(src)? {
            return Ok(Some(msg));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let needed = message_len(src, self.offset, self.max_message_len)?;
        Err(FrameError::Incomplete {
            offset: self.offset,
            needed: needed.unwrap_or(OFP_HEADER_LEN),
            available: src.len(),
        }
        .into())
    }
}

impl Encoder<&OfMessage> for OfCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &OfMessage, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.scratch.clear();
        item.encode(&mut self.scratch)?;
        dst.extend_from_slice(&self.scratch);
        Ok(())
    }
}

impl Encoder<OfMessage> for OfCodec {
    type Error = CodecError;

    fn encode(&mut self, item: OfMessage, dst: &mut BytesMut) -> Result<(), CodecError> {
        Encoder::<&OfMessage>::encode(self, &item, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECHO: [u8; 12] = [4, 2, 0, 12, 0, 0, 0, 7, b'p', b'i', b'n', b'g'];
    const BARRIER: [u8; 8] = [4, 20, 0, 8, 0, 0, 0, 9];

    #[test]
    fn partial_then_many_per_read() {
        let mut codec = OfCodec::new();
        let mut buf = BytesMut::from(&ECHO[..3]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() >= 8, "reserves the header");
        buf.extend_from_slice(&ECHO[3..]);
        buf.extend_from_slice(&BARRIER);
        buf.extend_from_slice(&ECHO);
        let xids: Vec<u32> = std::iter::from_fn(|| codec.decode(&mut buf).unwrap())
            .map(|m| m.xid)
            .collect();
        assert_eq!(xids, [7, 9, 7]);
        assert!(buf.is_empty());
        assert_eq!(codec.stream_offset(), 32);
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
    }

    #[test]
    fn encode_decode_round_trip() {
        let mut codec = OfCodec::new();
        let mut buf = BytesMut::from(&ECHO[..]);
        let msg = codec.decode(&mut buf).unwrap().unwrap();
        let mut out = BytesMut::new();
        codec.encode(&msg, &mut out).unwrap();
        codec.encode(msg, &mut out).unwrap();
        assert_eq!(&out[..], [ECHO, ECHO].concat());
    }

    #[test]
    fn short_length_is_fatal_and_convertible_to_io_error() {
        let mut codec = OfCodec::new();
        let mut buf = BytesMut::from(&BARRIER[..]);
        buf.extend_from_slice(&[4, 2, 0, 7, 0, 0, 0, 0]);
        assert!(codec.decode(&mut buf).unwrap().is_some());
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            CodecError::Frame(FrameError::LengthTooSmall {
                offset: 8,
                length: 7
            })
        ));
        assert!(codec.decode(&mut buf).is_err(), "stays failed");
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidData);
        let inner = io.get_ref().and_then(|e| e.downcast_ref::<FrameError>());
        assert_eq!(inner.and_then(FrameError::stream_offset), Some(8));
    }

    #[test]
    fn decode_error_keeps_decode_error_inside() {
        let mut codec = OfCodec::new();
        // Version 1 ECHO_REQUEST: frames fine, does not decode as OpenFlow 1.3.
        let mut buf = BytesMut::from(&[1u8, 2, 0, 8, 0, 0, 0, 1][..]);
        buf.extend_from_slice(&BARRIER);
        match codec.decode(&mut buf) {
            Err(CodecError::Frame(FrameError::Decode { offset: 0, .. })) => {}
            other => panic!("expected a decode error, got {other:?}"),
        }
        assert_eq!(codec.decode(&mut buf).unwrap().map(|m| m.xid), Some(9));
    }

    #[test]
    fn eof_inside_message_is_an_error() {
        let mut codec = OfCodec::new();
        let mut buf = BytesMut::from(&ECHO[..10]);
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated message at stream offset 0: need 12 bytes, 10 present"
        );
    }

    #[test]
    fn configured_limit() {
        assert!(OfCodec::with_max_message_len(7).is_err());
        assert!(OfCodec::with_max_message_len(65_536).is_err());
        let mut codec = OfCodec::with_max_message_len(11).unwrap();
        let mut buf = BytesMut::from(&ECHO[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(CodecError::Frame(FrameError::TooLong {
                length: 12,
                max: 11,
                ..
            }))
        ));
    }
}
