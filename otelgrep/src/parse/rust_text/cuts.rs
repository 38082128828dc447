//! Where a stream may be cut into pieces once it holds Rust text or Collector trees (framers that
//! carry state from line to line): at lines where no record is left open across the cut, so that
//! the next piece's framer, started from the state the last one ended in ([`super::Carry`]),
//! frames it as the whole input would be. `stream.rs` uses it; the framer is the parent
//! module's.

use super::{Fed, Framer, Resources, Signal, block_header, record_start};

/// What the formats that may be read tell a cut search.
pub struct Search<'f> {
    /// Brace objects are framed (a brace format may be read).
    pub objects: bool,
    /// Collector trees may be read.
    pub trees: bool,
    /// Rust text may be read.
    pub rust: bool,
    /// Whether the text starts where nothing of a Rust text is left open (where a stream was
    /// cut). Otherwise (a region of a file, started at any line) a record of another signal may
    /// be suspended from before: places are kept only once it would have ended, at a header
    /// that interrupts a record or after record starts of both spans and logs.
    pub from_clean: bool,
    /// Whether a line opening with `{` is a record of its own (Python's one-line records, OTLP
    /// requests, Go's lines), as framing tells.
    pub record_line: &'f dyn Fn(&str) -> bool,
    /// The first place is wanted, not the last: the framing stops there (a region's end, where
    /// any place will do, and the lines after it are framed again by the region they start). A
    /// place once found stays one whatever follows it.
    pub first: bool,
}

