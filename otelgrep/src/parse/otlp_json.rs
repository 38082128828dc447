//! OTLP JSON lines: one `Export{Trace,Metrics,Logs}ServiceRequest` per line, as the Collector's
//! `file` exporter and OTLP/HTTP JSON bodies write them (see shared/FORMATS.md §4).
//!
//! Read leniently, as the Collector reads: lowerCamelCase or snake_case keys, 64-bit integers as
//! numbers or decimal strings, enums as integers or names, hex ids in either case, every field
//! optional. Pure functions from one line to model records.

use std::sync::Arc;

use serde_json::Value as Json;

mod fast;

use super::ids::{hex16, hex32};
use super::skim::{Bad, Members, Reader, Tree, member};
use super::{Needs, ParseErrorKind, RecordError, Resources};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Scope, Span, SpanKind,
    StatusCode, Temporality, Value, trace_state,
};

/// One document's records, and the records in it that could not be read (the others are kept).
#[derive(Debug, Default)]
pub struct Batch {
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
    pub points: Vec<MetricPoint>,
    /// Metrics export requests read (each is one export, however many points it holds).
    pub metric_exports: usize,
    pub errors: Vec<RecordError>,
}

/// The first keys of an export request, in both spellings.
const FIRST_KEYS: [&str; 6] = [
    "\"resourceSpans\"",
    "\"resourceMetrics\"",
    "\"resourceLogs\"",
    "\"resource_spans\"",
    "\"resource_metrics\"",
    "\"resource_logs\"",
];

/// Whether a line is an OTLP JSON document (cheap: looks at the first key only): a request, or
/// a JSON array of them.
pub fn is_document(line: &str) -> bool {
    // Called on every line: documents start with `{"resource` at column 0.
    let request = |r: &str| r.strip_prefix('{').is_some_and(is_pretty_start);
    // Indented by a wrapper or a script (`  {"resourceSpans": ...}`): still a request. Called on
    // every TAB-indented line of a Rust capture too: only spaces and TABs are looked at, not
    // every Unicode space (`trim_start` cost a tenth of a Rust capture's framing).
    let line = &line[line.bytes().take_while(|&b| b == b' ' || b == b'\t').count()..];
    match line.strip_prefix('[') {
        Some(rest) => request(rest.trim_start()),
        None => request(line),
    }
}

/// Whether an object's second line (a pretty-printed one's first key) opens an export request.
pub fn is_pretty_start(second_line: &str) -> bool {
    let key = super::scan::lead_trimmed(second_line);
    key.starts_with("\"resource") && FIRST_KEYS.iter().any(|k| key.starts_with(k))
}

fn invalid(msg: impl Into<String>) -> RecordError {
    ParseErrorKind::Invalid(msg.into()).into()
}

/// An object, as read (see [`Tree`]).
type Obj<'a> = Members<'a>;

/// `obj[camel]`, else `obj[snake]`.
fn get<'t, 'a>(obj: &'t Obj<'a>, camel: &str, snake: &str) -> Option<&'t Tree<'a>> {
    member(obj, camel).or_else(|| member(obj, snake))
}

fn array<'t, 'a>(obj: &'t Obj<'a>, camel: &str, snake: &str) -> &'t [Tree<'a>] {
    get(obj, camel, snake).and_then(Tree::as_array).unwrap_or(&[])
}

fn objects<'t, 'a>(obj: &'t Obj<'a>, camel: &str, snake: &str) -> impl Iterator<Item = &'t Obj<'a>> {
    array(obj, camel, snake).iter().filter_map(Tree::as_object)
}

fn string<'t>(obj: &'t Obj<'_>, camel: &str, snake: &str) -> Option<&'t str> {
    get(obj, camel, snake).and_then(Tree::as_str)
}

/// An int64/uint64 written as a number or a decimal string.
fn int(v: Option<&Tree>) -> Option<i64> {
    match v? {
        Tree::Str(s) => decimal(s),
        // A plain integer (most are) without serde_json's Number; the rest as it reads them.
        n @ Tree::Number(t) => decimal(t).or_else(|| {
            n.as_number().and_then(|n| n.as_i64().or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())))
        }),
        _ => None,
    }
}

