//! Time per VM change of the failover pin computation ([`Failover::vm_down`] /
//! [`Failover::vm_up`]), the work the controller does for every VM that goes down or comes
//! back before it recompiles: a Maglev layer of `VMS` VMs, its VMs failing and recovering in
//! turn, `ROUNDS` rounds, as the lab's failover test does (tests/health_e2e.rs).
//!
//! `cargo run --release -p flowfall-health --example failover_timing` (or without `--release`
//! for the debug build the lab tests run).
//!
//! Prints, per topology size, the median and maximum time of a Down and of an Up, in
//! milliseconds. The failover keeps its layers' choosers ([`flowfall_health::assign::ChooserCache`]),
//! so only the first Down of each VM builds a selector table (the maximum). A measurement
//! tool, not a test: nothing is asserted on the times.

use std::error::Error;
use std::time::{Duration, Instant};

use flowfall_health::failover::{Failover, FailoverPolicy};
use flowfall_topology::synthetic::{SyntheticSpec, generate};
use flowfall_topology::{SelectorKind, VmId};

const VMS: usize = 3;
const ROUNDS: usize = 10;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median and maximum of `times`, in milliseconds.
fn summary(times: &mut [Duration]) -> (f64, f64) {
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let max = times.last().copied().unwrap_or_default();
    (ms(median), ms(max))
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("customers  layers  down median/max ms  up median/max ms");
    for customers in [20, 10_000] {
        let spec = SyntheticSpec {
            customers,
            layers: 2,
            hypervisors_per_layer: 1,
            vms_per_layer: VMS,
            selector: SelectorKind::Maglev,
            seed: 11,
            ipv6: false,
            ..Default::default()
        };
        let topology = generate(&spec)?;
        let mut failover = Failover::new(&topology, FailoverPolicy::default());
        // As the controller does when health is enabled.
        failover.warm(&topology)?;
        let (mut downs, mut ups) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let vm = VmId {
                layer: 0,
                index: round % VMS,
            };
            let at = round as u64 * 2;
            let t = Instant::now();
            failover.vm_down(&topology, vm, at)?;
            downs.push(t.elapsed());
            let t = Instant::now();
            failover.vm_up(&topology, vm, at + 1)?;
            ups.push(t.elapsed());
        }
        let (down_median, down_max) = summary(&mut downs);
        let (up_median, up_max) = summary(&mut ups);
        println!(
            "{customers:>9}  {:>6}  {down_median:>9.2} / {down_max:<7.2}  {up_median:>7.2} / {up_max:.2}",
            spec.layers
        );
    }
    Ok(())
}
