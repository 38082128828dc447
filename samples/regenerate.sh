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

# start_on FD NAME DB INSTANCE: starts todo with stdout on FD (shared by every process started on it),
# stderr to $work/NAME.stderr; sets PID and PORT.
start_on() {
  local fd=$1 name=$2 db=$3 instance=$4 err="$work/$2.stderr"
  env -u OTEL_SEMCONV_STABILITY_OPT_IN -u OTEL_TRACES_EXPORTER -u OTEL_METRICS_EXPORTER \
    -u OTEL_LOGS_EXPORTER -u OTEL_SERVICE_NAME NO_COLOR=1 OTEL_METRIC_EXPORT_INTERVAL=2000 \
    OTEL_RESOURCE_ATTRIBUTES="service.instance.id=$instance" \
    "$bin" --port 0 --db "$db" >&"$fd" 2> "$err" &
  PID=$! PORT=""
  for _ in $(seq 1 200); do
    PORT=$(grep -ao 'listening on http://127.0.0.1:[0-9]*' "$err" 2>/dev/null | head -1 | sed 's/.*://') || true
    [ -n "$PORT" ] && break
    sleep 0.05
  done
  [ -n "$PORT" ] || { echo "todo did not start for $name" >&2; exit 1; }
}

# drive PORT SEED REQUESTS INSTANCE TSV: `todo traffic`, its record with the instance appended.
drive() {
  "$bin" traffic --url "http://127.0.0.1:$1" --requests "$3" --concurrency "$CONCURRENCY" \
    --seed "$2" --pause-ms "$PAUSE_MS" --record "$5.raw"
  awk -v i="$4" 'NR > 1 { print $0 "\t" i }' "$5.raw" > "$5"
}

# Two processes on one pipe (as workers behind one `tee`), each with its own service.instance.id,
# driven at the same time; then todo-a restarts under the same id (its counters start again from
# zero) and serves a third run. Requests are recorded with the instance that served them.
two_processes() {
  local name=todo-two-processes
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " =~ " $name " ]]; then return; fi
  local log="$out/$name.log" tsv="$out/$name.requests.tsv"
  rm -f "$work"/two-*.db* "$log"
  mkfifo "$work/pipe"
  cat "$work/pipe" > "$log" &
  local reader=$!
  exec 3> "$work/pipe"
  printf 'client_start_utc\tmethod\ttarget\tstatus\tclient_ms\tnote\tinstance\n' > "$tsv"
  start_on 3 a "$work/two-a.db" todo-a; local pa=$PID porta=$PORT
  start_on 3 b "$work/two-b.db" todo-b; local pb=$PID portb=$PORT
  drive "$porta" 21 150 todo-a "$work/a.tsv" & local da=$!
  drive "$portb" 22 250 todo-b "$work/b.tsv"
  wait "$da"
  kill -INT "$pa"; wait "$pa" || true
  start_on 3 a2 "$work/two-a.db" todo-a; local pa2=$PID porta2=$PORT
  drive "$porta2" 23 100 todo-a "$work/a2.tsv"
  kill -INT "$pa2" "$pb"; wait "$pa2" "$pb" || true
  exec 3>&-
  wait "$reader"
  cat "$work/a.tsv" "$work/b.tsv" "$work/a2.tsv" >> "$tsv"
  echo "$name: $(wc -l < "$log") lines, $(($(wc -l < "$tsv") - 1)) requests" >&2
}

# The three semconv modes get the same seed, so the same requests: `otelgrep urls` must agree on them.
capture todo-default 11 separate
capture todo-http 11 separate OTEL_SEMCONV_STABILITY_OPT_IN=http
capture todo-http-dup 11 separate OTEL_SEMCONV_STABILITY_OPT_IN=http/dup
capture todo-console-merged-stderr 14 merged \
  OTEL_TRACES_EXPORTER=console OTEL_METRICS_EXPORTER=console OTEL_LOGS_EXPORTER=console
two_processes
