//! Reconciles of different switches overlap; everything else that touches a reconciling
//! switch, or the whole chain, waits (sync.rs, "Which runs overlap").

use super::*;

/// Flow mods and barrier requests sent on `conn` since `from` (an index into `net.sent`).
fn sent_since(net: &Net, from: usize, conn: ConnId) -> (usize, Vec<u32>) {
    let mut mods = 0;
    let mut barriers = Vec::new();
    for (c, m) in &net.sent[from..] {
        match &m.msg {
            Message::FlowMod(_) if *c == conn => mods += 1,
            Message::BarrierRequest if *c == conn => barriers.push(m.xid),
            _ => {}
        }
    }
    (mods, barriers)
}

/// Takes fw-1 and fw-2 (every firewall VM of fw-hv1) out of service through the API: a
/// change of every switch's table. Returns the generation to wait for and the live VMs.
fn firewalls_down(net: &mut Net) -> (u64, LiveVms) {
    let now = net.now;
    let mut live = LiveVms::all(&net.topo);
    let mut generation = 0;
    for vm in ["fw-1", "fw-2"] {
        generation = net.core.set_vm_live(now, vm, false).unwrap();
        live.set(net.topo.vm_by_name(vm).unwrap().id, false)
            .unwrap();
    }
    net.pump();
    (generation, live)
}

/// Junction `j`'s table equals what the compiler wants with these live VMs.
fn assert_junction(net: &Net, j: usize, live: &LiveVms) {
    let want = net.expected(live);
    assert_eq!(
        canon(net.fabric.switches[j].entries()),
        canon(want.switches[j].entries.iter()),
        "junction {j}"
    );
}

#[test]
fn a_switch_reconciles_while_another_switchs_whole_table_push_waits_for_its_barrier() {
    let mut net = Net::lab();
    // J0 connects with an empty table and holds its barrier replies: its whole-table push
    // stays in its first phase.
    let mut a = Fake::new(&net.topo, 0);
    a.answer_barriers = false;
    let ca = net.connect(a);
    let (a_mods, held) = sent_since(&net, 0, ca);
    assert!(a_mods > 0 && held.len() == 1, "{a_mods} {held:?}");
    let synced = net.synced.len();
    // J1 connects: its reconcile does not wait for J0's push.
    let mark = net.sent.len();
    let cb = net.connect(Fake::new(&net.topo, 1));
    let (b_mods, b_barriers) = sent_since(&net, mark, cb);
    assert!(b_mods > 0, "J1's reconcile waited for J0's barrier");
    assert!(
        b_barriers.len() >= 2,
        "every phase of J1's push: {b_barriers:?}"
    );
    let all = LiveVms::all(&net.topo);
    assert_junction(&net, 1, &all);
    assert_eq!(sent_since(&net, mark, ca), (0, Vec::new()), "J0 waits");
    assert!(!net.core.switch_views()[0].in_sync);
    assert!(net.core.switch_views()[1].in_sync);
    // The generation is not confirmed while J0's push is in flight.
    assert_eq!(net.synced.len(), synced);

    // A chain-wide change touches J0: it waits for J0's push, and so does J2's reconcile
    // (a change is waiting: the reconciles in flight no longer share its target).
    let mark = net.sent.len();
    let (generation, live) = firewalls_down(&mut net);
    let cc = net.connect(Fake::new(&net.topo, 2));
    for c in [ca, cb, cc] {
        assert_eq!(sent_since(&net, mark, c).0, 0, "{c:?} sent to");
    }
    // J0 answers: its push ends, then the change and J2's reconcile (one whole-chain run).
    net.fakes.get_mut(&ca).unwrap().answer_barriers = true;
    for x in held {
        net.deliver(ca, x, Message::BarrierReply);
    }
    for j in 0..3 {
        assert_junction(&net, j, &live);
    }
    assert!(net.core.switch_views().iter().all(|v| v.in_sync));
    assert_eq!(net.synced.last(), Some(&generation));
}

#[test]
fn a_switch_returning_during_a_chain_wide_push_waits_for_it() {
    let mut net = Net::lab();
    let conns = net.connect_all();
    // A chain-wide change whose first phase J0 does not confirm.
    net.fakes.get_mut(&conns[0]).unwrap().answer_barriers = false;
    let mark = net.sent.len();
    let (generation, live) = firewalls_down(&mut net);
    let (_, held) = sent_since(&net, mark, conns[0]);
    assert_eq!(held.len(), 1);
    // J1 bounces, keeping its table: it is ready again, but its reconcile waits for the
    // chain-wide run, which touches it.
    net.disconnect(conns[1]);
    let mark = net.sent.len();
    let c1 = net.connect(Fake::new(&net.topo, 1));
    assert_eq!(net.core.switch_views()[1].state, "ready");
    assert_eq!(sent_since(&net, mark, c1), (0, Vec::new()));
    assert!(!net.synced.contains(&generation));
    net.fakes.get_mut(&conns[0]).unwrap().answer_barriers = true;
    for x in held {
        net.deliver(conns[0], x, Message::BarrierReply);
    }
    for j in 0..3 {
        assert_junction(&net, j, &live);
    }
    assert!(net.synced.contains(&generation));
}
