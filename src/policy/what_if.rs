//! A rule set against a run's cases: each imported record of the run evaluated again under the
//! rule set, beside the decision the run recorded (the transition matrix). Used by
//! `docket simulate --run` and the console's what-if page.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::simulate::{self, Input, Simulation};
use super::tally::Tally;
use crate::domain::Decision;
use crate::rules::{EvalContext, RuleSet};
use crate::store::policy_counts::RecordRow;
use crate::store::{self, StoreError};

/// Members read per page: a page of records is ~20 MiB, so memory stays flat at any run size.
const PAGE: i64 = 20_000;

/// The simulation of `rules` over run `run`, the context it was evaluated in, and a label of the
/// source (`run NAME (rules@version)`). The run is read a page at a time, the next page while
/// the last is evaluated on the blocking pool on `threads` threads, so a page that asks for it
/// does not stall other requests and memory does not grow with the run.
pub async fn against_run(
    pool: &PgPool,
    rules: &RuleSet,
    run: &str,
    as_of: Option<NaiveDate>,
    threads: usize,
) -> Result<(Simulation, EvalContext, String), StoreError> {
    against_run_paged(pool, rules, run, as_of, threads, PAGE).await
}

/// [`against_run`] reading `page` members at a time (the answer does not depend on it).
pub async fn against_run_paged(
    pool: &PgPool,
    rules: &RuleSet,
    run: &str,
    as_of: Option<NaiveDate>,
    threads: usize,
    page: i64,
) -> Result<(Simulation, EvalContext, String), StoreError> {
    let r = store::runs::get(pool, run).await?;
    let ctx = EvalContext {
        as_of: as_of.unwrap_or(r.as_of),
        courts: r.courts,
    };
    let mut total = Tally::default();
    let mut rows = store::policy_counts::records_with_decisions(pool, r.id, 0, page).await?;
    while let Some(last) = rows.last().map(|row| row.seq) {
        let (rules, eval) = (rules.clone(), ctx.clone());
        let evaluate = tokio::task::spawn_blocking(move || {
            let inputs: Vec<Input<'_>> = rows.iter().map(input).collect();
            simulate::tally(&rules, &eval, &inputs, true, threads)
        });
        let next = store::policy_counts::records_with_decisions(pool, r.id, last, page);
        let (page, next) = tokio::join!(evaluate, next);
        total.merge(page.expect("the simulation does not panic"));
        rows = next?;
    }
    let source = format!("run {run} ({}@{})", r.rules_name, r.rules_version);
    Ok((simulate::finish(total, true, None), ctx, source))
}

/// One member as the simulation reads it.
fn input(row: &RecordRow) -> Input<'_> {
    Input {
        record: row.record.as_bytes(),
        recorded: row
            .decision
            .as_deref()
            .and_then(|d| d.parse::<Decision>().ok()),
    }
}
