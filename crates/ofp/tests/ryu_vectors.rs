//! The 104 OpenFlow 1.3 wire vectors of the Ryu SDN framework (`ryu/tests/packet_data/of13`)
//! against their expected decodings (`ryu/tests/unit/ofproto/json/of13`).
//!
//! For every `packet/NAME.packet`:
//! 1. it decodes, with no raw/unknown variant for standard items (only Nicira/NXM/experimenter
//!    items may stay raw);
//! 2. it re-encodes byte for byte;
//! 3. its match fields, instructions and actions (and the main scalar fields of the messages
//!    that carry them) agree with Ryu's JSON `json/NAME.packet.json`, through the mapping
//!    below from Ryu's class and field names to this crate's types.
//!
//! The truncation vector (`libofproto-OFP13-flow_mod.truncated64`: the first 64 bytes of
//! `libofproto-OFP13-flow_mod.packet`) must fail with a truncation error.
//!
//! The data are not part of this repository. They are looked up in `$FLOWFALL_RYU_VECTORS`,
//! else in `shared/testdata/ryu-of13` next to the repository; where absent the tests print a
//! note and pass, except with `CI=true`, where absence is a failure.

use base64::Engine as _;
use flowfall_ofp::framer::{FrameError, Framer};
use flowfall_ofp::message::Message;
use flowfall_ofp::multipart::{MultipartReplyBody, MultipartRequestBody};
use flowfall_ofp::oxm::{OFPXMC_EXPERIMENTER, OFPXMC_NXM_1, OFPXMC_OPENFLOW_BASIC};
use flowfall_ofp::table_features::{OxmId, TableFeatureProp, TableFeatures};
use flowfall_ofp::{Action, DecodeError, Instruction, MacAddr, Match, OfMessage, Oxm, RawOxm};
use serde_json::Value;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// Number of `.packet` vectors the data set holds.
const VECTOR_COUNT: usize = 104;

// ---------------------------------------------------------------------------------------
// Locating the data
// ---------------------------------------------------------------------------------------

fn vectors_dir() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = match std::env::var_os("FLOWFALL_RYU_VECTORS") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            manifest.join("../../../shared/testdata/ryu-of13"),
            manifest.join("../../shared/testdata/ryu-of13"),
        ],
    };
    let found = candidates
        .iter()
        .find(|d| d.join("packet").is_dir())
        .cloned();
    if found.is_none() {
        let msg = format!(
            "Ryu OF1.3 vectors not found (looked in {candidates:?}); set FLOWFALL_RYU_VECTORS"
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} (CI=true: the vectors are required)");
        }
        eprintln!("note: skipping: {msg}");
    }
    found
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(dir: &Path, name: &str) -> Value {
    let path = dir.join("json").join(format!("{name}.json"));
    serde_json::from_slice(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn packet_names(dir: &Path) -> Vec<String> {
    let pkt = dir.join("packet");
    let mut names: Vec<String> = std::fs::read_dir(&pkt)
        .unwrap_or_else(|e| panic!("{}: {e}", pkt.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".packet"))
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------
// Ryu JSON access
// ---------------------------------------------------------------------------------------

/// `{"ClassName": {fields}}` -> `("ClassName", fields)`.
fn class(v: &Value) -> (&str, &Value) {
    let obj = v.as_object().filter(|o| o.len() == 1);
    match obj.and_then(|o| o.iter().next()) {
        Some((k, inner)) => (k.as_str(), inner),
        None => panic!("not a {{\"Class\": {{..}}}} object: {v}"),
    }
}

fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or_else(|| panic!("no {key:?} in {v}"))
}

fn uint(v: &Value, key: &str) -> u64 {
    field(v, key)
        .as_u64()
        .unwrap_or_else(|| panic!("{key:?} is not an unsigned integer in {v}"))
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    field(v, key)
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("{key:?} is not a list in {v}"))
}

fn b64(v: &Value, key: &str) -> Vec<u8> {
    let s = field(v, key)
        .as_str()
        .unwrap_or_else(|| panic!("{key:?} is not a base64 string in {v}"));
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|e| panic!("{key:?}: bad base64: {e}"))
}

fn str_value<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, found {v}"))
}

fn int_value(v: &Value, what: &str) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("{what}: expected an integer, found {v}"))
}

/// A narrowing conversion that fails the test (not the codec) when Ryu's value is too wide.
fn narrow<T: TryFrom<u64>>(v: u64, what: &str) -> T {
    T::try_from(v).unwrap_or_else(|_| panic!("{what}: {v} out of range"))
}

// ---------------------------------------------------------------------------------------
// Mapping Ryu's OXM field names to `Oxm`
// ---------------------------------------------------------------------------------------

/// OpenFlow basic OXM fields (OpenFlow 1.3.5 §7.2.3.7, table 11) by Ryu name, in field-number
/// order.
const BASIC_FIELDS: [&str; 40] = [
    "in_port",
    "in_phy_port",
    "metadata",
    "eth_dst",
    "eth_src",
    "eth_type",
    "vlan_vid",
    "vlan_pcp",
    "ip_dscp",
    "ip_ecn",
    "ip_proto",
    "ipv4_src",
    "ipv4_dst",
    "tcp_src",
    "tcp_dst",
    "udp_src",
    "udp_dst",
    "sctp_src",
    "sctp_dst",
    "icmpv4_type",
    "icmpv4_code",
    "arp_op",
    "arp_spa",
    "arp_tpa",
    "arp_sha",
    "arp_tha",
    "ipv6_src",
    "ipv6_dst",
    "ipv6_flabel",
    "icmpv6_type",
    "icmpv6_code",
    "ipv6_nd_target",
    "ipv6_nd_sll",
    "ipv6_nd_tll",
    "mpls_label",
    "mpls_tc",
    "mpls_bos",
    "pbb_isid",
    "tunnel_id",
    "ipv6_exthdr",
];

