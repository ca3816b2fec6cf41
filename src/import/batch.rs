//! Lines of the backlog in batches, validated and encoded as `COPY` rows away from the task that
//! reads the input and feeds PostgreSQL: a batch owns its bytes, so it can be encoded on another
//! thread while the next one is read and the previous one is sent.

use std::io::{BufRead, Write};

use super::record::CaseView;
use crate::domain::Case;
use crate::store::case_rows;

/// Input bytes read into one batch (a batch ends with the line that crosses this).
pub(super) const BATCH_BYTES: usize = 1 << 20;
/// Longest line read; anything longer is rejected without being held in memory whole.
pub(super) const MAX_LINE_BYTES: usize = 256 * 1024;

/// Whole lines of the input, in order.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// The lines' bytes, one after the other (lines too long are not kept).
    text: Vec<u8>,
    /// Each line: its number, where its bytes end in `text`, and whether it was too long.
    lines: Vec<Line>,
}

#[derive(Debug, Clone, Copy)]
struct Line {
    number: u64,
    end: usize,
    too_long: bool,
}

impl Batch {
    /// Reads lines from `input` until about [`BATCH_BYTES`] are held or the input ends; lines are
    /// numbered on from `*line_no`. Returns an empty batch at the end of input.
    pub(super) fn read<R: BufRead>(input: &mut R, line_no: &mut u64) -> std::io::Result<Batch> {
        let mut batch = Batch {
            text: Vec::with_capacity(BATCH_BYTES + 2048),
            lines: Vec::new(),
        };
        let mut buf = Vec::new();
        while batch.text.len() < BATCH_BYTES {
            buf.clear();
            let n = read_line_capped(input, &mut buf)?;
            if n == 0 {
                break;
            }
            *line_no += 1;
            let too_long = n > MAX_LINE_BYTES;
            if !too_long {
                batch.text.extend_from_slice(&buf);
            }
            batch.lines.push(Line {
                number: *line_no,
                end: batch.text.len(),
                too_long,
            });
        }
        Ok(batch)
    }

    /// Whether the batch holds no line.
    pub(super) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// A batch validated: its good lines as `COPY` rows, its bad ones as rejects.
#[derive(Debug, Default)]
pub(super) struct Encoded {
    /// The rows, in line order.
    pub(super) rows: Vec<u8>,
    /// The line number of each row, in order.
    pub(super) row_lines: Vec<u64>,
    /// `line N: field: reason` for each line refused, in order.
    pub(super) rejects: Vec<u8>,
    /// Lines read, blank lines excluded.
    pub(super) lines: u64,
    /// Lines refused.
    pub(super) rejected: u64,
}

/// Validates every line of `batch` and encodes the good ones as rows, with their line numbers
/// when `numbered` (the staging table's first column).
pub(super) fn encode(batch: Batch, numbered: bool) -> Encoded {
    let mut out = Encoded {
        rows: Vec::with_capacity(batch.text.len() + batch.text.len() / 8),
        ..Encoded::default()
    };
    let mut start = 0;
    for line in &batch.lines {
        let text = batch.text[start..line.end].trim_ascii();
        start = line.end;
        if text.is_empty() && !line.too_long {
            continue;
        }
        out.lines += 1;
        if let Err(reason) = push_line(&mut out.rows, text, line, numbered) {
            writeln!(out.rejects, "line {}: {reason}", line.number).expect("to memory");
            out.rejected += 1;
        } else {
            out.row_lines.push(line.number);
        }
    }
    out
}

/// Appends the row of one line, or says why the line is refused.
fn push_line(rows: &mut Vec<u8>, text: &[u8], line: &Line, numbered: bool) -> Result<(), String> {
    if line.too_long {
        return Err(format!(".: longer than {MAX_LINE_BYTES} bytes"));
    }
    let number = numbered.then_some(line.number);
    if let Some(view) = CaseView::decode(text) {
        case_rows::push_columns(rows, number, &view.columns(), |out| view.write_json(out));
        return Ok(());
    }
    // Refused (or, should the two ever differ, accepted) by the reference decoder, which names
    // the field and the reason.
    let case = Case::from_json(text).map_err(|e| e.to_string())?;
    case_rows::push_row(rows, number, &case);
    Ok(())
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
        let (chunk, done) = match memchr::memchr(b'\n', available) {
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
    fn batches_keep_line_numbers_blank_lines_and_overlong_lines_in_order() {
        let good = {
            let mut out = Vec::new();
            crate::generate::write_ndjson(&mut out, 2, 5).unwrap();
            out
        };
        let mut text = Vec::new();
        text.extend_from_slice(&good[..good.iter().position(|&b| b == b'\n').unwrap() + 1]);
        text.extend_from_slice(b"\n  \n{bad\n");
        text.extend_from_slice(&vec![b'x'; MAX_LINE_BYTES + 10]);
        text.push(b'\n');
        text.extend_from_slice(&good[good.iter().position(|&b| b == b'\n').unwrap() + 1..]);
        let mut line_no = 0;
        let mut input = std::io::Cursor::new(text);
        let batch = Batch::read(&mut input, &mut line_no).unwrap();
        assert_eq!(line_no, 6);
        assert!(Batch::read(&mut input, &mut line_no).unwrap().is_empty());
        let out = encode(batch, true);
        assert_eq!((out.lines, out.rejected), (4, 2));
        assert_eq!(out.row_lines, [1, 6]);
        let rejects = String::from_utf8(out.rejects).unwrap();
        let r: Vec<&str> = rejects.lines().collect();
        assert!(r[0].starts_with("line 4: "), "{}", r[0]);
        assert_eq!(
            r[1],
            format!("line 5: .: longer than {MAX_LINE_BYTES} bytes")
        );
    }

    #[test]
    fn a_batch_ends_with_the_line_that_crosses_its_size() {
        let mut text = Vec::new();
        crate::generate::write_ndjson(&mut text, 2000, 5).unwrap();
        let mut input = std::io::Cursor::new(text);
        let mut line_no = 0;
        let first = Batch::read(&mut input, &mut line_no).unwrap();
        assert!(first.text.len() >= BATCH_BYTES && first.text.len() < BATCH_BYTES + 4096);
        assert_eq!(first.lines.len() as u64, line_no);
        let mut lines = first.lines.len();
        loop {
            let next = Batch::read(&mut input, &mut line_no).unwrap();
            if next.is_empty() {
                break;
            }
            lines += next.lines.len();
        }
        assert_eq!((lines, line_no), (2000, 2000));
    }
}
