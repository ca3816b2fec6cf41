//! Tests of loading and checking a template set: what a broken set is refused for, with file and
//! line.

use super::{Problem, TemplateError, Templates, shipped_files};

/// The shipped set with `name` replaced by `source` (or removed when `None`).
fn with(name: &str, source: Option<&str>) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = shipped_files()
        .into_iter()
        .filter(|(n, _)| n != name)
        .collect();
    if let Some(s) = source {
        files.push((name.to_string(), s.to_string()));
    }
    files
}

fn shipped(name: &str) -> String {
    shipped_files()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s)
        .unwrap()
}

fn problems(files: Vec<(String, String)>) -> Vec<Problem> {
    match Templates::from_files("test", files) {
        Err(TemplateError::Invalid { problems, .. }) => problems,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_shipped_set_passes_the_check() {
    let t = Templates::shipped();
    let report = super::check::check(&t);
    assert_eq!(report.problems, Vec::<Problem>::new());
    // The ten interpreter drafts are listed as needing a certified translation.
    assert_eq!(report.notes.len(), 10, "{:?}", report.notes);
    assert!(
        report
            .notes
            .iter()
            .all(|n| n.file.starts_with("interpreter/"))
    );
}

#[test]
fn a_template_that_mentions_a_confidential_status_is_refused() {
    for (file, sentence) in [
        ("en/offer.j2", "You may also keep your asylum application."),
        ("es/closed.j2", "Esto no afecta su solicitud de asilo."),
        (
            "counsel/declined.j2",
            "Any VAWA self-petition is unaffected.",
        ),
        ("en/accepted.j2", "A pending U visa petition is unaffected."),
        ("interpreter/zh.j2", "您的庇护申请不受影响。"),
    ] {
        let source = shipped(file).replace("\n[body]\n", &format!("\n[body]\n{sentence}\n\n"));
        let source = if file.starts_with("interpreter/") {
            format!("{}{sentence}\n", shipped(file))
        } else {
            source
        };
        let p = problems(with(file, Some(&source)));
        assert!(
            p.iter().any(|p| p.file == file
                && p.line.is_some()
                && p.message
                    .contains("no notice may name asylum, VAWA, T or U visas")),
            "{file}: {p:?}"
        );
    }
    // A value built from pieces is caught in the rendered sample.
    let source = shipped("en/declined.j2").replace(
        "\n[body]\n",
        "\n[body]\n{{ \"asy\" ~ \"lum\" }} is not affected.\n\n",
    );
    let p = problems(with("en/declined.j2", Some(&source)));
    assert!(
        p.iter()
            .any(|p| p.message.contains("rendered notice mentions")),
        "{p:?}"
    );
}

#[test]
fn a_language_without_a_list_of_forbidden_words_is_refused() {
    let p = problems(with("forbidden/pa.txt", None));
    assert!(
        p.iter().any(|p| p.file == "forbidden/pa.txt"
            && p.message.starts_with("missing list of forbidden words")),
        "{p:?}"
    );
    // A full folder for a new language needs one too.
    let mut files = with("forbidden/fr.txt", None);
    files.retain(|(n, _)| n != "interpreter/fr.j2");
    for (name, source) in shipped_files() {
        if let Some(rest) = name.strip_prefix("es/") {
            files.push((format!("fr/{rest}"), source.replace("es/_", "fr/_")));
        }
    }
    let p = problems(files);
    assert!(p.iter().any(|p| p.file == "forbidden/fr.txt"), "{p:?}");
}

#[test]
fn a_mention_in_a_language_of_its_own_list_is_refused_in_any_file() {
    let mut source = shipped("interpreter/ht.j2");
    source.push_str("\nYou ka mande azil.\n");
    let p = problems(with("interpreter/ht.j2", Some(&source)));
    assert!(
        p.iter().any(|p| p.file == "interpreter/ht.j2"
            && p.line.is_some()
            && p.message.contains("\"azil\"")),
        "{p:?}"
    );
}

#[test]
fn words_that_only_look_like_a_forbidden_one_pass() {
    let t = Templates::shipped();
    let forbidden = |text| t.forbidden().find(text);
    assert_eq!(forbidden("a student visa, at visa time"), None);
    assert_eq!(forbidden("Visa Usually"), None);
    assert_eq!(forbidden("an asylum-seeker"), Some("asylum"));
    assert_eq!(forbidden("a T visa."), Some("t visa"));
    assert_eq!(forbidden("la visa U"), Some("visa u"));
    assert_eq!(forbidden("demande d'asile"), Some("asile"));
    assert_eq!(forbidden("mande azil"), Some("azil"));
    assert_eq!(forbidden("ਸ਼ਰਣ ਦੀ ਅਰਜ਼ੀ"), Some("ਸ਼ਰਣ"));
    assert_eq!(forbidden("রাজনৈতিক আশ্রয়"), Some("আশ্রয়"));
    assert_eq!(forbidden("ሕቶ ንዑቕባ"), Some("ዑቕባ"));
    assert_eq!(forbidden("申请庇护"), Some("庇护"));
    assert_eq!(forbidden("Brazil"), None);
}

#[test]
fn a_missing_template_or_section_and_an_unknown_variable_are_named() {
    let p = problems(with("es/expired.j2", None));
    assert!(
        p.contains(&Problem::new("es/expired.j2", None, "missing template")),
        "{p:?}"
    );

    let source = shipped("en/closed.j2").replace("[title]", "[titel]");
    let p = problems(with("en/closed.j2", Some(&source)));
    assert!(
        p.iter()
            .any(|p| p.file == "en/closed.j2" && p.message == "unknown section [titel]"),
        "{p:?}"
    );

    let source = shipped("counsel/closed.j2").replace("[title]\n", "");
    let source = source.replacen("Motion for {{ m }} granted\n", "", 1);
    let p = problems(with("counsel/closed.j2", Some(&source)));
    assert!(
        p.iter().any(|p| p.message == "missing section [title]"),
        "{p:?}"
    );

    let source = shipped("en/offer.j2").replace("{{ m }} of your case", "{{ mechansim }}");
    let p = problems(with("en/offer.j2", Some(&source)));
    let unknown = p
        .iter()
        .find(|p| p.message == "unknown variable `mechansim`")
        .unwrap_or_else(|| panic!("{p:?}"));
    assert_eq!(unknown.file, "en/offer.j2");
    assert!(unknown.line.is_some(), "{unknown:?}");

    let source = shipped("es/offer.j2").replace("{{ office.phone", "{{ office.fax");
    let source = format!("{source}\n{{{{ office.fax }}}}\n");
    let p = problems(with("es/offer.j2", Some(&source)));
    assert!(
        p.iter()
            .any(|p| p.message == "unknown variable `office.fax`"),
        "{p:?}"
    );
}

#[test]
fn a_syntax_error_is_named_with_its_file_and_line() {
    let source =
        shipped("es/reminder.j2").replace("{{ parts.not_status() }}", "{{ parts.not_status( }}");
    let line = source
        .lines()
        .position(|l| l.contains("not_status( }}"))
        .unwrap()
        + 1;
    let p = problems(with("es/reminder.j2", Some(&source)));
    let err = p
        .iter()
        .find(|p| p.file == "es/reminder.j2" && p.message.starts_with("syntax error"))
        .unwrap_or_else(|| panic!("{p:?}"));
    assert_eq!(err.line, Some(line));
    let e = Templates::from_files("somewhere", with("es/reminder.j2", Some(&source)))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("es/reminder.j2 line {line}: syntax error")),
        "{e}"
    );
}

