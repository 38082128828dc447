//! The OTLP JSON readers held to each other and to serde_json.

use super::*;

#[test]
fn collector_flavour_strings_names_and_snake_case() {
    let line = r#"{"resource_spans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scope_spans":[{"scope":{"name":"s"},"spans":[{"trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"EEE19B7EC3C1B174","name":"GET","kind":"SPAN_KIND_SERVER","start_time_unix_nano":"1544712660000000000","end_time_unix_nano":"1544712661000000000","attributes":[{"key":"http.status_code","value":{"intValue":"500"}}],"status":{"code":"STATUS_CODE_ERROR","message":"boom"}}]}]}]}"#;
    assert!(is_document(line));
    let spans = parse_document(line, &Needs::ALL, &mut Resources::default()).unwrap().spans;
    let s = &spans[0];
    assert_eq!(s.trace_id, 0x5b8efff798038103d269b633813fc60c);
    assert_eq!((s.kind, s.status, s.status_message.as_deref()), (SpanKind::Server, StatusCode::Error, Some("boom")));
    assert_eq!(s.end_ns - s.start_ns, 1_000_000_000);
    assert_eq!(s.attributes, [("http.status_code".to_string(), Value::Int(500))]);
    assert_eq!(s.resource.service_name(), Some("svc"));
    assert_eq!(s.parent_span_id, None);
}

