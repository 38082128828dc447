//! Machine output keeps the data: JSON, NDJSON and CSV carry strings as they were written (JSON
//! escaping, CSV quoting, nothing else) and numbers as numbers; escaping for the terminal is the
//! table's alone, in one style. The truth is the captures' own text, read with serde_json (Python
//! and OTLP JSON) and Python's csv module, never with otelgrep.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Scratch, json_rows, otelgrep, python_objects, sample};
use serde_json::Value;

/// The real Python SDK's output (pretty and one record a line), with a body holding a line break,
/// a tab, a colour code, quotes and a comma.
fn sdk_captures(scratch: &Scratch) -> Vec<String> {
    let python = std::env::var("OTELGREP_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/python_sdk_capture.py");
    ["pretty", "compact"]
        .iter()
        .map(|layout| {
            let out = Command::new(&python).arg(&script).args((*layout == "compact").then_some("--compact")).output();
            let out = out.unwrap_or_else(|e| panic!("{python}: {e} (run the tests with `bash .ci/run`)"));
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            scratch.file(&format!("{layout}.txt"), &String::from_utf8(out.stdout).unwrap())
        })
        .collect()
}

/// Every log body of a Python capture, as the capture wrote it (serde_json over its objects).
fn python_bodies(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut objects = python_objects(&text);
    // One record a line: every line that is a JSON object.
    objects.extend(text.lines().filter(|l| l.starts_with("{\"")).filter_map(|l| serde_json::from_str::<Value>(l).ok()));
    let mut bodies: Vec<String> = objects
        .iter()
        .filter(|o| o.get("severity_number").is_some())
        .map(|o| o["body"].as_str().unwrap().to_string())
        .collect();
    bodies.sort();
    bodies
}

/// Every log body of an OTLP JSON lines capture.
fn otlp_bodies(path: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        for rl in v["resourceLogs"].as_array().unwrap() {
            for sl in rl["scopeLogs"].as_array().unwrap() {
                for r in sl["logRecords"].as_array().unwrap() {
                    bodies.push(r["body"]["stringValue"].as_str().unwrap().to_string());
                }
            }
        }
    }
    bodies.sort();
    bodies
}

