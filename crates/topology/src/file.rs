//! The configuration file as written (`docs/config.md`), before validation.
//!
//! These types mirror the TOML one to one. Values whose *format* can be wrong (MACs, addresses,
//! datapath ids) and numbers whose *range* can be wrong are kept raw (`String`, `i64`) so that
//! [`Topology::from_config`](crate::Topology::from_config) can report every such problem with
//! its path; only TOML syntax, unknown keys and wrong value types stop parsing early.
//!
//! Programs that generate configurations (like [`synthetic`](crate::synthetic)) build a
//! [`ConfigFile`] and either validate it directly or write it with
//! [`ConfigFile::to_toml_string`].

use std::fmt;

use flowfall_tos::Encoding;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{ConfigError, ConfigErrors};
use crate::options::{Mode, SelectorKind, ServiceSource, SpoofAction, WhenEmpty};

/// Largest configuration text accepted, bytes (a 100 000-customer file is about 12 MiB).
pub const MAX_CONFIG_BYTES: usize = 256 << 20;

/// Default of `chain.idle_timeout`, seconds.
pub const DEFAULT_IDLE_TIMEOUT: i64 = 300;

/// A whole configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `[chain]`: chain-wide options (all optional).
    #[serde(default)]
    pub chain: ChainSection,
    /// `[[switches]]`: junction switches J0..Jn in chain order.
    #[serde(default)]
    pub switches: Vec<SwitchEntry>,
    /// `[backbone]`: the backbone-router edge on the last switch.
    pub backbone: BackboneEntry,
    /// `[[layers]]`: VNF layers in chain order.
    #[serde(default)]
    pub layers: Vec<LayerEntry>,
    /// `[[customers]]`: customer edges on the first switch.
    #[serde(default)]
    pub customers: Vec<CustomerEntry>,
}

/// `[chain]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSection {
    /// `name`: free text.
    #[serde(default)]
    pub name: String,
    /// `tos_encoding`: `"dscp"` (default) or `"tos8"`.
    #[serde(default)]
    pub tos_encoding: Encoding,
    /// `service_source`: `"tos"` (default) or `"config"`.
    #[serde(default)]
    pub service_source: ServiceSource,
    /// `mode`: `"proactive"` (default) or `"reactive"`.
    #[serde(default)]
    pub mode: Mode,
    /// `idle_timeout`: seconds, default 300.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: i64,
    /// `spoof_action`: `"drop"` (default) or `"remark"`.
    #[serde(default)]
    pub spoof_action: SpoofAction,
}

fn default_idle_timeout() -> i64 {
    DEFAULT_IDLE_TIMEOUT
}

impl Default for ChainSection {
    fn default() -> Self {
        ChainSection {
            name: String::new(),
            tos_encoding: Encoding::default(),
            service_source: ServiceSource::default(),
            mode: Mode::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            spoof_action: SpoofAction::default(),
        }
    }
}

/// `[[switches]]`: one junction switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchEntry {
    /// `name`.
    pub name: String,
    /// `dpid`: an integer or 16 hex digits (colons optional).
    pub dpid: DpidValue,
    /// `vlan`: optional VLAN scope (1..=4094).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
    /// `capacity`: optional flow-table capacity in entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
}

/// A datapath id as written: an integer or a hex string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DpidValue {
    /// `dpid = 1`.
    Int(i64),
    /// `dpid = "00:00:00:00:00:00:00:01"`.
    Text(String),
}

impl From<u64> for DpidValue {
    /// Integers that fit TOML's `i64` stay integers; larger ones become hex text.
    fn from(dpid: u64) -> Self {
        match i64::try_from(dpid) {
            Ok(n) => DpidValue::Int(n),
            Err(_) => DpidValue::Text(crate::model::format_dpid(dpid)),
        }
    }
}

impl<'de> Deserialize<'de> for DpidValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DpidVisitor;

        impl Visitor<'_> for DpidVisitor {
            type Value = DpidValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a datapath id: an integer or 16 hex digits")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DpidValue, E> {
                Ok(DpidValue::Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DpidValue, E> {
                Ok(DpidValue::from(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<DpidValue, E> {
                Ok(DpidValue::Text(v.to_owned()))
            }
        }

        deserializer.deserialize_any(DpidVisitor)
    }
}

/// `[backbone]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackboneEntry {
    /// `port`: the edge-up port on the last switch.
    pub port: i64,
    /// `router_mac`: the backbone router's MAC.
    pub router_mac: String,
}

/// `[[layers]]`: one VNF layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerEntry {
    /// `name`: also the service name customers list.
    pub name: String,
    /// `bit`: service bit position; default the layer's index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit: Option<i64>,
    /// `selector`: VM-selection algorithm, default `"maglev"`.
    #[serde(default)]
    pub selector: SelectorKind,
    /// `when_empty`: `"fail-closed"` (default) or `"fail-open"`.
    #[serde(default)]
    pub when_empty: WhenEmpty,
    /// `bypass`: bypass links (BU port below, BD port above).
    #[serde(default)]
    pub bypass: Vec<BypassEntry>,
    /// `[[layers.hypervisors]]`.
    #[serde(default)]
    pub hypervisors: Vec<HypervisorEntry>,
}

/// One bypass link of a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BypassEntry {
    /// `down_port`: BU port on the layer's lower switch.
    pub down_port: i64,
    /// `up_port`: BD port on the layer's upper switch.
    pub up_port: i64,
}

/// `[[layers.hypervisors]]`: one hypervisor (or hardware box) of a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HypervisorEntry {
    /// `name`.
    pub name: String,
    /// `down_port`: VU port on the layer's lower switch (the downlink NIC).
    pub down_port: i64,
    /// `up_port`: VD port on the layer's upper switch (the uplink NIC).
    pub up_port: i64,
    /// `[[layers.hypervisors.vms]]`.
    #[serde(default)]
    pub vms: Vec<VmEntry>,
}

