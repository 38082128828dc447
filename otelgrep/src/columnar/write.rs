//! Writing an export folder. A worker adds each record to a set of buffers (one per table and
//! partition) taken from the shared [`Writer`]'s pool, and writes a buffer as one row group when
//! it is full, into a file it takes from the writer for that write alone: workers encode and
//! compress in parallel, and memory holds a few row groups per worker whatever the input's size. Rows are not in the input's order (no engine reads order as
//! meaningful; otelgrep's commands order what they print).
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use parquet::basic::Compression;
use parquet::column::writer::ColumnWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;

use crate::columnar::chunk;
use crate::columnar::read::Table;
use crate::columnar::rows::Rows;
use crate::columnar::table::{Values, schema};
use crate::columnar::{logs, metrics, spans};
use crate::model::{LogRecord, MetricPoint, Span};
use crate::parse::Sink;

/// Rows per row group at most.
pub const GROUP_ROWS: usize = 131_072;
/// Bytes a row group holds before it is written (about 15,000 spans of a Flask capture): the unit
/// an engine reads in parallel, a few MB once compressed.
pub const GROUP_BYTES: usize = 16 << 20;
/// Rows per file at most.
pub const FILE_ROWS: usize = 1 << 20;
/// Bytes all sets of buffers hold together before the one adding rows writes its fullest buffer.
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
    /// Whether the folder was there before this export (an export given up removes only the
    /// folders it made).
    existed: bool,
    partitioning: Partitioning,
    run: String,
    state: Mutex<State>,
    /// Buffers no sink holds now.
    pool: Mutex<Vec<Buffers>>,
    /// Bytes every set of buffers holds.
    held: AtomicUsize,
}

#[derive(Default)]
struct State {
    /// Files open and not being written, per table and partition.
    idle: HashMap<(usize, String), Vec<Open>>,
    files: usize,
    rows: [usize; 3],
    error: Option<String>,
}

/// Rows waiting to be written, per table and partition.
#[derive(Default)]
struct Buffers {
    rows: Vec<((usize, String), Rows)>,
    /// Where each key's buffer is in `rows`, and per table the place of the one its last record
    /// went to.
    index: HashMap<(usize, String), usize>,
    last: [usize; 3],
    held: usize,
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
        let existed = dir.exists();
        let mut wanted = Vec::new();
        if partitioning.service {
            wanted.push("service".to_string());
        }
        if partitioning.date {
            wanted.push("date".to_string());
        }
        if let Some(there) = crate::columnar::layout(dir)? {
            if there != wanted {
                let how = if there.is_empty() {
                    "without --partition-by".to_string()
                } else {
                    format!("with --partition-by {}", there.join(","))
                };
                anyhow::bail!(
                    "{} holds an export {}: add to it {how} (engines read one layout per table, and would leave \
                     the other's files out), or export into another folder",
                    dir.display(),
                    if there.is_empty() {
                        "not partitioned".to_string()
                    } else {
                        format!("partitioned by {}", there.join(","))
                    },
                );
            }
        }
        for table in TABLES {
            let folder = dir.join(table.name());
            std::fs::create_dir_all(&folder).map_err(|e| anyhow::anyhow!("creating {}: {e}", folder.display()))?;
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        // Unique per run: exports into one folder add files, and never overwrite each other's.
        let run = format!("{}-{}", now.as_millis(), std::process::id());
        Ok(Writer {
            dir: dir.to_path_buf(),
            existed,
            partitioning,
            run,
            state: Mutex::new(State::default()),
            pool: Mutex::new(Vec::new()),
            held: AtomicUsize::new(0),
        })
    }

