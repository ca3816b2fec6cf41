//! Bearer tokens with read and write scopes, compared in constant time.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Read progress, outcomes and histories.
    Read,
    /// Also change offers.
    Write,
}

/// The configured tokens.
#[derive(Clone, Default)]
pub struct Tokens {
    read: Vec<[u8; 32]>,
    write: Vec<[u8; 32]>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equal-length comparison that looks at every byte, whatever differs first.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Tokens {
    /// Tokens from configuration; empty strings are ignored.
    pub fn new(read: &[SecretString], write: &[SecretString]) -> Self {
        let keep = |v: &[SecretString]| {
            v.iter()
                .map(|s| s.expose_secret().trim().to_string())
                .filter(|s| !s.is_empty())
                .map(|s| digest(&s))
                .collect()
        };
        Self {
            read: keep(read),
            write: keep(write),
        }
    }

    /// The scope an `Authorization` header grants, if any. Every configured token is compared, so
    /// the time taken does not tell which one nearly matched.
    pub fn scope(&self, header: Option<&str>) -> Option<Scope> {
        let token = header?.strip_prefix("Bearer ")?.trim();
        if token.is_empty() {
            return None;
        }
        let d = digest(token);
        let write = self.write.iter().fold(false, |hit, t| hit | same(t, &d));
        let read = self.read.iter().fold(false, |hit, t| hit | same(t, &d));
        if write {
            Some(Scope::Write)
        } else if read {
            Some(Scope::Read)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(
            &[SecretString::from("r-token")],
            &[SecretString::from("w-token")],
        )
    }

    #[test]
    fn a_write_token_grants_write_and_a_read_token_only_read() {
        let t = tokens();
        assert_eq!(t.scope(Some("Bearer w-token")), Some(Scope::Write));
        assert_eq!(t.scope(Some("Bearer r-token")), Some(Scope::Read));
    }

    #[test]
    fn missing_malformed_or_unknown_tokens_grant_nothing() {
        let t = tokens();
        assert_eq!(t.scope(None), None);
        assert_eq!(t.scope(Some("w-token")), None);
        assert_eq!(t.scope(Some("Bearer ")), None);
        assert_eq!(t.scope(Some("Bearer w-toke")), None);
        assert_eq!(Tokens::default().scope(Some("Bearer anything")), None);
    }
}
