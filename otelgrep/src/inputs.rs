//! The inputs a command names and how they are read into its sink: files mapped, streams read
//! in pieces, folders expanded (an export folder is read back column by column), and what reading
//! found besides records (bad records, inputs with no telemetry, cut streams) said on stderr.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{InputArgs, InputFormat};
use crate::parse::{self, Format, Report, Sink};
use crate::{columnar, render};

/// Bad records listed on stderr before the rest are only counted.
pub(crate) const ERRORS_SHOWN: usize = 20;

/// Reads and parses every input into the command's sink. Reports bad records on `err`; with
/// `--strict`, any bad record makes it return `None` (nothing is printed, exit 2).
pub(crate) fn read_all<S: Sink>(
    input: &InputArgs,
    config: &S::Config,
    err: &mut dyn Write,
) -> anyhow::Result<Option<Vec<(String, Report, S)>>> {
    let inputs = open_all(&input.files, false)?;
    ingest_all(&inputs, input.input_format, input.strict, config, err)
}

/// Opens every input: files mapped; standard input, pipes and compressed files as streams read
/// once, or read whole into memory when `whole` (a command that reads its inputs twice: `trace`).
/// A folder stands for every file under it (a Collector's output folder, its rotated files beside
/// the current one), oldest first by their names: rotated backups (`traces-2026-…json`) sort
/// before the file they were cut from (`traces.json`), and numbered ones (Docker's and logrotate's
/// `app-json.log.1`, `.2.gz`: the higher, the older) before it too, the highest first.
pub(crate) fn open_all(files: &[String], whole: bool) -> anyhow::Result<Vec<(String, parse::Input)>> {
    expand(files)?
        .into_iter()
        .map(|name| {
            // An export folder is read by `columnar`, file by file.
            let export = std::path::Path::new(&name).is_dir();
            let input = if export { parse::Input::Owned(Vec::new()) } else { parse::read_input(&name, whole)? };
            Ok((name, input))
        })
        .collect()
}

/// The inputs named: a folder stands for the files under it.
pub(crate) fn expand(files: &[String]) -> anyhow::Result<Vec<String>> {
    let mut all = Vec::new();
    for name in files {
        if name != "-" && std::path::Path::new(name).is_dir() {
            if columnar::is_export(std::path::Path::new(name)) {
                // One input: its tables together answer as the capture it was made from.
                all.push(name.clone());
                continue;
            }
            let found = files_under(std::path::Path::new(name))?;
            if found.is_empty() {
                anyhow::bail!("{name}: a folder with no files in it");
            }
            all.extend(found);
        } else {
            all.push(name.clone());
        }
    }
    Ok(all)
}

/// The files under a folder, in every subfolder, hidden ones left out, oldest first by their
/// names (see [`rotation_order`]).
fn files_under(dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry.with_context(|| format!("reading {}", dir.display()))?.path();
        if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
            continue;
        }
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    out.sort_by(|a, b| rotation_order(a).cmp(&rotation_order(b)));
    Ok(out)
}

/// A file's place among those it was rotated with: its path, but a numbered backup (`X.3`,
/// `X.3.gz`) just before `X`, the highest number first.
fn rotation_order(path: &str) -> (&str, bool, std::cmp::Reverse<u64>) {
    let plain = [".gz", ".zst"].iter().find_map(|z| path.strip_suffix(z)).unwrap_or(path);
    let numbered = plain.rsplit_once('.').and_then(|(base, n)| {
        (!n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit())).then(|| (base, n.parse().ok()))
    });
    match numbered {
        Some((base, Some(n))) => (base, false, std::cmp::Reverse(n)),
        _ => (path, true, std::cmp::Reverse(0)),
    }
}

/// The one format `--input-format` names, if any.
pub(crate) fn only(format: InputFormat) -> Option<Format> {
    match format {
        InputFormat::Auto => None,
        InputFormat::PythonJson => Some(Format::PythonJson),
        InputFormat::RustText => Some(Format::RustText),
        InputFormat::OtlpJson => Some(Format::OtlpJson),
        InputFormat::OtlpProto => Some(Format::OtlpProto),
        InputFormat::NodeConsole => Some(Format::NodeConsole),
        InputFormat::CollectorDebug => Some(Format::CollectorDebug),
        InputFormat::GoJson => Some(Format::GoJson),
    }
}

/// A first pass over inputs that a second will read again ([`ingest_again`]): as [`ingest_all`],
/// and what it wrote to `err`, kept for the second.
pub(crate) type Said<S> = (Option<Vec<(String, Report, S)>>, Vec<u8>);

pub(crate) fn ingest_first<S: Sink>(
    inputs: &[(String, parse::Input)],
    format: InputFormat,
    strict: bool,
    config: &S::Config,
    err: &mut dyn Write,
) -> anyhow::Result<Said<S>> {
    let mut said = Vec::new();
    let found = ingest_all::<S>(inputs, format, strict, config, &mut said);
    err.write_all(&said)?;
    Ok((found?, said))
}

