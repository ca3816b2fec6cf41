//! Metric names in PromQL expressions, and the names the processes export.
//!
//! A small scanner rather than a PromQL parser: it drops strings, label matchers, range and
//! subquery brackets and grouping clauses, then keeps identifiers that are neither functions nor
//! keywords. `promtool check rules` checks the syntax separately.

use std::collections::BTreeSet;

/// Metrics of `docket notify` (a unit test in `src/notify/metrics.rs` renders its registry; the names
/// are kept here so this test needs no SMTP server).
pub const NOTIFY_METRICS: &[&str] = &[
    "docket_notifications_sent_total",
    "docket_notifications_failed_total",
    "docket_notifications_retried_total",
    "docket_notifications_pending",
    // Histogram.
    "docket_notify_send_seconds_bucket",
    "docket_notify_send_seconds_sum",
    "docket_notify_send_seconds_count",
];

/// Series of RabbitMQ's rabbitmq_prometheus plugin (`/metrics/per-object`) that the dashboard and
/// alerts use; no broker with the plugin runs in the tests.
pub const RABBITMQ_METRICS: &[&str] = &[
    "rabbitmq_queue_messages_ready",
    "rabbitmq_queue_messages_unacked",
];

/// Series Prometheus itself adds to every target.
pub const PROMETHEUS_METRICS: &[&str] = &["up"];

/// Operators, modifiers and aggregations (`sum by (le) (…)` puts no parenthesis after `sum`).
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
];
const GROUPING: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Removes the text between `open` and its matching `close` (the brackets too); quotes were
/// removed first, so brackets inside strings cannot confuse it.
fn drop_between(s: &str, open: char, close: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0;
    for c in s.chars() {
        if c == open {
            depth += 1;
        } else if c == close && depth > 0 {
            depth -= 1;
        } else if depth == 0 {
            out.push(c);
        }
    }
    out
}

fn drop_strings(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in s.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' || c == '`' => quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

/// The metric names an expression selects.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let s = drop_strings(expr);
    let s = drop_between(&s, '{', '}');
    let s = drop_between(&s, '[', ']');
    let chars: Vec<char> = s.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == '_' || c == ':' || c == '$') {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:$".contains(chars[i])) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let mut j = i;
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        let call = j < chars.len() && chars[j] == '(';
        if call && GROUPING.contains(&word.as_str()) {
            // Skip the label list of a grouping clause.
            let mut depth = 0;
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if call || word.starts_with('$') || KEYWORDS.contains(&word.to_lowercase().as_str()) {
            continue;
        }
        names.insert(word);
    }
    names
}

/// Every series name in a Prometheus text exposition (`x_bucket`, `x_sum`, `x_count` included).
pub fn exported_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_scanner_finds_metrics_and_skips_functions_labels_and_keywords() {
    let expr = r#"histogram_quantile(0.95, sum by (le) (rate(docket_job_seconds_bucket{job="x"}[$__rate_interval])))
        and on() (sum(increase(docket_jobs_completed_total[10m])) or on() vector(0)) == 0
        unless on(channel) 100 * up{q="a{b}"} offset 5m / 1e3"#;
    let names: Vec<String> = metric_names(expr).into_iter().collect();
    assert_eq!(
        names,
        [
            "docket_job_seconds_bucket",
            "docket_jobs_completed_total",
            "up"
        ]
    );
}

#[test]
fn exported_names_include_histogram_series() {
    let text = "# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_sum 0\nh_count 0\nc_total{a=\"b\"} 3\n";
    let names: Vec<String> = exported_names(text).into_iter().collect();
    assert_eq!(names, ["c_total", "h_bucket", "h_count", "h_sum"]);
}
