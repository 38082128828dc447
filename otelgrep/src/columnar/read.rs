//! Reading an export's Parquet file back into the model: which table it is (by its columns),
//! only the columns the command needs (a query over spans reads neither events nor log bodies,
//! and of the log and metric tables only their times),
//! one row group at a time, each leaf with its levels, then row by row through cursors that walk
//! those levels as `table.rs` wrote them.
//!
//! A file that is not an otelgrep export (a column missing, or of another type or nesting) is one
//! error naming the file and the column; a file that cannot be decoded is one error with the
//! Parquet library's reason. Nothing here panics on a bad file: levels and values are read with
//! bounds checked, and the library itself is run under `catch_unwind`.

use std::collections::HashMap;
use std::sync::Arc;

use parquet::column::reader::ColumnReader;
use parquet::data_type::ByteArray;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::columnar::table::{Column, LeafBuf, Plain, Shape, Values, empty_values};
use crate::columnar::{logs, metrics, spans, values::Resources};
use crate::model::Resource;
use crate::parse::{Needs, Sink};

/// Which table a file holds, by a column only it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Spans,
    Logs,
    Metrics,
}

impl Table {
    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Spans => spans::COLUMNS,
            Table::Logs => logs::COLUMNS,
            Table::Metrics => metrics::COLUMNS,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Table::Spans => "spans",
            Table::Logs => "logs",
            Table::Metrics => "metrics",
        }
    }

    /// The columns a command with these needs reads.
    fn wanted(self, needs: &Needs) -> Vec<&'static str> {
        let mut names: Vec<&str> = Vec::new();
        match self {
            Table::Spans => {
                names.extend(spans::ALWAYS);
                if needs.attributes {
                    names.extend(spans::ATTRIBUTES);
                }
                if needs.events {
                    names.extend(spans::EVENTS);
                }
            }
            Table::Logs if !needs.log_records => names.extend(logs::TIMES),
            Table::Metrics if !needs.points => names.extend(metrics::TIMES),
            Table::Logs => {
                names.extend(logs::ALWAYS);
                if needs.logs {
                    names.extend(logs::FULL);
                }
            }
            Table::Metrics => {
                names.extend(metrics::ALWAYS);
                if needs.metrics {
                    names.extend(metrics::FULL);
                }
            }
        }
        names
    }
}

/// The leaves of one row group, per column of the table (`None` where not read), and where each
/// column's cursor is.
pub struct Row<'a> {
    columns: &'static [Column],
    cursors: Vec<Option<Cursor<'a>>>,
    /// The only attribute keys the command reads, if it says.
    only: Option<&'a [String]>,
    /// Where the last column looked up was: rows read their columns in about schema order, so
    /// each lookup is one comparison.
    guess: usize,
}

