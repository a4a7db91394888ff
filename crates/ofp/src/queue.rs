//! Queues: `ofp_packet_queue` and its properties (OpenFlow 1.3.5 §7.2.2), the queue
//! configuration messages `OFPT_QUEUE_GET_CONFIG_REQUEST`/`_REPLY` (§7.3.6) and the
//! `OFPMP_QUEUE` statistics bodies (§7.3.5.8).
//!
//! Queue properties are not padded: each takes exactly its `len` bytes, so an
//! experimenter property of 17 bytes leaves the next queue at an unaligned offset (Ryu
//! vector 4-36 does this). Decoding keeps the bytes and encoding writes them back
//! unchanged.

use crate::action::PortNo;
use crate::error::{DecodeError, EncodeError};
use crate::items;
use crate::oxm::hex_bytes;
use crate::wire::{Reader, Writer};
use std::fmt;

/// Size of the fixed part of `ofp_packet_queue`.
pub const OFP_PACKET_QUEUE_LEN: usize = 16;
/// Size of `ofp_queue_prop_header`.
pub const OFP_QUEUE_PROP_HEADER_LEN: usize = 8;
/// Size of a min-rate or max-rate property, and of the fixed part of an experimenter one.
pub const OFP_QUEUE_PROP_RATE_LEN: usize = 16;
/// Size of the `OFPT_QUEUE_GET_CONFIG_REQUEST` body.
pub const QUEUE_GET_CONFIG_REQUEST_LEN: usize = 8;
/// Size of the fixed part of the `OFPT_QUEUE_GET_CONFIG_REPLY` body.
pub const QUEUE_GET_CONFIG_REPLY_FIXED_LEN: usize = 8;
/// Size of `ofp_queue_stats_request`.
pub const QUEUE_STATS_REQUEST_LEN: usize = 8;
/// Size of `ofp_queue_stats`.
pub const OFP_QUEUE_STATS_LEN: usize = 40;

/// `OFPQT_MIN_RATE`.
pub const OFPQT_MIN_RATE: u16 = 1;
/// `OFPQT_MAX_RATE`.
pub const OFPQT_MAX_RATE: u16 = 2;
/// `OFPQT_EXPERIMENTER`.
pub const OFPQT_EXPERIMENTER: u16 = 0xffff;
/// `OFPQ_ALL`: every queue (queue stats requests).
pub const OFPQ_ALL: u32 = 0xffff_ffff;
/// `OFPQ_MIN_RATE_UNCFG` / `OFPQ_MAX_RATE_UNCFG`: the rate is not configured.
pub const OFPQ_RATE_UNCFG: u16 = 0xffff;

/// A queue property (`ofp_queue_prop_*`, §7.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum QueueProp {
    /// `OFPQT_MIN_RATE`: guaranteed rate in 1/10 of a percent (> 1000: disabled).
    MinRate(u16),
    /// `OFPQT_MAX_RATE`: maximum rate in 1/10 of a percent (> 1000: disabled).
    MaxRate(u16),
    /// `OFPQT_EXPERIMENTER`.
    Experimenter {
        /// Experimenter id.
        experimenter: u32,
        /// Bytes after the 16-byte fixed part (unpadded), byte for byte.
        data: Vec<u8>,
    },
    /// A property type this crate does not know, kept raw.
    Unknown {
        /// `property` field (anything but 1, 2 and 0xffff).
        property: u16,
        /// Bytes after the 8-byte property header, byte for byte.
        data: Vec<u8>,
    },
}

impl QueueProp {
    /// The property's type code.
    pub fn property_type(&self) -> u16 {
        match self {
            QueueProp::MinRate(_) => OFPQT_MIN_RATE,
            QueueProp::MaxRate(_) => OFPQT_MAX_RATE,
            QueueProp::Experimenter { .. } => OFPQT_EXPERIMENTER,
            QueueProp::Unknown { property, .. } => *property,
        }
    }

