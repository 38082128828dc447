//! The one telemetry model every input format is read into: spans, log records, metric points.
//!
//! Ids are integers (`u128` trace, `u64` span) so they compare and hash cheaply and print as
//! lowercase hex without `0x`; the all-zero id is `None`. Times are nanoseconds since the Unix epoch
//! in UTC. Values keep what the exporter wrote: integers stay integers, and integers too big for
//! `i64` keep their decimal text. No parsing here and no I/O: the parsers build these values.

use std::fmt;
use std::sync::Arc;

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    /// An integer that does not fit in `i64`, kept exactly as written.
    BigInt(String),
    Double(f64),
    Bool(bool),
    Array(Vec<Value>),
    Map(Vec<(String, Value)>),
    /// JSON `null`, or an empty OTLP `AnyValue`.
    Empty,
}

impl Value {
    /// `==`, but doubles by their bits: `-0.0` is not `0.0` and a NaN is itself (two resources
    /// that print differently are two resources).
    pub fn identical(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.identical(y)),
            (Value::Map(a), Value::Map(b)) => identical(a, b),
            (a, b) => a == b,
        }
    }
}

/// Attribute lists equal as [`Value::identical`] says.
pub fn identical(a: &[(String, Value)], b: &[(String, Value)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((k, v), (l, w))| k == l && v.identical(w))
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) | Value::BigInt(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Double(d) => write!(f, "{d}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(kvs) => {
                f.write_str("{")?;
                for (i, (k, v)) in kvs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Value::Empty => Ok(()),
        }
    }
}

/// Attributes in the order the exporter wrote them.
pub type Attributes = Vec<(String, Value)>;

/// Looks an attribute up by key.
pub fn attr<'a>(attrs: &'a Attributes, key: &str) -> Option<&'a Value> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The instrumentation scope (the library) that made a record, shared by the records of its
/// section; the formats that print no scope leave it out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Empty when the format gives only a version.
    pub name: String,
    /// Empty when the format prints none.
    pub version: String,
}

impl Scope {
    /// A scope from what a format printed: `None` when it gave neither a name nor a version.
    pub fn new(name: &str, version: &str) -> Option<Arc<Scope>> {
        (!name.is_empty() || !version.is_empty())
            .then(|| Arc::new(Scope { name: name.to_string(), version: version.to_string() }))
    }
}

/// A W3C `tracestate` as a format printed it: none when empty (OTLP and Go write `""` for none).
pub fn trace_state(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

/// A resource, shared by every record that repeats it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    pub attributes: Attributes,
}

impl Resource {
    /// `service.name`, when the resource names one.
    pub fn service_name(&self) -> Option<&str> {
        match attr(&self.attributes, "service.name") {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// Span kind, with OTLP's meaning whatever the source's numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [SpanKind; 6] = [
        SpanKind::Server,
        SpanKind::Client,
        SpanKind::Internal,
        SpanKind::Producer,
        SpanKind::Consumer,
        SpanKind::Unspecified,
    ];

    /// Upper-case name, as the Python exporter and the OTLP enum spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "UNSPECIFIED",
            SpanKind::Internal => "INTERNAL",
            SpanKind::Server => "SERVER",
            SpanKind::Client => "CLIENT",
            SpanKind::Producer => "PRODUCER",
            SpanKind::Consumer => "CONSUMER",
        }
    }
}

/// Span status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusCode {
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    /// Every status, in the order messages list them.
    pub const ALL: [StatusCode; 3] = [StatusCode::Ok, StatusCode::Error, StatusCode::Unset];

    /// Upper-case name, as the OTLP enum spells it after `STATUS_CODE_`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "UNSET",
            StatusCode::Ok => "OK",
            StatusCode::Error => "ERROR",
        }
    }
}

/// A span event (an exception, a log-like note).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub time_ns: i64,
    pub attributes: Attributes,
}

/// A link to another span.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub trace_id: u128,
    pub span_id: u64,
    /// The linked span's W3C `tracestate` (`rojo=00f067aa0ba902b7,congo=t61rcWkgMzE`).
    pub trace_state: Option<String>,
    pub attributes: Attributes,
}

