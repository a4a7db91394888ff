//! Meters: `OFPT_METER_MOD` (OpenFlow 1.3.5 §7.3.4.5) with its bands, and the meter
//! multipart bodies: meter statistics (§7.3.5.12), meter configuration (§7.3.5.13) and
//! meter features (§7.3.5.14).

use crate::error::{DecodeError, EncodeError};
use crate::items;
use crate::oxm::hex_bytes;
use crate::wire::{Reader, Writer};
use crate::wire_enum::wire_enum;
use std::fmt;

/// Size of a drop or DSCP-remark band, and of the fixed part of an experimenter band.
pub const OFP_METER_BAND_LEN: usize = 16;
/// Size of `ofp_meter_band_header`, the part every band shares.
pub const OFP_METER_BAND_HEADER_LEN: usize = 12;
/// Size of the fixed part of `ofp_meter_stats`.
pub const OFP_METER_STATS_LEN: usize = 40;
/// Size of `ofp_meter_band_stats`.
pub const OFP_METER_BAND_STATS_LEN: usize = 16;
/// Size of the fixed part of `ofp_meter_config`.
pub const OFP_METER_CONFIG_LEN: usize = 8;
/// Size of `ofp_meter_features`.
pub const OFP_METER_FEATURES_LEN: usize = 16;
/// Size of `ofp_meter_multipart_request`.
pub const METER_MULTIPART_REQUEST_LEN: usize = 8;

/// `OFPMBT_DROP`.
pub const OFPMBT_DROP: u16 = 1;
/// `OFPMBT_DSCP_REMARK`.
pub const OFPMBT_DSCP_REMARK: u16 = 2;
/// `OFPMBT_EXPERIMENTER`.
pub const OFPMBT_EXPERIMENTER: u16 = 0xffff;

/// Meter numbers (`ofp_meter`, §7.3.4.5).
pub mod meter_id {
    /// `OFPM_MAX`: the last usable meter.
    pub const MAX: u32 = 0xffff_0000;
    /// `OFPM_SLOWPATH`: virtual meter of the slow datapath.
    pub const SLOWPATH: u32 = 0xffff_fffd;
    /// `OFPM_CONTROLLER`: virtual meter of the controller connection.
    pub const CONTROLLER: u32 = 0xffff_fffe;
    /// `OFPM_ALL`: every meter (stats requests and delete).
    pub const ALL: u32 = 0xffff_ffff;
}

/// `ofp_meter_flags` bits (§7.3.4.5), also the meter-features `capabilities` bitmap.
pub mod meter_flags {
    /// `OFPMF_KBPS`: rates in kb/s.
    pub const KBPS: u16 = 1 << 0;
    /// `OFPMF_PKTPS`: rates in packets/s.
    pub const PKTPS: u16 = 1 << 1;
    /// `OFPMF_BURST`: use `burst_size`.
    pub const BURST: u16 = 1 << 2;
    /// `OFPMF_STATS`: collect statistics.
    pub const STATS: u16 = 1 << 3;
}

wire_enum! {
    /// `ofp_meter_mod_command` (§7.3.4.5).
    pub enum MeterModCommand: u16 {
        /// `OFPMC_ADD`: new meter.
        Add = 0 => "add",
        /// `OFPMC_MODIFY`: modify the meter.
        Modify = 1 => "modify",
        /// `OFPMC_DELETE`: delete the meter.
        Delete = 2 => "delete",
    }
}

/// A meter band (`ofp_meter_band_*`, §7.3.4.5): what to do above a rate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum MeterBand {
    /// `OFPMBT_DROP`: drop packets above `rate`.
    Drop {
        /// Rate (kb/s or packets/s per the meter's flags).
        rate: u32,
        /// Burst size.
        burst_size: u32,
    },
    /// `OFPMBT_DSCP_REMARK`: raise the drop precedence of the DSCP field.
    DscpRemark {
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Drop precedence levels to add.
        prec_level: u8,
    },
    /// `OFPMBT_EXPERIMENTER`.
    Experimenter {
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Experimenter id.
        experimenter: u32,
        /// Bytes after the 16-byte fixed part, byte for byte.
        data: Vec<u8>,
    },
    /// A band type this crate does not know, kept raw.
    Unknown {
        /// `type` field (anything but 1, 2 and 0xffff).
        band_type: u16,
        /// Rate.
        rate: u32,
        /// Burst size.
        burst_size: u32,
        /// Bytes after the 12-byte band header, byte for byte.
        data: Vec<u8>,
    },
}

