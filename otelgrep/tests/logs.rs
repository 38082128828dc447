//! `otelgrep logs`: records in time order, each matched to its request through its trace.

mod common;

use std::collections::HashMap;

use common::{json_rows, otelgrep, python_objects, sample};
use serde_json::Value;

#[test]
fn flask_log_lines_are_matched_to_their_urls() {
    // The expected request of every record, from the capture itself (serde_json alone): the
    // SERVER span with the record's trace id.
    let path = sample("python-flask/flask-default.log");
    let text = std::fs::read_to_string(&path).unwrap();
    let objects = python_objects(&text);
    let targets: HashMap<String, (String, String)> = objects
        .iter()
        .filter(|o| o["kind"] == "SpanKind.SERVER")
        .map(|o| {
            let a = &o["attributes"];
            let target = a["http.target"].as_str().unwrap().to_string();
            (o["context"]["trace_id"].as_str().unwrap()[2..].to_string(), (target, a["http.status_code"].to_string()))
        })
        .collect();
    let records: Vec<&Value> = objects.iter().filter(|o| o.get("severity_number").is_some()).collect();
    let rows = json_rows(&["logs", path.to_str().unwrap()]);
    assert_eq!(rows.len(), records.len());
    assert_eq!(rows.len(), 146, "as the sample README counts");
    let mut matched = 0;
    for r in &rows {
        match r["trace_id"].as_str() {
            // No trace: werkzeug's access lines and startup messages carry the zero id.
            None => {
                assert!(r["url"].is_null() && r["status"].is_null(), "{r}");
            }
            Some(trace) => {
                let (target, status) = &targets[trace];
                assert_eq!(r["url"].as_str().unwrap(), format!("http://127.0.0.1:5000{target}"), "{r}");
                assert_eq!(r["status"].as_u64().unwrap().to_string(), *status);
                matched += 1;
            }
        }
    }
    let zero_ids = records.iter().filter(|o| o["trace_id"] == "0x00000000000000000000000000000000").count();
    assert_eq!(matched, records.len() - zero_ids);
    assert!(rows.iter().any(|r| r["body"].as_str().unwrap().contains("\"GET / HTTP/1.1\" 200") && r["url"].is_null()));
    // Time order.
    let times: Vec<&str> = rows.iter().map(|r| r["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn level_grep_trace_and_where() {
    let path = sample("todo/todo-default.log");
    let path = path.to_str().unwrap();
    // The sample README: 7 ERROR and 12 WARN records.
    assert_eq!(json_rows(&["logs", "--level", "error", path]).len(), 7);
    assert_eq!(json_rows(&["logs", "--level", "warn", path]).len(), 19);
    let overflow = json_rows(&["logs", "--grep", "IdOverflowError", path]);
    assert_eq!(overflow.len(), 7);
    assert!(overflow.iter().all(|r| r["status"] == 500 && r["route"] == "/delete/{id}"));
    let failed = json_rows(&["logs", "--where", "status>=500", path]);
    assert_eq!(
        failed.iter().map(|r| r["trace_id"].clone()).collect::<Vec<_>>(),
        overflow.iter().map(|r| r["trace_id"].clone()).collect::<Vec<_>>()
    );
    let trace = overflow[0]["trace_id"].as_str().unwrap();
    let one = json_rows(&["logs", "--trace", trace, path]);
    assert!(!one.is_empty() && one.iter().all(|r| r["trace_id"] == trace));
}

#[test]
fn bodies_are_one_line_in_tables_unless_full_and_whole_in_data() {
    let path = sample("python-flask/flask-default.log");
    let path = path.to_str().unwrap();
    // Data formats carry the body as logged, with or without --full.
    let short = json_rows(&["logs", "--grep", "Running on", path]);
    let full = json_rows(&["logs", "--grep", "Running on", "--full", path]);
    assert_eq!(short.len(), 1);
    let (s, f) = (short[0]["body"].as_str().unwrap(), full[0]["body"].as_str().unwrap());
    assert_eq!(s, f);
    assert!(s.contains('\n') && s.contains('\u{1b}'), "{s}");
    // A table shows it on one line, escaped; with --full, over several lines.
    let (table, _, _) = otelgrep(&["logs", "--grep", "Running on", path]);
    let row = table.lines().find(|l| l.contains("Running on")).unwrap();
    assert!(row.contains("\\n") && row.contains("\\u{1b}"), "{table}");
    let (table, _, _) = otelgrep(&["logs", "--grep", "Running on", "--full", path]);
    assert!(!table.contains("\\n") && table.contains("\\u{1b}"), "{table}");
}

/// A record's request is the entry span above its own span: a trace holding several requests (a
/// client reusing one `traceparent`) gives each record its own (all were given the trace's
/// first), and a record written in a nested service call its call's, whatever the order the
/// spans were printed in or their equal start times.
#[test]
fn each_record_gets_the_request_above_its_own_span() {
    let file = sample("../otelgrep/tests/fixtures/python-same-traceparent.log");
    let rows = json_rows(&["logs", file.to_str().unwrap()]);
    assert_eq!(rows.len(), 8);
    for row in &rows {
        let body = row["body"].as_str().unwrap();
        // `handled POST /items -> 201`, `client error 404 on /items/53`: what the app knew.
        let (path, status) = match body.strip_prefix("handled ") {
            Some(rest) => {
                let (request, status) = rest.split_once(" -> ").unwrap();
                (request.split_once(' ').unwrap().1.to_string(), status.parse::<u64>().unwrap())
            }
            None => (body.rsplit(' ').next().unwrap().to_string(), body.split(' ').nth(2).unwrap().parse().unwrap()),
        };
        assert!(row["url"].as_str().unwrap().ends_with(&path), "{body}: {row}");
        assert_eq!(row["status"].as_u64(), Some(status), "{body}: {row}");
    }
    // Written in the nested call's handler: that call's request. Without its span id, the
    // trace's root (`/chain`), not whichever entry span was printed first in the same
    // millisecond (the nested one, which ends first).
    let file = sample("../otelgrep/tests/fixtures/node-entry-span-tie.txt");
    let rows = json_rows(&["logs", file.to_str().unwrap()]);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0]["body"].as_str(), rows[0]["route"].as_str()), (Some("fetched item 1"), Some("/items/:id")));
    let text = std::fs::read_to_string(&file).unwrap().replacen("spanId: '3b7ab50893d631e8'", "spanId: undefined", 1);
    let scratch = common::Scratch::new("entry-tie");
    let unspanned = scratch.file("tie.txt", &text);
    let rows = json_rows(&["logs", &unspanned]);
    assert!(rows[0]["url"].as_str().unwrap().ends_with("/chain"), "{}", rows[0]);
}
