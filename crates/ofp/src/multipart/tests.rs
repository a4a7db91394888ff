//! Tests of the multipart bodies: every Ryu multipart vector round-trips byte for byte,
//! the table-features vectors agree with Ryu's expected decoding, and generated bodies of
//! every kind round-trip.

use super::strategies::{arb_reply, arb_request};
use super::*;
use crate::group::GroupType;
use crate::ryu_vectors::{body_round_trip, decode_at8, encode_vec, load_json};
use crate::table_features::{TableFeatureProp, prop_type};
use crate::wire::{Reader, Writer};
use crate::{Action, Instruction, Match, Oxm};
use proptest::prelude::*;
use serde_json::Value;

const OFPT_MULTIPART_REQUEST: u8 = 18;
const OFPT_MULTIPART_REPLY: u8 = 19;

fn request(name: &str) -> Option<MultipartRequest> {
    body_round_trip(
        name,
        OFPT_MULTIPART_REQUEST,
        MultipartRequest::decode_body,
        MultipartRequest::encode_body,
    )
}

fn reply(name: &str) -> Option<MultipartReply> {
    body_round_trip(
        name,
        OFPT_MULTIPART_REPLY,
        MultipartReply::decode_body,
        MultipartReply::encode_body,
    )
}

#[test]
fn every_ryu_request_round_trips_with_its_type() {
    use multipart_type as t;
    let cases = [
        ("4-24-ofp_desc_request.packet", t::DESC),
        ("4-11-ofp_flow_stats_request.packet", t::FLOW),
        ("4-25-ofp_aggregate_stats_request.packet", t::AGGREGATE),
        ("4-27-ofp_table_stats_request.packet", t::TABLE),
        ("4-29-ofp_port_stats_request.packet", t::PORT_STATS),
        ("4-37-ofp_queue_stats_request.packet", t::QUEUE),
        ("4-57-ofp_group_stats_request.packet", t::GROUP),
        ("4-33-ofp_group_desc_request.packet", t::GROUP_DESC),
        ("4-31-ofp_group_features_request.packet", t::GROUP_FEATURES),
        ("4-49-ofp_meter_stats_request.packet", t::METER),
        ("4-47-ofp_meter_config_request.packet", t::METER_CONFIG),
        ("4-51-ofp_meter_features_request.packet", t::METER_FEATURES),
        ("4-55-ofp_table_features_request.packet", t::TABLE_FEATURES),
        ("4-53-ofp_port_desc_request.packet", t::PORT_DESC),
        ("4-61-ofp_experimenter_request.packet", t::EXPERIMENTER),
        ("4-63-onf_flow_monitor_request.packet", t::EXPERIMENTER),
    ];
    for (name, mp_type) in cases {
        if let Some(req) = request(name) {
            assert_eq!(req.mp_type(), mp_type, "{name}");
            // Only the table-features vector sets OFPMPF_REQ_MORE.
            let more = mp_type == t::TABLE_FEATURES;
            assert_eq!(req.flags, u16::from(more), "{name}");
            assert_eq!(req.more(), more, "{name}");
        }
    }
}

#[test]
fn every_ryu_reply_round_trips_with_its_type() {
    use multipart_type as t;
    let cases = [
        ("4-0-ofp_desc_reply.packet", t::DESC),
        ("4-12-ofp_flow_stats_reply.packet", t::FLOW),
        ("4-26-ofp_aggregate_stats_reply.packet", t::AGGREGATE),
        ("4-28-ofp_table_stats_reply.packet", t::TABLE),
        ("4-30-ofp_port_stats_reply.packet", t::PORT_STATS),
        ("4-38-ofp_queue_stats_reply.packet", t::QUEUE),
        ("4-58-ofp_group_stats_reply.packet", t::GROUP),
        ("4-34-ofp_group_desc_reply.packet", t::GROUP_DESC),
        ("4-32-ofp_group_features_reply.packet", t::GROUP_FEATURES),
        ("4-50-ofp_meter_stats_reply.packet", t::METER),
        ("4-48-ofp_meter_config_reply.packet", t::METER_CONFIG),
        ("4-52-ofp_meter_features_reply.packet", t::METER_FEATURES),
        ("4-56-ofp_table_features_reply.packet", t::TABLE_FEATURES),
        ("4-54-ofp_port_desc_reply.packet", t::PORT_DESC),
        ("4-62-ofp_experimenter_reply.packet", t::EXPERIMENTER),
    ];
    for (name, mp_type) in cases {
        if let Some(rep) = reply(name) {
            assert_eq!(rep.mp_type(), mp_type, "{name}");
            let more = mp_type == t::TABLE_FEATURES;
            assert_eq!(rep.flags, u16::from(more), "{name}");
            assert_eq!(rep.more(), more, "{name}");
        }
    }
}

