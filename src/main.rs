//! The `docket` binary: parse the command line, load settings, start logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use docket::cli::{Cli, Command, RunCommand, Target};
use docket::config::Settings;
use docket::domain::Action;
use docket::{commands, store};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A bench stopped by a signal (and cleaned up): its one line, and a signal's status.
            if let Some(i) = e.downcast_ref::<docket::bench::Interrupted>() {
                eprintln!("{i}");
                return ExitCode::from(i.exit_code());
            }
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Probe { url } = &cli.command {
        // No settings or logging: a health check must be cheap and quiet.
        let (status, _) = docket::probe::get(url, std::time::Duration::from_secs(3)).await?;
        anyhow::ensure!((200..300).contains(&status), "{url} answered {status}");
        return Ok(());
    }
    // Generated from the command line alone: no settings, no logging.
    match &cli.command {
        Command::Completions { shell } => {
            commands::completions(*shell, &mut std::io::stdout());
            return Ok(());
        }
        Command::Man { out } => return commands::man(out.as_deref(), &mut std::io::stdout()),
        _ => {}
    }
    let settings = Settings::load(cli.config.as_deref())?;
    docket::telemetry::init(&settings.log);
    docket::telemetry::limits::configure(settings.http);
    if !matches!(
        cli.command,
        Command::Generate { .. } | Command::Rules(_) | Command::BrokerUsers { .. }
    ) {
        docket::queue::permissions::check_guests(&settings.amqp, &settings.broker)
            .map_err(anyhow::Error::msg)?;
    }
    match cli.command {
        Command::BrokerUsers {
            vhost,
            prefix,
            definitions: true,
            out,
        } => {
            let text = docket::queue::definitions::from_env(&settings.amqp, &vhost, &prefix)?;
            docket::queue::definitions::write(&text, out.as_deref())?;
        }
        Command::BrokerUsers { vhost, prefix, .. } => {
            for line in docket::queue::permissions::setup_commands(&settings.amqp, &vhost, &prefix)
            {
                println!("{line}");
            }
        }
        Command::Migrate => {
            commands::migrate(&settings).await?;
            println!("database migrated");
        }
        Command::Generate { cases, seed, out } => {
            let n = commands::generate(cases, seed, out.as_deref())?;
            if let Some(path) = out {
                println!("wrote {n} cases to {}", path.display());
            }
        }
        Command::Import { file, rejects } => {
            let pool = connect(&settings).await?;
            commands::import(&pool, &file, rejects.as_deref()).await?;
        }
        Command::Run(RunCommand::Create {
            name,
            rules,
            courts,
            as_of,
            open,
        }) => {
            let pool = connect(&settings).await?;
            commands::run_create_with(&pool, &name, &rules, &courts, as_of, open).await?;
        }
        Command::Run(RunCommand::Archive { name, to }) => {
            let pool = connect(&settings).await?;
            commands::run_archive(&pool, &name, &to).await?;
        }
        Command::Run(rc) => {
            let pool = connect(&settings).await?;
            commands::run_control(&pool, rc).await?;
        }
        Command::Enqueue {
            run,
            quiet,
            again,
            metrics_listen,
        } => {
            let pool = connect(&settings).await?;
            if again {
                commands::publish_again(&pool, &run).await?;
            }
            commands::enqueue(&settings, &pool, &run, quiet, metrics_listen).await?;
        }
        Command::Worker {
            consumers,
            metrics_listen,
        } => {
            let pool = connect(&settings).await?;
            commands::worker(settings, pool, consumers, metrics_listen).await?;
        }
        Command::Status {
            run,
            json,
            watch,
            interval,
        } => {
            let pool = connect(&settings).await?;
            let options = commands::StatusOptions {
                run,
                json,
                watch,
                interval: std::time::Duration::from_secs_f64(interval),
            };
            commands::status(&settings, &pool, &options).await?;
        }
        Command::Serve { listen } => {
            let pool = connect(&settings).await?;
            let addr = listen.unwrap_or(settings.serve.listen);
            docket::serve::run(&settings, pool, addr, docket::shutdown::on_signals()).await?;
        }
        Command::Show { run, case_id, json } => {
            let pool = connect(&settings).await?;
            commands::show(&pool, &run, &case_id, json).await?;
        }
        Command::User(cmd) => commands::user(&connect(&settings).await?, &cmd).await?,
        Command::Token(cmd) => commands::token(&connect(&settings).await?, &cmd).await?,
        Command::Dlq(cmd) => commands::dlq(&settings, &cmd).await?,
        Command::Demo(args) => commands::demo(settings, &args).await?,
        Command::Rules(commands::RulesCommand::Check { files }) => commands::rules_check(&files)?,
        Command::Rules(commands::RulesCommand::Test { files }) => commands::rules_test(&files)?,
        Command::Simulate(args) => {
            commands::simulate(&settings, &args).await?;
        }
        Command::Report(args) => {
            commands::report(&settings, &args).await?;
        }
        Command::Notify(args) => {
            let pool = connect(&settings).await?;
            match args.action {
                Some(action) => commands::notify_action(&pool, action).await?,
                None => commands::notify(settings, pool, args.once, args.metrics_listen).await?,
            }
        }
        Command::Probe { .. } | Command::Completions { .. } | Command::Man { .. } => {
            unreachable!("handled before settings load")
        }
        Command::Notices { command } => commands::notices(&settings, command).await?,
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
        Command::Recalendar { target } => lifecycle(&settings, Action::Recalendar, &target).await?,
        Command::Bench {
            cases,
            consumers,
            processes,
            batch,
            prefetch,
            cases_per_message,
            seed,
            json,
            keep,
        } => {
            let opt = docket::bench::BenchOptions {
                cases,
                consumers: consumers.unwrap_or(settings.worker.consumers).max(1),
                processes: processes.max(1),
                batch: batch.unwrap_or(settings.worker.batch_cases),
                prefetch: prefetch.unwrap_or(settings.worker.prefetch),
                cases_per_message: cases_per_message
                    .unwrap_or(settings.enqueue.cases_per_message)
                    .max(1),
                seed,
                keep,
            };
            let report = docket::bench::run(&settings, &opt).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", docket::bench::render(&report));
            }
        }
        Command::Expire { run, today } => {
            let pool = connect(&settings).await?;
            commands::expire(&pool, &run, today).await?;
        }
    }
    Ok(())
}

async fn lifecycle(settings: &Settings, action: Action, target: &Target) -> anyhow::Result<()> {
    let pool = connect(settings).await?;
    let report = commands::act(&pool, action, target).await?;
    if !report.dry_run && report.outcome.applied.is_empty() && !report.outcome.refused.is_empty() {
        anyhow::bail!("nothing applied");
    }
    Ok(())
}

/// A pool on the configured database, refusing to go on when its schema is behind this build.
async fn connect(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    let pool = store::connect(&settings.database).await?;
    store::check_schema(&pool).await?;
    Ok(pool)
}

/// The error and its causes, leaving out a cause whose text the message already contains (many
/// error types print their source inside their own message).
fn describe(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}
