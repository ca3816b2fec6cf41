//! The importer's decoder against the reference one: the same acceptance and the same canonical
//! JSON, byte for byte.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::*;
use crate::domain::Case;

fn backlog(n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    crate::generate::write_ndjson(&mut out, n, seed).expect("generates");
    out
}

/// The view's canonical JSON, or `None` when it refuses the record.
fn view_json(text: &[u8]) -> Option<Vec<u8>> {
    let view = CaseView::decode(text)?;
    let mut out = Vec::new();
    view.write_json(&mut out);
    Some(out)
}

/// Asserts that both decoders accept or refuse `text`, and write the same JSON when they accept.
fn same_as_reference(what: &str, text: &[u8]) -> bool {
    let reference = Case::from_json(text).ok().map(|c| c.to_json().into_bytes());
    assert_eq!(
        view_json(text).map(String::from_utf8),
        reference.clone().map(String::from_utf8),
        "{what}"
    );
    reference.is_some()
}

#[test]
fn generated_records_give_the_reference_json_byte_for_byte() {
    for seed in [7, 11] {
        let bytes = backlog(3000, seed);
        for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            assert!(same_as_reference("generated", line));
            assert_eq!(
                view_json(line).unwrap(),
                line,
                "generated lines are canonical"
            );
        }
    }
}

/// A generated record with convictions, a petition, counsel with an address and two emails.
static FULL: LazyLock<Value> = LazyLock::new(|| {
    let bytes = backlog(2000, 3);
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice::<Value>(l).unwrap())
        .find(|v| {
            let has = |p: &str| v.pointer(p).is_some_and(|x| !x.is_null());
            has("/convictions/0")
                && has("/counsel/address")
                && has("/factors/pending_petition")
                && has("/respondent/email")
        })
        .expect("one record has every part")
});

fn changed(path: &str, value: Value) -> String {
    let mut v = FULL.clone();
    *v.pointer_mut(path).unwrap_or_else(|| panic!("{path}")) = value;
    v.to_string()
}

fn without(path: &str, key: &str) -> String {
    let mut v = FULL.clone();
    v.pointer_mut(path)
        .and_then(Value::as_object_mut)
        .unwrap()
        .remove(key);
    v.to_string()
}

fn with(path: &str, key: &str, value: Value) -> String {
    let mut v = FULL.clone();
    v.pointer_mut(path)
        .and_then(Value::as_object_mut)
        .unwrap()
        .insert(key.into(), value);
    v.to_string()
}

#[test]
fn edited_records_are_accepted_refused_and_written_as_the_reference_does() {
    let base = FULL.to_string();
    let c = "/convictions/0";
    let texts: Vec<(&str, String)> = vec![
        ("as generated", base.clone()),
        (
            "spaced a-number",
            changed("/a_number", json!("a 123 456 78")),
        ),
        ("dashed a-number", changed("/a_number", json!("A-1234-567"))),
        ("ten digits", changed("/a_number", json!("A1234567890"))),
        ("six digits", changed("/a_number", json!("A123456"))),
        ("bad a-number", changed("/a_number", json!("B123"))),
        (
            "escaped name",
            changed("/respondent/family_name", json!("O\"Neil\u{e9}")),
        ),
        (
            "tab in city",
            changed("/respondent/address/city", json!("a\tb")),
        ),
        ("bad email", changed("/respondent/email", json!("a@b, c@d"))),
        ("no email", changed("/respondent/email", json!(null))),
        (
            "bad counsel email",
            changed("/counsel/email", json!("nobody")),
        ),
        (
            "no counsel address",
            changed("/counsel/address", json!(null)),
        ),
        ("blank name", changed("/respondent/given_name", json!("  "))),
        ("lower court", changed("/court", json!("den"))),
        ("bad state", changed("/counsel/address/state", json!("X"))),
        ("bad eoir id", changed("/counsel/eoir_id", json!("a"))),
        ("empty offense", changed(&format!("{c}/offense"), json!(""))),
        ("bad level", changed(&format!("{c}/level"), json!("petty"))),
        ("bad date", changed("/filed_on", json!("2011-02-30"))),
        (
            "entry before birth",
            changed("/entry_date", json!("1901-01-01")),
        ),
        (
            "lpr before birth",
            changed("/factors/lpr_since", json!("1901-01-01")),
        ),
        (
            "convicted before birth",
            changed(&format!("{c}/convicted_on"), json!("1901-01-01")),
        ),
        (
            "relatives overflow",
            changed("/factors/usc_or_lpr_relatives", json!(70000)),
        ),
        (
            "relatives as float",
            changed("/factors/usc_or_lpr_relatives", json!(1.0)),
        ),
        ("number for an id", changed("/case_id", json!(17))),
        (
            "bad petition status",
            changed("/factors/pending_petition/status", json!("x")),
        ),
        ("no case id", without("", "case_id")),
        ("no next hearing", without("", "next_hearing")),
        ("no counsel", without("", "counsel")),
        ("no confidential", without("", "confidential")),
        ("no counsel email", without("/counsel", "email")),
        ("unknown field", with("", "extra", json!(1))),
        (
            "unknown address field",
            with("/respondent/address", "x", json!("a")),
        ),
        (
            "unknown petition field",
            with("/factors/pending_petition", "x", json!(0)),
        ),
        ("unknown counsel field", with("/counsel", "x", json!(0))),
        ("unknown flags field", with("/flags", "x", json!(false))),
    ];
    let mut more: Vec<(&str, String)> = vec![
        (
            "escaped id",
            base.replacen("\"case_id\":\"", "\"case_id\":\"\\u0041", 1),
        ),
        (
            "escaped slash",
            base.replacen("\"city\":\"", "\"city\":\"a\\/b", 1),
        ),
        (
            "duplicate key",
            base.replacen('{', "{\"final_order\":false,", 1),
        ),
        ("trailing text", format!("{base} x")),
        (
            "lone surrogate",
            base.replacen("\"city\":\"", "\"city\":\"\\ud800", 1),
        ),
        ("not an object", "[1, 2]".into()),
        (
            "spaces between tokens",
            base.replace("\":", "\" : ").replace(",\"", " , \""),
        ),
        (
            "relatives as -0",
            base.replacen("\"usc_or_lpr_relatives\":", "\"usc_or_lpr_relatives\":-", 1),
        ),
    ];
    let pretty = serde_json::to_string_pretty(&*FULL).unwrap();
    more.push(("pretty", pretty.replace('\n', " ")));
    let mut keys: Vec<(String, Value)> = FULL.as_object().unwrap().clone().into_iter().collect();
    keys.reverse();
    let reversed: String = keys
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
        .collect::<Vec<_>>()
        .join(",");
    more.push(("keys reversed", format!("{{{reversed}}}")));
    let (mut accepted, mut refused) = (0, 0);
    for (what, text) in texts.iter().chain(&more) {
        if same_as_reference(what, text.as_bytes()) {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    let mut bytes = base.clone().into_bytes();
    let city = base.find("\"city\":\"").unwrap() + "\"city\":\"".len();
    bytes.insert(city, 0xff);
    assert!(!same_as_reference("invalid UTF-8 in a string", &bytes));
    assert!(
        accepted >= 12 && refused >= 25,
        "{accepted} accepted, {refused} refused"
    );
}
