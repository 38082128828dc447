//! `otelgrep report`: the capture as one HTML page of charts. Reads the inputs twice (the
//! figures of every section, then the slowest traces' spans and logs), turns the figures into
//! charts on one time axis, and writes the page (`report::page`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{LatencyArgs, OutputFormat, ReportArgs, TableArgs, TraceArgs, Unit};
use crate::cmd::{latency, merged, metrics, summary, trace};
use crate::filter::parse_every;
use crate::frame::{self, LatencyQuery};
use crate::inputs::{exit_code, ingest_again, ingest_first, open_all};
use crate::model::{MetricPoint, trace_hex};
use crate::report::chart::{self, Bar, Line, TimeAxis};
use crate::report::page::{self, Figure, Page};
use crate::report::{self, Gathered, Traces};

/// Groups drawn one by one (the table holds them all).
const GROUPS_DRAWN: usize = 8;
/// Metrics drawn, and series per metric.
const METRICS_DRAWN: usize = 40;
const SERIES_DRAWN: usize = 6;
/// Bad records named on the page.
const BAD_SHOWN: usize = 20;
/// Rows of the latency table (its groups most requested first): the page stays small.
const TABLE_ROWS: usize = 500;
/// The most slowest traces drawn, whatever `--traces` asks.
const TRACES_DRAWN: usize = 50;

/// The filters as typed, for the page to say what it shows.
fn filters_text(f: &crate::cli::FilterArgs) -> String {
    let mut parts: Vec<String> = f.wheres.iter().map(|w| format!("--where '{w}'")).collect();
    if let Some(s) = &f.since {
        parts.push(format!("--since {s}"));
    }
    if let Some(u) = &f.until {
        parts.push(format!("--until {u}"));
    }
    if !f.service.is_empty() {
        parts.push(format!("--service {}", f.service.join(",")));
    }
    parts.join(" ")
}

/// `latency`'s arguments for the report's table: its keys and filters, JSON out.
fn latency_args(args: &ReportArgs) -> LatencyArgs {
    LatencyArgs {
        input: args.input.clone(),
        by: args.by.clone(),
        template: false,
        percentiles: vec![50.0, 90.0, 95.0, 99.0],
        every: None,
        unit: Unit::Ms,
        kind: args.kind,
        sql: None,
        filter: args.filter.clone(),
        table: TableArgs { top: None, sort: None, format: OutputFormat::Json },
    }
}

