//! `otelgrep export --to otlp-json`: any capture as OTLP JSON lines, the interchange every
//! OpenTelemetry tool reads (the Collector's `otlpjsonfile` receiver, otel-tui, DuckDB's `otlp`
//! extension), so a console capture can be replayed into any backend. One line is one export
//! request of one signal, its records grouped by resource and scope as an SDK groups them, in
//! the order they were read; a line holds at most [`PER_LINE`] records.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, SyncSender};

use anyhow::Context;

use serde_json::{Map, Value as Json, json};

use crate::cli::{ExportArgs, PartitionKey};
use crate::columnar::{Batches, Partitioning, Writer};
use crate::model::{
    LogRecord, MetricKind, MetricPoint, PointValue, Resource, Span, SpanKind, StatusCode, Temporality, Value, span_hex,
    trace_hex,
};
use crate::parse::Sink;

/// `export --to parquet --out DIR`: every input's records into the folder's tables (the rows
/// written as they are read, in bounded memory; `columnar` owns the layout); what was written is
/// said on stderr.
pub fn parquet(args: &ExportArgs, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let Some(dir) = &args.out else {
        anyhow::bail!("--to parquet writes a folder: name it with --out DIR");
    };
    if let Some(twice) =
        args.partition_by.iter().enumerate().find_map(|(i, k)| args.partition_by[..i].contains(k).then_some(k))
    {
        anyhow::bail!(
            "--partition-by names {} twice: give each key once (service,date)",
            format!("{twice:?}").to_lowercase()
        );
    }
    let partitioning = Partitioning {
        service: args.partition_by.contains(&PartitionKey::Service),
        date: args.partition_by.contains(&PartitionKey::Date),
    };
    let writer = Arc::new(Writer::new(Path::new(dir), partitioning)?);
    let Some(inputs) = crate::read_all::<Batches>(&args.input, &writer, err)? else {
        writer.abandon();
        return Ok(ExitCode::from(2));
    };
    let code = crate::exit_code(&inputs);
    // Every sink gives its buffers back when dropped; the writer writes what they hold.
    drop(inputs);
    let w = writer.finish()?;
    writeln!(
        err,
        "otelgrep: wrote {} span(s), {} log record(s) and {} metric point(s) to {dir} in {} file(s)",
        w.spans, w.logs, w.points, w.files
    )?;
    Ok(code)
}

/// Records per line: lines stay a few hundred kilobytes, as the SDKs' batches are.
const PER_LINE: usize = 512;

/// Encoded lines handed to the writer at a time.
const CHUNK: usize = 4 << 20;

/// `export --to otlp-json`: the inputs read on a thread of their own while this one writes what
/// they encode, so memory holds a few chunks whatever the input's size. Lines come in the order
/// workers finish them (each line is a whole export request; none depends on another's place).
/// Notes on what could not be read follow the output, as reading ends after writing starts.
pub fn otlp_json(args: &ExportArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if !args.partition_by.is_empty() {
        anyhow::bail!("--partition-by splits Parquet folders: with --to otlp-json there is one file");
    }
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(4);
    let mut notes: Vec<u8> = Vec::new();
    let (read, written) = std::thread::scope(|scope| {
        let notes = &mut notes;
        let reader = scope.spawn(move || -> anyhow::Result<Option<ExitCode>> {
            let Some(inputs) = crate::read_all::<Lines>(&args.input, &tx, notes)? else {
                return Ok(None);
            };
            let code = crate::exit_code(&inputs);
            crate::cmd::merged(inputs).flush();
            Ok(Some(code))
        });
        let drain = |out: &mut dyn Write| -> std::io::Result<()> {
            for chunk in &rx {
                out.write_all(&chunk)?;
            }
            out.flush()
        };
        let written = match &args.out {
            Some(path) => std::fs::File::create(path)
                .and_then(|f| drain(&mut std::io::BufWriter::with_capacity(1 << 20, f)))
                .with_context(|| format!("writing {path}")),
            None => drain(out).map_err(anyhow::Error::from),
        };
        // A failed write leaves the reader's lines nowhere to go: it reads on to its end.
        drop(rx);
        let read = reader.join().unwrap_or_else(|_| Err(anyhow::anyhow!("reading the inputs failed")));
        (read, written)
    });
    err.write_all(&notes)?;
    written?;
    Ok(read?.unwrap_or(ExitCode::from(2)))
}

/// A worker's records on their way out: each signal's wait until a line's worth have come, then
/// are encoded; encoded lines go to the writer a chunk at a time.
pub struct Lines {
    tx: SyncSender<Vec<u8>>,
    spans: Vec<Span>,
    logs: Vec<LogRecord>,
    points: Vec<MetricPoint>,
    encoded: Vec<u8>,
}

