//! Walking packets through a whole FlowFall chain: junction to junction by port roles,
//! through the VMs the junctions send them to.
//!
//! A packet leaving J*k* on a VU port enters the hypervisor's downlink NIC; the VM whose
//! `down_mac` equals the packet's `eth_dst` takes it (no such VM: the frame is lost, outcome
//! [`Outcome::NoVm`]; a dead VM: [`Outcome::DeadVm`]), and the packet comes out of that VM's
//! uplink NIC into J*k+1* on the hypervisor's VD port with `eth_src` = the VM's `up_mac`
//! (`eth_dst` is left as it was: the next junction rewrites it). Downstream mirrors this
//! through VD ports and `up_mac`. A bypass link carries the packet unchanged to the other
//! switch's BD/BU port. Crossing to a switch gives the packet that junction's VLAN tag (or
//! none). The walk ends at the backbone edge, a customer edge, a drop, the controller, or
//! after a bounded number of hops ([`Outcome::Looped`]).

use std::fmt::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use flowfall_ofp::action::OFPP_CONTROLLER;
use flowfall_ofp::{FlowMod, MacAddr};
use flowfall_topology::{PortRole, Topology, VmId};
use ipnet::IpNet;

use super::packet::{Packet, VlanTag};
use super::switch::{Hit, Output, SimSwitch};
use crate::entry::FlowEntry;
use crate::error::Error;
use crate::live::{BypassId, LiveBypass, LiveVms};
use crate::plan::mac;
use crate::tables::Tables;

/// One simulated switch per junction.
#[derive(Debug, Clone, Default)]
pub struct Fabric {
    /// The switches, J0 first.
    pub switches: Vec<SimSwitch>,
}

impl Fabric {
    /// `count` switches with empty tables.
    pub fn empty(count: usize) -> Fabric {
        Fabric {
            switches: vec![SimSwitch::new(); count],
        }
    }

    /// Switches holding `tables`.
    ///
    /// # Errors
    /// As [`SimSwitch::apply`].
    pub fn from_tables(tables: &Tables) -> Result<Fabric, Error> {
        let mut f = Fabric::empty(tables.switches.len());
        for t in &tables.switches {
            if let Some(s) = f.switches.get_mut(t.index) {
                *s = SimSwitch::with_entries(&t.entries)?;
            }
        }
        Ok(f)
    }

    /// Applies a flow mod to switch `k`.
    ///
    /// # Errors
    /// [`Error::UnknownSwitch`], or as [`SimSwitch::apply`].
    pub fn apply(&mut self, k: usize, fm: &FlowMod) -> Result<(), Error> {
        self.switches
            .get_mut(k)
            .ok_or_else(|| Error::UnknownSwitch {
                switch: k.to_string(),
            })?
            .apply(fm)
    }

    /// Adds `(switch, entry)` pairs (e.g. [`crate::Compilation::address_flows`]).
    ///
    /// # Errors
    /// As [`Fabric::apply`].
    pub fn install(&mut self, entries: &[(usize, FlowEntry)]) -> Result<(), Error> {
        for (k, e) in entries {
            self.apply(*k, &e.to_flow_mod())?;
        }
        Ok(())
    }
}

/// One junction crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The switch.
    pub switch: usize,
    /// The packet as it entered.
    pub packet: Packet,
    /// The entries it matched.
    pub hits: Vec<Hit>,
    /// The port it left by and the headers it left with (`None`: it was dropped or copied to
    /// several ports).
    pub output: Option<Output>,
}

/// How a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Left the chain at the backbone edge (upstream) or a customer edge (downstream).
    Delivered {
        /// The edge port.
        port: u32,
        /// The headers as they left.
        packet: Packet,
    },
    /// No entry forwarded the packet at this switch.
    Dropped {
        /// The switch.
        switch: usize,
    },
    /// Sent to the controller by this switch.
    Controller {
        /// The switch.
        switch: usize,
    },
    /// Sent to a VM that is down.
    DeadVm {
        /// The VM.
        vm: VmId,
    },
    /// Sent over a bypass link that is down ([`Tracer::with_live_bypass`]).
    DeadBypass {
        /// The link.
        link: BypassId,
    },
    /// Sent to a hypervisor port where no VM has the packet's destination MAC.
    NoVm {
        /// The switch.
        switch: usize,
        /// The VU/VD port.
        port: u32,
        /// The packet's `eth_dst`.
        eth_dst: MacAddr,
    },
    /// Left by a port with no role, or came back out of the edge it entered by.
    Misrouted {
        /// The switch.
        switch: usize,
        /// The port.
        port: u32,
    },
    /// Copied to several ports (FlowFall forwarding is unicast).
    Flooded {
        /// The switch.
        switch: usize,
        /// The ports.
        ports: Vec<u32>,
    },
    /// Crossed more junctions than the chain could need.
    Looped,
}

