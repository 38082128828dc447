//! `otelgrep latency` as a user runs it, on real captures: counts equal the requests the client
//! sent, percentiles equal an independent computation (tests/fixtures/latency/independent.py), time
//! buckets add up to the totals, the filters keep what they say, and export order does not matter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples").join(rel)
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Runs otelgrep: (stdout, stderr, exit code).
fn otelgrep(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_otelgrep")).args(args).env("NO_COLOR", "1").output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap())
}

/// `latency --format json` rows.
fn rows(args: &[&str], file: &Path) -> Vec<Value> {
    let mut all = vec!["latency", "--format", "json"];
    all.extend(args);
    all.push(file.to_str().unwrap());
    let (out, err, code) = otelgrep(&all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

fn key(row: &Value, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| row[n].as_str().map_or_else(|| row[n].to_string(), str::to_string)).collect()
}

fn count(row: &Value) -> u64 {
    row["count"].as_u64().unwrap()
}

#[test]
fn percentiles_equal_an_independent_computation() {
    for (capture, expected, by) in [
        ("python-flask/flask-default.log", "latency/flask-default.by-url-status.json", ["url", "status"]),
        ("todo/todo-default.log", "latency/todo-default.by-route-status.json", ["route", "status"]),
    ] {
        let got = rows(&["--by", &by.join(",")], &sample(capture));
        let want: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(fixture(expected)).unwrap()).unwrap();
        assert_eq!(got.len(), want.len(), "{capture}: groups");
        let got: BTreeMap<Vec<String>, &Value> = got.iter().map(|r| (key(r, &by), r)).collect();
        for w in &want {
            let k: Vec<String> = w["key"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
            let g = got.get(&k).unwrap_or_else(|| panic!("{capture}: no row for {k:?}"));
            assert_eq!(g["count"], w["count"], "{capture} {k:?}");
            assert_eq!(g["errors"], w["errors"], "{capture} {k:?}");
            for figure in ["min", "p50", "p90", "p95", "p99", "max"] {
                let (a, b) = (g[figure].as_f64().unwrap(), w[figure].as_f64().unwrap());
                assert!((a - b).abs() < 1e-9, "{capture} {k:?} {figure}: otelgrep {a}, independent {b}");
            }
        }
    }
}

/// (url, status) → requests, from a `.requests.tsv`, with the capture's origin in front.
fn sent(capture: &str, origin: &str) -> BTreeMap<Vec<String>, u64> {
    let tsv = std::fs::read_to_string(sample(&format!("{capture}.requests.tsv"))).unwrap();
    let mut want = BTreeMap::new();
    for l in tsv.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        // The stable names cannot tell `/?` from `/` (url.query is omitted when empty).
        let target = if capture.ends_with("todo-http") { f[2].strip_suffix('?').unwrap_or(f[2]) } else { f[2] };
        *want.entry(vec![format!("{origin}{target}"), f[3].to_string()]).or_default() += 1;
    }
    want
}

#[test]
fn counts_per_url_and_status_equal_the_requests_sent() {
    for capture in ["python-flask/flask-default", "todo/todo-default", "todo/todo-http", "todo/todo-http-dup"] {
        let got = rows(&["--by", "url,status"], &sample(&format!("{capture}.log")));
        let got: BTreeMap<Vec<String>, u64> = got.iter().map(|r| (key(r, &["url", "status"]), count(r))).collect();
        let first = &got.keys().next().unwrap()[0];
        let origin = &first[..first[7..].find('/').unwrap() + 7];
        assert_eq!(got, sent(capture, origin), "{capture}");
    }
}

#[test]
fn the_three_semconv_generations_give_the_same_table() {
    // The same seeded requests, captured with old, stable and both HTTP names. Only the port
    // differs between the runs, so group by path; stable names drop an empty query (`/?` is `/`).
    let table = |capture: &str| -> Vec<(Vec<String>, u64, u64)> {
        let got = rows(&["--by", "target,method,status"], &sample(capture));
        let mut t: BTreeMap<Vec<String>, (u64, u64)> = BTreeMap::new();
        for r in &got {
            let mut k = key(r, &["target", "method", "status"]);
            k[0] = k[0].strip_suffix('?').unwrap_or(&k[0]).to_string();
            let e = t.entry(k).or_default();
            e.0 += count(r);
            e.1 += r["errors"].as_u64().unwrap();
        }
        t.into_iter().map(|(k, (n, e))| (k, n, e)).collect()
    };
    let old = table("todo/todo-default.log");
    assert_eq!(old.iter().map(|r| r.1).sum::<u64>(), 400);
    assert_eq!(table("todo/todo-http.log"), old, "stable names");
    assert_eq!(table("todo/todo-http-dup.log"), old, "both names");
}

