//! What a command asks of the parsers: the parts of each record it reads (`Needs`), and where
//! parsed records go (`Sink`, one per worker batch, merged in input order).

use std::sync::Arc;

use crate::model::{LogRecord, MetricPoint, Span, SpanKind};

/// Which parts of a record a command reads; parsers skip the others (they still check that the
/// record is well formed where that is cheap, but do not build values nobody reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Span, log and metric-point attributes.
    pub attributes: bool,
    /// Span events and links.
    pub events: bool,
    /// Log bodies.
    pub bodies: bool,
    /// When set, the only attribute keys the command reads: parsers may leave the others out
    /// (the Python, Rust, Node and OTLP JSON readers do; Go's and the Collector's keep every
    /// attribute, which is never wrong).
    pub only: Option<Arc<Only>>,
    /// Whether the command reads log records and metric points beyond counting them: when not,
    /// parsers may skip their attributes and bodies (they still check and count the records).
    pub logs: bool,
    pub metrics: bool,
    /// Whether the command looks at log records and metric points at all. When not, they are
    /// only counted and timed (the input's time range, `--since` and `--until`): an export's
    /// table of them is read from its time columns alone.
    pub log_records: bool,
    pub points: bool,
    /// The span kinds whose attributes the command reads, when it reads some kinds only (a
    /// request query reads its entry spans'): a parser that meets a span's kind before its
    /// attributes may skip the attributes of the others (see [`Needs::for_span`]).
    pub span_kinds: Option<&'static [SpanKind]>,
}

impl Needs {
    /// Everything.
    pub const ALL: Needs = Needs {
        attributes: true,
        events: true,
        bodies: true,
        only: None,
        logs: true,
        metrics: true,
        log_records: true,
        points: true,
        span_kinds: None,
    };

    /// Only what every record has (ids, times, names, kinds, values): counting commands.
    pub const BARE: Needs = Needs {
        attributes: false,
        events: false,
        bodies: false,
        only: None,
        logs: false,
        metrics: false,
        log_records: true,
        points: true,
        span_kinds: None,
    };

    /// Spans with their attributes, nothing of logs and metrics: request queries.
    pub const SPAN_ATTRIBUTES: Needs = Needs { attributes: true, log_records: false, points: false, ..Needs::BARE };

    /// What a log record's parser needs: nothing when the command does not read logs.
    pub fn for_logs(&self) -> &Needs {
        if self.logs { self } else { &BARE }
    }

    /// What a metrics parser needs: nothing when the command does not read metric points (and
    /// not even their names when it does not look at them, [`Needs::points`]).
    pub fn for_metrics(&self) -> &Needs {
        if self.metrics {
            self
        } else if self.points {
            &BARE
        } else {
            &UNSEEN
        }
    }

    /// A metric's name as each of its points carries it: nothing when the command does not look
    /// at points, which are then only counted and timed (a string a point of a metrics-heavy
    /// capture).
    pub fn point_label(&self, text: &str) -> String {
        if self.points { text.to_string() } else { String::new() }
    }

    /// A metric's unit or description as each of its points carries it: only for a command that
    /// reads metrics (`summary` counts points by name alone; the two strings a point were a
    /// tenth of its time on the demo capture, with the name).
    pub fn point_detail(&self, text: &str) -> String {
        if self.metrics { text.to_string() } else { String::new() }
    }

    /// These needs, reading only the attributes named.
    pub fn only(self, keys: Vec<String>) -> Needs {
        Needs { only: Some(Arc::new(Only::new(keys))), ..self }
    }

    /// These needs, reading the attributes of spans of `kinds` only.
    pub fn span_kinds(self, kinds: Option<&'static [SpanKind]>) -> Needs {
        Needs { span_kinds: kinds, ..self }
    }

    /// What a span parser needs of a span of `kind`: only what every span has when the command
    /// reads other kinds' attributes only (a request query skips the attributes of the CLIENT and
    /// INTERNAL spans that are most of an OTLP capture).
    pub fn for_span(&self, kind: SpanKind) -> &Needs {
        if self.span_kinds.is_none_or(|kinds| kinds.contains(&kind)) { self } else { &BARE }
    }

    /// Whether the command reads the attribute `key`.
    pub fn attribute(&self, key: &str) -> bool {
        self.attributes && self.only.as_ref().is_none_or(|only| only.contains(key))
    }
}