impl MeterBand {
    /// The band's `type` field.
    pub fn band_type(&self) -> u16 {
        match self {
            MeterBand::Drop { .. } => OFPMBT_DROP,
            MeterBand::DscpRemark { .. } => OFPMBT_DSCP_REMARK,
            MeterBand::Experimenter { .. } => OFPMBT_EXPERIMENTER,
            MeterBand::Unknown { band_type, .. } => *band_type,
        }
    }

    /// Decode one band (its `len` field bounds it).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let offset = r.offset();
        let mut b = items::take_item(r, "ofp_meter_band", 2, OFP_METER_BAND_HEADER_LEN)?;
        let band_type = b.u16("ofp_meter_band.type")?;
        let len = usize::from(b.u16("ofp_meter_band.len")?);
        let rate = b.u32("ofp_meter_band.rate")?;
        let burst_size = b.u32("ofp_meter_band.burst_size")?;
        let bad_len = |expected: &str| DecodeError::BadLength {
            what: "ofp_meter_band",
            offset,
            expected: expected.to_string(),
            found: len,
        };
        Ok(match band_type {
            OFPMBT_DROP | OFPMBT_DSCP_REMARK if len != OFP_METER_BAND_LEN => {
                return Err(bad_len("== 16"));
            }
            OFPMBT_DROP => {
                b.skip("ofp_meter_band_drop.pad", 4)?;
                MeterBand::Drop { rate, burst_size }
            }
            OFPMBT_DSCP_REMARK => {
                let prec_level = b.u8("ofp_meter_band_dscp_remark.prec_level")?;
                b.skip("ofp_meter_band_dscp_remark.pad", 3)?;
                MeterBand::DscpRemark {
                    rate,
                    burst_size,
                    prec_level,
                }
            }
            OFPMBT_EXPERIMENTER if len < OFP_METER_BAND_LEN => return Err(bad_len(">= 16")),
            OFPMBT_EXPERIMENTER => MeterBand::Experimenter {
                rate,
                burst_size,
                experimenter: b.u32("ofp_meter_band_experimenter.experimenter")?,
                data: b.take_rest().to_vec(),
            },
            band_type => MeterBand::Unknown {
                band_type,
                rate,
                burst_size,
                data: b.take_rest().to_vec(),
            },
        })
    }

    /// The band's `(rate, burst_size)`.
    pub fn rate_and_burst(&self) -> (u32, u32) {
        match self {
            MeterBand::Drop { rate, burst_size }
            | MeterBand::DscpRemark {
                rate, burst_size, ..
            }
            | MeterBand::Experimenter {
                rate, burst_size, ..
            }
            | MeterBand::Unknown {
                rate, burst_size, ..
            } => (*rate, *burst_size),
        }
    }

    /// Encode the band, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        let (rate, burst_size) = self.rate_and_burst();
        w.u16(self.band_type());
        w.u16(0);
        w.u32(rate);
        w.u32(burst_size);
        match self {
            MeterBand::Drop { .. } => w.pad("ofp_meter_band_drop.pad", 4),
            MeterBand::DscpRemark { prec_level, .. } => {
                w.u8(*prec_level);
                w.pad("ofp_meter_band_dscp_remark.pad", 3);
            }
            MeterBand::Experimenter {
                experimenter, data, ..
            } => {
                w.u32(*experimenter);
                w.bytes(data);
            }
            MeterBand::Unknown {
                band_type, data, ..
            } => {
                items::reject_known(
                    "ofp_meter_band.type",
                    *band_type,
                    &[OFPMBT_DROP, OFPMBT_DSCP_REMARK, OFPMBT_EXPERIMENTER],
                )?;
                w.bytes(data);
            }
        }
        w.patch_len16("ofp_meter_band", start + 2, start)
    }

    fn decode_list(r: &mut Reader<'_>) -> Result<Vec<Self>, DecodeError> {
        items::list(r, "ofp_meter_band", MeterBand::decode)
    }

    fn encode_list(bands: &[Self], w: &mut Writer<'_>) -> Result<(), EncodeError> {
        items::encode_all(bands, w, MeterBand::encode)
    }
}

