use futures_util::stream;

use super::*;
use crate::policy::copy_rows::tests::stream as copy_stream;
use crate::policy::simulate::{Input, finish, ndjson_inputs, simulate};

const MORTON: &str = include_str!("../../../config/rules/morton-2011.toml");

fn load() -> (RuleSet, EvalContext) {
    let rules = RuleSet::from_toml(MORTON).expect("loads");
    let ctx = EvalContext::new(rules.effective().from);
    (rules, ctx)
}

/// A backlog with one record that is not a case, each record given a recorded decision in turn
/// (every fifth not reviewed).
fn backlog(n: usize) -> (Vec<u8>, Vec<Option<Decision>>) {
    let mut bytes = Vec::new();
    crate::generate::write_ndjson(&mut bytes, n, 11).expect("generates");
    bytes.extend_from_slice(b"{\"not\": \"a case\"}\n");
    let recorded = (0..=n)
        .map(|i| (i % 5 != 0).then(|| Decision::ALL[i % Decision::ALL.len()]))
        .collect();
    (bytes, recorded)
}

/// The records with their recorded decisions, as `COPY` would send them.
fn as_copy(inputs: &[Input<'_>]) -> Vec<u8> {
    let tuples: Vec<Vec<Option<&[u8]>>> = inputs
        .iter()
        .map(|i| vec![i.recorded.map(|d| d.as_str().as_bytes()), Some(i.record)])
        .collect();
    copy_stream(b"", &tuples)
}

/// `bytes` in pieces of `piece` bytes, as a stream of chunks.
fn chunks(bytes: &[u8], piece: usize) -> impl Stream<Item = Result<Vec<u8>, StoreError>> + Unpin {
    let pieces: Vec<Result<Vec<u8>, StoreError>> =
        bytes.chunks(piece).map(|c| Ok(c.to_vec())).collect();
    stream::iter(pieces)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_run_gives_what_the_records_in_memory_give_however_it_is_cut() {
    let (rules, ctx) = load();
    let (bytes, recorded) = backlog(1200);
    let inputs: Vec<Input<'_>> = ndjson_inputs(&bytes)
        .into_iter()
        .zip(&recorded)
        .map(|(i, r)| Input {
            record: i.record,
            recorded: *r,
        })
        .collect();
    let whole = simulate(&rules, &ctx, &inputs, true, 2);
    assert_eq!((whole.cases, whole.rejected), (1200, 1));
    let copy = as_copy(&inputs);
    // Chunks of one tuple or less (as PostgreSQL sends them) and larger; blocks of a few tuples,
    // smaller than one, and larger than the whole stream.
    for (piece, block, threads) in [(700, 4096, 2), (1, 300, 3), (1 << 20, 1 << 24, 1)] {
        let tally = tally_stream(chunks(&copy, piece), &rules, &ctx, threads, block)
            .await
            .expect("reads");
        assert_eq!(
            finish(tally, true, None),
            whole,
            "pieces of {piece}, blocks of {block}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_short_or_not_in_the_format_is_an_error() {
    let (rules, ctx) = load();
    let (bytes, recorded) = backlog(50);
    let inputs: Vec<Input<'_>> = ndjson_inputs(&bytes)
        .into_iter()
        .zip(&recorded)
        .map(|(i, r)| Input {
            record: i.record,
            recorded: *r,
        })
        .collect();
    let copy = as_copy(&inputs);
    let cut = &copy[..copy.len() - 2];
    let short = tally_stream(chunks(cut, 100), &rules, &ctx, 2, 4096).await;
    assert!(short.is_err());
    let text = tally_stream(chunks(&bytes, 100), &rules, &ctx, 2, 4096).await;
    let message = text.err().expect("refused").to_string();
    assert!(message.contains("no signature"), "{message}");
    let empty = tally_stream(chunks(b"", 1), &rules, &ctx, 2, 4096).await;
    assert!(empty.is_err());
}
