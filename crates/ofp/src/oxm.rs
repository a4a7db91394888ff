//! OpenFlow Extensible Match (OXM) TLVs, OpenFlow 1.3.5 §7.2.3.
//!
//! Each [`Oxm`] is one TLV of an [`crate::Match`] or the field of a `SET_FIELD` action.
//! The 40 fields of class `OFPXMC_OPENFLOW_BASIC` (0x8000) have typed variants; where the
//! spec allows a mask (§7.2.3.8, table 12) the variant carries `Option<mask>`. Every other
//! TLV (experimenter class 0xffff, Nicira NXM classes 0x0000/0x0001, unknown basic fields)
//! is kept as raw bytes and re-encodes byte for byte.

use crate::MacAddr;
use std::net::{Ipv4Addr, Ipv6Addr};

/// OXM class `OFPXMC_NXM_0` (Nicira extensible match, original fields).
pub const OFPXMC_NXM_0: u16 = 0x0000;
/// OXM class `OFPXMC_NXM_1` (Nicira extensible match, extended fields).
pub const OFPXMC_NXM_1: u16 = 0x0001;
/// OXM class `OFPXMC_OPENFLOW_BASIC`.
pub const OFPXMC_OPENFLOW_BASIC: u16 = 0x8000;
/// OXM class `OFPXMC_EXPERIMENTER`.
pub const OFPXMC_EXPERIMENTER: u16 = 0xffff;

/// `OFPVID_PRESENT`: set in `vlan_vid` when a VLAN tag is present (§7.2.3.8).
pub const OFPVID_PRESENT: u16 = 0x1000;
/// `OFPVID_NONE`: `vlan_vid` value meaning "no VLAN tag".
pub const OFPVID_NONE: u16 = 0x0000;

/// One OXM TLV.
///
/// Masked variants hold `(value, Option<mask>)`; `None` encodes with `oxm_hasmask = 0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Oxm {
    /// `OXM_OF_IN_PORT` (0): switch input port.
    InPort(u32),
    /// `OXM_OF_IN_PHY_PORT` (1): physical input port.
    InPhyPort(u32),
    /// `OXM_OF_METADATA` (2): metadata passed between tables, maskable.
    Metadata(u64, Option<u64>),
    /// `OXM_OF_ETH_DST` (3), maskable.
    EthDst(MacAddr, Option<MacAddr>),
    /// `OXM_OF_ETH_SRC` (4), maskable.
    EthSrc(MacAddr, Option<MacAddr>),
    /// `OXM_OF_ETH_TYPE` (5).
    EthType(u16),
    /// `OXM_OF_VLAN_VID` (6): 12-bit VID plus [`OFPVID_PRESENT`], maskable.
    VlanVid(u16, Option<u16>),
    /// `OXM_OF_VLAN_PCP` (7): 3 bits.
    VlanPcp(u8),
    /// `OXM_OF_IP_DSCP` (8): 6 bits (ToS >> 2).
    IpDscp(u8),
    /// `OXM_OF_IP_ECN` (9): 2 bits (ToS & 3).
    IpEcn(u8),
    /// `OXM_OF_IP_PROTO` (10).
    IpProto(u8),
    /// `OXM_OF_IPV4_SRC` (11), maskable.
    Ipv4Src(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_IPV4_DST` (12), maskable.
    Ipv4Dst(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_TCP_SRC` (13).
    TcpSrc(u16),
    /// `OXM_OF_TCP_DST` (14).
    TcpDst(u16),
    /// `OXM_OF_UDP_SRC` (15).
    UdpSrc(u16),
    /// `OXM_OF_UDP_DST` (16).
    UdpDst(u16),
    /// `OXM_OF_SCTP_SRC` (17).
    SctpSrc(u16),
    /// `OXM_OF_SCTP_DST` (18).
    SctpDst(u16),
    /// `OXM_OF_ICMPV4_TYPE` (19).
    Icmpv4Type(u8),
    /// `OXM_OF_ICMPV4_CODE` (20).
    Icmpv4Code(u8),
    /// `OXM_OF_ARP_OP` (21).
    ArpOp(u16),
    /// `OXM_OF_ARP_SPA` (22), maskable.
    ArpSpa(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_ARP_TPA` (23), maskable.
    ArpTpa(Ipv4Addr, Option<Ipv4Addr>),
    /// `OXM_OF_ARP_SHA` (24), maskable.
    ArpSha(MacAddr, Option<MacAddr>),
    /// `OXM_OF_ARP_THA` (25), maskable.
    ArpTha(MacAddr, Option<MacAddr>),
    /// `OXM_OF_IPV6_SRC` (26), maskable.
    Ipv6Src(Ipv6Addr, Option<Ipv6Addr>),
    /// `OXM_OF_IPV6_DST` (27), maskable.
    Ipv6Dst(Ipv6Addr, Option<Ipv6Addr>),
    /// `OXM_OF_IPV6_FLABEL` (28): 20 bits, maskable.
    Ipv6Flabel(u32, Option<u32>),
    /// `OXM_OF_ICMPV6_TYPE` (29).
    Icmpv6Type(u8),
    /// `OXM_OF_ICMPV6_CODE` (30).
    Icmpv6Code(u8),
    /// `OXM_OF_IPV6_ND_TARGET` (31).
    Ipv6NdTarget(Ipv6Addr),
    /// `OXM_OF_IPV6_ND_SLL` (32).
    Ipv6NdSll(MacAddr),
    /// `OXM_OF_IPV6_ND_TLL` (33).
    Ipv6NdTll(MacAddr),
    /// `OXM_OF_MPLS_LABEL` (34): 20 bits.
    MplsLabel(u32),
    /// `OXM_OF_MPLS_TC` (35): 3 bits.
    MplsTc(u8),
    /// `OXM_OF_MPLS_BOS` (36): 1 bit.
    MplsBos(u8),
    /// `OXM_OF_PBB_ISID` (37): 24 bits, maskable.
    PbbIsid(u32, Option<u32>),
    /// `OXM_OF_TUNNEL_ID` (38), maskable.
    TunnelId(u64, Option<u64>),
    /// `OXM_OF_IPV6_EXTHDR` (39): 9-bit pseudo-header flags, maskable.
    Ipv6Exthdr(u16, Option<u16>),
    /// Any other TLV (experimenter class, Nicira NXM, unknown basic field), kept raw.
    Raw(RawOxm),
}

/// An OXM TLV this crate has no typed variant for, kept byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RawOxm {
    /// `oxm_class` (e.g. 0xffff experimenter, 0x0001 Nicira NXM_1).
    pub class: u16,
    /// `oxm_field` (7 bits).
    pub field: u8,
    /// `oxm_hasmask`.
    pub has_mask: bool,
    /// The TLV payload after the 4-byte header (for class 0xffff this starts with the
    /// 4-byte experimenter id). Its length is `oxm_length`.
    pub payload: Vec<u8>,
}
