//! [`Deployment`]: the chains one controller serves, one topology file each.
//!
//! Each chain is validated on its own, as [`Topology::from_file`] does; then the chains are
//! checked against each other:
//!
//! - with more than one chain, every chain needs a `[chain] name` that is non-empty and
//!   URL-safe (ASCII letters, digits, `-`, `_`, `.`): it names the chain in the controller's
//!   API (`/api/chains/{name}/...`) and metrics (`chain="name"`);
//! - chain names are unique;
//! - chains are switch-disjoint: a datapath id belongs to one chain only, because one
//!   OpenFlow connection (one switch) is served by exactly one chain. (Within one chain, VLAN
//!   slices of a switch may still be several junctions.)
//!
//! Every problem is reported at once, each naming the files involved.
//!
//! ```
//! use flowfall_topology::{Deployment, Topology};
//!
//! // A one-layer chain named `name` on datapaths `dpid` and `dpid + 1`.
//! let chain = |name: &str, dpid: u64| {
//!     Topology::from_toml_str(&format!(
//!         r#"
//! [chain]
//! name = "{name}"
//! [[switches]]
//! name = "j0"
//! dpid = {dpid}
//! [[switches]]
//! name = "j1"
//! dpid = {}
//! [backbone]
//! port = 1
//! router_mac = "02:00:00:00:ff:01"
//! [[layers]]
//! name = "fw"
//! bypass = [{{ down_port = 20, up_port = 20 }}]
//! [[layers.hypervisors]]
//! name = "hv1"
//! down_port = 2
//! up_port = 2
//! [[layers.hypervisors.vms]]
//! name = "fw-1"
//! down_mac = "02:00:00:01:01:01"
//! up_mac = "02:00:00:01:01:02"
//! "#,
//!         dpid + 1
//!     ))
//! };
//! let a = chain("a", 1)?;
//! let d = Deployment::new(vec![("a.toml".into(), a.clone()), ("b.toml".into(), chain("b", 101)?)])?;
//! assert_eq!(d.len(), 2);
//! assert_eq!(d.owner_of(102), Some(1));
//! assert_eq!(d.owner_of(7), None);
//!
//! // The same datapath in two chains is refused, naming both files.
//! let e = Deployment::new(vec![("a.toml".into(), a), ("c.toml".into(), chain("c", 2)?)])
//!     .unwrap_err();
//! assert!(e.to_string().contains("datapath 00:00:00:00:00:00:00:02 is switch \"j1\" of chain \"a\" (a.toml)"));
//! assert!(e.to_string().contains("chain \"c\" (c.toml)"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::claims::Claims;
use crate::error::ConfigErrors;
use crate::model::{Topology, format_dpid};

/// One chain of a deployment: its topology and the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedChain {
    /// The file (or, for a topology built in memory, a label standing for it).
    pub source: PathBuf,
    /// The validated topology.
    pub topology: Topology,
}

impl DeployedChain {
    /// The chain's name (`[chain] name`).
    pub fn name(&self) -> &str {
        &self.topology.chain().name
    }
}

/// The chains one controller serves, checked against each other. See the
/// [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    chains: Vec<DeployedChain>,
    /// Datapath id -> index of the chain that owns it.
    owners: BTreeMap<u64, usize>,
}

