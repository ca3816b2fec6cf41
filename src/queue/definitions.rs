//! A RabbitMQ definitions file for a deployment: docket's three least-privilege users (and,
//! optionally, an administrator), their permissions, and the whole topology, so that a broker
//! booting with it (`load_definitions`) or told to `rabbitmqctl import_definitions` it is ready
//! for any docket process, `enqueue` included, before a worker has ever run.
//!
//! Passwords are stored as RabbitMQ stores them (`rabbit_password_hashing_sha256`: a 4-byte
//! salt, then SHA-256 of the salt and the password, base64-encoded), never in clear.

use base64::Engine;
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::permissions::{Role, for_role};
use crate::config::AmqpSettings;

/// Why definitions could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionsError {
    /// A user's password is missing or cannot be read.
    #[error("{var}: {reason}")]
    Password {
        /// The variable that should give the password (or its `_FILE` twin).
        var: String,
        /// What is wrong (never the password).
        reason: String,
    },
}

/// The variable that gives a role's password (or, with `_FILE`, the file that holds it).
pub fn password_var(role: Role) -> String {
    format!("DOCKET_{}_PASSWORD", role.name().to_uppercase())
}

/// The variable that gives the broker administrator's password, when one is wanted.
pub const ADMIN_PASSWORD_VAR: &str = "DOCKET_BROKER_ADMIN_PASSWORD";

