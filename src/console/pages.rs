//! What every page shares: the navigation bar (who is signed in, the sign-out form with its CSRF
//! token), rendering, and the stylesheet.

use askama::Template;
use axum::response::Html;

use super::{ConsoleError, Session};
use crate::identity::Permission;

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
