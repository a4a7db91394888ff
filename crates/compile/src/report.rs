//! [`Report`]: entries per switch and per table, checked against each switch's declared
//! capacity (architecture.md §5: hardware tables hold a few thousand entries).

use std::collections::BTreeMap;
use std::fmt;

use flowfall_topology::format_dpid;

use crate::error::{Error, Overflow};

/// The entry count of one junction switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchReport {
    /// Position in the chain.
    pub index: usize,
    /// Configured name.
    pub name: String,
    /// Datapath id.
    pub dpid: u64,
    /// Declared capacity (`capacity` in the configuration).
    pub capacity: Option<usize>,
    /// Installed entries per table id.
    pub tables: BTreeMap<u8, usize>,
    /// Reactive mode: the address entries installed on demand if every address were active
    /// at once (0 in proactive mode, where they are part of `tables`).
    pub on_demand: usize,
}

impl SwitchReport {
    /// Entries installed ahead of traffic (all of them in proactive mode).
    pub fn installed(&self) -> usize {
        self.tables.values().sum()
    }

    /// Installed plus on-demand entries: the most the switch may hold.
    pub fn worst_case(&self) -> usize {
        self.installed() + self.on_demand
    }
}

/// Entry counts of every junction switch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// One report per switch, J0 first.
    pub switches: Vec<SwitchReport>,
}

impl Report {
    /// Total installed entries.
    pub fn installed(&self) -> usize {
        self.switches.iter().map(SwitchReport::installed).sum()
    }

    /// Checks every switch's installed entries against its declared capacity.
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] listing every switch that does not fit.
    pub fn check(&self) -> Result<(), Error> {
        let overflows: Vec<Overflow> = self
            .switches
            .iter()
            .filter_map(|s| {
                let capacity = s.capacity?;
                let entries = s.installed();
                (entries > capacity).then(|| Overflow {
                    switch: s.name.clone(),
                    entries,
                    capacity,
                })
            })
            .collect();
        if overflows.is_empty() {
            Ok(())
        } else {
            Err(Error::CapacityExceeded { overflows })
        }
    }
}

impl fmt::Display for Report {
    /// One line per switch: `j0 (00:..:01): 12 entries [table 0: 12], capacity 4000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.switches {
            write!(
                f,
                "{} ({}): {} entries [",
                s.name,
                format_dpid(s.dpid),
                s.installed()
            )?;
            for (n, (table, count)) in s.tables.iter().enumerate() {
                let sep = if n == 0 { "" } else { ", " };
                write!(f, "{sep}table {table}: {count}")?;
            }
            f.write_str("]")?;
            if s.on_demand > 0 {
                write!(f, ", up to {} on demand", s.on_demand)?;
            }
            match s.capacity {
                Some(c) => writeln!(f, ", capacity {c}")?,
                None => writeln!(f)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sw(name: &str, entries: usize, capacity: Option<usize>) -> SwitchReport {
        SwitchReport {
            index: 0,
            name: name.into(),
            dpid: 1,
            capacity,
            tables: BTreeMap::from([(0, entries)]),
            on_demand: 0,
        }
    }

    #[test]
    fn capacity_check_lists_every_overflow() {
        let r = Report {
            switches: vec![
                sw("j0", 10, Some(10)),
                sw("j1", 11, Some(10)),
                sw("j2", 99, None),
            ],
        };
        let err = r.check().err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err,
            "flow tables exceed declared capacity: j1 needs 11 entries, capacity 10"
        );
        assert_eq!(r.installed(), 120);
        assert!(
            r.to_string().starts_with(
                "j0 (00:00:00:00:00:00:00:01): 10 entries [table 0: 10], capacity 10\n"
            )
        );
    }
}
