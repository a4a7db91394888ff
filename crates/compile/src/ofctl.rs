//! Flow entries in `ovs-ofctl` text syntax (ovs-ofctl(8) "Flow Syntax", ovs-fields(7)), so an
//! operator can load a compiled table with
//! `ovs-ofctl -O OpenFlow13 add-flows BRIDGE FILE` and compare it with `dump-flows`.
//!
//! Lines follow `dump-flows`' layout and canonical field order
//! (`cookie=…, table=…, idle_timeout=…, priority=…,ip,in_port=…,nw_src=…,nw_tos=… actions=…`);
//! `ip_dscp` prints as `nw_tos` (the ToS byte, DSCP << 2) exactly as `dump-flows` shows it.
//! Fields and actions Open vSwitch has no syntax for (`in_phy_port`, `pbb_isid`,
//! `ipv6_exthdr`, PBB and TTL-copy actions, raw experimenter items) are refused with
//! [`Error::OfctlUnsupported`] rather than printed as something `add-flows` would reject.

use std::fmt::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use flowfall_ofp::action::{
    OFPP_ALL, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_LOCAL, OFPP_NORMAL, OFPP_TABLE,
};
use flowfall_ofp::flow_mod::OFPP_ANY;
use flowfall_ofp::{Action, Instruction, MacAddr, Match, Oxm};

use crate::entry::{FlowEntry, execution_rank};
use crate::error::Error;

/// One entry as an `add-flows` line (no trailing newline).
///
/// ```
/// use flowfall_compile::cookie::{Cookie, CookieKind, OwnerId};
/// use flowfall_compile::{ofctl, FlowEntry};
/// use flowfall_ofp::{Action, Instruction, MacAddr, Match, Oxm};
///
/// let e = FlowEntry::new(
///     0,
///     1024,
///     Match::new()
///         .with(Oxm::InPort(1))
///         .with(Oxm::EthType(0x0800))
///         .with(Oxm::IpDscp(4))
///         .with(Oxm::Ipv4Src([10, 0, 1, 0].into(), Some([255, 255, 255, 0].into()))),
///     vec![Instruction::ApplyActions(vec![
///         Action::SetField(Oxm::EthDst(MacAddr([2, 0, 0, 1, 1, 1]), None)),
///         Action::Output { port: 11, max_len: 0 },
///     ])],
///     Cookie::new(CookieKind::Upstream, 1, OwnerId::from_u64(5)),
/// );
/// assert_eq!(
///     ofctl::flow_line(&e)?,
///     "cookie=0x3000100000000005, table=0, priority=1024,ip,in_port=1,nw_src=10.0.1.0/24,\
///      nw_tos=16 actions=set_field:02:00:00:01:01:01->eth_dst,output:11"
/// );
/// # Ok::<(), flowfall_compile::Error>(())
/// ```
///
/// # Errors
/// [`Error::OfctlUnsupported`] for a field or action without `ovs-ofctl` syntax.
pub fn flow_line(entry: &FlowEntry) -> Result<String, Error> {
    let mut s = String::with_capacity(160);
    write_flow(&mut s, entry)?;
    Ok(s)
}

/// Appends one entry as an `add-flows` line (no trailing newline) to `out`.
///
/// # Errors
/// [`Error::OfctlUnsupported`] for a field or action without `ovs-ofctl` syntax.
pub fn write_flow(out: &mut String, entry: &FlowEntry) -> Result<(), Error> {
    push(
        out,
        format_args!("cookie={}, table={}, ", entry.cookie, entry.table_id),
    );
    if entry.idle_timeout != 0 {
        push(out, format_args!("idle_timeout={}, ", entry.idle_timeout));
    }
    push(out, format_args!("priority={}", entry.priority));
    write_match(out, &entry.match_)?;
    out.push_str(" actions=");
    write_instructions(out, &entry.instructions)
}

/// A whole table as an `add-flows` file: `#` comment lines from `header`, then one line per
/// entry.
///
/// # Errors
/// [`Error::OfctlUnsupported`] for a field or action without `ovs-ofctl` syntax.
pub fn table_file<'a>(
    header: &[String],
    entries: impl IntoIterator<Item = &'a FlowEntry>,
) -> Result<String, Error> {
    let mut s = String::new();
    for line in header {
        push(&mut s, format_args!("# {line}\n"));
    }
    for e in entries {
        write_flow(&mut s, e)?;
        s.push('\n');
    }
    Ok(s)
}

