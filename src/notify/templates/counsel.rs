//! Notices to counsel of record (8 CFR 292.5), in English, naming the client and A-number.

use super::common::{Ctx, PRO_BONO_URL, mechanism};
use super::{Block, Notice};
use crate::domain::NoticeKind;

fn p(s: impl Into<String>) -> Block {
    Block::Para(s.into())
}

/// Renders counsel's notice.
pub fn render(c: &Ctx) -> Notice {
    let m = mechanism(&c.p.closure_mechanism, c.lang);
    let due = c.deadline_or("the deadline in the offer");
    let (subject, title, mut blocks) = match c.p.kind {
        NoticeKind::Offer => (
            format!("DHS offer of {m} for your client: response due {due}"),
            format!("Offer of {m}"),
            offer(c, m, &due),
        ),
        NoticeKind::Reminder => (
            format!("Reminder: DHS offer of {m} for your client, response due {due}"),
            format!("Reminder: offer of {m}"),
            vec![
                p(format!(
                    "DHS has not yet received a response to its offer of {m} in the matter of your \
                     client named above. The offer remains open until {due}."
                )),
                respond(c, &due),
                hearing_stays(c),
            ],
        ),
        NoticeKind::Accepted => (
            format!("Acceptance recorded: motion for {m} to follow"),
            "Acceptance recorded".into(),
            vec![
                p(format!(
                    "DHS has recorded your client's acceptance of the offer of {m}. DHS will file, \
                     or join, a motion for {m} with the immigration court."
                )),
                hearing_stays(c),
            ],
        ),
        NoticeKind::Declined => (
            "Offer declined: proceedings continue".into(),
            "Offer declined".into(),
            vec![
                p(format!(
                    "DHS has recorded that your client declined the offer of {m}. Proceedings \
                     continue in the ordinary course, and your client may pursue any relief for \
                     which the client is eligible."
                )),
                second_review(),
            ],
        ),
        NoticeKind::Expired => (
            "Offer expired: proceedings continue".into(),
            "Offer expired".into(),
            vec![
                p(format!(
                    "DHS received no response to the offer of {m} by {due}; the offer has expired \
                     and proceedings continue in the ordinary course. If a timely response was \
                     sent, please forward a copy to {} at once.",
                    c.office.email
                )),
                second_review(),
            ],
        ),
        NoticeKind::Closed => (
            format!("Case closed: {m} granted"),
            format!("Motion for {m} granted"),
            vec![
                p(format!(
                    "The immigration judge has granted the motion for {m}. The case is off the \
                     active calendar; no final order has been entered. Either party may move to \
                     recalendar at any time."
                )),
                not_status(),
            ],
        ),
        NoticeKind::Recalendared => (
            "Case recalendared".into(),
            "Case recalendared".into(),
            vec![p(
                "The administratively closed case of your client named above has been placed back \
                 on the immigration judge's calendar. The court will serve a notice of hearing.",
            )],
        ),
    };
    blocks.push(p(format!(
        "A copy of this notice has been sent to your client by mail, in the client's language \
         where available. Questions: {}, {}.",
        c.office.email, c.office.phone
    )));
    Notice {
        lang: c.lang,
        subject,
        title,
        date_line: c.issued.clone(),
        issued_on: c.p.issued_on,
        caption: c.caption(["Your client", "A-number", "Court", "Next hearing"]),
        salutation: format!("Dear {}:", c.p.addressee_name),
        blocks,
        closing: "Sincerely,".into(),
        signature: c.signature(),
        interpreter_notice: Vec::new(),
        response_form: None,
    }
}

fn not_status() -> Block {
    p(
        "Administrative closure confers no immigration status, no lawful permanent residence and no \
       employment authorization, and unlawful presence continues to accrue.",
    )
}

fn hearing_stays(c: &Ctx) -> Block {
    p(match &c.hearing {
        Some(d) => format!(
            "The hearing set for {d} remains on calendar until the judge grants the motion."
        ),
        None => {
            "Any scheduled hearing remains on calendar until the judge grants the motion.".into()
        }
    })
}

fn respond(c: &Ctx, due: &str) -> Block {
    p(format!(
        "Please state in writing, by {due}, whether your client accepts or declines, to {} or {}.",
        c.office_address(),
        c.office.email
    ))
}

fn second_review() -> Block {
    p(
        "If you believe the decision rests on an error, you may request a second review in writing \
       to the office named below, with any supporting documents.",
    )
}

fn offer(c: &Ctx, m: &str, due: &str) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "As counsel of record (Form EOIR-28) for the respondent named above, please be advised \
             that DHS has reviewed this case under its prosecutorial-discretion policy and offers \
             to move for, or join a motion for, {m}."
        )),
        p(
            "Administrative closure removes the case from the immigration judge's active calendar \
           without a final order; either party may move to recalendar at any time (Matter of \
           Avetisyan, 25 I&N Dec. 688 (BIA 2012)).",
        ),
        not_status(),
        p(
            "Your client may decline and continue in proceedings to pursue any available relief, \
           such as cancellation of removal or adjustment of status; declining does not change the \
           ordinary course of proceedings.",
        ),
        p(
            "The offer is subject to a satisfactory background check, including biometrics, and to \
           identity documents on request; it may be withdrawn if disqualifying information \
           emerges.",
        ),
        respond(c, due),
        hearing_stays(c),
        second_review(),
    ];
    b.push(p(format!(
        "The respondent's copy explains the right to representation at no expense to the \
         government and refers to the EOIR List of Pro Bono Legal Service Providers \
         ({PRO_BONO_URL})."
    )));
    b
}
