//! `otelgrep metrics`: what the metrics exports said, turned into numbers people read.
//!
//! Without a name: one row per metric (kind, unit, series, temporality, time range). With a name:
//! per series and export, counters as deltas and rates (cumulative exports are differenced; a drop
//! or a new start time is a reset, never a negative delta), gauges as values,
//! histograms as count, sum, mean and percentiles estimated from the buckets (linear within a
//! bucket, as Prometheus' `histogram_quantile`). `--compare-spans` sets those estimates beside the
//! exact percentiles of the spans of the same routes. Pure arithmetic over points; no polars
//! except through `frame::latency` for the exact span percentiles.
//!
//! A series is what the data model says it is: the resource (every attribute, not only
//! `service.name`), the scope, the metric and the point's attributes. Two workers of one service
//! (told apart by `service.instance.id`) are two series, each differenced on its own; the table
//! gives a column to each resource attribute that tells this metric's series apart.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;

mod series;

use series::{Num, regroup, steps};

/// What a table shows: its columns, rows and last line, and how many points it counted once as
/// repeats (see [`steps`]).
type Shown = (Vec<String>, Vec<Vec<Cell>>, String, usize);
pub use series::{SeriesLine, over_time, series_id, series_label};

use crate::cli::MetricsArgs;
use crate::cmd::{is_entry, print_rows, round_ps};
use crate::filter::{Filter, parse_every};
use crate::frame::{self, Durations, LatencyQuery};
use crate::histogram::Hist;
use crate::keys::route;
use crate::model::{LogRecord, MetricKind, MetricPoint, Span, Temporality, Value, attr};
use crate::parse::time::{format_rfc3339, format_rfc3339_whole};
use crate::parse::{Needs, Sink};
use crate::render::Cell;

/// Percentiles estimated from histogram buckets.
const ESTIMATED: [f64; 3] = [50.0, 90.0, 99.0];

/// What every worker's sink needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub name: Option<String>,
    pub filter: Filter,
    pub every_ns: Option<i64>,
    pub compare: bool,
}

impl Config {
    /// The configuration and the files: the first argument is a metric name unless it is a file.
    pub fn new(args: &MetricsArgs, filter: Filter) -> anyhow::Result<(Config, Vec<String>)> {
        let first = &args.args[0];
        let is_input = |a: &str| a == "-" || std::path::Path::new(a).exists();
        let (name, files) = if args.args.len() > 1 && !is_input(first) {
            (Some(first.clone()), args.args[1..].to_vec())
        } else {
            (None, args.args.clone())
        };
        if args.compare_spans && name.is_none() {
            anyhow::bail!(
                "--compare-spans needs a histogram NAME (http.server.duration, http.server.request.duration)"
            );
        }
        let every_ns = args.every.as_deref().map(parse_every).transpose()?;
        let config = Config { name, filter, every_ns, compare: args.compare_spans };
        Ok((config, files))
    }

    /// Whether a point's series passes `--service` and `--where`. Time is tested later for a
    /// named metric: a cumulative export before `--since` is still needed to difference the first
    /// one after it.
    pub(crate) fn keeps(&self, p: &MetricPoint) -> bool {
        let f = &self.filter;
        (self.name.is_some() || f.in_time(p.time_ns))
            && (f.services.is_empty() || p.resource.service_name().is_some_and(|n| f.services.iter().any(|s| s == n)))
            && (f.wheres.is_empty() || {
                let span = as_span(p);
                f.wheres.iter().all(|w| w.matches_point(&p.attributes, &span))
            })
    }
}

/// A point seen as a span for `--where`: its attributes, resource and name, so the keys and their
/// aliases (`route`, `status`, `method`) resolve on it exactly as on spans.
fn as_span(p: &MetricPoint) -> Span {
    Span {
        trace_id: 0,
        span_id: 0,
        parent_span_id: None,
        trace_state: None,
        name: p.name.clone(),
        kind: crate::model::SpanKind::Unspecified,
        start_ns: p.start_ns.unwrap_or(p.time_ns),
        end_ns: p.time_ns,
        status: crate::model::StatusCode::Unset,
        status_message: None,
        attributes: p.attributes.clone(),
        events: Vec::new(),
        links: Vec::new(),
        resource: p.resource.clone(),
        scope: p.scope.clone(),
    }
}

