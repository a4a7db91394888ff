//! Arbitrary bytes, as one message and as a stream through the framer: decoding must never
//! panic, and whatever decodes must encode again.
#![no_main]

use flowfall_ofp::OfMessage;
use flowfall_ofp::framer::Framer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The whole input as one message (header length checks included).
    if let Ok(m) = OfMessage::decode(data) {
        m.to_vec().expect("a decoded message re-encodes");
    }
    // The input as a stream, read in 1500-byte pieces.
    let mut framer = Framer::new();
    for chunk in data.chunks(1500) {
        framer
            .push(chunk)
            .expect("drained after every push, so the buffer never fills");
        loop {
            match framer.next_message() {
                Ok(Some(m)) => {
                    m.to_vec().expect("a decoded message re-encodes");
                }
                Ok(None) => break,
                Err(e) if e.is_fatal() => return,
                Err(_) => {} // a framed message that does not decode; the stream goes on
            }
        }
    }
    let _ = framer.finish();
});
