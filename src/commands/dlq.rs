//! `docket dlq list` and `docket dlq replay`: the dead-letter queue, read without losing anything.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Subcommand;

use crate::config::Settings;
use crate::queue::dlq;
use crate::store;

/// `docket dlq …`
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead letters (kind, field, reason, run, case id; never personal data). They stay in
    /// the queue.
    List {
        /// Only letters of this kind, or whose reason contains this text.
        #[arg(long)]
        reason: Option<String>,
        /// One JSON object per letter.
        #[arg(long)]
        json: bool,
        /// Read at most this many.
        #[arg(long, default_value_t = 100_000)]
        limit: usize,
    },
    /// Publish dead letters that validate again (and name an existing run) back to the jobs
    /// exchange; each is removed from the dead-letter queue only after the broker confirmed it.
    Replay {
        /// Only letters of this kind, or whose reason contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// Count what would be replayed; publish nothing, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Look at most at this many.
        #[arg(long, default_value_t = 100_000)]
        limit: usize,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `dlq` subcommand.
pub async fn dlq(settings: &Settings, cmd: &DlqCommand) -> Result<()> {
    match cmd {
        DlqCommand::List {
            reason,
            json,
            limit,
        } => {
            let letters = dlq::list(settings, *limit).await?;
            let shown: Vec<_> = letters
                .iter()
                .filter(|l| l.matches(reason.as_deref()))
                .collect();
            if *json {
                for l in &shown {
                    println!("{}", serde_json::to_string(l)?);
                }
                return Ok(());
            }
            let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
            for l in &shown {
                *kinds.entry(l.kind.as_str()).or_default() += 1;
                println!(
                    "{:<15} {:<8} {:<24} {:<30} {} ({})",
                    l.kind,
                    l.run.as_deref().unwrap_or("-"),
                    l.case_id.as_deref().unwrap_or("-"),
                    l.field,
                    l.reason,
                    l.deliveries.map_or_else(
                        || format!("{} bytes", l.bytes),
                        |n| format!("{n} deliveries, {} bytes", l.bytes)
                    ),
                );
            }
            let by_kind: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!(
                "{} dead letters of {} in {}{}",
                shown.len(),
                letters.len(),
                settings.amqp.dead_letter_queue,
                if by_kind.is_empty() {
                    String::new()
                } else {
                    format!(": {}", by_kind.join(", "))
                }
            );
        }
        DlqCommand::Replay {
            filter,
            dry_run,
            limit,
            json,
        } => {
            let pool = store::connect(&settings.database).await?;
            let runs: std::collections::HashSet<String> =
                store::runs::names(&pool).await?.into_iter().collect();
            let exists = |run: &str| runs.contains(run);
            let s = dlq::replay(settings, filter.as_deref(), *dry_run, *limit, exists).await?;
            if *json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                println!(
                    "{} {} to {}; {} still invalid (kept); {} not matching (kept)",
                    if *dry_run { "would replay" } else { "replayed" },
                    s.replayed,
                    settings.amqp.exchange,
                    s.still_invalid,
                    s.skipped
                );
            }
        }
    }
    Ok(())
}
