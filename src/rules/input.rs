//! What the rules read of a case, as a trait: a [`Case`] gives it, and so can a lighter view of a
//! case record that borrows from its JSON (the simulator's decoder, `policy::record`), so that a
//! backlog is decided without building every case's strings. Scope and facts are computed from
//! these accessors only, whichever kind of case supplies them.

use crate::domain::{
    Case, CaseType, Custody, Date, Factors, Flags, OffenseCategory, OffenseLevel, PetitionStatus,
};

/// One conviction as the facts count it: level, category and date.
pub type ConvictionFacts = (OffenseLevel, OffenseCategory, Date);

/// The favourable factors of a case as the facts read them (no free text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorFacts {
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
    /// The status of a petition on file, and whether it makes relief immediately available.
    pub petition: Option<(PetitionStatus, bool)>,
}

impl From<&Factors> for FactorFacts {
    fn from(f: &Factors) -> Self {
        Self {
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
}

/// The parts of a case that scope and facts are computed from. Nationality, language, counsel and
/// the confidential flags are deliberately absent: no rule may read them.
pub trait RuleInput {
    /// EOIR base-city code of the court.
    fn court(&self) -> &str;
    /// EOIR case type.
    fn case_type(&self) -> CaseType;
    /// Custody status.
    fn custody(&self) -> Custody;
    /// Whether a final order of removal exists.
    fn final_order(&self) -> bool;
    /// The respondent's date of birth.
    fn birth_date(&self) -> Date;
    /// Date of entry, when known.
    fn entry_date(&self) -> Option<Date>;
    /// Enforcement-priority flags.
    fn flags(&self) -> Flags;
    /// Favourable factors.
    fn factors(&self) -> FactorFacts;
    /// Every conviction, in record order.
    fn convictions(&self) -> impl Iterator<Item = ConvictionFacts> + Clone;
}

impl RuleInput for Case {
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
        FactorFacts::from(&self.factors)
    }

    fn convictions(&self) -> impl Iterator<Item = ConvictionFacts> + Clone {
        self.convictions
            .iter()
            .map(|c| (c.level, c.category, c.convicted_on))
    }
}