fn push(out: &mut String, args: fmt::Arguments<'_>) {
    // Writing into a String cannot fail.
    let _ = out.write_fmt(args);
}

fn unsupported(what: &str) -> Error {
    Error::OfctlUnsupported {
        what: what.to_owned(),
    }
}

/// The match, each field preceded by a comma, `eth_type` as a protocol keyword where one
/// exists, fields in `dump-flows` order.
fn write_match(out: &mut String, m: &Match) -> Result<(), Error> {
    let mut fields: Vec<&Oxm> = m.fields.iter().collect();
    fields.sort_by_key(|o| field_rank(o));
    for f in fields {
        write_match_field(out, f)?;
    }
    Ok(())
}

/// `dump-flows` prints the protocol keyword first, then L2, L3, L4 fields.
fn field_rank(o: &Oxm) -> u8 {
    match o {
        Oxm::EthType(_) => 0,
        Oxm::InPort(_) => 1,
        Oxm::Metadata(..) => 2,
        Oxm::VlanVid(..) => 3,
        Oxm::VlanPcp(_) => 4,
        Oxm::EthSrc(..) => 5,
        Oxm::EthDst(..) => 6,
        Oxm::Ipv4Src(..) | Oxm::ArpSpa(..) => 7,
        Oxm::Ipv4Dst(..) | Oxm::ArpTpa(..) => 8,
        Oxm::Ipv6Src(..) => 9,
        Oxm::Ipv6Dst(..) => 10,
        Oxm::Ipv6Flabel(..) => 11,
        Oxm::IpProto(_) | Oxm::ArpOp(_) => 12,
        Oxm::IpDscp(_) => 13,
        Oxm::IpEcn(_) => 14,
        _ => 15,
    }
}

fn write_match_field(out: &mut String, o: &Oxm) -> Result<(), Error> {
    match o {
        Oxm::EthType(t) => match t {
            0x0800 => out.push_str(",ip"),
            0x86dd => out.push_str(",ipv6"),
            0x0806 => out.push_str(",arp"),
            0x8847 => out.push_str(",mpls"),
            0x8848 => out.push_str(",mplsm"),
            _ => push(out, format_args!(",dl_type={t:#06x}")),
        },
        Oxm::InPort(p) => {
            out.push_str(",in_port=");
            write_port(out, *p);
        }
        Oxm::Metadata(v, m) => {
            push(out, format_args!(",metadata={v:#x}"));
            if let Some(m) = m {
                push(out, format_args!("/{m:#x}"));
            }
        }
        Oxm::VlanVid(v, m) => write_vlan(out, *v, *m),
        Oxm::VlanPcp(p) => push(out, format_args!(",dl_vlan_pcp={p}")),
        Oxm::EthSrc(v, m) => write_mac(out, "dl_src", *v, *m),
        Oxm::EthDst(v, m) => write_mac(out, "dl_dst", *v, *m),
        Oxm::IpDscp(d) => push(out, format_args!(",nw_tos={}", u16::from(*d) << 2)),
        Oxm::IpEcn(e) => push(out, format_args!(",nw_ecn={e}")),
        Oxm::IpProto(p) => push(out, format_args!(",nw_proto={p}")),
        Oxm::Ipv4Src(a, m) => write_v4(out, "nw_src", *a, *m),
        Oxm::Ipv4Dst(a, m) => write_v4(out, "nw_dst", *a, *m),
        Oxm::TcpSrc(p) => push(out, format_args!(",tcp_src={p}")),
        Oxm::TcpDst(p) => push(out, format_args!(",tcp_dst={p}")),
        Oxm::UdpSrc(p) => push(out, format_args!(",udp_src={p}")),
        Oxm::UdpDst(p) => push(out, format_args!(",udp_dst={p}")),
        Oxm::SctpSrc(p) => push(out, format_args!(",sctp_src={p}")),
        Oxm::SctpDst(p) => push(out, format_args!(",sctp_dst={p}")),
        Oxm::Icmpv4Type(t) | Oxm::Icmpv6Type(t) => push(out, format_args!(",icmp_type={t}")),
        Oxm::Icmpv4Code(c) | Oxm::Icmpv6Code(c) => push(out, format_args!(",icmp_code={c}")),
        Oxm::ArpOp(op) => push(out, format_args!(",arp_op={op}")),
        Oxm::ArpSpa(a, m) => write_v4(out, "arp_spa", *a, *m),
        Oxm::ArpTpa(a, m) => write_v4(out, "arp_tpa", *a, *m),
        Oxm::ArpSha(v, m) => write_mac(out, "arp_sha", *v, *m),
        Oxm::ArpTha(v, m) => write_mac(out, "arp_tha", *v, *m),
        Oxm::Ipv6Src(a, m) => write_v6(out, "ipv6_src", *a, *m),
        Oxm::Ipv6Dst(a, m) => write_v6(out, "ipv6_dst", *a, *m),
        Oxm::Ipv6Flabel(v, m) => {
            push(out, format_args!(",ipv6_label={v:#07x}"));
            if let Some(m) = m {
                push(out, format_args!("/{m:#07x}"));
            }
        }
        Oxm::Ipv6NdTarget(a) => push(out, format_args!(",nd_target={a}")),
        Oxm::Ipv6NdSll(m) => push(out, format_args!(",nd_sll={m}")),
        Oxm::Ipv6NdTll(m) => push(out, format_args!(",nd_tll={m}")),
        Oxm::MplsLabel(l) => push(out, format_args!(",mpls_label={l}")),
        Oxm::MplsTc(t) => push(out, format_args!(",mpls_tc={t}")),
        Oxm::MplsBos(b) => push(out, format_args!(",mpls_bos={b}")),
        Oxm::TunnelId(v, m) => {
            push(out, format_args!(",tun_id={v:#x}"));
            if let Some(m) = m {
                push(out, format_args!("/{m:#x}"));
            }
        }
        Oxm::InPhyPort(_) => return Err(unsupported("match field in_phy_port")),
        Oxm::PbbIsid(..) => return Err(unsupported("match field pbb_isid")),
        Oxm::Ipv6Exthdr(..) => return Err(unsupported("match field ipv6_exthdr")),
        Oxm::Raw(r) => {
            return Err(unsupported(&format!(
                "raw OXM class {:#06x} field {}",
                r.class, r.field
            )));
        }
    }
    Ok(())
}

