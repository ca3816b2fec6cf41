//! The console's identity over plain HTTP: cookies' attributes, sessions that end when idle, and
//! the single-sign-on header honoured only with the proxy's shared secret.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docket::console::{ConsoleSettings, ConsoleState, router};
use docket::identity::{Role, hash_password, store as accounts};
use secrecy::SecretString;
use tower::ServiceExt;

use crate::helpers::TestEnv;

const PASSWORD: &str = "a long enough password";
const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

fn app(env: &TestEnv, listen: &str) -> axum::Router {
    let settings = ConsoleSettings {
        sso_user_header: "X-Forwarded-User".into(),
        sso_secret_header: "X-Docket-Proxy-Secret".into(),
        sso_secret: SecretString::from("proxy-secret-0123456789"),
        ..ConsoleSettings::default()
    };
    router(ConsoleState::new(
        env.pool.clone(),
        settings,
        listen.parse().unwrap(),
    ))
}

async fn get(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Vec<String>, String) {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(app, req.body(Body::empty()).unwrap()).await
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, Vec<String>, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let cookies = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, cookies, String::from_utf8_lossy(&body).into_owned())
}

fn value_of(cookie: &str) -> &str {
    cookie.split(';').next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_strict_cookies_that_end_when_idle_and_sso_needs_the_proxy_secret() {
    let env = TestEnv::new().await;
    let hash = hash_password(PASSWORD).unwrap();
    accounts::add(&env.pool, "lee", Role::Attorney, Some(&hash), "test")
        .await
        .unwrap();
    let public = app(&env, "0.0.0.0:8080");

    // Sign in over a non-loopback listener: the cookies are Secure, HttpOnly and SameSite=Strict.
    let (s, cookies, html) = get(&public, "/console/sign-in", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let pre = &cookies[0];
    for attr in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(pre.contains(attr), "{pre}");
    }
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the sign-in form's CSRF token")
        .to_string();
    let form = format!("csrf={csrf}&name=lee&password=a+long+enough+password");
    let req = Request::post("/console/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", value_of(pre))
        .body(Body::from(form))
        .unwrap();
    let (s, cookies, _) = send(&public, req).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("docket_session="))
        .expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/console"] {
        assert!(session.contains(attr), "{session}");
    }
    let (s, _, page) = get(&public, "/console/runs", &[("cookie", value_of(session))]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("lee"));

    // Idle past the limit: back to the sign-in page.
    sqlx::query("UPDATE sessions SET last_seen = now() - interval '31 minutes'")
        .execute(&env.pool)
        .await
        .unwrap();
    let (s, _, _) = get(&public, "/console/runs", &[("cookie", value_of(session))]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // On loopback the cookie is not marked Secure.
    let local = app(&env, "127.0.0.1:8080");
    let (_, cookies, _) = get(&local, "/console/sign-in", &[]).await;
    assert!(!cookies[0].contains("Secure"), "{}", cookies[0]);

    // Single sign-on: the header is honoured only with the shared secret, for a known account.
    let user = ("X-Forwarded-User", "lee");
    let (s, _, page) = get(
        &public,
        "/console/runs",
        &[user, ("X-Docket-Proxy-Secret", "proxy-secret-0123456789")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("lee"));
    for secret in ["wrong", ""] {
        let (s, _, _) = get(
            &public,
            "/console/runs",
            &[user, ("X-Docket-Proxy-Secret", secret)],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "secret {secret:?}");
    }
    let (s, _, _) = get(&public, "/console/runs", &[user]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = get(
        &public,
        "/console/runs",
        &[
            ("X-Forwarded-User", "nobody"),
            ("X-Docket-Proxy-Secret", "proxy-secret-0123456789"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    accounts::disable(&env.pool, "lee").await.unwrap();
    let (s, _, _) = get(
        &public,
        "/console/runs",
        &[user, ("X-Docket-Proxy-Secret", "proxy-secret-0123456789")],
    )
    .await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "a disabled account is not signed in by the proxy"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printed_letter_opens_for_attorneys_only() {
    use docket::domain::Action;
    use docket::offers::{Command, execute};

    let env = TestEnv::new().await;
    let run_id = crate::offers::reviewed_run(&env, 300, "letters", RULES).await;
    let case_id: String =
        sqlx::query_scalar("SELECT case_id FROM offers WHERE run_id = $1 ORDER BY case_id LIMIT 1")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    for action in [Action::Approve, Action::ClearBackground, Action::Offer] {
        let cmd = Command {
            run: "letters",
            action,
            case_ids: vec![case_id.clone()],
            selection: None,
            actor: "lee",
            reason: "test",
            today: chrono::NaiveDate::from_ymd_opt(2011, 12, 1).unwrap(),
            dry_run: false,
            force: false,
        };
        let r = execute(&env.pool, &cmd).await.unwrap();
        assert_eq!(r.outcome.applied.len(), 1, "{action}");
    }
    // The relay prints the letter; here the test puts its bytes where the relay would.
    let (id, key, day): (i64, String, String) = sqlx::query_as(
        "UPDATE notifications SET status = 'sent', sent_at = now()
         WHERE id = (SELECT min(id) FROM notifications WHERE run_id = $1 AND channel = 'letter')
         RETURNING id, idempotency_key, payload->>'issued_on'",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    let print = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(print.path().join(&day)).unwrap();
    let pdf = b"%PDF-1.4 test letter".to_vec();
    std::fs::write(
        print
            .path()
            .join(&day)
            .join(docket::notify::print::file_name(&key)),
        &pdf,
    )
    .unwrap();
    for (name, role) in [("lee", Role::Attorney), ("vic", Role::Viewer)] {
        accounts::add(&env.pool, name, role, None, "test")
            .await
            .unwrap();
    }
    let settings = ConsoleSettings {
        sso_user_header: "X-Forwarded-User".into(),
        sso_secret_header: "X-Docket-Proxy-Secret".into(),
        sso_secret: SecretString::from("proxy-secret-0123456789"),
        ..ConsoleSettings::default()
    };
    let app = router(
        ConsoleState::new(
            env.pool.clone(),
            settings,
            "127.0.0.1:8080".parse().unwrap(),
        )
        .with_print_dir(print.path().to_path_buf()),
    );
    let secret = ("X-Docket-Proxy-Secret", "proxy-secret-0123456789");
    let case_page = format!("/console/runs/letters/cases/{case_id}");
    let letter = format!("{case_page}/letters/{id}");

    let (s, _, page) = get(&app, &case_page, &[("X-Forwarded-User", "lee"), secret]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&format!("href=\"{letter}\"")),
        "the case page links the letter"
    );
    let res = app
        .clone()
        .oneshot(
            Request::builder()
                .uri(&letter)
                .header("X-Forwarded-User", "lee")
                .header(secret.0, secret.1)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    assert_eq!(body.as_ref(), pdf.as_slice());

    let (s, _, page) = get(&app, &case_page, &[("X-Forwarded-User", "vic"), secret]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains(&letter), "no letter link for a viewer");
    let (s, _, _) = get(&app, &letter, &[("X-Forwarded-User", "vic"), secret]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let other = format!("/console/runs/letters/cases/NOT-A-CASE/letters/{id}");
    let (s, _, _) = get(&app, &other, &[("X-Forwarded-User", "lee"), secret]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    env.cleanup().await;
}
