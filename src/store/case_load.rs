//! The first import into an empty `cases`: rows go straight into the table with binary
//! `COPY … FREEZE`, with its indexes dropped while it fills and built afterwards in one sorted
//! pass each. Imports into a `cases` that has rows are merged through a staging table instead
//! (see [`super::case_copy`]).
//!
//! Why, measured on 300,000 cases (load average 4–5): staging the rows, then merging them with
//! `INSERT … SELECT … ON CONFLICT` cost 12 s (a `COPY` of 2.3–2.7 s, 0.7 s finding duplicates,
//! 8.4 s merging: three indexes updated row by row in random order, one WAL record per row); the
//! direct load with indexes built after, 4.5 s. `FREEZE` writes the rows frozen and marks their
//! pages all-visible, so the first reader of each page (`run create`'s scan, enqueue) no
//! longer dirties and writes it again to set hint bits (58,000 pages of 60,000 at 300,000).
//!
//! While it loads, the import holds `cases` exclusively: readers of an empty table wait for it
//! instead of seeing it fill. Rows are written in the order they are sent, so the n-th row in
//! physical order is the n-th row sent: duplicates within the file are found by that ordinal when
//! the primary key cannot be built, and the caller maps ordinals back to line numbers.

use sqlx::postgres::PgCopyIn;
use sqlx::{PgConnection, PgPool};

use super::{StoreError, case_rows};

/// The indexes of `cases`, as the catalog defines them, dropped while the table fills.
#[derive(Debug)]
pub struct Indexes(Vec<Index>);

#[derive(Debug)]
struct Index {
    name: String,
    /// `CREATE INDEX …` as the catalog gives it.
    definition: String,
    /// The constraint the index implements (the primary key), with its definition.
    constraint: Option<(String, String)>,
}

/// Whether `cases` holds no row, without locking it (checked again under the lock by [`claim`]).
pub async fn looks_empty(pool: &PgPool) -> Result<bool, StoreError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT NOT EXISTS (SELECT 1 FROM cases) AS "empty!""#)
            .fetch_one(pool)
            .await?,
    )
}

/// In the caller's transaction: locks `cases` exclusively and, if it is still empty, drops its
/// indexes and truncates it so that `COPY … FREEZE` may fill it; returns the indexes to build
/// again with [`restore`]. Returns `None`, with the lock held, when rows arrived meanwhile.
pub async fn claim(conn: &mut PgConnection) -> Result<Option<Indexes>, StoreError> {
    sqlx::query!("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await?;
    let empty = sqlx::query_scalar!(r#"SELECT NOT EXISTS (SELECT 1 FROM cases) AS "empty!""#)
        .fetch_one(&mut *conn)
        .await?;
    if !empty {
        return Ok(None);
    }
    let indexes: Vec<Index> = sqlx::query!(
        r#"
        SELECT ic.relname::text AS "name!", pg_get_indexdef(i.indexrelid) AS "definition!",
               con.conname::text AS "constraint_name?",
               pg_get_constraintdef(con.oid) AS "constraint_definition?"
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
        WHERE i.indrelid = 'cases'::regclass
        ORDER BY i.indisunique DESC, ic.relname
        "#
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| Index {
        name: r.name,
        definition: r.definition,
        constraint: r.constraint_name.zip(r.constraint_definition),
    })
    .collect();
    for index in &indexes {
        // Runtime: the names come from the catalog.
        let drop = match &index.constraint {
            Some((name, _)) => format!("ALTER TABLE cases DROP CONSTRAINT {}", quote(name)),
            None => format!("DROP INDEX {}", quote(&index.name)),
        };
        sqlx::query(&drop).execute(&mut *conn).await?;
    }
    // Empty already; truncating it in this transaction is what allows `COPY … FREEZE`.
    sqlx::query!("TRUNCATE cases").execute(&mut *conn).await?;
    Ok(Some(Indexes(indexes)))
}

/// Starts the binary `COPY … FREEZE` into `cases`; feed it [`case_rows::HEADER`], rows written by
/// [`case_rows::push_row`] without line numbers, and [`case_rows::TRAILER`].
pub async fn copy_in(conn: &mut PgConnection) -> Result<PgCopyIn<&mut PgConnection>, StoreError> {
    // Runtime: COPY streams rows; it is not a statement the query macros can prepare.
    Ok(conn
        .copy_in_raw(&format!(
            "COPY cases ({}) FROM STDIN (FORMAT binary, FREEZE)",
            case_rows::CASE_COLUMNS
        ))
        .await?)
}

/// Builds the indexes of `cases` again. When the primary key finds a case id twice, removes
/// every row but the first of each such id first, and returns them as (ordinal, ordinal of the
/// first), ordinals counting rows in the order they were sent from 1, in order.
pub async fn restore(
    conn: &mut PgConnection,
    indexes: Indexes,
) -> Result<Vec<(u64, u64)>, StoreError> {
    sqlx::query!("SET LOCAL maintenance_work_mem = '256MB'")
        .execute(&mut *conn)
        .await?;
    sqlx::query!("SAVEPOINT case_indexes")
        .execute(&mut *conn)
        .await?;
    match build(conn, &indexes).await {
        Ok(()) => {
            analyze(conn).await?;
            return Ok(Vec::new());
        }
        Err(StoreError::Query(sqlx::Error::Database(e))) if e.is_unique_violation() => {}
        Err(e) => return Err(e),
    }
    sqlx::query!("ROLLBACK TO SAVEPOINT case_indexes")
        .execute(&mut *conn)
        .await?;
    let dups = sqlx::query!(
        r#"
        DELETE FROM cases c USING (
            SELECT ctid, n, min(n) OVER (PARTITION BY case_id) AS first
            FROM (SELECT ctid, case_id, row_number() OVER (ORDER BY ctid) AS n FROM cases) t
        ) d
        WHERE c.ctid = d.ctid AND d.n <> d.first
        RETURNING d.n AS "n!", d.first AS "first!"
        "#
    )
    .fetch_all(&mut *conn)
    .await?;
    build(conn, &indexes).await?;
    analyze(conn).await?;
    let mut dups: Vec<(u64, u64)> = dups
        .into_iter()
        .map(|d| (d.n as u64, d.first as u64))
        .collect();
    dups.sort_unstable();
    Ok(dups)
}

/// Creates every index, unique ones first.
async fn build(conn: &mut PgConnection, indexes: &Indexes) -> Result<(), StoreError> {
    for index in &indexes.0 {
        // Runtime: the definitions come from the catalog.
        let create = match &index.constraint {
            Some((name, def)) => format!("ALTER TABLE cases ADD CONSTRAINT {} {def}", quote(name)),
            None => index.definition.clone(),
        };
        sqlx::query(&create).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Statistics for the table just filled: without them the planner takes every column for 200
/// distinct values, so it expects a lookup by case id to match thousands of rows. The worker's
/// batch statement was then estimated above `jit_above_cost` and compiled for 250 ms before each
/// of its first executions on a connection (the plan was right; only its cost was wrong). At
/// 3,000,000 cases `ANALYZE` takes about 0.7 s: it reads a sample of 30,000 rows.
async fn analyze(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query!("ANALYZE cases").execute(&mut *conn).await?;
    Ok(())
}

/// An identifier quoted for SQL.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_with_their_quotes_doubled() {
        assert_eq!(quote("cases_pkey"), "\"cases_pkey\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
