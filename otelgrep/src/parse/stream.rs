//! Streams (standard input, pipes, compressed files): read once, in bounded memory. A thread of
//! its own reads blocks while the pieces before them are parsed, so a pipe's writer is never kept
//! waiting for the parse; pieces are cut where a record starts and each is read through the layers
//! like a small file (`layers.rs`). What a later piece needs of an earlier one (where a Rust
//! text's framer stopped) is carried on to it (`pieces.rs`). Wrapped lines: `stream/wrapped.rs`.

use std::io::Read;
use std::sync::mpsc;

use super::pieces::Pieces;
use super::{Format, Report, Sink, go_json, ingest, otlp_json, otlp_proto, python_json, wrappers};
use propose::Proposals;

/// What reading a stream found besides its records: what `no telemetry found` and a cut
/// compressed stream report.
#[derive(Debug, Default)]
pub struct StreamEnd {
    /// Lines read (a last line without its line break counts).
    pub lines: u64,
    pub first_line: Vec<u8>,
    pub bytes: u64,
    /// Pieces it was read in (one when read whole).
    pub pieces: u64,
    /// Why the stream stopped early, when it did (a read or decompression error).
    pub cut: Option<String>,
}

/// Bytes read before a piece is cut off and read: memory stays at about three times this (the
/// piece, the next one being read, and a piece grown for a long record, or a repaired copy). 64 MB
/// pieces read no faster (2 GB of Flask on standard input, six runs each alternated: 1.30-1.43 s
/// against 1.30-1.47) and took about twice the memory: 148 MB against 84 on that stream, 320
/// against 191-234 on 1 GB of Rust text with a Latin-1 line every 20 MB, 224 against 126 for a
/// 1 GiB gzip bomb.
pub const STREAM_CHUNK: usize = 32 << 20;

/// The longest piece: a record longer than this (none that an exporter writes) is cut, so that a
/// stream without line breaks (a gzip bomb of zeros) cannot grow the buffer without bound. Not
/// tied to [`STREAM_CHUNK`]: halved with it, a 65 MiB OTLP line on standard input was cut where
/// the file read it whole (a new-user check). 128 MiB, as it was, took a 1 GiB gzip bomb to
/// 251 MiB: the buffer grown from 64 MiB to 128, and what it grew from still held.
pub const LONGEST_PIECE: usize = 96 << 20;

/// Lines in `bytes`, as `wc -l` counts them and a last line without its line break too.
pub fn line_count(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64 + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}

/// The first line that is not blank (at most 200 bytes of it): how an input begins.
pub fn first_line(bytes: &[u8]) -> &[u8] {
    let first = bytes.split(|b| *b == b'\n').find(|l| !l.trim_ascii().is_empty()).unwrap_or_default();
    &first[..first.len().min(200)]
}

/// The reading side of a stream, on a thread of its own: it is handed a buffer and a length to
/// fill it to, and hands it back filled (or at the end of the stream). Two buffers take turns:
/// one is filled while the piece in the other is parsed, and bytes are read straight into the
/// buffer they are parsed from, never copied but for the start of a record a cut falls in.
struct Filler {
    ask: mpsc::Sender<(Vec<u8>, usize)>,
    filled: mpsc::Receiver<Filled>,
}

/// A buffer handed back: its bytes, whether the stream ended, the error that ended it, where
/// it may be cut and the line breaks before that (found on the reading thread, beside the
/// parse).
type Filled = (Vec<u8>, bool, Option<std::io::Error>, Option<Cut>, u64);

/// Where the reading thread would cut a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Where a record starts with nothing left open across it ([`record_start_before`]).
    Clean(usize),
    /// A Rust block header or record start, found without framing: the read of the piece before
    /// it says whether a record runs on across it ([`Pieces::piece_if_clean`]).
    Proposed(usize),
}

impl Cut {
    fn at(self) -> usize {
        match self {
            Cut::Clean(at) | Cut::Proposed(at) => at,
        }
    }
}

