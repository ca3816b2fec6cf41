//! What-if over an NDJSON backlog of any size, streamed: one thread reads blocks of whole lines
//! and hands them to the evaluating threads through a short bounded queue, so memory stays at a
//! few blocks per thread however large the file (3,000,000 cases, 3.4 GB, in the same memory as
//! 3,000). Blocks are tallied in whatever order the threads take them; the result is the same as
//! [`simulate`](super::simulate::simulate) over the whole file, samples included.

use std::io::{self, Read};
use std::sync::{Mutex, mpsc};

use chrono::NaiveDate;

use super::simulate::{Simulation, finish};
use super::tally::{Baseline, Tally};
use crate::rules::{EvalContext, RuleSet};

/// Bytes read at a time: large enough that handing a block over costs nothing next to parsing
/// its ~3,500 records, small enough that a few per thread stay a few tens of MiB.
pub const BLOCK: usize = 4 << 20;

/// Blocks waiting per evaluating thread: enough to keep a thread busy while the reader refills.
const QUEUED_PER_THREAD: usize = 2;

/// The second rule set of a comparison and its context.
#[derive(Clone, Copy)]
pub struct Comparison<'a> {
    /// The second rule set: its decisions give the columns of the transition matrix.
    pub rules: &'a RuleSet,
    /// Its review date and courts.
    pub ctx: &'a EvalContext,
}

/// A buffer of whole lines: `bytes[..len]`. The buffer goes back to the reader once evaluated, so
/// the same few buffers carry the whole file (no allocation, no page faults, no zeroing per block).
struct Block {
    bytes: Vec<u8>,
    len: usize,
}

impl Block {
    fn lines(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Evaluates every record of the NDJSON `reader` under `rules` on `threads` evaluating threads
/// (at least 1), skipping blank lines. With `against`, also under the second rule set, and builds
/// the transition matrix from `rules`' decision to the second's.
pub fn simulate_ndjson<R: Read>(
    reader: R,
    rules: &RuleSet,
    ctx: &EvalContext,
    against: Option<Comparison<'_>>,
    threads: usize,
) -> io::Result<Simulation> {
    simulate_blocks(reader, rules, ctx, against, threads, BLOCK)
}

/// [`simulate_ndjson`] reading `block` bytes at a time.
fn simulate_blocks<R: Read>(
    reader: R,
    rules: &RuleSet,
    ctx: &EvalContext,
    against: Option<Comparison<'_>>,
    threads: usize,
    block: usize,
) -> io::Result<Simulation> {
    let threads = threads.max(1);
    let baseline = against.map_or(Baseline::Nothing, |c| Baseline::Rules(c.rules, c.ctx));
    let (tx, rx) = mpsc::sync_channel::<Block>(threads * QUEUED_PER_THREAD);
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    let rx = Mutex::new(rx);
    let (read, tallies) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let free = free_tx.clone();
                let rx = &rx;
                s.spawn(move || evaluate_blocks(rx, &free, rules, ctx, baseline))
            })
            .collect();
        drop(free_tx);
        let read = read_blocks(reader, block, &tx, &free_rx);
        drop(tx);
        let tallies: Vec<Tally> = handles
            .into_iter()
            .map(|h| h.join().expect("a simulation thread panicked"))
            .collect();
        (read, tallies)
    });
    read?;
    let mut total = Tally::default();
    for t in tallies {
        total.merge(t);
    }
    let named = against.map(|c| (label(c.rules), c.ctx.as_of));
    Ok(finish(total, named.is_some(), named))
}

/// `name@version` of a rule set.
fn label(rules: &RuleSet) -> String {
    format!("{}@{}", rules.name(), rules.version())
}

