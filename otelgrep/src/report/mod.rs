//! `otelgrep report`'s figures: what one pass over the inputs gathers for every section of the
//! page (`Gathered`: the summary's tally, the requests' durations, log severities, metric points,
//! the slowest traces' ids), what a second pass reads of those traces (`Traces`), and the figures
//! derived from them before anything is drawn: time buckets on one axis, log-spaced duration
//! bins, severity bands. Every number is computed by the code the other commands use (the
//! latency table is `latency --format json`'s own output); `chart` draws, `page` lays out.

pub mod chart;
pub mod page;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::cmd::latency::Samples;
use crate::cmd::summary::Tally;
use crate::cmd::{logs, metrics, wanted};
use crate::model::{LogRecord, MetricPoint, PointValue, Span, Temporality, Value};
use crate::parse::{Needs, Sink};

/// Warnings and errors listed on the page; the rest are counted.
pub const NOTABLE_SHOWN: usize = 200;
/// A listed log body is cut here.
const BODY_CHARS: usize = 300;

/// What every worker's sink needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub latency: crate::cmd::latency::Config,
    pub metrics: metrics::Config,
    /// How many slowest traces to keep.
    pub traces: usize,
}

/// A warning or error record, as the page lists it.
#[derive(Debug, Clone)]
pub struct Notable {
    pub time_ns: Option<i64>,
    pub severity: String,
    pub service: String,
    pub body: String,
    pub trace_id: Option<u128>,
}

/// One metric series' points, kept small: the first point whole (it names the series: its
/// attributes, resource, unit), then each point's time, start, temporality and value.
#[derive(Debug, Clone)]
pub struct Series {
    pub first: MetricPoint,
    pub points: Vec<(i64, Option<i64>, Option<Temporality>, PointValue)>,
}

impl Series {
    /// The points again, whole (one metric's at a time, when it is drawn).
    pub fn whole(&self) -> impl Iterator<Item = MetricPoint> + '_ {
        self.points.iter().map(|(time_ns, start_ns, temporality, value)| MetricPoint {
            time_ns: *time_ns,
            start_ns: *start_ns,
            temporality: *temporality,
            value: value.clone(),
            ..self.first.clone()
        })
    }
}

/// The first pass.
#[derive(Debug, Clone)]
pub struct Gathered {
    config: Config,
    pub tally: Tally,
    pub samples: Samples,
    /// The metric points `--service`, `--where` and the time window keep, by metric and series.
    pub series: HashMap<(String, String), Series>,
    /// Points whose values cannot be right (as `metrics` leaves them out).
    pub unreadable_points: usize,
    /// Each log record that passes the filters: (time, severity number; 0 when none is given).
    pub logs: Vec<(i64, u8)>,
    /// Log records without a time: counted, not drawn.
    pub untimed_logs: usize,
    /// Warnings and above.
    pub notable: Vec<Notable>,
    /// The slowest requests' (duration, trace), longest first, one per trace.
    pub slowest: Vec<(i64, u128)>,
}

impl Gathered {
    /// Keeps the `config.traces` slowest traces; ties go to the lower trace id.
    fn consider(&mut self, d: i64, trace: u128) {
        if let Some(i) = self.slowest.iter().position(|&(_, t)| t == trace) {
            if self.slowest[i].0 >= d {
                return;
            }
            self.slowest.remove(i);
        }
        let at = self.slowest.partition_point(|&(e, t)| e > d || (e == d && t < trace));
        if at < self.config.traces {
            self.slowest.insert(at, (d, trace));
            self.slowest.truncate(self.config.traces);
        }
    }

    fn log_passes(&self, l: &LogRecord) -> bool {
        let f = &self.config.latency.filter;
        l.time_ns.or(l.observed_time_ns).is_none_or(|t| f.in_time(t))
            && (f.services.is_empty() || l.resource.service_name().is_some_and(|n| f.services.iter().any(|s| s == n)))
    }
}

impl Sink for Gathered {
    type Config = Config;
    /// Attributes (keys, series), bodies (the listed records) and every signal; not events.
    const NEEDS: Needs = Needs { events: false, ..Needs::ALL };

    fn window(config: &Config) -> (Option<i64>, Option<i64>) {
        (config.latency.filter.since, config.latency.filter.until)
    }

