//! OTLP JSON text written straight from records: one export request per line, no tree of JSON
//! values built first (building and dropping that tree was three quarters of `--to otlp-json`).
//! Keys come in the order serde_json's sorted map gave them when the text was built as a tree, so
//! the text is the same byte for byte; strings are escaped and doubles formatted by serde_json.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::model::{
    LogRecord, MetricKind, MetricPoint, PointValue, Resource, Scope, Span, SpanKind, StatusCode, Temporality, Value,
    span_hex, trace_hex,
};

/// One JSON object being written: its keys, each after a comma but the first.
struct Obj<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Obj<'o> {
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, first: true }
    }

    /// Writes `"key":` (keys are plain names, nothing to escape) and gives the text to write the
    /// value into.
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    // Into memory: cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// An integer as OTLP JSON writes 64-bit ones: a decimal string.
fn quoted(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.push(b'"');
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.push(b'"');
}

fn number(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A double as the protobuf JSON mapping writes it: a number, or `"NaN"`, `"Infinity"`,
/// `"-Infinity"`.
fn double(out: &mut Vec<u8>, d: f64) {
    let text: &[u8] = match d {
        d if d.is_finite() => {
            let _ = serde_json::to_writer(&mut *out, &d);
            return;
        }
        d if d.is_nan() => b"\"NaN\"",
        d if d > 0.0 => b"\"Infinity\"",
        _ => b"\"-Infinity\"",
    };
    out.extend_from_slice(text);
}

/// `[item, item, ...]`.
fn list<T>(out: &mut Vec<u8>, items: impl IntoIterator<Item = T>, mut write: impl FnMut(&mut Vec<u8>, T)) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

pub(super) fn spans_line(spans: &[Span], out: &mut Vec<u8>) {
    let grouped = groups(spans, |s| (&s.resource, s.scope.as_deref()));
    request(out, ["resourceSpans", "scopeSpans", "spans"], &grouped, |out, spans| {
        list(out, spans.iter(), |out, s| span(out, s))
    });
}

pub(super) fn logs_line(logs: &[LogRecord], out: &mut Vec<u8>) {
    let grouped = groups(logs, |l| (&l.resource, l.scope.as_deref()));
    request(out, ["resourceLogs", "scopeLogs", "logRecords"], &grouped, |out, logs| {
        list(out, logs.iter(), |out, l| log(out, l))
    });
}

pub(super) fn points_line(points: &[MetricPoint], out: &mut Vec<u8>) {
    let grouped = groups(points, |p| (&p.resource, p.scope.as_deref()));
    request(out, ["resourceMetrics", "scopeMetrics", "metrics"], &grouped, metrics);
}

/// Records by resource and, inside, by scope.
type Grouped<'a, T> = Vec<(&'a Resource, Vec<(Option<&'a Scope>, Vec<&'a T>)>)>;

/// Records grouped by resource (equal resources are one group) and, inside, by scope, in the
/// order they were read.
fn groups<'a, T>(records: &'a [T], key: impl Fn(&'a T) -> (&'a Arc<Resource>, Option<&'a Scope>)) -> Grouped<'a, T> {
    let mut out: Grouped<'a, T> = Vec::new();
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
            Some((_, items)) => items.push(r),
            None => scopes.push((scope, vec![r])),
        }
    }
    out
}

