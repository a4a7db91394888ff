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

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, Sink, Writer, left_word};
use std::fmt;

/// Bytes of an OXM TLV header (`oxm_class`, `oxm_field`/`oxm_hasmask`, `oxm_length`).
pub const OXM_HEADER_LEN: usize = 4;

/// Static facts about one `OFPXMC_OPENFLOW_BASIC` field (OpenFlow 1.3.5 §7.2.3.8, table 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OxmFieldInfo {
    /// `oxm_field` number (0..=39).
    pub field: u8,
    /// Name as used by the spec without the `OXM_OF_` prefix, lower case (`"ipv4_src"`).
    pub name: &'static str,
    /// Length of the value in bytes (the mask, when present, has the same length).
    pub value_len: usize,
    /// Whether the spec allows `oxm_hasmask = 1` for this field.
    pub maskable: bool,
}

/// The wire representation of an OXM value type.
trait OxmValue {
    /// The Rust value.
    type V;
    /// Its bytes on the wire (`[u8; LEN]`).
    type Bytes: AsRef<[u8]> + for<'a> TryFrom<&'a [u8]>;
    /// Bytes of the value on the wire (the mask, when present, has the same length).
    const LEN: usize = std::mem::size_of::<Self::Bytes>();
    fn from_bytes(b: Self::Bytes) -> Self::V;
    fn to_bytes(v: &Self::V) -> Result<Self::Bytes, EncodeError>;

    /// The value held in `b`, `None` unless `b` is exactly [`OxmValue::LEN`] bytes long.
    #[inline]
    fn parse(b: &[u8]) -> Option<Self::V> {
        Self::Bytes::try_from(b).ok().map(Self::from_bytes)
    }

    /// The value's wire bytes as a big-endian word, first byte in the top byte and zeros
    /// after the last; `None` when they are longer than 8 bytes or the value does not fit
    /// the field (the byte-wise encoder then reports it).
    fn word(v: &Self::V) -> Option<u64>;

    /// Appends the value's bytes.
    #[inline(always)]
    fn write(v: &Self::V, w: &mut impl Sink) -> Result<(), EncodeError> {
        w.bytes(Self::to_bytes(v)?.as_ref());
        Ok(())
    }
}

struct U8;
struct U16;
struct U24;
struct U32;
struct U64;
struct Mac;
struct V4;
struct V6;

/// Implements [`OxmValue`] for types whose wire form is `to_be_bytes`/`from_be_bytes`
/// or `octets`/`From<[u8; N]>`.
macro_rules! oxm_value {
    ($($t:ident: $v:ty, $n:literal, $from:expr, $to:expr, $word:expr;)*) => {
        $(impl OxmValue for $t {
            type V = $v;
            type Bytes = [u8; $n];
            #[inline]
            fn from_bytes(b: [u8; $n]) -> $v {
                $from(b)
            }
            #[inline]
            fn to_bytes(v: &$v) -> Result<[u8; $n], EncodeError> {
                Ok($to(v))
            }
            #[inline(always)]
            fn word(v: &$v) -> Option<u64> {
                $word(v)
            }
        })*
    };
}

oxm_value! {
    U8: u8, 1, u8::from_be_bytes, |v: &u8| v.to_be_bytes(), |v: &u8| Some(u64::from(*v) << 56);
    U16: u16, 2, u16::from_be_bytes, |v: &u16| v.to_be_bytes(), |v: &u16| Some(u64::from(*v) << 48);
    U32: u32, 4, u32::from_be_bytes, |v: &u32| v.to_be_bytes(), |v: &u32| Some(u64::from(*v) << 32);
    U64: u64, 8, u64::from_be_bytes, |v: &u64| v.to_be_bytes(), |v: &u64| Some(*v);
    Mac: MacAddr, 6, MacAddr, |v: &MacAddr| v.0, |v: &MacAddr| {
        let [a, b, c, d, e, f] = v.0;
        Some(u64::from_be_bytes([a, b, c, d, e, f, 0, 0]))
    };
    V4: Ipv4Addr, 4, Ipv4Addr::from, Ipv4Addr::octets,
        |v: &Ipv4Addr| Some(u64::from(v.to_bits()) << 32);
    V6: Ipv6Addr, 16, Ipv6Addr::from, Ipv6Addr::octets, |_: &Ipv6Addr| None;
}

