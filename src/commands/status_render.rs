//! The text form of `docket status`: a bar per stage, rate and ETA, decisions and offers.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::time::Instant;

use super::look::QueueDepths;
use super::status::{RunView, Sample, views};
use crate::store::progress::{RunProgress, pct};

/// The report for runs without a rate (a single sample, e.g. at the end of `docket demo`).
pub fn render_status(runs: &[RunProgress], queue: &QueueDepths) -> String {
    let now = Sample {
        at: Instant::now(),
        reviewed: HashMap::new(),
    };
    let v = views(runs.to_vec(), &VecDeque::new(), &now, &HashMap::new());
    render_views(&v, queue)
}

/// The human-readable report.
pub fn render_views(runs: &[RunView], queue: &QueueDepths) -> String {
    let mut s = String::new();
    if runs.is_empty() {
        s.push_str("no runs yet: create one with `docket run create NAME`\n");
    }
    for v in runs {
        render_run(&mut s, v);
    }
    let show = |v: Option<u32>| v.map_or_else(|| "?".to_string(), |n| n.to_string());
    let _ = writeln!(
        s,
        "queue {}: {} ready · dead letters: {}",
        queue.queue,
        show(queue.ready),
        show(queue.dead_letters)
    );
    if let Some(e) = &queue.error {
        let _ = writeln!(s, "  (broker not reachable: {e})");
    }
    s
}

/// One run's lines: state, progress bars, rate and eta, decisions, offers and notices.
fn render_run(s: &mut String, v: &RunView) {
    let p = &v.progress;
    let _ = writeln!(
        s,
        "run {} ({}): {:.1}% reviewed, {:.1}% offered",
        p.run, p.rules, v.reviewed_pct, v.offered_pct
    );
    let rate = p
        .rate
        .map(|r| format!(" at {r} cases/s"))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "  state {}{rate} for {}",
        p.state,
        duration(p.state_seconds as f64)
    );
    let line = |s: &mut String, label: &str, n: i64| {
        let percent = pct(n, p.total);
        let _ = writeln!(
            s,
            "  {label:<10}{} {percent:>5.1}%  {n} of {}",
            bar(percent),
            p.total
        );
    };
    line(s, "published", p.published);
    line(s, "reviewed", p.reviewed);
    line(s, "offered", v.offered);
    let done = p.reviewed >= p.total;
    let _ = writeln!(
        s,
        "  rate {} · eta {}",
        match (v.rate_per_second, done) {
            (Some(r), _) => format!("{r:.1} cases/s"),
            // Finished and nothing reviewed lately: there is no rate left to measure.
            (None, true) => "idle".to_string(),
            (None, false) => "measuring…".to_string(),
        },
        match (v.eta_seconds, done) {
            (_, true) => "done".to_string(),
            (Some(e), _) => duration(e),
            (None, _) => "unknown (no progress)".to_string(),
        }
    );
    for (d, n) in &p.decisions {
        let _ = writeln!(
            s,
            "  {d:<22}{n:>9}  {:>5.1}% of reviewed",
            pct(*n, p.reviewed)
        );
    }
    render_offers(s, &v.progress);
}

/// A run's offers by state and its notices by status, when it has offers.
fn render_offers(s: &mut String, p: &RunProgress) {
    let offers: Vec<String> = p
        .offers
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(state, n)| format!("{state} {n}"))
        .collect();
    if !offers.is_empty() {
        let _ = writeln!(s, "  offers: {}", offers.join(" · "));
        let n = |status: &str| p.notifications.get(status).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "  notices: {} sent · {} pending · {} failed · {} held · {} cancelled",
            n("sent"),
            n("pending"),
            n("failed"),
            n("held"),
            n("cancelled")
        );
        if !p.failed_notices.is_empty() {
            let _ = writeln!(
                s,
                "  failed notices: {}; after fixing the cause: docket notify retry --run {}",
                crate::notify::retry::describe(&p.failed_notices),
                p.run
            );
        }
    }
}

/// A 30-character bar.
fn bar(percent: f64) -> String {
    let width = 30;
    let filled = ((percent / 100.0) * width as f64)
        .round()
        .clamp(0.0, width as f64) as usize;
    format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
}

/// `1h 02m`, `4m 05s` or `12s`.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m {sec:02}s"),
        (h, m, _) => format!("{h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::progress::OFFER_STATES;

    fn progress(total: i64, reviewed: i64, offered: i64) -> RunProgress {
        RunProgress {
            run: "spring".into(),
            rules: "morton-2011@1".into(),
            total,
            published: total,
            reviewed,
            decisions: [("offer_recommended".to_string(), reviewed)].into(),
            offers: OFFER_STATES
                .iter()
                .map(|s| (s.to_string(), if *s == "offered" { offered } else { 0 }))
                .collect(),
            notifications: [("sent".to_string(), 150), ("failed".to_string(), 3)].into(),
            failed_notices: vec![crate::store::progress::FailedNotices {
                channel: "email".into(),
                reason: "permanent: smtp 550".into(),
                count: 3,
            }],
            state: "paused".into(),
            rate: None,
            state_seconds: 245,
        }
    }

    #[test]
    fn the_report_shows_percentages_bars_rate_and_eta() {
        let view = RunView {
            reviewed_pct: 73.0,
            offered: 75,
            offered_pct: 7.5,
            rate_per_second: Some(25.0),
            eta_seconds: Some(10.8),
            progress: progress(1000, 730, 75),
        };
        let queue = QueueDepths {
            queue: "docket.review".into(),
            ready: Some(270),
            dead_letters: Some(0),
            error: None,
        };
        let text = render_views(&[view], &queue);
        assert!(text.contains("73.0% reviewed, 7.5% offered"), "{text}");
        assert!(text.contains("rate 25.0 cases/s · eta 11s"), "{text}");
        assert!(text.contains("state paused for 4m 05s"), "{text}");
        assert!(text.contains(&format!("[{}{}]", "#".repeat(22), ".".repeat(8))));
        assert!(text.contains("offers: offered 75"), "{text}");
        assert!(text.contains("notices: 150 sent · 0 pending"), "{text}");
        assert!(
            text.contains("failed notices: 3 email (permanent: smtp 550); after fixing the cause: docket notify retry --run spring"),
            "{text}"
        );
        assert!(text.contains("270 ready"), "{text}");
    }

    #[test]
    fn a_finished_run_without_a_rate_is_idle_and_done_not_measuring() {
        let queue = QueueDepths {
            queue: "docket.review".into(),
            ready: Some(0),
            dead_letters: Some(0),
            error: None,
        };
        let view = |reviewed| RunView {
            reviewed_pct: 0.0,
            offered: 0,
            offered_pct: 0.0,
            rate_per_second: None,
            eta_seconds: None,
            progress: progress(1000, reviewed, 0),
        };
        let finished = render_views(&[view(1000)], &queue);
        assert!(finished.contains("rate idle · eta done"), "{finished}");
        let starting = render_views(&[view(0)], &queue);
        assert!(
            starting.contains("rate measuring… · eta unknown (no progress)"),
            "{starting}"
        );
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration(12.2), "12s");
        assert_eq!(duration(245.0), "4m 05s");
        assert_eq!(duration(3720.0), "1h 02m");
    }
}
