//! An in-memory [`PortalBackend`] with no switches behind it: for the crate's tests, the
//! browser test, documentation examples and trying the pages (`cargo run -p flowfall-portal
//! --example portal-demo`).
//!
//! It follows the paper's rules closely enough to look right: a customer's prefix crosses, in
//! each layer it subscribes to, the VM picked by hashing the prefix over the layer's VMs that
//! are not down (FNV-1a here, not the controller's selectors), the bypass otherwise, and is
//! dropped where no VM is left; downstream mirrors upstream. ToS values use the DSCP encoding
//! (service bit `p` is ToS bit `p + 2`, docs/config.md).

use std::sync::{Mutex, MutexGuard};

use crate::backend::{
    BackendError, BackendErrorKind, BoxFuture, ChangeReport, ChangeRequest, PortalBackend,
};
use crate::model::{
    Alarm, BypassStatus, ChainOverview, Counters, CustomerStatus, Hop, LayerStatus, Liveness,
    PrefixPath, Severity, SwitchStatus, Traffic, Via, VmLoad, VmStatus,
};

/// A demo customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCustomer {
    /// Name.
    pub name: String,
    /// Prefixes, e.g. `10.1.1.0/24`.
    pub prefixes: Vec<String>,
    /// Services in effect (layer names).
    pub services: Vec<String>,
    /// Traffic counters.
    pub counters: Counters,
}

#[derive(Debug)]
struct State {
    chain: ChainOverview,
    customers: Vec<DemoCustomer>,
    alarms: Vec<Alarm>,
    changes: Vec<ChangeRequest>,
    generation: u64,
}

/// The in-memory backend. Every accepted change is recorded ([`changes`](Self::changes)).
#[derive(Debug)]
pub struct DemoBackend {
    state: Mutex<State>,
}

/// FNV-1a 64 of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn vm(name: &str, hypervisor: &str, liveness: Liveness, rtt_ms: Option<f64>) -> VmStatus {
    VmStatus {
        name: name.into(),
        hypervisor: hypervisor.into(),
        liveness,
        rtt_ms,
        load: None,
    }
}

fn switch(name: &str, dpid: u64) -> SwitchStatus {
    SwitchStatus {
        name: name.into(),
        dpid: Some(
            dpid.to_be_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
        ),
        connected: true,
        state: "ready".into(),
        in_sync: Some(true),
        flows: None,
    }
}

