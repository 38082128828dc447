//! `otelgrep summary`: what each capture holds, and what could not be read.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use crate::cli::{SummaryArgs, SummaryFormat};
use crate::model::LogRecord;
use crate::parse::Parsed;
use crate::parse::time::format_rfc3339;
use crate::render;

/// Reasons listed per file.
const REASONS_SHOWN: usize = 5;

/// Counts for one file, or for all of them.
#[derive(Debug, Default, Serialize)]
pub struct Counts {
    /// Records read per input format.
    pub formats: BTreeMap<String, usize>,
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
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub foreign_lines: usize,
    pub skipped_records: usize,
    /// The first few reasons, as `file:line: reason`.
    pub skipped_reasons: Vec<String>,
    #[serde(skip)]
    range: Option<(i64, i64)>,
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

impl Counts {
    fn add(&mut self, p: &Parsed) {
        for (format, n) in &p.records {
            *self.formats.entry(format.to_string()).or_default() += n;
        }
        for s in &p.spans {
            self.spans += 1;
            *self.spans_by_kind.entry(s.kind.as_str().to_string()).or_default() += 1;
            self.server_spans += usize::from(s.kind == crate::model::SpanKind::Server);
            self.error_spans += usize::from(s.status == crate::model::StatusCode::Error);
            self.see(s.start_ns);
            self.see(s.end_ns);
            self.service(s.resource.service_name());
        }
        for l in &p.logs {
            self.log_records += 1;
            *self.log_records_by_severity.entry(severity(l)).or_default() += 1;
            if let Some(t) = l.time_ns.or(l.observed_time_ns) {
                self.see(t);
            }
            self.service(l.resource.service_name());
        }
        for m in &p.points {
            self.metric_points += 1;
            *self.metric_points_by_name.entry(m.name.clone()).or_default() += 1;
            self.see(m.time_ns);
            self.service(m.resource.service_name());
        }
        self.metric_exports += p.metric_exports;
        self.foreign_lines += p.foreign_lines;
        self.skipped_records += p.errors.len();
        for e in &p.errors {
            if self.skipped_reasons.len() < REASONS_SHOWN {
                self.skipped_reasons.push(e.to_string());
            }
        }
        if let Some((lo, hi)) = self.range {
            self.first_time = Some(format_rfc3339(lo));
            self.last_time = Some(format_rfc3339(hi));
        }
    }

    fn see(&mut self, t: i64) {
        self.range = Some(match self.range {
            None => (t, t),
            Some((lo, hi)) => (lo.min(t), hi.max(t)),
        });
    }

    fn service(&mut self, name: Option<&str>) {
        if let Some(n) = name {
            if let Err(i) = self.services.binary_search_by(|s| s.as_str().cmp(n)) {
                self.services.insert(i, n.to_string());
            }
        }
    }
}

/// The severity's name: the text as printed, else the name of its number's range.
fn severity(l: &LogRecord) -> String {
    if let Some(t) = l.severity_text.as_deref().filter(|t| !t.is_empty()) {
        return t.to_string();
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
    .to_string()
}

/// Builds the report for already-parsed inputs.
pub fn summarize(inputs: &[(String, Parsed)]) -> Summary {
    let mut total = Counts::default();
    let mut files = Vec::new();
    for (name, parsed) in inputs {
        let mut counts = Counts::default();
        counts.add(parsed);
        total.add(parsed);
        files.push(FileCounts { file: name.clone(), counts });
    }
    Summary { total, files }
}

/// Runs the command on parsed inputs.
pub fn run(args: &SummaryArgs, inputs: &[(String, Parsed)], out: &mut dyn Write) -> anyhow::Result<()> {
    let summary = summarize(inputs);
    match args.format {
        SummaryFormat::Json => render::json(&summary, out),
        SummaryFormat::Table => render::summary_table(&summary, out),
    }
}
