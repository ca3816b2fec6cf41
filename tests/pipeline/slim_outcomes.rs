//! Outcomes store the ids of the rules that fired, not their words, and the rule set on the run
//! only: `show`, the API's case detail and the console's case page still give every fired rule
//! with its reason, word for word what the evaluation gives; rows written before keep their words.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docket::domain::Case;
use docket::identity::{Role, Scope, store as accounts};
use docket::rules::{EvalContext, RuleSet};
use secrecy::SecretString;
use serde_json::Value;
use tower::ServiceExt;

use crate::helpers::TestEnv;
use crate::offers::reviewed_run;
use crate::run_create::docket;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");
const SECRET: &str = "proxy-secret-0123456789";

/// Every case of the run evaluated afresh: its fired rules (JSON), by case id.
async fn evaluated(env: &TestEnv, run_id: i64) -> HashMap<String, (String, Value)> {
    let rules = RuleSet::from_toml(RULES).unwrap();
    let as_of: chrono::NaiveDate = sqlx::query_scalar("SELECT as_of FROM runs WHERE id = $1")
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    let ctx = EvalContext::new(as_of);
    let records: Vec<(String, String)> = sqlx::query_as("SELECT case_id, record::text FROM cases")
        .fetch_all(&env.pool)
        .await
        .unwrap();
    records
        .into_iter()
        .map(|(id, record)| {
            let e = rules.evaluate(&Case::from_json(record.as_bytes()).unwrap(), &ctx);
            let fired = serde_json::to_value(&e.fired).unwrap();
            (id, (e.decision.as_str().to_string(), fired))
        })
        .collect()
}