/// Takes blocks off the queue until it closes, tallies their records and hands each buffer back
/// through `free`.
fn evaluate_blocks(
    rx: &Mutex<mpsc::Receiver<Block>>,
    free: &mpsc::Sender<Vec<u8>>,
    rules: &RuleSet,
    ctx: &EvalContext,
    baseline: Baseline<'_>,
) -> Tally {
    let mut t = Tally::default();
    loop {
        // The lock is held only while taking a block, never while evaluating one.
        let block = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => break,
        };
        let Ok(block) = block else { break };
        for record in records(block.lines()) {
            t.add(rules, ctx, record, None, baseline);
        }
        // The reader may have finished already; then the buffer is simply dropped.
        let _ = free.send(block.bytes);
    }
    t
}

/// The non-blank lines of `block`.
fn records(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = block;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let (line, after) = match memchr::memchr(b'\n', rest) {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = after;
            if !line.iter().all(u8::is_ascii_whitespace) {
                return Some(line);
            }
        }
        None
    })
}

/// Reads `reader` to the end, `block` bytes at a time, sending blocks that end at a line end (the last may not). Buffers
/// come back through `free` once evaluated and are filled again; a new one is made only while
/// every buffer is queued or being evaluated. A line longer than a block grows the next buffer
/// until it ends. Stops early, without error, if every evaluating thread has gone.
fn read_blocks<R: Read>(
    mut reader: R,
    block: usize,
    tx: &mpsc::SyncSender<Block>,
    free: &mpsc::Receiver<Vec<u8>>,
) -> io::Result<()> {
    // The start of a line whose end is not read yet.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut bytes = free.try_recv().unwrap_or_default();
        let filled = carry.len();
        // A carried line as long as a block doubles the next one, so any line fits in the end.
        let size = (filled * 2).max(block);
        if bytes.len() < size {
            bytes.resize(size, 0);
        }
        bytes[..filled].copy_from_slice(&carry);
        let mut end = filled;
        while end < bytes.len() {
            match reader.read(&mut bytes[end..]) {
                Ok(0) => break,
                Ok(n) => end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if end == filled {
            // End of input: what is left is the last line.
            if end > 0 {
                let _ = tx.send(Block { bytes, len: end });
            }
            return Ok(());
        }
        carry.clear();
        match memchr::memrchr(b'\n', &bytes[..end]) {
            Some(last) => {
                carry.extend_from_slice(&bytes[last + 1..end]);
                if tx
                    .send(Block {
                        bytes,
                        len: last + 1,
                    })
                    .is_err()
                {
                    return Ok(());
                }
            }
            None => carry.extend_from_slice(&bytes[..end]),
        }
    }
}

/// The review date of the second rule set in a comparison: the one given, or its own
/// effective-from date, so that each policy is judged as of a day it was in force.
pub fn against_as_of(against: &RuleSet, given: Option<NaiveDate>) -> NaiveDate {
    given.unwrap_or(against.effective().from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decision;
    use crate::policy::simulate::{ndjson_inputs, simulate};

    const MORTON: &str = include_str!("../../config/rules/morton-2011.toml");
    const MAYORKAS: &str = include_str!("../../config/rules/mayorkas-2021.toml");

    fn backlog(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        crate::generate::write_ndjson(&mut out, n, 7).expect("generates");
        out.extend_from_slice(b"{\"not\": \"a case\"}\n\n");
        out
    }

    fn load(text: &str) -> (RuleSet, EvalContext) {
        let rules = RuleSet::from_toml(text).expect("loads");
        let ctx = EvalContext::new(rules.effective().from);
        (rules, ctx)
    }

    #[test]
    fn streaming_a_file_gives_what_the_whole_file_in_memory_gives() {
        let (rules, ctx) = load(MORTON);
        let bytes = backlog(2000);
        let whole = simulate(&rules, &ctx, &ndjson_inputs(&bytes), false, 2);
        let streamed = simulate_ndjson(&bytes[..], &rules, &ctx, None, 2).expect("reads");
        assert_eq!(streamed, whole);
        assert_eq!((streamed.cases, streamed.rejected), (2000, 1));
    }

    #[test]
    fn small_blocks_reused_many_times_give_the_same_answer() {
        let (rules, ctx) = load(MORTON);
        let bytes = backlog(1500);
        let whole = simulate_ndjson(&bytes[..], &rules, &ctx, None, 2).expect("reads");
        // Blocks of a few records, and shorter than a record, so buffers are reused and grown
        // and lines carried over, with stale bytes past each block's end.
        for block in [4096, 300] {
            let small = simulate_blocks(&bytes[..], &rules, &ctx, None, 3, block).expect("reads");
            assert_eq!(small, whole, "blocks of {block} bytes");
        }
        assert_eq!((whole.cases, whole.rejected), (1500, 1));
    }

    #[test]
    fn a_policy_against_itself_changes_nothing() {
        let (rules, ctx) = load(MORTON);
        let same = Comparison {
            rules: &rules,
            ctx: &ctx,
        };
        let sim = simulate_ndjson(&backlog(1000)[..], &rules, &ctx, Some(same), 2).expect("reads");
        assert_eq!(sim.changed(), 0);
        assert_eq!(sim.against.expect("compared").decisions, sim.decisions);
    }

    #[test]
    fn comparing_two_policies_gives_each_its_own_figures_and_a_matrix_between_them() {
        let (morton, m_ctx) = load(MORTON);
        let (mayorkas, y_ctx) = load(MAYORKAS);
        let bytes = backlog(3000);
        let b = Comparison {
            rules: &mayorkas,
            ctx: &y_ctx,
        };
        let sim = simulate_ndjson(&bytes[..], &morton, &m_ctx, Some(b), 2).expect("reads");
        let alone = simulate_ndjson(&bytes[..], &mayorkas, &y_ctx, None, 1).expect("reads");
        let against = sim.against.as_ref().expect("compared");
        assert_eq!(against.decisions, alone.decisions);
        assert_eq!(against.as_of, mayorkas.effective().from);
        let cells = sim.transitions.as_ref().expect("a matrix");
        for d in Decision::ALL {
            let row: u64 = cells
                .iter()
                .filter(|c| c.from == d.as_str())
                .map(|c| c.count)
                .sum();
            let column: u64 = cells.iter().filter(|c| c.to == d).map(|c| c.count).sum();
            assert_eq!(
                (row, column),
                (sim.decisions[&d], alone.decisions[&d]),
                "{d}"
            );
        }
        assert!(sim.changed() > 0);
        assert!(cells.iter().all(|c| (1..=3).contains(&c.samples.len())));
        for (dim, rates) in &sim.by {
            for r in rates {
                let theirs = alone.by[dim]
                    .iter()
                    .find(|x| x.group == r.group)
                    .expect("same groups");
                assert_eq!(r.against_offers, Some(theirs.offers), "{dim:?} {}", r.group);
            }
        }
    }

    fn collect(input: &[u8]) -> Vec<Vec<u8>> {
        let (tx, rx) = mpsc::sync_channel(1 << 16);
        let (_free_tx, free_rx) = mpsc::channel();
        read_blocks(input, BLOCK, &tx, &free_rx).unwrap();
        drop(tx);
        rx.into_iter().map(|b| b.lines().to_vec()).collect()
    }

    #[test]
    fn blocks_end_at_line_ends_and_lose_no_byte() {
        let line = b"{\"x\": 1}\n";
        let input: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(line.len() * 2_000_000)
            .collect();
        let blocks = collect(&input);
        assert!(blocks.len() > 2, "{} blocks", blocks.len());
        assert!(blocks.iter().all(|b| b.ends_with(b"\n")));
        assert_eq!(blocks.concat(), input);
    }

    #[test]
    fn a_last_line_without_newline_and_a_line_longer_than_a_block_are_kept_whole() {
        let mut input = vec![b'a'; BLOCK * 2 + 17];
        input.extend_from_slice(b"\nlast");
        let blocks = collect(&input);
        assert_eq!(blocks.concat(), input);
        let lines: Vec<&[u8]> = blocks.iter().flat_map(|b| records(b)).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), BLOCK * 2 + 17);
        assert_eq!(lines[1], b"last");
    }

    #[test]
    fn empty_input_sends_nothing() {
        assert!(collect(b"").is_empty());
    }
}
