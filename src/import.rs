//! `docket import`: an NDJSON backlog into PostgreSQL in bulk, every line validated.
//!
//! Good lines are streamed to PostgreSQL with binary `COPY`: straight into `cases` when it is
//! empty (see [`store::case_load`]), otherwise into a staging table merged into `cases` (see
//! [`store::case_copy`]), in one transaction either way; bad lines go to a rejects file as
//! `line N: field: reason` and never stop the good ones. Lines that fail validation are reported
//! as they are read, then lines whose case id an earlier line already has, in line order. Memory
//! stays flat whatever the backlog's size: the importer holds a few batches of about 1 MiB of
//! lines and their rows (and the line numbers around rejected lines).

use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::time::Instant;

use sqlx::postgres::PgCopyIn;
use sqlx::{PgConnection, PgPool};

use crate::store::{StoreError, case_copy, case_load, case_rows, cases::UpsertCounts};
use batch::Batch;

mod batch;
mod record;

/// Batches being validated and encoded at once, on blocking threads: with the task that reads
/// and sends, and PostgreSQL's backend, enough to keep two cores busy.
const ENCODERS: usize = 2;

/// Import errors (bad lines are not errors: they are counted and written to the rejects file).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the backlog or writing the rejects failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The database refused the import.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ImportError {
    fn from(e: sqlx::Error) -> Self {
        ImportError::Store(e.into())
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// Lines read (blank lines excluded).
    pub lines: u64,
    /// Upsert counts of the good lines.
    pub counts: UpsertCounts,
    /// Lines rejected.
    pub rejected: u64,
}

/// Imports every line of `input` in one transaction; rejects are written to `rejects` as
/// `line N: field: reason`. An empty `cases` is loaded directly (see [`case_load`]); otherwise
/// the lines are staged and merged (see [`case_copy`]).
pub async fn import<R: BufRead, W: Write>(
    pool: &PgPool,
    mut input: R,
    mut rejects: W,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let started = Instant::now();
    let fresh = case_load::looks_empty(pool).await?;
    let mut tx = pool.begin().await?;
    let indexes = if fresh {
        case_load::claim(&mut tx).await?
    } else {
        None
    };
    let mut sent = SentLines::default();
    let streamed;
    let direct = indexes.is_some();
    let dups = match indexes {
        Some(indexes) => {
            let copy = case_load::copy_in(&mut tx).await?;
            Stream::new(&mut input, &mut rejects, &mut summary, &mut sent, false)
                .run(copy)
                .await?;
            streamed = started.elapsed();
            let dups = case_load::restore(&mut tx, indexes).await?;
            let dups: Vec<(u64, u64)> = dups
                .iter()
                .map(|&(n, f)| (sent.line(n), sent.line(f)))
                .collect();
            summary.counts.inserted = sent.count() - dups.len() as u64;
            dups
        }
        None => {
            case_copy::create_stage(&mut tx).await?;
            let copy = case_copy::copy_in(&mut tx).await?;
            Stream::new(&mut input, &mut rejects, &mut summary, &mut sent, true)
                .run(copy)
                .await?;
            streamed = started.elapsed();
            let dups = case_copy::remove_duplicates(&mut tx).await?;
            summary.counts = case_copy::merge(&mut tx).await?;
            dups
        }
    };
    for (line, first) in dups {
        writeln!(rejects, "line {line}: case_id: duplicate of line {first}")?;
        summary.rejected += 1;
    }
    let finished = started.elapsed();
    tx.commit().await?;
    rejects.flush()?;
    tracing::info!(
        direct,
        lines = summary.lines,
        rejected = summary.rejected,
        stream_secs = streamed.as_secs_f64(),
        indexes_or_merge_secs = (finished - streamed).as_secs_f64(),
        commit_secs = (started.elapsed() - finished).as_secs_f64(),
        "import phases: lines read, validated and copied; then indexes built (direct load) or \
         rows merged (staged); then the commit"
    );
    Ok(summary)
}

