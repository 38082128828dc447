//! Values that cannot be right, found by a new user's check (counters, histogram counts,
//! statuses, times, nesting): each left out of what it would poison and said, or shown as it is,
//! the same in every command; the reference is the same capture without the odd record.

mod common;

use common::{Scratch, json_rows, otelgrep};

/// One OTLP JSON metrics export of metric `name` (service `odd`) at second `t`; `START` and
/// `TIME` in `data` become the point's start (second 1) and time.
fn export(name: &str, t: u64, data: &str) -> String {
    format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"odd"}}}}]}},"scopeMetrics":[{{"scope":{{"name":"s"}},"metrics":[{{"name":"{name}","unit":"ms",{data}}}]}}]}}]}}"#
    )
    .replace("START", "1000000000")
    .replace("TIME", &(t * 1_000_000_000).to_string())
}

/// A cumulative monotonic counter's point of value `value` (`"asInt":"10"`, `"asDouble":"NaN"`).
fn counter(t: u64, value: &str) -> String {
    export(
        "c",
        t,
        &format!(
            r#""sum":{{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{{"startTimeUnixNano":"START","timeUnixNano":"TIME",{value}}}]}}"#
        ),
    )
}

/// `metrics NAME` on the good exports and on them with the odd ones: the same table, exit 0,
/// and stderr (of the odd file) returned.
fn same_table_without(scratch: &Scratch, name: &str, good: &[String], odd: &[String], args: &[&str]) -> String {
    let only_good = scratch.file(&format!("{name}-good.jsonl"), &(good.join("\n") + "\n"));
    let all = scratch
        .file(&format!("{name}-all.jsonl"), &(good.iter().chain(odd).cloned().collect::<Vec<_>>().join("\n") + "\n"));
    let run = |f: &str| otelgrep(&[&["metrics", name, "--format", "csv"][..], args, &[f]].concat());
    let (want, _, _) = run(&only_good);
    let (got, err, code) = run(&all);
    assert_eq!((got, code), (want, 0), "{err}");
    err
}

