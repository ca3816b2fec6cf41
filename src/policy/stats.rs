//! The statistics of the fairness report: Wilson score intervals for a group's rate, and the
//! chi-square test of whether groups share one rate. Pure functions, no I/O.

use serde::Serialize;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Groups with fewer cases than this get an interval but are neither flagged nor tested: their
/// rates say too little.
pub const MIN_GROUP: u64 = 30;

/// The Wilson score 95% interval of `k` successes in `n` trials, as percentages; (0, 0) when `n` is 0.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let (k, n) = (k.min(n) as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    (
        100.0 * (centre - half).max(0.0),
        100.0 * (centre + half).min(1.0),
    )
}

/// A chi-square test of homogeneity: do the groups share one rate?
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChiSquare {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom: groups tested − 1.
    pub df: u32,
    /// Probability of a statistic at least this large if every group had the same rate.
    pub p_value: f64,
    /// Groups tested (those of at least [`MIN_GROUP`] cases).
    pub groups: u32,
}

/// The 2 × G chi-square test over `(successes, trials)` per group, leaving out groups smaller than
/// [`MIN_GROUP`]. `None` with fewer than two groups left, or when every case or none succeeded.
pub fn chi_square(groups: &[(u64, u64)]) -> Option<ChiSquare> {
    let kept: Vec<(f64, f64)> = groups
        .iter()
        .filter(|(_, n)| *n >= MIN_GROUP)
        .map(|(k, n)| ((*k).min(*n) as f64, *n as f64))
        .collect();
    let (k, n): (f64, f64) = kept.iter().fold((0.0, 0.0), |a, g| (a.0 + g.0, a.1 + g.1));
    if kept.len() < 2 || k <= 0.0 || k >= n {
        return None;
    }
    let p = k / n;
    let statistic = kept
        .iter()
        .map(|(ki, ni)| {
            let (e1, e0) = (ni * p, ni * (1.0 - p));
            (ki - e1).powi(2) / e1 + ((ni - ki) - e0).powi(2) / e0
        })
        .sum::<f64>();
    let df = u32::try_from(kept.len() - 1).unwrap_or(u32::MAX);
    Some(ChiSquare {
        statistic,
        df,
        p_value: upper_gamma_q(f64::from(df) / 2.0, statistic / 2.0),
        groups: df + 1,
    })
}

/// The regularized upper incomplete gamma function Q(a, x) (series below a + 1, continued fraction
/// above), so that the chi-square survival function is Q(df/2, x/2).
fn upper_gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (1.0 - sum * ln_prefix.exp()).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -(f64::from(i)) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (ln_prefix.exp() * h).clamp(0.0, 1.0)
    }
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, nine coefficients).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |s, (i, c)| s + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // 81 of 263: 25.6%–36.7% (Newcombe 1998, example 3 rounded).
        let (lo, hi) = wilson(81, 263);
        assert!(
            (lo - 25.6).abs() < 0.1 && (hi - 36.7).abs() < 0.1,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10);
        assert!(lo == 0.0 && (hi - 27.75).abs() < 0.1, "{lo} {hi}");
        assert_eq!(wilson(0, 0), (0.0, 0.0));
    }

    #[test]
    fn chi_square_p_values_match_the_tables() {
        // Survival function at the 5% critical values: df 1 → 3.841, df 4 → 9.488, df 20 → 31.410.
        for (df, x) in [(1.0, 3.841_459), (4.0, 9.487_729), (20.0, 31.410_433)] {
            let p = upper_gamma_q(df / 2.0, x / 2.0);
            assert!((p - 0.05).abs() < 1e-5, "df {df}: {p}");
        }
        assert!((upper_gamma_q(1.0, 1.0) - (-1.0f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn equal_rates_are_not_significant_different_ones_are() {
        let same = chi_square(&[(10, 100), (20, 200), (30, 300)]).expect("a test");
        assert!(
            same.statistic.abs() < 1e-9 && same.p_value > 0.99,
            "{same:?}"
        );
        assert_eq!((same.df, same.groups), (2, 3));
        let differ = chi_square(&[(164, 1000), (97, 1000)]).expect("a test");
        assert!(differ.p_value < 1e-4, "{differ:?}");
    }

    #[test]
    fn small_groups_are_left_out_of_the_test() {
        assert_eq!(chi_square(&[(5, 29), (10, 100)]), None);
        let t = chi_square(&[(5, 29), (10, 100), (30, 100)]).expect("a test");
        assert_eq!(t.groups, 2);
    }
}
