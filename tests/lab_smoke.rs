//! Smoke test of the end-to-end lab (lab/lab.py + tests/support/lab.rs) without a controller:
//! flows written by hand in `ovs-ofctl` syntax, following the FlowFall rules
//! (docs: architecture.md section 3), must steer real traffic through exactly the chosen VNF
//! VMs, upstream and downstream, as the VMs' iptables counters show.

mod support;

use std::collections::BTreeMap;

use flowfall::topology::Topology;
use support::lab::{Lab, LabError, VmCounters, in_ci, repo_path};

/// Where one customer's traffic goes in one layer: a VM by name, or the layer's bypass.
#[derive(Clone, Copy)]
enum Via<'a> {
    Vm(&'a str),
    Bypass(&'a str),
}

/// One side of a junction on a customer's path: the port and, when the neighbour is a host,
/// the MAC frames toward it must carry.
struct Side {
    port: u32,
    mac: Option<String>,
}

/// The `ovs-ofctl` flows, per junction (chain order), that carry `customer`'s traffic through
/// `path` (one entry per layer) to the router and back.
fn hand_flows(lab: &Lab, customer: &str, path: &[Via<'_>]) -> Vec<String> {
    let c = lab.customer(customer).expect("customer");
    let router = &lab.info().router;
    let side = |via: Via<'_>, below: bool| -> Side {
        match via {
            Via::Vm(name) => {
                let vm = lab.vm(name).expect("vm");
                if below {
                    Side {
                        port: vm.up_port,
                        mac: Some(vm.up_mac.clone()),
                    }
                } else {
                    Side {
                        port: vm.down_port,
                        mac: Some(vm.down_mac.clone()),
                    }
                }
            }
            Via::Bypass(layer) => {
                let bypass = lab.bypasses(layer).first().copied().expect("bypass");
                Side {
                    port: if below {
                        bypass.up_port
                    } else {
                        bypass.down_port
                    },
                    mac: None,
                }
            }
        }
    };
    let set = |mac: &Option<String>| {
        mac.as_ref()
            .map(|m| format!("set_field:{m}->eth_dst,"))
            .unwrap_or_default()
    };
    let dscp = c.tos >> 2;
    (0..=path.len())
        .map(|k| {
            let below = match k {
                0 => Side {
                    port: c.port,
                    mac: Some(c.mac.clone()),
                },
                _ => side(path[k - 1], true),
            };
            let above = match path.get(k) {
                Some(&via) => side(via, false),
                None => Side {
                    port: router.port,
                    mac: Some(router.mac.clone()),
                },
            };
            let mut text = String::new();
            for net in &c.networks {
                text += &format!(
                    "priority=100,in_port={},ip,nw_src={net},ip_dscp={dscp},actions={}output:{}\n",
                    below.port,
                    set(&above.mac),
                    above.port
                );
                text += &format!(
                    "priority=100,in_port={},ip,nw_dst={net},actions={}output:{}\n",
                    above.port,
                    set(&below.mac),
                    below.port
                );
            }
            text
        })
        .collect()
}

fn install(lab: &Lab, customer: &str, path: &[Via<'_>]) {
    let switches: Vec<String> = lab.info().switches.iter().map(|s| s.name.clone()).collect();
    for (switch, flows) in switches.iter().zip(hand_flows(lab, customer, path)) {
        lab.add_flow_text(switch, &flows).expect("add-flows");
    }
}

/// (up, down, dropped) packets per VM.
type Packets = BTreeMap<String, (u64, u64, u64)>;

fn packets(counters: &BTreeMap<String, VmCounters>) -> Packets {
    counters
        .iter()
        .map(|(vm, c)| {
            (
                vm.clone(),
                (c.up_packets, c.down_packets, c.dropped_packets),
            )
        })
        .collect()
}

/// Every VM of the lab at zero, except the ones listed as (vm, up, down, dropped).
fn expect(lab: &Lab, crossed: &[(&str, u64, u64, u64)]) -> Packets {
    let mut want: Packets = lab
        .info()
        .vms
        .iter()
        .map(|vm| (vm.name.clone(), (0, 0, 0)))
        .collect();
    for &(vm, up, down, dropped) in crossed {
        assert!(
            want.insert(vm.to_owned(), (up, down, dropped)).is_some(),
            "no VM {vm} in the lab"
        );
    }
    want
}

#[test]
fn hand_written_flows_steer_traffic_through_exactly_the_chosen_vms() {
    let config = repo_path("examples/configs/lab.toml");
    let Some(lab) = Lab::up_or_skip(&config, None) else {
        return;
    };
    eprintln!("lab up in {} s (lab.py)", lab.info().up_seconds);
    let router = lab.info().router.address.clone();

    // No controller and fail_mode=secure: the junctions hold nothing and forward nothing.
    for s in &lab.info().switches {
        assert_eq!(
            lab.flows(&s.name).expect("dump-flows"),
            Vec::<String>::new(),
            "{} not empty",
            s.name
        );
        assert!(!lab.is_connected(&s.name).expect("is_connected"));
    }
    let lost = lab.ping("charlie", &router, 2).expect("ping");
    assert_eq!((lost.transmitted, lost.received), (2, 0));

    // charlie (firewall + ids) through fw-2 and ids-1; bravo (firewall) through fw-3 and the ids
    // bypass; delta (ids; two prefixes, one a /32) through the firewall bypass and ids-2.
    install(&lab, "charlie", &[Via::Vm("fw-2"), Via::Vm("ids-1")]);
    install(&lab, "bravo", &[Via::Vm("fw-3"), Via::Bypass("ids")]);
    install(&lab, "delta", &[Via::Bypass("firewall"), Via::Vm("ids-2")]);
    lab.zero_vm_counters().expect("zero counters");

    let charlie = lab.ping("charlie", &router, 5).expect("ping charlie");
    assert_eq!(
        (charlie.transmitted, charlie.received),
        (5, 5),
        "charlie's pings"
    );
    let bravo = lab.ping("bravo", &router, 3).expect("ping bravo");
    assert_eq!((bravo.transmitted, bravo.received), (3, 3), "bravo's pings");
    let delta = lab.ping("delta", &router, 2).expect("ping delta");
    assert_eq!(delta.received, 2, "delta's pings from its first address");
    let delta_host = lab.customer("delta").expect("delta").addresses[1].clone();
    assert_eq!(delta_host, "10.0.44.5");
    let out = lab.exec(
        "delta",
        &[
            "ping",
            "-n",
            "-q",
            "-c",
            "2",
            "-i",
            "0.2",
            "-W",
            "1",
            "-I",
            &delta_host,
            &router,
        ],
    );
    let out = out.expect("ping from delta's /32");
    let report = support::lab::parse_ping(&out.stdout).expect("ping statistics");
    assert_eq!(
        report.received, 2,
        "delta's pings from its /32: {}",
        out.stdout
    );
    // alpha has no flows: still dropped at J0.
    assert_eq!(
        lab.ping("alpha", &router, 1).expect("ping alpha").received,
        0
    );

    // Exactly the chosen VMs forwarded, each request upstream and each reply downstream.
    let counters = lab.vm_counters().expect("counters");
    assert_eq!(
        packets(&counters),
        expect(
            &lab,
            &[
                ("fw-2", 5, 5, 0),
                ("ids-1", 5, 5, 0),
                ("fw-3", 3, 3, 0),
                ("ids-2", 4, 4, 0)
            ]
        )
    );
    assert!(
        counters["fw-2"].up_bytes >= 5 * 84,
        "ICMP echo of 84 bytes each"
    );

    // The switches' own view agrees: counters on the hand flows, and ofproto/trace.
    let c = lab.customer("charlie").expect("charlie").clone();
    let fw2 = lab.vm("fw-2").expect("fw-2").clone();
    let j0 = lab.flows("j0").expect("flows");
    let upstream = j0
        .iter()
        .find(|f| f.contains(&format!("nw_src={}", c.networks[0])))
        .expect("charlie's J0 flow");
    assert!(upstream.contains("n_packets=5,"), "{upstream}");
    let flow = format!(
        "in_port={},ip,nw_src={},nw_dst={router},ip_dscp={}",
        c.port,
        c.addresses[0],
        c.tos >> 2
    );
    let trace = lab.trace("j0", &flow).expect("trace");
    assert!(
        trace.contains(&format!("output:{}", fw2.down_port)),
        "{trace}"
    );
    assert!(trace.contains(&fw2.down_mac), "{trace}");

    lab.down().expect("lab down");
}

#[test]
fn udp_tcp_and_the_stateful_vms_through_hand_written_flows() {
    let config = repo_path("examples/configs/lab.toml");
    let Some(lab) = Lab::up_or_skip(&config, None) else {
        return;
    };
    install(&lab, "charlie", &[Via::Vm("fw-1"), Via::Vm("ids-2")]);

    let udp = lab.udp_roundtrip("charlie", "router", 5).expect("udp");
    assert_eq!((udp.sent, udp.received), (5, 5), "{udp:?}");
    // TCP over the userspace datapath works only with tx checksum offload off (lab.py does it).
    let tcp = lab
        .tcp_roundtrip("charlie", "router", 200_000)
        .expect("tcp");
    assert_eq!(
        (tcp.connected, tcp.received, tcp.intact),
        (Some(true), 200_000, Some(true)),
        "{tcp:?}"
    );
    let counters = lab.zero_vm_counters().expect("counters");
    for (vm, c) in &counters {
        let crossed = vm == "fw-1" || vm == "ids-2";
        assert_eq!(
            crossed,
            c.up_packets > 0 && c.down_packets > 0,
            "{vm}: {c:?}"
        );
        assert_eq!(
            crossed,
            c.up_packets + c.down_packets + c.dropped_packets > 0,
            "{vm}: {c:?}"
        );
        assert_eq!(c.dropped_packets, 0, "{vm}: {c:?}");
    }

    // A connection opened from the backbone side is refused by the first VM it meets
    // downstream (ids-2): the stateful rule set admits only replies to upstream traffic.
    let address = lab.address("charlie").expect("address").to_owned();
    assert_eq!(
        lab.ping("router", &address, 2)
            .expect("ping from router")
            .received,
        0
    );
    let counters = lab.zero_vm_counters().expect("counters");
    assert_eq!(packets(&counters), expect(&lab, &[("ids-2", 0, 0, 2)]));

    // The upstream flows match charlie's DSCP value: unmarked packets go nowhere.
    lab.set_tos("charlie", 0).expect("set tos");
    assert_eq!(
        lab.ping("charlie", &lab.info().router.address, 2)
            .expect("ping")
            .received,
        0
    );
    assert_eq!(
        packets(&lab.vm_counters().expect("counters")),
        expect(&lab, &[])
    );
    let status = lab.status().expect("status");
    assert_eq!(status["status"], "up", "{status}");

    lab.down().expect("lab down");
}

/// lab.py reads the same TOML as the compiler: its ports, MACs and ToS values must be the ones
/// `flowfall-topology` derives, or the lab would test a different network than the one compiled.
#[test]
fn the_lab_plan_agrees_with_the_topology_crate() {
    let config = repo_path("examples/configs/lab.toml");
    let plan = match support::lab::plan(&config) {
        Ok(plan) => plan,
        Err(LabError::Unavailable(why)) if !in_ci() => {
            eprintln!("SKIPPED: {why}");
            return;
        }
        Err(e) => panic!("lab.py plan: {e}"),
    };
    let topo = Topology::from_file(&config).expect("examples/configs/lab.toml is a valid topology");

    assert_eq!(plan.switches.len(), topo.switches().len());
    for (s, t) in plan.switches.iter().zip(topo.switches()) {
        assert_eq!(
            (s.name.as_str(), s.dpid.clone()),
            (t.name.as_str(), format!("{:016x}", t.dpid))
        );
        let ports: Vec<u32> = s
            .ports
            .keys()
            .map(|p| p.parse().expect("port number"))
            .collect();
        let mut roles: Vec<u32> = topo.ports(t.index).iter().map(|(p, _)| *p).collect();
        roles.sort_unstable();
        let mut ports = ports;
        ports.sort_unstable();
        assert_eq!(ports, roles, "ports of {}", s.name);
    }
    assert_eq!(plan.customers.len(), topo.customers().len());
    for c in &plan.customers {
        let t = topo
            .customer_by_name(&c.name)
            .expect("customer in topology");
        assert_eq!(Some(c.tos), t.tos, "ToS of {}", c.name);
        assert_eq!(
            (c.port, c.mac.clone()),
            (t.port, t.cpe_mac.to_string()),
            "{}",
            c.name
        );
        let nets: Vec<String> = t.ipv4.iter().map(ToString::to_string).collect();
        assert_eq!(c.networks, nets, "{}", c.name);
    }
    assert_eq!(plan.vms.len(), topo.all_vms().count());
    for v in &plan.vms {
        let t = topo.vm_by_name(&v.name).expect("VM in topology");
        assert_eq!(
            (
                v.down_mac.clone(),
                v.up_mac.clone(),
                v.down_port,
                v.up_port,
                v.layer_index
            ),
            (
                t.down_mac.to_string(),
                t.up_mac.to_string(),
                t.down_port,
                t.up_port,
                t.id.layer
            ),
            "{}",
            v.name
        );
    }
    let backbone = topo.backbone();
    assert_eq!(
        (plan.router.port, plan.router.mac.clone()),
        (backbone.port, backbone.router_mac.to_string())
    );
}
