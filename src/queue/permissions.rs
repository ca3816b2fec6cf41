//! Least privilege on the broker: what each docket role may configure, write and read, as the
//! regular expressions of `rabbitmqctl set_permissions`, and the refusal to connect as `guest`
//! to a broker that is not on this machine.
//!
//! - `worker` declares the topology (the jobs and dead-letter exchanges and queues and their
//!   bindings; declaring a queue that dead-letters needs read on it and write on the dead-letter
//!   exchange), consumes jobs, publishes dead letters, and parks and releases a paused run's
//!   jobs in `<queue>.parked.<run>` (through the default exchange); it cannot read dead letters;
//! - `enqueue` only publishes jobs (write on the jobs exchange; it checks the queues exist);
//!   it configures nothing and reads nothing;
//! - `replay` (`docket dlq list|replay`) reads dead letters and publishes jobs; it configures
//!   nothing and cannot consume jobs.

use serde::Deserialize;

use crate::config::AmqpSettings;

/// The `[broker]` settings.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerSettings {
    /// Let a process log in as `guest` to a broker that is not on loopback (off: it refuses to
    /// start). RabbitMQ itself refuses remote `guest` logins unless reconfigured.
    #[serde(default)]
    pub allow_remote_guest: bool,
}

/// A docket role on the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// `docket enqueue`.
    Enqueue,
    /// `docket worker` (and the demo's in-process worker).
    Worker,
    /// `docket dlq list` and `docket dlq replay`.
    Replay,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Enqueue, Role::Worker, Role::Replay];

    /// The role's name, also the default user name suffix (`docket-<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Enqueue => "enqueue",
            Role::Worker => "worker",
            Role::Replay => "replay",
        }
    }
}

/// The three permission patterns of a user on a virtual host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    /// Resources the user may declare and delete.
    pub configure: String,
    /// Resources the user may publish to (and bind queues to, for queues).
    pub write: String,
    /// Resources the user may consume from (and bind from, for exchanges).
    pub read: String,
}

/// A name as a literal in a regular expression.
fn lit(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// `^(a|b)$`, or `^$` (nothing: RabbitMQ's own convention) for no names.
fn any_of(names: &[String]) -> String {
    if names.is_empty() {
        return "^$".into();
    }
    format!("^({})$", names.join("|"))
}

/// The permissions of `role` for the names in `s`.
pub fn for_role(role: Role, s: &AmqpSettings) -> Permissions {
    let (x, dlx) = (lit(&s.exchange), lit(&s.dead_letter_exchange));
    let (q, dlq) = (lit(&s.queue), lit(&s.dead_letter_queue));
    let parked = format!("{q}\\.parked\\..+");
    let topology = vec![x.clone(), dlx.clone(), q.clone(), dlq.clone()];
    let (configure, write, read) = match role {
        Role::Enqueue => (Vec::new(), vec![x], Vec::new()),
        Role::Worker => (
            [topology, vec![parked.clone()]].concat(),
            vec![
                q.clone(),
                dlq,
                x.clone(),
                dlx.clone(),
                parked.clone(),
                "amq\\.default".into(),
            ],
            vec![x, dlx, q, parked],
        ),
        Role::Replay => (Vec::new(), vec![x], vec![dlq]),
    };
    Permissions {
        configure: any_of(&configure),
        write: any_of(&write),
        read: any_of(&read),
    }
}

/// The `rabbitmqctl` commands an operator runs to create the three users on `vhost`, each
/// password read from an environment variable (`DOCKET_<ROLE>_PASSWORD`).
pub fn setup_commands(s: &AmqpSettings, vhost: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let user = format!("{prefix}{}", role.name());
        let var = format!("DOCKET_{}_PASSWORD", role.name().to_uppercase());
        let p = for_role(role, s);
        out.push(format!("rabbitmqctl add_user '{user}' \"${var}\""));
        out.push(format!(
            "rabbitmqctl set_permissions -p '{vhost}' '{user}' '{}' '{}' '{}'",
            p.configure, p.write, p.read
        ));
    }
    out
}

