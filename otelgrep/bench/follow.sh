#!/usr/bin/env bash
# --follow's figures: CPU while idle, the lag from a record landing in a file to its row
# showing, and keeping up with the todo app at full speed under wrk (console exporters piped in).
#
# Usage: otelgrep/bench/follow.sh [SECONDS]    (default 20: the idle and load durations)
# Needs wrk (Debian: wrk) for the last part. Builds both binaries in release first.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
cargo build --release -q -p otelgrep -p todo
bin=${CARGO_TARGET_DIR:-target}/release
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# 1. Idle: following a capture that does not grow.
cp samples/todo/todo-default.log "$tmp/idle.log"
"$bin/otelgrep" latency --by url -f "$tmp/idle.log" > /dev/null 2>&1 &
pid=$!
sleep 2
t0=$(cpu $pid)
sleep "$secs"
t1=$(cpu $pid)
kill -INT $pid; wait $pid || true
echo "idle: $(awk -v a="$t0" -v b="$t1" -v t="$ticks" -v s="$secs" 'BEGIN { printf "%.2f", (b - a) * 100 / t / s }')% of a core over ${secs}s (--refresh 1s)"

# 2. Lag: a Python span appended every 0.37 s; the time until `spans -f` prints its row.
python3 - "$bin/otelgrep" "$tmp/lag.log" <<'PY'
import json, os, subprocess, sys, time, select
otelgrep, path = sys.argv[1], sys.argv[2]
open(path, "w").close()
p = subprocess.Popen([otelgrep, "spans", "--format", "csv", "-f", path], stdout=subprocess.PIPE)
template = {"name": "", "context": {"trace_id": "", "span_id": "0x00f067aa0ba902b7", "trace_state": "[]"},
            "kind": "SpanKind.SERVER", "parent_id": None, "start_time": "2026-12-03T10:00:00.000000Z",
            "end_time": "2026-12-03T10:00:00.001000Z", "status": {"status_code": "UNSET"},
            "attributes": {"http.method": "GET"}, "events": [], "links": [],
            "resource": {"attributes": {"service.name": "lag"}, "schema_url": ""}}
sent, lags, buf = {}, [], b""
def read_rows(until):
    # The pipe is read raw (a buffered reader would hold lines back from select).
    global buf
    while time.monotonic() < until:
        r, _, _ = select.select([p.stdout], [], [], max(0, until - time.monotonic()))
        if not r:
            return
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            return
        buf += chunk
        *lines, buf = buf.split(b"\n")
        now = time.monotonic()
        for line in lines:
            for name, t in sent.items():
                if f",{name},".encode() in line:
                    lags.append(now - t)
time.sleep(1)
for i in range(30):
    rec = dict(template, name=f"lag-{i}", context=dict(template["context"], trace_id="0x%032x" % (i + 1)))
    with open(path, "a") as f:
        f.write(json.dumps(rec, indent=4) + "\n")
    sent[f"lag-{i}"] = time.monotonic()
    read_rows(time.monotonic() + 0.37)
read_rows(time.monotonic() + 3)
p.send_signal(2); p.wait()
lags.sort()
print(f"lag: {len(lags)}/30 rows shown; median {lags[len(lags)//2]*1000:.0f} ms, max {lags[-1]*1000:.0f} ms (--refresh 1s)")
PY

# 3. Keeping up: the todo app under wrk, its console exporters piped into `latency -f -`.
if command -v wrk > /dev/null; then
  mkfifo "$tmp/pipe"
  "$bin/otelgrep" latency --by route -f --format csv - < "$tmp/pipe" > "$tmp/live.csv" 2> "$tmp/live.err" &
  live=$!
  "$bin/todo" --port 0 --host 127.0.0.1 --db "$tmp/tasks.db" 2> "$tmp/todo.err" | tee "$tmp/capture.log" > "$tmp/pipe" &
  sleep 1
  port=$(grep -o '127.0.0.1:[0-9]*' "$tmp/todo.err" | head -1 | cut -d: -f2)
  wrk -t2 -c50 -d"${secs}s" "http://127.0.0.1:$port/" > "$tmp/wrk.txt"
  sleep 1
  t0=$(cpu $live)
  pkill -INT -f "$bin/todo --port 0" || true
  start=$(date +%s%N)
  wait $live || true
  done_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  requests=$(grep -o '[0-9]* requests in' "$tmp/wrk.txt" | cut -d' ' -f1)
  live_count=$(awk -F, 'NR > 1 && $1 == "/" { print $2 }' < <(awk 'BEGIN{RS=""} {b=$0} END{print b}' "$tmp/live.csv"))
  file_count=$("$bin/otelgrep" latency --by route --format csv "$tmp/capture.log" 2>/dev/null | awk -F, '$1 == "/" { print $2 }')
  echo "load: wrk sent $requests requests in ${secs}s; capture $(du -m "$tmp/capture.log" | cut -f1) MB;" \
       "the followed count of GET / ${live_count:-?} = the capture read whole ${file_count:-?};" \
       "final answer ${done_ms} ms after Ctrl+C to todo"
else
  echo "load: wrk is missing (apt-get install wrk)"
fi
