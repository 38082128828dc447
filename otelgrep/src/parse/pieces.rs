//! A stream's reading between its pieces (`Pieces`): what was read so far, and what the next
//! piece needs of the ones before (where a Rust text's framer stopped). `stream.rs` hands it the pieces its
//! reading thread cuts; `--follow` (`live/`) the pieces of a growing input as they arrive, and
//! asks it what the records complete so far add up to.

use super::Ending;
use super::layers::{AsIs, ingest_text, join};
use super::stream::{StreamEnd, first_line, record_start_before};
use super::{Format, Ranged, Report, Sink, text};

/// What [`Pieces::settled`] made of the end of a growing input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// This many bytes were read.
    Taken(usize),
    /// A record is still being written: nothing read until more comes.
    Unfinished,
    /// Complete as far as can be told, but without end marks: tried again once the writer paused.
    Wait,
}

/// A stream's reading between its pieces: what was read so far, and what the next piece needs of
/// the ones before (where a Rust text's framer stopped). [`ingest_stream`] hands it the pieces its reading
/// thread cut; `--follow` the pieces of a growing input as they arrive.
pub struct Pieces<'c, S: Sink> {
    name: String,
    config: &'c S::Config,
    only: Option<Format>,
    /// Where the Rust text framer stopped at the end of the last piece: the next starts there.
    carry: Option<super::rust_text::Carry>,
    all: Option<(Report, Ranged<S>)>,
    /// Whether a piece held Rust text: where a growing input is cut looks for it from then on.
    rust: bool,
    /// Whether a piece was read repaired: each piece is checked first from then on.
    suspect: bool,
    /// Whether the last piece ended inside a line, and how many lines were counted twice for it.
    open_line: bool,
    report_fix: usize,
    pub end: StreamEnd,
}

impl<'c, S: Sink> Pieces<'c, S> {
    pub fn new(name: &str, config: &'c S::Config, only: Option<Format>) -> Self {
        Pieces {
            name: name.to_string(),
            config,
            only,
            carry: None,
            all: None,
            rust: false,
            suspect: false,
            open_line: false,
            report_fix: 0,
            end: StreamEnd::default(),
        }
    }

    /// Where the last record of `buf` starts (see [`record_start_before`]): a growing input is
    /// cut there, and what follows waits for the rest of its record.
    pub fn record_start(&self, buf: &[u8]) -> Option<usize> {
        record_start_before(buf, self.only, &mut self.rust.clone()).filter(|at| *at > 0)
    }

    /// The records that could not be read so far.
    pub fn errors(&self) -> &[super::ParseError] {
        self.all.as_ref().map_or(&[], |(r, _)| &r.errors)
    }

    /// The errors after the first `from` put at other lines (a source's lines at the capture's).
    pub(super) fn renumber(&mut self, from: usize, line: impl Fn(u64) -> u64) {
        if let Some((report, _)) = &mut self.all {
            report.errors.iter_mut().skip(from).for_each(|e| e.line = line(e.line));
        }
    }

    /// Reads `piece`, which `next` follows in the input (the start of a record, or nothing); `last`
    /// when the input ends with it. `lines`: its line breaks, when counted already.
    pub fn piece(&mut self, piece: &[u8], next: &[u8], last: bool, lines: Option<u64>) -> anyhow::Result<()> {
        // A stream ending inside a character (a killed process) is read as a file is: that
        // character dropped, not the last piece repaired as a copy.
        let body = if last { text::without_cut_char(piece) } else { piece };
        let read = self.read(body, next, last)?;
        self.keep_piece(piece, read, last, lines);
        Ok(())
    }

    /// Reads `piece`, which `next` follows (a Rust block header or record start), and keeps what
    /// it read only if nothing was left open across that line ([`super::rust_text::Carry::clean_before`]):
    /// the piece was cut there without being framed first. `false` when something was (the
    /// piece is to be cut elsewhere; nothing of it was kept).
    pub fn piece_if_clean(&mut self, piece: &[u8], next: &[u8], lines: Option<u64>) -> anyhow::Result<bool> {
        let read = self.read(piece, next, false)?;
        let line = next.split(|b| *b == b'\n').next().unwrap_or_default();
        if !read.0.carry.as_ref().is_some_and(|c| c.clean_before(line)) {
            return Ok(false);
        }
        self.keep_piece(piece, read, false, lines);
        Ok(true)
    }

    /// A piece's reading kept, the piece counted (and how the input begins, from the first).
    fn keep_piece(&mut self, piece: &[u8], read: (Report, Ranged<S>), last: bool, lines: Option<u64>) {
        if self.end.first_line.is_empty() {
            self.end.first_line = first_line(piece).to_vec();
        }
        self.end.pieces += 1;
        self.keep(piece, read, last, lines);
    }

    /// Adds what `piece` gave to what was read so far, with its lines and bytes.
    fn keep(&mut self, piece: &[u8], mut read: (Report, Ranged<S>), last: bool, lines: Option<u64>) {
        self.rust |= read.0.rust_text;
        if let Some(carry) = read.0.carry.take() {
            self.carry = Some(carry);
        }
        self.all = Some(join(self.all.take(), read));
        self.end.lines += lines.unwrap_or_else(|| memchr::memchr_iter(b'\n', piece).count() as u64);
        self.end.bytes += piece.len() as u64;
        if !piece.is_empty() {
            // A piece cut inside a line (a line longer than a piece): the line goes on in the
            // next piece, and was counted as a foreign line there too.
            if self.open_line {
                self.report_fix += 1;
            }
            self.open_line = !piece.ends_with(b"\n");
        }
        if last {
            // A last line without its line break is a line too.
            self.end.lines += u64::from(self.open_line);
        }
    }

