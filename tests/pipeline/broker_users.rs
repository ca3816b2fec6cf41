//! Least privilege on the real broker: each docket user does its own job with the permissions
//! `docket broker-users` prints, and is refused outside them.

use std::process::Command;
use std::time::Duration;

use docket::queue::permissions::{Role, for_role};
use lapin::options::{BasicGetOptions, ExchangeDeclareOptions};
use secrecy::{ExposeSecret, SecretString};

use crate::helpers::TestEnv;
use crate::{backlog, create_run, import};

fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl is needed to create test users on the local broker");
    assert!(out.status.success(), "rabbitmqctl {args:?}: {out:?}");
}

/// Users created for one test, deleted when dropped (also when the test fails).
struct Users(Vec<String>);

impl Drop for Users {
    fn drop(&mut self) {
        for u in &self.0 {
            let _ = Command::new("rabbitmqctl")
                .args(["delete_user", u])
                .output();
        }
    }
}

/// Creates a user for each role with the role's permissions on `/`; returns the settings that
/// log in as each.
fn create_users(env: &TestEnv) -> (Users, Vec<(Role, docket::config::Settings)>) {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let url = env.settings.amqp.url.expose_secret().to_string();
    assert!(
        url.contains("guest:guest@"),
        "tests log in as guest first: {url}"
    );
    let mut users = Users(Vec::new());
    let mut out = Vec::new();
    for role in Role::ALL {
        let user = format!("docket-test-{tag}-{}", role.name());
        let password = uuid::Uuid::new_v4().simple().to_string();
        rabbitmqctl(&["add_user", &user, &password]);
        users.0.push(user.clone());
        let p = for_role(role, &env.settings.amqp);
        rabbitmqctl(&[
            "set_permissions",
            "-p",
            "/",
            &user,
            &p.configure,
            &p.write,
            &p.read,
        ]);
        let mut s = env.settings.clone();
        s.amqp.url =
            SecretString::from(url.replace("guest:guest@", &format!("{user}:{password}@")));
        out.push((role, s));
    }
    (users, out)
}

/// Whether `basic_get` on `queue` as these settings' user is refused by the broker.
async fn get_refused(s: &docket::config::Settings, queue: &str) -> bool {
    let conn = docket::queue::connect(&s.amqp, "test").await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let r = ch
        .basic_get(queue.into(), BasicGetOptions { no_ack: false })
        .await;
    conn.close(200, "".into()).await.ok();
    match r {
        Err(e) => e.to_string().contains("ACCESS_REFUSED"),
        Ok(_) => false,
    }
}

/// Whether declaring an exchange of another application is refused.
async fn configure_refused(s: &docket::config::Settings) -> bool {
    let conn = docket::queue::connect(&s.amqp, "test").await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let r = ch
        .exchange_declare(
            "not-docket.x".into(),
            lapin::ExchangeKind::Fanout,
            ExchangeDeclareOptions::default(),
            Default::default(),
        )
        .await;
    conn.close(200, "".into()).await.ok();
    r.is_err_and(|e| e.to_string().contains("ACCESS_REFUSED"))
}

