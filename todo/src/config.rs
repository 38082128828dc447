//! Command-line flags and `OTEL_*` variables, read and validated once at startup.
//!
//! Everything the rest of the app needs to know about its configuration is in [`Config`]; nothing
//! else reads the environment. An unknown exporter name or a malformed interval is a startup error
//! with the variable's name in it, never a silent fallback to a default.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::guard::HostPattern;
use crate::semconv::Semconv;
use crate::traffic::TrafficArgs;

/// A To-Do List web app instrumented with OpenTelemetry traces, metrics and logs.
///
/// Telemetry goes to stdout through the console exporters unless OTEL_TRACES_EXPORTER,
/// OTEL_METRICS_EXPORTER or OTEL_LOGS_EXPORTER say otherwise (console, otlp, none; comma
/// lists allowed). The app's own human-readable log goes to stderr, so
/// `todo | tee output.log` captures telemetry only.
#[derive(Debug, Parser)]
#[command(name = "todo", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Flags of the web server (the default command).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one; the address is logged on stderr).
    #[arg(short = 'p', long, default_value_t = 5000)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// SQLite database file; created if missing.
    #[arg(long, default_value = "tasks.db")]
    pub db: PathBuf,
    /// Another name to answer to, NAME (any port) or NAME:PORT; repeatable, or a comma list in
    /// TODO_ALLOWED_HOSTS. Only the listening address is answered otherwise (with localhost,
    /// 127.0.0.1 and [::1] when it is a loopback or 0.0.0.0), so behind a reverse proxy give the
    /// name it forwards. Any other Host gets 421, which keeps DNS-rebinding pages out. Empty
    /// items are skipped, so an empty TODO_ALLOWED_HOSTS is the same as none.
    #[arg(
        long = "allowed-host",
        env = "TODO_ALLOWED_HOSTS",
        value_delimiter = ',',
        value_name = "NAME[:PORT]",
        value_parser = allowed_host
    )]
    pub allowed_hosts: Vec<Option<HostPattern>>,
    /// Seconds a client has to send a request's line and headers, counted from when the
    /// connection opens or its previous response went out; so it is also how long an idle
    /// keep-alive connection stays open. A slower client is disconnected. A response that
    /// cannot be written for as long (the client stopped reading) also closes the connection.
    /// A request's body is not covered: a whole request may take 30 s before it gets 408.
    #[arg(long, default_value = "10", value_parser = seconds, value_name = "SECONDS")]
    pub header_timeout: Duration,
    /// Connections served at once. Past it, new connections wait in the kernel's accept queue
    /// until one closes. Each may buffer a 64 KiB request head.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

/// A host pattern, or `None` for an empty item (`TODO_ALLOWED_HOSTS=""`, a trailing comma).
fn allowed_host(s: &str) -> Result<Option<HostPattern>, String> {
    if s.trim().is_empty() { Ok(None) } else { s.parse().map(Some) }
}

/// A positive number of seconds, fractions allowed (`0.5`).
fn seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{s:?}: expected a number of seconds above 0 (at most 86400)"))
}

/// Subcommands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Drive a running app with a realistic mixed workload and record every request sent.
    Traffic(TrafficArgs),
}

/// Where one signal goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exporter {
    /// `opentelemetry-stdout`, one block per export, written under the stdout lock.
    Console,
    /// OTLP to a Collector or Jaeger.
    Otlp(Protocol),
}

/// OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// gRPC, port 4317 by default.
    Grpc,
    /// HTTP with protobuf bodies, port 4318 by default (the specification's default).
    HttpProtobuf,
}

/// The three signals, for naming their variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    fn upper(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
            Signal::Logs => "LOGS",
        }
    }
}

/// Telemetry configuration, from the same variables `opentelemetry-instrument` reads.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// `service.name`: OTEL_SERVICE_NAME, else `service.name` in OTEL_RESOURCE_ATTRIBUTES, else `todo`.
    /// `None` means the environment already names it and the SDK's detectors will pick it up.
    pub default_service_name: Option<&'static str>,
    pub traces: Vec<Exporter>,
    pub metrics: Vec<Exporter>,
    pub logs: Vec<Exporter>,
    /// OTEL_METRIC_EXPORT_INTERVAL (ms); the SDK default is 60 s.
    pub metric_interval: Option<Duration>,
    /// OTEL_BSP_SCHEDULE_DELAY (ms); the SDK default is 5 s.
    pub span_delay: Option<Duration>,
    /// OTEL_SEMCONV_STABILITY_OPT_IN, as the Python instrumentations read it.
    pub semconv: Semconv,
    /// Things worth telling the user that are not errors (a misspelt variable).
    pub warnings: Vec<String>,
}

impl TelemetryConfig {
    /// Reads the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads variables through `var`, so tests need not touch the process environment.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut warnings = Vec::new();
        // Tutorials carry this misspelling; the SDKs ignore it silently, which is worse than a warning.
        if let Some(v) = var("OTEL_LOG_EXPORTER") {
            warnings
                .push(format!("OTEL_LOG_EXPORTER={v:?} is ignored: the variable is OTEL_LOGS_EXPORTER (with an S)"));
        }
        let names_service = var("OTEL_SERVICE_NAME").is_some_and(|v| !v.trim().is_empty())
            || var("OTEL_RESOURCE_ATTRIBUTES")
                .is_some_and(|v| v.split(',').any(|kv| kv.split('=').next().map(str::trim) == Some("service.name")));
        Ok(TelemetryConfig {
            default_service_name: (!names_service).then_some("todo"),
            traces: exporters(&var, Signal::Traces)?,
            metrics: exporters(&var, Signal::Metrics)?,
            logs: exporters(&var, Signal::Logs)?,
            metric_interval: millis(&var, "OTEL_METRIC_EXPORT_INTERVAL")?,
            span_delay: millis(&var, "OTEL_BSP_SCHEDULE_DELAY")?,
            semconv: Semconv::from_opt_in(var("OTEL_SEMCONV_STABILITY_OPT_IN").as_deref()),
            warnings,
        })
    }
}

