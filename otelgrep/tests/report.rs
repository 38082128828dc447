//! `otelgrep report` as a reader sees it: the page of every capture opened from disk in real
//! headless Chromium (chromedriver), with no console error and no network request; its latency
//! table, read back from the DOM, equal to `otelgrep latency --format json`; every chart an image
//! with a title; the page under 2 MB; a screenshot that is not blank.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::io::Read;

use serde_json::Value;

use common::{Scratch, captures, json_rows, otelgrep};

/// Whether a PNG holds more than one flat colour: its pixel rows, inflated, take many values.
fn drawn(png: &[u8]) -> bool {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        if &png[at + 4..at + 8] == b"IDAT" {
            idat.extend_from_slice(&png[at + 8..at + 8 + len]);
        }
        at += 12 + len;
    }
    let mut pixels = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut pixels).unwrap();
    let mut seen = [false; 256];
    pixels.iter().for_each(|b| seen[*b as usize] = true);
    seen.iter().filter(|s| **s).count() > 32
}

/// A JSON value as the page's `data-value` holds it.
fn exact(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

#[test]
fn every_captures_report_opens_offline_and_shows_the_latency_tables_numbers() {
    let scratch = Scratch::new("report");
    let driver = webdriver::Driver::start();
    let session = driver.session(&scratch.0.join("chromium-profile"));
    // The browser's own start (its new-tab page) is not the report's doing.
    session.open("about:blank");
    session.log("browser");
    session.log("performance");
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut opened = 0;
    for (i, capture) in captures().iter().enumerate() {
        let path = capture.to_str().unwrap();
        let page = scratch.0.join(format!("report-{i}.html"));
        let (_, err, code) = otelgrep(&["report", "-o", page.to_str().unwrap(), path]);
        let (_, _, summary_code) = otelgrep(&["summary", path]);
        assert_eq!(code, summary_code, "{path}: report exits as summary does: {err}");
        if code == 2 {
            assert!(!page.exists(), "{path}: no page for an input that cannot be read");
            continue;
        }
        let size = std::fs::metadata(&page).unwrap().len();
        assert!(size < 2 << 20, "{path}: the page is {size} bytes");

        let url = format!("file://{}", page.display());
        session.open(&url);
        let console: Vec<Value> = session.log("browser");
        let errors: Vec<&Value> = console.iter().filter(|e| e["level"] == "SEVERE").collect();
        assert!(errors.is_empty(), "{path}: console errors: {errors:?}");
        let requests: Vec<String> = session
            .log("performance")
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e["message"].as_str()?).ok())
            .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
            .map(|m| m["message"]["params"]["request"]["url"].as_str().unwrap_or("").to_string())
            .filter(|u| *u != url)
            .collect();
        assert!(requests.is_empty(), "{path}: the page asked for {requests:?}");

        // The table, cell by cell: the exact value and the text shown.
        let dom = session.eval(
            "return Array.from(document.querySelectorAll('#latency tbody tr')).map(tr =>
               Object.fromEntries(Array.from(tr.cells).map(td => [td.dataset.column, [td.dataset.value, td.textContent]])))",
        );
        let want = json_rows(&["latency", "--by", "route", path]);
        let rows = dom.as_array().unwrap();
        assert_eq!(rows.len(), want.len(), "{path}: rows of the latency table");
        for (got, want) in rows.iter().zip(&want) {
            let want = want.as_object().unwrap();
            assert_eq!(got.as_object().unwrap().len(), want.len(), "{path}: columns");
            for (column, value) in want {
                let cell = &got[column.as_str()];
                assert_eq!(cell[0], exact(value), "{path}: {column} of {got}");
                let shown = if value.is_null() { "–".to_string() } else { exact(value) };
                assert_eq!(cell[1], shown, "{path}: {column} as shown");
            }
        }
        // Every chart is an image with a title a screen reader reads.
        let charts = session.eval(
            "return [document.querySelectorAll('svg').length,
                     document.querySelectorAll('svg[role=img] > title').length,
                     document.querySelectorAll('figure > figcaption').length]",
        );
        assert_eq!(charts[0], charts[1], "{path}: an untitled chart");
        assert_eq!(charts[0], charts[2], "{path}: a chart without a caption");
        // The charts in view (the page's first screen is the summary's figures).
        session.eval("document.getElementById('requests').scrollIntoView(); return 0");
        let png = session.screenshot();
        assert!(drawn(&png), "{path}: the screenshot is blank");
        let name = capture.file_stem().unwrap().to_string_lossy().to_string();
        std::fs::write(shots.join(format!("{name}.png")), &png).unwrap();
        opened += 1;
    }
    assert!(opened >= 20, "only {opened} captures made a page");
}

