//! Worker processes for the benchmark, and what /proc says about them.

use std::collections::HashMap;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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

/// How often a [`CpuReading`] looks at the matching processes again.
const POLL: Duration = Duration::from_millis(200);

/// The CPU seconds of the processes whose command line contains a needle (PostgreSQL backends
/// show their database's name there; RabbitMQ's VM is `beam.smp`), from one moment on:
/// [`CpuReading::since`] gives what they used after it. A thread looks at them every [`POLL`],
/// so a process that exits in between (enqueue's reading connection, a pool's idle connection)
/// is counted up to its last look instead of vanishing from the sum: read only at the start and
/// the end, such a backend once made PostgreSQL's CPU print negative, and its work was never
/// counted.
pub struct CpuReading {
    /// CPU seconds of each matching process at the start.
    start: HashMap<u32, f64>,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
}

/// What the polling thread has seen: the last CPU seconds of every matching process, and which
/// processes (matching or not) it has looked at, so each command line is read once.
struct Seen {
    needle: String,
    last: HashMap<u32, f64>,
    checked: HashMap<u32, bool>,
}

impl Seen {
    /// Looks at every process again: reads the command line of those not looked at before and
    /// the CPU seconds of the matching ones.
    fn poll(&mut self) {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return;
        };
        for pid in dir
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        {
            let needle = &self.needle;
            let matches = *self.checked.entry(pid).or_insert_with(|| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle.as_str()))
            });
            if let Some(cpu) = matches.then(|| cpu_seconds(pid)).flatten() {
                self.last.insert(pid, cpu);
            }
        }
    }
}

impl CpuReading {
    /// Reads the processes matching `needle` now, and keeps watching them.
    pub fn take(needle: &str) -> CpuReading {
        let mut seen = Seen {
            needle: needle.to_string(),
            last: HashMap::new(),
            checked: HashMap::new(),
        };
        seen.poll();
        let start = seen.last.clone();
        let seen = Arc::new(Mutex::new(seen));
        let stop = Arc::new(AtomicBool::new(false));
        let (watched, stopped) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(POLL);
                watched.lock().unwrap_or_else(|e| e.into_inner()).poll();
            }
        });
        CpuReading { start, seen, stop }
    }

    /// CPU seconds used since this reading by the processes matching it, each counted from this
    /// reading (or its start, when it started later) to now (or its last look, when it exited).
    pub fn since(&self) -> f64 {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.poll();
        seen.last
            .iter()
            .map(|(pid, now)| (now - self.start.get(pid).copied().unwrap_or(0.0)).max(0.0))
            .sum()
    }
}

impl Drop for CpuReading {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
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
        reading.start.clear();
        reading.start.insert(u32::MAX, 1.0e9);
        assert!(reading.since() >= own_cpu_seconds() * 0.5);
        let nothing = CpuReading::take("no process has this in its command line 7f3a");
        assert_eq!(nothing.since(), 0.0);
    }

    #[test]
    fn a_process_that_exits_before_the_end_is_counted_to_its_last_look() {
        let marker = format!("docket-cpu-reading-{}", std::process::id());
        let reading = CpuReading::take(&marker);
        let mut child = Command::new("sh")
            .args(["-c", "while :; do :; done", &marker])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(900));
        child.kill().unwrap();
        child.wait().unwrap();
        let used = reading.since();
        assert!(
            used > 0.3,
            "a process spinning for 0.9 s then gone read as {used} s"
        );
    }
}
