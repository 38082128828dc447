//! `otelgrep spans`: a listing of spans, filtered, in time order or longest first.
//!
//! The sink keeps one small row per span that passes (not the span), and with `--slowest N` only
//! the N longest seen so far, so the slowest spans of a gigabyte capture take kilobytes.

use std::io::Write;

use regex::Regex;

use crate::cli::{KindFilter, SpansArgs};
use crate::cmd::{TraceSelector, counted, failed, glob, print_rows, wanted};
use crate::filter::Filter;
use crate::keys::{Key, attributes_read, resolve, route};
use crate::model::{LogRecord, MetricPoint, Span, trace_hex};
use crate::parse::time::format_rfc3339;
use crate::parse::{Needs, Sink};
use crate::render::Cell;

/// What every worker's sink needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub kind: KindFilter,
    pub name: Option<Regex>,
    pub trace: Option<TraceSelector>,
    pub errors: bool,
    pub slowest: Option<usize>,
    pub columns: Vec<Key>,
    pub filter: Filter,
}

/// The columns every listing has.
const COLUMNS: [&str; 9] = ["time", "duration", "kind", "name", "span_status", "status", "route", "url", "trace_id"];

/// `--columns` less what is shown already (`--columns span_status` printed it twice), in order.
fn extra_columns(args: &SpansArgs) -> Vec<&str> {
    let mut extra: Vec<&str> = Vec::new();
    for c in args.columns.iter().map(|c| c.trim()) {
        if !COLUMNS.contains(&c) && !extra.contains(&c) {
            extra.push(c);
        }
    }
    extra
}

impl Config {
    pub fn new(args: &SpansArgs, filter: Filter) -> anyhow::Result<Config> {
        Ok(Config {
            kind: args.kind,
            name: args.name.as_deref().map(glob).transpose()?,
            trace: args.trace.as_deref().map(TraceSelector::parse).transpose()?,
            errors: args.errors,
            slowest: args.slowest,
            columns: {
                if args.columns.iter().any(|c| c.trim().is_empty()) {
                    anyhow::bail!("--columns: empty key in '{}'", args.columns.join(","));
                }
                extra_columns(args).into_iter().map(Key::parse).collect()
            },
            filter,
        })
    }

    /// Whether a span passes every option and filter.
    pub fn keeps(&self, s: &Span) -> bool {
        wanted(self.kind, s)
            && self.trace.is_none_or(|t| t.matches(s.trace_id))
            && self.name.as_ref().is_none_or(|re| re.is_match(&s.name))
            && (!self.errors || failed(s))
            && self.filter.span(s)
    }
}

/// One listed span.
#[derive(Debug, Clone)]
pub struct Row {
    pub start_ns: i64,
    pub end_ns: i64,
    pub kind: &'static str,
    pub name: String,
    pub span_status: &'static str,
    pub status: Option<String>,
    pub route: Option<String>,
    pub url: Option<String>,
    pub trace_id: u128,
    pub extra: Vec<Option<String>>,
}

impl Row {
    /// Start time, then trace, then every other field: a total order, so the listing never
    /// depends on the order records were read in.
    fn order(&self, b: &Row) -> std::cmp::Ordering {
        let key = |r: &Row| (r.start_ns, r.trace_id, r.end_ns, r.kind, r.span_status);
        key(self).cmp(&key(b)).then_with(|| {
            (&self.name, &self.url, &self.status, &self.route, &self.extra)
                .cmp(&(&b.name, &b.url, &b.status, &b.route, &b.extra))
        })
    }

    /// 0 is no time (a span never given one): such a span has no duration, and neither has one
    /// that ends before it starts.
    fn duration(&self) -> Option<i64> {
        (self.start_ns != 0 && self.end_ns != 0 && self.end_ns >= self.start_ns).then(|| self.end_ns - self.start_ns)
    }
}

/// The sink.
#[derive(Debug, Clone)]
pub struct Listed {
    config: Config,
    pub rows: Vec<Row>,
}

impl Listed {
    /// With `--slowest N`, keeps the N longest: cut whenever N + 256 more have come, so the cost
    /// stays linear and every batch's sink (they are all held until merged) stays small.
    fn prune(&mut self, force: bool) {
        if let Some(n) = self.config.slowest {
            if force || self.rows.len() > n + 256 {
                self.rows.sort_by(|a, b| b.duration().cmp(&a.duration()).then_with(|| a.order(b)));
                self.rows.truncate(n);
            }
        }
    }
}

impl Sink for Listed {
    type Config = Config;
    const NEEDS: Needs = Needs::SPAN_ATTRIBUTES;

    fn needs(config: &Config) -> Needs {
        Self::NEEDS.only(attributes_read(config.columns.iter().chain(config.filter.keys())))
    }

    fn window(config: &Config) -> (Option<i64>, Option<i64>) {
        (config.filter.since, config.filter.until)
    }

    fn new(config: &Config) -> Self {
        Listed { config: config.clone(), rows: Vec::new() }
    }

    fn span(&mut self, s: Span) {
        if !self.config.keeps(&s) {
            return;
        }
        let value = |k: &Key| resolve(k, &s).map(|r| r.value);
        let row = Row {
            start_ns: s.start_ns,
            end_ns: s.end_ns,
            kind: s.kind.as_str(),
            span_status: s.status.as_str(),
            status: value(&Key::Status),
            // The route only where the span has one (the alias would repeat the name).
            route: route(&s),
            url: value(&Key::Url),
            trace_id: s.trace_id,
            extra: self.config.columns.iter().map(value).collect(),
            name: s.name,
        };
        self.rows.push(row);
        self.prune(false);
    }
    fn log(&mut self, _: LogRecord) {}
    fn point(&mut self, _: MetricPoint) {}
    fn merge(&mut self, later: Self) {
        self.rows.extend(later.rows);
        self.prune(false);
    }
}

/// Prints the listing.
pub fn run(args: &SpansArgs, mut all: Listed, out: &mut dyn Write) -> anyhow::Result<()> {
    all.prune(true);
    let mut rows = all.rows;
    if args.slowest.is_none() {
        // Time order, whatever the export order (or the order parallel readers finish in).
        rows.sort_by(|a, b| a.order(b));
    }
    let mut columns = COLUMNS.to_vec();
    columns.extend(extra_columns(args));
    let opt = |v: &Option<String>| v.clone().map_or(Cell::Null, Cell::Str);
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            let mut c = vec![
                if r.start_ns == 0 { Cell::Null } else { Cell::Str(format_rfc3339(r.start_ns)) },
                r.duration().map_or(Cell::Null, |d| Cell::Float(d as f64 / args.unit.ns(), args.unit.decimals())),
                Cell::Str(r.kind.to_string()),
                Cell::Str(r.name.clone()),
                if r.span_status == "ERROR" {
                    Cell::Alert(Box::new(Cell::Str("ERROR".into())))
                } else {
                    Cell::Str(r.span_status.into())
                },
                Cell::integer_or_text(r.status.clone()),
                opt(&r.route),
                opt(&r.url),
                Cell::Str(trace_hex(r.trace_id)),
            ];
            c.extend(r.extra.iter().map(opt));
            c
        })
        .collect();
    print_rows(&columns, cells, &args.table, out, |total, shown| {
        format!("{}; durations in {}", counted(total, shown, "span"), args.unit.as_str())
    })
}
