//! [`Catalogue`]: the services (VNF layers) by name, each with its bit position, and the
//! conversions between [`ServiceSet`]s and ToS bytes under one [`Encoding`].

use std::collections::HashMap;

use crate::{Encoding, ServiceSet, TosError};

/// One service of a [`Catalogue`]: a VNF layer's name and its service bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service (layer) name customers select, e.g. `"firewall"`.
    pub name: String,
    /// Its service bit position in the [`Encoding`] (DSCP: 0..=5, tos8: 0..=7).
    pub bit: u32,
}

/// The service catalogue: services in chain order (entry `i` is layer `i`), each with a
/// distinct bit position that fits the encoding.
///
/// The catalogue is where the two numberings meet: a [`ServiceSet`] counts **layers**,
/// the ToS byte carries **bits**. With the default layout (`bit = layer index`) they coincide;
/// the ShowNet 2015 layout ([`Catalogue::shownet2015`]) puts layers 0..=2 on DSCP bits 1..=3,
/// which are the paper's ToS bits 3..=5.
///
/// ```
/// use flowfall_tos::{Catalogue, Encoding};
///
/// let cat = Catalogue::new(Encoding::Dscp, [("app-analysis", 1), ("firewall", 2), ("ddos", 3)])?;
/// let set = cat.set_from_names(["ddos", "firewall"])?;
/// assert_eq!(set.iter().collect::<Vec<_>>(), vec![1, 2]);
/// let tos = cat.encode(set)?;
/// assert_eq!(tos, 0x30); // ToS bits 4 and 5; ECN bits zero
/// assert_eq!(cat.decode(tos | 0b01), set); // ECN noise ignored
/// assert_eq!(cat.names(set).collect::<Vec<_>>(), vec!["firewall", "ddos"]);
///
/// // The OpenFlow match for that customer's packets, and every value that asks for "ddos".
/// assert_eq!(cat.encoding().match_fields(tos).to_string(), "ip_dscp=12");
/// assert_eq!(cat.values_with_layer(2)?, vec![0x20, 0x28, 0x30, 0x38]);
///
/// assert!(cat.set_from_names(["dpi"]).is_err());
/// assert!(Catalogue::new(Encoding::Dscp, [("a", 1), ("b", 1)]).is_err());
/// # Ok::<(), flowfall_tos::TosError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    encoding: Encoding,
    services: Vec<Service>,
    by_name: HashMap<String, usize>,
}

impl Catalogue {
    /// Builds a catalogue from `(name, bit)` pairs in chain order.
    ///
    /// # Errors
    /// The first problem found: [`TosError::TooManyServices`] (more services than the
    /// encoding has bits), [`TosError::EmptyServiceName`], [`TosError::DuplicateService`],
    /// [`TosError::BitOutOfRange`], [`TosError::OverlappingBits`].
    pub fn new<I, S>(encoding: Encoding, services: I) -> Result<Self, TosError>
    where
        I: IntoIterator<Item = (S, u32)>,
        S: Into<String>,
    {
        let mut out: Vec<Service> = Vec::new();
        let mut by_name = HashMap::new();
        for (layer, (name, bit)) in services.into_iter().enumerate() {
            if layer >= encoding.capacity() {
                let count = layer + 1;
                return Err(TosError::TooManyServices { count, encoding });
            }
            let name: String = name.into();
            if name.is_empty() {
                return Err(TosError::EmptyServiceName { layer });
            }
            if by_name.contains_key(&name) {
                return Err(TosError::DuplicateService { name });
            }
            encoding.check_bit(&name, bit)?;
            if let Some(first) = out.iter().find(|s| s.bit == bit) {
                return Err(TosError::OverlappingBits {
                    first: first.name.clone(),
                    second: name,
                    bit,
                });
            }
            by_name.insert(name.clone(), layer);
            out.push(Service { name, bit });
        }
        Ok(Catalogue {
            encoding,
            services: out,
            by_name,
        })
    }

    /// The ShowNet 2015 layout (paper section 5): `app-analysis`, `firewall`, `ddos` on DSCP
    /// bits 1, 2, 3, i.e. the deployment's ToS bits 3, 4, 5 (values `0x08`, `0x10`, `0x20`).
    pub fn shownet2015() -> Self {
        let services = [("app-analysis", 1), ("firewall", 2), ("ddos", 3)];
        Catalogue {
            encoding: Encoding::Dscp,
            by_name: services
                .iter()
                .enumerate()
                .map(|(layer, (name, _))| ((*name).to_owned(), layer))
                .collect(),
            services: services
                .iter()
                .map(|&(name, bit)| Service {
                    name: name.to_owned(),
                    bit,
                })
                .collect(),
        }
    }

    /// The encoding the bits are written in.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Number of services (layers).
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// Whether the catalogue has no services.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The services in chain order (index = layer).
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The service of layer `layer`.
    pub fn service(&self, layer: usize) -> Option<&Service> {
        self.services.get(layer)
    }

    /// The layer index of service `name`.
    pub fn layer_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The set of every layer in the catalogue.
    pub fn all(&self) -> ServiceSet {
        ServiceSet::first(self.len())
    }

