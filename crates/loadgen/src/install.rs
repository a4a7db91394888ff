//! Switch-programming speed, from the controller's side: accept one switch, complete the
//! handshake, send a [`crate::flowset`] of FLOW_MODs pipelined (optionally inside an ONF
//! bundle, see [`crate::bundle`]), then a BARRIER_REQUEST, and time until the
//! BARRIER_REPLY. Afterwards (untimed) an AGGREGATE request counts what the switch holds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use flowfall_ofp::framer::{FrameError, Framer};
use flowfall_ofp::header::OFP_VERSION;
use flowfall_ofp::hello::Hello;
use flowfall_ofp::multipart::{
    FlowStatsRequest, MultipartReplyBody, MultipartRequest, MultipartRequestBody,
};
use flowfall_ofp::{EncodeError, Message, OfMessage};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};

use crate::bundle::{self, BundleCtrlType, OFPBF_ATOMIC, OFPBF_ORDERED};
use crate::flowset;

const HELLO_XID: u32 = 1;
const FEATURES_XID: u32 = 2;
const BUNDLE_OPEN_XID: u32 = 3;
const BUNDLE_COMMIT_XID: u32 = 4;
const BARRIER_XID: u32 = 5;
const AGGREGATE_XID: u32 = 6;
const FIRST_FLOW_XID: u32 = 1000;
const BUNDLE_ID: u32 = 1;
/// FLOW_MODs encoded per write.
const BATCH: usize = 1024;

/// Settings of an install run.
#[derive(Debug, Clone, Copy)]
pub struct InstallOptions {
    /// Number of entries.
    pub flows: usize,
    /// Whether to send them in one ONF bundle (atomic, ordered).
    pub bundle: bool,
    /// Time allowed for each phase (accept, handshake, install).
    pub timeout: Duration,
}

/// What an install run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstallReport {
    /// The switch's dpid.
    pub dpid: u64,
    /// Entries sent.
    pub flows: usize,
    /// Whether a bundle was used.
    pub bundle: bool,
    /// Seconds from the TCP accept to the BARRIER_REPLY (the headline figure).
    pub connect_to_barrier_s: f64,
    /// Seconds of the handshake (accept to FEATURES_REPLY).
    pub handshake_s: f64,
    /// Seconds from the first FLOW_MOD written to the BARRIER_REPLY.
    pub install_s: f64,
    /// Bytes sent for the install (FLOW_MODs, bundle messages, barrier).
    pub bytes: u64,
    /// ERRORs the switch sent during the install.
    pub errors: u64,
    /// The first of them, decoded.
    pub first_error: Option<String>,
    /// Entries in the switch afterwards (AGGREGATE over all tables).
    pub flows_in_switch: Option<u32>,
}

