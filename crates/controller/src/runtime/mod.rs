//! The tokio runtime around the sans-IO [`Controller`]: it accepts switch connections (TCP or
//! TLS), moves their bytes to and from the core, drives the core's timers, serves the REST
//! API, metrics and the web portal ([`portal`]) on one port, reloads the topology on SIGHUP
//! and shuts down gracefully.
//!
//! One task owns the [`Controller`]; connection tasks, the API and signal handlers talk to it
//! through channels, so the core needs no locks and sees events in one order.
//!
//! Several chains ([`Runtime::deployment`], one topology file each, switch-disjoint): one
//! core per chain, each in its own task, so the chains run in parallel on the multi-thread
//! runtime. Every connection starts at the first chain's core (the lobby); the switch's
//! FEATURES_REPLY decides which chain serves it ([`routes`] has the details). The API serves
//! every chain under `/api/chains/{name}/...`, `/api/...` meaning the first one; metrics carry
//! a `chain` label ([`api`]); a reload re-reads every file ([`fleet`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use flowfall_controller::runtime::Runtime;
//! use flowfall_controller::settings::Settings;
//!
//! let topology = flowfall_topology::Topology::from_file("lab.toml")?;
//! let mut settings = Settings::default();
//! settings.openflow.listen = "127.0.0.1:0".parse()?; // ephemeral port
//! settings.api.token = Some("secret".into());
//! let running = Runtime::new(settings, topology).start().await?;
//! println!("OpenFlow on {}", running.openflow_addr());
//! running.handle().shutdown();
//! running.wait().await;
//! # Ok(())
//! # }
//! ```

pub mod api;
mod connection;
pub mod fleet;
mod frames;
pub mod portal;
pub mod routes;
pub mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use flowfall_topology::{Deployment, DeploymentErrors, Topology};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::core::{ConnId, Controller, CoreError, Event, Output};
use crate::metrics::DisconnectReason;
use crate::settings::Settings;
use connection::{Bounds, ConnInput, Link};
use fleet::{ChainSlot, Fleet};
use routes::Routes;

pub use fleet::ChainView;

/// A failure to start or reload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// A listen address could not be bound.
    #[error("cannot listen on {addr} ({what}): {source}")]
    Bind {
        /// `openflow` or `api`.
        what: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The core refused the topology.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// No topology file to reload from (the controller was started from an in-memory one).
    #[error("no topology file to reload")]
    NoTopologyFile,
    /// The topology file is invalid; the running configuration is kept.
    #[error("topology file {path}: {message}")]
    Topology {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        message: String,
    },
    /// The controller has stopped.
    #[error("the controller has stopped")]
    Stopped,
    /// The `[portal]` settings do not fit the topology (see [`portal::check`]).
    #[error("{}", crate::settings::portal_problems(.0))]
    Portal(flowfall_portal::ConfigError),
    /// Several chains: the topology files are invalid, alone or together (each problem names
    /// its file); the running configuration is kept.
    #[error("{0}")]
    Deployment(DeploymentErrors),
    /// Several chains: a reload found other chains than the running ones.
    #[error(
        "a reload cannot add, remove, rename or reorder chains (running: {}; in the files now: {}): restart the controller for that; running configuration kept",
        .running.join(", "),
        .found.join(", ")
    )]
    ChainsChanged {
        /// The running chains' names.
        running: Vec<String>,
        /// The chains the files name now.
        found: Vec<String>,
    },
    /// Several chains: a reload would move a datapath from one chain to another.
    #[error(
        "a reload cannot move datapath {dpid} from chain {from:?} to chain {to:?} (its switch would change cores while connected): restart the controller for that; running configuration kept"
    )]
    DatapathMoved {
        /// The datapath id, `00:00:...` form.
        dpid: String,
        /// The chain owning it now.
        from: String,
        /// The chain the files give it to.
        to: String,
    },
    /// Several chains: a chain's core refused its new topology (e.g. it does not compile).
    /// The chains listed in `reloaded` had already been reloaded; this one and the ones after
    /// it kept their configuration.
    #[error(
        "chain {chain:?} refused the reload: {error}; reloaded before it: [{}]; it and the chains after it kept their configuration",
        .reloaded.join(", ")
    )]
    PartialReload {
        /// The chain.
        chain: String,
        /// Why.
        error: CoreError,
        /// The chains reloaded before it.
        reloaded: Vec<String>,
    },
}

