#!/usr/bin/env bash
# Regenerates samples/todo/: the todo app's own captures, each with its .requests.tsv.
#
# For each capture: a fresh database, `todo` (release build) on a free loopback port with the
# capture's environment, `todo traffic` with a fixed seed against it, then SIGINT to todo alone so
# the final flush reaches the file (as `tee -i` would let it).
# Usage: samples/regenerate.sh [NAME...]   (no NAME: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/otelgrep-target}"
cargo build --release -p todo --locked
bin="$CARGO_TARGET_DIR/release/todo"
out=samples/todo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

only=("$@")
REQUESTS=400
CONCURRENCY=4
PAUSE_MS=120

# capture NAME SEED MERGE_STDERR [VAR=VALUE...]
capture() {
  local name=$1 seed=$2 merge=$3
  shift 3
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " =~ " $name " ]]; then return; fi
  local db="$work/$name.db" err="$work/$name.stderr"
  rm -f "$db"* "$out/$name.log"
  # A clean environment: only what the capture names, plus the interval that makes several exports.
  local envs=(env -u OTEL_SEMCONV_STABILITY_OPT_IN -u OTEL_TRACES_EXPORTER -u OTEL_METRICS_EXPORTER
              -u OTEL_LOGS_EXPORTER -u OTEL_SERVICE_NAME -u OTEL_RESOURCE_ATTRIBUTES
              NO_COLOR=1 OTEL_METRIC_EXPORT_INTERVAL=2000 "$@")
  if [ "$merge" = merged ]; then
    # `todo 2>&1 | tee`: the app's stderr log lines land between (and inside) telemetry blocks.
    "${envs[@]}" "$bin" --port 0 --db "$db" > "$out/$name.log" 2>&1 &
    err="$out/$name.log"
  else
    "${envs[@]}" "$bin" --port 0 --db "$db" > "$out/$name.log" 2> "$err" &
  fi
  local pid=$! port=""
  for _ in $(seq 1 200); do
    port=$(grep -ao 'listening on http://127.0.0.1:[0-9]*' "$err" 2>/dev/null | head -1 | sed 's/.*://') || true
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "todo did not start for $name" >&2; kill "$pid"; exit 1; }
  "$bin" traffic --url "http://127.0.0.1:$port" --requests "$REQUESTS" --concurrency "$CONCURRENCY" \
    --seed "$seed" --pause-ms "$PAUSE_MS" --record "$out/$name.requests.tsv"
  kill -INT "$pid"
  wait "$pid"
  echo "$name: $(wc -l < "$out/$name.log") lines, $(($(wc -l < "$out/$name.requests.tsv") - 1)) requests" >&2
}

# The three semconv modes get the same seed, so the same requests: `otelgrep urls` must agree on them.
capture todo-default 11 separate
capture todo-http 11 separate OTEL_SEMCONV_STABILITY_OPT_IN=http
capture todo-http-dup 11 separate OTEL_SEMCONV_STABILITY_OPT_IN=http/dup
capture todo-console-merged-stderr 14 merged \
  OTEL_TRACES_EXPORTER=console OTEL_METRICS_EXPORTER=console OTEL_LOGS_EXPORTER=console
