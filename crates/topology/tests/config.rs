//! Loading the shipped configurations, and reporting every problem of a broken one.

use std::net::IpAddr;

use flowfall_topology::{
    Catalogue, ConfigFile, Encoding, PortKind, PortRole, SelectorKind, ServiceSource, Topology,
    VmId, WhenEmpty,
};

const SHOWNET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/configs/shownet2015.toml"
);
const BROKEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/broken.toml");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn shownet() -> Topology {
    Topology::from_file(SHOWNET).unwrap_or_else(|e| panic!("shownet2015.toml:\n{e}"))
}

fn addr(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn shownet2015_loads_and_validates() {
    let topo = shownet();
    assert_eq!(topo.switches().len(), 4);
    assert!(topo.switches().iter().all(|s| s.vlan == Some(115)));
    assert_eq!(
        topo.switch_for(3, Some(115)).map(|s| s.name.as_str()),
        Some("j2")
    );
    assert_eq!(topo.switch_for(3, Some(116)), None);

    let layers: Vec<(&str, u32, usize, usize)> = topo
        .layers()
        .iter()
        .map(|l| (l.name.as_str(), l.bit, l.hypervisors.len(), l.vms.len()))
        .collect();
    assert_eq!(
        layers,
        [
            ("app-analysis", 1, 2, 6),
            ("firewall", 2, 3, 12),
            ("ddos", 3, 1, 1)
        ]
    );
    assert_eq!(topo.layers()[0].when_empty, WhenEmpty::FailOpen);
    assert_eq!(topo.layers()[1].selector, SelectorKind::Md5Mod);
    assert_eq!(topo.vm_by_name("tps-1").map(|v| v.weight), Some(8));
    assert_eq!(topo.vm_by_name("no-such-vm"), None);
    let firewall = topo.layer_by_name("firewall").map(|l| {
        let on_hv1: Vec<&str> = l.vms_on(1).iter().map(|v| v.name.as_str()).collect();
        (
            l.down_switch(),
            l.up_switch(),
            on_hv1,
            l.total_weight(),
            l.vms_on(3).len(),
        )
    });
    assert_eq!(
        firewall,
        Some((1, 2, vec!["csr-5", "csr-6", "csr-7", "csr-8"], 12, 0))
    );
    assert_eq!(topo.all_vms().count(), 19);
    assert!(topo.layers().iter().all(|l| l.bypass.len() == 1));

    // The catalogue is the paper's ToS bits 3..5 expressed as DSCP bits 1..3.
    assert_eq!(topo.catalogue(), Some(&Catalogue::shownet2015()));
    assert_eq!(topo.customers().len(), 20);
    let c = topo.customer_by_name("exhibitor01").map(|c| c.tos);
    assert_eq!(c, Some(Some(0x38)));
    let c = topo
        .customer_by_name("exhibitor04")
        .map(|c| (c.services.is_empty(), c.tos));
    assert_eq!(c, Some((true, Some(0))));
}

/// Each customer's `# ToS 0x..` comment in the file states what its CPE marks; it must be
/// what the model computes.
#[test]
fn shownet2015_tos_comments_match_the_model() {
    let text = read(SHOWNET);
    let topo = shownet();
    let comments: Vec<u8> = text
        .lines()
        .filter(|l| l.starts_with("services = "))
        .filter_map(|l| l.split("# ToS 0x").nth(1))
        .filter_map(|hex| u8::from_str_radix(hex.trim(), 16).ok())
        .collect();
    let computed: Vec<u8> = topo.customers().iter().filter_map(|c| c.tos).collect();
    assert_eq!(comments.len(), 20);
    assert_eq!(comments, computed);
}

#[test]
fn shownet2015_roles_both_ways() {
    let topo = shownet();
    let mut kinds = Vec::new();
    for switch in 0..topo.switches().len() {
        for &(port, role) in topo.ports(switch) {
            assert_eq!(topo.port_of(role), Some((switch, port)), "{role}");
            assert_eq!(topo.role(switch, port), Some(role));
            kinds.push(role.kind());
        }
    }
    let count = |k: PortKind| kinds.iter().filter(|&&x| x == k).count();
    assert_eq!(count(PortKind::Edge), 20);
    assert_eq!(count(PortKind::EdgeUp), 1);
    assert_eq!((count(PortKind::VnfUp), count(PortKind::VnfDown)), (6, 6));
    assert_eq!(
        (count(PortKind::BypassUp), count(PortKind::BypassDown)),
        (3, 3)
    );

    // Concrete look-ups from the diagram at the top of the file.
    assert_eq!(topo.role(0, 7), Some(PortRole::Edge { customer: 6 }));
    let vu = PortRole::VnfUp {
        layer: 1,
        hypervisor: 2,
    };
    assert_eq!(topo.role(1, 45), Some(vu));
    assert_eq!(
        topo.role(2, 45),
        Some(PortRole::VnfDown {
            layer: 1,
            hypervisor: 2
        })
    );
    assert_eq!(
        topo.role(2, 50),
        Some(PortRole::BypassUp {
            layer: 2,
            bypass: 0
        })
    );
    assert_eq!(
        topo.role(3, 50),
        Some(PortRole::BypassDown {
            layer: 2,
            bypass: 0
        })
    );
    assert_eq!(topo.port_of(PortRole::EdgeUp), Some((3, 51)));
    assert_eq!(topo.role(0, 45), None);
    assert_eq!(topo.port_of(PortRole::Edge { customer: 20 }), None);

    // A VM's ports are its hypervisor's, on the layer's two switches.
    let vm = topo
        .vm_by_name("csr-12")
        .map(|v| (v.id, v.down_port, v.up_port));
    assert_eq!(
        vm,
        Some((
            VmId {
                layer: 1,
                index: 11
            },
            45,
            45
        ))
    );
    let hv = topo
        .hypervisor_of(VmId {
            layer: 1,
            index: 11,
        })
        .map(|h| h.name.as_str());
    assert_eq!(hv, Some("x6800-3"));
}

#[test]
fn shownet2015_customer_for_address() {
    let topo = shownet();
    let owner = |a: &str| topo.customer_for_address(addr(a)).map(|c| c.name.as_str());
    assert_eq!(owner("10.115.7.1"), Some("exhibitor07"));
    assert_eq!(owner("10.115.20.255"), Some("exhibitor20"));
    assert_eq!(owner("198.51.100.15"), Some("exhibitor07"));
    assert_eq!(owner("198.51.100.16"), None);
    assert_eq!(owner("192.0.2.10"), Some("exhibitor03"));
    assert_eq!(owner("192.0.2.11"), None);
    assert_eq!(owner("192.0.2.200"), Some("exhibitor18"));
    assert_eq!(owner("2001:db8:115:9::42"), Some("exhibitor09"));
    assert_eq!(owner("2001:db8:115:a::1"), None);
    assert_eq!(owner("10.116.1.1"), None);
}

#[test]
fn broken_config_reports_every_error_with_its_path() {
    let errors = match Topology::from_toml_str(&read(BROKEN)) {
        Ok(_) => panic!("broken.toml validated"),
        Err(errors) => errors,
    };
    let expected = [
        "chain.idle_timeout: must be at least 1 in reactive mode (0 would keep every packet-in flow forever)",
        "switches[1].name: switch name `j0` is already used by switches[0].name",
        "switches[1].dpid: dpid 00:00:00:00:00:00:00:01 vlan 115 is already switches[0]",
        "switches[2].dpid: `not-a-dpid` is not a datapath id (expected 16 hex digits, colons optional, or a non-negative integer)",
        "switches[2].vlan: 5000 is out of range (expected a VLAN id 1..=4094)",
        "switches: 3 layers need 4 junction switches (J0..J3), found 3",
        "layers[0].bit: bit 6 does not fit the dscp encoding (bits 0..=5)",
        "layers[0].when_empty: fail-open needs a bypass link, and this layer has none",
        "layers[0].hypervisors[0].vms[0].weight: 0 is out of range (expected a weight 1..=65535)",
        "layers[0].hypervisors[1].down_port: port 2 on switch `j0` is already used by layers[0].hypervisors[0].down_port",
        "layers[0].hypervisors[1].vms[0].name: VM name `fw-1` is already used by layers[0].hypervisors[0].vms[0].name",
        "layers[0].hypervisors[1].vms[0].down_mac: same as layers[0].hypervisors[0].vms[0].down_mac (02:00:00:01:01:01)",
        "layers[0].hypervisors[1].vms[0].up_mac: 01:00:5e:00:00:01 is a multicast address, not a host's",
        "layers[1]: layer `ddos` has neither VMs nor a bypass link: no traffic could cross it",
        "layers[2].bit: bit 0 is already used by layers[1]",
        "layers[2].bypass[0].up_port: 0 is not a valid OpenFlow port (expected 1..=4294967039, below the reserved range from 0xffffff00)",
        "customers[0].port: port 2 on switch `j0` is already used by layers[0].hypervisors[0].down_port",
        "customers[0].cpe_mac: same as backbone.router_mac (02:00:00:00:ff:01)",
        "customers[0].ipv4[1]: 10.0.1.0/24 overlaps 10.0.0.0/16 at customers[0].ipv4[0]",
        "customers[0].ipv4[2]: `10.2.0.1/24` has host bits set under its mask; did you mean 10.2.0.0/24?",
        "customers[0].services[1]: unknown service `ids` (layers: fw, ddos, dpi)",
        "customers[0].services[2]: `fw` is listed twice",
        "customers[0].services: skips layer `ddos`, which has no bypass link to carry its traffic past (list the service or give the layer a bypass)",
        "customers[1].name: customer name `c1` is already used by customers[0].name",
        "customers[1].ipv4[0]: 10.0.0.0/16 is also listed at customers[0].ipv4[0]",
        "customers[1].ipv6[0]: 2001:db8:0:5::/64 overlaps 2001:db8::/48 at customers[0].ipv6[0]",
        "customers[2]: has no addresses: list at least one host or prefix in ipv4 or ipv6",
        "customers[2].cpe_mac: `02:00:00:aa:00:0g` is not a MAC address (expected six hex pairs like 02:00:00:00:00:01)",
        "customers[2].services: skips layers `fw`, `ddos`, which have no bypass link to carry its traffic past (list the services or give the layers a bypass)",
    ];
    let lines: Vec<String> = errors.to_string().lines().map(str::to_owned).collect();
    assert_eq!(lines, expected);
    assert_eq!(errors.len(), expected.len());
}

#[test]
fn syntax_and_type_errors_carry_path_and_line() {
    let original = read(SHOWNET);
    let line_of = |needle: &str| {
        let line = original.lines().position(|l| l == needle);
        line.map(|i| i + 1)
            .unwrap_or_else(|| panic!("no line `{needle}`"))
    };
    let text = original.replace("port = 51", "port = \"51\"");
    let errors = Topology::from_toml_str(&text).err().map(|e| e.to_string());
    let want = format!(
        "backbone.port: line {}, column 8: invalid type: string \"51\", expected i64",
        line_of("port = 51")
    );
    assert_eq!(errors, Some(want));

    let text = original.replace("[backbone]", "[backbone");
    let errors = Topology::from_toml_str(&text).err().map(|e| e.to_string());
    let want = format!("line {}, column 10: ", line_of("[backbone]"));
    let errors = errors.unwrap_or_default();
    assert!(errors.starts_with(&want), "{errors}");
}

#[test]
fn from_file_reports_unreadable_path() {
    let errors = Topology::from_file("/nonexistent/flowfall.toml").err();
    let text = errors.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.starts_with("cannot read /nonexistent/flowfall.toml: "),
        "{text}"
    );
}

