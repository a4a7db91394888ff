//! Splitting a byte stream into OpenFlow messages (OpenFlow 1.3.5 §7.1, `ofp_header`).
//!
//! Every OpenFlow message starts with an 8-byte `ofp_header` whose 16-bit `length` field counts
//! the whole message, header included. A TCP/TLS read may return half a message or several
//! messages at once; [`Framer`] accumulates the bytes of partial reads and hands out complete
//! messages, one at a time, without doing any I/O itself.
//!
//! * A `length` below 8 can never be valid (it would not even cover the header) and a `length`
//!   above the configured maximum is refused: both are fatal [`FrameError`]s carrying the
//!   stream offset of the offending header, and the framer stays failed afterwards, because the
//!   message boundaries of the rest of the stream are unknown.
//! * The buffer is bounded: [`Framer::push`] refuses input that would make the buffered bytes
//!   exceed [`Framer::buffer_capacity`] (a recoverable [`FrameError::BufferFull`]; drain the
//!   complete messages with [`Framer::next_frame`] and push again).
//! * A message that frames correctly but does not decode ([`Framer::next_message`]) is consumed
//!   and reported as [`FrameError::Decode`]; the stream stays usable.
//!
//! [`frames`] does the same over one complete in-memory buffer, without copying.
//!
//! ```
//! use flowfall_ofp::framer::Framer;
//!
//! // An ECHO_REQUEST and a BARRIER_REQUEST, split across two reads.
//! let stream = [4, 2, 0, 8, 0, 0, 0, 1, 4, 20, 0, 8, 0, 0, 0, 2];
//! let mut framer = Framer::new();
//! framer.push(&stream[..5]).unwrap();
//! assert_eq!(framer.next_frame().unwrap(), None); // only 5 bytes so far
//! framer.push(&stream[5..]).unwrap();
//! assert_eq!(framer.next_frame().unwrap(), Some(&stream[..8]));
//! let barrier = framer.next_message().unwrap().unwrap();
//! assert_eq!(barrier.xid, 2);
//! assert_eq!(framer.next_frame().unwrap(), None);
//! framer.finish().unwrap(); // nothing left over
//! ```

use crate::{DecodeError, OfMessage};

/// Size of `ofp_header`, the smallest valid message length.
pub use crate::header::OFP_HEADER_LEN;

/// The largest message the 16-bit `length` field can describe, and the default limit.
pub const MAX_MESSAGE_LEN: usize = u16::MAX as usize;

/// Default bound on the bytes a [`Framer`] buffers: room for one maximal partial message plus
/// three maximal reads of 64 KiB.
pub const DEFAULT_BUFFER_CAPACITY: usize = 4 * 65_536;

/// Errors from splitting a stream into messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A header's `length` is below 8 bytes, the size of the header itself. Fatal.
    #[error(
        "bad length in ofp_header at stream offset {offset}: expected >= {OFP_HEADER_LEN}, found {length}"
    )]
    LengthTooSmall {
        /// Stream offset of the header.
        offset: u64,
        /// The `length` field found.
        length: u16,
    },
    /// A header's `length` exceeds the configured maximum message size. Fatal.
    #[error(
        "bad length in ofp_header at stream offset {offset}: expected <= {max}, found {length}"
    )]
    TooLong {
        /// Stream offset of the header.
        offset: u64,
        /// The `length` field found.
        length: u16,
        /// The configured maximum.
        max: usize,
    },
    /// The input ended inside a message.
    #[error(
        "truncated message at stream offset {offset}: need {needed} bytes, {available} present"
    )]
    Incomplete {
        /// Stream offset of the incomplete message.
        offset: u64,
        /// Bytes the message needs: 8 while the header is incomplete, else its `length`.
        needed: usize,
        /// Bytes of it present.
        available: usize,
    },
    /// Pushing the input would exceed the buffer bound. Recoverable: nothing was copied; take
    /// the complete messages out and push again.
    #[error(
        "framer buffer full: {buffered} bytes buffered + {incoming} incoming exceeds the capacity of {capacity}"
    )]
    BufferFull {
        /// Bytes buffered now.
        buffered: usize,
        /// Bytes offered.
        incoming: usize,
        /// [`Framer::buffer_capacity`].
        capacity: usize,
    },
    /// A correctly framed message failed to decode. The message has been consumed and the
    /// stream stays usable.
    #[error("cannot decode message at stream offset {offset}: {source}")]
    Decode {
        /// Stream offset of the message; `source` holds the offset within the message.
        offset: u64,
        /// The decode error.
        source: DecodeError,
    },
}