/// `OFPT_METER_MOD` body (`ofp_meter_mod`, §7.3.4.5): add, modify or delete a meter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterMod {
    /// What to do.
    pub command: MeterModCommand,
    /// `OFPMF_*` bits, see [`meter_flags`].
    pub flags: u16,
    /// Meter number.
    pub meter_id: u32,
    /// The bands (empty for delete).
    pub bands: Vec<MeterBand>,
}

impl MeterMod {
    /// Decode the body (after the 8-byte header).
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MeterMod {
            command: MeterModCommand::from_wire(r.u16("ofp_meter_mod.command")?),
            flags: r.u16("ofp_meter_mod.flags")?,
            meter_id: r.u32("ofp_meter_mod.meter_id")?,
            bands: MeterBand::decode_list(r)?,
        })
    }

    /// Encode the body.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u16(self.command.to_wire());
        w.u16(self.flags);
        w.u32(self.meter_id);
        MeterBand::encode_list(&self.bands, w)
    }
}

/// `ofp_meter_multipart_request` (§7.3.5.12, §7.3.5.13): the body of `OFPMP_METER` and
/// `OFPMP_METER_CONFIG` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterMultipartRequest {
    /// The meter to report, or [`meter_id::ALL`].
    pub meter_id: u32,
}

impl MeterMultipartRequest {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(
            r,
            "ofp_meter_multipart_request",
            METER_MULTIPART_REQUEST_LEN,
        )?;
        let meter_id = r.u32("ofp_meter_multipart_request.meter_id")?;
        r.skip("ofp_meter_multipart_request.pad", 4)?;
        Ok(MeterMultipartRequest { meter_id })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.meter_id);
        w.pad("ofp_meter_multipart_request.pad", 4);
    }
}

/// `ofp_meter_band_stats` (§7.3.5.12): counters of one band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterBandStats {
    /// Packets in the band.
    pub packet_band_count: u64,
    /// Bytes in the band.
    pub byte_band_count: u64,
}

/// `ofp_meter_stats` (§7.3.5.12): one entry of an `OFPMP_METER` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterStats {
    /// Meter number.
    pub meter_id: u32,
    /// Flows bound to the meter.
    pub flow_count: u32,
    /// Packets in input.
    pub packet_in_count: u64,
    /// Bytes in input.
    pub byte_in_count: u64,
    /// Time the meter has been alive, seconds part.
    pub duration_sec: u32,
    /// Time the meter has been alive beyond `duration_sec`, nanoseconds.
    pub duration_nsec: u32,
    /// One entry per band.
    pub band_stats: Vec<MeterBandStats>,
}

impl MeterStats {
    /// Decode one entry (its `len` field bounds the band stats).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut m = items::take_item(r, "ofp_meter_stats", 4, OFP_METER_STATS_LEN)?;
        let meter_id = m.u32("ofp_meter_stats.meter_id")?;
        m.skip("ofp_meter_stats.len", 2)?;
        m.skip("ofp_meter_stats.pad", 6)?;
        Ok(MeterStats {
            meter_id,
            flow_count: m.u32("ofp_meter_stats.flow_count")?,
            packet_in_count: m.u64("ofp_meter_stats.packet_in_count")?,
            byte_in_count: m.u64("ofp_meter_stats.byte_in_count")?,
            duration_sec: m.u32("ofp_meter_stats.duration_sec")?,
            duration_nsec: m.u32("ofp_meter_stats.duration_nsec")?,
            band_stats: items::list(&mut m, "ofp_meter_band_stats", |m| {
                let mut s = m.sub("ofp_meter_band_stats", OFP_METER_BAND_STATS_LEN)?;
                Ok(MeterBandStats {
                    packet_band_count: s.u64("ofp_meter_band_stats.packet_band_count")?,
                    byte_band_count: s.u64("ofp_meter_band_stats.byte_band_count")?,
                })
            })?,
        })
    }

    /// Encode the entry, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u32(self.meter_id);
        w.u16(0);
        w.pad("ofp_meter_stats.pad", 6);
        w.u32(self.flow_count);
        w.u64(self.packet_in_count);
        w.u64(self.byte_in_count);
        w.u32(self.duration_sec);
        w.u32(self.duration_nsec);
        for s in &self.band_stats {
            w.u64(s.packet_band_count);
            w.u64(s.byte_band_count);
        }
        w.patch_len16("ofp_meter_stats", start + 4, start)
    }
}

