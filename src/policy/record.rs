//! The simulator's decoder of case records: the same acceptance as [`Case::from_json`] (every
//! field checked by the same checks, unknown fields refused, the same date consistency), but it
//! borrows from the record instead of building a [`Case`]. Free text (names, addresses, emails,
//! offenses) is checked and dropped; only what the rules and the groups read is kept, so a valid
//! record costs no allocation unless it has convictions or a string with escapes. A record in the
//! layout docket itself writes (what `cases` holds) takes a faster path with the same acceptance
//! ([`canonical`]).
//!
//! [`Case::from_json`]: crate::domain::Case::from_json
//! [`Case`]: crate::domain::Case

use serde::Deserialize;

use super::{Dimension, relief, representation};
use crate::domain::checked::{Checked, Kept};
use crate::domain::{
    ANumber, CaseDates, CaseId, CaseType, Confidential, CountryCode, CourtCode, Custody, Date,
    EmailAddress, EoirId, Flags, LanguageCode, OffenseCategory, OffenseLevel, PetitionStatus,
    ShortText, StateCode, check_dates,
};
use crate::rules::{ConvictionFacts, FactorFacts, RuleInput};

mod canonical;

/// One case record, decoded for a simulation. Field names and types mirror
/// [`Case`](crate::domain::Case) one for one; a test holds the two to the same acceptance.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseRecord<'a> {
    #[serde(borrow)]
    case_id: Kept<'a, CaseId>,
    #[allow(dead_code)]
    a_number: Checked<ANumber>,
    #[serde(borrow)]
    respondent: RespondentRecord<'a>,
    #[serde(borrow)]
    court: Kept<'a, CourtCode>,
    case_type: CaseType,
    custody: Custody,
    filed_on: Date,
    entry_date: Option<Date>,
    #[allow(dead_code)]
    next_hearing: Option<Date>,
    final_order: bool,
    convictions: Vec<ConvictionRecord>,
    flags: Flags,
    factors: FactorsRecord,
    #[allow(dead_code)]
    confidential: Confidential,
    counsel: Option<CounselRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RespondentRecord<'a> {
    given_name: Checked<ShortText>,
    family_name: Checked<ShortText>,
    birth_date: Date,
    #[serde(borrow)]
    nationality: Kept<'a, CountryCode>,
    #[serde(borrow)]
    language: Kept<'a, LanguageCode>,
    address: AddressRecord,
    email: Option<Checked<EmailAddress>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AddressRecord {
    line1: Checked<ShortText>,
    city: Checked<ShortText>,
    state: Checked<StateCode>,
    postal_code: Checked<ShortText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ConvictionRecord {
    offense: Checked<ShortText>,
    level: OffenseLevel,
    category: OffenseCategory,
    convicted_on: Date,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactorsRecord {
    arrived_under_16: bool,
    in_school_or_graduate: bool,
    military_service: bool,
    military_family: bool,
    crime_victim_or_witness: bool,
    serious_health_condition: bool,
    primary_caretaker: bool,
    pregnant_or_nursing: bool,
    usc_or_lpr_relatives: u16,
    lpr_since: Option<Date>,
    cooperating_with_law_enforcement: bool,
    community_ties: bool,
    pending_petition: Option<PetitionRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PetitionRecord {
    form: Checked<ShortText>,
    status: PetitionStatus,
    relief_immediately_available: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CounselRecord {
    name: Checked<ShortText>,
    eoir_id: Checked<EoirId>,
    email: Option<Checked<EmailAddress>>,
    address: Option<AddressRecord>,
}

impl<'a> CaseRecord<'a> {
    /// Decodes one record, or `None` when [`Case::from_json`](crate::domain::Case::from_json)
    /// would refuse it.
    pub(super) fn decode(record: &'a [u8]) -> Option<Self> {
        // Every byte of a valid record is JSON syntax or inside a string, so checking the whole
        // line once is the same check as the parser's string by string, at a fraction of its cost.
        let text = std::str::from_utf8(record).ok()?;
        let case = match canonical::decode(text) {
            Some(case) => case,
            None => Self::general(text)?,
        };
        check_dates(CaseDates {
            born: case.respondent.birth_date,
            entry: case.entry_date,
            filed_on: case.filed_on,
            convicted_on: case.convictions.iter().map(|c| c.convicted_on),
            lpr_since: case.factors.lpr_since,
        })
        .ok()?;
        Some(case)
    }

    /// Decodes one record in any layout JSON allows, as serde_json reads it.
    fn general(text: &'a str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The case id.
    pub(super) fn case_id(&self) -> &str {
        self.case_id.as_str()
    }

    /// The group of the case along `dim`, as [`Dimension::of`] gives it for a case.
    pub(super) fn group(&self, dim: Dimension) -> &str {
        match dim {
            Dimension::Court => self.court.as_str(),
            Dimension::Nationality => self.respondent.nationality.as_str(),
            Dimension::Language => self.respondent.language.as_str(),
            Dimension::Representation => representation(self.counsel.is_some()),
            Dimension::Custody => self.custody.code(),
            Dimension::Relief => relief(self.factors.pending_petition.is_some()),
        }
    }
}

impl RuleInput for CaseRecord<'_> {
    fn court(&self) -> &str {
        self.court.as_str()
    }

    fn case_type(&self) -> CaseType {
        self.case_type
    }

    fn custody(&self) -> Custody {
        self.custody
    }

    fn final_order(&self) -> bool {
        self.final_order
    }

    fn birth_date(&self) -> Date {
        self.respondent.birth_date
    }

    fn entry_date(&self) -> Option<Date> {
        self.entry_date
    }

    fn flags(&self) -> Flags {
        self.flags
    }

    fn factors(&self) -> FactorFacts {
        let f = &self.factors;
        FactorFacts {
            arrived_under_16: f.arrived_under_16,
            in_school_or_graduate: f.in_school_or_graduate,
            military_service: f.military_service,
            military_family: f.military_family,
            crime_victim_or_witness: f.crime_victim_or_witness,
            serious_health_condition: f.serious_health_condition,
            primary_caretaker: f.primary_caretaker,
            pregnant_or_nursing: f.pregnant_or_nursing,
            usc_or_lpr_relatives: f.usc_or_lpr_relatives,
            lpr_since: f.lpr_since,
            cooperating_with_law_enforcement: f.cooperating_with_law_enforcement,
            community_ties: f.community_ties,
            petition: f
                .pending_petition
                .as_ref()
                .map(|p| (p.status, p.relief_immediately_available)),
        }
    }

    fn convictions(&self) -> impl Iterator<Item = ConvictionFacts> + Clone {
        self.convictions
            .iter()
            .map(|c| (c.level, c.category, c.convicted_on))
    }
}

#[cfg(test)]
mod tests;
