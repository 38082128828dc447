//! A metric's series and steps: which points are one series and how people read its label, each
//! export's delta, rate or per-interval histogram since the one before (resets, runs), and the
//! steps regrouped into time buckets; what `metrics NAME` prints and `report` draws.

use std::collections::{BTreeMap, BTreeSet};

use crate::histogram::Hist;
use crate::model::{MetricKind, MetricPoint, PointValue, Temporality, Value, attr};
use crate::render::Cell;

/// A series as people read it: the service and the point's attributes, keys sorted. The resource
/// attributes that tell series of one service apart get columns of their own ([`distinguishing`]).
pub fn series_label(p: &MetricPoint) -> String {
    let mut kv: Vec<String> = p.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    kv.sort();
    let mut key = kv.join(", ");
    if let Some(s) = p.resource.service_name() {
        // A point may name a service of its own (the Collector's span metrics do): the resource's
        // is then marked as such, or left out when it says the same.
        let service = match attr(&p.attributes, "service.name") {
            None => format!("service.name={s}"),
            Some(Value::Str(own)) if own == s => String::new(),
            Some(_) => format!("resource.service.name={s}"),
        };
        key = match (service.is_empty(), key.is_empty()) {
            (true, _) => key,
            (false, true) => service,
            (false, false) => format!("{service}, {key}"),
        };
    }
    key
}

/// A series' identity: every resource attribute, the scope and the point's attributes (the metric
/// name is the caller's), as one text that compares equal exactly when the series are one.
pub fn series_id(p: &MetricPoint) -> String {
    let sorted = |attrs: &crate::model::Attributes| {
        let mut kv: Vec<String> = attrs.iter().map(|(k, v)| format!("{k:?}={v:?}")).collect();
        kv.sort();
        kv.join(",")
    };
    format!("{}|{:?}|{}", sorted(&p.resource.attributes), p.scope, sorted(&p.attributes))
}

/// The resource attributes whose values differ between the points' resources (`service.name`
/// aside, which the label carries): what tells the series of several processes apart.
fn distinguishing(points: &[MetricPoint]) -> Vec<String> {
    let mut resources: Vec<&crate::model::Resource> = Vec::new();
    for p in points {
        if !resources.iter().any(|r| **r == *p.resource) {
            resources.push(&p.resource);
        }
    }
    let keys: BTreeSet<&str> = resources.iter().flat_map(|r| r.attributes.iter().map(|(k, _)| k.as_str())).collect();
    keys.into_iter()
        .filter(|k| *k != "service.name")
        .filter(|k| {
            let first = attr(&resources[0].attributes, k);
            resources.iter().any(|r| attr(&r.attributes, k) != first)
        })
        .map(String::from)
        .collect()
}

/// Series that would read the same (one label, one resource) but are not one: the scope that
/// reported each is added to its label where scopes tell them apart (two libraries of one
/// service counting the same name with the same attributes were two rows of one label).
fn with_scopes<R: Ord + Clone>(
    by_series: BTreeMap<(String, R, String), Vec<&MetricPoint>>,
) -> BTreeMap<(String, R, String), Vec<&MetricPoint>> {
    let mut scopes: BTreeMap<(&str, &R), BTreeSet<String>> = BTreeMap::new();
    for ((label, resource, _), ps) in &by_series {
        scopes.entry((label, resource)).or_default().insert(scope_text(ps[0]));
    }
    let plain: BTreeSet<(String, R)> = scopes
        .into_iter()
        .filter(|(_, s)| s.len() < 2)
        .map(|((label, resource), _)| (label.to_string(), resource.clone()))
        .collect();
    by_series
        .into_iter()
        .map(|((label, resource, id), ps)| {
            let label = if plain.contains(&(label.clone(), resource.clone())) {
                label
            } else {
                let scope = scope_text(ps[0]);
                if label.is_empty() { scope } else { format!("{label}, {scope}") }
            };
            ((label, resource, id), ps)
        })
        .collect()
}

/// `scope=NAME` (`scope=NAME@VERSION`), or `scope=` for none.
fn scope_text(p: &MetricPoint) -> String {
    match p.scope.as_deref() {
        Some(s) if s.version.is_empty() => format!("scope={}", s.name),
        Some(s) => format!("scope={}@{}", s.name, s.version),
        None => "scope=".to_string(),
    }
}

