//! Test support: the Ryu OpenFlow 1.3 wire vectors (`ryu/tests/packet_data/of13/*.packet`),
//! and Ryu's expected decodings (`json/`), read at test time from `$FLOWFALL_RYU_VECTORS`,
//! else from `shared/testdata/ryu-of13` beside the repository (the same look-up as
//! `tests/ryu_vectors.rs`). When the folder is absent the tests that use them print a note
//! and skip that check; `tests/ryu_vectors.rs` fails instead when `CI=true`.

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, Writer};
use std::path::PathBuf;

/// The folder holding `packet/` and `json/`.
pub(crate) fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FLOWFALL_RYU_VECTORS") {
        return PathBuf::from(d);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        manifest.join("../../../shared/testdata/ryu-of13"),
        manifest.join("../../shared/testdata/ryu-of13"),
    ]
    .into_iter()
    .find(|d| d.is_dir())
    .unwrap_or_else(|| manifest.join("../../../shared/testdata/ryu-of13"))
}

/// The bytes of `packet/<name>`, or `None` (with a note on stderr) when absent.
pub(crate) fn load(name: &str) -> Option<Vec<u8>> {
    read(&dir().join("packet").join(name))
}

/// Every vector whose header names message type `msg_type`, as `(file name, bytes)` in
/// name order; empty (with a note) when the folder is absent.
pub(crate) fn all_of_type(msg_type: u8) -> Vec<(String, Vec<u8>)> {
    let packets = dir().join("packet");
    let Ok(entries) = std::fs::read_dir(&packets) else {
        eprintln!(
            "note: skipping Ryu vectors in {} (absent); set FLOWFALL_RYU_VECTORS",
            packets.display()
        );
        return Vec::new();
    };
    let mut found: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            if !name.ends_with(".packet") {
                return None;
            }
            let bytes = std::fs::read(&path).ok()?;
            (bytes.get(1) == Some(&msg_type)).then_some((name, bytes))
        })
        .collect();
    found.sort();
    found
}

/// Ryu's expected decoding `json/<name>.json` of `packet/<name>`, or `None` (with a
/// note) when absent.
pub(crate) fn load_json(name: &str) -> Option<serde_json::Value> {
    let bytes = read(&dir().join("json").join(format!("{name}.json")))?;
    Some(serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}.json: {e}")))
}

fn read(path: &std::path::Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!(
                "note: skipping Ryu vector {} ({e}); set FLOWFALL_RYU_VECTORS",
                path.display()
            );
            None
        }
    }
}

/// Decode the body of vector `name` (after its 8-byte header, whose type must be
/// `msg_type`), check that re-encoding gives the same bytes, and return the value.
pub(crate) fn body_round_trip<T>(
    name: &str,
    msg_type: u8,
    decode: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
    encode: impl Fn(&T, &mut Writer<'_>) -> Result<(), EncodeError>,
) -> Option<T> {
    let msg = load(name)?;
    assert!(msg.len() >= 8, "{name}: shorter than a header");
    assert_eq!(msg[0], 4, "{name}: version");
    assert_eq!(msg[1], msg_type, "{name}: message type");
    assert_eq!(
        usize::from(u16::from_be_bytes([msg[2], msg[3]])),
        msg.len(),
        "{name}: header length"
    );
    let body = &msg[8..];
    let mut r = Reader::with_base(body, 8);
    let v = decode(&mut r).unwrap_or_else(|e| panic!("{name}: decode failed: {e}"));
    assert!(r.is_empty(), "{name}: body not fully consumed");
    let mut out = Vec::new();
    encode(&v, &mut Writer::new(&mut out)).unwrap_or_else(|e| panic!("{name}: encode: {e}"));
    assert_eq!(out, body, "{name}: re-encoding differs");
    Some(v)
}

/// Decode `bytes` (a body at message offset 8) with `decode`, expecting all bytes used.
pub(crate) fn decode_at8<T>(
    bytes: &[u8],
    decode: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut r = Reader::with_base(bytes, 8);
    let v = decode(&mut r)?;
    if r.is_empty() {
        Ok(v)
    } else {
        Err(DecodeError::BadLength {
            what: "test body",
            offset: r.offset(),
            expected: "no trailing bytes".into(),
            found: r.remaining(),
        })
    }
}

/// Encode with `encode` into a fresh buffer.
pub(crate) fn encode_vec<T>(
    v: &T,
    encode: impl Fn(&T, &mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode(v, &mut Writer::new(&mut out))?;
    Ok(out)
}

/// Decode every strict prefix of `bytes` (a body at message offset 8). Failures must
/// point inside the prefix; returns the prefix lengths that decoded successfully (for a
/// list body, the item boundaries; for a fixed body, none).
pub(crate) fn decodable_prefixes<T>(
    bytes: &[u8],
    decode: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Vec<usize> {
    let mut ok = Vec::new();
    for cut in 0..bytes.len() {
        match decode_at8(&bytes[..cut], &decode) {
            Ok(_) => ok.push(cut),
            Err(e) => assert!(
                e.offset() >= 8 && e.offset() <= 8 + cut,
                "prefix {cut}: offset {} out of range: {e}",
                e.offset()
            ),
        }
    }
    ok
}
