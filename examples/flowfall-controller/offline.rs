//! The offline subcommands: `check`, `compile` and `trace` work on a topology file alone.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use flowfall_compile::sim::trace::sample_host;
use flowfall_compile::sim::{Fabric, Outcome, Tracer};
use flowfall_compile::{AddressId, Compilation, LiveVms, SwitchTable, Tables};
use flowfall_ofp::{Message, OfMessage};
use flowfall_topology::{Deployment, Mode, ServiceSource, Topology};

/// An error for the command line: what failed, in words.
pub type Failure = Box<dyn std::error::Error>;

/// Output format of `compile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `ovs-ofctl add-flows` text.
    Ofctl,
    /// JSON flow mods.
    Json,
    /// Hex-encoded OFPT_FLOW_MOD messages.
    Hex,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Ofctl => "flows",
            Format::Json => "json",
            Format::Hex => "hex",
        }
    }
}

/// What `compile` is asked for.
#[derive(Debug)]
pub struct CompileRequest<'a> {
    /// Topology file.
    pub config: &'a Path,
    /// Output format.
    pub format: Format,
    /// Only this switch.
    pub switch: Option<&'a str>,
    /// Write files here instead of standard output.
    pub out_dir: Option<&'a Path>,
    /// Cookie generation.
    pub generation: u16,
}

/// Writes to standard output; a closed pipe (`| head`) ends the output quietly.
fn emit(bytes: &[u8]) -> Result<(), Failure> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn load(path: &Path) -> Result<Arc<Topology>, Failure> {
    Topology::from_file(path)
        .map(Arc::new)
        .map_err(|e| format!("{}:\n{e}", path.display()).into())
}

fn compile_all_live(topology: Arc<Topology>, generation: u16) -> Result<Compilation, Failure> {
    let live = LiveVms::all(&topology);
    Ok(Compilation::new(topology, live, generation)?)
}

/// `check`: validate, compile, print the per-switch report.
pub fn check(config: &Path) -> Result<(), Failure> {
    let topology = load(config)?;
    let c = compile_all_live(Arc::clone(&topology), 1)?;
    let chain = topology.chain();
    let vms = topology.all_vms().count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: valid. chain {:?}: {} switches, {} layers, {} VMs, {} customers ({} addresses)",
        config.display(),
        chain.name,
        topology.switches().len(),
        topology.layers().len(),
        vms,
        topology.customers().len(),
        c.addresses().len()
    );
    let _ = writeln!(
        out,
        "mode {}, service source {}, ToS encoding {}, spoof action {}",
        chain.mode, chain.service_source, chain.tos_encoding, chain.spoof_action
    );
    let _ = write!(out, "{}", c.report());
    emit(out.as_bytes())
}

/// `check` of several files: each as [`check`], then the chains against each other
/// ([`Deployment`]: unique URL-safe names, switch-disjoint). Every file is reported even when
/// an earlier one failed.
pub fn check_all(configs: &[std::path::PathBuf]) -> Result<(), Failure> {
    let [only] = configs else {
        let mut failed = Vec::new();
        for config in configs {
            if let Err(e) = check(config) {
                eprintln!("flowfall-controller: {e}");
                failed.push(config.display().to_string());
            }
        }
        if !failed.is_empty() {
            return Err(format!("invalid: {}", failed.join(", ")).into());
        }
        let d = Deployment::from_files(configs).map_err(|e| e.to_string())?;
        let switches: usize = d.chains().iter().map(|c| c.topology.switches().len()).sum();
        let names: Vec<&str> = d.chains().iter().map(|c| c.name()).collect();
        let line = format!(
            "deployment: valid. {} chains ({}), {} junction switches on {} datapaths, switch-disjoint\n",
            d.len(),
            names.join(", "),
            switches,
            d.owners().len()
        );
        return emit(line.as_bytes());
    };
    check(only)
}

fn selected<'a>(tables: &'a Tables, switch: Option<&str>) -> Result<Vec<&'a SwitchTable>, Failure> {
    match switch {
        None => Ok(tables.switches.iter().collect()),
        Some(name) => tables.by_name(name).map(|t| vec![t]).ok_or_else(|| {
            let known: Vec<&str> = tables.switches.iter().map(|s| s.name.as_str()).collect();
            format!("no switch named {name:?} (switches: {})", known.join(", ")).into()
        }),
    }
}

