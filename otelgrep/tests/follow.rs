//! `--follow`, end to end: the real binary follows a file a writer appends to in random pieces
//! (cutting records and lines anywhere, with pauses). Every answer printed during a pause equals
//! the command without `--follow` on what was written, up to the last record complete then; the
//! answer printed on Ctrl+C equals the command on the whole file. `spans` and `logs` print rows
//! as they come: the rows so far equal the command's rows on the same prefix. Then the ways a
//! file changes under `tail -F` (created late, truncated, rotated) and standard input closing.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Scratch, cri, docker_json, otelgrep};

/// Long enough for a refresh (100 ms), a poll of the file (250 ms) and a record to settle
/// (100 ms), with room for a loaded machine.
const PAUSE: Duration = Duration::from_millis(1200);

/// The commands followed, each with a data format whose blocks hold no blank line; whether it
/// prints new rows rather than whole answers.
const COMMANDS: [(&[&str], bool); 6] = [
    (&["summary", "--format", "json"], false),
    (&["urls", "--format", "csv"], false),
    (&["latency", "--by", "url", "--format", "csv"], false),
    (&["metrics", "--format", "csv"], false),
    (&["spans", "--format", "csv"], true),
    (&["logs", "--format", "csv"], true),
];

/// A child process whose standard output is collected as it comes.
struct Followed {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Followed {
    fn start(args: &[&str], stdin: Stdio) -> Followed {
        let mut child = Command::new(env!("CARGO_BIN_EXE_otelgrep"))
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut stdout = child.stdout.take().unwrap();
        let sink = Arc::clone(&out);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Followed { child, out, reader: Some(reader) }
    }

    fn len(&self) -> usize {
        self.out.lock().unwrap().len()
    }

    /// Ctrl+C, then everything it printed, its stderr and exit code.
    fn interrupt(mut self) -> (String, String, i32) {
        let status = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        self.finish()
    }

