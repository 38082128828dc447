//! Node.js console exporters (`ConsoleSpanExporter`, `ConsoleLogRecordExporter`,
//! `ConsoleMetricExporter`, sdk-node 0.57 to 0.223): `util.inspect` object literals, one per span,
//! per log record, or per metric (see shared/FORMATS.md §6).
//!
//! A JavaScript object literal is not JSON: unquoted or single-quoted keys, `'...'` strings
//! (concatenated with `+` across lines when long), `undefined`, BigInts (`12n`), numeric arrays
//! laid out in columns, and `[Array]`/`[Object]` where `util.inspect` stopped at depth 3 (kept as
//! empty values: the exporter printed nothing more). Pure functions from one record's text; the
//! literal grammar is nom, with `cut` and `context` so an error names the line and what was
//! expected there. A record's literal is made in its thread's arena, emptied for the next record.

use std::cell::RefCell;
use std::sync::Arc;

use bumpalo::Bump;

use super::{Needs, ParseErrorKind, RecordError, Resources};
pub use literal::{Js, parse_literal};
use literal::{js_value, literal, object_after};

mod literal;
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Scope, Span, SpanKind,
    StatusCode, Temporality, Value,
};

/// One parsed record.
#[derive(Debug)]
pub enum Record {
    Span(Span),
    Log(LogRecord),
    /// One metric of an export: its data points.
    Metric(Vec<MetricPoint>),
}

fn invalid(msg: impl Into<String>) -> RecordError {
    ParseErrorKind::Invalid(msg.into()).into()
}

fn value(v: &Js) -> Value {
    match v {
        Js::Undefined | Js::Null => Value::Empty,
        Js::Bool(b) => Value::Bool(*b),
        Js::Int(i) => Value::Int(*i),
        Js::Num(n) => Value::Double(*n),
        Js::BigInt(s) => s.parse().map_or_else(|_| Value::BigInt(s.to_string()), Value::Int),
        Js::Str(s) => Value::Str(s.to_string()),
        Js::Arr(items) => Value::Array(items.iter().map(value).collect()),
        Js::Obj(kvs) => Value::Map(kvs.iter().map(|(k, v)| (k.to_string(), value(v))).collect()),
    }
}

fn attrs(v: Option<&Js>) -> Attributes {
    wanted(v, &Needs::ALL)
}

/// A record's attributes, those the command reads (`needs`): read or not, they were checked
/// with the literal.
fn wanted(v: Option<&Js>, needs: &Needs) -> Attributes {
    match v {
        Some(Js::Obj(kvs)) if needs.attributes => {
            kvs.iter().filter(|(k, _)| needs.attribute(k)).map(|(k, v)| (k.to_string(), value(v))).collect()
        }
        _ => Vec::new(),
    }
}

/// Microseconds since the epoch (16 digits) to nanoseconds: in integers, since f64 cannot hold
/// the nanosecond value exactly.
fn micros_to_nanos(v: &Js) -> Option<i64> {
    match v {
        Js::Int(i) => i.checked_mul(1000),
        other => Some((other.f64()? * 1000.0).round() as i64),
    }
}

/// `[seconds, nanoseconds]`.
fn hrtime(v: Option<&Js>) -> Option<i64> {
    match v? {
        Js::Arr(a) if a.len() == 2 => a[0].i64()?.checked_mul(1_000_000_000)?.checked_add(a[1].i64()?),
        _ => None,
    }
}

fn hex128(v: Option<&Js>) -> Option<u128> {
    u128::from_str_radix(v?.str()?, 16).ok().filter(|&x| x != 0)
}

fn hex64(v: Option<&Js>) -> Option<u64> {
    u64::from_str_radix(v?.str()?, 16).ok().filter(|&x| x != 0)
}

/// How sdk-node (1.24 on) opens every record: its resource first, printed whole each time.
const RESOURCE_FIRST: &str = "{\n  resource: ";

