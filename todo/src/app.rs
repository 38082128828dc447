//! The router, its limits, and the telemetry middleware that opens one SERVER span per request.
//! Inside it, the guard (`guard.rs`) refuses misdirected and cross-site requests and adds the
//! security headers, so both refusals are SERVER spans with their status.
//!
//! The middleware names the span `METHOD route` (the method alone when no route matched, or
//! when the route exists but not for this method), joins an incoming `traceparent`, records the
//! HTTP attributes of the chosen semantic conventions, the request-duration histogram and
//! `http.server.active_requests`, and turns a 5xx's [`ServerError`] into span status Error, an
//! `exception` event and an ERROR log record, all inside the request's span.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, Version, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use opentelemetry::metrics::{Counter, Histogram, UpDownCounter};
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{Status, TraceContextExt};
use opentelemetry::{KeyValue, global};
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::db::Db;
use crate::error::{ServerError, Unrouted};
use crate::guard::{self, AllowedHosts};
use crate::routes;
use crate::semconv::{RequestInfo, Semconv};
use crate::telemetry::SCOPE;

/// Largest request body accepted; larger ones get 413. A task is at most 256 characters.
pub const BODY_LIMIT: usize = 16 * 1024;
/// Requests taking longer than this get 408. It is the only bound on a slowly sent body:
/// `--header-timeout` (`server.rs`) covers the head and stalled writes, not the body.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub metrics: AppMetrics,
    pub semconv: Semconv,
    /// The configured listening host, for `http.server_name`.
    pub server_name: String,
    pub server_port: u16,
    /// The `Host` values answered; others get 421.
    pub hosts: Arc<AllowedHosts>,
}

impl AppState {
    /// State over `db`, with instruments from the global meter provider (a no-op until
    /// `telemetry::init` installs one, which is what the handler tests want). It answers to
    /// `server_name` at `server_port` (and the loopback names, if that is a loopback address).
    pub fn new(db: Db, semconv: Semconv, server_name: impl Into<String>, server_port: u16) -> Self {
        let server_name = server_name.into();
        let hosts = Arc::new(AllowedHosts::new([server_name.as_str()], server_port, &[]));
        AppState { db, metrics: AppMetrics::new(semconv), semconv, server_name, server_port, hosts }
    }

    /// The same state answering to `hosts` instead.
    pub fn with_hosts(self, hosts: AllowedHosts) -> Self {
        AppState { hosts: Arc::new(hosts), ..self }
    }
}

/// The app's instruments: the HTTP server metrics and its own two counters.
#[derive(Clone)]
pub struct AppMetrics {
    /// `http.server.duration`, ms (old semconv).
    duration_ms: Histogram<f64>,
    /// `http.server.request.duration`, s (stable semconv).
    duration_s: Histogram<f64>,
    /// `http.server.active_requests`.
    active: UpDownCounter<i64>,
    /// `todo_app_requests_total{endpoint}`: requests per handler, as the original's
    /// `flask_app_requests_total`.
    requests: Counter<u64>,
    /// `todo_app_tasks_total`: tasks created, as the original's `flask_app_tasks_total`.
    tasks: Counter<u64>,
}

impl AppMetrics {
    fn new(semconv: Semconv) -> Self {
        let meter = global::meter_with_scope(
            opentelemetry::InstrumentationScope::builder(SCOPE).with_version(env!("CARGO_PKG_VERSION")).build(),
        );
        AppMetrics {
            duration_ms: meter
                .f64_histogram("http.server.duration")
                .with_unit("ms")
                .with_description("Measures the duration of inbound HTTP requests.")
                .build(),
            duration_s: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests.")
                // The boundaries the stable HTTP conventions recommend.
                .with_boundaries(vec![0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0])
                .build(),
            active: meter
                .i64_up_down_counter("http.server.active_requests")
                .with_unit(if semconv == Semconv::Old { "requests" } else { "{request}" })
                .with_description("Number of active HTTP server requests.")
                .build(),
            requests: meter
                .u64_counter("todo_app_requests_total")
                .with_description("Total number of requests per endpoint")
                .build(),
            tasks: meter.u64_counter("todo_app_tasks_total").with_description("Total number of tasks created").build(),
        }
    }

