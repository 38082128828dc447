//! What the user typed: clap derive only. The `///` comments are the help text; `help.rs` holds
//! each subcommand's examples and notes.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes' text, stated once: a macro, so that the help texts that end with it can be
/// built with `concat!`.
macro_rules! exit_codes {
    () => {
        "Exit codes: 0 when every record was read; 1 when some records could not be read \
(the result is still printed, and stderr names each bad record as FILE:LINE: reason); 2 on an error \
(a missing or unreadable file, bad arguments, or any bad record with --strict)."
    };
}

/// Exit codes, for --help and the README.
pub const EXIT_CODES: &str = exit_codes!();

mod help;
use help::*;

/// Query OpenTelemetry console-exporter captures (`app | tee output.log`).
#[derive(Debug, Parser)]
#[command(name = "otelgrep", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress bar (shown on a terminal's stderr while inputs over 100 MB are read; never
    /// into a pipe or file).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// What a capture holds, and what could not be read.
    ///
    /// Spans by kind, log records by severity, metric points by name, services, the time range,
    /// foreign lines skipped, records that could not be read.
    #[command(after_help = SUMMARY_HELP)]
    Summary(SummaryArgs),
    /// Every URL requested: count, methods, statuses, first and last seen.
    ///
    /// Most requested first. Counts entry spans only (SERVER spans, or root spans whose kind is
    /// not given), so nested spans are not counted twice.
    #[command(after_help = URLS_HELP)]
    Urls(UrlsArgs),
    /// Latency per group of requests (--by url, route, status, ...), exact percentiles.
    ///
    /// Count, errors, requests per second, min, percentiles, max and a sparkline of the median
    /// over time; `--every` gives one row per time bucket. Percentiles are exact: linear
    /// interpolation between the closest ranks (numpy's default), over every duration (span end
    /// minus start) in the group.
    #[command(after_help = LATENCY_HELP)]
    Latency(LatencyArgs),
    /// List spans, in time order or the slowest first.
    ///
    /// Start time, duration, kind, name, span status, response status, route, URL and trace id.
    #[command(after_help = SPANS_HELP)]
    Spans(SpansArgs),
    /// One trace as a tree (a waterfall), with its events and logs.
    ///
    /// Each span under its parent with its start offset, duration, a bar to scale, status and key
    /// attributes; its events and the log records emitted inside it below it. Spans whose parent
    /// is not in the capture are shown as roots, and marked.
    #[command(
        override_usage = "otelgrep trace [OPTIONS] TRACE_ID FILE...\n       otelgrep trace [OPTIONS] --slowest FILE...",
        after_help = TRACE_HELP
    )]
    Trace(TraceArgs),
    /// Log records in time order, each with the request it belongs to.
    ///
    /// Time, severity, body, and the URL, route and status of the request each belongs to: the
    /// entry span nearest above the record's own span (the request its service was serving; a
    /// gRPC one has no URL or HTTP status), else its trace's root entry span.
    #[command(after_help = LOGS_HELP)]
    Logs(LogsArgs),
    /// Every metric, or one metric's values per series and export.
    ///
    /// Without NAME, every metric with its kind, unit, series, temporality and time range; with
    /// NAME, its values per series and export interval (counters as deltas and rates, gauges as
    /// values, histograms as count, sum, mean and estimated percentiles).
    #[command(
        override_usage = "otelgrep metrics [OPTIONS] FILE...\n       otelgrep metrics [OPTIONS] NAME FILE...",
        after_help = METRICS_HELP
    )]
    Metrics(MetricsArgs),
    /// Every record as OTLP JSON lines, for the tools and backends that read OpenTelemetry.
    ///
    /// Spans, log records and metric points of any capture (Python, Rust, Node, Go, Collector
    /// debug text, OTLP) as OTLP JSON export requests, one a line, as the Collector's file exporter
    /// writes them: the Collector's `otlpjsonfile` receiver, otel-tui `--from-json-file` and
    /// otelgrep itself read them back.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// A page of charts to look at or send: one HTML file that opens offline.
    ///
    /// The summary, requests per second, error rate and latency percentiles over time per group,
    /// each group's distribution of durations, the latency table, the slowest traces as
    /// waterfalls, log records per severity over time, and each metric over time.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// Shell completions for bash, zsh, fish or PowerShell, on standard output.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Manual pages (roff): otelgrep(1), or one subcommand's, on standard output; or all of them
    /// into a folder.
    #[command(after_help = MAN_HELP)]
    Man(ManArgs),
}

