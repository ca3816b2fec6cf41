//! The Policies page and a run's report in a real browser: an operator sees each rule set with
//! its dates and status, halts one with a reason (its run pauses) and sees the change in the
//! status history; a viewer sees no status form; the report by court
//! shows its table and plot.

use docket::identity::{Role, hash_password, store as accounts};

use crate::browser::{Browser, Server};
use crate::helpers::TestEnv;
use crate::offers::reviewed_run;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");
const JOHNSON: &str = include_str!("../../config/rules/johnson-2014.toml");
const PASSWORD: &str = "a long enough password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_halts_a_policy_with_a_reason_and_everyone_reads_its_history_and_reports() {
    // Arrange: a reviewed run under morton-2011, an operator and a viewer.
    let env = TestEnv::new().await;
    let rules = RULES.replace("status = \"superseded\"", "status = \"active\"");
    reviewed_run(&env, 600, "pol", &rules).await;
    for (name, role) in [("ops.olga", Role::Operator), ("vic.viewer", Role::Viewer)] {
        let hash = hash_password(PASSWORD).unwrap();
        accounts::add(&env.pool, name, role, Some(&hash), "test")
            .await
            .unwrap();
    }
    let server = Server::start(&env.pool).await;
    let b = Browser::start().await;
    let base = &server.base;

    // A viewer reads the policies but is offered no status form.
    b.sign_in(base, "vic.viewer", PASSWORD).await;
    b.goto(&format!("{base}/console/policies")).await;
    let page = b.wait_for("morton-2011").await;
    assert!(page.contains("2011-"), "effective dates are shown: {page}");
    assert!(!page.contains("Change a policy's status"), "{page}");
    b.sign_out().await;

    // The operator halts it with a reason: the run pauses and the history says who and why.
    b.sign_in(base, "ops.olga", PASSWORD).await;
    b.goto(&format!("{base}/console/policies")).await;
    b.wait_for("Change a policy's status").await;
    b.choose("#status-morton-2011", "enjoined").await;
    b.fill("#reason-morton-2011", "injunction, S.D. Tex.").await;
    b.submit("form[action='/console/policies/morton-2011/status'] button")
        .await;
    let after = b.wait_for("injunction, S.D. Tex.").await;
    assert!(
        after.contains("ops.olga") && after.contains("enjoined"),
        "{after}"
    );
    b.shot("policies").await;
    let state: String = sqlx::query_scalar("SELECT state FROM runs WHERE name = 'pol'")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(state, "paused");

    // The run's report by court, then by representation, with its plot.
    b.goto(&format!("{base}/console/runs/pol/report")).await;
    let report = b.wait_for("Report of run pol by court").await;
    assert!(report.contains("total"), "{report}");
    assert!(!b.text("figure.plot svg").await.is_empty());
    b.shot("report").await;
    b.submit("a[href='/console/runs/pol/report?by=representation']")
        .await;
    let rep = b.wait_for("by representation").await;
    assert!(
        rep.contains("represented") || rep.contains("pro_se"),
        "{rep}"
    );

    // What if the run had had Johnson's 2014 policy: another run stores that rule set; the
    // matrix shows the run's recorded decisions against Johnson's, with changed cases.
    let johnson = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(johnson.path(), JOHNSON).unwrap();
    docket::commands::run_create(&env.pool, "jw", johnson.path(), &[], None)
        .await
        .unwrap();
    b.goto(&format!("{base}/console/runs/pol/what-if")).await;
    b.choose("#rules", "johnson-2014").await;
    b.submit("form[aria-label='Rule set to try'] button").await;
    let page = b.wait_for("would be decided otherwise").await;
    let changed: u64 = b.text("#changed").await.parse().unwrap();
    assert!(
        changed > 0,
        "Johnson decides some of Morton's cases otherwise: {page}"
    );
    assert!(
        page.contains("discretionary_review") && b.text("#samples").await.contains("→"),
        "{page}"
    );
    b.shot("what-if").await;
    b.stop().await;
    drop(server);
    env.cleanup().await;
}
