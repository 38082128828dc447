//! The filters every query command shares: `--where`, `--since/--until` and `--service`.
//!
//! Expressions are parsed once, before any input is read, so a typo is an argument error (exit 2)
//! and not a silent empty table. A filter is a pure predicate over a span, built to be shared by
//! the worker threads (`Sync`), and applied as records arrive so rejected spans are never kept.
//! Keys resolve exactly as `--by` keys do (`keys.rs`), across semantic-convention renames.

use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

use regex::Regex;

use crate::keys::{Key, resolve, route};
use crate::model::{Span, SpanKind, StatusCode};
use crate::parse::time::parse_utc;

/// What a `--where` expression compares with.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Exists,
    Missing,
    Cmp(Ordering, bool, String),
    /// `status=5xx`: a status class.
    Class(u8, bool),
    Matches(Regex, bool),
}

/// One `--where` expression.
#[derive(Debug, Clone)]
pub struct Where {
    pub(crate) key: Key,
    /// The key as typed: a metric point's own attribute of that name comes before any alias.
    typed: String,
    pub(crate) test: Test,
    /// The test on the value as typed, where `test`'s was put in a key's form (`kind=server`
    /// as `SERVER`): a metric point's own attribute of that name is compared with what was typed.
    typed_test: Option<Test>,
    /// `span_status=bogus`: a name not in the key's list, refused where the key is a span's
    /// (a point's own attribute may hold anything).
    pub(crate) not_a_name: Option<String>,
    /// Whether any record was tested, and whether any tested record had the key: a key no record
    /// has (`span_status` before it was a key, `http.status`) is said, not an empty table alone.
    /// Shared by the clones the workers hold; set at most once each, read when the input is done.
    seen: Arc<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    tested: AtomicBool,
    present: AtomicBool,
}

impl Seen {
    fn mark(&self, present: bool) {
        // Loads first: once set, a flag is never written again (no cache line bounced between
        // the workers on every record).
        if !self.tested.load(Relaxed) {
            self.tested.store(true, Relaxed);
        }
        if present && !self.present.load(Relaxed) {
            self.present.store(true, Relaxed);
        }
    }
}

/// An expression that could not be read, with what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(String);

