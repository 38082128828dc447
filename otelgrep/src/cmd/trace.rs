//! `otelgrep trace`: one trace as a tree, a waterfall drawn to scale, with each span's events and
//! the log records emitted inside it.
//!
//! Spans of one trace arrive in several batches and out of time order; the tree is built once
//! everything is read: children under their parent by start time, and spans whose parent is not
//! in the capture shown as roots, marked. `--slowest` first finds the trace whose entry span took
//! longest (a light pass keeping one number), then reads that trace.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use serde_json::json;

use crate::cli::{OutputFormat, TraceArgs};
use crate::cmd::{TraceSelector, failed, is_entry};
use crate::keys::{Key, attribute_text, resolve};
use crate::model::{LogRecord, MetricPoint, Span, StatusCode, Value, span_hex, trace_hex};
use crate::parse::time::format_rfc3339;
use crate::parse::{Needs, Sink};
use crate::render::{self, Cell};

/// Bar width of the waterfall, in characters.
const BAR: usize = 40;

/// First pass of `--slowest`: the longest entry span's trace.
#[derive(Debug, Default)]
pub struct Slowest {
    pub best: Option<(i64, u128)>,
}

impl Sink for Slowest {
    type Config = ();
    const NEEDS: Needs = Needs { log_records: false, points: false, ..Needs::BARE };
    fn new(_: &()) -> Self {
        Slowest::default()
    }
    fn span(&mut self, s: Span) {
        // The slowest of the requests that have a duration.
        if let Some(d) = s.duration_ns().filter(|_| is_entry(&s)) {
            self.span_like((d, s.trace_id));
        }
    }
    fn log(&mut self, _: LogRecord) {}
    fn point(&mut self, _: MetricPoint) {}
    fn merge(&mut self, later: Self) {
        if let Some(b) = later.best {
            self.span_like(b);
        }
    }
}

impl Slowest {
    /// Keeps the longer; ties go to the lower trace id, so the answer does not depend on batches.
    fn span_like(&mut self, d: (i64, u128)) {
        if self.best.is_none_or(|b| d.0 > b.0 || (d.0 == b.0 && d.1 < b.1)) {
            self.best = Some(d);
        }
    }
}

/// Second pass: every span and log record of the selected trace(s).
#[derive(Debug)]
pub struct Parts {
    selector: TraceSelector,
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
    /// The other traces' ids: what a trace id that matches nothing is told of.
    others: HashSet<u128>,
}

impl Sink for Parts {
    type Config = TraceSelector;
    const NEEDS: Needs = Needs { logs: true, points: false, ..Needs::ALL };
    fn new(selector: &TraceSelector) -> Self {
        Parts { selector: *selector, spans: Vec::new(), logs: Vec::new(), others: HashSet::new() }
    }
    fn span(&mut self, s: Span) {
        if self.selector.matches(s.trace_id) {
            self.spans.push(s);
        } else {
            self.others.insert(s.trace_id);
        }
    }
    fn log(&mut self, l: LogRecord) {
        match l.trace_id {
            Some(t) if self.selector.matches(t) => self.logs.push(l),
            Some(t) => {
                self.others.insert(t);
            }
            None => {}
        }
    }
    fn point(&mut self, _: MetricPoint) {}
    fn merge(&mut self, later: Self) {
        self.spans.extend(later.spans);
        self.logs.extend(later.logs);
        self.others.extend(later.others);
    }
}

impl Parts {
    /// One trace's parts, read by another pass (`report` reads several traces at once).
    pub fn of(trace_id: u128, spans: Vec<Span>, logs: Vec<LogRecord>) -> Parts {
        let selector = TraceSelector::parse(&trace_hex(trace_id)).expect("a whole id is 32 hex digits");
        Parts { selector, spans, logs, others: HashSet::new() }
    }
}

/// `no span or log record of trace X in the input, which holds 400 traces; the closest: …`:
/// the ids that share the most leading digits with X.
fn not_found(id: &str, parts: &Parts) -> String {
    let shown = id.trim().trim_start_matches("0x");
    let mut msg = format!("no span or log record of trace {shown} in the input");
    if parts.others.is_empty() {
        msg.push_str(", which holds no trace");
        return msg;
    }
    let wanted = parts.selector.aligned();
    let mut closest: Vec<(u32, u128)> =
        parts.others.iter().map(|&t| (((t ^ wanted).leading_zeros() / 4).min(shown.len() as u32), t)).collect();
    closest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let n = parts.others.len();
    let ids: Vec<String> = closest.iter().take(3).map(|(_, t)| trace_hex(*t)).collect();
    msg.push_str(&format!(", which holds {n} trace{}; the closest: {}", if n == 1 { "" } else { "s" }, ids.join(", ")));
    msg
}

