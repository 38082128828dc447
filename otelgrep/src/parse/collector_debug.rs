//! The OpenTelemetry Collector's `debug` exporter at `verbosity: detailed` (formerly `logging`;
//! see shared/FORMATS.md §5): `ResourceSpans #i` / `ResourceMetrics #i` / `ResourceLog #i` trees,
//! usually inside a zap log entry (`TIME\tlevel\tResourceSpans #0` ... then a context line that
//! starts with a TAB and `{`).
//!
//! [`Framer`] assigns lines to records (`Span #n`, `Metric #n`, `LogRecord #n`) and keeps the
//! current resource and scope; the `parse_*` functions read one record. Values print as
//! `Str(text)` with the text raw: a value with newlines continues on the following lines, which
//! the framer keeps with the record and the parser joins back.

use std::sync::Arc;

use super::time::parse_utc;
use super::{Needs, ParseErrorKind, RecordError, RecordLines, Resources, Signal};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Scope, Span, SpanKind,
    StatusCode, Temporality, Value, trace_state,
};

/// Strips zap's `2025-04-17T10:40:44.560+0200\tinfo\t` from the first line of an entry.
pub fn strip_zap_prefix(line: &str) -> &str {
    let mut parts = line.splitn(3, '\t');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(time), Some(level), Some(rest))
            if time.len() >= 19 && time.as_bytes()[4] == b'-' && level.bytes().all(|b| b.is_ascii_lowercase()) =>
        {
            rest
        }
        _ => line,
    }
}

/// The header that opens a tree, with its signal.
pub fn tree_start(line: &str) -> Option<Signal> {
    // Called on every line outside a tree: reject cheaply. A header starts with `R`, or with
    // zap's timestamp (a digit).
    let line = match line.as_bytes().first() {
        Some(b'R') => line,
        Some(b'0'..=b'9') => strip_zap_prefix(line),
        _ => return None,
    };
    let (signal, rest) = if let Some(r) = line.strip_prefix("ResourceSpans #") {
        (Signal::Spans, r)
    } else if let Some(r) = line.strip_prefix("ResourceMetrics #") {
        (Signal::Metrics, r)
    } else if let Some(r) = line.strip_prefix("ResourceLog #") {
        (Signal::Logs, r)
    } else {
        return None;
    };
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())).then_some(signal)
}

/// Assigns lines to records while inside a tree.
#[derive(Debug, Default)]
pub struct Framer<'a> {
    /// Inside a tree, and which.
    signal: Option<Signal>,
    resource_lines: Option<Vec<&'a str>>,
    resource: Arc<Resource>,
    scope: Option<Arc<Scope>>,
    current: Option<RecordLines<'a>>,
    /// Metrics trees seen (one per export batch).
    pub metric_exports: usize,
    /// Finished records.
    pub done: Vec<RecordLines<'a>>,
}

impl<'a> Framer<'a> {
    /// A line of the input, offered before any other framer sees it (trees share `Span #n` and
    /// `Metric #n` with Rust text): `None` when no tree is open and the line opens none; else
    /// whether the tree took it (one that does not is ended by it). Records the tree finished
    /// are in `done`.
    pub fn offer(&mut self, line: &'a str, n: u64, resources: &mut Resources) -> Option<bool> {
        if !self.active() && tree_start(line).is_none() {
            return None;
        }
        let taken = self.feed(line, n, resources);
        if !taken {
            self.finish(resources);
        }
        Some(taken)
    }

    /// Whether the framer is inside a tree (and so wants the next line).
    pub fn active(&self) -> bool {
        self.signal.is_some()
    }

