//! `deploy/compose.yaml` as a new operations team starts it (Docker cannot run here, so the
//! file is parsed and checked): letters land in a named volume, emails in a mail catcher,
//! serve and Grafana get secrets generated on first use, every port stays on 127.0.0.1, and
//! Alertmanager receives the alert rules.

use std::collections::BTreeSet;
use std::process::Command;

use serde_norway::Value;

use crate::deploy::{strings, yaml};

/// The `${NAME…}` interpolations of the compose file.
fn interpolated() -> BTreeSet<String> {
    let text = std::fs::read_to_string("deploy/compose.yaml").unwrap();
    text.split("${")
        .skip(1)
        .map(|s| s.split([':', '}', '-', '?']).next().unwrap().to_string())
        .collect()
}

fn env<'a>(service: &'a Value, var: &str) -> &'a str {
    service["environment"][var]
        .as_str()
        .unwrap_or_else(|| panic!("no {var}"))
}

#[test]
fn every_published_port_is_on_loopback_only() {
    let c = yaml("deploy/compose.yaml");
    let mut published = 0;
    for (name, service) in c["services"].as_mapping().unwrap() {
        for port in service["ports"].as_sequence().into_iter().flatten() {
            let port = port.as_str().expect("short syntax");
            assert!(port.starts_with("127.0.0.1:"), "{name:?} publishes {port}");
            published += 1;
        }
    }
    assert!(
        published >= 8,
        "PostgreSQL, RabbitMQ, serve, Grafana, Prometheus, …"
    );
}

#[test]
fn notify_writes_letters_to_a_named_volume_and_mails_the_catcher() {
    let c = yaml("deploy/compose.yaml");
    let notify = &c["services"]["notify"];
    let dir = env(notify, "DOCKET_NOTIFY__PRINT_DIR");
    let mount = strings(&notify["volumes"])
        .into_iter()
        .find(|m| m.split(':').nth(1) == Some(dir))
        .expect("a volume at the print folder");
    let volume = mount.split(':').next().unwrap();
    assert!(
        !volume.starts_with('.') && !volume.starts_with('/'),
        "{mount}"
    );
    assert!(c["volumes"].get(volume).is_some(), "named volume {volume}");
    // A fresh named volume takes the owner of the image's folder: it must be the process's.
    let dockerfile = std::fs::read_to_string("deploy/Dockerfile").unwrap();
    assert!(
        dockerfile.contains(&format!("install -d -o 10001 -g 10001 -m 0750 {dir}")),
        "the image makes {dir} writable by uid 10001"
    );
    let host = env(notify, "DOCKET_NOTIFY__SMTP__HOST");
    let catcher = &c["services"][host];
    let image = catcher["image"]
        .as_str()
        .expect("SMTP host is a compose service");
    assert!(
        image.contains("mailpit") || image.contains("mailhog"),
        "{image}"
    );
    assert_eq!(env(notify, "DOCKET_NOTIFY__SMTP__PORT"), "1025");
    assert_eq!(env(notify, "DOCKET_NOTIFY__SMTP__SECURITY"), "plain");
    assert_eq!(strings(&catcher["ports"]), ["127.0.0.1:8025:8025"]);
}

