//! The report's charts, drawn as SVG by plotters (the only module that uses it): line charts on a
//! shared time axis, a log-scale histogram of durations, and a trace's waterfall.
//!
//! Why plotters: it renders on our side, so the page holds finished SVG (no script, nothing to
//! fetch, prints as drawn, readable with JavaScript off), and it is a Rust crate with no C and no
//! font files (text is SVG `<text>`, set by the viewer). Each series differs in colour (the
//! Okabe-Ito palette, told apart by colour-blind readers), in dash and in marker, so a chart
//! reads in grey print too.

use plotters::coord::Shift;
use plotters::prelude::*;

/// Chart sizes in SVG pixels (the page scales them to its width).
pub const WIDTH: u32 = 900;
const HEIGHT: u32 = 260;
const SMALL: (u32, u32) = (440, 220);
/// Room right of a line chart's plot for its legend.
const LEGEND: u32 = 220;

/// Okabe-Ito: eight colours colour-blind readers tell apart.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// One line: its legend label and points (x in seconds since the axis starts).
#[derive(Debug, Clone)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// The time axis every time chart of the page shares.
#[derive(Debug, Clone, Copy)]
pub struct TimeAxis {
    pub start_ns: i64,
    pub end_ns: i64,
}

impl TimeAxis {
    pub fn seconds(&self, t_ns: i64) -> f64 {
        (t_ns - self.start_ns) as f64 / 1e9
    }
    fn width_s(&self) -> f64 {
        self.seconds(self.end_ns).max(1e-3)
    }
    /// A tick as clock time, as precise as the axis needs: `10:04:05.123456` under a second,
    /// `10:04:05.123` under a minute, `10:04:05` under a day, `11-27 10:04` under half a year,
    /// `2026-11-27` beyond.
    fn tick(&self, x: f64) -> String {
        let t = self.start_ns + (x * 1e9) as i64;
        let text = crate::parse::time::format_rfc3339(t);
        let text = text.trim_end_matches('Z');
        let (date, clock) = text.split_once('T').unwrap_or(("", text));
        let width = self.width_s();
        if width >= 183.0 * 86_400.0 {
            return date.to_string();
        }
        if width >= 86_400.0 {
            let day = date.get(5..).unwrap_or(date);
            return format!("{day} {}", clock.get(..5).unwrap_or(clock));
        }
        let cut = if width < 1.0 {
            15
        } else if width < 60.0 {
            12
        } else {
            8
        };
        clock.chars().take(cut).collect()
    }
}

type Drawn = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Runs plotters on figures from the input: an error, or a panic of its axis arithmetic on an
/// odd range, is this chart's error, never the command's end.
fn drawn(draw: impl FnOnce() -> Drawn) -> anyhow::Result<()> {
    match crate::guard::library(draw) {
        Some(r) => r.map_err(|e| anyhow::anyhow!("drawing a chart: {e}")),
        None => anyhow::bail!("drawing a chart: the charting library failed on these figures"),
    }
}

/// Series `i`'s look: colour and marker; its dash is [`DASHES`]'s.
fn style(i: usize) -> ShapeStyle {
    PALETTE[i % PALETTE.len()].stroke_width(2)
}

/// Solid, dashed, dotted: series `i` is drawn with the `i % 3`-th.
const DASHES: [&str; 3] = ["", "8 4", "2 3"];

/// Gives each series' lines (and its legend's) its dash. Plotters draws a dashed line as one
/// element per dash, a hundred times the bytes of one polyline with `stroke-dasharray`; the
/// series' colour tells its polylines apart.
fn dashed(svg: String, series: usize) -> String {
    let mut svg = svg;
    for i in 0..series.min(PALETTE.len()) {
        let dash = DASHES[i % DASHES.len()];
        if dash.is_empty() {
            continue;
        }
        let RGBColor(r, g, b) = PALETTE[i];
        let stroke = format!("stroke=\"#{r:02X}{g:02X}{b:02X}\" stroke-width=\"2\" points=");
        svg = svg.replace(&stroke, &stroke.replace(" points=", &format!(" stroke-dasharray=\"{dash}\" points=")));
    }
    svg
}

