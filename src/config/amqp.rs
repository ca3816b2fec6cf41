//! The broker's addresses: one `amqp.url`, or the nodes of a cluster in `amqp.urls`.

use secrecy::{ExposeSecret, SecretString};

use super::{AmqpSettings, ConfigError};

impl AmqpSettings {
    /// The addresses to try, in order: `urls` when set, else the one `url`.
    pub fn addresses(&self) -> Vec<&SecretString> {
        if self.urls.is_empty() {
            vec![&self.url]
        } else {
            self.urls.iter().collect()
        }
    }
}

/// Refuses an address that is not an AMQP URL, naming the key (and the entry of `amqp.urls`)
/// but never the value, which may hold a password.
pub(super) fn check_urls(s: &AmqpSettings) -> Result<(), ConfigError> {
    let named: Vec<(String, &SecretString)> = if s.urls.is_empty() {
        vec![("amqp.url".into(), &s.url)]
    } else {
        (s.urls.iter().enumerate())
            .map(|(i, u)| (format!("amqp.urls[{}]", i + 1), u))
            .collect()
    };
    for (key, url) in named {
        if let Err(reason) = check_url(url.expose_secret()) {
            return Err(ConfigError::Malformed { key, reason });
        }
    }
    Ok(())
}

/// Why `url` is not a usable AMQP URL.
fn check_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("is empty".into());
    }
    if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
        return Err("must start with amqp:// or amqps://".into());
    }
    // The parser's own message may quote the URL, password and all: only its verdict is used.
    url.parse::<lapin::uri::AMQPUri>().map(drop).map_err(|_| {
        "is not an AMQP URL (amqp://user:password@host:port/vhost, \"%2f\" for the vhost \"/\")"
            .into()
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Settings;

    fn defaults() -> Settings {
        Settings::load(Some(Path::new("config/default.toml"))).unwrap()
    }

    #[test]
    fn one_url_is_the_only_address_until_urls_is_set() {
        let mut s = defaults().amqp;
        assert_eq!(s.addresses().len(), 1);
        s.urls = vec![
            SecretString::from("amqp://w:p@rabbit-0:5672/%2f"),
            SecretString::from("amqp://w:p@rabbit-1:5672/%2f"),
        ];
        let got: Vec<&str> = s.addresses().iter().map(|u| u.expose_secret()).collect();
        assert_eq!(
            got,
            [
                "amqp://w:p@rabbit-0:5672/%2f",
                "amqp://w:p@rabbit-1:5672/%2f"
            ]
        );
    }

    #[test]
    fn a_bad_entry_is_named_by_key_and_position_without_its_value() {
        let mut s = defaults();
        s.amqp.urls = vec![
            SecretString::from("amqp://w:p@rabbit-0:5672/%2f"),
            SecretString::from("http://w:hunter2@rabbit-1/"),
        ];
        let e = s.check().unwrap_err().to_string();
        assert_eq!(
            e,
            "configuration: amqp.urls[2]: must start with amqp:// or amqps://"
        );
        s.amqp.urls[1] = SecretString::from("amqp://w:hunter2@rabbit-1:notaport/%2f");
        let e = s.check().unwrap_err().to_string();
        assert!(
            e.starts_with("configuration: amqp.urls[2]: is not an AMQP URL"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        s.amqp.urls = vec![SecretString::from(" ")];
        let e = s.check().unwrap_err().to_string();
        assert_eq!(e, "configuration: amqp.urls[1]: is empty");
    }

    #[test]
    fn a_bad_single_url_is_named_too() {
        let mut s = defaults();
        s.amqp.url = SecretString::from("rabbit:5672");
        let e = s.check().unwrap_err().to_string();
        assert_eq!(
            e,
            "configuration: amqp.url: must start with amqp:// or amqps://"
        );
    }
}
