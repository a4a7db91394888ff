//! Deterministic VM selection for FlowFall service chains.
//!
//! FlowFall (paper §4.2; architecture §3) sends a customer's traffic through one VM of each VNF
//! layer it subscribes to, chosen by hashing the customer's address over the layer's live VMs.
//! Both directions of a flow and every controller replica must make the same choice, so a
//! choice here is a **pure function of (key, member set)**: no state carried between calls
//! (the 2015 original's MD5 object accumulated earlier keys, so its answer depended on
//! packet-in order), no per-process hash seeds, no dependence on the order members are listed.
//!
//! - [`Key`]: the address or prefix being placed; for an address, the hashed bytes are exactly
//!   its 4 or 16 network-order bytes.
//! - [`Member`]: a VM (or hardware box) with a stable `id` and a relative `weight`.
//! - [`Algorithm`] (`"md5mod"`, `"rendezvous"`, `"maglev"` in configuration) builds a
//!   [`Selector`]: [`Md5Mod`] (the paper's MD5 modulo N), [`Rendezvous`] (highest random
//!   weight) or [`Maglev`] (lookup table). The last two are consistent: when one of N members
//!   leaves, only about 1/N of the keys move, against about (N−1)/N for Md5Mod.
//!
//! ```
//! use flowfall_select::{Algorithm, Key, Member, Selector};
//! use std::net::Ipv4Addr;
//!
//! // A layer: eleven VMs and a hardware box ten times their size.
//! let mut layer: Vec<Member> = (1..=11).map(|id| Member::new(id, 1)).collect();
//! layer.push(Member::new(100, 10));
//!
//! let key = Key::from(Ipv4Addr::new(192, 0, 2, 7));
//! let selector = Algorithm::Rendezvous.build(&layer)?;
//! let vm = selector.select_member(&key).expect("the layer has members").id;
//!
//! // Same answer when rebuilt from the same VMs listed in another order (another replica).
//! layer.reverse();
//! let replica = Algorithm::Rendezvous.build(&layer)?;
//! assert_eq!(replica.select_member(&key).map(|m| m.id), Some(vm));
//!
//! // Another VM goes down: this key stays where it was.
//! let down = if vm == 1 { 2 } else { 1 };
//! let survivors: Vec<Member> = layer.iter().copied().filter(|m| m.id != down).collect();
//! let after = Algorithm::Rendezvous.build(&survivors)?;
//! assert_eq!(after.select_member(&key).map(|m| m.id), Some(vm));
//!
//! // The paper's rule: MD5(0a 00 00 01) as a big-endian integer, modulo 12, indexes the
//! // members in id order (12 equal members with ids 0..12: the answer is id 11).
//! let twelve: Vec<Member> = (0..12).map(|id| Member::new(id, 1)).collect();
//! let md5 = Algorithm::Md5Mod.build(&twelve)?;
//! assert_eq!(md5.select_member(&Key::from(Ipv4Addr::new(10, 0, 0, 1))).map(|m| m.id), Some(11));
//!
//! // No live VM: no choice (the compiler then uses the bypass or drops), not a panic.
//! assert_eq!(Algorithm::Maglev.build(&[])?.select(&key), None);
//! # Ok::<(), flowfall_select::SelectError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod algorithm;
pub mod error;
pub mod hash;
pub mod key;
pub mod maglev;
pub mod md5mod;
pub mod member;
pub mod metrics;
pub mod rendezvous;

pub use algorithm::{Algorithm, AnySelector};
pub use error::{KeyError, SelectError, UnknownAlgorithm};
pub use key::Key;
pub use maglev::Maglev;
pub use md5mod::Md5Mod;
pub use member::{MAX_MEMBERS, Member};
pub use rendezvous::Rendezvous;

/// Runs the README's example as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Chooses one member of a layer for a key.
///
/// Implementations are built once from a member list (precomputing what selection needs) and
/// then answer `select` cheaply and without side effects: the same key always gets the same
/// answer from the same members, whatever was asked before.
pub trait Selector {
    /// The algorithm this selector implements.
    fn algorithm(&self) -> Algorithm;

    /// The members, in the order they were given at build time.
    fn members(&self) -> &[Member];

    /// The position in [`members`](Selector::members) of the member chosen for `key`, or
    /// `None` when there are no members.
    fn select(&self, key: &Key) -> Option<usize>;

    /// The member chosen for `key`, or `None` when there are no members.
    fn select_member(&self, key: &Key) -> Option<&Member> {
        self.select(key).and_then(|i| self.members().get(i))
    }
}
