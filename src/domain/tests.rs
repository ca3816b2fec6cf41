//! Unit tests of strict case and message decoding.

use super::*;

const EXAMPLE: &str = include_str!("../../tests/fixtures/case.json");

fn example_with(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn the_contract_example_parses_and_round_trips() {
    let case = Case::from_json(EXAMPLE.as_bytes()).unwrap();
    assert_eq!(case.case_id.as_str(), "DEN-2011-000123");
    assert_eq!(case.custody, Custody::NeverDetained);
    let again = Case::from_json(case.to_json().as_bytes()).unwrap();
    assert_eq!(case, again);
}

#[test]
fn an_unknown_field_is_rejected_by_name() {
    let body = example_with(|v| v["respondent"]["nickname"] = "x".into());
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(err.field, "respondent.nickname");
    assert_eq!(err.reason, "unknown field");
}

#[test]
fn an_unknown_key_that_is_not_a_field_name_is_never_echoed() {
    for key in [
        "A012345678",
        "Maria Lopez",
        "maria@example.org",
        "x".repeat(33).as_str(),
    ] {
        let body = example_with(|v| v["respondent"][key] = 1.into());
        let err = Case::from_json(&body).unwrap_err();
        assert_eq!(err.field, "respondent", "{key}");
        assert_eq!(err.reason, "has an unknown field");
        assert!(!err.to_string().contains(key), "{err}");
    }
    let body = example_with(|v| v["A012345678"] = 1.into());
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.reason.as_str()),
        (".", "has an unknown field")
    );
    let msg = br#"{"schema":"docket.review/v1","run_id":"r","A012345678":1}"#;
    let err = decode_message(msg).unwrap_err();
    assert!(!err.to_string().contains("A012345678"), "{err}");
}

#[test]
fn a_missing_field_is_named() {
    let body = example_with(|v| {
        v.as_object_mut().unwrap().remove("court");
    });
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(err.field, "court");
    assert_eq!(err.reason, "is required");
}

#[test]
fn a_bad_a_number_names_the_field_but_not_the_value() {
    let body = example_with(|v| v["a_number"] = "B99887766".into());
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(err.field, "a_number");
    assert!(!err.to_string().contains("99887766"), "{err}");
}

#[test]
fn a_wrongly_typed_name_does_not_echo_the_name() {
    let body = example_with(|v| v["factors"]["usc_or_lpr_relatives"] = "Maria Lopez".into());
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(err.field, "factors.usc_or_lpr_relatives");
    assert!(!err.to_string().contains("Maria"), "{err}");
    assert!(err.reason.contains("expected"), "{err}");
}

#[test]
fn an_unknown_enum_value_does_not_echo_the_value() {
    let body = example_with(|v| v["case_type"] = "SECRET123".into());
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(err.field, "case_type");
    assert!(!err.to_string().contains("SECRET123"), "{err}");
}

#[test]
fn a_bad_date_is_named_with_its_path() {
    let body = example_with(|v| v["convictions"][0]["convicted_on"] = "2005-13-01".into());
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(err.field, "convictions[0].convicted_on");
}

#[test]
fn an_entry_before_birth_is_inconsistent() {
    let body = example_with(|v| v["entry_date"] = "1970-01-01".into());
    let err = Case::from_json(&body).unwrap_err();
    assert_eq!(err.field, "entry_date");
}

#[test]
fn invalid_json_is_refused_without_content() {
    let err = Case::from_json(b"{\"case_id\": \"Maria").unwrap_err();
    assert!(!err.to_string().contains("Maria"), "{err}");
}

#[test]
fn a_single_message_decodes() {
    let body = format!(
        r#"{{"schema":"docket.review/v1","job_id":"6f1c1b1e-1d2a-4a4e-9a57-0c3c6b0c9d11","run_id":"r1","case":{EXAMPLE}}}"#
    );
    let msg = decode_message(body.as_bytes()).unwrap();
    assert_eq!(msg.run_id, "r1");
    assert!(!msg.batch);
    assert!(msg.jobs[0].case.is_ok());
}

