//! The ingest model on real captures, through the library: what each record holds, not only how
//! many there are. Expected values are read off the raw files (line numbers cited).

use std::path::Path;

use otelgrep::model::{MetricKind, PointValue, SpanKind, StatusCode, Temporality, Value, attr};
use otelgrep::parse::time::parse_utc;
use otelgrep::parse::{self, ParseErrorKind, Parsed};

fn read(rel: &str) -> Parsed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel);
    let bytes = std::fs::read(&path).unwrap();
    parse::parse(rel, &bytes).unwrap()
}

fn requests(rel: &str) -> Vec<(String, String, u16)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1].to_string(), f[2].to_string(), f[3].parse().unwrap())
        })
        .collect()
}

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

#[test]
fn todo_captures_hold_one_server_span_per_request_with_its_status() {
    for (name, status_key) in [
        ("todo-default", "http.status_code"),
        ("todo-http", "http.response.status_code"),
        ("todo-http-dup", "http.response.status_code"),
        ("todo-console-merged-stderr", "http.status_code"),
    ] {
        let p = read(&format!("todo/{name}.log"));
        assert!(p.errors.is_empty(), "{name}: {:?}", p.errors);
        let sent = requests(&format!("todo/{name}.requests.tsv"));
        let mut want: Vec<u16> = sent.iter().map(|r| r.2).collect();
        let mut got: Vec<u16> = p
            .spans
            .iter()
            .filter(|s| s.kind == SpanKind::Server)
            .map(|s| int(attr(&s.attributes, status_key)).unwrap() as u16)
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{name}");
        // The final metrics export's request-duration histogram counts every request. (Rust
        // prints an EndTime per metric, so "final" is per metric.)
        let hist = if name == "todo-http" { "http.server.request.duration" } else { "http.server.duration" };
        let last = p.points.iter().filter(|m| m.name == hist).map(|m| m.time_ns).max().unwrap();
        let counted: u64 = p
            .points
            .iter()
            .filter(|m| m.time_ns == last && m.name == hist)
            .map(|m| match m.value {
                PointValue::Histogram { count, .. } => count,
                _ => panic!("{hist} is a histogram"),
            })
            .sum();
        assert_eq!(counted, sent.len() as u64, "{name}");
    }
}

#[test]
fn merged_stderr_lines_inside_blocks_are_foreign_not_telemetry() {
    let p = read("todo/todo-console-merged-stderr.log");
    assert_eq!(p.foreign_lines, 399);
    // No span name or attribute swallowed an app log line.
    for s in &p.spans {
        assert!(!s.name.contains(" INFO ") && !s.name.contains('\n'), "{:?}", s.name);
    }
}

#[test]
fn rust_stdout_sample_counts_and_values() {
    let p = read("rust-stdout/rust-stdout.log");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!((p.spans.len(), p.logs.len(), p.metric_exports), (75, 40, 6));
    assert_eq!(p.spans.iter().filter(|s| s.kind == SpanKind::Server).count(), 40);
    // L763–764: an event name with a raw newline continues on a column-0 line.
    let names: Vec<&str> = p.spans.iter().flat_map(|s| &s.events).map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"todo added: call bob: 5pm\nthen \"email\" him"), "{names:?}");
    // L1577–1578: a metric attribute value with a raw newline.
    assert!(p.points.iter().any(|m| attr(&m.attributes, "todo.tag") == Some(&Value::Str("a:b\nc".into()))));
    // L8: the resource's Debug string is unescaped.
    let note = attr(&p.spans[0].resource.attributes, "deployment.note");
    assert_eq!(note, Some(&Value::Str("colon: here\nnewline there".into())));
    // L827: an error status with its description.
    assert!(
        p.spans.iter().any(|s| s.status == StatusCode::Error && s.status_message.as_deref() == Some("empty todo text"))
    );
    // L159: a gauge.
    assert!(p.points.iter().any(|m| m.name == "todo.item.last_text_length" && m.kind == MetricKind::Gauge));
}

