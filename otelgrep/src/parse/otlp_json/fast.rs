//! The fast reading of an OTLP JSON request: one pass of the skimmer over the text, building the
//! records as it goes and skipping what the command does not read (attributes it does not ask
//! for, events and links, log bodies), where the tree reader builds a [`Tree`] of every value
//! first. Record fields are still read as small trees and made into records by the tree reader's
//! own functions (`span`, `log`, `metric`), so a value means the same either way.
//!
//! Anything unusual is [`Bad`] and the request goes to the tree reader: a top-level array, a key
//! written twice or in both spellings where the reader acts on it, pre-1.0 key names, a value of
//! an unexpected type, an escaped key.

use std::borrow::Cow;
use std::sync::Arc;

use super::super::skim::{Bad, DEEPEST, Skim, Skimmed, Tree, once};
use super::super::{Needs, Resources};
use super::{
    Batch, KINDS, SpanFields, any_value, attributes, decimal, enum_value, events, links, log, metric, span, span_kind,
};
use crate::model::{Attributes, Resource, Scope, Value};

/// Depths of the values read, counted from the request (0) as the tree reader counts them:
/// request, resource groups, a group, scope groups, a scope group, records, a record.
const RECORD: u32 = 6;

/// Reads one request; [`Bad`] sends it to the tree reader.
pub(super) fn skim_request(text: &str, needs: &Needs, resources: &mut Resources) -> Skimmed<Batch> {
    // The bounds checked before, the worker's: taken for the request, put back however it ends.
    let mut bounds = Bounds(std::mem::take(&mut resources.otlp_bounds));
    let read = request(text, needs, resources, &mut bounds);
    resources.otlp_bounds = bounds.0;
    read
}

/// [`skim_request`], with the bounds checked before.
fn request(text: &str, needs: &Needs, resources: &mut Resources, bounds: &mut Bounds) -> Skimmed<Batch> {
    let mut s = Skim::new(text);
    // One batch per signal, read where its key stands and joined in the tree reader's order
    // (spans, logs, metrics: their errors come in that order).
    let mut signals: [Option<Batch>; 3] = [None, None, None];
    s.object(|s, key| {
        let signal = match key {
            "resourceSpans" | "resource_spans" => Signal::Spans,
            "resourceLogs" | "resource_logs" => Signal::Logs,
            "resourceMetrics" | "resource_metrics" => Signal::Metrics,
            _ => return s.skip_at(1),
        };
        let mut batch = Batch::default();
        if signal == Signal::Metrics {
            // Room for the points at once, by the text left (a point takes about 100 bytes of
            // it), up to 65,536: the demo capture's lines of 858 KB hold thousands, and growing
            // the batch a doubling at a time copied them over and over (8% of reading it).
            batch.points.reserve(((text.len() - s.position()) / 100).min(1 << 16));
        }
        let mut index = 0;
        s.array(|s| group(s, signal, needs, resources, (&mut index, &mut *bounds), &mut batch))?;
        // Both spellings, or one twice: the tree reader's precedence decides.
        once(&mut signals[signal as usize], batch)
    })?;
    s.end()?;
    let [spans, logs, metrics] = signals;
    if spans.is_none() && logs.is_none() && metrics.is_none() {
        return Err(Bad);
    }
    let exports = usize::from(metrics.is_some());
    // The first signal's batch takes the others' records (most requests hold one signal: its
    // records are not copied into a batch of their own, a copy of every point of the demo's
    // 858 KB metric lines).
    let mut parts = [spans, logs, metrics].into_iter().flatten();
    let mut batch = parts.next().unwrap_or_default();
    parts.for_each(|b| batch.append(b));
    batch.metric_exports = exports;
    Ok(batch)
}

/// The explicit bounds of histogram points checked last, newest first (kept in the worker's
/// [`Resources`]): most points repeat one of a few, byte for byte, metric after metric and line
/// after line (the same default bounds for every HTTP duration), and are taken without checking
/// them again. Kept for the request alone, the first of each in every line of the JS metric
/// exports was still checked: 5% of reading them.
struct Bounds(Vec<String>);

