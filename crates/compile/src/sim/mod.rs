//! A pipeline simulator: OpenFlow 1.3 flow-table semantics over typed flow mods
//! ([`SimSwitch`]), and a tracer walking a packet from junction to junction through a FlowFall
//! topology ([`trace`]).

pub mod field;
pub mod packet;
pub mod switch;
pub mod trace;

pub use packet::{IpFields, Network, Packet, VlanTag};
pub use switch::{Hit, Output, Processing, SimSwitch};
pub use trace::{Fabric, Outcome, Step, Trace, Tracer};
