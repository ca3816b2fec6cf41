//! A per-consumer cache of runs: the stored rule set parsed once, looked up by run name.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::rules::{EvalContext, RuleSet};
use crate::store::offers::OfferPolicy;
use crate::store::{self, StoreError, outcomes::RulesRef};

/// How long "no such run" is remembered before the database is asked again.
const NEGATIVE_TTL: Duration = Duration::from_secs(5);

/// A run ready for evaluation.
pub struct LoadedRun {
    /// Run id.
    pub id: i64,
    /// Parsed rule set (the run's stored copy).
    pub rules: RuleSet,
    /// Name, version and hash recorded with each outcome.
    pub rules_ref: RulesRef,
    /// Review date and court scope.
    pub ctx: EvalContext,
    /// What the rule set says about offers (approval, background check, deadline).
    pub offer_policy: OfferPolicy,
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
}

impl RunCache {
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
            rules_ref: RulesRef {
                name: run.rules_name,
                version: run.rules_version,
                hash: run.rules_hash,
            },
            ctx: EvalContext {
                as_of: run.as_of,
                courts: run.courts,
            },
            offer_policy: crate::offers::policy(&rules),
            rules,
        });
        self.missing.remove(name);
        self.known.insert(name.to_string(), loaded.clone());
        Ok(Ok(loaded))
    }
}
