#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus, fuzz/seeds/TARGET/NAME, from the real captures.

Usage: fuzz/make_seeds.py   (from anywhere; the seeds are committed, run it again when the samples
or the targets change)

Each target gets what its reader is for: single records for the record parsers, values for the
value grammars, and pieces of every capture (cut at line breaks, at most SEED_BYTES) for the
framers and the whole pipeline. The targets that take a leading byte (the format for `framer`,
the piece size for `stream`, the record kind for `go_json`) get it here. The sources: the
project's samples/, ../shared/samples and ../shared/conformance (files the OpenTelemetry projects
wrote), and the test fixtures. otlp_proto seeds are written by the official opentelemetry-proto
package (otelgrep/tests/fixtures/conformance/to_proto.py) when its Python is given as
OTELGREP_PYTHON.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
OUT = os.path.join(ROOT, "fuzz", "seeds")
SEED_BYTES = 6000


def files(*dirs):
    for d in dirs:
        for base, _, names in sorted(os.walk(d)):
            for n in sorted(names):
                if not n.endswith((".md", ".tsv", ".js", ".py", ".sh")):
                    yield os.path.join(base, n)


CAPTURES = list(files(os.path.join(ROOT, "samples"), os.path.join(SHARED, "samples"), os.path.join(SHARED, "conformance"),
                      os.path.join(ROOT, "otelgrep", "tests", "fixtures")))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(target, data, prefix=b""):
    data = prefix + data
    if not data or len(data) > SEED_BYTES + 1:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def pieces(data, count=3):
    """Up to `count` pieces of at most SEED_BYTES, cut at line breaks: the start, the middle, the end."""
    starts = [0, len(data) // 2, max(0, len(data) - SEED_BYTES)][:count]
    for s in sorted(set(starts)):
        if s:
            s = data.find(b"\n", s) + 1
        piece = data[s:s + SEED_BYTES]
        if len(data) > s + SEED_BYTES:
            piece = piece[:piece.rfind(b"\n") + 1]
        if piece:
            yield piece


def objects(data):
    """Column-0 brace objects (Python, Node, Go pretty), as the framer cuts them."""
    return re.findall(rb"(?ms)^\{$.*?^\}$", data)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    values_seen = set()
    for path in CAPTURES:
        data = read(path)
        if b"\x00" in data[:64]:
            continue
        name = os.path.basename(path)
        for piece in pieces(data):
            for fmt in ([0, 1, 2, 3, 5, 6, 7] if len(piece) < 2500 else [0]):
                write("framer", piece, bytes([fmt]))
            write("stream", piece, bytes([61]))
            write("arrival", piece)
            write("pipeline", piece)
        # Records, as each parser is given them.
        seen = set()
        for obj in objects(data):
            shape = re.sub(rb'"[^"]*"|[0-9.]+', b"", obj)[:400]
            if shape in seen:
                continue
            seen.add(shape)
            if name.startswith(("flask", "python", "todo-console")) or b'"context": {' in obj:
                write("python_json", obj)
            elif name.startswith(("sdk-node", "node")):
                write("node_console", obj)
                write("values", obj)
            elif name.startswith("go-"):
                kind = 1 if b'"ScopeMetrics"' in obj or b'"Scope"' in obj and b'"Metrics"' in obj else 0
                kind = 2 if b'"Severity"' in obj or b'"ObservedTimestamp"' in obj else kind
                write("go_json", obj, bytes([kind]))
        for line in data.splitlines():
            stripped = line.strip()
            if stripped.startswith((b'{"resourceSpans"', b'{"resourceMetrics"', b'{"resourceLogs"', b'{"resource_')):
                write("otlp_json", stripped)
            if name.startswith("go-") and stripped.startswith(b'{"'):
                write("go_json", stripped, b"\x00")
            if name.startswith("python-sdk") and stripped.startswith(b'{"'):
                write("python_json", stripped)
            # Values of the text formats: `-> key=String(Static("x"))`, `-> key: Str(x)`.
            m = re.match(rb"\s*->\s*[^=:]+[=:] ?(.*)$", line)
            value_shape = m and re.sub(rb"[A-Za-z0-9_.-]+", b"a", m.group(1))
            if m and value_shape not in values_seen:
                values_seen.add(value_shape)
                write("values", m.group(1))
        if name.endswith(".json") and len(data) <= SEED_BYTES:
            write("otlp_json", data)
    # Wrapped the ways captures arrive: compose, CRI, kubectl --prefix, UTF-16LE, colour.
    flask = read(os.path.join(ROOT, "samples", "python-flask", "flask-default.log"))
    rust = read(os.path.join(ROOT, "samples", "rust-stdout", "rust-stdout.log"))
    for base in (next(pieces(flask)), next(pieces(rust))):
        short = base[:2500]
        lines = short.splitlines(keepends=True)
        write("arrival", b"".join(b"todo-1  | " + l for l in lines))
        write("arrival", b"".join(b"2026-11-28T10:00:00.000000000Z stdout F " + l for l in lines))
        write("arrival", b"".join(b"[pod/todo-1/app] " + l for l in lines))
        write("arrival", b"\xff\xfe" + short.decode("utf-8", "replace").encode("utf-16-le"))
        write("arrival", b"".join(b"\x1b[36m" + l.rstrip(b"\n") + b"\x1b[0m\n" for l in lines))
    # The filters: the README's expressions and times, and some that must be refused.
    for arg in ["status>=500", "status=5xx", "url~^/add", "http.route exists", "service.name!=todo",
                "resource.service.name=todo", "http.method != GET", "deep.attr missing", "2026-11-28",
                "2026-11-28T10:00:00Z", "2026-11-28T10:00:00+02:00", "90s", "10m", "2h", "1d", "500ms", "1w",
                "status>=NaN", "url!~'a(b'"]:
        write("filters", arg.encode())
    write("filters", b"2026-11-28T00:00:00Z\n2026-11-29\nstatus>=400\nurl~add\n")
    python = os.environ.get("OTELGREP_PYTHON")
    if python:
        to_proto = os.path.join(ROOT, "otelgrep", "tests", "fixtures", "conformance", "to_proto.py")
        with tempfile.TemporaryDirectory() as tmp:
            for path in CAPTURES:
                if not path.endswith((".jsonl", ".json")) or os.path.getsize(path) > 200_000:
                    continue
                out = os.path.join(tmp, "out.binpb")
                if subprocess.run([python, to_proto, path, out], capture_output=True).returncode == 0:
                    data = read(out)
                    write("otlp_proto", data[:SEED_BYTES])
                    write("framer", data[:SEED_BYTES], bytes([4]))
                    write("pipeline", data[:SEED_BYTES])
    for t in sorted(os.listdir(OUT)):
        d = os.path.join(OUT, t)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print(f"{t:14} {len(os.listdir(d)):4} seeds {size:8} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
