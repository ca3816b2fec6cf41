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
pub(crate) fn docket(env: &TestEnv, args: &[&str]) -> (bool, String, String) {
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
    let published = env.enqueue("b").await.unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_may_review_only_as_of_a_day_in_its_rule_sets_effective_dates() {
    // Arrange
    let env = TestEnv::new().await;
    import(&env, 20).await;
    let day = |d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let create = |name: &'static str, rules: &'static str, as_of: &'static str| {
        let pool = env.pool.clone();
        async move {
            docket::commands::run_create(&pool, name, Path::new(rules), &[], day(as_of))
                .await
                .map_err(|e| e.to_string())
        }
    };
    let johnson = "config/rules/johnson-2014.toml";
    let mayorkas = "config/rules/mayorkas-2021.toml";

    // Act
    let after_morton = create("m1", MORTON, "2016-03-01").await;
    let before_morton = create("m2", MORTON, "2011-11-16").await;
    let last_day = create("m3", MORTON, "2015-01-04").await;
    let by_default = create("m4", MORTON, "").await;
    let rescinded_in_force = create("j1", johnson, "2016-03-01").await;
    let rescinded_after = create("j2", johnson, "2018-01-01").await;
    let open_ended = create("k1", mayorkas, "2030-06-01").await;
    let vacated = create("k2", mayorkas, "2022-08-01").await;
    let (ok, stdout, stderr) = docket(&env, &["run", "create", "m5", "--as-of", "2016-03-01"]);

    // Assert
    let refused = after_morton.expect_err("after the end date");
    assert!(
        refused.contains(
            "as_of: 2016-03-01 is outside the effective dates of rule set \
             morton-2011@1.1.0 (2011-11-17 to 2015-01-04)"
        ),
        "{refused}"
    );
    assert!(before_morton.expect_err("before").contains("2011-11-16"));
    assert!(last_day.is_ok(), "{last_day:?}");
    assert!(by_default.is_ok(), "{by_default:?}");
    assert!(rescinded_in_force.is_ok(), "{rescinded_in_force:?}");
    let refused = rescinded_after.expect_err("after Johnson's end");
    assert!(refused.contains("(2015-01-05 to 2017-02-20)"), "{refused}");
    assert!(open_ended.is_ok(), "{open_ended:?}");
    let refused = vacated.expect_err("while vacated");
    assert!(
        refused.contains("not 2022-06-10 to 2023-06-22"),
        "{refused}"
    );
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("2011-11-17 to 2015-01-04"), "{stderr}");
    let runs: Vec<String> = sqlx::query_scalar("SELECT name FROM runs ORDER BY name")
        .fetch_all(&env.pool)
        .await
        .unwrap();
    assert_eq!(runs, ["j1", "k1", "m3", "m4"]);
    env.cleanup().await;
}

#[test]
fn rules_check_lists_the_dates_runs_may_use_and_refuses_an_ended_policy_called_active() {
    let out = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_docket"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        (o.status.success(), String::from_utf8(o.stdout).unwrap())
    };
    let shipped = [
        "rules",
        "check",
        MORTON,
        "config/rules/johnson-2014.toml",
        "config/rules/mayorkas-2021.toml",
    ];
    let (ok, listing) = out(&shipped);
    assert!(ok, "{listing}");
    assert!(
        listing.contains(
            "morton-2011@1.1.0, in force 2011-11-17 to 2015-01-04 (runs review as of these days), \
             status now superseded by johnson-2014"
        ),
        "{listing}"
    );
    assert!(
        listing.contains(
            "mayorkas-2021@2.0.0, in force from 2021-11-29, no end, not 2022-06-10 to \
             2023-06-22 (runs review as of these days), status now active"
        ),
        "{listing}"
    );
    let stale = tempfile::NamedTempFile::new().unwrap();
    let text = std::fs::read_to_string(MORTON).unwrap();
    std::fs::write(
        stale.path(),
        text.replacen("status = \"superseded\"", "status = \"active\"", 1),
    )
    .unwrap();
    let (ok, listing) = out(&["rules", "check", stale.path().to_str().unwrap()]);
    assert!(!ok, "{listing}");
    assert!(
        listing.contains("status: is \"active\" but the policy ended on 2015-01-04"),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_no_run_uses_yet_can_be_halted_from_its_rule_set_file() {
    // Arrange: cases but no run.
    let env = TestEnv::new().await;
    import(&env, 20).await;
    let halt = ["run", "policy", "morton-2011", "--status", "enjoined"];
    let why = ["--reason", "injunction"];

    // Act: by name alone, with another policy's file, then with its own file; then a first run.
    let by_name = docket(&env, &[&halt[..], &why[..]].concat());
    let other = docket(
        &env,
        &[
            &halt[..],
            &why[..],
            &["--rules-file", "config/rules/johnson-2014.toml"],
        ]
        .concat(),
    );
    let own = docket(
        &env,
        &[&halt[..], &why[..], &["--rules-file", MORTON]].concat(),
    );
    let (run, _) = docket::commands::run_create(&env.pool, "first", Path::new(MORTON), &[], None)
        .await
        .unwrap();

    // Assert: a bare name no run uses is refused as a likely typo, naming the way out; a file of
    // another policy is refused; the policy's own file declares it, and its first run starts
    // paused by it.
    assert!(!by_name.0, "{by_name:?}");
    assert!(by_name.2.contains("--rules-file"), "{}", by_name.2);
    assert!(!other.0, "{other:?}");
    assert!(other.2.contains("not \"morton-2011\""), "{}", other.2);
    assert!(own.0, "{own:?}");
    assert!(own.1.contains("active -> enjoined"), "{}", own.1);
    assert_eq!(run_state(&env, run).await, ("paused".to_string(), true));
    env.cleanup().await;
}
