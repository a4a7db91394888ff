//! Flow cookies: every entry the compiler emits names its owner, so a controller can read a
//! switch's table back (`OFPMP_FLOW`, `ovs-ofctl dump-flows`) and reconcile it entry by entry.
//!
//! # Layout (64 bits, most significant first)
//!
//! | bits    | width | field        | meaning                                                  |
//! |---------|-------|--------------|----------------------------------------------------------|
//! | 63..60  | 4     | `kind`       | [`CookieKind`]: static, anti-spoof, upstream, downstream, punt |
//! | 59..44  | 16    | `generation` | compile generation that *added* the entry (wraps)        |
//! | 43..0   | 44    | `owner`      | [`OwnerId`]: a customer address, a customer port, or 0   |
//!
//! The owner of an address flow is derived from the customer's **name and the prefix**
//! ([`OwnerId::for_address`]), never from list positions, so it survives config reloads that
//! reorder customers. Two addresses hashing to one id are detected at compile time and
//! disambiguated deterministically ([`OwnerTable`]). To select all entries of one owner (e.g.
//! an `OFPFC_DELETE` with a cookie mask, OpenFlow 1.3.5 §6.4), use [`Cookie::owner_filter`].
//!
//! An `OFPFC_MODIFY` keeps an entry's cookie (§6.4), so `generation` records when the entry
//! was added, not when its instructions last changed.

use std::collections::HashSet;
use std::fmt;

use ipnet::IpNet;

use crate::fxhash::FxBuild;

/// Bits of the cookie holding the [`CookieKind`].
pub const KIND_MASK: u64 = 0xf << KIND_SHIFT;
/// Bits of the cookie holding the generation.
pub const GENERATION_MASK: u64 = 0xffff << GENERATION_SHIFT;
/// Bits of the cookie holding the [`OwnerId`].
pub const OWNER_MASK: u64 = (1 << OWNER_BITS) - 1;
/// Width of the owner field.
pub const OWNER_BITS: u32 = 44;

const KIND_SHIFT: u32 = 60;
const GENERATION_SHIFT: u32 = 44;

/// What an entry is for (cookie bits 63..60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CookieKind {
    /// Switch-wide entries: table-miss, the reactive IP-miss entries. Owner 0.
    Static = 1,
    /// The per-customer-port anti-spoofing drop at J0. Owner = the port number.
    AntiSpoof = 2,
    /// Upstream (customer to backbone) entries of one customer address.
    Upstream = 3,
    /// Downstream (backbone to customer) entries of one customer address.
    Downstream = 4,
    /// Reactive mode: the entry sending a customer address's first packet to the controller.
    Punt = 5,
}

impl CookieKind {
    /// Every kind, in value order.
    pub const ALL: [CookieKind; 5] = [
        CookieKind::Static,
        CookieKind::AntiSpoof,
        CookieKind::Upstream,
        CookieKind::Downstream,
        CookieKind::Punt,
    ];

    /// The 4-bit value.
    pub const fn value(self) -> u8 {
        self as u8
    }

    /// The kind with this 4-bit value.
    pub fn from_value(v: u8) -> Option<CookieKind> {
        CookieKind::ALL.into_iter().find(|k| k.value() == v)
    }

    /// Short lower-case name (`static`, `anti-spoof`, `upstream`, `downstream`, `punt`).
    pub const fn name(self) -> &'static str {
        match self {
            CookieKind::Static => "static",
            CookieKind::AntiSpoof => "anti-spoof",
            CookieKind::Upstream => "upstream",
            CookieKind::Downstream => "downstream",
            CookieKind::Punt => "punt",
        }
    }
}