impl<'a> Row<'a> {
    fn cursor(&mut self, name: &str) -> Option<&mut Cursor<'a>> {
        let n = self.columns.len();
        let i = (0..n).map(|k| (self.guess + k) % n).find(|&i| self.columns[i].name == name)?;
        self.guess = i + 1;
        self.cursors[i].as_mut()
    }

    pub fn str(&mut self, name: &str) -> &'a str {
        self.cursor(name).and_then(Cursor::value_str).unwrap_or("")
    }

    pub fn opt_str(&mut self, name: &str) -> Option<&'a str> {
        self.cursor(name).and_then(Cursor::value_str)
    }

    pub fn i64(&mut self, name: &str) -> i64 {
        self.opt_i64(name).unwrap_or(0)
    }

    /// An optional (or required) fixed-size value.
    fn plain<T: Plain>(&mut self, name: &str) -> Option<T> {
        let c = self.cursor(name)?;
        let i = c.next_value()?;
        T::values(&c.leaves[0].values)?.get(i).copied()
    }

    pub fn opt_i64(&mut self, name: &str) -> Option<i64> {
        self.plain(name)
    }

    pub fn opt_i32(&mut self, name: &str) -> Option<i32> {
        self.plain(name)
    }

    pub fn opt_f64(&mut self, name: &str) -> Option<f64> {
        self.plain(name)
    }

    pub fn opt_bool(&mut self, name: &str) -> Option<bool> {
        self.plain(name)
    }

    /// A record's own attributes from their two maps, only those the command reads.
    pub fn attributes(&mut self, texts: &str, kinds: &str) -> crate::model::Attributes {
        let mut texts = self.map(texts);
        if let Some(only) = self.only {
            texts.retain(|(k, _)| only.iter().any(|o| o == k));
        }
        crate::columnar::values::join(&texts, &self.map(kinds))
    }

    /// The row's resource, from its `ResourceAttributes` and `ResourceAttributeTypes` maps: found
    /// among those read before by the maps' bytes, so that a resource seen before (most rows
    /// repeat one) has no text checked or built.
    pub fn resource(&mut self, resources: &mut Resources) -> Arc<Resource> {
        let texts = self.raw_map("ResourceAttributes");
        let kinds = self.raw_map("ResourceAttributeTypes");
        resources.resource(&texts, &kinds)
    }

    fn raw_map(&mut self, name: &str) -> Vec<(&'a [u8], &'a [u8])> {
        self.entries(name, |b| b)
    }

    pub fn map(&mut self, name: &str) -> Vec<(&'a str, &'a str)> {
        self.entries(name, text)
    }

    /// A map's entries, keys and values as `as_` gives them from their bytes.
    fn entries<T>(&mut self, name: &str, as_: fn(&'a [u8]) -> T) -> Vec<(T, T)> {
        let Some(c) = self.cursor(name) else { return Vec::new() };
        c.repeated().into_iter().flatten().filter_map(|i| Some((as_(c.bytes(0, i)?), as_(c.bytes(1, i)?)))).collect()
    }

    fn list<T: Plain>(&mut self, name: &str) -> Vec<T> {
        let Some(c) = self.cursor(name) else { return Vec::new() };
        let groups = c.repeated();
        let Some(v) = T::values(&c.leaves[0].values) else { return Vec::new() };
        groups.into_iter().flatten().filter_map(|i| v.get(i).copied()).collect()
    }

    pub fn list_i64(&mut self, name: &str) -> Vec<i64> {
        self.list(name)
    }

    pub fn list_f64(&mut self, name: &str) -> Vec<f64> {
        self.list(name)
    }

    pub fn list_str(&mut self, name: &str) -> Vec<&'a str> {
        let Some(c) = self.cursor(name) else { return Vec::new() };
        c.repeated().into_iter().flatten().filter_map(|i| c.text(0, i)).collect()
    }

    /// A list of maps: one entry list per element (an element's map may be empty).
    pub fn list_of_maps(&mut self, name: &str) -> Vec<Vec<(&'a str, &'a str)>> {
        let Some(c) = self.cursor(name) else { return Vec::new() };
        c.repeated()
            .into_iter()
            .map(|entries| entries.into_iter().filter_map(|i| Some((c.text(0, i)?, c.text(1, i)?))).collect())
            .collect()
    }
}

/// One column's leaves and the position of the next row in them.
struct Cursor<'a> {
    shape: Shape,
    leaves: &'a [LeafReader],
    level: usize,
    value: usize,
}

impl<'a> Cursor<'a> {
    /// The index of this row's value, if it has one (required or optional columns).
    fn next_value(&mut self) -> Option<usize> {
        let present = match self.shape {
            Shape::Required(_) => true,
            _ => {
                let def = *self.leaves[0].def.get(self.level)?;
                self.level += 1;
                def == 1
            }
        };
        present.then(|| {
            self.value += 1;
            self.value - 1
        })
    }