#[test]
fn counter_values_that_cannot_be_right_are_left_out_and_said() {
    // NaN and infinity made the total "NaN in all"; a monotonic counter going to -5 gave a delta of
    // -5. Each is left out of the deltas, rates and total, and said.
    let scratch = Scratch::new("odd-counters");
    let good = [counter(2, r#""asInt":"10""#), counter(5, r#""asInt":"30""#)];
    let odd =
        [counter(3, r#""asDouble":"NaN""#), counter(4, r#""asDouble":"Infinity""#), counter(6, r#""asInt":"-5""#)];
    let err = same_table_without(&scratch, "c", &good, &odd, &[]);
    assert!(err.contains("1 point of c left out: a counter value of NaN"), "{err}");
    assert!(err.contains("1 point of c left out: a counter value of inf"), "{err}");
    assert!(err.contains("1 point of c left out: a negative value of a counter that only goes up"), "{err}");
    let (out, _, _) = otelgrep(&["metrics", "c", &scratch.path("c-all.jsonl")]);
    assert!(out.contains("30 in all, 1 series"), "{out}");
}

/// An explicit histogram `h`'s delta point of `count` values in buckets `counts` (bounds 1, 2).
fn histogram(t: u64, count: &str, counts: &str) -> String {
    export(
        "h",
        t,
        &format!(
            r#""histogram":{{"aggregationTemporality":1,"dataPoints":[{{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"{count}","sum":6,"bucketCounts":[{counts}],"explicitBounds":[1,2]}}]}}"#
        ),
    )
}

#[test]
fn histogram_counts_that_do_not_add_up_are_left_out_and_totals_do_not_wrap() {
    let scratch = Scratch::new("odd-counts");
    // A count its buckets do not hold (OTLP: they must add up to it) was shown as 988 with no word.
    let good = [histogram(2, "3", r#""1","1","1""#)];
    let odd = [histogram(3, "1000", r#""5","5","5""#)];
    let err = same_table_without(&scratch, "h", &good, &odd, &[]);
    assert!(err.contains("1 point of h left out: a count of 1000 where its buckets hold 15"), "{err}");
    // Two points of 2^64-1 values each: their total is 2^65-2, not 2^64-2 (it wrapped).
    let max = u64::MAX.to_string();
    let huge = [histogram(2, &max, &format!(r#""{max}","0","0""#)), histogram(3, &max, &format!(r#""0","{max}","0""#))];
    let file = scratch.file("huge.jsonl", &(huge.join("\n") + "\n"));
    let (out, err, code) = otelgrep(&["metrics", "h", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("{} recorded in all", 2 * u128::from(u64::MAX))), "{out}");
}

#[test]
fn exponential_bounds_beyond_a_double_are_left_out_and_said() {
    // Scale 0, offset 1100: bucket (2^1100, 2^1101], past the largest double; it showed as
    // `inf..inf` with every percentile 0.
    let scratch = Scratch::new("odd-exponential");
    let point = |t: u64, offset: i64| {
        export(
            "e",
            t,
            &format!(
                r#""exponentialHistogram":{{"aggregationTemporality":1,"dataPoints":[{{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"2","sum":6,"scale":0,"zeroCount":"0","positive":{{"offset":{offset},"bucketCounts":["1","1"]}}}}]}}"#
            ),
        )
    };
    let err = same_table_without(&scratch, "e", &[point(2, 1)], &[point(3, 1100), point(4, -1100)], &[]);
    assert!(err.contains("2 points of e left out: exponential bucket bounds outside the range of a double"), "{err}");
}

#[test]
fn a_metric_whose_points_are_all_filtered_out_keeps_its_kind_of_table() {
    let scratch = Scratch::new("odd-empty");
    let file = scratch.file("h.jsonl", &(histogram(2, "3", r#""1","1","1""#) + "\n"));
    let (out, err, code) = otelgrep(&["metrics", "h", "--where", "r=zzz", "--format", "csv", &file]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().next(),
        Some("series,time,count,sum,mean,p50_est,p90_est,p99_est,bucket_bounds,bucket_counts")
    );
    let (out, _, _) = otelgrep(&["metrics", "h", "--where", "r=zzz", &file]);
    assert!(out.trim_end().ends_with("no points of h"), "{out}");
}

/// An OTLP JSON SERVER span `GET /a` of trace `n` at second `n`, lasting 10 ms, whose status
/// attribute is `status` (an `AnyValue`).
fn span(n: u64, status: &str) -> String {
    let start = (1_795_822_251 + n) * 1_000_000_000;
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"odd"}}}}]}},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{{"traceId":"{n:032x}","spanId":"{n:016x}","name":"GET /a","kind":2,"startTimeUnixNano":"{start}","endTimeUnixNano":"{}","attributes":[{{"key":"url.full","value":{{"stringValue":"http://h:1/a"}}}},{{"key":"http.response.status_code","value":{status}}}],"status":{{"code":0}}}}]}}]}}]}}"#,
        start + 10_000_000
    )
}