/// A marker of series `i`'s shape at a point in pixels.
fn marker<DB: DrawingBackend>(i: usize, at: (i32, i32), s: ShapeStyle) -> DynElement<'static, DB, (i32, i32)> {
    match (i / 3 + i) % 4 {
        0 => Circle::new(at, 4, s.filled()).into_dyn(),
        1 => TriangleMarker::new(at, 5, s.filled()).into_dyn(),
        2 => Cross::new(at, 4, s).into_dyn(),
        _ => Rectangle::new([(at.0 - 3, at.1 - 3), (at.0 + 3, at.1 + 3)], s.filled()).into_dyn(),
    }
}

/// Lines over time: one per series, the y axis from zero.
pub fn lines(axis: &TimeAxis, y_label: &str, lines: &[Line]) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        drawn(|| draw_lines(&root, axis, y_label, lines))?;
    }
    Ok(dashed(svg, lines.len()))
}

fn draw_lines(root: &DrawingArea<SVGBackend, Shift>, axis: &TimeAxis, y_label: &str, lines: &[Line]) -> Drawn {
    root.fill(&WHITE)?;
    let top = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    // The legend goes right of the plot, where it hides no line.
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .margin_right(LEGEND)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..axis.width_s(), 0.0..top)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|x| axis.tick(*x))
        .y_label_formatter(&|y| short(*y))
        .x_desc("time (UTC)")
        .y_desc(y_label)
        .max_light_lines(0)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let s = style(i);
        let points: Vec<(f64, f64)> = line.points.iter().copied().filter(|p| p.1.is_finite()).collect();
        chart.draw_series(LineSeries::new(points.clone(), s))?.label(fit(&line.label)).legend(move |(x, y)| {
            EmptyElement::at((x, y)) + PathElement::new(vec![(-30, 0), (-4, 0)], s) + marker(i, (-17, 0), s)
        });
        // A marker every tenth of the line, not at every point: the shape tells lines apart.
        let every = (points.len() / 10).max(1);
        chart.draw_series(points.iter().step_by(every).map(|p| EmptyElement::at(*p) + marker(i, (0, 0), s)))?;
    }
    if !lines.is_empty() {
        // Its glyphs reach 30 px left of where they are placed: clear of the plot's right edge.
        let right = chart.plotting_area().dim_in_pixel().0 as i32 + 42;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::Coordinate(right, 0))
            .label_font(("sans-serif", 12))
            .legend_area_size(34)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// A histogram of durations: bins (lower ms, upper ms, count) on a log-scale axis.
pub fn histogram(bins: &[(f64, f64, u64)]) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SMALL).into_drawing_area();
        drawn(|| draw_histogram(&root, bins))?;
    }
    Ok(svg)
}

fn draw_histogram(root: &DrawingArea<SVGBackend, Shift>, bins: &[(f64, f64, u64)]) -> Drawn {
    root.fill(&WHITE)?;
    // Whole decades, so the log axis has its labelled powers of ten even for one bin.
    let decade = |v: f64, up: bool| 10f64.powf(if up { v.log10().ceil() } else { v.log10().floor() });
    let lo = decade(bins.first().map_or(0.001, |b| b.0), false);
    let hi = decade(bins.last().map_or(1.0, |b| b.1), true).max(lo * 10.0);
    let top = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..top * 1.1)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|x| short(*x))
        .x_desc("duration (ms, log scale)")
        .y_desc("requests")
        .y_label_formatter(&|y| short(*y))
        .max_light_lines(0)
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    let fill = PALETTE[0].mix(0.75).filled();
    chart.draw_series(bins.iter().map(|&(a, b, n)| Rectangle::new([(a, 0.0), (b, n as f64)], fill)))?;
    let edge = BLACK.stroke_width(1);
    chart.draw_series(bins.iter().map(|&(a, b, n)| Rectangle::new([(a, 0.0), (b, n as f64)], edge)))?;
    root.present()?;
    Ok(())
}

/// One span of a waterfall.
#[derive(Debug, Clone)]
pub struct Bar {
    pub depth: usize,
    pub label: String,
    pub offset_ms: f64,
    pub duration_ms: f64,
    pub failed: bool,
}

/// A trace's waterfall: each span a bar to scale, under its parent, labelled on the left.
pub fn waterfall(bars: &[Bar]) -> anyhow::Result<String> {
    const ROW: u32 = 18;
    let height = 40 + ROW * bars.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        drawn(|| draw_waterfall(&root, bars, ROW as i32))?;
    }
    Ok(svg)
}

