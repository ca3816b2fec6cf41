//! Offers after review: the lifecycle applied to a run's cases, one at a time or in bulk, by people
//! (CLI, HTTP API) and by the system (the worker's automatic offers, expiry, reminders).

pub mod plan;

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::domain::{Action, OfferState, Requirements};
use crate::rules::{ClosureMechanism, RuleSet};
use crate::store::offer_queries::{self, Selection};
use crate::store::offers::{self, ActionRequest, OfferPolicy, Outcome};
use crate::store::{self, StoreError, runs::Run};

/// Errors of lifecycle operations.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    /// Database failure or unknown run.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The run's stored rule set does not load.
    #[error("the run's stored rule set does not load: {0}")]
    Rules(String),
}

/// The offer settings of a rule set.
pub fn policy(rules: &RuleSet) -> OfferPolicy {
    let o = rules.offer();
    OfferPolicy {
        requirements: Requirements {
            attorney_approval: o.requires_attorney_approval,
            background_check: o.requires_background_check,
        },
        deadline_days: o.deadline_days,
        reminder_days: o.reminder_days,
        closure_mechanism: match o.closure_mechanism {
            ClosureMechanism::AdminClosure => "admin_closure",
            ClosureMechanism::DismissalWithoutPrejudice => "dismissal_without_prejudice",
            ClosureMechanism::Termination => "termination",
        }
        .to_string(),
    }
}

/// A run and the offer settings of its stored rule set.
pub async fn run_policy(pool: &PgPool, run: &str) -> Result<(Run, OfferPolicy), OfferError> {
    let run = store::runs::get(pool, run).await?;
    let rules =
        RuleSet::from_toml(&run.rules_text).map_err(|e| OfferError::Rules(e.to_string()))?;
    Ok((run, policy(&rules)))
}

/// The state an offer must be in for `action` to apply, under `policy` (for bulk selections).
pub fn source_state(action: Action, req: Requirements) -> Option<OfferState> {
    OfferState::ALL
        .into_iter()
        .find(|s| crate::domain::next(*s, action, req).is_ok())
}

/// Who does what, to which cases.
#[derive(Debug, Clone)]
pub struct Command<'a> {
    /// Run name.
    pub run: &'a str,
    /// The action.
    pub action: Action,
    /// Explicit case ids; when empty, `selection` picks them.
    pub case_ids: Vec<String>,
    /// Bulk selection (its state defaults to the one the action applies to).
    pub selection: Option<Selection>,
    /// Who.
    pub actor: &'a str,
    /// Why.
    pub reason: &'a str,
    /// The day it happens.
    pub today: NaiveDate,
    /// Count only; change nothing.
    pub dry_run: bool,
    /// Expire offers before their deadline (needs a reason, which is recorded).
    pub force: bool,
}

/// What a command did (or, in a dry run, would do).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Cases selected.
    pub selected: usize,
    /// Dry run: nothing was changed.
    pub dry_run: bool,
    /// Applied and refused transitions (empty in a dry run).
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Runs a lifecycle command.
pub async fn execute(pool: &PgPool, cmd: &Command<'_>) -> Result<Report, OfferError> {
    let (run, policy) = run_policy(pool, cmd.run).await?;
    let ids = if cmd.case_ids.is_empty() {
        let mut sel = cmd.selection.clone().unwrap_or_default();
        if sel.state.is_none() {
            sel.state = source_state(cmd.action, policy.requirements);
        }
        if sel.state.is_none() {
            return Ok(Report {
                selected: 0,
                dry_run: cmd.dry_run,
                outcome: Outcome::default(),
            });
        }
        offer_queries::select(pool, run.id, &sel).await?
    } else {
        cmd.case_ids.clone()
    };
    if cmd.dry_run {
        return Ok(Report {
            selected: ids.len(),
            dry_run: true,
            outcome: Outcome::default(),
        });
    }
    let req = ActionRequest {
        action: cmd.action,
        actor: cmd.actor,
        reason: cmd.reason,
        today: cmd.today,
        force: cmd.force,
    };
    let outcome = offers::apply(pool, run.id, &policy, &ids, &req).await?;
    Ok(Report {
        selected: ids.len(),
        dry_run: false,
        outcome,
    })
}

/// Expires the run's offers whose deadline passed before `today`, and sends the reminders that are
/// due. Returns (expired, reminded).
pub async fn sweep(
    pool: &PgPool,
    run: &str,
    today: NaiveDate,
) -> Result<(Outcome, Outcome), OfferError> {
    let (run, policy) = run_policy(pool, run).await?;
    let system = |action, reason| ActionRequest {
        force: false,
        action,
        actor: "system",
        reason,
        today,
    };
    let overdue = offer_queries::overdue(pool, run.id, today).await?;
    let expired = offers::apply(
        pool,
        run.id,
        &policy,
        &overdue,
        &system(Action::Expire, "no answer by the deadline"),
    )
    .await?;
    let reminded = if policy.reminder_days > 0 {
        let due = offer_queries::due_for_reminder(
            pool,
            run.id,
            today,
            policy.reminder_days,
            policy.deadline_days,
        )
        .await?;
        offers::apply(
            pool,
            run.id,
            &policy,
            &due,
            &system(Action::Remind, "reminder before the deadline"),
        )
        .await?
    } else {
        Outcome::default()
    };
    Ok((expired, reminded))
}
