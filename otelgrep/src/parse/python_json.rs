//! The Python console exporters (opentelemetry-sdk 1.22 to 1.45): one pretty-printed JSON object
//! per span, per log record, or per whole metrics export. The first key tells which.
//!
//! Pure functions from one object's text to model records. Known variations handled: older SDKs'
//! `"<SeverityNumber.INFO: 9>"` severities, a resource printed as a Python repr string, `null`
//! attributes, all-zero or empty ids meaning "no span", metrics whose type is only implied by
//! their keys. Exemplars are skipped (their decimal ids exceed `u64`; nothing reads them yet).
//!
//! Each record is read twice over at most: by the skimming readers in `fast.rs`, which take the
//! common, plain record at several times serde's speed, and by serde_json's derive when they say
//! [`Bad`](super::skim::Bad), which then decides (and words the error). Both build the same
//! `Py*` structs, turned into the model by one set of functions here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value as Json;
use serde_json::value::RawValue;

mod fast;

use fast::{skim_attrs, skim_log, skim_metrics, skim_span};

use super::ids::{hex16, hex32};
use super::skim::Reader;
use super::time::parse_utc;
use super::{Needs, ParseErrorKind, Record, RecordError, Resources};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Scope, Span, SpanKind,
    StatusCode, Temporality, Value,
};

fn invalid(msg: impl Into<String>) -> ParseErrorKind {
    ParseErrorKind::Invalid(msg.into())
}

/// Parses one object, from its `{` line to its `}` line.
pub fn parse_record(text: &str, needs: &Needs, resources: &mut Resources) -> Result<Record, RecordError> {
    read(text, needs, resources, Reader::Skim)
}

pub(crate) fn read(
    text: &str,
    needs: &Needs,
    resources: &mut Resources,
    reader: Reader,
) -> Result<Record, RecordError> {
    match parse_strict(text, needs, resources, reader) {
        Ok(r) => Ok(r),
        // Python's json.dumps writes what JSON forbids: bare NaN/Infinity (allow_nan=True) and
        // lone surrogate escapes (undecodable bytes). Read those leniently rather than drop the
        // record; anything else is reported as it was.
        Err(e) => match lenient(text) {
            Some(fixed) => parse_strict(&fixed, needs, resources, reader).map_err(|_| e),
            None => Err(e),
        },
    }
}

/// Markers for the non-finite numbers rewritten by [`lenient`]; [`value`] turns them back.
const NAN: &str = "\u{0}otelgrep:NaN";
const INF: &str = "\u{0}otelgrep:Infinity";
const NEG_INF: &str = "\u{0}otelgrep:-Infinity";