    fn finish(&mut self) -> (String, String, i32) {
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let code = self.child.wait().unwrap().code().unwrap_or(-1);
        self.reader.take().unwrap().join().unwrap();
        let out = String::from_utf8(self.out.lock().unwrap().clone()).unwrap();
        (out, err, code)
    }
}

impl Drop for Followed {
    /// A test that failed leaves no follower running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The longest prefix of `bytes` ending at a line break that reads without a bad record: what a
/// follower has complete when `bytes` were written. A record cut short is reported at the line it
/// opens on, so the prefix before that line is tried next.
fn complete_prefix(bytes: &[u8]) -> &[u8] {
    let mut end = memchr::memrchr(b'\n', bytes).map_or(0, |n| n + 1);
    loop {
        let parsed = otelgrep::parse::parse("prefix", &bytes[..end]).unwrap();
        let Some(first) = parsed.errors.first() else { return &bytes[..end] };
        let line = first.line as usize;
        let start = bytes[..end].split_inclusive(|b| *b == b'\n').take(line.saturating_sub(1)).map(<[u8]>::len).sum();
        assert!(start < end, "no clean prefix before {end}");
        end = start;
    }
}

/// The command without `--follow` on `bytes`, named as the followed file is.
fn answer(args: &[&str], bytes: &[u8], scratch: &Scratch, followed: &str) -> String {
    let path = scratch.0.join("prefix.log");
    std::fs::write(&path, bytes).unwrap();
    let path = path.to_str().unwrap();
    let mut all = args.to_vec();
    all.push(path);
    let (out, err, code) = otelgrep(&all);
    assert!(code == 0 || bytes.is_empty(), "{all:?}: {err}");
    out.replace(path, followed)
}

/// The blocks printed, parted by blank lines.
fn blocks(out: &str) -> Vec<&str> {
    // A slice may start with the blank line that parts its first block from the one before.
    out.split_inclusive("\n\n")
        .map(|b| b.trim_start_matches('\n'))
        .map(|b| b.strip_suffix('\n').filter(|b| b.ends_with('\n')).unwrap_or(b))
        .filter(|b| !b.is_empty())
        .collect()
}

/// A CSV listing's rows, sorted (rows arrive in batches, each in time order).
fn rows(csv: &str) -> Vec<String> {
    let mut rows: Vec<String> = csv.lines().skip(1).map(str::to_string).collect();
    rows.sort();
    rows
}

/// The same rows, in any order; the difference shown when not.
fn same_rows(got: &str, want: &str, at: &str) {
    let (got, want) = (rows(got), rows(want));
    if got != want {
        let extra: Vec<_> = got.iter().filter(|r| !want.contains(r)).take(5).collect();
        let missing: Vec<_> = want.iter().filter(|r| !got.contains(r)).take(5).collect();
        panic!("{at}: {} rows, {} wanted; not wanted: {extra:#?}; missing: {missing:#?}", got.len(), want.len());
    }
}

/// A small deterministic random sequence (xorshift), so a failing cut can be found again.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Appends `sample` to a file in `pieces` random pieces while every command follows it.
fn follow_in_pieces(sample: &Path, pieces: usize, seed: u64) {
    follow_bytes(sample, std::fs::read(sample).unwrap(), pieces, seed, true);
}

/// As [`follow_in_pieces`], for bytes made here (`sample` names them). Without `exact`, the
/// answers printed during pauses are not compared with the prefix's: a wrapped capture's sources
/// are read apart, so one source's complete records count while another's record before them is
/// still being written (the command on the prefix stops at that record), and `wrappers` counts
/// every whole line read.
fn follow_bytes(sample: &Path, bytes: Vec<u8>, pieces: usize, seed: u64, exact: bool) {
    let mut random = Random(seed);
    let mut cuts: Vec<usize> = (0..pieces - 1).map(|_| random.below(bytes.len())).collect();
    cuts.sort();
    follow_at(sample, bytes, cuts, seed, exact);
}

/// As [`follow_bytes`], paused at `cuts` (sorted).
fn follow_at(sample: &Path, bytes: Vec<u8>, mut cuts: Vec<usize>, seed: u64, exact: bool) {
    let scratch = Scratch::new(&format!("follow-{seed}"));
    let file = scratch.0.join("app.log");
    std::fs::write(&file, b"").unwrap();
    let name = file.to_str().unwrap().to_string();
    let mut followers: Vec<Followed> = COMMANDS
        .iter()
        .map(|(args, _)| {
            let mut all = args.to_vec();
            all.extend(["-f", "--refresh", "100ms", &name]);
            Followed::start(&all, Stdio::null())
        })
        .collect();
    cuts.push(bytes.len());
    let mut written = 0;
    let mut marks: Vec<Vec<usize>> = vec![Vec::new(); followers.len()];
    for &cut in &cuts {
        let mut f = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
        // Written in two parts a moment apart, the first ending inside a line.
        let middle = written + (cut - written) / 2;
        f.write_all(&bytes[written..middle]).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        f.write_all(&bytes[middle..cut]).unwrap();
        written = cut;
        std::thread::sleep(PAUSE);
        for (m, f) in marks.iter_mut().zip(&followers) {
            m.push(f.len());
        }
    }
    let at = |cut: usize| format!("{} cut at {cut} of {} (seed {seed})", sample.display(), bytes.len());
    for (((args, appends), follower), marks) in COMMANDS.iter().zip(followers.drain(..)).zip(marks) {
        let (out, err, code) = follower.interrupt();
        assert_eq!(code, 0, "{args:?} on {}: {err}", at(bytes.len()));
        let whole = answer(args, &bytes, &scratch, &name);
        if *appends {
            for (&cut, &mark) in cuts.iter().zip(&marks) {
                let at = format!("{args:?} on {}", at(cut));
                if !exact
                    || args[0] == "logs"
                    || sample.to_string_lossy().contains("rust")
                    || sample.to_string_lossy().contains("todo")
                {
                    // A log record waits for its request (shown with it), a Rust block for the
                    // next header (its last span may still grow): what was printed is final
                    // rows, never a row without the request or attributes it will have.
                    let mut left = rows(&whole);
                    for row in rows(&out[..mark]) {
                        let i = left.iter().position(|r| *r == row);
                        assert!(i.is_some(), "{at}: {row} printed, not in the final answer");
                        left.remove(i.unwrap());
                    }
                } else {
                    let want = answer(args, complete_prefix(&bytes[..cut]), &scratch, &name);
                    same_rows(&out[..mark], &want, &at);
                }
            }
            same_rows(&out, &whole, &format!("{args:?}, final, on {}", at(bytes.len())));
            assert_eq!(out.lines().next(), whole.lines().next(), "{args:?}: the header, once");
            continue;
        }
        // The last answer printed by each pause is the answer for what was complete then.
        let mut last = String::new();
        for (&cut, &mark) in cuts.iter().zip(&marks).filter(|_| exact) {
            let want = answer(args, complete_prefix(&bytes[..cut]), &scratch, &name);
            if let Some(shown) = blocks(&out[..mark]).last() {
                last = shown.to_string();
            }
            assert_eq!(last, want, "{args:?} on {}", at(cut));
        }
        let end = marks.last().copied().unwrap_or(0);
        let final_block = blocks(&out[end..]).last().map(|b| b.to_string()).unwrap_or_default();
        assert_eq!(final_block, whole, "{args:?}, the final answer, on {}", at(bytes.len()));
    }
}

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples").join(rel)
}

#[test]
fn python_captures_followed_in_pieces() {
    follow_in_pieces(&shared("python-flask/flask-default.log"), 3, 11);
    follow_in_pieces(&shared("python-flask/flask-merged-stderr.log"), 3, 12);
}

#[test]
fn rust_captures_followed_in_pieces() {
    follow_in_pieces(&shared("rust-stdout/rust-stdout.log"), 3, 21);
    follow_in_pieces(&shared("rust-stdout/rust-stdout-interleaved.log"), 3, 22);
    // The todo app's own end-to-end capture.
    follow_in_pieces(&common::sample("todo/todo-default.log"), 3, 23);
}

#[test]
fn node_and_otlp_captures_followed_in_pieces() {
    for (i, rel) in [
        "node-console/sdk-node-0.223_interleaved-app-logs.txt",
        "node-console/sdk-node-0.223_trace-base-2.12.1.txt",
        "node-console/sdk-node-0.57.2_trace-base-1.30.1.txt",
        "otlp-json/js-otlp-http-json_logs.jsonl",
        "otlp-json/js-otlp-http-json_metrics.jsonl",
        "otlp-json/js-otlp-http-json_traces.jsonl",
    ]
    .iter()
    .enumerate()
    {
        follow_in_pieces(&shared(rel), 2, 31 + i as u64);
    }
}

/// A Collector capture paused where a tree's header lines are written and its records not yet:
/// the tree is not taken as read without them (its log records were lost, and its `Metric #1`
/// read as a Rust record cut short: a new-user check's findings).
#[test]
fn collector_trees_paused_before_their_records() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collector-debug-detailed.log");
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let cuts = ["LogRecord #0", "Metric #1"].iter().map(|m| text.find(m).unwrap()).collect();
    follow_at(&path, bytes, cuts, 41, true);
}