/// `text` as `str::parse::<i64>` reads it: an optional sign and decimal digits. Up to 19 digits
/// (every timestamp in nanoseconds) are summed without a check per digit, which cannot overflow
/// a `u64`; two timestamps a point, parsed the general way, were 4% of reading the demo capture.
/// Eight digits at a time past the first few ([`eight_digits`]): one at a time, each digit waited
/// for the sum before it, and that was 5% of reading OTLP metric lines.
fn decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 19 {
        return text.parse().ok();
    }
    let (head, chunks) = digits.split_at(digits.len() % 8);
    let mut value: u64 = 0;
    for &d in head {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value = value * 10 + u64::from(d);
    }
    for chunk in chunks.chunks_exact(8) {
        value = value * 100_000_000 + eight_digits(chunk.try_into().ok()?)?;
    }
    if negative { 0i64.checked_sub_unsigned(value) } else { i64::try_from(value).ok() }
}

/// Eight ASCII digits, the first the most significant, as their number; `None` if any byte is no
/// digit. In one 64-bit word: each byte checked to be `0x30..=0x39` (its high half 3, and still 3
/// with 6 added), then the digits combined in pairs, fours and the eight by three multiplies.
fn eight_digits(chunk: [u8; 8]) -> Option<u64> {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let v = u64::from_le_bytes(chunk);
    if v & HIGH != ZEROS || v.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    let v = v - ZEROS;
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF)
}

fn uint(v: Option<&Tree>) -> Option<u64> {
    match v? {
        Tree::Str(s) => s.parse().ok(),
        n @ Tree::Number(t) => t.parse().ok().or_else(|| n.as_number()?.as_u64()),
        _ => None,
    }
}

