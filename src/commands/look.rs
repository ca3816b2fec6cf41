//! `docket show`, and the broker's queue depths for `docket status`.

use anyhow::{Result, bail};
use serde::Serialize;
use sqlx::PgPool;

use crate::config::Settings;
use crate::queue::{self, topology};
use crate::store;

pub use super::status_render::render_status;

/// Queue depths as seen by the broker.
#[derive(Debug, Clone, Serialize)]
pub struct QueueDepths {
    /// Work queue name.
    pub queue: String,
    /// Messages ready in the work queue (None when the broker could not be asked).
    pub ready: Option<u32>,
    /// Messages in the dead-letter queue.
    pub dead_letters: Option<u32>,
    /// Why the broker could not be asked, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Asks the broker for the work and dead-letter queue depths; never fails.
pub async fn queue_depths(settings: &Settings) -> QueueDepths {
    let a = &settings.amqp;
    let mut out = QueueDepths {
        queue: a.queue.clone(),
        ready: None,
        dead_letters: None,
        error: None,
    };
    let result = async {
        let conn = queue::connect(a, "status").await?;
        let ch = conn
            .create_channel()
            .await
            .map_err(queue::QueueError::from)?;
        let ready = topology::depth(&ch, &a.queue).await;
        let ch2 = conn
            .create_channel()
            .await
            .map_err(queue::QueueError::from)?;
        let dead = topology::depth(&ch2, &a.dead_letter_queue).await;
        conn.close(200, "status".into()).await.ok();
        Ok::<_, queue::QueueError>((ready.ok(), dead.ok()))
    }
    .await;
    match result {
        Ok((ready, dead)) => {
            out.ready = ready;
            out.dead_letters = dead;
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

/// Prints one case's outcome with every fired rule.
pub async fn show(pool: &PgPool, run: &str, case_id: &str, json: bool) -> Result<()> {
    let r = store::runs::get(pool, run).await?;
    let Some(o) = store::outcomes::find(pool, r.id, case_id).await? else {
        bail!("case {case_id} has no outcome in run {run} (not reviewed yet, or not in the run)");
    };
    let offer = store::offer_queries::history(pool, r.id, case_id).await?;
    if json {
        let mut v = serde_json::to_value(&o)?;
        v["offer"] = serde_json::to_value(&offer)?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "case {} in run {run}: {} (score {})",
        o.case_id, o.decision, o.score
    );
    println!(
        "  rules {}@{} sha256 {} · decided {} by {}",
        o.rules_name,
        o.rules_version,
        &o.rules_hash[..12.min(o.rules_hash.len())],
        o.decided_at,
        o.worker
    );
    if let Some(fired) = o.fired.as_array() {
        for f in fired {
            let points = f["points"].as_i64().unwrap_or(0);
            let pts = if points != 0 {
                format!(" ({points:+})")
            } else {
                String::new()
            };
            println!(
                "  - {} [{}]{pts}: {}",
                f["id"].as_str().unwrap_or("?"),
                f["kind"].as_str().unwrap_or("?"),
                f["reason"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(h) = offer {
        let deadline = h
            .deadline
            .map(|d| format!(", answer due {d}"))
            .unwrap_or_default();
        println!("  offer: {}{deadline}", h.state);
        for t in h.transitions {
            println!(
                "    {} {} -> {} by {}: {}",
                t.at.format("%Y-%m-%d %H:%M"),
                t.from_state.as_deref().unwrap_or("-"),
                t.to_state,
                t.actor,
                t.reason
            );
        }
    }
    Ok(())
}