impl FrameError {
    /// True for the errors after which the rest of the stream cannot be framed.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            FrameError::LengthTooSmall { .. } | FrameError::TooLong { .. }
        )
    }

    /// The stream offset of the message the error refers to (`None` for
    /// [`FrameError::BufferFull`], which is about the buffer rather than a message).
    pub fn stream_offset(&self) -> Option<u64> {
        match self {
            FrameError::LengthTooSmall { offset, .. }
            | FrameError::TooLong { offset, .. }
            | FrameError::Incomplete { offset, .. }
            | FrameError::Decode { offset, .. } => Some(*offset),
            FrameError::BufferFull { .. } => None,
        }
    }

    /// The stream offset of the exact byte at fault: for a decode error the message offset
    /// plus the offset inside the message, otherwise [`FrameError::stream_offset`].
    pub fn byte_offset(&self) -> Option<u64> {
        match self {
            FrameError::Decode { offset, source } => Some(offset + source.offset() as u64),
            other => other.stream_offset(),
        }
    }
}

/// Invalid [`Framer`] limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitsError {
    /// The maximum message length is below the header size.
    #[error("max_message_len: expected >= {OFP_HEADER_LEN}, found {0}")]
    MaxMessageLenTooSmall(usize),
    /// The maximum message length exceeds what the 16-bit length field can express.
    #[error("max_message_len: expected <= {MAX_MESSAGE_LEN}, found {0}")]
    MaxMessageLenTooLarge(usize),
    /// The buffer could not hold one maximal message.
    #[error("buffer_capacity: expected >= max_message_len ({max_message_len}), found {capacity}")]
    CapacityBelowMessageLen {
        /// The buffer capacity asked for.
        capacity: usize,
        /// The maximum message length.
        max_message_len: usize,
    },
}

/// Reads the `length` field of the header at the start of `buf`, if the header is complete.
///
/// `Ok(None)`: fewer than 8 bytes. `Ok(Some(len))`: a message of `len` bytes (8..=`max`)
/// starts here; it may still be incomplete.
pub fn message_len(buf: &[u8], offset: u64, max: usize) -> Result<Option<usize>, FrameError> {
    let Some(&[_, _, hi, lo, ..]) = buf.get(..OFP_HEADER_LEN) else {
        return Ok(None);
    };
    let length = u16::from_be_bytes([hi, lo]);
    let len = usize::from(length);
    if len < OFP_HEADER_LEN {
        Err(FrameError::LengthTooSmall { offset, length })
    } else if len > max {
        Err(FrameError::TooLong {
            offset,
            length,
            max,
        })
    } else {
        Ok(Some(len))
    }
}

/// Splits one complete in-memory stream into messages without copying.
///
/// Yields each message's bytes; a framing error (or trailing bytes that do not form a whole
/// message, reported as [`FrameError::Incomplete`]) is yielded once and ends the iteration.
///
/// ```
/// use flowfall_ofp::framer::{frames, FrameError};
///
/// let two = [4, 2, 0, 8, 0, 0, 0, 1, 4, 3, 0, 8, 0, 0, 0, 1];
/// assert_eq!(frames(&two).count(), 2);
/// let bad = [4, 2, 0, 4, 0, 0, 0, 1];
/// let err = frames(&bad).next().unwrap().unwrap_err();
/// assert_eq!(err, FrameError::LengthTooSmall { offset: 0, length: 4 });
/// ```
pub fn frames(stream: &[u8]) -> Frames<'_> {
    Frames {
        rest: stream,
        offset: 0,
        done: false,
    }
}

/// Iterator returned by [`frames`].
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    rest: &'a [u8],
    offset: u64,
    done: bool,
}

impl<'a> Frames<'a> {
    /// Stream offset of the next message.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<&'a [u8], FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let available = self.rest.len();
        let step = match message_len(self.rest, self.offset, MAX_MESSAGE_LEN) {
            Ok(Some(len)) if len <= available => {
                let (msg, rest) = self.rest.split_at(len);
                self.rest = rest;
                self.offset += len as u64;
                Ok(msg)
            }
            Ok(needed) => Err(FrameError::Incomplete {
                offset: self.offset,
                needed: needed.unwrap_or(OFP_HEADER_LEN),
                available,
            }),
            Err(e) => Err(e),
        };
        self.done = step.is_err();
        Some(step)
    }
}

/// An incremental, bounded stream framer (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct Framer {
    /// Buffered bytes; `buf[head..]` are not yet handed out.
    buf: Vec<u8>,
    head: usize,
    /// Stream offset of `buf[head]`.
    offset: u64,
    max_message_len: usize,
    capacity: usize,
    failed: Option<FrameError>,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::new()
    }
}