#[test]
fn printing_a_value_that_may_be_missing_without_a_fallback_is_refused() {
    let source = shipped("en/offer.j2")
        .replace("{{ deadline or \"the deadline below\" }}", "{{ deadline }}");
    let p = problems(with("en/offer.j2", Some(&source)));
    assert!(
        p.iter()
            .any(|p| p.file == "en/offer.j2" && p.message.contains("may be missing")),
        "{p:?}"
    );
}

#[test]
fn a_directory_replaces_the_shipped_wording() {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in shipped_files() {
        let path = dir.path().join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let source = if name == "en/_frame.j2" {
            source.replace("Sincerely,", "Respectfully,")
        } else {
            source
        };
        std::fs::write(path, source).unwrap();
    }
    let t = Templates::load(Some(dir.path())).unwrap();
    let p = super::check::sample_payload(
        crate::domain::NoticeKind::Offer,
        crate::domain::Recipient::Respondent,
        "en",
    );
    let office = super::check::sample_office();
    let n = t
        .render(&p, crate::domain::Channel::Letter, &office)
        .unwrap();
    assert_eq!(n.closing, "Respectfully,");
    std::fs::remove_file(dir.path().join("counsel/offer.j2")).unwrap();
    let e = Templates::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("counsel/offer.j2: missing template"), "{e}");
}

