//! Reading a stream in arbitrary pieces yields exactly the messages (and the error) of framing
//! the whole buffer at once.
#![no_main]

use arbitrary::Arbitrary;
use flowfall_ofp::framer::{FrameError, Framer, frames};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    /// Piece sizes, used cyclically (0 counts as 1).
    pieces: Vec<u16>,
    stream: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let mut whole = Vec::new();
    let mut whole_err: Option<FrameError> = None;
    for r in frames(&input.stream) {
        match r {
            Ok(m) => whole.push(m.to_vec()),
            Err(e) => whole_err = Some(e),
        }
    }

    let mut framer = Framer::new();
    let mut got = Vec::new();
    let mut got_err = None;
    let mut sizes = input.pieces.iter().map(|&s| usize::from(s).max(1)).cycle();
    let mut rest = &input.stream[..];
    'feed: while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        framer
            .push(piece)
            .expect("pieces <= 64 KiB and drained: never full");
        loop {
            match framer.next_frame() {
                Ok(Some(m)) => got.push(m.to_vec()),
                Ok(None) => break,
                Err(e) => {
                    got_err = Some(e);
                    break 'feed;
                }
            }
        }
    }
    if got_err.is_none() {
        got_err = framer.finish().err();
    }
    assert_eq!(got, whole);
    assert_eq!(got_err, whole_err);
});
