//! The stable, non-cryptographic hash that [`Rendezvous`](crate::Rendezvous) and
//! [`Maglev`](crate::Maglev) use.
//!
//! std's `DefaultHasher`/`RandomState` are neither seeded identically across processes nor
//! promised to stay the same across Rust releases, so a selection built on them would differ
//! between a controller and its replica. These functions are fixed by this crate: integer
//! arithmetic on `u64` (wrapping), little-endian word loading, so every platform, run and
//! release gives the same output. Their outputs are part of the crate's compatibility contract
//! (pinned by unit tests); changing them moves customers between VMs.
//!
//! The mixer is the 64-bit finalizer of SplitMix64 (Steele, Lea, Flood, "Fast splittable
//! pseudorandom number generators", OOPSLA 2014), a bijection of `u64` with full avalanche.

/// Odd constant 2^64 / φ, used to separate the length, seeds and words.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Seed of [`key_hash`].
const KEY_SEED: u64 = 0x464C_4F57_4641_4C4C; // "FLOWFALL"

/// The SplitMix64 finalizer: a bijective mix of a `u64` in which every input bit affects every
/// output bit.
///
/// ```
/// use flowfall_select::hash::mix64;
/// assert_eq!(mix64(0), 0);
/// assert_ne!(mix64(1), mix64(2));
/// ```
pub const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Hashes `bytes` under `seed`.
///
/// `h = mix64(seed ^ len·GOLDEN)`, then for each 8-byte chunk (the last one zero-padded) read
/// little-endian as `w`: `h = mix64(h ^ w) + GOLDEN` (wrapping). The length enters first, so
/// zero padding cannot make two inputs of different length collide by construction.
pub fn hash_bytes(bytes: &[u8], seed: u64) -> u64 {
    let len = bytes.len() as u64;
    let mut h = mix64(seed ^ len.wrapping_mul(GOLDEN));
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        for (dst, src) in word.iter_mut().zip(chunk) {
            *dst = *src;
        }
        h = mix64(h ^ u64::from_le_bytes(word)).wrapping_add(GOLDEN);
    }
    h
}

/// The hash of a key as Rendezvous and Maglev use it: [`hash_bytes`] of
/// [`Key::as_bytes`](crate::Key::as_bytes) under a fixed seed.
pub fn key_hash(key: &crate::Key) -> u64 {
    hash_bytes(key.as_bytes(), KEY_SEED)
}

/// A 64-bit value derived from a member id under a per-use salt, so that one id yields
/// independent values for different uses (Rendezvous seed, Maglev offset, Maglev skip).
pub const fn id_hash(id: u64, salt: u64) -> u64 {
    mix64(mix64(id ^ salt).wrapping_add(GOLDEN))
}

/// Maps a uniform `h` onto `0..n` by multiply-shift (`⌊h·n / 2^64⌋`, Lemire 2019): uniform
/// like `h mod n` without a division.
pub const fn reduce(h: u64, n: u64) -> u64 {
    ((h as u128 * n as u128) >> 64) as u64
}

/// `-ln(u)` for `u = (⌊h / 2^11⌋ + 1) / 2^53 ∈ (0, 1]`: an exponential variate for weighted
/// rendezvous hashing.
///
/// Computed with IEEE 754 `+ − × ÷` only, which are correctly rounded and therefore
/// bit-identical on every platform (unlike the platform `ln`): `u = 2^e·f` with
/// `f ∈ [√½, √2)`, then `ln f = 2·atanh(s)`, `s = (f−1)/(f+1)`, summed to `s^23` (`|s| ≤
/// 0.1716`, truncation error below 1e-17).
pub(crate) fn neg_ln_unit(h: u64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    const SQRT_2: f64 = std::f64::consts::SQRT_2;
    // 1/(2k+1) for k = 11 down to 1, for Horner's scheme in s².
    const INV_ODD: [f64; 11] = [
        1.0 / 23.0,
        1.0 / 21.0,
        1.0 / 19.0,
        1.0 / 17.0,
        1.0 / 15.0,
        1.0 / 13.0,
        1.0 / 11.0,
        1.0 / 9.0,
        1.0 / 7.0,
        1.0 / 5.0,
        1.0 / 3.0,
    ];
    // m ∈ [1, 2^53]: exactly representable.
    let m = (h >> 11) + 1;
    let mut exp = 63 - m.leading_zeros(); // m = 2^exp · f, f ∈ [1, 2)
    // Exact: m < 2^54 converts exactly and scaling by a power of two only moves the exponent.
    let mut f = m as f64 * f64::from_bits(u64::from(1023 - exp) << 52);
    if f > SQRT_2 {
        f /= 2.0;
        exp += 1;
    }
    let s = (f - 1.0) / (f + 1.0);
    let s2 = s * s;
    let mut series = 0.0;
    for c in INV_ODD {
        series = (series + c) * s2;
    }
    let ln_f = 2.0 * s * (1.0 + series);
    // ln u = ln m − 53·ln 2 = exp·ln 2 + ln f − 53·ln 2
    (53 - i64::from(exp)) as f64 * LN_2 - ln_f
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pinned outputs: if one of these changes, every deployed selection changes.
    #[test]
    fn outputs_are_pinned() {
        // SplitMix64's first output for seed 0 is mix64(GOLDEN) = 0xE220A8397B1DCDAF
        // (the published reference value): checks the mixer against an outside source.
        assert_eq!(mix64(GOLDEN), 0xE220_A839_7B1D_CDAF);
        assert_eq!(mix64(1), 0x5692_161D_100B_05E5);
        assert_eq!(hash_bytes(&[], 5), 0xB6BF_613D_BEBB_45DC);
        assert_eq!(hash_bytes(&[10, 0, 0, 1], KEY_SEED), 0x02E5_5F4A_B623_83C3);
        assert_eq!(id_hash(7, 0), 0x863B_891F_4C0A_BD4F);
    }

    #[test]
    fn length_separates_zero_padding() {
        assert_ne!(hash_bytes(&[0], 0), hash_bytes(&[0, 0], 0));
        assert_ne!(
            hash_bytes(&[1, 0, 0, 0], 0),
            hash_bytes(&[1, 0, 0, 0, 0], 0)
        );
    }

    #[test]
    fn neg_ln_extremes() {
        assert_eq!(neg_ln_unit(u64::MAX), 0.0); // u = 1
        let smallest = neg_ln_unit(0); // u = 2^-53
        assert!((smallest - 53.0 * std::f64::consts::LN_2).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn neg_ln_matches_std(h in any::<u64>()) {
            let u = ((h >> 11) + 1) as f64 / (1u64 << 53) as f64;
            let want = -u.ln();
            let got = neg_ln_unit(h);
            prop_assert!((got - want).abs() <= 1e-14 * want.max(1e-3), "h={h} got={got} want={want}");
        }

        #[test]
        fn neg_ln_is_monotone(a in any::<u64>(), b in any::<u64>()) {
            let (lo, hi) = if (a >> 11) <= (b >> 11) { (a, b) } else { (b, a) };
            prop_assert!(neg_ln_unit(lo) >= neg_ln_unit(hi));
        }

        #[test]
        fn reduce_stays_in_range(h in any::<u64>(), n in 1u64..) {
            prop_assert!(reduce(h, n) < n);
        }
    }
}