#[test]
fn secrets_are_generated_on_first_use_and_none_is_committed() {
    let c = yaml("deploy/compose.yaml");
    // No shared API tokens (serve refuses them); the console's first admin comes from deploy/.env.
    let serve = &c["services"]["serve"];
    assert!(serve["environment"]["DOCKET_API__WRITE_TOKENS"].is_null());
    let boot = &c["services"]["bootstrap"];
    let args: Vec<&str> = boot["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&args[..5], ["user", "add", "admin", "--role", "admin"]);
    assert!(args.contains(&"--if-missing") && args.contains(&"--password-file"));
    assert_eq!(
        c["secrets"]["admin_password"]["environment"],
        "DOCKET_ADMIN_PASSWORD"
    );
    assert!(!serve["depends_on"]["bootstrap"].is_null());
    let grafana = &c["services"]["grafana"];
    assert_eq!(env(grafana, "GF_AUTH_ANONYMOUS_ENABLED"), "false");
    assert!(env(grafana, "GF_SECURITY_ADMIN_PASSWORD").starts_with("${"));
    assert!(env(&c["services"]["postgres"], "POSTGRES_PASSWORD").starts_with("${"));
    // The broker boots with docket's definitions: no default (guest) user, least-privilege
    // users whose passwords come from compose secrets, an administrator of its own.
    let rabbitmq = &c["services"]["rabbitmq"];
    assert!(rabbitmq["environment"]["RABBITMQ_DEFAULT_USER"].is_null());
    let conf = std::fs::read_to_string("deploy/rabbitmq/conf.d/10-docket.conf").unwrap();
    assert!(conf.contains("load_definitions = /etc/rabbitmq/docket/definitions.json"));
    assert_eq!(
        rabbitmq["depends_on"]["broker-definitions"]["condition"],
        "service_completed_successfully"
    );
    let defs = &c["services"]["broker-definitions"];
    for role in ["ENQUEUE", "WORKER", "REPLAY"] {
        let var = format!("DOCKET_{role}_PASSWORD_FILE");
        assert!(env(defs, &var).starts_with("/run/secrets/"), "{var}");
    }
    let text = std::fs::read_to_string("deploy/compose.yaml").unwrap();
    assert!(!text.contains("guest:guest") && !text.contains(":docket@"));
    let ignored = std::fs::read_to_string(".gitignore").unwrap();
    assert!(ignored.lines().any(|l| l == "deploy/.env"));

    // Act: the first-use script, twice into one folder and once into another.
    let dir = tempfile::tempdir().unwrap();
    let run = |path: &std::path::Path| {
        let out = Command::new("scripts/compose-env")
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        std::fs::read_to_string(path).unwrap()
    };
    let first = run(&dir.path().join("a.env"));
    let again = run(&dir.path().join("a.env"));
    let other = run(&dir.path().join("b.env"));

    // Assert: every interpolated variable is defined, with a long random value, kept on re-run.
    assert_eq!(first, again, "an existing file is kept");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join("a.env"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o077, 0, "readable by its owner only");
    for var in interpolated() {
        let line = first
            .lines()
            .find(|l| l.starts_with(&format!("{var}=")))
            .unwrap_or_else(|| panic!("{var} is not generated"));
        let value = &line[var.len() + 1..];
        assert!(value.len() >= 32 && value.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!other.contains(value), "values are random");
    }
}

#[test]
fn alertmanager_receives_the_alert_rules_and_mails_them() {
    let c = yaml("deploy/compose.yaml");
    let prom = yaml("deploy/prometheus/prometheus.yml");
    assert!(strings(&prom["rule_files"]).contains(&"alerts.yml".to_string()));
    let targets = strings(&prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]);
    let (host, port) = targets[0].split_once(':').unwrap();
    let am = &c["services"][host];
    assert!(am["image"].as_str().unwrap().contains("alertmanager"));
    assert!(strings(&am["ports"]).contains(&format!("127.0.0.1:{port}:{port}")));
    let config = yaml("deploy/alertmanager/alertmanager.yml");
    let receiver = config["route"]["receiver"].as_str().unwrap();
    let receivers = config["receivers"].as_sequence().unwrap();
    let r = receivers.iter().find(|r| r["name"] == receiver).unwrap();
    assert!(!r["email_configs"].is_null());
    let smarthost = config["global"]["smtp_smarthost"].as_str().unwrap();
    let (mail_host, _) = smarthost.split_once(':').unwrap();
    assert!(
        c["services"].get(mail_host).is_some(),
        "alerts go to {mail_host}"
    );
    let mounts = strings(&am["volumes"]);
    assert!(mounts.iter().any(|m| m.starts_with("./alertmanager:")));
}

#[test]
fn the_cluster_override_runs_three_nodes_and_gives_the_worker_every_one() {
    let c = yaml("deploy/compose.cluster.yaml");
    let conf = std::fs::read_to_string("deploy/rabbitmq/cluster.conf").unwrap();
    for node in ["rabbitmq", "rabbitmq-2", "rabbitmq-3"] {
        let s = &c["services"][node];
        assert_eq!(s["hostname"].as_str(), Some(node));
        assert_eq!(env(s, "RABBITMQ_NODENAME"), format!("rabbit@{node}"));
        assert!(
            conf.contains(&format!("= rabbit@{node}\n")),
            "{node} in cluster.conf"
        );
        let mounts = strings(&s["volumes"]);
        assert!(
            mounts
                .iter()
                .any(|m| m.ends_with("/etc/rabbitmq/docket:ro")),
            "{node}"
        );
    }
    // The worker's addresses, as docket reads them: three nodes, each as docket-worker.
    let urls = env(&c["services"]["worker"], "DOCKET_AMQP__URLS").replace(
        "${DOCKET_WORKER_PASSWORD:?run scripts/compose-env first}",
        "pw",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(["broker-users"])
        .env("DOCKET_AMQP__URLS", &urls)
        .env("DOCKET_BROKER__ALLOW_REMOTE_GUEST", "false")
        .output()
        .unwrap();
    assert!(out.status.success(), "docket reads the addresses: {out:?}");
    let list: Vec<&str> = urls.split(',').collect();
    assert_eq!(list.len(), 3);
    assert!(
        list.iter()
            .all(|u| u.starts_with("amqp://docket-worker:pw@rabbitmq"))
    );
}
