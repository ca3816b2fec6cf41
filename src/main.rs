//! The `docket` binary: parse the command line, load settings, start logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use docket::cli::{Cli, Command, RunCommand};
use docket::config::Settings;
use docket::{commands, store};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    docket::telemetry::init(&settings.log);
    match cli.command {
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
            let pool = store::connect(&settings.database).await?;
            commands::import(&pool, &file, rejects.as_deref()).await?;
        }
        Command::Run(RunCommand::Create {
            name,
            rules,
            courts,
            as_of,
        }) => {
            let pool = store::connect(&settings.database).await?;
            commands::run_create(&pool, &name, &rules, &courts, as_of).await?;
        }
        Command::Enqueue { run, quiet } => {
            let pool = store::connect(&settings.database).await?;
            commands::enqueue(&settings, &pool, &run, quiet).await?;
        }
        Command::Worker {
            consumers,
            metrics_listen,
        } => {
            let pool = store::connect(&settings.database).await?;
            commands::worker(settings, pool, consumers, metrics_listen).await?;
        }
        Command::Status { run, json } => {
            let pool = store::connect(&settings.database).await?;
            commands::status(&settings, &pool, run.as_deref(), json).await?;
        }
        Command::Show { run, case_id, json } => {
            let pool = store::connect(&settings.database).await?;
            commands::show(&pool, &run, &case_id, json).await?;
        }
        Command::Demo(args) => commands::demo(settings, &args).await?,
        Command::Rules(commands::RulesCommand::Check { files }) => commands::rules_check(&files)?,
        Command::Rules(commands::RulesCommand::Test { files }) => commands::rules_test(&files)?,
        Command::Simulate(args) => {
            commands::simulate(&settings, &args).await?;
        }
        Command::Report(args) => {
            commands::report(&settings, &args).await?;
        }
    }
    Ok(())
}
