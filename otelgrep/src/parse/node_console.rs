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

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_till, take_while1};
use nom::character::complete::{anychar, char, digit1, hex_digit1, one_of};
use nom::combinator::{cut, map, map_opt, opt, value as to};
use nom::error::{ContextError, ErrorKind, ParseError, context};
use nom::multi::{many0, separated_list0};
use nom::sequence::{pair, preceded, separated_pair, terminated};
use nom::{IResult, Parser};
use std::sync::Arc;

use super::grammar::{spaces as multispace0, unescaped};
use super::{ParseErrorKind, RecordError, Resources};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Span, SpanKind, StatusCode,
    Temporality, Value,
};

/// A JavaScript value as `util.inspect` prints it.
#[derive(Debug, Clone, PartialEq)]
pub enum Js {
    Undefined,
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    BigInt(String),
    Str(String),
    Arr(Vec<Js>),
    Obj(Vec<(String, Js)>),
}

impl Js {
    fn get(&self, key: &str) -> Option<&Js> {
        match self {
            Js::Obj(kvs) => kvs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Js::Str(s) => Some(s),
            _ => None,
        }
    }
    fn f64(&self) -> Option<f64> {
        match self {
            Js::Int(i) => Some(*i as f64),
            Js::Num(n) => Some(*n),
            _ => None,
        }
    }
    fn i64(&self) -> Option<i64> {
        match self {
            Js::Int(i) => Some(*i),
            Js::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            Js::BigInt(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Parses one object literal.
pub fn parse_literal(text: &str) -> Result<Js, RecordError> {
    literal(text, js_value(text))
}

/// What the literal `text` read as: the value, or the error at its line. `parsed` is a parse of
/// `text` or of a part of it that runs to its end.
fn literal<'a>(text: &'a str, parsed: Res<'a, Js>) -> Result<Js, RecordError> {
    let at = |e: LitError| {
        let consumed = &text[..text.len() - e.at.len()];
        RecordError {
            offset_lines: consumed.bytes().filter(|&b| b == b'\n').count() as u64,
            kind: ParseErrorKind::Invalid(format!("invalid Node console record: {}", e.msg)),
        }
    };
    match parsed {
        Ok((rest, v)) if rest.trim().is_empty() => Ok(v),
        Ok((rest, _)) => Err(at(LitError { at: rest.trim_start(), msg: "unexpected text after the object" })),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(at(e)),
        Err(nom::Err::Incomplete(_)) => Err(at(LitError { at: "", msg: "unexpected end" })),
    }
}

/// Where the literal went wrong, and what was expected there.
#[derive(Debug)]
struct LitError<'a> {
    at: &'a str,
    msg: &'static str,
}

const UNEXPECTED: &str = "unexpected text";

impl<'a> ParseError<&'a str> for LitError<'a> {
    fn from_error_kind(at: &'a str, _: ErrorKind) -> Self {
        LitError { at, msg: UNEXPECTED }
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

impl<'a> ContextError<&'a str> for LitError<'a> {
    /// The innermost position, named by the closest `context`.
    fn add_context(_: &'a str, msg: &'static str, other: Self) -> Self {
        if other.msg == UNEXPECTED { LitError { msg, ..other } } else { other }
    }
}

type Res<'a, T> = IResult<&'a str, T, LitError<'a>>;

/// Stops the parse here: no other alternative can apply.
fn fail<'a, T>(at: &'a str, msg: &'static str) -> Res<'a, T> {
    Err(nom::Err::Failure(LitError { at, msg }))
}

/// Any value, after optional whitespace; its first character says which.
fn js_value(i: &str) -> Res<'_, Js> {
    let (i, _) = multispace0(i)?;
    match i.chars().next() {
        None => fail(i, "unexpected end"),
        Some('{') => object(i),
        // `util.inspect` stopped at depth 3: the exporter printed nothing more.
        Some('[') => alt((to(Js::Undefined, alt((tag("[Array]"), tag("[Object]")))), array)).parse(i),
        Some('\'' | '"' | '`') => text(i),
        Some(_) => word(i),
    }
}

/// `{ key: value, 'quoted.key': value, }`.
fn object(i: &str) -> Res<'_, Js> {
    let (i, kvs) = preceded(char('{'), separated_list0(preceded(multispace0, char(',')), entry)).parse(i)?;
    object_end(i, kvs)
}

