//! PACKET_INs waiting for their answer, and the rules that decide which controller message
//! answers which of them.
//!
//! A PACKET_IN is answered by the first FLOW_MOD or PACKET_OUT that refers to it:
//! - by `buffer_id`, when the PACKET_IN carried one and the controller used it;
//! - a PACKET_OUT without a buffer by its data: the frame, byte for byte (every frame in
//!   flight is distinct, see [`crate::packet`]);
//! - a FLOW_MOD without a buffer (ADD or MODIFY) by its match: it answers every waiting
//!   packet its match covers ([`crate::classify::covers`]), except when it sends packets to
//!   the controller (a table-miss entry answers nothing).
//!
//! Each PACKET_IN is answered at most once; later messages about it are not counted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use flowfall_ofp::flow_mod::OFP_NO_BUFFER;
use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::port::port_no;
use flowfall_ofp::{Action, FlowMod, FlowModCommand, Instruction};

use crate::classify::covers;
use crate::packet::Headers;

/// Largest id handed out (ids stay below `OFP_NO_BUFFER` and the high bit).
const MAX_ID: u32 = 0x7fff_ffff;

/// A PACKET_IN waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// When it was sent.
    pub sent: Instant,
    /// Its ingress port.
    pub in_port: u32,
    /// Its frame's headers.
    pub headers: Headers,
    /// Whether its answer is measured (sent inside the measurement window).
    pub measured: bool,
}

/// The PACKET_INs of one switch waiting for answers.
#[derive(Debug, Default)]
pub struct InFlight {
    by_id: HashMap<u32, (Pending, Vec<u8>)>,
    by_frame: HashMap<Vec<u8>, u32>,
    next_id: u32,
}

impl InFlight {
    /// Nothing in flight.
    pub fn new() -> InFlight {
        InFlight::default()
    }

    /// Number waiting.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// A fresh id (not in flight) for the next PACKET_IN: its buffer id and frame tag.
    pub fn next_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = if self.next_id >= MAX_ID {
                0
            } else {
                self.next_id + 1
            };
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    /// Records a PACKET_IN with id `id` (from [`InFlight::next_id`]) and its frame.
    pub fn insert(&mut self, id: u32, pending: Pending, frame: Vec<u8>) {
        self.by_frame.insert(frame.clone(), id);
        if let Some((_, old)) = self.by_id.insert(id, (pending, frame)) {
            self.by_frame.remove(&old);
        }
    }

    fn remove(&mut self, id: u32) -> Option<Pending> {
        let (p, frame) = self.by_id.remove(&id)?;
        self.by_frame.remove(&frame);
        Some(p)
    }

    /// The PACKET_IN a PACKET_OUT answers, removed.
    pub fn answer_packet_out(&mut self, po: &PacketOut) -> Option<Pending> {
        let id = if po.buffer_id != OFP_NO_BUFFER {
            po.buffer_id
        } else {
            *self.by_frame.get(&po.data)?
        };
        self.remove(id)
    }

    /// The PACKET_INs a FLOW_MOD answers, removed.
    pub fn answer_flow_mod(&mut self, fm: &FlowMod) -> Vec<Pending> {
        if !matches!(
            fm.command,
            FlowModCommand::Add | FlowModCommand::Modify | FlowModCommand::ModifyStrict
        ) || to_controller(&fm.instructions)
        {
            return Vec::new();
        }
        if fm.buffer_id != OFP_NO_BUFFER {
            return self.remove(fm.buffer_id).into_iter().collect();
        }
        let hit: Vec<u32> = self
            .by_id
            .iter()
            .filter(|(_, (p, _))| covers(&fm.match_, p.in_port, &p.headers))
            .map(|(id, _)| *id)
            .collect();
        hit.into_iter().filter_map(|id| self.remove(id)).collect()
    }

    /// Drops the PACKET_INs sent before `now - timeout` (lost: never answered); returns them.
    pub fn expire(&mut self, now: Instant, timeout: Duration) -> Vec<Pending> {
        let Some(limit) = now.checked_sub(timeout) else {
            return Vec::new();
        };
        let old: Vec<u32> = self
            .by_id
            .iter()
            .filter(|(_, (p, _))| p.sent < limit)
            .map(|(id, _)| *id)
            .collect();
        old.into_iter().filter_map(|id| self.remove(id)).collect()
    }

