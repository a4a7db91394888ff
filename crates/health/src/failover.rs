//! Failover policy (issue 7 item 2): what the live set and the overrides become when a VM is
//! declared Down or Up ([`crate::liveness::Event`]).
//!
//! - **Down**: the VM leaves its layer's live set. Its addresses go to the hash choice over
//!   the remaining VMs; nobody else moves (with a consistent selector nobody else would,
//!   except the few addresses a Maglev table rebuild shifts between surviving VMs: those are
//!   pinned where they are). Overrides naming it are dropped. If it was the layer's last VM, the layer's
//!   `when_empty` applies ([`LayerStatus`]): fail-closed drops (the default, for security
//!   functions), fail-open bypasses.
//! - **Up**: the VM rejoins the live set. By default ([`FailoverPolicy::return_on_recovery`]
//!   `false`) the addresses that went elsewhere **stay** where they are: each address whose
//!   choice would change is pinned by a [`OverrideReason::Failover`] override on the VM it is
//!   on now (with Maglev that includes the few addresses its table rebuild shifts between
//!   other VMs), so the stateful VNF holding their sessions (a firewall's connection table)
//!   keeps them. The recovered VM starts empty, except for addresses that had nowhere else to
//!   go (the layer was empty); the load balancer ([`crate::balance`]) fills it when the
//!   imbalance calls for it. With `return_on_recovery = true` the addresses whose hash choice
//!   is the recovered VM return to it (their sessions break once more), lifting earlier
//!   failover pins.
//!
//! The compiler turns the live set and the overrides into flow tables; its incremental update
//! moves only the addresses whose choice changed, in waypoint-safe order.

use flowfall_topology::{Topology, VmId, WhenEmpty};

use std::sync::Arc;

use crate::assign::{
    AddressKey, Assignment, ChooserCache, LayerChooser, LiveSet, Override, OverrideReason,
    Overrides, addresses,
};
use crate::error::Error;
use crate::liveness::{Event, Nanos};

/// How recovery treats moved addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailoverPolicy {
    /// Whether addresses return to a recovered VM (default `false`: they stay).
    pub return_on_recovery: bool,
}

/// One address changing VM at one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassignment {
    /// The address.
    pub address: AddressKey,
    /// The layer.
    pub layer: usize,
    /// The VM before (`None`: none was live).
    pub from: Option<VmId>,
    /// The VM after (`None`: none is live; `when_empty` applies).
    pub to: Option<VmId>,
}

/// A layer's live VMs and what happens to its customers when there are none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerStatus {
    /// Layer index.
    pub layer: usize,
    /// Live VMs.
    pub live: usize,
    /// Configured VMs.
    pub total: usize,
    /// The layer's policy when empty.
    pub when_empty: WhenEmpty,
}

impl LayerStatus {
    /// Whether no VM is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Whether the layer's customers are being dropped (empty and fail-closed).
    pub fn is_dropping(&self) -> bool {
        self.is_empty() && self.when_empty == WhenEmpty::FailClosed
    }

    /// Whether the layer's customers bypass it (empty and fail-open).
    pub fn is_bypassing(&self) -> bool {
        self.is_empty() && self.when_empty == WhenEmpty::FailOpen
    }
}

/// What one event changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverUpdate {
    /// The VM.
    pub vm: VmId,
    /// Whether the live set changed (false for a repeated event).
    pub live_changed: bool,
    /// Addresses that change VM.
    pub moved: Vec<Reassignment>,
    /// Overrides added (pins).
    pub pinned: usize,
    /// Overrides removed.
    pub unpinned: usize,
    /// The VM's layer afterwards.
    pub layer: LayerStatus,
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailoverStats {
    /// VMs taken out of service.
    pub failovers: u64,
    /// VMs returned to service.
    pub recoveries: u64,
    /// Address moves caused.
    pub moves: u64,
    /// Pins placed.
    pub pins: u64,
}