/// A Python capture in two parts, cut between two records.
fn two_parts() -> (Vec<u8>, Vec<u8>) {
    let bytes = std::fs::read(shared("python-flask/flask-default.log")).unwrap();
    let middle = bytes.len() / 2;
    let cut = middle + memchr::memmem::find(&bytes[middle..], b"\n{\n").unwrap() + 1;
    (bytes[..cut].to_vec(), bytes[cut..].to_vec())
}

const URLS: [&str; 3] = ["urls", "--format", "csv"];

fn follow_urls(path: &str) -> Followed {
    let mut args = URLS.to_vec();
    args.extend(["-f", "--refresh", "100ms", path]);
    Followed::start(&args, Stdio::null())
}

#[test]
fn a_file_that_does_not_exist_yet_is_waited_for() {
    let (first, _) = two_parts();
    let scratch = Scratch::new("follow-late");
    let path = scratch.0.join("later.log");
    let name = path.to_str().unwrap();
    let follower = follow_urls(name);
    std::thread::sleep(PAUSE);
    std::fs::write(&path, &first).unwrap();
    std::thread::sleep(PAUSE);
    let (out, err, code) = follower.interrupt();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("{name} does not exist yet: waiting for it")), "{err}");
    assert!(err.contains(&format!("{name} appeared: following it")), "{err}");
    assert_eq!(blocks(&out).last().copied(), Some(answer(&URLS, &first, &scratch, name).as_str()));
}

