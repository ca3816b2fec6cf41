//! `docket notices bench`: the real relay (claims, letters with embedded fonts, emails into a
//! pickup directory, results recorded) over a generated outbox in a fresh database, timed.
//!
//! The outbox is filled straight from generated cases with [`plan_notices`] (offers, reminders,
//! acceptances and closures in turn), so the bench needs no review run: its database is created
//! for it, the outbox's foreign key to transitions is dropped there, and the database and the
//! output folder are removed at the end.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sqlx::PgPool;

use super::Channels;
use super::metrics::NotifyMetrics;
use super::relay::{DrainOutcome, Relay};
use crate::bench::procs::{CpuReading, own_cpu_seconds, own_system_cpu_seconds};
use crate::config::Settings;
use crate::domain::{Channel, NoticeContext, NoticeKind, plan_notices};
use crate::store::{self, outbox};

/// What to measure.
#[derive(Debug, Clone)]
pub struct NotifyBenchOptions {
    /// Notices to queue and relay.
    pub notices: usize,
    /// Relays side by side.
    pub relays: usize,
    /// Rows claimed per transaction.
    pub batch: u32,
    /// Seed of the generated cases.
    pub seed: u64,
}

/// What the bench measured.
#[derive(Debug, Clone, Serialize)]
pub struct NotifyBenchReport {
    /// Notices relayed (sent).
    pub sent: usize,
    /// Of which letters.
    pub letters: usize,
    /// Of which emails.
    pub emails: usize,
    /// Held or failed (should be 0).
    pub not_sent: usize,
    /// Seconds from the first claim to the last commit.
    pub seconds: f64,
    /// Notices per second.
    pub per_second: f64,
    /// Bytes of letters written.
    pub letter_bytes: u64,
    /// CPU seconds (user + system) of this process while the relays ran.
    pub cpu_seconds: f64,
    /// Of which in the kernel (creating, writing and renaming files, mostly).
    pub system_cpu_seconds: f64,
    /// CPU seconds of the bench database's PostgreSQL backends while the relays ran.
    pub postgres_cpu_seconds: f64,
    /// The load average (1, 5, 15 minutes) when the relays finished.
    pub load_average: String,
}

/// The kinds queued, in turn: offers and their reminders, then the answers and closures.
const KINDS: [NoticeKind; 4] = [
    NoticeKind::Offer,
    NoticeKind::Reminder,
    NoticeKind::Accepted,
    NoticeKind::Closed,
];

/// Runs the bench in a fresh database named after the process, removed at the end.
pub async fn run(base: &Settings, opt: &NotifyBenchOptions) -> Result<NotifyBenchReport> {
    let id = format!(
        "{}{}",
        std::process::id(),
        chrono::Utc::now().format("%H%M%S")
    );
    let mut s = base.clone();
    let url = s.database.url.expose_secret().to_string();
    let db_name = format!("docket_notify_bench_{id}");
    let bench_url =
        store::with_database(&url, &db_name).context("database.url has no database name")?;
    s.database.url = SecretString::from(bench_url);
    let out = std::env::temp_dir().join(format!("docket-notify-bench-{id}"));
    let result = measure(&s, opt, &out, &db_name).await;
    std::fs::remove_dir_all(&out).ok();
    let dropped = drop_database(&base.database, &db_name).await;
    if let Err(e) = dropped {
        eprintln!("notices bench: could not drop database {db_name}: {e}");
    }
    result
}

