//! Flow-table compilation benchmarks (issue item 3).
//!
//! - `compile/shownet2015`: the ShowNet 2015 layout (examples/configs/shownet2015.toml).
//! - `compile/synthetic/{1000,10000,100000}`: synthetic chains of 6 layers x 64 VMs (8
//!   hypervisors, Maglev), N customers (each a /28, every third also a /32 host).
//! - `incremental/vm_down/100000`: the recompile after one VM of layer 0 dies.
//! - `incremental/override_move/100000`: one customer address moved to another VM of layer 0
//!   by a VM override ([`VmOverrides`], what failover pinning and load balancing do).
//! - `incremental/bypass_down/100000`: one of layer 0's bypass links dies (this chain has 4
//!   per layer, so its addresses move to the other 3).
//!
//! Throughput is in flow entries, so criterion prints flows per second. Freeing the tables is
//! not timed (a controller keeps them). With `--bench`, a
//! summary follows: flows/s per size, the log-log slope of time against customers between
//! sizes (1.0 = linear) with the marginal cost per entry, and the share of addresses the one-VM
//! diff touches next to the share that crossed the dead VM.
//!
//! Run: `cargo bench --bench compile` (a subset: `cargo bench --bench compile -- shownet`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use flowfall_compile::{
    AddressId, BypassId, Compilation, Diff, Hop, LiveBypass, LiveVms, VmOverrides,
};
use flowfall_topology::synthetic::{SyntheticSpec, generate};
use flowfall_topology::{SelectorKind, Topology, VmId};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn spec(customers: usize, selector: SelectorKind) -> SyntheticSpec {
    SyntheticSpec {
        customers,
        layers: 6,
        hypervisors_per_layer: 8,
        vms_per_layer: 64,
        bypass_per_layer: 1,
        selector,
        ipv6: false,
        ..SyntheticSpec::default()
    }
}

fn generated(spec: &SyntheticSpec) -> Arc<Topology> {
    match generate(spec) {
        Ok(t) => Arc::new(t),
        Err(e) => panic!("synthetic topology: {e}"),
    }
}

fn synthetic(customers: usize, selector: SelectorKind) -> Arc<Topology> {
    generated(&spec(customers, selector))
}

/// The chain of [`synthetic`] with 4 bypass links per layer.
fn with_four_bypass(customers: usize) -> Arc<Topology> {
    generated(&SyntheticSpec {
        bypass_per_layer: 4,
        ..spec(customers, SelectorKind::Maglev)
    })
}

/// The overrides moving the first address using layer 0 to the next VM of that layer.
fn move_one(c: &Compilation) -> VmOverrides {
    let mut pins = VmOverrides::new();
    let found = (0..c.addresses().len()).find_map(|i| {
        let vm = *c
            .chosen_vms(AddressId(i))
            .first()
            .filter(|v| v.layer == 0)?;
        Some((c.address(AddressId(i))?, vm))
    });
    let Some((a, vm)) = found else {
        panic!("no address crosses layer 0");
    };
    let layer = c.topology().layer(0).map_or(1, |l| l.vms.len());
    let name = c
        .topology()
        .customer(a.customer)
        .map_or_else(String::new, |x| x.name.clone());
    let to = VmId {
        layer: 0,
        index: (vm.index + 1) % layer,
    };
    pins.insert(name, a.prefix, to);
    pins
}

/// Layer 0's first bypass link down.
fn bypass_down(t: &Topology) -> LiveBypass {
    match LiveBypass::all(t).without(BypassId { layer: 0, index: 0 }) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    }
}

/// Runs `f` on a fresh clone of `base` `runs` times; the median time and the last diff.
fn diff_timed(
    base: &Compilation,
    runs: usize,
    mut f: impl FnMut(&mut Compilation) -> Result<Diff, flowfall_compile::Error>,
) -> (Duration, Diff) {
    let mut times = Vec::new();
    let mut diff = Diff::default();
    for _ in 0..runs {
        let mut c = base.clone();
        let start = Instant::now();
        let d = f(&mut c);
        times.push(start.elapsed());
        match d {
            Ok(d) => diff = d,
            Err(e) => panic!("{e}"),
        }
    }
    (median(times), diff)
}

