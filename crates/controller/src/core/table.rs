//! What one switch holds: flow entries keyed by their identity on the switch, and the
//! difference between two such tables.
//!
//! OpenFlow identifies an entry by `(table_id, priority, match)` (OpenFlow 1.3.5 §6.4). A
//! switch reports matches in its own field order (Open vSwitch sorts OXMs its way) and may
//! drop all-ones masks, so keys are built from a *normalised* match: masks that select every
//! bit become exact matches, masked values are reduced to their masked bits, and fields are
//! sorted by `(oxm_class, oxm_field)`. Without that, reading a switch's table back
//! (`OFPMP_FLOW`) would see every entry as foreign, and deleting the "foreign" copy would
//! remove the entry just installed.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use flowfall_compile::FlowEntry;
use flowfall_compile::cookie::{Cookie, CookieKind, OwnerId};
use flowfall_compile::fxhash::FxBuild;
use flowfall_ofp::{MacAddr, Match, Oxm};

/// The identity of a flow entry on a switch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Table.
    pub table_id: u8,
    /// Priority.
    pub priority: u16,
    /// Normalised match (see the module docs), shared: the owner index holds the same key
    /// without a second copy of the fields.
    pub fields: Arc<[Oxm]>,
}

impl FlowKey {
    /// The key of `entry`.
    pub fn of(entry: &FlowEntry) -> FlowKey {
        FlowKey {
            table_id: entry.table_id,
            priority: entry.priority,
            fields: if is_normal(&entry.match_) {
                entry.match_.fields.as_slice().into()
            } else {
                normalise(&entry.match_).fields.into()
            },
        }
    }
}

fn v4_mask(v: Ipv4Addr, m: Option<Ipv4Addr>) -> Option<(Ipv4Addr, Option<Ipv4Addr>)> {
    match m.map(u32::from) {
        None | Some(u32::MAX) => Some((v, None)),
        Some(0) => None,
        Some(mask) => Some(((u32::from(v) & mask).into(), Some(mask.into()))),
    }
}

fn v6_mask(v: Ipv6Addr, m: Option<Ipv6Addr>) -> Option<(Ipv6Addr, Option<Ipv6Addr>)> {
    match m.map(u128::from) {
        None | Some(u128::MAX) => Some((v, None)),
        Some(0) => None,
        Some(mask) => Some(((u128::from(v) & mask).into(), Some(mask.into()))),
    }
}

fn mac_mask(v: MacAddr, m: Option<MacAddr>) -> Option<(MacAddr, Option<MacAddr>)> {
    match m {
        None => Some((v, None)),
        Some(MacAddr(mask)) if mask == [0xff; 6] => Some((v, None)),
        Some(MacAddr(mask)) if mask == [0; 6] => None,
        Some(MacAddr(mask)) => {
            let mut out = v.0;
            for (o, k) in out.iter_mut().zip(mask) {
                *o &= k;
            }
            Some((MacAddr(out), Some(MacAddr(mask))))
        }
    }
}

fn int_mask<T>(v: T, m: Option<T>, full: T) -> Option<(T, Option<T>)>
where
    T: Copy + PartialEq + Default + std::ops::BitAnd<Output = T>,
{
    match m {
        None => Some((v, None)),
        Some(mask) if mask == full => Some((v, None)),
        Some(mask) if mask == T::default() => None,
        Some(mask) => Some((v & mask, Some(mask))),
    }
}

