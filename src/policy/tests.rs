//! Unit tests of the policy tools: simulation tallies, report sums, the plot, and no PII in output.

use super::report::{self, Count};
use super::simulate::{Input, heading, ndjson_inputs, simulate};
use super::{Dimension, plot, render};
use crate::domain::{Case, Decision};
use crate::rules::{EvalContext, RuleSet};

const MORTON: &str = include_str!("../../config/rules/morton-2011.toml");

fn backlog(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    crate::generate::write_ndjson(&mut out, n, 5).expect("generates");
    out
}

#[test]
fn simulation_equals_case_by_case_evaluation_on_any_number_of_threads() {
    let rules = RuleSet::from_toml(MORTON).expect("loads");
    let ctx = EvalContext::new(rules.effective().from);
    let mut bytes = backlog(3000);
    bytes.extend_from_slice(b"{\"not\": \"a case\"}\n\n");
    let inputs = ndjson_inputs(&bytes);
    let one = simulate(&rules, &ctx, &inputs, false, 1);
    let two = simulate(&rules, &ctx, &inputs, false, 2);
    assert_eq!(one, two);
    assert_eq!((one.cases, one.rejected), (3000, 1));
    let mut expected = [0u64; Decision::ALL.len()];
    for line in bytes.split(|b| *b == b'\n').take(3000) {
        let case = Case::from_json(line).expect("a generated case");
        let d = rules.evaluate(&case, &ctx).decision;
        expected[Decision::ALL.iter().position(|x| *x == d).expect("listed")] += 1;
    }
    let got: Vec<u64> = Decision::ALL.iter().map(|d| one.decisions[d]).collect();
    assert_eq!(got, expected);
    for dim in Dimension::ALL {
        let rates = &one.by[&dim];
        assert_eq!(rates.iter().map(|r| r.cases).sum::<u64>(), 3000, "{dim:?}");
        let offers: u64 = rates.iter().map(|r| r.offers).sum();
        assert_eq!(
            offers,
            one.decisions[&Decision::OfferRecommended],
            "{dim:?}"
        );
    }
}

#[test]
fn the_transition_matrix_counts_changes_with_sample_ids_and_never_prints_names() {
    let rules = RuleSet::from_toml(MORTON).expect("loads");
    let ctx = EvalContext::new(rules.effective().from);
    let bytes = backlog(400);
    let cases: Vec<Case> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| Case::from_json(l).expect("a generated case"))
        .collect();
    // Pretend the run recorded "not_amenable" for everything, and had not reviewed the first case.
    let inputs: Vec<Input<'_>> = ndjson_inputs(&bytes)
        .into_iter()
        .enumerate()
        .map(|(i, input)| Input {
            recorded: (i > 0).then_some(Decision::NotAmenable),
            ..input
        })
        .collect();
    let sim = simulate(&rules, &ctx, &inputs, true, 2);
    let cells = sim.transitions.as_ref().expect("a matrix");
    assert_eq!(cells.iter().map(|c| c.count).sum::<u64>(), 400);
    let unchanged = sim.decisions[&Decision::NotAmenable]
        - u64::from(rules.evaluate(&cases[0], &ctx).decision == Decision::NotAmenable);
    // A case the run did not review counts as changed: the two paths disagree about it.
    assert_eq!(sim.changed(), 400 - unchanged);
    let first = cells
        .iter()
        .find(|c| c.from == "not_reviewed")
        .expect("the first case");
    assert_eq!(
        (first.count, first.samples.clone()),
        (1, vec![cases[0].case_id.as_str().to_string()])
    );
    for c in cells {
        assert!(c.samples.len() <= 3 && !c.samples.is_empty());
        assert!(
            c.samples.windows(2).all(|w| w[0] < w[1]),
            "smallest ids, sorted"
        );
    }
    let mut reversed = inputs.clone();
    reversed.reverse();
    assert_eq!(
        simulate(&rules, &ctx, &reversed, true, 3),
        sim,
        "order does not matter"
    );
    let text = render::text(&sim);
    let json = serde_json::to_string(&sim).expect("serializes");
    for case in &cases {
        for pii in [case.respondent.family_name.as_str(), case.a_number.as_str()] {
            assert!(
                !text.contains(pii) && !json.contains(pii),
                "PII in simulate output"
            );
        }
    }
}

