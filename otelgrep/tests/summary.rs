//! `otelgrep summary` run as a user runs it, on the captures in `samples/`. The expected counts
//! come from the samples' provenance (samples/README.md and ../shared/samples/README.md) and the
//! driver's `.requests.tsv`, not from otelgrep.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_otelgrep");

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel)
}

fn otelgrep(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn summary_json(path: &str) -> (Value, Output) {
    let out = otelgrep(&["summary", "--format", "json", path], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (v, out)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("otelgrep-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn flask_default_counts_equal_the_sample_provenance() {
    let (v, out) = summary_json(sample("python-flask/flask-default.log").to_str().unwrap());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(v["spans"], 324);
    assert_eq!(v["server_spans"], 74);
    assert_eq!(v["spans_by_kind"], serde_json::json!({"SERVER": 74, "INTERNAL": 174, "CLIENT": 76}));
    assert_eq!(v["error_spans"], 3);
    assert_eq!(v["log_records"], 146);
    assert_eq!(v["metric_exports"], 8);
    assert_eq!(v["foreign_lines"], 1);
    assert_eq!(v["skipped_records"], 0);
    assert_eq!(v["services"], serde_json::json!(["todo"]));
    assert_eq!(v["formats"], serde_json::json!({"python-json": 324 + 146 + 8}));
    // The earliest record is line 1's log record (the SDK's ERROR about the sqlalchemy
    // instrumentation, `"timestamp": "2026-11-27T23:37:16.985259Z"`); the latest is the final
    // metrics export's `"time_unix_nano": 1795822708540766371` (line 19382), shown to the µs.
    assert_eq!(v["first_time"], "2026-11-27T23:37:16.985259Z");
    assert_eq!(v["last_time"], "2026-11-27T23:38:28.540766Z");
    for key in ["metric_points", "skipped_records", "foreign_lines", "first_time", "last_time"] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
}

#[test]
fn merged_stderr_has_the_same_telemetry_and_216_foreign_lines() {
    let (v, out) = summary_json(sample("python-flask/flask-merged-stderr.log").to_str().unwrap());
    assert!(out.status.success());
    assert_eq!((v["spans"].as_u64(), v["server_spans"].as_u64()), (Some(324), Some(74)));
    assert_eq!((v["log_records"].as_u64(), v["metric_exports"].as_u64()), (Some(146), Some(8)));
    assert_eq!(v["foreign_lines"], 216);
    assert_eq!(v["skipped_records"], 0);
}

#[test]
fn server_spans_equal_the_requests_the_client_sent() {
    for name in ["flask-default", "flask-merged-stderr"] {
        let tsv = std::fs::read_to_string(sample(&format!("python-flask/{name}.requests.tsv"))).unwrap();
        let requests = tsv.lines().skip(1).filter(|l| !l.is_empty()).count();
        let (v, _) = summary_json(sample(&format!("python-flask/{name}.log")).to_str().unwrap());
        assert_eq!(v["server_spans"].as_u64(), Some(requests as u64), "{name}");
    }
}

#[test]
fn a_truncated_capture_reports_exactly_one_record_and_reads_the_rest() {
    let text = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    // Cut in the middle of the span that starts on line 421 (`GET /`), as a killed process would.
    let cut: String = text.lines().take(440).map(|l| format!("{l}\n")).collect();
    let path = temp("truncated").join("cut.log");
    std::fs::write(&path, &cut).unwrap();
    let out = otelgrep(&["summary", "--format", "json", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "partial read exits 1");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped_records"], 1);
    let reason = format!("{}:421: Python console record cut short: the record opened here has no end", path.display());
    assert_eq!(v["skipped_reasons"], serde_json::json!([reason]));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, format!("otelgrep: {reason}\notelgrep: 1 record(s) could not be read and were skipped\n"));
    // Everything before the cut is still counted: the spans and logs of lines 1–420.
    let spans_before = text.lines().take(420).filter(|l| l.starts_with("    \"name\": ")).count();
    assert_eq!(v["spans"].as_u64(), Some(spans_before as u64));

    let strict = otelgrep(&["summary", "--strict", path.to_str().unwrap()], None);
    assert_eq!(strict.status.code(), Some(2));
    assert!(strict.stdout.is_empty(), "--strict prints no result");
}

#[test]
fn a_malformed_record_names_its_line_and_the_rest_is_read() {
    let text = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    // Line 425 is `        "span_id": "0x766539be427046e5",` inside the span at line 421.
    let broken: String =
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == 425 {
                    "        \"span_id\" \"0x766539be427046e5\",\n".to_string()
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
    let path = temp("malformed").join("broken.log");
    std::fs::write(&path, broken).unwrap();
    let (v, out) = summary_json(path.to_str().unwrap());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["spans"], 323);
    assert_eq!(v["log_records"], 146);
    assert_eq!(
        v["skipped_reasons"][0],
        format!("{}:425: invalid span JSON: expected `:` at column 19", path.display())
    );
}

#[test]
fn stdin_and_gzip_give_the_same_result_as_the_file() {
    let path = sample("python-flask/flask-merged-stderr.log");
    let bytes = std::fs::read(&path).unwrap();
    let from_file = otelgrep(&["summary", "--format", "json", path.to_str().unwrap()], None);
    let from_stdin = otelgrep(&["summary", "--format", "json", "-"], Some(&bytes));
    let gz = temp("gzip").join("capture.log.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&bytes).unwrap();
    enc.finish().unwrap();
    let from_gz = otelgrep(&["summary", "--format", "json", gz.to_str().unwrap()], None);
    let strip = |o: &Output| {
        let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["files"][0]["file"] = Value::Null;
        v
    };
    assert_eq!(strip(&from_stdin), strip(&from_file));
    assert_eq!(strip(&from_gz), strip(&from_file));
}

#[test]
fn missing_files_and_directories_are_one_line_errors() {
    let out = otelgrep(&["summary", "/nonexistent/capture.log"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "otelgrep: reading /nonexistent/capture.log: No such file or directory (os error 2)\n"
    );
    // A folder is read as every file in it; one with none is an error, not a table of zeros.
    let dir = temp("dir");
    let out = otelgrep(&["summary", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("otelgrep: {}: a folder with no files in it\n", dir.display())
    );
}

#[test]
fn binary_garbage_in_a_record_skips_it_naming_the_line_not_a_panic() {
    let path = temp("binary").join("garbage.bin");
    // Inside a value, as a record's lines are indented (a line at column 0 would end it).
    std::fs::write(&path, b"{\n    \"a\": \"\xff\xfe\x00\"\n}\n").unwrap();
    let out = otelgrep(&["summary", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "otelgrep: {}:2: a byte that is not UTF-8 (Latin-1? a binary value?): the record is skipped\n\
             otelgrep: 1 record(s) could not be read and were skipped\n",
            path.display()
        )
    );
}

#[test]
fn one_file_may_mix_every_format() {
    let parts = [
        "python-flask/flask-merged-stderr.log",
        "rust-stdout/rust-stdout.log",
        "otlp-json/js-otlp-http-json_traces.jsonl",
        "node-console/sdk-node-0.223_interleaved-app-logs.txt",
        "todo/todo-http.log",
    ];
    let mut mixed = String::new();
    let mut want = serde_json::Map::new();
    for part in parts {
        let (v, _) = summary_json(sample(part).to_str().unwrap());
        for key in ["spans", "server_spans", "log_records", "metric_points", "metric_exports", "foreign_lines"] {
            let sum = want.get(key).and_then(Value::as_u64).unwrap_or(0) + v[key].as_u64().unwrap();
            want.insert(key.to_string(), sum.into());
        }
        mixed.push_str(&std::fs::read_to_string(sample(part)).unwrap());
    }
    let path = temp("mixed").join("mixed.log");
    std::fs::write(&path, mixed).unwrap();
    let (v, out) = summary_json(path.to_str().unwrap());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (key, n) in &want {
        assert_eq!(&v[key], n, "{key}");
    }
    let formats: Vec<&String> = v["formats"].as_object().unwrap().keys().collect();
    assert_eq!(formats, ["node-console", "otlp-json", "python-json", "rust-text"]);
}

#[test]
fn input_format_reads_one_format_and_counts_the_rest_as_foreign() {
    let flask = sample("python-flask/flask-default.log");
    let lines = std::fs::read_to_string(&flask).unwrap().lines().count();
    let out = otelgrep(&["summary", "--format", "json", "--input-format", "rust-text", flask.to_str().unwrap()], None);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["spans"].as_u64(), v["log_records"].as_u64()), (Some(0), Some(0)));
    assert_eq!(v["foreign_lines"].as_u64(), Some(lines as u64));
    let (auto, _) = summary_json(flask.to_str().unwrap());
    let out =
        otelgrep(&["summary", "--format", "json", "--input-format", "python-json", flask.to_str().unwrap()], None);
    let forced: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(forced, auto);
}

#[test]
fn the_table_names_the_first_skipped_records() {
    let text = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    let cut: String = text.lines().take(440).map(|l| format!("{l}\n")).collect();
    let path = temp("table-reasons").join("cut.log");
    std::fs::write(&path, cut).unwrap();
    let out = otelgrep(&["summary", path.to_str().unwrap()], None);
    let table = String::from_utf8(out.stdout).unwrap();
    let row = table.lines().find(|l| l.contains("first reasons")).unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("cut.log:421: Python console record cut short"), "{row}");
}

/// Node prints one record per metric, with nothing between the metrics of one export: two
/// exports printed back to back (an idle app) were counted as one. The points of an export end at
/// its collection time, so a new end time is a new export.
#[test]
fn node_metric_exports_printed_back_to_back_are_told_apart_by_their_end_time() {
    let text = std::fs::read_to_string(sample("node-console/sdk-node-0.223_interleaved-app-logs.txt")).unwrap();
    // The capture's last lines are its one metrics export, from its first record to the end.
    let start = text.find("{\n  descriptor:").unwrap();
    let export = &text[start..];
    let later = export.replace("endTime: [ 1795822443,", "endTime: [ 1795822503,");
    assert_ne!(later, export);
    let dir = temp("node-exports");
    let count = |name: &str, body: String| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        let (v, _) = summary_json(path.to_str().unwrap());
        (v["metric_exports"].as_u64().unwrap(), v["metric_points"].as_u64().unwrap())
    };
    let (exports, points) = count("one.txt", text.clone());
    assert_eq!((exports, points), (1, 10));
    assert_eq!(count("two.txt", format!("{text}{later}")), (2, 20));
    // Three, the last printed after a line of the app's.
    assert_eq!(count("three.txt", format!("{text}{later}app: idle\n{later}")), (3, 30));
}
