//! The command line.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

/// docket: review a backlog of immigration court cases under a prosecutorial-discretion policy.
#[derive(Debug, Parser)]
#[command(name = "docket", version, about, after_long_help = EXIT_STATUS)]
pub struct Cli {
    /// Settings file (default: config/default.toml, or the built-in defaults).
    #[arg(long, global = true, env = "DOCKET_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes every command uses, for `--help` and the man page.
pub const EXIT_STATUS: &str = "EXIT STATUS:
  0    success
  1    an error, printed on standard error as `error: …` (bad settings, a server not
       reachable, refused input, a failed check such as `rules check`, `probe` answered
       non-2xx, nothing applied, a worker's batch not finished within its shutdown grace)
  2    the command line does not parse (unknown command or option, missing value)
  130  interrupted: a second SIGINT or SIGTERM (worker, notify, serve), or `bench` stopped by SIGINT
  143  `bench` stopped by SIGTERM (after removing its database and queues)";

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if needed and apply migrations (safe to run again).
    Migrate,
    /// Write a synthetic, plausible NDJSON backlog (the same for the same seed).
    Generate(GenerateArgs),
    /// Load an NDJSON backlog; bad lines go to a rejects file, good lines load.
    Import(ImportArgs),
    /// Manage runs.
    #[command(subcommand)]
    Run(RunCommand),
    /// Named accounts (people and services) and their roles.
    #[command(subcommand)]
    User(crate::commands::UserCommand),
    /// API tokens owned by an account.
    #[command(subcommand)]
    Token(crate::commands::TokenCommand),
    /// Publish one job per case of a run (resumable: only what the broker has not confirmed).
    Enqueue(EnqueueArgs),
    /// Consume review jobs and record outcomes until SIGTERM or Ctrl-C.
    Worker(WorkerArgs),
    /// The dead-letter queue: list refused messages, replay the ones that validate again.
    #[command(subcommand)]
    Dlq(crate::commands::DlqCommand),
    /// Progress of each run: bars, rate, ETA, decisions, offers, queue depth, dead letters.
    Status(StatusArgs),
    /// GET an http://host:port/path URL; exit 0 on a 2xx answer (container health checks).
    Probe {
        /// The URL, e.g. http://127.0.0.1:9464/readyz.
        url: String,
    },
    /// Serve the HTTP API, run progress on /metrics (read from the database), /healthz, /readyz.
    Serve(ServeArgs),
    /// The outcome of one case in a run, with every rule that fired.
    Show(ShowArgs),
    /// Check rule-set files, or run the example cases they carry.
    #[command(subcommand)]
    Rules(crate::commands::RulesCommand),
    /// Evaluate a rule set over a whole backlog without writing anything (what-if).
    Simulate(crate::commands::SimulateArgs),
    /// Audit a run by court, nationality, language, representation or custody.
    Report(crate::commands::ReportArgs),
    /// The main job end to end: migrate, generate, import, create a run, enqueue, review, report.
    Demo(DemoArgs),
    /// Print the rabbitmqctl commands that create docket's broker users (enqueue, worker,
    /// replay), each limited to the exchanges and queues it needs.
    BrokerUsers(BrokerUsersArgs),
    /// Measure the real pipeline end to end in a fresh database and fresh queues, next to the
    /// broker's own ceiling.
    Bench(BenchArgs),
    /// Attorney approval of recommended offers (or rejection with --reject).
    Approve {
        /// Which cases.
        #[command(flatten)]
        target: Target,
        /// Reject instead of approve.
        #[arg(long)]
        reject: bool,
    },
    /// Record background-check results.
    Background {
        /// Which cases.
        #[command(flatten)]
        target: Target,
        /// The check found something disqualifying.
        #[arg(long)]
        fail: bool,
    },
    /// Make the offers that are ready (sets the deadline; notifies respondent and counsel).
    Offer {
        /// Which cases.
        #[command(flatten)]
        target: Target,
    },
    /// Record the respondent's answer to an offer.
    Respond {
        /// accept or decline.
        #[arg(value_parser = ["accept", "decline"])]
        answer: String,
        /// Which cases.
        #[command(flatten)]
        target: Target,
    },
    /// Record that the judge administratively closed accepted cases.
    Close {
        /// Which cases.
        #[command(flatten)]
        target: Target,
    },
    /// Put closed cases back on the calendar.
    Recalendar {
        /// Which cases.
        #[command(flatten)]
        target: Target,
    },
    /// Expire offers past their deadline and send the reminders that are due.
    Expire(ExpireArgs),
    /// Relay the notification outbox: email to SMTP, letters to the print folder, until SIGTERM;
    /// or `notify retry`: send a run's failed notices again.
    Notify(NotifyArgs),
    /// Notices: held ones, the relay's benchmark.
    Notices {
        /// What to do.
        #[command(subcommand)]
        command: NoticesCommand,
    },
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, or write one page per command into a folder.
    Man {
        /// Folder for `docket.1`, `docket-notify-retry.1`, … (e.g. /usr/local/share/man/man1).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `docket generate` options.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of cases.
    #[arg(long, default_value_t = 20_000)]
    pub cases: usize,
    /// Random seed.
    #[arg(long, default_value_t = 2011)]
    pub seed: u64,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `docket import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The backlog file.
    pub file: PathBuf,
    /// Where rejected lines are described (default: FILE.rejects).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
}

/// `docket enqueue` options.
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    /// Run name.
    #[arg(long)]
    pub run: String,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Publish every case of the run again from the first (after a queue was purged, say);
    /// cases already reviewed keep their outcome.
    #[arg(long)]
    pub again: bool,
    /// Serve publish and confirm metrics on this address while publishing.
    #[arg(long)]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// `docket worker` options.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Consumers (channels) in this process.
    #[arg(long)]
    pub consumers: Option<usize>,
    /// Address for /metrics, /healthz and /readyz (default: metrics.listen).
    #[arg(long)]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// `docket status` options.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this run.
    #[arg(long)]
    pub run: Option<String>,
    /// Print JSON (with --watch, one JSON object per line).
    #[arg(long)]
    pub json: bool,
    /// Refresh until Ctrl-C; the rate comes from successive samples.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between refreshes with --watch.
    #[arg(long, default_value_t = 5.0, value_parser = parse_interval)]
    pub interval: f64,
}

/// `docket serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default: serve.listen).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
}

/// `docket show` options.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Run name.
    #[arg(long)]
    pub run: String,
    /// Case id.
    pub case_id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `docket broker-users` options.
#[derive(Debug, Args)]
pub struct BrokerUsersArgs {
    /// Virtual host.
    #[arg(long, default_value = "/")]
    pub vhost: String,
    /// User names are this prefix and the role (`docket-enqueue`, …).
    #[arg(long, default_value = "docket-")]
    pub prefix: String,
    /// Print a RabbitMQ definitions file instead: the users (passwords hashed, from
    /// DOCKET_<ROLE>_PASSWORD or DOCKET_<ROLE>_PASSWORD_FILE), their permissions and the
    /// exchanges, queues and bindings, for `load_definitions` or `rabbitmqctl import_definitions`.
    #[arg(long)]
    pub definitions: bool,
    /// Write the definitions to this file (mode 0644: the broker's own user reads it)
    /// instead of standard output.
    #[arg(long, requires = "definitions")]
    pub out: Option<std::path::PathBuf>,
}

/// `docket bench` options.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Cases in the generated backlog.
    #[arg(long, default_value_t = 300_000)]
    pub cases: usize,
    /// Consumers per worker process (default: worker.consumers).
    #[arg(long)]
    pub consumers: Option<usize>,
    /// Worker processes.
    #[arg(long, default_value_t = 1)]
    pub processes: usize,
    /// Cases per transaction (default: worker.batch_cases).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Prefetch per consumer (default: worker.prefetch).
    #[arg(long)]
    pub prefetch: Option<u16>,
    /// Cases per published message; 1 is the single-case form (default:
    /// enqueue.cases_per_message).
    #[arg(long)]
    pub cases_per_message: Option<usize>,
    /// Seed of the backlog.
    #[arg(long, default_value_t = 2011)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Keep the benchmark's database (its name is printed), to time other commands at this
    /// size; its queues are removed all the same.
    #[arg(long)]
    pub keep: bool,
}

