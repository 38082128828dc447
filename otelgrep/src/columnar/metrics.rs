//! The `metrics` table: one table for every kind of point, with the columns of the ClickHouse
//! exporter's five `otel_metrics_*` tables (its gauge and sum `Value`, its histogram `Count`,
//! `Sum`, `BucketCounts`, `ExplicitBounds`, `Min`, `Max`, its exponential histogram `Scale`,
//! `ZeroCount` and bucket columns), NULL or empty where a kind has none; then otelgrep's own:
//! `MetricType` (which of the five), `ValueInt` (an integer point exactly, which `Value`'s double
//! cannot hold past 2^53), and the attribute types that text loses.

use crate::columnar::read::Row;
use crate::columnar::rows::Rows;
use crate::columnar::table::{Column, Leaf, Shape, col};
use crate::columnar::values::{self, Resources};
use crate::model::{MetricKind, MetricPoint, PointValue, Temporality};

use Leaf::{Bool, F64, I32, I64, Str, Time, U64};
use Shape::{List, Map, Optional, Required};

pub const COLUMNS: &[Column] = &[
    col("ResourceAttributes", Map),
    col("ResourceSchemaUrl", Required(Str)),
    col("ScopeName", Required(Str)),
    col("ScopeVersion", Required(Str)),
    col("ScopeAttributes", Map),
    col("ScopeSchemaUrl", Required(Str)),
    col("ServiceName", Required(Str)),
    col("MetricName", Required(Str)),
    col("MetricDescription", Required(Str)),
    col("MetricUnit", Required(Str)),
    col("Attributes", Map),
    col("StartTimeUnix", Optional(Time)),
    col("TimeUnix", Required(Time)),
    col("Value", Optional(F64)),
    col("Count", Optional(U64)),
    col("Sum", Optional(F64)),
    col("BucketCounts", List(U64)),
    col("ExplicitBounds", List(F64)),
    col("Min", Optional(F64)),
    col("Max", Optional(F64)),
    col("AggregationTemporality", Optional(I32)),
    col("IsMonotonic", Optional(Bool)),
    col("Scale", Optional(I32)),
    col("ZeroCount", Optional(U64)),
    col("PositiveOffset", Optional(I32)),
    col("PositiveBucketCounts", List(U64)),
    col("NegativeOffset", Optional(I32)),
    col("NegativeBucketCounts", List(U64)),
    // otelgrep's own.
    col("MetricType", Required(Str)),
    col("ValueInt", Optional(I64)),
    col("ResourceAttributeTypes", Map),
    col("AttributeTypes", Map),
];

/// All a command that does not look at metric points reads of them: their times (see [`timed`]).
pub const TIMES: &[&str] = &["TimeUnix"];

/// Read for every point (counting commands); the rest when the command reads metric points.
pub const ALWAYS: &[&str] = &[
    "ResourceAttributes",
    "ResourceAttributeTypes",
    "ServiceName",
    "MetricName",
    "StartTimeUnix",
    "TimeUnix",
    "MetricType",
    "IsMonotonic",
    "Value",
    "ValueInt",
];
pub const FULL: &[&str] = &[
    "ScopeName",
    "ScopeVersion",
    "MetricDescription",
    "MetricUnit",
    "Attributes",
    "AttributeTypes",
    "Count",
    "Sum",
    "BucketCounts",
    "ExplicitBounds",
    "Min",
    "Max",
    "AggregationTemporality",
    "Scale",
    "ZeroCount",
    "PositiveOffset",
    "PositiveBucketCounts",
    "NegativeOffset",
    "NegativeBucketCounts",
];

fn type_text(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::Gauge => "Gauge",
        MetricKind::Counter | MetricKind::UpDownCounter => "Sum",
        MetricKind::Histogram => "Histogram",
        MetricKind::ExponentialHistogram => "ExponentialHistogram",
        MetricKind::Summary => "Summary",
    }
}

/// OTLP's numbering: 1 delta, 2 cumulative.
fn temporality(t: Option<Temporality>) -> Option<i32> {
    t.map(|t| match t {
        Temporality::Delta => 1,
        Temporality::Cumulative => 2,
    })
}

/// A count kept in INT64's bits (the column says unsigned).
fn bits(n: u64) -> i64 {
    n as i64
}

