//! Rust `opentelemetry-stdout` 0.33 text: `Spans`, `Metrics` and `Logs` blocks of `Span #N`,
//! `Metric #N` and `Log #N` records (see shared/FORMATS.md §3).
//!
//! Two halves. [`Framer`] assigns lines to records by their shape alone: span lines are TAB-
//! indented, log lines `TAB SPACE`, metric lines two TABs or more, and `TAB TAB " ->  "` is an
//! attribute of a span or a log, never of a metric. That is what recovers a span whose remaining
//! lines resume after another signal's block cut into it (exporters that do not lock stdout). A
//! column-0 line that fits nothing continues the previous raw value (span and event names are
//! printed unescaped), unless it looks like an app's log line. The `parse_*` functions then turn
//! one record's lines into model values, and know nothing of framing.

use std::sync::Arc;

use super::rust_debug::{parse_string, parse_value};
use super::time::parse_utc;
use super::{Needs, ParseErrorKind, RecordError, RecordLines, Resources, Signal};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Span, SpanKind, StatusCode,
    Temporality, Value,
};

/// What the framer did with a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Fed {
    Taken,
    Foreign,
}

/// Assigns lines to blocks and records.
#[derive(Debug, Default)]
pub struct Framer<'a> {
    block: Option<Signal>,
    /// The current record, and the one another signal's block interrupted.
    current: Option<RecordLines<'a>>,
    suspended: Option<RecordLines<'a>>,
    /// Resource lines being read, and the resource per signal (printed once for spans and logs,
    /// in every block for metrics).
    resource_lines: Option<Vec<&'a str>>,
    resources: [Arc<Resource>; 3],
    /// Metrics blocks: the scope section being read.
    scope_lines: Option<Vec<&'a str>>,
    scope: Option<String>,
    /// Metrics blocks seen (one per export).
    pub metric_exports: usize,
    /// The distinct resources printed per signal, and whether the current block printed one.
    /// opentelemetry-stdout prints a process's resource in its first Spans and Logs blocks only:
    /// once two processes have printed theirs, a block without one could be either's.
    printed: [Vec<Arc<Resource>>; 3],
    block_resource: bool,
    /// Spans and log records of such blocks: given the last resource printed, which may not be
    /// theirs.
    pub unattributed: usize,
    previous_foreign: bool,
    /// The last line added to the current record, if it is still the one a column-0 line would
    /// continue. Only Display-printed (raw) values continue that way; checked lazily, since
    /// column-0 lines inside records are rare.
    last_line: Option<&'a str>,
    /// Finished records, in order.
    pub done: Vec<RecordLines<'a>>,
    /// Indices in `done` of the records still open when the input ended or another format's
    /// record began: if one of them is incomplete, it was cut short there.
    pub open_at_end: Vec<usize>,
}

fn index(s: Signal) -> usize {
    match s {
        Signal::Spans => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    }
}

/// Whether a line has the shape of a span, log or metric line (inside a record).
fn shape(line: &str) -> Option<Signal> {
    if line.starts_with("\t ") {
        Some(Signal::Logs)
    } else if line.starts_with("\t\t ->  ") {
        // An attribute of a span (or of a log: they look the same; the current record decides).
        Some(Signal::Spans)
    } else if line.starts_with("\t\t") {
        Some(Signal::Metrics)
    } else if line.starts_with('\t') || line.is_empty() {
        Some(Signal::Spans)
    } else {
        None
    }
}

/// An app's own log line (tracing-subscriber, Python logging, ...): never a raw continuation.
fn looks_like_app_log(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
}

impl<'a> Framer<'a> {
    /// Feeds one line (without its newline or trailing `\r`).
    pub fn feed(&mut self, line: &'a str, n: u64, resources: &mut Resources) -> Fed {
        let fed = self.route(line, n, resources);
        self.previous_foreign = fed == Fed::Foreign;
        fed
    }

    fn route(&mut self, line: &'a str, n: u64, resources: &mut Resources) -> Fed {
        let last_line = self.last_line.take();
        // Headers and record starts are column-0 words; most lines start with a TAB.
        let column0 = !line.starts_with('\t');
        if column0 {
            if let Some(fed) = self.column0_structure(line, n, resources) {
                return fed;
            }
        }
        self.rest(line, last_line, resources)
    }

