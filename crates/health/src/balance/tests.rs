use super::*;
use crate::testing::{sample_topology, splitmix};
use proptest::prelude::*;

fn vm(index: usize) -> VmId {
    VmId { layer: 0, index }
}

fn addr(i: usize) -> AddressKey {
    AddressKey::new(
        format!("c{i}"),
        ipnet::IpNet::from(ipnet::Ipv4Net::from(std::net::Ipv4Addr::from(
            0x0a00_0000 + i as u32,
        ))),
    )
}

/// `n` addresses with Zipf(`s`) loads (ranks shuffled) on `vms` equal VMs, placed by hash.
fn zipf_input(n: usize, vms: usize, s: f64, seed: u64) -> LayerInput {
    let mut ranks: Vec<usize> = (1..=n).collect();
    for i in (1..n).rev() {
        ranks.swap(i, (splitmix(seed ^ i as u64) % (i as u64 + 1)) as usize);
    }
    LayerInput {
        layer: 0,
        vms: (0..vms)
            .map(|i| VmWeight {
                vm: vm(i),
                weight: 1,
            })
            .collect(),
        placements: (0..n)
            .map(|i| Placement {
                address: addr(i),
                vm: vm((splitmix(seed.rotate_left(7) ^ i as u64) % vms as u64) as usize),
                load: 1e6 / (ranks[i] as f64).powf(s),
            })
            .collect(),
    }
}

fn input(vms: &[(u32, &[f64])]) -> LayerInput {
    let mut k = 0;
    let mut placements = Vec::new();
    for (i, (_, loads)) in vms.iter().enumerate() {
        for &load in *loads {
            placements.push(Placement {
                address: addr(k),
                vm: vm(i),
                load,
            });
            k += 1;
        }
    }
    LayerInput {
        layer: 0,
        vms: vms
            .iter()
            .enumerate()
            .map(|(i, (w, _))| VmWeight {
                vm: vm(i),
                weight: *w,
            })
            .collect(),
        placements,
    }
}

/// Applies a plan's moves to the input, as the switches would once the overrides are in.
fn follow(input: &mut LayerInput, plan: &BalancePlan) {
    for m in &plan.moves {
        if let Some(p) = input.placements.iter_mut().find(|p| p.address == m.address) {
            assert_eq!(p.vm, m.from);
            p.vm = m.to;
        }
    }
}

fn potential(b: &LayerBalance) -> f64 {
    b.vms
        .iter()
        .map(|v| v.load * v.load / f64::from(v.weight.max(1)))
        .sum()
}

#[test]
fn zipf_skew_is_fixed_within_k_rounds_under_the_rate_limit() {
    let config = BalanceConfig::default();
    let mut b = Balancer::new(config).unwrap_or_else(|e| panic!("{e}"));
    let mut input = zipf_input(1000, 12, 0.9, 42);
    let first = Balancer::measure(std::slice::from_ref(&input))[0].clone();
    assert!(
        first.max_over_floor > config.start_threshold,
        "the skew must need work: {first:?}"
    );
    let (mut rounds, mut moves, mut now) = (0, 0, 0);
    loop {
        let plan = b.plan(now, std::slice::from_ref(&input));
        assert!(plan.moves.len() <= config.max_moves);
        moves += plan.moves.len();
        follow(&mut input, &plan);
        rounds += 1;
        now += 10 * SECOND;
        if plan.after[0].max_over_floor <= config.stop_threshold {
            break;
        }
        assert!(
            rounds < 10,
            "not balanced after {rounds} rounds: {:?}",
            plan.after[0].max_over_floor
        );
    }
    let last = Balancer::measure(std::slice::from_ref(&input))[0].clone();
    assert!(last.max_over_floor <= config.stop_threshold);
    assert!(last.max_over_mean < first.max_over_mean);
    // Balanced and idle: nothing more moves.
    let idle = b.plan(now, std::slice::from_ref(&input));
    assert!(idle.moves.is_empty() && idle.active.is_empty());
    assert_eq!(b.stats().moves as usize, moves);
    assert_eq!(b.stats().rounds, rounds + 1);
    assert!(moves < 60, "{moves} moves for 1000 addresses");
}

