#!/usr/bin/env bash
# Ingest speed: builds a 1 GB Python capture (copies of samples/python-flask/*.log), a 1 GB Rust
# capture (copies of samples/todo/*.log), 1 GB of OTLP JSON lines (samples/otlp-json/), the same
# pretty-printed, and 1 GB of the OpenTelemetry demo's Collector capture (JSON, and binary), then
# reports side by side, warm cache, best of 5 (this machine's timings vary by a tenth):
# `otelgrep summary` (release build), `grep -c` on the same file, and `cat > /dev/null`, in MB/s,
# plus otelgrep's peak RSS; then `otelgrep latency --by url` on the same file and its time as a
# ratio of `summary`'s (a query parses attributes, summary does not); then streams: the same bytes
# on standard input and gzip files against the mapped file, with peak RSS.
# Usage: otelgrep/bench/ingest.sh [SIZE_MB [streams]]   (default 1000; `streams`: that table alone)
# shellcheck source=otelgrep/bench/common.sh
source "$(dirname "$0")/common.sh" "$@"
make_python
make_rust
make "$work/otlp.log" samples/otlp-json/*.jsonl
# A plain opentelemetry-stdout app alternating signals (a log, then a Metrics block): a stream of
# it is cut at record starts, its headers leaving a record suspended.
make "$work/rust-stdout.log" samples/rust-stdout/rust-stdout.log
# The same OTLP requests pretty-printed (two spaces, as opentelemetry-proto's examples), the
# OpenTelemetry demo's Collector file-exporter capture (8 services, lines up to 858 KB), and that
# capture as the exporter's `format: proto` (written by the official Python package, when the
# virtual environment of .ci/run is there).
for f in samples/otlp-json/*.jsonl; do
  python3 -c 'import json,sys; [print(json.dumps(json.loads(l), indent=2)) for l in open(sys.argv[1])]' "$f"
done > "$work/pretty-sample.json"
make "$work/otlp-pretty.log" "$work/pretty-sample.json"
demo=../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl
make "$work/demo.log" "$demo"
kinds="python rust otlp otlp-pretty demo"
python="${OTELGREP_PYTHON:-$HOME/.cache/otelgrep-venv/bin/python}"
if "$python" -c "import opentelemetry.proto" 2> /dev/null; then
  "$python" otelgrep/tests/fixtures/conformance/to_proto.py "$demo" "$work/demo-sample.binpb"
  make "$work/demo-proto.log" "$work/demo-sample.binpb"
  kinds="$kinds demo-proto"
fi

# SECONDS of the best of five runs of a command (common.sh's `once`; its `best` takes three).
best5() {
  local b="" t
  for _ in 1 2 3 4 5; do
    read -r t _ < <(once "$@")
    b=$(smaller "$b" "$t")
  done
  echo "$b"
}

only="${2:-all}"
[ "$only" = streams ] && kinds=""
[ -n "$kinds" ] && printf '%-11s %8s  %22s  %22s  %22s  %12s  %28s\n' capture MB "otelgrep summary" "grep -c" "cat > /dev/null" \
  "otelgrep RSS" "latency --by url (vs summary)"
for kind in $kinds; do
  f="$work/$kind.log"
  mb=$(echo "$(stat -c %s "$f") / 1000000" | bc -l)
  pattern='"trace_id"'
  [ "$kind" = rust ] && pattern='TraceId      :'
  case "$kind" in otlp* | demo*) pattern='"traceId"' ;; esac
  cat "$f" > /dev/null # warm the page cache
  t_og=$(best5 "$bin" summary --format json "$f")
  t_grep=$(best5 grep -c "$pattern" "$f")
  t_cat=$(best5 sh -c "cat \"$f\" > /dev/null")
  t_lat=$(best5 "$bin" latency --by url --format csv "$f")
  rss=$( { /usr/bin/time -f '%M' "$bin" summary --format json "$f" > /dev/null; } 2>&1 | tail -1)
  rate() { echo "$mb / $1" | bc -l | xargs printf '%.0f'; }
  ratio=$(echo "$t_lat / $t_og" | bc -l | xargs printf '%.2f')
  printf '%-11s %8.0f  %9.3f s %6s MB/s  %9.3f s %6s MB/s  %9.3f s %6s MB/s  %9s MB  %9.3f s %6s MB/s %5sx\n' \
    "$kind" "$mb" "$t_og" "$(rate "$t_og")" "$t_grep" "$(rate "$t_grep")" "$t_cat" "$(rate "$t_cat")" \
    "$((rss / 1024))" "$t_lat" "$(rate "$t_lat")" "$ratio"
done

# Streams: the same bytes on standard input, twice over (2 GB at the default size), and gzip
# files (the 1 GB capture compressed, and a 1 GiB gzip bomb of zeros without a line break), read
# in pieces; beside the memory-mapped file's time. "of mapped" is the stream's speed as a share
# of the mapped file's (the issue's target: at least 80%, in at most 256 MB). "CPU" is what the
# stream costs in CPU time, `cat` included, beside the mapped file's; "pipe" is what the pipe
# alone costs (`cat` into a reader that grows the pipe and reads it as otelgrep does, 1 MiB at a
# time, and keeps nothing: the writer's copy in, the reader's copy out). "bound" is the most "of
# mapped" can be at the stream's CPU cost on this machine's cores, were they all busy all the
# time: the mapped file's time against (stream CPU / cores). "ceiling" is the most it can be for
# any reader that spends on a stream what otelgrep spends on the mapped file: the mapped file's
# time against ((mapped CPU + pipe CPU) / cores). Where the mapped read keeps every core busy,
# the pipe's own CPU is what a stream cannot get back.
cores=$(nproc)
# CPU SECONDS (user + system, the command's children included) of the best of three runs.
cpu() {
  local b=""
  for _ in 1 2 3; do
    /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" > "$work/out" 2> /dev/null || true
    b=$(tail -1 "$work/cpu" | awk -v b="$b" '{ c = $1 + $2; if (b == "" || c < b) print c; else print b }')
  done
  echo "$b"
}
echo
# The pipe's reader: grows the pipe to 1 MiB (F_SETPIPE_SZ), as otelgrep grows standard input's.
drain='import fcntl, sys
try:
    fcntl.fcntl(0, 1031, 1 << 20)
except OSError:
    pass
b = bytearray(1 << 20)
while sys.stdin.buffer.raw.readinto(b):
    pass'
printf '%-31s %8s  %22s  %22s  %9s  %12s  %10s  %10s  %8s  %8s  %6s  %7s\n' stream MB "mapped file" "stream" "of mapped" \
  "stream RSS" "mapped CPU" "stream CPU" "own CPU" "pipe CPU" bound ceiling
# Two of the Rust capture's odd arrivals too: a line printed in Latin-1 (not UTF-8) every 20 MB,
# each piece holding one repaired as a copy; and the capture cut inside its last character (a
# killed process), that character dropped as a file's is.
python3 - "$work/rust.log" "$work/rust-latin1.log" << 'EOF'
import sys
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as out:
    written = 0
    for line in src:
        out.write(line)
        written += len(line)
        if written >= 20_000_000:
            out.write(b"caf\xe9 printed by the app in Latin-1\n")
            written = 0
EOF
{ cat "$work/rust.log"; printf 'the last line, cut in caf\xc3'; } > "$work/rust-cut.log"
for kind in python rust rust-stdout demo rust-latin1 rust-cut; do
  f="$work/$kind.log"
  # Twice over: the cut capture comes second, so the stream ends inside its last character.
  first="$f"
  [ "$kind" = rust-cut ] && first="$work/rust.log"
  cat "$first" "$f" > "$work/twice.log"
  mb=$(echo "$(stat -c %s "$work/twice.log") / 1000000" | bc -l)
  t_map=$(best5 "$bin" summary --format json "$work/twice.log")
  t_in=$(best5 sh -c "cat \"$first\" \"$f\" | \"$bin\" summary --format json -")
  # (A capture with bytes not UTF-8 exits 1: records were skipped.)
  cat "$first" "$f" | /usr/bin/time -f '%M' -o "$work/rss" "$bin" summary --format json - > /dev/null 2>&1 || true
  rss=$(tail -1 "$work/rss")
  rate() { echo "$mb / $1" | bc -l | xargs printf '%.0f'; }
  share=$(echo "100 * $t_map / $t_in" | bc -l | xargs printf '%.0f')
  c_map=$(cpu "$bin" summary --format json "$work/twice.log")
  c_in=$(cpu sh -c "cat \"$first\" \"$f\" | \"$bin\" summary --format json -")
  c_pipe=$(cpu sh -c "cat \"$first\" \"$f\" | python3 -c '$drain'")
  # otelgrep's own share of the stream's CPU, `cat` left out: what reading the stream costs it
  # beside the mapped read.
  c_own=""
  for _ in 1 2 3; do
    cat "$first" "$f" | /usr/bin/time -f '%U %S' -o "$work/cpu" "$bin" summary --format json - > "$work/out" 2> /dev/null || true
    c_own=$(tail -1 "$work/cpu" | awk -v b="$c_own" '{ c = $1 + $2; if (b == "" || c < b) print c; else print b }')
  done
  bound=$(echo "100 * $t_map * $cores / $c_in" | bc -l | awk '{ printf "%.0f", ($1 > 100 ? 100 : $1) }')
  ceiling=$(echo "100 * $t_map * $cores / ($c_map + $c_pipe)" | bc -l | awk '{ printf "%.0f", ($1 > 100 ? 100 : $1) }')
  printf '%-31s %8.0f  %9.3f s %6s MB/s  %9.3f s %6s MB/s  %8s%%  %9s MB  %8.2f s  %8.2f s  %6.2f s  %6.2f s  %5s%%  %6s%%\n' \
    "$kind on standard input" "$mb" "$t_map" "$(rate "$t_map")" "$t_in" "$(rate "$t_in")" "$share" \
    "$((rss / 1024))" "$c_map" "$c_in" "$c_own" "$c_pipe" "$bound" "$ceiling"
done
rm -f "$work/twice.log" "$work/rust-latin1.log" "$work/rust-cut.log"
gzip -1 -c "$work/python.log" > "$work/python.log.gz"
head -c 1073741824 /dev/zero | gzip -1 > "$work/bomb.gz"
for gz in python.log.gz bomb.gz; do
  t=$(best5 "$bin" summary --format json "$work/$gz")
  rss=$( { /usr/bin/time -f '%M' "$bin" summary --format json "$work/$gz" > /dev/null; } 2>&1 | tail -1)
  printf '%-31s %8.0f  %22s  %9.3f s %6s MB/s  %9s  %9s MB\n' "$gz" "$(stat -c %s "$work/$gz" | awk '{print $1/1e6}')" \
    "" "$t" "" "" "$((rss / 1024))"
done
