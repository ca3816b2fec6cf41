//! A bar chart of offer rates per group as a self-contained SVG: one bar per group, the rate written
//! above it, a labelled y axis in percent with grid lines, and the national (run) rate as a dashed
//! line. No fonts or scripts are loaded; any browser or `rsvg-convert`/`convert` renders it.

use std::fmt::Write as _;

/// One bar: label and percentage (0–100).
pub type Bar = (String, f64);

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws `bars` with `title`, the x-axis label `x_label`, and a dashed reference line at `overall`.
pub fn svg(title: &str, x_label: &str, bars: &[Bar], overall: f64) -> String {
    let (left, right, top, bottom) = (70.0, 20.0, 50.0, 70.0);
    let slot = 48.0_f64;
    let width = left + right + slot * bars.len().max(1) as f64;
    let height = 420.0;
    let plot_h = height - top - bottom;
    let max = bars.iter().map(|b| b.1).fold(overall, f64::max);
    let step = nice_step(max);
    let top_value = (max / step).ceil().max(1.0) * step;
    let y = |v: f64| top + plot_h * (1.0 - v / top_value);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="16" font-weight="bold">{}</text>"#,
        width / 2.0,
        esc(title)
    );
    let mut v = 0.0;
    while v <= top_value + 1e-9 {
        let yy = y(v);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v:.0}%</text>"##,
            width - right,
            left - 6.0,
            yy + 4.0
        );
        v += step;
    }
    for (i, (label, rate)) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + 8.0;
        let (bar_w, yy) = (slot - 16.0, y(*rate));
        let _ = writeln!(
            s,
            r##"<rect x="{x:.1}" y="{yy:.1}" width="{bar_w:.1}" height="{:.1}" fill="#3b6ea8"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{rate:.1}</text><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            top + plot_h - yy,
            x + bar_w / 2.0,
            yy - 4.0,
            x + bar_w / 2.0,
            top + plot_h + 16.0,
            esc(label)
        );
    }
    let yo = y(overall);
    let _ = writeln!(
        s,
        r##"<line x1="{left}" y1="{yo:.1}" x2="{:.1}" y2="{yo:.1}" stroke="#c0392b" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#c0392b">dashed line: all cases, {overall:.1}%</text>"##,
        width - right,
        width - right,
        top - 10.0
    );
    let _ = writeln!(
        s,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{:.1}" stroke="black"/><line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black"/>"##,
        top + plot_h,
        top + plot_h,
        width - right,
        top + plot_h
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        left + (width - left - right) / 2.0,
        height - 24.0,
        esc(x_label)
    );
    let _ = writeln!(
        s,
        r#"<text x="18" y="{:.1}" text-anchor="middle" transform="rotate(-90 18 {:.1})">offer rate (% of reviewed cases)</text>"#,
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    s.push_str("</svg>\n");
    s
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
