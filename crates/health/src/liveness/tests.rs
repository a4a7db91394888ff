use super::*;
use crate::probe::ProbePayload;
use crate::testing::sample_topology;
use flowfall_ofp::packet_in::PacketInReason;
use proptest::prelude::*;

const MS: Nanos = MILLISECOND;

fn monitor() -> Monitor {
    Monitor::for_topology(
        &sample_topology(),
        LivenessConfig::default(),
        ProbeConfig::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn fw(index: usize) -> VmId {
    VmId { layer: 0, index }
}

/// Probe `seq` of `config` for `target`, sent at 0.
fn probe_frame(config: &ProbeConfig, target: &ProbeTarget, seq: u64) -> Vec<u8> {
    ProbeTemplate::new(config, target)
        .map(|tpl| tpl.frame(seq, 0))
        .unwrap_or_default()
}

/// What a rejected reply returns.
fn rejected(reason: Rejection) -> Result<Option<Transition>, Error> {
    Err(Error::ProbeRejected { reason })
}

/// A network that reflects every probe after `rtt`, except for the VMs in `dead`.
struct Net {
    rtt: Nanos,
    dead: BTreeSet<VmId>,
    in_flight: Vec<(Nanos, Vec<u8>)>,
    now: Nanos,
    transitions: Vec<Transition>,
}

impl Net {
    fn new(rtt: Nanos) -> Net {
        Net {
            rtt,
            dead: BTreeSet::new(),
            in_flight: Vec::new(),
            now: 0,
            transitions: Vec::new(),
        }
    }

    /// Runs `m` until `until`, jumping from deadline to reply to deadline.
    fn run(&mut self, m: &mut Monitor, until: Nanos) {
        loop {
            let reply_at = self.in_flight.iter().map(|(t, _)| *t).min();
            let next = [m.next_deadline(), reply_at].into_iter().flatten().min();
            let Some(t) = next.filter(|&t| t <= until) else {
                break;
            };
            self.now = t.max(self.now);
            let (due, later): (Vec<_>, Vec<_>) = self
                .in_flight
                .drain(..)
                .partition(|(at, _)| *at <= self.now);
            self.in_flight = later;
            for (_, frame) in due {
                if let Ok(Some(tr)) = m.on_probe_reply(&frame, self.now) {
                    self.transitions.push(tr);
                }
            }
            if m.next_deadline().is_some_and(|d| d <= self.now) {
                let tick = m.on_tick(self.now);
                self.transitions.extend(tick.transitions);
                for p in tick.probes {
                    if !self.dead.contains(&p.vm) {
                        self.in_flight
                            .push((self.now + self.rtt, p.packet_out.data));
                    }
                }
            }
        }
        self.now = until;
    }

    fn events(&self) -> Vec<Event> {
        self.transitions
            .iter()
            .filter_map(Transition::event)
            .collect()
    }
}

#[test]
fn defaults_detect_within_400_ms() {
    let c = LivenessConfig::default();
    assert_eq!(c.validate(), Ok(()));
    assert_eq!(c.worst_case_detection(), 400 * MS);
    assert_eq!(c.recovery_time(), 200 * MS);
}

#[test]
fn healthy_chain_stays_up_with_rtts() {
    let mut m = monitor();
    let mut net = Net::new(2 * MS);
    net.run(&mut m, 2 * SECOND);
    assert!(net.transitions.is_empty(), "{:?}", net.transitions);
    for (t, h) in m.states() {
        assert_eq!(h.state, VmState::Up, "{}", t.name);
        assert!(h.sent >= 19 && h.sent <= 21, "{} sent {}", t.name, h.sent);
        assert_eq!(h.lost, 0);
        assert_eq!(h.rtt.min, Some(2 * MS));
        assert_eq!(h.loss_ratio(), 0.0);
    }
    assert_eq!(m.live().count(), 5);
}

#[test]
fn first_tick_spreads_probes_over_the_interval() {
    let mut m = monitor();
    let tick = m.on_tick(0);
    assert_eq!(
        tick.probes.len(),
        1,
        "only the first of 5 VMs is due at once"
    );
    assert_eq!(m.next_deadline(), Some(20 * MS));
    let sent: usize = [20, 40, 60, 80]
        .iter()
        .map(|&t| m.on_tick(t * MS).probes.len())
        .sum();
    assert_eq!(sent, 4);
    // Probes go to the layer's lower switch, on the VM's VU port.
    let p = &tick.probes[0];
    assert_eq!((p.vm, p.switch, p.dpid, p.seq), (fw(0), 0, 1, 0));
}

#[test]
fn dead_vm_goes_suspect_then_down_within_the_bound() {
    let mut m = monitor();
    let mut net = Net::new(MS);
    net.run(&mut m, SECOND);
    let died = net.now;
    net.dead.insert(fw(1));
    net.run(&mut m, 3 * SECOND);
    let ts: Vec<&Transition> = net.transitions.iter().filter(|t| t.vm == fw(1)).collect();
    assert_eq!(ts.len(), 2, "{ts:?}");
    assert_eq!((ts[0].from, ts[0].to), (VmState::Up, VmState::Suspect));
    assert_eq!(
        (ts[1].from, ts[1].to, ts[1].cause),
        (
            VmState::Suspect,
            VmState::Down,
            Cause::ProbeTimeout { misses: 3 }
        )
    );
    let detection = ts[1].at - died;
    assert!(
        detection <= LivenessConfig::default().worst_case_detection(),
        "{detection} ns"
    );
    assert!(
        detection >= 300 * MS,
        "three probes must be missed: {detection} ns"
    );
    assert_eq!(
        net.events(),
        vec![Event::VmDown {
            vm: fw(1),
            at: ts[1].at,
            cause: ts[1].cause
        }]
    );
    assert_eq!(m.state(fw(1)), Some(VmState::Down));
    assert_eq!(m.live().count(), 4);
    assert!(
        net.transitions.iter().all(|t| t.vm == fw(1)),
        "others unaffected"
    );
}

/// A monitor and network in which `vm` has been dead for the first second.
fn dead_for_a_second(vm: VmId) -> (Monitor, Net) {
    let mut m = monitor();
    let mut net = Net::new(MS);
    net.dead.insert(vm);
    net.run(&mut m, SECOND);
    assert_eq!(m.state(vm), Some(VmState::Down));
    (m, net)
}

#[test]
fn recovery_needs_consecutive_replies() {
    let (mut m, mut net) = dead_for_a_second(fw(2));
    net.dead.clear();
    let back = net.now;
    net.transitions.clear();
    net.run(&mut m, 2 * SECOND);
    let up: Vec<&Transition> = net.transitions.iter().filter(|t| t.vm == fw(2)).collect();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].cause, Cause::Recovered { replies: 3 });
    let took = up[0].at - back;
    assert!((200 * MS..=302 * MS).contains(&took), "{took}");
    assert_eq!(
        net.events(),
        vec![Event::VmUp {
            vm: fw(2),
            at: up[0].at
        }]
    );
}

