//! The offers a batch creates, in the batch's own transaction: each new `offer_recommended`
//! outcome opens an offer; when the rule set requires neither attorney approval nor a background
//! check (decided in pure code, [`automatic_offer`]) the offer is made at once and its notices go
//! to the outbox in the same transaction, unless the run's policy is halted (read in that
//! transaction): then the offers stay recommended.

use sqlx::PgConnection;

use super::review::Plan;
use crate::domain::RuleKind;
use crate::offers::plan::{automatic_offer, batch_offers};
use crate::store::StoreError;
use crate::store::offers;
use crate::store::outcomes::Inserted;

/// Opens offers for the newly inserted recommendations of `plan`, and makes them at once where
/// [`automatic_offer`] says so. Returns the notices queued.
pub async fn open(
    conn: &mut PgConnection,
    plan: &Plan,
    inserted: &Inserted,
    worker: &str,
) -> Result<u64, StoreError> {
    let today = chrono::Utc::now().date_naive();
    let mut notices = 0;
    for group in batch_offers(&inserted.recommended, &plan.recommended) {
        let run_id = group.run_id;
        // Every case here is on file: an outcome is inserted only when the case's imported
        // record has the job's facts (a job for a new case of an open run joined it, record
        // first, in `outcomes::join_open_run`), so the records need no insert of their own.
        let run = &plan.runs[&run_id];
        let qualifying: Vec<&str> = run
            .rules
            .rules(RuleKind::Qualifying)
            .iter()
            .map(|r| r.id())
            .collect();
        let created = offers::recommend(conn, run_id, &group.case_ids, &qualifying, worker).await?;
        let policy = &run.offer_policy;
        let Some(request) = automatic_offer(policy, &created, today) else {
            continue;
        };
        let records = group.records_by_id();
        let out =
            offers::apply_chunk(conn, run_id, policy, &created, &request, records.as_ref()).await?;
        notices += out.applied.iter().map(|a| a.notices).sum::<u64>();
        if let Some(first) = out.refused.first() {
            // Left recommended: `docket offer` makes them once the policy is active again.
            tracing::info!(run_id, refused = out.refused.len(), reason = %first.reason, "Offers not made.");
        }
    }
    Ok(notices)
}
