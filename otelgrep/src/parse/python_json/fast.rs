//! The fast readers of the Python console records: the same [`PySpan`], [`PyLog`] and
//! [`PyMetrics`] the serde_json derive builds, read with the [`Skim`] reader (see
//! [`super::super::skim`]). [`Bad`] on anything unusual sends the record to serde_json, so these
//! only have to be right for what they accept; the parent's tests hold them to serde_json.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::super::Resources;
use super::super::skim::{Bad, Skim, Skimmed, once};
use super::{
    PyBuckets, PyContext, PyData, PyLog, PyMetric, PyMetrics, PyNumber, PyPoint, PyResource, PyResourceMetrics,
    PyScope, PyScopeMetrics, PySpan, PyStatus, Raw, value,
};
use crate::model::{Attributes, Value};
use crate::parse::Needs;

/// The fast reading of a span: [`Bad`] sends it to serde_json.
pub(super) fn skim_span<'a>(text: &'a str, needs: &Needs, resources: &Resources) -> Skimmed<PySpan<'a>> {
    let mut s = Skim::new(text);
    let mut read_attributes = None;
    let (mut name, mut context, mut kind, mut parent_id, mut start_time, mut end_time) =
        (None, None, None, None, None, None);
    let (mut status, mut attributes, mut events, mut links, mut resource) = (None, None, None, None, None);
    let span_needs = |kind: Option<&str>| kind.and_then(super::span_kind).map_or(needs, |k| needs.for_span(k));
    s.object(|s, key| match key {
        "name" => once(&mut name, s.str()?),
        "context" => once(&mut context, skim_context(s)?),
        "kind" => once(&mut kind, s.plain_str()?),
        "parent_id" => once(&mut parent_id, if s.null()? { None } else { Some(s.plain_str()?) }),
        "start_time" => once(&mut start_time, s.plain_str()?),
        "end_time" => once(&mut end_time, s.plain_str()?),
        "status" => {
            let (mut code, mut description) = (None, None);
            s.object(|s, key| match key {
                "status_code" => once(&mut code, s.str()?),
                "description" => once(&mut description, optional(s, Skim::str)?),
                _ => s.skip(),
            })?;
            once(&mut status, PyStatus { status_code: code.ok_or(Bad)?, description: description.flatten() })
        }
        // Read here, in the one pass, when the command reads them (of this span's kind, printed
        // before them); kept raw otherwise, or when they hold what only serde_json reads (an
        // array value, say).
        "attributes" if span_needs(kind).attributes && attributes.is_none() => {
            let needs = span_needs(kind);
            let at = s.position();
            match s.raw_with(|s| attributes_here(s, needs)) {
                Ok((text, kept)) => {
                    read_attributes = Some(kept);
                    once(&mut attributes, (text != "null").then_some(Raw(text)))
                }
                Err(Bad) => {
                    s.rewind(at);
                    once(&mut attributes, optional(s, raw)?)
                }
            }
        }
        "attributes" => once(&mut attributes, optional(s, raw)?),
        "events" => once(&mut events, optional(s, raw)?),
        "links" => once(&mut links, optional(s, raw)?),
        "resource" => once(&mut resource, optional(s, |s| resource_raw(s, resources))?),
        _ => s.skip(),
    })?;
    s.end()?;
    Ok(PySpan {
        name: name.ok_or(Bad)?,
        context: context.ok_or(Bad)?,
        kind: kind.ok_or(Bad)?,
        parent_id: parent_id.flatten(),
        start_time: Some(start_time.ok_or(Bad)?),
        end_time: Some(end_time.ok_or(Bad)?),
        status: status.ok_or(Bad)?,
        attributes: attributes.flatten(),
        events: events.flatten(),
        links: links.flatten(),
        resource: resource.flatten(),
        read_attributes,
    })
}

