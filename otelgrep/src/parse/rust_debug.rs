//! Rust `Debug` renderings of OpenTelemetry values, as `opentelemetry-stdout` prints them:
//! `String(Owned("GET"))`, `I64(303)`, `F64(0.5)`, `Bool(false)`, `Array(String([Static("a")]))`,
//! and the log side's `Int(3)`, `Double(0.5)`, `Boolean(true)`, `Bytes([1, 2])`, `ListAny([..])`,
//! `Map({..})`. Strings carry Rust escapes (`\"`, `\\`, `\n`, `\u{1b}`).

use crate::model::Value;

/// Parses a whole Debug value; `None` when the text is not one.
pub fn parse_value(text: &str) -> Option<Value> {
    let mut c = Cursor(text.as_bytes(), 0);
    let v = c.value()?;
    (c.1 == c.0.len()).then_some(v)
}

/// Parses a Debug string literal `"..."` (with its quotes) into its text.
pub fn parse_string(text: &str) -> Option<String> {
    let mut c = Cursor(text.as_bytes(), 0);
    let s = c.string()?;
    (c.1 == c.0.len()).then_some(s)
}

struct Cursor<'a>(&'a [u8], usize);

impl Cursor<'_> {
    fn eat(&mut self, s: &str) -> bool {
        if self.0[self.1..].starts_with(s.as_bytes()) {
            self.1 += s.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.1;
        while self.1 < self.0.len() && self.0[self.1].is_ascii_alphanumeric() {
            self.1 += 1;
        }
        std::str::from_utf8(&self.0[start..self.1]).unwrap_or("")
    }

    fn value(&mut self) -> Option<Value> {
        let tag = self.ident().to_string();
        if !self.eat("(") {
            return None;
        }
        let v = match tag.as_str() {
            "String" => Value::Str(self.wrapped_string()?),
            "I64" | "Int" => Value::Int(self.number()?.parse().ok()?),
            "F64" | "Double" => Value::Double(float(&self.number()?)?),
            "Bool" | "Boolean" => Value::Bool(self.boolean()?),
            "Array" => {
                let inner = self.ident().to_string();
                if !self.eat("([") {
                    return None;
                }
                let items = self.list(|c| match inner.as_str() {
                    "String" => Some(Value::Str(c.wrapped_string_no_tag()?)),
                    "I64" => Some(Value::Int(c.number()?.parse().ok()?)),
                    "F64" => Some(Value::Double(float(&c.number()?)?)),
                    "Bool" => Some(Value::Bool(c.boolean()?)),
                    _ => None,
                })?;
                if !self.eat(")") {
                    return None;
                }
                Value::Array(items)
            }
            "ListAny" => {
                if !self.eat("[") {
                    return None;
                }
                Value::Array(self.list(|c| c.value())?)
            }
            "Bytes" => {
                if !self.eat("[") {
                    return None;
                }
                Value::Array(self.list(|c| Some(Value::Int(c.number()?.parse().ok()?)))?)
            }
            "Map" => {
                if !self.eat("{") {
                    return None;
                }
                let mut kvs = Vec::new();
                loop {
                    if self.eat("}") {
                        break;
                    }
                    // Keys print as `Static("k")` or `Owned("k")`.
                    let key = self.wrapped_string_no_tag()?;
                    if !self.eat(": ") {
                        return None;
                    }
                    kvs.push((key, self.value()?));
                    self.eat(", ");
                }
                Value::Map(kvs)
            }
            _ => return None,
        };
        self.eat(")").then_some(v)
    }

    /// `Owned("...")` / `Static("...")` / `RefCounted("...")` inside `String(`.
    fn wrapped_string(&mut self) -> Option<String> {
        let save = self.1;
        if let Some(s) = self.wrapped_string_no_tag() {
            return Some(s);
        }
        // The log side prints `String(Owned("..."))` too, but also `String("...")` in places.
        self.1 = save;
        self.string()
    }

    fn wrapped_string_no_tag(&mut self) -> Option<String> {
        let tag = self.ident();
        if !matches!(tag, "Owned" | "Static" | "RefCounted") || !self.eat("(") {
            return None;
        }
        let s = self.string()?;
        self.eat(")").then_some(s)
    }

    /// `[a, b, c]` after the `[`, up to and including the `]`.
    fn list(&mut self, mut item: impl FnMut(&mut Self) -> Option<Value>) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            if self.eat("]") {
                return Some(out);
            }
            out.push(item(self)?);
            if !self.eat(", ") && !self.0[self.1..].starts_with(b"]") {
                return None;
            }
        }
    }

    fn number(&mut self) -> Option<String> {
        let start = self.1;
        while self.1 < self.0.len() && !matches!(self.0[self.1], b')' | b',' | b']') {
            self.1 += 1;
        }
        let s = std::str::from_utf8(&self.0[start..self.1]).ok()?;
        (!s.is_empty()).then(|| s.to_string())
    }

    fn boolean(&mut self) -> Option<bool> {
        if self.eat("true") {
            Some(true)
        } else if self.eat("false") {
            Some(false)
        } else {
            None
        }
    }

    /// A Rust Debug string literal.
    fn string(&mut self) -> Option<String> {
        if !self.eat("\"") {
            return None;
        }
        let mut out = Vec::new();
        while self.1 < self.0.len() {
            let b = self.0[self.1];
            self.1 += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.0.get(self.1)?;
                    self.1 += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'0' => out.push(0),
                        b'\\' | b'"' | b'\'' => out.push(e),
                        b'u' => {
                            if !self.eat("{") {
                                return None;
                            }
                            let start = self.1;
                            while self.1 < self.0.len() && self.0[self.1] != b'}' {
                                self.1 += 1;
                            }
                            let hex = std::str::from_utf8(&self.0[start..self.1]).ok()?;
                            self.1 += 1;
                            let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                            let mut buf = [0; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return None,
                    }
                }
                _ => out.push(b),
            }
        }
        None
    }
}

/// Rust's Debug floats: `0.5`, `1e-6`, `inf`, `-inf`, `NaN`.
fn float(s: &str) -> Option<f64> {
    match s {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_the_stdout_exporter_prints_them() {
        assert_eq!(parse_value(r#"String(Owned("GET"))"#), Some(Value::Str("GET".into())));
        assert_eq!(
            parse_value(r#"String(Static("colon: here\nnewline \"q\" \u{1b}[0m"))"#),
            Some(Value::Str("colon: here\nnewline \"q\" \x1b[0m".into()))
        );
        assert_eq!(parse_value("I64(303)"), Some(Value::Int(303)));
        assert_eq!(parse_value("F64(1e-6)"), Some(Value::Double(1e-6)));
        assert_eq!(parse_value("Bool(false)"), Some(Value::Bool(false)));
        assert_eq!(
            parse_value(r#"Array(String([Static("a"), Static("b:c")]))"#),
            Some(Value::Array(vec![Value::Str("a".into()), Value::Str("b:c".into())]))
        );
        assert_eq!(parse_value("Array(I64([1, 2]))"), Some(Value::Array(vec![Value::Int(1), Value::Int(2)])));
        assert_eq!(parse_value("Int(3)"), Some(Value::Int(3)));
        assert_eq!(parse_value("Boolean(true)"), Some(Value::Bool(true)));
        assert_eq!(parse_value("F64(inf)"), Some(Value::Double(f64::INFINITY)));
        assert_eq!(parse_value("I64(3) trailing"), None);
        assert_eq!(parse_value(r#"String(Owned("unterminated))"#), None);
        assert_eq!(parse_string(r#""INFO""#), Some("INFO".into()));
    }
}
