//! A rule set against a run's cases: each imported record of the run evaluated again under the
//! rule set, beside the decision the run recorded (the transition matrix). Used by
//! `docket simulate --run` and the console's what-if page.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::simulate::{self, Input, Simulation};
use crate::domain::Decision;
use crate::rules::{EvalContext, RuleSet};
use crate::store::{self, StoreError};

/// The simulation of `rules` over run `run`, the context it was evaluated in, and a label of the
/// source (`run NAME (rules@version)`). Reading is async; the evaluation runs on the blocking
/// pool on `threads` threads, so a page that asks for it does not stall other requests.
pub async fn against_run(
    pool: &PgPool,
    rules: &RuleSet,
    run: &str,
    as_of: Option<NaiveDate>,
    threads: usize,
) -> Result<(Simulation, EvalContext, String), StoreError> {
    let r = store::runs::get(pool, run).await?;
    let rows = store::policy_counts::records_with_decisions(pool, r.id).await?;
    let ctx = EvalContext {
        as_of: as_of.unwrap_or(r.as_of),
        courts: r.courts,
    };
    let (rules, eval) = (rules.clone(), ctx.clone());
    let sim = tokio::task::spawn_blocking(move || {
        let inputs: Vec<Input<'_>> = rows
            .iter()
            .map(|(record, decision)| Input {
                record: record.as_bytes(),
                recorded: decision.as_deref().and_then(|d| d.parse::<Decision>().ok()),
            })
            .collect();
        simulate::simulate(&rules, &eval, &inputs, true, threads)
    })
    .await
    .expect("the simulation does not panic");
    let source = format!("run {run} ({}@{})", r.rules_name, r.rules_version);
    Ok((sim, ctx, source))
}
