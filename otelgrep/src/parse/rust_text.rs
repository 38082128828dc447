//! Rust `opentelemetry-stdout` 0.33 text: `Spans`, `Metrics` and `Logs` blocks of `Span #N`,
//! `Metric #N` and `Log #N` records (see shared/FORMATS.md §3).
//!
//! Two halves. [`Framer`] assigns lines to records by their shape alone: span lines are TAB-
//! indented, log lines `TAB SPACE`, metric lines two TABs or more, and `TAB TAB " ->  "` is an
//! attribute of a span or a log, never of a metric. That is what recovers a span whose remaining
//! lines resume after another signal's block cut into it (exporters that do not lock stdout). A
//! column-0 line that fits nothing continues the previous raw value (span and event names are
//! printed unescaped), unless it looks like an app's log line. The `parse_*` functions
//! (`record.rs`) then turn one record's lines into model values, and know nothing of framing.
//! `cuts.rs` holds where a stream may be cut into pieces; [`Carry`] is what the framer of the
//! next piece starts from.

use std::sync::Arc;

use super::rust_debug::{parse_string, parse_value};
use super::{RecordLines, Resources, Signal};
use crate::model::{Resource, Scope, Value};

mod carry;
mod cuts;
mod record;

use carry::{BLOCK_RESOURCE, Inherited, PRINTED, RESOURCE, SCOPE};
pub use carry::{Carry, Open, Stale};
pub use cuts::{Search, is_structure, last_cut};
pub use record::{parse_log, parse_metric, parse_span};

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
    scope: Option<Arc<Scope>>,
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
    /// What of the state it was resumed from the framer read, and what it set.
    inherited: Inherited,
    /// Finished records, in order.
    pub done: Vec<RecordLines<'a>>,
    /// Indices in `done` of the records still open when the input ended or another format's
    /// record began: if one of them is incomplete, it was cut short there.
    pub open_at_end: Vec<usize>,
    /// Indices in `done` of the records the input ended inside the last line of
    /// ([`Framer::finish_inside`]): cut short, not read.
    pub cut: Vec<usize>,
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

/// Whether a line (without its newline) is one that [`Framer::feed`] gives to the current
/// record of `signal` and that no other framer wants: TAB-indented, of the record's shape (see
/// `rest`'s `fits`) or a span's empty line, not an OTLP request indented by a TAB.
pub fn continues(signal: Signal, l: &[u8]) -> bool {
    // An empty line is a span's (spans print one after their scope).
    if l.is_empty() {
        return signal == Signal::Spans;
    }
    l[0] == b'\t'
        && !brace_after_indent(l)
        && match signal {
            Signal::Spans => !l.starts_with(b"\t ") && !l.starts_with(b"\t\t\t\t"),
            Signal::Logs => l.starts_with(b"\t ") || l.starts_with(b"\t\t ->  "),
            Signal::Metrics => l.starts_with(b"\t\t") && !l.starts_with(b"\t\t ->  "),
        }
}