/// A span in the tree.
struct Node<'a> {
    span: &'a Span,
    depth: usize,
    /// The parent id, when the span has one that is not in the capture.
    orphan_of: Option<u64>,
    logs: Vec<&'a LogRecord>,
}

/// The spans in tree order (depth first, children by start time), each with its logs.
fn tree<'a>(spans: &'a [Span], logs: &'a [LogRecord]) -> (Vec<Node<'a>>, Vec<&'a LogRecord>) {
    let ids: HashSet<u64> = spans.iter().map(|s| s.span_id).collect();
    let mut children: HashMap<u64, Vec<&Span>> = HashMap::new();
    let mut roots: Vec<&Span> = Vec::new();
    for s in spans {
        match s.parent_span_id {
            Some(p) if ids.contains(&p) && p != s.span_id => children.entry(p).or_default().push(s),
            _ => roots.push(s),
        }
    }
    let order = |v: &mut Vec<&Span>| v.sort_by_key(|s| (s.start_ns, s.span_id));
    order(&mut roots);
    children.values_mut().for_each(order);
    let mut by_span: HashMap<u64, Vec<&LogRecord>> = HashMap::new();
    let mut loose = Vec::new();
    for l in logs {
        match l.span_id.filter(|id| ids.contains(id)) {
            Some(id) => by_span.entry(id).or_default().push(l),
            None => loose.push(l),
        }
    }
    let time = |l: &&LogRecord| l.time_ns.or(l.observed_time_ns).unwrap_or(i64::MAX);
    by_span.values_mut().for_each(|v| v.sort_by_key(time));
    loose.sort_by_key(time);
    let mut out = Vec::with_capacity(spans.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<(&Span, usize)> = roots.iter().rev().map(|s| (*s, 0)).collect();
    while let Some((s, depth)) = stack.pop() {
        // A span listed twice (exported twice) or a cycle of ids must not loop.
        if !seen.insert(s.span_id) {
            continue;
        }
        out.push(Node {
            span: s,
            depth,
            orphan_of: s.parent_span_id.filter(|p| !ids.contains(p)),
            logs: by_span.remove(&s.span_id).unwrap_or_default(),
        });
        if let Some(kids) = children.get(&s.span_id) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    (out, loose)
}

/// An HTTP status in JSON: a number when it is one.
fn status_json(s: String) -> serde_json::Value {
    s.parse::<i64>().map_or(serde_json::Value::String(s), Into::into)
}

fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

/// An event in one line: `exception OverflowError: Python int too large`.
fn event_line(e: &crate::model::Event) -> String {
    let kind = attribute_text(&e.attributes, "exception.type");
    let message = attribute_text(&e.attributes, "exception.message");
    match (kind, message) {
        (Some(k), Some(m)) => format!("{} {k}: {m}", e.name),
        (Some(k), None) => format!("{} {k}", e.name),
        (None, Some(m)) => format!("{} {m}", e.name),
        (None, None) => e.name.clone(),
    }
}

/// What a span line shows after its name: response status, URL, and a database statement.
fn key_attributes(s: &Span) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(st) = resolve(&Key::Status, s) {
        out.push(st.value);
    }
    if let Some(u) = resolve(&Key::Url, s) {
        out.push(u.value);
    }
    for k in ["db.statement", "db.query.text"] {
        if let Some(q) = attribute_text(&s.attributes, k) {
            let short: String = q.chars().take(60).collect();
            out.push(if short.len() < q.len() { format!("{short}…") } else { short });
            break;
        }
    }
    out
}

/// Which trace to show, and the parts read of it.
pub fn select(args: &TraceArgs) -> anyhow::Result<(Option<TraceSelector>, Vec<String>)> {
    if args.slowest {
        return Ok((None, args.args.clone()));
    }
    let (id, files) = args.args.split_first().expect("clap requires one argument");
    if files.is_empty() {
        anyhow::bail!("give a trace id and at least one file (or --slowest and the files)");
    }
    Ok((Some(TraceSelector::parse(id)?), files.to_vec()))
}