impl OxmValue for U24 {
    type V = u32;
    type Bytes = [u8; 3];
    #[inline]
    fn from_bytes([a, b, c]: [u8; 3]) -> u32 {
        u32::from_be_bytes([0, a, b, c])
    }
    #[inline(always)]
    fn word(v: &u32) -> Option<u64> {
        (*v <= 0x00ff_ffff).then(|| u64::from(*v) << 40)
    }
    #[inline]
    fn to_bytes(v: &u32) -> Result<[u8; 3], EncodeError> {
        match v.to_be_bytes() {
            [0, a, b, c] => Ok([a, b, c]),
            _ => Err(EncodeError::BadValue {
                field: "OXM_OF_PBB_ISID",
                reason: format!("{v:#x} does not fit the field's 24 bits"),
            }),
        }
    }
}

/// Generates the per-field tables and codecs of the typed [`Oxm`] variants from one list,
/// so field numbers, names, lengths and maskability cannot drift apart.
macro_rules! basic_fields {
    (
        plain { $($pv:ident = $pf:literal, $pn:literal, $pt:ident;)* }
        masked { $($mv:ident = $mf:literal, $mn:literal, $mt:ident;)* }
    ) => {
        /// Facts about basic field `field`, or `None` if OpenFlow 1.3.5 defines no such field.
        pub fn basic_field_info(field: u8) -> Option<OxmFieldInfo> {
            match field {
                $($pf => Some(OxmFieldInfo { field, name: $pn, value_len: $pt::LEN, maskable: false }),)*
                $($mf => Some(OxmFieldInfo { field, name: $mn, value_len: $mt::LEN, maskable: true }),)*
                _ => None,
            }
        }

        impl Oxm {
            /// The `oxm_field` number of a typed (`OFPXMC_OPENFLOW_BASIC`) variant, `None`
            /// for [`Oxm::Raw`].
            #[inline]
            pub fn basic_field(&self) -> Option<u8> {
                match self {
                    $(Oxm::$pv(_) => Some($pf),)*
                    $(Oxm::$mv(..) => Some($mf),)*
                    Oxm::Raw(_) => None,
                }
            }

            /// Whether this TLV carries a mask (`oxm_hasmask`).
            #[inline]
            pub fn has_mask(&self) -> bool {
                match self {
                    $(Oxm::$pv(_) => false,)*
                    $(Oxm::$mv(_, m) => m.is_some(),)*
                    Oxm::Raw(raw) => raw.has_mask,
                }
            }

            /// `oxm_length`: bytes of payload after the 4-byte header.
            #[inline]
            pub fn payload_len(&self) -> usize {
                match self {
                    $(Oxm::$pv(_) => $pt::LEN,)*
                    $(Oxm::$mv(_, None) => $mt::LEN,)*
                    $(Oxm::$mv(_, Some(_)) => 2 * $mt::LEN,)*
                    Oxm::Raw(raw) => raw.payload.len(),
                }
            }

            /// Decodes the payload of basic field `field` (`start` is the TLV's offset).
            /// `Ok(None)` for a field this crate has no variant for and for a mask on a
            /// field that allows none; a typed field with the wrong `oxm_length` is an
            /// error.
            #[inline]
            fn decode_basic(
                field: u8,
                has_mask: bool,
                payload: &[u8],
                start: usize,
            ) -> Result<Option<Oxm>, DecodeError> {
                let wrong_len = |name, value_len| {
                    let want = if has_mask { 2 * value_len } else { value_len };
                    DecodeError::bad_length(name, start, format_args!("== {want}"), payload.len())
                };
                Ok(Some(match field {
                    $($pf if !has_mask => match $pt::parse(payload) {
                        Some(v) => Oxm::$pv(v),
                        None => return Err(wrong_len($pn, $pt::LEN)),
                    },)*
                    $($mf => {
                        let value_mask = if has_mask {
                            payload.split_at_checked($mt::LEN).and_then(|(v, m)| {
                                Some(($mt::parse(v)?, Some($mt::parse(m)?)))
                            })
                        } else {
                            $mt::parse(payload).map(|v| (v, None))
                        };
                        match value_mask {
                            Some((v, m)) => Oxm::$mv(v, m),
                            None => return Err(wrong_len($mn, $mt::LEN)),
                        }
                    })*
                    _ => return Ok(None),
                }))
            }

            /// Writes a typed variant (header, value and mask) with one append for the
            /// header; `false` (and nothing written) for [`Oxm::Raw`].
            #[inline]
            fn encode_typed(&self, w: &mut impl Sink) -> Result<bool, EncodeError> {
                match self {
                    $(Oxm::$pv(v) => {
                        w.u32(basic_header($pf, false, $pt::LEN));
                        $pt::write(v, w)?;
                    })*
                    $(Oxm::$mv(v, None) => {
                        w.u32(basic_header($mf, false, $mt::LEN));
                        $mt::write(v, w)?;
                    })*
                    $(Oxm::$mv(v, Some(m)) => {
                        w.u32(basic_header($mf, true, 2 * $mt::LEN));
                        $mt::write(v, w)?;
                        $mt::write(m, w)?;
                    })*
                    Oxm::Raw(_) => return Ok(false),
                }
                Ok(true)
            }

            /// A typed TLV whose payload (value and mask) is at most 8 bytes, as its
            /// header, its payload as a big-endian word (first byte on top, zeros after
            /// the last) and the payload's length; `None` for longer payloads, for
            /// [`Oxm::Raw`] and for values the byte-wise encoder refuses. It lets the
            /// encoders write such a TLV, the common case, as two stores.
            #[inline(always)]
            pub(crate) fn short_image(&self) -> Option<(u32, u64, usize)> {
                Some(match self {
                    $(Oxm::$pv(v) => (basic_header($pf, false, $pt::LEN), $pt::word(v)?, $pt::LEN),)*
                    $(Oxm::$mv(v, None) => (basic_header($mf, false, $mt::LEN), $mt::word(v)?, $mt::LEN),)*
                    $(Oxm::$mv(v, Some(m)) => {
                        if 2 * $mt::LEN > 8 {
                            return None;
                        }
                        let mask = $mt::word(m)?.checked_shr(8 * $mt::LEN as u32).unwrap_or(0);
                        (basic_header($mf, true, 2 * $mt::LEN), $mt::word(v)? | mask, 2 * $mt::LEN)
                    })*
                    Oxm::Raw(raw) => return raw.view().short_image(),
                })
            }
        }
    };
}

