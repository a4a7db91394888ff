//! OXM match fields in a normal form: `(field, value, mask)` with value and mask as `u128`
//! (every `OFPXMC_OPENFLOW_BASIC` field fits; OpenFlow 1.3.5 §7.2.3.7), which makes matching,
//! overlap and subsumption one formula each.

use std::fmt;

use flowfall_ofp::{Match, Oxm};

use crate::error::Error;

/// An `OFPXMC_OPENFLOW_BASIC` field (OpenFlow 1.3.5 §7.2.3.7, `oxm_ofb_match_fields`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // The variants are the spec's field names.
pub enum Field {
    InPort,
    InPhyPort,
    Metadata,
    EthDst,
    EthSrc,
    EthType,
    VlanVid,
    VlanPcp,
    IpDscp,
    IpEcn,
    IpProto,
    Ipv4Src,
    Ipv4Dst,
    TcpSrc,
    TcpDst,
    UdpSrc,
    UdpDst,
    SctpSrc,
    SctpDst,
    Icmpv4Type,
    Icmpv4Code,
    ArpOp,
    ArpSpa,
    ArpTpa,
    ArpSha,
    ArpTha,
    Ipv6Src,
    Ipv6Dst,
    Ipv6Flabel,
    Icmpv6Type,
    Icmpv6Code,
    Ipv6NdTarget,
    Ipv6NdSll,
    Ipv6NdTll,
    MplsLabel,
    MplsTc,
    MplsBos,
    PbbIsid,
    TunnelId,
    Ipv6Exthdr,
}

impl Field {
    /// Width in bits (§7.2.3.7, table 11).
    pub const fn width(self) -> u32 {
        match self {
            Field::InPort | Field::InPhyPort => 32,
            Field::Metadata | Field::TunnelId => 64,
            Field::EthDst | Field::EthSrc | Field::ArpSha | Field::ArpTha => 48,
            Field::Ipv6NdSll | Field::Ipv6NdTll => 48,
            Field::EthType | Field::ArpOp => 16,
            Field::TcpSrc | Field::TcpDst | Field::UdpSrc | Field::UdpDst => 16,
            Field::SctpSrc | Field::SctpDst => 16,
            Field::VlanVid => 13,
            Field::VlanPcp | Field::MplsTc => 3,
            Field::IpDscp => 6,
            Field::IpEcn => 2,
            Field::MplsBos => 1,
            Field::IpProto | Field::Icmpv4Type | Field::Icmpv4Code => 8,
            Field::Icmpv6Type | Field::Icmpv6Code => 8,
            Field::Ipv4Src | Field::Ipv4Dst | Field::ArpSpa | Field::ArpTpa => 32,
            Field::Ipv6Src | Field::Ipv6Dst | Field::Ipv6NdTarget => 128,
            Field::Ipv6Flabel | Field::MplsLabel => 20,
            Field::PbbIsid => 24,
            Field::Ipv6Exthdr => 9,
        }
    }

    /// All ones over the field's width.
    pub const fn full_mask(self) -> u128 {
        let w = self.width();
        if w >= 128 {
            u128::MAX
        } else {
            (1u128 << w) - 1
        }
    }