    /// Forgets everything in flight.
    pub fn clear(&mut self) {
        self.by_id.clear();
        self.by_frame.clear();
    }
}

fn to_controller(instructions: &[Instruction]) -> bool {
    instructions.iter().any(|i| match i {
        Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a
            .iter()
            .any(|a| matches!(a, Action::Output { port, .. } if *port == port_no::CONTROLLER)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_ofp::{MacAddr, Match, Oxm};
    use std::net::Ipv4Addr;

    fn headers(last: u8) -> Headers {
        Headers::udp(
            MacAddr([2, 0, 0, 0, 0, last]),
            MacAddr([2, 0, 0, 0, 1, last]),
            Ipv4Addr::new(10, 0, 0, last),
            Ipv4Addr::new(10, 0, 1, last),
            0,
        )
    }

    fn add(fl: &mut InFlight, last: u8, now: Instant) -> (u32, Vec<u8>) {
        let id = fl.next_id();
        let frame = headers(last).emit(id).unwrap();
        fl.insert(
            id,
            Pending {
                sent: now,
                in_port: 1,
                headers: headers(last),
                measured: true,
            },
            frame.clone(),
        );
        (id, frame)
    }

    fn output(port: u32) -> Vec<Instruction> {
        vec![Instruction::ApplyActions(vec![Action::Output {
            port,
            max_len: 0,
        }])]
    }

    #[test]
    fn packet_out_by_buffer_or_by_data_once() {
        let now = Instant::now();
        let mut fl = InFlight::new();
        let (a, _) = add(&mut fl, 1, now);
        let (_, frame_b) = add(&mut fl, 2, now);
        let by_buffer = PacketOut {
            buffer_id: a,
            in_port: 1,
            actions: vec![],
            data: vec![],
        };
        assert!(fl.answer_packet_out(&by_buffer).is_some());
        assert!(fl.answer_packet_out(&by_buffer).is_none(), "answered once");
        let by_data = PacketOut {
            buffer_id: OFP_NO_BUFFER,
            in_port: 1,
            actions: vec![],
            data: frame_b,
        };
        assert_eq!(
            fl.answer_packet_out(&by_data).map(|p| p.headers),
            Some(headers(2))
        );
        assert!(fl.is_empty());
    }

    #[test]
    fn flow_mod_by_match_skips_deletes_and_table_miss() {
        let now = Instant::now();
        let mut fl = InFlight::new();
        add(&mut fl, 1, now);
        add(&mut fl, 2, now);
        let m = Match::new().with(Oxm::Ipv4Src(Ipv4Addr::new(10, 0, 0, 2), None));
        let mut del = FlowMod::add(0, 1, m.clone(), output(2));
        del.command = FlowModCommand::Delete;
        assert!(fl.answer_flow_mod(&del).is_empty());
        let miss = FlowMod::add(0, 0, Match::new(), output(port_no::CONTROLLER));
        assert!(fl.answer_flow_mod(&miss).is_empty());
        let answered = fl.answer_flow_mod(&FlowMod::add(0, 1, m, output(2)));
        assert_eq!(answered.len(), 1);
        assert_eq!(answered[0].headers, headers(2));
        // An empty match covers what is left.
        assert_eq!(
            fl.answer_flow_mod(&FlowMod::add(0, 1, Match::new(), output(3)))
                .len(),
            1
        );
    }

    #[test]
    fn expiry_and_id_reuse() {
        let now = Instant::now();
        let mut fl = InFlight::new();
        let (id, _) = add(&mut fl, 1, now);
        assert!(fl.expire(now, Duration::from_secs(1)).is_empty());
        let later = now + Duration::from_secs(2);
        assert_eq!(fl.expire(later, Duration::from_secs(1)).len(), 1);
        assert!(fl.is_empty());
        fl.next_id = MAX_ID;
        assert_eq!(fl.next_id(), MAX_ID);
        assert_eq!(fl.next_id(), 0, "wraps below the high bit");
        let _ = id;
    }
}
