//! A 3-node cluster of this test's own, through `scripts/rabbit-cluster`; stopped and its
//! folders removed when dropped, so a failing test leaves no node running.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

/// Only one cluster at a time: three nodes and a review already fill two cores.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A running 3-node cluster: nodes `<name>1..3@localhost`, AMQP on `127.0.0.1:<base+1..3>`.
pub struct Cluster {
    pub name: String,
    base: u16,
}

impl Cluster {
    /// Starts three nodes on free ports and joins them; panics with the script's output if it
    /// cannot.
    pub async fn start() -> Cluster {
        let name = format!("dkt{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let base = free_base();
        // Armed before the nodes exist: a start that fails half-way is cleaned up too.
        let cluster = Cluster { name, base };
        let owner = std::process::id().to_string();
        let base = base.to_string();
        cluster
            .script(
                &["start", &cluster.name, &base, &owner],
                Duration::from_secs(300),
            )
            .await;
        cluster
    }

    /// The AMQP URL of node `n` (1..3).
    pub fn url(&self, n: u8) -> String {
        format!(
            "amqp://guest:guest@127.0.0.1:{}/%2f",
            self.base + u16::from(n)
        )
    }

    /// Every node's URL, beginning with node `first`, as `amqp.urls` takes them.
    pub fn urls_from(&self, first: u8) -> String {
        (0..3)
            .map(|i| self.url((first - 1 + i) % 3 + 1))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The node (1..3) that leads quorum queue `queue`.
    pub async fn leader(&self, queue: &str) -> u8 {
        let out = self
            .script(&["leader", &self.name, queue], Duration::from_secs(60))
            .await;
        out.trim()
            .parse()
            .unwrap_or_else(|_| panic!("no leader for {queue}: {out}"))
    }

    /// The members of quorum queue `queue`, as RabbitMQ lists them.
    pub async fn members(&self, queue: &str) -> String {
        self.script(&["members", &self.name, queue], Duration::from_secs(60))
            .await
    }

    /// SIGKILL node `n`, as a crash would.
    pub async fn kill(&self, n: u8) {
        self.script(
            &["kill", &self.name, &n.to_string()],
            Duration::from_secs(60),
        )
        .await;
    }

    /// Stops node `n` cleanly.
    pub async fn stop_node(&self, n: u8) {
        self.script(
            &["stop-node", &self.name, &n.to_string()],
            Duration::from_secs(120),
        )
        .await;
    }

    /// Starts node `n` again and waits until it runs (it rejoins the cluster).
    pub async fn start_node(&self, n: u8) {
        self.script(
            &["start-node", &self.name, &n.to_string()],
            Duration::from_secs(300),
        )
        .await;
    }

    /// Runs the script with `args` on the blocking pool; panics with its output when it fails or
    /// outlasts `limit`. Returns its standard output.
    async fn script(&self, args: &[&str], limit: Duration) -> String {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let shown = args.join(" ");
        let run = tokio::task::spawn_blocking(move || {
            Command::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/rabbit-cluster"
            ))
            .args(&args)
            .output()
            .expect("scripts/rabbit-cluster runs")
        });
        let out = tokio::time::timeout(limit, run)
            .await
            .unwrap_or_else(|_| {
                panic!("scripts/rabbit-cluster {shown}: still running after {limit:?}")
            })
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "scripts/rabbit-cluster {shown} failed (it needs root or sudo and RabbitMQ installed; \
             scripts/setup installs it): {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let done = Command::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/rabbit-cluster"
        ))
        .args(["stop", &self.name])
        .output();
        if !done.is_ok_and(|o| o.status.success()) {
            eprintln!(
                "could not stop cluster {}; scripts/rabbit-cluster stop {0}",
                self.name
            );
        }
    }
}

/// A base port whose AMQP (base+1..3) and distribution (base+11..13) ports are all free now,
/// below Linux's ephemeral range (32768 on): a port there that is free when checked can be
/// handed to any outgoing connection in the seconds before its node binds it.
fn free_base() -> u16 {
    for _ in 0..200 {
        let base = 20_000 + (rand_u16() % 12_000);
        let free = [1, 2, 3, 11, 12, 13]
            .iter()
            .all(|o| TcpListener::bind(("127.0.0.1", base + o)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no free ports for a cluster");
}

fn rand_u16() -> u16 {
    let b = uuid::Uuid::new_v4().into_bytes();
    u16::from_le_bytes([b[0], b[1]])
}
