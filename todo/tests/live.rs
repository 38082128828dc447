//! The live workflow end to end: `todo | otelgrep latency --by target -f -` while `todo traffic`
//! drives the app; after SIGINT to `todo` (its last export comes after it), the pipe closes and
//! otelgrep's final table counts, per target, exactly the requests the driver recorded.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{App, TempDir, rows, traffic};

#[test]
fn todo_piped_into_a_followed_latency_table_counts_every_request() {
    // Built beside `todo` by `cargo test --workspace` (the README's test command).
    let otelgrep = Path::new(common::BIN).with_file_name("otelgrep");
    assert!(otelgrep.exists(), "{} is missing: run cargo test --workspace", otelgrep.display());
    let dir = TempDir::new("live");
    let (reader, writer) = std::io::pipe().unwrap();
    let mut follower = Command::new(&otelgrep)
        .args(["latency", "--by", "target", "--format", "csv", "-f", "--refresh", "200ms", "-"])
        .env("NO_COLOR", "1")
        .stdin(reader)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let env = [("OTEL_METRIC_EXPORT_INTERVAL", "1000"), ("OTEL_BSP_SCHEDULE_DELAY", "250")];
    let app = App::start_sharing(&dir.path("tasks.db"), &env, writer);
    let tsv = traffic(&app.url(), 200, 4, 7, &dir.path("requests.tsv"));
    // The driver can finish in a tenth of a second, before the first scheduled export (250 ms):
    // the app runs on long enough for exports and refreshes to come while it runs (a fast run
    // once ended before any, and gave only the final answer).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let stopped = app.stop("INT");
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let mut out = String::new();
    follower.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let mut err = String::new();
    follower.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = follower.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    // Answers came while the app ran, then the final one.
    let blocks: Vec<&str> = out.split("\n\n").collect();
    assert!(blocks.len() >= 2, "one answer only: {out}");
    let last = blocks.last().unwrap();
    let mut lines = last.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (target, count) =
        (header.iter().position(|c| *c == "target").unwrap(), header.iter().position(|c| *c == "count").unwrap());
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for line in lines {
        // Targets hold no comma or quote here; a CSV reader is not needed.
        let f: Vec<&str> = line.split(',').collect();
        *got.entry(f[target].to_string()).or_default() += f[count].parse::<usize>().unwrap();
    }
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows(&tsv) {
        *want.entry(r.target).or_default() += 1;
    }
    assert_eq!(got.values().sum::<usize>(), 200, "{last}");
    assert_eq!(got, want);
}