    /// Feeds a line; `false` when the line ends the tree (it is then not consumed).
    pub fn feed(&mut self, line: &'a str, n: u64, resources: &mut Resources) -> bool {
        if let Some(signal) = tree_start(line) {
            self.finish(resources);
            if signal == Signal::Metrics {
                self.metric_exports += 1;
            }
            self.signal = Some(signal);
            self.resource = resources.intern(Resource::default());
            self.scope = None;
            return true;
        }
        let Some(signal) = self.signal else { return false };
        // zap's context line closes the entry: `\t{"otelcol.component.id": ...}`.
        if line.starts_with("\t{") {
            self.finish(resources);
            return true;
        }
        if line == "Resource attributes:" {
            self.resource_lines = Some(Vec::new());
            return true;
        }
        if let Some(res) = &mut self.resource_lines {
            if line.starts_with("     -> ") {
                res.push(line);
                return true;
            }
            let lines = self.resource_lines.take().unwrap_or_default();
            self.resource = resources.intern(Resource { attributes: attributes(&lines, "     -> ") });
        }
        if line.starts_with("Resource SchemaURL:")
            || line.starts_with("ScopeSpans #")
            || line.starts_with("ScopeMetrics #")
            || line.starts_with("ScopeLogs #")
            || line.starts_with("ScopeSpans SchemaURL:")
            || line.starts_with("ScopeMetrics SchemaURL:")
            || line.starts_with("ScopeLogs SchemaURL:")
        {
            self.end_record();
            return true;
        }
        if let Some(scope) = line.strip_prefix("InstrumentationScope ") {
            self.end_record();
            // `InstrumentationScope NAME VERSION` (`"%s %s"`: both may be empty). A name may hold
            // a space, a version does not (semver): the last space parts them.
            let (name, version) = scope.rsplit_once(' ').unwrap_or((scope, ""));
            self.scope = Scope::new(name, version);
            return true;
        }
        let starts = match signal {
            Signal::Spans => line.strip_prefix("Span #"),
            Signal::Metrics => line.strip_prefix("Metric #"),
            Signal::Logs => line.strip_prefix("LogRecord #"),
        };
        if starts.is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit())) {
            self.end_record();
            self.current = Some(RecordLines {
                signal,
                line: n,
                lines: vec![line],
                resource: self.resource.clone(),
                scope: self.scope.clone(),
            });
            return true;
        }
        // A record takes the lines after it (a value with line breaks goes on at column 0), but
        // not another zap entry or a Rust block header: a tree cut short (a Collector killed
        // mid-entry) ends there, and a capture appended after it is read (it took a whole Rust
        // capture after it, 76 records skipped; found by a new-user check).
        if strip_zap_prefix(line).len() != line.len() || matches!(line, "Spans" | "Metrics" | "Logs" | "Resource") {
            return false;
        }
        match &mut self.current {
            Some(rec) => {
                rec.lines.push(line);
                true
            }
            // Between the headers and the first record: something else.
            None => false,
        }
    }

    fn end_record(&mut self) {
        if let Some(rec) = self.current.take() {
            self.done.push(rec);
        }
    }

    /// Ends the current tree.
    pub fn finish(&mut self, resources: &mut Resources) {
        if let Some(lines) = self.resource_lines.take() {
            self.resource = resources.intern(Resource { attributes: attributes(&lines, "     -> ") });
        }
        self.end_record();
        self.signal = None;
    }
}

fn invalid(offset: usize, msg: impl Into<String>) -> RecordError {
    RecordError { offset_lines: offset as u64, kind: ParseErrorKind::Invalid(msg.into()) }
}