/// Nicira NXM_1 fields used by the vectors: Ryu name, NXM field number, value width.
const NXM1_FIELDS: [(&str, u8, usize); 14] = [
    ("reg0", 0, 4),
    ("reg1", 1, 4),
    ("reg2", 2, 4),
    ("reg3", 3, 4),
    ("reg4", 4, 4),
    ("reg5", 5, 4),
    ("reg6", 6, 4),
    ("reg7", 7, 4),
    ("tun_ipv4_src", 31, 4),
    ("tun_ipv4_dst", 32, 4),
    ("pkt_mark", 33, 4),
    ("conj_id", 37, 4),
    ("ct_state", 105, 4),
    ("ct_mark", 107, 4),
];

/// ONF experimenter id (`ONF_EXPERIMENTER_ID`, "ONF\0").
const ONF_EXPERIMENTER: u32 = 0x4f4e_4600;
/// ONF EXT-256 `pbb_uca` exp_type.
const ONF_PBB_UCA: u16 = 2560;

fn mac(v: &Value, what: &str) -> MacAddr {
    let s = str_value(v, what);
    s.parse()
        .unwrap_or_else(|e| panic!("{what}: Ryu MAC {s:?}: {e}"))
}

fn ipv4(v: &Value, what: &str) -> Ipv4Addr {
    let s = str_value(v, what);
    s.parse()
        .unwrap_or_else(|e| panic!("{what}: Ryu IPv4 {s:?}: {e}"))
}

fn ipv6(v: &Value, what: &str) -> Ipv6Addr {
    let s = str_value(v, what);
    s.parse()
        .unwrap_or_else(|e| panic!("{what}: Ryu IPv6 {s:?}: {e}"))
}

/// The `Oxm` that Ryu's `{"OXMTlv": {"field", "value", "mask"}}` describes.
fn ryu_oxm(tlv: &Value) -> Oxm {
    let (cls, f) = class(tlv);
    assert_eq!(cls, "OXMTlv");
    let name = str_value(field(f, "field"), "OXMTlv.field");
    let value = field(f, "value");
    let mask = field(f, "mask");
    let mask = (!mask.is_null()).then_some(mask);
    let what = format!("OXM {name}");
    let w = what.as_str();
    let u8v = |v: &Value| narrow::<u8>(int_value(v, w), w);
    let u16v = |v: &Value| narrow::<u16>(int_value(v, w), w);
    let u32v = |v: &Value| narrow::<u32>(int_value(v, w), w);
    let u64v = |v: &Value| int_value(v, w);
    let macv = |v: &Value| mac(v, w);
    let ip4 = |v: &Value| ipv4(v, w);
    let ip6 = |v: &Value| ipv6(v, w);
    let basic = BASIC_FIELDS.iter().position(|n| *n == name);
    let unmasked = |o: Oxm| {
        assert!(
            mask.is_none(),
            "{w}: Ryu gives a mask for an unmaskable field"
        );
        o
    };
    match basic {
        Some(0) => unmasked(Oxm::InPort(u32v(value))),
        Some(1) => unmasked(Oxm::InPhyPort(u32v(value))),
        Some(2) => Oxm::Metadata(u64v(value), mask.map(u64v)),
        Some(3) => Oxm::EthDst(macv(value), mask.map(macv)),
        Some(4) => Oxm::EthSrc(macv(value), mask.map(macv)),
        Some(5) => unmasked(Oxm::EthType(u16v(value))),
        Some(6) => Oxm::VlanVid(u16v(value), mask.map(u16v)),
        Some(7) => unmasked(Oxm::VlanPcp(u8v(value))),
        Some(8) => unmasked(Oxm::IpDscp(u8v(value))),
        Some(9) => unmasked(Oxm::IpEcn(u8v(value))),
        Some(10) => unmasked(Oxm::IpProto(u8v(value))),
        Some(11) => Oxm::Ipv4Src(ip4(value), mask.map(ip4)),
        Some(12) => Oxm::Ipv4Dst(ip4(value), mask.map(ip4)),
        Some(13) => unmasked(Oxm::TcpSrc(u16v(value))),
        Some(14) => unmasked(Oxm::TcpDst(u16v(value))),
        Some(15) => unmasked(Oxm::UdpSrc(u16v(value))),
        Some(16) => unmasked(Oxm::UdpDst(u16v(value))),
        Some(17) => unmasked(Oxm::SctpSrc(u16v(value))),
        Some(18) => unmasked(Oxm::SctpDst(u16v(value))),
        Some(19) => unmasked(Oxm::Icmpv4Type(u8v(value))),
        Some(20) => unmasked(Oxm::Icmpv4Code(u8v(value))),
        Some(21) => unmasked(Oxm::ArpOp(u16v(value))),
        Some(22) => Oxm::ArpSpa(ip4(value), mask.map(ip4)),
        Some(23) => Oxm::ArpTpa(ip4(value), mask.map(ip4)),
        Some(24) => Oxm::ArpSha(macv(value), mask.map(macv)),
        Some(25) => Oxm::ArpTha(macv(value), mask.map(macv)),
        Some(26) => Oxm::Ipv6Src(ip6(value), mask.map(ip6)),
        Some(27) => Oxm::Ipv6Dst(ip6(value), mask.map(ip6)),
        Some(28) => Oxm::Ipv6Flabel(u32v(value), mask.map(u32v)),
        Some(29) => unmasked(Oxm::Icmpv6Type(u8v(value))),
        Some(30) => unmasked(Oxm::Icmpv6Code(u8v(value))),
        Some(31) => unmasked(Oxm::Ipv6NdTarget(ip6(value))),
        Some(32) => unmasked(Oxm::Ipv6NdSll(macv(value))),
        Some(33) => unmasked(Oxm::Ipv6NdTll(macv(value))),
        Some(34) => unmasked(Oxm::MplsLabel(u32v(value))),
        Some(35) => unmasked(Oxm::MplsTc(u8v(value))),
        Some(36) => unmasked(Oxm::MplsBos(u8v(value))),
        Some(37) => Oxm::PbbIsid(u32v(value), mask.map(u32v)),
        Some(38) => Oxm::TunnelId(u64v(value), mask.map(u64v)),
        Some(39) => Oxm::Ipv6Exthdr(u16v(value), mask.map(u16v)),
        _ => raw_ryu_oxm(name, value, mask),
    }
}

