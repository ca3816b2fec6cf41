//! rules check, rules test, simulate and report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::setup::read_rules;
use crate::config::Settings;
use crate::policy::simulate::{self, Simulation};
use crate::policy::{Dimension, plot, render, report, stream};
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
    /// The rule set to try: a file, or a shipped rule set's name (`mayorkas-2021`).
    #[arg(long)]
    pub rules: PathBuf,
    /// Evaluate the cases of this run and compare with its recorded decisions.
    #[arg(long, required_unless_present = "cases", conflicts_with = "cases")]
    pub run: Option<String>,
    /// Evaluate the cases of this NDJSON backlog, streamed (any size, in flat memory).
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// With --cases: also evaluate under this rule set and print the transition matrix from
    /// --rules' decision (rows) to this one's (columns), and both offer rates per group. Each is
    /// judged as of its own effective-from date unless --as-of is given.
    #[arg(long, requires = "cases")]
    pub against: Option<PathBuf>,
    /// With --cases: a benchmark. Simulate the file this many times and print each pass's wall
    /// time, the peak memory of the process and the load average, instead of the result.
    #[arg(long, requires = "cases", value_name = "PASSES")]
    pub bench: Option<u32>,
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
    /// A two-way breakdown: within each group of --by, group again by this (`--by court --then
    /// representation`; `--then relief` shows where offers went to cases with a petition on record).
    #[arg(long, value_enum)]
    pub then: Option<Dimension>,
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

/// Simulates a rule set over a run or an NDJSON backlog; prints the result and returns it. With
/// `--bench`, prints the benchmark instead and returns the last pass's result.
pub async fn simulate(settings: &Settings, args: &SimulateArgs) -> Result<Simulation> {
    let rules = load_rules(&args.rules)?;
    let against = args.against.as_deref().map(load_rules).transpose()?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let (sim, ctx, source) = if let Some(run) = &args.run {
        simulate_run(settings, &rules, run, args.as_of, threads).await?
    } else {
        let path = args
            .cases
            .as_deref()
            .expect("clap requires --run or --cases");
        let file = FileSimulation {
            path,
            rules: &rules,
            ctx: EvalContext::new(args.as_of.unwrap_or(rules.effective().from)),
            against: against
                .as_ref()
                .map(|b| (b, EvalContext::new(stream::against_as_of(b, args.as_of)))),
            threads,
        };
        if let Some(passes) = args.bench {
            return super::simulate_bench::run(&file, passes);
        }
        let sim = file.run()?;
        (sim, file.ctx, path.display().to_string())
    };
    let seconds = start.elapsed().as_secs_f64();
    let against_note = against
        .as_ref()
        .zip(sim.against.as_ref())
        .and_then(|(b, a)| simulate::outside_effective_dates(b, a.as_of));
    if args.json {
        let notes = simulate::outside_effective_dates(&rules, ctx.as_of);
        for note in notes.iter().chain(&against_note) {
            eprintln!("{note}");
        }
        println!("{}", serde_json::to_string_pretty(&sim)?);
    } else {
        println!("{}", simulate::heading(&rules, ctx.as_of, &source));
        if let Some(a) = &sim.against {
            println!("against {} as of {}", a.rules, a.as_of);
        }
        if let Some(note) = &against_note {
            println!("{note}");
        }
        println!("({seconds:.2} s on {threads} threads)");
        print!("{}", render::text(&sim));
    }
    Ok(sim)
}

/// Loads a rule-set file.
fn load_rules(path: &Path) -> Result<RuleSet> {
    let text = read_rules(path)?;
    RuleSet::from_toml(&text).with_context(|| format!("rule set {} does not load", path.display()))
}

/// A simulation of a backlog file, ready to run (again, for a benchmark).
pub(crate) struct FileSimulation<'a> {
    /// The NDJSON backlog.
    pub path: &'a Path,
    /// The rule set.
    pub rules: &'a RuleSet,
    /// Its context.
    pub ctx: EvalContext,
    /// The second rule set of a comparison, with its context.
    pub against: Option<(&'a RuleSet, EvalContext)>,
    /// Evaluating threads.
    pub threads: usize,
}

impl FileSimulation<'_> {
    /// Streams the file through the simulation.
    pub fn run(&self) -> Result<Simulation> {
        let file = std::fs::File::open(self.path)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        let against = self
            .against
            .as_ref()
            .map(|(rules, ctx)| stream::Comparison { rules, ctx });
        stream::simulate_ndjson(file, self.rules, &self.ctx, against, self.threads)
            .with_context(|| format!("cannot read {}", self.path.display()))
    }
}

/// Simulates `rules` over the cases of run `run` against its recorded decisions.
async fn simulate_run(
    settings: &Settings,
    rules: &RuleSet,
    run: &str,
    as_of: Option<chrono::NaiveDate>,
    threads: usize,
) -> Result<(Simulation, EvalContext, String)> {
    let pool = store::connect(&settings.database).await?;
    let out = crate::policy::what_if::against_run(&pool, rules, run, as_of, threads).await;
    pool.close().await;
    Ok(out?)
}

/// Prints a run's report (and writes the plot); returns it.
pub async fn report(settings: &Settings, args: &ReportArgs) -> Result<report::Report> {
    let pool = store::connect(&settings.database).await?;
    let rep = match args.then {
        Some(then) => report::load_two_way(&pool, &args.run, args.by, then).await?,
        None => report::load(&pool, &args.run, args.by).await?,
    };
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

/// Writes the offer rate per group of `rep` as an SVG chart, sorted by rate, with each group's
/// interval and number of cases in scope.
pub fn write_plot(rep: &report::Report, path: &Path) -> Result<()> {
    let groups: Vec<plot::Group> = rep
        .rows
        .iter()
        .map(|r| plot::Group {
            label: r.group.clone(),
            rate: r.offer_rate,
            low: r.offer_low,
            high: r.offer_high,
            n: r.in_scope,
        })
        .collect();
    let grouping = report::grouping(rep);
    let title = format!("Offer rate by {grouping} — run {}", rep.run);
    let svg = plot::chart(&title, &grouping, &groups, rep.total.offer_rate);
    std::fs::write(path, svg).with_context(|| format!("cannot write {}", path.display()))
}
