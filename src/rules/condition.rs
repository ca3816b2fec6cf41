//! Conditions: the `"fact op value"` strings of a rule, parsed and type-checked once at load time.
//!
//! Grammar: `fact` (a bare yes/no fact, meaning `fact == true`) or `left op value`, where `op` is one
//! of `==, !=, >=, <=, >, <` and `value` is a whole number, `true`, `false`, a date `YYYY-MM-DD` or
//! `params.NAME`. `left` is one fact, or a sum of up to four number facts joined by `+` and `-`
//! (`misdemeanor_convictions - misdemeanors_traffic >= 3`). Yes/no facts take only `==`/`!=` with
//! `true`/`false`; numbers take any operator with a number; dates take any operator with a date. A
//! condition on an unknown fact (see [`Facts`]) is false, whatever the operator.

use std::fmt;

use chrono::NaiveDate;

use super::facts::{Fact, FactKind, Facts, day_number};
use crate::domain::Date;

/// Most facts one condition may add up.
const MAX_TERMS: usize = 4;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
}

impl Op {
    /// Operators, longest spelling first so that `>=` is not read as `>`.
    const ALL: [Op; 6] = [Op::Ge, Op::Le, Op::Eq, Op::Ne, Op::Gt, Op::Lt];

    /// How the operator is written.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
        }
    }

    fn apply(self, left: i32, right: i32) -> bool {
        match self {
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Ge => left >= right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Lt => left < right,
        }
    }
}

/// A value a condition compares with, before type checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value {
    /// A whole number.
    Number(i32),
    /// `true` or `false`.
    YesNo(bool),
    /// A date, as its day number.
    Day(i32),
}

/// One resolved condition: a fact (or a sum of number facts), an operator and a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    fact: Fact,
    /// Further terms of a sum after `fact`: the fact and whether it is subtracted.
    more: [(Fact, bool); MAX_TERMS - 1],
    extra: u8,
    op: Op,
    value: i32,
}

impl Condition {
    /// The fact tested (the first term of a sum).
    pub fn fact(&self) -> Fact {
        self.fact
    }

    /// The further terms of a sum, each with `true` when it is subtracted; empty for one fact.
    pub fn more_terms(&self) -> &[(Fact, bool)] {
        &self.more[..usize::from(self.extra)]
    }

    /// The comparison.
    pub fn op(&self) -> Op {
        self.op
    }

    /// The constant compared with: a number, 0/1 for false/true on a yes/no fact, or the day number
    /// of a date (see [`day_number`]).
    pub fn value(&self) -> i32 {
        self.value
    }

    /// Whether the condition holds for `facts`. Unknown facts make it false.
    #[inline]
    pub fn holds(&self, facts: &Facts) -> bool {
        let Some(mut left) = facts.get(self.fact) else {
            return false;
        };
        for &(fact, minus) in self.more_terms() {
            let Some(v) = facts.get(fact) else {
                return false;
            };
            left = if minus {
                left.saturating_sub(v)
            } else {
                left.saturating_add(v)
            };
        }
        self.op.apply(left, self.value)
    }

    /// Parses `text`, resolving `params.NAME` through `param`. The error is a plain-words message;
    /// the caller adds the key path.
    pub(crate) fn parse(
        text: &str,
        mut param: impl FnMut(&str) -> Option<Value>,
    ) -> Result<Condition, String> {
        let text = text.trim();
        let (fact, more, extra, rest) = left_side(text)?;
        let name = fact.name();
        if rest.is_empty() {
            return bare(text, fact, more, extra);
        }
        let (op, raw) = operator(rest)?;
        let value = right_side(fact, op, raw, &mut param)?;
        let build = |value| Condition {
            fact,
            more,
            extra,
            op,
            value,
        };
        match (fact.kind(), value) {
            (FactKind::YesNo, Value::YesNo(b)) if matches!(op, Op::Eq | Op::Ne) => {
                Ok(build(i32::from(b)))
            }
            (FactKind::YesNo, Value::YesNo(_)) => Err(format!(
                "`{name}` is a yes/no fact: use == or !=, not {}",
                op.symbol()
            )),
            (FactKind::YesNo, _) => Err(format!(
                "`{name}` is a yes/no fact: compare it with true or false"
            )),
            (FactKind::Number, Value::Number(value)) => Ok(build(value)),
            (FactKind::Number, _) => Err(format!(
                "`{name}` is a number: compare it with a number, not true or false"
            )),
            (FactKind::Date, Value::Day(value)) => Ok(build(value)),
            (FactKind::Date, _) => unreachable!("a date fact always reads a date"),
        }
    }
}

/// A condition that is only a fact (`gang`): a yes/no fact that must hold; anything else is an
/// error that says how to compare it.
fn bare(
    text: &str,
    fact: Fact,
    more: [(Fact, bool); MAX_TERMS - 1],
    extra: u8,
) -> Result<Condition, String> {
    let name = fact.name();
    match fact.kind() {
        FactKind::YesNo if extra == 0 => Ok(Condition {
            fact,
            more,
            extra,
            op: Op::Eq,
            value: 1,
        }),
        FactKind::Number if extra > 0 => {
            Err(format!("`{text}` is a sum: compare it, e.g. `{text} >= 1`"))
        }
        FactKind::Number => Err(format!(
            "`{name}` is a number: compare it, e.g. `{name} >= 1`"
        )),
        FactKind::Date => Err(format!(
            "`{name}` is a date: compare it, e.g. `{name} >= 2014-01-01`"
        )),
        FactKind::YesNo => Err(format!("`{name}` is a yes/no fact and cannot be added up")),
    }
}

