//! Files the OpenTelemetry projects themselves wrote (`../shared/conformance/`), read whole: no
//! skipped record, no telemetry counted as foreign, and exactly the spans, SERVER spans, log
//! records, metric points and exports that an independent count of the documents gives
//! (`fixtures/conformance/count.py`: Python's json module, no otelgrep code). Then the same files
//! in every layout their writers use (`fixtures/conformance/layouts.py`), and the per-record rules:
//! minimal records are records, a bad id skips its record only, NaN where a number may stand.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Scratch, otelgrep, otelgrep_stdin};
use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(rel)
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance").join(rel)
}

/// Every conformance file (the pretty and compact originals, and legacy/).
fn conformance_files() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["conformance", "conformance/legacy"] {
        for entry in std::fs::read_dir(shared(dir)).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            if p.is_file() && !name.ends_with(".md") {
                files.push(p.to_str().unwrap().to_string());
            }
        }
    }
    files.sort();
    assert!(files.len() >= 21, "{files:?}");
    files
}

/// count.py's figures for each file, in order.
fn independent_counts(files: &[String]) -> Vec<Value> {
    let out = Command::new("python3").arg(fixture("count.py")).args(files).output().expect("python3");
    assert!(out.status.success(), "count.py: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `summary --format json` of one file; the command must succeed (exit 0: nothing skipped).
fn summary(file: &str) -> Value {
    let (out, err, code) = otelgrep(&["summary", "--format", "json", file]);
    assert_eq!(code, 0, "{file}: {err}");
    serde_json::from_str(&out).unwrap()
}

/// Holds otelgrep's summary of each file to the independent count.
fn assert_counts_equal(files: &[String]) {
    for (file, want) in files.iter().zip(independent_counts(files)) {
        let got = summary(file);
        for key in ["spans", "server_spans", "log_records", "metric_points", "metric_exports"] {
            assert_eq!(got[key], want[key], "{file}: {key}: otelgrep {} against {}", got[key], want[key]);
        }
        assert_eq!(got["skipped_records"], 0, "{file}: {}", got["skipped_reasons"]);
        assert_eq!(got["foreign_lines"], 0, "{file}: telemetry counted as foreign");
    }
}

#[test]
fn every_conformance_file_is_read_whole_with_the_independent_counts() {
    let files = conformance_files();
    assert_counts_equal(&files);
    // The counter itself is held to what the conformance README says of the demo capture.
    let demo = shared("conformance/otel-tui_otel-demo-fileexporter.jsonl").to_str().unwrap().to_string();
    let c = &independent_counts(std::slice::from_ref(&demo))[0];
    assert_eq!((c["spans"].as_u64(), c["metric_points"].as_u64()), (Some(547), Some(4551)));
}

#[test]
fn every_conformance_file_in_every_layout_its_writers_use_gives_the_same_counts() {
    let scratch = Scratch::new("layouts");
    let mut variants = Vec::new();
    for file in conformance_files() {
        let out = Command::new("python3")
            .arg(fixture("layouts.py"))
            .args([&file, scratch.0.to_str().unwrap()])
            .output()
            .expect("python3");
        assert!(out.status.success(), "layouts.py {file}: {}", String::from_utf8_lossy(&out.stderr));
        let written: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
        // Each layout holds what the original holds.
        let original = summary(&file);
        for v in &written {
            let got = summary(v);
            for key in ["spans", "server_spans", "log_records", "metric_points", "metric_exports"] {
                assert_eq!(got[key], original[key], "{v}: {key}");
            }
        }
        variants.extend(written);
    }
    assert!(variants.len() > 100, "{} layouts written", variants.len());
    assert_counts_equal(&variants);
}

/// The OTLP samples in every layout give the same `latency --by url` table as the original.
#[test]
fn otlp_samples_in_every_layout_give_the_same_latency_table() {
    let scratch = Scratch::new("otlp-layouts");
    let traces = common::sample("otlp-json/js-otlp-http-json_traces.jsonl");
    let traces = traces.to_str().unwrap();
    let out = Command::new("python3")
        .arg(fixture("layouts.py"))
        .args([traces, scratch.0.to_str().unwrap()])
        .output()
        .expect("python3");
    assert!(out.status.success());
    let (want, _, code) = otelgrep(&["latency", "--by", "url,status", "--format", "csv", traces]);
    assert_eq!(code, 0);
    assert!(want.lines().count() > 2, "{want}");
    for v in String::from_utf8(out.stdout).unwrap().lines() {
        let (got, err, code) = otelgrep(&["latency", "--by", "url,status", "--format", "csv", v]);
        assert_eq!((code, got.as_str()), (0, want.as_str()), "{v}: {err}");
    }
}

#[test]
fn a_minimal_span_is_counted_and_left_out_of_durations_with_a_note() {
    // pdata's request test: a span with no ids, kind or times.
    let file = shared("conformance/collector-pdata_traces-request.jsonl");
    let file = file.to_str().unwrap();
    let v = summary(file);
    assert_eq!((v["spans"].as_u64(), v["first_time"].is_null()), (Some(1), true), "{v}");
    let (out, err, code) = otelgrep(&["latency", "--by", "name", "--kind", "all", "--format", "csv", file]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "no duration, so no row: {out}");
    assert!(err.contains("1 request without a start or end time left out"), "{err}");
    // And Python's `null` times (the SDK's own to_json test).
    let file = shared("conformance/python-sdk_span-to_json.txt");
    let (_, err, code) = otelgrep(&["latency", "--kind", "all", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 request without a start or end time"), "{err}");
}

#[test]
fn a_bad_id_skips_its_span_only_and_names_it() {
    // The demo capture's first traces request, with three of its spans' ids damaged.
    let demo = std::fs::read_to_string(shared("conformance/otel-tui_otel-demo-fileexporter.jsonl")).unwrap();
    let line = demo
        .lines()
        .filter(|l| l.starts_with("{\"resourceSpans\""))
        .max_by_key(|l| l.matches("\"spanId\"").count())
        .unwrap();
    let mut doc: Value = serde_json::from_str(line).unwrap();
    let mut spans: Vec<&mut Value> = Vec::new();
    for rs in doc["resourceSpans"].as_array_mut().unwrap() {
        for ss in rs["scopeSpans"].as_array_mut().unwrap() {
            spans.extend(ss["spans"].as_array_mut().unwrap().iter_mut());
        }
    }
    let total = spans.len();
    assert!(total >= 4, "{total} spans");
    spans[0]["traceId"] = Value::from("not-hex");
    spans[2]["spanId"] = Value::from("abc");
    spans[total - 1]["parentSpanId"] = Value::from("zz00000000000000");
    let scratch = Scratch::new("bad-ids");
    let file = scratch.file("bad-ids.jsonl", &format!("{}\n", serde_json::to_string(&doc).unwrap()));
    let (out, err, code) = otelgrep(&["summary", "--format", "json", &file]);
    assert_eq!(code, 1, "records were skipped: {err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["spans"].as_u64(), Some(total as u64 - 3), "{v}");
    assert_eq!(v["skipped_records"], 3);
    assert!(err.contains(&format!("{file}:1: span 1 of the request")), "{err}");
    assert!(err.contains("traceId \"not-hex\" is not 32 hex digits"), "{err}");
    assert!(err.contains("span 3 of the request") && err.contains("spanId \"abc\" is not 16 hex digits"), "{err}");
    assert!(err.contains(&format!("span {total} of the request")), "{err}");
}

#[test]
fn python_metrics_with_nan_and_infinity_keep_every_point() {
    // The SDK writes NaN for a gauge that saw it, Infinity/-Infinity as an empty histogram's
    // min and max (json.dumps' allow_nan): every point is kept.
    let text = std::fs::read_to_string(shared("conformance/python-sdk_metricsdata-to_json-compact.txt")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let metrics = doc["resource_metrics"][0]["scope_metrics"][0]["metrics"].as_array_mut().unwrap();
    let (mut gauges, mut histograms) = (0, 0);
    for m in metrics.iter_mut() {
        for p in m["data"]["data_points"].as_array_mut().unwrap() {
            if p.get("value").is_some() {
                p["value"] = Value::from("@NaN");
                gauges += 1;
            } else if p.get("bucket_counts").is_some() {
                p["min"] = Value::from("@Infinity");
                p["max"] = Value::from("@-Infinity");
                histograms += 1;
            }
        }
    }
    assert!(gauges > 0 && histograms > 0);
    let line = serde_json::to_string(&doc)
        .unwrap()
        .replace("\"@NaN\"", "NaN")
        .replace("\"@-Infinity\"", "-Infinity")
        .replace("\"@Infinity\"", "Infinity");
    let scratch = Scratch::new("nan-metrics");
    let pretty = serde_json::to_string_pretty(&doc)
        .unwrap()
        .replace("\"@NaN\"", "NaN")
        .replace("\"@-Infinity\"", "-Infinity")
        .replace("\"@Infinity\"", "Infinity");
    for file in [scratch.file("one-line.txt", &(line + "\n")), scratch.file("pretty.txt", &(pretty + "\n"))] {
        let v = summary(&file);
        assert_eq!(v["metric_points"], 24, "{file}: {v}");
        assert_eq!(v["skipped_records"], 0);
    }
}

/// Every shared sample with Windows line endings reads as the original does, and so with
/// `\r\r\n` (a CRLF capture saved again by a Windows writer in text mode, `Tee-Object` of a
/// `script` recording): the Node records' last values before a `}` were `unknown value`.
#[test]
fn every_sample_with_crlf_line_endings_reads_as_the_original() {
    let scratch = Scratch::new("crlf");
    let mut files = Vec::new();
    for dir in ["python-flask", "rust-stdout", "node-console", "otlp-json", "todo"] {
        for e in std::fs::read_dir(common::sample(dir)).unwrap() {
            let p = e.unwrap().path();
            if matches!(p.extension().and_then(|e| e.to_str()), Some("log" | "txt" | "jsonl")) {
                files.push(p);
            }
        }
    }
    for fixture in ["collector-debug-detailed.log", "go-stdouttrace.log", "go-stdoutmetric-stdoutlog.log"] {
        files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture));
    }
    assert!(files.len() >= 15);
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap();
        let name = p.file_name().unwrap().to_str().unwrap();
        let (want, _, want_code) = otelgrep(&["summary", "--format", "json", p.to_str().unwrap()]);
        let mut want: Value = serde_json::from_str(&want).unwrap();
        want.as_object_mut().unwrap().remove("files");
        for (ending, tag) in [("\r\n", "crlf"), ("\r\r\n", "crcrlf")] {
            let file = scratch.file(&format!("{tag}-{name}"), &text.replace('\n', ending));
            let (got, err, code) = otelgrep(&["summary", "--format", "json", &file]);
            let mut got: Value = serde_json::from_str(&got).unwrap();
            got.as_object_mut().unwrap().remove("files");
            assert_eq!((code, &got), (want_code, &want), "{name} with {ending:?}: {err}");
        }
    }
}

/// The Python that has the official opentelemetry-proto package (`bash .ci/run` makes one).
fn proto_python() -> String {
    let python = std::env::var("OTELGREP_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python).args(["-c", "import opentelemetry.proto.trace.v1.trace_pb2"]).status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "{python} lacks the opentelemetry-proto package: run the tests with `bash .ci/run`, which installs it"
    );
    python
}

/// OTLP JSON written as the Collector's `format: proto` by the official Python package.
fn to_proto(python: &str, json: &str, out: &Path) {
    let status = Command::new(python).arg(fixture("to_proto.py")).arg(json).arg(out).status().unwrap();
    assert!(status.success(), "to_proto.py {json}");
}

/// OTLP JSON of one signal written as one bare request (an OTLP/HTTP body) by the official package.
fn to_bare_proto(python: &str, json: &Path, out: &Path) {
    let status = Command::new(python).arg(fixture("to_proto.py")).arg("--bare").arg(json).arg(out).status().unwrap();
    assert!(status.success(), "to_proto.py --bare {}", json.display());
}

#[test]
fn every_otlp_file_as_the_collectors_binary_format_reads_as_its_json() {
    let python = proto_python();
    let scratch = Scratch::new("proto");
    let mut json: Vec<String> = conformance_files()
        .into_iter()
        .filter(|f| f.contains("otlp-proto-examples") || f.contains("collector-pdata") || f.contains("otel-tui"))
        .collect();
    for s in ["traces", "metrics", "logs"] {
        json.push(common::sample(&format!("otlp-json/js-otlp-http-json_{s}.jsonl")).to_str().unwrap().to_string());
    }
    assert_eq!(json.len(), 15);
    let want = independent_counts(&json);
    for (file, want) in json.iter().zip(want) {
        let bin = scratch.0.join(format!("{}.binpb", Path::new(file).file_name().unwrap().to_str().unwrap()));
        to_proto(&python, file, &bin);
        let bin = bin.to_str().unwrap();
        let got = summary(bin);
        for key in ["spans", "server_spans", "log_records", "metric_points", "metric_exports"] {
            assert_eq!(got[key], want[key], "{bin}: {key}");
        }
        assert_eq!(got["skipped_records"], 0, "{bin}");
        assert!(got["formats"].get("otlp-proto").is_some(), "{bin}: {got}");
        same_tables_as_json(file, bin);
    }
}

/// Binary OTLP gives the tables its JSON gives, to the digit.
fn same_tables_as_json(json: &str, bin: &str) {
    for args in [&["latency", "--by", "url,status", "--format", "csv"][..], &["metrics", "--format", "csv"][..]] {
        let (a, _, _) = otelgrep(&[args, &[json]].concat());
        let (b, err, code) = otelgrep(&[args, &[bin]].concat());
        assert_eq!((code, b), (0, a), "{bin} {args:?}: {err}");
    }
}

/// One bare export request (an OTLP/HTTP request body, no length in front), written by the
/// official package: read as its JSON is, from a file and from standard input, with or without
/// `--input-format otlp-proto` (it was "no telemetry found" either way). Requests of one signal
/// concatenated are one request (protobuf merges them): the JS sample's lines are.
#[test]
fn a_bare_export_request_reads_as_its_json() {
    let python = proto_python();
    let scratch = Scratch::new("proto-bare");
    let mut json: Vec<String> = ["trace", "logs", "metrics", "events"]
        .iter()
        .map(|s| shared(&format!("conformance/otlp-proto-examples_{s}.json")).to_str().unwrap().to_string())
        .collect();
    for s in ["traces", "metrics", "logs"] {
        json.push(common::sample(&format!("otlp-json/js-otlp-http-json_{s}.jsonl")).to_str().unwrap().to_string());
    }
    let want = independent_counts(&json);
    for (file, want) in json.iter().zip(want) {
        let bin = scratch.0.join(format!("{}.pb", Path::new(file).file_name().unwrap().to_str().unwrap()));
        to_bare_proto(&python, Path::new(file), &bin);
        let (bin, bytes) = (bin.to_str().unwrap(), std::fs::read(&bin).unwrap());
        for args in
            [&["summary", "--format", "json"][..], &["summary", "--format", "json", "--input-format", "otlp-proto"]]
        {
            let (from_file, err, code) = otelgrep(&[args, &[bin]].concat());
            assert_eq!(code, 0, "{bin} {args:?}: {err}");
            let (from_stdin, err, code) = otelgrep_stdin(&[args, &["-"]].concat(), &bytes);
            assert_eq!(code, 0, "{bin} {args:?} on standard input: {err}");
            for got in [from_file, from_stdin] {
                let got: Value = serde_json::from_str(&got).unwrap();
                for key in ["spans", "server_spans", "log_records", "metric_points"] {
                    assert_eq!(got[key], want[key], "{bin} {args:?}: {key}");
                }
                assert_eq!(got["skipped_records"], 0, "{bin}");
                assert!(got["formats"].get("otlp-proto").is_some(), "{bin}: {got}");
            }
        }
        same_tables_as_json(file, bin);
    }
}

/// Where each top-level field (a resource group) of a bare request starts, read with this test's
/// own varint decoding.
fn group_starts(bytes: &[u8]) -> Vec<usize> {
    let (mut at, mut starts) = (0, Vec::new());
    while at < bytes.len() {
        assert_eq!(bytes[at], 0x0a, "field 1 at {at}");
        starts.push(at);
        let (mut len, mut shift, mut i) = (0usize, 0, at + 1);
        loop {
            len |= usize::from(bytes[i] & 0x7f) << shift;
            shift += 7;
            i += 1;
            if bytes[i - 1] & 0x80 == 0 {
                break;
            }
        }
        at = i + len;
    }
    starts
}

/// A bare request as it is saved in practice: with a line break after it, one after another of
/// different signals (protobuf cannot merge those: each resource group is read on its own), and
/// cut short (everything before the cut is read, the cut reported: it was "no telemetry found").
#[test]
fn a_bare_request_with_a_line_break_after_it_after_another_or_cut_short() {
    let python = proto_python();
    let scratch = Scratch::new("proto-bare-odd");
    let bare = |json: &Path, name: &str| {
        let out = scratch.0.join(name);
        to_bare_proto(&python, json, &out);
        std::fs::read(out).unwrap()
    };
    // The demo capture's trace requests: many resource groups.
    let demo = std::fs::read_to_string(shared("conformance/otel-tui_otel-demo-fileexporter.jsonl")).unwrap();
    let spans: String =
        demo.lines().filter(|l| l.starts_with("{\"resourceSpans\"")).map(|l| format!("{l}\n")).collect();
    let spans_json = scratch.0.join("spans.jsonl");
    std::fs::write(&spans_json, spans).unwrap();
    let traces = bare(&spans_json, "traces.pb");
    let logs = bare(&common::sample("otlp-json/js-otlp-http-json_logs.jsonl"), "logs.pb");
    let count = |bytes: &[u8], name: &str| -> (Value, String, i32) {
        let path = scratch.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (out, err, code) = otelgrep(&["summary", "--format", "json", path.to_str().unwrap()]);
        (serde_json::from_str(&out).unwrap(), err, code)
    };
    let (t, _, _) = count(&traces, "t.pb");
    let (l, _, _) = count(&logs, "l.pb");
    assert!(t["spans"].as_u64().unwrap() > 100 && l["log_records"].as_u64().unwrap() > 2, "{t} {l}");
    let (got, err, code) = count(&[&traces[..], b"\r\n"].concat(), "newline.pb");
    assert_eq!((code, &got["spans"]), (0, &t["spans"]), "{err}");
    let (got, err, code) = count(&[&traces[..], &logs[..]].concat(), "both.pb");
    assert_eq!((code, &got["spans"], &got["log_records"]), (0, &t["spans"], &l["log_records"]), "{err}");
    assert_eq!(got["skipped_records"], 0);
    // Cut inside its last resource group, and inside its first.
    let starts = group_starts(&traces);
    assert!(starts.len() > 10);
    let last = *starts.last().unwrap();
    let (before, _, _) = count(&traces[..last], "before.pb");
    let (got, err, code) = count(&traces[..last + 20], "cut.pb");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("cut.pb:{}: resource group of the OTLP protobuf request cut short", starts.len())),
        "{err}"
    );
    assert_eq!((&got["spans"], &got["skipped_records"]), (&before["spans"], &Value::from(1)));
    assert!(before["spans"].as_u64().unwrap() > 0);
    let (got, err, code) = count(&traces[..starts[1] - 3], "cut-first.pb");
    assert_eq!((code, &got["spans"], &got["skipped_records"]), (1, &Value::from(0), &Value::from(1)), "{err}");
    assert!(err.contains("cut-first.pb:1: resource group of the OTLP protobuf request cut short"), "{err}");
    // Told to read binary OTLP, a text says why nothing was read.
    let text = shared("conformance/otlp-proto-examples_trace.json");
    let (_, err, _) = otelgrep(&["summary", "--input-format", "otlp-proto", text.to_str().unwrap()]);
    assert!(err.contains("not OTLP protobuf: neither length-prefixed messages"), "{err}");
}

#[test]
fn a_binary_capture_cut_short_gives_everything_before_the_cut() {
    let python = proto_python();
    let scratch = Scratch::new("proto-cut");
    let demo = shared("conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let bin = scratch.0.join("demo.binpb");
    to_proto(&python, demo.to_str().unwrap(), &bin);
    let bytes = std::fs::read(&bin).unwrap();
    // Cut inside the last message: every message before it is read, the last one reported.
    let mut at = 0;
    let mut starts = Vec::new();
    while at < bytes.len() {
        starts.push(at);
        at += 4 + u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    let last = *starts.last().unwrap();
    let cut = scratch.0.join("cut.binpb");
    std::fs::write(&cut, &bytes[..last + 10]).unwrap();
    let whole: Vec<u8> = bytes[..last].to_vec();
    let before = scratch.0.join("before.binpb");
    std::fs::write(&before, whole).unwrap();
    let (out, err, code) = otelgrep(&["summary", "--format", "json", cut.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!(":{}: OTLP protobuf message cut short", starts.len())), "{err}");
    let (got, want): (Value, Value) = (serde_json::from_str(&out).unwrap(), summary(before.to_str().unwrap()));
    for key in ["spans", "log_records", "metric_points"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    assert_eq!(got["skipped_records"], 1);
}

#[test]
fn a_folder_is_every_capture_in_it_rotated_files_and_subfolders_included() {
    let python = proto_python();
    let scratch = Scratch::new("folder");
    let demo = shared("conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let text = std::fs::read_to_string(&demo).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // As the file exporter's rotation leaves them: backups named by time, then the current file;
    // one more service's output, binary, in a folder of its own.
    let dir = scratch.0.join("collector-out");
    std::fs::create_dir_all(dir.join("proto")).unwrap();
    let third = lines.len() / 3;
    std::fs::write(dir.join("otel-2026-12-01T10-00-00.000.json"), lines[..third].join("\n") + "\n").unwrap();
    std::fs::write(dir.join("otel-2026-12-01T11-00-00.000.json"), lines[third..2 * third].join("\n") + "\n").unwrap();
    std::fs::write(dir.join("otel.json"), lines[2 * third..].join("\n") + "\n").unwrap();
    std::fs::write(dir.join(".otel.json.lock"), "not telemetry").unwrap();
    let otlp = common::sample("otlp-json/js-otlp-http-json_traces.jsonl");
    to_proto(&python, otlp.to_str().unwrap(), &dir.join("proto/traces.binpb"));
    let both = scratch.file("both.jsonl", &(text.clone() + &std::fs::read_to_string(&otlp).unwrap()));
    for args in [&["latency", "--by", "service,url", "--format", "csv"][..], &["urls", "--format", "csv"][..]] {
        let (want, _, _) = otelgrep(&[args, &[both.as_str()]].concat());
        let (got, err, code) = otelgrep(&[args, &[dir.to_str().unwrap()]].concat());
        assert_eq!((code, got), (0, want), "{args:?}: {err}");
    }
    let v = summary(dir.to_str().unwrap());
    let files: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(files[0].ends_with("otel-2026-12-01T10-00-00.000.json") && files[2].ends_with("otel.json"), "{files:?}");
}

/// The Python samples turned into OTLP JSON apart from otelgrep (`py_to_otlp.py`), then laid out
/// every way OTLP is written and written as binary OTLP: every command gives what it gives on the
/// console capture itself (this also holds the URL rebuilt from Flask's attributes on OTLP input).
#[test]
fn python_samples_as_otlp_in_every_layout_and_as_binary_give_the_same_tables() {
    let python = proto_python();
    let scratch = Scratch::new("py-otlp");
    let commands: [&[&str]; 5] = [
        &["latency", "--by", "url,status", "--format", "csv"],
        &["metrics", "--format", "csv"],
        &["metrics", "http.server.duration", "--format", "csv"],
        &["logs", "--format", "csv"],
        &["spans", "--format", "csv"],
    ];
    for name in ["flask-default.log", "flask-merged-stderr.log"] {
        let capture = common::sample(&format!("python-flask/{name}"));
        let capture = capture.to_str().unwrap();
        let otlp = scratch.0.join(format!("{name}.jsonl"));
        let status = Command::new("python3").arg(fixture("py_to_otlp.py")).arg(capture).arg(&otlp).status().unwrap();
        assert!(status.success());
        let out = Command::new("python3").arg(fixture("layouts.py")).arg(&otlp).arg(&scratch.0).output().unwrap();
        assert!(out.status.success());
        let mut variants: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
        let bin = scratch.0.join(format!("{name}.binpb"));
        to_proto(&python, otlp.to_str().unwrap(), &bin);
        variants.push(bin.to_str().unwrap().to_string());
        assert_eq!(variants.len(), 10);
        for args in commands {
            let (want, _, code) = otelgrep(&[args, &[capture]].concat());
            assert_eq!(code, 0);
            assert!(want.lines().count() > 3, "{args:?}: {want}");
            for v in &variants {
                let (got, err, code) = otelgrep(&[args, &[v.as_str()]].concat());
                assert_eq!((code, &got), (0, &want), "{v} {args:?}: {err}");
            }
        }
    }
}

/// The real Python SDK (1.45, `.ci/run`'s virtual environment) printing every metric point type
/// it has, exponential histograms included, pretty and one record a line: read whole, with the
/// independent counts, and the exponential histogram's buckets as recorded.
#[test]
fn the_real_python_sdk_output_of_every_point_type_is_read_whole() {
    let python = proto_python();
    let scratch = Scratch::new("python-sdk");
    let mut files = Vec::new();
    for layout in ["pretty", "compact"] {
        let out = Command::new(&python)
            .arg(fixture("python_sdk_capture.py"))
            .args((layout == "compact").then_some("--compact"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        files.push(scratch.file(&format!("{layout}.txt"), &String::from_utf8(out.stdout).unwrap()));
    }
    assert_counts_equal(&files);
    for file in &files {
        let v = summary(file);
        assert_eq!((v["spans"].as_u64(), v["metric_exports"].as_u64()), (Some(1), Some(2)), "{file}: {v}");
        let rows = common::json_rows(&["metrics", "exp.latency", file]);
        // Recorded: 0.001, 0.5, 2, 2, 700 and 0 (the zero bucket).
        assert_eq!(rows[0]["count"], 6, "{file}: {rows:?}");
        assert!((rows[0]["sum"].as_f64().unwrap() - 704.501).abs() < 1e-9, "{rows:?}");
        let kinds = common::json_rows(&["metrics", file]);
        let kind = |name: &str| kinds.iter().find(|m| m["metric"] == name).map(|m| m["kind"].clone());
        assert_eq!(kind("exp.latency").unwrap(), "exponential_histogram", "{kinds:?}");
        assert_eq!(kind("temperature").unwrap(), "gauge", "{kinds:?}");
        assert_eq!(kind("queue").unwrap(), "updowncounter", "{kinds:?}");
    }
}

/// What a new user's trial found: a request line indented by a script, a binary capture that
/// opens with an empty export, and a span without times listed by `spans`.
#[test]
fn indented_lines_empty_first_exports_and_untimed_spans_in_listings() {
    let python = proto_python();
    let scratch = Scratch::new("trial");
    let traces = common::sample("otlp-json/js-otlp-http-json_traces.jsonl");
    let text = std::fs::read_to_string(&traces).unwrap();
    let indented = scratch.file("indented.jsonl", &text.lines().map(|l| format!("  \t{l}\n")).collect::<String>());
    let (want, got) = (summary(traces.to_str().unwrap()), summary(&indented));
    assert_eq!((got["spans"].as_u64(), got["foreign_lines"].as_u64()), (want["spans"].as_u64(), Some(0)), "{got}");

    let bin = scratch.0.join("traces.binpb");
    to_proto(&python, traces.to_str().unwrap(), &bin);
    let mut bytes = vec![0u8; 4];
    bytes.extend(std::fs::read(&bin).unwrap());
    let empty_first = scratch.0.join("empty-first.binpb");
    std::fs::write(&empty_first, bytes).unwrap();
    let got = summary(empty_first.to_str().unwrap());
    assert_eq!((got["spans"].as_u64(), got["skipped_records"].as_u64()), (want["spans"].as_u64(), Some(0)), "{got}");

    // pdata's minimal span: no time, no duration, rather than 1970 and a made-up figure.
    let minimal = shared("conformance/collector-pdata_traces-request.jsonl");
    let rows = common::json_rows(&["spans", "--kind", "all", minimal.to_str().unwrap()]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0]["time"].is_null() && rows[0]["duration"].is_null(), "{rows:?}");
}

/// Requests written back to back with nothing between them: pretty ones closed and opened on one
/// line (`}{`), and compact ones run together on one line, are each read.
#[test]
fn requests_back_to_back_without_a_newline_are_each_read() {
    let scratch = Scratch::new("back-to-back");
    let demo = shared("conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let text = std::fs::read_to_string(&demo).unwrap();
    let lines: Vec<&str> = text.lines().take(12).collect();
    let want = summary(&scratch.file("twelve.jsonl", &(lines.join("\n") + "\n")));
    let pretty: Vec<String> = lines
        .iter()
        .map(|l| serde_json::to_string_pretty(&serde_json::from_str::<Value>(l).unwrap()).unwrap())
        .collect();
    for (name, joined) in [
        ("one-line.jsonl", lines.join("") + "\n"),
        ("spaced.jsonl", lines.join(" ") + "\n"),
        ("pretty.json", pretty.join("") + "\n"),
    ] {
        let got = summary(&scratch.file(name, &joined));
        for key in ["spans", "log_records", "metric_points", "metric_exports", "skipped_records"] {
            assert_eq!(got[key], want[key], "{name}: {key}");
        }
    }
}