/// Writes the report; the exit code says whether every record was read.
pub fn run(args: &ReportArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if args.input.follow.follow {
        anyhow::bail!("report reads its inputs to their end: --follow is for the query commands");
    }
    let filter = crate::filter(&args.filter, crate::filter::Subject::Spans)?;
    let table_args = latency_args(args);
    let config = report::Config {
        latency: latency::Config::new(&table_args, filter.clone())?,
        metrics: metrics::Config { name: None, filter: filter.clone(), every_ns: None, compare: false },
        traces: args.traces.min(TRACES_DRAWN),
    };
    if args.traces > TRACES_DRAWN {
        writeln!(err, "otelgrep: note: --traces {}: the page draws the {TRACES_DRAWN} slowest at most", args.traces)?;
    }
    let asked = args.every.as_deref().map(parse_every).transpose()?;
    // Read whole when they are streams: the slowest traces are read in a second pass.
    let inputs = open_all(&args.input.files, true)?;
    let (found, said) = ingest_first::<Gathered>(&inputs, args.input.input_format, args.input.strict, &config, err)?;
    let Some(found) = found else {
        return Ok(ExitCode::from(2));
    };
    let mut code = exit_code(&found);
    crate::note_filters(&filter, &found, err)?;
    let bad: Vec<String> = found.iter().flat_map(|(_, r, _)| r.errors.iter().map(|e| e.to_string())).collect();
    let mut tallies = Vec::new();
    let mut gathered = Vec::new();
    for (name, report, mut g) in found {
        tallies.push((name.clone(), report.clone(), std::mem::take(&mut g.tally)));
        gathered.push((name, report, g));
    }
    let names: Vec<String> = tallies.iter().map(|(n, _, _)| n.clone()).collect();
    let all = merged(gathered);

    let slowest = all.slowest.iter().map(|s| s.1).collect();
    let second = ingest_again::<Traces>(&inputs, args.input.input_format, false, &slowest, &said, err)?;
    if second.as_deref().is_some_and(|found| exit_code(found) == ExitCode::from(1)) {
        code = ExitCode::from(1);
    }
    let traces = second.map(merged).unwrap_or_default();

    let Some((t0, t1)) = covered(&all) else {
        let page = empty_page(names, summary::summarize(tallies), &bad, args);
        return write_page(&page::html(&page), args, out).map(|_| code);
    };
    let every = report::bucket_width(t0, t1, asked);
    if let (Some(a), Some(text)) = (asked.filter(|a| *a != every), args.every.as_deref()) {
        writeln!(
            err,
            "otelgrep: note: --every {text} would cut the covered time into {} buckets: the charts use {} \
             (at most {} buckets)",
            (t1 - t0) / a.max(1) + 1,
            width_text(every),
            report::BUCKETS
        )?;
    }
    let axis = TimeAxis { start_ns: t0.div_euclid(every) * every, end_ns: (t1.div_euclid(every) + 1) * every };
    let by = args.by.join(",");
    let every_text = width_text(every);
    let (requests, groups, groups_not_drawn) = request_charts(&all, &axis, every, &by, &every_text)?;
    let logs = log_chart(&all.logs, &axis, every, &every_text)?;
    let (metric_views, metrics_not_drawn) = metric_charts(&all.series, &axis, every, &every_text)?;
    let trace_views = trace_views(&all.slowest, traces, args)?;
    let mut notable = all.notable.clone();
    notable.sort_by_key(|n| (n.time_ns.is_none(), n.time_ns));
    let notable_total = notable.len();
    notable.truncate(report::NOTABLE_SHOWN);
    let (logs_untimed, unreadable) = (all.untimed_logs, all.unreadable_points);
    if unreadable > 0 {
        writeln!(err, "otelgrep: note: {unreadable} metric point(s) whose values cannot be right are not drawn")?;
    }

    // Last, as it takes the durations: the table exactly as `latency --format json` prints it.
    let requests_undrawn = all.samples.untimed + all.samples.backwards;
    let mut json = Vec::new();
    latency::run(&table_args, all.samples, &mut json, err)?;
    let (columns, mut rows) = table(&json, &args.by)?;
    let table_groups = rows.len();
    rows.truncate(TABLE_ROWS);
    let page = Page {
        inputs: names,
        summary: summary::summarize(tallies),
        bad_records: (bad.iter().take(BAD_SHOWN).cloned().collect(), bad.len()),
        filters: filters_text(&args.filter),
        by,
        every: every_text,
        requests_undrawn,
        table_groups,
        requests,
        groups,
        groups_not_drawn,
        table: (columns, rows),
        traces: trace_views,
        logs,
        notable,
        notable_total,
        logs_untimed,
        metrics: metric_views,
        metrics_not_drawn,
    };
    write_page(&page::html(&page), args, out)?;
    Ok(code)
}

fn write_page(html: &str, args: &ReportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.out == "-" {
        return Ok(out.write_all(html.as_bytes())?);
    }
    std::fs::write(&args.out, html).with_context(|| format!("writing {}", args.out))
}

/// A page for inputs with nothing timed in them: the summary and what could not be read.
fn empty_page(inputs: Vec<String>, summary: summary::Summary, bad: &[String], args: &ReportArgs) -> Page {
    Page {
        inputs,
        summary,
        bad_records: (bad.iter().take(BAD_SHOWN).cloned().collect(), bad.len()),
        filters: filters_text(&args.filter),
        by: args.by.join(","),
        every: "-".into(),
        requests_undrawn: 0,
        table_groups: 0,
        requests: Vec::new(),
        groups: Vec::new(),
        groups_not_drawn: 0,
        table: (Vec::new(), Vec::new()),
        traces: Vec::new(),
        logs: None,
        notable: Vec::new(),
        notable_total: 0,
        logs_untimed: 0,
        metrics: Vec::new(),
        metrics_not_drawn: 0,
    }
}

/// First and last time of what the page draws: requests, log records and metric points.
fn covered(all: &Gathered) -> Option<(i64, i64)> {
    let d = &all.samples.durations;
    let times = d
        .start_ns
        .iter()
        .chain(&d.end_ns)
        .copied()
        .chain(all.logs.iter().map(|l| l.0))
        .chain(all.series.values().flat_map(|s| s.points.iter().map(|p| p.0)));
    times.fold(None, |r, t| Some(r.map_or((t, t), |(a, b): (i64, i64)| (a.min(t), b.max(t)))))
}

