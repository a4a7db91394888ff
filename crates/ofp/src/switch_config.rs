//! `OFPT_GET_CONFIG_REPLY` / `OFPT_SET_CONFIG` (OpenFlow 1.3.5 §7.3.2): `ofp_switch_config`.

use crate::error::{DecodeError, EncodeError};
use crate::items::exact;
use crate::wire::{Reader, Writer};

/// `ofp_config_flags` values of [`SwitchConfig::flags`].
pub mod config_flags {
    /// `OFPC_FRAG_NORMAL`: no special handling of IP fragments.
    pub const FRAG_NORMAL: u16 = 0;
    /// `OFPC_FRAG_DROP`: drop fragments.
    pub const FRAG_DROP: u16 = 1;
    /// `OFPC_FRAG_REASM`: reassemble (only if `OFPC_IP_REASM` is set).
    pub const FRAG_REASM: u16 = 2;
    /// `OFPC_FRAG_MASK`.
    pub const FRAG_MASK: u16 = 3;
}

/// `OFPCML_MAX`: the largest `miss_send_len` that asks for buffering.
pub const OFPCML_MAX: u16 = 0xffe5;

/// The body of GET_CONFIG_REPLY and SET_CONFIG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SwitchConfig {
    /// `OFPC_*` flags, see [`config_flags`].
    pub flags: u16,
    /// Max bytes of a table-miss packet sent to the controller
    /// ([`crate::action::OFPCML_NO_BUFFER`] = whole packet, unbuffered).
    pub miss_send_len: u16,
}

impl SwitchConfig {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        exact(r, "ofp_switch_config", 4)?;
        Ok(SwitchConfig {
            flags: r.u16("ofp_switch_config.flags")?,
            miss_send_len: r.u16("ofp_switch_config.miss_send_len")?,
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u16(self.flags);
        w.u16(self.miss_send_len);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    #[test]
    fn golden_and_errors() {
        let c = SwitchConfig {
            flags: config_flags::FRAG_DROP,
            miss_send_len: 128,
        };
        let mut v = Vec::new();
        c.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, [0, 1, 0, 128]);
        assert_eq!(
            SwitchConfig::decode_body(&mut Reader::with_base(&v, 8)),
            Ok(c)
        );
        let long = [0, 1, 0, 128, 0];
        assert!(matches!(
            SwitchConfig::decode_body(&mut Reader::with_base(&long, 8)),
            Err(DecodeError::BadLength {
                offset: 8,
                found: 5,
                ..
            })
        ));
    }

    #[test]
    fn ryu_vectors() {
        for (name, t) in [
            ("4-7-ofp_set_config.packet", 9),
            ("4-9-ofp_get_config_reply.packet", 8),
            ("libofproto-OFP13-get_config_reply.packet", 8),
            ("libofproto-OFP13-set_config.packet", 9),
        ] {
            body_round_trip(
                name,
                t,
                SwitchConfig::decode_body,
                SwitchConfig::encode_body,
            );
        }
    }
}
