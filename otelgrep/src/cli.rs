//! What the user typed: clap derive only. The `///` comments are the help text.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, stated once for --help and the README.
pub const EXIT_CODES: &str = "Exit codes: 0 when every record was read; 1 when some records could not be read \
(the result is still printed, and stderr names each bad record as FILE:LINE: reason); 2 on an error \
(a missing or unreadable file, bad arguments, or any bad record with --strict).";

/// Query OpenTelemetry console-exporter captures (`app | tee output.log`).
#[derive(Debug, Parser)]
#[command(name = "otelgrep", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// What a capture holds: spans by kind, log records by severity, metric points by name,
    /// services, the time range, foreign lines skipped, records that could not be read.
    #[command(after_help = EXIT_CODES)]
    Summary(SummaryArgs),
    /// Every URL requested, with its count, methods, response statuses, first and last seen;
    /// most requested first. Counts entry spans only (SERVER spans, or root spans whose kind is
    /// not given), so nested spans are not counted twice.
    #[command(after_help = EXIT_CODES)]
    Urls(UrlsArgs),
    /// Latency per group of requests: count, errors, requests per second, min, percentiles, max
    /// and a sparkline of the median over time; `--every` gives one row per time bucket.
    /// Percentiles are exact: linear interpolation between the closest ranks (numpy's default),
    /// over every duration (span end minus start) in the group.
    #[command(after_help = LATENCY_HELP)]
    Latency(LatencyArgs),
}

const LATENCY_HELP: &str = "Examples:
  otelgrep latency --by url output.log
  otelgrep latency --by route,status --every 1m --format csv output.log
  otelgrep latency --by method --where 'status>=500' --since 10m output.log

Errors are requests answered 5xx or whose span status is ERROR. Requests per second divide the
count by the time the filtered requests cover (first start to last end), or by the bucket width
with --every. The sparkline shows each group's median latency in 12 equal slices of that time,
scaled from zero to the group's highest slice.

Exit codes: 0 when every record was read; 1 when some records could not be read (the result is
still printed, and stderr names each bad record as FILE:LINE: reason); 2 on an error (a missing or
unreadable file, bad arguments, or any bad record with --strict).";

/// `otelgrep latency`.
#[derive(Debug, Args)]
pub struct LatencyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Group by these keys, comma-separated: the aliases url, route, target, method, status,
    /// service, name, kind (they resolve across semantic-convention renames), or any attribute
    /// name. `http.url` and `http.status_code` fall back to their renamed twins, and stderr says so.
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
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub table: TableArgs,
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
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Keep spans for which EXPR holds; repeat to require several. `KEY=VALUE`, `KEY!=VALUE`,
    /// `KEY>N`, `KEY>=N`, `KEY<N`, `KEY<=N` (numbers compare as numbers), `KEY~REGEX`,
    /// `KEY!~REGEX`, `KEY exists`, `KEY missing`; `status=5xx` matches a status class. KEY is an
    /// alias (url, route, target, method, status, service, name, kind) or an attribute name. A span
    /// without KEY only passes `missing`.
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
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Captures to read; `-` is standard input; gzip files are decompressed. Files are
    /// memory-mapped and memory stays flat; standard input and gzip files are read whole into
    /// memory first.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Treat any record that cannot be read as an error (exit 2, nothing printed).
    #[arg(long)]
    pub strict: bool,
    /// Read only this format; lines of any other are foreign. By default every format is
    /// recognised record by record, so one file may mix them.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
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
    /// OTLP JSON, one export request per line.
    OtlpJson,
    /// Node.js console exporters.
    NodeConsole,
    /// The Collector's `debug` exporter, detailed verbosity.
    CollectorDebug,
    /// Go's `stdouttrace` exporter (spans).
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
