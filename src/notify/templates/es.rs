//! Avisos en español para el/la demandado/a (the respondent's notices in Spanish).

use super::common::{Ctx, PRO_BONO_URL, mechanism, mechanism_es_article};
use super::{Block, Notice, ResponseForm};
use crate::domain::NoticeKind;

fn h(s: &str) -> Block {
    Block::Heading(s.into())
}

fn p(s: impl Into<String>) -> Block {
    Block::Para(s.into())
}

/// Renders a respondent's notice in Spanish.
pub fn render(c: &Ctx) -> Notice {
    let m = mechanism(&c.p.closure_mechanism, c.lang);
    let (subject, title, blocks) = match c.p.kind {
        NoticeKind::Offer => (
            format!("Oferta de {m} de su caso ante la corte de inmigración"),
            format!("Oferta de {m}"),
            offer(c),
        ),
        NoticeKind::Reminder => (
            format!(
                "Recordatorio: responda a la oferta de {m} a más tardar el {}",
                c.deadline_or("día indicado")
            ),
            format!("Recordatorio: oferta de {m}"),
            reminder(c),
        ),
        NoticeKind::Accepted => (
            "Recibimos su aceptación de la oferta".into(),
            format!("Su aceptación de la oferta de {m}"),
            accepted(c, m),
        ),
        NoticeKind::Declined => (
            "Su caso continúa ante la corte de inmigración".into(),
            "Usted rechazó la oferta: su caso continúa ante la corte".into(),
            declined(c),
        ),
        NoticeKind::Expired => (
            "La oferta venció: su caso continúa ante la corte".into(),
            "La oferta venció".into(),
            expired(c),
        ),
        NoticeKind::Closed => (
            "Su caso ante la corte de inmigración fue cerrado".into(),
            "Su caso fue cerrado administrativamente".into(),
            closed(c, m),
        ),
        NoticeKind::Recalendared => (
            "Su caso ante la corte de inmigración volvió al calendario".into(),
            "Su caso volvió al calendario de la corte".into(),
            recalendared(c),
        ),
    };
    let form = matches!(c.p.kind, NoticeKind::Offer | NoticeKind::Reminder).then(|| ResponseForm {
        title: format!(
            "FORMULARIO DE RESPUESTA - devuélvalo a más tardar el {}",
            c.deadline_or("día indicado en esta carta")
        ),
        choices: vec![
            format!("ACEPTO la oferta de {m}."),
            "RECHAZO la oferta. Quiero que mi caso continúe ante la corte de inmigración.".into(),
        ],
        fields: vec![
            "Nombre".into(),
            "Número A".into(),
            "Firma".into(),
            "Fecha".into(),
        ],
        return_to: format!(
            "Envíelo a: {}. O por correo electrónico a: {}",
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
        caption: c.caption(["Demandado/a", "Número A", "Corte", "Próxima audiencia"]),
        salutation: format!("Estimado/a {}:", c.p.addressee_name),
        blocks,
        closing: "Atentamente,".into(),
        signature: c.signature(),
        interpreter_notice: Vec::new(),
        response_form: form,
    }
}

fn not_status() -> Block {
    Block::Bullets(vec![
        "No le da ningún estatus migratorio legal.".into(),
        "No le da una tarjeta verde (residencia permanente legal).".into(),
        "No le da un permiso de trabajo.".into(),
        "No detiene la presencia ilegal: esta sigue acumulándose mientras el caso esté cerrado."
            .into(),
    ])
}

fn hearing(c: &Ctx) -> Block {
    p(match &c.hearing {
        Some(d) => format!(
            "Mientras el juez no conceda la moción, su audiencia sigue en el calendario. Usted debe \
             presentarse ante la corte el {d}, a menos que la corte le envíe un aviso de que la \
             audiencia se canceló."
        ),
        None => {
            "Mientras el juez no conceda la moción, su caso sigue en el calendario. Usted debe \
                 presentarse a toda audiencia que fije la corte."
                .into()
        }
    })
}

fn attend(c: &Ctx) -> Block {
    p(match &c.hearing {
        Some(d) => format!(
            "Su próxima audiencia es el {d} en la {}. Usted debe presentarse: si falta a una \
             audiencia, el juez puede ordenar su deportación en su ausencia.",
            c.court
        ),
        None => format!(
            "La {} le enviará un aviso con la fecha, la hora y el lugar de su próxima audiencia. \
             Usted debe presentarse: si falta a una audiencia, el juez puede ordenar su deportación \
             en su ausencia.",
            c.court
        ),
    })
}

fn how_to_answer(c: &Ctx) -> Vec<Block> {
    let days =
        c.p.deadline_days
            .map(|n| format!(" ({n} días a partir de la fecha de esta carta)"))
            .unwrap_or_default();
    let mut s = format!(
        "Responda por escrito a más tardar el {}{days}. Indique si acepta o rechaza la oferta, \
         firme su respuesta, escriba en ella su número A y envíela a: {}; o por correo electrónico \
         a {}. Puede usar el formulario de respuesta que está al final de esta carta.",
        c.deadline_or("día indicado"),
        c.office_address(),
        c.office.email
    );
    if let Some(counsel) = &c.p.counsel_name {
        s.push_str(&format!(
            " Su abogado/a, {counsel}, recibió una copia de este aviso y puede responder por usted."
        ));
    }
    vec![h("Cómo responder"), p(s)]
}

fn second_review() -> Vec<Block> {
    vec![
        h("Segunda revisión"),
        p(
            "Si cree que esta decisión se basa en un error sobre su caso, usted o su abogado/a pueden \
           pedir una segunda revisión. Escriba a la misma oficina antes de la fecha límite, explique \
           qué cree que está mal y adjunte los documentos que lo demuestren.",
        ),
    ]
}

fn legal_help(c: &Ctx) -> Vec<Block> {
    vec![
        h("Su derecho a un abogado"),
        p(format!(
            "Usted tiene derecho a ser representado/a por un abogado o un representante acreditado \
             de su elección, sin costo alguno para el gobierno. La corte de inmigración tiene una \
             lista de organizaciones y abogados que pueden ayudarle gratuitamente: la Lista de \
             Proveedores de Servicios Legales Gratuitos (Pro Bono) de la EOIR, que se publica en \
             todas las cortes de inmigración y en {PRO_BONO_URL}. Si puede, hable con un abogado \
             antes de decidir."
        )),
        p(format!(
            "¿Tiene preguntas? Llame al {}. Tenga esta carta a mano cuando llame.",
            c.office.phone
        )),
    ]
}

fn address_change() -> Block {
    p(
        "Si se muda, debe informar su nueva dirección a la corte de inmigración dentro de cinco días \
       con el Formulario EOIR-33; de lo contrario, es posible que no reciba los avisos de su caso.",
    )
}

fn offer(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "El Departamento de Seguridad Nacional (DHS, por sus siglas en inglés) revisó su caso \
             ante la corte de inmigración conforme a su política de discreción procesal. El DHS le \
             ofrece pedir al juez de inmigración {} de su caso. Lea esta carta con atención. Debe \
             responder a más tardar el {}.",
            mechanism_es_article(&c.p.closure_mechanism),
            c.deadline_or("día indicado más abajo")
        )),
        h("Qué le ofrece el DHS"),
        p(
            "Si usted acepta, el DHS presentará una moción, o se unirá a ella, para pedir al juez de \
           inmigración que cierre administrativamente su caso. El cierre administrativo retira el \
           caso del calendario activo del juez. No es una orden final: no se ordena su deportación \
           y su caso no queda decidido. Cualquiera de las partes, el DHS o usted, puede pedir al \
           juez en cualquier momento que vuelva a poner el caso en el calendario.",
        ),
        h("Lo que esta oferta no es"),
        not_status(),
        h("Usted puede rechazar la oferta"),
        p(
            "Usted no está obligado/a a aceptar. Si rechaza la oferta, o si no responde, su caso \
           continúa ante la corte de inmigración de la forma habitual, y usted puede pedir al juez \
           cualquier alivio para el que crea que califica, como la cancelación de la deportación o \
           el ajuste de estatus.",
        ),
        h("Condiciones"),
        p(
            "Esta oferta depende de una verificación de antecedentes, que incluye huellas digitales, \
           en la que no aparezca información nueva que convierta su caso en una prioridad de \
           control migratorio. El DHS puede pedirle documentos de identidad. Si la verificación de \
           antecedentes no sale favorable, el DHS puede retirar la oferta.",
        ),
    ];
    b.extend(how_to_answer(c));
    b.push(hearing(c));
    b.extend(second_review());
    b.extend(legal_help(c));
    b
}