/// Big-endian bytes of a Ryu NXM value: an IPv4 string or an integer of `width` bytes.
fn nxm_bytes(v: &Value, width: usize, what: &str) -> Vec<u8> {
    if v.is_string() {
        ipv4(v, what).octets().to_vec()
    } else {
        let n = int_value(v, what);
        let bytes = n.to_be_bytes();
        assert!(
            bytes.iter().take(8 - width).all(|&b| b == 0),
            "{what}: {n} wider than {width} bytes"
        );
        bytes.get(8 - width..).unwrap_or_default().to_vec()
    }
}

/// The raw OXM Ryu's Nicira/ONF field names stand for.
fn raw_ryu_oxm(name: &str, value: &Value, mask: Option<&Value>) -> Oxm {
    if name == "pbb_uca" {
        assert!(mask.is_none(), "pbb_uca is unmaskable");
        let mut payload = ONF_EXPERIMENTER.to_be_bytes().to_vec();
        payload.extend_from_slice(&ONF_PBB_UCA.to_be_bytes());
        payload.push(narrow(int_value(value, name), name));
        return Oxm::Raw(RawOxm {
            class: OFPXMC_EXPERIMENTER,
            field: 0,
            has_mask: false,
            payload,
        });
    }
    let &(_, nxm_field, width) = NXM1_FIELDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("no mapping for Ryu OXM field {name:?}"));
    let mut payload = nxm_bytes(value, width, name);
    if let Some(m) = mask {
        payload.extend(nxm_bytes(m, width, name));
    }
    Oxm::Raw(RawOxm {
        class: OFPXMC_NXM_1,
        field: nxm_field,
        has_mask: mask.is_some(),
        payload,
    })
}

// ---------------------------------------------------------------------------------------
// Comparing matches, instructions and actions
// ---------------------------------------------------------------------------------------

fn check_match(ctx: &str, ours: &Match, ryu: &Value) {
    let (cls, m) = class(ryu);
    assert_eq!(cls, "OFPMatch", "{ctx}");
    assert_eq!(uint(m, "type"), 1, "{ctx}: OFPMT_OXM");
    assert_eq!(
        ours.wire_len() as u64,
        uint(m, "length"),
        "{ctx}: match length"
    );
    let want: Vec<Oxm> = list(m, "oxm_fields").iter().map(ryu_oxm).collect();
    assert_eq!(ours.fields, want, "{ctx}: match fields");
}

/// Ryu names of the actions whose only field after `type`/`len` is one integer.
fn ryu_action(ctx: &str, ours: &Action, ryu: &Value) {
    let (cls, a) = class(ryu);
    let ctx = format!("{ctx}: {cls}");
    assert_eq!(
        u64::from(ours.action_type()),
        uint(a, "type"),
        "{ctx}: action type"
    );
    assert_eq!(
        ours.encoded_len() as u64,
        uint(a, "len"),
        "{ctx}: action len"
    );
    let n = |key: &str| uint(a, key);
    let expected = match cls {
        "OFPActionOutput" => Action::Output {
            port: narrow(n("port"), &ctx),
            max_len: narrow(n("max_len"), &ctx),
        },
        "OFPActionCopyTtlOut" => Action::CopyTtlOut,
        "OFPActionCopyTtlIn" => Action::CopyTtlIn,
        "OFPActionSetMplsTtl" => Action::SetMplsTtl(narrow(n("mpls_ttl"), &ctx)),
        "OFPActionDecMplsTtl" => Action::DecMplsTtl,
        "OFPActionPushVlan" => Action::PushVlan(narrow(n("ethertype"), &ctx)),
        "OFPActionPopVlan" => Action::PopVlan,
        "OFPActionPushMpls" => Action::PushMpls(narrow(n("ethertype"), &ctx)),
        "OFPActionPopMpls" => Action::PopMpls(narrow(n("ethertype"), &ctx)),
        "OFPActionSetQueue" => Action::SetQueue(narrow(n("queue_id"), &ctx)),
        "OFPActionGroup" => Action::Group(narrow(n("group_id"), &ctx)),
        "OFPActionSetNwTtl" => Action::SetNwTtl(narrow(n("nw_ttl"), &ctx)),
        "OFPActionDecNwTtl" => Action::DecNwTtl,
        "OFPActionSetField" => Action::SetField(ryu_oxm(field(a, "field"))),
        "OFPActionPushPbb" => Action::PushPbb(narrow(n("ethertype"), &ctx)),
        "OFPActionPopPbb" => Action::PopPbb,
        "OFPActionExperimenterUnknown" => {
            let Action::Experimenter { data, .. } = ours else {
                panic!("{ctx}: expected an experimenter action, found {ours:?}");
            };
            let want = b64(a, "data");
            // Ryu's data has no padding; ours keeps the action's padding bytes.
            assert!(
                data.starts_with(&want) && data.iter().skip(want.len()).all(|&b| b == 0),
                "{ctx}: data {data:02x?}, Ryu {want:02x?}"
            );
            Action::Experimenter {
                experimenter: narrow(n("experimenter"), &ctx),
                data: data.clone(),
            }
        }
        nx if nx.starts_with("NXAction") => {
            // Nicira actions stay raw: the experimenter id and the subtype (the first two
            // bytes after it) identify them.
            let Action::Experimenter { experimenter, data } = ours else {
                panic!("{ctx}: expected a Nicira experimenter action, found {ours:?}");
            };
            assert_eq!(u64::from(*experimenter), n("experimenter"), "{ctx}");
            let subtype = data.get(..2).map(|s| u16::from_be_bytes([s[0], s[1]]));
            assert_eq!(subtype.map(u64::from), Some(n("subtype")), "{ctx}: subtype");
            if nx == "NXActionUnknown" {
                let want = b64(a, "data");
                assert!(
                    data.get(2..).is_some_and(|d| d.starts_with(&want)),
                    "{ctx}: data"
                );
            }
            ours.clone()
        }
        other => panic!("{ctx}: no mapping for Ryu action class {other}"),
    };
    assert_eq!(ours, &expected, "{ctx}");
}

