//! Streams whose lines are wrapped (`docker compose logs`, `kubectl logs --prefix`, CRI files,
//! journald, `--timestamps`, colours), read in bounded memory as plain streams are: the stream
//! is taken a chunk of whole lines at a time, the wrappers recognised on its first lines are taken
//! off them (a line in parts joined across chunks), and each source's lines are a stream of their
//! own, cut where a record starts and read in pieces ([`Pieces`]), its errors put back at the
//! capture's lines. Read whole, a 1 GB compose capture held its copy and each line's number.

use std::collections::VecDeque;

use super::super::wrappers::{Carry, Unwrapped, Wrapping};
use super::super::{Pieces, Report, Sink, add, text};
use super::{Head, StreamEnd, last_start};
use crate::parse::Format;

/// One source's lines not read yet, and its reading so far.
struct Source<'c, S: Sink> {
    name: String,
    pieces: Pieces<'c, S>,
    /// Whole lines not read yet, and the capture's number of each.
    pending: Vec<u8>,
    numbers: VecDeque<u64>,
    /// The source's lines read so far.
    read: u64,
    /// What `pending` must reach before a record start is looked for again: a search that found
    /// none waits for as much again (each frames all that is pending).
    next_look: usize,
}

impl<S: Sink> Source<'_, S> {
    /// Reads the first `cut` bytes of what is pending (`last`: all of it, the end of the input).
    fn piece(&mut self, cut: usize, last: bool) -> anyhow::Result<()> {
        let before = self.pieces.errors().len();
        let (piece, next) = self.pending.split_at(cut);
        self.pieces.piece(piece, next, last, None)?;
        // Errors name the source's lines, counted from its first: the capture's instead.
        let (read, numbers) = (self.read, &self.numbers);
        self.pieces.renumber(before, |line| {
            line.checked_sub(read + 1).and_then(|i| numbers.get(i as usize)).copied().unwrap_or(line)
        });
        let lines = memchr::memchr_iter(b'\n', piece).count();
        self.numbers.drain(..lines.min(self.numbers.len()));
        self.read += lines as u64;
        self.pending.drain(..cut);
        self.next_look = 0;
        Ok(())
    }
}

