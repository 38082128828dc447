//! The long help that follows each subcommand's options: its examples (the README's commands, so
//! `--help` and `man` show what works), then what the options alone do not say, then the exit
//! codes. `tests/cli.rs` parses every example line, so none goes stale.

pub const SUMMARY_HELP: &str = concat!(
    "Examples:
  otelgrep summary output.log
  otelgrep summary --format json collector-out/
  docker compose logs | otelgrep summary -

",
    exit_codes!()
);

pub const URLS_HELP: &str = concat!(
    "Examples:
  otelgrep urls output.log
  otelgrep urls --template --top 5 output.log
  otelgrep urls --sql duckdb telemetry/

",
    exit_codes!()
);

pub const LATENCY_HELP: &str = concat!(
    "Examples:
  otelgrep latency --by url output.log
  otelgrep latency --by route,status --every 1m --format csv output.log
  otelgrep latency --by method --where 'status>=500' --since 10m output.log
  otelgrep latency --by service.instance.id --percentiles 50 output.log
  otelgrep latency --by route -f output.log
  otelgrep latency --by route --sql duckdb telemetry/

Errors are requests answered 5xx or whose span status is ERROR. Requests per second divide the
count by the time the filtered requests cover (first start to last end), or by the bucket width
with --every. The sparkline shows each group's median latency in 12 equal slices of that time,
scaled from zero to the group's highest slice.

",
    exit_codes!()
);

pub const SPANS_HELP: &str = concat!(
    "Examples:
  otelgrep spans --errors --kind server --top 3 output.log
  otelgrep spans --slowest 10 --columns db.statement output.log
  otelgrep spans --trace ba2b404d output.log
  otelgrep spans --errors -f output.log

",
    exit_codes!()
);

pub const TRACE_HELP: &str = concat!(
    "Examples:
  otelgrep trace ba2b404d output.log
  otelgrep trace --slowest output.log
  otelgrep trace --slowest --format json output.log

",
    exit_codes!()
);

pub const LOGS_HELP: &str = concat!(
    "Examples:
  otelgrep logs --level warn output.log
  otelgrep logs --where 'status>=500' --top 3 output.log
  otelgrep logs --grep 'timeout|refused' --full output.log

--where, --since, --until and --service apply as for spans: --where tests the request
(the entry span of the record's trace), so `--where 'status>=500'` lists what failed requests
logged; records without a request never pass a --where comparison.

",
    exit_codes!()
);

pub const METRICS_HELP: &str = concat!(
    "Examples:
  otelgrep metrics output.log
  otelgrep metrics http.server.duration --compare-spans output.log
  otelgrep metrics todo_app_requests_total --where endpoint=tasks_create --every 1m output.log

Cumulative counters become deltas between consecutive exports of a series; a value lower than
the one before, or a new start time, is a reset (a new process): the delta is then the new value,
never negative. Delta exports are taken as they are. Histogram percentiles are estimated from the
buckets, linearly within a bucket (as Prometheus' histogram_quantile), the bucket narrowed to the
point's min and max when it has them; the output says so.
--compare-spans puts those estimates next to the exact percentiles of the spans of the same routes.
The first positional argument is a metric NAME when it is not an existing file. The filters apply
to data points: --where to their attributes (`--where http.route=/add`), --since and --until to
their time, --service to their resource.

",
    exit_codes!()
);

pub const EXPORT_HELP: &str = concat!(
    "Examples:
  otelgrep export --out todo.jsonl output.log
  otelgrep export --to parquet --partition-by service,date --out telemetry/ output.log

",
    exit_codes!()
);

pub const REPORT_HELP: &str = concat!(
    "Examples:
  otelgrep report output.log
  otelgrep report --by url --every 10s -o todo.html output.log
  otelgrep report --service frontend --since 2026-11-27T10:00:00Z collector-out/

The page holds: what the capture holds and what could not be read; per group of requests (--by),
requests per second, error rate and p50/p95/p99 latency over time, on one time axis, and each
group's distribution of durations (log scale); the table `otelgrep latency --format json` gives;
the slowest traces as waterfalls with their events and logs; log records per severity over time,
with the warnings and errors listed; each metric over time (counters as rates, gauges as values,
histograms as estimated medians, marked as estimates). The charts are SVG inside the page: it
opens from disk with no network, prints, and stays small whatever the input's size (figures are
aggregated into at most 120 time buckets before they are drawn).

",
    exit_codes!()
);

pub const COMPLETIONS_HELP: &str = "Examples:
  otelgrep completions bash > ~/.local/share/bash-completion/completions/otelgrep
  otelgrep completions zsh > ~/.zfunc/_otelgrep
  otelgrep completions fish > ~/.config/fish/completions/otelgrep.fish
  otelgrep completions powershell >> $PROFILE
";

pub const MAN_HELP: &str = "Examples:
  otelgrep man | man -l -
  otelgrep man latency | man -l -
  otelgrep man --out /usr/local/share/man/man1
";
