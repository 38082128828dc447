//! The second half of the Rust `opentelemetry-stdout` reader: one framed record's lines (a
//! `Span #N`, `Log #N` or `Metric #N` with its resource and scope, see [`super::Framer`]) made
//! into model values. Knows nothing of framing; a line it cannot read fails its record with the
//! line's offset in it.

use std::cell::RefCell;
use std::sync::Arc;

use super::super::rust_debug::{parse_scope, parse_string, parse_value};
use super::super::time::parse_utc;
use super::super::{Needs, ParseErrorKind, RecordError, RecordLines};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Scope, Span, SpanKind, StatusCode,
    Temporality, Value,
};

fn invalid(offset: usize, msg: impl Into<String>) -> RecordError {
    RecordError { offset_lines: offset as u64, kind: ParseErrorKind::Invalid(msg.into()) }
}

/// A `k: Debug` attribute line's content (after the arrow), split by [`key_value`]. A value that
/// is not Rust's `Debug` of an OpenTelemetry value (a damaged line) is kept as its text, as
/// resource values are: the record is the same to a command that reads its attributes and to one
/// that does not.
fn debug_attr(k: &str, v: &str) -> (String, Value) {
    (k.to_string(), parse_value(v).unwrap_or_else(|| Value::Str(v.to_string())))
}

/// An attribute line's key and value text: split at its first `: `, all key when it has none.
fn key_value(kv: &str) -> (&str, &str) {
    split_once(kv, ": ").unwrap_or((kv, ""))
}

/// `s.split_once(sep)` for the few-byte separators of this format: `str`'s searcher for a string
/// pattern is built at every call, which cost more than the search on lines this short (a tenth of
/// a metrics-heavy capture's reading). Inlined, so that each caller's separator is a constant and
/// its test a compare or two, not a `memcmp` call.
#[inline(always)]
fn split_once<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let (b, sep) = (s.as_bytes(), sep.as_bytes());
    let at = memchr::memchr_iter(sep[0], b).find(|&i| b[i..].starts_with(sep))?;
    Some((&s[..at], &s[at + sep.len()..]))
}

/// `s.rsplit_once(sep)`, as [`split_once`] is.
#[inline(always)]
fn rsplit_once<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let (b, sep) = (s.as_bytes(), sep.as_bytes());
    let at = memchr::memrchr_iter(sep[0], b).find(|&i| b[i..].starts_with(sep))?;
    Some((&s[..at], &s[at + sep.len()..]))
}

/// Where the attribute lines of a span go.
enum Section {
    Span,
    Event,
    Link,
}