/// `1 s`, `100 ms`, `5 min`.
fn width_text(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if s < 1.0 {
        format!("{} ms", s * 1e3)
    } else if s < 60.0 {
        format!("{s} s")
    } else if s < 3600.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{} h", s / 3600.0)
    }
}

/// A group's keys as one label.
fn label(keys: &[Option<String>]) -> String {
    keys.iter().map(|k| k.as_deref().unwrap_or("(none)")).collect::<Vec<_>>().join(" · ")
}

/// Requests per second and error rate of the drawn groups, then each group's percentiles over
/// time and its distribution of durations.
fn request_charts(
    all: &Gathered,
    axis: &TimeAxis,
    every: i64,
    by: &str,
    every_text: &str,
) -> anyhow::Result<(Vec<Figure>, Vec<page::Group>, usize)> {
    let d = &all.samples.durations;
    let query = LatencyQuery { percentiles: vec![50.0, 95.0, 99.0], every_ns: Some(every), spark_slices: 0 };
    let result = frame::latency(d, &query)?;
    let mut overall = result.overall;
    if overall.is_empty() {
        return Ok((Vec::new(), Vec::new(), 0));
    }
    overall.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| crate::render::natural_cmp(&label(&a.keys), &label(&b.keys)))
    });
    let drawn: Vec<&frame::LatencyRow> = overall.iter().take(GROUPS_DRAWN).collect();
    let index: HashMap<&Vec<Option<String>>, usize> = drawn.iter().enumerate().map(|(i, r)| (&r.keys, i)).collect();
    let mut per_group: Vec<Vec<&frame::LatencyRow>> = vec![Vec::new(); drawn.len()];
    for r in &result.buckets {
        if let Some(&i) = index.get(&r.keys) {
            per_group[i].push(r);
        }
    }
    per_group.iter_mut().for_each(|v| v.sort_by_key(|r| r.bucket));
    let width_s = every as f64 / 1e9;
    let buckets: Vec<i64> = (axis.start_ns..axis.end_ns).step_by(every as usize).collect();
    let x = |b: i64| axis.seconds(b);
    let rps: Vec<Line> = drawn
        .iter()
        .zip(&per_group)
        .map(|(g, rows)| {
            let counts: HashMap<i64, u64> = rows.iter().map(|r| (r.bucket.unwrap_or(0), r.count)).collect();
            let points =
                buckets.iter().map(|b| (x(*b), counts.get(b).copied().unwrap_or(0) as f64 / width_s)).collect();
            Line { label: label(&g.keys), points }
        })
        .collect();
    let errors: Vec<Line> = drawn
        .iter()
        .zip(&per_group)
        .map(|(g, rows)| Line {
            label: label(&g.keys),
            points: rows
                .iter()
                .map(|r| (x(r.bucket.unwrap_or(0)), 100.0 * r.errors as f64 / r.count.max(1) as f64))
                .collect(),
        })
        .collect();
    let n = drawn.len();
    let span = format!("{} to {}", clock(axis.start_ns), clock(axis.end_ns));
    let figures = vec![
        Figure {
            id: "rps".into(),
            title: format!("Requests per second by {by}"),
            description: format!("{}, {every_text} buckets, {span}", page::counted(n, "group")),
            svg: chart::lines(axis, "requests per second", &rps)?,
        },
        Figure {
            id: "errors".into(),
            title: format!("Error rate by {by}"),
            description: format!(
                "Percent of requests answered 5xx or with span status ERROR, per {every_text} bucket with requests, {span}"
            ),
            svg: chart::lines(axis, "errors (% of requests)", &errors)?,
        },
    ];
    // Durations of the drawn groups, for their distributions.
    let mut durations: Vec<Vec<i64>> = vec![Vec::new(); n];
    for row in 0..d.start_ns.len() {
        let keys: Vec<Option<String>> = d.keys.iter().map(|k| k[row].clone()).collect();
        if let Some(&i) = index.get(&keys) {
            durations[i].push(d.end_ns[row] - d.start_ns[row]);
        }
    }
    let mut groups = Vec::with_capacity(n);
    for (i, (g, rows)) in drawn.iter().zip(&per_group).enumerate() {
        let name = label(&g.keys);
        let lines: Vec<Line> = ["p50", "p95", "p99"]
            .iter()
            .enumerate()
            .map(|(p, l)| Line {
                label: (*l).into(),
                points: rows.iter().map(|r| (x(r.bucket.unwrap_or(0)), r.percentiles[p] / 1e6)).collect(),
            })
            .collect();
        groups.push(page::Group {
            name: name.clone(),
            requests: g.count,
            over_time: Figure {
                id: format!("group-{i}-latency"),
                title: format!("{name}: latency percentiles over time"),
                description: format!("p50, p95 and p99 in ms per {every_text} bucket, exact"),
                svg: chart::lines(axis, "duration (ms)", &lines)?,
            },
            distribution: Figure {
                id: format!("group-{i}-distribution"),
                title: format!("{name}: distribution of durations"),
                description: format!(
                    "{} in log-spaced bins, five per tenfold",
                    page::counted(g.count as usize, "request")
                ),
                svg: chart::histogram(&report::duration_bins(&durations[i]))?,
            },
        });
    }
    Ok((figures, groups, overall.len() - n))
}