/// One problem of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeploymentError {
    /// No topology at all.
    #[error("no topology file given")]
    Empty,
    /// A file is invalid on its own.
    #[error("{}:\n{errors}", path.display())]
    Chain {
        /// The file.
        path: PathBuf,
        /// Its problems, each with its path in the file.
        errors: ConfigErrors,
    },
    /// With several chains, a chain's name is missing or not URL-safe.
    #[error(
        "{}: chain.name: expected a non-empty name of ASCII letters, digits, '-', '_' or '.' (it names the chain in the API and metrics when one controller serves several chains), found {name:?}",
        path.display()
    )]
    BadName {
        /// The file.
        path: PathBuf,
        /// The name found.
        name: String,
    },
    /// Two files name their chain alike.
    #[error(
        "chain name {name:?} is used by {} and {}: chain names must be unique",
        first.display(),
        second.display()
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The file that used it first.
        first: PathBuf,
        /// The file that used it again.
        second: PathBuf,
    },
    /// A datapath id is a junction of two chains.
    #[error(
        "datapath {} is switch {first_switch:?} of chain {first_chain:?} ({}) and switch {second_switch:?} of chain {second_chain:?} ({}): chains of one controller must be switch-disjoint",
        format_dpid(*dpid),
        first.display(),
        second.display()
    )]
    SharedDatapath {
        /// The datapath id.
        dpid: u64,
        /// The chain that claimed it first.
        first_chain: String,
        /// Its file.
        first: PathBuf,
        /// The switch name there.
        first_switch: String,
        /// The chain that claimed it again.
        second_chain: String,
        /// Its file.
        second: PathBuf,
        /// The switch name there.
        second_switch: String,
    },
}

/// Every problem of a deployment; Display prints them one after the other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DeploymentErrors(Vec<DeploymentError>);

impl DeploymentErrors {
    /// Wraps a list of problems.
    pub fn new(errors: Vec<DeploymentError>) -> Self {
        DeploymentErrors(errors)
    }

    /// The problems, in file order.
    pub fn errors(&self) -> &[DeploymentError] {
        &self.0
    }
}

impl fmt::Display for DeploymentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::write_lines(f, &self.0)
    }
}

/// Whether `name` may name a chain of a multi-chain deployment.
fn url_safe(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name != "."
        && name != ".."
}

impl Deployment {
    /// Reads and validates every file, then checks the chains against each other.
    ///
    /// # Errors
    /// Every problem: each invalid file with its own problems, then the cross-chain ones.
    pub fn from_files<P: AsRef<Path>>(paths: &[P]) -> Result<Deployment, DeploymentErrors> {
        let mut chains = Vec::new();
        let mut errors = Vec::new();
        for p in paths {
            let path = p.as_ref().to_path_buf();
            match Topology::from_file(&path) {
                Ok(topology) => chains.push((path, topology)),
                Err(problems) => errors.push(DeploymentError::Chain {
                    path,
                    errors: problems,
                }),
            }
        }
        // The valid files are still checked against each other (`new` reports "no topology"
        // only when nothing at all was given).
        let several = paths.len() > 1;
        if chains.is_empty() && !errors.is_empty() {
            return Err(DeploymentErrors(errors));
        }
        match Deployment::check(chains, several) {
            Ok(d) if errors.is_empty() => Ok(d),
            Ok(_) => Err(DeploymentErrors(errors)),
            Err(DeploymentErrors(more)) => {
                errors.extend(more);
                Err(DeploymentErrors(errors))
            }
        }
    }

    /// Checks already validated topologies against each other; `source` names each one's
    /// file in errors.
    ///
    /// # Errors
    /// Every cross-chain problem (see the [module docs](self)).
    pub fn new(chains: Vec<(PathBuf, Topology)>) -> Result<Deployment, DeploymentErrors> {
        let several = chains.len() > 1;
        Deployment::check(chains, several)
    }

