//! `otelgrep logs`: log records in time order, each with the request it belongs to.
//!
//! A record's request is the entry span (SERVER, or a root without a kind) nearest above its own
//! span, or its trace's root entry span when its span is not in the capture, whatever the order
//! or batch they were exported in. The sink keeps the records that pass, each span's parent, and
//! the few fields of each entry span; the join happens once everything is read.

use std::collections::HashMap;
use std::io::Write;

use regex::Regex;

use crate::cli::LogsArgs;
use crate::cmd::{TraceSelector, counted, is_entry, print_rows};
use crate::filter::Filter;
use crate::keys::{Key, attributes_read, resolve, route};
use crate::model::{LogRecord, MetricPoint, Span, Value, severity_number, trace_hex};
use crate::parse::time::format_rfc3339;
use crate::parse::{Needs, Sink};
use crate::render::Cell;

/// What every worker's sink needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub min_severity: Option<u8>,
    pub grep: Option<Regex>,
    pub trace: Option<TraceSelector>,
    pub filter: Filter,
}

impl Config {
    pub fn new(args: &LogsArgs, filter: Filter) -> anyhow::Result<Config> {
        let min_severity = match args.level.as_deref() {
            None => None,
            Some(l) => Some(match l.to_ascii_lowercase().as_str() {
                "warning" => 13,
                "critical" => 21,
                other => severity_number(other).ok_or_else(|| {
                    anyhow::anyhow!("--level {l}: give one of trace, debug, info, warn, error, fatal")
                })?,
            }),
        };
        Ok(Config {
            min_severity,
            grep: args.grep.as_deref().map(Regex::new).transpose()?,
            trace: args.trace.as_deref().map(TraceSelector::parse).transpose()?,
            filter,
        })
    }
}

/// A record's severity number: as given, else read from its text (`WARNING` is 13 in Python).
pub fn severity_of(l: &LogRecord) -> Option<u8> {
    l.severity_number.or_else(|| {
        let text = l.severity_text.as_deref()?;
        match text.to_ascii_uppercase().as_str() {
            "WARNING" => Some(13),
            "CRITICAL" => Some(21),
            t => severity_number(t),
        }
    })
}

/// A severity's name, as the record gives it or from its number.
pub fn severity_name(l: &LogRecord) -> String {
    if let Some(t) = l.severity_text.as_deref().filter(|t| !t.is_empty()) {
        return t.to_string();
    }
    match l.severity_number {
        Some(n @ 1..=24) => {
            let word = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"][usize::from((n - 1) / 4)];
            let step = (n - 1) % 4 + 1;
            if step == 1 { word.to_string() } else { format!("{word}{step}") }
        }
        _ => String::new(),
    }
}

/// One kept record.
#[derive(Debug, Clone)]
pub struct Row {
    pub time_ns: Option<i64>,
    pub severity: String,
    pub body: String,
    pub trace_id: Option<u128>,
    pub span_id: Option<u64>,
}

/// What a record shows of its request.
#[derive(Debug, Clone)]
pub struct Request {
    pub start_ns: i64,
    pub url: Option<String>,
    pub route: Option<String>,
    pub status: Option<String>,
    /// Whether the request passes `--where`.
    pub passes: bool,
    /// Whether its span is the trace's root (no parent): no earlier entry span can replace it.
    pub root: bool,
}

/// The sink.
#[derive(Debug, Clone)]
pub struct Records {
    config: Config,
    pub rows: Vec<Row>,
    /// Per trace, its root entry span, or else its earliest: the request of a record whose own
    /// span is not in the capture.
    pub requests: HashMap<u128, Request>,
    /// Each span's parent, and each entry span's request: a record's request is the entry span
    /// nearest above its own span (clients that reuse one `traceparent` put several requests in
    /// one trace; spans that start in the same millisecond do not say which came first).
    parents: HashMap<u64, u64>,
    entries: HashMap<u64, Request>,
}

/// A trace's request: its root entry span, or else its earliest (a tie in time is no order).
fn keep_first(map: &mut HashMap<u128, Request>, trace: u128, r: Request) {
    match map.get(&trace) {
        Some(old) if (old.root, std::cmp::Reverse(old.start_ns)) >= (r.root, std::cmp::Reverse(r.start_ns)) => {}
        _ => {
            map.insert(trace, r);
        }
    }
}

impl Records {
    /// The request a record belongs to: the entry span nearest above its span, or its trace's.
    pub fn request_of(&self, row: &Row) -> Option<&Request> {
        let mut span = row.span_id;
        // A chain of parents is a trace's depth; a cycle in a damaged capture ends here too.
        for _ in 0..256 {
            let Some(id) = span else { break };
            if let Some(r) = self.entries.get(&id) {
                return Some(r);
            }
            span = self.parents.get(&id).copied();
        }
        row.trace_id.and_then(|t| self.requests.get(&t))
    }
}

