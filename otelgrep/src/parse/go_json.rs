//! Go's `stdouttrace`, `stdoutmetric` and `stdoutlog` exporters: one JSON object per span, per
//! metrics export or per log record, compact (one line) or pretty-printed (`WithPrettyPrint`, TAB
//! indentation; any indentation is accepted), with PascalCase keys (see shared/FORMATS.md §7).
//!
//! The first key tells which: `Name` a span, `Resource` a metrics export, `Timestamp`,
//! `ObservedTimestamp`, `EventName` or `Severity` a log record. A metric's type is not named:
//! `Bounds` makes a histogram, `Scale` an exponential one, `IsMonotonic` a sum, neither a gauge.
//! Layouts follow the exporters' own test expectations (opentelemetry-go
//! `exporters/stdout/stdoutmetric/example_test.go`, `stdoutlog/exporter_test.go`): no real capture
//! of metrics or logs exists here yet. Go's zero time (`0001-01-01T00:00:00Z`, printed with
//! `WithoutTimestamps`) means "no time".

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value as Json;

use super::time::parse_utc;
use super::{Needs, ParseErrorKind, Record, RecordError, Resources};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Scope, Span, StatusCode,
    Temporality, Value, trace_state,
};

/// Which record a Go object is, from its first key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Span,
    Metrics,
    Log,
}

/// First keys of a log record, in the exporter's field order.
const LOG_KEYS: [&str; 4] = ["\"Timestamp\":", "\"ObservedTimestamp\":", "\"EventName\":", "\"Severity\":"];

/// Whether a single line is a compact Go record, and which.
pub fn line_kind(line: &str) -> Option<Kind> {
    let rest = line.strip_prefix('{')?;
    if rest.starts_with("\"Name\":") && line.contains("\"SpanContext\":") {
        Some(Kind::Span)
    } else if rest.starts_with("\"Resource\":") && line.contains("\"ScopeMetrics\":") {
        Some(Kind::Metrics)
    } else if LOG_KEYS.iter().any(|k| rest.starts_with(k)) && line.contains("\"SeverityText\":") {
        Some(Kind::Log)
    } else {
        None
    }
}

