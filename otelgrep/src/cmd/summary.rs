//! `otelgrep summary`: what each capture holds, and what could not be read.
//!
//! Counts while parsing ([`Tally`] is the sink), so memory does not grow with the input. Several
//! processes in one capture are said: each service instance (a resource's `service.name` with the
//! attributes that tell instances apart: `service.instance.id`, `host.name`, `process.pid`) is
//! listed with its record counts.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use serde::Serialize;

use crate::cli::{SummaryArgs, SummaryFormat};
use crate::keys::attribute_text;
use crate::model::{LogRecord, MetricPoint, Resource, Span, SpanKind, StatusCode};
use crate::parse::time::format_rfc3339;
use crate::parse::{Needs, Report, Sink};
use crate::render;

/// Reasons listed per file.
const REASONS_SHOWN: usize = 5;

/// What the records of one input add up to.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    spans_by_kind: BTreeMap<&'static str, usize>,
    error_spans: usize,
    logs_by_severity: BTreeMap<String, usize>,
    points_by_name: BTreeMap<String, usize>,
    /// Records per resource (spans, log records, metric points), and where each shared resource
    /// (by address) sits in that list: a capture may hold hundreds of resources, interleaved.
    resources: Vec<(Arc<Resource>, [usize; 3])>,
    at: std::collections::HashMap<usize, usize>,
    /// The last resource counted: most records share the one before.
    last: Option<(usize, usize)>,
    /// Records per instance, of the parts merged in (workers' resources are their own copies,
    /// so merging goes by what tells instances apart, not by address).
    merged: BTreeMap<Instance, [usize; 3]>,
    range: Option<(i64, i64)>,
}

/// The resource attributes that tell instances of one service apart, in the order shown.
const INSTANCE_KEYS: [&str; 4] = ["service.instance.id", "host.name", "process.pid", "k8s.pod.name"];

impl Tally {
    fn see(&mut self, t: i64) {
        // 0 is no time (a span or point that was never given one).
        if t == 0 {
            return;
        }
        self.range = Some(match self.range {
            None => (t, t),
            Some((lo, hi)) => (lo.min(t), hi.max(t)),
        });
    }

    /// Counts a record (0 span, 1 log record, 2 metric point) of `r`.
    fn resource(&mut self, r: &Arc<Resource>, signal: usize) {
        let key = Arc::as_ptr(r) as usize;
        let at = match self.last {
            Some((k, i)) if k == key => i,
            _ => {
                let resources = &mut self.resources;
                let i = *self.at.entry(key).or_insert_with(|| {
                    resources.push((r.clone(), [0; 3]));
                    resources.len() - 1
                });
                self.last = Some((key, i));
                i
            }
        };
        self.resources[at].1[signal] += 1;
    }

    /// Service instances and their counts, by what tells them apart.
    fn instances(&self) -> BTreeMap<Instance, [usize; 3]> {
        let mut out = self.merged.clone();
        for (r, counts) in &self.resources {
            add(&mut out, Instance::of(r), counts);
        }
        out
    }
}

fn add(to: &mut BTreeMap<Instance, [usize; 3]>, instance: Instance, counts: &[usize; 3]) {
    let total = to.entry(instance).or_default();
    for (t, c) in total.iter_mut().zip(counts) {
        *t += c;
    }
}

impl Instance {
    fn of(r: &Resource) -> Instance {
        Instance {
            service: r.service_name().map(str::to_string),
            attributes: INSTANCE_KEYS
                .iter()
                .filter_map(|k| attribute_text(&r.attributes, k).map(|v| (k.to_string(), v)))
                .collect(),
        }
    }
}

/// A service instance: its service and the attributes that tell it from the others.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Instance {
    service: Option<String>,
    attributes: Vec<(String, String)>,
}

impl Sink for Tally {
    type Config = ();
    /// Counting needs kinds, statuses, times, severities, names and the resource only.
    const NEEDS: Needs = Needs::BARE;

