//! Console exporters that write one whole batch under the stdout lock, and survive a closed stdout.
//!
//! `opentelemetry-stdout` prints every line with its own `println!`, and the three signals export
//! from three threads, so left alone their blocks interleave line by line (see
//! `shared/samples/rust-stdout/rust-stdout-interleaved.log`). [`Locked`] holds `stdout().lock()`
//! (re-entrant, so the exporter's own `println!` calls pass) for the whole export; its futures are
//! ready at once, so polling them to completion under the lock never waits on anything else.
//!
//! Several processes may share one stdout (workers behind one pipe, `a & b | tee`): the lock above
//! is per process, so each export also holds a POSIX record lock on the stdout file itself
//! ([`ProcessLock`]). Record locks belong to the process, not to the open file, so processes that
//! inherited one pipe still exclude each other, and their blocks never interleave.
//!
//! opentelemetry-stdout prints the resource in an exporter's first Spans and Logs blocks only; with
//! several processes in one capture a later block could then be anyone's. [`Fresh`] gives every
//! export a new exporter, so every block names its resource, as every Metrics block already does.
//!
//! When stdout is closed (the `tee` behind a pipe was killed), `println!` panics. The panic is
//! caught here, its message is kept out of the terminal by [`install_panic_hook`], the user gets
//! one line on stderr, and [`stdout_closed`] wakes the server so it shuts down cleanly.

use std::fmt;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tokio::sync::Notify;

static CLOSED: AtomicBool = AtomicBool::new(false);
static CLOSED_NOTIFY: LazyLock<Notify> = LazyLock::new(Notify::new);

/// The text of std's panic when `println!` fails; the only panic this module hides.
const PRINT_PANIC: &str = "failed printing to stdout";

/// An exporter whose every export holds the stdout lock from the first line to the last.
pub struct Locked<E>(pub E);

impl<E> fmt::Debug for Locked<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Locked")
    }
}

/// Runs one export under the stdout lock; a panic from a closed stdout becomes an error.
fn locked<F: Future<Output = OTelSdkResult>>(export: impl FnOnce() -> F) -> OTelSdkResult {
    if CLOSED.load(Ordering::SeqCst) {
        return Err(OTelSdkError::InternalFailure("stdout is closed".into()));
    }
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    let _others = ProcessLock::take();
    let result = panic::catch_unwind(AssertUnwindSafe(|| futures_executor::block_on(export())));
    match result {
        Ok(r) => {
            // Push the batch out before the next signal takes the lock; an error here is a closed
            // stdout as well.
            if lock.flush().is_err() {
                drop(lock);
                mark_closed();
                return Err(OTelSdkError::InternalFailure("stdout is closed".into()));
            }
            r
        }
        Err(_) => {
            drop(lock);
            mark_closed();
            Err(OTelSdkError::InternalFailure("stdout is closed".into()))
        }
    }
}

/// A POSIX record lock (`fcntl(F_SETLKW)`) on the whole of stdout, held until dropped. Best
/// effort: where stdout cannot be locked (a terminal on some systems), exports go out unlocked, as
/// they would without it.
struct ProcessLock(bool);

impl ProcessLock {
    fn take() -> ProcessLock {
        ProcessLock(set_lock(libc::F_WRLCK as libc::c_short))
    }
}

impl Drop for ProcessLock {
    fn drop(&mut self) {
        if self.0 {
            set_lock(libc::F_UNLCK as libc::c_short);
        }
    }
}

/// Sets (waiting for it) or clears the record lock on all of stdout; whether it worked.
fn set_lock(kind: libc::c_short) -> bool {
    // SAFETY: `flock` is a plain C struct that zeroes validly, and fcntl only reads it; fd 1 is
    // stdout, which std keeps open for the life of the process.
    unsafe {
        let mut l: libc::flock = std::mem::zeroed();
        l.l_type = kind;
        l.l_whence = libc::SEEK_SET as libc::c_short;
        // l_start 0 and l_len 0: from the start to any end, so every writer asks for the same lock.
        libc::fcntl(libc::STDOUT_FILENO, libc::F_SETLKW, &l) == 0
    }
}

fn mark_closed() {
    if !CLOSED.swap(true, Ordering::SeqCst) {
        // One line, once, whichever exporter noticed first.
        let _ = writeln!(
            io::stderr(),
            "todo: stdout was closed (did the `tee` end?); stopping telemetry output and shutting down"
        );
        CLOSED_NOTIFY.notify_one();
    }
}

/// Completes when an exporter found stdout closed.
pub async fn stdout_closed() {
    CLOSED_NOTIFY.notified().await
}

/// Keeps the "failed printing to stdout" panic message (and its backtrace hint) off the terminal;
/// every other panic is reported as usual.
pub fn install_panic_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !message.starts_with(PRINT_PANIC) {
            default(info);
        }
    }));
}

/// A new `E` (given the resource) for every export: every block prints the resource.
pub struct Fresh<E> {
    resource: Option<Resource>,
    exporter: std::marker::PhantomData<fn() -> E>,
}

impl<E> Default for Fresh<E> {
    fn default() -> Self {
        Fresh { resource: None, exporter: std::marker::PhantomData }
    }
}

impl<E> fmt::Debug for Fresh<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fresh")
    }
}

impl<E> Fresh<E> {
    fn exporter(&self, set: impl FnOnce(&mut E, &Resource)) -> E
    where
        E: Default,
    {
        let mut e = E::default();
        if let Some(r) = &self.resource {
            set(&mut e, r);
        }
        e
    }
}

impl<E: SpanExporter + Default + Send> SpanExporter for Fresh<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let e = self.exporter(|e, r| e.set_resource(r));
        async move { e.export(batch).await }
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.resource = Some(resource.clone());
    }
}

impl<E: LogExporter + Default + Send + Sync> LogExporter for Fresh<E> {
    fn export(&self, batch: LogBatch<'_>) -> impl Future<Output = OTelSdkResult> + Send {
        let e = self.exporter(|e, r| e.set_resource(r));
        async move { e.export(batch).await }
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.resource = Some(resource.clone());
    }
}

impl<E: SpanExporter> SpanExporter for Locked<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        std::future::ready(locked(|| self.0.export(batch)))
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn set_resource(&mut self, resource: &Resource) {
        // Without this the Resource lines show the SDK's default resource.
        self.0.set_resource(resource)
    }
}

impl<E: LogExporter> LogExporter for Locked<E> {
    fn export(&self, batch: LogBatch<'_>) -> impl Future<Output = OTelSdkResult> + Send {
        std::future::ready(locked(|| self.0.export(batch)))
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource)
    }
}

impl<E: PushMetricExporter> PushMetricExporter for Locked<E> {
    fn export(&self, metrics: &ResourceMetrics) -> impl Future<Output = OTelSdkResult> + Send {
        std::future::ready(locked(|| self.0.export(metrics)))
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self) -> Temporality {
        // Forwarded, or a configured Delta temporality is silently lost.
        self.0.temporality()
    }
}
