//! `docket notices …`: the held notices, and the relay's benchmark.

use anyhow::Context;

use crate::cli::NoticesCommand;
use crate::config::Settings;
use crate::notify::bench::{self, NotifyBenchOptions};
use crate::notify::store;

/// Runs one `docket notices` subcommand.
pub async fn notices(settings: &Settings, command: NoticesCommand) -> anyhow::Result<()> {
    match command {
        NoticesCommand::Held { run } => {
            let pool = crate::store::connect(&settings.database).await?;
            let rows = store::held(&pool, run.as_deref())
                .await
                .context("listing held notices")?;
            for h in &rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    h.run,
                    h.key,
                    h.kind,
                    h.channel,
                    h.reason
                        .as_deref()
                        .unwrap_or("held: the run's policy is halted")
                );
            }
            println!("{} held", rows.len());
        }
        NoticesCommand::Bench {
            notices,
            relays,
            batch,
            seed,
            json,
        } => {
            let opt = NotifyBenchOptions {
                notices,
                relays,
                batch: batch.max(1),
                seed,
            };
            let report = bench::run(settings, &opt).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", bench::render(&report));
            }
        }
    }
    Ok(())
}
