//! Test environment: a unique, migrated database per test; outbox fixtures built with
//! `plan_notices` from tests/fixtures/case.json; notify settings pointing at a local SMTP sink.

use std::path::Path;

use chrono::NaiveDate;
use docket::config::Settings;
use docket::domain::{Case, NoticeContext, NoticeKind, PlannedNotice, decode_json, plan_notices};
use docket::notify::{Channels, NotifySettings};
use docket::store;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;

const EXAMPLE: &str = include_str!("../fixtures/case.json");

/// One test's database, print folder and settings.
pub struct NotifyEnv {
    pub settings: Settings,
    pub pool: PgPool,
    pub db_name: String,
    pub print_dir: tempfile::TempDir,
}

/// The example case with another id, language, and a respondent email.
pub fn case(case_id: &str, language: &str) -> Case {
    let mut json: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    json["case_id"] = case_id.into();
    json["respondent"]["language"] = language.into();
    json["respondent"]["email"] = format!("{}@respondents.example", case_id.to_lowercase()).into();
    decode_json(json.to_string().as_bytes()).unwrap()
}

/// The notices of an offer for `case`.
pub fn offer_notices(case: &Case) -> Vec<PlannedNotice> {
    let ctx = NoticeContext {
        kind: NoticeKind::Offer,
        deadline: NaiveDate::from_ymd_opt(2012, 2, 15),
        deadline_days: Some(30),
        closure_mechanism: "admin_closure".into(),
        issued_on: NaiveDate::from_ymd_opt(2012, 1, 16).unwrap(),
    };
    plan_notices(case, &ctx)
}

impl NotifyEnv {
    /// A fresh database; SMTP pointed at `smtp_port`; fast retries.
    pub async fn new(smtp_port: u16) -> NotifyEnv {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let mut settings =
            Settings::load(Some(Path::new("config/default.toml"))).expect("settings");
        let base = settings.database.url.expose_secret().to_string();
        let cut = base.rfind('/').expect("database url has a path");
        let db_name = format!("docket_test_{id}");
        settings.database.url = SecretString::from(format!("{}/{db_name}", &base[..cut]));
        settings.database.max_connections = 8;
        if let Err(e) = store::ensure_database(&settings.database).await {
            panic!("PostgreSQL is needed by this test and is not usable: {e}");
        }
        let pool = store::connect(&settings.database)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store::migrate(&pool).await.expect("migrations apply");
        let print_dir = tempfile::tempdir().unwrap();
        let n = &mut settings.notify;
        n.smtp.port = smtp_port;
        n.smtp.timeout_secs = 5;
        n.send_timeout_secs = 10;
        n.backoff_base_ms = 200;
        n.backoff_max_secs = 1;
        n.poll_interval_ms = 50;
        n.print_dir = print_dir.path().to_path_buf();
        NotifyEnv {
            settings,
            pool,
            db_name,
            print_dir,
        }
    }

    pub fn notify(&self) -> &NotifySettings {
        &self.settings.notify
    }

    /// Fresh channels (each relay gets its own SMTP connection pool, like a process would).
    pub fn channels(&self) -> Channels {
        Channels::from_settings(&self.settings.notify).unwrap()
    }

    /// A run row (the outbox's foreign keys need run, offer and transition rows).
    pub async fn run(&self, name: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO runs (name, rules_name, rules_version, rules_hash, rules_text, as_of, created_by) \
             VALUES ($1, 'morton-2011', '1', 'h', '', '2011-11-17', 'test') RETURNING id",
        )
        .bind(name)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Offer + transition rows for `case`, then one outbox row per planned notice; returns the keys.
    pub async fn enqueue(
        &self,
        run_id: i64,
        case: &Case,
        notices: &[PlannedNotice],
    ) -> Vec<String> {
        let case_id = case.case_id.as_str();
        sqlx::query(
            "INSERT INTO offers (run_id, case_id, state) VALUES ($1, $2, 'offered') \
             ON CONFLICT DO NOTHING",
        )
        .bind(run_id)
        .bind(case_id)
        .execute(&self.pool)
        .await
        .unwrap();
        let transition: i64 = sqlx::query_scalar(
            "INSERT INTO transitions (run_id, case_id, from_state, to_state, actor, reason) \
             VALUES ($1, $2, 'background_cleared', 'offered', 'test', 'fixture') RETURNING id",
        )
        .bind(run_id)
        .bind(case_id)
        .fetch_one(&self.pool)
        .await
        .unwrap();
        let mut keys = Vec::new();
        for n in notices {
            let key = docket::domain::idempotency_key(run_id, case_id, transition, n);
            sqlx::query(
                "INSERT INTO notifications (idempotency_key, run_id, case_id, transition_id, kind, \
                 recipient, channel, language, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&key)
            .bind(run_id)
            .bind(case_id)
            .bind(transition)
            .bind(n.payload.kind.as_str())
            .bind(n.recipient.as_str())
            .bind(n.channel.as_str())
            .bind(&n.payload.language)
            .bind(serde_json::to_value(&n.payload).unwrap())
            .execute(&self.pool)
            .await
            .unwrap();
            keys.push(key);
        }
        keys
    }

    /// (status, attempts, last_error) of a row.
    pub async fn row(&self, key: &str) -> (String, i32, Option<String>) {
        sqlx::query_as(
            "SELECT status, attempts, last_error FROM notifications WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Rows of a status.
    pub async fn count(&self, status: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE status = $1")
            .bind(status)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Drops the database.
    pub async fn cleanup(self) {
        self.pool.close().await;
        let mut admin = self.settings.clone();
        let base = admin.database.url.expose_secret().to_string();
        let cut = base.rfind('/').unwrap();
        admin.database.url = SecretString::from(format!("{}/postgres", &base[..cut]));
        if let Ok(p) = store::connect(&admin.database).await {
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.db_name
            ))
            .execute(&p)
            .await
            .ok();
        }
    }
}