/// The live set and overrides, kept current from liveness events (see the
/// [module docs](self)).
///
/// The layers' choosers are kept in a [`ChooserCache`]: a VM change builds a selector only
/// for a live set not seen recently (a VM going down and coming back again builds none).
#[derive(Debug, Clone)]
pub struct Failover {
    policy: FailoverPolicy,
    live: LiveSet,
    overrides: Overrides,
    stats: FailoverStats,
    choosers: ChooserCache,
}

impl Failover {
    /// Every VM of `topology` live, no overrides.
    pub fn new(topology: &Topology, policy: FailoverPolicy) -> Failover {
        Failover::with_state(policy, LiveSet::all(topology), Overrides::new())
    }

    /// Starting from a known live set and overrides (e.g. after a controller restart).
    pub fn with_state(policy: FailoverPolicy, live: LiveSet, overrides: Overrides) -> Failover {
        Failover {
            policy,
            live,
            overrides,
            stats: FailoverStats::default(),
            choosers: ChooserCache::default(),
        }
    }

    /// The same, with `choosers` as its chooser cache (e.g. the previous state's after a
    /// reload: choosers of unchanged layers stay valid, the others no longer match).
    pub fn with_choosers(mut self, choosers: ChooserCache) -> Failover {
        self.choosers = choosers;
        self
    }

    /// The chooser cache.
    pub fn choosers(&self) -> &ChooserCache {
        &self.choosers
    }

    /// Builds (if not cached) every layer's chooser over the current live set, so that the
    /// next VM change builds only the chooser after it.
    ///
    /// # Errors
    /// [`Error::Selector`] when a layer's selector cannot be built.
    pub fn warm(&mut self, topology: &Topology) -> Result<(), Error> {
        for layer in 0..topology.layers().len() {
            self.choosers.get(topology, &self.live, layer)?;
        }
        Ok(())
    }

    /// The current [`Assignment`], with the cached choosers.
    ///
    /// # Errors
    /// As [`Assignment::compute`].
    pub fn assignment(&mut self, topology: &Topology) -> Result<Assignment, Error> {
        Assignment::compute_cached(topology, &self.live, &self.overrides, &mut self.choosers)
    }

    /// The policy.
    pub fn policy(&self) -> FailoverPolicy {
        self.policy
    }

    /// Changes the policy (applies from the next recovery).
    pub fn set_policy(&mut self, policy: FailoverPolicy) {
        self.policy = policy;
    }

    /// The live VMs.
    pub fn live(&self) -> &LiveSet {
        &self.live
    }

    /// The overrides to hand to the compiler.
    pub fn overrides(&self) -> &Overrides {
        &self.overrides
    }

    /// The overrides, for the balancer or an operator to edit.
    pub fn overrides_mut(&mut self) -> &mut Overrides {
        &mut self.overrides
    }

    /// Counters.
    pub fn stats(&self) -> FailoverStats {
        self.stats
    }

    /// Every layer's status.
    pub fn layer_status(&self, topology: &Topology) -> Vec<LayerStatus> {
        topology
            .layers()
            .iter()
            .map(|l| self.status(topology, l.index))
            .collect()
    }

    fn status(&self, topology: &Topology, layer: usize) -> LayerStatus {
        let l = topology.layer(layer);
        LayerStatus {
            layer,
            live: self.live.in_layer(layer).count(),
            total: l.map_or(0, |l| l.vms.len()),
            when_empty: l.map_or(WhenEmpty::default(), |l| l.when_empty),
        }
    }

    /// Applies a liveness event.
    ///
    /// # Errors
    /// As [`Failover::vm_down`] / [`Failover::vm_up`].
    pub fn on_event(
        &mut self,
        topology: &Topology,
        event: &Event,
    ) -> Result<FailoverUpdate, Error> {
        match *event {
            Event::VmDown { vm, at, .. } => self.vm_down(topology, vm, at),
            Event::VmUp { vm, at } => self.vm_up(topology, vm, at),
        }
    }

