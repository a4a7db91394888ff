//! Several chains served by one controller ([`Runtime::deployment`]): emulated switches
//! (`flowfall-loadgen`'s, which keep a flow table from the FLOW_MODs) of two chains and one
//! switch of no chain connect over TCP; every connection starts at the first chain's core and
//! is handed over by its FEATURES_REPLY. Each switch must end up holding exactly its own
//! chain's compiled table; the switch of no chain stays unmanaged with an empty table. Then
//! the API per chain, the labelled metrics and the reload rules.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowfall_compile::{Compilation, LiveVms};
use flowfall_controller::runtime::{ControllerHandle, Running, Runtime};
use flowfall_controller::settings::Settings;
use flowfall_loadgen::flow_table::FlowKey;
use flowfall_loadgen::switch::{EmulatedSwitch, SwitchSpec};
use flowfall_loadgen::workload::flowfall_plan;
use flowfall_ofp::Match;
use flowfall_ofp::instruction::Instruction;
use flowfall_ofp::multipart::FlowStatsRequest;
use flowfall_topology::{Deployment, Topology};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LAB: &str = include_str!("../../../examples/configs/lab.toml");
const TOKEN: &str = "multichain-token";
const WAIT: Duration = Duration::from_secs(20);

/// Chain "a": the lab topology on dpids 1..3. Chain "b": the same shape on dpids 0x11..0x13
/// with other customer addresses, so its tables differ.
fn chain_a() -> String {
    LAB.replace("name = \"lab\"", "name = \"a\"")
}

fn chain_b() -> String {
    LAB.replace("name = \"lab\"", "name = \"b\"")
        .replace("00:00:00:00:00:00:00:0", "00:00:00:00:00:00:00:1")
        .replace("\"10.0.", "\"10.9.")
}

struct Files {
    dir: PathBuf,
    a: PathBuf,
    b: PathBuf,
}