impl Lines {
    /// Encodes the lines that are full (`all`: every record left too), and sends what was
    /// encoded once a chunk's worth is there (`all`: whatever there is).
    fn settle(&mut self, all: bool) {
        let full = |n: usize| if all { n > 0 } else { n >= PER_LINE };
        while full(self.spans.len()) {
            let rest = self.spans.split_off(self.spans.len().min(PER_LINE));
            spans_line(&self.spans, &mut self.encoded);
            self.spans = rest;
        }
        while full(self.logs.len()) {
            let rest = self.logs.split_off(self.logs.len().min(PER_LINE));
            logs_line(&self.logs, &mut self.encoded);
            self.logs = rest;
        }
        while full(self.points.len()) {
            let rest = self.points.split_off(self.points.len().min(PER_LINE));
            points_line(&self.points, &mut self.encoded);
            self.points = rest;
        }
        if self.encoded.len() >= CHUNK || (all && !self.encoded.is_empty()) {
            // The writer is gone only after a write failed, which it reports.
            let _ = self.tx.send(std::mem::take(&mut self.encoded));
        }
    }

    /// Writes out every record held (at the end).
    pub fn flush(&mut self) {
        self.settle(true);
    }
}

impl Sink for Lines {
    type Config = SyncSender<Vec<u8>>;

    fn new(tx: &SyncSender<Vec<u8>>) -> Self {
        Lines { tx: tx.clone(), spans: Vec::new(), logs: Vec::new(), points: Vec::new(), encoded: Vec::new() }
    }

    fn span(&mut self, span: Span) {
        self.spans.push(span);
        if self.spans.len() >= PER_LINE {
            self.settle(false);
        }
    }

    fn log(&mut self, log: LogRecord) {
        self.logs.push(log);
        if self.logs.len() >= PER_LINE {
            self.settle(false);
        }
    }

    fn point(&mut self, point: MetricPoint) {
        self.points.push(point);
        if self.points.len() >= PER_LINE {
            self.settle(false);
        }
    }

    fn merge(&mut self, mut later: Self) {
        self.spans.append(&mut later.spans);
        self.logs.append(&mut later.logs);
        self.points.append(&mut later.points);
        self.encoded.append(&mut later.encoded);
        self.settle(false);
    }
}

fn spans_line(spans: &[Span], out: &mut Vec<u8>) {
    line(out, "resourceSpans", "scopeSpans", "spans", groups(spans, |s| (&s.resource, s.scope.as_deref()), span));
}

fn logs_line(logs: &[LogRecord], out: &mut Vec<u8>) {
    line(out, "resourceLogs", "scopeLogs", "logRecords", groups(logs, |l| (&l.resource, None), log));
}

fn points_line(points: &[MetricPoint], out: &mut Vec<u8>) {
    let grouped = groups(points, |p| (&p.resource, p.scope.as_deref()), |p| p);
    let mut resources = Vec::new();
    for (resource, scopes) in grouped {
        let scopes: Vec<Json> =
            scopes.into_iter().map(|(scope, points)| scope_json(scope, "metrics", metrics(&points))).collect();
        resources.push(resource_json(resource, "scopeMetrics", scopes));
    }
    write_line(out, "resourceMetrics", resources);
}

