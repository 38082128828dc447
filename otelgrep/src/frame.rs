//! The only module that imports polars: plain rows in, plain Rust rows out.
//!
//! Names are as of polars 0.55 (pinned in the workspace). Bucketing and key resolution happen
//! before rows get here; this module only groups and aggregates.

use polars::prelude::*;

/// polars' prelude has a `context` of its own: say which one explicitly.
fn ctx<T>(r: PolarsResult<T>, what: &'static str) -> anyhow::Result<T> {
    anyhow::Context::context(r, what)
}

/// One request, as `urls` counts it.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub method: String,
    /// Response status as printed (`200`), empty when unknown.
    pub status: String,
    pub start_ns: i64,
}

/// One URL's aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlSummary {
    pub url: String,
    pub count: usize,
    /// Methods seen, sorted.
    pub methods: Vec<String>,
    /// (status, count), by status.
    pub statuses: Vec<(String, usize)>,
    /// The first and last request's start, of those with a start time.
    pub first_ns: Option<i64>,
    pub last_ns: Option<i64>,
}

/// Groups requests by URL; most requested first, then by URL.
pub fn urls(requests: &[Request]) -> anyhow::Result<Vec<UrlSummary>> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let df = ctx(
        df!(
        "url" => requests.iter().map(|r| r.url.as_str()).collect::<Vec<_>>(),
        "method" => requests.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        "status" => requests.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
        // 0 is no start time (a span without times): left out of first and last seen.
        "t" => requests.iter().map(|r| (r.start_ns != 0).then_some(r.start_ns)).collect::<Vec<_>>(),
        ),
        "building the request frame",
    )?;
    // One row per (url, method, status): its count and time range. The per-URL fold below only
    // combines these few rows.
    let grouped = ctx(
        df.lazy()
            .group_by([col("url"), col("method"), col("status")])
            .agg([len().alias("n"), col("t").min().alias("first"), col("t").max().alias("last")])
            .sort(["url", "method", "status"], Default::default())
            .collect(),
        "grouping requests by URL",
    )?;
    let column =
        |name: &str| ctx(grouped.column(name).map(|c| c.as_materialized_series().clone()), "reading a result column");
    let (url, method, status) = (column("url")?, column("method")?, column("status")?);
    let (n, first, last) = (column("n")?, column("first")?, column("last")?);
    let (url, method, status) = (ctx(url.str(), "url")?, ctx(method.str(), "method")?, ctx(status.str(), "status")?);
    let (n, first, last) = (ctx(n.u32(), "n")?, ctx(first.i64(), "first")?, ctx(last.i64(), "last")?);
    let mut out: Vec<UrlSummary> = Vec::new();
    for i in 0..grouped.height() {
        let (u, m, s) = (url.get(i).unwrap_or(""), method.get(i).unwrap_or(""), status.get(i).unwrap_or(""));
        let (c, f, l) = (n.get(i).unwrap_or(0) as usize, first.get(i), last.get(i));
        if out.last().is_none_or(|o| o.url != u) {
            out.push(UrlSummary {
                url: u.to_string(),
                count: 0,
                methods: Vec::new(),
                statuses: Vec::new(),
                first_ns: f,
                last_ns: l,
            });
        }
        let o = out.last_mut().expect("pushed above");
        o.count += c;
        o.first_ns = o.first_ns.into_iter().chain(f).min();
        o.last_ns = o.last_ns.max(l);
        if !m.is_empty() && !o.methods.iter().any(|x| x == m) {
            o.methods.push(m.to_string());
        }
        match o.statuses.iter_mut().find(|(x, _)| x == s) {
            Some((_, k)) => *k += c,
            None => o.statuses.push((s.to_string(), c)),
        }
    }
    for o in &mut out {
        o.methods.sort();
        o.statuses.sort();
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| crate::render::natural_cmp(&a.url, &b.url)));
    Ok(out)
}