/// A walk through the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The junctions crossed, in order.
    pub steps: Vec<Step>,
    /// The VMs crossed, in order.
    pub vms: Vec<VmId>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Trace {
    /// Whether the packet left the chain at an edge.
    pub fn delivered(&self) -> bool {
        matches!(self.outcome, Outcome::Delivered { .. })
    }

    /// The layers crossed, in order.
    pub fn layers(&self) -> Vec<usize> {
        self.vms.iter().map(|v| v.layer).collect()
    }

    /// A one-line description with the topology's names:
    /// `j0[1] -> fw-1 -> j1[11] -> bypass -> j2[40] -> port 1 (eth_dst 02:00:00:00:ff:01)`.
    pub fn describe(&self, topology: &Topology) -> String {
        let mut s = String::new();
        let mut vms = self.vms.iter();
        for (i, step) in self.steps.iter().enumerate() {
            let name = topology
                .switch(step.switch)
                .map_or_else(|| format!("J{}", step.switch), |sw| sw.name.clone());
            let _ = write!(s, "{name}[{}]", step.packet.in_port);
            let next = self.steps.get(i + 1);
            if let (Some(out), Some(_)) = (&step.output, next) {
                let port = out.port;
                match topology.role(step.switch, port) {
                    Some(PortRole::VnfUp { .. } | PortRole::VnfDown { .. }) => {
                        let vm = vms.next().and_then(|v| topology.vm(*v));
                        let _ = write!(s, " -> {}", vm.map_or("?", |v| v.name.as_str()));
                    }
                    _ => s.push_str(" -> bypass"),
                }
                s.push_str(" -> ");
            }
        }
        let _ = match &self.outcome {
            Outcome::Delivered { port, packet } => {
                write!(s, " -> port {port} (eth_dst {})", packet.eth_dst)
            }
            Outcome::Dropped { .. } => write!(s, " -> dropped"),
            Outcome::Controller { .. } => write!(s, " -> controller"),
            Outcome::DeadVm { vm } => write!(s, " -> dead VM {vm}"),
            Outcome::DeadBypass { link } => write!(s, " -> dead bypass {link}"),
            Outcome::NoVm { port, eth_dst, .. } => {
                write!(s, " -> port {port}: no VM has MAC {eth_dst}")
            }
            Outcome::Misrouted { port, .. } => write!(s, " -> misrouted to port {port}"),
            Outcome::Flooded { ports, .. } => write!(s, " -> copied to ports {ports:?}"),
            Outcome::Looped => write!(s, " -> loop"),
        };
        s
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Delivered { port, .. } => write!(f, "delivered on port {port}"),
            Outcome::Dropped { switch } => write!(f, "dropped at J{switch}"),
            Outcome::Controller { switch } => write!(f, "sent to the controller by J{switch}"),
            Outcome::DeadVm { vm } => write!(f, "sent to dead VM {vm}"),
            Outcome::DeadBypass { link } => write!(f, "sent over dead bypass link {link}"),
            Outcome::NoVm {
                switch,
                port,
                eth_dst,
            } => {
                write!(f, "J{switch} port {port}: no VM with MAC {eth_dst}")
            }
            Outcome::Misrouted { switch, port } => write!(f, "misrouted at J{switch} port {port}"),
            Outcome::Flooded { switch, ports } => write!(f, "J{switch} copied to {ports:?}"),
            Outcome::Looped => f.write_str("looped"),
        }
    }
}

/// A representative host of a prefix: the first address after the network address when the
/// prefix has one, else the network address.
pub fn sample_host(prefix: IpNet) -> IpAddr {
    match prefix {
        IpNet::V4(n) if n.prefix_len() <= 30 => {
            IpAddr::V4(Ipv4Addr::from(u32::from(n.network()).wrapping_add(1)))
        }
        IpNet::V6(n) if n.prefix_len() <= 126 => {
            IpAddr::V6(Ipv6Addr::from(u128::from(n.network()).wrapping_add(1)))
        }
        _ => prefix.network(),
    }
}

/// The Internet host used as the far end of traces: `192.0.2.1` (TEST-NET-1) or
/// `64:ff9b::c000:201` (the same, NAT64-mapped).
pub fn remote_host(ipv6: bool) -> IpAddr {
    if ipv6 {
        IpAddr::V6(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201))
    } else {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))
    }
}

