//! One fault test's world: its own database and queue names, and the built `docket` binary run as
//! real processes with `DOCKET_*` overrides pointing at them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docket::config::Settings;
use lapin::options::BasicGetOptions;
use lapin::types::FieldTable;
use sqlx::PgPool;

use crate::scratch::Scratch;

/// A test's database, queues, scratch folder and settings.
pub struct FaultEnv {
    pub settings: Settings,
    pub pool: PgPool,
    pub db_name: String,
    pub db_url: String,
    pub dir: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
    scratch: Scratch,
}

impl FaultEnv {
    /// A fresh migrated database and fresh queue names.
    pub async fn new() -> FaultEnv {
        let scratch = Scratch::new("fault", true, |_| {}).await;
        let settings = scratch.settings.clone();
        let db_url = scratch.db_url.clone();
        let conn = docket::queue::connect(&settings.amqp, "fault-test")
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        docket::queue::topology::declare(&ch, &settings.amqp)
            .await
            .unwrap();
        conn.close(200, "".into()).await.ok();
        let dir = tempfile::tempdir().unwrap();
        let a = &settings.amqp;
        let vars = vec![
            ("DOCKET_DATABASE__URL", db_url.clone()),
            ("DOCKET_AMQP__EXCHANGE", a.exchange.clone()),
            ("DOCKET_AMQP__QUEUE", a.queue.clone()),
            (
                "DOCKET_AMQP__DEAD_LETTER_EXCHANGE",
                a.dead_letter_exchange.clone(),
            ),
            (
                "DOCKET_AMQP__DEAD_LETTER_QUEUE",
                a.dead_letter_queue.clone(),
            ),
            ("DOCKET_WORKER__BATCH_LINGER_MS", "10".into()),
            ("DOCKET_METRICS__LISTEN", "127.0.0.1:0".into()),
            ("DOCKET_LOG__FORMAT", "json".into()),
            (
                "DOCKET_NOTIFY__PRINT_DIR",
                dir.path().join("print").display().to_string(),
            ),
        ];
        let vars = vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        FaultEnv {
            settings,
            pool: scratch.pool.clone(),
            db_name: scratch.db_name.clone(),
            db_url,
            dir,
            vars,
            scratch,
        }
    }

