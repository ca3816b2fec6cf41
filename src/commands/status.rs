//! `docket status [--watch] [--json]`: each run as progress bars with rate and ETA.
//!
//! The rate is reviewed cases per second between successive samples (up to a minute apart); the
//! first sample, and a one-shot status, use the outcomes recorded in the last minute instead.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use sqlx::PgPool;

use super::look::{QueueDepths, queue_depths};
use super::status_render::render_views;
use crate::config::Settings;
use crate::store::{self, progress::RunProgress};

/// Window of the one-shot rate, in seconds.
const RECENT_SECS: i64 = 60;
/// Samples older than this are dropped from the rate's window.
const WINDOW: Duration = Duration::from_secs(60);

/// What `docket status` was asked for.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// Only this run.
    pub run: Option<String>,
    /// JSON instead of text (one object per line with `watch`).
    pub json: bool,
    /// Refresh until a signal.
    pub watch: bool,
    /// Time between refreshes.
    pub interval: Duration,
}

/// One run's figures, as printed and as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    /// Counts from the database.
    #[serde(flatten)]
    pub progress: RunProgress,
    /// Reviewed as a percentage of total.
    pub reviewed_pct: f64,
    /// Offers made (offered or a later state).
    pub offered: i64,
    /// Offers made as a percentage of total.
    pub offered_pct: f64,
    /// Reviewed cases per second (None: not known yet).
    pub rate_per_second: Option<f64>,
    /// Seconds until every case is reviewed at that rate (None: done, or no rate).
    pub eta_seconds: Option<f64>,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    /// Unix time of the sample.
    pub at: i64,
    /// Each run.
    pub runs: Vec<RunView>,
    /// Broker queue depths.
    pub queue: QueueDepths,
}

/// Reviewed counts per run at one moment.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it was taken.
    pub at: Instant,
    /// Reviewed cases per run name.
    pub reviewed: HashMap<String, i64>,
}

/// Rate between the oldest sample kept and `now` (per second), if they are apart in time.
pub fn rate(history: &VecDeque<Sample>, now: &Sample, run: &str) -> Option<f64> {
    let oldest = history.front()?;
    let dt = now.at.duration_since(oldest.at).as_secs_f64();
    let before = *oldest.reviewed.get(run)?;
    let after = *now.reviewed.get(run)?;
    (dt > 0.0).then(|| (after - before).max(0) as f64 / dt)
}

/// Seconds left at `rate` for `remaining` cases: None when the rate is unknown or zero.
pub fn eta(remaining: i64, rate: Option<f64>) -> Option<f64> {
    match rate {
        _ if remaining <= 0 => None,
        Some(r) if r > 0.0 => Some(remaining as f64 / r),
        _ => None,
    }
}

/// The views of `runs`, with the rate from `history` or, failing that, from `recent`.
pub fn views(
    runs: Vec<RunProgress>,
    history: &VecDeque<Sample>,
    now: &Sample,
    recent: &HashMap<String, i64>,
) -> Vec<RunView> {
    runs.into_iter()
        .map(|p| {
            let rate = rate(history, now, &p.run).or_else(|| {
                let n = recent.get(&p.run).copied().unwrap_or(0);
                (p.reviewed < p.total || n > 0).then(|| n as f64 / RECENT_SECS as f64)
            });
            RunView {
                reviewed_pct: p.reviewed_pct(),
                offered: p.offered(),
                offered_pct: p.offered_pct(),
                rate_per_second: rate,
                eta_seconds: eta(p.total - p.reviewed, rate),
                progress: p,
            }
        })
        .collect()
}

/// Prints the status once, or every `interval` until SIGINT/SIGTERM with `watch`.
pub async fn status(settings: &Settings, pool: &PgPool, options: &StatusOptions) -> Result<()> {
    let token = crate::shutdown::on_signals();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut history: VecDeque<Sample> = VecDeque::new();
    loop {
        // A run whose every case has an outcome is marked completed (with who/when/why).
        store::run_state::complete_finished(pool).await?;
        let runs = match &options.run {
            Some(r) => vec![store::progress::for_run(pool, r).await?],
            None => store::progress::all(pool).await?,
        };
        let now = Sample {
            at: Instant::now(),
            reviewed: runs.iter().map(|p| (p.run.clone(), p.reviewed)).collect(),
        };
        let recent = if history.is_empty() {
            store::progress::recent(pool, RECENT_SECS).await?
        } else {
            HashMap::new()
        };
        let report = StatusReport {
            at: chrono::Utc::now().timestamp(),
            runs: views(runs, &history, &now, &recent),
            queue: queue_depths(settings).await,
        };
        print_report(&report, options, terminal)?;
        if !options.watch {
            return Ok(());
        }
        history.push_back(now);
        while history.len() > 2 && history[0].at.elapsed() > WINDOW {
            history.pop_front();
        }
        tokio::select! {
            _ = token.cancelled() => return Ok(()),
            _ = tokio::time::sleep(options.interval) => {}
        }
    }
}

fn print_report(report: &StatusReport, options: &StatusOptions, terminal: bool) -> Result<()> {
    if options.json && options.watch {
        println!("{}", serde_json::to_string(report)?);
    } else if options.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        if options.watch && terminal {
            // Clear the screen and go home, like watch(1).
            print!("\x1b[2J\x1b[H");
        }
        print!("{}", render_views(&report.runs, &report.queue));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: Instant, reviewed: i64) -> Sample {
        Sample {
            at,
            reviewed: [("r".to_string(), reviewed)].into(),
        }
    }

    #[test]
    fn the_rate_is_the_change_between_the_oldest_sample_and_now() {
        let t0 = Instant::now();
        let history: VecDeque<Sample> = [sample(t0, 1000)].into();
        let now = sample(t0 + Duration::from_secs(10), 3500);
        assert_eq!(rate(&history, &now, "r"), Some(250.0));
        assert_eq!(rate(&VecDeque::new(), &now, "r"), None);
    }

    #[test]
    fn eta_is_remaining_over_rate_and_unknown_without_a_rate() {
        assert_eq!(eta(50_000, Some(250.0)), Some(200.0));
        assert_eq!(eta(50_000, Some(0.0)), None);
        assert_eq!(eta(50_000, None), None);
        assert_eq!(eta(0, Some(250.0)), None);
    }
}