/// The 32-bit header of basic field `field`: class `OFPXMC_OPENFLOW_BASIC`, the field
/// shifted left of `oxm_hasmask`, and `oxm_length` = `len` (at most 32 for basic fields).
const fn basic_header(field: u8, has_mask: bool, len: usize) -> u32 {
    (OFPXMC_OPENFLOW_BASIC as u32) << 16
        | (field as u32) << 9
        | (has_mask as u32) << 8
        | (len as u32 & 0xff)
}

basic_fields! {
    plain {
        InPort = 0, "in_port", U32;
        InPhyPort = 1, "in_phy_port", U32;
        EthType = 5, "eth_type", U16;
        VlanPcp = 7, "vlan_pcp", U8;
        IpDscp = 8, "ip_dscp", U8;
        IpEcn = 9, "ip_ecn", U8;
        IpProto = 10, "ip_proto", U8;
        TcpSrc = 13, "tcp_src", U16;
        TcpDst = 14, "tcp_dst", U16;
        UdpSrc = 15, "udp_src", U16;
        UdpDst = 16, "udp_dst", U16;
        SctpSrc = 17, "sctp_src", U16;
        SctpDst = 18, "sctp_dst", U16;
        Icmpv4Type = 19, "icmpv4_type", U8;
        Icmpv4Code = 20, "icmpv4_code", U8;
        ArpOp = 21, "arp_op", U16;
        Icmpv6Type = 29, "icmpv6_type", U8;
        Icmpv6Code = 30, "icmpv6_code", U8;
        Ipv6NdTarget = 31, "ipv6_nd_target", V6;
        Ipv6NdSll = 32, "ipv6_nd_sll", Mac;
        Ipv6NdTll = 33, "ipv6_nd_tll", Mac;
        MplsLabel = 34, "mpls_label", U32;
        MplsTc = 35, "mpls_tc", U8;
        MplsBos = 36, "mpls_bos", U8;
    }
    masked {
        Metadata = 2, "metadata", U64;
        EthDst = 3, "eth_dst", Mac;
        EthSrc = 4, "eth_src", Mac;
        VlanVid = 6, "vlan_vid", U16;
        Ipv4Src = 11, "ipv4_src", V4;
        Ipv4Dst = 12, "ipv4_dst", V4;
        ArpSpa = 22, "arp_spa", V4;
        ArpTpa = 23, "arp_tpa", V4;
        ArpSha = 24, "arp_sha", Mac;
        ArpTha = 25, "arp_tha", Mac;
        Ipv6Src = 26, "ipv6_src", V6;
        Ipv6Dst = 27, "ipv6_dst", V6;
        Ipv6Flabel = 28, "ipv6_flabel", U32;
        PbbIsid = 37, "pbb_isid", U24;
        TunnelId = 38, "tunnel_id", U64;
        Ipv6Exthdr = 39, "ipv6_exthdr", U16;
    }
}

