//! Letters to respondents whose names and addresses are written in other scripts: read back with
//! `pdftotext` exactly as written, laid out inside the page at the case record's maximum lengths
//! (checked word by word with `pdftotext -bbox`), and held with a reason when no font has a glyph.

use std::path::{Path, PathBuf};
use std::process::Command;

use docket::domain::{Case, Channel, Recipient, decode_json};
use docket::notify::SendError;
use docket::notify::print::{PrintChannel, file_name};

use crate::env::offer_notices;
use crate::letters::{fonts, offices, pdftotext};

const EXAMPLE: &str = include_str!("../fixtures/case.json");

/// The example case with the respondent's name and address replaced.
fn case_named(given: &str, family: &str, line1: &str, city: &str, language: &str) -> Case {
    let mut json: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    let r = &mut json["respondent"];
    r["given_name"] = given.into();
    r["family_name"] = family.into();
    r["language"] = language.into();
    r["address"]["line1"] = line1.into();
    r["address"]["city"] = city.into();
    decode_json(json.to_string().as_bytes()).unwrap()
}

/// Writes the respondent's offer letter; returns its path or the channel's refusal.
async fn letter(dir: &Path, case: &Case, name: &str) -> Result<PathBuf, SendError> {
    let notice = offer_notices(case)
        .into_iter()
        .find(|n| n.recipient == Recipient::Respondent && n.channel == Channel::Letter)
        .unwrap();
    let channel = PrintChannel::new(dir.to_path_buf(), offices(), fonts());
    let key = format!("1/{name}/1/respondent/letter");
    channel.send(&key, &notice.payload).await?;
    Ok(channel.day_dir(&notice.payload).join(file_name(&key)))
}

/// The text with whitespace runs as one space and without the bidi embedding marks poppler puts
/// around right-to-left runs (invisible; the letters themselves are in logical order).
fn flat(s: &str) -> String {
    let visible: String = s.chars().filter(|c| !is_bidi_mark(*c)).collect();
    visible.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_bidi_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Every name comes back from the PDF's text exactly as written, in every script.
#[tokio::test]
async fn names_in_every_script_print_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        ("chinese", "小明", "王", "北京路 8 号", "Flushing", "zh"),
        (
            "arabic",
            "محمد",
            "عبد الله",
            "شارع الملك فهد",
            "Dearborn",
            "ar",
        ),
        ("hebrew", "דוד", "כהן", "רחוב הרצל", "Los Angeles", "he"),
        (
            "vietnamese",
            "Nguyễn Thị",
            "Minh Khai",
            "Đường Lê Lợi 5",
            "Westminster",
            "vi",
        ),
        (
            "polish",
            "Łukasz",
            "Żółkiewski",
            "ul. Świętokrzyska 3",
            "Chicago",
            "pl",
        ),
        (
            "serbian",
            "Đorđe",
            "Đorđević",
            "Ђорђа Вашингтона 7",
            "Čačak",
            "sr",
        ),
        (
            "russian",
            "Дмитрий",
            "Иванов",
            "ул. Пушкина 10",
            "Brooklyn",
            "ru",
        ),
        (
            "winansi",
            "Šárka Žofie",
            "Œuvray Ÿvonne",
            "12 Elm St",
            "Denver",
            "fr",
        ),
    ];
    for (label, given, family, line1, city, lang) in names {
        let c = case_named(given, family, line1, city, lang);
        let path = letter(dir.path(), &c, label)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let text = flat(&pdftotext(&path));
        for needle in [
            format!("{given} {family}"),
            line1.to_string(),
            city.to_string(),
        ] {
            assert!(
                text.contains(&needle),
                "{label}: {needle:?} missing from:\n{text}"
            );
        }
        assert!(
            !text.contains('\u{fffd}'),
            "{label}: a replacement character in:\n{text}"
        );
        // Pages to look at: target/tmp/letter-<script>-<page>.png.
        render_png(&path, &format!("letter-{label}"));
    }
    // A number in a right-to-left line is drawn at its left end, as the bidirectional algorithm
    // wants; pdftotext reads the line from the left, so the number comes first.
    let c = case_named("محمد", "عبد الله", "شارع الملك فهد 12", "Dearborn", "ar");
    let path = letter(dir.path(), &c, "arabic-number").await.unwrap();
    let text = flat(&pdftotext(&path));
    assert!(text.contains("12 شارع الملك فهد"), "{text}");
}