/// `vlan_vid` as `dump-flows` prints it: `dl_vlan=VID` for an exact tagged VID,
/// `vlan_tci=0x0000/0x1fff` for "no tag", the masked TCI form otherwise.
fn write_vlan(out: &mut String, v: u16, m: Option<u16>) {
    const PRESENT: u16 = 0x1000;
    match m {
        None | Some(0x1fff) if v & PRESENT != 0 => {
            push(out, format_args!(",dl_vlan={}", v & 0x0fff));
        }
        None if v == 0 => out.push_str(",vlan_tci=0x0000/0x1fff"),
        None => push(out, format_args!(",vlan_tci={:#06x}/0x1fff", v & 0x1fff)),
        Some(m) => push(
            out,
            format_args!(",vlan_tci={:#06x}/{:#06x}", v & m, m & 0x1fff),
        ),
    }
}

fn write_port(out: &mut String, p: u32) {
    match p {
        OFPP_IN_PORT => out.push_str("IN_PORT"),
        OFPP_TABLE => out.push_str("TABLE"),
        OFPP_NORMAL => out.push_str("NORMAL"),
        OFPP_FLOOD => out.push_str("FLOOD"),
        OFPP_ALL => out.push_str("ALL"),
        OFPP_CONTROLLER => out.push_str("CONTROLLER"),
        OFPP_LOCAL => out.push_str("LOCAL"),
        OFPP_ANY => out.push_str("ANY"),
        p => push(out, format_args!("{p}")),
    }
}

fn write_mac(out: &mut String, name: &str, v: MacAddr, m: Option<MacAddr>) {
    push(out, format_args!(",{name}={v}"));
    if let Some(m) = m {
        push(out, format_args!("/{m}"));
    }
}

