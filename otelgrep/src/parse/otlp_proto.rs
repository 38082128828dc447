//! The Collector `file` exporter's `format: proto`: binary OTLP, each export written as a 4-byte
//! big-endian length and then a `TracesData`, `MetricsData` or `LogsData` message
//! (`exportMessageAsBuffer` in the exporter's `file_writer.go`). Signals may share one file (one
//! exporter in several pipelines), and the framing does not say which message is which: the first
//! records' field numbers and wire types tell it (see [`signal`]).
//!
//! Messages are decoded by prost from the declarations in `messages.rs` (the fields otelgrep
//! reads, with opentelemetry-proto's numbers) into the same [`Batch`] as OTLP JSON.

use std::sync::Arc;

mod messages;

use messages::*;
use prost::Message;
use prost::encoding::{WireType, decode_key, decode_varint};

use super::otlp_json::{Batch, record_error, retired, span_kind};
use super::{ParseErrorKind, RecordError, Resources};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Scope, Span, StatusCode,
    Temporality, Value, trace_state,
};

/// Whether an input starts as the proto format does: a length that fits, then field 1 of a
/// `*Data` message (a resource group) whose own length fits in the message. Empty messages (an
/// export of nothing is four zero bytes) are passed over to the first that holds something.
/// A text never passes: its first byte makes a length of at least 512 MB, and the longest
/// message taken is 256 MB (a Rust capture of 1.3 GB opens `Logs\n`: as a length that fits,
/// then a byte 0x0a).
pub fn is_framed(bytes: &[u8]) -> bool {
    const LONGEST: usize = 1 << 28;
    let mut at = 0;
    while let Some(b) = bytes.get(at..at + 4) {
        let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        if len > 0 {
            let Some(message) = bytes.get(at + 4..at + 4 + len).filter(|_| (2..=LONGEST).contains(&len)) else {
                return false;
            };
            let mut rest = &message[1..];
            return message[0] == 0x0a && decode_varint(&mut rest).is_ok_and(|field| field as usize <= rest.len());
        }
        at += 4;
    }
    false
}

/// An input read as one bare export request, unframed: the body of an OTLP/HTTP request
/// (`ExportTraceServiceRequest` and its kin have the fields of `TracesData` and its kin), as
/// saved from a proxy or by a test. Its top-level fields are resource groups (field 1), each a
/// message of its own (a `*Data` holding one group): read one by one, so that requests of
/// different signals saved one after another are each read, and a cut loses only the group it
/// falls in.
#[derive(Debug, PartialEq, Eq)]
pub struct Bare {
    /// Where each whole group's field (its tag and length included) starts and ends.
    pub groups: Vec<(usize, usize)>,
    /// The input ends inside a group (a file cut short).
    pub cut: bool,
}

/// The input as one bare request ([`Bare`]), if it is one: every top-level field is field 1, to
/// the end of the input (or to line breaks or spaces after the last, as an editor or `echo`
/// leaves them), and a record in them says its signal ([`signal`]). Cut inside a group, it is
/// one if a whole group says so, or if no group is whole, it is not UTF-8 and the group opens as
/// a resource group does. A text never passes: it would have to be such fields to its last byte.
pub fn bare(bytes: &[u8]) -> Option<Bare> {
    let (groups, cut) = bare_walk(bytes)?;
    let said = groups.iter().any(|&(a, b)| signal(&bytes[a..b]).is_some());
    // Cut in its first group, nothing whole says: binary, and the group opens as a resource
    // group does (its resource, a scope group or its schema URL).
    let opens = || {
        let size = bytes[1..].iter().position(|b| b & 0x80 == 0).map_or(bytes.len(), |i| i + 2);
        matches!(bytes.get(size), Some(0x0a | 0x12 | 0x1a)) && std::str::from_utf8(bytes).is_err()
    };
    (said || (cut && groups.is_empty() && opens())).then_some(Bare { groups, cut })
}

/// Whether an input is one bare export request ([`bare`]).
pub fn is_bare(bytes: &[u8]) -> bool {
    bare(bytes).is_some()
}

/// Whether an input is binary OTLP: framed messages ([`is_framed`]) or a bare request.
pub fn is_binary(bytes: &[u8]) -> bool {
    is_framed(bytes) || is_bare(bytes)
}

