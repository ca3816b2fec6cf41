//! Test environment: a unique, migrated database per test; outbox fixtures built with
//! `plan_notices` from tests/fixtures/case.json; notify settings pointing at a local SMTP sink.

use chrono::NaiveDate;
use docket::config::Settings;
use docket::domain::{Case, NoticeContext, NoticeKind, PlannedNotice, decode_json, plan_notices};
use docket::notify::{Channels, NotifySettings};
use sqlx::PgPool;

use crate::scratch::Scratch;

const EXAMPLE: &str = include_str!("../fixtures/case.json");

/// One test's database, print folder and settings.
pub struct NotifyEnv {
    pub settings: Settings,
    pub pool: PgPool,
    pub print_dir: tempfile::TempDir,
    scratch: Scratch,
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
        let scratch = Scratch::new("test", false, |s| s.database.max_connections = 8).await;
        let mut settings = scratch.settings.clone();
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
            pool: scratch.pool.clone(),
            print_dir,
            scratch,
        }
    }

    /// The private database's URL (for the binary).
    pub fn db_url(&self) -> &str {
        &self.scratch.db_url
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

    /// Drops the database (a test that panics before getting here has it dropped when the
    /// environment is dropped).
    pub async fn cleanup(self) {
        self.scratch.cleanup().await;
    }
}