    /// Decode one property (its `len` field bounds it).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let offset = r.offset();
        let mut p = items::take_item(r, "ofp_queue_prop", 2, OFP_QUEUE_PROP_HEADER_LEN)?;
        let property = p.u16("ofp_queue_prop_header.property")?;
        let len = usize::from(p.u16("ofp_queue_prop_header.len")?);
        p.skip("ofp_queue_prop_header.pad", 4)?;
        let bad_len = |expected: &str| DecodeError::BadLength {
            what: "ofp_queue_prop",
            offset,
            expected: expected.to_string(),
            found: len,
        };
        Ok(match property {
            OFPQT_MIN_RATE | OFPQT_MAX_RATE => {
                if len != OFP_QUEUE_PROP_RATE_LEN {
                    return Err(bad_len("== 16"));
                }
                let rate = p.u16("ofp_queue_prop_rate.rate")?;
                p.skip("ofp_queue_prop_rate.pad", 6)?;
                if property == OFPQT_MIN_RATE {
                    QueueProp::MinRate(rate)
                } else {
                    QueueProp::MaxRate(rate)
                }
            }
            OFPQT_EXPERIMENTER => {
                if len < OFP_QUEUE_PROP_RATE_LEN {
                    return Err(bad_len(">= 16"));
                }
                let experimenter = p.u32("ofp_queue_prop_experimenter.experimenter")?;
                p.skip("ofp_queue_prop_experimenter.pad", 4)?;
                QueueProp::Experimenter {
                    experimenter,
                    data: p.take_rest().to_vec(),
                }
            }
            property => QueueProp::Unknown {
                property,
                data: p.take_rest().to_vec(),
            },
        })
    }

    /// Encode the property, computing its length (no trailing padding).
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u16(self.property_type());
        w.u16(0);
        w.pad("ofp_queue_prop_header.pad", 4);
        match self {
            QueueProp::MinRate(rate) | QueueProp::MaxRate(rate) => {
                w.u16(*rate);
                w.pad("ofp_queue_prop_rate.pad", 6);
            }
            QueueProp::Experimenter { experimenter, data } => {
                w.u32(*experimenter);
                w.pad("ofp_queue_prop_experimenter.pad", 4);
                w.bytes(data);
            }
            QueueProp::Unknown { property, data } => {
                items::reject_known(
                    "ofp_queue_prop_header.property",
                    *property,
                    &[OFPQT_MIN_RATE, OFPQT_MAX_RATE, OFPQT_EXPERIMENTER],
                )?;
                w.bytes(data);
            }
        }
        w.patch_len16("ofp_queue_prop", start + 2, start)
    }
}

/// `ofp_packet_queue` (§7.2.2): one queue and its properties.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct PacketQueue {
    /// Queue id.
    pub queue_id: u32,
    /// Port the queue is attached to.
    pub port: u32,
    /// The properties, in wire order.
    pub properties: Vec<QueueProp>,
}

impl PacketQueue {
    /// Decode one queue (its `len` field bounds the properties).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut q = items::take_item(r, "ofp_packet_queue", 8, OFP_PACKET_QUEUE_LEN)?;
        let queue_id = q.u32("ofp_packet_queue.queue_id")?;
        let port = q.u32("ofp_packet_queue.port")?;
        q.skip("ofp_packet_queue.len", 2)?;
        q.skip("ofp_packet_queue.pad", 6)?;
        Ok(PacketQueue {
            queue_id,
            port,
            properties: items::list(&mut q, "ofp_queue_prop", QueueProp::decode)?,
        })
    }

    /// Encode the queue, computing its length.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        let start = w.pos();
        w.u32(self.queue_id);
        w.u32(self.port);
        w.u16(0);
        w.pad("ofp_packet_queue.pad", 6);
        items::encode_all(&self.properties, w, QueueProp::encode)?;
        w.patch_len16("ofp_packet_queue", start + 8, start)
    }
}

/// `OFPT_QUEUE_GET_CONFIG_REQUEST` body (`ofp_queue_get_config_request`, §7.3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct QueueGetConfigRequest {
    /// Port to query (`OFPP_ANY` for all configured queues).
    pub port: u32,
}

impl QueueGetConfigRequest {
    /// Decode the body (after the 8-byte header): exactly 8 bytes.
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(
            r,
            "ofp_queue_get_config_request",
            QUEUE_GET_CONFIG_REQUEST_LEN,
        )?;
        let port = r.u32("ofp_queue_get_config_request.port")?;
        r.skip("ofp_queue_get_config_request.pad", 4)?;
        Ok(QueueGetConfigRequest { port })
    }

    /// Encode the body.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u32(self.port);
        w.pad("ofp_queue_get_config_request.pad", 4);
        Ok(())
    }
}

/// `OFPT_QUEUE_GET_CONFIG_REPLY` body (`ofp_queue_get_config_reply`, §7.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct QueueGetConfigReply {
    /// The port queried.
    pub port: u32,
    /// Its queues.
    pub queues: Vec<PacketQueue>,
}