#[test]
fn buckets_add_up_to_the_totals() {
    let log = sample("todo/todo-default.log");
    let total = rows(&["--by", "route"], &log);
    for every in ["1s", "10s", "1m"] {
        let buckets = rows(&["--by", "route", "--every", every], &log);
        let mut sums: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for b in &buckets {
            let e = sums.entry(b["route"].as_str().unwrap().to_string()).or_default();
            e.0 += count(b);
            e.1 += b["errors"].as_u64().unwrap();
        }
        let want: BTreeMap<String, (u64, u64)> = total
            .iter()
            .map(|r| (r["route"].as_str().unwrap().to_string(), (count(r), r["errors"].as_u64().unwrap())))
            .collect();
        assert_eq!(sums, want, "--every {every}");
        // Sorted by time, bucket starts on the width's boundary.
        let starts: Vec<&str> = buckets.iter().map(|b| b["bucket"].as_str().unwrap()).collect();
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "--every {every}: {starts:?}");
        if every == "1m" {
            assert!(starts.iter().all(|s| s.ends_with(":00Z")), "{starts:?}");
        }
    }
    // A capture of ~13 s in 1 s buckets has many of them; one minute holds it all.
    assert!(rows(&["--by", "route", "--every", "1s"], &log).len() > total.len() * 5);
}