/// The lines of the input streamed into one `COPY`, the good ones as rows, the bad ones to the
/// rejects. Batches of lines are validated and encoded on blocking threads, [`ENCODERS`] at a
/// time, while this task reads the next batch and sends the rows of the previous ones in order.
struct Stream<'a, R, W> {
    input: &'a mut R,
    rejects: &'a mut W,
    summary: &'a mut ImportSummary,
    sent: &'a mut SentLines,
    /// Whether each row carries its line number (the staging table's first column).
    numbered: bool,
}

impl<'a, R: BufRead, W: Write> Stream<'a, R, W> {
    fn new(
        input: &'a mut R,
        rejects: &'a mut W,
        summary: &'a mut ImportSummary,
        sent: &'a mut SentLines,
        numbered: bool,
    ) -> Self {
        Stream {
            input,
            rejects,
            summary,
            sent,
            numbered,
        }
    }

    /// Sends every good line, one batch at a time, and finishes the `COPY`; aborts it on error.
    async fn run(&mut self, mut copy: PgCopyIn<&mut PgConnection>) -> Result<(), ImportError> {
        copy.send(case_rows::HEADER).await?;
        if let Err(e) = self.send_all(&mut copy).await {
            copy.abort("import failed").await.ok();
            return Err(e);
        }
        copy.send(case_rows::TRAILER).await?;
        copy.finish().await?;
        Ok(())
    }

    async fn send_all(
        &mut self,
        copy: &mut PgCopyIn<&mut PgConnection>,
    ) -> Result<(), ImportError> {
        let mut line_no = 0u64;
        let mut pending = VecDeque::with_capacity(ENCODERS);
        let mut read_all = false;
        loop {
            while !read_all && pending.len() < ENCODERS {
                let b = Batch::read(self.input, &mut line_no)?;
                read_all = b.is_empty();
                if !read_all {
                    let numbered = self.numbered;
                    pending.push_back(tokio::task::spawn_blocking(move || {
                        batch::encode(b, numbered)
                    }));
                }
            }
            let Some(next) = pending.pop_front() else {
                return Ok(());
            };
            let encoded = next.await.map_err(std::io::Error::other)?;
            self.rejects.write_all(&encoded.rejects)?;
            self.summary.lines += encoded.lines;
            self.summary.rejected += encoded.rejected;
            for &line in &encoded.row_lines {
                self.sent.push(line);
            }
            copy.send(encoded.rows.as_slice()).await?;
        }
    }
}

/// The line numbers of the rows sent, in order, kept as runs of consecutive lines: memory grows
/// with the rejected and blank lines between them, not with the rows.
#[derive(Debug, Default)]
struct SentLines {
    /// (ordinal of the run's first row, its line number), ordinals counted from 1.
    runs: Vec<(u64, u64)>,
    sent: u64,
    last: u64,
}

impl SentLines {
    fn push(&mut self, line: u64) {
        self.sent += 1;
        if self.runs.is_empty() || line != self.last + 1 {
            self.runs.push((self.sent, line));
        }
        self.last = line;
    }

    fn count(&self) -> u64 {
        self.sent
    }

    /// The line number of the `ordinal`-th row sent (from 1).
    fn line(&self, ordinal: u64) -> u64 {
        let i = self.runs.partition_point(|&(o, _)| o <= ordinal);
        let (first, line) = self.runs[i.saturating_sub(1)];
        line + (ordinal - first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sent_map_back_to_their_lines_around_gaps() {
        let mut sent = SentLines::default();
        for line in [1, 3, 5, 6, 7, 8, 12] {
            sent.push(line);
        }
        let lines: Vec<u64> = (1..=7).map(|n| sent.line(n)).collect();
        assert_eq!(lines, [1, 3, 5, 6, 7, 8, 12]);
        assert_eq!(sent.count(), 7);
        assert_eq!(sent.runs.len(), 4, "one run per gap, not one per row");
    }
}
