//! Typed errors: building a selector from a member list, and parsing keys and algorithm names.

use thiserror::Error;

/// Why a member list was rejected by [`Algorithm::build`](crate::Algorithm::build) or one of the
/// selector constructors.
///
/// An *empty* member list is not an error: the selector is built and every selection answers
/// `None` (a layer whose VMs are all down).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectError {
    /// A member has weight 0. A member that must take no keys is left out of the list instead.
    #[error("members[{index}].weight: expected at least 1, found 0 (member id {id})")]
    ZeroWeight {
        /// Position of the member in the list given.
        index: usize,
        /// The member's id.
        id: u64,
    },
    /// Two members share one id; ids are the stable identity the hashes are computed from.
    #[error(
        "members[{second}].id: expected a unique id, found {id} already used by members[{first}]"
    )]
    DuplicateId {
        /// The repeated id.
        id: u64,
        /// Position of the first member with this id.
        first: usize,
        /// Position of the second member with this id.
        second: usize,
    },
    /// More members than [`MAX_MEMBERS`](crate::MAX_MEMBERS).
    #[error("members: expected at most {max} members, found {found}")]
    TooManyMembers {
        /// Number of members given.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// The weights are too fine-grained for the largest Maglev table: Maglev keeps at least
    /// [`SLOTS_PER_WEIGHT_UNIT`](crate::maglev::SLOTS_PER_WEIGHT_UNIT) slots per weight unit
    /// (weights divided by their greatest common divisor, summed).
    #[error(
        "members[].weight: expected at most {max_units} Maglev weight units (sum of weights \
         divided by their gcd), found {units}"
    )]
    WeightsTooFine {
        /// Weight units the member list needs.
        units: u64,
        /// Most weight units the largest table supports.
        max_units: u64,
    },
}

/// Why a text could not be turned into a [`Key`](crate::Key) or a prefix length was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The prefix length exceeds the address width (32 for IPv4, 128 for IPv6).
    #[error("prefix length: expected at most {max} for {family}, found {found}")]
    PrefixTooLong {
        /// `"IPv4"` or `"IPv6"`.
        family: &'static str,
        /// The prefix length given.
        found: u8,
        /// The address width.
        max: u8,
    },
    /// The text before `/` is not an IPv4 or IPv6 address.
    #[error("key address: expected an IPv4 or IPv6 address, found {found:?}")]
    InvalidAddress {
        /// The offending text (at most 64 characters of it).
        found: String,
    },
    /// The text after `/` is not a decimal number 0..=255.
    #[error(
        "key prefix length: expected a decimal number after '/' at byte {offset}, found {found:?}"
    )]
    InvalidPrefixLength {
        /// Byte offset of the prefix length in the input.
        offset: usize,
        /// The offending text (at most 64 characters of it).
        found: String,
    },
}

/// A name that is none of `md5mod`, `rendezvous`, `maglev`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("algorithm: expected one of \"md5mod\", \"rendezvous\", \"maglev\", found {found:?}")]
pub struct UnknownAlgorithm {
    /// The offending text (at most 64 characters of it).
    pub found: String,
}

/// Copies at most 64 characters of untrusted text into an error, so that an error never holds
/// an unbounded copy of its input.
pub(crate) fn excerpt(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_field_expected_and_found() {
        let e = SelectError::ZeroWeight { index: 3, id: 42 };
        assert_eq!(
            e.to_string(),
            "members[3].weight: expected at least 1, found 0 (member id 42)"
        );
        let e = SelectError::DuplicateId {
            id: 7,
            first: 0,
            second: 2,
        };
        assert_eq!(
            e.to_string(),
            "members[2].id: expected a unique id, found 7 already used by members[0]"
        );
    }

    #[test]
    fn excerpt_is_bounded() {
        let long = "x".repeat(10_000);
        assert_eq!(excerpt(&long).len(), 64);
        assert_eq!(excerpt("ab"), "ab");
    }
}