/// Why an install run failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Socket error.
    #[error("{phase}: {source}")]
    Io {
        /// What was being done.
        phase: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// A phase took too long.
    #[error("{phase}: no progress within {timeout:?}")]
    Timeout {
        /// The phase.
        phase: &'static str,
        /// The limit.
        timeout: Duration,
    },
    /// The switch closed the connection.
    #[error("the switch closed the connection during {0}")]
    Closed(&'static str),
    /// The peer closed the connection without sending a byte (a port probe, not a switch).
    #[error("the peer closed the connection without sending anything")]
    SilentPeer,
    /// Broken framing from the switch.
    #[error("bad stream from the switch: {0}")]
    Frame(#[from] FrameError),
    /// The switch does not speak OpenFlow 1.3.
    #[error("the switch's HELLO (version {0}) offers no OpenFlow 1.3")]
    Version(u8),
    /// A message could not be encoded.
    #[error("cannot encode: {0}")]
    Encode(#[from] EncodeError),
    /// The bundle was not committed.
    #[error("bundle commit failed: {0}")]
    Bundle(String),
    /// The writer task panicked or was cancelled.
    #[error("the writer task ended abnormally: {0}")]
    Task(String),
}

/// Waits (up to `opts.timeout`) for one switch on `listener`, then [`install`]s. A
/// connection closed before sending anything (a port probe) is skipped.
pub async fn accept_and_install(
    listener: &TcpListener,
    opts: InstallOptions,
) -> Result<InstallReport, InstallError> {
    let deadline = tokio::time::Instant::now() + opts.timeout;
    loop {
        let (stream, _peer): (TcpStream, SocketAddr) =
            tokio::time::timeout_at(deadline, listener.accept())
                .await
                .map_err(|_| InstallError::Timeout {
                    phase: "waiting for the switch to connect",
                    timeout: opts.timeout,
                })?
                .map_err(|source| InstallError::Io {
                    phase: "accept",
                    source,
                })?;
        match install(stream, opts).await {
            Err(InstallError::SilentPeer) => continue,
            other => return other,
        }
    }
}

struct Reader {
    rd: OwnedReadHalf,
    framer: Framer,
    buf: Vec<u8>,
}

impl Reader {
    /// The next message from the switch (undecodable ones are skipped).
    async fn next(&mut self, phase: &'static str) -> Result<OfMessage, InstallError> {
        loop {
            match self.framer.next_message() {
                Ok(Some(m)) => return Ok(m),
                Ok(None) => {}
                Err(e) if e.is_fatal() => return Err(e.into()),
                Err(_) => continue,
            }
            let n = self
                .rd
                .read(&mut self.buf)
                .await
                .map_err(|source| InstallError::Io { phase, source })?;
            let Some(chunk) = self.buf.get(..n).filter(|c| !c.is_empty()) else {
                return Err(InstallError::Closed(phase));
            };
            self.framer.push(chunk)?;
        }
    }

    async fn next_within(
        &mut self,
        phase: &'static str,
        deadline: tokio::time::Instant,
    ) -> Result<OfMessage, InstallError> {
        let timeout = deadline.saturating_duration_since(tokio::time::Instant::now());
        tokio::time::timeout_at(deadline, self.next(phase))
            .await
            .map_err(|_| InstallError::Timeout { phase, timeout })?
    }
}

/// Programs the switch on `stream` (already connected) with `opts.flows` entries.
pub async fn install(
    stream: TcpStream,
    opts: InstallOptions,
) -> Result<InstallReport, InstallError> {
    let accepted = Instant::now();
    stream
        .set_nodelay(true)
        .map_err(|source| InstallError::Io {
            phase: "socket options",
            source,
        })?;
    let (rd, mut wr) = stream.into_split();
    let mut rx = Reader {
        rd,
        framer: Framer::new(),
        buf: vec![0; 64 << 10],
    };
    let mut hello = Vec::new();
    OfMessage {
        xid: HELLO_XID,
        msg: Message::Hello(Hello::with_versions(&[OFP_VERSION])),
    }
    .encode(&mut hello)?;
    OfMessage {
        xid: FEATURES_XID,
        msg: Message::FeaturesRequest,
    }
    .encode(&mut hello)?;
    let io = |phase| move |source| InstallError::Io { phase, source };
    // A peer that fails before sending a whole message is not a switch (e.g. a port probe).
    let silent = |e: InstallError| match e {
        InstallError::Io { .. } | InstallError::Closed(_) => InstallError::SilentPeer,
        other => other,
    };
    wr.write_all(&hello)
        .await
        .map_err(|e| silent(io("sending HELLO")(e)))?;

    // Handshake: the switch's HELLO and FEATURES_REPLY.
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let mut dpid = None;
    let mut heard = false;
    while dpid.is_none() {
        let m = match rx.next_within("handshake", deadline).await {
            Ok(m) => m,
            Err(e) if !heard => return Err(silent(e)),
            Err(e) => return Err(e),
        };
        heard = true;
        match m.msg {
            Message::Hello(h) if !h.supports(OFP_VERSION) => {
                return Err(InstallError::Version(h.version));
            }
            Message::FeaturesReply(f) => dpid = Some(f.datapath_id),
            Message::EchoRequest(d) => {
                let mut b = Vec::new();
                OfMessage {
                    xid: m.xid,
                    msg: Message::EchoReply(d),
                }
                .encode(&mut b)?;
                wr.write_all(&b).await.map_err(io("echo reply"))?;
            }
            _ => {}
        }
    }
    let handshake_done = Instant::now();

    // The install: a writer task encodes and writes while this task reads errors/replies.
    let flows = opts.flows.min(flowset::MAX_FLOWS);
    let use_bundle = opts.bundle;
    let writer = tokio::spawn(async move {
        let mut bytes = 0u64;
        let mut buf = Vec::with_capacity(BATCH * 128);
        let flags = OFPBF_ATOMIC | OFPBF_ORDERED;
        if use_bundle {
            bundle::control(
                BUNDLE_OPEN_XID,
                BUNDLE_ID,
                BundleCtrlType::OpenRequest,
                flags,
            )
            .encode(&mut buf)?;
        }
        let mut all = flowset::flows(flows).peekable();
        while all.peek().is_some() {
            for f in all.by_ref().take(BATCH) {
                let m = OfMessage {
                    xid: FIRST_FLOW_XID.wrapping_add(f.index),
                    msg: Message::FlowMod(f.flow_mod()),
                };
                if use_bundle {
                    bundle::encode_add(BUNDLE_ID, flags, &m, &mut buf)?;
                } else {
                    m.encode(&mut buf)?;
                }
            }
            if all.peek().is_none() {
                if use_bundle {
                    bundle::control(
                        BUNDLE_COMMIT_XID,
                        BUNDLE_ID,
                        BundleCtrlType::CommitRequest,
                        flags,
                    )
                    .encode(&mut buf)?;
                }
                OfMessage {
                    xid: BARRIER_XID,
                    msg: Message::BarrierRequest,
                }
                .encode(&mut buf)?;
            }
            wr.write_all(&buf).await.map_err(io("sending FLOW_MODs"))?;
            bytes += buf.len() as u64;
            buf.clear();
        }
        if flows == 0 {
            OfMessage {
                xid: BARRIER_XID,
                msg: Message::BarrierRequest,
            }
            .encode(&mut buf)?;
            wr.write_all(&buf).await.map_err(io("sending BARRIER"))?;
            bytes += buf.len() as u64;
        }
        Ok::<_, InstallError>((wr, bytes))
    });

    let deadline = tokio::time::Instant::now() + opts.timeout;
    let mut errors = 0u64;
    let mut first_error = None;
    let mut committed = !use_bundle;
    loop {
        let m = match rx
            .next_within("waiting for the BARRIER_REPLY", deadline)
            .await
        {
            Ok(m) => m,
            Err(e) => {
                // Stop writing to a switch that has failed.
                writer.abort();
                return Err(e);
            }
        };
        match &m.msg {
            Message::BarrierReply if m.xid == BARRIER_XID => break,
            Message::Error(e) => {
                errors += 1;
                if first_error.is_none() {
                    first_error = Some(format!("xid {}: {:?}", m.xid, e.code));
                }
            }
            other => {
                if let Some((_, BundleCtrlType::CommitReply)) = bundle::parse_control(other) {
                    committed = true;
                }
            }
        }
    }
    let done = Instant::now();
    let (mut wr, bytes) = writer
        .await
        .map_err(|e| InstallError::Task(e.to_string()))??;
    if !committed {
        return Err(InstallError::Bundle(first_error.unwrap_or_else(|| {
            "no COMMIT_REPLY before the BARRIER_REPLY".into()
        })));
    }

    // Untimed check: how many entries the switch holds now.
    let mut b = Vec::new();
    OfMessage {
        xid: AGGREGATE_XID,
        msg: Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: MultipartRequestBody::Aggregate(FlowStatsRequest::default()),
        }),
    }
    .encode(&mut b)?;
    wr.write_all(&b)
        .await
        .map_err(io("sending AGGREGATE request"))?;
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let mut flows_in_switch = None;
    while flows_in_switch.is_none() {
        let m = rx
            .next_within("waiting for the AGGREGATE reply", deadline)
            .await?;
        if let (AGGREGATE_XID, Message::MultipartReply(r)) = (m.xid, &m.msg) {
            if let MultipartReplyBody::Aggregate(a) = &r.body {
                flows_in_switch = Some(a.flow_count);
            }
        }
    }
    Ok(InstallReport {
        dpid: dpid.unwrap_or_default(),
        flows,
        bundle: use_bundle,
        connect_to_barrier_s: done.duration_since(accepted).as_secs_f64(),
        handshake_s: handshake_done.duration_since(accepted).as_secs_f64(),
        install_s: done.duration_since(handshake_done).as_secs_f64(),
        bytes,
        errors,
        first_error,
        flows_in_switch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::{EmulatedSwitch, SwitchSpec};

    /// The install tool against the emulated switch over loopback TCP.
    #[tokio::test]
    async fn installs_into_the_emulated_switch() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A port probe that connects and leaves is skipped.
        drop(TcpStream::connect(addr).await.unwrap());
        let switch = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut sw = EmulatedSwitch::new(SwitchSpec::new(0xabc, [1, 2]));
            let mut out = Vec::new();
            sw.hello().encode(&mut out).unwrap();
            s.write_all(&out).await.unwrap();
            let mut framer = Framer::new();
            let mut buf = vec![0; 65536];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    return sw.table().len();
                }
                framer.push(&buf[..n]).unwrap();
                let mut out = Vec::new();
                while let Some(f) = framer.next_frame().unwrap() {
                    sw.handle(Instant::now(), f, &mut out).unwrap();
                }
                s.write_all(&out).await.unwrap();
            }
        });
        let opts = InstallOptions {
            flows: 3000,
            bundle: false,
            timeout: Duration::from_secs(20),
        };
        let report = accept_and_install(&listener, opts).await.unwrap();
        assert_eq!(report.dpid, 0xabc);
        assert_eq!(report.errors, 0);
        assert_eq!(report.flows_in_switch, Some(3000));
        assert!(report.connect_to_barrier_s >= report.install_s);
        drop(listener);
        assert_eq!(switch.await.unwrap(), 3000, "the switch's own table agrees");
    }
}
