//! Where a stream of Rust text may be cut into pieces, and what the next piece must be told of
//! the ones before: the framer's state that lines before a cut leave (resources per signal, the
//! Metrics block's resource and scope, whether the block printed a resource), written as lines
//! put in front of the next piece. `stream.rs` and `pieces.rs` use it; the framer is the
//! parent module's.

use super::{Fed, Framer, Resources, Signal, block_header, is_resource_line, parse_resource, record_start};
use crate::model::Resource;

/// Where the last line of `text` that starts a block or a record (`Spans`, `Log #3`) starts, at
/// which the text may be cut: no record is left open across it. A header is such a line where
/// no record is suspended and none is interrupted by it (unlocked exporters interleave their
/// blocks line by line, and a record interrupted by another signal's block resumes after it); a
/// record start in its own block where no record of another signal is suspended (one of its
/// own it ends), and every line since the block's header was Rust text. An
/// opentelemetry-stdout text alternating signals (a log, then a Metrics block) always has a
/// suspended record at its headers: its record starts are where it is cut. With `trees`, lines a
/// Collector tree takes are left to it, as framing does (they share `Metric #n` with Rust text).
pub fn last_clean_start(text: &str, trees: bool) -> Option<usize> {
    let mut framer = Framer::default();
    let mut collector = crate::parse::collector_debug::Framer::default();
    let mut resources = Resources::default();
    let mut best = None;
    // Whether every line since the last header was the Rust framer's: a line of another format
    // (a JSON line, an object) is not fed to it in a read, so a section may go on across it,
    // which a context cannot say.
    let mut pure = false;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let in_tree = trees && collector.offer(line, n as u64 + 1, &mut resources) == Some(true);
        collector.done.clear();
        if in_tree {
            // Another format's line: a Rust section may go on across it.
            pure = false;
            continue;
        }
        let header = block_header(line);
        let clean = if let Some(signal) = header {
            framer.suspended.is_none() && !framer.interrupted_by(signal)
        } else if let Some(signal) = record_start(line) {
            // In its own block only: a record started in another signal's block gets that
            // signal's last resource and scope from wherever they were printed.
            pure && framer.block == Some(signal) && framer.suspended.as_ref().is_none_or(|s| s.signal == signal)
        } else {
            false
        };
        if clean {
            best = Some(line.as_ptr() as usize - text.as_ptr() as usize);
        }
        let fed = framer.feed(line, n as u64 + 1, &mut resources);
        pure = header.is_some() || (pure && fed == Fed::Taken);
        framer.done.clear();
    }
    best
}

/// Whether `line` starts a Rust block or record (`Spans`, `Span #3`): what a stream cut before
/// it ends its current record at, as the line would.
pub fn is_structure(line: &[u8]) -> bool {
    structure_line(line).is_some()
}

/// The line a context ends a closed `Resource` section with: a blank line, so one foreign line
/// per closed section that the reader of a context does not count.
const CLOSER: &[u8] = b"\n";