/// `docket expire` options.
#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// Run name.
    #[arg(long)]
    pub run: String,
    /// Take this day as today (default: today).
    #[arg(long)]
    pub today: Option<NaiveDate>,
}

/// `docket notify [--once] [--metrics-listen ADDR]` or `docket notify retry …`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NotifyArgs {
    /// Another notify action instead of relaying.
    #[command(subcommand)]
    pub action: Option<NotifyCommand>,
    /// Send what is due now, print the counts, and exit.
    #[arg(long)]
    pub once: bool,
    /// Address for /metrics, /healthz and /readyz (default: notify.metrics_listen).
    #[arg(long)]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// `docket notify …` actions.
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Make a run's failed notices pending again (after fixing the cause); the relay sends them.
    Retry {
        /// Run name.
        #[arg(long)]
        run: String,
        /// Only notices of this kind.
        #[arg(long, value_parser = crate::notify::retry::KINDS)]
        kind: Option<String>,
        /// Only notices on this channel.
        #[arg(long, value_parser = crate::notify::retry::CHANNELS)]
        channel: Option<String>,
        /// Count what would be retried, by channel and reason; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who (recorded; default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
}

/// `docket notices …`
#[derive(Debug, Subcommand)]
pub enum NoticesCommand {
    /// List the notices held for a person, with the reason (never the name or address).
    Held {
        /// Only this run.
        #[arg(long)]
        run: Option<String>,
    },
    /// Write a day's print batches: the letters sent for that issue date in PDFs of at most 500
    /// letters, and `batches.ndjson` (page ranges, sha256 per file, closing counts).
    Batch {
        /// Issue date of the letters (the day's folder under notify.print_dir).
        #[arg(long)]
        date: NaiveDate,
    },
    /// Check the notice templates (`--dir`, else notify.templates_dir, else the shipped ones)
    /// and the office directory: names every missing template, section or unknown variable per
    /// kind and language, and every mention of asylum, VAWA, T or U visas; fails on any.
    Check {
        /// A directory of templates laid out as the repository's templates/notices.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Write one notice to look at: the respondent's letter (PDF) and email and counsel's email
    /// (text), from a sample case or a real case under a run's policy.
    Preview {
        /// Notice kind.
        #[arg(value_parser = crate::notify::retry::KINDS)]
        kind: String,
        /// The respondent's language (ISO 639-1, e.g. es, zh).
        #[arg(long)]
        lang: String,
        /// A case of the run instead of the sample case.
        #[arg(long, requires = "run")]
        case: Option<String>,
        /// The run whose policy (closure mechanism, deadline) applies.
        #[arg(long, requires = "case")]
        run: Option<String>,
        /// Where to write the files.
        #[arg(long, default_value = "out/preview")]
        out: PathBuf,
    },
    /// Relay a generated outbox in a fresh database and time it (letters with embedded fonts,
    /// emails into a pickup directory).
    Bench {
        /// Notices to queue and relay (the demo relays 88,750).
        #[arg(long, default_value_t = 88_750)]
        notices: usize,
        /// Relays side by side.
        #[arg(long, default_value_t = 1)]
        relays: usize,
        /// Rows claimed per transaction.
        #[arg(long, default_value_t = 100)]
        batch: u32,
        /// Seed of the generated cases.
        #[arg(long, default_value_t = 2011)]
        seed: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `docket run …`
#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// Create a run: store the rule set's text and hash, and fix the cases it covers.
    Create {
        /// Run name (letters, digits, '.', '_', '-').
        name: String,
        /// Rule-set file, or the name of a shipped one (`morton-2011`, `johnson-2014`, `mayorkas-2021`).
        #[arg(long, default_value = "config/rules/morton-2011.toml")]
        rules: PathBuf,
        /// Limit the run to these courts (repeatable).
        #[arg(long = "court")]
        courts: Vec<String>,
        /// Review date for ages and durations (default: the rule set's effective-from date); it
        /// must fall within the rule set's effective dates.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Accept jobs for cases that were never imported: they join the run (jobs for
        /// imported cases must still carry the imported facts).
        #[arg(long)]
        open: bool,
    },
    /// Archive a completed or cancelled run: export it as JSON lines, then drop its rows.
    Archive {
        /// Run name.
        name: String,
        /// Export file (JSON lines: the run first, then one line per outcome).
        #[arg(long)]
        to: PathBuf,
    },
    /// Pause a run: workers park its jobs unreviewed and enqueue stops, until `resume`.
    Pause(RunControl),
    /// Resume a paused or throttled run: parked jobs go back to the queue.
    Resume(RunControl),
    /// Cancel a run for good: its jobs are acknowledged without an outcome.
    Cancel(RunControl),
    /// Cap a run's review rate, all workers together.
    Throttle {
        /// Who, why, which run.
        #[command(flatten)]
        control: RunControl,
        /// Cases per second.
        #[arg(long)]
        rate: f64,
    },
    /// Set the legal status of a policy (rule-set name): a halted policy pauses its runs, makes no
    /// new offer and holds its unsent notices; `active` resumes them.
    Policy {
        /// Rule-set name (as in `[policy] name`, shown by `docket status`).
        rules: String,
        /// active, enjoined, vacated, rescinded or superseded.
        #[arg(long, value_parser = ["active", "enjoined", "vacated", "rescinded", "superseded"])]
        status: Option<String>,
        /// Cancel the notices held for this policy (never sent).
        #[arg(long, conflicts_with = "status")]
        cancel_held: bool,
        /// The rule-set file that declares this name: needed to set the status of a policy no run
        /// uses yet (its later runs start paused if it is halted).
        #[arg(long)]
        rules_file: Option<std::path::PathBuf>,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
        /// Who (recorded; default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
}

/// Which run a state change applies to, who makes it and why.
#[derive(Debug, Args)]
pub struct RunControl {
    /// Run name.
    pub name: String,
    /// Why (recorded with the change).
    #[arg(long)]
    pub reason: String,
    /// Who (recorded; default: $USER).
    #[arg(long)]
    pub by: Option<String>,
}

/// Which cases a lifecycle command applies to, who does it and why.
#[derive(Debug, Args)]
pub struct Target {
    /// Run name.
    #[arg(long)]
    pub run: String,
    /// Case ids (or --all).
    pub case_ids: Vec<String>,
    /// Every case of the run in the state the action applies to.
    #[arg(long, conflicts_with = "case_ids")]
    pub all: bool,
    /// With --all: only these courts (repeatable).
    #[arg(long = "court", requires = "all")]
    pub courts: Vec<String>,
    /// With --all: only outcomes scoring at least this.
    #[arg(long, requires = "all")]
    pub min_score: Option<i32>,
    /// Count what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Who does it (recorded with each transition; default: $USER).
    #[arg(long)]
    pub by: Option<String>,
    /// Why (recorded with each transition).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Take this day as today (deadlines count from it).
    #[arg(long)]
    pub today: Option<NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `docket demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Cases in the generated backlog (the 2011 review's scale; `--cases 20000` for a quick look).
    #[arg(long, default_value_t = 300_000)]
    pub cases: usize,
    /// Random seed of the backlog.
    #[arg(long, default_value_t = 2011)]
    pub seed: u64,
    /// Consumers of the in-process worker.
    #[arg(long)]
    pub consumers: Option<usize>,
}

fn parse_interval(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.1..=3600.0).contains(&v) => Ok(v),
        Ok(_) => Err("must be between 0.1 and 3600 seconds".into()),
        Err(e) => Err(e.to_string()),
    }
}
