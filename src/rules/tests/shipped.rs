//! Table tests of every shipped rule set: its `[[examples]]` pass, and the three files' effective
//! dates do not overlap.

use crate::rules::{EvalContext, RuleSet, overlaps};

const SHIPPED: [(&str, &str); 3] = [
    (
        "morton-2011",
        include_str!("../../../config/rules/morton-2011.toml"),
    ),
    (
        "johnson-2014",
        include_str!("../../../config/rules/johnson-2014.toml"),
    ),
    (
        "mayorkas-2021",
        include_str!("../../../config/rules/mayorkas-2021.toml"),
    ),
];

fn load(name: &str, text: &str) -> RuleSet {
    RuleSet::check(text).unwrap_or_else(|errors| panic!("{name}: {errors:?}"))
}

#[test]
fn every_shipped_rule_set_checks_clean_and_passes_its_examples() {
    for (name, text) in SHIPPED {
        let set = load(name, text);
        assert_eq!(set.name(), name);
        let results = set.run_examples();
        assert!(results.len() >= 7, "{name} carries its table tests");
        for r in &results {
            assert!(
                r.passed(),
                "{name} line {}: {}: {:?}",
                r.line,
                r.name,
                r.diff
            );
        }
    }
}

#[test]
fn the_shipped_rule_sets_follow_one_another_without_overlap() {
    let sets: Vec<RuleSet> = SHIPPED.iter().map(|(n, t)| load(n, t)).collect();
    let refs: Vec<&RuleSet> = sets.iter().collect();
    assert_eq!(overlaps(&refs), []);
    assert_eq!(sets[0].superseded_by(), Some("johnson-2014"));
    assert!(sets[0].effective().to < Some(sets[1].effective().from));
}

#[test]
fn a_suspension_outside_the_dates_or_without_a_reason_is_refused() {
    let text = SHIPPED[2].1;
    let outside = text.replacen("from = 2022-06-10", "from = 2021-01-10", 1);
    let errors = RuleSet::check(&outside).expect_err("before from");
    assert!(
        errors.iter().any(|e| e.path == "effective.suspended[0]"
            && e.message.starts_with("must lie inside the effective dates")
            && e.line.is_some()),
        "{errors:?}"
    );
    let backwards = text.replacen("to = 2023-06-22", "to = 2022-01-01", 1);
    let errors = RuleSet::check(&backwards).expect_err("to before from");
    assert!(
        errors.iter().any(|e| e.path == "effective.suspended[0].to"),
        "{errors:?}"
    );
    let no_reason = text.replacen("reason = \"vacated by", "reason = \" \"\n# \"", 1);
    let errors = RuleSet::check(&no_reason).expect_err("an empty reason");
    assert!(
        errors
            .iter()
            .any(|e| e.path == "effective.suspended[0].reason"),
        "{errors:?}"
    );
}

#[test]
fn every_named_successor_is_a_shipped_rule_set() {
    let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
    for (name, text) in SHIPPED {
        if let Some(next) = load(name, text).superseded_by() {
            assert!(
                names.contains(&next),
                "{name} names {next}, which is not shipped"
            );
        }
    }
}

#[test]
fn no_shipped_rule_set_calls_itself_active_after_its_end_date() {
    let far = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    for (name, text) in SHIPPED {
        assert_eq!(
            crate::rules::stale_status(&load(name, text), far),
            None,
            "{name}"
        );
    }
}

#[test]
fn an_ended_policy_still_called_active_is_a_mistake_naming_its_end_date() {
    let text = SHIPPED[0]
        .1
        .replacen("status = \"superseded\"", "status = \"active\"", 1);
    let set = load("morton-2011", &text);
    let day = |d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let err = crate::rules::stale_status(&set, day("2015-01-05")).expect("a mistake");
    assert_eq!(err.path, "status");
    assert!(
        err.message.contains("ended on 2015-01-04"),
        "{}",
        err.message
    );
    assert_eq!(crate::rules::stale_status(&set, day("2015-01-04")), None);
    assert_eq!(set.effective().to_string(), "2011-11-17 to 2015-01-04");
    let open = load("mayorkas-2021", SHIPPED[2].1);
    assert_eq!(
        open.effective().to_string(),
        "from 2021-11-29, no end, not 2022-06-10 to 2023-06-22"
    );
    let day = |d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    assert!(open.effective().covers(day("2022-06-09")));
    assert!(!open.effective().covers(day("2022-06-10")));
    assert!(!open.effective().covers(day("2023-06-22")));
    assert!(open.effective().covers(day("2023-06-23")));
}

#[test]
fn decide_gives_what_evaluate_gives_on_every_example_of_every_shipped_rule_set() {
    let sets: Vec<RuleSet> = SHIPPED.iter().map(|(n, t)| load(n, t)).collect();
    let mut seen = std::collections::BTreeSet::new();
    // Each set's examples under every set, so gates, overrides, relief, categories and scores of
    // one memo meet the rules of the others too.
    for set in &sets {
        for example in sets.iter().flat_map(|s| s.examples()) {
            let ctx = EvalContext::new(example.as_of);
            let full = set.evaluate(&example.case, &ctx);
            assert_eq!(
                set.decide(&example.case, &ctx),
                (full.decision, full.score),
                "{} on {}",
                set.name(),
                example.name
            );
            seen.insert(full.decision);
        }
    }
    assert!(
        seen.len() >= 5,
        "the examples reach most decisions: {seen:?}"
    );
}