/// `10:04:05` of a time.
fn clock(t: i64) -> String {
    crate::parse::time::format_rfc3339_whole(t)
}

fn log_chart(logs: &[(i64, u8)], axis: &TimeAxis, every: i64, every_text: &str) -> anyhow::Result<Option<Figure>> {
    if logs.is_empty() {
        return Ok(None);
    }
    let buckets: Vec<i64> = (axis.start_ns..axis.end_ns).step_by(every as usize).collect();
    let lines: Vec<Line> = report::log_counts(logs, every)
        .into_iter()
        .map(|((_, band), counts)| Line {
            label: band.into(),
            points: buckets.iter().map(|b| (axis.seconds(*b), counts.get(b).copied().unwrap_or(0) as f64)).collect(),
        })
        .collect();
    Ok(Some(Figure {
        id: "log-severities".into(),
        title: "Log records per severity over time".into(),
        description: format!("{} records, counted per {every_text} bucket, one line per severity", logs.len()),
        svg: chart::lines(axis, &format!("records per {every_text}"), &lines)?,
    }))
}

fn metric_charts(
    series: &HashMap<(String, String), report::Series>,
    axis: &TimeAxis,
    every: i64,
    every_text: &str,
) -> anyhow::Result<(Vec<page::Metric>, usize)> {
    let mut by_name: BTreeMap<&str, Vec<&report::Series>> = BTreeMap::new();
    for ((name, _), s) in series {
        by_name.entry(name.as_str()).or_default().push(s);
    }
    let total = by_name.len();
    let mut out = Vec::new();
    for (i, (name, series)) in by_name.into_iter().take(METRICS_DRAWN).enumerate() {
        let points: Vec<MetricPoint> = series.iter().flat_map(|s| s.whole()).collect();
        let (what, series) = metrics::over_time(&points, every);
        let n = series.len();
        let labels = distinct(series.iter().take(SERIES_DRAWN).map(|(l, _)| l.as_str()).collect());
        let lines: Vec<Line> = series
            .into_iter()
            .zip(labels)
            .map(|((_, values), label)| Line {
                label,
                points: values.into_iter().map(|(t, v)| (axis.seconds(t), v)).collect(),
            })
            .collect();
        let drawn =
            if n > SERIES_DRAWN { format!("the first {SERIES_DRAWN} of {n} series") } else { format!("{n} series") };
        let figure = lines.iter().any(|l| !l.points.is_empty()).then(|| -> anyhow::Result<Figure> {
            Ok(Figure {
                id: format!("metric-{i}"),
                title: format!("{name}: {what}"),
                description: format!("{drawn}, per {every_text} bucket"),
                svg: chart::lines(axis, &what, &lines)?,
            })
        });
        out.push(page::Metric {
            name: name.to_string(),
            figure: figure.transpose()?,
            note: format!("{name}: no value to draw ({drawn})"),
        });
    }
    Ok((out, total.saturating_sub(METRICS_DRAWN)))
}

