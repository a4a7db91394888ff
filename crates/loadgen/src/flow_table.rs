//! The emulated switch's flow tables: what FLOW_MODs leave behind (OpenFlow 1.3.5 §6.4), so
//! a controller can read them back with FLOW_STATS (§7.3.5.2) and reconcile, and so a run can
//! count programmed entries.
//!
//! Entries are identified by `(table_id, priority, match)` with the match compared as a set
//! of fields (order-insensitive). Non-strict MODIFY/DELETE and FLOW_STATS select entries whose
//! match contains every field of the request's match with the same value and mask (masks are
//! compared as written, not as sets of packets). Entries never expire: the emulated switch
//! forwards no traffic, so idle timeouts would be meaningless; `CHECK_OVERLAP` is not
//! checked. The table refuses entries beyond its capacity with `OFPFMFC_TABLE_FULL`, as a
//! real switch does, which also bounds its memory.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use flowfall_ofp::error_msg::FlowModFailedCode;
use flowfall_ofp::flow_mod::{OFPG_ANY, OFPP_ANY, OFPTT_ALL};
use flowfall_ofp::multipart::{FlowStats, FlowStatsRequest};
use flowfall_ofp::{Action, FlowMod, FlowModCommand, Instruction, Match, Oxm};

/// Highest table id the emulated switch has (it reports `n_tables` = 254, ids 0..=253).
pub const MAX_TABLE_ID: u8 = 253;

/// Identity of a flow entry (§6.4): table, priority and match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Table id.
    pub table_id: u8,
    /// Priority.
    pub priority: u16,
    /// Match fields, sorted by (class, field) so that field order does not matter.
    pub fields: Vec<Oxm>,
}

impl FlowKey {
    /// The key of an entry with this table, priority and match.
    pub fn new(table_id: u8, priority: u16, m: &Match) -> FlowKey {
        FlowKey {
            table_id,
            priority,
            fields: canonical(m),
        }
    }
}

fn canonical(m: &Match) -> Vec<Oxm> {
    let mut fields = m.fields.clone();
    fields.sort_by_key(|o| (o.class(), o.field(), o.experimenter()));
    fields
}

/// What a flow entry holds besides its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowValue {
    /// Cookie.
    pub cookie: u64,
    /// Idle timeout (kept, not enforced).
    pub idle_timeout: u16,
    /// Hard timeout (kept, not enforced).
    pub hard_timeout: u16,
    /// `OFPFF_*` flags.
    pub flags: u16,
    /// Instructions.
    pub instructions: Vec<Instruction>,
    /// When the entry was added.
    pub installed: Instant,
}

/// What a FLOW_MOD did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// Entries added (0 or 1).
    pub added: usize,
    /// Entries whose instructions were replaced (by ADD over an identical entry or MODIFY).
    pub modified: usize,
    /// Entries removed.
    pub removed: usize,
}

/// The flow tables of one emulated switch.
#[derive(Debug, Clone)]
pub struct FlowTable {
    entries: HashMap<FlowKey, FlowValue>,
    capacity: usize,
}

