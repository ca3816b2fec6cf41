//! `deploy/k8s` as a cluster would run it: every pod passes the Pod Security "restricted" level,
//! network policies confine each part, KEDA owns the worker count, a node can be drained at
//! KEDA's minimum, the migrate Job can be applied again, letters and email leave notify, and
//! the Prometheus Operator finds the metrics.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_norway::Value;

use crate::deploy::{k8s, secret_file, strings, yaml};

type Docs = BTreeMap<(String, String), Value>;

fn of_kind<'a>(k: &'a Docs, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
    k.iter()
        .filter(move |((k, _), _)| k == kind)
        .map(|((_, n), v)| (n.as_str(), v))
}

/// Every pod template: (kind/name, the template).
fn pod_templates(k: &Docs) -> Vec<(String, &Value)> {
    k.iter()
        .filter(|(_, d)| !d["spec"]["template"]["spec"].is_null())
        .map(|((kind, name), d)| (format!("{kind}/{name}"), &d["spec"]["template"]))
        .collect()
}

fn ports(rules: &Value, field: &str) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for rule in rules[field].as_sequence().into_iter().flatten() {
        for p in rule["ports"].as_sequence().into_iter().flatten() {
            out.insert(p["port"].as_u64().unwrap());
        }
    }
    out
}

