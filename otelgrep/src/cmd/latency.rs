//! `otelgrep latency`: per group of requests, the count, errors, rate and exact percentiles of
//! their durations, over the whole capture or per `--every` time bucket.
//!
//! The sink keeps only what the figures need (the group keys, start, end and whether it failed)
//! for spans that pass the filters; `frame::latency` aggregates; this module orders, cuts and
//! lays out the rows, and says on stderr when a key asked for by name came from another attribute.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use crate::cli::{KindFilter, LatencyArgs, OutputFormat};
use crate::cmd::{compare_cells, failed, kinds, round_ps, sort_column, sort_rows, wanted};
use crate::filter::{Filter, parse_every};
use crate::frame::{self, Durations, LatencyQuery, LatencyRow};
use crate::keys::{Key, attributes_read, resolve, template};
use crate::model::{LogRecord, MetricPoint, Span};
use crate::parse::time::format_rfc3339_whole;
use crate::parse::{Needs, Sink};
use crate::render::{self, Cell};

/// Slices of the covered time in a sparkline.
const SPARK_SLICES: usize = 12;

/// What every worker's sink needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub kind: KindFilter,
    pub keys: Vec<Key>,
    pub template: bool,
    pub filter: Filter,
    /// `--every`: bucket width in ns.
    pub every_ns: Option<i64>,
}

impl Config {
    /// Checks the arguments before any input is read.
    pub fn new(args: &LatencyArgs, filter: Filter) -> anyhow::Result<Config> {
        if args.by.iter().any(|k| k.trim().is_empty()) {
            anyhow::bail!("--by: empty key in '{}'", args.by.join(","));
        }
        if let Some(p) = args.percentiles.iter().find(|p| !(0.0..=100.0).contains(*p)) {
            anyhow::bail!("--percentiles: {p} is not between 0 and 100");
        }
        Ok(Config {
            every_ns: args.every.as_deref().map(parse_every).transpose()?,
            kind: args.kind,
            keys: args.by.iter().map(|k| Key::parse(k.trim())).collect(),
            template: args.template,
            filter,
        })
    }
}

/// The sink: the durations of the spans that pass, and where each key's values came from.
#[derive(Debug, Clone)]
pub struct Samples {
    config: Config,
    pub durations: Durations,
    /// Per key: attribute the value came from (or `(none)`) → spans.
    pub sources: Vec<BTreeMap<&'static str, u64>>,
    /// Requests without a start or end time: counted here, left out of the durations.
    pub untimed: usize,
    /// Requests that end before they start: counted here, left out of the durations.
    pub backwards: usize,
}

/// Keys whose values are paths or URLs, which `--template` collapses.
fn templated(key: &Key) -> bool {
    match key {
        Key::Url | Key::Target => true,
        Key::Attribute(a) => matches!(a.as_str(), "http.url" | "url.full" | "http.target" | "url.path"),
        _ => false,
    }
}

impl Sink for Samples {
    type Config = Config;
    /// Keys and statuses live in attributes; events and bodies are not needed.
    const NEEDS: Needs = Needs::SPAN_ATTRIBUTES;

    /// Only the attributes the keys, the filters and the error test read.
    fn needs(config: &Config) -> Needs {
        Self::NEEDS.only(attributes_read(config.keys.iter().chain(config.filter.keys()))).span_kinds(kinds(config.kind))
    }

    fn window(config: &Config) -> (Option<i64>, Option<i64>) {
        (config.filter.since, config.filter.until)
    }

    fn new(config: &Config) -> Self {
        let n = config.keys.len();
        Samples {
            config: config.clone(),
            durations: Durations { keys: vec![Vec::new(); n], ..Durations::default() },
            sources: vec![BTreeMap::new(); n],
            untimed: 0,
            backwards: 0,
        }
    }

