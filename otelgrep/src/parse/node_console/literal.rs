//! The literals `util.inspect` prints (shared/FORMATS.md §6), as the Node console exporters
//! print records: a JavaScript object literal, not JSON. Unquoted or single-quoted keys, `'...'`
//! strings (concatenated with `+` across lines when long), `undefined`, BigInts (`12n`), numeric
//! arrays laid out in columns, `[Array]`/`[Object]` where `util.inspect` stopped at depth 3
//! (kept as empty values: the exporter printed nothing more), and what it prints besides plain
//! objects (Node's `lib/internal/util/inspect.js`, `formatValue`/`formatRaw`/`getPrefix`): class
//! instances (`TraceState { ... }`, which a remote parent's `tracestate` puts in a span), `Map`s
//! and `Set`s, typed arrays and Buffers, functions, classes, getters, symbols, cycles, sparse
//! arrays, dates, regular expressions and errors (read in [`exotic`]): each read as a value, never
//! a reason to reject the record. nom, with `cut` and `context` so an error names the line and
//! what was expected there. A literal's objects and arrays, and the text in it that is not the
//! record's own (strings with escapes or in parts, error stacks, a Map's numeric keys), are made in
//! an arena ([`Bump`]) and given back with it at once.

use bumpalo::Bump;
use bumpalo::collections::Vec as BVec;

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_till};
use nom::character::complete::{anychar, char, digit1, hex_digit1, one_of};
use nom::combinator::{cut, map, map_opt, opt, value as to};
use nom::error::{ContextError, ErrorKind, ParseError, context};
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser};

use super::super::ParseErrorKind;
use super::super::RecordError;
use super::super::grammar::{DEEPEST, nested, spaces as multispace0, unescaped};

mod exotic;
use exotic::{angled, bracketed, date, error_start, error_value, map_key, prefixed, tagged};

