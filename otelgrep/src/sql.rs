//! `latency --sql ENGINE` (and `urls --sql`): the query that computes the `latency` table on DuckDB, ClickHouse or
//! Spark over an export folder, for when one machine is not enough. Same requests (`--kind`), same
//! filters (`--where`, `--since`, `--until`, `--service`), same groups (the `--by` keys resolved as
//! `keys.rs` resolves them, from the columns `columnar` writes), same buckets, and the same
//! percentile definition (linear interpolation between closest ranks: DuckDB `quantile_cont`,
//! ClickHouse `quantileExactInclusive`, Spark `percentile`); the columns are `--format csv`'s.
//!
//! Only text is made here: nothing runs a query. What cannot be said in SQL (`--template`,
//! `--sort`, `--top` with `--every`) is refused with a reason rather than approximated.

use std::cmp::Ordering;

use crate::cli::{KindFilter, LatencyArgs, SqlEngine, UrlsArgs};
use crate::cmd::urls::NO_URL;
use crate::filter::{Filter, Test, Where};
use crate::keys::Key;

/// What differs between the engines.
struct Dialect(SqlEngine);

impl Dialect {
    fn ident(&self, name: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("\"{}\"", name.replace('"', "\"\"")),
            _ => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// A string literal. ClickHouse and Spark read backslashes as escapes in literals; DuckDB
    /// does not.
    fn text(&self, s: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("'{}'", s.replace('\'', "''")),
            _ => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    /// The spans table of an export folder.
    fn spans(&self, dir: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => {
                format!("read_parquet({}, hive_partitioning = false)", self.text(&format!("{dir}/spans/**/*.parquet")))
            }
            SqlEngine::Clickhouse => format!("file({}, Parquet)", self.text(&format!("{dir}/spans/**/*.parquet"))),
            SqlEngine::Spark => format!("parquet.`{dir}/spans`"),
        }
    }

    /// Statements before the query.
    fn prelude(&self) -> &'static str {
        match self.0 {
            // Spark reads Parquet's nanosecond timestamps only as their integers, and formats
            // times in the session's zone.
            SqlEngine::Spark => "SET spark.sql.legacy.parquet.nanosAsLong=true;\nSET spark.sql.session.timeZone=UTC;\n",
            _ => "",
        }
    }

    /// A time column as integer nanoseconds.
    fn nanos(&self, column: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("epoch_ns({column})"),
            SqlEngine::Clickhouse => format!("toUnixTimestamp64Nano({column})"),
            SqlEngine::Spark => column.to_string(),
        }
    }

    /// A map's value for a key, NULL where the key is absent.
    fn entry(&self, map: &str, key: &str) -> String {
        let k = self.text(key);
        match self.0 {
            SqlEngine::Duckdb => format!("{map}[{k}]"),
            SqlEngine::Clickhouse => format!("if(mapContains({map}, {k}), {map}[{k}], NULL)"),
            SqlEngine::Spark => format!("try_element_at({map}, {k})"),
        }
    }

    fn double(&self, x: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("TRY_CAST({x} AS DOUBLE)"),
            SqlEngine::Clickhouse => format!("toFloat64OrNull({x})"),
            SqlEngine::Spark => format!("try_cast({x} AS DOUBLE)"),
        }
    }

    /// Whether `re` matches anywhere in `x`.
    fn regex(&self, x: &str, re: &str) -> String {
        let re = self.text(re);
        match self.0 {
            SqlEngine::Duckdb => format!("regexp_matches({x}, {re})"),
            SqlEngine::Clickhouse => format!("match({x}, {re})"),
            SqlEngine::Spark => format!("{x} RLIKE {re}"),
        }
    }

    /// An integer as its decimal text.
    fn to_text(&self, x: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("CAST({x} AS VARCHAR)"),
            SqlEngine::Clickhouse => format!("toString({x})"),
            SqlEngine::Spark => format!("CAST({x} AS STRING)"),
        }
    }

    /// Distinct values of a column, sorted, joined by `, ` (`GET, POST`).
    fn joined_set(&self, x: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("array_to_string(list_sort(list_distinct(list({x}))), ', ')"),
            SqlEngine::Clickhouse => format!("arrayStringConcat(arraySort(groupUniqArray({x})), ', ')"),
            SqlEngine::Spark => format!("array_join(array_sort(collect_set({x})), ', ')"),
        }
    }

    /// `shown` of every row, ordered by `by`, joined by `, `.
    fn joined_by(&self, shown: &str, by: &str) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("array_to_string(list({shown} ORDER BY {by}), ', ')"),
            SqlEngine::Clickhouse => {
                format!("arrayStringConcat(arrayMap(x -> x.2, arraySort(x -> x.1, groupArray(({by}, {shown})))), ', ')")
            }
            SqlEngine::Spark => {
                format!("array_join(transform(array_sort(collect_list(struct({by}, {shown}))), x -> x.col2), ', ')")
            }
        }
    }

    /// Nanoseconds since the epoch as `2026-11-27T23:37:19.814807Z` (microseconds, as otelgrep prints).
    fn rfc3339_micros(&self, ns: &str) -> String {
        let micros = self.div(ns, 1000);
        match self.0 {
            SqlEngine::Duckdb => format!("strftime(make_timestamp({micros}), '%Y-%m-%dT%H:%M:%S.%fZ')"),
            SqlEngine::Clickhouse => {
                format!("formatDateTime(fromUnixTimestamp64Micro({micros}, 'UTC'), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC')")
            }
            SqlEngine::Spark => format!("date_format(timestamp_micros({micros}), \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'\")"),
        }
    }

    fn quantile(&self, x: &str, q: f64) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("quantile_cont({x}, {q})"),
            SqlEngine::Clickhouse => format!("quantileExactInclusive({q})({x})"),
            SqlEngine::Spark => format!("percentile({x}, {q})"),
        }
    }

    fn div(&self, a: &str, b: i64) -> String {
        match self.0 {
            SqlEngine::Duckdb => format!("({a} // {b})"),
            SqlEngine::Clickhouse => format!("intDiv({a}, {b})"),
            SqlEngine::Spark => format!("div({a}, {b})"),
        }
    }

    /// Nanoseconds since the epoch (whole seconds) as `2026-11-27T23:37:10Z`.
    fn rfc3339(&self, ns: &str) -> String {
        let seconds = self.div(ns, 1_000_000_000);
        match self.0 {
            SqlEngine::Duckdb => format!("strftime(to_timestamp({seconds}) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"),
            SqlEngine::Clickhouse => {
                format!("formatDateTime(toDateTime({seconds}, 'UTC'), '%Y-%m-%dT%H:%i:%SZ', 'UTC')")
            }
            SqlEngine::Spark => format!("date_format(timestamp_seconds({seconds}), \"yyyy-MM-dd'T'HH:mm:ss'Z'\")"),
        }
    }
}

