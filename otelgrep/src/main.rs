//! The `otelgrep` binary: parse arguments, run, map the result to an exit code.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

/// See Cargo.toml: many small cross-thread allocations per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = otelgrep::run(otelgrep::cli::Cli::parse(), &mut out, &mut io::stderr()).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        // A closed pipe (`otelgrep ... | head`) is not an error.
        Err(e)
            if e.chain()
                .filter_map(|c| c.downcast_ref::<io::Error>())
                .any(|io| io.kind() == io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("otelgrep: {e:#}");
            ExitCode::from(2)
        }
    }
}
