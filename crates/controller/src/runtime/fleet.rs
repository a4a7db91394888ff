//! The chains of one running controller: one core task per chain, their handles,
//! the `/api/chains` view and the reload of every topology file at once.
//!
//! A reload re-reads every file and validates them together
//! ([`flowfall_topology::Deployment`]). It is refused, with the running configuration kept,
//! when the files no longer name the same chains in the same order, or when a datapath would
//! move from one chain to another (its switch would have to move between cores while
//! connected); restart the controller for such changes. Otherwise each chain's core reloads
//! in turn (only the difference is pushed). A datapath that a reload gives to a chain while
//! its switch is connected, unmanaged, to another chain's core is disconnected there, so that
//! it reconnects and is handed over to its chain.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use flowfall_topology::{Deployment, format_dpid};
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::routes::{Owners, Routes};
use super::{ControllerHandle, Ctl, RuntimeError};

/// One chain of a running controller.
#[derive(Debug)]
pub(super) struct ChainSlot {
    /// `[chain] name`.
    pub(super) name: String,
    /// The topology file re-read on reload.
    pub(super) source: Option<PathBuf>,
    /// The core task's inbox for calls.
    pub(super) ctl: mpsc::UnboundedSender<Ctl>,
    /// The last model generation every switch of the chain confirmed.
    pub(super) synced: watch::Receiver<u64>,
}

/// Every chain of a running controller, shared by all handles.
#[derive(Debug)]
pub(super) struct Fleet {
    /// In configuration order; the first is the lobby and what `/api/...` means.
    pub(super) chains: Vec<ChainSlot>,
    /// Where connections go.
    pub(super) routes: Arc<Routes>,
    /// Shutdown of the whole controller.
    pub(super) cancel: CancellationToken,
    /// Serialises reloads.
    pub(super) reloading: tokio::sync::Mutex<()>,
}

/// One chain, as `GET /api/chains` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainView {
    /// `[chain] name`.
    pub name: String,
    /// The topology file, when the chain came from one.
    pub config: Option<String>,
    /// Junction switches in the topology.
    pub switches: usize,
    /// Junction switches connected, handshake done.
    pub connected: u64,
}

impl Fleet {
    /// A handle on chain `index` (which exists: handles are made for existing chains only).
    pub(super) fn handle(self: &Arc<Fleet>, index: usize) -> Option<ControllerHandle> {
        self.chains.get(index).map(|_| ControllerHandle {
            fleet: Arc::clone(self),
            index,
        })
    }

    /// Handles on every chain, in order.
    pub(super) fn handles(self: &Arc<Fleet>) -> Vec<ControllerHandle> {
        (0..self.chains.len())
            .filter_map(|i| self.handle(i))
            .collect()
    }

    /// Every chain's view; chains whose core has stopped are left out.
    pub(super) async fn views(self: &Arc<Fleet>) -> Vec<ChainView> {
        let mut out = Vec::new();
        for h in self.handles() {
            let config = h
                .slot()
                .and_then(|s| s.source.as_ref())
                .map(|p| p.display().to_string());
            let name = h.chain_name().to_string();
            let counts = h
                .call(|c, _| {
                    (
                        c.topology().switches().len(),
                        c.metrics().switches_connected,
                    )
                })
                .await;
            if let Some((switches, connected)) = counts {
                out.push(ChainView {
                    name,
                    config,
                    switches,
                    connected,
                });
            }
        }
        out
    }

    /// Re-reads every chain's file and reloads each core; see the [module docs](self).
    /// Returns each chain's name and new model generation.
    pub(super) async fn reload(self: &Arc<Fleet>) -> Result<Vec<(String, u64)>, RuntimeError> {
        let _one_at_a_time = self.reloading.lock().await;
        let paths: Vec<PathBuf> = self
            .chains
            .iter()
            .map(|c| c.source.clone())
            .collect::<Option<_>>()
            .ok_or(RuntimeError::NoTopologyFile)?;
        let deployment = tokio::task::spawn_blocking(move || Deployment::from_files(&paths))
            .await
            .map_err(|_| RuntimeError::Stopped)?
            .map_err(RuntimeError::Deployment)?;
        let running: Vec<String> = self.chains.iter().map(|c| c.name.clone()).collect();
        let found: Vec<String> = deployment
            .chains()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        if running != found {
            return Err(RuntimeError::ChainsChanged { running, found });
        }
        let old = self.routes.owners();
        for (&dpid, &to) in deployment.owners() {
            if let Some(&from) = old.get(&dpid).filter(|&&from| from != to) {
                let name = |i: usize| running.get(i).cloned().unwrap_or_default();
                return Err(RuntimeError::DatapathMoved {
                    dpid: format_dpid(dpid),
                    from: name(from),
                    to: name(to),
                });
            }
        }
        let new_owners = deployment.owners().clone();
        let mut done: Vec<(String, u64)> = Vec::new();
        let mut failed = None;
        for (h, chain) in self.handles().into_iter().zip(deployment.into_chains()) {
            let name = chain.name().to_string();
            let topology = chain.topology;
            match h.call(move |core, now| core.reload(now, topology)).await {
                Some(Ok(generation)) => done.push((name, generation)),
                Some(Err(error)) => {
                    failed = Some(RuntimeError::PartialReload {
                        chain: name,
                        error,
                        reloaded: done.iter().map(|(n, _)| n.clone()).collect(),
                    });
                    break;
                }
                None => {
                    failed = Some(RuntimeError::Stopped);
                    break;
                }
            }
        }
        // Chains reloaded own their new datapaths, the others keep theirs (no datapath moved
        // between chains, so the two never claim the same one).
        let reloaded = done.len();
        let owners: Owners = new_owners
            .into_iter()
            .filter(|&(_, chain)| chain < reloaded)
            .chain(
                old.iter()
                    .map(|(&d, &c)| (d, c))
                    .filter(|&(_, c)| c >= reloaded),
            )
            .collect();
        let owners = Arc::new(owners);
        self.routes.set_owners((*owners).clone());
        for h in self.handles() {
            let index = h.index;
            let owners = Arc::clone(&owners);
            let released = h
                .call(move |core, now: Instant| {
                    core.release_foreign(now, |dpid| {
                        owners.get(&dpid).is_some_and(|&chain| chain != index)
                    })
                })
                .await
                .unwrap_or(0);
            if released > 0 {
                info!(
                    chain = h.chain_name(),
                    released, "switches of other chains disconnected to reconnect there"
                );
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }
}
