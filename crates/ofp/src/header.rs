//! `ofp_header` (OpenFlow 1.3.5 §7.1) and the `OFPT_*` message type numbers.

use crate::error::DecodeError;
use crate::wire::{Reader, Sink};

/// `OFP_VERSION`: the wire version of OpenFlow 1.3.
pub const OFP_VERSION: u8 = 0x04;
/// Bytes of `ofp_header`.
pub const OFP_HEADER_LEN: usize = 8;

/// `OFPT_HELLO`.
pub const OFPT_HELLO: u8 = 0;
/// `OFPT_ERROR`.
pub const OFPT_ERROR: u8 = 1;
/// `OFPT_ECHO_REQUEST`.
pub const OFPT_ECHO_REQUEST: u8 = 2;
/// `OFPT_ECHO_REPLY`.
pub const OFPT_ECHO_REPLY: u8 = 3;
/// `OFPT_EXPERIMENTER`.
pub const OFPT_EXPERIMENTER: u8 = 4;
/// `OFPT_FEATURES_REQUEST`.
pub const OFPT_FEATURES_REQUEST: u8 = 5;
/// `OFPT_FEATURES_REPLY`.
pub const OFPT_FEATURES_REPLY: u8 = 6;
/// `OFPT_GET_CONFIG_REQUEST`.
pub const OFPT_GET_CONFIG_REQUEST: u8 = 7;
/// `OFPT_GET_CONFIG_REPLY`.
pub const OFPT_GET_CONFIG_REPLY: u8 = 8;
/// `OFPT_SET_CONFIG`.
pub const OFPT_SET_CONFIG: u8 = 9;
/// `OFPT_PACKET_IN`.
pub const OFPT_PACKET_IN: u8 = 10;
/// `OFPT_FLOW_REMOVED`.
pub const OFPT_FLOW_REMOVED: u8 = 11;
/// `OFPT_PORT_STATUS`.
pub const OFPT_PORT_STATUS: u8 = 12;
/// `OFPT_PACKET_OUT`.
pub const OFPT_PACKET_OUT: u8 = 13;
/// `OFPT_FLOW_MOD`.
pub const OFPT_FLOW_MOD: u8 = 14;
/// `OFPT_GROUP_MOD`.
pub const OFPT_GROUP_MOD: u8 = 15;
/// `OFPT_PORT_MOD`.
pub const OFPT_PORT_MOD: u8 = 16;
/// `OFPT_TABLE_MOD`.
pub const OFPT_TABLE_MOD: u8 = 17;
/// `OFPT_MULTIPART_REQUEST`.
pub const OFPT_MULTIPART_REQUEST: u8 = 18;
/// `OFPT_MULTIPART_REPLY`.
pub const OFPT_MULTIPART_REPLY: u8 = 19;
/// `OFPT_BARRIER_REQUEST`.
pub const OFPT_BARRIER_REQUEST: u8 = 20;
/// `OFPT_BARRIER_REPLY`.
pub const OFPT_BARRIER_REPLY: u8 = 21;
/// `OFPT_QUEUE_GET_CONFIG_REQUEST`.
pub const OFPT_QUEUE_GET_CONFIG_REQUEST: u8 = 22;
/// `OFPT_QUEUE_GET_CONFIG_REPLY`.
pub const OFPT_QUEUE_GET_CONFIG_REPLY: u8 = 23;
/// `OFPT_ROLE_REQUEST`.
pub const OFPT_ROLE_REQUEST: u8 = 24;
/// `OFPT_ROLE_REPLY`.
pub const OFPT_ROLE_REPLY: u8 = 25;
/// `OFPT_GET_ASYNC_REQUEST`.
pub const OFPT_GET_ASYNC_REQUEST: u8 = 26;
/// `OFPT_GET_ASYNC_REPLY`.
pub const OFPT_GET_ASYNC_REPLY: u8 = 27;
/// `OFPT_SET_ASYNC`.
pub const OFPT_SET_ASYNC: u8 = 28;
/// `OFPT_METER_MOD`.
pub const OFPT_METER_MOD: u8 = 29;

