//! The console: server-rendered pages on `docket serve`'s port for the people who act on a review
//! (runs, a run, the worklist, a case, dead letters, policies and reports, the audit), signed in as named accounts (see [`crate::identity`]).
//!
//! Every page works without JavaScript. Every form carries a CSRF token; the session cookie is
//! HttpOnly, SameSite=Strict, and Secure unless the server listens on loopback. Names and
//! A-numbers appear only on case pages, to attorneys; URLs carry run names and case ids only.

mod audit;
mod case;
mod dead_letters;
mod error;
mod memo;
mod pages;
mod policies;
mod runs;
mod session;
mod signin;
mod what_if;
mod worklist;
mod worklist_bulk;

use std::sync::Arc;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use secrecy::SecretString;
use serde::Deserialize;
use sqlx::PgPool;

pub use error::ConsoleError;
pub use session::Session;

/// Settings of the console (`[console]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Minutes a session may stay idle before it must sign in again.
    pub session_idle_minutes: u32,
    /// Header a trusted single-sign-on proxy names the signed-in account in (e.g.
    /// `X-Forwarded-User`); empty: no single sign-on.
    pub sso_user_header: String,
    /// Header carrying the shared secret that proves the request came through the proxy.
    pub sso_secret_header: String,
    /// The shared secret; give it through the environment (`DOCKET_CONSOLE__SSO_SECRET`).
    pub sso_secret: SecretString,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            session_idle_minutes: 30,
            sso_user_header: String::new(),
            sso_secret_header: String::new(),
            sso_secret: SecretString::from(""),
        }
    }
}

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// Database.
    pub pool: PgPool,
    /// Settings.
    pub settings: Arc<ConsoleSettings>,
    /// Key CSRF tokens are derived with (random per process).
    pub csrf_key: Arc<String>,
    /// Mark cookies Secure (the server listens beyond loopback).
    pub secure_cookies: bool,
    /// Where `docket notify` prints letters (`notify.print_dir`), for attorneys to open them.
    pub print_dir: Option<std::path::PathBuf>,
    /// The broker settings the Dead letters page reads and replays with.
    pub queue: Option<Arc<crate::config::Settings>>,
    /// Whole-run aggregates kept while their run is unchanged.
    pub memo: Arc<memo::Memo>,
}

impl ConsoleState {
    /// State for a server on `listen`.
    pub fn new(pool: PgPool, settings: ConsoleSettings, listen: std::net::SocketAddr) -> Self {
        Self {
            pool,
            settings: Arc::new(settings),
            csrf_key: Arc::new(crate::identity::new_secret()),
            secure_cookies: !listen.ip().is_loopback(),
            print_dir: None,
            queue: None,
            memo: Arc::default(),
        }
    }

    /// The same, reading and replaying dead letters with `settings`' broker and queues.
    pub fn with_queue(mut self, settings: crate::config::Settings) -> Self {
        self.queue = Some(Arc::new(settings));
        self
    }

    /// The same, opening letters from `dir`.
    pub fn with_print_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.print_dir = Some(dir);
        self
    }
}

/// The console's routes, under `/console`.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/runs") }))
        .route("/console", get(|| async { Redirect::to("/console/runs") }))
        .route("/console/sign-in", get(signin::form).post(signin::submit))
        .route("/console/sign-out", post(signin::sign_out))
        .route("/console/runs", get(runs::list))
        .route("/console/runs/{run}", get(runs::one))
        .route("/console/runs/{run}/state", post(runs::set_state))
        .route("/console/runs/{run}/worklist", get(worklist::page))
        .route(
            "/console/runs/{run}/worklist/confirm",
            post(worklist_bulk::confirm),
        )
        .route(
            "/console/runs/{run}/worklist/apply",
            post(worklist_bulk::apply),
        )
        .route("/console/runs/{run}/cases/{case_id}", get(case::page))
        .route(
            "/console/runs/{run}/cases/{case_id}/action",
            post(case::action),
        )
        .route(
            "/console/runs/{run}/cases/{case_id}/letters/{id}",
            get(case::letter),
        )
        .route("/console/policies", get(policies::page))
        .route(
            "/console/policies/{rules}/status",
            post(policies::set_status),
        )
        .route("/console/runs/{run}/report", get(policies::report_page))
        .route("/console/runs/{run}/what-if", get(what_if::page))
        .route("/console/dead-letters", get(dead_letters::page))
        .route("/console/dead-letters/confirm", post(dead_letters::confirm))
        .route("/console/dead-letters/replay", post(dead_letters::apply))
        .route("/console/audit", get(audit::page))
        .route("/console/audit.csv", get(audit::csv))
        .route("/console/style.css", get(pages::stylesheet))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .with_state(state)
}
