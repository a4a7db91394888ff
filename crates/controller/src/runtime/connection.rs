//! One switch connection: a reader that frames the stream and hands each message to the core,
//! a writer that sends what the core queued, and the two bounds that protect the controller
//! from a misbehaving switch.
//!
//! * Flood: at most `inbound_queue` messages of one switch wait for the core (each carries a
//!   semaphore permit, released when the core has handled it). A switch that gets further
//!   ahead than that is disconnected, so one switch can neither exhaust memory nor starve the
//!   others.
//! * Stall: at most `outbound_buffer` bytes wait to be written to one switch (counted in
//!   [`Link::queued`]); the core task disconnects a switch that does not read.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::codec::FramedRead;

use super::frames::{RawFrameError, RawFrames};
use super::routes::{Routes, features_dpid};
use crate::core::ConnId;
use crate::metrics::DisconnectReason;

/// What the core task sends a connection's writer.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Bytes of one or more encoded messages.
    Bytes(Bytes),
    /// Flush what is queued, then close the connection.
    Close,
}

/// The core task's handle on one connection.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// Outbound queue (bounded by bytes, see `queued`).
    pub tx: mpsc::UnboundedSender<Outbound>,
    /// Bytes queued and not yet written.
    pub queued: Arc<AtomicUsize>,
    /// Wakes the connection task to drop the connection at once (without flushing).
    pub kill: Arc<Notify>,
}

impl Link {
    /// Queues bytes unless that would exceed `limit` queued bytes. `false`: the switch is not
    /// reading (or is gone); the caller disconnects it.
    pub fn send(&self, bytes: Bytes, limit: usize) -> bool {
        let len = bytes.len();
        let before = self.queued.fetch_add(len, Ordering::AcqRel);
        if before.saturating_add(len) > limit {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            return false;
        }
        self.tx.send(Outbound::Bytes(bytes)).is_ok()
    }

    /// Asks the writer to flush and close.
    pub fn close(&self) {
        // A closed channel means the connection task already ended.
        let _ = self.tx.send(Outbound::Close);
    }

    /// Drops the connection without flushing.
    pub fn kill(&self) {
        self.kill.notify_one();
    }
}

/// Connection events for the core task.
#[derive(Debug)]
pub(crate) enum ConnInput {
    /// A connection is up (TLS handshake done when TLS is on).
    Up {
        /// The connection.
        conn: ConnId,
        /// The switch's address.
        peer: SocketAddr,
        /// Where to send its messages.
        link: Link,
    },
    /// One framed message.
    Frame {
        /// The connection.
        conn: ConnId,
        /// The message's bytes.
        bytes: Bytes,
        /// Released once the core handled the message (flood bound).
        permit: OwnedSemaphorePermit,
    },
    /// Several chains: the connection's FEATURES_REPLY names a datapath of this core's chain;
    /// the lobby did the handshake so far. Later frames come to this core.
    Adopt {
        /// The connection.
        conn: ConnId,
        /// The switch's address.
        peer: SocketAddr,
        /// Where to send its messages.
        link: Link,
        /// The FEATURES_REPLY.
        features: Bytes,
        /// Released once the core handled it (flood bound).
        permit: OwnedSemaphorePermit,
    },
    /// Several chains: the connection went to the core owning its datapath (to the lobby,
    /// which forgets it).
    HandedOver {
        /// The connection.
        conn: ConnId,
    },
    /// The connection ended.
    Down {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: DisconnectReason,
        /// Details for the log.
        detail: String,
    },
}

/// Bounds of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Messages that may wait for the core.
    pub inbound_queue: usize,
}

