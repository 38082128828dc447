//! `otelgrep export --to otlp-json`: every sample and conformance file, exported, reads back as
//! the same capture (the counts `summary` gives, and the `latency` table to the digit); and what
//! it writes is OTLP as the official `opentelemetry-proto` package reads it (strictly: an unknown
//! field fails), re-encoded as binary protobuf and read back once more.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Scratch, captures_with_telemetry, counts, otelgrep};
use serde_json::Value;

#[test]
fn every_capture_exported_reads_back_as_itself() {
    let scratch = Scratch::new("export");
    let python = std::env::var("OTELGREP_PYTHON").unwrap_or_else(|_| "python3".into());
    let to_proto = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/to_proto.py");
    let mut checked = 0;
    for (original, want) in captures_with_telemetry() {
        let original = original.as_str();
        let exported = scratch.0.join("out.jsonl");
        let exported = exported.to_str().unwrap();
        let (_, err, code) = otelgrep(&["export", "--to", "otlp-json", "--out", exported, original]);
        assert!(code <= 1, "{original}: {err}");
        assert_eq!(counts(exported), want, "{original}, exported");
        let latency = |p: &str| otelgrep(&["latency", "--by", "url,status", "--format", "csv", p]).0;
        assert_eq!(latency(exported), latency(original), "{original}: the latency table");
        // Through the official package: parsed strictly, re-encoded as binary OTLP.
        let binary = scratch.0.join("out.binpb");
        let status = Command::new(&python).arg(&to_proto).arg(exported).arg(&binary).status().unwrap();
        assert!(status.success(), "{original}: opentelemetry-proto could not read the export");
        assert_eq!(counts(binary.to_str().unwrap()), want, "{original}, exported, through protobuf");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} captures checked");
}

