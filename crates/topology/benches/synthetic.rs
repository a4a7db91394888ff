//! Generation, validation and look-up costs at scale.
//!
//! Target: a 100 000-customer × 6-layer × 64-VM topology generated and validated well under
//! a second. Run: `cargo bench -p flowfall-topology --bench synthetic`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use flowfall_topology::Topology;
use flowfall_topology::synthetic::{SyntheticSpec, generate, generate_config};

fn spec(customers: usize) -> SyntheticSpec {
    SyntheticSpec {
        customers,
        layers: 6,
        hypervisors_per_layer: 8,
        vms_per_layer: 64,
        seed: 42,
        ..SyntheticSpec::default()
    }
}

fn bench_scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("synthetic");
    group.sample_size(10);
    for customers in [1_000, 100_000] {
        let spec = spec(customers);
        group.bench_with_input(
            BenchmarkId::new("generate_config", customers),
            &spec,
            |b, s| b.iter(|| generate_config(black_box(s))),
        );
        let file = generate_config(&spec).unwrap_or_else(|e| panic!("{e}"));
        group.bench_with_input(BenchmarkId::new("validate", customers), &file, |b, f| {
            b.iter(|| Topology::from_config(black_box(f)))
        });
        group.bench_with_input(BenchmarkId::new("generate", customers), &spec, |b, s| {
            b.iter(|| generate(black_box(s)))
        });
    }
    let text = file_text(10_000);
    group.bench_function("parse_toml/10000", |b| {
        b.iter(|| Topology::from_toml_str(black_box(&text)))
    });
    group.finish();
}

fn file_text(customers: usize) -> String {
    flowfall_topology::synthetic::generate_toml(&spec(customers)).unwrap_or_else(|e| panic!("{e}"))
}

fn bench_lookup(c: &mut Criterion) {
    let topo = generate(&spec(100_000)).unwrap_or_else(|e| panic!("{e}"));
    // Customer i owns 10.0.0.0 + 16·i /28: probe inside, spread over the table.
    let probes: Vec<IpAddr> = (0..1024u32)
        .map(|i| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + ((i * 97) << 4) + 5)))
        .collect();
    c.bench_function("customer_for_address/100000", |b| {
        b.iter(|| {
            probes
                .iter()
                .filter(|&&a| topo.customer_for_address(black_box(a)).is_some())
                .count()
        })
    });
    c.bench_function("role/100000", |b| {
        b.iter(|| {
            (1..=1024u32)
                .filter(|&p| topo.role(0, black_box(p * 97)).is_some())
                .count()
        })
    });
}

criterion_group!(benches, bench_scale, bench_lookup);
criterion_main!(benches);
