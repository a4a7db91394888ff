//! One simulated OpenFlow 1.3 switch: a set of flow tables changed by `FLOW_MOD`s
//! (OpenFlow 1.3.5 §6.4) and the pipeline a packet takes through them (§5.1–§5.10).
//!
//! Pipeline semantics implemented:
//! - lookup: the highest-priority entry whose every field matches (masks applied) wins; two
//!   matching entries of that same priority are an error ([`Error::SimAmbiguous`]) since the
//!   spec leaves the choice undefined (§5.3); no match and no table-miss entry drops (§5.4);
//! - instructions run in the spec's order whatever their order in the entry (§5.9): meter,
//!   apply-actions (in list order, outputs emitted at once), clear-actions, write-actions
//!   (merged into the action set, one action per type and one `set_field` per field),
//!   write-metadata, goto-table (only to a later table);
//! - at the end of the pipeline the action set runs in the §5.10 order: pop VLAN, push VLAN,
//!   decrement TTL, set-field, set-queue, group, output;
//! - `output` to the ingress port is dropped unless the port is `OFPP_IN_PORT` (§7.2.5).

use std::collections::BTreeMap;

use flowfall_ofp::action::{OFPP_CONTROLLER, OFPP_IN_PORT, OFPP_TABLE};
use flowfall_ofp::flow_mod::{OFPG_ANY, OFPP_ANY, OFPTT_ALL, flow_mod_flags};
use flowfall_ofp::{Action, FlowMod, FlowModCommand, Instruction};

use super::field::{Field, FieldMatch, covers, normalize, normalize_match, overlap};
use super::packet::{Packet, VlanTag};
use crate::cookie::Cookie;
use crate::entry::{FlowEntry, execution_rank};
use crate::error::Error;

/// An installed entry with its normalised match.
#[derive(Debug, Clone)]
struct Installed {
    entry: FlowEntry,
    fields: Vec<FieldMatch>,
    /// The exact `in_port` the entry requires, for a quick reject.
    in_port: Option<u32>,
}

/// A simulated switch: flow tables keyed by table id, each sorted by descending priority.
#[derive(Debug, Clone, Default)]
pub struct SimSwitch {
    tables: BTreeMap<u8, Vec<Installed>>,
}

/// An entry that matched during processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The table.
    pub table_id: u8,
    /// The entry's priority.
    pub priority: u16,
    /// The entry's cookie.
    pub cookie: Cookie,
}

/// A packet leaving the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// The port (a physical port, or a reserved port such as `OFPP_CONTROLLER`).
    pub port: u32,
    /// The headers as they leave (`in_port` still names the ingress port).
    pub packet: Packet,
}

/// What happened to one packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processing {
    /// The entries that matched, table by table.
    pub hits: Vec<Hit>,
    /// Copies of the packet sent out, in order.
    pub outputs: Vec<Output>,
    /// The packet missed a table that has no table-miss entry.
    pub missed: bool,
}

impl Processing {
    /// Whether the packet went nowhere.
    pub fn dropped(&self) -> bool {
        self.outputs.is_empty()
    }
}

/// The action set (§5.10): at most one action of each type, one `set_field` per field.
#[derive(Debug, Clone, Default)]
struct ActionSet {
    pop_vlan: bool,
    push_vlan: Option<u16>,
    dec_ttl: bool,
    set_ttl: Option<u8>,
    set_fields: BTreeMap<Field, flowfall_ofp::Oxm>,
    queue: Option<u32>,
    group: Option<u32>,
    output: Option<Action>,
}

impl ActionSet {
    fn write(&mut self, a: &Action) -> Result<(), Error> {
        match a {
            Action::PopVlan => self.pop_vlan = true,
            Action::PushVlan(t) => self.push_vlan = Some(*t),
            Action::DecNwTtl => self.dec_ttl = true,
            Action::SetNwTtl(t) => self.set_ttl = Some(*t),
            Action::SetField(o) => {
                let f = normalize(o)?;
                self.set_fields.insert(f.field, o.clone());
            }
            Action::SetQueue(q) => self.queue = Some(*q),
            Action::Group(g) => self.group = Some(*g),
            Action::Output { .. } => self.output = Some(a.clone()),
            other => return Err(unsupported_action(other)),
        }
        Ok(())
    }

