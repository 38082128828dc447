//! The resource, the three providers with their per-signal exporters, the `tracing` subscriber,
//! and [`OtelGuard`], whose drop flushes all three.
//!
//! `tracing` spans from this crate become OpenTelemetry spans (tracing-opentelemetry), `tracing`
//! events from this crate become OpenTelemetry log records carrying the active span's ids
//! (opentelemetry-appender-tracing), and a human-readable copy of the events goes to stderr.
//! Events are deliberately *not* copied onto spans as span events: the log records already carry
//! them, and the span events are kept for exceptions, as in the Python instrumentation.

use std::io::{self, IsTerminal};
use std::time::Duration;

use anyhow::Context;
use opentelemetry::trace::TracerProvider;
use opentelemetry::{InstrumentationScope, KeyValue, global};
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_otlp::{Protocol as OtlpProtocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, Targets, filter_fn};
use tracing_subscriber::prelude::*;

use crate::config::{Exporter, Protocol, TelemetryConfig};
use crate::console::{Fresh, Locked};

/// Instrumentation scope name of everything the app emits.
pub const SCOPE: &str = "todo";

/// Owns the providers; dropping it shuts them down, which exports the last batch of each.
pub struct OtelGuard {
    tracer: SdkTracerProvider,
    logger: SdkLoggerProvider,
    meter: SdkMeterProvider,
}

impl Drop for OtelGuard {
    fn drop(&mut self) {
        // The last batch is the one people look for after Ctrl+C. Metrics go last so that the
        // final export counts every request whose span was just flushed.
        if let Err(e) = self.tracer.shutdown() {
            eprintln!("todo: flushing spans: {e}");
        }
        if let Err(e) = self.logger.shutdown() {
            eprintln!("todo: flushing logs: {e}");
        }
        if let Err(e) = self.meter.shutdown() {
            eprintln!("todo: flushing metrics: {e}");
        }
    }
}

/// Builds the providers and installs them and the `tracing` subscriber globally.
/// Call it inside a Tokio runtime context: the gRPC exporter needs one.
pub fn init(cfg: &TelemetryConfig) -> anyhow::Result<OtelGuard> {
    let resource = resource(cfg);

    let mut traces = SdkTracerProvider::builder().with_resource(resource.clone());
    for exporter in &cfg.traces {
        traces = match exporter {
            Exporter::Console => {
                traces.with_span_processor(batch(Locked(Fresh::<opentelemetry_stdout::SpanExporter>::default()), cfg))
            }
            Exporter::Otlp(p) => {
                let builder = opentelemetry_otlp::SpanExporter::builder();
                let exporter = match p {
                    Protocol::Grpc => builder.with_tonic().build(),
                    Protocol::HttpProtobuf => builder.with_http().with_protocol(OtlpProtocol::HttpBinary).build(),
                }
                .context("setting up the OTLP span exporter")?;
                traces.with_span_processor(batch(exporter, cfg))
            }
        };
    }
    let tracer = traces.build();

    let mut metrics = SdkMeterProvider::builder().with_resource(resource.clone());
    for exporter in &cfg.metrics {
        metrics = match exporter {
            Exporter::Console => {
                metrics.with_reader(reader(Locked(opentelemetry_stdout::MetricExporter::default()), cfg))
            }
            Exporter::Otlp(p) => {
                let builder = opentelemetry_otlp::MetricExporter::builder();
                let exporter = match p {
                    Protocol::Grpc => builder.with_tonic().build(),
                    Protocol::HttpProtobuf => builder.with_http().with_protocol(OtlpProtocol::HttpBinary).build(),
                }
                .context("setting up the OTLP metric exporter")?;
                metrics.with_reader(reader(exporter, cfg))
            }
        };
    }
    let meter = metrics.build();

    let mut logs = SdkLoggerProvider::builder().with_resource(resource);
    for exporter in &cfg.logs {
        logs = match exporter {
            Exporter::Console => {
                logs.with_batch_exporter(Locked(Fresh::<opentelemetry_stdout::LogExporter>::default()))
            }
            Exporter::Otlp(p) => {
                let builder = opentelemetry_otlp::LogExporter::builder();
                let exporter = match p {
                    Protocol::Grpc => builder.with_tonic().build(),
                    Protocol::HttpProtobuf => builder.with_http().with_protocol(OtlpProtocol::HttpBinary).build(),
                }
                .context("setting up the OTLP log exporter")?;
                logs.with_batch_exporter(exporter)
            }
        };
    }
    let logger = logs.build();

    global::set_text_map_propagator(TraceContextPropagator::new());
    global::set_tracer_provider(tracer.clone());
    global::set_meter_provider(meter.clone());

    let scope = InstrumentationScope::builder(SCOPE).with_version(env!("CARGO_PKG_VERSION")).build();
    // Only this crate's spans: tower, hyper and the exporters' own clients would otherwise add
    // their internals (and the OTLP client would trace its own exports).
    let span_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer.tracer_with_scope(scope))
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_filter(filter_fn(|meta| meta.is_span() && meta.target().starts_with(SCOPE)));
    let log_layer =
        OpenTelemetryTracingBridge::new(&logger).with_filter(Targets::new().with_target(SCOPE, Level::INFO));
    let stderr_filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("todo=info,warn"));
    let colour = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .with_filter(stderr_filter);
    tracing_subscriber::registry()
        .with(span_layer)
        .with(log_layer)
        .with(stderr_layer)
        .try_init()
        .context("installing the tracing subscriber")?;

    Ok(OtelGuard { tracer, logger, meter })
}

fn resource(cfg: &TelemetryConfig) -> Resource {
    // The builder's detectors read OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the default
    // name applies only when neither names the service.
    let mut builder = Resource::builder();
    if let Some(name) = cfg.default_service_name {
        builder = builder.with_service_name(name);
    }
    let detected = builder.build();
    let mut ours: Vec<KeyValue> = detected.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect();
    ours.push(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    // A new id per process start, as the Python SDK does: it separates runs appended to one
    // capture, and cumulative metrics restart with it. One given in OTEL_RESOURCE_ATTRIBUTES wins
    // (workers named by their supervisor, a restart that keeps its identity).
    if detected.get(&opentelemetry::Key::new("service.instance.id")).is_none() {
        ours.push(KeyValue::new("service.instance.id", instance_id()));
    }
    Resource::builder_empty().with_attributes(ours).build()
}

fn batch<E: opentelemetry_sdk::trace::SpanExporter + 'static>(
    exporter: E,
    cfg: &TelemetryConfig,
) -> BatchSpanProcessor {
    let mut config = BatchConfigBuilder::default();
    if let Some(delay) = cfg.span_delay {
        config = config.with_scheduled_delay(delay);
    }
    BatchSpanProcessor::builder(exporter).with_batch_config(config.build()).build()
}

fn reader<E: opentelemetry_sdk::metrics::exporter::PushMetricExporter>(
    exporter: E,
    cfg: &TelemetryConfig,
) -> PeriodicReader<E> {
    let mut builder = PeriodicReader::builder(exporter);
    if let Some(interval) = cfg.metric_interval {
        builder = builder.with_interval(interval);
    }
    builder.build()
}

/// A random (version 4) UUID.
fn instance_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// How long the server waits for in-flight requests after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
