#!/usr/bin/env bash
# Runs the fuzz targets with cargo-fuzz (libFuzzer, nightly) and prints, per target, executions,
# time, speed, corpus size and findings.
#
# Usage: fuzz/run.sh [--runs N] [--time SECONDS] [--jobs J] [TARGET...]
#   --runs N      stop each target after N executions (default 10,000,000)
#   --time S      and after S seconds at most (default 3600)
#   --jobs J      targets run side by side (default 1; the machine has 2 cores)
#   --max-len B   longest input tried (default 8192: the seeds are at most 6,000 bytes)
#   --timeout S   an input slower than S seconds is a finding (default 10; raise it when the
#                 fuzzers run niced beside builds, which can starve them for longer than that)
#   --no-compares build without compare tracing, in target-ntc/: about twice the executions a
#                 second (half the time went to libFuzzer's hooks on every comparison), guided
#                 by coverage alone; for piling up executions on a corpus already grown
# Set-up once: `cargo install cargo-fuzz` (the nightly toolchain is on the machine).
# Each target starts from fuzz/seeds/TARGET (pieces of the real captures, fuzz/make_seeds.py) and
# grows fuzz/corpus/TARGET (not committed). A finding stops its target and is left in
# fuzz/artifacts/TARGET/; once fixed, copy it to fuzz/regressions/TARGET/ with a name saying what
# it was: `cargo test -p otelgrep --test fuzz` replays it on stable from then on.
set -euo pipefail
cd "$(dirname "$0")"
runs=10000000 time=3600 jobs=1 max_len=8192 timeout=10 targets=() target_dir=target
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --time) time="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --max-len) max_len="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --no-compares) target_dir=target-ntc; shift ;;
    -h|--help) sed -n '2,19p' "$(basename "$0")"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls fuzz_targets | sed 's/\.rs$//')
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2; exit 2; }
# No sanitizer: the code under test is safe Rust (ASan finds nothing there and costs 2-3x);
# overflow checks and debug assertions stay on (-a), so arithmetic on input values is checked.
flags=(--sanitizer none -O -a)
[ "$target_dir" = target ] || flags+=(--no-trace-compares --target-dir "$target_dir")
cargo +nightly fuzz build "${flags[@]}" >&2
mkdir -p logs
one() {
  local t="$1"
  mkdir -p "corpus/$t" "artifacts/$t"
  # -max_len: the seeds' size; -timeout: a slow input is a finding too; -rss_limit_mb: so is memory.
  # -reload=0: one process per corpus, so nothing to pick up from others, and re-listing a grown
  # corpus every second (a stat per file: 155,000 files for `stream`) took 60% of its time.
  # Started from the built binary: `cargo fuzz run` would rebuild, one target at a time.
  "$target_dir/x86_64-unknown-linux-gnu/release/$t" "corpus/$t" "seeds/$t" \
    -artifact_prefix="artifacts/$t/" \
    -runs="$runs" -max_total_time="$time" -max_len="$max_len" -timeout="$timeout" -rss_limit_mb=2048 -reload=0 \
    -print_final_stats=1 > "logs/$t.log" 2>&1 || true
}
running=0
for t in "${targets[@]}"; do
  one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
printf '%-14s %12s %8s %9s %7s %s\n' target executions seconds 'exec/s' corpus findings
for t in "${targets[@]}"; do
  log="logs/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1 || true)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  corpus=$(find "corpus/$t" -type f | wc -l)
  findings=$(find "artifacts/$t" -type f | wc -l)
  printf '%-14s %12s %8s %9s %7s %s\n' "$t" "${execs:--}" "${secs:--}" "${rate:--}" "$corpus" "$findings"
  [ "$findings" -eq 0 ] || find "artifacts/$t" -type f | sed 's|^|    fuzz/|'
done
