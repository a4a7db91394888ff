//! `ofp_match` (OpenFlow 1.3.5 §7.2.2): the OXM match structure.

use crate::Oxm;

/// `OFPMT_OXM`, the only match type OpenFlow 1.3 defines for use.
pub const OFPMT_OXM: u16 = 1;

/// A flow match: an ordered list of OXM TLVs (`ofp_match` with `type = OFPMT_OXM`).
///
/// The order of `fields` is kept on decode and used on encode, so messages round-trip
/// byte for byte. An empty list matches every packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Match {
    /// The OXM TLVs, in wire order.
    pub fields: Vec<Oxm>,
}

impl Match {
    /// A match on every packet.
    pub fn new() -> Self {
        Match::default()
    }

    /// Builder: append one OXM TLV.
    pub fn with(mut self, oxm: Oxm) -> Self {
        self.fields.push(oxm);
        self
    }
}

impl From<Vec<Oxm>> for Match {
    fn from(fields: Vec<Oxm>) -> Self {
        Match { fields }
    }
}
