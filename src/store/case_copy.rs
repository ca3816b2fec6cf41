//! Bulk import of validated cases into a `cases` table that has rows already: rows are streamed
//! with binary `COPY` into a temporary staging table (no WAL, no index), duplicates within the
//! batch are found there by line number, and the rest are merged into `cases` by one statement
//! with the same upsert rule as [`super::cases::upsert`]. An empty `cases` is loaded directly
//! instead (see [`super::case_load`]).
//!
//! Why: one `INSERT … UNNEST` per 1,000 cases sent every record twice (as a bound array and as
//! its parse) and held a map of every case id in the importer; `COPY` streams at PostgreSQL's own
//! pace and the importer's memory stays flat whatever the backlog's size.

use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;

use super::cases::UpsertCounts;
use super::{StoreError, case_rows};

/// Creates the staging table in the caller's transaction (dropped when it ends).
pub async fn create_stage(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query!(
        r#"
        CREATE TEMP TABLE import_stage (
            line BIGINT NOT NULL, case_id TEXT NOT NULL, court TEXT NOT NULL,
            case_type TEXT NOT NULL, custody TEXT NOT NULL, nationality TEXT NOT NULL,
            language TEXT NOT NULL, represented BOOLEAN NOT NULL, record TEXT NOT NULL,
            facts_hash TEXT NOT NULL
        ) ON COMMIT DROP
        "#,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Starts a binary `COPY` into the staging table; feed it [`case_rows::HEADER`], rows written
/// by [`case_rows::push_row`] with their line numbers, and [`case_rows::TRAILER`].
pub async fn copy_in(conn: &mut PgConnection) -> Result<PgCopyIn<&mut PgConnection>, StoreError> {
    // Runtime: COPY streams rows; it is not a statement the query macros can prepare.
    Ok(conn
        .copy_in_raw(&format!(
            "COPY import_stage (line, {}) FROM STDIN (FORMAT binary)",
            case_rows::CASE_COLUMNS
        ))
        .await?)
}

/// Removes from the staging table every row whose case id an earlier line already has; returns
/// them as (line, first line), in line order.
pub async fn remove_duplicates(conn: &mut PgConnection) -> Result<Vec<(u64, u64)>, StoreError> {
    // Runtime: `import_stage` is a temporary table, absent from the schema macros check against.
    let dups: Vec<(i64, i64)> = sqlx::query_as(
        r#"
        DELETE FROM import_stage s USING (
            SELECT line, min(line) OVER (PARTITION BY case_id) AS first FROM import_stage
        ) d
        WHERE s.line = d.line AND d.line <> d.first
        RETURNING s.line, d.first
        "#,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut dups: Vec<(u64, u64)> = dups
        .into_iter()
        .map(|(l, f)| (l as u64, f as u64))
        .collect();
    dups.sort_unstable();
    Ok(dups)
}

/// Merges the staging table into `cases`: new cases inserted, changed ones updated, unchanged
/// rows not touched.
pub async fn merge(conn: &mut PgConnection) -> Result<UpsertCounts, StoreError> {
    // Runtime: `import_stage` is a temporary table, absent from the schema macros check against.
    let (staged, inserted, updated): (i64, i64, i64) = sqlx::query_as(
        r#"
        WITH upserted AS (
            INSERT INTO cases (case_id, court, case_type, custody, nationality, language,
                               represented, record, facts_hash)
            SELECT case_id, court, case_type, custody, nationality, language, represented,
                   record, facts_hash
            FROM import_stage
            ON CONFLICT (case_id) DO UPDATE SET
                court = EXCLUDED.court, case_type = EXCLUDED.case_type,
                custody = EXCLUDED.custody, nationality = EXCLUDED.nationality,
                language = EXCLUDED.language, represented = EXCLUDED.represented,
                record = EXCLUDED.record, facts_hash = EXCLUDED.facts_hash, updated_at = now()
            WHERE cases.facts_hash <> EXCLUDED.facts_hash
            RETURNING (xmax = 0) AS inserted
        )
        SELECT (SELECT count(*) FROM import_stage),
               count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
        FROM upserted
        "#,
    )
    .fetch_one(&mut *conn)
    .await?;
    let (inserted, updated) = (inserted as u64, updated as u64);
    Ok(UpsertCounts {
        inserted,
        updated,
        unchanged: staged as u64 - inserted - updated,
    })
}
