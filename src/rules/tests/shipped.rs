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
