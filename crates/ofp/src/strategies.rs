//! Proptest generators shared by the crate's property tests.
//!
//! Every strategy yields *canonical* values: `decode(encode(x)) == x`. Raw items
//! (experimenter / Nicira / unknown OXMs, actions and instructions) are generated so that
//! the decoder keeps them raw rather than recognising a typed item.

use crate::action::{
    Action, NX_EXPERIMENTER_ID, OFPAT_COPY_TTL_IN, OFPAT_COPY_TTL_OUT, OFPAT_EXPERIMENTER,
    OFPAT_OUTPUT, OFPAT_POP_PBB, OFPAT_SET_MPLS_TTL,
};
use crate::async_config::AsyncConfig;
use crate::error_msg::{ErrorCode, ErrorMsg};
use crate::experimenter::ExperimenterMsg;
use crate::features::SwitchFeatures;
use crate::flow_mod::{FlowMod, FlowModCommand};
use crate::flow_removed::{FlowRemoved, FlowRemovedReason};
use crate::hello::{Hello, HelloElement};
use crate::instruction::{Instruction, OFPIT_EXPERIMENTER, OFPIT_METER};
use crate::message::Message;
use crate::oxm::{
    OFPXMC_EXPERIMENTER, OFPXMC_NXM_0, OFPXMC_NXM_1, OFPXMC_OPENFLOW_BASIC, Oxm, RawOxm,
    basic_field_info,
};
use crate::packet_in::{PacketIn, PacketInReason};
use crate::packet_out::PacketOut;
use crate::role::{ControllerRole, RoleMessage};
use crate::switch_config::SwitchConfig;
use crate::table_mod::TableMod;
use crate::{MacAddr, Match};
use proptest::collection::vec;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Any byte string up to `max` bytes.
pub(crate) fn arb_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

/// A byte string whose length is `k * align + rem` for some `k` with total length ≤ `max`.
pub(crate) fn arb_aligned_bytes(
    max: usize,
    align: usize,
    rem: usize,
) -> impl Strategy<Value = Vec<u8>> {
    (0..=(max.saturating_sub(rem) / align))
        .prop_flat_map(move |k| vec(any::<u8>(), k * align + rem))
}

/// Any MAC address.
pub(crate) fn arb_mac() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(MacAddr)
}

fn arb_v4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn arb_v6() -> impl Strategy<Value = Ipv6Addr> {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}

/// Any typed (`OFPXMC_OPENFLOW_BASIC`) OXM, masks included where the spec allows them.
pub(crate) fn arb_typed_oxm() -> impl Strategy<Value = Oxm> {
    let u24 = 0u32..=0x00ff_ffff;
    prop_oneof![
        any::<u32>().prop_map(Oxm::InPort),
        any::<u32>().prop_map(Oxm::InPhyPort),
        (any::<u64>(), any::<Option<u64>>()).prop_map(|(v, m)| Oxm::Metadata(v, m)),
        (arb_mac(), proptest::option::of(arb_mac())).prop_map(|(v, m)| Oxm::EthDst(v, m)),
        (arb_mac(), proptest::option::of(arb_mac())).prop_map(|(v, m)| Oxm::EthSrc(v, m)),
        any::<u16>().prop_map(Oxm::EthType),
        (any::<u16>(), any::<Option<u16>>()).prop_map(|(v, m)| Oxm::VlanVid(v, m)),
        any::<u8>().prop_map(Oxm::VlanPcp),
        any::<u8>().prop_map(Oxm::IpDscp),
        any::<u8>().prop_map(Oxm::IpEcn),
        any::<u8>().prop_map(Oxm::IpProto),
        (arb_v4(), proptest::option::of(arb_v4())).prop_map(|(v, m)| Oxm::Ipv4Src(v, m)),
        (arb_v4(), proptest::option::of(arb_v4())).prop_map(|(v, m)| Oxm::Ipv4Dst(v, m)),
        any::<u16>().prop_map(Oxm::TcpSrc),
        any::<u16>().prop_map(Oxm::TcpDst),
        any::<u16>().prop_map(Oxm::UdpSrc),
        any::<u16>().prop_map(Oxm::UdpDst),
        any::<u16>().prop_map(Oxm::SctpSrc),
        any::<u16>().prop_map(Oxm::SctpDst),
        any::<u8>().prop_map(Oxm::Icmpv4Type),
        any::<u8>().prop_map(Oxm::Icmpv4Code),
        any::<u16>().prop_map(Oxm::ArpOp),
        (arb_v4(), proptest::option::of(arb_v4())).prop_map(|(v, m)| Oxm::ArpSpa(v, m)),
        (arb_v4(), proptest::option::of(arb_v4())).prop_map(|(v, m)| Oxm::ArpTpa(v, m)),
        (arb_mac(), proptest::option::of(arb_mac())).prop_map(|(v, m)| Oxm::ArpSha(v, m)),
        (arb_mac(), proptest::option::of(arb_mac())).prop_map(|(v, m)| Oxm::ArpTha(v, m)),
        (arb_v6(), proptest::option::of(arb_v6())).prop_map(|(v, m)| Oxm::Ipv6Src(v, m)),
        (arb_v6(), proptest::option::of(arb_v6())).prop_map(|(v, m)| Oxm::Ipv6Dst(v, m)),
        (any::<u32>(), any::<Option<u32>>()).prop_map(|(v, m)| Oxm::Ipv6Flabel(v, m)),
        any::<u8>().prop_map(Oxm::Icmpv6Type),
        any::<u8>().prop_map(Oxm::Icmpv6Code),
        arb_v6().prop_map(Oxm::Ipv6NdTarget),
        arb_mac().prop_map(Oxm::Ipv6NdSll),
        arb_mac().prop_map(Oxm::Ipv6NdTll),
        any::<u32>().prop_map(Oxm::MplsLabel),
        any::<u8>().prop_map(Oxm::MplsTc),
        any::<u8>().prop_map(Oxm::MplsBos),
        (u24.clone(), proptest::option::of(u24)).prop_map(|(v, m)| Oxm::PbbIsid(v, m)),
        (any::<u64>(), any::<Option<u64>>()).prop_map(|(v, m)| Oxm::TunnelId(v, m)),
        (any::<u16>(), any::<Option<u16>>()).prop_map(|(v, m)| Oxm::Ipv6Exthdr(v, m)),
    ]
}