/// `[[layers.hypervisors.vms]]`: one VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmEntry {
    /// `name`: the VM's stable identity.
    pub name: String,
    /// `down_mac`: MAC of the downlink VF.
    pub down_mac: String,
    /// `up_mac`: MAC of the uplink VF.
    pub up_mac: String,
    /// `weight`: default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

/// `[[customers]]`: one customer edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerEntry {
    /// `name`.
    pub name: String,
    /// `port`: edge port on the first switch.
    pub port: i64,
    /// `cpe_mac`: the CPE's MAC.
    pub cpe_mac: String,
    /// `ipv4`: hosts or prefixes.
    #[serde(default)]
    pub ipv4: Vec<String>,
    /// `ipv6`: hosts or prefixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6: Vec<String>,
    /// `services`: layer names.
    #[serde(default)]
    pub services: Vec<String>,
}

/// Refuses configuration text longer than [`MAX_CONFIG_BYTES`].
pub(crate) fn check_size(len: usize) -> Result<(), ConfigErrors> {
    if len > MAX_CONFIG_BYTES {
        return Err(ConfigErrors::single(ConfigError::new(
            "",
            format!("configuration is {len} bytes, more than the {MAX_CONFIG_BYTES}-byte limit"),
        )));
    }
    Ok(())
}

impl ConfigFile {
    /// Parses TOML text. Stops at the first syntax error, unknown key or wrong value type,
    /// reported with its path and line; everything else is left to validation.
    ///
    /// # Errors
    /// One [`ConfigError`] with the path (e.g. `layers[1].hypervisors[0].down_port`), the
    /// line and column, and toml's message.
    pub fn from_toml_str(text: &str) -> Result<ConfigFile, ConfigErrors> {
        check_size(text.len())?;
        let deserializer = toml::Deserializer::new(text);
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            ConfigErrors::single(ConfigError::from_toml(path, &inner, text))
        })
    }

    /// Writes the configuration as TOML.
    ///
    /// # Errors
    /// toml's serializer error (not expected for values this type can hold).
    pub fn to_toml_string(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [backbone]
        port = 1
        router_mac = "02:00:00:00:ff:01"
    "#;

    #[test]
    fn defaults_apply() {
        let file = ConfigFile::from_toml_str(MINIMAL);
        let file = file.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.chain, ChainSection::default());
        assert_eq!(file.chain.idle_timeout, 300);
        assert!(file.switches.is_empty() && file.layers.is_empty());
    }

    #[test]
    fn type_error_has_path_and_line() {
        let text = format!(
            "{MINIMAL}\n[[layers]]\nname = \"fw\"\n[[layers.hypervisors]]\nname = \"hv\"\ndown_port = \"two\"\nup_port = 2\n"
        );
        let errs = ConfigFile::from_toml_str(&text).unwrap_err();
        let e = &errs.errors()[0];
        assert_eq!(e.path, "layers[0].hypervisors[0].down_port");
        assert_eq!(e.location.map(|l| l.line), Some(10));
        assert!(e.message.contains("invalid type: string \"two\""), "{e}");
    }

    #[test]
    fn unknown_key_is_rejected_with_path() {
        let text = format!(
            "{MINIMAL}\n[[customers]]\nname = \"c\"\nport = 1\ncpe_mac = \"x\"\nservice = []\n"
        );
        let errs = ConfigFile::from_toml_str(&text).unwrap_err();
        let e = &errs.errors()[0];
        assert_eq!(e.path, "customers[0].service");
        assert_eq!(e.location.map(|l| l.line), Some(10));
        assert!(e.message.contains("unknown field `service`"), "{e}");
    }

    #[test]
    fn syntax_error_has_line() {
        let errs = ConfigFile::from_toml_str("[chain\nname = 1").unwrap_err();
        let e = &errs.errors()[0];
        assert_eq!(e.path, "");
        assert_eq!(e.location.map(|l| l.line), Some(1));
    }

    #[test]
    fn bad_enum_value_names_the_choices() {
        let text = format!("[chain]\nmode = \"lazy\"\n{MINIMAL}");
        let errs = ConfigFile::from_toml_str(&text).unwrap_err();
        let e = &errs.errors()[0];
        assert_eq!(e.path, "chain.mode");
        assert!(e.message.contains("`proactive`"), "{e}");
    }

    #[test]
    fn dpid_forms() {
        let text = format!(
            "{MINIMAL}\n[[switches]]\nname = \"a\"\ndpid = 7\n[[switches]]\nname = \"b\"\ndpid = \"ff:ff:ff:ff:ff:ff:ff:ff\"\n"
        );
        let file = ConfigFile::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(file.switches[0].dpid, DpidValue::Int(7));
        assert_eq!(
            file.switches[1].dpid,
            DpidValue::Text("ff:ff:ff:ff:ff:ff:ff:ff".into())
        );
        assert_eq!(DpidValue::from(u64::MAX), file.switches[1].dpid);
        let bad = format!("{MINIMAL}\n[[switches]]\nname = \"a\"\ndpid = 1.5\n");
        let errs = ConfigFile::from_toml_str(&bad).unwrap_err();
        assert_eq!(errs.errors()[0].path, "switches[0].dpid");
    }

    #[test]
    fn oversized_text_is_refused_before_parsing() {
        assert!(check_size(MAX_CONFIG_BYTES).is_ok());
        let errs = check_size(MAX_CONFIG_BYTES + 1).unwrap_err();
        assert!(errs.to_string().contains("limit"), "{errs}");
    }
}
