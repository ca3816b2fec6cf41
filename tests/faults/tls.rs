//! TLS: PostgreSQL with sslmode=require really encrypts; an amqps URL really speaks TLS.

use std::path::Path;

use docket::config::Settings;
use secrecy::SecretString;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_gives_an_encrypted_postgres_session() {
    let mut s = Settings::load(Some(Path::new("config/default.toml"))).unwrap();
    s.database.url =
        SecretString::from("postgres://postgres@127.0.0.1:5432/postgres?sslmode=require");
    let pool = docket::store::connect(&s.database).await.unwrap();
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(ssl);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amqps_url_starts_a_tls_handshake() {
    // The broker here has no TLS listener: a plain AMQP port answers a TLS ClientHello with
    // garbage, so the connection fails in the handshake, not with "unsupported scheme".
    let mut s = Settings::load(Some(Path::new("config/default.toml"))).unwrap();
    s.amqp.url = SecretString::from("amqps://guest:guest@127.0.0.1:5672/%2f");
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        docket::queue::connect(&s.amqp, "tls-test"),
    )
    .await
    .expect("answers");
    let Err(err) = result else {
        panic!("no TLS on the plain port, yet it connected");
    };
    let text = err.to_string();
    eprintln!("{text}");
    assert!(!text.contains("guest:guest"));
    assert!(!text.to_lowercase().contains("scheme"), "{text}");
}
