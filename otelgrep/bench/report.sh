#!/usr/bin/env bash
# The report on big captures: for 1 GB of each kind (a Flask run, the todo app's Rust captures, the
# OpenTelemetry demo through the Collector's file exporter), warm cache, best of 3: the page's
# size (asked: under 2 MB whatever the input), `otelgrep report`'s time and peak RSS, beside
# `latency --by url` on the same file (the report reads the input twice: its figures, then the
# slowest traces).
# Usage: otelgrep/bench/report.sh [SIZE_MB]   (default 1000)
# shellcheck source=otelgrep/bench/common.sh
source "$(dirname "$0")/common.sh" "$@"
make_python
make_rust
make_demo

printf "%-8s %6s | %-10s | %-24s | %-24s\n" source MB "page KB" "report s (RSS)" "latency --by url s (RSS)"
for kind in python rust demo; do
  f="$work/$kind.log"
  cat "$f" > /dev/null
  read -r tr rr < <(best "$bin" report -o "$work/page.html" "$f")
  read -r tl rl < <(best "$bin" latency --by url "$f")
  printf "%-8s %6d | %10d | %6.2f s (%4d MB)        | %6.2f s (%4d MB)\n" "$kind" $(($(stat -c %s "$f") / 1000000)) \
    $(($(stat -c %s "$work/page.html") / 1024)) "$tr" $((rr / 1024)) "$tl" $((rl / 1024))
done
