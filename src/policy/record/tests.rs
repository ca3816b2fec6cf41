//! The simulator's decoder against the reference one: the same decisions, groups and acceptance.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::*;
use crate::domain::Case;
use crate::rules::{EvalContext, RuleSet};

const SHIPPED: [&str; 3] = [
    include_str!("../../../config/rules/morton-2011.toml"),
    include_str!("../../../config/rules/johnson-2014.toml"),
    include_str!("../../../config/rules/mayorkas-2021.toml"),
];

fn backlog(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    crate::generate::write_ndjson(&mut out, n, 11).expect("generates");
    out
}

#[test]
fn decisions_scores_and_groups_are_those_of_the_reference_path() {
    let bytes = backlog(3000);
    let sets: Vec<RuleSet> = SHIPPED
        .iter()
        .map(|t| RuleSet::from_toml(t).unwrap())
        .collect();
    let mut offers = 0;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let case = Case::from_json(line).expect("a generated case");
        let record = CaseRecord::decode(line).expect("decodes as the reference does");
        assert_eq!(record.case_id(), case.case_id.as_str());
        for dim in Dimension::ALL {
            assert_eq!(record.group(dim), dim.of(&case), "{dim:?}");
        }
        for set in &sets {
            for ctx in [
                EvalContext::new(set.effective().from),
                EvalContext::new(set.effective().from).with_courts(["DEN", "NYC"]),
            ] {
                let full = set.evaluate(&case, &ctx);
                assert_eq!(set.decide(&record, &ctx), (full.decision, full.score));
                offers += u32::from(full.decision == crate::domain::Decision::OfferRecommended);
            }
        }
    }
    assert!(offers > 100, "{offers} offers");
}

/// A generated record with convictions, a petition and counsel, so that every part can be changed.
static FULL: LazyLock<Value> = LazyLock::new(|| {
    let bytes = backlog(400);
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .find(|v| {
            let has = |p: &str| v.pointer(p).is_some_and(|x| !x.is_null());
            has("/convictions/0") && has("/counsel") && has("/factors/pending_petition")
        })
        .expect("one record has every part")
});

/// That record, changed by `change`, as JSON text.
fn changed(change: impl FnOnce(&mut Value)) -> String {
    let mut v = FULL.clone();
    change(&mut v);
    v.to_string()
}

fn set(path: impl Into<String>, value: Value) -> impl FnOnce(&mut Value) {
    let path = path.into();
    move |v| *v.pointer_mut(&path).unwrap_or_else(|| panic!("{path}")) = value
}

fn add(path: &'static str, key: &'static str, value: Value) -> impl FnOnce(&mut Value) {
    move |v| {
        let o = v.pointer_mut(path).and_then(Value::as_object_mut);
        o.unwrap_or_else(|| panic!("{path}"))
            .insert(key.into(), value);
    }
}

fn remove(path: &'static str, key: &'static str) -> impl FnOnce(&mut Value) {
    move |v| {
        v.pointer_mut(path)
            .and_then(Value::as_object_mut)
            .unwrap()
            .remove(key);
    }
}

#[test]
fn it_accepts_and_refuses_exactly_what_the_case_decoder_does() {
    let c = "/convictions/0";
    let texts: Vec<(&str, String)> = vec![
        ("as generated", changed(|_| {})),
        ("unknown field", changed(add("", "extra", json!(1)))),
        (
            "unknown respondent field",
            changed(add("/respondent", "x", json!(1))),
        ),
        (
            "unknown address field",
            changed(add("/respondent/address", "x", json!("a"))),
        ),
        (
            "unknown conviction field",
            changed(add(c, "x", json!(true))),
        ),
        (
            "unknown factors field",
            changed(add("/factors", "x", json!(0))),
        ),
        (
            "unknown petition field",
            changed(add("/factors/pending_petition", "x", json!(0))),
        ),
        (
            "unknown counsel field",
            changed(add("/counsel", "x", json!(0))),
        ),
        (
            "unknown flags field",
            changed(add("/flags", "x", json!(false))),
        ),
        ("bad a-number", changed(set("/a_number", json!("B123")))),
        ("short a-number", changed(set("/a_number", json!("A12-34")))),
        (
            "spaced a-number",
            changed(set("/a_number", json!("a 123 456 78"))),
        ),
        (
            "bad email",
            changed(set("/respondent/email", json!("a@b, c@d"))),
        ),
        ("no email", changed(set("/respondent/email", json!(null)))),
        (
            "bad counsel email",
            changed(set("/counsel/email", json!("nobody"))),
        ),
        (
            "blank name",
            changed(set("/respondent/given_name", json!("  "))),
        ),
        (
            "control in city",
            changed(set("/respondent/address/city", json!("a\u{7}b"))),
        ),
        (
            "escaped name",
            changed(set("/respondent/family_name", json!("O\"Neil\u{e9}"))),
        ),
        ("lower court", changed(set("/court", json!("den")))),
        (
            "bad state",
            changed(set("/respondent/address/state", json!("X"))),
        ),
        (
            "bad language",
            changed(set("/respondent/language", json!("EN"))),
        ),
        ("bad eoir id", changed(set("/counsel/eoir_id", json!("a")))),
        (
            "empty offense",
            changed(set(format!("{c}/offense"), json!(""))),
        ),
        (
            "bad level",
            changed(set(format!("{c}/level"), json!("petty"))),
        ),
        ("bad date", changed(set("/filed_on", json!("2011-02-30")))),
        (
            "entry before birth",
            changed(set("/entry_date", json!("1901-01-01"))),
        ),
        (
            "filed before birth",
            changed(set("/filed_on", json!("1901-01-01"))),
        ),
        (
            "lpr before birth",
            changed(set("/factors/lpr_since", json!("1901-01-01"))),
        ),
        (
            "convicted before birth",
            changed(set(format!("{c}/convicted_on"), json!("1901-01-01"))),
        ),
        (
            "relatives overflow",
            changed(set("/factors/usc_or_lpr_relatives", json!(70000))),
        ),
        ("number for an id", changed(set("/case_id", json!(17)))),
        ("no case id", changed(remove("", "case_id"))),
        ("no next hearing", changed(remove("", "next_hearing"))),
        ("no counsel", changed(remove("", "counsel"))),
        ("bad custody", changed(set("/custody", json!("X")))),
        ("no confidential", changed(remove("", "confidential"))),
    ];
    let mut more: Vec<(&str, String)> = Vec::new();
    let base = texts[0].1.clone();
    more.push((
        "escaped id",
        base.replacen("\"case_id\":\"", "\"case_id\":\"\\u0041", 1),
    ));
    more.push((
        "duplicate key",
        base.replacen("{", "{\"final_order\":false,", 1),
    ));
    more.push(("trailing text", format!("{base} x")));
    more.push((
        "lone surrogate",
        base.replacen("\"city\":\"", "\"city\":\"\\ud800", 1),
    ));
    more.push(("not an object", "[1, 2]".into()));
    let (mut accepted, mut refused) = (0, 0);
    for (what, text) in texts.iter().chain(&more) {
        let reference = Case::from_json(text.as_bytes()).is_ok();
        assert_eq!(
            CaseRecord::decode(text.as_bytes()).is_some(),
            reference,
            "{what}"
        );
        if reference {
            accepted += 1
        } else {
            refused += 1
        }
    }
    assert!(
        accepted >= 6 && refused >= 25,
        "{accepted} accepted, {refused} refused"
    );
}