/// One metric, as the listing shows it.
#[derive(Debug, Clone)]
pub struct Info {
    /// The kind and unit of its earliest point (a metric whose services or runs disagree shows
    /// one, the same whatever order the points were read in: an export's rows are not in the
    /// capture's order).
    pub kind: MetricKind,
    pub unit: String,
    earliest_ns: i64,
    /// Every temporality its points had (a capture may hold a delta and a cumulative run).
    pub temporalities: BTreeSet<&'static str>,
    pub series: BTreeSet<String>,
    pub points: u64,
    /// The time of its first and last point: what `--since`/`--until` look at (a cumulative
    /// point's start time, often the process's start hours before the capture, was once taken
    /// for its first).
    pub first_ns: i64,
    pub last_ns: i64,
}

impl Info {
    /// What decides which point's kind and unit are shown: the earliest, then by unit and kind.
    fn earliest(&self) -> (i64, &str, &'static str) {
        (self.earliest_ns, &self.unit, kind_name(self.kind))
    }
}

/// A span's duration and the route `--compare-spans` groups by.
#[derive(Debug, Clone)]
pub struct SpanTime {
    pub route: Option<String>,
    pub duration_ns: i64,
    pub start_ns: i64,
}

/// The sink.
#[derive(Debug, Clone)]
pub struct Points {
    config: Config,
    pub metrics: BTreeMap<String, Info>,
    pub points: Vec<MetricPoint>,
    pub spans: Vec<SpanTime>,
    /// Every metric name seen (before any filter), to say which exist when NAME does not.
    pub names: BTreeMap<String, MetricKind>,
    /// Points left out because their values cannot be right: (metric, why) → how many.
    pub unreadable: BTreeMap<(String, String), usize>,
}

impl Sink for Points {
    type Config = Config;
    const NEEDS: Needs = Needs { attributes: true, metrics: true, ..Needs::BARE };

    fn window(config: &Config) -> (Option<i64>, Option<i64>) {
        (config.filter.since, config.filter.until)
    }

    fn new(config: &Config) -> Self {
        Points {
            config: config.clone(),
            metrics: BTreeMap::new(),
            points: Vec::new(),
            spans: Vec::new(),
            names: BTreeMap::new(),
            unreadable: BTreeMap::new(),
        }
    }

    fn span(&mut self, s: Span) {
        // Spans without a duration (no times, or ending before they start) compare with nothing.
        if let Some(duration_ns) = s.duration_ns().filter(|_| self.config.compare && is_entry(&s)) {
            if self.config.filter.span(&s) {
                self.spans.push(SpanTime { route: route(&s), duration_ns, start_ns: s.start_ns });
            }
        }
    }

    fn log(&mut self, _: LogRecord) {}

    fn point(&mut self, p: MetricPoint) {
        if self.config.name.is_some() && !self.names.contains_key(&p.name) {
            self.names.insert(p.name.clone(), p.kind);
        }
        if !self.config.keeps(&p) {
            return;
        }
        if let Some(why) = crate::histogram::unreadable(p.kind, &p.value) {
            *self.unreadable.entry((p.name.clone(), why)).or_default() += 1;
            return;
        }
        match &self.config.name {
            Some(n) if *n == p.name => self.points.push(p),
            Some(_) => {}
            None => {
                let key = series_id(&p);
                let info = self.metrics.entry(p.name.clone()).or_insert_with(|| Info {
                    kind: p.kind,
                    unit: p.unit.clone(),
                    earliest_ns: p.time_ns,
                    temporalities: BTreeSet::new(),
                    series: BTreeSet::new(),
                    points: 0,
                    first_ns: p.time_ns,
                    last_ns: p.time_ns,
                });
                if (p.time_ns, p.unit.as_str(), kind_name(p.kind)) < info.earliest() {
                    (info.kind, info.unit, info.earliest_ns) = (p.kind, p.unit.clone(), p.time_ns);
                }
                info.series.insert(key);
                info.temporalities.insert(temporality_name(p.temporality));
                info.points += 1;
                info.first_ns = info.first_ns.min(p.time_ns);
                info.last_ns = info.last_ns.max(p.time_ns);
            }
        }
    }