#[test]
fn a_single_miss_only_suspects() {
    let mut m = monitor();
    let mut net = Net::new(MS);
    net.run(&mut m, SECOND);
    net.dead.insert(fw(0));
    net.run(&mut m, SECOND + 100 * MS);
    net.dead.clear();
    net.run(&mut m, 2 * SECOND);
    let ts: Vec<_> = net.transitions.iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        ts,
        vec![
            (VmState::Up, VmState::Suspect),
            (VmState::Suspect, VmState::Up)
        ]
    );
    assert!(net.events().is_empty());
    let h = m.health(fw(0)).unwrap_or_else(|| panic!("no fw-1"));
    assert_eq!(h.lost, 1);
    assert!(h.loss_ratio() > 0.0);
}

#[test]
fn port_status_is_the_fast_signal() {
    let mut m = monitor();
    let mut net = Net::new(MS);
    net.run(&mut m, SECOND);
    // hv1's VD port (J1 port 2) carries fw-1 and fw-2.
    let ts = m.on_port_status(2, 2, false, net.now);
    assert_eq!(ts.len(), 2);
    assert!(
        ts.iter()
            .all(|t| t.to == VmState::Down && t.cause == Cause::PortDown { dpid: 2, port: 2 })
    );
    assert!(
        m.on_port_status(2, 2, false, net.now).is_empty(),
        "repeats change nothing"
    );
    // While down, no probes go to them.
    let before = m.health(fw(0)).map(|h| h.sent);
    net.run(&mut m, 2 * SECOND);
    assert_eq!(m.health(fw(0)).map(|h| h.sent), before);
    assert_eq!(m.state(fw(0)), Some(VmState::Down));
    // Port back: probed at once, Up after three replies.
    net.transitions.clear();
    assert!(m.on_port_status(2, 2, true, net.now).is_empty());
    assert_eq!(m.next_deadline(), Some(net.now));
    net.run(&mut m, 3 * SECOND);
    let ups = net
        .events()
        .iter()
        .filter(|e| matches!(e, Event::VmUp { .. }))
        .count();
    assert_eq!(ups, 2);
    // A port of another datapath with the same number changes nothing.
    assert!(m.on_port_status(9, 2, false, net.now).is_empty());
}

