//! Small pools of common given and family names (the data is `names.toml`), and street names.
//! Every combination is synthetic.

use std::sync::LazyLock;

/// A naming tradition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pool {
    Hispanic,
    Chinese,
    Indian,
    Haitian,
    Brazilian,
    Filipino,
    WestAfrican,
    Caribbean,
    Vietnamese,
    Korean,
    Slavic,
    Albanian,
    SouthAsian,
    Arabic,
    Ethiopian,
    Francophone,
    /// US attorneys.
    American,
}

/// Female given names, male given names and family names of a pool.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Names {
    pub female: Vec<String>,
    pub male: Vec<String>,
    pub family: Vec<String>,
}

/// Every pool's names, as `names.toml` holds them (one table per pool).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Pools {
    hispanic: Names,
    chinese: Names,
    indian: Names,
    haitian: Names,
    brazilian: Names,
    filipino: Names,
    west_african: Names,
    caribbean: Names,
    vietnamese: Names,
    korean: Names,
    slavic: Names,
    albanian: Names,
    south_asian: Names,
    arabic: Names,
    ethiopian: Names,
    francophone: Names,
    american: Names,
}

/// The name pools, parsed from the data file on first use.
static POOLS: LazyLock<Pools> = LazyLock::new(|| {
    toml::from_str(include_str!("names.toml")).expect("names.toml is a valid table of pools")
});

impl Pool {
    /// The names of this pool.
    pub(super) fn names(self) -> &'static Names {
        let p = &*POOLS;
        match self {
            Pool::Hispanic => &p.hispanic,
            Pool::Chinese => &p.chinese,
            Pool::Indian => &p.indian,
            Pool::Haitian => &p.haitian,
            Pool::Brazilian => &p.brazilian,
            Pool::Filipino => &p.filipino,
            Pool::WestAfrican => &p.west_african,
            Pool::Caribbean => &p.caribbean,
            Pool::Vietnamese => &p.vietnamese,
            Pool::Korean => &p.korean,
            Pool::Slavic => &p.slavic,
            Pool::Albanian => &p.albanian,
            Pool::SouthAsian => &p.south_asian,
            Pool::Arabic => &p.arabic,
            Pool::Ethiopian => &p.ethiopian,
            Pool::Francophone => &p.francophone,
            Pool::American => &p.american,
        }
    }
}

/// Street names and suffixes for synthetic addresses.
#[rustfmt::skip]
pub(super) const STREETS: &[&str] = &[
    "Main", "Oak", "Maple", "Elm", "Cedar", "Pine", "Washington", "Lincoln", "Jefferson", "Park",
    "Lake", "Hill", "Sunset", "Grand", "Mission", "Central", "Church", "Spring", "Union", "River",
    "Highland", "Franklin", "Madison", "Walnut", "Chestnut", "Broadway", "Mill", "Ridge",
];

/// Street suffixes.
pub(super) const SUFFIXES: &[&str] = &["St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Ct", "Way", "Pl"];

/// Lower-case ASCII form of a name for an email local part: accents dropped, other signs removed.
pub(super) fn email_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let base = match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'Á' | 'À' | 'Â' | 'Ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'Í' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'Ó' | 'Ô' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' => 'u',
            'ñ' | 'Ñ' => 'n',
            'ç' | 'Ç' => 'c',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => continue,
        };
        out.push(base);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pool_has_names_of_each_kind() {
        let pools = [
            Pool::Hispanic,
            Pool::Chinese,
            Pool::Indian,
            Pool::Haitian,
            Pool::Brazilian,
            Pool::Filipino,
            Pool::WestAfrican,
            Pool::Caribbean,
            Pool::Vietnamese,
            Pool::Korean,
            Pool::Slavic,
            Pool::Albanian,
            Pool::SouthAsian,
            Pool::Arabic,
            Pool::Ethiopian,
            Pool::Francophone,
            Pool::American,
        ];
        for pool in pools {
            let n = pool.names();
            assert!(
                n.female.len() >= 5 && n.male.len() >= 5 && n.family.len() >= 6,
                "{pool:?}"
            );
        }
        assert_eq!(Pool::Hispanic.names().male[0], "José");
        assert_eq!(Pool::American.names().family.last().unwrap(), "Reyes");
    }
}
