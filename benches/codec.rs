//! Criterion benchmarks of the flowfall-ofp codec (`cargo bench --bench codec`).
//!
//! * `flow_mod`: encode/decode of a FLOW_MOD shaped like Ryu's `4-2-ofp_flow_mod.packet`
//!   (280 bytes: one masked-free match field, write-actions with 18 actions of every
//!   OpenFlow 1.3 kind, apply-actions with two set-fields), built in code.
//! * `flow_mod_ref`: the same FLOW_MOD as a borrowed [`FlowModRef`]: `decode` (checks the
//!   whole message, allocates nothing) and `decode+walk` (decode, then iterate every OXM,
//!   instruction and action, so the view's laziness is not what is measured).
//! * `packet_in_64` / `packet_in_1500`: PACKET_IN carrying a 64- and a 1500-byte frame.
//! * `flow_stats_reply_1000`: a 1000-entry FLOW_STATS reply, split into `OFPMPF_REPLY_MORE`
//!   parts (it exceeds 64 KiB), encoded; and decoded + reassembled.
//! * `framing_10k`: a 10,000-message mixed stream read in 16 KiB pieces, framed only, and
//!   framed + decoded.
//!
//! Throughput is in bytes (criterion `Throughput::Bytes`). Before the timings, the bench
//! prints allocations per message for each case, counted by the global allocator below.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use flowfall::ofp::action::ActionRef;
use flowfall::ofp::action::OFPCML_NO_BUFFER;
use flowfall::ofp::flow_mod::{FlowModRef, OFPG_ANY, OFPP_ANY};
use flowfall::ofp::framer::Framer;
use flowfall::ofp::instruction::InstructionRef;
use flowfall::ofp::message::Message;
use flowfall::ofp::multipart::{
    FlowStats, MultipartReply, MultipartReplyBody, Reassembler, ReassemblyLimits, split_reply,
};
use flowfall::ofp::packet_in::{PacketIn, PacketInReason};
use flowfall::ofp::{
    Action, FlowMod, FlowModCommand, Instruction, MacAddr, Match, OfMessage, Oxm, RawOxm,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting allocations (reallocations included).
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract is `System`'s; the counter is a relaxed atomic with no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` `iters` times and prints the allocations per message (`msgs_per_iter`
/// messages per call).
fn report_allocs(name: &str, iters: u64, msgs_per_iter: u64, mut f: impl FnMut()) {
    f(); // warm-up: reusable buffers reach their size
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..iters {
        f();
    }
    let n = ALLOCS.load(Ordering::Relaxed) - before;
    println!(
        "allocs/msg {name}: {:.2} ({n} allocations for {} messages)",
        n as f64 / (iters * msgs_per_iter) as f64,
        iters * msgs_per_iter
    );
}

fn mac(s: &str) -> MacAddr {
    s.parse().expect("valid MAC literal")
}

/// A FLOW_MOD with the content of Ryu's `4-2-ofp_flow_mod.packet`.
fn ryu_4_2_flow_mod() -> OfMessage {
    let write = vec![
        Action::SetField(Oxm::VlanVid(258, None)),
        Action::CopyTtlOut,
        Action::CopyTtlIn,
        Action::CopyTtlIn,
        Action::PopPbb,
        Action::PushPbb(0x1234),
        Action::PopMpls(0x9876),
        Action::PushMpls(0x8847),
        Action::PopVlan,
        Action::PushVlan(0x8100),
        Action::DecMplsTtl,
        Action::SetMplsTtl(10),
        Action::DecNwTtl,
        Action::SetNwTtl(10),
        Action::Experimenter {
            experimenter: 101,
            data: vec![0, 1, 2, 3, 4, 5, 6, 7],
        },
        Action::SetQueue(3),
        Action::Group(99),
        Action::Output {
            port: 6,
            max_len: OFPCML_NO_BUFFER,
        },
    ];
    let apply = vec![
        Action::SetField(Oxm::EthSrc(mac("01:02:03:04:05:06"), None)),
        // ONF EXT-256 pbb_uca = 1: experimenter OXM, kept raw.
        Action::SetField(Oxm::Raw(RawOxm {
            class: 0xffff,
            field: 0,
            has_mask: false,
            payload: vec![0x4f, 0x4e, 0x46, 0x00, 0x0a, 0x00, 0x01],
        })),
    ];
    let fm = FlowMod {
        cookie: 0,
        cookie_mask: 0,
        table_id: 1,
        command: FlowModCommand::Add,
        idle_timeout: 0,
        hard_timeout: 0,
        priority: 123,
        buffer_id: 0xffff,
        out_port: OFPP_ANY,
        out_group: OFPG_ANY,
        flags: 0,
        match_: Match::new().with(Oxm::EthDst(mac("f2:0b:a4:7d:f8:ea"), None)),
        instructions: vec![
            Instruction::WriteActions(write),
            Instruction::ApplyActions(apply),
        ],
    };
    OfMessage::new(0, Message::FlowMod(fm))
}

/// A PACKET_IN (table miss, unbuffered) carrying a `frame_len`-byte frame.
fn packet_in(frame_len: usize) -> OfMessage {
    let frame: Vec<u8> = (0..frame_len).map(|i| i as u8).collect();
    OfMessage::new(
        7,
        Message::PacketIn(PacketIn {
            buffer_id: 0xffff_ffff,
            total_len: u16::try_from(frame_len).expect("frame fits a u16"),
            reason: PacketInReason::NoMatch,
            table_id: 0,
            cookie: 0,
            match_: Match::new().with(Oxm::InPort(3)),
            data: frame,
        }),
    )
}

/// One flow-stats entry like the rules FlowFall installs (match in_port + eth_dst + ToS,
/// apply set_field + output).
fn flow_stats_entry(i: u32) -> FlowStats {
    let octets = i.to_be_bytes();
    FlowStats {
        table_id: (i % 4) as u8,
        duration_sec: i,
        duration_nsec: 500,
        priority: 100,
        idle_timeout: 0,
        hard_timeout: 0,
        flags: 0,
        cookie: u64::from(i),
        packet_count: u64::from(i) * 10,
        byte_count: u64::from(i) * 1500,
        match_: Match::new()
            .with(Oxm::InPort(i % 48 + 1))
            .with(Oxm::EthType(0x0800))
            .with(Oxm::EthDst(
                MacAddr([2, 0, octets[0], octets[1], octets[2], octets[3]]),
                None,
            ))
            .with(Oxm::IpDscp((i % 64) as u8)),
        instructions: vec![Instruction::ApplyActions(vec![
            Action::SetField(Oxm::IpDscp(5)),
            Action::output(i % 48 + 1),
        ])],
    }
}

fn encode_all(msgs: &[OfMessage], out: &mut Vec<u8>) {
    out.clear();
    for m in msgs {
        m.encode(out).expect("benchmark messages encode");
    }
}

fn single_message_benches(c: &mut Criterion) {
    let cases = [
        ("flow_mod", ryu_4_2_flow_mod()),
        ("packet_in_64", packet_in(64)),
        ("packet_in_1500", packet_in(1500)),
    ];
    let flow_mod_len = cases[0].1.to_vec().expect("encodes").len();
    assert_eq!(flow_mod_len, 280, "same size as Ryu's 4-2 vector");
    for (name, msg) in cases {
        let bytes = msg.to_vec().expect("benchmark message encodes");
        assert_eq!(OfMessage::decode(&bytes).as_ref(), Ok(&msg));
        let mut out = Vec::with_capacity(bytes.len());
        report_allocs(&format!("{name} encode"), 1000, 1, || {
            out.clear();
            msg.encode(&mut out).expect("encodes");
        });
        report_allocs(&format!("{name} decode"), 1000, 1, || {
            black_box(OfMessage::decode(black_box(&bytes)).is_ok());
        });

        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("encode", |b| {
            b.iter(|| {
                out.clear();
                black_box(&msg).encode(&mut out).expect("encodes");
                black_box(out.len())
            })
        });
        g.bench_function("decode", |b| {
            b.iter(|| OfMessage::decode(black_box(&bytes)).expect("decodes"))
        });
        g.finish();
    }
}

/// Decodes `bytes` (one FLOW_MOD) as a view and visits every OXM, instruction and action;
/// returns how many items it visited plus a checksum of what it read, so nothing is
/// skipped.
fn walk_flow_mod(bytes: &[u8]) -> (usize, u64) {
    let (_, view) = FlowModRef::decode_message(bytes).expect("decodes");
    let (mut items, mut sum) = (0, u64::from(view.priority));
    for oxm in view.match_ {
        items += 1;
        sum += oxm.encoded_len() as u64;
    }
    for ins in view.instructions {
        items += 1;
        sum += u64::from(ins.instruction_type());
        if let InstructionRef::WriteActions(actions) | InstructionRef::ApplyActions(actions) = ins {
            for action in actions {
                items += 1;
                sum += u64::from(action.action_type());
                match action {
                    ActionRef::Plain(Action::Output { port, .. }) => sum += u64::from(port),
                    ActionRef::SetField(oxm) => sum += oxm.encoded_len() as u64,
                    ActionRef::Experimenter { data, .. } => sum += data.len() as u64,
                    _ => {}
                }
            }
        }
    }
    (items, sum)
}

fn flow_mod_ref_benches(c: &mut Criterion) {
    let msg = ryu_4_2_flow_mod();
    let bytes = msg.to_vec().expect("encodes");
    let (_, view) = FlowModRef::decode_message(&bytes).expect("decodes");
    let Message::FlowMod(fm) = &msg.msg else {
        unreachable!("ryu_4_2_flow_mod is a FLOW_MOD")
    };
    assert_eq!(&view.into_owned(), fm);
    // 1 OXM, 2 instructions, 18 + 2 actions.
    assert_eq!(walk_flow_mod(&bytes).0, 23);
    report_allocs("flow_mod_ref decode", 1000, 1, || {
        black_box(FlowModRef::decode_message(black_box(&bytes)).is_ok());
    });
    report_allocs("flow_mod_ref decode+walk", 1000, 1, || {
        black_box(walk_flow_mod(black_box(&bytes)));
    });

    let mut g = c.benchmark_group("flow_mod_ref");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("decode", |b| {
        b.iter(|| FlowModRef::decode_message(black_box(&bytes)).expect("decodes"))
    });
    g.bench_function("decode+walk", |b| {
        b.iter(|| walk_flow_mod(black_box(&bytes)))
    });
    g.finish();
}

fn flow_stats_benches(c: &mut Criterion) {
    let reply = MultipartReply {
        flags: 0,
        body: MultipartReplyBody::Flow((0..1000).map(flow_stats_entry).collect()),
    };
    let parts = split_reply(9, reply.clone()).expect("splits");
    let mut wire = Vec::new();
    encode_all(&parts, &mut wire);
    println!(
        "flow_stats_reply_1000: {} entries in {} messages, {} bytes",
        1000,
        parts.len(),
        wire.len()
    );
    let decode_and_reassemble = |wire: &[u8]| {
        let mut r = Reassembler::new(ReassemblyLimits::default());
        let mut done = None;
        for frame in flowfall::ofp::framer::frames(wire) {
            let msg = OfMessage::decode(frame.expect("frames")).expect("decodes");
            done = r.push(msg).expect("reassembles");
        }
        done.expect("complete")
    };
    assert_eq!(
        decode_and_reassemble(&wire).msg,
        Message::MultipartReply(reply.clone())
    );
    let mut out = Vec::with_capacity(wire.len());
    report_allocs("flow_stats_reply_1000 encode (per entry)", 20, 1000, || {
        encode_all(&parts, &mut out)
    });
    report_allocs(
        "flow_stats_reply_1000 decode+reassemble (per entry)",
        20,
        1000,
        || {
            black_box(decode_and_reassemble(&wire));
        },
    );

    let mut g = c.benchmark_group("flow_stats_reply_1000");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("split+encode", |b| {
        b.iter_batched(
            || reply.clone(),
            |reply| {
                let parts = split_reply(9, reply).expect("splits");
                encode_all(&parts, &mut out);
                out.len()
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("encode", |b| {
        b.iter(|| {
            encode_all(black_box(&parts), &mut out);
            out.len()
        })
    });
    g.bench_function("decode+reassemble", |b| {
        b.iter(|| decode_and_reassemble(black_box(&wire)))
    });
    g.finish();
}

/// 10,000 messages: 40% PACKET_IN 64 B, 10% PACKET_IN 1500 B, 30% FLOW_MOD (4-2 shape),
/// 10% ECHO_REQUEST, 10% BARRIER_REPLY.
fn mixed_stream() -> Vec<u8> {
    let kinds = [
        packet_in(64),
        packet_in(1500),
        ryu_4_2_flow_mod(),
        OfMessage::new(1, Message::EchoRequest(b"flowfall".to_vec())),
        OfMessage::new(2, Message::BarrierReply),
    ];
    let pattern = [0, 2, 0, 3, 2, 0, 1, 2, 0, 4];
    let msgs: Vec<OfMessage> = (0..10_000)
        .map(|i| kinds[pattern[i % pattern.len()]].clone())
        .collect();
    let mut wire = Vec::new();
    encode_all(&msgs, &mut wire);
    wire
}

const READ_SIZE: usize = 16 * 1024;

/// Feeds `wire` to a framer in `READ_SIZE` pieces, calling `drain` after each; sums what
/// `drain` returns.
fn read_stream(wire: &[u8], mut drain: impl FnMut(&mut Framer) -> usize) -> usize {
    let mut f = Framer::new();
    let mut n = 0;
    for piece in wire.chunks(READ_SIZE) {
        f.push(piece).expect("bounded reads fit");
        n += drain(&mut f);
    }
    f.finish().expect("whole messages only");
    n
}

fn framing_benches(c: &mut Criterion) {
    let wire = mixed_stream();
    println!(
        "framing_10k: 10000 messages, {} bytes, read in {READ_SIZE}-byte pieces",
        wire.len()
    );
    let frame_only = |wire: &[u8]| {
        read_stream(wire, |f| {
            let mut n = 0;
            while let Some(m) = f.next_frame().expect("frames") {
                n += m.len();
            }
            n
        })
    };
    let frame_decode = |wire: &[u8]| {
        read_stream(wire, |f| {
            let mut n = 0;
            while let Some(m) = f.next_message().expect("decodes") {
                n += usize::from(matches!(m.msg, Message::FlowMod(_)));
            }
            n
        })
    };
    assert_eq!(frame_only(&wire), wire.len());
    assert_eq!(frame_decode(&wire), 3000);
    report_allocs("framing_10k frame only", 5, 10_000, || {
        black_box(frame_only(&wire));
    });
    report_allocs("framing_10k frame+decode", 5, 10_000, || {
        black_box(frame_decode(&wire));
    });

    let mut g = c.benchmark_group("framing_10k");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.sample_size(30);
    g.bench_function("frame", |b| b.iter(|| frame_only(black_box(&wire))));
    g.bench_function("frame+decode", |b| {
        b.iter(|| frame_decode(black_box(&wire)))
    });
    g.finish();
}

criterion_group!(
    benches,
    single_message_benches,
    flow_mod_ref_benches,
    flow_stats_benches,
    framing_benches
);
criterion_main!(benches);