    /// The folder a record goes to, under its table's.
    fn partition(&self, service: Option<&str>, time_ns: Option<i64>) -> String {
        if !self.partitioning.service && !self.partitioning.date {
            return String::new();
        }
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

    /// Writes one buffer as a row group of a file of its partition: one no other write is using
    /// (opened if none is idle), returned once written.
    fn write(&self, table: Table, partition: &str, rows: &Rows) {
        if rows.rows == 0 {
            return;
        }
        let key = (slot(table), partition.to_string());
        let taken = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.error.is_some() {
                return;
            }
            match state.idle.get_mut(&key).and_then(Vec::pop) {
                Some(open) => Ok(open),
                None => {
                    state.files += 1;
                    self.open(table, partition, state.files - 1)
                }
            }
        };
        let result = taken.and_then(|mut open| {
            write_group(&mut open.writer, rows).map_err(|e| format!("writing {}: {e}", open.hidden.display()))?;
            open.rows += rows.rows;
            Ok(open)
        });
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(open) => {
                state.rows[slot(table)] += rows.rows;
                if open.rows >= FILE_ROWS {
                    if let Err(e) = close(open) {
                        state.error.get_or_insert(e);
                    }
                } else {
                    state.idle.entry(key).or_default().push(open);
                }
            }
            Err(e) => {
                state.error.get_or_insert(e);
            }
        }
    }

    fn open(&self, table: Table, partition: &str, n: usize) -> Result<Open, String> {
        let folder = self.dir.join(table.name()).join(partition);
        std::fs::create_dir_all(&folder).map_err(|e| format!("creating {}: {e}", folder.display()))?;
        let name = format!("part-{}-{n:05}.parquet", self.run);
        let (path, hidden) = (folder.join(&name), folder.join(format!(".{name}.tmp")));
        let file = File::create(&hidden).map_err(|e| format!("writing {}: {e}", hidden.display()))?;
        let props = properties(table);
        let schema = schema(table.name(), table.columns()).map_err(|e| e.to_string())?;
        let writer = SerializedFileWriter::new(BufWriter::with_capacity(1 << 20, file), schema, Arc::new(props))
            .map_err(|e| format!("writing {}: {e}", hidden.display()))?;
        Ok(Open { writer, hidden, path, rows: 0 })
    }

    /// A set of buffers for a sink: one a finished sink gave back, or new.
    fn take(&self) -> Buffers {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default()
    }

    fn give_back(&self, buffers: Buffers) {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(buffers);
    }

    /// Writes what every set of buffers still holds (once no sink is left writing).
    pub fn flush(&self) {
        let pool = std::mem::take(&mut *self.pool.lock().unwrap_or_else(|e| e.into_inner()));
        for mut buffers in pool {
            buffers.flush(self);
        }
    }

    /// Leaves nothing behind: an export given up (`--strict` found a bad record) removes the
    /// files it was writing. Files it completed stay (a later export may add to them).
    pub fn abandon(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for open in state.idle.drain().flat_map(|(_, o)| o) {
            let _ = std::fs::remove_file(&open.hidden);
        }
        remove_empty(&self.dir, !self.existed);
    }

    /// Closes every file; says what was written, or the first error.
    pub fn finish(&self) -> anyhow::Result<Written> {
        self.flush();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let open: Vec<Open> = state.idle.drain().flat_map(|(_, o)| o).collect();
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

/// Columns engines prune by: the only ones with min/max statistics (comparing every attribute
/// text against a page's min and max was a quarter of the export's time).
const PRUNED: [&str; 9] = [
    "Timestamp",
    "TimeUnix",
    "ServiceName",
    "SpanName",
    "MetricName",
    "Duration",
    "HttpRoute",
    "HttpStatus",
    "SeverityNumber",
];
/// Ids, which never repeat: no dictionary (`chunk.rs` writes text).
const UNIQUE: [&str; 3] = ["TraceId", "SpanId", "ParentSpanId"];

/// How a table's files are written: snappy (the engines' default codec); statistics only on the
/// columns in `PRUNED` (for text, `chunk.rs` records them).
fn properties(table: Table) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("otelgrep {}", env!("CARGO_PKG_VERSION")))
        .set_statistics_enabled(EnabledStatistics::None);
    for name in PRUNED {
        if table.columns().iter().any(|c| c.name == name) {
            props = props.set_column_statistics_enabled(ColumnPath::from(name), EnabledStatistics::Chunk);
        }
    }
    props.build()
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