/// An IPv4 address with an optional mask: `/len` for a prefix mask, `/a.b.c.d` otherwise;
/// a zero mask matches everything and prints nothing (as `dump-flows` does).
fn write_v4(out: &mut String, name: &str, a: Ipv4Addr, m: Option<Ipv4Addr>) {
    match m.map(u32::from) {
        Some(0) => {}
        None | Some(u32::MAX) => push(out, format_args!(",{name}={a}")),
        Some(m) if m.leading_ones() + m.trailing_zeros() == 32 => {
            push(out, format_args!(",{name}={a}/{}", m.leading_ones()));
        }
        Some(m) => push(out, format_args!(",{name}={a}/{}", Ipv4Addr::from(m))),
    }
}

/// An IPv6 address with an optional mask, as [`write_v4`].
fn write_v6(out: &mut String, name: &str, a: Ipv6Addr, m: Option<Ipv6Addr>) {
    match m.map(u128::from) {
        Some(0) => {}
        None | Some(u128::MAX) => push(out, format_args!(",{name}={a}")),
        Some(m) if m.leading_ones() + m.trailing_zeros() == 128 => {
            push(out, format_args!(",{name}={a}/{}", m.leading_ones()));
        }
        Some(m) => push(out, format_args!(",{name}={a}/{}", Ipv6Addr::from(m))),
    }
}

/// Instructions in the order `ovs-ofctl` requires (OpenFlow 1.3.5 §5.9 execution order):
/// meter, apply-actions, clear-actions, write-actions, write-metadata, goto-table.
fn write_instructions(out: &mut String, instructions: &[Instruction]) -> Result<(), Error> {
    let mut ordered: Vec<&Instruction> = instructions.iter().collect();
    ordered.sort_by_key(|i| execution_rank(i));
    let start = out.len();
    for i in ordered {
        let before = out.len();
        if before > start {
            out.push(',');
        }
        match i {
            Instruction::Meter(m) => push(out, format_args!("meter:{m}")),
            Instruction::ApplyActions(actions) => {
                write_actions(out, actions)?;
                if actions.is_empty() && out.len() > before {
                    // An empty apply-actions adds nothing; drop the separator we wrote.
                    out.truncate(before);
                }
            }
            Instruction::ClearActions => out.push_str("clear_actions"),
            Instruction::WriteActions(actions) => {
                out.push_str("write_actions(");
                write_actions(out, actions)?;
                out.push(')');
            }
            Instruction::WriteMetadata { metadata, mask } => {
                push(out, format_args!("write_metadata:{metadata:#x}/{mask:#x}"));
            }
            Instruction::GotoTable(t) => push(out, format_args!("goto_table:{t}")),
            Instruction::Experimenter { experimenter, .. } => {
                return Err(unsupported(&format!(
                    "experimenter instruction {experimenter:#010x}"
                )));
            }
            Instruction::Unknown {
                instruction_type, ..
            } => {
                return Err(unsupported(&format!("instruction type {instruction_type}")));
            }
        }
    }
    if out.len() == start {
        out.push_str("drop");
    }
    Ok(())
}

fn write_actions(out: &mut String, actions: &[Action]) -> Result<(), Error> {
    for (n, a) in actions.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        write_action(out, a)?;
    }
    Ok(())
}

fn write_action(out: &mut String, a: &Action) -> Result<(), Error> {
    match a {
        Action::Output { port, max_len } => match *port {
            OFPP_CONTROLLER => push(out, format_args!("CONTROLLER:{max_len}")),
            p if p >= OFPP_IN_PORT => write_port(out, p),
            p => push(out, format_args!("output:{p}")),
        },
        Action::SetField(o) => write_set_field(out, o)?,
        Action::PushVlan(t) => push(out, format_args!("push_vlan:{t:#06x}")),
        Action::PopVlan => out.push_str("pop_vlan"),
        Action::PushMpls(t) => push(out, format_args!("push_mpls:{t:#06x}")),
        Action::PopMpls(t) => push(out, format_args!("pop_mpls:{t:#06x}")),
        Action::SetMplsTtl(t) => push(out, format_args!("set_mpls_ttl:{t}")),
        Action::DecMplsTtl => out.push_str("dec_mpls_ttl"),
        Action::SetNwTtl(t) => push(out, format_args!("mod_nw_ttl:{t}")),
        Action::DecNwTtl => out.push_str("dec_ttl"),
        Action::SetQueue(q) => push(out, format_args!("set_queue:{q}")),
        Action::Group(g) => push(out, format_args!("group:{g}")),
        Action::CopyTtlOut => return Err(unsupported("action copy_ttl_out")),
        Action::CopyTtlIn => return Err(unsupported("action copy_ttl_in")),
        Action::PushPbb(_) => return Err(unsupported("action push_pbb")),
        Action::PopPbb => return Err(unsupported("action pop_pbb")),
        Action::Experimenter { experimenter, .. } => {
            return Err(unsupported(&format!(
                "experimenter action {experimenter:#010x}"
            )));
        }
        Action::Unknown { action_type, .. } => {
            return Err(unsupported(&format!("action type {action_type}")));
        }
    }
    Ok(())
}

