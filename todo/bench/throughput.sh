#!/usr/bin/env bash
# Request throughput of `todo` with console telemetry on for all three signals, stdout to a file:
# wrk (Debian's package), 50 connections, 30 s, against GET / with 10 tasks in the list.
# Usage: todo/bench/throughput.sh [seconds]   (prints wrk's report and the capture's size)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/otelgrep-target}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release -p todo --locked
bin="$CARGO_TARGET_DIR/release/todo"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=5099
"$bin" --port "$port" --db "$work/tasks.db" > "$work/output.log" 2> "$work/stderr.log" &
pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
for i in $(seq 1 10); do curl -s -o /dev/null -d "task=task number $i" "http://127.0.0.1:$port/add"; done
wrk -t 2 -c 50 -d "${1:-30}s" --latency "http://127.0.0.1:$port/"
kill -INT "$pid"
wait "$pid" || true
echo "capture: $(wc -c < "$work/output.log") bytes, $(grep -c '^Span #' "$work/output.log") spans" \
  "($(grep -c 'Kind         : Server' "$work/output.log") SERVER)"
