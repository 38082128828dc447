//! The scale-out path on the real engines (installed by `.ci/run` in its Python environment):
//! captures exported to Parquet are read by DuckDB, ClickHouse (chDB, its engine in process) and
//! Spark (local mode, the engine a cluster runs); the query `latency --sql ENGINE` prints gives
//! on each engine the table `latency --format json` gives (and `urls --sql` `urls`'s) (counts exactly, durations to 1e-9 of
//! the unit), with and without `--every` and `--where`; and the export loads into a table made by
//! the ClickHouse exporter's own `CREATE TABLE`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Scratch, counts, otelgrep, sample};
use serde_json::Value;

/// The commands compared (each with `--format json`, and with `--sql`).
#[rustfmt::skip]
const CASES: &[&[&str]] = &[
    &["latency", "--by", "url"],
    &["latency", "--by", "route,status", "--every", "1m"],
    &["latency", "--by", "service,http.flavor", "--kind", "all", "--where", "status>=200"],
    &["latency", "--by", "method", "--where", "url~/delete/", "--percentiles", "50,99.9", "--unit", "us"],
    &["latency", "--by", "service", "--where", "status=5xx"],
    &["latency", "--by", "resource.service.name,kind", "--kind", "server", "--where", "http.route exists", "--since", "2024-01-01"],
    &["latency", "--by", "name", "--service", "frontend", "--service", "checkout", "--where", "rpc.method!=GetCart", "--every", "10s"],
    &["latency", "--by", "http.status_code,target", "--where", "method=POST"],
    &["latency", "--by", "span_status,kind", "--kind", "all", "--where", "span_status!=unset"],
    &["latency", "--by", "kind,scope.version", "--kind", "all", "--where", "route missing"],
    &["urls"],
    &["urls", "--kind", "all", "--where", "status!=200"],
];

fn python() -> String {
    std::env::var("OTELGREP_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/engines").join(name)
}

