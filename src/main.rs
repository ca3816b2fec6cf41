//! The `docket` binary: parse the command line, load settings, start logging, dispatch.
//!
//! Each command's arguments own how it runs (`docket::commands`); long-running commands start
//! through the one start-up seam (`docket::startup`).

use std::process::ExitCode;

use clap::Parser;
use docket::cli::Cli;
use docket::config::Settings;

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
    if !cli.command.needs_settings() {
        return cli.command.run_bare().await;
    }
    let settings = Settings::load(cli.config.as_deref())?;
    docket::telemetry::init(&settings.log);
    docket::telemetry::limits::configure(settings.http);
    if cli.command.uses_broker() {
        docket::queue::permissions::check_guests(&settings.amqp, &settings.broker)
            .map_err(anyhow::Error::msg)?;
    }
    cli.command.run(settings).await
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
