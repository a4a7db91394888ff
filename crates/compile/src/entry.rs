//! [`FlowEntry`]: the compiled unit, one OpenFlow 1.3 flow entry (OpenFlow 1.3.5 §5.2), and
//! its conversion to and from a typed [`FlowMod`].
//!
//! Instructions are shared ([`Instructions`], an `Arc<[Instruction]>`): the compiler builds
//! the instructions of "send to VM *v*" once and every customer address crossing *v* holds a
//! reference, so a table of a million entries costs one allocation per entry (its match).
//!
//! An entry is *identified* by `(table_id, priority, match)` ([`FlowEntry::same_key`]): two
//! `OFPFC_ADD`s with the same triple replace each other on a switch (§6.4). Its *value* is the
//! instructions, the idle timeout and the cookie's owner and kind; diffs compare those.

use std::sync::Arc;

use flowfall_ofp::{FlowMod, FlowModCommand, FlowModParts, Instruction, Match};

use crate::cookie::Cookie;

/// Shared, immutable instructions of a flow entry.
pub type Instructions = Arc<[Instruction]>;

/// One flow entry of one switch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowEntry {
    /// Flow table.
    pub table_id: u8,
    /// Priority: the highest-priority matching entry wins (§5.3).
    pub priority: u16,
    /// The match.
    pub match_: Match,
    /// The instructions; empty means drop.
    pub instructions: Instructions,
    /// Owner, kind and generation ([`crate::cookie`]).
    pub cookie: Cookie,
    /// Seconds of inactivity before the switch removes the entry; 0 = never.
    pub idle_timeout: u16,
}

impl FlowEntry {
    /// An entry with no idle timeout.
    pub fn new(
        table_id: u8,
        priority: u16,
        match_: Match,
        instructions: impl Into<Instructions>,
        cookie: Cookie,
    ) -> FlowEntry {
        FlowEntry {
            table_id,
            priority,
            match_,
            instructions: instructions.into(),
            cookie,
            idle_timeout: 0,
        }
    }

    /// Whether `other` has the same `(table_id, priority, match)`, i.e. would replace this
    /// entry on a switch.
    pub fn same_key(&self, other: &FlowEntry) -> bool {
        self.table_id == other.table_id
            && self.priority == other.priority
            && self.match_ == other.match_
    }

    /// Whether the entry does the same as `other` once installed: same instructions, idle
    /// timeout and cookie identity (generation aside).
    pub fn same_value(&self, other: &FlowEntry) -> bool {
        self.instructions == other.instructions
            && self.idle_timeout == other.idle_timeout
            && self.cookie.identity() == other.cookie.identity()
    }

    /// The `OFPFC_ADD` installing this entry.
    pub fn to_flow_mod(&self) -> FlowMod {
        self.flow_mod(FlowModCommand::Add)
    }

    /// A flow mod for this entry with `command`. For the strict commands the match and
    /// priority select exactly this entry; a delete carries no instructions.
    pub fn flow_mod(&self, command: FlowModCommand) -> FlowMod {
        self.flow_mod_parts(command).into()
    }

    /// [`FlowEntry::flow_mod`] borrowing the entry's match and instructions: encodes to the
    /// same bytes without cloning them.
    pub fn flow_mod_parts(&self, command: FlowModCommand) -> FlowModParts<'_> {
        let deleting = matches!(
            command,
            FlowModCommand::Delete | FlowModCommand::DeleteStrict
        );
        FlowModParts {
            cookie: self.cookie.0,
            idle_timeout: self.idle_timeout,
            command,
            instructions: if deleting { &[] } else { &self.instructions },
            ..FlowModParts::add(self.table_id, self.priority, &self.match_, &[])
        }
    }

    /// The entry an `OFPFC_ADD` would create (timeouts other than idle are dropped).
    pub fn from_flow_mod(fm: &FlowMod) -> FlowEntry {
        FlowEntry {
            table_id: fm.table_id,
            priority: fm.priority,
            match_: fm.match_.clone(),
            instructions: fm.instructions.as_slice().into(),
            cookie: Cookie(fm.cookie),
            idle_timeout: fm.idle_timeout,
        }
    }
}

/// The position of an instruction in the execution order of OpenFlow 1.3.5 §5.9 (meter,
/// apply-actions, clear-actions, write-actions, write-metadata, goto-table), whatever its
/// position in the entry; experimenter and unknown instructions last.
pub(crate) fn execution_rank(i: &Instruction) -> u8 {
    match i {
        Instruction::Meter(_) => 0,
        Instruction::ApplyActions(_) => 1,
        Instruction::ClearActions => 2,
        Instruction::WriteActions(_) => 3,
        Instruction::WriteMetadata { .. } => 4,
        Instruction::GotoTable(_) => 5,
        Instruction::Experimenter { .. } | Instruction::Unknown { .. } => 6,
    }
}

impl From<&FlowEntry> for FlowMod {
    fn from(e: &FlowEntry) -> FlowMod {
        e.to_flow_mod()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookie::{CookieKind, OwnerId};
    use flowfall_ofp::{Action, Oxm};

    fn entry() -> FlowEntry {
        FlowEntry {
            idle_timeout: 30,
            ..FlowEntry::new(
                0,
                1024,
                Match::new().with(Oxm::InPort(3)),
                vec![Instruction::ApplyActions(vec![Action::Output {
                    port: 4,
                    max_len: 0,
                }])],
                Cookie::new(CookieKind::Upstream, 2, OwnerId::from_u64(9)),
            )
        }
    }

    #[test]
    fn flow_mod_round_trip() {
        let e = entry();
        let fm = e.to_flow_mod();
        assert_eq!(fm.command, FlowModCommand::Add);
        assert_eq!(
            (fm.cookie, fm.idle_timeout, fm.priority),
            (e.cookie.0, 30, 1024)
        );
        assert_eq!(FlowEntry::from_flow_mod(&fm), e);
        let del = e.flow_mod(FlowModCommand::DeleteStrict);
        assert!(del.instructions.is_empty());
        assert_eq!(del.match_, e.match_);
    }

    #[test]
    fn key_and_value() {
        let a = entry();
        let mut b = entry();
        b.cookie = b.cookie.with_generation(7);
        assert!(a.same_key(&b) && a.same_value(&b));
        b.instructions = Vec::new().into();
        assert!(a.same_key(&b) && !a.same_value(&b));
        b.priority = 1;
        assert!(!a.same_key(&b));
    }
}