/// Rewrites bare `NaN`, `Infinity` and `-Infinity` into marker strings, and lone surrogate
/// escapes into U+FFFD; `None` when there was nothing to rewrite.
fn lenient(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let (mut i, mut copied, mut in_string) = (0, 0, false);
    let hex4 = |at: usize| -> Option<u32> { u32::from_str_radix(text.get(at..at + 4)?, 16).ok() };
    while i < b.len() {
        match b[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                if b.get(i + 1) == Some(&b'u') {
                    if let Some(unit) = hex4(i + 2) {
                        let paired_high = (0xd800..0xdc00).contains(&unit)
                            && text.get(i + 6..i + 8) == Some("\\u")
                            && hex4(i + 8).is_some_and(|lo| (0xdc00..0xe000).contains(&lo));
                        if paired_high {
                            i += 12;
                            continue;
                        }
                        if (0xd800..0xe000).contains(&unit) {
                            out.push_str(&text[copied..i]);
                            out.push_str("\\ufffd");
                            changed = true;
                            i += 6;
                            copied = i;
                            continue;
                        }
                    }
                }
                i += 2;
                continue;
            }
            b'N' | b'I' | b'-' if !in_string => {
                let rest = &text[i..];
                let (token, marker) = if rest.starts_with("NaN") {
                    ("NaN", NAN)
                } else if rest.starts_with("Infinity") {
                    ("Infinity", INF)
                } else if rest.starts_with("-Infinity") {
                    ("-Infinity", NEG_INF)
                } else {
                    ("", "")
                };
                if !token.is_empty() {
                    out.push_str(&text[copied..i]);
                    out.push('"');
                    out.push_str(&marker.replace("\u{0}", "\\u0000"));
                    out.push('"');
                    changed = true;
                    i += token.len();
                    copied = i;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    changed.then_some(out)
}

fn parse_strict(text: &str, needs: &Needs, resources: &mut Resources, reader: Reader) -> Result<Record, RecordError> {
    // The first key is on the second line: `    "name": ...`.
    let first_key = first_key(text);
    match first_key {
        Some("name") => {
            let raw = reader.read(|| skim_span(text, needs, resources), || from_json(text, "span"))?;
            Ok(raw.into_span(needs, resources, reader).map(Record::Span)?)
        }
        Some("body") => {
            let raw = reader.read(|| skim_log(text, resources), || from_json(text, "log record"))?;
            Ok(raw.into_log(needs.for_logs(), resources, reader).map(Record::Log)?)
        }
        Some("resource_metrics") => {
            let raw = reader.read(|| skim_metrics(text, !needs.metrics), || from_json(text, "metrics export"))?;
            Ok(raw.into_points(needs, resources, reader).map(Record::Metrics)?)
        }
        Some(other) => Err(invalid(format!(
            "a JSON object that is not a span, log record or metrics export (first key {other:?})"
        ))
        .into()),
        None => Err(invalid("an empty JSON object").into()),
    }
}

/// Whether an object framed as a Python record is one the app printed: whole JSON whose first
/// key no record of the SDK opens with (`{"config": ...}`, pretty-printed). One with a record's
/// first key, or that is not whole JSON, is a record, read or reported as one.
pub fn is_app_object(text: &str) -> bool {
    !matches!(first_key(text), Some("name" | "body" | "resource_metrics") | None)
        && serde_json::from_str::<IgnoredAny>(text).is_ok()
}

/// The object's first key: the exporters print it first on the second line, `    "name": ...`,
/// or right after the brace when the object is on one line (`to_json(indent=None)`).
fn first_key(text: &str) -> Option<&str> {
    let after = match super::scan::second_line(text) {
        Some(line) => line,
        None => text.strip_prefix('{')?,
    };
    let key = super::scan::lead_trimmed(after).strip_prefix('"')?;
    Some(&key[..memchr::memchr(b'"', key.as_bytes()).unwrap_or(key.len())])
}

/// Whether a line is a whole Python console record printed on one line (`to_json(indent=None)`,
/// what compact formatters print): a span, a log record or a metrics export, told from other
/// JSON lines (an app's own JSON logs) by the keys only the SDK's records hold together.
pub fn is_compact_record(line: &str) -> bool {
    // `json.dumps` separates with `": "` by default; a custom formatter may not.
    let has = |key: &str, then: &str| {
        memchr::memmem::find_iter(line.as_bytes(), key.as_bytes()).any(|at| {
            let rest = &line[at + key.len()..];
            rest.strip_prefix(": ").or_else(|| rest.strip_prefix(':')).is_some_and(|r| r.starts_with(then))
        })
    };
    let starts =
        |key: &str| line.strip_prefix('{').and_then(|l| l.strip_prefix(key)).is_some_and(|l| l.starts_with(':'));
    if starts("\"name\"") {
        has("\"context\"", "{\"trace_id\"")
    } else if starts("\"body\"") {
        has("\"severity_number\"", "")
    } else {
        starts("\"resource_metrics\"") && is_metrics_export(line)
    }
}

/// Whether an object whose first key is `resource_metrics` is the Python console exporter's (each
/// metric's points under `data`), not OTLP JSON in snake_case (points under `sum`, `gauge`...).
pub fn is_metrics_export(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, b"\"data\":").any(|at| at == 0 || b[at - 1] != b'\\')
}

fn from_json<'a, T: Deserialize<'a>>(text: &'a str, what: &str) -> Result<T, RecordError> {
    serde_json::from_str(text).map_err(|e| RecordError {
        offset_lines: e.line().saturating_sub(1) as u64,
        kind: invalid(format!("invalid {what} JSON: {} at column {}", strip_position(&e.to_string()), e.column())),
    })
}

/// serde_json appends " at line L column C"; the caller reports the position itself.
fn strip_position(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| &msg[..i])
}

/// A span as printed. Read by [`skim_span`] when the record is plain, by serde_json otherwise;
/// both give this, so what a span means is decided once, in [`PySpan::into_span`].
#[derive(Deserialize)]
struct PySpan<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    context: PyContext<'a>,
    kind: &'a str,
    parent_id: Option<&'a str>,
    /// `null` where the SDK never set it (a span built in a test, or one not ended).
    start_time: Option<&'a str>,
    end_time: Option<&'a str>,
    #[serde(borrow)]
    status: PyStatus<'a>,
    /// Kept raw, and read only when the command needs them.
    #[serde(borrow, default)]
    attributes: Option<Raw<'a>>,
    #[serde(borrow, default)]
    events: Option<Raw<'a>>,
    #[serde(borrow, default)]
    links: Option<Raw<'a>>,
    #[serde(borrow, default)]
    resource: Option<Raw<'a>>,
    /// The attributes the command reads, when the fast reader read them on its way.
    #[serde(skip)]
    read_attributes: Option<Attributes>,
}

#[derive(Deserialize)]
struct PyContext<'a> {
    #[serde(borrow)]
    trace_id: Cow<'a, str>,
    #[serde(borrow)]
    span_id: Cow<'a, str>,
    /// `repr(TraceState)`: `[]`, or `['{key=rojo, value=00f067aa0ba902b7}', ...]`.
    #[serde(borrow)]
    trace_state: Option<Cow<'a, str>>,
}

impl PyContext<'_> {
    /// The W3C `tracestate` the SDK's `repr` of it stands for (`rojo=00f067aa0ba902b7,...`).
    fn trace_state(&self) -> Option<String> {
        let pairs: Vec<String> = python_strings(self.trace_state.as_deref()?)?
            .iter()
            .filter_map(|entry| {
                // A key holds no comma, so the first `, value=` ends it; a value may hold `}`.
                let (key, value) = entry.strip_prefix("{key=")?.strip_suffix('}')?.split_once(", value=")?;
                Some(format!("{key}={value}"))
            })
            .collect();
        (!pairs.is_empty()).then(|| pairs.join(","))
    }
}