    fn new(config: &Config) -> Self {
        Gathered {
            config: config.clone(),
            tally: Tally::new(&()),
            samples: Samples::new(&config.latency),
            series: HashMap::new(),
            unreadable_points: 0,
            logs: Vec::new(),
            untimed_logs: 0,
            notable: Vec::new(),
            slowest: Vec::new(),
        }
    }

    fn span(&mut self, s: Span) {
        let request = wanted(self.config.latency.kind, &s) && self.config.latency.filter.span(&s);
        if let Some(d) = s.duration_ns().filter(|_| request) {
            self.consider(d, s.trace_id);
        }
        self.tally.span(s.clone());
        self.samples.span(s);
    }

    fn log(&mut self, l: LogRecord) {
        if self.log_passes(&l) {
            let severity = logs::severity_of(&l).unwrap_or(0);
            match l.time_ns.or(l.observed_time_ns) {
                Some(t) => self.logs.push((t, severity)),
                None => self.untimed_logs += 1,
            }
            if severity >= 13 {
                let body = match &l.body {
                    Value::Str(s) => s.clone(),
                    v => v.to_string(),
                };
                self.notable.push(Notable {
                    time_ns: l.time_ns.or(l.observed_time_ns),
                    severity: logs::severity_name(&l),
                    service: l.resource.service_name().unwrap_or_default().to_string(),
                    body: if body.chars().count() > BODY_CHARS {
                        format!("{}…", body.chars().take(BODY_CHARS).collect::<String>())
                    } else {
                        body
                    },
                    trace_id: l.trace_id,
                });
            }
        }
        self.tally.log(l);
    }

    fn point(&mut self, p: MetricPoint) {
        if self.config.metrics.keeps(&p) {
            if crate::histogram::unreadable(p.kind, &p.value).is_some() {
                self.unreadable_points += 1;
            } else {
                let key = (p.name.clone(), metrics::series_id(&p));
                let point = (p.time_ns, p.start_ns, p.temporality, p.value.clone());
                match self.series.get_mut(&key) {
                    Some(series) => series.points.push(point),
                    None => {
                        self.series.insert(key, Series { first: p.clone(), points: vec![point] });
                    }
                }
            }
        }
        self.tally.point(p);
    }

    fn merge(&mut self, later: Self) {
        self.tally.merge(later.tally);
        self.samples.merge(later.samples);
        for (key, theirs) in later.series {
            match self.series.get_mut(&key) {
                Some(mine) => mine.points.extend(theirs.points),
                None => {
                    self.series.insert(key, theirs);
                }
            }
        }
        self.unreadable_points += later.unreadable_points;
        self.logs.extend(later.logs);
        self.untimed_logs += later.untimed_logs;
        self.notable.extend(later.notable);
        for (d, t) in later.slowest {
            self.consider(d, t);
        }
    }
}

/// The second pass: every span and log record of the slowest traces.
#[derive(Debug, Default)]
pub struct Traces {
    ids: HashSet<u128>,
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
}

impl Sink for Traces {
    type Config = HashSet<u128>;
    const NEEDS: Needs = Needs { logs: true, points: false, ..Needs::ALL };
    fn new(ids: &HashSet<u128>) -> Self {
        Traces { ids: ids.clone(), ..Traces::default() }
    }
    fn span(&mut self, s: Span) {
        if self.ids.contains(&s.trace_id) {
            self.spans.push(s);
        }
    }
    fn log(&mut self, l: LogRecord) {
        if l.trace_id.is_some_and(|t| self.ids.contains(&t)) {
            self.logs.push(l);
        }
    }
    fn point(&mut self, _: MetricPoint) {}
    fn merge(&mut self, later: Self) {
        self.spans.extend(later.spans);
        self.logs.extend(later.logs);
    }
}

/// Bucket widths the charts choose from: the first that cuts the covered time into at most
/// [`BUCKETS`] pieces.
const WIDTHS_S: [f64; 22] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0, 21600.0,
];
/// The most time buckets a chart draws (the page's size does not grow with the input's).
pub const BUCKETS: i64 = 120;
/// What the automatic width aims at.
const AIM: f64 = 60.0;

