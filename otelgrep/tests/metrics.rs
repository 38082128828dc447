//! `otelgrep metrics`: counters as deltas that add up, histograms whose estimates lie in their
//! buckets, for Python (cumulative) and Rust (cumulative and delta) exports.

mod common;

use std::collections::BTreeMap;

use common::{json_rows, otelgrep, sample};
use serde_json::Value;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn every_metric_is_listed() {
    let rows = json_rows(&["metrics", sample("python-flask/flask-default.log").to_str().unwrap()]);
    let names: Vec<&str> = rows.iter().map(|r| r["metric"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["flask_app_requests_total", "flask_app_tasks_total", "http.server.active_requests", "http.server.duration"]
    );
    let duration = &rows[3];
    assert_eq!((duration["kind"].as_str(), duration["unit"].as_str()), (Some("histogram"), Some("ms")));
    assert_eq!(duration["temporality"], "cumulative");
}

#[test]
fn cumulative_counter_deltas_add_up_to_the_final_value() {
    for (capture, metric) in [
        ("python-flask/flask-default.log", "flask_app_requests_total"),
        ("todo/todo-default.log", "todo_app_requests_total"),
        ("todo/todo-default.log", "todo_app_tasks_total"),
    ] {
        let rows = json_rows(&["metrics", metric, sample(capture).to_str().unwrap()]);
        let mut by_series: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
        for r in &rows {
            by_series.entry(r["series"].as_str().unwrap()).or_default().push(r);
        }
        assert!(!by_series.is_empty());
        for (series, steps) in by_series {
            let deltas: f64 = steps.iter().map(|r| num(&r["delta"])).sum();
            let last = num(&steps.last().unwrap()["value"]);
            assert_eq!(deltas, last, "{capture} {metric} {series}");
            assert!(steps.iter().all(|r| num(&r["delta"]) >= 0.0));
            assert!(steps.iter().all(|r| num(&r["rate_per_s"]) >= 0.0));
        }
    }
}

#[test]
fn delta_counters_are_taken_as_they_are() {
    // The Rust demo app's delta export: todo.http.requests counts every request, one per SERVER span.
    let path = sample("rust-stdout/rust-stdout-interleaved.log");
    let rows = json_rows(&["metrics", "todo.http.requests", path.to_str().unwrap()]);
    assert!(rows.iter().all(|r| r["delta"] == r["value"]));
    let total: f64 = rows.iter().map(|r| num(&r["delta"])).sum();
    let servers = json_rows(&["spans", "--kind", "server", path.to_str().unwrap()]).len();
    assert_eq!(total, servers as f64);
    // --every regroups without losing any.
    let minute = json_rows(&["metrics", "todo.http.requests", "--every", "1m", path.to_str().unwrap()]);
    assert_eq!(minute.iter().map(|r| num(&r["delta"])).sum::<f64>(), total);
}

#[test]
fn counter_resets_are_never_negative() {
    // Two runs of one app in one file: the second run's counters start again.
    let one = std::fs::read_to_string(sample("todo/todo-default.log")).unwrap();
    let two = std::fs::read_to_string(sample("todo/todo-http-dup.log")).unwrap();
    let dir = common::Scratch::new("reset");
    let both = dir.file("two-runs.log", &format!("{one}{two}"));
    let rows = json_rows(&["metrics", "todo_app_tasks_total", &both]);
    assert!(rows.iter().all(|r| num(&r["delta"]) >= 0.0), "{rows:?}");
    let total: f64 = rows.iter().map(|r| num(&r["delta"])).sum();
    let last_value = |p: std::path::PathBuf| {
        let r = json_rows(&["metrics", "todo_app_tasks_total", p.to_str().unwrap()]);
        num(&r.last().unwrap()["value"])
    };
    let finals = last_value(sample("todo/todo-default.log")) + last_value(sample("todo/todo-http-dup.log"));
    assert_eq!(total, finals, "each run's deltas add up to its own final value");
}

/// The estimate must lie inside the bucket holding its rank (the Prometheus rule).
fn check_estimates(rows: &[Value]) -> usize {
    let mut checked = 0;
    for r in rows {
        let count = r["count"].as_u64().unwrap();
        if count == 0 {
            continue;
        }
        let bounds: Vec<(f64, f64)> = r["bucket_bounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let (lo, hi) = b.as_str().unwrap().split_once("..").unwrap();
                (lo.parse().unwrap(), hi.parse().unwrap())
            })
            .collect();
        let counts: Vec<u64> = r["bucket_counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect();
        assert_eq!(counts.iter().sum::<u64>(), count, "{r}");
        for (q, key) in [(0.5, "p50_est"), (0.9, "p90_est"), (0.99, "p99_est")] {
            let est = num(&r[key]);
            let rank = q * count as f64;
            let mut seen = 0;
            let bucket = counts.iter().position(|c| {
                seen += c;
                *c > 0 && seen as f64 >= rank
            });
            let (lo, hi) = bounds[bucket.unwrap()];
            let lo = if lo.is_finite() { lo } else { f64::MIN };
            let hi = if hi.is_finite() { hi } else { f64::MAX };
            assert!(lo <= est && est <= hi, "{key} {est} outside ({lo}, {hi}]: {r}");
            checked += 1;
        }
        assert!(num(&r["p50_est"]) <= num(&r["p90_est"]) && num(&r["p90_est"]) <= num(&r["p99_est"]));
    }
    checked
}

#[test]
fn histogram_estimates_lie_in_their_buckets_and_counts_add_up() {
    for (capture, metric, requests) in [
        ("python-flask/flask-default.log", "http.server.duration", 74),
        ("todo/todo-default.log", "http.server.duration", 400),
        ("rust-stdout/rust-stdout-interleaved.log", "http.server.request.duration", 40),
    ] {
        let rows = json_rows(&["metrics", metric, sample(capture).to_str().unwrap()]);
        assert!(check_estimates(&rows) > 0, "{capture}");
        // Per-interval counts add up to every request the capture's metrics saw.
        let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
        assert_eq!(total, requests, "{capture}");
    }
}

#[test]
fn compare_spans_puts_estimates_beside_exact_percentiles() {
    let path = sample("todo/todo-default.log");
    let rows = json_rows(&["metrics", "http.server.duration", "--compare-spans", path.to_str().unwrap()]);
    let exact = json_rows(&["latency", "--by", "route", "--percentiles", "50,90,99", path.to_str().unwrap()]);
    // Every request is in both, grouped alike: unmatched routes (404, 405) under `(none)`.
    for r in &rows {
        assert_eq!(r["metric_count"], r["spans"], "{r}");
    }
    assert_eq!(rows.iter().map(|r| r["spans"].as_u64().unwrap()).sum::<u64>(), 400);
    let root = rows.iter().find(|r| r["http.target"] == "/").unwrap();
    let spans = exact.iter().find(|r| r["route"] == "/").unwrap();
    assert_eq!(root["spans"], spans["count"]);
    assert_eq!(root["metric_count"], spans["count"], "the metric counted every request the spans did");
    for p in ["p50", "p90", "p99"] {
        assert_eq!(root[p], spans[p], "{p}: exact from spans, as latency computes it");
        assert!(root[format!("{p}_est")].is_number());
    }
    let (out, _, _) = otelgrep(&["metrics", "http.server.duration", "--compare-spans", path.to_str().unwrap()]);
    assert!(out.contains("estimated from the buckets"), "{out}");
    let (_, err, code) = otelgrep(&["metrics", "todo_app_tasks_total", "--compare-spans", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a histogram"), "{err}");
}

#[test]
fn filters_apply_to_points_and_a_window_keeps_true_deltas() {
    let path = sample("todo/todo-default.log");
    let path = path.to_str().unwrap();
    let all = json_rows(&["metrics", "todo_app_requests_total", "--where", "endpoint=tasks_index", path]);
    assert!(all.len() > 2 && all.iter().all(|r| r["series"].as_str().unwrap().contains("endpoint=tasks_index")));
    // From the second export on: its delta is still against the first, not the whole count.
    let since = all[1]["time"].as_str().unwrap();
    let window =
        json_rows(&["metrics", "todo_app_requests_total", "--where", "endpoint=tasks_index", "--since", since, path]);
    assert_eq!(window.len(), all.len() - 1);
    assert_eq!(window[0]["delta"], all[1]["delta"]);
    assert_eq!(num(&window[0]["delta"]), num(&all[1]["value"]) - num(&all[0]["value"]));
    // The same window of histograms, compared with the spans of the same window: a window that
    // starts at an export time holds whole export intervals, so both count the same requests.
    let cmp = json_rows(&["metrics", "http.server.duration", "--compare-spans", "--since", since, path]);
    for r in &cmp {
        assert_eq!(r["metric_count"], r["spans"], "{r}");
    }
}

#[test]
fn go_delta_and_cumulative_exports() {
    // The Go fixture (exporters' own test layouts): two exports, 10 s apart.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/go-stdoutmetric-stdoutlog.log");
    let path = path.to_str().unwrap();
    let requests = json_rows(&["metrics", "requests", path]);
    assert_eq!(requests.iter().map(|r| num(&r["delta"])).collect::<Vec<_>>(), [5.0, 3.0]);
    assert_eq!(requests.iter().map(|r| num(&r["rate_per_s"])).collect::<Vec<_>>(), [0.5, 0.3]);
    let cpu = json_rows(&["metrics", "system.cpu.time", path]);
    assert_eq!(cpu.iter().map(|r| num(&r["delta"])).collect::<Vec<_>>(), [0.5, 0.75]);
    let latency = json_rows(&["metrics", "latency", path]);
    assert_eq!(check_estimates(&latency), 6);
    // Scale 1: base √2, bucket 4 is (4, 4√2].
    assert!(latency[0]["bucket_bounds"][0].as_str().unwrap().starts_with("0..0"));
    assert_eq!(latency[0]["bucket_bounds"][1], "4..5.656854249492381");
}

/// Buckets narrower than the export interval hold one export each: its rate is the export's own
/// (the delta over the time the export covers), never the delta over the bucket's width.
#[test]
fn narrow_buckets_keep_the_exports_rates() {
    let path = sample("todo/todo-default.log");
    let path = path.to_str().unwrap();
    let rates = |extra: &[&str]| -> Vec<(String, f64, f64)> {
        let mut args = vec!["metrics", "todo_app_requests_total"];
        args.extend(extra);
        args.push(path);
        json_rows(&args)
            .iter()
            .filter(|r| !r["rate_per_s"].is_null())
            .map(|r| (r["series"].as_str().unwrap().to_string(), num(&r["delta"]), num(&r["rate_per_s"])))
            .collect()
    };
    let exports = rates(&[]);
    let bucketed = rates(&["--every", "100ms"]);
    assert!(exports.len() > 4);
    assert_eq!(bucketed, exports);
    // One bucket over the whole run: the deltas over the time they cover.
    let whole = json_rows(&["metrics", "todo_app_requests_total", "--every", "1h", path]);
    let each = json_rows(&["metrics", "todo_app_requests_total", path]);
    for r in &whole {
        let series = r["series"].as_str().unwrap();
        let covered: f64 = each.iter().filter(|e| e["series"] == series).map(|e| num(&e["interval_s"])).sum();
        assert!((num(&r["interval_s"]) - covered).abs() < 1e-9, "{series}: {r}");
        assert!((num(&r["rate_per_s"]) - num(&r["delta"]) / covered).abs() < 1e-9, "{series}");
    }
}

/// A point's own attribute named like a span key (`kind`) is compared as typed, whatever it
/// holds; the span keys mean nothing on a point.
#[test]
fn a_point_attribute_named_like_a_span_key_is_the_points() {
    let dir = common::Scratch::new("kind-attribute");
    let point = |kind: &str, v: u32| {
        format!(
            r#"{{"attributes":[{{"key":"kind","value":{{"stringValue":"{kind}"}}}}],"timeUnixNano":"2000","asInt":"{v}"}}"#
        )
    };
    let line = format!(
        r#"{{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{{"name":"cache.size","gauge":{{"dataPoints":[{},{},{}]}}}}]}}]}}]}}"#,
        point("cache", 1),
        point("Cache", 2),
        point("server", 3)
    );
    let file = dir.file("kind.jsonl", &(line + "\n"));
    let values = |expr: &str| -> Vec<String> {
        let mut v: Vec<String> = json_rows(&["metrics", "cache.size", "--where", expr, &file])
            .iter()
            .map(|r| r["value"].to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(values("kind=cache"), ["1"]);
    assert_eq!(values("kind=server"), ["3"]);
    assert_eq!(values("kind~^[cC]"), ["1", "2"]);
    // On spans, `kind=cache` is a typo: an argument error naming the kinds.
    let (_, err, code) = otelgrep(&["spans", "--where", "kind=cache", &file]);
    assert_eq!(code, 2);
    assert!(err.contains("kind is one of SERVER, CLIENT, INTERNAL, PRODUCER, CONSUMER, UNSPECIFIED"), "{err}");
}

/// One name counted by two libraries of one service with the same attributes is two series: each
/// label says its scope (both read `service.name=svc, route=/`), and a series of one scope only
/// keeps its plain label.
#[test]
fn series_told_apart_only_by_their_scope_say_it() {
    let dir = common::Scratch::new("two-scopes");
    let point = |v: u32| {
        format!(
            r#"{{"attributes":[{{"key":"route","value":{{"stringValue":"/"}}}}],"startTimeUnixNano":"1000000000","timeUnixNano":"2000000000","asInt":"{v}"}}"#
        )
    };
    let metric = |name: &str, points: &str| {
        format!(
            r#"{{"name":"{name}","sum":{{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{points}]}}}}"#
        )
    };
    let line = format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeMetrics":[{{"scope":{{"name":"lib-a","version":"1.0"}},"metrics":[{},{}]}},{{"scope":{{"name":"lib-b"}},"metrics":[{}]}}]}}]}}"#,
        metric("requests", &point(5)),
        metric("only-a", &point(3)),
        metric("requests", &point(7))
    );
    let path = dir.file("two-scopes.jsonl", &(line + "\n"));
    let rows = json_rows(&["metrics", "requests", &path]);
    let series: Vec<(&str, f64)> = rows.iter().map(|r| (r["series"].as_str().unwrap(), num(&r["value"]))).collect();
    assert_eq!(
        series,
        [("service.name=svc, route=/, scope=lib-a@1.0", 5.0), ("service.name=svc, route=/, scope=lib-b", 7.0)]
    );
    let rows = json_rows(&["metrics", "only-a", &path]);
    assert_eq!(rows[0]["series"], "service.name=svc, route=/");
}

/// A metric name printed with two kinds (opentelemetry-stdout's histogram in one run, an
/// exponential histogram in another) is listed with its earliest point's kind and unit, whatever
/// order the captures come in (an export's rows are in no capture's order).
#[test]
fn a_metric_of_two_kinds_is_listed_by_its_earliest_point_in_any_order() {
    let scratch = common::Scratch::new("metrics-two-kinds");
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/rust-stdout/");
    let (plain, interleaved) = (
        std::fs::read_to_string(format!("{shared}rust-stdout.log")).unwrap(),
        std::fs::read_to_string(format!("{shared}rust-stdout-interleaved.log")).unwrap(),
    );
    let kind = |text: String, name: &str| {
        let rows = json_rows(&["metrics", &scratch.file(name, &text)]);
        let row = rows.iter().find(|r| r["metric"] == "http.server.request.duration").unwrap();
        (row["kind"].clone(), row["temporality"].clone())
    };
    let first = kind(format!("{plain}{interleaved}"), "plain-first.log");
    assert_eq!(first, kind(format!("{interleaved}{plain}"), "interleaved-first.log"));
    // The plain run's histogram came first (23:35:49, the interleaved run 23:36:01); both runs'
    // temporalities are listed.
    assert_eq!(first, (Value::from("histogram"), Value::from("cumulative, delta")));
}