    /// The actions in execution order.
    fn ordered(&self) -> Vec<Action> {
        let mut out = Vec::new();
        if self.pop_vlan {
            out.push(Action::PopVlan);
        }
        if let Some(t) = self.push_vlan {
            out.push(Action::PushVlan(t));
        }
        if self.dec_ttl {
            out.push(Action::DecNwTtl);
        }
        if let Some(t) = self.set_ttl {
            out.push(Action::SetNwTtl(t));
        }
        for o in self.set_fields.values() {
            out.push(Action::SetField(o.clone()));
        }
        if let Some(q) = self.queue {
            out.push(Action::SetQueue(q));
        }
        match (self.group, &self.output) {
            (Some(g), _) => out.push(Action::Group(g)),
            (None, Some(o)) => out.push(o.clone()),
            (None, None) => {}
        }
        out
    }
}

fn unsupported_action(a: &Action) -> Error {
    Error::SimUnsupported {
        what: format!("action {a:?}"),
    }
}

/// Whether an entry's instructions output to `port` / use `group` (delete filters, §6.4).
fn outputs_to(entry: &FlowEntry, port: u32, group: u32) -> bool {
    let actions = entry.instructions.iter().flat_map(|i| match i {
        Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.as_slice(),
        _ => &[],
    });
    let mut port_ok = port == OFPP_ANY;
    let mut group_ok = group == OFPG_ANY;
    for a in actions {
        match a {
            Action::Output { port: p, .. } if *p == port => port_ok = true,
            Action::Group(g) if *g == group => group_ok = true,
            _ => {}
        }
    }
    port_ok && group_ok
}

impl SimSwitch {
    /// A switch with empty tables.
    pub fn new() -> SimSwitch {
        SimSwitch::default()
    }

