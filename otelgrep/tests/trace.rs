//! `otelgrep trace`: the tree of a request that failed, exactly as the terminal shows it, built
//! the same whatever order the spans were exported in, with orphans marked.

mod common;

use std::collections::HashMap;

use common::{Scratch, json_rows, otelgrep, python_objects, sample};
use serde_json::Value;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trace").join(name))
        .unwrap()
}

#[test]
fn a_failed_request_with_its_exception_and_logs() {
    // Fixtures checked line by line against the captures (see fixtures/README.md).
    for (id, capture, expected) in [
        ("ba2b404d05ce3cf7b4929117f57811f3", "python-flask/flask-default.log", "flask-500.txt"),
        ("d074d4392e13730174f7c5e094ea216d", "todo/todo-default.log", "todo-500.txt"),
    ] {
        let (out, err, code) = otelgrep(&["trace", id, sample(capture).to_str().unwrap()]);
        assert_eq!((code, err.as_str()), (0, ""), "{capture}");
        assert_eq!(out, fixture(expected), "{capture}");
        // A prefix of the id is enough.
        let (short, _, _) = otelgrep(&["trace", &id[..10], sample(capture).to_str().unwrap()]);
        assert_eq!(short, out);
    }
}

#[test]
fn the_tree_follows_the_parent_ids_of_the_capture() {
    // Independently of otelgrep: the capture's own parent ids, read with serde_json.
    let text = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    let objects = python_objects(&text);
    let id = "ba2b404d05ce3cf7b4929117f57811f3";
    let spans: Vec<&Value> = objects
        .iter()
        .filter(|o| o.get("kind").is_some() && o["context"]["trace_id"].as_str() == Some(&format!("0x{id}")))
        .collect();
    let parent: HashMap<String, Option<String>> = spans
        .iter()
        .map(|s| {
            let me = s["context"]["span_id"].as_str().unwrap()[2..].to_string();
            (me, s["parent_id"].as_str().map(|p| p[2..].to_string()))
        })
        .collect();
    let path = sample("python-flask/flask-default.log");
    let (out, _, _) = otelgrep(&["trace", id, "--format", "json", path.to_str().unwrap()]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let rows = doc["spans"].as_array().unwrap();
    assert_eq!(rows.len(), spans.len());
    let depth: HashMap<&str, u64> =
        rows.iter().map(|r| (r["span_id"].as_str().unwrap(), r["depth"].as_u64().unwrap())).collect();
    for r in rows {
        let me = r["span_id"].as_str().unwrap();
        match &parent[me] {
            None => assert_eq!(r["depth"], 0),
            Some(p) => assert_eq!(depth[me], depth[p.as_str()] + 1, "{me} under {p}"),
        }
    }
    // The exception event and the ERROR log sit with the spans that recorded them.
    assert!(rows.iter().all(|r| r["events"][0]["name"] == "exception"));
    assert_eq!(rows[0]["logs"][0]["severity"], "ERROR");
}

#[test]
fn export_order_does_not_matter_and_orphans_are_marked() {
    let text = std::fs::read_to_string(sample("python-flask/flask-default.log")).unwrap();
    let id = "ba2b404d05ce3cf7b4929117f57811f3";
    let mut records: Vec<&str> = text.split_inclusive("\n}\n").collect();
    records.reverse();
    let dir = Scratch::new("trace");
    let reversed = dir.file("reversed.log", &records.concat());
    let (out, _, code) = otelgrep(&["trace", id, &reversed]);
    assert_eq!(code, 0);
    assert_eq!(out, fixture("flask-500.txt"), "reversed records, same tree");
    // Without the SERVER span, its child is a root, marked as such.
    let without: String = text
        .split_inclusive("\n}\n")
        .filter(|r| !(r.contains(&format!("0x{id}")) && r.contains("SpanKind.SERVER")))
        .collect();
    let orphaned = dir.file("orphaned.log", &without);
    let (out, _, _) = otelgrep(&["trace", id, &orphaned]);
    let first_span = out.lines().nth(3).unwrap();
    assert!(first_span.contains("INTERNAL deleting_task") && first_span.contains("not in the capture]"), "{out}");
    // The ERROR log whose span is gone is still shown, apart.
    assert!(out.contains("log records of this trace whose span is not in the capture:"), "{out}");
}

#[test]
fn slowest_shows_the_longest_request() {
    for capture in ["python-flask/flask-default.log", "todo/todo-default.log"] {
        let path = sample(capture);
        let path = path.to_str().unwrap();
        let longest = json_rows(&["spans", "--kind", "entry", "--slowest", "1", path]);
        let (out, _, code) = otelgrep(&["trace", "--slowest", "--format", "json", path]);
        assert_eq!(code, 0);
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["trace_id"], longest[0]["trace_id"], "{capture}");
    }
}

