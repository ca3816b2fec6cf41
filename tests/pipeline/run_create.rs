//! `docket run create`: the state a new run starts in under its policy's status, and the review
//! dates its rule set's effective window allows.

use std::path::Path;
use std::process::Command;

use docket::store::policy_status;
use secrecy::ExposeSecret;

use crate::helpers::TestEnv;

const MORTON: &str = "config/rules/morton-2011.toml";

async fn import(env: &TestEnv, n: usize) {
    let mut ndjson = Vec::new();
    docket::generate::write_ndjson(&mut ndjson, n, 3).unwrap();
    docket::import::import(&env.pool, std::io::Cursor::new(ndjson), std::io::sink())
        .await
        .unwrap();
}

/// `docket ARGS` on this test's database; returns (success, stdout, stderr).
fn docket(env: &TestEnv, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .env(
            "DOCKET_DATABASE__URL",
            env.settings.database.url.expose_secret(),
        )
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

async fn run_state(env: &TestEnv, run_id: i64) -> (String, bool) {
    sqlx::query_as("SELECT state, paused_by_policy FROM runs WHERE id = $1")
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_created_under_a_halted_policy_starts_paused_and_resumes_with_the_policy() {
    // Arrange: a run of Morton's policy, then the policy vacated.
    let env = TestEnv::new().await;
    import(&env, 50).await;
    let p = &env.pool;
    let create = |name| docket::commands::run_create(p, name, Path::new(MORTON), &[], None);
    let (a, _) = create("a").await.unwrap();
    policy_status::set(p, "morton-2011", "vacated", "ops-1", "court order")
        .await
        .unwrap();

    // Act: create two more runs, one from the command line.
    let (b, _) = create("b").await.unwrap();
    let (ok, stdout, stderr) = docket(&env, &["run", "create", "c", "--rules", MORTON]);
    let states = [run_state(&env, a).await, run_state(&env, b).await];
    let history: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT from_state, to_state, reason FROM run_state_changes WHERE run_id = $1 ORDER BY id",
    )
    .bind(b)
    .fetch_all(p)
    .await
    .unwrap();
    let published = docket::enqueue::enqueue(
        &env.settings,
        p,
        "b",
        false,
        &tokio_util::sync::CancellationToken::new(),
    )
    .await
    .unwrap();
    let back = policy_status::set(p, "morton-2011", "active", "ops-1", "reinstated")
        .await
        .unwrap();

    // Assert
    let paused = ("paused".to_string(), true);
    assert_eq!(
        states,
        [paused.clone(), paused],
        "a and b paused by the policy"
    );
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].0.as_str(), history[0].1.as_str()),
        ("active", "paused")
    );
    assert!(history[0].2.contains("vacated"), "{}", history[0].2);
    assert_eq!(
        (published.published, published.stopped_by),
        (0, Some("paused"))
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("run c is paused: its policy morton-2011 is vacated (court order)"),
        "{stdout}"
    );
    assert_eq!(back.runs_resumed, 3, "a, b and c resume with the policy");
    assert_eq!(run_state(&env, b).await, ("active".to_string(), false));
    env.cleanup().await;
}