/// The strings of a Python `repr` of a list of strings (`['a', "it's", 'back\\slash']`), each
/// literal's escapes undone; `None` when the text is not one.
fn python_strings(repr: &str) -> Option<Vec<String>> {
    let mut chars = repr.trim().strip_prefix('[')?.strip_suffix(']')?.chars();
    let mut out = Vec::new();
    loop {
        let quote = match chars.by_ref().find(|c| !matches!(c, ' ' | ',')) {
            None => return Some(out),
            Some(q @ ('\'' | '"')) => q,
            Some(_) => return None,
        };
        let mut s = String::new();
        loop {
            match chars.next()? {
                c if c == quote => break,
                '\\' => match chars.next()? {
                    'n' => s.push('\n'),
                    'r' => s.push('\r'),
                    't' => s.push('\t'),
                    'x' => s.push(code_point(&mut chars, 2)?),
                    'u' => s.push(code_point(&mut chars, 4)?),
                    'U' => s.push(code_point(&mut chars, 8)?),
                    // `\\`, `\'`, `\"`.
                    other => s.push(other),
                },
                c => s.push(c),
            }
        }
        out.push(s);
    }
}

/// The character of a `repr` escape's `digits` hex digits.
fn code_point(chars: &mut std::str::Chars, digits: usize) -> Option<char> {
    let hex: String = chars.take(digits).collect();
    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)
}

/// A value's JSON text, checked but not read.
#[derive(Debug, Clone, Copy)]
struct Raw<'a>(&'a str);

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(|r| Raw(r.get()))
    }
}

/// Attributes from their raw JSON (`{...}` or `null`).
fn raw_attrs(raw: Option<Raw>, needs: &Needs, reader: Reader) -> Result<Attributes, ParseErrorKind> {
    let Some(Raw(r)) = raw else { return Ok(Vec::new()) };
    reader.read(
        || skim_attrs(r, needs),
        || {
            let mut de = serde_json::Deserializer::from_str(r);
            serde::de::DeserializeSeed::deserialize(Wanted(needs), &mut de)
                .and_then(|kept| de.end().map(|()| kept))
                .map_err(|e| invalid(format!("invalid attributes: {e}")))
        },
    )
}

/// Reads an attributes object (or `null`) in the order it was written, building values only for
/// the keys the command reads; the others are checked and skipped without allocating.
struct Wanted<'n>(&'n Needs);

impl<'de> serde::de::DeserializeSeed<'de> for Wanted<'_> {
    type Value = Attributes;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Attributes, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Wanted<'_> {
    type Value = Attributes;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an attributes object or null")
    }
    fn visit_none<E>(self) -> Result<Attributes, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E>(self) -> Result<Attributes, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Attributes, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
        let mut out = Vec::new();
        while let Some(KeyStr(key)) = map.next_key()? {
            if self.0.attribute(&key) {
                // Taken as text first (serde_json skips without a nesting limit), then built: a
                // value nested deeper than serde_json builds (128 levels) is kept as written,
                // rather than losing its record in the commands that read it and not in the others.
                let raw: &RawValue = map.next_value()?;
                let v =
                    serde_json::from_str::<Json>(raw.get()).map_or_else(|_| Value::Str(raw.get().to_string()), value);
                out.push((key.into_owned(), v));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// A map key, borrowed from the input unless it holds escapes.
struct KeyStr<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = KeyStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The record's resource, parsed once per distinct text.
fn raw_resource(raw: Option<Raw>, resources: &mut Resources) -> std::sync::Arc<Resource> {
    match raw {
        None => resources.intern(Resource::default()),
        Some(Raw(r)) => resources.intern_raw(r, || resource(serde_json::from_str(r).ok())),
    }
}

#[derive(Deserialize)]
struct PyStatus<'a> {
    #[serde(borrow)]
    status_code: Cow<'a, str>,
    #[serde(borrow)]
    description: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct PyEvent {
    name: String,
    timestamp: String,
    attributes: Option<BTreeMap<String, Json>>,
}

#[derive(Deserialize)]
struct PyLink<'a> {
    #[serde(borrow)]
    context: PyContext<'a>,
    attributes: Option<BTreeMap<String, Json>>,
}

/// SDK ≥ 1.24 prints an object; older ones print `BoundedAttributes({...}, maxlen=None)`.
#[derive(Deserialize)]
#[serde(untagged)]
enum PyResource {
    Object { attributes: Option<serde_json::Map<String, Json>> },
    Repr(String),
}

/// A span kind as the SDK prints it (`SpanKind.SERVER`).
fn span_kind(printed: &str) -> Option<SpanKind> {
    Some(match short_kind(printed) {
        "INTERNAL" => SpanKind::Internal,
        "SERVER" => SpanKind::Server,
        "CLIENT" => SpanKind::Client,
        "PRODUCER" => SpanKind::Producer,
        "CONSUMER" => SpanKind::Consumer,
        _ => return None,
    })
}

fn short_kind(printed: &str) -> &str {
    printed.strip_prefix("SpanKind.").unwrap_or(printed)
}

impl PySpan<'_> {
    fn into_span(self, needs: &Needs, resources: &mut Resources, reader: Reader) -> Result<Span, ParseErrorKind> {
        let trace_id = optional_id("trace_id", Some(&self.context.trace_id), TRACE_ID)?
            .ok_or_else(|| invalid("span without a valid trace_id"))?;
        let span_id = optional_id("span_id", Some(&self.context.span_id), SPAN_ID)?
            .ok_or_else(|| invalid("span without a valid span_id"))?;
        let parent_span_id = optional_id("parent_id", self.parent_id, SPAN_ID)?;
        let kind =
            span_kind(self.kind).ok_or_else(|| invalid(format!("unknown span kind {:?}", short_kind(self.kind))))?;
        let needs = needs.for_span(kind);
        let status = match &*self.status.status_code {
            "UNSET" => StatusCode::Unset,
            "OK" => StatusCode::Ok,
            "ERROR" => StatusCode::Error,
            other => return Err(invalid(format!("unknown status code {other:?}"))),
        };
        let time = |s: &str, what: &str| parse_utc(s).ok_or_else(|| invalid(format!("bad {what} {s:?}")));
        let (mut events, mut links) = (Vec::new(), Vec::new());
        if needs.events {
            let raw_events: Vec<PyEvent> = match self.events {
                Some(Raw(r)) => serde_json::from_str(r).map_err(|e| invalid(format!("invalid events: {e}")))?,
                None => Vec::new(),
            };
            for e in raw_events {
                events.push(Event {
                    time_ns: time(&e.timestamp, "event timestamp")?,
                    name: e.name,
                    attributes: attrs(e.attributes),
                });
            }
            let raw_links: Vec<PyLink> = match self.links {
                Some(Raw(r)) => serde_json::from_str(r).map_err(|e| invalid(format!("invalid links: {e}")))?,
                None => Vec::new(),
            };
            links = raw_links
                .into_iter()
                .filter_map(|l| {
                    Some(Link {
                        trace_id: hex_u128(&l.context.trace_id)?,
                        span_id: hex_u64(&l.context.span_id)?,
                        trace_state: l.context.trace_state(),
                        attributes: attrs(l.attributes),
                    })
                })
                .collect();
        }
        Ok(Span {
            trace_id,
            span_id,
            parent_span_id,
            trace_state: self.context.trace_state(),
            // No time is 0, as OTLP writes it: the span is counted, and left out of durations.
            start_ns: self.start_time.map_or(Ok(0), |t| time(t, "start_time"))?,
            end_ns: self.end_time.map_or(Ok(0), |t| time(t, "end_time"))?,
            name: self.name.into_owned(),
            kind,
            status,
            status_message: self.status.description.map(Cow::into_owned),
            attributes: match self.read_attributes {
                Some(kept) => kept,
                None if needs.attributes => raw_attrs(self.attributes, needs, reader)?,
                None => Vec::new(),
            },
            events,
            links,
            resource: raw_resource(self.resource, resources),
            scope: None,
        })
    }
}

