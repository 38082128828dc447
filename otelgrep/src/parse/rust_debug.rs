//! Rust `Debug` renderings of OpenTelemetry values, as `opentelemetry-stdout` prints them:
//! `String(Owned("GET"))`, `I64(303)`, `F64(0.5)`, `Bool(false)`, `Array(String([Static("a")]))`,
//! and the log side's `Int(3)`, `Double(0.5)`, `Boolean(true)`, `Bytes([1, 2])`, `ListAny([..])`,
//! `Map({..})`. Strings carry Rust escapes (`\"`, `\\`, `\n`, `\u{1b}`). A nom grammar: each
//! variant's payload parser is chosen by the variant's name.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1, take_while};
use nom::character::complete::{char, hex_digit1};
use nom::combinator::{all_consuming, map, map_opt, value as to};
use nom::multi::separated_list0;
use nom::sequence::{delimited, preceded, separated_pair};
use nom::{IResult, Parser};

use super::grammar::{nested, unescaped};
use crate::model::Value;

/// Parses a whole Debug value; `None` when the text is not one.
pub fn parse_value(text: &str) -> Option<Value> {
    // Most values are strings without escapes, read here as the grammar reads them: nom's
    // pieces and fold took a tenth of reading a Rust capture's spans.
    let wrapped = ["String(Owned(", "String(Static(", "String(RefCounted("].iter().find_map(|w| text.strip_prefix(w));
    if let Some(plain) = wrapped.and_then(|t| t.strip_suffix("))")).and_then(plain_string) {
        return Some(Value::Str(plain.to_string()));
    }
    // And integers: a number `parse` takes whole holds none of the bytes that end the grammar's
    // token, so the grammar reads it as this does (its closures were a fifth of `parse_value`).
    if let Some(n) = text.strip_prefix("I64(").and_then(|t| t.strip_suffix(')')).and_then(|t| t.parse().ok()) {
        return Some(Value::Int(n));
    }
    all_consuming(debug_value).parse(text).ok().map(|(_, v)| v)
}

/// Parses a Debug string literal `"..."` (with its quotes) into its text.
pub fn parse_string(text: &str) -> Option<String> {
    if let Some(plain) = plain_string(text) {
        return Some(plain.to_string());
    }
    all_consuming(string).parse(text).ok().map(|(_, s)| s)
}

/// The text of `"..."` when nothing in it is escaped (no `\` and no other `"`): what [`string`]
/// reads it as. `None` for anything else, which the grammar reads.
fn plain_string(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    memchr::memchr2(b'"', b'\\', inner.as_bytes()).is_none().then_some(inner)
}

/// The name and version (empty for `None`) of an `InstrumentationScope { name: "todo", version:
/// Some("0.1.0"), .. }`, as the log exporter prints a record's scope; the fields after are not read.
pub fn parse_scope(text: &str) -> Option<(String, String)> {
    let version = alt((delimited(tag("Some("), string, char(')')), to(String::new(), tag("None"))));
    let mut scope = (preceded(tag("InstrumentationScope { name: "), string), preceded(tag(", version: "), version));
    scope.parse(text).ok().map(|(_, scope)| scope)
}

/// `Tag(...)`: the variant name, then its payload in parentheses. Past
/// [`super::grammar::DEEPEST`] levels (`ListAny` in `ListAny`...), no value: the caller keeps the
/// text as written, as Python's reader keeps JSON nested deeper than serde_json reads.
fn debug_value(i: &str) -> IResult<&str, Value> {
    nested(|| tagged(i))
        .unwrap_or_else(|| Err(nom::Err::Failure(nom::error::Error::new(i, nom::error::ErrorKind::TooLarge))))
}

/// [`debug_value`], at a depth allowed.
fn tagged(i: &str) -> IResult<&str, Value> {
    let (rest, name) = take_while(|c: char| c.is_ascii_alphanumeric())(i)?;
    match name {
        // The log side prints `String(Owned("..."))` too, but also `String("...")` in places.
        "String" => parens(map(alt((wrapped_string, string)), Value::Str)).parse(rest),
        "I64" | "Int" => parens(map_opt(token, |t| t.parse().ok().map(Value::Int))).parse(rest),
        "F64" | "Double" => parens(map_opt(token, |t| float(t).map(Value::Double))).parse(rest),
        "Bool" | "Boolean" => parens(map(boolean, Value::Bool)).parse(rest),
        // `Array(String([Static("a"), ...]))`: the items' type once, then the bare items.
        "Array" => parens(array).parse(rest),
        "ListAny" => parens(map(list(debug_value), Value::Array)).parse(rest),
        "Bytes" => parens(map(list(map_opt(token, |t| t.parse().ok().map(Value::Int))), Value::Array)).parse(rest),
        // Keys print as `Static("k")` or `Owned("k")`.
        "Map" => parens(map(
            delimited(
                char('{'),
                separated_list0(tag(", "), separated_pair(wrapped_string, tag(": "), debug_value)),
                char('}'),
            ),
            Value::Map,
        ))
        .parse(rest),
        _ => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Tag))),
    }
}

