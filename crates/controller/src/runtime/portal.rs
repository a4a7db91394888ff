//! The web portal (`flowfall-portal`, issue 8) over the running controller, served on the REST
//! port beside the API.
//!
//! [`ControllerPortal`] is the portal's [`PortalBackend`]: a thin adapter that reads the
//! core's views through the [`ControllerHandle`] and changes services through the same code
//! as `PUT /api/customers/{name}/services` (a waypoint-safe update, then up to
//! [`APPLY_WAIT`](super::api::APPLY_WAIT) for every connected switch's barrier).
//!
//! What the portal shows, and where it comes from:
//!
//! | portal | controller |
//! |---|---|
//! | switches | the junctions' connection state, flow count, sync state |
//! | VM liveness | `down` when the VM is not used for selection (administratively down, a hypervisor port down, or probed down); else the health probe's verdict (`up`, `suspect`) when probing runs, `up` without it |
//! | VM RTT | the health probe's round-trip time, when probing runs |
//! | VM load | customer prefixes steered through the VM (from the compiled paths); its throughput once the load was measured (`[health.balance] interval`) |
//! | bypass up | both ends' ports up, when both junctions are connected, and LLDP crosses it once it has a verdict ([`crate::core::links`]) |
//! | paths | the compiled path of each prefix; downstream crosses the same VMs (paper §4.2) |
//! | counters | J0's flow statistics per customer ([`crate::core::stats`]), polled while someone looks: at most one poll per `poll_interval_secs` |
//! | alarms | layers without a live VM (critical), VMs and bypass links down (major), NAT-in-chain alarms (major) |
//!
//! # ToS values and the CPE hook
//!
//! In `service_source = "tos"` mode the controller keeps matching the ToS value the CPE is
//! configured with and re-marks it at J0 to the new set's value, so a change needs no CPE
//! update. With `spoof_action = "drop"`, J0's entries match the CPE's configured value
//! exactly: a CPE that started marking the new value would be dropped as spoofed. So
//! [`check`] refuses a `[portal.cpe_hook]` in that case, and a change's
//! [`ChangeReport::tos`] (what the hook hands the CPE) is withheld when a hook is configured and
//! the topology (after a reload) has `spoof_action = "drop"`. With `"remark"` J0 sets the value
//! whatever the CPE marks, so handing the CPE the new value is safe.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowfall_portal::{
    BackendError, BackendErrorKind, BoxFuture, BypassStatus, ChainOverview, ChangeReport,
    ChangeRequest, ConfigError, ConfigProblem, Counters, CpeHook, CustomerStatus, Hop, LayerStatus,
    Liveness, PortalBackend, PortalConfig, PrefixPath, SwitchStatus, Traffic, Via, VmLoad,
    VmStatus,
};
use flowfall_topology::{ServiceSource, SpoofAction, Topology};

use super::ControllerHandle;
use super::api::{ChangeError, change_services};
use crate::core::stats::TrafficCount;
use crate::core::views::{HopView, SwitchView, VmView};
use crate::core::{Controller, CoreError};

