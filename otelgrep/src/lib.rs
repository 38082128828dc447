//! `otelgrep`: reads what OpenTelemetry console exporters printed (Python, Rust, Node, OTLP JSON,
//! mixed with the app's own lines) and answers the questions people grep for.
//!
//! This is the crate's skeleton: the ingest model and the commands are built in their own issues
//! (summary first, then urls/latency, then spans/trace/logs/metrics). Until then the binary only
//! says so, and exits with the documented usage-error code.

use std::io::Write;
use std::process::ExitCode;

/// What the user typed.
#[derive(Debug, clap::Parser)]
#[command(name = "otelgrep", version, about = "Query OpenTelemetry console-exporter captures")]
pub struct Cli {}

/// Runs the command line; the exit code is chosen here, errors are printed by `main`.
pub fn run(_cli: Cli, err: &mut dyn Write) -> anyhow::Result<ExitCode> {
    writeln!(err, "otelgrep: no commands yet; see README.md")?;
    Ok(ExitCode::from(2))
}