#[test]
fn a_bad_job_in_a_batch_is_judged_alone() {
    let bad = EXAMPLE.replace("\"RMV\"", "\"QQQ\"");
    let body = format!(
        r#"{{"schema":"docket.review.batch/v1","run_id":"r1","jobs":[
            {{"job_id":"6f1c1b1e-1d2a-4a4e-9a57-0c3c6b0c9d11","case":{EXAMPLE}}},
            {{"job_id":"6f1c1b1e-1d2a-4a4e-9a57-0c3c6b0c9d12","case":{bad}}},
            {{"job_id":"not-a-uuid","case":{EXAMPLE}}}]}}"#
    );
    let msg = decode_message(body.as_bytes()).unwrap();
    assert!(msg.batch);
    assert!(msg.jobs[0].case.is_ok());
    assert_eq!(
        msg.jobs[1].case.as_ref().unwrap_err().field,
        "case.case_type"
    );
    assert_eq!(
        msg.jobs[2].case.as_ref().unwrap_err().field,
        "jobs[2].job_id"
    );
}

#[test]
fn a_wrong_schema_refuses_the_message() {
    let body = format!(
        r#"{{"schema":"docket.review/v9","job_id":"6f1c1b1e-1d2a-4a4e-9a57-0c3c6b0c9d11","run_id":"r1","case":{EXAMPLE}}}"#
    );
    assert_eq!(decode_message(body.as_bytes()).unwrap_err().field, "schema");
}

fn notice_ctx() -> NoticeContext {
    NoticeContext {
        kind: NoticeKind::Offer,
        deadline: chrono::NaiveDate::from_ymd_opt(2012, 1, 1),
        deadline_days: Some(30),
        closure_mechanism: "admin_closure".into(),
        issued_on: chrono::NaiveDate::from_ymd_opt(2011, 12, 2).unwrap(),
    }
}

#[test]
fn a_represented_respondent_gets_a_letter_and_counsel_an_email_in_english() {
    let case = Case::from_json(EXAMPLE.as_bytes()).unwrap();
    let notices = plan_notices(&case, &notice_ctx());
    let kinds: Vec<(Recipient, Channel, &str)> = notices
        .iter()
        .map(|n| (n.recipient, n.channel, n.payload.language.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Recipient::Respondent, Channel::Letter, "es"),
            (Recipient::Counsel, Channel::Email, "en"),
        ]
    );
    assert_eq!(
        idempotency_key(7, "DEN-1", 42, &notices[1]),
        "7/DEN-1/42/counsel/email"
    );
}

#[test]
fn notice_payloads_never_carry_the_confidential_flags() {
    let body = example_with(|v| {
        v["confidential"]["asylum_claim"] = true.into();
        v["confidential"]["vawa_t_u"] = true.into();
        v["respondent"]["email"] = "m@example.org".into();
    });
    let case = Case::from_json(&body).unwrap();
    for n in plan_notices(&case, &notice_ctx()) {
        let json = serde_json::to_string(&n.payload).unwrap();
        assert!(!json.contains("asylum") && !json.contains("vawa"), "{json}");
    }
}

#[test]
fn an_email_is_one_plain_address_and_the_field_is_named() {
    let bad = [
        ("a@b.example, evil@x.example", "one address"),
        ("Evil <evil@x.example>", "one address"),
        ("a@b.example;c@d.example", "one address"),
        ("no-at-sign.example", "not a valid email"),
        ("a@", "not a valid email"),
    ];
    for (email, why) in bad {
        let body = example_with(|v| v["counsel"]["email"] = email.into());
        let err = Case::from_json(&body).unwrap_err();
        assert_eq!(err.field, "counsel.email", "{email}");
        assert!(err.reason.contains(why), "{email}: {err}");
        assert!(!err.to_string().contains(email), "{err}");
        let body = example_with(|v| v["respondent"]["email"] = email.into());
        assert_eq!(
            Case::from_json(&body).unwrap_err().field,
            "respondent.email"
        );
    }
    let body = example_with(|v| v["respondent"]["email"] = "maria.lopez+pd@mail.example".into());
    assert!(Case::from_json(&body).is_ok());
}