/// A layer with one bypass link on port `bypass_port` of both junctions.
fn layer(name: &str, bit: u8, vms: Vec<VmStatus>, bypass_port: u32) -> LayerStatus {
    LayerStatus {
        name: name.into(),
        bit: Some(bit),
        vms,
        bypass: vec![BypassStatus {
            down_port: bypass_port,
            up_port: bypass_port,
            up: Some(true),
        }],
    }
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl DemoBackend {
    /// A backend over `chain`, `customers` and `alarms` as given.
    pub fn new(chain: ChainOverview, customers: Vec<DemoCustomer>, alarms: Vec<Alarm>) -> Self {
        DemoBackend {
            state: Mutex::new(State {
                chain,
                customers,
                alarms,
                changes: Vec::new(),
                generation: 1,
            }),
        }
    }

    /// The 2015 ShowNet layout (paper §5): traffic analysis (PA-VM), firewall (CSR1000v) and
    /// DDoS protection (a hardware A10 box) on service bits 1, 2, 3 (ToS 0x08, 0x10, 0x20),
    /// four junctions, three exhibitors; one firewall VM is suspect and raises an alarm.
    pub fn shownet() -> Self {
        let chain = ChainOverview {
            name: "shownet2015".into(),
            tos_mode: true,
            switches: vec![
                switch("j0", 1),
                switch("j1", 2),
                switch("j2", 3),
                switch("j3", 4),
            ],
            layers: vec![
                layer(
                    "analysis",
                    1,
                    vec![
                        vm("pa-1", "hv1", Liveness::Up, Some(0.41)),
                        vm("pa-2", "hv1", Liveness::Up, Some(0.38)),
                        vm("pa-3", "hv2", Liveness::Up, Some(0.52)),
                    ],
                    20,
                ),
                layer(
                    "firewall",
                    2,
                    vec![
                        vm("fw-1", "hv3", Liveness::Up, Some(0.33)),
                        vm("fw-2", "hv4", Liveness::Suspect, Some(41.7)),
                    ],
                    21,
                ),
                layer(
                    "ddos",
                    3,
                    vec![vm("tps-1", "a10-tps", Liveness::Unknown, None)],
                    22,
                ),
            ],
        };
        let customer =
            |name: &str, prefixes: &[&str], services: &[&str], up: u64, down: u64| DemoCustomer {
                name: name.into(),
                prefixes: names(prefixes),
                services: names(services),
                counters: Counters {
                    upstream: Traffic {
                        bytes: up,
                        packets: up / 700,
                    },
                    downstream: Traffic {
                        bytes: down,
                        packets: down / 1200,
                    },
                },
            };
        let customers = vec![
            customer(
                "exhibitor01",
                &["10.1.1.0/24", "10.1.2.0/24"],
                &["firewall"],
                3_200_000_000,
                41_000_000_000,
            ),
            customer(
                "exhibitor02",
                &["10.2.0.0/23"],
                &["analysis", "firewall", "ddos"],
                870_000_000,
                9_400_000_000,
            ),
            customer(
                "exhibitor03",
                &["10.3.0.0/24"],
                &[],
                12_000_000,
                150_000_000,
            ),
        ];
        let alarms = vec![Alarm {
            severity: Severity::Minor,
            source: "vm fw-2".into(),
            message: "missed 2 of the last 5 liveness probes".into(),
            since_unix_ms: None,
        }];
        DemoBackend::new(chain, customers, alarms)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every change accepted so far, oldest first.
    pub fn changes(&self) -> Vec<ChangeRequest> {
        self.lock().changes.clone()
    }

    /// Sets a VM's liveness (paths follow: a down VM is no longer selected). Returns `false`
    /// when there is no such VM.
    pub fn set_liveness(&self, vm: &str, liveness: Liveness) -> bool {
        let mut st = self.lock();
        let found = st
            .chain
            .layers
            .iter_mut()
            .flat_map(|l| l.vms.iter_mut())
            .find(|v| v.name == vm);
        match found {
            Some(v) => {
                v.liveness = liveness;
                true
            }
            None => false,
        }
    }
}

impl State {
    fn status(&self, c: &DemoCustomer) -> CustomerStatus {
        let layers = &self.chain.layers;
        let services: Vec<String> = layers
            .iter()
            .filter(|l| c.services.contains(&l.name))
            .map(|l| l.name.clone())
            .collect();
        let tos = self.chain.tos_mode.then(|| {
            layers
                .iter()
                .filter(|l| c.services.contains(&l.name))
                .filter_map(|l| l.bit)
                .filter_map(|bit| 1u8.checked_shl(u32::from(bit) + 2))
                .fold(0u8, |acc, b| acc | b)
        });
        let paths = c
            .prefixes
            .iter()
            .map(|prefix| {
                let upstream: Vec<Hop> = layers
                    .iter()
                    .map(|l| {
                        let via = if !c.services.contains(&l.name) {
                            Via::Bypass
                        } else {
                            let live: Vec<&VmStatus> = l
                                .vms
                                .iter()
                                .filter(|v| v.liveness != Liveness::Down)
                                .collect();
                            let n = live.len() as u64;
                            let pick = fnv1a(prefix.as_bytes()).checked_rem(n);
                            match pick.and_then(|i| live.get(usize::try_from(i).ok()?)) {
                                Some(v) => Via::Vm {
                                    vm: v.name.clone(),
                                    hypervisor: v.hypervisor.clone(),
                                },
                                None => Via::Drop,
                            }
                        };
                        Hop {
                            layer: l.name.clone(),
                            via,
                        }
                    })
                    .collect();
                let downstream = upstream.iter().rev().cloned().collect();
                PrefixPath {
                    prefix: prefix.clone(),
                    upstream,
                    downstream,
                }
            })
            .collect();
        CustomerStatus {
            name: c.name.clone(),
            services,
            tos,
            paths,
            counters: Some(c.counters),
        }
    }

    /// The chain with each VM's load: prefixes steered to it.
    fn overview(&self) -> ChainOverview {
        let statuses: Vec<CustomerStatus> = self.customers.iter().map(|c| self.status(c)).collect();
        let mut chain = self.chain.clone();
        for layer in &mut chain.layers {
            for v in &mut layer.vms {
                let prefixes = statuses
                    .iter()
                    .flat_map(|s| &s.paths)
                    .flat_map(|p| &p.upstream)
                    .filter(|h| matches!(&h.via, Via::Vm { vm, .. } if *vm == v.name))
                    .count() as u64;
                v.load = Some(VmLoad {
                    prefixes: Some(prefixes),
                    bits_per_second: None,
                });
            }
        }
        chain
    }
}

impl PortalBackend for DemoBackend {
    fn overview(&self) -> BoxFuture<'_, Result<ChainOverview, BackendError>> {
        Box::pin(async move { Ok(self.lock().overview()) })
    }

    fn customers(&self) -> BoxFuture<'_, Result<Vec<CustomerStatus>, BackendError>> {
        Box::pin(async move {
            let st = self.lock();
            Ok(st.customers.iter().map(|c| st.status(c)).collect())
        })
    }

    fn alarms(&self) -> BoxFuture<'_, Result<Vec<Alarm>, BackendError>> {
        Box::pin(async move {
            let mut alarms = self.lock().alarms.clone();
            alarms.sort_by_key(|a| a.severity);
            Ok(alarms)
        })
    }

    fn set_services(
        &self,
        request: ChangeRequest,
    ) -> BoxFuture<'_, Result<ChangeReport, BackendError>> {
        Box::pin(async move {
            let mut st = self.lock();
            let invalid = |m: String| BackendError::new(BackendErrorKind::Invalid, m);
            for s in &request.services {
                if !st.chain.layers.iter().any(|l| &l.name == s) {
                    return Err(invalid(format!("unknown service {s:?}")));
                }
            }
            if let Some(l) = st
                .chain
                .layers
                .iter()
                .find(|l| l.bypass.is_empty() && !request.services.contains(&l.name))
            {
                return Err(invalid(format!(
                    "cannot skip layer {:?}: it has no bypass link",
                    l.name
                )));
            }
            let Some(i) = st.customers.iter().position(|c| c.name == request.customer) else {
                return Err(BackendError::new(
                    BackendErrorKind::NotFound,
                    format!("no customer named {:?}", request.customer),
                ));
            };
            let old = st.customers.get(i).map(|c| st.status(c));
            if let Some(c) = st.customers.get_mut(i) {
                c.services = request.services.clone();
            }
            let new = st.customers.get(i).map(|c| st.status(c));
            st.generation += 1;
            let generation = st.generation;
            st.changes.push(request.clone());
            Ok(ChangeReport {
                customer: request.customer,
                old_services: old.map(|s| s.services).unwrap_or_default(),
                new_services: new.as_ref().map(|s| s.services.clone()).unwrap_or_default(),
                tos: new.and_then(|s| s.tos),
                confirmed: true,
                detail: Some(format!("demo generation {generation}")),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Actor;

    fn run<T>(f: BoxFuture<'_, T>) -> T {
        let rt = tokio::runtime::Builder::new_current_thread().build();
        let Ok(rt) = rt else { panic!("runtime") };
        rt.block_on(f)
    }

    #[test]
    fn paths_mirror_and_follow_services_and_liveness() {
        let b = DemoBackend::shownet();
        let Ok(Some(c)) = run(b.customer("exhibitor01".into())) else {
            panic!("exhibitor01 missing");
        };
        assert_eq!(c.services, vec!["firewall"]);
        assert_eq!(c.tos, Some(0x10));
        for p in &c.paths {
            assert_eq!(p.upstream.len(), 3);
            assert_eq!(p.upstream[0].via, Via::Bypass);
            assert!(matches!(p.upstream[1].via, Via::Vm { .. }));
            let mirrored: Vec<Hop> = p.downstream.iter().rev().cloned().collect();
            assert_eq!(mirrored, p.upstream);
        }
        assert!(b.set_liveness("fw-1", Liveness::Down));
        assert!(b.set_liveness("fw-2", Liveness::Down));
        assert!(!b.set_liveness("nope", Liveness::Down));
        let Ok(Some(c)) = run(b.customer("exhibitor01".into())) else {
            panic!("exhibitor01 missing");
        };
        assert!(c.paths.iter().all(|p| p.upstream[1].via == Via::Drop));
    }

    #[test]
    fn changes_are_checked_recorded_and_reported() {
        let b = DemoBackend::shownet();
        let req = |services: &[&str]| ChangeRequest {
            customer: "exhibitor03".into(),
            services: names(services),
            actor: Actor::Customer("exhibitor03".into()),
        };
        let r = run(b.set_services(req(&["ddos", "analysis"])));
        let Ok(r) = r else { panic!("{r:?}") };
        assert_eq!(r.old_services, Vec::<String>::new());
        assert_eq!(r.new_services, vec!["analysis", "ddos"]);
        assert_eq!(r.tos, Some(0x08 | 0x20));
        assert_eq!(b.changes(), vec![req(&["ddos", "analysis"])]);
        let e = run(b.set_services(req(&["nat"])));
        assert_eq!(e.map_err(|e| e.kind), Err(BackendErrorKind::Invalid));
        let mut other = req(&[]);
        other.customer = "nobody".into();
        assert_eq!(
            run(b.set_services(other)).map_err(|e| e.kind),
            Err(BackendErrorKind::NotFound)
        );
        assert_eq!(b.changes().len(), 1);
    }

    #[test]
    fn overview_counts_prefixes_per_vm() {
        let b = DemoBackend::shownet();
        let Ok(chain) = run(b.overview()) else {
            panic!("overview")
        };
        let total: u64 = chain
            .layers
            .iter()
            .flat_map(|l| &l.vms)
            .filter_map(|v| v.load.as_ref()?.prefixes)
            .sum();
        // exhibitor01: 2 prefixes x firewall; exhibitor02: 1 prefix x 3 layers.
        assert_eq!(total, 2 + 3);
    }
}