impl Files {
    fn new(tag: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("flowfall-mc-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.toml"), dir.join("b.toml"));
        std::fs::write(&a, chain_a()).unwrap();
        std::fs::write(&b, chain_b()).unwrap();
        Files { dir, a, b }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An emulated switch connected to `of`, driven by its own task; the state is shared.
async fn emulated(of: SocketAddr, spec: SwitchSpec) -> Arc<Mutex<EmulatedSwitch>> {
    let sw = Arc::new(Mutex::new(EmulatedSwitch::new(spec)));
    let stream = TcpStream::connect(of).await.unwrap();
    let state = Arc::clone(&sw);
    tokio::spawn(async move {
        let (mut rd, mut wr) = stream.into_split();
        let hello = state.lock().unwrap().hello().to_vec().unwrap();
        if wr.write_all(&hello).await.is_err() {
            return;
        }
        loop {
            let mut msg = vec![0u8; 8];
            if rd.read_exact(&mut msg).await.is_err() {
                return;
            }
            let len = usize::from(u16::from_be_bytes([msg[2], msg[3]]));
            msg.resize(len.max(8), 0);
            if rd.read_exact(&mut msg[8..]).await.is_err() {
                return;
            }
            let mut out = Vec::new();
            let handled = state.lock().unwrap().handle(Instant::now(), &msg, &mut out);
            if handled.is_err() || (!out.is_empty() && wr.write_all(&out).await.is_err()) {
                return;
            }
        }
    });
    sw
}

/// Every junction of `handle`'s chain connected, reconciled and in sync.
async fn wait_programmed(handle: &ControllerHandle, junctions: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let views = handle.call(|c, _| c.switch_views()).await.unwrap();
        let ready = views
            .iter()
            .filter(|v| v.name.is_some() && v.state == "ready" && v.in_sync)
            .count();
        if ready == junctions {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "chain {} not programmed: {views:?}",
            handle.chain_name()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The keys of the compiled table of `topology`'s junction with datapath `dpid`.
fn compiled_keys(topology: &Topology, dpid: u64) -> BTreeSet<String> {
    let c = Compilation::new(Arc::new(topology.clone()), LiveVms::all(topology), 1).unwrap();
    c.tables()
        .switches
        .iter()
        .filter(|t| t.dpid == dpid)
        .flat_map(|t| t.flow_mods())
        .map(|fm| entry_key(fm.table_id, fm.priority, &fm.match_, &fm.instructions))
        .collect()
}

/// An entry as compared: table, priority, match and instructions (not the cookie, which
/// carries the generation).
fn entry_key(table: u8, priority: u16, m: &Match, instructions: &[Instruction]) -> String {
    format!("{:?} {instructions:?}", FlowKey::new(table, priority, m))
}

/// The `error` of an API answer.
fn error_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["error"].as_str().unwrap_or_default().to_string()
}

/// The entries an emulated switch holds.
fn held_keys(sw: &Mutex<EmulatedSwitch>) -> BTreeSet<String> {
    let all = FlowStatsRequest::default();
    let sw = sw.lock().unwrap();
    sw.table()
        .stats(Instant::now(), &all)
        .iter()
        .map(|s| entry_key(s.table_id, s.priority, &s.match_, &s.instructions))
        .collect()
}

/// `method path` with the API token and no body: (status, body).
async fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    support::http(addr, method, path, Some(TOKEN), None).await
}

fn settings() -> Settings {
    let mut s = Settings::default();
    s.openflow.listen = "127.0.0.1:0".parse().unwrap();
    s.api.listen = Some("127.0.0.1:0".parse().unwrap());
    s.api.token = Some(TOKEN.into());
    s.portal = flowfall_controller::settings::PortalSettings::Off;
    // Probing (and LLDP on the bypass links) adds its own entries to the compiled tables;
    // this test compares the switches' tables with the compiler's.
    s.health.enabled = false;
    s
}

/// A controller serving chains a and b of `files`: it, a handle per chain, its OpenFlow
/// address.
async fn start(files: &Files) -> (Running, Vec<ControllerHandle>, SocketAddr) {
    let deployment = Deployment::from_files(&[&files.a, &files.b]).unwrap();
    let running = Runtime::deployment(settings(), deployment)
        .start()
        .await
        .unwrap();
    let (chains, of) = (running.chains(), running.openflow_addr());
    (running, chains, of)
}

fn plans(path: &Path) -> Vec<SwitchSpec> {
    let t = Topology::from_file(path).unwrap();
    flowfall_plan(&t, false)
        .unwrap()
        .into_iter()
        .map(|p| p.spec)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_switch_gets_its_own_chains_table_and_a_stranger_stays_unmanaged() {
    let files = Files::new("tables");
    let (running, chains, of) = start(&files).await;
    assert_eq!(
        chains.iter().map(|h| h.chain_name()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    // Chain b's switches first, interleaved with chain a's and a stranger's.
    let (specs_a, specs_b) = (plans(&files.a), plans(&files.b));
    let mut switches = Vec::new();
    for (sa, sb) in specs_a.iter().zip(&specs_b) {
        switches.push((sb.dpid, emulated(of, sb.clone()).await));
        switches.push((sa.dpid, emulated(of, sa.clone()).await));
    }
    let stranger = emulated(of, SwitchSpec::new(0x99, [1, 2])).await;
    wait_programmed(&chains[0], 3).await;
    wait_programmed(&chains[1], 3).await;

    let (topo_a, topo_b) = (
        Topology::from_file(&files.a).unwrap(),
        Topology::from_file(&files.b).unwrap(),
    );
    for (dpid, sw) in &switches {
        let (own, other) = if *dpid < 0x10 {
            (&topo_a, &topo_b)
        } else {
            (&topo_b, &topo_a)
        };
        let expected = compiled_keys(own, *dpid);
        assert!(expected.len() > 10, "{dpid:#x}: {}", expected.len());
        assert_eq!(held_keys(sw), expected, "datapath {dpid:#x}");
        // The other chain's junction at the same position holds other entries.
        let twin = if *dpid < 0x10 {
            dpid + 0x10
        } else {
            dpid - 0x10
        };
        assert_ne!(compiled_keys(other, twin), expected);
    }
    assert!(held_keys(&stranger).is_empty());
    let lobby = chains[0].call(|c, _| c.switch_views()).await.unwrap();
    assert!(
        lobby.iter().any(|v| v.name.is_none()
            && v.state == "unmanaged"
            && v.dpid.as_deref() == Some("00:00:00:00:00:00:00:99")),
        "{lobby:?}"
    );
    // Each chain saw only its own switches (plus the lobby's stranger).
    let b_views = chains[1].call(|c, _| c.switch_views()).await.unwrap();
    assert_eq!(b_views.len(), 3, "{b_views:?}");
    assert_eq!(lobby.len(), 4, "{lobby:?}");
    // Hand-overs are not disconnections.
    let a_metrics = chains[0].call(|c, _| c.metrics().clone()).await.unwrap();
    assert!(a_metrics.disconnects.is_empty(), "{a_metrics:?}");
    assert_eq!(a_metrics.switches_connected, 3);

    // The API: the chains, each chain's routes, `/api/...` meaning the first.
    let api = running.api_addr().unwrap();
    let (status, body) = http(api, "GET", "/api/chains").await;
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list[1]["name"], "b");
    assert_eq!(list[1]["switches"], 3);
    assert_eq!(list[1]["connected"], 3);
    let (status, body) = http(api, "GET", "/api/chains/b/switches").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("00:00:00:00:00:00:00:11"), "{body}");
    assert!(!body.contains("00:00:00:00:00:00:00:99"), "{body}");
    let (_, body) = http(api, "GET", "/api/switches").await;
    assert!(body.contains("00:00:00:00:00:00:00:01") && body.contains("00:00:00:00:00:00:00:99"));
    let (status, body) = http(api, "GET", "/api/chains/b/customers/alpha/path").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("10.9.1.0/24"), "{body}");
    assert_eq!(http(api, "GET", "/api/chains/zulu/switches").await.0, 404);
    let (status, metrics) = http(api, "GET", "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("flowfall_switches_connected{chain=\"a\"} 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("flowfall_switches_connected{chain=\"b\"} 3\n"),
        "{metrics}"
    );
    assert_eq!(
        metrics
            .matches("# TYPE flowfall_switches_connected ")
            .count(),
        1
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_rereads_every_file_and_refuses_to_move_a_datapath() {
    let files = Files::new("reload");
    let (running, chains, of) = start(&files).await;
    let mut switches = Vec::new();
    for spec in plans(&files.a).into_iter().chain(plans(&files.b)) {
        switches.push((spec.dpid, emulated(of, spec.clone()).await));
    }
    // A stranger now that a reload will give to chain b.
    let newcomer = emulated(of, SwitchSpec::new(0x14, [1, 2])).await;
    wait_programmed(&chains[0], 3).await;
    wait_programmed(&chains[1], 3).await;
    let api = running.api_addr().unwrap();

    // Moving datapath 3 from chain a to chain b is refused; nothing changes.
    std::fs::write(
        &files.b,
        chain_b().replace("00:00:00:00:00:00:00:13", "00:00:00:00:00:00:00:03"),
    )
    .unwrap();
    std::fs::write(
        &files.a,
        chain_a().replace("00:00:00:00:00:00:00:03", "00:00:00:00:00:00:00:23"),
    )
    .unwrap();
    let (status, body) = http(api, "POST", "/api/reload").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        error_of(&body).contains(
            "cannot move datapath 00:00:00:00:00:00:00:03 from chain \"a\" to chain \"b\""
        ),
        "{body}"
    );
    // Two chains claiming one datapath: the validation error names both files.
    std::fs::write(&files.a, chain_a()).unwrap();
    let (status, body) = http(api, "POST", "/api/reload").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("a.toml") && body.contains("b.toml"), "{body}");
    // Renaming a chain is refused too.
    std::fs::write(&files.b, chain_b().replace("name = \"b\"", "name = \"c\"")).unwrap();
    let (status, body) = http(api, "POST", "/api/reload").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("cannot add, remove, rename or reorder chains"),
        "{body}"
    );

    // A valid reload: chain b's last junction moves to datapath 0x14, whose switch was
    // waiting unmanaged at the lobby; chain a changes a customer's services. Both chains are
    // reloaded and programmed.
    std::fs::write(
        &files.b,
        chain_b().replace("00:00:00:00:00:00:00:13", "00:00:00:00:00:00:00:14"),
    )
    .unwrap();
    let a_services =
        chain_a().replace("services = [\"firewall\", \"ids\"]", "services = [\"ids\"]");
    std::fs::write(&files.a, a_services).unwrap();
    let (status, body) = http(api, "POST", "/api/reload").await;
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["result"]["chains"][1]["chain"], "b");
    assert_eq!(answer["result"]["chains"][1]["applied"], true);
    // The newcomer was released by the lobby: it must reconnect to be handed over. The
    // emulated switch does not reconnect by itself, so connect it again (as a switch does).
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let views = chains[0].call(|c, _| c.switch_views()).await.unwrap();
        if !views
            .iter()
            .any(|v| v.dpid.as_deref() == Some("00:00:00:00:00:00:00:14"))
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{views:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let a_metrics = chains[0].call(|c, _| c.metrics().clone()).await.unwrap();
    assert_eq!(
        a_metrics
            .disconnects
            .get(&flowfall_controller::metrics::DisconnectReason::Moved),
        Some(&1)
    );
    drop(newcomer);
    let spec_14 = plans(&files.b)
        .into_iter()
        .find(|s| s.dpid == 0x14)
        .unwrap();
    let back = emulated(of, spec_14).await;
    wait_programmed(&chains[1], 3).await;
    let topo_b = Topology::from_file(&files.b).unwrap();
    assert_eq!(held_keys(&back), compiled_keys(&topo_b, 0x14));
    running.shutdown().await;
}
