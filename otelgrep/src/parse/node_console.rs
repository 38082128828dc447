//! Node.js console exporters (`ConsoleSpanExporter`, `ConsoleLogRecordExporter`,
//! `ConsoleMetricExporter`, sdk-node 0.57 to 0.223): `util.inspect` object literals, one per span,
//! per log record, or per metric (see shared/FORMATS.md §6).
//!
//! A JavaScript object literal is not JSON: unquoted or single-quoted keys, `'...'` strings
//! (concatenated with `+` across lines when long), `undefined`, BigInts (`12n`), numeric arrays
//! laid out in columns, and `[Array]`/`[Object]` where `util.inspect` stopped at depth 3 (kept as
//! empty values: the exporter printed nothing more). Pure functions from one record's text; the
//! literal grammar is nom, with `cut` and `context` so an error names the line and what was
//! expected there.

use std::sync::Arc;

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
fn read_literal<'a>(text: &'a str, resources: &mut Resources) -> Result<(Js<'a>, Arc<Resource>), RecordError> {
    let attributes = |js: &Js| Resource { attributes: attrs(js.get("resource").and_then(|r| r.get("attributes"))) };
    // SDKs before 1.24 print no resource.
    let Some(after) = text.strip_prefix(RESOURCE_FIRST) else {
        let js = parse_literal(text)?;
        let resource = resources.intern(attributes(&js));
        return Ok((js, resource));
    };
    if let Some((len, resource)) = resources.node_known(after) {
        let js = literal(text, object_after(&after[len..], ("resource".into(), Js::Undefined)))?;
        return Ok((js, resource));
    }
    // The resource read once, then the rest of the object after it, as `object` reads them.
    let resource = js_value(after);
    let len = resource.as_ref().map_or(0, |(rest, _)| after.len() - rest.len());
    let js = literal(text, resource.and_then(|(rest, r)| object_after(rest, ("resource".into(), r))))?;
    let raw = &after[..len];
    let resource = if raw.starts_with('{') && raw.ends_with('}') {
        resources.node_remember(raw, attributes(&js))
    } else {
        resources.intern(attributes(&js))
    };
    Ok((js, resource))
}

