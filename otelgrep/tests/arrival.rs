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