/// A span attribute as text (`attribute_text`): NULL when absent, empty, or of no value.
fn text_attr(d: &Dialect, key: &str) -> String {
    format!("nullif({}, '')", d.entry("SpanAttributes", key))
}

/// An attribute asked for by name (`keys::attribute`): NULL when absent or of no value (an empty
/// string is a value); the span's own, else its resource's, unless `resource_only`.
fn named_attr(d: &Dialect, key: &str, resource_only: bool) -> String {
    let one = |map: &str, kinds: &str| {
        format!("CASE WHEN {} = 'empty' THEN NULL ELSE {} END", d.entry(kinds, key), d.entry(map, key))
    };
    let resource = one("ResourceAttributes", "ResourceAttributeTypes");
    if resource_only {
        return resource;
    }
    format!("coalesce({}, {resource})", one("SpanAttributes", "SpanAttributeTypes"))
}

/// A `--by` or `--where` key's value per span.
fn key(d: &Dialect, key: &Key) -> anyhow::Result<String> {
    Ok(match key {
        Key::Url => "HttpUrl".into(),
        Key::Route => "coalesce(HttpRoute, SpanName)".into(),
        Key::Target => "HttpTarget".into(),
        Key::Method => "HttpMethod".into(),
        Key::Status => "HttpStatus".into(),
        Key::Service => "nullif(ServiceName, '')".into(),
        Key::Name => "SpanName".into(),
        Key::Kind => "substr(SpanKind, 11)".into(),
        Key::SpanStatus => "substr(StatusCode, 13)".into(),
        Key::Scope => "nullif(ScopeName, '')".into(),
        Key::ScopeVersion => "nullif(ScopeVersion, '')".into(),
        Key::Resource(name) => named_attr(d, name, true),
        Key::Attribute(name) => match name.as_str() {
            "http.url" => format!("coalesce({}, HttpUrl)", text_attr(d, "http.url")),
            "http.target" => format!("coalesce({}, HttpTarget)", text_attr(d, "http.target")),
            "http.status_code" => {
                format!("coalesce({}, {})", text_attr(d, "http.status_code"), text_attr(d, "http.response.status_code"))
            }
            "http.method" => {
                format!("coalesce({}, {})", text_attr(d, "http.method"), text_attr(d, "http.request.method"))
            }
            other => named_attr(d, other, false),
        },
    })
}