/// `Str(text)`, `Int(5)`, `Double(0.5)`, `Bool(true)`, `Map({...})`, `Slice([...])`,
/// `Bytes(base64)`, `Empty()`; up to v0.61 also `STRING(...)`, `INT(...)`.
pub fn parse_value(text: &str) -> Value {
    let Some((tag, rest)) = text.split_once('(') else { return Value::Str(text.to_string()) };
    let inner = rest.strip_suffix(')').unwrap_or(rest);
    match tag {
        "Str" | "STRING" | "Bytes" | "BYTES" => Value::Str(inner.to_string()),
        "Int" | "INT" => inner.parse().map_or_else(|_| Value::BigInt(inner.to_string()), Value::Int),
        "Double" | "DOUBLE" => Value::Double(match inner {
            "NaN" => f64::NAN,
            "Infinity" | "+Inf" => f64::INFINITY,
            "-Infinity" | "-Inf" => f64::NEG_INFINITY,
            d => d.parse().unwrap_or(f64::NAN),
        }),
        "Bool" | "BOOL" => Value::Bool(inner == "true"),
        "Empty" => Value::Empty,
        // Maps and slices print as JSON.
        "Map" | "Slice" | "MAP" | "ARRAY" => match serde_json::from_str::<serde_json::Value>(inner) {
            Ok(v) => json(v),
            Err(_) => Value::Str(inner.to_string()),
        },
        _ => Value::Str(text.to_string()),
    }
}

fn json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Empty,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            n.as_i64().map_or_else(|| Value::Double(n.as_f64().unwrap_or(f64::NAN)), Value::Int)
        }
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::Array(a.into_iter().map(json).collect()),
        serde_json::Value::Object(m) => Value::Map(m.into_iter().map(|(k, v)| (k, json(v))).collect()),
    }
}

/// Attribute lines `<prefix>key: Type(value)`, a value's extra lines joined back with `\n`.
fn attributes(lines: &[&str], prefix: &str) -> Attributes {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in lines {
        match l.strip_prefix(prefix).and_then(|kv| kv.split_once(": ")) {
            Some((k, v)) => out.push((k.to_string(), v.to_string())),
            None => {
                if let Some((_, v)) = out.last_mut() {
                    v.push('\n');
                    v.push_str(l);
                }
            }
        }
    }
    out.into_iter().map(|(k, v)| (k, parse_value(&v))).collect()
}

/// Go's `time.String()` in UTC: `2025-04-17 08:40:44.555461596 +0000 UTC`; the zero time
/// (`1970-01-01 00:00:00 +0000 UTC`) means "not set".
fn time(v: &str) -> Option<i64> {
    let t = parse_utc(v.strip_suffix(" +0000 UTC").unwrap_or(v))?;
    (t != 0).then_some(t)
}

/// Splits a record into its own field lines and its sections (`Attributes:`, `Events:`, ...),
/// each section a list of lines.
fn sections<'a>(lines: &[&'a str]) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = vec![("", Vec::new())];
    for l in &lines[1..] {
        let is_header = !l.starts_with(' ') && l.ends_with(':') && !l.contains(": ");
        let is_item = l.starts_with("SpanEvent #") || l.starts_with("SpanLink #") || l.starts_with("Exemplar #");
        if is_header || is_item {
            out.push((l, Vec::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push(l);
        }
    }
    out
}

/// `    Label          : value` lines of a span.
fn field<'a>(lines: &[&'a str], label: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| {
        let (k, v) = l.trim_start().split_once(':')?;
        (k.trim_end() == label).then(|| v.strip_prefix(' ').unwrap_or(v))
    })
}

