//! Run progress from the database: total, published, reviewed, the count per decision and the
//! offers per lifecycle state and notices per outbox status. Read by `docket status` and exported once by `docket serve`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::PgPool;

use super::StoreError;
use super::counts::{Counter, FAILED_SEPARATOR};

/// Lifecycle states of an offer, as the `offers.state` CHECK constraint lists them.
pub const OFFER_STATES: [&str; 11] = [
    "offer_recommended",
    "approved",
    "rejected",
    "background_cleared",
    "background_failed",
    "offered",
    "accepted",
    "declined",
    "expired",
    "closed",
    "recalendared",
];

/// States an offer is in once it has been made to the respondent ("% offered" counts these).
pub const OFFERS_MADE: [&str; 6] = [
    "offered",
    "accepted",
    "declined",
    "expired",
    "closed",
    "recalendared",
];

/// Statuses of a notification in the outbox, as the `notifications.status` CHECK lists them.
pub const NOTIFICATION_STATUSES: [&str; 5] = ["pending", "sent", "failed", "held", "cancelled"];

/// Failed notices of a run on one channel for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FailedNotices {
    /// `email` or `letter`.
    pub channel: String,
    /// The reason class and failure class the relay recorded, e.g. `permanent: smtp 550` or
    /// `exhausted: print folder: permission denied` (never an address or a name).
    pub reason: String,
    /// Notices.
    pub count: i64,
}

/// Progress of one run.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RunProgress {
    /// Run name.
    pub run: String,
    /// Rule set `name@version`.
    pub rules: String,
    /// Cases in the run.
    pub total: i64,
    /// Cases whose job the broker confirmed.
    pub published: i64,
    /// Cases with an outcome.
    pub reviewed: i64,
    /// Outcomes per decision (every decision present, zero included).
    pub decisions: BTreeMap<String, i64>,
    /// Offers per lifecycle state (every state present, zero included).
    pub offers: BTreeMap<String, i64>,
    /// Notices per outbox status (pending, sent, failed, held, cancelled).
    pub notifications: BTreeMap<String, i64>,
    /// Failed notices by channel and reason.
    pub failed_notices: Vec<FailedNotices>,
    /// Run state: active, paused, throttled, cancelled or completed.
    pub state: String,
    /// Cases per second when throttled.
    pub rate: Option<f64>,
    /// Whole seconds since the state last changed.
    pub state_seconds: i64,
}

impl RunProgress {
    fn empty(run: String, rules: String, total: i64, published: i64) -> Self {
        let zeros = |names: &mut dyn Iterator<Item = &str>| {
            names
                .map(|n| (n.to_string(), 0))
                .collect::<BTreeMap<_, _>>()
        };
        Self {
            run,
            rules,
            total,
            published,
            reviewed: 0,
            decisions: zeros(&mut crate::domain::Decision::ALL.iter().map(|d| d.as_str())),
            offers: zeros(&mut OFFER_STATES.iter().copied()),
            notifications: zeros(&mut NOTIFICATION_STATUSES.iter().copied()),
            failed_notices: Vec::new(),
            state: "active".into(),
            rate: None,
            state_seconds: 0,
        }
    }

    /// Adds one of the run's counters: a decision's outcomes, an offer state's offers, a notice
    /// status's notices or a channel and reason's failed notices.
    fn add(&mut self, c: Counter) {
        match c.kind.as_str() {
            "decision" => {
                self.reviewed += c.n;
                self.decisions.insert(c.key, c.n);
            }
            "offer" => {
                self.offers.insert(c.key, c.n);
            }
            "notice" => {
                self.notifications.insert(c.key, c.n);
            }
            "failed_notice" => {
                let (channel, reason) = c.key.split_once(FAILED_SEPARATOR).unwrap_or((&c.key, ""));
                self.failed_notices.push(FailedNotices {
                    channel: channel.to_string(),
                    reason: reason.to_string(),
                    count: c.n,
                });
            }
            _ => {}
        }
    }

    /// Reviewed as a percentage of total (0 when the run is empty).
    pub fn reviewed_pct(&self) -> f64 {
        pct(self.reviewed, self.total)
    }

    /// Offers made (offered or any later state).
    pub fn offered(&self) -> i64 {
        OFFERS_MADE
            .iter()
            .map(|s| self.offers.get(*s).copied().unwrap_or(0))
            .sum()
    }

    /// Offers made as a percentage of total.
    pub fn offered_pct(&self) -> f64 {
        pct(self.offered(), self.total)
    }

    /// Count of one decision.
    pub fn count(&self, decision: &str) -> i64 {
        self.decisions.get(decision).copied().unwrap_or(0)
    }
}

/// `part` as a percentage of `whole`.
pub fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Progress of the named run.
pub async fn for_run(pool: &PgPool, name: &str) -> Result<RunProgress, StoreError> {
    super::runs::get(pool, name).await?;
    let all = all(pool).await?;
    Ok(all
        .into_iter()
        .find(|p| p.run == name)
        .expect("the run exists"))
}

/// Progress of every run, in name order: the runs, their counters (see [`super::counts`]) and
/// their states, three queries whatever the number of runs and never a count of their rows.
pub async fn all(pool: &PgPool) -> Result<Vec<RunProgress>, StoreError> {
    let runs = sqlx::query!(
        r#"SELECT r.name, r.rules_name || '@' || r.rules_version AS "rules!",
                  r.total_cases + (SELECT count(*) FROM run_cases j
                                   WHERE j.run_id = r.id AND j.seq < 0) AS "total!",
                  coalesce(p.published_cases, 0) AS "published!"
           FROM runs r LEFT JOIN run_publish_progress p ON p.run_id = r.id ORDER BY r.name"#
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<RunProgress> = runs
        .into_iter()
        .map(|r| RunProgress::empty(r.name, r.rules, r.total, r.published))
        .collect();
    let index: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, p)| (p.run.clone(), i))
        .collect();
    for c in super::counts::all(pool).await? {
        if let Some(&i) = index.get(&c.run) {
            out[i].add(c);
        }
    }
    for s in super::run_state::all(pool).await? {
        if let Some(&i) = index.get(&s.name) {
            out[i].state = s.state;
            out[i].rate = s.rate;
            out[i].state_seconds = s.seconds_in_state as i64;
        }
    }
    Ok(out)
}

/// Outcomes recorded in the last `seconds` seconds, per run name (runs with none are absent).
pub async fn recent(pool: &PgPool, seconds: i64) -> Result<HashMap<String, i64>, StoreError> {
    super::counts::recent(pool, seconds).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_states_match_the_migration_check_constraint() {
        let sql = include_str!("../../migrations/20261129000002_offers_outbox.sql");
        let start = sql
            .find("state        TEXT NOT NULL CHECK")
            .expect("offers.state");
        let check = &sql[start..start + sql[start..].find(")),").expect("end of check")];
        let listed: Vec<&str> = check.split('\'').skip(1).step_by(2).collect();
        assert_eq!(listed, OFFER_STATES);
    }

    #[test]
    fn offer_states_are_the_domain_lifecycle_states() {
        let domain: Vec<&str> = crate::domain::OfferState::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(domain, OFFER_STATES);
    }

    #[test]
    fn offered_counts_every_state_from_offered_on() {
        let mut p = RunProgress::empty("r".into(), "x@1".into(), 200, 200);
        p.offers.insert("offered".into(), 5);
        p.offers.insert("accepted".into(), 7);
        p.offers.insert("closed".into(), 3);
        p.offers.insert("approved".into(), 100);
        assert_eq!(p.offered(), 15);
        assert_eq!(p.offered_pct(), 7.5);
    }
}
