//! # flowfall-tos
//!
//! FlowFall's service identifier (paper section 4.2): each customer picks a set of VNF layers,
//! and the CPE writes that set as a bitmap into the IPv4 ToS / IPv6 Traffic Class byte of every
//! packet. This crate holds the three pieces that turn "firewall and DDoS protection" into a
//! byte and an OpenFlow match, and back:
//!
//! - [`ServiceSet`]: a set of layer indices (a `u64` bitmap), the form the rest of FlowFall
//!   works with;
//! - [`Encoding`]: where service bits go in the byte. [`Encoding::Dscp`] (default) uses the
//!   6 DSCP bits and leaves ECN alone, so at most 6 layers; [`Encoding::Tos8`] uses the whole
//!   byte like the paper (8 layers) and is unsafe wherever ECN is in use (routers rewrite the
//!   two ECN bits);
//! - [`Catalogue`]: service names in chain order, each on a configurable bit position.
//!
//! Bit numbering: bit `n` of a byte has value `1 << n`. Service bit `p` is DSCP bit `p`
//! (ToS bit `p + 2`) under DSCP, ToS bit `p` under Tos8. The ShowNet 2015 deployment marked
//! its three layers on ToS bits 3..=5 (`0x08`, `0x10`, `0x20`); under DSCP those are service
//! bits 1..=3 and produce byte-identical markings with ECN left free
//! ([`Catalogue::shownet2015`]).
//!
//! ```
//! use flowfall_tos::{Catalogue, Encoding, TosMatch};
//!
//! // Three layers on the 2015 deployment's ToS bits 3..5.
//! let cat = Catalogue::new(Encoding::Dscp, [("app-analysis", 1), ("firewall", 2), ("ddos", 3)])?;
//!
//! // A customer who chose the firewall and DDoS protection:
//! let set = cat.set_from_names(["firewall", "ddos"])?;
//! let tos = cat.encode(set)?;
//! assert_eq!(tos, 0x30);
//!
//! // The OpenFlow 1.3 match that selects that customer's packets (ECN not matched):
//! assert_eq!(cat.encoding().match_fields(tos), TosMatch { ip_dscp: 0x0c, ip_ecn: None });
//!
//! // A packet marked CE by a congested router still maps to the same services.
//! assert_eq!(cat.decode(tos | 0b11), set);
//! assert!(set.contains(cat.layer_of("ddos").unwrap_or(usize::MAX)));
//!
//! // Seven layers do not fit six DSCP bits.
//! let seven = (0..7).map(|i| (format!("l{i}"), i));
//! assert!(Catalogue::new(Encoding::Dscp, seven).is_err());
//! # Ok::<(), flowfall_tos::TosError>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// The README's examples, compiled as doctests so they stay correct.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod catalogue;
mod encoding;
mod error;
mod service_set;

pub use catalogue::{Catalogue, Service};
pub use encoding::{Encoding, TosMatch};
pub use error::TosError;
pub use service_set::{Iter, ServiceSet};
