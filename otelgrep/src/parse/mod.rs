//! Ingest: one input's bytes in, its records out, with every line that was not telemetry counted
//! and every record that could not be read reported as `file:line: reason`.
//!
//! Two stages. The *framer* (this module, one thread) walks the lines once and cuts them into
//! records without parsing them: Python and Node objects between column-0 braces, OTLP JSON
//! lines, Rust `opentelemetry-stdout` records (whose framing carries state: blocks, resources,
//! interrupted records). Batches of record slices then go to worker threads, which parse them with
//! the pure per-format functions and hand each record to a [`Sink`]: a command's own aggregate,
//! so `summary` never holds the records themselves. Partial results are merged in input order.
//! Inputs that need none of the stateful framers (Python, OTLP and Go captures) skip the single
//! framing thread: [`regions`] cuts them where Python objects open and each worker frames and
//! parses a region of its own.
//!
//! Formats are recognised per record, so one file may mix them. Lines that belong to no record
//! are *foreign* (the app's own output): counted, never errors.

pub mod collector_debug;
mod framing;
pub mod go_json;
mod grammar;
mod ids;
mod input;
mod layers;
pub mod node_console;
pub mod otlp_json;
pub mod otlp_proto;
mod pieces;
pub mod python_json;
mod regions;
mod resources;
pub mod rust_debug;
pub mod rust_text;
pub mod scan;
mod sink;
pub(crate) mod skim;
mod stream;
pub mod text;
pub mod time;
pub mod wrappers;

use std::fmt;
use std::sync::{Arc, Mutex, mpsc};

use crate::model::{LogRecord, MetricPoint, Resource, Scope, Span};

use framing::{Job, frame, frame_proto};
pub use input::{Input, read_input};
pub use layers::ingest;
pub use pieces::{Pieces, Settled, add};
pub use resources::Resources;
pub use sink::{Collected, Needs, Only, Ranged, Sink};
pub use stream::{LONGEST_PIECE, STREAM_CHUNK, StreamEnd, first_line, ingest_stream, line_count};

/// Which signal a line-framed record (Rust text, Collector text) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Spans,
    Metrics,
    Logs,
}

/// One line-framed record: its lines (not always contiguous: a record can resume after another
/// signal's block), the number of its first line, and the context its block gave it.
#[derive(Debug)]
pub struct RecordLines<'a> {
    pub signal: Signal,
    pub line: u64,
    pub lines: Vec<&'a str>,
    /// The scope of the section it sits in, where the format prints it per section.
    pub scope: Option<Arc<Scope>>,
    pub resource: Arc<Resource>,
}

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Python `ConsoleSpanExporter` / `ConsoleLogRecordExporter` / `ConsoleMetricExporter`.
    PythonJson,
    /// Rust `opentelemetry-stdout` text (0.25 and later).
    RustText,
    /// OTLP JSON: export requests one a line, pretty-printed, or in a JSON array.
    OtlpJson,
    /// Binary OTLP, length-prefixed, as the Collector `file` exporter's `format: proto` writes.
    OtlpProto,
    /// Node.js console exporters (`util.inspect` object literals).
    NodeConsole,
    /// The Collector's `debug` exporter, detailed verbosity.
    CollectorDebug,
    /// Go's `stdouttrace`, `stdoutmetric` and `stdoutlog` exporters, compact or pretty-printed.
    GoJson,
    /// Parquet written by `otelgrep export --to parquet`.
    Parquet,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::PythonJson => "python-json",
            Format::RustText => "rust-text",
            Format::OtlpJson => "otlp-json",
            Format::OtlpProto => "otlp-proto",
            Format::NodeConsole => "node-console",
            Format::CollectorDebug => "collector-debug",
            Format::GoJson => "go-json",
            Format::Parquet => "parquet",
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
    /// 1-based line of the problem (the record's first line when it is about the whole record).
    pub line: u64,
    pub kind: ParseErrorKind,
}

