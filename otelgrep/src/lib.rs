//! `otelgrep`: reads what OpenTelemetry console exporters printed (Python, Rust, Node, OTLP JSON,
//! mixed with the app's own lines) and answers the questions people grep for.
//!
//! The pipeline: `parse` turns each input into the `model` (spans, log records, metric points),
//! counting foreign lines and reporting bad records as `file:line: reason`; a `cmd` module per
//! subcommand computes its answer; `render` prints it. `main.rs` only maps the result to an exit
//! code. Formats: Python console JSON, Rust `opentelemetry-stdout` text, OTLP JSON lines, Node
//! console literals, Collector `debug` text, Go `stdouttrace`/`stdoutmetric`/`stdoutlog` JSON (one module
//! each in `parse/`).
//! `keys` resolves the grouping keys that survive semantic-convention renames.

pub mod cli;
pub mod cmd;
pub mod columnar;
pub mod filter;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod histogram;
pub mod keys;
pub mod live;
pub mod model;
pub mod parse;
pub mod render;
pub mod sql;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command, FilterArgs, InputArgs, InputFormat};
use crate::parse::{Format, Report, Sink};

/// Bad records listed on stderr before the rest are only counted.
pub(crate) const ERRORS_SHOWN: usize = 20;

/// Runs the command line; results go to `out`, diagnostics to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Summary(args) => {
            query::<cmd::summary::Tally>(&args.input, &(), None, None, out, err, &mut |inputs, _, out, _| {
                cmd::summary::run(&args, inputs, out)
            })
        }
        Command::Urls(args) => {
            let config = cmd::urls::Config { kind: args.kind, template: args.template, filter: filter(&args.filter)? };
            if let Some(engine) = args.sql {
                let dir = export_folder(&args.input, args.table.format)?;
                out.write_all(sql::urls(&args, engine, &config.filter, &dir)?.as_bytes())?;
                return Ok(ExitCode::SUCCESS);
            }
            query::<cmd::urls::Rows>(
                &args.input,
                &config,
                Some(&config.filter),
                None,
                out,
                err,
                &mut |inputs, _, out, _| cmd::urls::run(&args, inputs, out),
            )
        }
        Command::Latency(args) => {
            let config = cmd::latency::Config::new(&args, filter(&args.filter)?)?;
            if let Some(engine) = args.sql {
                let dir = export_folder(&args.input, args.table.format)?;
                out.write_all(sql::latency(&args, engine, &config.filter, config.every_ns, &dir)?.as_bytes())?;
                return Ok(ExitCode::SUCCESS);
            }
            // Followed into a pipe, time buckets are printed once each, when closed.
            let buckets = config.every_ns.filter(|_| args.input.follow.follow && !std::io::stdout().is_terminal());
            let grace = args.input.follow.grace_ns()?;
            let mut closing = buckets.map(|every| live::Buckets::new(every, grace));
            let live = buckets.map(|_| args.table.format);
            query::<cmd::latency::Samples>(
                &args.input,
                &config,
                Some(&config.filter),
                live,
                out,
                err,
                &mut |inputs, last, out, err| {
                    let Some(closing) = closing.as_mut() else {
                        return cmd::latency::run(&args, cmd::merged(inputs), out, err);
                    };
                    let newest = inputs.iter().filter_map(|(_, r, _)| r.range.map(|r| r.1)).max();
                    let all = cmd::merged(inputs);
                    let range = closing.closed(&all.durations.start_ns, newest, last);
                    if last && closing.late > 0 {
                        writeln!(
                            err,
                            "otelgrep: note: {} request(s) came more than --grace after the end of their --every \
                             bucket, once its rows were printed: those rows do not count them (the command without \
                             --follow does; a larger --grace waits for them)",
                            closing.late
                        )?;
                    }
                    match range {
                        Some(range) => cmd::latency::run_buckets(&args, all, Some(range), out, err),
                        None => Ok(()),
                    }
                },
            )
        }
        Command::Spans(args) => {
            let config = cmd::spans::Config::new(&args, filter(&args.filter)?)?;
            // Followed, spans are listed as they arrive (the slowest are an answer of their own).
            let rows = args.slowest.is_none();
            let mut printed = live::NewRows::new(std::time::Duration::ZERO);
            let live = rows.then_some(args.table.format);
            query::<cmd::spans::Listed>(
                &args.input,
                &config,
                Some(&config.filter),
                live,
                out,
                err,
                &mut |inputs, _, out, _| {
                    let mut all = cmd::merged(inputs);
                    if rows && args.input.follow.follow {
                        let first = printed.none();
                        let key =
                            |r: &cmd::spans::Row| (r.trace_id, r.start_ns, r.end_ns, r.name.clone(), r.url.clone());
                        all.rows = printed.take(std::mem::take(&mut all.rows), key, |_| true);
                        if all.rows.is_empty() && !first {
                            return Ok(());
                        }
                    }
                    cmd::spans::run(&args, all, out)
                },
            )
        }
        Command::Logs(args) => {
            let config = cmd::logs::Config::new(&args, filter(&args.filter)?)?;
            // A record is shown with its request: held until the trace's root span arrives, for
            // the exporters' batch delay (--grace) at most, or until the input ends.
            let mut printed = live::NewRows::new(std::time::Duration::from_nanos(args.input.follow.grace_ns()? as u64));
            query::<cmd::logs::Records>(
                &args.input,
                &config,
                Some(&config.filter),
                Some(args.table.format),
                out,
                err,
                &mut |inputs, last, out, _| {
                    let mut all = cmd::merged(inputs);
                    if args.input.follow.follow {
                        let first = printed.none();
                        let requests = &all.requests;
                        // The request is final once it is the trace's root span (an earlier entry
                        // span, the request's own, may come after a service's inside it).
                        let ready = |r: &cmd::logs::Row| {
                            last || r.trace_id.is_none_or(|t| requests.get(&t).is_some_and(|q| q.root))
                        };
                        let key =
                            |r: &cmd::logs::Row| (r.time_ns, r.trace_id, r.span_id, r.severity.clone(), r.body.clone());
                        all.rows = printed.take(std::mem::take(&mut all.rows), key, ready);
                        if all.rows.is_empty() && !first {
                            return Ok(());
                        }
                    }
                    cmd::logs::run(&args, all, out)
                },
            )
        }
        Command::Trace(args) => {
            let (selector, files) = cmd::trace::select(&args)?;
            let inputs = open_all(&files, true)?;
            let mut code = ExitCode::SUCCESS;
            let selector = match selector {
                Some(s) => s,
                None => {
                    // First pass: the slowest request's trace. Its problems are reported here,
                    // and not again by the second pass.
                    let Some(found) =
                        ingest_all::<cmd::trace::Slowest>(&inputs, args.input_format, args.strict, &(), err)?
                    else {
                        return Ok(ExitCode::from(2));
                    };
                    code = exit_code(&found);
                    let Some((_, id)) = cmd::merged(found).best else {
                        anyhow::bail!("no request (entry span) in the input");
                    };
                    cmd::TraceSelector::parse(&model::trace_hex(id))?
                }
            };
            let mut quiet = std::io::sink();
            let second: &mut dyn Write = if args.slowest { &mut quiet } else { err };
            let Some(found) =
                ingest_all::<cmd::trace::Parts>(&inputs, args.input_format, args.strict, &selector, second)?
            else {
                return Ok(ExitCode::from(2));
            };
            if !args.slowest {
                code = exit_code(&found);
            }
            cmd::trace::run(&args, cmd::merged(found), render::colours_wanted(), out)?;
            Ok(code)
        }
        Command::Export(args) => {
            if args.input.follow.follow {
                anyhow::bail!("export reads its inputs to their end: --follow is for the query commands");
            }
            if args.to == cli::ExportFormat::Parquet {
                return cmd::export::parquet(&args, err);
            }
            cmd::export::otlp_json(&args, out, err)
        }
        Command::Metrics(args) => {
            let (config, files) = cmd::metrics::Config::new(&args, filter(&args.filter)?)?;
            if args.follow.follow {
                let show = live::Show {
                    print: &mut |inputs, _, out, err| cmd::metrics::run(&args, &config, cmd::merged(inputs), out, err),
                    rows: false,
                    screen: live::Screen::new(std::io::stdout().is_terminal(), false),
                    refresh: args.follow.refresh()?,
                };
                return live::follow(&expand(&files)?, only(args.input_format), args.strict, &config, show, out, err);
            }
            let inputs = open_all(&files, false)?;
            let Some(found) =
                ingest_all::<cmd::metrics::Points>(&inputs, args.input_format, args.strict, &config, err)?
            else {
                return Ok(ExitCode::from(2));
            };
            let code = exit_code(&found);
            note_time_range(&config.filter, &found, err)?;
            cmd::metrics::run(&args, &config, cmd::merged(found), out, err)?;
            Ok(code)
        }
    }
}