fn shownet_file() -> ConfigFile {
    ConfigFile::from_toml_str(&read(SHOWNET)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn vm_identity_follows_the_name_across_reloads() {
    let before = shownet();
    let mut file = shownet_file();
    file.layers[1].hypervisors.reverse();
    let after = Topology::from_config(&file).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (before.vm_by_name("csr-1"), after.vm_by_name("csr-1"));
    let (Some(a), Some(b)) = (a, b) else {
        panic!("csr-1 missing")
    };
    assert_ne!(a.id, b.id, "the position changed");
    assert_eq!(
        a.stable_hash_id(),
        b.stable_hash_id(),
        "the identity did not"
    );
    assert_eq!((a.down_port, a.down_mac), (b.down_port, b.down_mac));
}

#[test]
fn encodings_and_service_sources() {
    // The paper's own form: tos8 with bits 3..5 marks the same bytes as dscp with bits 1..3.
    let mut file = shownet_file();
    file.chain.tos_encoding = Encoding::Tos8;
    for (layer, bit) in file.layers.iter_mut().zip([3, 4, 5]) {
        layer.bit = Some(bit);
    }
    let tos8 = Topology::from_config(&file).unwrap_or_else(|e| panic!("{e}"));
    let marks = |t: &Topology| t.customers().iter().map(|c| c.tos).collect::<Vec<_>>();
    assert_eq!(marks(&tos8), marks(&shownet()));

    // Bits 3..5 do not fit dscp's six bits? They do; bit 6 would not.
    file.chain.tos_encoding = Encoding::Dscp;
    file.layers[2].bit = Some(6);
    let errors = Topology::from_config(&file)
        .err()
        .map(|e| e.paths().join(","));
    assert_eq!(errors.as_deref(), Some("layers[2].bit"));

    // Services from config: no ToS values, no catalogue, bits unconstrained by the encoding.
    file.chain.service_source = ServiceSource::Config;
    let config = Topology::from_config(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.catalogue().is_none());
    assert!(config.customers().iter().all(|c| c.tos.is_none()));
    assert_eq!(
        config
            .customers()
            .iter()
            .map(|c| c.services)
            .collect::<Vec<_>>(),
        shownet()
            .customers()
            .iter()
            .map(|c| c.services)
            .collect::<Vec<_>>()
    );
}

#[test]
fn too_many_layers_for_the_encoding() {
    let spec = flowfall_topology::synthetic::SyntheticSpec {
        layers: 7,
        service_source: ServiceSource::Config,
        ..Default::default()
    };
    let mut file =
        flowfall_topology::synthetic::generate_config(&spec).unwrap_or_else(|e| panic!("{e}"));
    file.chain.service_source = ServiceSource::Tos;
    let errors = Topology::from_config(&file).err().map(|e| e.to_string());
    let errors = errors.unwrap_or_default();
    let first = errors.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "layers: 7 layers do not fit the dscp encoding (at most 6); use tos_encoding = \"tos8\" \
         (up to 8) or service_source = \"config\""
    );
    file.chain.tos_encoding = Encoding::Tos8;
    assert!(Topology::from_config(&file).is_ok());
}
