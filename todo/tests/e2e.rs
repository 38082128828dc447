//! End to end: the real binary on a free loopback port, driven by `todo traffic`, stopped with
//! SIGINT; then what it printed on stdout is checked against the driver's own record.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use common::capture::{self, Span};
use common::{App, TempDir, rows, traffic};

const REQUESTS: usize = 300;

/// Which HTTP attribute names a capture should carry.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Old,
    Stable,
    Dup,
}

fn status_of(span: &Span, mode: Mode) -> i64 {
    let old = span.int("http.status_code");
    let new = span.int("http.response.status_code");
    match mode {
        Mode::Old => {
            assert!(new.is_none(), "stable name in old mode: {span:?}");
            old.expect("http.status_code")
        }
        Mode::Stable => {
            assert!(old.is_none(), "old name in stable mode: {span:?}");
            new.expect("http.response.status_code")
        }
        Mode::Dup => {
            assert_eq!(old, new, "dup mode disagrees with itself: {span:?}");
            old.expect("http.status_code")
        }
    }
}

/// The request target as the server saw it, rebuilt from whichever names the mode has.
fn target_of(span: &Span, mode: Mode) -> String {
    match mode {
        Mode::Old | Mode::Dup => span.str("http.target").expect("http.target").to_string(),
        Mode::Stable => {
            let path = span.str("url.path").expect("url.path");
            match span.str("url.query") {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            }
        }
    }
}

