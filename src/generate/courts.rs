//! Immigration courts of the synthetic backlog, with the towns their dockets come from.
//!
//! Codes are EOIR base-city codes (checked against EOIR's `tblLookupBaseCity` / `tblLookupHloc` lookup
//! tables; San Diego is `SND`, not `SDC`, which is Stewart Detention Center). Arlington is left out: its
//! 2011 code could not be confirmed. Weights are approximate relative sizes of each court's pending
//! docket in late 2011 (thousands of cases); Denver and Baltimore follow the pilot docket counts of
//! POLICY.md §2.2, the others are rounded estimates. Towns and ZIP codes are real places in each court's
//! area; street addresses built on them are synthetic.

/// A town in a court's area: city, state, a few of its ZIP codes.
pub(super) struct Town {
    pub city: &'static str,
    pub state: &'static str,
    pub zips: &'static [&'static str],
}

/// One immigration court.
pub(super) struct Court {
    /// EOIR base-city code.
    pub code: &'static str,
    /// Relative size of the pending docket.
    pub weight: f64,
    /// Towns of the court's area; the first is the court's own city.
    pub towns: &'static [Town],
    /// Nationality multipliers: local communities over- or under-represented on this docket.
    pub bias: &'static [(&'static str, f64)],
}

const fn t(city: &'static str, state: &'static str, zips: &'static [&'static str]) -> Town {
    Town { city, state, zips }
}

/// Mexico-heavy dockets of the south-west and the interior.
const SOUTHWEST: &[(&str, f64)] = &[("MX", 1.8), ("GT", 1.1), ("CN", 0.3), ("HT", 0.1)];

