//! `docket user add|list|disable` and `docket token create`: the named people and services who
//! act. Passwords come from a prompt or standard input, never from the command line.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use sqlx::PgPool;

use crate::identity::{self, Role, Scope, store};

/// Accounts.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account; the password is asked for (or read from standard input).
    Add {
        /// Account name (letters, digits, '.', '_', '-', '@').
        name: String,
        /// viewer, attorney, operator or admin.
        #[arg(long)]
        role: String,
        /// A service account: no password, it acts only through API tokens.
        #[arg(long)]
        service: bool,
        /// Read the password from this file's first line (a Docker or Kubernetes secret)
        /// instead of the prompt or standard input.
        #[arg(long, conflicts_with = "service")]
        password_file: Option<std::path::PathBuf>,
        /// Succeed without a change when an account of that name exists (first-use scripts).
        #[arg(long)]
        if_missing: bool,
    },
    /// List accounts.
    List,
    /// Disable an account: its sessions end and its tokens stop working.
    Disable {
        /// Account name.
        name: String,
    },
}

/// API tokens.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for an account and print it once (only its digest is kept).
    Create {
        /// The account (person or service) the token acts for.
        #[arg(long = "for")]
        owner: String,
        /// read, attorney or operator (no more than the account's role allows).
        #[arg(long)]
        scope: String,
    },
}

/// Runs a `user` command.
pub async fn user(pool: &PgPool, cmd: &UserCommand) -> Result<()> {
    let by = identity::command_line_actor(None);
    match cmd {
        UserCommand::Add {
            name,
            role,
            service,
            password_file,
            if_missing,
        } => {
            let role: Role = role.parse()?;
            identity::check_name(name)?;
            if *if_missing && store::list(pool).await?.iter().any(|a| a.name == *name) {
                println!("account {name} exists: left as it is");
                return Ok(());
            }
            let hash = if *service {
                None
            } else {
                let password = match password_file {
                    Some(path) => password_from_file(path)?,
                    None => read_password()?,
                };
                Some(identity::hash_password(&password)?)
            };
            store::add(pool, name, role, hash.as_deref(), &by).await?;
            println!("account {name} added ({role})");
        }
        UserCommand::List => {
            println!("{:<32} {:<9} {:<8} sign-in", "name", "role", "state");
            for a in store::list(pool).await? {
                let state = if a.disabled { "disabled" } else { "enabled" };
                let how = if a.can_sign_in {
                    "password"
                } else {
                    "tokens only"
                };
                println!("{:<32} {:<9} {state:<8} {how}", a.name, a.role.as_str());
            }
        }
        UserCommand::Disable { name } => {
            store::disable(pool, name).await?;
            println!("account {name} disabled; its sessions ended and its tokens stopped");
        }
    }
    Ok(())
}

/// Runs a `token` command.
pub async fn token(pool: &PgPool, cmd: &TokenCommand) -> Result<()> {
    let TokenCommand::Create { owner, scope } = cmd;
    let scope: Scope = scope.parse()?;
    let by = identity::command_line_actor(None);
    let token = store::create_token(pool, owner, scope, &by).await?;
    eprintln!(
        "token for {owner} ({}); shown once, keep it secret:",
        scope.as_str()
    );
    println!("{token}");
    Ok(())
}

/// The first line of a secret file, without its line break; an empty one is refused.
fn password_from_file(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--password-file: cannot read {}", path.display()))?;
    let line = text.lines().next().unwrap_or_default().to_string();
    if line.is_empty() {
        bail!("--password-file: {} is empty", path.display());
    }
    Ok(line)
}

/// A password typed at the terminal without echo (asked twice), or the first line of standard
/// input when it is not a terminal.
fn read_password() -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("password: ").context("reading the password")?;
        if rpassword::prompt_password("again: ").context("reading the password")? != first {
            bail!("password: the two entries differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The account `docket demo` signs its reader in with.
pub const DEMO_ACCOUNT: &str = "demo.attorney";

/// How to look at the demo in the console: its address, and an attorney account made for it with a
/// generated password, printed once (a later demo leaves an existing account as it is).
pub async fn demo_console(pool: &PgPool, listen: std::net::SocketAddr) -> Result<String> {
    let mut out = format!("the console: run `docket serve`, then open http://{listen}/console\n");
    if store::credentials(pool, DEMO_ACCOUNT).await?.is_some() {
        out.push_str(&format!(
            "sign in as {DEMO_ACCOUNT} with the password an earlier demo printed \
             (or add your own: docket user add NAME --role attorney)\n"
        ));
        return Ok(out);
    }
    let password = identity::new_secret()[..24].to_string();
    let hash = identity::hash_password(&password)?;
    let by = identity::command_line_actor(None);
    store::add(pool, DEMO_ACCOUNT, Role::Attorney, Some(&hash), &by).await?;
    out.push_str(&format!(
        "sign in as {DEMO_ACCOUNT} (attorney) with password {password} (shown once)\n"
    ));
    Ok(out)
}
