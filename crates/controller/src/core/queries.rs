//! What the REST API asks of the core: state snapshots, and the runtime changes (services,
//! VM liveness, reload), each answered with the model generation to wait for.

use std::time::Instant;

use flowfall_compile::ofctl;
use flowfall_topology::{Topology, format_dpid};

use super::channel::Phase;
use super::table::FlowSet;
use super::views::{FlowView, FlowsView, PortView, SwitchView};
use super::{ConnId, Controller, CoreError};

impl Controller {
    /// Every junction of the topology (connected or not), then every connection that is not
    /// a managed junction (handshaking or unknown datapath).
    pub fn switch_views(&self) -> Vec<SwitchView> {
        let empty = FlowSet::new();
        let topo = self.model.topology();
        let mut out = Vec::new();
        for sw in topo.switches() {
            let conn = self.by_dpid.get(&sw.dpid).copied();
            let c = conn.and_then(|id| self.conns.get(&id));
            let installed = self.installed.get(&sw.dpid).unwrap_or(&empty);
            let ports = c.map_or_else(Vec::new, |c| {
                c.ports
                    .values()
                    .map(|p| PortView {
                        port_no: p.port_no,
                        name: p.name.to_string(),
                        up: p.is_up(),
                        role: topo.role(sw.index, p.port_no).map(|r| r.to_string()),
                    })
                    .collect()
            });
            let missing_ports = c.map_or_else(Vec::new, |c| {
                topo.ports(sw.index)
                    .iter()
                    .map(|&(p, _)| p)
                    .filter(|p| !c.ports.is_empty() && !c.ports.contains_key(p))
                    .collect()
            });
            out.push(SwitchView {
                name: Some(sw.name.clone()),
                dpid: Some(format_dpid(sw.dpid)),
                connected: c.is_some(),
                state: c.map_or("disconnected", |c| c.phase.name()).to_string(),
                peer: c.map(|c| c.peer.clone()),
                ports,
                missing_ports,
                flows: installed.len(),
                in_sync: c.is_some()
                    && self
                        .diff_of(&[sw.dpid], &super::sync::Scope::All)
                        .is_empty(),
            });
        }
        for (id, c) in &self.conns {
            if c.dpid.is_some_and(|d| self.by_dpid.get(&d) == Some(id)) {
                continue;
            }
            out.push(SwitchView {
                name: None,
                dpid: c.dpid.map(format_dpid),
                connected: true,
                state: c.phase.name().to_string(),
                peer: Some(c.peer.clone()),
                ports: Vec::new(),
                missing_ports: Vec::new(),
                flows: 0,
                in_sync: false,
            });
        }
        out
    }

    /// The flows of a junction (by name or datapath id), `None` if there is no such junction.
    pub fn flows_view(&self, name: &str) -> Option<FlowsView> {
        let topo = self.model.topology();
        let sw = topo
            .switches()
            .iter()
            .find(|s| s.name == name || format_dpid(s.dpid) == name)?;
        let empty = FlowSet::new();
        let installed = self.installed.get(&sw.dpid).unwrap_or(&empty);
        let pending = self.diff_of(&[sw.dpid], &super::sync::Scope::All).len();
        let installed = installed
            .sorted()
            .into_iter()
            .map(|e| FlowView {
                table: e.table_id,
                priority: e.priority,
                cookie: e.cookie.to_string(),
                text: ofctl::flow_line(&e).unwrap_or_else(|err| format!("({err}) {e:?}")),
            })
            .collect();
        Some(FlowsView {
            switch: sw.name.clone(),
            installed,
            pending,
        })
    }

    /// Changes a customer's services at runtime (layer names) and pushes the difference.
    /// Returns the model generation to wait for.
    pub fn set_services(
        &mut self,
        now: Instant,
        customer: &str,
        services: &[String],
    ) -> Result<u64, CoreError> {
        self.health_clock(now);
        if self.model.set_services(customer, services)? {
            tracing::info!(customer, ?services, "services changed");
            self.model_changed(now);
        }
        Ok(self.generation)
    }

    /// Sets a VM's administrative liveness (e.g. from a health monitor) and pushes the
    /// difference. Returns the model generation to wait for.
    pub fn set_vm_live(&mut self, now: Instant, vm: &str, live: bool) -> Result<u64, CoreError> {
        self.health_clock(now);
        let admin = self.model.set_admin_live(vm, live)?;
        let released = live && self.nat_release(vm);
        if admin || released {
            tracing::info!(vm, live, "VM liveness changed");
            self.model_changed(now);
            self.check_layers();
        }
        Ok(self.generation)
    }

    /// Replaces the topology (config reload) and pushes only the difference (warm reload).
    /// Runtime service changes survive unless the file changed that customer's services.
    pub fn reload(&mut self, now: Instant, topology: Topology) -> Result<u64, CoreError> {
        self.health_clock(now);
        self.model.reload(topology, self.generation + 1)?;
        self.generation += 1;
        if let Err(e) = self.health_reloaded(now) {
            tracing::warn!(error = %e, "health probing after the reload");
        }
        tracing::info!(generation = self.generation, "topology reloaded");
        self.rematch_datapaths(now);
        self.request_sync(now, super::sync::Scope::All);
        Ok(self.generation)
    }

    /// After a reload: connections of datapaths that left the topology are left untouched
    /// from now on; unmanaged connections whose datapath joined it start their handshake's
    /// port-description step.
    fn rematch_datapaths(&mut self, now: Instant) {
        let gone: Vec<u64> = self
            .by_dpid
            .keys()
            .copied()
            .filter(|&d| self.model.junctions_of(d).is_empty())
            .collect();
        for dpid in gone {
            if let Some(conn) = self.by_dpid.remove(&dpid) {
                if let Some(c) = self.conns.get_mut(&conn) {
                    if c.phase == Phase::Ready {
                        self.metrics.switches_connected =
                            self.metrics.switches_connected.saturating_sub(1);
                    }
                    c.enter(Phase::Unmanaged, now, &self.timers);
                }
                tracing::warn!(dpid = %format_dpid(dpid), "datapath left the topology: left untouched");
                self.sync_switch_gone(now, dpid);
            }
        }
        let joined: Vec<(ConnId, u64)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.phase == Phase::Unmanaged)
            .filter_map(|(&id, c)| c.dpid.map(|d| (id, d)))
            .filter(|&(_, d)| {
                !self.model.junctions_of(d).is_empty() && !self.by_dpid.contains_key(&d)
            })
            .collect();
        for (conn, dpid) in joined {
            tracing::info!(dpid = %format_dpid(dpid), "datapath joined the topology");
            self.by_dpid.insert(dpid, conn);
            self.request_port_desc(now, conn);
        }
    }

    /// The metrics in Prometheus text format.
    pub fn metrics_text(&self) -> String {
        let flows: Vec<(String, usize)> = self
            .model
            .topology()
            .switches()
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    self.installed.get(&s.dpid).map_or(0, FlowSet::len),
                )
            })
            .collect();
        let mut text = self.metrics.render(&flows);
        self.health_metrics(&mut text);
        text
    }
}