    /// Block headers, `Resource`, and record starts.
    fn column0_structure(&mut self, line: &'a str, n: u64, resources: &mut Resources) -> Option<Fed> {
        if let Some(signal) = block_header(line) {
            self.end_resource(resources);
            self.end_scope();
            let interrupted = self.interrupted_by(signal);
            match self.current.take() {
                // Another signal cut into this record: it may resume after the block.
                Some(rec) if interrupted => {
                    self.finish_suspended();
                    self.suspended = Some(rec);
                }
                Some(rec) => self.done.push(rec),
                None => {}
            }
            if signal == Signal::Metrics {
                self.metric_exports += 1;
            }
            self.block = Some(signal);
            self.block_resource = false;
            return Some(Fed::Taken);
        }
        if line == "Resource" && self.block.is_some() {
            self.block_resource = true;
            self.finish_current();
            self.resource_lines = Some(Vec::new());
            return Some(Fed::Taken);
        }
        if let Some(signal) = record_start(line) {
            self.end_resource(resources);
            self.end_scope();
            self.finish_current();
            if self.suspended.as_ref().is_some_and(|s| s.signal == signal) {
                // The interrupted signal printed its next record: the interrupted one is whole.
                self.finish_suspended();
            }
            self.block = Some(signal);
            if signal != Signal::Metrics && !self.block_resource && self.printed[index(signal)].len() > 1 {
                self.unattributed += 1;
            }
            let resource = self.resources[index(signal)].clone();
            let scope = if signal == Signal::Metrics { self.scope.clone() } else { None };
            // Room for a span's lines (about 20) at once, not grown four times while they come.
            let mut lines = Vec::with_capacity(32);
            lines.push(line);
            self.current = Some(RecordLines { signal, line: n, lines, scope, resource });
            return Some(Fed::Taken);
        }
        None
    }

    /// Everything else: resource and scope lines, record lines, continuations.
    fn rest(&mut self, line: &'a str, last_line: Option<&'a str>, resources: &mut Resources) -> Fed {
        if let Some(res) = &mut self.resource_lines {
            if is_resource_line(line.as_bytes()) {
                res.push(line);
                return Fed::Taken;
            }
            self.end_resource(resources);
        }
        if self.block == Some(Signal::Metrics) && self.current.is_none() || self.scope_lines.is_some() {
            if line.starts_with("\tInstrumentation Scope #") {
                self.scope_lines = Some(Vec::new());
                return Fed::Taken;
            }
            if let Some(scope) = &mut self.scope_lines {
                if line.starts_with("\t\t") {
                    scope.push(line);
                    return Fed::Taken;
                }
                self.end_scope();
            }
        }
        if line.starts_with("\tInstrumentation Scope #") && self.block == Some(Signal::Metrics) {
            self.finish_current();
            self.scope_lines = Some(Vec::new());
            return Fed::Taken;
        }
        match shape(line) {
            Some(s) => {
                let fits = |r: &RecordLines| match (r.signal, s) {
                    (Signal::Logs, Signal::Logs | Signal::Spans) => {
                        line.starts_with("\t ") || line.starts_with("\t\t ->  ")
                    }
                    (Signal::Spans, Signal::Spans) => true,
                    // Span scope lines have two TABs too (`\t\tName         : "todo"`).
                    (Signal::Spans, Signal::Metrics) => !line.starts_with("\t\t\t\t"),
                    (Signal::Metrics, Signal::Metrics) => true,
                    _ => false,
                };
                if let Some(cur) = self.current.as_mut().filter(|c| fits(c)) {
                    cur.lines.push(line);
                    self.last_line = Some(line);
                    return Fed::Taken;
                }
                if let Some(sus) = self.suspended.as_mut().filter(|c| fits(c)) {
                    sus.lines.push(line);
                    return Fed::Taken;
                }
                Fed::Foreign
            }
            None => {
                // A column-0 line: the rest of a raw value that contained a newline.
                // A continuation line continues a continuation, or a raw field.
                let raw_open =
                    last_line.is_some_and(|l| !l.starts_with('\t') || RAW_FIELDS.iter().any(|p| l.starts_with(p)));
                if !raw_open || self.previous_foreign || looks_like_app_log(line) {
                    return Fed::Foreign;
                }
                match self.current.as_mut() {
                    Some(cur) => {
                        cur.lines.push(line);
                        self.last_line = Some(line);
                        Fed::Taken
                    }
                    None => Fed::Foreign,
                }
            }
        }
    }

    /// Another format's record came: the current record cannot go on past it. If it does not
    /// read, it was cut there, as one open at the end of the input is (a stream read in pieces
    /// ends a piece where such a record starts: both say the same).
    pub fn end_record(&mut self) {
        if self.current.is_some() {
            self.open_at_end.push(self.done.len());
        }
        self.finish_current();
        self.last_line = None;
    }

    /// A block header of the next piece of a stream follows (at a header where no record is
    /// suspended, [`last_clean_header`]): the current record ends as the header would end it.
    pub fn end_block(&mut self) {
        self.finish_current();
        self.last_line = None;
    }

    fn finish_current(&mut self) {
        if let Some(rec) = self.current.take() {
            self.done.push(rec);
        }
    }

    fn finish_suspended(&mut self) {
        if let Some(rec) = self.suspended.take() {
            self.done.push(rec);
        }
    }

    fn end_resource(&mut self, resources: &mut Resources) {
        if let (Some(lines), Some(block)) = (self.resource_lines.take(), self.block) {
            let r = resources.intern(parse_resource(&lines));
            let printed = &mut self.printed[index(block)];
            if !printed.iter().any(|p| **p == *r) {
                printed.push(r.clone());
            }
            self.resources[index(block)] = r;
        }
    }