fn check_actions(ctx: &str, ours: &[Action], ryu: &[Value]) {
    assert_eq!(ours.len(), ryu.len(), "{ctx}: number of actions: {ours:?}");
    for (i, (o, r)) in ours.iter().zip(ryu).enumerate() {
        ryu_action(&format!("{ctx} action {i}"), o, r);
    }
}

fn check_instructions(ctx: &str, ours: &[Instruction], ryu: &[Value]) {
    assert_eq!(
        ours.len(),
        ryu.len(),
        "{ctx}: number of instructions: {ours:?}"
    );
    for (i, (o, r)) in ours.iter().zip(ryu).enumerate() {
        let (cls, v) = class(r);
        let ctx = format!("{ctx} instruction {i} {cls}");
        assert_eq!(
            u64::from(o.instruction_type()),
            uint(v, "type"),
            "{ctx}: type"
        );
        assert_eq!(o.encoded_len() as u64, uint(v, "len"), "{ctx}: len");
        match (cls, o) {
            ("OFPInstructionGotoTable", Instruction::GotoTable(t)) => {
                assert_eq!(u64::from(*t), uint(v, "table_id"), "{ctx}")
            }
            ("OFPInstructionMeter", Instruction::Meter(m)) => {
                assert_eq!(u64::from(*m), uint(v, "meter_id"), "{ctx}")
            }
            ("OFPInstructionWriteMetadata", Instruction::WriteMetadata { metadata, mask }) => {
                assert_eq!(*metadata, uint(v, "metadata"), "{ctx}");
                assert_eq!(*mask, uint(v, "metadata_mask"), "{ctx}");
            }
            ("OFPInstructionActions", Instruction::WriteActions(a))
            | ("OFPInstructionActions", Instruction::ApplyActions(a)) => {
                check_actions(&ctx, a, list(v, "actions"))
            }
            ("OFPInstructionActions", Instruction::ClearActions) => {
                assert!(list(v, "actions").is_empty(), "{ctx}")
            }
            _ => panic!("{ctx}: Ryu {cls} vs ours {o:?}"),
        }
    }
}

fn check_buckets(ctx: &str, ours: &[flowfall_ofp::group::Bucket], ryu: &[Value]) {
    assert_eq!(ours.len(), ryu.len(), "{ctx}: number of buckets");
    for (i, (b, r)) in ours.iter().zip(ryu).enumerate() {
        let (cls, v) = class(r);
        let ctx = format!("{ctx} bucket {i}");
        assert_eq!(cls, "OFPBucket", "{ctx}");
        assert_eq!(u64::from(b.weight), uint(v, "weight"), "{ctx}");
        assert_eq!(u64::from(b.watch_port), uint(v, "watch_port"), "{ctx}");
        assert_eq!(u64::from(b.watch_group), uint(v, "watch_group"), "{ctx}");
        check_actions(&ctx, &b.actions, list(v, "actions"));
    }
}

/// Compare scalar fields: `(Ryu key, our value)`.
fn check_scalars(ctx: &str, ryu: &Value, pairs: &[(&str, u64)]) {
    for &(key, ours) in pairs {
        assert_eq!(ours, uint(ryu, key), "{ctx}: {key}");
    }
}

fn ryu_oxm_id(ctx: &str, ours: &OxmId, ryu: &Value) {
    let (cls, v) = class(ryu);
    assert_eq!(cls, "OFPOxmId", "{ctx}");
    let name = str_value(field(v, "type"), ctx);
    let basic = BASIC_FIELDS.iter().position(|n| *n == name);
    let (class_id, field_no) = match basic {
        Some(f) => (OFPXMC_OPENFLOW_BASIC, narrow::<u8>(f as u64, ctx)),
        None => panic!("{ctx}: no mapping for OXM id {name:?}"),
    };
    assert_eq!(
        (ours.class(), ours.field()),
        (class_id, field_no),
        "{ctx}: {name}"
    );
    assert_eq!(
        u64::from(ours.has_mask()),
        uint(v, "hasmask"),
        "{ctx}: {name}"
    );
    assert_eq!(u64::from(ours.length()), uint(v, "length"), "{ctx}: {name}");
}