/// `otelgrep report`.
#[derive(Debug, Args)]
// Read to their end: --follow and its settings are not theirs (hidden; -f is refused with a reason).
#[command(mut_arg("follow", |a| a.hide(true)))]
#[command(mut_arg("refresh", |a| a.hide(true)))]
#[command(mut_arg("grace", |a| a.hide(true)))]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The HTML file to write (`-`: standard output).
    #[arg(short, long, value_name = "FILE", default_value = "report.html")]
    pub out: String,
    /// Group requests by these keys, as `latency --by` does.
    #[arg(long, value_delimiter = ',', default_value = "route", value_name = "KEY,...")]
    pub by: Vec<String>,
    /// Width of the charts' time buckets (10s, 1m); by default the covered time in about 60.
    #[arg(long, value_name = "WIDTH")]
    pub every: Option<String>,
    /// Which spans count as requests.
    #[arg(long, value_enum, default_value_t = KindFilter::Entry)]
    pub kind: KindFilter,
    /// How many of the slowest traces are drawn.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub traces: usize,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `otelgrep completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// `otelgrep man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's page (otelgrep-latency(1)) instead of otelgrep(1).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
    /// Write every page (otelgrep.1, otelgrep-latency.1, ...) into this folder instead.
    #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
    pub out: Option<String>,
}

/// `otelgrep export`.
#[derive(Debug, Args)]
// Read to their end: --follow and its settings are not theirs (hidden; -f is refused with a reason).
#[command(mut_arg("follow", |a| a.hide(true)))]
#[command(mut_arg("refresh", |a| a.hide(true)))]
#[command(mut_arg("grace", |a| a.hide(true)))]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// What to write.
    #[arg(long, value_enum, default_value_t = ExportFormat::OtlpJson)]
    pub to: ExportFormat,
    /// otlp-json: the file to write instead of standard output (`-`: standard output); never one
    /// of the inputs. parquet: the folder to write `spans/`, `logs/` and `metrics/` into (created
    /// if needed; a later export into the same folder adds its files beside these; never an
    /// input folder, nor inside one).
    #[arg(long, value_name = "FILE|DIR")]
    pub out: Option<String>,
    /// parquet: folders per service and/or per day (`service=todo/date=2026-11-27/`, hive style,
    /// as engines prune them).
    #[arg(long, value_name = "service,date", value_delimiter = ',')]
    pub partition_by: Vec<PartitionKey>,
}

/// `export --partition-by` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartitionKey {
    /// `service.name` of the record's resource.
    Service,
    /// The record's day (UTC).
    Date,
}

/// `export --to` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// OTLP JSON lines: one export request (of one signal) a line.
    OtlpJson,
    /// Parquet tables with the columns of the Collector's ClickHouse exporter (`--out DIR`).
    Parquet,
}

/// `otelgrep spans`.
#[derive(Debug, Args)]
pub struct SpansArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Only spans whose name matches this glob (`*` any characters, `?` one): `'GET *'`.
    #[arg(long, value_name = "GLOB")]
    pub name: Option<String>,
    /// Which spans to list.
    #[arg(long, value_enum, default_value_t = KindFilter::All)]
    pub kind: KindFilter,
    /// Only the spans of this trace (32 hex digits, or a prefix of at least 8).
    #[arg(long, value_name = "TRACE_ID")]
    pub trace: Option<String>,
    /// Only the N longest spans, longest first.
    #[arg(long, value_name = "N")]
    pub slowest: Option<usize>,
    /// Only failed spans: status ERROR, or a 5xx response.
    #[arg(long)]
    pub errors: bool,
    /// More columns: aliases or attribute names (the span's, else its resource's),
    /// comma-separated (`http.user_agent,db.statement,service.instance.id`).
    #[arg(long, value_delimiter = ',', value_name = "KEY,...")]
    pub columns: Vec<String>,
    /// Unit of the durations.
    #[arg(long, value_enum, default_value_t = Unit::Ms)]
    pub unit: Unit,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

