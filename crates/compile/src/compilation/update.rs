//! Incremental recompiles of a [`Compilation`]: a new topology or new [`Inputs`] give the
//! minimal ordered [`Diff`] from the current tables to the new ones.
//!
//! Only what can change is recomputed: a layer whose live VMs changed gets a new selector and
//! its subscribers are re-selected; a layer whose live bypass links changed gets a new bypass
//! choice and every address is re-selected there; an address whose overrides changed is
//! re-selected on every layer; customers added, removed or reconfigured are recompiled. Only
//! addresses whose hops changed get entries in the diff. Any other change (chain options,
//! switches, backbone, layers) recompiles everything and diffs the full tables.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use flowfall_topology::{Customer, Topology};
use ipnet::IpNet;

use super::{
    AddressId, Compilation, Inputs, check_fit, enumerate_addresses, hop_at, same_customer,
    same_structure,
};
use crate::diff::{Diff, keyed_diff};
use crate::entry::FlowEntry;
use crate::error::Error;
use crate::live::{LiveBypass, LiveVms};
use crate::overrides::{Pins, VmOverrides};
use crate::path::{BypassChoice, Hop, LayerChooser, LayerSelector};
use crate::plan::Plan;
use crate::rules::Rules;

/// Which addresses must be re-selected at one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    /// None: the layer's choices are as before.
    Unchanged,
    /// The layer's subscribers: its live VMs changed.
    Users,
    /// Every address: its live bypass links changed.
    All,
}

/// The new inputs of an update, committed only when it succeeds.
struct Pending {
    topology: Arc<Topology>,
    live: LiveVms,
    live_bypass: LiveBypass,
    overrides: Arc<VmOverrides>,
    generation: u16,
    choosers: Vec<LayerChooser>,
}

impl Compilation {
    /// Recompiles for `live` (same topology, overrides and bypass links); see
    /// [`Compilation::update_inputs`].
    ///
    /// # Errors
    /// As [`Compilation::update_inputs`].
    pub fn set_live(&mut self, live: LiveVms, generation: u16) -> Result<Diff, Error> {
        let topology = Arc::clone(&self.topology);
        self.update(topology, live, generation)
    }

    /// Recompiles for new VM overrides (same topology and liveness): the diff holds the
    /// entries of the addresses whose path changes, typically the ones whose override was
    /// added, removed or changed (an override on a dead VM changes nothing until it comes
    /// back); see [`Compilation::update_inputs`].
    ///
    /// Moving an address to another VM of a stateful VNF breaks its open sessions there.
    ///
    /// # Errors
    /// As [`Compilation::update_inputs`].
    pub fn set_overrides(
        &mut self,
        overrides: VmOverrides,
        generation: u16,
    ) -> Result<Diff, Error> {
        let pending = self.pending(
            Arc::clone(&self.topology),
            self.live.clone(),
            Arc::new(overrides),
            self.live_bypass.clone(),
            generation,
        )?;
        self.apply(pending)
    }

    /// Recompiles for new live bypass links (same topology, liveness and overrides): the diff
    /// holds the entries of the addresses whose bypass link changes (those that used a link
    /// gone down, or that can use a link come back up); see [`Compilation::update_inputs`].
    ///
    /// # Errors
    /// As [`Compilation::update_inputs`].
    pub fn set_live_bypass(
        &mut self,
        live_bypass: LiveBypass,
        generation: u16,
    ) -> Result<Diff, Error> {
        let pending = self.pending(
            Arc::clone(&self.topology),
            self.live.clone(),
            Arc::clone(&self.overrides),
            live_bypass,
            generation,
        )?;
        self.apply(pending)
    }

    /// Recompiles for a new topology and live-VM set, keeping the current overrides (keyed by
    /// customer name and prefix, they survive reloads) and live bypass links (reset to all
    /// live when the new topology's layers or bypass links differ in number); see
    /// [`Compilation::update_inputs`].
    ///
    /// # Errors
    /// As [`Compilation::update_inputs`].
    pub fn update(
        &mut self,
        topology: Arc<Topology>,
        live: LiveVms,
        generation: u16,
    ) -> Result<Diff, Error> {
        let live_bypass = if self.live_bypass.fits(&topology) {
            self.live_bypass.clone()
        } else {
            LiveBypass::all(&topology)
        };
        let overrides = Arc::clone(&self.overrides);
        let pending = self.pending(topology, live, overrides, live_bypass, generation)?;
        self.apply(pending)
    }

