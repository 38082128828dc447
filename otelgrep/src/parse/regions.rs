//! The parallel path: an input cut into regions at lines that open a Python object, each framed
//! *and* parsed by one worker, so that framing, the UTF-8 check and the page faults of a mapped
//! file are spread over every core instead of holding up one thread (on 1 GB of Python capture
//! that thread was the bottleneck once parsing was fast).
//!
//! A `{` line is a place where the Python framer starts afresh whatever came before (an object
//! still open there is cut short, as the sequential framer says too). The cut is the same as the
//! sequential one as long as no framer that carries state from line to line (Rust text, Collector
//! text, Node metric exports) takes a line; a region where one does sends the whole input back
//! to the sequential path, which reads it as before. Results are merged in input order, each
//! region's line numbers moved by the lines before it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use super::framing::frame;
use super::{Format, InOrder, Needs, RELEASE_STEP, Report, Resources, Sink, parse_job};

/// Bytes per region: a few in flight stay a few megabytes, and handing one out costs nothing.
pub(super) const REGION_BYTES: usize = 4 << 20;

/// One region, read.
struct Region<S> {
    /// Where it is in the input.
    start: usize,
    end: usize,
    report: Report,
    sink: S,
    /// Its newlines, to number the lines of the next.
    lines: u64,
    not_utf8: Option<usize>,
}

