//! The offer lifecycle (DESIGN.md): which action moves an offer from which state to which, given
//! what the rule set requires. Pure; the store applies it under a row lock.
//!
//! ```text
//! offer_recommended ─approve─► approved ─clear─► background_cleared ─offer─► offered ─accept─► accepted ─close─► closed ─recalendar─► recalendared
//!        │                 │            └fail──► background_failed              ├─decline─► declined
//!        └─reject─► rejected                                                  └─expire──► expired
//! ```
//! When the rule set does not require attorney approval, `offer_recommended` goes straight to the
//! background check; when it does not require a background check, an approved (or recommended)
//! offer can be made directly.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::notice::NoticeKind;

/// Where an offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    /// The rules recommend an offer.
    OfferRecommended,
    /// An attorney approved it.
    Approved,
    /// An attorney rejected it.
    Rejected,
    /// The background check found nothing disqualifying.
    BackgroundCleared,
    /// The background check found something disqualifying.
    BackgroundFailed,
    /// The offer was made; awaiting an answer until the deadline.
    Offered,
    /// The respondent accepted.
    Accepted,
    /// The respondent declined; proceedings continue.
    Declined,
    /// No answer by the deadline; proceedings continue.
    Expired,
    /// The case was administratively closed.
    Closed,
    /// A closed case was put back on the calendar.
    Recalendared,
}

impl OfferState {
    /// Every state, in lifecycle order.
    pub const ALL: [OfferState; 11] = [
        Self::OfferRecommended,
        Self::Approved,
        Self::Rejected,
        Self::BackgroundCleared,
        Self::BackgroundFailed,
        Self::Offered,
        Self::Accepted,
        Self::Declined,
        Self::Expired,
        Self::Closed,
        Self::Recalendared,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OfferRecommended => "offer_recommended",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::BackgroundCleared => "background_cleared",
            Self::BackgroundFailed => "background_failed",
            Self::Offered => "offered",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Closed => "closed",
            Self::Recalendared => "recalendared",
        }
    }
}

impl fmt::Display for OfferState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OfferState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown offer state {s:?}"))
    }
}

/// Something a person (or the system) does to an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Attorney approves the recommendation.
    Approve,
    /// Attorney rejects it.
    Reject,
    /// Background check cleared.
    ClearBackground,
    /// Background check failed.
    FailBackground,
    /// Make the offer (sets the deadline, notifies).
    Offer,
    /// Remind the respondent before the deadline (state unchanged, notifies).
    Remind,
    /// The respondent accepts.
    Accept,
    /// The respondent declines.
    Decline,
    /// The deadline passed without an answer.
    Expire,
    /// The judge granted closure.
    Close,
    /// The case goes back on the calendar.
    Recalendar,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 11] = [
        Self::Approve,
        Self::Reject,
        Self::ClearBackground,
        Self::FailBackground,
        Self::Offer,
        Self::Remind,
        Self::Accept,
        Self::Decline,
        Self::Expire,
        Self::Close,
        Self::Recalendar,
    ];

    /// Name used on the command line and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::ClearBackground => "clear_background",
            Self::FailBackground => "fail_background",
            Self::Offer => "offer",
            Self::Remind => "remind",
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Expire => "expire",
            Self::Close => "close",
            Self::Recalendar => "recalendar",
        }
    }

    /// The notice this action sends to the respondent and counsel, if any.
    pub fn notice(self) -> Option<NoticeKind> {
        match self {
            Self::Offer => Some(NoticeKind::Offer),
            Self::Remind => Some(NoticeKind::Reminder),
            Self::Accept => Some(NoticeKind::Accepted),
            Self::Decline => Some(NoticeKind::Declined),
            Self::Expire => Some(NoticeKind::Expired),
            Self::Close => Some(NoticeKind::Closed),
            Self::Recalendar => Some(NoticeKind::Recalendared),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown action {s:?}"))
    }
}

/// What the run's rule set requires before an offer is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirements {
    /// An attorney must approve each recommendation.
    pub attorney_approval: bool,
    /// A background check must clear.
    pub background_check: bool,
}

/// An action that the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an offer that is {from}{hint}")]
pub struct IllegalTransition {
    /// Current state.
    pub from: OfferState,
    /// Refused action.
    pub action: Action,
    /// What would be allowed instead.
    pub hint: String,
}