/// A JavaScript value as `util.inspect` prints it. Keys and strings borrow from the record's text
/// unless they are other text (an escape, a string in parts; allocating each was a sixth of
/// reading a Node capture): that text, objects and arrays are in the arena the literal was read
/// with. Nothing in a value is dropped: dropping a record's tree, one allocation at a time, was
/// 7% of reading a Node capture's spans (`perf`), and allocating and freeing it about 6% more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Js<'a> {
    Undefined,
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    BigInt(&'a str),
    Str(&'a str),
    Arr(&'a [Js<'a>]),
    Obj(&'a [(&'a str, Js<'a>)]),
}

impl<'a> Js<'a> {
    /// The value as a message shows it: a number or text as printed, anything else by its kind.
    pub(super) fn shown(&self) -> String {
        match self {
            Js::Int(i) => i.to_string(),
            Js::Num(n) => n.to_string(),
            Js::BigInt(s) => format!("{s}n"),
            Js::Str(s) => format!("{:?}", s.chars().take(40).collect::<String>()),
            Js::Bool(b) => b.to_string(),
            Js::Undefined => "undefined".into(),
            Js::Null => "null".into(),
            Js::Arr(_) => "an array".into(),
            Js::Obj(_) => "an object".into(),
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&Js<'a>> {
        match self {
            Js::Obj(kvs) => kvs.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub(super) fn str(&self) -> Option<&str> {
        match self {
            Js::Str(s) => Some(s),
            _ => None,
        }
    }
    pub(super) fn f64(&self) -> Option<f64> {
        match self {
            Js::Int(i) => Some(*i as f64),
            Js::Num(n) => Some(*n),
            _ => None,
        }
    }
    pub(super) fn i64(&self) -> Option<i64> {
        match self {
            Js::Int(i) => Some(*i),
            Js::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            Js::BigInt(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Parses one object literal, its values made in `b`.
pub fn parse_literal<'a>(text: &'a str, b: &'a Bump) -> Result<Js<'a>, RecordError> {
    literal(text, js_value(text, b))
}

/// What the literal `text` read as: the value, or the error at its line. `parsed` is a parse of
/// `text` or of a part of it that runs to its end.
pub(super) fn literal<'a>(text: &'a str, parsed: Res<'a, Js<'a>>) -> Result<Js<'a>, RecordError> {
    let at = |e: LitError| {
        let consumed = &text[..text.len() - e.at.len()];
        RecordError {
            offset_lines: consumed.bytes().filter(|&b| b == b'\n').count() as u64,
            kind: ParseErrorKind::Invalid(format!("invalid Node console record: {}", e.msg)),
        }
    };
    match parsed {
        Ok((rest, v)) if rest.trim().is_empty() => Ok(v),
        Ok((rest, _)) => Err(at(LitError { at: rest.trim_start(), msg: "unexpected text after the object" })),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(at(e)),
        Err(nom::Err::Incomplete(_)) => Err(at(LitError { at: "", msg: "unexpected end" })),
    }
}

/// Where the literal went wrong, and what was expected there.
#[derive(Debug)]
pub(super) struct LitError<'a> {
    at: &'a str,
    msg: &'static str,
}

const UNEXPECTED: &str = "unexpected text";

impl<'a> ParseError<&'a str> for LitError<'a> {
    fn from_error_kind(at: &'a str, _: ErrorKind) -> Self {
        LitError { at, msg: UNEXPECTED }
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

impl<'a> ContextError<&'a str> for LitError<'a> {
    /// The innermost position, named by the closest `context`.
    fn add_context(_: &'a str, msg: &'static str, other: Self) -> Self {
        if other.msg == UNEXPECTED { LitError { msg, ..other } } else { other }
    }
}

pub(super) type Res<'a, T> = IResult<&'a str, T, LitError<'a>>;

/// `parse`, reading what holds values (an object, an array, a collection, a tag): one level
/// deeper, or past [`DEEPEST`] levels a failure. Every value inside another is read inside one
/// of these: levels are counted there, not at each value (most are strings and numbers).
fn deeper<'a, T>(
    i: &'a str,
    parse: impl FnOnce() -> Result<T, nom::Err<LitError<'a>>>,
) -> Result<T, nom::Err<LitError<'a>>> {
    nested(parse).unwrap_or(Err(nom::Err::Failure(LitError { at: i, msg: TOO_DEEP })))
}

/// What a record nested past [`DEEPEST`] levels is skipped with.
const TOO_DEEP: &str = "values nested more than 128 levels deep";
const _: () = assert!(DEEPEST == 128, "TOO_DEEP names the depth");

/// Stops the parse here: no other alternative can apply.
fn fail<'a, T>(at: &'a str, msg: &'static str) -> Res<'a, T> {
    Err(nom::Err::Failure(LitError { at, msg }))
}

/// Any value, after optional whitespace; its first character says which.
pub(super) fn js_value<'a>(i: &'a str, b: &'a Bump) -> Res<'a, Js<'a>> {
    let mut v = Js::Undefined;
    let rest = value_into(i, b, &mut v)?;
    Ok((rest, v))
}

/// Where a parse that writes its value in place stops, or what went wrong.
type Rest<'a> = Result<&'a str, nom::Err<LitError<'a>>>;

/// [`js_value`], written into `out`: objects and arrays are filled where they will stay, not
/// built and then moved up through each caller's result (a value written field by field and
/// read back whole at once stalls the processor until the writes land: those moves were a fifth
/// of reading a Node capture's metrics).
fn value_into<'a>(i: &'a str, b: &'a Bump, out: &mut Js<'a>) -> Rest<'a> {
    let (i, _) = multispace0(i)?;
    // `<ref *1> { ... }`: a value a cycle points back to (`[Circular *1]`).
    let i = match i.strip_prefix("<ref *") {
        Some(r) => r.find("> ").map_or(i, |at| &r[at + 2..]),
        None => i,
    };
    let (rest, v) = match i.chars().next() {
        None => return Err(nom::Err::Failure(LitError { at: i, msg: "unexpected end" })),
        Some('{') => return object_into(i, b, out),
        // `[Array]`, `[Object]` (`util.inspect` stopped at depth 3: the exporter printed nothing
        // more), `[Function: f]`, `[class A]`, `[Getter]`, `[Circular *1]`, `[String: 'x']`.
        Some('[') if i[1..].starts_with(|c: char| c.is_ascii_alphabetic()) => tagged(i, b)?,
        Some('[') => return array_into(i, b, out),
        // `<Buffer 01 02>`: what a class's own inspect printed.
        Some('<') => map(angled, |_| Js::Undefined).parse(i)?,
        Some('\'' | '"' | '`') => return text_into(i, b, out),
        Some('I') if let Some(rest) = i.strip_prefix(INVALID_DATE) => date(rest, &i[..INVALID_DATE.len()], b)?,
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$' => match prefixed(i, b) {
            Some(read) => read?,
            None if error_start(i, false) => error_value(i, b)?,
            None => return word_into(i, b, out),
        },
        Some(_) => return word_into(i, b, out),
    };
    *out = v;
    Ok(rest)
}

