//! Numbers that cannot be right are not averaged in: each odd case through every command that
//! would use it, against the same capture without the odd record.

mod common;

use common::{Scratch, json_rows, otelgrep, sample};

/// The Flask capture's slowest request, made to end before it starts (its times swapped), and the
/// capture without that span: (with the backwards span, without it). A negative duration used to
/// show as `min -47.419` and drag p50 down.
fn backwards_and_without() -> (String, String) {
    let text = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    // The objects of the capture: each `{` line to its `}` line.
    let mut objects: Vec<(usize, usize)> = Vec::new();
    let mut open = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        match line.trim_end() {
            "{" => open = Some(at),
            "}" => objects.extend(open.take().map(|s| (s, at + line.len()))),
            _ => {}
        }
        at += line.len();
    }
    let time = |o: &str, key: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(o).unwrap();
        v[key].as_str().unwrap_or_default().to_string()
    };
    let servers: Vec<(usize, usize)> =
        objects.into_iter().filter(|(s, e)| text[*s..*e].contains("\"kind\": \"SpanKind.SERVER\"")).collect();
    // Seconds of the day: the capture's times are of one day, `2026-11-27T23:37:18.535031Z`.
    let seconds = |t: &str| -> f64 {
        let hms: Vec<f64> = t[11..t.len() - 1].split(':').map(|x| x.parse().unwrap()).collect();
        hms[0] * 3600.0 + hms[1] * 60.0 + hms[2]
    };
    let duration = |(s, e): &(usize, usize)| {
        let o = &text[*s..*e];
        seconds(&time(o, "end_time")) - seconds(&time(o, "start_time"))
    };
    // The slowest request: the one `trace --slowest` would show.
    let (s, e) = *servers.iter().max_by(|a, b| duration(a).total_cmp(&duration(b))).unwrap();
    let object = &text[s..e];
    let (start, end) = (time(object, "start_time"), time(object, "end_time"));
    let swapped = object
        .replace(&format!("\"start_time\": \"{start}\""), "\"start_time\": \"START\"")
        .replace(&format!("\"end_time\": \"{end}\""), &format!("\"end_time\": \"{start}\""))
        .replace("\"start_time\": \"START\"", &format!("\"start_time\": \"{end}\""));
    assert_ne!(swapped, object);
    let backwards = format!("{}{}{}", &text[..s], swapped, &text[e..]);
    let without = format!("{}{}", &text[..s], &text[e..]);
    (backwards, without)
}

#[test]
fn a_span_that_ends_before_it_starts_has_no_duration_in_any_command() {
    let scratch = Scratch::new("backwards");
    let (backwards, without) = backwards_and_without();
    let (b, w) = (scratch.file("backwards.log", &backwards), scratch.file("without.log", &without));
    // latency: left out of the durations and said; the table is the one without it.
    for by in ["url", "route", "url,status"] {
        let (got, err, code) = otelgrep(&["latency", "--by", by, "--format", "csv", &b]);
        let (want, _, _) = otelgrep(&["latency", "--by", by, "--format", "csv", &w]);
        assert_eq!((got, code), (want, 0), "--by {by}");
        assert!(err.contains("1 request that ends before it starts left out"), "{err}");
    }
    // spans: listed (it happened), without a duration.
    let rows = json_rows(&["spans", "--kind", "all", &b]);
    let rows_without = json_rows(&["spans", "--kind", "all", &w]);
    assert_eq!(rows.len(), rows_without.len() + 1);
    assert_eq!(rows.iter().filter(|r| r["duration"].is_null()).count(), 1);
    assert!(rows.iter().filter_map(|r| r["duration"].as_f64()).all(|d| d >= 0.0));
    // trace --slowest: the slowest of the requests that have a duration.
    let (got, _, _) = otelgrep(&["trace", "--slowest", "--format", "json", &b]);
    let (want, _, _) = otelgrep(&["trace", "--slowest", "--format", "json", &w]);
    assert_eq!(got, want);
    // summary still counts it.
    let count = |f: &str| {
        let (out, _, _) = otelgrep(&["summary", "--format", "json", f]);
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["spans"].as_u64().unwrap()
    };
    assert_eq!(count(&b), count(&w) + 1);
}

#[test]
fn a_status_of_nan_is_no_number_a_filter_compares_with() {
    // Python writes a float attribute that is NaN as `NaN`: 53 requests of the Flask capture
    // given that status instead of 200.
    let scratch = Scratch::new("nan-status");
    let plain = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    let nan = plain.replace("\"http.status_code\": 200\n", "\"http.status_code\": NaN\n");
    assert!(nan.matches("NaN").count() > 50);
    let (p, n) = (sample("python-flask/flask-default.log"), scratch.file("nan.log", &nan));
    let p = p.to_str().unwrap();
    for filter in ["status>=500", "status>500", "status<100", "status<=99", "status=500"] {
        let count = |f: &str| json_rows(&["spans", "--kind", "all", "--where", filter, f]).len();
        assert_eq!(count(&n), count(p), "--where '{filter}'");
    }
    // `!=` holds: NaN is not 200.
    let count = |f: &str| json_rows(&["spans", "--where", "status!=200", f]).len();
    assert_eq!(count(&n), count(p) + 53);
}

