//! `otelgrep export --to parquet`: every sample and conformance file, exported, is an input that
//! answers every command exactly as the capture does (the same bytes out); partitions split
//! records where they belong; what is not an export is said, not guessed at.

mod common;

use std::path::Path;

use common::{Scratch, captures_with_telemetry, counts, otelgrep, sample};

/// The commands compared, each printing data (CSV or JSON) or a table.
const COMMANDS: &[&[&str]] = &[
    &["latency", "--by", "url,status", "--format", "csv"],
    &["latency", "--by", "route", "--every", "1m", "--format", "json"],
    &["latency", "--by", "http.flavor,service", "--kind", "all", "--format", "csv"],
    &["urls", "--format", "csv"],
    &["spans", "--errors", "--format", "json"],
    &["spans", "--slowest", "5", "--format", "csv"],
    &["logs", "--format", "json"],
    &["metrics", "--format", "csv"],
    &["trace", "--slowest"],
];

/// The OpenTelemetry demo through the Collector's file exporter: 8 services, every signal.
const DEMO: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl");

fn export(scratch: &Scratch, name: &str, args: &[&str]) -> String {
    let dir = scratch.0.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let dir = dir.to_str().unwrap().to_string();
    let mut all = vec!["export", "--to", "parquet", "--out", &dir];
    all.extend(args);
    let (_, err, code) = otelgrep(&all);
    assert!(code <= 1, "{args:?}: {err}");
    assert!(err.contains(&format!("to {dir} in ")), "{err}");
    dir
}

#[test]
fn every_capture_exported_answers_as_itself() {
    let scratch = Scratch::new("parquet");
    let mut checked = 0;
    for (original, want) in captures_with_telemetry() {
        let original = original.as_str();
        let dir = export(&scratch, "out", &[original]);
        assert_eq!(counts(&dir), want, "{original}, exported");
        for command in COMMANDS {
            let run = |input: &str| {
                let mut args = command.to_vec();
                args.push(input);
                let (out, _, code) = otelgrep(&args);
                (out, code.min(1))
            };
            let (theirs, mine) = (run(original), run(&dir));
            // A capture with bad records exits 1; its export holds only what was read, and exits 0.
            assert_eq!(theirs.0, mine.0, "{original}: {command:?}");
        }
        // The time range a window that selects nothing names holds every record, those the command
        // does not look at too (of an export's log and metric tables, only the times are read).
        let covers = |input: &str| {
            let (_, err, _) = otelgrep(&["latency", "--since", "2100-01-01T00:00:00Z", input]);
            err.lines().find(|l| l.contains("note: nothing since")).map(str::to_string)
        };
        assert_eq!(covers(original), covers(&dir), "{original}: the time range");
        assert_eq!(otlp_records(&dir), otlp_records(original), "{original}: as OTLP JSON");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} captures checked");
}

/// Every span, log record and metric point of `export --to otlp-json`, each with its resource,
/// scope (and metric, without its points), as sorted JSON texts: what the records are, whatever
/// lines and batches they were written in. Here every attribute's type shows (an event's `int`
/// that text would leave a string).
fn otlp_records(input: &str) -> Vec<String> {
    use serde_json::{Value, json};
    let (out, err, code) = otelgrep(&["export", "--to", "otlp-json", input]);
    assert!(code <= 1, "{input}: {err}");
    let mut records = Vec::new();
    for line in out.lines() {
        let request: Value = serde_json::from_str(line).unwrap();
        for (signal, scopes, items) in [
            ("resourceSpans", "scopeSpans", "spans"),
            ("resourceLogs", "scopeLogs", "logRecords"),
            ("resourceMetrics", "scopeMetrics", "metrics"),
        ] {
            for group in request[signal].as_array().into_iter().flatten() {
                for scope in group[scopes].as_array().into_iter().flatten() {
                    for item in scope[items].as_array().into_iter().flatten() {
                        let mut points = vec![Value::Null];
                        let mut item = item.clone();
                        // A metric's points one by one: its batching is the writer's.
                        for data in ["gauge", "sum", "histogram", "exponentialHistogram", "summary"] {
                            if let Some(p) = item.get_mut(data).and_then(|d| d.get_mut("dataPoints")) {
                                points = p.as_array().cloned().unwrap_or_default();
                                *p = Value::Null;
                            }
                        }
                        for point in points {
                            let record = json!([group["resource"], scope["scope"], item, point]);
                            records.push(record.to_string());
                        }
                    }
                }
            }
        }
    }
    records.sort();
    records
}