/// A second pass over inputs that a first pass read and reported on (`said`: what it wrote):
/// the problems the first did not report are written to `err`. Text reads the same twice, with
/// the same problems; an export's file read for more columns may fail where the first read did
/// not (a damaged events column), and that is said, not lost.
pub(crate) fn ingest_again<S: Sink>(
    inputs: &[(String, parse::Input)],
    format: InputFormat,
    strict: bool,
    config: &S::Config,
    said: &[u8],
    err: &mut dyn Write,
) -> anyhow::Result<Option<Vec<(String, Report, S)>>> {
    let mut again = Vec::new();
    let found = ingest_all::<S>(inputs, format, strict, config, &mut again);
    let before: std::collections::HashSet<&[u8]> = said.split_inclusive(|&b| b == b'\n').collect();
    for line in again.split_inclusive(|&b| b == b'\n').filter(|l| !before.contains(l)) {
        err.write_all(line)?;
    }
    found
}

/// Parses opened inputs into the command's sink; bad records as `read_all` says.
pub(crate) fn ingest_all<S: Sink>(
    inputs: &[(String, parse::Input)],
    format: InputFormat,
    strict: bool,
    config: &S::Config,
    err: &mut dyn Write,
) -> anyhow::Result<Option<Vec<(String, Report, S)>>> {
    let only = only(format);
    let mut parsed = Vec::with_capacity(inputs.len());
    let mut nothing = Vec::new();
    for (name, bytes) in inputs {
        let shown = shown_name(name);
        let folder = std::path::Path::new(name).is_dir();
        if !folder && !matches!(bytes, parse::Input::Mapped(_)) && columnar::is_parquet(bytes) {
            // Read whole from standard input or a compressed file: Parquet is read from its file.
            nothing.push(format!(
                "{shown} is a Parquet file read as a stream (standard input, a pipe or compressed): give the file \
                 itself, or its export folder"
            ));
            parsed.push((name.clone(), Report::default(), S::new(config)));
            continue;
        }
        if folder || columnar::is_parquet(bytes) {
            // An export (a folder, or one of its files): read back column by column.
            let files = if folder { columnar::files(std::path::Path::new(name))? } else { vec![name.clone()] };
            // Ranged, as the text readers do: `--since` that selects nothing can say what is there.
            let (outcomes, ranged) = columnar::read::<parse::Ranged<S>>(&files, config);
            let mut report = Report { range: ranged.range, in_window: ranged.in_window, ..Report::default() };
            for (file, outcome) in outcomes {
                match outcome {
                    Ok(n) => report.count_n(Format::Parquet, n),
                    Err(why) => report.errors.push(parse::ParseError {
                        file: file.as_str().into(),
                        line: 0,
                        kind: parse::ParseErrorKind::Invalid(format!("{why}: the whole file was skipped")),
                    }),
                }
            }
            if report.records.is_empty() && report.errors.is_empty() {
                nothing.push(format!("no telemetry found in {shown}: an export with no records"));
            }
            let sink = ranged.inner;
            parsed.push((name.clone(), report, sink));
            continue;
        }
        let (report, sink) = match bytes.take_stream() {
            // Standard input and compressed files: read piece by piece, in bounded memory.
            Some((mut reader, format)) => {
                let (mut report, sink, end) = parse::ingest_stream::<S>(
                    shown,
                    &mut *reader,
                    config,
                    only,
                    parse::STREAM_CHUNK,
                    parse::LONGEST_PIECE,
                )?;
                if let Some(why) = &end.cut {
                    cut_short(shown, format.unwrap_or("input"), why, end.lines, &mut report, err)?;
                }
                if end.first_line.starts_with(b"PAR1") {
                    // Parquet is read by its footer, at the end of a file: not from a stream.
                    nothing.push(format!(
                        "{shown} is a Parquet file read as a stream (standard input, a pipe or compressed): \
                         give the file itself, or its export folder"
                    ));
                } else if report.records.is_empty() && report.errors.is_empty() {
                    nothing.push(no_telemetry(shown, end.bytes == 0, end.lines, &end.first_line) + not_proto(only));
                }
                (report, sink)
            }
            None => {
                let progress = crate::progress::Progress::new(shown, bytes.len() as u64);
                let (mut report, sink) = parse::ingest::<S>(shown, bytes, config, only, &|offset, len| {
                    bytes.release(offset, len);
                    progress.reached((offset + len) as u64);
                })?;
                drop(progress);
                if let Some((format, why)) = bytes.cut() {
                    cut_short(shown, format, why, parse::line_count(bytes), &mut report, err)?;
                }
                if report.records.is_empty() && report.errors.is_empty() {
                    let (lines, first) = (parse::line_count(bytes), parse::first_line(bytes));
                    nothing.push(no_telemetry(shown, bytes.is_empty(), lines, first) + not_proto(only));
                }
                (report, sink)
            }
        };
        parsed.push((name.clone(), report, sink));
    }
    report_read(parsed, nothing, strict, 0, err)
}