#[test]
fn an_id_shorter_than_the_sdk_writes_skips_its_record_named() {
    // The SDK writes `0x` and 32 (trace) or 16 (span) digits; one digit fewer is not an id, and
    // padding it with zeros would make another trace.
    let scratch = Scratch::new("short-id");
    let plain = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    let line = plain.lines().position(|l| l.trim_start().starts_with("\"trace_id\": \"0x")).unwrap();
    let mut lines: Vec<String> = plain.lines().map(String::from).collect();
    // One digit fewer: the one after `0x`.
    let at = lines[line].find("\"0x").unwrap() + 3;
    lines[line].remove(at);
    let short = lines.join("\n") + "\n";
    let file = scratch.file("short.log", &short);
    let (out, err, code) = otelgrep(&["summary", "--format", "json", &file]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is not an id (0x and 32 hex digits)"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["skipped_records"], 1);
}

/// One OTLP JSON export of histogram `h` (service `odd`) at second `t`.
fn histogram_export(t: u64, data: &str) -> String {
    format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"odd"}}}}]}},"scopeMetrics":[{{"scope":{{"name":"s"}},"metrics":[{{"name":"h","unit":"ms",{data}}}]}}]}}]}}"#
    )
    .replace("START", "1000000000")
    .replace("TIME", &(t * 1_000_000_000).to_string())
}

#[test]
fn histograms_whose_buckets_cannot_be_right_are_left_out_and_said() {
    let scratch = Scratch::new("odd-histograms");
    let good = histogram_export(
        2,
        r#""histogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"3","sum":6,"bucketCounts":["1","1","1"],"explicitBounds":[1,2]}]}"#,
    );
    // 20 counts for 2 bounds; bounds that go down; an exponential index past i32::MAX.
    let bad = [
        histogram_export(
            3,
            r#""histogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"20","sum":6,"bucketCounts":["1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1"],"explicitBounds":[1,2]}]}"#,
        ),
        histogram_export(
            4,
            r#""histogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"3","sum":6,"bucketCounts":["1","1","1"],"explicitBounds":[2,1]}]}"#,
        ),
        histogram_export(
            5,
            r#""exponentialHistogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"20","sum":6,"scale":0,"zeroCount":"0","positive":{"offset":2147483640,"bucketCounts":["1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1","1"]}}]}"#,
        ),
    ];
    let only_good = scratch.file("good.jsonl", &format!("{good}\n"));
    let all = scratch.file("all.jsonl", &format!("{good}\n{}\n", bad.join("\n")));
    let (want, _, _) = otelgrep(&["metrics", "h", "--format", "csv", &only_good]);
    let (got, err, code) = otelgrep(&["metrics", "h", "--format", "csv", &all]);
    assert_eq!((got, code), (want, 0), "{err}");
    assert!(err.contains("1 point of h left out: 20 bucket counts for 2 bounds"), "{err}");
    assert!(err.contains("1 point of h left out: bucket bounds that do not ascend"), "{err}");
    assert!(err.contains("1 point of h left out: exponential bucket indices beyond the range"), "{err}");
}

#[test]
fn a_count_of_two_to_the_64_minus_one_is_shown_as_it_is() {
    let scratch = Scratch::new("huge-count");
    let max = u64::MAX.to_string();
    let point = |t: u64| {
        histogram_export(
            t,
            &format!(
                r#""histogram":{{"aggregationTemporality":2,"dataPoints":[{{"startTimeUnixNano":"START","timeUnixNano":"TIME","count":"{max}","sum":6,"bucketCounts":["{max}","0","0"],"explicitBounds":[1,2]}}]}}"#
            ),
        )
    };
    // Cumulative exports (the second differenced to nothing), and `--every` adds them up.
    let file = scratch.file("huge.jsonl", &format!("{}\n{}\n", point(2), point(3)));
    let (out, err, code) = otelgrep(&["metrics", "h", "--format", "json", &file]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let counts: Vec<String> = rows.iter().filter_map(|r| r.get("count")).map(|c| c.to_string()).collect();
    assert!(counts.contains(&max), "{out}");
    let (_, err, code) = otelgrep(&["metrics", "h", "--every", "1m", "--format", "csv", &file]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_attribute_nested_deeper_than_json_readers_build_is_kept_as_written_by_every_command() {
    // 100,000 levels in one Python attribute: `summary` and `latency --by http.flavor` passed
    // over it, `spans` (which reads every attribute) lost the record to serde_json's nesting
    // limit. Every command now counts the request; the value is kept as its text.
    let scratch = Scratch::new("deep");
    let plain = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    let deep = format!("\"deep.attr\": {}{},\n", "[".repeat(100_000), "]".repeat(100_000));
    let first = plain.find("    \"attributes\": {\n        \"http.method\"").unwrap() + "    \"attributes\": {\n".len();
    let text = format!("{}        {deep}{}", &plain[..first], &plain[first..]);
    let (d, p) = (scratch.file("deep.log", &text), sample("python-flask/flask-default.log"));
    let p = p.to_str().unwrap();
    for args in [&["latency", "--by", "http.flavor"][..], &["latency", "--by", "url"], &["spans"], &["urls"], &["logs"]]
    {
        let rows = |f: &str| json_rows(&[args, &[f]].concat());
        assert_eq!(rows(&d), rows(p), "{args:?}");
    }
    let (out, err, code) = otelgrep(&["summary", "--format", "json", &d]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["skipped_records"], 0);
    // The value, as written.
    let held = json_rows(&["spans", "--where", "deep.attr~^\\[\\[\\[", "--columns", "deep.attr", &d]);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["deep.attr"].as_str().unwrap().len(), 200_000);
}
