//! A validating JSON pull reader for the hot path: one pass over a record's text that checks all
//! of it against the JSON grammar (RFC 8259) and hands out only what the caller asks for, borrowed.
//!
//! Why not serde_json here: a Python capture is pretty-printed JSON, 40% indentation, and building
//! a record through serde's derive ran at half the speed of the bytes it reads (1.1 GB/s a
//! core). This reader skips indentation and string bodies eight bytes at a time. It never decides
//! anything hard: on anything it does not expect (a type the record does not allow, an escaped
//! key, a duplicate field, invalid JSON) it says [`Bad`], and the caller reads the record again
//! with serde_json, which gives the message or the lenient reading. So serde_json stays the one
//! judge of what a record means; this only makes the common, well-formed case fast.

use std::borrow::Cow;

mod tree;

pub use tree::{Members, Tree, member};

/// Not what the fast path reads; the record goes to serde_json instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bad;

pub type Skimmed<T> = Result<T, Bad>;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `v` that is zero (exact for the lowest such byte, which is the
/// only one read).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGH
}

/// A cursor over one JSON text.
pub struct Skim<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

/// How deep a text the skimmer reads, as serde_json reads JSON (128 levels): deeper ones are
/// refused (`Bad`) and left to serde_json, which refuses them too.
pub const DEEPEST: u32 = 128;

impl<'a> Skim<'a> {
    pub fn new(text: &'a str) -> Self {
        Skim { text, b: text.as_bytes(), i: 0 }
    }

    #[inline(always)]
    fn peek(&self) -> u8 {
        self.b.get(self.i).copied().unwrap_or(0)
    }

