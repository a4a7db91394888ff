//! The crate's errors: one type ([`Error`]) naming the field, what was expected, what was
//! found and, for bytes off the wire, the offset in the frame.

use flowfall_topology::VmId;

/// An error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A frame ends before the structure being read does.
    #[error("truncated {what} at offset {offset}: need {needed} bytes, {available} present")]
    Truncated {
        /// The structure or field being read.
        what: &'static str,
        /// Offset of the structure in the frame.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes present from `offset` on.
        available: usize,
    },
    /// A frame field holds a value this position does not allow.
    #[error("bad {field} at offset {offset}: expected {expected}, found {found}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// Offset of the field in the frame.
        offset: usize,
        /// What was allowed.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A configuration value is out of range.
    #[error("bad configuration {field}: expected {expected}, found {found}")]
    Config {
        /// The setting, as a path (`liveness.interval`, `probe.source`).
        field: &'static str,
        /// What is allowed.
        expected: String,
        /// What was given.
        found: String,
    },
    /// A well-formed probe that this monitor did not send or cannot attribute.
    #[error("probe reply rejected: {reason}")]
    ProbeRejected {
        /// Why.
        reason: Rejection,
    },
    /// A VM id names no VM of the topology in use.
    #[error("unknown VM {vm}")]
    UnknownVm {
        /// The id.
        vm: VmId,
    },
    /// A layer's selector could not be built (see `flowfall_select::SelectError`).
    #[error("layer {layer}: cannot build its selector: {source}")]
    Selector {
        /// Layer index.
        layer: usize,
        /// The selector's error.
        source: flowfall_select::SelectError,
    },
}

/// Why a well-formed probe reply was not counted (see [`Error::ProbeRejected`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Rejection {
    /// Its addresses, port or instance number are not this monitor's (another controller's
    /// probe, or a stray packet that happens to look like one).
    #[error("not sent by this monitor (addresses, UDP port or instance differ)")]
    Foreign,
    /// It names a VM position this monitor does not probe.
    #[error("names VM {layer}:{index}, which this monitor does not probe")]
    UnknownVm {
        /// Layer in the payload.
        layer: u16,
        /// VM index in the payload.
        index: u32,
    },
    /// The VM at that position has another stable id (the configuration changed since the
    /// probe was sent).
    #[error("VM identity differs from the one probed (configuration reloaded?)")]
    Identity,
    /// It came back through a port other than its VM's VD port.
    #[error("arrived on port {port}, not on its VM's VD port {expected}")]
    WrongPort {
        /// Port it arrived on.
        port: u32,
        /// The VM's VD port.
        expected: u32,
    },
    /// Its sequence number was never sent.
    #[error("sequence number {seq} was never sent")]
    UnknownSequence {
        /// The sequence number.
        seq: u64,
    },
}

impl Error {
    /// A configuration error.
    pub(crate) fn config(
        field: &'static str,
        expected: impl Into<String>,
        found: impl ToString,
    ) -> Error {
        Error::Config {
            field,
            expected: expected.into(),
            found: found.to_string(),
        }
    }

    /// A bad frame field.
    pub(crate) fn bad(
        field: &'static str,
        offset: usize,
        expected: impl Into<String>,
        found: impl ToString,
    ) -> Error {
        Error::BadValue {
            field,
            offset,
            expected: expected.into(),
            found: found.to_string(),
        }
    }

    /// The byte offset in the frame for parse errors.
    pub fn offset(&self) -> Option<usize> {
        match self {
            Error::Truncated { offset, .. } | Error::BadValue { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}
