//! Worker processes for the benchmark, and what /proc says about them.

use std::collections::HashMap;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Longest a worker may take to stop after SIGTERM (its shutdown grace is 25 s by default) before
/// it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(40);

/// The bench's worker processes. Dropping them stops them (SIGTERM, then waited for), so a bench
/// that fails or is interrupted part-way never leaves one running.
pub struct Workers(Vec<Child>);

impl Workers {
    /// Starts `n` workers; when one fails to start, those already started are stopped.
    pub fn spawn(env: &[(String, String)], n: usize) -> std::io::Result<Workers> {
        let mut workers = Workers(Vec::with_capacity(n));
        for _ in 0..n {
            workers.0.push(spawn_worker(env)?);
        }
        Ok(workers)
    }

    /// The exit status of a worker that has already exited, if any has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.0.iter_mut().find_map(|c| c.try_wait().ok().flatten())
    }

    /// The largest peak resident set of the workers, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.0
            .iter()
            .filter_map(|c| peak_rss_mib(c.id()))
            .fold(0.0, f64::max)
    }

    /// CPU seconds the workers have used so far, together.
    pub fn cpu_seconds(&self) -> f64 {
        self.0.iter().filter_map(|c| cpu_seconds(c.id())).sum()
    }

    /// Asks every worker to stop at once (SIGTERM), then waits for them all, together at most
    /// [`STOP_LIMIT`] however many there are; those still running then are killed.
    pub fn stop(&mut self) {
        for c in &self.0 {
            terminate(c);
        }
        let deadline = Instant::now() + STOP_LIMIT;
        for mut c in self.0.drain(..) {
            wait(&mut c, deadline);
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `docket worker` as a child process with `env` overrides.
fn spawn_worker(env: &[(String, String)]) -> std::io::Result<Child> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("worker")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn()
}

/// Peak resident set size of a process, in MiB (VmHWM).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU seconds (user + system) a process has used so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    user_system_seconds(pid).map(|(u, s)| u + s)
}

/// CPU seconds this process has spent in the kernel so far (system time).
pub fn own_system_cpu_seconds() -> f64 {
    user_system_seconds(std::process::id()).map_or(0.0, |(_, s)| s)
}

/// CPU seconds a process has used so far, in user space and in the kernel.
fn user_system_seconds(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every mainstream architecture.
    Some((utime / 100.0, stime / 100.0))
}

/// Asks a child to stop (SIGTERM).
fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits for a child to exit, killing it when it is still running at `deadline`.
fn wait(child: &mut Child, deadline: Instant) {
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            _ => return,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// CPU seconds this process has used so far.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

/// Peak resident set size of this process, in MiB (0 when /proc cannot say).
pub fn own_peak_rss_mib() -> f64 {
    peak_rss_mib(std::process::id()).unwrap_or(0.0)
}

/// The CPU seconds of the processes whose command line contains a needle (PostgreSQL backends
/// show their database's name there; RabbitMQ's VM is `beam.smp`), process by process, at one
/// moment: [`CpuReading::since`] gives what they used after it.
pub struct CpuReading {
    needle: String,
    by_pid: HashMap<u32, f64>,
}

impl CpuReading {
    /// Reads the processes matching `needle` now.
    pub fn take(needle: &str) -> CpuReading {
        CpuReading {
            needle: needle.to_string(),
            by_pid: matching(needle),
        }
    }

    /// CPU seconds used since this reading by the processes matching now, each counted from
    /// this reading or, when it started later, from its start. A process that exited in between
    /// is not counted at all: its share is lost rather than subtracted, so the figure may be low
    /// but is never negative (a backend ending between two readings of sums once made it so).
    pub fn since(&self) -> f64 {
        matching(&self.needle)
            .into_iter()
            .map(|(pid, now)| (now - self.by_pid.get(&pid).copied().unwrap_or(0.0)).max(0.0))
            .sum()
    }
}

/// CPU seconds so far of each process whose command line contains `needle`, by pid.
fn matching(needle: &str) -> HashMap<u32, f64> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .filter_map(|pid| Some((pid, cpu_seconds(pid)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test's own process, found by a needle from its command line.
    fn own_needle() -> String {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", std::process::id())).unwrap();
        let first = cmdline.split(|&b| b == 0).next().unwrap();
        String::from_utf8_lossy(first).into_owned()
    }

    #[test]
    fn a_reading_counts_what_matching_processes_used_after_it() {
        let reading = CpuReading::take(&own_needle());
        let started = Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let used = reading.since();
        assert!(used >= 0.1, "300 ms of spinning read as {used} s");
        assert!(used < 60.0, "{used} s");
    }

    #[test]
    fn a_process_missing_from_a_reading_counts_from_zero_and_none_goes_negative() {
        let mut reading = CpuReading::take(&own_needle());
        // As if the process had started after the reading, and another had ended since.
        reading.by_pid.clear();
        reading.by_pid.insert(u32::MAX, 1.0e9);
        assert!(reading.since() >= own_cpu_seconds() * 0.5);
        let nothing = CpuReading::take("no process has this in its command line 7f3a");
        assert_eq!(nothing.since(), 0.0);
    }
}