/// Whether the start of a stream may be binary OTLP: framed, or the start of a bare request
/// ([`may_be_bare`]). Such a stream is read whole, and then decided as a file is.
pub fn may_be_binary(head: &[u8]) -> bool {
    is_framed(head) || may_be_bare(head)
}

/// Whether a message holds metrics (its first record says so).
pub fn holds_metrics(message: &[u8]) -> bool {
    signal(message) == Some(Kind::Metrics)
}

/// Whether the start of a stream may be a bare request ([`bare`]): its top-level fields are all
/// field 1 as far as it goes.
pub fn may_be_bare(head: &[u8]) -> bool {
    bare_walk(head).is_some()
}

/// Walks top-level length-delimited fields numbered 1: where each whole one is, and whether the
/// last runs past the input's end; `None` when another field or bytes that are no field come
/// (or the input is empty). Line breaks and spaces after the last whole field end the walk.
fn bare_walk(bytes: &[u8]) -> Option<(Vec<(usize, usize)>, bool)> {
    let (mut at, mut groups) = (0, Vec::new());
    if bytes.is_empty() {
        return None;
    }
    while let Some(rest) = bytes.get(at..).filter(|r| !r.is_empty()) {
        let after_one = !groups.is_empty();
        let trailing = || after_one && rest.iter().all(|b| matches!(b, b'\n' | b'\r' | b' ' | b'\t'));
        if rest[0] != 0x0a {
            return trailing().then_some((groups, false));
        }
        // The length: a varint of up to ten bytes; cut short by the end, the field runs past it.
        let after = &rest[1..];
        let Some(size) = after.iter().take(10).position(|b| b & 0x80 == 0).map(|i| i + 1) else {
            return (after.len() < 10).then(|| (groups, !trailing()));
        };
        let len = after[..size].iter().rev().fold(0u128, |n, b| n << 7 | u128::from(b & 0x7f));
        match usize::try_from(len).ok().filter(|&len| len <= after.len() - size) {
            Some(len) => {
                groups.push((at, at + 1 + size + len));
                at += 1 + size + len;
            }
            None => return Some((groups, !trailing())),
        }
    }
    Some((groups, false))
}

/// One framed message: its place (1-based) and byte offset, and its bytes, or `Err` when the
/// input ends inside it.
pub struct Frame<'a> {
    pub index: u64,
    pub offset: usize,
    pub bytes: Result<&'a [u8], ()>,
}

/// The framed messages of an input, in order.
pub fn frames(bytes: &[u8]) -> impl Iterator<Item = Frame<'_>> {
    let (mut at, mut index) = (0usize, 0u64);
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        index += 1;
        let offset = at;
        let Some(head) = bytes.get(at..at + 4) else {
            at = bytes.len();
            return Some(Frame { index, offset, bytes: Err(()) });
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let body = bytes.get(at + 4..at + 4 + len);
        at = body.map_or(bytes.len(), |_| at + 4 + len);
        Some(Frame { index, offset, bytes: body.ok_or(()) })
    })
}

/// Reads one message into records.
pub fn parse_message(bytes: &[u8], resources: &mut Resources) -> Result<Batch, RecordError> {
    let invalid =
        |e: prost::DecodeError| RecordError::from(ParseErrorKind::Invalid(format!("invalid OTLP protobuf: {e}")));
    let mut batch = Batch::default();
    match signal(bytes) {
        Some(Kind::Spans) => {
            for rs in TracesData::decode(bytes).map_err(invalid)?.resource_spans {
                let res = resource(rs.resource, resources);
                for ss in rs.scope_spans {
                    let scope = ss.scope.and_then(|s| Scope::new(&s.name, &s.version));
                    for s in ss.spans {
                        let index = batch.spans.len() + batch.errors.len();
                        match span(s, &res, &scope) {
                            Ok(s) => batch.spans.push(s),
                            Err((name, why)) => batch.errors.push(record_error("span", index, &name, why)),
                        }
                    }
                }
            }
        }
        Some(Kind::Logs) => {
            for rl in LogsData::decode(bytes).map_err(invalid)?.resource_logs {
                let res = resource(rl.resource, resources);
                for sl in rl.scope_logs {
                    let scope = sl.scope.and_then(|s| Scope::new(&s.name, &s.version));
                    for l in sl.log_records {
                        let index = batch.logs.len() + batch.errors.len();
                        match log(l, &res, &scope) {
                            Ok(l) => batch.logs.push(l),
                            Err(why) => batch.errors.push(record_error("log record", index, "", why)),
                        }
                    }
                }
            }
        }
        Some(Kind::Metrics) => {
            batch.metric_exports += 1;
            for rm in MetricsData::decode(bytes).map_err(invalid)?.resource_metrics {
                let res = resource(rm.resource, resources);
                for sm in rm.scope_metrics {
                    let scope = sm.scope.and_then(|s| Scope::new(&s.name, &s.version));
                    for m in sm.metrics {
                        points(m, &res, &scope, &mut batch.points, &mut batch.errors);
                    }
                }
            }
        }
        // A message without records (no resource group, or only empty ones): nothing to read.
        None => {}
    }
    Ok(batch)
}