    fn value_str(&mut self) -> Option<&'a str> {
        let i = self.next_value()?;
        self.text(0, i)
    }

    fn text(&self, leaf: usize, i: usize) -> Option<&'a str> {
        self.bytes(leaf, i).map(text)
    }

    fn bytes(&self, leaf: usize, i: usize) -> Option<&'a [u8]> {
        let leaves: &'a [LeafReader] = self.leaves;
        match &leaves.get(leaf)?.values {
            Values::Bytes(v) => v.get(i).map(|b: &'a ByteArray| b.data()),
            _ => None,
        }
    }

    /// This row's values of a repeated column, grouped per list element (maps and plain lists
    /// are one group; a list of maps one group per element, its map's entries in it).
    fn repeated(&mut self) -> Vec<Vec<usize>> {
        let (max_def, _) = self.shape.levels();
        let (def, rep) = (&self.leaves[0].def, &self.leaves[0].rep);
        let nested = self.shape == Shape::ListOfMaps;
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut first = true;
        while let (Some(&d), Some(&r)) = (def.get(self.level), rep.get(self.level)) {
            if !first && r == 0 {
                break;
            }
            first = false;
            self.level += 1;
            // A new list element (nested), or the one group of a map or list.
            if groups.is_empty() || (nested && r <= 1) {
                if d == 0 {
                    continue;
                }
                groups.push(Vec::new());
            }
            if d == max_def {
                groups.last_mut().expect("pushed").push(self.value);
                self.value += 1;
            }
        }
        groups
    }
}

/// A text value's bytes as text; bytes that are not UTF-8 (no export holds them) as U+FFFD.
pub fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("\u{fffd}")
}

/// What reading an export's files gave: per file, its records or why it could not be read.
pub type Outcomes = Vec<(String, Result<usize, String>)>;

/// Reads exported files into one sink, their row groups spread over the machine's cores and
/// merged in file and row-group order.
pub fn read<S: Sink>(files: &[String], config: &S::Config) -> (Outcomes, S) {
    let needs = S::needs(config);
    let mut outcomes: Outcomes = Vec::with_capacity(files.len());
    let mut items = Vec::new();
    for (f, path) in files.iter().enumerate() {
        match guarded(|| open(path, &needs)) {
            Ok(file) => {
                items.extend((0..file.reader.num_row_groups()).map(|g| (f, g)));
                outcomes.push((path.clone(), Ok(0)));
            }
            Err(why) => outcomes.push((path.clone(), Err(why))),
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len()).max(1);
    // One worker: the row groups of the files, in turn.
    let work = || {
        let mut mine = Vec::new();
        let mut opened: Option<(usize, File)> = None;
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&(f, g)) = items.get(i) else { break };
            let result = guarded(|| {
                if opened.as_ref().is_none_or(|(at, _)| *at != f) {
                    opened = Some((f, open(&files[f], &needs)?));
                }
                let (_, file) = opened.as_ref().expect("opened above");
                let mut sink = S::new(config);
                let n = read_group(file, g, &needs, &mut sink)?;
                Ok((n, sink))
            });
            mine.push((i, result));
        }
        mine
    };
    let mut done: Vec<(usize, Part<S>)> = if threads == 1 {
        // A single row group (a small export) is read here: no thread to start and wait for.
        work()
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect()
        })
    };
    done.sort_by_key(|(i, _)| *i);
    let mut sink = S::new(config);
    for (i, result) in done {
        let (f, _) = items[i];
        match (result, &mut outcomes[f].1) {
            (Ok((n, part)), Ok(total)) => {
                *total += n;
                sink.merge(part);
            }
            (Err(why), outcome @ Ok(_)) => *outcome = Err(why),
            // The file's first error is the one said.
            (_, Err(_)) => {}
        }
    }
    (outcomes, sink)
}

/// One row group read: its records in a sink of their own, or why not.
type Part<S> = Result<(usize, S), String>;

/// What a panic inside the Parquet library becomes: the file's error.
pub const LIBRARY_FAILED: &str = "the Parquet reader failed on this file (it is damaged)";

/// Runs the Parquet library on a file that may be damaged: a panic in it is this file's error.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    crate::guard::library(f).unwrap_or_else(|| Err(LIBRARY_FAILED.into()))
}