    fn end_scope(&mut self) {
        if let Some(lines) = self.scope_lines.take() {
            self.scope = lines
                .iter()
                .find_map(|l| l.strip_prefix("\t\tName         : "))
                .map(|n| parse_string(n).unwrap_or_else(|| n.to_string()));
        }
    }

    /// Ends the input: every record still open is finished.
    pub fn finish(&mut self, resources: &mut Resources) {
        self.end_resource(resources);
        for rec in [self.current.take(), self.suspended.take()].into_iter().flatten() {
            self.open_at_end.push(self.done.len());
            self.done.push(rec);
        }
    }
}

/// The signal whose block a header line (`Spans`, `Metrics`, `Logs`) opens.
fn block_header(line: &str) -> Option<Signal> {
    match line {
        "Spans" => Some(Signal::Spans),
        "Metrics" => Some(Signal::Metrics),
        "Logs" => Some(Signal::Logs),
        _ => None,
    }
}

/// A line of a `Resource` section: an attribute, or the schema URL.
fn is_resource_line(line: &[u8]) -> bool {
    line.starts_with(b"\t ->  ")
        || line.starts_with(b"\tResource SchemaUrl")
        || line.starts_with(b"\t Resource SchemaUrl")
}

impl Framer<'_> {
    /// Whether a block of `signal` starting now interrupts the current record (one of another
    /// signal, not a metric: it is suspended, and may resume after the block).
    fn interrupted_by(&self, signal: Signal) -> bool {
        self.current.as_ref().is_some_and(|c| c.signal != signal && c.signal != Signal::Metrics)
    }
}

/// Where the last block header (`Spans`, `Metrics`, `Logs`) of `text` starts at which the text
/// may be cut: no record is left open across it (unlocked exporters interleave their blocks line
/// by line, and a record interrupted by another signal's block resumes after it).
pub fn last_clean_header(text: &str) -> Option<usize> {
    let mut framer = Framer::default();
    let mut resources = Resources::default();
    let mut best = None;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(signal) = block_header(line) {
            if framer.suspended.is_none() && !framer.interrupted_by(signal) {
                best = Some(line.as_ptr() as usize - text.as_ptr() as usize);
            }
        }
        framer.feed(line, n as u64 + 1, &mut resources);
        framer.done.clear();
    }
    best
}

/// Where a Rust record is open in `text` (being read, or interrupted by another signal's block):
/// the lines read while one is, as byte ranges. A stream is not cut at such a line: read whole,
/// the record may go on after lines of another format.
pub fn open_records(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut framer = Framer::default();
    let mut resources = Resources::default();
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut at = 0;
    for (n, line) in text.split('\n').enumerate() {
        let next = at + line.len() + 1;
        if framer.current.is_some() || framer.suspended.is_some() {
            match out.last_mut() {
                Some(r) if r.end == at => r.end = next,
                _ => out.push(at..next),
            }
        }
        framer.feed(line.strip_suffix('\r').unwrap_or(line), n as u64 + 1, &mut resources);
        framer.done.clear();
        at = next;
    }
    out
}

/// The line a context ends a closed `Resource` section with: a blank line, so one foreign line
/// per closed section that the reader of a context does not count.
pub const CLOSER: &[u8] = b"\n";

/// What a text cut after `text` must be told of what came before, as lines to put in front of
/// the rest: the last `Resource` section of the Spans and of the Logs blocks (opentelemetry-stdout
/// prints each once, in its first block), each under its header. `before` is what `text` itself
/// was given. Blocks of the prefix hold no record. Found from the end, so only the tail of a long
/// text is looked at.
pub fn resume_context(before: &[u8], text: &[u8]) -> Vec<u8> {
    let mut found: [Option<(&[u8], bool)>; 2] = [None, None];
    // A section carried from `before` was also ended by any header or record start in `text`.
    let structure = || {
        text.split(|b| *b == b'\n').any(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            matches!(l, b"Spans" | b"Logs" | b"Metrics")
                || [&b"Span #"[..], b"Log #", b"Metric #"].iter().any(|h| l.starts_with(h))
        })
    };
    for (source, ended_after) in [(text, false), (before, !text.is_empty() && structure())] {
        for at in memchr::memmem::rfind_iter(source, b"\nResource") {
            let after = at + b"\nResource".len();
            if !matches!(source.get(after..after + 1), Some(b"\n") | Some(b"\r")) {
                continue;
            }
            let header_start = memchr::memrchr(b'\n', &source[..at]).map_or(0, |i| i + 1);
            let header = &source[header_start..at];
            let which = match header.strip_suffix(b"\r").unwrap_or(header) {
                b"Spans" => 0,
                b"Logs" => 1,
                _ => continue,
            };
            if found[which].is_some() {
                continue;
            }
            let start = memchr::memchr(b'\n', &source[after..]).map_or(source.len(), |i| after + i + 1);
            let mut end = start;
            while end < source.len() {
                let line_end = memchr::memchr(b'\n', &source[end..]).map_or(source.len(), |i| end + i);
                if !is_resource_line(&source[end..line_end]) {
                    break;
                }
                end = (line_end + 1).min(source.len());
            }
            // Closed when a line followed it in `source` (the framer left the section there):
            // orphan resource lines after the cut must not join it.
            found[which] = Some((&source[start..end], end < source.len() || ended_after));
            if found.iter().all(Option::is_some) {
                break;
            }
        }
    }
    // The Metrics block a text ends inside goes on in the next piece: carried last, so the next
    // piece starts inside it, as the framer of the whole input would be.
    let metrics = match last_header(text) {
        Some((at, b"Metrics")) => Some(metrics_block(&text[at..])),
        Some(_) => None,
        None => last_header(before).filter(|(_, h)| *h == b"Metrics").map(|(at, _)| metrics_block(&before[at..])),
    };
    let mut out = Vec::new();
    for (header, section) in [(&b"Spans"[..], found[0]), (&b"Logs"[..], found[1])] {
        if let Some((lines, closed)) = section {
            out.extend_from_slice(header);
            out.extend_from_slice(b"\nResource\n");
            out.extend_from_slice(lines);
            if !lines.is_empty() && !lines.ends_with(b"\n") {
                out.push(b'\n');
            }
            if closed {
                // A blank line ends the section as the line after it did; it is a foreign line,
                // which the reader of the context takes off (`CLOSER`).
                out.extend_from_slice(CLOSER);
            }
        }
    }
    if let Some(block) = metrics {
        out.extend_from_slice(&block);
    }
    out
}