    /// A switch holding `entries`, added in order as `OFPFC_ADD`s.
    ///
    /// # Errors
    /// As [`SimSwitch::apply`].
    pub fn with_entries<'a>(
        entries: impl IntoIterator<Item = &'a FlowEntry>,
    ) -> Result<SimSwitch, Error> {
        let mut s = SimSwitch::new();
        for e in entries {
            s.add(e.clone(), false)?;
        }
        Ok(s)
    }

    /// Every installed entry, table by table, by descending priority.
    pub fn entries(&self) -> impl Iterator<Item = &FlowEntry> {
        self.tables.values().flatten().map(|i| &i.entry)
    }

    /// Number of installed entries.
    pub fn len(&self) -> usize {
        self.tables.values().map(Vec::len).sum()
    }

    /// Whether no entry is installed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn add(&mut self, entry: FlowEntry, check_overlap: bool) -> Result<(), Error> {
        let fields = normalize_match(&entry.match_)?;
        let in_port = fields
            .iter()
            .find(|f| f.field == Field::InPort)
            .map(|f| f.value as u32);
        let table = self.tables.entry(entry.table_id).or_default();
        if check_overlap
            && let Some(other) = table.iter().find(|i| {
                i.entry.priority == entry.priority
                    && i.fields != fields
                    && overlap(&i.fields, &fields)
            })
        {
            return Err(Error::SimOverlap {
                table_id: entry.table_id,
                priority: entry.priority,
                existing: other.entry.cookie,
            });
        }
        let installed = Installed {
            entry,
            fields,
            in_port,
        };
        match table.iter().position(|i| {
            i.entry.priority == installed.entry.priority && i.fields == installed.fields
        }) {
            Some(pos) => {
                if let Some(slot) = table.get_mut(pos) {
                    *slot = installed;
                }
            }
            None => {
                let pos = table.partition_point(|i| i.entry.priority >= installed.entry.priority);
                table.insert(pos, installed);
            }
        }
        Ok(())
    }

    /// Applies one `FLOW_MOD` (§6.4): add (replacing an entry of identical priority and
    /// match; refusing an overlap at equal priority when `OFPFF_CHECK_OVERLAP` is set),
    /// modify / modify-strict (new instructions; cookie, timeouts kept), delete /
    /// delete-strict (with the cookie-mask, `out_port` and `out_group` filters). A modify
    /// that selects nothing changes nothing, as in OpenFlow 1.3.
    ///
    /// # Errors
    /// [`Error::SimOverlap`], [`Error::SimBadFlowMod`] (table `OFPTT_ALL` outside a delete,
    /// unknown command), [`Error::SimUnsupported`] / [`Error::SimDuplicateField`] for a match
    /// the simulator cannot hold.
    pub fn apply(&mut self, fm: &FlowMod) -> Result<(), Error> {
        let bad = |reason: &'static str| Error::SimBadFlowMod { reason };
        let all_tables = fm.table_id == OFPTT_ALL;
        match fm.command {
            FlowModCommand::Add => {
                if all_tables {
                    return Err(bad("OFPFC_ADD to table OFPTT_ALL"));
                }
                let check = fm.flags & flow_mod_flags::CHECK_OVERLAP != 0;
                self.add(FlowEntry::from_flow_mod(fm), check)
            }
            FlowModCommand::Modify | FlowModCommand::ModifyStrict => {
                if all_tables {
                    return Err(bad("OFPFC_MODIFY of table OFPTT_ALL"));
                }
                let strict = fm.command == FlowModCommand::ModifyStrict;
                let req = normalize_match(&fm.match_)?;
                if let Some(table) = self.tables.get_mut(&fm.table_id) {
                    for i in table.iter_mut() {
                        if selects(fm, &req, i, strict) {
                            i.entry.instructions = fm.instructions.as_slice().into();
                        }
                    }
                }
                Ok(())
            }
            FlowModCommand::Delete | FlowModCommand::DeleteStrict => {
                let strict = fm.command == FlowModCommand::DeleteStrict;
                let req = normalize_match(&fm.match_)?;
                for (&id, table) in self.tables.iter_mut() {
                    if all_tables || id == fm.table_id {
                        table.retain(|i| {
                            !(selects(fm, &req, i, strict)
                                && outputs_to(&i.entry, fm.out_port, fm.out_group))
                        });
                    }
                }
                Ok(())
            }
            FlowModCommand::Unknown(_) => Err(bad("unknown flow mod command")),
        }
    }

    fn lookup(
        &self,
        table_id: u8,
        packet: &Packet,
        metadata: u64,
    ) -> Result<Option<&Installed>, Error> {
        let Some(table) = self.tables.get(&table_id) else {
            return Ok(None);
        };
        let mut best: Option<&Installed> = None;
        for i in table {
            if let Some(b) = best
                && i.entry.priority < b.entry.priority
            {
                break;
            }
            if i.in_port.is_some_and(|p| p != packet.in_port) {
                continue;
            }
            if !matches_packet(&i.fields, packet, metadata)? {
                continue;
            }
            if let Some(b) = best {
                return Err(Error::SimAmbiguous {
                    table_id,
                    priority: i.entry.priority,
                    first: b.entry.cookie,
                    second: i.entry.cookie,
                });
            }
            best = Some(i);
        }
        Ok(best)
    }

    /// Runs `packet` through the pipeline from table 0.
    ///
    /// # Errors
    /// [`Error::SimAmbiguous`] when two equal-priority entries match; [`Error::SimBadFlowMod`]
    /// for a goto to an earlier table; [`Error::SimUnsupported`] / [`Error::SimSetField`]
    /// for actions or fields the simulator cannot execute on this packet.
    pub fn process(&self, packet: &Packet) -> Result<Processing, Error> {
        let mut pkt = *packet;
        let mut result = Processing::default();
        let mut set = ActionSet::default();
        let mut metadata = 0u64;
        let mut table_id = 0u8;
        loop {
            let Some(hit) = self.lookup(table_id, &pkt, metadata)? else {
                result.missed = true;
                return Ok(result);
            };
            let e = &hit.entry;
            result.hits.push(Hit {
                table_id,
                priority: e.priority,
                cookie: e.cookie,
            });
            let mut goto = None;
            let mut rank: Vec<&Instruction> = e.instructions.iter().collect();
            rank.sort_by_key(|i| execution_rank(i));
            for ins in rank {
                match ins {
                    Instruction::Meter(_) => {}
                    Instruction::ApplyActions(actions) => {
                        for a in actions {
                            if !execute(a, &mut pkt, packet.in_port, &mut result.outputs)? {
                                return Ok(result);
                            }
                        }
                    }
                    Instruction::ClearActions => set = ActionSet::default(),
                    Instruction::WriteActions(actions) => {
                        for a in actions {
                            set.write(a)?;
                        }
                    }
                    Instruction::WriteMetadata { metadata: v, mask } => {
                        metadata = (metadata & !mask) | (v & mask);
                    }
                    Instruction::GotoTable(t) => goto = Some(*t),
                    other => {
                        return Err(Error::SimUnsupported {
                            what: format!("instruction {other:?}"),
                        });
                    }
                }
            }
            match goto {
                Some(next) if next > table_id => table_id = next,
                Some(_) => {
                    return Err(Error::SimBadFlowMod {
                        reason: "goto_table to a table not after the current one",
                    });
                }
                None => {
                    for a in set.ordered() {
                        if !execute(&a, &mut pkt, packet.in_port, &mut result.outputs)? {
                            break;
                        }
                    }
                    return Ok(result);
                }
            }
        }
    }
}