/// The inside of `Array(...)`: `String([..])`, `I64([..])`, `F64([..])` or `Bool([..])`.
fn array(i: &str) -> IResult<&str, Value> {
    let (rest, inner) = take_while(|c: char| c.is_ascii_alphanumeric())(i)?;
    match inner {
        "String" => parens(map(list(map(wrapped_string, Value::Str)), Value::Array)).parse(rest),
        "I64" => parens(map(list(map_opt(token, |t| t.parse().ok().map(Value::Int))), Value::Array)).parse(rest),
        "F64" => parens(map(list(map_opt(token, |t| float(t).map(Value::Double))), Value::Array)).parse(rest),
        "Bool" => parens(map(list(map(boolean, Value::Bool)), Value::Array)).parse(rest),
        _ => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Tag))),
    }
}

/// `(p)`.
fn parens<'a, O, P>(p: P) -> impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>
where
    P: Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
{
    delimited(char('('), p, char(')'))
}

/// `[a, b, c]`.
fn list<'a, P>(item: P) -> impl Parser<&'a str, Output = Vec<Value>, Error = nom::error::Error<&'a str>>
where
    P: Parser<&'a str, Output = Value, Error = nom::error::Error<&'a str>>,
{
    delimited(char('['), separated_list0(tag(", "), item), char(']'))
}

/// A number as printed, up to the next `)`, `,` or `]`.
fn token(i: &str) -> IResult<&str, &str> {
    take_till1(|c| matches!(c, ')' | ',' | ']'))(i)
}

fn boolean(i: &str) -> IResult<&str, bool> {
    alt((to(true, tag("true")), to(false, tag("false")))).parse(i)
}

/// `Owned("...")`, `Static("...")` or `RefCounted("...")`.
fn wrapped_string(i: &str) -> IResult<&str, String> {
    preceded(alt((tag("Owned"), tag("Static"), tag("RefCounted"))), delimited(char('('), string, char(')'))).parse(i)
}

/// A Rust Debug string literal: `\n`, `\r`, `\t`, `\0`, `\\`, `\"`, `\'` and `\u{1b}` escapes.
fn string(i: &str) -> IResult<&str, String> {
    let escape = alt((
        to('\n', char('n')),
        to('\r', char('r')),
        to('\t', char('t')),
        to('\0', char('0')),
        to('\\', char('\\')),
        to('"', char('"')),
        to('\'', char('\'')),
        map_opt(delimited(tag("u{"), hex_digit1, char('}')), |h| {
            u32::from_str_radix(h, 16).ok().and_then(char::from_u32)
        }),
    ));
    delimited(char('"'), unescaped("\"\\", escape), char('"')).parse(i)
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

    /// A value nested past `DEEPEST` levels is no value (its caller keeps the text as written):
    /// the grammar recursed once a level, and a log body of `ListAny` 200,000 deep overflowed
    /// the stack and aborted the run.
    #[test]
    fn values_nested_too_deep_are_no_value() {
        let list = |depth: usize| format!("{}Int(1){}", "ListAny([".repeat(depth), "])".repeat(depth));
        // 127 lists and the number are the 128 levels.
        assert!(matches!(parse_value(&list(127)), Some(Value::Array(_))));
        assert_eq!(parse_value(&list(128)), None);
        assert_eq!(parse_value(&list(200_000)), None);
        let map = |depth: usize| format!("{}Int(1){}", r#"Map({Static("k"): "#.repeat(depth), "})".repeat(depth));
        assert!(matches!(parse_value(&map(127)), Some(Value::Map(_))));
        assert_eq!(parse_value(&map(200_000)), None);
    }

    /// Strings read without the grammar read as the grammar reads them: every way of wrapping a
    /// string, each with text that has nothing to escape, an escape, a quote inside, or is cut.
    #[test]
    fn plain_strings_read_as_the_grammar_reads_them() {
        let texts = ["GET", "", "a b", "é ✓", r"a\nb", r#"say \"hi\""#, r#"a"b"#, r"end\", "\""];
        let mut checked = 0;
        for t in texts {
            for w in ["", "String(Owned(", "String(Static(", "String(RefCounted(", "String(", "String(Other("] {
                let close = ")".repeat(w.matches('(').count());
                for text in [format!("{w}\"{t}\"{close}"), format!("{w}\"{t}{close}"), format!("{w}\"{t}\"{close} x")] {
                    let grammar = all_consuming(debug_value).parse(text.as_str()).ok().map(|(_, v)| v);
                    assert_eq!(parse_value(&text), grammar, "{text}");
                    let grammar = all_consuming(string).parse(text.as_str()).ok().map(|(_, v)| v);
                    assert_eq!(parse_string(&text), grammar, "{text}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 162);
    }

    /// Integers read without the grammar read as the grammar reads them.
    #[test]
    fn integers_read_as_the_grammar_reads_them() {
        let numbers = ["0", "-5", "+5", " 5", "5 ", "", "9223372036854775807", "9223372036854775808", "1e3", "5)"];
        for n in numbers {
            for text in [format!("I64({n})"), format!("I64({n}"), format!("I64({n}) x")] {
                let grammar = all_consuming(debug_value).parse(text.as_str()).ok().map(|(_, v)| v);
                assert_eq!(parse_value(&text), grammar, "{text}");
            }
        }
        assert_eq!(parse_value("I64(-5)"), Some(Value::Int(-5)));
        assert_eq!(parse_value("I64(9223372036854775808)"), None);
    }
}
