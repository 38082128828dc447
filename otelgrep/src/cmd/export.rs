//! `otelgrep export --to otlp-json`: any capture as OTLP JSON lines, the interchange every
//! OpenTelemetry tool reads (the Collector's `otlpjsonfile` receiver, otel-tui, DuckDB's `otlp`
//! extension), so a console capture can be replayed into any backend. One line is one export
//! request of one signal, its records grouped by resource and scope as an SDK groups them, in
//! the order they were read; a line holds at most [`PER_LINE`] records. Lines come in the order
//! the workers finish them ([`otlp_json`]): two runs may write the same lines in another order.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, SyncSender};

use anyhow::Context;

use crate::cli::{ExportArgs, PartitionKey};
use crate::columnar::{Batches, Partitioning, Writer};
use crate::model::{LogRecord, MetricPoint, Span, Value};
use crate::parse::Sink;

mod encode;

use encode::{logs_line, points_line, spans_line};

/// A nested value (an array or a map) as the text of an OTLP `AnyValue`, the form that keeps its
/// order and types (Parquet's attribute maps hold text).
pub(crate) fn any_value_text(v: &Value) -> String {
    let mut out = Vec::new();
    encode::any_value(&mut out, v);
    // JSON written from strings is UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// `export --to parquet --out DIR`: every input's records into the folder's tables (the rows
/// written as they are read, in bounded memory; `columnar` owns the layout); what was written is
/// said on stderr.
pub fn parquet(args: &ExportArgs, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let Some(dir) = &args.out else {
        anyhow::bail!("--to parquet writes a folder: name it with --out DIR");
    };
    if let Some(twice) =
        args.partition_by.iter().enumerate().find_map(|(i, k)| args.partition_by[..i].contains(k).then_some(k))
    {
        anyhow::bail!(
            "--partition-by names {} twice: give each key once (service,date)",
            format!("{twice:?}").to_lowercase()
        );
    }
    let partitioning = Partitioning {
        service: args.partition_by.contains(&PartitionKey::Service),
        date: args.partition_by.contains(&PartitionKey::Date),
    };
    refuse_overwriting_inputs(dir, &args.input.files)?;
    let writer = Arc::new(Writer::new(Path::new(dir), partitioning)?);
    let Some(inputs) = crate::read_all::<Batches>(&args.input, &writer, err)? else {
        writer.abandon();
        return Ok(ExitCode::from(2));
    };
    let code = crate::exit_code(&inputs);
    // Every sink gives its buffers back when dropped; the writer writes what they hold.
    drop(inputs);
    let w = writer.finish()?;
    writeln!(
        err,
        "otelgrep: wrote {} span(s), {} log record(s) and {} metric point(s) to {dir} in {} file(s)",
        w.spans, w.logs, w.points, w.files
    )?;
    nested_note(err)?;
    Ok(code)
}

/// Says how many attribute values were written as their text for being nested too deep.
fn nested_note(err: &mut dyn Write) -> std::io::Result<()> {
    let n = encode::AS_TEXT.load(std::sync::atomic::Ordering::Relaxed);
    if n > 0 {
        writeln!(
            err,
            "otelgrep: note: {n} attribute value(s) nested deeper than {} levels written as their text (readers of \
             OTLP JSON stop at 128 levels of JSON, otelgrep's own included)",
            encode::NESTING
        )?;
    }
    Ok(())
}

/// Refuses an output that is one of the inputs, or inside an input folder: the file would be
/// emptied before it is read (`export --out t.jsonl t.jsonl` left nothing and exited 0), the
/// folder read while it is written.
fn refuse_overwriting_inputs(out: &str, inputs: &[String]) -> anyhow::Result<()> {
    let out_path = Path::new(out);
    // Where the output will be, whether or not it exists yet.
    let resolved = std::fs::canonicalize(out_path).ok().or_else(|| {
        let parent = out_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(std::fs::canonicalize(parent).ok()?.join(out_path.file_name()?))
    });
    let Some(resolved) = resolved else { return Ok(()) };
    for input in inputs.iter().filter(|i| *i != "-") {
        let Ok(input_path) = std::fs::canonicalize(input) else { continue };
        if resolved == input_path || (input_path.is_dir() && resolved.starts_with(&input_path)) {
            anyhow::bail!("--out {out} would write over the input {input}: write the export elsewhere");
        }
    }
    Ok(())
}

/// Records per line: lines stay a few hundred kilobytes, as the SDKs' batches are.
const PER_LINE: usize = 512;

/// Encoded lines handed to the writer at a time.
const CHUNK: usize = 4 << 20;

/// `export --to otlp-json`: the inputs read on a thread of their own while this one writes what
/// they encode, so memory holds a few chunks whatever the input's size. Lines come in the order
/// workers finish them (each line is a whole export request; none depends on another's place).
/// Notes on what could not be read follow the output, as reading ends after writing starts.
pub fn otlp_json(args: &ExportArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if !args.partition_by.is_empty() {
        anyhow::bail!("--partition-by splits Parquet folders: with --to otlp-json there is one file");
    }
    // `--out -` is standard output, as `-` is standard input among the inputs.
    let out_file = args.out.as_deref().filter(|p| *p != "-");
    if let Some(path) = out_file {
        refuse_overwriting_inputs(path, &args.input.files)?;
    }
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(4);
    let mut notes: Vec<u8> = Vec::new();
    let (read, written) = std::thread::scope(|scope| {
        let notes = &mut notes;
        let reader = scope.spawn(move || -> anyhow::Result<Option<ExitCode>> {
            let Some(inputs) = crate::read_all::<Lines>(&args.input, &tx, notes)? else {
                return Ok(None);
            };
            let code = crate::exit_code(&inputs);
            crate::cmd::merged(inputs).flush();
            Ok(Some(code))
        });
        let drain = |out: &mut dyn Write| -> std::io::Result<()> {
            for chunk in &rx {
                out.write_all(&chunk)?;
            }
            out.flush()
        };
        let written = match out_file {
            Some(path) => std::fs::File::create(path)
                .and_then(|f| drain(&mut std::io::BufWriter::with_capacity(1 << 20, f)))
                .with_context(|| format!("writing {path}")),
            None => drain(out).map_err(anyhow::Error::from),
        };
        // A failed write leaves the reader's lines nowhere to go: it reads on to its end.
        drop(rx);
        let read = reader.join().unwrap_or_else(|_| Err(anyhow::anyhow!("reading the inputs failed")));
        (read, written)
    });
    err.write_all(&notes)?;
    nested_note(err)?;
    written?;
    Ok(read?.unwrap_or(ExitCode::from(2)))
}

/// Encodes `records` a line of [`PER_LINE`] at a time, from the first (`all`: the last line may be
/// shorter), and keeps those left.
fn encode<T>(records: &mut Vec<T>, all: bool, out: &mut Vec<u8>, line: fn(&[T], &mut Vec<u8>)) {
    let whole = if all { records.len() } else { records.len() / PER_LINE * PER_LINE };
    records[..whole].chunks(PER_LINE).for_each(|chunk| line(chunk, out));
    records.drain(..whole);
}

/// A worker's records on their way out: each signal's wait until a line's worth have come, then
/// are encoded; encoded lines go to the writer a chunk at a time.
pub struct Lines {
    tx: SyncSender<Vec<u8>>,
    spans: Vec<Span>,
    logs: Vec<LogRecord>,
    points: Vec<MetricPoint>,
    encoded: Vec<u8>,
}

impl Lines {
    /// Encodes the lines that are full (`all`: every record left too), and sends what was
    /// encoded once a chunk's worth is there (`all`: whatever there is).
    fn settle(&mut self, all: bool) {
        encode(&mut self.spans, all, &mut self.encoded, spans_line);
        encode(&mut self.logs, all, &mut self.encoded, logs_line);
        encode(&mut self.points, all, &mut self.encoded, points_line);
        if self.encoded.len() >= CHUNK || (all && !self.encoded.is_empty()) {
            // The writer is gone only after a write failed, which it reports.
            let _ = self.tx.send(std::mem::take(&mut self.encoded));
        }
    }

    /// Writes out every record held (at the end).
    pub fn flush(&mut self) {
        self.settle(true);
    }
}

impl Sink for Lines {
    type Config = SyncSender<Vec<u8>>;
    /// Encoded lines are sent to the writer as they fill.
    const HELD: bool = false;

    fn new(tx: &SyncSender<Vec<u8>>) -> Self {
        Lines { tx: tx.clone(), spans: Vec::new(), logs: Vec::new(), points: Vec::new(), encoded: Vec::new() }
    }

    fn span(&mut self, span: Span) {
        self.spans.push(span);
        if self.spans.len() >= PER_LINE {
            self.settle(false);
        }
    }

    fn log(&mut self, log: LogRecord) {
        self.logs.push(log);
        if self.logs.len() >= PER_LINE {
            self.settle(false);
        }
    }

    fn point(&mut self, point: MetricPoint) {
        self.points.push(point);
        if self.points.len() >= PER_LINE {
            self.settle(false);
        }
    }

    /// A worker's part read: its records are encoded on the worker (lines end where parts do),
    /// not left to the thread that merges the parts.
    fn part_done(&mut self) {
        self.settle(true);
    }

    fn merge(&mut self, mut later: Self) {
        self.spans.append(&mut later.spans);
        self.logs.append(&mut later.logs);
        self.points.append(&mut later.points);
        self.encoded.append(&mut later.encoded);
        self.settle(false);
    }
}
