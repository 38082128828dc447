//! No input may panic: every sample cut at many points, and with runs of lines dropped, must
//! parse to records and reported errors, never a crash.

use std::path::Path;

use otelgrep::parse;

const SAMPLES: &[&str] = &[
    "python-flask/flask-default.log",
    "python-flask/flask-merged-stderr.log",
    "rust-stdout/rust-stdout.log",
    "rust-stdout/rust-stdout-interleaved.log",
    "todo/todo-http-dup.log",
    "todo/todo-console-merged-stderr.log",
    "node-console/sdk-node-0.223_interleaved-app-logs.txt",
    "otlp-json/js-otlp-http-json_metrics.jsonl",
    "../otelgrep/tests/fixtures/collector-debug-detailed.log",
    "../otelgrep/tests/fixtures/go-stdouttrace.log",
    "../otelgrep/tests/fixtures/go-stdoutmetric-stdoutlog.log",
    "../otelgrep/tests/fixtures/python-nan-surrogate-bigint.log",
];

fn text(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel)).unwrap()
}

#[test]
fn cut_anywhere_never_panics() {
    for rel in SAMPLES {
        let bytes = text(rel).into_bytes();
        let step = (bytes.len() / 150).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            // Cuts inside a UTF-8 sequence are an error naming the file, also not a panic.
            let _ = parse::parse(rel, &bytes[..cut]);
        }
    }
}

#[test]
fn dropped_lines_never_panic_and_are_accounted_for() {
    for rel in SAMPLES {
        let whole = text(rel);
        let lines: Vec<&str> = whole.lines().collect();
        let step = (lines.len() / 60).max(1);
        for start in (0..lines.len()).step_by(step) {
            for len in [1, 3, 17] {
                let kept: String = lines
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i < start || *i >= start + len)
                    .map(|(_, l)| format!("{l}\n"))
                    .collect();
                let p = parse::parse(rel, kept.as_bytes()).unwrap();
                // Whatever was lost is either a reported record or a foreign line, never nothing.
                let read = p.spans.len() + p.logs.len() + p.points.len();
                assert!(read + p.errors.len() + p.foreign_lines > 0 || kept.trim().is_empty(), "{rel}: {start}+{len}");
            }
        }
    }
}

#[test]
fn every_command_survives_cut_captures() {
    // Each command's own logic (trees, deltas, buckets, percentiles) on what cut records leave:
    // missing parents, lone exports, half a histogram. Only exit codes 0, 1 and 2 are allowed.
    let dir = std::env::temp_dir().join(format!("otelgrep-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let commands: &[&[&str]] = &[
        &["summary"],
        &["urls", "--template"],
        &["latency", "--by", "route,status", "--every", "1s"],
        &["spans", "--slowest", "3"],
        &["trace", "--slowest"],
        &["logs", "--where", "status>=500"],
        &["metrics"],
        &["metrics", "http.server.duration", "--every", "2s"],
        &["metrics", "http.server.request.duration", "--compare-spans"],
        &["metrics", "todo.items.active"],
    ];
    let mut runs = 0;
    for rel in SAMPLES {
        let bytes = text(rel).into_bytes();
        for part in 1..=4 {
            let cut = bytes.len() * part / 4;
            let file = dir.join(format!("cut-{part}.log"));
            std::fs::write(&file, &bytes[..cut]).unwrap();
            for args in commands {
                let mut argv = vec!["otelgrep"];
                argv.extend(*args);
                argv.push(file.to_str().unwrap());
                let cli = <otelgrep::cli::Cli as clap::Parser>::parse_from(&argv);
                let (mut out, mut err) = (Vec::new(), Vec::new());
                // A command may refuse (no such trace, not a histogram): an error, not a panic.
                let _ = otelgrep::run(cli, &mut out, &mut err);
                runs += 1;
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(runs, SAMPLES.len() * 4 * commands.len());
}