/// Reads `body` region by region on `workers` threads. `None` when this path does not apply: the
/// input is under two regions, or a region needs a stateful framer. `Some(Err(offset))` when the
/// input stops being UTF-8 at `offset` of `body`.
#[allow(clippy::too_many_arguments)]
pub(super) fn ingest<S: Sink>(
    file: &Arc<str>,
    body: &[u8],
    skipped: usize,
    config: &S::Config,
    only: Option<Format>,
    workers: usize,
    release: &dyn Fn(usize, usize),
    region_bytes: usize,
) -> Option<Result<(Report, S), usize>> {
    if body.len() < region_bytes.saturating_mul(2) {
        return None;
    }
    let needs = S::needs(config);
    // Regions are cut as workers take them, so that looking for the next `{` line never runs
    // far ahead of the parsing (a capture with none would be read, and mapped, whole).
    let cursor = Mutex::new(Cursor { index: 0, start: 0, last: false });
    let give_up = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Option<Region<S>>)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (cursor, give_up, needs) = (&cursor, &give_up, &needs);
            scope.spawn(move || {
                // The resources read so far: a region's records repeat the last region's.
                let mut resources = Resources::default();
                while let Some((i, start, end)) = claim(cursor, body, region_bytes) {
                    if give_up.load(Ordering::Relaxed) {
                        break;
                    }
                    let done = match end {
                        Some(end) => region::<S>(file, start, &body[start..end], config, needs, only, &mut resources),
                        // No `{` line near where the next region should start: not a capture for
                        // this path.
                        None => None,
                    };
                    if done.is_none() {
                        give_up.store(true, Ordering::Relaxed);
                    }
                    if tx.send((i, done)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Merged in input order as they arrive, so that a sink that compacts on merge never
        // holds every region's result at once.
        let mut order = InOrder::new();
        let (mut report, mut sink) = (Report::default(), S::new(config));
        let (mut lines_before, mut released) = (0u64, 0usize);
        for (i, done) in rx.iter() {
            for done in order.add(i, done) {
                let Some(done) = done else {
                    give_up.store(true, Ordering::Relaxed);
                    return None;
                };
                if let Some(offset) = done.not_utf8 {
                    give_up.store(true, Ordering::Relaxed);
                    return Some(Err(done.start + offset));
                }
                let mut r = done.report;
                r.errors.iter_mut().for_each(|e| e.line += lines_before);
                report.merge(r);
                sink.merge(done.sink);
                lines_before += done.lines;
                let safe = (skipped + done.end) & !4095;
                if safe >= released + RELEASE_STEP {
                    release(released, safe - released);
                    released = safe;
                }
            }
        }
        // A worker that saw `give_up` may have stopped with a region taken and not sent.
        if give_up.load(Ordering::Relaxed) || order.waiting() {
            return None;
        }
        report.errors.sort_by_key(|e| e.line);
        Some(Ok((report, sink)))
    })
}

/// Frames and parses one region; `None` if a stateful framer took a line.
fn region<S: Sink>(
    file: &Arc<str>,
    start: usize,
    text: &[u8],
    config: &S::Config,
    needs: &Needs,
    only: Option<Format>,
    resources: &mut Resources,
) -> Option<Region<S>> {
    let (mut framing, mut report) = (Report::default(), Report::default());
    let mut sink = S::new(config);
    let framed = frame(text, file, only, super::Ending::Input, None, &mut framing, |_, batch| {
        for job in batch {
            parse_job(job, needs, file, &mut report, &mut sink, resources);
        }
    });
    if framed.stateful {
        return None;
    }
    report.merge(framing);
    sink.part_done();
    // Every region but the last ends with its newline: its newlines are its lines.
    Some(Region { start, end: start + text.len(), report, sink, lines: framed.lines, not_utf8: framed.not_utf8 })
}

/// How far past a region's planned end a `{` line is looked for before the input is left to
/// the sequential path.
const SEARCH_BYTES: usize = 4 << 20;

/// The next region to cut.
struct Cursor {
    index: usize,
    start: usize,
    /// The last region has been handed out.
    last: bool,
}

/// Takes the next region: its index, start, and end (`None`: no `{` line where one should be).
fn claim(cursor: &Mutex<Cursor>, body: &[u8], region_bytes: usize) -> Option<(usize, usize, Option<usize>)> {
    let mut c = cursor.lock().ok()?;
    if c.last {
        return None;
    }
    let (index, start) = (c.index, c.start);
    let end = next_start(body, start, region_bytes);
    match end {
        Some(end) if end < body.len() => (c.index, c.start) = (index + 1, end),
        _ => c.last = true,
    }
    Some((index, start, end))
}

/// Where the region after the one at `start` starts: the first line that is exactly `{`
/// (trailing `\r`s aside) at least `region_bytes` on; the input's end if that is nearer; `None`
/// if there is no such line in the [`SEARCH_BYTES`] after.
fn next_start(body: &[u8], start: usize, region_bytes: usize) -> Option<usize> {
    let from = start.saturating_add(region_bytes);
    if from >= body.len() {
        return Some(body.len());
    }
    let window = &body[from..body.len().min(from.saturating_add(SEARCH_BYTES))];
    let found = memchr::memmem::find_iter(window, b"\n{").map(|at| from + at + 1).find(|&line| {
        let end = memchr::memchr(b'\n', &body[line..]).map_or(body.len(), |i| line + i);
        body[line + 1..end].iter().all(|&c| c == b'\r')
    });
    match found {
        Some(line) => Some(line),
        None if from + window.len() == body.len() => Some(body.len()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Collected, Ending, Reading, ingest_with};
    use super::*;

    fn read(text: &[u8], only: Option<Format>, region_bytes: usize) -> String {
        let reading = Reading { region_bytes, bad_lines: &[], ending: Ending::Input, binary: false, carry: None };
        match ingest_with::<Collected>("t.log", text, &(), only, &|_, _| {}, &reading) {
            Ok(Some((report, c))) => format!("{report:?}\n{c:?}"),
            Ok(None) => "not UTF-8".to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    /// Every sample and fixture, whole, cut short, mixed with another format, and with a byte
    /// that is not UTF-8: cut into small regions, read exactly as the sequential path reads it.
    #[test]
    fn regions_read_every_input_as_the_sequential_path_does() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let shared = format!("{dir}/../../shared/samples");
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for d in std::fs::read_dir(&shared).unwrap().chain(std::fs::read_dir(format!("{dir}/tests/fixtures")).unwrap())
        {
            let p = d.unwrap().path();
            match std::fs::read_dir(&p) {
                Ok(inner) => files.extend(inner.map(|f| f.unwrap().path())),
                Err(_) => files.push(p),
            }
        }
        let python = std::fs::read(format!("{shared}/python-flask/flask-default.log")).unwrap();
        let rust = std::fs::read(format!("{shared}/rust-stdout/rust-stdout.log")).unwrap();
        let otlp = std::fs::read(format!("{shared}/otlp-json/js-otlp-http-json_traces.jsonl")).unwrap();
        let half = python.len() / 2;
        let mixed = |other: &[u8]| [&python[..half], b"\n", other, &python[half..]].concat();
        let mut inputs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        inputs.push(python[..python.len() * 3 / 5].to_vec());
        inputs.push(mixed(&rust));
        inputs.push(mixed(&otlp));
        inputs.push(mixed(b"caf\xe9\n"));
        // Objects whose closing line was lost, early and late: later line numbers depend on how
        // many lines the cut-short ones covered.
        let lost = String::from_utf8(python.clone()).unwrap().replacen("\n}\n", "\n", 3);
        inputs.push([lost.as_bytes(), &otlp, lost.as_bytes()].concat());
        let (mut parallel, mut sequential) = (0, 0);
        for text in &inputs {
            let expected = read(text, None, usize::MAX);
            for region_bytes in [1 << 10, 5000, 1 << 16] {
                assert_eq!(read(text, None, region_bytes), expected, "regions of {region_bytes} bytes");
                let file: Arc<str> = Arc::from("t.log");
                match ingest::<Collected>(&file, text, 0, &(), None, 2, &|_, _| {}, region_bytes) {
                    Some(_) => parallel += 1,
                    None => sequential += 1,
                }
            }
        }
        // With a format forced (`--input-format`), too.
        for only in [Format::PythonJson, Format::RustText, Format::NodeConsole, Format::GoJson] {
            for text in &inputs[inputs.len() - 5..] {
                assert_eq!(read(text, Some(only), 1 << 10), read(text, Some(only), usize::MAX), "{only}");
            }
        }
        // Both paths were taken: Python, OTLP and Go inputs in regions, the rest sent back.
        assert!(parallel >= 10 && sequential >= 10, "{parallel} in regions, {sequential} sequential");
    }

    #[test]
    fn regions_start_at_lines_that_open_an_object() {
        let text = b"a\n{\n  \"x\": {\n}\nb\n{\r\r\n}\n{x\n{\n}";
        let starts = |text: &[u8], region_bytes| {
            let (cursor, mut out) = (Mutex::new(Cursor { index: 0, start: 0, last: false }), Vec::new());
            while let Some((i, start, end)) = claim(&cursor, text, region_bytes) {
                out.push((i, start, end));
            }
            out
        };
        let len = Some(text.len());
        assert_eq!(starts(text, 1), [(0, 0, Some(2)), (1, 2, Some(17)), (2, 17, Some(26)), (3, 26, len)]);
        assert_eq!(starts(text, 10), [(0, 0, Some(17)), (1, 17, len)]);
        assert_eq!(starts(text, usize::MAX), [(0, 0, len)]);
        // No `{` line within reach of where the next region should start: not for this path.
        let far = [&b"x\n"[..], &vec![b'a'; SEARCH_BYTES + 10], b"\n{\n}"].concat();
        assert_eq!(starts(&far, 1), [(0, 0, None)]);
    }
}