impl Oxm {
    /// `oxm_class`.
    #[inline]
    pub fn class(&self) -> u16 {
        match self {
            Oxm::Raw(raw) => raw.class,
            _ => OFPXMC_OPENFLOW_BASIC,
        }
    }

    /// `oxm_field` (7 bits).
    #[inline]
    pub fn field(&self) -> u8 {
        match self {
            Oxm::Raw(raw) => raw.field,
            typed => typed.basic_field().unwrap_or_default(),
        }
    }

    /// Bytes this TLV occupies on the wire (header included).
    #[inline]
    pub fn encoded_len(&self) -> usize {
        OXM_HEADER_LEN + self.payload_len()
    }

    /// The field's name: the spec's name for basic fields (`"ipv4_src"`), otherwise a
    /// description of the class (`"nxm_1"`, `"experimenter"`, `"basic"`, `"class"`).
    pub fn name(&self) -> &'static str {
        match self {
            Oxm::Raw(raw) => match raw.class {
                OFPXMC_OPENFLOW_BASIC => {
                    basic_field_info(raw.field).map_or("basic", |info| info.name)
                }
                OFPXMC_NXM_0 => "nxm_0",
                OFPXMC_NXM_1 => "nxm_1",
                OFPXMC_EXPERIMENTER => "experimenter",
                _ => "class",
            },
            typed => basic_field_info(typed.field()).map_or("basic", |info| info.name),
        }
    }

    /// For experimenter-class TLVs (class 0xffff) with at least 4 payload bytes, the
    /// experimenter id that starts the payload.
    pub fn experimenter(&self) -> Option<u32> {
        match self {
            Oxm::Raw(raw) if raw.class == OFPXMC_EXPERIMENTER => raw
                .payload
                .get(..4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            _ => None,
        }
    }

    /// Encodes this TLV (header and payload).
    ///
    /// An [`Oxm::Raw`] of class `OFPXMC_OPENFLOW_BASIC` naming a field this crate types
    /// (without a mask, or with one the field allows) is refused: it would not decode
    /// back as raw (use the typed variant).
    #[inline]
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        if let Some((header, payload, len)) = self.short_image() {
            w.header_and_word(header, payload, len);
            return Ok(());
        }
        match self {
            Oxm::Raw(raw) => raw.view().encode(w),
            typed => typed.encode_typed(w).map(|_| ()),
        }
    }

    /// The payload as (value, mask) byte strings, when this TLV is masked and its payload
    /// splits evenly (used by `validate` to find value bits outside the mask).
    pub(crate) fn value_and_mask(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        if !self.has_mask() {
            return None;
        }
        let mut buf = Vec::with_capacity(self.encoded_len());
        self.encode(&mut Writer::new(&mut buf)).ok()?;
        let payload = buf.get(OXM_HEADER_LEN..)?;
        if payload.len() % 2 != 0 {
            return None;
        }
        let (v, m) = payload.split_at(payload.len() / 2);
        Some((v.to_vec(), m.to_vec()))
    }
}

impl RawOxm {
    /// The borrowed form of this TLV (nothing is copied).
    #[inline]
    pub fn view(&self) -> RawOxmRef<'_> {
        RawOxmRef {
            class: self.class,
            field: self.field,
            has_mask: self.has_mask,
            payload: &self.payload,
        }
    }
}

/// An OXM TLV borrowed from a received message: [`Oxm`] without the copy of a raw TLV's
/// payload. Produced by [`crate::flow_match::MatchRef::iter`] and by set-field actions of
/// [`crate::action::ActionRef`]; [`OxmRef::into_owned`] gives the [`Oxm`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OxmRef<'a> {
    /// A typed `OFPXMC_OPENFLOW_BASIC` field (never [`Oxm::Raw`]: a typed variant holds no
    /// heap data).
    Typed(Oxm),
    /// Any other TLV (what [`Oxm::Raw`] holds), its payload borrowed.
    Raw(RawOxmRef<'a>),
}

