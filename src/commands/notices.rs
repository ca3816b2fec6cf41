//! `docket notices …`: the held notices, a day's print batches, the templates' check and
//! preview, and the relay's benchmark.

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
        NoticesCommand::Batch { date } => batch(settings, date).await?,
        NoticesCommand::Check { dir } => {
            super::notice_templates::check_templates(settings, dir.as_deref())?
        }
        NoticesCommand::Preview {
            kind,
            lang,
            case,
            run,
            out,
        } => {
            let args = super::notice_templates::PreviewArgs {
                kind: crate::notify::retry::kind(&kind).context("unknown notice kind")?,
                lang,
                case,
                run,
                out,
            };
            super::notice_templates::preview(settings, args).await?
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

/// `docket notices batch --date D`: the day's letters into print batches and `batches.ndjson`.
async fn batch(settings: &Settings, date: chrono::NaiveDate) -> anyhow::Result<()> {
    use crate::notify::batch::{self, BatchRecord, SentLetter};
    let pool = crate::store::connect(&settings.database).await?;
    let rows = crate::store::sent_letters::of_day(&pool, date)
        .await
        .context("listing the day's sent letters")?;
    pool.close().await;
    let letters = rows
        .into_iter()
        .map(|r| {
            let payload = serde_json::from_value(r.payload).with_context(|| {
                format!("letter {}: payload does not decode", r.idempotency_key)
            })?;
            Ok(SentLetter {
                key: r.idempotency_key,
                payload,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let n = &settings.notify;
    let offices = crate::notify::offices::Offices::load(n.offices_file.as_deref())?;
    let fonts = crate::notify::pdf::FontSet::load(&n.fonts_dir)?;
    let templates = crate::notify::templates::Templates::load(n.templates_dir.as_deref())?;
    let access = crate::files::Access::from_settings(&settings.files)?;
    let dir = batch::day_dir(&n.print_dir, date);
    let records = tokio::task::spawn_blocking(move || {
        let kit = batch::LetterKit {
            fonts: &fonts,
            offices: &offices,
            templates: &templates,
        };
        batch::write_day(kit, access, &dir, date, letters, batch::BATCH_LETTERS)
    })
    .await
    .context("batch writer stopped")??;
    if let Some(BatchRecord::Closing {
        batches,
        letters,
        pages,
        ..
    }) = records.last()
    {
        println!("{date}: {letters} letters, {pages} pages, {batches} batch file(s)");
    }
    Ok(())
}
