//! The command line.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

/// docket: review a backlog of immigration court cases under a prosecutorial-discretion policy.
#[derive(Debug, Parser)]
#[command(name = "docket", version, about)]
pub struct Cli {
    /// Settings file (default: config/default.toml, or the built-in defaults).
    #[arg(long, global = true, env = "DOCKET_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if needed and apply migrations (safe to run again).
    Migrate,
    /// Write a synthetic, plausible NDJSON backlog (the same for the same seed).
    Generate {
        /// Number of cases.
        #[arg(long, default_value_t = 20_000)]
        cases: usize,
        /// Random seed.
        #[arg(long, default_value_t = 2011)]
        seed: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load an NDJSON backlog; bad lines go to a rejects file, good lines load.
    Import {
        /// The backlog file.
        file: PathBuf,
        /// Where rejected lines are described (default: FILE.rejects).
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Manage runs.
    #[command(subcommand)]
    Run(RunCommand),
    /// Publish one job per case of a run (resumable: only what the broker has not confirmed).
    Enqueue {
        /// Run name.
        #[arg(long)]
        run: String,
        /// Do not draw a progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Consume review jobs and record outcomes until SIGTERM or Ctrl-C.
    Worker {
        /// Consumers (channels) in this process.
        #[arg(long)]
        consumers: Option<usize>,
        /// Address for /metrics, /healthz and /readyz (default: metrics.listen).
        #[arg(long)]
        metrics_listen: Option<std::net::SocketAddr>,
    },
    /// Progress of each run: total, published, reviewed, decisions, queue depth, dead letters.
    Status {
        /// Only this run.
        #[arg(long)]
        run: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The outcome of one case in a run, with every rule that fired.
    Show {
        /// Run name.
        #[arg(long)]
        run: String,
        /// Case id.
        case_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check rule-set files, or run the example cases they carry.
    #[command(subcommand)]
    Rules(crate::commands::RulesCommand),
    /// Evaluate a rule set over a whole backlog without writing anything (what-if).
    Simulate(crate::commands::SimulateArgs),
    /// Audit a run by court, nationality, language, representation or custody.
    Report(crate::commands::ReportArgs),
    /// The main job end to end: migrate, generate, import, create a run, enqueue, review, report.
    Demo(DemoArgs),
}

/// `docket run …`
#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// Create a run: store the rule set's text and hash, and fix the cases it covers.
    Create {
        /// Run name (letters, digits, '.', '_', '-').
        name: String,
        /// Rule-set file.
        #[arg(long, default_value = "config/rules/morton-2011.toml")]
        rules: PathBuf,
        /// Limit the run to these courts (repeatable).
        #[arg(long = "court")]
        courts: Vec<String>,
        /// Review date for ages and durations (default: the rule set's effective-from date).
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
}

/// `docket demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Cases in the generated backlog.
    #[arg(long, default_value_t = 20_000)]
    pub cases: usize,
    /// Random seed of the backlog.
    #[arg(long, default_value_t = 2011)]
    pub seed: u64,
    /// Consumers of the in-process worker.
    #[arg(long)]
    pub consumers: Option<usize>,
}
