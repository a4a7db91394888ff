//! # flowfall-ofp: an OpenFlow 1.3.5 wire codec
//!
//! Encode and decode every OpenFlow 1.3.5 message ([`OfMessage`] / [`Message`]), with
//! typed OXM match fields ([`Oxm`], all 40 basic fields with masks where the spec allows
//! them), actions ([`Action`]), instructions ([`Instruction`]), multipart bodies, ports,
//! groups, meters and queues.
//!
//! * **Lossless.** Unknown or experimenter items at every level (message type, OXM class
//!   or field, action, instruction, hello element, error type, multipart type, ...) decode
//!   into a raw variant and re-encode byte for byte; Nicira (0x2320) actions and NXM
//!   fields round-trip this way. Padding is the only thing re-encoded as zero.
//! * **Panic-free.** Every length is checked against the bytes present; errors
//!   ([`DecodeError`]) name the structure, what was expected, what was found and the
//!   absolute byte offset in the message. Nothing allocates more than the input holds.
//! * **Computed lengths.** Length fields are never filled by hand: [`OfMessage::encode`]
//!   writes them (and zero padding).
//! * **Borrowed views.** [`packet_in::PacketInRef`] and [`packet_out::PacketOutRef`] keep
//!   the packet in the message buffer; [`FlowModRef`] decodes a FLOW_MOD without
//!   allocating, checking it all up front and decoding the match, instructions and actions
//!   as they are iterated, with the same per-item parsers as the owned decoder.
//! * **Validation apart from decoding.** [`validate`] checks OXM prerequisites,
//!   duplicate fields and instructions, masks, set-field rules and non-zero padding, and
//!   maps each problem to the ERROR `(type, code)` the spec prescribes
//!   ([`error_msg::ErrorCode`]), ready for a reply carrying the first 64 bytes of the
//!   request.
//!
//! ## Quick start
//!
//! ```
//! use flowfall_ofp::{Action, FlowMod, Instruction, Match, Message, OfMessage, Oxm};
//! use std::net::Ipv4Addr;
//!
//! // table 0, priority 100: IPv4 to 10.0.0.0/8 goes out of port 2.
//! let flow = FlowMod::add(
//!     0,
//!     100,
//!     Match::new()
//!         .with(Oxm::EthType(0x0800))
//!         .with(Oxm::Ipv4Dst(Ipv4Addr::new(10, 0, 0, 0), Some(Ipv4Addr::new(255, 0, 0, 0)))),
//!     vec![Instruction::ApplyActions(vec![Action::output(2)])],
//! );
//! let msg = OfMessage::new(42, Message::FlowMod(flow));
//!
//! let bytes = msg.to_vec()?;
//! assert_eq!(bytes[0], 0x04); // OpenFlow 1.3
//! assert_eq!(usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), bytes.len());
//!
//! let back = OfMessage::decode(&bytes)?;
//! assert_eq!(back, msg);
//! assert!(flowfall_ofp::validate::validate(&back).is_empty());
//! assert_eq!(
//!     back.to_string(),
//!     "xid=42 FLOW_MOD add table=0 priority=100 cookie=0x0 \
//!      match=eth_type=0x0800,ipv4_dst=10.0.0.0/255.0.0.0 instructions=apply_actions(output:2)"
//! );
//!
//! // A truncated message is an error with the offset, never a panic.
//! let err = OfMessage::decode(&bytes[..20]).unwrap_err();
//! assert_eq!(err.offset(), 0); // the header promises more bytes than given
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Streams are split into messages by [`framer`] (and `tokio_codec` with the `tokio`
//! feature). The `serde` feature derives `Serialize`/`Deserialize` and the `arbitrary`
//! feature derives `arbitrary::Arbitrary` on every public type.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod action;
pub mod async_config;
pub mod error;
pub mod error_msg;
pub mod experimenter;
pub mod features;
pub mod fixed_str;
pub mod flow_match;
pub mod flow_mod;
pub mod flow_removed;
pub mod framer;
pub mod group;
pub mod header;
pub mod hello;
pub mod instruction;
mod items;
pub mod mac;
pub mod message;
pub mod meter;
pub mod multipart;
pub mod oxm;
pub mod packet_in;
pub mod packet_out;
pub mod port;
pub mod queue;
pub mod role;
#[cfg(test)]
mod ryu_vectors;
#[cfg(test)]
pub(crate) mod strategies;
pub mod switch_config;
pub mod table_features;
pub mod table_mod;
mod tlv;
#[cfg(feature = "tokio")]
pub mod tokio_codec;
pub mod validate;
pub mod wire;
mod wire_enum;

pub use action::Action;
pub use error::{DecodeError, EncodeError};
pub use error_msg::{ErrorCode, ErrorMsg, ErrorType};
pub use flow_match::Match;
pub use flow_mod::{FlowMod, FlowModCommand, FlowModParts, FlowModRef};
pub use group::GroupMod;
pub use header::{Header, OFP_VERSION};
pub use hello::Hello;
pub use instruction::Instruction;
pub use mac::MacAddr;
pub use message::{Message, OfMessage};
pub use meter::MeterMod;
pub use multipart::{MultipartReply, MultipartRequest};
pub use oxm::{Oxm, RawOxm};
pub use port::{Port, PortMod, PortStatus};
pub use queue::{QueueGetConfigReply, QueueGetConfigRequest};
pub use validate::Problem;
