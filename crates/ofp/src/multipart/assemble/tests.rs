//! Tests of multipart splitting and reassembly.

use super::*;
use crate::multipart::{
    FlowStats, MultipartExperimenter, PortStats, TableStats, strategies::arb_reply,
};
use crate::table_features::{TableFeatureProp, TableFeatures};
use crate::{Instruction, Match, Oxm};
use proptest::prelude::*;

fn flows(n: usize) -> Vec<FlowStats> {
    (0..n)
        .map(|i| FlowStats {
            priority: (i % 65536) as u16,
            cookie: i as u64,
            match_: Match::new()
                .with(Oxm::InPort(i as u32))
                .with(Oxm::EthType(0x0800)),
            instructions: vec![Instruction::GotoTable(1)],
            ..FlowStats::default()
        })
        .collect()
}

fn reply_parts(msgs: &[OfMessage]) -> Vec<&MultipartReply> {
    msgs.iter()
        .map(|m| match &m.msg {
            Message::MultipartReply(r) => r,
            other => panic!("not a multipart reply: {other:?}"),
        })
        .collect()
}

fn reassemble(msgs: Vec<OfMessage>) -> OfMessage {
    let mut r = Reassembler::default();
    let n = msgs.len();
    let mut out = None;
    for (i, m) in msgs.into_iter().enumerate() {
        let got = r.push(m).unwrap();
        assert_eq!(got.is_some(), i + 1 == n, "part {i} of {n}");
        out = got;
    }
    assert_eq!(r.pending(), 0);
    out.unwrap()
}

#[test]
fn large_flow_reply_splits_under_64k_and_reassembles() {
    // 2000 entries of 80 bytes: 160000 bytes of body, three messages.
    let reply = MultipartReply::new(MultipartReplyBody::Flow(flows(2000)));
    let msgs = split_reply(42, reply.clone()).unwrap();
    assert_eq!(msgs.len(), 3);
    let mut total_entries = 0;
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.xid, 42);
        let bytes = m.to_vec().unwrap();
        assert!(bytes.len() <= MAX_MESSAGE_LEN, "part {i}: {}", bytes.len());
        // Each part decodes back to itself.
        assert_eq!(&OfMessage::decode(&bytes).unwrap(), m);
        let r = reply_parts(std::slice::from_ref(m))[0];
        assert_eq!(r.more(), i < 2);
        let MultipartReplyBody::Flow(f) = &r.body else {
            panic!()
        };
        total_entries += f.len();
    }
    assert_eq!(total_entries, 2000);
    // 65519 / 80 = 818 entries fill the first message.
    let first = reply_parts(&msgs)[0];
    let MultipartReplyBody::Flow(f) = &first.body else {
        panic!()
    };
    assert_eq!(f.len(), 818);

    let merged = reassemble(msgs);
    assert_eq!(merged, OfMessage::new(42, Message::MultipartReply(reply)));
}

#[test]
fn small_replies_stay_whole_and_keep_their_flags() {
    let reply = MultipartReply {
        flags: 0x8000,
        body: MultipartReplyBody::Table(vec![TableStats::default(); 3]),
    };
    let msgs = split_reply(1, reply.clone()).unwrap();
    assert_eq!(
        msgs,
        vec![OfMessage::new(1, Message::MultipartReply(reply))]
    );

    let empty = MultipartReply::new(MultipartReplyBody::PortStats(vec![]));
    assert_eq!(split_reply(2, empty).unwrap().len(), 1);

    let desc = MultipartReply::new(MultipartReplyBody::Desc(Default::default()));
    assert_eq!(split_reply(3, desc).unwrap().len(), 1);
}

#[test]
fn extra_flag_bits_survive_on_every_part() {
    let reply = MultipartReply {
        flags: 0x0100,
        body: MultipartReplyBody::PortStats(vec![PortStats::default(); 5]),
    };
    let msgs = split_reply_with_limit(9, reply, 16 + 2 * 112).unwrap();
    let flags: Vec<u16> = reply_parts(&msgs).iter().map(|r| r.flags).collect();
    assert_eq!(flags, vec![0x0101, 0x0101, 0x0100]);
}