type Call = Box<dyn FnOnce(&mut Controller, Instant) + Send>;

enum Ctl {
    Call(Call),
}

/// A cloneable handle on one chain of a running controller: queries, changes and shutdown.
/// With several chains, [`ControllerHandle::chains`] gives a handle on each.
#[derive(Clone)]
pub struct ControllerHandle {
    fleet: Arc<Fleet>,
    index: usize,
}

impl std::fmt::Debug for ControllerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slot = self.fleet.chains.get(self.index);
        f.debug_struct("ControllerHandle")
            .field("chain", &self.chain_name())
            .field("topology_path", &slot.and_then(|s| s.source.as_ref()))
            .field("synced", &slot.map(|s| *s.synced.borrow()))
            .finish()
    }
}

impl ControllerHandle {
    fn slot(&self) -> Option<&ChainSlot> {
        self.fleet.chains.get(self.index)
    }

    /// The chain's name (`[chain] name`).
    pub fn chain_name(&self) -> &str {
        self.slot().map_or("", |s| s.name.as_str())
    }

    /// A handle on every chain of the controller, in configuration order (this one among
    /// them; just this one with a single chain).
    pub fn chains(&self) -> Vec<ControllerHandle> {
        self.fleet.handles()
    }

    /// Runs `f` on the core (in its task) and returns its result; `None` once the controller
    /// has stopped. Messages `f` causes are sent when it returns.
    pub async fn call<R, F>(&self, f: F) -> Option<R>
    where
        F: FnOnce(&mut Controller, Instant) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let call: Call = Box::new(move |core, now| {
            // The caller may have given up waiting; nothing to do then.
            let _ = tx.send(f(core, now));
        });
        self.slot()?.ctl.send(Ctl::Call(call)).ok()?;
        rx.await.ok()
    }

    /// Waits until every connected switch confirmed the model `generation` (see
    /// [`Controller::generation`]); `false` on timeout or shutdown.
    pub async fn wait_synced(&self, generation: u64, timeout: Duration) -> bool {
        let Some(slot) = self.slot() else {
            return false;
        };
        let mut rx = slot.synced.clone();
        matches!(
            tokio::time::timeout(timeout, rx.wait_for(|&g| g >= generation)).await,
            Ok(Ok(_))
        )
    }

    /// Re-reads the topology file and pushes only the difference (warm reload). The running
    /// configuration is kept when the file is invalid. Returns the new model generation.
    ///
    /// With several chains this re-reads every chain's file ([`ControllerHandle::reload_chains`])
    /// and returns this chain's generation.
    pub async fn reload(&self) -> Result<u64, RuntimeError> {
        if self.fleet.chains.len() > 1 {
            let reloaded = self.fleet.reload().await?;
            return reloaded
                .get(self.index)
                .map(|&(_, g)| g)
                .ok_or(RuntimeError::Stopped);
        }
        let path = self
            .slot()
            .and_then(|s| s.source.clone())
            .ok_or(RuntimeError::NoTopologyFile)?;
        let p = path.clone();
        let topology = tokio::task::spawn_blocking(move || Topology::from_file(p.as_path()))
            .await
            .map_err(|_| RuntimeError::Stopped)?
            .map_err(|e| RuntimeError::Topology {
                path,
                message: e.to_string(),
            })?;
        self.call(move |core, now| core.reload(now, topology))
            .await
            .ok_or(RuntimeError::Stopped)?
            .map_err(RuntimeError::from)
    }

    /// Re-reads every chain's topology file (see [`fleet`] for what a reload may change) and
    /// returns each chain's name and new model generation.
    pub async fn reload_chains(&self) -> Result<Vec<(String, u64)>, RuntimeError> {
        if self.fleet.chains.len() > 1 {
            return self.fleet.reload().await;
        }
        let generation = self.reload().await?;
        Ok(vec![(self.chain_name().to_string(), generation)])
    }

    /// Every chain with its switch counts (`GET /api/chains`).
    pub async fn chain_views(&self) -> Vec<ChainView> {
        self.fleet.views().await
    }

    /// Starts a graceful shutdown: stop accepting, close switch connections (their flows stay
    /// installed), stop the API.
    pub fn shutdown(&self) {
        self.fleet.cancel.cancel();
    }

    /// Whether shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        self.fleet.cancel.is_cancelled()
    }
}