/// Parses one `Span #N` record.
pub fn parse_span(rec: &RecordLines, needs: &Needs) -> Result<Span, RecordError> {
    let mut name: Option<String> = None;
    let (mut trace_id, mut span_id, mut parent, mut kind) = (None, None, None, None);
    let (mut start, mut end, mut status) = (None, None, None);
    let (mut scope, mut version) = (None, None);
    let mut attributes = Attributes::new();
    let mut events: Vec<Event> = Vec::new();
    let mut links: Vec<Link> = Vec::new();
    let mut section = Section::Span;
    // The field a column-0 continuation line extends: span name or event name.
    let mut raw: Option<&mut String> = None;
    let mut event_name = String::new();
    let _ = &mut event_name;
    for (i, line) in rec.lines.iter().enumerate().skip(1) {
        let time = |v: &str| parse_utc(v).ok_or_else(|| invalid(i, format!("bad timestamp {v:?}")));
        if !line.starts_with('\t') && !line.is_empty() {
            match raw.as_deref_mut() {
                Some(field) => {
                    field.push('\n');
                    field.push_str(line);
                    continue;
                }
                None => return Err(invalid(i, format!("unexpected line {line:?}"))),
            }
        }
        raw = None;
        // The byte after the TAB: every field's prefix below is compared only where it is that
        // prefix's (compared one after the other, a line met up to sixteen comparisons: a tenth
        // of this function's instructions).
        let second = line.as_bytes().get(1).copied().unwrap_or(0);
        // Attribute lines first: most lines are, and no other field's prefix starts like them.
        if let Some(kv) = line.strip_prefix("\t\t ->  ") {
            // The kind is printed before the attributes: a span of a kind the command does not
            // read keeps none.
            let needs = kind.map_or(needs, |k| needs.for_span(k));
            let wanted = match section {
                Section::Span => needs.attributes,
                Section::Event | Section::Link => needs.events,
            };
            if !wanted {
                continue;
            }
            let (k, v) = key_value(kv);
            if matches!(section, Section::Span) && !needs.attribute(k) {
                continue;
            }
            let kv = debug_attr(k, v);
            match section {
                Section::Span => attributes.push(kv),
                Section::Event => events.last_mut().map(|e| e.attributes.push(kv)).unwrap_or(()),
                Section::Link => links.last_mut().map(|l| l.attributes.push(kv)).unwrap_or(()),
            }
        } else if second == b'N'
            && let Some(v) = line.strip_prefix("\tName         : ")
        {
            name = Some(v.to_string());
            raw = name.as_mut();
        } else if second == b'\t'
            && let Some(v) = line.strip_prefix("\t\tName         : ")
        {
            scope = Some(v);
        } else if second == b'\t'
            && let Some(v) = line.strip_prefix("\t\tVersion  : ")
        {
            version = Some(v);
        } else if second == b'T'
            && let Some(v) = line.strip_prefix("\tTraceId      : ")
        {
            trace_id = Some(u128::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad trace id {v:?}")))?);
        } else if second == b'S'
            && let Some(v) = line.strip_prefix("\tSpanId       : ")
        {
            span_id = Some(u64::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad span id {v:?}")))?);
        } else if second == b'P'
            && let Some(v) = line.strip_prefix("\tParentSpanId : ")
        {
            parent = Some(if v.starts_with("None") {
                None
            } else {
                Some(u64::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad parent id {v:?}")))?)
            });
        } else if second == b'K'
            && let Some(v) = line.strip_prefix("\tKind         : ")
        {
            // Which attributes were kept went by the first (see above): a second is no span.
            if kind.is_some() {
                return Err(invalid(i, "Kind printed twice"));
            }
            kind = Some(match v {
                "Internal" => SpanKind::Internal,
                "Server" => SpanKind::Server,
                "Client" => SpanKind::Client,
                "Producer" => SpanKind::Producer,
                "Consumer" => SpanKind::Consumer,
                other => return Err(invalid(i, format!("unknown span kind {other:?}"))),
            });
        } else if second == b'S'
            && let Some(v) = line.strip_prefix("\tStart time   : ")
        {
            start = Some(time(v)?);
        } else if second == b'E'
            && let Some(v) = line.strip_prefix("\tEnd time     : ")
        {
            end = Some(time(v)?);
        } else if second == b'S'
            && let Some(v) = line.strip_prefix("\tStatus       : ")
        {
            status = Some(match v {
                "Unset" => (StatusCode::Unset, None),
                "Ok" => (StatusCode::Ok, None),
                _ => {
                    let d = v.strip_prefix("Error { description: ").and_then(|d| d.strip_suffix(" }"));
                    let d = d.and_then(parse_string).ok_or_else(|| invalid(i, format!("unknown status {v:?}")))?;
                    (StatusCode::Error, (!d.is_empty()).then_some(d))
                }
            });
        } else if second == b'E' && line.starts_with("\tEvent #") {
            section = Section::Event;
            events.push(Event { name: String::new(), time_ns: 0, attributes: Vec::new() });
        } else if second == b'L' && line.starts_with("\tLink #") {
            section = Section::Link;
            // The exporter prints no `tracestate`, of a link or of the span.
            links.push(Link { trace_id: 0, span_id: 0, trace_state: None, attributes: Vec::new() });
        } else if second == b'N'
            && let Some(v) = line.strip_prefix("\tName      : ")
        {
            let e = events.last_mut().ok_or_else(|| invalid(i, "event name outside an event"))?;
            e.name = v.to_string();
            raw = Some(&mut e.name);
        } else if second == b'T'
            && let Some(v) = line.strip_prefix("\tTimestamp : ")
        {
            let e = events.last_mut().ok_or_else(|| invalid(i, "event timestamp outside an event"))?;
            e.time_ns = time(v)?;
        } else if second == b'T'
            && let Some(v) = line.strip_prefix("\tTraceId: ")
        {
            let l = links.last_mut().ok_or_else(|| invalid(i, "link trace id outside a link"))?;
            l.trace_id = u128::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad link trace id {v:?}")))?;
        } else if second == b'S'
            && let Some(v) = line.strip_prefix("\tSpanId : ")
        {
            let l = links.last_mut().ok_or_else(|| invalid(i, "link span id outside a link"))?;
            l.span_id = u64::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad link span id {v:?}")))?;
        }
        // Everything else (scope attributes, TraceFlags, section headers, the blank line)
        // carries nothing the model keeps.
    }
    let missing = |what: &str| invalid(0, format!("span without {what}"));
    let (status, status_message) = status.ok_or_else(|| missing("Status"))?;
    Ok(Span {
        trace_id: trace_id.ok_or_else(|| missing("TraceId"))?,
        span_id: span_id.ok_or_else(|| missing("SpanId"))?,
        parent_span_id: parent.ok_or_else(|| missing("ParentSpanId"))?,
        trace_state: None,
        name: name.ok_or_else(|| missing("Name"))?,
        kind: kind.ok_or_else(|| missing("Kind"))?,
        start_ns: start.ok_or_else(|| missing("Start time"))?,
        end_ns: end.ok_or_else(|| missing("End time"))?,
        status,
        status_message,
        attributes,
        events,
        links,
        resource: rec.resource.clone(),
        scope: span_scope(scope.unwrap_or(""), version.unwrap_or("")),
    })
}

/// The last scope made from a record's printed lines, per thread: every span and log record
/// prints its scope, and most records of a capture share one, so a record costs no allocation for
/// it (a new one per record cost Rust text a twentieth of its speed).
struct LastScope(RefCell<(String, String, Option<Arc<Scope>>)>);

impl LastScope {
    const fn new() -> LastScope {
        LastScope(RefCell::new((String::new(), String::new(), None)))
    }

    /// The scope of the two printed texts `a` and `b`, made by `make` when they differ from the
    /// last ones.
    fn get(&self, a: &str, b: &str, make: impl FnOnce() -> Option<Arc<Scope>>) -> Option<Arc<Scope>> {
        let mut last = self.0.borrow_mut();
        // Two empty texts make no scope: the initial value is already theirs.
        if last.0 != a || last.1 != b {
            *last = (a.to_string(), b.to_string(), make());
        }
        last.2.clone()
    }
}

thread_local! {
    static SPAN_SCOPE: LastScope = const { LastScope::new() };
    static LOG_SCOPE: LastScope = const { LastScope::new() };
}

/// A span's scope from its `Name` and `Version` lines as printed (Debug strings).
fn span_scope(name: &str, version: &str) -> Option<Arc<Scope>> {
    let text = |v: &str| parse_string(v).unwrap_or_else(|| v.to_string());
    SPAN_SCOPE.with(|last| last.get(name, version, || Scope::new(&text(name), &text(version))))
}

/// Parses one `Log #N` record.
pub fn parse_log(rec: &RecordLines, needs: &Needs) -> Result<LogRecord, RecordError> {
    let mut log = LogRecord {
        time_ns: None,
        observed_time_ns: None,
        severity_number: None,
        severity_text: None,
        body: Value::Empty,
        attributes: Vec::new(),
        trace_id: None,
        span_id: None,
        resource: rec.resource.clone(),
        scope: None,
    };
    // The scope the OTLP exporter sends a record under: the logger's, named by the record's target
    // when it has one (the tracing bridge's module path). Since opentelemetry-rust PR #3332 the
    // target replaces only the name; before it, the version was dropped too.
    let (mut scope, mut target) = ("", None);
    let mut complete = false;
    for (i, line) in rec.lines.iter().enumerate().skip(1) {
        let time = |v: &str| parse_utc(v).ok_or_else(|| invalid(i, format!("bad timestamp {v:?}")));
        if let Some(v) = line.strip_prefix("\t Timestamp: ") {
            log.time_ns = Some(time(v)?);
        } else if let Some(v) = line.strip_prefix("\t Instrumentation Scope: ") {
            scope = v;
        } else if let Some(v) = line.strip_prefix("\t Target (Scope): ") {
            target = Some(v);
        } else if let Some(v) = line.strip_prefix("\t Observed Timestamp: ") {
            log.observed_time_ns = Some(time(v)?);
        } else if let Some(v) = line.strip_prefix("\t TraceId: ") {
            log.trace_id = u128::from_str_radix(v, 16).ok().filter(|&t| t != 0);
        } else if let Some(v) = line.strip_prefix("\t SpanId: ") {
            log.span_id = u64::from_str_radix(v, 16).ok().filter(|&s| s != 0);
        } else if let Some(v) = line.strip_prefix("\t SeverityText: ") {
            log.severity_text = Some(parse_string(v).unwrap_or_else(|| v.to_string()));
        } else if let Some(v) = line.strip_prefix("\t SeverityNumber: ") {
            log.severity_number = crate::model::severity_number(v);
        } else if let Some(v) = line.strip_prefix("\t Body: ") {
            if needs.bodies {
                log.body = parse_value(v).unwrap_or_else(|| Value::Str(v.to_string()));
            }
        } else if *line == "\t Attributes:" {
            complete = true;
        } else if let Some(kv) = line.strip_prefix("\t\t ->  ") {
            if needs.attributes {
                let (k, v) = key_value(kv);
                log.attributes.push(debug_attr(k, v));
            }
        }
    }
    // `Attributes:` is always printed, last: without it the record was cut short.
    if !complete {
        return Err(invalid(0, "log record without its Attributes line"));
    }
    log.scope = LOG_SCOPE.with(|last| {
        last.get(scope, target.unwrap_or(""), || {
            let (name, version) = parse_scope(scope).unwrap_or_default();
            let target = target.and_then(parse_string);
            Scope::new(target.as_deref().unwrap_or(&name), &version)
        })
    });
    Ok(log)
}

/// Metric attribute values are printed with Display, untyped: integers, floats and booleans are
/// read as such, everything else stays text.
fn display_value(v: &str) -> Value {
    match display_kind(v) {
        Kind::Int(i) => Value::Int(i),
        Kind::Double(d) => Value::Double(d),
        Kind::Bool(b) => Value::Bool(b),
        Kind::Text => Value::Str(v.to_string()),
    }
}

/// What [`display_value`] reads a value as, without making its text a `String`.
#[derive(PartialEq)]
enum Kind {
    Int(i64),
    Double(f64),
    Bool(bool),
    Text,
}

fn display_kind(v: &str) -> Kind {
    if let Ok(i) = v.parse::<i64>() {
        Kind::Int(i)
    } else if let Some(d) = v.contains('.').then(|| v.parse::<f64>().ok()).flatten() {
        Kind::Double(d)
    } else if v == "true" || v == "false" {
        Kind::Bool(v == "true")
    } else {
        Kind::Text
    }
}

/// Parses one `Metric #N` record into its data points; their attributes only when `needs` says
/// (they are still checked).
pub fn parse_metric(rec: &RecordLines, needs: &Needs) -> Result<Vec<MetricPoint>, RecordError> {
    let (mut name, mut unit, mut description) = (None, String::new(), String::new());
    let mut kind = None;
    let (mut monotonic, mut temporality, mut start, mut time) = (None, None, None, None);
    let mut points: Vec<(usize, Attributes, PointBuilder)> = Vec::new();
    // The attribute a column-0 line continues (a Display value with a newline in it): its index
    // in the point's attributes, or None when they are not kept (and it is text).
    let mut raw_attr: Option<Option<usize>> = None;
    for (i, line) in rec.lines.iter().enumerate().skip(1) {
        if !line.starts_with('\t') {
            // A raw newline inside a Display value: an attribute value, or the name/description.
            match raw_attr {
                Some(Some(a)) => {
                    if let Some((_, Value::Str(s))) = points.last_mut().and_then(|(_, attrs, _)| attrs.get_mut(a)) {
                        s.push('\n');
                        s.push_str(line);
                        continue;
                    }
                }
                Some(None) => continue,
                None => {}
            }
            return Err(invalid(i, format!("unexpected line {line:?}")));
        }
        raw_attr = None;
        let f = |p: &str| line.strip_prefix(p);
        // A point's attributes and fields first: most lines are, and no metric field's prefix
        // starts with three TABs.
        if let Some(rest) = line.strip_prefix("\t\t\t\t ->  ") {
            let (_, attrs, _) = points.last_mut().ok_or_else(|| invalid(i, "attribute outside a data point"))?;
            // Exponential histograms pad the key: `key  : value`.
            let (k, v) =
                split_once(rest, ": ").ok_or_else(|| invalid(i, format!("attribute without ': ': {rest:?}")))?;
            if needs.attributes {
                attrs.push((k.trim_end().to_string(), display_value(v)));
                raw_attr = Some(Some(attrs.len() - 1));
            } else if display_kind(v) == Kind::Text {
                raw_attr = Some(None);
            }
        } else if let Some(rest) = line.strip_prefix("\t\t\t") {
            let (_, _, p) = points.last_mut().ok_or_else(|| invalid(i, "data point field outside a data point"))?;
            p.field(rest).map_err(|m| invalid(i, m))?;
        } else if let Some(v) = f("\t\tName         : ") {
            name = Some(v.to_string());
        } else if let Some(v) = f("\t\tDescription  : ") {
            description = v.to_string();
        } else if let Some(v) = f("\t\tUnit         : ") {
            unit = v.to_string();
        } else if let Some(v) = f("\t\tType         : ") {
            kind = Some(v.to_string());
        } else if let Some(v) = f("\t\tMonotonic    : ") {
            monotonic = Some(v == "true");
        } else if let Some(v) = f("\t\tTemporality  : ") {
            temporality = Some(match v {
                "Cumulative" => Temporality::Cumulative,
                "Delta" => Temporality::Delta,
                other => return Err(invalid(i, format!("unknown temporality {other:?}"))),
            });
        } else if let Some(v) = f("\t\tStartTime    : ") {
            start = Some(parse_utc(v).ok_or_else(|| invalid(i, format!("bad StartTime {v:?}")))?);
        } else if let Some(v) = f("\t\tEndTime      : ") {
            time = Some(parse_utc(v).ok_or_else(|| invalid(i, format!("bad EndTime {v:?}")))?);
        } else if line.starts_with("\t\tDataPoint #") {
            points.push((i, Vec::new(), PointBuilder::default()));
        }
    }
    let name = name.ok_or_else(|| invalid(0, "metric without Name"))?;
    let kind_text = kind.ok_or_else(|| invalid(0, "metric without Type"))?;
    let time_ns = time.ok_or_else(|| invalid(0, "metric without EndTime"))?;
    let kind = match (kind_text.as_str(), monotonic) {
        ("Sum", Some(false)) => MetricKind::UpDownCounter,
        ("Sum", _) => MetricKind::Counter,
        ("Gauge", _) => MetricKind::Gauge,
        ("Histogram", _) => MetricKind::Histogram,
        ("Exponential Histogram", _) => MetricKind::ExponentialHistogram,
        (other, _) => return Err(invalid(0, format!("unknown metric type {other:?}"))),
    };
    let mut out = Vec::with_capacity(points.len());
    for (offset, attributes, p) in points {
        let value = p.finish(kind).map_err(|m| invalid(offset, format!("metric {name:?}: {m}")))?;
        out.push(MetricPoint {
            name: needs.point_label(&name),
            unit: needs.point_detail(&unit),
            description: needs.point_detail(&description),
            kind,
            temporality,
            start_ns: start,
            time_ns,
            attributes,
            value,
            resource: rec.resource.clone(),
            scope: rec.scope.clone(),
        });
    }
    Ok(out)
}

#[derive(Default)]
struct PointBuilder {
    value: Option<Value>,
    count: Option<u64>,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    bounds: Vec<f64>,
    counts: Vec<u64>,
    /// The `+Infinity` bucket closes explicit buckets.
    closed: bool,
    scale: Option<i32>,
    zero_count: u64,
    positive_offset: i32,
    negative_offset: i32,
    positive: Vec<u64>,
    negative: Vec<u64>,
    in_positive: bool,
}

impl PointBuilder {
    fn field(&mut self, rest: &str) -> Result<(), String> {
        let num = |v: &str| v.trim().parse::<f64>().map_err(|_| format!("bad number {v:?}"));
        let int = |v: &str| v.trim().parse::<u64>().map_err(|_| format!("bad count {v:?}"));
        if let Some((label, v)) = rest.split_once(':').filter(|(l, _)| !l.starts_with('\t')) {
            let v = v.trim_start();
            match label.trim_end() {
                "Value" => {
                    self.value = Some(if v.contains(['.', 'e', 'E', 'N', 'i']) {
                        Value::Double(num(v)?)
                    } else {
                        Value::Int(v.parse().map_err(|_| format!("bad value {v:?}"))?)
                    })
                }
                "Count" => self.count = Some(int(v)?),
                "Sum" => self.sum = Some(num(v)?),
                "Min" => self.min = Some(num(v)?),
                "Max" => self.max = Some(num(v)?),
                "Scale" => self.scale = Some(v.parse().map_err(|_| format!("bad scale {v:?}"))?),
                "ZeroCount" => self.zero_count = int(v)?,
                "PositiveOffset" => {
                    self.positive_offset = v.parse().map_err(|_| format!("bad offset {v:?}"))?;
                    self.in_positive = true;
                }
                "NegativeOffset" => self.negative_offset = v.parse().map_err(|_| format!("bad offset {v:?}"))?,
                _ => {} // Attributes, Buckets, Base, ZeroThreshold
            }
            return Ok(());
        }
        if let Some(bucket) = rest.strip_prefix('\t') {
            if let Some(b) = bucket.strip_prefix("Bucket ") {
                // `Bucket 0 (lo, hi] : 1`
                let count = rsplit_once(b, " : ").map_or(b, |(_, c)| c);
                let list = if self.in_positive { &mut self.positive } else { &mut self.negative };
                list.push(int(count)?);
                return Ok(());
            }
            // ` lo to hi : count`, the last one `hi to +Infinity : count` without the space.
            let (range, count) = rsplit_once(bucket, " : ").ok_or_else(|| format!("bad bucket line {bucket:?}"))?;
            let (_, hi) = split_once(range.trim(), " to ").ok_or_else(|| format!("bad bucket range {range:?}"))?;
            self.counts.push(int(count)?);
            if hi == "+Infinity" {
                self.closed = true;
            } else {
                self.bounds.push(num(hi)?);
            }
        }
        Ok(())
    }

    fn finish(self, kind: MetricKind) -> Result<PointValue, String> {
        Ok(match kind {
            MetricKind::Histogram => {
                if !self.counts.is_empty() && !self.closed {
                    return Err("histogram buckets cut short (no +Infinity bucket)".into());
                }
                PointValue::Histogram {
                    count: self.count.ok_or("histogram point without Count")?,
                    sum: self.sum,
                    min: self.min,
                    max: self.max,
                    bounds: self.bounds,
                    counts: self.counts,
                }
            }
            MetricKind::ExponentialHistogram => PointValue::ExponentialHistogram {
                count: self.count.ok_or("exponential histogram point without Count")?,
                sum: self.sum,
                min: self.min,
                max: self.max,
                scale: self.scale.ok_or("exponential histogram point without Scale")?,
                zero_count: self.zero_count,
                positive_offset: self.positive_offset,
                positive: self.positive,
                negative_offset: self.negative_offset,
                negative: self.negative,
            },
            _ => match self.value.ok_or("data point without Value")? {
                Value::Int(i) => PointValue::Int(i),
                Value::Double(d) => PointValue::Double(d),
                _ => unreachable!("values are read as numbers"),
            },
        })
    }
}
