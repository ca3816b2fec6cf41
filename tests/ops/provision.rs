//! A fresh machine: the README's test command provisions what the tests need. Every external
//! program a test runs is one that `scripts/setup` installs (or checks, for the servers).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Programs every Debian machine has (coreutils, procps, bash).
const BASE_SYSTEM: &[&str] = &["kill", "bash", "sh"];

/// The programs the test sources start by a literal name, through `Command::new` or `binary`.
fn programs_started_by_tests() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut dirs = vec![Path::new("tests").to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for opener in ["Command::new(\"", "binary(\""] {
                for piece in text.split(opener).skip(1) {
                    let name = piece.split('"').next().unwrap();
                    // Our own scripts (a path) are in the repository.
                    if !name.is_empty() && !name.contains(' ') && !name.contains('/') {
                        out.insert(name.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_program_a_test_runs_is_provisioned_by_scripts_setup() {
    let setup = std::fs::read_to_string("scripts/setup").expect("scripts/setup exists");
    let programs = programs_started_by_tests();
    for want in [
        "prometheus",
        "promtool",
        "pdftotext",
        "pdftoppm",
        "rabbitmqctl",
    ] {
        assert!(
            programs.contains(want),
            "the scan finds {want}: {programs:?}"
        );
    }
    let missing: Vec<&String> = programs
        .iter()
        .filter(|p| !BASE_SYSTEM.contains(&p.as_str()))
        .filter(|p| !setup.contains(&format!(":{p}\"")) && !setup.contains(&format!("v {p} ")))
        .collect();
    assert!(
        missing.is_empty(),
        "tests run programs scripts/setup neither installs nor checks: {missing:?}"
    );
    for package in [
        "prometheus",
        "poppler-utils",
        "chromium",
        "chromium-driver",
        "fonts-noto-core",
        "fonts-noto-cjk",
        "fonts-noto-extra",
    ] {
        assert!(setup.contains(&format!("\"{package}:")), "{package}");
    }
    assert!(setup.contains("apt-get update") && setup.contains("service prometheus stop"));
}

#[test]
fn the_readme_test_command_provisions_and_ci_runs_it() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let fresh = readme
        .split("\n## ")
        .find(|s| s.starts_with("Two commands on a fresh machine"))
        .expect("README has its fresh-machine section");
    assert!(fresh.contains("```sh\nscripts/test\n```"), "{fresh}");
    let test = std::fs::read_to_string("scripts/test").unwrap();
    assert!(test.contains("scripts/setup") && test.contains("--all-targets"));
    let ci = std::fs::read_to_string(".ci/run").unwrap();
    assert!(ci.lines().any(|l| l.trim() == "scripts/test"), "{ci}");
    for script in ["scripts/setup", "scripts/test", ".ci/run"] {
        let out = Command::new("bash").args(["-n", script]).output().unwrap();
        assert!(out.status.success(), "{script}: {out:?}");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(script).unwrap().permissions(),
        );
        assert!(mode & 0o111 != 0, "{script} is executable");
    }
}

#[test]
fn ci_checks_the_query_data_with_the_sqlx_cli_of_cargo_lock() {
    let lock = std::fs::read_to_string("Cargo.lock").unwrap();
    let sqlx = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"sqlx\"\n"))
        .and_then(|p| p.split("version = \"").nth(1))
        .and_then(|v| v.split('"').next())
        .expect("Cargo.lock has sqlx");
    let setup = std::fs::read_to_string("scripts/setup").unwrap();
    assert!(
        setup.contains(&format!("cargo install sqlx-cli --version {sqlx} --locked")),
        "scripts/setup installs the sqlx-cli of sqlx {sqlx}"
    );
    let ci = std::fs::read_to_string(".ci/run").unwrap();
    assert!(ci.contains("cargo sqlx prepare --check"), "{ci}");
    let config = std::fs::read_to_string(".cargo/config.toml").unwrap();
    assert!(config.contains("SQLX_OFFLINE = \"true\""), "{config}");
    let cached = std::fs::read_dir(".sqlx")
        .expect(".sqlx is committed")
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("query-")
        })
        .count();
    assert!(cached > 50, "{cached} queries in .sqlx");
}