/// A `--where` expression as a condition.
fn condition(d: &Dialect, w: &Where) -> anyhow::Result<String> {
    let v = match (&w.key, &w.test) {
        // Having a route is having `http.route`, as in `Where::matches`.
        (Key::Route, Test::Exists | Test::Missing) => "HttpRoute".to_string(),
        (k, _) => key(d, k)?,
    };
    Ok(match &w.test {
        Test::Exists => format!("{v} IS NOT NULL"),
        Test::Missing => format!("{v} IS NULL"),
        Test::Cmp(ord, want, operand) => {
            let op = match (ord, want) {
                (Ordering::Equal, true) => "=",
                (Ordering::Equal, false) => "<>",
                (Ordering::Greater, true) => ">",
                (Ordering::Greater, false) => "<=",
                (Ordering::Less, true) => "<",
                (Ordering::Less, false) => ">=",
            };
            match operand.parse::<f64>() {
                // A number: values compare as numbers; one that is not a number is only unequal.
                Ok(n) if !n.is_nan() && n.is_finite() => {
                    let unequal = if *ord == Ordering::Equal && !want { "TRUE" } else { "FALSE" };
                    let x = d.double(&v);
                    format!("({v} IS NOT NULL AND CASE WHEN {x} IS NULL THEN {unequal} ELSE {x} {op} {n:?} END)")
                }
                _ => format!("{v} {op} {}", d.text(operand)),
            }
        }
        Test::Class(class, want) => {
            let is = d.regex(&v, &format!("^{class}[0-9][0-9]$"));
            format!("({v} IS NOT NULL AND {}({is}))", if *want { "" } else { "NOT " })
        }
        Test::Matches(re, want) => {
            let is = d.regex(&v, re.as_str());
            format!("({v} IS NOT NULL AND {}({is}))", if *want { "" } else { "NOT " })
        }
    })
}

/// Which spans are requests.
fn kind(kind: KindFilter) -> String {
    let named = |k: &str| format!("SpanKind = 'SPAN_KIND_{k}'");
    match kind {
        KindFilter::Entry => "IsEntry".into(),
        KindFilter::Server => named("SERVER"),
        KindFilter::Client => named("CLIENT"),
        KindFilter::Internal => named("INTERNAL"),
        KindFilter::Producer => named("PRODUCER"),
        KindFilter::Consumer => named("CONSUMER"),
        KindFilter::All => "TRUE".into(),
    }
}

/// The conditions of `--kind` and the shared filters (`--since` and `--until` on the span's start).
fn filters(d: &Dialect, kinds: KindFilter, filter: &Filter) -> anyhow::Result<Vec<String>> {
    let mut conditions = vec![kind(kinds)];
    let start = d.nanos("Timestamp");
    if let Some(since) = filter.since {
        conditions.push(format!("{start} >= {since}"));
    }
    if let Some(until) = filter.until {
        conditions.push(format!("{start} < {until}"));
    }
    if !filter.services.is_empty() {
        let names: Vec<String> = filter.services.iter().map(|s| d.text(s)).collect();
        conditions.push(format!("ServiceName IN ({})", names.join(", ")));
    }
    for w in &filter.wheres {
        conditions.push(condition(d, w)?);
    }
    Ok(conditions)
}