    fn merge(&mut self, later: Self) {
        for (k, n) in later.unreadable {
            *self.unreadable.entry(k).or_default() += n;
        }
        for (name, info) in later.metrics {
            match self.metrics.get_mut(&name) {
                None => {
                    self.metrics.insert(name, info);
                }
                Some(mine) => {
                    if info.earliest() < mine.earliest() {
                        (mine.kind, mine.unit, mine.earliest_ns) = (info.kind, info.unit, info.earliest_ns);
                    }
                    mine.series.extend(info.series);
                    mine.temporalities.extend(info.temporalities);
                    mine.points += info.points;
                    mine.first_ns = mine.first_ns.min(info.first_ns);
                    mine.last_ns = mine.last_ns.max(info.last_ns);
                }
            }
        }
        self.points.extend(later.points);
        self.spans.extend(later.spans);
        self.names.extend(later.names);
    }
}

fn kind_name(k: MetricKind) -> &'static str {
    match k {
        MetricKind::Gauge => "gauge",
        MetricKind::Counter => "counter",
        MetricKind::UpDownCounter => "updowncounter",
        MetricKind::Histogram => "histogram",
        MetricKind::ExponentialHistogram => "exponential_histogram",
        MetricKind::Summary => "summary",
    }
}

fn temporality_name(t: Option<Temporality>) -> &'static str {
    match t {
        Some(Temporality::Cumulative) => "cumulative",
        Some(Temporality::Delta) => "delta",
        None => "",
    }
}

/// Milliseconds per unit of a duration histogram.
fn unit_ms(unit: &str) -> Option<f64> {
    match unit {
        "ms" => Some(1.0),
        "s" => Some(1000.0),
        "us" | "µs" => Some(0.001),
        "ns" => Some(1e-6),
        _ => None,
    }
}

/// Prints the listing, a metric's steps, or the comparison with spans, from every input's report
/// and points.
pub fn run(
    args: &MetricsArgs,
    config: &Config,
    inputs: Vec<(String, crate::parse::Report, Points)>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    // Records that could not be read may have held the metric asked for: a name no point was
    // read of is then not said to be missing from the input.
    let mut inputs = inputs;
    let skipped: Vec<_> = inputs.iter_mut().flat_map(|(_, r, _)| std::mem::take(&mut r.errors)).collect();
    let all = crate::cmd::merged(inputs);
    if let Some(name) = config.name.as_deref().filter(|n| !all.names.contains_key(*n)) {
        let skipped: Vec<String> = skipped.iter().map(ToString::to_string).collect();
        anyhow::bail!("{}", unknown(name, &all.names, &skipped));
    }
    for ((metric, why), n) in &all.unreadable {
        let s = if *n == 1 { "" } else { "s" };
        writeln!(err, "otelgrep: note: {n} point{s} of {metric} left out: {why}")?;
    }
    let (columns, rows, footer, repeated): Shown = match &config.name {
        None => listing(&all.metrics),
        Some(name) if config.compare => compare(name, &all.points, &all.spans, &config.filter)?,
        Some(name) => values(name, all.names.get(name).copied(), &all.points, config.every_ns, &config.filter),
    };
    if let (Some(name), n @ 1..) = (&config.name, repeated) {
        let (s, were) = if n == 1 { ("", "was") } else { ("s", "were") };
        writeln!(
            err,
            "otelgrep: note: {n} point{s} of {name} {were} read twice (the same export in two inputs, or printed twice) and counted once"
        )?;
    }
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    print_rows(&columns, rows, &args.table, out, |_, _| footer)
}

