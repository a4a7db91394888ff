//! `OFPT_TABLE_MOD` (OpenFlow 1.3.5 §7.3.3): `ofp_table_mod`.

use crate::error::{DecodeError, EncodeError};
use crate::items::exact;
use crate::wire::{Reader, Writer};

/// `OFPTC_DEPRECATED_MASK`: the only `config` bits OpenFlow 1.3 defines (deprecated).
pub const OFPTC_DEPRECATED_MASK: u32 = 3;

/// The body of an `OFPT_TABLE_MOD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TableMod {
    /// Table to configure, or [`crate::flow_mod::OFPTT_ALL`].
    pub table_id: u8,
    /// `OFPTC_*` bitmap.
    pub config: u32,
}

impl TableMod {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        exact(r, "ofp_table_mod", 8)?;
        let table_id = r.u8("ofp_table_mod.table_id")?;
        r.skip("ofp_table_mod.pad", 3)?;
        Ok(TableMod {
            table_id,
            config: r.u32("ofp_table_mod.config")?,
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u8(self.table_id);
        w.pad("ofp_table_mod.pad", 3);
        w.u32(self.config);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    #[test]
    fn golden() {
        let t = TableMod {
            table_id: 0xff,
            config: 3,
        };
        let b = [0xff, 0, 0, 0, 0, 0, 0, 3];
        let mut v = Vec::new();
        t.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, b);
        assert_eq!(TableMod::decode_body(&mut Reader::with_base(&b, 8)), Ok(t));
        assert!(matches!(
            TableMod::decode_body(&mut Reader::with_base(&b[..7], 8)),
            Err(DecodeError::Truncated {
                offset: 8,
                needed: 8,
                available: 7,
                ..
            })
        ));
    }

    #[test]
    fn ryu_vectors() {
        for name in [
            "4-23-ofp_table_mod.packet",
            "libofproto-OFP13-table_mod.packet",
        ] {
            body_round_trip(name, 17, TableMod::decode_body, TableMod::encode_body);
        }
    }
}