/// Parses one `Span #n` record.
pub fn parse_span(rec: &RecordLines, needs: &Needs) -> Result<Span, RecordError> {
    let secs = sections(&rec.lines);
    let own = &secs[0].1;
    let hex = |label: &str| field(own, label).filter(|v| !v.is_empty());
    let trace_id = hex("Trace ID")
        .and_then(|v| u128::from_str_radix(v, 16).ok())
        .ok_or_else(|| invalid(0, "span without a valid Trace ID"))?;
    let span_id =
        hex("ID").and_then(|v| u64::from_str_radix(v, 16).ok()).ok_or_else(|| invalid(0, "span without a valid ID"))?;
    let name = field(own, "Name").ok_or_else(|| invalid(0, "span without Name"))?.to_string();
    let kind = match field(own, "Kind").ok_or_else(|| invalid(0, "span without Kind"))? {
        "Internal" | "SPAN_KIND_INTERNAL" => SpanKind::Internal,
        "Server" | "SPAN_KIND_SERVER" => SpanKind::Server,
        "Client" | "SPAN_KIND_CLIENT" => SpanKind::Client,
        "Producer" | "SPAN_KIND_PRODUCER" => SpanKind::Producer,
        "Consumer" | "SPAN_KIND_CONSUMER" => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    };
    let start = field(own, "Start time").and_then(time).ok_or_else(|| invalid(0, "span without a Start time"))?;
    let end = field(own, "End time").and_then(time).ok_or_else(|| invalid(0, "span without an End time"))?;
    let status = match field(own, "Status code") {
        Some("Ok" | "STATUS_CODE_OK") => StatusCode::Ok,
        Some("Error" | "STATUS_CODE_ERROR") => StatusCode::Error,
        Some(_) => StatusCode::Unset,
        None => return Err(invalid(0, "span without a Status code")),
    };
    let mut span = Span {
        trace_id,
        span_id,
        parent_span_id: hex("Parent ID").and_then(|v| u64::from_str_radix(v, 16).ok()).filter(|&p| p != 0),
        // Printed only when not empty.
        trace_state: field(own, "TraceState").and_then(trace_state),
        name,
        kind,
        start_ns: start,
        end_ns: end,
        status,
        status_message: field(own, "Status message").filter(|m| !m.is_empty()).map(str::to_string),
        attributes: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        resource: rec.resource.clone(),
        scope: rec.scope.clone(),
    };
    let needs = needs.for_span(kind);
    for (header, body) in &secs[1..] {
        if *header == "Attributes:" && needs.attributes {
            span.attributes = attributes(body, "     -> ");
        } else if header.starts_with("SpanEvent #") && needs.events {
            let (own, attrs) = split_nested(body);
            span.events.push(Event {
                name: field(&own, "-> Name").unwrap_or("").to_string(),
                time_ns: field(&own, "-> Timestamp").and_then(time).unwrap_or(0),
                attributes: attributes(&attrs, "          -> "),
            });
        } else if header.starts_with("SpanLink #") && needs.events {
            let (own, attrs) = split_nested(body);
            let trace = field(&own, "-> Trace ID").and_then(|v| u128::from_str_radix(v, 16).ok());
            let id = field(&own, "-> ID").and_then(|v| u64::from_str_radix(v, 16).ok());
            if let (Some(trace_id), Some(span_id)) = (trace, id) {
                let trace_state = field(&own, "-> TraceState").and_then(trace_state);
                let attributes = attributes(&attrs, "          -> ");
                span.links.push(Link { trace_id, span_id, trace_state, attributes });
            }
        }
    }
    Ok(span)
}

/// An event's or link's own `     -> Label: value` lines, and its nested attribute lines.
fn split_nested<'a>(body: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    match body.iter().position(|l| l.trim_start() == "-> Attributes::") {
        Some(i) => (body[..i].to_vec(), body[i + 1..].to_vec()),
        None => (body.to_vec(), Vec::new()),
    }
}