    /// `vm` is Down: it leaves the live set; overrides naming it are dropped; only its
    /// addresses move.
    ///
    /// # Errors
    /// [`Error::UnknownVm`] for a VM not in `topology`; [`Error::Selector`] when the
    /// layer's selector cannot be built.
    pub fn vm_down(
        &mut self,
        topology: &Topology,
        vm: VmId,
        at: Nanos,
    ) -> Result<FailoverUpdate, Error> {
        let Some(Change {
            before,
            after,
            after_live,
        }) = self.change(topology, vm, false)?
        else {
            return Ok(self.unchanged(topology, vm));
        };
        let layer = vm.layer;
        let mut after_overrides = self.overrides.clone();
        let unpinned = after_overrides.remove_vm(vm).len();
        let mut pinned = 0;
        let mut moved = Vec::new();
        for (a, services) in addresses(topology) {
            if !services.contains(layer) {
                continue;
            }
            let from = before.choice(&a, &self.overrides, &self.live);
            let mut to = after.choice(&a, &after_overrides, &after_live);
            if let Some(w) = from.filter(|&w| w != vm && to != Some(w)) {
                // A selector rebuild shifting an address between two surviving VMs (Maglev
                // does, a little): keep it where it is.
                pin(&mut after_overrides, &a, w, at);
                pinned += 1;
                to = Some(w);
            }
            push_if_moved(&mut moved, a, layer, from, to);
        }
        self.live = after_live;
        self.overrides = after_overrides;
        self.stats.failovers += 1;
        Ok(self.update(topology, vm, moved, pinned, unpinned))
    }

    /// `vm` is Up: it rejoins the live set; addresses that its return would move are pinned
    /// where they are, unless the policy returns the ones whose hash choice it is.
    ///
    /// # Errors
    /// As [`Failover::vm_down`].
    pub fn vm_up(
        &mut self,
        topology: &Topology,
        vm: VmId,
        at: Nanos,
    ) -> Result<FailoverUpdate, Error> {
        let Some(Change {
            before,
            after,
            after_live,
        }) = self.change(topology, vm, true)?
        else {
            return Ok(self.unchanged(topology, vm));
        };
        let layer = vm.layer;
        let (mut pinned, mut unpinned) = (0, 0);
        let mut moved = Vec::new();
        for (a, services) in addresses(topology) {
            if !services.contains(layer) {
                continue;
            }
            let from = before.choice(&a, &self.overrides, &self.live);
            let hash = after.hash_choice(a.prefix);
            let pinned_now = self.overrides.get(&a, layer).copied();
            if self.policy.return_on_recovery {
                if pinned_now
                    .is_some_and(|p| p.reason == OverrideReason::Failover && hash == Some(vm))
                {
                    self.overrides.remove(&a, layer);
                    unpinned += 1;
                }
            } else if pinned_now.is_none()
                && hash != from
                && let Some(w) = from
            {
                pin(&mut self.overrides, &a, w, at);
                pinned += 1;
            }
            let to = after.choice(&a, &self.overrides, &after_live);
            push_if_moved(&mut moved, a, layer, from, to);
        }
        self.live = after_live;
        self.stats.recoveries += 1;
        Ok(self.update(topology, vm, moved, pinned, unpinned))
    }

    /// For `vm` becoming live (`up`) or dead: its layer's chooser now and after, and the
    /// live set after; `None` when it already is.
    fn change(&mut self, topology: &Topology, vm: VmId, up: bool) -> Result<Option<Change>, Error> {
        topology.vm(vm).ok_or(Error::UnknownVm { vm })?;
        if self.live.contains(vm) == up {
            return Ok(None);
        }
        let before = self.choosers.get(topology, &self.live, vm.layer)?;
        let mut after_live = self.live.clone();
        if up {
            after_live.insert(vm);
        } else {
            after_live.remove(vm);
        }
        let after = self.choosers.get(topology, &after_live, vm.layer)?;
        Ok(Some(Change {
            before,
            after,
            after_live,
        }))
    }