    #[inline(always)]
    fn word(&self) -> Option<u64> {
        self.b.get(self.i..self.i + 8).map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))
    }

    /// Skips whitespace; runs of spaces (indentation) eight at a time.
    #[inline(always)]
    fn ws(&mut self) {
        loop {
            match self.peek() {
                b' ' => {
                    while let Some(w) = self.word() {
                        let x = w ^ (ONES * u64::from(b' '));
                        if x != 0 {
                            self.i += (x.trailing_zeros() / 8) as usize;
                            break;
                        }
                        self.i += 8;
                    }
                    while self.peek() == b' ' {
                        self.i += 1;
                    }
                }
                b'\n' | b'\r' | b'\t' => self.i += 1,
                _ => return,
            }
        }
    }

    /// At a `"`: reads the string; returns its body (between the quotes) and whether it holds
    /// escapes.
    #[inline(always)]
    fn string_body(&mut self) -> Skimmed<(&'a str, bool)> {
        if self.peek() != b'"' {
            return Err(Bad);
        }
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            while let Some(w) = self.word() {
                let m = zero_bytes(w ^ (ONES * u64::from(b'"')))
                    | zero_bytes(w ^ (ONES * u64::from(b'\\')))
                    | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
                if m != 0 {
                    self.i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                self.i += 8;
            }
            match self.peek() {
                b'"' => {
                    self.i += 1;
                    return Ok((&self.text[start..self.i - 1], escaped));
                }
                b'\\' => {
                    escaped = true;
                    match self.b.get(self.i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 2..self.i + 6).ok_or(Bad)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Bad);
                            }
                            self.i += 6;
                        }
                        _ => return Err(Bad),
                    }
                }
                // A control character (JSON wants them escaped), or the end of the text.
                c if c < 0x20 => return Err(Bad),
                _ => self.i += 1,
            }
        }
    }

    /// A string value. Escapes are decoded by serde_json (lone surrogates included: it rejects
    /// them, and the record goes the slow way).
    pub fn str(&mut self) -> Skimmed<Cow<'a, str>> {
        self.ws();
        let start = self.i;
        let (body, escaped) = self.string_body()?;
        if !escaped {
            return Ok(Cow::Borrowed(body));
        }
        serde_json::from_str::<String>(&self.text[start..self.i]).map(Cow::Owned).map_err(|_| Bad)
    }

    /// A string value without escapes (what serde's borrowed `&str` accepts).
    pub fn plain_str(&mut self) -> Skimmed<&'a str> {
        self.ws();
        match self.string_body()? {
            (body, false) => Ok(body),
            _ => Err(Bad),
        }
    }

    pub fn bool(&mut self) -> Skimmed<bool> {
        self.ws();
        match self.peek() {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => Err(Bad),
        }
    }

    /// The first byte of the next value (`"`, `{`, `[`, `t`, `f`, `n`, or a number's), not taken.
    pub fn peek_value(&mut self) -> u8 {
        self.ws();
        self.peek()
    }

    /// Whether the next value is `null`; consumes it if so.
    pub fn null(&mut self) -> Skimmed<bool> {
        self.ws();
        if self.peek() != b'n' {
            return Ok(false);
        }
        self.literal(b"null").map(|()| true)
    }

    /// Takes `word` if the text goes on with it, byte for byte (no whitespace skipped first):
    /// a caller that knows how a value is most often written checks it so, and on `false` reads
    /// it from where it was ([`Skim::position`]) the general way.
    #[inline(always)]
    pub fn take(&mut self, word: &[u8]) -> bool {
        let hit = self.b[self.i..].starts_with(word);
        if hit {
            self.i += word.len();
        }
        hit
    }

    /// Skips a string, checking it (escapes and all), as [`Skim::skip`] does.
    pub fn skip_str(&mut self) -> Skimmed<()> {
        self.ws();
        self.string_body().map(drop)
    }

    fn literal(&mut self, word: &[u8]) -> Skimmed<()> {
        if self.take(word) { Ok(()) } else { Err(Bad) }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_ascii_digit() {
            self.i += 1;
        }
        self.i - start
    }

    /// A number's text, checked against the grammar.
    pub fn number(&mut self) -> Skimmed<&'a str> {
        self.ws();
        let start = self.i;
        if self.peek() == b'-' {
            self.i += 1;
        }
        match self.peek() {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return Err(Bad),
        }
        if self.peek() == b'.' {
            self.i += 1;
            if self.digits() == 0 {
                return Err(Bad);
            }
        }
        if matches!(self.peek(), b'e' | b'E') {
            self.i += 1;
            if matches!(self.peek(), b'+' | b'-') {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(Bad);
            }
        }
        Ok(&self.text[start..self.i])
    }

    /// An integer that fits `T`; a fraction or exponent is [`Bad`] (serde's integers refuse them).
    pub fn int<T: std::str::FromStr>(&mut self) -> Skimmed<T> {
        let n = self.number()?;
        if n.contains(['.', 'e', 'E']) {
            return Err(Bad);
        }
        n.parse().map_err(|_| Bad)
    }

    /// [`Skim::int`] for a `u64`, its digits read as they are met: a histogram's bucket counts,
    /// fifteen a point, most of them one digit.
    pub fn uint(&mut self) -> Skimmed<u64> {
        self.ws();
        let start = self.i;
        let mut value: u64 = 0;
        if self.peek() == b'0' {
            // A number that starts with 0 ends there (JSON writes no leading zero).
            self.i += 1;
        } else {
            while let Some(d) = self.b.get(self.i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10) {
                value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(d))).ok_or(Bad)?;
                self.i += 1;
            }
        }
        // A fraction or exponent is no integer (as for `int`).
        if self.i == start || matches!(self.peek(), b'.' | b'e' | b'E') {
            return Err(Bad);
        }
        Ok(value)
    }

    /// Any number as `f64`, converted the way serde_json converts it.
    pub fn float(&mut self) -> Skimmed<f64> {
        let n = self.number()?;
        serde_json::from_str(n).map_err(|_| Bad)
    }

    /// A number an `f64` holds, checked and not converted: one beyond its range is [`Bad`], as
    /// the tree reader's doubles are (`otlp_json::double`). Without an exponent, fewer than 309
    /// digits are under `f64::MAX` (1.8e308) whatever they are; converting each bound of an OTLP
    /// histogram through serde_json only to drop it was a tenth of reading OTLP metric lines.
    pub fn finite(&mut self) -> Skimmed<()> {
        let n = self.number()?;
        let short = n.len() < 309 && !n.contains(['e', 'E']);
        if short || n.parse::<f64>().is_ok_and(f64::is_finite) { Ok(()) } else { Err(Bad) }
    }

    /// If the next value is one of `texts` (values read and checked before), byte for byte,
    /// takes it without reading it again. Only objects, arrays and strings qualify: their extent
    /// is fixed by their own bytes, where a number could go on (`12` is a prefix of `123`).
    pub fn known<'t>(&mut self, texts: impl Iterator<Item = &'t str>) -> Option<&'a str> {
        self.ws();
        let rest = &self.b[self.i..];
        for t in texts {
            if matches!(t.as_bytes().first(), Some(b'{' | b'[' | b'"')) && rest.starts_with(t.as_bytes()) {
                let start = self.i;
                self.i += t.len();
                return Some(&self.text[start..self.i]);
            }
        }
        None
    }

    /// Where the reader is, to come back to with [`Skim::rewind`].
    pub fn position(&self) -> usize {
        self.i
    }

    pub fn rewind(&mut self, to: usize) {
        self.i = to;
    }

    /// One value read by `read`, and its text.
    pub fn raw_with<T>(&mut self, read: impl FnOnce(&mut Self) -> Skimmed<T>) -> Skimmed<(&'a str, T)> {
        self.ws();
        let start = self.i;
        let value = read(self)?;
        Ok((&self.text[start..self.i], value))
    }

    /// Skips one value, checking it.
    pub fn skip(&mut self) -> Skimmed<()> {
        self.value(0)
    }

    /// Skips one value `depth` levels into the text (the nesting limit counts from the root).
    pub fn skip_at(&mut self, depth: u32) -> Skimmed<()> {
        self.value(depth)
    }

    /// One value's text, checked.
    pub fn raw(&mut self) -> Skimmed<&'a str> {
        self.raw_with(Skim::skip).map(|(text, ())| text)
    }

    fn value(&mut self, depth: u32) -> Skimmed<()> {
        // The reader recurses: deeper texts (none seen in a capture) are left to serde_json.
        if depth >= DEEPEST {
            return Err(Bad);
        }
        self.ws();
        match self.peek() {
            b'"' => self.string_body().map(|_| ()),
            b'{' => self.object(|s, _| s.value(depth + 1)),
            b'[' => self.array(|s| s.value(depth + 1)),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    /// An object: `field` is called with each key (which must hold no escapes, so that it means
    /// what it says) and must read or skip its value.
    pub fn object(&mut self, field: impl FnMut(&mut Self, &'a str) -> Skimmed<()>) -> Skimmed<()> {
        let plain_key = |s: &mut Self| match s.string_body()? {
            (key, false) => Ok(key),
            _ => Err(Bad),
        };
        self.object_with(plain_key, field)
    }

    /// An object, each key read by `key` and its value by `field`.
    fn object_with<K>(
        &mut self,
        mut key: impl FnMut(&mut Self) -> Skimmed<K>,
        mut field: impl FnMut(&mut Self, K) -> Skimmed<()>,
    ) -> Skimmed<()> {
        self.ws();
        if self.peek() != b'{' {
            return Err(Bad);
        }
        self.i += 1;
        self.ws();
        if self.peek() == b'}' {
            self.i += 1;
            return Ok(());
        }
        loop {
            let k = key(self)?;
            self.ws();
            if self.peek() != b':' {
                return Err(Bad);
            }
            self.i += 1;
            field(self, k)?;
            self.ws();
            match self.peek() {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Bad),
            }
        }
    }

    /// An array: `item` is called once per element and must read or skip it.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self) -> Skimmed<()>) -> Skimmed<()> {
        self.ws();
        if self.peek() != b'[' {
            return Err(Bad);
        }
        self.i += 1;
        self.ws();
        if self.peek() == b']' {
            self.i += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.ws();
            match self.peek() {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Bad),
            }
        }
    }

    /// The end of the text: only whitespace may follow.
    pub fn end(&mut self) -> Skimmed<()> {
        self.ws();
        if self.i == self.b.len() { Ok(()) } else { Err(Bad) }
    }
}

