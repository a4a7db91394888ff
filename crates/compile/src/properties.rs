//! Property tests over random small topologies: compile, then check the compiled tables with
//! the pipeline simulator (issue items 1 and 2).
//!
//! Topologies come from `flowfall_topology::synthetic` with random sizes, encodings, service
//! sources, selectors, VLAN scopes, modes, spoof actions and empty-layer policies; a random
//! quarter of the VMs and a random fifth of the bypass links are down, and a few addresses
//! carry VM overrides (some on dead VMs, unused layers or unknown customers).

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use flowfall_ofp::Match;
use flowfall_topology::file::{ConfigFile, CustomerEntry};
use flowfall_topology::synthetic::{SyntheticSpec, generate_config};
use flowfall_topology::{
    Mode, SelectorKind, ServiceSource, SpoofAction, Topology, VmId, WhenEmpty,
};
use flowfall_tos::Encoding;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::cookie::{CookieKind, OwnerId};
use crate::sim::field::{normalize_match, overlap};
use crate::sim::packet::{ETH_TYPE_ARP, Network};
use crate::sim::trace::{Fabric, Outcome, Trace, Tracer, remote_host, sample_host};
use crate::{
    AddressId, BypassId, Compilation, Hop, Inputs, LiveBypass, LiveVms, Tables, VmOverrides,
};
use ipnet::IpNet;

type TestResult = Result<(), TestCaseError>;

pub(crate) fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// A random chain configuration.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub(crate) config: ConfigFile,
    /// Per VM (layer-major, in order), whether it is live.
    live: Vec<bool>,
    /// Per bypass link (layer-major, in order), whether it is live.
    bypass: Vec<bool>,
    /// VM overrides.
    pins: Vec<(String, IpNet, VmId)>,
}

/// A pin from three selectors: the address (`address`-th of all, modulo) to the `vm`-th VM of
/// the topology (any layer, so sometimes one the customer does not use); `None` without
/// addresses or VMs.
fn pin_of(t: &Topology, address: usize, vm: usize) -> Option<(String, IpNet, VmId)> {
    let addresses: Vec<(String, IpNet)> = t
        .customers()
        .iter()
        .flat_map(|c| {
            let v4 = c.ipv4.iter().map(|&n| IpNet::V4(n));
            let v6 = c.ipv6.iter().map(|&n| IpNet::V6(n));
            v4.chain(v6).map(move |p| (c.name.clone(), p))
        })
        .collect();
    let vms: Vec<VmId> = t.all_vms().map(|v| v.id).collect();
    let (name, prefix) = addresses
        .get(address.checked_rem(addresses.len())?)?
        .clone();
    Some((name, prefix, *vms.get(vm.checked_rem(vms.len())?)?))
}

