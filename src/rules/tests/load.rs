//! Loading rule-set files: the default file, and the errors a policy attorney may run into.

use super::*;
use crate::domain::{CaseType, Custody, Decision};
use crate::rules::{ClosureMechanism, RulesError, Status, content_hash};

/// Everything a file needs except rules. `threshold` sits above the first table on purpose.
const HEADER: &str = r#"name = "test"
version = "0.1.0"
status = "active"
title = "Test rules"
sources = ["a test"]
threshold = 2

[effective]
from = 2011-11-17

[scope]
case_types = ["RMV"]
custody = ["N", "R"]
exclude_final_order = true

[offer]
deadline_days = 30
reminder_days = 14
requires_attorney_approval = true
requires_background_check = true
closure_mechanism = "admin_closure"
"#;

const GATE: &str = "[[gates]]\nid = \"G_GANG\"\nreason = \"Gang.\"\nall = [\"gang\"]\n";

/// Loads `HEADER` + `rules` and returns the error, which must exist.
#[track_caller]
fn load_error(rules: &str) -> (RulesError, String) {
    let text = format!("{HEADER}{rules}");
    let err = RuleSet::from_toml(&text).expect_err("the file must be refused");
    (err, text)
}

/// The 1-based line of the first occurrence of `needle` in `text`.
#[track_caller]
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

#[test]
fn the_default_morton_2011_file_loads_with_its_settings() {
    let set = &*MORTON_SET;
    assert_eq!((set.name(), set.version()), ("morton-2011", "1.1.0"));
    assert_eq!(set.status(), Status::Superseded);
    assert_eq!(set.effective().from, day("2011-11-17"));
    assert_eq!(set.effective().to, Some(day("2015-01-04")));
    assert_eq!(set.superseded_by(), Some("johnson-2014"));
    assert!(set.effective().covers(day("2012-01-01")));
    assert!(!set.effective().covers(day("2011-11-16")));
    let scope = set.scope();
    let types = [
        CaseType::Removal,
        CaseType::Deportation,
        CaseType::Exclusion,
    ];
    assert_eq!(scope.case_types, types);
    assert_eq!(scope.custody, [Custody::NeverDetained, Custody::Released]);
    assert!(scope.exclude_final_order);
    assert_eq!(set.threshold(), 5);
    assert_eq!(set.params().get("multi_misd"), Some(&2));
    let offer = set.offer();
    assert_eq!((offer.deadline_days, offer.reminder_days), (30, 14));
    assert!(offer.requires_attorney_approval && offer.requires_background_check);
    assert_eq!(offer.closure_mechanism, ClosureMechanism::AdminClosure);
    let counts = [
        RuleKind::Gate,
        RuleKind::Relief,
        RuleKind::Qualifying,
        RuleKind::Points,
    ]
    .map(|k| set.rules(k).len());
    assert_eq!(counts, [10, 1, 7, 18]);
    assert_eq!(set.content_hash(), content_hash(MORTON));
}

#[test]
fn the_content_hash_is_the_lowercase_hex_sha256_of_the_text() {
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(content_hash(""), empty);
}

#[test]
fn an_unknown_fact_is_refused_with_its_key_path_line_and_a_suggestion() {
    let rules = "[[gates]]\nid = \"G_X\"\nreason = \"X.\"\nall = [\"felony_conviction >= 1\"]\n";
    let (err, text) = load_error(rules);
    assert_eq!(err.path, "gates[0].all[0]");
    assert_eq!(err.line, Some(line_of(&text, "all = [\"felony")));
    let expected = "unknown fact `felony_conviction` (did you mean `felony_convictions`?)";
    assert_eq!(err.message, expected);
}