/// Serves one connection until it ends; reports `Up`, each frame, and `Down` to the lobby
/// core of `routes`, or, once the switch's FEATURES_REPLY named a datapath of another chain,
/// `HandedOver` to the lobby and `Adopt`, the later frames and `Down` to that chain's core.
pub(crate) async fn serve<S>(
    stream: S,
    conn: ConnId,
    peer: SocketAddr,
    bounds: Bounds,
    routes: Arc<Routes>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let Some(lobby) = routes.lobby() else {
        return;
    };
    let mut core = lobby.clone();
    // With one chain there is nobody to hand over to.
    let mut routed = !routes.several();
    let (rd, wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let link = Link {
        tx,
        queued: Arc::new(AtomicUsize::new(0)),
        kill: Arc::new(Notify::new()),
    };
    let queued = link.queued.clone();
    let kill = link.kill.clone();
    let handover_link = link.clone();
    if core.send(ConnInput::Up { conn, peer, link }).is_err() {
        return;
    }
    let permits = Arc::new(Semaphore::new(bounds.inbound_queue));
    let reader = async {
        let mut frames = FramedRead::new(rd, RawFrames::default());
        loop {
            match frames.next().await {
                Some(Ok(bytes)) => {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        return (
                            DisconnectReason::Flood,
                            format!(
                                "more than {} messages waiting for the controller",
                                bounds.inbound_queue
                            ),
                        );
                    };
                    if !routed && let Some(dpid) = features_dpid(&bytes) {
                        routed = true;
                        if let Some(owner) = routes.elsewhere(dpid) {
                            // The lobby may already have stopped; the owner decides.
                            let _ = core.send(ConnInput::HandedOver { conn });
                            core = owner.clone();
                            let adopt = ConnInput::Adopt {
                                conn,
                                peer,
                                link: handover_link.clone(),
                                features: bytes,
                                permit,
                            };
                            if core.send(adopt).is_err() {
                                return (DisconnectReason::Shutdown, "controller stopped".into());
                            }
                            continue;
                        }
                    }
                    if core
                        .send(ConnInput::Frame {
                            conn,
                            bytes,
                            permit,
                        })
                        .is_err()
                    {
                        return (DisconnectReason::Shutdown, "controller stopped".into());
                    }
                }
                Some(Err(RawFrameError::Io(e))) => {
                    return (DisconnectReason::Closed, format!("read: {e}"));
                }
                Some(Err(RawFrameError::Frame(e))) => {
                    return (DisconnectReason::Protocol, e.to_string());
                }
                None => return (DisconnectReason::Closed, "closed by the switch".into()),
            }
        }
    };
    let writer = async {
        let mut wr = BufWriter::new(wr);
        while let Some(out) = rx.recv().await {
            let mut next = Some(out);
            // Write everything queued, then flush once.
            while let Some(out) = next.take() {
                match out {
                    Outbound::Bytes(b) => {
                        if let Err(e) = wr.write_all(&b).await {
                            return (DisconnectReason::Closed, format!("write: {e}"));
                        }
                        queued.fetch_sub(b.len(), Ordering::AcqRel);
                    }
                    Outbound::Close => {
                        // Best effort: the connection is going away anyway.
                        let _ = wr.flush().await;
                        let _ = wr.shutdown().await;
                        return (DisconnectReason::Closed, "closed by the controller".into());
                    }
                }
                next = rx.try_recv().ok();
            }
            if let Err(e) = wr.flush().await {
                return (DisconnectReason::Closed, format!("write: {e}"));
            }
        }
        (DisconnectReason::Shutdown, "controller stopped".into())
    };
    let (reason, detail) = tokio::select! {
        r = reader => r,
        w = writer => w,
        () = kill.notified() => (DisconnectReason::Closed, "dropped by the controller".into()),
    };
    // The core ignores `Down` for connections it already closed itself.
    let _ = core.send(ConnInput::Down {
        conn,
        reason,
        detail,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// Serves `ours` as connection `conn`; returns what the "core" receives.
    fn spawn(
        ours: tokio::io::DuplexStream,
        conn: ConnId,
        inbound_queue: usize,
    ) -> (
        mpsc::UnboundedReceiver<ConnInput>,
        tokio::task::JoinHandle<()>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let peer = SocketAddr::from(([127, 0, 0, 1], 1));
        let routes = Arc::new(Routes::new(vec![tx], Default::default()));
        let task = tokio::spawn(serve(ours, conn, peer, Bounds { inbound_queue }, routes));
        (rx, task)
    }

    fn echo_request(xid: u32) -> [u8; 8] {
        let x = xid.to_be_bytes();
        [4, 2, 0, 8, x[0], x[1], x[2], x[3]]
    }

    #[tokio::test]
    async fn frames_reach_the_core_and_bytes_reach_the_switch() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let (mut rx, task) = spawn(ours, ConnId(7), 4);
        let Some(ConnInput::Up { conn, link, .. }) = rx.recv().await else {
            panic!("expected Up");
        };
        assert_eq!(conn, ConnId(7));
        theirs.write_all(&echo_request(1)).await.unwrap();
        let Some(ConnInput::Frame { bytes, .. }) = rx.recv().await else {
            panic!("expected a frame");
        };
        assert_eq!(&bytes[..], &echo_request(1));
        assert!(link.send(Bytes::from_static(b"abcdefgh"), 1 << 20));
        let mut buf = [0u8; 8];
        theirs.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abcdefgh");
        link.close();
        let Some(ConnInput::Down { reason, .. }) = rx.recv().await else {
            panic!("expected Down");
        };
        assert_eq!(reason, DisconnectReason::Closed);
        task.await.unwrap();
    }

    fn features_reply(dpid: u64) -> Vec<u8> {
        let mut m = vec![4, 6, 0, 32, 0, 0, 0, 3];
        m.extend_from_slice(&dpid.to_be_bytes());
        m.extend_from_slice(&[0; 16]);
        m
    }

    #[tokio::test]
    async fn a_features_reply_of_another_chain_moves_the_connection_there() {
        let (lobby_tx, mut lobby) = mpsc::unbounded_channel();
        let (owner_tx, mut owner) = mpsc::unbounded_channel();
        let owners = std::collections::HashMap::from([(1, 0), (2, 1)]);
        let routes = Arc::new(Routes::new(vec![lobby_tx, owner_tx], owners));
        let peer = SocketAddr::from(([127, 0, 0, 1], 1));
        let serve_one = |conn: u64| {
            let (ours, theirs) = tokio::io::duplex(1 << 16);
            let task = tokio::spawn(serve(
                ours,
                ConnId(conn),
                peer,
                Bounds { inbound_queue: 8 },
                Arc::clone(&routes),
            ));
            (theirs, task)
        };

        // Datapath 2 belongs to the second chain.
        let (mut sw, task) = serve_one(1);
        assert!(matches!(lobby.recv().await, Some(ConnInput::Up { .. })));
        sw.write_all(&echo_request(1)).await.unwrap();
        assert!(matches!(lobby.recv().await, Some(ConnInput::Frame { .. })));
        let mut burst = features_reply(2);
        burst.extend_from_slice(&echo_request(2));
        sw.write_all(&burst).await.unwrap();
        assert!(matches!(
            lobby.recv().await,
            Some(ConnInput::HandedOver { conn: ConnId(1) })
        ));
        let Some(ConnInput::Adopt {
            conn,
            features,
            link,
            ..
        }) = owner.recv().await
        else {
            panic!("expected Adopt");
        };
        assert_eq!(conn, ConnId(1));
        assert_eq!(&features[..], &features_reply(2)[..]);
        let Some(ConnInput::Frame { bytes, .. }) = owner.recv().await else {
            panic!("expected the next frame at the owner");
        };
        assert_eq!(&bytes[..], &echo_request(2));
        // The owner writes through the same link; the disconnect reaches the owner.
        assert!(link.send(Bytes::from_static(b"12345678"), 1 << 20));
        let mut buf = [0u8; 8];
        sw.read_exact(&mut buf).await.unwrap();
        drop(sw);
        assert!(matches!(
            owner.recv().await,
            Some(ConnInput::Down {
                conn: ConnId(1),
                ..
            })
        ));
        task.await.unwrap();
        assert!(lobby.try_recv().is_err(), "nothing more for the lobby");

        // Datapath 1 (the lobby's chain) and 9 (no chain) stay at the lobby, also when a
        // later FEATURES_REPLY names another chain's datapath.
        for (conn, dpid) in [(2, 1), (3, 9)] {
            let (mut sw, task) = serve_one(conn);
            assert!(matches!(lobby.recv().await, Some(ConnInput::Up { .. })));
            sw.write_all(&features_reply(dpid)).await.unwrap();
            sw.write_all(&features_reply(2)).await.unwrap();
            for _ in 0..2 {
                assert!(matches!(lobby.recv().await, Some(ConnInput::Frame { .. })));
            }
            drop(sw);
            assert!(matches!(lobby.recv().await, Some(ConnInput::Down { .. })));
            task.await.unwrap();
        }
        assert!(owner.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_switch_that_floods_is_disconnected() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        // The "core" here never handles anything: its permits are never released.
        let (mut rx, _task) = spawn(ours, ConnId(1), 8);
        let mut burst = Vec::new();
        for xid in 0..100 {
            burst.extend_from_slice(&echo_request(xid));
        }
        theirs.write_all(&burst).await.unwrap();
        let mut held = Vec::new();
        let reason = loop {
            match rx.recv().await {
                Some(ConnInput::Frame { permit, .. }) => held.push(permit),
                Some(ConnInput::Down { reason, detail, .. }) => {
                    assert!(detail.contains("more than 8"), "{detail}");
                    break reason;
                }
                Some(
                    ConnInput::Up { .. } | ConnInput::Adopt { .. } | ConnInput::HandedOver { .. },
                ) => {}
                None => panic!("no Down"),
            }
        };
        assert_eq!(reason, DisconnectReason::Flood);
        assert_eq!(held.len(), 8);
    }

    #[tokio::test]
    async fn a_switch_that_does_not_read_fills_the_outbound_bound() {
        let (ours, _theirs) = tokio::io::duplex(1024);
        let (mut rx, _task) = spawn(ours, ConnId(1), 8);
        let Some(ConnInput::Up { link, .. }) = rx.recv().await else {
            panic!("expected Up");
        };
        let chunk = Bytes::from(vec![0u8; 4096]);
        let mut accepted = 0;
        while link.send(chunk.clone(), 64 * 1024) {
            accepted += 1;
            assert!(accepted < 1000, "bound never reached");
            tokio::task::yield_now().await;
        }
        // The duplex pipe holds 1 KiB, the bound 64 KiB: about 16 chunks fit.
        assert!((15..=18).contains(&accepted), "{accepted}");
        link.kill();
        let Some(ConnInput::Down { detail, .. }) = rx.recv().await else {
            panic!("expected Down");
        };
        assert!(detail.contains("dropped"), "{detail}");
    }

    #[tokio::test]
    async fn an_impossible_length_ends_the_connection_as_a_protocol_error() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let (mut rx, _task) = spawn(ours, ConnId(1), 8);
        theirs.write_all(&[4, 0, 0, 2, 0, 0, 0, 0]).await.unwrap();
        loop {
            match rx.recv().await {
                Some(ConnInput::Down { reason, detail, .. }) => {
                    assert_eq!(reason, DisconnectReason::Protocol);
                    assert!(detail.contains("found 2"), "{detail}");
                    break;
                }
                Some(_) => {}
                None => panic!("no Down"),
            }
        }
    }
}
