//! Letters through the print channel, read back with `pdftotext` (poppler-utils).

use std::path::Path;
use std::process::Command;

use docket::domain::{Channel, Recipient};
use docket::notify::print::{PrintChannel, file_name, read_manifest};

use crate::env::{case, offer_notices};

pub(crate) fn offices() -> std::sync::Arc<docket::notify::offices::Offices> {
    std::sync::Arc::new(docket::notify::offices::Offices::builtin())
}

pub(crate) fn fonts() -> std::sync::Arc<docket::notify::pdf::FontSet> {
    let dir = Path::new(docket::notify::settings::DEFAULT_FONTS_DIR);
    docket::notify::pdf::FontSet::load(dir)
        .expect("the letter fonts are needed (apt-get install fonts-noto-core fonts-noto-cjk)")
}

pub(crate) fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext is needed (apt-get install poppler-utils; .ci/run installs it)");
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes the respondent's offer letter for a case in `language`; returns its path and text.
async fn offer_letter(dir: &Path, language: &str) -> (std::path::PathBuf, String) {
    let c = case("DEN-2011-000123", language);
    let notice = offer_notices(&c)
        .into_iter()
        .find(|n| n.recipient == Recipient::Respondent && n.channel == Channel::Letter)
        .unwrap();
    let channel = PrintChannel::new(dir.to_path_buf(), offices(), fonts());
    let key = format!("1/DEN-2011-000123/1/respondent/letter-{language}");
    channel.send(&key, &notice.payload).await.unwrap();
    let path = channel.day_dir(&notice.payload).join(file_name(&key));
    let text = pdftotext(&path);
    (path, text)
}

const CONFIDENTIAL: [&str; 5] = ["asylum", "asilo", "vawa", "t visa", "u visa"];

#[tokio::test]
async fn a_spanish_offer_letter_reads_in_spanish_with_every_required_item() {
    let dir = tempfile::tempdir().unwrap();
    let (path, text) = offer_letter(dir.path(), "es").await;
    let t = flat(&text);
    for needle in [
        "U.S. Department of Homeland Security",
        "Office of the Principal Legal Advisor",
        "16 de enero de 2012",
        "1 de marzo de 2012",
        "Maria Lopez",
        "12 Elm St",
        "Denver, CO 80202",
        "A012345678",
        "Corte de Inmigración de Denver",
        "Oferta de cierre administrativo",
        "en cualquier momento",
        "No le da ningún estatus migratorio legal",
        "tarjeta verde",
        "permiso de trabajo",
        "presencia ilegal",
        "Usted puede rechazar la oferta",
        "verificación de antecedentes",
        "Cómo responder",
        "15 de febrero de 2012",
        "Segunda revisión",
        "sin costo alguno para el gobierno",
        "Pro Bono",
        "FORMULARIO DE RESPUESTA",
        "ACEPTO",
        "RECHAZO",
        "Página 1 de",
    ] {
        assert!(t.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let lower = t.to_lowercase();
    for word in CONFIDENTIAL {
        assert!(!lower.contains(word), "{word}");
    }
    // Pages rendered to PNG, to look at: target/tmp/letter-es-1.png, letter-es-2.png.
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("letter-es");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&path)
        .arg(&png)
        .status()
        .expect("pdftoppm");
    assert!(status.success());
}

#[tokio::test]
async fn an_english_offer_letter_has_every_required_item() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = offer_letter(dir.path(), "en").await;
    let t = flat(&text);
    for needle in [
        "January 16, 2012",
        "March 1, 2012",
        "Dear Maria Lopez:",
        "A012345678",
        "Denver Immigration Court",
        "Offer of administrative closure",
        "Either party, DHS or you",
        "It does not give you a work permit.",
        "unlawful presence",
        "You may decline",
        "background check",
        "February 15, 2012",
        "Second review",
        "no expense to the government",
        "EOIR List of Pro Bono Legal Service Providers",
        "RESPONSE FORM",
        "Page 1 of",
    ] {
        assert!(t.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let lower = t.to_lowercase();
    for word in CONFIDENTIAL {
        assert!(!lower.contains(word), "{word}");
    }
}

#[tokio::test]
async fn writing_a_letter_again_gives_the_same_file_and_one_manifest_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = offer_letter(dir.path(), "es").await;
    let first = std::fs::read(&path).unwrap();
    let (again, _) = offer_letter(dir.path(), "es").await;
    assert_eq!(path, again);
    assert_eq!(first, std::fs::read(&again).unwrap());
    let manifest = read_manifest(path.parent().unwrap()).unwrap();
    assert_eq!(manifest.len(), 1);
    let m = &manifest[0];
    assert_eq!((m.kind.as_str(), m.language.as_str()), ("offer", "es"));
    assert!(
        m.pages >= 2,
        "an offer with its reply slip is more than a page"
    );
    let raw = std::fs::read_to_string(path.parent().unwrap().join("manifest.ndjson")).unwrap();
    assert!(!raw.contains("Lopez") && !raw.contains("A012345678") && !raw.contains("Elm"));
}

#[tokio::test]
async fn letters_and_their_manifest_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = offer_letter(dir.path(), "en").await;
    let day = path.parent().unwrap();
    assert_eq!(mode(&path), 0o600, "letter");
    assert_eq!(mode(&day.join("manifest.ndjson")), 0o600, "manifest");
    assert_eq!(mode(day), 0o700, "day folder");
}

