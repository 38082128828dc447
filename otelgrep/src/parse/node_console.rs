//! Node.js console exporters (`ConsoleSpanExporter`, `ConsoleLogRecordExporter`,
//! `ConsoleMetricExporter`, sdk-node 0.57 to 0.223): `util.inspect` object literals, one per span,
//! per log record, or per metric (see shared/FORMATS.md §6).
//!
//! A JavaScript object literal is not JSON: unquoted or single-quoted keys, `'...'` strings
//! (concatenated with `+` across lines when long), `undefined`, BigInts (`12n`), numeric arrays
//! laid out in columns, and `[Array]`/`[Object]` where `util.inspect` stopped at depth 3 (kept as
//! empty values: the exporter printed nothing more). Pure functions from one record's text.

use super::{ParseErrorKind, RecordError, Resources};
use crate::model::{
    Attributes, Event, Link, LogRecord, MetricKind, MetricPoint, PointValue, Resource, Span, SpanKind, StatusCode,
    Temporality, Value,
};

/// A JavaScript value as `util.inspect` prints it.
#[derive(Debug, Clone, PartialEq)]
pub enum Js {
    Undefined,
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    BigInt(String),
    Str(String),
    Arr(Vec<Js>),
    Obj(Vec<(String, Js)>),
}

impl Js {
    fn get(&self, key: &str) -> Option<&Js> {
        match self {
            Js::Obj(kvs) => kvs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Js::Str(s) => Some(s),
            _ => None,
        }
    }
    fn f64(&self) -> Option<f64> {
        match self {
            Js::Int(i) => Some(*i as f64),
            Js::Num(n) => Some(*n),
            _ => None,
        }
    }
    fn i64(&self) -> Option<i64> {
        match self {
            Js::Int(i) => Some(*i),
            Js::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            Js::BigInt(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Parses one object literal.
pub fn parse_literal(text: &str) -> Result<Js, RecordError> {
    let mut p = Lit { s: text.as_bytes(), i: 0 };
    let v = p.value().map_err(|e| p.error(e))?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.error("unexpected text after the object"));
    }
    Ok(v)
}

struct Lit<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lit<'_> {
    fn error(&self, msg: &str) -> RecordError {
        let line = self.s[..self.i.min(self.s.len())].iter().filter(|&&b| b == b'\n').count();
        RecordError {
            offset_lines: line as u64,
            kind: ParseErrorKind::Invalid(format!("invalid Node console record: {msg}")),
        }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, t: &str) -> bool {
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Js, &'static str> {
        self.ws();
        match self.peek().ok_or("unexpected end")? {
            b'{' => self.object(),
            b'[' => {
                if self.eat("[Array]") || self.eat("[Object]") {
                    return Ok(Js::Undefined);
                }
                self.array()
            }
            b'\'' | b'"' | b'`' => {
                // Long strings are printed as `'part' +` lines.
                let mut s = self.string()?;
                loop {
                    let save = self.i;
                    self.ws();
                    if self.eat("+") {
                        self.ws();
                        if matches!(self.peek(), Some(b'\'' | b'"' | b'`')) {
                            s.push_str(&self.string()?);
                            continue;
                        }
                    }
                    self.i = save;
                    break;
                }
                // `... 9990 more characters` after a string cut at 10,000.
                let save = self.i;
                if self.eat("... ") {
                    while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        self.i += 1;
                    }
                    if !self.eat(" more characters") {
                        self.i = save;
                    }
                }
                Ok(Js::Str(s))
            }
            _ => self.word(),
        }
    }

