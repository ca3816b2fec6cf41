//! Small pools of common given and family names, and street names. Every combination is synthetic.

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
pub(super) struct Names {
    pub female: &'static [&'static str],
    pub male: &'static [&'static str],
    pub family: &'static [&'static str],
}

impl Pool {
    /// The names of this pool.
    #[rustfmt::skip]
    pub(super) fn names(self) -> &'static Names {
        match self {
            Pool::Hispanic => &HISPANIC,
            Pool::Chinese => &Names {
                female: &["Mei", "Li Na", "Xiu Ying", "Hui", "Yan", "Jing", "Fang", "Min"],
                male: &["Wei", "Jian", "Hong", "Ming", "Jun", "Qiang", "Lei", "Tao", "Bin"],
                family: &[
                    "Chen", "Lin", "Zheng", "Wang", "Li", "Zhang", "Liu", "Huang", "Wu", "Zhao",
                ],
            },
            Pool::Indian => &Names {
                female: &["Harpreet", "Manpreet", "Simran", "Priya", "Anjali", "Jaspreet"],
                male: &["Gurpreet", "Harjit", "Sukhwinder", "Rajesh", "Amit", "Jaswinder"],
                family: &["Singh", "Kaur", "Patel", "Sharma", "Gill", "Sandhu", "Kumar"],
            },
            Pool::Haitian => &Names {
                female: &["Marie", "Nadège", "Guerline", "Roseline", "Fabienne", "Widline"],
                male: &["Jean", "Wilner", "Jean-Baptiste", "Fritz", "Reginald", "Yves"],
                family: &["Joseph", "Pierre", "Jean-Louis", "Charles", "Louis", "Desir", "Étienne"],
            },
            Pool::Brazilian => &Names {
                female: &["Ana Paula", "Fernanda", "Juliana", "Patrícia", "Luciana", "Márcia"],
                male: &["João", "Marcos", "Rodrigo", "Paulo", "Fábio", "Leandro", "Anderson"],
                family: &["Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Almeida"],
            },
            Pool::Filipino => &Names {
                female: &["Maricel", "Rowena", "Jocelyn", "Lorna", "Analyn", "Cristina"],
                male: &["Rodel", "Jun", "Ramon", "Arnel", "Rogelio", "Dennis"],
                family: &["Santos", "Reyes", "Cruz", "Bautista", "Dela Cruz", "Garcia", "Mendoza"],
            },
            Pool::WestAfrican => &Names {
                female: &["Chioma", "Ngozi", "Folake", "Adaeze", "Comfort", "Blessing"],
                male: &["Chinedu", "Oluwaseun", "Emeka", "Babatunde", "Samuel", "Emmanuel"],
                family: &["Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Johnson", "Kollie"],
            },
            Pool::Caribbean => &Names {
                female: &["Shanice", "Kerry-Ann", "Tamika", "Nadine", "Andrea", "Simone"],
                male: &["Andre", "Dwayne", "Oneil", "Marlon", "Ricardo", "Devon"],
                family: &["Brown", "Williams", "Campbell", "Thompson", "Clarke", "Persaud"],
            },
            Pool::Vietnamese => &Names {
                female: &["Lan", "Huong", "Thuy", "Mai", "Linh", "Ngoc"],
                male: &["Minh", "Tuan", "Hung", "Duc", "Long", "Thanh"],
                family: &["Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang"],
            },
            Pool::Korean => &Names {
                female: &["Ji-young", "Eun-ji", "Min-ji", "Soo-jin", "Hye-jin"],
                male: &["Min-jun", "Seung-ho", "Jae-hyun", "Dong-hyun", "Sung-min"],
                family: &["Kim", "Lee", "Park", "Choi", "Jung", "Kang"],
            },
            Pool::Slavic => &Names {
                female: &["Olga", "Natalia", "Svetlana", "Irina", "Oksana", "Yulia"],
                male: &["Dmitri", "Sergei", "Oleksandr", "Andrei", "Vitaliy", "Mykola"],
                family: &["Ivanov", "Petrenko", "Kovalenko", "Smirnov", "Shevchenko", "Popov"],
            },
            Pool::Albanian => &Names {
                female: &["Elira", "Jonida", "Albana", "Mirela", "Dorina"],
                male: &["Arben", "Ilir", "Gentian", "Erion", "Bledar"],
                family: &["Hoxha", "Shehu", "Gjoka", "Krasniqi", "Dervishi", "Marku"],
            },
            Pool::SouthAsian => &Names {
                female: &["Fatema", "Nasrin", "Ayesha", "Shirin", "Rukhsana"],
                male: &["Mohammed", "Abdul", "Imran", "Rashid", "Tariq", "Kamal"],
                family: &["Rahman", "Hossain", "Khan", "Islam", "Ahmed", "Chowdhury"],
            },
            Pool::Arabic => &Names {
                female: &["Fatima", "Amina", "Layla", "Hodan", "Mariam", "Noor"],
                male: &["Ahmed", "Mohamed", "Hassan", "Ali", "Abdi", "Omar", "Yusuf"],
                family: &["Hassan", "Ibrahim", "Mohamud", "Abdullah", "Farah", "Saleh", "Mansour"],
            },
            Pool::Ethiopian => &Names {
                female: &["Tigist", "Meron", "Hiwot", "Selamawit", "Bethlehem"],
                male: &["Dawit", "Yonas", "Tesfaye", "Biniam", "Solomon"],
                family: &["Bekele", "Tesfaye", "Haile", "Alemu", "Girma", "Wolde"],
            },
            Pool::Francophone => &Names {
                female: &["Aminata", "Fatoumata", "Mariama", "Awa", "Clarisse"],
                male: &["Mamadou", "Ibrahima", "Ousmane", "Boubacar", "Serge"],
                family: &["Diallo", "Bah", "Sow", "Barry", "Ndiaye", "Fofana", "Nkemdirim"],
            },
            Pool::American => &Names {
                female: &["Sarah", "Jennifer", "Laura", "Rachel", "Emily", "Ana", "Grace"],
                male: &["Michael", "David", "Daniel", "Robert", "Kevin", "Carlos", "Steven"],
                family: &[
                    "Goldberg", "Miller", "O'Brien", "Ortiz", "Chen", "Patel", "Nguyen",
                    "Rosenberg", "Walsh", "Morales", "Kaplan", "Fitzgerald", "Shah", "Reyes",
                ],
            },
        }
    }
}

#[rustfmt::skip]
static HISPANIC: Names = Names {
    female: &[
        "María", "Rosa", "Ana", "Guadalupe", "Carmen", "Juana", "Sandra", "Maribel", "Yesenia",
        "Leticia", "Claudia", "Elena", "Blanca", "Silvia", "Verónica", "Norma", "Gloria",
    ],
    male: &[
        "José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "Francisco", "Jesús", "Pedro",
        "Mario", "Óscar", "Raúl", "Fernando", "Alejandro", "Víctor", "Manuel", "Santos",
    ],
    family: &[
        "García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez",
        "Ramírez", "Flores", "Cruz", "Gómez", "Morales", "Vásquez", "Reyes", "Jiménez", "Torres",
        "Díaz", "Mendoza", "Castillo", "Aguilar", "Ortiz", "Ramos", "Chávez", "Romero",
    ],
};

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
