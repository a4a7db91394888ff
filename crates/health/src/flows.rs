//! [`SwitchFlowMod`]: a flow entry for one junction, and the small builders the health
//! entries share.

use flowfall_ofp::action::{OFPCML_NO_BUFFER, OFPP_CONTROLLER};
use flowfall_ofp::flow_mod::OFP_NO_BUFFER;
use flowfall_ofp::oxm::OFPVID_PRESENT;
use flowfall_ofp::packet_out::PacketOut;
use flowfall_ofp::{Action, FlowMod, Instruction, Match, Oxm};
use flowfall_topology::Topology;

use crate::cookie::{self, Purpose, TABLE};
use crate::wire::ETH_TYPE_IPV4;

/// An `OFPFC_ADD` for one junction switch (or, for per-datapath entries such as LLDP's, the
/// first junction on that datapath).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchFlowMod {
    /// Junction index (0 = J0).
    pub switch: usize,
    /// Datapath id of the switch to send it to.
    pub dpid: u64,
    /// The flow mod (cookie, priority and match already set).
    pub flow_mod: FlowMod,
}

/// The `vlan_vid` match of a VLAN-scoped junction.
pub(crate) fn vlan_match(vlan: Option<u16>) -> Option<Oxm> {
    vlan.map(|v| Oxm::VlanVid((v & 0x0fff) | OFPVID_PRESENT, None))
}

/// `apply_actions(output:CONTROLLER)` sending `max_len` bytes.
pub(crate) fn to_controller(max_len: u16) -> Instruction {
    Instruction::ApplyActions(vec![Action::Output {
        port: OFPP_CONTROLLER,
        max_len,
    }])
}

/// The whole packet to the controller (probes and LLDP frames are small).
pub(crate) fn whole_packet_to_controller() -> Instruction {
    to_controller(OFPCML_NO_BUFFER)
}

/// An `OFPFC_ADD` in the health table with a health cookie.
pub(crate) fn health_flow(
    topology: &Topology,
    switch: usize,
    purpose: Purpose,
    priority: u16,
    match_: Match,
    instructions: Vec<Instruction>,
) -> Option<SwitchFlowMod> {
    let dpid = topology.switch(switch)?.dpid;
    let mut flow_mod = FlowMod::add(TABLE, priority, match_, instructions);
    flow_mod.cookie = cookie::cookie(purpose, switch);
    Some(SwitchFlowMod {
        switch,
        dpid,
        flow_mod,
    })
}

/// One entry per VD port of every layer, at the layer's upper switch: `in_port=<VD>`,
/// the junction's `vlan_vid` if scoped, `eth_type=0x0800`, then `extra` fields.
pub(crate) fn vd_port_flows(
    topology: &Topology,
    purpose: Purpose,
    priority: u16,
    extra: &[Oxm],
    instructions: &[Instruction],
) -> Vec<SwitchFlowMod> {
    let mut out = Vec::new();
    for layer in topology.layers() {
        let up = layer.up_switch();
        let vlan = topology.switch(up).and_then(|s| s.vlan);
        for hv in &layer.hypervisors {
            let mut m = Match::new().with(Oxm::InPort(hv.up_port));
            m.fields.extend(vlan_match(vlan));
            m.fields.push(Oxm::EthType(ETH_TYPE_IPV4));
            m.fields.extend_from_slice(extra);
            out.extend(health_flow(
                topology,
                up,
                purpose,
                priority,
                m,
                instructions.to_vec(),
            ));
        }
    }
    out
}

/// A `PACKET_OUT` of `data` (no buffer, `in_port = CONTROLLER`) applying `actions`.
pub(crate) fn packet_out(actions: Vec<Action>, data: Vec<u8>) -> PacketOut {
    PacketOut {
        buffer_id: OFP_NO_BUFFER,
        in_port: OFPP_CONTROLLER,
        actions,
        data,
    }
}
