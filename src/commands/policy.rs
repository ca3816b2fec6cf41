//! rules check, rules test, simulate and report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::setup::read_rules;
use crate::config::Settings;
use crate::domain::Decision;
use crate::policy::simulate::{self, Input, Simulation};
use crate::policy::{Dimension, plot, render, report};
use crate::rules::{EvalContext, RuleSet, Status, overlaps, stale_status};
use crate::store;

/// `docket rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check rule-set files: every mistake with its line, and effective dates that overlap between
    /// the files given. Exits non-zero on any mistake.
    Check {
        /// Rule-set files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the example cases of rule-set files; print a diff for each that fails.
    Test {
        /// Rule-set files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `docket simulate` options.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The rule set to try.
    #[arg(long)]
    pub rules: PathBuf,
    /// Evaluate the cases of this run and compare with its recorded decisions.
    #[arg(long, required_unless_present = "cases", conflicts_with = "cases")]
    pub run: Option<String>,
    /// Evaluate the cases of this NDJSON backlog.
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// Review date (default: the run's, or the rule set's effective-from date).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Output formats of `docket report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned columns.
    Table,
    /// Comma-separated values, header first, totals last.
    Csv,
    /// JSON.
    Json,
}

/// `docket report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run name.
    #[arg(long)]
    pub run: String,
    /// Group by.
    #[arg(long, value_enum, default_value_t = Dimension::Court)]
    pub by: Dimension,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Also write an SVG bar chart of the offer rate per group to this file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Checks each file; prints every mistake as `FILE:LINE: key: message`. Fails if any.
pub fn rules_check(files: &[PathBuf]) -> Result<()> {
    let mut mistakes = 0;
    let mut loaded = Vec::new();
    for file in files {
        let text = read_rules(file)?;
        match RuleSet::check(&text) {
            Ok(set) => loaded.push((file, set)),
            Err(errors) => {
                mistakes += errors.len();
                for e in errors {
                    let line = e.line.map(|l| format!("{l}:")).unwrap_or_default();
                    println!("{}:{line} {}: {}", file.display(), e.path, e.message);
                }
            }
        }
    }
    let sets: Vec<&RuleSet> = loaded.iter().map(|(_, s)| s).collect();
    let clashes = overlaps(&sets);
    for (i, e) in &clashes {
        let line = e.line.map(|l| format!("{l}:")).unwrap_or_default();
        println!(
            "{}:{line} {}: {}",
            loaded[*i].0.display(),
            e.path,
            e.message
        );
    }
    mistakes += clashes.len();
    let today = chrono::Utc::now().date_naive();
    for (file, set) in &loaded {
        if let Some(e) = stale_status(set, today) {
            mistakes += 1;
            println!("{}: {}: {}", file.display(), e.path, e.message);
        }
    }
    for (file, set) in &loaded {
        println!("{}: {}", file.display(), listing(set));
    }
    if mistakes > 0 {
        bail!("{mistakes} mistake(s) in the rule sets");
    }
    Ok(())
}

/// One rule set as `rules check` lists it: the dates a run may review cases as of (what `run
/// create` judges by), then the policy's status now, which does not decide that.
pub fn listing(set: &RuleSet) -> String {
    let status = match (set.status(), set.superseded_by()) {
        (Status::Superseded, Some(by)) => format!("superseded by {by}"),
        (s, _) => s.as_str().to_string(),
    };
    format!(
        "{}@{}, in force {} (runs review as of these days), status now {status}, {} examples",
        set.name(),
        set.version(),
        set.effective(),
        set.examples().len()
    )
}

/// Runs every file's examples; prints each failure with its diff. Fails if any fails.
pub fn rules_test(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for file in files {
        let text = read_rules(file)?;
        let set = RuleSet::from_toml(&text)
            .with_context(|| format!("rule set {} does not load", file.display()))?;
        let results = set.run_examples();
        if results.is_empty() {
            println!("{}: no examples", file.display());
            failed += 1;
        }
        for r in results.iter().filter(|r| !r.passed()) {
            failed += 1;
            println!("FAIL {}:{}: {}", file.display(), r.line, r.name);
            for d in &r.diff {
                println!("    {d}");
            }
        }
        let passed = results.iter().filter(|r| r.passed()).count();
        println!(
            "{}: {passed} of {} examples pass",
            file.display(),
            results.len()
        );
    }
    if failed > 0 {
        bail!("{failed} example(s) failed");
    }
    Ok(())
}

/// Simulates a rule set over a run or an NDJSON backlog; prints the result and returns it.
pub async fn simulate(settings: &Settings, args: &SimulateArgs) -> Result<Simulation> {
    let text = read_rules(&args.rules)?;
    let rules = RuleSet::from_toml(&text)
        .with_context(|| format!("rule set {} does not load", args.rules.display()))?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let (sim, ctx, source) = if let Some(run) = &args.run {
        let pool = store::connect(&settings.database).await?;
        let r = store::runs::get(&pool, run).await?;
        let rows = run_records(&pool, r.id).await?;
        pool.close().await;
        let inputs: Vec<Input<'_>> = rows
            .iter()
            .map(|(record, decision)| Input {
                record: record.as_bytes(),
                recorded: decision.as_deref().and_then(|d| d.parse::<Decision>().ok()),
            })
            .collect();
        let ctx = EvalContext {
            as_of: args.as_of.unwrap_or(r.as_of),
            courts: r.courts,
        };
        let sim = simulate::simulate(&rules, &ctx, &inputs, true, threads);
        let source = format!("run {run} ({}@{})", r.rules_name, r.rules_version);
        (sim, ctx, source)
    } else {
        let path = args
            .cases
            .as_deref()
            .expect("clap requires --run or --cases");
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let ctx = EvalContext::new(args.as_of.unwrap_or(rules.effective().from));
        let sim = simulate::simulate(
            &rules,
            &ctx,
            &simulate::ndjson_inputs(&bytes),
            false,
            threads,
        );
        (sim, ctx, path.display().to_string())
    };
    let seconds = start.elapsed().as_secs_f64();
    if args.json {
        if let Some(note) = simulate::outside_effective_dates(&rules, ctx.as_of) {
            eprintln!("{note}");
        }
        println!("{}", serde_json::to_string_pretty(&sim)?);
    } else {
        println!("{}", simulate::heading(&rules, ctx.as_of, &source));
        println!("({seconds:.2} s on {threads} threads)");
        print!("{}", render::text(&sim));
    }
    Ok(sim)
}

/// Every case record of a run with its recorded decision (None: not reviewed), in no order (sorting
/// 300,000 rows costs seconds and the simulation does not depend on order).
async fn run_records(
    pool: &sqlx::PgPool,
    run_id: i64,
) -> Result<Vec<(String, Option<String>)>, store::StoreError> {
    Ok(sqlx::query_as(
        "SELECT c.record::text, o.decision
         FROM run_cases rc
         JOIN cases c USING (case_id)
         LEFT JOIN outcomes o ON o.run_id = rc.run_id AND o.case_id = rc.case_id
         WHERE rc.run_id = $1",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await?)
}

/// Prints a run's report (and writes the plot); returns it.
pub async fn report(settings: &Settings, args: &ReportArgs) -> Result<report::Report> {
    let pool = store::connect(&settings.database).await?;
    let rep = report::load(&pool, &args.run, args.by).await?;
    pool.close().await;
    match args.format {
        ReportFormat::Table => print!("{}", report::table(&rep)),
        ReportFormat::Csv => print!("{}", report::csv(&rep)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&rep)?),
    }
    if let Some(path) = &args.plot {
        write_plot(&rep, path)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(rep)
}

/// Writes the offer rate per group of `rep` as an SVG bar chart.
pub fn write_plot(rep: &report::Report, path: &Path) -> Result<()> {
    let bars: Vec<plot::Bar> = rep
        .rows
        .iter()
        .map(|r| (r.group.clone(), r.offer_rate))
        .collect();
    let title = format!("Offer rate by {} — run {}", rep.by.as_str(), rep.run);
    let svg = plot::svg(&title, rep.by.as_str(), &bars, rep.total.offer_rate);
    std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))
}