/// The charts' bucket width in ns for records from `t0` to `t1`: about 60 buckets, at most 120
/// (a width asked for that would give more is widened).
pub fn bucket_width(t0: i64, t1: i64, asked: Option<i64>) -> i64 {
    let span = (t1 - t0).max(1) as f64;
    let fits = |w: i64| span / (w as f64) <= BUCKETS as f64;
    if let Some(w) = asked.filter(|w| fits(*w)) {
        return w;
    }
    let aim = asked.map_or(span / AIM, |_| span / BUCKETS as f64);
    let day = 86_400e9;
    let w = WIDTHS_S.iter().map(|s| s * 1e9).find(|w| *w >= aim).unwrap_or((aim / day).ceil() * day);
    w as i64
}

/// Severity bands, as OpenTelemetry numbers them (1-4 TRACE ... 21-24 FATAL); 0 is none given.
pub fn band(severity: u8) -> &'static str {
    match severity {
        1..=4 => "TRACE",
        5..=8 => "DEBUG",
        9..=12 => "INFO",
        13..=16 => "WARN",
        17..=20 => "ERROR",
        21..=24 => "FATAL",
        _ => "(none)",
    }
}

/// Log records per band and bucket: band → (bucket start → count).
pub fn log_counts(logs: &[(i64, u8)], every: i64) -> BTreeMap<(u8, &'static str), BTreeMap<i64, u64>> {
    let mut out: BTreeMap<(u8, &'static str), BTreeMap<i64, u64>> = BTreeMap::new();
    for &(t, s) in logs {
        let order = if s == 0 { 0 } else { (s - 1) / 4 + 1 };
        *out.entry((order, band(s))).or_default().entry(t.div_euclid(every) * every).or_default() += 1;
    }
    out
}

/// Log-spaced bins of durations (ns), five a decade, each (lower ms, upper ms, count); empty
/// bins between the first and last kept, so the shape reads true.
pub fn duration_bins(durations_ns: &[i64]) -> Vec<(f64, f64, u64)> {
    const PER_DECADE: f64 = 5.0;
    // Durations under a microsecond share the first bin.
    let index = |ns: i64| ((ns.max(1_000) as f64 / 1e6).log10() * PER_DECADE).floor() as i64;
    let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
    for &d in durations_ns {
        *counts.entry(index(d)).or_default() += 1;
    }
    let (Some(&lo), Some(&hi)) = (counts.keys().next(), counts.keys().next_back()) else {
        return Vec::new();
    };
    let edge = |i: i64| 10f64.powf(i as f64 / PER_DECADE);
    (lo..=hi).map(|i| (edge(i), edge(i + 1), counts.get(&i).copied().unwrap_or(0))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_round_widths_about_sixty_to_the_capture() {
        let s = 1_000_000_000;
        assert_eq!(bucket_width(0, 60 * s, None), s);
        assert_eq!(bucket_width(0, 3600 * s, None), 60 * s);
        assert_eq!(bucket_width(0, 5 * s, None), 100_000_000);
        // Asked for: kept while it gives at most 120 buckets, else widened.
        assert_eq!(bucket_width(0, 60 * s, Some(10 * s)), 10 * s);
        assert_eq!(bucket_width(0, 3600 * s, Some(s)), 30 * s);
        assert_eq!(bucket_width(0, 30 * 86_400 * s, None), 86_400 * s);
    }

    #[test]
    fn durations_fall_in_log_bins_with_the_gaps_kept() {
        // 1 ms, 1.5 ms, 100 ms: bins from 1 ms to 100 ms, five a decade.
        let bins = duration_bins(&[1_000_000, 1_500_000, 100_000_000]);
        assert_eq!(bins.len(), 11);
        assert_eq!((bins[0].0, bins[0].2), (1.0, 2), "1.5 ms is under the second edge, 10^0.2 = 1.585");
        assert_eq!(bins[1].2, 0);
        assert_eq!(bins.iter().map(|b| b.2).sum::<u64>(), 3);
        assert_eq!(bins[10].2, 1);
    }

    #[test]
    fn severities_fall_in_their_bands() {
        let counts = log_counts(&[(5, 9), (15, 13), (16, 17), (25, 0)], 10);
        let names: Vec<&str> = counts.keys().map(|k| k.1).collect();
        assert_eq!(names, ["(none)", "INFO", "WARN", "ERROR"]);
        assert_eq!(counts[&(3, "INFO")][&0], 1);
    }
}
