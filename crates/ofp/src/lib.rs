//! # flowfall-ofp: an OpenFlow 1.3.5 wire codec
//!
//! (Crate documentation is being written; see the module docs.)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod action;
pub mod error;
pub mod flow_match;
pub mod flow_mod;
pub mod instruction;
pub mod mac;
pub mod oxm;
pub mod wire;

pub use action::Action;
pub use error::{DecodeError, EncodeError};
pub use flow_match::Match;
pub use flow_mod::{FlowMod, FlowModCommand};
pub use instruction::Instruction;
pub use mac::MacAddr;
pub use oxm::{Oxm, RawOxm};
