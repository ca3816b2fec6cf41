//! The offer lifecycle planned in pure code: from the offers locked in a transaction and a
//! request, the transitions to make and the refusals (with reasons), the new deadline, and the
//! notices each transition sends. `store::offers` only locks the rows and writes what this plans.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::{
    Action, Case, NoticeContext, NoticeKind, OfferState, PlannedNotice, Requirements, next,
    plan_notices,
};

/// What the run's rule set says about offers.
#[derive(Debug, Clone)]
pub struct OfferPolicy {
    /// Approval and background-check requirements.
    pub requirements: Requirements,
    /// Days the respondent has to answer.
    pub deadline_days: u32,
    /// Days after the offer when an unanswered offer gets a reminder.
    pub reminder_days: u32,
    /// Closure mechanism name.
    pub closure_mechanism: String,
}

/// Who does what, why, and on which day.
#[derive(Debug, Clone)]
pub struct ActionRequest<'a> {
    /// The action.
    pub action: Action,
    /// Who does it (an attorney, an operator, `system`).
    pub actor: &'a str,
    /// Why (stored with the transition).
    pub reason: &'a str,
    /// The day it happens (deadlines count from it).
    pub today: NaiveDate,
    /// Expire an offer before its deadline (with a reason).
    pub force: bool,
}

/// Why an Expire must not happen yet: the deadline is today or later and the request does not
/// force it, or forces it without a reason.
pub fn early_expiry(req: &ActionRequest<'_>, deadline: Option<NaiveDate>) -> Option<String> {
    let deadline = deadline.filter(|d| *d >= req.today)?;
    if req.action != Action::Expire {
        return None;
    }
    if !req.force {
        return Some(format!(
            "the deadline {deadline} has not passed; expiring earlier needs force and a reason"
        ));
    }
    req.reason
        .trim()
        .is_empty()
        .then(|| "forcing an expiry before the deadline needs a reason".to_string())
}

/// The reason stored with the transitions: a forced expiry says so.
pub fn recorded_reason(req: &ActionRequest<'_>) -> String {
    if req.force && req.action == Action::Expire {
        format!("forced before the deadline: {}", req.reason.trim())
    } else {
        req.reason.to_string()
    }
}

/// One transition that was applied.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Applied {
    /// Case id.
    pub case_id: String,
    /// State before.
    pub from: OfferState,
    /// State after.
    pub to: OfferState,
    /// Transition id.
    pub transition_id: i64,
    /// Notices queued.
    pub notices: u64,
}

/// One case the action was refused for, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Refused {
    /// Case id.
    pub case_id: String,
    /// Why.
    pub reason: String,
}

/// The result of applying an action to some cases.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    /// Applied transitions.
    pub applied: Vec<Applied>,
    /// Refusals.
    pub refused: Vec<Refused>,
}

/// An offer as locked for an action: its state and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// Its state (an unreadable stored state counts as no offer).
    pub state: Option<OfferState>,
    /// Its deadline, once offered.
    pub deadline: Option<NaiveDate>,
}

/// One transition to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Case id.
    pub case_id: String,
    /// State before.
    pub from: OfferState,
    /// State after.
    pub to: OfferState,
}

/// What an action comes to over some cases.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Transitions {
    /// Transitions to make, in the order of the request.
    pub moves: Vec<Move>,
    /// Cases the action is refused for.
    pub refused: Vec<Refused>,
    /// The deadline an offer sets (Offer only).
    pub deadline: Option<NaiveDate>,
}

/// Every case refused: the run's policy is halted, so no offer is made under it.
pub fn halted(ids: &[String], status: &str) -> Outcome {
    let reason = format!("the run's policy is {status}: no new offer is made under it");
    let refused = ids
        .iter()
        .map(|case_id| Refused {
            case_id: case_id.clone(),
            reason: reason.clone(),
        })
        .collect();
    Outcome {
        applied: Vec::new(),
        refused,
    }
}

/// Plans `req` over `ids` from their locked offers.
pub fn transitions(
    ids: &[String],
    locked: &HashMap<String, Locked>,
    req: &ActionRequest<'_>,
    policy: &OfferPolicy,
) -> Transitions {
    let mut t = Transitions::default();
    for id in ids {
        let offer = locked.get(id);
        if let Some(reason) = early_expiry(req, offer.and_then(|o| o.deadline)) {
            t.refused.push(Refused {
                case_id: id.clone(),
                reason,
            });
            continue;
        }
        match offer.and_then(|o| o.state) {
            None => t.refused.push(Refused {
                case_id: id.clone(),
                reason: "has no offer in this run (its review did not recommend one)".into(),
            }),
            Some(from) => match next(from, req.action, policy.requirements) {
                Ok(to) => t.moves.push(Move {
                    case_id: id.clone(),
                    from,
                    to,
                }),
                Err(e) => t.refused.push(Refused {
                    case_id: id.clone(),
                    reason: e.to_string(),
                }),
            },
        }
    }
    t.deadline = (req.action == Action::Offer)
        .then(|| {
            req.today
                .checked_add_days(Days::new(policy.deadline_days.into()))
        })
        .flatten();
    t
}