    fn new(_: &()) -> Self {
        Tally::default()
    }

    fn span(&mut self, s: Span) {
        *self.spans_by_kind.entry(s.kind.as_str()).or_default() += 1;
        self.error_spans += usize::from(s.status == StatusCode::Error);
        self.see(s.start_ns);
        self.see(s.end_ns);
        self.resource(&s.resource, 0);
    }

    fn log(&mut self, l: LogRecord) {
        // Counted without a new key string when the severity was seen before (most are).
        let name = severity(&l);
        match self.logs_by_severity.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                self.logs_by_severity.insert(name.to_string(), 1);
            }
        }
        if let Some(t) = l.time_ns.or(l.observed_time_ns) {
            self.see(t);
        }
        self.resource(&l.resource, 1);
    }

    fn point(&mut self, m: MetricPoint) {
        self.see(m.time_ns);
        self.resource(&m.resource, 2);
        *self.points_by_name.entry(m.name).or_default() += 1;
    }

    fn merge(&mut self, later: Self) {
        for (instance, counts) in later.instances() {
            add(&mut self.merged, instance, &counts);
        }
        for (k, v) in later.spans_by_kind {
            *self.spans_by_kind.entry(k).or_default() += v;
        }
        self.error_spans += later.error_spans;
        for (k, v) in later.logs_by_severity {
            *self.logs_by_severity.entry(k).or_default() += v;
        }
        for (k, v) in later.points_by_name {
            *self.points_by_name.entry(k).or_default() += v;
        }
        if let Some((lo, hi)) = later.range {
            self.see(lo);
            self.see(hi);
        }
    }
}

/// Counts for one file, or for all of them.
#[derive(Debug, Default, Serialize)]
pub struct Counts {
    /// Records read per input format.
    pub formats: BTreeMap<String, usize>,
    /// The encodings inputs were decoded from, when not UTF-8 (`UTF-16LE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encodings: Vec<String>,
    /// Wrappers taken off the lines (`docker compose`, `timestamps`), with how many lines had each.
    pub wrappers: BTreeMap<String, usize>,
    /// The sources the wrappers told apart (services, pods, streams), when there were several.
    pub sources: Vec<String>,
    pub spans: usize,
    pub server_spans: usize,
    pub spans_by_kind: BTreeMap<String, usize>,
    pub error_spans: usize,
    pub log_records: usize,
    pub log_records_by_severity: BTreeMap<String, usize>,
    pub metric_points: usize,
    pub metric_points_by_name: BTreeMap<String, usize>,
    /// Metrics exports (batches) as the exporter wrote them.
    pub metric_exports: usize,
    pub services: Vec<String>,
    /// Each service instance (process) seen, with its record counts.
    pub instances: Vec<InstanceCounts>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub foreign_lines: usize,
    pub skipped_records: usize,
    /// Records whose resource the capture does not say (see `Report::unattributed`).
    pub unattributed_records: usize,
    /// The first few reasons, as `file:line: reason`.
    pub skipped_reasons: Vec<String>,
}

