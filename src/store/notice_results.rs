//! What happened to a relay's claimed notices, recorded in one statement per batch.
//!
//! One `UPDATE` per notice cost a round trip each: at a few thousand notices a second that alone
//! was seconds of a demo's relay. The batch's results go to the database as arrays and are applied
//! by one `UPDATE … FROM UNNEST`, inside the claim's transaction.

use std::time::Duration;

use sqlx::PgConnection;

use super::StoreError;

/// The result of one claimed notice.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeResult {
    /// Sent: `sent`, with the time.
    Sent,
    /// A transient failure: stays `pending` until `now + delay`, with the error.
    Retry(Duration, String),
    /// Failed for good, with the reason and error.
    Failed(String),
    /// Held for a person, with the reason (stored as `held: <reason>`).
    Held(String),
}

impl NoticeResult {
    /// The new status (`None`: stays as it is), the error to record and the retry delay.
    fn columns(&self) -> (Option<&'static str>, Option<String>, Option<f64>) {
        match self {
            Self::Sent => (Some("sent"), None, None),
            Self::Retry(delay, e) => (None, Some(e.clone()), Some(delay.as_secs_f64())),
            Self::Failed(e) => (Some("failed"), Some(e.clone()), None),
            Self::Held(reason) => (Some("held"), Some(format!("held: {reason}")), None),
        }
    }
}

/// Records the results of claimed rows (`(id, result)`): every row's attempt is counted and its
/// error replaced (cleared when sent).
pub async fn record(
    conn: &mut PgConnection,
    results: &[(i64, NoticeResult)],
) -> Result<(), StoreError> {
    if results.is_empty() {
        return Ok(());
    }
    let n = results.len();
    let (mut ids, mut statuses, mut errors, mut delays) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (id, result) in results {
        let (status, error, delay) = result.columns();
        ids.push(*id);
        statuses.push(status);
        errors.push(error);
        delays.push(delay);
    }
    sqlx::query!(
        r#"
        UPDATE notifications n SET
            status = COALESCE(t.status, n.status),
            sent_at = CASE WHEN t.status = 'sent' THEN now() ELSE n.sent_at END,
            attempts = n.attempts + 1,
            last_error = t.error,
            next_attempt_at = CASE WHEN t.delay IS NULL THEN n.next_attempt_at
                                   ELSE now() + make_interval(secs => t.delay) END
        FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::float8[])
             AS t(id, status, error, delay)
        WHERE n.id = t.id
        "#,
        &ids,
        &statuses as &[Option<&str>],
        &errors as &[Option<String>],
        &delays as &[Option<f64>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_result_sets_its_own_columns() {
        assert_eq!(NoticeResult::Sent.columns(), (Some("sent"), None, None));
        assert_eq!(
            NoticeResult::Retry(Duration::from_millis(1500), "smtp 421".into()).columns(),
            (None, Some("smtp 421".into()), Some(1.5))
        );
        assert_eq!(
            NoticeResult::Failed("permanent: smtp 550".into()).columns(),
            (Some("failed"), Some("permanent: smtp 550".into()), None)
        );
        assert_eq!(
            NoticeResult::Held("court XYZ: no office".into()).columns(),
            (
                Some("held"),
                Some("held: court XYZ: no office".into()),
                None
            )
        );
    }
}