/// Everything about an input except its records.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Records read, per format.
    pub records: Vec<(Format, usize)>,
    /// Metrics exports (batches) as the exporter wrote them.
    pub metric_exports: usize,
    /// Lines that belong to no telemetry record.
    pub foreign_lines: usize,
    /// Records that could not be read, in input order.
    pub errors: Vec<ParseError>,
    /// Records whose resource the capture does not say (Rust stdout blocks of several processes
    /// printed without their Resource), given the last one printed.
    pub unattributed: usize,
    /// The first and last time of any record (ns), whatever the command kept.
    pub range: Option<(i64, i64)>,
    /// The encoding the input was decoded from, when not UTF-8 (`UTF-16LE`).
    pub encoding: Option<&'static str>,
    /// Records inside the command's `--since`/`--until` window (all of them without one).
    pub in_window: usize,
    /// Whether any line was read as Rust text, whether or not its records could be read.
    pub rust_text: bool,
    /// Where the Rust text framer stopped, for the next piece of a stream to start from.
    pub(crate) carry: Option<rust_text::Carry>,
    /// Wrappers taken off the lines (`docker compose`), with how many lines carried each.
    pub wrappers: Vec<(&'static str, usize)>,
    /// The sources the wrappers told apart (services, pods, streams), when there were several.
    pub sources: Vec<String>,
    /// Whether the text held bytes that are not UTF-8 (or marks opening lines) and was read
    /// repaired: a stream's later pieces are checked first (`layers::AsIs::Suspect`).
    pub(crate) repaired: bool,
}

impl Report {
    fn count(&mut self, format: Format) {
        self.count_n(format, 1);
    }

    /// Counts `n` records of a format.
    pub fn count_n(&mut self, format: Format, n: usize) {
        match self.records.iter_mut().find(|(f, _)| *f == format) {
            Some((_, m)) => *m += n,
            None => self.records.push((format, n)),
        }
    }

    /// Adds what a later part of the input found.
    pub fn merge(&mut self, later: Report) {
        for (f, n) in later.records {
            match self.records.iter_mut().find(|(g, _)| *g == f) {
                Some((_, m)) => *m += n,
                None => self.records.push((f, n)),
            }
        }
        self.metric_exports += later.metric_exports;
        self.unattributed += later.unattributed;
        self.rust_text |= later.rust_text;
        self.repaired |= later.repaired;
        if later.carry.is_some() {
            self.carry = later.carry;
        }
        self.sources.extend(later.sources);
        self.foreign_lines += later.foreign_lines;
        self.errors.extend(later.errors);
    }
}

/// Everything read from one input, records included.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<(Format, usize)>,
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
    pub points: Vec<MetricPoint>,
    pub metric_exports: usize,
    pub foreign_lines: usize,
    pub errors: Vec<ParseError>,
}

/// Parses one input into every record; `name` is what error messages call it.
pub fn parse(name: &str, bytes: &[u8]) -> anyhow::Result<Parsed> {
    let (report, c) = ingest::<Collected>(name, bytes, &(), None, &|_, _| {})?;
    Ok(Parsed {
        records: report.records,
        spans: c.spans,
        logs: c.logs,
        points: c.points,
        metric_exports: report.metric_exports,
        foreign_lines: report.foreign_lines,
        errors: report.errors,
    })
}

/// Inputs smaller than this are parsed by one worker.
const SMALL_INPUT: usize = 1 << 20;

/// What follows a text: the end of its input, or, in a stream read in pieces, what starts the
/// next piece. A Rust record still open at the end was cut short at the end of the input, cut by
/// another format's record before a record, and closed as a block header closes it before one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    Input,
    Record,
    Header,
}

impl Ending {
    /// How a text ends that `next` follows: at a Rust block header or record start (which ends
    /// the current record as a header does), at another record's `{` line, or at anything else.
    pub(crate) fn before(next: &[u8]) -> Ending {
        let line = next.split(|b| *b == b'\n').next().unwrap_or_default();
        match line.strip_suffix(b"\r").unwrap_or(line) {
            line if rust_text::is_structure(line) => Ending::Header,
            line if line.starts_with(b"{") => Ending::Record,
            _ => Ending::Input,
        }
    }
}

