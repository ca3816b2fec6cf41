//! Shell completions and man pages, generated from the command line's own definition, so they
//! always list the subcommands and options this build has.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;

/// Writes the completion script of `shell` for `docket` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "docket", out);
}

/// Writes the man page of `docket` to `out`, or with `dir`, one page per command into `dir`
/// (`docket.1`, `docket-notify-retry.1`, …) and names them on `out`.
pub fn man(dir: Option<&Path>, out: &mut dyn Write) -> anyhow::Result<()> {
    let cmd = Cli::command();
    match dir {
        None => clap_mangen::Man::new(cmd)
            .render(out)
            .context("writing the man page")?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
            writeln!(out, "man pages written to {}", dir.display())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_name_every_subcommand() {
        let mut bash = Vec::new();
        completions(clap_complete::Shell::Bash, &mut bash);
        let bash = String::from_utf8(bash).unwrap();
        for sub in Cli::command().get_subcommands() {
            assert!(bash.contains(sub.get_name()), "{} in bash", sub.get_name());
        }
        assert!(bash.contains("retry") && bash.contains("--dry-run"));
    }

    #[test]
    fn the_man_page_has_its_sections_and_the_exit_codes() {
        let mut page = Vec::new();
        man(None, &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(".TH docket 1"), "{page}");
        for section in ["NAME", "SYNOPSIS", "SUBCOMMANDS", "EXIT STATUS"] {
            assert!(page.contains(section), "{section}");
        }
        assert!(page.contains("130"), "exit codes listed");
    }

    #[test]
    fn one_man_page_per_command_goes_into_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut said = Vec::new();
        man(Some(&dir.path().join("man1")), &mut said).unwrap();
        for page in [
            "docket.1",
            "docket-notify.1",
            "docket-notify-retry.1",
            "docket-run-pause.1",
        ] {
            assert!(dir.path().join("man1").join(page).is_file(), "{page}");
        }
    }
}
