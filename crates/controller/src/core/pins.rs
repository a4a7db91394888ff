//! Per-address VM choices above the hash ("pins") and the live bypass links: the inputs of
//! the compiler beyond the live VMs (issue 7 items 2 and 3).
//!
//! - **Failover pins** (`flowfall_health::failover::Failover`, when health is enabled): the
//!   failover state follows the model's live set (probe verdicts, port status, the REST
//!   liveness hook alike). When a VM leaves, only its customers move; when it returns, the
//!   customers that went elsewhere **stay** where they are (a `failover` pin on their current
//!   VM), so a stateful VNF keeps their sessions, unless `[health] return_on_recovery = true`.
//! - **Balance pins** (`flowfall_health::balance`): a rebalancing move is a `balance` pin.
//! - **Live bypass links**: a bypass link found dead by LLDP or PORT_STATUS leaves the
//!   compiler's live-bypass set.
//!
//! Pins are keyed by customer name and prefix, so they survive a reload; VMs are carried over
//! by name and pins that no longer fit the new topology are dropped.
//!
//! Without health (`[health] enabled = false`) nothing is pinned: the VM choice is the pure
//! function of configuration and live VMs of architecture §3.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use flowfall_compile::{BypassId, Inputs, LiveBypass, LiveVms, VmOverrides};
use flowfall_health::assign::{LiveSet, OverrideReason, Overrides};
use flowfall_health::failover::{Failover, FailoverPolicy};
use flowfall_health::liveness::Nanos;
use flowfall_topology::{Topology, VmId, WhenEmpty};
use serde::Serialize;
use tracing::{debug, warn};

use super::Controller;

/// The compiler inputs the model keeps beside the live VMs.
#[derive(Debug, Clone)]
pub struct Steering {
    /// Failover and balance pins, and the live set they were computed for.
    failover: Failover,
    /// Whether pins are kept at all (health enabled).
    pinning: bool,
    /// Bypass links found dead: `(layer, bypass index)`.
    dead_bypass: BTreeSet<(usize, usize)>,
    /// The health clock at the latest event (stamps new pins).
    clock: Nanos,
    /// Customer prefixes moved by failovers and recoveries (kept across reloads).
    moves: u64,
}

/// One pin (GET /api/pins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinView {
    /// Customer name.
    pub customer: String,
    /// The prefix.
    pub prefix: String,
    /// Layer name.
    pub layer: String,
    /// The VM the prefix goes through at that layer.
    pub vm: String,
    /// `failover` (stayed where it went while its VM was down), `balance` (moved by the
    /// load balancer) or `operator`.
    pub reason: String,
}

impl Steering {
    /// Nothing pinned, every VM of `topology` live, every bypass link live.
    pub(super) fn new(topology: &Topology) -> Steering {
        Steering {
            failover: Failover::new(topology, FailoverPolicy::default()),
            pinning: false,
            dead_bypass: BTreeSet::new(),
            clock: 0,
            moves: 0,
        }
    }

    /// Turns pinning on with this recovery policy, building `topology`'s choosers now so
    /// that the first VM change builds only the one after it.
    pub(super) fn enable(&mut self, topology: &Topology, return_on_recovery: bool) {
        self.pinning = true;
        self.failover
            .set_policy(FailoverPolicy { return_on_recovery });
        self.warm(topology);
    }

    /// Builds the choosers of the current live set that are not cached yet (the failover
    /// keeps them: a VM change reuses the ones of live sets seen recently).
    fn warm(&mut self, topology: &Topology) {
        if let Err(e) = self.failover.warm(topology) {
            // The VM change that needs the chooser reports it.
            debug!(error = %e, "layer choosers not built ahead");
        }
    }

    /// The time stamped on new pins.
    pub(super) fn set_clock(&mut self, now: Nanos) {
        self.clock = now;
    }

    /// The failover state (pins and the live set they follow).
    pub(super) fn failover(&self) -> &Failover {
        &self.failover
    }

    /// The failover state, to add balance pins.
    pub(super) fn failover_mut(&mut self) -> &mut Failover {
        &mut self.failover
    }

    /// Sets the dead bypass links; true when that changed.
    pub(super) fn set_dead_bypasses(&mut self, dead: BTreeSet<(usize, usize)>) -> bool {
        if dead == self.dead_bypass {
            return false;
        }
        self.dead_bypass = dead;
        true
    }

    /// Brings the failover state to the live VMs `live` of `topology` (the one compiled):
    /// one Down or Up event per VM that changed, downs first.
    fn follow(&mut self, topology: &Topology, live: &BTreeSet<VmId>) {
        if !self.pinning {
            return;
        }
        let current: BTreeSet<VmId> = self.failover.live().iter().collect();
        let downs = current.difference(live).map(|&vm| (vm, false));
        let ups = live.difference(&current).map(|&vm| (vm, true));
        let changes: Vec<(VmId, bool)> = downs.chain(ups).collect();
        for (vm, up) in changes {
            let result = if up {
                self.failover.vm_up(topology, vm, self.clock)
            } else {
                self.failover.vm_down(topology, vm, self.clock)
            };
            match result {
                Ok(u) => {
                    debug!(
                        ?vm,
                        up,
                        moved = u.moved.len(),
                        pinned = u.pinned,
                        unpinned = u.unpinned,
                        "failover"
                    );
                    self.moves += u.moved.len() as u64;
                }
                Err(e) => warn!(?vm, error = %e, "failover state not updated"),
            }
        }
    }