/// What a decoded record holds, to compare the two paths.
fn view(r: &CaseRecord<'_>) -> impl PartialEq + std::fmt::Debug {
    (
        (
            r.case_id().to_string(),
            Dimension::ALL.map(|d| r.group(d).to_string()),
        ),
        (
            r.case_type,
            r.custody,
            r.filed_on,
            r.entry_date,
            r.next_hearing,
        ),
        (
            r.final_order,
            r.birth_date(),
            r.flags,
            r.factors(),
            r.confidential,
        ),
        r.convictions().collect::<Vec<_>>(),
    )
}

#[test]
fn records_as_docket_writes_them_take_the_canonical_path_with_the_general_paths_values() {
    let bytes = backlog(3000);
    let (mut convicted, mut counselled) = (0, 0);
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let text = std::str::from_utf8(line).unwrap();
        let fast = canonical::decode(text).expect("a generated record is canonical");
        let general = CaseRecord::general(text).expect("and valid");
        assert_eq!(view(&fast), view(&general), "{}", fast.case_id());
        convicted += usize::from(!fast.convictions.is_empty());
        counselled += usize::from(fast.counsel.is_some());
    }
    assert!(
        convicted > 100 && counselled > 100,
        "{convicted} {counselled}"
    );
    // The record of the acceptance test above, with every part, written as the importer stores it.
    let full = Case::from_json(changed(|_| {}).as_bytes())
        .unwrap()
        .to_json();
    assert!(canonical::decode(&full).is_some());
}

#[test]
fn the_canonical_path_gives_up_or_agrees_with_the_general_path_on_every_one_byte_change() {
    let full = Case::from_json(changed(|_| {}).as_bytes())
        .unwrap()
        .to_json();
    let bytes = full.as_bytes();
    let (mut agreed, mut gave_up) = (0, 0);
    for at in 0..=bytes.len() {
        for b in *b"\"\\0179xAz -:,{}[]ntf\x07" {
            let deleted = (at < bytes.len()).then(|| [&bytes[..at], &bytes[at + 1..]].concat());
            let replaced =
                (at < bytes.len()).then(|| [&bytes[..at], &[b][..], &bytes[at + 1..]].concat());
            let inserted = [&bytes[..at], &[b][..], &bytes[at..]].concat();
            for changed in [deleted, replaced, Some(inserted)].into_iter().flatten() {
                let Ok(text) = std::str::from_utf8(&changed) else {
                    continue;
                };
                let general = CaseRecord::general(text);
                match canonical::decode(text) {
                    Some(fast) => {
                        let general = general.expect("what the fast path takes, the general takes");
                        assert_eq!(view(&fast), view(&general), "{text}");
                        agreed += 1;
                    }
                    None => gave_up += usize::from(general.is_some()),
                }
                assert_eq!(
                    CaseRecord::decode(text.as_bytes()).is_some(),
                    Case::from_json(text.as_bytes()).is_ok(),
                    "{text}"
                );
            }
        }
    }
    // Changed letters and digits in values are taken; a space between tokens is left to serde_json.
    assert!(
        agreed > 1000 && gave_up > 100,
        "{agreed} agreed, {gave_up} left"
    );
}