/// An exported file, opened, its table known and its columns checked.
struct File {
    reader: SerializedFileReader<std::fs::File>,
    /// The file itself, for the page headers checked before the library reads the pages.
    raw: std::fs::File,
    table: Table,
    /// Per column of the table, its leaves in the file, where the command reads it.
    plan: Vec<Option<Vec<usize>>>,
}

fn open(path: &str, needs: &Needs) -> Result<File, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let raw = file.try_clone().map_err(|e| e.to_string())?;
    super::pages::check_footer(&raw).map_err(|e| format!("not a Parquet file ({e})"))?;
    let reader = SerializedFileReader::new(file).map_err(|e| format!("not a Parquet file ({e})"))?;
    // Where each column chunk says it is, checked before the library asserts on it (a negative
    // offset or size panics inside it) or reads past the file.
    let size = std::fs::metadata(path).map_or(0, |m| i64::try_from(m.len()).unwrap_or(i64::MAX));
    for chunk in reader.metadata().row_groups().iter().flat_map(|g| g.columns()) {
        let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
        let len = chunk.compressed_size();
        if start < 0 || len < 0 || start.checked_add(len).is_none_or(|end| end > size) {
            return Err(format!("column chunk {} lies outside the file", chunk.column_path()));
        }
    }
    let descr = reader.metadata().file_metadata().schema_descr();
    // Leaves by their top-level column's name.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in descr.columns().iter().enumerate() {
        if let Some(top) = c.path().parts().first() {
            by_name.entry(top.as_str()).or_default().push(i);
        }
    }
    let table = if by_name.contains_key("SpanName") {
        Table::Spans
    } else if by_name.contains_key("MetricName") {
        Table::Metrics
    } else if by_name.contains_key("Body") {
        Table::Logs
    } else {
        return Err("not an otelgrep export: no SpanName, MetricName or Body column".into());
    };
    let wanted = table.wanted(needs);
    let columns = table.columns();
    // Check every column read is the one written: its leaves and levels (types when read).
    let mut plan: Vec<Option<Vec<usize>>> = vec![None; columns.len()];
    for (slot, c) in plan.iter_mut().zip(columns) {
        if !wanted.contains(&c.name) {
            continue;
        }
        let Some(leaves) = by_name.get(c.name) else {
            // A column added since an export was written is read as absent there.
            if ADDED_LATER.contains(&c.name) {
                continue;
            }
            return Err(format!("not an otelgrep export: no {} column", c.name));
        };
        let (max_def, max_rep) = c.shape.levels();
        let fits = leaves.len() == c.shape.leaves()
            && leaves.iter().all(|&i| {
                let d = descr.column(i);
                d.max_def_level() == max_def && d.max_rep_level() == max_rep
            });
        if !fits {
            return Err(format!("not an otelgrep export: column {} is not as otelgrep writes it", c.name));
        }
        *slot = Some(leaves.clone());
    }
    Ok(File { reader, raw, table, plan })
}

/// Columns an export of an earlier otelgrep does not have, each read there as its absence says
/// (`TimestampIsObserved`: the log record's `Timestamp` is its own time, as it then was; the
/// types of event and link attributes: text).
const ADDED_LATER: &[&str] = &["TimestampIsObserved", "Events.AttributeTypes", "Links.AttributeTypes"];

/// Rows read at a time: every leaf's values and levels for them, then the rows built. A whole row
/// group at once held hundreds of MB of text values per worker (a resource's attributes, once per
/// row), and the time to fill fresh pages with them.
const BATCH_ROWS: usize = 8_192;