/// One row group of `rows`: text leaves encoded by `chunk.rs`, the others by the library's column
/// writer.
fn write_group(w: &mut SerializedFileWriter<BufWriter<File>>, rows: &Rows) -> parquet::errors::Result<()> {
    let mut descriptors = w.schema_descr().columns().to_vec().into_iter();
    let mut group = w.next_row_group()?;
    let mut scratch = chunk::Scratch::default();
    for (c, leaves) in rows.columns.iter().zip(&rows.leaves) {
        let (max_def, max_rep) = c.shape.levels();
        for leaf in leaves {
            let Some(descriptor) = descriptors.next() else {
                return Err(parquet::errors::ParquetError::General("fewer columns than the schema".into()));
            };
            if let Values::Text { data, ends } = &leaf.values {
                let text = chunk::TextLeaf {
                    data,
                    ends,
                    def: &leaf.def,
                    rep: &leaf.rep,
                    max_def,
                    max_rep,
                    rows: rows.rows,
                    dictionary: !UNIQUE.contains(&c.name),
                    statistics: PRUNED.contains(&c.name),
                };
                let close = chunk::encode(descriptor, &text, &mut scratch)?;
                group.append_column(&chunk::Chunk(&scratch.chunk), close)?;
                continue;
            }
            let Some(mut column) = group.next_column()? else {
                return Err(parquet::errors::ParquetError::General("fewer columns than the schema".into()));
            };
            let def = (max_def > 0).then_some(&leaf.def[..]);
            let rep = (max_rep > 0).then_some(&leaf.rep[..]);
            match (column.untyped(), &leaf.values) {
                (ColumnWriter::Int64ColumnWriter(w), Values::I64(v)) => w.write_batch(v, def, rep),
                (ColumnWriter::Int32ColumnWriter(w), Values::I32(v)) => w.write_batch(v, def, rep),
                (ColumnWriter::DoubleColumnWriter(w), Values::F64(v)) => w.write_batch(v, def, rep),
                (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => w.write_batch(v, def, rep),
                _ => Err(parquet::errors::ParquetError::General(format!("column {} of another type", c.name))),
            }?;
            column.close()?;
        }
    }
    group.close()?;
    Ok(())
}

impl Buffers {
    /// The buffer of a table and partition (made when first needed): its place, found by
    /// comparing the key with the one the table's last record used before hashing it (records
    /// mostly go to their table's last buffer; hashing the key per record was a twentieth of a
    /// metrics-heavy export).
    fn find(&mut self, key: &(usize, String)) -> usize {
        let last = self.last[key.0];
        // (An export without partitions has one empty key per table: no call to compare it.)
        let same = |k: &(usize, String)| k.0 == key.0 && (key.1.is_empty() && k.1.is_empty() || k.1 == key.1);
        if self.rows.get(last).is_some_and(|(k, _)| same(k)) {
            return last;
        }
        let at = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.rows.push((key.clone(), Rows::new(TABLES[key.0].columns())));
                self.index.insert(key.clone(), self.rows.len() - 1);
                self.rows.len() - 1
            }
        };
        self.last[key.0] = at;
        at
    }

    /// Writes the buffer at `at` when it is a row group's worth, or this set's fullest once all
    /// sets together hold too much.
    fn settle(&mut self, writer: &Writer, at: usize) {
        if self.rows[at].1.rows >= GROUP_ROWS || self.rows[at].1.held >= GROUP_BYTES {
            self.write_out(writer, at);
        }
        if writer.held.load(Ordering::Relaxed) >= HELD_BYTES {
            // Over the budget: this set's fullest buffer goes (row groups stay as large as they
            // can; writing every buffer would make many small ones).
            if let Some(fullest) = (0..self.rows.len()).max_by_key(|&i| self.rows[i].1.held) {
                self.write_out(writer, fullest);
            }
        }
    }

    /// Writes one buffer as a row group, and takes what it held off the counts.
    fn write_out(&mut self, writer: &Writer, at: usize) {
        let ((table, partition), rows) = &mut self.rows[at];
        let n = rows.held.min(self.held);
        self.held -= n;
        writer.held.fetch_sub(n, Ordering::Relaxed);
        writer.write(TABLES[*table], partition, rows);
        rows.clear();
    }

    fn flush(&mut self, writer: &Writer) {
        for ((table, partition), rows) in &mut self.rows {
            writer.write(TABLES[*table], partition, rows);
            rows.clear();
        }
        writer.held.fetch_sub(self.held, Ordering::Relaxed);
        self.held = 0;
    }
}

/// A worker's sink: each record goes into a set of buffers taken from the writer's pool for that
/// record alone, so there are only as many sets as records being added at once (one per worker),
/// however many sinks are alive (batches waiting their turn to be merged hold none).
pub struct Batches {
    writer: Arc<Writer>,
}

impl Batches {
    fn add(&mut self, table: Table, partition: String, write: impl FnOnce(&mut Rows)) {
        let mut buffers = self.writer.take();
        // One key per record (the partition's text, made by `partition`), no copy for a buffer
        // already there.
        let at = buffers.find(&(slot(table), partition));
        let rows = &mut buffers.rows[at].1;
        let before = rows.held;
        write(rows);
        let added = rows.held - before;
        buffers.held += added;
        self.writer.held.fetch_add(added, Ordering::Relaxed);
        buffers.settle(&self.writer, at);
        self.writer.give_back(buffers);
    }
}

impl Sink for Batches {
    type Config = Arc<Writer>;
    /// Rows go to the writer's buffers as they come.
    const HELD: bool = false;

    fn new(writer: &Arc<Writer>) -> Self {
        Batches { writer: writer.clone() }
    }

    fn span(&mut self, s: Span) {
        let partition = self.writer.partition(s.resource.service_name(), Some(s.start_ns));
        self.add(Table::Spans, partition, |rows| spans::write(rows, &s));
    }

    fn log(&mut self, l: LogRecord) {
        let partition = self.writer.partition(l.resource.service_name(), l.time_ns.or(l.observed_time_ns));
        self.add(Table::Logs, partition, |rows| logs::write(rows, &l));
    }

    fn point(&mut self, p: MetricPoint) {
        let partition = self.writer.partition(p.resource.service_name(), Some(p.time_ns));
        self.add(Table::Metrics, partition, |rows| metrics::write(rows, &p));
    }

    /// Nothing to carry over: the later sink's rows are in the writer's buffers already.
    fn merge(&mut self, _later: Self) {}
}

/// Removes the folders under `dir` that hold no file, and `dir` itself when `itself` (the export
/// made it): an export given up leaves no empty folder that would read as an export of nothing;
/// a folder with a file stays.
fn remove_empty(dir: &Path, itself: bool) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty(&entry.path(), true);
            }
        }
    }
    if itself {
        let _ = std::fs::remove_dir(dir);
    }
}
