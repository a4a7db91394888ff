//! The ERROR a switch gets for a message the controller cannot take (OpenFlow 1.3.5 §7.4.4):
//! the request's xid, a type/code naming the problem, and the first 64 bytes of the message.

use flowfall_ofp::DecodeError;
use flowfall_ofp::error_msg::{
    BadActionCode, BadInstructionCode, BadMatchCode, BadRequestCode, ErrorCode,
};
use flowfall_ofp::header::{OFP_VERSION, OFPT_METER_MOD, msg_type_name};

/// The spec name of a raw message's type (`"FLOW_MOD"`), for logs.
pub(super) fn type_name(raw: &[u8]) -> &'static str {
    raw.get(1)
        .map_or("truncated message", |&t| msg_type_name(t))
}

/// `OFPET_BAD_REQUEST` / `OFPBRC_BAD_TYPE`: a message a switch must not send a controller.
pub(super) fn unexpected() -> ErrorCode {
    ErrorCode::BadRequest(BadRequestCode::BadType)
}

/// The xid and error code answering a message that failed to decode.
///
/// The header decides first: another version is `BAD_VERSION`, an undefined type
/// `BAD_TYPE`. Then the structure the decoder stopped in: matches give `OFPET_BAD_MATCH`,
/// actions `OFPET_BAD_ACTION`, instructions `OFPET_BAD_INSTRUCTION` (length problems as
/// `BAD_LEN`, values as the type's value code), everything else `BAD_REQUEST`/`BAD_LEN`.
pub(super) fn classify(raw: &[u8], err: &DecodeError) -> (u32, ErrorCode) {
    let xid = raw
        .get(4..8)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes);
    let version = raw.first().copied();
    let msg_type = raw.get(1).copied();
    if matches!(err, DecodeError::BadVersion { .. }) || version.is_some_and(|v| v != OFP_VERSION) {
        return (xid, ErrorCode::BadRequest(BadRequestCode::BadVersion));
    }
    if msg_type.is_some_and(|t| t > OFPT_METER_MOD) {
        return (xid, ErrorCode::BadRequest(BadRequestCode::BadType));
    }
    let (what, is_len) = match err {
        DecodeError::Truncated { what, .. } | DecodeError::BadLength { what, .. } => (*what, true),
        DecodeError::BadValue { field, .. } => (*field, false),
        _ => ("", true),
    };
    let code = if what.contains("match") || what.contains("oxm") {
        ErrorCode::BadMatch(if is_len {
            BadMatchCode::BadLen
        } else {
            BadMatchCode::BadValue
        })
    } else if what.contains("action") {
        ErrorCode::BadAction(if is_len {
            BadActionCode::BadLen
        } else {
            BadActionCode::BadArgument
        })
    } else if what.contains("instruction") {
        ErrorCode::BadInstruction(if is_len {
            BadInstructionCode::BadLen
        } else {
            BadInstructionCode::UnknownInst
        })
    } else if what.contains("multipart.type") {
        ErrorCode::BadRequest(BadRequestCode::BadMultipart)
    } else {
        ErrorCode::BadRequest(BadRequestCode::BadLen)
    };
    (xid, code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_ofp::message::OfMessage;

    fn classify_bytes(raw: &[u8]) -> (u32, ErrorCode) {
        let err = OfMessage::decode(raw).expect_err("must not decode");
        classify(raw, &err)
    }

    #[test]
    fn wrong_version_is_bad_version() {
        let (xid, code) = classify_bytes(&[1, 2, 0, 8, 0, 0, 0, 9]);
        assert_eq!(xid, 9);
        assert_eq!(code, ErrorCode::BadRequest(BadRequestCode::BadVersion));
    }

    #[test]
    fn short_body_is_bad_len() {
        // FEATURES_REPLY needs 24 more bytes.
        let (_, code) = classify_bytes(&[4, 6, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(code, ErrorCode::BadRequest(BadRequestCode::BadLen));
    }
}