/// One item of a collection or an array: `key: value`, a Map's `key => value`, a value, or
/// what is nothing (`<pending>`, `<3 empty items>`).
enum Item<'a> {
    Keyed(&'a str, Js<'a>),
    Plain(Js<'a>),
    Nothing,
}

fn item<'a>(i: &'a str, b: &'a Bump) -> Res<'a, Item<'a>> {
    let value = |i: &'a str| js_value(i, b);
    let (i, _) = multispace0(i)?;
    if i.starts_with('<') && !i.starts_with("<ref *") {
        // `Promise { <rejected> Error: ... }`: the mark, then the value it marks.
        let (rest, mark) = angled(i)?;
        return match rest.strip_prefix(' ') {
            Some(v) if mark == "<rejected>" => map(value, Item::Plain).parse(v),
            _ => Ok((rest, Item::Nothing)),
        };
    }
    // An array, Map or Set of over 100 entries ends with how many more it holds.
    if let Some(more) = i.strip_prefix("... ") {
        return Ok((take_till(|c| matches!(c, ',' | '}' | ']' | '\n'))(more)?.0, Item::Nothing));
    }
    // An error (a Map's key too: `Error: k\n    at f (a.js:1:1) => 'v'`), where `Name: x` is not
    // an array's own key.
    let (rest, v) = if error_start(i, true) {
        error_value(i, b)?
    } else {
        if let Ok((rest, k)) = key(i, b)
            && let Some(rest) = rest.strip_prefix(':')
        {
            return map(cut(value), |v| Item::Keyed(k, v)).parse(rest);
        }
        value(i)?
    };
    match rest.strip_prefix(" =>") {
        Some(rest) => map(cut(value), |w| Item::Keyed(map_key(&v, b), w)).parse(rest),
        None => Ok((rest, Item::Plain(v))),
    }
}

/// `{ key: value, 'quoted.key': value, }`, written into `out`.
fn object_into<'a>(i: &'a str, b: &'a Bump, out: &mut Js<'a>) -> Rest<'a> {
    deeper(i, || {
        let (i, _) = char('{')(i)?;
        let mut kvs = BVec::with_capacity_in(8, b);
        let rest = entries(i, b, &mut kvs);
        *out = Js::Obj(kvs.into_bump_slice());
        rest
    })
}

/// An object's entries while it is read.
type Entries<'a> = BVec<'a, (&'a str, Js<'a>)>;

/// An object's entries from `i` on, after those in `kvs` (the first has no comma before it), and
/// its end. A key that is not there ends the entries (so a last comma is allowed); anything wrong
/// after a key is an error. By hand rather than nom's `separated_list0`: its closures were a
/// tenth of reading a Node capture, and `many0` allocates before it reads anything.
fn entries<'a>(mut i: &'a str, b: &'a Bump, kvs: &mut Entries<'a>) -> Rest<'a> {
    if kvs.is_empty() {
        match entry(i, b, kvs) {
            Ok(rest) => i = rest,
            Err(nom::Err::Error(_)) => return object_end(i),
            Err(e) => return Err(e),
        }
    }
    while let Some(after) = multispace0(i)?.0.strip_prefix(',') {
        match entry(after, b, kvs) {
            Ok(rest) => i = rest,
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    object_end(i)
}

/// `key: value`, added to `kvs` (its value written in place): no key is an error the caller may
/// take back; past the key, a failure.
fn entry<'a>(i: &'a str, b: &'a Bump, kvs: &mut Entries<'a>) -> Rest<'a> {
    let (i, k) = key(multispace0(i)?.0, b)?;
    let i = multispace0(i)?.0;
    let Some(i) = i.strip_prefix(':') else {
        return Err(nom::Err::Failure(LitError { at: i, msg: "expected ':' after a key" }));
    };
    let value = push_entry(kvs, k);
    match value_into(i, b, value) {
        Err(nom::Err::Error(e)) => Err(nom::Err::Failure(e)),
        read => read,
    }
}

