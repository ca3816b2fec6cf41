//! Nationalities of the synthetic backlog, their languages, name pools and asylum-claim rates.
//!
//! Shares follow the shape of the 2011 backlog (POLICY.md §2, §6): Mexico the largest group, then the
//! Central American countries and China; Spanish the language of about seven cases in ten. Languages
//! are ISO 639-1; languages without a two-letter code (Mam, K'iche', Fuzhounese, Kabuverdianu) are
//! recorded as the country's main court language, as EOIR's interpreters often were.

use super::names::Pool;

/// One nationality.
pub(super) struct Nation {
    /// ISO 3166-1 alpha-2 code.
    pub code: &'static str,
    /// Base weight (percent of the national backlog, before court biases).
    pub weight: f64,
    /// Best languages and their weights.
    pub languages: &'static [(&'static str, f64)],
    /// Names are drawn from this pool.
    pub pool: Pool,
    /// Probability that the respondent has an asylum, withholding or CAT claim.
    pub asylum: f64,
    /// Eligible for Temporary Protected Status in 2011 (an I-821 may be pending).
    pub tps: bool,
}

const ES: &[(&str, f64)] = &[("es", 1.0)];

const fn n(
    code: &'static str,
    weight: f64,
    languages: &'static [(&'static str, f64)],
    pool: Pool,
    asylum: f64,
    tps: bool,
) -> Nation {
    Nation {
        code,
        weight,
        languages,
        pool,
        asylum,
        tps,
    }
}

/// All nationalities, largest first.
pub(super) const NATIONS: &[Nation] = &[
    n("MX", 36.0, ES, Pool::Hispanic, 0.03, false),
    n("SV", 8.5, ES, Pool::Hispanic, 0.16, true),
    n("GT", 7.5, ES, Pool::Hispanic, 0.18, false),
    n(
        "CN",
        5.8,
        &[("zh", 0.95), ("en", 0.05)],
        Pool::Chinese,
        0.55,
        false,
    ),
    n("HN", 5.0, ES, Pool::Hispanic, 0.15, true),
    n("EC", 2.0, ES, Pool::Hispanic, 0.12, false),
    n("DO", 2.0, ES, Pool::Hispanic, 0.05, false),
    n(
        "HT",
        2.5,
        &[("ht", 0.85), ("fr", 0.15)],
        Pool::Haitian,
        0.25,
        true,
    ),
    n(
        "IN",
        2.2,
        &[("pa", 0.55), ("hi", 0.25), ("gu", 0.10), ("en", 0.10)],
        Pool::Indian,
        0.35,
        false,
    ),
    n("CO", 1.8, ES, Pool::Hispanic, 0.25, false),
    n("BR", 1.5, &[("pt", 1.0)], Pool::Brazilian, 0.05, false),
    n(
        "PH",
        1.3,
        &[("tl", 0.6), ("en", 0.4)],
        Pool::Filipino,
        0.05,
        false,
    ),
    n("CU", 1.2, ES, Pool::Hispanic, 0.30, false),
    n("NI", 0.9, ES, Pool::Hispanic, 0.15, true),
    n("PE", 0.9, ES, Pool::Hispanic, 0.10, false),
    n("VE", 0.8, ES, Pool::Hispanic, 0.45, false),
    n(
        "NG",
        1.0,
        &[("en", 0.9), ("yo", 0.1)],
        Pool::WestAfrican,
        0.25,
        false,
    ),
    n("JM", 0.8, &[("en", 1.0)], Pool::Caribbean, 0.03, false),
    n("GY", 0.3, &[("en", 1.0)], Pool::Caribbean, 0.05, false),
    n("VN", 0.7, &[("vi", 1.0)], Pool::Vietnamese, 0.10, false),
    n("KR", 0.4, &[("ko", 1.0)], Pool::Korean, 0.05, false),
    n("RU", 0.4, &[("ru", 1.0)], Pool::Slavic, 0.40, false),
    n(
        "UA",
        0.3,
        &[("ru", 0.6), ("uk", 0.4)],
        Pool::Slavic,
        0.40,
        false,
    ),
    n("AL", 0.5, &[("sq", 1.0)], Pool::Albanian, 0.60, false),
    n("BD", 0.5, &[("bn", 1.0)], Pool::SouthAsian, 0.40, false),
    n("PK", 0.4, &[("ur", 1.0)], Pool::SouthAsian, 0.40, false),
    n("EG", 0.3, &[("ar", 1.0)], Pool::Arabic, 0.50, false),
    n("IQ", 0.2, &[("ar", 1.0)], Pool::Arabic, 0.60, false),
    n("SO", 0.2, &[("so", 1.0)], Pool::Arabic, 0.70, true),
    n("ET", 0.4, &[("am", 1.0)], Pool::Ethiopian, 0.60, false),
    n(
        "GN",
        0.4,
        &[("fr", 0.6), ("ff", 0.4)],
        Pool::Francophone,
        0.70,
        false,
    ),
    n(
        "SN",
        0.3,
        &[("fr", 0.5), ("wo", 0.5)],
        Pool::Francophone,
        0.30,
        false,
    ),
    n(
        "CM",
        0.3,
        &[("fr", 0.7), ("en", 0.3)],
        Pool::Francophone,
        0.70,
        false,
    ),
    n("LR", 0.2, &[("en", 1.0)], Pool::WestAfrican, 0.30, false),
    n("CV", 0.2, &[("pt", 1.0)], Pool::Brazilian, 0.05, false),
];
