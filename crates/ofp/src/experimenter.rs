//! `OFPT_EXPERIMENTER` (OpenFlow 1.3.5 §7.5.4): `ofp_experimenter_header` plus opaque data.

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, Writer};

/// The body of an `OFPT_EXPERIMENTER` message, kept byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ExperimenterMsg {
    /// Experimenter id (e.g. [`crate::action::NX_EXPERIMENTER_ID`]).
    pub experimenter: u32,
    /// Experimenter-defined type.
    pub exp_type: u32,
    /// Experimenter-defined data.
    pub data: Vec<u8>,
}

impl ExperimenterMsg {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ExperimenterMsg {
            experimenter: r.u32("ofp_experimenter_header.experimenter")?,
            exp_type: r.u32("ofp_experimenter_header.exp_type")?,
            data: r.take_rest().to_vec(),
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u32(self.experimenter);
        w.u32(self.exp_type);
        w.bytes(&self.data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    #[test]
    fn golden_and_truncation() {
        let b = [0, 0, 0x23, 0x20, 0, 0, 0, 1, 9];
        let m = ExperimenterMsg::decode_body(&mut Reader::with_base(&b, 8)).unwrap();
        assert_eq!(
            m,
            ExperimenterMsg {
                experimenter: 0x2320,
                exp_type: 1,
                data: vec![9]
            }
        );
        let mut v = Vec::new();
        m.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, b);
        assert!(matches!(
            ExperimenterMsg::decode_body(&mut Reader::with_base(&b[..6], 8)),
            Err(DecodeError::Truncated { offset: 12, .. })
        ));
    }

    #[test]
    fn ryu_vector() {
        if let Some(m) = body_round_trip(
            "4-16-ofp_experimenter.packet",
            4,
            ExperimenterMsg::decode_body,
            ExperimenterMsg::encode_body,
        ) {
            assert_eq!((m.experimenter, m.exp_type), (98_765_432, 123_456_789));
        }
    }
}
