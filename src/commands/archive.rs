//! `docket run archive NAME --to FILE`: a completed or cancelled run exported as JSON lines (the
//! run and its policy first, then one line per outcome with its offer and transitions), then every
//! row of the run dropped, in one transaction that commits only once the file is on disk.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sqlx::PgPool;

use crate::store::archive;

/// Archives the run `name` to `to` and drops its rows; prints what it did.
pub async fn run_archive(pool: &PgPool, name: &str, to: &Path) -> Result<()> {
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let result = export_and_drop(pool, name, to, &partial).await;
    if result.is_err() {
        std::fs::remove_file(&partial).ok();
    }
    let outcomes = result?;
    println!(
        "run {name}: {outcomes} outcome(s) archived to {}; the run's rows are dropped",
        to.display()
    );
    Ok(())
}

async fn export_and_drop(pool: &PgPool, name: &str, to: &Path, partial: &Path) -> Result<u64> {
    let mut tx = pool.begin().await?;
    let (run_id, header) = archive::begin(&mut tx, name).await?;
    // Outcomes hold no personal data, but the offers' transitions may name officers.
    let file = crate::files::Access::default()
        .create_file(partial)
        .with_context(|| format!("--to: cannot create {}", partial.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{header}")?;
    let outcomes = archive::outcomes(&mut tx, run_id, |line| writeln!(out, "{line}")).await?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(partial, to).with_context(|| format!("--to: cannot write {}", to.display()))?;
    archive::drop_run(&mut tx, run_id).await?;
    tx.commit().await?;
    Ok(outcomes)
}