/// Reads a wrapped stream (see the module's text), `source` from its start. A thread of its own
/// reads and unwraps it, a quarter of a chunk at a time, while the sources' pieces are read.
#[allow(clippy::too_many_arguments)]
pub(super) fn ingest<S: Sink>(
    name: &str,
    source: Head<'_>,
    config: &S::Config,
    only: Option<Format>,
    wrapping: Wrapping,
    chunk: usize,
    longest: usize,
    mut end: StreamEnd,
) -> anyhow::Result<(Report, S, StreamEnd)> {
    let mut sources: Vec<Source<S>> = Vec::new();
    let mut found: Vec<(&'static str, usize)> = Vec::new();
    let read = std::thread::scope(|scope| -> anyhow::Result<Read> {
        // One batch of lines waits while one is read: memory stays a few batches.
        let (send, batches) = std::sync::mpsc::sync_channel(1);
        let reading = scope.spawn(move || unwrap_lines(source, wrapping, (chunk / 4).max(1), longest, send));
        for unwrapped in batches.iter() {
            route(&mut sources, &mut found, unwrapped, name, config, only);
            // Each source cut once it holds its share of half a chunk, so that the pending lines
            // of all stay about half a chunk (a chunk's share took 289-294 MB for 1 GB of two
            // compose services; half, 175-238 MB).
            let share = (chunk / 2 / sources.len().max(1)).max(1);
            for s in sources.iter_mut().filter(|s| s.pending.len() >= share.max(s.next_look)) {
                match s.pieces.record_start(&s.pending) {
                    Some(at) => s.piece(at, false)?,
                    // (Longer than `longest`: a source's lines may be a byte longer than the
                    // input that held them, a last line given its line break; a forced cut at
                    // that length cut a whole input that a file reads uncut: a fuzz finding.)
                    None if s.pending.len() > longest => {
                        let at = last_start(&s.pending).filter(|at| *at > 0).unwrap_or(s.pending.len());
                        s.piece(at, false)?;
                    }
                    None => s.next_look = 2 * s.pending.len(),
                }
            }
        }
        reading.join().map_err(|_| anyhow::anyhow!("{name}: the reading thread failed"))
    })?;
    for s in &mut sources {
        s.piece(s.pending.len(), true)?;
    }
    end.bytes += read.bytes;
    end.lines = read.lines;
    if read.cut.is_some() {
        end.cut = read.cut;
    }
    // The sources' readings as one, as a whole read of the capture gives it.
    let several = sources.iter().filter(|s| !s.name.is_empty()).count() > 1;
    let mut all: Option<(Report, S)> = None;
    for s in sources {
        let (mut report, sink, piece_end) = s.pieces.finish();
        end.pieces += piece_end.pieces;
        if several && !s.name.is_empty() {
            report.sources.push(s.name);
        }
        all = Some(match all {
            None => (report, sink),
            Some(before) => add(before, (report, sink)),
        });
    }
    let (mut report, sink) = all.unwrap_or_else(|| (Report::default(), S::new(config)));
    report.errors.sort_by_key(|e| e.line);
    report.wrappers = found;
    Ok((report, sink, end))
}

/// What the reading thread read: bytes, lines (a last one without its line break counts), and
/// the error that ended the stream, if one did.
struct Read {
    bytes: u64,
    lines: u64,
    cut: Option<String>,
}

/// Reads `source` `step` bytes at a time, and sends its whole lines unwrapped (a line in parts
/// waits for its last), until the stream ends or nobody takes them.
fn unwrap_lines(
    mut source: Head<'_>,
    wrapping: Wrapping,
    step: usize,
    longest: usize,
    send: std::sync::mpsc::SyncSender<Unwrapped>,
) -> Read {
    let mut read = Read { bytes: 0, lines: 0, cut: None };
    let mut carry = Carry::default();
    let mut buf: Vec<u8> = Vec::new();
    // Whether the last byte read was a line break.
    let mut ended_line = true;
    loop {
        let (eof, error) = source.read_into(&mut buf, step);
        if let Some(e) = error {
            read.cut = Some(e.to_string());
        }
        let complete = match memchr::memrchr(b'\n', &buf) {
            _ if eof => buf.len(),
            Some(nl) => nl + 1,
            // A line longer than `longest` (none that a wrapper writes) is taken in parts.
            None if buf.len() >= longest => buf.len(),
            None => continue,
        };
        let whole = &buf[..complete];
        read.bytes += whole.len() as u64;
        if let Some(&b) = whole.last() {
            ended_line = b == b'\n';
        }
        // A stream ending inside a character is read as a file is: that character dropped.
        let taken = if eof { text::without_cut_char(whole) } else { whole };
        // (Nothing is no line: an empty text split is one empty line.)
        if !taken.is_empty() && send.send(wrapping.split_more(taken, read.lines, &mut carry)).is_err() {
            return read;
        }
        read.lines += memchr::memchr_iter(b'\n', whole).count() as u64;
        buf.drain(..complete);
        if eof {
            read.lines += u64::from(!ended_line);
            let _ = send.send(carry.finish());
            return read;
        }
    }
}

/// Each source's unwrapped lines to what it has pending, and what was taken off counted.
fn route<'c, S: Sink>(
    sources: &mut Vec<Source<'c, S>>,
    found: &mut Vec<(&'static str, usize)>,
    unwrapped: Unwrapped,
    name: &str,
    config: &'c S::Config,
    only: Option<Format>,
) {
    for source in unwrapped.sources {
        let at = match sources.iter().position(|s| s.name == source.name) {
            Some(at) => at,
            None => {
                sources.push(Source {
                    name: source.name,
                    pieces: Pieces::new(name, config, only),
                    pending: Vec::new(),
                    numbers: VecDeque::new(),
                    read: 0,
                    next_look: 0,
                });
                sources.len() - 1
            }
        };
        let s = &mut sources[at];
        s.pending.extend_from_slice(&source.text);
        s.numbers.extend(source.lines);
    }
    super::super::wrappers::add_found(found, unwrapped.found);
}