/// Checks a portal configuration against the topology the controller serves: customer names
/// and allowed services must exist ([`PortalConfig::check_against`]); a CPE hook needs
/// `service_source = "tos"` and `spoof_action = "remark"` (see the [module docs](self)).
pub fn check(cfg: &PortalConfig, topology: &Topology) -> Result<(), ConfigError> {
    let customers: Vec<&str> = topology
        .customers()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let services: Vec<&str> = topology.layers().iter().map(|l| l.name.as_str()).collect();
    let mut problems = match cfg.check_against(&customers, &services) {
        Ok(()) => Vec::new(),
        Err(ConfigError::Invalid(p)) => p,
        Err(e @ ConfigError::Parse(_)) => return Err(e),
    };
    if let Some(hook) = &cfg.cpe_hook {
        let chain = topology.chain();
        let why = if chain.service_source != ServiceSource::Tos {
            Some(format!(
                "the topology's service_source is {:?}: no ToS value to hand a CPE (a hook needs \"tos\")",
                chain.service_source.to_string()
            ))
        } else if chain.spoof_action == SpoofAction::Drop {
            Some(
                "the topology's spoof_action is \"drop\": J0 keeps matching the CPE's configured \
                 ToS value (and re-marks it), so a CPE marking a new value would be dropped as \
                 spoofed; use spoof_action = \"remark\" with a CPE hook"
                    .to_string(),
            )
        } else {
            None
        };
        if let Some(message) = why {
            let kind = match hook {
                CpeHook::Command { .. } => "command",
                CpeHook::Webhook { .. } => "webhook",
            };
            problems.push(ConfigProblem {
                path: "cpe_hook".into(),
                message: format!("{kind} hook refused: {message}"),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::Invalid(problems))
    }
}

/// The portal's router over the running controller (validates `cfg` again; [`check`] it
/// against the topology first).
pub(crate) fn router(
    handle: ControllerHandle,
    cfg: PortalConfig,
) -> Result<axum::Router, ConfigError> {
    let backend = ControllerPortal::new(handle, &cfg);
    flowfall_portal::router(Arc::new(backend), cfg)
}

/// The controller as a [`PortalBackend`] (see the [module docs](self)).
#[derive(Debug)]
pub struct ControllerPortal {
    handle: ControllerHandle,
    /// Whether a CPE hook is configured.
    cpe_hook: bool,
    /// Shortest time between two traffic polls.
    poll_every: Duration,
    /// When the last traffic poll was sent.
    last_poll: Mutex<Option<Instant>>,
}

impl ControllerPortal {
    /// A backend over `handle` for a portal configured with `cfg` (its CPE hook and poll
    /// interval).
    pub fn new(handle: ControllerHandle, cfg: &PortalConfig) -> ControllerPortal {
        ControllerPortal {
            handle,
            cpe_hook: cfg.cpe_hook.is_some(),
            poll_every: Duration::from_secs(cfg.poll_interval_secs.max(1)),
            last_poll: Mutex::new(None),
        }
    }

    /// Runs a read-only query on the core.
    async fn query<T, F>(&self, f: F) -> Result<T, BackendError>
    where
        F: FnOnce(&Controller) -> T + Send + 'static,
        T: Send + 'static,
    {
        self.handle.call(move |c, _| f(c)).await.ok_or_else(stopped)
    }

    /// Someone looks at customers: poll J0's counters unless that was done within the poll
    /// interval. The replies update the counters the next look shows.
    async fn poll_traffic(&self) {
        let now = Instant::now();
        {
            let mut last = self.last_poll.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| now.duration_since(t) < self.poll_every) {
                return;
            }
            *last = Some(now);
        }
        // A stopped controller has no counters to poll; the query itself reports that.
        let _ = self.handle.call(|c, _| c.poll_traffic()).await;
    }
}

fn stopped() -> BackendError {
    BackendError::new(
        BackendErrorKind::Unavailable,
        "the controller is shutting down",
    )
}

fn backend_error(e: ChangeError) -> BackendError {
    match e {
        ChangeError::Stopped => stopped(),
        ChangeError::Core(e) => {
            let kind = match e {
                CoreError::UnknownCustomer(_) => BackendErrorKind::NotFound,
                CoreError::UnknownService { .. } | CoreError::Config(_) => {
                    BackendErrorKind::Invalid
                }
                _ => BackendErrorKind::Internal,
            };
            BackendError::new(kind, e.to_string())
        }
    }
}

impl PortalBackend for ControllerPortal {
    fn overview(&self) -> BoxFuture<'_, Result<ChainOverview, BackendError>> {
        Box::pin(async move {
            self.handle
                .call(|c, now| overview(c, now))
                .await
                .ok_or_else(stopped)
        })
    }

    fn customers(&self) -> BoxFuture<'_, Result<Vec<CustomerStatus>, BackendError>> {
        Box::pin(async move {
            self.poll_traffic().await;
            self.query(|c| {
                c.customer_views()
                    .iter()
                    .filter_map(|v| customer(c, &v.name))
                    .collect()
            })
            .await
        })
    }

    fn customer(
        &self,
        name: String,
    ) -> BoxFuture<'_, Result<Option<CustomerStatus>, BackendError>> {
        Box::pin(async move {
            self.poll_traffic().await;
            self.query(move |c| customer(c, &name)).await
        })
    }

    fn alarms(&self) -> BoxFuture<'_, Result<Vec<flowfall_portal::Alarm>, BackendError>> {
        Box::pin(async move {
            self.handle
                .call(|c, now| alarms(c, now))
                .await
                .ok_or_else(stopped)
        })
    }

    fn set_services(
        &self,
        request: ChangeRequest,
    ) -> BoxFuture<'_, Result<ChangeReport, BackendError>> {
        Box::pin(async move {
            let ChangeRequest {
                customer,
                services,
                actor,
            } = request;
            let spoof = self.query(|c| c.topology().chain().spoof_action).await?;
            let change = change_services(&self.handle, customer.clone(), services)
                .await
                .map_err(backend_error)?;
            tracing::info!(
                %actor, customer = %customer, old = ?change.before.services,
                new = ?change.after.services, generation = change.generation,
                confirmed = change.confirmed, "services changed in the portal"
            );
            let (before, after) = (&change.before, &change.after);
            let mut detail = format!("generation {}", change.generation);
            let remarked = after.cpe_tos.filter(|&cpe| Some(cpe) != after.tos);
            let tos = match (after.tos, remarked) {
                (Some(_), Some(cpe)) if self.cpe_hook && spoof == SpoofAction::Drop => {
                    detail.push_str(&format!(
                        "; J0 re-marks the CPE's ToS {cpe:#04x}; the CPE keeps it \
                         (spoof_action = \"drop\")"
                    ));
                    None
                }
                (tos, _) => tos,
            };
            Ok(ChangeReport {
                customer,
                old_services: before.services.clone(),
                new_services: after.services.clone(),
                tos,
                confirmed: change.confirmed,
                detail: Some(detail),
            })
        })
    }
}

