//! An import of several batches: rejects and duplicates far into the file keep their own line
//! numbers, and the rows of every batch arrive, in line order, on both ways of loading.

use super::helpers::TestEnv;
use super::{backlog, import};

/// 3,000 generated cases (about 3.4 MB, several of the importer's 1 MiB batches) with a bad line,
/// a blank line and a duplicate far from the start.
fn file() -> String {
    let mut lines: Vec<String> = String::from_utf8(backlog(3000, 21))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.insert(
        2100,
        lines[2099].replacen("\"court\":\"", "\"court\":\"x", 1),
    );
    lines.insert(2500, String::new());
    let dup = lines[9].clone();
    lines.push(dup);
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_and_duplicates_past_the_first_batch_keep_their_line_numbers() {
    let env = TestEnv::new().await;
    let file = file();
    for (pass, expected) in [("direct", (3000, 0)), ("staged", (0, 3000))] {
        let (s, rejects) = import(&env, file.as_bytes()).await;
        assert_eq!(s.lines, 3002, "{pass}: the blank line is not counted");
        assert_eq!((s.counts.inserted, s.counts.unchanged), expected, "{pass}");
        let r: Vec<&str> = rejects.lines().collect();
        assert_eq!(r.len(), 2, "{pass}: {rejects}");
        assert!(r[0].starts_with("line 2101: court: "), "{pass}: {}", r[0]);
        assert_eq!(r[1], "line 3003: case_id: duplicate of line 10", "{pass}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(stored, 3000);
    env.cleanup().await;
}

/// A first import leaves `cases` with statistics (the planner otherwise takes a case id for
/// one of 200 values), and docket's own sessions never JIT-compile a statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_import_analyzes_cases_and_sessions_run_without_jit() {
    let env = TestEnv::new().await;
    let (s, _) = import(&env, &backlog(200, 5)).await;
    assert_eq!(s.counts.inserted, 200);
    let distinct: Option<f32> = sqlx::query_scalar(
        "SELECT n_distinct FROM pg_stats WHERE tablename = 'cases' AND attname = 'case_id'",
    )
    .fetch_optional(&env.pool)
    .await
    .unwrap();
    assert_eq!(distinct, Some(-1.0), "case ids are unique, and known to be");
    let jit: String = sqlx::query_scalar("SHOW jit")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(jit, "off");
    env.cleanup().await;
}
