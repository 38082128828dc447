//! Go's `stdouttrace` exporter: one JSON object per span, compact (one line) or pretty-printed
//! with TAB indentation (`WithPrettyPrint`), with PascalCase keys (see shared/FORMATS.md §7).
//!
//! Spans only: Go's `stdoutmetric` and `stdoutlog` layouts are recognised as foreign for now
//! (no capture of them exists here to test against).

use serde::Deserialize;
use serde_json::Value as Json;

use super::time::parse_utc;
use super::{Needs, ParseErrorKind, RecordError, Resources};
use crate::model::{Attributes, Event, Link, Resource, Span, SpanKind, StatusCode, Value};

/// Whether a single line is a compact Go span.
pub fn is_span_line(line: &str) -> bool {
    line.starts_with("{\"Name\":") && line.contains("\"SpanContext\":")
}

/// Whether a brace-framed object is a pretty-printed Go span (TAB-indented `"Name"` first).
pub fn is_pretty_span(text: &str) -> bool {
    text.lines().nth(1).is_some_and(|l| l.starts_with("\t\"Name\": "))
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
    let time = |t: &str| parse_utc(t).ok_or_else(|| invalid(format!("bad time {t:?}")));
    let resource = resources.intern(Resource { attributes: attrs(g.resource) });
    let (mut events, mut links) = (Vec::new(), Vec::new());
    if needs.events {
        for e in g.events.unwrap_or_default() {
            events.push(Event { time_ns: time(&e.time)?, name: e.name, attributes: attrs(e.attributes) });
        }
        for l in g.links.unwrap_or_default() {
            if let (Some(t), Some(s)) = ids(&l.span_context) {
                links.push(Link { trace_id: t, span_id: s, attributes: attrs(l.attributes) });
            }
        }
    }
    let status = g.status.as_ref();
    Ok(Span {
        trace_id: trace_id.ok_or_else(|| invalid(format!("span {:?} without a TraceID", g.name)))?,
        span_id: span_id.ok_or_else(|| invalid(format!("span {:?} without a SpanID", g.name)))?,
        parent_span_id: g.parent.as_ref().and_then(|p| ids(p).1),
        // OTLP numbering, as Go's trace.SpanKind.
        kind: match g.span_kind {
            Some(1) => SpanKind::Internal,
            Some(2) => SpanKind::Server,
            Some(3) => SpanKind::Client,
            Some(4) => SpanKind::Producer,
            Some(5) => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        },
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
        scope: g.instrumentation_scope.or(g.instrumentation_library).map(|s| s.name).filter(|n| !n.is_empty()),
        name: g.name,
    })
}
