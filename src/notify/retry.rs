//! Failed notices sent again: `docket notify retry --run R [--kind K] [--channel C] [--dry-run]`.
//!
//! A notice fails for good on a permanent refusal (an SMTP 5xx, a bad address) or after
//! `notify.max_attempts` transient failures (a relay or print folder that stayed broken). Once
//! the cause is fixed, the operator makes the run's failed notices `pending` again with a fresh
//! attempt count, and the relay sends them as it sends any other: once, keyed as before, so a
//! letter is rewritten byte for byte and an email keeps its Message-ID. Each retry is recorded
//! with who did it.

use sqlx::PgPool;

use crate::domain::{Channel, NoticeKind};
use crate::store::{StoreError, outbox};

/// The kinds `--kind` accepts, as stored.
pub const KINDS: [&str; 7] = [
    "offer",
    "reminder",
    "accepted",
    "declined",
    "expired",
    "closed",
    "recalendared",
];

/// The channels `--channel` accepts, as stored.
pub const CHANNELS: [&str; 2] = ["email", "letter"];

/// A stored kind name as a [`NoticeKind`] (None for an unknown name).
pub fn kind(name: &str) -> Option<NoticeKind> {
    serde_json::from_value(serde_json::Value::String(name.into())).ok()
}

/// A stored channel name as a [`Channel`] (None for an unknown name).
pub fn channel(name: &str) -> Option<Channel> {
    serde_json::from_value(serde_json::Value::String(name.into())).ok()
}

/// Which failed notices of a run to send again.
#[derive(Debug, Clone)]
pub struct RetryFilter {
    /// Run name.
    pub run: String,
    /// Only notices of this kind.
    pub kind: Option<NoticeKind>,
    /// Only notices on this channel.
    pub channel: Option<Channel>,
}

pub use crate::store::progress::FailedNotices as FailedGroup;

/// What a retry did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetryReport {
    /// The matching failed notices, by channel and reason, before the retry.
    pub failed: Vec<FailedGroup>,
    /// Notices made pending again (0 on a dry run).
    pub requeued: u64,
    /// Whether nothing was changed.
    pub dry_run: bool,
}

/// The matching failed notices, then (unless `dry_run`) makes them `pending` again, due now,
/// with their attempts reset, and records the retry with `actor`, in one transaction (a retry
/// that matched nothing changes and records nothing).
pub async fn retry_failed(
    pool: &PgPool,
    filter: &RetryFilter,
    actor: &str,
    dry_run: bool,
) -> Result<RetryReport, StoreError> {
    let run = crate::store::runs::get(pool, &filter.run).await?;
    let matching = outbox::FailedMatch {
        run_id: run.id,
        kind: filter.kind.map(NoticeKind::as_str),
        channel: filter.channel.map(Channel::as_str),
    };
    let (failed, requeued) = outbox::retry_failed(pool, &matching, actor, dry_run).await?;
    Ok(RetryReport {
        failed,
        requeued,
        dry_run,
    })
}

/// One line per channel and reason: `3 email (permanent: smtp 550)`.
pub fn describe(groups: &[FailedGroup]) -> String {
    groups
        .iter()
        .map(|g| format!("{} {} ({})", g.count, g.channel, g.reason))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_groups_read_as_count_channel_and_reason() {
        let groups = [
            FailedGroup {
                channel: "email".into(),
                reason: "permanent: smtp 550".into(),
                count: 3,
            },
            FailedGroup {
                channel: "letter".into(),
                reason: "exhausted: print folder: permission denied".into(),
                count: 1,
            },
        ];
        assert_eq!(
            describe(&groups),
            "3 email (permanent: smtp 550) · 1 letter (exhausted: print folder: permission denied)"
        );
        assert_eq!(describe(&[]), "");
    }

    #[test]
    fn every_accepted_kind_and_channel_names_a_real_one() {
        for k in KINDS {
            assert_eq!(kind(k).map(NoticeKind::as_str), Some(k));
        }
        for c in CHANNELS {
            assert_eq!(channel(c).map(Channel::as_str), Some(c));
        }
        assert!(kind("offers").is_none() && channel("fax").is_none());
    }
}
