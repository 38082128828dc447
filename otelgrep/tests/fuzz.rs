//! The fuzz targets' properties (`otelgrep::fuzzing`) on stable: every seed (pieces of the real
//! captures, `fuzz/make_seeds.py`) and every input the fuzzers found a problem with
//! (`fuzz/regressions/TARGET/`, kept once fixed) still holds them. `fuzz/run.sh` is where the
//! fuzzing itself runs, on nightly.

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 12] = [
    ("python_json", otelgrep::fuzzing::python_json),
    ("otlp_json", otelgrep::fuzzing::otlp_json),
    ("node_console", otelgrep::fuzzing::node_console),
    ("go_json", otelgrep::fuzzing::go_json),
    ("otlp_proto", otelgrep::fuzzing::otlp_proto),
    ("values", otelgrep::fuzzing::values),
    ("framer", otelgrep::fuzzing::framer),
    ("arrival", otelgrep::fuzzing::arrival),
    ("stream", otelgrep::fuzzing::stream),
    ("filters", otelgrep::fuzzing::filters),
    ("pipeline", otelgrep::fuzzing::pipeline),
    ("parquet", otelgrep::fuzzing::parquet),
];

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut all: Vec<_> =
        entries.map(|e| e.unwrap().path()).map(|p| (p.display().to_string(), std::fs::read(&p).unwrap())).collect();
    all.sort();
    all
}

fn replay(kind: &str, at_least: usize) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut failed = Vec::new();
    for (target, check) in TARGETS {
        let found = inputs(&fuzz.join(kind).join(target));
        assert!(found.len() >= at_least, "{kind}/{target}: {} inputs", found.len());
        for (name, data) in found {
            if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                let why: String = why.unwrap_or_default().chars().take(3000).collect();
                failed.push(format!("{target} fails on {name}: {why}"));
            }
        }
    }
    assert!(failed.is_empty(), "{} failed:\n{}", failed.len(), failed.join("\n\n"));
}

#[test]
fn every_seed_holds_its_targets_property() {
    replay("seeds", 10);
}

#[test]
fn every_finding_of_the_fuzzers_stays_fixed() {
    replay("regressions", 0);
}

#[test]
fn every_fuzz_target_is_replayed_here() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
    let mut targets: Vec<String> =
        inputs(&dir).into_iter().map(|(p, _)| Path::new(&p).file_stem().unwrap().to_string_lossy().into()).collect();
    targets.sort();
    let mut here: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
    here.sort();
    assert_eq!(targets, here);
}
