//! A page's place in a worklist order: by offset, from the end, or around a row (a cursor).

use chrono::NaiveDate;
use sqlx::{Postgres, QueryBuilder};

use super::{Row, Sort};

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// The first `limit` rows after skipping this many (page numbers typed into a URL).
    Offset(u64),
    /// The rows after this one, in the order.
    After(Cursor),
    /// The rows before this one, in the order (the previous page).
    Before(Cursor),
    /// The last `limit` rows after skipping this many from the end (a page past the middle,
    /// read backwards: see [`Start::page_at`]).
    FromEnd(u64),
}

impl Start {
    /// Where a page of `size` rows that starts after `skip` rows begins, out of `total`, and how
    /// many rows to read: a page in the first half by its offset, a page past the middle from
    /// the end, so the last page costs what the first does (an `OFFSET` reads and drops every
    /// row it skips: 230,000 for the last page of a 3,000,000-case run's recommendations).
    pub fn page_at(skip: u64, total: u64, size: u32) -> (Start, u32) {
        if skip <= total / 2 || skip >= total {
            return (Start::Offset(skip), size);
        }
        let rows = (total - skip).min(u64::from(size));
        (Start::FromEnd(total - skip - rows), rows as u32)
    }
}

/// A row's place in an order: its sort key and case id. Written in links as `KEY~CASE_ID` (or
/// the case id alone in case-id order); a case id never holds a `~`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    key: Key,
    case_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    None,
    Score(i32),
    Date(Option<NaiveDate>),
}

impl Cursor {
    /// The place of `row` in `sort` order.
    pub fn of(row: &Row, sort: Sort) -> Cursor {
        let key = match sort {
            Sort::CaseId => Key::None,
            Sort::ScoreDesc | Sort::ScoreAsc => Key::Score(row.score),
            Sort::Oldest => Key::Date(row.filed_on),
            Sort::Deadline => Key::Date(row.deadline),
        };
        Cursor {
            key,
            case_id: row.case_id.clone(),
        }
    }

    /// The cursor written as `s` for `sort`, if it is one.
    pub fn parse(s: &str, sort: Sort) -> Option<Cursor> {
        let (key, case_id) = match (sort, s.split_once('~')) {
            (Sort::CaseId, None) => (Key::None, s),
            (Sort::ScoreDesc | Sort::ScoreAsc, Some((k, id))) => (Key::Score(k.parse().ok()?), id),
            (Sort::Oldest | Sort::Deadline, Some(("", id))) => (Key::Date(None), id),
            (Sort::Oldest | Sort::Deadline, Some((k, id))) => {
                (Key::Date(Some(k.parse().ok()?)), id)
            }
            _ => return None,
        };
        let ok = (1..=40).contains(&case_id.len())
            && case_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        ok.then(|| Cursor {
            key,
            case_id: case_id.to_string(),
        })
    }

    /// The cursor as written in links.
    pub fn text(&self) -> String {
        match &self.key {
            Key::None => self.case_id.clone(),
            Key::Score(s) => format!("{s}~{}", self.case_id),
            Key::Date(d) => format!(
                "{}~{}",
                d.map(|d| d.to_string()).unwrap_or_default(),
                self.case_id
            ),
        }
    }

    /// Binds the cursor's key and case id, for a row comparison with it.
    pub(super) fn push_key(&self, q: &mut QueryBuilder<'_, Postgres>) {
        match &self.key {
            Key::None => {}
            Key::Score(s) => {
                q.push_bind(*s).push(", ");
            }
            // A missing deadline sorts as the end of time, like the index.
            Key::Date(None) => {
                q.push("'infinity'::date, ");
            }
            Key::Date(Some(d)) => {
                q.push_bind(*d).push(", ");
            }
        }
        q.push_bind(self.case_id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_past_the_middle_are_read_from_the_end() {
        assert_eq!(Start::page_at(0, 230, 50), (Start::Offset(0), 50));
        assert_eq!(Start::page_at(100, 230, 50), (Start::Offset(100), 50));
        // Page 4 of 5: rows 150-199 are the 31st to 80th from the end.
        assert_eq!(Start::page_at(150, 230, 50), (Start::FromEnd(30), 50));
        // The last page holds the last 30 rows: none skipped from the end.
        assert_eq!(Start::page_at(200, 230, 50), (Start::FromEnd(0), 30));
        // Past the end: nothing to read, as an offset says.
        assert_eq!(Start::page_at(250, 230, 50), (Start::Offset(250), 50));
        assert_eq!(Start::page_at(0, 0, 50), (Start::Offset(0), 50));
    }
}