fn check_table_features(ctx: &str, ours: &[TableFeatures], ryu: &Value) {
    let body = list(ryu, "body");
    assert_eq!(ours.len(), body.len(), "{ctx}: tables");
    for (t, r) in ours.iter().zip(body) {
        let (cls, v) = class(r);
        let ctx = format!("{ctx} table {}", t.table_id);
        assert_eq!(cls, "OFPTableFeaturesStats", "{ctx}");
        check_scalars(
            &ctx,
            v,
            &[
                ("table_id", u64::from(t.table_id)),
                ("metadata_match", t.metadata_match),
                ("metadata_write", t.metadata_write),
                ("config", u64::from(t.config)),
                ("max_entries", u64::from(t.max_entries)),
            ],
        );
        let props = list(v, "properties");
        assert_eq!(t.properties.len(), props.len(), "{ctx}: properties");
        for (i, (p, r)) in t.properties.iter().zip(props).enumerate() {
            let (cls, v) = class(r);
            let ctx = format!("{ctx} property {i} {cls}");
            match (cls, p) {
                (
                    "OFPTableFeaturePropInstructions",
                    TableFeatureProp::Instructions(ids) | TableFeatureProp::InstructionsMiss(ids),
                ) => {
                    let want: Vec<u64> = list(v, "instruction_ids")
                        .iter()
                        .map(|i| uint(class(i).1, "type"))
                        .collect();
                    let got: Vec<u64> = ids.iter().map(|i| u64::from(i.instruction_type)).collect();
                    assert_eq!(got, want, "{ctx}: instruction kinds");
                }
                (
                    "OFPTableFeaturePropActions",
                    TableFeatureProp::WriteActions(ids)
                    | TableFeatureProp::WriteActionsMiss(ids)
                    | TableFeatureProp::ApplyActions(ids)
                    | TableFeatureProp::ApplyActionsMiss(ids),
                ) => {
                    let want: Vec<u64> = list(v, "action_ids")
                        .iter()
                        .map(|i| uint(class(i).1, "type"))
                        .collect();
                    let got: Vec<u64> = ids.iter().map(|i| u64::from(i.action_type)).collect();
                    assert_eq!(got, want, "{ctx}: action kinds");
                }
                (
                    "OFPTableFeaturePropNextTables",
                    TableFeatureProp::NextTables(ids) | TableFeatureProp::NextTablesMiss(ids),
                ) => {
                    let want: Vec<u64> = list(v, "table_ids")
                        .iter()
                        .map(|x| int_value(x, &ctx))
                        .collect();
                    let got: Vec<u64> = ids.iter().copied().map(u64::from).collect();
                    assert_eq!(got, want, "{ctx}");
                }
                (
                    "OFPTableFeaturePropOxm",
                    TableFeatureProp::Match(ids)
                    | TableFeatureProp::Wildcards(ids)
                    | TableFeatureProp::WriteSetfield(ids)
                    | TableFeatureProp::WriteSetfieldMiss(ids)
                    | TableFeatureProp::ApplySetfield(ids)
                    | TableFeatureProp::ApplySetfieldMiss(ids),
                ) => {
                    let want = list(v, "oxm_ids");
                    assert_eq!(ids.len(), want.len(), "{ctx}: OXM ids");
                    for (o, r) in ids.iter().zip(want) {
                        ryu_oxm_id(&ctx, o, r);
                    }
                }
                (
                    "OFPTableFeaturePropExperimenter",
                    TableFeatureProp::Experimenter(e) | TableFeatureProp::ExperimenterMiss(e),
                ) => {
                    check_scalars(
                        &ctx,
                        v,
                        &[
                            ("experimenter", u64::from(e.experimenter)),
                            ("exp_type", u64::from(e.exp_type)),
                        ],
                    );
                    // Ryu lists the data as 32-bit words.
                    let words: Vec<u64> = e
                        .data
                        .chunks(4)
                        .map(|c| c.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
                        .collect();
                    let want: Vec<u64> =
                        list(v, "data").iter().map(|x| int_value(x, &ctx)).collect();
                    assert_eq!(words, want, "{ctx}: data words");
                }
                _ => panic!("{ctx}: Ryu {cls} vs ours {p:?}"),
            }
            assert_eq!(
                u64::from(prop_type(p)),
                uint(v, "type"),
                "{ctx}: property type"
            );
        }
    }
}

/// `OFPTFPT_*` of a property.
fn prop_type(p: &TableFeatureProp) -> u16 {
    match p {
        TableFeatureProp::Instructions(_) => 0,
        TableFeatureProp::InstructionsMiss(_) => 1,
        TableFeatureProp::NextTables(_) => 2,
        TableFeatureProp::NextTablesMiss(_) => 3,
        TableFeatureProp::WriteActions(_) => 4,
        TableFeatureProp::WriteActionsMiss(_) => 5,
        TableFeatureProp::ApplyActions(_) => 6,
        TableFeatureProp::ApplyActionsMiss(_) => 7,
        TableFeatureProp::Match(_) => 8,
        TableFeatureProp::Wildcards(_) => 10,
        TableFeatureProp::WriteSetfield(_) => 12,
        TableFeatureProp::WriteSetfieldMiss(_) => 13,
        TableFeatureProp::ApplySetfield(_) => 14,
        TableFeatureProp::ApplySetfieldMiss(_) => 15,
        TableFeatureProp::Experimenter(_) => 0xfffe,
        TableFeatureProp::ExperimenterMiss(_) => 0xffff,
        TableFeatureProp::Unknown { prop_type, .. } => *prop_type,
    }
}

/// Compares the parts of `msg` that carry matches, instructions and actions (and their
/// messages' main scalars, plus opaque data) with Ryu's JSON. Returns what was compared.
fn check_against_ryu(ctx: &str, msg: &Message, ryu: &Value) -> &'static str {
    let (cls, v) = class(ryu);
    let ctx = format!("{ctx} ({cls})");
    let ctx = ctx.as_str();
    match (cls, msg) {
        ("OFPFlowMod", Message::FlowMod(f)) => {
            check_scalars(
                ctx,
                v,
                &[
                    ("cookie", f.cookie),
                    ("cookie_mask", f.cookie_mask),
                    ("table_id", u64::from(f.table_id)),
                    ("command", u64::from(f.command.to_u8())),
                    ("idle_timeout", u64::from(f.idle_timeout)),
                    ("hard_timeout", u64::from(f.hard_timeout)),
                    ("priority", u64::from(f.priority)),
                    ("buffer_id", u64::from(f.buffer_id)),
                    ("out_port", u64::from(f.out_port)),
                    ("out_group", u64::from(f.out_group)),
                    ("flags", u64::from(f.flags)),
                ],
            );
            check_match(ctx, &f.match_, field(v, "match"));
            check_instructions(ctx, &f.instructions, list(v, "instructions"));
            "match, instructions, actions"
        }
        ("OFPFlowRemoved", Message::FlowRemoved(r)) => {
            check_scalars(
                ctx,
                v,
                &[
                    ("cookie", r.cookie),
                    ("priority", u64::from(r.priority)),
                    ("reason", u64::from(r.reason.to_wire())),
                    ("table_id", u64::from(r.table_id)),
                    ("duration_sec", u64::from(r.duration_sec)),
                    ("duration_nsec", u64::from(r.duration_nsec)),
                    ("idle_timeout", u64::from(r.idle_timeout)),
                    ("hard_timeout", u64::from(r.hard_timeout)),
                    ("packet_count", r.packet_count),
                    ("byte_count", r.byte_count),
                ],
            );
            check_match(ctx, &r.match_, field(v, "match"));
            "match"
        }
        ("OFPPacketIn", Message::PacketIn(p)) => {
            check_scalars(
                ctx,
                v,
                &[
                    ("buffer_id", u64::from(p.buffer_id)),
                    ("total_len", u64::from(p.total_len)),
                    ("reason", u64::from(p.reason.to_wire())),
                    ("table_id", u64::from(p.table_id)),
                    ("cookie", p.cookie),
                ],
            );
            check_match(ctx, &p.match_, field(v, "match"));
            assert_eq!(p.data, b64(v, "data"), "{ctx}: data");
            "match, data"
        }
        ("OFPPacketOut", Message::PacketOut(p)) => {
            check_scalars(
                ctx,
                v,
                &[
                    ("buffer_id", u64::from(p.buffer_id)),
                    ("in_port", u64::from(p.in_port)),
                    (
                        "actions_len",
                        p.actions.iter().map(|a| a.encoded_len() as u64).sum(),
                    ),
                ],
            );
            check_actions(ctx, &p.actions, list(v, "actions"));
            // One vector carries Ryu's decoded packet-library object instead of base64.
            if field(v, "data").is_string() {
                assert_eq!(p.data, b64(v, "data"), "{ctx}: data");
            }
            "actions"
        }
        ("OFPGroupMod", Message::GroupMod(g)) => {
            check_scalars(
                ctx,
                v,
                &[
                    ("command", u64::from(g.command.to_wire())),
                    ("type", u64::from(g.group_type.to_wire())),
                    ("group_id", u64::from(g.group_id)),
                ],
            );
            check_buckets(ctx, &g.buckets, list(v, "buckets"));
            "buckets, actions"
        }
        ("OFPFlowStatsRequest" | "OFPAggregateStatsRequest", Message::MultipartRequest(req)) => {
            let (MultipartRequestBody::Flow(r) | MultipartRequestBody::Aggregate(r)) = &req.body
            else {
                panic!("{ctx}: body {:?}", req.body);
            };
            check_scalars(
                ctx,
                v,
                &[
                    ("flags", u64::from(req.flags)),
                    ("table_id", u64::from(r.table_id)),
                    ("out_port", u64::from(r.out_port)),
                    ("out_group", u64::from(r.out_group)),
                    ("cookie", r.cookie),
                    ("cookie_mask", r.cookie_mask),
                ],
            );
            check_match(ctx, &r.match_, field(v, "match"));
            "match"
        }
        ("OFPFlowStatsReply", Message::MultipartReply(rep)) => {
            let MultipartReplyBody::Flow(stats) = &rep.body else {
                panic!("{ctx}: body {:?}", rep.body);
            };
            let body = list(v, "body");
            assert_eq!(stats.len(), body.len(), "{ctx}: entries");
            for (i, (s, r)) in stats.iter().zip(body).enumerate() {
                let (cls, e) = class(r);
                let ctx = format!("{ctx} entry {i} {cls}");
                check_scalars(
                    &ctx,
                    e,
                    &[
                        ("table_id", u64::from(s.table_id)),
                        ("duration_sec", u64::from(s.duration_sec)),
                        ("duration_nsec", u64::from(s.duration_nsec)),
                        ("priority", u64::from(s.priority)),
                        ("idle_timeout", u64::from(s.idle_timeout)),
                        ("hard_timeout", u64::from(s.hard_timeout)),
                        ("flags", u64::from(s.flags)),
                        ("cookie", s.cookie),
                        ("packet_count", s.packet_count),
                        ("byte_count", s.byte_count),
                    ],
                );
                check_match(&ctx, &s.match_, field(e, "match"));
                check_instructions(&ctx, &s.instructions, list(e, "instructions"));
            }
            "match, instructions, actions"
        }
        ("OFPGroupDescStatsReply", Message::MultipartReply(rep)) => {
            let MultipartReplyBody::GroupDesc(groups) = &rep.body else {
                panic!("{ctx}: body {:?}", rep.body);
            };
            let body = list(v, "body");
            assert_eq!(groups.len(), body.len(), "{ctx}: groups");
            for (g, r) in groups.iter().zip(body) {
                let (_, e) = class(r);
                check_scalars(
                    ctx,
                    e,
                    &[
                        ("type", u64::from(g.group_type.to_wire())),
                        ("group_id", u64::from(g.group_id)),
                    ],
                );
                check_buckets(ctx, &g.buckets, list(e, "buckets"));
            }
            "buckets, actions"
        }
        ("OFPTableFeaturesStatsRequest", Message::MultipartRequest(req)) => {
            let MultipartRequestBody::TableFeatures(t) = &req.body else {
                panic!("{ctx}: body {:?}", req.body);
            };
            check_table_features(ctx, t, v);
            "instruction, action and OXM ids"
        }
        ("OFPTableFeaturesStatsReply", Message::MultipartReply(rep)) => {
            let MultipartReplyBody::TableFeatures(t) = &rep.body else {
                panic!("{ctx}: body {:?}", rep.body);
            };
            check_table_features(ctx, t, v);
            "instruction, action and OXM ids"
        }
        ("OFPEchoRequest", Message::EchoRequest(d)) | ("OFPEchoReply", Message::EchoReply(d)) => {
            assert_eq!(d, &b64(v, "data"), "{ctx}: data");
            "data"
        }
        ("OFPErrorMsg", Message::Error(e)) => {
            let (ty, code) = e.code.type_code();
            assert_eq!(u64::from(ty), uint(v, "type"), "{ctx}: type");
            if field(v, "code").is_null() {
                assert_eq!(u64::from(code), uint(v, "exp_type"), "{ctx}: exp_type");
            } else {
                assert_eq!(u64::from(code), uint(v, "code"), "{ctx}: code");
            }
            assert_eq!(e.data, b64(v, "data"), "{ctx}: data");
            "type, code, data"
        }
        ("OFPExperimenter", Message::Experimenter(e)) => {
            check_scalars(
                ctx,
                v,
                &[
                    ("experimenter", u64::from(e.experimenter)),
                    ("exp_type", u64::from(e.exp_type)),
                ],
            );
            assert_eq!(e.data, b64(v, "data"), "{ctx}: data");
            "experimenter, data"
        }
        _ => {
            // Every other message carries no match, instruction or action. Check at least
            // that Ryu's class is the same message type.
            let want = ryu_class_type(cls);
            assert_eq!(msg.type_name(), want, "{ctx}: message type");
            "message type"
        }
    }
}