/// The slowest traces, each as `trace` prints it and as a waterfall drawn from its JSON.
fn trace_views(slowest: &[(i64, u128)], found: Traces, args: &ReportArgs) -> anyhow::Result<Vec<page::Trace>> {
    let mut parts: HashMap<u128, (Vec<_>, Vec<_>)> = HashMap::new();
    for s in found.spans {
        parts.entry(s.trace_id).or_default().0.push(s);
    }
    for l in found.logs {
        if let Some(t) = l.trace_id {
            parts.entry(t).or_default().1.push(l);
        }
    }
    let mut out = Vec::new();
    for (rank, &(_, id)) in slowest.iter().enumerate() {
        let Some((spans, logs)) = parts.remove(&id) else { continue };
        let trace_args = |format| TraceArgs {
            args: vec![trace_hex(id)],
            slowest: false,
            strict: false,
            input_format: args.input.input_format,
            format,
        };
        let mut text = Vec::new();
        trace::run(
            &trace_args(OutputFormat::Table),
            trace::Parts::of(id, spans.clone(), logs.clone()),
            false,
            &mut text,
        )?;
        let mut json = Vec::new();
        trace::run(&trace_args(OutputFormat::Json), trace::Parts::of(id, spans, logs), false, &mut json)?;
        let doc: serde_json::Value = serde_json::from_slice(&json)?;
        let bars: Vec<Bar> = doc["spans"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|s| Bar {
                depth: s["depth"].as_u64().unwrap_or(0) as usize,
                label: s["name"].as_str().unwrap_or("").to_string(),
                offset_ms: s["offset_ms"].as_f64().unwrap_or(0.0),
                duration_ms: s["duration_ms"].as_f64().unwrap_or(0.0),
                failed: s["span_status"] == "ERROR" || s["status"].as_i64().is_some_and(|c| (500..600).contains(&c)),
            })
            .collect();
        let duration_ms = doc["duration_ms"].as_f64().unwrap_or(0.0);
        out.push(page::Trace {
            id: trace_hex(id),
            duration_ms,
            waterfall: Figure {
                id: format!("trace-{rank}"),
                title: format!("Trace {} as a waterfall", trace_hex(id)),
                description: format!(
                    "{} over {duration_ms:.3} ms, each under its parent; failed spans outlined and marked ✗",
                    page::counted(bars.len(), "span")
                ),
                svg: chart::waterfall(&bars)?,
            },
            text: String::from_utf8_lossy(&text).into_owned(),
        });
    }
    Ok(out)
}

/// The latency table from `latency --format json`: the columns in the command's order, each
/// cell as shown and as the exact JSON value.
fn table(json: &[u8], by: &[String]) -> anyhow::Result<page::Table> {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(json)?;
    let mut columns: Vec<String> = by.iter().map(|k| k.trim().to_string()).collect();
    columns.extend(["count", "errors", "error_pct", "rps", "min", "p50", "p90", "p95", "p99", "max"].map(String::from));
    let cells = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| match r.get(c) {
                    None | Some(serde_json::Value::Null) => ("–".to_string(), String::new()),
                    Some(serde_json::Value::String(s)) => (s.clone(), s.clone()),
                    Some(v) => (v.to_string(), v.to_string()),
                })
                .collect()
        })
        .collect();
    Ok((columns, cells))
}

/// Series labels (`service.name=todo, endpoint=tasks_create, …`) without the `key=value` parts
/// every one of them has: what tells them apart, for a legend with little room.
fn distinct(labels: Vec<&str>) -> Vec<String> {
    let parts: Vec<Vec<&str>> = labels.iter().map(|l| l.split(", ").collect()).collect();
    let shared = |p: &&str| labels.len() > 1 && parts.iter().all(|ps| ps.contains(p));
    parts
        .iter()
        .map(|ps| {
            let own: Vec<&str> = ps.iter().filter(|p| !shared(p)).copied().collect();
            if own.is_empty() { ps.join(", ") } else { own.join(", ") }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_told_apart_by_what_they_do_not_share() {
        let labels = distinct(vec!["service.name=todo, endpoint=a, host=x", "service.name=todo, endpoint=b, host=x"]);
        assert_eq!(labels, ["endpoint=a", "endpoint=b"]);
        assert_eq!(distinct(vec!["service.name=todo"]), ["service.name=todo"]);
    }
}
