//! English notices to the respondent (also the base of the fallback for other languages).

use super::common::{Ctx, PRO_BONO_URL, mechanism};
use super::{Block, Notice, ResponseForm};
use crate::domain::NoticeKind;

fn h(s: &str) -> Block {
    Block::Heading(s.into())
}

fn p(s: impl Into<String>) -> Block {
    Block::Para(s.into())
}

/// Renders a respondent's notice in English.
pub fn render(c: &Ctx) -> Notice {
    let m = mechanism(&c.p.closure_mechanism, c.lang);
    let (subject, title, blocks) = match c.p.kind {
        NoticeKind::Offer => (
            format!("Offer of {m} of your immigration court case"),
            format!("Offer of {m}"),
            offer(c, m),
        ),
        NoticeKind::Reminder => (
            format!(
                "Reminder: please answer the offer of {m} by {}",
                c.deadline_or("the deadline")
            ),
            format!("Reminder: offer of {m}"),
            reminder(c, m),
        ),
        NoticeKind::Accepted => (
            "We received your acceptance of the offer".into(),
            format!("Your acceptance of the offer of {m}"),
            accepted(c, m),
        ),
        NoticeKind::Declined => (
            "Your case continues in immigration court".into(),
            "You declined the offer: your case continues in court".into(),
            declined(c),
        ),
        NoticeKind::Expired => (
            "The offer has expired: your case continues in court".into(),
            "The offer has expired".into(),
            expired(c),
        ),
        NoticeKind::Closed => (
            "Your immigration court case has been closed".into(),
            "Your case has been administratively closed".into(),
            closed(c, m),
        ),
        NoticeKind::Recalendared => (
            "Your immigration court case is back on the calendar".into(),
            "Your case is back on the court's calendar".into(),
            recalendared(c),
        ),
    };
    let form = matches!(c.p.kind, NoticeKind::Offer | NoticeKind::Reminder).then(|| ResponseForm {
        title: format!(
            "RESPONSE FORM - return by {}",
            c.deadline_or("the deadline in this letter")
        ),
        choices: vec![
            format!("I ACCEPT the offer of {m}."),
            "I DECLINE the offer. I want my case to continue in immigration court.".into(),
        ],
        fields: vec![
            "Name".into(),
            "A-number".into(),
            "Signature".into(),
            "Date".into(),
        ],
        return_to: format!(
            "Return to: {}. Or email: {}",
            c.office_address(),
            c.office.email
        ),
    });
    Notice {
        lang: c.lang,
        subject,
        title,
        date_line: c.issued.clone(),
        issued_on: c.p.issued_on,
        caption: c.caption(["Respondent", "A-number", "Court", "Next hearing"]),
        salutation: format!("Dear {}:", c.p.addressee_name),
        blocks,
        closing: "Sincerely,".into(),
        signature: c.signature(),
        interpreter_notice: Vec::new(),
        response_form: form,
    }
}

fn not_status() -> Block {
    Block::Bullets(vec![
        "It does not give you any legal immigration status.".into(),
        "It does not give you a green card (lawful permanent residence).".into(),
        "It does not give you a work permit.".into(),
        "It does not stop unlawful presence: it keeps counting while the case is closed.".into(),
    ])
}

fn hearing(c: &Ctx) -> Block {
    p(match &c.hearing {
        Some(d) => format!(
            "Until the judge grants the motion, your hearing stays on the calendar. You must still \
             go to court on {d} unless the court sends you a notice that the hearing is cancelled."
        ),
        None => {
            "Until the judge grants the motion, your case stays on the calendar. You must still \
                 go to any hearing the court schedules."
                .into()
        }
    })
}

fn attend(c: &Ctx) -> Block {
    p(match &c.hearing {
        Some(d) => format!(
            "Your next hearing is on {d} at the {}. You must go to it: if you miss a hearing, the \
             judge may order you removed in your absence.",
            c.court
        ),
        None => format!(
            "The {} will send you a notice with the date, time and place of your next hearing. You \
             must go to it: if you miss a hearing, the judge may order you removed in your absence.",
            c.court
        ),
    })
}

fn how_to_answer(c: &Ctx) -> Vec<Block> {
    let days =
        c.p.deadline_days
            .map(|n| format!(" ({n} days from the date of this letter)"))
            .unwrap_or_default();
    let mut s = format!(
        "Answer in writing by {}{days}. Say whether you accept or decline, sign your answer, \
         write your A-number on it, and send it to: {}; or by email to {}. You may use the \
         response form at the end of this letter.",
        c.deadline_or("the deadline"),
        c.office_address(),
        c.office.email
    );
    if let Some(counsel) = &c.p.counsel_name {
        s.push_str(&format!(
            " Your lawyer, {counsel}, has received a copy of this notice and may answer for you."
        ));
    }
    vec![h("How to answer"), p(s)]
}

fn second_review() -> Vec<Block> {
    vec![
        h("Second review"),
        p(
            "If you think this decision rests on a mistake about your case, you or your lawyer may \
           ask for a second review. Write to the same office before the deadline, explain what you \
           think is wrong, and include any documents that show it.",
        ),
    ]
}