/// The message type of the Ryu classes not compared field by field above.
fn ryu_class_type(cls: &str) -> &'static str {
    if cls.ends_with("StatsRequest") || cls == "ONFFlowMonitorStatsRequest" {
        return "MULTIPART_REQUEST";
    }
    if cls.ends_with("StatsReply") {
        return "MULTIPART_REPLY";
    }
    match cls {
        "OFPHello" => "HELLO",
        "OFPFeaturesRequest" => "FEATURES_REQUEST",
        "OFPSwitchFeatures" => "FEATURES_REPLY",
        "OFPGetConfigRequest" => "GET_CONFIG_REQUEST",
        "OFPGetConfigReply" => "GET_CONFIG_REPLY",
        "OFPSetConfig" => "SET_CONFIG",
        "OFPPortStatus" => "PORT_STATUS",
        "OFPPortMod" => "PORT_MOD",
        "OFPTableMod" => "TABLE_MOD",
        "OFPBarrierRequest" => "BARRIER_REQUEST",
        "OFPBarrierReply" => "BARRIER_REPLY",
        "OFPQueueGetConfigRequest" => "QUEUE_GET_CONFIG_REQUEST",
        "OFPQueueGetConfigReply" => "QUEUE_GET_CONFIG_REPLY",
        "OFPRoleRequest" => "ROLE_REQUEST",
        "OFPRoleReply" => "ROLE_REPLY",
        "OFPGetAsyncRequest" => "GET_ASYNC_REQUEST",
        "OFPGetAsyncReply" => "GET_ASYNC_REPLY",
        "OFPSetAsync" => "SET_ASYNC",
        "OFPMeterMod" => "METER_MOD",
        other => panic!("no mapping for Ryu message class {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// No raw fallback for standard items
// ---------------------------------------------------------------------------------------

/// Every OXM of the message: matches, set-fields (also inside write/apply actions and group
/// buckets).
fn oxms(msg: &Message) -> Vec<&Oxm> {
    fn from_actions<'a>(acts: &'a [Action], out: &mut Vec<&'a Oxm>) {
        out.extend(acts.iter().filter_map(|a| match a {
            Action::SetField(o) => Some(o),
            _ => None,
        }));
    }
    fn from_instructions<'a>(ins: &'a [Instruction], out: &mut Vec<&'a Oxm>) {
        for i in ins {
            if let Instruction::WriteActions(a) | Instruction::ApplyActions(a) = i {
                from_actions(a, out);
            }
        }
    }
    let mut out = Vec::new();
    match msg {
        Message::FlowMod(f) => {
            out.extend(&f.match_.fields);
            from_instructions(&f.instructions, &mut out);
        }
        Message::FlowRemoved(r) => out.extend(&r.match_.fields),
        Message::PacketIn(p) => out.extend(&p.match_.fields),
        Message::PacketOut(p) => from_actions(&p.actions, &mut out),
        Message::GroupMod(g) => g
            .buckets
            .iter()
            .for_each(|b| from_actions(&b.actions, &mut out)),
        Message::MultipartRequest(r) => {
            if let MultipartRequestBody::Flow(f) | MultipartRequestBody::Aggregate(f) = &r.body {
                out.extend(&f.match_.fields);
            }
        }
        Message::MultipartReply(r) => match &r.body {
            MultipartReplyBody::Flow(stats) => stats.iter().for_each(|s| {
                out.extend(&s.match_.fields);
                from_instructions(&s.instructions, &mut out);
            }),
            MultipartReplyBody::GroupDesc(groups) => groups
                .iter()
                .flat_map(|g| &g.buckets)
                .for_each(|b| from_actions(&b.actions, &mut out)),
            _ => {}
        },
        _ => {}
    }
    out
}

