//! The report as one HTML file: the sections in order, each chart a `<figure>` whose SVG carries
//! a title and a description, tables with captions, and a stylesheet that also prints. No
//! script, no font, no image to fetch: the Content-Security-Policy says so, and a browser that
//! opens the file from disk makes no request.

use std::fmt::Write as _;

use super::Notable;
use crate::cmd::summary::Summary;
use crate::inputs::thousands;
use crate::parse::time::format_rfc3339;

/// A chart with what a reader without the picture needs.
#[derive(Debug, Clone)]
pub struct Figure {
    pub id: String,
    pub title: String,
    /// What the chart shows, in words (the SVG's description, and the caption).
    pub description: String,
    pub svg: String,
}

/// One group of requests: its latency over time and its distribution.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub requests: u64,
    pub over_time: Figure,
    pub distribution: Figure,
}

/// One of the slowest traces.
#[derive(Debug, Clone)]
pub struct Trace {
    pub id: String,
    pub duration_ms: f64,
    pub waterfall: Figure,
    /// The waterfall as `otelgrep trace` prints it: events, exceptions and logs under each span.
    pub text: String,
}

/// One metric.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    pub figure: Option<Figure>,
    pub note: String,
}

/// A table: column names, and rows of (text shown, exact value) per column.
pub type Table = (Vec<String>, Vec<Vec<(String, String)>>);

/// Everything the page shows, computed and drawn.
#[derive(Debug)]
pub struct Page {
    pub inputs: Vec<String>,
    pub summary: Summary,
    /// The first records that could not be read, as `FILE:LINE: reason`, and how many in all.
    pub bad_records: (Vec<String>, usize),
    /// The filters given, as typed (`--service frontend`), or empty.
    pub filters: String,
    pub by: String,
    pub every: String,
    /// Requests counted but not drawn: no duration (no times, or ending before they start).
    pub requests_undrawn: usize,
    /// Groups in all, when the table shows only the first.
    pub table_groups: usize,
    pub requests: Vec<Figure>,
    pub groups: Vec<Group>,
    pub groups_not_drawn: usize,
    /// The latency table.
    pub table: Table,
    pub traces: Vec<Trace>,
    pub logs: Option<Figure>,
    pub notable: Vec<Notable>,
    pub notable_total: usize,
    pub logs_untimed: usize,
    pub metrics: Vec<Metric>,
    pub metrics_not_drawn: usize,
}

