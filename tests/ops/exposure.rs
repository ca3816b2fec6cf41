//! compose publishes nothing beyond loopback and ships no default password or guest login.

use crate::deploy::yaml;

#[test]
fn compose_publishes_only_loopback_ports_and_holds_no_default_secret() {
    let c = yaml("deploy/compose.yaml");
    let services = c["services"].as_mapping().unwrap();
    for (name, svc) in services {
        let name = name.as_str().unwrap();
        for port in svc["ports"].as_sequence().into_iter().flatten() {
            let p = port.as_str().unwrap_or_default();
            assert!(
                p.starts_with("127.0.0.1:"),
                "{name} publishes {p:?} beyond loopback"
            );
        }
        let env = svc["environment"].as_mapping().cloned().unwrap_or_default();
        for (key, value) in env {
            let (key, value) = (key.as_str().unwrap(), value.as_str().unwrap_or_default());
            assert!(
                !value.contains("guest:guest") && !value.contains("//guest"),
                "{name}: {key}"
            );
            if key.ends_with("_FILE") {
                assert!(
                    value.starts_with("/run/secrets/"),
                    "{name}: {key} names a file that is not a secret"
                );
            } else if key.contains("PASSWORD") || key.ends_with("_PASS") {
                assert!(
                    value.starts_with("${") && value.contains(":?"),
                    "{name}: {key} has a default"
                );
            }
            if key.contains("URL") && value.contains('@') {
                assert!(
                    value.contains("${"),
                    "{name}: {key} carries a literal password"
                );
            }
            if key == "GF_AUTH_ANONYMOUS_ENABLED" {
                assert_eq!(value, "false", "{name}: anonymous Grafana");
            }
        }
    }
}
