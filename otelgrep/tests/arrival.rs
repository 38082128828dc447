//! Captures as they really arrive, and outputs as they are really consumed: a file with no
//! telemetry says so, stderr that cannot be written never stops the answer, and a reader that
//! closes the pipe early ends every output format quietly.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{Scratch, otelgrep, sample};

#[test]
fn a_file_without_telemetry_says_so_and_shows_how_its_lines_begin() {
    let scratch = Scratch::new("no-telemetry");
    let text = std::fs::read_to_string(sample("todo/todo-default.log")).unwrap();
    let wrapped: String = text.lines().map(|l| format!("app-1  | {l}\n")).collect();
    let lines = text.lines().count();
    let file = scratch.file("output.log", &wrapped);
    let (_, err, code) = otelgrep(&["latency", &file]);
    assert_eq!(code, 0);
    let lines = lines.to_string();
    let (head, tail) = lines.split_at(lines.len() - 3);
    assert!(
        err.contains(&format!("no telemetry found in {file}: {head},{tail} lines, e.g. \"app-1  | Logs\"")),
        "{err}"
    );
    let empty = scratch.file("empty.log", "");
    let (_, err, _) = otelgrep(&["summary", &empty]);
    assert!(err.contains(&format!("no telemetry found in {empty}: it is empty")), "{err}");
    // A capture that holds telemetry says nothing of the kind.
    let (_, err, _) = otelgrep(&["summary", sample("todo/todo-default.log").to_str().unwrap()]);
    assert!(!err.contains("no telemetry"), "{err}");
}

#[test]
fn unwritable_stderr_never_stops_the_answer() {
    let path = sample("todo/todo-http.log");
    // This command writes a note on stderr (http.url rebuilt), and an error goes there too.
    for (args, code) in [
        (vec!["latency", "--by", "http.url", "--format", "csv", path.to_str().unwrap()], 0),
        (vec!["summary", "no/such/file"], 2),
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_otelgrep")).args(&args).stderr(full).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        if code == 0 {
            let (want, _, _) = otelgrep(&args);
            assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
        }
    }
}

#[test]
fn a_closed_pipe_ends_every_output_format_quietly() {
    let path = sample("todo/todo-default.log");
    for format in ["table", "csv", "json", "ndjson", "markdown"] {
        for command in [vec!["spans", "--kind", "all"], vec!["logs"], vec!["latency", "--by", "url"]] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_otelgrep"))
                .args(&command)
                .args(["--format", format, path.to_str().unwrap()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Read one byte, as `head -c 1` would, and close the pipe.
            let mut one = [0u8; 1];
            child.stdout.take().unwrap().read_exact(&mut one).unwrap();
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(0), "{command:?} --format {format}: {err}");
            assert!(err.is_empty(), "{command:?} --format {format}: {err}");
        }
    }
}

/// The samples every arrival test wraps, encodes or compresses.
const CAPTURES: &[&str] = &[
    "todo/todo-default.log",
    "todo/todo-console-merged-stderr.log",
    "python-flask/flask-merged-stderr.log",
    "rust-stdout/rust-stdout-interleaved.log",
    "node-console/sdk-node-0.223_interleaved-app-logs.txt",
    "otlp-json/js-otlp-http-json_traces.jsonl",
];

/// `summary --format json` without the per-file part, and the exit code.
fn summary(path: &str) -> (serde_json::Value, i32) {
    let (out, err, code) = otelgrep(&["summary", "--format", "json", path]);
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{path}: {e}: {err}"));
    v.as_object_mut().unwrap().remove("files");
    (v, code)
}

/// The figures a capture's reading must keep whatever its wrapping.
fn figures(v: &serde_json::Value) -> serde_json::Value {
    let keep =
        ["spans", "spans_by_kind", "log_records", "metric_points", "metric_exports", "services", "foreign_lines"];
    keep.iter().map(|k| (k.to_string(), v[k].clone())).collect::<serde_json::Map<_, _>>().into()
}

fn latency_csv(path: &str) -> String {
    otelgrep(&["latency", "--by", "url", "--format", "csv", path]).0
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// What an independent decoder (Python's zlib) makes of a gzip file cut short: everything it can.
fn gunzip_prefix(bytes: &[u8]) -> Vec<u8> {
    let python = std::env::var("OTELGREP_PYTHON").unwrap_or_else(|_| "python3".into());
    let code =
        "import sys, zlib\nd = zlib.decompressobj(31)\nsys.stdout.buffer.write(d.decompress(sys.stdin.buffer.read()))";
    let mut child =
        Command::new(python).args(["-c", code]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn compressed_captures_read_as_the_plain_ones_and_cut_ones_keep_what_came_before() {
    let scratch = Scratch::new("compressed");
    for (i, rel) in CAPTURES.iter().enumerate() {
        let path = sample(rel);
        let plain = std::fs::read(&path).unwrap();
        let (want, _) = summary(path.to_str().unwrap());
        let want_latency = latency_csv(path.to_str().unwrap());
        let gz = gzip(&plain);
        let zst = zstd::encode_all(&plain[..], 3).unwrap();
        // Whole, and two gzip members back to back (a rotated file appended to).
        let half = plain.len() / 2;
        let members = [gzip(&plain[..half]), gzip(&plain[half..])].concat();
        for (name, bytes) in [("gz", &gz), ("zst", &zst), ("members.gz", &members)] {
            let file = scratch.0.join(format!("{i}.{name}"));
            std::fs::write(&file, bytes).unwrap();
            let (got, code) = summary(file.to_str().unwrap());
            assert_eq!((figures(&got), code), (figures(&want), 0), "{rel} as {name}");
            assert_eq!(latency_csv(file.to_str().unwrap()), want_latency, "{rel} as {name}");
        }
        // Cut at several points: what an independent decoder gets of it, and one skipped record.
        for fraction in [0.3, 0.55, 0.8] {
            let cut = &gz[..(gz.len() as f64 * fraction) as usize];
            let prefix = gunzip_prefix(cut);
            let (file, plain_prefix) =
                (scratch.0.join(format!("{i}-cut.gz")), scratch.0.join(format!("{i}-prefix.log")));
            std::fs::write(&file, cut).unwrap();
            std::fs::write(&plain_prefix, &prefix).unwrap();
            let (got, code) = summary(file.to_str().unwrap());
            let (want, _) = summary(plain_prefix.to_str().unwrap());
            assert_eq!(figures(&got), figures(&want), "{rel} cut at {fraction}");
            assert_eq!((got["skipped_records"].as_u64(), code), (Some(1), 1), "{rel} cut at {fraction}: {got}");
        }
    }
}
