//! Parquet, both ways: `export --to parquet` writes spans, log records and metric points as
//! three tables with the columns of the OpenTelemetry Collector's ClickHouse exporter (the de
//! facto columnar layout of OpenTelemetry data) plus what only otelgrep resolves; an export folder
//! given as input is read back into the same model every command reads, so it answers exactly as
//! the capture it came from.
//!
//! The only module that uses the `parquet` crate. `table` is the columns and their levels,
//! `spans`/`logs`/`metrics` map the model to rows and back, `values` the attribute texts, `write`
//! the folder, `read` a file.

mod logs;
mod metrics;
pub mod read;
mod spans;
mod table;
mod values;
pub mod write;

pub use read::{Table, read};
pub use write::{Batches, Partitioning, Writer, Written};

/// Whether bytes are a Parquet file (its magic number).
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1")
}