fn skim_context<'a>(s: &mut Skim<'a>) -> Skimmed<PyContext<'a>> {
    let (mut trace_id, mut span_id, mut trace_state) = (None, None, None);
    s.object(|s, key| match key {
        "trace_id" => once(&mut trace_id, s.str()?),
        "span_id" => once(&mut span_id, s.str()?),
        "trace_state" => once(&mut trace_state, optional(s, |s| s.str())?),
        _ => s.skip(),
    })?;
    Ok(PyContext { trace_id: trace_id.ok_or(Bad)?, span_id: span_id.ok_or(Bad)?, trace_state: trace_state.flatten() })
}

/// The fast reading of a log record (see [`skim_span`]).
pub(super) fn skim_log<'a>(text: &'a str, resources: &Resources) -> Skimmed<PyLog<'a>> {
    let mut s = Skim::new(text);
    let (mut body, mut severity_number, mut severity_text, mut attributes, mut timestamp) =
        (None, None, None, None, None);
    let (mut observed_timestamp, mut trace_id, mut span_id, mut resource) = (None, None, None, None);
    s.object(|s, key| match key {
        "body" => once(&mut body, raw(s)?),
        // Any JSON value: read by serde_json, as the slow path would (it is a few bytes).
        "severity_number" => {
            once(&mut severity_number, optional(s, |s| serde_json::from_str::<Json>(s.raw()?).map_err(|_| Bad))?)
        }
        "severity_text" => once(&mut severity_text, optional(s, Skim::str)?),
        "attributes" => once(&mut attributes, optional(s, raw)?),
        "timestamp" => once(&mut timestamp, optional(s, Skim::str)?),
        "observed_timestamp" => once(&mut observed_timestamp, optional(s, Skim::str)?),
        "trace_id" => once(&mut trace_id, optional(s, Skim::str)?),
        "span_id" => once(&mut span_id, optional(s, Skim::str)?),
        "resource" => once(&mut resource, optional(s, |s| resource_raw(s, resources))?),
        _ => s.skip(),
    })?;
    s.end()?;
    Ok(PyLog {
        body: body.ok_or(Bad)?,
        severity_number: severity_number.flatten(),
        severity_text: severity_text.flatten(),
        attributes: attributes.flatten(),
        timestamp: timestamp.flatten(),
        observed_timestamp: observed_timestamp.flatten(),
        trace_id: trace_id.flatten(),
        span_id: span_id.flatten(),
        resource: resource.flatten(),
    })
}

/// The fast reading of a metrics export (see [`skim_span`]). `counting`: the command does not
/// read points' values ([`Needs::metrics`]): buckets and bounds are checked, not built (a
/// conversion through serde_json for each bound).
pub(super) fn skim_metrics(text: &str, counting: bool) -> Skimmed<PyMetrics<'_>> {
    let mut s = Skim::new(text);
    let mut resource_metrics = None;
    s.object(|s, key| match key {
        "resource_metrics" => once(&mut resource_metrics, list(s, |s| skim_resource_metrics(s, counting))?),
        _ => s.skip(),
    })?;
    s.end()?;
    Ok(PyMetrics { resource_metrics: resource_metrics.ok_or(Bad)? })
}

fn skim_resource_metrics<'a>(s: &mut Skim<'a>, counting: bool) -> Skimmed<PyResourceMetrics<'a>> {
    let (mut resource, mut scope_metrics) = (None, None);
    s.object(|s, key| match key {
        // One per export, and of two shapes: serde_json reads it.
        "resource" => once(&mut resource, serde_json::from_str::<Option<PyResource>>(s.raw()?).map_err(|_| Bad)?),
        "scope_metrics" => once(&mut scope_metrics, list(s, |s| skim_scope_metrics(s, counting))?),
        _ => s.skip(),
    })?;
    Ok(PyResourceMetrics { resource: resource.flatten(), scope_metrics: scope_metrics.ok_or(Bad)? })
}

