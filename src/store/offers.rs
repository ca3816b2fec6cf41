//! The `offers` and `transitions` tables: lifecycle actions applied under row locks, with the
//! notices of each transition written to the outbox in the same transaction. What to do is
//! planned in pure code ([`crate::offers::plan`]); this module locks the rows and writes.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::StoreError;
use super::outbox::{self, Queued};
use crate::domain::{Action, Case, PlannedNotice};
use crate::offers::plan::{self, Locked, Transitions};
pub use crate::offers::plan::{ActionRequest, Applied, OfferPolicy, Outcome, Refused};

/// Cases per transaction in bulk operations.
const CHUNK: usize = 500;

/// Applies `req` to every case of `ids` (in chunks, one transaction each).
pub async fn apply(
    pool: &PgPool,
    run_id: i64,
    policy: &OfferPolicy,
    ids: &[String],
    req: &ActionRequest<'_>,
) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    for chunk in ids.chunks(CHUNK) {
        let mut tx = pool.begin().await?;
        let part = apply_chunk(&mut tx, run_id, policy, chunk, req, None).await?;
        tx.commit().await?;
        out.applied.extend(part.applied);
        out.refused.extend(part.refused);
    }
    Ok(out)
}

/// Applies `req` to `ids` inside the caller's transaction. `cases` may supply the case records
/// (the worker has them); otherwise they are read from `cases` when notices need them. The Offer
/// action is refused for every case while the run's policy is halted (see
/// [`super::policy_status::status_for_offers`]).
pub async fn apply_chunk(
    conn: &mut PgConnection,
    run_id: i64,
    policy: &OfferPolicy,
    ids: &[String],
    req: &ActionRequest<'_>,
    cases: Option<&HashMap<String, Case>>,
) -> Result<Outcome, StoreError> {
    // Under a halted policy no offer is made; read in this transaction, under the policy's lock.
    if req.action == Action::Offer {
        let status = super::policy_status::status_for_offers(conn, run_id).await?;
        if status != "active" {
            return Ok(plan::halted(ids, &status));
        }
    }
    let locked = lock(conn, run_id, ids).await?;
    let t = plan::transitions(ids, &locked, req, policy);
    if t.moves.is_empty() {
        return Ok(plan::outcome(t, &HashMap::new(), &HashMap::new()));
    }
    let transition_of = write_moves(conn, run_id, &t, req).await?;
    let notices = match req.action.notice() {
        Some(kind) => {
            let ids: Vec<&str> = t.moves.iter().map(|m| m.case_id.as_str()).collect();
            let loaded;
            let records = match cases {
                Some(c) => c,
                None => {
                    loaded = load_cases(conn, &ids).await?;
                    &loaded
                }
            };
            let deadlines = offer_deadlines(conn, run_id, &ids, t.deadline).await?;
            plan::notices(kind, &t.moves, records, &deadlines, policy, req.today)
        }
        None => HashMap::new(),
    };
    queue_notices(conn, run_id, &t, &notices, &transition_of).await?;
    Ok(plan::outcome(t, &notices, &transition_of))
}

/// Locks the offers of `ids` (in case-id order, so concurrent actions never deadlock).
async fn lock(
    conn: &mut PgConnection,
    run_id: i64,
    ids: &[String],
) -> Result<HashMap<String, Locked>, StoreError> {
    let rows = sqlx::query!(
        "SELECT case_id, state, deadline FROM offers WHERE run_id = $1 AND case_id = ANY($2) \
         ORDER BY case_id FOR UPDATE",
        run_id,
        ids
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let state = r.state.parse().ok();
            let deadline = r.deadline;
            (r.case_id, Locked { state, deadline })
        })
        .collect())
}