/// Prints the trace.
pub fn run(args: &TraceArgs, parts: Parts, colour: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let traces: std::collections::BTreeSet<u128> =
        parts.spans.iter().map(|s| s.trace_id).chain(parts.logs.iter().filter_map(|l| l.trace_id)).collect();
    match traces.len() {
        // With --slowest the arguments are files: the id is the one the first pass chose.
        0 => {
            let asked = if args.slowest { trace_hex(parts.selector.aligned()) } else { args.args[0].clone() };
            anyhow::bail!("{}", not_found(&asked, &parts))
        }
        1 => {}
        n => anyhow::bail!(
            "{n} traces start with {}: {}; give more digits",
            args.args[0],
            traces.iter().take(5).map(|t| trace_hex(*t)).collect::<Vec<_>>().join(", ")
        ),
    }
    let trace_id = *traces.first().expect("one trace");
    let (nodes, loose) = tree(&parts.spans, &parts.logs);
    // A trace of log records only starts at its first record (it started in 1970, 0 spans).
    let log_times = || parts.logs.iter().filter_map(|l| l.time_ns.or(l.observed_time_ns));
    // Spans without times (0 is none) or ending before they start show no duration, and do not
    // stretch the trace's.
    let timed = || parts.spans.iter().filter(|s| s.duration_ns().is_some());
    let starts = || parts.spans.iter().map(|s| s.start_ns).filter(|&t| t != 0);
    let t0 = timed().map(|s| s.start_ns).min().or_else(|| starts().min()).or_else(|| log_times().min()).unwrap_or(0);
    let t1 = timed().map(|s| s.end_ns).max().or_else(|| log_times().max()).unwrap_or(t0);
    let total = (t1 - t0).max(1);
    match args.format {
        OutputFormat::Table => draw(trace_id, &nodes, &loose, t0, total, colour, out),
        OutputFormat::Json => {
            let spans: Vec<_> = nodes
                .iter()
                .map(|n| {
                    let s = n.span;
                    json!({
                        "depth": n.depth,
                        "span_id": span_hex(s.span_id),
                        "parent_span_id": s.parent_span_id.map(span_hex),
                        "parent_missing": n.orphan_of.is_some(),
                        "name": s.name,
                        "kind": s.kind.as_str(),
                        "start": format_rfc3339(s.start_ns),
                        "offset_ms": (s.start_ns != 0).then(|| ms(s.start_ns - t0)),
                        "duration_ms": s.duration_ns().map(ms),
                        "span_status": s.status.as_str(),
                        "status_message": s.status_message,
                        "status": resolve(&Key::Status, s).map(|r| status_json(r.value)),
                        "url": resolve(&Key::Url, s).map(|r| r.value),
                        "events": s.events.iter().map(|e| json!({
                            "name": e.name,
                            "time": format_rfc3339(e.time_ns),
                            "summary": event_line(e),
                        })).collect::<Vec<_>>(),
                        "logs": n.logs.iter().map(|l| log_json(l)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = json!({
                "trace_id": trace_hex(trace_id),
                "start": format_rfc3339(t0),
                "duration_ms": ms(t1 - t0),
                "spans": spans,
                "logs_without_span": loose.iter().map(|l| log_json(l)).collect::<Vec<_>>(),
            });
            render::json(&doc, out)
        }
        format => {
            let columns = [
                "depth",
                "offset",
                "duration",
                "kind",
                "name",
                "span_status",
                "status",
                "url",
                "span_id",
                "parent_span_id",
                "events",
                "logs",
            ];
            let rows: Vec<Vec<Cell>> = nodes
                .iter()
                .map(|n| {
                    let s = n.span;
                    vec![
                        Cell::Int(n.depth as i64),
                        if s.start_ns != 0 { Cell::Float(ms(s.start_ns - t0), 3) } else { Cell::Null },
                        s.duration_ns().map_or(Cell::Null, |d| Cell::Float(ms(d), 3)),
                        Cell::Str(s.kind.as_str().into()),
                        Cell::Str(s.name.clone()),
                        Cell::Str(s.status.as_str().into()),
                        Cell::integer_or_text(resolve(&Key::Status, s).map(|r| r.value)),
                        resolve(&Key::Url, s).map_or(Cell::Null, |r| Cell::Str(r.value)),
                        Cell::Str(span_hex(s.span_id)),
                        s.parent_span_id.map_or(Cell::Null, |p| Cell::Str(span_hex(p))),
                        Cell::Int(s.events.len() as i64),
                        Cell::Int(n.logs.len() as i64),
                    ]
                })
                .collect();
            render::rows(&columns, &rows, format, false, out)
        }
    }
}

fn log_json(l: &LogRecord) -> serde_json::Value {
    json!({
        "time": l.time_ns.or(l.observed_time_ns).map(format_rfc3339),
        "severity": crate::cmd::logs::severity_name(l),
        "body": match &l.body { Value::Str(s) => s.clone(), v => v.to_string() },
    })
}

/// The waterfall: offset and duration (ms), a bar to scale, then the tree.
fn draw(
    trace_id: u128,
    nodes: &[Node],
    loose: &[&LogRecord],
    t0: i64,
    total: i64,
    colour: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let red = |s: String| if colour { format!("\u{1b}[31m{s}\u{1b}[0m") } else { s };
    let services: std::collections::BTreeSet<&str> =
        nodes.iter().filter_map(|n| n.span.resource.service_name()).collect();
    let errors = nodes.iter().filter(|n| failed(n.span)).count();
    writeln!(
        out,
        "trace {} · {} span{} · {:.3} ms · {}{}",
        trace_hex(trace_id),
        nodes.len(),
        if nodes.len() == 1 { "" } else { "s" },
        ms(total),
        format_rfc3339(t0),
        if services.is_empty() {
            String::new()
        } else {
            format!(" · {}", render::one_line(&services.into_iter().collect::<Vec<_>>().join(", ")))
        },
    )?;
    if errors > 0 {
        writeln!(out, "{}", red(format!("{errors} failed span{}", if errors == 1 { "" } else { "s" })))?;
    }
    writeln!(out, "{:>10} {:>11}  {:<BAR$}  span", "offset ms", "duration ms", "")?;
    let pad = format!("{:>10} {:>11}  {:<BAR$}  ", "", "", "");
    for n in nodes {
        let s = n.span;
        // A span without a duration (no times, or ending before it starts) gets no bar.
        let (offset, duration, bar) = match s.duration_ns() {
            Some(d) => {
                let (from, to) = (s.start_ns - t0, s.start_ns - t0 + d);
                let a = (((from as f64 / total as f64) * BAR as f64).floor().max(0.0) as usize).min(BAR - 1);
                let b = (((to as f64 / total as f64) * BAR as f64).ceil() as usize).clamp(a + 1, BAR);
                let bar: String = (0..BAR).map(|i| if i >= a && i < b { '█' } else { ' ' }).collect();
                (format!("{:.3}", ms(from)), format!("{:.3}", ms(d)), bar)
            }
            None => {
                let offset = if s.start_ns != 0 { format!("{:.3}", ms(s.start_ns - t0)) } else { String::new() };
                (offset, String::new(), " ".repeat(BAR))
            }
        };
        let indent = "  ".repeat(n.depth);
        let mut label = format!("{} {}", s.kind.as_str(), render::one_line(&s.name));
        let attrs = key_attributes(s);
        if !attrs.is_empty() {
            label.push_str(&format!("  {}", render::one_line(&attrs.join("  "))));
        }
        if s.status == StatusCode::Error {
            let msg = s.status_message.as_deref().map(|m| format!(" ({})", render::one_line(m))).unwrap_or_default();
            label.push_str(&format!("  {}", red(format!("ERROR{msg}"))));
        }
        if let Some(p) = n.orphan_of {
            label.push_str(&format!("  [parent {} not in the capture]", span_hex(p)));
        }
        writeln!(out, "{offset:>10} {duration:>11}  {bar}  {indent}{label}")?;
        for e in &s.events {
            let line = render::one_line(&event_line(e));
            let line = if e.name == "exception" { red(format!("! {line}")) } else { format!("· {line}") };
            writeln!(out, "{pad}{indent}  {line}")?;
        }
        for l in &n.logs {
            writeln!(out, "{pad}{indent}  {}", log_line(l, t0, &red))?;
        }
    }
    if !loose.is_empty() {
        writeln!(out, "log records of this trace whose span is not in the capture:")?;
        for l in loose {
            writeln!(out, "{pad}{}", log_line(l, t0, &red))?;
        }
    }
    Ok(())
}

/// `log +0.120 ms ERROR  body`.
fn log_line(l: &LogRecord, t0: i64, red: &dyn Fn(String) -> String) -> String {
    let severity = crate::cmd::logs::severity_name(l);
    // Signed: a record written before the trace's first span started is before its start.
    let at = l.time_ns.or(l.observed_time_ns).map_or_else(String::new, |t| format!("{:+.3} ms ", ms(t - t0)));
    let body = match &l.body {
        Value::Str(s) => s.clone(),
        v => v.to_string(),
    };
    let sev = if crate::cmd::logs::severity_of(l).is_some_and(|n| n >= 17) { red(severity) } else { severity };
    format!("log {at}{sev}  {}", render::one_line(&body))
}
