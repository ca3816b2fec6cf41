//! migrate, generate, import, run create.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use sqlx::PgPool;

use crate::config::Settings;
use crate::domain::validate_run_name;
use crate::rules::{RuleSet, content_hash};
use crate::store::{self, runs::NewRun};

/// Creates the database if needed and applies migrations; returns a pool on it.
pub async fn migrate(settings: &Settings) -> Result<PgPool> {
    store::ensure_database(&settings.database).await?;
    let pool = store::connect(&settings.database).await?;
    store::migrate(&pool).await?;
    Ok(pool)
}

/// Writes a generated backlog to `out` or stdout.
pub fn generate(cases: usize, seed: u64, out: Option<&Path>) -> Result<usize> {
    let written = match out {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut w = BufWriter::new(file);
            let n = crate::generate::write_ndjson(&mut w, cases, seed)?;
            w.flush()?;
            n
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            let n = crate::generate::write_ndjson(&mut w, cases, seed)?;
            w.flush()?;
            n
        }
    };
    Ok(written)
}

/// Imports a backlog file; prints the summary; returns it.
pub async fn import(
    pool: &PgPool,
    file: &Path,
    rejects: Option<&Path>,
) -> Result<crate::import::ImportSummary> {
    let input = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let rejects_path = rejects
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(format!("{}.rejects", file.display())));
    // Rejected lines quote no values, but their line numbers point into a file of personal data.
    let out = crate::files::Access::default()
        .create_file(&rejects_path)
        .with_context(|| format!("cannot create {}", rejects_path.display()))?;
    let summary = crate::import::import(
        pool,
        BufReader::with_capacity(1 << 20, input),
        BufWriter::new(out),
    )
    .await?;
    let c = summary.counts;
    println!(
        "imported {}: {} lines, {} new, {} updated, {} unchanged, {} rejected{}",
        file.display(),
        summary.lines,
        c.inserted,
        c.updated,
        c.unchanged,
        summary.rejected,
        if summary.rejected > 0 {
            format!(" (see {})", rejects_path.display())
        } else {
            String::new()
        }
    );
    if summary.rejected == 0 {
        std::fs::remove_file(&rejects_path).ok();
    }
    Ok(summary)
}

/// Reads a rule-set file, falling back to the bundled default for its usual path. A bare name
/// that is no file (`mayorkas-2021`) names a shipped rule set ([`super::SHIPPED_RULES`]).
pub fn read_rules(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(_) if path == Path::new(super::DEFAULT_RULES_PATH) => {
            Ok(super::DEFAULT_RULES.to_string())
        }
        Err(e) => match shipped_rules(path) {
            Some(text) => Ok(text.to_string()),
            None if path.components().count() == 1 && path.extension().is_none() => {
                let names: Vec<&str> = super::SHIPPED_RULES.iter().map(|(n, _)| *n).collect();
                anyhow::bail!(
                    "no rule set file {} and no shipped rule set of that name (shipped: {})",
                    path.display(),
                    names.join(", ")
                )
            }
            None => Err(e).with_context(|| format!("cannot read rule set {}", path.display())),
        },
    }
}

/// The shipped rule set that the bare name `path` names, if any.
fn shipped_rules(path: &Path) -> Option<&'static str> {
    let name = path.to_str()?;
    super::SHIPPED_RULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// Creates a run with the rule set at `rules`; prints and returns (run id, members).
pub async fn run_create(
    pool: &PgPool,
    name: &str,
    rules: &Path,
    courts: &[String],
    as_of: Option<NaiveDate>,
) -> Result<(i64, u64)> {
    run_create_with(pool, name, rules, courts, as_of, false).await
}

/// [`run_create`], and with `open` a run that jobs may bring new cases into: a job whose case
/// was never imported joins the run (its record is stored) and is reviewed. Jobs for imported
/// cases must still carry the imported facts.
pub async fn run_create_with(
    pool: &PgPool,
    name: &str,
    rules: &Path,
    courts: &[String],
    as_of: Option<NaiveDate>,
    open: bool,
) -> Result<(i64, u64)> {
    if let Err(reason) = validate_run_name(name) {
        bail!("run name {reason}");
    }
    let text = read_rules(rules)?;
    let rule_set = RuleSet::from_toml(&text)
        .with_context(|| format!("rule set {} does not load", rules.display()))?;
    // The review date must fall in the policy's effective dates; its status now does not matter
    // (a run may replay a review under a policy long superseded).
    let as_of = as_of.unwrap_or_else(|| rule_set.effective().from);
    if !rule_set.effective().covers(as_of) {
        bail!(
            "as_of: {as_of} is outside the effective dates of rule set {}@{} ({}): a run reviews \
             cases as of a day its policy was in force; give --as-of within those dates",
            rule_set.name(),
            rule_set.version(),
            rule_set.effective()
        );
    }
    let courts: Vec<String> = courts.iter().map(|c| c.trim().to_uppercase()).collect();
    let hash = content_hash(&text);
    let created_by = std::env::var("USER").unwrap_or_else(|_| "docket".into());
    let (run, members) = store::runs::create(
        pool,
        &NewRun {
            name,
            rules_name: rule_set.name(),
            rules_version: rule_set.version(),
            rules_hash: &hash,
            rules_text: &text,
            as_of,
            courts: (!courts.is_empty()).then_some(courts.as_slice()),
            created_by: &created_by,
            open,
        },
    )
    .await?;
    println!(
        "created run {} with {} cases, rules {}@{} (sha256 {}), as of {}",
        run.name,
        members,
        rule_set.name(),
        rule_set.version(),
        &hash[..12],
        as_of
    );
    if open {
        println!(
            "run {} is open: jobs for cases that were never imported join it",
            run.name
        );
    }
    if let Some(h) = store::policy_status::halt_of_run(pool, run.id).await? {
        println!(
            "run {} is paused: its policy {} is {} ({}); it resumes when the policy is made \
             active again (docket run policy {} --status active --reason WHY)",
            run.name, h.rules_name, h.status, h.reason, h.rules_name
        );
    }
    Ok((run.id, members))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::read_rules;

    #[test]
    fn a_shipped_rule_set_is_found_by_its_name_and_an_unknown_name_lists_them() {
        let text = read_rules(Path::new("mayorkas-2021")).unwrap();
        let rules = crate::rules::RuleSet::from_toml(&text).unwrap();
        assert_eq!(rules.name(), "mayorkas-2021");
        let err = read_rules(Path::new("mayorkas-2099"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mayorkas-2099") && err.contains("johnson-2014"),
            "{err}"
        );
        let err = format!("{:#}", read_rules(Path::new("no/such.toml")).unwrap_err());
        assert!(err.contains("cannot read rule set no/such.toml"), "{err}");
    }
}
