//! Arbitrary `OfMessage` values: whatever encodes must decode back to the same value, and
//! re-encode to the same bytes.
//!
//! The value comparison holds because every way of building a value canonically is
//! canonical: a code enum's `arbitrary` gives the named variant for a code the
//! specification defines (`ControllerRole::Unknown(0)`, which encodes as and decodes to
//! `ControllerRole::NoChange`, was found by this target when the derive could produce it),
//! and the encoder refuses the raw spellings of typed items (`Oxm::Raw` of a basic field,
//! `Action::Unknown` of a typed action, an unknown message type that is a known one, ...).
//! A FLOW_MOD is also decoded as a borrowed `FlowModRef`, which must agree.
#![no_main]

use flowfall_ofp::flow_mod::FlowModRef;
use flowfall_ofp::{Message, OfMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|m: OfMessage| {
    // Values too long for a 16-bit length field (or otherwise unencodable) are refused
    // with an EncodeError, which is the documented behaviour.
    let Ok(bytes) = m.to_vec() else {
        return;
    };
    let d = OfMessage::decode(&bytes)
        .unwrap_or_else(|e| panic!("our encoding of {m:?} does not decode: {e}"));
    assert_eq!(d, m, "decode(encode(m)) != m");
    let again = d.to_vec().expect("a decoded message re-encodes");
    assert_eq!(
        again, bytes,
        "encode(decode(encode(m))) != encode(m) for {m:?}"
    );
    if let Message::FlowMod(fm) = &m.msg {
        let (xid, view) = FlowModRef::decode_message(&bytes).expect("the view decodes it");
        assert_eq!((xid, view.into_owned()), (m.xid, fm.clone()));
    }
});
