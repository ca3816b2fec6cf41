//! The generated OpenAPI document against the real server: every route is in it, every
//! documented operation is served, and real responses (successes and errors, from a small
//! reviewed run) validate against the schema the document gives for their status.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::browser::Server;
use crate::helpers::TestEnv;
use crate::offers::reviewed_run;
use docket::identity::{Role, Scope, store as accounts};

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

/// The routes the API serves; the document must name exactly these.
const ROUTES: [(&str, &str); 8] = [
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/runs"),
    ("get", "/api/v1/runs/{run}"),
    ("get", "/api/v1/runs/{run}/cases/{case_id}"),
    ("post", "/api/v1/runs/{run}/cases/{case_id}/actions"),
    ("post", "/api/v1/runs/{run}/actions"),
    ("post", "/api/v1/runs/{run}/state"),
    ("post", "/api/v1/policies/{rules}/status"),
];

/// A request and the status it must get: method, URI, token, body, status.
type Call<'a> = (&'a str, String, Option<&'a str>, Option<Value>, u16);

/// One HTTP/1.1 request over a fresh connection: (status, JSON body or null).
async fn http(
    base: &str,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let addr = base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("the test server at {base} answers: {e}"));
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {uri} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, payload) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (status, serde_json::from_str(payload).unwrap_or(Value::Null))
}

/// The document's path template that `uri` matches.
fn template<'a>(doc: &'a Value, uri: &str) -> &'a str {
    let path = uri.split('?').next().unwrap();
    let segs: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len()
                && ts
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .unwrap_or_else(|| panic!("{path} is in the document"))
}

/// What is wrong with a real response by the document: its status is not documented for the
/// operation, or its body does not validate against that status's schema.
fn violations(doc: &Value, method: &str, uri: &str, status: u16, body: &Value) -> Vec<String> {
    let t = template(doc, uri);
    let response = &doc["paths"][t][method.to_lowercase()]["responses"][status.to_string()];
    if !response.is_object() {
        return vec![format!("{t} does not document {status}")];
    }
    let schema = &response["content"]["application/json"]["schema"];
    let root = json!({"allOf": [schema], "components": doc["components"]});
    let validator = jsonschema::validator_for(&root).expect("the document's schema compiles");
    validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[track_caller]
fn check(doc: &Value, method: &str, uri: &str, status: u16, body: &Value) {
    let errors = violations(doc, method, uri, status, body);
    assert!(
        errors.is_empty(),
        "{method} {uri} {status}: {errors:?}\n{body}"
    );
}

/// A person of each role with an API token of the matching scope: read, attorney, operator.
pub async fn scoped_tokens(env: &TestEnv) -> Vec<String> {
    let mut tokens = Vec::new();
    for (name, role, scope) in [
        ("reader-1", Role::Viewer, Scope::Read),
        ("attorney-1", Role::Attorney, Scope::Attorney),
        ("ops-1", Role::Operator, Scope::Operator),
    ] {
        accounts::add(&env.pool, name, role, None, "test")
            .await
            .unwrap();
        tokens.push(
            accounts::create_token(&env.pool, name, scope, "test")
                .await
                .unwrap(),
        );
    }
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_document_names_every_route_and_real_responses_validate_against_it() {
    // Arrange: a reviewed run, tokens of each kind, and the real server.
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 200, "doc", RULES).await;
    let tokens = scoped_tokens(&env).await;
    let [read, decide, operate] = [&tokens[0], &tokens[1], &tokens[2]].map(|t| Some(t.as_str()));
    let server = Server::start(&env.pool).await;
    let base = server.base.as_str();
    let offered: String =
        sqlx::query_scalar("SELECT case_id FROM offers WHERE run_id = $1 ORDER BY case_id LIMIT 1")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    let no_offer: String = sqlx::query_scalar(
        "SELECT case_id FROM outcomes o WHERE run_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM offers f WHERE f.run_id = o.run_id AND f.case_id = o.case_id) ORDER BY case_id LIMIT 1",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();

    // The document names exactly the routes, and every operation in it is served.
    let (s, doc) = http(base, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    let mut named: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.clone(), p.clone()))
        })
        .collect();
    named.sort();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(named, expected);
    for (method, path) in ROUTES.iter().skip(1) {
        let uri = path
            .replace("{run}", "doc")
            .replace("{case_id}", &offered)
            .replace("{rules}", "morton-2011");
        let (s, b) = http(base, &method.to_uppercase(), &uri, None, Some(&json!({}))).await;
        assert_eq!(
            s, 401,
            "{method} {path} is served and asks for a token: {b}"
        );
        check(&doc, method, &uri, s, &b);
    }

    // The check can fail: a wrong body or an undocumented status is caught.
    assert!(!violations(&doc, "GET", "/api/v1/runs", 200, &json!({"runs": 1})).is_empty());
    assert!(!violations(&doc, "GET", "/api/v1/runs", 418, &json!({})).is_empty());

    // Act and assert: real responses, successes and errors, validate.
    let case = |id: &str| format!("/api/v1/runs/doc/cases/{id}");
    let act = |id: &str| format!("/api/v1/runs/doc/cases/{id}/actions");
    let calls: Vec<Call> = vec![
        ("GET", "/api/v1/runs".into(), read, None, 200),
        ("GET", "/api/v1/runs/doc".into(), read, None, 200),
        ("GET", "/api/v1/runs/nope".into(), read, None, 404),
        ("GET", case(&offered), read, None, 200),
        ("GET", case(&no_offer), read, None, 200),
        ("GET", case("NO-SUCH-CASE"), read, None, 404),
        (
            "POST",
            act(&offered),
            read,
            Some(json!({"action": "approve"})),
            403,
        ),
        (
            "POST",
            act(&offered),
            decide,
            Some(json!({"action": "approve", "reason": "memo"})),
            200,
        ),
        (
            "POST",
            act(&offered),
            decide,
            Some(json!({"action": "approve"})),
            409,
        ),
        (
            "POST",
            act(&offered),
            decide,
            Some(json!({"action": "approve", "extra": 1})),
            400,
        ),
        (
            "POST",
            "/api/v1/runs/doc/actions".into(),
            decide,
            Some(json!({"action": "approve", "dry_run": true})),
            200,
        ),
        (
            "POST",
            "/api/v1/runs/doc/actions".into(),
            decide,
            Some(json!({"action": "reject", "reason": "r", "min_score": 0})),
            200,
        ),
        (
            "POST",
            "/api/v1/runs/doc/state".into(),
            operate,
            Some(json!({"state": "throttled", "reason": "slow"})),
            409,
        ),
        (
            "POST",
            "/api/v1/runs/doc/state".into(),
            operate,
            Some(json!({"state": "paused", "reason": "lunch"})),
            200,
        ),
        (
            "POST",
            "/api/v1/runs/doc/state".into(),
            operate,
            Some(json!({"state": "paused", "reason": " "})),
            400,
        ),
        (
            "POST",
            "/api/v1/policies/morton-2011/status".into(),
            operate,
            Some(json!({"status": "enjoined", "reason": "order"})),
            200,
        ),
        (
            "POST",
            "/api/v1/policies/nope/status".into(),
            operate,
            Some(json!({"status": "active", "reason": "x"})),
            409,
        ),
        ("GET", "/api/v1/runs/doc".into(), read, None, 200),
    ];
    for (method, uri, token, body, want) in calls {
        let (s, b) = http(base, method, &uri, token, body.as_ref()).await;
        assert_eq!(s, want, "{method} {uri}: {b}");
        check(&doc, method, &uri, s, &b);
    }
    drop(server);
    env.cleanup().await;
}