/// `OTEL_<SIGNAL>_EXPORTER`: a comma list of `console`, `otlp`, `none`; console when unset.
fn exporters(var: &impl Fn(&str) -> Option<String>, signal: Signal) -> anyhow::Result<Vec<Exporter>> {
    let name = format!("OTEL_{}_EXPORTER", signal.upper());
    let value = var(&name).unwrap_or_else(|| "console".into());
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let exporter = match item.to_ascii_lowercase().as_str() {
            "console" => Exporter::Console,
            "otlp" => Exporter::Otlp(protocol(var, signal)?),
            "none" => continue,
            other => bail!("{name}={value:?}: unknown exporter {other:?} (expected console, otlp or none)"),
        };
        if !out.contains(&exporter) {
            out.push(exporter);
        }
    }
    Ok(out)
}

/// The per-signal protocol variable, then the general one, then http/protobuf (the spec's default).
fn protocol(var: &impl Fn(&str) -> Option<String>, signal: Signal) -> anyhow::Result<Protocol> {
    let specific = format!("OTEL_EXPORTER_OTLP_{}_PROTOCOL", signal.upper());
    let (name, value) = match var(&specific) {
        Some(v) => (specific, v),
        None => match var("OTEL_EXPORTER_OTLP_PROTOCOL") {
            Some(v) => ("OTEL_EXPORTER_OTLP_PROTOCOL".to_string(), v),
            None => return Ok(Protocol::HttpProtobuf),
        },
    };
    match value.trim() {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        other => bail!("{name}={other:?}: unsupported OTLP protocol (expected grpc or http/protobuf)"),
    }
}

fn millis(var: &impl Fn(&str) -> Option<String>, name: &str) -> anyhow::Result<Option<Duration>> {
    let Some(v) = var(name) else { return Ok(None) };
    let ms: u64 = v
        .trim()
        .parse()
        .ok()
        .filter(|&ms| ms > 0)
        .with_context(|| format!("{name}={v:?}: expected a positive number of milliseconds"))?;
    Ok(Some(Duration::from_millis(ms)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<TelemetryConfig> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TelemetryConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_console_for_all_three_and_old_semconv() {
        let c = config(&[]).unwrap();
        assert_eq!(c.traces, vec![Exporter::Console]);
        assert_eq!(c.metrics, vec![Exporter::Console]);
        assert_eq!(c.logs, vec![Exporter::Console]);
        assert_eq!(c.semconv, Semconv::Old);
        assert_eq!(c.default_service_name, Some("todo"));
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn exporters_per_signal_with_protocols() {
        let c = config(&[
            ("OTEL_TRACES_EXPORTER", "otlp,console"),
            ("OTEL_METRICS_EXPORTER", "none"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"),
        ])
        .unwrap();
        assert_eq!(c.traces, vec![Exporter::Otlp(Protocol::Grpc), Exporter::Console]);
        assert!(c.metrics.is_empty());
        assert_eq!(c.logs, vec![Exporter::Otlp(Protocol::HttpProtobuf)]);
    }

    #[test]
    fn unknown_exporter_is_an_error_naming_the_variable() {
        let err = config(&[("OTEL_TRACES_EXPORTER", "jaeger")]).unwrap_err().to_string();
        assert_eq!(
            err,
            "OTEL_TRACES_EXPORTER=\"jaeger\": unknown exporter \"jaeger\" (expected console, otlp or none)"
        );
        let err = config(&[("OTEL_METRICS_EXPORTER", "otlp"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("OTEL_EXPORTER_OTLP_PROTOCOL=\"http/json\""), "{err}");
    }

    #[test]
    fn misspelt_log_exporter_warns() {
        let c = config(&[("OTEL_LOG_EXPORTER", "console")]).unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].contains("OTEL_LOGS_EXPORTER"), "{:?}", c.warnings);
    }

    #[test]
    fn intervals_are_validated() {
        let c = config(&[("OTEL_METRIC_EXPORT_INTERVAL", "2000"), ("OTEL_BSP_SCHEDULE_DELAY", "500")]).unwrap();
        assert_eq!(c.metric_interval, Some(Duration::from_secs(2)));
        assert_eq!(c.span_delay, Some(Duration::from_millis(500)));
        assert!(config(&[("OTEL_METRIC_EXPORT_INTERVAL", "10s")]).is_err());
        assert!(config(&[("OTEL_BSP_SCHEDULE_DELAY", "0")]).is_err());
    }

    #[test]
    fn service_name_from_environment_wins_over_default() {
        assert_eq!(config(&[("OTEL_SERVICE_NAME", "shop")]).unwrap().default_service_name, None);
        let c = config(&[("OTEL_RESOURCE_ATTRIBUTES", "env=dev, service.name=shop")]).unwrap();
        assert_eq!(c.default_service_name, None);
        let c = config(&[("OTEL_RESOURCE_ATTRIBUTES", "env=dev")]).unwrap();
        assert_eq!(c.default_service_name, Some("todo"));
    }
}