/// Records by resource and, inside, by scope name.
type Grouped<'a, O> = Vec<(&'a Resource, Vec<(Option<&'a str>, Vec<O>)>)>;

/// Records grouped by resource (equal resources are one group) and, inside, by scope, each made
/// into what its group lists.
fn groups<'a, T, O>(
    records: &'a [T],
    key: impl Fn(&'a T) -> (&'a Arc<Resource>, Option<&'a str>),
    make: impl Fn(&'a T) -> O,
) -> Grouped<'a, O> {
    let mut out: Grouped<'a, O> = Vec::new();
    for r in records {
        let (resource, scope) = key(r);
        // The same resource is one group whether or not it is the same shared value.
        let at = match out.iter().position(|(res, _)| std::ptr::eq(*res, &**resource) || **res == **resource) {
            Some(at) => at,
            None => {
                out.push((resource, Vec::new()));
                out.len() - 1
            }
        };
        let scopes = &mut out[at].1;
        match scopes.iter_mut().find(|(s, _)| *s == scope) {
            Some((_, items)) => items.push(make(r)),
            None => scopes.push((scope, vec![make(r)])),
        }
    }
    out
}

/// One export request of a signal with its resource groups of records.
fn line(out: &mut Vec<u8>, resources_key: &str, scopes_key: &str, records_key: &str, grouped: Grouped<'_, Json>) {
    let resources: Vec<Json> = grouped
        .into_iter()
        .map(|(resource, scopes)| {
            let scopes = scopes.into_iter().map(|(scope, records)| scope_json(scope, records_key, records)).collect();
            resource_json(resource, scopes_key, scopes)
        })
        .collect();
    write_line(out, resources_key, resources)
}

fn write_line(out: &mut Vec<u8>, key: &str, resources: Vec<Json>) {
    let mut doc = Map::new();
    doc.insert(key.into(), Json::Array(resources));
    // Into memory: serialising a tree of JSON values cannot fail.
    let _ = serde_json::to_writer(&mut *out, &doc);
    out.push(b'\n');
}

fn resource_json(resource: &Resource, scopes_key: &str, scopes: Vec<Json>) -> Json {
    json!({ "resource": { "attributes": attributes(&resource.attributes) }, scopes_key: scopes })
}

fn scope_json(scope: Option<&str>, records_key: &str, records: Vec<Json>) -> Json {
    let scope = scope.map_or_else(|| json!({}), |name| json!({ "name": name }));
    json!({ "scope": scope, records_key: records })
}

/// Nanoseconds as OTLP JSON writes 64-bit integers: decimal strings.
fn nanos(ns: i64) -> Json {
    Json::String(ns.to_string())
}

fn span(s: &Span) -> Json {
    let kind = match s.kind {
        SpanKind::Unspecified => 0,
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    };
    let mut o = Map::new();
    o.insert("traceId".into(), trace_hex(s.trace_id).into());
    o.insert("spanId".into(), span_hex(s.span_id).into());
    if let Some(parent) = s.parent_span_id {
        o.insert("parentSpanId".into(), span_hex(parent).into());
    }
    o.insert("name".into(), s.name.clone().into());
    o.insert("kind".into(), kind.into());
    o.insert("startTimeUnixNano".into(), nanos(s.start_ns));
    o.insert("endTimeUnixNano".into(), nanos(s.end_ns));
    o.insert("attributes".into(), attributes(&s.attributes));
    if !s.events.is_empty() {
        let events = s.events.iter().map(
            |e| json!({ "timeUnixNano": nanos(e.time_ns), "name": e.name, "attributes": attributes(&e.attributes) }),
        );
        o.insert("events".into(), events.collect());
    }
    if !s.links.is_empty() {
        let links = s.links.iter().map(|l| {
            json!({ "traceId": trace_hex(l.trace_id), "spanId": span_hex(l.span_id), "attributes": attributes(&l.attributes) })
        });
        o.insert("links".into(), links.collect());
    }
    let code = match s.status {
        StatusCode::Unset => 0,
        StatusCode::Ok => 1,
        StatusCode::Error => 2,
    };
    let mut status = Map::new();
    if code != 0 {
        status.insert("code".into(), code.into());
    }
    if let Some(m) = &s.status_message {
        status.insert("message".into(), m.clone().into());
    }
    o.insert("status".into(), Json::Object(status));
    Json::Object(o)
}

fn log(l: &LogRecord) -> Json {
    let mut o = Map::new();
    if let Some(t) = l.time_ns {
        o.insert("timeUnixNano".into(), nanos(t));
    }
    if let Some(t) = l.observed_time_ns {
        o.insert("observedTimeUnixNano".into(), nanos(t));
    }
    if let Some(n) = l.severity_number {
        o.insert("severityNumber".into(), n.into());
    }
    if let Some(t) = &l.severity_text {
        o.insert("severityText".into(), t.clone().into());
    }
    o.insert("body".into(), any_value(&l.body));
    o.insert("attributes".into(), attributes(&l.attributes));
    if let Some(t) = l.trace_id {
        o.insert("traceId".into(), trace_hex(t).into());
    }
    if let Some(s) = l.span_id {
        o.insert("spanId".into(), span_hex(s).into());
    }
    Json::Object(o)
}

/// Points of one scope as metrics: consecutive points of one metric (name, kind, temporality)
/// share its entry.
fn metrics(points: &[&MetricPoint]) -> Vec<Json> {
    let mut out: Vec<(&MetricPoint, Vec<Json>)> = Vec::new();
    for p in points {
        let same = |q: &MetricPoint| q.name == p.name && q.kind == p.kind && q.temporality == p.temporality;
        match out.iter_mut().find(|(first, _)| same(first)) {
            Some((_, list)) => list.push(point(p)),
            None => out.push((p, vec![point(p)])),
        }
    }
    out.into_iter().map(|(first, list)| metric(first, list)).collect()
}

fn metric(p: &MetricPoint, points: Vec<Json>) -> Json {
    let temporality = match p.temporality {
        Some(Temporality::Delta) => 1,
        Some(Temporality::Cumulative) => 2,
        None => 0,
    };
    let data = json!({ "dataPoints": points });
    let (key, mut data) = match p.kind {
        MetricKind::Gauge | MetricKind::Summary => ("gauge", data),
        MetricKind::Counter | MetricKind::UpDownCounter => {
            let mut d = data;
            d["isMonotonic"] = (p.kind == MetricKind::Counter).into();
            ("sum", d)
        }
        MetricKind::Histogram => ("histogram", data),
        MetricKind::ExponentialHistogram => ("exponentialHistogram", data),
    };
    if key != "gauge" && temporality != 0 {
        data["aggregationTemporality"] = temporality.into();
    }
    let mut o = Map::new();
    o.insert("name".into(), p.name.clone().into());
    if !p.unit.is_empty() {
        o.insert("unit".into(), p.unit.clone().into());
    }
    if !p.description.is_empty() {
        o.insert("description".into(), p.description.clone().into());
    }
    o.insert(key.into(), data);
    Json::Object(o)
}

fn point(p: &MetricPoint) -> Json {
    let mut o = Map::new();
    o.insert("attributes".into(), attributes(&p.attributes));
    if let Some(t) = p.start_ns {
        o.insert("startTimeUnixNano".into(), nanos(t));
    }
    o.insert("timeUnixNano".into(), nanos(p.time_ns));
    let counts = |c: &[u64]| Json::Array(c.iter().map(|n| Json::String(n.to_string())).collect());
    match &p.value {
        PointValue::Int(i) => {
            o.insert("asInt".into(), i.to_string().into());
        }
        PointValue::Double(d) => {
            o.insert("asDouble".into(), double(*d));
        }
        PointValue::Histogram { count, sum, min, max, bounds, counts: buckets } => {
            o.insert("count".into(), count.to_string().into());
            optional(&mut o, "sum", *sum);
            optional(&mut o, "min", *min);
            optional(&mut o, "max", *max);
            o.insert("bucketCounts".into(), counts(buckets));
            o.insert("explicitBounds".into(), bounds.iter().map(|b| double(*b)).collect());
        }
        PointValue::ExponentialHistogram {
            count,
            sum,
            min,
            max,
            scale,
            zero_count,
            positive_offset,
            positive,
            negative_offset,
            negative,
        } => {
            o.insert("count".into(), count.to_string().into());
            optional(&mut o, "sum", *sum);
            optional(&mut o, "min", *min);
            optional(&mut o, "max", *max);
            o.insert("scale".into(), (*scale).into());
            o.insert("zeroCount".into(), zero_count.to_string().into());
            o.insert("positive".into(), json!({ "offset": positive_offset, "bucketCounts": counts(positive) }));
            o.insert("negative".into(), json!({ "offset": negative_offset, "bucketCounts": counts(negative) }));
        }
    }
    Json::Object(o)
}

fn optional(o: &mut Map<String, Json>, key: &str, v: Option<f64>) {
    if let Some(v) = v {
        o.insert(key.into(), double(v));
    }
}

/// A double as the protobuf JSON mapping writes it: a number, or `"NaN"`, `"Infinity"`,
/// `"-Infinity"`.
fn double(d: f64) -> Json {
    match serde_json::Number::from_f64(d) {
        Some(n) => Json::Number(n),
        None if d.is_nan() => "NaN".into(),
        None if d > 0.0 => "Infinity".into(),
        None => "-Infinity".into(),
    }
}

fn attributes(attrs: &[(String, Value)]) -> Json {
    attrs.iter().map(|(k, v)| json!({ "key": k, "value": any_value(v) })).collect()
}

/// An attribute value as an OTLP `AnyValue`. An integer too big for 64 bits keeps its digits as a
/// string (an `intValue` must fit in int64).
pub(crate) fn any_value(v: &Value) -> Json {
    match v {
        Value::Str(s) | Value::BigInt(s) => json!({ "stringValue": s }),
        Value::Int(i) => json!({ "intValue": i.to_string() }),
        Value::Double(d) => json!({ "doubleValue": double(*d) }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Array(items) => json!({ "arrayValue": { "values": items.iter().map(any_value).collect::<Vec<_>>() } }),
        Value::Map(kvs) => json!({ "kvlistValue": { "values": attributes(kvs) } }),
        Value::Empty => json!({}),
    }
}