impl Where {
    /// Reads `KEY OP VALUE` (`=`, `!=`, `>`, `>=`, `<`, `<=`, `~` regex, `!~`) or `KEY exists` /
    /// `KEY missing`. Spaces around the operator are allowed, and the value may be quoted.
    pub fn parse(expr: &str) -> Result<Where, FilterError> {
        let e = expr.trim();
        for (suffix, test) in [(" exists", Test::Exists), (" missing", Test::Missing), (" !exists", Test::Missing)] {
            if let Some(key) = e.strip_suffix(suffix).map(str::trim).filter(|k| !k.is_empty()) {
                return Ok(Where {
                    key: Key::parse(key),
                    typed: key.to_string(),
                    test,
                    typed_test: None,
                    not_a_name: None,
                    seen: Arc::default(),
                });
            }
        }
        let bad = |why: &str| {
            FilterError(format!(
                "--where '{expr}': {why} (expected KEY=VALUE, KEY!=VALUE, KEY>=N, KEY<N, KEY~REGEX, KEY!~REGEX, \
                 KEY exists or KEY missing)"
            ))
        };
        let at = e.find(['=', '!', '<', '>', '~']).ok_or_else(|| bad("no operator"))?;
        let key = e[..at].trim();
        if key.is_empty() {
            return Err(bad("no key before the operator"));
        }
        let rest = &e[at..];
        let (op, value) = ["!=", ">=", "<=", "!~", "=", ">", "<", "~"]
            .iter()
            .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v)))
            .ok_or_else(|| bad("unknown operator"))?;
        let value = unquote(value.trim());
        if !op.contains('~') && value.starts_with(['=', '<', '>', '!', '~']) {
            return Err(bad("two operators in a row"));
        }
        // `status>=5xx` compared the text `5xx` and matched nothing, silently.
        if matches!(op, ">" | ">=" | "<" | "<=") && is_class(value) {
            return Err(bad(&format!(
                "a status class is a set, not a number: {key}={value} or {key}>={}00",
                &value[..1]
            )));
        }
        let key_parsed = Key::parse(key);
        // A kind or a span status is a name from a list (`ERROR`, `SERVER`): `span_status=error`
        // and `span_status~err` mean the same, where they matched nothing, and a name not in the
        // list is a typo. A URL is compared as `url` resolves it (scheme and host in lower case,
        // no default port), so `url=HTTP://H:80/a` is `http://h/a`.
        let names: Option<Vec<&str>> = match key_parsed {
            Key::Kind => Some(SpanKind::ALL.iter().map(|k| k.as_str()).collect()),
            Key::SpanStatus => Some(StatusCode::ALL.iter().map(|s| s.as_str()).collect()),
            _ => None,
        };
        let mut not_a_name = None;
        let owned = match (names, op) {
            (Some(_), "~" | "!~") => format!("(?i){value}"),
            (Some(names), _) => {
                let upper = value.to_ascii_uppercase();
                if op.contains('=') && !names.contains(&upper.as_str()) {
                    not_a_name = Some(bad(&format!("{key} is one of {}", names.join(", "))).0);
                }
                upper
            }
            (None, "=" | "!=") if key_parsed == Key::Url => crate::keys::normalised(value.to_string()),
            _ => value.to_string(),
        };
        let build = |value: &str| -> Result<Test, FilterError> {
            Ok(match op {
                "~" | "!~" => {
                    let re = Regex::new(value).map_err(|err| bad(&format!("bad regular expression: {err}")))?;
                    Test::Matches(re, op == "~")
                }
                "=" | "!=" if is_class(value) => Test::Class(value.as_bytes()[0] - b'0', op == "="),
                "=" => Test::Cmp(Ordering::Equal, true, value.to_string()),
                "!=" => Test::Cmp(Ordering::Equal, false, value.to_string()),
                ">" => Test::Cmp(Ordering::Greater, true, value.to_string()),
                "<=" => Test::Cmp(Ordering::Greater, false, value.to_string()),
                "<" => Test::Cmp(Ordering::Less, true, value.to_string()),
                ">=" => Test::Cmp(Ordering::Less, false, value.to_string()),
                _ => unreachable!("every operator in the list is matched above"),
            })
        };
        let test = build(&owned)?;
        let typed_test = if owned == value { None } else { Some(build(value)?) };
        Ok(Where { key: key_parsed, typed: key.to_string(), test, typed_test, not_a_name, seen: Arc::default() })
    }

    /// Whether the span passes. A span without the key passes only `missing` (as in SQL, a
    /// comparison with nothing is never true, `!=` included).
    pub fn matches(&self, span: &Span) -> bool {
        self.test(match (&self.key, &self.test) {
            // `route exists`: the span has an `http.route`; the span name stands in for one only
            // where a value is compared (`route=/add`, as `--by route` groups).
            (Key::Route, Test::Exists | Test::Missing) => route(span),
            (key, _) => resolve(key, span).map(|r| r.value),
        })
    }

    /// Whether records were tested and none had the key.
    pub fn never_present(&self) -> bool {
        self.seen.tested.load(Relaxed) && !self.seen.present.load(Relaxed)
    }

    /// The key as typed.
    pub fn typed(&self) -> &str {
        &self.typed
    }

    /// Whether a metric point passes, seen as a span (`as_span`): an attribute of the point
    /// named as typed (`route`, `status`) is what the user means, before any alias.
    pub fn matches_point(&self, attrs: &crate::model::Attributes, as_span: &Span) -> bool {
        match crate::keys::attribute_text(attrs, &self.typed) {
            Some(v) => self.check(self.typed_test.as_ref().unwrap_or(&self.test), Some(v)),
            // A point has no kind or status, and no name to stand in for a route.
            None => match self.key {
                Key::Kind | Key::SpanStatus => self.test(None),
                Key::Route => self.test(route(as_span)),
                _ => self.matches(as_span),
            },
        }
    }

    fn test(&self, value: Option<String>) -> bool {
        self.check(&self.test, value)
    }

    fn check(&self, test: &Test, value: Option<String>) -> bool {
        self.seen.mark(value.is_some());
        match (test, value) {
            (Test::Exists, v) => v.is_some(),
            (Test::Missing, v) => v.is_none(),
            (_, None) => false,
            // A status that is no HTTP status (`Infinity`, `1e20`, `503.5`) is no number to
            // compare: `status>=500` matches what `failed` counts as a 5xx, no more.
            (Test::Cmp(..), Some(v))
                if self.key == Key::Status && v.parse::<f64>().is_ok() && status_code(&v).is_none() =>
            {
                matches!(test, Test::Cmp(Ordering::Equal, false, _))
            }
            (Test::Cmp(ord, want, operand), Some(v)) => match compare(&v, operand) {
                Some(got) => (got == *ord) == *want,
                // Not a number against a number (`NaN`, `abc`): unequal, and neither below nor
                // above it, so `status>=500` never matches a status of `NaN`.
                None => *ord == Ordering::Equal && !*want,
            },
            (Test::Class(class, want), Some(v)) => {
                let is = status_code(&v).is_some_and(|c| c / 100 == u16::from(*class));
                is == *want
            }
            (Test::Matches(re, want), Some(v)) => re.is_match(&v) == *want,
        }
    }
}