#[test]
fn a_file_truncated_in_place_is_read_again_from_its_start() {
    let (first, second) = two_parts();
    let scratch = Scratch::new("follow-truncated");
    let name = scratch.file("app.log", "");
    std::fs::write(&name, &first).unwrap();
    let follower = follow_urls(&name);
    std::thread::sleep(PAUSE);
    // `> app.log`, then the app writes on: what was read before is kept, the rest is added.
    std::fs::write(&name, &second).unwrap();
    std::thread::sleep(PAUSE);
    let (out, err, code) = follower.interrupt();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("{name} was truncated: reading it again from its start")), "{err}");
    let both = [first, second].concat();
    assert_eq!(blocks(&out).last().copied(), Some(answer(&URLS, &both, &scratch, &name).as_str()));
}

#[test]
fn a_rotated_file_is_read_to_its_end_then_the_new_one_is_followed() {
    let (first, second) = two_parts();
    let (a, b) = first.split_at(first.len() / 3);
    let scratch = Scratch::new("follow-rotated");
    let name = scratch.file("app.log", "");
    std::fs::write(&name, a).unwrap();
    let follower = follow_urls(&name);
    std::thread::sleep(PAUSE);
    // The writer finishes its record in the old file after it was renamed (as logrotate's
    // `create` leaves it), then writes to the new one.
    let rotated = format!("{name}.1");
    std::fs::rename(&name, &rotated).unwrap();
    let mut old = std::fs::OpenOptions::new().append(true).open(&rotated).unwrap();
    old.write_all(b).unwrap();
    drop(old);
    std::fs::write(&name, &second).unwrap();
    std::thread::sleep(PAUSE);
    let (out, err, code) = follower.interrupt();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("{name} is a new file (rotated): reading it from its start")), "{err}");
    let all = [first.clone(), second].concat();
    assert_eq!(blocks(&out).last().copied(), Some(answer(&URLS, &all, &scratch, &name).as_str()));
}

#[test]
fn standard_input_is_followed_until_it_closes() {
    let (first, second) = two_parts();
    let scratch = Scratch::new("follow-stdin");
    let mut args = URLS.to_vec();
    args.extend(["-f", "--refresh", "100ms", "-"]);
    let mut follower = Followed::start(&args, Stdio::piped());
    let mut stdin = follower.child.stdin.take().unwrap();
    stdin.write_all(&first).unwrap();
    std::thread::sleep(PAUSE);
    let shown = follower.len();
    stdin.write_all(&second).unwrap();
    drop(stdin);
    // No Ctrl+C: the end of standard input ends it.
    let (out, err, code) = follower.finish();
    assert_eq!(code, 0, "{err}");
    // The first part may come in several reads, each shown: the last before the second part is
    // the first part's answer.
    assert!(shown > 0, "the first part was shown before the second came");
    let before = blocks(&out[..shown]).last().map(|b| b.to_string());
    assert_eq!(before.as_deref(), Some(answer(&URLS, &first, &scratch, "<stdin>").as_str()));
    let all = [first, second].concat();
    assert_eq!(blocks(&out).last().copied(), Some(answer(&URLS, &all, &scratch, "<stdin>").as_str()));
}

/// On a terminal (a pty, by `script`), the answer is redrawn in place under a status line, and
/// Ctrl+C (typed: the terminal sends SIGINT) leaves the final answer alone on the screen.
#[test]
fn a_terminal_is_redrawn_in_place_and_ctrl_c_leaves_the_final_answer() {
    let (first, second) = two_parts();
    let scratch = Scratch::new("follow-pty");
    let name = scratch.file("app.log", "");
    std::fs::write(&name, &first).unwrap();
    // `exec`: the typed Ctrl+C goes to the foreground process group, and a shell left waiting
    // in it (dash, CI's `/bin/sh`) would die of it and exit 130 whatever otelgrep does.
    let command = format!(
        "stty rows 50 cols 200; NO_COLOR=1 exec {} urls --top 3 -f --refresh 200ms {name}",
        env!("CARGO_BIN_EXE_otelgrep")
    );
    let mut script = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs a command under a pty");
    let mut keys = script.stdin.take().unwrap();
    std::thread::sleep(PAUSE);
    std::fs::OpenOptions::new().append(true).open(&name).unwrap().write_all(&second).unwrap();
    std::thread::sleep(PAUSE);
    keys.write_all(b"\x03").unwrap();
    keys.flush().unwrap();
    std::thread::sleep(PAUSE);
    drop(keys);
    let out = script.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(screen.matches("otelgrep: following, every 200ms; last record ").count() >= 2, "{screen}");
    assert!(screen.contains("\x1b[K"), "lines are cleared to their end: {screen}");
    assert!(regex::Regex::new(r"\r\x1b\[\d+A").unwrap().is_match(&screen), "the cursor goes back up: {screen}");
    let final_answer = &screen[screen.rfind("\x1b[J").unwrap()..];
    assert!(!final_answer.contains("following"), "{final_answer}");
    let all = [first, second].concat();
    let (whole, _, _) = otelgrep(&["urls", "--top", "3", &scratch.file("all.log", &String::from_utf8(all).unwrap())]);
    let rows: Vec<&str> = whole.lines().filter(|l| l.contains("http://")).collect();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert!(final_answer.replace("\r\n", "\n").contains(row), "{row} in {final_answer}");
    }
}