fn draw_waterfall(root: &DrawingArea<SVGBackend, Shift>, bars: &[Bar], row: i32) -> Drawn {
    root.fill(&WHITE)?;
    let (left, right) = (360, WIDTH as i32 - 90);
    let total = bars.iter().map(|b| b.offset_ms + b.duration_ms).fold(0.0, f64::max).max(1e-6);
    let x = |ms: f64| left + ((ms / total) * f64::from(right - left)).round() as i32;
    let font = ("sans-serif", 12).into_font();
    let small = ("sans-serif", 11).into_font();
    // The scale: 0, a quarter, ..., the trace's length.
    for q in 0..=4 {
        let ms = total * f64::from(q) / 4.0;
        root.draw(&PathElement::new(
            vec![(x(ms), 16), (x(ms), 24 + row * bars.len() as i32)],
            RGBColor(225, 225, 225),
        ))?;
        root.draw(&Text::new(format!("{} ms", short(ms)), (x(ms) - 10, 2), small.clone()))?;
    }
    for (i, b) in bars.iter().enumerate() {
        let y = 22 + row * i as i32;
        // Indented by position: SVG collapses leading spaces.
        let depth = b.depth.min(15);
        let name: String = b.label.chars().take(44 - (2 * depth)).collect();
        let label = format!("{name}{}", if b.failed { " ✗" } else { "" });
        root.draw(&Text::new(label, (6 + 12 * depth as i32, y + 2), font.clone()))?;
        let (a, z) = (x(b.offset_ms), x(b.offset_ms + b.duration_ms).max(x(b.offset_ms) + 2));
        let colour = if b.failed { PALETTE[1] } else { PALETTE[0] };
        root.draw(&Rectangle::new([(a, y + 2), (z, y + row - 3)], colour.filled()))?;
        if b.failed {
            // Failure is also told without colour: a black outline.
            root.draw(&Rectangle::new([(a, y + 2), (z, y + row - 3)], BLACK.stroke_width(2)))?;
        }
        root.draw(&Text::new(format!("{} ms", short(b.duration_ms)), (z + 4, y + 2), small.clone()))?;
    }
    root.present()?;
    Ok(())
}

/// A figure for an axis: `0.25`, `12.5`, `1250`, `25k`, `3.4M`, `2.5e9`, `4e-4`.
pub fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 || (a > 0.0 && a < 1e-3) {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || a == 0.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        // Two significant digits: 0.0015 and 0.0025 stay apart.
        let decimals = (-a.log10()).ceil() as usize + 1;
        let s = format!("{v:.decimals$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A legend's label cut from the middle to fit its room: `/api/v1/cust…/items`.
fn fit(label: &str) -> String {
    const MOST: usize = 26;
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= MOST {
        return label.to_string();
    }
    let head: String = chars[..MOST / 2].iter().collect();
    let tail: String = chars[chars.len() - (MOST / 2 - 1)..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_figures_keep_neighbouring_ticks_apart() {
        let shown: Vec<String> = [0.0, 0.0005, 0.0015, 0.002, 0.0025, 0.25, 12.5, 1250.0, 25_000.0, 3.4e6, 2.5e9]
            .iter()
            .map(|v| short(*v))
            .collect();
        assert_eq!(shown, ["0", "5e-4", "0.0015", "0.002", "0.0025", "0.25", "12.5", "1250", "25k", "3.4M", "2.5e9"]);
    }

    #[test]
    fn ticks_are_as_precise_as_the_axis_needs() {
        let t0 = 1_764_288_000_000_000_000; // 2025-11-28T00:00:00Z
        let axis = |seconds: f64| TimeAxis { start_ns: t0, end_ns: t0 + (seconds * 1e9) as i64 };
        assert_eq!(axis(0.5).tick(0.25), "00:00:00.250000");
        assert_eq!(axis(30.0).tick(1.5), "00:00:01.500");
        assert_eq!(axis(3600.0).tick(90.0), "00:01:30");
        assert_eq!(axis(30.0 * 86_400.0).tick(86_400.0), "11-29 00:00");
        assert_eq!(axis(730.0 * 86_400.0).tick(400.0 * 86_400.0), "2027-01-02");
    }

    #[test]
    fn legend_names_are_cut_from_the_middle() {
        assert_eq!(fit("/api/v1/customers/{customerId}/orders/{orderId}/items"), "/api/v1/custo…derId}/items");
        assert_eq!(fit("/short"), "/short");
    }
}
