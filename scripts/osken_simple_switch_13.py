#!/usr/bin/env python3
"""An OpenFlow 1.3 learning switch on os-ken, behaving like Ryu's sample simple_switch_13.

os-ken (the maintained Ryu fork, `pip install os-ken`) ships neither Ryu's sample
applications nor, since 4.0, the `osken-manager` command. This file is both: run it and it
starts os-ken's OpenFlow controller with the learning-switch application below, the way
`osken-manager --ofp-tcp-listen-port PORT simple_switch_13` would.

Behaviour (the classic sample's): on connect, a table-miss entry (priority 0, match all,
output to the controller, whole packet); per PACKET_IN, learn source MAC -> in_port for the
datapath; if the destination is known, install a priority-1 entry matching
in_port/eth_dst/eth_src that outputs to its port (using the switch's buffer when the packet
came with one, in which case no PACKET_OUT follows); otherwise flood; then PACKET_OUT.

Usage: scripts/osken_simple_switch_13.py --port 6653 [--pid-file F] [--verbose]
"""

import argparse
import logging
import os
import sys

from os_ken.lib import hub

hub.patch(thread=True)

from os_ken import cfg  # noqa: E402
from os_ken.base import app_manager  # noqa: E402
from os_ken.controller import ofp_event  # noqa: E402
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls  # noqa: E402
from os_ken.lib.packet import ethernet, ether_types, packet  # noqa: E402
from os_ken.ofproto import ofproto_v1_3  # noqa: E402


class LearningSwitch13(app_manager.OSKenApp):
    """MAC-learning switch, one table per datapath."""

    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mac_to_port = {}

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def switch_features(self, ev):
        dp = ev.msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        actions = [parser.OFPActionOutput(ofp.OFPP_CONTROLLER, ofp.OFPCML_NO_BUFFER)]
        self.install(dp, 0, parser.OFPMatch(), actions)

    @staticmethod
    def install(dp, priority, match, actions, buffer_id=None):
        ofp, parser = dp.ofproto, dp.ofproto_parser
        inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]
        kwargs = dict(datapath=dp, priority=priority, match=match, instructions=inst)
        if buffer_id is not None:
            kwargs["buffer_id"] = buffer_id
        dp.send_msg(parser.OFPFlowMod(**kwargs))

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        in_port = msg.match["in_port"]
        eth = packet.Packet(msg.data).get_protocols(ethernet.ethernet)
        if not eth or eth[0].ethertype == ether_types.ETH_TYPE_LLDP:
            return
        src, dst = eth[0].src, eth[0].dst
        table = self.mac_to_port.setdefault(dp.id, {})
        table[src] = in_port
        out_port = table.get(dst, ofp.OFPP_FLOOD)
        actions = [parser.OFPActionOutput(out_port)]
        if out_port != ofp.OFPP_FLOOD:
            match = parser.OFPMatch(in_port=in_port, eth_dst=dst, eth_src=src)
            if msg.buffer_id != ofp.OFP_NO_BUFFER:
                self.install(dp, 1, match, actions, msg.buffer_id)
                return
            self.install(dp, 1, match, actions)
        data = msg.data if msg.buffer_id == ofp.OFP_NO_BUFFER else None
        dp.send_msg(parser.OFPPacketOut(datapath=dp, buffer_id=msg.buffer_id,
                                        in_port=in_port, actions=actions, data=data))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=6653, help="OpenFlow TCP port to listen on")
    ap.add_argument("--pid-file", help="write the process id here")
    ap.add_argument("--verbose", action="store_true", help="os-ken's INFO logs")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    cfg.CONF(args=["--ofp-tcp-listen-port", str(args.port)], project="os_ken")
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(str(os.getpid()))
    app_manager.AppManager.run_apps([os.path.abspath(__file__)])


if __name__ == "__main__":
    sys.exit(main())
