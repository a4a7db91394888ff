//! The generator against a toy controller over loopback TCP: every path of a run (handshake,
//! announcements, measured PACKET_INs, answers by buffer and by data, barriers, scale).

use std::net::SocketAddr;
use std::time::Duration;

use flowfall_loadgen::bench::{BenchOptions, run_bench};
use flowfall_loadgen::scale::{ScaleOptions, run_scale};
use flowfall_loadgen::session::Mode;
use flowfall_loadgen::workload::{learning_plan, silent_plan};
use flowfall_ofp::flow_mod::OFP_NO_BUFFER;
use flowfall_ofp::framer::Framer;
use flowfall_ofp::hello::Hello;
use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::port::port_no;
use flowfall_ofp::{Action, FlowMod, Instruction, Match, Message, OfMessage, Oxm};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the toy controller answers.
#[derive(Clone, Copy)]
enum Style {
    /// PACKET_OUT using the buffer id.
    PacketOutBuffered,
    /// PACKET_OUT returning the frame (no buffer).
    PacketOutData,
    /// A FLOW_MOD matching the packet's source MAC (no buffer), as a learning switch would.
    FlowModByMatch,
    /// After FEATURES: N FLOW_MODs and a BARRIER; PACKET_INs are ignored.
    Program(usize),
}

async fn serve(stream: TcpStream, style: Style) {
    let (mut rd, mut wr) = stream.into_split();
    let mut out = Vec::new();
    OfMessage {
        xid: 1,
        msg: Message::Hello(Hello::default()),
    }
    .encode(&mut out)
    .unwrap();
    OfMessage {
        xid: 2,
        msg: Message::FeaturesRequest,
    }
    .encode(&mut out)
    .unwrap();
    wr.write_all(&out).await.unwrap();
    let mut framer = Framer::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        framer.push(&buf[..n]).unwrap();
        let mut out = Vec::new();
        while let Some(m) = framer.next_message().unwrap() {
            match (m.msg, style) {
                (Message::FeaturesReply(_), Style::Program(n)) => {
                    for i in 0..n {
                        let fm = FlowMod::add(
                            0,
                            10,
                            Match::new().with(Oxm::InPort(i as u32 + 1)),
                            vec![Instruction::ApplyActions(vec![Action::Output {
                                port: 1,
                                max_len: 0,
                            }])],
                        );
                        OfMessage {
                            xid: 10 + i as u32,
                            msg: Message::FlowMod(fm),
                        }
                        .encode(&mut out)
                        .unwrap();
                    }
                    OfMessage {
                        xid: 9,
                        msg: Message::BarrierRequest,
                    }
                    .encode(&mut out)
                    .unwrap();
                }
                (Message::PacketIn(pi), Style::FlowModByMatch) => {
                    let src = flowfall_ofp::MacAddr(pi.data[6..12].try_into().unwrap());
                    let fm = FlowMod::add(
                        0,
                        1,
                        Match::new().with(Oxm::EthSrc(src, None)),
                        vec![Instruction::ApplyActions(vec![Action::Output {
                            port: 2,
                            max_len: 0,
                        }])],
                    );
                    OfMessage {
                        xid: m.xid,
                        msg: Message::FlowMod(fm),
                    }
                    .encode(&mut out)
                    .unwrap();
                }
                (Message::PacketIn(pi), Style::PacketOutBuffered | Style::PacketOutData) => {
                    let by_buffer = matches!(style, Style::PacketOutBuffered);
                    let po = PacketOut {
                        buffer_id: if by_buffer {
                            pi.buffer_id
                        } else {
                            OFP_NO_BUFFER
                        },
                        in_port: 1,
                        actions: vec![Action::Output {
                            port: port_no::FLOOD,
                            max_len: 0,
                        }],
                        data: if by_buffer { vec![] } else { pi.data },
                    };
                    OfMessage {
                        xid: m.xid,
                        msg: Message::PacketOut(po),
                    }
                    .encode(&mut out)
                    .unwrap();
                }
                _ => {}
            }
        }
        if !out.is_empty() && wr.write_all(&out).await.is_err() {
            return;
        }
    }
}

async fn controller(style: Style) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve(s, style));
        }
    });
    addr
}

fn options(controller: SocketAddr, mode: Mode, buffered: bool) -> BenchOptions {
    BenchOptions {
        controller,
        mode,
        window: 8,
        rate: None,
        duration: Duration::from_millis(600),
        warmup: Duration::from_millis(200),
        timeout: Duration::from_secs(2),
        buffered,
        setup_timeout: Duration::from_secs(10),
        settle: Duration::ZERO,
        label: "toy".into(),
        workload: "learning".into(),
    }
}

