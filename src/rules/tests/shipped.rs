//! Table tests of every shipped rule set: its `[[examples]]` pass, and the three files' effective
//! dates do not overlap.

use crate::rules::{RuleSet, overlaps};

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
    assert_eq!(open.effective().to_string(), "from 2021-11-29, no end");
}