fn compile(t: &Arc<Topology>) -> Compilation {
    match Compilation::new(Arc::clone(t), LiveVms::all(t), 1) {
        Ok(c) => c,
        Err(e) => panic!("compile: {e}"),
    }
}

/// Compile and build every switch's table; returns the entry count.
fn compile_tables(t: &Arc<Topology>) -> usize {
    compile(t).tables().len()
}

fn shownet() -> Arc<Topology> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/configs/shownet2015.toml"
    );
    match Topology::from_file(path) {
        Ok(t) => Arc::new(t),
        Err(e) => panic!("{path}: {e}"),
    }
}

fn bench_compile(c: &mut Criterion) {
    let mut g = c.benchmark_group("compile");
    let t = shownet();
    g.throughput(Throughput::Elements(compile_tables(&t) as u64));
    g.bench_function("shownet2015", |b| {
        b.iter_with_large_drop(|| compile(black_box(&t)).tables())
    });
    for n in SIZES {
        let t = synthetic(n, SelectorKind::Maglev);
        g.throughput(Throughput::Elements(compile_tables(&t) as u64));
        if n >= 100_000 {
            g.sample_size(10);
            g.measurement_time(Duration::from_secs(20));
        }
        g.bench_with_input(BenchmarkId::new("synthetic", n), &t, |b, t| {
            b.iter_with_large_drop(|| compile(black_box(t)).tables())
        });
    }
    g.finish();
}

/// The first VM of layer 0, and the live set without it.
fn one_down(t: &Topology) -> LiveVms {
    let vm = VmId { layer: 0, index: 0 };
    match LiveVms::all(t).without(vm) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    }
}

