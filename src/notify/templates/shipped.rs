//! The notice templates compiled into docket: every file of `templates/notices/`, so a
//! deployment works with no template files; `notify.templates_dir` replaces them as a whole.

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        /// The shipped templates: (name relative to `templates/notices/`, source).
        pub const SHIPPED: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../templates/notices/", $name)))),*
        ];
    };
}

shipped![
    "counsel/_frame.j2",
    "counsel/_parts.j2",
    "counsel/accepted.j2",
    "counsel/closed.j2",
    "counsel/declined.j2",
    "counsel/expired.j2",
    "counsel/offer.j2",
    "counsel/recalendared.j2",
    "counsel/reminder.j2",
    "en/_frame.j2",
    "en/_lang.j2",
    "en/_parts.j2",
    "en/accepted.j2",
    "en/closed.j2",
    "en/declined.j2",
    "en/expired.j2",
    "en/offer.j2",
    "en/recalendared.j2",
    "en/reminder.j2",
    "es/_frame.j2",
    "es/_lang.j2",
    "es/_parts.j2",
    "es/accepted.j2",
    "es/closed.j2",
    "es/declined.j2",
    "es/expired.j2",
    "es/offer.j2",
    "es/recalendared.j2",
    "es/reminder.j2",
    "forbidden/ar.txt",
    "forbidden/bn.txt",
    "forbidden/en.txt",
    "forbidden/es.txt",
    "forbidden/fr.txt",
    "forbidden/ht.txt",
    "forbidden/pa.txt",
    "forbidden/pt.txt",
    "forbidden/ru.txt",
    "forbidden/ti.txt",
    "forbidden/vi.txt",
    "forbidden/zh.txt",
    "interpreter/ar.j2",
    "interpreter/bn.j2",
    "interpreter/en.j2",
    "interpreter/es.j2",
    "interpreter/fr.j2",
    "interpreter/ht.j2",
    "interpreter/pa.j2",
    "interpreter/pt.j2",
    "interpreter/ru.j2",
    "interpreter/ti.j2",
    "interpreter/vi.j2",
    "interpreter/zh.j2",
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_of_the_templates_directory_is_shipped() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/notices");
        let on_disk = super::super::engine::read_dir(&root).unwrap();
        let names: Vec<&str> = on_disk.iter().map(|(n, _)| n.as_str()).collect();
        let shipped: Vec<&str> = super::SHIPPED.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, shipped);
    }
}