impl fmt::Display for CookieKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A 44-bit owner id (cookie bits 43..0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OwnerId(u64);

impl OwnerId {
    /// The owner of switch-wide entries.
    pub const NONE: OwnerId = OwnerId(0);

    /// An owner id from its value; bits above 44 are dropped.
    pub const fn from_u64(v: u64) -> OwnerId {
        OwnerId(v & OWNER_MASK)
    }

    /// The 44-bit value.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The owner of a customer port's anti-spoofing entry: the port number.
    pub const fn for_port(port: u32) -> OwnerId {
        OwnerId(port as u64)
    }

    /// The hashed owner id of one customer address, before collision handling: FNV-1a 64 over
    /// `name`, a 0 byte, the family tag (4 or 6), the network address bytes and the prefix
    /// length, with `salt` as 8 more bytes, finished with the SplitMix64 mixer and cut to 44
    /// bits. Never 0 (0 is [`OwnerId::NONE`]): a hash of 0 becomes 1.
    pub fn for_address(name: &str, prefix: IpNet, salt: u64) -> OwnerId {
        let mut h = Fnv::new();
        h.bytes(name.as_bytes());
        h.bytes(&[0]);
        match prefix.trunc() {
            IpNet::V4(n) => {
                h.bytes(&[4]);
                h.bytes(&n.network().octets());
            }
            IpNet::V6(n) => {
                h.bytes(&[6]);
                h.bytes(&n.network().octets());
            }
        }
        h.bytes(&[prefix.prefix_len()]);
        h.bytes(&salt.to_be_bytes());
        let v = mix64(h.finish()) & OWNER_MASK;
        OwnerId(v.max(1))
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#013x}", self.0)
    }
}

/// A flow cookie in the layout of the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Cookie(pub u64);

impl Cookie {
    /// Packs a cookie.
    pub const fn new(kind: CookieKind, generation: u16, owner: OwnerId) -> Cookie {
        Cookie(
            ((kind as u64) << KIND_SHIFT)
                | ((generation as u64) << GENERATION_SHIFT)
                | (owner.0 & OWNER_MASK),
        )
    }

    /// The kind, or `None` for a cookie this compiler did not write (kind bits 0 or > 5).
    pub fn kind(self) -> Option<CookieKind> {
        CookieKind::from_value(((self.0 & KIND_MASK) >> KIND_SHIFT) as u8)
    }

    /// The generation that added the entry.
    pub const fn generation(self) -> u16 {
        ((self.0 & GENERATION_MASK) >> GENERATION_SHIFT) as u16
    }

    /// The owner id.
    pub const fn owner(self) -> OwnerId {
        OwnerId(self.0 & OWNER_MASK)
    }

    /// The same cookie with another generation.
    pub const fn with_generation(self, generation: u16) -> Cookie {
        Cookie((self.0 & !GENERATION_MASK) | ((generation as u64) << GENERATION_SHIFT))
    }

    /// The cookie without its generation: what identifies the owner and role of an entry
    /// across compiles.
    pub const fn identity(self) -> u64 {
        self.0 & !GENERATION_MASK
    }

    /// `(cookie, cookie_mask)` selecting every entry of `owner`, in either direction and of
    /// any generation: for `OFPFC_DELETE` or flow-stats requests (OpenFlow 1.3.5 §6.4).
    pub const fn owner_filter(owner: OwnerId) -> (u64, u64) {
        (owner.0, OWNER_MASK)
    }
}

impl fmt::Display for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)
    }
}

/// Collision-free assignment of owner ids to customer addresses.
///
/// Addresses are offered in a deterministic order (the compiler sorts them by customer name,
/// then prefix); each takes [`OwnerId::for_address`] with salt 0, or on a collision with an
/// earlier address the first free id among salts 1, 2, .... So an address keeps its id across
/// reloads unless a colliding address that sorts before it appears (about one pair in
/// 2⁴⁴/n² for n addresses).
#[derive(Debug, Clone, Default)]
pub struct OwnerTable {
    taken: HashSet<u64, FxBuild>,
    collisions: usize,
}

impl OwnerTable {
    /// An empty table with room for `n` addresses.
    pub fn with_capacity(n: usize) -> OwnerTable {
        OwnerTable {
            taken: HashSet::with_capacity_and_hasher(n, FxBuild::default()),
            collisions: 0,
        }
    }

