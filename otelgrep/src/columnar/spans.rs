//! The `spans` table: the ClickHouse exporter's `otel_traces` columns, in its order and with its
//! meanings (`SpanKind` `SPAN_KIND_SERVER`, `StatusCode` `STATUS_CODE_ERROR`, ids in hex, empty
//! for none), then what only otelgrep knows: the request's URL, route, target, method and status
//! resolved across semantic-convention generations, whether the span is a request's entry, the
//! end time, and the attribute types that text loses.
//!
//! Times are nanoseconds; `Timestamp` and `EndTimestamp` are NULL where the span has none, and
//! `Duration` (ns) is NULL where it has no duration (a time missing, or it ends before it starts).

use crate::cmd::is_entry;
use crate::columnar::read::Row;
use crate::columnar::rows::Rows;
use crate::columnar::table::{Column, Leaf, Shape, col};
use crate::columnar::values::{self, Resources};
use crate::keys::{Key, resolve, route};
use crate::model::{Event, Link, Span, SpanKind, StatusCode, trace_state};

use Leaf::{Bool, I64, Str, Time};
use Shape::{List, ListOfMaps, Map, Optional, Required};

pub const COLUMNS: &[Column] = &[
    col("Timestamp", Optional(Time)),
    col("TraceId", Required(Str)),
    col("SpanId", Required(Str)),
    col("ParentSpanId", Required(Str)),
    col("TraceState", Required(Str)),
    col("SpanName", Required(Str)),
    col("SpanKind", Required(Str)),
    col("ServiceName", Required(Str)),
    col("ResourceAttributes", Map),
    col("ScopeName", Required(Str)),
    col("ScopeVersion", Required(Str)),
    col("SpanAttributes", Map),
    col("Duration", Optional(I64)),
    col("StatusCode", Required(Str)),
    col("StatusMessage", Required(Str)),
    col("Events.Timestamp", List(Time)),
    col("Events.Name", List(Str)),
    col("Events.Attributes", ListOfMaps),
    col("Links.TraceId", List(Str)),
    col("Links.SpanId", List(Str)),
    col("Links.TraceState", List(Str)),
    col("Links.Attributes", ListOfMaps),
    // otelgrep's own.
    col("EndTimestamp", Optional(Time)),
    col("HttpUrl", Optional(Str)),
    col("HttpRoute", Optional(Str)),
    col("HttpTarget", Optional(Str)),
    col("HttpMethod", Optional(Str)),
    col("HttpStatus", Optional(Str)),
    col("IsEntry", Required(Bool)),
    col("ResourceAttributeTypes", Map),
    col("SpanAttributeTypes", Map),
    col("Events.AttributeTypes", ListOfMaps),
    col("Links.AttributeTypes", ListOfMaps),
];

/// Columns every span read back needs; the rest are read when the command reads attributes
/// (`ATTRIBUTES`) or events and links (`EVENTS`).
pub const ALWAYS: &[&str] = &[
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ResourceAttributeTypes",
    "ScopeName",
    "ScopeVersion",
    "StatusCode",
    "EndTimestamp",
];
pub const ATTRIBUTES: &[&str] = &["SpanAttributes", "SpanAttributeTypes"];
pub const EVENTS: &[&str] = &[
    "TraceState",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
    "Events.AttributeTypes",
    "Links.AttributeTypes",
];

pub fn kind_text(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Unspecified => "SPAN_KIND_UNSPECIFIED",
        SpanKind::Internal => "SPAN_KIND_INTERNAL",
        SpanKind::Server => "SPAN_KIND_SERVER",
        SpanKind::Client => "SPAN_KIND_CLIENT",
        SpanKind::Producer => "SPAN_KIND_PRODUCER",
        SpanKind::Consumer => "SPAN_KIND_CONSUMER",
    }
}