/// `no metric named X in the input; there are: ...`, the names that share a word with X first;
/// or, when records naming X (or any records) could not be read, that none of X was read.
fn unknown(name: &str, names: &BTreeMap<String, MetricKind>, skipped: &[String]) -> String {
    let quoted = format!("\"{name}\"");
    let naming = skipped.iter().filter(|e| e.contains(&quoted)).count();
    if naming > 0 {
        let s = if naming == 1 { "" } else { "s" };
        return format!("no point of {name} could be read: {naming} record{s} naming it could not be read (above)");
    }
    let words: Vec<&str> = name.split(['.', '_', '-']).filter(|w| w.len() > 2).collect();
    let similar = |n: &str| words.iter().any(|w| n.contains(w));
    if !skipped.is_empty() {
        let n = skipped.len();
        let s = if n == 1 { "" } else { "s" };
        let them = if n == 1 { "it" } else { "they" };
        // The names the skipped records give (quoted in their messages, `("req.latency")`) that
        // are like NAME: a typo is said as one even when every record of the metric was skipped.
        let named: BTreeSet<&str> = skipped
            .iter()
            .flat_map(|e| e.split('"').skip(1).step_by(2))
            .filter(|q| similar(q) && !names.contains_key(*q))
            .collect();
        let close: Vec<&str> = names.keys().map(String::as_str).filter(|n| similar(n)).collect();
        let mut known = String::new();
        if !close.is_empty() {
            known += &format!("; similar ones read: {}", close.iter().take(12).copied().collect::<Vec<_>>().join(", "));
        }
        if !named.is_empty() {
            let list = named.iter().take(12).copied().collect::<Vec<_>>().join(", ");
            known += &format!("; similar ones the skipped records name: {list}");
        }
        if known.is_empty() && !names.is_empty() {
            known = format!("; read: {}", names.keys().take(12).map(String::as_str).collect::<Vec<_>>().join(", "));
        }
        return format!(
            "no metric named {name} was read; {n} record{s} could not be read (above), and {them} may hold it{known}"
        );
    }
    if names.is_empty() {
        return format!("no metric named {name}: the input holds no metrics");
    }
    let close: Vec<&String> = names.keys().filter(|n| similar(n)).collect();
    let list: Vec<&String> = if close.is_empty() { names.keys().collect() } else { close };
    let shown: Vec<&str> = list.iter().take(12).map(|s| s.as_str()).collect();
    let more = if list.len() > shown.len() { format!(" and {} more", list.len() - shown.len()) } else { String::new() };
    format!(
        "no metric named {name} in the input; {}: {}{more} (`otelgrep metrics FILE` lists every one)",
        if list.len() == names.len() { "there are" } else { "similar ones" },
        shown.join(", ")
    )
}

fn listing(metrics: &BTreeMap<String, Info>) -> Shown {
    let columns =
        ["metric", "kind", "unit", "temporality", "series", "points", "first", "last"].map(String::from).to_vec();
    let rows = metrics
        .iter()
        .map(|(name, i)| {
            vec![
                Cell::Str(name.clone()),
                Cell::Str(kind_name(i.kind).into()),
                Cell::Str(i.unit.clone()),
                Cell::Str(i.temporalities.iter().filter(|t| !t.is_empty()).copied().collect::<Vec<_>>().join(", ")),
                Cell::Int(i.series.len() as i64),
                Cell::Int(i.points as i64),
                Cell::Str(format_rfc3339(i.first_ns)),
                Cell::Str(format_rfc3339(i.last_ns)),
            ]
        })
        .collect();
    let footer = format!("{} metric{}", metrics.len(), if metrics.len() == 1 { "" } else { "s" });
    (columns, rows, footer, 0)
}

