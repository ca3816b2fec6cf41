//! Counters instead of counting a run's rows on every call: `status` and `/metrics` (offers per
//! state, notices per status, failed notices per channel and reason) and the audit report (cases
//! per group, decision and offer state, counted once then kept by a trigger on offers) agree
//! with a direct count after a real pipeline run with offers and notices, before and after the
//! counters are folded.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use docket::domain::Action;
use docket::offers::{self, Command};
use docket::policy::{Dimension, report};
use docket::store::offer_queries::Selection;
use docket::store::{self, policy_counts::GroupCount};

use crate::helpers::TestEnv;
use crate::offers::reviewed_run;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

/// `action` on the offers `ids`, or on every offer when `ids` is empty.
fn command<'a>(action: Action, ids: Vec<String>) -> Command<'a> {
    Command {
        run: "counted",
        action,
        selection: ids.is_empty().then(Selection::default),
        case_ids: ids,
        actor: "attorney-7",
        reason: "test",
        today: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        dry_run: false,
        force: false,
    }
}

/// Offers through their lifecycle (approved, cleared, offered, one accepted and closed, one
/// declined), with their notices, two of them failed and one sent.
async fn lifecycle(env: &TestEnv, run_id: i64) {
    for action in [Action::Approve, Action::ClearBackground, Action::Offer] {
        offers::execute(&env.pool, &command(action, Vec::new()))
            .await
            .unwrap();
    }
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT case_id FROM offers WHERE run_id = $1 ORDER BY case_id")
            .bind(run_id)
            .fetch_all(&env.pool)
            .await
            .unwrap();
    assert!(ids.len() >= 3, "{} offers", ids.len());
    for (action, id) in [
        (Action::Accept, &ids[0]),
        (Action::Close, &ids[0]),
        (Action::Decline, &ids[1]),
    ] {
        offers::execute(&env.pool, &command(action, vec![id.clone()]))
            .await
            .unwrap();
    }
    for (status, error, limit) in [
        ("failed", Some("permanent: smtp 550"), 2),
        ("failed", None, 1),
        ("sent", None, 1),
    ] {
        sqlx::query(
            "UPDATE notifications SET status = $2, last_error = $3 WHERE id IN \
             (SELECT id FROM notifications WHERE run_id = $1 AND status = 'pending' \
              ORDER BY id LIMIT $4)",
        )
        .bind(run_id)
        .bind(status)
        .bind(error)
        .bind(limit)
        .execute(&env.pool)
        .await
        .unwrap();
    }
}