/// One export request of a signal (`keys`: its resource groups', scope groups' and records'
/// keys) with its resource groups of records, and its line break.
fn request<T>(
    out: &mut Vec<u8>,
    [resources_key, scopes_key, records_key]: [&str; 3],
    grouped: &Grouped<'_, T>,
    records: impl Fn(&mut Vec<u8>, &[&T]),
) {
    let mut doc = Obj::open(out);
    list(doc.key(resources_key), grouped, |out, (resource, scopes)| {
        let mut group = Obj::open(out);
        let mut res = Obj::open(group.key("resource"));
        attributes(res.key("attributes"), &resource.attributes);
        res.close();
        list(group.key(scopes_key), scopes, |out, (scope, items)| {
            let mut o = Obj::open(out);
            // Sorted keys: `logRecords` and `metrics` before `scope`, `spans` after it.
            let scope_first = "scope" < records_key;
            if !scope_first {
                records(o.key(records_key), items);
            }
            let mut s = Obj::open(o.key("scope"));
            if let Some(scope) = scope {
                if !scope.name.is_empty() {
                    string(s.key("name"), &scope.name);
                }
                if !scope.version.is_empty() {
                    string(s.key("version"), &scope.version);
                }
            }
            s.close();
            if scope_first {
                records(o.key(records_key), items);
            }
            o.close();
        });
        group.close();
    });
    doc.close();
    out.push(b'\n');
}

fn span(out: &mut Vec<u8>, s: &Span) {
    let kind = match s.kind {
        SpanKind::Unspecified => 0,
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    };
    let mut o = Obj::open(out);
    attributes(o.key("attributes"), &s.attributes);
    quoted(o.key("endTimeUnixNano"), s.end_ns);
    if !s.events.is_empty() {
        list(o.key("events"), &s.events, |out, e| {
            let mut ev = Obj::open(out);
            attributes(ev.key("attributes"), &e.attributes);
            string(ev.key("name"), &e.name);
            quoted(ev.key("timeUnixNano"), e.time_ns);
            ev.close();
        });
    }
    number(o.key("kind"), kind);
    if !s.links.is_empty() {
        list(o.key("links"), &s.links, |out, l| {
            let mut link = Obj::open(out);
            attributes(link.key("attributes"), &l.attributes);
            string(link.key("spanId"), &span_hex(l.span_id));
            string(link.key("traceId"), &trace_hex(l.trace_id));
            if let Some(state) = &l.trace_state {
                string(link.key("traceState"), state);
            }
            link.close();
        });
    }
    string(o.key("name"), &s.name);
    if let Some(parent) = s.parent_span_id {
        string(o.key("parentSpanId"), &span_hex(parent));
    }
    string(o.key("spanId"), &span_hex(s.span_id));
    quoted(o.key("startTimeUnixNano"), s.start_ns);
    let mut status = Obj::open(o.key("status"));
    let code = match s.status {
        StatusCode::Unset => 0,
        StatusCode::Ok => 1,
        StatusCode::Error => 2,
    };
    if code != 0 {
        number(status.key("code"), code);
    }
    if let Some(m) = &s.status_message {
        string(status.key("message"), m);
    }
    status.close();
    string(o.key("traceId"), &trace_hex(s.trace_id));
    if let Some(state) = &s.trace_state {
        string(o.key("traceState"), state);
    }
    o.close();
}

fn log(out: &mut Vec<u8>, l: &LogRecord) {
    let mut o = Obj::open(out);
    attributes(o.key("attributes"), &l.attributes);
    any_value(o.key("body"), &l.body);
    if let Some(t) = l.observed_time_ns {
        quoted(o.key("observedTimeUnixNano"), t);
    }
    if let Some(n) = l.severity_number {
        number(o.key("severityNumber"), n);
    }
    if let Some(t) = &l.severity_text {
        string(o.key("severityText"), t);
    }
    if let Some(s) = l.span_id {
        string(o.key("spanId"), &span_hex(s));
    }
    if let Some(t) = l.time_ns {
        quoted(o.key("timeUnixNano"), t);
    }
    if let Some(t) = l.trace_id {
        string(o.key("traceId"), &trace_hex(t));
    }
    o.close();
}

/// Points of one scope as metrics: points of one metric (name, kind, temporality) share its
/// entry, in the order each metric was first seen.
fn metrics(out: &mut Vec<u8>, points: &[&MetricPoint]) {
    let mut grouped: Vec<(&MetricPoint, Vec<&MetricPoint>)> = Vec::new();
    for p in points {
        let same = |q: &MetricPoint| q.name == p.name && q.kind == p.kind && q.temporality == p.temporality;
        match grouped.iter_mut().find(|(first, _)| same(first)) {
            Some((_, list)) => list.push(p),
            None => grouped.push((p, vec![p])),
        }
    }
    list(out, &grouped, |out, (first, points)| metric(out, first, points));
}