/// How many distinct bounds [`Bounds`] keeps.
const BOUNDS_KEPT: usize = 4;

impl Bounds {
    /// Makes `text` the newest.
    fn met(&mut self, text: &str) {
        match self.0.iter().position(|t| t == text) {
            Some(at) => self.0[..=at].rotate_right(1),
            None => {
                self.0.truncate(BOUNDS_KEPT - 1);
                self.0.insert(0, text.to_string());
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Signal {
    Spans = 0,
    Logs = 1,
    Metrics = 2,
}

impl Signal {
    fn scopes(self) -> [&'static str; 2] {
        match self {
            Signal::Spans => ["scopeSpans", "scope_spans"],
            Signal::Logs => ["scopeLogs", "scope_logs"],
            Signal::Metrics => ["scopeMetrics", "scope_metrics"],
        }
    }

    fn records(self) -> [&'static str; 2] {
        match self {
            Signal::Spans => ["spans", "spans"],
            Signal::Logs => ["logRecords", "log_records"],
            Signal::Metrics => ["metrics", "metrics"],
        }
    }
}

/// Where a resource group's records start in the batch, to give them their resource (and their
/// scope's name) once the group (the scope group) has been read: JSON does not order keys.
#[derive(Clone, Copy)]
struct Marks {
    spans: usize,
    logs: usize,
    points: usize,
}

impl Marks {
    fn of(batch: &Batch) -> Marks {
        Marks { spans: batch.spans.len(), logs: batch.logs.len(), points: batch.points.len() }
    }

    /// Gives the records read since the mark their resource.
    fn set_resource(self, batch: &mut Batch, resource: &Arc<Resource>) {
        batch.spans[self.spans..].iter_mut().for_each(|r| r.resource = resource.clone());
        batch.logs[self.logs..].iter_mut().for_each(|r| r.resource = resource.clone());
        batch.points[self.points..].iter_mut().for_each(|r| r.resource = resource.clone());
    }

    /// Gives the records read since the mark their scope.
    fn set_scope(self, batch: &mut Batch, scope: &Option<Arc<Scope>>) {
        batch.spans[self.spans..].iter_mut().for_each(|r| r.scope = scope.clone());
        batch.logs[self.logs..].iter_mut().for_each(|r| r.scope = scope.clone());
        batch.points[self.points..].iter_mut().for_each(|r| r.scope = scope.clone());
    }
}

fn group(
    s: &mut Skim<'_>,
    signal: Signal,
    needs: &Needs,
    resources: &mut Resources,
    (index, bounds): (&mut usize, &mut Bounds),
    batch: &mut Batch,
) -> Skimmed<()> {
    let start = Marks::of(batch);
    let (mut resource, mut scopes) = (None, None);
    s.object(|s, key| match key {
        "resource" => once(&mut resource, read_resource(s, resources)?),
        k if signal.scopes().contains(&k) => {
            // Records read before their resource get it when the group ends.
            let res = resource.clone().unwrap_or_else(|| PLACEHOLDER.clone());
            once(&mut scopes, resource.is_some())?;
            s.array(|s| scope_group(s, signal, needs, &res, (index, bounds), batch))
        }
        "instrumentationLibrarySpans"
        | "instrumentation_library_spans"
        | "instrumentationLibraryLogs"
        | "instrumentation_library_logs"
        | "instrumentationLibraryMetrics"
        | "instrumentation_library_metrics" => Err(Bad),
        _ => s.skip_at(3),
    })?;
    if scopes != Some(true) {
        let resource = resource.unwrap_or_else(|| resources.intern(Resource::default()));
        start.set_resource(batch, &resource);
    }
    Ok(())
}

/// The resource of records read before their group's resource, until it is read.
static PLACEHOLDER: std::sync::LazyLock<Arc<Resource>> = std::sync::LazyLock::new(Arc::default);

/// A group's resource, read once per distinct text (most requests repeat it).
fn read_resource(s: &mut Skim<'_>, resources: &mut Resources) -> Skimmed<Arc<Resource>> {
    if s.peek_value() != b'{' {
        return Err(Bad);
    }
    // Most groups repeat the resource of one of the last few groups, byte for byte: taken
    // without reading it again. Otherwise its text is checked and looked up whole (most repeat
    // one read before).
    if let Some(r) = resources.otlp_recent(|text| s.known(std::iter::once(text)).is_some()) {
        return Ok(r);
    }
    let start = s.position();
    if let Ok((text, ())) = s.raw_with(|s| s.skip_at(3))
        && let Some(known) = resources.otlp_known(text)
    {
        return Ok(known);
    }
    s.rewind(start);
    let (text, tree) = s.raw_with(|s| s.tree_at(3))?;
    let parse = || Resource { attributes: tree.as_object().map(|r| attributes(r, "attributes")).unwrap_or_default() };
    Ok(resources.intern_otlp_raw(text, parse))
}

fn scope_group(
    s: &mut Skim<'_>,
    signal: Signal,
    needs: &Needs,
    res: &Arc<Resource>,
    (index, bounds): (&mut usize, &mut Bounds),
    batch: &mut Batch,
) -> Skimmed<()> {
    let start = Marks::of(batch);
    let (mut scope, mut records) = (None, None);
    s.object(|s, key| match key {
        "scope" => {
            let read = if s.null()? { None } else { read_scope(s)? };
            once(&mut scope, read)
        }
        "instrumentationLibrary" | "instrumentation_library" => Err(Bad),
        k if signal.records().contains(&k) => {
            // Records read before their scope get it when the scope group ends.
            once(&mut records, scope.is_some())?;
            let read = scope.clone().flatten();
            s.array(|s| {
                let i = *index;
                *index += 1;
                record(s, signal, needs, (i, &mut *bounds), res, &read, batch)
            })
        }
        _ => s.skip_at(5),
    })?;
    if records == Some(false) {
        start.set_scope(batch, &scope.flatten());
    }
    Ok(())
}

/// A scope: its name and version (strings), or none.
fn read_scope(s: &mut Skim<'_>) -> Skimmed<Option<Arc<Scope>>> {
    let (mut name, mut version) = (None, None);
    s.object(|s, key| match key {
        "name" => once(&mut name, s.str()?),
        "version" => once(&mut version, s.str()?),
        _ => s.skip_at(6),
    })?;
    Ok(Scope::new(name.as_deref().unwrap_or(""), version.as_deref().unwrap_or("")))
}

fn record(
    s: &mut Skim<'_>,
    signal: Signal,
    needs: &Needs,
    (index, bounds): (usize, &mut Bounds),
    res: &Arc<Resource>,
    scope: &Option<Arc<Scope>>,
    batch: &mut Batch,
) -> Skimmed<()> {
    match signal {
        Signal::Spans => {
            // The fields `span` reads, each in its place in `SPAN_FIELDS` (written twice: the last,
            // as the tree reader's `member` takes it), not in a list searched by key for each.
            let mut fields: [Option<Tree>; SPAN_FIELDS.len()] = Default::default();
            let (mut attrs, mut events_seen, mut links_seen) = (None, None, None);
            let (mut evs, mut lks) = (Vec::new(), Vec::new());
            // What is read of this span once its kind is known: every encoder writes the kind
            // before the attributes, and a query of SERVER spans skips the others' attributes.
            let mut needs = needs;
            s.object(|s, key| match key {
                "kind" => {
                    // Which attributes are read goes by it: written twice, the tree reader decides.
                    let kind = &mut fields[KIND];
                    if kind.is_some() {
                        return Err(Bad);
                    }
                    let kind = enum_value(Some(kind.insert(s.tree_at(RECORD + 1)?)), KINDS);
                    needs = needs.for_span(span_kind(kind.unwrap_or(0)));
                    Ok(())
                }
                "attributes" => once(&mut attrs, read_attributes(s, needs, RECORD + 1)?),
                "events" if needs.events => {
                    once(&mut events_seen, ())?;
                    evs = events(s.tree_at(RECORD + 1)?.as_array().ok_or(Bad)?);
                    Ok(())
                }
                "links" if needs.events => {
                    once(&mut links_seen, ())?;
                    lks = links(s.tree_at(RECORD + 1)?.as_array().ok_or(Bad)?);
                    Ok(())
                }
                "events" => once(&mut events_seen, skip_records(s, RECORD + 1)?),
                "links" => once(&mut links_seen, skip_records(s, RECORD + 1)?),
                _ => match SPAN_FIELDS.iter().position(|&k| k == key) {
                    Some(at) => {
                        fields[at] = Some(s.tree_at(RECORD + 1)?);
                        Ok(())
                    }
                    // Dropped counts and flags: checked, not built.
                    None => s.skip_at(RECORD + 1),
                },
            })?;
            // Each field in lowerCamelCase, else in snake_case, where it has that spelling.
            let one = |at: usize| fields[at].as_ref();
            let both = |at: usize| fields[at].as_ref().or(fields[at + 1].as_ref());
            let fields = SpanFields {
                trace_id: both(TRACE_ID),
                span_id: both(SPAN_ID),
                parent_span_id: both(PARENT_SPAN_ID),
                name: one(NAME),
                kind: one(KIND),
                start: both(START),
                end: both(END),
                status: one(STATUS),
                trace_state: both(TRACE_STATE),
            };
            match span(index, fields, attrs.unwrap_or_default(), evs, lks, res, scope) {
                Ok(sp) => batch.spans.push(sp),
                Err(e) => batch.errors.push(e),
            }
        }
        Signal::Logs => {
            let needs = needs.for_logs();
            let mut fields = Vec::new();
            let (mut attrs, mut body) = (None, None);
            s.object(|s, key| match key {
                "attributes" => once(&mut attrs, read_attributes(s, needs, RECORD + 1)?),
                "body" => {
                    let mut value = Value::Empty;
                    wanted_tree(s, needs.bodies, |t| {
                        value = any_value(&t);
                        Ok(())
                    })?;
                    once(&mut body, value)
                }
                _ => field(s, key, &mut fields),
            })?;
            match log(index, &fields, attrs.unwrap_or_default(), body.unwrap_or(Value::Empty), res, scope) {
                Ok(l) => batch.logs.push(l),
                Err(e) => batch.errors.push(e),
            }
        }
        Signal::Metrics => read_metric(s, needs.for_metrics(), (index, bounds), res, scope, batch)?,
    }
    Ok(())
}

/// The fields of a span that [`span`] reads (besides attributes, events and links), in both
/// spellings: lowerCamelCase first, and its snake_case right after (where it differs).
const SPAN_FIELDS: [&str; 15] = [
    "traceId",
    "trace_id",
    "spanId",
    "span_id",
    "parentSpanId",
    "parent_span_id",
    "name",
    "kind",
    "startTimeUnixNano",
    "start_time_unix_nano",
    "endTimeUnixNano",
    "end_time_unix_nano",
    "status",
    "traceState",
    "trace_state",
];
/// Where each field is in [`SPAN_FIELDS`] (in lowerCamelCase: its snake_case right after).
const TRACE_ID: usize = place("traceId");
const SPAN_ID: usize = place("spanId");
const PARENT_SPAN_ID: usize = place("parentSpanId");
const NAME: usize = place("name");
const KIND: usize = place("kind");
const START: usize = place("startTimeUnixNano");
const END: usize = place("endTimeUnixNano");
const STATUS: usize = place("status");
const TRACE_STATE: usize = place("traceState");
const _: () = assert!(
    place("trace_id") == TRACE_ID + 1
        && place("span_id") == SPAN_ID + 1
        && place("parent_span_id") == PARENT_SPAN_ID + 1
        && place("start_time_unix_nano") == START + 1
        && place("end_time_unix_nano") == END + 1
        && place("trace_state") == TRACE_STATE + 1
);

/// Where `key` is in [`SPAN_FIELDS`], at compile time (a key not there fails the build).
const fn place(key: &str) -> usize {
    let mut at = 0;
    while at < SPAN_FIELDS.len() {
        if SPAN_FIELDS[at].len() == key.len() {
            let (a, b) = (SPAN_FIELDS[at].as_bytes(), key.as_bytes());
            let mut i = 0;
            while i < a.len() && a[i] == b[i] {
                i += 1;
            }
            if i == a.len() {
                return at;
            }
        }
        at += 1;
    }
    panic!("no span field of that key")
}

/// A field the record functions read from the fields' members, as a tree of its own.
fn field<'a>(s: &mut Skim<'a>, key: &'a str, fields: &mut Vec<(Cow<'a, str>, Tree<'a>)>) -> Skimmed<()> {
    fields.push((Cow::Borrowed(key), s.tree_at(RECORD + 1)?));
    Ok(())
}

/// A value read as a tree and handed to `take` when `wanted`, skipped otherwise.
fn wanted_tree<'a>(s: &mut Skim<'a>, wanted: bool, take: impl FnOnce(Tree<'a>) -> Skimmed<()>) -> Skimmed<()> {
    if wanted { take(s.tree_at(RECORD + 1)?) } else { s.skip_at(RECORD + 1) }
}

/// A record's attributes (`[{"key": ..., "value": ...}, ...]` at `depth`): those the command
/// reads, in order.
fn read_attributes(s: &mut Skim<'_>, needs: &Needs, depth: u32) -> Skimmed<Attributes> {
    let mut out = Vec::new();
    if !needs.attributes {
        if s.peek_value() != b'[' {
            return Err(Bad);
        }
        skip_attributes(s, depth)?;
        return Ok(out);
    }
    s.array(|s| {
        let (mut key, mut value): (Option<Cow<str>>, Option<Option<Value>>) = (None, None);
        s.object(|s, k| match k {
            "key" => once(&mut key, s.str()?),
            "value" => {
                // The key says whether the value is read; a value written first is read anyway.
                let keep = key.as_deref().is_none_or(|k| needs.attribute(k));
                let v = if !keep {
                    skip_value(s, depth + 2).map(|()| None)?
                } else if let Some(v) = scalar_value(s) {
                    Some(v)
                } else {
                    Some(any_value(&s.tree_at(depth + 2)?))
                };
                once(&mut value, v)
            }
            _ => s.skip_at(depth + 2),
        })?;
        let key = key.ok_or(Bad)?;
        if needs.attribute(&key) {
            out.push((key.into_owned(), value.flatten().unwrap_or(Value::Empty)));
        }
        Ok(())
    })?;
    Ok(out)
}

/// A value written as exporters write a scalar (`{"stringValue":"…"}`, `{"intValue":"7"}` or
/// `{"intValue":7}`, `{"boolValue":true}`: compact, one member), read as [`any_value`] reads its
/// tree, without building the tree; `None`, rewound, at anything else (read as a tree). The
/// tree's object, key and string, built and dropped for each value a command reads, were most of
/// reading a server span's attributes.
fn scalar_value(s: &mut Skim<'_>) -> Option<Value> {
    let start = s.position();
    let mut scalar = || {
        let value = if s.take(br#"{"stringValue":"#) {
            Value::Str(s.str().ok()?.into_owned())
        } else if s.take(br#"{"intValue":"#) {
            // A number that is no `i64` (past 64 bits, a fraction) goes to the tree reader,
            // which reads it as serde_json does.
            let text = if s.peek_value() == b'"' { s.str().ok()? } else { Cow::Borrowed(s.number().ok()?) };
            Value::Int(decimal(&text)?)
        } else if s.take(br#"{"boolValue":"#) {
            Value::Bool(s.bool().ok()?)
        } else {
            return None;
        };
        s.take(b"}").then_some(value)
    };
    let value = scalar();
    if value.is_none() {
        s.rewind(start);
    }
    value
}

/// Skips an attribute list, checked as [`Skim::skip_at`] checks it: fast where it is written as
/// exporters write it (compact, each `key` before its `value`, a value of one scalar or a list of
/// them), an attribute written otherwise the general way, and a list with whitespace between its
/// attributes from its start the general way. Skipped the general way, the points' attributes that
/// a query does not read were a fifth of the demo capture's time.
pub(super) fn skip_attributes(s: &mut Skim<'_>, depth: u32) -> Skimmed<()> {
    let start = s.position();
    if !s.take(b"[") {
        return s.skip_at(depth);
    }
    if s.take(b"]") {
        return Ok(());
    }
    let mut first = true;
    loop {
        let at = s.position();
        if compact_attribute(s).is_none() {
            // Where the general way reads a value: after a comma. After `[` it takes whitespace
            // and `]` too (`[ ]`, an empty list, was refused here and the request read again
            // slowly: a new-user check), so a first attribute written otherwise goes back there.
            if first {
                s.rewind(start);
                return s.skip_at(depth);
            }
            s.rewind(at);
            s.skip_at(depth + 1)?;
        }
        first = false;
        if s.take(b",") {
            continue;
        }
        if s.take(b"]") {
            return Ok(());
        }
        s.rewind(start);
        return s.skip_at(depth);
    }
}

/// Skips a span's events or links that a command does not read, checked as [`Skim::skip_at`]
/// checks them, their attributes by [`skip_attributes`] (an exception event's are most of a
/// failed span).
pub(super) fn skip_records(s: &mut Skim<'_>, depth: u32) -> Skimmed<()> {
    // The general way refuses a text deeper than `DEEPEST` levels, counting from the list.
    if s.peek_value() != b'[' || depth + 1 >= DEEPEST {
        return s.skip_at(depth);
    }
    s.array(|s| {
        if s.peek_value() != b'{' {
            return s.skip_at(depth + 1);
        }
        s.object(|s, key| if key == "attributes" { skip_attributes(s, depth + 2) } else { s.skip_at(depth + 2) })
    })
}

/// One attribute's value skipped as [`skip_attributes`] skips it.
pub(super) fn skip_value(s: &mut Skim<'_>, depth: u32) -> Skimmed<()> {
    let start = s.position();
    if compact_value(s, true).is_none() {
        s.rewind(start);
        s.skip_at(depth)?;
    }
    Ok(())
}

/// `{"key":"…","value":{"stringValue":"…"}}`, checked; `None` at anything else (whitespace
/// included), to be read again the general way. Every byte it takes, the general way takes too.
fn compact_attribute(s: &mut Skim<'_>) -> Option<()> {
    if !s.take(br#"{"key":"#) {
        return None;
    }
    s.skip_str().ok()?;
    if !s.take(br#","value":"#) {
        return None;
    }
    compact_value(s, true)?;
    s.take(b"}").then_some(())
}

/// `{"stringValue":"…"}` or another of OTLP's scalar values (a string, a number, `true` or
/// `false`), and with `lists` an `arrayValue` of them, checked; `None` at anything else. (One
/// level of lists only: the general way counts how deep a text goes, and refuses the deepest.)
fn compact_value(s: &mut Skim<'_>, lists: bool) -> Option<()> {
    let keys: [&[u8]; 5] =
        [br#"{"stringValue":"#, br#"{"intValue":"#, br#"{"doubleValue":"#, br#"{"boolValue":"#, br#"{"bytesValue":"#];
    if lists && s.take(br#"{"arrayValue":{"values":["#) {
        if !s.take(b"]") {
            loop {
                compact_value(s, false)?;
                if s.take(b"]") {
                    break;
                }
                if !s.take(b",") {
                    return None;
                }
            }
        }
        return s.take(b"}}").then_some(());
    }
    if !keys.iter().any(|k| s.take(k)) {
        return None;
    }
    match s.peek_value() {
        b'"' => s.skip_str().ok()?,
        b't' if s.take(b"true") => {}
        b'f' if s.take(b"false") => {}
        b'-' | b'0'..=b'9' => drop(s.number().ok()?),
        _ => return None,
    }
    s.take(b"}").then_some(())
}

/// The point fields a counting command reads (`Needs::metrics` unset): times, and those that
/// decide whether a point has a value that can be read (`point_value`); buckets are only checked
/// ([`checked_buckets`]).
const COUNTED_POINT_KEYS: [&str; 13] = [
    "timeUnixNano",
    "time_unix_nano",
    "startTimeUnixNano",
    "start_time_unix_nano",
    "asInt",
    "as_int",
    "asDouble",
    "as_double",
    "sum",
    "count",
    "zeroCount",
    "zero_count",
    "scale",
];

/// Checks, without building them, the buckets of a point a counting command reads: every count
/// a uint64, every bound a number, an exponential side's offset a sint32. One that is not sends
/// the request to the tree reader, which skips the point and says why, as every command does.
/// `bounds`: the bounds checked last (see [`Bounds`]).
fn checked_buckets<'a>(s: &mut Skim<'a>, key: &str, depth: u32, bounds: &mut Bounds) -> Skimmed<()> {
    let count = |s: &mut Skim<'_>| -> Skimmed<()> {
        if s.peek_value() == b'"' { s.str()?.parse::<u64>().map(drop).map_err(|_| Bad) } else { s.uint().map(drop) }
    };
    match key {
        "bucketCounts" | "bucket_counts" => s.array(count),
        "positive" | "negative" => s.object(|s, k| match k {
            "offset" => s.int::<i32>().map(drop),
            "bucketCounts" | "bucket_counts" => s.array(count),
            _ => s.skip_at(depth + 1),
        }),
        "explicitBounds" | "explicit_bounds" => {
            if let Some(text) = s.known(bounds.0.iter().map(String::as_str)) {
                bounds.met(text);
                return Ok(());
            }
            let (text, ()) = s.raw_with(|s| {
                s.array(|s| {
                    if s.peek_value() == b'"' {
                        matches!(&*s.str()?, "NaN" | "Infinity" | "-Infinity").then_some(()).ok_or(Bad)
                    } else {
                        s.finite()
                    }
                })
            })?;
            bounds.met(text);
            Ok(())
        }
        _ => s.skip_at(depth),
    }
}

/// A metric: its fields as trees, its data object's fields as trees, and each data point's
/// fields as trees with its attributes read apart.
fn read_metric(
    s: &mut Skim<'_>,
    needs: &Needs,
    (index, bounds): (usize, &mut Bounds),
    res: &Arc<Resource>,
    scope: &Option<Arc<Scope>>,
    batch: &mut Batch,
) -> Skimmed<()> {
    type Fields<'a> = Vec<(Cow<'a, str>, Tree<'a>)>;
    let (mut fields, mut data_fields): (Fields, Fields) = (Vec::new(), Vec::new());
    let mut points: Vec<(Fields, Attributes)> = Vec::new();
    let mut kind = None;
    s.object(|s, key| {
        let Some((_, k)) = super::DATA_KEYS.iter().find(|(d, _)| *d == key) else {
            return field(s, key, &mut fields);
        };
        // One data field only: with several, which one counts is the tree reader's to say.
        once(&mut kind, *k)?;
        let mut seen_points = None;
        s.object(|s, k| match k {
            "dataPoints" | "data_points" => {
                once(&mut seen_points, ())?;
                s.array(|s| {
                    let (mut p, mut attrs) = (Vec::new(), None);
                    s.object(|s, k| match k {
                        "attributes" => once(&mut attrs, read_attributes(s, needs, RECORD + 4)?),
                        // A command that only counts points reads their times and what decides
                        // whether they can be read (an error); buckets and bounds are checked
                        // and skipped, not built.
                        _ if !needs.metrics && !COUNTED_POINT_KEYS.contains(&k) => {
                            checked_buckets(s, k, RECORD + 4, bounds)
                        }
                        _ => {
                            p.push((Cow::Borrowed(k), s.tree_at(RECORD + 4)?));
                            Ok(())
                        }
                    })?;
                    points.push((p, attrs.unwrap_or_default()));
                    Ok(())
                })
            }
            _ => {
                data_fields.push((Cow::Borrowed(k), s.tree_at(RECORD + 2)?));
                Ok(())
            }
        })
    })?;
    let points = points.iter_mut().map(|(p, a)| (&p[..], std::mem::take(a))).collect();
    metric(index, &fields, kind.map(|k| (&data_fields[..], k)), points, (res, scope), batch, needs);
    Ok(())
}
