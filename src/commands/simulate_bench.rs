//! `docket simulate --cases FILE --bench N`: how long a simulation of a backlog file takes and how
//! much memory it holds, with the machine's state beside the figures (the machine is shared, so a
//! figure without its load average says little).

use std::time::Instant;

use anyhow::{Context, Result};

use super::policy::FileSimulation;
use crate::policy::simulate::Simulation;

/// Runs the simulation `passes` times (at least once); prints each pass's wall time and rate, the
/// median, the process's peak resident memory and the load average before and after. Returns the
/// last pass's result.
pub(crate) fn run(file: &FileSimulation<'_>, passes: u32) -> Result<Simulation> {
    let size = std::fs::metadata(file.path)
        .with_context(|| format!("cannot read {}", file.path.display()))?
        .len();
    let before = load_average();
    let compared = file
        .against
        .as_ref()
        .map_or(String::new(), |(b, _)| format!(" against {}", b.name()));
    println!(
        "simulate bench: {} ({:.0} MiB), {}{compared}, {} threads; load average before: {before}",
        file.path.display(),
        size as f64 / MIB,
        file.rules.name(),
        file.threads
    );
    let mut walls = Vec::new();
    let mut last = None;
    for pass in 1..=passes.max(1) {
        let start = Instant::now();
        let sim = file.run()?;
        let wall = start.elapsed().as_secs_f64();
        println!(
            "pass {pass}: {} cases in {wall:.3} s ({:.0} cases/s, {:.0} MiB/s)",
            sim.cases,
            sim.cases as f64 / wall,
            size as f64 / MIB / wall
        );
        walls.push(wall);
        last = Some(sim);
    }
    walls.sort_by(f64::total_cmp);
    println!(
        "median {:.3} s, best {:.3} s; peak RSS {}; load average after: {}",
        walls[walls.len() / 2],
        walls[0],
        peak_rss().map_or("unknown".into(), |kib| format!(
            "{:.0} MiB",
            kib as f64 / 1024.0
        )),
        load_average()
    );
    Ok(last.expect("at least one pass"))
}

const MIB: f64 = 1024.0 * 1024.0;

/// The 1, 5 and 15-minute load averages, as the kernel gives them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The peak resident memory of this process in KiB (`VmHWM`), where the kernel tells it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

/// `VmHWM` of a `/proc/PID/status` text, in KiB.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::parse_vm_hwm;

    #[test]
    fn peak_memory_is_read_from_vm_hwm() {
        let status = "Name:\tdocket\nVmPeak:\t  900 kB\nVmHWM:\t   40960 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(40960));
        assert_eq!(parse_vm_hwm("Name:\tdocket\n"), None);
    }
}
