//! `otelgrep man`: manual pages in roff, generated from the clap definition (so they say what
//! `--help` says, examples included): otelgrep(1) and one page per subcommand
//! (otelgrep-latency(1)), on standard output or all into a folder.

use std::io::Write;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};

pub fn run(args: &ManArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut command = Cli::command().disable_help_subcommand(true);
    // Built, subcommands carry their full names (`otelgrep-latency`, `otelgrep latency`).
    command.build();
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {dir}"))?;
        let pages = std::iter::once(command.clone()).chain(command.get_subcommands().cloned());
        for page in pages {
            let name = page.get_display_name().unwrap_or(page.get_name()).to_string();
            let path = std::path::Path::new(dir).join(format!("{name}.1"));
            std::fs::write(&path, render(page)?).with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(());
    }
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
    out.write_all(render(page)?.as_bytes())?;
    Ok(())
}

fn render(page: clap::Command) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(page).render(&mut buf)?;
    Ok(headed(&String::from_utf8(buf)?))
}

/// clap_mangen puts what follows the options (the help's closing text) under one EXTRA heading:
/// its parts get the headings man pages use: EXAMPLES, NOTES, EXIT STATUS.
fn headed(roff: &str) -> String {
    const EXTRA: &str = ".SH EXTRA\n";
    let Some(start) = roff.find(EXTRA) else { return roff.to_string() };
    let body = start + EXTRA.len();
    let end = roff[body..].find("\n.SH ").map_or(roff.len(), |i| body + i + 1);
    let mut out = roff[..start].to_string();
    let mut notes = false;
    for part in roff[body..end].split("\n\n").map(|p| p.trim_matches('\n')).filter(|p| !p.is_empty()) {
        if let Some(examples) = part.strip_prefix("Examples:\n") {
            out.push_str(".SH EXAMPLES\n.nf\n");
            out.push_str(examples);
            out.push_str("\n.fi\n");
        } else if let Some(codes) = part.strip_prefix("Exit codes: ") {
            out.push_str(".SH \"EXIT STATUS\"\n");
            out.push_str(codes);
            out.push('\n');
        } else {
            out.push_str(if notes { ".PP\n" } else { ".SH NOTES\n" });
            notes = true;
            out.push_str(part);
            out.push('\n');
        }
    }
    out.push_str(&roff[end..]);
    out
}