/// A raw OXM the decoder keeps raw: Nicira NXM_0/NXM_1, experimenter class (Nicira and
/// ONF ids, or arbitrary), other classes, unknown basic fields, or a mask on an
/// unmaskable basic field.
pub(crate) fn arb_raw_oxm() -> impl Strategy<Value = Oxm> {
    let nicira = (
        prop_oneof![Just(OFPXMC_NXM_0), Just(OFPXMC_NXM_1)],
        0u8..128,
        any::<bool>(),
        arb_bytes(16),
    )
        .prop_map(|(class, field, has_mask, payload)| RawOxm {
            class,
            field,
            has_mask,
            payload,
        });
    let experimenter = (
        0u8..128,
        any::<bool>(),
        prop_oneof![Just(NX_EXPERIMENTER_ID), Just(0x4f4e_4600u32), any::<u32>()],
        arb_bytes(12),
    )
        .prop_map(|(field, has_mask, exp, rest)| {
            let mut payload = exp.to_be_bytes().to_vec();
            payload.extend(rest);
            RawOxm {
                class: OFPXMC_EXPERIMENTER,
                field,
                has_mask,
                payload,
            }
        });
    let other_class = (2u16..0x8000, 0u8..128, any::<bool>(), arb_bytes(255)).prop_map(
        |(class, field, has_mask, payload)| RawOxm {
            class,
            field,
            has_mask,
            payload,
        },
    );
    let unknown_basic =
        (40u8..128, any::<bool>(), arb_bytes(20)).prop_map(|(field, has_mask, payload)| RawOxm {
            class: OFPXMC_OPENFLOW_BASIC,
            field,
            has_mask,
            payload,
        });
    let masked_unmaskable = (
        (0u8..40).prop_filter("unmaskable", |f| {
            basic_field_info(*f).is_some_and(|i| !i.maskable)
        }),
        arb_bytes(20),
    )
        .prop_map(|(field, payload)| RawOxm {
            class: OFPXMC_OPENFLOW_BASIC,
            field,
            has_mask: true,
            payload,
        });
    prop_oneof![
        nicira,
        experimenter,
        other_class,
        unknown_basic,
        masked_unmaskable
    ]
    .prop_map(Oxm::Raw)
}

/// Any OXM: mostly typed, sometimes raw.
pub(crate) fn arb_oxm() -> impl Strategy<Value = Oxm> {
    prop_oneof![4 => arb_typed_oxm(), 1 => arb_raw_oxm()]
}

/// A match of up to 8 OXMs (not necessarily valid per `validate`: duplicates and missing
/// prerequisites are possible, which the codec must preserve).
pub(crate) fn arb_match() -> impl Strategy<Value = Match> {
    vec(arb_oxm(), 0..8).prop_map(|fields| Match { fields })
}