/// `ofp_meter_config` (§7.3.5.13): one entry of an `OFPMP_METER_CONFIG` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterConfig {
    /// `OFPMF_*` bits, see [`meter_flags`].
    pub flags: u16,
    /// Meter number.
    pub meter_id: u32,
    /// The bands.
    pub bands: Vec<MeterBand>,
}

impl MeterConfig {
    /// Decode one entry (its `length` field bounds the bands).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut m = items::take_item(r, "ofp_meter_config", 0, OFP_METER_CONFIG_LEN)?;
        m.skip("ofp_meter_config.length", 2)?;
        Ok(MeterConfig {
            flags: m.u16("ofp_meter_config.flags")?,
            meter_id: m.u32("ofp_meter_config.meter_id")?,
            bands: MeterBand::decode_list(&mut m)?,
        })
    }

    /// Encode the entry, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(0);
        w.u16(self.flags);
        w.u32(self.meter_id);
        MeterBand::encode_list(&self.bands, w)?;
        w.patch_len16("ofp_meter_config", start, start)
    }
}

/// `ofp_meter_features` (§7.3.5.14): the body of an `OFPMP_METER_FEATURES` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MeterFeatures {
    /// Maximum number of meters.
    pub max_meter: u32,
    /// Bitmap of supported band types (`1 << OFPMBT_*`).
    pub band_types: u32,
    /// Bitmap of supported `OFPMF_*` flags.
    pub capabilities: u32,
    /// Maximum bands per meter.
    pub max_bands: u8,
    /// Maximum colour value.
    pub max_color: u8,
}

impl MeterFeatures {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_meter_features", OFP_METER_FEATURES_LEN)?;
        let f = MeterFeatures {
            max_meter: r.u32("ofp_meter_features.max_meter")?,
            band_types: r.u32("ofp_meter_features.band_types")?,
            capabilities: r.u32("ofp_meter_features.capabilities")?,
            max_bands: r.u8("ofp_meter_features.max_bands")?,
            max_color: r.u8("ofp_meter_features.max_color")?,
        };
        r.skip("ofp_meter_features.pad", 2)?;
        Ok(f)
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.max_meter);
        w.u32(self.band_types);
        w.u32(self.capabilities);
        w.u8(self.max_bands);
        w.u8(self.max_color);
        w.pad("ofp_meter_features.pad", 2);
    }
}

impl fmt::Display for MeterBand {
    /// `type=drop rate=1000 burst_size=10`, `type=dscp_remark ... prec_level=1`,
    /// `type=experimenter ... experimenter=0x3e7 data=<hex>`, `type=unknown(9) ... data=<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeterBand::Drop { .. } => f.write_str("type=drop")?,
            MeterBand::DscpRemark { .. } => f.write_str("type=dscp_remark")?,
            MeterBand::Experimenter { .. } => f.write_str("type=experimenter")?,
            MeterBand::Unknown { band_type, .. } => write!(f, "type=unknown({band_type})")?,
        }
        let (rate, burst_size) = self.rate_and_burst();
        write!(f, " rate={rate} burst_size={burst_size}")?;
        match self {
            MeterBand::Drop { .. } => Ok(()),
            MeterBand::DscpRemark { prec_level, .. } => write!(f, " prec_level={prec_level}"),
            MeterBand::Experimenter {
                experimenter, data, ..
            } => write!(
                f,
                " experimenter={experimenter:#x} data={}",
                hex_bytes(data)
            ),
            MeterBand::Unknown { data, .. } => write!(f, " data={}", hex_bytes(data)),
        }
    }
}

