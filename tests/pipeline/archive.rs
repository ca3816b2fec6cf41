//! `docket run archive`: a finished run exported as JSON lines, then every row of it dropped; and
//! run progress from counters rather than from counting outcomes.

use std::collections::HashSet;

use docket::store;

use crate::helpers::TestEnv;
use crate::offers::reviewed_run;
use crate::run_create::docket;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_exports_a_finished_run_then_drops_every_row_of_it() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 40, "old", RULES).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.jsonl");
    let to = file.to_str().unwrap();

    let (ok, _, err) = docket(&env, &["run", "archive", "old", "--to", to]);
    assert!(!ok, "an active run is refused");
    assert!(err.contains("only a completed or cancelled run"), "{err}");
    assert!(!file.exists() && !dir.path().join("old.jsonl.partial").exists());

    store::run_state::complete_finished(&env.pool)
        .await
        .unwrap();
    let (ok, out, err) = docket(&env, &["run", "archive", "old", "--to", to]);
    assert!(ok, "{err}");
    assert!(out.contains("40 outcome(s) archived"), "{out}");

    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 41, "the run, then one line per outcome");
    assert_eq!(lines[0]["schema"], "docket.run-archive/v1");
    assert_eq!(lines[0]["run"]["name"], "old");
    assert_eq!(lines[0]["run"]["rules_text"], RULES);
    let ids: HashSet<&str> = lines[1..]
        .iter()
        .map(|l| l["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 40);
    let rules = docket::rules::RuleSet::from_toml(RULES).unwrap();
    let as_of = lines[0]["run"]["as_of"].as_str().unwrap().parse().unwrap();
    let ctx = docket::rules::EvalContext::new(as_of);
    for l in &lines[1..] {
        // The fired rules by id; their words follow from the first line's rule set.
        let (decision, score) = (
            l["decision"].as_str().unwrap(),
            l["score"].as_i64().unwrap(),
        );
        let fired_ids = l["fired_ids"].as_str().unwrap();
        let evaluation = rules
            .explain(decision.parse().unwrap(), score as i32, fired_ids, &ctx)
            .unwrap_or_else(|e| panic!("{l}: {e}"));
        // ... and are written out, so the file reads without the rule-set format.
        let fired: Vec<docket::domain::FiredRule> =
            serde_json::from_value(l["fired"].clone()).unwrap();
        assert!(!fired.is_empty(), "{l}");
        assert_eq!(fired, evaluation.fired, "{l}");
        let recommended = l["decision"] == "offer_recommended";
        assert_eq!(l["offer"].is_object(), recommended, "{l}");
        if recommended {
            assert!(!l["offer"]["transitions"].as_array().unwrap().is_empty());
        }
    }

    assert_eq!(
        store::archive::rows_left(&env.pool, run_id).await.unwrap(),
        0
    );
    assert!(store::runs::find(&env.pool, "old").await.unwrap().is_none());
    let partition: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(format!("outcomes_run_{run_id}"))
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(partition, None, "the run's partition is dropped");

    let (ok, _, err) = docket(&env, &["run", "archive", "old", "--to", to]);
    assert!(!ok && err.contains("old"), "{err}");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_comes_from_counters_that_fold_without_changing_sums() {
    let env = TestEnv::new().await;
    reviewed_run(&env, 30, "counted", RULES).await;
    let before = store::progress::for_run(&env.pool, "counted")
        .await
        .unwrap();
    assert_eq!(before.reviewed, 30);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM run_counts")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    let nonzero = before.decisions.values().filter(|n| **n > 0).count() as i64;
    assert!(rows >= nonzero, "at least a row per decision made");

    store::counts::fold_older_than(&env.pool, 0.0)
        .await
        .unwrap();
    let after = store::progress::for_run(&env.pool, "counted")
        .await
        .unwrap();
    assert_eq!(after.decisions, before.decisions);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM run_counts WHERE kind = 'decision'")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(rows, nonzero, "one row per decision once folded");

    // A redelivered batch inserts nothing and counts nothing.
    let counted: i64 = sqlx::query_scalar(
        "WITH again AS (INSERT INTO outcomes SELECT * FROM outcomes ON CONFLICT DO NOTHING \
         RETURNING 1) SELECT count(*) FROM again",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(counted, 0);
    let again = store::progress::for_run(&env.pool, "counted")
        .await
        .unwrap();
    assert_eq!(again.reviewed, 30);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completing_a_run_gathers_no_statistics_and_serve_gathers_them_once() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 25, "stats", RULES).await;
    let analyzed_table = |table: String| {
        let pool = env.pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = $1",
            )
            .bind(table)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let analyzed = || analyzed_table(format!("outcomes_run_{run_id}"));
    let offers: i64 = sqlx::query_scalar("SELECT count(*) FROM offers")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert!(offers > 0, "the run made offers");
    assert!(!analyzed_table("offers".into()).await);
    let done = store::run_state::complete_finished(&env.pool)
        .await
        .unwrap();
    assert_eq!(done, 1);
    assert!(
        !analyzed().await,
        "`status` marks a run completed, no ANALYZE"
    );
    let n = store::partitions::analyze_completed(&env.pool)
        .await
        .unwrap();
    assert_eq!(n, 2, "the run's outcome partition and the offers");
    assert!(analyzed().await);
    assert!(analyzed_table("offers".into()).await);
    let again = store::partitions::analyze_completed(&env.pool)
        .await
        .unwrap();
    assert_eq!(again, 0, "fresh statistics are left alone");
    env.cleanup().await;
}
