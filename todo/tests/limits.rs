//! The real binary against clients that misbehave, over raw TCP: slow and oversized request
//! heads, idle keep-alive connections, clients that pipeline and never read, more connections
//! than the cap, missing, repeated and foreign `Host` names and cross-site posts; and the
//! refusals as they appear in the telemetry.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{App, TempDir, capture};

const NO_TELEMETRY: [(&str, &str); 3] =
    [("OTEL_TRACES_EXPORTER", "none"), ("OTEL_METRICS_EXPORTER", "none"), ("OTEL_LOGS_EXPORTER", "none")];

/// Longer than any wait below: a read that blocks this long means the server kept the connection.
const PATIENCE: Duration = Duration::from_secs(20);

fn connect(app: &App) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// One HTTP/1.1 response: status, headers (names lowercased), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Reads one response whose length is given by Content-Length, leaving the connection open.
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).expect("reading a response head");
        assert!(n > 0, "connection closed before a response: {:?}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers.iter().find(|(k, _)| k == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).expect("reading a response body");
        assert!(n > 0, "connection closed inside a body");
        buf.extend_from_slice(&chunk[..n]);
    }
    Answer { status, headers, body: String::from_utf8(buf[head_end..head_end + length].to_vec()).unwrap() }
}

/// Sends `request` on a new connection and reads the answer.
fn exchange(app: &App, request: &str) -> Answer {
    let mut stream = connect(app);
    stream.write_all(request.as_bytes()).unwrap();
    read_answer(&mut stream)
}

/// Waits until the server closes `stream`; how long that took from `since`.
fn closed_after(stream: &mut TcpStream, since: Instant) -> Duration {
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return since.elapsed(),
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return since.elapsed(),
            Err(e) => panic!("the server kept the connection open for {:?}: {e}", since.elapsed()),
        }
    }
}