#[test]
fn interleaved_blocks_recover_every_span() {
    let p = read("rust-stdout/rust-stdout-interleaved.log");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.spans.len(), 75);
    assert_eq!(p.spans.iter().filter(|s| s.kind == SpanKind::Server).count(), 40);
    // Span #9 (L2274) is cut at L2306 by a Metrics block; its last five attributes resume at L2529.
    let s = p.spans.iter().find(|s| s.span_id == 0x1249bbba1e81d7a2).unwrap();
    assert_eq!(s.name, "POST /add");
    assert_eq!(attr(&s.attributes, "http.route"), Some(&Value::Str("/add".into())));
    assert_eq!(int(attr(&s.attributes, "http.response.status_code")), Some(303));
    assert!(attr(&s.attributes, "idle_ns").is_some());
    // ... and none of those lines was taken for a metric's.
    assert!(p.points.iter().all(
        |m| attr(&m.attributes, "http.route") != Some(&Value::Str("/add".into())) || m.name != "todo.items.stored"
    ));
    // The exponential histogram of that capture (L62) is read with its buckets.
    let exp = p.points.iter().find(|m| m.kind == MetricKind::ExponentialHistogram).unwrap();
    match &exp.value {
        PointValue::ExponentialHistogram { count, scale, positive_offset, positive, .. } => {
            assert_eq!((*count, *scale, *positive_offset), (2, 5, -271));
            assert_eq!(positive.iter().sum::<u64>(), 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_rust_capture_cut_mid_span_reports_one_record_and_keeps_the_rest() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/rust-stdout/rust-stdout.log");
    let text = std::fs::read_to_string(path).unwrap();
    let whole = parse::parse("whole", text.as_bytes()).unwrap();
    // Line 898 is inside `Span #12` (L888), before its End time.
    let cut: String = text.lines().take(896).map(|l| format!("{l}\n")).collect();
    let p = parse::parse("cut.log", cut.as_bytes()).unwrap();
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert_eq!(p.errors[0].line, 888);
    assert_eq!(p.errors[0].kind, ParseErrorKind::Truncated { what: "Rust stdout record" });
    let before = text.lines().take(887).filter(|l| l.starts_with("Span #")).count();
    assert_eq!(p.spans.len(), before);
    assert!(p.spans.len() < whole.spans.len());
}

#[test]
fn otlp_json_lines_match_an_independent_count() {
    // Expected values computed with Python's json module over the same files: spans by kind
    // (OTLP numbering 1/2/3), status code 2, log records by severityText, data points per metric.
    let t = read("otlp-json/js-otlp-http-json_traces.jsonl");
    assert!(t.errors.is_empty(), "{:?}", t.errors);
    let kinds = |k| t.spans.iter().filter(|s| s.kind == k).count();
    assert_eq!((kinds(SpanKind::Internal), kinds(SpanKind::Server), kinds(SpanKind::Client)), (4, 3, 4));
    assert_eq!(t.spans.iter().filter(|s| s.status == StatusCode::Error).count(), 3);
    // JS writes int64 attributes as JSON numbers: they stay integers.
    let server = t.spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
    assert!(matches!(attr(&server.attributes, "http.response.status_code"), Some(Value::Int(_))));

    let l = read("otlp-json/js-otlp-http-json_logs.jsonl");
    assert_eq!(l.logs.len(), 3);
    assert_eq!(l.logs.iter().filter(|r| r.severity_text.as_deref() == Some("ERROR")).count(), 1);

    let m = read("otlp-json/js-otlp-http-json_metrics.jsonl");
    assert_eq!((m.metric_exports, m.points.len()), (1, 11));
    let n = |name: &str| m.points.iter().filter(|p| p.name == name).count();
    assert_eq!((n("http.server.request.duration"), n("http.client.request.duration"), n("demo.requests")), (2, 3, 2));
}

#[test]
fn node_console_records_both_sdk_generations() {
    // Counts checked with grep on the raw files: `startTime:` per data point, `^  kind: 1,` per
    // SERVER span, `status: { code: 2` per error span, `^  descriptor` per metric record.
    for rel in [
        "node-console/sdk-node-0.223_trace-base-2.12.1.txt",
        "node-console/sdk-node-0.57.2_trace-base-1.30.1.txt",
        "node-console/sdk-node-0.223_interleaved-app-logs.txt",
    ] {
        let p = read(rel);
        assert!(p.errors.is_empty(), "{rel}: {:?}", p.errors);
        assert_eq!((p.spans.len(), p.logs.len(), p.points.len()), (11, 3, 10), "{rel}");
        assert_eq!(p.spans.iter().filter(|s| s.kind == SpanKind::Server).count(), 3, "{rel}");
        assert_eq!(p.spans.iter().filter(|s| s.status == StatusCode::Error).count(), 3, "{rel}");
    }
    assert_eq!(read("node-console/sdk-node-0.223_interleaved-app-logs.txt").foreign_lines, 4);

    // 2.x (L82–134): a server span under a remote parent, duration in fractional µs.
    let p = read("node-console/sdk-node-0.223_trace-base-2.12.1.txt");
    let get = p.spans.iter().find(|s| s.span_id == 0xda0830b5b7a3e86c).unwrap();
    assert_eq!(get.parent_span_id, Some(0x5b7595461a265f0f));
    assert_eq!((get.start_ns, get.end_ns - get.start_ns), (1_795_821_986_839_000_000, 41_142_758));
    assert_eq!(int(attr(&get.attributes, "http.response.status_code")), Some(200));
    // L444: the stack trace printed as `'...\n' +` lines is one string again.
    let stack = p
        .spans
        .iter()
        .flat_map(|s| &s.events)
        .find_map(|e| match attr(&e.attributes, "exception.stacktrace") {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        stack.starts_with("Error: boom\n    at Timeout._onTimeout (/srv/node-app/app.js:39:30)\n    at listOnTimeout"),
        "{stack}"
    );

    // A remote parent's `tracestate` prints as a class instance holding a Map, and a log
    // attribute may be a Uint8Array: both records read (both were skipped, `unknown value`).
    let p = read("../otelgrep/tests/fixtures/node-tracestate-uint8array.txt");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!((p.spans.len(), p.logs.len()), (1, 1));
    assert_eq!((p.spans[0].kind, p.spans[0].parent_span_id), (SpanKind::Server, Some(0xb7ad6b7169203331)));
    assert_eq!(int(attr(&p.spans[0].attributes, "http.response.status_code")), Some(200));
    let bytes = attr(&p.logs[0].attributes, "bytes");
    assert_eq!(bytes, Some(&Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(255)])));

    // 1.x (L22–31): the parent is `parentId`.
    let p = read("node-console/sdk-node-0.57.2_trace-base-1.30.1.txt");
    let s = p.spans.iter().find(|s| s.span_id == 0xbd485844acbb6ac5).unwrap();
    assert_eq!(s.parent_span_id, Some(0xec1a1f2373521353));
    assert_eq!(s.end_ns - s.start_ns, 12_517_352);
}

#[test]
fn many_batches_merge_to_the_same_counts_and_ordered_errors() {
    // Fourteen copies span many 1 MiB batches (Rust text) or 4 MB regions (Python), parsed on
    // several threads and merged in order. One span line of the eleventh copy, past the first
    // regions, is damaged: exactly that span is lost, reported at that line.
    for (rel, span_line, damaged) in [
        ("python-flask/flask-default.log", "    \"name\": ", "    \"name\" oops"),
        ("todo/todo-default.log", "\tTraceId      : ", "\tTraceId      : zz"),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel);
        let one = std::fs::read_to_string(&path).unwrap();
        let single = parse::parse(rel, one.as_bytes()).unwrap();
        let copies = 14;
        let per_copy = one.lines().count();
        let target = 10 * per_copy + one.lines().position(|l| l.starts_with(span_line)).unwrap();
        let text: String = one
            .repeat(copies)
            .lines()
            .enumerate()
            .map(|(i, l)| if i == target { format!("{damaged}\n") } else { format!("{l}\n") })
            .collect();
        let p = parse::parse("copies", text.as_bytes()).unwrap();
        assert_eq!(p.spans.len(), single.spans.len() * copies - 1, "{rel}");
        assert_eq!(p.logs.len(), single.logs.len() * copies, "{rel}");
        assert_eq!(p.points.len(), single.points.len() * copies, "{rel}");
        assert_eq!(p.metric_exports, single.metric_exports * copies, "{rel}");
        assert_eq!(p.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [target as u64 + 1], "{rel}: {:?}", p.errors);
    }
}

