//! A topology with some customers' service sets replaced, for runtime service changes.
//!
//! The validated `Topology` is immutable; the only way to a changed one that is validated
//! again is through its configuration form. This writes the topology back as a
//! `ConfigFile` (every value the model holds is public), replaces the services, and validates
//! the result with `Topology::from_config`, so a change the configuration could not express
//! (e.g. a service set whose ToS value does not fit) is refused with the validator's message.

use std::collections::BTreeMap;

use flowfall_topology::file::{
    BackboneEntry, BypassEntry, ChainSection, CustomerEntry, HypervisorEntry, LayerEntry,
    SwitchEntry, VmEntry,
};
use flowfall_topology::{ConfigFile, ServiceSet, Topology};

use super::CoreError;

/// The configuration form of `topology`.
pub fn config_of(topology: &Topology) -> ConfigFile {
    let chain = topology.chain();
    let layer_names = |set: ServiceSet| -> Vec<String> {
        topology
            .layers()
            .iter()
            .filter(|l| set.contains(l.index))
            .map(|l| l.name.clone())
            .collect()
    };
    ConfigFile {
        chain: ChainSection {
            name: chain.name.clone(),
            tos_encoding: chain.tos_encoding,
            service_source: chain.service_source,
            mode: chain.mode,
            idle_timeout: i64::from(chain.idle_timeout),
            spoof_action: chain.spoof_action,
        },
        switches: topology
            .switches()
            .iter()
            .map(|s| SwitchEntry {
                name: s.name.clone(),
                dpid: s.dpid.into(),
                vlan: s.vlan.map(i64::from),
                capacity: s.capacity.and_then(|c| i64::try_from(c).ok()),
            })
            .collect(),
        backbone: BackboneEntry {
            port: i64::from(topology.backbone().port),
            router_mac: topology.backbone().router_mac.to_string(),
        },
        layers: topology
            .layers()
            .iter()
            .map(|l| LayerEntry {
                name: l.name.clone(),
                bit: Some(i64::from(l.bit)),
                selector: l.selector,
                when_empty: l.when_empty,
                bypass: l
                    .bypass
                    .iter()
                    .map(|b| BypassEntry {
                        down_port: i64::from(b.down_port),
                        up_port: i64::from(b.up_port),
                    })
                    .collect(),
                hypervisors: l
                    .hypervisors
                    .iter()
                    .map(|h| HypervisorEntry {
                        name: h.name.clone(),
                        down_port: i64::from(h.down_port),
                        up_port: i64::from(h.up_port),
                        vms: l
                            .vms
                            .get(h.vms.clone())
                            .unwrap_or(&[])
                            .iter()
                            .map(|v| VmEntry {
                                name: v.name.clone(),
                                down_mac: v.down_mac.to_string(),
                                up_mac: v.up_mac.to_string(),
                                weight: Some(i64::from(v.weight)),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        customers: topology
            .customers()
            .iter()
            .map(|c| CustomerEntry {
                name: c.name.clone(),
                port: i64::from(c.port),
                cpe_mac: c.cpe_mac.to_string(),
                ipv4: c.ipv4.iter().map(ToString::to_string).collect(),
                ipv6: c.ipv6.iter().map(ToString::to_string).collect(),
                services: layer_names(c.services),
            })
            .collect(),
    }
}

/// `topology` with the service sets of `overrides` (customer name -> set) in place.
pub fn with_services(
    topology: &Topology,
    overrides: &BTreeMap<String, ServiceSet>,
) -> Result<Topology, CoreError> {
    let mut file = config_of(topology);
    let names: Vec<String> = topology.layers().iter().map(|l| l.name.clone()).collect();
    for (name, set) in overrides {
        let entry = file
            .customers
            .iter_mut()
            .find(|c| &c.name == name)
            .ok_or_else(|| CoreError::UnknownCustomer(name.clone()))?;
        entry.services = names
            .iter()
            .enumerate()
            .filter(|(i, _)| set.contains(*i))
            .map(|(_, n)| n.clone())
            .collect();
    }
    Topology::from_config(&file).map_err(|e| CoreError::Config(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const LAB: &str = include_str!("../../../../examples/configs/lab.toml");

    #[test]
    fn round_trips_through_the_configuration_form() {
        let t = Topology::from_toml_str(LAB).unwrap();
        let again = Topology::from_config(&config_of(&t)).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn replaces_one_customers_services() {
        let t = Topology::from_toml_str(LAB).unwrap();
        let ids = t.layer_by_name("ids").unwrap().index;
        let mut set = ServiceSet::EMPTY;
        set.insert(ids).unwrap();
        let overrides = BTreeMap::from([("bravo".to_string(), set)]);
        let changed = with_services(&t, &overrides).unwrap();
        assert_eq!(changed.customer_by_name("bravo").unwrap().services, set);
        assert_eq!(
            changed.customer_by_name("charlie").unwrap().services,
            t.customer_by_name("charlie").unwrap().services
        );
        let unknown = BTreeMap::from([("nobody".to_string(), set)]);
        assert_eq!(
            with_services(&t, &unknown).unwrap_err(),
            CoreError::UnknownCustomer("nobody".into())
        );
    }
}