/// The signal of a `*Data` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Spans,
    Metrics,
    Logs,
}

/// The wire types a record's fields may have, per signal (field number → wire type), from
/// opentelemetry-proto's `Span`, `Metric` and `LogRecord`.
const SPAN_FIELDS: &[(u32, WireType)] = &[
    (1, WireType::LengthDelimited),
    (2, WireType::LengthDelimited),
    (3, WireType::LengthDelimited),
    (4, WireType::LengthDelimited),
    (5, WireType::LengthDelimited),
    (6, WireType::Varint),
    (7, WireType::SixtyFourBit),
    (8, WireType::SixtyFourBit),
    (9, WireType::LengthDelimited),
    (10, WireType::Varint),
    (11, WireType::LengthDelimited),
    (12, WireType::Varint),
    (13, WireType::LengthDelimited),
    (14, WireType::Varint),
    (15, WireType::LengthDelimited),
    (16, WireType::ThirtyTwoBit),
];
const METRIC_FIELDS: &[(u32, WireType)] = &[
    (1, WireType::LengthDelimited),
    (2, WireType::LengthDelimited),
    (3, WireType::LengthDelimited),
    (5, WireType::LengthDelimited),
    (7, WireType::LengthDelimited),
    (9, WireType::LengthDelimited),
    (10, WireType::LengthDelimited),
    (11, WireType::LengthDelimited),
    (12, WireType::LengthDelimited),
];
const LOG_FIELDS: &[(u32, WireType)] = &[
    (1, WireType::SixtyFourBit),
    (2, WireType::Varint),
    (3, WireType::LengthDelimited),
    (5, WireType::LengthDelimited),
    (6, WireType::LengthDelimited),
    (7, WireType::Varint),
    (8, WireType::ThirtyTwoBit),
    (9, WireType::LengthDelimited),
    (10, WireType::LengthDelimited),
    (11, WireType::SixtyFourBit),
    (12, WireType::LengthDelimited),
];

/// Which signal a message holds: the records (resource group field 2, scope group field 2) are
/// held to each signal's field numbers and wire types, until one record fits one signal only.
/// A record that fits several (a minimal one: a name, a body) is held to what its fields must
/// then hold (see [`plausible`]).
fn signal(msg: &[u8]) -> Option<Kind> {
    let mut fallback = None;
    for group in fields(msg).filter(|(n, _, _)| *n == 1).filter_map(|(_, _, b)| b) {
        for scope in fields(group).filter(|(n, _, _)| *n == 2).filter_map(|(_, _, b)| b) {
            for record in fields(scope).filter(|(n, _, _)| *n == 2).filter_map(|(_, _, b)| b) {
                let fit: Vec<Kind> =
                    [(Kind::Spans, SPAN_FIELDS), (Kind::Metrics, METRIC_FIELDS), (Kind::Logs, LOG_FIELDS)]
                        .into_iter()
                        .filter(|(_, schema)| fits(record, schema))
                        .map(|(k, _)| k)
                        .collect();
                match fit.as_slice() {
                    [] => {}
                    [one] => return Some(*one),
                    several => match several.iter().filter(|k| plausible(**k, record)).collect::<Vec<_>>().as_slice() {
                        [one] => return Some(**one),
                        _ => fallback = fallback.or(Some(several[0])),
                    },
                }
            }
        }
    }
    fallback
}

