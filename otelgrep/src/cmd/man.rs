//! `otelgrep man`: manual pages in roff, generated from the clap definition (so they say what
//! `--help` says, examples included): otelgrep(1) and one page per subcommand
//! (otelgrep-latency(1)), on standard output or all into a folder.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};

pub fn run(args: &ManArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
        return clap_mangen::generate_to(Cli::command(), dir).with_context(|| format!("writing pages into {dir}"));
    }
    let mut command = Cli::command().disable_help_subcommand(true);
    // Built, subcommands carry their full names (`otelgrep-latency`, `otelgrep latency`).
    command.build();
    let page = match &args.subcommand {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
                anyhow::bail!("no subcommand {name}: there are {}", names.join(", "))
            }
        },
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(page).render(&mut buf)?;
    out.write_all(&buf)?;
    Ok(())
}
