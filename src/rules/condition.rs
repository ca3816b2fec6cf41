//! Conditions: the `"fact op value"` strings of a rule, parsed and type-checked once at load time.
//!
//! Grammar: `fact` (a bare yes/no fact, meaning `fact == true`) or `fact op value`, where `op` is one
//! of `==, !=, >=, <=, >, <` and `value` is a whole number, `true`, `false` or `params.NAME`. Yes/no
//! facts take only `==`/`!=` with `true`/`false`; numbers take any operator with a number. A condition
//! on an unknown fact (see [`Facts`]) is false, whatever the operator.

use std::fmt;

use super::facts::{Fact, FactKind, Facts};

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
}

/// One resolved condition: a fact, an operator and a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    fact: Fact,
    op: Op,
    value: i32,
}

impl Condition {
    /// The fact tested.
    pub fn fact(&self) -> Fact {
        self.fact
    }

    /// The comparison.
    pub fn op(&self) -> Op {
        self.op
    }

    /// The constant compared with: a number, or 0/1 for false/true on a yes/no fact.
    pub fn value(&self) -> i32 {
        self.value
    }

    /// Whether the condition holds for `facts`. Unknown facts make it false.
    #[inline]
    pub fn holds(&self, facts: &Facts) -> bool {
        facts
            .get(self.fact)
            .is_some_and(|v| self.op.apply(v, self.value))
    }

    /// Parses `text`, resolving `params.NAME` through `param`. The error is a plain-words message;
    /// the caller adds the key path.
    pub(crate) fn parse(
        text: &str,
        mut param: impl FnMut(&str) -> Option<Value>,
    ) -> Result<Condition, String> {
        let text = text.trim();
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let (name, rest) = text.split_at(end);
        if name.is_empty() {
            return Err(format!(
                "`{text}` must start with a fact name, e.g. `years_present >= 10`"
            ));
        }
        let fact = Fact::from_name(name).ok_or_else(|| unknown_fact(name))?;
        let rest = rest.trim_start();
        if rest.is_empty() {
            return match fact.kind() {
                FactKind::YesNo => Ok(Condition {
                    fact,
                    op: Op::Eq,
                    value: 1,
                }),
                FactKind::Number => Err(format!(
                    "`{name}` is a number: compare it, e.g. `{name} >= 1`"
                )),
            };
        }
        let op = Op::ALL
            .into_iter()
            .find(|op| rest.starts_with(op.symbol()))
            .ok_or_else(|| {
                let token = rest.split_whitespace().next().unwrap_or(rest);
                format!("unknown operator `{token}`: use one of ==, !=, >=, <=, >, <")
            })?;
        let raw = rest[op.symbol().len()..].trim();
        let value = match raw {
            "" => return Err(format!("nothing to compare with after `{}`", op.symbol())),
            "true" => Value::YesNo(true),
            "false" => Value::YesNo(false),
            _ => match raw.strip_prefix("params.") {
                Some(p) => param(p).ok_or_else(|| format!("unknown parameter `params.{p}`"))?,
                None => Value::Number(raw.parse().map_err(|_| {
                    format!("`{raw}` is not a whole number, true, false or params.NAME")
                })?),
            },
        };
        match (fact.kind(), value) {
            (FactKind::YesNo, Value::YesNo(b)) if matches!(op, Op::Eq | Op::Ne) => {
                let value = i32::from(b);
                Ok(Condition { fact, op, value })
            }
            (FactKind::YesNo, Value::YesNo(_)) => Err(format!(
                "`{name}` is a yes/no fact: use == or !=, not {}",
                op.symbol()
            )),
            (FactKind::YesNo, Value::Number(_)) => Err(format!(
                "`{name}` is a yes/no fact: compare it with true or false"
            )),
            (FactKind::Number, Value::Number(value)) => Ok(Condition { fact, op, value }),
            (FactKind::Number, Value::YesNo(_)) => Err(format!(
                "`{name}` is a number: compare it with a number, not true or false"
            )),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.fact.name();
        match self.fact.kind() {
            FactKind::YesNo => write!(f, "{name} {} {}", self.op.symbol(), self.value == 1),
            FactKind::Number => write!(f, "{name} {} {}", self.op.symbol(), self.value),
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
