//! One file per subcommand, and the few helpers the query commands share: which spans count as
//! requests (`--kind`) and how result rows are ordered (`--sort`).

pub mod latency;
pub mod summary;
pub mod urls;

use crate::cli::KindFilter;
use crate::model::{Span, SpanKind};
use crate::render::Cell;

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