/// The state `action` leads to from `from`, or why it is refused.
pub fn next(
    from: OfferState,
    action: Action,
    req: Requirements,
) -> Result<OfferState, IllegalTransition> {
    step(from, action, req).ok_or_else(|| {
        let ok: Vec<&str> = allowed(from, req).iter().map(|a| a.as_str()).collect();
        IllegalTransition {
            from,
            action,
            hint: if ok.is_empty() {
                " (it is final)".to_string()
            } else {
                format!(" (allowed: {})", ok.join(", "))
            },
        }
    })
}

/// The actions allowed from `from`.
pub fn allowed(from: OfferState, req: Requirements) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| step(from, *a, req).is_some())
        .collect()
}

fn step(from: OfferState, action: Action, req: Requirements) -> Option<OfferState> {
    use Action as A;
    use OfferState as S;
    let (approval, background) = (req.attorney_approval, req.background_check);
    match (from, action) {
        (S::OfferRecommended, A::Approve) if approval => Some(S::Approved),
        (S::OfferRecommended, A::Reject) if approval => Some(S::Rejected),
        (S::OfferRecommended, A::ClearBackground) if !approval && background => {
            Some(S::BackgroundCleared)
        }
        (S::OfferRecommended, A::FailBackground) if !approval && background => {
            Some(S::BackgroundFailed)
        }
        (S::OfferRecommended, A::Offer) if !approval && !background => Some(S::Offered),
        (S::Approved, A::ClearBackground) if background => Some(S::BackgroundCleared),
        (S::Approved, A::FailBackground) if background => Some(S::BackgroundFailed),
        (S::Approved, A::Offer) if !background => Some(S::Offered),
        (S::BackgroundCleared, A::Offer) => Some(S::Offered),
        (S::Offered, A::Remind) => Some(S::Offered),
        (S::Offered, A::Accept) => Some(S::Accepted),
        (S::Offered, A::Decline) => Some(S::Declined),
        (S::Offered, A::Expire) => Some(S::Expired),
        (S::Accepted, A::Close) => Some(S::Closed),
        (S::Closed, A::Recalendar) => Some(S::Recalendared),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: Requirements = Requirements {
        attorney_approval: true,
        background_check: true,
    };
    const NONE: Requirements = Requirements {
        attorney_approval: false,
        background_check: false,
    };

    #[test]
    fn the_full_path_to_recalendar_is_allowed_step_by_step() {
        let mut s = OfferState::OfferRecommended;
        for a in [
            Action::Approve,
            Action::ClearBackground,
            Action::Offer,
            Action::Remind,
            Action::Accept,
            Action::Close,
            Action::Recalendar,
        ] {
            s = next(s, a, FULL).unwrap();
        }
        assert_eq!(s, OfferState::Recalendared);
    }

    #[test]
    fn an_offer_cannot_skip_approval_when_the_rules_require_it() {
        let err = next(OfferState::OfferRecommended, Action::Offer, FULL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot offer an offer that is offer_recommended (allowed: approve, reject)"
        );
    }

    #[test]
    fn without_requirements_a_recommendation_is_offered_directly() {
        assert_eq!(
            next(OfferState::OfferRecommended, Action::Offer, NONE),
            Ok(OfferState::Offered)
        );
        assert!(next(OfferState::OfferRecommended, Action::Approve, NONE).is_err());
    }

    #[test]
    fn final_states_allow_nothing() {
        for s in [
            OfferState::Rejected,
            OfferState::BackgroundFailed,
            OfferState::Declined,
            OfferState::Expired,
            OfferState::Recalendared,
        ] {
            assert!(allowed(s, FULL).is_empty(), "{s}");
            assert!(
                next(s, Action::Accept, FULL)
                    .unwrap_err()
                    .hint
                    .contains("final")
            );
        }
    }

    #[test]
    fn a_declined_offer_cannot_be_accepted_later() {
        let s = next(OfferState::Offered, Action::Decline, FULL).unwrap();
        assert!(next(s, Action::Accept, FULL).is_err());
    }

    #[test]
    fn only_transitions_a_respondent_must_know_of_send_notices() {
        assert_eq!(Action::Approve.notice(), None);
        assert_eq!(Action::ClearBackground.notice(), None);
        assert_eq!(Action::Offer.notice(), Some(NoticeKind::Offer));
        assert_eq!(Action::Recalendar.notice(), Some(NoticeKind::Recalendared));
    }
}