impl FlowTable {
    /// Empty tables holding at most `capacity` entries in all.
    pub fn new(capacity: usize) -> FlowTable {
        FlowTable {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Makes room for the table to double (up to its capacity) without growing: a hash table
    /// of a million entries that grows re-hashes them all at once, a pause of hundreds of
    /// milliseconds that a real switch's classifier does not have.
    pub fn reserve_headroom(&mut self) {
        let room = self
            .entries
            .len()
            .min(self.capacity.saturating_sub(self.entries.len()));
        self.entries.reserve(room);
    }

    /// The most entries the tables hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of entries in table `table_id`.
    pub fn table_len(&self, table_id: u8) -> usize {
        self.entries
            .keys()
            .filter(|k| k.table_id == table_id)
            .count()
    }

    /// The entry with this identity.
    pub fn get(&self, key: &FlowKey) -> Option<&FlowValue> {
        self.entries.get(key)
    }

    /// Applies a FLOW_MOD (§6.4), or tells which `OFPFMFC_*` error the switch answers.
    pub fn apply(&mut self, now: Instant, fm: &FlowMod) -> Result<Applied, FlowModFailedCode> {
        match fm.command {
            FlowModCommand::Add => self.add(now, fm),
            FlowModCommand::Modify | FlowModCommand::ModifyStrict => {
                let strict = fm.command == FlowModCommand::ModifyStrict;
                check_table(fm.table_id, !strict)?;
                let key = FlowKey::new(fm.table_id, fm.priority, &fm.match_);
                let mut modified = 0;
                for (k, v) in self.entries.iter_mut() {
                    let hit = if strict {
                        *k == key
                    } else {
                        selects(k, &key.fields, fm.table_id)
                    };
                    if hit && cookie_hit(v.cookie, fm.cookie, fm.cookie_mask) {
                        v.instructions.clone_from(&fm.instructions);
                        modified += 1;
                    }
                }
                Ok(Applied {
                    modified,
                    ..Applied::default()
                })
            }
            FlowModCommand::Delete | FlowModCommand::DeleteStrict => {
                let strict = fm.command == FlowModCommand::DeleteStrict;
                check_table(fm.table_id, true)?;
                let key = FlowKey::new(fm.table_id, fm.priority, &fm.match_);
                let before = self.entries.len();
                self.entries.retain(|k, v| {
                    let hit = if strict {
                        (k.priority, &k.fields) == (key.priority, &key.fields)
                            && (fm.table_id == OFPTT_ALL || k.table_id == fm.table_id)
                    } else {
                        selects(k, &key.fields, fm.table_id)
                    };
                    !(hit
                        && cookie_hit(v.cookie, fm.cookie, fm.cookie_mask)
                        && outputs_to(&v.instructions, fm.out_port, fm.out_group))
                });
                Ok(Applied {
                    removed: before - self.entries.len(),
                    ..Applied::default()
                })
            }
            FlowModCommand::Unknown(_) => Err(FlowModFailedCode::BadCommand),
        }
    }

    fn add(&mut self, now: Instant, fm: &FlowMod) -> Result<Applied, FlowModFailedCode> {
        check_table(fm.table_id, false)?;
        let key = FlowKey::new(fm.table_id, fm.priority, &fm.match_);
        let value = FlowValue {
            cookie: fm.cookie,
            idle_timeout: fm.idle_timeout,
            hard_timeout: fm.hard_timeout,
            flags: fm.flags,
            instructions: fm.instructions.clone(),
            installed: now,
        };
        if let Some(existing) = self.entries.get_mut(&key) {
            *existing = value;
            return Ok(Applied {
                modified: 1,
                ..Applied::default()
            });
        }
        if self.entries.len() >= self.capacity {
            return Err(FlowModFailedCode::TableFull);
        }
        self.entries.insert(key, value);
        Ok(Applied {
            added: 1,
            ..Applied::default()
        })
    }

    /// The entries a FLOW_STATS request selects (§7.3.5.2), ordered by table, then
    /// descending priority.
    pub fn stats(&self, now: Instant, req: &FlowStatsRequest) -> Vec<FlowStats> {
        let fields = canonical(&req.match_);
        let mut out: Vec<(&FlowKey, &FlowValue)> = self
            .entries
            .iter()
            .filter(|(k, v)| {
                selects(k, &fields, req.table_id)
                    && cookie_hit(v.cookie, req.cookie, req.cookie_mask)
                    && outputs_to(&v.instructions, req.out_port, req.out_group)
            })
            .collect();
        out.sort_by_key(|(k, _)| (k.table_id, std::cmp::Reverse(k.priority)));
        out.into_iter()
            .map(|(k, v)| {
                let age = now.saturating_duration_since(v.installed);
                FlowStats {
                    table_id: k.table_id,
                    duration_sec: u32::try_from(age.as_secs()).unwrap_or(u32::MAX),
                    duration_nsec: age.subsec_nanos(),
                    priority: k.priority,
                    idle_timeout: v.idle_timeout,
                    hard_timeout: v.hard_timeout,
                    flags: v.flags,
                    cookie: v.cookie,
                    packet_count: 0,
                    byte_count: 0,
                    match_: Match {
                        fields: k.fields.clone(),
                    },
                    instructions: v.instructions.clone(),
                }
            })
            .collect()
    }

    /// How long the oldest entry has been installed (zero when empty).
    pub fn oldest(&self, now: Instant) -> Duration {
        self.entries
            .values()
            .map(|v| now.saturating_duration_since(v.installed))
            .max()
            .unwrap_or_default()
    }
}

fn check_table(table_id: u8, all_allowed: bool) -> Result<(), FlowModFailedCode> {
    if table_id <= MAX_TABLE_ID || (all_allowed && table_id == OFPTT_ALL) {
        Ok(())
    } else {
        Err(FlowModFailedCode::BadTableId)
    }
}

/// Non-strict selection: same table (or `OFPTT_ALL`) and every request field present in the
/// entry with the same value and mask.
fn selects(key: &FlowKey, request_fields: &[Oxm], table_id: u8) -> bool {
    (table_id == OFPTT_ALL || key.table_id == table_id)
        && request_fields.iter().all(|f| key.fields.contains(f))
}

fn cookie_hit(cookie: u64, want: u64, mask: u64) -> bool {
    cookie & mask == want & mask
}

/// The `out_port`/`out_group` filter: the entry must output to them (any if `ANY`).
fn outputs_to(instructions: &[Instruction], out_port: u32, out_group: u32) -> bool {
    let actions = || {
        instructions.iter().flat_map(|i| match i {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.as_slice(),
            _ => &[],
        })
    };
    (out_port == OFPP_ANY
        || actions().any(|a| matches!(a, Action::Output { port, .. } if *port == out_port)))
        && (out_group == OFPG_ANY
            || actions().any(|a| matches!(a, Action::Group(g) if *g == out_group)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    use proptest::prelude::*;

    fn output(port: u32) -> Vec<Instruction> {
        vec![Instruction::ApplyActions(vec![Action::Output {
            port,
            max_len: 0,
        }])]
    }

    fn fm(command: FlowModCommand, table_id: u8, priority: u16, m: Match, port: u32) -> FlowMod {
        let mut f = FlowMod::add(table_id, priority, m, output(port));
        f.command = command;
        f
    }

    fn src(last: u8) -> Match {
        Match::new()
            .with(Oxm::InPort(1))
            .with(Oxm::EthType(0x0800))
            .with(Oxm::Ipv4Src(Ipv4Addr::new(10, 0, 0, last), None))
    }

    fn all_stats() -> FlowStatsRequest {
        FlowStatsRequest::default()
    }

    #[test]
    fn add_replaces_identical_entry_regardless_of_field_order() {
        let now = Instant::now();
        let mut t = FlowTable::new(10);
        assert_eq!(
            t.apply(now, &fm(FlowModCommand::Add, 0, 10, src(1), 2))
                .unwrap()
                .added,
            1
        );
        let reversed = Match {
            fields: src(1).fields.into_iter().rev().collect(),
        };
        assert_eq!(
            t.apply(now, &fm(FlowModCommand::Add, 0, 10, reversed, 3))
                .unwrap()
                .modified,
            1
        );
        assert_eq!(t.len(), 1);
        let s = t.stats(now, &all_stats());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].instructions, output(3));
    }

    #[test]
    fn strict_and_non_strict_delete() {
        let now = Instant::now();
        let mut t = FlowTable::new(10);
        for last in 1..=3 {
            t.apply(now, &fm(FlowModCommand::Add, 0, 10, src(last), 2))
                .unwrap();
        }
        t.apply(now, &fm(FlowModCommand::Add, 1, 0, Match::new(), 2))
            .unwrap();
        let del = fm(FlowModCommand::DeleteStrict, 0, 10, src(2), OFPP_ANY);
        assert_eq!(t.apply(now, &del).unwrap().removed, 1);
        // Non-strict on in_port=1 in table 0 removes the other two, not table 1's.
        let del = fm(
            FlowModCommand::Delete,
            0,
            0,
            Match::new().with(Oxm::InPort(1)),
            OFPP_ANY,
        );
        assert_eq!(t.apply(now, &del).unwrap().removed, 2);
        assert_eq!(t.len(), 1);
        let all = fm(FlowModCommand::Delete, OFPTT_ALL, 0, Match::new(), OFPP_ANY);
        assert_eq!(t.apply(now, &all).unwrap().removed, 1);
        assert!(t.is_empty());
    }

    #[test]
    fn out_port_and_cookie_filters() {
        let now = Instant::now();
        let mut t = FlowTable::new(10);
        let mut a = fm(FlowModCommand::Add, 0, 10, src(1), 2);
        a.cookie = 0xaa00;
        t.apply(now, &a).unwrap();
        t.apply(now, &fm(FlowModCommand::Add, 0, 10, src(2), 3))
            .unwrap();
        let mut req = all_stats();
        req.out_port = 3;
        assert_eq!(t.stats(now, &req).len(), 1);
        let mut req = all_stats();
        req.cookie = 0xaa00;
        req.cookie_mask = 0xff00;
        assert_eq!(t.stats(now, &req)[0].cookie, 0xaa00);
        let mut del = fm(FlowModCommand::Delete, OFPTT_ALL, 0, Match::new(), OFPP_ANY);
        del.out_port = 2;
        assert_eq!(t.apply(now, &del).unwrap().removed, 1);
    }

    #[test]
    fn modify_changes_instructions_only_of_selected() {
        let now = Instant::now();
        let mut t = FlowTable::new(10);
        t.apply(now, &fm(FlowModCommand::Add, 0, 10, src(1), 2))
            .unwrap();
        t.apply(now, &fm(FlowModCommand::Add, 0, 20, src(1), 2))
            .unwrap();
        let m = fm(FlowModCommand::ModifyStrict, 0, 20, src(1), 7);
        assert_eq!(t.apply(now, &m).unwrap().modified, 1);
        let m = fm(
            FlowModCommand::Modify,
            0,
            0,
            Match::new().with(Oxm::InPort(1)),
            9,
        );
        assert_eq!(t.apply(now, &m).unwrap().modified, 2);
        assert!(
            t.stats(now, &all_stats())
                .iter()
                .all(|s| s.instructions == output(9))
        );
    }

    #[test]
    fn errors_table_full_bad_table_bad_command() {
        let now = Instant::now();
        let mut t = FlowTable::new(1);
        t.apply(now, &fm(FlowModCommand::Add, 0, 10, src(1), 2))
            .unwrap();
        assert_eq!(
            t.apply(now, &fm(FlowModCommand::Add, 0, 10, src(2), 2)),
            Err(FlowModFailedCode::TableFull)
        );
        assert_eq!(
            t.apply(now, &fm(FlowModCommand::Add, OFPTT_ALL, 1, src(1), 2)),
            Err(FlowModFailedCode::BadTableId)
        );
        assert_eq!(
            t.apply(now, &fm(FlowModCommand::Add, 254, 1, src(1), 2)),
            Err(FlowModFailedCode::BadTableId)
        );
        assert_eq!(
            t.apply(now, &fm(FlowModCommand::Unknown(9), 0, 1, src(1), 2)),
            Err(FlowModFailedCode::BadCommand)
        );
        assert_eq!(t.len(), 1);
    }

    proptest! {
        #[test]
        fn adds_then_deletes_leave_table_consistent(ops in proptest::collection::vec((any::<bool>(), 0u8..8, 0u16..3), 0..64)) {
            let now = Instant::now();
            let mut t = FlowTable::new(1000);
            let mut model = std::collections::HashSet::new();
            for (add, last, prio) in ops {
                let cmd = if add { FlowModCommand::Add } else { FlowModCommand::DeleteStrict };
                t.apply(now, &fm(cmd, 0, prio, src(last), 1)).unwrap();
                if add { model.insert((last, prio)); } else { model.remove(&(last, prio)); }
            }
            prop_assert_eq!(t.len(), model.len());
            prop_assert_eq!(t.stats(now, &all_stats()).len(), model.len());
        }
    }
}
