//! Prints, per algorithm and layer size N: load balance over 1M pseudo-random IPv4 addresses,
//! the share of keys that move when one member leaves, and how closely a weighted layer (one
//! weight-10 "hardware box" beside N−1 weight-1 VMs) follows its weights.
//!
//! `cargo run --release -p flowfall-select --example balance`
//!
//! The addresses come from a fixed seed, so every run prints the same table.

use flowfall_select::metrics::{
    loads, moved_share, peak_to_mean, sample_ipv4_keys, weighted_share_error,
};
use flowfall_select::{Algorithm, Key, Member, SelectError};

const KEYS: usize = 1_000_000;
const SEED: u64 = 2015;
const SIZES: [u64; 4] = [2, 12, 64, 256];

fn main() -> Result<(), SelectError> {
    let keys: Vec<Key> = sample_ipv4_keys(SEED, KEYS).collect();
    println!("{KEYS} random IPv4 addresses (seed {SEED}); equal weights unless stated.");
    println!();
    println!(
        "| algorithm  |   N | max/mean load | moved when 1 leaves | expected | weighted: box share (want) | max share error |"
    );
    println!(
        "|------------|----:|--------------:|--------------------:|---------:|---------------------------:|----------------:|"
    );
    for algorithm in Algorithm::ALL {
        for n in SIZES {
            // Member ids are spread out, as VM ids derived from names would be.
            let members: Vec<Member> = (0..n).map(|i| Member::new(i * 1_000_003 + 17, 1)).collect();
            let selector = algorithm.build(&members)?;
            let balance = peak_to_mean(&loads(&selector, keys.iter().copied()));

            let mut rest = members.clone();
            rest.remove(members.len() / 2);
            let after = algorithm.build(&rest)?;
            let moved = moved_share(&selector, &after, keys.iter().copied());
            let nf = n as f64;
            let expected = if algorithm.is_consistent() {
                1.0 / nf
            } else {
                (nf - 1.0) / nf
            };

            let mut weighted = members.clone();
            if let Some(first) = weighted.first_mut() {
                first.weight = 10;
            }
            let weighted = algorithm.build(&weighted)?;
            let weighted_loads = loads(&weighted, keys.iter().copied());
            let box_share = weighted_loads.first().copied().unwrap_or(0) as f64 / KEYS as f64;
            let box_want = 10.0 / (nf + 9.0);
            let share_error = weighted_share_error(&weighted, &weighted_loads);

            println!(
                "| {:<10} | {n:>3} | {balance:>13.4} | {:>18.2}% | {:>7.2}% | {:>14.2}% ({:>6.2}%) | {:>14.2}% |",
                algorithm.name(),
                moved * 100.0,
                expected * 100.0,
                box_share * 100.0,
                box_want * 100.0,
                share_error * 100.0,
            );
        }
    }
    Ok(())
}