/// An object's key: a name, a quoted string, or a symbol (`[Symbol(s)]`).
fn key<'a>(i: &'a str, b: &'a Bump) -> Res<'a, &'a str> {
    // A name, the common case, is looked for first.
    let name = name_len(i);
    if name > 0 {
        return Ok((&i[name..], &i[..name]));
    }
    if i.starts_with(['\'', '"', '`']) {
        return string(i, b);
    }
    bracketed(i)
}

/// The bytes a name is made of (letters, digits, `_`, `$`), as a table: a byte's test is one
/// load, not the comparisons of `is_ascii_alphanumeric` and the rest (with nom's `alt` gone from
/// quoted keys, half of `key`'s instructions: a Node capture's most called reader).
const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
        b += 1;
    }
    table
};

/// The length of the name `i` starts with (letters, digits, `_`, `$`), a byte at a time.
fn name_len(i: &str) -> usize {
    i.bytes().position(|c| !NAME_BYTES[usize::from(c)]).unwrap_or(i.len())
}

/// A new entry for key `k` pushed onto `kvs`, its value `undefined` until the caller writes it
/// there: where it is. Each field is written where it stays, from registers. A value made aside
/// and copied in whole (as `push` does, and as a tuple is) is read back 16 bytes at a time
/// straight after its fields were written 8 bytes or one byte at a time, and the processor waits
/// for those writes to land before it can read them so: that copy was a third of `entry`'s
/// samples in a profile, and of reading a metric's arrays of numbers.
fn push_entry<'a, 'v>(kvs: &'v mut Entries<'a>, k: &'a str) -> &'v mut Js<'a> {
    kvs.reserve(1);
    let len = kvs.len();
    // SAFETY: the element at `len` is the spare one `reserve` made room for; both of its fields
    // are written before the length takes it in.
    unsafe {
        let slot = kvs.as_mut_ptr().add(len);
        (&raw mut (*slot).0).write(k);
        (&raw mut (*slot).1).write(Js::Undefined);
        kvs.set_len(len + 1);
    }
    &mut kvs[len].1
}

/// A number pushed onto `items`, made where it goes (see [`push_entry`]).
fn push_number(items: &mut BVec<'_, Js<'_>>, n: Result<i64, f64>) {
    items.reserve(1);
    let len = items.len();
    // SAFETY: the element at `len` is the spare one `reserve` made room for; it is written
    // before the length takes it in.
    unsafe {
        let slot = items.as_mut_ptr().add(len);
        match n {
            Ok(n) => slot.write(Js::Int(n)),
            Err(f) => slot.write(Js::Num(f)),
        }
        items.set_len(len + 1);
    }
}

/// An object's optional last comma and its `}`.
fn object_end(i: &str) -> Rest<'_> {
    let (i, _) = opt(preceded(multispace0, char(','))).parse(i)?;
    let (i, _) = cut(context("expected ',' or '}'", preceded(multispace0, char('}')))).parse(i)?;
    Ok(i)
}

/// The rest of an object after its first entry, `first`: as [`object_into`] reads it.
pub(super) fn object_after<'a>(i: &'a str, b: &'a Bump, first: (&'a str, Js<'a>)) -> Res<'a, Js<'a>> {
    let mut kvs = BVec::with_capacity_in(16, b);
    kvs.push(first);
    let rest = entries(i, b, &mut kvs)?;
    Ok((rest, Js::Obj(kvs.into_bump_slice())))
}

/// `[ a, b, ... 12 more items ]` (arrays over 100 items end with that count), with sparse
/// arrays' `<3 empty items>` and an array's own keys (`[ 1, 2, x: 3 ]`) left out.
fn array<'a>(i: &'a str, b: &'a Bump) -> Res<'a, Js<'a>> {
    let mut v = Js::Undefined;
    let rest = array_into(i, b, &mut v)?;
    Ok((rest, v))
}

/// [`array`], written into `out`.
fn array_into<'a>(i: &'a str, b: &'a Bump, out: &mut Js<'a>) -> Rest<'a> {
    deeper(i, || {
        let (i, _) = char('[')(i)?;
        // Sized for a histogram's bounds and counts, which grew it three times.
        let mut items = BVec::with_capacity_in(16, b);
        let rest = items_into(i, b, &mut items);
        *out = Js::Arr(items.into_bump_slice());
        rest
    })
}