/// Whether a line's first byte past its TABs and spaces opens an object or an array: it may be an
/// indented OTLP request (`\t{"resourceSpans": ...}`), which the OTLP reader looks at first.
pub fn brace_after_indent(l: &[u8]) -> bool {
    matches!(l.iter().find(|&&b| b != b'\t' && b != b' '), Some(b'{' | b'['))
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
    /// A framer that goes on from where another stopped ([`Framer::carry`]).
    pub fn resume(carry: &Carry) -> Self {
        let Carry { block, resources, scope, printed, block_resource, open: _, inherited: _ } = carry.clone();
        Framer { block, resources, scope, printed, block_resource, ..Framer::default() }
    }

    /// The state a next piece starts from, where the text was cut before a block header or a
    /// record start: the sections still open are ended first, as that line ends them (`open`
    /// says what was open before, a section included).
    /// `other_open`: another format's record was still open at the end.
    pub fn carry(&mut self, resources: &mut Resources, other_open: bool) -> Carry {
        let open = self.open(other_open);
        self.end_resource(resources);
        self.end_scope();
        Carry {
            block: self.block,
            resources: self.resources.clone(),
            scope: self.scope.clone(),
            printed: self.printed.clone(),
            block_resource: self.block_resource,
            open,
            inherited: self.inherited,
        }
    }

    /// What is open now (`other_open`: another format's record).
    pub fn open(&self, other_open: bool) -> Open {
        Open {
            block: self.block,
            current: self.current.as_ref().map(|c| c.signal),
            suspended: self.suspended.as_ref().map(|s| s.signal),
            section: self.resource_lines.is_some() || self.scope_lines.is_some(),
            other: other_open,
        }
    }

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
            self.inherited.set(BLOCK_RESOURCE);
            return Some(Fed::Taken);
        }
        if line == "Resource" && self.block.is_some() {
            // A section left open by another `Resource` line is ended by it: it was printed too.
            self.end_resource(resources);
            self.block_resource = true;
            self.inherited.set(BLOCK_RESOURCE);
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
            // Whether the block printed its resource matters once several were printed (and is
            // read only then: a region framed from a guess of it is checked against what it read).
            if signal != Signal::Metrics {
                self.inherited.read(Inherited::of(PRINTED, signal));
                if self.printed[index(signal)].len() > 1 {
                    self.inherited.read(BLOCK_RESOURCE);
                    if !self.block_resource {
                        self.unattributed += 1;
                    }
                }
            }
            self.inherited.read(Inherited::of(RESOURCE, signal));
            let resource = self.resources[index(signal)].clone();
            let scope = if signal == Signal::Metrics {
                self.inherited.read(SCOPE);
                self.scope.clone()
            } else {
                None
            };
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

    /// The signal of the record whose lines a run may go on with ([`continues`]), if the framer
    /// is where nothing but that record takes a TAB line: inside it, no resource or scope
    /// section open.
    pub fn run_signal(&self) -> Option<Signal> {
        if self.resource_lines.is_some() || self.scope_lines.is_some() {
            return None;
        }
        self.current.as_ref().map(|c| c.signal).filter(|&s| Some(s) == self.block)
    }

    /// A line that [`continues`] the current record, as feeding it would take it (the framer
    /// checked [`Framer::run_signal`] first).
    pub fn take_line(&mut self, line: &'a str) {
        if let Some(cur) = self.current.as_mut() {
            cur.lines.push(line);
            self.last_line = Some(line);
            self.previous_foreign = false;
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

    /// A block header or record start of the next piece of a stream follows, where a stream is
    /// cut ([`last_cut`]): the current record ends as that line would end it, and so
    /// does a record it suspended (a record start of its signal finishes it; at a header, none
    /// is suspended).
    pub fn end_block(&mut self) {
        self.finish_current();
        self.finish_suspended();
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
            let r = resources.intern_lines(&lines, || parse_resource(&lines));
            self.inherited.read(Inherited::of(PRINTED, block));
            self.inherited.set(Inherited::of(PRINTED, block) | Inherited::of(RESOURCE, block));
            let printed = &mut self.printed[index(block)];
            if !printed.iter().any(|p| **p == *r) {
                printed.push(r.clone());
            }
            self.resources[index(block)] = r;
        }
    }

    fn end_scope(&mut self) {
        if let Some(lines) = self.scope_lines.take() {
            // `Name` unquoted, `Version` quoted (Display and Debug): either is read.
            let field = |label: &str| {
                let v = lines.iter().find_map(|l| l.strip_prefix(label))?;
                Some(parse_string(v).unwrap_or_else(|| v.to_string()))
            };
            let (name, version) = (field("\t\tName         : "), field("\t\tVersion  : "));
            self.scope = Scope::new(name.as_deref().unwrap_or(""), version.as_deref().unwrap_or(""));
            self.inherited.set(SCOPE);
        }
    }

    /// Ends the input: every record still open is finished, the input stopping inside its last
    /// line `partial` when there is one (no line break after it: a killed process, a file cut short).
    /// The record that line goes on stops anywhere (`http.route: String(Owne`) and is cut: the
    /// one that took it, or (a TAB line none took: `\t` alone fits no record yet) the current
    /// one. A column-0 line a record took as the rest of a raw value, and that starts like a
    /// header or record start (`Met`), may be either: it is taken as the next one's start, left
    /// out of the record, and counted as a foreign line (how many such: 0 or 1).
    pub fn finish_inside(&mut self, resources: &mut Resources, partial: Option<&str>) -> usize {
        self.end_resource(resources);
        let mut foreign = 0;
        let mut cut = [false, false];
        if let Some(partial) = partial {
            let words = ["Spans", "Metrics", "Logs", "Resource", "Span #", "Log #", "Metric #"];
            let header_start = !partial.starts_with('\t') && words.iter().any(|w| w.starts_with(partial));
            let took = |r: &RecordLines| r.lines.last().is_some_and(|l| std::ptr::eq(*l, partial));
            for (i, rec) in [self.current.as_mut(), self.suspended.as_mut()].into_iter().enumerate() {
                match rec {
                    Some(rec) if took(rec) && header_start && rec.lines.len() > 1 => {
                        rec.lines.pop();
                        foreign = 1;
                    }
                    Some(rec) if took(rec) => cut[i] = true,
                    _ => {}
                }
            }
            let none_took = [&self.current, &self.suspended].iter().all(|r| r.as_ref().is_none_or(|r| !took(r)));
            cut[0] |= none_took && partial.starts_with('\t') && self.current.is_some();
        }
        for (rec, cut) in [self.current.take(), self.suspended.take()].into_iter().zip(cut) {
            if let Some(rec) = rec {
                if cut {
                    self.cut.push(self.done.len());
                }
                self.open_at_end.push(self.done.len());
                self.done.push(rec);
            }
        }
        foreign
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
    /// Whether another format's record may start here with nothing of the Rust text left open
    /// across it but a current record, which the record ends: no suspended record, no section.
    fn quiet_for_record(&self) -> bool {
        self.suspended.is_none() && self.resource_lines.is_none() && self.scope_lines.is_none()
    }

    /// Whether nothing at all is open (a Collector tree's lines do not end a Rust record).
    fn quiet(&self) -> bool {
        self.current.is_none() && self.quiet_for_record()
    }

    /// Whether a block of `signal` starting now interrupts the current record ([`Open`]'s rule).
    fn interrupted_by(&self, signal: Signal) -> bool {
        self.open(false).interrupted_by(signal)
    }
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