#[test]
fn every_pod_passes_the_restricted_pod_security_level() {
    let k = k8s();
    let pods = pod_templates(&k);
    assert!(pods.len() >= 4, "worker, notify, serve, migrate: {pods:?}");
    for (name, template) in pods {
        let pod = &template["spec"];
        let sc = &pod["securityContext"];
        assert_eq!(sc["runAsNonRoot"], true, "{name}: runAsNonRoot");
        assert!(
            sc["runAsUser"].as_u64().unwrap() > 0,
            "{name}: a non-zero uid"
        );
        assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{name}");
        assert_eq!(
            pod["enableServiceLinks"], false,
            "{name}: enableServiceLinks"
        );
        assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
        for host in ["hostNetwork", "hostPID", "hostIPC"] {
            assert!(pod[host].is_null() || pod[host] == false, "{name}: {host}");
        }
        let containers = pod["containers"].as_sequence().unwrap().iter();
        let init = pod["initContainers"].as_sequence().into_iter().flatten();
        for c in containers.chain(init) {
            let c_name = c["name"].as_str().unwrap();
            let csc = &c["securityContext"];
            assert_eq!(csc["allowPrivilegeEscalation"], false, "{name}/{c_name}");
            assert_eq!(csc["readOnlyRootFilesystem"], true, "{name}/{c_name}");
            assert!(csc["privileged"].is_null() || csc["privileged"] == false);
            let drop = strings(&csc["capabilities"]["drop"]);
            assert!(
                drop.contains(&"ALL".to_string()),
                "{name}/{c_name}: drop ALL"
            );
            assert!(
                csc["capabilities"]["add"].is_null(),
                "{name}/{c_name}: no added caps"
            );
            assert!(csc["runAsUser"].is_null() || csc["runAsUser"].as_u64() > Some(0));
        }
        assert_eq!(
            template["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "docket"
        );
    }
}

#[test]
fn network_policies_confine_workers_serve_notify_and_migrate() {
    let k = k8s();
    let policies: Vec<&Value> = of_kind(&k, "NetworkPolicy").map(|(_, v)| v).collect();
    let deny = policies
        .iter()
        .find(|p| p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/part-of"] == "docket")
        .expect("a default-deny policy over every docket pod");
    let types = strings(&deny["spec"]["policyTypes"]);
    assert_eq!(types, ["Ingress", "Egress"]);
    assert!(
        deny["spec"]["ingress"].is_null(),
        "the default takes no ingress"
    );
    assert_eq!(ports(&deny["spec"], "egress"), BTreeSet::from([53]));
    let for_app = |app: &str| {
        policies
            .iter()
            .find(|p| p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == app)
            .unwrap_or_else(|| panic!("no NetworkPolicy for {app}"))
            .get("spec")
            .unwrap()
    };
    for (_, template) in pod_templates(&k) {
        let app = template["metadata"]["labels"]["app.kubernetes.io/name"]
            .as_str()
            .unwrap();
        for_app(app);
    }
    let worker = for_app("docket-worker");
    assert_eq!(
        ports(worker, "egress"),
        BTreeSet::from([5432, 5671, 5672]),
        "workers reach only PostgreSQL and RabbitMQ"
    );
    assert_eq!(ports(worker, "ingress"), BTreeSet::from([9464]));
    let serve = for_app("docket-serve");
    assert_eq!(ports(serve, "ingress"), BTreeSet::from([8080]));
    assert_eq!(
        ports(serve, "egress"),
        BTreeSet::from([5432, 5671, 5672]),
        "serve reaches PostgreSQL and, for the Dead letters page, RabbitMQ"
    );
    let notify = for_app("docket-notify");
    let smtp = ports(notify, "egress");
    assert!(smtp.contains(&587) && smtp.contains(&25) && smtp.contains(&5432));
    assert_eq!(
        ports(for_app("docket-migrate"), "egress"),
        BTreeSet::from([5432])
    );
}

#[test]
fn keda_owns_the_worker_count_and_a_node_drains_at_its_minimum() {
    let k = k8s();
    for (_, scaled) in of_kind(&k, "ScaledObject") {
        let target = scaled["spec"]["scaleTargetRef"]["name"].as_str().unwrap();
        let deployment = &k[&("Deployment".to_string(), target.to_string())];
        assert!(
            deployment["spec"]["replicas"].is_null(),
            "{target}: `replicas` would fight KEDA's HPA on every apply"
        );
        let min = scaled["spec"]["minReplicaCount"].as_u64().unwrap_or(0);
        if min > 0 {
            let behavior = &scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"];
            assert!(
                !behavior["behavior"]["scaleDown"].is_null(),
                "cooldownPeriod only covers scaling to zero: set the HPA's scale-down"
            );
        }
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        let (_, pdb) = of_kind(&k, "PodDisruptionBudget")
            .find(|(_, p)| &p["spec"]["selector"]["matchLabels"] == selector)
            .unwrap_or_else(|| panic!("{target}: no PodDisruptionBudget"));
        let replicas = min.max(1);
        let allowed = match (&pdb["spec"]["maxUnavailable"], &pdb["spec"]["minAvailable"]) {
            (Value::Number(n), _) => n.as_u64().unwrap().min(replicas),
            (_, Value::Number(n)) => replicas.saturating_sub(n.as_u64().unwrap()),
            (_, Value::String(pct)) => {
                let pct: u64 = pct.trim_end_matches('%').parse().unwrap();
                replicas - (replicas * pct).div_ceil(100)
            }
            other => panic!("{target}: PDB {other:?}"),
        };
        assert!(
            allowed >= 1,
            "{target}: at {replicas} replica(s) no node could drain"
        );
    }
}

#[test]
fn the_migrate_job_is_named_for_its_release_so_a_new_image_applies() {
    let k = k8s();
    let jobs: Vec<(&str, &Value)> = of_kind(&k, "Job").collect();
    assert_eq!(jobs.len(), 1);
    let (name, job) = jobs[0];
    let kustomization = yaml("deploy/k8s/kustomization.yaml");
    let tag = kustomization["images"][0]["newTag"].as_str().unwrap();
    assert_ne!(
        tag, "latest",
        "a release tag, so the Job's name can follow it"
    );
    assert_eq!(name, format!("docket-migrate-{}", tag.replace('.', "-")));
    assert!(job["spec"]["ttlSecondsAfterFinished"].as_u64().is_some());
    let args = strings(&job["spec"]["template"]["spec"]["containers"][0]["args"]);
    assert_eq!(args, ["migrate"]);
    let mut listed = strings(&kustomization["resources"]);
    listed.push("kustomization.yaml".into());
    for entry in std::fs::read_dir("deploy/k8s").unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            listed.contains(&file),
            "{file} is not in kustomization.yaml"
        );
    }
}