fn values(
    name: &str,
    // Its kind, from any point of it (its table's columns even when every point is filtered out).
    kind: Option<MetricKind>,
    points: &[MetricPoint],
    every: Option<i64>,
    filter: &Filter,
) -> Shown {
    let kind = points.first().map(|p| p.kind).or(kind);
    let unit = points.first().map(|p| p.unit.clone()).unwrap_or_default();
    // `; unit ms`, or nothing when the metric has no unit.
    let unit = if unit.is_empty() { String::new() } else { format!("; unit {unit}") };
    let (resource_columns, series, mut steps, repeated) = steps(points, |_| String::new());
    steps.retain(|s| filter.in_time(s.time_ns));
    if let Some(e) = every {
        steps = regroup(steps, e);
    }
    let time_column = if every.is_some() { "bucket" } else { "time" };
    let time = |t: i64| Cell::Str(if every.is_some() { format_rfc3339_whole(t) } else { format_rfc3339(t) });
    let float = |v: Option<f64>, d: usize| v.map_or(Cell::Null, |v| Cell::Float(v, d));
    let num = |v: Option<Num>, d: usize| v.map_or(Cell::Null, |v| v.cell(d));
    // The series the rows show (a time window may leave some out).
    let n = steps.iter().map(|s| s.series).collect::<BTreeSet<_>>().len();
    let (columns, rows, footer): (Vec<&str>, Vec<Vec<Cell>>, String) = match kind {
        None => (vec![time_column, "value"], Vec::new(), format!("no points of {name}")),
        Some(MetricKind::Counter | MetricKind::UpDownCounter) => {
            let total = steps.iter().filter_map(|s| s.delta).fold(Num::Int(0), Num::plus);
            let rows = steps
                .iter()
                .map(|s| {
                    let rate = s.delta.zip(s.interval_s).map(|(d, i)| d.f64() / i);
                    vec![
                        time(s.time_ns),
                        float(s.interval_s, 3),
                        if every.is_some() { Cell::Null } else { num(s.value, 3) },
                        num(s.delta, 3),
                        float(rate, 3),
                    ]
                })
                .collect();
            (
                vec![time_column, "interval_s", "value", "delta", "rate_per_s"],
                rows,
                format!(
                    "{name}: deltas between exports (resets start again from zero); {total} in all, {n} series{unit}"
                ),
            )
        }
        Some(MetricKind::Histogram | MetricKind::ExponentialHistogram) => {
            let mut columns = vec![time_column, "count", "sum", "mean"];
            columns.extend(["p50_est", "p90_est", "p99_est"]);
            columns.extend(["bucket_bounds", "bucket_counts"]);
            let rows = steps
                .iter()
                .map(|s| {
                    let h = s.hist.as_ref();
                    let count = h.map(|h| h.count);
                    let sum = h.and_then(|h| h.sum);
                    let mean = sum.zip(count).filter(|(_, c)| *c > 0).map(|(s, c)| s / c as f64);
                    let mut row =
                        vec![time(s.time_ns), count.map_or(Cell::Null, Cell::Count), float(sum, 3), float(mean, 3)];
                    row.extend(ESTIMATED.iter().map(|p| float(h.and_then(|h| h.estimate(p / 100.0)), 3)));
                    // Each bucket as `lower..upper`, for scripts that check or re-plot the estimate.
                    let bounds = h.map(|h| h.buckets.iter().map(|b| format!("{}..{}", b.0, b.1)).collect());
                    let counts = h.map(|h| h.buckets.iter().map(|b| b.2).collect());
                    row.push(bounds.map_or(Cell::Null, Cell::List));
                    row.push(counts.map_or(Cell::Null, Cell::Ints));
                    row
                })
                .collect();
            // Counts may be anything up to 2^64-1 each: added where they cannot wrap.
            let count: u128 = steps.iter().filter_map(|s| s.hist.as_ref().map(|h| u128::from(h.count))).sum();
            (
                columns,
                rows,
                format!(
                    "{name}: per export interval; percentiles estimated from the buckets (linear within a bucket narrowed to min and max); \
                     {count} recorded in all, {n} series{unit}"
                ),
            )
        }
        Some(_) => (
            vec![time_column, "value"],
            steps.iter().map(|s| vec![time(s.time_ns), num(s.value, 3)]).collect(),
            format!("{name}: values as exported; {n} series{unit}"),
        ),
    };
    let footer = if steps.is_empty() { format!("no points of {name}") } else { footer };
    // Each row opens with what tells its series apart: the distinguishing resource attributes,
    // then the service and the point's attributes.
    let mut all: Vec<String> = resource_columns;
    all.push("series".into());
    all.extend(columns.into_iter().map(String::from));
    let rows = steps
        .iter()
        .zip(rows)
        .map(|(s, row)| {
            let series = &series[s.series];
            let mut full: Vec<Cell> = series.resource.iter().map(|v| v.clone().map_or(Cell::Null, Cell::Str)).collect();
            full.push(Cell::Str(series.label.clone()));
            full.extend(row);
            full
        })
        .collect();
    (all, rows, footer, repeated)
}