impl Sink for Records {
    type Config = Config;
    const NEEDS: Needs = Needs { bodies: true, logs: true, log_records: true, ..Needs::SPAN_ATTRIBUTES };

    fn needs(config: &Config) -> Needs {
        Self::NEEDS.only(attributes_read(config.filter.keys()))
    }

    fn window(config: &Config) -> (Option<i64>, Option<i64>) {
        (config.filter.since, config.filter.until)
    }

    fn new(config: &Config) -> Self {
        Records {
            config: config.clone(),
            rows: Vec::new(),
            requests: HashMap::new(),
            parents: HashMap::new(),
            entries: HashMap::new(),
        }
    }

    fn span(&mut self, s: Span) {
        if self.config.trace.is_some_and(|t| !t.matches(s.trace_id)) {
            return;
        }
        if let Some(parent) = s.parent_span_id {
            self.parents.insert(s.span_id, parent);
        }
        if !is_entry(&s) {
            return;
        }
        let r = Request {
            start_ns: s.start_ns,
            url: resolve(&Key::Url, &s).map(|r| r.value),
            route: route(&s),
            status: resolve(&Key::Status, &s).map(|r| r.value),
            passes: self.config.filter.wheres.iter().all(|w| w.matches(&s)),
            root: s.parent_span_id.is_none(),
        };
        self.entries.insert(s.span_id, r.clone());
        keep_first(&mut self.requests, s.trace_id, r);
    }

    fn log(&mut self, l: LogRecord) {
        let c = &self.config;
        let time = l.time_ns.or(l.observed_time_ns);
        if c.trace.is_some_and(|t| !l.trace_id.is_some_and(|id| t.matches(id)))
            || c.min_severity.is_some_and(|min| severity_of(&l).is_none_or(|s| s < min))
            || time.is_some_and(|t| !c.filter.in_time(t))
            || (time.is_none() && (c.filter.since.is_some() || c.filter.until.is_some()))
            || (!c.filter.services.is_empty()
                && !l.resource.service_name().is_some_and(|n| c.filter.services.iter().any(|s| s == n)))
        {
            return;
        }
        let body = match &l.body {
            Value::Str(s) => s.clone(),
            other => other.to_string(),
        };
        if c.grep.as_ref().is_some_and(|re| !re.is_match(&body)) {
            return;
        }
        self.rows.push(Row {
            time_ns: time,
            severity: severity_name(&l),
            body,
            trace_id: l.trace_id,
            span_id: l.span_id,
        });
    }

    fn point(&mut self, _: MetricPoint) {}

    fn merge(&mut self, later: Self) {
        self.rows.extend(later.rows);
        for (t, r) in later.requests {
            keep_first(&mut self.requests, t, r);
        }
        self.parents.extend(later.parents);
        self.entries.extend(later.entries);
    }
}

/// Prints the records.
pub fn run(args: &LogsArgs, all: Records, out: &mut dyn Write) -> anyhow::Result<()> {
    let filter_on_request = !all.config.filter.wheres.is_empty();
    let mut rows: Vec<(&Row, Option<&Request>)> = all
        .rows
        .iter()
        .map(|r| (r, all.request_of(r)))
        .filter(|(_, req)| !filter_on_request || req.is_some_and(|r| r.passes))
        .collect();
    // Time order (records without a time last), whatever the export order; then trace, span,
    // severity and body, so the order never depends on the order records were read in.
    rows.sort_by(|(a, _), (b, _)| {
        let key = |r: &Row| (r.time_ns.is_none(), r.time_ns, r.trace_id, r.span_id);
        key(a).cmp(&key(b)).then_with(|| (&a.severity, &a.body).cmp(&(&b.severity, &b.body)))
    });

    let columns = ["time", "severity", "body", "url", "route", "status", "trace_id"];
    let opt = |v: Option<&String>| v.cloned().map_or(Cell::Null, Cell::Str);
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(r, req)| {
            let severe = severity_number(&r.severity).is_some_and(|n| n >= 17);
            let severity = Cell::Str(r.severity.clone());
            vec![
                r.time_ns.map_or(Cell::Null, |t| Cell::Str(format_rfc3339(t))),
                if severe { Cell::Alert(Box::new(severity)) } else { severity },
                // A table shows the body on one line unless --full; data formats carry it whole.
                if args.full { Cell::Lines(r.body.clone()) } else { Cell::Str(r.body.clone()) },
                opt(req.and_then(|q| q.url.as_ref())),
                opt(req.and_then(|q| q.route.as_ref())),
                Cell::integer_or_text(req.and_then(|q| q.status.clone())),
                r.trace_id.map_or(Cell::Null, |t| Cell::Str(trace_hex(t))),
            ]
        })
        .collect();
    let with = rows.iter().filter(|(_, q)| q.is_some()).count();
    print_rows(&columns, cells, &args.table, out, |total, shown| {
        format!("{}, {with} within a request", counted(total, shown, "log record"))
    })
}
