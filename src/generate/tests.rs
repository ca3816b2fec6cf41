use std::collections::{BTreeMap, HashSet};

use super::*;
use crate::domain::{Custody, Date, OffenseLevel};

fn ndjson(count: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let written = write_ndjson(&mut out, count, seed).unwrap();
    assert_eq!(written, count);
    out
}

fn share(cases: &[Case], pred: impl Fn(&Case) -> bool) -> f64 {
    cases.iter().filter(|c| pred(c)).count() as f64 / cases.len() as f64
}

#[test]
fn the_same_seed_gives_byte_identical_ndjson() {
    assert_eq!(ndjson(500, 7), ndjson(500, 7));
}

#[test]
fn a_different_seed_gives_different_cases() {
    assert_ne!(ndjson(50, 7), ndjson(50, 8));
}

#[test]
fn a_case_does_not_depend_on_the_cases_before_it() {
    let all: Vec<Case> = cases(300, 11).collect();
    assert_eq!(case(11, 299), all[299]);
    assert_eq!(case(11, 0), all[0]);
}

#[test]
fn pieces_made_on_several_threads_are_written_in_index_order() {
    // Past two pieces, so that a round has several threads on a two-core machine and the last
    // piece is short.
    let count = 2 * PIECE as usize + 37;
    let out = ndjson(count, 13);
    let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
    assert_eq!(
        lines.len(),
        count + 1,
        "one line per case and nothing after the last newline"
    );
    for index in [0, PIECE - 1, PIECE, 2 * PIECE, count as u64 - 1] {
        assert_eq!(
            lines[index as usize],
            case(13, index).to_json().as_bytes(),
            "line {index} is case {index}"
        );
    }
}

#[test]
fn ndjson_has_one_case_per_line() {
    let out = String::from_utf8(ndjson(100, 3)).unwrap();
    assert!(out.ends_with('\n'));
    assert_eq!(out.lines().count(), 100);
}

#[test]
fn every_generated_case_passes_the_strict_parser_and_round_trips() {
    for case in cases(5_000, 42) {
        let json = case.to_json();
        let parsed = Case::from_json(json.as_bytes())
            .unwrap_or_else(|e| panic!("{} rejected: {e}", case.case_id));
        assert_eq!(parsed, case);
    }
}

#[test]
fn case_ids_and_a_numbers_are_unique() {
    let all: Vec<Case> = cases(20_000, 5).collect();
    let ids: HashSet<&str> = all.iter().map(|c| c.case_id.as_str()).collect();
    let a_numbers: HashSet<&str> = all.iter().map(|c| c.a_number.as_str()).collect();
    assert_eq!(ids.len(), all.len());
    assert_eq!(a_numbers.len(), all.len());
}

#[test]
fn case_ids_name_the_court_and_the_filing_year() {
    for case in cases(200, 9) {
        let id = case.case_id.as_str();
        let year = case.filed_on.to_string()[..4].to_string();
        assert!(
            id.starts_with(&format!("{}-{year}-", case.court.as_str())),
            "{id}"
        );
    }
}

#[test]
fn a_number_permutation_is_a_bijection_on_a_sample() {
    let seen: HashSet<u64> = (0..200_000).map(|i| a_number_digits(1, i)).collect();
    assert_eq!(seen.len(), 200_000);
    assert!(seen.iter().all(|&x| x < 1_000_000_000));
}

#[test]
fn dates_respect_the_review_date() {
    let start = Date::from_naive(REVIEW_START);
    let hearing_from = Date::parse("2011-12-01").unwrap();
    let hearing_to = Date::parse("2014-01-01").unwrap();
    for case in cases(5_000, 13) {
        let born = case.respondent.birth_date.naive();
        let age = REVIEW_START.years_since(born).unwrap();
        assert!((16..=80).contains(&age), "age {age}");
        assert!(case.filed_on < start);
        assert!(
            case.entry_date
                .is_none_or(|e| e < start && e <= case.filed_on)
        );
        assert!(case.factors.lpr_since.is_none_or(|l| l < start));
        for c in &case.convictions {
            assert!(c.convicted_on < start);
            assert!(REVIEW_START.years_since(born).unwrap() >= 18);
            assert!(c.convicted_on.naive().years_since(born).unwrap() >= 18);
        }
        assert!(
            case.next_hearing
                .is_none_or(|h| h >= hearing_from && h < hearing_to)
        );
    }
}

