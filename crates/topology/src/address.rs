//! Customer addresses: parsing hosts and prefixes, finding overlaps, and the address index
//! behind [`Topology::customer_for_address`](crate::Topology::customer_for_address).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Parses `"10.1.2.0/24"` or a bare host `"10.1.2.5"` (a /32).
///
/// # Errors
/// A message naming the text and what is wrong (including host bits set under the mask).
pub(crate) fn parse_ipv4(text: &str) -> Result<Ipv4Net, String> {
    parse_net(text, "IPv4", |a: Ipv4Addr| Ipv4Net::new(a, 32).ok())
}

/// Parses `"2001:db8::/64"` or a bare host (a /128).
///
/// # Errors
/// As [`parse_ipv4`].
pub(crate) fn parse_ipv6(text: &str) -> Result<Ipv6Net, String> {
    parse_net(text, "IPv6", |a: Ipv6Addr| Ipv6Net::new(a, 128).ok())
}

/// The shared shape of the two parsers: `host` turns a bare address into a full-length net.
fn parse_net<N, A>(text: &str, family: &str, host: impl Fn(A) -> Option<N>) -> Result<N, String>
where
    N: std::str::FromStr + Copy + PartialEq + std::fmt::Display + Trunc,
    A: std::str::FromStr,
{
    let net = if text.contains('/') {
        text.parse::<N>().ok()
    } else {
        text.parse::<A>().ok().and_then(host)
    };
    let net = net.ok_or_else(|| {
        format!(
            "`{text}` is not an {family} address or prefix (expected e.g. {example})",
            example = N::EXAMPLE
        )
    })?;
    let trunc = net.trunc();
    if trunc != net {
        return Err(format!(
            "`{text}` has host bits set under its mask; did you mean {trunc}?"
        ));
    }
    Ok(net)
}

/// What [`parse_net`] needs of a prefix type beyond parsing.
trait Trunc {
    const EXAMPLE: &'static str;
    fn trunc(&self) -> Self;
}

impl Trunc for Ipv4Net {
    const EXAMPLE: &'static str = "10.1.2.0/24 or 10.1.2.5";
    fn trunc(&self) -> Self {
        Ipv4Net::trunc(self)
    }
}

impl Trunc for Ipv6Net {
    const EXAMPLE: &'static str = "2001:db8:1::/64 or 2001:db8::1";
    fn trunc(&self) -> Self {
        Ipv6Net::trunc(self)
    }
}

/// An address as a totally ordered key: IPv4 `(4, a)` sorts before every IPv6 `(6, a)`, so
/// both families share one sorted table and never overlap each other.
pub(crate) type AddrKey = (u8, u128);

/// The key of an address.
pub(crate) fn key(addr: IpAddr) -> AddrKey {
    match addr {
        IpAddr::V4(a) => (4, u128::from(u32::from(a))),
        IpAddr::V6(a) => (6, u128::from(a)),
    }
}

/// The inclusive key range `[first, last]` a prefix covers.
pub(crate) fn range(net: &IpNet) -> (AddrKey, AddrKey) {
    (key(net.network()), key(net.broadcast()))
}

/// Finds overlapping ranges among `(start, end, id)` (inclusive). Returns `(inner, outer)` id
/// pairs: every range that overlaps an earlier-starting or enclosing one is reported once,
/// against the widest open range it falls in. For CIDR prefixes overlap means nesting (or
/// equality), so this finds every prefix that overlaps anything.
pub(crate) fn overlaps<T: Ord + Copy>(ranges: &mut [(T, T, usize)]) -> Vec<(usize, usize)> {
    // Same start: the wider range first, so it is the open one when the narrower arrives.
    ranges.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let mut found = Vec::new();
    let mut open: Option<(T, usize)> = None;
    for &(start, end, id) in ranges.iter() {
        match open {
            Some((open_end, open_id)) if start <= open_end => {
                found.push((id, open_id));
                if end > open_end {
                    open = Some((end, id));
                }
            }
            _ => open = Some((end, id)),
        }
    }
    found
}

/// Sorted, non-overlapping address ranges (both families), each owned by a customer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct AddressIndex {
    ranges: Vec<(AddrKey, AddrKey, usize)>,
}

impl AddressIndex {
    /// Builds the index from non-overlapping `(first, last, customer)` ranges.
    pub(crate) fn new(mut ranges: Vec<(AddrKey, AddrKey, usize)>) -> Self {
        ranges.sort_unstable();
        AddressIndex { ranges }
    }