/// The query for `latency` with these arguments over the export folder `dir`.
pub fn latency(
    args: &LatencyArgs,
    engine: SqlEngine,
    filter: &Filter,
    every_ns: Option<i64>,
    dir: &str,
) -> anyhow::Result<String> {
    if args.template {
        anyhow::bail!("--sql: --template collapses identifiers in Rust; group by route (http.route) instead");
    }
    if args.table.sort.is_some() {
        anyhow::bail!("--sql: --sort is not part of the query: order the result in the engine");
    }
    if args.table.top.is_some() && every_ns.is_some() {
        anyhow::bail!("--sql: --top with --every is not part of the query: give one of them");
    }
    let d = Dialect(engine);
    let keys: Vec<(String, String)> = args
        .by
        .iter()
        .map(|k| Ok((k.trim().to_string(), key(&d, &Key::parse(k.trim()))?)))
        .collect::<anyhow::Result<_>>()?;
    let mut conditions = filters(&d, args.kind, filter)?;
    conditions.push("Duration IS NOT NULL".to_string());
    let start = d.nanos("Timestamp");
    let mut q = String::new();
    q.push_str(&format!("-- otelgrep latency --by {} over {dir}\n", args.by.join(",")));
    q.push_str(d.prelude());
    q.push_str("WITH requests AS (\n  SELECT\n");
    for (i, (_, expr)) in keys.iter().enumerate() {
        q.push_str(&format!("    {expr} AS k{i},\n"));
    }
    q.push_str(&format!("    {start} AS start_ns,\n    {start} + Duration AS end_ns,\n    Duration AS d,\n"));
    q.push_str(&format!(
        "    CASE WHEN StatusCode = 'STATUS_CODE_ERROR' OR {} BETWEEN 500 AND 599 THEN 1 ELSE 0 END AS failed\n",
        d.double("HttpStatus")
    ));
    q.push_str(&format!("  FROM {}\n  WHERE {}\n),\n", d.spans(dir), conditions.join("\n    AND ")));
    q.push_str("covered AS (SELECT (max(end_ns) - min(start_ns)) / 1e9 AS seconds FROM requests)\nSELECT\n");
    let mut columns: Vec<String> =
        keys.iter().enumerate().map(|(i, (name, _))| format!("  k{i} AS {}", d.ident(name))).collect();
    let seconds = match every_ns {
        Some(every) => {
            let bucket = format!("{} * {every}", d.div("start_ns", every));
            columns.push(format!("  {} AS bucket", d.rfc3339(&bucket)));
            format!("{}", every as f64 / 1e9)
        }
        None => "nullif((SELECT seconds FROM covered), 0)".to_string(),
    };
    let unit = args.unit.ns();
    columns.push("  count(*) AS count".into());
    columns.push("  sum(failed) AS errors".into());
    columns.push("  100.0 * sum(failed) / count(*) AS error_pct".into());
    columns.push(format!("  count(*) / {seconds} AS rps"));
    columns.push(format!("  min(d) / {unit:?} AS min"));
    for p in &args.percentiles {
        columns.push(format!("  {} / {unit:?} AS {}", d.quantile("d", p / 100.0), d.ident(&format!("p{p}"))));
    }
    columns.push(format!("  max(d) / {unit:?} AS max"));
    q.push_str(&columns.join(",\n"));
    q.push_str("\nFROM requests\nGROUP BY ");
    let mut groups: Vec<String> = (0..keys.len()).map(|i| format!("k{i}")).collect();
    if every_ns.is_some() {
        groups.push(d.div("start_ns", every_ns.unwrap_or(1)));
    }
    q.push_str(&groups.join(", "));
    let keys_order: Vec<String> = (0..keys.len()).map(|i| format!("k{i} NULLS LAST")).collect();
    let order = match every_ns {
        Some(_) => format!("bucket, count DESC, {}", keys_order.join(", ")),
        None => format!("count DESC, {}", keys_order.join(", ")),
    };
    q.push_str(&format!("\nORDER BY {order}"));
    if let Some(n) = args.table.top {
        q.push_str(&format!("\nLIMIT {n}"));
    }
    q.push_str(";\n");
    Ok(q)
}

/// The query for `urls` with these arguments over the export folder `dir`: per URL, its count,
/// methods, statuses with their counts, and first and last request, as `--format csv` prints them.
pub fn urls(args: &UrlsArgs, engine: SqlEngine, filter: &Filter, dir: &str) -> anyhow::Result<String> {
    if args.template {
        anyhow::bail!("--sql: --template collapses identifiers in Rust; query latency --by route instead");
    }
    if args.table.sort.is_some() {
        anyhow::bail!("--sql: --sort is not part of the query: order the result in the engine");
    }
    let d = Dialect(engine);
    let conditions = filters(&d, args.kind, filter)?;
    let none = d.text(NO_URL);
    let shown = format!("concat(CASE WHEN status = '' THEN '(none)' ELSE status END, '×', {})", d.to_text("n"));
    let tally = d.joined_by(&shown, "status");
    let mut q = format!("-- otelgrep urls over {dir}\n{}", d.prelude());
    q.push_str(&format!(
        "WITH requests AS (\n  SELECT\n    coalesce(HttpUrl, {none}) AS url,\n    HttpMethod AS method,\n    \
         coalesce(HttpStatus, '') AS status,\n    {} AS start_ns\n  FROM {}\n  WHERE {}\n),\n",
        d.nanos("Timestamp"),
        d.spans(dir),
        conditions.join("\n    AND ")
    ));
    q.push_str("statuses AS (SELECT url, status, count(*) AS n FROM requests GROUP BY url, status),\n");
    q.push_str(&format!("tallies AS (SELECT url, {tally} AS statuses FROM statuses GROUP BY url),\n"));
    q.push_str(&format!(
        "grouped AS (\n  SELECT url, count(*) AS n, {} AS methods, min(start_ns) AS first_ns, max(start_ns) AS last_ns\n  \
         FROM requests GROUP BY url\n)\n",
        d.joined_set("method")
    ));
    q.push_str(&format!(
        "SELECT\n  CASE WHEN g.url = {none} THEN NULL ELSE g.url END AS url,\n  g.n AS count,\n  g.methods AS methods,\n  \
         t.statuses AS statuses,\n  {} AS first_seen,\n  {} AS last_seen\nFROM grouped g JOIN tallies t ON g.url = t.url\n\
         ORDER BY count DESC, url NULLS LAST",
        d.rfc3339_micros("g.first_ns"),
        d.rfc3339_micros("g.last_ns")
    ));
    if let Some(n) = args.table.top {
        q.push_str(&format!("\nLIMIT {n}"));
    }
    q.push_str(";\n");
    Ok(q)
}
