//! Arbitrary bytes, as one message and as a stream through the framer: decoding must never
//! panic, and whatever decodes must encode again. FLOW_MODs are also decoded as a
//! borrowed `FlowModRef`, which must agree with the owned decoder (value or error).
#![no_main]

use flowfall_ofp::flow_mod::FlowModRef;
use flowfall_ofp::framer::Framer;
use flowfall_ofp::{Message, OfMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The whole input as one message (header length checks included).
    let owned = OfMessage::decode(data);
    if let Ok(m) = &owned {
        m.to_vec().expect("a decoded message re-encodes");
    }
    // As a borrowed FLOW_MOD view: it accepts exactly what decodes as a FLOW_MOD, with
    // the same error otherwise, and walking it gives the owned value.
    if data.get(1) == Some(&14) {
        match (FlowModRef::decode_message(data), &owned) {
            (
                Ok((xid, view)),
                Ok(OfMessage {
                    xid: x,
                    msg: Message::FlowMod(fm),
                }),
            ) => {
                assert_eq!((xid, view.into_owned()), (*x, fm.clone()));
                let mut out = Vec::new();
                view.encode_message(xid, &mut out)
                    .expect("a decoded view re-encodes");
            }
            (Err(e), Err(owned_err)) => assert_eq!(&e, owned_err),
            (view, owned) => panic!("view {view:?} but owned {owned:?}"),
        }
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