#[test]
fn notify_writes_letters_to_a_volume_and_mails_through_a_relay_and_serve_has_no_shared_tokens() {
    let k = k8s();
    let config = &k[&("ConfigMap".to_string(), "docket-config".to_string())]["data"];
    let notify = &k[&("Deployment".to_string(), "docket-notify".to_string())];
    let pod = &notify["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let print_dir = config["DOCKET_NOTIFY__PRINT_DIR"].as_str().unwrap();
    assert!(Path::new(print_dir).is_absolute());
    let mount = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == print_dir)
        .expect("a volume at the print folder (the root filesystem is read-only)");
    assert!(mount["readOnly"].is_null() || mount["readOnly"] == false);
    let volume = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .unwrap();
    let claim = volume["persistentVolumeClaim"]["claimName"]
        .as_str()
        .unwrap();
    assert!(k.contains_key(&("PersistentVolumeClaim".to_string(), claim.to_string())));
    assert!(
        !pod["securityContext"]["fsGroup"].is_null(),
        "the volume is writable"
    );
    let host = config["DOCKET_NOTIFY__SMTP__HOST"].as_str().unwrap();
    assert!(
        host != "127.0.0.1" && host != "localhost",
        "SMTP points at a relay"
    );

    let serve = &k[&("Deployment".to_string(), "docket-serve".to_string())];
    let pod = &serve["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    let env = c["env"].as_sequence().unwrap();
    assert!(
        env.iter()
            .all(|e| !e["name"].as_str().unwrap().starts_with("DOCKET_API__")),
        "no shared API tokens: serve refuses them, tokens belong to named accounts"
    );
    let url = env
        .iter()
        .find(|e| e["name"] == "DOCKET_DATABASE__URL_FILE")
        .expect("serve reads its database URL from the secret");
    let (secret, _) = secret_file(pod, c, url["value"].as_str().unwrap());
    assert_eq!(secret, "docket-secrets");
}

#[test]
fn the_prometheus_operator_scrapes_every_annotated_pod() {
    let k = k8s();
    let monitors: Vec<&Value> = of_kind(&k, "PodMonitor")
        .chain(of_kind(&k, "ServiceMonitor"))
        .map(|(_, v)| v)
        .collect();
    assert!(!monitors.is_empty(), "a PodMonitor or ServiceMonitor");
    let (_, pm) = of_kind(&k, "PodMonitor").next().expect("a PodMonitor");
    let selector = pm["spec"]["selector"]["matchLabels"].as_mapping().unwrap();
    let endpoint_ports: BTreeSet<String> = pm["spec"]["podMetricsEndpoints"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["port"].as_str().unwrap().to_string())
        .collect();
    for (_, d) in of_kind(&k, "Deployment") {
        let template = &d["spec"]["template"];
        let annotations = &template["metadata"]["annotations"];
        if annotations["prometheus.io/scrape"] != "true" {
            continue;
        }
        let labels = template["metadata"]["labels"].as_mapping().unwrap();
        for (key, value) in selector {
            assert_eq!(labels.get(key), Some(value), "the PodMonitor selects it");
        }
        let port: u64 = annotations["prometheus.io/port"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let c = &template["spec"]["containers"][0];
        let named = c["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|p| p["containerPort"].as_u64() == Some(port))
            .and_then(|p| p["name"].as_str())
            .unwrap();
        assert!(endpoint_ports.contains(named), "{named} is scraped");
    }
}

#[test]
fn the_operators_create_the_broker_users_with_docket_s_permissions_and_its_topology() {
    let k = k8s();
    let a = docket::config::Settings::load(Some(Path::new("config/default.toml")))
        .unwrap()
        .amqp;
    let cluster = &k[&("RabbitmqCluster".into(), "docket-rabbitmq".into())];
    assert_eq!(cluster["spec"]["replicas"], 3, "a quorum survives one node");
    // Each role's user and exactly the permissions `docket broker-users` prints.
    for role in docket::queue::permissions::Role::ALL {
        let user = format!("docket-{}", role.name());
        let u = &k[&("User".into(), user.clone())];
        assert_eq!(
            u["spec"]["importCredentialsSecret"]["name"].as_str(),
            Some(format!("docket-broker-{}", role.name()).as_str())
        );
        let p = &k[&("Permission".into(), user.clone())]["spec"];
        assert_eq!(p["user"].as_str(), Some(user.as_str()));
        let want = docket::queue::permissions::for_role(role, &a);
        let got = &p["permissions"];
        assert_eq!(
            got["configure"].as_str(),
            Some(want.configure.as_str()),
            "{user}"
        );
        assert_eq!(got["write"].as_str(), Some(want.write.as_str()), "{user}");
        assert_eq!(got["read"].as_str(), Some(want.read.as_str()), "{user}");
    }
    // The topology with the worker's own arguments, so either may declare it first.
    let (_, review) = of_kind(&k, "Queue")
        .find(|(_, q)| q["spec"]["name"].as_str() == Some(a.queue.as_str()))
        .expect("the review queue");
    assert_eq!(review["spec"]["type"], "quorum");
    let args = &review["spec"]["arguments"];
    assert_eq!(
        args["x-dead-letter-exchange"].as_str(),
        Some(a.dead_letter_exchange.as_str())
    );
    assert_eq!(
        args["x-delivery-limit"].as_u64(),
        Some(u64::from(a.delivery_limit))
    );
    let bound = of_kind(&k, "Binding").any(|(_, b)| {
        b["spec"]["source"].as_str() == Some(a.exchange.as_str())
            && b["spec"]["destination"].as_str() == Some(a.queue.as_str())
            && b["spec"]["routingKey"].as_str() == Some(a.routing_key.as_str())
    });
    assert!(bound, "jobs exchange bound to the review queue");
    let resources = strings(&yaml("deploy/k8s/kustomization.yaml")["resources"]);
    assert!(resources.contains(&"rabbitmq.yaml".to_string()));
}