/// A double written as a number or as `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn double(v: Option<&Tree>) -> Option<f64> {
    match v? {
        Tree::Str(s) => match &**s {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        // What serde_json's `Number::as_f64` gives (with `arbitrary_precision` it parses the
        // number's text, finite values only), without building the `Number` first: the text is a
        // JSON number already checked by whichever reader built the tree.
        Tree::Number(t) => t.parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn hex128(v: Option<&str>) -> Option<u128> {
    u128::from_str_radix(v?, 16).ok().filter(|&x| x != 0)
}

fn hex64(v: Option<&str>) -> Option<u64> {
    u64::from_str_radix(v?, 16).ok().filter(|&x| x != 0)
}

/// An OTLP `AnyValue` written as JSON text (`{"intValue":"3"}`), if it is one.
pub fn any_value_text(text: &str) -> Option<Value> {
    Tree::read(text).ok().map(|t| any_value(&t))
}

/// An OTLP `AnyValue`.
fn any_value(v: &Tree) -> Value {
    let Some(o) = v.as_object() else { return Value::Empty };
    if let Some(s) = string(o, "stringValue", "string_value") {
        return Value::Str(s.to_string());
    }
    if let Some(b) = get(o, "boolValue", "bool_value").and_then(Tree::as_bool) {
        return Value::Bool(b);
    }
    if let Some(i) = get(o, "intValue", "int_value") {
        return match int(Some(i)) {
            Some(i) => Value::Int(i),
            None => Value::BigInt(i.to_json().to_string().trim_matches('"').to_string()),
        };
    }
    if let Some(d) = get(o, "doubleValue", "double_value") {
        return double(Some(d)).map_or(Value::Empty, Value::Double);
    }
    if let Some(a) = get(o, "arrayValue", "array_value").and_then(Tree::as_object) {
        return Value::Array(array(a, "values", "values").iter().map(any_value).collect());
    }
    if let Some(kv) = get(o, "kvlistValue", "kvlist_value").and_then(Tree::as_object) {
        return Value::Map(attributes(kv, "values"));
    }
    if let Some(b) = string(o, "bytesValue", "bytes_value") {
        return Value::Str(b.to_string());
    }
    Value::Empty
}

fn attributes(obj: &Obj, key: &str) -> Attributes {
    objects(obj, key, key)
        .filter_map(|kv| {
            Some((member(kv, "key")?.as_str()?.to_string(), member(kv, "value").map_or(Value::Empty, any_value)))
        })
        .collect()
}

fn resource(obj: &Obj, resources: &mut Resources) -> Arc<Resource> {
    let attrs = get(obj, "resource", "resource").and_then(Tree::as_object).map(|r| attributes(r, "attributes"));
    resources.intern(Resource { attributes: attrs.unwrap_or_default() })
}

fn read_scope(obj: &Obj) -> Option<Arc<Scope>> {
    let scope = get(obj, "scope", "scope").or_else(|| get(obj, "instrumentationLibrary", "instrumentation_library"))?;
    let text = |key| scope.get(key).and_then(Tree::as_str).unwrap_or_default();
    Scope::new(text("name"), text("version"))
}

/// An enum written as an integer or as its proto name (`SPAN_KIND_SERVER`).
fn enum_value(v: Option<&Tree>, names: &[&str]) -> Option<i64> {
    match v? {
        Tree::Str(s) => names.iter().position(|n| n == s).map(|i| i as i64).or_else(|| s.parse().ok()),
        other => int(Some(other)),
    }
}

/// Parses one document: an export request, or a JSON array of them, on one line or many. The
/// fast reader takes a plain request, reading only what `needs` asks for; the tree reader (with
/// serde_json on what the skimmer will not read) takes the rest, and words the errors.
pub fn parse_document(text: &str, needs: &Needs, resources: &mut Resources) -> Result<Batch, RecordError> {
    match one_document(text, needs, resources) {
        Ok(batch) => Ok(batch),
        Err(e) => back_to_back(text, needs, resources).unwrap_or(Err(e)),
    }
}

pub(crate) fn one_document(text: &str, needs: &Needs, resources: &mut Resources) -> Result<Batch, RecordError> {
    match fast::skim_request(text, needs, resources) {
        Ok(batch) => Ok(batch),
        Err(Bad) => read(text, resources, Reader::Skim),
    }
}

/// Documents written one after another with nothing but spaces between them (`}{`, or several
/// on one line), each read on its own; `None` when the text is not that.
fn back_to_back(text: &str, needs: &Needs, resources: &mut Resources) -> Option<Result<Batch, RecordError>> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let mut pieces = Vec::new();
    let mut start = 0;
    while let Some(value) = values.next() {
        value.ok()?;
        pieces.push(start..values.byte_offset());
        start = values.byte_offset();
    }
    if pieces.len() < 2 {
        return None;
    }
    let mut batch = Batch::default();
    for (i, range) in pieces.into_iter().enumerate() {
        let piece = &text[range.clone()];
        let lines = text[..range.start + (piece.len() - piece.trim_start().len())].matches('\n').count() as u64;
        match one_document(piece, needs, resources) {
            Ok(mut b) => {
                b.errors.iter_mut().for_each(|e| e.offset_lines += lines);
                batch.append(b);
            }
            Err(e) => {
                let why = format!("document {} of those written back to back: {}", i + 1, e.kind);
                batch
                    .errors
                    .push(RecordError { offset_lines: lines + e.offset_lines, kind: ParseErrorKind::Invalid(why) });
            }
        }
    }
    Some(Ok(batch))
}

pub(crate) fn read(text: &str, resources: &mut Resources, reader: Reader) -> Result<Batch, RecordError> {
    // The skimmer reads the plain document; serde_json what it will not (and words the error).
    let doc = reader.read(
        || Tree::read(text),
        || {
            serde_json::from_str::<Json>(text)
                .map(Tree::from_json)
                .map_err(|e| invalid(format!("invalid OTLP JSON: {e}")))
        },
    )?;
    let mut batch = Batch::default();
    match &doc {
        Tree::Array(requests) => {
            for (i, r) in requests.iter().enumerate() {
                let mut one = Batch::default();
                let read = r
                    .as_object()
                    .ok_or_else(|| "not a JSON object".to_string())
                    .and_then(|r| request(r, resources, &mut one));
                if let Err(e) = read {
                    one.errors.push(invalid(e));
                }
                for e in &mut one.errors {
                    let ParseErrorKind::Invalid(msg) = &mut e.kind else { continue };
                    *msg = format!("request {} of the array: {msg}", i + 1);
                }
                batch.append(one);
            }
        }
        doc => {
            let doc = doc.as_object().ok_or_else(|| invalid("OTLP JSON document is not an object"))?;
            request(doc, resources, &mut batch).map_err(invalid)?;
        }
    }
    Ok(batch)
}

impl Batch {
    /// Hands the records to the sink; the records that could not be read are reported at
    /// `line` (the document's), and the others of the document count.
    pub(super) fn deliver<S: super::Sink>(self, line: u64, file: &Arc<str>, sink: &mut S, report: &mut super::Report) {
        report.metric_exports += self.metric_exports;
        self.spans.into_iter().for_each(|s| sink.span(s));
        self.logs.into_iter().for_each(|l| sink.log(l));
        self.points.into_iter().for_each(|p| sink.point(p));
        for e in self.errors {
            report.errors.push(super::ParseError { file: file.clone(), line: line + e.offset_lines, kind: e.kind });
        }
    }

    pub(super) fn append(&mut self, mut later: Batch) {
        self.spans.append(&mut later.spans);
        self.logs.append(&mut later.logs);
        self.points.append(&mut later.points);
        self.metric_exports += later.metric_exports;
        self.errors.append(&mut later.errors);
    }
}

/// Reads one export request into `batch`; `Err` when it is none.
fn request(doc: &Obj, resources: &mut Resources, batch: &mut Batch) -> Result<(), String> {
    let mut known = false;
    if get(doc, "resourceSpans", "resource_spans").is_some() {
        spans(doc, resources, batch);
        known = true;
    }
    if get(doc, "resourceLogs", "resource_logs").is_some() {
        logs(doc, resources, batch);
        known = true;
    }
    if get(doc, "resourceMetrics", "resource_metrics").is_some() {
        metrics(doc, resources, batch);
        batch.metric_exports += 1;
        known = true;
    }
    if known {
        Ok(())
    } else {
        Err("not an OTLP export request (no resourceSpans, resourceMetrics or resourceLogs)".into())
    }
}

/// A trace or span id: `Ok(0)` when absent or empty (proto3's default), the id when it is
/// `digits` hex digits (either case), why not otherwise.
fn id(v: Option<&Tree>, digits: usize, what: &str) -> Result<u128, String> {
    match v {
        None | Some(Tree::Null) => Ok(0),
        Some(Tree::Str(s)) if s.is_empty() => Ok(0),
        Some(Tree::Str(s)) => {
            let id = if digits == 32 { hex32(s.as_bytes()) } else { hex16(s.as_bytes()).map(u128::from) };
            id.ok_or_else(|| {
                // protobuf's own JSON (`MessageToJson`, `JsonFormat`) writes bytes as base64;
                // OTLP JSON writes ids in hex.
                let hint = if base64_of(s, digits / 2) {
                    " (base64, as protobuf's JSON writes bytes: OTLP JSON writes ids in hex)"
                } else {
                    ""
                };
                format!("{what} {s:?} is not {digits} hex digits{hint}")
            })
        }
        Some(other) => Err(format!("{what} {} is not a string", other.to_json())),
    }
}

/// Whether `s` is `bytes` bytes written in base64, padded.
fn base64_of(s: &str, bytes: usize) -> bool {
    let body = s.trim_end_matches('=');
    s.len() == bytes.div_ceil(3) * 4
        && s.len() - body.len() == (3 - bytes % 3) % 3
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The error for record `index` (0-based) of a request, with the record's name when it has one.
pub(super) fn record_error(what: &str, index: usize, name: &str, why: String) -> RecordError {
    let name = if name.is_empty() { String::new() } else { format!(" ({name:?})") };
    invalid(format!("{what} {} of the request{name}: {why}", index + 1))
}

const KINDS: &[&str] = &[
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];
const STATUS: &[&str] = &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

/// Where one signal's records sit in a document: resource groups, their scope groups (and the
/// name SDKs before 1.0 gave those), the records; each as `[camelCase, snake_case]`.
struct Nesting {
    resources: [&'static str; 2],
    scopes: [&'static str; 2],
    old_scopes: [&'static str; 2],
    records: [&'static str; 2],
    /// The records' name before it was, if it was another (`logs`, before `logRecords`, in an
    /// `instrumentationLibraryLogs` group).
    old_records: Option<&'static str>,
}

/// Calls `record` with each record of a document (and its index among them), its resource and its
/// scope, in order.
fn each_record<'t, 'a>(
    doc: &'t Obj<'a>,
    n: &Nesting,
    resources: &mut Resources,
    mut record: impl FnMut(usize, &'t Obj<'a>, &Arc<Resource>, &Option<Arc<Scope>>),
) {
    let mut index = 0;
    for group in objects(doc, n.resources[0], n.resources[1]) {
        let res = resource(group, resources);
        let scopes = objects(group, n.scopes[0], n.scopes[1]).chain(objects(group, n.old_scopes[0], n.old_scopes[1]));
        for scope_group in scopes {
            let scope = read_scope(scope_group);
            let old = n.old_records.into_iter().flat_map(|k| objects(scope_group, k, k));
            for r in objects(scope_group, n.records[0], n.records[1]).chain(old) {
                record(index, r, &res, &scope);
                index += 1;
            }
        }
    }
}

const SPANS: Nesting = Nesting {
    resources: ["resourceSpans", "resource_spans"],
    scopes: ["scopeSpans", "scope_spans"],
    old_scopes: ["instrumentationLibrarySpans", "instrumentation_library_spans"],
    records: ["spans", "spans"],
    old_records: None,
};

const LOGS: Nesting = Nesting {
    resources: ["resourceLogs", "resource_logs"],
    scopes: ["scopeLogs", "scope_logs"],
    old_scopes: ["instrumentationLibraryLogs", "instrumentation_library_logs"],
    records: ["logRecords", "log_records"],
    old_records: Some("logs"),
};

const METRICS: Nesting = Nesting {
    resources: ["resourceMetrics", "resource_metrics"],
    scopes: ["scopeMetrics", "scope_metrics"],
    old_scopes: ["instrumentationLibraryMetrics", "instrumentation_library_metrics"],
    records: ["metrics", "metrics"],
    old_records: None,
};

fn spans(doc: &Obj, resources: &mut Resources, batch: &mut Batch) {
    each_record(doc, &SPANS, resources, |index, s, res, scope| {
        let (events, links) = (events(array(s, "events", "events")), links(array(s, "links", "links")));
        match span(index, SpanFields::of(s), attributes(s, "attributes"), events, links, res, scope) {
            Ok(span) => batch.spans.push(span),
            Err(e) => batch.errors.push(e),
        }
    });
}

/// The fields of a span that [`span`] reads besides attributes, events and links, each as
/// written (in lowerCamelCase if written both ways, as [`get`] takes it).
struct SpanFields<'t, 'a> {
    name: Option<&'t Tree<'a>>,
    trace_id: Option<&'t Tree<'a>>,
    span_id: Option<&'t Tree<'a>>,
    parent_span_id: Option<&'t Tree<'a>>,
    trace_state: Option<&'t Tree<'a>>,
    kind: Option<&'t Tree<'a>>,
    start: Option<&'t Tree<'a>>,
    end: Option<&'t Tree<'a>>,
    status: Option<&'t Tree<'a>>,
}

impl<'t, 'a> SpanFields<'t, 'a> {
    /// A span's fields, from its object.
    fn of(s: &'t Obj<'a>) -> Self {
        SpanFields {
            name: get(s, "name", "name"),
            trace_id: get(s, "traceId", "trace_id"),
            span_id: get(s, "spanId", "span_id"),
            parent_span_id: get(s, "parentSpanId", "parent_span_id"),
            trace_state: get(s, "traceState", "trace_state"),
            kind: get(s, "kind", "kind"),
            start: get(s, "startTimeUnixNano", "start_time_unix_nano"),
            end: get(s, "endTimeUnixNano", "end_time_unix_nano"),
            status: get(s, "status", "status"),
        }
    }
}

/// A span from its fields, with the attributes, events and links the reader read apart (the fast
/// reader reads only those a command needs); the tree reader and the fast one both build spans
/// here.
fn span(
    index: usize,
    s: SpanFields,
    attributes: Attributes,
    events: Vec<Event>,
    links: Vec<Link>,
    res: &Arc<Resource>,
    scope: &Option<Arc<Scope>>,
) -> Result<Span, RecordError> {
    let name = s.name.and_then(Tree::as_str).unwrap_or_default().to_string();
    let ids = id(s.trace_id, 32, "traceId").and_then(|t| {
        let span = id(s.span_id, 16, "spanId")?;
        let parent = id(s.parent_span_id, 16, "parentSpanId")?;
        Ok((t, span as u64, parent as u64))
    });
    let (trace_id, span_id, parent) = ids.map_err(|why| record_error("span", index, &name, why))?;
    let kind = span_kind(enum_value(s.kind, KINDS).unwrap_or(0));
    let status = s.status.and_then(Tree::as_object);
    let code = status.and_then(|st| enum_value(member(st, "code"), STATUS)).unwrap_or(0);
    Ok(Span {
        trace_id,
        span_id,
        parent_span_id: Some(parent).filter(|&p| p != 0),
        trace_state: s.trace_state.and_then(Tree::as_str).and_then(trace_state),
        kind,
        // No time is 0, as proto3 leaves it: the span is counted, and left out of durations.
        start_ns: int(s.start).unwrap_or(0),
        end_ns: int(s.end).unwrap_or(0),
        status: match code {
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => StatusCode::Unset,
        },
        status_message: status
            .and_then(|st| member(st, "message")?.as_str())
            .filter(|m| !m.is_empty())
            .map(str::to_string),
        attributes,
        events,
        links,
        resource: res.clone(),
        scope: scope.clone(),
        name,
    })
}

/// OTLP's `SpanKind` number (JSON and protobuf alike).
pub(super) fn span_kind(n: i64) -> SpanKind {
    match n {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

/// A span's events, from the `events` array.
fn events(items: &[Tree]) -> Vec<Event> {
    items
        .iter()
        .filter_map(Tree::as_object)
        .map(|e| Event {
            name: string(e, "name", "name").unwrap_or_default().to_string(),
            time_ns: int(get(e, "timeUnixNano", "time_unix_nano")).unwrap_or(0),
            attributes: attributes(e, "attributes"),
        })
        .collect()
}

/// A span's links, from the `links` array; a link without valid ids links nowhere.
fn links(items: &[Tree]) -> Vec<Link> {
    items
        .iter()
        .filter_map(Tree::as_object)
        .filter_map(|l| {
            Some(Link {
                trace_id: hex128(string(l, "traceId", "trace_id"))?,
                span_id: hex64(string(l, "spanId", "span_id"))?,
                trace_state: string(l, "traceState", "trace_state").and_then(trace_state),
                attributes: attributes(l, "attributes"),
            })
        })
        .collect()
}

fn logs(doc: &Obj, resources: &mut Resources, batch: &mut Batch) {
    each_record(doc, &LOGS, resources, |index, l, res, scope| {
        let body = get(l, "body", "body").map_or(Value::Empty, any_value);
        match log(index, l, attributes(l, "attributes"), body, res, scope) {
            Ok(l) => batch.logs.push(l),
            Err(e) => batch.errors.push(e),
        }
    });
}

/// A log record from its fields, with the attributes and body read apart (see [`span`]).
fn log(
    index: usize,
    l: &Obj,
    attributes: Attributes,
    body: Value,
    res: &Arc<Resource>,
    scope: &Option<Arc<Scope>>,
) -> Result<LogRecord, RecordError> {
    let ids = id(get(l, "traceId", "trace_id"), 32, "traceId")
        .and_then(|t| Ok((t, id(get(l, "spanId", "span_id"), 16, "spanId")? as u64)));
    let (trace_id, span_id) = ids.map_err(|why| record_error("log record", index, "", why))?;
    let severity = get(l, "severityNumber", "severity_number");
    let severity_number = match severity {
        Some(Tree::Str(s)) if s.starts_with("SEVERITY_NUMBER_") => severity_from_name(s),
        other => int(other).and_then(|n| u8::try_from(n).ok()),
    };
    Ok(LogRecord {
        time_ns: int(get(l, "timeUnixNano", "time_unix_nano")).filter(|&t| t != 0),
        observed_time_ns: int(get(l, "observedTimeUnixNano", "observed_time_unix_nano")).filter(|&t| t != 0),
        severity_number: severity_number.filter(|&n| n != 0),
        severity_text: string(l, "severityText", "severity_text").filter(|s| !s.is_empty()).map(str::to_string),
        body,
        attributes,
        trace_id: Some(trace_id).filter(|&t| t != 0),
        span_id: Some(span_id).filter(|&s| s != 0),
        resource: res.clone(),
        scope: scope.clone(),
    })
}

/// `SEVERITY_NUMBER_INFO2` → 10.
fn severity_from_name(s: &str) -> Option<u8> {
    crate::model::severity_number(s.strip_prefix("SEVERITY_NUMBER_")?)
}

fn metrics(doc: &Obj, resources: &mut Resources, batch: &mut Batch) {
    each_record(doc, &METRICS, resources, |index, m, res, scope| {
        let data = data(m);
        let points = data
            .map(|(d, _)| objects(d, "dataPoints", "data_points").map(|p| (p, attributes(p, "attributes"))).collect())
            .unwrap_or_default();
        metric(index, m, data, points, (res, scope), batch, &Needs::ALL);
    });
}

/// The keys of a metric's data, and what each makes of it, in the order they are looked for.
const DATA_KEYS: [(&str, MetricKind); 6] = [
    ("gauge", MetricKind::Gauge),
    ("sum", MetricKind::Counter),
    ("histogram", MetricKind::Histogram),
    ("exponentialHistogram", MetricKind::ExponentialHistogram),
    ("exponential_histogram", MetricKind::ExponentialHistogram),
    ("summary", MetricKind::Summary),
];

/// The data fields OTLP 0.8 deprecated (2021) and later removed, for `Gauge`, `Sum`,
/// `Histogram` and `Summary` with `asInt` or `asDouble` points and attributes for labels.
const RETIRED_DATA_KEYS: [&str; 14] = [
    "intGauge",
    "int_gauge",
    "doubleGauge",
    "double_gauge",
    "intSum",
    "int_sum",
    "doubleSum",
    "double_sum",
    "intHistogram",
    "int_histogram",
    "doubleHistogram",
    "double_histogram",
    "doubleSummary",
    "double_summary",
];

/// Why a metric with a data field of [`RETIRED_DATA_KEYS`] (`key`) is skipped.
pub(super) fn retired(key: &str) -> String {
    format!("{key} is a data field of OTLP before 0.8 (2021), which otelgrep does not read")
}

/// A metric's data object and kind; `None` for a metric without data (pdata writes one).
fn data<'t, 'a>(m: &'t Obj<'a>) -> Option<(&'t Obj<'a>, MetricKind)> {
    DATA_KEYS.iter().find_map(|(k, kind)| Some((member(m, k)?.as_object()?, *kind)))
}

/// A metric's points, from the metric's fields (`m`), its data object (without reading its
/// points) and each point with the attributes read apart (see [`span`]). A metric with no data is
/// an empty metric; a point without its value is named in `batch.errors`. `needs`: whether the
/// points carry their metric's name, unit and description ([`Needs::point_label`] and
/// [`Needs::point_detail`]; the tree reader reads everything).
fn metric(
    index: usize,
    m: &Obj,
    data: Option<(&Obj, MetricKind)>,
    points: Vec<(&Obj, Attributes)>,
    (res, scope): (&Arc<Resource>, &Option<Arc<Scope>>),
    batch: &mut Batch,
    needs: &Needs,
) {
    let name = string(m, "name", "name").unwrap_or_default().to_string();
    let Some((data, base_kind)) = data else {
        // A metric of OTLP before 0.8 is not one without data: said, not taken for empty.
        if let Some(k) = RETIRED_DATA_KEYS.iter().find(|k| member(m, k).is_some()) {
            batch.errors.push(record_error("metric", index, &name, retired(k)));
        }
        return;
    };
    let kind = match (base_kind, get(data, "isMonotonic", "is_monotonic").and_then(Tree::as_bool)) {
        (MetricKind::Counter, Some(false) | None) => MetricKind::UpDownCounter,
        (k, _) => k,
    };
    let temporality = match enum_value(
        get(data, "aggregationTemporality", "aggregation_temporality"),
        &["AGGREGATION_TEMPORALITY_UNSPECIFIED", "AGGREGATION_TEMPORALITY_DELTA", "AGGREGATION_TEMPORALITY_CUMULATIVE"],
    ) {
        Some(1) => Some(Temporality::Delta),
        Some(2) => Some(Temporality::Cumulative),
        _ => None,
    };
    for (i, (p, attributes)) in points.into_iter().enumerate() {
        let value = match point_value(kind, p) {
            Ok(value) => value,
            Err(why) => {
                batch.errors.push(record_error("metric", index, &name, format!("data point {} {why}", i + 1)));
                continue;
            }
        };
        let text = |key: &str| needs.point_detail(string(m, key, key).unwrap_or_default());
        batch.points.push(MetricPoint {
            name: needs.point_label(&name),
            unit: text("unit"),
            description: text("description"),
            kind,
            temporality,
            start_ns: int(get(p, "startTimeUnixNano", "start_time_unix_nano")).filter(|&t| t != 0),
            time_ns: int(get(p, "timeUnixNano", "time_unix_nano")).unwrap_or(0),
            attributes,
            value,
            resource: res.clone(),
            scope: scope.clone(),
        });
    }
}

/// A point's value, or why it has none that can be right: a count, bound, scale or offset that is
/// there but is no number of its type (a count past 2^64-1, an offset past 32 bits: OTLP's
/// `uint64` and `sint32`) would otherwise be read as 0 or wrap.
fn point_value(kind: MetricKind, p: &Obj) -> Result<PointValue, String> {
    let count = |k: &str, snake: &str| -> Result<u64, String> {
        match get(p, k, snake) {
            None | Some(Tree::Null) => Ok(0),
            Some(v) => uint(Some(v)).ok_or_else(|| format!("has {k} {}, which is no uint64", shown(v))),
        }
    };
    let counts = |o: &Obj, c: &str, s: &str| -> Result<Vec<u64>, String> {
        array(o, c, s)
            .iter()
            .map(|v| uint(Some(v)).ok_or_else(|| format!("has bucket count {}, which is no uint64", shown(v))))
            .collect()
    };
    let small = |o: Option<&Obj>, k: &str| -> Result<i32, String> {
        match o.and_then(|o| member(o, k)) {
            None | Some(Tree::Null) => Ok(0),
            Some(v) => int(Some(v))
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| format!("has {k} {}, which is no sint32", shown(v))),
        }
    };
    Ok(match kind {
        MetricKind::Histogram => PointValue::Histogram {
            count: count("count", "count")?,
            sum: double(member(p, "sum")),
            min: double(member(p, "min")),
            max: double(member(p, "max")),
            bounds: array(p, "explicitBounds", "explicit_bounds")
                .iter()
                .map(|v| double(Some(v)).ok_or_else(|| format!("has bucket bound {}, which is no number", shown(v))))
                .collect::<Result<_, _>>()?,
            counts: counts(p, "bucketCounts", "bucket_counts")?,
        },
        MetricKind::ExponentialHistogram => {
            let side = |k: &str| member(p, k).and_then(Tree::as_object);
            let (pos, neg) = (side("positive"), side("negative"));
            PointValue::ExponentialHistogram {
                count: count("count", "count")?,
                sum: double(member(p, "sum")),
                min: double(member(p, "min")),
                max: double(member(p, "max")),
                scale: small(Some(p), "scale")?,
                zero_count: count("zeroCount", "zero_count")?,
                positive_offset: small(pos, "offset")?,
                positive: pos.map(|b| counts(b, "bucketCounts", "bucket_counts")).transpose()?.unwrap_or_default(),
                negative_offset: small(neg, "offset")?,
                negative: neg.map(|b| counts(b, "bucketCounts", "bucket_counts")).transpose()?.unwrap_or_default(),
            }
        }
        _ => match (get(p, "asInt", "as_int"), get(p, "asDouble", "as_double")) {
            (Some(i), _) => {
                PointValue::Int(int(Some(i)).ok_or_else(|| format!("has asInt {}, which is no int64", shown(i)))?)
            }
            (None, Some(d)) => PointValue::Double(
                double(Some(d)).ok_or_else(|| format!("has asDouble {}, which is no number", shown(d)))?,
            ),
            // A summary's quantiles are not modelled yet: keep its sum.
            (None, None) if kind == MetricKind::Summary => {
                PointValue::Double(double(member(p, "sum")).ok_or_else(|| "has no value".to_string())?)
            }
            (None, None) => return Err("has no value".into()),
        },
    })
}

/// A value as a message shows it: its text, cut short.
fn shown(v: &Tree) -> String {
    match v {
        Tree::Str(s) => format!("{:?}", s.chars().take(40).collect::<String>()),
        // As its value, not its text: the tree reader keeps a number's text, serde_json writes
        // its own (`1e5` against `1e+5`), and both must say the same.
        Tree::Number(t) => match t.parse::<i128>() {
            Ok(n) => n.to_string(),
            Err(_) => t.parse::<f64>().map_or_else(|_| t.chars().take(40).collect(), |f| format!("{f:e}")),
        },
        Tree::Null => "null".into(),
        Tree::Bool(b) => b.to_string(),
        Tree::Array(_) => "an array".into(),
        Tree::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests;