fn get(host: &str) -> String {
    format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

#[test]
fn slow_header_connections_are_closed_within_the_header_timeout() {
    let dir = TempDir::new("slow-header");
    let app = App::start_args(&dir.path("tasks.db"), &NO_TELEMETRY, &["--header-timeout", "1"]);
    let started = Instant::now();
    let mut streams: Vec<TcpStream> = (0..20).map(|_| connect(&app)).collect();
    // One header byte every 200 ms on each connection, as a slowloris client sends them.
    let writers: Vec<TcpStream> = streams.iter().map(|s| s.try_clone().unwrap()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let dribbling = {
        let (done, port) = (done.clone(), app.port);
        std::thread::spawn(move || {
            let head = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ");
            let bytes = head.bytes().chain(std::iter::repeat(b'a'));
            for byte in bytes {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                for mut w in &writers {
                    let _ = w.write_all(&[byte]);
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    for stream in &mut streams {
        let after = closed_after(stream, started);
        assert!(after >= Duration::from_millis(900), "closed after {after:?}, before the timeout");
        assert!(after < Duration::from_secs(5), "closed only after {after:?}; the header timeout is 1 s");
    }
    done.store(true, Ordering::Relaxed);
    dribbling.join().unwrap();
    // Meanwhile, and after, everyone else is served.
    assert_eq!(exchange(&app, &get(&format!("127.0.0.1:{}", app.port))).status, 200);
    app.stop("INT");
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let dir = TempDir::new("idle");
    let app = App::start_args(&dir.path("tasks.db"), &NO_TELEMETRY, &["--header-timeout", "1"]);
    let mut stream = connect(&app);
    let host = format!("127.0.0.1:{}", app.port);
    for _ in 0..2 {
        stream.write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes()).unwrap();
        assert_eq!(read_answer(&mut stream).status, 200);
    }
    // The server's clock starts when it sent the answer, a little before it was read here.
    let answered = Instant::now();
    let after = closed_after(&mut stream, answered);
    assert!(after >= Duration::from_millis(500), "closed after {after:?}, well before the timeout");
    assert!(after < Duration::from_secs(5), "an idle connection stayed open {after:?}");
    app.stop("INT");
}

#[test]
fn connections_past_the_cap_wait_until_one_closes() {
    let dir = TempDir::new("cap");
    let app =
        App::start_args(&dir.path("tasks.db"), &NO_TELEMETRY, &["--max-connections", "2", "--header-timeout", "1"]);
    let started = Instant::now();
    // Two clients that say nothing hold both slots until the header timeout closes them.
    let _silent: Vec<TcpStream> = (0..2).map(|_| connect(&app)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let answer = exchange(&app, &get(&format!("127.0.0.1:{}", app.port)));
    assert_eq!(answer.status, 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "served after {waited:?}, while two connections held both slots");
    assert!(waited < Duration::from_secs(10), "served only after {waited:?}");
    app.stop("INT");
}

/// Sets SO_RCVBUF, which also stops the kernel from growing the buffer (and the window) itself.
fn shrink_receive_buffer(stream: &TcpStream, bytes: libc::c_int) {
    use std::os::fd::AsRawFd;
    let size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: a valid socket, and a pointer to a c_int of the length given.
    let rc = unsafe {
        libc::setsockopt(stream.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, (&raw const bytes).cast(), size)
    };
    assert_eq!(rc, 0, "setsockopt SO_RCVBUF: {}", std::io::Error::last_os_error());
}

#[test]
fn a_client_that_pipelines_and_never_reads_loses_its_slot_after_the_header_timeout() {
    let dir = TempDir::new("no-reader");
    let app =
        App::start_args(&dir.path("tasks.db"), &NO_TELEMETRY, &["--header-timeout", "1", "--max-connections", "1"]);
    let host = format!("127.0.0.1:{}", app.port);
    // Thousands of requests in one write, and never a byte read: the server fills the socket
    // buffers with answers, then waits to write the next one, and reads no more request heads,
    // so the header timeout never starts. Only a limit on writing can free the slot.
    let mut hog = connect(&app);
    shrink_receive_buffer(&hog, 4096);
    let pipelined = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").repeat(20_000);
    let started = Instant::now();
    let sending = {
        let mut hog = hog.try_clone().unwrap();
        std::thread::spawn(move || hog.write_all(pipelined.as_bytes()))
    };
    std::thread::sleep(Duration::from_millis(300));
    // The only slot is the hog's: this one waits in the accept queue until the hog is cut off.
    let mut probe = connect(&app);
    probe.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    probe.write_all(get(&host).as_bytes()).unwrap();
    let mut first = [0u8; 12];
    let read = probe.read_exact(&mut first);
    let waited = started.elapsed();
    assert!(read.is_ok(), "no answer after {waited:?}: the client that never reads still holds the only slot");
    assert_eq!(&first, b"HTTP/1.1 200");
    assert!(waited < Duration::from_secs(10), "answered only after {waited:?}; the header timeout is 1 s");
    // And the hog's own connection is closed.
    closed_after(&mut hog, started);
    let _ = sending.join();
    app.stop("INT");
}

#[test]
fn a_request_head_over_64_kib_is_431() {
    let dir = TempDir::new("big-head");
    let app = App::start(&dir.path("tasks.db"), &NO_TELEMETRY);
    let mut stream = connect(&app);
    // Exactly the limit and never finished: the server reads it all, so it closes cleanly.
    let mut head = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Big: ", app.port).into_bytes();
    head.resize(64 * 1024, b'a');
    stream.write_all(&head).unwrap();
    assert_eq!(read_answer(&mut stream).status, 431);
    app.stop("INT");
}

#[test]
fn refusals_reach_no_handler_and_are_server_spans_with_their_status() {
    let dir = TempDir::new("refusals");
    let app = App::start(&dir.path("tasks.db"), &[("OTEL_BSP_SCHEDULE_DELAY", "100")]);
    let own = format!("127.0.0.1:{}", app.port);
    let post = |host: &str, extra: &str, form: &str| {
        format!(
            "POST /add HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
            form.len()
        )
    };
    // A page on another site posting the form; a DNS-rebinding page reading the list.
    let cross = exchange(&app, &post(&own, "Origin: http://evil.example\r\n", "task=pwned"));
    assert_eq!(cross.status, 403);
    assert_eq!(cross.body, r#"Cross-site request refused (Origin "http://evil.example" is not this site)"#);
    let rebound = exchange(&app, &get(&format!("evil.example:{}", app.port)));
    assert_eq!(rebound.status, 421);
    // The app's own page posting its form, as Chromium sends it.
    let origin = format!("Origin: http://{own}\r\nSec-Fetch-Site: same-origin\r\n");
    assert_eq!(exchange(&app, &post(&own, &origin, "task=mine")).status, 302);
    let page = exchange(&app, &get(&own));
    assert_eq!(page.status, 200);
    for answer in [&cross, &rebound, &page] {
        for name in ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"] {
            assert!(answer.header(name).is_some(), "no {name} on a {}", answer.status);
        }
    }
    assert!(page.body.contains("<span class=\"task\">mine</span>"));
    assert!(!page.body.contains("pwned"));

    let out = app.stop("INT");
    assert!(out.status.success(), "{}", out.stderr);
    let blocks = capture::blocks(&out.stdout);
    let spans = capture::spans(&blocks);
    let mut server: Vec<(String, i64)> = spans
        .iter()
        .filter(|s| s.kind == "Server")
        .map(|s| (s.str("http.method").unwrap().to_string(), s.int("http.status_code").unwrap()))
        .collect();
    server.sort();
    let want = [("GET", 200), ("GET", 421), ("POST", 302), ("POST", 403)];
    assert_eq!(server, want.map(|(m, s)| (m.to_string(), s)));
    // The refused ones reached no handler: one task stored, one log line for it.
    assert_eq!(spans.iter().filter(|s| s.name == "adding_task").count(), 1);
    let logs = capture::logs(&blocks);
    assert_eq!(logs.iter().filter(|l| l.severity == "WARN").count(), 2, "one warning per refusal: {logs:?}");
}

#[test]
fn allowed_hosts_come_from_the_flag_or_the_environment() {
    let dir = TempDir::new("allowed-hosts");
    let mut env = NO_TELEMETRY.to_vec();
    env.push(("TODO_ALLOWED_HOSTS", "todo.example.com,other.example:8080"));
    let app = App::start(&dir.path("tasks.db"), &env);
    assert_eq!(exchange(&app, &get("todo.example.com")).status, 200);
    assert_eq!(exchange(&app, &get("other.example:8080")).status, 200);
    assert_eq!(exchange(&app, &get("other.example")).status, 421);
    assert_eq!(exchange(&app, &get(&format!("localhost:{}", app.port))).status, 200);
    app.stop("INT");

    let app = App::start_args(&dir.path("tasks.db"), &NO_TELEMETRY, &["--allowed-host", "todo.lan"]);
    assert_eq!(exchange(&app, &get("todo.lan")).status, 200);
    assert_eq!(exchange(&app, &get("todo.example.com")).status, 421);
    app.stop("INT");

    let out = std::process::Command::new(common::BIN).args(["--port", "0", "--allowed-host", "a b"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(r#""a b" is not a host name or NAME:PORT"#), "{stderr}");
}

#[test]
fn an_http_1_1_request_needs_exactly_one_host_and_a_post_one_origin() {
    let dir = TempDir::new("one-host");
    let app = App::start(&dir.path("tasks.db"), &NO_TELEMETRY);
    let own = format!("127.0.0.1:{}", app.port);
    // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, and for any with two.
    let missing = exchange(&app, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body, "An HTTP/1.1 request needs a Host header");
    assert!(missing.header("content-security-policy").is_some(), "no security headers on the 400");
    for (first, second) in
        [(own.as_str(), "evil.example"), ("evil.example", own.as_str()), (own.as_str(), own.as_str())]
    {
        let twice = format!("GET / HTTP/1.1\r\nHost: {first}\r\nHost: {second}\r\nConnection: close\r\n\r\n");
        let answer = exchange(&app, &twice);
        assert_eq!(answer.status, 400, "Host: {first} then Host: {second}");
        assert_eq!(answer.body, "A request has one Host header, not 2");
    }
    // HTTP/1.0 needs no Host (no browser sends such a request), but two are still too many.
    assert_eq!(exchange(&app, "GET / HTTP/1.0\r\n\r\n").status, 200);
    assert_eq!(exchange(&app, &format!("GET / HTTP/1.0\r\nHost: {own}\r\nHost: {own}\r\n\r\n")).status, 400);

    // A second Origin or Sec-Fetch-Site is not ignored in favour of the first.
    let post = |extra: &str, task: &str| {
        let form = format!("task={task}");
        let length = form.len();
        format!(
            "POST /add HTTP/1.1\r\nHost: {own}\r\n{extra}Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {length}\r\nConnection: close\r\n\r\n{form}"
        )
    };
    let origins = format!("Origin: http://{own}\r\nOrigin: http://evil.example\r\n");
    let answer = exchange(&app, &post(&origins, "two-origins"));
    assert_eq!(answer.status, 403);
    assert_eq!(answer.body, "Cross-site request refused (2 Origin headers)");
    let sites = "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Site: cross-site\r\n";
    let answer = exchange(&app, &post(sites, "two-sites"));
    assert_eq!(answer.status, 403);
    assert_eq!(answer.body, "Cross-site request refused (2 Sec-Fetch-Site headers)");
    // One of each, as a browser sends them, still passes.
    let browser = format!("Origin: http://{own}\r\nSec-Fetch-Site: same-origin\r\n");
    assert_eq!(exchange(&app, &post(&browser, "mine")).status, 302);
    let page = exchange(&app, &get(&own));
    assert!(page.body.contains("<span class=\"task\">mine</span>"), "{}", page.body);
    assert!(!page.body.contains("two-"), "a refused post was stored: {}", page.body);
    app.stop("INT");
}

#[test]
fn an_empty_allowed_hosts_variable_or_item_is_skipped() {
    let dir = TempDir::new("allowed-hosts-empty");
    let mut env = NO_TELEMETRY.to_vec();
    env.push(("TODO_ALLOWED_HOSTS", ""));
    let app = App::start(&dir.path("tasks.db"), &env);
    assert_eq!(exchange(&app, &get(&format!("127.0.0.1:{}", app.port))).status, 200);
    assert_eq!(exchange(&app, &get("todo.example.com")).status, 421);
    app.stop("INT");

    env.pop();
    env.push(("TODO_ALLOWED_HOSTS", " todo.example.com, ,other.example:8080,"));
    let app = App::start(&dir.path("tasks.db"), &env);
    assert_eq!(exchange(&app, &get("todo.example.com")).status, 200);
    assert_eq!(exchange(&app, &get("other.example:8080")).status, 200);
    assert_eq!(exchange(&app, &get("other.example")).status, 421);
    app.stop("INT");
}