pub(crate) fn case() -> impl Strategy<Value = Case> {
    let spec = (
        (0usize..6, 1usize..4, 1usize..3, 0usize..5, 1usize..3),
        (
            any::<u64>(),
            any::<bool>(),
            any::<bool>(),
            0u8..3,
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |((customers, layers, hvs, vms, bypass), (seed, tos8, config, sel, v6, vlan))| {
                SyntheticSpec {
                    customers,
                    layers,
                    hypervisors_per_layer: hvs,
                    vms_per_layer: vms,
                    bypass_per_layer: bypass,
                    seed,
                    encoding: if tos8 { Encoding::Tos8 } else { Encoding::Dscp },
                    service_source: if config {
                        ServiceSource::Config
                    } else {
                        ServiceSource::Tos
                    },
                    selector: [
                        SelectorKind::Md5Mod,
                        SelectorKind::Rendezvous,
                        SelectorKind::Maglev,
                    ][usize::from(sel)],
                    ipv6: v6,
                    vlan: vlan.then_some(115),
                }
            },
        );
    (
        spec,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(any::<bool>(), 4),
        proptest::collection::vec(0u8..4, 64),
        (
            proptest::collection::vec(0u8..5, 16),
            proptest::collection::vec((any::<usize>(), any::<usize>()), 0..4),
            any::<bool>(),
        ),
    )
        .prop_filter_map(
            "generator limits",
            |(spec, reactive, remark, open, live, (bypass, pins, ghost))| {
                let mut config = generate_config(&spec).ok()?;
                config.chain.mode = if reactive {
                    Mode::Reactive
                } else {
                    Mode::Proactive
                };
                config.chain.spoof_action = if remark {
                    SpoofAction::Remark
                } else {
                    SpoofAction::Drop
                };
                for (layer, open) in config.layers.iter_mut().zip(open) {
                    layer.when_empty = if open {
                        WhenEmpty::FailOpen
                    } else {
                        WhenEmpty::FailClosed
                    };
                }
                let t = Topology::from_config(&config).ok()?;
                let mut pins: Vec<(String, IpNet, VmId)> = pins
                    .into_iter()
                    .filter_map(|(a, v)| pin_of(&t, a, v))
                    .collect();
                if ghost && let Some((_, prefix, vm)) = pins.first().cloned() {
                    pins.push(("ghost".into(), prefix, vm));
                }
                Some(Case {
                    config,
                    live: live.into_iter().map(|x| x != 0).collect(),
                    bypass: bypass.into_iter().map(|x| x != 0).collect(),
                    pins,
                })
            },
        )
}

fn topology(config: &ConfigFile) -> Result<Arc<Topology>, TestCaseError> {
    Topology::from_config(config).map(Arc::new).map_err(fail)
}

fn live_of(t: &Topology, flags: &[bool]) -> LiveVms {
    let mut live = LiveVms::all(t);
    let ids: Vec<VmId> = t.all_vms().map(|v| v.id).collect();
    for (id, &up) in ids.into_iter().zip(flags.iter().cycle()) {
        let _ = live.set(id, up);
    }
    live
}

fn bypass_of(t: &Topology, flags: &[bool]) -> LiveBypass {
    let mut live = LiveBypass::all(t);
    let ids: Vec<BypassId> = t
        .layers()
        .iter()
        .flat_map(|l| {
            l.bypass.iter().map(|b| BypassId {
                layer: l.index,
                index: b.index,
            })
        })
        .collect();
    for (id, &up) in ids.into_iter().zip(flags.iter().cycle()) {
        let _ = live.set(id, up);
    }
    live
}

fn inputs_of(t: &Topology, case: &Case) -> Inputs {
    Inputs {
        live: live_of(t, &case.live),
        overrides: case.pins.iter().cloned().collect(),
        live_bypass: bypass_of(t, &case.bypass),
    }
}

/// The layers an address's traffic crosses (VM hops), or `None` when blocked.
fn effective(c: &Compilation, id: AddressId) -> Option<Vec<usize>> {
    let path = c.path(id);
    if path.contains(&Hop::Blocked) {
        return None;
    }
    Some(
        path.iter()
            .enumerate()
            .filter(|(_, h)| matches!(h, Hop::Vm(_)))
            .map(|(l, _)| l)
            .collect(),
    )
}

/// The ToS byte an address's own packets carry.
fn own_tos(t: &Topology, customer: usize) -> u8 {
    t.customer(customer).and_then(|c| c.tos).unwrap_or(0)
}

/// Traces address `id` upstream (from its customer, with its own ToS) or downstream.
pub(crate) fn trace_dir(
    c: &Compilation,
    fabric: &Fabric,
    live: Option<&LiveVms>,
    id: AddressId,
    upstream: bool,
) -> Result<Trace, TestCaseError> {
    let a = c.address(id).ok_or_else(|| fail("no address"))?;
    let t = c.topology();
    let tracer = Tracer::new(t, fabric, live).with_live_bypass(live.map(|_| c.live_bypass()));
    let host = sample_host(a.prefix);
    let trace = if upstream {
        tracer.upstream(a.customer, host, own_tos(t, a.customer))
    } else {
        tracer.downstream(host)
    };
    trace.map_err(fail)
}

/// Checks both directions of every address against the compiled paths.
fn check_paths(c: &Compilation, fabric: &Fabric) -> TestResult {
    let t = c.topology();
    let live = c.live();
    for i in 0..c.addresses().len() {
        let id = AddressId(i);
        let a = c.address(id).ok_or_else(|| fail("no address"))?;
        let cust = t.customer(a.customer).ok_or_else(|| fail("no customer"))?;
        let up = trace_dir(c, fabric, Some(live), id, true)?;
        let down = trace_dir(c, fabric, Some(live), id, false)?;
        match effective(c, id) {
            None => {
                prop_assert_eq!(&up.outcome, &Outcome::Dropped { switch: 0 }, "{}", a.prefix);
                prop_assert_eq!(
                    &down.outcome,
                    &Outcome::Dropped {
                        switch: t.layers().len()
                    }
                );
            }
            Some(layers) => {
                // Upstream: exactly the layers of the set that have a live VM (fail-open
                // layers without one are bypassed), in order, one VM each: the chosen ones.
                let want: Vec<usize> = cust
                    .services
                    .iter()
                    .filter(|&l| matches!(c.path(id).get(l), Some(Hop::Vm(_))))
                    .collect();
                prop_assert_eq!(&layers, &want);
                prop_assert_eq!(up.layers(), layers.clone(), "{}", up.describe(t));
                prop_assert_eq!(&up.vms, &c.chosen_vms(id));
                match &up.outcome {
                    Outcome::Delivered { port, packet } => {
                        prop_assert_eq!(*port, t.backbone().port);
                        prop_assert_eq!(packet.eth_dst.octets(), t.backbone().router_mac.octets());
                    }
                    other => prop_assert!(false, "upstream {}: {other}", a.prefix),
                }
                // Downstream: the same VMs in reverse, out to the CPE.
                let mut back = down.vms.clone();
                back.reverse();
                prop_assert_eq!(&back, &up.vms, "{}", down.describe(t));
                match &down.outcome {
                    Outcome::Delivered { port, packet } => {
                        prop_assert_eq!(*port, cust.port);
                        prop_assert_eq!(packet.eth_dst.octets(), cust.cpe_mac.octets());
                    }
                    other => prop_assert!(false, "downstream {}: {other}", a.prefix),
                }
            }
        }
    }
    Ok(())
}

/// In reactive mode: the first packet of each address reaches the controller, which installs
/// the address's flows; returns the fabric with them.
fn react(c: &Compilation, mut fabric: Fabric) -> Result<Fabric, TestCaseError> {
    let t = c.topology();
    for i in 0..c.addresses().len() {
        let id = AddressId(i);
        let a = c.address(id).ok_or_else(|| fail("no address"))?;
        let tracer = Tracer::new(t, &fabric, None);
        let up = tracer
            .customer_packet(
                a.customer,
                sample_host(a.prefix),
                remote_host(a.prefix.network().is_ipv6()),
                own_tos(t, a.customer),
            )
            .map_err(fail)?;
        let first = tracer.run(0, up).map_err(fail)?;
        prop_assert_eq!(&first.outcome, &Outcome::Controller { switch: 0 });
        prop_assert_eq!(c.locate(0, &up), Some(id));
        let down = tracer
            .backbone_packet(
                remote_host(a.prefix.network().is_ipv6()),
                sample_host(a.prefix),
            )
            .map_err(fail)?;
        prop_assert_eq!(c.locate(t.layers().len(), &down), Some(id));
        fabric.install(&c.address_flows(id)).map_err(fail)?;
    }
    Ok(fabric)
}

pub(crate) fn compiled(case: &Case) -> Result<Compilation, TestCaseError> {
    let t = topology(&case.config)?;
    let inputs = inputs_of(&t, case);
    Compilation::with_inputs(t, inputs, 1).map_err(fail)
}

/// `(switch, table, priority, match) -> (instructions, idle timeout, cookie identity)`.
type Content = HashMap<(usize, u8, u16, Match), (Vec<flowfall_ofp::Instruction>, u16, u64)>;

fn content<'a>(switches: impl Iterator<Item = (usize, &'a crate::FlowEntry)>) -> Content {
    switches
        .map(|(k, e)| {
            (
                (k, e.table_id, e.priority, e.match_.clone()),
                (e.instructions.to_vec(), e.idle_timeout, e.cookie.identity()),
            )
        })
        .collect()
}

