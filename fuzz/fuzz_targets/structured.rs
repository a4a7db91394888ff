//! Arbitrary `OfMessage` values: whatever encodes must decode, and the decoded value must
//! encode to the same bytes.
//!
//! `decode(encode(m)) == m` does not hold for every value the types can hold, because some
//! values have no distinct wire form: raw/unknown items whose bytes spell a typed one
//! (`Oxm::Raw` with class 0x8000 and a known field, `Action::Unknown { action_type: 0, .. }`,
//! `FlowModCommand::Unknown(0)`), bits beyond a field's width, padding the encoder normalises.
//! So the property is checked on the wire form: encode(decode(encode(m))) == encode(m), and
//! the decoded value is a fixed point: decode(encode(d)) == d.
#![no_main]

use flowfall_ofp::OfMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|m: OfMessage| {
    // Values too long for a 16-bit length field (or otherwise unencodable) are refused
    // with an EncodeError, which is the documented behaviour.
    let Ok(bytes) = m.to_vec() else {
        return;
    };
    let d = OfMessage::decode(&bytes)
        .unwrap_or_else(|e| panic!("our encoding of {m:?} does not decode: {e}"));
    assert_eq!(d, m, "EXPERIMENT: decode(encode(m)) != m");
    let again = d.to_vec().expect("a decoded message re-encodes");
    assert_eq!(
        again, bytes,
        "encode(decode(encode(m))) != encode(m) for {m:?}"
    );
    let d2 = OfMessage::decode(&again).expect("decodes");
    assert_eq!(d2, d, "decoded value is not a fixed point");
});