    fn span(&mut self, s: Span) {
        if !wanted(self.config.kind, &s) || !self.config.filter.span(&s) {
            return;
        }
        if !s.timed() {
            self.untimed += 1;
            return;
        }
        if s.backwards() {
            self.backwards += 1;
            return;
        }
        for (i, key) in self.config.keys.iter().enumerate() {
            let r = resolve(key, &s);
            *self.sources[i].entry(r.as_ref().map_or("(none)", |r| r.source)).or_default() += 1;
            let value =
                r.map(|r| if self.config.template && templated(key) { template(&s, &r.value) } else { r.value });
            self.durations.keys[i].push(value);
        }
        self.durations.start_ns.push(s.start_ns);
        self.durations.end_ns.push(s.end_ns);
        self.durations.error.push(failed(&s));
    }
    fn log(&mut self, _: LogRecord) {}
    fn point(&mut self, _: MetricPoint) {}
    fn merge(&mut self, later: Self) {
        let (d, l) = (&mut self.durations, later.durations);
        for (mine, theirs) in d.keys.iter_mut().zip(l.keys) {
            mine.extend(theirs);
        }
        d.start_ns.extend(l.start_ns);
        d.end_ns.extend(l.end_ns);
        d.error.extend(l.error);
        self.untimed += later.untimed;
        self.backwards += later.backwards;
        for (mine, theirs) in self.sources.iter_mut().zip(later.sources) {
            for (k, v) in theirs {
                *mine.entry(k).or_default() += v;
            }
        }
    }
}

/// `99.9` → `p99.9`, `50` → `p50`.
fn percentile_name(p: f64) -> String {
    format!("p{p}")
}

/// Eight heights, scaled from zero to the row's highest slice; a blank for slices without requests.
fn sparkline(slices: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = slices.iter().flatten().fold(0.0_f64, |a, &b| a.max(b));
    slices
        .iter()
        .map(|s| match s {
            None => ' ',
            Some(_) if top <= 0.0 => BARS[0],
            Some(v) => BARS[((v / top * 8.0).ceil() as usize).clamp(1, 8) - 1],
        })
        .collect()
}

/// Prints the latency table.
pub fn run(args: &LatencyArgs, all: Samples, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    run_buckets(args, all, None, out, err)
}

/// The start of the first `every`-wide bucket not closed when the newest record read is at
/// `newest`: a bucket is closed once a record later than its end plus `grace` has come.
pub fn closed_before(newest: i64, grace: i64, every: i64) -> i64 {
    let edge = newest.saturating_sub(grace).saturating_sub(every);
    let first = edge.div_euclid(every);
    let first = if edge.rem_euclid(every) == 0 { first } else { first.saturating_add(1) };
    first.saturating_mul(every)
}