/// One field in normal form, or `None` when its mask selects nothing (it matches anything).
fn normalise_field(o: &Oxm) -> Option<Oxm> {
    Some(match o {
        Oxm::Ipv4Src(v, m) => v4_mask(*v, *m).map(|(v, m)| Oxm::Ipv4Src(v, m))?,
        Oxm::Ipv4Dst(v, m) => v4_mask(*v, *m).map(|(v, m)| Oxm::Ipv4Dst(v, m))?,
        Oxm::ArpSpa(v, m) => v4_mask(*v, *m).map(|(v, m)| Oxm::ArpSpa(v, m))?,
        Oxm::ArpTpa(v, m) => v4_mask(*v, *m).map(|(v, m)| Oxm::ArpTpa(v, m))?,
        Oxm::Ipv6Src(v, m) => v6_mask(*v, *m).map(|(v, m)| Oxm::Ipv6Src(v, m))?,
        Oxm::Ipv6Dst(v, m) => v6_mask(*v, *m).map(|(v, m)| Oxm::Ipv6Dst(v, m))?,
        Oxm::EthDst(v, m) => mac_mask(*v, *m).map(|(v, m)| Oxm::EthDst(v, m))?,
        Oxm::EthSrc(v, m) => mac_mask(*v, *m).map(|(v, m)| Oxm::EthSrc(v, m))?,
        Oxm::ArpSha(v, m) => mac_mask(*v, *m).map(|(v, m)| Oxm::ArpSha(v, m))?,
        Oxm::ArpTha(v, m) => mac_mask(*v, *m).map(|(v, m)| Oxm::ArpTha(v, m))?,
        Oxm::Metadata(v, m) => int_mask(*v, *m, u64::MAX).map(|(v, m)| Oxm::Metadata(v, m))?,
        Oxm::TunnelId(v, m) => int_mask(*v, *m, u64::MAX).map(|(v, m)| Oxm::TunnelId(v, m))?,
        Oxm::VlanVid(v, m) => int_mask(*v, *m, 0x1fff).map(|(v, m)| Oxm::VlanVid(v, m))?,
        Oxm::Ipv6Flabel(v, m) => {
            int_mask(*v, *m, 0x000f_ffff).map(|(v, m)| Oxm::Ipv6Flabel(v, m))?
        }
        Oxm::PbbIsid(v, m) => int_mask(*v, *m, 0x00ff_ffff).map(|(v, m)| Oxm::PbbIsid(v, m))?,
        Oxm::Ipv6Exthdr(v, m) => int_mask(*v, *m, 0x01ff).map(|(v, m)| Oxm::Ipv6Exthdr(v, m))?,
        other => other.clone(),
    })
}

/// Whether `m` is in normal form already (fields sorted, no reducible mask): checked without
/// allocating, so entries compiled in normal form are stored as they are.
pub fn is_normal(m: &Match) -> bool {
    let sorted = m
        .fields
        .windows(2)
        .all(|w| matches!(w, [a, b] if (a.class(), a.field()) <= (b.class(), b.field())));
    sorted
        && m.fields
            .iter()
            .all(|o| normalise_field(o).as_ref() == Some(o))
}

/// Puts `m` in normal form, leaving it untouched (no allocation) when it already is.
pub fn normalise_in_place(m: &mut Match) {
    if !is_normal(m) {
        *m = normalise(m);
    }
}

/// The match in normal form (see the module docs).
pub fn normalise(m: &Match) -> Match {
    let mut fields: Vec<Oxm> = m.fields.iter().filter_map(normalise_field).collect();
    fields.sort_by_key(|o| (o.class(), o.field()));
    Match { fields }
}

/// Hashes a cookie owner for the by-owner indexes. Owner ids are already a hash of the
/// customer and prefix (`flowfall_compile::cookie`), 44 uniform bits: one multiplication
/// spreads them over the 64 bits a hash table uses, with none of SipHash's cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnerHasher(u64);

impl Hasher for OwnerHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(FIB);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(FIB);
    }
}

/// 2^64 / golden ratio (Fibonacci hashing).
const FIB: u64 = 0x9e37_79b9_7f4a_7c15;

/// A hash map keyed by cookie owner.
pub type OwnerMap<V> = HashMap<OwnerId, V, BuildHasherDefault<OwnerHasher>>;

/// A set of cookie owners.
pub type OwnerSet = HashSet<OwnerId, BuildHasherDefault<OwnerHasher>>;

/// Whether a cookie names an address entry (upstream or downstream, architecture §4): the
/// entries a reactive activation adds and an idle withdrawal removes, indexed by owner.
pub fn is_address_cookie(cookie: Cookie) -> bool {
    matches!(
        cookie.kind(),
        Some(CookieKind::Upstream | CookieKind::Downstream)
    )
}

/// Whether a cookie is FlowFall's: a compiler cookie kind, or a health-monitoring entry.
/// Entries with any other cookie are foreign: never deleted, and counted
/// ([`FlowSet::foreign_count`]).
pub fn is_own_cookie(cookie: Cookie) -> bool {
    cookie.kind().is_some() || flowfall_health::cookie::is_health(cookie.0)
}