/// ` band=...` for each band.
fn fmt_bands(f: &mut fmt::Formatter<'_>, bands: &[MeterBand]) -> fmt::Result {
    bands.iter().try_for_each(|b| write!(f, " band={b}"))
}

impl fmt::Display for MeterMod {
    /// `add meter=100 flags=0xe band=type=drop rate=1000 burst_size=10 ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} meter={} flags={:#x}",
            self.command, self.meter_id, self.flags
        )?;
        fmt_bands(f, &self.bands)
    }
}

impl fmt::Display for MeterStats {
    /// `meter=100 flows=0 packets_in=0 bytes_in=0 duration=0.000480000s bands=0/0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "meter={} flows={} packets_in={} bytes_in={} duration={}.{:09}s bands=",
            self.meter_id,
            self.flow_count,
            self.packet_in_count,
            self.byte_in_count,
            self.duration_sec,
            self.duration_nsec
        )?;
        for (i, b) in self.band_stats.iter().enumerate() {
            let sep = if i > 0 { "," } else { "" };
            write!(f, "{sep}{}/{}", b.packet_band_count, b.byte_band_count)?;
        }
        Ok(())
    }
}

impl fmt::Display for MeterConfig {
    /// `meter=100 flags=0xe band=type=drop rate=1000 burst_size=10`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "meter={} flags={:#x}", self.meter_id, self.flags)?;
        fmt_bands(f, &self.bands)
    }
}

impl fmt::Display for MeterFeatures {
    /// `max_meter=16777216 band_types=0x80000006 capabilities=0xf max_bands=255 max_color=0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "max_meter={} band_types={:#x} capabilities={:#x} max_bands={} max_color={}",
            self.max_meter, self.band_types, self.capabilities, self.max_bands, self.max_color
        )
    }
}

