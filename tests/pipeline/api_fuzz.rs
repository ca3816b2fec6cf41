//! The API fuzzed from its own generated document: schemathesis (installed by `scripts/setup`)
//! sends generated and boundary requests to every operation of the real server, with a read, an
//! attorney and an operator token, and must find no 5xx and no response outside the document.

use std::process::Command;

use crate::api_doc::scoped_tokens;
use crate::browser::Server;
use crate::helpers::TestEnv;
use crate::offers::reviewed_run;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

/// The checks that make "no 5xx, nothing undocumented": status, content type and body schema.
const CHECKS: &str = "not_a_server_error,status_code_conformance,\
                      content_type_conformance,response_schema_conformance";

/// Runs schemathesis against the served document with `token`; returns its output on failure.
fn fuzz(base: &str, token: &str) -> Result<(), String> {
    let out = Command::new("st")
        .args(["run", &format!("{base}/api/v1/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "30", "--seed", "2011"])
        .args(["--generation-deterministic", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .unwrap_or_else(|e| panic!("schemathesis (st) runs; scripts/setup installs it: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        // The summary (operations tested, cases generated, checks passed) goes to the test log.
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("{}", lines[lines.len().saturating_sub(30)..].join("\n"));
        Ok(())
    } else {
        Err(text)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_response_outside_the_document() {
    // Arrange: a reviewed run with offers, a token of each scope, and the real server.
    let env = TestEnv::new().await;
    reviewed_run(&env, 200, "fuzz", RULES).await;
    let tokens = scoped_tokens(&env).await;
    let server = Server::start(&env.pool).await;

    // Act and assert: each scope's run is clean.
    let base = server.base.clone();
    for token in tokens {
        let base = base.clone();
        let result = tokio::task::spawn_blocking(move || fuzz(&base, &token))
            .await
            .unwrap();
        if let Err(report) = result {
            panic!("schemathesis found problems:\n{report}");
        }
    }
    env.cleanup().await;
}