/// Text as HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;background:#fff;margin:0}
main{max-width:960px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.6em;margin:.4em 0 .1em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin:1.4em 0 .3em}p.meta,figcaption,.note{color:#555;font-size:.9em}
figure{margin:.6em 0 1.2em}svg{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0;width:100%}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
pre{font-size:.78em;overflow-x:auto;background:#f8f8f8;border:1px solid #e2e2e2;padding:8px;white-space:pre}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:.8em 0}
.card{border:1px solid #ccc;border-radius:6px;padding:6px 12px;min-width:110px}
.card b{display:block;font-size:1.4em}.pair{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.pair figure{flex:1 1 420px}nav ol{columns:2}
@media print{nav{display:none}figure,table,pre,.trace{break-inside:avoid}main{max-width:none}}
";

/// The whole page.
pub fn html(p: &Page) -> String {
    let mut h = String::with_capacity(1 << 20);
    let shown: Vec<&str> = p.inputs.iter().map(|i| if i == "-" { "standard input" } else { i.as_str() }).collect();
    let title = format!("otelgrep report: {}", shown.join(", "));
    let covered = match (&p.summary.total.first_time, &p.summary.total.last_time) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no times in the input".to_string(),
    };
    let filters = if p.filters.is_empty() {
        String::new()
    } else {
        format!(" · charts and tables only of what passes <code>{}</code>", esc(&p.filters))
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n\
         <meta name=\"generator\" content=\"otelgrep {}\">\n<title>{}</title><style>{STYLE}</style></head>\n<body><main>\n\
         <h1>{}</h1>\n<p class=\"meta\">{} · made by otelgrep {} · times in UTC{filters}</p>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&title),
        esc(&title),
        esc(&covered),
        env!("CARGO_PKG_VERSION"),
    );
    h.push_str(
        "<nav aria-label=\"Contents\"><ol><li><a href=\"#summary\">What the capture holds</a></li>\
         <li><a href=\"#requests\">Requests over time</a></li><li><a href=\"#latency\">Latency table</a></li>\
         <li><a href=\"#traces\">Slowest traces</a></li><li><a href=\"#logs\">Log records</a></li>\
         <li><a href=\"#metrics\">Metrics</a></li></ol></nav>\n",
    );
    summary(&mut h, p);
    requests(&mut h, p);
    table(&mut h, p);
    traces(&mut h, p);
    logs(&mut h, p);
    metrics(&mut h, p);
    h.push_str("</main></body></html>\n");
    h
}

/// A chart in a figure: the SVG given a title and description a screen reader announces.
fn figure(h: &mut String, f: &Figure) {
    let (title_id, desc_id) = (format!("{}-t", f.id), format!("{}-d", f.id));
    // The end of the `<svg ...>` opening tag: the attributes go before it, the title after it.
    let close = f.svg.find("<svg").and_then(|s| f.svg[s..].find('>').map(|e| s + e));
    let _ = write!(h, "<figure id=\"{}\">", esc(&f.id));
    match close {
        Some(at) => {
            let _ = write!(
                h,
                "{} role=\"img\" aria-labelledby=\"{title_id} {desc_id}\"><title id=\"{title_id}\">{}</title>\
                 <desc id=\"{desc_id}\">{}</desc>{}",
                &f.svg[..at],
                esc(&f.title),
                esc(&f.description),
                &f.svg[at + 1..]
            );
        }
        None => h.push_str(&f.svg),
    }
    let _ = write!(h, "\n<figcaption><b>{}</b>. {}</figcaption></figure>\n", esc(&f.title), esc(&f.description));
}

fn summary(h: &mut String, p: &Page) {
    let t = &p.summary.total;
    h.push_str("<section id=\"summary\"><h2>What the capture holds</h2>\n<div class=\"cards\">");
    let cards = [
        ("spans", t.spans),
        ("requests (server spans)", t.server_spans),
        ("failed spans", t.error_spans),
        ("log records", t.log_records),
        ("metric points", t.metric_points),
        (if t.services.len() == 1 { "service" } else { "services" }, t.services.len()),
        ("foreign lines", t.foreign_lines),
        ("records not read", t.skipped_records),
    ];
    for (label, n) in cards {
        let _ = write!(h, "<div class=\"card\"><b>{}</b>{}</div>", thousands(n), esc(label));
    }
    h.push_str("</div>\n<table><caption>Per input</caption><thead><tr><th scope=\"col\">input</th>");
    for c in ["formats", "spans", "log records", "metric points", "services", "foreign lines", "not read"] {
        let _ = write!(h, "<th scope=\"col\">{c}</th>");
    }
    h.push_str("</tr></thead><tbody>");
    for f in &p.summary.files {
        let c = &f.counts;
        let formats: Vec<String> = c.formats.iter().map(|(k, v)| format!("{k} {}", thousands(*v))).collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&f.file),
            esc(&formats.join(", ")),
            thousands(c.spans),
            thousands(c.log_records),
            thousands(c.metric_points),
            esc(&c.services.join(", ")),
            thousands(c.foreign_lines),
            thousands(c.skipped_records),
        );
    }
    h.push_str("</tbody></table>\n");
    let (shown, total) = &p.bad_records;
    if *total > 0 {
        let _ = write!(h, "<h3>What could not be read ({} records)</h3><pre>", thousands(*total));
        for line in shown {
            let _ = writeln!(h, "{}", esc(line));
        }
        if *total > shown.len() {
            let _ = writeln!(h, "… and {} more (otelgrep summary lists the reasons)", thousands(total - shown.len()));
        }
        h.push_str("</pre>\n");
    } else {
        h.push_str("<p class=\"note\">Every record was read.</p>\n");
    }
    h.push_str("</section>\n");
}

fn requests(h: &mut String, p: &Page) {
    let _ = writeln!(h, "<section id=\"requests\"><h2>Requests over time, by {}</h2>", esc(&p.by));
    if !p.requests.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">Time buckets of {}; latency percentiles are exact (linear interpolation over every \
             request's duration in the bucket).</p>",
            esc(&p.every)
        );
    }
    if p.requests_undrawn > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} without a duration (no start or end time, or ending before it starts) \
             {} counted in the summary but not drawn.</p>",
            counted(p.requests_undrawn, "request"),
            if p.requests_undrawn == 1 { "is" } else { "are" }
        );
    }
    if p.requests.is_empty() {
        let _ = writeln!(h, "<p>No requests (entry spans){}.</p></section>", none_where(p));
        return;
    }
    for f in &p.requests {
        figure(h, f);
    }
    for g in &p.groups {
        let _ = writeln!(h, "<h3>{} <small>({})</small></h3>", esc(&g.name), counted(g.requests as usize, "request"));
        figure(h, &g.over_time);
        figure(h, &g.distribution);
    }
    if p.groups_not_drawn > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} more groups with fewer requests are not drawn; the table below holds them all.</p>",
            p.groups_not_drawn
        );
    }
    h.push_str("</section>\n");
}