    fn object(&mut self) -> Result<Js, &'static str> {
        self.i += 1;
        let mut kvs = Vec::new();
        loop {
            self.ws();
            if self.eat("}") {
                return Ok(Js::Obj(kvs));
            }
            let key = match self.peek().ok_or("unexpected end in an object")? {
                b'\'' | b'"' => self.string()?,
                _ => {
                    let start = self.i;
                    while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
                        self.i += 1;
                    }
                    if start == self.i {
                        return Err("expected a key");
                    }
                    String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
                }
            };
            self.ws();
            if !self.eat(":") {
                return Err("expected ':' after a key");
            }
            let v = self.value()?;
            kvs.push((key, v));
            self.ws();
            if !self.eat(",") {
                self.ws();
                if !self.eat("}") {
                    return Err("expected ',' or '}'");
                }
                return Ok(Js::Obj(kvs));
            }
        }
    }

    fn array(&mut self) -> Result<Js, &'static str> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.eat("]") {
                return Ok(Js::Arr(items));
            }
            // `... 12 more items` closes arrays over 100 items.
            if self.eat("... ") {
                while self.peek().is_some_and(|b| b != b']') {
                    self.i += 1;
                }
                continue;
            }
            items.push(self.value()?);
            self.ws();
            if !self.eat(",") {
                self.ws();
                if !self.eat("]") {
                    return Err("expected ',' or ']'");
                }
                return Ok(Js::Arr(items));
            }
        }
    }

    fn word(&mut self) -> Result<Js, &'static str> {
        let start = self.i;
        while self.peek().is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b'\n' | b' ')) {
            self.i += 1;
        }
        let w = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "not UTF-8")?;
        Ok(match w {
            "undefined" => Js::Undefined,
            "null" => Js::Null,
            "true" => Js::Bool(true),
            "false" => Js::Bool(false),
            "NaN" => Js::Num(f64::NAN),
            "Infinity" => Js::Num(f64::INFINITY),
            "-Infinity" => Js::Num(f64::NEG_INFINITY),
            _ if w.ends_with('n') && w[..w.len() - 1].parse::<i128>().is_ok() => {
                Js::BigInt(w[..w.len() - 1].to_string())
            }
            _ => match w.parse::<i64>() {
                Ok(i) => Js::Int(i),
                Err(_) => Js::Num(w.parse().map_err(|_| "unknown value")?),
            },
        })
    }

    /// `'...'`, `"..."` or `` `...` `` with JavaScript escapes.
    fn string(&mut self) -> Result<String, &'static str> {
        let quote = self.s[self.i];
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = self.peek().ok_or("unterminated string")?;
            self.i += 1;
            if b == quote {
                return String::from_utf8(out).map_err(|_| "not UTF-8");
            }
            if b != b'\\' {
                out.push(b);
                continue;
            }
            let e = self.peek().ok_or("unterminated escape")?;
            self.i += 1;
            let c = match e {
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'v' => '\u{b}',
                b'0' => '\0',
                b'x' => self.hex(2)?,
                b'u' if self.eat("{") => {
                    let start = self.i;
                    while self.peek().is_some_and(|b| b != b'}') {
                        self.i += 1;
                    }
                    let hex = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "bad escape")?;
                    self.i += 1;
                    char::from_u32(u32::from_str_radix(hex, 16).map_err(|_| "bad escape")?).ok_or("bad escape")?
                }
                b'u' => {
                    let hi = self.hex(4)? as u32;
                    if (0xd800..0xdc00).contains(&hi) && self.eat("\\u") {
                        let lo = self.hex(4)? as u32;
                        char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff))
                            .unwrap_or('\u{fffd}')
                    } else {
                        char::from_u32(hi).unwrap_or('\u{fffd}')
                    }
                }
                other => other as char,
            };
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }

    fn hex(&mut self, n: usize) -> Result<char, &'static str> {
        let digits = self.s.get(self.i..self.i + n).ok_or("short escape")?;
        self.i += n;
        let v = u32::from_str_radix(std::str::from_utf8(digits).map_err(|_| "bad escape")?, 16)
            .map_err(|_| "bad escape")?;
        Ok(char::from_u32(v).unwrap_or('\u{fffd}'))
    }
}

/// One parsed record.
#[derive(Debug)]
pub enum Record {
    Span(Span),
    Log(LogRecord),
    /// One metric of an export: its data points.
    Metric(Vec<MetricPoint>),
}

fn invalid(msg: impl Into<String>) -> RecordError {
    ParseErrorKind::Invalid(msg.into()).into()
}

