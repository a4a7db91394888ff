//! The synthetic flow set of the switch-programming benchmark, in two forms that describe
//! the same entries: typed FLOW_MODs (what `flowfall-loadgen install` sends) and
//! `ovs-ofctl add-flows` text lines (what `ovs-ofctl` is timed with).
//!
//! Entry `i` is shaped like a FlowFall upstream entry (architecture §3): table 0, priority
//! 1000, cookie `i`, match `in_port=1, eth_type=IPv4, ip_dscp=i mod 64, ipv4_src=10.0.0.0+i`
//! (a host), actions `set_field eth_dst, output`. Distinct `ipv4_src` makes every entry
//! distinct, up to 2^24 entries.

use std::net::Ipv4Addr;

use flowfall_ofp::{Action, FlowMod, Instruction, MacAddr, Match, Oxm};

/// Most entries a flow set can have (the 10.0.0.0/8 source addresses).
pub const MAX_FLOWS: usize = 1 << 24;
/// Priority of every entry.
pub const PRIORITY: u16 = 1000;
/// Ingress port matched by every entry.
pub const IN_PORT: u32 = 1;
/// Output ports cycle over `FIRST_OUT_PORT..FIRST_OUT_PORT + OUT_PORTS`.
pub const FIRST_OUT_PORT: u32 = 2;
/// Number of distinct output ports.
pub const OUT_PORTS: u32 = 4;

/// The fields of entry `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticFlow {
    /// Index (also the cookie).
    pub index: u32,
    /// Matched source address.
    pub src: Ipv4Addr,
    /// Matched DSCP.
    pub dscp: u8,
    /// Destination MAC set.
    pub eth_dst: MacAddr,
    /// Output port.
    pub out_port: u32,
}

impl SyntheticFlow {
    /// Entry `i` (`i < MAX_FLOWS`; larger indexes wrap).
    pub fn nth(i: u32) -> SyntheticFlow {
        let i = i % MAX_FLOWS as u32;
        let b = i.to_be_bytes();
        SyntheticFlow {
            index: i,
            src: Ipv4Addr::from((10u32 << 24) | i),
            dscp: (i % 64) as u8,
            eth_dst: MacAddr([0x02, 0x00, 0x5e, b[1], b[2], b[3]]),
            out_port: FIRST_OUT_PORT + i % OUT_PORTS,
        }
    }

    /// As a FLOW_MOD ADD.
    pub fn flow_mod(&self) -> FlowMod {
        let m = Match::new()
            .with(Oxm::InPort(IN_PORT))
            .with(Oxm::EthType(0x0800))
            .with(Oxm::IpDscp(self.dscp))
            .with(Oxm::Ipv4Src(self.src, None));
        let mut fm = FlowMod::add(
            0,
            PRIORITY,
            m,
            vec![Instruction::ApplyActions(vec![
                Action::SetField(Oxm::EthDst(self.eth_dst, None)),
                Action::Output {
                    port: self.out_port,
                    max_len: 0,
                },
            ])],
        );
        fm.cookie = u64::from(self.index);
        fm
    }

    /// As an `ovs-ofctl add-flows` line (OpenFlow 1.3 field names).
    pub fn ofctl_line(&self) -> String {
        format!(
            "table=0,priority={PRIORITY},cookie={:#x},in_port={IN_PORT},ip,ip_dscp={},nw_src={},actions=set_field:{}->eth_dst,output:{}",
            self.index, self.dscp, self.src, self.eth_dst, self.out_port
        )
    }
}

/// Entries `0..n`.
pub fn flows(n: usize) -> impl Iterator<Item = SyntheticFlow> {
    (0..n.min(MAX_FLOWS) as u32).map(SyntheticFlow::nth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn entries_are_distinct_and_consistent() {
        let all: Vec<SyntheticFlow> = flows(1000).collect();
        assert_eq!(all.len(), 1000);
        let srcs: HashSet<Ipv4Addr> = all.iter().map(|f| f.src).collect();
        assert_eq!(srcs.len(), 1000);
        let f = SyntheticFlow::nth(300);
        assert_eq!(f.src, Ipv4Addr::new(10, 0, 1, 44));
        assert_eq!(u32::from(f.dscp), 300 % 64);
        let fm = f.flow_mod();
        assert_eq!(fm.cookie, 300);
        assert!(fm.match_.fields.contains(&Oxm::Ipv4Src(f.src, None)));
        assert_eq!(fm.instructions.len(), 1);
    }

    #[test]
    fn ofctl_line_names_the_same_fields() {
        let line = SyntheticFlow::nth(1).ofctl_line();
        assert_eq!(
            line,
            "table=0,priority=1000,cookie=0x1,in_port=1,ip,ip_dscp=1,nw_src=10.0.0.1,actions=set_field:02:00:5e:00:00:01->eth_dst,output:3"
        );
    }

    #[test]
    fn count_is_capped() {
        assert_eq!(flows(3).count(), 3);
        assert_eq!(SyntheticFlow::nth(MAX_FLOWS as u32).index, 0);
    }
}
