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
    /// Show only the N most requested.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
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
