//! Print OpenFlow 1.3 messages as JSON and as one `ovs-ofctl`-like line, or encode JSON back
//! to hex.
//!
//! ```text
//! cargo run --example ofp-print -- 040e0050...          # hex; several messages may be concatenated
//! cargo run --example ofp-print -- "04 02 00 08:00 00 00 01"   # whitespace and ':' are ignored
//! cargo run --example ofp-print < capture.bin          # a binary stream on stdin
//! cargo run --example ofp-print -- --encode '{"xid":1,"msg":"barrier_request"}'
//! cargo run --example ofp-print -- --encode < messages.jsonl   # one JSON message per line
//! ```
//!
//! Malformed input stops with a one-line error giving the byte offset, and exit status 1.

use clap::{Parser, ValueEnum};
use flowfall::ofp::OfMessage;
use flowfall::ofp::framer::{FrameError, Framer, frames};
use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "Decode OpenFlow 1.3 messages to JSON and text, or encode JSON to hex")]
struct Args {
    /// Encode: read JSON messages (one per argument, or one per line on stdin) and print hex.
    #[arg(long)]
    encode: bool,
    /// What to print for each decoded message.
    #[arg(long, value_enum, default_value_t = Format::Both)]
    format: Format,
    /// Hex messages (decode) or JSON messages (--encode); none: read stdin.
    inputs: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The one-line summary, then the JSON.
    Both,
    /// The one-line summary only.
    Text,
    /// The JSON only (one object per line, accepted back by --encode).
    Json,
}

/// Bytes read from stdin per call.
const READ_SIZE: usize = 64 * 1024;

/// Parses hex, ignoring ASCII whitespace and ':' separators.
fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut high: Option<u8> = None;
    for (i, c) in s.char_indices() {
        if c.is_ascii_whitespace() || c == ':' {
            continue;
        }
        let v = c
            .to_digit(16)
            .ok_or_else(|| format!("invalid hex digit {c:?} at character {i}"))?;
        let v = v as u8; // a hex digit is < 16
        match high.take() {
            None => high = Some(v),
            Some(h) => out.push(h << 4 | v),
        }
    }
    if high.is_some() {
        return Err(format!("odd number of hex digits ({})", out.len() * 2 + 1));
    }
    Ok(out)
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn print_message(out: &mut impl Write, msg: &OfMessage, format: Format) -> Result<(), String> {
    let io_err = |e: io::Error| format!("writing output: {e}");
    if format != Format::Json {
        writeln!(out, "{msg}").map_err(io_err)?;
    }
    if format != Format::Text {
        let json = serde_json::to_string(msg).map_err(|e| format!("JSON output: {e}"))?;
        writeln!(out, "{json}").map_err(io_err)?;
    }
    Ok(())
}

/// The error line for a framing or decoding failure; `byte_offset` points at the byte.
fn frame_error(source: &str, e: &FrameError) -> String {
    match e.byte_offset() {
        Some(at) => format!("{source}, byte offset {at}: {e}"),
        None => format!("{source}: {e}"),
    }
}

fn decode_args(inputs: &[String], format: Format, out: &mut impl Write) -> Result<(), String> {
    for (n, input) in inputs.iter().enumerate() {
        let source = format!("argument {}", n + 1);
        let bytes = parse_hex(input).map_err(|e| format!("{source}: {e}"))?;
        if bytes.is_empty() {
            return Err(format!("{source}: no hex digits"));
        }
        let mut offset = 0u64;
        for frame in frames(&bytes) {
            let frame = frame.map_err(|e| frame_error(&source, &e))?;
            let msg = OfMessage::decode(frame).map_err(|source_err| {
                frame_error(
                    &source,
                    &FrameError::Decode {
                        offset,
                        source: source_err,
                    },
                )
            })?;
            offset += frame.len() as u64;
            print_message(out, &msg, format)?;
        }
    }
    Ok(())
}

fn decode_stdin(format: Format, out: &mut impl Write) -> Result<(), String> {
    let mut stdin = io::stdin().lock();
    let mut framer = Framer::new();
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading stdin: {e}")),
        };
        let piece = buf.get(..n).unwrap_or_default();
        framer.push(piece).map_err(|e| frame_error("stdin", &e))?;
        while let Some(msg) = framer
            .next_message()
            .map_err(|e| frame_error("stdin", &e))?
        {
            print_message(out, &msg, format)?;
        }
    }
    framer.finish().map_err(|e| frame_error("stdin", &e))
}

fn encode_one(source: &str, json: &str, out: &mut impl Write) -> Result<(), String> {
    let msg: OfMessage =
        serde_json::from_str(json).map_err(|e| format!("{source}: invalid JSON message: {e}"))?;
    let bytes = msg
        .to_vec()
        .map_err(|e| format!("{source}: cannot encode: {e}"))?;
    writeln!(out, "{}", to_hex(&bytes)).map_err(|e| format!("writing output: {e}"))
}

fn encode(inputs: &[String], out: &mut impl Write) -> Result<(), String> {
    if !inputs.is_empty() {
        for (n, json) in inputs.iter().enumerate() {
            encode_one(&format!("argument {}", n + 1), json, out)?;
        }
        return Ok(());
    }
    for (n, line) in io::stdin().lock().lines().enumerate() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if !line.trim().is_empty() {
            encode_one(&format!("stdin line {}", n + 1), &line, out)?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = io::stdout().lock();
    let result = if args.encode {
        encode(&args.inputs, &mut out)
    } else if args.inputs.is_empty() {
        decode_stdin(args.format, &mut out)
    } else {
        decode_args(&args.inputs, args.format, &mut out)
    };
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ofp-print: error: {e}");
            ExitCode::FAILURE
        }
    }
}
