//! A per-consumer cache of runs: the stored rule set parsed once, looked up by run name, and
//! every run's state, read again at most once per [`STATE_TTL`] (one query for all runs, never
//! one per message).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::rules::{EvalContext, RuleSet};
use crate::store::offers::OfferPolicy;
use crate::store::run_state::RunStateRow;
use crate::store::{self, StoreError};

/// How long "no such run" is remembered before the database is asked again.
const NEGATIVE_TTL: Duration = Duration::from_secs(5);
/// How long run states are trusted: a pause or cancel takes effect within about this.
pub const STATE_TTL: Duration = Duration::from_secs(1);

/// What a consumer does with a run's jobs, by the run's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gate {
    /// Review them (active, completed, or a run not seen yet).
    Review,
    /// Review them under the run's rate (cases/s across all workers).
    Throttle(f64),
    /// Paused: park them, unreviewed, until the run is resumed.
    Park,
    /// Cancelled: acknowledge them without an outcome.
    Drop,
}

impl Gate {
    /// The gate of a stored state.
    pub fn of(state: &str, rate: Option<f64>) -> Self {
        match (state, rate) {
            ("paused", _) => Gate::Park,
            ("cancelled", _) => Gate::Drop,
            ("throttled", Some(r)) => Gate::Throttle(r),
            _ => Gate::Review,
        }
    }
}

/// A run ready for evaluation.
pub struct LoadedRun {
    /// Run id.
    pub id: i64,
    /// Parsed rule set (the run's stored copy).
    pub rules: RuleSet,
    /// Review date and court scope.
    pub ctx: EvalContext,
    /// What the rule set says about offers (approval, background check, deadline).
    pub offer_policy: OfferPolicy,
    /// Whether jobs may bring cases that were never imported into the run.
    pub open: bool,
}

/// Why a run cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunLookup {
    /// No run of that name.
    Unknown,
    /// The stored rule set does not load (it did when the run was created, so this is corruption).
    BadRules(String),
}

/// Runs by name, with short-lived negative entries so a flood of messages for an unknown run does
/// not become a flood of queries.
#[derive(Default)]
pub struct RunCache {
    known: HashMap<String, Arc<LoadedRun>>,
    missing: HashMap<String, (Instant, RunLookup)>,
    states: HashMap<String, RunStateRow>,
    states_at: Option<Instant>,
}

impl RunCache {
    /// Every run's state, read again when older than [`STATE_TTL`]. Returns whether it was read.
    pub async fn refresh_states(&mut self, pool: &PgPool) -> Result<bool, StoreError> {
        if self.states_at.is_some_and(|t| t.elapsed() < STATE_TTL) {
            return Ok(false);
        }
        let rows = store::run_state::all(pool).await?;
        self.states = rows.into_iter().map(|r| (r.name.clone(), r)).collect();
        self.states_at = Some(Instant::now());
        Ok(true)
    }

    /// Forgets the cached states, so the next batch reads them again.
    pub fn invalidate_states(&mut self) {
        self.states_at = None;
    }

    /// The cached states by run name.
    pub fn states(&self) -> &HashMap<String, RunStateRow> {
        &self.states
    }

    /// The gate of a run by name (review when its state is not known yet).
    pub fn gate(&self, name: &str) -> Gate {
        self.states
            .get(name)
            .map_or(Gate::Review, |r| Gate::of(&r.state, r.rate))
    }

    /// The run named `name`, from the cache or the database.
    pub async fn get(
        &mut self,
        pool: &PgPool,
        name: &str,
    ) -> Result<Result<Arc<LoadedRun>, RunLookup>, StoreError> {
        if let Some(run) = self.known.get(name) {
            return Ok(Ok(run.clone()));
        }
        if let Some((at, why)) = self.missing.get(name)
            && at.elapsed() < NEGATIVE_TTL
        {
            return Ok(Err(why.clone()));
        }
        let Some(run) = store::runs::find(pool, name).await? else {
            self.missing
                .insert(name.to_string(), (Instant::now(), RunLookup::Unknown));
            return Ok(Err(RunLookup::Unknown));
        };
        let rules = match RuleSet::from_toml(&run.rules_text) {
            Ok(r) => r,
            Err(e) => {
                let why = RunLookup::BadRules(e.to_string());
                self.missing
                    .insert(name.to_string(), (Instant::now(), why.clone()));
                return Ok(Err(why));
            }
        };
        let loaded = Arc::new(LoadedRun {
            id: run.id,
            ctx: EvalContext {
                as_of: run.as_of,
                courts: run.courts,
            },
            offer_policy: crate::offers::policy(&rules),
            open: run.open,
            rules,
        });
        self.missing.remove(name);
        self.known.insert(name.to_string(), loaded.clone());
        Ok(Ok(loaded))
    }
}