/// A password from `var`, or from the file named by `var_FILE` (without its final line break);
/// `None` when neither is set.
pub fn password_from_env(
    var: &str,
    get: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, DefinitionsError> {
    let bad = |reason: String| DefinitionsError::Password {
        var: var.to_string(),
        reason,
    };
    let file_var = format!("{var}_FILE");
    let value = match (get(var), get(&file_var)) {
        (Some(_), Some(_)) => return Err(bad(format!("{file_var} is set as well; give one"))),
        (Some(v), None) => v,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map_err(|e| bad(format!("cannot read {path}: {}", e.kind())))?
            .trim_end_matches(['\n', '\r'])
            .to_string(),
        (None, None) => return Ok(None),
    };
    if value.is_empty() {
        return Err(bad("is empty".into()));
    }
    Ok(Some(value))
}

/// The definitions document of [`document`] as pretty JSON, each password read from its
/// variable (see [`password_var`]); the administrator only when [`ADMIN_PASSWORD_VAR`] is set.
pub fn from_env(s: &AmqpSettings, vhost: &str, prefix: &str) -> Result<String, DefinitionsError> {
    let get = |k: &str| std::env::var(k).ok();
    let mut passwords: [String; 3] = Default::default();
    for (role, slot) in Role::ALL.iter().zip(passwords.iter_mut()) {
        let var = password_var(*role);
        *slot = password_from_env(&var, get)?.ok_or(DefinitionsError::Password {
            var,
            reason: "is not set (nor its _FILE twin)".into(),
        })?;
    }
    let admin = password_from_env(ADMIN_PASSWORD_VAR, get)?;
    let d = document(s, vhost, prefix, &passwords, admin.as_deref());
    Ok(serde_json::to_string_pretty(&d).expect("a JSON value serializes"))
}

/// Writes definitions to `out` (readable by the broker's user, which is not docket's: 0644; the
/// passwords in it are salted hashes) or, without a file, to standard output.
pub fn write(text: &str, out: Option<&std::path::Path>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = out else {
        println!("{text}");
        return Ok(());
    };
    std::fs::write(path, format!("{text}\n"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

/// RabbitMQ's stored form of `password` with `salt`.
pub fn password_hash(password: &str, salt: [u8; 4]) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(password.as_bytes());
    let mut stored = salt.to_vec();
    stored.extend_from_slice(&h.finalize());
    base64::engine::general_purpose::STANDARD.encode(stored)
}

/// The definitions document: users `<prefix><role>` with `passwords` (one per role of
/// [`Role::ALL`], in order), their permissions on `vhost`, an administrator `<prefix>admin`
/// when `admin` gives its password, and the exchanges, queues and bindings of `s`.
pub fn document(
    s: &AmqpSettings,
    vhost: &str,
    prefix: &str,
    passwords: &[String; 3],
    admin: Option<&str>,
) -> Value {
    let user = |name: String, password: &str, tags: &str| {
        let mut salt = [0u8; 4];
        rand::rng().fill_bytes(&mut salt);
        json!({"name": name, "password_hash": password_hash(password, salt),
               "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": tags})
    };
    let mut users = Vec::new();
    let mut permissions = Vec::new();
    for (role, password) in Role::ALL.iter().zip(passwords) {
        let name = format!("{prefix}{}", role.name());
        let p = for_role(*role, s);
        users.push(user(name.clone(), password, ""));
        permissions.push(json!({"user": name, "vhost": vhost,
            "configure": p.configure, "write": p.write, "read": p.read}));
    }
    if let Some(password) = admin {
        let name = format!("{prefix}admin");
        users.push(user(name.clone(), password, "administrator"));
        permissions.push(json!({"user": name, "vhost": vhost,
            "configure": ".*", "write": ".*", "read": ".*"}));
    }
    let exchange = |name: &str, kind: &str| {
        json!({"name": name, "vhost": vhost, "type": kind, "durable": true,
               "auto_delete": false, "internal": false, "arguments": {}})
    };
    let queue = |name: &str, arguments: Value| {
        json!({"name": name, "vhost": vhost, "durable": true, "auto_delete": false,
               "arguments": arguments})
    };
    let binding = |source: &str, destination: &str, key: &str| {
        json!({"source": source, "vhost": vhost, "destination": destination,
               "destination_type": "queue", "routing_key": key, "arguments": {}})
    };
    json!({
        "users": users,
        "vhosts": [{"name": vhost}],
        "permissions": permissions,
        "exchanges": [exchange(&s.exchange, "direct"), exchange(&s.dead_letter_exchange, "fanout")],
        "queues": [
            queue(&s.queue, json!({"x-queue-type": "quorum",
                "x-dead-letter-exchange": s.dead_letter_exchange,
                "x-delivery-limit": s.delivery_limit})),
            queue(&s.dead_letter_queue, json!({"x-queue-type": "quorum"})),
        ],
        "bindings": [
            binding(&s.exchange, &s.queue, &s.routing_key),
            binding(&s.dead_letter_exchange, &s.dead_letter_queue, ""),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amqp() -> AmqpSettings {
        crate::config::Settings::load(Some(std::path::Path::new("config/default.toml")))
            .unwrap()
            .amqp
    }

    #[test]
    fn passwords_are_stored_as_rabbitmq_hashes_them() {
        // Salt 0x908dc60a and "test12": the example of RabbitMQ's access-control guide.
        let h = password_hash("test12", [0x90, 0x8d, 0xc6, 0x0a]);
        assert_eq!(h, "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR");
    }

    #[test]
    fn users_permissions_and_the_topology_match_broker_users() {
        let s = amqp();
        let pw = ["e".to_string(), "w".to_string(), "r".to_string()];
        let d = document(&s, "/", "docket-", &pw, Some("a"));
        let text = d.to_string();
        for secret in ["\"e\"", "\"w\"", "\"r\"", "\"a\""] {
            assert!(!text.contains(secret), "a password in clear: {secret}");
        }
        let names: Vec<&str> = (d["users"].as_array().unwrap().iter())
            .map(|u| u["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "docket-enqueue",
                "docket-worker",
                "docket-replay",
                "docket-admin"
            ]
        );
        let worker = &d["permissions"][1];
        assert_eq!(worker["read"], for_role(Role::Worker, &s).read);
        assert_eq!(d["queues"][0]["arguments"]["x-queue-type"], "quorum");
        assert_eq!(
            d["queues"][0]["arguments"]["x-delivery-limit"],
            s.delivery_limit
        );
        assert_eq!(d["bindings"][0]["routing_key"], s.routing_key.as_str());
        let no_admin = document(&s, "/", "docket-", &pw, None);
        assert_eq!(no_admin["users"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn a_password_comes_from_its_variable_or_its_file_never_both() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let path = file.display().to_string();
        let from = |pairs: Vec<(&'static str, String)>| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        let v = "DOCKET_WORKER_PASSWORD";
        let got = password_from_env(v, from(vec![("DOCKET_WORKER_PASSWORD_FILE", path.clone())]));
        assert_eq!(got.unwrap().as_deref(), Some("s3cret"));
        assert_eq!(password_from_env(v, from(vec![])).unwrap(), None);
        let both = vec![
            ("DOCKET_WORKER_PASSWORD", "x".to_string()),
            ("DOCKET_WORKER_PASSWORD_FILE", path),
        ];
        let e = password_from_env(v, from(both)).unwrap_err().to_string();
        assert!(e.starts_with("DOCKET_WORKER_PASSWORD: "), "{e}");
        let empty = vec![("DOCKET_WORKER_PASSWORD", String::new())];
        assert!(password_from_env(v, from(empty)).is_err());
    }
}
