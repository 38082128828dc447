//! `otelgrep urls` as a user runs it: per-URL counts and statuses equal the client's own record
//! (`.requests.tsv`) for the Flask capture and for the todo captures in all three semconv modes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel)
}

fn otelgrep(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_otelgrep")).args(args).output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap())
}

/// url -> (count, status -> count), from the TSV, with the capture's origin in front.
fn expected(tsv: &str, origin: &str, stable_only: bool) -> BTreeMap<String, (u64, BTreeMap<String, u64>)> {
    let mut want: BTreeMap<String, (u64, BTreeMap<String, u64>)> = BTreeMap::new();
    for l in tsv.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        // The stable names cannot tell `/?` from `/` (url.query is omitted when empty).
        let target = if stable_only { f[2].strip_suffix('?').unwrap_or(f[2]) } else { f[2] };
        let e = want.entry(format!("{origin}{target}")).or_default();
        e.0 += 1;
        *e.1.entry(f[3].to_string()).or_default() += 1;
    }
    want
}

fn got(json: &str) -> BTreeMap<String, (u64, BTreeMap<String, u64>)> {
    let rows: Vec<Value> = serde_json::from_str(json).unwrap();
    rows.iter()
        .map(|r| {
            // Statuses are an object of counts: {"200": 262, "302": 1}.
            let statuses = r["statuses"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(code, n)| (code.clone(), n.as_u64().unwrap()))
                .collect();
            (r["url"].as_str().unwrap().to_string(), (r["count"].as_u64().unwrap(), statuses))
        })
        .collect()
}

#[test]
fn counts_and_statuses_per_url_equal_the_requests_sent() {
    for (capture, stable_only) in [
        ("python-flask/flask-default", false),
        ("todo/todo-default", false),
        ("todo/todo-http", true),
        ("todo/todo-http-dup", false),
    ] {
        let log = sample(&format!("{capture}.log"));
        let (json, code) = otelgrep(&["urls", "--format", "json", log.to_str().unwrap()]);
        assert_eq!(code, 0, "{capture}");
        let got = got(&json);
        let first = got.keys().next().unwrap();
        let origin = &first[..first[7..].find('/').unwrap() + 7];
        let tsv = std::fs::read_to_string(sample(&format!("{capture}.requests.tsv"))).unwrap();
        assert_eq!(got, expected(&tsv, origin, stable_only), "{capture}");
    }
}

#[test]
fn rows_are_sorted_by_count_and_top_cuts() {
    let log = sample("todo/todo-default.log");
    let (json, _) = otelgrep(&["urls", "--format", "json", "--top", "3", log.to_str().unwrap()]);
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 3);
    let counts: Vec<u64> = rows.iter().map(|r| r["count"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}

#[test]
fn templates_group_ids_and_keep_every_request() {
    let log = sample("todo/todo-default.log");
    let (json, _) = otelgrep(&["urls", "--template", "--format", "json", log.to_str().unwrap()]);
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    let tsv = std::fs::read_to_string(sample("todo/todo-default.requests.tsv")).unwrap();
    assert_eq!(total, tsv.lines().count() as u64 - 1);
    let delete = rows.iter().find(|r| r["template"] == "/delete/{id}").expect("a /delete/{id} row");
    let deletes = tsv.lines().filter(|l| l.contains("\tPOST\t/delete/") && !l.contains("/delete/abc")).count();
    // GET /delete/1 (405) has no route; its path collapses to the same template.
    let gets = tsv.lines().filter(|l| l.contains("\tGET\t/delete/")).count();
    assert_eq!(delete["count"].as_u64(), Some((deletes + gets) as u64));
}

#[test]
fn every_output_format_names_the_same_columns() {
    let log = sample("python-flask/flask-default.log");
    let path = log.to_str().unwrap();
    let (csv, _) = otelgrep(&["urls", "--format", "csv", path]);
    assert_eq!(csv.lines().next(), Some("url,count,methods,statuses,first_seen,last_seen"));
    assert_eq!(
        csv.lines().nth(1),
        Some("http://127.0.0.1:5000/,48,\"GET, HEAD\",200×48,2026-11-27T23:37:19.814807Z,2026-11-27T23:38:19.417670Z")
    );
    let (ndjson, _) = otelgrep(&["urls", "--format", "ndjson", path]);
    let first: Value = serde_json::from_str(ndjson.lines().next().unwrap()).unwrap();
    assert_eq!(first["count"], 48);
    let (md, _) = otelgrep(&["urls", "--format", "markdown", path]);
    assert_eq!(md.lines().next(), Some("| url | count | methods | statuses | first_seen | last_seen |"));
    assert_eq!(md.lines().nth(1), Some("|---|---:|---|---|---|---|"));
}

#[test]
fn empty_input_is_an_empty_table_not_an_error() {
    let dir = std::env::temp_dir().join(format!("otelgrep-urls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.log");
    std::fs::write(&empty, "just an app line\n").unwrap();
    let (json, code) = otelgrep(&["urls", "--format", "json", empty.to_str().unwrap()]);
    assert_eq!((json.trim(), code), ("[]", 0));
}

#[test]
fn filters_and_sort_apply_to_urls_too() {
    let log = sample("python-flask/flask-default.log");
    let path = log.to_str().unwrap();
    let rows = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["urls", "--format", "json"];
        all.extend(args);
        all.push(path);
        let (json, code) = otelgrep(&all);
        assert_eq!(code, 0, "{args:?}");
        serde_json::from_str(&json).unwrap()
    };
    // The Flask capture's one 500 (the id overflow) and its one 404-free POST route.
    let errors = rows(&["--where", "status>=500"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["url"], "http://127.0.0.1:5000/delete/99999999999999999999999");
    let tsv = std::fs::read_to_string(sample("python-flask/flask-default.requests.tsv")).unwrap();
    let posts = tsv.lines().filter(|l| l.split('\t').nth(1) == Some("POST")).count() as u64;
    let counted: u64 = rows(&["--where", "method=POST"]).iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, posts);
    let by_url = rows(&["--sort", "url"]);
    let urls: Vec<&str> = by_url.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert!(urls.windows(2).all(|w| w[0] <= w[1]), "{urls:?}");
    // Times are text columns: earliest first.
    let earliest = rows(&["--sort", "last_seen", "--top", "1"]);
    let first = by_url.iter().map(|r| r["last_seen"].as_str().unwrap()).min().unwrap();
    assert_eq!(earliest[0]["last_seen"], first);
    assert!(rows(&["--until", "2026-11-27T23:37:19Z"]).is_empty(), "nothing before the first request");
    assert_eq!(rows(&["--since", "2026-11-27T23:37:19Z"]).len(), by_url.len());
}
