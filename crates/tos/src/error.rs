//! The one error type of this crate.

use crate::Encoding;

/// Everything that can go wrong building a [`Catalogue`](crate::Catalogue) or converting between
/// service sets and ToS bytes. Each variant names the service, bit, layer or encoding involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TosError {
    /// A service bit position does not fit the encoding (dscp holds bits 0..=5, tos8 0..=7).
    #[error(
        "service `{service}`: bit {bit} does not fit the {encoding} encoding (bits 0..={max})",
        max = encoding.capacity() - 1
    )]
    BitOutOfRange {
        /// The service whose bit is out of range (empty when no name is known).
        service: String,
        /// The offending bit position.
        bit: u32,
        /// The encoding it was checked against.
        encoding: Encoding,
    },
    /// Two services were given the same bit position.
    #[error("services `{first}` and `{second}` both use bit {bit}")]
    OverlappingBits {
        /// The service that claimed the bit first.
        first: String,
        /// The service that claimed it again.
        second: String,
        /// The shared bit position.
        bit: u32,
    },
    /// More services than the encoding has bits.
    #[error("{count} services do not fit the {encoding} encoding (at most {capacity})", capacity = encoding.capacity())]
    TooManyServices {
        /// How many services were given.
        count: usize,
        /// The encoding they were checked against.
        encoding: Encoding,
    },
    /// The same service name was given twice.
    #[error("service `{name}` is defined twice")]
    DuplicateService {
        /// The repeated name.
        name: String,
    },
    /// A service name is empty.
    #[error("service #{layer} has an empty name")]
    EmptyServiceName {
        /// Layer index of the nameless service.
        layer: usize,
    },
    /// A service name the catalogue does not know.
    #[error("unknown service `{name}` (known: {})", known.join(", "))]
    UnknownService {
        /// The name that was asked for.
        name: String,
        /// Every name the catalogue knows, in layer order.
        known: Vec<String>,
    },
    /// A layer index beyond what a [`ServiceSet`](crate::ServiceSet) can hold (0..=63).
    #[error("layer index {layer} out of range (a service set holds layers 0..=63)")]
    LayerOutOfRange {
        /// The offending layer index.
        layer: usize,
    },
    /// A service set names a layer the catalogue does not have.
    #[error("layer {layer} is not in the catalogue ({len} services)")]
    LayerNotInCatalogue {
        /// The offending layer index.
        layer: usize,
        /// Number of services in the catalogue.
        len: usize,
    },
    /// Service bits that do not fit the encoding (dscp carries 6 bits: 0x00..=0x3f).
    #[error("service bits {bits:#04x} do not fit the {encoding} encoding (mask {mask:#04x})", mask = encoding.service_mask())]
    ServiceBitsOutOfRange {
        /// The offending service-bit mask.
        bits: u8,
        /// The encoding it was checked against.
        encoding: Encoding,
    },
    /// A ToS byte carries service bits that belong to no service (strict decoding only).
    #[error("ToS value {tos:#04x} sets bits {unassigned:#04x} that belong to no service")]
    UnassignedBits {
        /// The ToS byte that was decoded.
        tos: u8,
        /// The ToS bits set in it that no service uses.
        unassigned: u8,
    },
    /// A string that names no encoding.
    #[error("unknown ToS encoding `{0}` (expected `dscp` or `tos8`)")]
    UnknownEncoding(String),
}