/// Whether a flow mod selects an installed entry (§6.4): strict = same priority and match;
/// otherwise every entry the request's match covers; both filtered by the cookie mask.
fn selects(fm: &FlowMod, req: &[FieldMatch], i: &Installed, strict: bool) -> bool {
    let cookie_ok = fm.cookie_mask == 0 || (i.entry.cookie.0 ^ fm.cookie) & fm.cookie_mask == 0;
    let match_ok = if strict {
        i.entry.priority == fm.priority && i.fields == req
    } else {
        covers(req, &i.fields)
    };
    cookie_ok && match_ok
}

fn matches_packet(fields: &[FieldMatch], packet: &Packet, metadata: u64) -> Result<bool, Error> {
    for f in fields {
        let v = match f.field {
            Field::Metadata => Some(u128::from(metadata)),
            Field::InPhyPort => Some(u128::from(packet.in_port)),
            field => packet.get(field)?,
        };
        match v {
            Some(v) if f.accepts(v) => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Executes one action; `false` when the packet was discarded (TTL expired).
fn execute(
    a: &Action,
    pkt: &mut Packet,
    in_port: u32,
    outputs: &mut Vec<Output>,
) -> Result<bool, Error> {
    match a {
        Action::Output { port, .. } => {
            let port = match *port {
                OFPP_IN_PORT => in_port,
                OFPP_TABLE => {
                    return Err(Error::SimUnsupported {
                        what: "output to OFPP_TABLE in a flow entry".to_owned(),
                    });
                }
                p if p == in_port => return Ok(true),
                OFPP_CONTROLLER => OFPP_CONTROLLER,
                p => p,
            };
            outputs.push(Output { port, packet: *pkt });
        }
        Action::SetField(o) => {
            let f = normalize(o)?;
            pkt.set(f.field, f.value)?;
        }
        Action::PushVlan(_) => {
            if pkt.vlan.is_some() {
                return Err(Error::SimUnsupported {
                    what: "a second VLAN tag".to_owned(),
                });
            }
            pkt.vlan = Some(VlanTag { vid: 0, pcp: 0 });
        }
        Action::PopVlan => {
            if pkt.vlan.take().is_none() {
                return Err(Error::SimSetField {
                    field: "vlan_vid",
                    reason: "pop_vlan without a VLAN tag",
                });
            }
        }
        Action::DecNwTtl | Action::SetNwTtl(_) => {
            let ip = match &mut pkt.network {
                super::packet::Network::Ipv4 { ip, .. }
                | super::packet::Network::Ipv6 { ip, .. } => ip,
                super::packet::Network::Other { .. } => {
                    return Err(Error::SimSetField {
                        field: "nw_ttl",
                        reason: "not an IP packet",
                    });
                }
            };
            if let Action::SetNwTtl(t) = a {
                ip.ttl = *t;
            } else {
                if ip.ttl <= 1 {
                    return Ok(false);
                }
                ip.ttl -= 1;
            }
        }
        Action::SetQueue(_) => {}
        other => return Err(unsupported_action(other)),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookie::{CookieKind, OwnerId};
    use flowfall_ofp::{MacAddr, Match, Oxm};
    use std::net::Ipv4Addr;

    fn out(port: u32) -> Action {
        Action::Output { port, max_len: 0 }
    }

    fn entry(prio: u16, m: Match, i: Vec<Instruction>, owner: u64) -> FlowEntry {
        FlowEntry::new(
            0,
            prio,
            m,
            i,
            Cookie::new(CookieKind::Upstream, 0, OwnerId::from_u64(owner)),
        )
    }

    fn pkt(in_port: u32, src: [u8; 4], tos: u8) -> Packet {
        Packet::ip(
            in_port,
            Ipv4Addr::from(src).into(),
            Ipv4Addr::new(192, 0, 2, 1).into(),
            tos,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn net(a: [u8; 4], len: u32) -> Oxm {
        Oxm::Ipv4Src(
            a.into(),
            Some(Ipv4Addr::from(u32::MAX.checked_shl(32 - len).unwrap_or(0))),
        )
    }

    #[test]
    fn highest_priority_wins_and_rewrites() {
        let mac = MacAddr([2, 0, 0, 0, 0, 9]);
        let sw = SimSwitch::with_entries(&[
            entry(0, Match::new(), vec![], 0),
            entry(
                100,
                Match::new()
                    .with(Oxm::InPort(1))
                    .with(Oxm::EthType(0x0800))
                    .with(net([10, 0, 0, 0], 8)),
                vec![Instruction::ApplyActions(vec![out(2)])],
                1,
            ),
            entry(
                124,
                Match::new()
                    .with(Oxm::InPort(1))
                    .with(Oxm::EthType(0x0800))
                    .with(net([10, 1, 0, 0], 16)),
                vec![Instruction::ApplyActions(vec![
                    Action::SetField(Oxm::EthDst(mac, None)),
                    Action::SetField(Oxm::IpDscp(5)),
                    out(3),
                ])],
                2,
            ),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let r = sw
            .process(&pkt(1, [10, 1, 2, 3], 1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.outputs.len(), 1);
        assert_eq!(r.outputs[0].port, 3);
        assert_eq!(r.outputs[0].packet.eth_dst, mac);
        assert_eq!(r.outputs[0].packet.tos(), Some((5 << 2) | 1));
        let r = sw
            .process(&pkt(1, [10, 2, 0, 1], 0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.outputs.iter().map(|o| o.port).collect::<Vec<_>>(),
            vec![2]
        );
        let r = sw
            .process(&pkt(2, [10, 2, 0, 1], 0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.dropped() && !r.missed && r.hits[0].priority == 0);
    }

    #[test]
    fn ambiguity_is_reported() {
        let sw = SimSwitch::with_entries(&[
            entry(5, Match::new().with(Oxm::InPort(1)), vec![], 1),
            entry(5, Match::new().with(Oxm::EthType(0x0800)), vec![], 2),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            sw.process(&pkt(1, [1, 1, 1, 1], 0)),
            Err(Error::SimAmbiguous { .. })
        ));
        assert!(sw.process(&pkt(2, [1, 1, 1, 1], 0)).is_ok());
    }

    #[test]
    fn goto_write_actions_and_metadata() {
        let mut t1 = entry(
            1,
            Match::new().with(Oxm::Metadata(7, Some(0xff))),
            vec![Instruction::WriteActions(vec![out(9)])],
            3,
        );
        t1.table_id = 1;
        let sw = SimSwitch::with_entries(&[
            entry(
                1,
                Match::new(),
                vec![
                    Instruction::GotoTable(1),
                    Instruction::WriteMetadata {
                        metadata: 0x107,
                        mask: 0xff,
                    },
                    Instruction::WriteActions(vec![out(4), Action::SetField(Oxm::IpEcn(2))]),
                ],
                1,
            ),
            t1,
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let r = sw
            .process(&pkt(1, [1, 2, 3, 4], 0))
            .unwrap_or_else(|e| panic!("{e}"));
        // The later write-actions replaced the output; the set-field stayed in the set.
        assert_eq!(r.outputs.len(), 1);
        assert_eq!(r.outputs[0].port, 9);
        assert_eq!(r.outputs[0].packet.tos(), Some(2));
        assert_eq!(r.hits.len(), 2);
    }

    #[test]
    fn output_to_in_port_needs_ofpp_in_port() {
        let sw = SimSwitch::with_entries(&[entry(
            1,
            Match::new(),
            vec![Instruction::ApplyActions(vec![out(1), out(OFPP_IN_PORT)])],
            1,
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        let r = sw
            .process(&pkt(1, [1, 2, 3, 4], 0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.outputs.iter().map(|o| o.port).collect::<Vec<_>>(),
            vec![1]
        );
    }

    #[test]
    fn flow_mod_commands() {
        let m1 = Match::new().with(Oxm::InPort(1));
        let m2 = Match::new().with(Oxm::InPort(1)).with(Oxm::EthType(0x0800));
        let mut sw = SimSwitch::new();
        let a = entry(
            10,
            m1.clone(),
            vec![Instruction::ApplyActions(vec![out(2)])],
            1,
        );
        let b = entry(
            20,
            m2.clone(),
            vec![Instruction::ApplyActions(vec![out(3)])],
            2,
        );
        for e in [&a, &b] {
            assert!(sw.apply(&e.to_flow_mod()).is_ok());
        }
        // Re-adding replaces.
        assert!(sw.apply(&a.to_flow_mod()).is_ok());
        assert_eq!(sw.len(), 2);
        // Overlap check at equal priority.
        let mut c = entry(10, m2.clone(), vec![], 3).to_flow_mod();
        c.flags = flow_mod_flags::CHECK_OVERLAP;
        assert!(matches!(sw.apply(&c), Err(Error::SimOverlap { .. })));
        // Modify-strict changes instructions only.
        let mut m = b.flow_mod(FlowModCommand::ModifyStrict);
        m.instructions = vec![];
        m.cookie = 999;
        assert!(sw.apply(&m).is_ok());
        let now: Vec<_> = sw.entries().cloned().collect();
        assert!(
            now.iter()
                .any(|e| e.priority == 20 && e.instructions.is_empty() && e.cookie == b.cookie)
        );
        // Non-strict delete by the covering match m1 removes both, filtered by out_port.
        let mut d = a.flow_mod(FlowModCommand::Delete);
        d.out_port = 2;
        assert!(sw.apply(&d).is_ok());
        assert_eq!(sw.len(), 1);
        // Delete with a cookie mask.
        let mut d = FlowEntry::new(OFPTT_ALL, 0, Match::new(), vec![], b.cookie)
            .flow_mod(FlowModCommand::Delete);
        d.cookie_mask = u64::MAX;
        assert!(sw.apply(&d).is_ok());
        assert!(sw.is_empty());
        assert!(matches!(
            sw.apply(&FlowEntry::new(OFPTT_ALL, 0, Match::new(), vec![], b.cookie).to_flow_mod()),
            Err(Error::SimBadFlowMod { .. })
        ));
    }

    #[test]
    fn ttl_expiry_discards() {
        let sw = SimSwitch::with_entries(&[entry(
            1,
            Match::new(),
            vec![Instruction::ApplyActions(vec![Action::DecNwTtl, out(2)])],
            1,
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        let mut p = pkt(1, [1, 2, 3, 4], 0);
        if let super::super::packet::Network::Ipv4 { ip, .. } = &mut p.network {
            ip.ttl = 1;
        }
        assert!(sw.process(&p).unwrap_or_else(|e| panic!("{e}")).dropped());
    }
}
