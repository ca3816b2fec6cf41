//! Calibration against the default rule set: the decision mix of a generated backlog should look
//! like the 2011–12 review (POLICY.md §2.1: about 7.5% of reviewed cases identified for an offer).

use std::collections::BTreeMap;

use super::{REVIEW_START, cases};
use crate::domain::Decision;
use crate::rules::{EvalContext, RuleSet};

const MORTON_2011: &str = include_str!("../../config/rules/morton-2011.toml");

/// Decision shares and how often each rule fired, over `count` cases of `seed`.
fn mix(count: usize, seed: u64) -> (BTreeMap<Decision, f64>, BTreeMap<String, usize>) {
    let rules = RuleSet::from_toml(MORTON_2011).expect("the default rule set loads");
    let ctx = EvalContext::new(REVIEW_START);
    let mut decisions: BTreeMap<Decision, usize> = BTreeMap::new();
    let mut fired: BTreeMap<String, usize> = BTreeMap::new();
    for case in cases(count, seed) {
        let evaluation = rules.evaluate(&case, &ctx);
        *decisions.entry(evaluation.decision).or_default() += 1;
        for rule in evaluation.fired {
            *fired.entry(rule.id.to_string()).or_default() += 1;
        }
    }
    let shares = decisions
        .into_iter()
        .map(|(d, n)| (d, n as f64 / count as f64))
        .collect();
    (shares, fired)
}

#[test]
fn about_one_case_in_thirteen_is_recommended_for_an_offer() {
    let (shares, _) = mix(20_000, 2011);
    let share = |d| shares.get(&d).copied().unwrap_or(0.0);
    let offer = share(Decision::OfferRecommended);
    let out = share(Decision::OutOfScope);
    let priority = share(Decision::EnforcementPriority);
    assert!((0.05..=0.10).contains(&offer), "offer_recommended {offer}");
    assert!((0.01..=0.10).contains(&out), "out_of_scope {out}");
    assert!(
        (0.15..=0.30).contains(&priority),
        "enforcement_priority {priority}"
    );
}

/// Offer shares by court, over `count` cases of `seed`: court → (cases, offers).
fn by_court(count: usize, seed: u64) -> BTreeMap<String, (u64, u64)> {
    let rules = RuleSet::from_toml(MORTON_2011).expect("the default rule set loads");
    let ctx = EvalContext::new(REVIEW_START);
    let mut by: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for case in cases(count, seed) {
        let offered = rules.evaluate(&case, &ctx).decision == Decision::OfferRecommended;
        let entry = by.entry(case.court.as_str().to_string()).or_default();
        *entry = (entry.0 + 1, entry.1 + u64::from(offered));
    }
    by
}

#[test]
fn courts_differ_like_the_pilots_and_2011_13() {
    let by = by_court(40_000, 2011);
    let rate = |court: &str| {
        let (n, offers) = by[court];
        offers as f64 / n as f64
    };
    assert!(
        (0.13..=0.20).contains(&rate("DEN")),
        "Denver {}",
        rate("DEN")
    );
    assert!(
        (0.07..=0.13).contains(&rate("BAL")),
        "Baltimore {}",
        rate("BAL")
    );
    let rates: Vec<f64> = by.keys().map(|c| rate(c)).collect();
    let low = rates.iter().copied().fold(1.0, f64::min);
    let high = rates.iter().copied().fold(0.0, f64::max);
    assert!(low < 0.04 && high > 0.20, "spread {low}..{high}");
}

/// Prints the decision mix, rule counts and offer share by court and representation:
/// `cargo test --release -- --ignored --nocapture mix` (`DOCKET_SEED` picks another seed).
#[test]
#[ignore = "a report for calibration, not a check"]
fn report_the_decision_mix() {
    let count = 100_000;
    let seed = std::env::var("DOCKET_SEED").map_or(2011, |s| s.parse().unwrap());
    let (shares, fired) = mix(count, seed);
    for (decision, share) in &shares {
        println!("{decision}: {:.2}%", share * 100.0);
    }
    for (rule, n) in &fired {
        println!("  {rule}: {:.2}%", *n as f64 * 100.0 / count as f64);
    }
    // Offer share by court and by representation, the audit views of POLICY.md §5.3.
    let rules = RuleSet::from_toml(MORTON_2011).expect("the default rule set loads");
    let ctx = EvalContext::new(REVIEW_START);
    let mut by: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for case in cases(count, seed) {
        let offered = rules.evaluate(&case, &ctx).decision == Decision::OfferRecommended;
        let represented = if case.counsel.is_some() {
            "counsel"
        } else {
            "pro se"
        };
        for key in [case.court.as_str().to_string(), represented.to_string()] {
            let entry = by.entry(key).or_default();
            entry.0 += usize::from(offered);
            entry.1 += 1;
        }
    }
    let line: Vec<String> = by
        .iter()
        .map(|(k, (o, n))| format!("{k} {:.1}%", *o as f64 * 100.0 / *n as f64))
        .collect();
    println!("offer share: {}", line.join(", "));
}
