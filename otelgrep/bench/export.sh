#!/usr/bin/env bash
# Export speed and memory beside `summary`'s: for 1 GB of each kind of capture (a Flask run, the
# todo app's Rust captures, the OpenTelemetry demo through the Collector's file exporter), warm
# cache, best of 3: `otelgrep summary`, `otelgrep export --to parquet` and `--to otlp-json` in MB/s
# of input with their peak RSS, the ratio of export to the 300 MB/s asked of it, the export
# folder's size, and `latency --by url` on the capture against the same query on its export.
# Usage: otelgrep/bench/export.sh [SIZE_MB]   (default 1000)
# shellcheck source=otelgrep/bench/common.sh
source "$(dirname "$0")/common.sh" "$@"
make_python
make_rust
make_demo

mbs() { echo "scale=0; $1 / $2 / 1000000" | bc -l; }

printf "%-8s %6s | %-20s | %-28s | %-20s | %9s | %s\n" source MB "summary MB/s (RSS)" "export parquet MB/s (RSS) x300" "otlp-json MB/s (RSS)" "folder MB" "latency --by url: capture / export"
for kind in python rust demo; do
  f="$work/$kind.log"
  bytes=$(stat -c %s "$f")
  cat "$f" > /dev/null
  read -r ts rs < <(best "$bin" summary "$f")
  read -r tp rp < <(best "$bin" export --to parquet --out "$work/out" "$f")
  "$bin" export --to parquet --out "$work/kept" "$f" 2> /dev/null
  folder=$(du -sm "$work/kept" | cut -f1)
  read -r tj rj < <(best "$bin" export --to otlp-json --out "$work/out.jsonl" "$f")
  read -r tl _ < <(best "$bin" latency --by url "$f")
  read -r te _ < <(best "$bin" latency --by url "$work/kept")
  printf "%-8s %6d | %6d (%4d MB)        | %6d (%4d MB) %5.2fx        | %6d (%4d MB)      | %9d | %.2f s / %.2f s\n" \
    "$kind" $((bytes / 1000000)) "$(mbs "$bytes" "$ts")" $((rs / 1024)) "$(mbs "$bytes" "$tp")" $((rp / 1024)) \
    "$(echo "$bytes / $tp / 300000000" | bc -l)" "$(mbs "$bytes" "$tj")" $((rj / 1024)) "$folder" "$tl" "$te"
  rm -rf "$work/kept"
done