/// Line breaks in `bytes`.
fn line_breaks(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl Filler {
    /// Starts filling `buf` up to `upto` bytes.
    fn start(&self, buf: Vec<u8>, upto: usize) {
        let _ = self.ask.send((buf, upto));
    }

    /// The buffer asked for last, filled, and whether the stream ended (an error ends it, and is
    /// kept in `end`).
    fn wait(&self, end: &mut StreamEnd) -> (Vec<u8>, bool, Option<Cut>, u64) {
        match self.filled.recv() {
            Ok((buf, eof, error, start, lines)) => {
                if let Some(e) = error {
                    end.cut = Some(e.to_string());
                }
                (buf, eof, start, lines)
            }
            Err(_) => (Vec::new(), true, None, 0),
        }
    }

    /// `buf` filled up to `upto`, waited for.
    fn fill(&self, buf: Vec<u8>, upto: usize, end: &mut StreamEnd) -> (Vec<u8>, bool, Option<Cut>, u64) {
        self.start(buf, upto);
        self.wait(end)
    }
}

/// The reading thread: fills the buffers it is handed until the stream ends, or nobody asks.
/// A buffer of Rust text is cut where `proposals` say, found without framing.
fn fill_buffers(
    mut source: Head<'_>,
    only: Option<Format>,
    proposals: &Proposals,
    asked: mpsc::Receiver<(Vec<u8>, usize)>,
    filled: mpsc::Sender<Filled>,
) {
    // Whether Rust text was read yet: every byte of the stream passes here once or more.
    let mut rust = false;
    while let Ok((mut buf, upto)) = asked.recv() {
        let want = upto.saturating_sub(buf.len());
        buf.reserve(want);
        let (eof, error) = source.read_into(&mut buf, want);
        let start = if eof { None } else { proposals.cut(&buf, only, &mut rust) };
        // Counted here rather than by the thread that frames (a tenth of its time on Rust text).
        let lines = start.map_or(0, |c| line_breaks(&buf[..c.at()]));
        if filled.send((buf, eof, error, start, lines)).is_err() || eof {
            return;
        }
    }
}

/// Reads a stream (standard input, a compressed file) piece by piece in bounded memory: each
/// piece ends where a record starts (a line `{`, `{"…`, `Spans`, `Metrics` or `Logs`), is read
/// as a text of its own, and the Rust text framer of the next piece starts where the last one
/// stopped (its blocks' resources). Wrapped lines are unwrapped first, each source's lines a
/// stream of their own (`stream/wrapped.rs`). A stream that needs the text layer (UTF-16) or is
/// binary OTLP is read whole, as a file would be.
pub fn ingest_stream<S: Sink>(
    name: &str,
    reader: &mut (dyn Read + Send),
    config: &S::Config,
    only: Option<Format>,
    chunk: usize,
    longest: usize,
) -> anyhow::Result<(Report, S, StreamEnd)> {
    let mut end = StreamEnd::default();
    // Wrappers are recognised on an input's first lines, as a file's are: those lines are read
    // first and looked at (a colour code on the 9th line of a stream read 62 bytes at a time was
    // not seen, where the file took its colours off: a fuzz finding), then read again as the
    // first pieces, which are cut as any others are.
    let (mut head, eof) = read_head(reader, chunk, longest, &mut end);
    end.first_line = first_line(&head).to_vec();
    let whole = head.starts_with(&[0xff, 0xfe])
        || head.starts_with(&[0xfe, 0xff])
        || (only.is_none_or(|o| o == Format::OtlpProto) && otlp_proto::may_be_binary(&head));
    // Wrapped lines are unwrapped as they come, past a mark in front (a file's text drops it
    // before its wrappers are looked for).
    let marked = head.starts_with(UTF8_BOM);
    // Looked for as a file's are: past the mark, and (a whole input) without a cut last
    // character, which a file drops first (a lone lead byte was a line of the sample, and the
    // colours of a one-line file were not taken off in a stream: a fuzz finding).
    let sample = &head[if marked { 3 } else { 0 }..];
    let sample = if eof { super::text::without_cut_char(sample) } else { sample };
    let wrapping = if whole { None } else { wrappers::recognise(sample) };
    if let Some(wrapping) = wrapping {
        if marked {
            head.drain(..UTF8_BOM.len());
            end.bytes += UTF8_BOM.len() as u64;
        }
        let source = Head { head, at: 0, rest: if eof { None } else { Some(reader) } };
        return wrapped::ingest::<S>(name, source, config, only, wrapping, chunk, longest, end);
    }
    if whole {
        if !eof && let Err(e) = reader.read_to_end(&mut head) {
            end.cut = Some(e.to_string());
        }
        end.lines = line_count(&head);
        end.bytes = head.len() as u64;
        end.pieces = 1;
        let (report, sink) = ingest(name, &head, config, only, &|_, _| {})?;
        return Ok((report, sink, end));
    }
    let source = Head { head, at: 0, rest: if eof { None } else { Some(reader) } };
    let proposals = Proposals::default();
    std::thread::scope(|scope| {
        let (ask, asked) = mpsc::channel();
        let (done, filled) = mpsc::channel();
        let proposals = &proposals;
        scope.spawn(move || fill_buffers(source, only, proposals, asked, done));
        // Leaving drops the filler: the reading thread stops at its next buffer.
        pieces::<S>(name, Filler { ask, filled }, proposals, config, only, chunk, longest, end)
    })
}

/// The most of a stream read ahead for its first lines: 400 lines longer than this are judged
/// on this much (a Python capture's 400 lines are about 400 KB, the demo capture's 10 MB, so
/// about 150 of its lines are looked at). The head is held until the first pieces have read it
/// again, and its growth leaves memory behind: a 1 GiB gzip bomb without line breaks peaked at
/// 257 MB with a 16 MB head, 239 MB with this.
const HEAD_LIMIT: usize = 4 << 20;

/// The start of a stream, up to the lines wrappers are recognised on (or [`HEAD_LIMIT`] or
/// `longest` bytes, or its end), and whether it ended. Read in doubling steps from 64 KB (or a
/// smaller chunk): one check of the lines per step.
fn read_head(reader: &mut (dyn Read + Send), chunk: usize, longest: usize, end: &mut StreamEnd) -> (Vec<u8>, bool) {
    let mut head = Vec::new();
    let limit = longest.min(HEAD_LIMIT);
    loop {
        let want = chunk.min(1 << 16).max(head.len()).min(limit.saturating_sub(head.len())).max(1);
        head.reserve_exact(want);
        match reader.take(want as u64).read_to_end(&mut head) {
            Ok(n) if n < want => return (head, true),
            Ok(_) => {}
            Err(e) => {
                end.cut = Some(e.to_string());
                return (head, true);
            }
        }
        if head.len() >= limit || wrappers::sample_complete(&head) {
            return (head, false);
        }
    }
}

/// A stream whose start was read ahead: that start, then the rest.
struct Head<'a> {
    head: Vec<u8>,
    at: usize,
    rest: Option<&'a mut (dyn Read + Send)>,
}