/// The courts, largest docket first.
#[rustfmt::skip]
pub(super) const COURTS: &[Court] = &[
    Court { code: "LOS", weight: 48.0, towns: &[
        t("Santa Ana", "CA", &["92701", "92703"]),
        t("Riverside", "CA", &["92501", "92503"]),
        t("Long Beach", "CA", &["90805", "90813"]),
        t("Pomona", "CA", &["91766", "91767"]),
        t("Oxnard", "CA", &["93030", "93033"]),
    ], bias: &[("MX", 1.4), ("GT", 1.5), ("SV", 1.5), ("PH", 2.5), ("KR", 3.0), ("HT", 0.1)] },
    Court { code: "NYC", weight: 40.0, towns: &[
        t("New York", "NY", &["10032", "10033", "10040"]),
        t("Flushing", "NY", &["11354", "11355"]),
        t("Jackson Heights", "NY", &["11372"]),
        t("Brooklyn", "NY", &["11220", "11232"]),
        t("Bronx", "NY", &["10453", "10458"]),
        t("Hempstead", "NY", &["11550"]),
    ], bias: &[
        ("CN", 4.5), ("DO", 3.0), ("EC", 3.0), ("IN", 2.0), ("BD", 4.0), ("RU", 2.0),
        ("AL", 2.5), ("GN", 3.0), ("SN", 3.0), ("MX", 0.35), ("SV", 0.7), ("GT", 0.6),
    ] },
    Court { code: "SFR", weight: 22.0, towns: &[
        t("San Francisco", "CA", &["94110", "94112"]),
        t("Oakland", "CA", &["94601", "94606"]),
        t("San Jose", "CA", &["95116", "95122"]),
        t("Fresno", "CA", &["93701", "93702"]),
        t("Sacramento", "CA", &["95815", "95823"]),
        t("Salinas", "CA", &["93905"]),
    ], bias: &[("IN", 4.0), ("CN", 2.0), ("MX", 1.2), ("PH", 2.0), ("HT", 0.1)] },
    Court { code: "MIA", weight: 18.0, towns: &[
        t("Miami", "FL", &["33125", "33135", "33142"]),
        t("Hialeah", "FL", &["33010", "33012"]),
        t("Fort Lauderdale", "FL", &["33311"]),
        t("Homestead", "FL", &["33030"]),
        t("West Palm Beach", "FL", &["33407"]),
    ], bias: &[
        ("HT", 5.0), ("CU", 6.0), ("CO", 4.0), ("VE", 5.0),
        ("NI", 3.0), ("JM", 3.0), ("MX", 0.2), ("CN", 0.3),
    ] },
    Court { code: "CHI", weight: 14.0, towns: &[
        t("Chicago", "IL", &["60608", "60623", "60632", "60639"]),
        t("Cicero", "IL", &["60804"]),
        t("Aurora", "IL", &["60505"]),
        t("Waukegan", "IL", &["60085"]),
        t("Milwaukee", "WI", &["53204", "53215"]),
        t("Indianapolis", "IN", &["46222"]),
    ], bias: &[("MX", 1.7), ("PH", 1.3), ("IN", 1.5), ("RU", 1.5), ("AL", 1.5), ("SV", 0.5)] },
    Court { code: "HOU", weight: 13.0, towns: &[
        t("Houston", "TX", &["77036", "77057", "77081", "77099"]),
        t("Pasadena", "TX", &["77506"]),
    ], bias: &[("MX", 1.3), ("SV", 1.6), ("HN", 2.0), ("NG", 2.5), ("VN", 2.5), ("HT", 0.2)] },
    Court { code: "ORL", weight: 12.0, towns: &[
        t("Orlando", "FL", &["32805", "32822", "32839"]),
        t("Kissimmee", "FL", &["34741", "34744"]),
        t("Tampa", "FL", &["33604", "33614"]),
        t("Jacksonville", "FL", &["32211"]),
    ], bias: &[("HT", 3.0), ("CO", 3.0), ("VE", 3.0), ("BR", 2.0), ("MX", 0.6)] },
    Court { code: "BOS", weight: 10.0, towns: &[
        t("Boston", "MA", &["02128", "02119", "02121"]),
        t("Chelsea", "MA", &["02150"]),
        t("Lynn", "MA", &["01902"]),
        t("Framingham", "MA", &["01702"]),
        t("Providence", "RI", &["02907", "02909"]),
        t("Manchester", "NH", &["03103"]),
    ], bias: &[
        ("BR", 6.0), ("GT", 2.0), ("SV", 1.5), ("HT", 2.0),
        ("DO", 2.0), ("CV", 1.0), ("MX", 0.15),
    ] },
    Court { code: "NEW", weight: 9.0, towns: &[
        t("Newark", "NJ", &["07104", "07105", "07107"]),
        t("Elizabeth", "NJ", &["07201", "07206"]),
        t("Paterson", "NJ", &["07501", "07503"]),
        t("Union City", "NJ", &["07087"]),
        t("Plainfield", "NJ", &["07060"]),
    ], bias: &[
        ("EC", 3.0), ("IN", 3.0), ("CO", 2.0), ("PE", 3.0),
        ("HN", 1.5), ("CN", 1.5), ("MX", 0.3),
    ] },
    Court { code: "ATL", weight: 8.0, towns: &[
        t("Atlanta", "GA", &["30354"]),
        t("Doraville", "GA", &["30340"]),
        t("Norcross", "GA", &["30093", "30071"]),
        t("Marietta", "GA", &["30060"]),
        t("Gainesville", "GA", &["30501"]),
        t("Dalton", "GA", &["30721"]),
    ], bias: &[("MX", 1.4), ("GT", 1.4), ("IN", 1.2), ("NG", 1.5), ("ET", 2.0)] },
    Court { code: "DEN", weight: 7.9, towns: &[
        t("Denver", "CO", &["80204", "80219", "80223"]),
        t("Aurora", "CO", &["80010", "80012"]),
        t("Greeley", "CO", &["80631"]),
        t("Colorado Springs", "CO", &["80909"]),
        t("Salt Lake City", "UT", &["84104", "84119"]),
        t("Cheyenne", "WY", &["82001"]),
    ], bias: SOUTHWEST },
    Court { code: "SNA", weight: 8.0, towns: &[
        t("San Antonio", "TX", &["78207", "78228", "78237"]),
        t("Austin", "TX", &["78744", "78753"]),
        t("Laredo", "TX", &["78040", "78046"]),
        t("Del Rio", "TX", &["78840"]),
    ], bias: SOUTHWEST },
    Court { code: "DAL", weight: 7.0, towns: &[
        t("Dallas", "TX", &["75211", "75212", "75220", "75228"]),
        t("Irving", "TX", &["75061", "75062"]),
        t("Garland", "TX", &["75041"]),
        t("Fort Worth", "TX", &["76105", "76106"]),
        t("Oklahoma City", "OK", &["73109"]),
    ], bias: SOUTHWEST },
    Court { code: "SND", weight: 7.0, towns: &[
        t("San Diego", "CA", &["92105", "92113", "92154"]),
        t("Chula Vista", "CA", &["91910", "91911"]),
        t("Escondido", "CA", &["92025"]),
        t("Oceanside", "CA", &["92054"]),
        t("Vista", "CA", &["92083"]),
    ], bias: &[("MX", 2.0), ("PH", 1.5), ("HT", 0.1)] },
    Court { code: "SEA", weight: 6.0, towns: &[
        t("Seattle", "WA", &["98108", "98118", "98144"]),
        t("Kent", "WA", &["98032"]),
        t("Burien", "WA", &["98166"]),
        t("Everett", "WA", &["98204"]),
        t("Yakima", "WA", &["98902"]),
    ], bias: &[("MX", 1.5), ("UA", 4.0), ("RU", 3.0), ("VN", 2.0), ("SO", 3.0), ("ET", 2.0)] },
    Court { code: "PHO", weight: 5.0, towns: &[
        t("Mesa", "AZ", &["85201", "85204"]),
        t("Glendale", "AZ", &["85301"]),
        t("Chandler", "AZ", &["85225"]),
    ], bias: SOUTHWEST },
    Court { code: "PHI", weight: 5.0, towns: &[
        t("Philadelphia", "PA", &["19120", "19133", "19140"]),
        t("Norristown", "PA", &["19401"]),
        t("Kennett Square", "PA", &["19348"]),
        t("Reading", "PA", &["19601"]),
        t("Allentown", "PA", &["18102"]),
        t("Wilmington", "DE", &["19805"]),
    ], bias: &[("CN", 1.5), ("IN", 1.5), ("DO", 1.5), ("VN", 2.0), ("LR", 4.0), ("MX", 0.8)] },
    Court { code: "BAL", weight: 3.8, towns: &[
        t("Baltimore", "MD", &["21224", "21231", "21215"]),
        t("Silver Spring", "MD", &["20901", "20903", "20904"]),
        t("Hyattsville", "MD", &["20782", "20783"]),
        t("Gaithersburg", "MD", &["20877"]),
    ], bias: &[
        ("SV", 3.0), ("GT", 1.5), ("HN", 1.5), ("NG", 2.5),
        ("ET", 4.0), ("CM", 4.0), ("MX", 0.3),
    ] },
    Court { code: "DET", weight: 4.0, towns: &[
        t("Detroit", "MI", &["48209", "48210"]),
        t("Dearborn", "MI", &["48126"]),
        t("Hamtramck", "MI", &["48212"]),
        t("Grand Rapids", "MI", &["49507"]),
    ], bias: &[("IQ", 8.0), ("AL", 5.0), ("IN", 1.5), ("BD", 2.0), ("MX", 0.9)] },
    Court { code: "OMA", weight: 4.0, towns: &[
        t("Omaha", "NE", &["68107", "68105"]),
        t("Lincoln", "NE", &["68502"]),
        t("Grand Island", "NE", &["68801"]),
        t("Des Moines", "IA", &["50315", "50317"]),
        t("Sioux City", "IA", &["51103"]),
    ], bias: &[("MX", 1.6), ("GT", 2.0), ("SO", 2.0), ("HT", 0.1)] },
    Court { code: "TUC", weight: 2.0, towns: &[
        t("Tucson", "AZ", &["85705", "85706", "85713", "85714"]),
        t("Nogales", "AZ", &["85621"]),
        t("Douglas", "AZ", &["85607"]),
    ], bias: &[("MX", 2.4), ("GT", 1.0), ("CN", 0.2), ("HT", 0.1)] },
];