/// Any action, including experimenter (Nicira and other ids) and unknown types.
pub(crate) fn arb_action() -> impl Strategy<Value = Action> {
    let eth = any::<u16>();
    prop_oneof![
        (any::<u32>(), any::<u16>()).prop_map(|(port, max_len)| Action::Output { port, max_len }),
        Just(Action::CopyTtlOut),
        Just(Action::CopyTtlIn),
        any::<u8>().prop_map(Action::SetMplsTtl),
        Just(Action::DecMplsTtl),
        eth.prop_map(Action::PushVlan),
        Just(Action::PopVlan),
        eth.prop_map(Action::PushMpls),
        eth.prop_map(Action::PopMpls),
        any::<u32>().prop_map(Action::SetQueue),
        any::<u32>().prop_map(Action::Group),
        any::<u8>().prop_map(Action::SetNwTtl),
        Just(Action::DecNwTtl),
        arb_oxm().prop_map(Action::SetField),
        eth.prop_map(Action::PushPbb),
        Just(Action::PopPbb),
        (
            prop_oneof![Just(NX_EXPERIMENTER_ID), any::<u32>()],
            arb_aligned_bytes(40, 8, 0)
        )
            .prop_map(|(experimenter, data)| Action::Experimenter { experimenter, data }),
        (arb_unknown_action_type(), arb_aligned_bytes(36, 8, 4))
            .prop_map(|(action_type, data)| Action::Unknown { action_type, data }),
    ]
}

/// An action type number OpenFlow 1.3.5 does not define (1..=10, 13, 14, 28..0xffff).
fn arb_unknown_action_type() -> impl Strategy<Value = u16> {
    prop_oneof![
        (OFPAT_OUTPUT + 1)..OFPAT_COPY_TTL_OUT,
        (OFPAT_COPY_TTL_IN + 1)..OFPAT_SET_MPLS_TTL,
        (OFPAT_POP_PBB + 1)..OFPAT_EXPERIMENTER,
    ]
}

/// Up to 6 actions.
pub(crate) fn arb_actions() -> impl Strategy<Value = Vec<Action>> {
    vec(arb_action(), 0..6)
}

/// Any instruction, including experimenter and unknown types.
pub(crate) fn arb_instruction() -> impl Strategy<Value = Instruction> {
    prop_oneof![
        any::<u8>().prop_map(Instruction::GotoTable),
        (any::<u64>(), any::<u64>())
            .prop_map(|(metadata, mask)| Instruction::WriteMetadata { metadata, mask }),
        arb_actions().prop_map(Instruction::WriteActions),
        arb_actions().prop_map(Instruction::ApplyActions),
        Just(Instruction::ClearActions),
        any::<u32>().prop_map(Instruction::Meter),
        (any::<u32>(), arb_aligned_bytes(24, 8, 0))
            .prop_map(|(experimenter, data)| Instruction::Experimenter { experimenter, data }),
        (
            prop_oneof![0u16..1, (OFPIT_METER + 1)..OFPIT_EXPERIMENTER],
            arb_aligned_bytes(28, 8, 4)
        )
            .prop_map(|(instruction_type, data)| Instruction::Unknown {
                instruction_type,
                data
            }),
    ]
}

/// Up to 4 instructions (duplicates possible: the codec must keep them).
pub(crate) fn arb_instructions() -> impl Strategy<Value = Vec<Instruction>> {
    vec(arb_instruction(), 0..4)
}

/// Any flow-mod command, undefined values included.
pub(crate) fn arb_flow_mod_command() -> impl Strategy<Value = FlowModCommand> {
    any::<u8>().prop_map(FlowModCommand::from_u8)
}

/// Any `FlowMod`.
pub(crate) fn arb_flow_mod() -> impl Strategy<Value = FlowMod> {
    (
        (
            any::<u64>(),
            any::<u64>(),
            any::<u8>(),
            arb_flow_mod_command(),
        ),
        (any::<u16>(), any::<u16>(), any::<u16>(), any::<u32>()),
        (any::<u32>(), any::<u32>(), any::<u16>()),
        arb_match(),
        arb_instructions(),
    )
        .prop_map(
            |(
                (cookie, cookie_mask, table_id, command),
                (idle_timeout, hard_timeout, priority, buffer_id),
                (out_port, out_group, flags),
                match_,
                instructions,
            )| FlowMod {
                cookie,
                cookie_mask,
                table_id,
                command,
                idle_timeout,
                hard_timeout,
                priority,
                buffer_id,
                out_port,
                out_group,
                flags,
                match_,
                instructions,
            },
        )
}

/// Any HELLO: any version byte, version bitmaps and unknown elements.
pub(crate) fn arb_hello() -> impl Strategy<Value = Hello> {
    let element = prop_oneof![
        vec(any::<u32>(), 0..3).prop_map(HelloElement::VersionBitmap),
        ((2u16..), arb_bytes(12))
            .prop_map(|(element_type, data)| HelloElement::Unknown { element_type, data }),
    ];
    (any::<u8>(), vec(element, 0..3)).prop_map(|(version, elements)| Hello { version, elements })
}