/// An HTTP status as a span holds it (`503`, or `503.0` from a double attribute): a whole
/// number from 100 to 599 (RFC 9110), or none.
pub fn status_code(v: &str) -> Option<u16> {
    let n = v.parse::<f64>().ok()?;
    (n.fract() == 0.0 && (100.0..=599.0).contains(&n)).then_some(n as u16)
}

/// `5xx`, `4XX`: a status class.
fn is_class(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].eq_ignore_ascii_case(b"xx")
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Numbers compare as numbers (`status>=500`, `200.0=200`), anything else as text; a value that
/// is not a number (or is NaN or infinite) does not compare with a number at all.
fn compare(value: &str, operand: &str) -> Option<Ordering> {
    match (value.parse::<f64>(), operand.parse::<f64>()) {
        (Ok(a), Ok(b)) if a.is_finite() && b.is_finite() => a.partial_cmp(&b),
        (_, Ok(b)) if b.is_finite() => None,
        _ => Some(value.cmp(operand)),
    }
}

/// Units of a duration as typed (`500ms`, `10s`, `1m`, `2h`, `1d`, `1w`), in nanoseconds.
const UNITS: [(&str, i64); 6] = [
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("w", 604_800_000_000_000),
];

/// Reads a duration (`10s`, `1m`, `1h`, `500ms`) as nanoseconds; `None` when it is not one.
pub fn parse_duration(s: &str) -> Option<i64> {
    let t = s.trim();
    UNITS.iter().find_map(|(suffix, ns)| {
        let n: u32 = t.strip_suffix(suffix)?.parse().ok()?;
        // 202600d does not fit in 64 bits of nanoseconds (about 292 years): not a duration.
        i64::from(n).checked_mul(*ns).filter(|d| *d > 0)
    })
}

/// Reads `--every`: a bucket width.
pub fn parse_every(s: &str) -> Result<i64, FilterError> {
    parse_duration(s).ok_or_else(|| FilterError(format!("--every {s}: give a width like 10s, 1m, 1h, 1d or 500ms")))
}

