//! What the end-to-end tests share: where the samples are, and running the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel)
}

/// Runs otelgrep without colours: (stdout, stderr, exit code).
pub fn otelgrep(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_otelgrep")).args(args).env("NO_COLOR", "1").output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap())
}

/// Runs otelgrep with `bytes` on its standard input: (stdout, stderr, exit code).
pub fn otelgrep_stdin(args: &[&str], bytes: &[u8]) -> (String, String, i32) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_otelgrep"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let bytes = bytes.to_vec();
    // Written from a thread, as a producer would, so a large input never deadlocks on the pipe.
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap())
}

/// Runs a command with `--format json` and returns its rows; it must succeed.
pub fn json_rows(args: &[&str]) -> Vec<Value> {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (out, err, code) = otelgrep(&all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// The top-level JSON objects of a Python console capture, read with serde_json alone.
pub fn python_objects(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let text = format!("\n{text}");
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\n{\n") {
        let from = &rest[at + 1..];
        let mut stream = serde_json::Deserializer::from_str(from).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => {
                out.push(v);
                rest = &from[stream.byte_offset()..];
            }
            _ => rest = &from[1..],
        }
    }
    out
}

/// A scratch directory for one test, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("otelgrep-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }

    /// Where a file of this name is (or will be) in the scratch directory.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every capture of ours and the OpenTelemetry projects' own files.
pub fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = Vec::new();
    for dir in [
        "samples/todo",
        "../shared/samples/python-flask",
        "../shared/samples/rust-stdout",
        "../shared/samples/node-console",
        "../shared/samples/otlp-json",
        "../shared/conformance",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if [".log", ".txt", ".jsonl", ".json"].iter().any(|e| name.ends_with(e)) && !name.ends_with(".requests.tsv")
            {
                all.push(path);
            }
        }
    }
    all.sort();
    all
}

/// What `summary --format json` counts, without the file names.
pub fn counts(path: &str) -> Value {
    let (out, err, _) = otelgrep(&["summary", "--format", "json", path]);
    let mut v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{path}: {e}: {err}"));
    let keep = [
        "spans",
        "server_spans",
        "spans_by_kind",
        "error_spans",
        "log_records",
        "log_records_by_severity",
        "metric_points",
        "metric_points_by_name",
        "services",
        "first_time",
        "last_time",
    ];
    let o = v.as_object_mut().unwrap();
    o.retain(|k, _| keep.contains(&k.as_str()));
    v
}

/// Every capture that `summary` reads (exit 0 or 1) and that holds any telemetry, with what
/// `summary` counts in it: the inputs an export must read back as themselves.
pub fn captures_with_telemetry() -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for capture in captures() {
        let original = capture.to_str().unwrap().to_string();
        let (_, _, code) = otelgrep(&["summary", &original]);
        if code == 2 {
            continue;
        }
        let want = counts(&original);
        if want["spans"] == 0 && want["log_records"] == 0 && want["metric_points"] == 0 {
            continue;
        }
        all.push((original, want));
    }
    all
}

/// `2026-12-02T10:00:00.000000123Z`, a stamp that differs per line.
pub fn stamp(i: usize) -> String {
    format!("2026-12-02T10:{:02}:{:02}.{:09}Z", i / 3600 % 60, i / 60 % 60, i)
}

/// A CRI log file's lines: each line over `max` bytes split into `P` parts and a last `F` (the
/// runtime cuts at a byte count, inside a character if it falls there).
pub fn cri(text: &str, max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let mut parts: Vec<&[u8]> = l.as_bytes().chunks(max).collect();
        if parts.is_empty() {
            parts.push(b"");
        }
        let last = parts.len() - 1;
        for (k, p) in parts.iter().enumerate() {
            out.extend_from_slice(format!("{} stdout {} ", stamp(i), if k == last { "F" } else { "P" }).as_bytes());
            out.extend_from_slice(p);
            out.push(b'\n');
        }
    }
    out
}

/// A file of Docker's `json-file` log driver: each line a JSON object, escaped as the driver's
/// own encoder does (moby `jsonlog/jsonlogbytes.go`: `<`, `>`, `&` and control bytes as `\u00XX`),
/// a line over `max` bytes in parts of at most `max` bytes whose `log` has no line break but the
/// last's (cut between characters here: the driver cuts bytes, and writes `\ufffd` for a cut one).
pub fn docker_json(text: &str, max: usize) -> Vec<u8> {
    fn escaped(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' | '\\' => out.extend(['\\', c]),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '<' | '>' | '&' | '\u{0}'..='\u{1f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
                _ => out.push(c),
            }
        }
        out.push('"');
        out
    }
    let mut out = String::new();
    for (i, l) in text.lines().enumerate() {
        let mut parts = Vec::new();
        let mut rest = l;
        while rest.len() > max {
            let cut = (1..=max).rev().find(|&k| rest.is_char_boundary(k)).unwrap();
            parts.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        parts.push(rest);
        let last = parts.len() - 1;
        for (k, p) in parts.iter().enumerate() {
            let log = if k == last { format!("{p}\n") } else { p.to_string() };
            out.push_str(&format!("{{\"log\":{},\"stream\":\"stdout\",\"time\":\"{}\"}}\n", escaped(&log), stamp(i)));
        }
    }
    out.into_bytes()
}