impl Head<'_> {
    /// Adds up to `want` bytes to `buf`, and says whether the stream ended (and the error that
    /// ended it). Not a `Read`: `read_to_end` zeroes the room it reads into for a reader that
    /// cannot read into uninitialised memory, a pass over every buffer; the stream itself
    /// (standard input, a decoder) is read directly.
    fn read_into(&mut self, buf: &mut Vec<u8>, mut want: usize) -> (bool, Option<std::io::Error>) {
        if want == 0 {
            return (false, None);
        }
        if self.at < self.head.len() {
            let n = want.min(self.head.len() - self.at);
            buf.extend_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            want -= n;
            if self.at == self.head.len() {
                // Read through: its memory goes back.
                self.head = Vec::new();
                self.at = 0;
            }
            if want == 0 {
                return (false, None);
            }
        }
        let Some(rest) = self.rest.as_mut() else { return (true, None) };
        // `read_to_end` retries interrupted reads and stops at the limit or at the end.
        match (&mut **rest).take(want as u64).read_to_end(buf) {
            Ok(n) => (n < want, None),
            Err(e) => (true, Some(e)),
        }
    }
}

/// The pieces of a stream, read in turn (see [`ingest_stream`]). A piece cut at a proposed line
/// that something runs on across is cut again where the search finds, and `proposals` stop.
#[allow(clippy::too_many_arguments)]
fn pieces<S: Sink>(
    name: &str,
    filler: Filler,
    proposals: &Proposals,
    config: &S::Config,
    only: Option<Format>,
    chunk: usize,
    longest: usize,
    mut end: StreamEnd,
) -> anyhow::Result<(Report, S, StreamEnd)> {
    let (mut buf, mut eof, mut start, mut lines) =
        filler.fill(Vec::with_capacity(chunk + room(chunk)), chunk, &mut end);
    let mut read = Pieces::<S>::new(name, config, only);
    read.end.first_line = std::mem::take(&mut end.first_line);
    read.end.cut = end.cut.take();
    let mut spare: Vec<u8> = Vec::new();
    loop {
        let (cut, proposed) = if eof {
            (buf.len(), false)
        } else {
            match start {
                Some(Cut::Clean(at)) if at > 0 => (at, false),
                Some(Cut::Proposed(at)) if at > 0 => (at, true),
                // A piece longer than `longest` is cut (a gzip bomb of zeros must not grow the
                // buffer without bound): where the last record starts, something left open across
                // it or not (a Rust record suspended at the end of a Rust capture, and Python's
                // after it), or else where its last line starts, that line going on whole in the
                // next piece (cut inside it, a long line after another was lost: two OTLP lines of
                // 64 MiB, a new-user check), or else wherever it ends.
                _ if buf.len() >= longest => {
                    let last_line = memchr::memrchr(b'\n', &buf).map(|nl| nl + 1).filter(|&at| at < buf.len());
                    (last_start(&buf).or(last_line).unwrap_or(buf.len()), false)
                }
                _ => {
                    // No record starts in what was read: read more before cutting, as much again
                    // (each read looks for a record start in the whole piece), up to `longest`.
                    let more = (buf.len() + chunk.max(buf.len())).min(longest.max(buf.len() + 1));
                    (buf, eof, start, lines) = filler.fill(buf, more, &mut read.end);
                    continue;
                }
            }
        };
        // The record the cut falls in starts the other buffer, filled while this piece is read.
        if !eof {
            spare.clear();
            spare.reserve_exact(chunk + room(chunk));
            spare.extend_from_slice(&buf[cut..]);
            filler.start(std::mem::take(&mut spare), chunk);
        }
        // The line breaks the reading thread counted, when it cut here.
        let counted = start.filter(|c| c.at() == cut).map(|_| lines);
        if !proposed {
            read.piece(&buf[..cut], &buf[cut..], eof, counted)?;
        } else if !read.piece_if_clean(&buf[..cut], &buf[cut..], counted)? {
            // Nothing of it was kept: cut where the search finds (perhaps nowhere: all of it goes
            // on), the rest put in front of the next buffer, which goes on from the proposed cut.
            proposals.failed();
            #[cfg(test)]
            tests::FAILED_PROPOSALS.with(|f| f.set(f.get() + 1));
            let at = record_start_before(&buf[..cut], only, &mut true).unwrap_or(0);
            if at > 0 {
                read.piece(&buf[..at], &buf[at..], false, None)?;
            }
            // Put in front of the next buffer, in the room it keeps for that (a new buffer of two
            // pieces' size left the old ones to the allocator: 60-110 MB more on a stream of
            // records suspended across blocks, in a new-user check); this one is the spare.
            let mut next;
            (next, eof, start, _) = filler.wait(&mut read.end);
            let carried = &buf[at..cut];
            if next.capacity() - next.len() >= carried.len() {
                next.splice(..0, carried.iter().copied());
            } else {
                next = [carried, &next].concat();
            }
            spare = std::mem::replace(&mut buf, next);
            // The next buffer's cut was found as if the proposed line were a clean start: it is
            // looked for again (a cut after a log suspended before that line cut the log short,
            // where it went on: a fuzz finding).
            if !eof {
                start = record_start_before(&buf, only, &mut true).map(Cut::Clean);
                lines = start.map_or(0, |c| line_breaks(&buf[..c.at()]));
            }
            continue;
        }
        if eof {
            break;
        }
        spare = std::mem::take(&mut buf);
        if spare.capacity() > chunk + chunk / 2 {
            // Grown for a long record: not kept, so that two such never live at once.
            spare = Vec::new();
        }
        (buf, eof, start, lines) = filler.wait(&mut read.end);
    }
    Ok(read.finish())
}

