//! Shared harness for the tests that run the real `todo` binary: start it on a free loopback
//! port with a private database, capture its stdout and stderr, drive it, stop it with a signal.

#![allow(dead_code)] // each test binary uses its own subset

pub mod capture;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_todo");

/// A private temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("todo-test-{name}-{}-{}", std::process::id(), nanos()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// A running `todo` server.
pub struct App {
    pub child: Child,
    pub port: u16,
    stdout: Option<JoinHandle<Vec<u8>>>,
    stderr: Arc<Mutex<String>>,
    stderr_thread: Option<JoinHandle<()>>,
}

/// Where a started server's stdout goes.
enum Out {
    /// A pipe read to its end by the harness.
    Captured,
    /// A pipe whose read end is closed at once.
    Closed,
    /// A pipe the test reads, shared with other processes.
    Shared(std::io::PipeWriter),
}

/// What a stopped server left behind.
pub struct Stopped {
    pub stdout: String,
    pub stderr: String,
    pub status: ExitStatus,
}

impl App {
    /// Starts `todo --port 0 --db DB` with `env` added to the environment (OTEL_* cleared first),
    /// and waits for its "listening" line on stderr.
    pub fn start(db: &Path, env: &[(&str, &str)]) -> App {
        App::start_with(db, env, true)
    }

    /// With `capture_stdout` false, stdout is a pipe whose read end is closed at once, as when
    /// the `tee` behind `todo | tee` was killed.
    pub fn start_with(db: &Path, env: &[(&str, &str)], capture_stdout: bool) -> App {
        App::start_on(db, env, &[], if capture_stdout { Out::Captured } else { Out::Closed })
    }

    /// Starts one of several processes writing to one pipe (`out`), as workers behind one `tee`.
    pub fn start_sharing(db: &Path, env: &[(&str, &str)], out: std::io::PipeWriter) -> App {
        App::start_on(db, env, &[], Out::Shared(out))
    }

    /// As [`App::start`], with more command-line flags (`--header-timeout 1`).
    pub fn start_args(db: &Path, env: &[(&str, &str)], args: &[&str]) -> App {
        App::start_on(db, env, args, Out::Captured)
    }

    fn start_on(db: &Path, env: &[(&str, &str)], args: &[&str], out: Out) -> App {
        let mut cmd = Command::new(BIN);
        cmd.args(["--port", "0", "--host", "127.0.0.1", "--db"]).arg(db).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("NO_COLOR", "1").env_remove("RUST_LOG").env_remove("TODO_ALLOWED_HOSTS");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let capture_stdout = matches!(out, Out::Captured);
        let stdout = match out {
            Out::Shared(w) => Stdio::from(w),
            _ => Stdio::piped(),
        };
        let mut child = cmd.stdout(stdout).stderr(Stdio::piped()).spawn().expect("starting todo");
        let stdout = child.stdout.take().filter(|_| capture_stdout).map(|mut out| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = out.read_to_end(&mut buf);
                buf
            })
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        let stderr_thread = std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let port = rest.split(|c: char| !c.is_ascii_digit() && c != ':' && c != '.').next().unwrap();
                    let port: u16 = port.rsplit(':').next().unwrap().parse().unwrap();
                    let _ = tx.send(port);
                }
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(p) => p,
            Err(_) => {
                let _ = child.kill();
                panic!("todo did not start; stderr:\n{}", stderr.lock().unwrap());
            }
        };
        App { child, port, stdout, stderr, stderr_thread: Some(stderr_thread) }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn stderr_so_far(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `signal` (e.g. "INT") and waits for the process to end.
    pub fn stop(mut self, signal: &str) -> Stopped {
        let ok = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(ok.success(), "kill -{signal} failed");
        self.wait(Duration::from_secs(60))
    }

    /// Waits for the process to end by itself.
    pub fn wait(&mut self, limit: Duration) -> Stopped {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("todo did not exit within {limit:?}; stderr:\n{}", self.stderr_so_far());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = self.stdout.take().map(|t| t.join().unwrap()).unwrap_or_default();
        if let Some(t) = self.stderr_thread.take() {
            t.join().unwrap();
        }
        Stopped { stdout: String::from_utf8(stdout).expect("stdout is UTF-8"), stderr: self.stderr_so_far(), status }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Runs `todo traffic` against `url`; returns the recorded TSV.
pub fn traffic(url: &str, requests: usize, concurrency: usize, seed: u64, record: &Path) -> String {
    let mut child = Command::new(BIN)
        .args(["traffic", "--url", url, "--requests", &requests.to_string()])
        .args(["--concurrency", &concurrency.to_string(), "--seed", &seed.to_string(), "--record"])
        .arg(record)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running todo traffic");
    // A hung driver must fail the test, not stall the whole run.
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("todo traffic did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "todo traffic failed: {err}");
    std::fs::read_to_string(record).unwrap()
}

/// One row of a `.requests.tsv`.
#[derive(Debug, Clone)]
pub struct Row {
    pub method: String,
    pub target: String,
    pub status: u16,
    pub note: String,
}

pub fn rows(tsv: &str) -> Vec<Row> {
    let mut lines = tsv.lines();
    assert_eq!(lines.next(), Some("client_start_utc\tmethod\ttarget\tstatus\tclient_ms\tnote"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "bad row {l:?}");
            Row { method: f[1].into(), target: f[2].into(), status: f[3].parse().unwrap(), note: f[5].into() }
        })
        .collect()
}
