//! `docket import`: an NDJSON backlog into PostgreSQL in bulk, every line validated.
//!
//! Good lines are streamed to PostgreSQL with binary `COPY`: straight into `cases` when it is
//! empty (see [`store::case_load`]), otherwise into a staging table merged into `cases` (see
//! [`store::case_copy`]), in one transaction either way; bad lines go to a rejects file as
//! `line N: field: reason` and never stop the good ones. Lines that fail validation are reported
//! as they are read, then lines whose case id an earlier line already has, in line order. Memory
//! stays flat whatever the backlog's size: the importer holds one line and one `COPY`
//! chunk (and the line numbers around rejected lines).

use std::io::{BufRead, Write};

use sqlx::postgres::PgCopyIn;
use sqlx::{PgConnection, PgPool};

use crate::domain::Case;
use crate::store::{StoreError, case_copy, case_load, case_rows, cases::UpsertCounts};

/// Bytes of `COPY` data sent at a time.
const CHUNK_BYTES: usize = 1 << 20;
/// Longest line read; anything longer is rejected without being held in memory whole.
const MAX_LINE_BYTES: usize = 256 * 1024;

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
    let fresh = case_load::looks_empty(pool).await?;
    let mut tx = pool.begin().await?;
    let indexes = if fresh {
        case_load::claim(&mut tx).await?
    } else {
        None
    };
    let mut sent = SentLines::default();
    let dups = match indexes {
        Some(indexes) => {
            let copy = case_load::copy_in(&mut tx).await?;
            Stream::new(&mut input, &mut rejects, &mut summary, &mut sent, false)
                .run(copy)
                .await?;
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
            let dups = case_copy::remove_duplicates(&mut tx).await?;
            summary.counts = case_copy::merge(&mut tx).await?;
            dups
        }
    };
    for (line, first) in dups {
        writeln!(rejects, "line {line}: case_id: duplicate of line {first}")?;
        summary.rejected += 1;
    }
    tx.commit().await?;
    rejects.flush()?;
    Ok(summary)
}

/// The lines of the input streamed into one `COPY`, the good ones as rows, the bad ones to the
/// rejects.
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

    /// Sends every good line, one chunk at a time, and finishes the `COPY`; aborts it on error.
    async fn run(&mut self, mut copy: PgCopyIn<&mut PgConnection>) -> Result<(), ImportError> {
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + MAX_LINE_BYTES);
        chunk.extend_from_slice(case_rows::HEADER);
        let streamed = self.send_all(&mut copy, &mut chunk).await;
        if let Err(e) = streamed {
            copy.abort("import failed").await.ok();
            return Err(e);
        }
        chunk.extend_from_slice(case_rows::TRAILER);
        copy.send(chunk.as_slice()).await?;
        copy.finish().await?;
        Ok(())
    }

    async fn send_all(
        &mut self,
        copy: &mut PgCopyIn<&mut PgConnection>,
        chunk: &mut Vec<u8>,
    ) -> Result<(), ImportError> {
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = read_line_capped(self.input, &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            line_no += 1;
            let Some(case) = self.check_line(&buf, n, line_no)? else {
                continue;
            };
            case_rows::push_row(chunk, self.numbered.then_some(line_no), &case);
            self.sent.push(line_no);
            if chunk.len() >= CHUNK_BYTES {
                copy.send(chunk.as_slice()).await?;
                chunk.clear();
            }
        }
    }

    /// Validates one line read (`n` bytes long in full): returns its case, or writes its reject.
    /// Blank lines are skipped and not counted.
    fn check_line(&mut self, buf: &[u8], n: usize, line_no: u64) -> std::io::Result<Option<Case>> {
        let line = buf.trim_ascii();
        if line.is_empty() {
            return Ok(None);
        }
        self.summary.lines += 1;
        if n > MAX_LINE_BYTES {
            writeln!(
                self.rejects,
                "line {line_no}: .: longer than {MAX_LINE_BYTES} bytes"
            )?;
            self.summary.rejected += 1;
            return Ok(None);
        }
        match Case::from_json(line) {
            Ok(case) => Ok(Some(case)),
            Err(e) => {
                writeln!(self.rejects, "line {line_no}: {e}")?;
                self.summary.rejected += 1;
                Ok(None)
            }
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

/// Reads one line into `buf`, keeping at most `MAX_LINE_BYTES + 1` bytes of it; returns the full
/// length of the line read (0 at end of input).
fn read_line_capped<R: BufRead>(input: &mut R, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let len = chunk.len();
        let room = (MAX_LINE_BYTES + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..len.min(room)]);
        input.consume(len);
        total += len;
        if done {
            return Ok(total);
        }
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