#[test]
fn replies_that_do_not_fit_are_rejected_and_counted() {
    let mut m = monitor();
    let tick = m.on_tick(0);
    let frame = tick.probes[0].packet_out.data.clone();
    // Wrong port via PACKET_IN: fw-1 comes back on J1 (dpid 2) port 2, not 3.
    let pin = |port: u32, data: Vec<u8>| PacketIn {
        buffer_id: u32::MAX,
        total_len: data.len() as u16,
        reason: PacketInReason::Action,
        table_id: 0,
        cookie: crate::cookie::cookie(crate::cookie::Purpose::ProbeReturn, 1),
        match_: Match::new().with(Oxm::InPort(port)),
        data,
    };
    let wrong_port = Rejection::WrongPort {
        port: 3,
        expected: 2,
    };
    assert_eq!(
        m.on_packet_in(2, &pin(3, frame.clone()), MS),
        rejected(wrong_port)
    );
    assert_eq!(m.on_packet_in(2, &pin(2, frame.clone()), MS), Ok(None));
    assert_eq!(m.health(fw(0)).and_then(|h| h.rtt.last), Some(MS));
    // The same reply again: its sequence number is no longer outstanding but was sent: late.
    assert_eq!(m.on_probe_reply(&frame, 2 * MS), Ok(None));
    assert_eq!(m.health(fw(0)).map(|h| h.late), Some(1));
    // Another instance's probe.
    let other = ProbeConfig {
        instance: 9,
        ..ProbeConfig::default()
    };
    let t = crate::probe::targets(&sample_topology()).remove(0);
    let foreign = probe_frame(&other, &t, 0);
    assert_eq!(m.on_probe_reply(&foreign, MS), rejected(Rejection::Foreign));
    // A sequence number never sent.
    let future = probe_frame(&ProbeConfig::default(), &t, 99);
    let never_sent = Rejection::UnknownSequence { seq: 99 };
    assert_eq!(m.on_probe_reply(&future, MS), rejected(never_sent));
    // Not a probe at all.
    assert!(matches!(
        m.on_probe_reply(&[0u8; 10], MS),
        Err(Error::Truncated { .. })
    ));
    assert_eq!(
        m.stats(),
        MonitorStats {
            malformed: 1,
            rejected: 3,
            late: 1
        }
    );
}

#[test]
fn identity_and_position_are_checked() {
    let mut m = monitor();
    m.on_tick(0);
    let mut t = crate::probe::targets(&sample_topology()).remove(0);
    t.stable_id ^= 1;
    let f = probe_frame(&ProbeConfig::default(), &t, 0);
    assert_eq!(m.on_probe_reply(&f, MS), rejected(Rejection::Identity));
    t.vm = VmId { layer: 7, index: 0 };
    let f = probe_frame(&ProbeConfig::default(), &t, 0);
    let unknown = Rejection::UnknownVm { layer: 7, index: 0 };
    assert_eq!(m.on_probe_reply(&f, MS), rejected(unknown));
    let p = Probe::parse(&f).map(|p| p.payload);
    assert!(matches!(p, Ok(ProbePayload { layer: 7, .. })));
}