#[test]
fn hysteresis_between_the_thresholds() {
    let mut b = Balancer::new(BalanceConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    // 120 vs 80 in units of 5: max/floor = 1.2, between stop (1.1) and start (1.25): idle.
    let small = [5.0; 32];
    let mut layer = input(&[(1, &small[..24]), (1, &small[..16])]);
    let plan = b.plan(0, std::slice::from_ref(&layer));
    assert!((plan.before[0].max_over_floor - 1.2).abs() < 1e-9);
    assert!(plan.moves.is_empty() && plan.active.is_empty());
    // 160 vs 40: 1.6 > start: rebalances, 8 moves (the rate limit) down to 120, and stays
    // active between the thresholds.
    layer = input(&[(1, &small[..]), (1, &small[..8])]);
    let plan = b.plan(SECOND, std::slice::from_ref(&layer));
    assert!((plan.before[0].max_over_floor - 1.6).abs() < 1e-9);
    assert_eq!(plan.moves.len(), 8, "rate limit: 8 moves per round");
    assert!((plan.after[0].max_over_floor - 1.2).abs() < 1e-9);
    assert_eq!(plan.active, vec![0], "still active between the thresholds");
    follow(&mut layer, &plan);
    // Next round: down to the stop threshold, then idle.
    let plan = b.plan(2 * SECOND, std::slice::from_ref(&layer));
    assert_eq!(plan.moves.len(), 2);
    assert!((plan.after[0].max_over_floor - 1.1).abs() < 1e-9);
    assert!(plan.active.is_empty());
    assert_eq!(b.stats().rate_limited, 1);
}

#[test]
fn a_moved_address_dwells() {
    let config = BalanceConfig {
        max_moves: 1,
        min_dwell: 60 * SECOND,
        ..BalanceConfig::default()
    };
    let mut b = Balancer::new(config).unwrap_or_else(|e| panic!("{e}"));
    // VM0: one 50 and one 10; VM1: 10. Best move: the 10... no: 50 does not improve, 10 does.
    let mut layer = input(&[(1, &[50.0, 30.0]), (1, &[10.0])]);
    let plan = b.plan(0, std::slice::from_ref(&layer));
    assert_eq!(plan.moves.len(), 1);
    let moved = plan.moves[0].address.clone();
    assert_eq!(plan.moves[0].load, 30.0);
    follow(&mut layer, &plan);
    // Now the loads flip so that the same address would be the best move back.
    for p in &mut layer.placements {
        if p.address == moved {
            p.load = 30.0;
        } else if p.load == 50.0 {
            p.load = 5.0;
        }
    }
    let plan = b.plan(30 * SECOND, std::slice::from_ref(&layer));
    assert!(
        plan.moves.iter().all(|m| m.address != moved),
        "{:?}",
        plan.moves
    );
    let plan = b.plan(61 * SECOND, std::slice::from_ref(&layer));
    assert!(plan.moves.iter().any(|m| m.address == moved));
}

#[test]
fn weights_set_the_shares() {
    let config = BalanceConfig {
        max_moves: 1000,
        start_threshold: 1.01,
        stop_threshold: 1.01,
        ..BalanceConfig::default()
    };
    let mut b = Balancer::new(config).unwrap_or_else(|e| panic!("{e}"));
    let loads = [1.0; 400];
    let mut layer = input(&[(1, &loads), (3, &[])]);
    let plan = b.plan(0, std::slice::from_ref(&layer));
    follow(&mut layer, &plan);
    let v = &plan.after[0].vms;
    assert_eq!((v[0].load, v[1].load), (101.0, 299.0), "{v:?}");
    assert!(plan.after[0].max_over_mean <= 1.01);
}

#[test]
fn an_unsplittable_customer_sets_the_floor() {
    let mut b = Balancer::new(BalanceConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    // One address of 100 beside 10 of 1, on 2 VMs: mean 55, floor 100.
    let ones = [1.0; 10];
    let layer = input(&[(1, &[100.0]), (1, &ones)]);
    let plan = b.plan(0, std::slice::from_ref(&layer));
    let bal = &plan.before[0];
    assert!((bal.max_over_mean - 100.0 / 55.0).abs() < 1e-9);
    assert!((bal.floor_over_mean - 100.0 / 55.0).abs() < 1e-9);
    assert!((bal.max_over_floor - 1.0).abs() < 1e-9);
    assert!(
        plan.moves.is_empty(),
        "nothing can do better than the heavy customer alone"
    );
}

#[test]
fn tiny_addresses_are_not_moved() {
    let config = BalanceConfig {
        min_move_share: 0.05,
        ..BalanceConfig::default()
    };
    let mut b = Balancer::new(config).unwrap_or_else(|e| panic!("{e}"));
    let tiny = [1.0; 50];
    let layer = input(&[(1, &tiny), (1, &[])]);
    let plan = b.plan(0, std::slice::from_ref(&layer));
    assert!(
        plan.moves.is_empty(),
        "each address is 2% of the load, below 5%"
    );
}

#[test]
fn moves_become_overrides_and_back_to_the_hash_clears_them() {
    let topo = sample_topology();
    let live = LiveSet::all(&topo);
    let a = AddressKey::new(
        "c1",
        "192.0.2.0/24".parse().unwrap_or_else(|e| panic!("{e}")),
    );
    let chooser = LayerChooser::new(&topo, &live, 0).unwrap_or_else(|e| panic!("{e}"));
    let hash = chooser
        .hash_choice(a.prefix)
        .unwrap_or_else(|| panic!("no VM"));
    let other = VmId {
        layer: 0,
        index: (hash.index + 1) % 3,
    };
    let mut o = Overrides::new();
    let away = Move {
        address: a.clone(),
        layer: 0,
        from: hash,
        to: other,
        load: 1.0,
    };
    assert_eq!(apply_moves(&mut o, &topo, &live, &[away], 7).ok(), Some(1));
    assert_eq!(
        o.get(&a, 0).map(|o| (o.vm, o.reason, o.since)),
        Some((other, OverrideReason::Balance, 7))
    );
    let back = Move {
        address: a.clone(),
        layer: 0,
        from: other,
        to: hash,
        load: 1.0,
    };
    assert_eq!(apply_moves(&mut o, &topo, &live, &[back], 8).ok(), Some(0));
    assert!(o.is_empty());
}

#[test]
fn inputs_from_an_assignment() {
    let topo = sample_topology();
    let live = LiveSet::all(&topo);
    let assignment =
        Assignment::compute(&topo, &live, &Overrides::new()).unwrap_or_else(|e| panic!("{e}"));
    let loads: BTreeMap<AddressKey, f64> = crate::assign::addresses(&topo)
        .into_iter()
        .map(|(a, _)| (a, 10.0))
        .collect();
    let inputs = layer_inputs(&topo, &live, &assignment, &loads);
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0].vms.len(), 3);
    // firewall: c1 and c2's two prefixes; ddos: c1 and c3.
    assert_eq!(inputs[0].placements.len(), 3);
    assert_eq!(inputs[1].placements.len(), 2);
    let b = Balancer::measure(&inputs);
    assert_eq!(b[0].total, 30.0);
}

