//! The offers a batch creates, in the batch's own transaction: each new `offer_recommended`
//! outcome opens an offer; when the rule set requires neither attorney approval nor a background
//! check the offer is made at once and its notices go to the outbox in the same transaction, unless
//! the run's policy is halted (read in that transaction): then the offers stay recommended.

use std::collections::{BTreeMap, HashMap};

use sqlx::PgConnection;

use super::review::Plan;
use crate::domain::{Action, Case};
use crate::store::offers::{self, ActionRequest};
use crate::store::outcomes::Inserted;
use crate::store::{StoreError, cases};

/// Opens offers for the newly inserted recommendations of `plan`. Returns the notices queued.
pub async fn open(
    conn: &mut PgConnection,
    plan: &Plan,
    inserted: &Inserted,
    worker: &str,
) -> Result<u64, StoreError> {
    let mut by_run: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (run, case) in &inserted.recommended {
        by_run.entry(*run).or_default().push(case);
    }
    let mut notices = 0;
    for (run_id, ids) in by_run {
        let records: Vec<Case> = ids
            .iter()
            .filter_map(|id| plan.recommended.get(&(run_id, id.to_string())).cloned())
            .collect();
        // Letters need the address on file even when the job came from another producer.
        cases::insert_missing(conn, &records).await?;
        let created = offers::recommend(conn, run_id, &ids, worker).await?;
        let run = &plan.runs[&run_id];
        let req = run.offer_policy.requirements;
        if created.is_empty() || req.attorney_approval || req.background_check {
            continue;
        }
        // A record missing here (jobs with different facts in one batch) is read from the
        // database by the action instead.
        let complete = records.len() == ids.len();
        let by_id: HashMap<String, Case> = records
            .into_iter()
            .map(|c| (c.case_id.as_str().to_string(), c))
            .collect();
        let out = offers::apply_chunk(
            conn,
            run_id,
            &run.offer_policy,
            &created,
            &ActionRequest {
                action: Action::Offer,
                actor: "system",
                force: false,
                reason: "the rule set requires neither approval nor a background check",
                today: chrono::Utc::now().date_naive(),
            },
            complete.then_some(&by_id),
        )
        .await?;
        notices += out.applied.iter().map(|a| a.notices).sum::<u64>();
        if let Some(first) = out.refused.first() {
            // Left recommended: `docket offer` makes them once the policy is active again.
            tracing::info!(run_id, refused = out.refused.len(), reason = %first.reason, "Offers not made.");
        }
    }
    Ok(notices)
}
