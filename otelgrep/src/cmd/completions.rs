//! `otelgrep completions SHELL`: the shell's completion script for every subcommand and option,
//! generated from the same clap definition that parses the command line.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, Shell};

pub fn run(shell: Shell, out: &mut dyn Write) -> anyhow::Result<()> {
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Powershell => Target::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "otelgrep", &mut buf);
    out.write_all(&buf)?;
    Ok(())
}