/// The notices of each move of `kind`, for the cases whose record is known, each with its
/// offer's deadline.
pub fn notices(
    kind: NoticeKind,
    moves: &[Move],
    records: &HashMap<String, Case>,
    deadlines: &HashMap<String, Option<NaiveDate>>,
    policy: &OfferPolicy,
    today: NaiveDate,
) -> HashMap<String, Vec<PlannedNotice>> {
    let mut planned = HashMap::new();
    for m in moves {
        if let Some(case) = records.get(&m.case_id) {
            let ctx = NoticeContext {
                kind,
                deadline: deadlines.get(&m.case_id).copied().flatten(),
                deadline_days: (kind == NoticeKind::Offer).then_some(policy.deadline_days),
                closure_mechanism: policy.closure_mechanism.clone(),
                issued_on: today,
            };
            planned.insert(m.case_id.clone(), plan_notices(case, &ctx));
        }
    }
    planned
}

/// The outcome once the moves are written: each with its transition id and notice count.
pub fn outcome(
    t: Transitions,
    notices: &HashMap<String, Vec<PlannedNotice>>,
    transition_of: &HashMap<String, i64>,
) -> Outcome {
    let applied = t
        .moves
        .into_iter()
        .map(|m| Applied {
            notices: notices.get(&m.case_id).map_or(0, |v| v.len() as u64),
            transition_id: transition_of[&m.case_id],
            case_id: m.case_id,
            from: m.from,
            to: m.to,
        })
        .collect();
    Outcome {
        applied,
        refused: t.refused,
    }
}

/// The reason stored with the offers the worker makes at once.
pub const AUTOMATIC_REASON: &str = "the rule set requires neither approval nor a background check";

/// One run's new recommendations in a batch: the offers the batch opens.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOffers<'a> {
    /// The run.
    pub run_id: i64,
    /// The recommended cases, in the order they were inserted.
    pub case_ids: Vec<&'a str>,
    /// Their records, those the batch carried.
    pub records: Vec<Case>,
}

impl BatchOffers<'_> {
    /// The records by case id when the batch carried every one; otherwise `None`, and an action
    /// reads them from the database (jobs with different facts in one batch leave gaps).
    pub fn records_by_id(self) -> Option<HashMap<String, Case>> {
        (self.records.len() == self.case_ids.len()).then(|| {
            self.records
                .into_iter()
                .map(|c| (c.case_id.as_str().to_string(), c))
                .collect()
        })
    }
}

/// Groups a batch's new `offer_recommended` outcomes, `(run id, case id)`, by run (in run order),
/// with the records `carried` by the batch's jobs.
pub fn batch_offers<'a>(
    recommended: &'a [(i64, String)],
    carried: &HashMap<(i64, String), Case>,
) -> Vec<BatchOffers<'a>> {
    let mut by_run: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (run, case) in recommended {
        by_run.entry(*run).or_default().push(case);
    }
    by_run
        .into_iter()
        .map(|(run_id, case_ids)| BatchOffers {
            records: case_ids
                .iter()
                .filter_map(|id| carried.get(&(run_id, id.to_string())).cloned())
                .collect(),
            run_id,
            case_ids,
        })
        .collect()
}

/// Whether the offers just `created` are made at once, by the system on `today`: only when the
/// rule set requires neither attorney approval nor a background check (else a person acts
/// first). The request to apply to them, or `None`.
pub fn automatic_offer(
    policy: &OfferPolicy,
    created: &[String],
    today: NaiveDate,
) -> Option<ActionRequest<'static>> {
    let req = policy.requirements;
    if created.is_empty() || req.attorney_approval || req.background_check {
        return None;
    }
    Some(ActionRequest {
        action: Action::Offer,
        actor: "system",
        force: false,
        reason: AUTOMATIC_REASON,
        today,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(attorney_approval: bool, background_check: bool) -> OfferPolicy {
        OfferPolicy {
            requirements: Requirements {
                attorney_approval,
                background_check,
            },
            deadline_days: 30,
            reminder_days: 20,
            closure_mechanism: "admin_closure".into(),
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2012, 1, 10).unwrap()
    }

    #[test]
    fn offers_are_made_at_once_only_when_no_person_must_act_first() {
        let created = vec!["C-1".to_string()];
        let req = automatic_offer(&policy(false, false), &created, day()).expect("made at once");
        assert_eq!(req.action, Action::Offer);
        assert_eq!(
            (req.actor, req.reason, req.force),
            ("system", AUTOMATIC_REASON, false)
        );
        assert_eq!(req.today, day());
        for (approval, check) in [(true, false), (false, true), (true, true)] {
            assert!(automatic_offer(&policy(approval, check), &created, day()).is_none());
        }
        assert!(automatic_offer(&policy(false, false), &[], day()).is_none());
    }

    #[test]
    fn a_batch_groups_its_recommendations_by_run_with_the_records_it_carried() {
        let case = crate::generate::case(1, 0);
        let id = case.case_id.as_str().to_string();
        let recommended = vec![
            (7, id.clone()),
            (3, "B-2".to_string()),
            (7, "A-9".to_string()),
        ];
        let carried = HashMap::from([((7, id.clone()), case.clone())]);
        let groups = batch_offers(&recommended, &carried);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            (groups[0].run_id, groups[0].case_ids.clone()),
            (3, vec!["B-2"])
        );
        assert!(groups[0].records.is_empty());
        assert_eq!(groups[1].run_id, 7);
        assert_eq!(groups[1].case_ids, vec![id.as_str(), "A-9"]);
        assert_eq!(groups[1].records, vec![case.clone()]);
        // One record of two: the action reads them all from the database instead.
        assert_eq!(groups[1].clone().records_by_id(), None);
        let only = batch_offers(&recommended[..1], &carried).remove(0);
        let by_id = only.records_by_id().expect("every record carried");
        assert_eq!(by_id.get(&id), Some(&case));
    }
}