/// The entries one switch holds (or should hold), by key.
///
/// Every entry is stored with its match in normal form, so the same entry read back from a
/// switch and compiled by the controller compare equal. Address entries (see
/// [`is_address_cookie`]) are also indexed by their cookie owner, so the entries of a few
/// addresses are found without scanning the table ([`FlowSet::owned_by`]).
#[derive(Debug, Clone, Default)]
pub struct FlowSet {
    /// By key; hashed with the compiler's Fx hasher (the keys are the controller's own
    /// compiled entries and what the switches report of them; SipHash was a tenth of a
    /// reactive setup).
    entries: HashMap<FlowKey, FlowEntry, FxBuild>,
    /// Keys of the address entries, by cookie owner.
    by_owner: OwnerMap<Vec<FlowKey>>,
    /// Entries whose cookie is not FlowFall's ([`is_own_cookie`]).
    foreign: usize,
}

impl PartialEq for FlowSet {
    /// Two sets are equal when they hold the same entries (the index follows from them).
    fn eq(&self, other: &FlowSet) -> bool {
        self.entries == other.entries
    }
}

/// Sort order for listings: by table, then priority (high first), then cookie.
fn sort_entries(v: &mut [FlowEntry]) {
    v.sort_by_key(|e| (e.table_id, std::cmp::Reverse(e.priority), e.cookie.0));
}

impl FlowSet {
    /// An empty table.
    pub fn new() -> FlowSet {
        FlowSet::default()
    }

    /// A table of `entries` (a later entry with the same key replaces an earlier one, as on a
    /// switch).
    pub fn from_entries(entries: impl IntoIterator<Item = FlowEntry>) -> FlowSet {
        let mut t = FlowSet::new();
        for e in entries {
            t.insert(e);
        }
        t
    }

    /// Adds or replaces an entry (its match put in normal form).
    pub fn insert(&mut self, mut entry: FlowEntry) {
        normalise_in_place(&mut entry.match_);
        // The match is in normal form already: its fields are the key's.
        let key = FlowKey {
            table_id: entry.table_id,
            priority: entry.priority,
            fields: entry.match_.fields.as_slice().into(),
        };
        let cookie = entry.cookie;
        if let Some(old) = self.entries.insert(key.clone(), entry) {
            if old.cookie == cookie {
                return;
            }
            self.unindex(old.cookie, &key);
        }
        if !is_own_cookie(cookie) {
            self.foreign += 1;
        }
        if is_address_cookie(cookie) {
            self.by_owner.entry(cookie.owner()).or_default().push(key);
        }
    }

    /// Forgets the entry at `key` with `cookie`: drops it from the owner index and the
    /// foreign count.
    fn unindex(&mut self, cookie: Cookie, key: &FlowKey) {
        if !is_own_cookie(cookie) {
            self.foreign = self.foreign.saturating_sub(1);
        }
        if !is_address_cookie(cookie) {
            return;
        }
        let owner = cookie.owner();
        if let Some(keys) = self.by_owner.get_mut(&owner) {
            if let Some(i) = keys.iter().position(|k| k == key) {
                keys.swap_remove(i);
            }
            if keys.is_empty() {
                self.by_owner.remove(&owner);
            }
        }
    }

    /// Changes the instructions of the entry with `entry`'s key, keeping its cookie (what
    /// `OFPFC_MODIFY_STRICT` does, §6.4); inserts `entry` when the key is absent.
    pub fn modify(&mut self, entry: &FlowEntry) {
        match self.entries.get_mut(&FlowKey::of(entry)) {
            Some(have) => {
                have.instructions = entry.instructions.clone();
            }
            None => self.insert(entry.clone()),
        }
    }

    /// Removes the entry with `entry`'s key.
    pub fn remove(&mut self, entry: &FlowEntry) -> Option<FlowEntry> {
        let key = FlowKey::of(entry);
        let gone = self.entries.remove(&key)?;
        self.unindex(gone.cookie, &key);
        Some(gone)
    }

    /// The address entries whose cookie owner is `owner` (see [`is_address_cookie`]), in no
    /// particular order; a lookup, not a scan of the table.
    pub fn owned_by(&self, owner: OwnerId) -> impl Iterator<Item = &FlowEntry> {
        self.by_owner
            .get(&owner)
            .into_iter()
            .flatten()
            .filter_map(|k| self.entries.get(k))
    }

    /// Makes room for the table to double without growing. Growing a hash table re-hashes
    /// every entry at once, a pause of hundreds of milliseconds at a million entries: better
    /// taken right after a whole-table push than in the middle of reactive setups.
    pub fn reserve_headroom(&mut self) {
        if self.entries.capacity() < 2 * self.entries.len() {
            self.entries.reserve(self.entries.len());
        }
    }