/// A log record as printed; like [`PySpan`], read by [`skim_log`] or by serde_json.
#[derive(Deserialize)]
struct PyLog<'a> {
    #[serde(borrow)]
    body: Raw<'a>,
    severity_number: Option<Json>,
    #[serde(borrow)]
    severity_text: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attributes: Option<Raw<'a>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    observed_timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    trace_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    span_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resource: Option<Raw<'a>>,
}

impl PyLog<'_> {
    fn into_log(self, needs: &Needs, resources: &mut Resources, reader: Reader) -> Result<LogRecord, ParseErrorKind> {
        let time = |s: &Option<Cow<str>>| -> Result<Option<i64>, ParseErrorKind> {
            match s.as_deref() {
                None | Some("") => Ok(None),
                Some(t) => parse_utc(t).map(Some).ok_or_else(|| invalid(format!("bad log timestamp {t:?}"))),
            }
        };
        let severity_number = match &self.severity_number {
            Some(Json::Number(n)) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
            // SDK 1.22–1.27: "<SeverityNumber.INFO: 9>"
            Some(Json::String(s)) => s.rsplit(": ").next().and_then(|n| n.trim_end_matches('>').parse().ok()),
            _ => None,
        };
        Ok(LogRecord {
            time_ns: time(&self.timestamp)?,
            observed_time_ns: time(&self.observed_timestamp)?,
            severity_number,
            severity_text: self.severity_text.map(Cow::into_owned),
            body: if needs.bodies {
                value(serde_json::from_str(self.body.0).map_err(|e| invalid(format!("invalid body: {e}")))?)
            } else {
                Value::Empty
            },
            attributes: if needs.attributes { raw_attrs(self.attributes, needs, reader)? } else { Vec::new() },
            trace_id: optional_id("trace_id", self.trace_id.as_deref(), TRACE_ID)?,
            span_id: optional_id("span_id", self.span_id.as_deref(), SPAN_ID)?,
            resource: raw_resource(self.resource, resources),
            // The SDK's `to_json` prints no scope.
            scope: None,
        })
    }
}

#[derive(Deserialize)]
struct PyMetrics<'a> {
    #[serde(borrow)]
    resource_metrics: Vec<PyResourceMetrics<'a>>,
}

#[derive(Deserialize)]
struct PyResourceMetrics<'a> {
    resource: Option<PyResource>,
    #[serde(borrow)]
    scope_metrics: Vec<PyScopeMetrics<'a>>,
}

#[derive(Deserialize)]
struct PyScopeMetrics<'a> {
    scope: Option<PyScope>,
    #[serde(borrow)]
    metrics: Vec<PyMetric<'a>>,
}

#[derive(Deserialize)]
struct PyScope {
    name: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
struct PyMetric<'a> {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(borrow)]
    data: PyData<'a>,
}

#[derive(Deserialize)]
struct PyData<'a> {
    #[serde(borrow)]
    data_points: Vec<PyPoint<'a>>,
    aggregation_temporality: Option<i64>,
    is_monotonic: Option<bool>,
}

#[derive(Deserialize, Default)]
struct PyPoint<'a> {
    #[serde(borrow, default)]
    attributes: Option<Raw<'a>>,
    start_time_unix_nano: Option<i64>,
    time_unix_nano: i64,
    #[serde(default)]
    value: Option<PyNumber>,
    count: Option<u64>,
    #[serde(default, deserialize_with = "py_float")]
    sum: Option<f64>,
    #[serde(default, deserialize_with = "py_float")]
    min: Option<f64>,
    #[serde(default, deserialize_with = "py_float")]
    max: Option<f64>,
    bucket_counts: Option<Vec<u64>>,
    explicit_bounds: Option<Vec<f64>>,
    scale: Option<i32>,
    zero_count: Option<u64>,
    positive: Option<PyBuckets>,
    negative: Option<PyBuckets>,
    #[serde(default, rename = "exemplars")]
    _exemplars: IgnoredAny,
}