/// What prints a command's answer: given every input's report and sink, whether this is the
/// final answer (always, but while following), standard output and standard error.
pub(crate) type Print<'p, S> =
    dyn FnMut(Vec<(String, Report, S)>, bool, &mut dyn Write, &mut dyn Write) -> anyhow::Result<()> + 'p;

/// Reads every input into the command's sinks and hands them to `print`, once, or with
/// `--follow` at every refresh (`rows`: each print is only what is new); the exit code says
/// whether every record was read.
fn query<S: Sink + Clone>(
    input: &InputArgs,
    config: &S::Config,
    time: Option<&filter::Filter>,
    rows: Option<cli::OutputFormat>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    print: &mut Print<'_, S>,
) -> anyhow::Result<ExitCode> {
    if input.follow.follow {
        let files = expand(&input.files)?;
        // The final answer says, as without --follow, when --since/--until held nothing.
        let print = &mut |inputs: Vec<(String, Report, S)>, last: bool, out: &mut dyn Write, err: &mut dyn Write| {
            if let (true, Some(f)) = (last, time) {
                note_time_range(f, &inputs, err)?;
            }
            print(inputs, last, out, err)
        };
        let show = live::Show {
            print,
            rows: rows.is_some(),
            screen: live::Screen::new(std::io::stdout().is_terminal(), rows == Some(cli::OutputFormat::Csv)),
            refresh: input.follow.refresh()?,
        };
        return live::follow::<S>(&files, only(input.input_format), input.strict, config, show, out, err);
    }
    let Some(inputs) = read_all::<S>(input, config, err)? else {
        return Ok(ExitCode::from(2));
    };
    let code = exit_code(&inputs);
    if let Some(f) = time {
        note_time_range(f, &inputs, err)?;
    }
    print(inputs, true, out, err)?;
    Ok(code)
}

