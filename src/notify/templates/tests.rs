//! Template tests: every kind in every language, the §6 offer items, and no confidential words.

use chrono::NaiveDate;

use super::*;
use crate::domain::{
    Case, NoticeContext, NoticeKind, NoticePayload, PlannedNotice, decode_json, plan_notices,
};

const EXAMPLE: &str = include_str!("../../../tests/fixtures/case.json");

const KINDS: [NoticeKind; 7] = [
    NoticeKind::Offer,
    NoticeKind::Reminder,
    NoticeKind::Accepted,
    NoticeKind::Declined,
    NoticeKind::Expired,
    NoticeKind::Closed,
    NoticeKind::Recalendared,
];

/// The letter fonts from the default settings' directory, loaded once per process.
pub(crate) fn fonts() -> std::sync::Arc<crate::notify::pdf::FontSet> {
    crate::notify::pdf::FontSet::load(std::path::Path::new(
        crate::notify::settings::DEFAULT_FONTS_DIR,
    ))
    .expect("the Noto fonts (Debian fonts-noto-core, fonts-noto-cjk) are needed")
}

pub(crate) fn office() -> Office {
    Office {
        name: "Office of the Chief Counsel".into(),
        agency: "U.S. Immigration and Customs Enforcement".into(),
        address: vec!["1961 Stout Street".into(), "Denver, CO 80294".into()],
        email: "pd@docket.invalid".into(),
        phone: "(303) 555-0142".into(),
        hours: None,
    }
}

/// A payload rendered by the shipped templates.
fn render(payload: &NoticePayload, channel: crate::domain::Channel, office: &Office) -> Notice {
    Templates::shipped()
        .render(payload, channel, office)
        .unwrap()
}

fn planned(kind: NoticeKind, language: &str) -> Vec<PlannedNotice> {
    let mut case: Case = decode_json(EXAMPLE.as_bytes()).unwrap();
    let mut json = serde_json::to_value(&case).unwrap();
    json["respondent"]["language"] = language.into();
    json["respondent"]["email"] = "maria@example.org".into();
    case = serde_json::from_value(json).unwrap();
    let ctx = NoticeContext {
        kind,
        deadline: Some(NaiveDate::from_ymd_opt(2012, 2, 15).unwrap()),
        deadline_days: Some(30),
        closure_mechanism: "admin_closure".into(),
        issued_on: NaiveDate::from_ymd_opt(2012, 1, 16).unwrap(),
    };
    plan_notices(&case, &ctx)
}