/// A number as Python's `json.dumps` writes it: JSON's, or `NaN`/`Infinity`/`-Infinity` (a gauge
/// that saw NaN, the min and max of an empty histogram), which [`lenient`] turns into markers.
#[derive(Debug, Clone, PartialEq)]
enum PyNumber {
    Number(serde_json::Number),
    NonFinite(f64),
}

impl<'de> Deserialize<'de> for PyNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Json::deserialize(d)? {
            Json::Number(n) => Ok(PyNumber::Number(n)),
            Json::String(s) => non_finite(&s)
                .map(PyNumber::NonFinite)
                .ok_or_else(|| serde::de::Error::custom(format!("expected a number, found {s:?}"))),
            other => Err(serde::de::Error::custom(format!("expected a number, found {other}"))),
        }
    }
}

impl PyNumber {
    fn as_f64(&self) -> Option<f64> {
        match self {
            PyNumber::Number(n) => n.as_f64(),
            PyNumber::NonFinite(f) => Some(*f),
        }
    }
}

/// The value of a marker [`lenient`] wrote.
fn non_finite(s: &str) -> Option<f64> {
    match s {
        NAN => Some(f64::NAN),
        INF => Some(f64::INFINITY),
        NEG_INF => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// An optional float that may be non-finite (see [`PyNumber`]).
fn py_float<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Option::<PyNumber>::deserialize(d)?.and_then(|n| n.as_f64()))
}

#[derive(Deserialize)]
struct PyBuckets {
    offset: i32,
    bucket_counts: Vec<u64>,
}

