//! What the API takes from a client: no control characters in any string, no client-chosen day
//! outside demo and test settings, no early expiry without force and a reason, no echoed keys.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docket::api::{ApiState, ClientToday, router};
use docket::identity::{Role, Scope, store as accounts};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::TestEnv;
use crate::offers::reviewed_run;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

async fn post(app: &axum::Router, token: &str, uri: &str, body: String) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
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

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_control_characters_client_days_and_early_expiry() {
    // Arrange: a reviewed run whose offers are made at once (no approval, no background check).
    let env = TestEnv::new().await;
    let rules = RULES
        .replace(
            "requires_attorney_approval = true",
            "requires_attorney_approval = false",
        )
        .replace(
            "requires_background_check = true",
            "requires_background_check = false",
        );
    let run_id = reviewed_run(&env, 300, "input", &rules).await;
    accounts::add(&env.pool, "clerk-3", Role::Attorney, None, "test")
        .await
        .unwrap();
    let token = accounts::create_token(&env.pool, "clerk-3", Scope::Attorney, "test")
        .await
        .unwrap();
    let state = ApiState {
        pool: env.pool.clone(),
    };
    let app = router(state.clone());
    let case: String = sqlx::query_scalar(
        "SELECT case_id FROM offers WHERE run_id = $1 AND state = 'offered' ORDER BY case_id LIMIT 1",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    let one = format!("/api/v1/runs/input/cases/{case}/actions");
    let bulk = "/api/v1/runs/input/actions";

    // Control characters, NUL included, in any string or the path: 400 naming the field.
    let cases = [
        (
            bulk.to_string(),
            json!({"action": "approve", "courts": ["DEN\u{0}"]}),
            "courts[0]",
        ),
        (
            bulk.to_string(),
            json!({"action": "approve", "reason": "a\u{0}b"}),
            "reason",
        ),
        (
            one.clone(),
            json!({"action": "expire", "reason": "x\u{7}"}),
            "reason",
        ),
        (one.clone(), json!({"action": "exp\u{0}ire"}), "action"),
        (format!("{one}%00"), json!({"action": "expire"}), "path"),
    ];
    for (uri, body, field) in cases {
        let (s, b) = post(&app, &token, &uri, body.to_string()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(message(&b).starts_with(&format!("{field}: ")), "{b}");
    }

    // A key that is not a field name is not echoed.
    let (s, b) = post(
        &app,
        &token,
        &one,
        r#"{"action":"expire","A012345678":1}"#.into(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(!b.to_string().contains("A012345678"), "{b}");

    // No client-chosen day without the demo/test setting; with it, only sane years.
    let dated = json!({"action": "expire", "today": "+262000-01-01"}).to_string();
    let (s, b) = post(&app, &token, &one, dated.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(message(&b).starts_with("today: "), "{b}");
    let demo = router(state).layer(axum::Extension(ClientToday(true)));
    let (s, b) = post(&demo, &token, &one, dated).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(message(&b).starts_with("today: "), "{b}");

    // Expire before the deadline: refused; forced without a reason: refused; with one: recorded.
    let (s, b) = post(&app, &token, &one, json!({"action": "expire"}).to_string()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(message(&b).contains("has not passed"), "{b}");
    let forced = json!({"action": "expire", "force": true, "reason": " "});
    let (s, _) = post(&app, &token, &one, forced.to_string()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let state_now: String = sqlx::query_scalar("SELECT state FROM offers WHERE case_id = $1")
        .bind(&case)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(state_now, "offered");
    let forced = json!({"action": "expire", "force": true,
                        "reason": "respondent removed from the docket by order"});
    let (s, b) = post(&app, &token, &one, forced.to_string()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let reason: String = sqlx::query_scalar(
        "SELECT reason FROM transitions WHERE case_id = $1 AND to_state = 'expired'",
    )
    .bind(&case)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        reason,
        "forced before the deadline: respondent removed from the docket by order"
    );
    env.cleanup().await;
}