/// Parses one `LogRecord #n` record.
pub fn parse_log(rec: &RecordLines, needs: &Needs) -> Result<LogRecord, RecordError> {
    // Fields come first, then `Attributes:` and its lines, then Trace ID, Span ID and Flags.
    let mut own = Vec::new();
    let mut attrs = Vec::new();
    let mut body_lines: Vec<&str> = Vec::new();
    let mut in_attrs = false;
    let mut in_body = false;
    for l in &rec.lines[1..] {
        if *l == "Attributes:" {
            in_attrs = true;
            in_body = false;
        } else if let Some(b) = l.strip_prefix("Body: ") {
            body_lines.push(b);
            in_body = true;
        } else if in_attrs && l.starts_with("     ") {
            attrs.push(*l);
        } else if [
            "ObservedTimestamp:",
            "Timestamp:",
            "SeverityText:",
            "SeverityNumber:",
            "EventName:",
            "Trace ID:",
            "Span ID:",
            "Flags:",
        ]
        .iter()
        .any(|p| l.starts_with(p))
        {
            in_attrs = false;
            in_body = false;
            own.push(*l);
        } else if in_body {
            body_lines.push(l);
        } else if in_attrs {
            attrs.push(l);
        }
    }
    let get = |label: &str| own.iter().find_map(|l| l.strip_prefix(label)).map(str::trim_start);
    if get("Flags:").is_none() {
        return Err(invalid(0, "log record without its closing Flags line"));
    }
    // `SeverityNumber: Info(9)`
    let severity_number = get("SeverityNumber:")
        .and_then(|v| v.split_once('(')?.1.strip_suffix(')')?.parse::<u8>().ok())
        .filter(|&n| n != 0);
    Ok(LogRecord {
        time_ns: get("Timestamp:").and_then(time),
        observed_time_ns: get("ObservedTimestamp:").and_then(time),
        severity_number,
        severity_text: get("SeverityText:").filter(|s| !s.is_empty()).map(str::to_string),
        body: if needs.bodies { parse_value(&body_lines.join("\n")) } else { Value::Empty },
        attributes: if needs.attributes { attributes(&attrs, "     -> ") } else { Vec::new() },
        trace_id: get("Trace ID:").and_then(|v| u128::from_str_radix(v, 16).ok()).filter(|&t| t != 0),
        span_id: get("Span ID:").and_then(|v| u64::from_str_radix(v, 16).ok()).filter(|&s| s != 0),
        resource: rec.resource.clone(),
        scope: rec.scope.clone(),
    })
}