    /// Recompiles for a new topology and inputs and returns the ordered diff from the current
    /// tables to the new ones ([`Diff`]; in reactive mode it covers the address entries of
    /// every address, see [`Diff::retain`]). On error nothing changes.
    ///
    /// Incremental when only inputs and customers change: a layer whose live VMs changed
    /// gets a new selector and its subscribers are re-selected; a layer whose live bypass
    /// links changed gets a new bypass choice and every address is re-selected there; an
    /// address whose overrides changed is re-selected on every layer; customers added,
    /// removed or reconfigured are recompiled. Only addresses whose hops changed get entries
    /// in the diff. Any other change (chain options, switches, backbone, layers) recompiles
    /// everything and diffs the full tables.
    ///
    /// # Errors
    /// As [`Compilation::with_inputs`]; the current state is kept.
    pub fn update_inputs(
        &mut self,
        topology: Arc<Topology>,
        inputs: Inputs,
        generation: u16,
    ) -> Result<Diff, Error> {
        let Inputs {
            live,
            overrides,
            live_bypass,
        } = inputs;
        let overrides = if *self.overrides == overrides {
            Arc::clone(&self.overrides)
        } else {
            Arc::new(overrides)
        };
        let pending = self.pending(topology, live, overrides, live_bypass, generation)?;
        self.apply(pending)
    }

    /// Checks the new inputs and builds the selectors of the layers whose liveness changed
    /// (the others are shared with the current state).
    fn pending(
        &self,
        topology: Arc<Topology>,
        live: LiveVms,
        overrides: Arc<VmOverrides>,
        live_bypass: LiveBypass,
        generation: u16,
    ) -> Result<Pending, Error> {
        check_fit(&topology, &live, &live_bypass)?;
        let mut choosers = self.choosers.clone();
        if same_structure(&self.topology, &topology) {
            for (l, (ch, lp)) in choosers.iter_mut().zip(&self.plan.layers).enumerate() {
                if live.layer(l) != self.live.layer(l) {
                    ch.vms = Arc::new(LayerSelector::build(l, lp, live.layer(l))?);
                }
                if live_bypass.layer(l) != self.live_bypass.layer(l) {
                    ch.bypass = Arc::new(BypassChoice::build(lp, live_bypass.layer(l)));
                }
            }
        }
        Ok(Pending {
            topology,
            live,
            live_bypass,
            overrides,
            generation,
            choosers,
        })
    }

    /// Applies `p`: a full recompile when the structure changed, else incremental.
    fn apply(&mut self, p: Pending) -> Result<Diff, Error> {
        if !same_structure(&self.topology, &p.topology) {
            let new =
                Compilation::build(p.topology, p.live, p.overrides, p.live_bypass, p.generation)?;
            let diff = Diff::between(&self.all_entries(), &new.all_entries(), new.plan.n);
            *self = new;
            return Ok(diff);
        }
        let scope: Vec<Scope> = (0..self.plan.n)
            .map(|l| {
                if p.live_bypass.layer(l) != self.live_bypass.layer(l) {
                    Scope::All
                } else if p.live.layer(l) != self.live.layer(l) {
                    Scope::Users
                } else {
                    Scope::Unchanged
                }
            })
            .collect();
        let same_customers = Arc::ptr_eq(&self.topology, &p.topology)
            || self.topology.customers() == p.topology.customers();
        if same_customers {
            let pins = if Arc::ptr_eq(&self.overrides, &p.overrides) {
                Arc::clone(&self.pins)
            } else {
                let resolved = Pins::resolve(
                    &p.overrides,
                    &p.topology,
                    &self.addresses,
                    &self.by_customer,
                );
                Arc::new(resolved)
            };
            return self.reselect(p, pins, &scope);
        }
        let mut next = Compilation {
            plan: Arc::new(Plan::new(&p.topology)),
            topology: p.topology,
            live: p.live,
            live_bypass: p.live_bypass,
            overrides: p.overrides,
            generation: p.generation,
            choosers: p.choosers,
            pins: Arc::default(),
            addresses: Arc::default(),
            by_customer: Arc::default(),
            hops: Vec::new(),
            users: Arc::default(),
        };
        let mut old_entries = Vec::new();
        let mut new_entries = Vec::new();
        let reselect: Vec<bool> = scope.iter().map(|s| *s != Scope::Unchanged).collect();
        self.customers_changed(&mut next, &reselect, &mut old_entries, &mut new_entries);
        let mut ops = Vec::new();
        keyed_diff(old_entries, new_entries, &mut ops);
        let diff = Diff::from_ops(ops, self.plan.n);
        next.report().check()?;
        *self = next;
        Ok(diff)
    }