/// Local practice: how strongly each court's docket leans to cases with favourable factors, as a
/// multiplier on the chance of each favourable factor (schooling, community ties, a crime victim,
/// serious health, military service, a caretaker). It stands for what really differed between
/// courts in 2011–13 — which cases the local ICE offices charged, and how the local counsel's office
/// read the memos — so that the same rules give different offer rates by court.
///
/// Calibrated with the default rule set (`morton-2011`) on the seed's 300,000 cases: Denver about
/// 16% and Baltimore about 10% (the 2011–12 pilots, POLICY.md §2.2); the other courts keep the order
/// and spread of TRAC's PD closures of Oct 2011–Dec 2013 (Houston 1.7%, New York 3.7%, Chicago 5.0%,
/// Miami 6.3% … Phoenix 20.7%, Omaha 23.1%, Tucson 26.0%, Seattle 29.8%; POLICY.md §2.3), with the
/// large dockets (Los Angeles, San Francisco) kept near the national rate so that the whole backlog
/// still gives 2012's 7–8%.
#[rustfmt::skip]
const PRACTICE: &[(&str, f64)] = &[
    ("LOS", 1.15), ("NYC", 0.22), ("SFR", 1.05), ("MIA", 0.7), ("CHI", 0.5), ("HOU", 0.05),
    ("ORL", 0.75), ("BOS", 0.55), ("NEW", 0.45), ("ATL", 0.45), ("DEN", 2.6), ("SNA", 0.8),
    ("DAL", 0.4), ("SND", 1.1), ("SEA", 9.0), ("PHO", 3.8), ("PHI", 1.0), ("BAL", 1.3),
    ("DET", 1.0), ("OMA", 4.5), ("TUC", 7.5),
];

/// The practice multiplier of a court (1.0 for one not in [`PRACTICE`]).
pub(super) fn practice(code: &str) -> f64 {
    PRACTICE
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(1.0, |(_, m)| *m)
}

/// The multiplier a court applies to a nationality (1.0 when it has none).
pub(super) fn bias(court: &Court, nationality: &str) -> f64 {
    court
        .bias
        .iter()
        .find(|(code, _)| *code == nationality)
        .map_or(1.0, |(_, m)| *m)
}
