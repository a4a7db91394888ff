//! Load-aware rebalancing on a skewed load (issue 7 item 3): 1000 customers whose volumes
//! follow a Zipf law, one firewall layer of 12 equal VMs, the initial placement by the
//! layer's hash (MD5-mod as in the paper, or Maglev), then the planner run every 10 s with its
//! default settings (start above 1.25 × the floor, stop at 1.10, at most 8 moves a round, 300 s
//! dwell). The last scenario first fails and recovers one VM: failover pins its customers where
//! they went, so it comes back empty, and the balancer refills it.
//!
//! `cargo run --release -p flowfall-health --example zipf_balance`
//!
//! Deterministic: the volumes' ranks are shuffled with a fixed seed, so every run prints the
//! same table.

use std::collections::BTreeMap;
use std::error::Error;

use flowfall_health::assign::{AddressKey, Assignment, addresses};
use flowfall_health::balance::{BalanceConfig, Balancer, LayerBalance, apply_moves, layer_inputs};
use flowfall_health::failover::{Failover, FailoverPolicy};
use flowfall_health::liveness::SECOND;
use flowfall_topology::synthetic::{SyntheticSpec, generate_config};
use flowfall_topology::{SelectorKind, Topology, VmId};

const CUSTOMERS: usize = 1000;
const VMS: usize = 12;
const SEED: u64 = 2015;
const ROUNDS: usize = 30;
/// 10 Gbit/s of customer traffic, in bytes per second.
const TOTAL: f64 = 1.25e9;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// One layer of 12 weight-1 VMs on 3 hypervisors; every customer has one /28 and uses it.
fn topology(selector: SelectorKind) -> Result<Topology, Box<dyn Error>> {
    let spec = SyntheticSpec {
        customers: CUSTOMERS,
        layers: 1,
        hypervisors_per_layer: 3,
        vms_per_layer: VMS,
        selector,
        ipv6: false,
        seed: SEED,
        ..SyntheticSpec::default()
    };
    let mut file = generate_config(&spec)?;
    for c in &mut file.customers {
        c.ipv4.truncate(1);
        c.services = vec!["layer0".into()];
    }
    for vm in file
        .layers
        .iter_mut()
        .flat_map(|l| &mut l.hypervisors)
        .flat_map(|h| &mut h.vms)
    {
        vm.weight = Some(1);
    }
    Ok(Topology::from_config(&file)?)
}

/// Zipf(`s`) volumes summing to [`TOTAL`], ranks shuffled over the customers.
fn zipf_loads(topology: &Topology, s: f64) -> BTreeMap<AddressKey, f64> {
    let keys: Vec<AddressKey> = addresses(topology).into_iter().map(|(a, _)| a).collect();
    let mut ranks: Vec<usize> = (1..=keys.len()).collect();
    for i in (1..ranks.len()).rev() {
        ranks.swap(i, (splitmix(SEED ^ i as u64) % (i as u64 + 1)) as usize);
    }
    let weights: Vec<f64> = ranks.iter().map(|&r| (r as f64).powf(-s)).collect();
    let sum: f64 = weights.iter().sum();
    keys.into_iter()
        .zip(weights)
        .map(|(k, w)| (k, TOTAL * w / sum))
        .collect()
}

struct Outcome {
    before: LayerBalance,
    after: LayerBalance,
    moves: usize,
    settled: Option<usize>,
}