async fn grouped(env: &TestEnv, sql: &str, run_id: i64) -> BTreeMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(sql)
        .bind(run_id)
        .fetch_all(&env.pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Progress as `status` shows it against the same figures counted from the rows.
async fn assert_progress_is_counted(env: &TestEnv, run_id: i64) {
    let p = store::progress::for_run(&env.pool, "counted")
        .await
        .unwrap();
    let decisions = grouped(
        env,
        "SELECT decision, count(*) FROM outcomes WHERE run_id = $1 GROUP BY 1",
        run_id,
    )
    .await;
    let offers = grouped(
        env,
        "SELECT state, count(*) FROM offers WHERE run_id = $1 GROUP BY 1",
        run_id,
    )
    .await;
    let notices = grouped(
        env,
        "SELECT status, count(*) FROM notifications WHERE run_id = $1 GROUP BY 1",
        run_id,
    )
    .await;
    let failed = grouped(
        env,
        "SELECT channel || '/' || coalesce(last_error, 'unknown'), count(*) FROM notifications \
         WHERE run_id = $1 AND status = 'failed' GROUP BY 1",
        run_id,
    )
    .await;
    let nonzero = |m: &BTreeMap<String, i64>| -> BTreeMap<String, i64> {
        m.iter()
            .filter(|(_, n)| **n != 0)
            .map(|(k, n)| (k.clone(), *n))
            .collect()
    };
    assert_eq!(nonzero(&p.decisions), decisions);
    assert_eq!(p.reviewed, decisions.values().sum::<i64>());
    assert_eq!(nonzero(&p.offers), offers);
    assert_eq!(nonzero(&p.notifications), notices);
    let shown: BTreeMap<String, i64> = p
        .failed_notices
        .iter()
        .map(|f| (format!("{}/{}", f.channel, f.reason), f.count))
        .collect();
    assert_eq!(shown, failed);
    assert_eq!(failed.values().sum::<i64>(), 3);
    assert!(
        offers.len() >= 3 && notices.len() >= 3,
        "{offers:?} {notices:?}"
    );
}

fn sorted(mut lines: Vec<GroupCount>) -> Vec<GroupCount> {
    lines.sort();
    lines
}

/// The report from the run's group counters against the report from a scan of its rows, along
/// every dimension and two two-way breakdowns.
async fn assert_report_is_counted(env: &TestEnv, run_id: i64) {
    let mut asked: Vec<(Dimension, Option<Dimension>)> =
        Dimension::ALL.iter().map(|d| (*d, None)).collect();
    asked.push((Dimension::Court, Some(Dimension::Representation)));
    asked.push((Dimension::Nationality, Some(Dimension::Relief)));
    for (by, then) in asked {
        let counted = store::groups::counts(&env.pool, run_id, by, then)
            .await
            .unwrap();
        let scanned = store::policy_counts::scan_counts(&env.pool, run_id, by, then)
            .await
            .unwrap();
        assert!(!scanned.is_empty());
        assert_eq!(
            sorted(counted.clone()),
            sorted(scanned.clone()),
            "{by:?} {then:?}"
        );
        let (a, b) = match then {
            None => (
                report::aggregate("counted", by, &counted),
                report::aggregate("counted", by, &scanned),
            ),
            Some(t) => (
                report::aggregate_two_way("counted", by, t, &counted),
                report::aggregate_two_way("counted", by, t, &scanned),
            ),
        };
        assert_eq!(report::table(&a), report::table(&b));
        assert_eq!(report::csv(&a), report::csv(&b));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_report_counters_agree_with_counting_the_rows() {
    // Arrange: a reviewed run whose offers went through their lifecycle, with notices.
    let env = TestEnv::new().await;
    // The groups are counted once the run is reviewed; the offers' trigger keeps them after.
    let run_id = reviewed_run(&env, 400, "counted", RULES).await;
    assert!(store::groups::complete(&env.pool, run_id).await.unwrap());
    assert_eq!(outcomes_grouped_unlike_their_cases(&env, run_id).await, 0);
    assert!(
        store::groups::ensure_counted(&env.pool, run_id)
            .await
            .unwrap()
    );
    assert!(
        !store::groups::ensure_counted(&env.pool, run_id)
            .await
            .unwrap()
    );
    lifecycle(&env, run_id).await;

    // Act + Assert: as appended, then folded.
    assert_progress_is_counted(&env, run_id).await;
    assert_report_is_counted(&env, run_id).await;
    store::counts::fold_older_than(&env.pool, 0.0)
        .await
        .unwrap();
    let folded = store::groups::fold_run_over(&env.pool, run_id, 1)
        .await
        .unwrap();
    assert!(folded > 0);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM run_groups WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert!((rows as u64) < folded, "{rows} rows after folding {folded}");
    assert_progress_is_counted(&env, run_id).await;
    assert_report_is_counted(&env, run_id).await;

    // A report of the run goes through the counters and gives the same figures.
    let rep = report::load(&env.pool, "counted", Dimension::Court)
        .await
        .unwrap();
    assert_eq!(rep.total.cases, 400);
    assert_eq!(
        (rep.total.accepted, rep.total.declined, rep.total.closed),
        (1, 1, 1)
    );
    env.cleanup().await;
}

/// The run's outcomes whose groups are missing or differ from their case's columns as imported
/// (the relief group from the record).
async fn outcomes_grouped_unlike_their_cases(env: &TestEnv, run_id: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM outcomes o JOIN cases c USING (case_id)
         WHERE o.run_id = $1
           AND (o.court, o.nationality, o.language, o.represented, o.custody, o.petition)
               IS DISTINCT FROM (c.court, c.nationality, c.language, c.represented, c.custody,
                                 case_has_petition(c.record))",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_outcomes_written_before_they_kept_groups_is_counted_from_its_cases() {
    // Arrange: a reviewed run, some of whose outcomes lost their groups as older rows have none;
    // a petition and pro se cases among them, so that the fallback's own columns matter.
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 300, "older", RULES).await;
    let cleared = sqlx::query(
        "UPDATE outcomes SET court = NULL, nationality = NULL, language = NULL,
                represented = NULL, custody = NULL, petition = NULL
         WHERE run_id = $1 AND (petition OR NOT represented OR case_id IN
             (SELECT case_id FROM outcomes WHERE run_id = $1 ORDER BY case_id LIMIT 40))",
    )
    .bind(run_id)
    .execute(&env.pool)
    .await
    .unwrap()
    .rows_affected();
    assert!(cleared >= 40, "{cleared} outcomes cleared");

    // Act
    let counted = store::groups::ensure_counted(&env.pool, run_id)
        .await
        .unwrap();

    // Assert: counted once, and the same lines as the join of every member to its case.
    assert!(counted);
    assert_report_is_counted(&env, run_id).await;
    assert_eq!(
        outcomes_grouped_unlike_their_cases(&env, run_id).await,
        cleared as i64
    );
    env.cleanup().await;
}