    /// One request reached `endpoint` (a handler name).
    pub fn count_request(&self, endpoint: &'static str) {
        self.requests.add(1, &[KeyValue::new("endpoint", endpoint)]);
    }

    /// One task was stored.
    pub fn count_task_created(&self) {
        self.tasks.add(1, &[]);
    }
}

/// The whole app, ready to serve or to be called in tests with `oneshot`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(routes::tasks_index))
        .route("/add", post(routes::tasks_create))
        .route("/delete/{id}", post(routes::tasks_delete))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn_with_state(state.hosts.clone(), guard::guard))
        .layer(middleware::from_fn_with_state(state.clone(), telemetry))
        .with_state(state)
}

/// Reads W3C trace context from request headers.
struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

async fn telemetry(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let info = request_info(&state, &request);
    let route = request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string());

    let span = tracing::info_span!("request", otel.kind = "server");
    let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(request.headers())));
    // A malformed traceparent yields an empty context, and the span becomes a root, as it should.
    let _ = span.set_parent(parent);
    for kv in state.semconv.request_attributes(&info) {
        span.set_attribute(kv.key, kv.value);
    }
    let active_attrs = state.semconv.active_requests_attributes(&info);
    state.metrics.active.add(1, &active_attrs);

    let response = next.run(request).instrument(span.clone()).await;

    let status = response.status().as_u16();
    // A 405 means the path exists but not for this method, and a handler's 404 means the path
    // only looked like the route: like the Python instrumentation, treat both as unmatched, so
    // `http.route` only ever names a route that handled the request.
    let route = route.filter(|_| status != 405 && response.extensions().get::<Unrouted>().is_none());
    // The span started when the request entered it, so `otel.name` can no longer be recorded:
    // rename the OpenTelemetry span itself.
    span.context().span().update_name(match &route {
        Some(r) => format!("{} {r}", info.method),
        None => info.method.clone(),
    });
    for kv in state.semconv.response_attributes(route.as_deref(), status) {
        span.set_attribute(kv.key, kv.value);
    }
    if status >= 500 {
        let detail = response
            .extensions()
            .get::<ServerError>()
            .cloned()
            .unwrap_or(ServerError { kind: "HttpServerError", message: format!("status {status}") });
        span.set_status(Status::error(format!("{}: {}", detail.kind, detail.message)));
        span.add_event(
            "exception",
            vec![
                KeyValue::new("exception.type", detail.kind),
                KeyValue::new("exception.message", detail.message.clone()),
            ],
        );
        span.in_scope(|| {
            tracing::error!("Exception on {} [{}]: {}: {}", info.path, info.method, detail.kind, detail.message)
        });
    }

    let elapsed = started.elapsed();
    if state.semconv.records_old_duration() {
        let attrs = state.semconv.old_duration_attributes(&info, route.as_deref(), status);
        state.metrics.duration_ms.record(elapsed.as_secs_f64() * 1000.0, &attrs);
    }
    if state.semconv.records_stable_duration() {
        let attrs = state.semconv.stable_duration_attributes(&info, route.as_deref(), status);
        state.metrics.duration_s.record(elapsed.as_secs_f64(), &attrs);
    }
    state.metrics.active.add(-1, &active_attrs);
    response
}

fn request_info(state: &AppState, request: &Request) -> RequestInfo {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let uri = request.uri();
    RequestInfo {
        method: request.method().as_str().to_string(),
        scheme: "http",
        host: header(header::HOST).unwrap_or_else(|| format!("{}:{}", state.server_name, state.server_port)),
        server_name: state.server_name.clone(),
        server_port: state.server_port,
        path: uri.path().to_string(),
        target: uri.path_and_query().map_or_else(|| uri.path().to_string(), |pq| pq.as_str().to_string()),
        query: uri.query().filter(|q| !q.is_empty()).map(str::to_string),
        peer_ip: peer.map_or_else(|| "unknown".to_string(), |p| p.ip().to_string()),
        peer_port: peer.map_or(0, |p| p.port()),
        user_agent: header(header::USER_AGENT),
        protocol_version: match request.version() {
            Version::HTTP_09 => "0.9",
            Version::HTTP_10 => "1.0",
            Version::HTTP_2 => "2",
            Version::HTTP_3 => "3",
            _ => "1.1",
        },
    }
}