fn table(h: &mut String, p: &Page) {
    let (columns, rows) = &p.table;
    let _ = write!(
        h,
        "<section><h2>Latency table</h2>\n<table id=\"latency\"><caption>Per {}: as <code>otelgrep latency --by {} \
         --format json</code> gives it (durations in ms)</caption><thead><tr>",
        esc(&p.by),
        esc(&p.by)
    );
    for c in columns {
        let _ = write!(h, "<th scope=\"col\">{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>\n");
    for row in rows {
        h.push_str("<tr>");
        for (c, (shown, exact)) in columns.iter().zip(row) {
            let numeric = exact.parse::<f64>().is_ok();
            let _ = write!(
                h,
                "<td{} data-column=\"{}\" data-value=\"{}\">{}</td>",
                if numeric { " class=\"n\"" } else { "" },
                esc(c),
                esc(exact),
                esc(shown)
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
    if p.table_groups > rows.len() {
        let _ = writeln!(
            h,
            "<p class=\"note\">The {} most requested of {} groups; <code>otelgrep latency --by {}</code> gives them \
             all.</p>",
            rows.len(),
            thousands(p.table_groups),
            esc(&p.by)
        );
    }
    h.push_str("</section>\n");
}

fn traces(h: &mut String, p: &Page) {
    h.push_str("<section id=\"traces\"><h2>Slowest traces</h2>\n");
    if p.traces.is_empty() {
        let _ = writeln!(h, "<p>No requests with a duration{}.</p>", none_where(p));
    }
    for t in &p.traces {
        let _ = writeln!(h, "<div class=\"trace\"><h3>Trace {} · {:.3} ms</h3>", esc(&t.id), t.duration_ms);
        figure(h, &t.waterfall);
        let _ = writeln!(h, "<pre aria-label=\"trace {} as text\">{}</pre></div>", esc(&t.id), esc(&t.text));
    }
    h.push_str("</section>\n");
}

fn logs(h: &mut String, p: &Page) {
    h.push_str("<section id=\"logs\"><h2>Log records</h2>\n");
    match &p.logs {
        Some(f) => figure(h, f),
        None => {
            let _ = writeln!(h, "<p>No log records{}.</p>", none_where(p));
        }
    }
    if p.logs_untimed > 0 {
        let _ = writeln!(h, "<p class=\"note\">{} records without a time are counted, not drawn.</p>", p.logs_untimed);
    }
    if p.notable_total > 0 {
        let _ = writeln!(
            h,
            "<table id=\"notable\"><caption>Warnings and errors: {} records{}</caption><thead><tr>\
             <th scope=\"col\">time</th><th scope=\"col\">severity</th><th scope=\"col\">service</th>\
             <th scope=\"col\">body</th><th scope=\"col\">trace</th></tr></thead><tbody>",
            thousands(p.notable_total),
            if p.notable_total > p.notable.len() {
                format!(", the first {} shown", p.notable.len())
            } else {
                String::new()
            }
        );
        for n in &p.notable {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                n.time_ns.map(format_rfc3339).unwrap_or_default(),
                esc(&n.severity),
                esc(&n.service),
                esc(&n.body),
                n.trace_id.map(crate::model::trace_hex).unwrap_or_default()
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn metrics(h: &mut String, p: &Page) {
    h.push_str("<section id=\"metrics\"><h2>Metrics</h2>\n");
    if p.metrics.is_empty() {
        let _ = writeln!(h, "<p>No metric points{}.</p>", none_where(p));
    }
    for m in &p.metrics {
        let _ = writeln!(h, "<h3>{}</h3>", esc(&m.name));
        match &m.figure {
            Some(f) => figure(h, f),
            None => {
                let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&m.note));
            }
        }
    }
    if p.metrics_not_drawn > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} more metrics are not drawn (the page stays small); <code>otelgrep metrics FILE</code> \
             lists every one.</p>",
            p.metrics_not_drawn
        );
    }
    h.push_str("</section>\n");
}

/// `1 request`, `2,000 requests`.
pub(crate) fn counted(n: usize, thing: &str) -> String {
    format!("{} {thing}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// Where nothing was found: in the input, or among what passes the filters.
fn none_where(p: &Page) -> &'static str {
    if p.filters.is_empty() { " in the input" } else { " pass the filters" }
}