/// A histogram's whole-run estimate per route next to the exact percentiles of the spans.
fn compare(name: &str, points: &[MetricPoint], spans: &[SpanTime], filter: &Filter) -> anyhow::Result<Shown> {
    let Some(first) = points.first() else {
        anyhow::bail!("no points of {name} in the input");
    };
    if !matches!(first.kind, MetricKind::Histogram | MetricKind::ExponentialHistogram) {
        anyhow::bail!("{name} is a {}, not a histogram: nothing to compare with span durations", kind_name(first.kind));
    }
    let scale = unit_ms(&first.unit)
        .ok_or_else(|| anyhow::anyhow!("{name} is in '{}', not a duration unit (ms, s, us, ns)", first.unit))?;
    // Group by the route where the points carry one, else by the target (Python's old names).
    let key_name =
        if points.iter().any(|p| attr(&p.attributes, "http.route").is_some()) { "http.route" } else { "http.target" };
    let group = |p: &MetricPoint| -> String {
        match attr(&p.attributes, key_name) {
            Some(Value::Str(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "(none)".into(),
        }
    };
    // Per route, the per-interval histograms of its series added up (inside --since/--until): for
    // cumulative exports that is the last export of each run, resets handled as for counters.
    let (_, series, steps, repeated) = steps(points, group);
    let mut per_route: BTreeMap<String, Hist> = BTreeMap::new();
    for step in steps {
        if let Some(h) = step.hist.filter(|_| filter.in_time(step.time_ns)) {
            add_to(&mut per_route, series[step.series].group.clone(), h);
        }
    }
    // Exact percentiles of the entry spans, grouped by the same attribute.
    // Instrumentations put the route template in the metric's `http.target` to bound its
    // cardinality (Flask, this workspace's todo) and leave it out when no route matched (404,
    // 405): spans are grouped by route, and those without one under `(none)` as well.
    let span_key = |s: &SpanTime| s.route.clone();
    let durations = Durations {
        keys: vec![spans.iter().map(span_key).collect()],
        start_ns: spans.iter().map(|s| s.start_ns).collect(),
        end_ns: spans.iter().map(|s| s.start_ns + s.duration_ns).collect(),
        error: vec![false; spans.len()],
    };
    let exact =
        frame::latency(&durations, &LatencyQuery { percentiles: ESTIMATED.to_vec(), every_ns: None, spark_slices: 0 })?;
    let exact: HashMap<String, (u64, Vec<f64>)> = exact
        .overall
        .into_iter()
        .map(|r| (r.keys[0].clone().unwrap_or_else(|| "(none)".into()), (r.count, r.percentiles)))
        .collect();
    let mut columns = vec![key_name.to_string(), "metric_count".into(), "spans".into()];
    for p in ESTIMATED {
        columns.push(format!("p{p}_est"));
        columns.push(format!("p{p}"));
    }
    let rows = per_route
        .iter()
        .map(|(route, h)| {
            let spans = exact.get(route);
            let mut row = vec![
                Cell::Str(route.clone()),
                Cell::Count(h.count),
                spans.map_or(Cell::Int(0), |(n, _)| Cell::Int(*n as i64)),
            ];
            for (i, p) in ESTIMATED.iter().enumerate() {
                row.push(h.estimate(p / 100.0).map_or(Cell::Null, |v| Cell::Float(v * scale, 3)));
                row.push(spans.map_or(Cell::Null, |(_, ps)| Cell::Float(round_ps(ps[i]) / 1e6, 3)));
            }
            row
        })
        .collect();
    let footer = format!(
        "{name} by {key_name}: pNN_est estimated from the buckets (linear within a bucket narrowed to min and max), pNN exact from the \
         entry spans' durations; ms"
    );
    Ok((columns, rows, footer, repeated))
}

fn add_to(per_route: &mut BTreeMap<String, Hist>, route: String, h: Hist) {
    match per_route.get_mut(&route) {
        Some(mine) => {
            // Different bucket layouts cannot be added: keep the larger, and the count tells.
            if !mine.add(&h) && h.count > mine.count {
                *mine = h;
            }
        }
        None => {
            per_route.insert(route, h);
        }
    }
}