/// One row group's records into a sink; how many.
fn read_group<S: Sink>(file: &File, g: usize, needs: &Needs, sink: &mut S) -> Result<usize, String> {
    let columns = file.table.columns();
    let group = file.reader.get_row_group(g).map_err(|e| e.to_string())?;
    let claimed = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
    let mut leaves: Vec<Option<Vec<LeafReader>>> = Vec::with_capacity(columns.len());
    for (c, plan) in columns.iter().zip(&file.plan) {
        leaves.push(match plan {
            Some(plan) => {
                let mut read = Vec::with_capacity(plan.len());
                for &i in plan {
                    super::pages::check_chunk(&file.raw, group.metadata().column(i))?;
                    let reader = group.get_column_reader(i).map_err(|e| e.to_string())?;
                    read.push(LeafReader::new(reader, c));
                }
                Some(read)
            }
            None => None,
        });
    }
    let mut resources = Resources::default();
    let mut done = 0;
    while done < claimed {
        let want = (claimed - done).min(BATCH_ROWS);
        // The rows every leaf read holds: a damaged footer may claim more than the pages hold.
        let mut rows = want;
        for leaf in leaves.iter_mut().flatten().flatten() {
            rows = rows.min(leaf.fill(want)?);
        }
        if rows < want {
            return Err(format!("row group {} claims {claimed} rows and holds {}", g + 1, done + rows));
        }
        let cursors = columns
            .iter()
            .zip(&leaves)
            .map(|(c, l)| l.as_deref().map(|l| Cursor { shape: c.shape, leaves: l, level: 0, value: 0 }))
            .collect();
        let mut row = Row { columns, cursors, guess: 0, only: needs.only.as_deref().map(|o| o.names()) };
        for n in done..done + rows {
            row.guess = 0;
            match file.table {
                Table::Spans => sink.span(spans::read(&mut row, &mut resources)),
                Table::Logs if !needs.log_records => sink.log(logs::timed(&mut row, &mut resources)),
                Table::Logs => sink.log(logs::read(&mut row, &mut resources)),
                Table::Metrics if !needs.points => sink.point(metrics::timed(&mut row, &mut resources)),
                Table::Metrics => match metrics::read(&mut row, &mut resources) {
                    Some(p) => sink.point(p),
                    None => return Err(format!("row {} has a MetricType otelgrep does not write", n + 1)),
                },
            }
        }
        done += rows;
    }
    Ok(claimed)
}

/// One leaf of a row group, read a batch of rows at a time into a buffer used again for each.
struct LeafReader {
    reader: ColumnReader,
    /// The column's name, for errors.
    name: &'static str,
    buf: LeafBuf,
}

impl std::ops::Deref for LeafReader {
    type Target = LeafBuf;
    fn deref(&self) -> &LeafBuf {
        &self.buf
    }
}

impl LeafReader {
    fn new(reader: ColumnReader, column: &'static Column) -> LeafReader {
        let buf = LeafBuf { values: empty_values(column.shape), def: Vec::new(), rep: Vec::new() };
        LeafReader { reader, name: column.name, buf }
    }

    /// The next `rows` records' values and levels, in place of the last batch's; how many records
    /// the leaf held (fewer at its end). A leaf of another type than the column's is an error
    /// (found at the first batch, before any row is built).
    fn fill(&mut self, rows: usize) -> Result<usize, String> {
        let LeafBuf { values, def, rep } = &mut self.buf;
        def.clear();
        rep.clear();
        let mut done = 0;
        macro_rules! all {
            ($r:expr, $vals:expr) => {{
                $vals.clear();
                while done < rows {
                    let (records, _, _) =
                        $r.read_records(rows - done, Some(def), Some(rep), $vals).map_err(|e| e.to_string())?;
                    if records == 0 {
                        break;
                    }
                    done += records;
                }
            }};
        }
        match (&mut self.reader, values) {
            (ColumnReader::Int64ColumnReader(r), Values::I64(v)) => all!(r, v),
            (ColumnReader::Int32ColumnReader(r), Values::I32(v)) => all!(r, v),
            (ColumnReader::DoubleColumnReader(r), Values::F64(v)) => all!(r, v),
            (ColumnReader::BoolColumnReader(r), Values::Bool(v)) => all!(r, v),
            (ColumnReader::ByteArrayColumnReader(r), Values::Bytes(v)) => all!(r, v),
            _ => return Err(format!("not an otelgrep export: column {} holds another type", self.name)),
        }
        Ok(done)
    }
}
