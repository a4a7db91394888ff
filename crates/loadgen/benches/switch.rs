//! Hot paths of the generator: building a PACKET_IN, the emulated switch handling a
//! FLOW_MOD, and matching an answer to its PACKET_IN. The generator must be much faster
//! than the controllers it measures (target: a PACKET_IN built and an answer matched in
//! well under 5 µs, i.e. > 200k answers/s on one core).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use flowfall_loadgen::inflight::{InFlight, Pending};
use flowfall_loadgen::switch::EmulatedSwitch;
use flowfall_loadgen::workload::learning_plan;
use flowfall_ofp::flow_mod::OFP_NO_BUFFER;
use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::{Action, FlowMod, Instruction, Match, Message, OfMessage, Oxm};

fn packet_in_round_trip(c: &mut Criterion) {
    let plan = learning_plan(1, 1, 4, 100).expect("valid plan");
    let workload = plan[0].workload.clone();
    let mut switch = EmulatedSwitch::new(plan[0].spec.clone());
    let mut inflight = InFlight::new();
    let mut out = Vec::with_capacity(1 << 16);
    let mut k = 0u64;
    c.bench_function("packet_in + packet_out answer (by data)", |b| {
        b.iter(|| {
            let probe = workload.probe(k).expect("learning always sends");
            k += 1;
            let id = inflight.next_id();
            let frame = probe.headers.emit(id).expect("valid frame");
            out.clear();
            switch
                .packet_in(OFP_NO_BUFFER, probe.in_port, &frame, &mut out)
                .expect("encodes");
            let now = Instant::now();
            inflight.insert(
                id,
                Pending {
                    sent: now,
                    in_port: probe.in_port,
                    headers: probe.headers,
                    measured: true,
                },
                frame.clone(),
            );
            let po = PacketOut {
                buffer_id: OFP_NO_BUFFER,
                in_port: probe.in_port,
                actions: vec![],
                data: frame,
            };
            black_box(inflight.answer_packet_out(&po))
        })
    });
    let mut switch = EmulatedSwitch::new(plan[0].spec.clone());
    let mut k = 0u32;
    c.bench_function("emulated switch: FLOW_MOD add (decode + table)", |b| {
        b.iter(|| {
            k = k.wrapping_add(1);
            let fm = FlowMod::add(
                0,
                1,
                Match::new().with(Oxm::InPort(1)).with(Oxm::EthSrc(
                    flowfall_ofp::MacAddr([2, 0, 0, 0, (k >> 8) as u8, k as u8]),
                    None,
                )),
                vec![Instruction::ApplyActions(vec![Action::Output {
                    port: 2,
                    max_len: 0,
                }])],
            );
            let bytes = OfMessage {
                xid: k,
                msg: Message::FlowMod(fm),
            }
            .to_vec()
            .expect("encodes");
            out.clear();
            black_box(
                switch
                    .handle(Instant::now(), &bytes, &mut out)
                    .expect("handled"),
            )
        })
    });
}

criterion_group!(benches, packet_in_round_trip);
criterion_main!(benches);