/// Every sample document, in the JS and the Collector flavours, and damaged copies (a byte
/// changed for quotes, escapes, numbers, literals, brackets, at many places): the skimmer's
/// tree gives exactly what serde_json's gives, records and errors alike.
#[test]
fn the_fast_reader_agrees_with_serde_json_on_every_flavour_and_damaged_copies() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut lines = Vec::new();
    for f in ["js-otlp-http-json_traces", "js-otlp-http-json_metrics", "js-otlp-http-json_logs"] {
        let text = std::fs::read_to_string(format!("{dir}/../../shared/samples/otlp-json/{f}.jsonl")).unwrap();
        lines.extend(text.lines().map(String::from));
    }
    let flavour = std::fs::read_to_string(format!("{dir}/tests/fixtures/otlp-collector-flavour.jsonl")).unwrap();
    lines.extend(flavour.lines().map(String::from));
    // The OpenTelemetry projects' own documents (the demo capture's first lines: every signal).
    for f in [
        "collector-pdata_traces-request.jsonl",
        "collector-pdata_metrics-request.jsonl",
        "collector-pdata_logs-request.jsonl",
        "otlp-proto-examples_trace.jsonl",
        "otlp-proto-examples_metrics.jsonl",
        "otlp-proto-examples_logs.jsonl",
        "otlp-proto-examples_events.jsonl",
        "otel-tui_otel-demo-fileexporter.jsonl",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/../../shared/conformance/{f}")).unwrap();
        // Short ones: each is damaged at 60 places 14 ways.
        lines.extend(text.lines().filter(|l| l.len() < 40_000).take(6).map(String::from));
    }
    // Every point type, values that are there, odd or missing, in both spellings.
    lines.push(
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[{"timeUnixNano":"5","asDouble":"NaN"},{"timeUnixNano":"6"},{"time_unix_nano":"7","as_int":"3"},{"asInt":1.5}]}},{"name":"s","sum":{"isMonotonic":true,"dataPoints":[{"startTimeUnixNano":"1","timeUnixNano":"2","asInt":"4"},{"as_double":2.5}]}},{"name":"q","summary":{"dataPoints":[{"timeUnixNano":"9","sum":1.25,"count":"2","quantileValues":[{"quantile":0.5,"value":1}]},{"count":"1"}]}},{"name":"h","histogram":{"dataPoints":[{"timeUnixNano":"3","count":"3","sum":2,"bucketCounts":["1","2"],"explicitBounds":[1]}]}},{"name":"e","exponentialHistogram":{"dataPoints":[{"timeUnixNano":"4","count":"2","scale":1,"positive":{"offset":-1,"bucketCounts":["2"]}}]}}]}]}]}"#
            .to_string(),
    );
    // Attribute values in every shape a scalar is written (read without a tree when compact), and
    // shapes near them: escapes, numbers as text, past 64 bits, two members, spaces, snake_case.
    let values = [
        r#"{"stringValue":"a"}"#,
        r#"{"stringValue":"a\"b\u00e9\n"}"#,
        r#"{"stringValue":""}"#,
        r#"{"stringValue":5}"#,
        r#"{"stringValue":null}"#,
        r#"{"intValue":"12"}"#,
        r#"{"intValue":12}"#,
        r#"{"intValue":-7}"#,
        r#"{"intValue":-0}"#,
        r#"{"intValue":"-0"}"#,
        r#"{"intValue":"1\u0032"}"#,
        r#"{"intValue":" 1"}"#,
        r#"{"intValue":"+1"}"#,
        r#"{"intValue":1.5}"#,
        r#"{"intValue":1e3}"#,
        r#"{"intValue":"9223372036854775807"}"#,
        r#"{"intValue":"-9223372036854775808"}"#,
        r#"{"intValue":"9223372036854775808"}"#,
        r#"{"intValue":99999999999999999999}"#,
        r#"{"boolValue":true}"#,
        r#"{"boolValue":false}"#,
        r#"{"boolValue":"true"}"#,
        r#"{"doubleValue":1.5}"#,
        r#"{"stringValue":"x","intValue":1}"#,
        r#"{"intValue":1,"stringValue":"x"}"#,
        r#"{ "stringValue":"a"}"#,
        r#"{"stringValue": "a"}"#,
        r#"{"stringValue":"a" }"#,
        r#"{"string_value":"s"}"#,
        r#"{"int_value":3}"#,
        r#"{}"#,
        r#"null"#,
    ];
    let attributes: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!(r#"{{"key":"k{i}","value":{v}}},{{"value":{v},"key":"v{i}"}}"#))
        .collect();
    lines.push(format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","kind":2,"attributes":[{}]}}]}}]}}]}}"#,
        attributes.join(",")
    ));
    let edits = ["", "\"", "\\", "0", "-1", "1.5", "null", "true", "{}", "[]", ",", "\"12\"", "\u{e9}", "\\u00e9"];
    let (mut compared, mut fast, mut fastest) = (0, 0, 0);
    for line in &lines {
        let mut variants = vec![line.clone()];
        for at in (0..line.len()).step_by(line.len() / 60 + 1).filter(|&at| line.is_char_boundary(at + 1)) {
            for edit in edits {
                let mut v = line.clone();
                v.replace_range(at..at + 1, edit);
                variants.push(v);
            }
        }
        for v in &variants {
            let quick = read(v, &mut Resources::default(), Reader::Skim);
            let slow = read(v, &mut Resources::default(), Reader::SerdeOnly);
            assert_eq!(format!("{quick:?}"), format!("{slow:?}"), "{v}");
            // The one-pass reader too, with everything read.
            let quickest = parse_document(v, &Needs::ALL, &mut Resources::default());
            assert_eq!(format!("{quickest:?}"), format!("{slow:?}"), "{v}");
            // A counting command's reading (points' buckets and bounds skipped, not built)
            // counts and fails the same records, with the same names, times and resources.
            let bare = parse_document(v, &Needs::BARE, &mut Resources::default());
            assert_eq!(counted(&bare), counted(&quickest), "{v}");
            // A query's reading (points not looked at: counted and timed, without their names)
            // fails the same records and times the same points.
            let query = parse_document(v, &Needs::SPAN_ATTRIBUTES, &mut Resources::default());
            assert_eq!(timed(&query), timed(&quickest), "{v}");
            compared += 1;
            fast += usize::from(Tree::read(v).is_ok());
            fastest += usize::from(fast::skim_request(v, &Needs::ALL, &mut Resources::default()).is_ok());
        }
        assert!(Tree::read(line).is_ok(), "an intact document goes the fast way: {line}");
        let one_pass = fast::skim_request(line, &Needs::ALL, &mut Resources::default());
        assert!(one_pass.is_ok(), "an intact request goes the one-pass way: {line}");
    }
    assert!(lines.len() >= 25 && compared > 10_000 && fast > 1_000, "{compared} compared, {fast} read fast");
    assert!(fastest > 1_000, "{fastest} read in one pass");
}