/// `key: value`.
fn entry(i: &str) -> Res<'_, (String, Js)> {
    let key = preceded(
        multispace0,
        alt((string, map(take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$'), String::from))),
    );
    separated_pair(key, cut(context("expected ':' after a key", preceded(multispace0, char(':')))), cut(js_value))
        .parse(i)
}

/// An object's optional last comma and its `}`.
fn object_end(i: &str, kvs: Vec<(String, Js)>) -> Res<'_, Js> {
    let (i, _) = opt(preceded(multispace0, char(','))).parse(i)?;
    let (i, _) = cut(context("expected ',' or '}'", preceded(multispace0, char('}')))).parse(i)?;
    Ok((i, Js::Obj(kvs)))
}

/// The rest of an object after its first entry, `first`: as [`object`] reads it (the entries
/// after the first are `, entry` each, as `separated_list0` reads them).
fn object_after(i: &str, first: (String, Js)) -> Res<'_, Js> {
    let (i, more) = many0(preceded(preceded(multispace0, char(',')), entry)).parse(i)?;
    let mut kvs = Vec::with_capacity(more.len() + 1);
    kvs.push(first);
    kvs.extend(more);
    object_end(i, kvs)
}

/// `[ a, b, ... 12 more items ]` (arrays over 100 items end with that count).
fn array(i: &str) -> Res<'_, Js> {
    let more = to(None, preceded(pair(multispace0, tag("... ")), take_till(|c| c == ']')));
    let item = alt((more, map(js_value, Some)));
    let (i, items) = preceded(char('['), separated_list0(preceded(multispace0, char(',')), item)).parse(i)?;
    let (i, _) = opt(preceded(multispace0, char(','))).parse(i)?;
    let (i, _) = cut(context("expected ',' or ']'", preceded(multispace0, char(']')))).parse(i)?;
    Ok((i, Js::Arr(items.into_iter().flatten().collect())))
}

/// A string, long ones printed as `'part' +` lines, cut ones followed by `... 9990 more characters`.
fn text(i: &str) -> Res<'_, Js> {
    let (i, first) = string(i)?;
    let (i, parts) = many0(preceded((multispace0, char('+'), multispace0), string)).parse(i)?;
    let (i, _) = opt((tag("... "), digit1, tag(" more characters"))).parse(i)?;
    Ok((i, Js::Str(parts.into_iter().fold(first, |s, p| s + &p))))
}

/// `'...'`, `"..."` or `` `...` `` with JavaScript escapes.
fn string(i: &str) -> Res<'_, String> {
    let (i, quote) = one_of("'\"`")(i)?;
    let plain = match quote {
        '\'' => "'\\",
        '"' => "\"\\",
        _ => "`\\",
    };
    let body = unescaped(plain, cut(escape));
    terminated(body, cut(context("unterminated string", char(quote)))).parse(i)
}

/// The character after a backslash.
fn escape(i: &str) -> Res<'_, char> {
    let hex = |n: usize| map_opt(take(n), |h: &str| u32::from_str_radix(h, 16).ok());
    alt((
        to('\n', char('n')),
        to('\r', char('r')),
        to('\t', char('t')),
        to('\u{8}', char('b')),
        to('\u{c}', char('f')),
        to('\u{b}', char('v')),
        to('\0', char('0')),
        preceded(char('x'), map(hex(2), |v| char::from_u32(v).unwrap_or('\u{fffd}'))),
        preceded(
            tag("u{"),
            terminated(
                map_opt(hex_digit1, |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32)),
                char('}'),
            ),
        ),
        // `\uD83D\uDE00`: a surrogate pair is one character.
        preceded(
            char('u'),
            map((hex(4), opt(preceded(tag("\\u"), hex(4)))), |(hi, lo)| match lo {
                Some(lo) if (0xd800..0xdc00).contains(&hi) => {
                    char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff))
                        .unwrap_or('\u{fffd}')
                }
                _ => char::from_u32(hi).unwrap_or('\u{fffd}'),
            }),
        ),
        // Any other escaped character is itself.
        anychar,
    ))
    .parse(i)
}

