//! `RuleSet::check`: every mistake of a broken file, each with its line; sums, dates and overlaps.

use super::*;
use crate::domain::Decision;
use crate::rules::{RulesError, overlaps};

/// A small valid file: one gate, one qualifying rule, two points rules.
const SMALL: &str = r#"name = "small"
version = "1.0.0"
status = "active"
title = "Small"
sources = ["a test"]
threshold = 2

[effective]
from = 2011-11-17
to = 2014-12-31

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

[[gates]]
id = "G_RECENT"
reason = "Entered on or after 2010-01-01."
all = ["entry_date >= 2010-01-01"]

[[qualifying]]
id = "Q_HEALTH"
reason = "Health."
all = ["serious_health_condition"]

[[points]]
id = "P_HEALTH"
points = 3
reason = "Health."
all = ["serious_health_condition"]

[[points]]
id = "P_MANY_MISD"
points = -2
reason = "Two or more misdemeanors other than traffic."
all = ["misdemeanor_convictions - misdemeanors_traffic >= 2"]
"#;

#[track_caller]
fn errors(text: &str) -> Vec<RulesError> {
    RuleSet::check(text).expect_err("the file must be refused")
}

#[track_caller]
fn line(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

#[test]
fn a_file_with_four_mistakes_reports_all_four_in_file_order_with_lines() {
    let text = SMALL
        .replace(
            "all = [\"serious_health_condition\"]\n\n[[points]]",
            "all = [\"serius_health_condition\"]\n\n[[points]]",
        )
        .replace("points = 3", "points = 3\ncolour = \"red\"")
        .replace(">= 2\"]", ">>= 2\"]")
        .replace("title = \"Small\"", "title = \"\"");
    let errs = errors(&text);
    let got: Vec<(&str, usize)> = errs
        .iter()
        .map(|e| (e.path.as_str(), e.line.expect("a line")))
        .collect();
    assert_eq!(
        got,
        [
            ("title", line(&text, "title")),
            (
                "qualifying[0].all[0]",
                line(&text, "serius_health_condition")
            ),
            ("points[0].colour", line(&text, "colour")),
            ("points[1].all[0]", line(&text, ">>= 2")),
        ]
    );
    assert_eq!(
        errs[1].message,
        "unknown fact `serius_health_condition` (did you mean `serious_health_condition`?)"
    );
    assert!(
        errs[2].message.starts_with("unknown field `colour`"),
        "{}",
        errs[2]
    );
    assert!(
        errs[3].message.starts_with("unknown operator `>>=`"),
        "{}",
        errs[3]
    );
}

#[test]
fn a_threshold_no_case_can_reach_is_refused_with_its_line() {
    let text = SMALL.replace("threshold = 2", "threshold = 9");
    let errs = errors(&text);
    assert_eq!(errs.len(), 1);
    assert_eq!(
        (errs[0].path.as_str(), errs[0].line),
        ("threshold", Some(6))
    );
    assert!(errs[0].message.contains("at most 3"), "{}", errs[0]);
}

#[test]
fn a_date_fact_compares_with_dates_only() {
    let text = SMALL.replace("entry_date >= 2010-01-01", "entry_date >= 10");
    let errs = errors(&text);
    assert_eq!(errs[0].path, "gates[0].all[0]");
    assert!(errs[0].message.contains("is a date"), "{}", errs[0]);
    let text = SMALL.replace("2010-01-01\"]", "2010-02-30\"]");
    assert!(
        errors(&text)[0]
            .message
            .contains("not a real calendar date")
    );
}

#[test]
fn a_sum_may_only_add_up_numbers() {
    let text = SMALL.replace(
        "misdemeanor_convictions - misdemeanors_traffic",
        "convictions + gang",
    );
    let errs = errors(&text);
    assert_eq!(
        errs[0].message,
        "`gang` is not a number and cannot be added up"
    );
}

#[test]
fn date_cutoffs_and_sums_decide_as_written() {
    let set = RuleSet::from_toml(SMALL).expect("loads");
    let ctx = EvalContext::new(day("2012-06-01"));
    let mut case = plain();
    case.entry_date = Some(date("2010-01-01"));
    assert_eq!(
        set.evaluate(&case, &ctx).decision,
        Decision::EnforcementPriority
    );
    case.entry_date = Some(date("2009-12-31"));
    case.factors.serious_health_condition = true;
    let traffic = conviction(
        OffenseLevel::Misdemeanor,
        OffenseCategory::Traffic,
        "2008-01-01",
    );
    let theft = conviction(
        OffenseLevel::Misdemeanor,
        OffenseCategory::Theft,
        "2008-01-01",
    );
    case.convictions = vec![traffic.clone(), traffic, theft.clone()];
    let e = set.evaluate(&case, &ctx);
    assert_eq!((e.decision, e.score), (Decision::OfferRecommended, 3));
    case.convictions.push(theft);
    let e = set.evaluate(&case, &ctx);
    assert_eq!((e.decision, e.score), (Decision::NotAmenable, 1));
    let sum = set.rules(RuleKind::Points)[1].all()[0];
    assert_eq!(
        sum.to_string(),
        "misdemeanor_convictions - misdemeanors_traffic >= 2"
    );
}

#[test]
fn an_example_that_fails_gives_a_diff_of_decision_rules_and_score() {
    let example = "\n[[examples]]\nname = \"health\"\ncase = { factors = { serious_health_condition = true } }\ndecision = \"not_amenable\"\nfired = [\"Q_HEALTH\", \"G_RECENT\"]\nscore = 4\n";
    let set = RuleSet::from_toml(&format!("{SMALL}{example}")).expect("loads");
    let results = set.run_examples();
    assert_eq!(results.len(), 1);
    assert!(!results[0].passed());
    assert_eq!(
        results[0].line,
        line(&format!("{SMALL}{example}"), "name = \"health\"")
    );
    assert_eq!(
        results[0].diff,
        [
            "decision: expected not_amenable, got offer_recommended",
            "- G_RECENT",
            "+ P_HEALTH",
            "score: expected 4, got 3",
        ]
    );
}

#[test]
fn an_example_naming_an_unknown_rule_or_an_invalid_case_is_refused() {
    let example = "\n[[examples]]\nname = \"x\"\ncase = { custody = \"X\" }\ndecision = \"maybe\"\nfired = [\"P_NOPE\"]\n";
    let text = format!("{SMALL}{example}");
    let paths: Vec<String> = errors(&text).into_iter().map(|e| e.path).collect();
    assert_eq!(
        paths,
        [
            "examples[0].case.custody",
            "examples[0].decision",
            "examples[0].fired[0]"
        ]
    );
}

#[test]
fn overlapping_effective_dates_are_reported_on_the_later_file() {
    let a = RuleSet::from_toml(SMALL).expect("loads");
    let b_text = SMALL
        .replace("name = \"small\"", "name = \"later\"")
        .replace("from = 2011-11-17\nto = 2014-12-31", "from = 2014-06-01");
    let b = RuleSet::from_toml(&b_text).expect("loads");
    let found = overlaps(&[&b, &a]);
    assert_eq!(found.len(), 1);
    let (at, err) = &found[0];
    assert_eq!(*at, 0);
    assert_eq!(
        (err.path.as_str(), err.line),
        ("effective", Some(line(&b_text, "[effective]")))
    );
    assert!(
        err.message.contains("from 2014-06-01 to 2014-12-31"),
        "{err}"
    );
    let c_text = b_text.replace("from = 2014-06-01", "from = 2015-01-01");
    let c = RuleSet::from_toml(&c_text).expect("loads");
    assert!(overlaps(&[&a, &c]).is_empty());
}