/// An array's items from `i` on, and its `]`.
fn items_into<'a>(mut i: &'a str, b: &'a Bump, items: &mut BVec<'a, Js<'a>>) -> Rest<'a> {
    loop {
        let (r, _) = multispace0(i)?;
        if let Some(r) = r.strip_prefix(']') {
            return Ok(r);
        }
        // A number read straight; anything else, `... 12 more items` included, as an item.
        let r = match number(r) {
            Some((r, n)) => {
                push_number(items, n);
                r
            }
            None => {
                let (r, it) = item(r, b)?;
                if let Item::Plain(v) = it {
                    items.push(v);
                }
                r
            }
        };
        let (r, _) = multispace0(r)?;
        i = match r.strip_prefix(',') {
            Some(r) => r,
            None => return Ok(cut(context("expected ',' or ']'", char(']'))).parse(r)?.0),
        };
    }
}

/// A number that is a whole item, as `item` reads it (an integer, else a double), read without
/// its detour through keys, values and words: the items of a metric's bounds and counts, where
/// that detour was a fifth of reading a Node capture. `None` for anything else, which `item` reads.
fn number(i: &str) -> Option<(&str, Result<i64, f64>)> {
    let b = i.as_bytes();
    if !matches!(b.first(), Some(b'0'..=b'9' | b'-')) {
        return None;
    }
    let end = b.iter().position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')).unwrap_or(b.len());
    // Where `word` ends it too, and no Map's ` =>` after it.
    let (w, rest) = i.split_at(end);
    if !matches!(rest.as_bytes().first(), None | Some(b',' | b'}' | b']' | b'\n' | b'\r' | b' '))
        || rest.starts_with(" =>")
    {
        return None;
    }
    match w.parse::<i64>() {
        Ok(n) => Some((rest, Ok(n))),
        Err(_) => Some((rest, Err(w.parse().ok()?))),
    }
}

/// A string, long ones printed as `'part' +` lines, cut ones followed by `... 9990 more characters`,
/// written into `out` (as [`value_into`] writes).
fn text_into<'a>(i: &'a str, b: &'a Bump, out: &mut Js<'a>) -> Rest<'a> {
    // Most strings have no escape and nothing after them: written straight from where they are
    // found (the string made by `string` and then moved here was read back 16 bytes at a time
    // straight after it was written, see [`push_entry`]).
    if let Some(end) = plain_end(&i[1..], i.as_bytes()[0]).map(|end| end + 1)
        && !matches!(i.as_bytes().get(end + 1), Some(b' ' | b'\n' | b'\r' | b'\t' | b'+' | b'.'))
    {
        *out = Js::Str(&i[1..end]);
        return Ok(&i[end + 1..]);
    }
    let (mut i, first) = string(i, b)?;
    // By hand: nom's `many0` allocated for every string, though nearly none is continued.
    let mut s: Option<bumpalo::collections::String> = None;
    while let Some(after) = multispace0(i)?.0.strip_prefix('+') {
        match string(multispace0(after)?.0, b) {
            Ok((rest, part)) => {
                s.get_or_insert_with(|| bumpalo::collections::String::from_str_in(first, b)).push_str(part);
                i = rest;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    let (i, _) = opt((tag("... "), digit1, tag(" more characters"))).parse(i)?;
    *out = Js::Str(s.map_or(first, |s| s.into_bump_str()));
    Ok(i)
}

/// Where the string that `i` holds after its opening `quote` ends, when no escape comes first.
fn plain_end(i: &str, quote: u8) -> Option<usize> {
    memchr::memchr2(quote, b'\\', i.as_bytes()).filter(|&end| i.as_bytes()[end] == quote)
}

/// `'...'`, `"..."` or `` `...` `` with JavaScript escapes; borrowed when it has none, else
/// made in `b`.
fn string<'a>(i: &'a str, b: &'a Bump) -> Res<'a, &'a str> {
    let (i, quote) = one_of("'\"`")(i)?;
    if let Some(end) = plain_end(i, quote as u8) {
        return Ok((&i[end + 1..], &i[..end]));
    }
    let plain = match quote {
        '\'' => "'\\",
        '"' => "\"\\",
        _ => "`\\",
    };
    let body = unescaped(plain, cut(escape));
    map(terminated(body, cut(context("unterminated string", char(quote)))), |s: String| &*b.alloc_str(&s)).parse(i)
}

/// The character after a backslash.
fn escape(i: &str) -> Res<'_, char> {
    let hex = |n: usize| map_opt(take(n), |h: &str| u32::from_str_radix(h, 16).ok());
    alt((
        to('\n', char('n')),
        to('\r', char('r')),
        to('\t', char('t')),
        to('\u{8}', char('b')),
        to('\u{c}', char('f')),
        to('\u{b}', char('v')),
        to('\0', char('0')),
        preceded(char('x'), map(hex(2), |v| char::from_u32(v).unwrap_or('\u{fffd}'))),
        preceded(
            tag("u{"),
            terminated(
                map_opt(hex_digit1, |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32)),
                char('}'),
            ),
        ),
        // `\uD83D\uDE00`: a surrogate pair is one character.
        preceded(
            char('u'),
            map((hex(4), opt(preceded(tag("\\u"), hex(4)))), |(hi, lo)| match lo {
                Some(lo) if (0xd800..0xdc00).contains(&hi) => {
                    char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff))
                        .unwrap_or('\u{fffd}')
                }
                _ => char::from_u32(hi).unwrap_or('\u{fffd}'),
            }),
        ),
        // Any other escaped character is itself.
        anychar,
    ))
    .parse(i)
}

