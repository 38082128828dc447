//! OTLP: a loopback receiver started inside the test decodes the real protobuf messages the app
//! sends, over http/protobuf (4318-style paths) and over gRPC (4317-style service).

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;

use common::{App, TempDir, rows, traffic};

/// Everything the receiver got.
#[derive(Default)]
struct Received {
    traces: Vec<ExportTraceServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
    logs: Vec<ExportLogsServiceRequest>,
}

type Shared = Arc<Mutex<Received>>;

async fn http_traces(State(r): State<Shared>, body: Bytes) -> Vec<u8> {
    r.lock().unwrap().traces.push(ExportTraceServiceRequest::decode(body).expect("trace protobuf"));
    ExportTraceServiceResponse::default().encode_to_vec()
}
async fn http_metrics(State(r): State<Shared>, body: Bytes) -> Vec<u8> {
    r.lock().unwrap().metrics.push(ExportMetricsServiceRequest::decode(body).expect("metrics protobuf"));
    ExportMetricsServiceResponse::default().encode_to_vec()
}
async fn http_logs(State(r): State<Shared>, body: Bytes) -> Vec<u8> {
    r.lock().unwrap().logs.push(ExportLogsServiceRequest::decode(body).expect("logs protobuf"));
    ExportLogsServiceResponse::default().encode_to_vec()
}

#[derive(Clone)]
struct Grpc(Shared);

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().traces.push(req.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}
#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        req: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().metrics.push(req.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}
#[tonic::async_trait]
impl LogsService for Grpc {
    async fn export(
        &self,
        req: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().logs.push(req.into_inner());
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

/// Starts a receiver on a free loopback port in its own runtime thread.
fn receiver(grpc: bool) -> (SocketAddr, Shared) {
    let shared = Shared::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let state = shared.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            if grpc {
                let g = Grpc(state);
                tonic::transport::Server::builder()
                    .add_service(TraceServiceServer::new(g.clone()))
                    .add_service(MetricsServiceServer::new(g.clone()))
                    .add_service(LogsServiceServer::new(g))
                    .serve_with_incoming(tokio_stream(listener))
                    .await
                    .unwrap();
            } else {
                let app = axum::Router::new()
                    .route("/v1/traces", post(http_traces))
                    .route("/v1/metrics", post(http_metrics))
                    .route("/v1/logs", post(http_logs))
                    .with_state(state);
                axum::serve(listener, app).await.unwrap();
            }
        });
    });
    (rx.recv().unwrap(), shared)
}

/// tonic wants a stream of connections; a TcpListener is one once wrapped.
fn tokio_stream(
    listener: tokio::net::TcpListener,
) -> impl tokio_stream_shim::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    tokio_stream_shim::Incoming(listener)
}

mod tokio_stream_shim {
    pub use futures_core::Stream;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    pub struct Incoming(pub tokio::net::TcpListener);
    impl Stream for Incoming {
        type Item = std::io::Result<tokio::net::TcpStream>;
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.0.poll_accept(cx).map(|r| Some(r.map(|(s, _)| s)))
        }
    }
}

fn string_attr<'a>(attrs: &'a [opentelemetry_proto::tonic::common::v1::KeyValue], key: &str) -> Option<&'a str> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        Value::StringValue(s) => Some(s.as_str()),
        _ => None,
    })
}

fn run(protocol: &str, grpc: bool) {
    let (addr, received) = receiver(grpc);
    let dir = TempDir::new("otlp");
    let endpoint = format!("http://{addr}");
    let app = App::start(
        &dir.path("tasks.db"),
        &[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_METRICS_EXPORTER", "otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
            ("OTEL_BSP_SCHEDULE_DELAY", "200"),
            ("OTEL_SERVICE_NAME", "todo-otlp-test"),
        ],
    );
    let sent = rows(&traffic(&app.url(), 40, 2, 5, &dir.path("requests.tsv")));
    let out = app.stop("INT");
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "", "no console exporter was configured");

    let r = received.lock().unwrap();
    let spans: Vec<_> = r
        .traces
        .iter()
        .flat_map(|t| &t.resource_spans)
        .inspect(|rs| {
            let res = rs.resource.as_ref().unwrap();
            assert_eq!(string_attr(&res.attributes, "service.name"), Some("todo-otlp-test"));
        })
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .collect();
    let server: Vec<_> = spans.iter().filter(|s| s.kind == SpanKind::Server as i32).collect();
    assert_eq!(server.len(), sent.len(), "one SERVER span per request");
    assert!(server.iter().all(|s| s.trace_id.len() == 16 && s.span_id.len() == 8));
    assert!(spans.iter().any(|s| s.name == "querying_tasks"));

    let last = r.metrics.last().expect("metrics arrived");
    let count: u64 = last
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .filter(|m| m.name == "http.server.duration")
        .filter_map(|m| match &m.data {
            Some(Data::Histogram(h)) => Some(h.data_points.iter().map(|p| p.count).sum::<u64>()),
            _ => None,
        })
        .sum();
    assert_eq!(count, sent.len() as u64, "the final export counts every request");

    let logs: Vec<_> = r
        .logs
        .iter()
        .flat_map(|l| &l.resource_logs)
        .flat_map(|rl| &rl.scope_logs)
        .flat_map(|sl| &sl.log_records)
        .collect();
    let fetched: Vec<_> = logs
        .iter()
        .filter(|l| matches!(l.body.as_ref().and_then(|b| b.value.as_ref()), Some(Value::StringValue(s)) if s.starts_with("Fetched ")))
        .collect();
    assert!(!fetched.is_empty());
    let traces: std::collections::HashSet<&[u8]> = server.iter().map(|s| s.trace_id.as_slice()).collect();
    assert!(
        fetched.iter().all(|l| traces.contains(l.trace_id.as_slice())),
        "log records carry their request's trace id"
    );
}

#[test]
fn otlp_http_protobuf_receives_spans_metrics_and_logs() {
    run("http/protobuf", false);
}

#[test]
fn otlp_grpc_receives_spans_metrics_and_logs() {
    run("grpc", true);
}
