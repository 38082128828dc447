//! The parallel path: an input cut into regions, each framed *and* parsed by one worker, so that
//! framing, the UTF-8 check and the page faults of a mapped file are spread over every core
//! instead of holding up one thread (on 1 GB of Python capture that thread was the bottleneck
//! once parsing was fast, and on Rust text it still was when it alone framed).
//!
//! Python captures are cut at `{` lines, where the Python framer starts afresh whatever came
//! before (an object still open there is cut short, as the sequential framer says too). Rust
//! text is cut where a framing of the text near the cut leaves nothing open
//! ([`stream::place_to_cut`], as a stream is cut), and its framer carries state across
//! the cut: each region is framed from the state the last region merged ended in (a guess: the
//! regions in between are still being read), and kept only if nothing ran on across its first
//! line and what it read of the guess is what the region before really left
//! ([`Carry::rebase`]). Otherwise it is read again from that state (with the region before, if
//! a record of that one runs on into it). The result
//! is the sequential one as long as no framer that carries state in no [`Carry`] (Collector
//! text, Node metric exports) takes a line; a region where one does sends the whole input back
//! to the sequential path. Results are merged in input order, each region's line numbers moved
//! by the lines before it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use super::framing::frame;
use super::rust_text::{Carry, Stale};
use super::{Ending, Format, InOrder, Needs, RELEASE_STEP, Reading, Report, Resources, Sink, parse_job, stream};

/// Bytes per region: a few in flight stay a few megabytes, and handing one out costs nothing.
pub(super) const REGION_BYTES: usize = 4 << 20;

/// The regions a text of `len` bytes is read in: a 32nd of it, from 1 MB to [`REGION_BYTES`]. A
/// text read in few regions leaves a core idle twice: while its first region is read (the second
/// waits for it, see [`guess`]) and while its last is. A stream's 32 MB pieces of Rust text read
/// in 1.17-1.28 s per GB on standard input with 1 MB regions, against 1.36-1.55 s with 4 MB
/// (alternated runs; Flask and the demo capture the same either way, and mapped files, read in
/// 4 MB regions; 512 KB took more CPU). Texts under 16 MB keep 4 MB regions (under 8 MB, none):
/// in 1 MB regions, 7 MB of Rust text took 19-22 ms against 14-16, and 3 MB of Node 13-14 against
/// 11-12.
pub(super) fn region_bytes(len: usize) -> usize {
    if len < 16 << 20 { REGION_BYTES } else { (len / 32).clamp(1 << 20, REGION_BYTES) }
}

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
    /// The Rust framer's state it was framed from, and the state it ended in.
    guess: Carry,
    carry: Carry,
}