#[test]
fn ryu_request_contents() {
    use MultipartRequestBody as B;
    if let Some(r) = request("4-11-ofp_flow_stats_request.packet") {
        assert_eq!(
            r.body,
            B::Flow(FlowStatsRequest {
                table_id: 0,
                ..FlowStatsRequest::default()
            })
        );
    }
    if let Some(r) = request("4-25-ofp_aggregate_stats_request.packet") {
        let B::Aggregate(a) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(
            (a.table_id, a.out_port, a.out_group),
            (0xff, 0xffff_ffff, 0xffff_ffff)
        );
    }
    if let Some(r) = request("4-37-ofp_queue_stats_request.packet") {
        assert_eq!(
            r.body,
            B::Queue(QueueStatsRequest {
                port_no: 0xffff_ffff,
                queue_id: 0xffff_ffff
            })
        );
    }
    if let Some(r) = request("4-57-ofp_group_stats_request.packet") {
        assert_eq!(
            r.body,
            B::Group(GroupStatsRequest {
                group_id: 0xffff_fffc
            })
        );
    }
    if let Some(r) = request("4-61-ofp_experimenter_request.packet") {
        assert_eq!(
            r.body,
            B::Experimenter(MultipartExperimenter {
                experimenter: 0xdead_beaf,
                exp_type: 0xcafe_8888,
                data: b"hogehoge".to_vec()
            })
        );
    }
    if let Some(r) = request("4-63-onf_flow_monitor_request.packet") {
        let B::Experimenter(e) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!((e.experimenter, e.exp_type), (0x4f4e_4600, 1870));
        assert_eq!(e.data.len(), 408 - 24);
    }
}

