//! The owner indexes (installed entries by cookie owner in [`FlowSet`], desired entries by
//! owner in the model) against the whole-table filter they replace, and the batching of
//! reactive activations into one sync.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use flowfall_compile::cookie::{Cookie, OwnerId};
use flowfall_compile::{Diff, FlowEntry};
use proptest::prelude::*;

use super::super::sync::Scope;
use super::super::table::{FlowSet, is_address_cookie};
use super::*;

const BENCH: &str = include_str!("../../../../examples/configs/bench-reactive.toml");

/// The remote end of the test packets (TEST-NET-3).
const REMOTE: [u8; 4] = [203, 0, 113, 1];

/// Every customer host address of the topology with its customer's port and ToS.
fn hosts(topo: &Topology) -> Vec<(Ipv4Addr, u32, u8)> {
    topo.customers()
        .iter()
        .flat_map(|c| {
            c.ipv4
                .iter()
                .map(move |n| (n.addr(), c.port, c.tos.unwrap_or(0)))
        })
        .collect()
}

/// The PACKET_IN of host `h`'s traffic: upstream at J0, or downstream at J1.
fn host_packet(topo: &Topology, h: usize, up: bool) -> (usize, Message) {
    let all = hosts(topo);
    let (addr, port, tos) = all[h % all.len()];
    if up {
        (
            0,
            packet_in(port, ipv4_frame(addr.octets(), REMOTE, tos << 2)),
        )
    } else {
        let back = topo.backbone().port;
        (1, packet_in(back, ipv4_frame(REMOTE, addr.octets(), 0)))
    }
}

/// The address entries of `owners` on `dpid`, diffed as the controller did before the owner
/// indexes: by filtering both whole tables (and, for the one-phase activations, scanning
/// every table for entries of each owner).
fn full_table_diff(core: &Controller, dpid: u64, owners: &BTreeSet<OwnerId>) -> Diff {
    use flowfall_compile::tables::{SwitchTable, Tables};
    let in_scope =
        |e: &FlowEntry| is_address_cookie(e.cookie) && owners.contains(&e.cookie.owner());
    let empty = FlowSet::new();
    let installed = core.installed.get(&dpid).unwrap_or(&empty);
    let mut old = Tables::default();
    let mut new = Tables::default();
    for sw in core
        .model
        .topology()
        .switches()
        .iter()
        .filter(|s| s.dpid == dpid)
    {
        let table = |entries: Vec<FlowEntry>| SwitchTable {
            index: sw.index,
            name: sw.name.clone(),
            dpid: sw.dpid,
            vlan: sw.vlan,
            entries,
        };
        old.switches.push(table(
            installed
                .iter()
                .filter(|e| in_scope(e) && core.model.position(dpid, e) == sw.index)
                .cloned()
                .collect(),
        ));
        new.switches.push(table(
            core.model
                .desired_junction(sw.index)
                .filter(|e| in_scope(e))
                .cloned()
                .collect(),
        ));
    }
    // Brand-new owners in one phase (reactive mode without foreign or NAT-detection
    // entries): "brand-new" found by scanning every switch's whole table.
    let fresh = |o: OwnerId| {
        core.installed
            .values()
            .flat_map(FlowSet::iter)
            .all(|e| !is_address_cookie(e.cookie) || e.cookie.owner() != o)
    };
    let one_phase = core.model.is_reactive()
        && core.health.is_none()
        && core
            .installed
            .values()
            .flat_map(FlowSet::iter)
            .all(|e| core.model.owns(e));
    let mut diff = if one_phase {
        Diff::between_reactive(&old, &new, core.model.layers(), fresh)
    } else {
        Diff::between(&old, &new, core.model.layers())
    };
    diff.retain(|_, e| core.model.owns(e));
    diff
}

/// A diff as a sorted list (phase, switch, operation): the order of operations inside one
/// phase on one switch carries no meaning.
fn canonical(d: &Diff) -> Vec<String> {
    let mut v: Vec<String> = d
        .phases
        .iter()
        .flat_map(|p| {
            p.switches.iter().flat_map(move |s| {
                s.ops
                    .iter()
                    .map(move |op| format!("{:?} J{} {op:?}", p.kind, s.switch))
            })
        })
        .collect();
    v.sort();
    v
}