/// A span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub trace_id: u128,
    pub span_id: u64,
    pub parent_span_id: Option<u64>,
    /// The span's W3C `tracestate`, when the format prints one and it is not empty.
    pub trace_state: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    pub start_ns: i64,
    pub end_ns: i64,
    pub status: StatusCode,
    pub status_message: Option<String>,
    pub attributes: Attributes,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    pub resource: Arc<Resource>,
    /// Instrumentation scope, when the format prints one.
    pub scope: Option<Arc<Scope>>,
}

impl Span {
    /// Whether both times were given (0 is no time, as OTLP leaves it): spans without them are
    /// counted, but have no duration.
    pub fn timed(&self) -> bool {
        self.start_ns != 0 && self.end_ns != 0
    }

    /// Whether the span ends before it starts (a clock stepped back, a bad exporter): it is
    /// counted, but a negative duration is no duration, and would drag every percentile down.
    pub fn backwards(&self) -> bool {
        self.timed() && self.end_ns < self.start_ns
    }

    /// The duration, when it has one (both times, not backwards).
    pub fn duration_ns(&self) -> Option<i64> {
        (self.timed() && !self.backwards()).then(|| self.end_ns - self.start_ns)
    }
}

/// A log record.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    pub time_ns: Option<i64>,
    pub observed_time_ns: Option<i64>,
    pub severity_number: Option<u8>,
    pub severity_text: Option<String>,
    pub body: Value,
    pub attributes: Attributes,
    pub trace_id: Option<u128>,
    pub span_id: Option<u64>,
    pub resource: Arc<Resource>,
    pub scope: Option<Arc<Scope>>,
}

/// What a metric's points are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    /// Monotonic sum (a counter).
    Counter,
    /// Non-monotonic sum (an up-down counter).
    UpDownCounter,
    Histogram,
    ExponentialHistogram,
    Summary,
}

/// Aggregation temporality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    Cumulative,
    Delta,
}

/// The measured part of a data point.
#[derive(Debug, Clone, PartialEq)]
pub enum PointValue {
    Int(i64),
    Double(f64),
    Histogram {
        count: u64,
        sum: Option<f64>,
        min: Option<f64>,
        max: Option<f64>,
        bounds: Vec<f64>,
        counts: Vec<u64>,
    },
    ExponentialHistogram {
        count: u64,
        sum: Option<f64>,
        min: Option<f64>,
        max: Option<f64>,
        scale: i32,
        zero_count: u64,
        positive_offset: i32,
        positive: Vec<u64>,
        negative_offset: i32,
        negative: Vec<u64>,
    },
}

/// One data point of one metric in one export.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    pub name: String,
    pub unit: String,
    pub description: String,
    pub kind: MetricKind,
    pub temporality: Option<Temporality>,
    pub start_ns: Option<i64>,
    pub time_ns: i64,
    pub attributes: Attributes,
    pub value: PointValue,
    pub resource: Arc<Resource>,
    pub scope: Option<Arc<Scope>>,
}

/// A severity name with an optional step digit (`Info`, `WARN3`, `error`) → its number (9, 15,
/// 17), as the exporters print `SeverityNumber`; case does not matter.
pub fn severity_number(name: &str) -> Option<u8> {
    let digits = name.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let word = &name[..name.len() - digits.len()];
    let base =
        ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].iter().position(|w| w.eq_ignore_ascii_case(word))?;
    let step: u8 = if digits.is_empty() { 1 } else { digits.parse().ok()? };
    (1..=4).contains(&step).then(|| base as u8 * 4 + step)
}

/// Formats a trace id as the 32 lowercase hex digits every tool shows.
pub fn trace_hex(id: u128) -> String {
    format!("{id:032x}")
}

/// Formats a span id as 16 lowercase hex digits.
pub fn span_hex(id: u64) -> String {
    format!("{id:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_names_and_steps() {
        assert_eq!(severity_number("Info"), Some(9));
        assert_eq!(severity_number("Warn"), Some(13));
        assert_eq!(severity_number("Error4"), Some(20));
        assert_eq!(severity_number("INFO2"), Some(10));
        assert_eq!(severity_number("Fatal4"), Some(24));
        assert_eq!(severity_number("Error5"), None);
        assert_eq!(severity_number("Loud"), None);
    }
}
