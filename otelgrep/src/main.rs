//! The `otelgrep` binary: parse arguments, run, map the result to an exit code.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

/// See Cargo.toml: many small cross-thread allocations per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Diagnostics that cannot be written (`2>/dev/full`, a closed stderr) are dropped: they must
/// never stop the answer, nor panic as `eprintln!` would.
struct Lenient<W>(W);

impl<W: Write> Write for Lenient<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = self.0.write_all(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

/// mimalloc's `mi_option_purge_delay` (the C header's enum; the Rust declarations leave it out).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // No transparent huge pages for this process. mimalloc advises them on its arenas, and where
    // the kernel grants advised ones (`defrag=madvise`, Debian's default) the first touch of each
    // 2 MiB is zeroed whole, and may wait for memory to be compacted first: on 1 GB of Python
    // capture that zeroing was 7% of `latency`'s samples, and one run in four took twice as
    // long. Off, the same commands are as fast or faster and steady, and `export` peaks 50 MB
    // lower (otelgrep/bench; README, Speed). A kernel without the call reads as before.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut err = Lenient(io::stderr());
    let cli = otelgrep::cli::Cli::parse();
    if matches!(cli.command, otelgrep::cli::Command::Export(_)) {
        // An export's row buffers grow to megabytes and are freed once written: kept by the
        // allocator for its default second, they are a third of the peak memory (about 70 MB
        // of 260 MB on 1 GB); given back after 100 ms, no slower (otelgrep/bench/export.sh).
        // SAFETY: sets one of the allocator's options, which it reads as it runs; any value is valid.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
    }
    let result = otelgrep::run(cli, &mut out, &mut err).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        // A closed pipe (`otelgrep ... | head`) is not an error, whichever writer met it.
        Err(e) if e.chain().any(broken_pipe) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "otelgrep: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let io = e.downcast_ref::<io::Error>().map(io::Error::kind);
    let json = e.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind);
    io.or(json) == Some(io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    /// `PURGE_DELAY` is mimalloc's purge delay: the option whose default is 1000 (ms) in the
    /// mimalloc built here; its neighbours' defaults differ.
    #[test]
    fn purge_delay_is_the_option_set() {
        // SAFETY: reads options.
        let get = |o| unsafe { libmimalloc_sys::mi_option_get(o) };
        assert_eq!((get(super::PURGE_DELAY - 1), get(super::PURGE_DELAY), get(super::PURGE_DELAY + 1)), (1, 1000, 0));
    }
}