/// A record's literal and its resource. The resource is most of a record's text and the same in
/// each: a text already read is not read again (the literal after it is; the same bytes read the
/// same), which halves the reading of a Node capture.
fn read_literal<'a>(
    text: &'a str,
    b: &'a Bump,
    resources: &mut Resources,
) -> Result<(Js<'a>, Arc<Resource>), RecordError> {
    let attributes = |js: &Js| Resource { attributes: attrs(js.get("resource").and_then(|r| r.get("attributes"))) };
    // SDKs before 1.24 print no resource.
    let Some(after) = text.strip_prefix(RESOURCE_FIRST) else {
        let js = parse_literal(text, b)?;
        let resource = resources.intern(attributes(&js));
        return Ok((js, resource));
    };
    if let Some((len, resource)) = resources.node_known(after) {
        let js = literal(text, object_after(&after[len..], b, ("resource", Js::Undefined)))?;
        return Ok((js, resource));
    }
    // The resource read once, then the rest of the object after it, as `object` reads them.
    let resource = js_value(after, b);
    let len = resource.as_ref().map_or(0, |(rest, _)| after.len() - rest.len());
    let js = literal(text, resource.and_then(|(rest, r)| object_after(rest, b, ("resource", r))))?;
    let raw = &after[..len];
    let resource = if raw.starts_with('{') && raw.ends_with('}') {
        resources.node_remember(raw, attributes(&js))
    } else {
        resources.intern(attributes(&js))
    };
    Ok((js, resource))
}

thread_local! {
    /// Where this thread's record literals are made, emptied for each.
    static ARENA: RefCell<Bump> = RefCell::new(Bump::new());
}

/// What the arena may keep between records: an arena one record grew past it (a body of
/// megabytes) is given back once that record is read, not kept for every record after it.
const ARENA_KEPT: usize = 4 << 20;

/// Parses one record's text, from its `{` line to its `}` line.
pub fn parse_record(text: &str, needs: &Needs, resources: &mut Resources) -> Result<Record, RecordError> {
    ARENA.with_borrow_mut(|arena| {
        arena.reset();
        let read = record(text, arena, needs, resources);
        if arena.allocated_bytes() > ARENA_KEPT {
            *arena = Bump::new();
        }
        read
    })
}