/// An Atlanta case's letter comes from the Atlanta office; a court the directory does not know
/// holds the letter, naming the court.
#[tokio::test]
async fn the_letter_comes_from_the_office_of_the_cases_court() {
    let dir = tempfile::tempdir().unwrap();
    let channel = PrintChannel::new(dir.path().to_path_buf(), offices(), fonts());
    let letter_of = |court: &str| {
        let mut c = case(&format!("{court}-2011-000001"), "en");
        c.court = docket::domain::CourtCode::try_from(court.to_string()).unwrap();
        offer_notices(&c)
            .into_iter()
            .find(|n| n.recipient == Recipient::Respondent && n.channel == Channel::Letter)
            .unwrap()
    };
    let atl = letter_of("ATL");
    channel
        .send("1/ATL/1/respondent/letter", &atl.payload)
        .await
        .unwrap();
    let path = channel
        .day_dir(&atl.payload)
        .join(file_name("1/ATL/1/respondent/letter"));
    let t = flat(&pdftotext(&path));
    assert!(t.contains("Office of the Chief Counsel – Atlanta"), "{t}");
    assert!(
        t.contains("Atlanta, GA 30303") && t.contains("pd-atlanta@docket.invalid"),
        "{t}"
    );
    assert!(!t.contains("Denver, CO 80294"), "{t}");

    let unknown = letter_of("XYZ");
    let err = channel
        .send("1/XYZ/1/respondent/letter", &unknown.payload)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        docket::notify::SendError::Held("court XYZ: no office in the office directory".into())
    );
}

/// A relay's batch of letters: each written whole, once, and listed once in the manifest, also
/// when the batch is sent again or another relay sends part of it; a held letter leaves no file
/// and no line, and the others of its batch go out.
#[tokio::test]
async fn a_batch_of_letters_is_written_and_listed_once_each() {
    use docket::notify::{Job, SendError};
    let dir = tempfile::tempdir().unwrap();
    let jobs: Vec<Job> = (0..6)
        .map(|i| {
            let c = case(&format!("DEN-2011-{i:06}"), ["en", "es"][i % 2]);
            let mut n = offer_notices(&c)
                .into_iter()
                .find(|n| n.recipient == Recipient::Respondent && n.channel == Channel::Letter)
                .unwrap();
            if i == 3 {
                // Tibetan: no font covers it.
                n.payload.addressee_name = "བཀྲ་ཤིས".into();
            }
            let key = format!("1/DEN-2011-{i:06}/1/respondent/letter");
            Job {
                key,
                payload: n.payload,
            }
        })
        .collect();
    let relay = PrintChannel::new(dir.path().to_path_buf(), offices(), fonts());
    let other = PrintChannel::new(dir.path().to_path_buf(), offices(), fonts());
    let first = relay.send_batch(jobs.clone()).await;
    let day = relay.day_dir(&jobs[0].payload);
    let bytes = std::fs::read(day.join(file_name(&jobs[0].key))).unwrap();
    let again = relay.send_batch(jobs.clone()).await;
    let part = other.send_batch(jobs[..3].to_vec()).await;
    for (i, r) in first.iter().enumerate() {
        match (i, r) {
            (3, Err(SendError::Held(why))) => assert!(why.contains("addressee_name"), "{why}"),
            (3, r) => panic!("the Tibetan name is held: {r:?}"),
            (_, r) => assert_eq!(r, &Ok(()), "letter {i}"),
        }
    }
    assert_eq!(first, again);
    assert_eq!(part, first[..3]);
    let listed: Vec<String> = read_manifest(&day)
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    let expected: Vec<&str> = [0, 1, 2, 4, 5].map(|i| jobs[i].key.as_str()).to_vec();
    assert_eq!(
        listed, expected,
        "each written key once, in the batch's order"
    );
    let mut files: Vec<String> = std::fs::read_dir(&day)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want: Vec<String> = expected.iter().map(|k| file_name(k)).collect();
    want.push("manifest.ndjson".into());
    want.sort();
    assert_eq!(
        files, want,
        "no temporary file, no file for the held letter"
    );
    assert_eq!(
        std::fs::read(day.join(file_name(&jobs[0].key))).unwrap(),
        bytes,
        "a letter written again has the same bytes"
    );
    let languages: Vec<String> = read_manifest(&day)
        .unwrap()
        .into_iter()
        .map(|e| e.language)
        .collect();
    assert_eq!(
        languages,
        ["en", "es", "en", "en", "es"],
        "each its own letter"
    );
}
