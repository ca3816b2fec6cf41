//! A rule set against a run's cases: each imported record of the run evaluated again under the
//! rule set, beside the decision the run recorded (the transition matrix). Used by
//! `docket simulate --run` and the console's what-if page.

use std::collections::VecDeque;

use chrono::NaiveDate;
use sqlx::PgPool;

use super::run_scan;
use super::simulate::{self, Input, Simulation};
use super::tally::Tally;
use crate::domain::Decision;
use crate::rules::{EvalContext, RuleSet};
use crate::store::policy_counts::RecordRow;
use crate::store::{self, StoreError};

/// Pages read at once, each on its own connection, while the last one read is evaluated.
/// PostgreSQL, not the evaluation, is the limit of a run's what-if: a page costs it two index
/// lookups a member (the case, the outcome), and one backend does one page at a time.
const IN_FLIGHT: usize = 2;

/// The simulation of `rules` over run `run`, the context it was evaluated in, and a label of the
/// source (`run NAME (rules@version)`). The run is read by one streaming statement
/// ([`super::run_scan`]) and evaluated on the blocking pool on `threads` threads while it streams
/// in, so a page that asks for it does not stall other requests and memory does not grow with
/// the run.
pub async fn against_run(
    pool: &PgPool,
    rules: &RuleSet,
    run: &str,
    as_of: Option<NaiveDate>,
    threads: usize,
) -> Result<(Simulation, EvalContext, String), StoreError> {
    let (r, ctx) = context(pool, run, as_of).await?;
    let total = run_scan::tally_run(pool, r.id, rules, &ctx, threads).await?;
    let source = format!("run {run} ({}@{})", r.rules_name, r.rules_version);
    Ok((simulate::finish(total, true, None), ctx, source))
}

/// The run named `run` and the context its cases are evaluated in.
async fn context(
    pool: &PgPool,
    run: &str,
    as_of: Option<NaiveDate>,
) -> Result<(store::runs::Run, EvalContext), StoreError> {
    let r = store::runs::get(pool, run).await?;
    let ctx = EvalContext {
        as_of: as_of.unwrap_or(r.as_of),
        courts: r.courts.clone(),
    };
    Ok((r, ctx))
}

/// [`against_run`] the way it was read before the streaming scan: `page` sequence numbers at a
/// time, [`IN_FLIGHT`] pages at once, each member looked up in `cases` and `outcomes` by index
/// (the answer does not depend on the page size). Kept as the reference the scan is tested
/// against; at 3,000,000 cases it takes about a minute.
pub async fn against_run_paged(
    pool: &PgPool,
    rules: &RuleSet,
    run: &str,
    as_of: Option<NaiveDate>,
    threads: usize,
    page: i64,
) -> Result<(Simulation, EvalContext, String), StoreError> {
    let (r, ctx) = context(pool, run, as_of).await?;
    let mut ranges = match store::policy_counts::seq_bounds(pool, r.id).await? {
        Some((low, high)) => ranges(low - 1, high, page.max(1)),
        None => Vec::new(),
    }
    .into_iter();
    let read = |(after, through): (i64, i64)| {
        let (pool, run_id) = (pool.clone(), r.id);
        tokio::spawn(async move {
            store::policy_counts::records_in_range(&pool, run_id, after, through).await
        })
    };
    let mut reading: VecDeque<_> = ranges.by_ref().take(IN_FLIGHT).map(read).collect();
    let mut total = Tally::default();
    while let Some(next) = reading.pop_front() {
        let rows = next.await.expect("a page read does not panic")?;
        reading.extend(ranges.next().map(read));
        let (rules, eval) = (rules.clone(), ctx.clone());
        let page = tokio::task::spawn_blocking(move || {
            let inputs: Vec<Input<'_>> = rows.iter().map(input).collect();
            simulate::tally(&rules, &eval, &inputs, true, threads)
        });
        total.merge(page.await.expect("the simulation does not panic"));
    }
    let source = format!("run {run} ({}@{})", r.rules_name, r.rules_version);
    Ok((simulate::finish(total, true, None), ctx, source))
}

/// The ranges `after < seq <= through` of `page` sequence numbers that cover `after < seq <= high`.
fn ranges(after: i64, high: i64, page: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut from = after;
    while from < high {
        let to = from.saturating_add(page).min(high);
        out.push((from, to));
        from = to;
    }
    out
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

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn ranges_cover_every_sequence_number_once() {
        assert_eq!(ranges(0, 5, 2), vec![(0, 2), (2, 4), (4, 5)]);
        assert_eq!(ranges(-4, 3, 4), vec![(-4, 0), (0, 3)]);
        assert_eq!(ranges(0, 0, 10), vec![]);
    }
}
