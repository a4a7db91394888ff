//! A small, fast, non-cryptographic hasher for the compiler's internal maps (entry keys in
//! diffs, owner ids): the multiply-rotate scheme of rustc's `FxHasher`. The keys come from the
//! operator's configuration, not from the network, so hash flooding is not a concern here; the
//! standard library's SipHash made diff hashing a tenth of an incremental recompile. Public
//! for controllers keying maps by compiled entries (e.g. a belief of what each switch holds).

use std::hash::{BuildHasherDefault, Hasher};

/// The hasher state.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..rest.len()) {
                dst.copy_from_slice(rest);
            }
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The state with its high bits folded into the low ones (a `fmix64`-style finaliser):
    /// the multiply leaves a word's high bytes only in the high bits of the state, and hash
    /// tables pick buckets by the low bits, so keys differing only in e.g. the last octet
    /// of an IPv4 address (the high byte of its word) would all share a bucket.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

/// `BuildHasher` for [`FxHasher`].
pub type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    #[test]
    fn distinguishes_nearby_keys() {
        let b = FxBuild::default();
        let hashes: HashSet<u64> = (0u32..10_000).map(|i| b.hash_one((i, [0u8; 3]))).collect();
        assert_eq!(hashes.len(), 10_000);
        let mut a = b.build_hasher();
        a.write(b"abc");
        let mut c = b.build_hasher();
        c.write(b"abc\0");
        assert_ne!(a.finish(), c.finish());
    }

    #[test]
    fn high_bytes_reach_the_low_bits() {
        // IPv4 addresses differing in their last octet (the high byte of the hashed word):
        // the low 16 bits, which pick the bucket of a table of 65,536, must differ too.
        let b = FxBuild::default();
        let low: HashSet<u64> = (0u32..=255)
            .map(|i| b.hash_one([10u8, 0, 0, i as u8]) & 0xffff)
            .collect();
        assert!(low.len() > 250, "{} distinct low halves", low.len());
    }
}
