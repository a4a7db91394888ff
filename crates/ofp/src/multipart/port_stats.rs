//! Port statistics: `ofp_port_stats_request` and `ofp_port_stats` (OpenFlow 1.3.5
//! §7.3.5.6).

use crate::action::PortNo;
use crate::error::DecodeError;
use crate::items;
use crate::wire::{Reader, Writer};
use std::fmt;

/// Size of `ofp_port_stats_request`.
pub const PORT_STATS_REQUEST_LEN: usize = 8;
/// Size of `ofp_port_stats`.
pub const OFP_PORT_STATS_LEN: usize = 112;

/// `ofp_port_stats_request` (§7.3.5.6): the body of an `OFPMP_PORT_STATS` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortStatsRequest {
    /// Port to report, or `OFPP_ANY` for all.
    pub port_no: u32,
}

impl PortStatsRequest {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_port_stats_request", PORT_STATS_REQUEST_LEN)?;
        let port_no = r.u32("ofp_port_stats_request.port_no")?;
        r.skip("ofp_port_stats_request.pad", 4)?;
        Ok(PortStatsRequest { port_no })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.port_no);
        w.pad("ofp_port_stats_request.pad", 4);
    }
}

/// `ofp_port_stats` (§7.3.5.6): counters of one port. Unsupported counters are all ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PortStats {
    /// Port number.
    pub port_no: u32,
    /// Packets received.
    pub rx_packets: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets dropped by RX.
    pub rx_dropped: u64,
    /// Packets dropped by TX.
    pub tx_dropped: u64,
    /// Receive errors (superset of the three specific ones below).
    pub rx_errors: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Frame alignment errors.
    pub rx_frame_err: u64,
    /// Packets with RX overrun.
    pub rx_over_err: u64,
    /// CRC errors.
    pub rx_crc_err: u64,
    /// Collisions.
    pub collisions: u64,
    /// Time the port has been alive, seconds part.
    pub duration_sec: u32,
    /// Time the port has been alive beyond `duration_sec`, nanoseconds.
    pub duration_nsec: u32,
}

impl PortStats {
    /// Decode one 112-byte entry.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut p = r.sub("ofp_port_stats", OFP_PORT_STATS_LEN)?;
        let port_no = p.u32("ofp_port_stats.port_no")?;
        p.skip("ofp_port_stats.pad", 4)?;
        Ok(PortStats {
            port_no,
            rx_packets: p.u64("ofp_port_stats.rx_packets")?,
            tx_packets: p.u64("ofp_port_stats.tx_packets")?,
            rx_bytes: p.u64("ofp_port_stats.rx_bytes")?,
            tx_bytes: p.u64("ofp_port_stats.tx_bytes")?,
            rx_dropped: p.u64("ofp_port_stats.rx_dropped")?,
            tx_dropped: p.u64("ofp_port_stats.tx_dropped")?,
            rx_errors: p.u64("ofp_port_stats.rx_errors")?,
            tx_errors: p.u64("ofp_port_stats.tx_errors")?,
            rx_frame_err: p.u64("ofp_port_stats.rx_frame_err")?,
            rx_over_err: p.u64("ofp_port_stats.rx_over_err")?,
            rx_crc_err: p.u64("ofp_port_stats.rx_crc_err")?,
            collisions: p.u64("ofp_port_stats.collisions")?,
            duration_sec: p.u32("ofp_port_stats.duration_sec")?,
            duration_nsec: p.u32("ofp_port_stats.duration_nsec")?,
        })
    }

    /// Encode the entry.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.port_no);
        w.pad("ofp_port_stats.pad", 4);
        for c in [
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_dropped,
            self.tx_dropped,
            self.rx_errors,
            self.tx_errors,
            self.rx_frame_err,
            self.rx_over_err,
            self.rx_crc_err,
            self.collisions,
        ] {
            w.u64(c);
        }
        w.u32(self.duration_sec);
        w.u32(self.duration_nsec);
    }
}

impl fmt::Display for PortStatsRequest {
    /// `port=any`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port={}", PortNo(self.port_no))
    }
}

impl fmt::Display for PortStats {
    /// `ovs-ofctl dump-ports`-like: `port=6 rx pkts=4 bytes=336 drop=0 errs=0 frame=0
    /// over=0 crc=0 tx pkts=4 bytes=336 drop=0 errs=0 coll=0 duration=0.000000000s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port={} rx pkts={} bytes={} drop={} errs={} frame={} over={} crc={} \
             tx pkts={} bytes={} drop={} errs={} coll={} duration={}.{:09}s",
            PortNo(self.port_no),
            self.rx_packets,
            self.rx_bytes,
            self.rx_dropped,
            self.rx_errors,
            self.rx_frame_err,
            self.rx_over_err,
            self.rx_crc_err,
            self.tx_packets,
            self.tx_bytes,
            self.tx_dropped,
            self.tx_errors,
            self.collisions,
            self.duration_sec,
            self.duration_nsec
        )
    }
}

/// Proptest generator.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn arb_port_stats() -> impl Strategy<Value = PortStats> {
        (any::<[u32; 3]>(), any::<[u64; 12]>()).prop_map(|(a, c)| PortStats {
            port_no: a[0],
            rx_packets: c[0],
            tx_packets: c[1],
            rx_bytes: c[2],
            tx_bytes: c[3],
            rx_dropped: c[4],
            tx_dropped: c[5],
            rx_errors: c[6],
            tx_errors: c[7],
            rx_frame_err: c[8],
            rx_over_err: c[9],
            rx_crc_err: c[10],
            collisions: c[11],
            duration_sec: a[1],
            duration_nsec: a[2],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::arb_port_stats;
    use super::*;
    use crate::ryu_vectors::{decodable_prefixes, decode_at8, encode_vec};
    use proptest::prelude::*;

    #[test]
    fn counters_are_in_wire_order() {
        let ps = PortStats {
            port_no: 1,
            rx_packets: 2,
            collisions: 13,
            duration_nsec: 14,
            ..PortStats::default()
        };
        let bytes = encode_vec(&ps, |p, w| {
            p.encode(w);
            Ok(())
        })
        .unwrap();
        assert_eq!(bytes.len(), OFP_PORT_STATS_LEN);
        assert_eq!(&bytes[..4], &[0, 0, 0, 1]);
        assert_eq!(bytes[15], 2);
        assert_eq!(bytes[103], 13);
        assert_eq!(bytes[111], 14);
        assert_eq!(decode_at8(&bytes, PortStats::decode).unwrap(), ps);
        assert!(decodable_prefixes(&bytes, PortStats::decode).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn entry_round_trips(ps in arb_port_stats()) {
            let bytes = encode_vec(&ps, |p, w| { p.encode(w); Ok(()) }).unwrap();
            prop_assert_eq!(decode_at8(&bytes, PortStats::decode).unwrap(), ps);
        }
    }
}
