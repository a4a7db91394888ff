//! `OFPT_ROLE_REQUEST` / `OFPT_ROLE_REPLY` (OpenFlow 1.3.5 §7.3.9): `ofp_role_request`.

use crate::error::{DecodeError, EncodeError};
use crate::items::exact;
use crate::wire::{Reader, Writer};
use crate::wire_enum::wire_enum;

wire_enum! {
    /// `ofp_controller_role`.
    pub enum ControllerRole: u32 {
        /// `OFPCR_ROLE_NOCHANGE`: don't change the role (query it).
        NoChange = 0 => "no_change",
        /// `OFPCR_ROLE_EQUAL`: full access, at most one master.
        Equal = 1 => "equal",
        /// `OFPCR_ROLE_MASTER`: full access, at most one master.
        Master = 2 => "master",
        /// `OFPCR_ROLE_SLAVE`: read-only access.
        Slave = 3 => "slave",
    }
}

/// The body of ROLE_REQUEST and ROLE_REPLY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct RoleMessage {
    /// The role asked for (request) or held (reply).
    pub role: ControllerRole,
    /// Master election generation id (ignored for `Equal` and `NoChange`).
    pub generation_id: u64,
}

impl RoleMessage {
    pub(crate) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        exact(r, "ofp_role_request", 16)?;
        let role = ControllerRole::from_wire(r.u32("ofp_role_request.role")?);
        r.skip("ofp_role_request.pad", 4)?;
        Ok(RoleMessage {
            role,
            generation_id: r.u64("ofp_role_request.generation_id")?,
        })
    }

    pub(crate) fn encode_body(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u32(self.role.to_wire());
        w.pad("ofp_role_request.pad", 4);
        w.u64(self.generation_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::body_round_trip;

    #[test]
    fn golden() {
        let m = RoleMessage {
            role: ControllerRole::Master,
            generation_id: 17,
        };
        let b = [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17];
        let mut v = Vec::new();
        m.encode_body(&mut Writer::new(&mut v)).unwrap();
        assert_eq!(v, b);
        assert_eq!(
            RoleMessage::decode_body(&mut Reader::with_base(&b, 8)),
            Ok(m)
        );
        let odd = [0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let m = RoleMessage::decode_body(&mut Reader::with_base(&odd, 8)).unwrap();
        assert_eq!(m.role, ControllerRole::Unknown(9));
    }

    #[test]
    fn ryu_vectors() {
        body_round_trip(
            "4-19-ofp_role_request.packet",
            24,
            RoleMessage::decode_body,
            RoleMessage::encode_body,
        );
        body_round_trip(
            "4-20-ofp_role_reply.packet",
            25,
            RoleMessage::decode_body,
            RoleMessage::encode_body,
        );
    }
}
