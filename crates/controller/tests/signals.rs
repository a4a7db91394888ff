//! SIGHUP reloads the topology file (only the difference is pushed) and SIGTERM shuts the
//! controller down gracefully. A test binary of its own: the signals go to this process.

use std::time::Duration;

use flowfall_controller::runtime::Runtime;
use flowfall_controller::settings::Settings;
use flowfall_topology::Topology;

const LAB: &str = include_str!("../../../examples/configs/lab.toml");

fn signal_self(name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &std::process::id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test]
async fn sighup_reloads_and_sigterm_shuts_down() {
    let dir = std::env::temp_dir().join(format!("ff-ctrl-signals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("topology.toml");
    std::fs::write(&file, LAB).unwrap();
    let mut settings = Settings::default();
    settings.openflow.listen = "127.0.0.1:0".parse().unwrap();
    settings.api.listen = None;
    let running = Runtime::new(settings, Topology::from_file(&file).unwrap())
        .topology_path(&file)
        .start()
        .await
        .unwrap();
    let handle = running.handle();
    let served = tokio::spawn(running.serve_signals());
    // Let the signal handlers install before any signal is sent.
    tokio::time::sleep(Duration::from_millis(200)).await;

    std::fs::write(&file, LAB.replace("name = \"delta\"", "name = \"echo\"")).unwrap();
    signal_self("HUP");
    let mut reloaded = false;
    for _ in 0..100 {
        let names = handle
            .call(|c, _| {
                c.customer_views()
                    .into_iter()
                    .map(|v| v.name)
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap();
        if names.contains(&"echo".to_string()) {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reloaded, "SIGHUP did not reload the topology");
    assert_eq!(handle.call(|c, _| c.generation()).await, Some(1));

    signal_self("TERM");
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("graceful shutdown after SIGTERM")
        .unwrap();
    assert!(handle.is_shutting_down());
    assert!(handle.call(|c, _| c.generation()).await.is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}