fn run(mode: Mode, opt_in: Option<&str>, seed: u64) {
    let dir = TempDir::new("e2e");
    let mut env = vec![("OTEL_METRIC_EXPORT_INTERVAL", "1000"), ("OTEL_BSP_SCHEDULE_DELAY", "250")];
    if let Some(v) = opt_in {
        env.push(("OTEL_SEMCONV_STABILITY_OPT_IN", v));
    }
    let app = App::start(&dir.path("tasks.db"), &env);
    let tsv = traffic(&app.url(), REQUESTS, 6, seed, &dir.path("requests.tsv"));
    let out = app.stop("INT");
    assert!(out.status.success(), "todo exited with {:?}; stderr:\n{}", out.status, out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    let sent = rows(&tsv);
    assert_eq!(sent.len(), REQUESTS);
    let blocks = capture::blocks(&out.stdout);
    capture::check_integrity(&blocks).unwrap();
    let spans = capture::spans(&blocks);
    let server: Vec<&Span> = spans.iter().filter(|s| s.kind == "Server").collect();

    // One SERVER span per request, with the same statuses and targets.
    assert_eq!(server.len(), sent.len());
    let mut want: BTreeMap<(String, String, i64), usize> = BTreeMap::new();
    for r in &sent {
        // The stable names drop an empty query (`url.query` is omitted when empty), so `/?`
        // cannot be told from `/` there; the old `http.target` keeps it.
        let target = match (mode, r.target.strip_suffix('?')) {
            (Mode::Stable, Some(bare)) => bare.to_string(),
            _ => r.target.clone(),
        };
        *want.entry((r.method.clone(), target, i64::from(r.status))).or_default() += 1;
    }
    let mut got: BTreeMap<(String, String, i64), usize> = BTreeMap::new();
    for s in &server {
        let method = s.str(if mode == Mode::Stable { "http.request.method" } else { "http.method" }).unwrap();
        *got.entry((method.to_string(), target_of(s, mode), status_of(s, mode))).or_default() += 1;
    }
    assert_eq!(got, want);

    // Names: METHOD route, or the method alone when nothing (or a 405) matched.
    for s in &server {
        let method = s.name.split(' ').next().unwrap();
        match s.str("http.route") {
            Some(route) => assert_eq!(s.name, format!("{method} {route}")),
            None => assert_eq!(s.name, method, "{s:?}"),
        }
        if status_of(s, mode) == 405 || status_of(s, mode) == 404 {
            assert!(s.str("http.route").is_none(), "{s:?}");
        }
    }

    // A 5xx is an error span with an exception event; nothing else is.
    for s in &server {
        let is_5xx = status_of(s, mode) >= 500;
        assert_eq!(s.status.starts_with("Error"), is_5xx, "{s:?}");
        assert_eq!(s.events.contains(&"exception".to_string()), is_5xx, "{s:?}");
        assert_eq!(s.str("error.type").is_some(), is_5xx && mode != Mode::Old, "{s:?}");
    }
    assert!(sent.iter().any(|r| r.status == 500), "the mix should include a 500");
    for s in server.iter().filter(|s| status_of(s, mode) == 500) {
        let step = spans.iter().find(|c| c.name == "deleting_task" && c.trace_id == s.trace_id);
        assert!(step.is_some_and(|c| c.status.starts_with("Error")), "the failing step is an error too: {step:?}");
    }

    // An incoming traceparent makes the span a child of the remote parent.
    let remote = sent.iter().filter(|r| r.note == "remote-parent-traceparent").count();
    assert_eq!(server.iter().filter(|s| s.parent.is_some()).count(), remote);

    // Children: every INTERNAL and CLIENT span of a request sits in a SERVER span's trace.
    let traces: BTreeSet<&str> = server.iter().map(|s| s.trace_id.as_str()).collect();
    for s in spans.iter().filter(|s| s.kind != "Server" && s.parent.is_some()) {
        assert!(traces.contains(s.trace_id.as_str()), "orphan {s:?}");
    }
    for name in ["querying_tasks", "adding_task", "deleting_task", "SELECT tasks", "INSERT tasks", "DELETE tasks"] {
        assert!(spans.iter().any(|s| s.name == name), "no {name} span");
    }
    let db = spans.iter().find(|s| s.name == "INSERT tasks").unwrap();
    assert_eq!(db.kind, "Client");
    assert_eq!(db.str("db.system.name"), Some("sqlite"));
    assert_eq!(db.str("db.query.text"), Some("INSERT INTO tasks (content) VALUES (?1)"));

    // Log records: the original's lines, one per event, inside the request's trace.
    let logs = capture::logs(&blocks);
    let count = |prefix: &str| logs.iter().filter(|l| l.body.contains(prefix)).count();
    let rows_with = |method: &str, target_prefix: &str, status: u16| {
        sent.iter().filter(|r| r.method == method && r.target.starts_with(target_prefix) && r.status == status).count()
    };
    assert_eq!(count("Added new task with description: "), rows_with("POST", "/add", 302));
    let deletes = sent.iter().filter(|r| r.note == "delete-existing" && r.status == 302).count();
    let missing = sent.iter().filter(|r| r.note == "delete-missing" && r.status == 302).count();
    assert_eq!(count("Deleted task with ID: "), deletes);
    assert_eq!(count("but it was not found"), missing);
    assert_eq!(count("Fetched "), rows_with("GET", "/", 200) + rows_with("HEAD", "/", 200));
    assert_eq!(logs.iter().filter(|l| l.severity == "ERROR").count(), rows_with("POST", "/delete/", 500));
    assert_eq!(logs.iter().filter(|l| l.severity == "WARN").count(), missing);
    for l in logs.iter().filter(|l| !l.body.contains("todo listening") && !l.body.contains("todo stopped")) {
        let trace = l.trace_id.as_deref().unwrap_or_else(|| panic!("log without trace id: {l:?}"));
        assert!(traces.contains(trace), "log outside any request: {l:?}");
    }
    assert_eq!(count("todo listening on http://127.0.0.1:"), 1);

    // The final metrics export (written after SIGINT) counts every request.
    let last = blocks.iter().rev().find(|b| b.kind == "Metrics").expect("no Metrics block");
    let histogram = if mode == Mode::Stable { "http.server.request.duration" } else { "http.server.duration" };
    assert_eq!(capture::histogram_count(last, histogram), Some(REQUESTS as u64));
    if mode == Mode::Dup {
        assert_eq!(capture::histogram_count(last, "http.server.request.duration"), Some(REQUESTS as u64));
    }
    assert_eq!(capture::counter_total(last, "todo_app_tasks_total"), Some(rows_with("POST", "/add", 302) as u64));
}

#[test]
fn old_semconv_capture_matches_the_requests_sent() {
    run(Mode::Old, None, 1);
}

#[test]
fn stable_semconv_capture_matches_the_requests_sent() {
    run(Mode::Stable, Some("http"), 2);
}

#[test]
fn dup_semconv_capture_matches_the_requests_sent() {
    run(Mode::Dup, Some("http/dup"), 3);
}

#[test]
fn tasks_survive_a_restart() {
    let dir = TempDir::new("persist");
    let db = dir.path("tasks.db");
    let env = [("OTEL_TRACES_EXPORTER", "none"), ("OTEL_METRICS_EXPORTER", "none"), ("OTEL_LOGS_EXPORTER", "none")];
    let app = App::start(&db, &env);
    let client = reqwest::blocking_client();
    let res = client.post(format!("{}/add", app.url())).form(&[("task", "survive me ✓")]).send().unwrap();
    assert_eq!(res.status(), 302);
    let out = app.stop("TERM");
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "", "exporters set to none must print nothing");

    let app = App::start(&db, &env);
    let page = client.get(app.url()).send().unwrap().text().unwrap();
    assert!(page.contains("<span class=\"task\">survive me ✓</span>"), "{page}");
    app.stop("INT");
}

