//! The case record of the contract (DESIGN.md), parsed strictly.
//!
//! Unknown fields are rejected, every value is checked, and every error names the field and the reason
//! without ever repeating the value (it may be personal data). The types here serialize back to the
//! contract's JSON, with the A-number normalised to `A` + 9 digits.

use serde::{Deserialize, Serialize};

use super::fields::{
    ANumber, CaseId, CountryCode, CourtCode, Date, EmailAddress, EoirId, LanguageCode, ShortText,
    StateCode,
};

/// One pending immigration court case, as reviewed by docket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Stable case identifier, 1–40 of `[A-Za-z0-9-]`, unique within a backlog.
    pub case_id: CaseId,
    /// Alien registration number, normalised to `A` + 9 digits. Sensitive PII: never log it.
    pub a_number: ANumber,
    /// The person in proceedings.
    pub respondent: Respondent,
    /// EOIR base-city code of the court (3 letters).
    pub court: CourtCode,
    /// EOIR case type.
    pub case_type: CaseType,
    /// Custody status.
    pub custody: Custody,
    /// Date the charging document was filed.
    pub filed_on: Date,
    /// Date of entry to the United States, when known.
    pub entry_date: Option<Date>,
    /// Next hearing date, when one is set.
    pub next_hearing: Option<Date>,
    /// Whether a final order of removal exists.
    pub final_order: bool,
    /// Criminal convictions; may be empty.
    pub convictions: Vec<Conviction>,
    /// Enforcement-priority flags.
    pub flags: Flags,
    /// Favourable factors of the June 2011 memo.
    pub factors: Factors,
    /// Restricted facts (8 CFR 208.6, 8 U.S.C. 1367): never in notices, logs or exports.
    pub confidential: Confidential,
    /// Counsel of record (EOIR-28), if the respondent is represented.
    pub counsel: Option<Counsel>,
}

/// The respondent's identity and contact details. All of it is PII.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Respondent {
    /// Given name.
    pub given_name: ShortText,
    /// Family name.
    pub family_name: ShortText,
    /// Date of birth.
    pub birth_date: Date,
    /// ISO 3166-1 alpha-2 nationality.
    pub nationality: CountryCode,
    /// ISO 639-1 code of the respondent's best language.
    pub language: LanguageCode,
    /// Postal address on file.
    pub address: Address,
    /// Email address, if the respondent gave one.
    pub email: Option<EmailAddress>,
}

/// A US postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street line.
    pub line1: ShortText,
    /// City.
    pub city: ShortText,
    /// Two-letter state code.
    pub state: StateCode,
    /// ZIP code.
    pub postal_code: ShortText,
}

/// EOIR case types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CaseType {
    /// Removal.
    #[serde(rename = "RMV")]
    Removal,
    /// Deportation (pre-1997).
    #[serde(rename = "DEP")]
    Deportation,
    /// Exclusion (pre-1997).
    #[serde(rename = "EXC")]
    Exclusion,
    /// Asylum only.
    #[serde(rename = "AOC")]
    AsylumOnly,
    /// Withholding only.
    #[serde(rename = "WHO")]
    WithholdingOnly,
}

impl CaseType {
    /// The EOIR code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Removal => "RMV",
            Self::Deportation => "DEP",
            Self::Exclusion => "EXC",
            Self::AsylumOnly => "AOC",
            Self::WithholdingOnly => "WHO",
        }
    }
}

/// Custody status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Custody {
    /// Detained.
    #[serde(rename = "D")]
    Detained,
    /// Released.
    #[serde(rename = "R")]
    Released,
    /// Never detained.
    #[serde(rename = "N")]
    NeverDetained,
}

impl Custody {
    /// The EOIR code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Detained => "D",
            Self::Released => "R",
            Self::NeverDetained => "N",
        }
    }
}

/// One criminal conviction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conviction {
    /// Free-text offense description.
    pub offense: ShortText,
    /// Offense level.
    pub level: OffenseLevel,
    /// Offense category.
    pub category: OffenseCategory,
    /// Date of conviction.
    pub convicted_on: Date,
}

/// Offense level, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenseLevel {
    /// INA 101(a)(43) aggravated felony.
    AggravatedFelony,
    /// Any other felony.
    Felony,
    /// Misdemeanor.
    Misdemeanor,
}

