//! Ingest: bytes of one input in, the records of every format found in it out, with every line
//! that was not telemetry counted and every record that could not be read reported.
//!
//! Formats are recognised per record, so one file may mix them. Implemented so far: the Python
//! console exporters (`python_json`). Lines that belong to no record of a known format are
//! *foreign* (the app's own output): counted, never errors. A record that starts and then fails
//! to parse, or is cut short, is a [`ParseError`] naming the file and line; the rest of the input
//! is still read.

pub mod node_console;
pub mod otlp_json;
pub mod python_json;
pub mod rust_debug;
pub mod rust_text;
pub mod scan;
pub mod time;

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use crate::model::{LogRecord, MetricPoint, Resource, Span};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Python `ConsoleSpanExporter` / `ConsoleLogRecordExporter` / `ConsoleMetricExporter`.
    PythonJson,
    /// Rust `opentelemetry-stdout` text (0.25 and later).
    RustText,
    /// OTLP JSON, one export request per line.
    OtlpJson,
    /// Node.js console exporters (`util.inspect` object literals).
    NodeConsole,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::PythonJson => "python-json",
            Format::RustText => "rust-text",
            Format::OtlpJson => "otlp-json",
            Format::NodeConsole => "node-console",
        })
    }
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The record was opened and never closed (a killed process, a copy of a live file).
    #[error("{what} cut short: the record opened here has no end")]
    Truncated { what: &'static str },
    /// The record's text is not valid for its format.
    #[error("{0}")]
    Invalid(String),
}

/// What a record parser reports: the problem, and how many lines into the record it is.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    pub offset_lines: u64,
    pub kind: ParseErrorKind,
}

impl From<ParseErrorKind> for RecordError {
    fn from(kind: ParseErrorKind) -> Self {
        RecordError { offset_lines: 0, kind }
    }
}

/// A record that could not be read, with where it started.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {kind}")]
pub struct ParseError {
    pub file: Arc<str>,
    /// 1-based line of the record's first line.
    pub line: u64,
    pub kind: ParseErrorKind,
}

/// Everything read from one input.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Records read, per format.
    pub records: Vec<(Format, usize)>,
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
    pub points: Vec<MetricPoint>,
    /// Metrics exports (batches) as the exporter wrote them.
    pub metric_exports: usize,
    /// Lines that belong to no telemetry record.
    pub foreign_lines: usize,
    /// Records that could not be read.
    pub errors: Vec<ParseError>,
}

impl Parsed {
    fn count(&mut self, format: Format) {
        match self.records.iter_mut().find(|(f, _)| *f == format) {
            Some((_, n)) => *n += 1,
            None => self.records.push((format, 1)),
        }
    }
}

/// Reads a whole input: a file (`.gz` decompressed), or standard input for `-`.
pub fn read_input(path: &str) -> anyhow::Result<Vec<u8>> {
    let mut raw = Vec::new();
    if path == "-" {
        std::io::stdin().lock().read_to_end(&mut raw).context("reading standard input")?;
    } else {
        let p = Path::new(path);
        if p.is_dir() {
            anyhow::bail!("{path}: is a directory");
        }
        raw = std::fs::read(p).with_context(|| format!("reading {path}"))?;
    }
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .with_context(|| format!("{path}: not a valid gzip file"))?;
        return Ok(out);
    }
    Ok(raw)
}