/// Reads `--since`/`--until`: RFC 3339 (an offset, or UTC when none), or a duration before `now`
/// (`90s`, `10m`, `2h`, `1d`, `500ms`), as `journalctl` and `docker logs` read them.
pub fn parse_time(s: &str, now_ns: i64) -> Result<i64, FilterError> {
    if let Some(d) = parse_duration(s) {
        return Ok(now_ns - d);
    }
    let t = s.trim();
    // A date alone is its midnight, UTC.
    let t = if t.len() == 10 && t.as_bytes()[4] == b'-' { format!("{t}T00:00:00Z") } else { t.to_string() };
    parse_utc(&t).ok_or_else(|| {
        FilterError(format!(
            "'{s}' is not a time: give RFC 3339 (2026-11-28T10:00:00Z, an offset or none for UTC), a date \
             (2026-11-28, midnight UTC) or a duration before now (30s, 10m, 2h, 1d)"
        ))
    })
}

/// Nanoseconds since the epoch, now.
pub fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

/// Every filter a query command was given; an empty one lets everything through.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub wheres: Vec<Where>,
    /// Spans starting at or after this time (ns).
    pub since: Option<i64>,
    /// Spans starting before this time (ns).
    pub until: Option<i64>,
    /// `service.name` values; empty means any.
    pub services: Vec<String>,
    /// What `--where` tests, for what stderr says of a key no record had.
    pub subject: Subject,
}

/// What a command's `--where` tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Subject {
    #[default]
    Spans,
    /// `logs`: the request a record belongs to, not the record.
    Requests,
    /// `metrics`: the data points.
    Points,
}

impl Filter {
    /// Builds the filter from the command line; `now_ns` anchors relative times.
    pub fn new(
        wheres: &[String],
        since: Option<&str>,
        until: Option<&str>,
        services: &[String],
        now_ns: i64,
    ) -> Result<Filter, FilterError> {
        Ok(Filter {
            wheres: wheres.iter().map(|w| Where::parse(w)).collect::<Result<_, _>>()?,
            since: since.map(|s| parse_time(s, now_ns)).transpose()?,
            until: until.map(|s| parse_time(s, now_ns)).transpose()?,
            services: services.to_vec(),
            subject: Subject::Spans,
        })
    }

    /// The keys the `--where` expressions read.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.wheres.iter().map(|w| &w.key)
    }

    /// Whether a record at `time_ns` falls inside `--since`/`--until`.
    pub fn in_time(&self, time_ns: i64) -> bool {
        self.since.is_none_or(|s| time_ns >= s) && self.until.is_none_or(|u| time_ns < u)
    }

    /// Whether a span passes every filter (its start time is what `--since/--until` test).
    pub fn span(&self, span: &Span) -> bool {
        self.in_time(span.start_ns)
            && (self.services.is_empty()
                || span.resource.service_name().is_some_and(|n| self.services.iter().any(|s| s == n)))
            && self.wheres.iter().all(|w| w.matches(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_that_do_not_parse_say_why() {
        for bad in ["status", "=500", "url~(", "status=>500", "status>=5xx", "status<4XX"] {
            assert!(Where::parse(bad).is_err(), "{bad}");
        }
        let e = Where::parse("status>=5xx").unwrap_err().to_string();
        assert!(e.contains("status=5xx or status>=500"), "{e}");
        for good in ["status>=500", "route = /add", "method!=GET", "url~^http://x", "http.route exists", "a missing"] {
            assert!(Where::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(compare("1000", "500"), Some(Ordering::Greater));
        assert_eq!(compare("200", "200.0"), Some(Ordering::Equal));
        assert_eq!(compare("abc", "abd"), Some(Ordering::Less));
        // No number against a number: no order at all.
        assert_eq!(compare("NaN", "500"), None);
        assert_eq!(compare("abc", "500"), None);
    }

    #[test]
    fn relative_and_absolute_times() {
        let now = 1_000_000_000_000_000_000;
        assert_eq!(parse_time("10m", now).unwrap(), now - 600_000_000_000);
        assert_eq!(parse_time("2026-11-28T01:00:00Z", now).unwrap(), 1_795_827_600_000_000_000);
        assert!(parse_time("yesterday", now).is_err());
        assert_eq!(parse_time("2026-11-28", now).unwrap(), 1_795_824_000_000_000_000);
    }
}