fn reminder(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "El DHS le ofreció pedir al juez de inmigración {} de su caso. Todavía no hemos \
             recibido su respuesta. La fecha límite para responder es el {}.",
            mechanism_es_article(&c.p.closure_mechanism),
            c.deadline_or("día indicado")
        )),
        p(
            "El cierre administrativo retira el caso del calendario activo del juez sin una orden \
           final; cualquiera de las partes puede pedir al juez en cualquier momento que vuelva a \
           poner el caso en el calendario.",
        ),
        not_status(),
        p(
            "Usted puede rechazar la oferta: en ese caso, su caso continúa ante la corte de \
           inmigración de la forma habitual.",
        ),
    ];
    b.extend(how_to_answer(c));
    b.push(hearing(c));
    b.extend(legal_help(c));
    b
}

fn accepted(c: &Ctx, m: &str) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "Recibimos su aceptación de la oferta de {m}. El DHS presentará una moción, o se unirá \
             a ella, para pedir al juez de inmigración que cierre administrativamente su caso. La \
             corte le enviará la decisión del juez."
        )),
        hearing(c),
        h("Lo que el cierre no es"),
        not_status(),
        p(
            "Cualquiera de las partes puede pedir al juez en cualquier momento que vuelva a poner un \
           caso cerrado en el calendario.",
        ),
        address_change(),
    ];
    b.extend(legal_help(c));
    b
}