/// `otelgrep trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The trace id (32 hex digits, or a prefix of at least 8) then the captures; with --slowest,
    /// only the captures.
    #[arg(required = true, value_name = "TRACE_ID | FILE")]
    pub args: Vec<String>,
    /// Show the trace whose entry span took longest.
    #[arg(long)]
    pub slowest: bool,
    /// Treat any record that cannot be read as an error (exit 2, nothing printed).
    #[arg(long)]
    pub strict: bool,
    /// Read only this format (see `otelgrep summary --help`).
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Output: `table` draws the tree; `json` is one object (the trace, its spans with their depth,
    /// offset_ms, duration_ms, events and logs, and the logs outside any span); csv, ndjson and
    /// markdown give one row per span (offset and duration in ms, the number of events).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `otelgrep logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Only records of this severity and above: trace, debug, info, warn, error, fatal.
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only records whose body matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// Only the records of this trace (32 hex digits, or a prefix of at least 8).
    #[arg(long, value_name = "TRACE_ID")]
    pub trace: Option<String>,
    /// Show bodies whole, line breaks included (by default one line, escaped).
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

/// `otelgrep metrics`.
#[derive(Debug, Args)]
// The shared filters keep data points here, not spans.
#[command(mut_arg("wheres", |a| a.help(
    "Keep data points for which EXPR holds (repeat to require several): the forms of the other \
     commands' --where, over the point's attributes, then its resource's (service.instance.id, \
     host.name; resource.NAME for the resource's alone), the metric name as `name`, scope.name and \
     scope.version"
)))]
#[command(mut_arg("since", |a| a.help("Only data points at or after this time (RFC 3339, or a duration before now)")))]
#[command(mut_arg("until", |a| a.help("Only data points before this time (same forms as --since)")))]
#[command(mut_arg("service", |a| a.help("Only data points from these services (service.name), comma-separated")))]
pub struct MetricsArgs {
    /// An optional metric name, then the captures.
    #[arg(required = true, value_name = "NAME | FILE")]
    pub args: Vec<String>,
    /// Regroup a metric's values into time buckets of this width (10s, 1m, 1h): counters' deltas
    /// add up, and `interval_s` is the time the bucket's exports cover (what `rate_per_s` divides
    /// by, so a bucket narrower than the export interval gives the true rate).
    #[arg(long, value_name = "WIDTH")]
    pub every: Option<String>,
    /// With a histogram NAME: its estimated percentiles per route next to the exact percentiles
    /// of the SERVER spans of the same routes.
    #[arg(long)]
    pub compare_spans: bool,
    /// Treat any record that cannot be read as an error (exit 2, nothing printed).
    #[arg(long)]
    pub strict: bool,
    /// Read only this format (see `otelgrep summary --help`).
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    #[command(flatten)]
    pub follow: FollowArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

/// `otelgrep latency`.
#[derive(Debug, Args)]
pub struct LatencyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Group by these keys, comma-separated: the aliases url, route, target, method, status,
    /// service, name, kind, span_status (they resolve across semantic-convention renames),
    /// scope.name, scope.version, or any attribute name: the span's own, else its resource's
    /// (`service.instance.id`, `host.name`, `k8s.pod.name`); `resource.NAME` takes the
    /// resource's alone. `http.url` and
    /// `http.status_code` fall back to their renamed twins, and stderr says so.
    #[arg(long, value_delimiter = ',', default_value = "route", value_name = "KEY,...")]
    pub by: Vec<String>,
    /// Collapse identifiers in url/target keys (`/delete/3` becomes `/delete/{id}`), preferring
    /// the span's `http.route`.
    #[arg(long)]
    pub template: bool,
    /// Percentiles to show, comma-separated, each in 0..=100.
    #[arg(long, value_delimiter = ',', default_value = "50,90,95,99", value_name = "P,...")]
    pub percentiles: Vec<f64>,
    /// One row per time bucket of this width and group (bucket start in UTC, RFC 3339), sorted by
    /// time: 10s, 1m, 1h, 1d, or 500ms.
    #[arg(long, value_name = "WIDTH")]
    pub every: Option<String>,
    /// Unit of the durations.
    #[arg(long, value_enum, default_value_t = Unit::Ms)]
    pub unit: Unit,
    /// Which spans count as requests.
    #[arg(long, value_enum, default_value_t = KindFilter::Entry)]
    pub kind: KindFilter,
    /// Print the SQL that computes this table on an engine, over the export folder given as
    /// input (`otelgrep export --to parquet`), instead of computing it: the same groups, filters,
    /// buckets, exact percentiles and CSV columns.
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub sql: Option<SqlEngine>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

/// `--sql` engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlEngine {
    Duckdb,
    /// ClickHouse (and chDB).
    Clickhouse,
    /// Spark SQL.
    Spark,
}