fn render(table: &SwitchTable, format: Format, xid: &mut u32) -> Result<String, Failure> {
    Ok(match format {
        Format::Ofctl => table.to_ofctl()?,
        Format::Json => {
            let value = serde_json::json!({
                "switch": table.name,
                "index": table.index,
                "dpid": flowfall_topology::format_dpid(table.dpid),
                "vlan": table.vlan,
                "flow_mods": table.flow_mods().collect::<Vec<_>>(),
            });
            let mut s = serde_json::to_string_pretty(&value)?;
            s.push('\n');
            s
        }
        Format::Hex => {
            let mut s = String::new();
            for fm in table.flow_mods() {
                let msg = OfMessage {
                    xid: *xid,
                    msg: Message::FlowMod(fm),
                };
                *xid = xid.wrapping_add(1);
                let _ = writeln!(s, "{}", hex::encode(msg.to_vec()?));
            }
            s
        }
    })
}

/// `compile`: print or write every (or one) switch's table.
pub fn compile(req: &CompileRequest<'_>) -> Result<(), Failure> {
    let topology = load(req.config)?;
    let c = compile_all_live(topology, req.generation)?;
    let tables = c.tables();
    let chosen = selected(&tables, req.switch)?;
    let mut xid = 1u32;
    match req.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            for t in chosen {
                let path = dir.join(format!("{}.{}", t.name, req.format.extension()));
                std::fs::write(&path, render(t, req.format, &mut xid)?)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                eprintln!("{}: {} entries", path.display(), t.entries.len());
            }
        }
        None => {
            let mut out = String::new();
            if req.format == Format::Json && chosen.len() > 1 {
                let all: Vec<serde_json::Value> = chosen
                    .iter()
                    .map(|t| -> Result<serde_json::Value, Failure> {
                        Ok(serde_json::from_str(&render(t, Format::Json, &mut xid)?)?)
                    })
                    .collect::<Result<_, _>>()?;
                out = serde_json::to_string_pretty(&all)?;
                out.push('\n');
            } else {
                for t in chosen {
                    out.push_str(&render(t, req.format, &mut xid)?);
                }
            }
            emit(out.as_bytes())?;
        }
    }
    Ok(())
}

/// `trace`: each address of each (or one) customer, upstream and downstream.
pub fn trace(config: &Path, customer: Option<&str>, down: &[String]) -> Result<(), Failure> {
    let topology = load(config)?;
    let mut live = LiveVms::all(&topology);
    for name in down {
        let vm = topology
            .vm_by_name(name)
            .ok_or_else(|| format!("no VM named {name:?}"))?;
        live.set(vm.id, false)?;
    }
    let c = Compilation::new(Arc::clone(&topology), live.clone(), 1)?;
    // Reactive mode: every first packet reaches the controller, which installs the address's
    // flows; trace what follows.
    let mut fabric = Fabric::from_tables(&c.tables())?;
    let reactive = topology.chain().mode == Mode::Reactive;
    let customers: Vec<usize> = match customer {
        Some(name) => vec![
            topology
                .customer_by_name(name)
                .ok_or_else(|| format!("no customer named {name:?}"))?
                .index,
        ],
        None => (0..topology.customers().len()).collect(),
    };
    if reactive {
        for &ci in &customers {
            for i in c.addresses_of(ci) {
                fabric.install(&c.address_flows(AddressId(i)))?;
            }
        }
    }
    let tracer = Tracer::new(&topology, &fabric, Some(&live));
    let mut out = String::new();
    for ci in customers {
        let Some(cust) = topology.customer(ci) else {
            continue;
        };
        let services: Vec<&str> = cust
            .services
            .iter()
            .filter_map(|l| topology.layer(l).map(|l| l.name.as_str()))
            .collect();
        let tos = match (topology.chain().service_source, cust.tos) {
            (ServiceSource::Tos, Some(t)) => format!(", ToS {t:#04x}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "customer {} (port {}, services: {}{tos})",
            cust.name,
            cust.port,
            if services.is_empty() {
                "none".to_owned()
            } else {
                services.join(", ")
            }
        );
        for i in c.addresses_of(ci) {
            let Some(a) = c.address(AddressId(i)) else {
                continue;
            };
            let host = sample_host(a.prefix);
            let up = tracer.upstream(ci, host, cust.tos.unwrap_or(0))?;
            let down = tracer.downstream(host)?;
            let _ = writeln!(out, "  {} (host {host})", a.prefix);
            let _ = writeln!(out, "    upstream:   {}", up.describe(&topology));
            let _ = writeln!(out, "    downstream: {}", down.describe(&topology));
            for (dir, t) in [("upstream", &up), ("downstream", &down)] {
                if !matches!(t.outcome, Outcome::Delivered { .. }) {
                    let _ = writeln!(out, "    ({dir} {})", t.outcome);
                }
            }
        }
    }
    emit(out.as_bytes())
}