fn legal_help(c: &Ctx) -> Vec<Block> {
    vec![
        h("Your right to a lawyer"),
        p(format!(
            "You have the right to be represented by a lawyer or an accredited representative of \
             your choice, at no expense to the government. The immigration court keeps a list of \
             organizations and lawyers who may help you for free: the EOIR List of Pro Bono Legal \
             Service Providers, posted at every immigration court and at {PRO_BONO_URL}. If you \
             can, talk to a lawyer before you decide."
        )),
        p(format!(
            "Questions? Call {}. Please have this letter with you when you call.",
            c.office.phone
        )),
    ]
}

fn address_change() -> Block {
    p(
        "If you move, you must tell the immigration court your new address within five days on \
       Form EOIR-33, or you may not receive notices about your case.",
    )
}

fn offer(c: &Ctx, m: &str) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "The Department of Homeland Security (DHS) has reviewed your immigration court case \
             under its policy on prosecutorial discretion. DHS offers to ask the immigration judge \
             for {m} of your case. Please read this letter carefully. You must answer by {}.",
            c.deadline_or("the deadline below")
        )),
        h("What DHS is offering"),
        p(
            "If you accept, DHS will file, or join, a motion asking the immigration judge to \
           administratively close your case. Administrative closure takes the case off the judge's \
           active calendar. It is not a final order: you are not ordered removed, and your case is \
           not decided. Either party, DHS or you, may ask the judge to put the case back on the \
           calendar at any time.",
        ),
        h("What this offer is not"),
        not_status(),
        h("You may decline"),
        p(
            "You do not have to accept. If you decline, or if you do not answer, your case continues \
           in immigration court in the ordinary way, and you may ask the judge for any relief you \
           believe you qualify for, such as cancellation of removal or adjustment of status.",
        ),
        h("Conditions"),
        p(
            "This offer depends on a background check, including fingerprints, that finds no new \
           information making your case an enforcement priority. DHS may ask you for identity \
           documents. If the background check is not clear, DHS may withdraw the offer.",
        ),
    ];
    b.extend(how_to_answer(c));
    b.push(hearing(c));
    b.extend(second_review());
    b.extend(legal_help(c));
    b
}

fn reminder(c: &Ctx, m: &str) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "DHS has offered to ask the immigration judge for {m} of your case. We have not yet \
             received your answer. The deadline to answer is {}.",
            c.deadline_or("near")
        )),
        p(
            "Administrative closure takes the case off the judge's active calendar without a final \
           order; either party may ask the judge to put it back on the calendar at any time.",
        ),
        not_status(),
        p("You may decline: your case then continues in immigration court in the ordinary way."),
    ];
    b.extend(how_to_answer(c));
    b.push(hearing(c));
    b.extend(legal_help(c));
    b
}

fn accepted(c: &Ctx, m: &str) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "We received your acceptance of the offer of {m}. DHS will file, or join, a motion \
             asking the immigration judge to administratively close your case. The court will \
             send you the judge's decision."
        )),
        hearing(c),
        h("What closure is not"),
        not_status(),
        p("Either party may ask the judge to put a closed case back on the calendar at any time."),
        address_change(),
    ];
    b.extend(legal_help(c));
    b
}

fn declined(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(
            "We recorded that you declined the offer of administrative closure. Your case continues \
           in immigration court in the ordinary way. You may ask the judge for any relief you \
           believe you qualify for, such as cancellation of removal or adjustment of status.",
        ),
        attend(c),
        p(
            "If you did not decline, or if you change your mind, you or your lawyer should write to \
           the office named below right away.",
        ),
    ];
    b.extend(second_review());
    b.extend(legal_help(c));
    b
}

fn expired(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "We did not receive your answer to the offer of administrative closure by {}, so the \
             offer has expired. Your case continues in immigration court in the ordinary way.",
            c.deadline_or("the deadline")
        )),
        attend(c),
        p(format!(
            "If you did answer in time, write to {} right away with a copy of your answer.",
            c.office_address()
        )),
    ];
    b.extend(second_review());
    b.extend(legal_help(c));
    b
}

fn closed(c: &Ctx, m: &str) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "The immigration judge granted the motion for {m}: your case has been taken off the \
             court's active calendar. While it is closed you do not have hearings, unless the court \
             sends you a new hearing notice."
        )),
        h("What closure is not"),
        not_status(),
        p(
            "Either party, DHS or you, may ask the judge to put the case back on the calendar at any \
           time. If that happens, the court will send you a notice of your next hearing.",
        ),
        address_change(),
    ];
    b.extend(legal_help(c));
    b
}

fn recalendared(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(
            "Your case, which had been administratively closed, has been put back on the immigration \
           judge's calendar. Your case is active again.",
        ),
        attend(c),
        p(
            "You may ask the judge for any relief you believe you qualify for, such as cancellation \
           of removal or adjustment of status.",
        ),
        address_change(),
    ];
    b.extend(legal_help(c));
    b
}