    /// The set of the named services (order and repetition irrelevant).
    ///
    /// # Errors
    /// [`TosError::UnknownService`] for the first name that is not in the catalogue.
    pub fn set_from_names<I, S>(&self, names: I) -> Result<ServiceSet, TosError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = ServiceSet::EMPTY;
        for name in names {
            let name = name.as_ref();
            let layer = self
                .layer_of(name)
                .ok_or_else(|| TosError::UnknownService {
                    name: name.to_owned(),
                    known: self.services.iter().map(|s| s.name.clone()).collect(),
                })?;
            set.insert(layer)?;
        }
        Ok(set)
    }

    /// The names of the layers in `set` that the catalogue has, in chain order.
    pub fn names(&self, set: ServiceSet) -> impl Iterator<Item = &str> + '_ {
        set.iter()
            .filter_map(|layer| self.services.get(layer))
            .map(|s| s.name.as_str())
    }

    /// The service-bit mask of `set` (bit `p` set when the layer on bit `p` is in the set).
    ///
    /// # Errors
    /// [`TosError::LayerNotInCatalogue`] when the set names a layer beyond the catalogue.
    pub fn service_bits(&self, set: ServiceSet) -> Result<u8, TosError> {
        set.iter().try_fold(0u8, |acc, layer| {
            // Bits were checked against the encoding (at most 7) when the catalogue was built.
            Ok(acc | (1u8 << self.known(layer)?.bit))
        })
    }

    /// The service of `layer`, or the error naming it.
    fn known(&self, layer: usize) -> Result<&Service, TosError> {
        self.services
            .get(layer)
            .ok_or(TosError::LayerNotInCatalogue {
                layer,
                len: self.len(),
            })
    }

    /// The ToS byte carrying `set` (ECN bits zero under DSCP).
    ///
    /// # Errors
    /// [`TosError::LayerNotInCatalogue`] when the set names a layer beyond the catalogue.
    pub fn encode(&self, set: ServiceSet) -> Result<u8, TosError> {
        self.encoding.encode_bits(self.service_bits(set)?)
    }

    /// The set carried by ToS byte `tos`. Bits that belong to no service are ignored (and so
    /// are the ECN bits under DSCP); see [`Catalogue::decode_strict`].
    pub fn decode(&self, tos: u8) -> ServiceSet {
        let bits = self.encoding.decode_bits(tos);
        let layers = self.services.iter().enumerate();
        layers
            .filter(|(_, s)| bits & (1u8 << s.bit) != 0)
            .fold(ServiceSet::EMPTY, |set, (layer, _)| {
                set | ServiceSet::from_bits(1u64 << layer)
            })
    }

    /// Like [`Catalogue::decode`] but rejects a byte that sets bits no service uses.
    ///
    /// # Errors
    /// [`TosError::UnassignedBits`] naming the stray ToS bits.
    pub fn decode_strict(&self, tos: u8) -> Result<ServiceSet, TosError> {
        let unassigned = tos & self.encoding.tos_mask() & !self.assigned_tos_bits();
        if unassigned != 0 {
            return Err(TosError::UnassignedBits { tos, unassigned });
        }
        Ok(self.decode(tos))
    }

    /// The ToS bits used by some service (e.g. `0x38` for ShowNet 2015).
    pub fn assigned_tos_bits(&self) -> u8 {
        let bits = self.services.iter().fold(0u8, |m, s| m | (1u8 << s.bit));
        // Cannot fail: every bit fits the encoding.
        self.encoding.encode_bits(bits).unwrap_or(0)
    }

    /// Every ToS value (ECN zero) that selects layer `layer` and is made only of assigned
    /// service bits: `2^(n-1)` values for `n` services, ascending. This is what a table that
    /// tests "layer `layer` requested" must enumerate when it matches `ip_dscp` (not maskable
    /// in OpenFlow 1.3); [`Encoding::values_with_bit`] lists all byte values instead.
    ///
    /// # Errors
    /// [`TosError::LayerNotInCatalogue`].
    pub fn values_with_layer(&self, layer: usize) -> Result<Vec<u8>, TosError> {
        let bit = self.known(layer)?.bit;
        let want = self.encoding.encode_bits(1u8 << bit)?;
        let assigned = self.assigned_tos_bits();
        Ok((0..=u8::MAX)
            .filter(|v| v & want != 0 && v & !assigned == 0)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shownet() -> Catalogue {
        Catalogue::new(
            Encoding::Dscp,
            [("app-analysis", 1), ("firewall", 2), ("ddos", 3)],
        )
        .unwrap_or_else(|e| panic!("valid catalogue: {e}"))
    }

    #[test]
    fn shownet_preset_equals_built() {
        assert_eq!(Catalogue::shownet2015(), shownet());
        assert_eq!(shownet().assigned_tos_bits(), 0x38);
    }

    #[test]
    fn shownet_markings_are_tos_bits_3_to_5() {
        let cat = Catalogue::shownet2015();
        let tos = |names: &[&str]| cat.set_from_names(names).and_then(|s| cat.encode(s));
        assert_eq!(tos(&["app-analysis"]), Ok(0x08));
        assert_eq!(tos(&["firewall"]), Ok(0x10));
        assert_eq!(tos(&["ddos"]), Ok(0x20));
        assert_eq!(tos(&["app-analysis", "firewall", "ddos"]), Ok(0x38));
        assert_eq!(tos(&[]), Ok(0));
    }

    #[test]
    fn construction_errors() {
        let e = Catalogue::new(Encoding::Dscp, [("a", 0), ("b", 0)]).unwrap_err();
        assert_eq!(e.to_string(), "services `a` and `b` both use bit 0");
        let e = Catalogue::new(Encoding::Dscp, [("a", 6)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "service `a`: bit 6 does not fit the dscp encoding (bits 0..=5)"
        );
        assert!(Catalogue::new(Encoding::Tos8, [("a", 7)]).is_ok());
        let seven = (0..7).map(|i| (format!("s{i}"), i));
        let e = Catalogue::new(Encoding::Dscp, seven).unwrap_err();
        assert_eq!(
            e.to_string(),
            "7 services do not fit the dscp encoding (at most 6)"
        );
        let e = Catalogue::new(Encoding::Dscp, [("a", 0), ("a", 1)]).unwrap_err();
        assert_eq!(e, TosError::DuplicateService { name: "a".into() });
        let e = Catalogue::new(Encoding::Dscp, [("", 0)]).unwrap_err();
        assert_eq!(e, TosError::EmptyServiceName { layer: 0 });
    }

    #[test]
    fn unknown_service_lists_known() {
        let e = shownet().set_from_names(["dpi"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown service `dpi` (known: app-analysis, firewall, ddos)"
        );
    }

    #[test]
    fn encode_rejects_foreign_layer() {
        let e = shownet().encode(ServiceSet::from_bits(1 << 3)).unwrap_err();
        assert_eq!(e, TosError::LayerNotInCatalogue { layer: 3, len: 3 });
    }

    #[test]
    fn strict_decoding() {
        let cat = shownet();
        assert_eq!(
            cat.decode_strict(0x18 | 0b11),
            Ok(ServiceSet::from_bits(0b011))
        );
        assert_eq!(
            cat.decode_strict(0x44),
            Err(TosError::UnassignedBits {
                tos: 0x44,
                unassigned: 0x44
            })
        );
        assert_eq!(cat.decode(0x44), ServiceSet::EMPTY);
    }

    #[test]
    fn values_with_layer_are_exactly_the_sets_containing_it() {
        let cat = shownet();
        for layer in 0..cat.len() {
            let values = cat.values_with_layer(layer).unwrap_or_default();
            let expected: Vec<u8> = (0u64..8)
                .map(ServiceSet::from_bits)
                .filter(|s| s.contains(layer))
                .filter_map(|s| cat.encode(s).ok())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            assert_eq!(values, expected);
        }
        assert!(cat.values_with_layer(3).is_err());
    }

    /// A catalogue with `n` services on distinct random bits of `encoding`.
    fn catalogue_strategy() -> impl Strategy<Value = Catalogue> {
        prop_oneof![Just(Encoding::Dscp), Just(Encoding::Tos8)]
            .prop_flat_map(|e| {
                let bits: Vec<u32> = (0..e.capacity() as u32).collect();
                (Just(e), Just(bits).prop_shuffle(), 0..=e.capacity())
            })
            .prop_map(|(e, bits, n)| {
                let pairs = bits.into_iter().take(n).enumerate();
                Catalogue::new(e, pairs.map(|(i, b)| (format!("svc{i}"), b)))
                    .unwrap_or_else(|err| panic!("distinct in-range bits: {err}"))
            })
    }

    proptest! {
        #[test]
        fn set_tos_round_trip(cat in catalogue_strategy(), raw in any::<u64>(), ecn in 0u8..4) {
            let set = ServiceSet::from_bits(raw).intersection(cat.all());
            let tos = cat.encode(set);
            prop_assert!(tos.is_ok());
            let tos = tos.unwrap_or_default();
            prop_assert_eq!(cat.decode(tos), set);
            prop_assert_eq!(cat.decode_strict(tos), Ok(set));
            prop_assert_eq!(tos & !cat.assigned_tos_bits(), 0);
            if cat.encoding().is_ecn_safe() {
                prop_assert_eq!(cat.decode(tos | ecn), set);
            }
            let names: Vec<&str> = cat.names(set).collect();
            prop_assert_eq!(cat.set_from_names(names), Ok(set));
            for layer in 0..cat.len() {
                let values = cat.values_with_layer(layer).unwrap_or_default();
                prop_assert_eq!(values.contains(&tos), set.contains(layer));
            }
        }

        #[test]
        fn decode_any_byte_is_within_catalogue(cat in catalogue_strategy(), tos in any::<u8>()) {
            let set = cat.decode(tos);
            prop_assert!(set.is_subset(cat.all()));
            // Re-encoding keeps exactly the assigned bits of the input.
            let re = cat.encode(set).unwrap_or_default();
            prop_assert_eq!(re, tos & cat.assigned_tos_bits());
        }
    }
}
