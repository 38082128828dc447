//! One file per subcommand, and the few helpers the query commands share: which spans count as
//! requests (`--kind`) and how result rows are ordered (`--sort`).

pub mod completions;
pub mod export;
pub mod latency;
pub mod logs;
pub mod man;
pub mod metrics;
pub mod report;
pub mod spans;
pub mod summary;
pub mod trace;
pub mod urls;

use std::io::Write;

use crate::cli::{KindFilter, OutputFormat, TableArgs};
use crate::keys::{Key, resolve};
use crate::model::{Span, SpanKind, StatusCode};
use crate::parse::{Report, Sink};
use crate::render::{self, Cell};

/// Every input's sink merged into one, in input order.
pub fn merged<S: Sink>(inputs: Vec<(String, Report, S)>) -> S {
    let mut sinks = inputs.into_iter().map(|(_, _, s)| s);
    let mut all = sinks.next().expect("clap requires at least one file");
    for s in sinks {
        all.merge(s);
    }
    all
}

/// Prints result rows as `--sort`, `--top` and `--format` say; under a table, the line `footer`
/// makes of the total and shown row counts.
pub fn print_rows(
    columns: &[&str],
    mut rows: Vec<Vec<Cell>>,
    table: &TableArgs,
    out: &mut dyn Write,
    footer: impl FnOnce(usize, usize) -> String,
) -> anyhow::Result<()> {
    if let Some(c) = table.sort.as_deref().map(|s| sort_column(columns, s)).transpose()? {
        sort_rows(&mut rows, c);
    }
    let total = rows.len();
    if let Some(n) = table.top {
        rows.truncate(n);
    }
    render::rows(columns, &rows, table.format, render::colours_wanted(), out)?;
    if table.format == OutputFormat::Table {
        let line = footer(total, rows.len());
        if !line.is_empty() {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// `N thing(s)`, with `(M shown)` when `--top` cut.
pub fn counted(total: usize, shown: usize, thing: &str) -> String {
    let cut = if shown < total { format!(" ({shown} shown)") } else { String::new() };
    format!("{total} {thing}{}{cut}", if total == 1 { "" } else { "s" })
}

/// Interpolated nanoseconds, rounded to a picosecond, so that 79600 ns prints as 0.0796 ms and
/// not 0.07960000000000002.
pub fn round_ps(ns: f64) -> f64 {
    (ns * 1e3).round() / 1e3
}

/// Failed requests and spans: span status ERROR, or a 5xx response.
pub fn failed(s: &Span) -> bool {
    s.status == StatusCode::Error
        || resolve(&Key::Status, s).and_then(|r| crate::filter::status_code(&r.value)).is_some_and(|c| c >= 500)
}

/// Whether a span is a request's entry: SERVER, or a root whose kind the format did not give.
pub fn is_entry(s: &Span) -> bool {
    wanted(KindFilter::Entry, s)
}

/// A trace id as typed: 32 hex digits, or a prefix of at least 8 (with or without `0x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceSelector {
    prefix: u128,
    bits: u32,
}

impl TraceSelector {
    pub fn parse(s: &str) -> anyhow::Result<TraceSelector> {
        let hex = s.trim();
        let hex = hex.strip_prefix("0x").unwrap_or(hex);
        if hex.len() < 8 || hex.len() > 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!("'{s}' is not a trace id: give its 32 hex digits, or the first 8 or more");
        }
        let bits = 4 * hex.len() as u32;
        Ok(TraceSelector { prefix: u128::from_str_radix(hex, 16)?, bits })
    }

    /// The digits given, as the leading digits of a whole id (the rest zero).
    pub fn aligned(&self) -> u128 {
        if self.bits == 128 { self.prefix } else { self.prefix << (128 - self.bits) }
    }

    pub fn matches(&self, id: u128) -> bool {
        if self.bits == 128 { id == self.prefix } else { id >> (128 - self.bits) == self.prefix }
    }
}

/// `--name 'GET *'`: a glob as an anchored regular expression (`*` any run, `?` one character).
pub fn glob(pattern: &str) -> anyhow::Result<regex::Regex> {
    let mut re = String::from("^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Ok(regex::Regex::new(&re)?)
}

/// Whether `--kind` keeps a span. Entry spans are SERVER spans, or roots whose kind the format
/// did not give: nested spans of one request are not counted twice.
pub fn wanted(kind: KindFilter, s: &Span) -> bool {
    match kind {
        KindFilter::Entry => {
            s.kind == SpanKind::Server || (s.kind == SpanKind::Unspecified && s.parent_span_id.is_none())
        }
        KindFilter::Server => s.kind == SpanKind::Server,
        KindFilter::Client => s.kind == SpanKind::Client,
        KindFilter::Internal => s.kind == SpanKind::Internal,
        KindFilter::Producer => s.kind == SpanKind::Producer,
        KindFilter::Consumer => s.kind == SpanKind::Consumer,
        KindFilter::All => true,
    }
}

/// The kinds of span `--kind` can keep (see [`wanted`]), for [`Needs::span_kinds`]: `None` for
/// every kind.
pub fn kinds(kind: KindFilter) -> Option<&'static [SpanKind]> {
    Some(match kind {
        KindFilter::Entry => &[SpanKind::Server, SpanKind::Unspecified],
        KindFilter::Server => &[SpanKind::Server],
        KindFilter::Client => &[SpanKind::Client],
        KindFilter::Internal => &[SpanKind::Internal],
        KindFilter::Producer => &[SpanKind::Producer],
        KindFilter::Consumer => &[SpanKind::Consumer],
        KindFilter::All => return None,
    })
}

/// The index of `--sort COLUMN` among `columns`, or an error listing the columns there are.
pub fn sort_column(columns: &[&str], sort: &str) -> anyhow::Result<usize> {
    columns
        .iter()
        .position(|c| *c == sort)
        .ok_or_else(|| anyhow::anyhow!("--sort {sort}: no such column (there are: {})", columns.join(", ")))
}

/// Orders rows by one column: figures largest first, text A to Z. Stable, so rows that tie keep
/// the command's default order.
pub fn sort_rows(rows: &mut [Vec<Cell>], column: usize) {
    rows.sort_by(|a, b| compare_cells(&a[column], &b[column]));
}

/// The `--sort` order of two cells of one column: figures largest first, text A to Z, and cells
/// without a value last whichever way the column sorts.
pub fn compare_cells(x: &Cell, y: &Cell) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (x, y) {
        (Cell::Null, Cell::Null) => Ordering::Equal,
        (Cell::Null, _) => Ordering::Greater,
        (_, Cell::Null) => Ordering::Less,
        _ if x.numeric() => y.compare(x),
        _ => x.compare(y),
    }
}
