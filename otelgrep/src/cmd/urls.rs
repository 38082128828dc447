//! `otelgrep urls`: every URL requested, with its count, methods, statuses and time span.

use std::io::Write;

use crate::cli::{KindFilter, UrlsArgs};
use crate::cmd::{kinds, print_rows, wanted};
use crate::filter::Filter;
use crate::frame::{self, Request};
use crate::keys::{Key, attributes_read, resolve, template};
use crate::model::{LogRecord, MetricPoint, Span};
use crate::parse::time::format_rfc3339;
use crate::parse::{Needs, Report, Sink};
use crate::render::Cell;

/// What every worker's sink needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub kind: KindFilter,
    pub template: bool,
    pub filter: Filter,
}

/// The sink: one row per request span, filtered and keyed as it arrives.
#[derive(Debug, Clone)]
pub struct Rows {
    config: Config,
    pub rows: Vec<Request>,
}

impl Sink for Rows {
    type Config = Config;
    /// URLs, methods and statuses live in span attributes; events and bodies are not needed.
    const NEEDS: Needs = Needs::SPAN_ATTRIBUTES;

    /// Only the attributes the URL, method and status keys and the filters read.
    fn needs(config: &Config) -> Needs {
        Self::NEEDS.only(attributes_read(config.filter.keys())).span_kinds(kinds(config.kind))
    }

    fn window(config: &Config) -> (Option<i64>, Option<i64>) {
        (config.filter.since, config.filter.until)
    }

    fn new(config: &Config) -> Self {
        Rows { config: config.clone(), rows: Vec::new() }
    }

    fn span(&mut self, s: Span) {
        if !wanted(self.config.kind, &s) || !self.config.filter.span(&s) {
            return;
        }
        let url = match resolve(&Key::Url, &s) {
            Some(u) if self.config.template => template(&s, &u.value),
            Some(u) => u.value,
            // Nothing silently dropped: spans without any URL get a row of their own.
            None => NO_URL.to_string(),
        };
        self.rows.push(Request {
            url,
            method: resolve(&Key::Method, &s).map(|r| r.value).unwrap_or_default(),
            status: resolve(&Key::Status, &s).map(|r| r.value).unwrap_or_default(),
            start_ns: s.start_ns,
        });
    }
    fn log(&mut self, _: LogRecord) {}
    fn point(&mut self, _: MetricPoint) {}
    fn merge(&mut self, later: Self) {
        self.rows.extend(later.rows);
    }
}

/// The group of spans without any URL (nothing is silently dropped): `null` in data formats.
pub const NO_URL: &str = "(no url)";

/// Prints the table of URLs: most requested first unless `--sort` says otherwise.
pub fn run(args: &UrlsArgs, inputs: Vec<(String, Report, Rows)>, out: &mut dyn Write) -> anyhow::Result<()> {
    let requests: Vec<Request> = inputs.into_iter().flat_map(|(_, _, r)| r.rows).collect();
    let urls = frame::urls(&requests)?;
    let header = if args.template { "template" } else { "url" };
    let columns = [header, "count", "methods", "statuses", "first_seen", "last_seen"];
    let rows: Vec<Vec<Cell>> = urls
        .into_iter()
        .map(|u| {
            vec![
                if u.url == NO_URL { Cell::Missing(NO_URL) } else { Cell::Str(u.url) },
                Cell::Int(u.count as i64),
                Cell::List(u.methods),
                Cell::Tally(
                    u.statuses
                        .into_iter()
                        .map(|(s, n)| (if s.is_empty() { "(none)".to_string() } else { s }, n as u64))
                        .collect(),
                ),
                u.first_ns.map_or(Cell::Null, |t| Cell::Str(format_rfc3339(t))),
                u.last_ns.map_or(Cell::Null, |t| Cell::Str(format_rfc3339(t))),
            ]
        })
        .collect();
    // The README shows this table as it is: no line under it.
    print_rows(&columns, rows, &args.table, out, |_, _| String::new())
}
