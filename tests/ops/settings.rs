//! Settings as the real binary reads them where it is deployed: the variables Kubernetes and the
//! operator set beside the settings, secrets in files, and typos refused with a suggestion.

use std::process::{Command, Output};

use crate::deploy::k8s;
use crate::scratch::Scratch;

/// The variables Kubernetes injects into every pod for every Service of `deploy/k8s` (the
/// docker-links style set: `<NAME>_SERVICE_HOST`, `<NAME>_PORT_<port>_TCP_ADDR`, …).
fn service_variables() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for ((kind, name), doc) in k8s() {
        if kind != "Service" {
            continue;
        }
        let n = name.to_uppercase().replace('-', "_");
        let ip = "10.96.0.17";
        for (i, port) in doc["spec"]["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .enumerate()
        {
            let p = port["port"].as_u64().unwrap();
            let proto = port["protocol"].as_str().unwrap_or("TCP");
            let lower = proto.to_lowercase();
            if i == 0 {
                out.push((format!("{n}_SERVICE_HOST"), ip.into()));
                out.push((format!("{n}_SERVICE_PORT"), p.to_string()));
                out.push((format!("{n}_PORT"), format!("{lower}://{ip}:{p}")));
            }
            if let Some(port_name) = port["name"].as_str() {
                let pn = port_name.to_uppercase().replace('-', "_");
                out.push((format!("{n}_SERVICE_PORT_{pn}"), p.to_string()));
            }
            let base = format!("{n}_PORT_{p}_{proto}");
            out.push((base.clone(), format!("{lower}://{ip}:{p}")));
            out.push((format!("{base}_PROTO"), lower.clone()));
            out.push((format!("{base}_PORT"), p.to_string()));
            out.push((format!("{base}_ADDR"), ip.into()));
        }
    }
    out
}

/// Runs `docket ARGS` with only `vars` (and PATH) as its `DOCKET_*` environment.
fn docket(args: &[&str], vars: &[(String, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docket"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("DOCKET_")) {
        cmd.env_remove(k);
    }
    cmd.args(args)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "warn");
    cmd.output().expect("docket runs")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn commands_run_beside_docket_env_docket_config_and_every_kubernetes_service_variable() {
    // Arrange: a private database whose URL is only in a secret file, as Kubernetes mounts it.
    let s = Scratch::new("settings", false, |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("database-url");
    std::fs::write(&secret, format!("{}\n", s.db_url)).unwrap();
    let mut vars = service_variables();
    assert!(
        vars.iter()
            .any(|(k, _)| k == "DOCKET_SERVE_PORT_8080_TCP_ADDR"),
        "deploy/k8s has the docket-serve Service: {vars:?}"
    );
    vars.push(("DOCKET_ENV".into(), "production".into()));
    vars.push(("DOCKET_CONFIG".into(), "config/default.toml".into()));
    vars.push((
        "DOCKET_DATABASE__URL_FILE".into(),
        secret.to_str().unwrap().into(),
    ));
    vars.push(("DOCKET_AMQP__QUEUE".into(), s.settings.amqp.queue.clone()));

    // Act
    let migrate = docket(&["migrate"], &vars);
    let status = docket(&["status", "--json"], &vars);

    // Assert: both worked on the private database named by the file.
    assert!(migrate.status.success(), "{}", text(&migrate));
    assert!(status.status.success(), "{}", text(&status));
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&s.pool)
        .await
        .unwrap();
    assert!(n > 0);
    s.cleanup().await;
}

#[test]
fn a_mistyped_setting_variable_is_refused_with_the_nearest_name_and_without_its_value() {
    let key = docket(
        &["rules", "check", "config/rules/morton-2011.toml"],
        &[(
            "DOCKET_DATABASE__URLL".into(),
            "postgres://u:hunter2@db/x".into(),
        )],
    );
    assert_eq!(key.status.code(), Some(1), "{}", text(&key));
    let err = String::from_utf8_lossy(&key.stderr);
    assert!(err.contains("unknown key `urll` in `database`"), "{err}");
    assert!(err.contains("did you mean `url`?"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let section = docket(
        &["rules", "check", "config/rules/morton-2011.toml"],
        &[(
            "DOCKET_DATABSE__URL".into(),
            "postgres://u:hunter2@db/x".into(),
        )],
    );
    assert_eq!(section.status.code(), Some(1), "{}", text(&section));
    let err = String::from_utf8_lossy(&section.stderr);
    assert!(err.contains("DOCKET_DATABSE__URL"), "{err}");
    assert!(err.contains("did you mean `database`?"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn an_unknown_key_in_a_settings_file_is_refused_with_its_section_and_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.toml");
    let defaults = std::fs::read_to_string("config/default.toml").unwrap();
    std::fs::write(&file, defaults.replace("\nconsumers = ", "\nconsumer = ")).unwrap();
    let out = docket(
        &["rules", "check", "config/rules/morton-2011.toml"],
        &[("DOCKET_CONFIG".into(), file.to_str().unwrap().into())],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown key `consumer` in `worker`"), "{err}");
    assert!(err.contains("did you mean `consumers`?"), "{err}");
}
