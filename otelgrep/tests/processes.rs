//! Several processes in one capture. `samples/todo/todo-two-processes.log`: two `todo` processes
//! (`service.instance.id` todo-a and todo-b) writing to one pipe, both driven at once, then todo-a
//! restarted under the same id (its counters start again from zero). The truth is the driver's
//! record (`todo-two-processes.requests.tsv`, with the instance that served each request) and,
//! for records per process, a count of the capture's own lines; never otelgrep.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Scratch, json_rows, otelgrep, sample};
use serde_json::Value;

const CAPTURE: &str = "todo/todo-two-processes.log";

/// (instance, method, path without the query, status, note) per request the driver sent.
fn driver() -> Vec<(String, String, String, u16, String)> {
    let tsv = std::fs::read_to_string(sample("todo/todo-two-processes.requests.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let path = f[2].split('?').next().unwrap().to_string();
            (f[6].to_string(), f[1].to_string(), path, f[3].parse().unwrap(), f[5].to_string())
        })
        .collect()
}

/// The handler a request reached, as `todo_app_requests_total{endpoint}` counts it: the body limit
/// (413) and the form extractor (a missing field) turn requests away before the handler.
fn endpoint(method: &str, path: &str, status: u16, note: &str) -> Option<&'static str> {
    match (method, path) {
        ("GET" | "HEAD", "/") => Some("tasks_index"),
        ("POST", "/add") if status != 413 && note != "400-missing-field" => Some("tasks_create"),
        ("POST", p) if p.starts_with("/delete/") => Some("tasks_delete"),
        _ => None,
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn each_process_counter_is_differenced_on_its_own_and_the_totals_are_what_each_served() {
    let mut want: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (instance, method, path, status, note) in driver() {
        if let Some(e) = endpoint(&method, &path, status, &note) {
            *want.entry((instance, e.to_string())).or_default() += 1.0;
        }
    }
    let rows = json_rows(&["metrics", "todo_app_requests_total", sample(CAPTURE).to_str().unwrap()]);
    let mut got: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in &rows {
        // The resource attribute that tells the processes apart has a column of its own.
        let instance = r["service.instance.id"].as_str().unwrap().to_string();
        let series = r["series"].as_str().unwrap();
        let endpoint = series.split("endpoint=").nth(1).unwrap().to_string();
        let delta = num(&r["delta"]);
        assert!(delta >= 0.0, "{r}");
        *got.entry((instance, endpoint)).or_default() += delta;
    }
    assert_eq!(got, want);
    // The table's footer adds the series up.
    let (out, _, _) = otelgrep(&["metrics", "todo_app_requests_total", sample(CAPTURE).to_str().unwrap()]);
    let total: f64 = want.values().sum();
    assert!(out.contains(&format!("; {total} in all, 6 series")), "{out}");
    // One process's series alone, by a resource attribute.
    let b = json_rows(&[
        "metrics",
        "todo_app_requests_total",
        "--where",
        "service.instance.id=todo-b",
        sample(CAPTURE).to_str().unwrap(),
    ]);
    let b_total: f64 = b.iter().map(|r| num(&r["delta"])).sum();
    let b_want: f64 = want.iter().filter(|((i, _), _)| i == "todo-b").map(|(_, n)| n).sum();
    assert_eq!(b_total, b_want);
}

#[test]
fn the_restarted_process_starts_a_new_run_of_the_same_series() {
    // todo-a's index counter: the first run's exports climb, then the restart's first export is
    // below the last one and counts whole (a reset, never a negative delta).
    let rows = json_rows(&[
        "metrics",
        "todo_app_requests_total",
        "--where",
        "service.instance.id=todo-a",
        "--where",
        "endpoint=tasks_index",
        sample(CAPTURE).to_str().unwrap(),
    ]);
    let values: Vec<f64> = rows.iter().map(|r| num(&r["value"])).collect();
    let resets = values.windows(2).filter(|w| w[1] < w[0]).count();
    assert_eq!(resets, 1, "{values:?}");
    let served =
        driver().iter().filter(|(i, m, p, s, n)| i == "todo-a" && endpoint(m, p, *s, n) == Some("tasks_index")).count();
    assert_eq!(rows.iter().map(|r| num(&r["delta"])).sum::<f64>(), served as f64);
}

#[test]
fn requests_split_by_instance_as_the_processes_served_them() {
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for (instance, ..) in driver() {
        *want.entry(instance).or_default() += 1;
    }
    for key in ["service.instance.id", "resource.service.instance.id"] {
        let rows = json_rows(&["latency", "--by", key, sample(CAPTURE).to_str().unwrap()]);
        let got: BTreeMap<String, u64> =
            rows.iter().map(|r| (r[key].as_str().unwrap().to_string(), r["count"].as_u64().unwrap())).collect();
        assert_eq!(got, want, "--by {key}");
    }
    let b = json_rows(&["urls", "--where", "service.instance.id=todo-b", sample(CAPTURE).to_str().unwrap()]);
    assert_eq!(b.iter().map(|r| r["count"].as_u64().unwrap()).sum::<u64>(), want["todo-b"]);
    // The histogram's counts per route equal the spans', over both processes and both runs.
    let cmp = json_rows(&["metrics", "http.server.duration", "--compare-spans", sample(CAPTURE).to_str().unwrap()]);
    assert!(!cmp.is_empty());
    for r in &cmp {
        assert_eq!(r["metric_count"], r["spans"], "{r}");
    }
}

/// Spans, log records and data points per instance, counted on the capture's own lines: every
/// block of this capture names its resource.
fn lines_per_instance() -> BTreeMap<String, [usize; 3]> {
    let text = std::fs::read_to_string(sample(CAPTURE)).unwrap();
    let mut out: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut instance = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("\t ->  service.instance.id=String(Owned(\"") {
            instance = rest.trim_end_matches("\"))").to_string();
        }
        let signal = if line.starts_with("Span #") {
            0
        } else if line.starts_with("Log #") {
            1
        } else if line.trim_start().starts_with("DataPoint #") {
            2
        } else {
            continue;
        };
        out.entry(instance.clone()).or_default()[signal] += 1;
    }
    out
}

