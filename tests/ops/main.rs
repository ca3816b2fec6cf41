//! Operations tests: Prometheus scrapes the processes during a run, every dashboard and alert
//! query names a metric that is really exported, metrics never carry personal data, and the
//! deployment files name the image, ports, probes and settings the program really uses.

#[allow(dead_code)]
#[path = "../pipeline/helpers.rs"]
mod helpers;

mod cli_docs;
mod compose;
mod deploy;
mod exposure;
mod kubernetes;
mod live;
mod monitoring;
mod promql;
mod provision;
mod scrape;
#[path = "../common/scratch.rs"]
mod scratch;
mod settings;

use std::collections::BTreeSet;

use live::{Live, Prometheus};

/// The PromQL of every dashboard panel and every alert rule, with Grafana's `$run` filled in.
fn queries() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("deploy/grafana/dashboards").unwrap() {
        let path = entry.unwrap().path();
        let dash: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for panel in dash["panels"].as_array().unwrap() {
            for t in panel["targets"].as_array().unwrap() {
                let where_ = format!("{} panel {:?}", path.display(), panel["title"]);
                out.push((where_, t["expr"].as_str().unwrap().to_string()));
            }
        }
        for var in dash["templating"]["list"].as_array().unwrap() {
            if var["type"] == "datasource" {
                continue; // Its query is a datasource type, not PromQL.
            }
            let q = var["query"]["query"].as_str().unwrap();
            let inner = q
                .strip_prefix("label_values(")
                .unwrap()
                .trim_end_matches(')');
            let metric = inner.split(',').next().unwrap().trim();
            out.push((format!("variable {}", var["name"]), metric.to_string()));
        }
    }
    let alerts: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string("deploy/prometheus/alerts.yml").unwrap())
            .unwrap();
    for group in alerts["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let name = rule["alert"].as_str().unwrap();
            out.push((
                format!("alert {name}"),
                rule["expr"].as_str().unwrap().into(),
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_run_progress_and_throughput_from_worker_and_serve() {
    // Arrange: a run of 300 cases, and Prometheus scraping the worker and serve every second.
    let live = Live::start(300).await;
    let prom = Prometheus::start(&[
        ("docket-worker", live.worker_addr),
        ("docket-serve", live.serve_addr),
    ])
    .await;
    prom.wait_for("count(up == 1)", |v| v == 2.0).await;
    prom.wait_for("sum(docket_jobs_completed_total)", |v| v == 0.0)
        .await;

    // Act
    live.enqueue_and_review(300).await;

    // Assert: progress (from serve) and throughput (from the worker) as Prometheus stored them.
    let run = &live.run;
    let reviewed = format!(r#"docket_run_cases{{run="{run}",stage="reviewed"}}"#);
    prom.wait_for(&reviewed, |v| v == 300.0).await;
    let total = format!(r#"docket_run_cases{{run="{run}",stage="total"}}"#);
    assert_eq!(prom.wait_for(&total, |_| true).await, 300.0);
    let published = format!(r#"docket_run_cases{{run="{run}",stage="published"}}"#);
    assert_eq!(prom.wait_for(&published, |_| true).await, 300.0);
    let decisions = format!(r#"sum(docket_run_decisions{{run="{run}"}})"#);
    assert_eq!(prom.wait_for(&decisions, |_| true).await, 300.0);
    prom.wait_for("sum(docket_jobs_completed_total)", |v| v == 300.0)
        .await;
    let throughput = prom
        .wait_for("sum(rate(docket_jobs_completed_total[1m]))", |v| v > 0.0)
        .await;
    assert!(throughput > 0.0);
    prom.wait_for("sum(increase(docket_job_seconds_count[1m]))", |v| v > 0.0)
        .await;
    // The dashboard's own "Reviewed" panel says 100 %.
    let (_, reviewed_pct) = queries()
        .into_iter()
        .find(|(w, _)| w.ends_with("panel String(\"Reviewed\")"))
        .expect("a Reviewed panel");
    let reviewed_pct = reviewed_pct.replace("$run", run);
    assert_eq!(prom.wait_for(&reviewed_pct, |_| true).await, 100.0);
    assert_eq!(prom.wait_for("sum(docket_ready)", |_| true).await, 2.0);

    drop(prom);
    live.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_and_alert_query_names_an_exported_metric() {
    // Arrange: the series the worker, serve and enqueue export after a small run.
    let live = Live::start(120).await;
    live.enqueue_and_review(120).await;
    let mut exported = BTreeSet::new();
    for addr in [live.worker_addr, live.serve_addr] {
        exported.extend(promql::exported_names(&live.get(addr, "/metrics").await));
    }
    let enqueue = docket::telemetry::metrics::render(live.enqueue_metrics.registry());
    exported.extend(promql::exported_names(&enqueue));
    for kept in [
        promql::NOTIFY_METRICS,
        promql::RABBITMQ_METRICS,
        promql::PROMETHEUS_METRICS,
    ] {
        exported.extend(kept.iter().map(|s| s.to_string()));
    }
    live.stop().await;

    // Act / Assert
    let queries = queries();
    assert!(queries.len() > 20, "dashboard and alerts have queries");
    let mut missing = Vec::new();
    for (where_, expr) in &queries {
        let names = promql::metric_names(expr);
        assert!(!names.is_empty(), "{where_}: no metric in {expr}");
        for name in names.into_iter().filter(|n| !exported.contains(n)) {
            missing.push(format!("{where_}: {name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "not exported by any process: {missing:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_never_carry_a_case_id_an_a_number_or_a_name() {
    // Arrange
    let live = Live::start(150).await;
    live.enqueue_and_review(150).await;
    let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT case_id, record::json->>'a_number', record::json->'respondent'->>'given_name', \
                record::json->'respondent'->>'family_name', record::json->'counsel'->>'name' FROM cases",
    )
    .fetch_all(&live.env.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 150);

    // Act: everything the worker and serve expose, health endpoints included.
    let mut text = String::new();
    for addr in [live.worker_addr, live.serve_addr] {
        for path in ["/metrics", "/healthz", "/readyz"] {
            text.push_str(&live.get(addr, path).await);
        }
    }
    live.stop().await;

    // Assert
    assert!(text.contains("docket_run_cases{run=\"ops-demo\",stage=\"reviewed\"} 150"));
    let words: BTreeSet<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .collect();
    for (case_id, a_number, given, family, counsel) in &rows {
        assert!(!text.contains(case_id.as_str()), "case id in metrics");
        assert!(!text.contains(a_number.as_str()), "A-number in metrics");
        let digits = a_number.trim_start_matches('A');
        assert!(!text.contains(digits), "A-number digits in metrics");
        for name in [Some(given), Some(family), counsel.as_ref()]
            .into_iter()
            .flatten()
        {
            for part in name.split_whitespace() {
                assert!(!words.contains(part), "a name ({part:?}) in metrics");
            }
        }
    }
}
