//! Bundles on OpenFlow 1.3: the ONF extension EXT-230 (Open vSwitch implements it, and
//! `ovs-ofctl --bundle` uses it on 1.3), carrying OpenFlow 1.4's `ofp_bundle_ctrl_msg` and
//! `ofp_bundle_add_msg` (OpenFlow 1.4.0 §7.3.9) in EXPERIMENTER messages of the ONF
//! experimenter id. A bundle applies its messages all at once on commit, which lets the
//! switch update its tables once instead of once per FLOW_MOD.

use flowfall_ofp::experimenter::ExperimenterMsg;
use flowfall_ofp::{EncodeError, Message, OfMessage};

/// The ONF experimenter id (`ONF_EXPERIMENTER_ID`).
pub const ONF_EXPERIMENTER_ID: u32 = 0x4f4e_4600;
/// `ONF_ET_BUNDLE_CONTROL`.
pub const ONF_ET_BUNDLE_CONTROL: u32 = 2300;
/// `ONF_ET_BUNDLE_ADD_MESSAGE`.
pub const ONF_ET_BUNDLE_ADD_MESSAGE: u32 = 2301;
/// `OFPBF_ATOMIC`: all or nothing.
pub const OFPBF_ATOMIC: u16 = 1 << 0;
/// `OFPBF_ORDERED`: apply in order.
pub const OFPBF_ORDERED: u16 = 1 << 1;

/// `ofp_bundle_ctrl_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleCtrlType {
    /// `OFPBCT_OPEN_REQUEST`.
    OpenRequest,
    /// `OFPBCT_OPEN_REPLY`.
    OpenReply,
    /// `OFPBCT_CLOSE_REQUEST`.
    CloseRequest,
    /// `OFPBCT_CLOSE_REPLY`.
    CloseReply,
    /// `OFPBCT_COMMIT_REQUEST`.
    CommitRequest,
    /// `OFPBCT_COMMIT_REPLY`.
    CommitReply,
    /// `OFPBCT_DISCARD_REQUEST`.
    DiscardRequest,
    /// `OFPBCT_DISCARD_REPLY`.
    DiscardReply,
    /// Any other value.
    Unknown(u16),
}

impl BundleCtrlType {
    /// Wire value.
    pub fn to_wire(self) -> u16 {
        match self {
            BundleCtrlType::OpenRequest => 0,
            BundleCtrlType::OpenReply => 1,
            BundleCtrlType::CloseRequest => 2,
            BundleCtrlType::CloseReply => 3,
            BundleCtrlType::CommitRequest => 4,
            BundleCtrlType::CommitReply => 5,
            BundleCtrlType::DiscardRequest => 6,
            BundleCtrlType::DiscardReply => 7,
            BundleCtrlType::Unknown(v) => v,
        }
    }

    /// From the wire value.
    pub fn from_wire(v: u16) -> BundleCtrlType {
        match v {
            0 => BundleCtrlType::OpenRequest,
            1 => BundleCtrlType::OpenReply,
            2 => BundleCtrlType::CloseRequest,
            3 => BundleCtrlType::CloseReply,
            4 => BundleCtrlType::CommitRequest,
            5 => BundleCtrlType::CommitReply,
            6 => BundleCtrlType::DiscardRequest,
            7 => BundleCtrlType::DiscardReply,
            v => BundleCtrlType::Unknown(v),
        }
    }
}

/// A bundle control message (`ofp_bundle_ctrl_msg` without properties).
pub fn control(xid: u32, bundle_id: u32, kind: BundleCtrlType, flags: u16) -> OfMessage {
    let mut data = Vec::with_capacity(8);
    data.extend_from_slice(&bundle_id.to_be_bytes());
    data.extend_from_slice(&kind.to_wire().to_be_bytes());
    data.extend_from_slice(&flags.to_be_bytes());
    OfMessage {
        xid,
        msg: Message::Experimenter(ExperimenterMsg {
            experimenter: ONF_EXPERIMENTER_ID,
            exp_type: ONF_ET_BUNDLE_CONTROL,
            data,
        }),
    }
}

/// Appends a bundle add message carrying `inner` to `out`; the outer xid is the inner
/// message's, as the specification requires.
pub fn encode_add(
    bundle_id: u32,
    flags: u16,
    inner: &OfMessage,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let mut data = Vec::with_capacity(128);
    data.extend_from_slice(&bundle_id.to_be_bytes());
    data.extend_from_slice(&[0, 0]);
    data.extend_from_slice(&flags.to_be_bytes());
    inner.encode(&mut data)?;
    OfMessage {
        xid: inner.xid,
        msg: Message::Experimenter(ExperimenterMsg {
            experimenter: ONF_EXPERIMENTER_ID,
            exp_type: ONF_ET_BUNDLE_ADD_MESSAGE,
            data,
        }),
    }
    .encode(out)
}

/// If `msg` is a bundle control message: its bundle id and type.
pub fn parse_control(msg: &Message) -> Option<(u32, BundleCtrlType)> {
    match msg {
        Message::Experimenter(e)
            if e.experimenter == ONF_EXPERIMENTER_ID && e.exp_type == ONF_ET_BUNDLE_CONTROL =>
        {
            let id = e.data.get(0..4)?.try_into().ok().map(u32::from_be_bytes)?;
            let kind = e.data.get(4..6)?.try_into().ok().map(u16::from_be_bytes)?;
            Some((id, BundleCtrlType::from_wire(kind)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_ofp::{FlowMod, Match};

    #[test]
    fn control_round_trips_and_has_the_onf_layout() {
        let m = control(
            9,
            7,
            BundleCtrlType::CommitRequest,
            OFPBF_ATOMIC | OFPBF_ORDERED,
        );
        let bytes = m.to_vec().unwrap();
        // header(8) experimenter(4) exp_type(4) bundle_id(4) type(2) flags(2)
        assert_eq!(bytes.len(), 24);
        assert_eq!(&bytes[8..12], &ONF_EXPERIMENTER_ID.to_be_bytes());
        assert_eq!(&bytes[12..16], &2300u32.to_be_bytes());
        assert_eq!(&bytes[16..24], &[0, 0, 0, 7, 0, 4, 0, 3]);
        let back = OfMessage::decode(&bytes).unwrap();
        assert_eq!(
            parse_control(&back.msg),
            Some((7, BundleCtrlType::CommitRequest))
        );
        for v in 0..10 {
            assert_eq!(BundleCtrlType::from_wire(v).to_wire(), v);
        }
    }

    #[test]
    fn add_wraps_the_inner_message_with_its_xid() {
        let inner = OfMessage {
            xid: 42,
            msg: Message::FlowMod(FlowMod::add(0, 1, Match::new(), vec![])),
        };
        let inner_bytes = inner.to_vec().unwrap();
        let mut out = Vec::new();
        encode_add(3, OFPBF_ATOMIC, &inner, &mut out).unwrap();
        assert_eq!(&out[4..8], &42u32.to_be_bytes());
        assert_eq!(&out[12..16], &2301u32.to_be_bytes());
        assert_eq!(&out[16..24], &[0, 0, 0, 3, 0, 0, 0, 1]);
        assert_eq!(&out[24..], &inner_bytes[..]);
        assert_eq!(parse_control(&OfMessage::decode(&out).unwrap().msg), None);
    }
}
