//! The FlowFall forwarding rules (architecture.md §3, paper §4.2), as flow entries.
//!
//! Every junction uses table 0 only, so the tables fit single-table hardware (the 2015
//! deployment's NEC switches). Priorities:
//!
//! | priority                          | entry                                                     | where |
//! |-----------------------------------|-----------------------------------------------------------|-------|
//! | [`PRIORITY_ADDRESS`] + prefix len | a customer address's upstream / downstream hop            | all   |
//! | [`PRIORITY_PUNT`] + prefix len    | reactive: first packet of a known address -> controller   | J0, Jn|
//! | [`PRIORITY_ANTI_SPOOF`]           | anything else from a customer port: drop                  | J0    |
//! | [`PRIORITY_IP_MISS`]              | reactive: other IPv4 / IPv6 -> controller                 | all   |
//! | [`PRIORITY_TABLE_MISS`]           | table-miss: drop (non-IP always; IP in proactive mode)    | all   |
//!
//! For address `a` of a customer with service set `m` and hops `h[0..n]` ([`Hop`]):
//!
//! - **Upstream** at J`k`, `k = 0..=n`: match `in_port` (the customer port at J0; at J`k`,
//!   `k > 0`, the VD port of `h[k-1]`'s hypervisor or the bypass BD port), the switch's VLAN
//!   if scoped, `eth_type`, in ToS mode the customer's exact `ip_dscp` (plus `ip_ecn` in
//!   `tos8`), and `ipv4_src`/`ipv6_src = a`. Actions: at `k < n` towards layer `k`:
//!   `set_field eth_dst = vm.down_mac, output VU port`, or `output BU port`; at J`n`:
//!   `set_field eth_dst = router MAC, output edge-up`.
//! - **Downstream** mirrors it with `ipv4_dst`/`ipv6_dst = a` and no ToS match (return
//!   traffic carries the Internet's ToS; the service set comes from the configuration, so a
//!   known customer's return traffic never takes a bypass by default: fail-closed, fixing
//!   defect 1 of architecture.md §4): at J`k`, `k < n`, `in_port` = VU port of `h[k]` or BU port; at J`n`
//!   the edge-up port. Actions: `set_field eth_dst = vm.up_mac, output VD port` of `h[k-1]`,
//!   or `output BD port`; at J0 `set_field eth_dst = CPE MAC, output customer port`.
//! - **Blocked** (a layer of the set has no live VM and is fail-closed, or fail-open without
//!   a bypass link; a fail-open layer with one sends the traffic past it): one drop entry at
//!   J0 (upstream match) and one at J`n` (downstream match), nothing in between.
//! - **Anti-spoofing** at J0: per customer port a drop below the address entries, so a source
//!   address outside the customer's prefixes, a wrong ToS value (ToS mode) and non-IP frames
//!   from a customer go nowhere. With
//!   `spoof_action = "remark"` the J0 upstream entries match no ToS and first rewrite
//!   `ip_dscp` (and `ip_ecn` in `tos8`) to the customer's value, so re-marked traffic takes
//!   the normal path.
//! - **Non-IP** frames (ARP, LLDP, ...) are dropped by the table-miss entry in both modes: the
//!   CPEs and the backbone router reach their next hops through static neighbour entries, as
//!   the paper's static design implies, and the junctions rewrite `eth_dst` anyway.
//! - **Reactive mode** installs the same address entries (with the chain's idle timeout)
//!   when the address's first packet reaches the controller through its punt entries; other
//!   IPv4/IPv6 packets no entry matches (e.g. from the backbone to an address of no customer)
//!   also go to the controller, so a reactive controller should rate-limit packet-ins.

use flowfall_ofp::{Action, Instruction, Match, Oxm};
use flowfall_tos::{Encoding, TosMatch};
use ipnet::IpNet;

use crate::cookie::{Cookie, CookieKind, OwnerId};
use crate::entry::{FlowEntry, Instructions};
use crate::path::Hop;
use crate::plan::{BypassPlan, Plan, VmPlan};

/// Priority of the table-miss entry.
pub const PRIORITY_TABLE_MISS: u16 = 0;
/// Priority of the reactive IP-miss entries (IPv4 and IPv6 to the controller).
pub const PRIORITY_IP_MISS: u16 = 1;
/// Priority of the per-customer-port anti-spoofing drop at J0.
pub const PRIORITY_ANTI_SPOOF: u16 = 100;
/// Base priority of the reactive punt entries (plus the prefix length).
pub const PRIORITY_PUNT: u16 = 500;
/// Base priority of the address entries (plus the prefix length: longer prefixes win).
pub const PRIORITY_ADDRESS: u16 = 1000;

/// `eth_type` IPv4.
const IPV4: u16 = 0x0800;
/// `eth_type` IPv6.
const IPV6: u16 = 0x86dd;

/// Emits the entries of one compile generation.
pub(crate) struct Rules<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) generation: u16,
}

/// One customer address, as the rules need it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AddressRef {
    pub(crate) customer: usize,
    pub(crate) prefix: IpNet,
    pub(crate) owner: OwnerId,
}

