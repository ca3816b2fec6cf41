//! The `cases` table: bulk upsert of imported case records.

use sqlx::PgPool;

use super::StoreError;
use crate::domain::Case;
pub use crate::domain::facts_hash;

/// What one upsert did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    /// New cases.
    pub inserted: u64,
    /// Cases whose facts changed.
    pub updated: u64,
    /// Cases already stored with the same facts.
    pub unchanged: u64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// Inserts new cases and updates changed ones in one statement; unchanged rows are not touched.
/// Case ids must be unique within `cases`.
pub async fn upsert(pool: &PgPool, cases: &[Case]) -> Result<UpsertCounts, StoreError> {
    let n = cases.len();
    let rows = Rows::of(cases);
    let counts = sqlx::query!(
        r#"
        WITH upserted AS (
            INSERT INTO cases (case_id, court, case_type, custody, nationality, language,
                               represented, record, facts_hash)
            SELECT t.case_id, t.court, t.case_type, t.custody, t.nationality, t.language,
                   t.represented, t.record, t.facts_hash
            FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                        $7::bool[], $8::text[], $9::text[])
                 AS t(case_id, court, case_type, custody, nationality, language,
                      represented, record, facts_hash)
            ON CONFLICT (case_id) DO UPDATE SET
                court = EXCLUDED.court, case_type = EXCLUDED.case_type,
                custody = EXCLUDED.custody, nationality = EXCLUDED.nationality,
                language = EXCLUDED.language, represented = EXCLUDED.represented,
                record = EXCLUDED.record, facts_hash = EXCLUDED.facts_hash, updated_at = now()
            WHERE cases.facts_hash <> EXCLUDED.facts_hash
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted) AS "inserted!",
               count(*) FILTER (WHERE NOT inserted) AS "updated!"
        FROM upserted
        "#,
        &rows.ids,
        &rows.courts,
        &rows.types,
        &rows.custody,
        &rows.nationality,
        &rows.language,
        &rows.represented,
        &rows.records,
        &rows.hashes
    )
    .fetch_one(pool)
    .await?;
    let (inserted, updated) = (counts.inserted as u64, counts.updated as u64);
    Ok(UpsertCounts {
        inserted,
        updated,
        unchanged: n as u64 - inserted - updated,
    })
}

/// Stores the records of cases not stored yet (cases reviewed from another producer's jobs);
/// existing rows are left as they are. Runs inside the caller's transaction.
pub async fn insert_missing(
    conn: &mut sqlx::PgConnection,
    cases: &[Case],
) -> Result<(), StoreError> {
    if cases.is_empty() {
        return Ok(());
    }
    let rows = Rows::of(cases);
    sqlx::query!(
        r#"
        INSERT INTO cases (case_id, court, case_type, custody, nationality, language,
                           represented, record, facts_hash)
        SELECT t.case_id, t.court, t.case_type, t.custody, t.nationality, t.language,
               t.represented, t.record, t.facts_hash
        FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                    $7::bool[], $8::text[], $9::text[])
             AS t(case_id, court, case_type, custody, nationality, language,
                  represented, record, facts_hash)
        ON CONFLICT (case_id) DO NOTHING
        "#,
        &rows.ids,
        &rows.courts,
        &rows.types,
        &rows.custody,
        &rows.nationality,
        &rows.language,
        &rows.represented,
        &rows.records,
        &rows.hashes
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Column arrays of a batch of cases, for UNNEST.
struct Rows {
    ids: Vec<String>,
    courts: Vec<String>,
    types: Vec<String>,
    custody: Vec<String>,
    nationality: Vec<String>,
    language: Vec<String>,
    represented: Vec<bool>,
    records: Vec<String>,
    hashes: Vec<String>,
}

impl Rows {
    fn of(cases: &[Case]) -> Rows {
        let n = cases.len();
        let mut r = Rows {
            ids: Vec::with_capacity(n),
            courts: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            custody: Vec::with_capacity(n),
            nationality: Vec::with_capacity(n),
            language: Vec::with_capacity(n),
            represented: Vec::with_capacity(n),
            records: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
        };
        for c in cases {
            let json = c.to_json();
            r.ids.push(c.case_id.as_str().to_string());
            r.courts.push(c.court.as_str().to_string());
            r.types.push(c.case_type.code().to_string());
            r.custody.push(c.custody.code().to_string());
            r.nationality
                .push(c.respondent.nationality.as_str().to_string());
            r.language.push(c.respondent.language.as_str().to_string());
            r.represented.push(c.counsel.is_some());
            r.hashes.push(facts_hash(&json));
            r.records.push(json);
        }
        r
    }
}

/// Loads the stored records of `ids` (missing ids are skipped), as raw contract JSON.
pub async fn records(pool: &PgPool, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query!(
        r#"SELECT case_id, record::text AS "record!" FROM cases WHERE case_id = ANY($1)"#,
        ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.case_id, r.record))
    .collect())
}