/// GET `uri` on `app` with `headers`; the status and the body as text.
async fn get(app: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn console(env: &TestEnv) -> axum::Router {
    let settings = docket::console::ConsoleSettings {
        sso_user_header: "X-Forwarded-User".into(),
        sso_secret_header: "X-Docket-Proxy-Secret".into(),
        sso_secret: SecretString::from(SECRET),
        ..Default::default()
    };
    docket::console::router(docket::console::ConsoleState::new(
        env.pool.clone(),
        settings,
        "127.0.0.1:8080".parse().unwrap(),
    ))
}

/// The page's text with HTML character references (named or numeric) undone.
fn unescaped(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let entity = end.map(|e| &rest[1..e]);
        let ch = match entity {
            Some("amp") => Some('&'),
            Some("lt") => Some('<'),
            Some("gt") => Some('>'),
            Some("quot") => Some('"'),
            Some(e) if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            Some(e) if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match (ch, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every reason of `fired` is on the console's case page of `case_id`.
async fn page_shows(app: &axum::Router, run: &str, case_id: &str, fired: &Value) {
    let sso = [
        ("X-Forwarded-User", "lee"),
        ("X-Docket-Proxy-Secret", SECRET),
    ];
    let (s, html) = get(app, &format!("/console/runs/{run}/cases/{case_id}"), &sso).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let text = unescaped(&html);
    for f in fired.as_array().unwrap() {
        let reason = f["reason"].as_str().unwrap();
        let table = text.split("Why it fired").nth(1).unwrap_or(&text);
        assert!(
            text.contains(reason),
            "{case_id}: {reason:?} not on the page: {table}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_the_api_and_the_console_give_every_reason_of_a_slim_outcome() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 300, "slim", RULES).await;
    let (slim, bytes): (i64, f64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE fired IS NULL AND rules_hash IS NULL AND fired_ids IS NOT NULL),
                avg(pg_column_size(o.*))::float8
         FROM outcomes o WHERE run_id = $1",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(slim, 300);
    assert!(bytes < 300.0, "{bytes} bytes a row");

    // The store: every outcome as evaluated, under the run's rule set.
    let expected = evaluated(&env, run_id).await;
    let mut one_of_each: HashMap<String, String> = HashMap::new();
    for (case_id, (decision, fired)) in &expected {
        let o = docket::store::outcomes::find(&env.pool, run_id, case_id)
            .await
            .unwrap()
            .expect("an outcome");
        assert_eq!((&o.decision, &o.fired), (decision, fired), "{case_id}");
        assert_eq!(o.rules_hash, docket::rules::content_hash(RULES));
        assert_eq!(
            (o.rules_name.as_str(), o.rules_version.is_empty()),
            ("morton-2011", false)
        );
        one_of_each
            .entry(decision.clone())
            .or_insert(case_id.clone());
    }
    assert!(one_of_each.len() >= 3, "{one_of_each:?}");

    // `docket show`, the API's case detail and the console's case page, one case per decision.
    let api = docket::api::router(docket::api::ApiState {
        pool: env.pool.clone(),
    });
    accounts::add(&env.pool, "reports-bot", Role::Viewer, None, "test")
        .await
        .unwrap();
    let token = accounts::create_token(&env.pool, "reports-bot", Scope::Read, "test")
        .await
        .unwrap();
    accounts::add(&env.pool, "lee", Role::Attorney, None, "test")
        .await
        .unwrap();
    let app = console(&env);
    for case_id in one_of_each.values() {
        let fired = &expected[case_id].1;
        let (ok, out, err) = docket(&env, &["show", "--run", "slim", case_id, "--json"]);
        assert!(ok, "{err}");
        let shown: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(&shown["fired"], fired, "show {case_id}");
        assert_eq!(shown["rules_name"], "morton-2011");
        let (ok, text, err) = docket(&env, &["show", "--run", "slim", case_id]);
        assert!(ok, "{err}");
        for f in fired.as_array().unwrap() {
            assert!(text.contains(f["reason"].as_str().unwrap()), "{text}");
        }

        let bearer = format!("Bearer {token}");
        let uri = format!("/api/v1/runs/slim/cases/{case_id}");
        let (s, body) = get(&api, &uri, &[("authorization", &bearer)]).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(&body["outcome"]["fired"], fired, "API {case_id}");
        assert_eq!(
            body["outcome"]["rules_hash"],
            docket::rules::content_hash(RULES)
        );

        page_shows(&app, "slim", case_id, fired).await;
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_written_before_keep_their_stored_words() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 20, "before", RULES).await;
    let case_id: String = sqlx::query_scalar("SELECT min(case_id) FROM outcomes WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    // A row as outcomes were written before they kept rule ids: words and the rule set inline.
    let words = r#"[{"id": "G_OLD", "kind": "gate", "reason": "Words & all, as stored.", "points": 0},
                    {"id": "DECISION", "kind": "decision", "reason": "Stored deciding reason.", "points": 0}]"#;
    sqlx::query(
        "UPDATE outcomes SET fired = $3::jsonb, fired_ids = NULL, rules_name = 'morton-2011',
                rules_version = 'old', rules_hash = 'abc123'
         WHERE run_id = $1 AND case_id = $2",
    )
    .bind(run_id)
    .bind(&case_id)
    .bind(words)
    .execute(&env.pool)
    .await
    .unwrap();
    let o = docket::store::outcomes::find(&env.pool, run_id, &case_id)
        .await
        .unwrap()
        .unwrap();
    let stored: Value = serde_json::from_str(words).unwrap();
    assert_eq!(o.fired, stored);
    assert_eq!(
        (o.rules_version.as_str(), o.rules_hash.as_str()),
        ("old", "abc123")
    );
    accounts::add(&env.pool, "lee", Role::Attorney, None, "test")
        .await
        .unwrap();
    page_shows(&console(&env), "before", &case_id, &stored).await;

    // A row with neither words nor ids is refused.
    let neither = sqlx::query(
        "UPDATE outcomes SET fired = NULL, fired_ids = NULL WHERE run_id = $1 AND case_id = $2",
    )
    .bind(run_id)
    .bind(&case_id)
    .execute(&env.pool)
    .await;
    assert!(neither.is_err());
    env.cleanup().await;
}