/// Duration units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Unit {
    Ns,
    Us,
    Ms,
    S,
}

impl Unit {
    /// Nanoseconds in one unit.
    pub fn ns(self) -> f64 {
        match self {
            Unit::Ns => 1.0,
            Unit::Us => 1e3,
            Unit::Ms => 1e6,
            Unit::S => 1e9,
        }
    }

    /// Decimals a table shows: microseconds in every unit.
    pub fn decimals(self) -> usize {
        match self {
            Unit::Ns | Unit::Us => 0,
            Unit::Ms => 3,
            Unit::S => 6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Ns => "ns",
            Unit::Us => "us",
            Unit::Ms => "ms",
            Unit::S => "s",
        }
    }
}

/// The filters every query command takes.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Keep spans for which EXPR holds; repeat to require several. `KEY=VALUE`, `KEY!=VALUE`,
    /// `KEY>N`, `KEY>=N`, `KEY<N`, `KEY<=N` (numbers compare as numbers), `KEY~REGEX`,
    /// `KEY!~REGEX`, `KEY exists`, `KEY missing`; `status=5xx` matches a status class. KEY is an
    /// alias (url, route, target, method, status, service, name, kind, span_status), scope.name,
    /// scope.version, or an attribute name: the span's own, else its resource's (`resource.NAME`: the
    /// resource's alone). A span without KEY only passes `missing` (`route exists` tests
    /// `http.route`: the span name stands in for it only in comparisons); a KEY no record has is
    /// said on stderr.
    #[arg(long = "where", value_name = "EXPR")]
    pub wheres: Vec<String>,
    /// Only spans starting at or after this time: RFC 3339 (UTC when no offset is given) or a
    /// duration before now (30s, 10m, 2h, 1d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only spans starting before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only spans from these services (`service.name`), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub service: Vec<String>,
}

/// How result tables are cut, ordered and printed.
#[derive(Debug, Args)]
pub struct TableArgs {
    /// Show only the first N groups (by the sort order).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Order by this output column: figures largest first, text columns A to Z. By default the
    /// most frequent first.
    #[arg(long, value_name = "COLUMN")]
    pub sort: Option<String>,
    /// Output format. Tables fit the terminal's width; colours only on a terminal, never when
    /// NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `otelgrep urls`.
#[derive(Debug, Args)]
pub struct UrlsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Group by URL template: the route where the span has one, else the path with identifiers
    /// (integers, UUIDs, long hex) collapsed: `/delete/3` becomes `/delete/{id}`.
    #[arg(long)]
    pub template: bool,
    /// Which spans count as requests.
    #[arg(long, value_enum, default_value_t = KindFilter::Entry)]
    pub kind: KindFilter,
    /// Print the SQL that computes this table on an engine, over the export folder given as
    /// input (`otelgrep export --to parquet`), instead of computing it.
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub sql: Option<SqlEngine>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub table: TableArgs,
}