/// Where the last record of `text` starts at which a stream may be cut (the first, with
/// [`Search::first`]), found by framing `text`
/// as a read does (brace objects first, then Collector trees, then Rust text) and keeping the
/// last place where nothing is left open across the cut, so that the next piece's framers,
/// started as the last ones ended ([`super::Carry`]), read it as the whole input would be:
///
/// - a Rust block header where no record is suspended and none is interrupted by it (unlocked
///   exporters interleave their blocks line by line, and a record interrupted by another
///   signal's block resumes after it); a Rust record start in its own block where no record of
///   another signal is suspended (one of its own it ends), and every line since the block's
///   header was Rust text (opentelemetry-stdout alternating signals, a log then a Metrics block,
///   always has a suspended record at its headers: its record starts are where it is cut);
/// - an object's `{` line, or a one-line record, outside any Collector tree (a tree goes on after
///   an object), where no Rust record is suspended and no Rust section is being read (a record
///   open there is ended by the object, as a read ends it), and not between two Node metric
///   objects (one export);
/// - a Collector tree's header where no Rust record or section is open (a Rust record goes on
///   across a tree, whose lines are the tree's).
///
/// `next` is what follows `text` in the buffer (a line still without its line break): whether
/// an object is a Node metric may be said there. Cuts at 0 are no cuts. `text` is checked to be
/// UTF-8 as it is framed: `Err` with where it is not (the caller then repairs it, as a read does).
pub fn last_cut(text: &[u8], next: &[u8], search: &Search) -> Result<Option<usize>, usize> {
    use crate::parse::{collector_debug, scan};
    // The text starts where the last piece was cut, in a block this search cannot know (the
    // last piece is still being read): framed as in a Metrics block, where a scope section
    // opens after an object as well as a `Resource` section does, so that a section the read
    // opens (the carried state may say Metrics) is never taken for a place to cut. Another
    // block opens fewer sections: a cut found so is one there too. (Framed from no block, a
    // scope line after an object was foreign and cut after: a fuzz finding.)
    let mut framer = Framer { block: Some(Signal::Metrics), ..Framer::default() };
    let mut collector = collector_debug::Framer::default();
    let mut resources = Resources::default();
    let mut best = None;
    // Whether every line since the last header was the Rust framer's: a line of another format
    // (a JSON line, an object) is not fed to it in a read, so a record start after one may
    // belong to another block than it seems (kept from the first cut searches; the carried
    // state would tell, but no finding asks for more places to cut).
    let mut pure = false;
    // Whether a record suspended before the text would have ended by now, and the signals whose
    // record starts were seen (a record start ends a suspended record of its signal).
    let (mut settled, mut started) = (search.from_clean, [false; 2]);
    let mut pieces = if search.objects {
        scan::Pieces::Objects(scan::python_objects(text))
    } else {
        scan::Pieces::Lines(scan::lines(text))
    };
    // Where a line starts: a line's text is a slice of `text`. An object cut short has none, and
    // is found by counting line breaks from the last line seen (not from the start: counting
    // them all was a pass of its own over the piece).
    let (mut line_no, mut at) = (1u64, 0usize);
    let mut start_of = |n: u64, line: Option<&str>| {
        if let Some(line) = line {
            (line_no, at) = (n, line.as_ptr() as usize - text.as_ptr() as usize);
        }
        while line_no < n {
            at = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
            line_no += 1;
        }
        at
    };
    // A Node metric object follows: its line starts so (or could, not written whole yet).
    let node_metric_at = |line_start: usize| {
        let rest = &text[line_start..];
        // The object's second line, or (its `{` the last line whole) the line being written.
        let second = match memchr::memchr(b'\n', rest) {
            Some(i) => &rest[i + 1..],
            None => next,
        };
        second.starts_with(b"  descriptor:") || b"  descriptor:".starts_with(second)
    };
    while let Some(piece) = pieces.next() {
        if search.first && best.is_some_and(|at| at > 0) {
            break;
        }
        let (n, line) = match piece {
            // An object, whole or cut short (the end of the text), is framed first.
            scan::Piece::Object { line: n, text: object } => (n, Err(Some(object))),
            scan::Piece::Truncated { line: n, .. } => (n, Err(None)),
            scan::Piece::NotUtf8 { offset } => return Err(offset),
            scan::Piece::Line { line: n, text: line } => (n, Ok(line)),
        };
        let line = match line {
            Ok(line) => line,
            Err(object) => {
                let at = start_of(n, object);
                // An object opening its own line: after a `}{` seam it opens inside the line that
                // closes the one before, where no cut can fall (a fuzz finding).
                let own_line = at == 0 || text.get(at.wrapping_sub(1)) == Some(&b'\n');
                if own_line
                    && settled
                    && text.get(at) == Some(&b'{')
                    && !collector.active()
                    && framer.quiet_for_record()
                    && !node_metric_at(at)
                {
                    best = Some(at);
                }
                framer.end_record();
                framer.open_at_end.clear();
                framer.done.clear();
                pure = false;
                continue;
            }
        };
        if search.trees {
            let taken = collector.offer(line, n, &mut resources);
            collector.done.clear();
            if taken == Some(true) {
                if collector_debug::tree_start(line).is_some() && settled && framer.quiet() {
                    best = Some(start_of(n, Some(line)));
                }
                pure = false;
                continue;
            }
        }
        if line.starts_with('{') && (search.record_line)(line) {
            if settled && framer.quiet_for_record() {
                best = Some(start_of(n, Some(line)));
            }
            framer.end_record();
            framer.open_at_end.clear();
            framer.done.clear();
            pure = false;
            continue;
        }
        if !search.rust {
            continue;
        }
        let header = block_header(line);
        let start = record_start(line);
        match start {
            Some(Signal::Spans) => started[0] = true,
            Some(Signal::Logs) => started[1] = true,
            _ => {}
        }
        settled = settled || started == [true; 2] || header.is_some_and(|signal| framer.interrupted_by(signal));
        let clean = if !settled {
            false
        } else if let Some(signal) = header {
            framer.open(false).clean_before_header(signal)
        } else if let Some(signal) = start {
            // In its own block only: a record started in another signal's block gets that
            // signal's last resource and scope from wherever they were printed.
            pure && framer.open(false).clean_before_record(signal)
        } else {
            false
        };
        if clean {
            best = Some(start_of(n, Some(line)));
        }
        let fed = framer.feed(line, n, &mut resources);
        pure = header.is_some() || (pure && fed == Fed::Taken);
        // The lines that go on with the record are taken at once, as a read takes them: none is
        // a place to cut, and each leaves `pure` as it is.
        if fed == Fed::Taken
            && !collector.active()
            && let Some(signal) = framer.run_signal()
        {
            pieces.run(|l| super::continues(signal, l), |l| framer.take_line(l));
        }
        framer.done.clear();
        framer.open_at_end.clear();
    }
    Ok(best.filter(|at| *at > 0))
}

/// Whether `line` starts a Rust block or record (`Spans`, `Span #3`): what a stream cut before
/// it ends its current record at, as the line would.
pub fn is_structure(line: &[u8]) -> bool {
    structure_line(line).is_some()
}

/// The block a column-0 line opens or goes on with: a header's or a record start's signal.
fn structure_line(line: &[u8]) -> Option<Signal> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line).ok()?;
    block_header(line).or_else(|| record_start(line))
}
