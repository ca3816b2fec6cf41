//! A test's private world on the real servers: a fresh, migrated database and fresh queue and
//! exchange names (and its runs' parking queues, `<queue>.parked.<run>`). All are removed by
//! [`Scratch::cleanup`] at the end of a test, and — when the test panics before getting there —
//! by the drop guard, so a failing test leaves nothing behind.
//!
//! Shared by every test crate: `#[path = "../common/scratch.rs"] mod scratch;`.

// Each test crate uses a different part of it.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use docket::config::{AmqpSettings, DatabaseSettings, Settings};
use docket::store;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

/// How long removing a database and its queues may take before it is given up.
pub const CLEANUP_LIMIT: Duration = Duration::from_secs(10);

/// A private database and private queue names; removed on [`Scratch::cleanup`] or on drop.
pub struct Scratch {
    /// Settings naming the private database and queues (a test changes a clone, not these).
    pub settings: Settings,
    /// A pool on the private database.
    pub pool: PgPool,
    /// The private database's name, e.g. `docket_test_0123456789ab`.
    pub db_name: String,
    /// The private database's URL.
    pub db_url: String,
    removal: Removal,
}

impl Scratch {
    /// Creates `docket_{tag}_{id}` (migrated) and names the queues and exchanges `{tag}.{id}.*`.
    /// `configure` adjusts the settings before the pool is opened. With `broker`, RabbitMQ must be
    /// reachable and the queues and exchanges are deleted at the end; without, it is not touched.
    /// Panics, naming the server's URL, when PostgreSQL (or RabbitMQ) is not usable.
    pub async fn new(tag: &str, broker: bool, configure: impl FnOnce(&mut Settings)) -> Scratch {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let mut settings =
            Settings::load(Some(Path::new("config/default.toml"))).expect("settings");
        let base = settings.database.url.expose_secret().to_string();
        let cut = base.rfind('/').expect("database url has a path");
        let db_name = format!("docket_{tag}_{id}");
        let db_url = format!("{}/{db_name}", &base[..cut]);
        settings.database.url = SecretString::from(db_url.clone());
        let a = &mut settings.amqp;
        a.exchange = format!("{tag}.{id}.jobs");
        a.queue = format!("{tag}.{id}.review");
        a.dead_letter_exchange = format!("{tag}.{id}.dead");
        a.dead_letter_queue = format!("{tag}.{id}.review.dead");
        configure(&mut settings);
        // Armed before anything exists, so a panic further down removes what was made so far.
        let mut removal = Removal {
            amqp: broker.then(|| settings.amqp.clone()),
            database: settings.database.clone(),
            admin: admin(&settings.database),
            db_name: db_name.clone(),
            pending: false,
        };
        if let Err(e) = store::ensure_database(&settings.database).await {
            panic!("PostgreSQL is needed by this test and is not usable: {e}");
        }
        removal.pending = true;
        let pool = store::connect(&settings.database)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is needed by this test and is not usable: {e}"));
        store::migrate(&pool).await.expect("migrations apply");
        if broker {
            match docket::queue::connect(&settings.amqp, "test").await {
                Ok(conn) => {
                    conn.close(200, "".into()).await.ok();
                }
                Err(e) => panic!("RabbitMQ is needed by this test and is not usable: {e}"),
            }
        }
        Scratch {
            settings,
            pool,
            db_name,
            db_url,
            removal,
        }
    }

    /// Closes the pool, deletes the queues and exchanges and drops the database.
    pub async fn cleanup(self) {
        let Scratch { pool, removal, .. } = self;
        pool.close().await;
        removal.run().await;
    }
}

/// The same server, database `postgres`: where a database is dropped from.
pub fn admin(db: &DatabaseSettings) -> DatabaseSettings {
    let mut admin = db.clone();
    let url = db.url.expose_secret();
    let cut = url.rfind('/').expect("database url has a path");
    admin.url = SecretString::from(format!("{}/postgres", &url[..cut]));
    admin
}

/// What a scratch world leaves behind until removed: done at once when dropped still pending.
struct Removal {
    amqp: Option<AmqpSettings>,
    database: DatabaseSettings,
    admin: DatabaseSettings,
    db_name: String,
    pending: bool,
}

impl Removal {
    /// Removes everything now, on the caller's runtime.
    async fn run(mut self) {
        tokio::time::timeout(
            CLEANUP_LIMIT,
            remove(&self.amqp, &self.database, &self.admin, &self.db_name),
        )
        .await
        .ok();
        self.pending = false;
    }
}

impl Drop for Removal {
    /// A test that panicked never reached `cleanup`. Drop may run on a runtime's thread (where
    /// blocking on another runtime is refused), so the removal runs on a small runtime of its own
    /// on a thread of its own, joined here; every error is ignored and the whole is time-bounded.
    fn drop(&mut self) {
        if !self.pending {
            return;
        }
        self.pending = false;
        let amqp = self.amqp.take();
        let (database, admin) = (self.database.clone(), self.admin.clone());
        let db_name = self.db_name.clone();
        let thread = std::thread::Builder::new()
            .name("scratch-cleanup".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    tokio::time::timeout(CLEANUP_LIMIT, remove(&amqp, &database, &admin, &db_name))
                        .await
                        .ok();
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            });
        if let Ok(t) = thread {
            t.join().ok();
        }
    }
}

/// Deletes both queues, the runs' parking queues and both exchanges (when the broker was used)
/// and drops the database, ignoring every error: what does not exist is already gone.
async fn remove(
    amqp: &Option<AmqpSettings>,
    database: &DatabaseSettings,
    admin: &DatabaseSettings,
    db_name: &str,
) {
    if let Some(a) = amqp
        && let Ok(conn) = docket::queue::connect(a, "test-cleanup").await
    {
        let mut queues = vec![a.queue.clone(), a.dead_letter_queue.clone()];
        if let Ok(p) = store::connect(database).await {
            let runs: Vec<String> = sqlx::query_scalar("SELECT name FROM runs")
                .fetch_all(&p)
                .await
                .unwrap_or_default();
            p.close().await;
            queues.extend(
                runs.iter()
                    .map(|r| docket::queue::parking::queue_name(a, r)),
            );
        }
        let exchanges = [a.exchange.as_str(), a.dead_letter_exchange.as_str()];
        docket::queue::topology::delete(&conn, &queues, &exchanges).await;
        conn.close(200, "".into()).await.ok();
    }
    if !store::valid_database_name(db_name) {
        return;
    }
    if let Ok(p) = store::connect(admin).await {
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
        ))
        .execute(&p)
        .await
        .ok();
        p.close().await;
    }
}
