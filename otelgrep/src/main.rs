//! The `otelgrep` binary: parse arguments, run, map the result to an exit code.

use std::io;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match otelgrep::run(otelgrep::Cli::parse(), &mut io::stderr()) {
        Ok(code) => code,
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
