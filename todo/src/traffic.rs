//! `todo traffic`: drives a running app with a realistic mixed workload and records every request.
//!
//! The plan (which actions, in which order) is a pure function of `--seed` and `--requests`; the
//! execution is concurrent, so ids and interleavings vary between runs. `--record` writes one TSV
//! row per HTTP request actually sent, redirect follow-ups included: the ground truth that
//! otelgrep's counts are tested against. `--requests` counts HTTP requests, not actions.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{SecondsFormat, Utc};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};

/// Flags of `todo traffic`.
#[derive(Debug, Clone, Args)]
pub struct TrafficArgs {
    /// Base URL of the running app.
    #[arg(long, default_value = "http://127.0.0.1:5000")]
    pub url: String,
    /// HTTP requests to send in all (redirect follow-ups count).
    #[arg(short = 'n', long, default_value_t = 200)]
    pub requests: usize,
    /// Actions in flight at once (a burst adds its own parallel requests).
    #[arg(short = 'c', long, default_value_t = 4)]
    pub concurrency: usize,
    /// Seed of the request mix: the same seed sends the same mix.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write every request sent as TSV: client_start_utc, method, target, status, client_ms, note.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Pause after each action of a worker, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub pause_ms: u64,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    /// One request, no redirect to follow.
    Single {
        method: Method,
        target: String,
        form: Option<Vec<(String, String)>>,
        raw_body: Option<String>,
        headers: Vec<(&'static str, String)>,
        note: &'static str,
    },
    /// `POST /add`, then the redirect's `GET /`.
    Add { text: String, note: &'static str },
    /// `POST /delete/{id}` of a task seen on a page (or a missing one when none is known), then `GET /`.
    DeleteExisting,
    /// `POST /delete/{id}` of an id that never existed, then `GET /`.
    DeleteMissing { id: u64 },
    /// `GET /` `k` times at once.
    Burst { k: usize },
}

impl Action {
    /// How many HTTP requests the action sends when the app behaves as documented.
    fn requests(&self) -> usize {
        match self {
            Action::Single { .. } => 1,
            Action::Add { .. } | Action::DeleteExisting | Action::DeleteMissing { .. } => 2,
            Action::Burst { k } => *k,
        }
    }
}

const TEXTS: &[(&str, &str)] = &[
    ("Buy milk", "plain"),
    ("Call Alice about the quarterly report", "plain"),
    ("Café ☕ naïve façade — emoji 🎉🚀", "unicode"),
    ("He said \"hello\" and 'bye'\nsecond line\r\nthird\tline with tab and back\\slash {braces}", "quotes-newlines"),
    ("<script>alert('x')</script> & <b>bold</b>", "html"),
    ("日本語のタスク — 中文任务 — задача", "unicode"),
    ("key: value = 5; a:b:c", "colons"),
];

fn single(method: Method, target: &str, note: &'static str) -> Action {
    Action::Single { method, target: target.into(), form: None, raw_body: None, headers: Vec::new(), note }
}

fn form_post(target: &str, fields: &[(&str, &str)], note: &'static str) -> Action {
    let form = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Action::Single {
        method: Method::POST,
        target: target.into(),
        form: Some(form),
        raw_body: None,
        headers: Vec::new(),
        note,
    }
}

/// The plan for `requests` HTTP requests, from `seed`.
fn plan(requests: usize, concurrency: usize, seed: u64) -> Vec<Action> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let mut left = requests;
    let mut n = 0usize;
    while left > 0 {
        n += 1;
        let roll = rng.random_range(0..100u32);
        let mut action = match roll {
            0..35 => single(Method::GET, "/", "list"),
            35..42 => {
                let targets = ["/?page=2", "/?q=milk&page=3&sort=desc", "/?q=caf%C3%A9", "/?"];
                single(Method::GET, targets[rng.random_range(0..targets.len())], "query")
            }
            42..62 => {
                let (text, note) = TEXTS[rng.random_range(0..TEXTS.len())];
                let text = if note == "plain" { format!("{text} #{n}") } else { text.to_string() };
                Action::Add { text, note }
            }
            62..64 => Action::Add { text: "x".repeat(200) + &format!(" #{n}"), note: "long" },
            64..76 => Action::DeleteExisting,
            76..80 => Action::DeleteMissing { id: 900_000 + rng.random_range(0..99_999) },
            80..83 => {
                let (m, t, note) = [
                    (Method::GET, "/nope", "404"),
                    (Method::GET, "/static/x.css", "static-404"),
                    (Method::POST, "/delete/abc", "404-non-int"),
                    (Method::GET, "/nope%20here/%E2%9C%93?x=%E2%9C%93&y=a%20b", "percent-encoded-404"),
                ][rng.random_range(0..4)]
                .clone();
                single(m, t, note)
            }
            83..86 => {
                let (t, note) = [("/delete/1", "405-get-delete"), ("/add", "405-get-add")][rng.random_range(0..2)];
                single(Method::GET, t, note)
            }
            86..89 => match rng.random_range(0..4) {
                0 => form_post("/add", &[("task", "")], "400-empty"),
                1 => form_post("/add", &[("task", "   ")], "400-blank"),
                2 => form_post("/add", &[("task", &"y".repeat(300))], "400-too-long"),
                _ => form_post("/add", &[("other", "x")], "400-missing-field"),
            },
            89 => Action::Single {
                method: Method::POST,
                target: "/add".into(),
                form: None,
                raw_body: Some(format!("task={}", "z".repeat(20_000))),
                headers: vec![("content-type", "application/x-www-form-urlencoded".into())],
                note: "413-too-large",
            },
            90..92 => single(Method::POST, "/delete/99999999999999999999999", "500-id-overflow"),
            92..94 => Action::Single {
                method: Method::GET,
                target: "/".into(),
                form: None,
                raw_body: None,
                headers: vec![(
                    "traceparent",
                    format!("00-{:032x}-{:016x}-01", rng.random::<u128>() | 1, rng.random::<u64>() | 1),
                )],
                note: "remote-parent-traceparent",
            },
            94..96 => single(Method::GET, "/", "no-user-agent"),
            96 => single(Method::HEAD, "/", "head"),
            _ => Action::Burst { k: concurrency.max(2) * 2 + rng.random_range(0..concurrency.max(2)) },
        };
        if let Action::Burst { k } = &mut action {
            *k = (*k).min(left);
        }
        if action.requests() > left {
            action = single(Method::GET, "/", "list");
        }
        left -= action.requests();
        out.push(action);
    }
    out
}

/// One row of the record.
#[derive(Debug, Clone)]
struct Sent {
    start: chrono::DateTime<Utc>,
    method: Method,
    target: String,
    /// `None` when no response came (connection refused, timeout).
    status: Option<StatusCode>,
    ms: f64,
    note: String,
}

#[derive(Default)]
struct Ids {
    /// Seen on the latest page and not yet claimed.
    known: BTreeSet<i64>,
    /// Sent (or being sent) to `POST /delete/{id}`; never offered again.
    claimed: BTreeSet<i64>,
}

struct Driver {
    client: reqwest::Client,
    base: String,
    /// Task ids seen on pages, and those already claimed by a delete: one lock for both, so
    /// a page being read and a delete being chosen cannot deadlock or claim an id twice.
    ids: Mutex<Ids>,
    sent: Mutex<Vec<Sent>>,
    rng: Mutex<StdRng>,
}

const USER_AGENT: &str = concat!("todo-traffic/", env!("CARGO_PKG_VERSION"));

impl Driver {
    async fn send(&self, action: &Action) {
        match action {
            Action::Single { method, target, form, raw_body, headers, note } => {
                let ua = *note != "no-user-agent";
                let mut req = self.request(method.clone(), target, ua);
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
                if let Some(form) = form {
                    req = req.form(form);
                }
                if let Some(body) = raw_body {
                    req = req.body(body.clone());
                }
                self.exchange(method.clone(), target, req, note).await;
            }
            Action::Add { text, note } => {
                let req = self.request(Method::POST, "/add", true).form(&[("task", text)]);
                self.exchange_and_follow(Method::POST, "/add", req, note).await;
            }
            Action::DeleteExisting => {
                let id = {
                    let mut ids = self.ids.lock().unwrap();
                    let pick = if ids.known.is_empty() {
                        None
                    } else {
                        let i = self.rng.lock().unwrap().random_range(0..ids.known.len());
                        ids.known.iter().nth(i).copied()
                    };
                    if let Some(id) = pick {
                        ids.known.remove(&id);
                        ids.claimed.insert(id);
                    }
                    pick
                };
                let (target, note) = match id {
                    Some(id) => (format!("/delete/{id}"), "delete-existing"),
                    None => ("/delete/999999".to_string(), "delete-missing"),
                };
                let req = self.request(Method::POST, &target, true);
                self.exchange_and_follow(Method::POST, &target, req, note).await;
            }
            Action::DeleteMissing { id } => {
                let target = format!("/delete/{id}");
                let req = self.request(Method::POST, &target, true);
                self.exchange_and_follow(Method::POST, &target, req, "delete-missing").await;
            }
            Action::Burst { .. } => unreachable!("bursts are expanded by the worker"),
        }
    }