#[test]
fn a_closed_stdout_ends_the_app_cleanly_with_one_line() {
    let dir = TempDir::new("epipe");
    let env = [("OTEL_BSP_SCHEDULE_DELAY", "100"), ("OTEL_BLRP_SCHEDULE_DELAY", "100")];
    let mut app = App::start_with(&dir.path("tasks.db"), &env, false);
    let client = reqwest::blocking_client();
    for _ in 0..5 {
        // The app may already be going down; only the outcome below matters.
        let _ = client.get(app.url()).send();
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = app.wait(Duration::from_secs(30));
    assert!(out.status.success(), "exit {:?}; stderr:\n{}", out.status, out.stderr);
    assert!(!out.stderr.contains("panicked") && !out.stderr.contains("backtrace"), "{}", out.stderr);
    let notes: Vec<&str> = out.stderr.lines().filter(|l| l.contains("stdout was closed")).collect();
    assert_eq!(notes.len(), 1, "{}", out.stderr);
}

#[test]
fn an_unknown_exporter_is_a_startup_error() {
    let out = Command::new(common::BIN).args(["--port", "0"]).env("OTEL_TRACES_EXPORTER", "zipkin").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "todo: OTEL_TRACES_EXPORTER=\"zipkin\": unknown exporter \"zipkin\" (expected console, otlp or none)\n"
    );
}

#[test]
fn the_misspelt_log_exporter_variable_is_named_in_a_warning() {
    let dir = TempDir::new("warn");
    let app = App::start(&dir.path("tasks.db"), &[("OTEL_LOG_EXPORTER", "console")]);
    let out = app.stop("INT");
    assert!(
        out.stderr.starts_with(
            "todo: warning: OTEL_LOG_EXPORTER=\"console\" is ignored: the variable is OTEL_LOGS_EXPORTER (with an S)\n"
        ),
        "{}",
        out.stderr
    );
}

mod reqwest {
    /// A tiny blocking HTTP client over the async one, so these tests need no runtime of their own.
    pub fn blocking_client() -> Client {
        Client(
            tokio::runtime::Runtime::new().unwrap(),
            ::reqwest::Client::builder().redirect(::reqwest::redirect::Policy::none()).build().unwrap(),
        )
    }
    pub struct Client(tokio::runtime::Runtime, ::reqwest::Client);
    pub struct Builder<'a>(&'a tokio::runtime::Runtime, ::reqwest::RequestBuilder);
    pub struct Response<'a>(&'a tokio::runtime::Runtime, ::reqwest::Response);
    impl Client {
        pub fn get(&self, url: String) -> Builder<'_> {
            Builder(&self.0, self.1.get(url))
        }
        pub fn post(&self, url: String) -> Builder<'_> {
            Builder(&self.0, self.1.post(url))
        }
    }
    impl<'a> Builder<'a> {
        pub fn form(self, f: &[(&str, &str)]) -> Self {
            Builder(self.0, self.1.form(f))
        }
        pub fn send(self) -> ::reqwest::Result<Response<'a>> {
            let rt = self.0;
            rt.block_on(self.1.send()).map(|r| Response(rt, r))
        }
    }
    impl Response<'_> {
        pub fn status(&self) -> u16 {
            self.1.status().as_u16()
        }
        pub fn text(self) -> ::reqwest::Result<String> {
            self.0.block_on(self.1.text())
        }
    }
}