#[test]
fn shares_are_plausible_for_a_2011_backlog() {
    let all: Vec<Case> = cases(20_000, 2011).collect();
    let unrepresented = share(&all, |c| c.counsel.is_none());
    let spanish = share(&all, |c| c.respondent.language.as_str() == "es");
    let mexican = share(&all, |c| c.respondent.nationality.as_str() == "MX");
    let detained = share(&all, |c| c.custody == Custody::Detained);
    let clean = share(&all, |c| c.convictions.is_empty());
    let asylum = share(&all, |c| c.confidential.asylum_claim);
    let aggravated = share(&all, |c| {
        c.convictions
            .iter()
            .any(|x| x.level == OffenseLevel::AggravatedFelony)
    });
    assert!(
        (0.40..=0.60).contains(&unrepresented),
        "unrepresented {unrepresented}"
    );
    assert!(spanish > 0.5 && spanish < 0.8, "spanish {spanish}");
    assert!((0.30..=0.45).contains(&mexican), "mexican {mexican}");
    assert!((0.01..=0.08).contains(&detained), "detained {detained}");
    assert!(clean > 0.70, "no convictions {clean}");
    assert!((0.12..=0.25).contains(&asylum), "asylum {asylum}");
    assert!(aggravated < 0.02, "aggravated felony {aggravated}");
}

#[test]
fn counsel_come_from_a_pool_so_attorneys_have_many_clients() {
    let mut clients: BTreeMap<String, usize> = BTreeMap::new();
    for case in cases(5_000, 21) {
        if let Some(counsel) = case.counsel {
            *clients
                .entry(counsel.eoir_id.as_str().to_string())
                .or_default() += 1;
        }
    }
    let busiest = clients.values().max().copied().unwrap_or(0);
    assert!(busiest >= 3, "busiest attorney has {busiest} clients");
}

#[test]
fn emails_use_reserved_example_domains_only() {
    for case in cases(5_000, 17) {
        let emails = case
            .respondent
            .email
            .iter()
            .chain(case.counsel.iter().flat_map(|c| c.email.iter()));
        for email in emails {
            let domain = email.as_str().rsplit('@').next().unwrap();
            assert!(
                ["example.org", "example.com", "example.net"].contains(&domain),
                "{domain}"
            );
            assert!(email.as_str().is_ascii());
        }
    }
}

/// Prints the distribution of a large sample: `cargo test --release -- --ignored --nocapture report`.
#[test]
#[ignore = "a report for calibration, not a check"]
fn report_the_distribution() {
    let all: Vec<Case> = cases(100_000, 2011).collect();
    let by = |name: &str, key: &dyn Fn(&Case) -> String| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for c in &all {
            *counts.entry(key(c)).or_default() += 1;
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let line: Vec<String> = counts
            .iter()
            .take(14)
            .map(|(k, n)| format!("{k} {:.1}%", 100.0 * *n as f64 / all.len() as f64))
            .collect();
        println!("{name}: {}", line.join(", "));
    };
    by("court", &|c| c.court.as_str().into());
    by("nationality", &|c| c.respondent.nationality.as_str().into());
    by("language", &|c| c.respondent.language.as_str().into());
    by("case_type", &|c| c.case_type.code().into());
    by("custody", &|c| c.custody.code().into());
    by("final_order", &|c| c.final_order.to_string());
    by("convictions", &|c| c.convictions.len().to_string());
    by("counsel", &|c| c.counsel.is_some().to_string());
    by("email", &|c| c.respondent.email.is_some().to_string());
    by("entry", &|c| {
        c.entry_date
            .map_or("none".into(), |d| d.to_string()[..3].to_string())
    });
    by("entered in the last 3 years", &|c| {
        c.entry_date
            .is_some_and(|e| e.naive() > REVIEW_START - chrono::Months::new(36))
            .to_string()
    });
    by("filed", &|c| c.filed_on.to_string()[..4].to_string());
    by("under16", &|c| c.factors.arrived_under_16.to_string());
    by("school", &|c| c.factors.in_school_or_graduate.to_string());
    by("relatives", &|c| c.factors.usc_or_lpr_relatives.to_string());
    by("ties", &|c| c.factors.community_ties.to_string());
    by("lpr", &|c| c.factors.lpr_since.is_some().to_string());
    by("petition", &|c| {
        c.factors
            .pending_petition
            .as_ref()
            .map_or("none".into(), |p| {
                format!("{:?}/{}", p.status, p.relief_immediately_available)
            })
    });
    by("asylum", &|c| c.confidential.asylum_claim.to_string());
    by("vawa", &|c| c.confidential.vawa_t_u.to_string());
    by("prior_removal", &|c| c.flags.prior_removal.to_string());
    by("gang", &|c| c.flags.gang.to_string());
    by("fugitive", &|c| c.flags.fugitive.to_string());
}

/// Times 300,000 cases written to a file: `cargo test --release -- --ignored --nocapture speed`.
#[test]
#[ignore = "a timing, not a check"]
fn report_generation_speed() {
    let file = tempfile::tempfile().unwrap();
    let started = std::time::Instant::now();
    let written = write_ndjson(&file, 300_000, 2011).unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let bytes = file.metadata().unwrap().len();
    println!(
        "{written} cases, {:.1} MB in {elapsed:.2} s: {:.0} cases/s",
        bytes as f64 / 1e6,
        written as f64 / elapsed
    );
}