/// What the health machinery reports as wrong, most severe first.
fn alarms(c: &Controller, now: Instant) -> Vec<flowfall_portal::Alarm> {
    use flowfall_portal::{Alarm, Severity};
    let alarm = |severity, source: String, message: String| Alarm {
        severity,
        source,
        message,
        since_unix_ms: None,
    };
    let mut out = Vec::new();
    for l in c.layer_views().into_iter().filter(|l| l.status != "ok") {
        let what = if l.status == "dropping" {
            "no live VM: its subscribers' traffic is dropped (fail-closed)"
        } else {
            "no live VM: its subscribers bypass it (fail-open)"
        };
        out.push(alarm(
            Severity::Critical,
            format!("layer {}", l.layer),
            what.into(),
        ));
    }
    for v in c.vm_views().into_iter().filter(|v| !v.live) {
        out.push(alarm(
            Severity::Major,
            format!("vm {}", v.name),
            "down: its customers moved to the layer's other VMs".into(),
        ));
    }
    for l in c.link_views(now).into_iter().filter(|l| l.state == "down") {
        out.push(alarm(
            Severity::Major,
            format!(
                "link {}:{}-{}:{}",
                l.lower.switch, l.lower.port, l.upper.switch, l.upper.port
            ),
            "bypass link down: its traffic uses the layer's other bypass links, or is dropped"
                .into(),
        ));
    }
    for a in c.alarm_views(now) {
        out.push(alarm(
            Severity::Major,
            a.vm.map_or_else(
                || format!("switch {} port {}", a.switch, a.port),
                |vm| format!("vm {vm}"),
            ),
            format!(
                "NAT in the chain: {} packets from {} (no customer's address) toward {}",
                a.count, a.src, a.dst
            ),
        ));
    }
    out
}