/// `instructions` with the `set_field`s re-marking a packet to the customer's ToS value
/// prepended to its apply-actions.
fn remarked(instructions: &[Instruction], encoding: Encoding, tos: TosMatch) -> Instructions {
    let ecn = match encoding {
        Encoding::Dscp => None,
        Encoding::Tos8 => tos.ip_ecn,
    };
    let remark = std::iter::once(Action::SetField(Oxm::IpDscp(tos.ip_dscp)))
        .chain(ecn.map(|e| Action::SetField(Oxm::IpEcn(e))));
    let mut out: Vec<Instruction> = instructions.to_vec();
    match out.iter_mut().find_map(|i| match i {
        Instruction::ApplyActions(a) => Some(a),
        _ => None,
    }) {
        Some(actions) => {
            actions.splice(0..0, remark);
        }
        None => out.push(Instruction::ApplyActions(remark.collect())),
    }
    out.into()
}

impl Rules<'_> {
    fn cookie(&self, kind: CookieKind, owner: OwnerId) -> Cookie {
        Cookie::new(kind, self.generation, owner)
    }

    /// `in_port`, the switch's VLAN, `eth_type`, the ToS match, and the address as source
    /// (`src`) or destination.
    fn address_match(
        &self,
        k: usize,
        in_port: u32,
        prefix: IpNet,
        src: bool,
        tos: Option<TosMatch>,
    ) -> Match {
        let tos_fields = tos.map_or(0, |t| 1 + usize::from(t.ip_ecn.is_some()));
        let vlan = self.plan.vlan(k);
        let mut f = Vec::with_capacity(3 + usize::from(vlan.is_some()) + tos_fields);
        f.push(Oxm::InPort(in_port));
        if let Some(v) = vlan {
            f.push(v.clone());
        }
        let eth_type = match prefix {
            IpNet::V4(_) => IPV4,
            IpNet::V6(_) => IPV6,
        };
        f.push(Oxm::EthType(eth_type));
        if let Some(t) = tos {
            f.push(Oxm::IpDscp(t.ip_dscp));
            if let Some(e) = t.ip_ecn {
                f.push(Oxm::IpEcn(e));
            }
        }
        f.push(match prefix {
            IpNet::V4(n) => {
                let mask = (n.prefix_len() < 32).then(|| n.netmask());
                if src {
                    Oxm::Ipv4Src(n.network(), mask)
                } else {
                    Oxm::Ipv4Dst(n.network(), mask)
                }
            }
            IpNet::V6(n) => {
                let mask = (n.prefix_len() < 128).then(|| n.netmask());
                if src {
                    Oxm::Ipv6Src(n.network(), mask)
                } else {
                    Oxm::Ipv6Dst(n.network(), mask)
                }
            }
        });
        Match { fields: f }
    }

    /// The switch-wide entries of switch `k`: the table-miss drop and, in reactive mode, the
    /// IP-miss entries sending unknown IPv4/IPv6 packets to the controller.
    pub(crate) fn static_entries(&self, k: usize, out: &mut Vec<FlowEntry>) {
        let cookie = self.cookie(CookieKind::Static, OwnerId::NONE);
        let drop = self.plan.drop.clone();
        out.push(FlowEntry::new(
            0,
            PRIORITY_TABLE_MISS,
            Match::new(),
            drop,
            cookie,
        ));
        if self.plan.reactive {
            for eth_type in [IPV4, IPV6] {
                let mut m = Match::new();
                if let Some(v) = self.plan.vlan(k) {
                    m.fields.push(v.clone());
                }
                m.fields.push(Oxm::EthType(eth_type));
                let punt = self.plan.to_controller.clone();
                out.push(FlowEntry::new(0, PRIORITY_IP_MISS, m, punt, cookie));
            }
        }
    }

    /// The anti-spoofing drop of customer `c`'s port at J0.
    pub(crate) fn anti_spoof(&self, c: usize) -> Option<FlowEntry> {
        let cp = self.plan.customers.get(c)?;
        let mut m = Match::new().with(Oxm::InPort(cp.port));
        if let Some(v) = self.plan.vlan(0) {
            m.fields.push(v.clone());
        }
        let cookie = self.cookie(CookieKind::AntiSpoof, OwnerId::for_port(cp.port));
        let drop = self.plan.drop.clone();
        Some(FlowEntry::new(0, PRIORITY_ANTI_SPOOF, m, drop, cookie))
    }

    /// The upstream match of `a` at J0.
    fn edge_up_match(&self, a: &AddressRef, port: u32, tos: Option<TosMatch>) -> Match {
        let tos = if self.plan.remark { None } else { tos };
        self.address_match(0, port, a.prefix, true, tos)
    }

    /// Reactive mode: the entries sending `a`'s first packet to the controller: at J0 with
    /// the upstream match, at J`n` with the downstream match.
    pub(crate) fn punts(&self, a: &AddressRef, emit: &mut impl FnMut(usize, FlowEntry)) {
        let Some(cp) = self.plan.customers.get(a.customer) else {
            return;
        };
        let n = self.plan.n;
        let prio = PRIORITY_PUNT + u16::from(a.prefix.prefix_len());
        let cookie = self.cookie(CookieKind::Punt, a.owner);
        let up = self.edge_up_match(a, cp.port, cp.tos);
        emit(
            0,
            FlowEntry::new(0, prio, up, self.plan.to_controller.clone(), cookie),
        );
        let down = self.address_match(n, self.plan.backbone_port, a.prefix, false, None);
        emit(
            n,
            FlowEntry::new(0, prio, down, self.plan.to_controller.clone(), cookie),
        );
    }

    /// The upstream and downstream entries of address `a` with hops `hops` (one per layer).
    pub(crate) fn address(
        &self,
        a: &AddressRef,
        hops: &[Hop],
        emit: &mut impl FnMut(usize, FlowEntry),
    ) {
        let plan = self.plan;
        let n = plan.n;
        let Some(cp) = plan.customers.get(a.customer) else {
            return;
        };
        let prio = PRIORITY_ADDRESS + u16::from(a.prefix.prefix_len());
        let up_cookie = self.cookie(CookieKind::Upstream, a.owner);
        let down_cookie = self.cookie(CookieKind::Downstream, a.owner);
        let timeout = if plan.reactive { plan.idle_timeout } else { 0 };
        let entry = |m: Match, instructions: Instructions, cookie: Cookie| FlowEntry {
            table_id: 0,
            priority: prio,
            match_: m,
            instructions,
            cookie,
            idle_timeout: timeout,
        };
        if hops.len() != n || hops.contains(&Hop::Blocked) {
            let up = self.edge_up_match(a, cp.port, cp.tos);
            emit(0, entry(up, plan.drop.clone(), up_cookie));
            let down = self.address_match(n, plan.backbone_port, a.prefix, false, None);
            emit(n, entry(down, plan.drop.clone(), down_cookie));
            return;
        }
        // Upstream, J0..Jn.
        for k in 0..=n {
            let in_port = match k.checked_sub(1) {
                None => Some(cp.port),
                Some(l) => self.up_port_of(l, hops.get(l).copied()),
            };
            let instructions = match hops.get(k) {
                _ if k == n => Some(plan.to_router.clone()),
                hop => self.towards_layer(k, hop.copied()),
            };
            let (Some(port), Some(mut instructions)) = (in_port, instructions) else {
                continue;
            };
            let m = if k == 0 {
                if plan.remark
                    && let Some(t) = cp.tos
                {
                    instructions = remarked(&instructions, plan.encoding, t);
                }
                self.edge_up_match(a, port, cp.tos)
            } else {
                self.address_match(k, port, a.prefix, true, cp.tos)
            };
            emit(k, entry(m, instructions, up_cookie));
        }
        // Downstream, Jn..J0.
        for k in (0..=n).rev() {
            let in_port = if k == n {
                Some(plan.backbone_port)
            } else {
                self.down_port_of(k, hops.get(k).copied())
            };
            let instructions = match k.checked_sub(1) {
                None => Some(cp.to_cpe.clone()),
                Some(l) => self.back_to_layer(l, hops.get(l).copied()),
            };
            if let (Some(port), Some(instructions)) = (in_port, instructions) {
                let m = self.address_match(k, port, a.prefix, false, None);
                emit(k, entry(m, instructions, down_cookie));
            }
        }
    }

    /// What `hop` at layer `l` gives: `vm(..)` of the VM crossed, `bypass(..)` of the bypass
    /// link taken, `None` when blocked (or the indices name nothing).
    fn via<T>(
        &self,
        l: usize,
        hop: Option<Hop>,
        vm: impl FnOnce(&VmPlan) -> T,
        bypass: impl FnOnce(&BypassPlan) -> T,
    ) -> Option<T> {
        let layer = self.plan.layers.get(l)?;
        match hop? {
            Hop::Vm(v) => layer.vms.get(v as usize).map(vm),
            Hop::Bypass(b) => layer.bypass.get(usize::from(b)).map(bypass),
            Hop::Blocked => None,
        }
    }

    /// Where upstream traffic leaving layer `l` through `hop` enters switch `l + 1` (VD/BD).
    fn up_port_of(&self, l: usize, hop: Option<Hop>) -> Option<u32> {
        self.via(l, hop, |v| v.up_port, |b| b.up_port)
    }

    /// Where downstream traffic leaving layer `l` through `hop` enters switch `l` (VU/BU).
    fn down_port_of(&self, l: usize, hop: Option<Hop>) -> Option<u32> {
        self.via(l, hop, |v| v.down_port, |b| b.down_port)
    }

    /// Upstream instructions at switch `l` sending traffic into layer `l`.
    fn towards_layer(&self, l: usize, hop: Option<Hop>) -> Option<Instructions> {
        self.via(l, hop, |v| v.up_instr.clone(), |b| b.up_instr.clone())
    }

    /// Downstream instructions at switch `l + 1` sending traffic back into layer `l`.
    fn back_to_layer(&self, l: usize, hop: Option<Hop>) -> Option<Instructions> {
        self.via(l, hop, |v| v.down_instr.clone(), |b| b.down_instr.clone())
    }
}