/// What a text cut after `text` must be told of what came before, as lines to put in front of
/// the rest: the last `Resource` section of the Spans and of the Logs blocks (opentelemetry-stdout
/// prints each once, in its first block), each under its header. `before` is what `text` itself
/// was given. Blocks of the prefix hold no record. Found from the end, so only the tail of a long
/// text is looked at.
pub fn resume_context(before: &[u8], text: &[u8]) -> Vec<u8> {
    let mut found: [Option<(&[u8], bool)>; 2] = [None, None];
    // And per signal a section of another resource printed before the last, if any: the framer
    // counts records of a block without a Resource section once two resources were printed.
    let mut other: [Option<&[u8]>; 2] = [None, None];
    let mut last_resource: [Option<Resource>; 2] = [None, None];
    // A section carried from `before` was also ended by any header or record start in `text`.
    let structure = || text.split(|b| *b == b'\n').any(|l| structure_line(l).is_some());
    // The block `text` starts in: the one `before` ends in.
    let before_ends_in = structure_before(before, before.len()).map(|(_, s)| s);
    'sources: for (source, starts_in, is_before) in [(text, before_ends_in, false), (before, None, true)] {
        // Looked at only for a section found in `before` (most pieces carry none to close).
        let ended_after = || is_before && !text.is_empty() && structure();
        // The framer takes a `Resource` line anywhere in a block as that block's: each is given
        // the block of the nearest header or record start before it. Found from the end, each
        // stretch of lines looked at once (the block found holds for every `Resource` after it).
        let mut block: Option<(usize, Option<Signal>)> = None;
        let candidates = memchr::memmem::rfind_iter(source, b"\nResource").map(|at| at + 1);
        for line_start in candidates.chain(source.starts_with(b"Resource").then_some(0)) {
            let after = line_start + b"Resource".len();
            let line_end = memchr::memchr(b'\n', &source[after..]).map_or(source.len(), |i| after + i);
            if !matches!(&source[after..line_end], b"" | b"\r") {
                continue;
            }
            let signal = match block {
                Some((at, signal)) if at < line_start => signal,
                _ => {
                    let nearest = structure_before(source, line_start).map(|(at, s)| (at, Some(s)));
                    let (at, signal) = nearest.unwrap_or((0, starts_in));
                    block = Some((at, signal));
                    signal
                }
            };
            let which = match signal {
                Some(Signal::Spans) => 0,
                Some(Signal::Logs) => 1,
                _ => continue,
            };
            if other[which].is_some() {
                continue;
            }
            let start = (line_end + 1).min(source.len());
            let mut end = start;
            while end < source.len() {
                let line_end = memchr::memchr(b'\n', &source[end..]).map_or(source.len(), |i| end + i);
                if !is_resource_line(&source[end..line_end]) {
                    break;
                }
                end = (line_end + 1).min(source.len());
            }
            let lines = &source[start..end];
            let parsed = || {
                let text = String::from_utf8_lossy(lines);
                parse_resource(&text.lines().collect::<Vec<_>>())
            };
            match &last_resource[which] {
                None => {
                    // Closed when a line followed it in `source` (the framer left the section
                    // there): orphan resource lines after the cut must not join it.
                    found[which] = Some((lines, end < source.len() || ended_after()));
                    last_resource[which] = Some(parsed());
                }
                Some(last) if *last != parsed() => other[which] = Some(lines),
                Some(_) => {}
            }
            if other.iter().all(Option::is_some) {
                break 'sources;
            }
        }
    }
    // The Metrics block a text ends inside goes on in the next piece: carried last, so the next
    // piece starts inside it, as the framer of the whole input would be. Another block's end:
    // the last Metrics block's sections are carried first (a metric record printed in a later
    // block without its header gets them, as it would read whole).
    let (first, last) = match last_header(text) {
        Some((at, b"Metrics")) => (None, Some(carried_metrics(&text[at..], &text[..at], before))),
        Some(_) => (
            last_metrics_block(text)
                .map(|block| {
                    let at = block.as_ptr() as usize - text.as_ptr() as usize;
                    carried_metrics(block, &text[..at], before)
                })
                .or_else(|| last_metrics_block(before).map(metrics_block)),
            None,
        ),
        // Begun before the text: its sections in the text come after those in `before`.
        None => match last_header(before) {
            Some((at, b"Metrics")) => (None, Some(metrics_block(&[&before[at..], text].concat()))),
            _ => (last_metrics_block(before).map(metrics_block), None),
        },
    };
    // The Spans or Logs block the text ends in, and whether it printed a Resource section: its
    // section is carried last, or its bare header after it when it printed none (its records
    // are of an unsaid resource once two were printed).
    let ending = match last_header(text) {
        Some((at, name)) => Some((name, has_resource_line(&text[at..]))),
        None => {
            last_header(before).map(|(at, name)| (name, has_resource_line(&before[at..]) || has_resource_line(text)))
        }
    };
    let ending = ending.filter(|(name, _)| *name != b"Metrics" && last.is_none());
    let ends_in_spans = ending.is_some_and(|(name, _)| name == b"Spans");
    let mut out = first.unwrap_or_default();
    let order = if ends_in_spans { [1, 0] } else { [0, 1] };
    for which in order {
        let header: &[u8] = if which == 0 { b"Spans" } else { b"Logs" };
        if let Some(lines) = other[which] {
            write_section(&mut out, header, lines, true);
        }
        if let Some((lines, closed)) = found[which] {
            write_section(&mut out, header, lines, closed);
        }
    }
    if let Some((name, false)) = ending {
        out.extend_from_slice(name);
        out.push(b'\n');
    }
    if let Some(block) = last {
        out.extend_from_slice(&block);
    }
    out
}

/// A `Resource` section under its header, in a context.
fn write_section(out: &mut Vec<u8>, header: &[u8], lines: &[u8], closed: bool) {
    out.extend_from_slice(header);
    out.extend_from_slice(b"\nResource\n");
    out.extend_from_slice(lines);
    if !lines.is_empty() && !lines.ends_with(b"\n") {
        out.push(b'\n');
    }
    if closed {
        // A blank line ends the section as the line after it did; it is a foreign line, which
        // the reader of the context takes off (`CLOSER`).
        out.extend_from_slice(CLOSER);
    }
}

/// Whether `source` holds a `Resource` line.
fn has_resource_line(source: &[u8]) -> bool {
    let bare = |at: usize| {
        let rest = &source[at + b"Resource".len()..];
        rest.is_empty() || rest.starts_with(b"\n") || rest.starts_with(b"\r\n")
    };
    (source.starts_with(b"Resource") && bare(0))
        || memchr::memmem::find_iter(source, b"\nResource").any(|at| bare(at + 1))
}