fn counts() -> Vec<Count> {
    let c = |g: &str, d: Option<&str>, s: Option<&str>, n| {
        (
            g.to_string(),
            d.map(str::to_string),
            s.map(str::to_string),
            n,
        )
    };
    vec![
        c("DEN", Some("offer_recommended"), Some("offered"), 5),
        c("DEN", Some("offer_recommended"), Some("closed"), 3),
        c("DEN", Some("offer_recommended"), Some("declined"), 2),
        c("DEN", Some("offer_recommended"), None, 10),
        c("DEN", Some("enforcement_priority"), None, 30),
        c("DEN", None, None, 4),
        c("BAL", Some("not_amenable"), None, 40),
        c("BAL", Some("offer_recommended"), Some("accepted"), 6),
        c("BAL", Some("out_of_scope"), None, 1),
    ]
}

#[test]
fn report_rows_and_decisions_sum_to_the_totals() {
    let rep = report::aggregate("r", Dimension::Court, &counts());
    let sum = |f: fn(&report::Row) -> u64| rep.rows.iter().map(f).sum::<u64>();
    assert_eq!(sum(|r| r.cases), rep.total.cases);
    assert_eq!(sum(|r| r.reviewed), rep.total.reviewed);
    assert_eq!(sum(|r| r.offered), rep.total.offered);
    assert_eq!(sum(|r| r.closed), rep.total.closed);
    for r in rep.rows.iter().chain([&rep.total]) {
        assert_eq!(r.decisions.values().sum::<u64>(), r.reviewed, "{}", r.group);
    }
    let den = rep.rows.iter().find(|r| r.group == "DEN").expect("DEN");
    assert_eq!((den.cases, den.reviewed), (54, 50));
    assert_eq!(
        (den.offered, den.accepted, den.declined, den.closed),
        (10, 3, 2, 3)
    );
    assert!((den.offer_rate - 40.0).abs() < 1e-9);
    assert_eq!(
        (rep.total.cases, rep.total.reviewed, rep.total.offered),
        (101, 97, 16)
    );
    let bal = rep.rows.iter().find(|r| r.group == "BAL").expect("BAL");
    assert_eq!(
        (bal.reviewed, bal.in_scope),
        (47, 46),
        "out of scope is not in the denominator"
    );
    assert!((bal.offer_rate - 600.0 / 46.0).abs() < 1e-9);
    assert!(bal.offer_low < bal.offer_rate && bal.offer_rate < bal.offer_high);
    assert!((rep.total.offer_rate - 2600.0 / 96.0).abs() < 1e-9);
    assert!(den.flagged && bal.flagged, "both intervals exclude 27.1%");
    let test = rep.chi_square.expect("two groups of 30 or more");
    assert_eq!((test.groups, test.df), (2, 1));
    assert!(test.p_value < 0.01, "{test:?}");
    let table = report::table(&rep);
    assert!(table.contains("chi-square across 2 groups"), "{table}");
    assert!(
        table.contains("review"),
        "the discretionary-review column: {table}"
    );
    let csv = report::csv(&rep);
    assert_eq!(csv.lines().count(), 4);
    let widths: Vec<usize> = csv.lines().map(|l| l.split(',').count()).collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{csv}");
    assert!(
        csv.lines()
            .last()
            .expect("totals")
            .starts_with("total,101,97,")
    );
}

#[test]
fn a_report_without_offers_shows_zeros() {
    let only: Vec<Count> = counts().into_iter().filter(|c| c.2.is_none()).collect();
    let rep = report::aggregate("r", Dimension::Court, &only);
    assert_eq!(
        (rep.total.offered, rep.total.accepted, rep.total.closed),
        (0, 0, 0)
    );
    assert_eq!(rep.total.acceptance_rate, 0.0);
    assert!(report::table(&rep).contains("total"));
}

#[test]
fn the_plot_has_one_labelled_bar_per_group_and_axis_labels() {
    let bars = vec![
        ("DEN".to_string(), 16.4),
        ("BAL".to_string(), 9.7),
        ("A&B".to_string(), 0.0),
    ];
    let svg = plot::svg("Offer rate by court", "court", &bars, 12.0);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("fill=\"#3b6ea8\"").count(), 3);
    for text in [
        ">DEN<",
        ">BAL<",
        ">A&amp;B<",
        ">16.4%<",
        "offer rate (% of reviewed cases in scope)",
        ">court<",
    ] {
        assert!(svg.contains(text), "{text}");
    }
}

fn groups(n: usize) -> Vec<plot::Group> {
    (0..n)
        .map(|i| {
            let rate = (i * 37 % 29) as f64;
            plot::Group {
                label: format!("court-{i:02}"),
                rate,
                low: (rate - 1.5).max(0.0),
                high: rate + 1.5,
                n: 1000 + i as u64,
            }
        })
        .collect()
}