/// The chain as the operator view draws it.
fn overview(c: &Controller, now: Instant) -> ChainOverview {
    let topo = c.topology();
    let tos_mode = topo.chain().service_source == ServiceSource::Tos;
    let views = c.switch_views();
    let junction = |j: usize| {
        let name = topo.switch(j).map(|s| s.name.as_str());
        views.iter().find(|v| v.name.as_deref() == name)
    };
    let vms: HashMap<String, VmView> = c
        .vm_views()
        .into_iter()
        .map(|v| (v.name.clone(), v))
        .collect();
    let load = prefixes_per_vm(c);
    let links = c.link_views(now);
    let switches = topo
        .switches()
        .iter()
        .map(|s| {
            let v = junction(s.index);
            SwitchStatus {
                name: s.name.clone(),
                dpid: Some(s.dpid_string()),
                connected: v.is_some_and(|v| v.connected),
                state: v.map_or_else(|| "disconnected".into(), |v| v.state.clone()),
                in_sync: v.filter(|v| v.connected).map(|v| v.in_sync),
                flows: v.filter(|v| v.connected).map(|v| v.flows as u64),
            }
        })
        .collect();
    let layers = topo
        .layers()
        .iter()
        .map(|l| LayerStatus {
            name: l.name.clone(),
            bit: if tos_mode {
                u8::try_from(l.bit).ok()
            } else {
                None
            },
            vms: l
                .vms
                .iter()
                .map(|vm| VmStatus {
                    name: vm.name.clone(),
                    hypervisor: topo
                        .hypervisor_of(vm.id)
                        .map(|h| h.name.clone())
                        .unwrap_or_default(),
                    liveness: vms.get(&vm.name).map_or(Liveness::Unknown, liveness),
                    rtt_ms: vms.get(&vm.name).and_then(|v| v.rtt_ms),
                    load: Some(VmLoad {
                        prefixes: Some(load.get(&vm.name).copied().unwrap_or(0)),
                        bits_per_second: vms
                            .get(&vm.name)
                            .and_then(|v| v.load_bytes_per_s)
                            .map(|b| (b * 8.0) as u64),
                    }),
                })
                .collect(),
            bypass: l
                .bypass
                .iter()
                .map(|b| BypassStatus {
                    down_port: b.down_port,
                    up_port: b.up_port,
                    up: port_up(junction(l.down_switch()), b.down_port)
                        .zip(port_up(junction(l.up_switch()), b.up_port))
                        .map(|(down, up)| {
                            let heard = links.iter().find(|k| {
                                Some(k.lower.switch.as_str())
                                    == topo.switch(l.down_switch()).map(|s| s.name.as_str())
                                    && k.lower.port == b.down_port
                            });
                            down && up && heard.is_none_or(|k| k.state != "down")
                        }),
                })
                .collect(),
        })
        .collect();
    ChainOverview {
        name: topo.chain().name.clone(),
        tos_mode,
        switches,
        layers,
    }
}

/// A VM's liveness: `down` when not selectable, else the probe's verdict, `up` without one.
fn liveness(v: &VmView) -> Liveness {
    match (v.live, v.state.as_deref()) {
        (false, _) | (true, Some("down")) => Liveness::Down,
        (true, Some("suspect" | "unproven")) => Liveness::Suspect,
        (true, _) => Liveness::Up,
    }
}

/// Whether `port` of a junction is up; `None` while the junction is not connected.
fn port_up(view: Option<&SwitchView>, port: u32) -> Option<bool> {
    let v = view.filter(|v| v.connected)?;
    Some(v.ports.iter().any(|p| p.port_no == port && p.up))
}