/// A CSV document as JSON objects, read by Python's csv module.
fn read_csv(csv: &str) -> Vec<Value> {
    let python = std::env::var("OTELGREP_PYTHON").unwrap_or_else(|_| "python3".into());
    let code = "import csv, io, json, sys\n\
                print(json.dumps(list(csv.DictReader(io.TextIOWrapper(sys.stdin.buffer, newline='')))))";
    let mut child =
        Command::new(python).args(["-c", code]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(csv.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn log_bodies_in_every_data_format_are_what_the_capture_holds() {
    let scratch = Scratch::new("bodies");
    let mut cases: Vec<(String, Vec<String>)> =
        sdk_captures(&scratch).into_iter().map(|f| (f.clone(), python_bodies(&f))).collect();
    for f in ["python-flask/flask-default.log", "python-flask/flask-merged-stderr.log"] {
        let path = sample(f).to_str().unwrap().to_string();
        cases.push((path.clone(), python_bodies(&path)));
    }
    let otlp = sample("otlp-json/js-otlp-http-json_logs.jsonl").to_str().unwrap().to_string();
    cases.push((otlp.clone(), otlp_bodies(&otlp)));
    for (path, want) in cases {
        assert!(!want.is_empty(), "{path}");
        let json: Vec<String> =
            json_rows(&["logs", &path]).iter().map(|r| r["body"].as_str().unwrap().into()).collect();
        assert_eq!(sorted(json), want, "{path}: --format json");
        let (nd, _, _) = otelgrep(&["logs", "--format", "ndjson", &path]);
        let nd: Vec<String> = nd
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["body"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(sorted(nd), want, "{path}: --format ndjson");
        let (csv, _, _) = otelgrep(&["logs", "--format", "csv", &path]);
        let csv: Vec<String> = read_csv(&csv).iter().map(|r| r["body"].as_str().unwrap().to_string()).collect();
        assert_eq!(sorted(csv), want, "{path}: --format csv");
    }
}

#[test]
fn tables_escape_control_characters_in_one_style() {
    let scratch = Scratch::new("table-escapes");
    let file = &sdk_captures(&scratch)[1];
    let (table, _, _) = otelgrep(&["logs", "--level", "error", file]);
    // On one line, in the default view; every escape in the same style.
    assert!(table.contains(r#"line one\nline two\ttabbed \u{1b}[32mgreen\u{1b}[0m "quoted", ✓"#), "{table}");
    let (full, _, _) = otelgrep(&["logs", "--level", "error", "--full", file]);
    assert!(full.contains(r"line two\ttabbed \u{1b}[32m"), "{full}");
    assert!(!full.contains(r"\u{9}") && !full.contains('\u{1b}'), "{full}");
}

#[test]
fn numbers_are_numbers_in_json_and_statuses_are_numbers_too() {
    let path = sample("todo/todo-default.log");
    let path = path.to_str().unwrap();
    let spans = json_rows(&["spans", "--kind", "server", path]);
    assert!(!spans.is_empty());
    for r in &spans {
        assert!(r["duration"].is_f64(), "{r}");
        assert!(r["status"].is_u64(), "{r}");
    }
    let logs = json_rows(&["logs", path]);
    assert!(logs.iter().any(|r| r["status"].is_u64()));
    assert!(logs.iter().all(|r| r["status"].is_u64() || r["status"].is_null()));
    let by_status = json_rows(&["latency", "--by", "status", path]);
    assert!(
        by_status.iter().all(|r| r["status"].is_u64() && r["count"].is_u64() && r["p50"].is_f64()),
        "{by_status:?}"
    );
    let (out, _, _) = otelgrep(&["trace", "--slowest", "--format", "json", path]);
    let trace: Value = serde_json::from_str(&out).unwrap();
    let root = &trace["spans"][0];
    assert!(root["status"].is_u64() && root["duration_ms"].is_f64(), "{root}");
    // CSV: a status is written as the number it is.
    let (csv, _, _) = otelgrep(&["latency", "--by", "status", "--format", "csv", path]);
    assert!(csv.lines().nth(1).unwrap().split(',').next().unwrap().parse::<u16>().is_ok(), "{csv}");
}

#[test]
fn equal_counts_sort_in_natural_order() {
    let rows = json_rows(&["urls", sample("todo/todo-default.log").to_str().unwrap()]);
    let ones: Vec<&str> = rows
        .iter()
        .filter(|r| r["count"] == 1)
        .map(|r| r["url"].as_str().unwrap())
        .filter(|u| u.contains("/delete/"))
        .collect();
    let ids: Vec<u64> = ones.iter().filter_map(|u| u.rsplit('/').next().unwrap().parse().ok()).collect();
    assert!(ids.len() > 3 && ids.windows(2).all(|w| w[0] < w[1]), "{ones:?}");
}

#[test]
fn a_time_window_outside_the_capture_says_what_it_covers() {
    let (out, err, code) =
        otelgrep(&["latency", "--since", "2030-01-01T00:00:00Z", sample("todo/todo-default.log").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("0 requests"), "{out}");
    assert!(
        err.contains("nothing since 2030-01-01T00:00:00.000000Z: the input covers 2026-11-28T01:09:17.96"),
        "{err}"
    );
}

#[test]
fn metrics_footers_name_a_unit_only_when_there_is_one() {
    let (out, _, _) =
        otelgrep(&["metrics", "todo_app_requests_total", sample("todo/todo-default.log").to_str().unwrap()]);
    let footer = out.lines().last().unwrap();
    assert!(!footer.contains("unit"), "{footer}");
    let (out, _, _) = otelgrep(&["metrics", "http.server.duration", sample("todo/todo-default.log").to_str().unwrap()]);
    assert!(out.lines().last().unwrap().ends_with("; unit ms"), "{out}");
}

#[test]
fn tables_into_a_pipe_take_their_width_from_columns() {
    let path = sample("todo/todo-default.log");
    let run = |columns: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_otelgrep"));
        c.args(["logs", "--top", "5", path.to_str().unwrap()]).env("NO_COLOR", "1").env_remove("COLUMNS");
        if let Some(w) = columns {
            c.env("COLUMNS", w);
        }
        let out = String::from_utf8(c.output().unwrap().stdout).unwrap();
        out.lines().map(|l| l.chars().count()).max().unwrap()
    };
    let (wide, narrow) = (run(None), run(Some("160")));
    assert!(wide > 200, "{wide}");
    assert!(narrow <= 200 && narrow < wide, "{narrow}");
}

#[test]
fn a_points_own_attribute_named_like_an_alias_is_what_metrics_where_tests() {
    // The SDK capture's counter `requests` has an attribute `route` (not `http.route`).
    let scratch = Scratch::new("metrics-where");
    let file = &sdk_captures(&scratch)[0];
    let rows = json_rows(&["metrics", "requests", "--where", "route=/", file]);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["series"].as_str().unwrap().contains("route=/")), "{rows:?}");
    assert!(json_rows(&["metrics", "requests", "--where", "route=/elsewhere", file]).is_empty());
}

#[test]
fn an_unknown_metric_is_an_error_naming_the_ones_there_are() {
    let (_, err, code) =
        otelgrep(&["metrics", "http.server.durations", sample("todo/todo-default.log").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no metric named http.server.durations in the input; similar ones: http.server.active_requests, http.server.duration"),
        "{err}"
    );
}

#[test]
fn every_table_shows_captured_text_on_one_line_escaped() {
    // A span whose name, route and resource hold a line break, a tab, a colour and a line separator.
    let scratch = Scratch::new("escapes");
    let nasty = "GET\n/x\t\u{1b}[31mred\u{2028}";
    let attr = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let doc = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [attr("service.name", "svc\tone"), attr("host.name", nasty)]},
        "scopeSpans": [{"spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": nasty, "kind": 2,
            "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000500000000",
            "attributes": [attr("http.route", nasty), attr("url.full", &format!("http://x/{nasty}"))]
        }]}]
    }]});
    let file = scratch.file("nasty.jsonl", &format!("{doc}\n"));
    for args in [
        vec!["spans", "--columns", "host.name"],
        vec!["urls"],
        vec!["latency", "--by", "route,host.name"],
        vec!["summary"],
        vec!["trace", "--slowest"],
    ] {
        let mut all = args.clone();
        all.push(&file);
        let (out, _, code) = otelgrep(&all);
        assert_eq!(code, 0, "{args:?}");
        assert!(!out.contains('\u{1b}') && !out.contains('\t') && !out.contains('\u{2028}'), "{args:?}: {out}");
        assert!(!out.lines().any(|l| l.trim_start_matches(['│', ' ']).starts_with("/x")), "{args:?}: {out}");
    }
    // Data formats keep it whole.
    let rows = json_rows(&["spans", "--columns", "host.name", &file]);
    assert_eq!((rows[0]["name"].as_str(), rows[0]["host.name"].as_str()), (Some(nasty), Some(nasty)));
}

