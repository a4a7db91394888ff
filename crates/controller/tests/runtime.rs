//! The tokio runtime in-process on ephemeral ports: fake switches over TCP and TLS (with client
//! certificates), the REST API with its bearer token, metrics, reload and shutdown.

mod support;

use std::sync::Arc;
use std::time::Duration;

use flowfall_controller::runtime::{ControllerHandle, Running, Runtime};
use flowfall_controller::settings::{Settings, TlsSettings};
use flowfall_ofp::features::SwitchFeatures;
use flowfall_ofp::fixed_str::FixedStr;
use flowfall_ofp::hello::Hello;
use flowfall_ofp::multipart::{MultipartReply, MultipartReplyBody, MultipartRequestBody};
use flowfall_ofp::port::Port;
use flowfall_ofp::tokio_codec::OfCodec;
use flowfall_ofp::{Message, OfMessage};
use flowfall_topology::Topology;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::codec::Framed;

use support::http;

const LAB: &str = include_str!("../../../examples/configs/lab.toml");
const TOKEN: &str = "test-token-123";
const WAIT: Duration = Duration::from_secs(10);

fn settings() -> Settings {
    let mut s = Settings::default();
    s.openflow.listen = "127.0.0.1:0".parse().unwrap();
    s.api.listen = Some("127.0.0.1:0".parse().unwrap());
    s.api.token = Some(TOKEN.into());
    s
}

async fn start(settings: Settings) -> Running {
    let topo = Topology::from_toml_str(LAB).unwrap();
    Runtime::new(settings, topo).start().await.unwrap()
}

/// A fake switch over any stream: answers the handshake, FLOW_STATS (empty), barriers and
/// echoes, and reports every FLOW_MOD it gets.
async fn fake_switch<S>(stream: S, dpid: u64, ports: Vec<u32>, mods: mpsc::UnboundedSender<u64>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut wire = Framed::new(stream, OfCodec::new());
    let hello = OfMessage {
        xid: 1,
        msg: Message::Hello(Hello::default()),
    };
    if wire.send(hello).await.is_err() {
        return;
    }
    while let Some(Ok(m)) = wire.next().await {
        let reply = match m.msg {
            Message::FeaturesRequest => Some(Message::FeaturesReply(SwitchFeatures {
                datapath_id: dpid,
                n_buffers: 0,
                n_tables: 254,
                auxiliary_id: 0,
                capabilities: 0,
                reserved: 0,
            })),
            Message::MultipartRequest(r) => Some(Message::MultipartReply(MultipartReply {
                flags: 0,
                body: match r.body {
                    MultipartRequestBody::PortDesc => MultipartReplyBody::PortDesc(
                        ports
                            .iter()
                            .map(|&p| Port {
                                port_no: p,
                                name: FixedStr::truncating(&format!("p{p}")),
                                ..Port::default()
                            })
                            .collect(),
                    ),
                    _ => MultipartReplyBody::Flow(Vec::new()),
                },
            })),
            Message::FlowMod(fm) => {
                let _ = mods.send(fm.cookie);
                None
            }
            Message::BarrierRequest => Some(Message::BarrierReply),
            Message::EchoRequest(d) => Some(Message::EchoReply(d)),
            _ => None,
        };
        if let Some(msg) = reply {
            if wire.send(OfMessage { xid: m.xid, msg }).await.is_err() {
                return;
            }
        }
    }
}

fn lab_ports(junction: usize) -> Vec<u32> {
    let t = Topology::from_toml_str(LAB).unwrap();
    t.ports(junction).iter().map(|&(p, _)| p).collect()
}

