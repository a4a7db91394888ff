//! Everything the rules need from a topology, precomputed once per compile in the form the
//! hot loop wants it (ports as `u32`, MACs as [`MacAddr`], ToS match values, selector kinds,
//! and the shared instructions of every next hop), so emitting a flow does no look-ups by
//! name, no string work and no allocation besides its match.

use flowfall_ofp::action::{OFPCML_NO_BUFFER, OFPP_CONTROLLER};
use flowfall_ofp::{Action, Instruction, MacAddr, Oxm};
use flowfall_select::{Algorithm, Member};
use flowfall_topology::{Mac, Mode, SelectorKind, ServiceSource, SpoofAction, Topology, WhenEmpty};
use flowfall_tos::{Encoding, TosMatch};

use crate::entry::Instructions;

/// `OFPVID_PRESENT`.
const VID_PRESENT: u16 = 0x1000;

pub(crate) fn mac(m: Mac) -> MacAddr {
    MacAddr(m.octets())
}

fn apply(actions: Vec<Action>) -> Instructions {
    vec![Instruction::ApplyActions(actions)].into()
}

/// `set_field eth_dst = mac, output port`.
fn rewrite_and_output(mac: MacAddr, port: u32) -> Instructions {
    apply(vec![
        Action::SetField(Oxm::EthDst(mac, None)),
        Action::Output { port, max_len: 0 },
    ])
}

/// `output port`.
fn output(port: u32) -> Instructions {
    apply(vec![Action::Output { port, max_len: 0 }])
}

/// A bypass link of a layer as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BypassPlan {
    /// BU port on the layer's lower switch.
    pub(crate) down_port: u32,
    /// BD port on the layer's upper switch.
    pub(crate) up_port: u32,
    /// Upstream into the link: `output BU`.
    pub(crate) up_instr: Instructions,
    /// Downstream into the link: `output BD`.
    pub(crate) down_instr: Instructions,
}

/// One VM as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VmPlan {
    /// VU port on the layer's lower switch.
    pub(crate) down_port: u32,
    /// VD port on the layer's upper switch.
    pub(crate) up_port: u32,
    /// Identity and weight for the selector.
    pub(crate) member: Member,
    /// Upstream into the VM: `set_field eth_dst = down_mac, output VU`.
    pub(crate) up_instr: Instructions,
    /// Downstream into the VM: `set_field eth_dst = up_mac, output VD`.
    pub(crate) down_instr: Instructions,
}

/// One layer as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerPlan {
    pub(crate) vms: Vec<VmPlan>,
    pub(crate) bypass: Vec<BypassPlan>,
    pub(crate) when_empty: WhenEmpty,
    pub(crate) algorithm: Algorithm,
}

/// One customer as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomerPlan {
    pub(crate) port: u32,
    /// The exact ToS match of upstream flows (`service_source = "tos"`).
    pub(crate) tos: Option<TosMatch>,
    /// Downstream out of the chain: `set_field eth_dst = CPE MAC, output customer port`.
    pub(crate) to_cpe: Instructions,
}

/// The precomputed topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Number of layers `n`; switches are `0..=n`.
    pub(crate) n: usize,
    /// The `vlan_vid` match of each switch (VLAN-scoped junctions).
    pub(crate) vlan: Vec<Option<Oxm>>,
    pub(crate) layers: Vec<LayerPlan>,
    pub(crate) customers: Vec<CustomerPlan>,
    pub(crate) backbone_port: u32,
    /// Upstream out of the chain: `set_field eth_dst = router MAC, output edge-up`.
    pub(crate) to_router: Instructions,
    /// No instructions: drop.
    pub(crate) drop: Instructions,
    /// `output CONTROLLER` (whole packet).
    pub(crate) to_controller: Instructions,
    pub(crate) encoding: Encoding,
    /// ToS read from packets (`service_source = "tos"`).
    pub(crate) tos_mode: bool,
    /// Anti-spoofing re-marks instead of dropping.
    pub(crate) remark: bool,
    pub(crate) reactive: bool,
    pub(crate) idle_timeout: u16,
}

pub(crate) fn algorithm(kind: SelectorKind) -> Algorithm {
    match kind {
        SelectorKind::Md5Mod => Algorithm::Md5Mod,
        SelectorKind::Rendezvous => Algorithm::Rendezvous,
        SelectorKind::Maglev => Algorithm::Maglev,
    }
}

impl Plan {
    pub(crate) fn new(t: &Topology) -> Plan {
        let chain = t.chain();
        let tos_mode = chain.service_source == ServiceSource::Tos;
        Plan {
            n: t.layers().len(),
            vlan: t
                .switches()
                .iter()
                .map(|s| {
                    s.vlan
                        .map(|v| Oxm::VlanVid((v & 0x0fff) | VID_PRESENT, None))
                })
                .collect(),
            layers: t
                .layers()
                .iter()
                .map(|l| LayerPlan {
                    vms: l
                        .vms
                        .iter()
                        .map(|v| VmPlan {
                            down_port: v.down_port,
                            up_port: v.up_port,
                            member: Member::new(v.stable_id, v.weight),
                            up_instr: rewrite_and_output(mac(v.down_mac), v.down_port),
                            down_instr: rewrite_and_output(mac(v.up_mac), v.up_port),
                        })
                        .collect(),
                    bypass: l
                        .bypass
                        .iter()
                        .map(|b| BypassPlan {
                            down_port: b.down_port,
                            up_port: b.up_port,
                            up_instr: output(b.down_port),
                            down_instr: output(b.up_port),
                        })
                        .collect(),
                    when_empty: l.when_empty,
                    algorithm: algorithm(l.selector),
                })
                .collect(),
            customers: t
                .customers()
                .iter()
                .map(|c| CustomerPlan {
                    port: c.port,
                    to_cpe: rewrite_and_output(mac(c.cpe_mac), c.port),
                    tos: if tos_mode {
                        c.tos.map(|tos| chain.tos_encoding.match_fields(tos))
                    } else {
                        None
                    },
                })
                .collect(),
            backbone_port: t.backbone().port,
            to_router: rewrite_and_output(mac(t.backbone().router_mac), t.backbone().port),
            drop: Vec::new().into(),
            to_controller: apply(vec![Action::Output {
                port: OFPP_CONTROLLER,
                max_len: OFPCML_NO_BUFFER,
            }]),
            encoding: chain.tos_encoding,
            tos_mode,
            remark: chain.spoof_action == SpoofAction::Remark,
            reactive: chain.mode == Mode::Reactive,
            idle_timeout: chain.idle_timeout,
        }
    }

    /// The `vlan_vid` match of switch `k`, if VLAN-scoped.
    pub(crate) fn vlan(&self, k: usize) -> Option<&Oxm> {
        self.vlan.get(k).and_then(Option::as_ref)
    }
}
