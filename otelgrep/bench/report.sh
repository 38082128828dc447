#!/usr/bin/env bash
# The report on big captures: for 1 GB of each kind (a Flask run, the todo app's Rust captures, the
# OpenTelemetry demo through the Collector's file exporter), warm cache, best of 3: the page's
# size (asked: under 2 MB whatever the input), `otelgrep report`'s time and peak RSS, beside
# `latency --by url` on the same file (the report reads the input twice: its figures, then the
# slowest traces).
# Usage: otelgrep/bench/report.sh [SIZE_MB]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
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
  while [ "$(stat -c %s "$out")" -lt $((size_mb * 1000 * 1000)) ]; do cat "$@" >> "$out"; done
}
make "$work/python.log" samples/python-flask/flask-default.log samples/python-flask/flask-merged-stderr.log
make "$work/rust.log" samples/todo/todo-default.log samples/todo/todo-http.log samples/todo/todo-http-dup.log
make "$work/demo.log" ../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl

# SECONDS RSS_KB of the best of three runs of a command.
best() {
  local b="" rss=""
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" > /dev/null 2> "$work/err" || true
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; rss=$(tail -1 "$work/rss"); fi
  done
  echo "$b $rss"
}

printf "%-8s %6s | %-10s | %-24s | %-24s\n" source MB "page KB" "report s (RSS)" "latency --by url s (RSS)"
for kind in python rust demo; do
  f="$work/$kind.log"
  cat "$f" > /dev/null
  read -r tr rr < <(best "$bin" report -o "$work/page.html" "$f")
  read -r tl rl < <(best "$bin" latency --by url "$f")
  printf "%-8s %6d | %10d | %6.2f s (%4d MB)        | %6.2f s (%4d MB)\n" "$kind" $(($(stat -c %s "$f") / 1000000)) \
    $(($(stat -c %s "$work/page.html") / 1024)) "$tr" $((rr / 1024)) "$tl" $((rl / 1024))
done