/// Reads the operator at the start of `rest`; returns it and the value's text after it.
fn operator(rest: &str) -> Result<(Op, &str), String> {
    let unknown = || {
        let token = rest.split_whitespace().next().unwrap_or(rest);
        format!("unknown operator `{token}`: use one of ==, !=, >=, <=, >, <")
    };
    let op = Op::ALL
        .into_iter()
        .find(|op| rest.starts_with(op.symbol()))
        .ok_or_else(unknown)?;
    let raw = rest[op.symbol().len()..].trim();
    if raw.starts_with(['<', '>', '=', '!']) {
        return Err(unknown());
    }
    Ok((op, raw))
}

/// Reads the value a condition compares `fact` with: a date for a date fact, else `true`,
/// `false`, a whole number or `params.NAME` (looked up with `param`).
fn right_side(
    fact: Fact,
    op: Op,
    raw: &str,
    param: &mut impl FnMut(&str) -> Option<Value>,
) -> Result<Value, String> {
    let name = fact.name();
    Ok(match raw {
        "" => return Err(format!("nothing to compare with after `{}`", op.symbol())),
        _ if fact.kind() == FactKind::Date => Value::Day(
            Date::parse(raw)
                .map(|d| day_number(d.naive()))
                .map_err(|m| format!("`{raw}` {m} (`{name}` is a date)"))?,
        ),
        "true" => Value::YesNo(true),
        "false" => Value::YesNo(false),
        _ => match raw.strip_prefix("params.") {
            Some(p) => param(p).ok_or_else(|| format!("unknown parameter `params.{p}`"))?,
            None => Value::Number(raw.parse().map_err(|_| {
                format!("`{raw}` is not a whole number, true, false or params.NAME")
            })?),
        },
    })
}

/// Reads the left side of a condition: one fact, or a sum of number facts. Returns the first fact,
/// the further terms, their count and the rest of the text (the operator and value).
#[allow(clippy::type_complexity)]
fn left_side(text: &str) -> Result<(Fact, [(Fact, bool); MAX_TERMS - 1], u8, &str), String> {
    let (first, mut rest) = fact_name(text)?;
    let fact = Fact::from_name(first).ok_or_else(|| unknown_fact(first))?;
    let mut more = [(fact, false); MAX_TERMS - 1];
    let mut extra = 0u8;
    loop {
        rest = rest.trim_start();
        let minus = match rest.as_bytes().first() {
            Some(b'+') => false,
            Some(b'-') => true,
            _ => break,
        };
        let (name, after) = fact_name(rest[1..].trim_start())?;
        let term = Fact::from_name(name).ok_or_else(|| unknown_fact(name))?;
        if usize::from(extra) + 1 >= MAX_TERMS {
            return Err(format!("a sum may add up at most {MAX_TERMS} facts"));
        }
        for f in [fact, term] {
            if f.kind() != FactKind::Number {
                return Err(format!(
                    "`{}` is not a number and cannot be added up",
                    f.name()
                ));
            }
        }
        more[usize::from(extra)] = (term, minus);
        extra += 1;
        rest = after;
    }
    Ok((fact, more, extra, rest))
}

/// Splits a leading fact name off `text`.
fn fact_name(text: &str) -> Result<(&str, &str), String> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    if end == 0 {
        return Err(format!(
            "`{text}` must start with a fact name, e.g. `years_present >= 10`"
        ));
    }
    Ok(text.split_at(end))
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.fact.name())?;
        for (fact, minus) in self.more_terms() {
            write!(f, " {} {}", if *minus { '-' } else { '+' }, fact.name())?;
        }
        let op = self.op.symbol();
        match self.fact.kind() {
            FactKind::YesNo => write!(f, " {op} {}", self.value == 1),
            FactKind::Number => write!(f, " {op} {}", self.value),
            FactKind::Date => match NaiveDate::from_num_days_from_ce_opt(self.value) {
                Some(d) => write!(f, " {op} {d}"),
                None => write!(f, " {op} day {}", self.value),
            },
        }
    }
}

/// Names that are deliberately not facts, with the reason.
const NOT_FACTS: &[&str] = &[
    "nationality",
    "language",
    "counsel",
    "represented",
    "representation",
    "asylum_claim",
    "vawa_t_u",
];

/// The message for an unknown fact name, with a suggestion when one is close.
fn unknown_fact(name: &str) -> String {
    if NOT_FACTS.contains(&name) {
        return format!(
            "`{name}` is deliberately not a fact: nationality, language, representation and \
             confidential asylum or VAWA/T/U matters must not decide a case"
        );
    }
    let closest = Fact::ALL
        .iter()
        .map(|f| (edit_distance(name, f.name()), f.name()))
        .min();
    match closest {
        Some((d, suggestion)) if d <= 3 => {
            format!("unknown fact `{name}` (did you mean `{suggestion}`?)")
        }
        _ => format!("unknown fact `{name}`"),
    }
}

/// Levenshtein distance between two ASCII-ish strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}
