//! Chain-wide options (`[chain]`) and the small per-layer choice enums.

use std::fmt;

use flowfall_tos::Encoding;
use serde::{Deserialize, Serialize};

/// Implements `Display` with the serde (configuration) spelling of each variant.
macro_rules! config_names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The spelling used in the configuration file.
            pub const fn name(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $name,)+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// Where a customer's service set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceSource {
    /// The paper's way (section 4.2): the CPE marks the ToS byte; flows match the customer's
    /// configured ToS value, so at most [`Encoding::capacity`] layers.
    #[default]
    Tos,
    /// From the configuration only; the ToS byte is ignored and the layer limit is 64.
    Config,
}

/// When flows are installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// All flows compiled and installed up front.
    #[default]
    Proactive,
    /// Flows installed per first packet (packet-in), as the paper did; they expire after
    /// [`Chain::idle_timeout`].
    Reactive,
}

/// Anti-spoofing at J0: what happens to upstream traffic on a customer's edge port that does
/// not carry that customer's identity (source address among its prefixes and, with
/// [`ServiceSource::Tos`], its configured ToS value).
///
/// Unknown source addresses are always dropped: they would be steered as nobody's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpoofAction {
    /// Drop it, including a known source that carries a ToS value other than its own.
    #[default]
    Drop,
    /// A known source with a wrong ToS value has its service bits rewritten to the customer's
    /// value (DSCP only under [`Encoding::Dscp`]) and then follows its configured chain.
    Remark,
}

/// The VM-selection algorithm of a layer (implemented by `flowfall-select`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SelectorKind {
    /// The paper's MD5 of the address modulo the number of VMs.
    Md5Mod,
    /// Rendezvous (highest-random-weight) hashing.
    Rendezvous,
    /// Maglev consistent hashing (default).
    #[default]
    Maglev,
}

/// What a layer does with customers that need it while none of its VMs is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WhenEmpty {
    /// Drop their traffic (default): a firewall is never skipped.
    #[default]
    FailClosed,
    /// Send it over the layer's bypass link.
    FailOpen,
}

config_names!(ServiceSource { Tos => "tos", Config => "config" });
config_names!(Mode { Proactive => "proactive", Reactive => "reactive" });
config_names!(SpoofAction { Drop => "drop", Remark => "remark" });
config_names!(SelectorKind { Md5Mod => "md5mod", Rendezvous => "rendezvous", Maglev => "maglev" });
config_names!(WhenEmpty { FailClosed => "fail-closed", FailOpen => "fail-open" });

/// The validated `[chain]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// Free-text name of the chain.
    pub name: String,
    /// How service sets are written into the ToS byte.
    pub tos_encoding: Encoding,
    /// Where customers' service sets come from.
    pub service_source: ServiceSource,
    /// Proactive or reactive flow installation.
    pub mode: Mode,
    /// Idle timeout of reactive flows, seconds (1..=65535 in reactive mode).
    pub idle_timeout: u16,
    /// Anti-spoofing behaviour at J0.
    pub spoof_action: SpoofAction,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_serde_spelling() {
        #[derive(Serialize)]
        struct W<T> {
            v: T,
        }
        fn check<T: Serialize + fmt::Display + Copy>(values: &[T]) {
            for &v in values {
                let toml = toml::to_string(&W { v }).unwrap_or_default();
                assert_eq!(toml.trim(), format!("v = \"{v}\""));
            }
        }
        check(&[ServiceSource::Tos, ServiceSource::Config]);
        check(&[Mode::Proactive, Mode::Reactive]);
        check(&[SpoofAction::Drop, SpoofAction::Remark]);
        check(&[
            SelectorKind::Md5Mod,
            SelectorKind::Rendezvous,
            SelectorKind::Maglev,
        ]);
        check(&[WhenEmpty::FailClosed, WhenEmpty::FailOpen]);
    }
}