/// As [`run`], with `--every` printing only the buckets that start in `buckets` (a followed
/// input into a pipe prints each bucket once, when it is closed).
pub fn run_buckets(
    args: &LatencyArgs,
    all: Samples,
    buckets: Option<std::ops::Range<i64>>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let every_ns = all.config.every_ns;
    // The sparkline is for people: tables only, and not beside time buckets.
    let table = matches!(args.table.format, OutputFormat::Table | OutputFormat::Markdown);
    let trend = table && every_ns.is_none();
    let spark_slices = if trend { SPARK_SLICES } else { 0 };
    let query = LatencyQuery { percentiles: args.percentiles.clone(), every_ns, spark_slices };
    let result = frame::latency(&all.durations, &query)?;
    note_sources(args, &all.sources, err)?;
    if all.untimed > 0 {
        let n = all.untimed;
        let s = if n == 1 { "" } else { "s" };
        writeln!(err, "otelgrep: note: {n} request{s} without a start or end time left out (no duration to measure)")?;
    }
    if all.backwards > 0 {
        let n = all.backwards;
        let what = if n == 1 { "request that ends before it starts" } else { "requests that end before they start" };
        writeln!(err, "otelgrep: note: {n} {what} left out (no duration to measure)")?;
    }
    let key_names: Vec<&str> = args.by.iter().map(|k| k.trim()).collect();
    // Status codes are numbers in CSV and JSON, whichever attribute type the exporter gave them.
    let numeric: Vec<bool> = key_names
        .iter()
        .map(|k| matches!(Key::parse(k), Key::Status) || ["http.status_code", "http.response.status_code"].contains(k))
        .collect();
    let mut columns: Vec<String> = key_names.iter().map(|k| k.to_string()).collect();
    if every_ns.is_some() {
        columns.push("bucket".into());
    }
    columns.extend(["count", "errors", "error_pct", "rps", "min"].map(String::from));
    columns.extend(args.percentiles.iter().map(|p| percentile_name(*p)));
    columns.push("max".into());
    if trend {
        columns.push("trend".into());
    }
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    let sort = args.table.sort.as_deref().map(|s| sort_column(&columns, s)).transpose()?;

    let unit = args.unit.ns();
    let window_s = result.covered.map(|(t0, t1)| (t1 - t0) as f64 / 1e9);
    let cells = |r: &LatencyRow, with_bucket: bool| -> Vec<Cell> {
        let mut row: Vec<Cell> = r
            .keys
            .iter()
            .zip(&numeric)
            .map(|(k, n)| if *n { Cell::integer_or_text(k.clone()) } else { k.clone().map_or(Cell::Null, Cell::Str) })
            .collect();
        if with_bucket {
            row.push(r.bucket.map_or(Cell::Null, |b| Cell::Str(format_rfc3339_whole(b))));
        }
        let seconds = match every_ns {
            Some(e) if with_bucket => Some(e as f64 / 1e9),
            _ => window_s,
        };
        let errors = Cell::Int(r.errors as i64);
        let pct = Cell::Float(100.0 * r.errors as f64 / r.count as f64, 1);
        let alert = |c: Cell| if r.errors > 0 { Cell::Alert(Box::new(c)) } else { c };
        row.push(Cell::Int(r.count as i64));
        row.push(alert(errors));
        row.push(alert(pct));
        row.push(seconds.filter(|s| *s > 0.0).map_or(Cell::Null, |s| Cell::Float(r.count as f64 / s, 2)));
        let figure = |ns: f64| Cell::Float(round_ps(ns) / unit, args.unit.decimals());
        row.push(figure(r.min));
        row.extend(r.percentiles.iter().map(|p| figure(*p)));
        row.push(figure(r.max));
        if trend {
            row.push(Cell::Spark(sparkline(&r.spark)));
        }
        row
    };

    // Groups, most requested first (then by key), or by --sort; --top keeps the first N.
    let mut overall = result.overall;
    overall.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| compare_keys(&a.keys, &b.keys)));
    let mut ranked: Vec<(Vec<Cell>, LatencyRow)> = overall.into_iter().map(|r| (cells(&r, false), r)).collect();
    if let Some(c) = sort {
        ranked.sort_by(|a, b| compare_cells(&a.0[c], &b.0[c]));
    }
    let groups = ranked.len();
    if let Some(n) = args.table.top {
        ranked.truncate(n);
    }
    let shown = ranked.len();

    let rows: Vec<Vec<Cell>> = match every_ns {
        None => ranked.into_iter().map(|(cells, _)| cells).collect(),
        Some(_) => {
            // One row per bucket and group, by time, the groups in their overall order within a bucket
            // (or by --sort within the bucket).
            let rank: HashMap<&Vec<Option<String>>, usize> =
                ranked.iter().enumerate().map(|(i, (_, r))| (&r.keys, i)).collect();
            let mut buckets: Vec<(i64, usize, &LatencyRow)> = result
                .buckets
                .iter()
                .filter_map(|r| rank.get(&r.keys).map(|&i| (r.bucket.unwrap_or(0), i, r)))
                .filter(|(b, _, _)| buckets.as_ref().is_none_or(|only| only.contains(b)))
                .collect();
            buckets.sort_by_key(|(b, i, _)| (*b, *i));
            let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(buckets.len());
            let mut start = 0;
            for (i, (b, _, r)) in buckets.iter().enumerate() {
                rows.push(cells(r, true));
                let last = buckets.get(i + 1).is_none_or(|(next, _, _)| next != b);
                if last {
                    if let Some(c) = sort {
                        sort_rows(&mut rows[start..], c);
                    }
                    start = rows.len();
                }
            }
            rows
        }
    };
    render::rows(&columns, &rows, args.table.format, render::colours_wanted(), out)?;
    if args.table.format == OutputFormat::Table {
        // What the figures are, under the table (data formats keep plain column names).
        let requests = all.durations.start_ns.len();
        writeln!(
            out,
            "{requests} request{} in {groups} group{}{}; durations in {}, percentiles exact (linear interpolation)",
            if requests == 1 { "" } else { "s" },
            if groups == 1 { "" } else { "s" },
            if shown < groups { format!(" ({shown} shown)") } else { String::new() },
            args.unit.as_str(),
        )?;
    }
    Ok(())
}

/// Missing keys after present ones, then natural order (`/delete/2` before `/delete/10`).
fn compare_keys(a: &[Option<String>], b: &[Option<String>]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = match (x, y) {
            (Some(x), Some(y)) => crate::render::natural_cmp(x, y),
            (x, y) => x.is_none().cmp(&y.is_none()),
        };
        if order.is_ne() {
            return order;
        }
    }
    std::cmp::Ordering::Equal
}