pub fn write(rows: &mut Rows, p: &MetricPoint) {
    let resource = &p.resource.attributes;
    rows.map(|m| values::texts(m, resource))
        .str("")
        .str(p.scope.as_ref().map_or("", |s| &s.name))
        .str(p.scope.as_ref().map_or("", |s| &s.version))
        .map(|_| {})
        .str("")
        .str(p.resource.service_name().unwrap_or(""))
        .str(&p.name)
        .str(&p.description)
        .str(&p.unit);
    rows.map(|m| values::texts(m, &p.attributes)).opt_i64(p.start_ns).i64(p.time_ns);
    let none: (Option<u64>, Option<f64>, Option<f64>, Option<f64>) = (None, None, None, None);
    let (value, int) = match &p.value {
        PointValue::Int(i) => (Some(*i as f64), Some(*i)),
        PointValue::Double(d) => (Some(*d), None),
        _ => (None, None),
    };
    rows.opt_f64(value);
    let (count, sum, min, max) = match &p.value {
        PointValue::Histogram { count, sum, min, max, .. }
        | PointValue::ExponentialHistogram { count, sum, min, max, .. } => (Some(*count), *sum, *min, *max),
        _ => none,
    };
    let (bounds, counts): (&[f64], &[u64]) = match &p.value {
        PointValue::Histogram { bounds, counts, .. } => (bounds, counts),
        _ => (&[], &[]),
    };
    rows.opt_i64(count.map(bits))
        .opt_f64(sum)
        .list_i64(counts.iter().map(|&c| bits(c)))
        .list_f64(bounds.iter().copied())
        .opt_f64(min)
        .opt_f64(max)
        .opt_i32(temporality(p.temporality))
        .opt_bool(match p.kind {
            MetricKind::Counter => Some(true),
            MetricKind::UpDownCounter => Some(false),
            _ => None,
        });
    match &p.value {
        PointValue::ExponentialHistogram {
            scale,
            zero_count,
            positive_offset,
            positive,
            negative_offset,
            negative,
            ..
        } => rows
            .opt_i32(Some(*scale))
            .opt_i64(Some(bits(*zero_count)))
            .opt_i32(Some(*positive_offset))
            .list_i64(positive.iter().map(|&c| bits(c)))
            .opt_i32(Some(*negative_offset))
            .list_i64(negative.iter().map(|&c| bits(c))),
        _ => rows.opt_i32(None).opt_i64(None).opt_i32(None).list_i64([]).opt_i32(None).list_i64([]),
    };
    rows.str(type_text(p.kind))
        .opt_i64(int)
        .map(|m| values::kinds(m, resource))
        .map(|m| values::kinds(m, &p.attributes));
}

/// A point back from its row; `None` when its type is none otelgrep writes.
pub fn read(row: &mut Row, resources: &mut Resources) -> Option<MetricPoint> {
    let resource = row.resource(resources);
    let scope = resources.scope(row.str("ScopeName"), row.str("ScopeVersion"));
    let name = row.str("MetricName").to_string();
    let description = row.str("MetricDescription").to_string();
    let unit = row.str("MetricUnit").to_string();
    let attributes = row.attributes("Attributes", "AttributeTypes");
    let start_ns = row.opt_i64("StartTimeUnix");
    let time_ns = row.i64("TimeUnix");
    let value = row.opt_f64("Value");
    let count = row.opt_i64("Count").map(|c| c as u64);
    let sum = row.opt_f64("Sum");
    let counts: Vec<u64> = row.list_i64("BucketCounts").into_iter().map(|c| c as u64).collect();
    let bounds = row.list_f64("ExplicitBounds");
    let (min, max) = (row.opt_f64("Min"), row.opt_f64("Max"));
    let temporality = match row.opt_i32("AggregationTemporality") {
        Some(1) => Some(Temporality::Delta),
        Some(2) => Some(Temporality::Cumulative),
        _ => None,
    };
    let monotonic = row.opt_bool("IsMonotonic");
    let scale = row.opt_i32("Scale");
    let zero_count = row.opt_i64("ZeroCount").map(|c| c as u64);
    let positive_offset = row.opt_i32("PositiveOffset");
    let positive: Vec<u64> = row.list_i64("PositiveBucketCounts").into_iter().map(|c| c as u64).collect();
    let negative_offset = row.opt_i32("NegativeOffset");
    let negative: Vec<u64> = row.list_i64("NegativeBucketCounts").into_iter().map(|c| c as u64).collect();
    let kind = match (row.str("MetricType"), monotonic) {
        ("Gauge", _) => MetricKind::Gauge,
        ("Sum", Some(false)) => MetricKind::UpDownCounter,
        ("Sum", _) => MetricKind::Counter,
        ("Histogram", _) => MetricKind::Histogram,
        ("ExponentialHistogram", _) => MetricKind::ExponentialHistogram,
        ("Summary", _) => MetricKind::Summary,
        _ => return None,
    };
    let int = row.opt_i64("ValueInt");
    let value = match kind {
        MetricKind::Histogram => PointValue::Histogram { count: count.unwrap_or(0), sum, min, max, bounds, counts },
        MetricKind::ExponentialHistogram => PointValue::ExponentialHistogram {
            count: count.unwrap_or(0),
            sum,
            min,
            max,
            scale: scale.unwrap_or(0),
            zero_count: zero_count.unwrap_or(0),
            positive_offset: positive_offset.unwrap_or(0),
            positive,
            negative_offset: negative_offset.unwrap_or(0),
            negative,
        },
        _ => match int {
            Some(i) => PointValue::Int(i),
            None => PointValue::Double(value.unwrap_or(f64::NAN)),
        },
    };
    Some(MetricPoint {
        name,
        unit,
        description,
        kind,
        temporality,
        start_ns,
        time_ns,
        attributes,
        value,
        resource,
        scope,
    })
}

/// A metric point with its time alone, for a command that does not look at metric points: they
/// are still counted and give the input's time range.
pub fn timed(row: &mut Row, resources: &mut Resources) -> MetricPoint {
    MetricPoint {
        name: String::new(),
        unit: String::new(),
        description: String::new(),
        kind: MetricKind::Gauge,
        temporality: None,
        start_ns: None,
        time_ns: row.i64("TimeUnix"),
        attributes: Vec::new(),
        value: PointValue::Double(f64::NAN),
        resource: resources.resource(&[], &[]),
        scope: None,
    }
}