/// Waits until the worker has declared the work queue (enqueue only checks that it exists).
async fn wait_for_queue(a: &docket::config::AmqpSettings) {
    for _ in 0..100 {
        let conn = docket::queue::connect(a, "test").await.unwrap();
        let ch = conn.create_channel().await.unwrap();
        let found = docket::queue::topology::depth(&ch, &a.queue).await.is_ok();
        conn.close(200, "".into()).await.ok();
        if found {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the worker did not declare {} within 10 s", a.queue);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broker_user_does_its_job_and_is_refused_outside_its_permissions() {
    // Arrange
    let mut env = TestEnv::new().await;
    let (_users, roles) = create_users(&env);
    let as_role = |r: Role| roles.iter().find(|(x, _)| *x == r).unwrap().1.clone();
    let (enqueue, worker, replay) = (
        as_role(Role::Enqueue),
        as_role(Role::Worker),
        as_role(Role::Replay),
    );
    import(&env, &backlog(50, 3)).await;
    let (run_id, _) = create_run(&env, "least").await;
    let a = env.settings.amqp.clone();

    // Act: the worker user declares the queues and reviews what the enqueue user publishes.
    env.settings = worker.clone();
    let w = env.start_worker(None);
    wait_for_queue(&a).await;
    env.settings = enqueue.clone();
    env.enqueue("least")
        .await
        .expect("enqueue works as its own user");
    env.wait_for_outcomes(run_id, 50, Duration::from_secs(60))
        .await;
    w.stop().await;
    env.settings = replay.clone();
    let listed = docket::queue::dlq::list(&replay, 10).await;

    // Assert: each did its job; nobody reads what is not theirs or configures foreign names.
    assert!(listed.is_ok(), "replay lists dead letters: {listed:?}");
    assert!(
        get_refused(&enqueue, &a.queue).await,
        "enqueue consumes no jobs"
    );
    assert!(
        get_refused(&enqueue, &a.dead_letter_queue).await,
        "enqueue reads no dead letters"
    );
    assert!(
        get_refused(&worker, &a.dead_letter_queue).await,
        "worker reads no dead letters"
    );
    assert!(
        get_refused(&replay, &a.queue).await,
        "replay consumes no jobs"
    );
    for (role, s) in &roles {
        assert!(
            configure_refused(s).await,
            "{role:?} configures only docket's names"
        );
        assert!(
            get_refused(s, "not-docket.q").await,
            "{role:?} reads only docket's queues"
        );
    }
    env.cleanup().await;
}

/// `rabbitmqctl import_definitions` with the document on standard input (the CLI runs as the
/// `rabbitmq` user, which could not read a test's private file).
fn import_definitions(doc: &serde_json::Value) {
    use std::io::Write;
    let mut child = Command::new("rabbitmqctl")
        .args(["import_definitions", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rabbitmqctl is needed to import definitions into the local broker");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(doc.to_string().as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "import_definitions: {out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_create_the_users_and_the_topology_so_enqueue_may_run_before_any_worker() {
    // Arrange: nothing declared yet; the definitions `broker-users --definitions` prints, for
    // this test's names and users, imported as a deployment's one shared step.
    let mut env = TestEnv::new().await;
    let a = env.settings.amqp.clone();
    let prefix = format!("docket-test-{}-", uuid::Uuid::new_v4().simple());
    let passwords = [(); 3].map(|_| uuid::Uuid::new_v4().simple().to_string());
    let _users = Users(
        Role::ALL
            .iter()
            .map(|r| format!("{prefix}{}", r.name()))
            .collect(),
    );
    let url = a.url.expose_secret().to_string();
    let as_role = |role: Role| {
        let i = Role::ALL.iter().position(|r| *r == role).unwrap();
        let login = format!("{prefix}{}:{}@", role.name(), passwords[i]);
        let mut s = env.settings.clone();
        s.amqp.url = SecretString::from(url.replace("guest:guest@", &login));
        s
    };
    let (enqueue, worker) = (as_role(Role::Enqueue), as_role(Role::Worker));
    import(&env, &backlog(50, 5)).await;
    let (run_id, _) = create_run(&env, "first").await;
    let doc = docket::queue::definitions::document(&a, "/", &prefix, &passwords, None);
    let mut users_only = doc.clone();
    for part in ["exchanges", "queues", "bindings"] {
        users_only[part] = serde_json::json!([]);
    }
    import_definitions(&users_only);
    env.settings = enqueue.clone();
    let before = env.enqueue("first").await;

    // Act
    import_definitions(&doc);
    let after = env.enqueue("first").await;
    let conn = docket::queue::connect(&enqueue.amqp, "test").await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let waiting = docket::queue::topology::depth(&ch, &a.queue).await.unwrap();
    conn.close(200, "".into()).await.ok();
    env.settings = worker.clone();
    let w = env.start_worker(None);
    env.wait_for_outcomes(run_id, 50, Duration::from_secs(60))
        .await;
    w.stop().await;

    // Assert: with the users alone enqueue is refused (no queue); with the topology, it runs
    // first as its own user, and the worker's user reviews what it published.
    let e = before
        .expect_err("no queue before the definitions")
        .to_string();
    assert!(e.contains("NOT_FOUND"), "{e}");
    assert!(after.is_ok(), "enqueue before any worker: {after:?}");
    assert_eq!(waiting, 1, "one message of 50 cases waits for a worker");
    assert!(
        get_refused(&enqueue, &a.queue).await,
        "enqueue still consumes no jobs"
    );
    env.cleanup().await;
}