async fn wait_ready(handle: &ControllerHandle, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let views = handle.call(|c, _| c.switch_views()).await.unwrap();
        if views
            .iter()
            .filter(|v| v.state == "ready" && v.in_sync)
            .count()
            >= n
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "switches not ready: {views:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn switches_over_tcp_are_programmed_and_the_api_reports_and_changes_them() {
    let running = start(settings()).await;
    let of = running.openflow_addr();
    let api = running.api_addr().unwrap();
    let handle = running.handle();
    let (tx, mut rx) = mpsc::unbounded_channel();
    for j in 0..3 {
        let stream = TcpStream::connect(of).await.unwrap();
        tokio::spawn(fake_switch(stream, j as u64 + 1, lab_ports(j), tx.clone()));
    }
    wait_ready(&handle, 3).await;
    let mut installed = 0;
    while rx.try_recv().is_ok() {
        installed += 1;
    }
    assert!(installed > 20, "{installed}");

    // Authentication.
    assert_eq!(http(api, "GET", "/api/switches", None, None).await.0, 401);
    assert_eq!(
        http(api, "GET", "/api/switches", Some("wrong"), None)
            .await
            .0,
        401
    );
    let (status, body) = http(api, "GET", "/api/switches", Some(TOKEN), None).await;
    assert_eq!(status, 200, "{body}");
    let switches: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(switches.as_array().unwrap().len(), 3);
    assert_eq!(switches[0]["name"], "j0");
    assert_eq!(switches[0]["state"], "ready");

    let (status, body) = http(api, "GET", "/api/customers", Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"charlie\""), "{body}");
    let (status, body) = http(api, "GET", "/api/customers/charlie/path", Some(TOKEN), None).await;
    assert_eq!(status, 200);
    let path: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(path["prefixes"][0]["hops"][0]["via"], "vm");
    assert_eq!(path["prefixes"][0]["hops"][1]["via"], "vm");
    assert_eq!(
        http(api, "GET", "/api/customers/zulu", Some(TOKEN), None)
            .await
            .0,
        404
    );
    let (status, body) = http(api, "GET", "/api/switches/j1/flows", Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert!(body.contains("actions="), "{body}");

    // A runtime service change, confirmed by the switches' barriers.
    let (status, body) = http(
        api,
        "PUT",
        "/api/customers/bravo/services",
        Some(TOKEN),
        Some(r#"["ids"]"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["applied"], true);
    assert_eq!(v["result"]["services"][0], "ids");
    assert!(rx.try_recv().is_ok(), "the change sent flow mods");
    let (status, body) = http(
        api,
        "PUT",
        "/api/customers/bravo/services",
        Some(TOKEN),
        Some(r#"{"services": ["dpi"]}"#),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = http(
        api,
        "PUT",
        "/api/vms/ids-1/live",
        Some(TOKEN),
        Some("false"),
    )
    .await;
    assert_eq!(status, 200);
    let (_, body) = http(api, "GET", "/api/vms", Some(TOKEN), None).await;
    assert!(
        body.contains(r#""name":"ids-1","layer":"ids","hypervisor":"ids-hv1","live":false"#),
        "{body}"
    );

    let (status, body) = http(api, "GET", "/metrics", Some(TOKEN), None).await;
    assert_eq!(status, 200);
    for needle in [
        "flowfall_switches_connected 3\n",
        "flowfall_flows_installed{switch=\"j0\"}",
        "flowfall_packet_ins_total 0\n",
        "flowfall_reconciles_total 3\n",
        "flowfall_update_latency_seconds_count",
        "flowfall_errors_total{kind=\"switch\"} 0\n",
    ] {
        assert!(body.contains(needle), "{needle} missing in\n{body}");
    }
    assert_eq!(http(api, "GET", "/metrics", None, None).await.0, 401);
    running.shutdown().await;
    assert!(
        TcpStream::connect(of).await.is_err(),
        "listener closed after shutdown"
    );
}

#[tokio::test]
async fn the_health_endpoints_answer_and_balance_needs_health() {
    let running = start(settings()).await;
    let of = running.openflow_addr();
    let api = running.api_addr().unwrap();
    let handle = running.handle();
    let (tx, _rx) = mpsc::unbounded_channel();
    for j in 0..3 {
        let stream = TcpStream::connect(of).await.unwrap();
        tokio::spawn(fake_switch(stream, j as u64 + 1, lab_ports(j), tx.clone()));
    }
    wait_ready(&handle, 3).await;
    let (status, body) = http(api, "GET", "/api/layers", Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(
            r#"{"layer":"firewall","live":3,"total":3,"when_empty":"fail-closed","status":"ok"}"#
        ),
        "{body}"
    );
    for (path, want) in [("/api/pins", "[]"), ("/api/alarms", "[]")] {
        assert_eq!(
            http(api, "GET", path, Some(TOKEN), None).await,
            (200, want.to_string()),
            "{path}"
        );
    }
    let (status, body) = http(api, "GET", "/api/links", Some(TOKEN), None).await;
    assert!(status == 200 && body.starts_with('['), "{status} {body}");
    let (status, body) = http(api, "GET", "/api/health", Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#""enabled":true"#) && body.contains(r#""failovers":0"#),
        "{body}"
    );
    let (status, body) = http(api, "GET", "/api/balance", Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""enabled":false"#), "{body}");
    assert_eq!(http(api, "GET", "/api/alarms", None, None).await.0, 401);
    running.shutdown().await;

    let mut off = settings();
    off.health.enabled = false;
    let running = start(off).await;
    let api = running.api_addr().unwrap();
    let (status, body) = http(api, "GET", "/api/balance", Some(TOKEN), None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        http(api, "GET", "/api/links", Some(TOKEN), None).await,
        (200, "[]".to_string())
    );
    running.shutdown().await;
}

#[tokio::test]
async fn reload_pushes_the_difference_and_keeps_a_broken_file_out() {
    let dir = std::env::temp_dir().join(format!("ff-ctrl-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("topology.toml");
    std::fs::write(&file, LAB).unwrap();
    let topo = Topology::from_file(&file).unwrap();
    let running = Runtime::new(settings(), topo)
        .topology_path(&file)
        .start()
        .await
        .unwrap();
    let handle = running.handle();
    let (tx, mut rx) = mpsc::unbounded_channel();
    for j in 0..3 {
        let stream = TcpStream::connect(running.openflow_addr()).await.unwrap();
        tokio::spawn(fake_switch(stream, j as u64 + 1, lab_ports(j), tx.clone()));
    }
    wait_ready(&handle, 3).await;
    while rx.try_recv().is_ok() {}
    std::fs::write(
        &file,
        LAB.replace(
            "ipv4 = [\"10.0.4.0/24\", \"10.0.44.5\"]",
            "ipv4 = [\"10.0.4.0/24\"]",
        ),
    )
    .unwrap();
    let generation = handle.reload().await.unwrap();
    assert!(handle.wait_synced(generation, WAIT).await);
    let mut changed = 0;
    while rx.try_recv().is_ok() {
        changed += 1;
    }
    // 10.0.44.5 had an upstream and a downstream entry on each of 3 junctions.
    assert_eq!(changed, 6);
    std::fs::write(&file, "[chain]\nmode = \"sideways\"\n").unwrap();
    let err = handle.reload().await.unwrap_err();
    assert!(err.to_string().contains("mode"), "{err}");
    let customers = handle.call(|c, _| c.customer_views().len()).await.unwrap();
    assert_eq!(customers, 4);
    running.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

struct Pki {
    dir: std::path::PathBuf,
    ca: std::path::PathBuf,
}

fn write_pki(name: &str) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
    let dir = std::env::temp_dir().join(format!("ff-ctrl-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    for (who, eku) in [
        ("controller", ExtendedKeyUsagePurpose::ServerAuth),
        ("switch", ExtendedKeyUsagePurpose::ClientAuth),
    ] {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.extended_key_usages = vec![eku];
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        std::fs::write(dir.join(format!("{who}.pem")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{who}.key")), key.serialize_pem()).unwrap();
    }
    Pki {
        ca: dir.join("ca.pem"),
        dir,
    }
}

fn client_config(pki: &Pki, with_cert: bool) -> Arc<rustls::ClientConfig> {
    use flowfall_controller::runtime::tls::{load_certs, load_key};
    let mut roots = rustls::RootCertStore::empty();
    for c in load_certs(&pki.ca).unwrap() {
        roots.add(c).unwrap();
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    Arc::new(if with_cert {
        b.with_client_auth_cert(
            load_certs(&pki.dir.join("switch.pem")).unwrap(),
            load_key(&pki.dir.join("switch.key")).unwrap(),
        )
        .unwrap()
    } else {
        b.with_no_client_auth()
    })
}

#[tokio::test]
async fn tls_requires_a_switch_certificate_from_the_configured_ca() {
    let pki = write_pki("ok");
    let mut s = settings();
    s.openflow.tls = Some(TlsSettings {
        cert: pki.dir.join("controller.pem"),
        key: pki.dir.join("controller.key"),
        client_ca: pki.ca.clone(),
    });
    let running = start(s).await;
    let of = running.openflow_addr();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();

    // With a certificate from the CA: a full handshake and programming.
    let tcp = TcpStream::connect(of).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(client_config(&pki, true))
        .connect(name.clone(), tcp)
        .await
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(fake_switch(tls, 1, lab_ports(0), tx));
    wait_ready(&running.handle(), 1).await;
    assert!(rx.recv().await.is_some());

    // Without one: the controller ends the connection before any OpenFlow.
    let tcp = TcpStream::connect(of).await.unwrap();
    let refused = async {
        let mut tls = tokio_rustls::TlsConnector::from(client_config(&pki, false))
            .connect(name, tcp)
            .await?;
        // TLS 1.3 reports the missing certificate on the first read.
        let mut buf = [0u8; 8];
        tls.read_exact(&mut buf).await.map(|_| ())
    };
    assert!(tokio::time::timeout(WAIT, refused).await.unwrap().is_err());
    let views = running
        .handle()
        .call(|c, _| c.switch_views())
        .await
        .unwrap();
    assert_eq!(views.iter().filter(|v| v.connected).count(), 1);
    running.shutdown().await;
    std::fs::remove_dir_all(&pki.dir).unwrap();
}

#[tokio::test]
async fn the_api_is_off_without_a_token_and_bad_tls_files_are_named() {
    let mut s = settings();
    s.api.token = None;
    let running = start(s).await;
    assert!(running.api_addr().is_none());
    running.shutdown().await;

    let mut s = settings();
    s.openflow.tls = Some(TlsSettings {
        cert: "/nonexistent/c.pem".into(),
        key: "/nonexistent/k.pem".into(),
        client_ca: "/nonexistent/ca.pem".into(),
    });
    let topo = Topology::from_toml_str(LAB).unwrap();
    let err = Runtime::new(s, topo).start().await.unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}
