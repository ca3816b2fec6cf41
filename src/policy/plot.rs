//! A chart of offer rates per group as a self-contained SVG: one horizontal bar per group, sorted
//! by rate, each with its Wilson 95% interval as an error bar and its rate and number of cases
//! written beside it, a labelled axis in percent with grid lines, and the overall rate as a dashed
//! line. Rows are stacked, so 3 groups or 60 read the same; the canvas widens for long labels and
//! titles, so nothing is clipped. No fonts or scripts are loaded; any browser or
//! `rsvg-convert`/`convert` renders it.

use std::fmt::Write as _;

/// One bar: label and percentage (0–100).
pub type Bar = (String, f64);

/// One group of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Group name (court code, `DEN · pro_se`, …).
    pub label: String,
    /// Rate in percent.
    pub rate: f64,
    /// Low end of its 95% interval, in percent.
    pub low: f64,
    /// High end of its 95% interval, in percent.
    pub high: f64,
    /// Cases the rate is over (0: not known, not shown).
    pub n: u64,
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws `bars` (no intervals, no counts) with `title`, the group-axis label `x_label`, and a
/// dashed reference line at `overall`. See [`chart`].
pub fn svg(title: &str, x_label: &str, bars: &[Bar], overall: f64) -> String {
    let groups: Vec<Group> = bars
        .iter()
        .map(|(label, rate)| Group {
            label: label.clone(),
            rate: *rate,
            low: *rate,
            high: *rate,
            n: 0,
        })
        .collect();
    chart(title, x_label, &groups, overall)
}

/// Width in pixels of `text` at 12 px sans-serif, generously (a wide glyph is about 0.62 em).
fn text_width(text: &str, px: f64) -> f64 {
    text.chars().count() as f64 * px * 0.62
}

/// Draws `groups` sorted by decreasing rate with `title`, the group-axis label `group_label`, and
/// a dashed reference line at `overall`.
pub fn chart(title: &str, group_label: &str, groups: &[Group], overall: f64) -> String {
    let mut rows: Vec<&Group> = groups.iter().collect();
    rows.sort_by(|a, b| {
        b.rate
            .total_cmp(&a.rate)
            .then_with(|| a.label.cmp(&b.label))
    });
    let (row_h, plot_w, note_w) = (22.0, 420.0, 210.0);
    let labels_w = rows
        .iter()
        .map(|g| text_width(&g.label, 12.0))
        .chain([text_width(group_label, 12.0)])
        .fold(40.0, f64::max);
    let left = labels_w + 20.0;
    let (top, bottom) = (72.0, 56.0);
    let width = (left + plot_w + note_w).max(text_width(title, 16.0) + 40.0);
    let plot_h = row_h * rows.len().max(1) as f64;
    let height = top + plot_h + bottom;
    let max = rows
        .iter()
        .map(|g| g.high.max(g.rate))
        .fold(overall, f64::max);
    let step = nice_step(max);
    let top_value = (max / step).ceil().max(1.0) * step;
    let x = |v: f64| left + plot_w * v / top_value;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="20" y="26" font-size="16" font-weight="bold">{}</text>"#,
        esc(title)
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-weight="bold">{}</text><text x="{:.1}" y="{:.1}" font-weight="bold">rate, 95% interval, n</text>"#,
        left - 8.0,
        top - 8.0,
        esc(group_label),
        left + plot_w + 8.0,
        top - 8.0
    );
    grid(&mut s, (left, top, plot_h), step, top_value, &x);
    for (i, g) in rows.iter().enumerate() {
        let columns = (left, row_h, left + plot_w + 8.0);
        bar(&mut s, g, top + row_h * i as f64, columns, &x);
    }
    let xo = x(overall);
    let _ = writeln!(
        s,
        r##"<line x1="{xo:.1}" y1="{:.1}" x2="{xo:.1}" y2="{:.1}" stroke="#c0392b" stroke-dasharray="6 4"/><text x="20" y="48" fill="#c0392b">dashed line: all cases, {overall:.1}%</text>"##,
        top - 4.0,
        top + plot_h
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">offer rate (% of reviewed cases in scope); whiskers: Wilson 95% interval</text>"#,
        left + plot_w / 2.0,
        height - 14.0
    );
    s.push_str("</svg>\n");
    s
}

/// Vertical grid lines with their percentages below the plot, and the axes.
fn grid(
    s: &mut String,
    (left, top, plot_h): (f64, f64, f64),
    step: f64,
    max: f64,
    x: &dyn Fn(f64) -> f64,
) {
    let bottom = top + plot_h;
    let mut v = 0.0;
    while v <= max + 1e-9 {
        let xx = x(v);
        let _ = writeln!(
            s,
            r##"<line x1="{xx:.1}" y1="{top:.1}" x2="{xx:.1}" y2="{bottom:.1}" stroke="#ddd"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{v:.0}%</text>"##,
            bottom + 16.0
        );
        v += step;
    }
    let _ = writeln!(
        s,
        r##"<line x1="{left:.1}" y1="{top:.1}" x2="{left:.1}" y2="{bottom:.1}" stroke="black"/><line x1="{left:.1}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="black"/>"##,
        x(max)
    );
}

/// One row: label, bar, error bar, and the figures in the column at `figures`.
fn bar(
    s: &mut String,
    g: &Group,
    y: f64,
    (left, row_h, figures): (f64, f64, f64),
    x: &dyn Fn(f64) -> f64,
) {
    let (bar_h, mid) = (row_h - 8.0, y + row_h / 2.0);
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{left:.1}" y="{:.1}" width="{:.1}" height="{bar_h:.1}" fill="#3b6ea8"/>"##,
        left - 8.0,
        mid + 4.0,
        esc(&g.label),
        y + 4.0,
        (x(g.rate) - left).max(0.0)
    );
    if g.high > g.low {
        let (lo, hi) = (x(g.low), x(g.high));
        let _ = writeln!(
            s,
            r##"<path d="M{lo:.1} {mid:.1}H{hi:.1}M{lo:.1} {:.1}V{:.1}M{hi:.1} {:.1}V{:.1}" stroke="#222" fill="none"/>"##,
            mid - 4.0,
            mid + 4.0,
            mid - 4.0,
            mid + 4.0
        );
    }
    let interval = if g.high > g.low {
        format!(" ({:.1}–{:.1})", g.low, g.high)
    } else {
        String::new()
    };
    let n = if g.n > 0 {
        format!(", n={}", g.n)
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        r#"<text x="{figures:.1}" y="{:.1}" font-size="11">{:.1}%{interval}{n}</text>"#,
        mid + 4.0,
        g.rate
    );
}

/// A round grid step giving about five lines up to `max`.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(0.5);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}