/// The one export folder `--sql` queries, as an absolute path (the query runs wherever the
/// engine does). What only applies to computing the table here is refused, not ignored.
fn export_folder(input: &InputArgs, format: cli::OutputFormat) -> anyhow::Result<String> {
    if input.follow.follow || input.strict || input.input_format != InputFormat::Auto {
        anyhow::bail!("--sql prints a query for an engine: --follow, --strict and --input-format do not apply");
    }
    if format != cli::OutputFormat::Table {
        anyhow::bail!(
            "--sql prints a query for an engine: choose the result's format in the engine, not with --format"
        );
    }
    let [dir] = input.files.as_slice() else {
        anyhow::bail!(
            "--sql queries one export folder (otelgrep export --to parquet --out DIR CAPTURE...): give it alone"
        );
    };
    let path = std::path::Path::new(dir);
    if !path.is_dir() || !columnar::is_export(path) {
        anyhow::bail!(
            "--sql queries an export folder (one that otelgrep export --to parquet --out DIR CAPTURE... made, holding \
             spans/, logs/ and metrics/), and {dir} is not one"
        );
    }
    let absolute = std::fs::canonicalize(path).with_context(|| format!("reading {dir}"))?;
    Ok(absolute.to_string_lossy().into_owned())
}

/// Says on stderr when `--since`/`--until` hold no record at all (of any kind, before the other
/// filters), and what times the input covers: an empty table must not read as "nothing happened
/// then" when nothing was captured then.
fn note_time_range<S>(f: &filter::Filter, inputs: &[(String, Report, S)], err: &mut dyn Write) -> anyhow::Result<()> {
    if f.since.is_none() && f.until.is_none() {
        return Ok(());
    }
    let range = inputs.iter().filter_map(|(_, r, _)| r.range).reduce(|(a, b), (c, d)| (a.min(c), b.max(d)));
    let Some((lo, hi)) = range else { return Ok(()) };
    if inputs.iter().all(|(_, r, _)| r.in_window == 0) {
        let t = parse::time::format_rfc3339;
        let asked = match (f.since, f.until) {
            (Some(a), Some(b)) => format!("between {} and {}", t(a), t(b)),
            (Some(a), None) => format!("since {}", t(a)),
            (_, b) => format!("before {}", t(b.unwrap_or_default())),
        };
        writeln!(err, "otelgrep: note: nothing {asked}: the input covers {} to {}", t(lo), t(hi))?;
    }
    Ok(())
}

