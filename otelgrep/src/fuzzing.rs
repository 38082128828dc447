//! What the fuzz targets (`fuzz/fuzz_targets/`, run by `fuzz/run.sh` with cargo-fuzz on nightly)
//! check on arbitrary bytes: one function per target, kept in the library so that every finding
//! and every seed replays on stable exactly as the fuzzer ran it (`tests/fuzz.rs`). Each function
//! must return normally on any input; a panic (an assertion below, an overflow in a debug build,
//! an index out of range) is a finding. Beyond not panicking, each states what must agree: two
//! readers of one format, the parallel and the sequential framer, a stream and a file, and the
//! commands among themselves on what they skip.

use std::sync::OnceLock;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::cmd;
use crate::filter::{self, Filter, Where};
use crate::model::Span;
use crate::parse::skim::Reader;
use crate::parse::{self, Collected, Format, Needs, Report, Resources};

/// The formats `--input-format` can name, the first byte of some targets' input choosing one
/// (or none: recognition per record, as by default).
const FORMATS: [Option<Format>; 8] = [
    None,
    Some(Format::PythonJson),
    Some(Format::RustText),
    Some(Format::OtlpJson),
    Some(Format::OtlpProto),
    Some(Format::NodeConsole),
    Some(Format::CollectorDebug),
    Some(Format::GoJson),
];

/// Python console objects: the one-pass skimmer and serde_json read a record alike (records and
/// errors), with everything read and with nothing but the bare record.
pub fn python_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let read = |needs: &Needs, reader| {
        format!("{:?}", parse::python_json::read(text, needs, &mut Resources::default(), reader))
    };
    assert_eq!(read(&Needs::ALL, Reader::Skim), read(&Needs::ALL, Reader::SerdeOnly), "{text:?}");
    let _ = read(&Needs::BARE, Reader::Skim);
}

/// OTLP JSON documents: the one-pass reader, the skimmer's tree and serde_json's tree give the same
/// records and errors; a reading that skips what it does not read (a count's, a query's) fails the
/// same records and counts and times the same ones; a worker reads a request as a fresh one does
/// after another; a document of several back to back never panics.
pub fn otlp_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let res = &mut Resources::default();
    let slow = format!("{:?}", parse::otlp_json::read(text, res, Reader::SerdeOnly));
    let skim = format!("{:?}", parse::otlp_json::read(text, &mut Resources::default(), Reader::Skim));
    assert_eq!(skim, slow, "skimmer's tree against serde_json: {text:?}");
    let one = format!("{:?}", parse::otlp_json::one_document(text, &Needs::ALL, &mut Resources::default()));
    assert_eq!(one, slow, "one-pass reader against serde_json: {text:?}");
    // What every command gets of a document, whatever it skips: its errors, and how many spans,
    // log records and points, with the points' times.
    let timed = |read: Result<parse::otlp_json::Batch, _>| match read {
        Ok(b) => {
            let times: Vec<_> = b.points.iter().map(|p| (p.time_ns, p.start_ns)).collect();
            format!("{:?} {} {} {} {times:?}", b.errors, b.spans.len(), b.logs.len(), b.metric_exports)
        }
        Err(e) => format!("{e:?}"),
    };
    let all = timed(parse::otlp_json::parse_document(text, &Needs::ALL, &mut Resources::default()));
    for needs in [Needs::BARE, Needs::SPAN_ATTRIBUTES] {
        let some = timed(parse::otlp_json::parse_document(text, &needs, &mut Resources::default()));
        assert_eq!(some, all, "a reading that skips against a full one: {text:?}");
    }
    // A worker that read the first line before reads the rest as a fresh one does: what it keeps
    // between requests (resources, histogram bounds checked) is taken again only when the same.
    if let Some((first, rest)) = text.split_once('\n') {
        let warm = &mut Resources::default();
        let _ = parse::otlp_json::parse_document(first, &Needs::SPAN_ATTRIBUTES, warm);
        let again = timed(parse::otlp_json::parse_document(rest, &Needs::SPAN_ATTRIBUTES, warm));
        let fresh = timed(parse::otlp_json::parse_document(rest, &Needs::SPAN_ATTRIBUTES, &mut Resources::default()));
        assert_eq!(again, fresh, "a worker's second request against a fresh one's: {text:?}");
    }
}

/// Node's `util.inspect` literals and records.
pub fn node_console(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse::node_console::parse_literal(text, &bumpalo::Bump::new());
    // Read twice on this thread, the same: the arena emptied between records keeps nothing of the
    // last one.
    let read =
        || format!("{:?}", parse::node_console::parse_record(text, &parse::Needs::ALL, &mut Resources::default()));
    let first = read();
    assert_eq!(read(), first, "a record read again on the same thread: {text:?}");
}

/// Go's stdout exporters: the first byte picks what the record is taken for.
pub fn go_json(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let kind =
        [parse::go_json::Kind::Span, parse::go_json::Kind::Metrics, parse::go_json::Kind::Log][pick as usize % 3];
    let _ = parse::go_json::line_kind(text);
    let _ = parse::go_json::object_kind(text);
    for needs in [Needs::ALL, Needs::BARE] {
        let _ = parse::go_json::parse_record(text, kind, &needs, &mut Resources::default());
    }
}