/// The bytes a word ends at, as a table (as [`NAME_BYTES`]).
const WORD_ENDS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b',' | b'}' | b']' | b'\n' | b'\r' | b' ');
        b += 1;
    }
    table
};

/// `undefined`, `null`, booleans, numbers, `NaN`, `Infinity`, BigInts (`12n`), written into
/// `out` (as [`value_into`] writes).
fn word_into<'a>(i: &'a str, b: &'a Bump, out: &mut Js<'a>) -> Rest<'a> {
    // A `\r` too: a CRLF capture saved again by a Windows writer ends its lines `\r\r\n`, and the
    // framer takes one `\r` off.
    let end = i.bytes().position(|c| WORD_ENDS[usize::from(c)]).unwrap_or(i.len());
    let (w, rest) = i.split_at(end);
    if w.is_empty() {
        // No value here (`[]`, or a key with nothing after it): the caller decides.
        return Err(nom::Err::Error(LitError { at: i, msg: "expected a value" }));
    }
    *out = match w {
        "undefined" => Js::Undefined,
        "null" => Js::Null,
        "true" => Js::Bool(true),
        "false" => Js::Bool(false),
        "NaN" => Js::Num(f64::NAN),
        "Infinity" => Js::Num(f64::INFINITY),
        "-Infinity" => Js::Num(f64::NEG_INFINITY),
        _ if w.ends_with('n') && w[..w.len() - 1].parse::<i128>().is_ok() => Js::BigInt(&w[..w.len() - 1]),
        // Read as a double only when it is no integer (both were parsed for every number).
        _ => match w.parse::<i64>() {
            Ok(n) => Js::Int(n),
            Err(_) => match w.parse::<f64>() {
                Ok(f) => Js::Num(f),
                // A `Date` (`2026-12-02T10:00:00.000Z`, its properties after it left out).
                Err(_) if is_date(w) => {
                    let (rest, date) = date(rest, w, b)?;
                    *out = date;
                    return Ok(rest);
                }
                // A `RegExp` (`/a+b/gi`), or a URL (`http://a/b?c`, as a `URL` prints past the
                // depth shown), as text.
                Err(_) if (w.starts_with('/') && w[1..].contains('/')) || is_url(w) => Js::Str(w),
                Err(_) => return Err(nom::Err::Failure(LitError { at: i, msg: "unknown value" })),
            },
        },
    };
    Ok(rest)
}

/// Whether a word is a URL as a `URL` prints its `href`: a scheme, `://`, and no quote (a string
/// that lost its opening quote stays the error it is).
fn is_url(w: &str) -> bool {
    w.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    }) && !w.contains(['\'', '"', '`'])
}

/// What a date that is no time prints (`Date.prototype.toString`).
const INVALID_DATE: &str = "Invalid Date";

/// Whether a word is a date as `Date.prototype.toISOString` writes it (a year past 9999 or before
/// 0 with a sign and six digits: `+275760-09-13T00:00:00.000Z`).
fn is_date(w: &str) -> bool {
    let b = w.as_bytes();
    let extended = matches!(b.first(), Some(b'+' | b'-')) && b.len() > 7 && b[1..7].iter().all(u8::is_ascii_digit);
    let b = if extended { &b[3..] } else { b };
    b.len() >= 20 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T' && w.ends_with('Z')
}