pub(crate) fn tables_content(t: &Tables) -> Content {
    content(
        t.switches
            .iter()
            .flat_map(|s| s.entries.iter().map(move |e| (s.index, e))),
    )
}

pub(crate) fn fabric_content(f: &Fabric) -> Content {
    content(
        f.switches
            .iter()
            .enumerate()
            .flat_map(|(k, s)| s.entries().map(move |e| (k, e))),
    )
}

/// A change to apply to a case.
#[derive(Debug, Clone)]
enum Change {
    /// Flip the liveness of the `n`-th VM.
    ToggleVm(usize),
    /// Give the `n`-th customer the services of this bitmap.
    Services(usize, u8),
    /// Add a customer with this services bitmap.
    AddCustomer(u8),
    /// Remove the `n`-th customer.
    RemoveCustomer(usize),
    /// Pin the `a`-th address to the `v`-th VM ([`pin_of`]).
    Pin(usize, usize),
    /// Remove the `n`-th pin.
    Unpin(usize),
    /// Flip the liveness of the `n`-th bypass link.
    ToggleBypass(usize),
    /// A reload: add a customer with this services bitmap and pin the `a`-th address to the
    /// `v`-th VM at once.
    Reload(u8, usize, usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        3 => any::<usize>().prop_map(Change::ToggleVm),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, s)| Change::Services(i, s)),
        1 => any::<u8>().prop_map(Change::AddCustomer),
        1 => any::<usize>().prop_map(Change::RemoveCustomer),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, v)| Change::Pin(a, v)),
        1 => any::<usize>().prop_map(Change::Unpin),
        2 => any::<usize>().prop_map(Change::ToggleBypass),
        1 => (any::<u8>(), any::<usize>(), any::<usize>()).prop_map(|(s, a, v)| Change::Reload(s, a, v)),
    ]
}

