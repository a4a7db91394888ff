//! Decode throughput of flowfall-ofp over a corpus of message files (one message per file),
//! for `scripts/codec-compare.sh` (which times os-ken on the same files).
//!
//! ```text
//! cargo run --release --example codec-corpus-bench -- --seconds 3 --files LIST
//! cargo run --release --example codec-corpus-bench -- --seconds 3 DIR_OR_FILE...
//! cargo run --release --example codec-corpus-bench -- --mode encode DIR_OR_FILE...
//! ```
//! `LIST` holds one path per line; a directory stands for its `*.packet` files. Prints
//! `messages_per_sec=<float>`, `bytes_per_sec=<float>` and `ns_per_message=<float>` lines,
//! plus `#` comment lines. `--mode encode` times encoding the decoded corpus instead (into a
//! reused buffer).

use clap::{Parser, ValueEnum};
use flowfall::ofp::OfMessage;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Decode a corpus of OpenFlow messages in a loop and print messages/s")]
struct Args {
    /// How long to decode, in seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// What to time.
    #[arg(long, value_enum, default_value_t = Mode::Decode)]
    mode: Mode,
    /// A file listing one message file per line.
    #[arg(long)]
    files: Option<PathBuf>,
    /// Message files, or directories of `*.packet` files.
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// `OfMessage::decode` of each file.
    Decode,
    /// `OfMessage::encode` of each decoded file into a reused buffer.
    Encode,
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "packet"))
            .collect();
        found.sort();
        out.extend(found);
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn run(args: Args) -> Result<(), String> {
    let mut paths = Vec::new();
    if let Some(list) = &args.files {
        let text = std::fs::read_to_string(list).map_err(|e| format!("{}: {e}", list.display()))?;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            collect(Path::new(line), &mut paths)?;
        }
    }
    for p in &args.paths {
        collect(p, &mut paths)?;
    }
    if paths.is_empty() {
        return Err("no message files given (use --files LIST or paths)".into());
    }
    let mut corpus = Vec::with_capacity(paths.len());
    let mut decoded = Vec::with_capacity(paths.len());
    for p in &paths {
        let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        decoded.push(OfMessage::decode(&bytes).map_err(|e| format!("{}: {e}", p.display()))?);
        corpus.push(bytes);
    }
    let mut out = Vec::with_capacity(usize::from(u16::MAX));
    let total_bytes: usize = corpus.iter().map(Vec::len).sum();
    let budget = Duration::from_secs_f64(args.seconds.max(0.01));
    let start = Instant::now();
    let mut rounds = 0u64;
    while start.elapsed() < budget {
        for _ in 0..16 {
            match args.mode {
                Mode::Decode => {
                    for m in &corpus {
                        let decoded = OfMessage::decode(black_box(m));
                        black_box(&decoded);
                    }
                }
                Mode::Encode => {
                    for m in &decoded {
                        out.clear();
                        let r = black_box(m).encode(&mut out);
                        black_box((&r, &out));
                    }
                }
            }
        }
        rounds += 16;
    }
    let secs = start.elapsed().as_secs_f64();
    let msgs = rounds * corpus.len() as u64;
    let mode = match args.mode {
        Mode::Decode => "decode",
        Mode::Encode => "encode",
    };
    println!(
        "# {mode}: {} messages, {total_bytes} bytes, {rounds} rounds in {secs:.3} s",
        corpus.len()
    );
    println!("messages_per_sec={:.1}", msgs as f64 / secs);
    println!(
        "bytes_per_sec={:.1}",
        (rounds as f64 * total_bytes as f64) / secs
    );
    println!("ns_per_message={:.1}", secs * 1e9 / msgs as f64);
    Ok(())
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codec-corpus-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