    /// Sets (or replaces) a `DOCKET_*` variable for every process started from now on.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_string(), value.into()));
    }

    /// `docket ARGS` with this test's variables, run from the crate root, logs to `log`.
    pub fn docket(&self, args: &[&str], log: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_docket"));
        c.args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("RUST_LOG")
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::from(
                std::fs::File::create(self.log_path(&format!("{log}.out"))).unwrap(),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(self.log_path(log)).unwrap(),
            ));
        c
    }

    /// Where a process's log goes.
    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `docket ARGS` to completion; panics with its log on failure.
    pub fn run(&self, args: &[&str], log: &str) {
        let status = self.docket(args, log).status().unwrap();
        assert!(status.success(), "docket {args:?}: {}", self.log(log));
    }

    /// A process's log so far.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// A backlog of `n` cases imported, a run `name` created with `rules`, and its jobs enqueued.
    /// Returns the run id.
    pub async fn prepare(&self, n: usize, name: &str, rules: &Path) -> i64 {
        let run_id = self.setup(n, name, rules).await;
        self.run(&["enqueue", "--run", name, "--quiet"], "enqueue");
        run_id
    }

    /// [`Self::prepare`] with an open run: jobs may bring cases that were never imported.
    pub async fn prepare_open(&self, n: usize, name: &str, rules: &Path) -> i64 {
        let run_id = self.setup_with(n, name, rules, true).await;
        self.run(&["enqueue", "--run", name, "--quiet"], "enqueue");
        run_id
    }

    /// A backlog of `n` cases imported and a run `name` created with `rules`; nothing enqueued.
    pub async fn setup(&self, n: usize, name: &str, rules: &Path) -> i64 {
        self.setup_with(n, name, rules, false).await
    }

    async fn setup_with(&self, n: usize, name: &str, rules: &Path, open: bool) -> i64 {
        let backlog = self.dir.path().join("backlog.ndjson");
        let b = backlog.display().to_string();
        let cases = n.to_string();
        self.run(
            &["generate", "--cases", &cases, "--seed", "11", "--out", &b],
            "generate",
        );
        self.run(&["import", &b], "import");
        let rules = rules.display().to_string();
        let mut create = vec!["run", "create", name, "--rules", &rules];
        if open {
            create.push("--open");
        }
        self.run(&create, "run");
        sqlx::query_scalar("SELECT id FROM runs WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Starts `docket worker`, its log in `log`; killed when dropped if still running, so a
    /// failed test leaves no worker behind.
    pub fn worker(&self, log: &str) -> Worker {
        self.spawn(&["worker"], log)
    }

    /// `docket ARGS` started in the background, killed if the test ends without stopping it.
    pub fn spawn(&self, args: &[&str], log: &str) -> Worker {
        Worker(self.docket(args, log).spawn().unwrap())
    }

    /// Outcomes of a run.
    pub async fn outcomes(&self, run_id: i64) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outcomes WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Waits until `run_id` has at least `n` outcomes; panics after `limit`.
    pub async fn wait_outcomes(&self, run_id: i64, n: i64, limit: Duration) -> i64 {
        let start = Instant::now();
        loop {
            let have = self.outcomes(run_id).await;
            if have >= n {
                return have;
            }
            assert!(
                start.elapsed() < limit,
                "{have} of {n} outcomes after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Messages ready in a queue.
    pub async fn depth(&self, queue: &str) -> u32 {
        let conn = docket::queue::connect(&self.settings.amqp, "fault-test")
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        let n = docket::queue::topology::depth(&ch, queue).await.unwrap();
        conn.close(200, "".into()).await.ok();
        n
    }

    /// Takes every dead letter out of this test's dead-letter queue.
    pub async fn drain_dead(&self) -> Vec<lapin::message::Delivery> {
        let conn = docket::queue::connect(&self.settings.amqp, "fault-test")
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        let mut out = Vec::new();
        let q = self.settings.amqp.dead_letter_queue.as_str();
        while let Some(m) = ch
            .basic_get(q.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            out.push(m.delivery);
        }
        conn.close(200, "".into()).await.ok();
        out
    }

    /// Publishes raw bodies to this test's jobs exchange, with confirms.
    pub async fn publish(&self, bodies: &[Vec<u8>]) {
        let conn = docket::queue::connect(&self.settings.amqp, "fault-test")
            .await
            .unwrap();
        let a = &self.settings.amqp;
        let p = docket::queue::publish::Publisher::open(&conn, &a.exchange, &a.routing_key)
            .await
            .unwrap();
        for chunk in bodies.chunks(200) {
            let mut pending = Vec::new();
            for b in chunk {
                pending.push(p.send(b, None, FieldTable::default()).await.unwrap());
            }
            for c in pending {
                docket::queue::publish::confirmed(c).await.unwrap();
            }
        }
        conn.close(200, "".into()).await.ok();
    }

    /// A copy of the default rule set under which the worker makes offers itself.
    pub fn rules_without_approval(&self) -> PathBuf {
        let text = std::fs::read_to_string("config/rules/morton-2011.toml").unwrap();
        let text = text
            .replace(
                "requires_attorney_approval = true",
                "requires_attorney_approval = false",
            )
            .replace(
                "requires_background_check = true",
                "requires_background_check = false",
            );
        assert!(text.contains("requires_attorney_approval = false"));
        let path = self.dir.path().join("no-approval.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Deletes the queues and exchanges and drops the database (a test that panics before
    /// getting here has them removed when the environment is dropped).
    pub async fn cleanup(self) {
        self.scratch.cleanup().await;
    }
}

/// A `docket` child process (a worker, or `serve`), killed (SIGKILL) when dropped while still running.
pub struct Worker(Child);

impl std::ops::Deref for Worker {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Worker {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Sends a signal to a process with kill(1).
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits for a child to exit, at most `limit`; returns its status and how long it took.
pub async fn wait_exit(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, Duration) {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return (s, start.elapsed());
        }
        assert!(
            start.elapsed() < limit,
            "process still running after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The peak resident set (VmHWM) of a live process, in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// The metrics address a worker printed in its (JSON) log.
pub async fn metrics_addr(env: &FaultEnv, log: &str) -> String {
    logged_addr(env, log, "Worker starting.", "metrics").await
}

/// The address in field `field` of the first (JSON) log line of `log` with message `message`,
/// waited for up to 10 s.
pub async fn logged_addr(env: &FaultEnv, log: &str, message: &str, field: &str) -> String {
    for _ in 0..200 {
        let addr = env.log(log).lines().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["message"] == message).then(|| v[field].as_str().map(str::to_string))?
        });
        if let Some(addr) = addr {
            return addr;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {field} address in {log}: {}", env.log(log));
}

/// Polls the gauge `name` until it reads `want` or `timeout` passes; returns the last reading.
pub async fn wait_gauge(addr: &str, name: &str, want: f64, timeout: Duration) -> Option<f64> {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = gauge(addr, name).await;
        if seen == Some(want) || Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A metric's value from a process's /metrics.
pub async fn gauge(addr: &str, name: &str) -> Option<f64> {
    // Longer than the 2 s database probe each scrape makes.
    let (_, body) = docket::probe::get(&format!("http://{addr}/metrics"), Duration::from_secs(5))
        .await
        .ok()?;
    body.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