/// A counter's or gauge's number: exact for integer points, whose deltas and totals may pass
/// i64 and would lose digits as doubles past 2^53 (a counter at 2^53 + 1 showed 2^53); a double
/// otherwise, and once a double is in a sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    pub(super) fn f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    pub(super) fn plus(self, other: Num) -> Num {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.checked_add(b).map_or(Num::Float(a as f64 + b as f64), Num::Int),
            (a, b) => Num::Float(a.f64() + b.f64()),
        }
    }

    pub(super) fn minus(self, other: Num) -> Num {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.checked_sub(b).map_or(Num::Float(a as f64 - b as f64), Num::Int),
            (a, b) => Num::Float(a.f64() - b.f64()),
        }
    }

    pub(super) fn below(self, other: Num) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a < b,
            (a, b) => a.f64() < b.f64(),
        }
    }

    /// A table cell: an integer as one (any that fits 64 bits), a double with `decimals`.
    pub(super) fn cell(self, decimals: usize) -> Cell {
        match self {
            Num::Int(i) => i64::try_from(i)
                .map(Cell::Int)
                .or_else(|_| u64::try_from(i).map(Cell::Count))
                .unwrap_or(Cell::Float(i as f64, decimals)),
            // + 0.0: -0.0 (an empty sum) prints as "-0".
            Num::Float(f) => Cell::Float(f + 0.0, decimals),
        }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(v) => write!(f, "{}", v + 0.0),
        }
    }
}

/// A point's number, for counters and gauges.
pub(super) fn number(v: &PointValue) -> Option<Num> {
    match v {
        PointValue::Int(i) => Some(Num::Int(i128::from(*i))),
        PointValue::Double(d) => Some(Num::Float(*d)),
        _ => None,
    }
}

/// One export of one series, with what happened since the export before.
#[derive(Debug, Clone)]
pub(super) struct Step {
    /// The series' index in the table's order.
    pub(super) series: usize,
    pub(super) time_ns: i64,
    /// Seconds since the export before (or since the series' start).
    pub(super) interval_s: Option<f64>,
    pub(super) value: Option<Num>,
    pub(super) delta: Option<Num>,
    pub(super) hist: Option<Hist>,
}

/// A series of the table: its label and the values of the distinguishing resource attributes.
#[derive(Debug, Clone)]
pub(super) struct Series {
    pub(super) label: String,
    pub(super) resource: Vec<Option<String>>,
    /// What `--compare-spans` groups it under.
    pub(super) group: String,
}

/// The series of `points` (in label order) and, per series, in time order: deltas for sums,
/// per-interval histograms for histograms; and how many points were left out as repeats (the same
/// export read twice, from two files of one run or a capture holding it twice, is one export),
/// which the caller says.
pub(super) fn steps(
    points: &[MetricPoint],
    group: impl Fn(&MetricPoint) -> String,
) -> (Vec<String>, Vec<Series>, Vec<Step>, usize) {
    let columns = distinguishing(points);
    // (label, distinguishing resource values, identity): the table's order, then the identity.
    type SeriesKey = (String, Vec<Option<String>>, String);
    let mut by_series: BTreeMap<SeriesKey, Vec<&MetricPoint>> = BTreeMap::new();
    for p in points {
        let resource = columns.iter().map(|k| crate::keys::attribute_text(&p.resource.attributes, k)).collect();
        by_series.entry((series_label(p), resource, series_id(p))).or_default().push(p);
    }
    let by_series = with_scopes(by_series);
    let mut repeated = 0;
    let mut series = Vec::new();
    let mut out = Vec::new();
    for (index, ((label, resource, _), mut ps)) in by_series.into_iter().enumerate() {
        series.push(Series { label, resource, group: group(ps[0]) });
        ps.sort_by_key(|p| (p.time_ns, p.start_ns));
        let before = ps.len();
        ps.dedup_by(|a, b| a.time_ns == b.time_ns && a.start_ns == b.start_ns && a.value == b.value);
        repeated += before - ps.len();
        let mut prev: Option<&MetricPoint> = None;
        for p in ps {
            let cumulative = p.temporality == Some(Temporality::Cumulative);
            // The export before, when it is of the same run (same start time).
            let same_run = prev.filter(|q| cumulative && (q.start_ns == p.start_ns || p.start_ns.is_none()));
            let since = match (same_run, p.start_ns) {
                (Some(q), _) => Some(q.time_ns),
                (None, Some(s)) => Some(s),
                (None, None) => prev.map(|q| q.time_ns),
            };
            let interval_s = since.map(|s| (p.time_ns - s) as f64 / 1e9).filter(|s| *s > 0.0);
            let value = number(&p.value);
            let (delta, hist) = match p.kind {
                MetricKind::Counter | MetricKind::UpDownCounter => {
                    let delta = match (cumulative, same_run.and_then(|q| number(&q.value)), value) {
                        (false, _, v) => v,
                        // A counter that went down restarted: everything since the restart is new.
                        (true, Some(before), Some(v)) if p.kind == MetricKind::Counter && v.below(before) => Some(v),
                        (true, Some(before), Some(v)) => Some(v.minus(before)),
                        (true, None, v) => v,
                        (true, Some(_), None) => None,
                    };
                    (delta, None)
                }
                MetricKind::Histogram | MetricKind::ExponentialHistogram => {
                    let h = Hist::from(&p.value);
                    let before = same_run.and_then(|q| Hist::from(&q.value));
                    let interval = match (cumulative, h, before) {
                        (true, Some(h), Some(b)) => Some(h.minus(&b).unwrap_or(h)),
                        (_, h, _) => h,
                    };
                    (None, interval)
                }
                _ => (None, None),
            };
            out.push(Step { series: index, time_ns: p.time_ns, interval_s, value, delta, hist });
            prev = Some(p);
        }
    }
    (columns, series, out, repeated)
}

