//! The console's worklist: a run's offers in one lifecycle queue, filtered by court, score,
//! qualifying category and how long the case has been pending, sorted and paged in the database
//! (a page never loads the whole run), and the ids of everything a filter matches for bulk actions.

use chrono::{Days, NaiveDate};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::StoreError;

mod place;
pub use place::{Cursor, Start};

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

    /// The sort key before the case id (matching an index of the migration), and whether the
    /// order is ascending. Equal scores, highest first, come in descending case-id order, so the
    /// one index serves both directions.
    fn key(self) -> (Option<&'static str>, bool) {
        match self {
            Sort::CaseId => (None, true),
            Sort::ScoreDesc => (Some("o.score"), false),
            Sort::ScoreAsc => (Some("o.score"), true),
            Sort::Oldest => (Some("o.filed_on"), true),
            Sort::Deadline => (Some("coalesce(o.deadline, 'infinity'::date)"), true),
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

impl Filter {
    /// Whether this is a whole queue, counted by the run's counters: no filter, and a queue
    /// that is one offer state (the expiring queue is the offered ones with a deadline soon).
    fn is_whole_queue(&self) -> bool {
        self.queue != Queue::Expiring
            && self.court.is_none()
            && self.min_score.is_none()
            && self.max_score.is_none()
            && self.category.is_none()
            && self.min_years.is_none()
            && self.max_years.is_none()
    }
}

fn years_before(d: NaiveDate, years: Option<u32>) -> Option<NaiveDate> {
    years.and_then(|y| d.checked_sub_months(chrono::Months::new(y.saturating_mul(12))))
}

/// `FROM` and `WHERE` of a filter, over the offers alone (they carry court, score, qualifying
/// rules and filing date). Only the conditions given are written, so each combination is its own
/// prepared statement with a plan that uses the matching index. An offer without its outcome
/// (never made by the pipeline) is not listed, as when the worklist joined the outcomes.
fn push_from_where(q: &mut QueryBuilder<'_, Postgres>, run_id: i64, f: &Filter) {
    q.push(" FROM offers o WHERE o.run_id = ")
        .push_bind(run_id)
        .push(" AND o.state = ")
        .push_bind(f.queue.state())
        .push(" AND o.score IS NOT NULL AND o.court IS NOT NULL");
    if let Some(c) = &f.court {
        q.push(" AND o.court = ").push_bind(c.clone());
    }
    if let Some(s) = f.min_score {
        q.push(" AND o.score >= ").push_bind(s);
    }
    if let Some(s) = f.max_score {
        q.push(" AND o.score <= ").push_bind(s);
    }
    if let Some(c) = &f.category {
        q.push(" AND o.categories @> ARRAY[")
            .push_bind(c.clone())
            .push("::text]");
    }
    if let Some(d) = years_before(f.as_of, f.min_years) {
        q.push(" AND o.filed_on <= ").push_bind(d);
    }
    if let Some(d) = years_before(f.as_of, f.max_years) {
        q.push(" AND o.filed_on > ").push_bind(d);
    }
    if f.queue == Queue::Expiring
        && let Some(d) = f.today.checked_add_days(Days::new(7))
    {
        q.push(" AND o.deadline <= ").push_bind(d);
    }
}

/// Cases matching `f`: for a whole queue, the run's offer counters; otherwise a count over the
/// queue's offers alone.
pub async fn count(pool: &PgPool, run_id: i64, f: &Filter) -> Result<i64, StoreError> {
    if f.is_whole_queue()
        && let Some(n) = counted(pool, run_id, f.queue.state()).await?
    {
        return Ok(n);
    }
    // Runtime: only the filters given are written, so each combination gets its own plan.
    let mut q = QueryBuilder::new("SELECT count(*)");
    push_from_where(&mut q, run_id, f);
    Ok(q.build_query_scalar().fetch_one(pool).await?)
}

/// The offers of a run in `state` from its counters (`run_counts`, kept by the triggers on
/// `offers`): a few rows, where counting the queue reads every offer in it (80 ms for the 230,000
/// recommendations of a 3,000,000-case run). `None` when the run has an offer the worklist does
/// not list (no score or court: never one the pipeline made), which the counters include.
async fn counted(pool: &PgPool, run_id: i64, state: &str) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT CASE WHEN EXISTS (SELECT 1 FROM offers
                                    WHERE run_id = $1 AND (score IS NULL OR court IS NULL))
                       THEN NULL
                       ELSE (SELECT coalesce(sum(n), 0)::bigint FROM run_counts
                             WHERE run_id = $1 AND kind = 'offer' AND key = $2) END AS n"#,
        run_id,
        state
    )
    .fetch_one(pool)
    .await?)
}

/// One page of the cases matching `f`, in `sort` order, from `start`: up to `limit` rows, in
/// order. From a cursor the page is a range scan of the order's index, however deep it is.
pub async fn page(
    pool: &PgPool,
    run_id: i64,
    f: &Filter,
    sort: Sort,
    limit: u32,
    start: &Start,
) -> Result<Vec<Row>, StoreError> {
    let (key, ascending) = sort.key();
    // Before a cursor or from the end: read backwards, then turn the rows around.
    let backwards = matches!(start, Start::Before(_) | Start::FromEnd(_));
    let ascending = ascending != backwards;
    // Runtime: the filters given and the order asked for are written into the statement.
    let mut q = QueryBuilder::new(
        "SELECT o.case_id, o.court, o.score, o.categories, o.filed_on, o.state, o.deadline",
    );
    push_from_where(&mut q, run_id, f);
    if let Start::After(c) | Start::Before(c) = start {
        q.push(" AND (");
        if let Some(k) = key {
            q.push(k).push(", ");
        }
        q.push("o.case_id) ")
            .push(if ascending { "> (" } else { "< (" });
        c.push_key(&mut q);
        q.push(")");
    }
    let dir = if ascending { "" } else { " DESC" };
    q.push(" ORDER BY ");
    if let Some(k) = key {
        q.push(k).push(dir).push(", ");
    }
    q.push("o.case_id").push(dir);
    q.push(" LIMIT ").push_bind(i64::from(limit));
    if let Start::Offset(n) | Start::FromEnd(n) = start {
        q.push(" OFFSET ")
            .push_bind(i64::try_from(*n).unwrap_or(i64::MAX));
    }
    let mut rows: Vec<Row> = q.build_query_as().fetch_all(pool).await?;
    if backwards {
        rows.reverse();
    }
    Ok(rows)
}

/// The ids of every case matching `f` (for "all N matching"), in case-id order.
pub async fn ids(pool: &PgPool, run_id: i64, f: &Filter) -> Result<Vec<String>, StoreError> {
    // Runtime: as `count`, only the filters given are written.
    let mut q = QueryBuilder::new("SELECT o.case_id");
    push_from_where(&mut q, run_id, f);
    q.push(" ORDER BY o.case_id");
    Ok(q.build_query_scalar().fetch_all(pool).await?)
}

/// Courts of the imported cases (for the court filter): a skip scan of the court index, a few
/// dozen probes rather than a pass over every case.
pub async fn courts(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"WITH RECURSIVE t AS (
           SELECT min(court) AS c FROM cases
           UNION ALL
           SELECT (SELECT min(court) FROM cases WHERE court > t.c) FROM t WHERE t.c IS NOT NULL)
         SELECT c AS "c!" FROM t WHERE c IS NOT NULL"#
    )
    .fetch_all(pool)
    .await?)
}