    fn request(&self, method: Method, target: &str, user_agent: bool) -> reqwest::RequestBuilder {
        let req = self.client.request(method, format!("{}{target}", self.base));
        if user_agent { req.header("user-agent", USER_AGENT) } else { req }
    }

    async fn exchange_and_follow(&self, method: Method, target: &str, req: reqwest::RequestBuilder, note: &str) {
        if self.exchange(method, target, req, note).await == Some(StatusCode::FOUND) {
            let follow = self.request(Method::GET, "/", true);
            self.exchange(Method::GET, "/", follow, "redirect-follow").await;
        }
    }

    /// Sends one request, reads the whole body, records the row; learns task ids from pages.
    async fn exchange(
        &self,
        method: Method,
        target: &str,
        req: reqwest::RequestBuilder,
        note: &str,
    ) -> Option<StatusCode> {
        let start = Utc::now();
        let clock = Instant::now();
        let result = match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                resp.text().await.map(|body| (status, body))
            }
            Err(e) => Err(e),
        };
        let ms = clock.elapsed().as_secs_f64() * 1000.0;
        let (status, note) = match result {
            Ok((status, body)) => {
                if method == Method::GET && status == StatusCode::OK {
                    self.learn_ids(&body);
                }
                (Some(status), note.to_string())
            }
            Err(e) => (None, format!("{note}; error: {e}").replace(['\t', '\n'], " ")),
        };
        self.sent.lock().unwrap().push(Sent { start, method, target: target.to_string(), status, ms, note });
        status
    }

    fn learn_ids(&self, page: &str) {
        let seen: Vec<i64> =
            page.split("action=\"/delete/").skip(1).filter_map(|rest| rest.split('"').next()?.parse().ok()).collect();
        let mut ids = self.ids.lock().unwrap();
        let known = seen.into_iter().filter(|id| !ids.claimed.contains(id)).collect();
        ids.known = known;
    }
}

