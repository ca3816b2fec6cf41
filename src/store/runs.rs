//! The `runs` and `run_cases` tables: a run, its stored policy and its membership (publish
//! progress is in [`super::publishes`]).

use chrono::NaiveDate;
use sqlx::PgPool;

use super::StoreError;

/// A run as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Run {
    /// Database id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Rule-set name.
    pub rules_name: String,
    /// Rule-set version.
    pub rules_version: String,
    /// sha256 of the rule-set text.
    pub rules_hash: String,
    /// The rule-set text exactly as read when the run was created.
    pub rules_text: String,
    /// Review date.
    pub as_of: NaiveDate,
    /// Courts the run is limited to, if any.
    pub courts: Option<Vec<String>>,
    /// Whether jobs may bring cases that were never imported into the run.
    pub open: bool,
}

/// What a new run is made of.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// Unique name.
    pub name: &'a str,
    /// Rule-set name.
    pub rules_name: &'a str,
    /// Rule-set version.
    pub rules_version: &'a str,
    /// sha256 of the text.
    pub rules_hash: &'a str,
    /// The text.
    pub rules_text: &'a str,
    /// Review date.
    pub as_of: NaiveDate,
    /// Courts, or all.
    pub courts: Option<&'a [String]>,
    /// Who created it.
    pub created_by: &'a str,
    /// Whether jobs may bring new cases into the run (see [`Run::open`]).
    pub open: bool,
}

/// Creates a run and fixes its membership (the imported cases of its courts), in one transaction,
/// with partitions of its own for its members and outcomes (see [`super::partitions`]). Members
/// are numbered in the order the cases are read, which is their order on disk, so that
/// enqueue reads records sequentially. The run starts `active`, or `paused` while its policy is
/// halted (see [`super::policy_status::start_new_run`]). Returns the run and the number of cases
/// in it.
pub async fn create(pool: &PgPool, new: &NewRun<'_>) -> Result<(Run, u64), StoreError> {
    let mut tx = pool.begin().await?;
    let run = sqlx::query_as!(
        Run,
        r#"
        INSERT INTO runs (name, rules_name, rules_version, rules_hash, rules_text, as_of, courts,
                          created_by, open)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (name) DO NOTHING
        RETURNING id, name, rules_name, rules_version, rules_hash, rules_text, as_of, courts, open
        "#,
        new.name,
        new.rules_name,
        new.rules_version,
        new.rules_hash,
        new.rules_text,
        new.as_of,
        new.courts,
        new.created_by,
        new.open
    )
    .fetch_optional(&mut *tx)
    .await?;
    let run = run.ok_or_else(|| StoreError::RunExists(new.name.to_string()))?;
    // Under a halted policy the run starts paused, as the halt left the policy's other runs.
    super::policy_status::start_new_run(&mut tx, run.id, new.created_by).await?;
    let members = super::partitions::fill_members(&mut tx, run.id, new.courts).await?;
    sqlx::query!(
        "UPDATE runs SET total_cases = $2 WHERE id = $1",
        run.id,
        members as i64
    )
    .execute(&mut *tx)
    .await?;
    // Last: it locks `outcomes` until the commit.
    super::partitions::create_outcomes(&mut tx, run.id).await?;
    tx.commit().await?;
    Ok((run, members))
}

/// Finds a run by name.
pub async fn find(pool: &PgPool, name: &str) -> Result<Option<Run>, StoreError> {
    Ok(sqlx::query_as!(
        Run,
        "SELECT id, name, rules_name, rules_version, rules_hash, rules_text, as_of, courts, open \
         FROM runs WHERE name = $1",
        name
    )
    .fetch_optional(pool)
    .await?)
}

/// Finds a run by name or fails with [`StoreError::UnknownRun`].
pub async fn get(pool: &PgPool, name: &str) -> Result<Run, StoreError> {
    find(pool, name)
        .await?
        .ok_or_else(|| StoreError::UnknownRun(name.to_string()))
}

/// Names of every run, oldest first.
pub async fn names(pool: &PgPool) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar!("SELECT name FROM runs ORDER BY id")
        .fetch_all(pool)
        .await?)
}