#[test]
fn an_unknown_fact_in_a_later_rule_names_that_rule_and_condition() {
    let rules = format!(
        "{GATE}[[gates]]\nid = \"G_Y\"\nreason = \"Y.\"\nany = [\"gang\", \"shoe_size > 3\"]\n"
    );
    let (err, _) = load_error(&rules);
    assert_eq!(err.path, "gates[1].any[1]");
    assert!(err.message.starts_with("unknown fact `shoe_size`"), "{err}");
    assert!(
        err.to_string().starts_with("gates[1].any[1] (line "),
        "{err}"
    );
}

#[test]
fn nationality_cannot_be_used_as_a_fact() {
    let rules = "[[gates]]\nid = \"G_X\"\nreason = \"X.\"\nall = [\"nationality == 3\"]\n";
    let (err, _) = load_error(rules);
    assert!(err.message.contains("deliberately not a fact"), "{err}");
}

#[test]
fn an_unknown_parameter_is_refused() {
    let rules =
        "[[gates]]\nid = \"G_X\"\nreason = \"X.\"\nall = [\"convictions >= params.many\"]\n";
    let (err, _) = load_error(rules);
    assert_eq!(err.path, "gates[0].all[0]");
    assert_eq!(err.message, "unknown parameter `params.many`");
}

#[test]
fn a_parameter_no_rule_uses_is_refused() {
    let (err, text) = load_error(&format!("{GATE}[params]\nunused = 3\n"));
    assert_eq!(err.path, "params.unused");
    assert_eq!(err.line, Some(line_of(&text, "unused = 3")));
    assert_eq!(err.message, "is never used by any rule");
}

#[test]
fn a_parameter_is_resolved_into_the_condition() {
    let rules = "[params]\nmany = 3\n[[gates]]\nid = \"G_X\"\nreason = \"X.\"\nall = [\"convictions >= params.many\"]\n";
    let set = RuleSet::from_toml(&format!("{HEADER}{rules}")).expect("loads");
    let condition = set.rules(RuleKind::Gate)[0].all()[0];
    assert_eq!(condition.to_string(), "convictions >= 3");
}

#[test]
fn a_duplicate_id_is_refused_even_across_sections() {
    let rules =
        format!("{GATE}[[qualifying]]\nid = \"G_GANG\"\nreason = \"Again.\"\nall = [\"gang\"]\n");
    let (err, _) = load_error(&rules);
    assert_eq!(err.path, "qualifying[0].id");
    assert_eq!(
        err.message,
        "duplicate id `G_GANG` (first used at gates[0].id)"
    );
}

#[test]
fn a_single_equals_sign_is_refused_as_an_unknown_operator() {
    let rules = "[[gates]]\nid = \"G_X\"\nreason = \"X.\"\nall = [\"convictions = 2\"]\n";
    let (err, _) = load_error(rules);
    assert_eq!(
        err.message,
        "unknown operator `=`: use one of ==, !=, >=, <=, >, <"
    );
}

#[test]
fn comparing_facts_with_the_wrong_kind_of_value_is_refused() {
    let cases = [
        (
            "gang >= 1",
            "`gang` is a yes/no fact: compare it with true or false",
        ),
        (
            "gang > true",
            "`gang` is a yes/no fact: use == or !=, not >",
        ),
        (
            "convictions",
            "`convictions` is a number: compare it, e.g. `convictions >= 1`",
        ),
        (
            "convictions == true",
            "`convictions` is a number: compare it with a number, not true or false",
        ),
        (
            "age >= 6.5",
            "`6.5` is not a whole number, true, false or params.NAME",
        ),
    ];
    for (condition, message) in cases {
        let rules = format!("[[gates]]\nid = \"G_X\"\nreason = \"X.\"\nall = [\"{condition}\"]\n");
        assert_eq!(load_error(&rules).0.message, message, "{condition}");
    }
}