#[test]
fn reload_keeps_state_by_name() {
    let (mut m, _) = dead_for_a_second(fw(1));
    // fw-1 removed from the configuration: fw-2 moves to index 0 and keeps its state.
    let mut targets = crate::probe::targets(&sample_topology());
    targets.remove(0);
    for t in targets.iter_mut().filter(|t| t.vm.layer == 0) {
        t.vm.index -= 1;
    }
    m.set_targets(targets).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        m.state(fw(0)),
        Some(VmState::Down),
        "fw-2 is now 0:0 and still down"
    );
    assert_eq!(m.state(fw(1)), Some(VmState::Up), "fw-3 is now 0:1");
    assert_eq!(m.states().count(), 4);
}

#[test]
fn config_ranges() {
    let ok = LivenessConfig::default();
    for (bad, field) in [
        (LivenessConfig { interval: 0, ..ok }, "liveness.interval"),
        (
            LivenessConfig {
                reply_timeout: 0,
                ..ok
            },
            "liveness.reply_timeout",
        ),
        (
            LivenessConfig {
                reply_timeout: 33 * ok.interval,
                ..ok
            },
            "liveness.reply_timeout",
        ),
        (
            LivenessConfig {
                miss_count: 0,
                ..ok
            },
            "liveness.miss_count",
        ),
        (
            LivenessConfig {
                recovery_count: 1001,
                ..ok
            },
            "liveness.recovery_count",
        ),
        (
            LivenessConfig {
                loss_window: 0,
                ..ok
            },
            "liveness.loss_window",
        ),
        (
            LivenessConfig {
                initial_state: VmState::Suspect,
                ..ok
            },
            "liveness.initial_state",
        ),
    ] {
        assert!(
            matches!(bad.validate(), Err(Error::Config { field: f, .. }) if f == field),
            "{bad:?}"
        );
    }
}

#[test]
fn initially_down_comes_up_after_recovery() {
    let config = LivenessConfig {
        initial_state: VmState::Down,
        ..LivenessConfig::default()
    };
    let mut m = Monitor::for_topology(&sample_topology(), config, ProbeConfig::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.live().count(), 0);
    let mut net = Net::new(MS);
    net.run(&mut m, SECOND);
    assert_eq!(m.live().count(), 5);
    assert_eq!(net.events().len(), 5);
}

/// The reference model: the state after a run of probe outcomes for one VM.
fn model(outcomes: &[bool], miss: u32, recover: u32) -> VmState {
    let (mut state, mut misses, mut replies) = (VmState::Up, 0u32, 0u32);
    for &answered in outcomes {
        if answered {
            replies += 1;
            misses = 0;
            state = match state {
                VmState::Suspect => VmState::Up,
                VmState::Down if replies >= recover => VmState::Up,
                s => s,
            };
        } else {
            misses += 1;
            replies = 0;
            if misses >= miss {
                state = VmState::Down;
            } else if state == VmState::Up {
                state = VmState::Suspect;
            }
        }
    }
    state
}

proptest! {
    #[test]
    fn state_follows_the_model(
        outcomes in proptest::collection::vec(any::<bool>(), 0..60),
        miss in 1u32..5,
        recover in 1u32..5,
    ) {
        let config = LivenessConfig { miss_count: miss, recovery_count: recover, ..LivenessConfig::default() };
        let targets = crate::probe::targets(&sample_topology()).into_iter().take(1).collect();
        let mut m = Monitor::new(targets, config, ProbeConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let interval = config.interval;
        for (k, &answered) in outcomes.iter().enumerate() {
            let t = k as u64 * interval;
            let tick = m.on_tick(t);
            prop_assert_eq!(tick.probes.len(), 1);
            if answered {
                m.on_probe_reply(&tick.probes[0].packet_out.data, t + MS).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
        }
        // Let the last probe time out.
        m.on_tick(outcomes.len() as u64 * interval + config.reply_timeout);
        let h = m.health(fw(0)).cloned().ok_or_else(|| TestCaseError::fail("no VM"))?;
        // The final tick sent one more probe, still outstanding.
        prop_assert_eq!(h.state, model(&outcomes, miss, recover));
        prop_assert_eq!(h.lost as usize, outcomes.iter().filter(|a| !**a).count());
    }

    #[test]
    fn garbage_replies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut m = monitor();
        m.on_tick(0);
        let _ = m.on_probe_reply(&bytes, 1);
    }
}
