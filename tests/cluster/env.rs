//! One cluster test's world: its own cluster, database and queue names, and the built `docket`
//! binary run as real processes with `DOCKET_*` variables pointing at them.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docket::config::Settings;
use secrecy::SecretString;
use sqlx::PgPool;

use crate::nodes::Cluster;
use crate::scratch::Scratch;

/// A test's cluster, database, queues, logs and settings.
pub struct ClusterEnv {
    pub cluster: Cluster,
    pub settings: Settings,
    pub pool: PgPool,
    pub dir: tempfile::TempDir,
    vars: Vec<(String, String)>,
    scratch: Scratch,
}

impl ClusterEnv {
    /// A fresh cluster, a fresh migrated database, fresh queue names declared on the cluster.
    pub async fn new() -> ClusterEnv {
        let cluster = Cluster::start().await;
        let urls = cluster.urls_from(1);
        let scratch = Scratch::new("cluster", false, |s| {
            s.amqp.urls = urls.split(',').map(SecretString::from).collect();
        })
        .await;
        let settings = scratch.settings.clone();
        let conn = docket::queue::connect(&settings.amqp, "cluster-test")
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        docket::queue::topology::declare(&ch, &settings.amqp)
            .await
            .unwrap();
        conn.close(200, "".into()).await.ok();
        let dir = tempfile::tempdir().unwrap();
        let a = &settings.amqp;
        let vars = [
            ("DOCKET_DATABASE__URL", scratch.db_url.clone()),
            ("DOCKET_AMQP__URLS", urls),
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
            ("DOCKET_WORKER__CONSUMERS", "2".into()),
            ("DOCKET_WORKER__BATCH_LINGER_MS", "10".into()),
            ("DOCKET_METRICS__LISTEN", "127.0.0.1:0".into()),
            ("DOCKET_LOG__FORMAT", "json".into()),
        ];
        let vars = vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        ClusterEnv {
            cluster,
            settings,
            pool: scratch.pool.clone(),
            dir,
            vars,
            scratch,
        }
    }

    /// `docket ARGS` with this test's variables and `extra` ones, logs to `log`.
    pub fn docket(&self, args: &[&str], log: &str, extra: &[(&str, String)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_docket"));
        let file = |name: String| std::fs::File::create(self.dir.path().join(name)).unwrap();
        c.args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("RUST_LOG")
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::from(file(format!("{log}.out"))))
            .stderr(Stdio::from(file(log.to_string())));
        c
    }

    /// Runs `docket ARGS` to completion; panics with its log on failure.
    pub fn run(&self, args: &[&str], log: &str) {
        let status = self.docket(args, log, &[]).status().unwrap();
        assert!(status.success(), "docket {args:?}: {}", self.log(log));
    }

    /// `docket ARGS` in the background, killed if the test ends without stopping it.
    pub fn spawn(&self, args: &[&str], log: &str, extra: &[(&str, String)]) -> Proc {
        Proc(self.docket(args, log, extra).spawn().unwrap())
    }

    /// A process's log so far.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// `n` generated cases imported and a run `name` created (no approval needed for offers).
    pub async fn setup(&self, n: usize, name: &str) -> i64 {
        let backlog = self.dir.path().join("backlog.ndjson");
        let b = backlog.display().to_string();
        let cases = n.to_string();
        self.run(
            &["generate", "--cases", &cases, "--seed", "7", "--out", &b],
            "generate",
        );
        self.run(&["import", &b], "import");
        self.run(
            &[
                "run",
                "create",
                name,
                "--rules",
                "config/rules/morton-2011.toml",
            ],
            "run",
        );
        sqlx::query_scalar("SELECT id FROM runs WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Outcomes of a run, and how many distinct cases they are for.
    pub async fn outcomes(&self, run_id: i64) -> (i64, i64) {
        sqlx::query_as("SELECT count(*), count(DISTINCT case_id) FROM outcomes WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Cases of a run the broker has confirmed to `enqueue`.
    pub async fn published(&self, run_id: i64) -> i64 {
        docket::store::publishes::watermark(&self.pool, run_id)
            .await
            .unwrap()
            .published_cases
    }

    /// Waits until `probe` reaches `n`; panics after `limit` naming `what`.
    pub async fn wait_for<F, Fut>(&self, what: &str, n: i64, limit: Duration, probe: F) -> i64
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = i64>,
    {
        let start = Instant::now();
        loop {
            let have = probe().await;
            if have >= n {
                return have;
            }
            assert!(
                start.elapsed() < limit,
                "{what}: {have} of {n} after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `queue` has stayed empty for two seconds (jobs published twice, or requeued
    /// when a node went away, arrive late and are reviewed as duplicates), at most `limit`.
    pub async fn wait_drained(&self, queue: &str, limit: Duration) {
        let start = Instant::now();
        let mut empty_since: Option<Instant> = None;
        loop {
            let depth = self.depth(queue).await;
            let since = if depth == 0 {
                *empty_since.get_or_insert_with(Instant::now)
            } else {
                empty_since = None;
                Instant::now()
            };
            if depth == 0 && since.elapsed() >= Duration::from_secs(2) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "{queue} still holds {depth} jobs after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Messages ready in a queue of the cluster, asked of any node that answers.
    pub async fn depth(&self, queue: &str) -> u32 {
        let conn = docket::queue::connect(&self.settings.amqp, "cluster-test")
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        let n = docket::queue::topology::depth(&ch, queue).await.unwrap();
        conn.close(200, "".into()).await.ok();
        n
    }

    /// Drops the database (the queues go with the cluster, stopped when dropped).
    pub async fn cleanup(self) {
        self.scratch.cleanup().await;
    }
}

/// A `docket` child process, killed (SIGKILL) when dropped while still running.
pub struct Proc(pub Child);

impl Proc {
    /// SIGTERM, then waits for the exit (at most `limit`); returns whether it exited 0.
    pub async fn stop(&mut self, limit: Duration) -> bool {
        let pid = self.0.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.wait(limit).await
    }

    /// Waits for the exit (at most `limit`); returns whether it exited 0.
    pub async fn wait(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        loop {
            if let Some(s) = self.0.try_wait().unwrap() {
                return s.success();
            }
            assert!(
                start.elapsed() < limit,
                "process still running after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
