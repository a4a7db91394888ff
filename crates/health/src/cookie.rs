//! Cookies and priorities of the flow entries this crate asks switches to hold.
//!
//! # Cookie layout (64 bits, most significant first)
//!
//! | bits   | width | field     | value                                                     |
//! |--------|-------|-----------|-----------------------------------------------------------|
//! | 63..60 | 4     | kind      | [`HEALTH_KIND`] (`0xe`): "health", never a compile kind   |
//! | 59..56 | 4     | purpose   | [`Purpose`]: probe return, LLDP, NAT detection            |
//! | 55..44 | 12    | switch    | index of the junction the entry is for (LLDP: the first junction on the datapath) |
//! | 43..0  | 44    | owner     | always 0                                                  |
//!
//! `flowfall-compile` (`cookie.rs`) uses kinds 1..=5 in bits 63..60 and its owner ids (never
//! 0 for a customer address) in bits 43..0, so health entries are foreign to the compiler's
//! reconciliation (`Cookie::kind()` is `None`) and no customer's owner filter
//! (`(owner, OWNER_MASK)`) selects them. [`health_filter`] selects all of them at once, for a
//! flow-stats request or an `OFPFC_DELETE` with a cookie mask (OpenFlow 1.3.5 §6.4).
//!
//! # Priorities
//!
//! The compiler uses table 0 with priorities 0 (table-miss), 1 (reactive IP-miss), 100
//! (anti-spoofing at J0), 500 + prefix length (reactive punts) and 1000 + prefix length
//! (customer address entries, at most 1128). Probe returns and LLDP sit above all of them
//! ([`PRIORITY_PROBE_RETURN`], [`PRIORITY_LLDP`]): a probe shares its `in_port` with customer
//! traffic and must never be steered onwards like it. NAT detection sits between the IP-miss
//! and the anti-spoofing entries ([`PRIORITY_NAT`]): it only sees upstream IPv4 packets that
//! no customer entry claimed, which would otherwise hit the table-miss drop.

use std::fmt;

/// Table all health entries go to (the compiler's single table).
pub const TABLE: u8 = 0;
/// Priority of the probe-return entries: above every compiled entry.
pub const PRIORITY_PROBE_RETURN: u16 = 0xf000;
/// Priority of the LLDP-to-controller entries: above every compiled entry.
pub const PRIORITY_LLDP: u16 = 0xf000;
/// Priority of the NAT-detection entries: above the compiler's table-miss (0) and reactive
/// IP-miss (1), below its anti-spoofing (100) and customer entries (1000 and up).
pub const PRIORITY_NAT: u16 = 50;

/// The kind nibble (bits 63..60) of every health cookie.
pub const HEALTH_KIND: u64 = 0xe;
/// Bits of the cookie holding the kind.
pub const KIND_MASK: u64 = 0xf << 60;
/// Bits of the cookie holding the purpose.
pub const PURPOSE_MASK: u64 = 0xf << 56;
/// Bits of the cookie holding the switch index.
pub const SWITCH_MASK: u64 = 0xfff << 44;

/// What a health entry is for (cookie bits 59..56).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Returns liveness probes to the controller at a layer's upper switch.
    ProbeReturn = 1,
    /// Sends LLDP frames to the controller.
    Lldp = 2,
    /// Sends unclaimed upstream IPv4 from VD ports to the controller (NAT-in-chain detection).
    Nat = 3,
}

impl Purpose {
    /// Every purpose, in value order.
    pub const ALL: [Purpose; 3] = [Purpose::ProbeReturn, Purpose::Lldp, Purpose::Nat];

