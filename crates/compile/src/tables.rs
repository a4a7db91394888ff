//! [`Tables`]: the compiled flow table of every junction switch.

use flowfall_ofp::FlowMod;
use flowfall_topology::format_dpid;

use crate::entry::FlowEntry;
use crate::error::Error;
use crate::ofctl;

/// The entries of one junction switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchTable {
    /// Position in the chain (J0 = 0).
    pub index: usize,
    /// Configured name.
    pub name: String,
    /// Datapath id.
    pub dpid: u64,
    /// VLAN scope of the junction, if any.
    pub vlan: Option<u16>,
    /// The entries.
    pub entries: Vec<FlowEntry>,
}

impl SwitchTable {
    /// The `OFPFC_ADD` flow mods installing the table.
    pub fn flow_mods(&self) -> impl Iterator<Item = FlowMod> + '_ {
        self.entries.iter().map(FlowEntry::to_flow_mod)
    }

    /// The table as an `ovs-ofctl add-flows` file, with a header naming the switch.
    ///
    /// # Errors
    /// [`Error::OfctlUnsupported`] (never for compiler output, which uses only fields and
    /// actions Open vSwitch supports).
    pub fn to_ofctl(&self) -> Result<String, Error> {
        let vlan = self
            .vlan
            .map_or_else(String::new, |v| format!(", VLAN {v}"));
        let header = [
            format!(
                "FlowFall junction {} (J{}), dpid {}{vlan}: {} entries",
                self.name,
                self.index,
                format_dpid(self.dpid),
                self.entries.len()
            ),
            format!(
                "load with: ovs-ofctl -O OpenFlow13 add-flows <bridge> {}.flows",
                self.name
            ),
        ];
        ofctl::table_file(&header, &self.entries)
    }
}

/// Every junction's table, J0 first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tables {
    /// One table per junction switch.
    pub switches: Vec<SwitchTable>,
}

impl Tables {
    /// Total entries over all switches.
    pub fn len(&self) -> usize {
        self.switches.iter().map(|s| s.entries.len()).sum()
    }

    /// Whether there is no entry at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table of the switch named `name`.
    pub fn by_name(&self, name: &str) -> Option<&SwitchTable> {
        self.switches.iter().find(|s| s.name == name)
    }
}
