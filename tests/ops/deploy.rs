//! The deployment files parse and agree with the program: image, command lines, ports, probe
//! paths and settings variables; promtool accepts the Prometheus config and rules.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Parser;
use docket::cli::Cli;
use docket::telemetry::server::{HEALTHZ, READYZ};
use serde_norway::Value;

/// Parses a YAML file, with `<<:` merge keys applied.
pub fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut v: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    v.apply_merge().unwrap();
    v
}

fn yaml_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .collect()
}

/// A YAML list of strings.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// A docket command line must parse with the real CLI (or be a subcommand of another branch).
#[track_caller]
fn assert_docket_args(args: &[String]) {
    let argv = std::iter::once("docket".to_string()).chain(args.iter().cloned());
    if let Err(e) = Cli::try_parse_from(argv) {
        panic!("docket {args:?} does not parse: {e}");
    }
}

/// `DOCKET_SECTION__KEY` must name a key of config/default.toml.
#[track_caller]
fn assert_setting(var: &str) {
    let defaults: toml::Table =
        toml::from_str(&std::fs::read_to_string("config/default.toml").unwrap()).unwrap();
    let path = var
        .strip_prefix("DOCKET_")
        .expect("DOCKET_ prefix")
        .to_lowercase();
    assert!(path.contains("__"), "{var}: SECTION__KEY");
    // Optional settings have no value in the file, only a comment.
    if ["notify__smtp__username", "notify__smtp__password"].contains(&path.as_str()) {
        return;
    }
    let mut at = Some(&toml::Value::Table(defaults));
    for part in path.split("__") {
        at = at.and_then(|v| v.get(part));
    }
    assert!(
        at.is_some(),
        "{var} names no setting of config/default.toml"
    );
}