/// Where the last block header line (`Spans`, `Logs`, `Metrics`) of `source` starts, and which.
fn last_header(source: &[u8]) -> Option<(usize, &'static [u8])> {
    let mut last: Option<(usize, &'static [u8])> = None;
    for name in [&b"Spans"[..], b"Logs", b"Metrics"] {
        for end in [&b"\n"[..], b"\r\n"] {
            let line = [b"\n", name, end].concat();
            let at = memchr::memmem::rfind(source, &line).map(|i| i + 1);
            let at = at.or_else(|| source.starts_with(&line[1..]).then_some(0));
            if let Some(at) = at.filter(|at| last.is_none_or(|(l, _)| *at > l)) {
                last = Some((at, name));
            }
        }
    }
    last
}

/// What the next piece needs of a Metrics block (`block` starts at its header): the header, its
/// Resource section and its last Instrumentation Scope section (the records after a cut get that
/// scope). The header counts an export where it is read: the reader of a context takes it off.
fn metrics_block(block: &[u8]) -> Vec<u8> {
    // Bytes, not text: a line that is not UTF-8 is carried as it came, and read as it would be.
    let mut lines: Vec<&[u8]> = block.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut out = b"Metrics\n".to_vec();
    let mut add = |l: &[u8]| {
        out.extend_from_slice(l);
        out.push(b'\n');
    };
    // Whether the last section carried was ended by a line after it (see [`CLOSER`]).
    let mut closed = false;
    if lines.get(1) == Some(&&b"Resource"[..]) {
        add(b"Resource");
        let n = lines[2..].iter().take_while(|l| is_resource_line(l)).count();
        lines[2..2 + n].iter().for_each(|l| add(l));
        closed = 2 + n < lines.len();
    }
    if let Some(at) = lines.iter().rposition(|l| l.starts_with(b"\tInstrumentation Scope #")) {
        let n = lines[at + 1..].iter().take_while(|l| l.starts_with(b"\t\t")).count();
        lines[at..=at + n].iter().for_each(|l| add(l));
        closed = at + n + 1 < lines.len();
    }
    if closed {
        out.extend_from_slice(CLOSER);
    }
    out
}

/// Lines whose value is printed with Display, unescaped: a newline in it continues at column 0.
const RAW_FIELDS: &[&str] = &[
    "\tName         : ",
    "\tName      : ",
    "\t\tName         : ",
    "\t\tDescription  : ",
    "\t\tUnit         : ",
    "\t\t\t\t ->  ",
    "\t\t\t ->  ",
];

fn record_start(line: &str) -> Option<Signal> {
    let (signal, rest) = if let Some(r) = line.strip_prefix("Span #") {
        (Signal::Spans, r)
    } else if let Some(r) = line.strip_prefix("Log #") {
        (Signal::Logs, r)
    } else if let Some(r) = line.strip_prefix("Metric #") {
        (Signal::Metrics, r)
    } else {
        return None;
    };
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())).then_some(signal)
}

fn parse_resource(lines: &[&str]) -> Resource {
    let attributes = lines
        .iter()
        .filter_map(|l| l.strip_prefix("\t ->  "))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), parse_value(v).unwrap_or_else(|| Value::Str(v.to_string()))))
        .collect();
    Resource { attributes }
}

