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
mod guard;
pub mod histogram;
mod inputs;
pub mod keys;
pub mod live;
pub mod model;
pub mod parse;
mod progress;
pub mod render;
pub mod report;
pub mod sql;

/// A seeded pseudo-random sequence (xorshift64) for tests that try many shapes of input: the
/// same inputs on every run.
#[cfg(test)]
pub(crate) fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command, FilterArgs, InputArgs, InputFormat};
use crate::inputs::{expand, ingest_all, only, open_all};
use crate::parse::{Report, Sink};
pub(crate) use inputs::{ERRORS_SHOWN, exit_code, no_telemetry, read_all, report_read};

/// Runs the command line; results go to `out`, diagnostics to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    progress::allow(cli.quiet);
    match cli.command {
        Command::Summary(args) => {
            query::<cmd::summary::Tally>(&args.input, &(), None, None, out, err, &mut |inputs, _, out, _| {
                cmd::summary::run(&args, inputs, out)
            })
        }
        Command::Urls(args) => {
            let config = cmd::urls::Config {
                kind: args.kind,
                template: args.template,
                filter: filter(&args.filter, filter::Subject::Spans)?,
            };
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
            let config = cmd::latency::Config::new(&args, filter(&args.filter, filter::Subject::Spans)?)?;
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
            let config = cmd::spans::Config::new(&args, filter(&args.filter, filter::Subject::Spans)?)?;
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
            let config = cmd::logs::Config::new(&args, filter(&args.filter, filter::Subject::Requests)?)?;
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
            let failed = ExitCode::from(1);
            let mut code = ExitCode::SUCCESS;
            let (selector, said) = match selector {
                Some(s) => (s, None),
                None => {
                    // First pass: the slowest request's trace. Its problems are reported here,
                    // and not again by the second pass.
                    let (found, said) =
                        inputs::ingest_first::<cmd::trace::Slowest>(&inputs, args.input_format, args.strict, &(), err)?;
                    let Some(found) = found else {
                        return Ok(ExitCode::from(2));
                    };
                    code = exit_code(&found);
                    let Some((_, id)) = cmd::merged(found).best else {
                        anyhow::bail!("no request (entry span) in the input");
                    };
                    (cmd::TraceSelector::parse(&model::trace_hex(id))?, Some(said))
                }
            };
            let found = match &said {
                Some(said) => inputs::ingest_again::<cmd::trace::Parts>(
                    &inputs,
                    args.input_format,
                    args.strict,
                    &selector,
                    said,
                    err,
                ),
                None => ingest_all::<cmd::trace::Parts>(&inputs, args.input_format, args.strict, &selector, err),
            };
            let Some(found) = found? else {
                return Ok(ExitCode::from(2));
            };
            if exit_code(&found) == failed {
                code = failed;
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
        Command::Report(args) => cmd::report::run(&args, out, err),
        Command::Completions(args) => {
            cmd::completions::run(args.shell, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man(args) => {
            cmd::man::run(&args, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Metrics(args) => {
            let (config, files) = cmd::metrics::Config::new(&args, filter(&args.filter, filter::Subject::Points)?)?;
            if args.follow.follow {
                let show = live::Show {
                    print: &mut |inputs, _, out, err| cmd::metrics::run(&args, &config, inputs, out, err),
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
            note_filters(&config.filter, &found, err)?;
            cmd::metrics::run(&args, &config, found, out, err)?;
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
                note_filters(f, &inputs, err)?;
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
        note_filters(f, &inputs, err)?;
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

/// Says on stderr when a filter could not have held what the user meant: a `--where` key that
/// no record tested had, and `--since`/`--until` holding no record at all (of any kind, before
/// the other filters) with the times the input covers. An empty table must not read as "nothing
/// happened then" when nothing was captured then, nor as "no span failed" when the key was
/// misspelt.
fn note_filters<S>(f: &filter::Filter, inputs: &[(String, Report, S)], err: &mut dyn Write) -> anyhow::Result<()> {
    for w in f.wheres.iter().filter(|w| w.never_present()) {
        let key = w.typed();
        let (tested, on) = match f.subject {
            filter::Subject::Spans => ("span", "each span and its resource"),
            filter::Subject::Requests => {
                ("request", "the entry span each log record belongs to (not the record), and its resource")
            }
            filter::Subject::Points => ("data point", "each data point and its resource"),
        };
        let hint = match (&w.key, key) {
            (_, "trace_id") => " (one trace: otelgrep trace ID, or spans/logs --trace ID)".to_string(),
            (_, "duration") => {
                " (the longest spans: otelgrep spans --slowest N; percentiles: otelgrep latency --by KEY)".to_string()
            }
            (keys::Key::Route, _) => " (an http.route)".to_string(),
            (keys::Key::Kind | keys::Key::SpanStatus, _) if f.subject == filter::Subject::Points => {
                " (a span's: a data point has none)".to_string()
            }
            (keys::Key::Attribute(_), _) => {
                format!(" (an attribute name, looked up on {on}; the aliases are {})", keys::ALIASES.join(", "))
            }
            _ => String::new(),
        };
        writeln!(err, "otelgrep: note: --where: no {tested} tested has {key}{hint}")?;
    }
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
/// `subject`: what `--where` tests. A kind or span status that is no such name
/// (`span_status=bogus`) is an error where spans are tested; a data point's own attribute of
/// that name may hold anything.
fn filter(args: &FilterArgs, subject: filter::Subject) -> anyhow::Result<filter::Filter> {
    let mut f = filter::Filter::new(
        &args.wheres,
        args.since.as_deref(),
        args.until.as_deref(),
        &args.service,
        filter::now_ns(),
    )?;
    if subject != filter::Subject::Points {
        if let Some(why) = f.wheres.iter().find_map(|w| w.not_a_name.as_deref()) {
            anyhow::bail!("{why}");
        }
    }
    f.subject = subject;
    Ok(f)
}