/// How [`ingest_with`] reads a text: inputs of at least two `region_bytes` are framed in parallel
/// where they can be; `bad_lines` name the lines of repaired text (see [`text::repair`]) whose
/// records are skipped; `ending` says what follows the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading<'b> {
    pub region_bytes: usize,
    pub bad_lines: &'b [std::ops::Range<usize>],
    pub ending: Ending,
    /// Whether the bytes may be binary OTLP (the bytes as they came, not a text made of them:
    /// unwrapped or repaired lines may happen to start as a length-prefixed message does).
    pub binary: bool,
    /// Where a stream's previous piece left the Rust text framer.
    pub carry: Option<&'b rust_text::Carry>,
}

/// Bytes parsed before the pages behind them are released.
const RELEASE_STEP: usize = 32 << 20;

/// [`ingest`], read as `reading` says. `None` when `bytes` are not all UTF-8.
pub(crate) fn ingest_with<'a, S: Sink>(
    name: &str,
    bytes: &'a [u8],
    config: &S::Config,
    only: Option<Format>,
    release: &dyn Fn(usize, usize),
    reading: &Reading,
) -> anyhow::Result<Option<(Report, S)>> {
    let Reading { region_bytes: _, bad_lines, ending, binary, carry } = *reading;
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let file: Arc<str> = Arc::from(name);
    // Asked once: the answer reads the process's cgroup files.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let workers = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16));
    let skipped = bytes.len() - body.len();
    // Binary OTLP is framed by its length prefixes, on this thread.
    // A text repaired (its bad bytes made U+FFFD, three bytes each) was text: it may have grown
    // into what passes for a length-prefixed message, and is not read as one.
    let proto =
        binary && bad_lines.is_empty() && only.is_none_or(|o| o == Format::OtlpProto) && otlp_proto::is_binary(body);
    // Repaired text goes the sequential way, where each record is checked against the bad lines.
    // So does a sink that writes records out as it gets them: the region path may give up, or
    // read a region again, after its sinks have written (an export wrote a Python capture's
    // records twice when Rust text followed them).
    if !proto && bad_lines.is_empty() && S::HELD {
        match regions::ingest::<S>(&file, body, skipped, config, only, workers, release, reading) {
            Some(Ok(done)) => return Ok(Some(done)),
            Some(Err(_)) => return Ok(None),
            None => {}
        }
    }

    let mut framing = Report::default();
    let base = bytes.as_ptr() as usize;
    let needs = S::needs(config);
    let batch = |batch: Vec<Job>, resources: &mut Resources| {
        parse_batch::<S>(batch, &needs, &file, config, bytes, bad_lines, resources)
    };
    let frame_all = |framing: &mut Report, send: &mut dyn FnMut(usize, Vec<Job<'a>>)| {
        let framed = if proto {
            frame_proto(body, &file, framing, send)
        } else {
            frame(body, &file, only, ending, carry, framing, send)
        };
        framed.not_utf8
    };
    let mut cut_at = None;
    let merged: Merged<S> = if bytes.len() < SMALL_INPUT {
        // A small input is a batch or two: parsed here, no worker is started.
        let mut merged = Merged::<S>::new(config);
        let mut resources = Resources::default();
        cut_at = frame_all(&mut framing, &mut |index, jobs| {
            let (r, s) = batch(jobs, &mut resources);
            merged.add(index, r, s);
        });
        merged
    } else {
        std::thread::scope(|scope| {
            let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<Job>)>(workers * 2);
            let job_rx = Arc::new(Mutex::new(job_rx));
            let (done_tx, done_rx) = mpsc::channel();
            for _ in 0..workers {
                let (job_rx, done_tx, batch) = (job_rx.clone(), done_tx.clone(), &batch);
                scope.spawn(move || {
                    // Kept across batches: a batch of one long line (858 KB in the demo's
                    // capture) read every resource afresh.
                    let mut resources = Resources::default();
                    loop {
                        let next = job_rx.lock().map(|rx| rx.recv());
                        let Ok(Ok((index, jobs))) = next else { break };
                        let (report, sink) = batch(jobs, &mut resources);
                        if done_tx.send((index, report, sink)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done_tx);
            // Where each batch starts in `bytes`, and which batches are done: everything before the
            // oldest unfinished batch can be released.
            let mut starts: Vec<usize> = Vec::new();
            let mut finished: Vec<bool> = Vec::new();
            // Batches are merged in input order as soon as they can be, so a sink that compacts on
            // merge (a count, the N slowest) never holds every batch's result at once.
            let mut merged = Merged::<S>::new(config);
            let mut released = 0usize;
            let mut send = |index, jobs: Vec<Job<'a>>| {
                let start = jobs.iter().map(|j| j.start() as usize - base).min().unwrap_or(0);
                starts.push(start);
                finished.push(false);
                // A closed channel means a worker died: stop framing; the scope reports the panic.
                let _ = job_tx.send((index, jobs));
                for (i, r, s) in done_rx.try_iter() {
                    finished[i] = true;
                    merged.add(i, r, s);
                }
                let oldest = finished.iter().position(|f| !f).unwrap_or(finished.len());
                let safe = starts.get(oldest).copied().unwrap_or(start).min(start);
                if safe >= released + RELEASE_STEP {
                    let page = released & !4095;
                    release(page, (safe & !4095) - page);
                    released = safe & !4095;
                }
            };
            cut_at = frame_all(&mut framing, &mut send);
            drop(job_tx);
            for (i, r, s) in done_rx.iter() {
                merged.add(i, r, s);
            }
            merged
        })
    };
    if cut_at.is_some() {
        return Ok(None);
    }
    debug_assert!(!merged.order.waiting(), "every batch index arrives once");
    let (mut report, sink) = (merged.report, merged.sink);
    report.merge(framing);
    report.errors.sort_by_key(|e| e.line);
    Ok(Some((report, sink)))
}

/// One batch of framed records into a sink of its own. A record holding a byte that was not UTF-8
/// (`bad_lines`) is not read as if it were: it is skipped, named.
fn parse_batch<S: Sink>(
    jobs: Vec<Job>,
    needs: &Needs,
    file: &Arc<str>,
    config: &S::Config,
    bytes: &[u8],
    bad_lines: &[std::ops::Range<usize>],
    resources: &mut Resources,
) -> (Report, S) {
    let mut report = Report::default();
    let mut sink = S::new(config);
    for job in jobs {
        if let Some(at) = job.touches(bad_lines, bytes.as_ptr() as usize) {
            let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64 + 1;
            let why = "a byte that is not UTF-8 (Latin-1? a binary value?): the record is skipped";
            report.errors.push(ParseError { file: file.clone(), line, kind: ParseErrorKind::Invalid(why.into()) });
            continue;
        }
        parse_job(job, needs, file, &mut report, &mut sink, resources);
    }
    sink.part_done();
    (report, sink)
}

/// Results that arrive in any order (from workers), handed on in index order: those that arrive
/// early wait.
struct InOrder<T> {
    next: usize,
    pending: std::collections::BTreeMap<usize, T>,
}

impl<T> InOrder<T> {
    fn new() -> Self {
        InOrder { next: 0, pending: Default::default() }
    }

    /// Takes result `index`; gives every result now due, in order.
    fn add(&mut self, index: usize, item: T) -> impl Iterator<Item = T> + '_ {
        self.pending.insert(index, item);
        std::iter::from_fn(move || {
            let item = self.pending.remove(&self.next)?;
            self.next += 1;
            Some(item)
        })
    }

    /// Whether a result is still waiting for an earlier one.
    fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// Batch results merged in index order.
struct Merged<S> {
    order: InOrder<(Report, S)>,
    report: Report,
    sink: S,
}

impl<S: Sink> Merged<S> {
    fn new(config: &S::Config) -> Self {
        Merged { order: InOrder::new(), report: Report::default(), sink: S::new(config) }
    }

    fn add(&mut self, index: usize, report: Report, sink: S) {
        for (r, s) in self.order.add(index, (report, sink)) {
            self.report.merge(r);
            self.sink.merge(s);
        }
    }
}

/// What one JSON object of the Python or Go exporters holds.
#[derive(Debug)]
pub enum Record {
    Span(Span),
    Log(LogRecord),
    /// A whole metrics export: every data point of every metric in it.
    Metrics(Vec<MetricPoint>),
}

impl Record {
    /// Hands the record to the sink; a metrics export counts as one export.
    fn deliver<S: Sink>(self, sink: &mut S, report: &mut Report) {
        match self {
            Record::Span(s) => sink.span(s),
            Record::Log(l) => sink.log(l),
            Record::Metrics(points) => {
                report.metric_exports += 1;
                points.into_iter().for_each(|p| sink.point(p));
            }
        }
    }
}

/// The parallel stage: one record, parsed and handed to the sink.
fn parse_job<S: Sink>(
    job: Job,
    needs: &Needs,
    file: &Arc<str>,
    report: &mut Report,
    sink: &mut S,
    resources: &mut Resources,
) {
    let (line, result) = match job {
        // A JSON object the app printed (its config, pretty-printed) is its lines, not a record.
        Job::Python { text, .. } if python_json::is_app_object(text) => {
            report.foreign_lines += text.lines().count();
            return;
        }
        Job::Python { line, text } => {
            let r = python_json::parse_record(text, needs, resources).map(|record| record.deliver(sink, report));
            (line, r.map(|()| Format::PythonJson))
        }
        Job::Node { line, text } => {
            let r = node_console::parse_record(text, needs, resources).map(|record| match record {
                node_console::Record::Span(s) => sink.span(s),
                node_console::Record::Log(l) => sink.log(l),
                node_console::Record::Metric(points) => points.into_iter().for_each(|p| sink.point(p)),
            });
            (line, r.map(|()| Format::NodeConsole))
        }
        Job::Otlp { line, text } => {
            let r = otlp_json::parse_document(text, needs, resources).map(|b| b.deliver(line, file, sink, report));
            (line, r.map(|()| Format::OtlpJson))
        }
        Job::Proto { index, bytes, export } => {
            let r = otlp_proto::parse_message(bytes, resources).map(|mut b| {
                if !export {
                    // A bare request's resource group: its export is counted once, where framed.
                    b.metric_exports = 0;
                }
                b.deliver(index, file, sink, report)
            });
            (index, r.map(|()| Format::OtlpProto))
        }
        // Its last line cut off where the input ends: not read (see `framing::frame`).
        Job::Rust { rec, cut: true, .. } => (rec.line, Err(cut_short("Rust stdout record"))),
        Job::Collector { rec, cut: true } => (rec.line, Err(cut_short("Collector debug record"))),
        Job::Rust { rec, open_at_end, .. } => {
            let r = match rec.signal {
                Signal::Spans => rust_text::parse_span(&rec, needs).map(|s| sink.span(s)),
                Signal::Logs => rust_text::parse_log(&rec, needs.for_logs()).map(|l| sink.log(l)),
                Signal::Metrics => rust_text::parse_metric(&rec, needs.for_metrics())
                    .map(|p| p.into_iter().for_each(|p| sink.point(p))),
            };
            // A record still open at the end that does not read was cut short (a killed process,
            // a compressed file cut): its last line may stop anywhere.
            let r = r.map_err(|e| match e {
                RecordError { .. } if open_at_end => cut_short("Rust stdout record"),
                e => e,
            });
            (rec.line, r.map(|()| Format::RustText))
        }
        Job::Go { line, text, kind } => {
            let r = go_json::parse_record(text, kind, needs, resources).map(|record| record.deliver(sink, report));
            (line, r.map(|()| Format::GoJson))
        }
        Job::Collector { rec, .. } => {
            let r = match rec.signal {
                Signal::Spans => collector_debug::parse_span(&rec, needs).map(|s| sink.span(s)),
                Signal::Logs => collector_debug::parse_log(&rec, needs.for_logs()).map(|l| sink.log(l)),
                Signal::Metrics => collector_debug::parse_metric(&rec, needs.for_metrics())
                    .map(|p| p.into_iter().for_each(|p| sink.point(p))),
            };
            (rec.line, r.map(|()| Format::CollectorDebug))
        }
    };
    match result {
        Ok(format) => report.count(format),
        Err(e) => report.errors.push(ParseError { file: file.clone(), line: line + e.offset_lines, kind: e.kind }),
    }
}

/// A record that stops where the input does.
fn cut_short(what: &'static str) -> RecordError {
    RecordError { offset_lines: 0, kind: ParseErrorKind::Truncated { what } }
}
