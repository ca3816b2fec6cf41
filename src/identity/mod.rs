//! Who acts: named accounts with a role, server-side sessions for the console, API tokens owned by
//! an account (a person or a service) with a scope, and the rate limit on failed sign-ins.
//!
//! Secrets (passwords, session cookies, API tokens) are never stored: passwords as argon2id hashes,
//! cookies and tokens as sha256 digests. The domain rules (roles, scopes, what each may do) are
//! here without I/O; [`store`] keeps them in PostgreSQL.

/// The accounts, sessions, tokens and sign-in failures tables (owned by [`crate::store::identity`]).
pub use crate::store::identity as store;

use std::fmt;
use std::str::FromStr;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Errors of identity operations.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Database failure.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Bad input, naming the field and the reason.
    #[error("{0}")]
    Invalid(String),
    /// No such account.
    #[error("no account named {0:?}")]
    UnknownAccount(String),
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads.
    Viewer,
    /// Decides: approves and rejects recommendations, records checks, offers, answers, closure.
    Attorney,
    /// Steers runs, policy status and dead letters.
    Operator,
    /// Manages accounts.
    Admin,
}

/// What a signed-in account or a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read pages and the API.
    Read,
    /// Lifecycle actions on offers.
    Decide,
    /// Run control, policy status, dead letters.
    Operate,
    /// Accounts.
    Administer,
}

impl Role {
    /// Every role, in order of its name in documentation.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Attorney, Role::Operator, Role::Admin];

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Attorney => "attorney",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Whether the role allows `p`. Every role reads; each other permission belongs to one role.
    pub fn allows(self, p: Permission) -> bool {
        matches!(
            (self, p),
            (_, Permission::Read)
                | (Role::Attorney, Permission::Decide)
                | (Role::Operator, Permission::Operate)
                | (Role::Admin, Permission::Administer)
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                IdentityError::Invalid("role: must be viewer, attorney, operator or admin".into())
            })
    }
}

/// What an API token may do, at most (never more than its owner's role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Reads only.
    Read,
    /// Reads and lifecycle actions.
    Attorney,
    /// Reads and run control.
    Operator,
}

impl Scope {
    /// The scope's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Attorney => "attorney",
            Scope::Operator => "operator",
        }
    }

    /// Whether the scope allows `p`.
    pub fn allows(self, p: Permission) -> bool {
        matches!(
            (self, p),
            (_, Permission::Read)
                | (Scope::Attorney, Permission::Decide)
                | (Scope::Operator, Permission::Operate)
        )
    }

    /// Whether an account of `role` may hold a token of this scope.
    pub fn fits(self, role: Role) -> bool {
        match self {
            Scope::Read => true,
            Scope::Attorney => role == Role::Attorney,
            Scope::Operator => role == Role::Operator,
        }
    }
}

impl FromStr for Scope {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(Scope::Read),
            "attorney" => Ok(Scope::Attorney),
            "operator" => Ok(Scope::Operator),
            _ => Err(IdentityError::Invalid(
                "scope: must be read, attorney or operator".into(),
            )),
        }
    }
}

/// Someone authenticated: the account, its role, and how it came (a token limits what it may do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Account id.
    pub account_id: i64,
    /// Account name: the actor recorded with every change it makes.
    pub name: String,
    /// The account's role.
    pub role: Role,
    /// The token's scope, when the request came with an API token.
    pub scope: Option<Scope>,
}

impl Principal {
    /// Whether this principal may do `p`: its role allows it, and its token (if any) too.
    pub fn can(&self, p: Permission) -> bool {
        self.role.allows(p) && self.scope.is_none_or(|s| s.allows(p))
    }
}

/// Checks an account name: 1 to 64 characters of letters, digits, `.`, `_`, `-` and `@`.
pub fn check_name(name: &str) -> Result<(), IdentityError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(IdentityError::Invalid(
            "name: 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
        ))
    }
}

/// The actor the command line records: the operating-system user, marked as such
/// (`os:alice`), and the name given with `--by`, if any (`clerk-7 (os:alice)`).
pub fn command_line_actor(by: Option<&str>) -> String {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| check_name(u).is_ok())
        .unwrap_or_else(|| "unknown".into());
    match by.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => format!("{b} (os:{user})"),
        None => format!("os:{user}"),
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The argon2id hash (PHC string) of a password of at least [`MIN_PASSWORD_CHARS`] characters.
pub fn hash_password(password: &str) -> Result<String, IdentityError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(IdentityError::Invalid(format!(
            "password: at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| IdentityError::Hash(e.to_string()))
}

/// Whether `password` matches the stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so the time taken does not tell.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never used").unwrap_or_default())
}

/// A new random secret (session cookie, API token, CSRF key): 32 bytes, hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

/// The sha256 digest a secret is stored and looked up by.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Equal-length comparison that looks at every byte, whatever differs first.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_reads_and_holds_only_its_own_power() {
        for r in Role::ALL {
            assert!(r.allows(Permission::Read));
        }
        assert!(Role::Attorney.allows(Permission::Decide));
        assert!(!Role::Attorney.allows(Permission::Operate));
        assert!(Role::Operator.allows(Permission::Operate));
        assert!(!Role::Operator.allows(Permission::Decide));
        assert!(!Role::Viewer.allows(Permission::Decide));
        assert!(!Role::Admin.allows(Permission::Decide));
        assert!(Role::Admin.allows(Permission::Administer));
    }

    #[test]
    fn a_token_never_grants_more_than_its_scope_or_its_owners_role() {
        let p = |role, scope| Principal {
            account_id: 1,
            name: "a".into(),
            role,
            scope,
        };
        assert!(p(Role::Attorney, Some(Scope::Attorney)).can(Permission::Decide));
        assert!(!p(Role::Attorney, Some(Scope::Read)).can(Permission::Decide));
        assert!(!p(Role::Viewer, Some(Scope::Attorney)).can(Permission::Decide));
        assert!(p(Role::Attorney, None).can(Permission::Decide));
        assert!(Scope::Read.fits(Role::Viewer));
        assert!(!Scope::Operator.fits(Role::Attorney));
    }

    #[test]
    fn names_roles_and_scopes_are_checked_with_the_field_named() {
        assert!(check_name("attorney.lee@eoir").is_ok());
        for bad in ["", "a b", "x\n", &"a".repeat(65)] {
            let e = check_name(bad).unwrap_err().to_string();
            assert!(e.starts_with("name: "), "{e}");
        }
        assert_eq!("operator".parse::<Role>().unwrap(), Role::Operator);
        assert!(
            "root"
                .parse::<Role>()
                .unwrap_err()
                .to_string()
                .starts_with("role: ")
        );
        assert!(
            "write"
                .parse::<Scope>()
                .unwrap_err()
                .to_string()
                .starts_with("scope: ")
        );
    }

    #[test]
    fn passwords_are_hashed_with_argon2id_and_verified() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
        let short = hash_password("short").unwrap_err().to_string();
        assert!(short.starts_with("password: "), "{short}");
        assert!(!short.contains("short\""));
    }

    #[test]
    fn secrets_are_random_and_stored_by_digest() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(digest(&a).len(), 32);
        assert!(same_bytes(&digest(&a), &digest(&a)));
        assert!(!same_bytes(&digest(&a), &digest(&b)));
    }
}
