//! The monitoring files: the provisioned dashboard is well formed, promtool accepts the
//! Prometheus config and rules, and queries name the configured queues.

use std::path::Path;

use crate::deploy::{strings, yaml};

#[test]
fn the_dashboard_is_provisioned_and_well_formed() {
    let ds = yaml("deploy/grafana/provisioning/datasources/prometheus.yaml");
    let uid = ds["datasources"][0]["uid"].as_str().unwrap();
    let provider = yaml("deploy/grafana/provisioning/dashboards/docket.yaml");
    assert_eq!(provider["providers"][0]["type"], "file");
    let compose = yaml("deploy/compose.yaml");
    let mounts = strings(&compose["services"]["grafana"]["volumes"]);
    let path = provider["providers"][0]["options"]["path"]
        .as_str()
        .unwrap();
    assert!(
        mounts.iter().any(|m| m.ends_with(&format!("{path}:ro"))),
        "{mounts:?}"
    );
    let dash: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("deploy/grafana/dashboards/docket.json").unwrap(),
    )
    .unwrap();
    assert!(dash["uid"].is_string() && dash["title"].is_string());
    assert!(dash["schemaVersion"].as_u64().unwrap() >= 36);
    // The datasource is a variable (another Prometheus can be picked), the provisioned one first.
    let vars = dash["templating"]["list"].as_array().unwrap();
    let ds = vars
        .iter()
        .find(|v| v["type"] == "datasource")
        .expect("a datasource variable");
    assert_eq!(ds["name"], "datasource");
    assert_eq!(ds["query"], "prometheus");
    assert_eq!(ds["current"]["value"], uid);
    for v in vars.iter().filter(|v| !v["datasource"].is_null()) {
        assert_eq!(
            v["datasource"]["uid"], "${datasource}",
            "variable {}",
            v["name"]
        );
    }
    let mut ids = std::collections::BTreeSet::new();
    for p in dash["panels"].as_array().unwrap() {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "unique panel ids");
        assert!(p["type"].is_string() && p["title"].is_string());
        let g = &p["gridPos"];
        assert!(g["x"].as_u64().unwrap() + g["w"].as_u64().unwrap() <= 24);
        assert_eq!(p["datasource"]["uid"], "${datasource}");
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty());
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}");
            assert!(t["refId"].is_string() && t["expr"].is_string());
        }
    }
    let titles: Vec<&str> = dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for want in [
        "Reviewed",
        "Offered",
        "Throughput",
        "Queue depth",
        "Dead letters",
        "Workers",
        "Time left",
        "Run state",
        "Parked, split and cancelled messages",
        "Throttle waits",
        "Memory (resident)",
        "CPU",
        "Open files",
        "Versions",
        "Notify",
    ] {
        assert!(titles.contains(&want), "panel {want}");
    }
}

fn promtool(args: &[&str]) {
    let exe = crate::live::binary("promtool");
    let out = std::process::Command::new(exe).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_accepts_the_alert_rules_and_the_prometheus_config() {
    promtool(&["check", "rules", "deploy/prometheus/alerts.yml"]);
    promtool(&["check", "config", "deploy/prometheus/prometheus.yml"]);
}

#[test]
fn alerts_fire_when_notify_is_absent_and_when_letters_or_emails_fail() {
    // The cases live in the shipped test file, run against the shipped rules.
    let tests = std::fs::read_to_string("deploy/prometheus/alerts_test.yml").unwrap();
    for alert in [
        "DocketNotifyDown",
        "DocketNotificationFailures",
        "DocketNotificationsRetrying",
    ] {
        assert!(
            tests.contains(&format!("alertname: {alert}")),
            "{alert} tested"
        );
    }
    promtool(&["test", "rules", "deploy/prometheus/alerts_test.yml"]);
}

#[test]
fn time_left_is_per_run_from_that_runs_own_rate() {
    let (_, expr) = crate::queries()
        .into_iter()
        .find(|(w, _)| w.ends_with("panel String(\"Time left\")"))
        .expect("a Time left panel");
    assert!(expr.contains("by (run)"), "{expr}");
    assert!(
        expr.contains("deriv(docket_run_cases{run=~\"$run\",stage=\"reviewed\"}"),
        "{expr}"
    );
    assert!(
        !expr.contains("docket_jobs_completed_total"),
        "not every run's throughput together: {expr}"
    );
}

#[test]
fn queue_names_in_queries_are_the_configured_queues() {
    let settings = docket::config::Settings::load(Some(Path::new("config/default.toml"))).unwrap();
    let known = [settings.amqp.queue, settings.amqp.dead_letter_queue];
    for (where_, expr) in crate::queries() {
        for part in expr.split("queue=\"").skip(1) {
            let queue = part.split('"').next().unwrap();
            assert!(known.iter().any(|k| k == queue), "{where_}: queue {queue}");
        }
    }
}