/// How many customer prefixes the compiled paths steer through each VM.
fn prefixes_per_vm(c: &Controller) -> HashMap<String, u64> {
    let mut load: HashMap<String, u64> = HashMap::new();
    for customer in c.customer_views() {
        let Some(path) = c.path_view(&customer.name) else {
            continue;
        };
        for vm in path
            .prefixes
            .iter()
            .flat_map(|p| &p.hops)
            .filter_map(|h| h.vm.as_ref())
        {
            *load.entry(vm.clone()).or_default() += 1;
        }
    }
    load
}

/// One customer: services, ToS, paths both ways, counters.
fn customer(c: &Controller, name: &str) -> Option<CustomerStatus> {
    let view = c.customer_view(name)?;
    let paths = c
        .path_view(name)
        .map(|p| p.prefixes)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let upstream: Vec<Hop> = p.hops.iter().map(hop).collect();
            // Downstream crosses the same VMs, from Jn back to J0 (paper §4.2).
            let downstream = upstream.iter().rev().cloned().collect();
            PrefixPath {
                prefix: p.prefix,
                upstream,
                downstream,
            }
        })
        .collect();
    Some(CustomerStatus {
        counters: c.customer_traffic(name).map(|t| Counters {
            upstream: traffic(t.upstream),
            downstream: traffic(t.downstream),
        }),
        name: view.name,
        services: view.services,
        tos: view.tos,
        paths,
    })
}

fn traffic(t: TrafficCount) -> Traffic {
    Traffic {
        bytes: t.bytes,
        packets: t.packets,
    }
}