/// What a counting command reads of a request: its errors, how many spans and log records, and
/// each point's name, times, resource and scope.
fn counted(read: &Result<Batch, RecordError>) -> String {
    let Ok(b) = read else { return format!("{read:?}") };
    let points: Vec<_> =
        b.points.iter().map(|p| (&p.name, p.time_ns, p.start_ns, &p.resource, &p.scope, p.kind)).collect();
    format!("{:?} {} {} {} {points:?}", b.errors, b.spans.len(), b.logs.len(), b.metric_exports)
}

/// What a command that does not look at points reads of a request: its errors, how many spans,
/// log records and points, and each point's times.
fn timed(read: &Result<Batch, RecordError>) -> String {
    let Ok(b) = read else { return format!("{read:?}") };
    let points: Vec<_> = b.points.iter().map(|p| (p.time_ns, p.start_ns)).collect();
    format!("{:?} {} {} {} {points:?}", b.errors, b.spans.len(), b.logs.len(), b.metric_exports)
}

/// Histogram bounds checked in an earlier request are taken again only when the text ahead is
/// theirs byte for byte: a worker that read the JS metric exports before reads each copy (one
/// bound damaged, out of range, or spaced otherwise) as a fresh worker does, for a command that
/// checks points without building them.
#[test]
fn bounds_checked_before_are_taken_again_only_byte_for_byte() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let path = format!("{dir}/../../shared/samples/otlp-json/js-otlp-http-json_metrics.jsonl");
    let line = std::fs::read_to_string(path).unwrap().lines().next().unwrap().to_string();
    let bounds = "[0.005,0.01,0.025,0.05,0.075,0.1,0.25,0.5,0.75,1,2.5,5,7.5,10]";
    assert!(line.contains(bounds));
    let copies = [
        line.clone(),
        line.replacen(bounds, "[0.005,0.01,0.025,0.05,0.075,0.1,0.25,0.5,0.75,1,2.5,5,7.5,1e999]", 1),
        line.replacen(bounds, "[0.005,0.01,0.025,0.05,0.075,0.1,0.25,0.5,0.75,1,2.5,5,7.5,x]", 1),
        line.replacen(bounds, "[0.005, 0.01,0.025,0.05,0.075,0.1,0.25,0.5,0.75,1,2.5,5,7.5,10]", 1),
        line.replacen(bounds, "[0.005,0.01,0.025,0.05,0.075,0.1,0.25,0.5,0.75,1,2.5,5,7.5,10,]", 1),
    ];
    let mut kept = Resources::default();
    let _ = parse_document(&line, &Needs::SPAN_ATTRIBUTES, &mut kept);
    assert!(kept.otlp_bounds.iter().any(|b| b == bounds), "{:?}", kept.otlp_bounds);
    let mut failed = 0;
    for copy in &copies {
        let read = parse_document(copy, &Needs::SPAN_ATTRIBUTES, &mut kept);
        let fresh = parse_document(copy, &Needs::SPAN_ATTRIBUTES, &mut Resources::default());
        assert_eq!(timed(&read), timed(&fresh), "{copy}");
        failed += usize::from(read.is_err() || read.as_ref().is_ok_and(|b| !b.errors.is_empty()));
    }
    assert_eq!(failed, 3, "the three damaged copies fail");
}

