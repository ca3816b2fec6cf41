//! The console's worklist: a run's offers in one lifecycle queue, filtered by court, score,
//! qualifying category and how long the case has been pending, sorted and paged in the database
//! (a page never loads the whole run), and the ids of everything a filter matches for bulk actions.

use chrono::{Days, NaiveDate};
use sqlx::PgPool;

use super::StoreError;

/// The queues of the lifecycle the worklist shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Recommendations awaiting an attorney's approval.
    Recommended,
    /// Approved, awaiting the background check.
    Background,
    /// Offers awaiting the respondent's answer.
    Answer,
    /// Offers whose deadline falls within 7 days of today.
    Expiring,
}

impl Queue {
    /// Every queue, in lifecycle order.
    pub const ALL: [Queue; 4] = [
        Queue::Recommended,
        Queue::Background,
        Queue::Answer,
        Queue::Expiring,
    ];

    /// Name in URLs and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Recommended => "recommended",
            Queue::Background => "background",
            Queue::Answer => "answer",
            Queue::Expiring => "expiring",
        }
    }

    /// Heading for people.
    pub fn title(self) -> &'static str {
        match self {
            Queue::Recommended => "Recommendations awaiting approval",
            Queue::Background => "Awaiting a background check",
            Queue::Answer => "Offers awaiting an answer",
            Queue::Expiring => "Offers expiring within 7 days",
        }
    }

    /// The offer state of the queue's cases.
    pub fn state(self) -> &'static str {
        match self {
            Queue::Recommended => "offer_recommended",
            Queue::Background => "approved",
            Queue::Answer | Queue::Expiring => "offered",
        }
    }

    /// The queue named `s`.
    pub fn parse(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// Orders of the worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Case id.
    CaseId,
    /// Highest score first.
    ScoreDesc,
    /// Lowest score first.
    ScoreAsc,
    /// Longest pending first.
    Oldest,
    /// Nearest deadline first.
    Deadline,
}

impl Sort {
    /// Every order, with its name in URLs and its label.
    pub const ALL: [(Sort, &'static str, &'static str); 5] = [
        (Sort::CaseId, "case", "Case id"),
        (Sort::ScoreDesc, "score_desc", "Score, highest first"),
        (Sort::ScoreAsc, "score_asc", "Score, lowest first"),
        (Sort::Oldest, "oldest", "Pending longest first"),
        (Sort::Deadline, "deadline", "Deadline, nearest first"),
    ];

    /// The order named `s`.
    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL
            .iter()
            .find(|(_, n, _)| *n == s)
            .map(|(x, _, _)| *x)
    }

    fn sql(self) -> &'static str {
        match self {
            Sort::CaseId => "o.case_id",
            Sort::ScoreDesc => "oc.score DESC, o.case_id",
            Sort::ScoreAsc => "oc.score, o.case_id",
            Sort::Oldest => "c.record->>'filed_on', o.case_id",
            Sort::Deadline => "o.deadline NULLS LAST, o.case_id",
        }
    }
}

/// What the worklist shows.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The queue.
    pub queue: Queue,
    /// Only this court.
    pub court: Option<String>,
    /// Score at least.
    pub min_score: Option<i32>,
    /// Score at most.
    pub max_score: Option<i32>,
    /// Only cases where this qualifying rule fired.
    pub category: Option<String>,
    /// Pending at least this many years on `as_of`.
    pub min_years: Option<u32>,
    /// Pending fewer than this many years on `as_of`.
    pub max_years: Option<u32>,
    /// The day pending years are counted to (the run's review date).
    pub as_of: NaiveDate,
    /// Today (for the expiring queue).
    pub today: NaiveDate,
}

/// One row of the worklist (no personal data).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    /// Case id.
    pub case_id: String,
    /// Court.
    pub court: String,
    /// Score.
    pub score: i32,
    /// Qualifying rules that fired.
    pub categories: Vec<String>,
    /// Date filed.
    pub filed_on: Option<NaiveDate>,
    /// Offer state.
    pub state: String,
    /// Answer deadline, once offered.
    pub deadline: Option<NaiveDate>,
}

