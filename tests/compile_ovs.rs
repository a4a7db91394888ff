//! The compiler's `ovs-ofctl` output against real Open vSwitch (issue "done when").
//!
//! For `examples/configs/lab.toml` and the ShowNet 2015 layout (`shownet2015.toml` with its
//! VLAN scope removed, as the lab builds one bridge per junction, and its 203.0.113.64/26 moved
//! out of the lab router's network), this brings up the lab
//! (tests/support/lab.rs: a private OVS, userspace-datapath bridges with the config's port
//! numbers pinned), loads each junction's compiled table with `ovs-ofctl add-flows`, checks
//! `dump-flows` holds every entry, then walks every customer address through the pipeline
//! simulator in both directions and, at every junction the simulated packet crosses, asks
//! `ovs-appctl ofproto/trace` the same question: the entry matched (by cookie), the output port
//! and the rewritten `eth_dst` must agree. Spoofed sources and wrong ToS values must be dropped
//! by both at J0.
//!
//! Without root or OVS the tests print a note and pass; with `CI=true` they fail instead.

mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowfall_compile::sim::packet::Network;
use flowfall_compile::sim::trace::sample_host;
use flowfall_compile::sim::{Fabric, Outcome, Packet, Step, Tracer};
use flowfall_compile::{AddressId, Compilation, LiveVms};
use flowfall_topology::Topology;
use support::lab::{Lab, repo_path};

/// What `ofproto/trace` says one bridge does with a packet.
#[derive(Debug, PartialEq, Eq)]
struct OvsHop {
    /// Cookie of the entry matched (`None`: no entry matched).
    cookie: Option<u64>,
    /// `output:N` actions, in order.
    outputs: Vec<u32>,
    /// The last `set_field:MAC->eth_dst`.
    eth_dst: Option<String>,
}

/// The flow description `ofproto/trace` takes for `p`.
fn flow_text(p: &Packet) -> String {
    let mut s = format!(
        "in_port={},dl_src={},dl_dst={}",
        p.in_port, p.eth_src, p.eth_dst
    );
    if let Some(tag) = p.vlan {
        s.push_str(&format!(",dl_vlan={}", tag.vid));
    }
    let tos = p.tos().unwrap_or(0);
    match p.network {
        Network::Ipv4 { src, dst, .. } => {
            s.push_str(&format!(",udp,nw_src={src},nw_dst={dst}"));
        }
        Network::Ipv6 { src, dst, .. } => {
            s.push_str(&format!(",udp6,ipv6_src={src},ipv6_dst={dst}"));
        }
        Network::Other { eth_type } => {
            s.push_str(&format!(",dl_type={eth_type:#06x}"));
            return s;
        }
    }
    s.push_str(&format!(
        ",nw_tos={},nw_ecn={},udp_src=40000,udp_dst=53",
        tos & 0xfc,
        tos & 3
    ));
    s
}

/// The section of `trace` for bridge `bridge` (the first bridge the packet enters).
fn parse_bridge(trace: &str, bridge: &str) -> Result<OvsHop, String> {
    let header = format!("bridge(\"{bridge}\")");
    let mut lines = trace.lines().skip_while(|l| l.trim() != header).skip(2);
    let mut hop = OvsHop {
        cookie: None,
        outputs: Vec::new(),
        eth_dst: None,
    };
    for line in lines.by_ref() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("bridge(") || line.starts_with("Final flow") {
            break;
        }
        if let Some((_, cookie)) = line.split_once(", cookie 0x") {
            let hex = cookie
                .split(|c: char| !c.is_ascii_hexdigit())
                .next()
                .unwrap_or("");
            hop.cookie =
                Some(u64::from_str_radix(hex, 16).map_err(|e| format!("cookie in {line:?}: {e}"))?);
        } else if let Some(port) = line.strip_prefix("output:") {
            hop.outputs
                .push(port.parse().map_err(|e| format!("port in {line:?}: {e}"))?);
        } else if let Some(rest) = line.strip_prefix("set_field:")
            && let Some(mac) = rest.strip_suffix("->eth_dst")
        {
            hop.eth_dst = Some(mac.to_owned());
        }
    }
    if trace.lines().all(|l| l.trim() != header) {
        return Err(format!("no section for {bridge} in:\n{trace}"));
    }
    Ok(hop)
}

/// Checks one simulated junction crossing against `ofproto/trace`.
fn check_step(lab: &Lab, topology: &Topology, step: &Step) {
    let switch = topology
        .switch(step.switch)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let bridge = lab
        .switch(&switch)
        .map(|s| s.bridge.clone())
        .unwrap_or_default();
    let flow = flow_text(&step.packet);
    let text = lab
        .trace(&switch, &flow)
        .unwrap_or_else(|e| panic!("ofproto/trace {switch} {flow}: {e}"));
    let ovs = parse_bridge(&text, &bridge).unwrap_or_else(|e| panic!("{e}"));
    let sim_cookie = step.hits.last().map(|h| h.cookie.0);
    let sim_outputs: Vec<u32> = step.output.iter().map(|o| o.port).collect();
    assert_eq!(
        ovs.cookie, sim_cookie,
        "{switch} {flow}: matched entry\n{text}"
    );
    assert_eq!(ovs.outputs, sim_outputs, "{switch} {flow}: output\n{text}");
    if let Some(out) = &step.output {
        let eth_dst = ovs
            .eth_dst
            .unwrap_or_else(|| step.packet.eth_dst.to_string());
        assert_eq!(
            eth_dst,
            out.packet.eth_dst.to_string(),
            "{switch} {flow}: eth_dst\n{text}"
        );
    }
}