/// Fails if a standard item of `msg` decoded to a raw/unknown fallback.
fn assert_no_raw_fallback(name: &str, msg: &Message) {
    if let Message::Unknown { msg_type, .. } = msg {
        panic!("{name}: message type {msg_type} decoded as Unknown");
    }
    for o in oxms(msg) {
        if let Oxm::Raw(raw) = o {
            assert_ne!(
                raw.class, OFPXMC_OPENFLOW_BASIC,
                "{name}: OpenFlow basic OXM kept raw: {raw:?}"
            );
        }
    }
    // Every enum of the crate names its fallback variant `Unknown` (`Unknown(code)`,
    // `Unknown { .. }`): none may occur anywhere in the structure. (Spec names merely
    // containing "Unknown", such as `BufferUnknown`, are preceded by a letter.)
    let dbg = format!("{msg:?}");
    for (at, _) in dbg.match_indices("Unknown") {
        let before = dbg.get(..at).and_then(|s| s.chars().next_back());
        let after = dbg.get(at + "Unknown".len()..).unwrap_or_default();
        let is_variant = !before.is_some_and(char::is_alphanumeric)
            && (after.starts_with('(') || after.starts_with(" {"));
        assert!(
            !is_variant,
            "{name}: unknown-variant fallback in the decoded value: ...{}...",
            dbg.get(at.saturating_sub(80)..(at + 80).min(dbg.len()))
                .unwrap_or_default()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn every_vector_decodes_reencodes_and_agrees_with_ryu() {
    let Some(dir) = vectors_dir() else { return };
    let names = packet_names(&dir);
    assert_eq!(names.len(), VECTOR_COUNT, "vectors in {}", dir.display());
    let mut compared = std::collections::BTreeMap::<&str, usize>::new();
    for name in &names {
        let bytes = read(&dir.join("packet").join(name));
        let msg = OfMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(msg.xid, 0, "{name}: xid");
        assert_no_raw_fallback(name, &msg.msg);
        let again = msg
            .to_vec()
            .unwrap_or_else(|e| panic!("{name}: re-encoding failed: {e}"));
        assert!(
            again == bytes,
            "{name}: re-encoding differs\n ours: {}\n file: {}",
            hex::encode(&again),
            hex::encode(&bytes)
        );
        let what = check_against_ryu(name, &msg.msg, &json(&dir, name));
        *compared.entry(what).or_default() += 1;
    }
    eprintln!("compared with Ryu's JSON: {compared:?}");
}

#[test]
fn the_vectors_as_one_stream_frame_back_into_the_same_messages() {
    let Some(dir) = vectors_dir() else { return };
    let names = packet_names(&dir);
    let files: Vec<Vec<u8>> = names
        .iter()
        .map(|n| read(&dir.join("packet").join(n)))
        .collect();
    let stream = files.concat();
    let mut framer = Framer::new();
    let mut got = Vec::new();
    for piece in stream.chunks(1000) {
        framer.push(piece).expect("1000-byte pieces fit the buffer");
        while let Some(m) = framer.next_message().expect("every vector decodes") {
            got.push(m.to_vec().expect("re-encodes"));
        }
    }
    framer.finish().expect("no partial message left");
    assert_eq!(got, files);
}

#[test]
fn truncated_flow_mod_is_a_truncation_error() {
    let Some(dir) = vectors_dir() else { return };
    let marker = dir
        .join("packet")
        .join("libofproto-OFP13-flow_mod.truncated64");
    assert!(marker.is_file(), "{} missing", marker.display());
    let full = read(&dir.join("packet").join("libofproto-OFP13-flow_mod.packet"));
    let cut = full.get(..64).expect("the vector is longer than 64 bytes");
    let declared = usize::from(u16::from_be_bytes([full[2], full[3]]));
    assert_eq!(declared, full.len());

    // One message whose header promises more bytes than given.
    match OfMessage::decode(cut) {
        Err(DecodeError::Truncated {
            offset: 0,
            needed,
            available: 64,
            ..
        }) => assert_eq!(needed, declared),
        other => panic!("expected a truncation error, got {other:?}"),
    }

    // A stream that ends there.
    let mut framer = Framer::new();
    framer.push(cut).expect("fits");
    assert_eq!(framer.next_message(), Ok(None));
    assert_eq!(
        framer.finish(),
        Err(FrameError::Incomplete {
            offset: 0,
            needed: declared,
            available: 64
        })
    );

    // The same 64 bytes with the length patched to 64: the match (70 bytes at offset 48,
    // as Ryu's partial decoding shows) runs past the end.
    let ryu = json(&dir, "libofproto-OFP13-flow_mod.packet.truncated64");
    let (cls, inner) = class(&ryu);
    assert_eq!(cls, "OFPTruncatedMessage");
    let (_, fm) = class(inner);
    let match_len = uint(class(field(fm, "match")).1, "length");
    assert_eq!(match_len, 70);
    let mut patched = cut.to_vec();
    patched[2..4].copy_from_slice(&64u16.to_be_bytes());
    match OfMessage::decode(&patched) {
        Err(DecodeError::Truncated { offset, .. }) | Err(DecodeError::BadLength { offset, .. }) => {
            assert!(
                (48..64).contains(&offset),
                "error should point into the match, at {offset}"
            )
        }
        other => panic!("expected the match to be cut off, got {other:?}"),
    }
}