/// Parses one input's bytes; `name` is what error messages call it.
pub fn parse(name: &str, bytes: &[u8]) -> anyhow::Result<Parsed> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        anyhow::anyhow!("{name}:{line}: not UTF-8 text (byte offset {})", e.valid_up_to())
    })?;
    let file: Arc<str> = Arc::from(name);
    let mut out = Parsed::default();
    let mut resources = Resources::default();
    let mut rust = rust_text::Framer::default();
    let mut previous_was_node_metric = false;
    for piece in scan::python_objects(text) {
        match piece {
            scan::Piece::Line { line, text } if otlp_json::is_document(text) => {
                match otlp_json::parse_document(text, &mut resources) {
                    Ok(batch) => {
                        out.count(Format::OtlpJson);
                        match batch {
                            otlp_json::Batch::Spans(s) => out.spans.extend(s),
                            otlp_json::Batch::Logs(l) => out.logs.extend(l),
                            otlp_json::Batch::Metrics(p) => {
                                out.metric_exports += 1;
                                out.points.extend(p);
                            }
                        }
                    }
                    Err(e) => out.errors.push(ParseError { file: file.clone(), line, kind: e.kind }),
                }
            }
            scan::Piece::Line { line, text } => {
                if rust.feed(text, line, &mut resources) == rust_text::Fed::Foreign {
                    out.foreign_lines += 1;
                }
            }
            scan::Piece::Truncated { line } => out.errors.push(ParseError {
                file: file.clone(),
                line,
                kind: ParseErrorKind::Truncated { what: "Python console record" },
            }),
            // Node's object literals are framed the same way; their keys are not quoted and they
            // indent by two spaces.
            scan::Piece::Object { line, text } if is_node(text) => {
                match node_console::parse_record(text, &mut resources) {
                    Ok(record) => {
                        out.count(Format::NodeConsole);
                        match record {
                            node_console::Record::Span(s) => out.spans.push(s),
                            node_console::Record::Log(l) => out.logs.push(l),
                            node_console::Record::Metric(points) => {
                                // One record per metric: consecutive metrics are one export.
                                if !previous_was_node_metric {
                                    out.metric_exports += 1;
                                }
                                previous_was_node_metric = true;
                                out.points.extend(points);
                                continue;
                            }
                        }
                    }
                    Err(e) => {
                        out.errors.push(ParseError { file: file.clone(), line: line + e.offset_lines, kind: e.kind })
                    }
                }
                previous_was_node_metric = false;
            }
            scan::Piece::Object { line, text } => match python_json::parse_record(text, &mut resources) {
                Ok(record) => {
                    out.count(Format::PythonJson);
                    match record {
                        python_json::Record::Span(s) => out.spans.push(s),
                        python_json::Record::Log(l) => out.logs.push(l),
                        python_json::Record::Metrics(points) => {
                            out.metric_exports += 1;
                            out.points.extend(points);
                        }
                    }
                }
                Err(e) => out.errors.push(ParseError { file: file.clone(), line: line + e.offset_lines, kind: e.kind }),
            },
        }
    }
    rust.finish(&mut resources);
    out.metric_exports += rust.metric_exports;
    for (i, rec) in rust.done.iter().enumerate() {
        let result = match rec.signal {
            rust_text::Signal::Spans => rust_text::parse_span(rec).map(|s| out.spans.push(s)),
            rust_text::Signal::Logs => rust_text::parse_log(rec).map(|l| out.logs.push(l)),
            rust_text::Signal::Metrics => rust_text::parse_metric(rec).map(|p| out.points.extend(p)),
        };
        match result {
            Ok(()) => out.count(Format::RustText),
            Err(e) => {
                // A record still open at the end that lacks a field was cut short (a killed process).
                let kind = if rust.open_at_end.contains(&i) && e.offset_lines == 0 {
                    ParseErrorKind::Truncated { what: "Rust stdout record" }
                } else {
                    e.kind
                };
                out.errors.push(ParseError { file: file.clone(), line: rec.line + e.offset_lines, kind });
            }
        }
    }
    Ok(out)
}

/// Whether a `{`-framed object is a Node literal: its second line is `  key:` (two spaces, an
/// unquoted or single-quoted key), where Python's is `    "key":`.
fn is_node(text: &str) -> bool {
    text.lines().nth(1).is_some_and(|l| {
        let b = l.as_bytes();
        b.len() > 2 && b[0] == b' ' && b[1] == b' ' && (b[2].is_ascii_alphabetic() || b[2] == b'\'' || b[2] == b'_')
    })
}

/// Interns resources: Python repeats the full resource in every record, and one process has one.
#[derive(Debug, Default)]
pub struct Resources(Vec<Arc<Resource>>);

impl Resources {
    /// The shared copy of `r`.
    pub fn intern(&mut self, r: Resource) -> Arc<Resource> {
        if let Some(existing) = self.0.iter().find(|e| ***e == r) {
            return existing.clone();
        }
        let r = Arc::new(r);
        self.0.push(r.clone());
        r
    }
}