/// `latency --every` into a pipe: each bucket's rows once, when records 5 s (`--grace`) past its
/// end have come; together they are the table of the whole file.
#[test]
fn time_buckets_are_printed_once_each_when_closed() {
    let bytes = std::fs::read(shared("python-flask/flask-default.log")).unwrap();
    let scratch = Scratch::new("follow-every");
    let name = scratch.file("app.log", "");
    let args = ["latency", "--by", "route", "--every", "10s", "--format", "csv"];
    let mut all = args.to_vec();
    all.extend(["-f", "--refresh", "100ms", &name]);
    let follower = Followed::start(&all, Stdio::null());
    let mut marks = Vec::new();
    for part in bytes.chunks(bytes.len() / 3 + 1) {
        std::fs::OpenOptions::new().append(true).open(&name).unwrap().write_all(part).unwrap();
        std::thread::sleep(PAUSE);
        marks.push(follower.len());
    }
    let (out, err, code) = follower.interrupt();
    assert_eq!(code, 0, "{err}");
    let whole = answer(&args, &bytes, &scratch, &name);
    assert_eq!(out.lines().next(), whole.lines().next(), "the header, once");
    same_rows(&out, &whole, "every bucket, once");
    // Before the end, only closed buckets: the last bucket of the file is never among them.
    let last_bucket = whole.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().to_string()).max().unwrap();
    let before_end = &out[..*marks.last().unwrap()];
    assert!(before_end.lines().skip(1).count() > 0, "buckets printed while following: {before_end}");
    assert!(!before_end.contains(&last_bucket), "{last_bucket} printed before it closed: {before_end}");
}

/// The demo's Collector capture (spans of one trace exported over minutes, log records before
/// the spans of their requests), in two parts through a pipe.
fn demo_in_two_parts(args: &[&str], lines: usize, pause: Duration) -> (String, String, i32, Vec<u8>) {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl"),
    )
    .unwrap();
    let cut = bytes.split_inclusive(|b| *b == b'\n').take(lines).map(<[u8]>::len).sum();
    let mut all = args.to_vec();
    all.extend(["-f", "--refresh", "100ms", "-"]);
    let mut follower = Followed::start(&all, Stdio::piped());
    let mut stdin = follower.child.stdin.take().unwrap();
    stdin.write_all(&bytes[..cut]).unwrap();
    std::thread::sleep(pause);
    stdin.write_all(&bytes[cut..]).unwrap();
    drop(stdin);
    let (out, err, code) = follower.finish();
    (out, err, code, bytes)
}

/// A log record is printed with its request once the request's span has come, however long
/// after (within --grace of waiting): every row is the final answer's.
#[test]
fn log_records_wait_for_their_requests() {
    let args = ["logs", "--format", "csv"];
    let (out, err, code, bytes) = demo_in_two_parts(&args, 39, Duration::from_secs(2));
    assert_eq!(code, 0, "{err}");
    let scratch = Scratch::new("follow-logs-wait");
    same_rows(&out, &answer(&args, &bytes, &scratch, "<stdin>"), "logs waiting for their requests");
}

/// A request exported more than --grace after its bucket closed is not in the row printed for
/// that bucket, and stderr says so.
#[test]
fn requests_later_than_the_grace_are_said() {
    let args = ["latency", "--by", "route,status", "--every", "10s", "--format", "csv"];
    let (_, err, code, _) = demo_in_two_parts(&args, 60, PAUSE);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("request(s) came more than --grace after the end of their --every bucket"), "{err}");
}