fn metric(out: &mut Vec<u8>, p: &MetricPoint, points: &[&MetricPoint]) {
    let temporality = match p.temporality {
        Some(Temporality::Delta) => 1,
        Some(Temporality::Cumulative) => 2,
        None => 0,
    };
    let key = match p.kind {
        MetricKind::Gauge | MetricKind::Summary => "gauge",
        MetricKind::Counter | MetricKind::UpDownCounter => "sum",
        MetricKind::Histogram => "histogram",
        MetricKind::ExponentialHistogram => "exponentialHistogram",
    };
    let data = |out: &mut Vec<u8>| {
        let mut d = Obj::open(out);
        if key != "gauge" && temporality != 0 {
            number(d.key("aggregationTemporality"), temporality);
        }
        list(d.key("dataPoints"), points, |out, p| point(out, p));
        if key == "sum" {
            d.key("isMonotonic").extend_from_slice(if p.kind == MetricKind::Counter { b"true" } else { b"false" });
        }
        d.close();
    };
    let mut o = Obj::open(out);
    if !p.description.is_empty() {
        string(o.key("description"), &p.description);
    }
    // Sorted keys: the data's key before `name` but for `sum`.
    if key != "sum" {
        data(o.key(key));
    }
    string(o.key("name"), &p.name);
    if key == "sum" {
        data(o.key(key));
    }
    if !p.unit.is_empty() {
        string(o.key("unit"), &p.unit);
    }
    o.close();
}

fn point(out: &mut Vec<u8>, p: &MetricPoint) {
    let mut o = Obj::open(out);
    let counts = |out: &mut Vec<u8>, c: &[u64]| list(out, c, |out, n| quoted(out, *n));
    let optional = |o: &mut Obj, key: &str, v: Option<f64>| {
        if let Some(v) = v {
            double(o.key(key), v);
        }
    };
    // Keys in sorted order: asDouble, asInt, attributes, bucketCounts, count, explicitBounds,
    // max, min, negative, positive, scale, startTimeUnixNano, sum, timeUnixNano, zeroCount.
    match &p.value {
        PointValue::Double(d) => double(o.key("asDouble"), *d),
        PointValue::Int(i) => quoted(o.key("asInt"), *i),
        _ => {}
    }
    attributes(o.key("attributes"), &p.attributes);
    match &p.value {
        PointValue::Histogram { count, min, max, bounds, counts: buckets, .. } => {
            counts(o.key("bucketCounts"), buckets);
            quoted(o.key("count"), *count);
            list(o.key("explicitBounds"), bounds, |out, b| double(out, *b));
            optional(&mut o, "max", *max);
            optional(&mut o, "min", *min);
        }
        PointValue::ExponentialHistogram {
            count,
            min,
            max,
            scale,
            negative_offset,
            negative,
            positive_offset,
            positive,
            ..
        } => {
            quoted(o.key("count"), *count);
            optional(&mut o, "max", *max);
            optional(&mut o, "min", *min);
            for (key, offset, buckets) in
                [("negative", negative_offset, negative), ("positive", positive_offset, positive)]
            {
                let mut side = Obj::open(o.key(key));
                counts(side.key("bucketCounts"), buckets);
                number(side.key("offset"), *offset);
                side.close();
            }
            number(o.key("scale"), *scale);
        }
        _ => {}
    }
    if let Some(t) = p.start_ns {
        quoted(o.key("startTimeUnixNano"), t);
    }
    if let PointValue::Histogram { sum, .. } | PointValue::ExponentialHistogram { sum, .. } = &p.value {
        optional(&mut o, "sum", *sum);
    }
    quoted(o.key("timeUnixNano"), p.time_ns);
    if let PointValue::ExponentialHistogram { zero_count, .. } = &p.value {
        quoted(o.key("zeroCount"), *zero_count);
    }
    o.close();
}