/// The last Metrics block of `source`, from its header to the next header or record start of
/// another signal.
fn last_metrics_block(source: &[u8]) -> Option<&[u8]> {
    let header = |at: usize| {
        let rest = &source[at + b"Metrics".len()..];
        (at == 0 || source[at - 1] == b'\n')
            && (rest.is_empty() || rest.starts_with(b"\n") || rest.starts_with(b"\r\n"))
    };
    let start = memchr::memmem::rfind_iter(source, b"Metrics").find(|at| header(*at))?;
    let mut at = memchr::memchr(b'\n', &source[start..]).map_or(source.len(), |i| start + i + 1);
    while at < source.len() {
        let line_end = memchr::memchr(b'\n', &source[at..]).map_or(source.len(), |i| at + i);
        if source[at] != b'\t' && structure_line(&source[at..line_end]).is_some_and(|s| s != Signal::Metrics) {
            return Some(&source[start..at]);
        }
        at = line_end + 1;
    }
    Some(&source[start..])
}

/// The block a column-0 line opens or goes on with: a header's or a record start's signal.
fn structure_line(line: &[u8]) -> Option<Signal> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line).ok()?;
    block_header(line).or_else(|| record_start(line))
}

/// The nearest header or record start that ends before `end` in `source`: where its line starts,
/// and its signal.
fn structure_before(source: &[u8], end: usize) -> Option<(usize, Signal)> {
    let mut end = end;
    while end > 0 {
        let line_end = if source[end - 1] == b'\n' { end - 1 } else { end };
        let start = memchr::memrchr(b'\n', &source[..line_end]).map_or(0, |i| i + 1);
        // Most lines are TAB-indented record lines: not structure.
        if source.get(start) != Some(&b'\t') {
            if let Some(signal) = structure_line(&source[start..line_end]) {
                return Some((start, signal));
            }
        }
        end = start;
    }
    None
}

/// Where the last block header line (`Spans`, `Logs`, `Metrics`, ended by a line break) of
/// `source` starts, and which.
fn last_header(source: &[u8]) -> Option<(usize, &'static [u8])> {
    // From the end, line by line: a Rust text has a header every few lines (six reverse
    // searches for the header lines crossed a whole 64 MB piece for those it never holds).
    let header = |line: &[u8]| -> Option<&'static [u8]> {
        match line.strip_suffix(b"\r").unwrap_or(line) {
            b"Spans" => Some(b"Spans"),
            b"Logs" => Some(b"Logs"),
            b"Metrics" => Some(b"Metrics"),
            _ => None,
        }
    };
    let mut line_end = None;
    for nl in memchr::memrchr_iter(b'\n', source) {
        if let Some(end) = line_end {
            if let Some(name) = header(&source[nl + 1..end]) {
                return Some((nl + 1, name));
            }
        }
        line_end = Some(nl);
    }
    header(&source[..line_end?]).map(|name| (0, name))
}

/// A Metrics block's context (see [`metrics_block`]) with the sections it did not print taken
/// from the Metrics blocks before it (in `earlier`, then the context `before`): the framer keeps
/// a Metrics block's resource and scope until another block prints its own (a fuzz finding: a
/// block without a Resource section, cut after its header, lost the earlier block's resource).
fn carried_metrics(block: &[u8], earlier: &[u8], before: &[u8]) -> Vec<u8> {
    // Lines starting so (`Resource` is a line of its own).
    let has = |b: &[u8], start: &[u8]| {
        b.split(|c| *c == b'\n').any(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            l.starts_with(start) && (start != b"Resource" || l.len() == start.len())
        })
    };
    let (mut resource, mut scope) = (has(block, b"Resource"), has(block, b"\tInstrumentation Scope #"));
    let mut chain = vec![block];
    let mut end = earlier.len();
    while !(resource && scope) {
        let Some(b) = last_metrics_block(&earlier[..end]) else {
            chain.extend(last_metrics_block(before));
            break;
        };
        end = b.as_ptr() as usize - earlier.as_ptr() as usize;
        resource |= has(b, b"Resource");
        scope |= has(b, b"\tInstrumentation Scope #");
        chain.push(b);
    }
    chain.reverse();
    metrics_block(&chain.concat())
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
    // The last Resource section (the framer takes one anywhere in the block) and the last scope
    // section, in the order they came; whether the later was ended by a line after it (see
    // [`CLOSER`]).
    let resource = lines.iter().skip(1).rposition(|l| *l == b"Resource").map(|at| {
        let n = lines[at + 2..].iter().take_while(|l| is_resource_line(l)).count();
        (at + 1, at + 2 + n)
    });
    let scope = lines.iter().rposition(|l| l.starts_with(b"\tInstrumentation Scope #")).map(|at| {
        let n = lines[at + 1..].iter().take_while(|l| l.starts_with(b"\t\t")).count();
        (at, at + 1 + n)
    });
    let mut sections: Vec<(usize, usize)> = [resource, scope].into_iter().flatten().collect();
    sections.sort_unstable();
    let mut closed = false;
    for (start, end) in sections {
        lines[start..end].iter().for_each(|l| add(l));
        closed = end < lines.len();
    }
    if closed {
        out.extend_from_slice(CLOSER);
    }
    out
}