/// `set_field:VALUE->FIELD` with ovs-fields(7) names (`ip_dscp` takes the 6-bit DSCP).
fn write_set_field(out: &mut String, o: &Oxm) -> Result<(), Error> {
    out.push_str("set_field:");
    match o {
        Oxm::EthDst(m, _) => push(out, format_args!("{m}->eth_dst")),
        Oxm::EthSrc(m, _) => push(out, format_args!("{m}->eth_src")),
        Oxm::EthType(t) => push(out, format_args!("{t:#06x}->eth_type")),
        Oxm::VlanVid(v, _) => push(out, format_args!("{v:#06x}->vlan_vid")),
        Oxm::VlanPcp(p) => push(out, format_args!("{p}->vlan_pcp")),
        Oxm::IpDscp(d) => push(out, format_args!("{d}->ip_dscp")),
        Oxm::IpEcn(e) => push(out, format_args!("{e}->ip_ecn")),
        Oxm::IpProto(p) => push(out, format_args!("{p}->nw_proto")),
        Oxm::Ipv4Src(a, _) => push(out, format_args!("{a}->ip_src")),
        Oxm::Ipv4Dst(a, _) => push(out, format_args!("{a}->ip_dst")),
        Oxm::Ipv6Src(a, _) => push(out, format_args!("{a}->ipv6_src")),
        Oxm::Ipv6Dst(a, _) => push(out, format_args!("{a}->ipv6_dst")),
        Oxm::Ipv6Flabel(v, _) => push(out, format_args!("{v:#07x}->ipv6_label")),
        Oxm::TcpSrc(p) => push(out, format_args!("{p}->tcp_src")),
        Oxm::TcpDst(p) => push(out, format_args!("{p}->tcp_dst")),
        Oxm::UdpSrc(p) => push(out, format_args!("{p}->udp_src")),
        Oxm::UdpDst(p) => push(out, format_args!("{p}->udp_dst")),
        Oxm::SctpSrc(p) => push(out, format_args!("{p}->sctp_src")),
        Oxm::SctpDst(p) => push(out, format_args!("{p}->sctp_dst")),
        Oxm::Icmpv4Type(t) => push(out, format_args!("{t}->icmp_type")),
        Oxm::Icmpv4Code(c) => push(out, format_args!("{c}->icmp_code")),
        Oxm::Icmpv6Type(t) => push(out, format_args!("{t}->icmpv6_type")),
        Oxm::Icmpv6Code(c) => push(out, format_args!("{c}->icmpv6_code")),
        Oxm::ArpOp(op) => push(out, format_args!("{op}->arp_op")),
        Oxm::ArpSpa(a, _) => push(out, format_args!("{a}->arp_spa")),
        Oxm::ArpTpa(a, _) => push(out, format_args!("{a}->arp_tpa")),
        Oxm::ArpSha(m, _) => push(out, format_args!("{m}->arp_sha")),
        Oxm::ArpTha(m, _) => push(out, format_args!("{m}->arp_tha")),
        Oxm::Ipv6NdTarget(a) => push(out, format_args!("{a}->nd_target")),
        Oxm::Ipv6NdSll(m) => push(out, format_args!("{m}->nd_sll")),
        Oxm::Ipv6NdTll(m) => push(out, format_args!("{m}->nd_tll")),
        Oxm::MplsLabel(l) => push(out, format_args!("{l}->mpls_label")),
        Oxm::MplsTc(t) => push(out, format_args!("{t}->mpls_tc")),
        Oxm::MplsBos(b) => push(out, format_args!("{b}->mpls_bos")),
        Oxm::TunnelId(v, _) => push(out, format_args!("{v:#x}->tun_id")),
        Oxm::Metadata(v, _) => push(out, format_args!("{v:#x}->metadata")),
        Oxm::InPort(p) => push(out, format_args!("{p}->in_port")),
        Oxm::InPhyPort(_) | Oxm::PbbIsid(..) | Oxm::Ipv6Exthdr(..) | Oxm::Raw(_) => {
            return Err(unsupported("set_field on a field without ovs-ofctl syntax"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookie::{Cookie, CookieKind, OwnerId};

    fn e(m: Match, i: Vec<Instruction>) -> FlowEntry {
        FlowEntry::new(
            0,
            7,
            m,
            i,
            Cookie::new(CookieKind::Static, 0, OwnerId::NONE),
        )
    }

    #[test]
    fn drop_and_controller() {
        let drop = e(Match::new(), vec![]);
        assert_eq!(
            flow_line(&drop).ok().as_deref(),
            Some("cookie=0x1000000000000000, table=0, priority=7 actions=drop")
        );
        let punt = FlowEntry {
            idle_timeout: 300,
            ..e(
                Match::new().with(Oxm::EthType(0x86dd)).with(Oxm::IpEcn(1)),
                vec![Instruction::ApplyActions(vec![Action::Output {
                    port: OFPP_CONTROLLER,
                    max_len: 0xffff,
                }])],
            )
        };
        assert_eq!(
            flow_line(&punt).ok().as_deref(),
            Some(
                "cookie=0x1000000000000000, table=0, idle_timeout=300, priority=7,ipv6,nw_ecn=1 \
                 actions=CONTROLLER:65535"
            )
        );
    }

    #[test]
    fn masks_vlans_and_instruction_order() {
        let m = Match::new()
            .with(Oxm::Ipv6Src(
                "2001:db8::".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
                Some("ffff:ffff::".parse().unwrap_or(Ipv6Addr::UNSPECIFIED)),
            ))
            .with(Oxm::VlanVid(0x1000 | 115, None))
            .with(Oxm::EthType(0x86dd))
            .with(Oxm::Ipv4Dst(
                Ipv4Addr::new(10, 0, 0, 0),
                Some(Ipv4Addr::new(255, 0, 255, 0)),
            ))
            .with(Oxm::Ipv4Src(
                Ipv4Addr::new(1, 2, 3, 4),
                Some(Ipv4Addr::UNSPECIFIED),
            ));
        let i = vec![
            Instruction::GotoTable(2),
            Instruction::WriteMetadata {
                metadata: 5,
                mask: 0xff,
            },
            Instruction::WriteActions(vec![Action::SetField(Oxm::IpDscp(3))]),
            Instruction::ApplyActions(vec![Action::PopVlan]),
        ];
        assert_eq!(
            flow_line(&e(m, i)).ok().as_deref(),
            Some(
                "cookie=0x1000000000000000, table=0, priority=7,ipv6,dl_vlan=115,\
                 nw_dst=10.0.0.0/255.0.255.0,ipv6_src=2001:db8::/32 actions=pop_vlan,\
                 write_actions(set_field:3->ip_dscp),write_metadata:0x5/0xff,goto_table:2"
            )
        );
        let mut s = String::new();
        write_vlan(&mut s, 0, None);
        write_vlan(&mut s, 0x1000, Some(0x1000));
        assert_eq!(s, ",vlan_tci=0x0000/0x1fff,vlan_tci=0x1000/0x1000");
    }

    #[test]
    fn unsupported_items_are_errors() {
        let bad = e(Match::new().with(Oxm::InPhyPort(1)), vec![]);
        assert!(matches!(
            flow_line(&bad),
            Err(Error::OfctlUnsupported { .. })
        ));
        let bad = e(
            Match::new(),
            vec![Instruction::ApplyActions(vec![Action::PopPbb])],
        );
        assert_eq!(
            flow_line(&bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
            "ovs-ofctl has no syntax for action pop_pbb"
        );
    }

    #[test]
    fn table_file_has_header_and_lines() {
        let s = table_file(&["switch j0".to_owned()], [&e(Match::new(), vec![])]);
        assert_eq!(
            s.ok().as_deref(),
            Some("# switch j0\ncookie=0x1000000000000000, table=0, priority=7 actions=drop\n")
        );
    }
}
