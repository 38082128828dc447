# What the benchmarks that read big files share (ingest.sh, export.sh, report.sh; sourced with
# their arguments): from the workspace root, the release build, `$bin`, `$size_mb` (the first
# argument, default 1000), a `$work` folder removed at exit, and `make FILE SOURCES...`, which
# concatenates the sources round-robin until FILE reaches `$size_mb` MB.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/otelgrep-target}"
for tool in bc /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "needs $tool: apt-get install bc time" >&2; exit 2; }
done
cargo build --release -p otelgrep --locked >&2
bin="$CARGO_TARGET_DIR/release/otelgrep"
size_mb="${1:-1000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make() {
  local out=$1
  shift
  : > "$out"
  # The sources repeated up to 4 MB first, then that block: a 4 KB source is not 250,000 `cat`s.
  local block="$out.block"
  : > "$block"
  while [ "$(stat -c %s "$block")" -lt $((4 * 1000 * 1000)) ]; do cat "$@" >> "$block"; done
  while [ "$(stat -c %s "$out")" -lt $((size_mb * 1000 * 1000)) ]; do cat "$block" >> "$out"; done
  rm -f "$block"
}

# The kinds every benchmark reads: a Flask run, the todo app's Rust captures, and the
# OpenTelemetry demo through the Collector's file exporter (8 services, lines up to 858 KB).
make_python() { make "$work/python.log" samples/python-flask/flask-default.log samples/python-flask/flask-merged-stderr.log; }
make_rust() { make "$work/rust.log" samples/todo/todo-default.log samples/todo/todo-http.log samples/todo/todo-http-dup.log; }
make_demo() { make "$work/demo.log" ../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl; }

# SECONDS RSS_KB of one run of a command (an output at $work/out or $work/out.jsonl removed first;
# standard output to a file, not /dev/null: GNU grep detects /dev/null and stops at its first match).
# Exit 1 is a run like any other (otelgrep printed its answer with records skipped; `grep -c`
# counted none); any other failure stops the benchmark, which would have timed it as a fast run.
once() {
  rm -rf "$work/out" "$work/out.jsonl"
  local s e status=0
  s=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$@" > "$work/stdout" 2> "$work/err" || status=$?
  e=$(date +%s.%N)
  if [ "$status" -gt 1 ]; then
    echo "failed, exit $status: $*" >&2
    tail -5 "$work/err" >&2
    exit 1
  fi
  echo "$(echo "$e - $s" | bc -l) $(tail -1 "$work/rss")"
}

# The smaller of two numbers, the second if the first is empty.
smaller() {
  if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# SECONDS RSS_KB of the best of three runs of a command (see `once`; ingest.sh takes five).
best() {
  local b="" rss="" t r
  for _ in 1 2 3; do
    read -r t r < <(once "$@")
    if [ "$(smaller "$b" "$t")" = "$t" ]; then b=$t; rss=$r; fi
  done
  echo "$b $rss"
}
