//! `todo`: the Rust twin of the Flask OpenTelemetry tutorial's To-Do List app.
//!
//! `server` accepts connections (header timeout, connection cap, graceful drain). A request goes
//! through `app` (router, limits, the SERVER span and HTTP metrics), `guard` (Host and cross-site
//! refusals, security headers), then a handler in `routes` (its INTERNAL span and log lines),
//! then `db` (one CLIENT span per statement).
//! `telemetry` builds the providers from the validated `config`, `console` keeps the stdout
//! exporters' blocks whole, and `semconv` decides the attribute names. `traffic` is the load
//! driver that produces the ground truth for otelgrep's tests.

pub mod app;
pub mod config;
pub mod console;
pub mod db;
pub mod error;
pub mod guard;
pub mod page;
pub mod routes;
pub mod semconv;
pub mod server;
pub mod telemetry;
pub mod traffic;

use anyhow::Context;

use crate::app::{AppState, app};
use crate::config::{ServeArgs, TelemetryConfig};
use crate::db::Db;
use crate::guard::{AllowedHosts, HostPattern};
use crate::server::Limits;

/// Serves the app until SIGINT, SIGTERM or a closed stdout, then flushes all telemetry.
pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let cfg = TelemetryConfig::from_env()?;
    for warning in &cfg.warnings {
        eprintln!("todo: warning: {warning}");
    }
    console::install_panic_hook();
    let runtime = tokio::runtime::Runtime::new().context("starting the Tokio runtime")?;
    // The gRPC exporter spawns its connection onto the current runtime.
    let guard = {
        let _entered = runtime.enter();
        telemetry::init(&cfg)?
    };
    let result = runtime.block_on(run_server(args, cfg));
    // Flush while the runtime (and so the gRPC connection) is still alive.
    drop(guard);
    drop(runtime);
    result
}

async fn run_server(args: ServeArgs, cfg: TelemetryConfig) -> anyhow::Result<()> {
    let db = Db::open(&args.db).with_context(|| format!("opening database {}", args.db.display()))?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("listening on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr().context("reading the listening address")?;
    let bound = addr.ip().to_string();
    let extra: Vec<HostPattern> = args.allowed_hosts.iter().flatten().cloned().collect();
    let hosts = AllowedHosts::new([args.host.as_str(), bound.as_str()], addr.port(), &extra);
    let state = AppState::new(db, cfg.semconv, args.host.clone(), addr.port()).with_hosts(hosts);
    let limits = Limits { header_timeout: args.header_timeout, max_connections: args.max_connections };
    tracing::info!("todo listening on http://{addr} (database {})", args.db.display());
    server::serve(listener, app(state), limits, shutdown_signal()).await;
    tracing::info!("todo stopped; flushing telemetry");
    Ok(())
}

/// Completes on SIGINT, SIGTERM, or when stdout turns out to be closed.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate => {},
        _ = console::stdout_closed() => {},
    }
}