    /// The update for the same customers: the addresses in `scope` and those whose pins
    /// changed are re-selected with the new choosers and `pins`; hops are patched in place
    /// (and restored if the capacity check fails), and only addresses whose hops changed are
    /// recompiled.
    fn reselect(&mut self, p: Pending, pins: Arc<Pins>, scope: &[Scope]) -> Result<Diff, Error> {
        let n = self.plan.n;
        // (hop index, old hop, new hop) of every hop that changes.
        let mut patches: Vec<(usize, Hop, Hop)> = Vec::new();
        let mut changed: Vec<usize> = Vec::new();
        let mut seen = vec![false; self.addresses.len()];
        let mut visit = |a: usize, l: usize| {
            let Some(addr) = self.addresses.get(a) else {
                return;
            };
            let h = hop_at(&self.plan, &p.choosers, &pins, a, addr, l);
            if let Some(old) = self.hops.get(a * n + l).copied()
                && old != h
            {
                patches.push((a * n + l, old, h));
                if let Some(s) = seen.get_mut(a)
                    && !*s
                {
                    *s = true;
                    changed.push(a);
                }
            }
        };
        for (l, s) in scope.iter().enumerate() {
            match s {
                Scope::Unchanged => {}
                Scope::Users => {
                    for &a in self.users.get(l).map_or(&[][..], Vec::as_slice) {
                        visit(a as usize, l);
                    }
                }
                Scope::All => {
                    for a in 0..self.addresses.len() {
                        visit(a, l);
                    }
                }
            }
        }
        if !Arc::ptr_eq(&self.pins, &pins) {
            for a in self.pins.changed(&pins) {
                // Layers in scope have been visited with the new pins already.
                for (l, _) in scope
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| **s == Scope::Unchanged)
                {
                    visit(a, l);
                }
            }
        }
        // The entries of the changed addresses before...
        let mut old_entries = Vec::new();
        let old_rules = self.rules();
        for &a in &changed {
            self.unit_entries(&old_rules, a, self.path(AddressId(a)), &mut old_entries);
        }
        // ... and after.
        for &(i, _, new) in &patches {
            if let Some(slot) = self.hops.get_mut(i) {
                *slot = new;
            }
        }
        if let Err(e) = self.report().check() {
            for &(i, old, _) in &patches {
                if let Some(slot) = self.hops.get_mut(i) {
                    *slot = old;
                }
            }
            return Err(e);
        }
        let new_rules = Rules {
            plan: &self.plan,
            generation: p.generation,
        };
        let mut new_entries = Vec::new();
        for &a in &changed {
            self.unit_entries(&new_rules, a, self.path(AddressId(a)), &mut new_entries);
        }
        let mut ops = Vec::new();
        keyed_diff(old_entries, new_entries, &mut ops);
        self.topology = p.topology;
        self.live = p.live;
        self.live_bypass = p.live_bypass;
        self.overrides = p.overrides;
        self.generation = p.generation;
        self.choosers = p.choosers;
        self.pins = pins;
        Ok(Diff::from_ops(ops, n))
    }

    /// The customer part of an incremental update: `next` has the new topology, inputs, plan
    /// and choosers; fills its addresses, pins, hops and users, and the entries that change.
    /// A hop is carried over from the old address of the same name and prefix when its
    /// customer is configured identically, its layer is not in `reselect` and its pins are
    /// the same.
    fn customers_changed(
        &self,
        next: &mut Compilation,
        reselect: &[bool],
        old_entries: &mut Vec<(usize, FlowEntry)>,
        new_entries: &mut Vec<(usize, FlowEntry)>,
    ) {
        let n = self.plan.n;
        let (addresses, by_customer) = enumerate_addresses(&next.topology);
        next.pins = Arc::new(Pins::resolve(
            &next.overrides,
            &next.topology,
            &addresses,
            &by_customer,
        ));
        next.addresses = Arc::new(addresses);
        next.by_customer = Arc::new(by_customer);
        let old_customers = self.topology.customers();
        let new_customers = next.topology.customers();
        let old_index: HashMap<(&str, IpNet), usize> = self
            .addresses
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                Some(((old_customers.get(a.customer)?.name.as_str(), a.prefix), i))
            })
            .collect();
        let mut kept_old: HashSet<usize> = HashSet::new();
        let mut hops = Vec::with_capacity(next.addresses.len() * n);
        let mut users = vec![Vec::new(); n];
        let mut recompile: Vec<usize> = Vec::new();
        for (i, a) in next.addresses.iter().enumerate() {
            let Some(c) = new_customers.get(a.customer) else {
                continue;
            };
            let old = old_index
                .get(&(c.name.as_str(), a.prefix))
                .copied()
                .filter(|&o| {
                    self.addresses.get(o).is_some_and(|oa| {
                        oa.owner == a.owner
                            && old_customers
                                .get(oa.customer)
                                .is_some_and(|oc| same_customer(oc, c))
                    })
                });
            let same_pins = old.is_some_and(|o| self.pins.same_for(o, &next.pins, i, n));
            let mut differs = old.is_none();
            for l in 0..n {
                let carried = old.and_then(|o| self.hops.get(o * n + l).copied());
                let h = match carried {
                    Some(h) if same_pins && !reselect.get(l).copied().unwrap_or(true) => h,
                    _ => hop_at(&next.plan, &next.choosers, &next.pins, i, a, l),
                };
                differs |= carried != Some(h);
                hops.push(h);
                if a.services.contains(l)
                    && let Some(u) = users.get_mut(l)
                {
                    u.push(i as u32);
                }
            }
            if let Some(o) = old {
                kept_old.insert(o);
                if differs {
                    let old_hops = self.path(AddressId(o));
                    self.unit_entries(&self.rules(), o, old_hops, old_entries);
                    recompile.push(i);
                }
            } else {
                recompile.push(i);
            }
        }
        next.hops = hops;
        next.users = Arc::new(users);
        let new_rules = next.rules();
        for i in recompile {
            next.unit_entries(&new_rules, i, next.path(AddressId(i)), new_entries);
        }
        let old_rules = self.rules();
        for o in (0..self.addresses.len()).filter(|o| !kept_old.contains(o)) {
            self.unit_entries(&old_rules, o, self.path(AddressId(o)), old_entries);
        }
        // Anti-spoofing entries of customers added, removed or changed.
        let new_by_name: HashMap<&str, &Customer> =
            new_customers.iter().map(|c| (c.name.as_str(), c)).collect();
        let old_by_name: HashMap<&str, &Customer> =
            old_customers.iter().map(|c| (c.name.as_str(), c)).collect();
        for c in old_customers {
            if !new_by_name
                .get(c.name.as_str())
                .is_some_and(|nc| same_customer(c, nc))
                && let Some(e) = old_rules.anti_spoof(c.index)
            {
                old_entries.push((0, e));
            }
        }
        for c in new_customers {
            if !old_by_name
                .get(c.name.as_str())
                .is_some_and(|oc| same_customer(oc, c))
                && let Some(e) = new_rules.anti_spoof(c.index)
            {
                new_entries.push((0, e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use flowfall_topology::VmId;

    use super::super::tests::lab;
    use super::*;
    use crate::cookie::OwnerId;
    use crate::live::BypassId;
    use crate::sim::{Fabric, Outcome, Tracer};
    use crate::tables::Tables;

    fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    /// The address ids and owners of customer `name`.
    fn of(c: &Compilation, name: &str) -> (Vec<AddressId>, BTreeSet<OwnerId>) {
        let customer = c
            .topology()
            .customer_by_name(name)
            .map_or(usize::MAX, |x| x.index);
        let ids: Vec<AddressId> = c.addresses_of(customer).map(AddressId).collect();
        let owners = ids
            .iter()
            .filter_map(|&i| c.address(i))
            .map(|a| a.owner)
            .collect();
        (ids, owners)
    }

    /// Every entry of `fabric` by switch, generation aside.
    fn content(fabric: &Fabric) -> HashSet<(usize, u16, flowfall_ofp::Match, Vec<u8>, u64)> {
        let mut out = HashSet::new();
        for (k, s) in fabric.switches.iter().enumerate() {
            for e in s.entries() {
                let value = format!("{:?} {}", e.instructions, e.idle_timeout).into_bytes();
                out.insert((k, e.priority, e.match_.clone(), value, e.cookie.identity()));
            }
        }
        out
    }

    /// Applies `diff` to a fabric holding `before` and checks it ends as `c`'s tables.
    fn applied(before: &Tables, diff: &Diff, c: &Compilation) -> Fabric {
        let mut fabric = ok(Fabric::from_tables(before));
        for (k, op) in diff.ops() {
            ok(fabric.apply(k, &op.to_flow_mod()));
        }
        let scratch = ok(Compilation::with_inputs(
            Arc::clone(c.topology()),
            Inputs {
                live: c.live().clone(),
                overrides: c.overrides().clone(),
                live_bypass: c.live_bypass().clone(),
            },
            c.generation(),
        ));
        let want = ok(Fabric::from_tables(&scratch.all_entries()));
        assert_eq!(content(&fabric), content(&want));
        assert_eq!(c.all_entries(), scratch.all_entries());
        fabric
    }

    #[test]
    fn an_override_moves_one_address_in_both_directions() {
        let t = lab(|s| s.to_owned());
        let mut c = ok(Compilation::new(Arc::clone(&t), LiveVms::all(&t), 1));
        let (ids, owners) = of(&c, "charlie");
        let id = ids[0];
        let Some(Hop::Vm(hash)) = c.path(id).first().copied() else {
            panic!("charlie crosses the firewall");
        };
        // fw-3 is on the other hypervisor than fw-1 and fw-2: the move changes ports too.
        let target = if hash == 2 { 0 } else { 2 };
        let prefix = ok(c.address(id).ok_or("no address")).prefix;
        let mut pins = VmOverrides::new();
        pins.insert(
            "charlie",
            prefix,
            VmId {
                layer: 0,
                index: target,
            },
        );
        let before = c.all_entries();
        let diff = ok(c.set_overrides(pins.clone(), 2));
        assert_eq!(diff.address_owners(), owners);
        assert_eq!(c.path(id).first(), Some(&Hop::Vm(target as u32)));
        let fabric = applied(&before, &diff, &c);
        let tracer = Tracer::new(&t, &fabric, Some(c.live()));
        let host = "10.0.3.9".parse().unwrap_or_else(|e| panic!("{e}"));
        let up = ok(tracer.upstream(2, host, 0x0c));
        let down = ok(tracer.downstream(host));
        assert_eq!(up.vms, c.chosen_vms(id));
        assert_eq!(
            up.vms.first(),
            Some(&VmId {
                layer: 0,
                index: target
            })
        );
        assert_eq!(down.vms.iter().rev().copied().collect::<Vec<_>>(), up.vms);
        // Same overrides again: nothing; removing the pin restores the hash choice.
        assert!(ok(c.set_overrides(pins, 3)).is_empty());
        let back = ok(c.set_overrides(VmOverrides::new(), 4));
        assert_eq!(back.address_owners(), owners);
        assert_eq!(c.path(id).first(), Some(&Hop::Vm(hash)));
        assert_eq!(c.all_entries(), before_at(&t, 4));
    }

    /// The tables of the lab with every VM live, no override, generation `g`.
    fn before_at(t: &Arc<Topology>, g: u16) -> Tables {
        ok(Compilation::new(Arc::clone(t), LiveVms::all(t), g)).all_entries()
    }

    #[test]
    fn overrides_that_cannot_apply_are_ignored_until_they_can() {
        let t = lab(|s| s.to_owned());
        let fw3 = ok(t.vm_by_name("fw-3").ok_or("no fw-3")).id;
        let mut c = ok(Compilation::new(
            Arc::clone(&t),
            ok(LiveVms::all(&t).without(fw3)),
            1,
        ));
        let (charlie, charlie_owners) = of(&c, "charlie");
        let net = |s: &str| -> IpNet { s.parse().unwrap_or_else(|e| panic!("{e}")) };
        let mut pins = VmOverrides::new();
        pins.insert("charlie", net("10.0.3.0/24"), fw3); // dead VM
        pins.insert("bravo", net("10.0.2.0/24"), VmId { layer: 1, index: 0 }); // not its layer
        pins.insert("bravo", net("10.0.2.0/24"), VmId { layer: 0, index: 7 }); // no such VM
        pins.insert("zulu", net("10.9.0.0/24"), VmId { layer: 0, index: 0 }); // no customer
        pins.insert("alpha", net("10.9.9.0/24"), VmId { layer: 0, index: 0 }); // no prefix
        let before = c.all_entries();
        assert!(ok(c.set_overrides(pins.clone(), 2)).is_empty());
        assert_eq!(c.overrides(), &pins);
        // fw-3 comes back: charlie goes to it (its pin) along with fw-3's hash share.
        let diff = ok(c.set_live(LiveVms::all(&t), 3));
        assert!(charlie_owners.is_subset(&diff.address_owners()));
        assert_eq!(c.chosen_vms(charlie[0]).first(), Some(&fw3));
        applied(&before, &diff, &c);
        // A reload adding a customer keeps the pin (by name and prefix) and touches only
        // the new customer's entries.
        let more = lab(|s| {
            format!(
                "{s}\n[[customers]]\nname = \"echo\"\nport = 5\ncpe_mac = \"02:00:00:aa:00:05\"\n\
                 ipv4 = [\"10.0.5.0/24\"]\nservices = [\"firewall\"]\n"
            )
        });
        let before = c.all_entries();
        let diff = ok(c.update(Arc::clone(&more), LiveVms::all(&more), 4));
        let old_c = c.clone();
        assert_eq!(diff.address_owners(), of(&c, "echo").1);
        assert_eq!(c.chosen_vms(of(&c, "charlie").0[0]).first(), Some(&fw3));
        applied(&before, &diff, &c);
        // A reload that also moves charlie: both happen.
        let fw1 = ok(t.vm_by_name("fw-1").ok_or("no fw-1")).id;
        pins.insert("charlie", net("10.0.3.0/24"), fw1);
        let before = c.all_entries();
        let inputs = Inputs {
            overrides: pins,
            ..Inputs::all(&t)
        };
        let diff = ok(c.update_inputs(Arc::clone(&t), inputs, 5));
        let mut owners = of(&c, "charlie").1;
        owners.extend(of(&old_c, "echo").1);
        assert_eq!(diff.address_owners(), owners);
        assert_eq!(c.chosen_vms(of(&c, "charlie").0[0]).first(), Some(&fw1));
        applied(&before, &diff, &c);
    }

    #[test]
    fn dead_bypass_links_are_avoided() {
        // Two bypass links past the firewall.
        let t = lab(|s| {
            s.replace(
                "bypass = [{ down_port = 20, up_port = 20 }]",
                "bypass = [{ down_port = 20, up_port = 20 }, { down_port = 21, up_port = 21 }]",
            )
        });
        let mut c = ok(Compilation::new(Arc::clone(&t), LiveVms::all(&t), 1));
        // alpha and delta skip the firewall; bravo and charlie cross it.
        let skippers: BTreeSet<OwnerId> = ["alpha", "delta"]
            .iter()
            .flat_map(|n| of(&c, n).1)
            .collect();
        let on_link = |c: &Compilation, b: u16| -> BTreeSet<OwnerId> {
            (0..c.addresses().len())
                .filter(|&i| c.path(AddressId(i)).first() == Some(&Hop::Bypass(b)))
                .filter_map(|i| c.address(AddressId(i)).map(|a| a.owner))
                .collect()
        };
        let (on0, on1) = (on_link(&c, 0), on_link(&c, 1));
        assert_eq!(on0.union(&on1).copied().collect::<BTreeSet<_>>(), skippers);
        // Link 0 down: its addresses move to link 1, nothing else changes.
        let link0 = BypassId { layer: 0, index: 0 };
        let before = c.all_entries();
        let diff = ok(c.set_live_bypass(ok(LiveBypass::all(&t).without(link0)), 2));
        assert_eq!(diff.address_owners(), on0);
        assert_eq!(on_link(&c, 1), skippers);
        let fabric = applied(&before, &diff, &c);
        let tracer = Tracer::new(&t, &fabric, None).with_live_bypass(Some(c.live_bypass()));
        for (customer, host) in [(0, "10.0.1.1"), (3, "10.0.44.5")] {
            let host = host.parse().unwrap_or_else(|e| panic!("{e}"));
            assert!(ok(tracer.upstream(customer, host, 0x08 * (customer as u8 / 3))).delivered());
            assert!(ok(tracer.downstream(host)).delivered());
        }
        // Both down: the skippers are dropped at the edges (fail-closed), the others untouched.
        let before = c.all_entries();
        let diff = ok(c.set_live_bypass(
            LiveBypass::from_ids(&t, [BypassId { layer: 1, index: 0 }])
                .unwrap_or_else(|e| panic!("{e}")),
            3,
        ));
        assert_eq!(diff.address_owners(), skippers);
        let fabric = applied(&before, &diff, &c);
        let tracer = Tracer::new(&t, &fabric, None);
        let alpha = ok(tracer.upstream(0, "10.0.1.1".parse().unwrap_or_else(|e| panic!("{e}")), 0));
        assert_eq!(alpha.outcome, Outcome::Dropped { switch: 0 });
        // Back up: the original tables.
        let diff = ok(c.set_live_bypass(LiveBypass::all(&t), 4));
        assert_eq!(diff.address_owners(), skippers);
        assert_eq!(c.all_entries(), before_at(&t, 4));
    }

    #[test]
    fn inputs_of_another_shape_are_refused_without_change() {
        let t = lab(|s| s.to_owned());
        let other = lab(|s| {
            s.replace(
                "bypass = [{ down_port = 40, up_port = 40 }]",
                "bypass = [{ down_port = 40, up_port = 40 }, { down_port = 41, up_port = 41 }]",
            )
        });
        let mut c = ok(Compilation::new(Arc::clone(&t), LiveVms::all(&t), 1));
        let before = c.all_entries();
        assert_eq!(
            c.set_live_bypass(LiveBypass::all(&other), 2).err(),
            Some(Error::LiveBypassMismatch)
        );
        let inputs = Inputs {
            live_bypass: LiveBypass::all(&other),
            ..Inputs::all(&t)
        };
        assert_eq!(
            Compilation::with_inputs(Arc::clone(&t), inputs.clone(), 1).err(),
            Some(Error::LiveBypassMismatch)
        );
        assert_eq!(
            c.update_inputs(Arc::clone(&t), inputs, 2).err(),
            Some(Error::LiveBypassMismatch)
        );
        assert_eq!(c.all_entries(), before);
        // `update` to a topology of another bypass shape resets the live links to all up.
        let mut down = ok(LiveBypass::all(&t).without(BypassId { layer: 1, index: 0 }));
        ok(c.set_live_bypass(down.clone(), 3));
        assert_eq!(c.live_bypass(), &down);
        ok(c.update(Arc::clone(&other), LiveVms::all(&other), 4));
        assert_eq!(c.live_bypass(), &LiveBypass::all(&other));
        down = LiveBypass::all(&other);
        assert_eq!(c.live_bypass(), &down);
    }
}
