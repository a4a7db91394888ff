#!/usr/bin/env python3
"""FlowFall end-to-end lab: Open vSwitch (userspace datapath) plus network namespaces.

Builds, from a topology TOML (docs/config.md), the network the FlowFall paper's evaluation ran
on: junction switches J0..Jn as OVS bridges (datapath_type=netdev, OpenFlow 1.3,
fail_mode=secure, pointed at a controller), customer hosts, VNF "VMs" (namespaces that forward
IPv4 through an iptables rule set that counts each direction), hypervisors (one small OVS bridge
per NIC side, demultiplexing frames to the VMs' virtual functions by MAC, like an SR-IOV NIC),
bypass links and the backbone router. Everything runs privately under --dir; names carry
--prefix so several labs can coexist.

Subcommands (all print JSON or a short summary; errors go to stderr with exit status 1, and
`up` exits 3 while another lab holds the host's userspace datapath):
  up        --config TOML --dir DIR [--controller TARGET ...] [--prefix ff] [--vm-policy P]
            [--bypass-links patch|veth] [--owner-pid PID]
  plan      --config TOML [--prefix ff]      what `up` would build, as JSON (no root needed)
  down      --dir DIR
  status    --dir DIR
  counters  --dir DIR [--zero]            per-VM iptables forward counters
  echo      --proto udp|tcp --port N       echo server (run inside a namespace)
  probe     --proto udp|tcp --dst A --port N   echo client (run inside a namespace)

Python 3.11+, standard library only. Needs root, Open vSwitch, iproute2, iptables, ethtool.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import ipaddress
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

OVS_SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
IFNAME_MAX = 15
PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,3}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,39}$")
CONTROLLER_RE = re.compile(r"^(tcp|ssl):[0-9A-Za-z.:\[\]-]+:\d+$|^unix:[^\s\"]+$")
MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
DAEMONS = ("ovsdb-server", "ovs-vswitchd")
# The userspace datapath's own tap device. Its name is fixed by OVS ("ovs-" + datapath type), so
# one host runs one netdev datapath at a time: labs take turns (LabBusy) instead of colliding.
NETDEV_DATAPATH_TAP = "ovs-netdev"
STATE_FILE = "lab.json"
TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ip",
         "iptables-restore", "iptables-save", "ethtool", "sysctl")

# Fixed next hops inside the hosts. The junctions rewrite eth_dst, so any fixed MAC works; these
# only have to be static so that no host ever sends ARP.
CUSTOMER_GATEWAY_MAC = "02:ff:00:00:00:01"
FALLBACK_GATEWAY = "169.254.0.1"  # customers whose prefixes are all /31 or /32
VM_DN_ADDR, VM_DN_NEXT_HOP, VM_DN_NEXT_HOP_MAC = "169.254.1.2/24", "169.254.1.1", "02:ff:00:00:00:02"
VM_UP_ADDR, VM_UP_NEXT_HOP, VM_UP_NEXT_HOP_MAC = "169.254.2.2/24", "169.254.2.1", "02:ff:00:00:00:03"
ROUTER_ADDR, ROUTER_NEXT_HOP, ROUTER_NEXT_HOP_MAC = "203.0.113.1/24", "203.0.113.254", "02:ff:00:00:00:04"
NS_IFACE = "eth0"  # customer and router interface name inside their namespace
COUNTER_TAGS = ("up", "down", "dropped")


class LabError(Exception):
    """A failure the user can act on; printed without a traceback."""

    exit_code = 1


class LabBusy(LabError):
    """Another userspace-datapath OVS owns this host's netdev datapath; try again later."""

    exit_code = 3


# --------------------------------------------------------------------------------------------
# Configuration -> plan (pure: no system calls; unit-tested in lab/test_lab.py)
# --------------------------------------------------------------------------------------------

_MISSING = object()


def _get(table: dict, key: str, path: str, kind: type | tuple, default=_MISSING):
    if not isinstance(table, dict):
        raise LabError(f"{path}: expected a table, found {type(table).__name__}")
    if key not in table:
        if default is _MISSING:
            raise LabError(f"{path}.{key}: missing")
        return default
    value = table[key]
    # bool is an int in Python; a port or bit must not be `true`.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise LabError(f"{path}.{key}: expected {_kind_name(kind)}, found a boolean")
    if not isinstance(value, kind):
        raise LabError(f"{path}.{key}: expected {_kind_name(kind)}, found {type(value).__name__}")
    return value


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "an integer", str: "a string", list: "an array", dict: "a table", bool: "a boolean"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _port(table: dict, key: str, path: str) -> int:
    port = _get(table, key, path, int)
    if not 1 <= port <= 0xFFFFFF00:
        raise LabError(f"{path}.{key}: expected an OpenFlow port 1..=4294967040, found {port}")
    return port


def _mac(table: dict, key: str, path: str) -> str:
    mac = _get(table, key, path, str)
    if not MAC_RE.match(mac):
        raise LabError(f"{path}.{key}: expected a MAC like 02:00:00:00:00:01, found {mac!r}")
    return mac.lower()


def _name(table: dict, key: str, path: str) -> str:
    name = _get(table, key, path, str)
    if not NAME_RE.match(name):
        raise LabError(f"{path}.{key}: the lab needs 1-40 characters of [A-Za-z0-9_.-], found {name!r}")
    return name


def parse_dpid(value, path: str) -> str:
    """Datapath id as OVS wants it: 16 lower-case hex digits."""
    if isinstance(value, bool):
        raise LabError(f"{path}: expected 16 hex digits or an integer, found a boolean")
    if isinstance(value, int):
        if not 0 <= value < 1 << 64:
            raise LabError(f"{path}: expected a 64-bit datapath id, found {value}")
        return f"{value:016x}"
    if isinstance(value, str):
        digits = value.replace(":", "")
        if re.fullmatch(r"[0-9a-fA-F]{16}", digits):
            return digits.lower()
    raise LabError(f"{path}: expected 16 hex digits (colons optional) or an integer, found {value!r}")