/// Runs the planner for [`ROUNDS`] rounds of 10 s on top of `failover`'s live set and
/// overrides, applying each round's moves as overrides.
fn run(
    topology: &Topology,
    failover: &mut Failover,
    loads: &BTreeMap<AddressKey, f64>,
) -> Result<Outcome, Box<dyn Error>> {
    let mut balancer = Balancer::new(BalanceConfig::default())?;
    let measure = |f: &Failover| -> Result<LayerBalance, Box<dyn Error>> {
        let assignment = Assignment::compute(topology, f.live(), f.overrides())?;
        let inputs = layer_inputs(topology, f.live(), &assignment, loads);
        Balancer::measure(&inputs)
            .into_iter()
            .next()
            .ok_or_else(|| "no layer".into())
    };
    let before = measure(failover)?;
    let (mut moves, mut settled) = (0, None);
    for round in 0..ROUNDS {
        let now = round as u64 * 10 * SECOND;
        let assignment = Assignment::compute(topology, failover.live(), failover.overrides())?;
        let inputs = layer_inputs(topology, failover.live(), &assignment, loads);
        let plan = balancer.plan(now, &inputs);
        moves += plan.moves.len();
        let live = failover.live().clone();
        apply_moves(failover.overrides_mut(), topology, &live, &plan.moves, now)?;
        if settled.is_none() && plan.active.is_empty() {
            settled = Some(round + 1);
        }
    }
    Ok(Outcome {
        before,
        after: measure(failover)?,
        moves,
        settled,
    })
}

fn shares(b: &LayerBalance) -> String {
    b.vms
        .iter()
        .map(|v| format!("{:4.1}", 100.0 * v.load / b.total))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), Box<dyn Error>> {
    println!(
        "{CUSTOMERS} customers, Zipf volumes ({:.0} Gbit/s in all), {VMS} equal VMs; planner every 10 s for {ROUNDS} rounds.",
        TOTAL * 8.0 / 1e9
    );
    println!("floor = max(mean, heaviest customer): no placement of whole customers can beat it.");
    println!();
    println!(
        "| scenario                  | s   | max/mean before | floor/mean | max/mean after | max/floor after | moves | settled (rounds) |"
    );
    println!(
        "|---------------------------|-----|----------------:|-----------:|---------------:|----------------:|------:|-----------------:|"
    );
    let mut detail = Vec::new();
    for (selector, name) in [
        (SelectorKind::Md5Mod, "md5mod"),
        (SelectorKind::Maglev, "maglev"),
    ] {
        let topo = topology(selector)?;
        for s in [1.1, 0.8] {
            let loads = zipf_loads(&topo, s);
            let mut failover = Failover::new(&topo, FailoverPolicy::default());
            let o = run(&topo, &mut failover, &loads)?;
            row(name, s, &o);
            if selector == SelectorKind::Maglev && s == 1.1 {
                detail.push(("maglev, s = 1.1", o));
            }
        }
    }
    // A VM fails and recovers: its customers stay pinned where failover put them.
    let topo = topology(SelectorKind::Maglev)?;
    let loads = zipf_loads(&topo, 1.1);
    let mut failover = Failover::new(&topo, FailoverPolicy::default());
    let victim = VmId { layer: 0, index: 5 };
    let down = failover.vm_down(&topo, victim, 0)?;
    let up = failover.vm_up(&topo, victim, SECOND)?;
    let o = run(&topo, &mut failover, &loads)?;
    row("maglev, VM 5 down and up", 1.1, &o);
    println!();
    println!(
        "VM 5 down moved {} customers; back up, {} were pinned where they were ({} pins in all).",
        down.moved.len(),
        up.pinned,
        down.pinned + up.pinned
    );
    detail.push(("maglev, VM 5 down and up", o));
    println!();
    println!("Per-VM share of the load (%), before -> after:");
    for (name, o) in &detail {
        println!("  {name}:");
        println!("    {}", shares(&o.before));
        println!("    {}", shares(&o.after));
    }
    Ok(())
}

fn row(name: &str, s: f64, o: &Outcome) {
    println!(
        "| {name:<25} | {s:.1} | {:>15.3} | {:>10.3} | {:>14.3} | {:>15.3} | {:>5} | {:>16} |",
        o.before.max_over_mean,
        o.after.floor_over_mean,
        o.after.max_over_mean,
        o.after.max_over_floor,
        o.moves,
        o.settled.map_or_else(|| "-".to_string(), |r| r.to_string()),
    );
}
