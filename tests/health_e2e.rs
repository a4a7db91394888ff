//! End-to-end test of VM health probing (issue 7) against real Open vSwitch (the lab of
//! `lab/lab.py`, `examples/configs/lab.toml`): the controller runs in-process on an ephemeral
//! port with the default `[health]` settings (probes every 100 ms, down after 3 misses).
//!
//! "VM death" here is a VM that stops forwarding (`iptables -I FORWARD -j DROP` in its
//! namespace) while all its links stay up: only probes that cross the VNF can see it. A
//! continuous ping from customer bravo (service set: firewall) runs through the dying VM; the
//! failover time is the longest gap between two consecutive replies (or the time the lost
//! requests span, if longer). The IP TTL at the router counts the layers a packet crossed (the
//! VMs are routers): bravo's packets must arrive with TTL 63, never 64 (that would be a packet
//! that skipped the firewall).
//!
//! The ten failover times are printed as one parseable line (the issue's closing figure):
//!
//! ```text
//! FLOWFALL_FAILOVER_MS rounds=10 min=384 median=396 max=432
//! ```
//!
//! Fail-open, recovery, link loss, NAT detection and balance are in tests/health_lab_e2e.rs.
//! Without root or Open vSwitch the test prints why and passes as skipped; with `CI=true` it
//! fails instead.

mod support;

use std::time::{Duration, Instant};

use support::health::{
    BUDGET, Controller, Ping, TtlCounters, forwarding, in_sync, min_median_max, ms, setup,
};
use support::lab::{LabOptions, repo_path};

const ROUNDS: usize = 10;

#[test]
fn a_vm_that_stops_forwarding_is_replaced_within_a_second_and_nothing_skips_the_firewall() {
    let config = repo_path("examples/configs/lab.toml");
    let Some((ctl, lab)) = setup("health", &config, LabOptions::default(), |_| {}) else {
        return;
    };
    let started = Instant::now();
    // VMs may go down once while the lab's VMs learn their neighbours: count from here.
    let failovers_total = |ctl: &Controller| ctl.metric("flowfall_failovers_total").unwrap_or(0.0);
    let baseline = failovers_total(&ctl);
    let bravo = lab.customer("bravo").expect("bravo").networks[0].clone();
    let ttl = TtlCounters::install(&lab, &[("bravo", &bravo)]);

    // 1. Ten rounds: the firewall VM carrying bravo stops forwarding; bravo moves.
    let mut gaps = Vec::new();
    for round in 1..=ROUNDS {
        let victim = ctl.hop("bravo", "firewall");
        assert!(
            victim.starts_with("fw-"),
            "round {round}: bravo via {victim}"
        );
        let ping = Ping::start(&lab, "bravo", 200);
        std::thread::sleep(Duration::from_millis(500));
        forwarding(&lab, &victim, false);
        let v = victim.clone();
        let detected = ctl.wait_for("victim down", Duration::from_secs(5), move |c| {
            c.vm_views().iter().any(|x| x.name == v && !x.live) && in_sync(c)
        });
        let run = ping.finish();
        let gap = run.outage();
        let now_via = ctl.hop("bravo", "firewall");
        assert_ne!(
            now_via, victim,
            "round {round}: bravo still via the dead VM"
        );
        eprintln!(
            "[health] round {round}: {victim} stopped forwarding; down and moved after {:.0} ms; \
             ping gap {:.0} ms ({}/{} replies); bravo now via {now_via}",
            ms(detected),
            ms(gap),
            run.received,
            run.transmitted
        );
        assert!(gap < BUDGET, "round {round}: traffic stopped for {gap:?}");
        gaps.push(gap);
        // Recovery: forwarding back, the VM comes Up again.
        forwarding(&lab, &victim, true);
        let v = victim.clone();
        ctl.wait_for("victim up", Duration::from_secs(5), move |c| {
            c.vm_views()
                .iter()
                .any(|x| x.name == v && x.live && x.state.as_deref() == Some("up"))
                && in_sync(c)
        });
    }
    let ttls = ttl.of("bravo");
    assert_eq!(
        ttls.keys().copied().collect::<Vec<_>>(),
        [63],
        "bravo's packets at the router by TTL: {ttls:?}"
    );
    let (min, median, max) = min_median_max(&gaps);
    eprintln!("[health] TTLs of bravo's packets at the router: {ttls:?}");
    // The issue's closing figure, in one parseable line.
    println!(
        "FLOWFALL_FAILOVER_MS rounds={ROUNDS} min={:.0} median={:.0} max={:.0}",
        ms(min),
        ms(median),
        ms(max)
    );
    let failovers = failovers_total(&ctl) - baseline;
    assert_eq!(
        failovers, ROUNDS as f64,
        "flowfall_failovers_total grew by {failovers}"
    );

    // 2. Fail-closed: every firewall VM stops forwarding; bravo's traffic is dropped, none of
    //    it reaches the router without the firewall.
    ttl.zero();
    let fws = ["fw-1", "fw-2", "fw-3"];
    for vm in fws {
        forwarding(&lab, vm, false);
    }
    ctl.wait_layer_dead("firewall", Duration::from_secs(5));
    assert_eq!(ctl.hop("bravo", "firewall"), "drop");
    assert_eq!(ctl.layer_status("firewall"), "dropping");
    let report = lab.ping("bravo", "203.0.113.1", 3).expect("ping");
    assert_eq!(report.received, 0, "fail-closed: {report:?}");
    let ttls = ttl.of("bravo");
    assert!(!ttls.contains_key(&64), "bypassed the firewall: {ttls:?}");
    for vm in fws {
        forwarding(&lab, vm, true);
    }
    ctl.wait_for("firewall layer back", Duration::from_secs(5), |c| {
        c.vm_views().iter().all(|v| v.live) && in_sync(c)
    });
    let states = ctl.states();
    assert!(states.values().all(|s| s == "up"), "{states:?}");
    eprintln!(
        "[health] fail-closed checked; whole test {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