/// Binary OTLP: the length framing, and every frame (and the whole input) as a message.
pub fn otlp_proto(data: &[u8]) {
    let _ = parse::otlp_proto::is_framed(data);
    let _ = parse::otlp_proto::is_bare(data);
    for frame in parse::otlp_proto::frames(data) {
        if let Ok(bytes) = frame.bytes {
            let _ = parse::otlp_proto::parse_message(bytes, &mut Resources::default());
        }
    }
    let _ = parse::otlp_proto::parse_message(data, &mut Resources::default());
}

/// An export's Parquet file, any bytes: read for everything, for counting and for spans alone,
/// it never hangs or brings the process down (what the library asserts on in the footer is
/// checked first; a panic in its page decoders is caught and is the file's error), and where two
/// reads succeed they give the same number of records. libFuzzer's panic hook would abort on a
/// caught panic too (one whose place is in the standard library, called by the Parquet library,
/// passes the reader's quiet hook): the hook is made silent here, and a panic that is not caught
/// still ends the run, which libFuzzer reports as a finding. (Only under the fuzzer: replayed by
/// the tests, panics keep their messages.)
pub fn parquet(data: &[u8]) {
    #[cfg(fuzzing)]
    {
        static SILENT: std::sync::Once = std::sync::Once::new();
        SILENT.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    }
    let path = std::env::temp_dir().join(format!("otelgrep-fuzz-{}.parquet", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let files = [path.to_string_lossy().into_owned()];
    let (all, _) = crate::columnar::read::<crate::parse::Collected>(&files, &());
    let (bare, _) = crate::columnar::read::<crate::cmd::summary::Tally>(&files, &());
    if let (Ok(a), Ok(b)) = (&all[0].1, &bare[0].1) {
        assert_eq!(a, b, "records read for everything and for counting");
    }
    // Spans alone: of log records and metric points, only their times.
    let (spans, _) = crate::columnar::read::<crate::cmd::trace::Slowest>(&files, &());
    if let (Ok(a), Ok(c)) = (&all[0].1, &spans[0].1) {
        assert_eq!(a, c, "records read for everything and for spans alone");
    }
}

/// The value grammars of the text formats: Rust's `Debug` values, the Collector's `Tag(value)`,
/// Node's literals.
pub fn values(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse::rust_debug::parse_value(text);
    let _ = parse::rust_debug::parse_string(text);
    let _ = parse::rust_debug::parse_scope(text);
    let _ = parse::collector_debug::parse_value(text);
    let _ = parse::collector_debug::strip_zap_prefix(text);
    let _ = parse::collector_debug::tree_start(text);
}

/// The framers: an input read by the parallel region splitter (regions of a few bytes) gives
/// exactly what the one framing thread gives, records, errors and counts. The first byte picks
/// `--input-format`.
pub fn framer(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let only = FORMATS[pick as usize % FORMATS.len()];
    let read = |region_bytes| {
        let reading =
            parse::Reading { region_bytes, bad_lines: &[], ending: parse::Ending::Input, binary: true, carry: None };
        let done = parse::ingest_with::<Collected>("fuzz", rest, &(), only, &|_, _| {}, &reading);
        match done {
            Ok(Some((report, c))) => Some(outcome(&report, &c)),
            Ok(None) => None,
            Err(e) => Some(format!("error {e}")),
        }
    };
    let sequential = read(usize::MAX / 4);
    let regions = read(1 + usize::from(pick >> 3));
    match (regions, sequential) {
        (Some(r), Some(s)) => same(&r, &s, &format!("in regions, with one framer (only {only:?})")),
        (r, s) => assert_eq!(r.is_some(), s.is_some(), "read as text in regions, with one framer"),
    }
}

/// The layers before the framers: encodings, byte-order and UTF-8 marks, wrappers (Docker,
/// Kubernetes, CRI, journald, ANSI), then the whole ingest. Errors name lines of the input.
pub fn arrival(data: &[u8]) {
    let decoded = parse::text::decode(data);
    let _ = parse::wrappers::unwrap(&decoded.bytes);
    parse::wrappers::prefilters_hold(&decoded.bytes).expect("a wrapper's prefilter lets every line it matches through");
    let (report, _) = parse::ingest::<Collected>("fuzz", data, &(), None, &|_, _| {}).expect("ingest never fails");
    let lines = parse::line_count(&decoded.bytes) + 1;
    // Binary OTLP names the message (its number) where text names a line.
    let binary = parse::otlp_proto::is_binary(data);
    for e in report.errors.iter().filter(|_| !binary) {
        assert!(e.line >= 1 && e.line <= lines.max(parse::line_count(data) + 1), "{e} of {lines} lines");
    }
}

/// A stream read in small pieces gives what the same bytes give as a file: records, errors and
/// counts. The first byte sets the piece size.
pub fn stream(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else { return };
    let chunk = 1 + usize::from(pick);
    let (report, whole) = parse::ingest::<Collected>("fuzz", rest, &(), None, &|_, _| {}).expect("a file");
    let mut reader = rest;
    let streamed = parse::ingest_stream::<Collected>("fuzz", &mut reader, &(), None, chunk, rest.len() + 1);
    let (s_report, s_sink, end) = streamed.expect("a stream");
    same(&outcome(&s_report, &s_sink), &outcome(&report, &whole), &format!("in pieces of {chunk} bytes, as a file"));
    assert_eq!(end.lines, parse::line_count(rest));
}

/// `--where`, `--since`/`--until` and `--every`: one argument per line; whatever parses is
/// applied to a span carrying the usual HTTP attributes. A regular expression with a counted
/// repetition (`url~\w{1,40}`) is left out: the regex crate compiles one for 27 to 120 ms (its
/// own code, fuzzed by its project), and the target spent nearly all its time there, at 250
/// inputs a second, instead of in our parsing around it.
pub fn filters(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = 1_780_000_000_000_000_000;
    let span = sample_span();
    let mut wheres = Vec::new();
    let counted = |line: &&str| line.split_once('~').is_some_and(|(_, re)| re.contains('{'));
    for line in text.lines().filter(|l| !counted(l)) {
        let _ = filter::parse_duration(line);
        let _ = filter::parse_every(line);
        let _ = filter::parse_time(line, now);
        if let Ok(w) = Where::parse(line) {
            let _ = w.matches(&span);
            let _ = w.matches_point(&span.attributes, &span);
            wheres.push(line.to_string());
        }
    }
    let mut lines = text.lines();
    if let Ok(f) = Filter::new(&wheres, lines.next(), lines.next(), &[], now) {
        let _ = f.span(&span);
    }
}

/// The whole ingest on arbitrary bytes, into the sinks of `summary`, `latency --by url` and
/// `spans` (each reads other parts of a record): they skip exactly the same records, with the
/// same reasons at the same lines.
pub fn pipeline(data: &[u8]) {
    static CONFIGS: OnceLock<(cmd::latency::Config, cmd::spans::Config)> = OnceLock::new();
    let (latency, spans) = CONFIGS.get_or_init(|| {
        let parsed = |args: &[&str]| Cli::try_parse_from(args).expect("arguments parse").command;
        let (Command::Latency(l), Command::Spans(s)) =
            (parsed(&["otelgrep", "latency", "--by", "url", "-"]), parsed(&["otelgrep", "spans", "-"]))
        else {
            unreachable!("the commands parsed are latency and spans")
        };
        (
            cmd::latency::Config::new(&l, Filter::default()).expect("latency's config"),
            cmd::spans::Config::new(&s, Filter::default()).expect("spans' config"),
        )
    });
    fn skipped<S: parse::Sink>(data: &[u8], config: &S::Config) -> Vec<String> {
        let (report, _) = parse::ingest::<S>("fuzz", data, config, None, &|_, _| {}).expect("ingest never fails");
        report.errors.iter().map(|e| e.to_string()).collect()
    }
    let summary = skipped::<cmd::summary::Tally>(data, &());
    assert_eq!(summary, skipped::<cmd::latency::Samples>(data, latency), "summary and latency skip alike");
    assert_eq!(summary, skipped::<cmd::spans::Listed>(data, spans), "summary and spans skip alike");
}

/// Two readings must be the same; the first line where they differ is the finding.
fn same(a: &str, b: &str, what: &str) {
    if let Some((x, y)) = a.lines().zip(b.lines()).find(|(x, y)| x != y) {
        panic!("{what}: differ at\n  {x}\n  {y}");
    }
    assert_eq!(a.lines().count(), b.lines().count(), "{what}: one reading has more lines");
}

/// What an ingest gave, to compare two readings of the same bytes.
pub(crate) fn outcome(report: &Report, c: &Collected) -> String {
    let mut records = report.records.clone();
    records.sort();
    let errors: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
    format!(
        "records {records:?}\nexports {}\nforeign {}\nunattributed {}\nwrappers {:?}\nsources {:?}\nerrors {errors:#?}\nspans {:#?}\nlogs {:#?}\npoints {:#?}",
        report.metric_exports,
        report.foreign_lines,
        report.unattributed,
        report.wrappers,
        report.sources,
        c.spans,
        c.logs,
        c.points
    )
}

/// A server span with the attributes filters usually name, one of them NaN.
fn sample_span() -> Span {
    const REQUEST: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"todo"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"5000001","attributes":[{"key":"http.method","value":{"stringValue":"GET"}},{"key":"http.status_code","value":{"intValue":"500"}},{"key":"http.target","value":{"stringValue":"/add?x=1"}},{"key":"latency","value":{"doubleValue":"NaN"}}]}]}]}]}"#;
    let batch = parse::otlp_json::parse_document(REQUEST, &Needs::ALL, &mut Resources::default());
    batch.ok().and_then(|b| b.spans.into_iter().next()).expect("the sample span reads")
}
