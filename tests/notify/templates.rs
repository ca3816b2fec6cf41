//! The notice templates through the commands: `notices check` names each problem of a template
//! directory and fails, and `notices preview` writes a letter and emails from the sample case and
//! from a case of a run.

use std::path::Path;

use docket::cli::NoticesCommand;

use crate::env::{NotifyEnv, case};
use crate::letters::pdftotext;

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn preview(
    kind: &str,
    lang: &str,
    case_and_run: Option<(&str, &str)>,
    out: &Path,
) -> NoticesCommand {
    NoticesCommand::Preview {
        kind: kind.into(),
        lang: lang.into(),
        case: case_and_run.map(|(c, _)| c.to_string()),
        run: case_and_run.map(|(_, r)| r.to_string()),
        out: out.to_path_buf(),
    }
}

#[tokio::test]
async fn preview_writes_a_letter_and_emails_from_the_sample_and_from_a_case_of_a_run() {
    let env = NotifyEnv::new(1).await;
    let out = tempfile::tempdir().unwrap();
    docket::commands::notices(&env.settings, preview("offer", "es", None, out.path()))
        .await
        .unwrap();
    let letter = flat(&pdftotext(
        &out.path().join("offer-es-respondent-letter.pdf"),
    ));
    for needle in [
        "Oferta de cierre administrativo",
        "Estimado/a Maria Lopez:",
        "A012345678",
        "FORMULARIO DE RESPUESTA",
    ] {
        assert!(letter.contains(needle), "{needle} not in {letter}");
    }
    let email = std::fs::read_to_string(out.path().join("offer-es-respondent-email.txt")).unwrap();
    assert!(
        email.starts_with("Subject: Oferta de cierre administrativo"),
        "{email}"
    );
    assert!(email.contains("A******678") && !email.contains("A012345678"));
    let counsel = std::fs::read_to_string(out.path().join("offer-es-counsel-email.txt")).unwrap();
    assert!(counsel.contains("Dear Ana Ortiz:"), "{counsel}");

    // A case of a run, under the run's stored policy.
    sqlx::query(
        "INSERT INTO runs (name, rules_name, rules_version, rules_hash, rules_text, as_of, created_by) \
         VALUES ('preview', 'morton-2011', '1', 'h', $1, '2011-11-17', 'test')",
    )
    .bind(docket::commands::DEFAULT_RULES)
    .execute(&env.pool)
    .await
    .unwrap();
    docket::store::cases::upsert(&env.pool, &[case("C-PREVIEW", "zh")])
        .await
        .unwrap();
    let run = Some(("C-PREVIEW", "preview"));
    docket::commands::notices(&env.settings, preview("reminder", "zh", run, out.path()))
        .await
        .unwrap();
    let letter = flat(&pdftotext(
        &out.path().join("reminder-zh-respondent-letter.pdf"),
    ));
    for needle in [
        "Reminder: offer of",
        "Dear Maria Lopez:",
        "重要",
        "IMPORTANTE",
    ] {
        assert!(letter.contains(needle), "{needle} not in {letter}");
    }
    let missing = docket::commands::notices(
        &env.settings,
        preview("offer", "en", Some(("NO-SUCH-CASE", "preview")), out.path()),
    )
    .await
    .unwrap_err();
    assert!(
        missing.to_string().contains("no case NO-SUCH-CASE"),
        "{missing}"
    );
    let bad = docket::commands::notices(&env.settings, preview("offer", "../x", None, out.path()))
        .await
        .unwrap_err();
    assert!(bad.to_string().starts_with("--lang"), "{bad}");
}

#[tokio::test]
async fn check_names_each_problem_of_a_template_directory_and_fails() {
    let env = NotifyEnv::new(1).await;
    let check = |dir: Option<&Path>| NoticesCommand::Check {
        dir: dir.map(Path::to_path_buf),
    };
    docket::commands::notices(&env.settings, check(None))
        .await
        .expect("the shipped templates pass");

    let dir = tempfile::tempdir().unwrap();
    for (name, source) in docket::notify::templates::shipped_files() {
        let source = match name.as_str() {
            "en/offer.j2" => source.replace("## Conditions", "## Conditions of your U visa"),
            "counsel/closed.j2" => source.replace("{{ m }} granted", "{{ mechanism }} granted"),
            _ => source,
        };
        if name == "es/accepted.j2" || name == "forbidden/pa.txt" {
            continue;
        }
        let path = dir.path().join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, source).unwrap();
    }
    let err = docket::commands::notices(&env.settings, check(Some(dir.path())))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("problem(s)"), "{err}");
    let n: usize = err
        .rsplit(": ")
        .next()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // The missing file, the missing list, the mention (in the file and in the rendered notice)
    // and the variable.
    assert!(n >= 4, "{err}");
    let settings = {
        let mut s = env.settings.clone();
        s.notify.templates_dir = Some(dir.path().to_path_buf());
        s
    };
    let refused = docket::notify::Channels::from_settings(&settings.notify)
        .err()
        .expect("the relay refuses to start")
        .to_string();
    for needle in [
        "es/accepted.j2: missing template",
        "forbidden/pa.txt: missing list of forbidden words",
        "mentions \"u visa\"",
        "unknown variable `mechanism`",
    ] {
        assert!(refused.contains(needle), "{needle} not in {refused}");
    }
}