/// Brings up the lab for `config`, loads the compiled tables and compares every hop of every
/// customer address, both directions, plus spoofed packets, with Open vSwitch.
fn compare_with_ovs(config: &Path) {
    let Some(lab) = Lab::up_or_skip(config, None) else {
        return;
    };
    let topology = Arc::new(
        Topology::from_file(config).unwrap_or_else(|e| panic!("{}: {e}", config.display())),
    );
    let live = LiveVms::all(&topology);
    let c = Compilation::new(Arc::clone(&topology), live, 1).unwrap_or_else(|e| panic!("{e}"));
    let tables = c.tables();
    for t in &tables.switches {
        let text = t.to_ofctl().unwrap_or_else(|e| panic!("{e}"));
        lab.add_flow_text(&t.name, &text)
            .unwrap_or_else(|e| panic!("add-flows {}: {e}", t.name));
        let held = lab.flows(&t.name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            held.len(),
            t.entries.len(),
            "dump-flows {} after add-flows",
            t.name
        );
    }
    let fabric = Fabric::from_tables(&tables).unwrap_or_else(|e| panic!("{e}"));
    let tracer = Tracer::new(&topology, &fabric, None);
    let remote: IpAddr = lab
        .info()
        .router
        .address
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let n = topology.layers().len();
    let mut hops = 0;
    for cust in topology.customers() {
        let tos = cust.tos.unwrap_or(0);
        for i in c.addresses_of(cust.index) {
            let a = c
                .address(AddressId(i))
                .unwrap_or_else(|| panic!("address {i}"));
            let host = sample_host(a.prefix);
            let far = if host.is_ipv6() {
                flowfall_compile::sim::trace::remote_host(true)
            } else {
                remote
            };
            let up = tracer
                .customer_packet(cust.index, host, far, tos)
                .and_then(|p| tracer.run(0, p))
                .unwrap_or_else(|e| panic!("{e}"));
            let down = tracer
                .backbone_packet(far, host)
                .and_then(|p| tracer.run(n, p))
                .unwrap_or_else(|e| panic!("{e}"));
            for t in [&up, &down] {
                assert!(
                    t.delivered(),
                    "{} {}: {}",
                    cust.name,
                    a.prefix,
                    t.describe(&topology)
                );
                for step in &t.steps {
                    check_step(&lab, &topology, step);
                    hops += 1;
                }
            }
            // Spoofed: the customer's ToS with another source, its source with another ToS.
            let spoofed_src = if host.is_ipv6() {
                far
            } else {
                "100.64.0.9".parse().unwrap_or(far)
            };
            let wrong_tos = tos ^ 0x04;
            for (src, tos) in [(spoofed_src, tos), (host, wrong_tos)] {
                let p = tracer
                    .customer_packet(cust.index, src, far, tos)
                    .unwrap_or_else(|e| panic!("{e}"));
                let t = tracer.run(0, p).unwrap_or_else(|e| panic!("{e}"));
                if topology.chain().service_source == flowfall_topology::ServiceSource::Tos
                    || src != host
                {
                    assert_eq!(t.outcome, Outcome::Dropped { switch: 0 }, "{src} tos {tos}");
                }
                check_step(&lab, &topology, &t.steps[0]);
                hops += 1;
            }
        }
    }
    eprintln!(
        "{}: {hops} junction crossings agree with ofproto/trace",
        config.display()
    );
    lab.down().unwrap_or_else(|e| panic!("lab down: {e}"));
}

#[test]
fn lab_tables_match_ofproto_trace() {
    compare_with_ovs(&repo_path("examples/configs/lab.toml"));
}

/// `shownet2015.toml` without its VLAN scope, written to a private temporary file.
fn shownet_without_vlan() -> PathBuf {
    let src = repo_path("examples/configs/shownet2015.toml");
    let text = std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let stripped: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("vlan ="))
        // The lab's router owns 203.0.113.0/24.
        .map(|l| format!("{}\n", l.replace("203.0.113.64/26", "198.18.0.64/26")))
        .collect();
    let dir = std::env::temp_dir().join(format!("flowfall-compile-ovs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join("shownet2015-novlan.toml");
    std::fs::write(&path, stripped).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

#[test]
fn shownet_tables_match_ofproto_trace() {
    let config = shownet_without_vlan();
    compare_with_ovs(&config);
    let _ = std::fs::remove_dir_all(config.parent().unwrap_or(Path::new("/nonexistent")));
}
