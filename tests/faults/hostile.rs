//! Hostile input: each message is refused (dead-lettered with its reason) or stored verbatim; the
//! worker never crashes.

use std::time::Duration;

use docket::queue::dead_letter::KIND_HEADER;

use crate::env::{FaultEnv, signal, wait_exit};
use crate::poison::{message, text};

const INJECTION: &str = "Robert'); DROP TABLE outcomes; -- \" OR 1=1 --";

/// Every free-text field of the fixture set to an SQL-injection string.
fn injected(c: &mut serde_json::Value) {
    c["case_id"] = "SQL-1".into();
    for (obj, field) in [
        ("respondent", "given_name"),
        ("respondent", "family_name"),
        ("counsel", "name"),
    ] {
        c[obj][field] = format!("{INJECTION} {field}").into();
    }
    c["respondent"]["address"]["line1"] = INJECTION.into();
    c["respondent"]["address"]["city"] = INJECTION.into();
    c["counsel"]["address"]["line1"] = INJECTION.into();
    c["convictions"][0]["offense"] = INJECTION.into();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_messages_are_refused_or_stored_verbatim_and_never_crash_the_worker() {
    // Arrange
    let env = FaultEnv::new().await;
    let rules = env.rules_without_approval();
    let run_id = env.prepare_open(10, "hostile", &rules).await;
    let run = "hostile";
    let mut ten_mb = message(run, |_| {});
    ten_mb.extend(std::iter::repeat_n(b' ', 10 * 1024 * 1024));
    let depth = 200_000;
    let nested = format!(
        r#"{{"schema":"docket.review/v1","run_id":"hostile","job_id":"{}","case":{}{}}}"#,
        uuid::Uuid::new_v4(),
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let mut bad_utf8 = message(run, |c| c["respondent"]["given_name"] = "MARK".into());
    let at = bad_utf8.windows(4).position(|w| w == b"MARK").unwrap();
    bad_utf8[at..at + 4].copy_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    let cases = [
        ("too_large", ten_mb),
        // Refused where they sit (inside `case`), so they count as validation, not decode.
        ("validation", nested.into_bytes()),
        ("validation", bad_utf8),
        (
            "validation",
            message(run, |c| {
                c["factors"]["usc_or_lpr_relatives"] = serde_json::json!(1e300)
            }),
        ),
        (
            "validation",
            message(run, |c| {
                c["factors"]["usc_or_lpr_relatives"] = serde_json::json!(u64::MAX)
            }),
        ),
        (
            "validation",
            message(run, |c| c["filed_on"] = "2011-02-30".into()),
        ),
        (
            "validation",
            message(run, |c| {
                c["respondent"]["birth_date"] = "+10000-01-01".into()
            }),
        ),
        (
            "validation",
            message(run, |c| c["entry_date"] = "0000-00-00".into()),
        ),
        (
            "validation",
            message(run, |c| {
                c["respondent"]["given_name"] = "nul\u{0}byte".into()
            }),
        ),
        ("stored", message(run, injected)),
        (
            "stored",
            message(run, |c| c["case_id"] = "CONTROL-1".into()),
        ),
    ];
    let bodies: Vec<Vec<u8>> = cases.iter().map(|(_, b)| b.clone()).collect();

    // Act
    let mut worker = env.worker("worker.log");
    env.publish(&bodies).await;
    env.wait_outcomes(run_id, 12, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alive = worker.try_wait().unwrap().is_none();
    signal(&worker, "TERM");
    let (status, _) = wait_exit(&mut worker, Duration::from_secs(30)).await;

    // Assert
    assert!(alive, "{}", env.log("worker.log"));
    assert!(status.success());
    let dead = env.drain_dead().await;
    let mut kinds: Vec<String> = dead.iter().map(|d| text(d, KIND_HEADER).unwrap()).collect();
    kinds.sort();
    let mut want: Vec<&str> = cases
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k != "stored")
        .collect();
    want.sort();
    assert_eq!(kinds, want);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT case_id FROM outcomes WHERE run_id = $1 AND case_id IN ('SQL-1', 'CONTROL-1') ORDER BY 1")
            .bind(run_id)
            .fetch_all(&env.pool)
            .await
            .unwrap();
    assert_eq!(stored, ["CONTROL-1", "SQL-1"]);
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM outcomes")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(tables, 12, "the outcomes table is intact");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_strings_in_every_text_field_are_imported_verbatim() {
    // Arrange
    let env = FaultEnv::new().await;
    let mut case: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/case.json")).unwrap();
    injected(&mut case);
    let file = env.dir.path().join("hostile.ndjson");
    std::fs::write(&file, format!("{case}\n")).unwrap();

    // Act
    env.run(&["import", &file.display().to_string()], "import");

    // Assert
    let record: String =
        sqlx::query_scalar("SELECT record::text FROM cases WHERE case_id = 'SQL-1'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    let stored: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(stored["respondent"]["address"]["line1"], INJECTION);
    assert_eq!(
        stored["counsel"]["name"],
        format!("{INJECTION} name").as_str()
    );
    assert_eq!(stored["convictions"][0]["offense"], INJECTION);
    env.cleanup().await;
}
