//! `OFPT_FEATURES_REPLY` (OpenFlow 1.3.5 §7.3.1): `ofp_switch_features`.

use crate::error::{DecodeError, EncodeError};
use crate::items::exact;
use crate::wire::{Reader, Writer};

/// `ofp_capabilities` bits of [`SwitchFeatures::capabilities`].
pub mod capabilities {
    /// `OFPC_FLOW_STATS`.
    pub const FLOW_STATS: u32 = 1 << 0;
    /// `OFPC_TABLE_STATS`.
    pub const TABLE_STATS: u32 = 1 << 1;
    /// `OFPC_PORT_STATS`.
    pub const PORT_STATS: u32 = 1 << 2;
    /// `OFPC_GROUP_STATS`.
    pub const GROUP_STATS: u32 = 1 << 3;
    /// `OFPC_IP_REASM`.
    pub const IP_REASM: u32 = 1 << 5;
    /// `OFPC_QUEUE_STATS`.
    pub const QUEUE_STATS: u32 = 1 << 6;
    /// `OFPC_PORT_BLOCKED`.
    pub const PORT_BLOCKED: u32 = 1 << 8;
}

/// Body bytes of a FEATURES_REPLY.
const BODY_LEN: usize = 24;

/// The body of an `OFPT_FEATURES_REPLY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SwitchFeatures {
    /// Datapath id: lower 48 bits are a MAC address, upper 16 implementer-defined.
    pub datapath_id: u64,
    /// Packets the switch can buffer at once.
    pub n_buffers: u32,
    /// Tables supported by the datapath.
    pub n_tables: u8,
    /// Auxiliary connection id (0 = main connection).
    pub auxiliary_id: u8,
    /// `OFPC_*` bits, see [`capabilities`].
    pub capabilities: u32,
    /// The `reserved` field, kept so the message round-trips.
    pub reserved: u32,
}

impl SwitchFeatures {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        exact(r, "ofp_switch_features", BODY_LEN)?;
        let datapath_id = r.u64("ofp_switch_features.datapath_id")?;
        let n_buffers = r.u32("ofp_switch_features.n_buffers")?;
        let n_tables = r.u8("ofp_switch_features.n_tables")?;
        let auxiliary_id = r.u8("ofp_switch_features.auxiliary_id")?;
        r.skip("ofp_switch_features.pad", 2)?;
        Ok(SwitchFeatures {
            datapath_id,
            n_buffers,
            n_tables,
            auxiliary_id,
            capabilities: r.u32("ofp_switch_features.capabilities")?,
            reserved: r.u32("ofp_switch_features.reserved")?,
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u64(self.datapath_id);
        w.u32(self.n_buffers);
        w.u8(self.n_tables);
        w.u8(self.auxiliary_id);
        w.pad("ofp_switch_features.pad", 2);
        w.u32(self.capabilities);
        w.u32(self.reserved);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    #[test]
    fn golden_and_errors() {
        let f = SwitchFeatures {
            datapath_id: 0x0102_0304_0506_0708,
            n_buffers: 256,
            n_tables: 254,
            auxiliary_id: 0,
            capabilities: capabilities::FLOW_STATS | capabilities::PORT_STATS,
            reserved: 0,
        };
        let b = [
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 1, 0, 254, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0,
        ];
        let mut v = Vec::new();
        f.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, b);
        assert_eq!(
            SwitchFeatures::decode_body(&mut Reader::with_base(&b, 8)),
            Ok(f)
        );
        assert_eq!(
            SwitchFeatures::decode_body(&mut Reader::with_base(&b[..20], 8)),
            Err(DecodeError::Truncated {
                what: "ofp_switch_features",
                offset: 8,
                needed: 24,
                available: 20
            })
        );
    }

    #[test]
    fn ryu_vectors() {
        for name in [
            "4-6-ofp_features_reply.packet",
            "libofproto-OFP13-features_reply.packet",
        ] {
            body_round_trip(
                name,
                6,
                SwitchFeatures::decode_body,
                SwitchFeatures::encode_body,
            );
        }
    }
}