/// Reads `body` region by region on `workers` threads. `None` when this path does not apply: the
/// input is under two regions, or a region needs a stateful framer other than Rust text's.
/// `Some(Err(offset))` when the input stops being UTF-8 at `offset` of `body`.
#[allow(clippy::too_many_arguments)]
pub(super) fn ingest<S: Sink>(
    file: &Arc<str>,
    body: &[u8],
    skipped: usize,
    config: &S::Config,
    only: Option<Format>,
    workers: usize,
    release: &dyn Fn(usize, usize),
    reading: &Reading,
) -> Option<Result<(Report, S), usize>> {
    let region_bytes = reading.region_bytes;
    if body.len() < region_bytes.saturating_mul(2) {
        return None;
    }
    let needs = S::needs(config);
    let first = reading.carry.cloned().unwrap_or_default();
    // How each region ends: at the next one's first line, the last as the input does.
    let ending = |end: usize| if end < body.len() { Ending::before(&body[end..]) } else { reading.ending };
    // Regions are cut as workers take them, so that looking for the next cut never runs far
    // ahead of the parsing (a capture with none would be read, and mapped, whole).
    let cursor = Mutex::new(Cursor {
        index: 0,
        start: 0,
        last: false,
        rust: false,
        printed: first.clone(),
        resources: Resources::default(),
    });
    let give_up = AtomicBool::new(false);
    // The state the last region merged ended in (none merged yet: `None`), what the next regions
    // are framed from.
    let latest = (Mutex::new(None::<Carry>), Condvar::new());
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Option<Region<S>>)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (cursor, give_up, needs, latest, ending, first) = (&cursor, &give_up, &needs, &latest, &ending, &first);
            scope.spawn(move || {
                // The resources read so far: a region's records repeat the last region's.
                let mut resources = Resources::default();
                while let Some((i, start, end, printed)) = claim(cursor, body, region_bytes, only) {
                    let guess =
                        if i == 0 { first.clone() } else { guess(latest, i, first, give_up).with_resources(&printed) };
                    if give_up.load(Ordering::Relaxed) {
                        break;
                    }
                    let done = match end {
                        Some(end) => {
                            let at = (start, end, ending(end));
                            region::<S>(file, body, at, config, needs, only, &mut resources, guess)
                        }
                        // No place to cut near where the next region should start: not a
                        // capture for this path.
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
        // holds every region's result at once. A region is held back until the next tells
        // whether it must be read again on through it.
        let mut order = InOrder::new();
        let (mut report, mut sink) = (Report::default(), S::new(config));
        let (mut lines_before, mut released) = (0u64, 0usize);
        let mut resources = Resources::default();
        // The region read last, and the state it was really framed from.
        let mut held: Option<(Region<S>, Carry)> = None;
        let mut merge = |r: Region<S>, report: &mut Report, sink: &mut S| {
            let mut part = r.report;
            part.errors.iter_mut().for_each(|e| e.line += lines_before);
            report.merge(part);
            sink.merge(r.sink);
            lines_before += r.lines;
            let safe = (skipped + r.end) & !4095;
            if safe >= released + RELEASE_STEP {
                release(released, safe - released);
                released = safe;
            }
        };
        let stop = || {
            give_up.store(true, Ordering::Relaxed);
            latest.1.notify_all();
        };
        for (i, done) in rx.iter() {
            for done in order.add(i, done) {
                let Some(mut done) = done else {
                    stop();
                    return None;
                };
                if let Some(offset) = done.not_utf8 {
                    stop();
                    return Some(Err(done.start + offset));
                }
                let next = match held.take() {
                    // The first region was framed from the input's own state.
                    None => (done, first.clone()),
                    Some((before, before_from)) => {
                        let truth = before.carry.clone();
                        let stale = done.carry.rebase(&body[done.start..], &done.guess, &truth);
                        #[cfg(test)]
                        READ_AGAIN.with(|n| n.set(n.get() + usize::from(stale.is_err())));
                        match stale {
                            Ok(carry) => {
                                done.carry = carry;
                                merge(before, &mut report, &mut sink);
                                (done, truth)
                            }
                            // Read again from the state it should have started from, or with
                            // the region before if a record of that one runs on into it.
                            Err(stale) => {
                                let (from, state) = match stale {
                                    Stale::Read => (done.start, truth),
                                    Stale::RunsOn => (before.start, before_from),
                                };
                                let at = (from, done.end, ending(done.end));
                                let again =
                                    region::<S>(file, body, at, config, &needs, only, &mut resources, state.clone());
                                let Some(again) = again else {
                                    stop();
                                    return None;
                                };
                                if from == done.start {
                                    merge(before, &mut report, &mut sink);
                                }
                                (again, state)
                            }
                        }
                    }
                };
                if let Ok(mut l) = latest.0.lock() {
                    *l = Some(next.0.carry.clone());
                    latest.1.notify_all();
                }
                held = Some(next);
            }
        }
        // A worker that saw `give_up` may have stopped with a region taken and not sent.
        if give_up.load(Ordering::Relaxed) || order.waiting() {
            return None;
        }
        let (last, _) = held?;
        // A text with no Rust in it says nothing of a Rust framer's state, as the sequential
        // path does not.
        let carry = last.carry.clone();
        merge(last, &mut report, &mut sink);
        report.carry = (report.rust_text || reading.carry.is_some()).then_some(carry);
        report.errors.sort_by_key(|e| e.line);
        Some(Ok((report, sink)))
    })
}

#[cfg(test)]
thread_local! {
    /// Regions read again, as the merging thread counted them.
    static READ_AGAIN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The state region `i` is framed from: the last one merged, waited for by the second region
/// (framed from the input's own state, `first`, it would most often read a resource the first
/// region printed, and be read again); for later ones, whatever is known.
fn guess(latest: &(Mutex<Option<Carry>>, Condvar), i: usize, first: &Carry, give_up: &AtomicBool) -> Carry {
    let Ok(mut l) = latest.0.lock() else { return first.clone() };
    while i == 1 && l.is_none() && !give_up.load(Ordering::Relaxed) {
        // Timed, so that no wake-up can be missed for good.
        match latest.1.wait_timeout(l, Duration::from_millis(10)) {
            Ok((next, _)) => l = next,
            Err(_) => return first.clone(),
        }
    }
    l.clone().unwrap_or_else(|| first.clone())
}

/// Frames and parses the region `start..end` of `body`, which ends as `ending` says, from the
/// Rust framer's state `guess`; `None` if a stateful framer other than Rust text's took a line.
#[allow(clippy::too_many_arguments)]
fn region<S: Sink>(
    file: &Arc<str>,
    body: &[u8],
    (start, end, ending): (usize, usize, Ending),
    config: &S::Config,
    needs: &Needs,
    only: Option<Format>,
    resources: &mut Resources,
    guess: Carry,
) -> Option<Region<S>> {
    let (mut framing, mut report) = (Report::default(), Report::default());
    let mut sink = S::new(config);
    let text = &body[start..end];
    let framed = frame(text, file, only, ending, Some(&guess), &mut framing, |_, batch| {
        for job in batch {
            parse_job(job, needs, file, &mut report, &mut sink, resources);
        }
    });
    if framed.stateful {
        return None;
    }
    let carry = framing.carry.take().unwrap_or_default();
    report.merge(framing);
    sink.part_done();
    // Every region but the last ends with its newline: its newlines are its lines.
    Some(Region { start, end, report, sink, lines: framed.lines, not_utf8: framed.not_utf8, guess, carry })
}

/// How far past a region's planned end a place to cut is looked for before the input is left to
/// the sequential path.
const SEARCH_BYTES: usize = 4 << 20;

/// How much Rust text past a region's planned end is framed first to find where to cut: a few of
/// the todo app's blocks, and a hundred of its records. Four times as much each time none is
/// found, up to [`SEARCH_BYTES`].
const RUST_WINDOW: usize = 64 << 10;

/// The next region to cut.
struct Cursor {
    index: usize,
    start: usize,
    /// The last region has been handed out.
    last: bool,
    /// Whether a region was cut in Rust text, and the resources printed before the next region
    /// as far as they are found without framing ([`Carry::print_resources`]).
    rust: bool,
    printed: Carry,
    /// The resources the pre-scan read, each printed section read once.
    resources: Resources,
}

/// Takes the next region: its index, start, end (`None`: no place to cut where one should be),
/// and the resources printed before it.
fn claim(
    cursor: &Mutex<Cursor>,
    body: &[u8],
    region_bytes: usize,
    only: Option<Format>,
) -> Option<(usize, usize, Option<usize>, Carry)> {
    let mut guard = cursor.lock().ok()?;
    let c = &mut *guard;
    if c.last {
        return None;
    }
    let (index, start, printed) = (c.index, c.start, c.printed.clone());
    let (end, rust) = next_start(body, start, region_bytes, only);
    match end {
        Some(end) if end < body.len() => (c.index, c.start) = (index + 1, end),
        _ => c.last = true,
    }
    // Rust text's resources change where another process's capture follows (captures put one
    // after the other): a region framed from the resources before would be read again.
    c.rust |= rust;
    if c.rust
        && let Some(end) = end
    {
        c.printed.print_resources(&body[start..end], &mut c.resources);
    }
    Some((index, start, end, printed))
}

/// Where the region after the one at `start` starts, at least `region_bytes` on: in Rust text,
/// the first place to cut after it ([`rust_cut`]); otherwise the first line that is exactly
/// `{` (trailing `\r`s aside). The input's end if that is nearer; `None` if there is no such
/// place in the [`SEARCH_BYTES`] after. And whether the cut was looked for in Rust text.
fn next_start(body: &[u8], start: usize, region_bytes: usize, only: Option<Format>) -> (Option<usize>, bool) {
    let from = start.saturating_add(region_bytes);
    if from >= body.len() {
        return (Some(body.len()), false);
    }
    let near = &body[from..body.len().min(from.saturating_add(RUST_WINDOW))];
    if only.is_none_or(|o| o == Format::RustText) && stream::has_rust_structure(near) {
        return (rust_cut(body, from, only), true);
    }
    let window = &body[from..body.len().min(from.saturating_add(SEARCH_BYTES))];
    let found = memchr::memmem::find_iter(window, b"\n{").map(|at| from + at + 1).find(|&line| {
        let end = memchr::memchr(b'\n', &body[line..]).map_or(body.len(), |i| line + i);
        body[line + 1..end].iter().all(|&c| c == b'\r')
    });
    let end = match found {
        Some(line) => Some(line),
        None if from + window.len() == body.len() => Some(body.len()),
        None => None,
    };
    (end, false)
}

/// Where Rust text is cut after `from`: the first place in the lines after it where a framing
/// of them leaves nothing open, as a stream is cut (a stream at its piece's last), looked for in
/// a [`RUST_WINDOW`], then in four times that, and so on up to [`SEARCH_BYTES`]. Each window is
/// framed from its start, up to the place found. Regions are cut one at a time, under a lock. A
/// region starts where a record of another signal may be suspended, so a place is kept only
/// after record starts of both spans and logs: in the metrics-heavy `rust-stdout.log` places
/// can be further apart than the first window, and the search then framed the whole 4 MB for
/// its last place (30 MB of it, read in 1 MB regions: 22% of its instructions, where this search
/// is now 8%; 300 MB, in 4 MB regions: 3%).
fn rust_cut(body: &[u8], from: usize, only: Option<Format>) -> Option<usize> {
    // From the next whole line: framed from the middle of one, a record's line looks like none.
    let from = from + memchr::memchr(b'\n', &body[from..])? + 1;
    let mut reach = RUST_WINDOW;
    loop {
        let window = &body[from..body.len().min(from.saturating_add(reach))];
        if let Some(at) = stream::place_to_cut(window, only, &mut true, false, true) {
            return Some(from + at);
        }
        if from + window.len() == body.len() {
            return Some(body.len());
        }
        if reach >= SEARCH_BYTES {
            return None;
        }
        reach *= 4;
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
                let reading =
                    Reading { region_bytes, bad_lines: &[], ending: Ending::Input, binary: false, carry: None };
                match ingest::<Collected>(&file, text, 0, &(), None, 2, &|_, _| {}, &reading) {
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

    /// Rust text in regions, each framed from the state the last one merged ended in: every
    /// Rust capture we hold (one process, two processes printing their resources, stdout and
    /// stderr merged, records interleaved line by line, CRLF line ends, captures of different
    /// processes one after the other) reads as the sequential path reads it, in regions of every
    /// size. Most regions are kept as framed, and some
    /// (framed from a state the region before then changed) are read again.
    #[test]
    fn rust_text_reads_in_regions_as_it_does_whole() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let mut inputs: Vec<Vec<u8>> = ["todo-default", "todo-two-processes", "todo-console-merged-stderr"]
            .iter()
            .map(|name| std::fs::read(format!("{dir}/../samples/todo/{name}.log")).unwrap())
            .collect();
        for name in ["rust-stdout", "rust-stdout-interleaved"] {
            inputs.push(std::fs::read(format!("{dir}/../../shared/samples/rust-stdout/{name}.log")).unwrap());
        }
        inputs.push(String::from_utf8(inputs[0].clone()).unwrap().replace('\n', "\r\n").into_bytes());
        // Captures of different processes one after the other: each region's resources are the
        // ones printed in the regions before it, found by the pre-scan or read again.
        inputs.push([&inputs[3][..], &inputs[0], &inputs[4], &inputs[1]].concat());
        let (mut regions, mut again) = (0, 0);
        for text in &inputs {
            let expected = read(text, None, usize::MAX);
            for region_bytes in [1 << 12, 1 << 15, 1 << 17] {
                let before = READ_AGAIN.with(|n| n.get());
                assert_eq!(read(text, None, region_bytes), expected, "regions of {region_bytes} bytes");
                again += READ_AGAIN.with(|n| n.get()) - before;
                let file: Arc<str> = Arc::from("t.log");
                let reading =
                    Reading { region_bytes, bad_lines: &[], ending: Ending::Input, binary: false, carry: None };
                let parallel = ingest::<Collected>(&file, text, 0, &(), None, 2, &|_, _| {}, &reading);
                assert!(parallel.is_some() || text.len() < 2 * region_bytes, "read in regions of {region_bytes} bytes");
                regions += text.len() / region_bytes;
            }
        }
        assert!(again > 0 && again * 4 < regions, "{again} of about {regions} regions read again");
    }

    #[test]
    fn regions_start_at_lines_that_open_an_object() {
        let text = b"a\n{\n  \"x\": {\n}\nb\n{\r\r\n}\n{x\n{\n}";
        let starts = |text: &[u8], region_bytes| {
            let cursor = Cursor {
                index: 0,
                start: 0,
                last: false,
                rust: false,
                printed: Carry::default(),
                resources: Resources::default(),
            };
            let (cursor, mut out) = (Mutex::new(cursor), Vec::new());
            while let Some((i, start, end, _)) = claim(&cursor, text, region_bytes, None) {
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