/// Whether a brace-framed object is a pretty-printed Go record, and which: its first key, on its
/// second line.
pub fn object_kind(second_line: &str) -> Option<Kind> {
    let first = super::scan::lead_trimmed(second_line);
    if first.starts_with("\"Name\": ") {
        Some(Kind::Span)
    } else if first.starts_with("\"Resource\": ") {
        Some(Kind::Metrics)
    } else if LOG_KEYS.iter().any(|k| first.starts_with(k)) {
        Some(Kind::Log)
    } else {
        None
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoSpan {
    name: String,
    span_context: GoContext,
    parent: Option<GoContext>,
    span_kind: Option<i64>,
    start_time: String,
    end_time: String,
    attributes: Option<Vec<GoKeyValue>>,
    events: Option<Vec<GoEvent>>,
    links: Option<Vec<GoLink>>,
    status: Option<GoStatus>,
    resource: Option<Vec<GoKeyValue>>,
    instrumentation_scope: Option<GoScope>,
    instrumentation_library: Option<GoScope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoContext {
    #[serde(rename = "TraceID")]
    trace_id: String,
    #[serde(rename = "SpanID")]
    span_id: String,
    #[serde(default)]
    trace_state: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoKeyValue {
    key: String,
    value: GoValue,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoValue {
    #[serde(rename = "Type")]
    kind: String,
    value: Json,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoEvent {
    name: String,
    attributes: Option<Vec<GoKeyValue>>,
    time: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoLink {
    span_context: GoContext,
    attributes: Option<Vec<GoKeyValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoStatus {
    code: String,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoScope {
    name: String,
    #[serde(default)]
    version: String,
}

impl GoScope {
    fn read(scope: Option<GoScope>) -> Option<Arc<Scope>> {
        scope.and_then(|s| Scope::new(&s.name, &s.version))
    }
}

fn invalid(msg: impl Into<String>) -> RecordError {
    ParseErrorKind::Invalid(msg.into()).into()
}

/// `{"Type": "INT64", "Value": 5}` → `Int(5)`; slices keep their items' types.
fn value(v: GoValue) -> Value {
    fn scalar(j: Json) -> Value {
        match j {
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => n.as_i64().map_or_else(|| Value::Double(n.as_f64().unwrap_or(f64::NAN)), Value::Int),
            Json::String(s) => Value::Str(s),
            Json::Null => Value::Empty,
            Json::Array(a) => Value::Array(a.into_iter().map(scalar).collect()),
            Json::Object(_) => Value::Str(j.to_string()),
        }
    }
    match (v.kind.as_str(), v.value) {
        ("FLOAT64", Json::Number(n)) => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        (_, j) => scalar(j),
    }
}

fn attrs(kvs: Option<Vec<GoKeyValue>>) -> Attributes {
    kvs.unwrap_or_default().into_iter().map(|kv| (kv.key, value(kv.value))).collect()
}

fn ids(c: &GoContext) -> (Option<u128>, Option<u64>) {
    (
        u128::from_str_radix(&c.trace_id, 16).ok().filter(|&t| t != 0),
        u64::from_str_radix(&c.span_id, 16).ok().filter(|&s| s != 0),
    )
}

/// Parses one span object (either layout).
pub fn parse_span(text: &str, needs: &Needs, resources: &mut Resources) -> Result<Span, RecordError> {
    let g: GoSpan = serde_json::from_str(text).map_err(|e| RecordError {
        offset_lines: e.line().saturating_sub(1) as u64,
        kind: ParseErrorKind::Invalid(format!("invalid Go span JSON: {e}")),
    })?;
    let (trace_id, span_id) = ids(&g.span_context);
    // The zero time (`WithoutTimestamps`) is no time: 0, as OTLP leaves it.
    let time = |t: &str| go_time(Some(t)).map(|t| t.unwrap_or(0));
    let resource = resources.intern(Resource { attributes: attrs(g.resource) });
    // OTLP numbering, as Go's trace.SpanKind.
    let kind = super::otlp_json::span_kind(g.span_kind.unwrap_or(0));
    let needs = needs.for_span(kind);
    let (mut events, mut links) = (Vec::new(), Vec::new());
    if needs.events {
        for e in g.events.unwrap_or_default() {
            events.push(Event { time_ns: time(&e.time)?, name: e.name, attributes: attrs(e.attributes) });
        }
        for l in g.links.unwrap_or_default() {
            if let (Some(t), Some(s)) = ids(&l.span_context) {
                let trace_state = trace_state(&l.span_context.trace_state);
                links.push(Link { trace_id: t, span_id: s, trace_state, attributes: attrs(l.attributes) });
            }
        }
    }
    let status = g.status.as_ref();
    Ok(Span {
        trace_id: trace_id.ok_or_else(|| invalid(format!("span {:?} without a TraceID", g.name)))?,
        span_id: span_id.ok_or_else(|| invalid(format!("span {:?} without a SpanID", g.name)))?,
        parent_span_id: g.parent.as_ref().and_then(|p| ids(p).1),
        trace_state: trace_state(&g.span_context.trace_state),
        kind,
        start_ns: time(&g.start_time)?,
        end_ns: time(&g.end_time)?,
        status: match status.map(|s| s.code.as_str()) {
            Some("Ok") => StatusCode::Ok,
            Some("Error") => StatusCode::Error,
            _ => StatusCode::Unset,
        },
        status_message: status.and_then(|s| s.description.clone()).filter(|d| !d.is_empty()),
        attributes: if needs.attributes { attrs(g.attributes) } else { Vec::new() },
        events,
        links,
        resource,
        scope: GoScope::read(g.instrumentation_scope.or(g.instrumentation_library)),
        name: g.name,
    })
}

/// Parses one object of the given kind (either layout).
pub fn parse_record(text: &str, kind: Kind, needs: &Needs, resources: &mut Resources) -> Result<Record, RecordError> {
    match kind {
        Kind::Span => parse_span(text, needs, resources).map(Record::Span),
        Kind::Log => parse_log(text, needs.for_logs(), resources).map(Record::Log),
        Kind::Metrics => parse_metrics(text, needs.for_metrics(), resources).map(Record::Metrics),
    }
}

fn json_error(what: &str, e: serde_json::Error) -> RecordError {
    RecordError {
        offset_lines: e.line().saturating_sub(1) as u64,
        kind: ParseErrorKind::Invalid(format!("invalid Go {what} JSON: {e}")),
    }
}

/// A Go time; the zero time (`0001-01-01T00:00:00Z`) is no time.
fn go_time(t: Option<&str>) -> Result<Option<i64>, RecordError> {
    match t {
        None => Ok(None),
        Some(t) if t.starts_with("0001-01-01T00:00:00") => Ok(None),
        Some(t) => parse_utc(t).map(Some).ok_or_else(|| invalid(format!("bad time {t:?}"))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoLog {
    timestamp: Option<String>,
    observed_timestamp: Option<String>,
    severity: Option<u8>,
    severity_text: Option<String>,
    body: Option<GoLogValue>,
    attributes: Option<Vec<GoLogKeyValue>>,
    #[serde(rename = "TraceID")]
    trace_id: Option<String>,
    #[serde(rename = "SpanID")]
    span_id: Option<String>,
    resource: Option<Vec<GoKeyValue>>,
    scope: Option<GoScope>,
}

/// A log value: `{"Type": "String" | "Int64" | "Float64" | "Bool" | "Bytes" | "Map" | "Slice" |
/// "Empty", "Value": ...}` (log.Kind names, unlike attribute types).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoLogValue {
    #[serde(rename = "Type")]
    kind: String,
    value: Json,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoLogKeyValue {
    key: String,
    value: GoLogValue,
}

fn log_value(v: GoLogValue) -> Value {
    match (v.kind.as_str(), v.value) {
        ("Empty", _) | (_, Json::Null) => Value::Empty,
        ("Float64", Json::Number(n)) => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        ("Int64", Json::Number(n)) => n.as_i64().map_or_else(|| Value::BigInt(n.to_string()), Value::Int),
        ("Bool", Json::Bool(b)) => Value::Bool(b),
        ("Slice", items) => Value::Array(
            serde_json::from_value::<Vec<GoLogValue>>(items)
                .map(|v| v.into_iter().map(log_value).collect())
                .unwrap_or_default(),
        ),
        ("Map", kvs) => Value::Map(
            serde_json::from_value::<Vec<GoLogKeyValue>>(kvs)
                .map(|v| v.into_iter().map(|kv| (kv.key, log_value(kv.value))).collect())
                .unwrap_or_default(),
        ),
        // Strings, and bytes as Go prints them (base64).
        (_, Json::String(s)) => Value::Str(s),
        (_, other) => Value::Str(other.to_string()),
    }
}

fn parse_log(text: &str, needs: &Needs, resources: &mut Resources) -> Result<LogRecord, RecordError> {
    let g: GoLog = serde_json::from_str(text).map_err(|e| json_error("log record", e))?;
    let hex128 = |s: &Option<String>| s.as_deref().and_then(|s| u128::from_str_radix(s, 16).ok()).filter(|&v| v != 0);
    let hex64 = |s: &Option<String>| s.as_deref().and_then(|s| u64::from_str_radix(s, 16).ok()).filter(|&v| v != 0);
    Ok(LogRecord {
        time_ns: go_time(g.timestamp.as_deref())?,
        observed_time_ns: go_time(g.observed_timestamp.as_deref())?,
        // Go's log.Severity is OTLP's number; 0 is "not given".
        severity_number: g.severity.filter(|s| *s > 0),
        severity_text: g.severity_text.filter(|t| !t.is_empty()),
        body: if needs.bodies { g.body.map_or(Value::Empty, log_value) } else { Value::Empty },
        attributes: if needs.attributes {
            g.attributes.unwrap_or_default().into_iter().map(|kv| (kv.key, log_value(kv.value))).collect()
        } else {
            Vec::new()
        },
        trace_id: hex128(&g.trace_id),
        span_id: hex64(&g.span_id),
        resource: resources.intern(Resource { attributes: attrs(g.resource) }),
        scope: GoScope::read(g.scope),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoMetrics {
    resource: Option<Vec<GoKeyValue>>,
    scope_metrics: Option<Vec<GoScopeMetrics>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoScopeMetrics {
    scope: Option<GoScope>,
    metrics: Option<Vec<GoMetric>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoMetric {
    name: String,
    description: Option<String>,
    unit: Option<String>,
    data: Option<GoData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoData {
    data_points: Option<Vec<GoPoint>>,
    temporality: Option<String>,
    is_monotonic: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoPoint {
    attributes: Option<Vec<GoKeyValue>>,
    start_time: Option<String>,
    time: Option<String>,
    value: Option<serde_json::Number>,
    count: Option<u64>,
    bounds: Option<Vec<f64>>,
    bucket_counts: Option<Vec<u64>>,
    min: Option<f64>,
    max: Option<f64>,
    sum: Option<f64>,
    scale: Option<i32>,
    zero_count: Option<u64>,
    positive_bucket: Option<GoBuckets>,
    negative_bucket: Option<GoBuckets>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct GoBuckets {
    offset: i32,
    counts: Option<Vec<u64>>,
}

fn parse_metrics(text: &str, needs: &Needs, resources: &mut Resources) -> Result<Vec<MetricPoint>, RecordError> {
    let g: GoMetrics = serde_json::from_str(text).map_err(|e| json_error("metrics", e))?;
    let resource = resources.intern(Resource { attributes: attrs(g.resource) });
    let mut out = Vec::new();
    for sm in g.scope_metrics.unwrap_or_default() {
        let scope = GoScope::read(sm.scope);
        for m in sm.metrics.unwrap_or_default() {
            let Some(data) = m.data else { continue };
            let temporality = match data.temporality.as_deref() {
                Some("CumulativeTemporality") => Some(Temporality::Cumulative),
                Some("DeltaTemporality") => Some(Temporality::Delta),
                _ => None,
            };
            for p in data.data_points.unwrap_or_default() {
                let kind = if p.bounds.is_some() {
                    MetricKind::Histogram
                } else if p.scale.is_some() {
                    MetricKind::ExponentialHistogram
                } else {
                    match data.is_monotonic {
                        Some(true) => MetricKind::Counter,
                        Some(false) => MetricKind::UpDownCounter,
                        None => MetricKind::Gauge,
                    }
                };
                let value = match kind {
                    MetricKind::Histogram => PointValue::Histogram {
                        count: p.count.unwrap_or(0),
                        sum: p.sum,
                        min: p.min,
                        max: p.max,
                        bounds: p.bounds.unwrap_or_default(),
                        counts: p.bucket_counts.unwrap_or_default(),
                    },
                    MetricKind::ExponentialHistogram => {
                        let (pos, neg) = (p.positive_bucket.unwrap_or_default(), p.negative_bucket.unwrap_or_default());
                        PointValue::ExponentialHistogram {
                            count: p.count.unwrap_or(0),
                            sum: p.sum,
                            min: p.min,
                            max: p.max,
                            scale: p.scale.unwrap_or(0),
                            zero_count: p.zero_count.unwrap_or(0),
                            positive_offset: pos.offset,
                            positive: pos.counts.unwrap_or_default(),
                            negative_offset: neg.offset,
                            negative: neg.counts.unwrap_or_default(),
                        }
                    }
                    _ => match &p.value {
                        Some(n) => n
                            .as_i64()
                            .map_or_else(|| PointValue::Double(n.as_f64().unwrap_or(f64::NAN)), PointValue::Int),
                        None => return Err(invalid(format!("metric {:?}: a data point without a Value", m.name))),
                    },
                };
                out.push(MetricPoint {
                    name: needs.point_label(&m.name),
                    unit: needs.point_detail(m.unit.as_deref().unwrap_or_default()),
                    description: needs.point_detail(m.description.as_deref().unwrap_or_default()),
                    kind,
                    temporality,
                    start_ns: go_time(p.start_time.as_deref())?,
                    time_ns: go_time(p.time.as_deref())?.unwrap_or(0),
                    attributes: if needs.attributes { attrs(p.attributes) } else { Vec::new() },
                    value,
                    resource: resource.clone(),
                    scope: scope.clone(),
                });
            }
        }
    }
    Ok(out)
}