    /// The compiler inputs for `topology` with `live` VMs, after bringing the pins up to date.
    pub(super) fn inputs(
        &mut self,
        topology: &Topology,
        live_ids: &BTreeSet<VmId>,
    ) -> Result<Inputs, flowfall_compile::Error> {
        self.follow(topology, live_ids);
        let live = LiveVms::from_ids(topology, live_ids.iter().copied())?;
        let mut live_bypass = LiveBypass::all(topology);
        for &(layer, index) in &self.dead_bypass {
            // A link of a bypass the topology no longer has: nothing to take out.
            let _ = live_bypass.set(BypassId { layer, index }, false);
        }
        let overrides: VmOverrides = self
            .failover
            .overrides()
            .iter()
            .map(|(a, o)| (a.customer.clone(), a.prefix, o.vm))
            .collect();
        Ok(Inputs {
            live,
            overrides,
            live_bypass,
        })
    }

    /// After a reload from `old` to `new`: pins carried over by VM name (dropped when they no
    /// longer fit), the live set rebuilt from `live`, dead links forgotten (LLDP judges the new
    /// topology's links afresh). The choosers are kept: those of layers the reload left
    /// alone are still valid, the others no longer match.
    pub(super) fn reloaded(&mut self, old: &Topology, new: &Topology, live: &BTreeSet<VmId>) {
        let mut pins = Overrides::new();
        for (a, o) in self.failover.overrides().iter() {
            let moved = old
                .vm(o.vm)
                .and_then(|v| new.vm_by_name(&v.name))
                .map(|v| v.id);
            if let Some(vm) = moved {
                let mut o = *o;
                o.vm = vm;
                pins.insert(a.clone(), o);
            }
        }
        let dropped = pins.prune(new);
        if dropped > 0 {
            debug!(dropped, "pins that no longer fit the topology dropped");
        }
        let policy = self.failover.policy();
        let choosers = self.failover.choosers().clone();
        self.failover =
            Failover::with_state(policy, live.iter().copied().collect::<LiveSet>(), pins)
                .with_choosers(choosers);
        self.dead_bypass.clear();
        if self.pinning {
            self.warm(new);
        }
    }
}

/// One layer's live VMs (GET /api/layers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerView {
    /// Layer name.
    pub layer: String,
    /// VMs carrying traffic.
    pub live: usize,
    /// VMs configured.
    pub total: usize,
    /// `fail-closed` (drop its subscribers' traffic when no VM is live) or `fail-open`
    /// (bypass it).
    pub when_empty: String,
    /// `ok`, or with no live VM `dropping` (fail-closed) / `bypassing` (fail-open).
    pub status: String,
}

impl Controller {
    /// Every layer with its live VMs and what happens to its subscribers without any.
    pub fn layer_views(&self) -> Vec<LayerView> {
        let topo = self.model.topology();
        let live = self.model.live_vms();
        topo.layers()
            .iter()
            .map(|l| {
                let n = live.iter().filter(|v| v.layer == l.index).count();
                let status = match (n, l.when_empty) {
                    (0, WhenEmpty::FailClosed) => "dropping",
                    (0, WhenEmpty::FailOpen) => "bypassing",
                    _ => "ok",
                };
                LayerView {
                    layer: l.name.clone(),
                    live: n,
                    total: l.vms.len(),
                    when_empty: l.when_empty.to_string(),
                    status: status.into(),
                }
            })
            .collect()
    }

    /// Every pin (GET /api/pins).
    pub fn pin_views(&self) -> Vec<PinView> {
        let topo = self.model.topology();
        self.model
            .steering()
            .failover()
            .overrides()
            .iter()
            .map(|(a, o)| PinView {
                customer: a.customer.clone(),
                prefix: a.prefix.to_string(),
                layer: topo
                    .layer(o.vm.layer)
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
                vm: topo.vm(o.vm).map(|v| v.name.clone()).unwrap_or_default(),
                reason: o.reason.name().into(),
            })
            .collect()
    }