/// Our app's capture, a Flask run and the OpenTelemetry demo (8 services through the
/// Collector), exported together, partitioned by service and day.
fn export(scratch: &Scratch) -> String {
    let dir = scratch.0.join("export").to_str().unwrap().to_string();
    let demo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl");
    let (_, err, code) = otelgrep(&[
        "export",
        "--to",
        "parquet",
        "--partition-by",
        "service,date",
        "--out",
        &dir,
        sample("todo/todo-default.log").to_str().unwrap(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/samples/python-flask/flask-default.log")
            .to_str()
            .unwrap(),
        demo.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    dir
}

/// Runs query files on an engine; the rows of each.
fn run(engine: &str, scratch: &Scratch, files: &[PathBuf], extra: &[&str]) -> Vec<Vec<Value>> {
    let out = scratch.0.join(format!("{engine}.json"));
    let status = Command::new(python())
        .arg(fixture("run_sql.py"))
        .arg(engine)
        .arg(&out)
        .args(extra)
        .args(files)
        .status()
        .expect("the Python of .ci/run's environment");
    assert!(status.success(), "{engine} failed on the queries");
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

/// A cell as text, for keys (a status is a number in otelgrep's JSON, text in the export).
fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Rows by their group (keys and bucket), to compare whatever order ties come in.
fn by_group(rows: &[Value], keys: &[&str]) -> BTreeMap<Vec<String>, Value> {
    rows.iter()
        .map(|r| {
            let mut group: Vec<String> = keys.iter().map(|k| key_text(&r[*k])).collect();
            group.push(r.get("bucket").map(key_text).unwrap_or_default());
            (group, r.clone())
        })
        .collect()
}

/// `urls`' lists and tallies as the SQL writes them: `GET, POST`, `302×18, 400×2`.
fn joined(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::String(items.iter().map(key_text).collect::<Vec<_>>().join(", ")),
        Value::Object(counts) => {
            Value::String(counts.iter().map(|(k, n)| format!("{k}×{n}")).collect::<Vec<_>>().join(", "))
        }
        other => other.clone(),
    }
}

fn same_urls(engine: &str, case: &[&str], want: &[Value], got: &[Value]) {
    let (want, got) = (by_group(want, &["url"]), by_group(got, &["url"]));
    assert_eq!(want.keys().collect::<Vec<_>>(), got.keys().collect::<Vec<_>>(), "{engine} {case:?}: the URLs");
    for (url, w) in &want {
        let g = &got[url];
        for column in ["methods", "statuses", "first_seen", "last_seen"] {
            assert_eq!(joined(&w[column]), g[column], "{engine} {case:?} {url:?} {column}");
        }
        assert_eq!(number(&w["count"]), number(&g["count"]), "{engine} {case:?} {url:?} count");
    }
}

fn same_table(engine: &str, case: &[&str], want: &[Value], got: &[Value]) {
    if case[0] == "urls" {
        return same_urls(engine, case, want, got);
    }
    let by = case[2];
    let keys: Vec<&str> = by.split(',').collect();
    let (want, got) = (by_group(want, &keys), by_group(got, &keys));
    assert_eq!(want.keys().collect::<Vec<_>>(), got.keys().collect::<Vec<_>>(), "{engine} {case:?}: the groups");
    for (group, w) in &want {
        let g = &got[group];
        for (column, value) in w.as_object().unwrap() {
            if keys.contains(&column.as_str()) || column == "bucket" {
                continue;
            }
            let (a, b) = (number(value), number(&g[column]));
            let close = match (a, b) {
                (Some(a), Some(b)) if column == "count" || column == "errors" => a == b,
                (Some(a), Some(b)) if column == "rps" || column == "error_pct" => {
                    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
                }
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
                (None, None) => true,
                _ => false,
            };
            assert!(close, "{engine} {case:?} {group:?} {column}: otelgrep {value}, engine {}", g[column]);
        }
    }
}

#[test]
fn the_sql_gives_the_same_table_on_every_engine() {
    let scratch = Scratch::new("engines");
    let dir = export(&scratch);
    let mut wanted = Vec::new();
    let mut queries: BTreeMap<&str, Vec<PathBuf>> = BTreeMap::new();
    for (i, case) in CASES.iter().enumerate() {
        let mut args = case.to_vec();
        args.extend(["--format", "json", &dir]);
        let (out, err, code) = otelgrep(&args);
        assert_eq!(code, 0, "{case:?}: {err}");
        let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
        wanted.push(rows);
        for engine in ["duckdb", "clickhouse", "spark"] {
            let mut args = case.to_vec();
            args.extend(["--sql", engine, &dir]);
            let (sql, err, code) = otelgrep(&args);
            assert_eq!(code, 0, "{case:?}: {err}");
            let file = scratch.0.join(format!("{engine}-{i}.sql"));
            std::fs::write(&file, sql).unwrap();
            queries.entry(engine).or_default().push(file);
        }
    }
    assert!(wanted.iter().filter(|rows| !rows.is_empty()).count() >= 6, "most cases select requests");
    for (engine, files) in &queries {
        let results = run(engine, &scratch, files, &[]);
        for ((case, want), got) in CASES.iter().zip(&wanted).zip(&results) {
            same_table(engine, case, want, got);
        }
    }
}

/// DuckDB counts what `summary` counts; the export loads into the ClickHouse exporter's own
/// `otel_traces` table, spans, durations and events intact.
#[test]
fn the_tables_hold_what_summary_counts() {
    let scratch = Scratch::new("engines-counts");
    let dir = export(&scratch);
    let want = counts(&dir);
    let count = |table: &str| {
        let file = scratch.0.join(format!("{table}.sql"));
        std::fs::write(&file, format!("SELECT count(*) AS n FROM read_parquet('{dir}/{table}/**/*.parquet');\n"))
            .unwrap();
        file
    };
    let server = scratch.0.join("server.sql");
    std::fs::write(
        &server,
        format!(
            "SELECT count(*) AS n FROM read_parquet('{dir}/spans/**/*.parquet') WHERE SpanKind = 'SPAN_KIND_SERVER';\n"
        ),
    )
    .unwrap();
    let files = [count("spans"), count("logs"), count("metrics"), server];
    let got = run("duckdb", &scratch, &files, &[]);
    let n = |i: usize| got[i][0]["n"].as_u64().unwrap();
    assert_eq!(n(0), want["spans"].as_u64().unwrap());
    assert_eq!(n(1), want["log_records"].as_u64().unwrap());
    assert_eq!(n(2), want["metric_points"].as_u64().unwrap());
    assert_eq!(n(3), want["server_spans"].as_u64().unwrap());

    // The exporter's table: its CREATE TABLE as the exporter ships it (fixtures/engines).
    let ddl = fixture("otel_traces.sql");
    let got = run("clickhouse", &scratch, &[], &["--load-exporter-table", ddl.to_str().unwrap(), &dir]);
    let loaded = &got[0][0];
    assert_eq!(loaded["spans"].as_u64().unwrap(), want["spans"].as_u64().unwrap());
    assert_eq!(loaded["server"].as_u64().unwrap(), want["server_spans"].as_u64().unwrap());
    // Every span's duration, summed, as otelgrep reads them from the capture.
    let (spans, _, _) = otelgrep(&["spans", "--kind", "all", "--format", "json", &dir]);
    let spans: Vec<Value> = serde_json::from_str(&spans).unwrap();
    assert_eq!(spans.len() as u64, want["spans"].as_u64().unwrap());
    let total: f64 = spans.iter().map(|s| s["duration"].as_f64().unwrap_or(0.0)).sum();
    let loaded_ms = loaded["duration_ns"].as_f64().unwrap() / 1e6;
    assert!((total - loaded_ms).abs() < 1e-3 * spans.len() as f64, "{total} ms read, {loaded_ms} ms loaded");
    assert!(loaded["events"].as_u64().unwrap() > 0, "span events (exceptions) were loaded");
}

/// An export rewritten by another writer (Arrow's, through pyarrow: its own footer fields,
/// statistics, page indexes, row groups of 1,000 rows, data pages of both versions) reads as the
/// export it came from: the checks made on a footer and on page headers before the Parquet
/// library reads them (each field against its type) refuse no file a real writer writes.
#[test]
fn an_export_rewritten_by_another_writer_reads_the_same() {
    let scratch = Scratch::new("engines-rewritten");
    let dir = scratch.0.join("export");
    let (_, err, code) = otelgrep(&[
        "export",
        "--to",
        "parquet",
        "--out",
        dir.to_str().unwrap(),
        sample("todo/todo-default.log").to_str().unwrap(),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let read = |d: &Path| {
        let (json, err, code) = otelgrep(&["latency", "--by", "service,url", "--format", "json", d.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", d.display());
        (counts(d.to_str().unwrap()), json)
    };
    let want = read(&dir);
    assert!(want.0["metric_points"].as_u64().unwrap() > 0);
    for pages in ["1.0", "2.0"] {
        let out = scratch.0.join(format!("rewritten-{pages}"));
        let status = Command::new(python())
            .arg(fixture("rewrite.py"))
            .args([dir.to_str().unwrap(), out.to_str().unwrap(), pages])
            .status()
            .expect("the Python of .ci/run's environment");
        assert!(status.success(), "pyarrow could not rewrite the export");
        assert_eq!(read(&out), want, "rewritten with data pages {pages}");
    }
}

/// An export written before log records got `TimestampIsObserved` (emulated: the column dropped,
/// `Timestamp` NULL where it held the observed time) reads as the export it was made from: every
/// log record with its own and observed times.
#[test]
fn an_export_of_an_earlier_otelgrep_reads_as_it_did() {
    let scratch = Scratch::new("engines-earlier");
    let dir = scratch.0.join("export");
    let rust = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples/rust-stdout/rust-stdout.log");
    let args = ["export", "--to", "parquet", "--out", dir.to_str().unwrap(), rust.to_str().unwrap()];
    let (_, err, code) = otelgrep(&args);
    assert_eq!(code, 0, "{err}");
    let out = scratch.0.join("earlier");
    let status = Command::new(python())
        .arg(fixture("rewrite.py"))
        .args([dir.to_str().unwrap(), out.to_str().unwrap(), "1.0", "earlier"])
        .status()
        .expect("the Python of .ci/run's environment");
    assert!(status.success(), "pyarrow could not rewrite the export");
    // As OTLP JSON, where a record's own and observed times are two fields (lines sorted: their
    // order is the workers').
    let otlp = |d: &Path| {
        let (out, err, code) = otelgrep(&["export", "--to", "otlp-json", d.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", d.display());
        let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let want = otlp(&dir);
    assert!(want.iter().any(|l| l.contains("observedTimeUnixNano")), "the sample's records have observed times");
    assert_eq!(otlp(&out), want);
}
