//! The worklist's pages against the real database: every order and filter, walked page by page
//! from cursors (forwards and backwards) and by page number, gives exactly the offers that an
//! independent query over the outcomes and cases selects, in the order asked, each once.

use chrono::NaiveDate;
use docket::domain::Action;
use docket::offers::{Command, execute};
use docket::store::worklist::{self, Cursor, Filter, Queue, Row, Sort, Start};

use crate::helpers::TestEnv;
use crate::offers::reviewed_run;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

/// Every offer of the run as the outcomes and cases say (not the offer's own copies).
async fn reference(env: &TestEnv, run_id: i64) -> Vec<Row> {
    sqlx::query_as(
        "SELECT o.case_id, c.court, oc.score,
                ARRAY(SELECT q.id
                      FROM unnest(string_to_array(oc.fired_ids, ' ')) WITH ORDINALITY q(id, n)
                      WHERE q.id = ANY($2) ORDER BY q.n) AS categories,
                (c.record::json->>'filed_on')::date AS filed_on, o.state, o.deadline
         FROM offers o
         JOIN outcomes oc ON oc.run_id = o.run_id AND oc.case_id = o.case_id
         JOIN cases c ON c.case_id = o.case_id
         WHERE o.run_id = $1",
    )
    .bind(run_id)
    .bind(qualifying())
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

/// The qualifying rule ids of the run's rule set.
fn qualifying() -> Vec<String> {
    docket::rules::RuleSet::from_toml(RULES)
        .unwrap()
        .rules(docket::domain::RuleKind::Qualifying)
        .iter()
        .map(|r| r.id().to_string())
        .collect()
}

fn years_before(d: NaiveDate, y: Option<u32>) -> Option<NaiveDate> {
    y.map(|y| d.checked_sub_months(chrono::Months::new(y * 12)).unwrap())
}

/// What `f` selects from `all`, in `sort` order, by the definitions of the page.
fn expected(all: &[Row], f: &Filter, sort: Sort) -> Vec<String> {
    let (min_filed, max_filed) = (
        years_before(f.as_of, f.min_years),
        years_before(f.as_of, f.max_years),
    );
    let mut rows: Vec<&Row> = all
        .iter()
        .filter(|r| r.state == f.queue.state())
        .filter(|r| f.court.as_ref().is_none_or(|c| &r.court == c))
        .filter(|r| f.min_score.is_none_or(|s| r.score >= s))
        .filter(|r| f.max_score.is_none_or(|s| r.score <= s))
        .filter(|r| f.category.as_ref().is_none_or(|c| r.categories.contains(c)))
        .filter(|r| min_filed.is_none_or(|d| r.filed_on.unwrap() <= d))
        .filter(|r| max_filed.is_none_or(|d| r.filed_on.unwrap() > d))
        .collect();
    rows.sort_by(|a, b| match sort {
        Sort::CaseId => a.case_id.cmp(&b.case_id),
        Sort::ScoreAsc => (a.score, &a.case_id).cmp(&(b.score, &b.case_id)),
        Sort::ScoreDesc => (b.score, &b.case_id).cmp(&(a.score, &a.case_id)),
        Sort::Oldest => (a.filed_on, &a.case_id).cmp(&(b.filed_on, &b.case_id)),
        Sort::Deadline => {
            let key = |r: &Row| (r.deadline.unwrap_or(NaiveDate::MAX), r.case_id.clone());
            key(a).cmp(&key(b))
        }
    });
    rows.into_iter().map(|r| r.case_id.clone()).collect()
}

/// The case ids of every page of `f` in `sort` order, `limit` a page: forwards from cursors,
/// backwards from the last row, and by offset.
async fn walk(env: &TestEnv, run_id: i64, f: &Filter, sort: Sort, limit: u32) -> [Vec<String>; 3] {
    let page = |start: Start| async move {
        worklist::page(&env.pool, run_id, f, sort, limit, &start)
            .await
            .unwrap()
    };
    let (mut forwards, mut start) = (Vec::new(), Start::Offset(0));
    loop {
        let rows = page(start).await;
        assert!(rows.len() <= limit as usize);
        let Some(last) = rows.last() else { break };
        // The cursor goes through its text, as in a link.
        let text = Cursor::of(last, sort).text();
        start = Start::After(Cursor::parse(&text, sort).expect("a cursor reads back"));
        forwards.extend(rows.into_iter().map(|r| r.case_id));
    }
    let mut backwards = Vec::new();
    if let Some(last) = forwards.last() {
        let tail = page(Start::Offset(forwards.len() as u64 - 1)).await;
        assert_eq!(&tail[0].case_id, last);
        backwards.push(last.clone());
        let mut start = Start::Before(Cursor::of(&tail[0], sort));
        loop {
            let rows = page(start).await;
            let Some(first) = rows.first() else { break };
            start = Start::Before(Cursor::of(first, sort));
            for r in rows.into_iter().rev() {
                backwards.push(r.case_id);
            }
        }
        backwards.reverse();
    }
    // By page number as the console asks: pages past the middle are read from the end.
    let mut by_offset = Vec::new();
    let total = forwards.len() as u64;
    for n in 0.. {
        let (start, rows_wanted) = Start::page_at(n * u64::from(limit), total, limit);
        let rows = worklist::page(&env.pool, run_id, f, sort, rows_wanted, &start)
            .await
            .unwrap();
        if rows.is_empty() {
            break;
        }
        by_offset.extend(rows.into_iter().map(|r| r.case_id));
    }
    [forwards, backwards, by_offset]
}

fn filter(queue: Queue, as_of: NaiveDate) -> Filter {
    Filter {
        queue,
        court: None,
        min_score: None,
        max_score: None,
        category: None,
        min_years: None,
        max_years: None,
        as_of,
        today: chrono::Utc::now().date_naive(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_and_filter_pages_through_exactly_the_matching_offers() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 1500, "pages", RULES).await;
    let as_of: NaiveDate = sqlx::query_scalar("SELECT as_of FROM runs WHERE id = $1")
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    // Some offers move on to the next queue, so two queues have rows.
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT case_id FROM offers WHERE run_id = $1 ORDER BY case_id DESC LIMIT 20",
    )
    .bind(run_id)
    .fetch_all(&env.pool)
    .await
    .unwrap();
    let approve = Command {
        run: "pages",
        action: Action::Approve,
        case_ids: ids,
        selection: None,
        actor: "attorney-7",
        reason: "test",
        today: chrono::Utc::now().date_naive(),
        dry_run: false,
        force: false,
    };
    execute(&env.pool, &approve).await.unwrap();

    let all = reference(&env, run_id).await;
    assert!(all.len() > 60, "{} offers", all.len());
    let busiest = {
        let mut courts: Vec<&str> = all.iter().map(|r| r.court.as_str()).collect();
        courts.sort_unstable();
        let mut runs: Vec<(usize, &str)> = courts
            .chunk_by(|a, b| a == b)
            .map(|g| (g.len(), g[0]))
            .collect();
        runs.sort_unstable();
        runs.last().unwrap().1.to_string()
    };
    let category = all
        .iter()
        .flat_map(|r| r.categories.iter())
        .next()
        .expect("a qualifying category")
        .clone();
    let base = filter(Queue::Recommended, as_of);
    let filters = [
        base.clone(),
        filter(Queue::Background, as_of),
        Filter {
            court: Some(busiest.clone()),
            ..base.clone()
        },
        Filter {
            min_score: Some(6),
            max_score: Some(9),
            ..base.clone()
        },
        Filter {
            category: Some(category.clone()),
            min_years: Some(2),
            max_years: Some(8),
            ..base.clone()
        },
    ];
    let sorts = Sort::ALL.map(|(s, _, _)| s);
    for f in &filters {
        let want_count = expected(&all, f, Sort::CaseId).len();
        assert_eq!(
            worklist::count(&env.pool, run_id, f).await.unwrap() as usize,
            want_count,
            "{f:?}"
        );
        for sort in sorts {
            let want = expected(&all, f, sort);
            let [forwards, backwards, by_offset] = walk(&env, run_id, f, sort, 7).await;
            assert_eq!(forwards, want, "forwards, {sort:?}, {f:?}");
            assert_eq!(backwards, want, "backwards, {sort:?}, {f:?}");
            assert_eq!(by_offset, want, "by offset, {sort:?}, {f:?}");
        }
        let ids = worklist::ids(&env.pool, run_id, f).await.unwrap();
        assert_eq!(ids, expected(&all, f, Sort::CaseId), "{f:?}");
    }
    assert!(
        filters
            .iter()
            .all(|f| !expected(&all, f, Sort::CaseId).is_empty()),
        "every filter selects some offers"
    );
    assert!(Cursor::parse("x~../etc", Sort::ScoreAsc).is_none());
    assert!(Cursor::parse("7", Sort::ScoreAsc).is_none());

    // A whole queue's size comes from the run's counters only while every offer of the run is
    // one the worklist lists; an offer without a score makes the queue counted again.
    let listed = worklist::count(&env.pool, run_id, &base).await.unwrap();
    sqlx::query(
        "UPDATE offers SET score = NULL WHERE run_id = $1 AND case_id =
            (SELECT min(case_id) FROM offers WHERE run_id = $1 AND state = $2)",
    )
    .bind(run_id)
    .bind(base.queue.state())
    .execute(&env.pool)
    .await
    .unwrap();
    let counted = worklist::count(&env.pool, run_id, &base).await.unwrap();
    assert_eq!(
        counted,
        listed - 1,
        "the offer without a score is not counted"
    );
    env.cleanup().await;
}