    /// Pin metrics.
    pub(super) fn pins_metrics(&self, o: &mut String) {
        let f = self.model.steering().failover();
        let _ = writeln!(
            o,
            "# HELP flowfall_pins Customer prefixes pinned to a VM above the hash choice, by reason.\n# TYPE flowfall_pins gauge"
        );
        for reason in [
            OverrideReason::Failover,
            OverrideReason::Balance,
            OverrideReason::Operator,
        ] {
            let _ = writeln!(
                o,
                "flowfall_pins{{reason=\"{}\"}} {}",
                reason.name(),
                f.overrides().count(reason)
            );
        }
        let _ = writeln!(
            o,
            "# HELP flowfall_failover_moves_total Customer prefixes moved by failovers and recoveries.\n# TYPE flowfall_failover_moves_total counter\nflowfall_failover_moves_total {}",
            self.model.steering().moves
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_health::assign::{AddressKey, Override};

    const LAB: &str = super::super::tests::LAB;

    fn pin(s: &mut Steering, topo: &Topology, customer: &str, vm: &str) {
        let c = topo.customer_by_name(customer).unwrap();
        let prefix = *c.ipv4.first().unwrap();
        let o = Override {
            vm: topo.vm_by_name(vm).unwrap().id,
            reason: OverrideReason::Failover,
            since: 0,
        };
        s.failover_mut()
            .overrides_mut()
            .insert(AddressKey::new(customer, prefix.into()), o);
    }

    fn pinned(s: &Steering, topo: &Topology) -> Vec<(String, String)> {
        s.failover()
            .overrides()
            .iter()
            .map(|(a, o)| (a.customer.clone(), topo.vm(o.vm).unwrap().name.clone()))
            .collect()
    }

    #[test]
    fn pins_follow_their_vm_by_name_across_a_reload_and_vanish_with_it() {
        let old = Topology::from_toml_str(LAB).unwrap();
        let mut s = Steering::new(&old);
        s.enable(&old, false);
        pin(&mut s, &old, "bravo", "fw-2");
        pin(&mut s, &old, "charlie", "fw-3");
        // A VM added before fw-2 in its hypervisor shifts fw-2's index; fw-3 is removed.
        let text = LAB
            .replace(
                "[[layers.hypervisors.vms]]\nname = \"fw-2\"",
                "[[layers.hypervisors.vms]]\nname = \"fw-1b\"\ndown_mac = \"02:00:00:01:09:01\"\nup_mac = \"02:00:00:01:09:02\"\n\n[[layers.hypervisors.vms]]\nname = \"fw-2\"",
            )
            .replace(
                "[[layers.hypervisors.vms]]\nname = \"fw-3\"\ndown_mac = \"02:00:00:01:03:01\"\nup_mac = \"02:00:00:01:03:02\"\n",
                "",
            )
            .replace(
                "name = \"fw-hv2\"\ndown_port = 12\nup_port = 12\n",
                "name = \"fw-hv2\"\ndown_port = 12\nup_port = 12\n\n[[layers.hypervisors.vms]]\nname = \"fw-4\"\ndown_mac = \"02:00:00:01:04:01\"\nup_mac = \"02:00:00:01:04:02\"\n",
            );
        let new = Topology::from_toml_str(&text).unwrap();
        assert_ne!(
            old.vm_by_name("fw-2").map(|v| v.id),
            new.vm_by_name("fw-2").map(|v| v.id),
            "the test needs fw-2's id to shift"
        );
        let live: BTreeSet<VmId> = new.all_vms().map(|v| v.id).collect();
        s.set_dead_bypasses(BTreeSet::from([(0, 0)]));
        s.reloaded(&old, &new, &live);
        assert_eq!(
            pinned(&s, &new),
            vec![("bravo".to_string(), "fw-2".to_string())]
        );
        let inputs = s.inputs(&new, &live).unwrap();
        let fw2 = new.vm_by_name("fw-2").unwrap().id;
        let prefix = *new.customer_by_name("bravo").unwrap().ipv4.first().unwrap();
        assert_eq!(inputs.overrides.get("bravo", prefix.into(), 0), Some(fw2));
        // LLDP judges the new topology's links afresh.
        assert_eq!(inputs.live_bypass.ids().count(), 2);
    }

    #[test]
    fn without_pinning_the_choice_stays_the_pure_hash() {
        let topo = Topology::from_toml_str(LAB).unwrap();
        let mut s = Steering::new(&topo);
        // The firewall VM carrying bravo.
        let bravo = *topo
            .customer_by_name("bravo")
            .unwrap()
            .ipv4
            .first()
            .unwrap();
        let victim = flowfall_health::assign::LayerChooser::new(&topo, &LiveSet::all(&topo), 0)
            .unwrap()
            .hash_choice(bravo.into())
            .unwrap();
        let all: BTreeSet<VmId> = topo.all_vms().map(|v| v.id).collect();
        let without: BTreeSet<VmId> = all.iter().copied().filter(|&v| v != victim).collect();
        s.inputs(&topo, &without).unwrap();
        let back = s.inputs(&topo, &all).unwrap();
        assert!(back.overrides.is_empty());
        // With pinning, a recovery leaves the moved customers pinned where they went.
        s.enable(&topo, false);
        s.inputs(&topo, &without).unwrap();
        let moved_off: usize = s.moves as usize;
        assert!(moved_off >= 1);
        s.inputs(&topo, &all).unwrap();
        assert_eq!(
            s.failover().overrides().count(OverrideReason::Failover),
            moved_off,
            "every address that left the VM stays where it went"
        );
    }
}
