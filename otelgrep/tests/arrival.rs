//! Captures as they really arrive, and outputs as they are really consumed: a file with no
//! telemetry says so, stderr that cannot be written never stops the answer, and a reader that
//! closes the pipe early ends every output format quietly.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{Scratch, cri, docker_json, otelgrep, otelgrep_stdin, sample, stamp};

#[test]
fn a_file_without_telemetry_says_so_and_shows_how_its_lines_begin() {
    let scratch = Scratch::new("no-telemetry");
    // An app's own log (no exporter configured), wrapped by docker compose: the wrapper is taken
    // off, and still nothing.
    let wrapped: String = (0..30_026).map(|i| format!("app-1  | GET /tasks/{i} 200\n")).collect();
    let lines = 30_026;
    let file = scratch.file("output.log", &wrapped);
    let (_, err, code) = otelgrep(&["latency", &file]);
    assert_eq!(code, 0);
    let lines = lines.to_string();
    let (head, tail) = lines.split_at(lines.len() - 3);
    assert!(
        err.contains(&format!("no telemetry found in {file}: {head},{tail} lines, e.g. \"app-1  | GET /tasks/0 200\"")),
        "{err}"
    );
    let empty = scratch.file("empty.log", "");
    let (_, err, _) = otelgrep(&["summary", &empty]);
    assert!(err.contains(&format!("no telemetry found in {empty}: it is empty")), "{err}");
    // Standard input says the same of the same lines, blank ones counted as `wc -l` does.
    let blank = scratch.file("blank.log", "hello\n\n\nworld\n");
    let (_, from_file, _) = otelgrep(&["summary", &blank]);
    let (_, from_stdin, _) = otelgrep_stdin(&["summary", "-"], b"hello\n\n\nworld\n");
    assert!(from_file.contains("4 lines, e.g. \"hello\""), "{from_file}");
    assert_eq!(from_stdin.replace("<stdin>", &blank), from_file);
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

/// Every capture the arrival tests wrap, encode, compress and stream: every sample (ours and the
/// shared ones) and every file the OpenTelemetry projects wrote (`../shared/conformance/`).
fn captures() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = Vec::new();
    for dir in ["samples", "../shared/conformance"] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| ["log", "txt", "json", "jsonl"].contains(&x.to_str().unwrap()))
                {
                    all.push(p);
                }
            }
        }
    }
    all.sort();
    assert!(all.len() > 25, "{all:?}");
    all
}

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
    for (i, path) in captures().iter().enumerate() {
        let rel = path.display();
        let plain = std::fs::read(path).unwrap();
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
            // The records the cut falls in, as the prefix read as a file gives them (one, or with
            // opentelemetry-stdout alternating signals also the one another signal's block
            // interrupted, whose lines after it are lost too; a record whose last line stops
            // where the input does is cut: `\tSeverityText: "`), or else the cut itself.
            let skipped = |s: &serde_json::Value| s["skipped_records"].as_u64();
            let expected = skipped(&want).max(Some(1));
            assert_eq!((skipped(&got), code), (expected, 1), "{rel} cut at {fraction}: {got}");
            assert!(matches!(skipped(&got), Some(1 | 2)), "{rel} cut at {fraction}: {got}");
        }
    }
}

/// Each line of `text` as the wrapper writes it (`i` is the line's index).
fn wrap(text: &str, each: impl Fn(usize, &str) -> String) -> Vec<u8> {
    text.lines().enumerate().map(|(i, l)| each(i, l)).collect::<String>().into_bytes()
}

