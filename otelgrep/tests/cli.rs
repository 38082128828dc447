//! The conventions of a well-kept CLI: every example in `--help` is a command line that parses;
//! the completion script loads in bash and completes the subcommands; the man pages render with
//! `man -l`; the progress bar shows on a terminal's stderr for a big input, and never in a pipe or
//! with `--quiet`.

mod common;

use std::process::Command;

use clap::{CommandFactory, Parser};
use otelgrep::cli::Cli;

use common::{Scratch, otelgrep, sample};

/// `otelgrep latency --where 'status>=500' x.log` as arguments: words split at spaces, single
/// quotes kept together.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[test]
fn every_example_in_the_help_is_a_command_that_parses() {
    let mut cli = Cli::command();
    let mut checked = 0;
    for sub in cli.get_subcommands_mut() {
        let name = sub.get_name().to_string();
        let help = sub.render_long_help().to_string();
        let examples: Vec<&str> = help
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no Examples section"))
            .lines()
            .take_while(|l| l.starts_with("  "))
            .collect();
        assert!(examples.len() >= 2, "{name}: {examples:?}");
        // Commands that read their inputs to the end do not offer --follow.
        if ["report", "export"].contains(&name.as_str()) {
            assert!(!help.contains("--follow") && !help.contains("--refresh"), "{name} offers --follow");
        }
        for example in examples {
            // The otelgrep part of a pipeline, without its redirection.
            let command = example.split(" | ").find(|p| p.trim_start().starts_with("otelgrep")).unwrap();
            let command = command.split(" > ").next().unwrap().split(" >> ").next().unwrap();
            let args = words(command);
            assert_eq!(args[1], name, "{example}");
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!("{name}: `{example}` does not parse: {e}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} examples");
}

#[test]
fn bash_loads_the_completions_and_completes_subcommands_and_options() {
    let scratch = Scratch::new("completions");
    let (script, err, code) = otelgrep(&["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    let file = scratch.0.join("otelgrep.bash");
    std::fs::write(&file, &script).unwrap();
    // Sourced, it registers a function; called as bash calls it (command, word, word before) on
    // `otelgrep lat<TAB>` and on `otelgrep latency --ev<TAB>`, it offers the subcommand and the
    // option.
    let probe = format!(
        "source {}; complete -p otelgrep; \
         COMP_WORDS=(otelgrep lat); COMP_CWORD=1; _otelgrep otelgrep lat otelgrep; echo \"${{COMPREPLY[@]}}\"; \
         COMP_WORDS=(otelgrep latency --ev); COMP_CWORD=2; _otelgrep otelgrep --ev latency; echo \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = Command::new("bash").args(["--norc", "-c", &probe]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("complete ") && lines[0].ends_with(" otelgrep"), "{text}");
    assert_eq!(lines[1], "latency");
    assert_eq!(lines[2], "--every");
    for shell in ["zsh", "fish", "powershell"] {
        let (script, err, code) = otelgrep(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        for sub in ["summary", "latency", "report", "export"] {
            assert!(script.contains(sub), "{shell}: {sub}");
        }
    }
}

/// `man -l` renders a page: its text, and whatever groff warned about.
fn man(page: &std::path::Path) -> (String, String) {
    let out = Command::new("man")
        .arg("-l")
        .arg(page)
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "man -l {}", page.display());
    // Bold and underline come as overstrikes (`N\bN`): the text is what is left.
    let raw: Vec<char> = String::from_utf8_lossy(&out.stdout).chars().collect();
    let mut text = String::new();
    let mut i = 0;
    while i < raw.len() {
        if raw.get(i + 1) == Some(&'\u{8}') {
            i += 2;
        } else {
            text.push(raw[i]);
            i += 1;
        }
    }
    (text, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_man_pages_render() {
    let scratch = Scratch::new("man");
    let (page, err, code) = otelgrep(&["man"]);
    assert_eq!(code, 0, "{err}");
    let file = scratch.0.join("otelgrep.1");
    std::fs::write(&file, &page).unwrap();
    let (text, warnings) = man(&file);
    assert!(warnings.is_empty(), "{warnings}");
    assert!(text.contains("otelgrep - Query OpenTelemetry"), "{text}");
    for sub in ["summary", "latency", "report", "completions"] {
        assert!(text.contains(&format!("otelgrep-{sub}(1)")), "otelgrep(1) names otelgrep-{sub}(1)");
    }

    let (page, _, code) = otelgrep(&["man", "latency"]);
    assert_eq!(code, 0);
    let file = scratch.0.join("otelgrep-latency.1");
    std::fs::write(&file, &page).unwrap();
    let (text, warnings) = man(&file);
    assert!(warnings.is_empty(), "{warnings}");
    assert!(text.contains("otelgrep-latency"), "{text}");
    assert!(text.contains("--percentiles"), "{text}");
    assert!(
        text.contains("otelgrep latency --by route,status --every 1m --format csv output.log"),
        "the examples: {text}"
    );
    // The closing help text under the headings man pages use.
    for heading in ["EXAMPLES", "NOTES", "EXIT STATUS"] {
        assert!(text.lines().any(|l| l == heading), "{heading} in {text}");
    }
    assert!(!text.contains("EXTRA"));

    let dir = scratch.0.join("pages");
    let (_, err, code) = otelgrep(&["man", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(names.contains(&"otelgrep.1".to_string()), "{names:?}");
    for sub in Cli::command().get_subcommands() {
        let want = format!("otelgrep-{}.1", sub.get_name());
        assert!(names.contains(&want), "{want} in {names:?}");
        let (_, warnings) = man(&dir.join(&want));
        assert!(warnings.is_empty(), "{want}: {warnings}");
    }
    let (_, err, code) = otelgrep(&["man", "nosuch"]);
    assert_eq!(code, 2);
    assert!(err.contains("no subcommand nosuch: there are summary, urls"), "{err}");
}

/// A capture over 100 MB: the todo sample, repeated.
fn big_capture(scratch: &Scratch) -> std::path::PathBuf {
    let one = std::fs::read(sample("todo/todo-default.log")).unwrap();
    let path = scratch.0.join("big.log");
    let times = (101 << 20) / one.len() + 1;
    std::fs::write(&path, one.repeat(times)).unwrap();
    path
}

#[test]
fn the_progress_bar_shows_on_a_terminal_only() {
    let scratch = Scratch::new("progress");
    let big = big_capture(&scratch);
    let bin = env!("CARGO_BIN_EXE_otelgrep");
    // Under a pty (script), stdout and stderr both go to the terminal, and the typescript holds
    // what was drawn there: the bar counts bytes (`MiB/`). A terminal says what it is in TERM
    // (CI runs without one); a dumb one gets no bar.
    let on_terminal = |term: &str, args: &str| {
        let command = format!("exec {bin} {args} {}", big.display());
        let out = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env("TERM", term)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let under_pty = |args: &str| on_terminal("xterm-256color", args);
    assert!(!on_terminal("dumb", "summary").contains("MiB/"), "a dumb terminal shows no bar");
    let shown = under_pty("summary");
    assert!(shown.contains("MiB/"), "no bar on the terminal: {shown}");
    assert!(shown.contains("spans"), "and the answer: {shown}");
    assert!(!under_pty("--quiet summary").contains("MiB/"), "--quiet shows no bar");
    assert!(!under_pty("summary -q").contains("MiB/"), "-q after the subcommand too");
    // Into a pipe: nothing but the notes there would be anyway.
    let out = Command::new(bin).args(["summary", big.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("MiB") && !err.contains('\r'), "a bar in a pipe: {err}");
    assert!(out.status.success());
}