    /// Number of foreign entries (cookies that are not FlowFall's, [`is_own_cookie`]).
    pub fn foreign_count(&self) -> usize {
        self.foreign
    }

    /// Number of owners with address entries in the table.
    pub fn owner_count(&self) -> usize {
        self.by_owner.len()
    }

    /// The entry with this key.
    pub fn get(&self, key: &FlowKey) -> Option<&FlowEntry> {
        self.entries.get(key)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, sorted (table, priority descending, cookie).
    pub fn sorted(&self) -> Vec<FlowEntry> {
        let mut v: Vec<FlowEntry> = self.entries.values().cloned().collect();
        sort_entries(&mut v);
        v
    }

    /// Iterates over the entries in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &FlowEntry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_compile::cookie::{Cookie, CookieKind, OwnerId};
    use flowfall_ofp::{Action, Instruction};

    fn entry(port: u32, out: u32) -> FlowEntry {
        FlowEntry::new(
            0,
            100,
            Match::new()
                .with(Oxm::Ipv4Src(
                    [10, 0, 1, 7].into(),
                    Some([255, 255, 255, 0].into()),
                ))
                .with(Oxm::EthType(0x0800))
                .with(Oxm::InPort(port)),
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: out,
                max_len: 0,
            }])],
            Cookie::new(CookieKind::Upstream, 1, OwnerId::from_u64(port.into())),
        )
    }

    #[test]
    fn normal_form_sorts_and_reduces_masks() {
        let m = Match::new()
            .with(Oxm::Ipv4Dst(
                [10, 0, 0, 1].into(),
                Some(Ipv4Addr::BROADCAST),
            ))
            .with(Oxm::Ipv4Src(
                [10, 0, 1, 7].into(),
                Some([255, 255, 255, 0].into()),
            ))
            .with(Oxm::EthDst(MacAddr([1; 6]), Some(MacAddr([0; 6]))))
            .with(Oxm::InPort(3));
        let n = normalise(&m);
        assert!(!is_normal(&m));
        assert!(is_normal(&n));
        assert_eq!(
            n.fields,
            vec![
                Oxm::InPort(3),
                Oxm::Ipv4Src([10, 0, 1, 0].into(), Some([255, 255, 255, 0].into())),
                Oxm::Ipv4Dst([10, 0, 0, 1].into(), None),
            ]
        );
    }

    #[test]
    fn keys_ignore_field_order() {
        let a = entry(1, 2);
        let mut b = a.clone();
        b.match_.fields.reverse();
        assert_eq!(FlowKey::of(&a), FlowKey::of(&b));
    }

    #[test]
    fn insert_normalises_and_replaces() {
        let mut t = FlowSet::new();
        let mut a = entry(1, 2);
        a.match_.fields.reverse();
        t.insert(a);
        t.insert(entry(1, 3));
        assert_eq!(t.len(), 1);
        let only = t.sorted().remove(0);
        assert_eq!(only.match_, normalise(&entry(1, 3).match_));
        t.modify(&entry(1, 9));
        assert_eq!(t.sorted()[0].instructions, entry(1, 9).instructions);
        assert!(t.remove(&entry(1, 0)).is_some());
        assert!(t.is_empty());
    }

    #[test]
    fn foreign_entries_are_counted_through_replaces_and_removes() {
        let mut t = FlowSet::new();
        let mut foreign = entry(1, 2);
        foreign.cookie = Cookie(0x1234);
        t.insert(foreign.clone());
        t.insert(entry(2, 2));
        assert_eq!(t.foreign_count(), 1);
        // The same key again, foreign: still one.
        t.insert(foreign.clone());
        assert_eq!(t.foreign_count(), 1);
        // Replaced by FlowFall's entry on its key: none.
        t.insert(entry(1, 3));
        assert_eq!(
            (t.foreign_count(), t.owned_by(OwnerId::from_u64(1)).count()),
            (0, 1)
        );
        // And back; then removed.
        t.insert(foreign.clone());
        assert_eq!(
            (t.foreign_count(), t.owned_by(OwnerId::from_u64(1)).count()),
            (1, 0)
        );
        assert!(t.remove(&foreign).is_some());
        assert_eq!(t.foreign_count(), 0);
        assert_eq!(t.len(), 1);
    }
}
