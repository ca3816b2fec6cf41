//! What every page shares: the navigation bar (who is signed in, the sign-out form with its CSRF
//! token), rendering, and the stylesheet.

use askama::Template;
use axum::response::Html;

use std::sync::Arc;

use super::memo::Stamp;
use super::{ConsoleError, ConsoleState, Session};
use crate::identity::Permission;
use crate::offers::OfferError;
use crate::rules::RuleSet;
use crate::store::offers::OfferPolicy;
use crate::store::runs::Run;

/// The navigation bar's facts.
#[derive(Debug, Clone)]
pub struct Nav {
    /// Who is signed in.
    pub who: String,
    /// Their role.
    pub role: &'static str,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
    /// The run the page is about, for the run's links.
    pub run: Option<String>,
}

impl Nav {
    /// The bar for a signed-in session, on a page about `run` (if any).
    pub fn new(s: &Session, run: Option<&str>) -> Self {
        Self {
            who: s.who.name.clone(),
            role: s.who.role.as_str(),
            csrf: s.csrf.clone(),
            run: run.map(str::to_string),
        }
    }
}

/// Renders a template into a page.
pub fn render(t: &impl Template) -> Result<Html<String>, ConsoleError> {
    Ok(Html(t.render()?))
}

/// Refuses unless the session may do `p`, saying which role may.
pub fn require(s: &Session, p: Permission) -> Result<(), ConsoleError> {
    if s.who.can(p) {
        return Ok(());
    }
    let who = match p {
        Permission::Read => "a signed-in account",
        Permission::Decide => "an attorney",
        Permission::Operate => "an operator",
        Permission::Administer => "an administrator",
    };
    Err(ConsoleError::Forbidden(format!(
        "only {who} may do this; you are signed in as a {}",
        s.who.role
    )))
}

/// `/console/style.css`.
pub async fn stylesheet() -> ([(&'static str, &'static str); 2], &'static str) {
    (
        [
            ("content-type", "text/css"),
            ("cache-control", "max-age=300"),
        ],
        include_str!("../../templates/console/style.css"),
    )
}

/// Run `run`, its rule set and its offer policy. The rule set is parsed once per content hash
/// and kept (a page used to parse the stored text once or twice per request).
pub async fn run_rules(
    state: &ConsoleState,
    run: &str,
) -> Result<(Run, Arc<RuleSet>, OfferPolicy), ConsoleError> {
    let r = crate::store::runs::get(&state.pool, run).await?;
    let key = format!("rules/{}", r.rules_hash);
    let parse =
        async { RuleSet::from_toml(&r.rules_text).map_err(|e| OfferError::Rules(e.to_string())) };
    let rules = state
        .memo
        .get_or_compute(&key, Stamp::new(0, 0), parse)
        .await?;
    let policy = crate::offers::policy(&rules);
    Ok((r, rules, policy))
}