impl PyMetrics<'_> {
    /// The points, as the command reads them: a command that does not read their values
    /// ([`Needs::metrics`]) gets histograms without buckets, and one that does not look at points
    /// ([`Needs::points`]) each counted and timed, without its metric's name, unit and
    /// description.
    fn into_points(
        self,
        needs: &Needs,
        resources: &mut Resources,
        reader: Reader,
    ) -> Result<Vec<MetricPoint>, ParseErrorKind> {
        let (valued, needs) = (needs.metrics, needs.for_metrics());
        let mut out = Vec::new();
        for rm in self.resource_metrics {
            let resource = resources.intern(resource(rm.resource));
            for sm in rm.scope_metrics {
                let scope = sm
                    .scope
                    .and_then(|s| Scope::new(s.name.as_deref().unwrap_or(""), s.version.as_deref().unwrap_or("")));
                for m in sm.metrics {
                    let temporality = match m.data.aggregation_temporality {
                        Some(1) => Some(Temporality::Delta),
                        Some(2) => Some(Temporality::Cumulative),
                        _ => None,
                    };
                    for p in m.data.data_points {
                        let (kind, value) = point(&m.data.is_monotonic, temporality, valued, &p)
                            .ok_or_else(|| invalid(format!("metric {:?}: a data point of no known type", m.name)))?;
                        out.push(MetricPoint {
                            name: needs.point_label(&m.name),
                            unit: needs.point_detail(m.unit.as_deref().unwrap_or_default()),
                            description: needs.point_detail(m.description.as_deref().unwrap_or_default()),
                            kind,
                            temporality,
                            start_ns: p.start_time_unix_nano,
                            time_ns: p.time_unix_nano,
                            attributes: if needs.attributes {
                                raw_attrs(p.attributes, needs, reader)?
                            } else {
                                Vec::new()
                            },
                            value,
                            resource: resource.clone(),
                            scope: scope.clone(),
                        });
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The metric type is not printed: it is implied by the keys (see shared/FORMATS.md §2.7).
/// `valued`: whether the command reads the value's buckets, sum, min and max (the fast reader
/// does not build them for one that does not, [`skim_metrics`]'s `counting`, and neither reader
/// gives them).
fn point(
    monotonic: &Option<bool>,
    temporality: Option<Temporality>,
    valued: bool,
    p: &PyPoint<'_>,
) -> Option<(MetricKind, PointValue)> {
    fn kept<T: Clone>(valued: bool, v: &[T]) -> Vec<T> {
        if valued { v.to_vec() } else { Vec::new() }
    }
    let (sum, min, max) = if valued { (p.sum, p.min, p.max) } else { (None, None, None) };
    if let (Some(counts), Some(bounds)) = (&p.bucket_counts, &p.explicit_bounds) {
        let v = PointValue::Histogram {
            count: p.count?,
            sum,
            min,
            max,
            bounds: kept(valued, bounds),
            counts: kept(valued, counts),
        };
        return Some((MetricKind::Histogram, v));
    }
    if let Some(scale) = p.scale {
        let (pos, neg) = (p.positive.as_ref(), p.negative.as_ref());
        let v = PointValue::ExponentialHistogram {
            count: p.count?,
            sum,
            min,
            max,
            scale,
            zero_count: p.zero_count.unwrap_or(0),
            positive_offset: pos.map_or(0, |b| b.offset),
            positive: pos.map(|b| kept(valued, &b.bucket_counts)).unwrap_or_default(),
            negative_offset: neg.map_or(0, |b| b.offset),
            negative: neg.map(|b| kept(valued, &b.bucket_counts)).unwrap_or_default(),
        };
        return Some((MetricKind::ExponentialHistogram, v));
    }
    let v = match p.value.as_ref()? {
        PyNumber::Number(n) => match n.as_i64() {
            Some(i) => PointValue::Int(i),
            None => PointValue::Double(n.as_f64()?),
        },
        PyNumber::NonFinite(f) => PointValue::Double(*f),
    };
    let kind = match (monotonic, temporality) {
        (Some(true), _) => MetricKind::Counter,
        (Some(false), _) => MetricKind::UpDownCounter,
        (None, None) => MetricKind::Gauge,
        (None, Some(_)) => MetricKind::Counter,
    };
    Some((kind, v))
}

fn resource(r: Option<PyResource>) -> Resource {
    match r {
        Some(PyResource::Object { attributes }) => {
            Resource { attributes: attributes.unwrap_or_default().into_iter().map(|(k, v)| (k, value(v))).collect() }
        }
        Some(PyResource::Repr(s)) => Resource { attributes: repr_attributes(&s) },
        None => Resource::default(),
    }
}

/// Reads the string items of `BoundedAttributes({'k': 'v', 'n': 3}, maxlen=None)`; non-string
/// values are kept as their text.
fn repr_attributes(s: &str) -> Attributes {
    let Some(inner) = s.split_once('{').and_then(|(_, rest)| rest.rsplit_once('}')).map(|(i, _)| i) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rest = inner.trim();
    while let Some(after_quote) = rest.strip_prefix('\'') {
        let Some((key, tail)) = after_quote.split_once("': ") else { break };
        let (val, next) = if let Some(v) = tail.strip_prefix('\'') {
            match v.split_once('\'') {
                Some((val, next)) => (Value::Str(val.to_string()), next),
                None => break,
            }
        } else {
            let end = tail.find(", '").unwrap_or(tail.len());
            (Value::Str(tail[..end].to_string()), &tail[end..])
        };
        out.push((key.to_string(), val));
        rest = next.trim_start_matches(',').trim_start();
    }
    out
}

fn attrs(map: Option<BTreeMap<String, Json>>) -> Attributes {
    map.unwrap_or_default().into_iter().map(|(k, v)| (k, value(v))).collect()
}

fn value(v: Json) -> Value {
    match v {
        Json::Null => Value::Empty,
        Json::Bool(b) => Value::Bool(b),
        // With serde_json's arbitrary_precision the number keeps its text: an integer too big
        // for i64 stays exact.
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None if !n.to_string().contains(['.', 'e', 'E']) => Value::BigInt(n.to_string()),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => match non_finite(&s) {
            Some(f) => Value::Double(f),
            None => Value::Str(s),
        },
        Json::Array(items) => Value::Array(items.into_iter().map(value).collect()),
        Json::Object(m) => Value::Map(m.into_iter().map(|(k, v)| (k, value(v))).collect()),
    }
}

/// `0x` + 32 hex digits; zero and empty mean "none".
fn hex_u128(s: &str) -> Option<u128> {
    id128(s).ok().flatten()
}

/// A trace id as the SDK writes it (`format_trace_id`: `0x` and exactly 32 hex digits): `None`
/// when zero (no trace), `Err` when it is not one (a shorter id must not be padded into another).
fn id128(s: &str) -> Result<Option<u128>, ()> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    Ok(Some(hex32(digits.as_bytes()).ok_or(())?).filter(|&v| v != 0))
}

/// A span id (`0x` and exactly 16 hex digits), as [`id128`].
fn id64(s: &str) -> Result<Option<u64>, ()> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    Ok(Some(hex16(digits.as_bytes()).ok_or(())?).filter(|&v| v != 0))
}

/// An optional id field of `digits` hex digits: absent or zero is none; anything but an id
/// skips the record, named.
fn optional_id<T>(field: &str, s: Option<&str>, (parse, digits): IdReader<T>) -> Result<Option<T>, ParseErrorKind> {
    match s {
        None => Ok(None),
        Some(v) => parse(v).map_err(|()| invalid(format!("{field} {v:?} is not an id (0x and {digits} hex digits)"))),
    }
}

/// An id's reader and its number of digits.
type IdReader<T> = (fn(&str) -> Result<Option<T>, ()>, usize);

/// Trace and span ids as [`optional_id`] reads them.
const TRACE_ID: IdReader<u128> = (id128, 32);
const SPAN_ID: IdReader<u64> = (id64, 16);

/// `0x` + 16 hex digits; zero and empty mean "none".
fn hex_u64(s: &str) -> Option<u64> {
    id64(s).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAN: &str = r#"{
    "name": "GET /",
    "context": {
        "trace_id": "0x63ec09596bc0f89e039e1b8bb696490c",
        "span_id": "0x766539be427046e5",
        "trace_state": "[]"
    },
    "kind": "SpanKind.SERVER",
    "parent_id": null,
    "start_time": "2026-11-27T23:37:19.814807Z",
    "end_time": "2026-11-27T23:37:19.862226Z",
    "status": {
        "status_code": "UNSET"
    },
    "attributes": {
        "http.method": "GET",
        "net.host.port": 5000,
        "http.status_code": 200
    },
    "events": [],
    "links": [],
    "resource": {
        "attributes": {
            "service.name": "todo"
        },
        "schema_url": ""
    }
}"#;

    #[test]
    fn a_server_span() {
        let Record::Span(s) = parse_record(SPAN, &Needs::ALL, &mut Resources::default()).unwrap() else { panic!() };
        assert_eq!(s.trace_id, 0x63ec09596bc0f89e039e1b8bb696490c);
        assert_eq!(s.span_id, 0x766539be427046e5);
        assert_eq!(s.parent_span_id, None);
        assert_eq!(s.kind, SpanKind::Server);
        assert_eq!(s.end_ns - s.start_ns, 47_419_000);
        assert_eq!(
            s.attributes,
            [
                ("http.method".into(), Value::Str("GET".into())),
                ("net.host.port".into(), Value::Int(5000)),
                ("http.status_code".into(), Value::Int(200)),
            ]
        );
        assert_eq!(s.resource.service_name(), Some("todo"));
    }

    /// The SDK prints a `TraceState` as its `repr`: a Python list of `{key=K, value=V}` strings;
    /// a link's context the same way.
    #[test]
    fn trace_states_from_their_repr() {
        let state = r#""trace_state": "['{key=rojo, value=00f067aa0ba902b7}', '{key=congo, value=t61rcWkgMzE}']""#;
        let link = r#""links": [{"context": {"trace_id": "0x0af7651916cd43dd8448eb211c80319c",
            "span_id": "0xb7ad6b7169203331", "trace_state": "['{key=congo, value=ucfJifl5GOE}']"},
            "attributes": {}}]"#;
        let text = SPAN.replace(r#""trace_state": "[]""#, state).replace(r#""links": []"#, link);
        let Record::Span(s) = parse_record(&text, &Needs::ALL, &mut Resources::default()).unwrap() else { panic!() };
        assert_eq!(s.trace_state.as_deref(), Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
        assert_eq!(s.links[0].trace_state.as_deref(), Some("congo=ucfJifl5GOE"));
        let Record::Span(s) = parse_record(SPAN, &Needs::ALL, &mut Resources::default()).unwrap() else { panic!() };
        assert_eq!(s.trace_state, None);
        // Python's escapes, as the SDK 1.45 printed them (a value may hold quotes and `\`).
        let escaped = r#""trace_state": "['{key=k, value=it\\'s \"x\"}', '{key=b, value=back\\\\slash}']""#;
        let text = SPAN.replace(r#""trace_state": "[]""#, escaped);
        let Record::Span(s) = parse_record(&text, &Needs::ALL, &mut Resources::default()).unwrap() else { panic!() };
        assert_eq!(s.trace_state.as_deref(), Some(r#"k=it's "x",b=back\slash"#));
        assert_eq!(python_strings(r#"["it's", '\x41\u00fc\n']"#), Some(vec!["it's".into(), "A\u{fc}\n".into()]));
    }

    #[test]
    fn an_old_sdk_log_record_with_a_repr_resource_and_zero_ids() {
        let text = r#"{
    "body": "Fetched 0 tasks",
    "severity_number": "<SeverityNumber.WARN: 13>",
    "severity_text": "WARN",
    "attributes": null,
    "timestamp": "2026-11-27T23:37:19.841427Z",
    "trace_id": "0x00000000000000000000000000000000",
    "span_id": "0x0000000000000000",
    "trace_flags": 0,
    "resource": "BoundedAttributes({'telemetry.sdk.language': 'python', 'service.name': 'todo'}, maxlen=None)"
}"#;
        let Record::Log(l) = parse_record(text, &Needs::ALL, &mut Resources::default()).unwrap() else { panic!() };
        assert_eq!(l.severity_number, Some(13));
        assert_eq!((l.trace_id, l.span_id), (None, None));
        assert_eq!(l.observed_time_ns, None);
        assert_eq!(l.resource.service_name(), Some("todo"));
    }

    /// Every Python object in the shared samples and the fixtures, and damaged copies of each
    /// (bytes dropped, doubled or changed at many places): the fast reader gives exactly what
    /// serde_json alone gives, records and error messages alike.
    #[test]
    fn the_fast_reader_agrees_with_serde_json_on_samples_and_damaged_copies() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let files = [
            format!("{dir}/../../shared/samples/python-flask/flask-default.log"),
            format!("{dir}/../../shared/samples/python-flask/flask-merged-stderr.log"),
            format!("{dir}/tests/fixtures/python-nan-surrogate-bigint.log"),
        ];
        let (mut compared, mut fast, mut fast_exports) = (0, 0, 0);
        // What a query reads: a few attributes by name.
        let keys = ["http.target", "http.status_code", "http.route", "code.lineno"];
        let only = Needs::SPAN_ATTRIBUTES.only(keys.map(String::from).to_vec());
        let (mut serde_resources, mut skim_resources) = (Resources::default(), Resources::default());
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let objects = super::super::scan::python_objects(text.as_bytes()).filter_map(|p| match p {
                super::super::scan::Piece::Object { text, .. } => Some(text),
                _ => None,
            });
            let mut exports = 0;
            for (k, object) in objects.enumerate() {
                let mut variants = vec![object.to_string()];
                let export = object.starts_with("{\n    \"resource_metrics\"");
                exports += usize::from(export);
                // Damage a few objects of each file (spans, logs, metrics exports) in many ways;
                // the rest as they are.
                if (!export && k % 7 == 0) || (export && exports % 4 == 1) {
                    let b = object.as_bytes();
                    for at in (1..b.len()).step_by(b.len() / 40 + 1) {
                        for edit in [&b""[..], &b[at - 1..at + 1], b"\\", b"\"", b"0", b",", b"null"] {
                            let mut v = b[..at].to_vec();
                            v.extend_from_slice(edit);
                            v.extend_from_slice(&b[at + 1..]);
                            if let Ok(v) = String::from_utf8(v) {
                                variants.push(v);
                            }
                        }
                    }
                }
                for v in &variants {
                    for needs in [&Needs::ALL, &Needs::BARE, &only] {
                        // Resources are kept across records, as a worker keeps them, so that
                        // resources seen before are taken as known.
                        let slow = read(v, needs, &mut serde_resources, Reader::SerdeOnly);
                        let quick = read(v, needs, &mut skim_resources, Reader::Skim);
                        assert_eq!(format!("{quick:?}"), format!("{slow:?}"), "{file}: {v}");
                        compared += 1;
                    }
                    fast += usize::from(
                        skim_span(v, &Needs::ALL, &skim_resources).is_ok() || skim_log(v, &skim_resources).is_ok(),
                    );
                    fast_exports += usize::from(skim_metrics(v, false).is_ok());
                }
                // Every intact record of a real capture goes the fast way (the fixture's NaN and
                // lone surrogates excepted): a fast reader that fell back would still agree.
                let intact = &variants[0];
                if !file.contains("nan-surrogate") {
                    let read_fast = skim_span(intact, &Needs::ALL, &skim_resources).is_ok()
                        || skim_log(intact, &skim_resources).is_ok()
                        || skim_metrics(intact, false).is_ok();
                    assert!(read_fast, "{file}: not read fast: {intact}");
                }
            }
        }
        // The comparison means something only if both readers were exercised.
        assert!(
            compared > 20_000 && fast > 1_000 && fast_exports > 100,
            "{compared} compared, {fast} spans and logs and {fast_exports} exports read fast"
        );
    }

    /// Attribute values of every JSON kind, and damaged copies: read the fast way, as serde_json
    /// reads them.
    #[test]
    fn attributes_read_fast_are_what_serde_json_reads() {
        let text = r#"{"b": true, "f": false, "n": null, "i": -42, "x": 1.5e3, "big": 18446744073709551616,
            "s": "caf\u00e9 \"q\"", "nan": "\u0000otelgrep:NaN", "list": [1, "a"], "o": {"k": 1}, "b": false}"#;
        // Arrays and objects are left to serde_json: read with every key, the object goes there.
        let only = Needs::ALL.only(["b", "f", "n", "i", "x", "big", "s", "nan"].map(String::from).to_vec());
        let mut variants = vec![text.to_string(), "null".into(), "{}".into(), r#"{"k\u0031": 1}"#.into()];
        for at in 1..text.len() {
            if text.is_char_boundary(at) && text.is_char_boundary(at + 1) {
                variants.push(format!("{}{}", &text[..at], &text[at + 1..]));
            }
        }
        let mut fast = 0;
        for v in &variants {
            for needs in [&Needs::ALL, &only] {
                let quick = raw_attrs(Some(Raw(v)), needs, Reader::Skim);
                let slow = raw_attrs(Some(Raw(v)), needs, Reader::SerdeOnly);
                assert_eq!(format!("{quick:?}"), format!("{slow:?}"), "{v}");
                fast += usize::from(skim_attrs(v, needs).is_ok());
            }
        }
        assert!(fast > 50, "{fast} read fast");
        let kept = skim_attrs(text, &only).unwrap();
        let kept: Vec<String> = kept.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        assert_eq!(
            kept,
            [
                "b=Bool(true)",
                "f=Bool(false)",
                "n=Empty",
                "i=Int(-42)",
                "x=Double(1500.0)",
                "big=BigInt(\"18446744073709551616\")",
                "s=Str(\"café \\\"q\\\"\")",
                "nan=Double(NaN)",
                "b=Bool(false)"
            ]
        );
    }

    #[test]
    fn ids_are_hex_or_nothing() {
        assert_eq!(hex_u128("0x63ec09596bc0f89e039e1b8bb696490c"), Some(0x63ec09596bc0f89e039e1b8bb696490c));
        assert_eq!(hex_u128("63EC09596BC0F89E039E1B8BB696490C"), Some(0x63ec09596bc0f89e039e1b8bb696490c));
        assert_eq!(hex_u64("0x766539be427046e5"), Some(0x766539be427046e5));
        assert_eq!(hex_u64("0x0000000000000000"), None);
        // A shorter id is not an id: padding it with zeros would make another one.
        assert_eq!(id64("abc"), Err(()));
        assert_eq!(id128("0x63ec09596bc0f89e039e1b8bb69649"), Err(()));
        assert_eq!(id128("0x00000000000000000000000000000000"), Ok(None));
        // Not hex, or a character across the two halves: nothing, and no panic.
        assert_eq!(hex_u128("0x63ec09596bc0f89e039e1b8bb696490g"), None);
        assert_eq!(hex_u128("0x0123456789abcde\u{e9}0123456789abcde"), None);
        assert_eq!(hex_u64("0x0123456789abcd\u{e9}"), None);
    }

    #[test]
    fn broken_json_names_the_record_kind() {
        let err = parse_record("{\n    \"name\": \"x\",\n    \"kind\": \n}", &Needs::ALL, &mut Resources::default())
            .unwrap_err();
        assert_eq!(err.offset_lines, 3);
        assert_eq!(err.kind.to_string(), "invalid span JSON: expected value at column 1");
        let err = parse_record("{\n    \"foo\": 1\n}", &Needs::ALL, &mut Resources::default()).unwrap_err();
        assert_eq!(
            err.kind.to_string(),
            "a JSON object that is not a span, log record or metrics export (first key \"foo\")"
        );
    }
}