/// Whether every field of a message has a number and wire type `schema` allows.
fn fits(msg: &[u8], schema: &[(u32, WireType)]) -> bool {
    whole(msg) && fields(msg).all(|(n, w, _)| schema.iter().all(|&(m, v)| m != n || v == w))
}

/// Whether a message decodes to its end.
fn whole(msg: &[u8]) -> bool {
    let mut rest = msg;
    while !rest.is_empty() {
        let Some(next) = skip_field(rest) else { return false };
        rest = next;
    }
    true
}

/// The bytes after a message's first field, if it decodes.
fn skip_field(mut buf: &[u8]) -> Option<&[u8]> {
    let (_, wire) = decode_key(&mut buf).ok()?;
    match wire {
        WireType::Varint => decode_varint(&mut buf).ok().map(|_| buf),
        WireType::SixtyFourBit => buf.get(8..),
        WireType::ThirtyTwoBit => buf.get(4..),
        WireType::LengthDelimited => {
            let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
            buf.get(len..)
        }
        WireType::StartGroup | WireType::EndGroup => None,
    }
}

/// What a record's fields must hold to be a span (ids of 16 and 8 bytes, a printable name), a
/// metric (a printable name, data fields that are messages of the data's shape, holding points
/// that decode) or a log record
/// (a body that is an `AnyValue`).
fn plausible(kind: Kind, record: &[u8]) -> bool {
    let printable = |b: &[u8]| std::str::from_utf8(b).is_ok_and(|s| !s.chars().any(char::is_control));
    // A gauge, sum or histogram holds its points (1), temporality (2) and monotonicity (3), and
    // nothing else: a log body's map or array does not pass for one.
    let data = |b: &[u8]| {
        fits(b, &[(1, WireType::LengthDelimited), (2, WireType::Varint), (3, WireType::Varint)])
            && fields(b).all(|(n, _, p)| (1..=3).contains(&n) && (n != 1 || p.is_some_and(whole)))
    };
    // Every metric has a name.
    if kind == Kind::Metrics && !fields(record).any(|(n, _, b)| n == 1 && b.is_some_and(|b| !b.is_empty())) {
        return false;
    }
    fields(record).all(|(n, _, b)| {
        let b = b.unwrap_or_default();
        match (kind, n) {
            (Kind::Spans, 1) => matches!(b.len(), 0 | 16),
            (Kind::Spans, 2 | 4) => matches!(b.len(), 0 | 8),
            (Kind::Spans, 5) | (Kind::Metrics, 1) | (Kind::Logs, 3) => printable(b),
            (Kind::Metrics, 5 | 7 | 9 | 10 | 11) => data(b),
            (Kind::Logs, 5) => fits(b, ANY_VALUE_FIELDS),
            _ => true,
        }
    })
}

const ANY_VALUE_FIELDS: &[(u32, WireType)] = &[
    (1, WireType::LengthDelimited),
    (2, WireType::Varint),
    (3, WireType::Varint),
    (4, WireType::SixtyFourBit),
    (5, WireType::LengthDelimited),
    (6, WireType::LengthDelimited),
    (7, WireType::LengthDelimited),
    (8, WireType::Varint),
];

/// A message's top-level fields: number, wire type, and the bytes of length-delimited ones.
/// Stops at the first field that does not decode (prost then says what is wrong).
fn fields(mut buf: &[u8]) -> impl Iterator<Item = (u32, WireType, Option<&[u8]>)> {
    std::iter::from_fn(move || {
        if buf.is_empty() {
            return None;
        }
        let (number, wire) = decode_key(&mut buf).ok()?;
        let bytes = match wire {
            WireType::Varint => {
                decode_varint(&mut buf).ok()?;
                None
            }
            WireType::SixtyFourBit => {
                buf = buf.get(8..)?;
                None
            }
            WireType::ThirtyTwoBit => {
                buf = buf.get(4..)?;
                None
            }
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut buf).ok()?).ok()?;
                let (body, rest) = (buf.get(..len)?, buf.get(len..)?);
                buf = rest;
                Some(body)
            }
            WireType::StartGroup | WireType::EndGroup => return None,
        };
        Some((number, wire, bytes))
    })
}

/// A trace or span id: empty is none (0); otherwise exactly `len` bytes.
fn id(bytes: &[u8], len: usize, what: &str) -> Result<u128, String> {
    match bytes.len() {
        0 => Ok(0),
        n if n == len => Ok(bytes.iter().fold(0u128, |acc, &b| acc << 8 | u128::from(b))),
        n => Err(format!("{what} of {n} bytes (not {len})")),
    }
}

