//! The `todo` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

use todo::config::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Traffic(args)) => todo::traffic::run(args),
        None => todo::serve(cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todo: {e:#}");
            ExitCode::from(2)
        }
    }
}