impl QueueGetConfigReply {
    /// Decode the body (after the 8-byte header).
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let port = r.u32("ofp_queue_get_config_reply.port")?;
        r.skip("ofp_queue_get_config_reply.pad", 4)?;
        Ok(QueueGetConfigReply {
            port,
            queues: items::list(r, "ofp_packet_queue", PacketQueue::decode)?,
        })
    }

    /// Encode the body.
    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u32(self.port);
        w.pad("ofp_queue_get_config_reply.pad", 4);
        items::encode_all(&self.queues, w, PacketQueue::encode)
    }
}

/// `ofp_queue_stats_request` (§7.3.5.8): the body of an `OFPMP_QUEUE` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct QueueStatsRequest {
    /// Port (`OFPP_ANY` for all ports).
    pub port_no: u32,
    /// Queue ([`OFPQ_ALL`] for all queues).
    pub queue_id: u32,
}

impl QueueStatsRequest {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_queue_stats_request", QUEUE_STATS_REQUEST_LEN)?;
        Ok(QueueStatsRequest {
            port_no: r.u32("ofp_queue_stats_request.port_no")?,
            queue_id: r.u32("ofp_queue_stats_request.queue_id")?,
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.port_no);
        w.u32(self.queue_id);
    }
}

/// `ofp_queue_stats` (§7.3.5.8): one entry of an `OFPMP_QUEUE` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct QueueStats {
    /// Port.
    pub port_no: u32,
    /// Queue.
    pub queue_id: u32,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Packets dropped due to overrun.
    pub tx_errors: u64,
    /// Time the queue has been alive, seconds part.
    pub duration_sec: u32,
    /// Time the queue has been alive beyond `duration_sec`, nanoseconds.
    pub duration_nsec: u32,
}

impl QueueStats {
    /// Decode one 40-byte entry.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut q = r.sub("ofp_queue_stats", OFP_QUEUE_STATS_LEN)?;
        Ok(QueueStats {
            port_no: q.u32("ofp_queue_stats.port_no")?,
            queue_id: q.u32("ofp_queue_stats.queue_id")?,
            tx_bytes: q.u64("ofp_queue_stats.tx_bytes")?,
            tx_packets: q.u64("ofp_queue_stats.tx_packets")?,
            tx_errors: q.u64("ofp_queue_stats.tx_errors")?,
            duration_sec: q.u32("ofp_queue_stats.duration_sec")?,
            duration_nsec: q.u32("ofp_queue_stats.duration_nsec")?,
        })
    }

    /// Encode the entry.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.port_no);
        w.u32(self.queue_id);
        w.u64(self.tx_bytes);
        w.u64(self.tx_packets);
        w.u64(self.tx_errors);
        w.u32(self.duration_sec);
        w.u32(self.duration_nsec);
    }
}

impl fmt::Display for QueueProp {
    /// `min_rate:10`, `max_rate:900`, `experimenter:0x3e7:<hex>`, `unknown:7:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueProp::MinRate(r) => write!(f, "min_rate:{r}"),
            QueueProp::MaxRate(r) => write!(f, "max_rate:{r}"),
            QueueProp::Experimenter { experimenter, data } => {
                write!(f, "experimenter:{experimenter:#x}:{}", hex_bytes(data))
            }
            QueueProp::Unknown { property, data } => {
                write!(f, "unknown:{property}:{}", hex_bytes(data))
            }
        }
    }
}

impl fmt::Display for PacketQueue {
    /// `queue=99 port=77 min_rate:10,max_rate:900`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "queue={} port={} ", self.queue_id, PortNo(self.port))?;
        items::fmt_joined(f, &self.properties, ",")
    }
}

impl fmt::Display for QueueGetConfigRequest {
    /// `port=any`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port={}", PortNo(self.port))
    }
}

impl fmt::Display for QueueGetConfigReply {
    /// `port=any [queue=99 port=77 min_rate:10; ...]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port={} [", PortNo(self.port))?;
        items::fmt_joined(f, &self.queues, "; ")?;
        f.write_str("]")
    }
}

impl fmt::Display for QueueStatsRequest {
    /// `port=any queue=4294967295`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port={} queue={}", PortNo(self.port_no), self.queue_id)
    }
}

impl fmt::Display for QueueStats {
    /// `port=7 queue=1 tx_bytes=0 tx_packets=0 tx_errors=0 duration=0.000000000s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port={} queue={} tx_bytes={} tx_packets={} tx_errors={} duration={}.{:09}s",
            PortNo(self.port_no),
            self.queue_id,
            self.tx_bytes,
            self.tx_packets,
            self.tx_errors,
            self.duration_sec,
            self.duration_nsec
        )
    }
}

