//! `docket run pause|resume|cancel|throttle|policy`: run control from the command line.

use anyhow::Result;
use sqlx::PgPool;

use crate::cli::{RunCommand, RunControl};
use crate::store::{policy_status, run_state};

fn actor(by: &Option<String>) -> String {
    crate::identity::command_line_actor(by.as_deref())
}

/// Applies a run-control command and prints what changed.
pub async fn run_control(pool: &PgPool, cmd: RunCommand) -> Result<()> {
    let (c, state, rate) = match &cmd {
        RunCommand::Create { .. } => anyhow::bail!("`run create` is not a state change"),
        RunCommand::Archive { .. } => anyhow::bail!("`run archive` is not a state change"),
        RunCommand::Pause(c) => (c, "paused", None),
        RunCommand::Resume(c) => (c, "active", None),
        RunCommand::Cancel(c) => (c, "cancelled", None),
        RunCommand::Throttle { control, rate } => (control, "throttled", Some(*rate)),
        RunCommand::Policy {
            rules,
            status,
            cancel_held,
            rules_file,
            reason,
            by,
        } => {
            if let Some(s) = status.as_deref()
                && !policy_status::POLICY_STATUSES.contains(&s)
            {
                // Refused before the rule-set file declares anything.
                anyhow::bail!(
                    "--status: {s:?} is not a policy status (one of {})",
                    policy_status::POLICY_STATUSES.join(", ")
                );
            }
            if let Some(file) = rules_file {
                declare(pool, rules, file).await?;
            }
            return policy(pool, rules, status.as_deref(), *cancel_held, reason, by).await;
        }
    };
    let RunControl { name, reason, by } = c;
    let change = run_state::Change {
        state,
        rate,
        actor: &actor(by),
        reason,
    };
    let done = run_state::set(pool, name, &change).await?;
    let rate = done
        .rate
        .map(|r| format!(" at {r} cases/s"))
        .unwrap_or_default();
    println!("run {}: {} -> {}{rate}", done.run, done.from, done.to);
    Ok(())
}

/// Makes `rules` a known policy from the rule-set file that declares it.
async fn declare(pool: &PgPool, rules: &str, file: &std::path::Path) -> Result<()> {
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let set = crate::rules::RuleSet::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    if set.name() != rules {
        anyhow::bail!(
            "{}: declares the rule set {:?}, not {rules:?}",
            file.display(),
            set.name()
        );
    }
    policy_status::declare(pool, rules).await?;
    Ok(())
}

async fn policy(
    pool: &PgPool,
    rules: &str,
    status: Option<&str>,
    cancel_held: bool,
    reason: &str,
    by: &Option<String>,
) -> Result<()> {
    if cancel_held {
        let n = policy_status::cancel_held(pool, rules, reason).await?;
        println!("policy {rules}: {n} held notices cancelled");
        return Ok(());
    }
    let Some(status) = status else {
        anyhow::bail!("give --status or --cancel-held");
    };
    let c = policy_status::set(pool, rules, status, &actor(by), reason).await?;
    println!(
        "policy {}: {} -> {}; runs paused {}, resumed {}; notices held {}, released {}",
        c.rules_name,
        c.from,
        c.to,
        c.runs_paused,
        c.runs_resumed,
        c.notices_held,
        c.notices_released
    );
    Ok(())
}