/// Standard output is the default; every line is one export request of one signal.
#[test]
fn lines_are_export_requests() {
    let (out, err, code) = otelgrep(&["export", common::sample("todo/todo-default.log").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut signals = std::collections::BTreeSet::new();
    for line in out.lines() {
        let doc: Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 1, "{line}");
        signals.insert(keys[0].clone());
    }
    assert_eq!(signals.into_iter().collect::<Vec<_>>(), ["resourceLogs", "resourceMetrics", "resourceSpans"]);
}

/// An output that is one of the inputs is refused before anything is written (it used to be
/// emptied, exit 0); so is a Parquet folder inside an input folder. `--out -` is standard output.
#[test]
fn an_output_over_an_input_is_refused_and_the_input_kept() {
    let scratch = Scratch::new("export-over-input");
    let capture = scratch.0.join("t.jsonl");
    std::fs::copy(common::sample("otlp-json/js-otlp-http-json_traces.jsonl"), &capture).unwrap();
    let before = std::fs::read(&capture).unwrap();
    let path = capture.to_str().unwrap();
    let (out, err, code) = otelgrep(&["export", "--out", path, path]);
    assert_eq!((out.as_str(), code), ("", 2), "{err}");
    assert!(err.contains(&format!("--out {path} would write over the input {path}")), "{err}");
    assert_eq!(std::fs::read(&capture).unwrap(), before, "the input is kept");
    // A Parquet folder inside the folder read.
    let dir = scratch.0.to_str().unwrap();
    let inside = scratch.0.join("pq");
    let (_, err, code) = otelgrep(&["export", "--to", "parquet", "--out", inside.to_str().unwrap(), dir]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would write over the input"), "{err}");
    assert!(!inside.exists(), "nothing written");
    // `-` is standard output, not a file named `-`.
    let (dash, err, code) = otelgrep(&["export", "--out", "-", path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(dash, otelgrep(&["export", path]).0);
    assert!(!Path::new("-").exists());
}

/// What an OTLP JSON capture says of scopes and trace states, counted apart from otelgrep's
/// readers: per signal, each (scope name, scope version) with its number of records, and each
/// `traceState` of a span or a link with its number of uses (the empty one left out, as OTLP
/// leaves it out). The documents are one per line, or one pretty-printed file.
fn scopes_and_states(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let docs: Vec<Value> = match serde_json::from_str(&text) {
        Ok(doc) => vec![doc],
        Err(_) => text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect(),
    };
    let mut seen = std::collections::BTreeMap::new();
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let arr = |v: &Value, key: &str| v.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    for doc in &docs {
        for (signal, scopes, records) in [
            ("spans", "scopeSpans", "spans"),
            ("logs", "scopeLogs", "logRecords"),
            ("metrics", "scopeMetrics", "metrics"),
        ] {
            let resources = format!("resource{}", &scopes[5..]);
            for group in arr(doc, &resources) {
                for scope_group in arr(&group, scopes) {
                    let scope = scope_group.get("scope").cloned().unwrap_or(Value::Null);
                    let items = arr(&scope_group, records);
                    // Metrics count their points: export writes a metric without points as none.
                    let n: usize = if signal == "metrics" { items.iter().map(points).sum() } else { items.len() };
                    let key = format!("{signal} scope {:?} {:?}", text(&scope, "name"), text(&scope, "version"));
                    *seen.entry(key).or_insert(0) += n;
                    for item in &items {
                        let links = arr(item, "links");
                        let states = std::iter::once(text(item, "traceState"))
                            .chain(links.iter().map(|l| text(l, "traceState")));
                        for state in states.filter(|s| !s.is_empty()) {
                            *seen.entry(format!("traceState {state:?}")).or_insert(0) += 1;
                        }
                    }
                }
            }
        }
    }
    seen.into_iter().filter(|(_, n)| *n > 0).map(|(k, n)| format!("{k}: {n}")).collect()
}

/// A metric's points, whatever its data field.
fn points(metric: &Value) -> usize {
    ["gauge", "sum", "histogram", "exponentialHistogram", "summary"]
        .iter()
        .filter_map(|k| metric.get(*k)?.get("dataPoints")?.as_array().map(Vec::len))
        .sum()
}

/// Scope versions, span and link trace states, and log records' scopes are kept: through
/// `--to otlp-json`, and through `--to parquet` read back. The OTLP files are counted apart
/// from the readers; the other formats give the values their exporters printed.
#[test]
fn scopes_and_trace_states_are_kept() {
    let scratch = Scratch::new("export-scopes");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let through = |input: &str| {
        let json = scratch.path("out.jsonl");
        let (_, err, code) = otelgrep(&["export", "--to", "otlp-json", "--out", &json, input]);
        assert!(code <= 1, "{input}: {err}");
        let dir = scratch.path("parquet");
        let _ = std::fs::remove_dir_all(&dir);
        let (_, err, code) = otelgrep(&["export", "--to", "parquet", "--out", &dir, input]);
        assert!(code <= 1, "{input}: {err}");
        let back = scratch.path("back.jsonl");
        let (_, err, code) = otelgrep(&["export", "--to", "otlp-json", "--out", &back, &dir]);
        assert!(code <= 1, "{input}: {err}");
        (scopes_and_states(&json), scopes_and_states(&back))
    };
    for name in [
        "otel-tui_otel-demo-fileexporter.jsonl",
        "otlp-proto-examples_trace.json",
        "otlp-proto-examples_logs.json",
        "otlp-proto-examples_metrics.json",
    ] {
        let original = shared.join("conformance").join(name);
        let original = original.to_str().unwrap();
        let want = scopes_and_states(original);
        assert!(want.iter().any(|k| k.contains("scope") && !k.contains("\"\" \"\"")), "{name}: {want:?}");
        let (json, parquet) = through(original);
        assert_eq!(json, want, "{name}, exported as OTLP JSON");
        assert_eq!(parquet, want, "{name}, exported as Parquet and read back");
    }
    // No file of the OpenTelemetry projects has a `tracestate`: a span continuing a W3C trace
    // (the example of the Trace Context spec), with a link to another, as JSON and as protobuf
    // written by the official package.
    let states = scratch.file(
        "states.jsonl",
        r#"{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"lib","version":"2.0"},"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","traceState":"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE","name":"GET /","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2","links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","traceState":"congo=ucfJifl5GOE"}]}]}]}]}"#,
    );
    let binary = scratch.path("states.binpb");
    let python = std::env::var("OTELGREP_PYTHON").unwrap_or_else(|_| "python3".into());
    let to_proto = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/to_proto.py");
    assert!(Command::new(&python).arg(&to_proto).arg(&states).arg(&binary).status().unwrap().success());
    let want = [
        "spans scope \"lib\" \"2.0\": 1",
        "traceState \"congo=ucfJifl5GOE\": 1",
        "traceState \"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\": 1",
    ];
    assert_eq!(scopes_and_states(&states), want);
    for input in [&states, &binary] {
        assert_eq!(through(input), (want.map(String::from).to_vec(), want.map(String::from).to_vec()), "{input}");
    }

    // The demo's Collector receivers carry their version.
    let demo = scopes_and_states(shared.join("conformance/otel-tui_otel-demo-fileexporter.jsonl").to_str().unwrap());
    assert!(demo.contains(&"metrics scope \"otelcol/dockerstatsreceiver\" \"0.105.0\": 1103".to_string()), "{demo:?}");

    // `--by scope.version`: the spans per version the file gives (its own count), on the capture
    // and on its Parquet export alike.
    let mut per_version = std::collections::BTreeMap::new();
    for line in demo.iter().filter(|l| l.starts_with("spans scope ")) {
        let (scope, n) = line.rsplit_once(": ").unwrap();
        let version = scope.rsplit_once(" \"").unwrap().1.trim_end_matches('"').to_string();
        *per_version.entry(version).or_insert(0) += n.parse::<u64>().unwrap();
    }
    let demo_path = shared.join("conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let dir = scratch.path("demo-parquet");
    assert!(otelgrep(&["export", "--to", "parquet", "--out", &dir, demo_path.to_str().unwrap()]).2 <= 1);
    for input in [demo_path.to_str().unwrap(), &dir] {
        let rows = common::json_rows(&["latency", "--by", "scope.version", "--kind", "all", input]);
        let got: std::collections::BTreeMap<String, u64> = rows
            .iter()
            .map(|r| (r["scope.version"].as_str().unwrap_or("").to_string(), r["count"].as_u64().unwrap()))
            .collect();
        assert_eq!(got, per_version, "{input}");
    }

    // Other formats: what their exporters printed, in OTLP.
    let cases: &[(&str, &[&str])] = &[
        (
            "conformance/go-stdouttrace_pretty-without-timestamps.txt",
            &["spans scope \"\" \"\": 2", "traceState \"key=val\": 2"],
        ),
        ("conformance/go-stdoutlog_pretty-without-timestamps.txt", &["logs scope \"name\" \"version\": 2"]),
        ("conformance/python-sdk_metricsdata-to_json-compact.txt", &["metrics scope \"name_0\" \"version_0\": 12"]),
        (
            "samples/node-console/sdk-node-0.223_interleaved-app-logs.txt",
            &["spans scope \"demo-tracer\" \"1.2.3\": 5", "logs scope \"demo-logger\" \"\": 3"],
        ),
        (
            "samples/rust-stdout/rust-stdout.log",
            // A log record's scope is named by its target (`Target (Scope)`), as the OTLP
            // exporter sends it.
            &["spans scope \"todo\" \"0.1.0\": 75", "logs scope \"todo\" \"\": 40"],
        ),
    ];
    for (name, want) in cases {
        let original = shared.join(name);
        let (json, parquet) = through(original.to_str().unwrap());
        for w in *want {
            assert!(json.contains(&w.to_string()), "{name}: {w} not in {json:?}");
        }
        assert_eq!(parquet, json, "{name}: Parquet read back");
    }
}