/// `undefined`, `null`, booleans, numbers, `NaN`, `Infinity`, BigInts (`12n`).
fn word(i: &str) -> Res<'_, Js> {
    let (rest, w) = take_till(|c| matches!(c, ',' | '}' | ']' | '\n' | ' '))(i)?;
    if w.is_empty() {
        // No value here (`[]`, or a key with nothing after it): the caller decides.
        return Err(nom::Err::Error(LitError { at: i, msg: "expected a value" }));
    }
    let js = match w {
        "undefined" => Js::Undefined,
        "null" => Js::Null,
        "true" => Js::Bool(true),
        "false" => Js::Bool(false),
        "NaN" => Js::Num(f64::NAN),
        "Infinity" => Js::Num(f64::INFINITY),
        "-Infinity" => Js::Num(f64::NEG_INFINITY),
        _ if w.ends_with('n') && w[..w.len() - 1].parse::<i128>().is_ok() => Js::BigInt(w[..w.len() - 1].to_string()),
        _ => match (w.parse::<i64>(), w.parse::<f64>()) {
            (Ok(n), _) => Js::Int(n),
            (_, Ok(f)) => Js::Num(f),
            _ => return fail(i, "unknown value"),
        },
    };
    Ok((rest, js))
}

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
        Js::BigInt(s) => s.parse().map_or_else(|_| Value::BigInt(s.clone()), Value::Int),
        Js::Str(s) => Value::Str(s.clone()),
        Js::Arr(items) => Value::Array(items.iter().map(value).collect()),
        Js::Obj(kvs) => Value::Map(kvs.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
    }
}

