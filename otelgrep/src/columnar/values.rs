//! Values as the export writes them and reads them back: attributes as the ClickHouse exporter
//! writes them (text to text, `pcommon.Value.AsString`: arrays and maps as JSON), plus a map of
//! the types that text loses (`int`, `double`, ..., an array or map as its OTLP `AnyValue`), so a
//! value read back is the value written; ids as lowercase hex, empty for none.

use std::borrow::Cow;
use std::io::Write as _;
use std::sync::Arc;

use crate::columnar::read::text;
use crate::columnar::rows::{MapWriter, display};
use crate::model::{Attributes, Resource, Scope, Value};

/// An attribute value as the ClickHouse exporter's `AsString` writes it, into a buffer.
pub fn write_text(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Str(s) | Value::BigInt(s) => out.extend_from_slice(s.as_bytes()),
        Value::Int(i) => display(out, i),
        Value::Double(d) => display(out, double_text(*d)),
        Value::Bool(b) => display(out, b),
        Value::Array(_) | Value::Map(_) => {
            let _ = serde_json::to_writer(&mut *out, &plain_json(v));
        }
        Value::Empty => {}
    }
}

/// Go's `strconv.FormatFloat(d, 'f', -1, 64)` for the values it shares with Rust's shortest
/// round-trip form, and its names for the others.
fn double_text(d: f64) -> Cow<'static, str> {
    match d {
        d if d.is_nan() => "NaN".into(),
        d if d == f64::INFINITY => "+Inf".into(),
        d if d == f64::NEG_INFINITY => "-Inf".into(),
        d => d.to_string().into(),
    }
}

/// A value as plain JSON (`["a",1]`, `{"k":true}`), as `AsString` writes arrays and maps.
fn plain_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Str(s) => J::String(s.clone()),
        Value::BigInt(s) => s.parse::<serde_json::Number>().map_or_else(|_| J::String(s.clone()), J::Number),
        Value::Int(i) => J::from(*i),
        Value::Double(d) => {
            serde_json::Number::from_f64(*d).map_or_else(|| J::String(double_text(*d).into()), J::Number)
        }
        Value::Bool(b) => J::Bool(*b),
        Value::Array(items) => J::Array(items.iter().map(plain_json).collect()),
        Value::Map(kvs) => J::Object(kvs.iter().map(|(k, v)| (k.clone(), plain_json(v))).collect()),
        Value::Empty => J::Null,
    }
}

/// What the text of a value does not say: `None` for a string.
pub fn kind(v: &Value) -> Option<Cow<'static, str>> {
    Some(match v {
        Value::Str(_) => return None,
        Value::Int(_) => "int".into(),
        Value::BigInt(_) => "bigint".into(),
        Value::Double(_) => "double".into(),
        Value::Bool(_) => "bool".into(),
        Value::Empty => "empty".into(),
        // Nested values keep their order and types only in OTLP's own form.
        Value::Array(_) | Value::Map(_) => crate::cmd::export::any_value_text(v).into(),
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

/// Attributes as a map's entries: each key with its text.
pub fn texts(m: &mut MapWriter, attrs: &Attributes) {
    for (k, v) in attrs {
        m.entry(k, |out| write_text(v, out));
    }
}

/// The kinds the texts lose, as a second map: only the attributes that are not strings.
pub fn kinds(m: &mut MapWriter, attrs: &Attributes) {
    for (k, v) in attrs {
        if let Some(kind) = kind(v) {
            m.entry(k, |out| out.extend_from_slice(kind.as_bytes()));
        }
    }
}

/// Ids as the exporter writes them: lowercase hex, nothing for none.
pub fn write_trace_id(id: u128, out: &mut Vec<u8>) {
    if id != 0 {
        let _ = write!(out, "{id:032x}");
    }
}

pub fn write_span_id(id: u64, out: &mut Vec<u8>) {
    if id != 0 {
        let _ = write!(out, "{id:016x}");
    }
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

pub fn parse_trace_id(s: &str) -> Option<u128> {
    u128::from_str_radix(s, 16).ok().filter(|&x| x != 0)
}

pub fn parse_span_id(s: &str) -> Option<u64> {
    u64::from_str_radix(s, 16).ok().filter(|&x| x != 0)
}

/// Resources and scopes read back. One `Arc` per distinct resource of a row group, as the parsers
/// share them: rows of several services interleave, and an `Arc` per change of resource was one
/// per few rows, each a copy of its attributes that counting commands keep (300 MB for the demo's
/// export). A resource is found by the texts its row's maps hold, before its attributes are built.
#[derive(Default)]
pub struct Resources {
    /// The resources seen, the most recent first, with the texts and types they were read from.
    known: Vec<(Pairs, Pairs, Arc<Resource>)>,
    last_scope: Option<Arc<Scope>>,
}

/// A map's entries as a row held them.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn as_text<'a>(pairs: &[(&'a [u8], &'a [u8])]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (text(k), text(v))).collect()
}

/// Resources a row group remembers; one more than that is read afresh (it is never wrong, only
/// another `Arc`).
const KNOWN: usize = 64;

impl Resources {
    /// The resource of a row's `ResourceAttributes` and `ResourceAttributeTypes` maps, as bytes.
    pub fn resource(&mut self, texts: &[(&[u8], &[u8])], kinds: &[(&[u8], &[u8])]) -> Arc<Resource> {
        let same = |held: &Pairs, row: &[(&[u8], &[u8])]| {
            held.len() == row.len() && held.iter().zip(row).all(|((k, v), (rk, rv))| k == rk && v == rv)
        };
        if let Some(i) = self.known.iter().position(|(t, k, _)| same(t, texts) && same(k, kinds)) {
            // To the front, moving only those before it (services taking turns hit the second).
            self.known[..=i].rotate_right(1);
            return self.known[0].2.clone();
        }
        let owned = |pairs: &[(&[u8], &[u8])]| pairs.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        let r = Arc::new(Resource { attributes: join(&as_text(texts), &as_text(kinds)) });
        self.known.insert(0, (owned(texts), owned(kinds), r.clone()));
        self.known.truncate(KNOWN);
        r
    }

    /// The scope of a row's `ScopeName` and `ScopeVersion` columns; none when both are empty.
    pub fn scope(&mut self, name: &str, version: &str) -> Option<Arc<Scope>> {
        match &self.last_scope {
            Some(s) if s.name == name && s.version == version => Some(s.clone()),
            _ => {
                let s = Scope::new(name, version)?;
                self.last_scope = Some(s.clone());
                Some(s)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of two services taking turns share two resources, not one per turn; the same texts with
    /// other types are another resource.
    #[test]
    fn interleaved_resources_are_one_arc_each() {
        let mut known = Resources::default();
        let pairs = |p: &[(&'static str, &'static str)]| p.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())).collect();
        let (a, b): (Vec<_>, Vec<_>) =
            (pairs(&[("service.name", "a"), ("process.pid", "7")]), pairs(&[("service.name", "b")]));
        let first = known.resource(&a, &[]);
        let other = known.resource(&b, &[]);
        assert!(Arc::ptr_eq(&first, &known.resource(&a, &[])));
        assert!(Arc::ptr_eq(&other, &known.resource(&b, &[])));
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(first.attributes, join(&[("service.name", "a"), ("process.pid", "7")], &[]));
        let typed = known.resource(&a, &pairs(&[("process.pid", "int")]));
        assert_eq!(typed.attributes[1].1, Value::Int(7));
        assert!(!Arc::ptr_eq(&first, &typed));
    }
}