#[test]
fn summary_lists_each_instance_with_its_records() {
    let (out, err, code) = otelgrep(&["summary", "--format", "json", sample(CAPTURE).to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let got: BTreeMap<String, [usize; 3]> = v["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["service"], "todo");
            let counts = ["spans", "log_records", "metric_points"].map(|k| i[k].as_u64().unwrap() as usize);
            (i["attributes"]["service.instance.id"].as_str().unwrap().to_string(), counts)
        })
        .collect();
    assert_eq!(got, lines_per_instance());
    let (table, _, _) = otelgrep(&["summary", sample(CAPTURE).to_str().unwrap()]);
    assert!(table.contains("todo (service.instance.id=todo-a)"), "{table}");
}

#[test]
fn two_runs_back_to_back_add_up_and_stay_apart() {
    // The same 400 requests served by two runs (two instance ids), one capture after the other.
    let scratch = Scratch::new("two-runs");
    let a = std::fs::read_to_string(sample("todo/todo-default.log")).unwrap();
    let b = std::fs::read_to_string(sample("todo/todo-http.log")).unwrap();
    let both = scratch.file("both.log", &format!("{a}{b}"));
    let total = |path: &str| -> f64 {
        json_rows(&["metrics", "todo_app_requests_total", path]).iter().map(|r| num(&r["delta"])).sum()
    };
    let (one, two) = (total(sample("todo/todo-default.log").to_str().unwrap()), total(&both));
    assert!(one > 0.0);
    assert_eq!(two, one + total(sample("todo/todo-http.log").to_str().unwrap()));
    let runs = json_rows(&["latency", "--by", "service.instance.id", &both]);
    assert_eq!(runs.iter().map(|r| r["count"].as_u64().unwrap()).collect::<Vec<_>>(), [400, 400]);
}

#[test]
fn blocks_without_their_resource_after_two_processes_printed_theirs_are_said() {
    // As a plain opentelemetry-stdout app prints it: the resource in each process's first Spans
    // and Logs blocks only. Once both processes have printed theirs, a block without one could be
    // either's: each of its records is counted and said, not silently given to the last one.
    let text = std::fs::read_to_string(sample(CAPTURE)).unwrap();
    let mut kept = String::new();
    let (mut seen, mut block, mut instance) = (BTreeSet::<(String, String)>::new(), String::new(), None);
    let mut printed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut dropping, mut want) = (false, 0);
    let mut resource: Vec<&str> = Vec::new();
    for line in text.lines() {
        if ["Spans", "Logs", "Metrics"].contains(&line) {
            block = line.to_string();
            instance = None;
        }
        if line == "Resource" {
            resource.clear();
            dropping = true;
        }
        if dropping && line != "Resource" && !line.starts_with("\t ->  ") && !line.starts_with("\tResource") {
            // The resource section ended: keep it only in a process's first block of the signal.
            dropping = false;
            let id = resource.iter().find_map(|l| l.strip_prefix("\t ->  service.instance.id=")).unwrap().to_string();
            if block == "Metrics" || seen.insert((block.clone(), id.clone())) {
                kept.push_str("Resource\n");
                resource.iter().for_each(|l| kept.push_str(&format!("{l}\n")));
                let ids = printed.entry(block.clone()).or_default();
                if !ids.contains(&id) {
                    ids.push(id.clone());
                }
                instance = Some(id);
            }
        }
        if dropping {
            if line != "Resource" {
                resource.push(line);
            }
            continue;
        }
        let starts = line.starts_with("Span #") || line.starts_with("Log #");
        if starts && instance.is_none() && printed.get(&block).is_some_and(|ids| ids.len() > 1) {
            want += 1;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    assert!(want > 0);
    let scratch = Scratch::new("unsaid-resource");
    let path = scratch.file("plain.log", &kept);
    let (out, err, code) = otelgrep(&["summary", "--format", "json", &path]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["unattributed_records"], want, "{err}");
    assert!(err.contains(&format!("{want} span(s) and log record(s) were printed without their Resource")), "{err}");
    // On standard input the note names it as the records' errors do.
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_otelgrep"))
        .args(["summary", "--format", "json", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&piped.stderr);
    assert!(err.contains(&format!("note: <stdin>: {want} span(s) and log record(s)")), "{err}");
}

#[test]
fn a_resource_section_ended_by_another_resource_line_was_printed_too() {
    // Two processes starting at once into one pipe: the second's `Resource` section right after
    // the first's, before any record. Both were printed, so the later Logs blocks (printed
    // without their Resource) could be either's: said, not given the second's silently (the
    // first section was dropped, and its records counted as attributed).
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/rust-stdout/rust-stdout.log");
    let text = std::fs::read_to_string(shared).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(&lines[..2], ["Logs", "Resource"]);
    let end = 2 + lines[2..].iter().take_while(|l| l.starts_with("\t ->  ")).count();
    let second: Vec<String> =
        lines[1..end].iter().map(|l| l.replace("Static(\"todo\")", "Static(\"todo-b\")")).collect();
    let mut both: Vec<String> = lines[..end].iter().map(|l| l.to_string()).collect();
    both.extend(second);
    both.extend(lines[end..].iter().map(|l| l.to_string()));
    // The truth, from the capture's lines: log records in Logs blocks after the first.
    let first_block_end = end + lines[end..].iter().position(|l| matches!(*l, "Spans" | "Logs" | "Metrics")).unwrap();
    let want = lines[first_block_end..].iter().filter(|l| l.starts_with("Log #")).count();
    assert!(want > 0);
    let scratch = Scratch::new("two-resource-sections");
    let path = scratch.file("both.log", &(both.join("\n") + "\n"));
    let (out, err, code) = otelgrep(&["summary", "--format", "json", &path]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["unattributed_records"], want, "{err}");
}

#[test]
fn a_cumulative_run_and_a_delta_run_in_one_file_add_up() {
    // The same app, once with cumulative and once with delta temporality, one capture after the
    // other: one series each (the resources are alike), each point read as its temporality says.
    let scratch = Scratch::new("mixed-temporality");
    let shared =
        |f: &str| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/rust-stdout").join(f);
    let (c, d) = (shared("rust-stdout.log"), shared("rust-stdout-interleaved.log"));
    let text = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let both = scratch.file("both.log", &format!("{}{}", text(&c), text(&d)));
    let total = |path: &str, metric: &str| -> f64 {
        let rows = json_rows(&["metrics", metric, path]);
        rows.iter().map(|r| r.get("delta").or(r.get("count")).map_or(0.0, num)).sum()
    };
    for metric in ["todo.http.requests", "todo.items.added", "http.server.request.duration"] {
        let (one, two) = (total(c.to_str().unwrap(), metric), total(d.to_str().unwrap(), metric));
        assert!(one > 0.0 && two > 0.0, "{metric}");
        assert_eq!(total(&both, metric), one + two, "{metric}");
    }
    let listing = json_rows(&["metrics", &both]);
    let requests = listing.iter().find(|m| m["metric"] == "todo.http.requests").unwrap();
    assert_eq!(requests["temporality"], "cumulative, delta");
}

/// A Collector killed in the middle of a tree, then a Rust app's capture appended: the tree ends
/// at the Rust block header (its record took every line after it: the whole Rust capture was 76
/// skipped records; found by a new-user check), and so at another zap entry.
#[test]
fn a_collector_tree_cut_short_ends_where_the_next_capture_begins() {
    let scratch = Scratch::new("cut-tree");
    let tree = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/collector-debug-detailed.log"),
    )
    .unwrap();
    let cut: String = tree.lines().take(10).map(|l| format!("{l}\n")).collect();
    let rust = std::fs::read_to_string(sample("../../shared/samples/rust-stdout/rust-stdout.log")).unwrap();
    let alone = scratch.0.join("rust.log");
    std::fs::write(&alone, &rust).unwrap();
    let after = scratch.0.join("after-cut-tree.log");
    std::fs::write(&after, format!("{cut}{rust}")).unwrap();
    let zap = scratch.0.join("zap-after-cut-tree.log");
    std::fs::write(
        &zap,
        format!(
            "{cut}2025-04-17T10:40:44.561+0200\tinfo\tservice@v0.124.0/service.go:289\tEverything is ready.\n{rust}"
        ),
    )
    .unwrap();
    let spans = |p: &std::path::Path| {
        let (out, err, _) = otelgrep(&["summary", "--format", "json", p.to_str().unwrap()]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        (v["spans"].as_u64().unwrap(), v["skipped_records"].as_u64().unwrap_or(0), err)
    };
    let (want, _, _) = spans(&alone);
    assert!(want > 50);
    for p in [&after, &zap] {
        let (got, skipped, err) = spans(p);
        // The cut tree's one span has no Trace ID: the only record skipped.
        assert_eq!((got, skipped), (want, 1), "{}: {err}", p.display());
    }
}