/// Offense category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenseCategory {
    /// Violence, threats or assault.
    Violence,
    /// Sexual abuse or exploitation.
    Sex,
    /// Driving under the influence.
    Dui,
    /// Flight from the scene of an accident.
    HitAndRun,
    /// Drug distribution or trafficking.
    DrugDistribution,
    /// Theft.
    Theft,
    /// Traffic offense.
    Traffic,
    /// Illegal entry, re-entry or another immigration offense.
    Immigration,
    /// Anything else.
    Other,
}

impl OffenseCategory {
    /// Every category, in contract order.
    pub const ALL: [Self; 9] = [
        Self::Violence,
        Self::Sex,
        Self::Dui,
        Self::HitAndRun,
        Self::DrugDistribution,
        Self::Theft,
        Self::Traffic,
        Self::Immigration,
        Self::Other,
    ];

    /// The contract's name of the category.
    pub fn name(self) -> &'static str {
        match self {
            Self::Violence => "violence",
            Self::Sex => "sex",
            Self::Dui => "dui",
            Self::HitAndRun => "hit_and_run",
            Self::DrugDistribution => "drug_distribution",
            Self::Theft => "theft",
            Self::Traffic => "traffic",
            Self::Immigration => "immigration",
            Self::Other => "other",
        }
    }
}

/// Enforcement-priority flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flags {
    /// Suspected terrorism, espionage or other national-security risk.
    pub national_security: bool,
    /// Participant in an organized criminal gang.
    pub gang: bool,
    /// Subject to an outstanding criminal warrant.
    pub outstanding_warrant: bool,
    /// Previously removed.
    pub prior_removal: bool,
    /// Found to have committed immigration fraud.
    pub immigration_fraud: bool,
    /// Fugitive: final order and absconded, or obstruction.
    pub fugitive: bool,
}

/// Favourable factors (June 2011 memo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factors {
    /// Came to the United States under the age of 16.
    pub arrived_under_16: bool,
    /// In school, or a high-school or college graduate.
    pub in_school_or_graduate: bool,
    /// Served in the US armed forces, reserves or National Guard.
    pub military_service: bool,
    /// Spouse, child or parent of a service member or veteran.
    pub military_family: bool,
    /// Victim of, or witness to, a crime.
    pub crime_victim_or_witness: bool,
    /// Serious mental or physical condition (self or spouse).
    pub serious_health_condition: bool,
    /// Primary caretaker of a minor, disabled or seriously ill person.
    pub primary_caretaker: bool,
    /// Pregnant or nursing (self or spouse).
    pub pregnant_or_nursing: bool,
    /// Number of US-citizen or LPR spouses, children or parents.
    pub usc_or_lpr_relatives: u16,
    /// Date the respondent became a lawful permanent resident, if ever.
    pub lpr_since: Option<Date>,
    /// Cooperating, or has cooperated, with law enforcement.
    pub cooperating_with_law_enforcement: bool,
    /// Compelling ties and contributions to the community.
    pub community_ties: bool,
    /// A pending or approved petition or application.
    pub pending_petition: Option<PendingPetition>,
}

/// A pending or approved petition or application (e.g. I-130).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingPetition {
    /// Form name.
    pub form: ShortText,
    /// Pending or approved.
    pub status: PetitionStatus,
    /// Relief is immediately available: the case should be dismissed, not closed.
    pub relief_immediately_available: bool,
}

/// Status of a petition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PetitionStatus {
    /// Filed, not decided.
    Pending,
    /// Approved.
    Approved,
}

/// Restricted facts: never in notices, logs, metrics or exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confidential {
    /// An asylum, withholding or CAT claim exists (8 CFR 208.6).
    pub asylum_claim: bool,
    /// A VAWA, T or U matter exists (8 U.S.C. 1367).
    pub vawa_t_u: bool,
}

/// Counsel of record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counsel {
    /// Counsel's name.
    pub name: ShortText,
    /// EOIR registry id.
    pub eoir_id: EoirId,
    /// Counsel's email.
    pub email: Option<EmailAddress>,
    /// Counsel's postal address.
    pub address: Option<Address>,
}