/// Builder of a controller runtime.
#[derive(Debug)]
pub struct Runtime {
    settings: Settings,
    /// Each chain's topology and the file re-read on reload; at least one.
    chains: Vec<(Topology, Option<PathBuf>)>,
}

/// A started controller.
#[derive(Debug)]
pub struct Running {
    openflow_addr: SocketAddr,
    api_addr: Option<SocketAddr>,
    handle: ControllerHandle,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// The bound OpenFlow address (with the actual port when 0 was asked for).
    pub fn openflow_addr(&self) -> SocketAddr {
        self.openflow_addr
    }

    /// The bound REST port (API and metrics, web portal), when it is served.
    pub fn api_addr(&self) -> Option<SocketAddr> {
        self.api_addr
    }

    /// A handle for queries, changes and shutdown (on the first chain; see
    /// [`Running::chains`]).
    pub fn handle(&self) -> ControllerHandle {
        self.handle.clone()
    }

    /// A handle on every chain, in configuration order.
    pub fn chains(&self) -> Vec<ControllerHandle> {
        self.handle.chains()
    }

    /// Waits until the controller has stopped (after [`ControllerHandle::shutdown`]).
    pub async fn wait(self) {
        for t in self.tasks {
            // A panicked task has already logged; shutdown goes on.
            let _ = t.await;
        }
    }

    /// Shuts down and waits.
    pub async fn shutdown(self) {
        self.handle.shutdown();
        self.wait().await;
    }
}

impl Runtime {
    /// A runtime serving `topology` with `settings`.
    pub fn new(settings: Settings, topology: Topology) -> Runtime {
        Runtime {
            settings,
            chains: vec![(topology, None)],
        }
    }

    /// A runtime serving every chain of `deployment` (validated together: switch-disjoint,
    /// uniquely named), each by its own core. Each chain's
    /// [`source`](flowfall_topology::DeployedChain::source) is the file a reload re-reads.
    /// With one chain this is [`Runtime::new`] with [`Runtime::topology_path`].
    pub fn deployment(settings: Settings, deployment: Deployment) -> Runtime {
        Runtime {
            settings,
            chains: deployment
                .into_chains()
                .into_iter()
                .map(|c| (c.topology, Some(c.source)))
                .collect(),
        }
    }

    /// The file the topology came from, re-read by [`ControllerHandle::reload`] and SIGHUP
    /// (of the first chain).
    pub fn topology_path(mut self, path: impl Into<PathBuf>) -> Runtime {
        if let Some(first) = self.chains.first_mut() {
            first.1 = Some(path.into());
        }
        self
    }

