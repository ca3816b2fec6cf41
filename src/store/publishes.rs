//! Publish progress of a run: a watermark on the run and one `run_publishes` row per confirmed
//! message.
//!
//! Each member of a run has a sequence number, given when the run is created in the order the
//! cases lie on disk. Enqueue reads members in that order and settles broker confirms in the order
//! it published, so what the broker has confirmed is always "every member up to some sequence
//! number". Resuming reads the members after it. Only one enqueue of a run publishes at a time (an advisory lock
//! held on a connection of its own), so the watermark and the count move forward together.

use sqlx::{Connection, PgConnection, PgPool};

use super::StoreError;

/// Advisory-lock namespace of enqueue (the first key; the run id is the second).
const ENQUEUE_LOCK: i32 = 0x646b_7401;

/// A run's publish progress.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Watermark {
    /// Members of the run.
    pub total_cases: i64,
    /// Members confirmed so far.
    pub published_cases: i64,
    /// Every member up to and including this sequence number is confirmed (0: none yet).
    pub published_through: i64,
}

/// One confirmed message: the sequence numbers of the first and last member it carried, and how
/// many members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    /// First member's sequence number.
    pub first: i64,
    /// Last member's sequence number.
    pub last: i64,
    /// Members it carried.
    pub cases: i32,
}

/// A member of a run as enqueue reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    /// Its sequence number in the run.
    pub seq: i64,
    /// Case id.
    pub case_id: String,
    /// The stored record (contract JSON).
    pub record: String,
}

/// The right to publish a run, held until dropped or [`EnqueueLock::release`]d: a connection of
/// its own holding a session advisory lock (closing the connection releases it, whatever happens
/// to this process).
pub struct EnqueueLock {
    conn: PgConnection,
    run_id: i64,
}

impl EnqueueLock {
    /// Takes the lock, or fails with [`StoreError::Refused`] when another enqueue of the run holds it.
    pub async fn acquire(pool: &PgPool, run_id: i64, run_name: &str) -> Result<Self, StoreError> {
        let mut conn = pool.acquire().await?.detach();
        // The run id goes as a bigint; SQL casts it to the lock's int key.
        let got = sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_lock($1, $2::bigint::int) AS "got!""#,
            ENQUEUE_LOCK,
            run_id
        )
        .fetch_one(&mut conn)
        .await?;
        if !got {
            conn.close().await.ok();
            return Err(StoreError::Refused(format!(
                "another `docket enqueue` of run {run_name} is publishing; wait for it to finish or stop it first"
            )));
        }
        Ok(Self { conn, run_id })
    }

    /// Releases the lock and closes its connection.
    pub async fn release(mut self) {
        sqlx::query_scalar!(
            "SELECT pg_advisory_unlock($1, $2::bigint::int)",
            ENQUEUE_LOCK,
            self.run_id
        )
        .fetch_one(&mut self.conn)
        .await
        .ok();
        self.conn.close().await.ok();
    }
}

/// The run's publish progress.
pub async fn watermark(pool: &PgPool, run_id: i64) -> Result<Watermark, StoreError> {
    Ok(sqlx::query_as!(
        Watermark,
        r#"SELECT r.total_cases, coalesce(p.published_cases, 0) AS "published_cases!",
                  coalesce(p.published_through, 0) AS "published_through!"
           FROM runs r LEFT JOIN run_publish_progress p ON p.run_id = r.id WHERE r.id = $1"#,
        run_id
    )
    .fetch_one(pool)
    .await?)
}

/// Starts the run's publishing over from its first member (the next enqueue publishes every case
/// again; outcomes already recorded stay as they are).
pub async fn reset(pool: &PgPool, run_id: i64) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM run_publish_progress WHERE run_id = $1", run_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The members of a run with sequence numbers in `(after, after + count]`, in sequence order.
/// Sequence numbers are dense (1 to the run's size), so this is the next `count` members; asking
/// for a range rather than "the next n" keeps the plan an index range scan whatever the
/// statistics say. See [`reader`] for the connection enqueue reads pages on.
pub async fn page(
    db: impl sqlx::PgExecutor<'_>,
    run_id: i64,
    after: i64,
    count: i64,
) -> Result<Vec<Member>, StoreError> {
    let mut members = sqlx::query_as!(
        Member,
        r#"
        SELECT rc.seq, rc.case_id, c.record::text AS "record!"
        FROM run_cases rc JOIN cases c USING (case_id)
        WHERE rc.run_id = $1 AND rc.seq > $2 AND rc.seq <= $2 + $3
        "#,
        run_id,
        after,
        count
    )
    .fetch_all(db)
    .await?;
    members.sort_unstable_by_key(|m| m.seq);
    Ok(members)
}

/// A connection of its own for reading pages, with parallel plans off. Once the tables are
/// analysed the planner runs a page of 5,000 members as a parallel nested loop; measured on 2
/// cores that takes 48 ms against 20–27 ms in one process, which is most of enqueue's time.
/// Close it with [`PgConnection::close`] when done.
pub async fn reader(pool: &PgPool) -> Result<PgConnection, StoreError> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query!("SET max_parallel_workers_per_gather = 0")
        .execute(&mut conn)
        .await?;
    Ok(conn)
}

/// The highest sequence number of the run's members (0 for an empty run).
pub async fn last_seq(pool: &PgPool, run_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce(max(seq), 0) AS "seq!" FROM run_cases WHERE run_id = $1"#,
        run_id
    )
    .fetch_one(pool)
    .await?)
}

/// Records confirmed messages, given in the order they were published: one row each, and the
/// watermark moved to the last one's last member, in one statement.
pub async fn record(pool: &PgPool, run_id: i64, confirmed: &[Confirmed]) -> Result<(), StoreError> {
    let Some(last) = confirmed.last() else {
        return Ok(());
    };
    let firsts: Vec<i64> = confirmed.iter().map(|c| c.first).collect();
    let lasts: Vec<i64> = confirmed.iter().map(|c| c.last).collect();
    let cases: Vec<i32> = confirmed.iter().map(|c| c.cases).collect();
    let total: i64 = cases.iter().map(|&n| i64::from(n)).sum();
    sqlx::query!(
        r#"
        WITH logged AS (
            INSERT INTO run_publishes (run_id, first_seq, last_seq, cases)
            SELECT $1, f, l, n FROM UNNEST($2::bigint[], $3::bigint[], $4::int[]) AS t(f, l, n)
        )
        INSERT INTO run_publish_progress AS p (run_id, published_through, published_cases)
        VALUES ($1, $5, $6)
        ON CONFLICT (run_id) DO UPDATE
        SET published_through = EXCLUDED.published_through,
            published_cases = p.published_cases + EXCLUDED.published_cases
        "#,
        run_id,
        &firsts,
        &lasts,
        &cases,
        last.last,
        total
    )
    .execute(pool)
    .await?;
    Ok(())
}
