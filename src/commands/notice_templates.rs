//! `docket notices check` and `docket notices preview`: the notice templates checked, and one
//! letter and its emails written to look at.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::config::Settings;
use crate::domain::{Channel, NoticeContext, NoticeKind, NoticePayload, Recipient};
use crate::notify::offices::Offices;
use crate::notify::templates::{Templates, check};

/// `docket notices check [--dir DIR]`: every problem of the templates (the directory given, else
/// `notify.templates_dir`, else the shipped ones) and of the office directory; fails on any.
pub fn check_templates(settings: &Settings, dir: Option<&Path>) -> anyhow::Result<()> {
    let dir = dir.or(settings.notify.templates_dir.as_deref());
    let (origin, files) = match dir {
        Some(d) => (
            d.display().to_string(),
            crate::notify::templates::read_dir(d)
                .with_context(|| format!("reading the templates in {}", d.display()))?,
        ),
        None => (
            "(shipped)".to_string(),
            crate::notify::templates::shipped_files(),
        ),
    };
    let files_n = files.len();
    let (templates, mut problems) = Templates::compile(&origin, files);
    let report = check::check(&templates);
    problems.extend(report.problems);
    let offices = Offices::load(settings.notify.offices_file.as_deref())?;
    for court in offices.missing(crate::generate::court_codes()) {
        problems.push(check::Problem::new(
            "office directory",
            None,
            format!("court {court}: no office"),
        ));
    }
    for note in &report.notes {
        println!("note: {note}");
    }
    for p in &problems {
        println!("{p}");
    }
    if !problems.is_empty() {
        bail!("notice templates {origin}: {} problem(s)", problems.len());
    }
    println!(
        "notice templates {origin}: {files_n} files, every kind and language complete, {} note(s)",
        report.notes.len()
    );
    Ok(())
}

/// What `docket notices preview` renders.
pub struct PreviewArgs {
    /// Notice kind.
    pub kind: NoticeKind,
    /// Respondent's language.
    pub lang: String,
    /// A real case (with `run`), instead of the sample one.
    pub case: Option<String>,
    /// The run whose policy (closure mechanism, deadline) applies.
    pub run: Option<String>,
    /// Output directory.
    pub out: PathBuf,
}

/// `docket notices preview KIND --lang L [--case ID --run R] [--out DIR]`: the respondent's
/// letter (PDF) and email, and counsel's email, as files to look at. Prints the paths only.
pub async fn preview(settings: &Settings, a: PreviewArgs) -> anyhow::Result<()> {
    if !(2..=3).contains(&a.lang.len()) || !a.lang.bytes().all(|b| b.is_ascii_lowercase()) {
        bail!("--lang: an ISO 639 code of 2 or 3 lower-case letters (es, zh, ...)");
    }
    let n = &settings.notify;
    let templates = Templates::load(n.templates_dir.as_deref())?;
    let offices = Offices::load(n.offices_file.as_deref())?;
    let payloads = match (&a.case, &a.run) {
        (Some(case), Some(run)) => real_payloads(settings, case, run, a.kind).await?,
        (None, None) => [Recipient::Respondent, Recipient::Counsel]
            .into_iter()
            .map(|r| check::sample_payload(a.kind, r, "en"))
            .collect(),
        _ => bail!("--case and --run go together"),
    };
    let mut payloads: Vec<NoticePayload> = payloads;
    for p in &mut payloads {
        if p.recipient == Recipient::Respondent {
            p.language = a.lang.clone();
        }
    }
    // Files with personal data when the case is real: created like letters (owner only, or the
    // group of files.pickup_group).
    let access = crate::files::Access::from_settings(&settings.files)?;
    access
        .create_dir(&a.out)
        .with_context(|| format!("creating {}", a.out.display()))?;
    let stem = format!("{}-{}", a.kind.as_str(), a.lang);
    for p in &payloads {
        let office = crate::notify::office_for(&offices, p)?;
        let who = p.recipient.as_str();
        let email = templates.render(p, Channel::Email, office)?;
        let text = format!(
            "Subject: {}\n\n{}",
            email.subject,
            crate::notify::templates::email_body(&email)
        );
        write(
            access,
            &a.out.join(format!("{stem}-{who}-email.txt")),
            text.as_bytes(),
        )?;
        if p.recipient == Recipient::Respondent {
            let fonts = crate::notify::pdf::FontSet::load(&n.fonts_dir)?;
            let address = p
                .address
                .as_ref()
                .context("the case has no postal address: no letter")?;
            let notice = templates.render(p, Channel::Letter, office)?;
            let letter =
                crate::notify::letter::render(&fonts, &notice, &p.addressee_name, address, office)?;
            write(
                access,
                &a.out.join(format!("{stem}-{who}-letter.pdf")),
                &letter.pdf,
            )?;
        }
    }
    Ok(())
}

fn write(access: crate::files::Access, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    access
        .write(path, bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}

/// The respondent's and counsel's notices of a real case under a run's policy, issued today.
async fn real_payloads(
    settings: &Settings,
    case_id: &str,
    run: &str,
    kind: NoticeKind,
) -> anyhow::Result<Vec<NoticePayload>> {
    let pool = crate::store::connect(&settings.database).await?;
    let (_, policy) = crate::offers::run_policy(&pool, run).await?;
    let records = crate::store::cases::records(&pool, &[case_id.to_string()]).await?;
    pool.close().await;
    let (_, record) = records
        .into_iter()
        .next()
        .with_context(|| format!("no case {case_id}"))?;
    let case: crate::domain::Case = crate::domain::decode_json(record.as_bytes())
        .map_err(|e| anyhow::anyhow!("case {case_id}: the stored record does not decode: {e}"))?;
    let today = chrono::Utc::now().date_naive();
    let deadline = matches!(
        kind,
        NoticeKind::Offer | NoticeKind::Reminder | NoticeKind::Expired
    )
    .then(|| today.checked_add_days(chrono::Days::new(policy.deadline_days.into())))
    .flatten();
    let ctx = NoticeContext {
        kind,
        deadline,
        deadline_days: (kind == NoticeKind::Offer).then_some(policy.deadline_days),
        closure_mechanism: policy.closure_mechanism.clone(),
        issued_on: today,
    };
    let mut out: Vec<NoticePayload> = Vec::new();
    for planned in crate::domain::plan_notices(&case, &ctx) {
        let letter_or_counsel =
            planned.channel == Channel::Letter || planned.recipient == Recipient::Counsel;
        if letter_or_counsel && !out.iter().any(|p| p.recipient == planned.recipient) {
            out.push(planned.payload);
        }
    }
    if out.is_empty() {
        bail!("case {case_id}: no notice to preview (no postal address and no counsel)");
    }
    Ok(out)
}
