//! Every log line of a full pipeline run at trace level, checked for the backlog's personal data.

use std::time::Duration;

use crate::env::{FaultEnv, signal, wait_exit};

/// The personal data of a backlog that must never be logged.
fn secrets(ndjson: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in ndjson.lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        let r = &c["respondent"];
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        out.extend(s(&c["a_number"]));
        out.extend(s(&r["birth_date"]));
        out.extend(s(&r["email"]));
        out.extend(s(&r["address"]["line1"]));
        if let (Some(g), Some(f)) = (s(&r["given_name"]), s(&r["family_name"])) {
            out.push(format!("{g} {f}"));
            // Family names long enough not to occur by chance in ordinary words.
            if f.len() >= 7 {
                out.push(f);
            }
        }
        out.extend(s(&c["counsel"]["name"]));
        out.extend(s(&c["counsel"]["email"]));
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_of_a_trace_level_run_holds_personal_data() {
    // Arrange: every process of the pipeline at trace level.
    let mut env = FaultEnv::new().await;
    env.set("RUST_LOG", "trace");
    let rules = env.rules_without_approval();
    let run_id = env.prepare(300, "private", &rules).await;
    let mut worker = env.worker("worker.log");
    env.wait_outcomes(run_id, 300, Duration::from_secs(120))
        .await;
    env.publish(&[crate::poison::message("private", |c| {
        c["a_number"] = "X".into()
    })])
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    signal(&worker, "TERM");
    wait_exit(&mut worker, Duration::from_secs(30)).await;

    // Act: the other commands a demo runs.
    env.run(&["status", "--run", "private"], "status");
    env.run(&["notify", "--once"], "notify");
    env.run(&["expire", "--run", "private"], "expire");
    env.run(&["dlq", "list"], "dlq");

    // Assert
    let backlog = std::fs::read_to_string(env.dir.path().join("backlog.ndjson")).unwrap();
    let secrets = secrets(&backlog);
    assert!(secrets.len() > 900, "{}", secrets.len());
    let mut lines = 0;
    for log in [
        "generate",
        "import",
        "run",
        "enqueue",
        "worker.log",
        "status",
        "notify",
        "expire",
        "dlq",
    ] {
        let text = env.log(log);
        lines += text.lines().count();
        for line in text.lines() {
            for s in &secrets {
                assert!(
                    !line.contains(s.as_str()),
                    "{log} logs personal data {s:?}: {line}"
                );
            }
        }
    }
    let worker_log = env.log("worker.log");
    assert!(worker_log.contains("TRACE"), "the worker logged at trace");
    assert!(worker_log.contains("Batch committed"));
    eprintln!("{lines} log lines checked against {} values", secrets.len());
    env.cleanup().await;
}