/// Proptest generators for the queue types.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use crate::strategies::arb_bytes;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Any property, unknown and odd-length experimenter ones included (all canonical).
    pub(crate) fn arb_queue_prop() -> impl Strategy<Value = QueueProp> {
        prop_oneof![
            any::<u16>().prop_map(QueueProp::MinRate),
            any::<u16>().prop_map(QueueProp::MaxRate),
            (any::<u32>(), arb_bytes(19))
                .prop_map(|(experimenter, data)| QueueProp::Experimenter { experimenter, data }),
            (
                any::<u16>().prop_filter("unknown type", |t| !matches!(
                    *t,
                    OFPQT_MIN_RATE | OFPQT_MAX_RATE | OFPQT_EXPERIMENTER
                )),
                arb_bytes(19)
            )
                .prop_map(|(property, data)| QueueProp::Unknown { property, data }),
        ]
    }

    pub(crate) fn arb_packet_queue() -> impl Strategy<Value = PacketQueue> {
        (any::<u32>(), any::<u32>(), vec(arb_queue_prop(), 0..5)).prop_map(
            |(queue_id, port, properties)| PacketQueue {
                queue_id,
                port,
                properties,
            },
        )
    }

    pub(crate) fn arb_queue_stats() -> impl Strategy<Value = QueueStats> {
        (any::<[u32; 4]>(), any::<[u64; 3]>()).prop_map(|(a, b)| QueueStats {
            port_no: a[0],
            queue_id: a[1],
            tx_bytes: b[0],
            tx_packets: b[1],
            tx_errors: b[2],
            duration_sec: a[2],
            duration_nsec: a[3],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use crate::ryu_vectors::{body_round_trip, decodable_prefixes, decode_at8, encode_vec};
    use proptest::prelude::*;

    const OFPT_QUEUE_GET_CONFIG_REQUEST: u8 = 22;
    const OFPT_QUEUE_GET_CONFIG_REPLY: u8 = 23;

    #[test]
    fn ryu_queue_get_config_request() {
        if let Some(q) = body_round_trip(
            "4-35-ofp_queue_get_config_request.packet",
            OFPT_QUEUE_GET_CONFIG_REQUEST,
            QueueGetConfigRequest::decode_body,
            QueueGetConfigRequest::encode_body,
        ) {
            assert_eq!(q.port, 0xffff_ffff);
        }
    }

    /// Vector 4-36: experimenter properties of 17 and 18 bytes leave the second and
    /// third queues at unaligned offsets; the reply must still round-trip.
    #[test]
    fn ryu_queue_get_config_reply_unaligned() {
        let Some(q) = body_round_trip(
            "4-36-ofp_queue_get_config_reply.packet",
            OFPT_QUEUE_GET_CONFIG_REPLY,
            QueueGetConfigReply::decode_body,
            QueueGetConfigReply::encode_body,
        ) else {
            return;
        };
        assert_eq!(q.port, 0xffff_ffff);
        let ids: Vec<_> = q.queues.iter().map(|q| (q.queue_id, q.port)).collect();
        assert_eq!(ids, vec![(99, 77), (88, 77), (77, 77)]);
        assert_eq!(
            q.queues[0].properties,
            vec![
                QueueProp::MinRate(10),
                QueueProp::MaxRate(900),
                QueueProp::Experimenter {
                    experimenter: 999,
                    data: vec![]
                }
            ]
        );
        assert_eq!(
            q.queues[1].properties[2],
            QueueProp::Experimenter {
                experimenter: 999,
                data: vec![1]
            }
        );
        assert_eq!(
            q.queues[2].properties,
            vec![
                QueueProp::MinRate(200),
                QueueProp::MaxRate(400),
                QueueProp::Experimenter {
                    experimenter: 999,
                    data: vec![1, 2]
                }
            ]
        );
    }

    /// Hand-written from §7.2.2: one queue with a min-rate and an unknown property.
    #[test]
    fn golden_queue_reply() {
        let reply = QueueGetConfigReply {
            port: 3,
            queues: vec![PacketQueue {
                queue_id: 1,
                port: 3,
                properties: vec![
                    QueueProp::MinRate(500),
                    QueueProp::Unknown {
                        property: 7,
                        data: vec![0xaa],
                    },
                ],
            }],
        };
        let bytes = encode_vec(&reply, QueueGetConfigReply::encode_body).unwrap();
        #[rustfmt::skip]
        let expect = [
            0, 0, 0, 3, 0, 0, 0, 0,
            0, 0, 0, 1, 0, 0, 0, 3, 0, 41, 0, 0, 0, 0, 0, 0,
            0, 1, 0, 16, 0, 0, 0, 0, 0x01, 0xf4, 0, 0, 0, 0, 0, 0,
            0, 7, 0, 9, 0, 0, 0, 0, 0xaa,
        ];
        assert_eq!(bytes, expect);
        assert_eq!(
            decode_at8(&bytes, QueueGetConfigReply::decode_body).unwrap(),
            reply
        );
        assert_eq!(
            decodable_prefixes(&bytes, QueueGetConfigReply::decode_body),
            vec![8]
        );
    }

    #[test]
    fn display() {
        let reply = QueueGetConfigReply {
            port: 0xffff_ffff,
            queues: vec![
                PacketQueue {
                    queue_id: 1,
                    port: 3,
                    properties: vec![
                        QueueProp::MinRate(10),
                        QueueProp::Experimenter {
                            experimenter: 999,
                            data: vec![1, 2],
                        },
                    ],
                },
                PacketQueue {
                    queue_id: 2,
                    port: 3,
                    properties: vec![],
                },
            ],
        };
        assert_eq!(
            reply.to_string(),
            "port=any [queue=1 port=3 min_rate:10,experimenter:0x3e7:0102; queue=2 port=3 ]"
        );
    }

    #[test]
    fn property_length_errors() {
        #[rustfmt::skip]
        let mut bytes = vec![
            0, 0, 0, 3, 0, 0, 0, 0,
            0, 0, 0, 1, 0, 0, 0, 3, 0, 32, 0, 0, 0, 0, 0, 0,
            0, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        // The property claims 24 bytes but only 16 are left in the 32-byte queue.
        assert_eq!(
            decode_at8(&bytes, QueueGetConfigReply::decode_body).unwrap_err(),
            DecodeError::BadLength {
                what: "ofp_queue_prop",
                offset: 32,
                expected: "<= 16 (bytes present)".into(),
                found: 24
            }
        );
        // The queue claims 40 bytes but only 32 are present.
        bytes[17] = 40;
        assert!(matches!(
            decode_at8(&bytes, QueueGetConfigReply::decode_body),
            Err(DecodeError::BadLength {
                what: "ofp_packet_queue",
                offset: 16,
                found: 40,
                ..
            })
        ));
        bytes.extend_from_slice(&[0; 8]);
        // Now the min-rate property is 24 bytes long: not allowed.
        assert_eq!(
            decode_at8(&bytes, QueueGetConfigReply::decode_body).unwrap_err(),
            DecodeError::BadLength {
                what: "ofp_queue_prop",
                offset: 32,
                expected: "== 16".into(),
                found: 24
            }
        );
        // Property shorter than its header.
        bytes[27] = 4;
        assert!(matches!(
            decode_at8(&bytes, QueueGetConfigReply::decode_body),
            Err(DecodeError::BadLength {
                what: "ofp_queue_prop",
                offset: 32,
                found: 4,
                ..
            })
        ));
    }

    #[test]
    fn queue_stats_request_and_entries() {
        let req = QueueStatsRequest {
            port_no: 1,
            queue_id: OFPQ_ALL,
        };
        let bytes = encode_vec(&req, |q, w| {
            q.encode(w);
            Ok(())
        })
        .unwrap();
        assert_eq!(bytes, [0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(decode_at8(&bytes, QueueStatsRequest::decode).unwrap(), req);
        assert!(decodable_prefixes(&bytes, QueueStatsRequest::decode).is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn reply_round_trips(port in any::<u32>(), queues in proptest::collection::vec(arb_packet_queue(), 0..4)) {
            let reply = QueueGetConfigReply { port, queues };
            let bytes = encode_vec(&reply, QueueGetConfigReply::encode_body).unwrap();
            prop_assert_eq!(decode_at8(&bytes, QueueGetConfigReply::decode_body).unwrap(), reply);
        }

        #[test]
        fn request_round_trips(port in any::<u32>()) {
            let req = QueueGetConfigRequest { port };
            let bytes = encode_vec(&req, QueueGetConfigRequest::encode_body).unwrap();
            prop_assert_eq!(decode_at8(&bytes, QueueGetConfigRequest::decode_body).unwrap(), req);
        }

        #[test]
        fn stats_round_trip(qs in arb_queue_stats()) {
            let bytes = encode_vec(&qs, |q, w| { q.encode(w); Ok(()) }).unwrap();
            prop_assert_eq!(bytes.len(), OFP_QUEUE_STATS_LEN);
            prop_assert_eq!(decode_at8(&bytes, QueueStats::decode).unwrap(), qs);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
            let _ = decode_at8(&bytes, QueueGetConfigReply::decode_body);
            let _ = decode_at8(&bytes, QueueGetConfigRequest::decode_body);
        }
    }
}