#[test]
fn a_window_inside_the_capture_that_holds_nothing_says_what_it_covers_and_dates_are_times() {
    let path = sample("todo/todo-default.log");
    let (out, err, _) = otelgrep(&[
        "spans",
        "--since",
        "2026-11-28T01:09:18.0001Z",
        "--until",
        "2026-11-28T01:09:18.0002Z",
        path.to_str().unwrap(),
    ]);
    assert!(out.contains("0 spans"), "{out}");
    assert!(
        err.contains("nothing between 2026-11-28T01:09:18.000100Z and 2026-11-28T01:09:18.000200Z: the input covers"),
        "{err}"
    );
    // A date is its midnight, UTC: the whole capture is on 2026-11-28.
    let (out, _, code) = otelgrep(&["spans", "--since", "2026-11-28", "--until", "2026-11-29", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("1150 spans"), "{out}");
}

#[test]
fn urls_in_data_formats_give_statuses_as_counts_and_no_placeholder() {
    let rows = json_rows(&["urls", sample("todo/todo-default.log").to_str().unwrap()]);
    let root = rows.iter().find(|r| r["url"].as_str().is_some_and(|u| u.ends_with(":33207/"))).unwrap();
    assert_eq!(root["statuses"], serde_json::json!({"200": 262}));
    assert_eq!(root["methods"], serde_json::json!(["GET", "HEAD"]));
}