/// `-` is standard input in messages (as in the records' errors).
pub(crate) fn shown_name(name: &str) -> &str {
    if name == "-" { "<stdin>" } else { name }
}

/// Says on `err` what reading found besides records: inputs with no telemetry (`nothing`),
/// records given a resource that may not be theirs, and the records that could not be read (the
/// first [`ERRORS_SHOWN`], less the `shown` already said, then how many in all). With `strict`,
/// any bad record gives `None`.
pub(crate) fn report_read<S>(
    parsed: Vec<(String, Report, S)>,
    nothing: Vec<String>,
    strict: bool,
    shown: usize,
    err: &mut dyn Write,
) -> anyhow::Result<Option<Vec<(String, Report, S)>>> {
    for note in nothing {
        // A table of zeros must not read as an answer: say that nothing here was telemetry.
        writeln!(err, "otelgrep: {note}")?;
    }
    for (name, report, _) in &parsed {
        if report.unattributed > 0 {
            writeln!(
                err,
                "otelgrep: note: {}: {} span(s) and log record(s) were printed without their Resource after \
                 several processes had printed theirs (opentelemetry-stdout prints it in a process's first block \
                 only): each was given the last Resource printed, which may not be its own",
                shown_name(name),
                report.unattributed
            )?;
        }
    }
    let errors: Vec<_> = parsed.iter().flat_map(|(_, r, _)| &r.errors).collect();
    for e in errors.iter().take(ERRORS_SHOWN).skip(shown) {
        writeln!(err, "otelgrep: {e}")?;
    }
    if !errors.is_empty() {
        let more = errors.len().saturating_sub(ERRORS_SHOWN);
        let tail = if more > 0 { format!(" ({more} more not shown)") } else { String::new() };
        writeln!(err, "otelgrep: {} record(s) could not be read and were skipped{tail}", errors.len())?;
        if strict {
            return Ok(None);
        }
    }
    Ok(Some(parsed))
}

/// A compressed input whose stream stopped early: everything before the cut was read; the cut is
/// one skipped record (the record it fell in, which the framers report as cut, or one of its own
/// when it fell between records).
fn cut_short(
    name: &str,
    format: &str,
    why: &str,
    last_line: u64,
    report: &mut Report,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    writeln!(
        err,
        "otelgrep: note: {name}: the {format} stream ends early ({why}): everything before the cut was read"
    )?;
    // The record the cut fell in was reported already when it is cut (a record left open) or
    // fails on the last line (a request line stopped short).
    let reported = report.errors.iter().any(|e| matches!(e.kind, parse::ParseErrorKind::Truncated { .. }))
        || report.errors.last().is_some_and(|e| e.line == last_line);
    if !reported {
        report.errors.push(parse::ParseError {
            file: name.into(),
            line: last_line + 1,
            kind: parse::ParseErrorKind::Invalid(format!("the {format} stream is cut here: what followed is lost")),
        });
    }
    Ok(())
}

/// Why an input read as binary OTLP (`--input-format otlp-proto`) held nothing: it was not.
fn not_proto(only: Option<Format>) -> &'static str {
    match only {
        Some(Format::OtlpProto) => {
            "; not OTLP protobuf: neither length-prefixed messages (the Collector file exporter's \
             `format: proto`) nor one export request"
        }
        _ => "",
    }
}

/// `no telemetry found in output.log: 30,026 lines, e.g. "app-1  | {"`: how its lines begin.
pub(crate) fn no_telemetry(name: &str, empty: bool, lines: u64, first: &[u8]) -> String {
    if empty {
        return format!("no telemetry found in {name}: it is empty");
    }
    let shown: String = String::from_utf8_lossy(first).chars().take(32).collect();
    format!(
        "no telemetry found in {name}: {} line{}, e.g. \"{}\"",
        thousands(lines as usize),
        if lines == 1 { "" } else { "s" },
        render::one_line(&shown)
    )
}

/// `30026` as `30,026`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) fn exit_code<S>(inputs: &[(String, Report, S)]) -> ExitCode {
    if inputs.iter().any(|(_, r, _)| !r.errors.is_empty()) { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbered_backups_come_before_their_file_oldest_first() {
        let mut names = vec![
            "c/abc-json.log",
            "c/abc-json.log.1",
            "c/abc-json.log.10.gz",
            "c/abc-json.log.2.gz",
            "c/config.v2.json",
            "o/traces-2026-12-02T10-00-00.000.json",
            "o/traces.json",
        ];
        names.sort_by(|a, b| super::rotation_order(a).cmp(&super::rotation_order(b)));
        assert_eq!(
            names,
            [
                "c/abc-json.log.10.gz",
                "c/abc-json.log.2.gz",
                "c/abc-json.log.1",
                "c/abc-json.log",
                "c/config.v2.json",
                "o/traces-2026-12-02T10-00-00.000.json",
                "o/traces.json",
            ]
        );
    }
}