/// Parses one record's text, from its `{` line to its `}` line.
pub fn parse_record(text: &str, needs: &Needs, resources: &mut Resources) -> Result<Record, RecordError> {
    // Windows line endings: the literal grammar knows `\n` only.
    let lf;
    let text = if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        lf = text.replace("\r\n", "\n");
        lf.as_str()
    } else {
        text
    };
    let (js, resource) = read_literal(text, resources)?;
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
        for dp in dps {
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
mod tests {
    use super::*;

    /// A fixture of two printed objects: the first read, and the second's text.
    fn first_read(text: &str) -> (Js<'_>, &str) {
        let (first, second) = text.split_at(text.find("\n}\n{").unwrap() + 3);
        (parse_literal(first).unwrap(), second)
    }

    fn str(s: &'static str) -> Js<'static> {
        Js::Str(s.into())
    }

    /// Every shape `util.inspect` prints besides plain objects, as Node 20 printed them
    /// (`tests/fixtures/node-inspect-shapes.js`, run with `node`): each read as a value, what a
    /// record needs kept (a `Map`'s and a class instance's entries, a typed array's numbers).
    #[test]
    fn every_shape_util_inspect_prints_is_a_value() {
        let (js, second) = first_read(include_str!("../../tests/fixtures/node-inspect-shapes.txt"));
        let state = js.get("traceState").unwrap();
        assert_eq!(state.get("_rawTraceState"), Some(&str("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")));
        // Written as `serialize()` writes it: the entries newest first.
        assert_eq!(trace_state(Some(state)).as_deref(), Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"));
        assert_eq!(
            state.get("_internalState"),
            Some(&Js::Obj(vec![("rojo".into(), str("00f067aa0ba902b7")), ("congo".into(), str("t61rcWkgMzE"))]))
        );
        assert_eq!(js.get("empty"), Some(&Js::Obj(vec![])));
        assert_eq!(
            js.get("map"),
            Some(&Js::Obj(vec![("a".into(), Js::Int(1)), ("2".into(), Js::Obj(vec![("b".into(), str("c"))]))]))
        );
        assert_eq!(js.get("emptyMap"), Some(&Js::Obj(vec![])));
        assert_eq!(js.get("set"), Some(&Js::Arr(vec![str("x"), str("y")])));
        assert_eq!(js.get("bytes"), Some(&Js::Arr(vec![Js::Int(1), Js::Int(2), Js::Int(255)])));
        assert_eq!(js.get("floats"), Some(&Js::Arr(vec![Js::Num(1.5), Js::Int(-2)])));
        assert_eq!(js.get("big"), Some(&Js::Arr(vec![Js::BigInt("1".into()), Js::BigInt("-2".into())])));
        assert_eq!(js.get("buffer"), Some(&Js::Arr(vec![Js::Int(1), Js::Int(2), Js::Int(3)])));
        for nothing in ["fn", "arrow", "cls", "sym", "boxed"] {
            assert_eq!(js.get(nothing), Some(&Js::Undefined), "{nothing}");
        }
        assert_eq!(js.get("cyc"), Some(&Js::Obj(vec![("name".into(), str("loop")), ("self".into(), Js::Undefined)])));
        assert_eq!(js.get("sparse"), Some(&Js::Arr(vec![Js::Int(1), Js::Int(4)])));
        assert_eq!(js.get("extra"), Some(&Js::Arr(vec![Js::Int(1), Js::Int(2)])));
        assert_eq!(js.get("nullProto"), Some(&Js::Obj(vec![("a".into(), Js::Int(1))])));
        assert_eq!(js.get("withSym").and_then(|w| w.get("plain")), Some(&Js::Int(2)));
        assert_eq!(js.get("getter"), Some(&Js::Obj(vec![("g".into(), Js::Undefined)])));
        assert_eq!(js.get("date"), Some(&str("2026-12-02T10:00:00.000Z")));
        assert_eq!(js.get("regexp"), Some(&str("/a+b/gi")));
        assert_eq!(js.get("promise"), Some(&Js::Arr(vec![Js::Int(1)])));
        assert_eq!(js.get("weak"), Some(&Js::Obj(vec![])));
        assert!(matches!(js.get("many"), Some(Js::Arr(a)) if a.len() == 100));
        let js = parse_literal(second).unwrap();
        assert_eq!(js.get("body"), Some(&Js::Obj(vec![("k".into(), Js::Arr(vec![Js::Int(7)]))])));
        // A class name alone, or a tag not closed on its line, is still no value.
        assert!(parse_literal("{\n  a: TraceState\n}").is_err());
        assert!(parse_literal("{\n  a: [Function: f\n}").is_err());
    }

    /// What `util.inspect` prints for errors, dates, iterators and promises, as Node 20 printed
    /// them (`tests/fixtures/node-inspect-errors.js`): each a value, an error kept as its stack
    /// (with its own properties beside it). Before, each was `unknown value` or a broken key, and
    /// a log record whose body was an error was skipped.
    #[test]
    fn errors_dates_iterators_and_promises_are_values() {
        let (js, second) = first_read(include_str!("../../tests/fixtures/node-inspect-errors.txt"));
        // The text an error keeps, and that it is the whole stack: its frames end at the last.
        let stack = |v: Option<&Js>| match v {
            Some(Js::Str(s)) => s.to_string(),
            Some(o @ Js::Obj(_)) => o.get("stack").and_then(Js::str).unwrap_or_default().to_string(),
            other => panic!("{other:?}"),
        };
        let framed = |v: Option<&Js>, first: &str| {
            let s = stack(v);
            assert!(s.starts_with(first), "{s}");
            assert!(s.lines().last().unwrap().trim_start().starts_with("at node:internal/main/"), "{s}");
        };
        assert_eq!(js.get("invalidDate"), Some(&str("Invalid Date")));
        assert_eq!(js.get("datePlus"), Some(&str("2026-12-02T00:00:00.000Z")));
        assert_eq!(js.get("invalidPlus"), Some(&str("Invalid Date")));
        let far = parse_literal("{\n  d: +275760-09-13T00:00:00.000Z,\n  e: -271821-04-20T00:00:00.000Z\n}").unwrap();
        assert_eq!(far.get("d"), Some(&str("+275760-09-13T00:00:00.000Z")));
        assert_eq!(far.get("e"), Some(&str("-271821-04-20T00:00:00.000Z")));
        assert_eq!(js.get("setIter"), Some(&Js::Arr(vec![str("a")])));
        assert_eq!(js.get("mapEntries"), Some(&Js::Arr(vec![Js::Arr(vec![str("k"), Js::Int(1)])])));
        framed(js.get("error"), "Error: boom\n");
        assert_eq!(js.get("error").and_then(|e| e.get("code")), Some(&str("E1")));
        assert_eq!(js.get("error").and_then(|e| e.get("errno")), Some(&Js::Int(5)));
        framed(js.get("typeError"), "TypeError: bad\n");
        // Kept as `err.stack` holds it: without the indentation of its depth in the record.
        framed(js.get("multiline"), "Error: multi\nline, msg\n    at Object.<anonymous> (");
        assert_eq!(js.get("noStack"), Some(&str("Error: nostack")));
        framed(js.get("cause"), "Error: outer\n");
        framed(js.get("cause").and_then(|e| e.get("[cause]")), "Error: inner\n");
        framed(js.get("coded"), "TypeError [ERR_INVALID_ARG_TYPE]: ");
        assert_eq!(js.get("coded").and_then(|e| e.get("code")), Some(&str("ERR_INVALID_ARG_TYPE")));
        framed(js.get("aggregate"), "AggregateError: all failed\n");
        let errors = js.get("aggregate").and_then(|e| e.get("[errors]"));
        assert!(matches!(errors, Some(Js::Arr(a)) if a.len() == 1), "{errors:?}");
        for (key, first) in [("inArray", "Error: inarr\n"), ("inSet", "RangeError: inset\n")] {
            let Some(Js::Arr(items)) = js.get(key) else { panic!("{key}") };
            assert_eq!(items.len(), 1);
            framed(items.first(), first);
        }
        framed(js.get("inMap").and_then(|m| m.get("k")), "Error: inmap\n");
        let Some(Js::Arr(rejected)) = js.get("rejected") else { panic!("{:?}", js.get("rejected")) };
        framed(rejected.first(), "Error: r\n");
        assert_eq!(js.get("pending"), Some(&Js::Obj(vec![])));
        assert_eq!(js.get("url"), Some(&str("http://a/b?c")));
        assert!(matches!(js.get("bigMap"), Some(Js::Obj(m)) if m.len() == 100));
        assert!(matches!(js.get("bigSet"), Some(Js::Arr(s)) if s.len() == 100));
        // A log record whose body is an error with its properties, read whole.
        let Ok(Record::Log(log)) = parse_record(second, &Needs::ALL, &mut Resources::default()) else {
            panic!("not a log record")
        };
        let Value::Map(body) = &log.body else { panic!("{:?}", log.body) };
        let keys: Vec<&str> = body.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["stack", "errno", "code", "syscall", "path"]);
        assert!(matches!(&body[0].1, Value::Str(s) if s.starts_with("Error: ENOENT: no such file or directory")));
        // A name and a colon with no frames after it is an array's own key, as before, and no
        // value elsewhere (`util.inspect` brackets an error without frames): a damaged key stays
        // the error it was.
        assert_eq!(parse_literal("[ 1, Foo: 'bar' ]").unwrap(), Js::Arr(vec![Js::Int(1)]));
        assert!(parse_literal("{\n  a: {\n    droppe:AttributesCount: 0\n  }\n}").is_err());
        assert!(parse_literal("{\n  instrumentation:Scope: { name: 'x' },\n  b: 1\n}").is_err());
        // So is a URL that lost its string's opening quote, a mark but `<rejected>` before a
        // value, and what follows a stack's frames without the comma that ends it.
        assert!(parse_literal("{\n  a: http://127.0.0.1/users',\n  b: 1\n}").is_err());
        assert!(parse_literal("{\n  a: Promise { <rejectd> 1 }\n}").is_err());
        let frames = "Error: x\n      at f (a.js:1:1)\n      at g (a.js:2:1)";
        assert!(parse_literal(&format!("{{\n  body: {frames}\n  attributes: {{ a: 1 }}\n}}")).is_err());
        assert!(parse_literal(&format!("{{\n  body: {frames}\n      #$%^ }}{{ ][\n}}")).is_err());
        // A message line may end as a stack does (an `AssertionError`'s diff).
        let text = format!("{{\n  a: E: deep,\n  + x {{\n{}\n}}", &frames[9..]);
        let js = parse_literal(&text).unwrap();
        assert_eq!(js.get("a"), Some(&str("E: deep,\n+ x {\n    at f (a.js:1:1)\n    at g (a.js:2:1)")));
        // An error as a Map's key; a `stack` of its own is the one printed; `[Error]` a placeholder.
        let text = format!("{{\n  m: Map(1) {{\n    {frames} => 'v'\n  }}\n}}");
        let js = parse_literal(&text).unwrap();
        let key = "Error: x\n    at f (a.js:1:1)\n    at g (a.js:2:1)";
        assert_eq!(js.get("m"), Some(&Js::Obj(vec![(key.into(), str("v"))])));
        let js = parse_literal("{\n  e: [Error: x] { stack: undefined, code: 1 },\n  p: [Error]\n}").unwrap();
        assert_eq!(js.get("e"), Some(&Js::Obj(vec![("stack".into(), str("Error: x")), ("code".into(), Js::Int(1))])));
        assert_eq!(js.get("p"), Some(&Js::Undefined));
        // An error without frames whose message runs over lines, as Node 20 prints every error
        // once `Error.stackTraceLimit` is 0 (a library's setting for speed).
        let text = "{\n  body: [Error: multi\n  line],\n  b: [\n    [TypeError: a\n    b]\n  ],\n  \
                    c: [Error: multi\n  line [x]] {\n    code: 'E2'\n  },\n  d: [RangeError: one]\n}";
        let js = parse_literal(text).unwrap();
        assert_eq!(js.get("body"), Some(&str("Error: multi\nline")));
        assert_eq!(js.get("b"), Some(&Js::Arr(vec![str("TypeError: a\nb")])));
        let c = Js::Obj(vec![("stack".into(), str("Error: multi\nline [x]")), ("code".into(), str("E2"))]);
        assert_eq!(js.get("c"), Some(&c));
        assert_eq!(js.get("d"), Some(&str("RangeError: one")));
        // An apostrophe in the message, which the tag's reader takes for a quote.
        let text =
            "{\n  a: [Error: can't open],\n  b: [Error: can't open] { code: 'E3' },\n  c: [Error: it's\n  broken]\n}";
        let js = parse_literal(text).unwrap();
        assert_eq!(js.get("a"), Some(&str("Error: can't open")));
        let b = Js::Obj(vec![("stack".into(), str("Error: can't open")), ("code".into(), str("E3"))]);
        assert_eq!(js.get("b"), Some(&b));
        assert_eq!(js.get("c"), Some(&str("Error: it's\nbroken")));
    }

    /// A record whose values nest past `DEEPEST` levels is skipped with the line where they do,
    /// every way `util.inspect` nests (a tag alone too): the grammar recursed once a level, and a
    /// record nested 15,000 deep overflowed the stack and aborted the run (a new-user check).
    #[test]
    fn values_nested_too_deep_skip_their_record() {
        let record = |open: &str, close: &str, depth: usize| {
            format!("{{\n  body: {}1{},\n  severityNumber: 9\n}}", open.repeat(depth), close.repeat(depth))
        };
        let read = |text: &str| parse_record(text, &Needs::ALL, &mut Resources::default());
        // The record and 127 objects are the 128 levels.
        assert!(read(&record("{ a: ", " }", 127)).is_ok());
        assert!(read(&record("{ a: ", " }", 128)).is_err());
        let ways = [
            ("{ a: ", " }"),
            ("[ ", " ]"),
            ("Map(1) { 1 => ", " }"),
            ("Foo { a: ", " }"),
            ("Set(1) { ", " }"),
            ("[Object: null prototype] { a: ", " }"),
            ("Buffer(1) [Uint8Array] [ ", " ]"),
        ];
        for (open, close) in ways {
            assert!(read(&record(open, close, 60)).is_ok(), "{open}");
            for depth in [130, 200_000] {
                let Err(e) = read(&record(open, close, depth)) else { panic!("{open} {depth} read") };
                assert_eq!(e.offset_lines, 1, "{open}");
                let ParseErrorKind::Invalid(msg) = &e.kind else { panic!("{e:?}") };
                assert!(msg.ends_with("values nested more than 128 levels deep"), "{open}: {msg}");
            }
        }
        // Tags in front of a tag in front of an object.
        let tags = |depth: usize| record(&"[Object: null prototype] ".repeat(depth), "", 1).replace("1,", "{ a: 1 },");
        assert!(read(&tags(60)).is_ok());
        let Err(e) = read(&tags(200_000)) else { panic!("tags read") };
        assert!(matches!(&e.kind, ParseErrorKind::Invalid(m) if m.ends_with("128 levels deep")), "{e:?}");
    }

    /// A record whose resource was read before (its text kept) reads as one read afresh: the same
    /// record, or the same error at the same line, also when it is damaged after its resource.
    #[test]
    fn a_known_resource_reads_as_one_read_afresh() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/node-console");
        let mut warm = Resources::default();
        let mut checked = 0;
        for file in std::fs::read_dir(root).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in crate::parse::scan::python_objects(text.as_bytes()) {
                let crate::parse::scan::Piece::Object { text: record, .. } = piece else { continue };
                let Some(after) = record.strip_prefix(RESOURCE_FIRST) else { continue };
                let end = RESOURCE_FIRST.len() + after.find("\n  },\n").map_or(0, |i| i + 4);
                let mut variants = vec![record.to_string()];
                // Damaged after the resource: a key's colon lost, a value cut, the record cut.
                variants.push(format!("{}{}", &record[..end], record[end..].replacen(": ", " ", 1)));
                variants.push(format!("{}{}", &record[..end], record[end..].replacen(",\n", "\n", 1)));
                variants.push(record[..(end + record.len()) / 2].to_string());
                for v in &variants {
                    // Read afresh, the resource and then the rest: the literal the whole grammar reads.
                    let literal = read_literal(v, &mut Resources::default()).map(|(js, _)| js);
                    assert_eq!(format!("{literal:?}"), format!("{:?}", parse_literal(v)), "{v}");
                    let fresh = parse_record(v, &Needs::ALL, &mut Resources::default());
                    assert_eq!(format!("{:?}", parse_record(v, &Needs::ALL, &mut warm)), format!("{fresh:?}"), "{v}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "Node samples not found under {root}");
    }

    #[test]
    fn literals_with_every_quirk() {
        let text = "{\n  a: 'it\\'s',\n  'b.c': \"q'\",\n  d: [ 1, 2.5, -0, NaN ],\n  e: undefined,\n  f: 12n,\n  g: 'one\\n' +\n    'two',\n  h: { deep: [Array] },\n  i: '\\x1B[0m'\n}";
        let js = parse_literal(text).unwrap();
        assert_eq!(js.get("a"), Some(&Js::Str("it's".into())));
        assert_eq!(js.get("b.c"), Some(&Js::Str("q'".into())));
        assert_eq!(js.get("e"), Some(&Js::Undefined));
        assert_eq!(js.get("f"), Some(&Js::BigInt("12".into())));
        assert_eq!(js.get("g"), Some(&Js::Str("one\ntwo".into())));
        assert_eq!(js.get("i"), Some(&Js::Str("\x1b[0m".into())));
        let err = parse_literal("{\n  a: 'x',\n  b: \n}").unwrap_err();
        assert_eq!(err.offset_lines, 3);
    }

    #[test]
    fn long_arrays_cut_strings_and_unicode_escapes() {
        let text = "{\n  n: [\n    1, 2,\n    ... 98 more items\n  ],\n  s: 'abc'... 9990 more characters,\n  \
                    e: '\\uD83D\\uDE00 \\u{1F600} \\u00e9',\n  empty: [],\n  o: {}\n}";
        let js = parse_literal(text).unwrap();
        assert_eq!(js.get("n"), Some(&Js::Arr(vec![Js::Int(1), Js::Int(2)])));
        assert_eq!(js.get("s"), Some(&Js::Str("abc".into())));
        assert_eq!(js.get("e"), Some(&Js::Str("😀 😀 é".into())));
        assert_eq!(js.get("empty"), Some(&Js::Arr(vec![])));
        assert_eq!(js.get("o"), Some(&Js::Obj(vec![])));
    }

    #[test]
    fn errors_name_the_line_and_what_was_expected() {
        let cases = [
            ("{\n  a 1\n}", 1, "expected ':' after a key"),
            ("{\n  a: [ 1, 2\n  }\n}", 2, "expected ',' or ']'"),
            ("{\n  a: 'open\n}", 2, "unterminated string"),
            ("{\n  a: 1\n}\nextra", 3, "unexpected text after the object"),
            ("{\n  a: @@\n}", 1, "unknown value"),
        ];
        for (text, line, what) in cases {
            let e = parse_literal(text).unwrap_err();
            assert_eq!(e.offset_lines, line, "{text:?}");
            assert!(matches!(&e.kind, ParseErrorKind::Invalid(m) if m.ends_with(what)), "{text:?}: {:?}", e.kind);
        }
    }
}
