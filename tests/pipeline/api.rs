//! The HTTP API: tokens owned by named accounts, their scopes, the owner as the actor, JSON errors
//! with stable codes, lifecycle actions.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docket::api::{ApiState, router};
use docket::identity::{Role, Scope, store as accounts};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::TestEnv;
use crate::offers::reviewed_run;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

/// An account (a service: no password) and a token for it.
async fn token(env: &TestEnv, name: &str, role: Role, scope: Scope) -> String {
    accounts::add(&env.pool, name, role, None, "test")
        .await
        .unwrap();
    accounts::create_token(&env.pool, name, scope, "test")
        .await
        .unwrap()
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_checks_tokens_and_scopes_and_records_the_owner_as_actor() {
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 300, "api", RULES).await;
    let app = router(ApiState {
        pool: env.pool.clone(),
    });
    let reader = &token(&env, "reports-bot", Role::Viewer, Scope::Read).await;
    let writer = &token(&env, "attorney-1", Role::Attorney, Scope::Attorney).await;
    let limited = &token(&env, "attorney-2", Role::Attorney, Scope::Read).await;
    // A role the token's scope does not fit is refused when the token is made.
    accounts::add(&env.pool, "viewer-1", Role::Viewer, None, "test")
        .await
        .unwrap();
    let e = accounts::create_token(&env.pool, "viewer-1", Scope::Attorney, "test")
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("scope: "), "{e}");
    let case: String =
        sqlx::query_scalar("SELECT case_id FROM offers WHERE run_id = $1 ORDER BY case_id LIMIT 1")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    let action_uri = format!("/api/v1/runs/api/cases/{case}/actions");
    let approve = json!({"action": "approve", "reason": "meets the memo"});

    // No token, or a read token on a write: refused with stable codes.
    let (s, body) = call(&app, "GET", "/api/v1/runs/api", None, None).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (s, body) = call(
        &app,
        "POST",
        &action_uri,
        Some(reader),
        Some(approve.clone()),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (s, _) = call(
        &app,
        "POST",
        &action_uri,
        Some("wrong"),
        Some(approve.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // An attorney's read-scoped token may not decide.
    let (s, _) = call(
        &app,
        "POST",
        &action_uri,
        Some(limited),
        Some(approve.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The free-text actor is gone: a body naming one is refused.
    let (s, body) = call(
        &app,
        "POST",
        &action_uri,
        Some(writer),
        Some(json!({"action": "approve", "actor": "someone-else"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");

    // Reads with a read token.
    let (s, body) = call(&app, "GET", "/api/v1/runs/api", Some(reader), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["reviewed"], 300);
    let (s, body) = call(&app, "GET", "/api/v1/runs/nope", Some(reader), None).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // A write, then the same action again is an illegal transition (409).
    let (s, body) = call(
        &app,
        "POST",
        &action_uri,
        Some(writer),
        Some(approve.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("offer_recommended"), Some("approved"))
    );
    let (s, body) = call(&app, "POST", &action_uri, Some(writer), Some(approve)).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("illegal_transition"))
    );

    // Bad bodies are refused with the field named.
    let (s, body) = call(
        &app,
        "POST",
        &action_uri,
        Some(writer),
        Some(json!({"action": "pardon"})),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (s, _) = call(
        &app,
        "POST",
        &action_uri,
        Some(writer),
        Some(json!({"action": "accept", "extra": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Bulk: a dry run counts, then approves the rest.
    let bulk = json!({"action": "approve", "dry_run": true});
    let (s, body) = call(
        &app,
        "POST",
        "/api/v1/runs/api/actions",
        Some(writer),
        Some(bulk),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let selected = body["selected"].as_i64().unwrap();
    assert!(selected > 0);
    let (_, body) = call(
        &app,
        "POST",
        "/api/v1/runs/api/actions",
        Some(writer),
        Some(json!({"action": "approve"})),
    )
    .await;
    assert_eq!(body["applied"].as_array().unwrap().len() as i64, selected);

    // A case's history shows who did what.
    let (s, body) = call(
        &app,
        "GET",
        &format!("/api/v1/runs/api/cases/{case}"),
        Some(reader),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["offer"]["state"], "approved");
    assert_eq!(body["offer"]["transitions"][1]["actor"], "attorney-1");

    // A disabled account's tokens stop working.
    accounts::disable(&env.pool, "reports-bot").await.unwrap();
    let (s, _) = call(&app, "GET", "/api/v1/runs/api", Some(reader), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_control_over_http_needs_an_operator_token_and_refuses_what_the_state_forbids() {
    let env = TestEnv::new().await;
    reviewed_run(&env, 50, "ctl", RULES).await;
    let app = router(ApiState {
        pool: env.pool.clone(),
    });
    let reader = &token(&env, "reports-bot", Role::Viewer, Scope::Read).await;
    let attorney = &token(&env, "attorney-1", Role::Attorney, Scope::Attorney).await;
    let writer = &token(&env, "ops-1", Role::Operator, Scope::Operator).await;
    let uri = "/api/v1/runs/ctl/state";
    let body = |state: &str| json!({"state": state, "reason": "ops test"});

    let (s, _) = call(&app, "POST", uri, Some(attorney), Some(body("paused"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, _) = call(&app, "POST", uri, Some(reader), Some(body("paused"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The token is checked before the body is read; a change must say why.
    let (s, _) = call(
        &app,
        "POST",
        uri,
        Some(reader),
        Some(json!({"nonsense": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let blank = json!({"state": "paused", "reason": " "});
    let (s, b) = call(&app, "POST", uri, Some(writer), Some(blank)).await;
    assert_eq!(
        (s, &b["error"]["message"]),
        (StatusCode::BAD_REQUEST, &json!("reason: must say why"))
    );
    let (s, b) = call(&app, "POST", uri, Some(writer), Some(body("paused"))).await;
    assert_eq!(
        (s, &b["from"], &b["to"]),
        (StatusCode::OK, &json!("active"), &json!("paused"))
    );
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM run_state_changes ORDER BY id DESC LIMIT 1")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(actor, "ops-1", "the token's owner is the actor");
    let (_, p) = call(&app, "GET", "/api/v1/runs/ctl", Some(reader), None).await;
    assert_eq!(p["state"], "paused");
    let (s, b) = call(&app, "POST", uri, Some(writer), Some(body("throttled"))).await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::CONFLICT, &json!("refused"))
    );
    let (s, _) = call(&app, "POST", uri, Some(writer), Some(body("cancelled"))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = call(&app, "POST", uri, Some(writer), Some(body("active"))).await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::CONFLICT, &json!("refused"))
    );
    let (s, b) = call(
        &app,
        "POST",
        "/api/v1/policies/no-such-rules/status",
        Some(writer),
        Some(json!({"status": "vacated", "reason": "court order"})),
    )
    .await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::CONFLICT, &json!("refused"))
    );

    // Runs are listed oldest first, whatever their names.
    let rules = std::path::Path::new("config/rules/morton-2011.toml");
    docket::commands::run_create(&env.pool, "aaa-later", rules, &[], None)
        .await
        .unwrap();
    let (_, list) = call(&app, "GET", "/api/v1/runs", Some(reader), None).await;
    let names: Vec<&str> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["run"].as_str())
        .collect();
    assert_eq!(names, ["ctl", "aaa-later"]);
    env.cleanup().await;
}