fn services_named(config: &ConfigFile, bits: u8) -> Vec<String> {
    config
        .layers
        .iter()
        .enumerate()
        .filter(|(l, _)| bits >> l & 1 == 1)
        .map(|(_, layer)| layer.name.clone())
        .collect()
}

/// Applies `change` to `case`; `None` when it does not apply (no VM, no customer).
fn changed(case: &Case, change: &Change) -> Option<(Case, Option<VmId>)> {
    let mut next = case.clone();
    let t = Topology::from_config(&case.config).ok()?;
    match *change {
        Change::ToggleVm(i) => {
            let ids: Vec<VmId> = t.all_vms().map(|v| v.id).collect();
            let pos = i.checked_rem(ids.len())?;
            let live = live_of(&t, &case.live);
            let flags: Vec<bool> = ids
                .iter()
                .enumerate()
                .map(|(j, id)| {
                    if j == pos {
                        !live.contains(*id)
                    } else {
                        live.contains(*id)
                    }
                })
                .collect();
            next.live = flags;
            return Some((next, ids.get(pos).copied()));
        }
        Change::Services(i, bits) => {
            let len = next.config.customers.len();
            let names = services_named(&case.config, bits);
            next.config.customers.get_mut(i.checked_rem(len)?)?.services = names;
        }
        Change::Reload(bits, a, v) => {
            next.pins.push(pin_of(&t, a, v)?);
            return changed(&next, &Change::AddCustomer(bits)).map(|(n, _)| (n, None));
        }
        Change::AddCustomer(bits) => {
            let services = services_named(&case.config, bits);
            next.config.customers.push(CustomerEntry {
                name: "added".into(),
                port: 60_000,
                cpe_mac: "02:ff:00:00:00:01".into(),
                ipv4: vec!["10.200.0.0/24".into()],
                ipv6: vec!["2001:db8:ffff::/48".into()],
                services,
            });
        }
        Change::RemoveCustomer(i) => {
            let len = next.config.customers.len();
            next.config.customers.remove(i.checked_rem(len)?);
        }
        Change::Pin(a, v) => next.pins.push(pin_of(&t, a, v)?),
        Change::Unpin(i) => {
            next.pins.remove(i.checked_rem(case.pins.len())?);
        }
        Change::ToggleBypass(i) => {
            let links: usize = t.layers().iter().map(|l| l.bypass.len()).sum();
            let pos = i.checked_rem(links)?;
            let mut flags: Vec<bool> = case.bypass.iter().cycle().take(links).copied().collect();
            let flag = flags.get_mut(pos)?;
            *flag = !*flag;
            next.bypass = flags;
        }
    }
    Some((next, None))
}

/// Traces every address of `c` (by owner) in both directions without liveness checks.
fn all_traces(
    c: &Compilation,
    fabric: &Fabric,
) -> Result<HashMap<OwnerId, (Trace, Trace)>, TestCaseError> {
    let mut out = HashMap::new();
    for i in 0..c.addresses().len() {
        let id = AddressId(i);
        let owner = c.address(id).map(|a| a.owner).unwrap_or_default();
        out.insert(
            owner,
            (
                trace_dir(c, fabric, None, id, true)?,
                trace_dir(c, fabric, None, id, false)?,
            ),
        );
    }
    Ok(out)
}

/// Junctions with their ports, VMs, outcome and final `eth_dst` of a trace.
pub(crate) type Route = (
    Vec<(usize, u32, Option<u32>)>,
    Vec<VmId>,
    String,
    Option<[u8; 6]>,
);

/// The route of a trace: junctions with ports, VMs, and how it ended (the packet's own
/// headers aside, e.g. its ToS when only that changed).
pub(crate) fn route(t: &Trace) -> Route {
    let steps = t
        .steps
        .iter()
        .map(|s| (s.switch, s.packet.in_port, s.output.map(|o| o.port)))
        .collect();
    let eth_dst = match &t.outcome {
        Outcome::Delivered { packet, .. } => Some(packet.eth_dst.octets()),
        _ => None,
    };
    (steps, t.vms.clone(), t.outcome.to_string(), eth_dst)
}