    /// `piece` read after what was read so far, its errors at the lines of the whole input.
    fn read(&mut self, piece: &[u8], next: &[u8], last: bool) -> anyhow::Result<(Report, Ranged<S>)> {
        let decoded = text::without_mark(piece);
        let ending = if last || next.is_empty() { Ending::Input } else { Ending::before(next) };
        let around = (ending, self.carry.as_ref());
        let as_is = if self.suspect { AsIs::Suspect } else { AsIs::Text };
        let (mut report, ranged) =
            ingest_text::<S>(&self.name, decoded, self.config, self.only, &|_, _| {}, around, as_is)?;
        self.suspect |= report.repaired;
        for e in &mut report.errors {
            e.line += self.end.lines;
        }
        Ok((report, ranged))
    }

    /// Reads `text` (whole lines) as the end of the input, keeping it only when every record
    /// in it reads: a growing input whose records are all complete. Records with an end mark
    /// (JSON objects and lines) are taken at once. Rust blocks and Collector trees have none (a
    /// block cut between two lines reads cleanly), and an unlocked exporter may resume a record
    /// after another signal's block: only when the writer has `paused` are the blocks before
    /// the last header taken (the last waits for the next header, or the end of the input).
    pub fn settled(&mut self, text: &[u8], paused: bool) -> anyhow::Result<Settled> {
        let read = self.read(text, &[], true)?;
        if !read.0.errors.is_empty() {
            return Ok(Settled::Unfinished);
        }
        if unmarked(&read.0) || holds_tree(text) {
            if !paused {
                return Ok(Settled::Wait);
            }
            let Some(at) = last_header(text) else { return Ok(Settled::Unfinished) };
            self.piece(&text[..at], &text[at..], false, None)?;
            return Ok(Settled::Taken(at));
        }
        self.keep(text, read, false, None);
        Ok(Settled::Taken(text.len()))
    }

    /// What was read so far, and the records of `tail` (whole lines after the last cut) that
    /// are complete: read as the end of the input, up to the first record it finds cut short.
    /// With `marked_only`, a tail holding a Rust block or Collector tree (records without an end
    /// mark, which may still grow) is left out: a listing prints each record once.
    pub fn so_far(&mut self, tail: &[u8], marked_only: bool) -> anyhow::Result<(Report, S)>
    where
        S: Clone,
    {
        let mut all = self.all.clone();
        let mut tail = tail;
        // A record cut short is reported at its first line: the tail is tried again without it.
        for _ in 0..4 {
            if tail.is_empty() {
                break;
            }
            let read = self.read(tail, &[], true)?;
            let Some(first) = read.0.errors.first() else {
                if !(marked_only && unmarked(&read.0)) {
                    all = Some(join(all, read));
                }
                break;
            };
            let line = first.line.saturating_sub(self.end.lines).saturating_sub(1) as usize;
            let start: usize = tail.split_inclusive(|b| *b == b'\n').take(line).map(<[u8]>::len).sum();
            if start >= tail.len() {
                break;
            }
            tail = &tail[..start];
        }
        Ok(self.total(all))
    }

    /// Everything read, as one report and sink.
    pub fn finish(mut self) -> (Report, S, StreamEnd) {
        let all = self.all.take();
        let (report, sink) = self.total(all);
        (report, sink, self.end)
    }

    fn total(&self, all: Option<(Report, Ranged<S>)>) -> (Report, S) {
        let (mut report, ranged) = all.unwrap_or_else(|| (Report::default(), Ranged::new(self.config)));
        report.foreign_lines = report.foreign_lines.saturating_sub(self.report_fix);
        report.range = ranged.range;
        report.in_window = ranged.in_window;
        (report, ranged.inner)
    }
}

/// Two readings of one input, one after the other, as one.
pub fn add<S: Sink>((mut report, mut sink): (Report, S), (later, more): (Report, S)) -> (Report, S) {
    let range = match (report.range, later.range) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (r, s) => r.or(s),
    };
    let in_window = report.in_window + later.in_window;
    report.merge(later);
    report.range = range;
    report.in_window = in_window;
    sink.merge(more);
    (report, sink)
}

/// Whether a reading holds records without an end mark: Rust blocks, Collector trees.
fn unmarked(report: &Report) -> bool {
    report.rust_text || report.records.iter().any(|(f, _)| *f == Format::CollectorDebug)
}

/// Whether a text holds a Collector tree's header: a tree whose records are not written yet reads
/// as no record, and taken as read, its records came after it without their header (foreign
/// lines, or a `Metric #1` read as Rust text: a new-user check's finding).
fn holds_tree(text: &[u8]) -> bool {
    text.split(|b| *b == b'\n')
        .filter_map(|l| std::str::from_utf8(l.strip_suffix(b"\r").unwrap_or(l)).ok())
        .any(|l| super::collector_debug::tree_start(l).is_some())
}

/// Where the last line `Spans`, `Metrics` or `Logs` (a Rust block header) starts, if after the
/// first line.
fn last_header(text: &[u8]) -> Option<usize> {
    let mut end = text.len();
    while let Some(nl) = memchr::memrchr(b'\n', &text[..end]) {
        let line = &text[nl + 1..end];
        if matches!(line.strip_suffix(b"\r").unwrap_or(line), b"Spans" | b"Metrics" | b"Logs") && nl + 1 < text.len() {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}