impl Framer {
    /// A framer accepting messages up to [`MAX_MESSAGE_LEN`] with a buffer bound of
    /// [`DEFAULT_BUFFER_CAPACITY`].
    pub fn new() -> Self {
        Framer {
            buf: Vec::new(),
            head: 0,
            offset: 0,
            max_message_len: MAX_MESSAGE_LEN,
            capacity: DEFAULT_BUFFER_CAPACITY,
            failed: None,
        }
    }

    /// A framer refusing messages longer than `max_message_len` (8..=65535) and buffering at
    /// most `buffer_capacity` bytes (at least `max_message_len`).
    pub fn with_limits(
        max_message_len: usize,
        buffer_capacity: usize,
    ) -> Result<Self, LimitsError> {
        if max_message_len < OFP_HEADER_LEN {
            return Err(LimitsError::MaxMessageLenTooSmall(max_message_len));
        }
        if max_message_len > MAX_MESSAGE_LEN {
            return Err(LimitsError::MaxMessageLenTooLarge(max_message_len));
        }
        if buffer_capacity < max_message_len {
            return Err(LimitsError::CapacityBelowMessageLen {
                capacity: buffer_capacity,
                max_message_len,
            });
        }
        Ok(Framer {
            max_message_len,
            capacity: buffer_capacity,
            ..Framer::new()
        })
    }

    /// The largest message length accepted.
    pub fn max_message_len(&self) -> usize {
        self.max_message_len
    }