/// The layer sets of an address before and after, by owner.
fn layer_sets(c: &Compilation) -> HashMap<OwnerId, Option<BTreeSet<usize>>> {
    (0..c.addresses().len())
        .filter_map(|i| {
            let a = c.address(AddressId(i))?;
            Some((
                a.owner,
                effective(c, AddressId(i)).map(|v| v.into_iter().collect()),
            ))
        })
        .collect()
}

/// Layers an address crosses: absent (no such address), blocked, or these layers.
type Side = Option<Option<BTreeSet<usize>>>;

/// One packet to follow while a diff is applied.
struct Probe {
    upstream: bool,
    /// Trace with the new topology (an address only the new one has).
    new_side: bool,
    customer: usize,
    host: IpAddr,
    tos: u8,
    before: Side,
    after: Side,
}

/// Probes for every address before or after the change, in both directions; when the
/// customer's ToS value changes (ToS mode, drop), the old and new values are separate
/// probes, each existing on one side only.
fn probes(old: &Compilation, new: &Compilation) -> Vec<Probe> {
    let (before, after) = (layer_sets(old), layer_sets(new));
    let remark = old.topology().chain().spoof_action == SpoofAction::Remark;
    let mut out = Vec::new();
    for (c, new_side) in [(old, false), (new, true)] {
        for a in c.addresses() {
            let (b, n) = (before.get(&a.owner).cloned(), after.get(&a.owner).cloned());
            if new_side && b.is_some() {
                continue; // probed from the old side
            }
            let host = sample_host(a.prefix);
            let tos = own_tos(c.topology(), a.customer);
            let name = c.topology().customer(a.customer).map(|x| x.name.clone());
            let other_tos = (if new_side { old } else { new })
                .topology()
                .customers()
                .iter()
                .find(|x| Some(&x.name) == name.as_ref())
                .map(|x| {
                    own_tos(
                        if new_side {
                            old.topology()
                        } else {
                            new.topology()
                        },
                        x.index,
                    )
                });
            let probe = |upstream, tos, before: &Side, after: &Side| Probe {
                upstream,
                new_side,
                customer: a.customer,
                host,
                tos,
                before: before.clone(),
                after: after.clone(),
            };
            out.push(probe(false, 0, &b, &n));
            match other_tos {
                Some(t) if t != tos && !remark && b.is_some() && n.is_some() => {
                    out.push(probe(true, tos, &b, &None));
                    out.push(probe(true, t, &None, &n));
                }
                _ => out.push(probe(true, tos, &b, &n)),
            }
        }
    }
    out
}