#[test]
fn ryu_reply_contents() {
    use MultipartReplyBody as B;
    if let Some(r) = reply("4-0-ofp_desc_reply.packet") {
        let B::Desc(d) = r.body else {
            panic!("{:?}", r.body)
        };
        let text = [
            d.mfr_desc.as_str(),
            d.hw_desc.as_str(),
            d.sw_desc.as_str(),
            d.serial_num.as_str(),
            d.dp_desc.as_str(),
        ];
        assert_eq!(
            text,
            [
                Some("mfr"),
                Some("hw"),
                Some("sw"),
                Some("serial"),
                Some("dp")
            ]
        );
    }
    if let Some(r) = reply("4-12-ofp_flow_stats_reply.packet") {
        let B::Flow(flows) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(flows.len(), 4);
        assert_eq!(flows[0].priority, 65535);
        assert_eq!(
            (flows[0].duration_sec, flows[0].duration_nsec),
            (358, 115_277_000)
        );
        assert_eq!(flows[1].match_, Match::new().with(Oxm::EthType(0x0806)));
        assert_eq!(
            flows[1].instructions,
            vec![Instruction::ApplyActions(vec![Action::Output {
                port: 0xffff_fffa,
                max_len: 0
            }])]
        );
        assert_eq!(flows[2].byte_count, 238);
        assert_eq!(flows[3].instructions.len(), 3);
    }
    if let Some(r) = reply("4-26-ofp_aggregate_stats_reply.packet") {
        assert_eq!(
            r.body,
            B::Aggregate(AggregateStats {
                packet_count: 7,
                byte_count: 574,
                flow_count: 6
            })
        );
    }
    if let Some(r) = reply("4-28-ofp_table_stats_reply.packet") {
        let B::Table(t) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].table_id, t[0].active_count), (0, 4));
        assert_eq!((t[1].table_id, t[1].active_count), (1, 4));
    }
    if let Some(r) = reply("4-30-ofp_port_stats_reply.packet") {
        let B::PortStats(p) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].port_no, p[0].tx_packets, p[0].tx_bytes), (7, 4, 336));
        assert_eq!((p[1].port_no, p[1].rx_packets, p[1].rx_bytes), (6, 4, 336));
    }
    if let Some(r) = reply("4-38-ofp_queue_stats_reply.packet") {
        let B::Queue(q) = r.body else {
            panic!("{:?}", r.body)
        };
        let ids: Vec<_> = q.iter().map(|q| (q.port_no, q.queue_id)).collect();
        assert_eq!(ids, vec![(7, 1), (6, 1), (7, 2)]);
    }
    if let Some(r) = reply("4-58-ofp_group_stats_reply.packet") {
        let B::Group(g) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].group_id, g[0].ref_count, g[0].packet_count),
            (1, 2, 123)
        );
        assert_eq!(g[0].bucket_stats.len(), 1);
        assert_eq!(g[0].bucket_stats[0].byte_count, 2345);
    }
    if let Some(r) = reply("4-34-ofp_group_desc_reply.packet") {
        let B::GroupDesc(g) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!((g[0].group_type, g[0].group_id), (GroupType::All, 1));
        assert_eq!(
            g[0].buckets[0].actions,
            vec![Action::Output {
                port: 2,
                max_len: 0xffff
            }]
        );
    }
    if let Some(r) = reply("4-32-ofp_group_features_reply.packet") {
        let B::GroupFeatures(f) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!((f.types, f.capabilities), (15, 5));
        assert_eq!(f.max_groups, [0x0100_0000; 4]);
        assert_eq!(f.actions, [0x03ff_9801; 4]);
    }
    if let Some(r) = reply("4-50-ofp_meter_stats_reply.packet") {
        let B::Meter(m) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!((m[0].meter_id, m[0].band_stats.len()), (100, 1));
        assert_eq!((m[0].duration_sec, m[0].duration_nsec), (0, 480_000));
    }
    if let Some(r) = reply("4-48-ofp_meter_config_reply.packet") {
        let B::MeterConfig(m) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!((m[0].flags, m[0].meter_id), (14, 100));
        assert_eq!(
            m[0].bands,
            vec![crate::meter::MeterBand::Drop {
                rate: 1000,
                burst_size: 10
            }]
        );
    }
    if let Some(r) = reply("4-52-ofp_meter_features_reply.packet") {
        let B::MeterFeatures(f) = r.body else {
            panic!("{:?}", r.body)
        };
        assert_eq!(
            (
                f.max_meter,
                f.band_types,
                f.capabilities,
                f.max_bands,
                f.max_color
            ),
            (0x0100_0000, 0x8000_0006, 15, 255, 0)
        );
    }
    if let Some(r) = reply("4-54-ofp_port_desc_reply.packet") {
        let B::PortDesc(p) = r.body else {
            panic!("{:?}", r.body)
        };
        let names: Vec<_> = p.iter().map(|p| (p.port_no, p.name.to_string())).collect();
        assert_eq!(
            names,
            vec![(7, "Port7".to_string()), (6, "Port6".to_string())]
        );
    }
    if let Some(r) = reply("4-62-ofp_experimenter_reply.packet") {
        assert_eq!(
            r.body,
            B::Experimenter(MultipartExperimenter {
                experimenter: 0xdead_beaf,
                exp_type: 0xcafe_7777,
                data: b"testdata99999999".to_vec()
            })
        );
    }
}