fn value(v: &Js) -> Value {
    match v {
        Js::Undefined | Js::Null => Value::Empty,
        Js::Bool(b) => Value::Bool(*b),
        Js::Int(i) => Value::Int(*i),
        Js::Num(n) => Value::Double(*n),
        Js::BigInt(s) => s.parse().map_or_else(|_| Value::BigInt(s.clone()), Value::Int),
        Js::Str(s) => Value::Str(s.clone()),
        Js::Arr(items) => Value::Array(items.iter().map(value).collect()),
        Js::Obj(kvs) => Value::Map(kvs.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
    }
}

fn attrs(v: Option<&Js>) -> Attributes {
    match v {
        Some(Js::Obj(kvs)) => kvs.iter().map(|(k, v)| (k.clone(), value(v))).collect(),
        _ => Vec::new(),
    }
}

/// Microseconds since the epoch (16 digits) to nanoseconds: in integers, since f64 cannot hold
/// the nanosecond value exactly.
fn micros_to_nanos(v: &Js) -> Option<i64> {
    match v {
        Js::Int(i) => i.checked_mul(1000),
        other => Some((other.f64()? * 1000.0).round() as i64),
    }
}

/// `[seconds, nanoseconds]`.
fn hrtime(v: Option<&Js>) -> Option<i64> {
    match v? {
        Js::Arr(a) if a.len() == 2 => Some(a[0].i64()?.checked_mul(1_000_000_000)? + a[1].i64()?),
        _ => None,
    }
}

fn hex128(v: Option<&Js>) -> Option<u128> {
    u128::from_str_radix(v?.str()?, 16).ok().filter(|&x| x != 0)
}

fn hex64(v: Option<&Js>) -> Option<u64> {
    u64::from_str_radix(v?.str()?, 16).ok().filter(|&x| x != 0)
}

/// Parses one record's text, from its `{` line to its `}` line.
pub fn parse_record(text: &str, resources: &mut Resources) -> Result<Record, RecordError> {
    let js = parse_literal(text)?;
    // SDKs before 1.24 print no resource.
    let resource =
        resources.intern(Resource { attributes: attrs(js.get("resource").and_then(|r| r.get("attributes"))) });
    let scope = js.get("instrumentationScope").and_then(|s| s.get("name")).and_then(Js::str).map(str::to_string);
    if let Some(descriptor) = js.get("descriptor") {
        let name =
            descriptor.get("name").and_then(Js::str).ok_or_else(|| invalid("metric without a name"))?.to_string();
        let kind_name = descriptor.get("type").and_then(Js::str).unwrap_or("");
        let kind = match js.get("dataPointType").and_then(Js::i64) {
            Some(0) => MetricKind::Histogram,
            Some(1) => MetricKind::ExponentialHistogram,
            Some(2) => MetricKind::Gauge,
            Some(3) if kind_name.contains("UP_DOWN") => MetricKind::UpDownCounter,
            Some(3) => MetricKind::Counter,
            other => return Err(invalid(format!("metric {name:?}: unknown dataPointType {other:?}"))),
        };
        let mut points = Vec::new();
        let Some(Js::Arr(dps)) = js.get("dataPoints") else {
            return Err(invalid(format!("metric {name:?} without dataPoints")));
        };
        for dp in dps {
            let v = dp.get("value").ok_or_else(|| invalid(format!("metric {name:?}: a data point without a value")))?;
            let value = match kind {
                MetricKind::Histogram => {
                    let buckets = v.get("buckets");
                    let nums = |k: &str| match buckets.and_then(|b| b.get(k)) {
                        Some(Js::Arr(a)) => a.iter().filter_map(Js::f64).collect::<Vec<f64>>(),
                        _ => Vec::new(),
                    };
                    PointValue::Histogram {
                        count: v.get("count").and_then(Js::i64).unwrap_or(0) as u64,
                        sum: v.get("sum").and_then(Js::f64),
                        min: v.get("min").and_then(Js::f64),
                        max: v.get("max").and_then(Js::f64),
                        bounds: nums("boundaries"),
                        counts: nums("counts").into_iter().map(|c| c as u64).collect(),
                    }
                }
                MetricKind::ExponentialHistogram => {
                    let side = |k: &str| v.get(k);
                    let counts = |s: Option<&Js>| match s.and_then(|s| s.get("bucketCounts")) {
                        Some(Js::Arr(a)) => a.iter().filter_map(Js::i64).map(|c| c as u64).collect(),
                        _ => Vec::new(),
                    };
                    PointValue::ExponentialHistogram {
                        count: v.get("count").and_then(Js::i64).unwrap_or(0) as u64,
                        sum: v.get("sum").and_then(Js::f64),
                        min: v.get("min").and_then(Js::f64),
                        max: v.get("max").and_then(Js::f64),
                        scale: v.get("scale").and_then(Js::i64).unwrap_or(0) as i32,
                        zero_count: v.get("zeroCount").and_then(Js::i64).unwrap_or(0) as u64,
                        positive_offset: side("positive").and_then(|p| p.get("offset")).and_then(Js::i64).unwrap_or(0)
                            as i32,
                        positive: counts(side("positive")),
                        negative_offset: side("negative").and_then(|p| p.get("offset")).and_then(Js::i64).unwrap_or(0)
                            as i32,
                        negative: counts(side("negative")),
                    }
                }
                _ => match v {
                    Js::Int(i) => PointValue::Int(*i),
                    other => PointValue::Double(
                        other.f64().ok_or_else(|| invalid(format!("metric {name:?}: a non-numeric value")))?,
                    ),
                },
            };
            points.push(MetricPoint {
                name: name.clone(),
                unit: descriptor.get("unit").and_then(Js::str).unwrap_or("").to_string(),
                description: descriptor.get("description").and_then(Js::str).unwrap_or("").to_string(),
                kind,
                // Not printed; the JS SDK's default is cumulative.
                temporality: (kind != MetricKind::Gauge).then_some(Temporality::Cumulative),
                start_ns: hrtime(dp.get("startTime")),
                time_ns: hrtime(dp.get("endTime"))
                    .ok_or_else(|| invalid(format!("metric {name:?}: a point without endTime")))?,
                attributes: attrs(dp.get("attributes")),
                value,
                resource: resource.clone(),
                scope: scope.clone(),
            });
        }
        return Ok(Record::Metric(points));
    }
    if js.get("duration").is_some() && js.get("traceId").is_some() {
        let name = js.get("name").and_then(Js::str).unwrap_or("").to_string();
        let trace_id =
            hex128(js.get("traceId")).ok_or_else(|| invalid(format!("span {name:?} without a valid traceId")))?;
        // 2.x prints `id`, 1.x `spanContext()`-less `id` too; `spanId` in some versions.
        let span_id = hex64(js.get("id").or_else(|| js.get("spanId")))
            .ok_or_else(|| invalid(format!("span {name:?} without a valid id")))?;
        let start_ns = js
            .get("timestamp")
            .and_then(micros_to_nanos)
            .ok_or_else(|| invalid(format!("span {name:?} without a timestamp")))?;
        let duration_us =
            js.get("duration").and_then(Js::f64).ok_or_else(|| invalid(format!("span {name:?} without a duration")))?;
        let parent =
            hex64(js.get("parentSpanContext").and_then(|p| p.get("spanId"))).or_else(|| hex64(js.get("parentId")));
        let status = js.get("status");
        let events = match js.get("events") {
            Some(Js::Arr(es)) => es
                .iter()
                .map(|e| Event {
                    name: e.get("name").and_then(Js::str).unwrap_or("").to_string(),
                    time_ns: hrtime(e.get("time")).unwrap_or(0),
                    attributes: attrs(e.get("attributes")),
                })
                .collect(),
            _ => Vec::new(),
        };
        let links = match js.get("links") {
            Some(Js::Arr(ls)) => ls
                .iter()
                .filter_map(|l| {
                    let c = l.get("context")?;
                    Some(Link {
                        trace_id: hex128(c.get("traceId"))?,
                        span_id: hex64(c.get("spanId"))?,
                        attributes: attrs(l.get("attributes")),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        return Ok(Record::Span(Span {
            trace_id,
            span_id,
            parent_span_id: parent,
            // JS numbering: 0 INTERNAL, 1 SERVER, 2 CLIENT, 3 PRODUCER, 4 CONSUMER.
            kind: match js.get("kind").and_then(Js::i64) {
                Some(0) => SpanKind::Internal,
                Some(1) => SpanKind::Server,
                Some(2) => SpanKind::Client,
                Some(3) => SpanKind::Producer,
                Some(4) => SpanKind::Consumer,
                _ => SpanKind::Unspecified,
            },
            start_ns,
            end_ns: start_ns + (duration_us * 1000.0).round() as i64,
            status: match status.and_then(|s| s.get("code")).and_then(Js::i64) {
                Some(1) => StatusCode::Ok,
                Some(2) => StatusCode::Error,
                _ => StatusCode::Unset,
            },
            status_message: status.and_then(|s| s.get("message")).and_then(Js::str).map(str::to_string),
            attributes: attrs(js.get("attributes")),
            events,
            links,
            resource,
            scope,
            name,
        }));
    }
    if js.get("severityNumber").is_some() || js.get("body").is_some() {
        let us = |k: &str| js.get(k).and_then(micros_to_nanos);
        return Ok(Record::Log(LogRecord {
            time_ns: us("timestamp"),
            observed_time_ns: us("observedTimestamp"),
            severity_number: js.get("severityNumber").and_then(Js::i64).and_then(|n| u8::try_from(n).ok()),
            severity_text: js.get("severityText").and_then(Js::str).map(str::to_string),
            body: js.get("body").map_or(Value::Empty, value),
            attributes: attrs(js.get("attributes")),
            trace_id: hex128(js.get("traceId")),
            span_id: hex64(js.get("spanId")),
            resource,
        }));
    }
    Err(invalid("a Node console object that is not a span, log record or metric"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_with_every_quirk() {
        let text = "{\n  a: 'it\\'s',\n  'b.c': \"q'\",\n  d: [ 1, 2.5, -0, NaN ],\n  e: undefined,\n  f: 12n,\n  g: 'one\\n' +\n    'two',\n  h: { deep: [Array] },\n  i: '\\x1B[0m'\n}";
        let js = parse_literal(text).unwrap();
        assert_eq!(js.get("a"), Some(&Js::Str("it's".into())));
        assert_eq!(js.get("b.c"), Some(&Js::Str("q'".into())));
        assert_eq!(js.get("e"), Some(&Js::Undefined));
        assert_eq!(js.get("f"), Some(&Js::BigInt("12".into())));
        assert_eq!(js.get("g"), Some(&Js::Str("one\ntwo".into())));
        assert_eq!(js.get("i"), Some(&Js::Str("\x1b[0m".into())));
        let err = parse_literal("{\n  a: 'x',\n  b: \n}").unwrap_err();
        assert_eq!(err.offset_lines, 3);
    }
}
