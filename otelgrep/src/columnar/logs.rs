//! The `logs` table: the ClickHouse exporter's `otel_logs` columns (its `TimestampTime` is a
//! `DEFAULT` it computes itself, so not written), then otelgrep's own: the observed time, and
//! the types that text loses (the body's and the attributes').
//!
//! `Timestamp` is the record's own time or, when it has none, its observed time, as the exporter
//! writes it (so a query on `Timestamp` sees every record that has a time); `TimestampIsObserved`
//! says which, so that the record reads back as it was.

use crate::columnar::read::Row;
use crate::columnar::rows::Rows;
use crate::columnar::table::{Column, Leaf, Shape, col};
use crate::columnar::values::{self, Resources};
use crate::model::LogRecord;

use Leaf::{Bool, I32, Str, Time};
use Shape::{Map, Optional, Required};

pub const COLUMNS: &[Column] = &[
    col("Timestamp", Optional(Time)),
    col("TraceId", Required(Str)),
    col("SpanId", Required(Str)),
    col("TraceFlags", Optional(I32)),
    col("SeverityText", Required(Str)),
    col("SeverityNumber", Optional(I32)),
    col("ServiceName", Required(Str)),
    col("Body", Required(Str)),
    col("ResourceSchemaUrl", Required(Str)),
    col("ResourceAttributes", Map),
    col("ScopeSchemaUrl", Required(Str)),
    col("ScopeName", Required(Str)),
    col("ScopeVersion", Required(Str)),
    col("ScopeAttributes", Map),
    col("LogAttributes", Map),
    // otelgrep's own.
    col("ObservedTimestamp", Optional(Time)),
    col("TimestampIsObserved", Required(Bool)),
    col("BodyType", Optional(Str)),
    col("ResourceAttributeTypes", Map),
    col("LogAttributeTypes", Map),
];

/// All a command that does not look at log records reads of them: their times (see [`timed`]).
pub const TIMES: &[&str] = &["Timestamp", "ObservedTimestamp", "TimestampIsObserved"];

/// Read for every record (counting commands); the rest when the command reads log records.
pub const ALWAYS: &[&str] = &[
    "Timestamp",
    "TraceId",
    "SpanId",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "ResourceAttributes",
    "ResourceAttributeTypes",
    "ObservedTimestamp",
    "TimestampIsObserved",
];
pub const FULL: &[&str] = &["Body", "BodyType", "ScopeName", "ScopeVersion", "LogAttributes", "LogAttributeTypes"];

pub fn write(rows: &mut Rows, l: &LogRecord) {
    let resource = &l.resource.attributes;
    rows.opt_i64(l.time_ns.or(l.observed_time_ns))
        .str_with(|o| values::write_trace_id(l.trace_id.unwrap_or(0), o))
        .str_with(|o| values::write_span_id(l.span_id.unwrap_or(0), o))
        .opt_i32(None)
        .str(l.severity_text.as_deref().unwrap_or(""))
        .opt_i32(l.severity_number.map(i32::from))
        .str(l.resource.service_name().unwrap_or(""))
        .str_with(|o| values::write_text(&l.body, o))
        .str("")
        .map(|m| values::texts(m, resource))
        .str("")
        .str(l.scope.as_ref().map_or("", |s| &s.name))
        .str(l.scope.as_ref().map_or("", |s| &s.version))
        .map(|_| {})
        .map(|m| values::texts(m, &l.attributes))
        .opt_i64(l.observed_time_ns)
        .bool(l.time_ns.is_none() && l.observed_time_ns.is_some())
        .opt_str(values::kind(&l.body).as_deref())
        .map(|m| values::kinds(m, resource))
        .map(|m| values::kinds(m, &l.attributes));
}

/// The record's own time: `Timestamp`, unless it holds the observed time.
fn own_time(row: &mut Row) -> Option<i64> {
    let time = row.opt_i64("Timestamp");
    time.filter(|_| row.opt_bool("TimestampIsObserved") != Some(true))
}

pub fn read(row: &mut Row, resources: &mut Resources) -> LogRecord {
    let time_ns = own_time(row);
    let trace_id = values::parse_trace_id(row.str("TraceId"));
    let span_id = values::parse_span_id(row.str("SpanId"));
    let severity_text = Some(row.str("SeverityText")).filter(|s| !s.is_empty()).map(str::to_string);
    let severity_number = row.opt_i32("SeverityNumber").and_then(|n| u8::try_from(n).ok());
    let body = row.str("Body").to_string();
    let resource = row.resource(resources);
    let attributes = row.attributes("LogAttributes", "LogAttributeTypes");
    let observed_time_ns = row.opt_i64("ObservedTimestamp");
    let scope = resources.scope(row.str("ScopeName"), row.str("ScopeVersion"));
    let body = values::value(&body, row.opt_str("BodyType"));
    LogRecord {
        time_ns,
        observed_time_ns,
        severity_number,
        severity_text,
        body,
        attributes,
        trace_id,
        span_id,
        resource,
        scope,
    }
}

/// A log record with its times alone, for a command that does not look at log records: they
/// are still counted and give the input's time range.
pub fn timed(row: &mut Row, resources: &mut Resources) -> LogRecord {
    LogRecord {
        time_ns: own_time(row),
        observed_time_ns: row.opt_i64("ObservedTimestamp"),
        severity_number: None,
        severity_text: None,
        body: crate::model::Value::Empty,
        attributes: Vec::new(),
        trace_id: None,
        span_id: None,
        resource: resources.resource(&[], &[]),
        scope: None,
    }
}