/// A Docker Compose capture in a file that does not exist when following starts: its wrappers
/// are known from its first lines, whenever they come.
#[test]
fn a_wrapped_capture_created_late_is_unwrapped() {
    let (first, _) = two_parts();
    let wrapped: String =
        String::from_utf8(first.clone()).unwrap().lines().map(|l| format!("app-1  | {l}\n")).collect();
    let scratch = Scratch::new("follow-wrapped-late");
    let path = scratch.0.join("compose.log");
    let name = path.to_str().unwrap();
    let follower = follow_urls(name);
    std::thread::sleep(PAUSE);
    std::fs::write(&path, &wrapped).unwrap();
    std::thread::sleep(PAUSE);
    let (out, err, code) = follower.interrupt();
    assert_eq!(code, 0, "{err}");
    let whole = answer(&URLS, wrapped.as_bytes(), &scratch, name);
    assert_eq!(blocks(&out).last().copied(), Some(whole.as_str()));
    assert_eq!(whole, answer(&URLS, &first, &scratch, name), "the same requests as unwrapped");
}

/// Docker Compose captures followed as they grow: one service, and two whose lines interleave
/// (a Python one and a Rust one), each source's lines read as a text of their own.
#[test]
fn wrapped_captures_followed_in_pieces() {
    let python = std::fs::read_to_string(shared("python-flask/flask-default.log")).unwrap();
    let rust = std::fs::read_to_string(shared("rust-stdout/rust-stdout.log")).unwrap();
    let one: String = python.lines().map(|l| format!("web-1  | {l}\n")).collect();
    follow_bytes(Path::new("compose web-1 (flask-default.log)"), one.into_bytes(), 3, 41, false);
    let mut two = String::new();
    let (mut p, mut r) = (python.lines(), rust.lines());
    loop {
        let (a, b) = (p.next(), r.next());
        if a.is_none() && b.is_none() {
            break;
        }
        if let Some(l) = a {
            two.push_str(&format!("web-1     | {l}\n"));
        }
        if let Some(l) = b {
            two.push_str(&format!("worker-1  | {l}\n"));
        }
    }
    follow_bytes(Path::new("compose web-1 and worker-1"), two.into_bytes(), 3, 42, false);
}

/// Lines written in parts (the container runtime's `P` parts, Docker json-file's parts of a
/// long line) followed as they grow: a line whose parts arrive on both sides of a read waits for
/// its last part (it was read as a line of its own: records lost, reported as damaged).
#[test]
fn lines_in_parts_followed_in_pieces() {
    let otlp: String = ["traces", "logs", "metrics"]
        .iter()
        .map(|s| std::fs::read_to_string(shared(&format!("otlp-json/js-otlp-http-json_{s}.jsonl"))).unwrap())
        .collect();
    follow_bytes(Path::new("CRI parts of 300 bytes"), cri(&otlp, 300), 6, 43, false);
    follow_bytes(Path::new("docker json-file parts of 300 bytes"), docker_json(&otlp, 300), 6, 44, false);
}

/// `docker compose up | otelgrep -f -`: Compose writes a line of its own, pauses, then the
/// wrapped lines; the wrappers are recognised once they come.
#[test]
fn wrappers_that_show_after_a_first_line_of_their_own() {
    let (first, _) = two_parts();
    let wrapped: String = String::from_utf8(first).unwrap().lines().map(|l| format!("app-1  | {l}\n")).collect();
    let scratch = Scratch::new("follow-attaching");
    let mut args = URLS.to_vec();
    args.extend(["-f", "--refresh", "100ms", "-"]);
    let mut follower = Followed::start(&args, Stdio::piped());
    let mut stdin = follower.child.stdin.take().unwrap();
    stdin.write_all(b"Attaching to app-1\n").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(PAUSE);
    stdin.write_all(wrapped.as_bytes()).unwrap();
    drop(stdin);
    let (out, err, code) = follower.finish();
    assert_eq!(code, 0, "{err}");
    let all = format!("Attaching to app-1\n{wrapped}");
    assert_eq!(blocks(&out).last().copied(), Some(answer(&URLS, all.as_bytes(), &scratch, "<stdin>").as_str()));
}
