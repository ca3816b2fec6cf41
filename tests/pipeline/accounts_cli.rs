//! `docket user add` as a first-use script runs it: the password from a secret file, and a second
//! run that leaves the existing account alone.

use docket::identity::{store as accounts, verify_password};

use crate::helpers::TestEnv;
use crate::run_create::docket;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_comes_from_a_secret_file_once() {
    let env = TestEnv::new().await;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("admin_password");
    std::fs::write(&secret, "correct horse battery staple\n").unwrap();
    let file = secret.to_str().unwrap();
    let add = [
        "user",
        "add",
        "admin",
        "--role",
        "admin",
        "--if-missing",
        "--password-file",
        file,
    ];

    let (ok, out, err) = docket(&env, &add);
    assert!(ok, "{out}{err}");
    let (_, _, hash) = accounts::credentials(&env.pool, "admin")
        .await
        .unwrap()
        .unwrap();
    let hash = hash.expect("a password account");
    assert!(verify_password("correct horse battery staple", &hash));
    assert!(!out.contains("correct horse") && !err.contains("correct horse"));

    // Again, with another password: left as it is, and still a success.
    std::fs::write(&secret, "another password entirely\n").unwrap();
    let (ok, out, err) = docket(&env, &add);
    assert!(ok && out.contains("left as it is"), "{out}{err}");
    let (_, _, again) = accounts::credentials(&env.pool, "admin")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.as_deref(), Some(hash.as_str()));

    // Without --if-missing a second account of that name is refused; an empty file is refused.
    let (ok, _, err) = docket(
        &env,
        &[
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-file",
            file,
        ],
    );
    assert!(!ok && err.contains("exists already"), "{err}");
    std::fs::write(&secret, "").unwrap();
    let (ok, _, err) = docket(
        &env,
        &[
            "user",
            "add",
            "clerk",
            "--role",
            "viewer",
            "--password-file",
            file,
        ],
    );
    assert!(!ok && err.contains("is empty"), "{err}");
    env.cleanup().await;
}
