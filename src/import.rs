//! `docket import`: an NDJSON backlog into PostgreSQL in bulk, every line validated.
//!
//! Good lines are upserted in batches (one statement per batch, not a row per transaction); bad lines
//! go to a rejects file as `line N: field: reason` and never stop the good ones.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use sqlx::PgPool;

use crate::domain::Case;
use crate::store::{self, StoreError, cases::UpsertCounts};

/// Cases per upsert statement.
const BATCH: usize = 1000;
/// Longest line read; anything longer is rejected without being held in memory whole.
const MAX_LINE_BYTES: usize = 256 * 1024;

/// Import errors (bad lines are not errors: they are counted and written to the rejects file).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the backlog or writing the rejects failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The database refused a batch.
    #[error(transparent)]
    Store(#[from] StoreError),
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

/// Imports every line of `input`; rejects are written to `rejects` as `line N: field: reason`.
pub async fn import<R: BufRead, W: Write>(
    pool: &PgPool,
    mut input: R,
    mut rejects: W,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = read_line_capped(&mut input, &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let line = trim_ascii(&buf);
        if line.is_empty() {
            continue;
        }
        summary.lines += 1;
        if n > MAX_LINE_BYTES {
            writeln!(
                rejects,
                "line {line_no}: .: longer than {MAX_LINE_BYTES} bytes"
            )?;
            summary.rejected += 1;
            continue;
        }
        match Case::from_json(line) {
            Ok(case) => {
                if let Some(first) = first_line.get(case.case_id.as_str()) {
                    writeln!(
                        rejects,
                        "line {line_no}: case_id: duplicate of line {first}"
                    )?;
                    summary.rejected += 1;
                    continue;
                }
                first_line.insert(case.case_id.as_str().to_string(), line_no);
                batch.push(case);
                if batch.len() == BATCH {
                    summary.counts += store::cases::upsert(pool, &batch).await?;
                    batch.clear();
                }
            }
            Err(e) => {
                writeln!(rejects, "line {line_no}: {e}")?;
                summary.rejected += 1;
            }
        }
    }
    if !batch.is_empty() {
        summary.counts += store::cases::upsert(pool, &batch).await?;
    }
    rejects.flush()?;
    Ok(summary)
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

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}