    /// Assigns the owner id of `(name, prefix)`.
    pub fn assign(&mut self, name: &str, prefix: IpNet) -> OwnerId {
        let mut salt = 0u64;
        loop {
            let id = OwnerId::for_address(name, prefix, salt);
            if self.taken.insert(id.0) {
                return id;
            }
            self.collisions += 1;
            salt += 1;
        }
    }

    /// How many hash collisions were resolved by re-salting.
    pub fn collisions(&self) -> usize {
        self.collisions
    }
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    const fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    const fn finish(&self) -> u64 {
        self.0
    }
}

/// The SplitMix64 finaliser (spreads FNV's weak low bits over the whole word).
const fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout_packs_and_unpacks() {
        let c = Cookie::new(
            CookieKind::Downstream,
            0xbeef,
            OwnerId::from_u64(0xabc_def0_1234),
        );
        assert_eq!(c.0, 0x4bee_fabc_def0_1234);
        assert_eq!(c.kind(), Some(CookieKind::Downstream));
        assert_eq!(c.generation(), 0xbeef);
        assert_eq!(c.owner().value(), 0xabc_def0_1234);
        assert_eq!(c.with_generation(1).0, 0x4000_1abc_def0_1234);
        assert_eq!(c.identity(), c.with_generation(7).identity());
        assert_eq!(Cookie(0).kind(), None);
        assert_eq!(Cookie(0xf << 60).kind(), None);
        assert_eq!(c.to_string(), "0x4beefabcdef01234");
    }

    #[test]
    fn owner_filter_selects_both_directions() {
        let o = OwnerId::from_u64(77);
        let (cookie, mask) = Cookie::owner_filter(o);
        for kind in [CookieKind::Upstream, CookieKind::Downstream] {
            let c = Cookie::new(kind, 9, o);
            assert_eq!(c.0 & mask, cookie);
        }
        assert_ne!(
            Cookie::new(CookieKind::Upstream, 9, OwnerId::from_u64(78)).0 & mask,
            cookie
        );
    }

    #[test]
    fn address_owner_is_stable_and_normalised() {
        let a: IpNet = "10.1.2.0/24".parse().unwrap_or_default();
        let b: IpNet = "10.1.2.9/24".parse().unwrap_or_default();
        // Host bits do not matter; the name and the length do.
        assert_eq!(
            OwnerId::for_address("x", a, 0),
            OwnerId::for_address("x", b, 0)
        );
        assert_ne!(
            OwnerId::for_address("x", a, 0),
            OwnerId::for_address("y", a, 0)
        );
        let c: IpNet = "10.1.2.0/25".parse().unwrap_or_default();
        assert_ne!(
            OwnerId::for_address("x", a, 0),
            OwnerId::for_address("x", c, 0)
        );
        // Pinned value: changing the hash would change every cookie on every switch.
        assert_eq!(
            OwnerId::for_address("exhibitor01", a, 0).value(),
            0x6ea_7001_f4fa
        );
    }

    #[test]
    fn owner_table_resolves_collisions() {
        let mut t = OwnerTable::with_capacity(4);
        let p: IpNet = "10.0.0.0/8".parse().unwrap_or_default();
        let first = t.assign("a", p);
        // Offering the same address again simulates a collision.
        let second = t.assign("a", p);
        assert_ne!(first, second);
        assert_eq!(t.collisions(), 1);
        assert_eq!(second, OwnerId::for_address("a", p, 1));
    }

    proptest! {
        #[test]
        fn fields_round_trip(kind in 1u8..=5, generation in any::<u16>(), owner in any::<u64>()) {
            let kind = CookieKind::from_value(kind).unwrap_or(CookieKind::Static);
            let o = OwnerId::from_u64(owner);
            let c = Cookie::new(kind, generation, o);
            prop_assert_eq!(c.kind(), Some(kind));
            prop_assert_eq!(c.generation(), generation);
            prop_assert_eq!(c.owner(), o);
        }
    }
}
