//! The layers an input goes through before its records are framed: bytes (already opened by
//! `input.rs`), then text (`text.rs`: encodings), then lines (`wrappers.rs`: wrappers taken off,
//! sources told apart), then records and values ([`super::ingest_with`]: the framers and
//! parsers). Each layer knows nothing of the others' details: the formats never see a Docker
//! prefix, and the wrappers never see JSON.

use super::{Format, Ranged, Report, Sink, ingest_with, otlp_proto, regions, text, wrappers};

/// Reads one input's bytes into the command's sink `S`, through every layer: the records are
/// framed on this thread and parsed on worker threads. `release` is called with byte ranges of
/// `bytes` that no batch still being parsed refers to. `only` restricts recognition to one format
/// (`--input-format`); everything else is foreign.
pub fn ingest<S: Sink>(
    name: &str,
    bytes: &[u8],
    config: &S::Config,
    only: Option<Format>,
    release: &dyn Fn(usize, usize),
) -> anyhow::Result<(Report, S)> {
    // The text layer first: UTF-16 decoded, marks dropped; bytes that are not UTF-8 repaired only
    // when the framers meet one (most inputs never pay for it).
    // Binary OTLP has no encoding and no lines: it goes to the framers as it is.
    let binary = only.is_none_or(|o| o == Format::OtlpProto) && otlp_proto::is_framed(bytes);
    let decoded = if binary {
        text::Text { bytes: std::borrow::Cow::Borrowed(bytes), encoding: None, bad_lines: Vec::new() }
    } else {
        text::decode(bytes)
    };
    let shift = match &decoded.bytes {
        std::borrow::Cow::Borrowed(b) => Some(b.as_ptr() as usize - bytes.as_ptr() as usize),
        std::borrow::Cow::Owned(_) => None,
    };
    let encoding = decoded.encoding;
    // Then the lines layer: wrappers taken off, each source's lines a text of its own.
    let unwrapped = if binary { None } else { wrappers::unwrap(&decoded.bytes) };
    let (mut report, ranged) = match unwrapped {
        None => {
            // Pages of a mapped input are released; decoded bytes go when the call ends.
            let moved = |offset: usize, len: usize| {
                if let Some(shift) = shift {
                    release(offset + shift, len);
                }
            };
            ingest_text::<S>(name, decoded, config, only, &moved)?
        }
        Some(unwrapped) => {
            let mut all: Option<(Report, Ranged<S>)> = None;
            let several = unwrapped.sources.iter().filter(|s| !s.name.is_empty()).count() > 1;
            for source in unwrapped.sources {
                let text = text::Text { bytes: source.text.into(), encoding, bad_lines: Vec::new() };
                let (mut report, ranged) = ingest_text::<S>(name, text, config, only, &|_, _| {})?;
                // Lines are numbered as in the capture, not in the source's own text.
                for e in &mut report.errors {
                    e.line = source.lines.get(e.line as usize - 1).copied().unwrap_or(e.line);
                }
                if several && !source.name.is_empty() {
                    report.sources.push(source.name);
                }
                all = Some(match all {
                    None => (report, ranged),
                    Some((mut r, mut s)) => {
                        r.merge(report);
                        s.merge(ranged);
                        (r, s)
                    }
                });
            }
            let (mut report, ranged) = all.unwrap_or_else(|| (Report::default(), Ranged::new(config)));
            report.errors.sort_by_key(|e| e.line);
            report.wrappers = unwrapped.found;
            (report, ranged)
        }
    };
    report.range = ranged.range;
    report.in_window = ranged.in_window;
    report.encoding = encoding;
    Ok((report, ranged.inner))
}

/// One text (a whole input, or one source of a wrapped one) into the sink: read as it is, or,
/// when a byte is not UTF-8, read again repaired (see [`text::repair`]).
fn ingest_text<S: Sink>(
    name: &str,
    text: text::Text<'_>,
    config: &S::Config,
    only: Option<Format>,
    release: &dyn Fn(usize, usize),
) -> anyhow::Result<(Report, Ranged<S>)> {
    if let Some(done) = ingest_with::<Ranged<S>>(name, &text.bytes, config, only, release, regions::REGION_BYTES, &[])?
    {
        return Ok(done);
    }
    let repaired = text::repair(text);
    let again = ingest_with::<Ranged<S>>(
        name,
        &repaired.bytes,
        config,
        only,
        &|_, _| {},
        regions::REGION_BYTES,
        &repaired.bad_lines,
    )?;
    again.ok_or_else(|| anyhow::anyhow!("{name}: not UTF-8 text even once repaired"))
}