fn attributes(out: &mut Vec<u8>, attrs: &[(String, Value)]) {
    list(out, attrs, |out, (k, v)| {
        let mut o = Obj::open(out);
        string(o.key("key"), k);
        any_value(o.key("value"), v);
        o.close();
    });
}

/// How deep attribute values are written as nested `AnyValue`s: each level is three or four
/// levels of JSON, under the thirteen of a metric point's attributes, and readers of OTLP JSON
/// stop at 128 (serde_json's limit, otelgrep's own reader's): a value nested deeper (a Python
/// attribute can be) is written as its text, so that its record is read back.
pub(crate) const NESTING: usize = 24;

/// Values written as their text for being nested deeper than [`NESTING`] (said once an export
/// ends).
pub(crate) static AS_TEXT: AtomicUsize = AtomicUsize::new(0);

/// An attribute value as an OTLP `AnyValue`. An integer too big for 64 bits keeps its digits as a
/// string (an `intValue` must fit in int64).
pub(crate) fn any_value(out: &mut Vec<u8>, v: &Value) {
    any_value_at(out, v, 0);
}

fn any_value_at(out: &mut Vec<u8>, v: &Value, level: usize) {
    let mut o = Obj::open(out);
    match v {
        Value::Str(s) | Value::BigInt(s) => string(o.key("stringValue"), s),
        Value::Int(i) => quoted(o.key("intValue"), *i),
        Value::Double(d) => double(o.key("doubleValue"), *d),
        Value::Bool(b) => o.key("boolValue").extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Array(_) | Value::Map(_) if level >= NESTING => {
            AS_TEXT.fetch_add(1, Ordering::Relaxed);
            string(o.key("stringValue"), &v.to_string());
        }
        Value::Array(items) => {
            let mut a = Obj::open(o.key("arrayValue"));
            list(a.key("values"), items, |out, item| any_value_at(out, item, level + 1));
            a.close();
        }
        Value::Map(kvs) => {
            let mut m = Obj::open(o.key("kvlistValue"));
            list(m.key("values"), kvs, |out, (k, v)| {
                let mut kv = Obj::open(out);
                string(kv.key("key"), k);
                any_value_at(kv.key("value"), v, level + 1);
                kv.close();
            });
            m.close();
        }
        Value::Empty => {}
    }
    o.close();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{self, Collected};

    /// Every record of captures with every kind of value (events, links, statuses, log bodies,
    /// every metric point type, NaN and infinities, nested arrays and maps) is written as JSON
    /// text that serde_json reads and writes back unchanged: valid, compact, keys in sorted order
    /// (the text the tree-built export gave).
    #[test]
    fn text_is_what_serde_json_writes_for_it() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let mut lines = 0;
        for f in [
            "../samples/todo/todo-default.log",
            "../../shared/samples/node-console/sdk-node-0.223_trace-base-2.12.1.txt",
            "../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl",
            "../../shared/conformance/otlp-proto-examples_metrics.json",
            "../../shared/conformance/python-sdk_metricsdata-to_json-compact.txt",
            "tests/fixtures/python-nan-surrogate-bigint.log",
        ] {
            let bytes = std::fs::read(format!("{dir}/{f}")).unwrap();
            let (_, c) = parse::ingest::<Collected>(f, &bytes, &(), None, &|_, _| {}).unwrap();
            assert!(!c.spans.is_empty() || !c.logs.is_empty() || !c.points.is_empty(), "{f}");
            let mut out = Vec::new();
            spans_line(&c.spans, &mut out);
            logs_line(&c.logs, &mut out);
            points_line(&c.points, &mut out);
            for line in String::from_utf8(out).unwrap().lines() {
                let tree: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{f}: {e}: {line}"));
                assert_eq!(serde_json::to_string(&tree).unwrap(), line, "{f}");
                lines += 1;
            }
        }
        assert!(lines >= 18, "{lines} lines");
    }
}