/// [`RawOxm`] with its payload borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawOxmRef<'a> {
    /// `oxm_class`.
    pub class: u16,
    /// `oxm_field` (7 bits).
    pub field: u8,
    /// `oxm_hasmask`.
    pub has_mask: bool,
    /// The TLV payload after the 4-byte header (`oxm_length` bytes).
    pub payload: &'a [u8],
}

impl<'a> OxmRef<'a> {
    /// The owned form (copies a raw TLV's payload).
    #[inline]
    pub fn into_owned(self) -> Oxm {
        match self {
            OxmRef::Typed(oxm) => oxm,
            OxmRef::Raw(raw) => Oxm::Raw(raw.into_owned()),
        }
    }

    /// Bytes this TLV occupies on the wire (header included).
    #[inline]
    pub fn encoded_len(&self) -> usize {
        match self {
            OxmRef::Typed(oxm) => oxm.encoded_len(),
            OxmRef::Raw(raw) => OXM_HEADER_LEN + raw.payload.len(),
        }
    }

    /// Decodes one OXM TLV (§7.2.3.2) at the cursor. This is the crate's one OXM parser:
    /// [`crate::Match`], the set-field action and their borrowed views all use it.
    ///
    /// A basic field with the wrong `oxm_length` is a [`DecodeError::BadLength`]. A basic
    /// field with `oxm_hasmask` set although the spec does not allow a mask, an unknown
    /// basic field, and every other class stay raw (and re-encode identically; `validate`
    /// flags the unmaskable case as `OFPBMC_BAD_MASK`).
    #[inline(always)]
    pub(crate) fn parse(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let start = r.offset();
        let class = r.u16("oxm_class")?;
        let fh = r.u8("oxm_field")?;
        let len = usize::from(r.u8("oxm_length")?);
        let field = fh >> 1;
        let has_mask = fh & 1 == 1;
        let payload = r.bytes("oxm payload", len)?;
        if class == OFPXMC_OPENFLOW_BASIC {
            if let Some(oxm) = Oxm::decode_basic(field, has_mask, payload, start)? {
                return Ok(OxmRef::Typed(oxm));
            }
        }
        Ok(OxmRef::Raw(RawOxmRef {
            class,
            field,
            has_mask,
            payload,
        }))
    }

    /// Encodes this TLV, as [`Oxm`]'s encoder does.
    #[inline]
    pub(crate) fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        match self {
            OxmRef::Typed(oxm) => oxm.encode(w),
            OxmRef::Raw(raw) => raw.encode(w),
        }
    }
}

impl RawOxmRef<'_> {
    /// The owned form (copies the payload).
    #[inline]
    pub fn into_owned(self) -> RawOxm {
        RawOxm {
            class: self.class,
            field: self.field,
            has_mask: self.has_mask,
            payload: self.payload.to_vec(),
        }
    }

    /// Encodes the TLV byte for byte; see [`Oxm`]'s encoder for what is refused.
    #[inline(always)]
    fn encode(&self, w: &mut impl Sink) -> Result<(), EncodeError> {
        w.u32(self.header()?);
        w.bytes(self.payload);
        Ok(())
    }

    /// The TLV's 32-bit header, after the checks of [`Oxm`]'s encoder: a basic-class
    /// field this crate types (without a mask, or with one the field allows) would not
    /// decode back as raw, `oxm_field` has 7 bits and `oxm_length` 8.
    #[inline(always)]
    fn header(&self) -> Result<u32, EncodeError> {
        if self.class == OFPXMC_OPENFLOW_BASIC {
            if let Some(info) = basic_field_info(self.field) {
                if !self.has_mask || info.maskable {
                    return Err(EncodeError::BadValue {
                        field: "oxm_field",
                        reason: format!(
                            "basic field {} ({}) has a typed Oxm variant; a raw TLV \
                             would not decode back to Oxm::Raw",
                            self.field, info.name
                        ),
                    });
                }
            }
        }
        if self.field > 0x7f {
            return Err(EncodeError::BadValue {
                field: "oxm_field",
                reason: format!("{} does not fit 7 bits", self.field),
            });
        }
        let len = self.payload.len();
        let len8 = u8::try_from(len).map_err(|_| EncodeError::TooLong {
            what: "OXM payload",
            len,
            max: u8::MAX as usize,
        })?;
        Ok(u32::from(self.class) << 16
            | u32::from(self.field << 1 | u8::from(self.has_mask)) << 8
            | u32::from(len8))
    }

    /// [`Oxm::short_image`] of a raw TLV: `None` when the payload is longer than 8 bytes or
    /// the encoder refuses the TLV.
    #[inline(always)]
    fn short_image(&self) -> Option<(u32, u64, usize)> {
        let word = left_word(self.payload)?;
        Some((self.header().ok()?, word, self.payload.len()))
    }
}

