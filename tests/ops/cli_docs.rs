//! Completions, man pages and exit codes as an operator meets them: from the real binary, with
//! no settings needed, and the README's exit codes the ones `--help` prints.

use std::process::Command;

fn docket(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(args)
        // A broken setting does not matter: nothing here loads settings.
        .env("DOCKET_DATABSE__URL", "postgres://nowhere/x")
        .output()
        .unwrap()
}

#[test]
fn completions_and_man_pages_come_from_the_binary_without_settings() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = docket(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("docket") && text.contains("retry"), "{shell}");
    }
    let out = docket(&["man"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(".ie"));
    let dir = tempfile::tempdir().unwrap();
    let out = docket(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("docket-notify-retry.1").is_file());
    let bad = docket(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error exits 2");
}

#[test]
fn the_readme_documents_the_exit_codes_help_prints() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let table = readme
        .split("### Exit codes")
        .nth(1)
        .expect("README has an Exit codes section")
        .split("\n\n##")
        .next()
        .unwrap();
    let codes = |text: &str, prefix: &str| -> Vec<u16> {
        text.lines()
            .filter_map(|l| l.trim_start().strip_prefix(prefix))
            .filter_map(|l| l.split([' ', '|']).find(|w| !w.is_empty()))
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let documented = codes(table, "| ");
    let printed = codes(docket::cli::EXIT_STATUS, "");
    assert_eq!(documented, [0, 1, 2, 130, 143]);
    assert_eq!(documented, printed);
    let help = docket(&["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("EXIT STATUS"));
}
