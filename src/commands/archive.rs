//! `docket run archive NAME --to FILE`: a completed or cancelled run exported as JSON lines (the
//! run and its policy first, then one line per outcome with its offer and transitions), then every
//! row of the run dropped, in one transaction that commits only once the file is on disk.
//!
//! Outcomes store the ids of the rules that fired; the export writes each outcome's rules with
//! their reasons in words as well (`fired`, rebuilt from the run's rule set as `show` does), so a
//! reader of the file needs neither docket nor the rule-set format to see why a case was decided.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sqlx::PgPool;

use crate::domain::Decision;
use crate::rules::{EvalContext, RuleSet};
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
    let explainer = Explainer::of(&header)?;
    let outcomes = archive::outcomes(&mut tx, run_id, |line| {
        writeln!(
            out,
            "{}",
            explainer.line(line).map_err(std::io::Error::other)?
        )
    })
    .await?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(partial, to).with_context(|| format!("--to: cannot write {}", to.display()))?;
    archive::drop_run(&mut tx, run_id).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Writes out the reasons of an outcome line from the run's rule set and review date.
struct Explainer {
    rules: RuleSet,
    ctx: EvalContext,
}

impl Explainer {
    /// From the archive's first line (the run, with its rule set's text, as-of date and courts).
    fn of(header: &str) -> Result<Self> {
        let v: serde_json::Value = serde_json::from_str(header).context("archive header")?;
        let run = &v["run"];
        let text = run["rules_text"]
            .as_str()
            .context("archive header: no rules_text")?;
        let rules = RuleSet::from_toml(text).context("the run's rule set")?;
        let as_of = run["as_of"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .context("archive header: no as_of")?;
        let courts =
            serde_json::from_value(run["courts"].clone()).context("archive header: courts")?;
        Ok(Self {
            rules,
            ctx: EvalContext { as_of, courts },
        })
    }

    /// `line` with `fired` filled in when the row stored only `fired_ids` (rows written before
    /// outcomes were slimmed carry their reasons already and pass through unchanged).
    fn line(&self, line: &str) -> Result<String, String> {
        let mut v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("outcome line: {e}"))?;
        if !v["fired"].is_null() {
            return Ok(line.to_string());
        }
        let decision: Decision = v["decision"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .ok_or("outcome line: no decision")?;
        let score = v["score"].as_i64().and_then(|s| i32::try_from(s).ok());
        let fired_ids = v["fired_ids"]
            .as_str()
            .ok_or("outcome line: no fired_ids")?;
        let evaluation = self
            .rules
            .explain(decision, score.unwrap_or(0), fired_ids, &self.ctx)
            .map_err(|e| format!("case {}: {e}", v["case_id"]))?;
        v["fired"] = serde_json::to_value(evaluation.fired).map_err(|e| e.to_string())?;
        Ok(v.to_string())
    }
}