/// [`parse_record`], its literal made in `b`.
fn record(text: &str, b: &Bump, needs: &Needs, resources: &mut Resources) -> Result<Record, RecordError> {
    // Windows line endings: the literal grammar knows `\n` only.
    let lf;
    let text = if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        lf = text.replace("\r\n", "\n");
        lf.as_str()
    } else {
        text
    };
    let (js, resource) = read_literal(text, b, resources)?;
    let scope = js.get("instrumentationScope").and_then(|s| {
        let text = |key| s.get(key).and_then(Js::str).unwrap_or("");
        Scope::new(text("name"), text("version"))
    });
    if let Some(descriptor) = js.get("descriptor") {
        let needs = needs.for_metrics();
        let name =
            descriptor.get("name").and_then(Js::str).ok_or_else(|| invalid("metric without a name"))?.to_string();
        let kind_name = descriptor.get("type").and_then(Js::str).unwrap_or("");
        let kind = match js.get("dataPointType").and_then(Js::i64) {
            Some(0) => MetricKind::Histogram,
            Some(1) => MetricKind::ExponentialHistogram,
            Some(2) => MetricKind::Gauge,
            Some(3) if kind_name.contains("UP_DOWN") => MetricKind::UpDownCounter,
            Some(3) => MetricKind::Counter,
            other => return Err(invalid(format!("metric {name:?}: unknown dataPointType {other:?}"))),
        };
        let mut points = Vec::new();
        let Some(Js::Arr(dps)) = js.get("dataPoints") else {
            return Err(invalid(format!("metric {name:?} without dataPoints")));
        };
        for dp in dps.iter() {
            let v = dp.get("value").ok_or_else(|| invalid(format!("metric {name:?}: a data point without a value")))?;
            // Counts, scales and offsets that are no count or no 32-bit integer (negative, a
            // fraction, past their range) skip the record and say so: cast, they would wrap.
            let count = |js: Option<&Js>, what: &str| -> Result<u64, RecordError> {
                match js {
                    None | Some(Js::Undefined | Js::Null) => Ok(0),
                    Some(c) => c
                        .i64()
                        .and_then(|c| u64::try_from(c).ok())
                        .ok_or_else(|| invalid(format!("metric {name:?}: a {what} that is no count ({})", c.shown()))),
                }
            };
            let small = |js: Option<&Js>, what: &str| -> Result<i32, RecordError> {
                match js {
                    None | Some(Js::Undefined | Js::Null) => Ok(0),
                    Some(n) => n.i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(|| {
                        invalid(format!("metric {name:?}: a {what} that is no 32-bit integer ({})", n.shown()))
                    }),
                }
            };
            let counts = |js: Option<&Js>| -> Result<Vec<u64>, RecordError> {
                match js {
                    Some(Js::Arr(a)) => a.iter().map(|c| count(Some(c), "bucket count")).collect(),
                    _ => Ok(Vec::new()),
                }
            };
            let value = match kind {
                MetricKind::Histogram => {
                    let buckets = v.get("buckets");
                    PointValue::Histogram {
                        count: count(v.get("count"), "count")?,
                        sum: v.get("sum").and_then(Js::f64),
                        min: v.get("min").and_then(Js::f64),
                        max: v.get("max").and_then(Js::f64),
                        bounds: match buckets.and_then(|b| b.get("boundaries")) {
                            Some(Js::Arr(a)) => a
                                .iter()
                                .map(|b| {
                                    b.f64().ok_or_else(|| {
                                        invalid(format!("metric {name:?}: a bound that is no number ({})", b.shown()))
                                    })
                                })
                                .collect::<Result<_, _>>()?,
                            _ => Vec::new(),
                        },
                        counts: counts(buckets.and_then(|b| b.get("counts")))?,
                    }
                }
                MetricKind::ExponentialHistogram => {
                    let side = |k: &str| v.get(k);
                    PointValue::ExponentialHistogram {
                        count: count(v.get("count"), "count")?,
                        sum: v.get("sum").and_then(Js::f64),
                        min: v.get("min").and_then(Js::f64),
                        max: v.get("max").and_then(Js::f64),
                        scale: small(v.get("scale"), "scale")?,
                        zero_count: count(v.get("zeroCount"), "zero count")?,
                        positive_offset: small(side("positive").and_then(|p| p.get("offset")), "offset")?,
                        positive: counts(side("positive").and_then(|p| p.get("bucketCounts")))?,
                        negative_offset: small(side("negative").and_then(|p| p.get("offset")), "offset")?,
                        negative: counts(side("negative").and_then(|p| p.get("bucketCounts")))?,
                    }
                }
                _ => match v {
                    Js::Int(i) => PointValue::Int(*i),
                    other => PointValue::Double(
                        other.f64().ok_or_else(|| invalid(format!("metric {name:?}: a non-numeric value")))?,
                    ),
                },
            };
            points.push(MetricPoint {
                name: needs.point_label(&name),
                unit: needs.point_detail(descriptor.get("unit").and_then(Js::str).unwrap_or("")),
                description: needs.point_detail(descriptor.get("description").and_then(Js::str).unwrap_or("")),
                kind,
                // Not printed; the JS SDK's default is cumulative.
                temporality: (kind != MetricKind::Gauge).then_some(Temporality::Cumulative),
                start_ns: hrtime(dp.get("startTime")),
                time_ns: hrtime(dp.get("endTime"))
                    .ok_or_else(|| invalid(format!("metric {name:?}: a point without endTime")))?,
                attributes: wanted(dp.get("attributes"), needs),
                value,
                resource: resource.clone(),
                scope: scope.clone(),
            });
        }
        return Ok(Record::Metric(points));
    }
    if js.get("duration").is_some() && js.get("traceId").is_some() {
        let name = js.get("name").and_then(Js::str).unwrap_or("").to_string();
        let trace_id =
            hex128(js.get("traceId")).ok_or_else(|| invalid(format!("span {name:?} without a valid traceId")))?;
        // 2.x prints `id`, 1.x `spanContext()`-less `id` too; `spanId` in some versions.
        let span_id = hex64(js.get("id").or_else(|| js.get("spanId")))
            .ok_or_else(|| invalid(format!("span {name:?} without a valid id")))?;
        let start_ns = js
            .get("timestamp")
            .and_then(micros_to_nanos)
            .ok_or_else(|| invalid(format!("span {name:?} without a timestamp")))?;
        let duration_us =
            js.get("duration").and_then(Js::f64).ok_or_else(|| invalid(format!("span {name:?} without a duration")))?;
        // A duration no clock gives (NaN, or past the range of times) is no duration.
        let end_ns = Some((duration_us * 1000.0).round())
            .filter(|d| d.is_finite() && d.abs() < 9e18)
            .and_then(|d| start_ns.checked_add(d as i64))
            .ok_or_else(|| invalid(format!("span {name:?}: duration {duration_us} is not a duration")))?;
        let parent =
            hex64(js.get("parentSpanContext").and_then(|p| p.get("spanId"))).or_else(|| hex64(js.get("parentId")));
        let status = js.get("status");
        // JS numbering: 0 INTERNAL, 1 SERVER, 2 CLIENT, 3 PRODUCER, 4 CONSUMER.
        let kind = match js.get("kind").and_then(Js::i64) {
            Some(0) => SpanKind::Internal,
            Some(1) => SpanKind::Server,
            Some(2) => SpanKind::Client,
            Some(3) => SpanKind::Producer,
            Some(4) => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        };
        let needs = needs.for_span(kind);
        let events = match js.get("events") {
            Some(Js::Arr(es)) if needs.events => es
                .iter()
                .map(|e| Event {
                    name: e.get("name").and_then(Js::str).unwrap_or("").to_string(),
                    time_ns: hrtime(e.get("time")).unwrap_or(0),
                    attributes: attrs(e.get("attributes")),
                })
                .collect(),
            _ => Vec::new(),
        };
        let links = match js.get("links") {
            Some(Js::Arr(ls)) if needs.events => ls
                .iter()
                .filter_map(|l| {
                    let c = l.get("context")?;
                    Some(Link {
                        trace_id: hex128(c.get("traceId"))?,
                        span_id: hex64(c.get("spanId"))?,
                        trace_state: trace_state(c.get("traceState")),
                        attributes: attrs(l.get("attributes")),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        return Ok(Record::Span(Span {
            trace_id,
            span_id,
            parent_span_id: parent,
            trace_state: trace_state(js.get("traceState")),
            kind,
            start_ns,
            end_ns,
            status: match status.and_then(|s| s.get("code")).and_then(Js::i64) {
                Some(1) => StatusCode::Ok,
                Some(2) => StatusCode::Error,
                _ => StatusCode::Unset,
            },
            status_message: status.and_then(|s| s.get("message")).and_then(Js::str).map(str::to_string),
            attributes: wanted(js.get("attributes"), needs),
            events,
            links,
            resource,
            scope,
            name,
        }));
    }
    if js.get("severityNumber").is_some() || js.get("body").is_some() {
        let needs = needs.for_logs();
        let us = |k: &str| js.get(k).and_then(micros_to_nanos);
        return Ok(Record::Log(LogRecord {
            time_ns: us("timestamp"),
            observed_time_ns: us("observedTimestamp"),
            severity_number: js.get("severityNumber").and_then(Js::i64).and_then(|n| u8::try_from(n).ok()),
            severity_text: js.get("severityText").and_then(Js::str).map(str::to_string),
            body: js.get("body").filter(|_| needs.bodies).map_or(Value::Empty, value),
            attributes: wanted(js.get("attributes"), needs),
            trace_id: hex128(js.get("traceId")),
            span_id: hex64(js.get("spanId")),
            resource,
            scope,
        }));
    }
    Err(invalid("a Node console object that is not a span, log record or metric"))
}

/// A W3C `tracestate`: the string the exporter prints for the span's own
/// (`spanContext().traceState?.serialize()`), or a `TraceState` instance (a link's context, a
/// remote parent's), written as its `serialize()` would: `_internalState`'s entries, newest first.
fn trace_state(v: Option<&Js>) -> Option<String> {
    let text = match v? {
        Js::Str(s) => s.to_string(),
        state => match state.get("_internalState") {
            Some(Js::Obj(entries)) => entries
                .iter()
                .rev()
                .filter_map(|(k, v)| Some(format!("{k}={}", v.str()?)))
                .collect::<Vec<_>>()
                .join(","),
            _ => state.get("_rawTraceState").and_then(Js::str)?.to_string(),
        },
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests;