/// The shared filters, checked before any input is read; relative times count back from now.
fn filter(args: &FilterArgs) -> anyhow::Result<filter::Filter> {
    Ok(filter::Filter::new(
        &args.wheres,
        args.since.as_deref(),
        args.until.as_deref(),
        &args.service,
        filter::now_ns(),
    )?)
}

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
/// the current one), in name order: rotated backups (`traces-2026-…json`)
/// sort before the file they were cut from (`traces.json`).
fn open_all(files: &[String], whole: bool) -> anyhow::Result<Vec<(String, parse::Input)>> {
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
fn expand(files: &[String]) -> anyhow::Result<Vec<String>> {
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

/// The files under a folder, in every subfolder, hidden ones left out, sorted by path.
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
    out.sort();
    Ok(out)
}

/// The one format `--input-format` names, if any.
fn only(format: InputFormat) -> Option<Format> {
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

/// Parses opened inputs into the command's sink; bad records as `read_all` says. `err` may be
/// `io::sink()` for a second pass over inputs whose problems were already reported.
fn ingest_all<S: Sink>(
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
        let shown = if name == "-" { "<stdin>" } else { name.as_str() };
        let folder = std::path::Path::new(name).is_dir();
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
                if report.records.is_empty() && report.errors.is_empty() {
                    nothing.push(no_telemetry(shown, end.bytes == 0, end.lines, &end.first_line));
                }
                (report, sink)
            }
            None => {
                let (mut report, sink) =
                    parse::ingest::<S>(shown, bytes, config, only, &|offset, len| bytes.release(offset, len))?;
                if let Some((format, why)) = bytes.cut() {
                    cut_short(shown, format, why, parse::line_count(bytes), &mut report, err)?;
                }
                if report.records.is_empty() && report.errors.is_empty() {
                    let (lines, first) = (parse::line_count(bytes), parse::first_line(bytes));
                    nothing.push(no_telemetry(shown, bytes.is_empty(), lines, first));
                }
                (report, sink)
            }
        };
        parsed.push((name.clone(), report, sink));
    }
    report_read(parsed, nothing, strict, 0, err)
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
                "otelgrep: note: {name}: {} span(s) and log record(s) were printed without their Resource after \
                 several processes had printed theirs (opentelemetry-stdout prints it in a process's first block \
                 only): each was given the last Resource printed, which may not be its own",
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
fn thousands(n: usize) -> String {
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
