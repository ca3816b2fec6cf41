//! Accounts, sessions, API tokens and failed sign-ins in PostgreSQL.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::identity::{IdentityError, Principal, Role, Scope, check_name, digest, new_secret};

/// Failed sign-ins within [`FAILURE_WINDOW_MINUTES`] after which an account is refused for a while.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins within [`FAILURE_WINDOW_MINUTES`] after which an address is refused for a while.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// The window failed sign-ins are counted in.
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

/// One account, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Disabled accounts neither sign in nor use their tokens.
    pub disabled: bool,
    /// Whether it has a password (a service account has none and uses tokens only).
    pub can_sign_in: bool,
    /// Created when.
    pub created_at: DateTime<Utc>,
}

fn role_of(s: &str) -> Role {
    s.parse().unwrap_or(Role::Viewer)
}

/// Adds an account; `password_hash` None makes a service account. `by` is who adds it.
pub async fn add(
    pool: &PgPool,
    name: &str,
    role: Role,
    password_hash: Option<&str>,
    by: &str,
) -> Result<(), IdentityError> {
    check_name(name)?;
    let done = sqlx::query!(
        "INSERT INTO accounts (name, role, password_hash, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO NOTHING",
        name,
        role.as_str(),
        password_hash,
        by
    )
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Invalid(format!(
            "name: an account named {name:?} exists already"
        )));
    }
    Ok(())
}

/// Every account, by name.
pub async fn list(pool: &PgPool) -> Result<Vec<Account>, IdentityError> {
    let rows = sqlx::query!(
        r#"SELECT name, role, disabled, password_hash IS NOT NULL AS "can_sign_in!", created_at
           FROM accounts ORDER BY name"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Account {
            name: r.name,
            role: role_of(&r.role),
            disabled: r.disabled,
            can_sign_in: r.can_sign_in,
            created_at: r.created_at,
        })
        .collect())
}

/// Disables an account and ends its sessions; its tokens stop working.
pub async fn disable(pool: &PgPool, name: &str) -> Result<(), IdentityError> {
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        "UPDATE accounts SET disabled = true WHERE name = $1 RETURNING id",
        name
    )
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| IdentityError::UnknownAccount(name.to_string()))?;
    sqlx::query!("DELETE FROM sessions WHERE account_id = $1", id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// An enabled account's id, role and password hash, by name.
pub async fn credentials(
    pool: &PgPool,
    name: &str,
) -> Result<Option<(i64, Role, Option<String>)>, IdentityError> {
    let row = sqlx::query!(
        "SELECT id, role, password_hash FROM accounts WHERE name = $1 AND NOT disabled",
        name
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.id, role_of(&r.role), r.password_hash)))
}

/// An enabled account as a principal (for a name a trusted proxy vouches for).
pub async fn principal(pool: &PgPool, name: &str) -> Result<Option<Principal>, IdentityError> {
    Ok(credentials(pool, name)
        .await?
        .map(|(account_id, role, _)| Principal {
            account_id,
            name: name.to_string(),
            role,
            scope: None,
        }))
}

/// Creates a token for `owner` with `scope` and returns it; only its digest is kept.
pub async fn create_token(
    pool: &PgPool,
    owner: &str,
    scope: Scope,
    by: &str,
) -> Result<String, IdentityError> {
    let (id, role, _) = credentials(pool, owner)
        .await?
        .ok_or_else(|| IdentityError::UnknownAccount(owner.to_string()))?;
    if !scope.fits(role) {
        return Err(IdentityError::Invalid(format!(
            "scope: a {role} account may not hold a {} token",
            scope.as_str()
        )));
    }
    let token = format!("dkt_{}", new_secret());
    sqlx::query!(
        "INSERT INTO api_tokens (digest, account_id, scope, created_by) VALUES ($1, $2, $3, $4)",
        digest(&token),
        id,
        scope.as_str(),
        by
    )
    .execute(pool)
    .await?;
    Ok(token)
}

/// The principal an API token stands for (none when unknown or its owner is disabled).
pub async fn token_principal(
    pool: &PgPool,
    token: &str,
) -> Result<Option<Principal>, IdentityError> {
    let row = sqlx::query!(
        "SELECT a.id, a.name, a.role, t.scope FROM api_tokens t JOIN accounts a ON a.id = t.account_id
         WHERE t.digest = $1 AND NOT a.disabled",
        digest(token)
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Principal {
        account_id: r.id,
        name: r.name,
        role: role_of(&r.role),
        scope: r.scope.parse().ok().or(Some(Scope::Read)),
    }))
}

/// Starts a session for an account; returns the cookie's secret.
pub async fn start_session(pool: &PgPool, account_id: i64) -> Result<String, IdentityError> {
    let secret = new_secret();
    sqlx::query!(
        "INSERT INTO sessions (digest, account_id) VALUES ($1, $2)",
        digest(&secret),
        account_id
    )
    .execute(pool)
    .await?;
    Ok(secret)
}

/// The principal of a session that has not been idle for `idle_minutes`; marks it seen. An idle
/// or unknown session, or one of a disabled account, gives none.
pub async fn session_principal(
    pool: &PgPool,
    secret: &str,
    idle_minutes: u32,
) -> Result<Option<Principal>, IdentityError> {
    let row = sqlx::query!(
        "UPDATE sessions s SET last_seen = now() FROM accounts a
         WHERE s.digest = $1 AND a.id = s.account_id AND NOT a.disabled
           AND s.last_seen > now() - make_interval(mins => $2)
         RETURNING a.id, a.name, a.role",
        digest(secret),
        idle_minutes as i32
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Principal {
        account_id: r.id,
        name: r.name,
        role: role_of(&r.role),
        scope: None,
    }))
}

/// Ends a session (sign-out), and forgets sessions idle for more than a day.
pub async fn end_session(pool: &PgPool, secret: &str) -> Result<(), IdentityError> {
    sqlx::query!(
        "DELETE FROM sessions WHERE digest = $1 OR last_seen < now() - interval '1 day'",
        digest(secret)
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether sign-ins for `name` or from `address` are refused for now, after too many failures.
pub async fn rate_limited(pool: &PgPool, name: &str, address: &str) -> Result<bool, IdentityError> {
    let n = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE account_name = $1) AS "by_name!",
                  count(*) FILTER (WHERE address = $2) AS "by_address!"
           FROM signin_failures
           WHERE at > now() - make_interval(mins => $3) AND (account_name = $1 OR address = $2)"#,
        name,
        address,
        FAILURE_WINDOW_MINUTES as i32
    )
    .fetch_one(pool)
    .await?;
    Ok(n.by_name >= MAX_FAILURES_PER_ACCOUNT || n.by_address >= MAX_FAILURES_PER_ADDRESS)
}

/// Records a failed sign-in.
pub async fn record_failure(pool: &PgPool, name: &str, address: &str) -> Result<(), IdentityError> {
    sqlx::query!(
        "INSERT INTO signin_failures (account_name, address) VALUES ($1, $2)",
        name.chars().take(64).collect::<String>(),
        address
    )
    .execute(pool)
    .await?;
    Ok(())
}