fn bench_incremental(c: &mut Criterion) {
    let mut g = c.benchmark_group("incremental");
    g.sample_size(20);
    let n = 100_000;
    let t = synthetic(n, SelectorKind::Maglev);
    let base = compile(&t);
    let live = one_down(&t);
    g.bench_function(BenchmarkId::new("vm_down", n), |b| {
        b.iter_batched(
            || base.clone(),
            |mut c| match c.set_live(live.clone(), 2) {
                Ok(d) => d,
                Err(e) => panic!("{e}"),
            },
            BatchSize::LargeInput,
        )
    });
    let pins = move_one(&base);
    g.bench_function(BenchmarkId::new("override_move", n), |b| {
        b.iter_batched(
            || base.clone(),
            |mut c| match c.set_overrides(pins.clone(), 2) {
                Ok(d) => d,
                Err(e) => panic!("{e}"),
            },
            BatchSize::LargeInput,
        )
    });
    let t4 = with_four_bypass(n);
    let base4 = compile(&t4);
    let links = bypass_down(&t4);
    g.bench_function(BenchmarkId::new("bypass_down", n), |b| {
        b.iter_batched(
            || base4.clone(),
            |mut c| match c.set_live_bypass(links.clone(), 2) {
                Ok(d) => d,
                Err(e) => panic!("{e}"),
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Median time of `runs` calls of `f`, freeing each result outside the timing.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                let out = black_box(f());
                let took = start.elapsed();
                drop(out);
                took
            })
            .collect(),
    )
}

/// Flows/s per size, the scaling slope, and the one-VM diff's reach.
fn summary() {
    println!("\nsummary (median of 3 runs each)");
    let t = shownet();
    let d = timed(101, || compile(&t).tables());
    let entries = compile_tables(&t);
    println!(
        "  shownet2015: {entries} entries in {:.1} us",
        d.as_secs_f64() * 1e6
    );
    let mut points: Vec<(f64, f64, f64)> = Vec::new(); // customers, entries, seconds
    for n in SIZES {
        let t = synthetic(n, SelectorKind::Maglev);
        let flows = compile_tables(&t);
        let d = timed(3, || compile(&t).tables());
        let rate = flows as f64 / d.as_secs_f64();
        println!(
            "  {n:>6} customers: {flows:>8} entries in {:>8.1} ms = {:.2} M flows/s",
            d.as_secs_f64() * 1e3,
            rate / 1e6
        );
        points.push((n as f64, flows as f64, d.as_secs_f64()));
    }
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let slope = (b.2.ln() - a.2.ln()) / (b.0.ln() - a.0.ln());
        let marginal = (b.2 - a.2) / (b.1 - a.1);
        println!(
            "  {:.0} -> {:.0} customers: slope d(log time)/d(log customers) = {slope:.2} \
             (1 = linear); marginal {:.0} ns per entry = {:.2} M flows/s",
            a.0,
            b.0,
            marginal * 1e9,
            1e-6 / marginal
        );
    }
    let dead = VmId { layer: 0, index: 0 };
    let mut vm_down = Duration::ZERO;
    for selector in [
        SelectorKind::Maglev,
        SelectorKind::Rendezvous,
        SelectorKind::Md5Mod,
    ] {
        let t = synthetic(100_000, selector);
        let base = compile(&t);
        let live = one_down(&t);
        let users = base
            .addresses()
            .iter()
            .filter(|a| a.services.contains(0))
            .count();
        let on_vm = (0..base.addresses().len())
            .filter(|&i| base.chosen_vms(AddressId(i)).contains(&dead))
            .count();
        let (took, diff) = diff_timed(&base, 3, |c| c.set_live(live.clone(), 2));
        let touched = diff.address_owners().len();
        let pct = |x: usize| 100.0 * x as f64 / users.max(1) as f64;
        let layer = t.layer(0);
        println!(
            "  one VM down, 100000 customers, {selector}: {:.1} ms, {} ops; {touched} of {users} \
             layer-0 addresses touched ({:.2}%); {on_vm} ({:.2}%) crossed the dead VM \
             (weight {} of {})",
            took.as_secs_f64() * 1e3,
            diff.len(),
            pct(touched),
            pct(on_vm),
            layer.and_then(|l| l.vms.first()).map_or(0, |v| v.weight),
            layer.map_or(0, |l| l.total_weight()),
        );
        if selector == SelectorKind::Maglev {
            vm_down = took;
        }
    }
    let t = synthetic(100_000, SelectorKind::Maglev);
    let base = compile(&t);
    let pins = move_one(&base);
    let (took, diff) = diff_timed(&base, 5, |c| c.set_overrides(pins.clone(), 2));
    println!(
        "  move 1 customer via override, 100000 customers: {:.2} ms, {} ops, {} address(es) \
         touched; {:.3}x one VM down (Maglev)",
        took.as_secs_f64() * 1e3,
        diff.len(),
        diff.address_owners().len(),
        took.as_secs_f64() / vm_down.as_secs_f64(),
    );
    let t = with_four_bypass(100_000);
    let base = compile(&t);
    let links = bypass_down(&t);
    let on_link = (0..base.addresses().len())
        .filter(|&i| base.path(AddressId(i)).first() == Some(&Hop::Bypass(0)))
        .count();
    let (took, diff) = diff_timed(&base, 3, |c| c.set_live_bypass(links.clone(), 2));
    println!(
        "  one bypass link of 4 down, 100000 customers: {:.1} ms, {} ops; {} addresses \
         touched, {on_link} used the link; {:.2}x one VM down (Maglev)",
        took.as_secs_f64() * 1e3,
        diff.len(),
        diff.address_owners().len(),
        took.as_secs_f64() / vm_down.as_secs_f64(),
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_compile(&mut c);
    bench_incremental(&mut c);
    c.final_summary();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time") {
        summary();
    }
}