#[test]
fn severity_names() {
    assert_eq!(severity_from_name("SEVERITY_NUMBER_INFO"), Some(9));
    assert_eq!(severity_from_name("SEVERITY_NUMBER_ERROR2"), Some(18));
}

/// One worker's resources across requests, the last few requests' resources taken again by their
/// text (byte for byte) without reading it: every record gets the resource a fresh reading gives
/// it, over the demo capture's eight services taking turns and the JS requests.
#[test]
fn a_resource_remembered_from_the_request_before_is_the_one_read_afresh() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut lines = Vec::new();
    for f in ["conformance/otel-tui_otel-demo-fileexporter.jsonl", "samples/otlp-json/js-otlp-http-json_traces.jsonl"] {
        let text = std::fs::read_to_string(format!("{dir}/../../shared/{f}")).unwrap();
        lines.extend(text.lines().map(String::from));
    }
    let resources = |b: &Batch| -> Vec<Resource> {
        let spans = b.spans.iter().map(|s| &s.resource);
        spans
            .chain(b.logs.iter().map(|l| &l.resource))
            .chain(b.points.iter().map(|p| &p.resource))
            .map(|r| (**r).clone())
            .collect()
    };
    let (mut kept, mut again) = (Resources::default(), 0);
    for line in &lines {
        let mut recent = Vec::new();
        kept.otlp_recent(|text| {
            recent.push(text.to_string());
            false
        });
        let read = parse_document(line, &Needs::ALL, &mut kept).unwrap();
        let fresh = parse_document(line, &Needs::ALL, &mut Resources::default()).unwrap();
        assert_eq!(resources(&read), resources(&fresh), "{line}");
        again += usize::from(recent.iter().any(|t| line.contains(t.as_str())));
    }
    assert!(again >= 20 && again < lines.len(), "{again} of {} requests repeated a recent resource", lines.len());
}

/// Keys of OTLP before 0.8 and 0.12: `logs` (before `logRecords`) under an
/// `instrumentationLibraryLogs` group is read; `intSum`, `doubleGauge` and the other retired
/// data fields are named, each metric skipped, not taken for a metric without data.
#[test]
fn keys_of_otlp_before_its_renames_are_read_or_named() {
    let logs = r#"{"resourceLogs":[{"instrumentationLibraryLogs":[{"instrumentationLibrary":{"name":"x"},"logs":[{"timeUnixNano":"1700000000000000000","body":{"stringValue":"old"}}]}]}]}"#;
    let batch = parse_document(logs, &Needs::ALL, &mut Resources::default()).unwrap();
    assert_eq!(batch.logs.len(), 1);
    assert_eq!(batch.logs[0].body, Value::Str("old".into()));
    let metrics = r#"{"resourceMetrics":[{"instrumentationLibraryMetrics":[{"metrics":[{"name":"a","intSum":{"dataPoints":[{"value":"5"}]}},{"name":"b","gauge":{"dataPoints":[{"asInt":"1"}]}},{"name":"c","doubleGauge":{"dataPoints":[{"value":1.5}]}}]}]}]}"#;
    for m in [metrics.to_string(), metrics.replace("instrumentationLibraryMetrics", "scopeMetrics")] {
        let batch = parse_document(&m, &Needs::ALL, &mut Resources::default()).unwrap();
        assert_eq!(batch.points.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["b"]);
        let errors: Vec<String> = batch.errors.iter().map(|e| format!("{:?}", e.kind)).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains(r#"metric 1 of the request (\"a\"): intSum is a data field of OTLP before 0.8"#),
            "{errors:?}"
        );
        assert!(errors[1].contains(r#"metric 3 of the request (\"c\"): doubleGauge is"#), "{errors:?}");
    }
}

/// Ids written in base64 (protobuf's own JSON mapping, a common mistake) are named as such; a
/// short hex id is not.
#[test]
fn ids_in_base64_are_named_as_such() {
    let line = |trace: &str, span: &str| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{trace}","spanId":"{span}","name":"a"}}]}}]}}]}}"#
        )
    };
    let error = |l: String| format!("{:?}", parse_document(&l, &Needs::ALL, &mut Resources::default()).unwrap().errors);
    let hex = "5b8efff798038103d269b633813fc60c";
    // 16 and 8 bytes of base64: 24 and 12 characters with their padding.
    assert!(
        error(line("W47/95gDgQPSabYzgT/GDA==", "eee19b7ec3c1b174"))
            .contains("traceId \\\"W47/95gDgQPSabYzgT/GDA==\\\" is not 32 hex digits (base64")
    );
    assert!(error(line(hex, "7uGbfsPBsXQ=")).contains("is not 16 hex digits (base64"));
    assert!(!error(line(hex, "eee19b7e")).contains("base64"));
}