/// What reading a stream found besides its records: what `no telemetry found` and a cut
/// compressed stream report.
#[derive(Debug, Default)]
pub struct StreamEnd {
    /// Lines read (a last line without its line break counts).
    pub lines: u64,
    pub first_line: Vec<u8>,
    pub bytes: u64,
    /// Why the stream stopped early, when it did (a read or decompression error).
    pub cut: Option<String>,
}

/// Bytes read before a piece is cut off and read: memory stays at about twice this.
pub const STREAM_CHUNK: usize = 64 << 20;

/// A piece of one line longer than this is read even without a record start in it, so that a
/// stream without line breaks (a gzip bomb of zeros) cannot grow the buffer without bound.
const LONGEST_PIECE: usize = 2 * STREAM_CHUNK;

/// Reads a stream (standard input, a compressed file) piece by piece in bounded memory: each
/// piece ends where a record starts (a line `{`, `{"…`, `Spans`, `Metrics` or `Logs`), is read
/// as a text of its own, and what a Rust text's later blocks need of earlier ones (their
/// resources) is put in front of the next piece. A stream that needs the text or lines layer
/// (UTF-16, wrappers) or is binary OTLP is read whole, as a file would be.
pub fn ingest_stream<S: Sink>(
    name: &str,
    reader: &mut dyn std::io::Read,
    config: &S::Config,
    only: Option<Format>,
    chunk: usize,
) -> anyhow::Result<(Report, S, StreamEnd)> {
    let mut end = StreamEnd::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = false;
    let mut fill = |buf: &mut Vec<u8>, upto: usize, eof: &mut bool, end: &mut StreamEnd| {
        while !*eof && buf.len() < upto {
            let old = buf.len();
            buf.resize(old + (upto - old).min(1 << 20), 0);
            match reader.read(&mut buf[old..]) {
                Ok(0) => {
                    buf.truncate(old);
                    *eof = true;
                }
                Ok(n) => buf.truncate(old + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
                Err(e) => {
                    buf.truncate(old);
                    end.cut = Some(e.to_string());
                    *eof = true;
                }
            }
        }
    };
    fill(&mut buf, chunk, &mut eof, &mut end);
    let first = buf.split(|b| *b == b'\n').find(|l| !l.trim_ascii().is_empty()).unwrap_or_default();
    end.first_line = first[..first.len().min(200)].to_vec();
    let whole = buf.starts_with(&[0xff, 0xfe])
        || buf.starts_with(&[0xfe, 0xff])
        || (only.is_none_or(|o| o == Format::OtlpProto) && otlp_proto::is_framed(&buf))
        || wrappers::unwrap(&buf[..buf.len().min(1 << 20)]).is_some();
    if whole {
        while !eof {
            let target = buf.len() + chunk;
            fill(&mut buf, target, &mut eof, &mut end);
        }
        end.lines =
            memchr::memchr_iter(b'\n', &buf).count() as u64 + u64::from(!buf.is_empty() && !buf.ends_with(b"\n"));
        end.bytes = buf.len() as u64;
        let (report, sink) = ingest(name, &buf, config, only, &|_, _| {})?;
        return Ok((report, sink, end));
    }
    let mut context: Vec<u8> = Vec::new();
    let mut all: Option<(Report, Ranged<S>)> = None;
    let mut partial_last;
    loop {
        let cut = if eof {
            buf.len()
        } else {
            match record_start_before(&buf) {
                Some(at) if at > 0 => at,
                _ if buf.len() >= LONGEST_PIECE => buf.len(),
                _ => {
                    // No record starts in what was read: read more before cutting.
                    let more = buf.len() + chunk;
                    fill(&mut buf, more, &mut eof, &mut end);
                    continue;
                }
            }
        };
        let piece = &buf[..cut];
        let piece_lines = memchr::memchr_iter(b'\n', piece).count() as u64;
        let context_lines = memchr::memchr_iter(b'\n', &context).count() as u64;
        // Only a Rust text carries context; any other piece is read where it lies, not copied.
        let text: std::borrow::Cow<[u8]> =
            if context.is_empty() { piece.into() } else { [&context[..], piece].concat().into() };
        let decoded = text::decode(&text);
        let (mut report, ranged) = ingest_text::<S>(name, decoded, config, only, &|_, _| {})?;
        for e in &mut report.errors {
            e.line = e.line.saturating_sub(context_lines) + end.lines;
        }
        context = super::rust_text::resume_context(&context, piece);
        all = Some(match all {
            None => (report, ranged),
            Some((mut r, mut s)) => {
                r.merge(report);
                s.merge(ranged);
                (r, s)
            }
        });
        end.lines += piece_lines;
        end.bytes += cut as u64;
        partial_last = !piece.is_empty() && !piece.ends_with(b"\n");
        buf.drain(..cut);
        if eof && buf.is_empty() {
            break;
        }
        fill(&mut buf, chunk, &mut eof, &mut end);
        if eof && buf.is_empty() {
            break;
        }
    }
    end.lines += u64::from(partial_last);
    let (mut report, ranged) = all.unwrap_or_else(|| (Report::default(), Ranged::new(config)));
    report.range = ranged.range;
    report.in_window = ranged.in_window;
    Ok((report, ranged.inner, end))
}

/// Where the last line that opens a record starts in `buf` (a line `{`, one opening with `{"`,
/// or a Rust block header at which no record is left open), not counting a last line still
/// without its line break.
fn record_start_before(buf: &[u8]) -> Option<usize> {
    let complete = memchr::memrchr(b'\n', buf)?;
    let mut end = complete;
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        let line = &buf[nl + 1..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Node prints one object per metric, and the objects of one export follow each other: a
        // cut between two of them would count two exports.
        let next = &buf[end + 1..];
        let node_metric = next.starts_with(b"  descriptor:");
        if (line == b"{" && !node_metric) || line.starts_with(b"{\"") {
            return Some(nl + 1);
        }
        if matches!(line, b"Spans" | b"Metrics" | b"Logs") {
            // Rust text: a header is a cut only where its framer is idle, which framing tells.
            let text = std::str::from_utf8(&buf[..complete]).ok()?;
            return super::rust_text::last_clean_header(text).filter(|at| *at > 0);
        }
        end = nl;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Collected;

    /// Every sample read as a stream in small pieces gives what it gives read whole: the same
    /// records (resources included), foreign lines, exports and errors at the same lines.
    #[test]
    fn streams_in_pieces_read_as_whole_inputs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples");
        for rel in [
            "todo/todo-default.log",
            "todo/todo-console-merged-stderr.log",
            "todo/todo-two-processes.log",
            "python-flask/flask-merged-stderr.log",
            "rust-stdout/rust-stdout.log",
            "rust-stdout/rust-stdout-interleaved.log",
            "otlp-json/js-otlp-http-json_metrics.jsonl",
            "node-console/sdk-node-0.223_trace-base-2.12.1.txt",
            // Others' files: the demo's Collector capture (lines up to 858 KB, longer than a
            // piece), pretty-printed OTLP, Go's pretty stdouttrace.
            "../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl",
            "../../shared/conformance/otlp-proto-examples_metrics.json",
            "../../shared/conformance/go-stdouttrace_pretty-without-timestamps.txt",
        ] {
            let bytes = std::fs::read(root.join(rel)).unwrap();
            // Cut short too, so the last piece ends inside a record.
            for input in [&bytes[..], &bytes[..bytes.len() * 2 / 3]] {
                let (want, whole) = ingest::<Collected>(rel, input, &(), None, &|_, _| {}).unwrap();
                for chunk in [4096, 100_000] {
                    let (got, pieces, end) =
                        ingest_stream::<Collected>(rel, &mut &input[..], &(), None, chunk).unwrap();
                    let at = format!("{rel} ({} bytes) in pieces of {chunk}", input.len());
                    assert_eq!(end.bytes, input.len() as u64, "{at}");
                    assert_eq!(
                        (got.foreign_lines, got.metric_exports),
                        (want.foreign_lines, want.metric_exports),
                        "{at}"
                    );
                    let lines = |r: &Report| r.errors.iter().map(|e| (e.line, e.kind.to_string())).collect::<Vec<_>>();
                    assert_eq!(lines(&got), lines(&want), "{at}");
                    assert_eq!(pieces.spans, whole.spans, "{at}");
                    assert_eq!(pieces.logs, whole.logs, "{at}");
                    assert_eq!(pieces.points, whole.points, "{at}");
                }
            }
        }
    }
}
