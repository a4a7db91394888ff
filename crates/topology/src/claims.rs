//! [`Claims`]: values that must be unique (names, MACs, switch ports), each claimed by a
//! place in the file; duplicates are found by one stable sort, without hashing.

/// Claims of keys `K`, each with metadata `M` (where it was claimed).
#[derive(Debug)]
pub(crate) struct Claims<K, M> {
    entries: Vec<(K, M)>,
}

impl<K: Ord, M> Claims<K, M> {
    pub(crate) fn new() -> Self {
        Claims {
            entries: Vec::new(),
        }
    }

    /// Records that `meta` uses `key`.
    pub(crate) fn claim(&mut self, key: K, meta: M) {
        self.entries.push((key, meta));
    }

    /// Every claim of a key already claimed earlier: `(key, this claim, first claim)`, by key.
    pub(crate) fn duplicates(&mut self) -> Vec<(&K, &M, &M)> {
        // Stable: claims of one key stay in claim order, so the first is the earliest.
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        for run in self.entries.chunk_by(|a, b| a.0 == b.0) {
            if let Some(((key, first), rest)) = run.split_first().map(|(f, r)| ((&f.0, &f.1), r)) {
                out.extend(rest.iter().map(|(_, later)| (key, later, first)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_later_claims_against_the_first() {
        let mut c = Claims::new();
        for (key, at) in [(5, "a"), (3, "b"), (5, "c"), (5, "d"), (1, "e")] {
            c.claim(key, at);
        }
        let dups: Vec<(i32, &str, &str)> = c
            .duplicates()
            .into_iter()
            .map(|(k, l, f)| (*k, *l, *f))
            .collect();
        assert_eq!(dups, vec![(5, "c", "a"), (5, "d", "a")]);
    }
}