impl Counts {
    fn new(report: &Report, tally: &Tally) -> Counts {
        let mut c = Counts::default();
        for (format, n) in &report.records {
            *c.formats.entry(format.to_string()).or_default() += n;
        }
        c.spans = tally.spans_by_kind.values().sum();
        c.server_spans = tally.spans_by_kind.get(SpanKind::Server.as_str()).copied().unwrap_or(0);
        c.spans_by_kind = tally.spans_by_kind.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        c.error_spans = tally.error_spans;
        c.log_records = tally.logs_by_severity.values().sum();
        c.log_records_by_severity = tally.logs_by_severity.clone();
        c.metric_points = tally.points_by_name.values().sum();
        c.metric_points_by_name = tally.points_by_name.clone();
        c.metric_exports = report.metric_exports;
        c.encodings = report.encoding.iter().map(|e| e.to_string()).collect();
        for (w, n) in &report.wrappers {
            *c.wrappers.entry(w.to_string()).or_default() += n;
        }
        c.sources = report.sources.clone();
        let instances = tally.instances();
        c.services = instances.keys().filter_map(|i| i.service.clone()).collect();
        c.services.dedup();
        c.instances = instances
            .into_iter()
            .map(|(i, [spans, log_records, metric_points])| InstanceCounts {
                service: i.service,
                attributes: i.attributes.into_iter().collect(),
                spans,
                log_records,
                metric_points,
            })
            .collect();
        c.first_time = tally.range.map(|(lo, _)| format_rfc3339(lo));
        c.last_time = tally.range.map(|(_, hi)| format_rfc3339(hi));
        c.foreign_lines = report.foreign_lines;
        c.skipped_records = report.errors.len();
        c.unattributed_records = report.unattributed;
        c.skipped_reasons = report.errors.iter().take(REASONS_SHOWN).map(ToString::to_string).collect();
        c
    }
}

/// One service instance's records.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceCounts {
    pub service: Option<String>,
    /// What tells it from other instances: `service.instance.id`, `host.name`, `process.pid`,
    /// `k8s.pod.name`, those it has.
    pub attributes: BTreeMap<String, String>,
    pub spans: usize,
    pub log_records: usize,
    pub metric_points: usize,
}

impl InstanceCounts {
    /// `todo (service.instance.id=todo-a)`.
    pub fn label(&self) -> String {
        let service = self.service.as_deref().unwrap_or("(no service.name)");
        if self.attributes.is_empty() {
            return service.to_string();
        }
        let attrs: Vec<String> = self.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{service} ({})", attrs.join(", "))
    }

    /// `720 spans, 240 log records, 60 points`.
    pub fn records(&self) -> String {
        format!("{} spans, {} log records, {} points", self.spans, self.log_records, self.metric_points)
    }
}

/// The severity's name: the text as printed, else the name of its number's range.
fn severity(l: &LogRecord) -> &str {
    if let Some(t) = l.severity_text.as_deref().filter(|t| !t.is_empty()) {
        return t;
    }
    match l.severity_number {
        Some(1..=4) => "TRACE",
        Some(5..=8) => "DEBUG",
        Some(9..=12) => "INFO",
        Some(13..=16) => "WARN",
        Some(17..=20) => "ERROR",
        Some(21..=24) => "FATAL",
        _ => "UNSPECIFIED",
    }
}

/// The whole report: totals at the top level, then one entry per file.
#[derive(Debug, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub total: Counts,
    pub files: Vec<FileCounts>,
}

/// One file's counts.
#[derive(Debug, Serialize)]
pub struct FileCounts {
    pub file: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Builds the report from each input's report and tally.
pub fn summarize(inputs: Vec<(String, Report, Tally)>) -> Summary {
    let mut total_report = Report::default();
    let mut total_tally = Tally::default();
    let mut files = Vec::new();
    for (name, report, tally) in inputs {
        files.push(FileCounts { file: name, counts: Counts::new(&report, &tally) });
        total_report.metric_exports += report.metric_exports;
        total_report.foreign_lines += report.foreign_lines;
        total_report.unattributed += report.unattributed;
        total_report.encoding = total_report.encoding.or(report.encoding);
        total_report.wrappers.extend(report.wrappers);
        total_report.sources.extend(report.sources);
        total_report.records.extend(report.records);
        total_report.errors.extend(report.errors);
        total_tally.merge(tally);
    }
    Summary { total: Counts::new(&total_report, &total_tally), files }
}

/// Prints the summary of already-ingested inputs.
pub fn run(args: &SummaryArgs, inputs: Vec<(String, Report, Tally)>, out: &mut dyn Write) -> anyhow::Result<()> {
    let summary = summarize(inputs);
    match args.format {
        SummaryFormat::Json => render::json(&summary, out),
        SummaryFormat::Table => render::summary_table(&summary, out),
    }
}