/// The spec name of message type `t` without the `OFPT_` prefix (`"FLOW_MOD"`), or
/// `"UNKNOWN"`.
pub fn msg_type_name(t: u8) -> &'static str {
    const NAMES: [&str; 30] = [
        "HELLO",
        "ERROR",
        "ECHO_REQUEST",
        "ECHO_REPLY",
        "EXPERIMENTER",
        "FEATURES_REQUEST",
        "FEATURES_REPLY",
        "GET_CONFIG_REQUEST",
        "GET_CONFIG_REPLY",
        "SET_CONFIG",
        "PACKET_IN",
        "FLOW_REMOVED",
        "PORT_STATUS",
        "PACKET_OUT",
        "FLOW_MOD",
        "GROUP_MOD",
        "PORT_MOD",
        "TABLE_MOD",
        "MULTIPART_REQUEST",
        "MULTIPART_REPLY",
        "BARRIER_REQUEST",
        "BARRIER_REPLY",
        "QUEUE_GET_CONFIG_REQUEST",
        "QUEUE_GET_CONFIG_REPLY",
        "ROLE_REQUEST",
        "ROLE_REPLY",
        "GET_ASYNC_REQUEST",
        "GET_ASYNC_REPLY",
        "SET_ASYNC",
        "METER_MOD",
    ];
    NAMES.get(usize::from(t)).copied().unwrap_or("UNKNOWN")
}

/// A decoded `ofp_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Header {
    /// `version` (0x04 for OpenFlow 1.3).
    pub version: u8,
    /// `type` (`OFPT_*`).
    pub msg_type: u8,
    /// `length`: bytes of the whole message, header included.
    pub length: u16,
    /// Transaction id.
    pub xid: u32,
}

impl Header {
    /// Reads the header from the first 8 bytes of `buf` (no checks on the values; see
    /// [`crate::OfMessage::decode`] for those). Framers use it to learn a message's length.
    pub fn parse(buf: &[u8]) -> Result<Header, DecodeError> {
        Header::decode(&mut Reader::new(buf))
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Header, DecodeError> {
        Ok(Header {
            version: r.u8("ofp_header.version")?,
            msg_type: r.u8("ofp_header.type")?,
            length: r.u16("ofp_header.length")?,
            xid: r.u32("ofp_header.xid")?,
        })
    }

    /// Writes the 8 bytes with one append.
    #[inline]
    pub(crate) fn encode(&self, w: &mut impl Sink) {
        let [l0, l1] = self.length.to_be_bytes();
        let [x0, x1, x2, x3] = self.xid.to_be_bytes();
        w.bytes(&[self.version, self.msg_type, l0, l1, x0, x1, x2, x3]);
    }

    /// The message length as `usize`.
    pub fn message_len(&self) -> usize {
        usize::from(self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Writer;

    #[test]
    fn parse_and_encode() {
        let b = [4, 14, 0, 80, 0, 0, 0, 7, 0xaa];
        let h = Header::parse(&b).unwrap();
        assert_eq!(
            h,
            Header {
                version: 4,
                msg_type: OFPT_FLOW_MOD,
                length: 80,
                xid: 7
            }
        );
        let mut v = Vec::new();
        h.encode(&mut Writer::new(&mut v));
        assert_eq!(v, b[..8]);
        assert!(matches!(
            Header::parse(&b[..5]),
            Err(DecodeError::Truncated {
                what: "ofp_header.xid",
                offset: 4,
                ..
            })
        ));
    }

    #[test]
    fn names() {
        assert_eq!(msg_type_name(OFPT_FLOW_MOD), "FLOW_MOD");
        assert_eq!(msg_type_name(OFPT_METER_MOD), "METER_MOD");
        assert_eq!(msg_type_name(30), "UNKNOWN");
    }
}
