//! Writing an export folder: each worker's sink turns records into rows of its own buffers (one
//! per table and partition), and hands a buffer to the shared [`Writer`] as one row group when it
//! is full, so memory holds a few row groups whatever the input's size; the order of rows in a
//! file is not the input's (no engine reads it as meaningful).
//!
//! Layout: `DIR/spans`, `DIR/logs`, `DIR/metrics`, each optionally partitioned hive-style
//! (`service=todo/date=2026-11-27/`), files `part-<run>-<n>.parquet` of at most [`FILE_ROWS`]
//! rows in row groups of at most [`GROUP_ROWS`] rows or [`GROUP_BYTES`] of text. A file is
//! written under a hidden name and renamed when complete, so readers (engines, otelgrep) never see
//! half a file, and a second export into the same folder adds files beside the first's.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use parquet::basic::Compression;
use parquet::column::writer::ColumnWriter;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use crate::columnar::read::Table;
use crate::columnar::table::{Rows, Values, schema};
use crate::columnar::{logs, metrics, spans};
use crate::model::{LogRecord, MetricPoint, Span};
use crate::parse::Sink;

/// Rows per row group: about 10-40 MB of a capture's spans, the unit an engine reads in parallel.
pub const GROUP_ROWS: usize = 65_536;
/// Text held per row group at most (long attribute values, log bodies).
pub const GROUP_BYTES: usize = 32 << 20;
/// Rows per file at most.
pub const FILE_ROWS: usize = 1 << 20;
/// Text a sink holds across its buffers before it writes them all.
const HELD_BYTES: usize = 48 << 20;

/// How files are split into folders.
#[derive(Debug, Clone, Copy, Default)]
pub struct Partitioning {
    pub service: bool,
    pub date: bool,
}

/// The files being written, shared by every worker's sink.
pub struct Writer {
    dir: PathBuf,
    partitioning: Partitioning,
    run: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    open: HashMap<(usize, String), Open>,
    files: usize,
    rows: [usize; 3],
    error: Option<String>,
}

struct Open {
    writer: SerializedFileWriter<BufWriter<File>>,
    hidden: PathBuf,
    path: PathBuf,
    rows: usize,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub spans: usize,
    pub logs: usize,
    pub points: usize,
    pub files: usize,
}

fn slot(table: Table) -> usize {
    match table {
        Table::Spans => 0,
        Table::Logs => 1,
        Table::Metrics => 2,
    }
}

const TABLES: [Table; 3] = [Table::Spans, Table::Logs, Table::Metrics];

impl Writer {
    pub fn new(dir: &Path, partitioning: Partitioning) -> anyhow::Result<Writer> {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        // Unique per run: exports into one folder add files, and never overwrite each other's.
        let run = format!("{}-{}", now.as_millis(), std::process::id());
        Ok(Writer { dir: dir.to_path_buf(), partitioning, run, state: Mutex::new(State::default()) })
    }

    /// The folder a record goes to, under its table's.
    fn partition(&self, service: Option<&str>, time_ns: Option<i64>) -> String {
        let mut parts = Vec::new();
        if self.partitioning.service {
            parts.push(format!("service={}", hive_escape(service.unwrap_or(""))));
        }
        if self.partitioning.date {
            let date = time_ns.filter(|&t| t != 0).map(|t| crate::parse::time::format_rfc3339(t)[..10].to_string());
            parts.push(format!("date={}", hive_escape(date.as_deref().unwrap_or(""))));
        }
        parts.join("/")
    }

    /// Writes one buffer as a row group of its partition's current file.
    fn write(&self, table: Table, partition: &str, rows: &Rows) {
        if rows.rows == 0 {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.error.is_some() {
            return;
        }
        if let Err(e) = self.write_locked(&mut state, table, partition, rows) {
            state.error = Some(e);
        }
    }

    fn write_locked(&self, state: &mut State, table: Table, partition: &str, rows: &Rows) -> Result<(), String> {
        let key = (slot(table), partition.to_string());
        if !state.open.contains_key(&key) {
            let folder = self.dir.join(table.name()).join(partition);
            std::fs::create_dir_all(&folder).map_err(|e| format!("creating {}: {e}", folder.display()))?;
            let name = format!("part-{}-{:05}.parquet", self.run, state.files);
            state.files += 1;
            let (path, hidden) = (folder.join(&name), folder.join(format!(".{name}.tmp")));
            let file = File::create(&hidden).map_err(|e| format!("writing {}: {e}", hidden.display()))?;
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("otelgrep {}", env!("CARGO_PKG_VERSION")))
                .build();
            let schema = schema(table.name(), table.columns()).map_err(|e| e.to_string())?;
            let writer = SerializedFileWriter::new(BufWriter::with_capacity(1 << 20, file), schema, Arc::new(props))
                .map_err(|e| format!("writing {}: {e}", hidden.display()))?;
            state.open.insert(key.clone(), Open { writer, hidden, path, rows: 0 });
        }
        let open = state.open.get_mut(&key).expect("opened above");
        write_group(&mut open.writer, rows).map_err(|e| format!("writing {}: {e}", open.hidden.display()))?;
        open.rows += rows.rows;
        state.rows[slot(table)] += rows.rows;
        if open.rows >= FILE_ROWS {
            let open = state.open.remove(&key).expect("present");
            close(open)?;
        }
        Ok(())
    }

    /// Leaves nothing behind: an export given up (`--strict` found a bad record) removes the
    /// files it was writing. Files it completed stay (a later export may add to them).
    pub fn abandon(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (_, open) in state.open.drain() {
            let _ = std::fs::remove_file(&open.hidden);
        }
    }