/// Runs the driver; fails when any request got no response.
pub fn run(args: TrafficArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the Tokio runtime")?;
    runtime.block_on(drive(args))
}

async fn drive(args: TrafficArgs) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let plan = Arc::new(plan(args.requests, args.concurrency, args.seed));
    let driver = Arc::new(Driver {
        client,
        base: args.url.trim_end_matches('/').to_string(),
        ids: Mutex::default(),
        sent: Mutex::default(),
        rng: Mutex::new(StdRng::seed_from_u64(args.seed ^ 0x5eed)),
    });
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (plan, driver, next) = (plan.clone(), driver.clone(), next.clone());
        let pause = Duration::from_millis(args.pause_ms);
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(action) = plan.get(i) else { break };
                if let Action::Burst { k } = action {
                    let mut burst = tokio::task::JoinSet::new();
                    for _ in 0..*k {
                        let driver = driver.clone();
                        burst.spawn(async move {
                            let req = driver.request(Method::GET, "/", true);
                            driver.exchange(Method::GET, "/", req, "burst").await;
                        });
                    }
                    burst.join_all().await;
                } else {
                    driver.send(action).await;
                }
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
        });
    }
    workers.join_all().await;

    let mut sent = std::mem::take(&mut *driver.sent.lock().unwrap());
    sent.sort_by_key(|s| s.start);
    let failed = sent.iter().filter(|s| s.status.is_none()).count();
    if let Some(path) = &args.record {
        std::fs::write(path, tsv(&sent)).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut by_status = std::collections::BTreeMap::new();
    for s in &sent {
        *by_status.entry(s.status.map_or("no response".to_string(), |c| c.as_u16().to_string())).or_insert(0) += 1;
    }
    let summary: Vec<String> = by_status.iter().map(|(k, v)| format!("{v}×{k}")).collect();
    eprintln!("todo traffic: sent {} requests to {}: {}", sent.len(), args.url, summary.join(", "));
    if failed > 0 {
        bail!("{failed} of {} requests got no response", sent.len());
    }
    Ok(())
}

fn tsv(sent: &[Sent]) -> String {
    let mut out = String::from("client_start_utc\tmethod\ttarget\tstatus\tclient_ms\tnote\n");
    for s in sent {
        let status = s.status.map_or("ERR".to_string(), |c| c.as_u16().to_string());
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{status}\t{:.3}\t{}",
            s.start.to_rfc3339_opts(SecondsFormat::Micros, true),
            s.method,
            s.target,
            s.ms,
            s.note
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_sends_exactly_the_requested_number_of_requests() {
        for n in [1, 2, 3, 50, 333] {
            let p = plan(n, 4, 7);
            assert_eq!(p.iter().map(Action::requests).sum::<usize>(), n, "n={n}");
        }
    }

    #[test]
    fn plan_depends_only_on_the_seed() {
        assert_eq!(plan(300, 4, 1), plan(300, 4, 1));
        assert_ne!(plan(300, 4, 1), plan(300, 4, 2));
    }

    #[test]
    fn a_few_hundred_requests_cover_the_whole_mix() {
        let p = plan(400, 4, 1);
        let notes: BTreeSet<&str> = p
            .iter()
            .map(|a| match a {
                Action::Single { note, .. } | Action::Add { note, .. } => *note,
                Action::DeleteExisting => "delete-existing",
                Action::DeleteMissing { .. } => "delete-missing",
                Action::Burst { .. } => "burst",
            })
            .collect();
        for want in
            ["list", "query", "unicode", "quotes-newlines", "html", "delete-existing", "delete-missing", "burst"]
        {
            assert!(notes.contains(want), "{want} missing from {notes:?}");
        }
        assert!(notes.iter().any(|n| n.starts_with("400")), "{notes:?}");
        assert!(notes.iter().any(|n| n.starts_with("405")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("404")), "{notes:?}");
    }
}
