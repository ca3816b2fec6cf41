//! Policy tools on the real pipeline: simulate --run agrees with the worker's recorded decisions,
//! a different rule set shows its transitions, and the report's figures sum to its totals.

use std::path::PathBuf;
use std::time::Duration;

use docket::commands::{ReportArgs, ReportFormat, SimulateArgs};
use docket::domain::Decision;
use docket::policy::Dimension;

use super::helpers::TestEnv;
use super::{backlog, create_run, import};

fn sim_args(rules: &str, run: &str) -> SimulateArgs {
    SimulateArgs {
        rules: PathBuf::from(rules),
        run: Some(run.to_string()),
        cases: None,
        against: None,
        bench: None,
        as_of: None,
        threads: Some(2),
        json: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_over_a_reviewed_run_equals_the_workers_decisions_and_the_report_sums() {
    // Arrange: the real pipeline — import, run create, enqueue, in-process worker.
    let env = TestEnv::new().await;
    let n = 1500;
    import(&env, &backlog(n, 21)).await;
    let (run_id, members) = create_run(&env, "audit").await;
    assert_eq!(members, n as u64);
    let worker = env.start_worker(None);
    env.enqueue("audit").await.unwrap();
    env.wait_for_outcomes(run_id, n as i64, Duration::from_secs(120))
        .await;
    worker.stop().await;
    // Every member reviewed: the run's scan takes its outcomes for its members (the scan of a
    // run with members not reviewed is checked against the paged reads in `scans`).
    let mut conn = env.pool.acquire().await.unwrap();
    let decided = docket::store::run_scan::decided(&mut conn, run_id)
        .await
        .unwrap();
    assert_eq!(decided, n as i64);
    drop(conn);

    // Act: the same rules through the simulator, then another policy.
    let same = docket::commands::simulate(
        &env.settings,
        &sim_args("config/rules/morton-2011.toml", "audit"),
    )
    .await
    .unwrap();
    let other = docket::commands::simulate(
        &env.settings,
        &sim_args("config/rules/mayorkas-2021.toml", "audit"),
    )
    .await
    .unwrap();

    // Assert: no drift between the worker and the simulator.
    assert_eq!((same.cases, same.rejected), (n as u64, 0));
    assert_eq!(same.changed(), 0, "{:?}", same.transitions);
    let recorded = docket::store::outcomes::decisions(&env.pool, run_id)
        .await
        .unwrap();
    for d in Decision::ALL {
        let count = recorded.iter().filter(|(_, x)| x == d.as_str()).count() as u64;
        assert_eq!(same.decisions[&d], count, "{d}");
    }
    // Read in pages of 97 members (16 pages, the last one short), the answer is the same.
    let text = std::fs::read_to_string("config/rules/mayorkas-2021.toml").unwrap();
    let mayorkas = docket::rules::RuleSet::from_toml(&text).unwrap();
    let (paged, _, _) =
        docket::policy::what_if::against_run_paged(&env.pool, &mayorkas, "audit", None, 2, 97)
            .await
            .unwrap();
    assert_eq!(paged, other);
    // Mayorkas decides differently, and every cell accounts for the whole run.
    let cells = other.transitions.as_ref().unwrap();
    assert_eq!(cells.iter().map(|c| c.count).sum::<u64>(), n as u64);
    assert!(other.changed() > 0);
    assert!(
        cells
            .iter()
            .all(|c| !c.samples.is_empty() && c.samples.len() <= 3)
    );

    // Report: with no offers yet, every row and the decisions sum to the totals.
    for by in Dimension::ALL {
        let args = ReportArgs {
            run: "audit".into(),
            by,
            then: None,
            format: ReportFormat::Csv,
            plot: None,
        };
        let rep = docket::commands::report(&env.settings, &args)
            .await
            .unwrap();
        assert_eq!(rep.total.cases, n as u64);
        assert_eq!(rep.total.reviewed, n as u64);
        assert_eq!(
            rep.rows.iter().map(|r| r.reviewed).sum::<u64>(),
            rep.total.reviewed
        );
        for r in rep.rows.iter().chain([&rep.total]) {
            assert_eq!(
                r.decisions.values().sum::<u64>(),
                r.reviewed,
                "{by:?} {}",
                r.group
            );
            assert_eq!((r.offered, r.accepted, r.declined, r.closed), (0, 0, 0, 0));
        }
        let offers: u64 = rep
            .rows
            .iter()
            .map(|r| r.decisions[&Decision::OfferRecommended])
            .sum();
        assert_eq!(offers, same.decisions[&Decision::OfferRecommended]);
    }

    // Offers (opened by the worker for every recommendation) are counted along their lifecycle.
    sqlx::query(
        "UPDATE offers o SET state = s.state
         FROM (SELECT case_id, (ARRAY['offered','accepted','declined','closed'])[1 + (row_number() OVER (ORDER BY case_id))::int % 4] AS state
               FROM offers WHERE run_id = $1) s
         WHERE o.run_id = $1 AND o.case_id = s.case_id",
    )
    .bind(run_id)
    .execute(&env.pool)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("offers.svg");
    // Two-way, court × representation, with its chart.
    let args = ReportArgs {
        run: "audit".into(),
        by: Dimension::Court,
        then: Some(Dimension::Representation),
        format: ReportFormat::Table,
        plot: Some(plot.clone()),
    };
    let rep = docket::commands::report(&env.settings, &args)
        .await
        .unwrap();
    let t = &rep.total;
    let state = |s: &'static str| {
        let pool = env.pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM offers WHERE state = $1")
                .bind(s)
                .fetch_one(&pool)
                .await
                .unwrap();
            n as u64
        }
    };
    let (offered, accepted, declined, closed) = (
        state("offered").await,
        state("accepted").await,
        state("declined").await,
        state("closed").await,
    );
    assert!(closed > 0 && declined > 0 && accepted > 0 && offered > 0);
    assert_eq!(t.offered, t.decisions[&Decision::OfferRecommended]);
    assert_eq!(t.offered, offered + accepted + declined + closed);
    assert_eq!(
        (t.accepted, t.declined, t.closed),
        (accepted + closed, declined, closed)
    );
    assert_eq!(rep.rows.iter().map(|r| r.closed).sum::<u64>(), t.closed);
    assert!(
        rep.rows.iter().all(|r| r.group.contains(" · ")),
        "two-way groups"
    );
    assert!(!rep.within.is_empty());
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert_eq!(svg.matches("fill=\"#3b6ea8\"").count(), rep.rows.len());
    assert!(svg.contains("court · representation"));
    env.cleanup().await;
}