#[test]
fn a_line_break_in_a_value_cannot_start_a_section_heading_or_item() {
    let mut p = super::check::sample_payload(
        crate::domain::NoticeKind::Declined,
        crate::domain::Recipient::Respondent,
        "en",
    );
    p.addressee_name = "Maria\n[body]\n## Lopez".into();
    p.counsel_name = Some("Ana\n- Ortiz".into());
    let office = super::check::sample_office();
    let n = Templates::shipped()
        .render(&p, crate::domain::Channel::Letter, &office)
        .unwrap();
    assert_eq!(n.salutation, "Dear Maria [body] ## Lopez:");
    let plain = Templates::shipped()
        .render(
            &super::check::sample_payload(
                crate::domain::NoticeKind::Declined,
                crate::domain::Recipient::Respondent,
                "en",
            ),
            crate::domain::Channel::Letter,
            &office,
        )
        .unwrap();
    assert_eq!(n.blocks, plain.blocks);
}

/// The shipped set plus a `fr/` folder made from the English one, with French salutation, month
/// names, date pattern and court name.
fn with_french() -> Vec<(String, String)> {
    let mut files = shipped_files();
    let months = [
        ("January", "janvier"),
        ("February", "février"),
        ("March", "mars"),
    ];
    let french: Vec<(String, String)> = files
        .iter()
        .filter(|(n, _)| n.starts_with("en/"))
        .map(|(n, s)| {
            let mut s = s
                .replace("\"en/_parts.j2\"", "\"fr/_parts.j2\"")
                .replace("Dear {{", "Madame, Monsieur {{")
                .replace("{month} {day}, {year}", "{day} {month} {year}")
                .replace(
                    "{city} Immigration Court",
                    "Tribunal de l'immigration de {city}",
                );
            for (en, fr) in months {
                s = s.replace(&format!("\n{en}\n"), &format!("\n{fr}\n"));
            }
            (n.replacen("en/", "fr/", 1), s)
        })
        .collect();
    files.extend(french);
    files
}

#[test]
fn a_complete_folder_adds_a_language_without_a_code_change() {
    let t = Templates::from_files("test", with_french()).unwrap();
    assert_eq!(t.languages(), vec!["en", "es", "fr"]);
    let p = super::check::sample_payload(
        crate::domain::NoticeKind::Offer,
        crate::domain::Recipient::Respondent,
        "fr",
    );
    let n = t
        .render(
            &p,
            crate::domain::Channel::Letter,
            &super::check::sample_office(),
        )
        .unwrap();
    assert_eq!(n.lang.code(), "fr");
    assert!(!n.lang.is_fallback());
    assert!(n.interpreter_notice.is_empty());
    assert!(
        n.salutation.starts_with("Madame, Monsieur"),
        "{}",
        n.salutation
    );
    assert_eq!(n.date_line, "16 janvier 2012");
    assert!(
        n.caption
            .iter()
            .any(|(_, v)| v == "Tribunal de l'immigration de Denver"),
        "{:?}",
        n.caption
    );
}

#[test]
fn the_check_names_what_a_language_lacks() {
    let files: Vec<(String, String)> = with_french()
        .into_iter()
        .filter(|(n, _)| n != "fr/offer.j2" && n != "fr/_lang.j2")
        .collect();
    let p = problems(files);
    for file in ["fr/offer.j2", "fr/_lang.j2"] {
        assert!(
            p.iter()
                .any(|p| p.file == file && p.message == "missing template"),
            "{file}: {p:?}"
        );
    }
    let broken = with("en/_lang.j2", Some("[months]\nJanuary\n[date]\n{day}\n"));
    let p = problems(broken);
    assert!(
        p.iter()
            .any(|p| p.file == "en/_lang.j2" && p.message.contains("12 months")),
        "{p:?}"
    );
}

#[test]
fn the_letterhead_and_page_footer_are_template_sections() {
    let source = shipped("es/_frame.j2").replace("Página {{ page }} de {{ pages }}", "Página");
    let p = problems(with("es/_frame.j2", Some(&source)));
    assert!(
        p.iter().any(|p| p
            .message
            .contains("[page] must print {{ page }} and {{ pages }}")),
        "{p:?}"
    );
    let source = shipped("en/_frame.j2").replace("[letterhead]\n", "[title_page]\n");
    assert!(!problems(with("en/_frame.j2", Some(&source))).is_empty());
}