fn kind_from(text: &str) -> SpanKind {
    match text.strip_prefix("SPAN_KIND_").unwrap_or(text) {
        "INTERNAL" => SpanKind::Internal,
        "SERVER" => SpanKind::Server,
        "CLIENT" => SpanKind::Client,
        "PRODUCER" => SpanKind::Producer,
        "CONSUMER" => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

fn status_text(s: StatusCode) -> &'static str {
    match s {
        StatusCode::Unset => "STATUS_CODE_UNSET",
        StatusCode::Ok => "STATUS_CODE_OK",
        StatusCode::Error => "STATUS_CODE_ERROR",
    }
}

fn status_from(text: &str) -> StatusCode {
    match text {
        "STATUS_CODE_OK" => StatusCode::Ok,
        "STATUS_CODE_ERROR" => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

/// A time column's value: NULL for no time (0).
fn time(ns: i64) -> Option<i64> {
    (ns != 0).then_some(ns)
}

pub fn write(rows: &mut Rows, s: &Span) {
    let resolved = |key: Key| resolve(&key, s).map(|r| r.value);
    let resource = &s.resource.attributes;
    rows.opt_i64(time(s.start_ns))
        .str_with(|o| values::write_trace_id(s.trace_id, o))
        .str_with(|o| values::write_span_id(s.span_id, o))
        .str_with(|o| values::write_span_id(s.parent_span_id.unwrap_or(0), o))
        .str(s.trace_state.as_deref().unwrap_or(""))
        .str(&s.name)
        .str(kind_text(s.kind))
        .str(s.resource.service_name().unwrap_or(""))
        .map(|m| values::texts(m, resource))
        .str(s.scope.as_ref().map_or("", |s| &s.name))
        .str(s.scope.as_ref().map_or("", |s| &s.version))
        .map(|m| values::texts(m, &s.attributes))
        .opt_i64(s.duration_ns())
        .str(status_text(s.status))
        .str(s.status_message.as_deref().unwrap_or(""))
        .list_i64(s.events.iter().map(|e| e.time_ns))
        .list_str(&s.events, |e, o| o.extend_from_slice(e.name.as_bytes()))
        .list_of_maps(&s.events, |e, m| values::texts(m, &e.attributes))
        .list_str(&s.links, |l, o| values::write_trace_id(l.trace_id, o))
        .list_str(&s.links, |l, o| values::write_span_id(l.span_id, o))
        .list_str(&s.links, |l, o| o.extend_from_slice(l.trace_state.as_deref().unwrap_or("").as_bytes()))
        .list_of_maps(&s.links, |l, m| values::texts(m, &l.attributes))
        .opt_i64(time(s.end_ns))
        .opt_str(resolved(Key::Url).as_deref())
        .opt_str(route(s).as_deref())
        .opt_str(resolved(Key::Target).as_deref())
        .opt_str(resolved(Key::Method).as_deref())
        .opt_str(resolved(Key::Status).as_deref())
        .bool(is_entry(s))
        .map(|m| values::kinds(m, resource))
        .map(|m| values::kinds(m, &s.attributes))
        .list_of_maps(&s.events, |e, m| values::kinds(m, &e.attributes))
        .list_of_maps(&s.links, |l, m| values::kinds(m, &l.attributes));
}

/// A span back from its row (ids that the capture left empty stay 0, as they were read).
pub fn read(row: &mut Row, resources: &mut Resources) -> Span {
    let start_ns = row.opt_i64("Timestamp").unwrap_or(0);
    let trace_id = values::parse_trace_id(row.str("TraceId")).unwrap_or(0);
    let span_id = values::parse_span_id(row.str("SpanId")).unwrap_or(0);
    let parent_span_id = values::parse_span_id(row.str("ParentSpanId"));
    let name = row.str("SpanName").to_string();
    let kind = kind_from(row.str("SpanKind"));
    let resource = row.resource(resources);
    let scope = resources.scope(row.str("ScopeName"), row.str("ScopeVersion"));
    let trace_state = trace_state(row.str("TraceState"));
    let attributes = row.attributes("SpanAttributes", "SpanAttributeTypes");
    let status = status_from(row.str("StatusCode"));
    let status_message = Some(row.str("StatusMessage")).filter(|s| !s.is_empty()).map(str::to_string);
    let times = row.list_i64("Events.Timestamp");
    let names = row.list_str("Events.Name");
    let event_attrs = row.list_of_maps("Events.Attributes");
    let event_kinds = row.list_of_maps("Events.AttributeTypes");
    let events = times
        .into_iter()
        .zip(names)
        .zip(event_attrs.into_iter().chain(std::iter::repeat(Vec::new())))
        .zip(event_kinds.into_iter().chain(std::iter::repeat(Vec::new())))
        .map(|(((time_ns, name), attrs), kinds)| Event {
            name: name.to_string(),
            time_ns,
            attributes: values::join(&attrs, &kinds),
        })
        .collect();
    let link_traces = row.list_str("Links.TraceId");
    let link_spans = row.list_str("Links.SpanId");
    let link_states = row.list_str("Links.TraceState");
    let link_attrs = row.list_of_maps("Links.Attributes");
    let link_kinds = row.list_of_maps("Links.AttributeTypes");
    let links = link_traces
        .into_iter()
        .zip(link_spans)
        .zip(link_states.into_iter().map(Some).chain(std::iter::repeat(None)))
        .zip(link_attrs.into_iter().chain(std::iter::repeat(Vec::new())))
        .zip(link_kinds.into_iter().chain(std::iter::repeat(Vec::new())))
        .map(|((((t, s), state), attrs), kinds)| Link {
            trace_id: values::parse_trace_id(t).unwrap_or(0),
            span_id: values::parse_span_id(s).unwrap_or(0),
            trace_state: state.and_then(crate::model::trace_state),
            attributes: values::join(&attrs, &kinds),
        })
        .collect();
    let end_ns = row.opt_i64("EndTimestamp").unwrap_or(0);
    Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state,
        name,
        kind,
        start_ns,
        end_ns,
        status,
        status_message,
        attributes,
        events,
        links,
        resource,
        scope,
    }
}