    /// As [`Deployment::new`]; `several`: the names must be fit for a multi-chain deployment
    /// (true when several files were given, even if only one of them is valid).
    fn check(
        chains: Vec<(PathBuf, Topology)>,
        several: bool,
    ) -> Result<Deployment, DeploymentErrors> {
        let chains: Vec<DeployedChain> = chains
            .into_iter()
            .map(|(source, topology)| DeployedChain { source, topology })
            .collect();
        if chains.is_empty() {
            return Err(DeploymentErrors(vec![DeploymentError::Empty]));
        }
        let mut errors = Vec::new();
        let mut names = Claims::new();
        let mut dpids = Claims::new();
        for (i, c) in chains.iter().enumerate() {
            if several {
                if url_safe(c.name()) {
                    names.claim(c.name(), i);
                } else {
                    errors.push(DeploymentError::BadName {
                        path: c.source.clone(),
                        name: c.name().to_string(),
                    });
                }
            }
            let mut seen = Vec::new();
            for s in c.topology.switches() {
                // VLAN slices of one switch within a chain are one claim.
                if !seen.contains(&s.dpid) {
                    seen.push(s.dpid);
                    dpids.claim(s.dpid, (i, s.name.as_str()));
                }
            }
        }
        let source = |i: usize| chains.get(i).map(|c| c.source.clone()).unwrap_or_default();
        let name = |i: usize| {
            chains
                .get(i)
                .map(|c| c.name().to_string())
                .unwrap_or_default()
        };
        for (n, &later, &first) in names.duplicates() {
            errors.push(DeploymentError::DuplicateName {
                name: (*n).to_string(),
                first: source(first),
                second: source(later),
            });
        }
        for (&dpid, &(later, later_switch), &(first, first_switch)) in dpids.duplicates() {
            errors.push(DeploymentError::SharedDatapath {
                dpid,
                first_chain: name(first),
                first: source(first),
                first_switch: first_switch.to_string(),
                second_chain: name(later),
                second: source(later),
                second_switch: later_switch.to_string(),
            });
        }
        if !errors.is_empty() {
            return Err(DeploymentErrors(errors));
        }
        let owners = chains
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.topology.switches().iter().map(move |s| (s.dpid, i)))
            .collect();
        Ok(Deployment { chains, owners })
    }

    /// The chains, in the order given.
    pub fn chains(&self) -> &[DeployedChain] {
        &self.chains
    }

    /// The chains, by value.
    pub fn into_chains(self) -> Vec<DeployedChain> {
        self.chains
    }

    /// Number of chains (at least one).
    pub fn len(&self) -> usize {
        self.chains.len()
    }

    /// Always `false`: a deployment has at least one chain.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }

    /// The index of the chain whose junction datapath `dpid` is.
    pub fn owner_of(&self, dpid: u64) -> Option<usize> {
        self.owners.get(&dpid).copied()
    }

    /// Every datapath id with the index of its chain.
    pub fn owners(&self) -> &BTreeMap<u64, usize> {
        &self.owners
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-layer chain `name` on datapaths `dpids` (two junctions, on VLANs `vlan` and
    /// `vlan + 1` when given).
    fn chain(name: &str, dpids: [u64; 2], vlan: Option<u16>) -> Topology {
        Topology::from_toml_str(&chain_text(name, dpids, vlan)).unwrap()
    }

    fn chain_text(name: &str, dpids: [u64; 2], vlan: Option<u16>) -> String {
        let vlan_of = |k: u16| vlan.map_or_else(String::new, |v| format!("vlan = {}\n", v + k));
        let (vlan0, vlan1) = (vlan_of(0), vlan_of(1));
        format!(
            "[chain]\nname = \"{name}\"\n\
             [[switches]]\nname = \"j0\"\ndpid = {}\n{vlan0}\
             [[switches]]\nname = \"j1\"\ndpid = {}\n{vlan1}\
             [backbone]\nport = 1\nrouter_mac = \"02:00:00:00:ff:01\"\n\
             [[layers]]\nname = \"fw\"\nbypass = [{{ down_port = 20, up_port = 20 }}]\n\
             [[layers.hypervisors]]\nname = \"hv1\"\ndown_port = 2\nup_port = 2\n\
             [[layers.hypervisors.vms]]\nname = \"fw-1\"\n\
             down_mac = \"02:00:00:01:01:01\"\nup_mac = \"02:00:00:01:01:02\"\n",
            dpids[0], dpids[1]
        )
    }

    fn files(chains: Vec<(&str, Topology)>) -> Vec<(PathBuf, Topology)> {
        chains
            .into_iter()
            .map(|(f, t)| (PathBuf::from(f), t))
            .collect()
    }

    #[test]
    fn disjoint_chains_form_a_deployment() {
        let d = Deployment::new(files(vec![
            ("a.toml", chain("a", [1, 2], None)),
            ("b.toml", chain("b", [3, 4], None)),
        ]))
        .unwrap();
        assert_eq!(d.len(), 2);
        assert!(!d.is_empty());
        assert_eq!(
            d.owners().iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>(),
            [(1, 0), (2, 0), (3, 1), (4, 1)]
        );
        assert_eq!(d.chains()[1].name(), "b");
        assert_eq!(d.chains()[1].source, PathBuf::from("b.toml"));
    }

    #[test]
    fn one_chain_needs_no_name() {
        let d = Deployment::new(files(vec![("a.toml", chain("", [1, 2], None))])).unwrap();
        assert_eq!(d.owner_of(2), Some(0));
        assert_eq!(
            Deployment::new(Vec::new()).unwrap_err().errors(),
            [DeploymentError::Empty]
        );
    }

    #[test]
    fn vlan_slices_of_one_switch_stay_within_one_chain() {
        // Both junctions on datapath 7 (VLAN slices): one claim, no conflict with itself.
        let d = Deployment::new(files(vec![
            ("a.toml", chain("a", [7, 7], Some(115))),
            ("b.toml", chain("b", [8, 9], None)),
        ]))
        .unwrap();
        assert_eq!(d.owner_of(7), Some(0));
    }

    #[test]
    fn every_cross_chain_problem_names_its_files() {
        let errs = Deployment::new(files(vec![
            ("a.toml", chain("a", [1, 2], None)),
            ("b.toml", chain("a", [2, 3], None)),
            ("c.toml", chain("has space", [4, 5], None)),
            ("d.toml", chain("", [6, 7], None)),
        ]))
        .unwrap_err();
        assert_eq!(
            errs.errors(),
            [
                DeploymentError::BadName {
                    path: "c.toml".into(),
                    name: "has space".into()
                },
                DeploymentError::BadName {
                    path: "d.toml".into(),
                    name: String::new()
                },
                DeploymentError::DuplicateName {
                    name: "a".into(),
                    first: "a.toml".into(),
                    second: "b.toml".into()
                },
                DeploymentError::SharedDatapath {
                    dpid: 2,
                    first_chain: "a".into(),
                    first: "a.toml".into(),
                    first_switch: "j1".into(),
                    second_chain: "a".into(),
                    second: "b.toml".into(),
                    second_switch: "j0".into(),
                },
            ]
        );
        let text = errs.to_string();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.contains("c.toml: chain.name: expected"), "{text}");
        assert!(
            text.contains(
                "datapath 00:00:00:00:00:00:00:02 is switch \"j1\" of chain \"a\" (a.toml) and switch \"j0\" of chain \"a\" (b.toml)"
            ),
            "{text}"
        );
    }

    #[test]
    fn names_must_be_url_safe() {
        for ok in ["a", "chain-115", "x_y.z", "A9"] {
            assert!(url_safe(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "é", "{x}", "a?"] {
            assert!(!url_safe(bad), "{bad}");
        }
    }

    #[test]
    fn files_are_read_and_their_problems_named() {
        let dir = std::env::temp_dir().join(format!("flowfall-deploy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        let bad = dir.join("bad.toml");
        let clash = dir.join("clash.toml");
        std::fs::write(&good, chain_text("a", [1, 2], None)).unwrap();
        std::fs::write(&clash, chain_text("b", [2, 3], None)).unwrap();
        std::fs::write(&bad, "[chain]\nname = 1\n").unwrap();
        let d = Deployment::from_files(&[&good]).unwrap();
        assert_eq!(d.chains()[0].source, good);
        // The bad file's own problems, and the valid files still checked against each other.
        let errs = Deployment::from_files(&[&good, &bad, &clash]).unwrap_err();
        match errs.errors() {
            [
                DeploymentError::Chain { path, errors },
                DeploymentError::SharedDatapath { first, second, .. },
            ] => {
                assert_eq!(path, &bad);
                assert_eq!(errors.paths(), ["chain.name"]);
                assert_eq!((first, second), (&good, &clash));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            errs.to_string()
                .starts_with(&format!("{}:\n", bad.display()))
        );
        let missing = dir.join("missing.toml");
        let errs = Deployment::from_files(&[&missing, &bad]).unwrap_err();
        assert_eq!(errs.errors().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