#[test]
fn a_missing_or_empty_reason_is_refused() {
    let (err, _) = load_error("[[gates]]\nid = \"G_X\"\nall = [\"gang\"]\n");
    assert_eq!(
        (err.path.as_str(), err.message.as_str()),
        ("gates[0].reason", "is required")
    );
    let (err, _) = load_error("[[gates]]\nid = \"G_X\"\nreason = \" \"\nall = [\"gang\"]\n");
    assert_eq!(
        (err.path.as_str(), err.message.as_str()),
        ("gates[0].reason", "must not be empty")
    );
}

#[test]
fn a_rule_without_any_condition_is_refused() {
    let (err, _) = load_error("[[relief]]\nid = \"R_X\"\nreason = \"X.\"\n");
    assert_eq!(err.path, "relief[0]");
    assert_eq!(
        err.message,
        "needs at least one condition in `all` or `any`"
    );
    let (err, _) = load_error("[[relief]]\nid = \"R_X\"\nreason = \"X.\"\nany = []\n");
    assert_eq!(err.path, "relief[0].any");
}

#[test]
fn a_threshold_that_is_not_a_whole_number_is_refused_with_its_line() {
    let text = HEADER.replace("threshold = 2", "threshold = 2.5");
    let err = RuleSet::from_toml(&text).expect_err("refused");
    assert_eq!(err.path, "threshold");
    assert_eq!(err.line, Some(6));
    assert!(err.message.contains("expected a whole number"), "{err}");
}

#[test]
fn an_end_date_before_the_start_date_is_refused() {
    let text = HEADER.replace(
        "from = 2011-11-17",
        "from = 2011-11-17\nto = \"2011-01-01\"",
    );
    let err = RuleSet::from_toml(&format!("{text}{GATE}")).expect_err("refused");
    assert_eq!(err.path, "effective.to");
    assert_eq!(err.message, "is before effective.from");
}

#[test]
fn dates_may_be_quoted_and_an_empty_end_date_means_still_in_force() {
    let text = HEADER.replace("from = 2011-11-17", "from = \"2011-11-17\"\nto = \"\"");
    let set = RuleSet::from_toml(&format!("{text}{GATE}")).expect("loads");
    assert_eq!(set.effective().from, day("2011-11-17"));
    assert_eq!(set.effective().to, None);
}

#[test]
fn an_unknown_status_is_refused() {
    let text = HEADER.replace("status = \"active\"", "status = \"paused\"");
    let err = RuleSet::from_toml(&format!("{text}{GATE}")).expect_err("refused");
    assert_eq!((err.path.as_str(), err.line), ("status", Some(3)));
    assert!(err.message.starts_with("unknown variant `paused`"), "{err}");
}

#[test]
fn an_unknown_key_is_refused() {
    let (err, _) = load_error("[[gates]]\nid = \"G_X\"\nreason = \"X.\"\nwhen = \"gang\"\n");
    assert_eq!(err.path, "gates[0].when");
    assert!(err.message.starts_with("unknown field `when`"), "{err}");
}

#[test]
fn a_toml_syntax_error_is_refused_with_its_line() {
    let (err, text) = load_error("[[gates]\nid = \"G_X\"\n");
    assert_eq!(err.line, Some(line_of(&text, "[[gates]")));
}

#[test]
fn a_rule_set_without_qualifying_categories_decides_on_the_score_alone() {
    let points =
        "[[points]]\nid = \"P_TIES\"\npoints = 2\nreason = \"Ties.\"\nall = [\"community_ties\"]\n";
    let set = RuleSet::from_toml(&format!("{HEADER}{GATE}{points}")).expect("loads");
    let ctx = EvalContext::new(day(REVIEW_DATE));
    let mut case = plain();

    let without_ties = set.evaluate(&case, &ctx);
    case.factors.community_ties = true;
    let with_ties = set.evaluate(&case, &ctx);

    assert_eq!(without_ties.decision, Decision::NotAmenable);
    assert_eq!(with_ties.decision, Decision::OfferRecommended);
    assert_eq!(
        threshold_reason(&with_ties),
        Some("Score 2 is at or above the threshold 2.")
    );
}
