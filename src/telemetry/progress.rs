//! Run progress as Prometheus gauges, read from the database when scraped. Only `docket serve`
//! exports these, so a sum over its single series is right however many workers run.
//!
//! Labels are the run name (a handful per deployment), a stage, a decision or an offer state:
//! never a case id.

use std::time::{Duration, Instant};

use prometheus::{Histogram, IntCounter, IntGauge, IntGaugeVec, Registry};
use sqlx::PgPool;
use tokio::sync::Mutex;

use super::metrics::{SECONDS, counter, gauge, gauge_vec, histogram, ready_gauge};
use crate::store::progress;

/// Longest a scrape waits for the database before it serves the previous values (and counts a
/// refresh error): with the readiness probe's 2 s, a scrape of a hanging database still answers
/// well within Prometheus's default 10 s scrape timeout.
pub const REFRESH_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The gauges of `docket serve`, refreshed from the database at most once per `min_interval`.
pub struct ProgressMetrics {
    registry: Registry,
    /// `docket_run_cases{run,stage}`: stage is `total`, `published` or `reviewed`.
    pub cases: IntGaugeVec,
    /// `docket_run_decisions{run,decision}`: outcomes per decision.
    pub decisions: IntGaugeVec,
    /// `docket_run_offers{run,state}`: offers per lifecycle state.
    pub offers: IntGaugeVec,
    /// `docket_run_state{run,state}`: 1 for the run's current state, 0 for the others.
    pub state: IntGaugeVec,
    /// `docket_run_paused_seconds{run}`: seconds the run has been paused (0 when not paused).
    pub paused_seconds: IntGaugeVec,
    /// Seconds each refresh took.
    pub refresh_seconds: Histogram,
    /// Refreshes that failed (the previous values are kept).
    pub refresh_errors: IntCounter,
    /// Unix time of the last successful refresh.
    pub refreshed_timestamp: IntGauge,
    /// `docket_ready` of this process.
    pub ready: IntGauge,
    last: Mutex<Option<Instant>>,
    min_interval: Duration,
}

impl ProgressMetrics {
    /// Creates the collectors in a new registry.
    pub fn new(min_interval: Duration) -> Self {
        let r = Registry::new();
        super::metrics::register_process_metrics(&r);
        Self {
            cases: gauge_vec(
                &r,
                "docket_run_cases",
                "Cases of a run by stage: total, published (confirmed by the broker), reviewed.",
                &["run", "stage"],
            ),
            decisions: gauge_vec(
                &r,
                "docket_run_decisions",
                "Outcomes of a run by decision.",
                &["run", "decision"],
            ),
            offers: gauge_vec(
                &r,
                "docket_run_offers",
                "Offers of a run by lifecycle state.",
                &["run", "state"],
            ),
            state: gauge_vec(
                &r,
                "docket_run_state",
                "1 for a run's current state (active, paused, throttled, cancelled, completed), 0 for the others.",
                &["run", "state"],
            ),
            paused_seconds: gauge_vec(
                &r,
                "docket_run_paused_seconds",
                "Seconds a run has been paused; 0 when it is not paused.",
                &["run"],
            ),
            refresh_seconds: histogram(
                &r,
                "docket_progress_refresh_seconds",
                "Seconds to read run progress from the database.",
                SECONDS.to_vec(),
            ),
            refresh_errors: counter(
                &r,
                "docket_progress_refresh_errors_total",
                "Failed reads of run progress (the previous values are served).",
            ),
            refreshed_timestamp: gauge(
                &r,
                "docket_progress_refreshed_timestamp_seconds",
                "Unix time of the last successful read of run progress.",
            ),
            ready: ready_gauge(&r),
            registry: r,
            last: Mutex::new(None),
            min_interval,
        }
    }

    /// The registry, for `/metrics`.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Reads progress from the database unless a read was tried less than `min_interval` ago,
    /// then renders the registry; concurrent scrapes never see a half-updated set of series. A
    /// scrape that waited for another's failed read serves the previous values at once instead
    /// of trying again, so no scrape waits for more than one read.
    pub async fn scrape(&self, pool: &PgPool) -> String {
        let mut last = self.last.lock().await;
        if !last.is_some_and(|t| t.elapsed() < self.min_interval) {
            self.refresh(pool).await;
            *last = Some(Instant::now());
        }
        super::metrics::render(&self.registry)
    }

    async fn refresh(&self, pool: &PgPool) {
        let started = Instant::now();
        let read = tokio::time::timeout(REFRESH_LIMIT, progress::all(pool)).await;
        let error = match read {
            Ok(Ok(runs)) => {
                self.set(&runs);
                self.refresh_seconds
                    .observe(started.elapsed().as_secs_f64());
                self.refreshed_timestamp.set(chrono::Utc::now().timestamp());
                return;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} s", REFRESH_LIMIT.as_secs()),
        };
        self.refresh_errors.inc();
        tracing::warn!(error = %error, "Run progress not read; serving the previous values.");
    }

    /// Replaces every series with `runs` (a deleted run's series disappear).
    pub fn set(&self, runs: &[progress::RunProgress]) {
        self.cases.reset();
        self.decisions.reset();
        self.offers.reset();
        self.state.reset();
        self.paused_seconds.reset();
        for p in runs {
            let run = p.run.as_str();
            for (stage, n) in [
                ("total", p.total),
                ("published", p.published),
                ("reviewed", p.reviewed),
            ] {
                self.cases.with_label_values(&[run, stage]).set(n);
            }
            for (d, n) in &p.decisions {
                self.decisions.with_label_values(&[run, d]).set(*n);
            }
            for (s, n) in &p.offers {
                self.offers.with_label_values(&[run, s]).set(*n);
            }
            for s in crate::store::run_state::RUN_STATES {
                let on = i64::from(p.state == s);
                self.state.with_label_values(&[run, s]).set(on);
            }
            let paused = if p.state == "paused" {
                p.state_seconds
            } else {
                0
            };
            self.paused_seconds.with_label_values(&[run]).set(paused);
        }
    }
}