/// One word of `pdftotext -bbox` output.
#[derive(Debug)]
struct Word {
    x_min: f32,
    y_min: f32,
    x_max: f32,
    y_max: f32,
}

fn attr(line: &str, name: &str) -> f32 {
    let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    line[at..].split('"').next().unwrap().parse().unwrap()
}

fn bbox_words(pdf: &Path) -> Vec<Word> {
    let out = Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext is needed (apt-get install poppler-utils)");
    assert!(out.status.success(), "pdftotext -bbox failed: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| Word {
            x_min: attr(l, "xMin"),
            y_min: attr(l, "yMin"),
            x_max: attr(l, "xMax"),
            y_max: attr(l, "yMax"),
        })
        .collect()
}

/// Renders the pages to PNG under the target's tmp directory, to look at.
fn render_png(pdf: &Path, name: &str) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(pdf)
        .arg(&out)
        .status()
        .expect("pdftoppm is needed (apt-get install poppler-utils)");
    assert!(status.success());
}

/// Names, streets and cities as long as the case record allows (200 characters each), in one
/// script and mixed, stay inside the printable area: one inch left and right, half an inch top
/// and bottom.
#[tokio::test]
async fn maximum_length_fields_stay_inside_the_printable_area() {
    let dir = tempfile::tempdir().unwrap();
    let latin = "Wolfeschlegelsteinhausenbergerdorff ".repeat(6);
    let long_word = "Bartholomew".repeat(18);
    let cjk = "王小明".repeat(66);
    let mixed = "Nguyễn محمد 王小明 Łukasz Ђорђе ".repeat(7);
    let cases = [
        (
            "max-latin",
            &latin[..200],
            &long_word[..],
            &latin[..200],
            &latin[..200],
        ),
        ("max-cjk", &cjk[..], &cjk[..], &cjk[..], &cjk[..]),
        (
            "max-mixed",
            trim(&mixed),
            trim(&mixed),
            trim(&mixed),
            trim(&mixed),
        ),
    ];
    for (label, given, family, line1, city) in cases {
        let c = case_named(given, family, line1, city, "en");
        let path = letter(dir.path(), &c, label).await.unwrap();
        let words = bbox_words(&path);
        assert!(words.len() > 100, "{label}: {} words", words.len());
        for w in &words {
            assert!(
                w.x_min >= 71.0 && w.x_max <= 541.0 && w.y_min >= 36.0 && w.y_max <= 756.0,
                "{label}: {w:?} is outside the printable area"
            );
        }
        let text: String = flat(&pdftotext(&path)).split(' ').collect();
        let given_flat: String = given.split_whitespace().collect();
        assert!(
            text.contains(&given_flat),
            "{label}: the whole name {given_flat} is printed in:\n{text}"
        );
        render_png(&path, label);
    }
}

/// At most 200 characters, without a trailing space (the record's limit).
fn trim(s: &str) -> &str {
    let end = s.char_indices().nth(200).map_or(s.len(), |(i, _)| i);
    s[..end].trim()
}

/// A character no font has a glyph for is refused with the field and code point, not the name.
#[tokio::test]
async fn a_character_no_font_prints_holds_the_letter_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    // Tibetan: no face of the chain covers it.
    let c = case_named("བཀྲ་ཤིས", "Dorje", "12 Elm St", "Denver", "en");
    let err = letter(dir.path(), &c, "tibetan").await.unwrap_err();
    match err {
        SendError::Held(reason) => {
            assert!(reason.contains("addressee_name"), "{reason}");
            assert!(reason.contains("U+0F56"), "{reason}");
            assert!(!reason.contains("Dorje"), "{reason}");
        }
        other => panic!("expected a hold, got {other:?}"),
    }
    assert!(
        std::fs::read_dir(dir.path()).map_or(true, |mut d| d.next().is_none()),
        "no letter and no manifest line for a held notice"
    );
}
