#!/usr/bin/env bash
# Soak: POST /add for 60 s at 100 connections (wrk, Debian's package) against `todo` with console
# telemetry for all three signals (stdout piped into a counter, not kept), `kill -9` half-way,
# an immediate restart on the same database, and at the end the database checked against the
# 302s wrk received: a 302 means the task was committed, so a 302 without a row is a lost task.
# Prints requests/s, errors, lost tasks, what the SDK said it dropped (its stderr warnings), the
# SERVER spans that reached stdout, the page's size and the app's memory at the end.
# Usage: todo/bench/soak.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/otelgrep-target}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is missing (it reads the SQLite file)" >&2; exit 2; }
cargo build --release -p todo --locked
bin="$CARGO_TARGET_DIR/release/todo"
seconds="${1:-60}"
connections="${2:-100}"
port=5098
url="http://127.0.0.1:$port"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

# Starts run $1 of the app on the shared database; its stdout goes through a FIFO to `grep -c`,
# which counts the SERVER spans exported and prints the count when the app's stdout closes.
start() {
  mkfifo "$work/stdout$1"
  (LC_ALL=C grep -c $'^\tKind         : Server$' < "$work/stdout$1" > "$work/spans$1" || true) &
  pids+=($!)
  "$bin" --port "$port" --db "$work/tasks.db" > "$work/stdout$1" 2> "$work/stderr$1" &
  app=$!
  pids+=("$app")
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$url/" && return
    sleep 0.05
  done
  echo "todo did not start:" >&2
  cat "$work/stderr$1" >&2
  exit 2
}

# wrk's Lua: a form POST; each thread counts answers by status, done() sums them over threads
# and prints wrk's own error counts next to them, one `name value` per line.
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.path = "/add"
wrk.body = "task=soak"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) found, other = 0, 0 end
function response(status, headers, body)
  if status == 302 then found = found + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local f, o = 0, 0
  for _, t in ipairs(threads) do f = f + t:get("found"); o = o + t:get("other") end
  local e = summary.errors
  io.write(string.format("answered %d\nduration_us %d\nfound_302 %d\nother_status %d\n",
    summary.requests, summary.duration, f, o))
  io.write(string.format("connect %d\nread %d\nwrite %d\ntimeout %d\nlatency_p50_ms %.2f\nlatency_p99_ms %.2f\n",
    e.connect, e.read, e.write, e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

start 1
first=$app
wrk -t 2 -c "$connections" -d "${seconds}s" -s "$work/post.lua" "$url/" > "$work/wrk.txt" &
wrk_pid=$!
pids+=("$wrk_pid")
sleep $((seconds / 2))
kill -9 "$first"
wait "$first" 2>/dev/null || true
killed_at=$(date +%s.%N)
start 2
restarted_in=$(python3 -c "import time; print(f'{(time.time() - $killed_at) * 1000:.0f}')")
wait "$wrk_pid"

page_bytes=$(curl -s "$url/" | wc -c)
rss_kb=$(ps -o rss= -p "$app" | tr -d ' ')
kill -INT "$app"
wait "$app" || echo "todo exited with $? after SIGINT" >&2
wait

val() { awk -v k="$1" '$1 == k { print $2 }' "$work/wrk.txt"; }
rows=$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM tasks').fetchone()[0])" "$work/tasks.db")
found=$(val found_302)
answered=$(val answered)
lost=$((found > rows ? found - rows : 0))
dropped() {  # $1: the SDK's count field; summed over both runs' stderr
  cat "$work"/stderr1 "$work"/stderr2 | { grep -o "$1=[0-9]*" || true; } | awk -F= '{ s += $2 } END { print s + 0 }'
}

echo "soak: ${seconds} s, ${connections} connections, POST /add, kill -9 at $((seconds / 2)) s, restart in ${restarted_in} ms"
python3 -c "print(f'requests/s: {$answered / ($(val duration_us) / 1e6):.0f} ($answered answered; p50 $(val latency_p50_ms) ms, p99 $(val latency_p99_ms) ms)')"
echo "errors: $(val other_status) answers other than 302; sockets: connect $(val connect), read $(val read), write $(val write), timeout $(val timeout)"
echo "tasks: $found 302s received, $rows rows in the database: lost $lost, stored without a 302 reaching wrk $((rows > found ? rows - found : 0))"
echo "telemetry dropped (SDK stderr): $(dropped dropped_span_count) spans and $(dropped dropped_logs_count) log records counted at shutdown (the restarted process);" \
  "the killed process reported $(grep -c 'DroppingStarted' "$work/stderr1" || true) 'dropping started' warning(s) and can count nothing after kill -9"
echo "SERVER spans on stdout: $(cat "$work/spans1") before the kill + $(cat "$work/spans2") after, for $answered answered requests (+ the readiness probes)"
echo "end: GET / is $page_bytes bytes; the restarted app held $((rss_kb / 1024)) MiB RSS"
