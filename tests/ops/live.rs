//! A small run with an in-process worker and `docket serve`, each serving its endpoints on a free
//! loopback port, and a real Prometheus server scraping them.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use docket::telemetry::enqueue::EnqueueMetrics;
use docket::telemetry::server::{Readiness, listen, serve};
use tokio_util::sync::CancellationToken;

use crate::helpers::{RunningWorker, TestEnv};

/// A run under way: its environment, worker, and the two metrics endpoints.
pub struct Live {
    pub env: TestEnv,
    pub worker: RunningWorker,
    pub run: String,
    pub run_id: i64,
    pub worker_addr: SocketAddr,
    pub serve_addr: SocketAddr,
    pub enqueue_metrics: EnqueueMetrics,
    servers: CancellationToken,
}

impl Live {
    /// Imports `cases` generated cases, creates a run, starts a worker and serve (not enqueued yet).
    pub async fn start(cases: usize) -> Live {
        let env = TestEnv::new().await;
        let mut ndjson = Vec::new();
        docket::generate::write_ndjson(&mut ndjson, cases, 41).unwrap();
        let mut rejects = Vec::new();
        docket::import::import(&env.pool, std::io::Cursor::new(ndjson), &mut rejects)
            .await
            .unwrap();
        let run = "ops-demo".to_string();
        let (run_id, _) = docket::commands::run_create(
            &env.pool,
            &run,
            Path::new("config/rules/morton-2011.toml"),
            &[],
            None,
        )
        .await
        .unwrap();
        let worker = env.start_worker(None);
        let servers = CancellationToken::new();
        let ready = Arc::new(Readiness {
            pool: env.pool.clone(),
            consumers_connected: Some(worker.metrics.consumers_connected.clone()),
            draining: AtomicBool::new(false),
        });
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let (worker_addr, _) = serve(
            loopback,
            worker.metrics.registry().clone(),
            ready,
            servers.clone(),
        )
        .await
        .unwrap();
        let app = docket::serve::ops_router(docket::serve::readiness(env.pool.clone()));
        let (serve_addr, _) = listen(loopback, app, servers.clone()).await.unwrap();
        Live {
            env,
            worker,
            run,
            run_id,
            worker_addr,
            serve_addr,
            enqueue_metrics: EnqueueMetrics::new(),
            servers,
        }
    }

    /// Publishes the run and waits until every case is reviewed.
    pub async fn enqueue_and_review(&self, cases: i64) {
        let token = CancellationToken::new();
        docket::enqueue::enqueue_with(
            &self.env.settings,
            &self.env.pool,
            &self.run,
            false,
            &token,
            &self.enqueue_metrics,
        )
        .await
        .unwrap();
        self.env
            .wait_for_outcomes(self.run_id, cases, Duration::from_secs(60))
            .await;
    }

    /// GETs a path of the worker's or serve's endpoints; panics unless 200.
    pub async fn get(&self, addr: SocketAddr, path: &str) -> String {
        let (status, body) = docket::probe::get(&format!("http://{addr}{path}"), TIMEOUT)
            .await
            .unwrap();
        assert_eq!(status, 200, "GET {path} on {addr}: {body}");
        body
    }

    /// Stops the servers and the worker, drops the database and queues.
    pub async fn stop(self) {
        self.servers.cancel();
        self.worker.stop().await;
        self.env.cleanup().await;
    }
}

const TIMEOUT: Duration = Duration::from_secs(5);

/// A Prometheus server on a free loopback port, killed when dropped.
pub struct Prometheus {
    child: Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The path of a binary of the Debian `prometheus` package, or a panic that says how to get it.
pub fn binary(name: &str) -> String {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => p.display().to_string(),
        None => panic!(
            "`{name}` is not installed: this test needs a real Prometheus. \
             Run scripts/setup (or apt-get install -y prometheus)."
        ),
    }
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (job name, address) every second.
    pub async fn start(targets: &[(&str, SocketAddr)]) -> Prometheus {
        let exe = binary("prometheus");
        let dir = tempfile::tempdir().unwrap();
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
        );
        for (job, addr) in targets {
            config.push_str(&format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: [\"{addr}\"]\n"
            ));
        }
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(exe)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus {
            child,
            addr,
            _dir: dir,
        };
        let start = Instant::now();
        loop {
            let url = format!("http://{addr}/-/ready");
            if let Ok((200, _)) = docket::probe::get(&url, TIMEOUT).await {
                return p;
            }
            let log =
                std::fs::read_to_string(p._dir.path().join("prometheus.log")).unwrap_or_default();
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "Prometheus not ready on {addr} after 30 s; its log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Evaluates an instant query; the value of each series with its labels.
    pub async fn query(&self, promql: &str) -> Vec<(serde_json::Value, f64)> {
        let url = format!(
            "http://{}/api/v1/query?query={}",
            self.addr,
            docket::probe::encode(promql)
        );
        let (status, body) = docket::probe::get(&url, TIMEOUT).await.unwrap();
        assert_eq!(status, 200, "{promql}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], "success", "{promql}: {body}");
        v["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let value = r["value"][1].as_str().unwrap().parse().unwrap();
                (r["metric"].clone(), value)
            })
            .collect()
    }

    /// Polls `promql` until its single value satisfies `ok`; returns it, or panics with the last.
    pub async fn wait_for(&self, promql: &str, ok: impl Fn(f64) -> bool) -> f64 {
        let start = Instant::now();
        loop {
            let result = self.query(promql).await;
            if let [(_, v)] = result.as_slice()
                && ok(*v)
            {
                return *v;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "Prometheus: {promql} is still {result:?} after 30 s"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