    /// The customer whose prefixes contain `addr`.
    pub(crate) fn lookup(&self, addr: IpAddr) -> Option<usize> {
        let key = key(addr);
        let after = self.ranges.partition_point(|&(start, _, _)| start <= key);
        let &(_, end, owner) = self.ranges.get(after.checked_sub(1)?)?;
        (key <= end).then_some(owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_hosts_and_prefixes() {
        assert_eq!(parse_ipv4("10.1.2.5").map(|n| n.prefix_len()), Ok(32));
        assert_eq!(
            parse_ipv4("10.1.2.0/24").map(|n| n.to_string()),
            Ok("10.1.2.0/24".into())
        );
        assert_eq!(parse_ipv6("2001:db8::1").map(|n| n.prefix_len()), Ok(128));
        assert_eq!(
            parse_ipv4("10.1.2.5/24"),
            Err("`10.1.2.5/24` has host bits set under its mask; did you mean 10.1.2.0/24?".into())
        );
        assert!(parse_ipv4("10.1.2").is_err());
        assert!(parse_ipv4("10.1.2.0/33").is_err());
        assert!(parse_ipv4("2001:db8::/64").is_err());
        assert!(parse_ipv6("10.0.0.0/8").is_err());
    }

    fn ranges(texts: &[&str]) -> Vec<(AddrKey, AddrKey, usize)> {
        let net = |t: &&str| t.parse::<IpNet>().unwrap_or_else(|e| panic!("{t}: {e}"));
        let ranges = texts.iter().map(net).map(|n| range(&n));
        ranges.enumerate().map(|(i, (s, e))| (s, e, i)).collect()
    }

    #[test]
    fn overlaps_nested_equal_and_disjoint() {
        let mut r = ranges(&[
            "10.0.0.0/8",
            "10.1.0.0/16",
            "192.0.2.0/24",
            "192.0.2.0/24",
            "198.51.100.0/24",
            "10.200.0.1/32",
            "::/0",
            "2001:db8::/32",
        ]);
        let mut found = overlaps(&mut r);
        found.sort_unstable();
        assert_eq!(found, vec![(1, 0), (3, 2), (5, 0), (7, 6)]);
    }

    #[test]
    fn index_lookup() {
        let idx = AddressIndex::new(ranges(&[
            "10.0.0.0/30",
            "10.0.0.16/29",
            "::/126",
            "::a/128",
        ]));
        let owner = |a: &str| idx.lookup(a.parse().unwrap_or_else(|e| panic!("{a}: {e}")));
        assert_eq!(owner("10.0.0.0"), Some(0));
        assert_eq!(owner("10.0.0.3"), Some(0));
        assert_eq!(owner("10.0.0.4"), None);
        assert_eq!(owner("10.0.0.23"), Some(1));
        assert_eq!(owner("10.0.0.24"), None);
        assert_eq!(owner("0.0.0.0"), None);
        assert_eq!(owner("255.255.255.255"), None);
        assert_eq!(owner("::3"), Some(2));
        assert_eq!(owner("::4"), None);
        assert_eq!(owner("::a"), Some(3));
        assert_eq!(owner("ffff::"), None);
    }

    proptest! {
        /// `overlaps` reports a range iff it intersects another one (brute force oracle).
        #[test]
        fn overlaps_matches_brute_force(nets in proptest::collection::vec((any::<u32>(), 0u8..=32), 0..40)) {
            let mut ranges: Vec<(AddrKey, AddrKey, usize)> = nets
                .iter()
                .enumerate()
                .filter_map(|(i, &(a, len))| Ipv4Net::new(Ipv4Addr::from(a), len).ok().map(|n| {
                    let (s, e) = range(&IpNet::V4(n.trunc()));
                    (s, e, i)
                }))
                .collect();
            let all = ranges.clone();
            let found = overlaps(&mut ranges);
            for &(s, e, i) in &all {
                let intersects = all.iter().any(|&(s2, e2, j)| j != i && s <= e2 && s2 <= e);
                let reported = found.iter().any(|&(a, b)| a == i || b == i);
                prop_assert_eq!(intersects, reported, "range {}", i);
            }
            for &(a, b) in &found {
                let (ra, rb) = (all[a], all[b]);
                prop_assert!(ra.0 <= rb.1 && rb.0 <= ra.1);
            }
        }
    }
}