/// The number in `attr="…"` of the svg element.
fn svg_attr(svg: &str, attr: &str) -> f64 {
    let at = svg.find(&format!("{attr}=\"")).expect("the attribute") + attr.len() + 2;
    svg[at..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .expect("a number")
}

#[test]
fn the_chart_sorts_by_rate_and_shows_intervals_and_counts_for_3_groups_or_60() {
    for n in [3, 60] {
        let title =
            format!("Offer rate by court · representation — run a-run-with-a-long-name-{n}");
        let svg = plot::chart(&title, "court · representation", &groups(n), 10.0);
        assert_eq!(svg.matches("fill=\"#3b6ea8\"").count(), n);
        assert_eq!(
            svg.matches("stroke=\"#222\"").count(),
            n,
            "an error bar per group"
        );
        // Rows top to bottom by decreasing rate: the labels in the order of their rates.
        let mut by_rate: Vec<plot::Group> = groups(n);
        by_rate.sort_by(|a, b| {
            b.rate
                .total_cmp(&a.rate)
                .then_with(|| a.label.cmp(&b.label))
        });
        let positions: Vec<usize> = by_rate
            .iter()
            .map(|g| svg.find(&format!(">{}<", g.label)).expect("labelled"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "sorted by rate");
        assert!(svg.contains(", n=1000<"), "n shown");
        // Nothing clipped: the canvas is wide enough for the title and tall enough for every row.
        let width = svg_attr(&svg, "width");
        assert!(
            width >= title.chars().count() as f64 * 16.0 * 0.6,
            "{width}"
        );
        let height = svg_attr(&svg, "height");
        assert!(height >= 22.0 * n as f64 + 100.0, "{height}");
    }
}

#[test]
fn a_simulation_outside_the_effective_dates_says_no_run_could_use_that_day() {
    let rules = RuleSet::from_toml(MORTON).expect("loads");
    let day = |s: &str| s.parse::<chrono::NaiveDate>().expect("a date");
    let inside = heading(&rules, day("2012-03-01"), "backlog.ndjson");
    assert!(!inside.contains("note:"), "{inside}");
    let before = heading(&rules, day("2011-01-01"), "backlog.ndjson");
    assert!(
        before.contains("note: 2011-01-01 is outside morton-2011@"),
        "{before}"
    );
    assert!(before.contains("no run may review"), "{before}");
}

#[test]
fn the_relief_dimension_splits_cases_by_a_petition_on_record() {
    let text = include_str!("../../tests/fixtures/case.json");
    let mut case = Case::from_json(text.as_bytes()).expect("the contract example parses");
    assert_eq!(Dimension::Relief.of(&case), "petition");
    case.factors.pending_petition = None;
    assert_eq!(Dimension::Relief.of(&case), "no_petition");
    assert_eq!(Dimension::Relief.as_str(), "relief");
}

#[test]
fn a_two_way_report_splits_each_court_and_tests_within_it() {
    let c = |g: &str, d: &str, n| (g.to_string(), Some(d.to_string()), None, n);
    let counts: Vec<Count> = vec![
        c("DEN · represented", "offer_recommended", 30),
        c("DEN · represented", "not_amenable", 70),
        c("DEN · pro_se", "offer_recommended", 5),
        c("DEN · pro_se", "not_amenable", 95),
        c("DEN · pro_se", "out_of_scope", 40),
        c("BAL · pro_se", "offer_recommended", 1),
    ];
    let rep = report::aggregate_two_way("r", Dimension::Court, Dimension::Representation, &counts);
    assert_eq!(rep.rows.len(), 3);
    assert_eq!(report::grouping(&rep), "court · representation");
    let pro_se = rep
        .rows
        .iter()
        .find(|r| r.group == "DEN · pro_se")
        .expect("row");
    assert_eq!((pro_se.reviewed, pro_se.in_scope), (140, 100));
    assert!((pro_se.offer_rate - 5.0).abs() < 1e-9);
    let within: Vec<&str> = rep.within.iter().map(|w| w.group.as_str()).collect();
    assert_eq!(within, ["BAL", "DEN"]);
    let den = rep.within[1]
        .chi_square
        .expect("two subgroups of 30 or more");
    assert!(den.p_value < 0.001, "{den:?}");
    assert!(
        rep.within[0].chi_square.is_none(),
        "BAL has one small subgroup"
    );
    let table = report::table(&rep);
    assert!(table.contains("DEN · represented"), "{table}");
    assert!(table.contains("within DEN: chi-square"), "{table}");
    assert!(report::csv(&rep).starts_with("court · representation,cases"));
}