    /// Binds the listeners and starts the tasks.
    pub async fn start(self) -> Result<Running, RuntimeError> {
        let Runtime { settings, chains } = self;
        // Owners of the datapaths; `Deployment` checked they are disjoint.
        let owners: routes::Owners = chains
            .iter()
            .enumerate()
            .flat_map(|(i, (t, _))| t.switches().iter().map(move |s| (s.dpid, i)))
            .collect();
        let Some((first, _)) = chains.first() else {
            return Err(RuntimeError::Deployment(DeploymentErrors::new(vec![
                flowfall_topology::DeploymentError::Empty,
            ])));
        };
        let of = &settings.openflow;
        let tls = of
            .tls
            .as_ref()
            .map(tls::server_config)
            .transpose()?
            .map(TlsAcceptor::from);
        let portal_cfg = match settings.portal.resolve(settings.api.token.as_deref()) {
            Ok(cfg) if settings.api.listen.is_some() => {
                portal::check(&cfg, first).map_err(RuntimeError::Portal)?;
                Some(cfg)
            }
            Ok(_) => None,
            Err(why) => {
                info!(%why, "web portal not served");
                None
            }
        };
        let several = chains.len() > 1;
        let mut cores = Vec::new();
        for (topology, source) in chains {
            let name = topology.chain().name.clone();
            let mut core = Controller::new(topology, (&settings.openflow).into())?;
            if settings.health.enabled {
                core.enable_health(std::time::Instant::now(), &settings.health.config)?;
            }
            cores.push((name, source, core));
        }
        let bind = |what, addr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| RuntimeError::Bind { what, addr, source })
        };
        let of_listener = bind("openflow", of.listen).await?;
        let openflow_addr = local_addr(&of_listener, of.listen);
        let token = settings.api.token.clone();
        let rest = match settings.api.listen {
            Some(addr) if token.is_some() || portal_cfg.is_some() => {
                if token.is_none() {
                    warn!(%addr, "REST API not served: no token (api.token, api.token_file or FLOWFALL_API_TOKEN); the port serves the portal only");
                }
                Some(bind("api", addr).await?)
            }
            Some(addr) => {
                warn!(%addr, "REST API not started: no token (api.token, api.token_file or FLOWFALL_API_TOKEN)");
                None
            }
            None => None,
        };
        let api_addr = rest.as_ref().map(|l| local_addr(l, of.listen));

        let cancel = CancellationToken::new();
        let mut slots = Vec::new();
        let mut inboxes = Vec::new();
        let mut loops = Vec::new();
        for (name, source, core) in cores {
            let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
            let (conn_tx, conn_rx) = mpsc::unbounded_channel();
            let (synced_tx, synced_rx) = watch::channel(0);
            slots.push(ChainSlot {
                name: name.clone(),
                source,
                ctl: ctl_tx,
                synced: synced_rx,
            });
            inboxes.push(conn_tx);
            let core_loop = CoreLoop {
                core,
                links: HashMap::new(),
                leaving: Vec::new(),
                outbound_limit: of.outbound_buffer,
                synced: synced_tx,
            };
            loops.push((name, core_loop, ctl_rx, conn_rx));
        }
        let routes = Arc::new(Routes::new(inboxes, owners));
        let fleet = Arc::new(Fleet {
            chains: slots,
            routes: Arc::clone(&routes),
            cancel: cancel.clone(),
            reloading: tokio::sync::Mutex::new(()),
        });
        let handle = fleet.handle(0).ok_or(RuntimeError::Stopped)?;
        // The API under its bearer token; the portal (first chain) merged after that layer,
        // outside it.
        let portal_on = portal_cfg.is_some();
        let router = match (token, portal_cfg) {
            (Some(t), Some(cfg)) => {
                Some(api::router(fleet.handles(), &t).merge(portal_router(&handle, cfg)?))
            }
            (Some(t), None) => Some(api::router(fleet.handles(), &t)),
            (None, Some(cfg)) => Some(portal_router(&handle, cfg)?),
            (None, None) => None,
        };
        let mut tasks = Vec::new();
        for (name, core_loop, ctl_rx, conn_rx) in loops {
            let cancel = cancel.clone();
            let run = core_loop.run(ctl_rx, conn_rx, cancel);
            tasks.push(tokio::spawn(async move {
                run.await;
                if several {
                    info!(chain = %name, "chain core stopped");
                }
            }));
        }
        let accept = Acceptor {
            listener: of_listener,
            tls,
            handshake_timeout: of.handshake_timeout,
            bounds: Bounds {
                inbound_queue: of.inbound_queue,
            },
            routes,
            next_id: AtomicU64::new(1),
        };
        tasks.push(tokio::spawn(accept.run(cancel.clone())));
        if let (Some(listener), Some(router)) = (rest, router) {
            if portal_on {
                info!("web portal on http://{}/", local_addr(&listener, of.listen));
            }
            let cancel = cancel.clone();
            tasks.push(tokio::spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(cancel.cancelled_owned())
                    .await;
                if let Err(e) = served {
                    warn!(error = %e, "REST API stopped");
                }
            }));
        }
        info!(%openflow_addr, api = ?api_addr, tls = of.tls.is_some(), chains = fleet.chains.len(), "controller started");
        Ok(Running {
            openflow_addr,
            api_addr,
            handle,
            tasks,
        })
    }
}

/// The portal's router over `handle`.
fn portal_router(
    handle: &ControllerHandle,
    cfg: flowfall_portal::PortalConfig,
) -> Result<axum::Router, RuntimeError> {
    portal::router(handle.clone(), cfg).map_err(RuntimeError::Portal)
}

fn local_addr(listener: &TcpListener, fallback: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(fallback)
}

impl Running {
    /// Serves until SIGINT or SIGTERM (then shuts down gracefully), reloading the topology
    /// file on SIGHUP (warm: only the difference is pushed; an invalid file is logged and the
    /// running configuration kept).
    pub async fn serve_signals(self) {
        tokio::spawn(signals(self.handle()));
        self.wait().await;
    }
}

