//! The console in a real browser: named people sign in, an attorney filters the worklist and
//! approves one case and then a whole court after the confirmation, the case page shows the
//! transition under the attorney's name; a viewer is refused an action, an operator pauses and
//! resumes a run, a form without its CSRF token is refused, a wrong password is refused and then
//! rate-limited. Screenshots of the main pages go to `target/console-screenshots/`.

use docket::identity::{Role, hash_password, store as accounts};

use crate::browser::{Browser, Server};
use crate::helpers::TestEnv;
use crate::offers::reviewed_run;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");
const PASSWORD: &str = "a long enough password";

async fn person(env: &TestEnv, name: &str, role: Role) {
    let hash = hash_password(PASSWORD).unwrap();
    accounts::add(&env.pool, name, role, Some(&hash), "test")
        .await
        .unwrap();
}

async fn scalar_i64(env: &TestEnv, sql: &str, run_id: i64, court: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(run_id)
        .bind(court)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

const RECOMMENDED_IN_COURT: &str =
    "SELECT count(*) FROM offers o JOIN cases c ON c.case_id = o.case_id
     WHERE o.run_id = $1 AND c.court = $2 AND o.state = 'offer_recommended'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attorney_filters_the_worklist_approves_one_case_then_a_court_after_confirming() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 1500, "web", RULES).await;
    person(&env, "lee.attorney", Role::Attorney).await;
    let (court, recommended): (String, i64) = sqlx::query_as(
        "SELECT c.court, count(*) FROM offers o JOIN cases c ON c.case_id = o.case_id
         WHERE o.run_id = $1 AND o.state = 'offer_recommended'
         GROUP BY c.court ORDER BY count(*) DESC, c.court LIMIT 1",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert!(
        recommended >= 3,
        "the busiest court has {recommended} recommendations"
    );
    let server = Server::start(&env.pool).await;
    let b = Browser::start().await;
    let base = &server.base;

    // Signing in leads to the runs.
    let page = b.sign_in(base, "lee.attorney", PASSWORD).await;
    assert!(page.contains("Runs") && page.contains("web"), "{page}");
    assert!(page.contains("lee.attorney"));
    b.shot("runs").await;
    b.goto(&format!("{base}/console/runs/web")).await;
    assert!(b.body().await.contains("Funnel"));
    b.shot("run").await;

    // Filter the worklist by the court.
    b.goto(&format!("{base}/console/runs/web/worklist")).await;
    b.choose("#court", &court).await;
    b.submit("form[aria-label=Filters] button").await;
    let heading = b.text("h2").await;
    assert!(
        heading.contains(&format!("{recommended} cases")),
        "{heading}"
    );
    let rows = b
        .client
        .find_all(fantoccini::Locator::Css("tbody tr td:nth-child(3)"))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        assert_eq!(
            r.text().await.unwrap(),
            court,
            "only the chosen court is listed"
        );
    }
    b.shot("worklist").await;

    // Approve one case: the confirmation says 1, then it is approved under the attorney's name.
    let first = b
        .client
        .find(fantoccini::Locator::Css("tbody input[name=case]"))
        .await
        .unwrap();
    let case_id = first.attr("value").await.unwrap().expect("a case id");
    first.click().await.unwrap();
    b.choose("#action", "approve").await;
    b.submit("form[action$='/worklist/confirm'] button").await;
    assert_eq!(b.text("#count").await, "1");
    b.fill("#reason", "meets the June 2011 memo").await;
    b.submit("form[action$='/worklist/apply'] button").await;
    let page = b.body().await;
    assert!(page.contains("1 applied, 0 refused"), "{page}");

    // Bulk: all matching in the court, after a confirmation with the count.
    let left = scalar_i64(&env, RECOMMENDED_IN_COURT, run_id, &court).await;
    assert_eq!(left, recommended - 1);
    b.click("#all").await;
    b.choose("#action", "approve").await;
    b.submit("form[action$='/worklist/confirm'] button").await;
    assert_eq!(b.text("#count").await, left.to_string());
    b.shot("confirm").await;
    b.fill("#reason", "court-wide review").await;
    b.submit("form[action$='/worklist/apply'] button").await;
    assert!(
        b.body()
            .await
            .contains(&format!("{left} applied, 0 refused"))
    );
    assert_eq!(
        scalar_i64(&env, RECOMMENDED_IN_COURT, run_id, &court).await,
        0
    );

    // The case page shows the transition under the attorney's name, and the file to an attorney.
    b.goto(&format!("{base}/console/runs/web/cases/{case_id}"))
        .await;
    assert_eq!(b.text("#offer-state").await, "approved");
    let timeline = b.text("#timeline").await;
    assert!(timeline.contains("lee.attorney"), "{timeline}");
    assert!(timeline.contains("meets the June 2011 memo"), "{timeline}");
    let a_number: String =
        sqlx::query_scalar("SELECT record::json->>'a_number' FROM cases WHERE case_id = $1")
            .bind(&case_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    let page = b.body().await;
    assert!(page.contains(&a_number), "an attorney sees the A-number");
    let title = b.client.title().await.unwrap();
    assert_eq!(
        title,
        format!("Case {case_id} · docket"),
        "no name in the title"
    );
    b.shot("case").await;

    // The audit lists the attorney's transitions, filtered by person.
    b.goto(&format!(
        "{base}/console/audit?actor=lee.attorney&action=approved"
    ))
    .await;
    let audit = b.text("table").await;
    assert!(
        audit.contains(&case_id) && audit.contains("meets the June 2011 memo"),
        "{audit}"
    );
    assert_eq!(audit.matches("lee.attorney").count() as i64, recommended);
    b.shot("audit").await;
    b.client.set_window_size(820, 1180).await.unwrap();
    b.goto(&format!("{base}/console/runs/web/worklist")).await;
    b.shot("worklist-tablet").await;
    b.stop().await;
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_are_refused_operators_steer_and_forms_and_passwords_are_guarded() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 300, "guard", RULES).await;
    person(&env, "vic.viewer", Role::Viewer).await;
    person(&env, "ops.olga", Role::Operator).await;
    person(&env, "ann.attorney", Role::Attorney).await;
    let case_id: String = sqlx::query_scalar(
        "SELECT case_id FROM offers WHERE run_id = $1 AND state = 'offer_recommended' ORDER BY case_id LIMIT 1",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    let state = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT state FROM offers WHERE run_id = $1 AND case_id = $2",
        )
        .bind(run_id)
        .bind(&case_id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
    };
    let server = Server::start(&env.pool).await;
    let base = &server.base;
    let b = Browser::start().await;
    let case_url = format!("{base}/console/runs/guard/cases/{case_id}");

    // A viewer sees the case without names or actions, and a forged action form is refused.
    b.sign_in(base, "vic.viewer", PASSWORD).await;
    b.goto(&case_url).await;
    let (a_number, family): (String, String) = sqlx::query_as(
        "SELECT record::json->>'a_number', record::json->'respondent'->>'family_name' FROM cases WHERE case_id = $1",
    )
    .bind(&case_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    let page = b.body().await;
    assert!(page.contains("attorneys only"));
    assert!(
        !page.contains(&a_number) && !page.contains(&family),
        "no name or A-number to a viewer"
    );
    assert!(
        b.client
            .find(fantoccini::Locator::Css("#case-action"))
            .await
            .is_err()
    );
    let forge = format!(
        "const f = document.createElement('form'); f.method = 'post';
         f.action = '/console/runs/guard/cases/{case_id}/action';
         for (const [k, v] of [['csrf', document.querySelector('form.who input[name=csrf]').value],
                               ['action', 'approve'], ['reason', 'forged']]) {{
           const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v;
           f.appendChild(i); }}
         document.body.appendChild(f); f.submit();"
    );
    b.client.execute(&forge, vec![]).await.unwrap();
    let page = b.wait_for("Not allowed").await;
    assert!(
        page.contains("Not allowed") && page.contains("only an attorney"),
        "{page}"
    );
    assert_eq!(state().await, "offer_recommended");
    b.goto(&format!("{base}/console/runs")).await;
    b.sign_out().await;

    // An attorney's form without its CSRF token is refused.
    b.sign_in(base, "ann.attorney", PASSWORD).await;
    b.goto(&case_url).await;
    b.fill("#case-reason", "csrf check").await;
    b.client
        .execute("document.querySelector('#case-action').form.querySelector('input[name=csrf]').remove()", vec![])
        .await
        .unwrap();
    b.submit("form[action$='/action'] button").await;
    let page = b.body().await;
    assert!(
        page.contains("Not allowed") && page.contains("security token"),
        "{page}"
    );
    assert_eq!(state().await, "offer_recommended");
    b.goto(&format!("{base}/console/runs")).await;
    b.sign_out().await;

    // An operator pauses and resumes the run, with reasons, under their name.
    b.sign_in(base, "ops.olga", PASSWORD).await;
    b.goto(&format!("{base}/console/runs/guard")).await;
    for (to, why) in [
        ("paused", "broker maintenance"),
        ("active", "maintenance over"),
    ] {
        b.choose("#state", to).await;
        b.fill("#reason", why).await;
        b.submit("form[action$='/state'] button").await;
        // Wait for the run page after the post: reading at once may catch the page before it.
        let page = b.wait_for(why).await;
        assert!(page.contains("ops.olga"), "{page}");
        let now: String = sqlx::query_scalar("SELECT state FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
        assert_eq!(now, to);
    }
    b.shot("run-operator").await;
    b.sign_out().await;

    // A wrong password is refused; after five failures even the right one is, for a while.
    for _ in 0..accounts::MAX_FAILURES_PER_ACCOUNT {
        let page = b
            .sign_in(base, "ann.attorney", "not the password at all")
            .await;
        assert!(page.contains("not right"), "{page}");
    }
    b.shot("sign-in-refused").await;
    let page = b.sign_in(base, "ann.attorney", PASSWORD).await;
    assert!(page.contains("Too many attempts"), "{page}");
    b.stop().await;
    env.cleanup().await;
}