/// A hop of the controller's path view as the portal shows it; anything but a named VM or the
/// bypass is a drop (fail-closed).
fn hop(h: &HopView) -> Hop {
    let via = match (h.via.as_str(), &h.vm) {
        ("vm", Some(vm)) => Via::Vm {
            vm: vm.clone(),
            hypervisor: h.hypervisor.clone().unwrap_or_default(),
        },
        ("bypass", _) => Via::Bypass,
        _ => Via::Drop,
    };
    Hop {
        layer: h.layer.clone(),
        via,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::CoreTimers;
    use crate::core::views::PortView;

    const LAB: &str = include_str!("../../../../examples/configs/lab.toml");

    fn lab() -> Topology {
        Topology::from_toml_str(LAB).unwrap_or_else(|e| panic!("lab.toml: {e}"))
    }

    fn core() -> Controller {
        let timers = CoreTimers {
            echo_interval: Duration::from_secs(5),
            dead_peer_timeout: Duration::from_secs(15),
            handshake_timeout: Duration::from_secs(10),
            barrier_timeout: Duration::from_secs(30),
        };
        Controller::new(lab(), timers).unwrap_or_else(|e| panic!("core: {e}"))
    }

    #[test]
    fn alarms_name_dead_vms_and_layers_without_any() {
        let mut c = core();
        let now = Instant::now();
        assert!(alarms(&c, now).is_empty());
        for vm in ["fw-1", "fw-2"] {
            c.set_vm_live(now, vm, false).unwrap();
        }
        let a = alarms(&c, now);
        assert_eq!(a.len(), 2, "{a:?}");
        assert!(
            a.iter()
                .all(|a| a.severity == flowfall_portal::Severity::Major)
        );
        c.set_vm_live(now, "fw-3", false).unwrap();
        let a = alarms(&c, now);
        assert_eq!(a[0].severity, flowfall_portal::Severity::Critical);
        assert_eq!(a[0].source, "layer firewall");
        assert!(a[0].message.contains("dropped"), "{}", a[0].message);
        assert_eq!(a.len(), 4);
    }

    fn portal_cfg(text: &str) -> PortalConfig {
        PortalConfig::from_toml_str(text).unwrap_or_else(|e| panic!("portal config: {e}"))
    }

    #[test]
    fn the_overview_shows_the_chain_before_any_switch_connects() {
        let o = overview(&core(), Instant::now());
        assert_eq!(o.name, "lab");
        assert!(o.tos_mode);
        let names: Vec<&str> = o.switches.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["j0", "j1", "j2"]);
        assert!(o.switches.iter().all(|s| !s.connected && s.flows.is_none()));
        assert_eq!(o.catalogue(), ["firewall", "ids"]);
        assert_eq!(o.layers[0].bit, Some(0));
        let fw: Vec<(&str, &str)> = o.layers[0]
            .vms
            .iter()
            .map(|v| (v.name.as_str(), v.hypervisor.as_str()))
            .collect();
        assert_eq!(
            fw,
            [("fw-1", "fw-hv1"), ("fw-2", "fw-hv1"), ("fw-3", "fw-hv2")]
        );
        assert!(o.layers[0].vms.iter().all(|v| v.liveness == Liveness::Up));
        assert_eq!(o.layers[0].bypass[0].up, None, "no switch connected");
        // bravo (fw), charlie (fw + ids), delta (ids, two prefixes): 2 fw, 3 ids prefixes.
        let total = |l: usize| -> u64 {
            o.layers[l]
                .vms
                .iter()
                .filter_map(|v| v.load.as_ref()?.prefixes)
                .sum()
        };
        assert_eq!((total(0), total(1)), (2, 3));
    }

    #[test]
    fn a_vm_taken_down_is_shown_down_and_carries_no_prefix() {
        let mut c = core();
        for vm in ["fw-1", "fw-2"] {
            c.set_vm_live(Instant::now(), vm, false)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let o = overview(&c, Instant::now());
        let fw = &o.layers[0].vms;
        assert_eq!(fw[0].liveness, Liveness::Down);
        assert_eq!(fw[2].liveness, Liveness::Up);
        assert_eq!(fw[0].load.as_ref().and_then(|l| l.prefixes), Some(0));
        assert_eq!(fw[2].load.as_ref().and_then(|l| l.prefixes), Some(2));
    }

    #[test]
    fn customers_have_paths_both_ways_and_no_counters_before_a_poll() {
        let c = core();
        let Some(charlie) = customer(&c, "charlie") else {
            panic!("charlie missing");
        };
        assert_eq!(charlie.services, ["firewall", "ids"]);
        assert_eq!(charlie.tos, Some(3 << 2));
        assert_eq!(charlie.counters, None);
        let p = &charlie.paths[0];
        assert_eq!(p.prefix, "10.0.3.0/24");
        let layers: Vec<&str> = p.upstream.iter().map(|h| h.layer.as_str()).collect();
        assert_eq!(layers, ["firewall", "ids"]);
        assert!(p.upstream.iter().all(|h| matches!(h.via, Via::Vm { .. })));
        let back: Vec<Hop> = p.downstream.iter().rev().cloned().collect();
        assert_eq!(back, p.upstream, "downstream mirrors upstream");
        let Some(alpha) = customer(&c, "alpha") else {
            panic!("alpha missing");
        };
        assert!(alpha.paths[0].upstream.iter().all(|h| h.via == Via::Bypass));
        assert!(customer(&c, "nobody").is_none());
        let Some(delta) = customer(&c, "delta") else {
            panic!("delta missing");
        };
        assert_eq!(delta.paths.len(), 2);
    }

    #[test]
    fn liveness_is_down_unless_selectable_then_the_probes_verdict() {
        let vm = |live, state: Option<&str>| VmView {
            name: "fw-1".into(),
            layer: "firewall".into(),
            hypervisor: "fw-hv1".into(),
            live,
            admin_live: true,
            state: state.map(Into::into),
            rtt_ms: None,
            loss: None,
            load_bytes_per_s: None,
            load_packets_per_s: None,
        };
        assert_eq!(liveness(&vm(true, None)), Liveness::Up);
        assert_eq!(liveness(&vm(true, Some("up"))), Liveness::Up);
        assert_eq!(liveness(&vm(true, Some("suspect"))), Liveness::Suspect);
        assert_eq!(liveness(&vm(true, Some("down"))), Liveness::Down);
        assert_eq!(liveness(&vm(false, Some("up"))), Liveness::Down);
        assert_eq!(liveness(&vm(false, None)), Liveness::Down);
    }

    #[test]
    fn hops_map_every_kind_and_fail_closed() {
        let view = |via: &str, vm: Option<&str>| HopView {
            layer: "fw".into(),
            via: via.into(),
            vm: vm.map(Into::into),
            hypervisor: vm.map(|_| "hv".into()),
        };
        assert_eq!(
            hop(&view("vm", Some("fw-1"))).via,
            Via::Vm {
                vm: "fw-1".into(),
                hypervisor: "hv".into()
            }
        );
        assert_eq!(hop(&view("bypass", None)).via, Via::Bypass);
        assert_eq!(hop(&view("drop", None)).via, Via::Drop);
        assert_eq!(hop(&view("vm", None)).via, Via::Drop);
    }

    #[test]
    fn bypass_state_needs_a_connected_junction_and_an_up_port() {
        let mut v = SwitchView {
            name: Some("j0".into()),
            dpid: None,
            connected: true,
            state: "ready".into(),
            peer: None,
            ports: vec![PortView {
                port_no: 20,
                name: "p20".into(),
                up: true,
                role: None,
            }],
            missing_ports: Vec::new(),
            flows: 0,
            in_sync: true,
        };
        assert_eq!(port_up(Some(&v), 20), Some(true));
        assert_eq!(port_up(Some(&v), 21), Some(false));
        assert_eq!(port_up(None, 20), None);
        v.connected = false;
        assert_eq!(port_up(Some(&v), 20), None);
    }

    #[test]
    fn portal_configs_are_checked_against_the_topology() {
        let topo = lab();
        let good = portal_cfg(
            "[operators]\nnoc = \"op-0123456789abcdef\"\n\
             [customers.alpha]\ntoken = \"cu-0123456789abcdef\"\nallowed_services = [\"firewall\"]\n",
        );
        assert_eq!(check(&good, &topo), Ok(()));
        let bad = portal_cfg(
            "[customers.zulu]\ntoken = \"cu-0123456789abcdef\"\n\
             [customers.alpha]\ntoken = \"cu-fedcba9876543210\"\nallowed_services = [\"dpi\"]\n\
             [cpe_hook]\nkind = \"command\"\nprogram = \"/bin/true\"\n",
        );
        let Err(ConfigError::Invalid(p)) = check(&bad, &topo) else {
            panic!("expected problems");
        };
        let p: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with("customers.alpha.allowed_services[0]"),
            "{p:?}"
        );
        assert!(p[1].starts_with("customers.zulu: no customer"), "{p:?}");
        assert!(
            p[2].starts_with(
                "cpe_hook: command hook refused: the topology's spoof_action is \"drop\""
            ),
            "{p:?}"
        );
        let remark = Topology::from_toml_str(
            &LAB.replace("spoof_action = \"drop\"", "spoof_action = \"remark\""),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let hook = portal_cfg(
            "[operators]\nnoc = \"op-0123456789abcdef\"\n\
             [cpe_hook]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/tos\"\n",
        );
        assert_eq!(check(&hook, &remark), Ok(()));
        let config_mode = Topology::from_toml_str(
            &LAB.replace("service_source = \"tos\"", "service_source = \"config\""),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Err(ConfigError::Invalid(p)) = check(&hook, &config_mode) else {
            panic!("a hook without tos mode must be refused");
        };
        assert!(
            p[0].message.contains("service_source is \"config\""),
            "{p:?}"
        );
    }
}