/// The attribute lists and values, and the spans' event and link lists, of the demo capture's
/// first 300 lines and of the JS samples (lists of values among them), empty lists with
/// whitespace, and damaged copies of some (each byte in turn changed to a quote, escape, bracket,
/// comma, space, letter or digit, or dropped, and a space or line break put before it): the
/// compact skips take exactly what the general skip takes, and fail where it fails.
#[test]
fn attributes_are_skipped_as_the_general_skip_skips_them() {
    use super::super::skim::Skim;
    let dir = env!("CARGO_MANIFEST_DIR");
    let demo = std::fs::read_to_string(format!("{dir}/../../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl"))
        .unwrap();
    let demo = demo.lines().take(300).map(String::from);
    let js = ["traces", "metrics", "logs"].map(|f| {
        std::fs::read_to_string(format!("{dir}/../../shared/samples/otlp-json/js-otlp-http-json_{f}.jsonl")).unwrap()
    });
    let lines: Vec<String> = demo.chain(js.iter().flat_map(|t| t.lines().map(String::from))).collect();
    // From `"attributes":` or `"value":` to where the general skip ends.
    let extent = |text: &str| {
        let mut s = Skim::new(text);
        s.skip_at(0).ok().map(|()| text[..s.position()].to_string())
    };
    let (mut lists, mut values, mut records) = (Vec::new(), Vec::new(), Vec::new());
    for line in &lines {
        for key in [r#""events":"#, r#""links":"#] {
            records.extend(line.match_indices(key).filter_map(|(at, k)| extent(&line[at + k.len()..])));
        }
        lists.extend(line.match_indices(r#""attributes":"#).filter_map(|(at, k)| extent(&line[at + k.len()..])));
        values.extend(line.match_indices(r#""value":"#).filter_map(|(at, k)| extent(&line[at + k.len()..])));
    }
    // Empty lists, written as the exporters write them and otherwise.
    lists.extend(["[]", "[ ]", "[\n]", "[ \n ]"].map(String::from));
    for v in [&mut lists, &mut values, &mut records] {
        v.sort();
        v.dedup();
    }
    assert!(records.iter().filter(|r| r.contains("attributes")).count() >= 5, "{records:?}");
    assert!(lists.len() > 500 && values.len() > 1000, "{} {}", lists.len(), values.len());
    let with_list = |texts: &[String]| texts.iter().filter(|t| t.contains("arrayValue")).count();
    assert!(with_list(&lists) >= 5 && with_list(&values) >= 5, "{} {}", with_list(&lists), with_list(&values));
    // Damaged copies of those with lists too, not only of every 25th.
    let (list_lists, list_values): (Vec<String>, Vec<String>) = (
        lists.iter().filter(|t| t.contains("arrayValue")).take(5).cloned().collect(),
        values.iter().filter(|t| t.contains("arrayValue")).take(5).cloned().collect(),
    );
    let damaged = |texts: &[String]| -> Vec<String> {
        let mut out = Vec::new();
        // Every 25th, short enough to damage at every byte.
        for t in texts.iter().step_by((texts.len() / 25).max(1)).filter(|t| t.len() < 2000) {
            for i in 0..t.len() {
                for b in [
                    Some(b'"'),
                    Some(b'\\'),
                    Some(b'}'),
                    Some(b']'),
                    Some(b','),
                    Some(b' '),
                    Some(b'x'),
                    Some(b'7'),
                    None,
                ] {
                    let mut bytes = t.as_bytes().to_vec();
                    match b {
                        Some(b) => bytes[i] = b,
                        None => drop(bytes.remove(i)),
                    }
                    out.extend(String::from_utf8(bytes));
                }
                // Whitespace put in where it is allowed and where it is not.
                for w in [" ", "\n"] {
                    out.extend(t.is_char_boundary(i).then(|| format!("{}{w}{}", &t[..i], &t[i..])));
                }
            }
        }
        out
    };
    let agree = |texts: &[String], fast: fn(&mut Skim<'_>, u32) -> Result<(), super::super::skim::Bad>| {
        let (mut ok, mut bad) = (0, 0);
        for t in texts {
            // What follows in a request, so that a skip running past the value has something to take.
            let t = format!("{t},\"x\":1}}]}}");
            let (mut a, mut b) = (Skim::new(&t), Skim::new(&t));
            let (fa, fb) = (fast(&mut a, 3), b.skip_at(3));
            assert_eq!(fa, fb, "{t}");
            if fa.is_ok() {
                assert_eq!(a.position(), b.position(), "{t}");
                ok += 1;
            } else {
                bad += 1;
            }
        }
        (ok, bad)
    };
    // (Short ones: each damaged at every byte, eleven ways.)
    let with_attributes: Vec<String> =
        records.iter().filter(|r| r.contains("attributes") && r.len() < 600).take(5).cloned().collect();
    let skips = [
        (&lists, &list_lists, fast::skip_attributes as fn(&mut Skim<'_>, u32) -> _),
        (&values, &list_values, fast::skip_value),
        (&records, &with_attributes, fast::skip_records),
    ];
    for (texts, with_lists, fast) in skips {
        assert_eq!(agree(texts, fast).1, 0);
        for damaged in [damaged(texts), damaged(with_lists)] {
            let (ok, bad) = agree(&damaged, fast);
            assert!(ok > 100 && bad > 1000, "{ok} read, {bad} refused");
        }
    }
}

/// Decimal integers read as `str::parse::<i64>` reads them: signs, zeros, the limits and one
/// past them, 19 and 20 digits, and 100,000 random texts of digits and signs.
#[test]
fn decimals_read_as_the_standard_parse_reads_them() {
    let mut texts: Vec<String> = [
        "",
        "-",
        "+",
        "0",
        "-0",
        "+0",
        "007",
        "1_0",
        " 1",
        "1 ",
        "١",
        "12345678",
        "1234567/",
        "1234567:",
        "/2345678",
        ":2345678",
        "123?5678",
        "0000000000000000000",
        "-12345678901234567",
        "12345678é",
    ]
    .into_iter()
    .map(String::from)
    .chain(
        [i64::MAX, i64::MIN, 0]
            .iter()
            .flat_map(|n| [n.to_string(), (*n as i128 + 1).to_string(), (*n as i128 - 1).to_string()]),
    )
    .chain(
        ["9999999999999999999", "-9999999999999999999", "18446744073709551615", "1717171717171717171"]
            .map(String::from),
    )
    .collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..100_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 22) as usize;
        let text: String = (0..len)
            .map(|i| {
                let r = (seed >> (i % 8 * 8)) as u8 ^ i as u8;
                match r % 16 {
                    0 if i == 0 => '-',
                    1 if i == 0 => '+',
                    2 => 'x',
                    _ => char::from(b'0' + r % 10),
                }
            })
            .collect();
        texts.push(text);
    }
    for t in &texts {
        assert_eq!(decimal(t), t.parse::<i64>().ok(), "{t:?}");
    }
}