/// The owner index of `set` lists exactly its address entries.
fn index_consistent(set: &FlowSet) -> Result<(), String> {
    let owners: BTreeSet<OwnerId> = set
        .iter()
        .filter(|e| is_address_cookie(e.cookie))
        .map(|e| e.cookie.owner())
        .collect();
    if owners.len() != set.owner_count() {
        return Err(format!(
            "{} owners in the table, {} in the index",
            owners.len(),
            set.owner_count()
        ));
    }
    for &o in &owners {
        let mut scanned: Vec<String> = set
            .iter()
            .filter(|e| is_address_cookie(e.cookie) && e.cookie.owner() == o)
            .map(|e| format!("{e:?}"))
            .collect();
        let mut indexed: Vec<String> = set.owned_by(o).map(|e| format!("{e:?}")).collect();
        scanned.sort();
        indexed.sort();
        if scanned != indexed {
            return Err(format!("owner {o:?}: {scanned:?} vs {indexed:?}"));
        }
    }
    Ok(())
}

/// Checks the indexes of every ready switch, for every owner present anywhere and for a
/// few single owners.
fn check(net: &Net) -> Result<(), String> {
    let core = &net.core;
    for (&dpid, set) in &core.installed {
        index_consistent(set).map_err(|e| format!("dpid {dpid}: {e}"))?;
    }
    let mut owners: BTreeSet<OwnerId> = core
        .installed
        .values()
        .flat_map(|s| s.iter())
        .chain(
            (0..core.model.topology().switches().len())
                .flat_map(|k| core.model.desired_junction(k)),
        )
        .filter(|e| is_address_cookie(e.cookie))
        .map(|e| e.cookie.owner())
        .collect();
    owners.insert(OwnerId::from_u64(12345));
    let dpids: Vec<u64> = core.by_dpid.keys().copied().collect();
    let singles = owners.iter().take(3).map(|&o| BTreeSet::from([o]));
    for set in std::iter::once(owners.clone()).chain(singles) {
        for &dpid in &dpids {
            let indexed = core.diff_of(&[dpid], &Scope::Owners(set.clone()));
            let scanned = full_table_diff(core, dpid, &set);
            if canonical(&indexed) != canonical(&scanned) {
                return Err(format!(
                    "dpid {dpid}: indexed {:#?}\nscanned {:#?}",
                    canonical(&indexed),
                    canonical(&scanned)
                ));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Action {
    /// One PACKET_IN of host `h` (upstream at J0 or downstream at J1).
    Packet { h: usize, up: bool },
    /// Several PACKET_INs handled as one batch (one turn of the runtime).
    Batch(Vec<(usize, bool)>),
    /// An address entry idles out on a switch (it picks the `k`-th such entry).
    Expire { switch: usize, k: usize },
    /// A switch disconnects and comes back (reconcile).
    Bounce { switch: usize },
    /// A switch disconnects, loses its address entries (they idled out unheard) or, with
    /// `all`, its whole table (a restart), and comes back: its reconcile pushes them again.
    /// With `hold` it leaves that push's barriers unanswered until the next action is done,
    /// so the next action happens while the push is in flight.
    Lose {
        switch: usize,
        all: bool,
        hold: bool,
    },
    /// Switch `first` loses entries as in [`Action::Lose`] and holds its push; meanwhile the
    /// other switch does the same without holding: its reconcile completes while `first`'s
    /// push waits for its barriers.
    Overlap { first: usize, all: bool },
    /// The same topology is reloaded (recompile, full sync).
    Reload,
}

/// A switch leaving its barriers unanswered: its connection, and where in `net.sent` that
/// began.
struct Held(ConnId, usize);

/// The switch answers the barriers it held, and answers from then on.
fn release(net: &mut Net, Held(conn, from): Held) {
    let Some(f) = net.fakes.get_mut(&conn) else {
        return;
    };
    f.answer_barriers = true;
    let held: Vec<u32> = net.sent[from..]
        .iter()
        .filter(|(c, m)| *c == conn && matches!(m.msg, Message::BarrierRequest))
        .map(|(_, m)| m.xid)
        .collect();
    for xid in held {
        net.deliver(conn, xid, Message::BarrierReply);
    }
}

/// Applies `actions` in order, releasing each held push once the next action is done, and
/// calls `after` after each.
fn run(
    net: &mut Net,
    actions: &[Action],
    mut after: impl FnMut(&Net, &Action) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let mut held = None;
    for a in actions {
        let now_held = apply(net, a);
        if let Some(h) = held.take() {
            release(net, h);
        }
        held = now_held;
        after(net, a)?;
    }
    if let Some(h) = held {
        release(net, h);
    }
    Ok(())
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0usize..512, any::<bool>()).prop_map(|(h, up)| Action::Packet { h, up }),
        3 => proptest::collection::vec((0usize..512, any::<bool>()), 1..24).prop_map(Action::Batch),
        3 => (0usize..2, 0usize..64).prop_map(|(switch, k)| Action::Expire { switch, k }),
        1 => (0usize..2).prop_map(|switch| Action::Bounce { switch }),
        1 => (0usize..2, any::<bool>(), any::<bool>())
            .prop_map(|(switch, all, hold)| Action::Lose { switch, all, hold }),
        1 => (0usize..2, any::<bool>()).prop_map(|(first, all)| Action::Overlap { first, all }),
        1 => Just(Action::Reload),
    ]
}

fn message_event(conn: ConnId, msg: Message) -> Event {
    Event::Message {
        conn,
        bytes: OfMessage { xid: 0, msg }.to_vec().unwrap(),
    }
}

fn conn_of(net: &Net, switch: usize) -> Option<ConnId> {
    let dpid = net.topo.switches()[switch].dpid;
    net.core.by_dpid.get(&dpid).copied()
}

/// Switch `switch` disconnects, loses entries (see [`Action::Lose`]) and reconnects, holding
/// its barriers if `hold`.
fn lose(net: &mut Net, switch: usize, all: bool, hold: bool) -> Option<Held> {
    if let Some(conn) = conn_of(net, switch) {
        net.disconnect(conn);
    }
    let table = &mut net.fabric.switches[switch];
    let lost: Vec<FlowEntry> = table
        .entries()
        .filter(|e| all || is_address_cookie(e.cookie))
        .cloned()
        .collect();
    for e in lost {
        table
            .apply(&e.flow_mod(FlowModCommand::DeleteStrict))
            .unwrap();
    }
    let mut f = Fake::new(&net.topo, switch);
    f.answer_barriers = !hold;
    let from = net.sent.len();
    let conn = net.connect(f);
    hold.then_some(Held(conn, from))
}

/// Applies `a`; returns the push it left waiting for its barriers, if any.
fn apply(net: &mut Net, a: &Action) -> Option<Held> {
    match a {
        Action::Packet { h, up } => {
            let (j, m) = host_packet(&net.topo, *h, *up);
            if let Some(conn) = conn_of(net, j) {
                net.deliver(conn, 0, m);
            }
        }
        Action::Batch(packets) => {
            let events: Vec<Event> = packets
                .iter()
                .filter_map(|&(h, up)| {
                    let (j, m) = host_packet(&net.topo, h, up);
                    Some(message_event(conn_of(net, j)?, m))
                })
                .collect();
            net.core.handle_batch(net.now, events);
            net.pump();
        }
        Action::Expire { switch, k } => {
            let conn = conn_of(net, *switch)?;
            let entries: Vec<FlowEntry> = net.fabric.switches[*switch]
                .entries()
                .filter(|e| is_address_cookie(e.cookie))
                .cloned()
                .collect();
            let entry = entries.get(k % entries.len().max(1)).cloned()?;
            net.fabric
                .apply(*switch, &entry.flow_mod(FlowModCommand::DeleteStrict))
                .unwrap();
            net.deliver(
                conn,
                0,
                Message::FlowRemoved(FlowRemoved {
                    cookie: entry.cookie.0,
                    priority: entry.priority,
                    reason: FlowRemovedReason::IdleTimeout,
                    table_id: entry.table_id,
                    duration_sec: 301,
                    duration_nsec: 0,
                    idle_timeout: entry.idle_timeout,
                    hard_timeout: 0,
                    packet_count: 1,
                    byte_count: 100,
                    match_: entry.match_.clone(),
                }),
            );
        }
        Action::Bounce { switch } => {
            if let Some(conn) = conn_of(net, *switch) {
                net.disconnect(conn);
            }
            let f = Fake::new(&net.topo, *switch);
            net.connect(f);
        }
        Action::Lose { switch, all, hold } => return lose(net, *switch, *all, *hold),
        Action::Overlap { first, all } => {
            let held = lose(net, *first, *all, true);
            let other = 1 - *first;
            lose(net, other, *all, false);
            let dpid = net.topo.switches()[other].dpid;
            assert!(
                net.core.diff_of(&[dpid], &Scope::All).is_empty(),
                "J{other}'s reconcile waited for J{first}'s push"
            );
            return held;
        }
        Action::Reload => {
            let topo = net.topo.clone();
            net.core.reload(net.now, topo).unwrap();
            net.pump();
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// On any sequence of activations (single and batched), idle expiries, reconnects (also
    /// of a switch whose table was lost, and while another switch's push is in flight) and
    /// reloads, the owner-scoped diff built from the indexes equals the one built by
    /// filtering whole tables, the installed index lists exactly the table's address
    /// entries, and once everything is confirmed the switches hold the desired tables.
    #[test]
    fn indexed_diffs_equal_whole_table_diffs(actions in proptest::collection::vec(action(), 1..16)) {
        let mut net = Net::new(BENCH);
        net.connect_all();
        run(&mut net, &actions, |net, a| {
            check(net).map_err(|e| TestCaseError::fail(format!("after {a:?}: {e}")))
        })?;
        for sw in net.topo.switches() {
            prop_assert!(net.core.diff_of(&[sw.dpid], &Scope::All).is_empty(), "J{} not in sync", sw.index);
        }
        prop_assert!(net.core.pending_packets.is_empty());
    }
}

/// Hosts whose packets [`layers_never_skipped`] follows.
const WATCHED: usize = 12;

/// The packets of the first [`WATCHED`] hosts, both ways, on `fabric`: each is delivered
/// through every layer of its customer's services, or stopped where it entered (punted or
/// dropped), or punted by a junction further on having crossed exactly the layers below it
/// (a brand-new address being installed in one phase: the controller re-injects it there).
fn layers_never_skipped(topo: &Topology, fabric: &flowfall_compile::sim::Fabric) {
    use flowfall_compile::sim::Outcome;
    let tracer = Tracer::new(topo, fabric, None);
    let n = topo.layers().len();
    for (addr, port, tos) in hosts(topo).into_iter().take(WATCHED) {
        let customer = topo
            .customers()
            .iter()
            .find(|c| c.port == port)
            .expect("customer of the host");
        let services: Vec<usize> = customer.services.iter().collect();
        let host = std::net::IpAddr::V4(addr);
        let up = tracer.upstream(customer.index, host, tos << 2).unwrap();
        let down = tracer.downstream(host).unwrap();
        for (trace, entry, upstream) in [(up, 0, true), (down, n, false)] {
            let mut layers = trace.layers();
            if !upstream {
                layers.reverse();
            }
            let below = |k: usize| -> Vec<usize> {
                services
                    .iter()
                    .copied()
                    .filter(|&l| if upstream { l < k } else { l >= k })
                    .collect()
            };
            let ok = match trace.outcome {
                Outcome::Delivered { .. } => layers == services,
                Outcome::Dropped { switch } => switch == entry && layers.is_empty(),
                Outcome::Controller { switch } => layers == below(switch),
                _ => false,
            };
            assert!(
                ok,
                "{addr} {}: {}",
                if upstream { "up" } else { "down" },
                trace.describe(topo)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// While addresses are activated (alone and in batches) and idle out, and switches that
    /// lost their address entries reconcile (also while another switch's push waits for its
    /// barriers), after every single flow mod the switches apply, no packet of a watched host
    /// skips a layer of its service set or stops half-way anywhere but at the controller.
    #[test]
    fn no_packet_skips_a_layer_while_addresses_come_and_go(
        actions in proptest::collection::vec(prop_oneof![
            3 => (0..WATCHED, any::<bool>()).prop_map(|(h, up)| Action::Packet { h, up }),
            3 => proptest::collection::vec((0..WATCHED, any::<bool>()), 1..8).prop_map(Action::Batch),
            2 => (0usize..2, 0usize..16).prop_map(|(switch, k)| Action::Expire { switch, k }),
            1 => (0usize..2, any::<bool>())
                .prop_map(|(switch, hold)| Action::Lose { switch, all: false, hold }),
            1 => (0usize..2).prop_map(|first| Action::Overlap { first, all: false }),
        ], 1..12),
    ) {
        let mut net = Net::new(BENCH);
        net.connect_all();
        net.check = Some(Box::new(layers_never_skipped));
        run(&mut net, &actions, |_, _| Ok(()))?;
        prop_assert!(net.core.pending_packets.is_empty());
    }
}

#[test]
fn a_batch_of_activations_is_one_sync_of_only_those_owners() {
    let mut net = Net::new(BENCH);
    let conns = net.connect_all();
    net.sent.clear();
    let chosen = [0usize, 5, 17, 42, 99, 130, 201, 255];
    let events: Vec<Event> = chosen
        .iter()
        .map(|&h| {
            let (j, m) = host_packet(&net.topo, h, true);
            message_event(conns[j], m)
        })
        .collect();
    let generation = net.core.generation();
    net.core.handle_batch(net.now, events);
    net.pump();
    assert_eq!(net.core.generation(), generation + chosen.len() as u64);
    let owners: BTreeSet<u64> = net
        .flow_mods()
        .iter()
        .map(|(_, fm)| Cookie(fm.cookie).owner().value())
        .collect();
    let hosts = hosts(&net.topo);
    let compiled = Compilation::new(
        std::sync::Arc::new(net.topo.clone()),
        LiveVms::all(&net.topo),
        0,
    )
    .unwrap();
    let want: BTreeSet<u64> = chosen
        .iter()
        .map(|&h| {
            let addr = std::net::IpAddr::from(hosts[h].0);
            let a = compiled
                .addresses()
                .iter()
                .find(|a| a.prefix.contains(&addr));
            a.unwrap().owner.value()
        })
        .collect();
    assert_eq!(owners, want);
    // All new: one phase (every entry at once) on both switches, two barriers for all eight
    // addresses, then the eight packets go back.
    let barriers = net
        .sent
        .iter()
        .filter(|(_, m)| matches!(m.msg, Message::BarrierRequest))
        .count();
    assert_eq!(barriers, 2);
    let outs = net
        .sent
        .iter()
        .filter(|(_, m)| matches!(m.msg, Message::PacketOut(_)))
        .count();
    assert_eq!(outs, chosen.len());
    // Each packet-out follows every flow mod.
    let last_mod = net
        .sent
        .iter()
        .rposition(|(_, m)| matches!(m.msg, Message::FlowMod(_)))
        .unwrap();
    let first_out = net
        .sent
        .iter()
        .position(|(_, m)| matches!(m.msg, Message::PacketOut(_)))
        .unwrap();
    assert!(first_out > last_mod);
}

#[test]
fn addresses_activated_while_a_run_waits_start_their_own_run_and_packets_wait_in_order() {
    let mut net = Net::new(BENCH);
    let conns = net.connect_all();
    for f in net.fakes.values_mut() {
        f.answer_barriers = false;
    }
    net.sent.clear();
    let (_, first) = host_packet(&net.topo, 1, true);
    net.deliver(conns[0], 0, first);
    let (_, second) = host_packet(&net.topo, 2, true);
    net.deliver(conns[0], 0, second);
    // The second address did not wait for the first one's barriers: both runs are out (one
    // phase each, new addresses: one barrier per switch), and no packet went back yet.
    let barriers: Vec<(ConnId, u32)> = net
        .sent
        .iter()
        .filter(|(_, m)| matches!(m.msg, Message::BarrierRequest))
        .map(|(c, m)| (*c, m.xid))
        .collect();
    assert_eq!(barriers.len(), 4, "{barriers:?}");
    assert!(
        !net.sent
            .iter()
            .any(|(_, m)| matches!(m.msg, Message::PacketOut(_)))
    );
    // Answer the second run's barriers first: it is done, but its packet still waits for
    // the first one.
    for &(c, x) in barriers.iter().rev().take(2) {
        net.deliver(c, x, Message::BarrierReply);
    }
    let count = |net: &Net| {
        net.sent
            .iter()
            .filter(|(_, m)| matches!(m.msg, Message::BarrierRequest))
            .count()
    };
    assert_eq!(count(&net), 4, "no second phase");
    assert!(
        !net.sent
            .iter()
            .any(|(_, m)| matches!(m.msg, Message::PacketOut(_)))
    );
    // Now the first run: both packets go back, first one first.
    for &(c, x) in barriers.iter().take(2) {
        net.deliver(c, x, Message::BarrierReply);
    }
    assert_eq!(count(&net), 4, "no second phase");
    let outs: Vec<&PacketOutMsg> = net
        .sent
        .iter()
        .filter_map(|(_, m)| match &m.msg {
            Message::PacketOut(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(outs.len(), 2);
    let (_, Message::PacketIn(p1)) = host_packet(&net.topo, 1, true) else {
        unreachable!()
    };
    assert_eq!(outs[0].data, p1.data);
    assert!(net.synced.contains(&net.core.generation()));
}

type PacketOutMsg = flowfall_ofp::packet_out::PacketOut;