/// Proptest generators for the meter types.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use crate::strategies::arb_bytes;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Any band, unknown and experimenter bands included (all canonical).
    pub(crate) fn arb_band() -> impl Strategy<Value = MeterBand> {
        prop_oneof![
            (any::<u32>(), any::<u32>())
                .prop_map(|(rate, burst_size)| MeterBand::Drop { rate, burst_size }),
            (any::<u32>(), any::<u32>(), any::<u8>()).prop_map(|(rate, burst_size, p)| {
                MeterBand::DscpRemark {
                    rate,
                    burst_size,
                    prec_level: p,
                }
            }),
            (any::<u32>(), any::<u32>(), any::<u32>(), arb_bytes(24)).prop_map(
                |(rate, burst_size, experimenter, data)| MeterBand::Experimenter {
                    rate,
                    burst_size,
                    experimenter,
                    data,
                }
            ),
            (3u16..0xffff, any::<u32>(), any::<u32>(), arb_bytes(24)).prop_map(
                |(band_type, rate, burst_size, data)| MeterBand::Unknown {
                    band_type,
                    rate,
                    burst_size,
                    data,
                }
            ),
        ]
    }

    pub(crate) fn arb_bands() -> impl Strategy<Value = Vec<MeterBand>> {
        vec(arb_band(), 0..5)
    }

    pub(crate) fn arb_meter_stats() -> impl Strategy<Value = MeterStats> {
        (
            any::<[u32; 4]>(),
            any::<[u64; 2]>(),
            vec(any::<[u64; 2]>(), 0..5),
        )
            .prop_map(|(a, b, bands)| MeterStats {
                meter_id: a[0],
                flow_count: a[1],
                packet_in_count: b[0],
                byte_in_count: b[1],
                duration_sec: a[2],
                duration_nsec: a[3],
                band_stats: bands
                    .into_iter()
                    .map(|[p, b]| MeterBandStats {
                        packet_band_count: p,
                        byte_band_count: b,
                    })
                    .collect(),
            })
    }

    pub(crate) fn arb_meter_config() -> impl Strategy<Value = MeterConfig> {
        (any::<u16>(), any::<u32>(), arb_bands()).prop_map(|(flags, meter_id, bands)| MeterConfig {
            flags,
            meter_id,
            bands,
        })
    }

    pub(crate) fn arb_meter_features() -> impl Strategy<Value = MeterFeatures> {
        (any::<[u32; 3]>(), any::<[u8; 2]>()).prop_map(|(a, b)| MeterFeatures {
            max_meter: a[0],
            band_types: a[1],
            capabilities: a[2],
            max_bands: b[0],
            max_color: b[1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::ryu_vectors::{body_round_trip, decodable_prefixes, decode_at8, encode_vec};
    use proptest::prelude::*;

    const OFPT_METER_MOD: u8 = 29;

    #[test]
    fn ryu_meter_mod_vectors() {
        let drop = MeterBand::Drop {
            rate: 1000,
            burst_size: 10,
        };
        let remark = MeterBand::DscpRemark {
            rate: 1000,
            burst_size: 10,
            prec_level: 1,
        };
        if let Some(mm) = body_round_trip(
            "4-45-ofp_meter_mod.packet",
            OFPT_METER_MOD,
            MeterMod::decode_body,
            MeterMod::encode_body,
        ) {
            assert_eq!(mm.command, MeterModCommand::Add);
            assert_eq!(
                mm.flags,
                meter_flags::PKTPS | meter_flags::BURST | meter_flags::STATS
            );
            assert_eq!(mm.meter_id, 100);
            assert_eq!(
                mm.bands,
                vec![
                    drop.clone(),
                    remark.clone(),
                    MeterBand::Experimenter {
                        rate: 1000,
                        burst_size: 10,
                        experimenter: 999,
                        data: vec![]
                    }
                ]
            );
        }
        if let Some(mm) = body_round_trip(
            "libofproto-OFP13-meter_mod.packet",
            OFPT_METER_MOD,
            MeterMod::decode_body,
            MeterMod::encode_body,
        ) {
            assert_eq!(mm.bands, vec![drop, remark]);
        }
    }

    /// Hand-written from §7.3.4.5: an unknown band type with 4 payload bytes.
    #[test]
    fn golden_unknown_band_is_kept() {
        #[rustfmt::skip]
        let bytes = [
            0, 1, 0, 1, 0, 0, 0, 7,
            0, 9, 0, 16, 0, 0, 0, 5, 0, 0, 0, 6, 0xde, 0xad, 0xbe, 0xef,
        ];
        let mm = decode_at8(&bytes, MeterMod::decode_body).unwrap();
        assert_eq!(
            mm,
            MeterMod {
                command: MeterModCommand::Modify,
                flags: meter_flags::KBPS,
                meter_id: 7,
                bands: vec![MeterBand::Unknown {
                    band_type: 9,
                    rate: 5,
                    burst_size: 6,
                    data: vec![0xde, 0xad, 0xbe, 0xef]
                }]
            }
        );
        assert_eq!(encode_vec(&mm, MeterMod::encode_body).unwrap(), bytes);
        assert_eq!(decodable_prefixes(&bytes, MeterMod::decode_body), vec![8]);
    }

    #[test]
    fn display() {
        let mm = MeterMod {
            command: MeterModCommand::Add,
            flags: meter_flags::KBPS,
            meter_id: 100,
            bands: vec![
                MeterBand::DscpRemark {
                    rate: 1000,
                    burst_size: 10,
                    prec_level: 1,
                },
                MeterBand::Unknown {
                    band_type: 9,
                    rate: 1,
                    burst_size: 2,
                    data: vec![0xab],
                },
            ],
        };
        assert_eq!(
            mm.to_string(),
            "add meter=100 flags=0x1 band=type=dscp_remark rate=1000 burst_size=10 prec_level=1 \
             band=type=unknown(9) rate=1 burst_size=2 data=ab"
        );
        let ms = MeterStats {
            meter_id: 1,
            band_stats: vec![MeterBandStats {
                packet_band_count: 3,
                byte_band_count: 4,
            }],
            ..MeterStats::default()
        };
        assert_eq!(
            ms.to_string(),
            "meter=1 flows=0 packets_in=0 bytes_in=0 duration=0.000000000s bands=3/4"
        );
    }

    #[test]
    fn band_length_errors() {
        // Drop band with len 24.
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 24];
        bytes.resize(32, 0);
        assert_eq!(
            decode_at8(&bytes, MeterMod::decode_body).unwrap_err(),
            DecodeError::BadLength {
                what: "ofp_meter_band",
                offset: 16,
                expected: "== 16".into(),
                found: 24
            }
        );
        // Experimenter band with len 12.
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 12];
        bytes.resize(20, 0);
        assert_eq!(
            decode_at8(&bytes, MeterMod::decode_body).unwrap_err(),
            DecodeError::BadLength {
                what: "ofp_meter_band",
                offset: 16,
                expected: ">= 16".into(),
                found: 12
            }
        );
        // Band len 8 < header.
        let bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0];
        assert!(matches!(
            decode_at8(&bytes, MeterMod::decode_body),
            Err(DecodeError::BadLength {
                offset: 16,
                found: 8,
                ..
            })
        ));
    }

    #[test]
    fn raw_band_with_known_type_is_refused() {
        let mm = MeterMod {
            command: MeterModCommand::Add,
            flags: 0,
            meter_id: 1,
            bands: vec![MeterBand::Unknown {
                band_type: OFPMBT_DROP,
                rate: 0,
                burst_size: 0,
                data: vec![0; 4],
            }],
        };
        assert!(matches!(
            encode_vec(&mm, MeterMod::encode_body),
            Err(EncodeError::BadValue { .. })
        ));
    }

    #[test]
    fn meter_stats_length_is_at_offset_4() {
        let ms = MeterStats {
            meter_id: 1,
            band_stats: vec![MeterBandStats::default(); 2],
            ..MeterStats::default()
        };
        let bytes = encode_vec(&ms, MeterStats::encode).unwrap();
        assert_eq!(&bytes[4..6], &[0, 72]);
        assert_eq!(decode_at8(&bytes, MeterStats::decode).unwrap(), ms);
        assert!(decodable_prefixes(&bytes, MeterStats::decode).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn meter_mod_round_trips(cmd in any::<u16>(), flags in any::<u16>(), id in any::<u32>(), bands in arb_bands()) {
            let mm = MeterMod { command: MeterModCommand::from_wire(cmd), flags, meter_id: id, bands };
            let bytes = encode_vec(&mm, MeterMod::encode_body).unwrap();
            prop_assert_eq!(decode_at8(&bytes, MeterMod::decode_body).unwrap(), mm);
        }

        #[test]
        fn meter_stats_round_trip(ms in arb_meter_stats()) {
            let bytes = encode_vec(&ms, MeterStats::encode).unwrap();
            prop_assert_eq!(decode_at8(&bytes, MeterStats::decode).unwrap(), ms);
        }

        #[test]
        fn meter_config_round_trips(mc in arb_meter_config()) {
            let bytes = encode_vec(&mc, MeterConfig::encode).unwrap();
            prop_assert_eq!(decode_at8(&bytes, MeterConfig::decode).unwrap(), mc);
        }

        #[test]
        fn meter_features_round_trip(mf in arb_meter_features()) {
            let bytes = encode_vec(&mf, |f, w| { f.encode(w); Ok(()) }).unwrap();
            prop_assert_eq!(bytes.len(), OFP_METER_FEATURES_LEN);
            prop_assert_eq!(decode_at8(&bytes, MeterFeatures::decode).unwrap(), mf);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
            let _ = decode_at8(&bytes, MeterMod::decode_body);
            let _ = decode_at8(&bytes, MeterStats::decode);
            let _ = decode_at8(&bytes, MeterConfig::decode);
        }
    }
}