#[test]
fn oversized_entries_and_bodies_are_errors() {
    // A table-features entry of 64 + 8 + 1000 (padded) bytes cannot fit 500-byte messages.
    let big = TableFeatures {
        properties: vec![TableFeatureProp::NextTables(vec![1; 1000])],
        ..TableFeatures::default()
    };
    let reply = MultipartReply::new(MultipartReplyBody::TableFeatures(vec![big.clone()]));
    assert_eq!(
        split_reply_with_limit(1, reply, 500).unwrap_err(),
        EncodeError::TooLong {
            what: "multipart entry",
            len: 64 + 1008,
            max: 484
        }
    );
    let request = MultipartRequest::new(MultipartRequestBody::TableFeatures(vec![big]));
    assert!(split_request_with_limit(1, request, 500).is_err());

    // An experimenter body has no entries to cut.
    let exp = MultipartReply::new(MultipartReplyBody::Experimenter(MultipartExperimenter {
        experimenter: 1,
        exp_type: 2,
        data: vec![0; 70_000],
    }));
    assert!(matches!(
        split_reply(1, exp),
        Err(EncodeError::TooLong {
            what: "unsplittable multipart body",
            ..
        })
    ));

    // Limits outside 17..=65535 are refused.
    let r = MultipartReply::new(MultipartReplyBody::Table(vec![]));
    assert!(split_reply_with_limit(1, r.clone(), 16).is_err());
    assert!(split_reply_with_limit(1, r, 70_000).is_err());
}

#[test]
fn table_features_requests_split_and_reassemble() {
    let tables: Vec<TableFeatures> = (0..=20u8)
        .map(|table_id| TableFeatures {
            table_id,
            properties: vec![TableFeatureProp::NextTables((table_id..=254).collect())],
            ..TableFeatures::default()
        })
        .collect();
    let request = MultipartRequest::new(MultipartRequestBody::TableFeatures(tables));
    let msgs = split_request_with_limit(5, request.clone(), 1024).unwrap();
    assert!(msgs.len() > 3);
    for (i, m) in msgs.iter().enumerate() {
        assert!(m.to_vec().unwrap().len() <= 1024);
        let Message::MultipartRequest(r) = &m.msg else {
            panic!()
        };
        assert_eq!(r.more(), i + 1 < msgs.len());
    }
    assert_eq!(
        reassemble(msgs),
        OfMessage::new(5, Message::MultipartRequest(request))
    );
    // A request without entries that fits is returned whole.
    let desc = MultipartRequest::new(MultipartRequestBody::Desc);
    assert_eq!(split_request(6, desc).unwrap().len(), 1);
}

fn part(xid: u32, more: bool, body: MultipartReplyBody) -> OfMessage {
    OfMessage::new(
        xid,
        Message::MultipartReply(MultipartReply {
            flags: if more { OFPMPF_REPLY_MORE } else { 0 },
            body,
        }),
    )
}

#[test]
fn other_messages_pass_through() {
    let mut r = Reassembler::default();
    let echo = OfMessage::new(3, Message::EchoRequest(vec![1, 2]));
    assert_eq!(r.push(echo.clone()).unwrap(), Some(echo));
    assert_eq!(r.pending(), 0);
}

