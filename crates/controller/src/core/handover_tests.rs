//! Hand-over of a connection between the cores of two chains ([`Event::HandedOver`],
//! [`Event::Adopted`]): the first core forgets it silently, the second goes on with the
//! handshake as if it had done it all.

use std::time::{Duration, Instant};

use flowfall_ofp::hello::Hello;
use flowfall_ofp::multipart::MultipartRequestBody;
use flowfall_ofp::{Message, OfMessage};
use flowfall_topology::Topology;

use super::tests::{LAB, features_reply};
use super::{ConnId, Controller, Event, Output, Timers};

const TIMERS: Timers = Timers {
    echo_interval: Duration::from_secs(5),
    dead_peer_timeout: Duration::from_secs(15),
    handshake_timeout: Duration::from_secs(10),
    barrier_timeout: Duration::from_secs(30),
};

fn core() -> Controller {
    let mut c = Controller::new(Topology::from_toml_str(LAB).unwrap(), TIMERS).unwrap();
    while c.poll_output().is_some() {}
    c
}

fn outputs(c: &mut Controller) -> Vec<Output> {
    std::iter::from_fn(|| c.poll_output()).collect()
}

fn bytes(xid: u32, msg: Message) -> Vec<u8> {
    OfMessage { xid, msg }.to_vec().unwrap()
}

fn features(xid: u32, dpid: u64) -> Vec<u8> {
    bytes(xid, features_reply(dpid))
}

/// The lobby's handshake up to FEATURES_REQUEST; its xid.
fn lobby_handshake(lobby: &mut Controller, now: Instant, conn: ConnId) -> u32 {
    lobby.handle(
        now,
        Event::Connected {
            conn,
            peer: "192.0.2.9:1".into(),
        },
    );
    lobby.handle(
        now,
        Event::Message {
            conn,
            bytes: bytes(0, Message::Hello(Hello::default())),
        },
    );
    let out = outputs(lobby);
    out.iter()
        .find_map(|o| match o {
            Output::Send { msg, .. } if msg.msg == Message::FeaturesRequest => Some(msg.xid),
            _ => None,
        })
        .expect("FEATURES_REQUEST")
}

#[test]
fn the_lobby_forgets_silently_and_the_owner_goes_on() {
    let t0 = Instant::now();
    let (mut lobby, mut owner) = (core(), core());
    let conn = ConnId(7);
    let xid = lobby_handshake(&mut lobby, t0, conn);
    assert!(lobby.poll_timeout().is_some());

    lobby.handle(t0, Event::HandedOver { conn });
    assert_eq!(outputs(&mut lobby), [], "nothing sent, nothing closed");
    assert_eq!(lobby.poll_timeout(), None, "no timer left for it");
    assert!(
        lobby.metrics().disconnects.is_empty(),
        "not a disconnection"
    );
    assert!(lobby.switch_views().iter().all(|v| v.peer.is_none()));
    // Late frames of the connection (already queued before the hand-over) are ignored.
    lobby.handle(
        t0,
        Event::Message {
            conn,
            bytes: bytes(9, Message::EchoRequest(Vec::new())),
        },
    );
    assert_eq!(outputs(&mut lobby), []);

    let dpid = Topology::from_toml_str(LAB).unwrap().switches()[0].dpid;
    let t1 = t0 + Duration::from_secs(1);
    owner.handle(
        t1,
        Event::Adopted {
            conn,
            peer: "192.0.2.9:1".into(),
            features: features(xid, dpid),
        },
    );
    let out = outputs(&mut owner);
    assert!(
        matches!(
            out.as_slice(),
            [Output::Send { conn: c, msg: OfMessage { msg: Message::MultipartRequest(r), .. } }]
                if *c == conn && r.body == MultipartRequestBody::PortDesc
        ),
        "{out:?}"
    );
    let view = owner
        .switch_views()
        .into_iter()
        .find(|v| v.peer.is_some())
        .unwrap();
    assert_eq!(view.state, "port-desc");
    assert_eq!(view.name.as_deref(), Some("j0"));
    // Fresh timers: the handshake deadline counts from the adoption.
    assert_eq!(owner.poll_timeout(), Some(t1 + TIMERS.echo_interval));
    // Echo keepalive works on the adopted connection.
    owner.handle(
        t1,
        Event::Message {
            conn,
            bytes: bytes(5, Message::EchoRequest(b"hi".to_vec())),
        },
    );
    assert!(matches!(
        outputs(&mut owner).as_slice(),
        [Output::Send { msg: OfMessage { xid: 5, msg: Message::EchoReply(d) }, .. }] if d == b"hi"
    ));
    // A disconnect right after the hand-over is the owner's to count.
    owner.handle(
        t1,
        Event::Disconnected {
            conn,
            reason: crate::metrics::DisconnectReason::Closed,
        },
    );
    assert_eq!(owner.metrics().disconnects.len(), 1);
    assert_eq!(owner.poll_timeout(), None);
}

#[test]
fn an_adopted_datapath_of_no_chain_stays_unmanaged_and_bad_bytes_time_out() {
    let t0 = Instant::now();
    let mut owner = core();
    owner.handle(
        t0,
        Event::Adopted {
            conn: ConnId(1),
            peer: "p".into(),
            features: features(3, 0xdead_beef),
        },
    );
    assert_eq!(outputs(&mut owner), []);
    let states: Vec<String> = owner.switch_views().into_iter().map(|v| v.state).collect();
    assert!(states.contains(&"unmanaged".to_string()), "{states:?}");

    // Truncated FEATURES_REPLY: answered with ERROR, closed at the handshake deadline.
    owner.handle(
        t0,
        Event::Adopted {
            conn: ConnId(2),
            peer: "p".into(),
            features: vec![4, 6, 0, 8],
        },
    );
    let out = outputs(&mut owner);
    assert!(
        matches!(
            out.as_slice(),
            [Output::Send {
                msg: OfMessage {
                    msg: Message::Error(_),
                    ..
                },
                ..
            }]
        ),
        "{out:?}"
    );
    owner.handle_timeout(t0 + TIMERS.handshake_timeout);
    assert!(outputs(&mut owner).iter().any(|o| matches!(
        o,
        Output::Close {
            conn: ConnId(2),
            reason: crate::metrics::DisconnectReason::HandshakeTimeout
        }
    )));
}
