//! Message handling: what the core does with each message a switch sends, by handshake phase.

use std::time::Instant;

use flowfall_compile::FlowEntry;
use flowfall_compile::cookie::Cookie;
use flowfall_ofp::error_msg::{BadRequestCode, ErrorCode, ErrorMsg, HelloFailedCode};
use flowfall_ofp::features::SwitchFeatures;
use flowfall_ofp::hello::Hello;
use flowfall_ofp::message::{Message, OfMessage};
use flowfall_ofp::multipart::{
    MultipartReply, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
};
use flowfall_ofp::port::{Port, PortReason, PortStatus};
use flowfall_ofp::switch_config::SwitchConfig;
use flowfall_topology::format_dpid;
use tracing::{debug, info, warn};

use super::channel::{MAX_FLOW_STATS, MAX_PORTS, Phase};
use super::reject;
use super::{ConnId, Controller};
use crate::metrics::{DisconnectReason, ErrorKind};

/// `OFPCML_NO_BUFFER`: PACKET_IN carries the whole packet and the switch buffers nothing.
const MISS_SEND_LEN: u16 = 0xffff;

impl Controller {
    /// One framed message from `conn`.
    pub(super) fn on_bytes(&mut self, now: Instant, conn: ConnId, bytes: &[u8]) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.last_rx = now;
        let in_hello = c.phase == Phase::Hello;
        match OfMessage::decode(bytes) {
            Ok(m) => self.on_message(now, conn, m, bytes),
            Err(e) => {
                self.metrics.error(ErrorKind::Malformed);
                let (xid, code) = reject::classify(bytes, &e);
                warn!(conn = conn.0, error = %e, "malformed message from switch; answered with ERROR");
                self.reply(conn, xid, Message::Error(ErrorMsg::reply_to(code, bytes)));
                if in_hello {
                    // Without a HELLO there is no channel to keep.
                    self.close(now, conn, DisconnectReason::Protocol);
                }
            }
        }
    }

    fn on_message(&mut self, now: Instant, conn: ConnId, m: OfMessage, raw: &[u8]) {
        let Some(phase) = self.conns.get(&conn).map(|c| c.phase.clone()) else {
            return;
        };
        let OfMessage { xid, msg } = m;
        if phase == Phase::Hello {
            return self.on_hello(now, conn, xid, msg, raw);
        }
        match msg {
            Message::EchoRequest(data) => self.reply(conn, xid, Message::EchoReply(data)),
            Message::EchoReply(_) => {}
            Message::Error(err) => self.on_switch_error(now, conn, xid, err),
            Message::BarrierReply => self.on_barrier_reply(now, conn, xid),
            Message::FeaturesReply(f) => match phase {
                Phase::Features { xid: want } if want == xid => self.on_features(now, conn, f),
                _ => debug!(conn = conn.0, "unsolicited FEATURES_REPLY ignored"),
            },
            Message::MultipartReply(reply) => self.on_multipart(now, conn, xid, reply),
            Message::PortStatus(ps) => self.on_port_status(now, conn, ps),
            Message::PacketIn(pi) => self.on_packet_in(now, conn, pi),
            Message::FlowRemoved(fr) => self.on_flow_removed(now, conn, fr),
            // Replies we never asked for, or asynchronous messages we do not use.
            Message::Hello(_)
            | Message::GetConfigReply(_)
            | Message::RoleReply(_)
            | Message::GetAsyncReply(_)
            | Message::QueueGetConfigReply(_) => {
                debug!(conn = conn.0, "ignored {}", reject::type_name(raw));
            }
            // No experimenter extension is spoken (§7.5.4).
            Message::Experimenter(_) => {
                self.metrics.error(ErrorKind::Malformed);
                self.reply(
                    conn,
                    xid,
                    Message::Error(ErrorMsg::reply_to(
                        ErrorCode::BadRequest(BadRequestCode::BadExperimenter),
                        raw,
                    )),
                );
            }
            // A switch must never send these to a controller (OpenFlow 1.3.5 §7.1).
            _ => {
                self.metrics.error(ErrorKind::Malformed);
                warn!(
                    conn = conn.0,
                    "unexpected {} from switch; answered with ERROR",
                    reject::type_name(raw)
                );
                self.reply(
                    conn,
                    xid,
                    Message::Error(ErrorMsg::reply_to(reject::unexpected(), raw)),
                );
            }
        }
    }

    /// The first message must be HELLO; negotiate (§6.3.1): only OpenFlow 1.3 is spoken.
    fn on_hello(&mut self, now: Instant, conn: ConnId, xid: u32, msg: Message, raw: &[u8]) {
        let Message::Hello(theirs) = msg else {
            self.metrics.error(ErrorKind::Malformed);
            warn!(
                conn = conn.0,
                "first message is {}, not HELLO",
                reject::type_name(raw)
            );
            self.reply(
                conn,
                xid,
                Message::Error(ErrorMsg::reply_to(reject::unexpected(), raw)),
            );
            return self.close(now, conn, DisconnectReason::Protocol);
        };
        let ours = Hello::default();
        if ours.negotiate(&theirs) == Some(flowfall_ofp::header::OFP_VERSION) {
            let xid = self.send(conn, Message::FeaturesRequest);
            if let Some(c) = self.conns.get_mut(&conn) {
                c.enter(Phase::Features { xid }, now, &self.timers);
            }
            return;
        }
        let offered = match theirs.bitmap_versions() {
            Some(vs) => format!("{vs:?}"),
            None => format!("up to {:#04x}", theirs.version),
        };
        let text = format!(
            "FlowFall speaks OpenFlow 1.3 (version 0x04) only; the switch offered versions {offered}"
        );
        warn!(conn = conn.0, %text, "version negotiation failed");
        self.reply(
            conn,
            xid,
            Message::Error(ErrorMsg {
                code: ErrorCode::HelloFailed(HelloFailedCode::Incompatible),
                data: text.into_bytes(),
            }),
        );
        self.close(now, conn, DisconnectReason::Incompatible);
    }

    /// Takes over a connection another core did the handshake of up to FEATURES_REQUEST
    /// ([`super::Event::Adopted`]): the connection starts in the FEATURES phase expecting
    /// `features`' xid, with fresh timers, and `features` is handled as if it answered our
    /// own request. A malformed `features` is answered with ERROR as any message would be;
    /// the handshake deadline then closes the connection.
    pub(super) fn adopt(&mut self, now: Instant, conn: ConnId, peer: String, features: &[u8]) {
        info!(conn = conn.0, %peer, "switch adopted from another chain's core");
        let xid = flowfall_ofp::header::Header::parse(features).map_or(0, |h| h.xid);
        let mut c = super::channel::Conn::new(peer, now, &self.timers);
        c.enter(Phase::Features { xid }, now, &self.timers);
        self.conns.insert(conn, c);
        self.on_bytes(now, conn, features);
    }

    fn on_features(&mut self, now: Instant, conn: ConnId, f: SwitchFeatures) {
        let dpid = f.datapath_id;
        let name = format_dpid(dpid);
        if f.auxiliary_id != 0 {
            warn!(conn = conn.0, dpid = %name, aux = f.auxiliary_id, "auxiliary connections are not used; closing");
            return self.close(now, conn, DisconnectReason::Protocol);
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.dpid = Some(dpid);
            c.n_tables = f.n_tables;
        }
        if self.model.junctions_of(dpid).is_empty() {
            warn!(conn = conn.0, dpid = %name, "unknown datapath: not in the topology, left untouched");
            if let Some(c) = self.conns.get_mut(&conn) {
                c.enter(Phase::Unmanaged, now, &self.timers);
            }
            return;
        }
        if let Some(&old) = self.by_dpid.get(&dpid) {
            if old != conn {
                warn!(dpid = %name, old = old.0, new = conn.0, "datapath reconnected; dropping its old connection");
                self.close(now, old, DisconnectReason::Replaced);
            }
        }
        self.by_dpid.insert(dpid, conn);
        info!(conn = conn.0, dpid = %name, junctions = ?self.model.junction_names(dpid), "switch identified");
        self.request_port_desc(now, conn);
    }

    /// Asks for the port descriptions (handshake step after FEATURES).
    pub(super) fn request_port_desc(&mut self, now: Instant, conn: ConnId) {
        let xid = self.send(
            conn,
            Message::MultipartRequest(MultipartRequest {
                flags: 0,
                body: MultipartRequestBody::PortDesc,
            }),
        );
        if let Some(c) = self.conns.get_mut(&conn) {
            c.enter(
                Phase::PortDesc {
                    xid,
                    ports: Vec::new(),
                },
                now,
                &self.timers,
            );
        }
    }

    fn on_multipart(&mut self, now: Instant, conn: ConnId, xid: u32, reply: MultipartReply) {
        if self.traffic.expects(conn, xid) {
            return self.on_traffic_stats(now, conn, reply);
        }
        let more = reply.flags & flowfall_ofp::multipart::OFPMPF_REPLY_MORE != 0;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        match (&mut c.phase, reply.body) {
            (Phase::PortDesc { xid: want, ports }, MultipartReplyBody::PortDesc(part))
                if *want == xid =>
            {
                if ports.len() + part.len() > MAX_PORTS {
                    warn!(conn = conn.0, "more than {MAX_PORTS} ports; closing");
                    return self.close(now, conn, DisconnectReason::Protocol);
                }
                ports.extend(part);
                if !more {
                    let ports = std::mem::take(ports);
                    self.on_port_desc(now, conn, ports);
                }
            }
            (Phase::Reconcile { xid: want, entries }, MultipartReplyBody::Flow(part))
                if *want == xid =>
            {
                if entries.len() + part.len() > MAX_FLOW_STATS {
                    warn!(
                        conn = conn.0,
                        "more than {MAX_FLOW_STATS} flow entries; closing"
                    );
                    return self.close(now, conn, DisconnectReason::Protocol);
                }
                entries.extend(part.into_iter().map(|s| FlowEntry {
                    table_id: s.table_id,
                    priority: s.priority,
                    match_: s.match_,
                    instructions: s.instructions.into(),
                    cookie: Cookie(s.cookie),
                    idle_timeout: s.idle_timeout,
                }));
                if !more {
                    let entries = std::mem::take(entries);
                    self.on_flow_table(now, conn, entries);
                }
            }
            _ => debug!(conn = conn.0, xid, "unsolicited multipart reply ignored"),
        }
    }

    fn on_port_desc(&mut self, now: Instant, conn: ConnId, ports: Vec<Port>) {
        let Some(dpid) = self.conns.get(&conn).and_then(|c| c.dpid) else {
            return;
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.ports = ports.iter().map(|p| (p.port_no, p.clone())).collect();
        }
        let missing = self.missing_ports(conn);
        if !missing.is_empty() {
            warn!(dpid = %format_dpid(dpid), ?missing, "the switch lacks ports the topology expects");
        }
        self.send(
            conn,
            Message::SetConfig(SwitchConfig {
                flags: 0,
                miss_send_len: MISS_SEND_LEN,
            }),
        );
        // Read the switch's table: only the difference will be sent.
        let xid = self.send(conn, super::stats::read_all_flows());
        if let Some(c) = self.conns.get_mut(&conn) {
            c.enter(
                Phase::Reconcile {
                    xid,
                    entries: Vec::new(),
                },
                now,
                &self.timers,
            );
        }
        // Port states feed VM liveness; a port the switch lacks counts as down.
        let states: Vec<(u32, bool)> = ports
            .iter()
            .map(|p| (p.port_no, p.is_up()))
            .chain(missing.iter().map(|&p| (p, false)))
            .collect();
        if self.model.set_port_states(dpid, &states) {
            self.model_changed(now);
        }
    }

    fn on_flow_table(&mut self, now: Instant, conn: ConnId, entries: Vec<FlowEntry>) {
        let Some(dpid) = self.conns.get(&conn).and_then(|c| c.dpid) else {
            return;
        };
        info!(dpid = %format_dpid(dpid), entries = entries.len(), "read the switch's flow table");
        let set = super::table::FlowSet::from_entries(entries);
        // Reactive flows survive a controller restart: keep them.
        let learned = self.model.learn_installed(&set);
        self.installed.insert(dpid, set);
        // Only this switch's table is new, unless it taught the model addresses whose
        // entries every switch now wants.
        let scope = if learned {
            self.generation += 1;
            super::sync::Scope::All
        } else {
            super::sync::Scope::switch(dpid)
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.enter(Phase::Ready, now, &self.timers);
        }
        self.metrics.switches_connected += 1;
        self.metrics.reconciles += 1;
        // Health meters before the entries that use them.
        self.health_switch_ready(conn, dpid);
        self.request_sync(now, scope);
    }

    fn on_port_status(&mut self, now: Instant, conn: ConnId, ps: PortStatus) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let Some(dpid) = c.dpid else {
            return;
        };
        let port = ps.desc.port_no;
        let up = ps.reason != PortReason::Delete && ps.desc.is_up();
        if ps.reason == PortReason::Delete {
            c.ports.remove(&port);
        } else {
            c.ports.insert(port, ps.desc);
        }
        if c.phase == Phase::Unmanaged {
            return;
        }
        info!(dpid = %format_dpid(dpid), port, up, "port status");
        if self.model.set_port_states(dpid, &[(port, up)]) {
            self.model_changed(now);
        }
        self.health_port_status(now, dpid, port, up);
    }

    fn on_switch_error(&mut self, now: Instant, conn: ConnId, xid: u32, err: ErrorMsg) {
        self.metrics.error(ErrorKind::Switch);
        if self.health_switch_error(now, conn, xid, &err) {
            return;
        }
        let (t, code) = err.code.type_code();
        let failed = self.sync.flow_mod_failed(conn, xid);
        match &failed {
            Some(entry) => warn!(
                conn = conn.0, xid, error_type = t, code,
                flow = %flowfall_compile::ofctl::flow_line(entry).unwrap_or_else(|_| format!("{entry:?}")),
                "switch refused a flow entry"
            ),
            None => warn!(
                conn = conn.0,
                xid,
                error_type = t,
                code,
                "switch reported an error"
            ),
        }
        // A refused handshake request: go on without what it would have told us.
        let phase = self.conns.get(&conn).map(|c| c.phase.clone());
        match phase {
            Some(Phase::Reconcile { xid: want, .. }) if want == xid => {
                warn!(
                    conn = conn.0,
                    "switch refused to list its flows; assuming an empty table (no deletes)"
                );
                self.on_flow_table(now, conn, Vec::new());
            }
            Some(Phase::PortDesc { xid: want, .. }) if want == xid => {
                self.on_port_desc(now, conn, Vec::new());
            }
            Some(Phase::Features { xid: want }) if want == xid => {
                self.close(now, conn, DisconnectReason::Protocol);
            }
            _ => {}
        }
    }

    /// Ports the topology expects on `conn`'s datapath that the switch does not have.
    pub(super) fn missing_ports(&self, conn: ConnId) -> Vec<u32> {
        let Some(c) = self.conns.get(&conn) else {
            return Vec::new();
        };
        let Some(dpid) = c.dpid else {
            return Vec::new();
        };
        self.model
            .expected_ports(dpid)
            .into_iter()
            .filter(|p| !c.ports.contains_key(p))
            .collect()
    }
}
