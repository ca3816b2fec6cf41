//! The importer's decoder of case records: the same acceptance as [`Case::from_json`] (every
//! field checked by the same checks, unknown and duplicate fields refused, the same date
//! consistency), and the same canonical JSON as [`Case::to_json`], without building a [`Case`].
//! Strings are borrowed from the line unless they have escapes, so a valid record costs no
//! allocation unless it has convictions. Tests hold both to the same acceptance and output.
//!
//! Why: building a `Case` (about twenty `String`s) and writing it back out was most of the
//! importer's CPU per line.
//!
//! [`Case::from_json`]: crate::domain::Case::from_json
//! [`Case::to_json`]: crate::domain::Case::to_json
//! [`Case`]: crate::domain::Case

use serde::{Deserialize, Serialize};

use crate::domain::checked::{Kept, NormalANumber};
use crate::domain::{
    CaseDates, CaseId, CaseType, Confidential, CountryCode, CourtCode, Custody, Date, EmailAddress,
    EoirId, Flags, LanguageCode, OffenseCategory, OffenseLevel, PetitionStatus, ShortText,
    StateCode, check_dates,
};
use crate::store::case_rows::CaseColumns;

/// One case record, decoded for the import. Field names, order and types mirror
/// [`Case`](crate::domain::Case) one for one.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseView<'a> {
    #[serde(borrow)]
    case_id: Kept<'a, CaseId>,
    a_number: NormalANumber,
    #[serde(borrow)]
    respondent: RespondentView<'a>,
    #[serde(borrow)]
    court: Kept<'a, CourtCode>,
    case_type: CaseType,
    custody: Custody,
    filed_on: Date,
    entry_date: Option<Date>,
    next_hearing: Option<Date>,
    final_order: bool,
    #[serde(borrow)]
    convictions: Vec<ConvictionView<'a>>,
    flags: Flags,
    #[serde(borrow)]
    factors: FactorsView<'a>,
    confidential: Confidential,
    #[serde(borrow)]
    counsel: Option<CounselView<'a>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RespondentView<'a> {
    #[serde(borrow)]
    given_name: Kept<'a, ShortText>,
    #[serde(borrow)]
    family_name: Kept<'a, ShortText>,
    birth_date: Date,
    #[serde(borrow)]
    nationality: Kept<'a, CountryCode>,
    #[serde(borrow)]
    language: Kept<'a, LanguageCode>,
    #[serde(borrow)]
    address: AddressView<'a>,
    #[serde(borrow)]
    email: Option<Kept<'a, EmailAddress>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct AddressView<'a> {
    #[serde(borrow)]
    line1: Kept<'a, ShortText>,
    #[serde(borrow)]
    city: Kept<'a, ShortText>,
    #[serde(borrow)]
    state: Kept<'a, StateCode>,
    #[serde(borrow)]
    postal_code: Kept<'a, ShortText>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ConvictionView<'a> {
    #[serde(borrow)]
    offense: Kept<'a, ShortText>,
    level: OffenseLevel,
    category: OffenseCategory,
    convicted_on: Date,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FactorsView<'a> {
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
    #[serde(borrow)]
    pending_petition: Option<PetitionView<'a>>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PetitionView<'a> {
    #[serde(borrow)]
    form: Kept<'a, ShortText>,
    status: PetitionStatus,
    relief_immediately_available: bool,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CounselView<'a> {
    #[serde(borrow)]
    name: Kept<'a, ShortText>,
    #[serde(borrow)]
    eoir_id: Kept<'a, EoirId>,
    #[serde(borrow)]
    email: Option<Kept<'a, EmailAddress>>,
    #[serde(borrow)]
    address: Option<AddressView<'a>>,
}

impl<'a> CaseView<'a> {
    /// Decodes one record, or `None` when [`Case::from_json`](crate::domain::Case::from_json)
    /// would refuse it (the caller asks that decoder why).
    pub(super) fn decode(record: &'a [u8]) -> Option<Self> {
        // Every byte of a valid record is JSON syntax or inside a string, so checking the whole
        // line once is the same check as the parser's string by string, at a fraction of its cost.
        let text = std::str::from_utf8(record).ok()?;
        let case: CaseView<'a> = serde_json::from_str(text).ok()?;
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

    /// The row's columns.
    pub(super) fn columns(&self) -> CaseColumns<'_> {
        CaseColumns {
            case_id: self.case_id.as_str(),
            court: self.court.as_str(),
            case_type: self.case_type.code(),
            custody: self.custody.code(),
            nationality: self.respondent.nationality.as_str(),
            language: self.respondent.language.as_str(),
            represented: self.counsel.is_some(),
        }
    }

    /// Appends the case's canonical JSON to `out`: the bytes of
    /// [`Case::to_json`](crate::domain::Case::to_json).
    pub(super) fn write_json(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("a case view always serializes");
    }
}

#[cfg(test)]
mod tests;
