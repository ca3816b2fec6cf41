//! Unit tests of the rules engine and of the default rule set `config/rules/morton-2011.toml`.
//!
//! Cases are built from the contract example (`tests/fixtures/case.json`) and changed per test.

mod check;
mod decide;
mod facts;
mod gates;
mod load;
mod qualifying;
mod shipped;
mod stored;

use std::sync::LazyLock;

use chrono::NaiveDate;

use super::{EvalContext, RuleSet};
use crate::domain::{
    Case, Conviction, Date, Evaluation, OffenseCategory, OffenseLevel, RuleKind, ShortText,
};

const EXAMPLE: &str = include_str!("../../../tests/fixtures/case.json");
const MORTON: &str = include_str!("../../../config/rules/morton-2011.toml");

/// The default rule set, loaded once.
static MORTON_SET: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::from_toml(MORTON).expect("morton-2011.toml loads"));

/// The review date most tests use.
const REVIEW_DATE: &str = "2012-01-01";

#[track_caller]
fn day(text: &str) -> NaiveDate {
    Date::parse(text).expect("a valid test date").naive()
}

#[track_caller]
fn date(text: &str) -> Date {
    Date::parse(text).expect("a valid test date")
}

/// The contract example as it stands: it has a DUI conviction.
fn example() -> Case {
    Case::from_json(EXAMPLE.as_bytes()).expect("the contract example parses")
}

/// The example without its conviction. As of 2012-01-01 it is 12 years present, arrived as a child
/// and is in school (Q_CHILD_ARRIVAL_EDU), and scores 4 + 2 + 2 + 2 + 1 = 11.
fn clean() -> Case {
    let mut case = example();
    case.convictions.clear();
    case
}

/// A case with nothing for or against it: no conviction, no favourable factor, no petition,
/// 12 years present (2 points), so it fits no qualifying category.
fn plain() -> Case {
    let mut case = clean();
    let f = &mut case.factors;
    f.arrived_under_16 = false;
    f.in_school_or_graduate = false;
    f.usc_or_lpr_relatives = 0;
    f.pending_petition = None;
    case
}

fn conviction(level: OffenseLevel, category: OffenseCategory, on: &str) -> Conviction {
    Conviction {
        offense: ShortText::parse("offense").expect("valid text"),
        level,
        category,
        convicted_on: date(on),
    }
}

/// Evaluates `case` under morton-2011 as of 2012-01-01.
fn review(case: &Case) -> Evaluation {
    review_on(case, REVIEW_DATE)
}

/// Evaluates `case` under morton-2011 as of `as_of`.
fn review_on(case: &Case, as_of: &str) -> Evaluation {
    MORTON_SET.evaluate(case, &EvalContext::new(day(as_of)))
}

/// Ids of the rules of `kind` that fired, in order.
fn fired(evaluation: &Evaluation, kind: RuleKind) -> Vec<&str> {
    evaluation
        .fired
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.id.as_str())
        .collect()
}

/// The reason of the threshold entry, if the case reached the score step.
fn threshold_reason(evaluation: &Evaluation) -> Option<&str> {
    evaluation
        .fired
        .iter()
        .find(|r| r.kind == RuleKind::Threshold)
        .map(|r| r.reason.as_str())
}