#[test]
fn unknown_and_ambiguous_ids_say_so() {
    let path = sample("todo/todo-default.log");
    let (_, err, code) = otelgrep(&["trace", "00000000deadbeef", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no span or log record of trace 00000000deadbeef"), "{err}");
    // What the input holds instead: how many traces, and the ids nearest the one given.
    let traces: std::collections::BTreeSet<String> = json_rows(&["spans", "--kind", "all", path.to_str().unwrap()])
        .iter()
        .map(|r| r["trace_id"].as_str().unwrap().to_string())
        .collect();
    assert!(err.contains(&format!("which holds {} traces; the closest: ", traces.len())), "{err}");
    // An id one digit off from a real one is the first named.
    let real = traces.iter().next().unwrap();
    let off = format!("{}{}", &real[..31], if real.ends_with('0') { '1' } else { '0' });
    let (_, err, _) = otelgrep(&["trace", &off, path.to_str().unwrap()]);
    assert!(err.contains(&format!("the closest: {real}")), "{err}");
    let (_, err, code) = otelgrep(&["trace", "xyz", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("'xyz' is not a trace id"), "{err}");
}

/// A trace of which only log records are in the capture starts at its first record (it started
/// in 1970, each record some 1.8e12 ms after it): a new-user check's Node capture.
#[test]
fn a_trace_of_log_records_only_starts_at_its_first() {
    let scratch = Scratch::new("log-only-trace");
    let record = "{\n  resource: {\n    attributes: { 'service.name': 'shop-node' }\n  },\n  \
                  instrumentationScope: { name: 'shop-logger', version: '0.0.1', schemaUrl: undefined },\n  \
                  timestamp: 1796523490063000,\n  traceId: '36122c16507bbc0c7ac2c6393987f226',\n  \
                  spanId: '5d21d59c6065866b',\n  traceFlags: 1,\n  severityText: 'INFO',\n  \
                  severityNumber: 9,\n  eventName: undefined,\n  body: 'fetched item 4',\n  \
                  attributes: { 'item.id': 4 }\n}\n";
    let file = scratch.file("logs.txt", record);
    let (out, err, code) = otelgrep(&["trace", "36122c16", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("1970") && out.contains("2026-12-06T02:18:10.063000Z"), "{out}");
    assert!(out.contains("+0.000 ms"), "{out}");
}

/// A log record written before its trace's first span started is that far before the trace's
/// start: `-1.000 ms`, where it printed `+-1.000 ms` (a new-user check's Node capture).
#[test]
fn a_log_before_the_first_span_is_before_the_start() {
    let scratch = Scratch::new("log-before-span");
    let resource = "  resource: {\n    attributes: { 'service.name': 'shop-node' }\n  },\n  \
                    instrumentationScope: { name: 'shop', version: '0.0.1', schemaUrl: undefined },\n";
    let log = format!(
        "{{\n{resource}  timestamp: 1796523490062000,\n  traceId: '36122c16507bbc0c7ac2c6393987f226',\n  \
         spanId: '5d21d59c6065866b',\n  traceFlags: 1,\n  severityText: 'INFO',\n  severityNumber: 9,\n  \
         eventName: undefined,\n  body: 'before the span',\n  attributes: {{}}\n}}\n"
    );
    let span = format!(
        "{{\n{resource}  traceId: '36122c16507bbc0c7ac2c6393987f226',\n  parentSpanContext: undefined,\n  \
         traceState: undefined,\n  name: 'GET',\n  id: '5d21d59c6065866b',\n  kind: 1,\n  \
         timestamp: 1796523490063000,\n  duration: 2000,\n  attributes: {{}},\n  status: {{ code: 0 }},\n  \
         events: [],\n  links: []\n}}\n"
    );
    let file = scratch.file("trace.txt", &format!("{log}{span}"));
    let (out, err, code) = otelgrep(&["trace", "36122c16", &file]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("log -1.000 ms INFO") && !out.contains("+-"), "{out}");
}