/// The attribute keys a command reads ([`Needs::only`]), grouped by length, each with its first
/// eight bytes: a key is compared whole only with a name of its length that starts as it does.
/// Asked for every attribute of every span, comparing names whole (a `memcmp` call for each of
/// the same length) put 6% of `latency --by url`'s samples on the todo app's capture in `memcmp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Only {
    names: Vec<String>,
    /// Per name, shortest first: its first eight bytes and its index in `names`.
    heads: Vec<(u64, usize)>,
    /// `heads[from[n]..from[n + 1]]` are the names `n` bytes long.
    from: Vec<usize>,
}

impl Only {
    pub fn new(names: Vec<String>) -> Only {
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by_key(|&i| names[i].len());
        let heads = order.iter().map(|&i| (head(names[i].as_bytes()), i)).collect();
        let longest = names.iter().map(String::len).max().unwrap_or(0);
        let from = (0..=longest + 1).map(|n| order.partition_point(|&i| names[i].len() < n)).collect();
        Only { names, heads, from }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn contains(&self, key: &str) -> bool {
        let (b, len) = (key.as_bytes(), key.len());
        let (Some(&from), Some(&to)) = (self.from.get(len), self.from.get(len + 1)) else { return false };
        let first = head(b);
        self.heads[from..to]
            .iter()
            .any(|&(h, i)| h == first && self.names[i].as_bytes()[len.min(8)..] == b[len.min(8)..])
    }
}

/// The first eight bytes of `b` (fewer, zero-padded, when shorter) as one number.
fn head(b: &[u8]) -> u64 {
    match b.first_chunk::<8>() {
        Some(first) => u64::from_le_bytes(*first),
        None => b.iter().rev().fold(0, |h, &c| h << 8 | u64::from(c)),
    }
}

static BARE: Needs = Needs::BARE;
static UNSEEN: Needs = Needs { points: false, ..Needs::BARE };

/// Where parsed records go. Each worker builds its own from the command's configuration; they are
/// merged in input order.
pub trait Sink: Send + Sized {
    /// What the command tells every worker's sink (filters, options).
    type Config: Sync;
    /// What this sink reads of each record.
    const NEEDS: Needs = Needs::ALL;
    /// Whether what a worker adds stays in its sink until it is merged. The region path
    /// (`regions.rs`) drops the sinks of regions it reads again, or of all when it gives up, and
    /// a text that is not UTF-8 is read again repaired; a sink that writes records out as they
    /// come (an export) is given its input framed on one thread, repaired first if it needs it,
    /// so that nothing is read twice.
    const HELD: bool = true;
    /// What this sink reads, given its configuration (the attribute keys a query names).
    fn needs(_config: &Self::Config) -> Needs {
        Self::NEEDS
    }
    /// The `--since`/`--until` window the command selects (start inclusive, end exclusive), if
    /// any: [`Ranged`] counts the records inside it, so a window that holds none can say so.
    fn window(_config: &Self::Config) -> (Option<i64>, Option<i64>) {
        (None, None)
    }
    fn new(config: &Self::Config) -> Self;
    fn span(&mut self, span: Span);
    fn log(&mut self, log: LogRecord);
    fn point(&mut self, point: MetricPoint);
    /// Appends what a later part of the input produced.
    fn merge(&mut self, later: Self);
    /// Called on the worker that filled this sink once its part of the input is read, before
    /// the sink is merged (on the thread that merges in input order, often the framing one):
    /// work left for the end of a part is done here, not there.
    fn part_done(&mut self) {}
}

/// Keeps every record: for commands that need them all, and for tests.
#[derive(Debug, Default)]
pub struct Collected {
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
    pub points: Vec<MetricPoint>,
}

impl Sink for Collected {
    type Config = ();
    fn new(_: &()) -> Self {
        Collected::default()
    }
    fn span(&mut self, span: Span) {
        self.spans.push(span);
    }
    fn log(&mut self, log: LogRecord) {
        self.logs.push(log);
    }
    fn point(&mut self, point: MetricPoint) {
        self.points.push(point);
    }
    fn merge(&mut self, later: Self) {
        self.spans.extend(later.spans);
        self.logs.extend(later.logs);
        self.points.extend(later.points);
    }
}

/// A sink that also notes the time range of every record it is given (before any filter of the
/// command's: `--since` that selects nothing can then say what the input covers).
#[derive(Debug, Clone)]
pub struct Ranged<S> {
    pub inner: S,
    pub range: Option<(i64, i64)>,
    window: (Option<i64>, Option<i64>),
    /// Records whose time falls inside the command's window.
    pub in_window: usize,
}

impl<S> Ranged<S> {
    fn see(&mut self, t: i64) {
        // 0 is no time.
        if t != 0 {
            self.range = Some(self.range.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
            let (since, until) = self.window;
            self.in_window += usize::from(since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u));
        }
    }
}

impl<S: Sink> Sink for Ranged<S> {
    const HELD: bool = S::HELD;
    type Config = S::Config;
    const NEEDS: Needs = S::NEEDS;
    fn needs(config: &S::Config) -> Needs {
        S::needs(config)
    }
    fn new(config: &S::Config) -> Self {
        Ranged { inner: S::new(config), range: None, window: S::window(config), in_window: 0 }
    }
    fn span(&mut self, span: Span) {
        self.see(span.start_ns);
        self.inner.span(span);
    }
    fn log(&mut self, log: LogRecord) {
        if let Some(t) = log.time_ns.or(log.observed_time_ns) {
            self.see(t);
        }
        self.inner.log(log);
    }
    fn point(&mut self, point: MetricPoint) {
        self.see(point.time_ns);
        self.inner.point(point);
    }
    fn part_done(&mut self) {
        self.inner.part_done();
    }
    fn merge(&mut self, later: Self) {
        if let Some((lo, hi)) = later.range {
            self.range = Some(self.range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        self.in_window += later.in_window;
        self.inner.merge(later.inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record, read with the needs the configuration says.
    struct Asked(Collected);

    impl Sink for Asked {
        type Config = Needs;
        fn needs(config: &Needs) -> Needs {
            config.clone()
        }
        fn new(_: &Needs) -> Self {
            Asked(Collected::default())
        }
        fn span(&mut self, span: Span) {
            self.0.span(span);
        }
        fn log(&mut self, _: LogRecord) {}
        fn point(&mut self, point: MetricPoint) {
            self.0.point(point);
        }
        fn merge(&mut self, later: Self) {
            self.0.merge(later.0);
        }
    }

    fn read(path: &str, needs: Needs) -> (crate::parse::Report, Collected) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (report, asked) = crate::parse::ingest::<Asked>(path, &bytes, &needs, None, &|_, _| {}).unwrap();
        (report, asked.0)
    }

    fn spans(path: &str, needs: Needs) -> Vec<Span> {
        read(path, needs).1.spans
    }

    /// A command that does not look at metric points (a request query) gets them counted and
    /// timed, without their metric's name, unit and description, in every format; the same
    /// points, and the same records skipped, as a command that reads them whole.
    #[test]
    fn points_a_command_does_not_look_at_are_counted_and_timed_only_in_every_format() {
        for path in [
            "../../shared/samples/python-flask/flask-default.log",
            "../../shared/samples/rust-stdout/rust-stdout.log",
            "../../shared/samples/node-console/sdk-node-0.223_trace-base-2.12.1.txt",
            "../../shared/samples/otlp-json/js-otlp-http-json_metrics.jsonl",
            "../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl",
            "../../shared/conformance/python-sdk_metricsdata-to_json-compact.txt",
            "tests/fixtures/go-stdoutmetric-stdoutlog.log",
            "tests/fixtures/collector-debug-detailed.log",
        ] {
            let (all_report, all) = read(path, Needs::ALL);
            let (report, query) = read(path, Needs::SPAN_ATTRIBUTES);
            assert!(!all.points.is_empty() && all.points.iter().all(|p| !p.name.is_empty()), "{path}");
            let times = |c: &Collected| c.points.iter().map(|p| (p.time_ns, p.start_ns)).collect::<Vec<_>>();
            assert_eq!(times(&query), times(&all), "{path}");
            assert!(query.points.iter().all(|p| p.name.is_empty() && p.unit.is_empty() && p.description.is_empty()));
            assert_eq!(format!("{:?}", report.errors), format!("{:?}", all_report.errors), "{path}");
        }
    }

    /// Which attributes a span keeps goes by its kind: a span whose kind is written twice is
    /// read as the tree reader reads it (the last kind, every attribute) in OTLP JSON, and named
    /// and skipped in Rust text.
    #[test]
    fn a_span_whose_kind_is_written_twice_is_read_by_its_last_or_skipped() {
        let server = Needs::SPAN_ATTRIBUTES.span_kinds(Some(&[SpanKind::Server]));
        let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","kind":3,"attributes":[{"key":"http.route","value":{"stringValue":"/r"}}],"kind":2}]}]}]}"#;
        let (_, got) = crate::parse::ingest::<Asked>("t", line.as_bytes(), &server, None, &|_, _| {}).unwrap();
        assert_eq!((got.0.spans[0].kind, got.0.spans[0].attributes.len()), (SpanKind::Server, 1));
        let text = std::fs::read_to_string("../samples/todo/todo-default.log").unwrap();
        let doubled =
            text.replacen("\tKind         : Server\n", "\tKind         : Client\n\tKind         : Server\n", 1);
        let ingest = |t: &str| crate::parse::ingest::<Asked>("t", t.as_bytes(), &server, None, &|_, _| {}).unwrap();
        let ((_, all), (report, got)) = (ingest(&text), ingest(&doubled));
        assert_eq!(got.0.spans.len(), all.0.spans.len() - 1);
        assert_eq!(report.errors.len(), 1);
        assert!(format!("{:?}", report.errors[0]).contains("Kind printed twice"), "{:?}", report.errors);
    }

    #[test]
    fn a_query_of_server_spans_skips_the_attributes_of_the_other_kinds_in_every_format() {
        // Each reader meets a span's kind before its attributes; every one of these captures
        // has spans of other kinds with attributes.
        for path in [
            "../../shared/samples/python-flask/flask-default.log",
            "../samples/todo/todo-default.log",
            "../../shared/samples/node-console/sdk-node-0.223_trace-base-2.12.1.txt",
            "../../shared/samples/otlp-json/js-otlp-http-json_traces.jsonl",
            "../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl",
            "tests/fixtures/go-stdouttrace.log",
            "tests/fixtures/collector-debug-detailed.log",
        ] {
            let all = spans(path, Needs::SPAN_ATTRIBUTES);
            let server = spans(path, Needs::SPAN_ATTRIBUTES.span_kinds(Some(&[SpanKind::Server])));
            assert_eq!(all.len(), server.len(), "{path}");
            let mut skipped = 0;
            for (a, s) in all.iter().zip(&server) {
                assert_eq!((a.span_id, a.kind, a.start_ns, a.end_ns), (s.span_id, s.kind, s.start_ns, s.end_ns));
                if a.kind == SpanKind::Server {
                    assert_eq!(a.attributes, s.attributes, "{path}: {}", a.name);
                } else {
                    assert!(s.attributes.is_empty(), "{path}: {}", a.name);
                    skipped += usize::from(!a.attributes.is_empty());
                }
            }
            assert!(skipped > 0, "{path}: no span of another kind had attributes");
        }
    }

    /// `Only` answers as the plain test `names.contains(key)` does: for every name, every name
    /// with one byte changed, cut or lengthened, and keys shorter than eight bytes.
    #[test]
    fn only_finds_exactly_the_names_it_holds() {
        let names = ["url.full", "http.url", "http.request.method", "http.request.method_original", "k", "a.b", "x.y"];
        let only = Only::new(names.map(String::from).to_vec());
        let mut keys: Vec<String> = vec![String::new(), "url.ful".into(), "http.requesx.method".into()];
        for name in names {
            keys.push(name.to_string());
            keys.push(format!("{name}x"));
            keys.push(name[..name.len() - 1].to_string());
            for i in 0..name.len() {
                let mut b = name.as_bytes().to_vec();
                b[i] ^= 1;
                keys.push(String::from_utf8(b).unwrap());
            }
        }
        let found = keys.iter().filter(|k| only.contains(k)).count();
        for key in &keys {
            assert_eq!(only.contains(key), names.contains(&key.as_str()), "{key:?}");
        }
        assert_eq!(found, names.len());
    }

    /// A command that reads a few attributes by name gets exactly those of every span, from every
    /// reader that leaves the others out: the same as reading all of them and keeping the ones
    /// named. (Go's and the Collector's readers keep all, which is never wrong.)
    #[test]
    fn a_command_reading_some_attributes_gets_exactly_those() {
        let named: Vec<String> =
            crate::keys::attributes_read([]).into_iter().chain(["db.system.name".into()]).collect();
        for path in [
            "../../shared/samples/python-flask/flask-default.log",
            "../samples/todo/todo-default.log",
            "../../shared/samples/rust-stdout/rust-stdout.log",
            "../../shared/samples/node-console/sdk-node-0.223_trace-base-2.12.1.txt",
            "../../shared/samples/otlp-json/js-otlp-http-json_traces.jsonl",
            "../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl",
        ] {
            let all = spans(path, Needs::SPAN_ATTRIBUTES);
            let some = spans(path, Needs::SPAN_ATTRIBUTES.only(named.clone()));
            assert_eq!(all.len(), some.len(), "{path}");
            let mut kept = 0;
            for (a, s) in all.iter().zip(&some) {
                let expected: Vec<_> = a.attributes.iter().filter(|(k, _)| named.contains(k)).cloned().collect();
                assert_eq!(s.attributes, expected, "{path}: {}", a.name);
                kept += s.attributes.len();
            }
            assert!(kept > 0, "{path}: no attribute named was read");
        }
    }
}
