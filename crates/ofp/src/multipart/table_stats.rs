//! `ofp_table_stats` (OpenFlow 1.3.5 §7.3.5.4): entries of an `OFPMP_TABLE` reply.

use crate::error::DecodeError;
use crate::wire::{Reader, Writer};
use std::fmt;

/// Size of `ofp_table_stats`.
pub const OFP_TABLE_STATS_LEN: usize = 24;

/// `ofp_table_stats` (§7.3.5.4): counters of one flow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TableStats {
    /// Table number.
    pub table_id: u8,
    /// Active entries.
    pub active_count: u32,
    /// Packets looked up in the table.
    pub lookup_count: u64,
    /// Packets that hit the table.
    pub matched_count: u64,
}

impl TableStats {
    /// Decode one 24-byte entry.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut t = r.sub("ofp_table_stats", OFP_TABLE_STATS_LEN)?;
        let table_id = t.u8("ofp_table_stats.table_id")?;
        t.skip("ofp_table_stats.pad", 3)?;
        Ok(TableStats {
            table_id,
            active_count: t.u32("ofp_table_stats.active_count")?,
            lookup_count: t.u64("ofp_table_stats.lookup_count")?,
            matched_count: t.u64("ofp_table_stats.matched_count")?,
        })
    }

    /// Encode the entry.
    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u8(self.table_id);
        w.pad("ofp_table_stats.pad", 3);
        w.u32(self.active_count);
        w.u64(self.lookup_count);
        w.u64(self.matched_count);
    }
}

impl fmt::Display for TableStats {
    /// `table=0 active=4 lookup=4 matched=4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "table={} active={} lookup={} matched={}",
            self.table_id, self.active_count, self.lookup_count, self.matched_count
        )
    }
}

/// Proptest generator.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn arb_table_stats() -> impl Strategy<Value = TableStats> {
        (any::<u8>(), any::<u32>(), any::<[u64; 2]>()).prop_map(|(table_id, active_count, c)| {
            TableStats {
                table_id,
                active_count,
                lookup_count: c[0],
                matched_count: c[1],
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::{decodable_prefixes, decode_at8, encode_vec};

    #[test]
    fn golden_entry() {
        let t = TableStats {
            table_id: 1,
            active_count: 2,
            lookup_count: 3,
            matched_count: 4,
        };
        let bytes = encode_vec(&t, |t, w| {
            t.encode(w);
            Ok(())
        })
        .unwrap();
        #[rustfmt::skip]
        assert_eq!(bytes, [
            1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4,
        ]);
        assert_eq!(decode_at8(&bytes, TableStats::decode).unwrap(), t);
        assert!(decodable_prefixes(&bytes, TableStats::decode).is_empty());
    }
}