/// Writes the moves and their transitions; returns each case's transition id.
async fn write_moves(
    conn: &mut PgConnection,
    run_id: i64,
    t: &Transitions,
    req: &ActionRequest<'_>,
) -> Result<HashMap<String, i64>, StoreError> {
    let move_ids: Vec<&str> = t.moves.iter().map(|m| m.case_id.as_str()).collect();
    let froms: Vec<&str> = t.moves.iter().map(|m| m.from.as_str()).collect();
    let tos: Vec<&str> = t.moves.iter().map(|m| m.to.as_str()).collect();
    sqlx::query!(
        r#"
        UPDATE offers o SET state = u.state, updated_at = now(),
            deadline = COALESCE($4, o.deadline),
            offered_at = CASE WHEN $4::date IS NOT NULL THEN now() ELSE o.offered_at END
        FROM UNNEST($2::text[], $3::text[]) AS u(case_id, state)
        WHERE o.run_id = $1 AND o.case_id = u.case_id
        "#,
        run_id,
        &move_ids as &[&str],
        &tos as &[&str],
        t.deadline
    )
    .execute(&mut *conn)
    .await?;
    let inserted = sqlx::query!(
        r#"
        INSERT INTO transitions (run_id, case_id, from_state, to_state, actor, reason)
        SELECT $1, t.case_id, t.from_state, t.to_state, $5, $6
        FROM UNNEST($2::text[], $3::text[], $4::text[]) AS t(case_id, from_state, to_state)
        RETURNING id, case_id
        "#,
        run_id,
        &move_ids as &[&str],
        &froms as &[&str],
        &tos as &[&str],
        req.actor,
        plan::recorded_reason(req)
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(inserted.into_iter().map(|r| (r.case_id, r.id)).collect())
}

/// Queues each move's notices in the outbox, keyed to its transition.
async fn queue_notices(
    conn: &mut PgConnection,
    run_id: i64,
    t: &Transitions,
    notices: &HashMap<String, Vec<PlannedNotice>>,
    transition_of: &HashMap<String, i64>,
) -> Result<u64, StoreError> {
    let mut queued = Vec::new();
    for m in &t.moves {
        for n in notices.get(&m.case_id).into_iter().flatten() {
            queued.push(Queued {
                run_id,
                case_id: &m.case_id,
                transition_id: transition_of[&m.case_id],
                notice: n,
            });
        }
    }
    outbox::queue(conn, &queued).await
}

async fn load_cases(
    conn: &mut PgConnection,
    ids: &[&str],
) -> Result<HashMap<String, Case>, StoreError> {
    let rows = sqlx::query!(
        r#"SELECT case_id, record::text AS "record!" FROM cases WHERE case_id = ANY($1)"#,
        ids as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let case = Case::from_json(r.record.as_bytes()).ok()?;
            Some((r.case_id, case))
        })
        .collect())
}

async fn offer_deadlines(
    conn: &mut PgConnection,
    run_id: i64,
    ids: &[&str],
    fresh: Option<NaiveDate>,
) -> Result<HashMap<String, Option<NaiveDate>>, StoreError> {
    if fresh.is_some() {
        return Ok(ids.iter().map(|id| (id.to_string(), fresh)).collect());
    }
    Ok(sqlx::query!(
        "SELECT case_id, deadline FROM offers WHERE run_id = $1 AND case_id = ANY($2)",
        run_id,
        ids as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.case_id, r.deadline))
    .collect())
}

/// Records new recommendations (state `offer_recommended`, first transition by `actor`), inside the
/// caller's transaction; a case that already has an offer in the run is left alone. The offer
/// copies what the worklist filters on (court, score, qualifying rules, filing date) from its
/// outcome and case, which the caller has written first: the qualifying rules are those of the
/// outcome's fired rule ids that are among the run's `qualifying` rule ids. The outcome is looked up one case at a
/// time (the LATERAL ... LIMIT 1 keeps the planner from hashing the run's whole partition, which
/// it did per batch while the partition's statistics still said empty).
pub async fn recommend(
    conn: &mut PgConnection,
    run_id: i64,
    ids: &[&str],
    qualifying: &[&str],
    actor: &str,
) -> Result<Vec<String>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let created = sqlx::query_scalar!(
        r#"
        INSERT INTO offers (run_id, case_id, state, court, score, categories, filed_on)
        SELECT $1, t.id, 'offer_recommended', c.court, oc.score,
               coalesce(ARRAY(SELECT q.id
                              FROM unnest(string_to_array(oc.fired_ids, ' ')) WITH ORDINALITY q(id, n)
                              WHERE q.id = ANY($3) ORDER BY q.n), '{}'),
               (c.record::json->>'filed_on')::date
        FROM UNNEST($2::text[]) AS t(id)
        LEFT JOIN LATERAL (SELECT o.score, o.fired_ids FROM outcomes o
                           WHERE o.run_id = $1 AND o.case_id = t.id LIMIT 1) oc ON true
        LEFT JOIN cases c ON c.case_id = t.id
        ON CONFLICT (run_id, case_id) DO NOTHING
        RETURNING case_id
        "#,
        run_id,
        ids as &[&str],
        qualifying as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO transitions (run_id, case_id, from_state, to_state, actor, reason)
        SELECT $1, id, NULL, 'offer_recommended', $3, 'recommended by the rules'
        FROM UNNEST($2::text[]) AS t(id)
        "#,
        run_id,
        &created,
        actor
    )
    .execute(&mut *conn)
    .await?;
    Ok(created)
}