/// Request durations, column by column, as `latency` collects them.
#[derive(Debug, Clone, Default)]
pub struct Durations {
    /// One column per `--by` key; `None` where the span has no value for it.
    pub keys: Vec<Vec<Option<String>>>,
    pub start_ns: Vec<i64>,
    pub end_ns: Vec<i64>,
    pub error: Vec<bool>,
}

/// What `latency` asks of the durations.
#[derive(Debug, Clone)]
pub struct LatencyQuery {
    /// Percentiles in 0..=100.
    pub percentiles: Vec<f64>,
    /// `--every`: bucket width in ns.
    pub every_ns: Option<i64>,
    /// Slices of the covered time the sparkline shows; 0 for no sparkline.
    pub spark_slices: usize,
}

/// One group's figures; durations in nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyRow {
    pub keys: Vec<Option<String>>,
    /// Bucket start (ns), with `--every`.
    pub bucket: Option<i64>,
    pub count: u64,
    pub errors: u64,
    pub min: f64,
    pub max: f64,
    /// In the order the query gave the percentiles.
    pub percentiles: Vec<f64>,
    /// Median per slice of the covered time, `None` for slices without requests (overall rows
    /// only; empty when the query asked for no sparkline).
    pub spark: Vec<Option<f64>>,
}

/// Per group (and per bucket), and per group over the whole time.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// One row per group, with its sparkline.
    pub overall: Vec<LatencyRow>,
    /// With `--every`: one row per (bucket, group).
    pub buckets: Vec<LatencyRow>,
    /// First start and last end of all requests (ns), when there are any.
    pub covered: Option<(i64, i64)>,
}

