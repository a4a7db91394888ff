//! ns per selection for each algorithm at N = 2, 12, 64, 256 members, and the time to build a
//! selector (Maglev fills its table then).
//!
//! `cargo bench -p flowfall-select -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flowfall_select::metrics::sample_ipv4_keys;
use flowfall_select::{Algorithm, Key, Member, Selector};

const SIZES: [u64; 4] = [2, 12, 64, 256];
/// Keys per iteration: a batch, so the per-key figure does not include loop overhead noise.
const BATCH: usize = 1024;

fn layer(n: u64, weighted: bool) -> Vec<Member> {
    (0..n)
        .map(|i| Member::new(i * 1_000_003 + 17, if weighted && i == 0 { 10 } else { 1 }))
        .collect()
}

fn select(c: &mut Criterion) {
    let keys: Vec<Key> = sample_ipv4_keys(7, BATCH).collect();
    for (label, weighted) in [("select", false), ("select-weighted", true)] {
        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Elements(BATCH as u64));
        for algorithm in Algorithm::ALL {
            for n in SIZES {
                let selector = algorithm
                    .build(&layer(n, weighted))
                    .expect("distinct ids and non-zero weights");
                group.bench_with_input(BenchmarkId::new(algorithm.name(), n), &keys, |b, keys| {
                    b.iter(|| {
                        for key in keys {
                            black_box(selector.select(black_box(key)));
                        }
                    })
                });
            }
        }
        group.finish();
    }
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    for algorithm in Algorithm::ALL {
        for n in SIZES {
            let members = layer(n, false);
            group.bench_with_input(BenchmarkId::new(algorithm.name(), n), &members, |b, m| {
                b.iter(|| black_box(algorithm.build(black_box(m))))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, select, build);
criterion_main!(benches);