/// [`check_guest`] for every broker address of `amqp`, naming the key (`amqp.url`, or
/// `amqp.urls[N]`) of the first one refused.
pub fn check_guests(amqp: &AmqpSettings, settings: &BrokerSettings) -> Result<(), String> {
    use secrecy::ExposeSecret;
    if amqp.urls.is_empty() {
        return check_guest(amqp.url.expose_secret(), settings);
    }
    for (i, url) in amqp.urls.iter().enumerate() {
        check_guest(url.expose_secret(), settings)
            .map_err(|e| e.replacen("amqp.url", &format!("amqp.urls[{}]", i + 1), 1))?;
    }
    Ok(())
}

/// Why a process must not start with these settings: it would log in as `guest` (named, or by
/// default when the URL names no user) to a broker that is not on loopback.
pub fn check_guest(url: &str, settings: &BrokerSettings) -> Result<(), String> {
    if settings.allow_remote_guest {
        return Ok(());
    }
    let Some((_, rest)) = url.split_once("://") else {
        return Ok(());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (userinfo.split(':').next().unwrap_or_default(), host),
        None => ("", authority),
    };
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let guest = user.is_empty() || user == "guest";
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if guest && !loopback {
        return Err(
            "amqp.url: logs in as guest to a broker that is not on loopback; use docket's own \
             users (docket broker-users) or set broker.allow_remote_guest = true"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_is_refused_off_loopback_unless_allowed() {
        let no = BrokerSettings::default();
        for url in [
            "amqp://guest:guest@rabbitmq:5672/%2f",
            "amqp://10.0.0.5:5672",
            "amqps://guest:x@broker.example/%2f",
        ] {
            let e = check_guest(url, &no).unwrap_err();
            assert!(e.starts_with("amqp.url: "), "{e}");
            assert!(!e.contains("guest:"), "{e}");
        }
        for url in [
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            "amqp://guest:guest@localhost/%2f",
            "amqp://guest:guest@[::1]:5672/%2f",
            "amqp://docket-worker:pw@rabbitmq:5672/%2f",
        ] {
            assert!(check_guest(url, &no).is_ok(), "{url}");
        }
        let yes = BrokerSettings {
            allow_remote_guest: true,
        };
        assert!(check_guest("amqp://guest:guest@rabbitmq/%2f", &yes).is_ok());
    }

    #[test]
    fn every_node_of_a_cluster_is_checked_and_named() {
        let mut a =
            crate::config::Settings::load(Some(std::path::Path::new("config/default.toml")))
                .unwrap()
                .amqp;
        let no = BrokerSettings::default();
        assert!(check_guests(&a, &no).is_ok());
        a.urls = vec![
            "amqp://docket-worker:pw@rabbit-0/%2f".into(),
            "amqp://guest:guest@rabbit-1/%2f".into(),
        ];
        let e = check_guests(&a, &no).unwrap_err();
        assert!(e.starts_with("amqp.urls[2]: logs in as guest"), "{e}");
    }

    #[test]
    fn names_are_quoted_and_roles_differ_where_they_must() {
        let s = crate::config::Settings::load(Some(std::path::Path::new("config/default.toml")))
            .unwrap()
            .amqp;
        let enqueue = for_role(Role::Enqueue, &s);
        assert_eq!(
            (enqueue.configure.as_str(), enqueue.read.as_str()),
            ("^$", "^$")
        );
        assert_eq!(enqueue.write, r"^(docket\.jobs)$");
        let worker = for_role(Role::Worker, &s);
        assert!(worker.read.contains(r"docket\.review|") && !worker.read.contains("review\\.dead"));
        let replay = for_role(Role::Replay, &s);
        assert!(
            replay.read.contains(r"docket\.review\.dead")
                && !replay.read.contains(r"docket\.review|")
        );
        let lines = setup_commands(&s, "/", "docket-");
        assert_eq!(lines.len(), 6);
        assert!(lines[0].contains("$DOCKET_ENQUEUE_PASSWORD"));
    }
}