fn resource(r: Option<PbResource>, resources: &mut Resources) -> Arc<Resource> {
    resources.intern(Resource { attributes: r.map(|r| attributes(r.attributes)).unwrap_or_default() })
}

fn attributes(kvs: Vec<KeyValue>) -> Attributes {
    kvs.into_iter().map(|kv| (kv.key, kv.value.map_or(Value::Empty, any_value))).collect()
}

fn any_value(v: AnyValue) -> Value {
    match v.value {
        Some(any_value::Value::StringValue(s)) => Value::Str(s),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(b),
        Some(any_value::Value::IntValue(i)) => Value::Int(i),
        Some(any_value::Value::DoubleValue(d)) => Value::Double(d),
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.into_iter().map(any_value).collect()),
        Some(any_value::Value::KvlistValue(kv)) => Value::Map(attributes(kv.values)),
        // OTLP JSON writes bytes as base64; kept as their length here rather than guessed at.
        Some(any_value::Value::BytesValue(b)) => Value::Str(format!("({} bytes)", b.len())),
        None => Value::Empty,
    }
}

fn time(ns: u64) -> i64 {
    i64::try_from(ns).unwrap_or(i64::MAX)
}

/// A span, or its name and why it is not one.
fn span(s: PbSpan, res: &Arc<Resource>, scope: &Option<Arc<Scope>>) -> Result<Span, (String, String)> {
    let named = |why: String| (s.name.clone(), why);
    let trace_id = id(&s.trace_id, 16, "traceId").map_err(named)?;
    let span_id = id(&s.span_id, 8, "spanId").map_err(named)? as u64;
    let parent = id(&s.parent_span_id, 8, "parentSpanId").map_err(named)? as u64;
    let status = s.status.unwrap_or_default();
    Ok(Span {
        trace_id,
        span_id,
        parent_span_id: Some(parent).filter(|&p| p != 0),
        trace_state: trace_state(&s.trace_state),
        kind: span_kind(i64::from(s.kind)),
        start_ns: time(s.start_time_unix_nano),
        end_ns: time(s.end_time_unix_nano),
        status: match status.code {
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => StatusCode::Unset,
        },
        status_message: Some(status.message).filter(|m| !m.is_empty()),
        attributes: attributes(s.attributes),
        events: s
            .events
            .into_iter()
            .map(|e| Event { name: e.name, time_ns: time(e.time_unix_nano), attributes: attributes(e.attributes) })
            .collect(),
        links: s
            .links
            .into_iter()
            .filter_map(|l| {
                Some(Link {
                    trace_id: id(&l.trace_id, 16, "").ok().filter(|&t| t != 0)?,
                    span_id: id(&l.span_id, 8, "").ok().filter(|&s| s != 0)? as u64,
                    trace_state: trace_state(&l.trace_state),
                    attributes: attributes(l.attributes),
                })
            })
            .collect(),
        resource: res.clone(),
        scope: scope.clone(),
        name: s.name,
    })
}

fn log(l: PbLogRecord, res: &Arc<Resource>, scope: &Option<Arc<Scope>>) -> Result<LogRecord, String> {
    let trace_id = id(&l.trace_id, 16, "traceId")?;
    let span_id = id(&l.span_id, 8, "spanId")? as u64;
    Ok(LogRecord {
        time_ns: Some(time(l.time_unix_nano)).filter(|&t| t != 0),
        observed_time_ns: Some(time(l.observed_time_unix_nano)).filter(|&t| t != 0),
        severity_number: u8::try_from(l.severity_number).ok().filter(|&n| n != 0),
        severity_text: Some(l.severity_text).filter(|s| !s.is_empty()),
        body: l.body.map_or(Value::Empty, any_value),
        attributes: attributes(l.attributes),
        trace_id: Some(trace_id).filter(|&t| t != 0),
        span_id: Some(span_id).filter(|&s| s != 0),
        resource: res.clone(),
        scope: scope.clone(),
    })
}

fn temporality(t: i32) -> Option<Temporality> {
    match t {
        1 => Some(Temporality::Delta),
        2 => Some(Temporality::Cumulative),
        _ => None,
    }
}