/// Which reader takes a text first: the skimmer, with serde_json on whatever it says [`Bad`] to,
/// or serde_json alone (what tests hold the skimmer to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Skim,
    #[cfg_attr(not(test), allow(dead_code))]
    SerdeOnly,
}

impl Reader {
    /// `fast`'s reading when this reader skims and it reads the text; `slow`'s otherwise.
    pub fn read<T, E>(self, fast: impl FnOnce() -> Skimmed<T>, slow: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        match self {
            Reader::Skim => fast().or_else(|Bad| slow()),
            Reader::SerdeOnly => slow(),
        }
    }
}

/// Sets a field once: a second occurrence is [`Bad`] (serde's derive refuses duplicate fields).
pub fn once<T>(slot: &mut Option<T>, value: T) -> Skimmed<()> {
    if slot.is_some() {
        return Err(Bad);
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(text: &str) -> bool {
        let mut s = Skim::new(text);
        s.skip().and_then(|()| s.end()).is_ok()
    }

    /// `uint` reads what `int::<u64>` reads, and stops where it stops: numbers of every length
    /// around 2^64, signs, fractions, exponents, leading zeros and what follows them.
    #[test]
    fn uint_is_int_for_a_u64() {
        let mut texts: Vec<String> =
            ["0", "7", "42", "-0", "-1", "00", "01", "1.5", "1e3", "1E3", "2.", "", " 3", "+4", "x"]
                .into_iter()
                .map(String::from)
                .collect();
        for n in [u64::MAX as u128 - 1, u64::MAX as u128, u64::MAX as u128 + 1, 10u128.pow(19), 10u128.pow(20)] {
            texts.push(n.to_string());
        }
        for t in texts.clone() {
            for after in [",", "]", " ,", "}"] {
                texts.push(format!("{t}{after}"));
            }
        }
        for t in &texts {
            let (mut a, mut b) = (Skim::new(t), Skim::new(t));
            let (x, y) = (a.uint(), b.int::<u64>());
            assert_eq!(x, y, "{t:?}");
            if x.is_ok() {
                assert_eq!(a.position(), b.position(), "{t:?}");
            }
        }
    }

    /// A number is finite exactly when serde_json reads it as an `f64` (one beyond its range it
    /// refuses), and when the tree reader's doubles hold it.
    #[test]
    fn finite_numbers_are_those_an_f64_holds() {
        let long = |digits: usize| "9".repeat(digits);
        let cases = ["0", "-0.5", "1e308", "1.7976931348623157e308", "1e309", "-1e999", "2E-999", "123.456e-7"];
        let lengths = [long(308), long(309), long(400), format!("0.{}", long(400))];
        for n in cases.iter().copied().chain(lengths.iter().map(String::as_str)) {
            let finite = Skim::new(n).finite().is_ok();
            assert_eq!(finite, serde_json::from_str::<f64>(n).is_ok(), "{n}");
            assert_eq!(finite, n.parse::<f64>().is_ok_and(f64::is_finite), "{n}");
        }
    }

    #[test]
    fn accepts_exactly_what_serde_json_accepts() {
        let cases = [
            "{}",
            "[]",
            " {\n    \"a\": [1, -0, 0.5, 1e10, -2.5E-3, true, false, null, \"x\\u00e9\\n\"]\n}\n",
            "{\"a\": {\"b\": [{}, []]}}",
            "\"\u{e9}t\u{e9}\"",
            "{\"a\": 01}",
            "{\"a\": 1.}",
            "{\"a\": .5}",
            "{\"a\": 1e}",
            "{\"a\": +1}",
            "{\"a\": tru}",
            "{\"a\": \"x\ty\"}",
            "{\"a\": \"\\x\"}",
            "{\"a\": \"\\u12g4\"}",
            "{\"a\": 1,}",
            "[1,]",
            "{\"a\" 1}",
            "{\"a\": 1} x",
            "{\"a\": \"unterminated",
            "{\"a\": NaN}",
            "",
        ];
        for text in cases {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
            assert_eq!(valid(text), serde, "{text:?}");
        }
        // Nesting is bounded (the reader recurses): deeper than 128 levels goes to serde_json.
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(valid(&nested(128)));
        assert!(!valid(&nested(129)));
    }

    #[test]
    fn a_known_value_is_taken_whole_and_only_if_it_cannot_go_on() {
        let mut s = Skim::new("{\"r\": {\"a\": [1]}, \"n\": 123}");
        let (mut r, mut n) = (None, None);
        s.object(|s, key| match key {
            "r" => once(&mut r, s.known(["{\"a\": [2]}", "{\"a\": [1]}"].into_iter()).ok_or(Bad)?),
            _ => once(&mut n, s.known(["12"].into_iter())).and_then(|()| s.skip()),
        })
        .unwrap();
        assert_eq!(r, Some("{\"a\": [1]}"));
        assert_eq!(n, Some(None));
    }

    #[test]
    fn reads_fields_strings_and_numbers() {
        let mut s =
            Skim::new("{\n    \"name\": \"GET /caf\\u00e9\",\n    \"n\": -42,\n    \"x\": [1.5],\n    \"o\": null\n}");
        let (mut name, mut n, mut raw, mut null) = (None, None, None, false);
        s.object(|s, key| match key {
            "name" => once(&mut name, s.str()?),
            "n" => once(&mut n, s.int::<i64>()?),
            "x" => once(&mut raw, s.raw()?),
            "o" => s.null().map(|b| null = b),
            _ => s.skip(),
        })
        .unwrap();
        s.end().unwrap();
        assert_eq!(name.as_deref(), Some("GET /café"));
        assert_eq!(n, Some(-42));
        assert_eq!(raw, Some("[1.5]"));
        assert!(null);
        // Escaped keys and duplicate fields go the slow way.
        let mut s = Skim::new("{\"n\\u0061me\": 1}");
        assert_eq!(s.object(|s, _| s.skip()), Err(Bad));
        let mut s = Skim::new("{\"n\": 1, \"n\": 2}");
        let mut n = None;
        assert_eq!(s.object(|s, _| once(&mut n, s.int::<i64>()?)), Err(Bad));
        assert_eq!(Skim::new("1.5").int::<i64>(), Err(Bad));
        assert_eq!(Skim::new("300").int::<u8>(), Err(Bad));
    }
}