#[test]
fn every_wrapper_reads_as_the_plain_capture() {
    let scratch = Scratch::new("wrappers");
    for (n, path) in captures().iter().enumerate() {
        let rel = path.display();
        let plain = std::fs::read_to_string(path).unwrap();
        let (want, _) = summary(path.to_str().unwrap());
        let want_latency = latency_csv(path.to_str().unwrap());
        let wrapped: Vec<(&str, Vec<u8>)> = vec![
            ("compose", wrap(&plain, |_, l| format!("todo-1  | {l}\n"))),
            ("compose --timestamps", wrap(&plain, |i, l| format!("todo-1  | {} {l}\n", stamp(i)))),
            ("compose on a terminal", wrap(&plain, |_, l| format!("\x1b[36mtodo-1  |\x1b[0m {l}\n"))),
            ("docker logs --timestamps", wrap(&plain, |i, l| format!("{} {l}\n", stamp(i)))),
            (
                "kubectl logs --prefix --timestamps",
                wrap(&plain, |i, l| format!("[pod/todo-7d9f/todo] {} {l}\n", stamp(i))),
            ),
            ("CRI, lines over 40 bytes in parts", cri(&plain, 40)),
            ("docker json-file, lines over 40 bytes in parts", docker_json(&plain, 40)),
            (
                "journalctl",
                wrap(&plain, |i, l| format!("Dec 02 10:{:02}:{:02} host todo[1234]: {l}\n", i / 60 % 60, i % 60)),
            ),
            (
                "journalctl -o short-iso",
                wrap(&plain, |_, l| format!("2026-12-02T10:00:00+0000 host todo[1234]: {l}\n")),
            ),
            ("colours", wrap(&plain, |_, l| format!("\x1b[1m\x1b[0m{l}\x1b[K\n"))),
            (
                "colours on every second line",
                wrap(&plain, |i, l| if i % 2 == 0 { format!("\x1b[33m{l}\x1b[0m\n") } else { format!("{l}\n") }),
            ),
            (
                // `grep --color=always -E 'name|$'`: the match highlighted where there is one.
                "grep --color",
                wrap(&plain, |_, l| format!("{}\n", l.replace("name", "\x1b[01;31m\x1b[Kname\x1b[m\x1b[K"))),
            ),
        ];
        for (how, bytes) in wrapped {
            let path = scratch.0.join(format!("{n}.log"));
            std::fs::write(&path, &bytes).unwrap();
            let file = path.to_str().unwrap().to_string();
            let (got, code) = summary(&file);
            assert_eq!((figures(&got), code), (figures(&want), 0), "{rel} as {how}: {got}");
            if bytes != plain.as_bytes() {
                assert!(got["wrappers"].as_object().is_some_and(|w| !w.is_empty()), "{rel} as {how}: {got}");
            }
            assert_eq!(latency_csv(&file), want_latency, "{rel} as {how}");
        }
    }
}

