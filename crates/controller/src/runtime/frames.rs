//! Splits the byte stream of a switch connection into raw OpenFlow messages.
//!
//! Unlike `flowfall_ofp::tokio_codec::OfCodec`, which decodes, this codec hands the core the
//! undecoded bytes of each message: a message that does not decode must be answered with an
//! `OFPT_ERROR` carrying its first 64 bytes (OpenFlow 1.3.5 §7.4.4), and must not end the
//! stream. Framing uses the `ofp_header` length (§7.1) via [`flowfall_ofp::framer::message_len`];
//! an impossible length is fatal, since the rest of the stream can no longer be split.

use bytes::{Bytes, BytesMut};
use flowfall_ofp::framer::{FrameError, MAX_MESSAGE_LEN, OFP_HEADER_LEN, message_len};
use tokio_util::codec::Decoder;

/// A tokio-util decoder yielding each message's bytes.
#[derive(Debug, Default)]
pub struct RawFrames {
    offset: u64,
}

/// An error of [`RawFrames`]: I/O or a fatal framing error.
#[derive(Debug, thiserror::Error)]
pub enum RawFrameError {
    /// The transport failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The stream cannot be framed.
    #[error(transparent)]
    Frame(#[from] FrameError),
}

impl Decoder for RawFrames {
    type Item = Bytes;
    type Error = RawFrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, RawFrameError> {
        match message_len(src, self.offset, MAX_MESSAGE_LEN)? {
            Some(len) if len <= src.len() => {
                self.offset += len as u64;
                Ok(Some(src.split_to(len).freeze()))
            }
            needed => {
                src.reserve(needed.unwrap_or(OFP_HEADER_LEN).saturating_sub(src.len()));
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, RawFrameError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        if src.is_empty() {
            return Ok(None);
        }
        let needed = message_len(src, self.offset, MAX_MESSAGE_LEN)?.unwrap_or(OFP_HEADER_LEN);
        Err(FrameError::Incomplete {
            offset: self.offset,
            needed,
            available: src.len(),
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_partial_and_joined_reads() {
        let mut codec = RawFrames::default();
        let mut buf = BytesMut::from(&[4u8, 2, 0, 12, 0][..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&[0, 0, 7, 1, 2, 3, 4, 4, 20, 0, 8, 0, 0, 0, 9]);
        let a = codec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(a.len(), 12);
        let b = codec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(&b[..], &[4, 20, 0, 8, 0, 0, 0, 9]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn impossible_length_is_fatal_with_offset() {
        let mut codec = RawFrames::default();
        let mut buf = BytesMut::from(&[4u8, 20, 0, 8, 0, 0, 0, 9, 4, 0, 0, 3, 0, 0, 0, 0][..]);
        assert!(codec.decode(&mut buf).unwrap().is_some());
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(
            matches!(
                err,
                RawFrameError::Frame(FrameError::LengthTooSmall {
                    offset: 8,
                    length: 3
                })
            ),
            "{err}"
        );
    }

    #[test]
    fn eof_inside_a_message_is_reported() {
        let mut codec = RawFrames::default();
        let mut buf = BytesMut::from(&[4u8, 2, 0, 12, 0, 0, 0, 1, 0, 0][..]);
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert!(
            err.to_string().contains("need 12 bytes, 10 present"),
            "{err}"
        );
    }
}