#[test]
fn a_status_that_is_no_http_status_is_not_a_5xx_to_any_filter() {
    // `status>=500` matched Infinity and 1e20 (numbers, but no HTTP status) while `errors` and
    // `status=5xx` did not count them: one row said both.
    let scratch = Scratch::new("odd-status");
    let good: Vec<String> =
        (1..=3).map(|n| span(n, r#"{"intValue":"200"}"#)).chain([span(4, r#"{"intValue":"503"}"#)]).collect();
    let odd = [
        span(5, r#"{"doubleValue":"Infinity"}"#),
        span(6, r#"{"doubleValue":1e20}"#),
        span(7, r#"{"doubleValue":503.5}"#),
        span(8, r#"{"intValue":"99999"}"#),
    ];
    let (g, a) = (
        scratch.file("good.jsonl", &(good.join("\n") + "\n")),
        scratch.file("all.jsonl", &(good.iter().chain(&odd).cloned().collect::<Vec<_>>().join("\n") + "\n")),
    );
    for filter in ["status>=500", "status>500", "status<600", "status=5xx", "status<=503"] {
        let count = |f: &str| json_rows(&["spans", "--where", filter, f]).len();
        assert_eq!(count(&a), count(&g), "--where '{filter}'");
    }
    // Errors: the one 503, in both.
    let errors = |f: &str| json_rows(&["latency", "--by", "url", f])[0]["errors"].as_u64();
    assert_eq!((errors(&g), errors(&a)), (Some(1), Some(1)));
    // `!=` holds for each: none is 200.
    assert_eq!(json_rows(&["spans", "--where", "status!=200", &a]).len(), 5);
}

#[test]
fn a_span_without_a_duration_is_drawn_without_one() {
    // A trace whose one span ends before it starts was drawn from 1970 with a bar of -5 ms.
    let scratch = Scratch::new("odd-trace");
    let line = span(1, r#"{"intValue":"200"}"#);
    let start = (1_795_822_251 + 1) * 1_000_000_000u64;
    let backwards = line.replace(
        &format!(r#""endTimeUnixNano":"{}""#, start + 10_000_000),
        &format!(r#""endTimeUnixNano":"{}""#, start - 5_000_000),
    );
    assert_ne!(backwards, line);
    let file = scratch.file("backwards.jsonl", &(backwards + "\n"));
    let (out, err, code) = otelgrep(&["trace", &format!("{:032x}", 1), &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("trace {:032x} · 1 span · 0.000 ms · 2026-11-27T23:30:52", 1)), "{out}");
    assert!(!out.contains('█') && !out.contains("-5.000"), "{out}");
    let (out, _, _) = otelgrep(&["trace", "--format", "json", &format!("{:032x}", 1), &file]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(doc["spans"][0]["duration_ms"].is_null(), "{out}");
}

#[test]
fn a_request_without_a_start_time_is_not_first_seen_in_1970() {
    let scratch = Scratch::new("odd-first-seen");
    let py = |trace: u32, start: &str| {
        format!(
            r#"{{"name": "GET /a", "context": {{"trace_id": "0x{trace:032x}", "span_id": "0x{trace:016x}", "trace_state": "[]"}}, "kind": "SpanKind.SERVER", "parent_id": null, "start_time": {start}, "end_time": "2026-11-27T10:00:01.800000Z", "status": {{"status_code": "UNSET"}}, "attributes": {{"http.method": "GET", "http.scheme": "http", "http.host": "h:1", "http.target": "/a", "http.status_code": 200}}, "events": [], "links": [], "resource": {{"attributes": {{"service.name": "odd"}}, "schema_url": ""}}}}"#
        )
    };
    let file =
        scratch.file("null-start.log", &format!("{}\n{}\n", py(1, "null"), py(2, "\"2026-11-27T10:00:00.000000Z\"")));
    let rows = json_rows(&["urls", &file]);
    assert_eq!(rows[0]["count"], 2);
    assert_eq!(rows[0]["first_seen"], "2026-11-27T10:00:00.000000Z");
    let only = scratch.file("only-null.log", &format!("{}\n", py(1, "null")));
    assert!(json_rows(&["urls", &only])[0]["first_seen"].is_null());
}

#[test]
fn values_nested_deeper_than_otlp_readers_go_are_exported_as_text() {
    // A Python attribute nested 40 levels was exported as OTLP JSON no reader takes back (past 128
    // levels of JSON): the line's every record was lost when read again.
    let scratch = Scratch::new("odd-nesting");
    let py = |trace: u32, attr: &str| {
        format!(
            r#"{{"name": "GET /a", "context": {{"trace_id": "0x{trace:032x}", "span_id": "0x{trace:016x}", "trace_state": "[]"}}, "kind": "SpanKind.SERVER", "parent_id": null, "start_time": "2026-11-27T10:00:00.000000Z", "end_time": "2026-11-27T10:00:01.800000Z", "status": {{"status_code": "UNSET"}}, "attributes": {{"http.method": "GET", "http.scheme": "http", "http.host": "h:1", "http.target": "/a", "http.status_code": 200, "deep": {attr}}}, "events": [], "links": [], "resource": {{"attributes": {{"service.name": "odd"}}, "schema_url": ""}}}}"#
        )
    };
    let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let file = scratch.file("deep.log", &format!("{}\n{}\n", py(1, &deep), py(2, "1")));
    let out = scratch.path("deep.jsonl");
    let (_, err, code) = otelgrep(&["export", "--to", "otlp-json", "--out", &out, &file]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 attribute value(s) nested deeper than 24 levels written as their text"), "{err}");
    let (back, err, code) = otelgrep(&["spans", "--format", "json", &out]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&back).unwrap();
    assert_eq!(rows.len(), 2);
}

#[test]
fn otlp_counts_and_offsets_past_their_types_skip_their_point_in_every_command() {
    // A count past 2^64-1 was read as 0 (no note, exit 0), a bucket count past it dropped from the
    // array, an offset past 32 bits wrapped (bucket `32..64`, p50 48), an asInt past int64 was
    // "no value". Each now skips its point, named, in `summary` (which counts) and `metrics`.
    let scratch = Scratch::new("odd-types");
    let over = "18446744073709551616";
    let good = [histogram(2, "3", r#""1","1","1""#)];
    let exp = |t: u64, offset: &str| {
        export(
            "h",
            t,
            &format!(
                r#""exponentialHistogram":{{"aggregationTemporality":1,"dataPoints":[{{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"1","scale":0,"zeroCount":"0","positive":{{"offset":{offset},"bucketCounts":["1"]}}}}]}}"#
            ),
        )
    };
    let cases = [
        (histogram(3, over, r#""1","1","1""#), format!(r#"data point 1 has count "{over}", which is no uint64"#)),
        (
            histogram(4, "3", &format!(r#""1","{over}","1""#)),
            format!(r#"data point 1 has bucket count "{over}", which is no uint64"#),
        ),
        (exp(5, "4294967301"), "data point 1 has offset 4294967301, which is no sint32".to_string()),
        (
            counter(6, r#""asInt":"18446744073709551615""#),
            r#"data point 1 has asInt "18446744073709551615", which is no int64"#.to_string(),
        ),
    ];
    let only_good = scratch.file("good.jsonl", &(good.join("\n") + "\n"));
    let points = |f: &str| {
        let (out, _, _) = otelgrep(&["summary", "--format", "json", f]);
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["metric_points"].as_u64().unwrap()
    };
    for (i, (odd, why)) in cases.iter().enumerate() {
        let file = scratch.file(&format!("odd{i}.jsonl"), &format!("{}\n{odd}\n", good[0]));
        for args in [&["summary"][..], &["metrics", "h", "--format", "csv"]] {
            let (_, err, code) = otelgrep(&[args, &[&file]].concat());
            assert_eq!(code, 1, "{args:?} {why}: {err}");
            assert!(
                err.contains(&format!("odd{i}.jsonl:2: metric 1 of the request")) && err.contains(why.as_str()),
                "{args:?}: {err}"
            );
        }
        assert_eq!(points(&file), points(&only_good), "{why}");
        let (got, _, _) = otelgrep(&["metrics", "h", "--format", "csv", &file]);
        let (want, _, _) = otelgrep(&["metrics", "h", "--format", "csv", &only_good]);
        assert_eq!(got, want, "{why}");
    }
}

#[test]
fn node_counts_and_offsets_that_would_wrap_skip_their_record() {
    // Node's histogram `count: -3` was cast to 18446744073709551613; an exponential offset past
    // 32 bits wrapped. Each now skips its metric record, named.
    let scratch = Scratch::new("odd-node");
    let text = std::fs::read_to_string(format!(
        "{}/../../shared/samples/node-console/sdk-node-0.223_interleaved-app-logs.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(text.contains("        count: 2\n"));
    let negative = text.replacen("        count: 2\n", "        count: -3\n", 1);
    let file = scratch.file("negative.txt", &negative);
    let (_, err, code) = otelgrep(&["metrics", &file]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("negative.txt:639: "), "{err}");
    assert!(err.contains("metric \"http.server.request.duration\": a count that is no count (-3)"), "{err}");
}

#[test]
fn a_metric_whose_every_point_was_skipped_is_not_said_to_be_missing() {
    // `metrics h` on a file whose only points of h could not be read said "no metric named h:
    // the input holds no metrics" under the very lines that named h's skipped records.
    let scratch = Scratch::new("odd-all-skipped");
    let over = "18446744073709551616";
    let file = scratch.file(
        "h.jsonl",
        &format!(
            "{}\n{}\n{}\n",
            histogram(2, over, r#""1","1","1""#),
            histogram(3, over, "1,1,1"),
            counter(4, r#""asInt":"1""#)
        ),
    );
    let (out, err, code) = otelgrep(&["metrics", "h", &file]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(err.contains("h.jsonl:1: metric 1 of the request (\"h\")"), "{err}");
    assert!(err.ends_with("no point of h could be read: 2 records naming it could not be read (above)\n"), "{err}");
    // A name no skipped record names: it may still have been in them, and the names read are said.
    let (_, err, code) = otelgrep(&["metrics", "q", &file]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.ends_with(
            "no metric named q was read; 2 records could not be read (above), and they may hold it; read: c\n"
        ),
        "{err}"
    );
}

#[test]
fn integer_counters_keep_every_digit() {
    // Integer points were added up as doubles: a counter at 2^53 + 1 showed 2^53, and its value
    // 1 as "1.000". They are exact integers now, in the table, CSV, JSON and the total.
    let scratch = Scratch::new("odd-wide");
    let file = scratch.file(
        "c.jsonl",
        &[counter(2, r#""asInt":"9007199254740993""#), counter(3, r#""asInt":"9223372036854775807""#)].join("\n"),
    );
    let (out, err, code) = otelgrep(&["metrics", "c", "--format", "csv", &file]);
    assert_eq!(code, 0, "{err}");
    // value and delta (the rate is a double).
    let rows: Vec<Vec<&str>> = out.lines().skip(1).map(|l| l.split(',').skip(3).take(2).collect()).collect();
    assert_eq!(rows, [["9007199254740993", "9007199254740993"], ["9223372036854775807", "9214364837600034814"]]);
    let (out, _, _) = otelgrep(&["metrics", "c", &file]);
    assert!(out.contains("; 9223372036854775807 in all, 1 series"), "{out}");
    let json = json_rows(&["metrics", "c", &file]);
    assert_eq!(json[1]["delta"].as_u64(), Some(9_214_364_837_600_034_814));
}

#[test]
fn a_typo_of_a_metric_whose_records_were_all_skipped_is_said_to_be_one() {
    let scratch = Scratch::new("odd-typo");
    let over = "18446744073709551616";
    let bad = export(
        "req.latency",
        2,
        &format!(
            r#""histogram":{{"aggregationTemporality":1,"dataPoints":[{{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"{over}","sum":6,"bucketCounts":["1","1","1"],"explicitBounds":[1,2]}}]}}"#
        ),
    );
    let file = scratch.file("typo.jsonl", &format!("{bad}\n{}\n", counter(3, r#""asInt":"1""#)));
    let (_, err, code) = otelgrep(&["metrics", "req.latncy", &file]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.ends_with(
            "no metric named req.latncy was read; 1 record could not be read (above), and it may hold it; \
             similar ones the skipped records name: req.latency\n"
        ),
        "{err}"
    );
}

#[test]
fn an_export_read_twice_is_counted_once_and_said() {
    // Two files of one run, or a capture holding an export twice: its points were dropped from
    // `metrics` with no word while `summary` counted them.
    let scratch = Scratch::new("odd-twice");
    let good = [counter(2, r#""asInt":"10""#), counter(5, r#""asInt":"30""#)];
    let err = same_table_without(&scratch, "c", &good, &good[1..], &[]);
    assert!(
        err.contains("1 point of c was read twice (the same export in two inputs, or printed twice) and counted once"),
        "{err}"
    );
    let once = scratch.path("c-good.jsonl");
    let (_, err, _) = otelgrep(&["metrics", "c", &once, &once]);
    assert!(err.contains("2 points of c were read twice"), "{err}");
    let (_, err, _) = otelgrep(&["metrics", "c", &once]);
    assert!(!err.contains("twice"), "{err}");
}

#[test]
fn a_metric_is_first_seen_at_its_first_point_not_at_its_start_time() {
    // A cumulative counter's start time is its process's start (here second 1); the listing's
    // `first` said so, hours before the capture began.
    let scratch = Scratch::new("odd-first");
    let file = scratch.file("c.jsonl", &[counter(7200, r#""asInt":"1""#), counter(7260, r#""asInt":"2""#)].join("\n"));
    let rows = json_rows(&["metrics", &file]);
    assert_eq!(
        (rows[0]["first"].as_str(), rows[0]["last"].as_str()),
        (Some("1970-01-01T02:00:00.000000Z"), Some("1970-01-01T02:01:00.000000Z"))
    );
}

/// A capture cut inside its last line (a killed process, `app | tee` stopped by Ctrl+C): the
/// Rust or Collector record that line goes on stops anywhere, and is said to be cut short, not
/// read with its value cut off (`http.route: String(Owne` was a route of its own in `latency
/// --by route`). The reference is the capture cut where that record starts. A line ending in
/// `\r` (Windows line ends, cut before the `\n`) is a whole line.
#[test]
fn a_record_cut_inside_its_last_line_is_cut_short() {
    let scratch = Scratch::new("cut-line");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collector-debug-detailed.log");
    for (rel, path, what) in [
        ("todo", common::sample("todo/todo-default.log"), "Rust stdout record"),
        ("collector", fixture, "Collector debug record"),
    ] {
        let text = std::fs::read_to_string(&path).unwrap();
        // Three bytes into the last route's value (a span's, a metric point's), and where its
        // record starts.
        let at = text.rfind("http.route: ").unwrap() + "http.route: ".len() + 3;
        let start = ["Span #", "Metric #"].iter().filter_map(|r| text[..at].rfind(r)).max().unwrap();
        let line = text[..start].matches('\n').count() + 1;
        let name = rel;
        let cut = scratch.file(&format!("{name}-cut"), &text[..at]);
        let before = scratch.file(&format!("{name}-before"), &text[..start]);
        let table = |f: &str| otelgrep(&["latency", "--by", "route", "--format", "csv", f]);
        let ((got, err, code), (want, _, _)) = (table(&cut), table(&before));
        assert_eq!((got, code), (want, 1), "{rel}");
        assert!(
            err.contains(&format!("{name}-cut:{line}: {what} cut short: the record opened here has no end")),
            "{err}"
        );
        // Windows line ends, cut after a line's `\r`: nothing is said to be cut.
        let crlf = text.replace('\n', "\r\n");
        let at = crlf.rfind("http.route: ").unwrap();
        let at = at + crlf[at..].find('\r').unwrap() + 1;
        let file = scratch.file(&format!("{name}-crlf"), &crlf[..at]);
        let (_, err, _) = otelgrep(&["summary", &file]);
        assert!(!err.contains("cut short"), "{rel}: {err}");
    }
}

/// Which record a partial last line goes on, by its first bytes: a TAB alone after a metric's
/// line (the next data point's line, which fits no record yet) cuts the metric; the start of a
/// Rust record start (`Met`) after a raw attribute value, or of a Collector tree's record header
/// (`LogR`), leaves the record before it whole (and not `endpoint: tasks_delete\nMet`). The
/// reference: the same text without its partial line (found by a new-user check).
#[test]
fn a_partial_line_cuts_only_the_record_it_may_go_on() {
    let scratch = Scratch::new("partial-line");
    let todo = std::fs::read_to_string(common::sample("todo/todo-default.log")).unwrap();
    let collector = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collector-debug-detailed.log"),
    )
    .unwrap();
    let counts = |name: &str, text: &str| {
        let file = scratch.file(name, text);
        let (out, err, code) = otelgrep(&["summary", "--format", "json", &file]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        (v["spans"].clone(), v["log_records"].clone(), v["metric_points"].clone(), code, err)
    };
    // Whole lines up to the first line holding `marker` (and through it, with `through`).
    let upto = |text: &str, marker: &str, through: bool| {
        let at = text.find(marker).unwrap();
        if through { at + text[at..].find('\n').unwrap() + 1 } else { text[..at].rfind('\n').unwrap() + 1 }
    };
    // A metric's value line, then a TAB: the metric is cut, as if it had never started.
    let metric = upto(&todo, "\t\t\tValue", true);
    let start = todo[..metric].rfind("Metric #").unwrap();
    let (s, l, p, code, err) = counts("tab", &format!("{}\t", &todo[..metric]));
    assert_eq!(
        (s, l, p, code),
        {
            let w = counts("tab-ref", &todo[..start]);
            (w.0, w.1, w.2, 1)
        },
        "{err}"
    );
    assert!(err.contains("Rust stdout record cut short"), "{err}");
    // `Met` after a raw attribute value (a metric point's): the metric is whole.
    let raw = upto(&todo, "->  endpoint: ", true);
    let (got, want) = (counts("met", &format!("{}Met", &todo[..raw])), counts("met-ref", &todo[..raw]));
    assert_eq!((got.0, got.1, got.2, got.3), (want.0, want.1, want.2, 0), "{}", got.4);
    let file = scratch.file("met-points", &format!("{}Met", &todo[..raw]));
    let (points, _, _) = otelgrep(&["export", "--to", "otlp-json", &file]);
    assert!(!points.contains("Met\""), "{points}");
    // `LogR` after a Collector log record's last line: the record is whole.
    let log = upto(&collector, "Flags: ", true);
    let (got, want) = (counts("logr", &format!("{}LogR", &collector[..log])), counts("logr-ref", &collector[..log]));
    assert_eq!((got.0, got.1, got.2, got.3), (want.0, want.1, want.2, 0), "{}", got.4);
}
