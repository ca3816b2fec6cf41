//! `docket simulate --cases FILE --bench N`: how long a simulation of a backlog file takes, how much
//! CPU it uses and how much memory it holds, with the machine's state beside the figures (the
//! machine is shared, so a wall time without its load average says little; CPU time says more).

use std::time::Instant;

use anyhow::{Context, Result};

use super::policy::FileSimulation;
use crate::policy::simulate::Simulation;

/// Runs the simulation `passes` times (at least once); prints each pass's wall time, rate and CPU
/// time (user + system, every thread), the median, the process's peak resident memory and the load
/// average before and after. Returns the last pass's result.
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
        let cpu_before = cpu_seconds();
        let start = Instant::now();
        let sim = file.run()?;
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds()
            .zip(cpu_before)
            .map_or("unknown".into(), |(after, before)| {
                format!("{:.2} s", after - before)
            });
        println!(
            "pass {pass}: {} cases in {wall:.3} s ({:.0} cases/s, {:.0} MiB/s), CPU {cpu}",
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

/// CPU seconds (user + system) used so far by every thread of this process, where the kernel
/// tells it.
fn cpu_seconds() -> Option<f64> {
    parse_cpu_seconds(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// User + system time of a `/proc/PID/stat` line, in seconds. The kernel counts in ticks of
/// USER_HZ, 100 a second on Linux whatever the kernel's own tick rate.
fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    // The command name, in parentheses, may hold spaces: fields are counted after its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After the name: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
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
    use super::{parse_cpu_seconds, parse_vm_hwm};

    #[test]
    fn cpu_time_is_user_plus_system_ticks_after_the_name() {
        let stat = "4242 (docket sim) R 1 4242 4242 0 -1 4194304 900 0 0 0 1234 56 0 0 20 0 3 0";
        assert_eq!(parse_cpu_seconds(stat), Some(12.90));
        assert_eq!(parse_cpu_seconds("4242 (docket) R 1"), None);
    }

    #[test]
    fn peak_memory_is_read_from_vm_hwm() {
        let status = "Name:\tdocket\nVmPeak:\t  900 kB\nVmHWM:\t   40960 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(40960));
        assert_eq!(parse_vm_hwm("Name:\tdocket\n"), None);
    }
}