/// `--partition-by service,date`: one folder per service and day, hive style, each holding only
/// its own records; together they are the whole capture.
#[test]
fn partitions_hold_their_own_records() {
    let scratch = Scratch::new("parquet-partitions");
    let dir = export(&scratch, "demo", &["--partition-by", "service,date", DEMO]);
    let mut services = Vec::new();
    for table in ["spans", "logs", "metrics"] {
        for entry in std::fs::read_dir(Path::new(&dir).join(table)).unwrap() {
            let folder = entry.unwrap().path();
            let name = folder.file_name().unwrap().to_str().unwrap().to_string();
            let service = name.strip_prefix("service=").expect("service=NAME").to_string();
            for day in std::fs::read_dir(&folder).unwrap() {
                let day = day.unwrap().path();
                let date = day.file_name().unwrap().to_str().unwrap().strip_prefix("date=").unwrap().to_string();
                for file in std::fs::read_dir(&day).unwrap() {
                    let file = file.unwrap().path();
                    let got = counts(file.to_str().unwrap());
                    // Records without a service.name go to Hive's default partition.
                    let named = if service == "__HIVE_DEFAULT_PARTITION__" { vec![] } else { vec![service.clone()] };
                    assert_eq!(got["services"], serde_json::json!(named), "{}", file.display());
                    assert!(got["first_time"].as_str().unwrap().starts_with(&date), "{}", file.display());
                    assert!(got["last_time"].as_str().unwrap().starts_with(&date), "{}", file.display());
                }
            }
            if !services.contains(&service) && service != "__HIVE_DEFAULT_PARTITION__" {
                services.push(service);
            }
        }
    }
    services.sort();
    let want = counts(DEMO);
    let all: Vec<String> =
        want["services"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    assert_eq!(services, all);
    assert_eq!(counts(&dir), want);
}

/// Row groups of more rows than are read at a time (8,192): 36,800 spans and 36,408 metric points
/// read back in batches, records with maps and lists on either side of each batch's end, answer
/// as the capture does.
#[test]
fn row_groups_larger_than_a_batch_answer_as_the_capture() {
    let scratch = Scratch::new("parquet-batches");
    let todo = std::fs::read(sample("todo/todo-http.log")).unwrap();
    let demo = std::fs::read(DEMO).unwrap();
    let (todo_big, demo_big) = (scratch.0.join("todo-x32.log"), scratch.0.join("demo-x8.jsonl"));
    std::fs::write(&todo_big, todo.repeat(32)).unwrap();
    std::fs::write(&demo_big, demo.repeat(8)).unwrap();
    for (name, big, rows) in [("todo", &todo_big, "\"spans\": 36800"), ("demo", &demo_big, "\"metric_points\": 36408")]
    {
        let big = big.to_str().unwrap();
        let (summary, _, _) = otelgrep(&["summary", "--format", "json", big]);
        assert!(summary.contains(rows), "{name}: {summary}");
        let dir = export(&scratch, name, &[big]);
        assert!(largest_row_group(Path::new(&dir)) > 8_192, "{name}: no row group larger than a batch");
        for command in COMMANDS {
            let run = |input: &str| otelgrep(&[command, &[input][..]].concat()).0;
            assert_eq!(run(big), run(&dir), "{name}: {command:?}");
        }
    }
}

/// A spans file whose events are damaged: `trace --slowest` and `report` read the spans twice, the
/// first time without events. The second read's problem is said, naming the file, and the exit
/// code says records were skipped (it was lost behind the first read's silence).
#[test]
fn a_damaged_column_only_a_second_pass_reads_is_said() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let scratch = Scratch::new("parquet-second-pass");
    let dir = export(&scratch, "demo", &[DEMO]);
    let spans = std::fs::read_dir(Path::new(&dir).join("spans")).unwrap().next().unwrap().unwrap().path();
    let reader = SerializedFileReader::new(std::fs::File::open(&spans).unwrap()).unwrap();
    let chunk =
        reader.metadata().row_group(0).columns().iter().find(|c| c.column_path().parts()[0] == "Events.Name").cloned();
    let chunk = chunk.expect("an Events.Name column");
    let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset()) as usize;
    let len = chunk.compressed_size() as usize;
    let mut bytes = std::fs::read(&spans).unwrap();
    // Its second half zeroed: the page header before it is kept, the data it says it holds is not.
    bytes[start + len / 2..start + len].fill(0);
    std::fs::write(&spans, bytes).unwrap();
    let name = spans.file_name().unwrap().to_str().unwrap();
    let (_, err, code) = otelgrep(&["summary", &dir]);
    assert_eq!(code, 0, "summary reads no events: {err}");
    for command in [&["trace", "--slowest"][..], &["report", "-o", "-"]] {
        let (_, err, code) = otelgrep(&[command, &[dir.as_str()][..]].concat());
        assert!(err.contains(name) && err.contains("the whole file was skipped"), "{command:?}: {err}");
        assert_ne!(code, 0, "{command:?}: {err}");
    }
}

