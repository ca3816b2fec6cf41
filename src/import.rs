//! `docket import`: an NDJSON backlog into PostgreSQL in bulk, every line validated.
//!
//! Good lines are streamed to PostgreSQL with `COPY` into a staging table and merged into `cases`
//! in one transaction (see [`store::case_copy`]); bad lines go to a rejects file as
//! `line N: field: reason` and never stop the good ones. Lines that fail validation are reported
//! as they are read, then lines whose case id an earlier line already has, in line order. Memory
//! stays flat whatever the backlog's size: the importer holds one line and one `COPY` chunk.

use std::io::{BufRead, Write};

use sqlx::PgPool;

use crate::domain::Case;
use crate::store::{StoreError, case_copy, cases::UpsertCounts};

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
/// `line N: field: reason`.
pub async fn import<R: BufRead, W: Write>(
    pool: &PgPool,
    mut input: R,
    mut rejects: W,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let mut tx = pool.begin().await?;
    case_copy::create_stage(&mut tx).await?;
    let mut copy = case_copy::copy_in(&mut tx).await?;
    let mut chunk = Vec::with_capacity(CHUNK_BYTES + MAX_LINE_BYTES);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let streamed: Result<(), ImportError> = async {
        loop {
            buf.clear();
            let n = read_line_capped(&mut input, &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            line_no += 1;
            if stage_line(&buf, n, line_no, &mut chunk, &mut summary, &mut rejects)?
                && chunk.len() >= CHUNK_BYTES
            {
                copy.send(chunk.as_slice()).await?;
                chunk.clear();
            }
        }
    }
    .await;
    if let Err(e) = streamed {
        copy.abort("import failed").await.ok();
        return Err(e);
    }
    if !chunk.is_empty() {
        copy.send(chunk.as_slice()).await?;
    }
    drop(chunk);
    copy.finish().await?;
    for (line, first) in case_copy::remove_duplicates(&mut tx).await? {
        writeln!(rejects, "line {line}: case_id: duplicate of line {first}")?;
        summary.rejected += 1;
    }
    summary.counts = case_copy::merge(&mut tx).await?;
    tx.commit().await?;
    rejects.flush()?;
    Ok(summary)
}

/// Validates one line read (`n` bytes long in full) and appends it to the `COPY` chunk, or writes
/// its reject; returns whether it was staged. Blank lines are skipped and not counted.
fn stage_line<W: Write>(
    buf: &[u8],
    n: usize,
    line_no: u64,
    chunk: &mut Vec<u8>,
    summary: &mut ImportSummary,
    rejects: &mut W,
) -> std::io::Result<bool> {
    let line = buf.trim_ascii();
    if line.is_empty() {
        return Ok(false);
    }
    summary.lines += 1;
    if n > MAX_LINE_BYTES {
        writeln!(
            rejects,
            "line {line_no}: .: longer than {MAX_LINE_BYTES} bytes"
        )?;
        summary.rejected += 1;
        return Ok(false);
    }
    match Case::from_json(line) {
        Ok(case) => {
            case_copy::push_row(chunk, line_no, &case);
            Ok(true)
        }
        Err(e) => {
            writeln!(rejects, "line {line_no}: {e}")?;
            summary.rejected += 1;
            Ok(false)
        }
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