#[test]
fn config_ranges() {
    let ok = BalanceConfig::default();
    assert_eq!(ok.validate(), Ok(()));
    for (bad, field) in [
        (
            BalanceConfig {
                stop_threshold: 0.9,
                ..ok
            },
            "balance.stop_threshold",
        ),
        (
            BalanceConfig {
                start_threshold: 1.05,
                ..ok
            },
            "balance.start_threshold",
        ),
        (
            BalanceConfig {
                start_threshold: f64::NAN,
                ..ok
            },
            "balance.start_threshold",
        ),
        (BalanceConfig { max_moves: 0, ..ok }, "balance.max_moves"),
        (
            BalanceConfig {
                min_move_share: 1.0,
                ..ok
            },
            "balance.min_move_share",
        ),
    ] {
        assert!(matches!(Balancer::new(bad), Err(Error::Config { field: f, .. }) if f == field));
    }
}

proptest! {
    /// Whatever the loads: the budget holds, the maximum never rises, the potential falls
    /// with every round that moves, and a round's prediction is what following it gives.
    #[test]
    fn rounds_never_make_things_worse(
        loads in proptest::collection::vec((0usize..5, 0.0f64..1000.0), 1..120),
        weights in proptest::collection::vec(1u32..5, 5),
        max_moves in 1usize..20,
    ) {
        let mut layer = LayerInput {
            layer: 0,
            vms: weights.iter().enumerate().map(|(i, &w)| VmWeight { vm: vm(i), weight: w }).collect(),
            placements: loads.iter().enumerate().map(|(k, &(v, load))| Placement { address: addr(k), vm: vm(v), load }).collect(),
        };
        let config = BalanceConfig { max_moves, start_threshold: 1.0, stop_threshold: 1.0, min_move_share: 0.0, ..BalanceConfig::default() };
        let mut b = Balancer::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for round in 0..5u64 {
            let plan = b.plan(round * 1000 * SECOND, std::slice::from_ref(&layer));
            prop_assert!(plan.moves.len() <= max_moves);
            let (before, after) = (&plan.before[0], &plan.after[0]);
            prop_assert!(after.max_over_mean <= before.max_over_mean + 1e-9);
            if !plan.moves.is_empty() {
                prop_assert!(potential(after) < potential(before));
            }
            follow(&mut layer, &plan);
            let measured = &Balancer::measure(std::slice::from_ref(&layer))[0];
            prop_assert!((measured.max_over_mean - after.max_over_mean).abs() < 1e-9);
        }
    }
}