def host_address(net: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    """The address a lab host takes in one of its prefixes: .2 (the gateway is .1)."""
    if net.prefixlen == 32:
        return net.network_address
    if net.prefixlen == 31:
        return net.network_address + 1
    return net.network_address + 2


@dataclass
class Switch:
    name: str
    index: int
    dpid: str
    bridge: str
    ports: dict[int, str] = field(default_factory=dict)  # ofport -> interface name


@dataclass
class Customer:
    name: str
    port: int
    mac: str
    networks: list[str]
    addresses: list[str]  # host addresses, the first is the primary source address
    cidrs: list[str]  # addresses with prefix length, as configured on the interface
    gateway: str
    services: list[str]
    service_value: int  # service bitmap in the chain's encoding
    tos: int  # the ToS byte every packet of this customer carries
    namespace: str
    interface: str
    root_interface: str


@dataclass
class Vm:
    name: str
    layer: str
    layer_index: int
    hypervisor: str
    down_mac: str
    up_mac: str
    down_port: int  # VU port on switches[layer_index]
    up_port: int  # VD port on switches[layer_index + 1]
    namespace: str
    root_down_interface: str
    root_up_interface: str
    hv_ofport: int  # the VM's port number on both hypervisor bridges


@dataclass
class Hypervisor:
    name: str
    layer: str
    layer_index: int
    down_port: int
    up_port: int
    down_bridge: str
    up_bridge: str
    down_patch: str  # on the junction below (VU port)
    down_patch_peer: str  # on down_bridge
    up_patch: str  # on the junction above (VD port)
    up_patch_peer: str  # on up_bridge
    vms: list[str]


@dataclass
class Bypass:
    layer: str
    layer_index: int
    down_port: int  # BU port on switches[layer_index]
    up_port: int  # BD port on switches[layer_index + 1]
    down_patch: str  # the interface on the junction below (a patch port or a veth end)
    up_patch: str  # the interface on the junction above
    kind: str = "patch"  # "patch": an OVS patch-port pair; "veth": a veth pair that can be set down


@dataclass
class Router:
    namespace: str
    interface: str
    root_interface: str
    mac: str
    address: str
    cidr: str
    port: int
    switch: str
    routes: list[str]


@dataclass
class Plan:
    prefix: str
    chain: str
    tos_encoding: str
    service_source: str
    switches: list[Switch]
    customers: list[Customer]
    hypervisors: list[Hypervisor]
    vms: list[Vm]
    bypasses: list[Bypass]
    router: Router

    def namespaces(self) -> list[str]:
        return ([c.namespace for c in self.customers] + [v.namespace for v in self.vms]
                + [self.router.namespace])

    def root_interfaces(self) -> list[str]:
        """Kernel devices in the root namespace: veth ends and the bridges' tap devices."""
        names = [c.root_interface for c in self.customers]
        for vm in self.vms:
            names += [vm.root_down_interface, vm.root_up_interface]
        names.append(self.router.root_interface)
        # A veth bypass link: deleting one end removes both.
        names += [b.down_patch for b in self.bypasses if b.kind == "veth"]
        names += [s.bridge for s in self.switches]
        for hv in self.hypervisors:
            names += [hv.down_bridge, hv.up_bridge]
        return names


BYPASS_KINDS = ("patch", "veth")


def make_plan(cfg: dict, prefix: str, bypass_kind: str = "patch") -> Plan:
    """Validate what the lab needs from a topology config and name everything it will build.

    `bypass_kind` "patch" joins the two ends of a bypass link with OVS patch ports (cheapest);
    "veth" with a veth pair in the root namespace, whose link can be set down
    (`ip link set dev <down_patch> down`: both junctions see the port go down), for link-loss
    tests."""
    if not PREFIX_RE.match(prefix):
        raise LabError(f"--prefix: expected 1-4 characters [a-z][a-z0-9]*, found {prefix!r}")
    if bypass_kind not in BYPASS_KINDS:
        raise LabError(f"--bypass-links: expected one of {', '.join(BYPASS_KINDS)}, found {bypass_kind!r}")
    chain = _get(cfg, "chain", "config", dict, {})
    encoding = _get(chain, "tos_encoding", "chain", str, "dscp")
    if encoding not in ("dscp", "tos8"):
        raise LabError(f"chain.tos_encoding: expected \"dscp\" or \"tos8\", found {encoding!r}")
    source = _get(chain, "service_source", "chain", str, "tos")
    if source not in ("tos", "config"):
        raise LabError(f"chain.service_source: expected \"tos\" or \"config\", found {source!r}")
    max_bits = 6 if encoding == "dscp" else 8

    raw_switches = _get(cfg, "switches", "config", list)
    raw_layers = _get(cfg, "layers", "config", list)
    if len(raw_switches) != len(raw_layers) + 1:
        raise LabError(f"switches: expected {len(raw_layers) + 1} (layers + 1), found {len(raw_switches)}")
    switches: list[Switch] = []
    for k, sw in enumerate(raw_switches):
        path = f"switches[{k}]"
        name = _name(sw, "name", path)
        if "vlan" in sw:
            raise LabError(f"{path}.vlan: the lab builds one bridge per junction; VLAN junctions are not supported")
        switches.append(Switch(name, k, parse_dpid(_get(sw, "dpid", path, (str, int)), f"{path}.dpid"),
                               f"{prefix}j{k}"))

    def claim(switch: Switch, port: int, iface: str, path: str) -> None:
        if port in switch.ports:
            raise LabError(f"{path}: port {port} on {switch.name} is already used by {switch.ports[port]}")
        switch.ports[port] = iface

    used_names: dict[str, str] = {}

    def unique(kind: str, name: str, path: str) -> None:
        if name in used_names:
            raise LabError(f"{path}: {kind} name {name!r} is already used by {used_names[name]}")
        used_names[name] = path

    layer_bits: dict[str, int] = {}
    hypervisors: list[Hypervisor] = []
    vms: list[Vm] = []
    bypasses: list[Bypass] = []
    for li, layer in enumerate(raw_layers):
        path = f"layers[{li}]"
        lname = _name(layer, "name", path)
        unique("layer", lname, f"{path}.name")
        bit = _get(layer, "bit", path, int, li)
        if not 0 <= bit < max_bits:
            raise LabError(f"{path}.bit: expected 0..={max_bits - 1} with tos_encoding {encoding!r}, found {bit}")
        if bit in layer_bits.values():
            raise LabError(f"{path}.bit: bit {bit} is already used by another layer")
        layer_bits[lname] = bit
        below, above = switches[li], switches[li + 1]
        for bi, bp in enumerate(_get(layer, "bypass", path, list, [])):
            bpath = f"{path}.bypass[{bi}]"
            b = Bypass(lname, li, _port(bp, "down_port", bpath), _port(bp, "up_port", bpath),
                       f"{prefix}l{li}b{bi}u", f"{prefix}l{li}b{bi}d", bypass_kind)
            claim(below, b.down_port, b.down_patch, f"{bpath}.down_port")
            claim(above, b.up_port, b.up_patch, f"{bpath}.up_port")
            bypasses.append(b)
        for hi, hv in enumerate(_get(layer, "hypervisors", path, list, [])):
            hpath = f"{path}.hypervisors[{hi}]"
            base = f"{prefix}l{li}h{hi}"
            h = Hypervisor(_name(hv, "name", hpath), lname, li, _port(hv, "down_port", hpath),
                           _port(hv, "up_port", hpath), f"{base}d", f"{base}u", f"{base}vu",
                           f"{base}dp", f"{base}vd", f"{base}up", [])
            unique("hypervisor", f"hv:{h.name}", f"{hpath}.name")
            claim(below, h.down_port, h.down_patch, f"{hpath}.down_port")
            claim(above, h.up_port, h.up_patch, f"{hpath}.up_port")
            for vi, vm in enumerate(_get(hv, "vms", hpath, list, [])):
                vpath = f"{hpath}.vms[{vi}]"
                vname = _name(vm, "name", vpath)
                unique("VM", f"vm:{vname}", f"{vpath}.name")
                v = Vm(vname, lname, li, h.name, _mac(vm, "down_mac", vpath), _mac(vm, "up_mac", vpath),
                       h.down_port, h.up_port, f"{prefix}-vm-{vname}", f"{base}v{vi}d", f"{base}v{vi}u",
                       vi + 2)
                vms.append(v)
                h.vms.append(vname)
            hypervisors.append(h)

    backbone = _get(cfg, "backbone", "config", dict)
    last = switches[-1]
    router_port = _port(backbone, "port", "backbone")
    claim(last, router_port, f"{prefix}r", "backbone.port")

    customers: list[Customer] = []
    all_networks: list[tuple[ipaddress.IPv4Network, str]] = []
    for ci, cu in enumerate(_get(cfg, "customers", "config", list)):
        path = f"customers[{ci}]"
        cname = _name(cu, "name", path)
        unique("customer", f"cu:{cname}", f"{path}.name")
        port = _port(cu, "port", path)
        networks: list[ipaddress.IPv4Network] = []
        for ni, text in enumerate(_get(cu, "ipv4", path, list)):
            npath = f"{path}.ipv4[{ni}]"
            if not isinstance(text, str):
                raise LabError(f"{npath}: expected a string, found {type(text).__name__}")
            try:
                net = ipaddress.IPv4Network(text, strict=True)
            except ValueError as e:
                raise LabError(f"{npath}: expected an IPv4 address or prefix, found {text!r} ({e})") from None
            for other, opath in all_networks:
                if net.overlaps(other):
                    raise LabError(f"{npath}: {net} overlaps {other} ({opath})")
            if net.overlaps(ipaddress.IPv4Network(ROUTER_ADDR, strict=False)) or net.is_link_local:
                raise LabError(f"{npath}: {net} collides with the lab's own addresses "
                               f"({ROUTER_ADDR}, 169.254.0.0/16)")
            all_networks.append((net, npath))
            networks.append(net)
        if not networks:
            raise LabError(f"{path}.ipv4: the lab needs at least one IPv4 address per customer")
        services = _get(cu, "services", path, list, [])
        value = 0
        for si, svc in enumerate(services):
            if svc not in layer_bits:
                raise LabError(f"{path}.services[{si}]: no layer named {svc!r}")
            value |= 1 << layer_bits[svc]
        if source == "config":
            tos = 0
        else:
            tos = value << 2 if encoding == "dscp" else value
        gateway = next((str(n.network_address + 1) for n in networks if n.prefixlen <= 30),
                       FALLBACK_GATEWAY)
        iface = f"{prefix}c{ci}"
        claim(switches[0], port, iface, f"{path}.port")
        customers.append(Customer(
            cname, port, _mac(cu, "cpe_mac", path), [str(n) for n in networks],
            [str(host_address(n)) for n in networks],
            [f"{host_address(n)}/{n.prefixlen}" for n in networks], gateway, list(services), value, tos,
            f"{prefix}-cu-{cname}", NS_IFACE, iface))

    router = Router(f"{prefix}-router", NS_IFACE, f"{prefix}r", _mac(backbone, "router_mac", "backbone"),
                    ROUTER_ADDR.split("/")[0], ROUTER_ADDR, router_port, last.name,
                    [str(n) for n, _ in all_networks])
    plan = Plan(prefix, str(chain.get("name", "")), encoding, source, switches, customers, hypervisors,
                vms, bypasses, router)
    for iface in plan.root_interfaces() + [p for h in hypervisors for p in (h.down_patch, h.up_patch)]:
        if len(iface) > IFNAME_MAX:
            raise LabError(f"interface name {iface!r} exceeds {IFNAME_MAX} characters: use a shorter --prefix")
    return plan


def plan_to_state(plan: Plan, directory: Path, controllers: list[str], vm_policy: str) -> dict:
    """The lab.json document the Rust harness (tests/support/lab.rs) reads."""
    doc = asdict(plan)
    doc["switches"] = [
        {"name": s.name, "index": s.index, "dpid": s.dpid, "bridge": s.bridge,
         "ports": {str(p): iface for p, iface in sorted(s.ports.items())}}
        for s in plan.switches
    ]
    doc.update(dir=str(directory), controllers=controllers, vm_policy=vm_policy, status="starting",
               namespaces=plan.namespaces(), root_interfaces=plan.root_interfaces(),
               ovs_env={k: str(directory) for k in OVS_ENV_KEYS},
               ovs_db=f"unix:{directory / 'db.sock'}")
    return doc


# --------------------------------------------------------------------------------------------
# Running commands
# --------------------------------------------------------------------------------------------

OVS_ENV_KEYS = ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR")


def ovs_env(directory: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({k: str(directory) for k in OVS_ENV_KEYS})
    return env


def run(args: list[str], *, ns: str | None = None, stdin: str | None = None, check: bool = True,
        timeout: float = 30.0, env: dict | None = None) -> subprocess.CompletedProcess:
    if ns is not None:
        args = ["ip", "netns", "exec", ns, *args]
    try:
        proc = subprocess.run(args, input=stdin if stdin is not None else "", capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise LabError(f"timed out after {timeout:g} s: {shlex.join(args)}") from None
    except FileNotFoundError:
        raise LabError(f"command not found: {args[0]}") from None
    if check and proc.returncode != 0:
        raise LabError(f"{shlex.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc


def vsctl(directory: Path, *args: str, timeout: float = 30.0) -> str:
    cmd = ["ovs-vsctl", f"--db=unix:{directory / 'db.sock'}", f"--timeout={int(timeout)}", *args]
    return run(cmd, env=ovs_env(directory), timeout=timeout + 5).stdout


def check_prerequisites() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, veth pairs, iptables)")
    missing = [t for t in TOOLS if not any(
        os.access(os.path.join(d, t), os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/sbin", "/sbin"])]
    if missing:
        raise LabError(f"missing tools: {', '.join(missing)} (apt-get install openvswitch-switch "
                       "iproute2 iptables ethtool)")
    if not OVS_SCHEMA.exists():
        raise LabError(f"missing {OVS_SCHEMA} (apt-get install openvswitch-switch)")


def existing_links() -> set[str]:
    out = run(["ip", "-o", "link", "show"]).stdout
    # "7: name@peer: <...>" or "7: name: <...>"
    return {m.group(1) for m in re.finditer(r"^\d+: ([^:@\s]+)[@:]", out, re.M)}


def existing_namespaces() -> set[str]:
    out = run(["ip", "netns", "list"]).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


# --------------------------------------------------------------------------------------------
# Daemons
# --------------------------------------------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    # state is the field after the parenthesised command name; a zombie is gone for our purposes
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _pidfile_dir(args: list[str]) -> Path | None:
    """The directory of an OVS daemon's --pidfile=PATH argument."""
    pidfile = next((a.split("=", 1)[1] for a in args if a.startswith("--pidfile=")), None)
    return Path(pidfile).parent if pidfile else None


def daemon_pid(directory: Path, name: str) -> int | None:
    """The pid in DIR/NAME.pid if that process is alive, is NAME and was started for DIR."""
    try:
        pid = int((directory / f"{name}.pid").read_text().strip())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (OSError, ValueError):
        return None
    if comm != name or _pidfile_dir(args) != directory or not _pid_alive(pid):
        return None
    return pid


def other_vswitchd(directory: Path) -> dict[int, Path | None]:
    """Live ovs-vswitchd processes not started for DIR -> the directory of their pidfile."""
    found: dict[int, Path | None] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "ovs-vswitchd":
                continue
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        home = _pidfile_dir(args)
        if home != directory and _pid_alive(int(entry.name)):
            found[int(entry.name)] = home
    return found


def reap_orphan_lab(directory: Path) -> bool:
    """Tear down the lab in DIR if the process that owns it (lab.json owner_pid) is gone."""
    try:
        state = load_state(directory)
    except LabError:
        return False
    owner = state.get("owner_pid") if state else None
    if not isinstance(owner, int) or _pid_alive(owner):
        return False
    print(f"lab: removing the lab in {directory}: its owner (pid {owner}) is gone", file=sys.stderr)
    teardown(directory, state.get("namespaces", []), state.get("root_interfaces", []))
    return True


# Host-wide lock around the parts of `up` and `down` that claim or release the netdev datapath:
# without it two processes can both see no `ovs-netdev` tap and start a vswitchd each, and the
# second one's bridges fail ("creating tap device failed: Device or resource busy").
HOST_LOCK = Path(tempfile.gettempdir()) / "flowfall-lab.lock"
HOST_LOCK_WAIT = 60.0


@contextlib.contextmanager
def host_lock(wait: float = HOST_LOCK_WAIT):
    """Holds HOST_LOCK (flock); LabBusy if another lab operation keeps it for `wait` seconds."""
    with open(HOST_LOCK, "a") as f:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LabBusy(f"{HOST_LOCK} held by another lab operation for {wait:g} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def claim_netdev_datapath(directory: Path) -> None:
    """Refuse (LabBusy) if another OVS holds the netdev datapath; remove a stale one's tap.

    A lab whose owner process died (a killed test run) is torn down first, so it cannot block
    every later lab."""
    if NETDEV_DATAPATH_TAP not in existing_links():
        return
    others = {pid: d for pid, d in other_vswitchd(directory).items() if d is None or not reap_orphan_lab(d)}
    if others:
        raise LabBusy(f"another ovs-vswitchd (pid {', '.join(map(str, others))}) owns the userspace "
                      f"datapath ({NETDEV_DATAPATH_TAP}); one lab per host at a time")
    if NETDEV_DATAPATH_TAP in existing_links():
        run(["ip", "link", "del", "dev", NETDEV_DATAPATH_TAP], check=False)


def stop_daemon(directory: Path, name: str) -> None:
    pid = daemon_pid(directory, name)
    if pid is not None:
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if not _pid_alive(pid):
                break
        else:
            raise LabError(f"{name} (pid {pid}) did not exit after SIGKILL")
    (directory / f"{name}.pid").unlink(missing_ok=True)


def start_ovs(directory: Path) -> dict[str, int]:
    env = ovs_env(directory)
    for stale in ("conf.db", "db.sock", ".conf.db.~lock~"):
        (directory / stale).unlink(missing_ok=True)
    for stale in list(directory.glob("*.ctl")) + list(directory.glob("*.mgmt")) + list(directory.glob("*.snoop")):
        stale.unlink(missing_ok=True)
    run(["ovsdb-tool", "create", str(directory / "conf.db"), str(OVS_SCHEMA)], env=env)
    common = ["--detach", "--no-chdir"]
    _start_daemon(directory, "ovsdb-server", [
        "ovsdb-server", str(directory / "conf.db"), f"--remote=punix:{directory / 'db.sock'}",
        f"--pidfile={directory / 'ovsdb-server.pid'}", f"--log-file={directory / 'ovsdb-server.log'}",
        *common], env)
    vsctl(directory, "--no-wait", "init")
    _start_daemon(directory, "ovs-vswitchd", [
        "ovs-vswitchd", f"unix:{directory / 'db.sock'}", f"--pidfile={directory / 'ovs-vswitchd.pid'}",
        f"--log-file={directory / 'ovs-vswitchd.log'}", *common], env)
    pids = {name: daemon_pid(directory, name) for name in DAEMONS}
    if None in pids.values():
        raise LabError(f"OVS daemons did not stay up (see {directory}/*.log): {pids}")
    return pids


def _start_daemon(directory: Path, name: str, args: list[str], env: dict) -> None:
    # The daemon detaches; its stdio must not be our pipes or callers waiting for EOF would hang.
    with open(directory / f"{name}.stderr", "ab") as err:
        try:
            proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env,
                                  timeout=30)
        except subprocess.TimeoutExpired:
            raise LabError(f"{name} did not detach within 30 s") from None
    if proc.returncode != 0:
        raise LabError(f"{name} failed to start (exit {proc.returncode}); see {directory}/{name}.stderr")


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------

def _ns_common(ifaces: list[str]) -> list[str]:
    lines = [
        "if [ -d /proc/sys/net/ipv6 ]; then sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 "
        "net.ipv6.conf.default.disable_ipv6=1; fi",
        "ip link set dev lo up",
    ]
    for iface in ifaces:
        # TCP through the userspace datapath needs checksums filled in by the sender.
        lines.append(f"ethtool -K {iface} tx off >/dev/null")
    return lines


def _iptables(tables: dict[str, list[str]]) -> list[str]:
    lines = ["iptables-restore <<'EOF'"]
    for table, rules in tables.items():
        lines.append(f"*{table}")
        lines += rules
        lines.append("COMMIT")
    lines.append("EOF")
    return lines


def customer_script(c: Customer, encoding: str) -> str:
    mask = "0xfc" if encoding == "dscp" else "0xff"
    lines = _ns_common([c.interface]) + [f"ip link set dev {c.interface} address {c.mac}"]
    lines += [f"ip addr add {cidr} dev {c.interface}" for cidr in c.cidrs]
    lines += [
        f"ip link set dev {c.interface} up",
        f"ip neigh replace {c.gateway} lladdr {CUSTOMER_GATEWAY_MAC} dev {c.interface} nud permanent",
        f"ip route add default via {c.gateway} dev {c.interface} onlink",
    ]
    lines += _iptables({"mangle": [
        f"-A OUTPUT -m comment --comment flowfall-mark -j TOS --set-tos {c.tos:#04x}/{mask}"]})
    return "\n".join(lines) + "\n"


def vm_script(v: Vm, customer_networks: list[str], policy: str) -> str:
    down_rule = "-A FORWARD -i up -o dn"
    if policy == "stateful":
        down_rule += " -m conntrack --ctstate ESTABLISHED,RELATED"
    lines = [
        "sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "
        "net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.dn.rp_filter=0 net.ipv4.conf.up.rp_filter=0",
    ] + _ns_common(["dn", "up"]) + [
        f"ip link set dev dn address {v.down_mac}",
        f"ip link set dev up address {v.up_mac}",
        f"ip addr add {VM_DN_ADDR} dev dn",
        f"ip addr add {VM_UP_ADDR} dev up",
        "ip link set dev dn up",
        "ip link set dev up up",
        f"ip neigh replace {VM_DN_NEXT_HOP} lladdr {VM_DN_NEXT_HOP_MAC} dev dn nud permanent",
        f"ip neigh replace {VM_UP_NEXT_HOP} lladdr {VM_UP_NEXT_HOP_MAC} dev up nud permanent",
        f"ip route add default via {VM_UP_NEXT_HOP} dev up",
    ]
    lines += [f"ip route add {net} via {VM_DN_NEXT_HOP} dev dn" for net in customer_networks]
    lines += _iptables({"filter": [
        ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
        "-A FORWARD -i dn -o up -m comment --comment flowfall-up -j ACCEPT",
        f"{down_rule} -m comment --comment flowfall-down -j ACCEPT",
        "-A FORWARD -m comment --comment flowfall-dropped -j DROP",
    ]})
    return "\n".join(lines) + "\n"


def router_script(r: Router) -> str:
    lines = _ns_common([r.interface]) + [
        f"ip link set dev {r.interface} address {r.mac}",
        f"ip addr add {r.cidr} dev {r.interface}",
        f"ip link set dev {r.interface} up",
        f"ip neigh replace {ROUTER_NEXT_HOP} lladdr {ROUTER_NEXT_HOP_MAC} dev {r.interface} nud permanent",
    ]
    lines += [f"ip route add {net} via {ROUTER_NEXT_HOP} dev {r.interface}" for net in r.routes]
    return "\n".join(lines) + "\n"


def build_hosts(plan: Plan) -> None:
    for ns in plan.namespaces():
        run(["ip", "netns", "add", ns])
    veths: list[tuple[str, str, str]] = [(c.root_interface, c.interface, c.namespace) for c in plan.customers]
    for v in plan.vms:
        veths += [(v.root_down_interface, "dn", v.namespace), (v.root_up_interface, "up", v.namespace)]
    r = plan.router
    veths.append((r.root_interface, r.interface, r.namespace))
    batch = [f"link add {root} type veth peer name {inner} netns {ns}" for root, inner, ns in veths]
    links = [b for b in plan.bypasses if b.kind == "veth"]
    batch += [f"link add {b.down_patch} type veth peer name {b.up_patch}" for b in links]
    run(["ip", "-batch", "-"], stdin="\n".join(batch) + "\n")
    roots = [root for root, _, _ in veths]
    # Both ends of a veth bypass link are OVS ports; they forward, never originate, but keep
    # them as quiet as the hosts' interfaces (no IPv6, no offload surprises).
    for b in links:
        roots += [b.down_patch, b.up_patch]
        for end in (b.down_patch, b.up_patch):
            run(["ethtool", "-K", end, "tx", "off"])
    if os.path.isdir("/proc/sys/net/ipv6"):
        run(["sysctl", "-q", "-w", *[f"net.ipv6.conf.{n}.disable_ipv6=1" for n in roots]])
    run(["ip", "-batch", "-"], stdin="".join(f"link set dev {n} up\n" for n in roots))


def configure_hosts(plan: Plan, vm_policy: str) -> None:
    networks = plan.router.routes
    scripts = [(c.namespace, customer_script(c, plan.tos_encoding)) for c in plan.customers]
    scripts += [(v.namespace, vm_script(v, networks, vm_policy)) for v in plan.vms]
    scripts.append((plan.router.namespace, router_script(plan.router)))
    for ns, script in scripts:
        run(["sh", "-e", "-s"], ns=ns, stdin=script)


def build_switches(directory: Path, plan: Plan, controllers: list[str]) -> None:
    t: list[str] = []

    def cmd(*args: str) -> None:
        t.append("--")
        t.extend(args)

    def bridge(name: str, extra: list[str]) -> None:
        cmd("add-br", name)
        cmd("set", "bridge", name, "datapath_type=netdev", "protocols=OpenFlow13", "fail_mode=secure",
            "other-config:disable-in-band=true", *extra)

    def port(br: str, iface: str, ofport: int, peer: str | None = None) -> None:
        cmd("add-port", br, iface)
        settings = [f"ofport_request={ofport}"]
        if peer is not None:
            settings = ["type=patch", f"options:peer={peer}"] + settings
        cmd("set", "interface", iface, *settings)

    by_index = plan.switches
    for s in by_index:
        bridge(s.bridge, [f"other-config:datapath-id={s.dpid}"])
        refs = []
        for i, target in enumerate(controllers):
            ref = f"@c{s.index}_{i}"
            t.extend(["--", f"--id={ref}", "create", "Controller", f'target="{target}"',
                      "max_backoff=1000", "connection_mode=out-of-band"])
            refs.append(ref)
        if refs:
            cmd("set", "bridge", s.bridge, f"controller=[{','.join(refs)}]")
    for c in plan.customers:
        port(by_index[0].bridge, c.root_interface, c.port)
    port(by_index[-1].bridge, plan.router.root_interface, plan.router.port)
    for b in plan.bypasses:
        patch = b.kind == "patch"
        port(by_index[b.layer_index].bridge, b.down_patch, b.down_port, b.up_patch if patch else None)
        port(by_index[b.layer_index + 1].bridge, b.up_patch, b.up_port, b.down_patch if patch else None)
    vms = {v.name: v for v in plan.vms}
    for h in plan.hypervisors:
        port(by_index[h.layer_index].bridge, h.down_patch, h.down_port, h.down_patch_peer)
        port(by_index[h.layer_index + 1].bridge, h.up_patch, h.up_port, h.up_patch_peer)
        bridge(h.down_bridge, [])
        bridge(h.up_bridge, [])
        port(h.down_bridge, h.down_patch_peer, 1, h.down_patch)
        port(h.up_bridge, h.up_patch_peer, 1, h.up_patch)
        for name in h.vms:
            v = vms[name]
            port(h.down_bridge, v.root_down_interface, v.hv_ofport)
            port(h.up_bridge, v.root_up_interface, v.hv_ofport)
    vsctl(directory, *t, timeout=60)

    # Hypervisor NICs: frames from the wire go to the VF owning the destination MAC, frames from a
    # VF go to the wire; anything else is dropped (fail_mode=secure, no table-miss flow).
    env = ovs_env(directory)
    for h in plan.hypervisors:
        down, up = [], []
        for name in h.vms:
            v = vms[name]
            down += [f"priority=100,in_port=1,dl_dst={v.down_mac},actions=output:{v.hv_ofport}",
                     f"priority=100,in_port={v.hv_ofport},actions=output:1"]
            up += [f"priority=100,in_port=1,dl_dst={v.up_mac},actions=output:{v.hv_ofport}",
                   f"priority=100,in_port={v.hv_ofport},actions=output:1"]
        for br, flows in ((h.down_bridge, down), (h.up_bridge, up)):
            if flows:
                run(["ovs-ofctl", "-O", "OpenFlow13", "add-flows", br, "-"], stdin="\n".join(flows) + "\n",
                    env=env)


def verify_ports(directory: Path, plan: Plan) -> None:
    doc = json.loads(vsctl(directory, "--format=json", "--columns=name,ofport,error", "list", "Interface"))
    seen = {}
    for name, ofport, error in doc.get("data", []):
        seen[name] = (ofport, error)
    wanted: dict[str, int] = {}
    for s in plan.switches:
        for p, iface in s.ports.items():
            wanted[iface] = p
    for h in plan.hypervisors:
        wanted[h.down_patch_peer] = 1
        wanted[h.up_patch_peer] = 1
    for v in plan.vms:
        wanted[v.root_down_interface] = v.hv_ofport
        wanted[v.root_up_interface] = v.hv_ofport
    problems = []
    for iface, port in sorted(wanted.items()):
        ofport, error = seen.get(iface, (None, None))
        if isinstance(error, str) and error:
            problems.append(f"{iface}: {error}")
        elif ofport != port:
            problems.append(f"{iface}: ofport {ofport}, wanted {port}")
    if problems:
        raise LabError("OVS did not attach every port as planned: " + "; ".join(problems))


# --------------------------------------------------------------------------------------------
# Tear-down
# --------------------------------------------------------------------------------------------

def teardown(directory: Path, namespaces: list[str], interfaces: list[str]) -> None:
    """Remove the lab's processes, daemons, devices and namespaces; absent ones are fine."""
    present_ns = existing_namespaces()
    mine = [ns for ns in namespaces if ns in present_ns]
    for ns in mine:
        # Processes started inside the lab's namespaces (echo servers, iperf3) die with it.
        pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
    for name in reversed(DAEMONS):
        stop_daemon(directory, name)
    links = existing_links()
    doomed = [n for n in interfaces if n in links]
    # The datapath tap outlives ovs-vswitchd; it is ours to remove when no other OVS uses it.
    if NETDEV_DATAPATH_TAP in links and not other_vswitchd(directory):
        doomed.append(NETDEV_DATAPATH_TAP)
    if doomed:
        # Deleting one end of a veth removes both at once (netns deletion would do it lazily).
        run(["ip", "-force", "-batch", "-"], stdin="".join(f"link del dev {n}\n" for n in doomed),
            check=False)
    for ns in mine:
        run(["ip", "netns", "del", ns], check=False)
    left = [n for n in doomed if n in existing_links()] + [n for n in mine if n in existing_namespaces()]
    if left:
        raise LabError(f"could not remove: {', '.join(left)}")
    (directory / STATE_FILE).unlink(missing_ok=True)


def load_state(directory: Path) -> dict | None:
    try:
        return json.loads((directory / STATE_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as e:
        raise LabError(f"{directory / STATE_FILE}: unreadable ({e})") from None


def write_state(directory: Path, state: dict) -> None:
    tmp = directory / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(directory / STATE_FILE)


# --------------------------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------------------------

def load_plan(config: str, prefix: str, bypass_kind: str = "patch") -> Plan:
    try:
        cfg = tomllib.loads(Path(config).read_text())
    except OSError as e:
        raise LabError(f"{config}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise LabError(f"{config}: {e}") from None
    return make_plan(cfg, prefix, bypass_kind)


def cmd_plan(args) -> int:
    """Print what `up` would build (lab.json without the run-time parts); needs no root."""
    plan = load_plan(args.config, args.prefix, args.bypass_links)
    state = plan_to_state(plan, Path(args.dir or "DIR"), args.controller, args.vm_policy)
    state["status"] = "planned"
    print(json.dumps(state, indent=2))
    return 0


def cmd_up(args) -> int:
    started = time.monotonic()
    plan = load_plan(args.config, args.prefix, args.bypass_links)
    for target in args.controller:
        if not CONTROLLER_RE.match(target):
            raise LabError(f"--controller: expected tcp:HOST:PORT, ssl:HOST:PORT or unix:PATH, found {target!r}")
    check_prerequisites()
    directory = Path(args.dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if len(str(directory / "ovs-vswitchd.4194304.ctl")) > 100:
        raise LabError(f"--dir {directory}: path too long for OVS unix sockets (keep it under ~70 characters)")

    state = plan_to_state(plan, directory, args.controller, args.vm_policy)
    state["owner_pid"] = args.owner_pid
    try:
        # Until this lab's vswitchd owns the datapath tap (its first bridge exists), no other
        # lab may claim or release it.
        with host_lock():
            # Leftovers: an earlier lab in this directory, and anything named with this prefix.
            old = load_state(directory)
            if old is not None:
                teardown(directory, old.get("namespaces", []), old.get("root_interfaces", []))
            stale_ns = [ns for ns in existing_namespaces() if ns.startswith(f"{plan.prefix}-")]
            teardown(directory, sorted(set(stale_ns) | set(plan.namespaces())), plan.root_interfaces())
            claim_netdev_datapath(directory)
            write_state(directory, state)
            state["pids"] = start_ovs(directory)
            build_hosts(plan)
            build_switches(directory, plan, args.controller)
        configure_hosts(plan, args.vm_policy)
        verify_ports(directory, plan)
    except LabBusy:
        raise
    except BaseException:
        try:
            with host_lock():
                teardown(directory, plan.namespaces(), plan.root_interfaces())
        except LabError as e:
            print(f"lab: cleanup after failed up also failed: {e}", file=sys.stderr)
        raise
    state["status"] = "up"
    state["up_seconds"] = round(time.monotonic() - started, 3)
    write_state(directory, state)
    print(f"lab up in {state['up_seconds']} s: {len(plan.switches)} junctions, {len(plan.customers)} "
          f"customers, {len(plan.vms)} VMs; state in {directory / STATE_FILE}")
    return 0


def cmd_down(args) -> int:
    started = time.monotonic()
    directory = Path(args.dir).resolve()
    state = load_state(directory) or {}
    if os.geteuid() != 0:
        raise LabError("the lab needs root")
    with host_lock():
        teardown(directory, state.get("namespaces", []), state.get("root_interfaces", []))
    print(f"lab down in {time.monotonic() - started:.3f} s")
    return 0


def controller_status(directory: Path, bridge: str) -> list[dict]:
    refs = vsctl(directory, "get", "bridge", bridge, "controller").strip().strip("[]")
    result = []
    for uuid in filter(None, (r.strip() for r in refs.split(","))):
        target = vsctl(directory, "get", "controller", uuid, "target").strip().strip('"')
        connected = vsctl(directory, "get", "controller", uuid, "is_connected").strip() == "true"
        result.append({"target": target, "connected": connected})
    return result


def cmd_status(args) -> int:
    directory = Path(args.dir).resolve()
    state = load_state(directory)
    pids = {name: daemon_pid(directory, name) for name in DAEMONS}
    out: dict = {"dir": str(directory), "status": state["status"] if state else "down", "daemons": pids}
    if state is not None:
        present = existing_namespaces()
        out["namespaces"] = {ns: ns in present for ns in state.get("namespaces", [])}
        if None not in pids.values():
            env = ovs_env(directory)
            switches = {}
            for s in state["switches"]:
                flows = run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", s["bridge"]], env=env,
                            check=False).stdout
                switches[s["name"]] = {
                    "bridge": s["bridge"], "controllers": controller_status(directory, s["bridge"]),
                    "flows": sum(1 for line in flows.splitlines() if "actions=" in line)}
            out["switches"] = switches
    print(json.dumps(out, indent=2))
    return 0


_COUNTER_RE = re.compile(r"^\[(\d+):(\d+)\] -A FORWARD .*--comment flowfall-(up|down|dropped)\b")


def parse_counters(iptables_save: str) -> dict[str, int]:
    counts = {f"{tag}_{unit}": 0 for tag in COUNTER_TAGS for unit in ("packets", "bytes")}
    for line in iptables_save.splitlines():
        m = _COUNTER_RE.match(line)
        if m:
            counts[f"{m.group(3)}_packets"] += int(m.group(1))
            counts[f"{m.group(3)}_bytes"] += int(m.group(2))
    return counts


def cmd_counters(args) -> int:
    directory = Path(args.dir).resolve()
    state = load_state(directory)
    if state is None or state.get("status") != "up":
        raise LabError(f"no lab is up in {directory}")
    out = {}
    for vm in state["vms"]:
        text = run(["iptables-save", "-c", "-t", "filter"], ns=vm["namespace"]).stdout
        out[vm["name"]] = {"layer": vm["layer"], **parse_counters(text)}
        if args.zero:
            run(["iptables", "-Z", "FORWARD"], ns=vm["namespace"])
    print(json.dumps(out, indent=2))
    return 0


def cmd_echo(args) -> int:
    deadline = time.monotonic() + args.timeout
    kind = socket.SOCK_DGRAM if args.proto == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.bind, args.port))
        if args.proto == "tcp":
            s.listen(16)
        print("ready", flush=True)
        while (left := deadline - time.monotonic()) > 0:
            s.settimeout(min(left, 0.5))
            try:
                if args.proto == "udp":
                    data, peer = s.recvfrom(65535)
                    s.sendto(data, peer)
                else:
                    conn, _ = s.accept()
                    threading.Thread(target=_echo_stream, args=(conn, deadline), daemon=True).start()
            except (socket.timeout, TimeoutError):
                continue
    return 0


def _echo_stream(conn: socket.socket, deadline: float) -> None:
    with conn:
        while (left := deadline - time.monotonic()) > 0:
            conn.settimeout(min(left, 1.0))
            try:
                data = conn.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            if not data:
                return
            conn.sendall(data)


def cmd_probe(args) -> int:
    """Send to an echo server; print {"proto","sent","received"} (datagrams for UDP, bytes for TCP)."""
    payload = bytes((i * 7 + 13) & 0xFF for i in range(args.size))
    if args.proto == "udp":
        received = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            if args.src:
                s.bind((args.src, 0))
            for seq in range(args.count):
                msg = seq.to_bytes(4, "big") + payload[4:]
                s.sendto(msg, (args.dst, args.port))
                deadline = time.monotonic() + args.wait
                while (left := deadline - time.monotonic()) > 0:
                    s.settimeout(left)
                    try:
                        data = s.recv(65535)
                    except (socket.timeout, TimeoutError):
                        break
                    if data == msg:
                        received += 1
                        break
        print(json.dumps({"proto": "udp", "sent": args.count, "received": received}))
        return 0
    total = payload * args.count
    got = bytearray()
    deadline = time.monotonic() + args.wait * max(args.count, 1)
    connected = False
    try:
        with socket.create_connection((args.dst, args.port), timeout=args.wait,
                                      source_address=(args.src, 0) if args.src else None) as s:
            connected = True

            def send() -> None:
                try:
                    s.sendall(total)
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            while len(got) < len(total) and (left := deadline - time.monotonic()) > 0:
                s.settimeout(min(left, 1.0))
                try:
                    chunk = s.recv(65536)
                except (socket.timeout, TimeoutError):
                    continue
                if not chunk:
                    break
                got += chunk
    except OSError:
        pass
    print(json.dumps({"proto": "tcp", "connected": connected, "sent": len(total), "received": len(got),
                      "intact": bytes(got) == total}))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="lab.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="build the lab")
    plan = sub.add_parser("plan", help="print the lab.json `up` would write, building nothing")
    for sp in (up, plan):
        sp.add_argument("--config", required=True, help="topology TOML (docs/config.md)")
        sp.add_argument("--dir", required=sp is up,
                        help="private run directory (OVS db, sockets, logs, lab.json)")
        sp.add_argument("--controller", action="append", default=[],
                        help="OpenFlow controller target for every junction, e.g. tcp:127.0.0.1:6653 "
                             "(repeatable; none: the junctions stay empty)")
        sp.add_argument("--prefix", default="ff", help="1-4 characters naming this lab's namespaces and devices")
        sp.add_argument("--vm-policy", choices=("stateful", "open"), default="stateful",
                        help="VM forwarding: stateful (downstream only for connections seen upstream) or open")
        sp.add_argument("--bypass-links", choices=BYPASS_KINDS, default="patch",
                        help="bypass links as OVS patch-port pairs (default) or veth pairs, whose link "
                             "can be set down (ip link set dev <down_patch> down) for link-loss tests")
    up.add_argument("--owner-pid", type=int,
                    help="pid of the process the lab belongs to: once it is gone, a later `up` may "
                         "tear this lab down (the Rust harness passes its own pid)")
    for name, helptext in (("down", "remove the lab"), ("status", "print the lab's state as JSON")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("--dir", required=True)
    cnt = sub.add_parser("counters", help="per-VM forward counters as JSON")
    cnt.add_argument("--dir", required=True)
    cnt.add_argument("--zero", action="store_true", help="zero the counters after reading them")
    echo = sub.add_parser("echo", help="echo server (run it inside a namespace)")
    echo.add_argument("--proto", choices=("udp", "tcp"), required=True)
    echo.add_argument("--port", type=int, required=True)
    echo.add_argument("--bind", default="0.0.0.0")
    echo.add_argument("--timeout", type=float, default=60.0, help="exit after this many seconds")
    probe = sub.add_parser("probe", help="echo client (run it inside a namespace)")
    probe.add_argument("--proto", choices=("udp", "tcp"), required=True)
    probe.add_argument("--dst", required=True)
    probe.add_argument("--port", type=int, required=True)
    probe.add_argument("--src", help="source address (a customer with several addresses)")
    probe.add_argument("--count", type=int, default=5, help="datagrams (UDP) or payload repetitions (TCP)")
    probe.add_argument("--size", type=int, default=200, help="payload bytes (UDP: at least 4)")
    probe.add_argument("--wait", type=float, default=1.0, help="seconds to wait per datagram / repetition")
    args = p.parse_args(argv)
    if getattr(args, "size", 4) < 4 or getattr(args, "count", 0) < 0:
        p.error("--size must be at least 4 and --count non-negative")
    handlers = {"up": cmd_up, "plan": cmd_plan, "down": cmd_down, "status": cmd_status, "counters": cmd_counters,
                "echo": cmd_echo, "probe": cmd_probe}
    try:
        return handlers[args.command](args)
    except LabError as e:
        print(f"lab: {e}", file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main())