fn invalid(offset: usize, msg: impl Into<String>) -> RecordError {
    RecordError { offset_lines: offset as u64, kind: ParseErrorKind::Invalid(msg.into()) }
}

/// A `k: Debug` attribute line's content (after the arrow). A value that is not Rust's `Debug`
/// of an OpenTelemetry value (a damaged line) is kept as its text, as resource values are: the
/// record is the same to a command that reads its attributes and to one that does not.
fn debug_attr(kv: &str) -> (String, Value) {
    let (k, v) = split_once(kv, ": ").unwrap_or((kv, ""));
    (k.to_string(), parse_value(v).unwrap_or_else(|| Value::Str(v.to_string())))
}

/// `s.split_once(sep)` for the few-byte separators of this format: `str`'s searcher for a string
/// pattern is built at every call, which cost more than the search on lines this short (a tenth of
/// a metrics-heavy capture's reading).
fn split_once<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let (b, sep) = (s.as_bytes(), sep.as_bytes());
    let at = memchr::memchr_iter(sep[0], b).find(|&i| b[i..].starts_with(sep))?;
    Some((&s[..at], &s[at + sep.len()..]))
}

/// `s.rsplit_once(sep)`, as [`split_once`] is.
fn rsplit_once<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let (b, sep) = (s.as_bytes(), sep.as_bytes());
    let at = memchr::memrchr_iter(sep[0], b).find(|&i| b[i..].starts_with(sep))?;
    Some((&s[..at], &s[at + sep.len()..]))
}

/// Where the attribute lines of a span go.
enum Section {
    Span,
    Event,
    Link,
}

