//! `otelgrep urls`: every URL requested, with its count, methods, statuses and time span.

use std::io::Write;

use crate::cli::{KindFilter, UrlsArgs};
use crate::frame::{self, Request};
use crate::keys::{Key, resolve, template_of};
use crate::model::{LogRecord, MetricPoint, Span, SpanKind};
use crate::parse::time::format_rfc3339;
use crate::parse::{Needs, Report, Sink};
use crate::render::{self, Cell};

/// What `urls` keeps of each span: a few short strings, not the span.
#[derive(Debug)]
pub struct SpanRow {
    kind: SpanKind,
    root: bool,
    url: Option<String>,
    route: Option<String>,
    method: String,
    status: String,
    start_ns: i64,
}

/// The sink: one row per span.
#[derive(Debug, Default)]
pub struct Rows(pub Vec<SpanRow>);

impl Sink for Rows {
    /// URLs, methods and statuses live in span attributes; events and bodies are not needed.
    const NEEDS: Needs = Needs { attributes: true, events: false, bodies: false };

    fn span(&mut self, s: Span) {
        self.0.push(SpanRow {
            kind: s.kind,
            root: s.parent_span_id.is_none(),
            url: resolve(&Key::Url, &s).map(|r| r.value),
            route: resolve(&Key::Attribute("http.route".into()), &s).map(|r| r.value),
            method: resolve(&Key::Method, &s).map(|r| r.value).unwrap_or_default(),
            status: resolve(&Key::Status, &s).map(|r| r.value).unwrap_or_default(),
            start_ns: s.start_ns,
        });
    }
    fn log(&mut self, _: LogRecord) {}
    fn point(&mut self, _: MetricPoint) {}
    fn merge(&mut self, later: Self) {
        self.0.extend(later.0);
    }
}

fn wanted(kind: KindFilter, r: &SpanRow) -> bool {
    match kind {
        // Entry spans: SERVER, or roots whose kind the format did not give.
        KindFilter::Entry => r.kind == SpanKind::Server || (r.kind == SpanKind::Unspecified && r.root),
        KindFilter::Server => r.kind == SpanKind::Server,
        KindFilter::Client => r.kind == SpanKind::Client,
        KindFilter::Internal => r.kind == SpanKind::Internal,
        KindFilter::Producer => r.kind == SpanKind::Producer,
        KindFilter::Consumer => r.kind == SpanKind::Consumer,
        KindFilter::All => true,
    }
}

/// Prints the table of URLs.
pub fn run(args: &UrlsArgs, inputs: Vec<(String, Report, Rows)>, out: &mut dyn Write) -> anyhow::Result<()> {
    let requests: Vec<Request> = inputs
        .into_iter()
        .flat_map(|(_, _, rows)| rows.0)
        .filter(|r| wanted(args.kind, r))
        .map(|r| Request {
            url: match (&r.url, args.template) {
                (Some(u), true) => template_of(r.route.as_deref(), u),
                (Some(u), false) => u.clone(),
                // Nothing silently dropped: spans without any URL get a row of their own.
                (None, _) => "(no url)".to_string(),
            },
            method: r.method,
            status: r.status,
            start_ns: r.start_ns,
        })
        .collect();
    let mut urls = frame::urls(&requests)?;
    if let Some(n) = args.top {
        urls.truncate(n);
    }
    let header = if args.template { "template" } else { "url" };
    let columns = [header, "count", "methods", "statuses", "first_seen", "last_seen"];
    let rows: Vec<Vec<Cell>> = urls
        .into_iter()
        .map(|u| {
            vec![
                Cell::Str(u.url),
                Cell::Int(u.count as i64),
                Cell::List(u.methods),
                Cell::List(u.statuses.into_iter().map(|(s, n)| format!("{s}×{n}")).collect()),
                Cell::Str(format_rfc3339(u.first_ns)),
                Cell::Str(format_rfc3339(u.last_ns)),
            ]
        })
        .collect();
    render::rows(&columns, &rows, args.format, out)
}