#[tokio::test]
async fn throughput_answers_by_buffer_id() {
    let addr = controller(Style::PacketOutBuffered).await;
    let plans = learning_plan(3, 1, 4, 10).unwrap();
    let r = run_bench(plans, &options(addr, Mode::Throughput, true))
        .await
        .unwrap();
    assert_eq!((r.switches, r.sending_switches, r.window), (3, 3, 8));
    assert!(r.responses > 100, "{r}");
    assert_eq!(r.lost, 0);
    assert!(
        r.latency_us.samples == r.responses && r.latency_us.p50 > 0.0,
        "{r}"
    );
    // The announcements (10 hosts per switch) were answered before the run too.
    assert!(r.traffic.packet_outs >= r.responses + 30, "{r}");
    assert!(r.responses_per_sec > 0.0 && r.per_second.max >= r.per_second.min);
    assert_eq!(r.flow_setups_per_sec, 0.0, "PACKET_OUTs set up no flows");
}

#[tokio::test]
async fn flow_mods_answer_by_match_and_count_as_setups() {
    let addr = controller(Style::FlowModByMatch).await;
    let plans = learning_plan(2, 1, 4, 10).unwrap();
    let r = run_bench(plans, &options(addr, Mode::Throughput, false))
        .await
        .unwrap();
    assert!(r.responses > 100, "{r}");
    assert_eq!(r.flow_setups_per_sec, r.responses_per_sec, "{r}");
    assert!(r.traffic.flows_installed > 0);
}

#[tokio::test]
async fn latency_mode_answers_by_data_one_in_flight() {
    let addr = controller(Style::PacketOutData).await;
    let plans = learning_plan(2, 7, 2, 4).unwrap();
    let r = run_bench(plans, &options(addr, Mode::Latency, false))
        .await
        .unwrap();
    assert_eq!(r.window, 1);
    assert!(r.responses > 10, "{r}");
    assert_eq!(r.lost, 0);
    // One in flight per switch: never more sent than answered plus the switches.
    assert!(r.packet_ins <= r.responses + 2, "{r}");
}

#[tokio::test]
async fn paced_run_holds_the_rate() {
    let addr = controller(Style::PacketOutBuffered).await;
    let plans = learning_plan(2, 1, 4, 10).unwrap();
    let mut o = options(addr, Mode::Throughput, true);
    o.rate = Some(1000.0);
    o.duration = Duration::from_secs(1);
    let r = run_bench(plans, &o).await.unwrap();
    // Pacing caps the offered load (the lower bound only checks that it sends at all).
    assert!((300.0..=1100.0).contains(&r.responses_per_sec), "{r}");
}

#[tokio::test]
async fn unanswered_packet_ins_are_lost_not_hung() {
    let addr = controller(Style::Program(0)).await;
    let plans = learning_plan(1, 1, 2, 2).unwrap();
    let mut o = options(addr, Mode::Throughput, true);
    o.timeout = Duration::from_millis(100);
    o.setup_timeout = Duration::from_secs(5);
    let r = run_bench(plans, &o).await.unwrap();
    assert_eq!(r.responses, 0);
    assert!(r.lost > 0, "{r}");
}

#[tokio::test]
async fn scale_counts_programmed_switches() {
    let addr = controller(Style::Program(5)).await;
    let plans = silent_plan(20, 100, 4).unwrap();
    let opts = ScaleOptions {
        controller: addr,
        expect_programmed: None,
        quiet: Duration::from_millis(200),
        timeout: Duration::from_secs(10),
        pid: None,
    };
    let r = run_scale(plans, &opts).await.unwrap();
    assert_eq!(
        (r.switches, r.programmed, r.expected_programmed),
        (20, 20, 20)
    );
    assert_eq!(
        (r.flows_total, r.flows_min, r.flows_max, r.flow_mods),
        (100, 5, 5, 100)
    );
    assert!(r.all_programmed_s.is_some() && r.loadgen_memory.is_some());
}

#[tokio::test]
async fn settling_waits_for_the_programming_and_then_for_quiet() {
    // Every switch gets 5 FLOW_MODs and a barrier at connect; PACKET_INs stay unanswered.
    let addr = controller(Style::Program(5)).await;
    let plans = learning_plan(3, 1, 4, 10).unwrap();
    let mut o = options(addr, Mode::Throughput, true);
    o.settle = Duration::from_millis(300);
    o.timeout = Duration::from_millis(100);
    let start = std::time::Instant::now();
    let r = run_bench(plans, &o).await.unwrap();
    assert!(
        start.elapsed() >= o.settle + o.warmup + o.duration,
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.traffic.flow_mods, 15, "{r}");
    assert_eq!(r.traffic.flows_installed, 15, "{r}");
    // A controller that programs nothing: settling ends after the quiet time.
    let addr = controller(Style::Program(0)).await;
    let plans = learning_plan(1, 1, 2, 2).unwrap();
    let mut o = options(addr, Mode::Throughput, true);
    o.settle = Duration::from_millis(200);
    o.timeout = Duration::from_millis(100);
    let start = std::time::Instant::now();
    run_bench(plans, &o).await.unwrap();
    assert!(start.elapsed() < o.setup_timeout, "{:?}", start.elapsed());
}