fn skim_scope_metrics<'a>(s: &mut Skim<'a>, counting: bool) -> Skimmed<PyScopeMetrics<'a>> {
    let (mut scope, mut metrics) = (None, None);
    s.object(|s, key| match key {
        "scope" => once(
            &mut scope,
            optional(s, |s| {
                let (mut name, mut version) = (None, None);
                s.object(|s, key| match key {
                    "name" => once(&mut name, optional(s, owned_str)?),
                    "version" => once(&mut version, optional(s, owned_str)?),
                    _ => s.skip(),
                })?;
                Ok(PyScope { name: name.flatten(), version: version.flatten() })
            })?,
        ),
        "metrics" => once(&mut metrics, list(s, |s| skim_metric(s, counting))?),
        _ => s.skip(),
    })?;
    Ok(PyScopeMetrics { scope: scope.flatten(), metrics: metrics.ok_or(Bad)? })
}

fn skim_metric<'a>(s: &mut Skim<'a>, counting: bool) -> Skimmed<PyMetric<'a>> {
    let (mut name, mut description, mut unit, mut data) = (None, None, None, None);
    s.object(|s, key| match key {
        "name" => once(&mut name, owned_str(s)?),
        "description" => once(&mut description, optional(s, owned_str)?),
        "unit" => once(&mut unit, optional(s, owned_str)?),
        "data" => {
            let (mut points, mut temporality, mut monotonic) = (None, None, None);
            s.object(|s, key| match key {
                "data_points" => once(&mut points, list(s, |s| skim_point(s, counting))?),
                "aggregation_temporality" => once(&mut temporality, optional(s, Skim::int::<i64>)?),
                "is_monotonic" => once(&mut monotonic, optional(s, Skim::bool)?),
                _ => s.skip(),
            })?;
            let d = PyData {
                data_points: points.ok_or(Bad)?,
                aggregation_temporality: temporality.flatten(),
                is_monotonic: monotonic.flatten(),
            };
            once(&mut data, d)
        }
        _ => s.skip(),
    })?;
    Ok(PyMetric {
        name: name.ok_or(Bad)?,
        description: description.flatten(),
        unit: unit.flatten(),
        data: data.ok_or(Bad)?,
    })
}

fn skim_point<'a>(s: &mut Skim<'a>, counting: bool) -> Skimmed<PyPoint<'a>> {
    let mut p = PyPoint::default();
    let mut seen = [false; 16];
    s.object(|s, key| {
        let field = match key {
            "attributes" => 0,
            "start_time_unix_nano" => 1,
            "time_unix_nano" => 2,
            "value" => 3,
            "count" => 4,
            "sum" => 5,
            "min" => 6,
            "max" => 7,
            "bucket_counts" => 8,
            "explicit_bounds" => 9,
            "scale" => 10,
            "zero_count" => 11,
            "positive" => 12,
            "negative" => 13,
            "exemplars" => 14,
            _ => return s.skip(),
        };
        if std::mem::replace(&mut seen[field], true) {
            return Err(Bad);
        }
        match field {
            0 => p.attributes = optional(s, raw)?,
            1 => p.start_time_unix_nano = optional(s, Skim::int)?,
            2 => p.time_unix_nano = s.int()?,
            3 => p.value = optional(s, |s| s.number()?.parse().map(PyNumber::Number).map_err(|_| Bad))?,
            4 => p.count = optional(s, Skim::int)?,
            // Checked as serde reads them, not converted, when no value is read (see `point`).
            5..=7 if counting => {
                optional(s, Skim::finite)?;
            }
            5 => p.sum = optional(s, Skim::float)?,
            6 => p.min = optional(s, Skim::float)?,
            7 => p.max = optional(s, Skim::float)?,
            // Counted, their presence says the point is a histogram; checked as serde reads them
            // (counts that fit a u64, bounds an f64 holds), not built.
            8 if counting => {
                p.bucket_counts = optional(s, |s| s.array(|s| s.int::<u64>().map(drop)).map(|()| Vec::new()))?
            }
            9 if counting => p.explicit_bounds = optional(s, |s| s.array(Skim::finite).map(|()| Vec::new()))?,
            8 => p.bucket_counts = optional(s, |s| list(s, Skim::int))?,
            9 => p.explicit_bounds = optional(s, |s| list(s, Skim::float))?,
            10 => p.scale = optional(s, Skim::int)?,
            11 => p.zero_count = optional(s, Skim::int)?,
            12 => p.positive = optional(s, skim_buckets)?,
            13 => p.negative = optional(s, skim_buckets)?,
            _ => s.skip()?,
        }
        Ok(())
    })?;
    // serde's derive wants the one required field.
    if !seen[2] {
        return Err(Bad);
    }
    Ok(p)
}

