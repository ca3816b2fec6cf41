//! Verdicts as outcomes store them (decision, score, rule ids), put back in words: word for word
//! the evaluations made before outcomes kept only rule ids, and refused when they do not fit the
//! rule set.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::domain::{Case, Decision, Evaluation};
use crate::rules::{EvalContext, RuleSet};

const SHIPPED: [&str; 3] = [
    include_str!("../../../config/rules/morton-2011.toml"),
    include_str!("../../../config/rules/johnson-2014.toml"),
    include_str!("../../../config/rules/mayorkas-2021.toml"),
];

/// sha256 of the JSON of every evaluation that [`digest`] makes, as `RuleSet::evaluate` gave them
/// before outcomes stored rule ids (commit 46f40c5, which wrote every reason into each outcome).
const BEFORE: &str = "bcee4c4a15c78592c16c36e690e40d19bc5f7bfaad0f129eabdd581d9c6314b3";

/// Runs `evaluate` over 3,000 generated cases under each shipped rule set, for every court and for
/// two courts only; returns the sha256 of the evaluations' JSON and how many of each decision.
fn digest(
    evaluate: impl Fn(&RuleSet, &Case, &EvalContext) -> Evaluation,
) -> (String, BTreeMap<Decision, u32>) {
    let mut bytes = Vec::new();
    crate::generate::write_ndjson(&mut bytes, 3000, 11).expect("generates");
    let sets: Vec<RuleSet> = SHIPPED
        .iter()
        .map(|t| RuleSet::from_toml(t).unwrap())
        .collect();
    let mut hasher = Sha256::new();
    let mut decisions = BTreeMap::new();
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let case = Case::from_json(line).expect("a generated case");
        for set in &sets {
            for ctx in [
                EvalContext::new(set.effective().from),
                EvalContext::new(set.effective().from).with_courts(["DEN", "NYC"]),
            ] {
                let e = evaluate(set, &case, &ctx);
                *decisions.entry(e.decision).or_default() += 1;
                hasher.update(serde_json::to_vec(&e).unwrap());
                hasher.update(b"\n");
            }
        }
    }
    (hex::encode(hasher.finalize()), decisions)
}

#[test]
fn stored_verdicts_read_word_for_word_as_the_evaluations_of_before() {
    let (got, decisions) = digest(|set, case, ctx| {
        let v = set.verdict(case, ctx);
        assert!(!v.fired_ids.contains("DECISION"), "{}", v.fired_ids);
        set.explain(v.decision, v.score, &v.fired_ids, ctx)
            .unwrap_or_else(|e| panic!("{}: {e}", v.fired_ids))
    });
    for d in Decision::ALL {
        assert!(
            decisions.get(&d).copied().unwrap_or(0) > 0,
            "no {d}: {decisions:?}"
        );
    }
    assert_eq!(got, BEFORE, "{decisions:?}");
}

fn morton() -> RuleSet {
    RuleSet::from_toml(SHIPPED[0]).unwrap()
}

#[test]
fn a_verdict_that_does_not_fit_the_rule_set_is_refused() {
    let set = morton();
    let ctx = EvalContext::new(set.effective().from);
    let gate = set.rules(crate::domain::RuleKind::Gate)[0].id().to_string();
    let points = set.rules(crate::domain::RuleKind::Points)[0]
        .id()
        .to_string();
    let refused = |d, score, ids: &str| set.explain(d, score, ids, &ctx).unwrap_err().to_string();
    assert!(refused(Decision::NotAmenable, 0, "NO_SUCH_RULE").contains("NO_SUCH_RULE"));
    // A gate listed after a points rule is out of evaluation order.
    let mixed = format!("{points} {gate}");
    assert!(refused(Decision::EnforcementPriority, 0, &mixed).contains("order"));
    // A gate fired, so the stored decision cannot be a recommendation.
    assert!(refused(Decision::OfferRecommended, 0, &gate).contains("enforcement_priority"));
    assert!(refused(Decision::OutOfScope, 0, "SCOPE_MOON=X").contains("SCOPE_MOON"));
}

#[test]
fn a_scope_verdict_names_the_refused_value_and_what_the_run_covers() {
    let set = morton();
    let ctx = EvalContext::new(set.effective().from).with_courts(["DEN", "NYC"]);
    let e = set
        .explain(Decision::OutOfScope, 0, "SCOPE_COURT=SFR", &ctx)
        .unwrap();
    assert_eq!(e.fired.len(), 2);
    assert_eq!(e.fired[0].id, "SCOPE_COURT");
    assert_eq!(
        e.fired[0].reason,
        "Court SFR is not among the courts of this run (DEN, NYC)."
    );
    assert_eq!(
        e.fired[1].reason,
        "Outside the review's scope (SCOPE_COURT)."
    );
}