/// Says on stderr when a key asked for by an attribute name took its value elsewhere for some
/// spans (`http.url` rebuilt from its parts, `http.status_code` read from
/// `http.response.status_code`, a resource's value beside spans' own), or had none.
fn note_sources(
    args: &LatencyArgs,
    sources: &[BTreeMap<&'static str, u64>],
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let spans = |n: &u64| format!("{n} span{}", if *n == 1 { "" } else { "s" });
    for (name, counts) in args.by.iter().map(|k| k.trim()).zip(sources) {
        if !matches!(Key::parse(name), Key::Attribute(_)) {
            if let Some(note) = alias_note(name, counts) {
                writeln!(err, "otelgrep: note: --by {name}: {note}")?;
            }
            continue;
        }
        let plain = |s: &str| s == "attribute" || s == "resource" || s == name;
        let both = counts.contains_key("attribute") && counts.contains_key("resource");
        if counts.keys().all(|s| plain(s)) && !both {
            continue;
        }
        let from: Vec<String> = counts
            .iter()
            .map(|(s, n)| match *s {
                "(none)" => format!("{} with no {name} (the empty group)", spans(n)),
                "attribute" => format!("{} from the span's own", spans(n)),
                "resource" => format!("{} from the resource's (the span had none)", spans(n)),
                s if s.starts_with("rebuilt") => format!("{} {s}", spans(n)),
                s => format!("{} from {s}", spans(n)),
            })
            .collect();
        writeln!(err, "otelgrep: note: --by {name}: {}", from.join("; "))?;
    }
    Ok(())
}

/// What an alias's table does not say by itself: the spans `route` grouped by their name (no
/// `http.route`: the demo's gRPC and proxy spans), the spans `url` grouped by a path alone (no
/// host to rebuild it with) or under no URL, and the spans any other alias had no value for.
fn alias_note(name: &str, counts: &BTreeMap<&'static str, u64>) -> Option<String> {
    let total: u64 = counts.values().sum();
    let count = |pred: &dyn Fn(&str) -> bool| counts.iter().filter(|(s, _)| pred(s)).map(|(_, n)| n).sum::<u64>();
    // "all 277 spans have", "4 of 74 spans have", "the one span has".
    let have = |n: u64| match (n, total) {
        (1, 1) => "the one span has".to_string(),
        (n, t) if n == t => format!("all {n} spans have"),
        (1, t) => format!("1 of {t} spans has"),
        (n, t) => format!("{n} of {t} spans have"),
    };
    let mut said = Vec::new();
    match Key::parse(name) {
        Key::Route => {
            let named = count(&|s| s == "span name");
            if named > 0 {
                said.push(format!("{} no http.route: grouped by span name", have(named)));
            }
        }
        Key::Url => {
            let bare = count(&|s| s.ends_with("(no host)"));
            if bare > 0 {
                said.push(format!(
                    "{} no host (server.address, http.host, net.host.name, http.server_name): grouped by path alone",
                    have(bare)
                ));
            }
        }
        _ => {}
    }
    let none = count(&|s| s == "(none)");
    if none > 0 {
        let what = if name == "url" { "URL" } else { name };
        said.push(format!("{} no {what} (the empty group)", have(none)));
    }
    (!said.is_empty()).then(|| said.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_from_zero_and_leave_empty_slices_blank() {
        assert_eq!(sparkline(&[Some(1.0), None, Some(2.0), Some(0.0)]), "▄ █▁");
        assert_eq!(sparkline(&[Some(0.0), Some(0.0)]), "▁▁");
        assert_eq!(sparkline(&[None, None]), "  ");
    }

    /// 10 s buckets, 5 s grace: [0, 10) closes once a record after 15 s has come.
    #[test]
    fn a_bucket_closes_when_records_past_its_end_and_the_grace_have_come() {
        let s = 1_000_000_000;
        assert_eq!(closed_before(15 * s, 5 * s, 10 * s), 0);
        assert_eq!(closed_before(15 * s + 1, 5 * s, 10 * s), 10 * s);
        assert_eq!(closed_before(25 * s + 1, 5 * s, 10 * s), 20 * s);
        assert!(closed_before(i64::MIN, 5 * s, 10 * s) <= 0);
    }

    #[test]
    fn percentile_columns_are_named_as_typed() {
        assert_eq!(percentile_name(50.0), "p50");
        assert_eq!(percentile_name(99.9), "p99.9");
    }
}