/// Where the last record of `buf` starts at which a stream may be cut, not counting a last line
/// still without its line break. Where only brace formats are (no Rust text, no Collector tree):
/// the last line `{`, or one opening with `{"` that is a record of its own, found from the end.
/// Once Rust text (`rust`: seen before `buf`, and set when `buf` holds some) or a Collector tree
/// is in the stream, its framers carry state from line to line: `buf` is framed as a read frames
/// it, and the cut is the last place where nothing is left open across it
/// ([`super::rust_text::last_cut`]: Rust headers and record starts, objects and one-line records,
/// tree headers). A stream that found none for 128 MB was cut wherever its piece ended, inside
/// records: a Collector capture (its trees were taken to run on to the end of the piece), Python
/// after Rust text (only Rust headers cut), one byte that is not UTF-8 (no cut at all).
pub(super) fn record_start_before(buf: &[u8], only: Option<Format>, rust: &mut bool) -> Option<usize> {
    place_to_cut(buf, only, rust, true, false)
}

/// [`record_start_before`] in a text that starts anywhere (`from_clean` false: a region of a
/// file, see [`super::rust_text::Search::from_clean`]) or where a stream was cut (true); with
/// `first`, the first place in Rust text or Collector trees rather than the last
/// ([`super::rust_text::Search::first`]).
pub(super) fn place_to_cut(
    buf: &[u8],
    only: Option<Format>,
    rust: &mut bool,
    from_clean: bool,
    first: bool,
) -> Option<usize> {
    let allow = |f: Format| only.is_none_or(|o| o == f);
    // As the framer reads them: brace objects when a brace format may be read; a `{"` line when
    // it is a record of its own (Python's one-line records, OTLP requests, Go's lines), and
    // otherwise a line like any other (a damaged one may go on a Rust record).
    let braces = [Format::PythonJson, Format::NodeConsole, Format::GoJson, Format::OtlpJson].into_iter().any(allow);
    let record_line = |l: &str| {
        (allow(Format::PythonJson) && python_json::is_compact_record(l))
            || (allow(Format::OtlpJson) && otlp_json::is_document(l))
            || (allow(Format::GoJson) && go_json::line_kind(l).is_some())
    };
    let complete = memchr::memrchr(b'\n', buf)?;
    // One search for `Resource` (Python and OTLP write it in lower case), not one per header.
    let headers: [&[u8]; 3] = [b"Spans #", b"Metrics #", b"Log #"];
    let collector = allow(Format::CollectorDebug)
        && memchr::memmem::find_iter(buf, b"Resource")
            .any(|at| headers.iter().any(|h| buf[at + b"Resource".len()..].starts_with(h)));
    *rust = allow(Format::RustText) && (*rust || has_rust_structure(buf));
    if *rust || collector {
        let search = super::rust_text::Search {
            objects: braces,
            trees: collector,
            rust: *rust,
            from_clean,
            record_line: &record_line,
            first,
        };
        let raw = &buf[..complete];
        // As a read takes it: what is not UTF-8 replaced, a mark opening a line dropped (the
        // lines stay the lines of `raw`; a `?` for each bad byte once read a zap time `202?-04`
        // as a tree header, which its U+FFFD does not make: a fuzz finding). The search checks
        // UTF-8 as it frames (a pass of its own over each 64 MB piece was a tenth of a Rust
        // stream's time); a mark is looked for by its first byte, which ASCII text never holds.
        let marked = memchr::memchr_iter(0xef, raw).any(|at| raw[at..].starts_with(UTF8_BOM));
        let clean = if marked { None } else { super::rust_text::last_cut(raw, &buf[complete + 1..], &search).ok() };
        let Some(cut) = clean else {
            // Repaired with its line break: a bad byte ending `raw` is not a character cut short
            // at the end of the input (which a repair drops, and which left `Log #46` and a byte
            // a record start here where a read sees a line that is none: a fuzz finding).
            let with_break = &buf[..=complete];
            let read = super::text::repair(super::text::Text {
                bytes: with_break.into(),
                encoding: None,
                bad_lines: Vec::new(),
            });
            let text = String::from_utf8_lossy(&read.bytes);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let at = super::rust_text::last_cut(text.as_bytes(), &buf[complete + 1..], &search).ok()??;
            // The same line of `raw`.
            let line = memchr::memchr_iter(b'\n', &text.as_bytes()[..at]).count();
            return memchr::memchr_iter(b'\n', raw).nth(line.checked_sub(1)?).map(|nl| nl + 1);
        };
        return cut;
    }
    if !braces {
        return None;
    }
    let mut end = complete;
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        let line = &buf[nl + 1..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Node prints one object per metric, and the objects of one export follow each other: a
        // cut between two of them would count two exports. A next line not read whole yet may
        // still be one.
        let next = &buf[end + 1..];
        let node_metric = next.starts_with(b"  descriptor:") || b"  descriptor:".starts_with(next);
        let one_line_record = || std::str::from_utf8(line).is_ok_and(record_line);
        if (line == b"{" && !node_metric) || (line.starts_with(b"{\"") && one_line_record()) {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}

/// Where the last line of `buf` that starts a record of any format starts (a line `{`, a
/// one-line record, a Rust block header or record start, a Collector tree's header), whatever
/// is left open across it: the cut of a piece that found no better in [`LONGEST_PIECE`].
fn last_start(buf: &[u8]) -> Option<usize> {
    let complete = memchr::memrchr(b'\n', buf)?;
    let mut end = complete;
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        let line = &buf[nl + 1..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let starts = line == b"{"
            || super::rust_text::is_structure(line)
            || std::str::from_utf8(line).is_ok_and(|l| {
                super::collector_debug::tree_start(l).is_some()
                    || (l.starts_with('{')
                        && (python_json::is_compact_record(l)
                            || otlp_json::is_document(l)
                            || go_json::line_kind(l).is_some()))
            });
        if starts {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}

/// Whether `buf` holds a line that a Rust text's framer takes as structure: a block header
/// (`Spans`) or a record start (`Span #3`).
pub(super) fn has_rust_structure(buf: &[u8]) -> bool {
    // One pass over the letters that start such lines, each kept if a line starts with it (three
    // searches for `\nSpan`, `\nLog` and `\nMetric` were a tenth of a Python stream's time, and
    // one stop per line break was too: JSON records hold these capitals more rarely).
    let mut line_starts = memchr::memchr3_iter(b'S', b'L', b'M', buf).filter(|&at| at == 0 || buf[at - 1] == b'\n');
    line_starts.any(|at| {
        let line = &buf[at..];
        let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
        super::rust_text::is_structure(line)
    })
}

/// A UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The room a stream's buffer keeps past a piece's bytes, untouched (not in memory) unless a
/// proposed cut found not clean puts the bytes after the last clean cut in front of it.
fn room(chunk: usize) -> usize {
    chunk / 8
}

mod propose;
#[cfg(test)]
mod tests;
mod wrapped;

/// A wrapped text read as a stream, its wrappers recognised already: a mapped file too large to
/// unwrap as a copy.
pub(super) fn ingest_wrapped<S: Sink>(
    name: &str,
    reader: &mut (dyn Read + Send),
    config: &S::Config,
    only: Option<Format>,
    wrapping: wrappers::Wrapping,
) -> anyhow::Result<(Report, S, StreamEnd)> {
    let source = Head { head: Vec::new(), at: 0, rest: Some(reader) };
    wrapped::ingest::<S>(name, source, config, only, wrapping, STREAM_CHUNK, LONGEST_PIECE, StreamEnd::default())
}