    /// Short name: `probe-return`, `lldp`, `nat`.
    pub const fn name(self) -> &'static str {
        match self {
            Purpose::ProbeReturn => "probe-return",
            Purpose::Lldp => "lldp",
            Purpose::Nat => "nat",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The cookie of a health entry for `purpose` on junction `switch` (indices above 4095 are
/// cut to 12 bits; a chain has far fewer junctions).
pub const fn cookie(purpose: Purpose, switch: usize) -> u64 {
    (HEALTH_KIND << 60) | ((purpose as u64) << 56) | (((switch as u64) & 0xfff) << 44)
}

/// The purpose and switch index of a health cookie, or `None` for any other cookie.
pub fn parse(cookie: u64) -> Option<(Purpose, usize)> {
    if cookie & KIND_MASK != HEALTH_KIND << 60
        || cookie & !(KIND_MASK | PURPOSE_MASK | SWITCH_MASK) != 0
    {
        return None;
    }
    let value = ((cookie & PURPOSE_MASK) >> 56) as u8;
    let purpose = Purpose::ALL.into_iter().find(|p| *p as u8 == value)?;
    Some((purpose, ((cookie & SWITCH_MASK) >> 44) as usize))
}

/// Whether `cookie` belongs to a health entry.
pub fn is_health(cookie: u64) -> bool {
    parse(cookie).is_some()
}

/// `(cookie, cookie_mask)` selecting every health entry.
pub const fn health_filter() -> (u64, u64) {
    (HEALTH_KIND << 60, KIND_MASK)
}

/// `(cookie, cookie_mask)` selecting the health entries of one purpose.
pub const fn purpose_filter(purpose: Purpose) -> (u64, u64) {
    (
        (HEALTH_KIND << 60) | ((purpose as u64) << 56),
        KIND_MASK | PURPOSE_MASK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowfall_compile::cookie::{Cookie, OWNER_MASK};
    use flowfall_compile::rules::{
        PRIORITY_ADDRESS, PRIORITY_ANTI_SPOOF, PRIORITY_IP_MISS, PRIORITY_PUNT,
    };
    use proptest::prelude::*;

    #[test]
    fn layout() {
        let c = cookie(Purpose::Lldp, 3);
        assert_eq!(c, 0xe200_3000_0000_0000);
        assert_eq!(parse(c), Some((Purpose::Lldp, 3)));
        assert_eq!(parse(c | 1), None, "owner bits must be zero");
        assert_eq!(parse(0xe400_0000_0000_0000), None, "unknown purpose");
        let (value, mask) = health_filter();
        assert!(Purpose::ALL.iter().all(|&p| cookie(p, 9) & mask == value));
        let (value, mask) = purpose_filter(Purpose::Nat);
        assert_eq!(cookie(Purpose::Nat, 1) & mask, value);
        assert_ne!(cookie(Purpose::Lldp, 1) & mask, value);
    }

    // Priorities: above every compiled entry (at most PRIORITY_ADDRESS + 128), or between
    // the compiler's IP-miss and anti-spoofing entries. Checked when the tests compile.
    const _: () = {
        assert!(PRIORITY_PROBE_RETURN > PRIORITY_ADDRESS + 128);
        assert!(PRIORITY_LLDP > PRIORITY_ADDRESS + 128);
        assert!(PRIORITY_PUNT < PRIORITY_ADDRESS);
        assert!(PRIORITY_NAT > PRIORITY_IP_MISS && PRIORITY_NAT < PRIORITY_ANTI_SPOOF);
    };

    #[test]
    fn clear_of_the_compiler() {
        // Cookies: foreign to the compiler, invisible to its owner filters.
        for p in Purpose::ALL {
            let c = cookie(p, 7);
            assert_eq!(Cookie(c).kind(), None);
            assert_eq!(c & OWNER_MASK, 0);
        }
    }

    proptest! {
        #[test]
        fn round_trip(switch in 0usize..4096, p in 0usize..3) {
            let purpose = Purpose::ALL[p];
            prop_assert_eq!(parse(cookie(purpose, switch)), Some((purpose, switch)));
        }

        #[test]
        fn compiler_cookies_are_not_health(kind in 1u64..=5, rest in any::<u64>()) {
            prop_assert!(!is_health((kind << 60) | (rest & !KIND_MASK)));
        }
    }
}
