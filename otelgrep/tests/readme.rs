//! Every `$ otelgrep ...` command shown in README.md runs here, from the workspace root, and its
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
        let Some(command) = lines.next().and_then(|l| l.strip_prefix("$ otelgrep ")) else { continue };
        let expected: Vec<&str> = lines.collect();
        let args: Vec<&str> = command.split_whitespace().collect();
        let out = Command::new(env!("CARGO_BIN_EXE_otelgrep")).args(&args).current_dir(&root).output().unwrap();
        let actual = String::from_utf8(out.stdout).unwrap();
        let actual: Vec<&str> = actual.lines().collect();
        assert_eq!(actual, expected, "README block `otelgrep {command}`");
        checked += 1;
    }
    assert!(checked > 0, "no otelgrep command found in README.md");
}