fn skim_buckets(s: &mut Skim<'_>) -> Skimmed<PyBuckets> {
    let (mut offset, mut counts) = (None, None);
    s.object(|s, key| match key {
        "offset" => once(&mut offset, s.int()?),
        "bucket_counts" => once(&mut counts, list(s, Skim::int)?),
        _ => s.skip(),
    })?;
    Ok(PyBuckets { offset: offset.ok_or(Bad)?, bucket_counts: counts.ok_or(Bad)? })
}

/// An array, each element read by `item`.
fn list<'a, T>(s: &mut Skim<'a>, mut item: impl FnMut(&mut Skim<'a>) -> Skimmed<T>) -> Skimmed<Vec<T>> {
    let mut out = Vec::new();
    s.array(|s| item(s).map(|v| out.push(v)))?;
    Ok(out)
}

fn owned_str(s: &mut Skim<'_>) -> Skimmed<String> {
    s.str().map(Cow::into_owned)
}

/// `null` as `None` (what serde does for an `Option` field), else the value read by `read`.
fn optional<'a, T>(s: &mut Skim<'a>, read: impl FnOnce(&mut Skim<'a>) -> Skimmed<T>) -> Skimmed<Option<T>> {
    if s.null()? { Ok(None) } else { read(s).map(Some) }
}

/// A record's resource: most records repeat one already read, byte for byte, and then need no
/// second check (see [`Skim::known`]).
fn resource_raw<'a>(s: &mut Skim<'a>, resources: &Resources) -> Skimmed<Raw<'a>> {
    match s.known(resources.texts()) {
        Some(text) => Ok(Raw(text)),
        None => raw(s),
    }
}

fn raw<'a>(s: &mut Skim<'a>) -> Skimmed<Raw<'a>> {
    s.raw().map(Raw)
}

/// [`super::raw_attrs`] the fast way: the keys the command does not read are skipped by the skimmer;
/// the values of those it reads are strings, numbers and literals (OpenTelemetry's attribute
/// values), built as the serde_json reader builds them. [`Bad`] (an escaped key, an array) sends
/// the object to that reader.
pub(super) fn skim_attrs(raw: &str, needs: &Needs) -> Skimmed<Attributes> {
    let mut s = Skim::new(raw);
    let out = attributes_here(&mut s, needs)?;
    s.end()?;
    Ok(out)
}

/// [`skim_attrs`] at the reader's place in a record.
fn attributes_here(s: &mut Skim<'_>, needs: &Needs) -> Skimmed<Attributes> {
    let mut out = Vec::new();
    if !s.null()? {
        s.object(|s, key| {
            if !needs.attribute(key) {
                return s.skip();
            }
            let v = match s.peek_value() {
                b'"' => value(Json::String(s.str()?.into_owned())),
                b't' | b'f' => Value::Bool(s.bool()?),
                b'n' => s.null().and_then(|null| if null { Ok(Value::Empty) } else { Err(Bad) })?,
                _ => {
                    // What [`value`] makes of a number, without building one: integers that
                    // fit as they are, bigger ones as their text.
                    let n = s.number()?;
                    if n.contains(['.', 'e', 'E']) {
                        value(Json::Number(n.parse().map_err(|_| Bad)?))
                    } else {
                        n.parse().map_or_else(|_| Value::BigInt(n.to_string()), Value::Int)
                    }
                }
            };
            out.push((key.to_string(), v));
            Ok(())
        })?;
    }
    Ok(out)
}