/// Any ERROR body: every type, known and unknown codes, experimenter errors.
pub(crate) fn arb_error_msg() -> impl Strategy<Value = ErrorMsg> {
    let code = prop_oneof![
        ((0u16..=13), any::<u16>()).prop_map(|(t, c)| ErrorCode::from_type_code(t, c)),
        (14u16..0xffff, any::<u16>())
            .prop_map(|(error_type, code)| ErrorCode::Unknown { error_type, code }),
        (any::<u16>(), any::<u32>()).prop_map(|(exp_type, experimenter)| {
            ErrorCode::Experimenter {
                exp_type,
                experimenter,
            }
        }),
    ];
    (code, arb_bytes(64)).prop_map(|(code, data)| ErrorMsg { code, data })
}

/// Any message of the types `message.rs` itself decodes (every type except the
/// port/group/meter/queue/multipart bodies).
pub(crate) fn arb_core_message() -> impl Strategy<Value = Message> {
    let features = (
        any::<u64>(),
        any::<u32>(),
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(datapath_id, n_buffers, n_tables, auxiliary_id, capabilities, reserved)| {
                SwitchFeatures {
                    datapath_id,
                    n_buffers,
                    n_tables,
                    auxiliary_id,
                    capabilities,
                    reserved,
                }
            },
        );
    let config = (any::<u16>(), any::<u16>()).prop_map(|(flags, miss_send_len)| SwitchConfig {
        flags,
        miss_send_len,
    });
    let packet_in = (
        (
            any::<u32>(),
            any::<u16>(),
            any::<u8>(),
            any::<u8>(),
            any::<u64>(),
        ),
        arb_match(),
        arb_bytes(64),
    )
        .prop_map(
            |((buffer_id, total_len, reason, table_id, cookie), match_, data)| PacketIn {
                buffer_id,
                total_len,
                reason: PacketInReason::from_wire(reason),
                table_id,
                cookie,
                match_,
                data,
            },
        );
    let flow_removed = (
        (any::<u64>(), any::<u16>(), any::<u8>(), any::<u8>()),
        (any::<u32>(), any::<u32>(), any::<u16>(), any::<u16>()),
        (any::<u64>(), any::<u64>()),
        arb_match(),
    )
        .prop_map(
            |(
                (cookie, priority, reason, table_id),
                (duration_sec, duration_nsec, idle_timeout, hard_timeout),
                (packet_count, byte_count),
                match_,
            )| FlowRemoved {
                cookie,
                priority,
                reason: FlowRemovedReason::from_wire(reason),
                table_id,
                duration_sec,
                duration_nsec,
                idle_timeout,
                hard_timeout,
                packet_count,
                byte_count,
                match_,
            },
        );
    let packet_out = (any::<u32>(), any::<u32>(), arb_actions(), arb_bytes(64)).prop_map(
        |(buffer_id, in_port, actions, data)| PacketOut {
            buffer_id,
            in_port,
            actions,
            data,
        },
    );
    let role = (any::<u32>(), any::<u64>()).prop_map(|(role, generation_id)| RoleMessage {
        role: ControllerRole::from_wire(role),
        generation_id,
    });
    let async_config = any::<[u32; 6]>().prop_map(|m| AsyncConfig {
        packet_in_mask: [m[0], m[1]],
        port_status_mask: [m[2], m[3]],
        flow_removed_mask: [m[4], m[5]],
    });
    let experimenter =
        (any::<u32>(), any::<u32>(), arb_bytes(32)).prop_map(|(experimenter, exp_type, data)| {
            ExperimenterMsg {
                experimenter,
                exp_type,
                data,
            }
        });
    prop_oneof![
        arb_hello().prop_map(Message::Hello),
        arb_error_msg().prop_map(Message::Error),
        arb_bytes(32).prop_map(Message::EchoRequest),
        arb_bytes(32).prop_map(Message::EchoReply),
        experimenter.prop_map(Message::Experimenter),
        Just(Message::FeaturesRequest),
        features.prop_map(Message::FeaturesReply),
        Just(Message::GetConfigRequest),
        config.clone().prop_map(Message::GetConfigReply),
        config.prop_map(Message::SetConfig),
        packet_in.prop_map(Message::PacketIn),
        flow_removed.prop_map(Message::FlowRemoved),
        packet_out.prop_map(Message::PacketOut),
        arb_flow_mod().prop_map(Message::FlowMod),
        (any::<u8>(), any::<u32>())
            .prop_map(|(table_id, config)| Message::TableMod(TableMod { table_id, config })),
        Just(Message::BarrierRequest),
        Just(Message::BarrierReply),
        role.clone().prop_map(Message::RoleRequest),
        role.prop_map(Message::RoleReply),
        Just(Message::GetAsyncRequest),
        async_config.clone().prop_map(Message::GetAsyncReply),
        async_config.prop_map(Message::SetAsync),
        (30u8.., arb_bytes(32)).prop_map(|(msg_type, body)| Message::Unknown { msg_type, body }),
    ]
}
