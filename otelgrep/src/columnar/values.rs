//! Values as the export writes them and reads them back: attributes as the ClickHouse exporter
//! writes them (text to text, `pcommon.Value.AsString`: arrays and maps as JSON), plus a map of
//! the types that text loses (`int`, `double`, ..., an array or map as its OTLP `AnyValue`), so a
//! value read back is the value written; ids as lowercase hex, empty for none.

use std::sync::Arc;

use crate::model::{Attributes, Resource, Value, span_hex, trace_hex};

/// An attribute value as the ClickHouse exporter's `AsString` writes it.
pub fn text(v: &Value) -> String {
    match v {
        Value::Str(s) | Value::BigInt(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => double_text(*d),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) | Value::Map(_) => plain_json(v).to_string(),
        Value::Empty => String::new(),
    }
}

/// Go's `strconv.FormatFloat(d, 'f', -1, 64)` for the values it shares with Rust's shortest
/// round-trip form, and its names for the others.
fn double_text(d: f64) -> String {
    match d {
        d if d.is_nan() => "NaN".into(),
        d if d == f64::INFINITY => "+Inf".into(),
        d if d == f64::NEG_INFINITY => "-Inf".into(),
        d => d.to_string(),
    }
}

/// A value as plain JSON (`["a",1]`, `{"k":true}`), as `AsString` writes arrays and maps.
fn plain_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Str(s) => J::String(s.clone()),
        Value::BigInt(s) => s.parse::<serde_json::Number>().map_or_else(|_| J::String(s.clone()), J::Number),
        Value::Int(i) => J::from(*i),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or_else(|| J::String(double_text(*d)), J::Number),
        Value::Bool(b) => J::Bool(*b),
        Value::Array(items) => J::Array(items.iter().map(plain_json).collect()),
        Value::Map(kvs) => J::Object(kvs.iter().map(|(k, v)| (k.clone(), plain_json(v))).collect()),
        Value::Empty => J::Null,
    }
}

/// What the text of a value does not say: `None` for a string.
pub fn kind(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(_) => return None,
        Value::Int(_) => "int".into(),
        Value::BigInt(_) => "bigint".into(),
        Value::Double(_) => "double".into(),
        Value::Bool(_) => "bool".into(),
        Value::Empty => "empty".into(),
        // Nested values keep their order and types only in OTLP's own form.
        Value::Array(_) | Value::Map(_) => crate::cmd::export::any_value(v).to_string(),
    })
}

/// A value back from its text and kind.
pub fn value(text: &str, kind: Option<&str>) -> Value {
    let parsed = match kind {
        None => None,
        Some("int") => text.parse().ok().map(Value::Int),
        Some("bigint") => Some(Value::BigInt(text.to_string())),
        Some("double") => match text {
            "NaN" => Some(Value::Double(f64::NAN)),
            "+Inf" => Some(Value::Double(f64::INFINITY)),
            "-Inf" => Some(Value::Double(f64::NEG_INFINITY)),
            t => t.parse().ok().map(Value::Double),
        },
        Some("bool") => text.parse().ok().map(Value::Bool),
        Some("empty") => Some(Value::Empty),
        Some(otlp) => crate::parse::otlp_json::any_value_text(otlp),
    };
    parsed.unwrap_or_else(|| Value::Str(text.to_string()))
}

/// A map's entries as written: key and text.
pub type Entries<'a> = Vec<(&'a str, String)>;

/// Attributes as the two maps: text, and the kinds text loses.
pub fn split(attrs: &Attributes) -> (Entries<'_>, Entries<'_>) {
    let texts = attrs.iter().map(|(k, v)| (k.as_str(), text(v))).collect();
    let kinds = attrs.iter().filter_map(|(k, v)| Some((k.as_str(), kind(v)?))).collect();
    (texts, kinds)
}

/// Attributes back from the two maps.
pub fn join(texts: &[(&str, &str)], kinds: &[(&str, &str)]) -> Attributes {
    texts
        .iter()
        .map(|(k, t)| {
            let kind = kinds.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
            (k.to_string(), value(t, kind))
        })
        .collect()
}

/// A trace id as the exporter writes it: hex, empty for none.
pub fn trace_id(id: u128) -> String {
    if id == 0 { String::new() } else { trace_hex(id) }
}

pub fn span_id(id: u64) -> String {
    if id == 0 { String::new() } else { span_hex(id) }
}

pub fn parse_trace_id(s: &str) -> Option<u128> {
    u128::from_str_radix(s, 16).ok().filter(|&x| x != 0)
}

pub fn parse_span_id(s: &str) -> Option<u64> {
    u64::from_str_radix(s, 16).ok().filter(|&x| x != 0)
}

/// Resources read back, one `Arc` per run of rows that share one (as the parsers share them).
#[derive(Default)]
pub struct Resources {
    last: Option<Arc<Resource>>,
}

impl Resources {
    pub fn get(&mut self, attributes: Attributes) -> Arc<Resource> {
        match &self.last {
            Some(r) if r.attributes == attributes => r.clone(),
            _ => {
                let r = Arc::new(Resource { attributes });
                self.last = Some(r.clone());
                r
            }
        }
    }
}
