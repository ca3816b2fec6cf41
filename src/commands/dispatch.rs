//! From a parsed command line to the command's own `run`: each command's arguments own how the
//! command runs, and [`Command::run`] only picks the one to call.

use anyhow::Result;
use sqlx::PgPool;

use crate::cli::{
    BenchArgs, BrokerUsersArgs, Command, EnqueueArgs, ExpireArgs, GenerateArgs, ImportArgs,
    NotifyArgs, RunCommand, ServeArgs, ShowArgs, StatusArgs, Target, WorkerArgs,
};
use crate::config::Settings;
use crate::domain::Action;

impl Command {
    /// Whether the command needs nothing but the command line: no settings, no logging (a health
    /// check must be cheap and quiet; completions and man pages come from the parser alone).
    pub fn needs_settings(&self) -> bool {
        !matches!(
            self,
            Command::Probe { .. } | Command::Completions { .. } | Command::Man { .. }
        )
    }

    /// Whether the command talks to the broker (and so must pass the guest-login check).
    pub fn uses_broker(&self) -> bool {
        !matches!(
            self,
            Command::Generate(_) | Command::Rules(_) | Command::BrokerUsers(_)
        )
    }

    /// Runs a command that needs no settings (see [`Command::needs_settings`]).
    pub async fn run_bare(self) -> Result<()> {
        match self {
            Command::Probe { url } => {
                let (status, _) =
                    crate::probe::get(&url, std::time::Duration::from_secs(3)).await?;
                anyhow::ensure!((200..300).contains(&status), "{url} answered {status}");
            }
            Command::Completions { shell } => super::completions(shell, &mut std::io::stdout()),
            Command::Man { out } => super::man(out.as_deref(), &mut std::io::stdout())?,
            _ => unreachable!("only commands without settings run bare"),
        }
        Ok(())
    }

    /// Runs the command with the loaded settings.
    pub async fn run(self, settings: Settings) -> Result<()> {
        match self {
            Command::Migrate => {
                super::migrate(&settings).await?;
                println!("database migrated");
            }
            Command::Generate(a) => a.run()?,
            Command::Import(a) => a.run(&settings).await?,
            Command::Run(rc) => rc.run(&settings).await?,
            Command::User(cmd) => super::user(&connect(&settings).await?, &cmd).await?,
            Command::Token(cmd) => super::token(&connect(&settings).await?, &cmd).await?,
            Command::Enqueue(a) => a.run(&settings).await?,
            Command::Worker(a) => a.run(settings).await?,
            Command::Dlq(cmd) => super::dlq(&settings, &cmd).await?,
            Command::Status(a) => a.run(&settings).await?,
            Command::Serve(a) => a.run(&settings).await?,
            Command::Show(a) => a.run(&settings).await?,
            Command::Rules(super::RulesCommand::Check { files }) => super::rules_check(&files)?,
            Command::Rules(super::RulesCommand::Test { files }) => super::rules_test(&files)?,
            Command::Simulate(args) => {
                super::simulate(&settings, &args).await?;
            }
            Command::Report(args) => {
                super::report(&settings, &args).await?;
            }
            Command::Demo(args) => super::demo(settings, &args).await?,
            Command::BrokerUsers(a) => a.run(&settings)?,
            Command::Bench(a) => a.run(&settings).await?,
            Command::Approve { target, reject } => {
                let action = if reject {
                    Action::Reject
                } else {
                    Action::Approve
                };
                lifecycle(&settings, action, &target).await?;
            }
            Command::Background { target, fail } => {
                let action = if fail {
                    Action::FailBackground
                } else {
                    Action::ClearBackground
                };
                lifecycle(&settings, action, &target).await?;
            }
            Command::Offer { target } => lifecycle(&settings, Action::Offer, &target).await?,
            Command::Respond { answer, target } => {
                let action = if answer == "accept" {
                    Action::Accept
                } else {
                    Action::Decline
                };
                lifecycle(&settings, action, &target).await?;
            }
            Command::Close { target } => lifecycle(&settings, Action::Close, &target).await?,
            Command::Recalendar { target } => {
                lifecycle(&settings, Action::Recalendar, &target).await?;
            }
            Command::Expire(a) => a.run(&settings).await?,
            Command::Notify(a) => a.run(settings).await?,
            Command::Notices { command } => super::notices(&settings, command).await?,
            bare @ (Command::Probe { .. } | Command::Completions { .. } | Command::Man { .. }) => {
                bare.run_bare().await?;
            }
        }
        Ok(())
    }
}

/// A pool on the configured database, refusing to go on when its schema is behind this build.
pub async fn connect(settings: &Settings) -> Result<PgPool> {
    let pool = crate::store::connect(&settings.database).await?;
    crate::store::check_schema(&pool).await?;
    Ok(pool)
}