/// `--kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindFilter {
    /// SERVER spans, and root spans whose kind is not given.
    Entry,
    Server,
    Client,
    Internal,
    Producer,
    Consumer,
    /// Every span.
    All,
}

/// How tables of results print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table for the terminal.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Markdown table.
    Markdown,
}

/// Inputs, as every command takes them.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Captures to read (or folders of them); `-` is standard input; gzip and zstd files are
    /// decompressed; UTF-16 is decoded; Docker, Kubernetes, CRI and journald line prefixes,
    /// Docker's json-file log lines and colour codes are taken off. Files are memory-mapped; standard input, pipes and compressed
    /// files are read as streams, in pieces of 32 MB, wrapped lines unwrapped as they come (`trace`,
    /// UTF-16 and binary OTLP streams are read whole first).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Treat any record that cannot be read as an error (exit 2, nothing printed).
    #[arg(long)]
    pub strict: bool,
    /// Read only this format; lines of any other are foreign. By default every format is
    /// recognised record by record, so one file may mix them.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    #[command(flatten)]
    pub follow: FollowArgs,
}

/// `--follow`: the answer while the app runs.
#[derive(Debug, Clone, Args)]
pub struct FollowArgs {
    /// Keep reading as the inputs grow, as `tail -F` does (a file that does not exist yet is
    /// waited for, a truncated one read again, a rotated one read to its end and the new one
    /// followed; standard input until it closes), and print the answer again every --refresh:
    /// redrawn in place on a terminal, one block per refresh into a pipe (new rows only for
    /// `spans` and `logs`). Ctrl+C, or the end of every input, prints the final answer.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// How often a followed answer is printed again, when something new was read (1s, 500ms).
    #[arg(long, value_name = "INTERVAL", default_value = "1s")]
    pub refresh: String,
    /// With --follow into a pipe, `latency --every W` prints each bucket's rows once, when it is
    /// closed: when records this much later than its end have arrived (the exporters' batch delay
    /// by default).
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub grace: String,
}

impl FollowArgs {
    /// `--refresh` read.
    pub fn refresh(&self) -> anyhow::Result<std::time::Duration> {
        let ns = crate::filter::parse_duration(&self.refresh)
            .ok_or_else(|| anyhow::anyhow!("--refresh {}: give an interval like 1s or 500ms", self.refresh))?;
        Ok(std::time::Duration::from_nanos(ns as u64))
    }

    /// `--grace` read, in nanoseconds.
    pub fn grace_ns(&self) -> anyhow::Result<i64> {
        crate::filter::parse_duration(&self.grace)
            .ok_or_else(|| anyhow::anyhow!("--grace {}: give a duration like 5s or 500ms", self.grace))
    }
}

/// `--input-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Recognise every format, record by record.
    Auto,
    /// Python console exporters (pretty-printed JSON objects).
    PythonJson,
    /// Rust `opentelemetry-stdout` text.
    RustText,
    /// OTLP JSON: export requests one a line, pretty-printed, or in a JSON array.
    OtlpJson,
    /// Binary OTLP: the Collector `file` exporter's `format: proto` (length-prefixed), or one bare export request.
    OtlpProto,
    /// Node.js console exporters.
    NodeConsole,
    /// The Collector's `debug` exporter, detailed verbosity.
    CollectorDebug,
    /// Go's `stdouttrace`, `stdoutmetric` and `stdoutlog` exporters.
    GoJson,
}

/// `otelgrep summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,
}

/// How `summary` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// A table for the terminal.
    Table,
    /// One JSON object.
    Json,
}