/// Groups the durations by key (and bucket) and computes exact percentiles: linear
/// interpolation between the closest ranks, numpy's default (`QuantileMethod::Linear`).
/// Rows come out in no particular order: the command orders them.
pub fn latency(d: &Durations, q: &LatencyQuery) -> anyhow::Result<Latency> {
    let n = d.start_ns.len();
    if n == 0 {
        return Ok(Latency::default());
    }
    let t0 = *d.start_ns.iter().min().expect("n > 0");
    let t1 = *d.end_ns.iter().max().expect("n > 0").max(&t0);
    let key_names: Vec<String> = (0..d.keys.len()).map(|i| format!("k{i}")).collect();
    let mut columns: Vec<Column> = key_names
        .iter()
        .zip(&d.keys)
        .map(|(name, values)| Column::new(name.into(), values.iter().map(|v| v.as_deref()).collect::<Vec<_>>()))
        .collect();
    let durations: Vec<i64> = d.start_ns.iter().zip(&d.end_ns).map(|(s, e)| e - s).collect();
    columns.push(Column::new("d".into(), durations));
    columns.push(Column::new("err".into(), d.error.iter().map(|&e| u32::from(e)).collect::<Vec<_>>()));
    // The sparkline's slice of each request, by its start: equal slices of the covered time.
    let slices = q.spark_slices as i128;
    if slices > 0 {
        let width = i128::from(t1 - t0) + 1;
        let slice: Vec<u32> =
            d.start_ns.iter().map(|&s| ((i128::from(s - t0) * slices / width) as u32).min(slices as u32 - 1)).collect();
        columns.push(Column::new("slice".into(), slice));
    }
    if let Some(every) = q.every_ns {
        columns.push(Column::new(
            "bucket".into(),
            d.start_ns.iter().map(|s| s.div_euclid(every) * every).collect::<Vec<_>>(),
        ));
    }
    let df = ctx(DataFrame::new(n, columns), "building the duration frame")?;

    let figures = |group: &[&str]| -> anyhow::Result<Vec<LatencyRow>> {
        let mut aggs = vec![
            len().alias("n"),
            col("err").sum().cast(DataType::UInt64).alias("errors"),
            col("d").min().cast(DataType::Float64).alias("min"),
            col("d").max().cast(DataType::Float64).alias("max"),
        ];
        for (i, p) in q.percentiles.iter().enumerate() {
            aggs.push(
                col("d")
                    .quantile(lit(p / 100.0), QuantileMethod::Linear)
                    .cast(DataType::Float64)
                    .alias(format!("p{i}")),
            );
        }
        let out = ctx(
            df.clone().lazy().group_by(group.iter().map(|g| col(*g)).collect::<Vec<_>>()).agg(aggs).collect(),
            "aggregating durations",
        )?;
        let keys = key_columns(&out, &key_names)?;
        let bucket = if group.contains(&"bucket") { Some(series(&out, "bucket")?) } else { None };
        let bucket = bucket.as_ref().map(|b| ctx(b.i64(), "bucket")).transpose()?;
        let (count, errors) = (series(&out, "n")?, series(&out, "errors")?);
        let (count, errors) = (ctx(count.u32(), "n")?, ctx(errors.u64(), "errors")?);
        let (min, max) = (series(&out, "min")?, series(&out, "max")?);
        let (min, max) = (ctx(min.f64(), "min")?, ctx(max.f64(), "max")?);
        let ps: Vec<Series> =
            (0..q.percentiles.len()).map(|i| series(&out, &format!("p{i}"))).collect::<Result<_, _>>()?;
        let ps = ps.iter().map(|p| ctx(p.f64(), "percentile")).collect::<Result<Vec<_>, _>>()?;
        Ok((0..out.height())
            .map(|i| LatencyRow {
                keys: keys.iter().map(|k| k.get(i).map(str::to_string)).collect(),
                bucket: bucket.and_then(|b| b.get(i)),
                count: u64::from(count.get(i).unwrap_or(0)),
                errors: errors.get(i).unwrap_or(0),
                min: min.get(i).unwrap_or(f64::NAN),
                max: max.get(i).unwrap_or(f64::NAN),
                percentiles: ps.iter().map(|p| p.get(i).unwrap_or(f64::NAN)).collect(),
                spark: Vec::new(),
            })
            .collect())
    };
    let keys: Vec<&str> = key_names.iter().map(String::as_str).collect();
    let mut overall = figures(&keys)?;
    let buckets = if q.every_ns.is_some() {
        let mut with_bucket = keys.clone();
        with_bucket.push("bucket");
        figures(&with_bucket)?
    } else {
        Vec::new()
    };

    if slices == 0 {
        return Ok(Latency { overall, buckets, covered: Some((t0, t1)) });
    }
    // The sparkline: each group's median per slice.
    let mut by_slice = keys.iter().map(|k| col(*k)).collect::<Vec<_>>();
    by_slice.push(col("slice"));
    let medians = ctx(
        df.lazy().group_by(by_slice).agg([col("d").median().cast(DataType::Float64).alias("median")]).collect(),
        "slicing durations over time",
    )?;
    let mkeys = key_columns(&medians, &key_names)?;
    let (slice, median) = (series(&medians, "slice")?, series(&medians, "median")?);
    let (slice, median) = (ctx(slice.u32(), "slice")?, ctx(median.f64(), "median")?);
    let index: std::collections::HashMap<Vec<Option<String>>, usize> =
        overall.iter().enumerate().map(|(i, r)| (r.keys.clone(), i)).collect();
    for r in &mut overall {
        r.spark = vec![None; slices as usize];
    }
    for i in 0..medians.height() {
        let k: Vec<Option<String>> = mkeys.iter().map(|c| c.get(i).map(str::to_string)).collect();
        if let (Some(&row), Some(s), Some(m)) = (index.get(&k), slice.get(i), median.get(i)) {
            overall[row].spark[s as usize] = Some(m);
        }
    }
    Ok(Latency { overall, buckets, covered: Some((t0, t1)) })
}

fn series(df: &DataFrame, name: &str) -> anyhow::Result<Series> {
    ctx(df.column(name).map(|c| c.as_materialized_series().clone()), "reading a result column")
}

/// The key columns of a result, as string series (kept alive by the caller's frame).
fn key_columns<'a>(df: &'a DataFrame, names: &[String]) -> anyhow::Result<Vec<&'a StringChunked>> {
    names
        .iter()
        .map(|n| {
            let c = ctx(df.column(n), "reading a key column")?;
            ctx(c.str(), "key column")
        })
        .collect()
}
