//! Reactive mode, as the paper ran it (section 4.2): the first packet of a customer address
//! reaches the controller (PACKET_IN); the controller installs that address's flows on every
//! switch of its path, both directions (not hop by hop), waits for the barriers, and sends the
//! packet back into the pipeline of the switch it came from (PACKET_OUT to `OFPP_TABLE`).
//! Entries carry the configured idle timeout and ask for FLOW_REMOVED; when one expires the
//! whole address is withdrawn, so its next packet installs a fresh, complete path.
//!
//! An address none of whose entries is installed or in flight gets all of them in one phase
//! (one barrier per switch, `flowfall_compile::diff`, "Brand-new owners"), so the edge entry
//! that answers the packet leaves at once. Until the barriers confirm it, a later packet of
//! the address may find the entry of a junction further on still missing: that junction's
//! reactive IP-miss entry punts it. Its PACKET_IN is handled like any other: the address is
//! found from the port it arrived on (an interior port of the path: `locate`), it is already
//! active, and the packet is held as a pending packet of the current generation, then
//! re-injected (`OFPP_TABLE`, with its `in_port`) at the switch it came from once that
//! generation is confirmed, where the now-installed entries carry it on through the layers it
//! has not crossed. Packets are never sent before their generation is confirmed. A packet
//! punted inside the chain that its address's entries no longer expect there (its path moved
//! to another VM meanwhile) is dropped instead: re-injected, it would only be punted again.

use std::time::Instant;

use flowfall_compile::cookie::Cookie;
use flowfall_ofp::Action;
use flowfall_ofp::flow_mod::OFP_NO_BUFFER;
use flowfall_ofp::flow_removed::{FlowRemoved, FlowRemovedReason};
use flowfall_ofp::message::Message;
use flowfall_ofp::packet_in::PacketIn;
use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::{Oxm, port::port_no};
use tracing::{debug, warn};

use super::channel::Phase;
use super::packet;
use super::{ConnId, Controller};

/// Most packets held while their flows are being installed; more are dropped (the sender
/// retransmits, or the next packet finds the flows).
pub(crate) const MAX_PENDING_PACKETS: usize = 1024;

/// A packet waiting for its flows.
#[derive(Debug, Clone)]
pub(crate) struct PendingPacket {
    /// Sent once this model generation is confirmed.
    pub generation: u64,
    /// The datapath it came from.
    pub dpid: u64,
    /// Its PACKET_OUT.
    pub out: PacketOut,
}

impl Controller {
    pub(super) fn on_packet_in(&mut self, now: Instant, conn: ConnId, pi: PacketIn) {
        self.metrics.packet_ins += 1;
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let (Some(dpid), Phase::Ready) = (c.dpid, &c.phase) else {
            return;
        };
        if self.health_packet_in(now, dpid, &pi) {
            return;
        }
        let in_port = pi.match_.fields.iter().find_map(|o| match o {
            Oxm::InPort(p) => Some(*p),
            _ => None,
        });
        let Some(in_port) = in_port else {
            debug!(conn = conn.0, "PACKET_IN without in_port ignored");
            return;
        };
        let Some(header) = packet::parse(&pi.data) else {
            debug!(
                conn = conn.0,
                in_port, "PACKET_IN of a non-IP packet ignored"
            );
            return;
        };
        if !self.model.is_reactive() {
            debug!(conn = conn.0, in_port, src = %header.src, dst = %header.dst, "PACKET_IN in proactive mode ignored");
            return;
        }
        let activated = match self.model.activate(dpid, in_port, &header) {
            Ok(owner) => owner,
            Err(why) => {
                debug!(conn = conn.0, in_port, src = %header.src, dst = %header.dst, %why, "PACKET_IN dropped");
                return;
            }
        };
        if let Some(owner) = activated {
            // Per packet: debug, not info (a log line per new address costs a write).
            debug!(src = %header.src, dst = %header.dst, "reactive: installing the address's path");
            self.desired_changed(now, owner);
        }
        if !self.model.continues_here(dpid, in_port, &header) {
            // Punted inside the chain by a path that has moved since: re-injected, it would
            // only come back. Dropped (never forwarded past a layer).
            debug!(conn = conn.0, in_port, src = %header.src, dst = %header.dst, "PACKET_IN off its address's path dropped");
            return;
        }
        let out = PacketOut {
            buffer_id: if pi.data.is_empty() {
                pi.buffer_id
            } else {
                OFP_NO_BUFFER
            },
            in_port,
            actions: vec![Action::Output {
                port: port_no::TABLE,
                max_len: 0,
            }],
            data: pi.data,
        };
        if self.pending_packets.len() >= MAX_PENDING_PACKETS {
            warn!("too many packets waiting for their flows; dropping one");
            return;
        }
        self.pending_packets.push_back(PendingPacket {
            generation: self.generation,
            dpid,
            out,
        });
        if let Some(confirmed) = self.sync.confirmed(self.generation) {
            self.flush_packet_outs(confirmed);
        }
    }

    /// Sends the packets whose flows are confirmed (generation <= `generation`).
    pub(super) fn flush_packet_outs(&mut self, generation: u64) {
        while self
            .pending_packets
            .front()
            .is_some_and(|p| p.generation <= generation)
        {
            let Some(p) = self.pending_packets.pop_front() else {
                break;
            };
            if let Some(&conn) = self.by_dpid.get(&p.dpid) {
                self.send(conn, Message::PacketOut(p.out));
            }
        }
    }

    pub(super) fn on_flow_removed(&mut self, now: Instant, conn: ConnId, fr: FlowRemoved) {
        let Some(dpid) = self.conns.get(&conn).and_then(|c| c.dpid) else {
            return;
        };
        let gone = flowfall_compile::FlowEntry {
            table_id: fr.table_id,
            priority: fr.priority,
            match_: fr.match_,
            instructions: Vec::new().into(),
            cookie: Cookie(fr.cookie),
            idle_timeout: fr.idle_timeout,
        };
        if let Some(t) = self.installed.get_mut(&dpid) {
            t.remove(&gone);
        }
        if fr.reason == FlowRemovedReason::IdleTimeout
            && let Some(owner) = self.model.deactivate(Cookie(fr.cookie))
        {
            debug!(cookie = %Cookie(fr.cookie), "reactive: address idle; withdrawing its path");
            self.desired_changed(now, owner);
        }
    }
}