/// Starts a controller and runs it until SIGINT or SIGTERM, reloading the topology file on
/// SIGHUP. The convenience entry point of the bundled binary.
pub async fn run(
    settings: Settings,
    topology: Topology,
    topology_path: Option<PathBuf>,
) -> Result<(), RuntimeError> {
    let mut rt = Runtime::new(settings, topology);
    if let Some(p) = topology_path {
        rt = rt.topology_path(p);
    }
    rt.start().await?.serve_signals().await;
    Ok(())
}

/// As [`run`], serving every chain of `deployment` (see [`Runtime::deployment`]); SIGHUP
/// re-reads every chain's file.
pub async fn run_deployment(
    settings: Settings,
    deployment: Deployment,
) -> Result<(), RuntimeError> {
    Runtime::deployment(settings, deployment)
        .start()
        .await?
        .serve_signals()
        .await;
    Ok(())
}

#[cfg(unix)]
async fn signals(handle: ControllerHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        warn!("cannot install signal handlers; stop with the API or by killing the process");
        return;
    };
    loop {
        tokio::select! {
            _ = hup.recv() => match handle.reload().await {
                Ok(generation) => info!(generation, "SIGHUP: topology reloaded"),
                Err(e) => warn!(error = %e, "SIGHUP: reload failed, running configuration kept"),
            },
            _ = term.recv() => break,
            _ = int.recv() => break,
            () = handle.fleet.cancel.cancelled() => return,
        }
    }
    info!("shutting down");
    handle.shutdown();
}

#[cfg(not(unix))]
async fn signals(handle: ControllerHandle) {
    tokio::select! {
        r = tokio::signal::ctrl_c() => if r.is_ok() { handle.shutdown() },
        () = handle.fleet.cancel.cancelled() => {}
    }
}

struct Acceptor {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    handshake_timeout: Duration,
    bounds: Bounds,
    routes: Arc<Routes>,
    next_id: AtomicU64,
}

