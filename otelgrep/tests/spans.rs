//! `otelgrep spans`: the listing keeps what its options say, in time order or longest first.

mod common;

use common::{json_rows, otelgrep, sample};
use serde_json::Value;

fn f(r: &Value, k: &str) -> f64 {
    r[k].as_f64().unwrap()
}

#[test]
fn every_span_in_time_order() {
    let path = sample("todo/todo-default.log");
    let path = path.to_str().unwrap();
    let all = json_rows(&["spans", path]);
    assert_eq!(all.len(), 1150, "as the sample README counts");
    let times: Vec<&str> = all.iter().map(|r| r["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(all.iter().filter(|r| r["kind"] == "SERVER").count(), 400);
}

#[test]
fn slowest_are_the_longest_of_all() {
    let path = sample("python-flask/flask-default.log");
    let path = path.to_str().unwrap();
    let mut all: Vec<f64> = json_rows(&["spans", path]).iter().map(|r| f(r, "duration")).collect();
    all.sort_by(|a, b| b.total_cmp(a));
    let slowest: Vec<f64> = json_rows(&["spans", "--slowest", "7", path]).iter().map(|r| f(r, "duration")).collect();
    assert_eq!(slowest, all[..7].to_vec());
}

#[test]
fn errors_trace_name_and_columns() {
    let path = sample("todo/todo-default.log");
    let path = path.to_str().unwrap();
    let errors = json_rows(&["spans", "--errors", path]);
    // 7 requests answered 500: their SERVER span and their INTERNAL deleting_task are ERROR.
    assert_eq!(errors.len(), 14);
    assert!(errors.iter().all(|r| r["span_status"] == "ERROR"));
    let trace = errors[0]["trace_id"].as_str().unwrap();
    let one = json_rows(&["spans", "--trace", &trace[..8], path]);
    assert!(!one.is_empty() && one.iter().all(|r| r["trace_id"] == trace));
    let gets = json_rows(&["spans", "--name", "GET *", path]);
    assert!(!gets.is_empty() && gets.iter().all(|r| r["name"].as_str().unwrap().starts_with("GET ")));
    let with = json_rows(&["spans", "--kind", "client", "--columns", "db.query.text", "--top", "3", path]);
    assert_eq!(with.len(), 3);
    assert!(with.iter().all(|r| r["db.query.text"].is_string() && r["kind"] == "CLIENT"), "{with:?}");
    // A column every listing has, or one asked for twice, is shown once.
    let (csv, _, _) = otelgrep(&[
        "spans",
        "--columns",
        "span_status,db.query.text,kind,db.query.text",
        "--format",
        "csv",
        "--top",
        "1",
        path,
    ]);
    assert_eq!(csv.lines().next(), Some("time,duration,kind,name,span_status,status,route,url,trace_id,db.query.text"));
    let (_, err, code) = otelgrep(&["spans", "--columns", "span_status,", path]);
    assert_eq!((err.as_str(), code), ("otelgrep: --columns: empty key in 'span_status,'\n", 2));
}