/// How many OXM TLVs whose payload lies within `b` follow one another from its start: the
/// capacity to give the `Vec` a match is decoded into. Never more than `b.len() / 4`.
#[inline]
pub(crate) fn count(b: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = b;
    while let Some((&[_, _, _, len], after)) = rest.split_first_chunk::<OXM_HEADER_LEN>() {
        match after.get(usize::from(len)..) {
            Some(next) => rest = next,
            None => break,
        }
        n += 1;
    }
    n
}

/// Writes `v` or `v/mask` the way `ovs-ofctl` shows match fields.
fn show<T: fmt::Display, M: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    v: T,
    m: Option<M>,
) -> fmt::Result {
    match m {
        Some(m) => write!(f, "{name}={v}/{m}"),
        None => write!(f, "{name}={v}"),
    }
}

/// Hexadecimal display wrapper.
struct Hex<T>(T);

impl<T: fmt::LowerHex> fmt::Display for Hex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// Lower-case hex of a byte string.
pub(crate) fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl fmt::Display for Oxm {
    /// `name=value[/mask]`; raw TLVs show as `class:field[/m]=0xPAYLOAD`, e.g.
    /// `nxm_1:31=0x0a000001`, `experimenter:0=0x4f4e46000a0001`, `0x1234:5=0x01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.name();
        match self {
            Oxm::InPort(v) | Oxm::InPhyPort(v) | Oxm::MplsLabel(v) => write!(f, "{n}={v}"),
            Oxm::EthType(v) => write!(f, "{n}={v:#06x}"),
            Oxm::TcpSrc(v)
            | Oxm::TcpDst(v)
            | Oxm::UdpSrc(v)
            | Oxm::UdpDst(v)
            | Oxm::SctpSrc(v)
            | Oxm::SctpDst(v)
            | Oxm::ArpOp(v) => write!(f, "{n}={v}"),
            Oxm::VlanPcp(v)
            | Oxm::IpDscp(v)
            | Oxm::IpEcn(v)
            | Oxm::IpProto(v)
            | Oxm::Icmpv4Type(v)
            | Oxm::Icmpv4Code(v)
            | Oxm::Icmpv6Type(v)
            | Oxm::Icmpv6Code(v)
            | Oxm::MplsTc(v)
            | Oxm::MplsBos(v) => write!(f, "{n}={v}"),
            Oxm::Ipv6NdTarget(v) => write!(f, "{n}={v}"),
            Oxm::Ipv6NdSll(v) | Oxm::Ipv6NdTll(v) => write!(f, "{n}={v}"),
            Oxm::Metadata(v, m) | Oxm::TunnelId(v, m) => show(f, n, Hex(*v), m.map(Hex)),
            Oxm::EthDst(v, m) | Oxm::EthSrc(v, m) | Oxm::ArpSha(v, m) | Oxm::ArpTha(v, m) => {
                show(f, n, v, m.as_ref())
            }
            Oxm::VlanVid(v, m) | Oxm::Ipv6Exthdr(v, m) => show(f, n, Hex(*v), m.map(Hex)),
            Oxm::Ipv4Src(v, m) | Oxm::Ipv4Dst(v, m) | Oxm::ArpSpa(v, m) | Oxm::ArpTpa(v, m) => {
                show(f, n, v, m.as_ref())
            }
            Oxm::Ipv6Src(v, m) | Oxm::Ipv6Dst(v, m) => show(f, n, v, m.as_ref()),
            Oxm::Ipv6Flabel(v, m) | Oxm::PbbIsid(v, m) => show(f, n, Hex(*v), m.map(Hex)),
            Oxm::Raw(raw) => {
                match raw.class {
                    OFPXMC_OPENFLOW_BASIC | OFPXMC_NXM_0 | OFPXMC_NXM_1 | OFPXMC_EXPERIMENTER => {
                        f.write_str(n)?
                    }
                    class => write!(f, "{class:#06x}")?,
                }
                write!(
                    f,
                    ":{}{}=0x{}",
                    raw.field,
                    if raw.has_mask { "/m" } else { "" },
                    hex_bytes(&raw.payload)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::{arb_oxm, arb_raw_oxm};
    use proptest::prelude::*;

    /// Decodes one OXM.
    fn dec_one(r: &mut Reader<'_>) -> Result<Oxm, DecodeError> {
        OxmRef::parse(r).map(OxmRef::into_owned)
    }

    fn dec(bytes: &[u8]) -> Result<Oxm, DecodeError> {
        let mut r = Reader::with_base(bytes, 100);
        let oxm = dec_one(&mut r)?;
        assert!(r.is_empty(), "trailing bytes");
        Ok(oxm)
    }

    fn enc(oxm: &Oxm) -> Vec<u8> {
        let mut v = Vec::new();
        oxm.encode(&mut Writer::new(&mut v)).unwrap();
        v
    }

    #[test]
    fn every_basic_field_has_a_table_entry() {
        let fields: Vec<u8> = (0..=127)
            .filter(|f| basic_field_info(*f).is_some())
            .collect();
        assert_eq!(fields, (0..40).collect::<Vec<u8>>());
        let maskable = (0..40)
            .filter(|f| basic_field_info(*f).is_some_and(|i| i.maskable))
            .count();
        assert_eq!(maskable, 16);
    }

    #[test]
    fn golden_in_port_and_masked_ipv4() {
        // OXM_OF_IN_PORT = 6 (spec §7.2.3.8 header 0x80000004).
        let b = [0x80, 0x00, 0x00, 0x04, 0, 0, 0, 6];
        assert_eq!(dec(&b), Ok(Oxm::InPort(6)));
        assert_eq!(enc(&Oxm::InPort(6)), b);
        // OXM_OF_IPV4_SRC_W 10.0.0.0/255.0.0.0: field 11, hasmask → 0x17, len 8.
        let b = [0x80, 0x00, 0x17, 0x08, 10, 0, 0, 0, 255, 0, 0, 0];
        let oxm = Oxm::Ipv4Src(
            Ipv4Addr::new(10, 0, 0, 0),
            Some(Ipv4Addr::new(255, 0, 0, 0)),
        );
        assert_eq!(dec(&b), Ok(oxm.clone()));
        assert_eq!(enc(&oxm), b);
        assert_eq!(oxm.to_string(), "ipv4_src=10.0.0.0/255.0.0.0");
    }

    #[test]
    fn pbb_isid_is_three_bytes() {
        let b = [0x80, 0x00, 0x4a, 0x03, 0xab, 0xcd, 0xef];
        assert_eq!(dec(&b), Ok(Oxm::PbbIsid(0xabcdef, None)));
        assert_eq!(enc(&Oxm::PbbIsid(0xabcdef, None)), b);
        let mut v = Vec::new();
        let e = Oxm::PbbIsid(0x0100_0000, None).encode(&mut Writer::new(&mut v));
        assert!(matches!(e, Err(EncodeError::BadValue { .. })));
    }

    #[test]
    fn wrong_length_of_known_field_is_bad_length() {
        // in_port with oxm_length 2.
        let b = [0x80, 0x00, 0x00, 0x02, 0, 6];
        assert_eq!(
            dec(&b),
            Err(DecodeError::BadLength {
                what: "in_port",
                offset: 100,
                expected: "== 4".into(),
                found: 2
            })
        );
        // masked eth_dst must carry 12 bytes.
        let b = [0x80, 0x00, 0x07, 0x06, 1, 2, 3, 4, 5, 6];
        assert!(matches!(
            dec(&b),
            Err(DecodeError::BadLength {
                what: "eth_dst",
                ..
            })
        ));
    }

    #[test]
    fn truncated_payload_reports_offset() {
        let b = [0x80, 0x00, 0x00, 0x04, 0, 6];
        assert_eq!(
            dec(&b),
            Err(DecodeError::Truncated {
                what: "oxm payload",
                offset: 104,
                needed: 4,
                available: 2
            })
        );
        assert!(matches!(
            dec(&[0x80, 0x00]),
            Err(DecodeError::Truncated { offset: 102, .. })
        ));
    }

    #[test]
    fn mask_on_unmaskable_field_stays_raw() {
        // in_port with hasmask and 8 bytes.
        let b = [0x80, 0x00, 0x01, 0x08, 0, 0, 0, 6, 0, 0, 0, 0xff];
        let oxm = dec(&b).unwrap();
        assert_eq!(
            oxm,
            Oxm::Raw(RawOxm {
                class: OFPXMC_OPENFLOW_BASIC,
                field: 0,
                has_mask: true,
                payload: vec![0, 0, 0, 6, 0, 0, 0, 0xff]
            })
        );
        assert_eq!(enc(&oxm), b);
        assert_eq!(oxm.name(), "in_port");
    }

    #[test]
    fn nicira_and_experimenter_stay_raw() {
        // NXM_NX_TUN_IPV4_SRC (class 1, field 31).
        let b = [0x00, 0x01, 0x3e, 0x04, 1, 2, 3, 4];
        let oxm = dec(&b).unwrap();
        assert_eq!(oxm.class(), OFPXMC_NXM_1);
        assert_eq!(oxm.to_string(), "nxm_1:31=0x01020304");
        assert_eq!(enc(&oxm), b);
        // ONF pbb_uca from the Ryu vectors.
        let b = [
            0xff, 0xff, 0x00, 0x07, 0x4f, 0x4e, 0x46, 0x00, 0x0a, 0x00, 0x01,
        ];
        let oxm = dec(&b).unwrap();
        assert_eq!(oxm.experimenter(), Some(0x4f4e_4600));
        assert_eq!(enc(&oxm), b);
    }

    #[test]
    fn raw_spelling_of_a_typed_field_is_an_encode_error() {
        let raw = |has_mask| {
            Oxm::Raw(RawOxm {
                class: OFPXMC_OPENFLOW_BASIC,
                field: 3,
                has_mask,
                payload: vec![1],
            })
        };
        let mut v = Vec::new();
        assert!(matches!(
            raw(false).encode(&mut Writer::new(&mut v)),
            Err(EncodeError::BadValue {
                field: "oxm_field",
                ..
            })
        ));
        assert!(raw(true).encode(&mut Writer::new(&mut v)).is_err());
    }

    #[test]
    fn oversized_raw_payload_is_an_encode_error() {
        let oxm = Oxm::Raw(RawOxm {
            class: 0xffff,
            field: 1,
            has_mask: false,
            payload: vec![0; 256],
        });
        let mut v = Vec::new();
        assert!(matches!(
            oxm.encode(&mut Writer::new(&mut v)),
            Err(EncodeError::TooLong { .. })
        ));
    }

    #[test]
    fn count_walks_oxm_headers() {
        let mut b = vec![0x80, 0x00, 0x00, 0x04, 0, 0, 0, 6]; // in_port=6
        b.extend([0x80, 0x00, 0x14, 0x01, 6]); // ip_proto=6
        assert_eq!(count(&b), 2);
        b.extend([0x80, 0x00, 0x00, 0x04, 0, 0]); // cut short
        assert_eq!(count(&b), 2);
        assert_eq!(count(&[0xff, 0xff, 0x00, 0xff]), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn count_never_exceeds_what_the_bytes_hold(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert!(count(&b) <= b.len() / OXM_HEADER_LEN);
        }

        #[test]
        fn encode_decode_round_trip(oxm in arb_oxm()) {
            let bytes = enc(&oxm);
            prop_assert_eq!(bytes.len(), oxm.encoded_len());
            prop_assert_eq!(dec(&bytes), Ok(oxm));
        }

        #[test]
        fn short_images_are_the_byte_wise_encoding(
            oxm in prop_oneof![arb_oxm(), arb_raw_oxm()],
        ) {
            let mut byte_wise = Vec::new();
            let mut w = Writer::new(&mut byte_wise);
            let refused = match &oxm {
                Oxm::Raw(raw) => raw.view().encode(&mut w).is_err(),
                typed => typed.encode_typed(&mut w).is_err(),
            };
            match oxm.short_image() {
                Some((header, word, len)) => {
                    prop_assert!(!refused);
                    prop_assert!(len <= 8);
                    let mut image = header.to_be_bytes().to_vec();
                    image.extend_from_slice(&word.to_be_bytes());
                    prop_assert!(image[4 + len..].iter().all(|&b| b == 0));
                    image.truncate(4 + len);
                    prop_assert_eq!(image, byte_wise);
                }
                // Longer than 8 bytes of payload, or refused by both.
                None => prop_assert!(refused || byte_wise.len() > 12),
            }
        }

        #[test]
        fn raw_bytes_re_encode_identically(oxm in arb_raw_oxm()) {
            let bytes = enc(&oxm);
            let back = dec(&bytes).unwrap();
            prop_assert_eq!(enc(&back), bytes);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = Reader::new(&bytes);
            if let Ok(oxm) = dec_one(&mut r) {
                let used = bytes.len() - r.remaining();
                prop_assert_eq!(oxm.encoded_len(), used);
            }
        }
    }
}