async fn measure(
    s: &Settings,
    opt: &NotifyBenchOptions,
    out: &std::path::Path,
    db_name: &str,
) -> Result<NotifyBenchReport> {
    store::ensure_database(&s.database).await?;
    let pool = store::connect(&s.database).await?;
    store::migrate(&pool).await?;
    store::bench::drop_outbox_transition_key(&pool)
        .await
        .context("dropping the outbox's foreign key in the bench database")?;
    let (letters, emails) = fill(&pool, opt).await?;
    let mut notify = s.notify.clone();
    notify.print_dir = out.join("print");
    notify.smtp.pickup_dir = Some(out.join("mail"));
    notify.batch_size = opt.batch;
    let channels = Channels::from_settings(&notify)?;
    let started = Instant::now();
    let cpu_before = (
        own_cpu_seconds(),
        CpuReading::take(db_name),
        own_system_cpu_seconds(),
    );
    let relays: Vec<_> = (0..opt.relays.max(1))
        .map(|_| {
            let relay = Relay::new(
                pool.clone(),
                channels.clone(),
                notify.clone(),
                NotifyMetrics::standalone(),
            );
            tokio::spawn(async move { relay.drain_all().await })
        })
        .collect();
    let mut total = DrainOutcome::default();
    for r in relays {
        let o = r.await.context("relay task panicked")??;
        total.sent += o.sent;
        total.failed += o.failed + o.retried + o.held;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = own_cpu_seconds() - cpu_before.0;
    let postgres_cpu_seconds = cpu_before.1.since();
    let system_cpu_seconds = own_system_cpu_seconds() - cpu_before.2;
    pool.close().await;
    Ok(NotifyBenchReport {
        sent: total.sent,
        letters,
        emails,
        not_sent: total.failed,
        seconds,
        per_second: total.sent as f64 / seconds.max(1e-9),
        letter_bytes: dir_bytes(&out.join("print")),
        cpu_seconds,
        system_cpu_seconds,
        postgres_cpu_seconds,
        load_average: std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    })
}

/// Queues `opt.notices` notices from generated cases; returns (letters, emails).
async fn fill(pool: &PgPool, opt: &NotifyBenchOptions) -> Result<(usize, usize)> {
    let issued_on = NaiveDate::from_ymd_opt(2011, 12, 1).context("date")?;
    let (mut letters, mut emails, mut queued) = (0, 0, 0);
    let mut cases = crate::generate::cases(usize::MAX, opt.seed);
    let mut transition = 0i64;
    while queued < opt.notices {
        let mut planned = Vec::new();
        while planned.len() < 2000 && queued + planned.len() < opt.notices {
            let case = cases.next().context("generator ran out")?;
            let kind = KINDS[transition as usize % KINDS.len()];
            let ctx = NoticeContext {
                kind,
                deadline: issued_on.checked_add_days(chrono::Days::new(30)),
                deadline_days: Some(30),
                closure_mechanism: "admin_closure".into(),
                issued_on,
            };
            transition += 1;
            for n in plan_notices(&case, &ctx) {
                planned.push((case.case_id.to_string(), transition, n));
            }
        }
        planned.truncate(opt.notices - queued);
        let items: Vec<_> = planned
            .iter()
            .map(|(case_id, t, n)| outbox::Queued {
                run_id: 1,
                case_id,
                transition_id: *t,
                notice: n,
            })
            .collect();
        let mut conn = pool.acquire().await?;
        outbox::queue(&mut conn, &items).await?;
        for (_, _, n) in &planned {
            match n.channel {
                Channel::Letter => letters += 1,
                Channel::Email => emails += 1,
            }
        }
        queued += planned.len();
    }
    Ok((letters, emails))
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

async fn drop_database(base: &crate::config::DatabaseSettings, name: &str) -> Result<()> {
    let mut admin_settings = base.clone();
    let url = base.url.expose_secret().to_string();
    let admin_url =
        store::with_database(&url, "postgres").context("database.url has no database name")?;
    admin_settings.url = SecretString::from(admin_url);
    let admin = store::connect(&admin_settings).await?;
    if !store::valid_database_name(name) {
        anyhow::bail!("bad database name");
    }
    store::bench::drop_database(&admin, name).await?;
    admin.close().await;
    Ok(())
}

/// One line per figure, for people.
pub fn render(r: &NotifyBenchReport) -> String {
    let per_notice = |cpu: f64| 1000.0 * cpu / (r.sent.max(1) as f64);
    format!(
        "relayed {} notices ({} letters, {} emails; {} not sent) in {:.1} s: {:.0} notices/s; \
         {:.0} MB of letters\n\
         CPU while relaying: docket {:.1} s ({:.2} ms a notice, {:.0}% in the kernel), PostgreSQL {:.1} s ({:.2} ms a \
         notice); load average {}\n",
        r.sent,
        r.letters,
        r.emails,
        r.not_sent,
        r.seconds,
        r.per_second,
        r.letter_bytes as f64 / 1e6,
        r.cpu_seconds,
        per_notice(r.cpu_seconds),
        100.0 * r.system_cpu_seconds / r.cpu_seconds.max(1e-9),
        r.postgres_cpu_seconds,
        per_notice(r.postgres_cpu_seconds),
        r.load_average,
    )
}