fn declined(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(
            "Registramos que usted rechazó la oferta de cierre administrativo. Su caso continúa ante \
           la corte de inmigración de la forma habitual. Usted puede pedir al juez cualquier alivio \
           para el que crea que califica, como la cancelación de la deportación o el ajuste de \
           estatus.",
        ),
        attend(c),
        p(
            "Si usted no rechazó la oferta, o si cambia de opinión, usted o su abogado/a deben \
           escribir de inmediato a la oficina que se indica abajo.",
        ),
    ];
    b.extend(second_review());
    b.extend(legal_help(c));
    b
}

fn expired(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(format!(
            "No recibimos su respuesta a la oferta de cierre administrativo a más tardar el {}, por \
             lo que la oferta venció. Su caso continúa ante la corte de inmigración de la forma \
             habitual.",
            c.deadline_or("día indicado")
        )),
        attend(c),
        p(format!(
            "Si usted respondió a tiempo, escriba de inmediato a {} y adjunte una copia de su \
             respuesta.",
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
            "El juez de inmigración concedió la moción de {m}: su caso fue retirado del calendario \
             activo de la corte. Mientras esté cerrado, usted no tiene audiencias, a menos que la \
             corte le envíe un nuevo aviso de audiencia."
        )),
        h("Lo que el cierre no es"),
        not_status(),
        p(
            "Cualquiera de las partes, el DHS o usted, puede pedir al juez en cualquier momento que \
           vuelva a poner el caso en el calendario. Si eso ocurre, la corte le enviará un aviso de \
           su próxima audiencia.",
        ),
        address_change(),
    ];
    b.extend(legal_help(c));
    b
}

fn recalendared(c: &Ctx) -> Vec<Block> {
    let mut b = vec![
        p(
            "Su caso, que estaba cerrado administrativamente, volvió al calendario del juez de \
           inmigración. Su caso está activo de nuevo.",
        ),
        attend(c),
        p(
            "Usted puede pedir al juez cualquier alivio para el que crea que califica, como la \
           cancelación de la deportación o el ajuste de estatus.",
        ),
        address_change(),
    ];
    b.extend(legal_help(c));
    b
}