    /// Counts a change's moves and pins and describes it.
    fn update(
        &mut self,
        topology: &Topology,
        vm: VmId,
        moved: Vec<Reassignment>,
        pinned: usize,
        unpinned: usize,
    ) -> FailoverUpdate {
        self.stats.moves += moved.len() as u64;
        self.stats.pins += pinned as u64;
        FailoverUpdate {
            vm,
            live_changed: true,
            moved,
            pinned,
            unpinned,
            layer: self.status(topology, vm.layer),
        }
    }

    fn unchanged(&self, topology: &Topology, vm: VmId) -> FailoverUpdate {
        FailoverUpdate {
            vm,
            live_changed: false,
            moved: Vec::new(),
            pinned: 0,
            unpinned: 0,
            layer: self.status(topology, vm.layer),
        }
    }
}

/// A VM's layer before and after it changes liveness.
struct Change {
    /// The layer's chooser now.
    before: Arc<LayerChooser>,
    /// The layer's chooser after.
    after: Arc<LayerChooser>,
    /// The live set after.
    after_live: LiveSet,
}

/// Pins `address` on `vm` (at `vm`'s layer) for failover.
fn pin(overrides: &mut Overrides, address: &AddressKey, vm: VmId, at: Nanos) {
    let reason = OverrideReason::Failover;
    overrides.insert(
        address.clone(),
        Override {
            vm,
            reason,
            since: at,
        },
    );
}