#[test]
fn export_order_does_not_change_the_result() {
    // The Flask capture with its records in reverse order: every figure must be the same.
    let text = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    let mut records: Vec<&str> = text.split_inclusive("\n}\n").collect();
    assert!(records.len() > 300, "{}", records.len());
    records.reverse();
    let dir = std::env::temp_dir().join(format!("otelgrep-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reversed = dir.join("reversed.log");
    std::fs::write(&reversed, records.concat()).unwrap();
    let args = ["--by", "route,method", "--percentiles", "1,50,90,99.9"];
    assert_eq!(rows(&args, &reversed), rows(&args, &sample("python-flask/flask-default.log")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_input_gives_an_empty_table() {
    let dir = std::env::temp_dir().join(format!("otelgrep-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("app.log");
    std::fs::write(&empty, "just the app talking\n * Running on http://127.0.0.1:5000\n").unwrap();
    assert!(rows(&["--by", "url"], &empty).is_empty());
    let (out, _, code) = otelgrep(&["latency", "--by", "url", "--format", "csv", empty.to_str().unwrap()]);
    assert_eq!((out.as_str(), code), ("url,count,errors,error_pct,rps,min,p50,p90,p95,p99,max\n", 0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn filters_keep_what_they_say() {
    let log = sample("todo/todo-default.log");
    let total: u64 = rows(&["--by", "status"], &log).iter().map(count).sum();
    assert_eq!(total, 400);
    let sum = |args: &[&str]| -> u64 { rows(args, &log).iter().map(count).sum() };
    // 7 requests were answered 500, 11 404 (tsv); every status filter agrees with that.
    assert_eq!(sum(&["--by", "status", "--where", "status>=500"]), 7);
    assert_eq!(sum(&["--by", "status", "--where", "status=5xx"]), 7);
    assert_eq!(sum(&["--by", "status", "--where", "status<500"]), 393);
    assert_eq!(sum(&["--by", "status", "--where", "status = 404"]), 11);
    // 404s and 405s (11 + 7) matched no route: `http.route exists` keeps all the others.
    assert_eq!(sum(&["--by", "status", "--where", "http.route exists"]), 382);
    assert_eq!(sum(&["--by", "status", "--where", "http.route missing"]), 18);
    let methods = rows(&["--by", "method", "--where", "method!=GET"], &log);
    assert!(methods.iter().all(|r| r["method"] != "GET") && !methods.is_empty(), "{methods:?}");
    let adds = rows(&["--by", "route,method", "--where", "route=/add"], &log);
    assert!(adds.iter().all(|r| r["route"] == "/add"), "{adds:?}");
    let deletes = rows(&["--by", "url", "--where", r"url~/delete/\d+$"], &log);
    assert!(deletes.iter().all(|r| r["url"].as_str().unwrap().contains("/delete/")));
    // Several --where all hold.
    assert_eq!(sum(&["--by", "status", "--where", "route=/delete/{id}", "--where", "status>=500"]), 7);
    assert_eq!(sum(&["--by", "status", "--service", "todo"]), 400);
    assert_eq!(sum(&["--by", "status", "--service", "someone-else"]), 0);
    // --since and --until split the capture without losing or doubling a request.
    let buckets = rows(&["--by", "status", "--every", "1s"], &log);
    let cut = buckets[buckets.len() / 2]["bucket"].as_str().unwrap().to_string();
    let (before, after) = (sum(&["--by", "status", "--until", &cut]), sum(&["--by", "status", "--since", &cut]));
    assert!(before > 0 && after > 0);
    assert_eq!(before + after, 400);
    assert_eq!(sum(&["--by", "status", "--since", "1m"]), 0, "the capture is older than a minute");
}

#[test]
fn bad_arguments_are_errors_naming_the_problem() {
    let log = sample("todo/todo-default.log");
    let log = log.to_str().unwrap();
    for (args, says) in [
        (vec!["--where", "status"], "--where 'status'"),
        (vec!["--where", "url~("], "bad regular expression"),
        (vec!["--since", "yesterday"], "'yesterday' is not a time"),
        (vec!["--every", "5 minutes"], "--every 5 minutes"),
        (vec!["--percentiles", "50,101"], "101 is not between 0 and 100"),
        (vec!["--sort", "p42"], "--sort p42: no such column"),
    ] {
        let mut all = vec!["latency"];
        all.extend(&args);
        all.push(log);
        let (out, err, code) = otelgrep(&all);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty() && err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn sort_top_percentiles_and_units() {
    let log = sample("todo/todo-default.log");
    let by_p99 = rows(&["--by", "route,status", "--sort", "p99"], &log);
    let p99: Vec<f64> = by_p99.iter().map(|r| r["p99"].as_f64().unwrap()).collect();
    assert!(p99.windows(2).all(|w| w[0] >= w[1]), "{p99:?}");
    let by_route = rows(&["--by", "route,status", "--sort", "route"], &log);
    let routes: Vec<&str> = by_route.iter().map(|r| r["route"].as_str().unwrap()).collect();
    assert!(routes.windows(2).all(|w| w[0] <= w[1]), "{routes:?}");
    // By default the most requested first; --top cuts.
    let top = rows(&["--by", "route,status", "--top", "2"], &log);
    assert_eq!(top.len(), 2);
    assert_eq!(top[0]["route"], "/");
    assert!(count(&top[0]) >= count(&top[1]));
    // Chosen percentiles are the columns, and --unit scales every figure.
    let ms = rows(&["--by", "route", "--percentiles", "50,99.9"], &log);
    let us = rows(&["--by", "route", "--percentiles", "50,99.9", "--unit", "us"], &log);
    for (m, u) in ms.iter().zip(&us) {
        assert!(m.get("p90").is_none() && m.get("p99.9").is_some());
        for figure in ["min", "p50", "p99.9", "max"] {
            let (a, b) = (m[figure].as_f64().unwrap() * 1000.0, u[figure].as_f64().unwrap());
            assert!((a - b).abs() < 1e-6, "{figure}: {a} vs {b}");
        }
    }
}

#[test]
fn a_renamed_attribute_asked_for_by_name_says_where_it_came_from() {
    // The stable-names capture has no http.url: it is rebuilt, and stderr says so.
    let (out, err, code) =
        otelgrep(&["latency", "--by", "http.url", "--format", "csv", sample("todo/todo-http.log").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.starts_with("http.url,count,"), "{out}");
    assert!(
        err.contains("--by http.url: 400 spans rebuilt from url.scheme, server.address, server.port, url.path"),
        "{err}"
    );
    // With the old names it is there: nothing to say.
    let (_, err, _) = otelgrep(&[
        "latency",
        "--by",
        "http.url",
        "--format",
        "csv",
        sample("todo/todo-default.log").to_str().unwrap(),
    ]);
    assert!(err.is_empty(), "{err}");
}

#[test]
fn the_table_shows_a_sparkline_and_every_format_the_same_rows() {
    let log = sample("todo/todo-default.log");
    let log = log.to_str().unwrap();
    let (table, _, _) = otelgrep(&["latency", "--by", "route", log]);
    assert!(table.contains("trend") && table.contains('█'), "{table}");
    assert!(!table.contains('\u{1b}'), "no colour codes off a terminal");
    let (csv, _, _) = otelgrep(&["latency", "--by", "route", "--format", "csv", log]);
    let (nd, _, _) = otelgrep(&["latency", "--by", "route", "--format", "ndjson", log]);
    let (md, _, _) = otelgrep(&["latency", "--by", "route", "--format", "markdown", log]);
    let json = rows(&["--by", "route"], Path::new(log));
    assert_eq!(csv.lines().count(), json.len() + 1);
    assert_eq!(nd.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).collect::<Vec<_>>(), json);
    assert_eq!(md.lines().count(), json.len() + 2);
    assert!(!csv.contains("trend"), "no sparkline in data formats");
}

#[test]
fn any_attribute_is_a_key_and_a_filter() {
    // Parsers keep only the attributes a query names: one named only in --by or --where must
    // still be there.
    let log = sample("python-flask/flask-default.log");
    let agents = rows(&["--by", "http.user_agent"], &log);
    let total: u64 = agents.iter().map(count).sum();
    assert_eq!(total, 74);
    assert!(agents.iter().any(|r| r["http.user_agent"] == "corpus-driver/1.0 (python http.client)"), "{agents:?}");
    let flavour = rows(&["--by", "status", "--where", "http.flavor=1.1", "--where", "net.peer.ip exists"], &log);
    assert_eq!(flavour.iter().map(count).sum::<u64>(), 74);
    assert!(rows(&["--by", "status", "--where", "net.peer.ip=10.0.0.1"], &log).is_empty());
}

#[test]
fn colours_on_a_terminal_only_and_never_with_no_color() {
    // util-linux `script` gives the command a pseudo-terminal (Debian always has it).
    let log = sample("todo/todo-default.log");
    let command = format!("stty cols 200; {} latency --by status {}", env!("CARGO_BIN_EXE_otelgrep"), log.display());
    let on_tty = |no_color: Option<&str>| -> String {
        let mut c = Command::new("script");
        c.args(["-qec", &command, "/dev/null"]).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.output().expect("util-linux script");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let coloured = on_tty(None);
    assert!(coloured.contains("\u{1b}[1m status"), "bold headers on a terminal: {coloured}");
    assert!(coloured.contains("\u{1b}[38;5;9m") || coloured.contains("\u{1b}[31m"), "errors in red: {coloured}");
    let plain = on_tty(Some("1"));
    assert!(!plain.contains('\u{1b}') && plain.contains("status"), "NO_COLOR: {plain}");
    // Off a terminal: never.
    let (piped, _, _) = otelgrep(&["latency", "--by", "status", log.to_str().unwrap()]);
    assert!(!piped.contains('\u{1b}'));
}

/// The demo capture (the Collector's file exporter, 8 services): no SERVER span has an
/// `http.route`, some have no host to rebuild a URL with, the gRPC ones have no URL at all. The
/// table alone would read as routes and URLs; stderr says what each group really is, with the
/// table's own numbers. A `--where` key no span has says so; `span_status` (a column of `spans`)
/// is a key.
#[test]
fn what_a_key_fell_back_to_or_never_found_is_said() {
    let demo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let demo = demo.to_str().unwrap();
    let (_, err, code) = otelgrep(&["latency", "--by", "route", "--format", "csv", demo]);
    assert_eq!(
        (err.as_str(), code),
        ("otelgrep: note: --by route: all 277 spans have no http.route: grouped by span name\n", 0)
    );
    let (_, err, _) = otelgrep(&["latency", "--by", "http.route", "--format", "csv", demo]);
    assert_eq!(err, "otelgrep: note: --by http.route: 277 spans with no http.route (the empty group)\n");

    // The demo's Next.js spans write `http.url` without its scheme (`frontend-proxy:8080/api/cart`):
    // the same URL as the proxy's and the HTTP instrumentation's `http://frontend-proxy:8080/api/cart`.
    let urls = rows(&["--by", "url"], Path::new(demo));
    let text = std::fs::read_to_string(demo).unwrap();
    let mut cart = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let request: Value = serde_json::from_str(line).unwrap();
        for rs in request["resourceSpans"].as_array().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                for span in ss["spans"].as_array().into_iter().flatten().filter(|s| s["kind"] == 2) {
                    let attributes = span["attributes"].as_array().cloned().unwrap_or_default();
                    let url = attributes.iter().find(|a| a["key"] == "http.url").map(|a| &a["value"]["stringValue"]);
                    cart +=
                        usize::from(url.is_some_and(|u| u.as_str().unwrap().ends_with("frontend-proxy:8080/api/cart")));
                }
            }
        }
    }
    let grouped = urls.iter().find(|r| r["url"] == "http://frontend-proxy:8080/api/cart").map(count);
    assert_eq!(grouped, Some(cart as u64));
    assert!(urls.iter().all(|r| r["url"].as_str().is_none_or(|u| u.starts_with("http://"))), "{urls:?}");
    let without: u64 = urls.iter().filter(|r| r["url"].is_null()).map(count).sum();
    let (_, err, _) = otelgrep(&["latency", "--by", "url", "--format", "csv", demo]);
    assert_eq!(err, format!("otelgrep: note: --by url: {without} of 277 spans have no URL (the empty group)\n"));
    // A span that names no host is grouped by its path alone, and that is said.
    let dir = std::env::temp_dir().join(format!("otelgrep-nohost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("nohost.jsonl");
    let span = |id: &str, attributes: &str| {
        format!(
            r#"{{"traceId":"5b8efff798038103d269b633813fc6{id}","spanId":"eee19b7ec3c1b1{id}","name":"GET","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"2000","attributes":[{attributes}]}}"#
        )
    };
    let target = r#"{"key":"http.target","value":{"stringValue":"/x"}}"#;
    let host = r#"{"key":"http.host","value":{"stringValue":"h:1"}}"#;
    // The same URL written in capitals and with its default port: one group.
    let full = r#"{"key":"url.full","value":{"stringValue":"HTTP://H:1/x"}}"#;
    let port = r#"{"key":"http.url","value":{"stringValue":"http://h:80/x"}}"#;
    let spans = [
        span("01", target),
        span("02", &format!("{target},{host}")),
        span("03", target),
        span("04", full),
        span("05", port),
        span("06", r#"{"key":"http.url","value":{"stringValue":"h/x"}}"#),
        // An upper-case scheme is still https: port 80 is not its default.
        span(
            "07",
            r#"{"key":"url.scheme","value":{"stringValue":"HTTPS"}},{"key":"http.host","value":{"stringValue":"h"}},{"key":"server.port","value":{"intValue":"80"}},{"key":"url.path","value":{"stringValue":"/x"}}"#,
        ),
    ]
    .join(",");
    std::fs::write(&capture, format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#) + "\n")
        .unwrap();
    let (out, err, _) = otelgrep(&["latency", "--by", "url", "--format", "csv", capture.to_str().unwrap()]);
    let mut groups: Vec<String> =
        out.lines().skip(1).map(|l| l.split(',').take(2).collect::<Vec<_>>().join(" ")).collect();
    // `h/x` has neither a port nor a dot: a relative path, not a host.
    groups.sort();
    assert_eq!(groups, ["/x 2", "h/x 1", "http://h/x 1", "http://h:1/x 2", "https://h:80/x 1"]);
    assert_eq!(
        err,
        "otelgrep: note: --by url: 3 of 7 spans have no host (server.address, http.host, net.host.name, \
         http.server_name): grouped by path alone\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `span_status` (a column of `spans`) is a key, in any case; `route exists` means an
/// `http.route`; a `--where` key that no record tested has is said, naming what was tested.
#[test]
fn where_keys_say_what_they_test_and_when_nothing_had_them() {
    let demo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let demo = demo.to_str().unwrap();
    // span_status: what `spans` shows in its column, as a key and as a filter.
    let statuses = rows(&["--by", "span_status"], Path::new(demo));
    let listed = common_rows(&["spans", "--kind", "server", "--format", "json", demo]);
    for status in ["ERROR", "UNSET", "OK"] {
        let want = listed.iter().filter(|r| r["span_status"] == status).count() as u64;
        let got: u64 = statuses.iter().filter(|r| r["span_status"] == status).map(count).sum();
        assert_eq!(got, want, "{status}");
        let filtered: u64 = rows(&["--by", "service", "--where", &format!("span_status={status}")], Path::new(demo))
            .iter()
            .map(count)
            .sum();
        assert_eq!(filtered, want, "--where span_status={status}");
        for expr in
            [format!("span_status={}", status.to_lowercase()), format!("span_status~^{}", &status.to_lowercase()[..2])]
        {
            let lower = rows(&["--where", &expr], Path::new(demo));
            assert_eq!(lower.iter().map(count).sum::<u64>(), want, "--where {expr}");
        }
    }
    assert!(statuses.iter().any(|r| r["span_status"] == "ERROR"), "{statuses:?}");

    // No server span of the demo has an http.route: the span name stands in for one in
    // comparisons (`route=ingress`, as --by route groups), never in `exists`.
    let server = listed.len() as u64;
    let sum = |args: &[&str]| -> u64 { rows(args, Path::new(demo)).iter().map(count).sum() };
    assert_eq!(sum(&["--where", "route missing"]), server);
    assert_eq!(sum(&["--where", "route=ingress"]), listed.iter().filter(|r| r["name"] == "ingress").count() as u64);
    let (out, err, _) = otelgrep(&["latency", "--where", "route exists", "--format", "csv", demo]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(err.contains("otelgrep: note: --where: no span tested has route (an http.route)\n"), "{err}");

    // A status or kind not in the list is a typo, said before anything is read.
    for (expr, says) in
        [("span_status=bogus", "span_status is one of OK, ERROR, UNSET"), ("kind!=entry", "kind is one of SERVER,")]
    {
        let (_, err, code) = otelgrep(&["latency", "--where", expr, demo]);
        assert_eq!(code, 2, "{expr}");
        assert!(err.contains(says), "{expr}: {err}");
    }
    // A URL is compared as `url` resolves it.
    let cart = sum(&["--where", "url=http://frontend-proxy:8080/api/cart"]);
    assert!(cart > 0);
    assert_eq!(sum(&["--where", "url=HTTP://Frontend-Proxy:8080/api/cart"]), cart);
    let (_, err, _) = otelgrep(&["latency", "--where", "trace_id=1", demo]);
    assert!(
        err.contains("no span tested has trace_id (one trace: otelgrep trace ID, or spans/logs --trace ID)"),
        "{err}"
    );

    // A key no span has: an empty table, and why; `exists` too.
    for expr in ["http.status=500", "http.status exists"] {
        let (out, err, code) = otelgrep(&["latency", "--where", expr, "--format", "csv", demo]);
        assert_eq!((out.lines().count(), code), (1, 0), "{out}");
        assert!(
            err.contains("otelgrep: note: --where: no span tested has http.status (an attribute name, looked up on each span and its resource; the aliases are url, route, target, method, status,"),
            "{expr}: {err}"
        );
    }
    // `logs` tests each record's request, and says so.
    let flask = sample("python-flask/flask-default.log");
    let (_, err, _) = otelgrep(&["logs", "--where", "code.function.name=index", flask.to_str().unwrap()]);
    assert!(err.contains("no request tested has code.function.name (an attribute name, looked up on the entry span each log record belongs to (not the record)"), "{err}");
    // A point has no span status; a metric's name is no route.
    let (out, err, _) = otelgrep(&["metrics", "--where", "span_status=UNSET", "--format", "csv", demo]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(err.contains("no data point tested has span_status (a span's: a data point has none)"), "{err}");
    let (out, _, _) = otelgrep(&["metrics", "--where", "route exists", "--format", "csv", demo]);
    assert_eq!(out.lines().count(), 1, "{out}");
    // A key some span has, matching none: nothing to say about the key.
    let (_, err, _) =
        otelgrep(&["latency", "--by", "name", "--where", "rpc.service=nothing.such", "--format", "csv", demo]);
    assert!(!err.contains("--where"), "{err}");
}

fn common_rows(args: &[&str]) -> Vec<Value> {
    let (out, err, code) = otelgrep(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}
