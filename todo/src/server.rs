//! The accept loop: HTTP/1.1 connections served by hyper, with the limits `axum::serve` lacks,
//! and a graceful drain on shutdown.
//!
//! `axum::serve` sets no header read timeout (hyper's needs a timer, which it does not give) and
//! no cap on connections, so 200 clients sending a header byte every 5 s held 200 connections
//! open for as long as they liked. Here:
//! - a request's line and headers must arrive within [`Limits::header_timeout`] of the
//!   connection opening or of the previous response; hyper counts the idle time of a keep-alive
//!   connection against the same clock, so an idle connection closes after it too;
//! - a write to the socket that makes no progress for the same [`Limits::header_timeout`] closes
//!   the connection (`WriteTimeout`): a client that pipelines requests and never reads the
//!   answers fills the socket buffers, and hyper, waiting to write, reads no further heads, so
//!   the header timeout alone never fires (515 such sockets held every slot for as long as they
//!   liked). The clock restarts with every write that goes through, as nginx's `send_timeout`
//!   does, so a slow reader is not cut off, only one that stopped reading;
//! - a request body is bounded by the whole-request timeout (`app::REQUEST_TIMEOUT`, 408), not
//!   by the header timeout;
//! - a request head over [`MAX_HEAD_BYTES`] is answered 431 and the connection closed (by hyper,
//!   before the router: no span, no security headers; it checks between reads, so a head that
//!   arrives in one piece may run to about 112 KiB);
//! - at most [`Limits::max_connections`] connections are served at once; the next one is not
//!   accepted until one closes, and waits in the kernel's accept queue meanwhile;
//! - on shutdown the listener closes, idle connections close, requests in flight finish, and
//!   after [`DRAIN_LIMIT`] whatever is left is dropped, so telemetry is flushed in bounded time.
//!
//! HTTP/2 is not offered (`axum::serve` offered h2c with prior knowledge, which no browser uses).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// Largest request line plus headers read; a longer head gets 431. Browsers send a few KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// How long shutdown waits for open connections before dropping them.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// The connection limits, from `--header-timeout` and `--max-connections`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For a request head to arrive, and for a stalled write to make progress.
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
        let stream = WriteTimeout::new(stream, limits.header_timeout);
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

/// A stream whose writes fail with [`io::ErrorKind::TimedOut`] once one has waited `limit` with
/// nothing written: hyper then drops the connection, and its slot is free. Reads pass through.
///
/// The clock starts when a write first returns `Pending` and stops at the next write that goes
/// through, so it measures a stall, not a whole response. Flush and shutdown are not timed: a
/// `TcpStream`'s never wait.
struct WriteTimeout<S> {
    inner: S,
    limit: Duration,
    /// Made at the first stall (most connections never have one), then reset for each next one.
    stall: Option<Pin<Box<Sleep>>>,
    stalled: bool,
}

impl<S> WriteTimeout<S> {
    fn new(inner: S, limit: Duration) -> Self {
        WriteTimeout { inner, limit, stall: None, stalled: false }
    }

    /// Passes a finished write through; for a waiting one, starts the clock if it is not running
    /// and fails the write if it has run out. The task is woken when it does, so hyper tries again.
    fn watch(&mut self, cx: &mut Context<'_>, write: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if write.is_ready() {
            self.stalled = false;
            return write;
        }
        if !self.stalled {
            let deadline = Instant::now() + self.limit;
            match &mut self.stall {
                Some(stall) => stall.as_mut().reset(deadline),
                None => self.stall = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
            self.stalled = true;
        }
        let stall = self.stall.as_mut().expect("set when the stall began");
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => {
                let limit = self.limit;
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, format!("no write progress in {limit:?}"))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteTimeout<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let write = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, write)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let write = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, write)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
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
