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