impl Acceptor {
    async fn run(self, cancel: CancellationToken) {
        loop {
            let accepted = tokio::select! {
                () = cancel.cancelled() => return,
                a = self.listener.accept() => a,
            };
            match accepted {
                Ok((tcp, peer)) => {
                    let conn = ConnId(self.next_id.fetch_add(1, Ordering::Relaxed));
                    self.spawn(tcp, peer, conn, cancel.clone());
                }
                Err(e) => {
                    // E.g. EMFILE: back off instead of spinning.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn spawn(&self, tcp: TcpStream, peer: SocketAddr, conn: ConnId, cancel: CancellationToken) {
        if let Err(e) = tcp.set_nodelay(true) {
            debug!(%peer, error = %e, "cannot set TCP_NODELAY");
        }
        let core = Arc::clone(&self.routes);
        let bounds = self.bounds;
        let tls = self.tls.clone();
        let timeout = self.handshake_timeout;
        tokio::spawn(async move {
            let served = async {
                match tls {
                    None => connection::serve(tcp, conn, peer, bounds, core).await,
                    Some(acceptor) => {
                        match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                            Ok(Ok(stream)) => {
                                connection::serve(stream, conn, peer, bounds, core).await
                            }
                            Ok(Err(e)) => warn!(%peer, error = %e, "TLS handshake failed"),
                            Err(_) => warn!(%peer, "TLS handshake timed out"),
                        }
                    }
                }
            };
            tokio::select! {
                () = served => {}
                () = cancel.cancelled() => {}
            }
        });
    }
}

/// Most connection inputs the core handles in one turn before sending what they produced.
const MAX_TURN: usize = 256;

struct CoreLoop {
    core: Controller,
    links: HashMap<ConnId, Link>,
    /// Connections handed over to another chain's core this turn: their links are dropped
    /// (not closed) once this turn's output is sent.
    leaving: Vec<ConnId>,
    outbound_limit: usize,
    synced: watch::Sender<u64>,
}

impl CoreLoop {
    async fn run(
        mut self,
        mut ctl: mpsc::UnboundedReceiver<Ctl>,
        mut conns: mpsc::UnboundedReceiver<ConnInput>,
        cancel: CancellationToken,
    ) {
        loop {
            let deadline = self.core.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                Some(Ctl::Call(call)) = ctl.recv() => call(&mut self.core, Instant::now()),
                Some(input) = conns.recv() => self.conn_inputs(input, &mut conns),
                () = sleep => self.core.handle_timeout(Instant::now()),
            }
            self.dispatch();
            for conn in self.leaving.drain(..) {
                self.links.remove(&conn);
            }
        }
        for (conn, link) in self.links.drain() {
            self.core.handle(
                Instant::now(),
                Event::Disconnected {
                    conn,
                    reason: DisconnectReason::Shutdown,
                },
            );
            link.close();
        }
        // Drop whatever the core queued for connections that are gone.
        while self.core.poll_output().is_some() {}
        info!("controller core stopped");
    }

    /// One turn: `first` and whatever else the connections have queued already (at most
    /// [`MAX_TURN`] inputs), handed to the core as one batch so that the PACKET_INs of a
    /// turn become one model change and one sync.
    fn conn_inputs(&mut self, first: ConnInput, more: &mut mpsc::UnboundedReceiver<ConnInput>) {
        let mut events = Vec::new();
        self.conn_input(first, &mut events);
        while events.len() < MAX_TURN {
            let Ok(input) = more.try_recv() else {
                break;
            };
            self.conn_input(input, &mut events);
        }
        self.core.handle_batch(Instant::now(), events);
    }

    fn conn_input(&mut self, input: ConnInput, events: &mut Vec<Event>) {
        match input {
            ConnInput::Up { conn, peer, link } => {
                self.links.insert(conn, link);
                events.push(Event::Connected {
                    conn,
                    peer: peer.to_string(),
                });
            }
            ConnInput::Frame {
                conn,
                bytes,
                permit,
            } => {
                if self.links.contains_key(&conn) {
                    events.push(Event::Message {
                        conn,
                        bytes: bytes.to_vec(),
                    });
                }
                drop(permit);
            }
            ConnInput::Adopt {
                conn,
                peer,
                link,
                features,
                permit,
            } => {
                self.links.insert(conn, link);
                events.push(Event::Adopted {
                    conn,
                    peer: peer.to_string(),
                    features: features.to_vec(),
                });
                drop(permit);
            }
            ConnInput::HandedOver { conn } => {
                if self.links.contains_key(&conn) {
                    events.push(Event::HandedOver { conn });
                    self.leaving.push(conn);
                }
            }
            ConnInput::Down {
                conn,
                reason,
                detail,
            } => {
                if self.links.remove(&conn).is_some() {
                    info!(conn = conn.0, reason = reason.name(), %detail, "switch connection ended");
                    events.push(Event::Disconnected { conn, reason });
                }
            }
        }
    }

    /// Sends what the core produced: messages are encoded and batched per connection. Runs
    /// until the core has nothing left (dropping a stalled switch can produce more).
    fn dispatch(&mut self) {
        while self.core.has_output() {
            let mut batches: HashMap<ConnId, Vec<u8>> = HashMap::new();
            let mut order: Vec<ConnId> = Vec::new();
            while let Some(out) = self.core.poll_output() {
                match out {
                    Output::Send { conn, msg } => {
                        let buf = batches.entry(conn).or_insert_with(|| {
                            order.push(conn);
                            Vec::new()
                        });
                        if let Err(e) = msg.encode(buf) {
                            warn!(conn = conn.0, error = %e, "cannot encode a message; not sent");
                        }
                    }
                    Output::SendEncoded { conn, bytes } => match batches.entry(conn) {
                        std::collections::hash_map::Entry::Occupied(mut e) => {
                            e.get_mut().extend_from_slice(&bytes);
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            order.push(conn);
                            e.insert(bytes);
                        }
                    },
                    Output::Close { conn, reason } => {
                        if let Some(buf) = batches.remove(&conn) {
                            self.flush(conn, buf);
                        }
                        if let Some(link) = self.links.remove(&conn) {
                            debug!(conn = conn.0, reason = reason.name(), "closing");
                            link.close();
                        }
                    }
                    Output::Synced { generation } => {
                        self.synced.send_replace(generation);
                    }
                }
            }
            for conn in order {
                if let Some(buf) = batches.remove(&conn) {
                    self.flush(conn, buf);
                }
            }
        }
    }

    fn flush(&mut self, conn: ConnId, buf: Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        let Some(link) = self.links.get(&conn) else {
            return;
        };
        if !link.send(Bytes::from(buf), self.outbound_limit) {
            warn!(
                conn = conn.0,
                limit = self.outbound_limit,
                "switch does not read: outbound buffer full, disconnecting"
            );
            link.kill();
            self.links.remove(&conn);
            self.core.handle(
                Instant::now(),
                Event::Disconnected {
                    conn,
                    reason: DisconnectReason::Stall,
                },
            );
        }
    }
}