fn all_text(n: &Notice) -> String {
    let mut s = format!("{}\n{}\n", n.subject, email_body(n));
    s.push_str(&n.interpreter_notice.join("\n"));
    if let Some(f) = &n.response_form {
        s.push_str(&format!(
            "{}\n{}\n{}",
            f.title,
            f.choices.join("\n"),
            f.return_to
        ));
    }
    s
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render_all(language: &str) -> Vec<(PlannedNotice, Notice)> {
    KINDS
        .iter()
        .flat_map(|k| planned(*k, language))
        .map(|p| {
            let n = render(&p.payload, p.channel, &office());
            (p, n)
        })
        .collect()
}

#[test]
fn no_notice_names_a_confidential_status() {
    let langs = ["en", "es"]
        .into_iter()
        .chain(super::check::INTERPRETER_LANGUAGES);
    for lang in langs {
        for (p, n) in render_all(lang) {
            let text = all_text(&n).to_lowercase();
            for word in [
                "asylum",
                "asilo",
                "asile",
                "vawa",
                "t visa",
                "u visa",
                "visa t",
                "visa u",
                "庇护",
                "لجوء",
                "убежищ",
                "tị nạn",
            ] {
                assert!(
                    !text.contains(word),
                    "{word} in {:?} {:?} {lang}",
                    p.payload.kind,
                    p.recipient
                );
            }
        }
    }
}

#[test]
fn the_english_offer_letter_covers_every_item_of_policy_section_6() {
    let p = &planned(NoticeKind::Offer, "en")[0];
    assert_eq!(p.channel, crate::domain::Channel::Letter);
    let n = render(&p.payload, p.channel, &office());
    let t = flat(&all_text(&n));
    for needle in [
        "Maria Lopez",
        "A012345678",
        "Denver Immigration Court",
        "March 1, 2012",
        "administratively close",
        "at any time",
        "not give you any legal immigration status",
        "green card",
        "work permit",
        "unlawful presence",
        "You do not have to accept",
        "continues in immigration court",
        "background check",
        "February 15, 2012",
        "30 days",
        "1961 Stout Street",
        "pd@docket.invalid",
        "second review",
        "no expense to the government",
        "EOIR List of Pro Bono Legal Service Providers",
        "Ana Ortiz",
        "I ACCEPT",
        "I DECLINE",
    ] {
        assert!(t.contains(needle), "missing {needle:?}");
    }
}

#[test]
fn the_spanish_offer_letter_covers_every_item_in_spanish() {
    let p = &planned(NoticeKind::Offer, "es")[0];
    let n = render(&p.payload, p.channel, &office());
    assert_eq!(n.lang, Lang::ES);
    let t = flat(&all_text(&n));
    for needle in [
        "Estimado/a Maria Lopez",
        "A012345678",
        "Corte de Inmigración de Denver",
        "1 de marzo de 2012",
        "cierre administrativo",
        "en cualquier momento",
        "ningún estatus migratorio",
        "tarjeta verde",
        "permiso de trabajo",
        "presencia ilegal",
        "no está obligado/a a aceptar",
        "verificación de antecedentes",
        "15 de febrero de 2012",
        "30 días",
        "segunda revisión",
        "sin costo alguno para el gobierno",
        "Servicios Legales Gratuitos",
        "ACEPTO",
        "RECHAZO",
    ] {
        assert!(t.contains(needle), "missing {needle:?}");
    }
    assert!(!t.contains("Dear "), "English left in the Spanish letter");
}

#[test]
fn other_languages_get_english_with_a_bilingual_interpreter_notice() {
    let p = &planned(NoticeKind::Offer, "zh")[0];
    let n = render(&p.payload, p.channel, &office());
    assert_eq!(n.lang, Lang::EN_FALLBACK);
    assert_eq!(n.interpreter_notice.len(), 3);
    assert!(n.interpreter_notice[0].contains("interpreter"));
    assert!(n.interpreter_notice[1].contains("intérprete"));
    assert!(
        n.interpreter_notice[2].contains("口译"),
        "{:?}",
        n.interpreter_notice
    );
    assert!(n.interpreter_notice[2].contains(&office().phone));
    assert!(n.salutation.starts_with("Dear "));
    // A language without a line of its own gets English and Spanish.
    let p = &planned(NoticeKind::Offer, "so")[0];
    assert_eq!(
        render(&p.payload, p.channel, &office())
            .interpreter_notice
            .len(),
        2
    );
}

#[test]
fn ten_languages_have_an_interpreter_notice_with_the_phone_and_nothing_confidential() {
    let langs: Vec<&str> = super::check::INTERPRETER_LANGUAGES.to_vec();
    assert_eq!(langs.len(), 10, "{langs:?}");
    let fonts = fonts();
    for lang in langs {
        let p = &planned(NoticeKind::Offer, lang)[0];
        let n = render(&p.payload, p.channel, &office());
        let own = &n.interpreter_notice[2];
        assert!(own.contains(&office().phone), "{lang}: {own}");
        assert!(!own.contains("{phone}"), "{lang}");
        assert_eq!(crate::notify::pdf::uncovered(&fonts, own), None, "{lang}");
    }
}

#[test]
fn counsel_reads_english_with_the_client_name_and_a_number() {
    for kind in KINDS {
        let notices = planned(kind, "es");
        let c = notices
            .iter()
            .find(|n| n.recipient == crate::domain::Recipient::Counsel)
            .unwrap();
        assert_eq!(c.channel, crate::domain::Channel::Email);
        let n = render(&c.payload, c.channel, &office());
        assert_eq!(n.lang, Lang::EN);
        let body = email_body(&n);
        assert!(
            body.contains("Maria Lopez") && body.contains("A012345678"),
            "{kind:?}"
        );
        assert!(body.starts_with(&n.title.to_uppercase()));
        assert!(n.salutation.contains("Ana Ortiz"));
        assert!(!n.subject.contains("A012345678") && !n.subject.contains("Lopez"));
    }
}

#[test]
fn a_respondents_email_masks_the_a_number_and_has_no_reply_slip() {
    let notices = planned(NoticeKind::Offer, "es");
    let e = notices
        .iter()
        .find(|n| {
            n.recipient == crate::domain::Recipient::Respondent
                && n.channel == crate::domain::Channel::Email
        })
        .unwrap();
    let n = render(&e.payload, e.channel, &office());
    let body = email_body(&n);
    assert!(body.contains("A******678"));
    assert!(!body.contains("A012345678"));
    assert!(n.response_form.is_none());
    assert!(body.lines().all(|l| l.chars().count() <= 72), "{body}");
}

#[test]
fn every_kind_has_its_own_subject_and_a_body_in_both_languages() {
    for lang in ["en", "es"] {
        let subjects: std::collections::HashSet<String> = KINDS
            .iter()
            .map(|k| {
                let p: NoticePayload = planned(*k, lang)[0].payload.clone();
                let n = render(&p, crate::domain::Channel::Letter, &office());
                assert!(n.blocks.len() >= 3, "{k:?} {lang}");
                n.subject
            })
            .collect();
        assert_eq!(subjects.len(), KINDS.len(), "{lang}");
    }
}

#[test]
fn other_closure_mechanisms_are_named_as_such() {
    let mut p = planned(NoticeKind::Offer, "es")[0].payload.clone();
    p.closure_mechanism = "dismissal_without_prejudice".into();
    let n = render(&p, crate::domain::Channel::Letter, &office());
    assert!(n.subject.contains("desestimación sin perjuicio"));
    assert!(flat(&all_text(&n)).contains("pedir al juez de inmigración la desestimación"));
}

/// The notices the golden file holds: every kind, to a respondent in English, Spanish and
/// Chinese (letters) and in Spanish (email), and to counsel, with every value and with none.
fn golden_cases() -> Vec<(String, NoticePayload, crate::domain::Channel)> {
    use crate::domain::{Channel, Recipient};
    let mut out = Vec::new();
    for kind in KINDS {
        for lang in ["en", "es", "zh"] {
            for p in planned(kind, lang) {
                let keep = matches!(
                    (p.recipient, p.channel, lang),
                    (Recipient::Respondent, Channel::Letter, _)
                        | (Recipient::Respondent, Channel::Email, "es")
                        | (Recipient::Counsel, _, "en")
                );
                if !keep {
                    continue;
                }
                for full in [true, false] {
                    let mut payload = p.payload.clone();
                    if !full {
                        payload.next_hearing = None;
                        payload.deadline = None;
                        payload.deadline_days = None;
                        payload.counsel_name = None;
                        payload.closure_mechanism = "termination".into();
                    }
                    let label = format!(
                        "{} {} {} {} {}",
                        kind.as_str(),
                        p.recipient.as_str(),
                        p.channel.as_str(),
                        lang,
                        if full { "full" } else { "sparse" }
                    );
                    out.push((label, payload, p.channel));
                }
            }
        }
    }
    out
}

fn golden_text() -> String {
    golden_cases()
        .into_iter()
        .map(|(label, p, channel)| {
            let n = Templates::shipped()
                .render(&p, channel, &office())
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            format!("===== {label}\n{}\n", super::check::all_text(&n))
        })
        .collect()
}

/// The rendered text of every golden case, as `tests/fixtures/notices.golden.txt` has it: written
/// when a test had proved that the template files render every notice exactly as the Rust
/// templates before them did, so a change of wording or of the markup's reading shows here.
#[test]
fn the_templates_render_the_same_notices_as_before() {
    let golden = include_str!("../../../tests/fixtures/notices.golden.txt");
    let now = golden_text();
    for (old, new) in golden.split("===== ").zip(now.split("===== ")) {
        assert_eq!(new, old);
    }
    assert_eq!(now.len(), golden.len());
}