#[test]
fn requests_and_replies_with_one_xid_are_kept_apart() {
    let mut r = Reassembler::default();
    let req_part = OfMessage::new(
        8,
        Message::MultipartRequest(MultipartRequest {
            flags: OFPMPF_REQ_MORE,
            body: MultipartRequestBody::TableFeatures(vec![]),
        }),
    );
    assert_eq!(r.push(req_part).unwrap(), None);
    assert_eq!(
        r.push(part(8, true, MultipartReplyBody::Table(vec![])))
            .unwrap(),
        None
    );
    assert_eq!(r.pending(), 2);
    let done = r
        .push(part(
            8,
            false,
            MultipartReplyBody::Table(vec![TableStats::default()]),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(
        done,
        part(
            8,
            false,
            MultipartReplyBody::Table(vec![TableStats::default()])
        )
    );
    assert_eq!(r.pending(), 1);
    assert!(r.discard(false, 8));
    assert!(!r.discard(false, 8));
}

#[test]
fn too_many_pending_transactions() {
    let mut r = Reassembler::new(ReassemblyLimits {
        max_pending: 2,
        max_bytes_per_xid: 1 << 20,
    });
    for xid in 0..2 {
        assert_eq!(
            r.push(part(xid, true, MultipartReplyBody::Table(vec![])))
                .unwrap(),
            None
        );
    }
    assert_eq!(
        r.push(part(2, true, MultipartReplyBody::Table(vec![])))
            .unwrap_err(),
        ReassemblyError::TooManyPending { xid: 2, max: 2 }
    );
    // Single-part messages still pass while the table is full.
    assert!(
        r.push(part(3, false, MultipartReplyBody::Table(vec![])))
            .unwrap()
            .is_some()
    );
    r.clear();
    assert_eq!(r.pending(), 0);
}

#[test]
fn byte_limit_drops_the_transaction() {
    let mut r = Reassembler::new(ReassemblyLimits {
        max_pending: 4,
        max_bytes_per_xid: 300,
    });
    // Each part: 8 + 8 + 112 = 128 bytes.
    let one = || MultipartReplyBody::PortStats(vec![PortStats::default()]);
    assert_eq!(r.push(part(1, true, one())).unwrap(), None);
    assert_eq!(r.push(part(1, true, one())).unwrap(), None);
    assert_eq!(
        r.push(part(1, true, one())).unwrap_err(),
        ReassemblyError::TooLarge {
            xid: 1,
            bytes: 384,
            max: 300
        }
    );
    assert_eq!(r.pending(), 0);
    // A first part that is too big on its own.
    let big = MultipartReplyBody::PortStats(vec![PortStats::default(); 3]);
    assert!(matches!(
        r.push(part(2, true, big)),
        Err(ReassemblyError::TooLarge {
            xid: 2,
            bytes: 352,
            ..
        })
    ));
}

#[test]
fn mismatched_and_unsplittable_kinds() {
    let mut r = Reassembler::default();
    assert_eq!(
        r.push(part(1, true, MultipartReplyBody::Table(vec![])))
            .unwrap(),
        None
    );
    assert_eq!(
        r.push(part(1, false, MultipartReplyBody::PortStats(vec![])))
            .unwrap_err(),
        ReassemblyError::MismatchedKind {
            xid: 1,
            expected: multipart_type::TABLE,
            found: multipart_type::PORT_STATS
        }
    );
    assert_eq!(r.pending(), 0);

    let exp = |experimenter| {
        MultipartReplyBody::Experimenter(MultipartExperimenter {
            experimenter,
            exp_type: 0,
            data: vec![1],
        })
    };
    assert_eq!(r.push(part(2, true, exp(10))).unwrap(), None);
    assert!(matches!(
        r.push(part(2, false, exp(11))),
        Err(ReassemblyError::MismatchedKind { xid: 2, .. })
    ));
    // Experimenter parts with one id concatenate their data.
    assert_eq!(r.push(part(3, true, exp(10))).unwrap(), None);
    let done = r.push(part(3, false, exp(10))).unwrap().unwrap();
    let Message::MultipartReply(done) = done.msg else {
        panic!()
    };
    assert_eq!(
        done.body,
        MultipartReplyBody::Experimenter(MultipartExperimenter {
            experimenter: 10,
            exp_type: 0,
            data: vec![1, 1]
        })
    );

    let desc = MultipartReplyBody::Desc(Default::default());
    assert_eq!(
        r.push(part(4, true, desc)).unwrap_err(),
        ReassemblyError::NotSplittable {
            xid: 4,
            mp_type: multipart_type::DESC
        }
    );
    assert_eq!(r.pending(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any reply, split with any limit it can be split under, reassembles to itself and
    /// every part respects the limit.
    #[test]
    fn split_then_reassemble_is_identity(mut rep in arb_reply(), limit in 17usize..3000) {
        rep.flags &= !OFPMPF_REPLY_MORE;
        let Ok(msgs) = split_reply_with_limit(77, rep.clone(), limit) else {
            // Only possible when an entry or a body without entries exceeds the limit.
            let whole = OfMessage::new(77, Message::MultipartReply(rep.clone())).to_vec().unwrap();
            prop_assert!(whole.len() > limit);
            return Ok(());
        };
        for m in &msgs {
            prop_assert!(m.to_vec().unwrap().len() <= limit);
        }
        let merged = reassemble(msgs);
        prop_assert_eq!(merged, OfMessage::new(77, Message::MultipartReply(rep)));
    }
}
