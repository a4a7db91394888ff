"""Unit tests of lab.py's pure part (config -> plan), runnable anywhere, no root needed:

    python3 -m unittest discover -s lab -p 'test_*.py'
"""

import copy
import tomllib
import unittest
from pathlib import Path

import lab

CONFIG = tomllib.loads((Path(__file__).resolve().parent.parent / "examples/configs/lab.toml").read_text())


def plan(cfg=None, prefix="ff"):
    return lab.make_plan(copy.deepcopy(CONFIG) if cfg is None else cfg, prefix)


class PlanTests(unittest.TestCase):
    def error(self, cfg, prefix="ff") -> str:
        with self.assertRaises(lab.LabError) as ctx:
            lab.make_plan(cfg, prefix)
        return str(ctx.exception)

    def test_example_config_builds_the_documented_lab(self):
        p = plan()
        self.assertEqual([s.bridge for s in p.switches], ["ffj0", "ffj1", "ffj2"])
        self.assertEqual([s.dpid for s in p.switches], [f"{i:016x}" for i in (1, 2, 3)])
        self.assertEqual(sorted(p.switches[0].ports), [1, 2, 3, 4, 11, 12, 20])
        self.assertEqual(sorted(p.switches[1].ports), [11, 12, 20, 31, 40])
        self.assertEqual(sorted(p.switches[2].ports), [1, 31, 40])
        self.assertEqual([v.name for v in p.vms], ["fw-1", "fw-2", "fw-3", "ids-1", "ids-2"])
        self.assertEqual(len(p.namespaces()), 4 + 5 + 1)
        self.assertTrue(all(len(n) <= lab.IFNAME_MAX for n in p.root_interfaces()))
        self.assertEqual(len(set(p.root_interfaces())), len(p.root_interfaces()))

    def test_dscp_marking_is_the_service_bitmap(self):
        tos = {c.name: (c.service_value, c.tos) for c in plan().customers}
        self.assertEqual(tos, {"alpha": (0, 0), "bravo": (1, 4), "charlie": (3, 12), "delta": (2, 8)})
        cfg = copy.deepcopy(CONFIG)
        cfg["chain"]["tos_encoding"] = "tos8"
        self.assertEqual(plan(cfg).customers[2].tos, 3)
        cfg["chain"]["service_source"] = "config"
        self.assertEqual({c.tos for c in plan(cfg).customers}, {0})

    def test_host_addresses_and_gateways(self):
        delta = plan().customers[3]
        self.assertEqual(delta.addresses, ["10.0.4.2", "10.0.44.5"])
        self.assertEqual(delta.cidrs, ["10.0.4.2/24", "10.0.44.5/32"])
        self.assertEqual(delta.gateway, "10.0.4.1")
        cfg = copy.deepcopy(CONFIG)
        cfg["customers"][0]["ipv4"] = ["10.9.9.9"]
        self.assertEqual(plan(cfg).customers[0].gateway, lab.FALLBACK_GATEWAY)
        self.assertIn("10.0.44.5/32", plan().router.routes)

    def test_bad_configs_name_the_field(self):
        cfg = copy.deepcopy(CONFIG)
        cfg["layers"][0]["hypervisors"][1]["down_port"] = 11
        self.assertIn("layers[0].hypervisors[1].down_port: port 11 on j0 is already used", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["customers"][1]["services"] = ["nat"]
        self.assertIn("customers[1].services[0]: no layer named 'nat'", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["customers"][1]["ipv4"] = ["10.0.1.128/25"]
        self.assertIn("customers[1].ipv4[0]: 10.0.1.128/25 overlaps 10.0.1.0/24", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["customers"][1]["ipv4"] = ["10.0.2.7/24"]
        self.assertIn("customers[1].ipv4[0]: expected an IPv4 address or prefix", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["switches"][0]["dpid"] = "xyz"
        self.assertIn("switches[0].dpid: expected 16 hex digits", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["switches"][1]["vlan"] = 115
        self.assertIn("switches[1].vlan", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        del cfg["backbone"]["router_mac"]
        self.assertIn("backbone.router_mac: missing", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["layers"][1]["bit"] = 0
        self.assertIn("layers[1].bit: bit 0 is already used", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["customers"][0]["port"] = True
        self.assertIn("customers[0].port: expected an integer, found a boolean", self.error(cfg))
        cfg = copy.deepcopy(CONFIG)
        cfg["switches"].pop()
        self.assertIn("switches: expected 3 (layers + 1), found 2", self.error(cfg))

    def test_prefix_must_keep_names_short_and_distinct(self):
        self.assertIn("--prefix", self.error(copy.deepcopy(CONFIG), "ff-1"))
        self.assertIn("--prefix", self.error(copy.deepcopy(CONFIG), "toolong"))
        self.assertEqual(plan(prefix="a1b2").switches[0].bridge, "a1b2j0")

    def test_veth_bypass_links_are_root_devices_with_both_ends_on_the_junctions(self):
        self.assertEqual({b.kind for b in plan().bypasses}, {"patch"})
        self.assertNotIn("ffl0b0u", plan().root_interfaces())
        p = lab.make_plan(copy.deepcopy(CONFIG), "ff", "veth")
        self.assertEqual([(b.kind, b.down_patch, b.up_patch) for b in p.bypasses],
                         [("veth", "ffl0b0u", "ffl0b0d"), ("veth", "ffl1b0u", "ffl1b0d")])
        self.assertEqual(p.switches[0].ports[20], "ffl0b0u")
        self.assertEqual(p.switches[1].ports[20], "ffl0b0d")
        # One end per pair is listed: deleting it removes its peer.
        self.assertIn("ffl1b0u", p.root_interfaces())
        self.assertNotIn("ffl1b0d", p.root_interfaces())
        with self.assertRaises(lab.LabError) as ctx:
            lab.make_plan(copy.deepcopy(CONFIG), "ff", "wire")
        self.assertIn("--bypass-links: expected one of patch, veth, found 'wire'", str(ctx.exception))

    def test_health_lab_config_has_two_bypass_links_per_layer_and_a_fail_open_layer(self):
        cfg = tomllib.loads((Path(__file__).resolve().parent.parent
                             / "examples/configs/lab-health.toml").read_text())
        p = lab.make_plan(cfg, "ff", "veth")
        self.assertEqual([(b.layer, b.down_port, b.up_port) for b in p.bypasses],
                         [("firewall", 20, 20), ("firewall", 21, 21), ("ids", 40, 40), ("ids", 41, 41)])
        self.assertEqual([layer["when_empty"] for layer in cfg["layers"]], ["fail-open", "fail-closed"])
        self.assertTrue(all(len(n) <= lab.IFNAME_MAX for n in p.root_interfaces()))

    def test_host_lock_excludes_a_second_holder(self):
        import tempfile
        saved = lab.HOST_LOCK
        with tempfile.TemporaryDirectory() as d:
            lab.HOST_LOCK = Path(d) / "lock"
            try:
                with lab.host_lock():
                    with self.assertRaises(lab.LabBusy):
                        with lab.host_lock(wait=0.1):
                            pass
                with lab.host_lock(wait=0.1):
                    pass
            finally:
                lab.HOST_LOCK = saved

    def test_counters_parse_iptables_save(self):
        text = (
            "*filter\n:FORWARD DROP [0:0]\n"
            "[7:588] -A FORWARD -i dn -o up -m comment --comment flowfall-up -j ACCEPT\n"
            "[6:504] -A FORWARD -i up -o dn -m conntrack --ctstate RELATED,ESTABLISHED "
            "-m comment --comment flowfall-down -j ACCEPT\n"
            "[1:84] -A FORWARD -m comment --comment flowfall-dropped -j DROP\nCOMMIT\n"
        )
        self.assertEqual(lab.parse_counters(text), {
            "up_packets": 7, "up_bytes": 588, "down_packets": 6, "down_bytes": 504,
            "dropped_packets": 1, "dropped_bytes": 84})

    def test_scripts_mark_and_count(self):
        p = plan()
        script = lab.customer_script(p.customers[2], p.tos_encoding)
        self.assertIn("--set-tos 0x0c/0xfc", script)
        self.assertIn("ethtool -K eth0 tx off", script)
        vm = lab.vm_script(p.vms[0], p.router.routes, "stateful")
        self.assertIn("--ctstate ESTABLISHED,RELATED", vm)
        self.assertNotIn("ctstate", lab.vm_script(p.vms[0], p.router.routes, "open"))


if __name__ == "__main__":
    unittest.main()