    /// The most bytes the framer buffers at once.
    pub fn buffer_capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes received but not yet handed out as messages.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.head
    }

    /// Stream offset of the next message (the total bytes handed out so far).
    pub fn stream_offset(&self) -> u64 {
        self.offset
    }

    /// The fatal error the framer stopped at, if any.
    pub fn failure(&self) -> Option<&FrameError> {
        self.failed.as_ref()
    }

    /// Appends bytes read from the stream.
    ///
    /// All or nothing: if `buffered() + data.len()` would exceed the capacity, nothing is
    /// copied and [`FrameError::BufferFull`] is returned. A framer that hit a fatal error
    /// returns that error again.
    pub fn push(&mut self, data: &[u8]) -> Result<(), FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let buffered = self.buffered();
        if data.len() > self.capacity - buffered {
            return Err(FrameError::BufferFull {
                buffered,
                incoming: data.len(),
                capacity: self.capacity,
            });
        }
        if self.head > 0 {
            // Move the (usually short) partial tail to the front; amortised over the messages
            // handed out since the last compaction.
            self.buf.drain(..self.head);
            self.head = 0;
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The next complete message's bytes (header included), or `None` until more input
    /// arrives.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        match self.advance()? {
            Some((start, end)) => Ok(self.buf.get(start..end)),
            None => Ok(None),
        }
    }

    /// The next complete message, decoded. A message that does not decode is consumed and
    /// reported as [`FrameError::Decode`] (not fatal: the next call continues after it).
    pub fn next_message(&mut self) -> Result<Option<OfMessage>, FrameError> {
        let offset = self.offset;
        let Some((start, end)) = self.advance()? else {
            return Ok(None);
        };
        let bytes = self.buf.get(start..end).unwrap_or_default();
        OfMessage::decode(bytes)
            .map(Some)
            .map_err(|source| FrameError::Decode { offset, source })
    }

    /// Declares the end of the stream: an error if a partial message is left over.
    pub fn finish(&self) -> Result<(), FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = self.buf.get(self.head..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(());
        }
        let needed = message_len(rest, self.offset, self.max_message_len)?;
        Err(FrameError::Incomplete {
            offset: self.offset,
            needed: needed.unwrap_or(OFP_HEADER_LEN),
            available: rest.len(),
        })
    }

    /// Consumes the next complete message, returning its range in `buf`.
    fn advance(&mut self) -> Result<Option<(usize, usize)>, FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let rest = self.buf.get(self.head..).unwrap_or_default();
        let len = match message_len(rest, self.offset, self.max_message_len) {
            Ok(Some(len)) if len <= rest.len() => len,
            Ok(_) => return Ok(None),
            Err(e) => {
                self.failed = Some(e.clone());
                return Err(e);
            }
        };
        let start = self.head;
        self.head += len;
        self.offset += len as u64;
        Ok(Some((start, start + len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A message of `len` bytes (8..=65535) with type `ty` and xid `xid`.
    fn msg(ty: u8, len: u16, xid: u32) -> Vec<u8> {
        let mut m = vec![4, ty];
        m.extend_from_slice(&len.to_be_bytes());
        m.extend_from_slice(&xid.to_be_bytes());
        m.resize(usize::from(len), 0xab);
        m
    }

    fn drain(f: &mut Framer) -> Result<Vec<Vec<u8>>, FrameError> {
        let mut out = Vec::new();
        while let Some(m) = f.next_frame()? {
            out.push(m.to_vec());
        }
        Ok(out)
    }

    #[test]
    fn partial_reads_byte_by_byte() {
        let a = msg(2, 12, 7);
        let b = msg(20, 8, 8);
        let stream = [a.clone(), b.clone()].concat();
        let mut f = Framer::new();
        let mut got = Vec::new();
        for (i, byte) in stream.iter().enumerate() {
            f.push(std::slice::from_ref(byte)).unwrap();
            let out = drain(&mut f).unwrap();
            if i + 1 == a.len() {
                assert_eq!(out, vec![a.clone()], "complete after byte {i}");
            } else if i + 1 == stream.len() {
                assert_eq!(out, vec![b.clone()]);
            } else {
                assert!(out.is_empty(), "nothing complete after byte {i}");
            }
            got.extend(out);
        }
        assert_eq!(got, vec![a, b]);
        assert_eq!(f.stream_offset(), 20);
        assert_eq!(f.buffered(), 0);
        f.finish().unwrap();
    }

    #[test]
    fn many_messages_in_one_read() {
        let msgs: Vec<Vec<u8>> = (0..100u16).map(|i| msg(2, 8 + i, u32::from(i))).collect();
        let mut stream = msgs.concat();
        let tail = msg(3, 40, 99);
        stream.extend_from_slice(&tail[..10]);
        let mut f = Framer::new();
        f.push(&stream).unwrap();
        assert_eq!(drain(&mut f).unwrap(), msgs);
        assert_eq!(f.buffered(), 10);
        assert_eq!(
            f.finish(),
            Err(FrameError::Incomplete {
                offset: stream.len() as u64 - 10,
                needed: 40,
                available: 10
            })
        );
        f.push(&tail[10..]).unwrap();
        assert_eq!(drain(&mut f).unwrap(), vec![tail]);
        f.finish().unwrap();
    }

    #[test]
    fn length_below_header_is_fatal_with_stream_offset() {
        let good = msg(2, 16, 1);
        for bad_len in 0..8u16 {
            let mut bad = vec![4, 0];
            bad.extend_from_slice(&bad_len.to_be_bytes());
            bad.extend_from_slice(&[0; 4]);
            let stream = [good.clone(), bad, good.clone()].concat();
            let mut f = Framer::new();
            f.push(&stream).unwrap();
            assert_eq!(f.next_frame().unwrap(), Some(&good[..]));
            let want = FrameError::LengthTooSmall {
                offset: 16,
                length: bad_len,
            };
            assert_eq!(f.next_frame(), Err(want.clone()));
            assert!(want.is_fatal());
            // Stays failed: no resynchronisation on guessed boundaries.
            assert_eq!(f.next_frame(), Err(want.clone()));
            assert_eq!(f.push(&good), Err(want.clone()));
            assert_eq!(f.finish(), Err(want.clone()));
            assert_eq!(f.failure(), Some(&want));
            // Whole-buffer framing reports the same error.
            let all: Vec<_> = frames(&stream).collect();
            assert_eq!(all, vec![Ok(&good[..]), Err(want)]);
        }
    }

    #[test]
    fn too_long_for_configured_limit() {
        let mut f = Framer::with_limits(64, 64).unwrap();
        f.push(&msg(2, 64, 1)).unwrap();
        assert!(f.next_frame().unwrap().is_some());
        f.push(&msg(2, 65, 2)[..8]).unwrap();
        assert_eq!(
            f.next_frame(),
            Err(FrameError::TooLong {
                offset: 64,
                length: 65,
                max: 64
            })
        );
    }

    #[test]
    fn limits_are_validated() {
        assert_eq!(
            Framer::with_limits(7, 100).unwrap_err(),
            LimitsError::MaxMessageLenTooSmall(7)
        );
        assert_eq!(
            Framer::with_limits(65_536, 1 << 20).unwrap_err(),
            LimitsError::MaxMessageLenTooLarge(65_536)
        );
        assert_eq!(
            Framer::with_limits(100, 99).unwrap_err(),
            LimitsError::CapacityBelowMessageLen {
                capacity: 99,
                max_message_len: 100
            }
        );
        let f = Framer::with_limits(MAX_MESSAGE_LEN, MAX_MESSAGE_LEN).unwrap();
        assert_eq!(f.max_message_len(), 65_535);
        assert_eq!(f.buffer_capacity(), 65_535);
    }

    #[test]
    fn buffer_is_bounded_and_recoverable() {
        let mut f = Framer::with_limits(16, 20).unwrap();
        let m = msg(2, 16, 1);
        f.push(&m).unwrap();
        assert_eq!(
            f.push(&m),
            Err(FrameError::BufferFull {
                buffered: 16,
                incoming: 16,
                capacity: 20
            })
        );
        assert_eq!(f.buffered(), 16, "nothing copied on BufferFull");
        assert!(f.failure().is_none());
        assert_eq!(drain(&mut f).unwrap(), vec![m.clone()]);
        f.push(&m).unwrap();
        assert_eq!(drain(&mut f).unwrap(), vec![m]);
    }

    #[test]
    fn decode_errors_are_not_fatal() {
        // An ECHO_REQUEST with version 0x01 does not decode as OpenFlow 1.3, a BARRIER does.
        let mut stream = vec![1, 2, 0, 8, 0, 0, 0, 1];
        stream.extend_from_slice(&[4, 20, 0, 8, 0, 0, 0, 2]);
        let mut f = Framer::new();
        f.push(&stream).unwrap();
        let err = f.next_message().unwrap_err();
        assert!(matches!(err, FrameError::Decode { offset: 0, .. }), "{err}");
        assert!(!err.is_fatal());
        assert_eq!(err.stream_offset(), Some(0));
        let barrier = f.next_message().unwrap().unwrap();
        assert_eq!(barrier.xid, 2);
        assert_eq!(f.next_message().unwrap(), None);
    }

    #[test]
    fn error_messages_name_offset_and_values() {
        let e = FrameError::LengthTooSmall {
            offset: 4096,
            length: 3,
        };
        assert_eq!(
            e.to_string(),
            "bad length in ofp_header at stream offset 4096: expected >= 8, found 3"
        );
        assert_eq!(e.byte_offset(), Some(4096));
    }

    #[test]
    fn frames_reports_trailing_partial_header() {
        let m = msg(2, 8, 1);
        let stream = [m.clone(), vec![4, 0, 0]].concat();
        let all: Vec<_> = frames(&stream).collect();
        assert_eq!(
            all,
            vec![
                Ok(&m[..]),
                Err(FrameError::Incomplete {
                    offset: 8,
                    needed: 8,
                    available: 3
                })
            ]
        );
    }

    /// A stream of messages with arbitrary lengths, optionally followed by garbage.
    fn stream_strategy() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::collection::vec((any::<u8>(), 8u16..300, any::<u32>()), 0..20),
            prop::collection::vec(any::<u8>(), 0..20),
        )
            .prop_map(|(ms, junk)| {
                let mut s: Vec<u8> = ms.iter().flat_map(|&(t, l, x)| msg(t, l, x)).collect();
                s.extend_from_slice(&junk);
                s
            })
    }

    /// Feeds `stream` to a framer in chunks of the given sizes, collecting messages until an
    /// error, then calls `finish`.
    fn chunked(stream: &[u8], sizes: &[usize]) -> (Vec<Vec<u8>>, Option<FrameError>) {
        let mut f = Framer::new();
        let mut out = Vec::new();
        let mut rest = stream;
        let mut sizes = sizes.iter().cycle();
        while !rest.is_empty() {
            let n = sizes.next().copied().unwrap_or(1).clamp(1, rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            f.push(chunk).unwrap();
            match drain(&mut f) {
                Ok(ms) => out.extend(ms),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, f.finish().err())
    }

    proptest! {
        #[test]
        fn chunking_equals_whole_buffer_framing(
            stream in stream_strategy(),
            sizes in prop::collection::vec(1usize..64, 1..16),
        ) {
            let mut whole = Vec::new();
            let mut whole_err = None;
            for r in frames(&stream) {
                match r {
                    Ok(m) => whole.push(m.to_vec()),
                    Err(e) => whole_err = Some(e),
                }
            }
            let (got, err) = chunked(&stream, &sizes);
            prop_assert_eq!(got, whole);
            prop_assert_eq!(err, whole_err);
        }

        #[test]
        fn arbitrary_bytes_never_panic(stream in prop::collection::vec(any::<u8>(), 0..512),
                                       sizes in prop::collection::vec(1usize..32, 1..8)) {
            let (ms, _) = chunked(&stream, &sizes);
            let total: usize = ms.iter().map(Vec::len).sum();
            prop_assert!(total <= stream.len());
        }
    }
}
