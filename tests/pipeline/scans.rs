//! The whole-run scans (one statement over the run: `simulate --run` streamed by `COPY`, the
//! report's one count of a run into `run_groups`) against the way they read before (pages of
//! index lookups, the report's join of every member), on a run with every kind of member:
//! reviewed, not reviewed, joined to the open run by a job (negative sequence numbers), with an
//! offer in each of several states, and without one.

use std::time::Duration;

use docket::policy::{Dimension, report, what_if};
use docket::rules::RuleSet;
use docket::store;

use super::helpers::TestEnv;
use super::{backlog, create_open_run, import};

/// Splits an NDJSON backlog into its first `n` lines and the rest.
fn split(bytes: &[u8], n: usize) -> (Vec<u8>, Vec<u8>) {
    let at = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n - 1)
        .map_or(bytes.len(), |(i, _)| i + 1);
    (bytes[..at].to_vec(), bytes[at..].to_vec())
}

/// A reviewed open run of `n` cases, then `joined` more imported cases joined to it as a job
/// would join them (not reviewed), `unreviewed` of the first members' outcomes taken away, and
/// its offers moved along: some offered, some accepted, some declined.
async fn mixed_run(env: &TestEnv, n: usize, joined: usize, unreviewed: i64) -> i64 {
    let (first, rest) = split(&backlog(n + joined, 31), n);
    import(env, &first).await;
    let (run_id, members) = create_open_run(env, "mixed").await;
    assert_eq!(members, n as u64);
    let worker = env.start_worker(None);
    env.enqueue("mixed").await.unwrap();
    env.wait_for_outcomes(run_id, n as i64, Duration::from_secs(120))
        .await;
    worker.stop().await;
    let (summary, _) = import(env, &rest).await;
    assert_eq!((summary.lines, summary.rejected), (joined as u64, 0));
    for sql in [
        // Joined by a job: a negative sequence number, as the worker gives one.
        "INSERT INTO run_cases (run_id, case_id, seq)
         SELECT $1, c.case_id, -nextval('run_cases_joined_seq') FROM cases c
         WHERE NOT EXISTS (SELECT 1 FROM run_cases r WHERE r.run_id = $1 AND r.case_id = c.case_id)",
        // Members without an outcome (and so without an offer), among those without an offer.
        "DELETE FROM outcomes WHERE run_id = $1 AND case_id IN
         (SELECT o.case_id FROM outcomes o WHERE o.run_id = $1 AND NOT EXISTS
            (SELECT 1 FROM offers f WHERE f.run_id = $1 AND f.case_id = o.case_id)
          ORDER BY o.case_id LIMIT $2)",
        "UPDATE offers o SET state = s.state
         FROM (SELECT case_id, (ARRAY['offered','accepted','declined','offer_recommended'])
                 [1 + (row_number() OVER (ORDER BY case_id))::int % 4] AS state
               FROM offers WHERE run_id = $1) s
         WHERE o.run_id = $1 AND o.case_id = s.case_id AND $2 >= 0",
    ] {
        sqlx::query(sql)
            .bind(run_id)
            .bind(unreviewed)
            .execute(&env.pool)
            .await
            .unwrap();
    }
    run_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_run_scans_give_what_the_member_by_member_reads_gave() {
    // Arrange
    let env = TestEnv::new().await;
    let (n, joined, unreviewed) = (700, 40, 25);
    let run_id = mixed_run(&env, n, joined, unreviewed).await;
    let negative: i64 =
        sqlx::query_scalar("SELECT count(*) FROM run_cases WHERE run_id = $1 AND seq < 0")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(negative, joined as i64);

    // Act + Assert: simulate, under the run's own rules and another's, streamed and paged.
    for rules in ["morton-2011", "mayorkas-2021"] {
        let text = std::fs::read_to_string(format!("config/rules/{rules}.toml")).unwrap();
        let rules = RuleSet::from_toml(&text).unwrap();
        let (scanned, ctx, source) = what_if::against_run(&env.pool, &rules, "mixed", None, 2)
            .await
            .unwrap();
        let (paged, paged_ctx, paged_source) =
            what_if::against_run_paged(&env.pool, &rules, "mixed", None, 2, 97)
                .await
                .unwrap();
        assert_eq!(scanned, paged, "{}", rules.name());
        assert_eq!((ctx.as_of, source), (paged_ctx.as_of, paged_source));
        assert_eq!(scanned.cases, (n + joined) as u64);
        let not_reviewed: u64 = scanned
            .transitions
            .iter()
            .flatten()
            .filter(|t| t.from == "not_reviewed")
            .map(|t| t.count)
            .sum();
        assert_eq!(not_reviewed, joined as u64 + unreviewed as u64);
    }

    // The report's one count of the run against the join of every member, every dimension.
    assert!(
        store::groups::ensure_counted(&env.pool, run_id)
            .await
            .unwrap()
    );
    let mut asked: Vec<(Dimension, Option<Dimension>)> =
        Dimension::ALL.iter().map(|d| (*d, None)).collect();
    asked.push((Dimension::Court, Some(Dimension::Relief)));
    for (by, then) in asked {
        let mut counted = store::groups::counts(&env.pool, run_id, by, then)
            .await
            .unwrap();
        let mut joined_up = store::policy_counts::scan_counts(&env.pool, run_id, by, then)
            .await
            .unwrap();
        counted.sort();
        joined_up.sort();
        assert_eq!(counted, joined_up, "{by:?} {then:?}");
        let states: Vec<Option<String>> = counted.iter().map(|c| c.2.clone()).collect();
        assert!(states.contains(&None) && states.contains(&Some("declined".into())));
        assert!(counted.iter().any(|c| c.1.is_none()), "unreviewed members");
        if then.is_none() {
            let a = report::aggregate("mixed", by, &counted);
            let b = report::aggregate("mixed", by, &joined_up);
            assert_eq!(report::table(&a), report::table(&b));
            assert_eq!(a.total.cases, (n + joined) as u64);
        }
    }
    env.cleanup().await;
}