/// Parses one `Span #N` record.
pub fn parse_span(rec: &RecordLines, needs: &Needs) -> Result<Span, RecordError> {
    let mut name: Option<String> = None;
    let (mut trace_id, mut span_id, mut parent, mut kind) = (None, None, None, None);
    let (mut start, mut end, mut status) = (None, None, None);
    let mut scope = None;
    let mut attributes = Attributes::new();
    let mut events: Vec<Event> = Vec::new();
    let mut links: Vec<Link> = Vec::new();
    let mut section = Section::Span;
    // The field a column-0 continuation line extends: span name or event name.
    let mut raw: Option<&mut String> = None;
    let mut event_name = String::new();
    let _ = &mut event_name;
    for (i, line) in rec.lines.iter().enumerate().skip(1) {
        let time = |v: &str| parse_utc(v).ok_or_else(|| invalid(i, format!("bad timestamp {v:?}")));
        if !line.starts_with('\t') && !line.is_empty() {
            match raw.as_deref_mut() {
                Some(field) => {
                    field.push('\n');
                    field.push_str(line);
                    continue;
                }
                None => return Err(invalid(i, format!("unexpected line {line:?}"))),
            }
        }
        raw = None;
        // Attribute lines first: most lines are, and no other field's prefix starts like them.
        if let Some(kv) = line.strip_prefix("\t\t ->  ") {
            let wanted = match section {
                Section::Span => needs.attribute(split_once(kv, ": ").map_or(kv, |(k, _)| k)),
                Section::Event | Section::Link => needs.events,
            };
            if !wanted {
                continue;
            }
            let kv = debug_attr(kv);
            match section {
                Section::Span => attributes.push(kv),
                Section::Event => events.last_mut().map(|e| e.attributes.push(kv)).unwrap_or(()),
                Section::Link => links.last_mut().map(|l| l.attributes.push(kv)).unwrap_or(()),
            }
        } else if let Some(v) = line.strip_prefix("\tName         : ") {
            name = Some(v.to_string());
            raw = name.as_mut();
        } else if let Some(v) = line.strip_prefix("\t\tName         : ") {
            scope = Some(parse_string(v).unwrap_or_else(|| v.to_string()));
        } else if let Some(v) = line.strip_prefix("\tTraceId      : ") {
            trace_id = Some(u128::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad trace id {v:?}")))?);
        } else if let Some(v) = line.strip_prefix("\tSpanId       : ") {
            span_id = Some(u64::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad span id {v:?}")))?);
        } else if let Some(v) = line.strip_prefix("\tParentSpanId : ") {
            parent = Some(if v.starts_with("None") {
                None
            } else {
                Some(u64::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad parent id {v:?}")))?)
            });
        } else if let Some(v) = line.strip_prefix("\tKind         : ") {
            kind = Some(match v {
                "Internal" => SpanKind::Internal,
                "Server" => SpanKind::Server,
                "Client" => SpanKind::Client,
                "Producer" => SpanKind::Producer,
                "Consumer" => SpanKind::Consumer,
                other => return Err(invalid(i, format!("unknown span kind {other:?}"))),
            });
        } else if let Some(v) = line.strip_prefix("\tStart time   : ") {
            start = Some(time(v)?);
        } else if let Some(v) = line.strip_prefix("\tEnd time     : ") {
            end = Some(time(v)?);
        } else if let Some(v) = line.strip_prefix("\tStatus       : ") {
            status = Some(match v {
                "Unset" => (StatusCode::Unset, None),
                "Ok" => (StatusCode::Ok, None),
                _ => {
                    let d = v.strip_prefix("Error { description: ").and_then(|d| d.strip_suffix(" }"));
                    let d = d.and_then(parse_string).ok_or_else(|| invalid(i, format!("unknown status {v:?}")))?;
                    (StatusCode::Error, (!d.is_empty()).then_some(d))
                }
            });
        } else if line.starts_with("\tEvent #") {
            section = Section::Event;
            events.push(Event { name: String::new(), time_ns: 0, attributes: Vec::new() });
        } else if line.starts_with("\tLink #") {
            section = Section::Link;
            links.push(Link { trace_id: 0, span_id: 0, attributes: Vec::new() });
        } else if let Some(v) = line.strip_prefix("\tName      : ") {
            let e = events.last_mut().ok_or_else(|| invalid(i, "event name outside an event"))?;
            e.name = v.to_string();
            raw = Some(&mut e.name);
        } else if let Some(v) = line.strip_prefix("\tTimestamp : ") {
            let e = events.last_mut().ok_or_else(|| invalid(i, "event timestamp outside an event"))?;
            e.time_ns = time(v)?;
        } else if let Some(v) = line.strip_prefix("\tTraceId: ") {
            let l = links.last_mut().ok_or_else(|| invalid(i, "link trace id outside a link"))?;
            l.trace_id = u128::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad link trace id {v:?}")))?;
        } else if let Some(v) = line.strip_prefix("\tSpanId : ") {
            let l = links.last_mut().ok_or_else(|| invalid(i, "link span id outside a link"))?;
            l.span_id = u64::from_str_radix(v, 16).map_err(|_| invalid(i, format!("bad link span id {v:?}")))?;
        }
        // Everything else (scope version and attributes, TraceFlags, section headers, the blank
        // line) carries nothing the model keeps.
    }
    let missing = |what: &str| invalid(0, format!("span without {what}"));
    let (status, status_message) = status.ok_or_else(|| missing("Status"))?;
    Ok(Span {
        trace_id: trace_id.ok_or_else(|| missing("TraceId"))?,
        span_id: span_id.ok_or_else(|| missing("SpanId"))?,
        parent_span_id: parent.ok_or_else(|| missing("ParentSpanId"))?,
        name: name.ok_or_else(|| missing("Name"))?,
        kind: kind.ok_or_else(|| missing("Kind"))?,
        start_ns: start.ok_or_else(|| missing("Start time"))?,
        end_ns: end.ok_or_else(|| missing("End time"))?,
        status,
        status_message,
        attributes,
        events,
        links,
        resource: rec.resource.clone(),
        scope,
    })
}

/// Parses one `Log #N` record.
pub fn parse_log(rec: &RecordLines, needs: &Needs) -> Result<LogRecord, RecordError> {
    let mut log = LogRecord {
        time_ns: None,
        observed_time_ns: None,
        severity_number: None,
        severity_text: None,
        body: Value::Empty,
        attributes: Vec::new(),
        trace_id: None,
        span_id: None,
        resource: rec.resource.clone(),
    };
    let mut complete = false;
    for (i, line) in rec.lines.iter().enumerate().skip(1) {
        let time = |v: &str| parse_utc(v).ok_or_else(|| invalid(i, format!("bad timestamp {v:?}")));
        if let Some(v) = line.strip_prefix("\t Timestamp: ") {
            log.time_ns = Some(time(v)?);
        } else if let Some(v) = line.strip_prefix("\t Observed Timestamp: ") {
            log.observed_time_ns = Some(time(v)?);
        } else if let Some(v) = line.strip_prefix("\t TraceId: ") {
            log.trace_id = u128::from_str_radix(v, 16).ok().filter(|&t| t != 0);
        } else if let Some(v) = line.strip_prefix("\t SpanId: ") {
            log.span_id = u64::from_str_radix(v, 16).ok().filter(|&s| s != 0);
        } else if let Some(v) = line.strip_prefix("\t SeverityText: ") {
            log.severity_text = Some(parse_string(v).unwrap_or_else(|| v.to_string()));
        } else if let Some(v) = line.strip_prefix("\t SeverityNumber: ") {
            log.severity_number = crate::model::severity_number(v);
        } else if let Some(v) = line.strip_prefix("\t Body: ") {
            if needs.bodies {
                log.body = parse_value(v).unwrap_or_else(|| Value::Str(v.to_string()));
            }
        } else if *line == "\t Attributes:" {
            complete = true;
        } else if let Some(kv) = line.strip_prefix("\t\t ->  ") {
            if needs.attributes {
                log.attributes.push(debug_attr(kv));
            }
        }
    }
    // `Attributes:` is always printed, last: without it the record was cut short.
    if !complete {
        return Err(invalid(0, "log record without its Attributes line"));
    }
    Ok(log)
}

/// Metric attribute values are printed with Display, untyped: integers, floats and booleans are
/// read as such, everything else stays text.
fn display_value(v: &str) -> Value {
    match display_kind(v) {
        Kind::Int(i) => Value::Int(i),
        Kind::Double(d) => Value::Double(d),
        Kind::Bool(b) => Value::Bool(b),
        Kind::Text => Value::Str(v.to_string()),
    }
}

/// What [`display_value`] reads a value as, without making its text a `String`.
#[derive(PartialEq)]
enum Kind {
    Int(i64),
    Double(f64),
    Bool(bool),
    Text,
}

fn display_kind(v: &str) -> Kind {
    if let Ok(i) = v.parse::<i64>() {
        Kind::Int(i)
    } else if let Some(d) = v.contains('.').then(|| v.parse::<f64>().ok()).flatten() {
        Kind::Double(d)
    } else if v == "true" || v == "false" {
        Kind::Bool(v == "true")
    } else {
        Kind::Text
    }
}

/// Parses one `Metric #N` record into its data points; their attributes only when `needs` says
/// (they are still checked).
pub fn parse_metric(rec: &RecordLines, needs: &Needs) -> Result<Vec<MetricPoint>, RecordError> {
    let (mut name, mut unit, mut description) = (None, String::new(), String::new());
    let mut kind = None;
    let (mut monotonic, mut temporality, mut start, mut time) = (None, None, None, None);
    let mut points: Vec<(usize, Attributes, PointBuilder)> = Vec::new();
    // The attribute a column-0 line continues (a Display value with a newline in it): its index
    // in the point's attributes, or None when they are not kept (and it is text).
    let mut raw_attr: Option<Option<usize>> = None;
    for (i, line) in rec.lines.iter().enumerate().skip(1) {
        if !line.starts_with('\t') {
            // A raw newline inside a Display value: an attribute value, or the name/description.
            match raw_attr {
                Some(Some(a)) => {
                    if let Some((_, Value::Str(s))) = points.last_mut().and_then(|(_, attrs, _)| attrs.get_mut(a)) {
                        s.push('\n');
                        s.push_str(line);
                        continue;
                    }
                }
                Some(None) => continue,
                None => {}
            }
            return Err(invalid(i, format!("unexpected line {line:?}")));
        }
        raw_attr = None;
        let f = |p: &str| line.strip_prefix(p);
        // A point's attributes and fields first: most lines are, and no metric field's prefix
        // starts with three TABs.
        if let Some(rest) = line.strip_prefix("\t\t\t\t ->  ") {
            let (_, attrs, _) = points.last_mut().ok_or_else(|| invalid(i, "attribute outside a data point"))?;
            // Exponential histograms pad the key: `key  : value`.
            let (k, v) =
                split_once(rest, ": ").ok_or_else(|| invalid(i, format!("attribute without ': ': {rest:?}")))?;
            if needs.attributes {
                attrs.push((k.trim_end().to_string(), display_value(v)));
                raw_attr = Some(Some(attrs.len() - 1));
            } else if display_kind(v) == Kind::Text {
                raw_attr = Some(None);
            }
        } else if let Some(rest) = line.strip_prefix("\t\t\t") {
            let (_, _, p) = points.last_mut().ok_or_else(|| invalid(i, "data point field outside a data point"))?;
            p.field(rest).map_err(|m| invalid(i, m))?;
        } else if let Some(v) = f("\t\tName         : ") {
            name = Some(v.to_string());
        } else if let Some(v) = f("\t\tDescription  : ") {
            description = v.to_string();
        } else if let Some(v) = f("\t\tUnit         : ") {
            unit = v.to_string();
        } else if let Some(v) = f("\t\tType         : ") {
            kind = Some(v.to_string());
        } else if let Some(v) = f("\t\tMonotonic    : ") {
            monotonic = Some(v == "true");
        } else if let Some(v) = f("\t\tTemporality  : ") {
            temporality = Some(match v {
                "Cumulative" => Temporality::Cumulative,
                "Delta" => Temporality::Delta,
                other => return Err(invalid(i, format!("unknown temporality {other:?}"))),
            });
        } else if let Some(v) = f("\t\tStartTime    : ") {
            start = Some(parse_utc(v).ok_or_else(|| invalid(i, format!("bad StartTime {v:?}")))?);
        } else if let Some(v) = f("\t\tEndTime      : ") {
            time = Some(parse_utc(v).ok_or_else(|| invalid(i, format!("bad EndTime {v:?}")))?);
        } else if line.starts_with("\t\tDataPoint #") {
            points.push((i, Vec::new(), PointBuilder::default()));
        }
    }
    let name = name.ok_or_else(|| invalid(0, "metric without Name"))?;
    let kind_text = kind.ok_or_else(|| invalid(0, "metric without Type"))?;
    let time_ns = time.ok_or_else(|| invalid(0, "metric without EndTime"))?;
    let kind = match (kind_text.as_str(), monotonic) {
        ("Sum", Some(false)) => MetricKind::UpDownCounter,
        ("Sum", _) => MetricKind::Counter,
        ("Gauge", _) => MetricKind::Gauge,
        ("Histogram", _) => MetricKind::Histogram,
        ("Exponential Histogram", _) => MetricKind::ExponentialHistogram,
        (other, _) => return Err(invalid(0, format!("unknown metric type {other:?}"))),
    };
    let mut out = Vec::with_capacity(points.len());
    for (offset, attributes, p) in points {
        let value = p.finish(kind).map_err(|m| invalid(offset, format!("metric {name:?}: {m}")))?;
        out.push(MetricPoint {
            name: name.clone(),
            unit: unit.clone(),
            description: description.clone(),
            kind,
            temporality,
            start_ns: start,
            time_ns,
            attributes,
            value,
            resource: rec.resource.clone(),
            scope: rec.scope.clone(),
        });
    }
    Ok(out)
}

#[derive(Default)]
struct PointBuilder {
    value: Option<Value>,
    count: Option<u64>,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    bounds: Vec<f64>,
    counts: Vec<u64>,
    /// The `+Infinity` bucket closes explicit buckets.
    closed: bool,
    scale: Option<i32>,
    zero_count: u64,
    positive_offset: i32,
    negative_offset: i32,
    positive: Vec<u64>,
    negative: Vec<u64>,
    in_positive: bool,
}

impl PointBuilder {
    fn field(&mut self, rest: &str) -> Result<(), String> {
        let num = |v: &str| v.trim().parse::<f64>().map_err(|_| format!("bad number {v:?}"));
        let int = |v: &str| v.trim().parse::<u64>().map_err(|_| format!("bad count {v:?}"));
        if let Some((label, v)) = rest.split_once(':').filter(|(l, _)| !l.starts_with('\t')) {
            let v = v.trim_start();
            match label.trim_end() {
                "Value" => {
                    self.value = Some(if v.contains(['.', 'e', 'E', 'N', 'i']) {
                        Value::Double(num(v)?)
                    } else {
                        Value::Int(v.parse().map_err(|_| format!("bad value {v:?}"))?)
                    })
                }
                "Count" => self.count = Some(int(v)?),
                "Sum" => self.sum = Some(num(v)?),
                "Min" => self.min = Some(num(v)?),
                "Max" => self.max = Some(num(v)?),
                "Scale" => self.scale = Some(v.parse().map_err(|_| format!("bad scale {v:?}"))?),
                "ZeroCount" => self.zero_count = int(v)?,
                "PositiveOffset" => {
                    self.positive_offset = v.parse().map_err(|_| format!("bad offset {v:?}"))?;
                    self.in_positive = true;
                }
                "NegativeOffset" => self.negative_offset = v.parse().map_err(|_| format!("bad offset {v:?}"))?,
                _ => {} // Attributes, Buckets, Base, ZeroThreshold
            }
            return Ok(());
        }
        if let Some(bucket) = rest.strip_prefix('\t') {
            if let Some(b) = bucket.strip_prefix("Bucket ") {
                // `Bucket 0 (lo, hi] : 1`
                let count = rsplit_once(b, " : ").map_or(b, |(_, c)| c);
                let list = if self.in_positive { &mut self.positive } else { &mut self.negative };
                list.push(int(count)?);
                return Ok(());
            }
            // ` lo to hi : count`, the last one `hi to +Infinity : count` without the space.
            let (range, count) = rsplit_once(bucket, " : ").ok_or_else(|| format!("bad bucket line {bucket:?}"))?;
            let (_, hi) = split_once(range.trim(), " to ").ok_or_else(|| format!("bad bucket range {range:?}"))?;
            self.counts.push(int(count)?);
            if hi == "+Infinity" {
                self.closed = true;
            } else {
                self.bounds.push(num(hi)?);
            }
        }
        Ok(())
    }

    fn finish(self, kind: MetricKind) -> Result<PointValue, String> {
        Ok(match kind {
            MetricKind::Histogram => {
                if !self.counts.is_empty() && !self.closed {
                    return Err("histogram buckets cut short (no +Infinity bucket)".into());
                }
                PointValue::Histogram {
                    count: self.count.ok_or("histogram point without Count")?,
                    sum: self.sum,
                    min: self.min,
                    max: self.max,
                    bounds: self.bounds,
                    counts: self.counts,
                }
            }
            MetricKind::ExponentialHistogram => PointValue::ExponentialHistogram {
                count: self.count.ok_or("exponential histogram point without Count")?,
                sum: self.sum,
                min: self.min,
                max: self.max,
                scale: self.scale.ok_or("exponential histogram point without Scale")?,
                zero_count: self.zero_count,
                positive_offset: self.positive_offset,
                positive: self.positive,
                negative_offset: self.negative_offset,
                negative: self.negative,
            },
            _ => match self.value.ok_or("data point without Value")? {
                Value::Int(i) => PointValue::Int(i),
                Value::Double(d) => PointValue::Double(d),
                _ => unreachable!("values are read as numbers"),
            },
        })
    }
}