    /// The field's OXM name (`OXM_OF_` suffix, lower case).
    pub const fn name(self) -> &'static str {
        match self {
            Field::InPort => "in_port",
            Field::InPhyPort => "in_phy_port",
            Field::Metadata => "metadata",
            Field::EthDst => "eth_dst",
            Field::EthSrc => "eth_src",
            Field::EthType => "eth_type",
            Field::VlanVid => "vlan_vid",
            Field::VlanPcp => "vlan_pcp",
            Field::IpDscp => "ip_dscp",
            Field::IpEcn => "ip_ecn",
            Field::IpProto => "ip_proto",
            Field::Ipv4Src => "ipv4_src",
            Field::Ipv4Dst => "ipv4_dst",
            Field::TcpSrc => "tcp_src",
            Field::TcpDst => "tcp_dst",
            Field::UdpSrc => "udp_src",
            Field::UdpDst => "udp_dst",
            Field::SctpSrc => "sctp_src",
            Field::SctpDst => "sctp_dst",
            Field::Icmpv4Type => "icmpv4_type",
            Field::Icmpv4Code => "icmpv4_code",
            Field::ArpOp => "arp_op",
            Field::ArpSpa => "arp_spa",
            Field::ArpTpa => "arp_tpa",
            Field::ArpSha => "arp_sha",
            Field::ArpTha => "arp_tha",
            Field::Ipv6Src => "ipv6_src",
            Field::Ipv6Dst => "ipv6_dst",
            Field::Ipv6Flabel => "ipv6_flabel",
            Field::Icmpv6Type => "icmpv6_type",
            Field::Icmpv6Code => "icmpv6_code",
            Field::Ipv6NdTarget => "ipv6_nd_target",
            Field::Ipv6NdSll => "ipv6_nd_sll",
            Field::Ipv6NdTll => "ipv6_nd_tll",
            Field::MplsLabel => "mpls_label",
            Field::MplsTc => "mpls_tc",
            Field::MplsBos => "mpls_bos",
            Field::PbbIsid => "pbb_isid",
            Field::TunnelId => "tunnel_id",
            Field::Ipv6Exthdr => "ipv6_exthdr",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One normalised match field: a packet matches when `packet_value & mask == value & mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldMatch {
    /// The field.
    pub field: Field,
    /// The value, within the field's width.
    pub value: u128,
    /// The mask: all ones over the width when the OXM had none.
    pub mask: u128,
}

impl FieldMatch {
    /// Whether `v` (a packet's value of this field) matches.
    pub const fn accepts(&self, v: u128) -> bool {
        (v ^ self.value) & self.mask == 0
    }
}

fn mac(m: flowfall_ofp::MacAddr) -> u128 {
    let b = m.octets();
    u128::from(u64::from_be_bytes([
        0, 0, b[0], b[1], b[2], b[3], b[4], b[5],
    ]))
}

/// Normalises one OXM TLV.
///
/// # Errors
/// [`Error::SimUnsupported`] for a raw (non-basic or unknown) TLV.
pub fn normalize(o: &Oxm) -> Result<FieldMatch, Error> {
    let (field, value, mask): (Field, u128, Option<u128>) = match *o {
        Oxm::InPort(p) => (Field::InPort, p.into(), None),
        Oxm::InPhyPort(p) => (Field::InPhyPort, p.into(), None),
        Oxm::Metadata(v, m) => (Field::Metadata, v.into(), m.map(u128::from)),
        Oxm::EthDst(v, m) => (Field::EthDst, mac(v), m.map(mac)),
        Oxm::EthSrc(v, m) => (Field::EthSrc, mac(v), m.map(mac)),
        Oxm::EthType(t) => (Field::EthType, t.into(), None),
        Oxm::VlanVid(v, m) => (Field::VlanVid, v.into(), m.map(u128::from)),
        Oxm::VlanPcp(p) => (Field::VlanPcp, p.into(), None),
        Oxm::IpDscp(d) => (Field::IpDscp, d.into(), None),
        Oxm::IpEcn(e) => (Field::IpEcn, e.into(), None),
        Oxm::IpProto(p) => (Field::IpProto, p.into(), None),
        Oxm::Ipv4Src(a, m) => (
            Field::Ipv4Src,
            u32::from(a).into(),
            m.map(|m| u32::from(m).into()),
        ),
        Oxm::Ipv4Dst(a, m) => (
            Field::Ipv4Dst,
            u32::from(a).into(),
            m.map(|m| u32::from(m).into()),
        ),
        Oxm::TcpSrc(p) => (Field::TcpSrc, p.into(), None),
        Oxm::TcpDst(p) => (Field::TcpDst, p.into(), None),
        Oxm::UdpSrc(p) => (Field::UdpSrc, p.into(), None),
        Oxm::UdpDst(p) => (Field::UdpDst, p.into(), None),
        Oxm::SctpSrc(p) => (Field::SctpSrc, p.into(), None),
        Oxm::SctpDst(p) => (Field::SctpDst, p.into(), None),
        Oxm::Icmpv4Type(t) => (Field::Icmpv4Type, t.into(), None),
        Oxm::Icmpv4Code(c) => (Field::Icmpv4Code, c.into(), None),
        Oxm::ArpOp(op) => (Field::ArpOp, op.into(), None),
        Oxm::ArpSpa(a, m) => (
            Field::ArpSpa,
            u32::from(a).into(),
            m.map(|m| u32::from(m).into()),
        ),
        Oxm::ArpTpa(a, m) => (
            Field::ArpTpa,
            u32::from(a).into(),
            m.map(|m| u32::from(m).into()),
        ),
        Oxm::ArpSha(v, m) => (Field::ArpSha, mac(v), m.map(mac)),
        Oxm::ArpTha(v, m) => (Field::ArpTha, mac(v), m.map(mac)),
        Oxm::Ipv6Src(a, m) => (Field::Ipv6Src, a.into(), m.map(u128::from)),
        Oxm::Ipv6Dst(a, m) => (Field::Ipv6Dst, a.into(), m.map(u128::from)),
        Oxm::Ipv6Flabel(v, m) => (Field::Ipv6Flabel, v.into(), m.map(u128::from)),
        Oxm::Icmpv6Type(t) => (Field::Icmpv6Type, t.into(), None),
        Oxm::Icmpv6Code(c) => (Field::Icmpv6Code, c.into(), None),
        Oxm::Ipv6NdTarget(a) => (Field::Ipv6NdTarget, a.into(), None),
        Oxm::Ipv6NdSll(m) => (Field::Ipv6NdSll, mac(m), None),
        Oxm::Ipv6NdTll(m) => (Field::Ipv6NdTll, mac(m), None),
        Oxm::MplsLabel(l) => (Field::MplsLabel, l.into(), None),
        Oxm::MplsTc(t) => (Field::MplsTc, t.into(), None),
        Oxm::MplsBos(b) => (Field::MplsBos, b.into(), None),
        Oxm::PbbIsid(v, m) => (Field::PbbIsid, v.into(), m.map(u128::from)),
        Oxm::TunnelId(v, m) => (Field::TunnelId, v.into(), m.map(u128::from)),
        Oxm::Ipv6Exthdr(v, m) => (Field::Ipv6Exthdr, v.into(), m.map(u128::from)),
        Oxm::Raw(ref r) => {
            return Err(Error::SimUnsupported {
                what: format!("raw OXM class {:#06x} field {}", r.class, r.field),
            });
        }
    };
    let full = field.full_mask();
    let mask = mask.map_or(full, |m| m & full);
    Ok(FieldMatch {
        field,
        value: value & mask,
        mask,
    })
}

/// Normalises a whole match, sorted by field.
///
/// # Errors
/// [`Error::SimUnsupported`] for a raw TLV; [`Error::SimDuplicateField`] when a field
/// appears twice (`OFPBMC_DUP_FIELD`, §7.4.4).
pub fn normalize_match(m: &Match) -> Result<Vec<FieldMatch>, Error> {
    let mut out = m
        .fields
        .iter()
        .map(normalize)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|f| f.field);
    if let Some(w) = out.windows(2).find(|w| w[0].field == w[1].field) {
        return Err(Error::SimDuplicateField {
            field: w[0].field.name(),
        });
    }
    Ok(out)
}

/// Whether some packet can match both (sorted, normalised) matches: every field the two share
/// agrees on the bits both masks care about. Prerequisites are not considered (a field
/// present in only one match never separates them).
pub fn overlap(a: &[FieldMatch], b: &[FieldMatch]) -> bool {
    let mut j = 0;
    for fa in a {
        while j < b.len() && b[j].field < fa.field {
            j += 1;
        }
        if let Some(fb) = b.get(j)
            && fb.field == fa.field
            && (fa.value ^ fb.value) & fa.mask & fb.mask != 0
        {
            return false;
        }
    }
    true
}

/// Whether `general` covers `specific`: every packet matching `specific` matches `general`
/// (the selection rule of non-strict modify and delete, §6.4).
pub fn covers(general: &[FieldMatch], specific: &[FieldMatch]) -> bool {
    general.iter().all(|g| {
        specific.iter().any(|s| {
            s.field == g.field && g.mask & !s.mask == 0 && (g.value ^ s.value) & g.mask == 0
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn m(fields: Vec<Oxm>) -> Vec<FieldMatch> {
        normalize_match(&Match { fields }).unwrap_or_default()
    }

    #[test]
    fn masks_default_to_full_width_and_clear_value_bits() {
        let f = normalize(&Oxm::Ipv4Src(
            Ipv4Addr::new(10, 1, 2, 3),
            Some(Ipv4Addr::new(255, 255, 0, 0)),
        ));
        let f = f.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f.value, f.mask), (0x0a01_0000, 0xffff_0000));
        let f = normalize(&Oxm::IpDscp(0xff)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f.value, f.mask), (0x3f, 0x3f));
        assert!(f.accepts(0x3f) && !f.accepts(0x3e));
    }

    #[test]
    fn overlap_and_cover() {
        let net = |a: [u8; 4], len: u32| {
            Oxm::Ipv4Src(
                a.into(),
                Some(Ipv4Addr::from(u32::MAX.checked_shl(32 - len).unwrap_or(0))),
            )
        };
        let wide = m(vec![Oxm::InPort(1), net([10, 0, 0, 0], 8)]);
        let narrow = m(vec![Oxm::InPort(1), net([10, 1, 0, 0], 16), Oxm::IpDscp(4)]);
        let other_port = m(vec![Oxm::InPort(2), net([10, 1, 0, 0], 16)]);
        let other_net = m(vec![net([11, 0, 0, 0], 8)]);
        assert!(overlap(&wide, &narrow));
        assert!(!overlap(&narrow, &other_port));
        assert!(!overlap(&wide, &other_net));
        assert!(overlap(&[], &other_net));
        assert!(covers(&wide, &narrow));
        assert!(!covers(&narrow, &wide));
        assert!(covers(&[], &wide));
    }

    #[test]
    fn duplicate_fields_are_rejected() {
        let r = normalize_match(&Match::new().with(Oxm::InPort(1)).with(Oxm::InPort(2)));
        assert!(matches!(
            r,
            Err(Error::SimDuplicateField { field: "in_port" })
        ));
    }
}