/// Walks packets through a [`Fabric`] laid out as `topology`.
#[derive(Debug, Clone, Copy)]
pub struct Tracer<'a> {
    topology: &'a Topology,
    fabric: &'a Fabric,
    live: Option<&'a LiveVms>,
    live_bypass: Option<&'a LiveBypass>,
}

impl<'a> Tracer<'a> {
    /// A tracer; with `live`, a packet sent to a VM not in it ends as [`Outcome::DeadVm`].
    pub fn new(topology: &'a Topology, fabric: &'a Fabric, live: Option<&'a LiveVms>) -> Self {
        Tracer {
            topology,
            fabric,
            live,
            live_bypass: None,
        }
    }

    /// The same tracer; with `live_bypass`, a packet sent over a bypass link not in it ends as
    /// [`Outcome::DeadBypass`].
    pub fn with_live_bypass(self, live_bypass: Option<&'a LiveBypass>) -> Self {
        Tracer {
            live_bypass,
            ..self
        }
    }

    /// Whether bypass link `bypass` of `layer` is down (known only with a live-bypass set).
    fn dead_bypass(&self, layer: usize, bypass: usize) -> Option<Outcome> {
        let link = BypassId {
            layer,
            index: bypass,
        };
        self.live_bypass
            .is_some_and(|live| !live.contains(link))
            .then_some(Outcome::DeadBypass { link })
    }

    fn tag(&self, k: usize, old: Option<VlanTag>) -> Option<VlanTag> {
        let vid = self.topology.switch(k)?.vlan?;
        Some(VlanTag {
            vid,
            pcp: old.map_or(0, |t| t.pcp),
        })
    }

    /// The packet customer `customer` sends: from its CPE into its J0 port, `src` ->
    /// `dst` with ToS byte `tos`.
    ///
    /// # Errors
    /// [`Error::UnknownCustomer`]; [`Error::SimMixedFamilies`].
    pub fn customer_packet(
        &self,
        customer: usize,
        src: IpAddr,
        dst: IpAddr,
        tos: u8,
    ) -> Result<Packet, Error> {
        let c = self
            .topology
            .customer(customer)
            .ok_or_else(|| Error::UnknownCustomer {
                name: format!("#{customer}"),
            })?;
        let mut p = Packet::ip(c.port, src, dst, tos)?;
        p.eth_src = mac(c.cpe_mac);
        p.eth_dst = mac(self.topology.backbone().router_mac);
        p.vlan = self.tag(0, None);
        Ok(p)
    }

    /// The packet the backbone router sends into J*n*: `src` -> `dst`, ToS 0.
    ///
    /// # Errors
    /// [`Error::SimMixedFamilies`].
    pub fn backbone_packet(&self, src: IpAddr, dst: IpAddr) -> Result<Packet, Error> {
        let n = self.topology.layers().len();
        let mut p = Packet::ip(self.topology.backbone().port, src, dst, 0)?;
        p.eth_src = mac(self.topology.backbone().router_mac);
        p.eth_dst = MacAddr::BROADCAST;
        p.vlan = self.tag(n, None);
        Ok(p)
    }