async fn lifecycle(settings: &Settings, action: Action, target: &Target) -> Result<()> {
    let pool = connect(settings).await?;
    let report = super::act(&pool, action, target).await?;
    if !report.dry_run && report.outcome.applied.is_empty() && !report.outcome.refused.is_empty() {
        anyhow::bail!("nothing applied");
    }
    Ok(())
}

impl GenerateArgs {
    /// Writes the backlog; says where when it went to a file.
    pub fn run(self) -> Result<()> {
        let n = super::generate(self.cases, self.seed, self.out.as_deref())?;
        if let Some(path) = self.out {
            println!("wrote {n} cases to {}", path.display());
        }
        Ok(())
    }
}

impl ImportArgs {
    /// Loads the backlog file.
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let pool = connect(settings).await?;
        super::import(&pool, &self.file, self.rejects.as_deref()).await?;
        Ok(())
    }
}

impl RunCommand {
    /// Creates a run, or changes a run's state.
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let pool = connect(settings).await?;
        match self {
            RunCommand::Create {
                name,
                rules,
                courts,
                as_of,
                open,
            } => {
                super::run_create_with(&pool, &name, &rules, &courts, as_of, open).await?;
                Ok(())
            }
            RunCommand::Archive { name, to } => super::run_archive(&pool, &name, &to).await,
            rc => super::run_control(&pool, rc).await,
        }
    }
}

impl EnqueueArgs {
    /// Publishes the run's jobs (from the first case again with `--again`).
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let pool = connect(settings).await?;
        if self.again {
            super::publish_again(&pool, &self.run).await?;
        }
        super::enqueue(settings, &pool, &self.run, self.quiet, self.metrics_listen).await
    }
}

impl WorkerArgs {
    /// Runs a worker until SIGTERM or SIGINT.
    pub async fn run(self, settings: Settings) -> Result<()> {
        let pool = connect(&settings).await?;
        super::worker(settings, pool, self.consumers, self.metrics_listen).await
    }
}

impl StatusArgs {
    /// Prints (or watches) the runs' progress.
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let pool = connect(settings).await?;
        let options = super::StatusOptions {
            run: self.run,
            json: self.json,
            watch: self.watch,
            interval: std::time::Duration::from_secs_f64(self.interval),
        };
        super::status(settings, &pool, &options).await
    }
}

impl ServeArgs {
    /// Serves the API, the console and run progress until SIGTERM or SIGINT.
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let pool = connect(settings).await?;
        let addr = self.listen.unwrap_or(settings.serve.listen);
        crate::serve::run(settings, pool, addr, crate::shutdown::on_signals()).await
    }
}

impl ShowArgs {
    /// Prints one case's outcome.
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let pool = connect(settings).await?;
        super::show(&pool, &self.run, &self.case_id, self.json).await
    }
}

impl BrokerUsersArgs {
    /// Prints the `rabbitmqctl` commands, or writes the definitions file with `--definitions`.
    pub fn run(self, settings: &Settings) -> Result<()> {
        if self.definitions {
            let text =
                crate::queue::definitions::from_env(&settings.amqp, &self.vhost, &self.prefix)?;
            crate::queue::definitions::write(&text, self.out.as_deref())?;
            return Ok(());
        }
        let lines =
            crate::queue::permissions::setup_commands(&settings.amqp, &self.vhost, &self.prefix);
        for line in lines {
            println!("{line}");
        }
        Ok(())
    }
}

impl BenchArgs {
    /// Measures the pipeline and prints the report.
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let opt = crate::bench::BenchOptions {
            cases: self.cases,
            consumers: self.consumers.unwrap_or(settings.worker.consumers).max(1),
            processes: self.processes.max(1),
            batch: self.batch.unwrap_or(settings.worker.batch_cases),
            prefetch: self.prefetch.unwrap_or(settings.worker.prefetch),
            cases_per_message: self
                .cases_per_message
                .unwrap_or(settings.enqueue.cases_per_message)
                .max(1),
            seed: self.seed,
            keep: self.keep,
        };
        let report = crate::bench::run(settings, &opt).await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", crate::bench::render(&report));
        }
        Ok(())
    }
}

impl ExpireArgs {
    /// Expires overdue offers and sends due reminders.
    pub async fn run(self, settings: &Settings) -> Result<()> {
        let pool = connect(settings).await?;
        super::expire(&pool, &self.run, self.today).await
    }
}

impl NotifyArgs {
    /// Relays the outbox, or runs a `notify …` action.
    pub async fn run(self, settings: Settings) -> Result<()> {
        let pool = connect(&settings).await?;
        match self.action {
            Some(action) => super::notify_action(&pool, action).await,
            None => super::notify(settings, pool, self.once, self.metrics_listen).await,
        }
    }
}
