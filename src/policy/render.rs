//! The text form of a simulation: counts per decision, the transition matrix with sample case ids
//! for the cells that changed, and offer rates per group.

use std::fmt::Write as _;

use super::simulate::Simulation;
use super::{Dimension, pct};
use crate::domain::Decision;

/// Groups shown per dimension in text (all of them are in `--json`).
const MAX_GROUPS: usize = 25;

/// Short column names of the decisions.
fn short(d: Decision) -> &'static str {
    match d {
        Decision::OfferRecommended => "offer",
        Decision::NotAmenable => "not_amen",
        Decision::DiscretionaryReview => "review",
        Decision::EnforcementPriority => "enforce",
        Decision::ReferDismissal => "dismiss",
        Decision::OutOfScope => "out_scope",
    }
}

/// Renders `sim` as plain text.
pub fn text(sim: &Simulation) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} cases evaluated, {} rejected records",
        sim.cases, sim.rejected
    );
    decisions(&mut s, sim);
    if let Some(cells) = &sim.transitions {
        matrix(&mut s, sim, cells);
    }
    for (dim, rates) in &sim.by {
        let _ = writeln!(s, "\noffer rate by {}", dim.as_str());
        let _ = write!(
            s,
            "  {:<14}{:>9}{:>9}{:>8}",
            dim_head(*dim),
            "cases",
            "offers",
            "rate"
        );
        if sim.against.is_some() {
            let _ = write!(s, "{:>9}{:>8}", "offers_b", "rate_b");
        }
        s.push('\n');
        for r in rates.iter().take(MAX_GROUPS) {
            let _ = write!(
                s,
                "  {:<14}{:>9}{:>9}{:>7.1}%",
                r.group, r.cases, r.offers, r.offer_rate
            );
            if let (Some(n), Some(rate)) = (r.against_offers, r.against_rate) {
                let _ = write!(s, "{n:>9}{rate:>7.1}%");
            }
            s.push('\n');
        }
        if rates.len() > MAX_GROUPS {
            let _ = writeln!(
                s,
                "  … {} more groups (see --json)",
                rates.len() - MAX_GROUPS
            );
        }
    }
    s
}

/// Cases per decision; with a second rule set, its counts beside.
fn decisions(s: &mut String, sim: &Simulation) {
    let _ = write!(s, "\n{:<22}{:>9}{:>8}", "decision", "cases", "%");
    if let Some(a) = &sim.against {
        let _ = write!(s, "   under {}", a.rules);
    }
    s.push('\n');
    for (d, n) in &sim.decisions {
        let _ = write!(s, "{:<22}{n:>9}{:>7.1}%", d.as_str(), pct(*n, sim.cases));
        if let Some(b) = sim.against.as_ref().and_then(|a| a.decisions.get(d)) {
            let _ = write!(s, "{b:>11}{:>7.1}%", pct(*b, sim.cases));
        }
        s.push('\n');
    }
}

fn dim_head(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Representation => "represented",
        other => other.as_str(),
    }
}

fn matrix(s: &mut String, sim: &Simulation, cells: &[super::simulate::Transition]) {
    let (rows, columns, corner) = match &sim.against {
        Some(a) => (
            "decision under the simulated rules".to_string(),
            format!("under {}", a.rules),
            "simulated \\ against",
        ),
        None => (
            "recorded decision".to_string(),
            "simulated decision".to_string(),
            "recorded \\ simulated",
        ),
    };
    let _ = writeln!(
        s,
        "\ntransitions: {rows} (rows) → {columns} (columns); {} of {} cases change",
        sim.changed(),
        sim.cases
    );
    let _ = write!(s, "  {corner:<22}");
    for d in Decision::ALL {
        let _ = write!(s, "{:>10}", short(d));
    }
    s.push('\n');
    let mut froms: Vec<&str> = Decision::ALL.iter().map(|d| d.as_str()).collect();
    froms.push("not_reviewed");
    for from in froms {
        let row: Vec<u64> = Decision::ALL
            .iter()
            .map(|to| {
                cells
                    .iter()
                    .find(|c| c.from == from && c.to == *to)
                    .map_or(0, |c| c.count)
            })
            .collect();
        if from == "not_reviewed" && row.iter().all(|n| *n == 0) {
            continue;
        }
        let _ = write!(s, "  {from:<22}");
        for n in row {
            let _ = write!(s, "{n:>10}");
        }
        s.push('\n');
    }
    let changed: Vec<_> = cells.iter().filter(|c| c.from != c.to.as_str()).collect();
    if !changed.is_empty() {
        let _ = writeln!(s, "\nchanged cells, with sample case ids:");
    }
    for c in changed {
        let _ = writeln!(
            s,
            "  {} → {}: {} (e.g. {})",
            c.from,
            c.to,
            c.count,
            c.samples.join(", ")
        );
    }
}
