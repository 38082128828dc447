//! The accept loop: HTTP/1.1 connections served by hyper, with the limits `axum::serve` lacks,
//! and a graceful drain on shutdown.
//!
//! `axum::serve` sets no header read timeout (hyper's needs a timer, which it does not give) and
//! no cap on connections, so 200 clients sending a header byte every 5 s held 200 connections
//! open for as long as they liked. Here:
//! - a request's line and headers must arrive within [`Limits::header_timeout`] of the
//!   connection opening or of the previous response; hyper counts the idle time of a keep-alive
//!   connection against the same clock, so an idle connection closes after it too;
//! - a request head over [`MAX_HEAD_BYTES`] is answered 431 and the connection closed;
//! - at most [`Limits::max_connections`] connections are served at once; the next one is not
//!   accepted until one closes, and waits in the kernel's accept queue meanwhile;
//! - on shutdown the listener closes, idle connections close, requests in flight finish, and
//!   after [`DRAIN_LIMIT`] whatever is left is dropped, so telemetry is flushed in bounded time.
//!
//! HTTP/2 is not offered (`axum::serve` offered h2c with prior knowledge, which no browser uses).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// Largest request line plus headers read; a longer head gets 431. Browsers send a few KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long shutdown waits for open connections before dropping them.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// The connection limits, from `--header-timeout` and `--max-connections`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: u32,
}

/// Serves `router` on `listener` until `shutdown` completes, then drains the open connections.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (stop, stopped) = watch::channel(false);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(MAX_HEAD_BYTES);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = hyper::service::service_fn({
            let router = router.clone();
            move |request: hyper::Request<Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                router.clone().oneshot(request)
            }
        });
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut connection = pin!(connection);
            // A client that goes away, resets, or runs out of header time ends its connection
            // with an error; that is the client's business, and not worth a log line each.
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopped.wait_for(|&s| s) => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let all = limits.max_connections;
    if tokio::time::timeout(DRAIN_LIMIT, slots.acquire_many(all)).await.is_err() {
        let open = all as usize - slots.available_permits();
        tracing::warn!("{open} connections still open {DRAIN_LIMIT:?} after shutdown began; dropping them");
    }
}

/// As hyper 0.14 and `axum::serve` do: a connection reset before accept is nothing; anything else
/// (out of file descriptors: EMFILE) is logged, then a pause lets connections close.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!("accepting a connection: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