/// Ryu's JSON field `key` of `{"ClassName": {...}}`.
fn inner(v: &Value) -> &Value {
    v.as_object()
        .and_then(|o| o.values().next())
        .unwrap_or_else(|| panic!("not a wrapped object: {v}"))
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// Compare our decoding of a table-features vector with Ryu's expected JSON: table ids,
/// names, limits, and every property's type and contents.
fn check_table_features_against_json(tables: &[TableFeatures], json: &Value) {
    let body = inner(json)["body"].as_array().expect("body array");
    assert_eq!(tables.len(), body.len());
    assert_eq!(tables.len(), 10);
    for (t, j) in tables.iter().zip(body) {
        let j = inner(j);
        assert_eq!(u64::from(t.table_id), u64_of(j, "table_id"));
        assert_eq!(t.name.as_str(), j["name"].as_str());
        assert_eq!(t.metadata_match, u64_of(j, "metadata_match"));
        assert_eq!(t.metadata_write, u64_of(j, "metadata_write"));
        assert_eq!(u64::from(t.config), u64_of(j, "config"));
        assert_eq!(u64::from(t.max_entries), u64_of(j, "max_entries"));
        let props = j["properties"].as_array().expect("properties");
        assert_eq!(t.properties.len(), props.len());
        for (p, jp) in t.properties.iter().zip(props) {
            let jp = inner(jp);
            assert_eq!(u64::from(p.prop_type()), u64_of(jp, "type"));
            let ids = |key: &str, class: &str| -> Vec<u64> {
                jp[key]
                    .as_array()
                    .expect("id list")
                    .iter()
                    .map(|e| u64_of(&e[class], "type"))
                    .collect()
            };
            match p {
                TableFeatureProp::Instructions(v) | TableFeatureProp::InstructionsMiss(v) => {
                    let ours: Vec<u64> = v.iter().map(|i| i.instruction_type.into()).collect();
                    assert_eq!(ours, ids("instruction_ids", "OFPInstructionId"));
                }
                TableFeatureProp::WriteActions(v) | TableFeatureProp::ApplyActions(v) => {
                    let ours: Vec<u64> = v.iter().map(|a| a.action_type.into()).collect();
                    assert_eq!(ours, ids("action_ids", "OFPActionId"));
                }
                TableFeatureProp::NextTables(v) => {
                    let theirs: Vec<u64> = jp["table_ids"]
                        .as_array()
                        .expect("table_ids")
                        .iter()
                        .filter_map(Value::as_u64)
                        .collect();
                    assert_eq!(v.iter().map(|&t| u64::from(t)).collect::<Vec<_>>(), theirs);
                }
                TableFeatureProp::Match(v)
                | TableFeatureProp::Wildcards(v)
                | TableFeatureProp::WriteSetfield(v)
                | TableFeatureProp::ApplySetfield(v) => {
                    let theirs = jp["oxm_ids"].as_array().expect("oxm_ids");
                    assert_eq!(v.len(), theirs.len());
                    for (id, j) in v.iter().zip(theirs) {
                        let j = &j["OFPOxmId"];
                        assert_eq!(id.class(), 0x8000);
                        assert_eq!(u64::from(id.has_mask()), u64_of(j, "hasmask"));
                        assert_eq!(u64::from(id.length()), u64_of(j, "length"));
                        let name = j["type"].as_str().expect("field name");
                        let info = crate::oxm::basic_field_info(id.field())
                            .unwrap_or_else(|| panic!("field {}", id.field()));
                        assert_eq!(info.name, name);
                    }
                }
                TableFeatureProp::Experimenter(e) => {
                    assert_eq!(u64::from(e.experimenter), u64_of(jp, "experimenter"));
                    assert_eq!(u64::from(e.exp_type), u64_of(jp, "exp_type"));
                    // Ryu lists the data as 32-bit words.
                    let words: Vec<u64> = e
                        .data
                        .chunks(4)
                        .map(|c| c.iter().fold(0u64, |a, &b| a << 8 | u64::from(b)))
                        .collect();
                    let theirs: Vec<u64> = jp["data"]
                        .as_array()
                        .expect("data")
                        .iter()
                        .filter_map(Value::as_u64)
                        .collect();
                    assert_eq!(words, theirs);
                }
                other => panic!("property not in the Ryu vectors: {other:?}"),
            }
        }
    }
}

#[test]
fn ryu_table_features_match_expected_decoding() {
    for (name, is_request) in [
        ("4-55-ofp_table_features_request.packet", true),
        ("4-56-ofp_table_features_reply.packet", false),
    ] {
        let tables = if is_request {
            match request(name).map(|r| r.body) {
                Some(MultipartRequestBody::TableFeatures(t)) => t,
                Some(other) => panic!("{other:?}"),
                None => continue,
            }
        } else {
            match reply(name).map(|r| r.body) {
                Some(MultipartReplyBody::TableFeatures(t)) => t,
                Some(other) => panic!("{other:?}"),
                None => continue,
            }
        };
        let encoded: usize = tables
            .iter()
            .map(|t| encode_vec(t, TableFeatures::encode).unwrap().len())
            .sum();
        assert_eq!(encoded + 16, 11128, "{name}");
        assert_eq!(
            tables[0].property(prop_type::NEXT_TABLES),
            Some(&TableFeatureProp::NextTables((1..=254).collect()))
        );
        if let Some(json) = load_json(name) {
            check_table_features_against_json(&tables, &json);
        }
    }
}

#[test]
fn unknown_and_experimenter_types_are_kept_raw() {
    // Type 0x1234 with 3 body bytes and the REQ_MORE flag.
    let bytes = [0x12, 0x34, 0, 1, 0, 0, 0, 0, 7, 8, 9];
    let req = decode_at8(&bytes, MultipartRequest::decode_body).unwrap();
    assert_eq!(
        req,
        MultipartRequest {
            flags: OFPMPF_REQ_MORE,
            body: MultipartRequestBody::Unknown {
                mp_type: 0x1234,
                body: vec![7, 8, 9]
            }
        }
    );
    assert!(req.more());
    assert_eq!(
        encode_vec(&req, MultipartRequest::encode_body).unwrap(),
        bytes
    );
    let rep = decode_at8(&bytes, MultipartReply::decode_body).unwrap();
    assert_eq!(
        encode_vec(&rep, MultipartReply::encode_body).unwrap(),
        bytes
    );

    // A raw body may not claim a known type.
    let bad = MultipartReply::new(MultipartReplyBody::Unknown {
        mp_type: multipart_type::FLOW,
        body: vec![],
    });
    assert!(matches!(
        encode_vec(&bad, MultipartReply::encode_body),
        Err(EncodeError::BadValue { .. })
    ));

    // Experimenter body shorter than its 8-byte header.
    let bytes = [0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x23, 0x20, 0, 0];
    assert_eq!(
        decode_at8(&bytes, MultipartReply::decode_body).unwrap_err(),
        DecodeError::Truncated {
            what: "ofp_experimenter_multipart_header.exp_type",
            offset: 20,
            needed: 4,
            available: 2
        }
    );
}

#[test]
fn header_and_body_size_errors() {
    // Multipart header cut short.
    assert_eq!(
        decode_at8(&[0, 0, 0], MultipartRequest::decode_body).unwrap_err(),
        DecodeError::Truncated {
            what: "ofp_multipart_request",
            offset: 8,
            needed: 8,
            available: 3
        }
    );
    // DESC request with a body.
    let bytes = [0, 0, 0, 0, 0, 0, 0, 0, 1];
    assert!(matches!(
        decode_at8(&bytes, MultipartRequest::decode_body),
        Err(DecodeError::BadLength {
            offset: 16,
            found: 1,
            ..
        })
    ));
    // DESC reply with a short body.
    let bytes = [0u8; 8 + 100];
    assert!(matches!(
        decode_at8(&bytes, MultipartReply::decode_body),
        Err(DecodeError::Truncated {
            what: "ofp_desc",
            offset: 16,
            needed: 1056,
            available: 100
        })
    ));
    // Port stats reply with a partial entry after a whole one.
    let mut bytes = vec![0, 4, 0, 0, 0, 0, 0, 0];
    bytes.resize(8 + 112 + 50, 0);
    assert!(matches!(
        decode_at8(&bytes, MultipartReply::decode_body),
        Err(DecodeError::Truncated {
            what: "ofp_port_stats",
            offset: 128,
            needed: 112,
            available: 50
        })
    ));
}

/// The longest port-stats reply that fits one message (584 entries) encodes and
/// round-trips; one more entry exceeds the 16-bit message length.
#[test]
fn maximal_reply_fits_exactly_one_message() {
    use crate::{Message, OfMessage};
    let max = (65535 - 16) / 112;
    assert_eq!(max, 584);
    let stats = |n| {
        MultipartReply::new(MultipartReplyBody::PortStats(
            (0..n)
                .map(|port_no| PortStats {
                    port_no,
                    ..PortStats::default()
                })
                .collect(),
        ))
    };
    let msg = OfMessage::new(1, Message::MultipartReply(stats(max)));
    let bytes = msg.to_vec().unwrap();
    assert_eq!(bytes.len(), 16 + 584 * 112);
    assert_eq!(OfMessage::decode(&bytes).unwrap(), msg);
    let too_big = OfMessage::new(1, Message::MultipartReply(stats(max + 1)));
    assert!(matches!(too_big.to_vec(), Err(EncodeError::TooLong { .. })));
    let parts = split_reply(1, stats(max + 1)).unwrap();
    let sizes: Vec<usize> = parts.iter().map(|m| m.to_vec().unwrap().len()).collect();
    assert_eq!(sizes, vec![16 + 584 * 112, 16 + 112]);
}

#[test]
fn display() {
    let req = MultipartRequest::new(MultipartRequestBody::Flow(FlowStatsRequest::default()));
    assert_eq!(
        req.to_string(),
        "flow flags=0x0 table=255 out_port=any out_group=4294967295 cookie=0x0/0x0 match=any"
    );
    assert_eq!(
        MultipartRequest::new(MultipartRequestBody::PortDesc).to_string(),
        "port_desc flags=0x0 "
    );
    let rep = MultipartReply {
        flags: OFPMPF_REPLY_MORE,
        body: MultipartReplyBody::Table(vec![
            TableStats {
                table_id: 0,
                active_count: 4,
                lookup_count: 4,
                matched_count: 4,
            },
            TableStats::default(),
        ]),
    };
    assert_eq!(
        rep.to_string(),
        "table flags=0x1 [table=0 active=4 lookup=4 matched=4; table=0 active=0 lookup=0 matched=0]"
    );
    let unknown = MultipartReply::new(MultipartReplyBody::Unknown {
        mp_type: 0x1234,
        body: vec![1],
    });
    assert_eq!(unknown.to_string(), "type=0x1234 flags=0x0 body=01");
    // Every Ryu reply has a one-line rendering naming its type.
    if let Some(r) = reply("4-12-ofp_flow_stats_reply.packet") {
        let text = r.to_string();
        assert!(text.starts_with("flow flags=0x0 [table=0 duration=358.115277000s priority=65535"));
        assert!(text.contains("match=eth_type=0x0806"), "{text}");
        assert!(!text.contains('\n'));
    }
}

#[test]
fn type_names() {
    assert_eq!(
        multipart_type::name(multipart_type::TABLE_FEATURES),
        Some("TABLE_FEATURES")
    );
    assert_eq!(multipart_type::name(14), None);
    assert!(multipart_type::is_known(0xffff));
    assert!(!multipart_type::is_known(0xfffe));
}

/// Bodies (after the 8-byte header) of every Ryu multipart vector, with their type.
fn ryu_multipart_bodies() -> Vec<(u8, Vec<u8>)> {
    const NAMES: [&str; 31] = [
        "4-0-ofp_desc_reply.packet",
        "4-11-ofp_flow_stats_request.packet",
        "4-12-ofp_flow_stats_reply.packet",
        "4-24-ofp_desc_request.packet",
        "4-25-ofp_aggregate_stats_request.packet",
        "4-26-ofp_aggregate_stats_reply.packet",
        "4-27-ofp_table_stats_request.packet",
        "4-28-ofp_table_stats_reply.packet",
        "4-29-ofp_port_stats_request.packet",
        "4-30-ofp_port_stats_reply.packet",
        "4-31-ofp_group_features_request.packet",
        "4-32-ofp_group_features_reply.packet",
        "4-33-ofp_group_desc_request.packet",
        "4-34-ofp_group_desc_reply.packet",
        "4-37-ofp_queue_stats_request.packet",
        "4-38-ofp_queue_stats_reply.packet",
        "4-47-ofp_meter_config_request.packet",
        "4-48-ofp_meter_config_reply.packet",
        "4-49-ofp_meter_stats_request.packet",
        "4-50-ofp_meter_stats_reply.packet",
        "4-51-ofp_meter_features_request.packet",
        "4-52-ofp_meter_features_reply.packet",
        "4-53-ofp_port_desc_request.packet",
        "4-54-ofp_port_desc_reply.packet",
        "4-55-ofp_table_features_request.packet",
        "4-56-ofp_table_features_reply.packet",
        "4-57-ofp_group_stats_request.packet",
        "4-58-ofp_group_stats_reply.packet",
        "4-61-ofp_experimenter_request.packet",
        "4-62-ofp_experimenter_reply.packet",
        "4-63-onf_flow_monitor_request.packet",
    ];
    NAMES
        .iter()
        .filter_map(|n| crate::ryu_vectors::load(n))
        .map(|m| (m[1], m[8..].to_vec()))
        .collect()
}

/// Decode `body` as a request or reply (per `msg_type`); when it decodes, re-encoding must
/// succeed and decode to the same value. Failures must point inside the body.
fn check_canonical(msg_type: u8, body: &[u8]) -> Result<(), TestCaseError> {
    fn check<T: PartialEq + std::fmt::Debug>(
        body: &[u8],
        decode: fn(&mut Reader<'_>) -> Result<T, DecodeError>,
        encode: fn(&T, &mut Writer<'_>) -> Result<(), EncodeError>,
    ) -> Result<(), TestCaseError> {
        match decode_at8(body, decode) {
            Ok(v) => {
                let bytes =
                    encode_vec(&v, encode).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(decode_at8(&bytes, decode).unwrap(), v);
            }
            Err(e) => prop_assert!(e.offset() >= 8 && e.offset() <= 8 + body.len(), "{}", e),
        }
        Ok(())
    }
    if msg_type == OFPT_MULTIPART_REQUEST {
        check(
            body,
            MultipartRequest::decode_body,
            MultipartRequest::encode_body,
        )
    } else {
        check(
            body,
            MultipartReply::decode_body,
            MultipartReply::encode_body,
        )
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Corrupting a few bytes of the Ryu vectors never panics, and whatever still decodes
    /// re-encodes to an equal value.
    #[test]
    fn mutated_ryu_vectors_stay_safe(
        mutations in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        for (msg_type, mut body) in ryu_multipart_bodies() {
            let len = body.len();
            for &(at, byte) in &mutations {
                body[at % len] = byte;
            }
            check_canonical(msg_type, &body)?;
            check_canonical(msg_type, &body[..cut % (len + 1)])?;
        }
    }

    #[test]
    fn requests_round_trip(req in arb_request()) {
        let bytes = encode_vec(&req, MultipartRequest::encode_body).unwrap();
        prop_assert_eq!(decode_at8(&bytes, MultipartRequest::decode_body).unwrap(), req);
    }

    #[test]
    fn replies_round_trip(rep in arb_reply()) {
        let bytes = encode_vec(&rep, MultipartReply::encode_body).unwrap();
        prop_assert_eq!(decode_at8(&bytes, MultipartReply::decode_body).unwrap(), rep);
    }

    /// The serde representation (feature `serde`) is lossless too.
    #[cfg(feature = "serde")]
    #[test]
    fn replies_survive_json(rep in arb_reply(), req in arb_request()) {
        let json = serde_json::to_string(&rep).unwrap();
        prop_assert_eq!(serde_json::from_str::<MultipartReply>(&json).unwrap(), rep);
        let json = serde_json::to_string(&req).unwrap();
        prop_assert_eq!(serde_json::from_str::<MultipartRequest>(&json).unwrap(), req);
    }

    #[test]
    fn arbitrary_bodies_never_panic(mp_type in 0u16..16, flags in any::<u16>(), body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&mp_type.to_be_bytes());
        bytes.extend_from_slice(&flags.to_be_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&body);
        for res in [
            decode_at8(&bytes, MultipartRequest::decode_body).map(|_| ()),
            decode_at8(&bytes, MultipartReply::decode_body).map(|_| ()),
        ] {
            if let Err(e) = res {
                prop_assert!(e.offset() >= 8 && e.offset() <= 8 + bytes.len(), "{}", e);
            }
        }
    }
}