    /// Closes every file; says what was written, or the first error.
    pub fn finish(&self) -> anyhow::Result<Written> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let open: Vec<Open> = state.open.drain().map(|(_, o)| o).collect();
        let mut error = state.error.take();
        for o in open {
            if let Err(e) = close(o) {
                error.get_or_insert(e);
            }
        }
        if let Some(e) = error {
            anyhow::bail!("{e}");
        }
        let [spans, logs, points] = state.rows;
        Ok(Written { spans, logs, points, files: state.files })
    }
}

fn close(open: Open) -> Result<(), String> {
    let shown = open.hidden.display().to_string();
    let inner = open.writer.into_inner().map_err(|e| format!("writing {shown}: {e}"))?;
    let file = inner.into_inner().map_err(|e| format!("writing {shown}: {}", e.error()))?;
    file.sync_all().map_err(|e| format!("writing {shown}: {e}"))?;
    std::fs::rename(&open.hidden, &open.path).map_err(|e| format!("renaming {shown}: {e}"))
}

/// A partition value as Hive writes it: `%XX` for anything but letters, digits and `._-`; none
/// is Hive's default partition.
fn hive_escape(v: &str) -> String {
    if v.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".into();
    }
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn write_group(w: &mut SerializedFileWriter<BufWriter<File>>, rows: &Rows) -> parquet::errors::Result<()> {
    let mut group = w.next_row_group()?;
    for (c, leaves) in rows.columns.iter().zip(&rows.leaves) {
        let (max_def, max_rep) = c.shape.levels();
        for leaf in leaves {
            let Some(mut column) = group.next_column()? else {
                return Err(parquet::errors::ParquetError::General("fewer columns than the schema".into()));
            };
            let def = (max_def > 0).then_some(&leaf.def[..]);
            let rep = (max_rep > 0).then_some(&leaf.rep[..]);
            let written = match (column.untyped(), &leaf.values) {
                (ColumnWriter::Int64ColumnWriter(w), Values::I64(v)) => w.write_batch(v, def, rep),
                (ColumnWriter::Int32ColumnWriter(w), Values::I32(v)) => w.write_batch(v, def, rep),
                (ColumnWriter::DoubleColumnWriter(w), Values::F64(v)) => w.write_batch(v, def, rep),
                (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => w.write_batch(v, def, rep),
                (ColumnWriter::ByteArrayColumnWriter(w), Values::Bytes(v)) => w.write_batch(v, def, rep),
                _ => Err(parquet::errors::ParquetError::General(format!("column {} of another type", c.name))),
            };
            written?;
            column.close()?;
        }
    }
    group.close()?;
    Ok(())
}

/// A worker's rows, per table and partition, written as row groups when full.
pub struct Batches {
    writer: Arc<Writer>,
    buffers: HashMap<(usize, String), Rows>,
    held: usize,
}

impl Batches {
    fn rows(&mut self, table: Table, partition: String) -> &mut Rows {
        self.buffers.entry((slot(table), partition)).or_insert_with(|| Rows::new(table.columns()))
    }

    /// Writes a buffer once it is a row group's worth, or everything once the sink holds too much.
    fn settle(&mut self, key: &(usize, String)) {
        let full = self.buffers.get(key).is_some_and(|r| r.rows >= GROUP_ROWS || r.text_bytes >= GROUP_BYTES);
        if full {
            if let Some(rows) = self.buffers.get_mut(key) {
                self.held -= rows.text_bytes.min(self.held);
                self.writer.write(TABLES[key.0], &key.1, rows);
                rows.clear();
            }
        }
        if self.held >= HELD_BYTES {
            self.flush();
        }
    }

    /// Writes every buffer (at the end, or when the sink holds too much).
    pub fn flush(&mut self) {
        for ((table, partition), rows) in &mut self.buffers {
            self.writer.write(TABLES[*table], partition, rows);
            rows.clear();
        }
        self.held = 0;
    }

    fn add(&mut self, table: Table, service: Option<&str>, time_ns: Option<i64>, write: impl FnOnce(&mut Rows)) {
        let partition = self.writer.partition(service, time_ns);
        let key = (slot(table), partition);
        let rows = self.rows(table, key.1.clone());
        let before = rows.text_bytes;
        write(rows);
        self.held += rows.text_bytes - before;
        self.settle(&key);
    }
}

impl Sink for Batches {
    type Config = Arc<Writer>;

    fn new(writer: &Arc<Writer>) -> Self {
        Batches { writer: writer.clone(), buffers: HashMap::new(), held: 0 }
    }

    fn span(&mut self, s: Span) {
        let service = s.resource.service_name().map(str::to_string);
        self.add(Table::Spans, service.as_deref(), Some(s.start_ns), |rows| spans::write(rows, &s));
    }

    fn log(&mut self, l: LogRecord) {
        let service = l.resource.service_name().map(str::to_string);
        let time = l.time_ns.or(l.observed_time_ns);
        self.add(Table::Logs, service.as_deref(), time, |rows| logs::write(rows, &l));
    }

    fn point(&mut self, p: MetricPoint) {
        let service = p.resource.service_name().map(str::to_string);
        self.add(Table::Metrics, service.as_deref(), Some(p.time_ns), |rows| metrics::write(rows, &p));
    }

    fn merge(&mut self, later: Self) {
        for (key, rows) in later.buffers {
            if rows.rows == 0 {
                continue;
            }
            self.held += rows.text_bytes;
            match self.buffers.get_mut(&key) {
                Some(mine) => mine.append(rows),
                None => {
                    self.buffers.insert(key.clone(), rows);
                }
            }
            self.settle(&key);
        }
    }
}
