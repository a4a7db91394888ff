//! `OFPT_GET_ASYNC_REPLY` / `OFPT_SET_ASYNC` (OpenFlow 1.3.5 §7.3.10): `ofp_async_config`.

use crate::error::{DecodeError, EncodeError};
use crate::items::exact;
use crate::wire::{Reader, Writer};

/// The body of GET_ASYNC_REPLY and SET_ASYNC. Each mask pair is
/// `[master/equal role, slave role]`; bit `n` enables reason `n`
/// (`OFPR_*`, `OFPPR_*`, `OFPRR_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AsyncConfig {
    /// `OFPR_*` packet-in reasons wanted.
    pub packet_in_mask: [u32; 2],
    /// `OFPPR_*` port-status reasons wanted.
    pub port_status_mask: [u32; 2],
    /// `OFPRR_*` flow-removed reasons wanted.
    pub flow_removed_mask: [u32; 2],
}

impl AsyncConfig {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        exact(r, "ofp_async_config", 24)?;
        let mut pair = |what| -> Result<[u32; 2], DecodeError> { Ok([r.u32(what)?, r.u32(what)?]) };
        Ok(AsyncConfig {
            packet_in_mask: pair("ofp_async_config.packet_in_mask")?,
            port_status_mask: pair("ofp_async_config.port_status_mask")?,
            flow_removed_mask: pair("ofp_async_config.flow_removed_mask")?,
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        for m in [
            self.packet_in_mask,
            self.port_status_mask,
            self.flow_removed_mask,
        ] {
            w.u32(m[0]);
            w.u32(m[1]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    #[test]
    fn golden() {
        let c = AsyncConfig {
            packet_in_mask: [3, 0],
            port_status_mask: [7, 7],
            flow_removed_mask: [0xf, 0],
        };
        let mut v = Vec::new();
        c.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(
            v,
            [
                0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 7, 0, 0, 0, 0xf, 0, 0, 0, 0
            ]
        );
        assert_eq!(
            AsyncConfig::decode_body(&mut Reader::with_base(&v, 8)),
            Ok(c)
        );
    }

    #[test]
    fn ryu_vectors() {
        body_round_trip(
            "4-43-ofp_get_async_reply.packet",
            27,
            AsyncConfig::decode_body,
            AsyncConfig::encode_body,
        );
        body_round_trip(
            "4-44-ofp_set_async.packet",
            28,
            AsyncConfig::decode_body,
            AsyncConfig::encode_body,
        );
    }
}
