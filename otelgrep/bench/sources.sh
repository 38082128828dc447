#!/usr/bin/env bash
# Speed per source: every real capture we hold, each concatenated to SIZE_MB (default 1000) on its
# own, so a source that reads slowly is not hidden in a mix. Sources: each shared sample
# (../shared/samples), the conformance folder's one capture of useful size (the OpenTelemetry demo
# through the Collector's file exporter) and the todo app's own captures (samples/todo). Per source,
# warm cache, best of 5 rounds of the four (each round runs each once): `otelgrep summary` and
# `otelgrep latency --by url` (MB/s and peak RSS), `grep -c http` and `cat` on the same file; then,
# per format, how far its slowest source is from its fastest, and the slowest and fastest sources
# overall.
# Usage: otelgrep/bench/sources.sh [SIZE_MB] [SOURCE_REGEX]   (a regex picks sources by path)
# shellcheck source=otelgrep/bench/common.sh
source "$(dirname "$0")/common.sh" "$@"
filter="${2:-}"

# FORMAT PATH: the format is what the README and issue tables call it.
sources=(
  "python ../shared/samples/python-flask/flask-default.log"
  "python ../shared/samples/python-flask/flask-merged-stderr.log"
  "rust ../shared/samples/rust-stdout/rust-stdout.log"
  "rust ../shared/samples/rust-stdout/rust-stdout-interleaved.log"
  "rust samples/todo/todo-default.log"
  "rust samples/todo/todo-console-merged-stderr.log"
  "rust samples/todo/todo-http.log"
  "rust samples/todo/todo-http-dup.log"
  "rust samples/todo/todo-two-processes.log"
  "node ../shared/samples/node-console/sdk-node-0.223_interleaved-app-logs.txt"
  "node ../shared/samples/node-console/sdk-node-0.223_trace-base-2.12.1.txt"
  "node ../shared/samples/node-console/sdk-node-0.57.2_trace-base-1.30.1.txt"
  "otlp-json ../shared/samples/otlp-json/js-otlp-http-json_traces.jsonl"
  "otlp-json ../shared/samples/otlp-json/js-otlp-http-json_logs.jsonl"
  "otlp-json ../shared/samples/otlp-json/js-otlp-http-json_metrics.jsonl"
  "otlp-json ../shared/conformance/otel-tui_otel-demo-fileexporter.jsonl"
)

mbs() { echo "$1 / $2" | bc -l | xargs printf '%.0f'; }
printf '%-10s %-44s %6s  %16s  %16s  %9s  %9s  %8s  %9s\n' format source MB "summary" "latency --by url" \
  "grep -c" "cat" "RSS MB" "vs grep"
results="$work/results"
: > "$results"
for entry in "${sources[@]}"; do
  read -r format path <<< "$entry"
  [ -n "$filter" ] && ! [[ "$path" =~ $filter ]] && continue
  f="$work/source.log"
  make "$f" "$path"
  mb=$(echo "$(stat -c %s "$f") / 1000000" | bc -l)
  cat "$f" > /dev/null # warm the page cache
  # Five rounds of the four commands, the best of each kept: timed in the same minutes, a slow
  # spell of this machine weighs on all four (timed one after the other, three runs each, one
  # row's `vs grep` read 1.4x in one run and 1.9x in the next). Peak RSS: the most of any run.
  ts="" tl="" tg="" tc="" rss=0
  for _ in 1 2 3 4 5; do
    read -r t r < <(once "$bin" summary --format json "$f")
    ts=$(smaller "$ts" "$t") rss=$((r > rss ? r : rss))
    read -r t r < <(once "$bin" latency --by url --format csv "$f")
    tl=$(smaller "$tl" "$t") rss=$((r > rss ? r : rss))
    read -r t _ < <(once grep -c http "$f")
    tg=$(smaller "$tg" "$t")
    read -r t _ < <(once sh -c "cat '$f' > /dev/null")
    tc=$(smaller "$tc" "$t")
  done
  rss=$((rss / 1024))
  slower=$(echo "$tl / $tg" | bc -l | xargs printf '%.1f')
  printf '%-10s %-44s %6.0f  %5.2f s %5s MB/s  %5.2f s %5s MB/s  %4s MB/s  %4s MB/s  %8s  %8sx\n' "$format" \
    "$(basename "$path")" "$mb" "$ts" "$(mbs "$mb" "$ts")" "$tl" "$(mbs "$mb" "$tl")" "$(mbs "$mb" "$tg")" \
    "$(mbs "$mb" "$tc")" "$rss" "$slower"
  echo "$format $(basename "$path") $(mbs "$mb" "$ts") $(mbs "$mb" "$tl")" >> "$results"
  rm -f "$f"
done
echo
# Per format: the slowest source's `latency --by url` against the fastest's.
awk '{ if (!($1 in lo) || $4 < lo[$1]) { lo[$1] = $4; ls[$1] = $2 }
       if (!($1 in hi) || $4 > hi[$1]) { hi[$1] = $4; hs[$1] = $2 } }
     END { for (f in lo) printf "%-10s latency --by url: slowest %s %d MB/s, fastest %s %d MB/s: %.1fx\n", f, ls[f], lo[f], hs[f], hi[f], hi[f] / lo[f] }' \
  "$results" | sort
sort -k4 -n "$results" | awk 'NR == 1 { printf "slowest source overall: %s (%s), latency --by url %d MB/s\n", $2, $1, $4 }
  END { printf "fastest source overall: %s (%s), latency --by url %d MB/s\n", $2, $1, $4 }'