/// Regroups steps into `every`-wide buckets per series: deltas and histograms add up, gauges keep
/// the last value, and a bucket's interval is the time its exports' deltas cover (a rate is the
/// deltas over that time: a bucket narrower than the export interval does not inflate it).
pub(super) fn regroup(steps: Vec<Step>, every: i64) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for s in steps {
        let bucket = s.time_ns.div_euclid(every) * every;
        match out.last_mut() {
            Some(last) if last.series == s.series && last.time_ns == bucket => {
                last.interval_s = match (last.interval_s, s.interval_s) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
                last.delta = match (last.delta, s.delta) {
                    (Some(a), Some(b)) => Some(a.plus(b)),
                    (a, b) => a.or(b),
                };
                last.value = s.value.or(last.value);
                if let (Some(h), Some(add)) = (last.hist.as_mut(), s.hist.as_ref()) {
                    if !h.add(add) {
                        last.hist = None;
                    }
                }
            }
            _ => out.push(Step { time_ns: bucket, ..s }),
        }
    }
    out
}

/// A series drawn over time: its label, and (bucket start, value) in time order.
pub type SeriesLine = (String, Vec<(i64, f64)>);

/// A metric over time, as `report` draws it and `metrics NAME --every` computes it: per series
/// (label, then (bucket start, value)), counters as a rate per second over the time their exports
/// cover, up-down counters and gauges as their last value, histograms as the median estimated
/// from the bucket counts; and what the value is, with its unit.
pub fn over_time(points: &[MetricPoint], every: i64) -> (String, Vec<SeriesLine>) {
    let kind = points.first().map(|p| p.kind);
    let unit = points.first().map(|p| p.unit.clone()).unwrap_or_default();
    let (_, series, steps, _) = steps(points, |_| String::new());
    let mut out: Vec<SeriesLine> = series
        .iter()
        .map(|s| {
            let resource: Vec<&str> = s.resource.iter().flatten().map(String::as_str).collect();
            let label =
                if resource.is_empty() { s.label.clone() } else { format!("{} {}", resource.join(" "), s.label) };
            (label, Vec::new())
        })
        .collect();
    for s in regroup(steps, every) {
        let value = match kind {
            Some(MetricKind::Counter) => s.delta.zip(s.interval_s).map(|(d, i)| d.f64() / i),
            Some(MetricKind::Histogram | MetricKind::ExponentialHistogram) => {
                s.hist.as_ref().and_then(|h| h.estimate(0.5))
            }
            _ => s.value.map(Num::f64),
        };
        if let Some(v) = value.filter(|v| v.is_finite()) {
            out[s.series].1.push((s.time_ns, v));
        }
    }
    let what = match kind {
        Some(MetricKind::Counter) if unit.is_empty() => "rate per second".to_string(),
        Some(MetricKind::Counter) => format!("rate ({unit} per second)"),
        Some(MetricKind::Histogram | MetricKind::ExponentialHistogram) if unit.is_empty() => {
            "median (estimated from buckets)".to_string()
        }
        Some(MetricKind::Histogram | MetricKind::ExponentialHistogram) => {
            format!("median, {unit} (estimated from buckets)")
        }
        _ if unit.is_empty() => "value".to_string(),
        _ => format!("value ({unit})"),
    };
    (what, out)
}