fn attrs(v: Option<&Js>) -> Attributes {
    match v {
        Some(Js::Obj(kvs)) => kvs.iter().map(|(k, v)| (k.clone(), value(v))).collect(),
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
fn read_literal(text: &str, resources: &mut Resources) -> Result<(Js, Arc<Resource>), RecordError> {
    let attributes = |js: &Js| Resource { attributes: attrs(js.get("resource").and_then(|r| r.get("attributes"))) };
    // SDKs before 1.24 print no resource.
    let Some(after) = text.strip_prefix(RESOURCE_FIRST) else {
        let js = parse_literal(text)?;
        let resource = resources.intern(attributes(&js));
        return Ok((js, resource));
    };
    if let Some((len, resource)) = resources.node_known(after) {
        let js = literal(text, object_after(&after[len..], ("resource".to_string(), Js::Undefined)))?;
        return Ok((js, resource));
    }
    // The resource read once, then the rest of the object after it, as `object` reads them.
    let resource = js_value(after);
    let len = resource.as_ref().map_or(0, |(rest, _)| after.len() - rest.len());
    let js = literal(text, resource.and_then(|(rest, r)| object_after(rest, ("resource".to_string(), r))))?;
    let raw = &after[..len];
    let resource = if raw.starts_with('{') && raw.ends_with('}') {
        resources.node_remember(raw, attributes(&js))
    } else {
        resources.intern(attributes(&js))
    };
    Ok((js, resource))
}

/// Parses one record's text, from its `{` line to its `}` line.
pub fn parse_record(text: &str, resources: &mut Resources) -> Result<Record, RecordError> {
    // Windows line endings: the literal grammar knows `\n` only.
    let lf;
    let text = if memchr::memchr(b'\r', text.as_bytes()).is_some() {
        lf = text.replace("\r\n", "\n");
        lf.as_str()
    } else {
        text
    };
    let (js, resource) = read_literal(text, resources)?;
    let scope = js.get("instrumentationScope").and_then(|s| s.get("name")).and_then(Js::str).map(str::to_string);
    if let Some(descriptor) = js.get("descriptor") {
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
            let value = match kind {
                MetricKind::Histogram => {
                    let buckets = v.get("buckets");
                    let nums = |k: &str| match buckets.and_then(|b| b.get(k)) {
                        Some(Js::Arr(a)) => a.iter().filter_map(Js::f64).collect::<Vec<f64>>(),
                        _ => Vec::new(),
                    };
                    PointValue::Histogram {
                        count: v.get("count").and_then(Js::i64).unwrap_or(0) as u64,
                        sum: v.get("sum").and_then(Js::f64),
                        min: v.get("min").and_then(Js::f64),
                        max: v.get("max").and_then(Js::f64),
                        bounds: nums("boundaries"),
                        counts: nums("counts").into_iter().map(|c| c as u64).collect(),
                    }
                }
                MetricKind::ExponentialHistogram => {
                    let side = |k: &str| v.get(k);
                    let counts = |s: Option<&Js>| match s.and_then(|s| s.get("bucketCounts")) {
                        Some(Js::Arr(a)) => a.iter().filter_map(Js::i64).map(|c| c as u64).collect(),
                        _ => Vec::new(),
                    };
                    PointValue::ExponentialHistogram {
                        count: v.get("count").and_then(Js::i64).unwrap_or(0) as u64,
                        sum: v.get("sum").and_then(Js::f64),
                        min: v.get("min").and_then(Js::f64),
                        max: v.get("max").and_then(Js::f64),
                        scale: v.get("scale").and_then(Js::i64).unwrap_or(0) as i32,
                        zero_count: v.get("zeroCount").and_then(Js::i64).unwrap_or(0) as u64,
                        positive_offset: side("positive").and_then(|p| p.get("offset")).and_then(Js::i64).unwrap_or(0)
                            as i32,
                        positive: counts(side("positive")),
                        negative_offset: side("negative").and_then(|p| p.get("offset")).and_then(Js::i64).unwrap_or(0)
                            as i32,
                        negative: counts(side("negative")),
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
                name: name.clone(),
                unit: descriptor.get("unit").and_then(Js::str).unwrap_or("").to_string(),
                description: descriptor.get("description").and_then(Js::str).unwrap_or("").to_string(),
                kind,
                // Not printed; the JS SDK's default is cumulative.
                temporality: (kind != MetricKind::Gauge).then_some(Temporality::Cumulative),
                start_ns: hrtime(dp.get("startTime")),
                time_ns: hrtime(dp.get("endTime"))
                    .ok_or_else(|| invalid(format!("metric {name:?}: a point without endTime")))?,
                attributes: attrs(dp.get("attributes")),
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
        let events = match js.get("events") {
            Some(Js::Arr(es)) => es
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
            Some(Js::Arr(ls)) => ls
                .iter()
                .filter_map(|l| {
                    let c = l.get("context")?;
                    Some(Link {
                        trace_id: hex128(c.get("traceId"))?,
                        span_id: hex64(c.get("spanId"))?,
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
            // JS numbering: 0 INTERNAL, 1 SERVER, 2 CLIENT, 3 PRODUCER, 4 CONSUMER.
            kind: match js.get("kind").and_then(Js::i64) {
                Some(0) => SpanKind::Internal,
                Some(1) => SpanKind::Server,
                Some(2) => SpanKind::Client,
                Some(3) => SpanKind::Producer,
                Some(4) => SpanKind::Consumer,
                _ => SpanKind::Unspecified,
            },
            start_ns,
            end_ns,
            status: match status.and_then(|s| s.get("code")).and_then(Js::i64) {
                Some(1) => StatusCode::Ok,
                Some(2) => StatusCode::Error,
                _ => StatusCode::Unset,
            },
            status_message: status.and_then(|s| s.get("message")).and_then(Js::str).map(str::to_string),
            attributes: attrs(js.get("attributes")),
            events,
            links,
            resource,
            scope,
            name,
        }));
    }
    if js.get("severityNumber").is_some() || js.get("body").is_some() {
        let us = |k: &str| js.get(k).and_then(micros_to_nanos);
        return Ok(Record::Log(LogRecord {
            time_ns: us("timestamp"),
            observed_time_ns: us("observedTimestamp"),
            severity_number: js.get("severityNumber").and_then(Js::i64).and_then(|n| u8::try_from(n).ok()),
            severity_text: js.get("severityText").and_then(Js::str).map(str::to_string),
            body: js.get("body").map_or(Value::Empty, value),
            attributes: attrs(js.get("attributes")),
            trace_id: hex128(js.get("traceId")),
            span_id: hex64(js.get("spanId")),
            resource,
        }));
    }
    Err(invalid("a Node console object that is not a span, log record or metric"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
                    let fresh = parse_record(v, &mut Resources::default());
                    assert_eq!(format!("{:?}", parse_record(v, &mut warm)), format!("{fresh:?}"), "{v}");
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