/// The debug exporter prints a span's `TraceState` only when it has one, a link's always
/// (`exporter/debugexporter/internal/otlptext`: `traces.go`, `databuffer.go`).
#[test]
fn collector_debug_trace_states() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collector-debug-detailed.log");
    let text = std::fs::read_to_string(path).unwrap().replacen(
        "    Kind           : Server\n",
        "    Kind           : Server\n    TraceState     : ot=th:0\n",
        1,
    );
    let link = "Links:\nSpanLink #0\n     -> Trace ID: 0af7651916cd43dd8448eb211c80319c\n     -> ID: b7ad6b7169203331\n     \
                -> TraceState: congo=ucfJifl5GOE\n     -> DroppedAttributesCount: 0\n";
    let text = text.replacen("Events:\n", &format!("{link}Events:\n"), 1);
    // A scope name may hold a space; its version never does.
    let text = text.replacen(
        "InstrumentationScope io.opentelemetry.tomcat-10.0 2.9.0",
        "InstrumentationScope My Orders 2.9.0",
        1,
    );
    let p = parse::parse("collector", text.as_bytes()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let server = p.spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
    let scope = server.scope.as_deref().map(|s| (s.name.as_str(), s.version.as_str()));
    assert_eq!(scope, Some(("My Orders", "2.9.0")));
    assert_eq!(server.trace_state.as_deref(), Some("ot=th:0"));
    let links: Vec<_> = server.links.iter().map(|l| (l.span_id, l.trace_state.as_deref())).collect();
    assert_eq!(links, [(0xb7ad6b7169203331, Some("congo=ucfJifl5GOE"))]);
}