    /// Walks `packet` from switch `switch`.
    ///
    /// # Errors
    /// As [`SimSwitch::process`]; [`Error::UnknownSwitch`].
    pub fn run(&self, switch: usize, packet: Packet) -> Result<Trace, Error> {
        let t = self.topology;
        let n = t.layers().len();
        let (mut k, mut pkt) = (switch, packet);
        let mut trace = Trace {
            steps: Vec::new(),
            vms: Vec::new(),
            outcome: Outcome::Looped,
        };
        let entered_at = (switch, packet.in_port);
        for _ in 0..2 * (n + 2) {
            let sw = self
                .fabric
                .switches
                .get(k)
                .ok_or_else(|| Error::UnknownSwitch {
                    switch: k.to_string(),
                })?;
            let r = sw.process(&pkt)?;
            let mut step = Step {
                switch: k,
                packet: pkt,
                hits: r.hits,
                output: None,
            };
            let out = match r.outputs.as_slice() {
                [] => {
                    trace.steps.push(step);
                    trace.outcome = Outcome::Dropped { switch: k };
                    return Ok(trace);
                }
                [one] => *one,
                many => {
                    trace.steps.push(step);
                    trace.outcome = Outcome::Flooded {
                        switch: k,
                        ports: many.iter().map(|o| o.port).collect(),
                    };
                    return Ok(trace);
                }
            };
            step.output = Some(out);
            trace.steps.push(step);
            let mut next = out.packet;
            if out.port == OFPP_CONTROLLER {
                trace.outcome = Outcome::Controller { switch: k };
                return Ok(trace);
            }
            match t.role(k, out.port) {
                Some(PortRole::EdgeUp | PortRole::Edge { .. }) if (k, out.port) != entered_at => {
                    trace.outcome = Outcome::Delivered {
                        port: out.port,
                        packet: next,
                    };
                    return Ok(trace);
                }
                Some(
                    role @ (PortRole::VnfUp { layer, hypervisor }
                    | PortRole::VnfDown { layer, hypervisor }),
                ) => {
                    let up = role.leads_up();
                    match self.through_vm(k, out.port, layer, hypervisor, up, &mut next) {
                        Ok((vm, switch)) => {
                            trace.vms.push(vm);
                            k = switch;
                        }
                        Err(outcome) => {
                            trace.outcome = outcome;
                            return Ok(trace);
                        }
                    }
                }
                Some(
                    role @ (PortRole::BypassUp { layer, bypass }
                    | PortRole::BypassDown { layer, bypass }),
                ) => {
                    let Some(b) = t.layer(layer).and_then(|l| l.bypass.get(bypass)) else {
                        break;
                    };
                    if let Some(dead) = self.dead_bypass(layer, bypass) {
                        trace.outcome = dead;
                        return Ok(trace);
                    }
                    (next.in_port, k) = if role.leads_up() {
                        (b.up_port, layer + 1)
                    } else {
                        (b.down_port, layer)
                    };
                }
                _ => {
                    trace.outcome = Outcome::Misrouted {
                        switch: k,
                        port: out.port,
                    };
                    return Ok(trace);
                }
            }
            next.vlan = self.tag(k, next.vlan);
            pkt = next;
        }
        trace.outcome = Outcome::Looped;
        Ok(trace)
    }

    /// A packet leaving switch `k` by `port` into hypervisor `hypervisor` of `layer` (its
    /// downlink NIC when `up`, else its uplink NIC): the VM owning the packet's `eth_dst` on
    /// that side forwards it out of its other NIC with that NIC's MAC as `eth_src`. Returns
    /// the VM and the switch the packet reaches, with `pkt` rewritten to arrive there.
    fn through_vm(
        &self,
        k: usize,
        port: u32,
        layer: usize,
        hypervisor: usize,
        up: bool,
        pkt: &mut Packet,
    ) -> Result<(VmId, usize), Outcome> {
        let l = self.topology.layer(layer);
        let hv = l.and_then(|l| l.hypervisors.get(hypervisor));
        let vm = l.and_then(|l| {
            l.vms_on(hypervisor)
                .iter()
                .find(|v| mac(if up { v.down_mac } else { v.up_mac }) == pkt.eth_dst)
        });
        let (Some(l), Some(hv), Some(vm)) = (l, hv, vm) else {
            return Err(Outcome::NoVm {
                switch: k,
                port,
                eth_dst: pkt.eth_dst,
            });
        };
        if self.live.is_some_and(|live| !live.contains(vm.id)) {
            return Err(Outcome::DeadVm { vm: vm.id });
        }
        if up {
            pkt.eth_src = mac(vm.up_mac);
            pkt.in_port = hv.up_port;
            Ok((vm.id, l.up_switch()))
        } else {
            pkt.eth_src = mac(vm.down_mac);
            pkt.in_port = hv.down_port;
            Ok((vm.id, l.down_switch()))
        }
    }

    /// Walks a packet of customer `customer` from `src` (to [`remote_host`]) with ToS `tos`.
    ///
    /// # Errors
    /// As [`Tracer::customer_packet`] and [`Tracer::run`].
    pub fn upstream(&self, customer: usize, src: IpAddr, tos: u8) -> Result<Trace, Error> {
        let p = self.customer_packet(customer, src, remote_host(src.is_ipv6()), tos)?;
        self.run(0, p)
    }

    /// Walks a packet from the backbone (from [`remote_host`]) to `dst`.
    ///
    /// # Errors
    /// As [`Tracer::backbone_packet`] and [`Tracer::run`].
    pub fn downstream(&self, dst: IpAddr) -> Result<Trace, Error> {
        let p = self.backbone_packet(remote_host(dst.is_ipv6()), dst)?;
        self.run(self.topology.layers().len(), p)
    }
}
