//! A day's print batches: the sent letters of an issue date in batch PDFs, with page ranges that
//! poppler reads back as the single letters' text, and sha256 sums that match the files.

use std::path::Path;
use std::process::Command;

use docket::domain::{Channel, Recipient};
use docket::notify::batch::{self, BatchRecord, SentLetter};
use docket::notify::print::{PrintChannel, file_name};
use sha2::{Digest, Sha256};

use crate::env::{NotifyEnv, case, offer_notices};
use crate::letters::{fonts, offices, pdftotext};

/// `pdftotext` of pages `first..=last` of `pdf`.
fn pages_text(pdf: &Path, first: usize, last: usize) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-f"])
        .arg(first.to_string())
        .arg("-l")
        .arg(last.to_string())
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext is needed (scripts/setup installs poppler-utils)");
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Page count as poppler sees it.
fn pdf_pages(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo");
    let info = String::from_utf8(out.stdout).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo names the pages")
}

/// The letters sent for `date`, as `docket notices batch` reads them.
async fn sent(env: &NotifyEnv, date: chrono::NaiveDate) -> Vec<SentLetter> {
    docket::store::sent_letters::of_day(&env.pool, date)
        .await
        .unwrap()
        .into_iter()
        .map(|r| SentLetter {
            key: r.idempotency_key,
            payload: serde_json::from_value(r.payload).unwrap(),
        })
        .collect()
}

#[tokio::test]
async fn a_days_letters_are_batched_with_page_ranges_checksums_and_a_closing_record() {
    let env = NotifyEnv::new(9).await;
    let run = env.run("batches").await;
    let print = PrintChannel::new(env.notify().print_dir.clone(), offices(), fonts());
    // Five respondents in three languages: five offer letters (and emails, which stay pending).
    let mut day = None;
    for (i, lang) in ["en", "es", "zh", "en", "ar"].iter().enumerate() {
        let c = case(&format!("DEN-2011-00010{i}"), lang);
        let notices = offer_notices(&c);
        let keys = env.enqueue(run, &c, &notices).await;
        for (key, n) in keys.iter().zip(&notices) {
            if n.channel == Channel::Letter && n.recipient == Recipient::Respondent {
                print.send(key, &n.payload).await.unwrap();
                sqlx::query("UPDATE notifications SET status = 'sent' WHERE idempotency_key = $1")
                    .bind(key)
                    .execute(&env.pool)
                    .await
                    .unwrap();
                day = Some(n.payload.issued_on);
            }
        }
    }
    let date = day.unwrap();
    let letters = sent(&env, date).await;
    assert_eq!(letters.len(), 5, "the five sent letters of the day");
    assert!(
        sent(&env, date.succ_opt().unwrap()).await.is_empty(),
        "another day has no letters"
    );

    let dir = batch::day_dir(&env.notify().print_dir, date);
    let access = docket::files::Access::default();
    let (fonts, offices) = (fonts(), offices());
    let templates = docket::notify::templates::Templates::shipped();
    let kit = batch::LetterKit {
        fonts: &fonts,
        offices: &offices,
        templates: &templates,
    };
    let records = batch::write_day(kit, access, &dir, date, letters, 2).unwrap();
    assert_eq!(
        batch::read_batches(&dir).unwrap(),
        records,
        "manifest as returned"
    );

    let mut seen_pages = 0;
    let mut letters_listed = Vec::new();
    for r in &records {
        match r {
            BatchRecord::Batch {
                file,
                sha256,
                letters,
                pages,
            } => {
                let bytes = std::fs::read(dir.join(file)).unwrap();
                assert_eq!(&hex::encode(Sha256::digest(&bytes)), sha256, "{file}");
                assert!(*letters <= 2, "{file}: at most the batch size");
                assert_eq!(pdf_pages(&dir.join(file)), *pages, "{file}");
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    text.contains("<pdfaid:part>2</pdfaid:part>"),
                    "{file}: PDF/A"
                );
                seen_pages += pages;
            }
            BatchRecord::Letter {
                key,
                file,
                batch,
                first_page,
                last_page,
            } => {
                assert_eq!(file, &file_name(key));
                let single = dir.join(file);
                assert_eq!(
                    pages_text(&dir.join(batch), *first_page, *last_page),
                    pdftotext(&single),
                    "{key}: pages {first_page}-{last_page} of {batch} are its letter"
                );
                assert_eq!(last_page - first_page + 1, pdf_pages(&single), "{key}");
                letters_listed.push(key.clone());
            }
            BatchRecord::Closing {
                date: d,
                batches,
                letters,
                pages,
            } => {
                assert_eq!(*d, date);
                assert_eq!((*batches, *letters, *pages), (3, 5, seen_pages));
            }
        }
    }
    assert!(matches!(records.last(), Some(BatchRecord::Closing { .. })));
    let mut sorted = letters_listed.clone();
    sorted.sort();
    assert_eq!(letters_listed, sorted, "letters in key order");

    // Written again: the same bytes (a vendor can compare the sums).
    let again = batch::write_day(kit, access, &dir, date, sent(&env, date).await, 2).unwrap();
    assert_eq!(again, records);

    // The command: the same letters, at most 500 a batch, so one file.
    let out = Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(["notices", "batch", "--date", &date.to_string()])
        .env("DOCKET_DATABASE__URL", env.db_url())
        .env("DOCKET_NOTIFY__PRINT_DIR", &env.notify().print_dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        stdout.trim(),
        format!("{date}: 5 letters, {seen_pages} pages, 1 batch file(s)")
    );
    let by_command = batch::read_batches(&dir).unwrap();
    assert_eq!(
        by_command.len(),
        1 + 5 + 1,
        "one batch, five letters, the closing record"
    );
    env.cleanup().await;
}
