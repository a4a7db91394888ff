//! The crate's error type.

use std::net::IpAddr;

use flowfall_select::SelectError;
use flowfall_topology::VmId;
use thiserror::Error;

use crate::cookie::Cookie;
use crate::live::BypassId;

/// One switch whose compiled table does not fit its declared capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overflow {
    /// Switch name.
    pub switch: String,
    /// Entries the compiled table needs.
    pub entries: usize,
    /// The declared capacity.
    pub capacity: usize,
}

fn list_overflows(overflows: &[Overflow]) -> String {
    overflows
        .iter()
        .map(|o| {
            format!(
                "{} needs {} entries, capacity {}",
                o.switch, o.entries, o.capacity
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Everything that can go wrong compiling, printing or simulating flow tables.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// Compiled tables exceed the capacity declared for their switches.
    #[error("flow tables exceed declared capacity: {}", list_overflows(.overflows))]
    CapacityExceeded {
        /// Every switch that does not fit.
        overflows: Vec<Overflow>,
    },
    /// A VM id outside the topology.
    #[error("VM {id} is not in the topology")]
    UnknownVm {
        /// The id.
        id: VmId,
    },
    /// The live-VM set was made for another topology (other layers or VM counts).
    #[error("the live-VM set does not match the topology's layers and VMs")]
    LiveMismatch,
    /// A bypass link id outside the topology.
    #[error("bypass link {id} (layer:index) is not in the topology")]
    UnknownBypass {
        /// The id.
        id: BypassId,
    },
    /// The live-bypass set was made for another topology (other layers or bypass counts).
    #[error("the live-bypass set does not match the topology's layers and bypass links")]
    LiveBypassMismatch,
    /// A layer's selector could not be built.
    #[error("layers[{layer}]: cannot build the VM selector: {source}")]
    Selector {
        /// Layer index.
        layer: usize,
        /// The selector's error.
        source: SelectError,
    },
    /// A switch index or name the topology does not have.
    #[error("no junction switch {switch:?}")]
    UnknownSwitch {
        /// What was asked for.
        switch: String,
    },
    /// A customer name the topology does not have.
    #[error("no customer named {name:?}")]
    UnknownCustomer {
        /// What was asked for.
        name: String,
    },
    /// The `ovs-ofctl` printer met an item Open vSwitch has no text syntax for.
    #[error("ovs-ofctl has no syntax for {what}")]
    OfctlUnsupported {
        /// The field, action or instruction.
        what: String,
    },
    /// The simulator met a field, action or instruction it does not model.
    #[error("simulator: {what} is not modelled")]
    SimUnsupported {
        /// What it met.
        what: String,
    },
    /// A match names one field twice (`OFPBMC_DUP_FIELD`).
    #[error("simulator: match field {field} appears twice")]
    SimDuplicateField {
        /// The field.
        field: &'static str,
    },
    /// A set-field the packet cannot take.
    #[error("simulator: set_field {field}: {reason}")]
    SimSetField {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A packet built from addresses of two families.
    #[error("simulator: source {src} and destination {dst} are of different IP families")]
    SimMixedFamilies {
        /// Source.
        src: IpAddr,
        /// Destination.
        dst: IpAddr,
    },
    /// Two entries of the same priority match one packet: OpenFlow leaves the result
    /// undefined (OpenFlow 1.3.5 §5.3).
    #[error(
        "simulator: table {table_id}: two entries of priority {priority} match the packet \
         (cookies {first} and {second})"
    )]
    SimAmbiguous {
        /// Table.
        table_id: u8,
        /// The shared priority.
        priority: u16,
        /// Cookie of the first entry.
        first: Cookie,
        /// Cookie of the second entry.
        second: Cookie,
    },
    /// An `OFPFF_CHECK_OVERLAP` add overlaps an entry of equal priority (`OFPFMFC_OVERLAP`).
    #[error(
        "simulator: table {table_id}: new entry of priority {priority} overlaps the entry with \
         cookie {existing}"
    )]
    SimOverlap {
        /// Table.
        table_id: u8,
        /// Priority.
        priority: u16,
        /// Cookie of the existing entry.
        existing: Cookie,
    },
    /// A flow mod or instruction the switch must refuse.
    #[error("simulator: invalid flow mod: {reason}")]
    SimBadFlowMod {
        /// Why.
        reason: &'static str,
    },
}