/// Parses one `Metric #n` record into its points.
pub fn parse_metric(rec: &RecordLines, needs: &Needs) -> Result<Vec<MetricPoint>, RecordError> {
    let d = |label: &str| rec.lines.iter().find_map(|l| l.strip_prefix(label));
    let name = d("     -> Name: ").ok_or_else(|| invalid(0, "metric without a Name"))?.to_string();
    let data_type = d("     -> DataType: ").ok_or_else(|| invalid(0, "metric without a DataType"))?;
    let kind = match (data_type, d("     -> IsMonotonic: ")) {
        ("Gauge", _) => MetricKind::Gauge,
        ("Sum", Some("false")) => MetricKind::UpDownCounter,
        ("Sum", _) => MetricKind::Counter,
        ("Histogram", _) => MetricKind::Histogram,
        ("ExponentialHistogram", _) => MetricKind::ExponentialHistogram,
        ("Summary", _) => MetricKind::Summary,
        (other, _) => return Err(invalid(0, format!("metric {name:?}: unknown DataType {other:?}"))),
    };
    let temporality = match d("     -> AggregationTemporality: ") {
        Some("Cumulative") => Some(Temporality::Cumulative),
        Some("Delta") => Some(Temporality::Delta),
        _ => None,
    };
    let mut out = Vec::new();
    let mut point: Option<(usize, Vec<&str>)> = None;
    let is_point = |l: &str| {
        ["NumberDataPoints #", "HistogramDataPoints #", "ExponentialHistogramDataPoints #", "SummaryDataPoints #"]
            .iter()
            .any(|p| l.starts_with(p))
    };
    let finish = |p: Option<(usize, Vec<&str>)>, out: &mut Vec<MetricPoint>| -> Result<(), RecordError> {
        let Some((offset, lines)) = p else { return Ok(()) };
        let f = |label: &str| lines.iter().find_map(|l| l.strip_prefix(label));
        let num = |label: &str| f(label).and_then(|v| v.parse::<f64>().ok());
        let count = || f("Count: ").and_then(|v| v.parse::<u64>().ok());
        let value = match kind {
            MetricKind::Histogram => PointValue::Histogram {
                count: count().ok_or_else(|| invalid(offset, "histogram point without Count"))?,
                sum: num("Sum: "),
                min: num("Min: "),
                max: num("Max: "),
                bounds: lines
                    .iter()
                    .filter(|l| l.starts_with("ExplicitBounds #"))
                    .filter_map(|l| l.split_once(": ")?.1.parse().ok())
                    .collect(),
                counts: lines
                    .iter()
                    .filter(|l| l.starts_with("Buckets #"))
                    .filter_map(|l| l.split_once("Count: ")?.1.parse().ok())
                    .collect(),
            },
            MetricKind::ExponentialHistogram => {
                // Buckets print as value ranges; keep their counts in order (positive side).
                let positive = lines
                    .iter()
                    .filter(|l| l.starts_with("Bucket (") || l.starts_with("Bucket [0"))
                    .filter_map(|l| l.rsplit_once("Count: ")?.1.parse().ok())
                    .collect();
                PointValue::ExponentialHistogram {
                    count: count().ok_or_else(|| invalid(offset, "histogram point without Count"))?,
                    sum: num("Sum: "),
                    min: num("Min: "),
                    max: num("Max: "),
                    scale: 0,
                    zero_count: 0,
                    positive_offset: 0,
                    positive,
                    negative_offset: 0,
                    negative: lines
                        .iter()
                        .filter(|l| l.starts_with("Bucket [-"))
                        .filter_map(|l| l.rsplit_once("Count: ")?.1.parse().ok())
                        .collect(),
                }
            }
            // A summary's quantiles are not modelled yet: keep its sum.
            MetricKind::Summary => PointValue::Double(num("Sum: ").unwrap_or(f64::NAN)),
            _ => {
                let v = f("Value: ").ok_or_else(|| invalid(offset, "data point without Value"))?;
                // Doubles print with `%f` (six decimals): an integer has no dot.
                match v.parse::<i64>() {
                    Ok(i) => PointValue::Int(i),
                    Err(_) => PointValue::Double(v.parse().map_err(|_| invalid(offset, format!("bad Value {v:?}")))?),
                }
            }
        };
        let attr_lines: Vec<&str> = match lines.iter().position(|l| *l == "Data point attributes:") {
            Some(i) => lines[i + 1..].iter().take_while(|l| l.starts_with("     ")).copied().collect(),
            None => Vec::new(),
        };
        out.push(MetricPoint {
            name: needs.point_label(&name),
            unit: needs.point_detail(d("     -> Unit: ").unwrap_or("")),
            description: needs.point_detail(d("     -> Description: ").unwrap_or("")),
            kind,
            temporality,
            start_ns: f("StartTimestamp: ").and_then(time),
            time_ns: f("Timestamp: ").and_then(time).ok_or_else(|| invalid(offset, "data point without Timestamp"))?,
            attributes: if needs.attributes { attributes(&attr_lines, "     -> ") } else { Vec::new() },
            value,
            resource: rec.resource.clone(),
            scope: rec.scope.clone(),
        });
        Ok(())
    };
    for (i, l) in rec.lines.iter().enumerate() {
        if is_point(l) {
            finish(point.take(), &mut out)?;
            point = Some((i, Vec::new()));
        } else if let Some((_, lines)) = &mut point {
            lines.push(l);
        }
    }
    finish(point, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zap_prefix_and_values() {
        assert_eq!(strip_zap_prefix("2025-04-17T10:40:44.560+0200\tinfo\tResourceSpans #0"), "ResourceSpans #0");
        assert_eq!(tree_start("2025-04-17T10:40:44.560+0200\tinfo\tResourceLog #3"), Some(Signal::Logs));
        assert_eq!(tree_start("ResourceSpans #"), None);
        assert_eq!(parse_value("Str(a: b)"), Value::Str("a: b".into()));
        assert_eq!(parse_value("Int(5)"), Value::Int(5));
        assert_eq!(parse_value("Slice([\"a\",1])"), Value::Array(vec![Value::Str("a".into()), Value::Int(1)]));
        assert_eq!(time("2025-04-17 08:40:44.555461596 +0000 UTC"), Some(1_744_879_244_555_461_596));
        assert_eq!(time("1970-01-01 00:00:00 +0000 UTC"), None);
    }
}