/// A metric's points; a metric without data is an empty metric. A number point without its value
/// is named in `errors` and left out, as OTLP JSON's are.
fn points(
    mut m: PbMetric,
    res: &Arc<Resource>,
    scope: &Option<Arc<Scope>>,
    out: &mut Vec<MetricPoint>,
    errors: &mut Vec<RecordError>,
) {
    let data = m.data.take();
    let point = |kind, temporality, start: u64, time_ns: u64, attrs: Vec<KeyValue>, value| MetricPoint {
        name: m.name.clone(),
        unit: m.unit.clone(),
        description: m.description.clone(),
        kind,
        temporality,
        start_ns: Some(time(start)).filter(|&t| t != 0),
        time_ns: time(time_ns),
        attributes: attributes(attrs),
        value,
        resource: res.clone(),
        scope: scope.clone(),
    };
    let mut numbers = |kind, temp, data_points: Vec<NumberDataPoint>, out: &mut Vec<MetricPoint>| {
        for (i, p) in data_points.into_iter().enumerate() {
            let value = match p.value {
                Some(number_data_point::Value::AsInt(i)) => PointValue::Int(i),
                Some(number_data_point::Value::AsDouble(d)) => PointValue::Double(d),
                None => {
                    let why = format!("metric {:?}: data point {} has no value", m.name, i + 1);
                    errors.push(ParseErrorKind::Invalid(why).into());
                    continue;
                }
            };
            out.push(point(kind, temp, p.start_time_unix_nano, p.time_unix_nano, p.attributes, value));
        }
    };
    match data {
        Some(metric::Data::Gauge(g)) => numbers(MetricKind::Gauge, None, g.data_points, out),
        Some(metric::Data::Sum(sum)) => {
            let kind = if sum.is_monotonic { MetricKind::Counter } else { MetricKind::UpDownCounter };
            numbers(kind, temporality(sum.aggregation_temporality), sum.data_points, out)
        }
        Some(metric::Data::Histogram(h)) => {
            let temp = temporality(h.aggregation_temporality);
            out.extend(h.data_points.into_iter().map(|p| {
                let v = PointValue::Histogram {
                    count: p.count,
                    sum: p.sum,
                    min: p.min,
                    max: p.max,
                    bounds: p.explicit_bounds,
                    counts: p.bucket_counts,
                };
                point(MetricKind::Histogram, temp, p.start_time_unix_nano, p.time_unix_nano, p.attributes, v)
            }))
        }
        Some(metric::Data::ExponentialHistogram(h)) => {
            let temp = temporality(h.aggregation_temporality);
            out.extend(h.data_points.into_iter().map(|p| {
                let (pos, neg) = (p.positive.unwrap_or_default(), p.negative.unwrap_or_default());
                let v = PointValue::ExponentialHistogram {
                    count: p.count,
                    sum: p.sum,
                    min: p.min,
                    max: p.max,
                    scale: p.scale,
                    zero_count: p.zero_count,
                    positive_offset: pos.offset,
                    positive: pos.bucket_counts,
                    negative_offset: neg.offset,
                    negative: neg.bucket_counts,
                };
                let kind = MetricKind::ExponentialHistogram;
                point(kind, temp, p.start_time_unix_nano, p.time_unix_nano, p.attributes, v)
            }))
        }
        // A summary's quantiles are not modelled (as in OTLP JSON): its sum is kept.
        Some(metric::Data::Summary(sm)) => out.extend(sm.data_points.into_iter().map(|p| {
            let v = PointValue::Double(p.sum);
            point(MetricKind::Summary, None, p.start_time_unix_nano, p.time_unix_nano, p.attributes, v)
        })),
        None => {
            let old = [("intGauge", &m.int_gauge), ("intSum", &m.int_sum), ("intHistogram", &m.int_histogram)];
            if let Some((k, _)) = old.iter().find(|(_, d)| d.is_some()) {
                errors.push(ParseErrorKind::Invalid(format!("metric {:?}: {}", m.name, retired(k))).into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Bare, Message, Resources, bare, is_bare, is_framed, may_be_bare, messages::*, parse_message};

    /// A metric of OTLP before 0.8 (an `IntSum`, whose tag today's `Metric` reserves) is named
    /// and skipped, not taken for a metric without data; the metric beside it is read.
    #[test]
    fn a_metric_of_otlp_before_0_8_is_named() {
        let old = PbMetric { name: "old".into(), int_sum: Some(vec![0x0a, 0x00]), ..Default::default() };
        let point = NumberDataPoint { value: Some(number_data_point::Value::AsInt(3)), ..Default::default() };
        let sum = Sum { data_points: vec![point], ..Default::default() };
        let new = PbMetric { name: "new".into(), data: Some(metric::Data::Sum(sum)), ..Default::default() };
        let scope = ScopeMetrics { metrics: vec![old, new], ..Default::default() };
        let request = MetricsData {
            resource_metrics: vec![ResourceMetrics { scope_metrics: vec![scope], ..Default::default() }],
        };
        let batch = parse_message(&request.encode_to_vec(), &mut Resources::default()).unwrap();
        assert_eq!(batch.points.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["new"]);
        assert_eq!(batch.errors.len(), 1);
        assert!(
            format!("{:?}", batch.errors[0]).contains(r#"metric \"old\": intSum is a data field of OTLP before 0.8"#),
            "{:?}",
            batch.errors
        );
    }

    /// A Rust capture of 1.3 GB opens `Logs\n`, which read as a length is 1,282 MB followed by
    /// the byte 0x0a: it is text, not a framed message. (A sparse file: no disk is written.)
    #[test]
    fn a_large_text_is_never_taken_for_framed_messages() {
        let path = std::env::temp_dir().join(format!("otelgrep-framed-{}", std::process::id()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        std::io::Write::write_all(&mut &file, b"Logs\nResource\n\t ->  service.name=String(Owned(\"todo\"))\n")
            .unwrap();
        file.set_len(1_300_000_000).unwrap();
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let framed = is_framed(&map);
        drop(map);
        std::fs::remove_file(&path).unwrap();
        assert!(!framed);
        // A real message is: its length, field 1 with a length that fits.
        assert!(is_framed(&[0, 0, 0, 4, 0x0a, 2, 0x0a, 0]));
        assert!(!is_framed(&[0, 0, 0, 4, 0x0a, 9, 0x0a, 0]));
    }

    /// A bare request is field-1 groups to its last byte (or to line breaks after it); text is
    /// not, whatever its first line; a cut one says where its whole groups end.
    #[test]
    fn a_bare_request_is_its_fields_to_the_end_and_text_is_not() {
        // A resource group holding a scope group holding a span-shaped record (name, field 5).
        let record = [0x2a, 1, b'x'];
        let scope = [&[0x12, record.len() as u8][..], &record].concat();
        let group = [&[0x12, scope.len() as u8][..], &scope].concat();
        let request = [&[0x0a, group.len() as u8][..], &group].concat();
        let n = request.len();
        assert_eq!(bare(&request), Some(Bare { groups: vec![(0, n)], cut: false }));
        assert_eq!(bare(&request.repeat(3)).map(|b| b.groups.len()), Some(3), "requests concatenated are one");
        assert_eq!(bare(&[&request[..], b"\r\n"].concat()), Some(Bare { groups: vec![(0, n)], cut: false }));
        let cut = [&request[..], &request[..n - 1]].concat();
        assert_eq!(bare(&cut), Some(Bare { groups: vec![(0, n)], cut: true }));
        // Cut in its only group: taken for a request only when it is not text.
        assert_eq!(bare(&request[..n - 1]), None);
        let binary = [&[0x0a, 0x7f, 0x0a, 0x02, 0xff][..], &request].concat();
        assert_eq!(bare(&binary), Some(Bare { groups: vec![], cut: true }));
        assert_eq!(bare(b"\n\xe9t\xe9 Latin-1"), None);
        assert!(may_be_bare(&request[..3]), "a stream's start that may go on");
        for text in [&b"\nLogs\nResource\n"[..], b"\n\n\n", b"{\"resourceSpans\":[]}\n", b"", b"\n\x80"] {
            assert!(!is_bare(text), "{text:?}");
        }
        // A text's start may pass for a field that runs past it; a start longer than that does not.
        let text = b"\nLogs\nResource\n\t ->  service.name=String(Owned(\"todo\"))\n";
        assert!(may_be_bare(text));
        assert!(!may_be_bare(&text.repeat(2)));
    }
}