/// The numbers in the charts are the figures the commands print: the page of the todo capture
/// draws one chart per requested route, and lists every warning and error record.
#[test]
fn a_page_holds_a_section_for_each_part_of_the_capture() {
    let scratch = Scratch::new("report-parts");
    let path = common::sample("todo/todo-default.log");
    let path = path.to_str().unwrap();
    let (html, err, code) = otelgrep(&["report", "-o", "-", path]);
    assert_eq!(code, 0, "{err}");
    let routes = json_rows(&["latency", "--by", "route", path]);
    for r in routes.iter().take(8) {
        let name = r["route"].as_str().unwrap_or("(none)");
        assert!(html.contains(&format!("{name}: latency percentiles over time")), "no chart for {name}");
        assert!(html.contains(&format!("{name}: distribution of durations")), "no distribution for {name}");
    }
    let warnings = json_rows(&["logs", "--level", "warn", path]);
    let notable = html.split("id=\"notable\"").nth(1).and_then(|t| t.split("</table>").next()).unwrap_or("");
    let listed = notable.matches("<tr><td>").count();
    assert_eq!(listed, warnings.len().min(200), "the warnings and errors listed");
    let slowest = otelgrep(&["trace", "--slowest", "--format", "json", path]).0;
    let slowest: Value = serde_json::from_str(&slowest).unwrap();
    assert!(html.contains(&format!("Trace {}", slowest["trace_id"].as_str().unwrap())), "the slowest trace is drawn");
    let metrics = json_rows(&["metrics", path]);
    for m in &metrics {
        let name = m["metric"].as_str().unwrap();
        assert!(html.contains(&format!("<h3>{name}</h3>")), "metric {name}");
        // Counters as rates; up-down counters and gauges as values; histograms as estimates.
        let what = match m["kind"].as_str().unwrap() {
            "counter" => "rate",
            "histogram" => "median",
            _ => "value",
        };
        assert!(html.contains(&format!("{name}: {what}")), "{name} drawn as its {what}");
    }
    // Written to a file by default, `report.html` in the working folder.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_otelgrep"))
        .args(["report", path])
        .current_dir(&scratch.0)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(scratch.0.join("report.html")).unwrap(), html);
}

/// The page says what its filters kept, and never that the input holds nothing when the filters
/// left nothing.
#[test]
fn filters_are_said_on_the_page() {
    let path = common::sample("todo/todo-default.log");
    let (html, _, code) = otelgrep(&["report", "--service", "nosuch", "-o", "-", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(html.contains("charts and tables only of what passes <code>--service nosuch</code>"));
    assert!(html.contains("No requests (entry spans) pass the filters."));
    assert!(html.contains("No log records pass the filters."));
    assert!(!html.contains("in the input."), "nothing is said missing from the input");
}

/// Thousands of groups: the table holds the 500 most requested and says where the rest are; the
/// page stays under 2 MB.
#[test]
fn a_table_of_many_groups_is_cut() {
    let scratch = Scratch::new("report-groups");
    let spans: Vec<String> = (0..3000)
        .map(|i| {
            format!(
                r#"{{"traceId":"{:032x}","spanId":"{:016x}","name":"GET","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"http.route","value":{{"stringValue":"/item/{}"}}}}]}}"#,
                i + 1,
                i + 1,
                1_700_000_000_000_000_000u64 + i * 1_000_000,
                1_700_000_000_000_000_000u64 + i * 1_000_000 + 500_000,
                i % 1500
            )
        })
        .collect();
    let doc = format!(r#"{{"resourceSpans":[{{"resource":{{}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#, spans.join(","));
    let file = scratch.0.join("routes.jsonl");
    std::fs::write(&file, doc + "\n").unwrap();
    let (html, err, code) = otelgrep(&["report", "-o", "-", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let table = html.split("id=\"latency\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert_eq!(table.matches("<tr><td").count(), 500);
    assert!(html.contains("The 500 most requested of 1,500 groups"), "the cut is said");
    assert!(html.len() < 2 << 20, "{} bytes", html.len());
}