/// The joins and conditions of a filter. The outcomes are joined only when a score or category
/// filter (or a score order) needs them, so a plain queue counts from two narrow indexes.
fn from_where(with_outcomes: bool) -> String {
    let outcomes = if with_outcomes {
        "JOIN outcomes oc ON oc.run_id = o.run_id AND oc.case_id = o.case_id"
    } else {
        ""
    };
    let score = if with_outcomes {
        r#"AND ($4::int IS NULL OR oc.score >= $4)
      AND ($5::int IS NULL OR oc.score <= $5)
      AND ($6::text IS NULL OR oc.fired @> jsonb_build_array(jsonb_build_object('id', $6::text, 'kind', 'qualifying')))"#
    } else {
        "AND $4::int IS NULL AND $5::int IS NULL AND $6::text IS NULL"
    };
    format!(
        r#"
    FROM offers o
    {outcomes}
    JOIN cases c ON c.case_id = o.case_id
    WHERE o.run_id = $1 AND o.state = $2
      AND ($3::text IS NULL OR c.court = $3)
      {score}
      AND ($7::date IS NULL OR (c.record->>'filed_on')::date <= $7)
      AND ($8::date IS NULL OR (c.record->>'filed_on')::date > $8)
      AND ($9::date IS NULL OR o.deadline <= $9)
"#
    )
}

impl Filter {
    fn needs_outcomes(&self) -> bool {
        self.min_score.is_some() || self.max_score.is_some() || self.category.is_some()
    }
}

fn years_before(d: NaiveDate, years: Option<u32>) -> Option<NaiveDate> {
    years.and_then(|y| d.checked_sub_months(chrono::Months::new(y.saturating_mul(12))))
}

macro_rules! bind_filter {
    ($q:expr, $run_id:expr, $f:expr) => {
        $q.bind($run_id)
            .bind($f.queue.state())
            .bind($f.court.as_deref())
            .bind($f.min_score)
            .bind($f.max_score)
            .bind($f.category.as_deref())
            .bind(years_before($f.as_of, $f.min_years))
            .bind(years_before($f.as_of, $f.max_years))
            .bind(
                ($f.queue == Queue::Expiring)
                    .then(|| $f.today.checked_add_days(Days::new(7)))
                    .flatten(),
            )
    };
}

/// Cases matching `f`.
pub async fn count(pool: &PgPool, run_id: i64, f: &Filter) -> Result<i64, StoreError> {
    let sql = format!("SELECT count(*) {}", from_where(f.needs_outcomes()));
    Ok(bind_filter!(sqlx::query_scalar(&sql), run_id, f)
        .fetch_one(pool)
        .await?)
}

/// One page of the cases matching `f`, in `sort` order.
pub async fn page(
    pool: &PgPool,
    run_id: i64,
    f: &Filter,
    sort: Sort,
    limit: u32,
    offset: u64,
) -> Result<Vec<Row>, StoreError> {
    let sql = format!(
        r#"SELECT o.case_id, c.court, oc.score,
                  ARRAY(SELECT r->>'id' FROM jsonb_array_elements(oc.fired) r
                        WHERE r->>'kind' = 'qualifying') AS categories,
                  (c.record->>'filed_on')::date AS filed_on, o.state, o.deadline
           {} ORDER BY {} LIMIT $10 OFFSET $11"#,
        from_where(true),
        sort.sql()
    );
    Ok(bind_filter!(sqlx::query_as(&sql), run_id, f)
        .bind(i64::from(limit))
        .bind(offset as i64)
        .fetch_all(pool)
        .await?)
}

/// The ids of every case matching `f` (for "all N matching"), in case-id order.
pub async fn ids(pool: &PgPool, run_id: i64, f: &Filter) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "SELECT o.case_id {} ORDER BY o.case_id",
        from_where(f.needs_outcomes())
    );
    Ok(bind_filter!(sqlx::query_scalar(&sql), run_id, f)
        .fetch_all(pool)
        .await?)
}

/// Courts of the imported cases (for the court filter): a skip scan of the court index, a few
/// dozen probes rather than a pass over every case.
pub async fn courts(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE t AS (
           SELECT min(court) AS c FROM cases
           UNION ALL
           SELECT (SELECT min(court) FROM cases WHERE court > t.c) FROM t WHERE t.c IS NOT NULL)
         SELECT c FROM t WHERE c IS NOT NULL",
    )
    .fetch_all(pool)
    .await?)
}