/// After one operation, every probe is either dropped at the edge it enters by, or delivered
/// crossing layers in order, each at most once, none outside its sets, all of every set it
/// has on both sides (or its one set, when it exists on one side only); a probe delivered
/// before and after with the same headers is delivered.
fn check_step(
    old: &Compilation,
    new: &Compilation,
    probes: &[Probe],
    fabric: &Fabric,
    step: usize,
) -> TestResult {
    let n = old.topology().layers().len();
    for p in probes {
        let c = if p.new_side { new } else { old };
        let tracer = Tracer::new(c.topology(), fabric, None);
        let trace = if p.upstream {
            tracer.upstream(p.customer, p.host, p.tos)
        } else {
            tracer.downstream(p.host)
        }
        .map_err(fail)?;
        let what = format!(
            "step {step}: {} {} tos {:#x}",
            if p.upstream { "up" } else { "down" },
            p.host,
            p.tos
        );
        let entry = if p.upstream { 0 } else { n };
        if !trace.delivered() {
            // Dropped, or in reactive mode punted, where it entered.
            let at_entry = matches!(trace.outcome, Outcome::Dropped { switch } | Outcome::Controller { switch } if switch == entry);
            prop_assert!(at_entry, "{what}: {}", trace.outcome);
            let both = matches!((&p.before, &p.after), (Some(Some(_)), Some(Some(_))));
            prop_assert!(!both, "{what}: lost half-way: {}", trace.outcome);
            continue;
        }
        let mut layers = trace.layers();
        if !p.upstream {
            layers.reverse();
        }
        prop_assert!(
            layers.windows(2).all(|w| w[0] < w[1]),
            "{what}: layers out of order: {layers:?}"
        );
        let seen: BTreeSet<usize> = layers.into_iter().collect();
        let sets: Vec<&BTreeSet<usize>> = [&p.before, &p.after]
            .into_iter()
            .flatten()
            .flatten()
            .collect();
        let may: BTreeSet<usize> = sets.iter().flat_map(|s| s.iter().copied()).collect();
        prop_assert!(
            seen.is_subset(&may),
            "{what}: crossed {seen:?} outside {may:?}"
        );
        let must: BTreeSet<usize> = match (&p.before, &p.after) {
            (Some(Some(b)), Some(Some(a))) => b.intersection(a).copied().collect(),
            (Some(Some(s)), None) | (None, Some(Some(s))) => s.clone(),
            _ => BTreeSet::new(),
        };
        prop_assert!(
            must.is_subset(&seen),
            "{what}: skipped a layer: crossed {seen:?}, must cross {must:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Upstream visits exactly the layers of the set, in order, one (the chosen) VM per layer;
    /// downstream the same VMs in reverse; both end at the right edge with the right MAC.
    /// Reactive mode: first packets reach the controller, and the installed flows do the same.
    #[test]
    fn paths_follow_the_service_set(case in case()) {
        let c = compiled(&case)?;
        let fabric = Fabric::from_tables(&c.tables()).map_err(fail)?;
        let fabric = if c.topology().chain().mode == Mode::Reactive { react(&c, fabric)? } else { fabric };
        check_paths(&c, &fabric)?;
    }

    /// Spoofed source addresses, wrong ToS values (dropped, or re-marked with
    /// `spoof_action = "remark"`) and non-IP frames from customers go nowhere else.
    #[test]
    fn spoofed_traffic_goes_nowhere(case in case(), flip in 0u8..6) {
        let c = compiled(&case)?;
        let t = c.topology();
        let fabric = Fabric::from_tables(&c.all_entries()).map_err(fail)?;
        let tracer = Tracer::new(t, &fabric, None);
        let chain = t.chain();
        for (ci, cust) in t.customers().iter().enumerate() {
            // A source outside every prefix of the customer.
            let foreign = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
            let tr = tracer.upstream(ci, foreign, own_tos(t, ci)).map_err(fail)?;
            prop_assert_eq!(&tr.outcome, &Outcome::Dropped { switch: 0 });
            // Another customer's address.
            for other in t.customers().iter().filter(|o| o.index != ci) {
                for net in &other.ipv4 {
                    let tr = tracer.upstream(ci, sample_host((*net).into()), own_tos(t, other.index)).map_err(fail)?;
                    prop_assert_eq!(&tr.outcome, &Outcome::Dropped { switch: 0 });
                }
            }
            // Non-IP.
            let mut arp = tracer.customer_packet(ci, foreign, foreign, 0).map_err(fail)?;
            arp.network = Network::Other { eth_type: ETH_TYPE_ARP };
            prop_assert_eq!(&tracer.run(0, arp).map_err(fail)?.outcome, &Outcome::Dropped { switch: 0 });
            // A wrong ToS value from an own address.
            if chain.service_source == ServiceSource::Tos {
                let tos = own_tos(t, ci);
                let wrong = tos ^ (1 << (flip + 2));
                for i in c.addresses_of(ci) {
                    let Some(a) = c.address(AddressId(i)) else { continue };
                    let tr = tracer.upstream(ci, sample_host(a.prefix), wrong).map_err(fail)?;
                    let honest = tracer.upstream(ci, sample_host(a.prefix), tos).map_err(fail)?;
                    if chain.spoof_action == SpoofAction::Drop {
                        prop_assert_eq!(&tr.outcome, &Outcome::Dropped { switch: 0 }, "{}", cust.name);
                    } else {
                        prop_assert_eq!(&tr.vms, &honest.vms);
                        prop_assert_eq!(&tr.outcome, &honest.outcome);
                        if let Outcome::Delivered { packet, .. } = &tr.outcome {
                            let enc = chain.tos_encoding;
                            prop_assert!(enc.match_fields(tos).matches(packet.tos().unwrap_or(0)));
                        }
                    }
                }
            }
        }
    }

    /// No two entries of equal priority in one table overlap (the winner is never left to the
    /// switch, OpenFlow 1.3.5 §5.3).
    #[test]
    fn no_equal_priority_overlap(case in case()) {
        let c = compiled(&case)?;
        for s in c.all_entries().switches {
            let mut by_prio: HashMap<(u8, u16), Vec<Vec<crate::sim::field::FieldMatch>>> = HashMap::new();
            for e in &s.entries {
                let m = normalize_match(&e.match_).map_err(fail)?;
                let same = by_prio.entry((e.table_id, e.priority)).or_default();
                for other in same.iter() {
                    prop_assert!(!overlap(other, &m), "J{}: priority {} overlap", s.index, e.priority);
                }
                same.push(m);
            }
        }
    }

    /// Proactive and reactive compilation give identical address flows (bar the idle timeout).
    #[test]
    fn proactive_and_reactive_agree(case in case()) {
        let mut pro = case.clone();
        pro.config.chain.mode = Mode::Proactive;
        let mut re = case;
        re.config.chain.mode = Mode::Reactive;
        let (p, r) = (compiled(&pro)?, compiled(&re)?);
        let timeout = r.topology().chain().idle_timeout;
        let table = tables_content(&p.tables());
        let mut covered = 0;
        for i in 0..r.addresses().len() {
            for (k, e) in r.address_flows(AddressId(i)) {
                prop_assert_eq!(e.idle_timeout, timeout);
                let key = (k, e.table_id, e.priority, e.match_.clone());
                let want = (e.instructions.to_vec(), 0, e.cookie.identity());
                prop_assert_eq!(table.get(&key), Some(&want));
                covered += 1;
            }
        }
        let address_entries = table.values().filter(|(_, _, id)| {
            matches!(crate::cookie::Cookie(*id).kind(), Some(CookieKind::Upstream | CookieKind::Downstream))
        }).count();
        prop_assert_eq!(covered, address_entries);
    }

    /// An incremental diff turns the old tables into exactly the new ones, equals a full
    /// recompile, leaves the paths of addresses it does not touch unchanged, and after every
    /// single operation no packet skips a layer in both its old and new service set.
    #[test]
    fn incremental_diffs_are_exact_and_safe(case in case(), change in change()) {
        let Some((next, toggled)) = changed(&case, &change) else { return Ok(()) };
        let mut c = compiled(&case)?;
        let Ok(new_topology) = topology(&next.config) else { return Ok(()) };
        let inputs = inputs_of(&new_topology, &next);
        let old = c.clone();
        let old_tables = old.all_entries();
        let mut fabric = Fabric::from_tables(&old_tables).map_err(fail)?;
        let traces_before = all_traces(&old, &fabric)?;
        let diff = c.update_inputs(Arc::clone(&new_topology), inputs.clone(), 2).map_err(fail)?;
        let scratch = Compilation::with_inputs(new_topology, inputs, 2).map_err(fail)?;
        prop_assert_eq!(tables_content(&c.all_entries()), tables_content(&scratch.all_entries()));
        let probes = probes(&old, &c);
        for (step, (k, op)) in diff.ops().enumerate() {
            fabric.apply(k, &op.to_flow_mod()).map_err(fail)?;
            check_step(&old, &c, &probes, &fabric, step)?;
        }
        prop_assert_eq!(fabric_content(&fabric), tables_content(&scratch.all_entries()));
        // Addresses the diff does not touch keep their exact paths.
        let touched = diff.address_owners();
        let traces_after = all_traces(&c, &fabric)?;
        for (owner, (up, down)) in &traces_before {
            if touched.contains(owner) { continue }
            if let Some((up2, down2)) = traces_after.get(owner) {
                prop_assert_eq!(route(up), route(up2));
                prop_assert_eq!(route(down), route(down2));
            }
        }
        // A VM going down touches exactly the addresses that went through it (rendezvous),
        // or at least those (Maglev's small extra share; MD5-mod moves most keys).
        if let Some(vm) = toggled.filter(|vm| !c.live().contains(*vm)) {
            let on_vm: BTreeSet<OwnerId> = (0..old.addresses().len())
                .filter(|&i| old.chosen_vms(AddressId(i)).contains(&vm))
                .filter_map(|i| old.address(AddressId(i)).map(|a| a.owner))
                .collect();
            prop_assert!(on_vm.is_subset(&touched));
            let selector = c.topology().layer(vm.layer).map(|l| l.selector);
            if selector == Some(SelectorKind::Rendezvous) {
                prop_assert_eq!(&on_vm, &touched);
            }
        }
    }

    /// Overrides change nothing for addresses they do not name (same path, same entries), and
    /// an override naming a live VM of a layer the address uses is followed in both
    /// directions through the compiled tables; any other override is ignored.
    #[test]
    fn overrides_touch_only_their_addresses(case in case()) {
        let pinned = compiled(&case)?;
        let plain = compiled(&Case { pins: Vec::new(), ..case.clone() })?;
        let t = pinned.topology();
        let fabric = Fabric::from_tables(&pinned.all_entries()).map_err(fail)?;
        let overrides = pinned.overrides();
        for i in 0..pinned.addresses().len() {
            let id = AddressId(i);
            let a = pinned.address(id).ok_or_else(|| fail("no address"))?;
            let name = t.customer(a.customer).map(|c| c.name.as_str()).unwrap_or_default();
            let pins: Vec<VmId> = (0..t.layers().len())
                .filter_map(|l| overrides.get(name, a.prefix, l))
                .collect();
            if pins.is_empty() {
                prop_assert_eq!(pinned.path(id), plain.path(id));
                prop_assert_eq!(pinned.address_flows(id), plain.address_flows(id));
                continue;
            }
            let mut want = plain.path(id).to_vec();
            for vm in &pins {
                let honoured = a.services.contains(vm.layer) && pinned.live().contains(*vm);
                if honoured && let Some(h) = want.get_mut(vm.layer) {
                    *h = Hop::Vm(vm.index as u32);
                }
            }
            prop_assert_eq!(pinned.path(id), want.as_slice(), "{} {}", name, a.prefix);
            if effective(&pinned, id).is_some() {
                let up = trace_dir(&pinned, &fabric, Some(pinned.live()), id, true)?;
                let down = trace_dir(&pinned, &fabric, Some(pinned.live()), id, false)?;
                prop_assert_eq!(&up.vms, &pinned.chosen_vms(id), "{}", up.describe(t));
                let mut back = down.vms.clone();
                back.reverse();
                prop_assert_eq!(&back, &up.vms, "{}", down.describe(t));
                for vm in pins.iter().filter(|vm| a.services.contains(vm.layer) && pinned.live().contains(**vm)) {
                    prop_assert!(up.vms.contains(vm), "{}: pin {} not followed", up.describe(t), vm);
                }
            }
        }
    }

    /// Moving one address to another live VM of a layer it uses touches only that address's
    /// entries, and after every single operation of the diff no packet of any address skips
    /// a layer of its service set or is lost half-way; the address ends on the new VM.
    #[test]
    fn moving_one_address_is_local_and_safe(case in case(), pick in any::<usize>(), to in any::<usize>()) {
        let mut c = compiled(&case)?;
        let t = Arc::clone(c.topology());
        // (address, layer, current VM) with another live VM to move to.
        let candidates: Vec<(usize, usize, u32)> = (0..c.addresses().len())
            .flat_map(|i| {
                let path = c.path(AddressId(i)).to_vec();
                let live = c.live().clone();
                path.into_iter().enumerate().filter_map(move |(l, h)| match h {
                    Hop::Vm(v) if live.layer(l).iter().filter(|&&up| up).count() > 1 => Some((i, l, v)),
                    _ => None,
                })
            })
            .collect();
        let Some(&(i, l, from)) = pick.checked_rem(candidates.len()).and_then(|k| candidates.get(k)) else {
            return Ok(());
        };
        let targets: Vec<usize> = c.live().layer(l).iter().enumerate()
            .filter(|&(v, &up)| up && v != from as usize)
            .map(|(v, _)| v)
            .collect();
        let Some(&target) = to.checked_rem(targets.len()).and_then(|k| targets.get(k)) else {
            return Ok(());
        };
        let id = AddressId(i);
        let a = *c.address(id).ok_or_else(|| fail("no address"))?;
        let name = t.customer(a.customer).map(|x| x.name.clone()).unwrap_or_default();
        let mut overrides: VmOverrides = c.overrides().clone();
        let vm = VmId { layer: l, index: target };
        overrides.insert(name, a.prefix, vm);
        let old = c.clone();
        let mut fabric = Fabric::from_tables(&old.all_entries()).map_err(fail)?;
        let diff = c.set_overrides(overrides, 2).map_err(fail)?;
        let touched = diff.address_owners();
        prop_assert_eq!(c.path(id).get(l), Some(&Hop::Vm(target as u32)));
        if effective(&c, id).is_some() {
            prop_assert_eq!(touched, BTreeSet::from([a.owner]));
        } else {
            prop_assert!(diff.is_empty(), "a blocked address keeps its drop entries");
        }
        let probes = probes(&old, &c);
        for (step, (k, op)) in diff.ops().enumerate() {
            fabric.apply(k, &op.to_flow_mod()).map_err(fail)?;
            check_step(&old, &c, &probes, &fabric, step)?;
        }
        let scratch = Compilation::with_inputs(
            Arc::clone(&t),
            Inputs { overrides: c.overrides().clone(), ..inputs_of(&t, &case) },
            2,
        ).map_err(fail)?;
        prop_assert_eq!(fabric_content(&fabric), tables_content(&scratch.all_entries()));
        if effective(&c, id).is_some() {
            let up = trace_dir(&c, &fabric, Some(c.live()), id, true)?;
            prop_assert!(up.vms.contains(&vm), "{}", up.describe(&t));
        }
    }
}