fn port_of(listen: &str) -> u16 {
    listen.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn compose_runs_every_part_with_the_real_commands_ports_and_settings() {
    let c = yaml("deploy/compose.yaml");
    let services = c["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().map(|k| k.as_str().unwrap()).collect();
    for want in [
        "rabbitmq",
        "postgres",
        "migrate",
        "worker",
        "notify",
        "serve",
        "prometheus",
        "alertmanager",
        "mailpit",
        "grafana",
    ] {
        assert!(names.contains(&want), "compose has no {want} service");
    }
    let prom = std::fs::read_to_string("deploy/prometheus/prometheus.yml").unwrap();
    // (service, port its listen variable must give, variable)
    let listeners = [
        ("worker", 9464, "DOCKET_METRICS__LISTEN"),
        ("notify", 9465, "DOCKET_NOTIFY__METRICS_LISTEN"),
        ("serve", 8080, "DOCKET_SERVE__LISTEN"),
    ];
    for (name, service) in services {
        let name = name.as_str().unwrap();
        if service["image"].as_str() != Some("docket:latest") {
            continue;
        }
        assert_eq!(service["build"]["dockerfile"], "deploy/Dockerfile");
        assert!(Path::new("deploy/Dockerfile").exists());
        let command = strings(&service["command"]);
        assert_docket_args(&command);
        let env = service["environment"].as_mapping().unwrap();
        if name == "broker-definitions" {
            // Passwords of broker users, not settings: read by `broker-users --definitions`.
            assert_eq!(command[..2], ["broker-users", "--definitions"]);
            continue;
        }
        for var in env.keys().map(|k| k.as_str().unwrap()) {
            assert_setting(var);
        }
        assert!(
            env.contains_key("DOCKET_DATABASE__URL"),
            "{name} lacks the database"
        );
        // The worker and serve (the console's Dead letters page) talk to the broker, each as its
        // own least-privilege user.
        let amqp = env.get("DOCKET_AMQP__URL").and_then(|v| v.as_str());
        if name == "worker" || name == "serve" {
            let user = if name == "worker" { "worker" } else { "replay" };
            assert!(
                amqp.unwrap()
                    .starts_with(&format!("amqp://docket-{user}:${{")),
                "{amqp:?}"
            );
        } else {
            assert!(
                amqp.is_none(),
                "{name} holds a broker login it does not use"
            );
        }
        if let Some((_, port, var)) = listeners.iter().find(|(s, _, _)| *s == name) {
            let listen = env[var].as_str().unwrap();
            assert_eq!(port_of(listen), *port, "{name}: {var}={listen}");
            let check = strings(&service["healthcheck"]["test"]);
            assert_eq!(check[..2], ["CMD", "docket"], "{name} healthcheck");
            assert_docket_args(&check[2..]);
            assert_eq!(check[3], format!("http://127.0.0.1:{port}{READYZ}"));
            assert!(
                prom.contains(&format!("{name}:{port}")) || prom.contains(&format!("port: {port}"))
            );
        }
    }
    let worker = &c["services"]["worker"];
    assert!(
        worker["ports"].is_null() && worker["container_name"].is_null(),
        "--scale"
    );
    assert_eq!(
        worker["depends_on"]["migrate"]["condition"],
        "service_completed_successfully"
    );
    let serve_ports = strings(&c["services"]["serve"]["ports"]);
    assert_eq!(serve_ports, ["127.0.0.1:8080:8080"]);
    // One-shot jobs (migrate, the first admin, the broker's definitions) finish instead of
    // staying healthy.
    for name in names
        .iter()
        .filter(|n| !["migrate", "bootstrap", "broker-definitions"].contains(*n))
    {
        assert!(
            !c["services"][*name]["healthcheck"].is_null(),
            "{name}: healthcheck"
        );
    }
    let plugins = std::fs::read_to_string("deploy/rabbitmq/enabled_plugins").unwrap();
    assert!(plugins.contains("rabbitmq_prometheus"));
    assert!(
        strings(&c["services"]["rabbitmq"]["ports"]).contains(&"127.0.0.1:15692:15692".to_string())
    );
}

/// The Secret and key behind `path`, a file of a Secret volume mounted in container `c` of `pod`.
#[track_caller]
pub fn secret_file(pod: &Value, c: &Value, path: &str) -> (String, String) {
    let (dir, file) = path.rsplit_once('/').unwrap();
    let mount = c["volumeMounts"]
        .as_sequence()
        .and_then(|m| m.iter().find(|m| m["mountPath"] == dir))
        .unwrap_or_else(|| panic!("{path}: no volume mounted at {dir}"));
    let volume = pod["volumes"]
        .as_sequence()
        .and_then(|v| v.iter().find(|v| v["name"] == mount["name"]))
        .unwrap_or_else(|| panic!("{path}: no volume {:?}", mount["name"]));
    let secret = &volume["secret"];
    let item = secret["items"]
        .as_sequence()
        .and_then(|i| i.iter().find(|i| i["path"] == file))
        .unwrap_or_else(|| panic!("{path}: the Secret volume has no item {file}"));
    let name = secret["secretName"].as_str().unwrap().to_string();
    (name, item["key"].as_str().unwrap().to_string())
}

/// Every document of `deploy/k8s`, by kind and name.
pub fn k8s() -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir("deploy/k8s").unwrap() {
        let path = entry.unwrap().path();
        for doc in yaml_docs(&path) {
            let kind = doc["kind"].as_str().unwrap().to_string();
            let name = doc["metadata"]["name"].as_str().unwrap_or("").to_string();
            out.insert((kind, name), doc);
        }
    }
    out
}

#[test]
fn kubernetes_deployments_use_the_real_image_ports_probes_secrets_and_settings() {
    let k = k8s();
    let get = |kind: &str, name: &str| {
        k.get(&(kind.to_string(), name.to_string()))
            .unwrap_or_else(|| panic!("no {kind} {name} in deploy/k8s"))
    };
    let config = get("ConfigMap", "docket-config");
    let shared: BTreeMap<String, String> = config["data"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().unwrap().into()))
        .collect();
    shared.keys().for_each(|k| assert_setting(k));
    let dockerfile = std::fs::read_to_string("deploy/Dockerfile").unwrap();
    for (name, port, var, amqp) in [
        ("docket-worker", 9464, "DOCKET_METRICS__LISTEN", true),
        // The relay's outbox is in PostgreSQL: it holds no broker login.
        (
            "docket-notify",
            9465,
            "DOCKET_NOTIFY__METRICS_LISTEN",
            false,
        ),
        // Serve lists and replays dead letters on the console as docket-replay.
        ("docket-serve", 8080, "DOCKET_SERVE__LISTEN", true),
    ] {
        let pod = &get("Deployment", name)["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        let uid = pod["securityContext"]["runAsUser"].as_u64().unwrap();
        assert!(
            dockerfile.contains(&format!("USER {uid}:{uid}")),
            "{name}: uid {uid}"
        );
        let c = &pod["containers"][0];
        assert_eq!(c["image"], "docket", "{name}: kustomize image name");
        assert_docket_args(&strings(&c["args"]));
        let mut env = shared.clone();
        let mut secrets = BTreeMap::new();
        for e in c["env"].as_sequence().unwrap() {
            let var = e["name"].as_str().unwrap();
            let value = e["value"]
                .as_str()
                .expect("values and file paths, not secret values");
            match var.strip_suffix("_FILE") {
                Some(setting) => {
                    assert_setting(setting);
                    secrets.insert(setting.to_string(), secret_file(pod, c, value));
                }
                None => {
                    assert_setting(var);
                    env.insert(var.into(), value.into());
                }
            }
        }
        assert_eq!(port_of(&env[var]), port, "{name}: {var}");
        let ports = c["ports"].as_sequence().unwrap();
        assert_eq!(ports[0]["containerPort"].as_u64(), Some(u64::from(port)));
        let port_name = &ports[0]["name"];
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], HEALTHZ, "{name}");
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], READYZ, "{name}");
        assert_eq!(&c["livenessProbe"]["httpGet"]["port"], port_name);
        assert_eq!(&c["readinessProbe"]["httpGet"]["port"], port_name);
        let annotations = &get("Deployment", name)["spec"]["template"]["metadata"]["annotations"];
        assert_eq!(annotations["prometheus.io/port"], port.to_string().as_str());
        let db = secrets
            .get("DOCKET_DATABASE__URL")
            .expect("database URL from a Secret");
        assert_eq!(db, &("docket-secrets".into(), "database-url".into()));
        if amqp {
            let a = secrets
                .get("DOCKET_AMQP__URL")
                .expect("AMQP URL from a Secret");
            let key = if name == "docket-serve" {
                "replay-amqp-url"
            } else {
                "amqp-url"
            };
            assert_eq!(a, &("docket-secrets".into(), key.into()));
        } else {
            assert!(
                !secrets.contains_key("DOCKET_AMQP__URL"),
                "{name}: no broker login"
            );
        }
    }
    let worker = get("Deployment", "docket-worker");
    let grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as_u64();
    assert!(grace >= Some(30), "the grace period covers the drain");
    let pdb = get("PodDisruptionBudget", "docket-worker");
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        worker["spec"]["selector"]["matchLabels"]
    );
    let (_, job) = k
        .iter()
        .find(|((kind, _), _)| kind == "Job")
        .expect("a migrate Job");
    assert_eq!(
        strings(&job["spec"]["template"]["spec"]["containers"][0]["args"]),
        ["migrate"]
    );
    let scaled = get("ScaledObject", "docket-worker");
    assert_eq!(scaled["spec"]["scaleTargetRef"]["name"], "docket-worker");
    let trigger = &scaled["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "rabbitmq");
    let settings = docket::config::Settings::load(Some(Path::new("config/default.toml"))).unwrap();
    assert_eq!(
        trigger["metadata"]["queueName"],
        settings.amqp.queue.as_str()
    );
    let auth_name = trigger["authenticationRef"]["name"].as_str().unwrap();
    let auth = get("TriggerAuthentication", auth_name);
    assert_eq!(auth["spec"]["secretTargetRef"][0]["name"], "docket-secrets");
    let kustomization = yaml("deploy/k8s/kustomization.yaml");
    for file in strings(&kustomization["resources"]) {
        assert!(Path::new("deploy/k8s").join(&file).exists(), "{file}");
    }
}

#[test]
fn the_dockerfile_is_multi_stage_and_runs_docket_as_a_non_root_user() {
    let d = std::fs::read_to_string("deploy/Dockerfile").unwrap();
    assert_eq!(d.lines().filter(|l| l.starts_with("FROM ")).count(), 2);
    assert!(d.contains("AS build") && d.contains("COPY --from=build"));
    assert!(d.contains("USER 10001:10001") && !d.contains("USER root"));
    assert!(d.contains(r#"ENTRYPOINT ["docket"]"#));
    assert!(d.contains("EXPOSE 9464 9465 8080"));
}
