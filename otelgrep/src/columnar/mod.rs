//! Parquet, both ways: `export --to parquet` writes spans, log records and metric points as
//! three tables with the columns of the OpenTelemetry Collector's ClickHouse exporter (the de
//! facto columnar layout of OpenTelemetry data) plus what only otelgrep resolves; an export folder
//! given as input is read back into the same model every command reads, so it answers exactly as
//! the capture it came from.
//!
//! The only module that uses the `parquet` crate. `table` is the columns and their levels, `rows` the buffers rows are written into,
//! `spans`/`logs`/`metrics` map the model to rows and back, `values` the attribute texts, `write`
//! the folder, `read` a file, `pages` and `thrift` what a file claims checked before the library
//! acts on it.

mod chunk;
mod logs;
mod metrics;
mod pages;
pub mod read;
mod rows;
mod spans;
mod table;
mod thrift;
mod values;
pub mod write;

pub use read::{Table, read};
pub use write::{Batches, Partitioning, Writer, Written};

/// Whether bytes are a Parquet file (its magic number; one cut short is still one, and says so
/// when read).
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PAR1")
}

/// The tables' folders of an export.
const TABLES: [&str; 3] = ["spans", "logs", "metrics"];

/// Whether a folder is an export: it holds the `spans`, `logs` and `metrics` folders an export
/// makes (an export of nothing has them empty), or one of them with Parquet files in it.
pub fn is_export(dir: &std::path::Path) -> bool {
    TABLES.iter().all(|t| dir.join(t).is_dir())
        || TABLES.iter().any(|t| files_in(&dir.join(t)).is_ok_and(|f| !f.is_empty()))
}

/// How an export folder's files are already laid out (`None` for a folder with none): the
/// partition folders between a table's folder and its files. Engines read one layout per table
/// (Spark keeps only the files at the partitioned depth), so an export must not add another.
pub fn layout(dir: &std::path::Path) -> anyhow::Result<Option<Vec<String>>> {
    for t in TABLES {
        let table = dir.join(t);
        if !table.is_dir() {
            continue;
        }
        if let Some(file) = files_in(&table)?.first() {
            let rel = std::path::Path::new(file).strip_prefix(&table).unwrap_or(std::path::Path::new(file));
            let parts: Vec<String> = rel
                .parent()
                .into_iter()
                .flat_map(|p| p.components())
                .filter_map(|c| c.as_os_str().to_str()?.split_once('=').map(|(k, _)| k.to_string()))
                .collect();
            return Ok(Some(parts));
        }
    }
    Ok(None)
}

/// An export's Parquet files, table by table, each table's in path order (hidden files, such as
/// those still being written, left out).
pub fn files(dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut all = Vec::new();
    for t in TABLES {
        let table = dir.join(t);
        if table.is_dir() {
            all.extend(files_in(&table)?);
        }
    }
    Ok(all)
}

fn files_in(dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            out.extend(files_in(&path)?);
        } else if name.ends_with(".parquet") {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}