/// The text columns engines prune by carry, per row group, the least and greatest of their values
/// and how many are null: as the parquet crate reads the values back (ids have none, as they are
/// never pruned by).
#[test]
fn text_columns_engines_prune_by_say_their_least_greatest_and_nulls() {
    use parquet::file::reader::FileReader;
    use parquet::file::statistics::Statistics;
    use parquet::record::Field;
    let scratch = Scratch::new("parquet-statistics");
    let dir = export(&scratch, "demo", &[DEMO]);
    let mut checked = 0;
    for (table, columns) in [
        ("spans", &["ServiceName", "SpanName", "HttpRoute", "HttpStatus", "TraceId"][..]),
        ("metrics", &["ServiceName", "MetricName"]),
    ] {
        for reader in readers(&Path::new(&dir).join(table)) {
            for (g, group) in reader.metadata().row_groups().iter().enumerate() {
                let group_reader = reader.get_row_group(g).unwrap();
                let rows: Vec<_> = group_reader.get_row_iter(None).unwrap().map(Result::unwrap).collect();
                for &name in columns {
                    let values: Vec<Option<String>> = rows
                        .iter()
                        .map(|row| match row.get_column_iter().find(|(n, _)| *n == name).map(|(_, v)| v) {
                            Some(Field::Str(s)) => Some(s.clone()),
                            Some(Field::Null) => None,
                            other => panic!("{name}: {other:?}"),
                        })
                        .collect();
                    let chunk = group.columns().iter().find(|c| c.column_path().string() == name).unwrap();
                    if name == "TraceId" {
                        assert!(chunk.statistics().is_none(), "{name}");
                        continue;
                    }
                    let Some(Statistics::ByteArray(stats)) = chunk.statistics() else {
                        panic!("{name}: no statistics")
                    };
                    let present = values.iter().flatten();
                    let text = |v: Option<&parquet::data_type::ByteArray>| v.map(|b| b.as_utf8().unwrap().to_string());
                    assert_eq!(text(stats.min_opt()), present.clone().min().cloned(), "{table} {name}");
                    assert_eq!(text(stats.max_opt()), present.max().cloned(), "{table} {name}");
                    assert_eq!(stats.null_count_opt(), Some(values.iter().filter(|v| v.is_none()).count() as u64));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 6, "{checked} chunks checked");
}

/// A log record's `Timestamp` is its own time or, as the ClickHouse exporter writes it, its
/// observed time when it has none (the Rust SDK's records have only that); `TimestampIsObserved`
/// says which, and each reads back as the capture gave it (`every_capture_exported_answers_as_itself`).
#[test]
fn a_log_record_without_its_own_time_is_stamped_with_its_observed_time() {
    use parquet::file::reader::FileReader;
    use parquet::record::Field;
    let scratch = Scratch::new("parquet-log-time");
    let go = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/go-stdoutmetric-stdoutlog.log");
    let rust = sample("rust-stdout/rust-stdout.log");
    let dir = export(&scratch, "logs", &[rust.to_str().unwrap(), go.to_str().unwrap()]);
    let (mut observed, mut own, mut none) = (0, 0, 0);
    for reader in readers(&Path::new(&dir).join("logs")) {
        for row in reader.get_row_iter(None).unwrap() {
            let row = row.unwrap();
            let get = |name: &str| row.get_column_iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
            let time = |f: Option<Field>| match f {
                Some(Field::Long(v)) => Some(v),
                Some(Field::Null) => None,
                other => panic!("{other:?}"),
            };
            let (stamp, seen) = (time(get("Timestamp")), time(get("ObservedTimestamp")));
            match (get("TimestampIsObserved"), stamp, seen) {
                (Some(Field::Bool(true)), Some(t), Some(o)) if t == o => observed += 1,
                (Some(Field::Bool(false)), Some(_), _) => own += 1,
                (Some(Field::Bool(false)), None, None) => none += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    // rust-stdout's 40 records have an observed time only; the Go fixture's: two their own, one
    // none (printed `WithoutTimestamps`).
    assert_eq!((observed, own, none), (40, 2, 1));
}

/// The most rows a row group of an export folder's files holds.
fn largest_row_group(dir: &Path) -> i64 {
    use parquet::file::reader::FileReader;
    let mut largest = 0;
    for table in std::fs::read_dir(dir).unwrap() {
        for reader in readers(&table.unwrap().path()) {
            largest = reader.metadata().row_groups().iter().map(|g| g.num_rows()).fold(largest, i64::max);
        }
    }
    largest
}

/// The parquet crate's reader of each file in a table's folder.
fn readers(table: &Path) -> Vec<parquet::file::reader::SerializedFileReader<std::fs::File>> {
    let files = std::fs::read_dir(table).unwrap().map(|f| std::fs::File::open(f.unwrap().path()).unwrap());
    files.map(|f| parquet::file::reader::SerializedFileReader::new(f).unwrap()).collect()
}

/// Two exports into one folder add up; a file that is not an export is one error naming it.
#[test]
fn exports_add_up_and_foreign_parquet_is_refused() {
    let scratch = Scratch::new("parquet-twice");
    let todo = sample("todo/todo-default.log");
    let todo = todo.to_str().unwrap();
    let dir = export(&scratch, "twice", &[todo]);
    let (_, err, code) = otelgrep(&["export", "--to", "parquet", "--out", &dir, todo]);
    assert_eq!(code, 0, "{err}");
    let (once, twice) = (counts(todo), counts(&dir));
    assert_eq!(twice["spans"], 2 * once["spans"].as_u64().unwrap());
    assert_eq!(twice["log_records"], 2 * once["log_records"].as_u64().unwrap());

    // A Parquet file with other columns: said, with the column it lacks; exit 1.
    let spans = std::fs::read_dir(Path::new(&dir).join("spans")).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&spans).unwrap();
    let at = bytes.windows(8).position(|w| w == b"SpanName").unwrap();
    bytes[at..at + 8].copy_from_slice(b"NameSpan");
    let foreign = scratch.0.join("foreign.parquet");
    std::fs::write(&foreign, &bytes).unwrap();
    let (_, err, code) = otelgrep(&["summary", foreign.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("foreign.parquet:0: not an otelgrep export"), "{err}");
    // Cut short (a copy interrupted): one error, not a crash.
    std::fs::write(&foreign, &bytes[..bytes.len() / 2]).unwrap();
    let (_, err, code) = otelgrep(&["summary", foreign.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("foreign.parquet:0: not a Parquet file"), "{err}");
}

/// A page claiming more uncompressed bytes than Snappy can make of its compressed ones is said,
/// and nothing is allocated for it (the library makes room for the claim first: a damaged 8 KB
/// file took 1.3 GB, a fuzz finding).
#[test]
fn claims_a_page_header_cannot_hold_are_said_not_allocated() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let scratch = Scratch::new("parquet-claim");
    let todo = sample("todo/todo-default.log");
    let dir = export(&scratch, "claim", &[todo.to_str().unwrap()]);
    let spans = std::fs::read_dir(Path::new(&dir).join("spans")).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&spans).unwrap();
    let reader = SerializedFileReader::new(std::fs::File::open(&spans).unwrap()).unwrap();
    // A page header starts `0x15 type 0x15 uncompressed 0x15 compressed` (Thrift compact, zigzag
    // varints): the first page whose uncompressed size takes two bytes and whose compressed size
    // is small enough for 8000 to be more than Snappy gives.
    let varint = |b: &[u8], at: usize| -> (u64, usize) {
        let (mut v, mut n) = (0u64, 0);
        while b[at + n] & 0x80 != 0 {
            v |= u64::from(b[at + n] & 0x7f) << (7 * n);
            n += 1;
        }
        (v | u64::from(b[at + n]) << (7 * n), n + 1)
    };
    let (column, at) = reader
        .metadata()
        .row_group(0)
        .columns()
        .iter()
        .find_map(|c| {
            let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset()) as usize;
            let (_, t) = varint(&bytes, start + 1);
            let at = start + 1 + t + 1;
            let (_, u) = varint(&bytes, at);
            let (compressed, _) = varint(&bytes, at + u + 1);
            (bytes[start] == 0x15 && u == 2 && compressed / 2 * 32 + 64 < 8000).then(|| (c.column_path().string(), at))
        })
        .unwrap();
    // zigzag(8000) = 16000, two varint bytes.
    bytes[at..at + 2].copy_from_slice(&[(16000 & 0x7f) as u8 | 0x80, (16000 >> 7) as u8]);
    let damaged = scratch.0.join("claim.parquet");
    std::fs::write(&damaged, &bytes).unwrap();
    let (_, err, code) = otelgrep(&["summary", damaged.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("column {column}: page 1: claims 8000 bytes uncompressed from")), "{column}: {err}");

    // A dictionary page's count of values said to be -1 (zigzag 1, in as many varint bytes as
    // the count had): said before the library makes room for them. After the sizes, its header
    // goes on `0x4c` (field 7, a struct) `0x15 num_values`.
    let mut bytes = std::fs::read(&spans).unwrap();
    let (column, at) = reader
        .metadata()
        .row_group(0)
        .columns()
        .iter()
        .find_map(|c| {
            let mut at = c.dictionary_page_offset()? as usize;
            for _ in 0..3 {
                at += 1 + varint(&bytes, at + 1).1;
            }
            (bytes[at..at + 2] == [0x4c, 0x15]).then(|| (c.column_path().string(), at + 2))
        })
        .unwrap();
    let n = varint(&bytes, at).1;
    for (i, b) in bytes[at..at + n].iter_mut().enumerate() {
        *b = match i {
            0 if n == 1 => 1,
            0 => 0x81,
            i if i + 1 < n => 0x80,
            _ => 0,
        };
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let (_, err, code) = otelgrep(&["summary", damaged.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("column {column}: page 1: a dictionary page says -1 values")), "{column}: {err}");
}

/// What would go wrong quietly is refused: a second layout in one folder (Spark would read one
/// and leave the other out), `--sql` options that only apply here; an export of nothing is an
/// export that reads back as nothing, and `--since` on a folder says what it covers.
#[test]
fn layouts_are_not_mixed_and_empty_exports_read_back() {
    let scratch = Scratch::new("parquet-refusals");
    let todo = sample("todo/todo-default.log");
    let todo = todo.to_str().unwrap();
    let dir = export(&scratch, "plain", &[todo]);
    let (_, err, code) = otelgrep(&["export", "--to", "parquet", "--partition-by", "service", "--out", &dir, todo]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds an export not partitioned: add to it without --partition-by"), "{err}");
    let parted = export(&scratch, "parted", &["--partition-by", "date", todo]);
    let (_, err, code) = otelgrep(&["export", "--to", "parquet", "--out", &parted, todo]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("partitioned by date: add to it with --partition-by date"), "{err}");

    let (_, err, code) = otelgrep(&["latency", "--sql", "duckdb", "--format", "json", &dir]);
    assert_eq!(code, 2, "{err}");
    let (_, err, code) = otelgrep(&["latency", "--sql", "spark", todo]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not one"), "{err}");

    let (_, err, _) = otelgrep(&["latency", "--since", "2030-01-01", &dir]);
    assert!(err.contains("note: nothing since 2030-01-01T00:00:00.000000Z: the input covers 2026-11-28"), "{err}");

    let empty = scratch.file("empty.log", "");
    let nothing = export(&scratch, "nothing", &[&empty]);
    let (out, err, code) = otelgrep(&["summary", "--format", "json", &nothing]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("an export with no records"), "{err}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["spans"], 0);
}

/// An export given up (`--strict` met a bad record) leaves no folder that would read as an export
/// of nothing; a partition key named twice is refused.
#[test]
fn a_strict_export_given_up_leaves_nothing_and_keys_are_named_once() {
    let scratch = Scratch::new("parquet-strict");
    let bad = scratch.0.join("bad.log");
    let mut text = std::fs::read_to_string(sample("todo/todo-default.log")).unwrap();
    text.push_str("{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"zz\"}]}]}]}\n");
    std::fs::write(&bad, text).unwrap();
    let dir = scratch.0.join("out");
    let (_, err, code) =
        otelgrep(&["export", "--to", "parquet", "--strict", "--out", dir.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(!dir.exists(), "the folder this export made is gone: {err}");

    let todo = sample("todo/todo-default.log");
    let args = ["export", "--to", "parquet", "--partition-by", "service,service", "--out", dir.to_str().unwrap()];
    let (_, err, code) = otelgrep(&[&args[..], &[todo.to_str().unwrap()]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("--partition-by names service twice"), "{err}");
    assert!(!dir.exists());

    // A Parquet file can only be read from a file (its footer is at the end): on standard input
    // or gzipped, it is said so, not taken for text.
    let kept = export(&scratch, "kept", &[todo.to_str().unwrap()]);
    let file = std::fs::read_dir(Path::new(&kept).join("spans")).unwrap().next().unwrap().unwrap().path();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_otelgrep"))
        .args(["summary", "-"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin> is a Parquet file read as a stream"), "{err}");
    // The same for `report` (which reads standard input whole).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_otelgrep"))
        .args(["report", "-o", "-", "-"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin> is a Parquet file read as a stream"), "{err}");

    // Given up into a folder that was there: the folder stays, with nothing this export made.
    std::fs::create_dir_all(&dir).unwrap();
    let (_, err, code) =
        otelgrep(&["export", "--to", "parquet", "--strict", "--out", dir.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no empty spans/, logs/, metrics/ left");
}

/// A Python capture with Rust text inside, large enough to be read in regions: each record is
/// exported once, to Parquet and to OTLP JSON. (Both wrote the Python records before the Rust
/// text twice: the region path gave up there, after the export's sinks had written them.)
#[test]
fn a_capture_of_two_formats_exports_each_record_once() {
    let scratch = Scratch::new("parquet-two-formats");
    let python =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/python-flask/flask-default.log"))
            .unwrap();
    let rust = std::fs::read(sample("todo/todo-http.log")).unwrap();
    let path = scratch.0.join("two-formats.log");
    std::fs::write(&path, [python.repeat(8), rust, python.repeat(8)].concat()).unwrap();
    let path = path.to_str().unwrap();
    let (json, _, code) = otelgrep(&["export", path]);
    assert_eq!(code, 0);
    let lines = scratch.0.join("two-formats.jsonl");
    std::fs::write(&lines, json).unwrap();
    let dir = export(&scratch, "two-formats", &[path]);
    let read = counts(path);
    assert!(read["spans"].as_u64().unwrap() > 5_000, "{read}");
    for exported in [counts(&dir), counts(lines.to_str().unwrap())] {
        for signal in ["spans", "log_records", "metric_points"] {
            assert_eq!(exported[signal], read[signal], "{signal}");
        }
    }
}

/// A capture with bytes that are not UTF-8 (a Latin-1 line the app printed, one inside a span's
/// name): an export writes the records `summary` counts, each once. (The text was read, then
/// repaired and read again: the records before the bad byte were written twice, and the span cut
/// there once.)
#[test]
fn a_capture_with_bytes_not_utf8_exports_what_summary_reads() {
    let scratch = Scratch::new("parquet-not-utf8");
    let mut rust =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples/rust-stdout/rust-stdout.log"))
            .unwrap();
    let name = rust.windows(17).position(|w| w == b"todo.store.insert").unwrap();
    rust[name + 5] = 0xe9;
    rust.extend_from_slice(b"caf\xe9 printed by the app in Latin-1\n");
    let path = scratch.0.join("latin1.log");
    std::fs::write(&path, rust).unwrap();
    let path = path.to_str().unwrap();
    let (json, _, code) = otelgrep(&["export", path]);
    assert_eq!(code, 1, "a record was skipped");
    let lines = scratch.0.join("latin1.jsonl");
    std::fs::write(&lines, json).unwrap();
    let dir = export(&scratch, "latin1", &[path]);
    let read = counts(path);
    for exported in [counts(&dir), counts(lines.to_str().unwrap())] {
        for signal in ["spans", "log_records", "metric_points"] {
            assert_eq!(exported[signal], read[signal], "{signal}");
        }
    }
}