#[test]
fn collector_debug_detailed_text() {
    // A hand-assembled fixture in the Collector's golden-output layout (see fixtures/README.md).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collector-debug-detailed.log");
    let p = parse::parse("collector", &std::fs::read(path).unwrap()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    // The three zap summary lines (`Traces {...}`) are the app's, not telemetry.
    assert_eq!(p.foreign_lines, 3);
    let server = p.spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
    assert_eq!(
        (server.trace_id, server.span_id, server.parent_span_id),
        (0xfafdac970271dd2ce89de2442c0518c7, 0x3875f436d989d0e5, None)
    );
    assert_eq!(server.end_ns - server.start_ns, 6_122_404);
    assert_eq!(server.status, StatusCode::Error);
    let scope = server.scope.as_deref().map(|s| (s.name.as_str(), s.version.as_str()));
    assert_eq!(scope, Some(("io.opentelemetry.tomcat-10.0", "2.9.0")));
    assert_eq!(server.trace_state, None);
    assert_eq!(int(attr(&server.attributes, "http.response.status_code")), Some(500));
    let stack = attr(&server.events[0].attributes, "exception.stacktrace");
    assert_eq!(
        stack,
        Some(&Value::Str(
            "java.lang.IllegalStateException: boom\n\tat Cart.get(Cart.java:12)\n\tat Servlet.service(Servlet.java:40)"
                .into()
        ))
    );
    let client = p.spans.iter().find(|s| s.kind == SpanKind::Client).unwrap();
    assert_eq!(client.parent_span_id, Some(0x3875f436d989d0e5));

    let error = p.logs.iter().find(|l| l.severity_number == Some(17)).unwrap();
    assert_eq!(error.body, Value::Str("cart failed:\nsecond line".into()));
    assert_eq!(error.trace_id, Some(0xfafdac970271dd2ce89de2442c0518c7));
    let info = p.logs.iter().find(|l| l.severity_number == Some(9)).unwrap();
    assert_eq!((info.time_ns, info.trace_id), (None, None), "the zero time and empty ids mean unset");

    let hist = p.points.iter().find(|m| m.kind == MetricKind::Histogram).unwrap();
    assert_eq!(
        hist.value,
        PointValue::Histogram {
            count: 3,
            sum: Some(0.021),
            min: Some(0.005),
            max: Some(0.009),
            bounds: vec![0.005, 0.01],
            counts: vec![1, 2, 0]
        }
    );
    let active: Vec<_> = p.points.iter().filter(|m| m.name == "http.server.active_requests").collect();
    assert_eq!(active.len(), 2);
    assert!(active.iter().all(|m| m.kind == MetricKind::UpDownCounter));
    assert_eq!(active[1].value, PointValue::Int(1));
}

#[test]
fn python_nan_infinity_lone_surrogates_and_big_integers_survive() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python-nan-surrogate-bigint.log");
    let p = parse::parse("lenient", &std::fs::read(path).unwrap()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let s = &p.spans[0];
    assert!(matches!(attr(&s.attributes, "ratio"), Some(Value::Double(d)) if d.is_nan()));
    assert_eq!(attr(&s.attributes, "big"), Some(&Value::Double(f64::INFINITY)));
    assert_eq!(attr(&s.attributes, "path"), Some(&Value::Str("/caf\u{fffd}".into())));
    assert_eq!(attr(&s.attributes, "n"), Some(&Value::BigInt("123456789012345678901234567890".into())));
}

#[test]
fn go_stdouttrace_pretty_and_compact_spans() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/go-stdouttrace.log");
    let p = parse::parse("go", &std::fs::read(path).unwrap()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!((p.spans.len(), p.foreign_lines), (3, 1));
    let server = p.spans.iter().find(|s| s.span_id == 0x0102030405060708).unwrap();
    assert_eq!((server.kind, server.parent_span_id, server.status), (SpanKind::Server, None, StatusCode::Error));
    // 11:55:21.379895125-07:00 to 11:55:21.421037-07:00.
    assert_eq!(server.end_ns - server.start_ns, 41_141_875);
    assert_eq!(int(attr(&server.attributes, "http.response.status_code")), Some(500));
    assert_eq!(server.events[0].name, "exception");
    assert_eq!(server.resource.service_name(), Some("go-demo"));
    let child = p.spans.iter().find(|s| s.span_id == 0x1112131415161718).unwrap();
    assert_eq!(child.parent_span_id, Some(0x0102030405060708));
    // The child's UTC times and the parent's offset times are the same clock.
    assert!(child.start_ns > server.start_ns && child.end_ns < server.end_ns);
    assert_eq!(attr(&child.attributes, "ratio"), Some(&Value::Double(0.5)));
    assert_eq!(
        attr(&child.attributes, "tags"),
        Some(&Value::Array(vec![Value::Str("a".into()), Value::Str("b".into())]))
    );
    assert!(p.spans.iter().any(|s| s.name == "GET /health"), "the compact single-line span");
}

#[test]
fn go_stdoutmetric_and_stdoutlog_pretty_and_compact() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/go-stdoutmetric-stdoutlog.log");
    let p = parse::parse("go", &std::fs::read(path).unwrap()).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    // Two app lines; two exports (pretty, then compact) of seven metrics; three log records.
    assert_eq!((p.foreign_lines, p.metric_exports, p.points.len(), p.logs.len()), (2, 2, 14, 3));
    let point = |name: &str| p.points.iter().find(|m| m.name == name).unwrap();
    let requests = point("requests");
    assert_eq!((requests.kind, requests.temporality), (MetricKind::Counter, Some(Temporality::Delta)));
    assert_eq!(requests.value, PointValue::Int(5));
    // 03:00:10.000000001+01:00 is 02:00:10.000000001 UTC.
    assert_eq!(requests.time_ns, parse_utc("2026-11-28T02:00:10.000000001Z").unwrap());
    assert_eq!(point("system.cpu.time").value, PointValue::Double(0.5));
    assert_eq!(point("system.cpu.time").temporality, Some(Temporality::Cumulative));
    assert_eq!((point("temperature").kind, point("temperature").temporality), (MetricKind::Gauge, None));
    let queue = point("queue.depth");
    assert_eq!((queue.kind, queue.start_ns, &queue.value), (MetricKind::UpDownCounter, None, &PointValue::Int(-2)));
    let PointValue::Histogram { count, sum, min, max, bounds, counts } = &point("requests.size").value else {
        panic!("requests.size is a histogram")
    };
    assert_eq!((*count, *sum, *min, *max), (10, Some(128.0), Some(3.0), Some(30.0)));
    assert_eq!((bounds.as_slice(), counts.as_slice()), ([1.0, 5.0, 10.0].as_slice(), [1, 3, 6, 0].as_slice()));
    let PointValue::ExponentialHistogram { count, min, scale, positive_offset, positive, negative, .. } =
        &point("latency").value
    else {
        panic!("latency is an exponential histogram")
    };
    assert_eq!((*count, *min, *scale, *positive_offset), (4, None, 1, 4));
    assert_eq!((positive.as_slice(), negative.len()), ([2, 1, 1].as_slice(), 0));
    assert_eq!(requests.resource.service_name(), Some("go-demo"));
    assert_eq!(attr(&requests.attributes, "server"), Some(&Value::Str("central".into())));

    let info = &p.logs[0];
    assert_eq!((info.severity_number, info.severity_text.as_deref()), (Some(9), Some("INFO")));
    assert_eq!(info.body, Value::Str("handled /users".into()));
    assert_eq!((info.trace_id, info.span_id), (Some(0x0102030405060708090a0b0c0d0e0f10), Some(0x0102030405060708)));
    assert_eq!(attr(&info.attributes, "attempt"), Some(&Value::Int(2)));
    let error = &p.logs[1];
    assert_eq!(error.severity_number, Some(17));
    assert_eq!(
        error.body,
        Value::Map(vec![("error".into(), Value::Str("boom\nsecond line".into())), ("code".into(), Value::Int(500))])
    );
    // WithoutTimestamps, zero ids, no severity: nothing invented.
    let bare = &p.logs[2];
    assert_eq!((bare.time_ns, bare.trace_id, bare.severity_number, &bare.body), (None, None, None, &Value::Empty));
}

/// A dict the app pretty-printed (its config) is foreign lines like the rest of its output, not
/// a record that could not be read (it was: exit 1, "not a span, log record or metrics export");
/// an object with a record's first key that does not read is still reported.
#[test]
fn a_pretty_printed_app_dict_is_foreign_lines() {
    let p = read("../otelgrep/tests/fixtures/python-app-pretty-dict.log");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!((p.spans.len(), p.foreign_lines), (1, 1 + 6));
    let broken = parse::parse("t", b"{\n    \"name\": \"x\",\n    \"kind\": \n}\n{\n    \"config\": 1,\n}\n").unwrap();
    assert_eq!((broken.errors.len(), broken.foreign_lines), (2, 0));
}
