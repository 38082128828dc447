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
    pub first_ns: i64,
    pub last_ns: i64,
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
        "t" => requests.iter().map(|r| r.start_ns).collect::<Vec<_>>(),
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
        let (c, f, l) = (n.get(i).unwrap_or(0) as usize, first.get(i).unwrap_or(0), last.get(i).unwrap_or(0));
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
        o.first_ns = o.first_ns.min(f);
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
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.url.cmp(&b.url)));
    Ok(out)
}