#[test]
fn services_interleaved_line_by_line_are_each_read_whole() {
    let scratch = Scratch::new("interleaved");
    let (a, b) = (sample("todo/todo-default.log"), sample("python-flask/flask-merged-stderr.log"));
    let (ta, tb) = (std::fs::read_to_string(&a).unwrap(), std::fs::read_to_string(&b).unwrap());
    let (la, lb): (Vec<&str>, Vec<&str>) = (ta.lines().collect(), tb.lines().collect());
    let mut text = String::from("Attaching to flask-1, todo-1\n");
    for i in 0..la.len().max(lb.len()) {
        if let Some(l) = la.get(i) {
            text.push_str(&format!("\x1b[36mtodo-1   |\x1b[0m {} {l}\n", stamp(i)));
        }
        if let Some(l) = lb.get(i) {
            text.push_str(&format!("\x1b[33mflask-1  |\x1b[0m {} {l}\n", stamp(i)));
        }
    }
    let file = scratch.file("compose.log", &text);
    // The same as the two captures read side by side (the `Attaching` line is one foreign line).
    let (out, _, _) = otelgrep(&["summary", "--format", "json", a.to_str().unwrap(), b.to_str().unwrap()]);
    let mut want: serde_json::Value = serde_json::from_str(&out).unwrap();
    want["foreign_lines"] = (want["foreign_lines"].as_u64().unwrap() + 1).into();
    let (got, code) = summary(&file);
    assert_eq!((figures(&got), code), (figures(&want), 0), "{got}");
    assert_eq!(got["sources"], serde_json::json!(["todo-1", "flask-1"]));
    let (both, _, _) =
        otelgrep(&["latency", "--by", "url", "--format", "csv", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(latency_csv(&file), both);
    // A bad record is named by its line in the capture, not in its source's own text.
    let broken = text.replacen("\"kind\": \"SpanKind.", "\"kind\": SpanKind.", 1);
    let file = scratch.file("broken.log", &broken);
    let line = broken.lines().position(|l| l.contains("\"kind\": SpanKind.")).unwrap() + 1;
    let (_, err, code) = otelgrep(&["summary", &file]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{file}:")), "{err}");
    let named: u64 = err.split(&format!("{file}:")).nth(1).unwrap().split(':').next().unwrap().parse().unwrap();
    assert!(named <= line as u64 && line as u64 - named < 40, "error at {named}, bad line {line}: {err}");
}

#[test]
fn a_demo_capture_in_a_cri_file_joins_its_16_kib_parts() {
    // The OpenTelemetry demo's Collector file: lines up to 858 KB, which the container runtime
    // writes as 16 KiB `P` parts.
    let scratch = Scratch::new("cri-demo");
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let plain = std::fs::read_to_string(&demo).unwrap();
    let path = scratch.0.join("demo.log");
    std::fs::write(&path, cri(&plain, 16 * 1024)).unwrap();
    let file = path.to_str().unwrap().to_string();
    let (want, _) = summary(demo.to_str().unwrap());
    let (got, code) = summary(&file);
    assert_eq!((figures(&got), code), (figures(&want), 0));
    assert!(got["wrappers"]["container runtime (CRI)"].as_u64().unwrap() > plain.lines().count() as u64);
    // The same capture as Docker's json-file driver writes it, in 16 KiB parts.
    std::fs::write(&path, docker_json(&plain, 16 * 1024)).unwrap();
    let (got, code) = summary(&file);
    assert_eq!((figures(&got), code), (figures(&want), 0));
    assert!(got["wrappers"]["docker json-file"].as_u64().unwrap() > plain.lines().count() as u64);
}

/// A Docker json-file cut inside its last line (a copy interrupted): the record it held is one
/// cut record, said, as in the plain capture cut there; not a foreign line.
#[test]
fn a_docker_json_file_cut_in_its_last_line_is_a_cut_record() {
    let scratch = Scratch::new("docker-cut");
    let traces = sample("otlp-json/js-otlp-http-json_traces.jsonl");
    let plain = std::fs::read_to_string(&traces).unwrap();
    let wrapped = docker_json(&plain, 16 * 1024);
    let cut = scratch.0.join("cut.log");
    std::fs::write(&cut, &wrapped[..wrapped.len() - 200]).unwrap();
    let head: String = plain.lines().take(plain.lines().count() - 1).map(|l| format!("{l}\n")).collect();
    let (want, _) = summary(scratch.file("head.jsonl", &head).as_str());
    let (got, code) = summary(cut.to_str().unwrap());
    assert_eq!(
        (got["spans"].clone(), got["skipped_records"].clone(), code),
        (want["spans"].clone(), 1.into(), 1),
        "{got}"
    );
    assert_eq!(got["foreign_lines"], 0, "{got}");
}

#[test]
fn encodings_read_as_the_plain_capture() {
    let scratch = Scratch::new("encodings");
    for (n, path) in captures().iter().enumerate() {
        let rel = path.display();
        let plain = std::fs::read_to_string(path).unwrap();
        let (want, _) = summary(path.to_str().unwrap());
        let le: Vec<u8> = [0xff, 0xfe].into_iter().chain(plain.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = [0xfe, 0xff].into_iter().chain(plain.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        for (how, bytes) in [("UTF-16LE", le), ("UTF-16BE", be)] {
            let file = scratch.0.join(format!("{n}-{how}.log"));
            std::fs::write(&file, &bytes).unwrap();
            let (got, code) = summary(file.to_str().unwrap());
            assert_eq!((figures(&got), code), (figures(&want), 0), "{rel} as {how}");
            assert_eq!(got["encodings"], serde_json::json!([how]));
        }
        // Two captures concatenated, each with a UTF-8 mark (each ends its last line, as a
        // capture of a terminal does).
        let ended = if plain.ends_with('\n') { plain.clone() } else { format!("{plain}\n") };
        let twice = scratch.0.join(format!("{n}-marks.log"));
        std::fs::write(&twice, format!("\u{feff}{ended}\u{feff}{ended}")).unwrap();
        let (got, _) = summary(twice.to_str().unwrap());
        assert_eq!(got["spans"].as_u64(), want["spans"].as_u64().map(|s| 2 * s), "{rel} twice");
        // Lines of the app's own holding a Latin-1 byte, before and after: foreign, nothing else.
        let latin1 =
            [b"caf\xe9 au lait\n".to_vec(), ended.clone().into_bytes(), b"na\xefve\n\xa9 2026\n".to_vec()].concat();
        let file = scratch.0.join(format!("{n}-latin1.log"));
        std::fs::write(&file, &latin1).unwrap();
        let (mut got, code) = summary(file.to_str().unwrap());
        assert_eq!(code, 0, "{rel} with Latin-1 foreign lines");
        got["foreign_lines"] = (got["foreign_lines"].as_u64().unwrap() - 3).into();
        assert_eq!(figures(&got), figures(&want), "{rel} with Latin-1 foreign lines");
    }
}

/// A large capture (over a stream's 32 MB piece) holding one line that is not UTF-8 is read as a
/// stream, each piece repaired on its own rather than the whole copied (a 166 MB capture took
/// 522 MB so): the same answer as the same bytes on standard input, the line foreign.
#[test]
fn a_large_capture_with_a_line_not_utf8_reads_as_its_stream() {
    let scratch = Scratch::new("large-latin1");
    let rust = std::fs::read(sample("../../shared/samples/rust-stdout/rust-stdout.log")).unwrap();
    let copies = (70 << 20) / rust.len() + 1;
    let input = [b"caf\xe9 started\n".to_vec(), rust.repeat(copies)].concat();
    let file = scratch.0.join("large.log");
    std::fs::write(&file, &input).unwrap();
    let (from_file, code) = summary(file.to_str().unwrap());
    assert_eq!(code, 0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_otelgrep"))
        .args(["summary", "--format", "json", "-"])
        .stdin(std::fs::File::open(&file).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success());
    let mut from_stdin: serde_json::Value = serde_json::from_str(&out).unwrap();
    from_stdin.as_object_mut().unwrap().remove("files");
    assert_eq!(figures(&from_file), figures(&from_stdin));
    let (small, _) = summary(sample("../../shared/samples/rust-stdout/rust-stdout.log").to_str().unwrap());
    assert_eq!(from_file["spans"].as_u64(), small["spans"].as_u64().map(|s| s * copies as u64));
    assert_eq!(from_file["foreign_lines"].as_u64(), small["foreign_lines"].as_u64().map(|f| f * copies as u64 + 1));
}

/// A large `docker compose logs` capture (two services interleaved line by line, over a
/// stream's 32 MB piece) is unwrapped as it is read, each service's lines in pieces, as file and
/// on standard input: both give the services' own captures' figures times the copies, with the
/// wrappers and sources said (read whole, a 1 GB one held a copy of itself and every line's number).
#[test]
fn a_large_compose_capture_is_read_as_it_comes() {
    let scratch = Scratch::new("large-compose");
    let (a, b) = (sample("todo/todo-default.log"), sample("python-flask/flask-merged-stderr.log"));
    let (ta, tb) = (std::fs::read_to_string(&a).unwrap(), std::fs::read_to_string(&b).unwrap());
    let (la, lb): (Vec<&str>, Vec<&str>) = (ta.lines().collect(), tb.lines().collect());
    let mut once = String::new();
    for i in 0..la.len().max(lb.len()) {
        if let Some(l) = la.get(i) {
            once.push_str(&format!("todo-1   | {} {l}\n", stamp(i)));
        }
        if let Some(l) = lb.get(i) {
            once.push_str(&format!("flask-1  | {} {l}\n", stamp(i)));
        }
    }
    let copies = (70 << 20) / once.len() + 1;
    let file = scratch.file("compose.log", &once.repeat(copies));
    let (both, _, _) = otelgrep(&["summary", "--format", "json", a.to_str().unwrap(), b.to_str().unwrap()]);
    let both: serde_json::Value = serde_json::from_str(&both).unwrap();
    let (got, code) = summary(&file);
    assert_eq!(code, 0, "{got}");
    for key in ["spans", "log_records", "metric_points", "foreign_lines"] {
        assert_eq!(got[key].as_u64(), both[key].as_u64().map(|n| n * copies as u64), "{key}: {got}");
    }
    assert_eq!(got["sources"], serde_json::json!(["todo-1", "flask-1"]));
    let lines = (once.lines().count() * copies) as u64;
    assert_eq!(got["wrappers"]["docker compose"].as_u64(), Some(lines), "{got}");
    let (out, err, code) = otelgrep_stdin(&["summary", "--format", "json", "-"], once.repeat(copies).as_bytes());
    let mut from_stdin: serde_json::Value = serde_json::from_str(&out).unwrap();
    from_stdin.as_object_mut().unwrap().remove("files");
    assert_eq!((figures(&from_stdin), code), (figures(&got), 0), "{err}");
    assert_eq!((&from_stdin["wrappers"], &from_stdin["sources"]), (&got["wrappers"], &got["sources"]));
}

#[test]
fn a_capture_cut_inside_a_character_is_a_cut_record() {
    let scratch = Scratch::new("cut-char");
    // The todo capture holds Japanese task texts: cut inside one of their characters.
    let plain = std::fs::read(sample("todo/todo-default.log")).unwrap();
    let at = plain.windows(3).position(|w| w == "日".as_bytes()).unwrap() + 1;
    let file = scratch.0.join("cut.log");
    std::fs::write(&file, &plain[..at]).unwrap();
    let (out, err, code) = otelgrep(&["summary", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["skipped_records"], 1, "{err}");
    assert!(err.contains("cut short"), "{err}");
}

/// A killed app's capture with the next run's appended (`tee -a`): the record it was writing is
/// cut short and reported, and the next run's records are all read, whatever their format (the
/// cut Python object once took a Rust capture after it into itself, whole).
#[test]
fn a_capture_appended_after_a_cut_record_is_read_whole() {
    let scratch = Scratch::new("appended");
    let python = std::fs::read(sample("python-flask/flask-merged-stderr.log")).unwrap();
    // Cut inside an object's lines, at a line's end (the killed process wrote whole lines).
    let object = python.windows(3).rposition(|w| w == b"\n{\n").unwrap();
    let cut = object + 1 + memchr_line_ends(&python[object + 1..], 4);
    let cut_file = scratch.0.join("cut.log");
    std::fs::write(&cut_file, &python[..cut]).unwrap();
    let (first, _) = summary(cut_file.to_str().unwrap());
    for next in ["rust-stdout/rust-stdout.log", "node-console/sdk-node-0.223_trace-base-2.12.1.txt"] {
        let file = scratch.0.join("appended.log");
        std::fs::write(&file, [&python[..cut], &std::fs::read(sample(next)).unwrap()[..]].concat()).unwrap();
        let (both, code) = summary(file.to_str().unwrap());
        let (alone, _) = summary(sample(next).to_str().unwrap());
        assert_eq!(code, 1, "{next}");
        assert_eq!(both["skipped_records"], 1, "{next}");
        // Every record of the next run, and those of the cut one (read alone).
        let records = |v: &serde_json::Value| {
            ["spans", "log_records", "metric_points"].map(|k| v[k].as_u64().unwrap()).iter().sum::<u64>()
        };
        assert_eq!(records(&both), records(&alone) + records(&first), "{next}");
    }
}

/// Where the `n`th line of `bytes` ends (after its line break).
fn memchr_line_ends(bytes: &[u8], n: usize) -> usize {
    bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(n - 1).map_or(bytes.len(), |(i, _)| i + 1)
}

#[test]
fn standard_input_reads_as_the_file_plain_compressed_or_cut() {
    for path in captures() {
        let file = path.to_str().unwrap();
        let plain = std::fs::read(&path).unwrap();
        let (want, _) = summary(file);
        let want_latency = latency_csv(file);
        let (want_spans, _, _) = otelgrep(&["spans", "--kind", "all", "--format", "csv", file]);
        for (how, bytes) in
            [("plain", plain.clone()), ("gzip", gzip(&plain)), ("zstd", zstd::encode_all(&plain[..], 3).unwrap())]
        {
            let (out, err, code) = otelgrep_stdin(&["summary", "--format", "json", "-"], &bytes);
            let mut got: serde_json::Value =
                serde_json::from_str(&out).unwrap_or_else(|e| panic!("{file}: {e}: {err}"));
            got.as_object_mut().unwrap().remove("files");
            assert_eq!((figures(&got), code), (figures(&want), 0), "{file} on standard input, {how}: {err}");
            let (out, _, _) = otelgrep_stdin(&["latency", "--by", "url", "--format", "csv", "-"], &bytes);
            assert_eq!(out, want_latency, "{file} on standard input, {how}");
            let (out, _, _) = otelgrep_stdin(&["spans", "--kind", "all", "--format", "csv", "-"], &bytes);
            assert_eq!(out, want_spans, "{file} on standard input, {how}");
        }
        // Cut short on standard input: what the file cut at the same byte gives.
        let scratch = Scratch::new("stdin-cut");
        let cut = &plain[..plain.len() * 2 / 3];
        let prefix = scratch.0.join("prefix.log");
        std::fs::write(&prefix, cut).unwrap();
        let (want, want_code) = summary(prefix.to_str().unwrap());
        let (out, _, code) = otelgrep_stdin(&["summary", "--format", "json", "-"], cut);
        let mut got: serde_json::Value = serde_json::from_str(&out).unwrap();
        got.as_object_mut().unwrap().remove("files");
        assert_eq!(
            (figures(&got), got["skipped_records"].clone(), code),
            (figures(&want), want["skipped_records"].clone(), want_code),
            "{file} cut"
        );
    }
}

#[test]
fn a_capture_appended_to_one_without_its_last_line_break_reads_as_both() {
    // `head -c -1 a.log > cut.log; cat cut.log b.log`: the seam is a `}{` line. Python records
    // and OTLP documents on both sides of it are read.
    let scratch = Scratch::new("seam");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for rel in [
        "samples/python-flask/flask-default.log",
        "samples/python-flask/flask-merged-stderr.log",
        "../shared/conformance/otlp-proto-examples_trace.json",
        "../shared/conformance/python-sdk_span-to_json.txt",
    ] {
        let path = root.join(rel);
        let plain = std::fs::read_to_string(&path).unwrap();
        let (want, _) = summary(path.to_str().unwrap());
        let file = scratch.file("seam.log", &format!("{}{plain}", plain.trim_end()));
        let (got, code) = summary(&file);
        assert_eq!(code, 0, "{rel}: {got}");
        for key in ["spans", "log_records", "metric_points"] {
            assert_eq!(got[key].as_u64(), want[key].as_u64().map(|n| 2 * n), "{rel}: {key}");
        }
    }
}

/// A record cut short (a killed process) is named for the format whose record it was, told by
/// its first key as a whole record's is (a Node one was once called a Python console record).
#[test]
fn a_record_cut_short_is_named_for_its_format() {
    let scratch = Scratch::new("cut-named");
    let shared = |p: &str| format!("{}/../../shared/{p}", env!("CARGO_MANIFEST_DIR"));
    for (path, what) in [
        (shared("samples/node-console/sdk-node-0.223_trace-base-2.12.1.txt"), "Node console record"),
        (shared("samples/python-flask/flask-default.log"), "Python console record"),
        (shared("conformance/go-stdouttrace_pretty-without-timestamps.txt"), "Go record"),
        (shared("conformance/otlp-proto-examples_trace.json"), "OTLP JSON document"),
    ] {
        let text = std::fs::read(&path).unwrap();
        // Cut four lines into the last record that opens with a `{` line.
        let open = text.windows(2).rposition(|w| w == b"\n{").map_or(0, |i| i + 1);
        let line = text[..open].iter().filter(|b| **b == b'\n').count() + 1;
        let file = scratch.0.join("cut.txt");
        std::fs::write(&file, &text[..open + memchr_line_ends(&text[open..], 4)]).unwrap();
        let (_, err, code) = otelgrep(&["summary", file.to_str().unwrap()]);
        assert_eq!(code, 1, "{path}: {err}");
        assert!(err.contains(&format!("cut.txt:{line}: {what} cut short")), "{path}: {err}");
        // Cut inside its first key, the indentation says whose; with only its `{`, nothing does.
        let second = open + memchr_line_ends(&text[open..], 1);
        for (cut, named) in [(second + 4, what), (second, "record")] {
            std::fs::write(&file, &text[..cut]).unwrap();
            let (_, err, _) = otelgrep(&["summary", file.to_str().unwrap()]);
            assert!(err.contains(&format!("cut.txt:{line}: {named} cut short")), "{path} at {cut}: {err}");
        }
    }
}