/// Records `address` moving at `layer` unless `from == to`.
fn push_if_moved(
    moved: &mut Vec<Reassignment>,
    address: AddressKey,
    layer: usize,
    from: Option<VmId>,
    to: Option<VmId>,
) {
    if from != to {
        moved.push(Reassignment {
            address,
            layer,
            from,
            to,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::Assignment;
    use crate::testing::{reload_pair, sample_topology};
    use flowfall_topology::SelectorKind;
    use flowfall_topology::synthetic::{SyntheticSpec, generate};

    fn topo(selector: SelectorKind) -> Topology {
        let spec = SyntheticSpec {
            customers: 400,
            layers: 2,
            vms_per_layer: 8,
            selector,
            seed: 3,
            ipv6: false,
            ..Default::default()
        };
        generate(&spec).unwrap_or_else(|e| panic!("{e}"))
    }

    fn assignment(t: &Topology, f: &Failover) -> Assignment {
        Assignment::compute(t, f.live(), f.overrides()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn vm(layer: usize, index: usize) -> VmId {
        VmId { layer, index }
    }

    #[test]
    fn down_moves_only_its_customers_and_up_keeps_them_pinned() {
        let t = topo(SelectorKind::Maglev);
        let mut f = Failover::new(&t, FailoverPolicy::default());
        let a0 = assignment(&t, &f);
        let victim = vm(0, 3);
        let on_victim: Vec<AddressKey> = a0.on_vm(victim).cloned().collect();
        assert!(!on_victim.is_empty());

        let down = f.vm_down(&t, victim, 10).unwrap_or_else(|e| panic!("{e}"));
        assert!(down.live_changed);
        assert_eq!(
            down.moved.len(),
            on_victim.len(),
            "consistent hashing: only the victim's addresses move"
        );
        assert!(
            down.moved
                .iter()
                .all(|m| m.from == Some(victim) && m.to.is_some_and(|v| v != victim))
        );
        let a1 = assignment(&t, &f);
        assert_eq!(a1.on_vm(victim).count(), 0);
        // Nobody else moved, at any layer.
        for (a, _, vms) in a1.iter() {
            if !on_victim.contains(a) {
                assert_eq!(
                    vms,
                    a0.iter()
                        .find(|(b, _, _)| *b == a)
                        .map(|x| x.2)
                        .unwrap_or_default()
                );
            }
        }

        let up = f.vm_up(&t, victim, 20).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            up.moved.is_empty(),
            "default: customers stay where failover put them"
        );
        // Every address of the victim is pinned, plus the few a Maglev rebuild would shift.
        assert!(
            up.pinned >= on_victim.len() && up.pinned <= on_victim.len() + on_victim.len() / 2 + 2,
            "{}",
            up.pinned
        );
        assert_eq!(
            f.overrides().count(OverrideReason::Failover),
            down.pinned + up.pinned
        );
        let a2 = assignment(&t, &f);
        assert_eq!(a2, a1);
        assert_eq!(
            f.stats(),
            FailoverStats {
                failovers: 1,
                recoveries: 1,
                moves: on_victim.len() as u64,
                pins: (down.pinned + up.pinned) as u64
            }
        );
    }

    #[test]
    fn return_on_recovery_brings_them_back() {
        let t = topo(SelectorKind::Rendezvous);
        let policy = FailoverPolicy {
            return_on_recovery: true,
        };
        let mut f = Failover::new(&t, policy);
        let a0 = assignment(&t, &f);
        let victim = vm(1, 5);
        let n = a0.on_vm(victim).count();
        f.vm_down(&t, victim, 1).unwrap_or_else(|e| panic!("{e}"));
        let up = f.vm_up(&t, victim, 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(up.moved.len(), n);
        assert!(up.moved.iter().all(|m| m.to == Some(victim)));
        assert_eq!(assignment(&t, &f), a0);
        assert!(f.overrides().is_empty());
    }

    #[test]
    fn switching_policy_lifts_old_pins_on_the_next_recovery() {
        let t = topo(SelectorKind::Maglev);
        let mut f = Failover::new(&t, FailoverPolicy::default());
        let a0 = assignment(&t, &f);
        let victim = vm(0, 1);
        f.vm_down(&t, victim, 1).unwrap_or_else(|e| panic!("{e}"));
        f.vm_up(&t, victim, 2).unwrap_or_else(|e| panic!("{e}"));
        let pins = f.overrides().len();
        assert!(pins > 0);
        f.set_policy(FailoverPolicy {
            return_on_recovery: true,
        });
        f.vm_down(&t, victim, 3).unwrap_or_else(|e| panic!("{e}"));
        let up = f.vm_up(&t, victim, 4).unwrap_or_else(|e| panic!("{e}"));
        // The victim's own addresses return; pins of addresses Maglev merely shifted stay.
        let own: Vec<AddressKey> = a0.on_vm(victim).cloned().collect();
        assert_eq!(up.unpinned, own.len());
        assert_eq!(f.overrides().len(), pins - own.len());
        let now = assignment(&t, &f);
        assert!(own.iter().all(|a| now.vm(a, 0) == Some(victim)));
    }

    #[test]
    fn overrides_on_a_dead_vm_are_dropped() {
        let t = topo(SelectorKind::Maglev);
        let mut f = Failover::new(&t, FailoverPolicy::default());
        let a = crate::assign::addresses(&t)
            .into_iter()
            .find(|(_, s)| s.contains(0))
            .map(|(a, _)| a);
        let a = a.unwrap_or_else(|| panic!("no address on layer 0"));
        f.overrides_mut().insert(
            a.clone(),
            Override {
                vm: vm(0, 6),
                reason: OverrideReason::Balance,
                since: 0,
            },
        );
        let down = f.vm_down(&t, vm(0, 6), 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(down.unpinned, 1);
        assert!(down.moved.iter().any(|m| m.address == a));
        assert!(
            f.overrides()
                .iter()
                .all(|(_, o)| o.vm != vm(0, 6) && o.reason == OverrideReason::Failover)
        );
    }

    #[test]
    fn empty_layer_follows_its_policy() {
        let t = sample_topology();
        let mut f = Failover::new(&t, FailoverPolicy::default());
        f.vm_down(&t, vm(1, 0), 1).unwrap_or_else(|e| panic!("{e}"));
        let last = f.vm_down(&t, vm(1, 1), 2).unwrap_or_else(|e| panic!("{e}"));
        assert!(last.layer.is_dropping() && !last.layer.is_bypassing());
        assert!(last.moved.iter().all(|m| m.to.is_none()));
        assert_eq!(last.moved.len(), 2, "c1 and c3 use ddos");
        // Repeated events change nothing.
        let again = f.vm_down(&t, vm(1, 1), 3).unwrap_or_else(|e| panic!("{e}"));
        assert!(!again.live_changed && again.moved.is_empty());
        // The first VM back takes everyone: there was nowhere else to be, so no pins.
        let up = f.vm_up(&t, vm(1, 0), 4).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((up.moved.len(), up.pinned), (2, 0));
        assert_eq!(f.layer_status(&t)[1].live, 1);
        assert!(matches!(
            f.vm_down(&t, vm(4, 0), 5),
            Err(Error::UnknownVm { .. })
        ));
    }

    /// A failover keeping its choosers decides exactly as one building them afresh, across
    /// downs and ups and a reload (state carried over, one VM's weight changed).
    #[test]
    fn cached_choosers_change_no_decision() {
        let spec = SyntheticSpec {
            customers: 300,
            layers: 2,
            vms_per_layer: 6,
            selector: SelectorKind::Maglev,
            seed: 9,
            ipv6: false,
            ..Default::default()
        };
        let (t, reloaded) = reload_pair(&spec, 2);
        let steps = [
            (vm(0, 3), false),
            (vm(0, 5), false),
            (vm(0, 3), true),
            (vm(1, 2), false),
            (vm(0, 5), true),
            (vm(1, 2), true),
            (vm(0, 3), false),
            (vm(0, 3), true),
        ];
        for return_on_recovery in [false, true] {
            let policy = FailoverPolicy { return_on_recovery };
            let mut cached = Failover::new(&t, policy);
            cached.warm(&t).unwrap_or_else(|e| panic!("{e}"));
            let mut fresh = Failover::new(&t, policy).with_choosers(ChooserCache::with_capacity(0));
            let mut at = 0;
            for topology in [&t, &reloaded] {
                if !std::ptr::eq(topology, &t) {
                    // The controller's reload: same live set and pins, the cache carried over.
                    let (live, pins) = (cached.live().clone(), cached.overrides().clone());
                    let kept = cached.choosers().clone();
                    cached = Failover::with_state(policy, live.clone(), pins.clone())
                        .with_choosers(kept);
                    fresh = Failover::with_state(policy, live, pins)
                        .with_choosers(ChooserCache::with_capacity(0));
                }
                for (v, up) in steps {
                    at += 1;
                    let (a, b) = if up {
                        (cached.vm_up(topology, v, at), fresh.vm_up(topology, v, at))
                    } else {
                        (
                            cached.vm_down(topology, v, at),
                            fresh.vm_down(topology, v, at),
                        )
                    };
                    let a = a.unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(a, b.unwrap_or_else(|e| panic!("{e}")), "{v:?} up={up}");
                    assert_eq!(cached.overrides(), fresh.overrides());
                    assert_eq!(cached.live(), fresh.live());
                }
                let ours = cached
                    .assignment(topology)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(ours, assignment(topology, &fresh));
            }
            assert!(cached.choosers().hits() > 0);
            assert_eq!(fresh.choosers().hits(), 0);
        }
    }

    #[test]
    fn events_drive_it() {
        let t = sample_topology();
        let mut f = Failover::new(&t, FailoverPolicy::default());
        let ev = Event::VmDown {
            vm: vm(0, 0),
            at: 1,
            cause: crate::liveness::Cause::ProbeTimeout { misses: 3 },
        };
        assert!(f.on_event(&t, &ev).map(|u| u.live_changed).unwrap_or(false));
        assert!(!f.live().contains(vm(0, 0)));
        let ev = Event::VmUp {
            vm: vm(0, 0),
            at: 2,
        };
        assert!(f.on_event(&t, &ev).map(|u| u.live_changed).unwrap_or(false));
        assert!(f.live().contains(vm(0, 0)));
    }
}
