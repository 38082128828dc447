//! Every `$ otelgrep ...` command shown in README.md (and the main job, `$ cargo run ... -p otelgrep
//! -- ...`) runs here, from the workspace root, and its
//! output must equal the lines the README shows under it.

use std::path::Path;
use std::process::Command;

#[test]
fn readme_commands_print_what_the_readme_shows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```").skip(1).step_by(2) {
        let mut lines = block.lines().skip_while(|l| l.trim().is_empty() || !l.starts_with('$'));
        // `$ otelgrep ARGS` or the main job, `$ cargo run --release -p otelgrep -- ARGS`.
        let Some(command) = lines.next().and_then(|l| {
            l.strip_prefix("$ otelgrep ").or_else(|| l.strip_prefix("$ cargo run --release -p otelgrep -- "))
        }) else {
            continue;
        };
        let expected: Vec<&str> = lines.collect();
        let args = shell_words(command);
        let out = Command::new(env!("CARGO_BIN_EXE_otelgrep")).args(&args).current_dir(&root).output().unwrap();
        let actual = String::from_utf8(out.stdout).unwrap();
        let actual: Vec<&str> = actual.lines().collect();
        assert_eq!(actual, expected, "README block `otelgrep {command}`");
        checked += 1;
    }
    assert!(checked > 0, "no otelgrep command found in README.md");
}

/// Splits a command line as a shell would for what the README uses: words, and '...' quoted words.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            c if c.is_whitespace() && !quoted => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}
