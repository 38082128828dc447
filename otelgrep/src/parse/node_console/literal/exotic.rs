//! What `util.inspect` prints besides plain objects, arrays, strings and numbers (Node's
//! `lib/internal/util/inspect.js`: `formatValue`, `formatRaw`, `getPrefix`, `formatError`): tags
//! (`[Function: f]`, `[Set Iterator] { 'a' }`), values with their constructor's name in front
//! (`TraceState { ... }`, `Map(2) { 'k' => 'v' }`), `<...>` marks, errors printed as their stack
//! (with their own properties after it), and dates (`Invalid Date`, a date with properties).
//! A log record's body may hold any of these (the SDK checks span and log attributes, not bodies):
//! each is read as a value, never a reason to skip the record.

use bumpalo::Bump;
use bumpalo::collections::Vec as BVec;
use nom::Parser;
use nom::character::complete::char;
use nom::combinator::cut;
use nom::error::context;

use super::{Item, Js, LitError, Res, array, deeper, fail, item, js_value, multispace0, name_len};

/// A bracketed tag (see [`js_value`]): nothing kept, but an error's. What a tag prefixes is read
/// as the value (`[Object: null prototype] { a: 1 }`, `[class A] { x: 1 }`,
/// `[Set Iterator] { 'a' }`). An error without its stack prints its name and message so
/// (`[Error: boom]`, `[TypeError: bad] { code: 'E' }`): kept as that text, as [`error_value`]
/// keeps a stack.
pub(super) fn tagged<'a>(i: &'a str, b: &'a Bump) -> Res<'a, Js<'a>> {
    deeper(i, || {
        let (rest, tag) = match bracketed(i) {
            Ok(read) => read,
            Err(_) if let Some(read) = bracketed_error(i) => read,
            // No other alternative can apply (as `cut`).
            Err(nom::Err::Error(e)) => return Err(nom::Err::Failure(e)),
            Err(e) => return Err(e),
        };
        let (rest, value) = match rest.strip_prefix(' ') {
            // Keyed or not: `[Arguments] { '0': 1 }`, `[Set Iterator] { 'a' }`.
            Some(after) if after.starts_with('{') => collection(after, b).map(|(r, v)| (r, Some(v)))?,
            Some(after) if after.starts_with('[') => js_value(after, b).map(|(r, v)| (r, Some(v)))?,
            _ => (rest, None),
        };
        // `[Error: boom]`, `[TypeError [ERR_X]: bad]`; a name alone is a placeholder, as
        // `[Object]` is.
        let inner = &tag[1..tag.len() - 1];
        if error_tag(inner) {
            return Ok((rest, error(stack(inner, b), value, b)));
        }
        Ok((rest, value.unwrap_or(Js::Undefined)))
    })
}

/// Whether a tag's text is an error's name and message (`Error: boom`, `TypeError [ERR_X]: bad`).
fn error_tag(inner: &str) -> bool {
    let name = name_len(inner);
    inner[..name].ends_with("Error") && inner[name..].starts_with([':', ' '])
}

/// An error without frames that [`bracketed`] does not close: a message with an apostrophe
/// (`[Error: can't open]`, taken there for a quote), or one that runs over several lines
/// (`[Error: multi\n  line]`, as every error prints once `Error.stackTraceLimit` is 0). It ends at
/// the last `]` of its first line when the line ends there, or goes on with `,` or the error's
/// properties (` {`); else at the last `]` of the first later line that holds one, so placed.
/// `None` when `i` opens no error so, or that line is otherwise (the record is then skipped where
/// the tag opened, as before).
fn bracketed_error(i: &str) -> Option<(&str, &str)> {
    if !error_tag(i.strip_prefix('[')?) {
        return None;
    }
    let mut from = 0;
    loop {
        let stop = memchr::memchr(b'\n', &i.as_bytes()[from..]).map_or(i.len(), |n| from + n);
        let line = &i[from..stop];
        if let Some(at) = line.rfind(']') {
            let after = line[at + 1..].trim_end_matches('\r');
            let end = from + at + 1;
            if after.is_empty() || after == "," || after.starts_with(" {") {
                return Some((&i[end..], &i[..end]));
            }
            // A `]` inside the message's first line (`[Error: a [x] b`) is not its end.
            if from > 0 {
                return None;
            }
        }
        if stop == i.len() {
            return None;
        }
        from = stop + 1;
    }
}

/// An error printed as `text`, with its own properties when it has some: the text, or an object
/// of the text as its `stack` and the properties.
fn error<'a>(text: &'a str, props: Option<Js<'a>>, b: &'a Bump) -> Js<'a> {
    match props {
        Some(Js::Obj(props)) => {
            let mut kvs = BVec::with_capacity_in(props.len() + 1, b);
            kvs.push(("stack", Js::Str(text)));
            // A `stack` of its own (`[Error: x] { stack: undefined }`) is the one printed.
            kvs.extend(props.iter().filter(|(k, _)| *k != "stack").copied());
            Js::Obj(kvs.into_bump_slice())
        }
        _ => Js::Str(text),
    }
}

/// `[...]` up to its matching `]` on the same line, strings inside it skipped whole.
pub(super) fn bracketed(i: &str) -> Res<'_, &str> {
    let unmatched = || Err(nom::Err::Error(LitError { at: i, msg: "expected ']'" }));
    if !i.starts_with('[') {
        return unmatched();
    }
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (at, c) in i.char_indices() {
        match (quote, c) {
            // A tag ends on its line: a string printed never holds a line break, and an
            // apostrophe in an error's message (`[Error: can't open]`) opens none.
            (_, '\n') => break,
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok((&i[at + 1..], &i[..at + 1]));
                }
            }
            _ => {}
        }
    }
    unmatched()
}

/// `<...>` on one line: `<Buffer 01 02>`, `<pending>`, `<items unknown>`, `<3 empty items>`.
pub(super) fn angled(i: &str) -> Res<'_, &str> {
    let line = &i[..i.find('\n').unwrap_or(i.len())];
    match line.find('>') {
        Some(at) if i.starts_with('<') => Ok((&i[at + 1..], &i[..at + 1])),
        _ => fail(i, "expected '>'"),
    }
}

/// A value with its constructor's name in front: a class instance (`TraceState { ... }`,
/// `Foo {}`), a `Map(2) { 'k' => 'v' }`, a `Set(1) { 'a' }`, a typed array
/// (`Uint8Array(3) [ 1, 2, 255 ]`, `Buffer(3) [Uint8Array] [ 1, 2, 3 ]`), a `Promise { 1 }`, or
/// a `Symbol(name)`. `None` when `i` is a plain word.
pub(super) fn prefixed<'a>(i: &'a str, b: &'a Bump) -> Option<Res<'a, Js<'a>>> {
    let mut rest = &i[name_len(i)..];
    let called = rest.starts_with('(');
    if called {
        rest = &rest[rest.find(')')? + 1..];
    }
    // `[Uint8Array]`, `[Generator]`: a tag after the name.
    if rest.starts_with(" [") && rest[2..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        rest = bracketed(&rest[1..]).ok()?.0;
    }
    match rest.strip_prefix(' ') {
        Some(after) if after.starts_with('{') => Some(collection(after, b)),
        Some(after) if after.starts_with('[') => Some(array(after, b)),
        _ if called => Some(Ok((rest, Js::Undefined))),
        _ => None,
    }
}

/// A Map's key as an object's: strings and numbers as written, others empty.
pub(super) fn map_key<'a>(v: &Js<'a>, b: &'a Bump) -> &'a str {
    match v {
        Js::Str(s) | Js::BigInt(s) => s,
        Js::Int(n) => b.alloc_str(&n.to_string()),
        Js::Num(n) => b.alloc_str(&n.to_string()),
        Js::Bool(t) => b.alloc_str(&t.to_string()),
        _ => "",
    }
}

/// `{ item, ... }` after a constructor's name: an object when its items have keys (a class
/// instance, a Map), else an array (a Set, a Promise's value).
pub(super) fn collection<'a>(i: &'a str, b: &'a Bump) -> Res<'a, Js<'a>> {
    deeper(i, || {
        let (mut i, _) = char('{')(i)?;
        let (mut keyed, mut plain) = (BVec::new_in(b), BVec::new_in(b));
        loop {
            let (r, _) = multispace0(i)?;
            if let Some(r) = r.strip_prefix('}') {
                i = r;
                break;
            }
            let (r, it) = item(r, b)?;
            match it {
                Item::Keyed(k, v) => keyed.push((k, v)),
                Item::Plain(v) => plain.push(v),
                Item::Nothing => {}
            }
            let (r, _) = multispace0(r)?;
            i = match r.strip_prefix(',') {
                Some(r) => r,
                None => {
                    i = cut(context("expected ',' or '}'", char('}'))).parse(r)?.0;
                    break;
                }
            };
        }
        Ok((
            i,
            if keyed.is_empty() && !plain.is_empty() {
                Js::Arr(plain.into_bump_slice())
            } else {
                Js::Obj(keyed.into_bump_slice())
            },
        ))
    })
}

/// Whether `i` opens an error as `util.inspect` prints one, its stack: the first line names it
/// and gives its message (`Error: boom`, `TypeError [ERR_X]: bad`, or `Error` alone, followed by
/// its frames), then its frames (`    at f (file.js:1:2)`). `framed`: only when a frame follows
/// on the next line (an array's or a Set's item, where `Name: x` is also an array's own key).
pub(super) fn error_start(i: &str, framed: bool) -> bool {
    // Looked at for most values and items: what starts no name in capitals is passed at once.
    if !i.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    let mut rest = &i[name_len(i)..];
    // Node's own errors carry their code: `TypeError [ERR_INVALID_ARG_TYPE]: ...`.
    if rest.starts_with(" [") {
        match bracketed(&rest[1..]) {
            Ok((after, _)) => rest = after,
            Err(_) => return false,
        }
    }
    let frame_next = || is_frame(i.find('\n').map_or("", |nl| &i[nl + 1..]));
    match rest.as_bytes().first() {
        Some(b':') if rest[1..].starts_with(' ') => !framed || frame_next(),
        Some(b'\n' | b'\r') => frame_next(),
        _ => false,
    }
}

/// An error (see [`error_start`]): its stack as printed. A message of several lines comes whole
/// before the frames (an `AssertionError`'s diff holds any text); the frames run on while lines
/// are frames, and the stack ends at a frame ending with `,` (more follows) or ` {` (the error's
/// own properties follow: `code`, `errno`, `[cause]`), at a Map's ` => ` (an error as a key), or
/// before a line that is no frame (what holds the error closes, or the text is damaged, which the
/// caller then says). Kept as [`error`] keeps it. A stack without a frame is no error's:
/// `util.inspect` prints an error without frames in brackets (`[Error: boom]`, [`tagged`]), so
/// `Name: text` without them is no value (a damaged key, `droppe:AttributesCount: 0`, stays the
/// error it was).
pub(super) fn error_value<'a>(i: &'a str, b: &'a Bump) -> Res<'a, Js<'a>> {
    let (mut from, mut framed) = (0, false);
    while from <= i.len() {
        let stop = memchr::memchr(b'\n', &i.as_bytes()[from..]).map_or(i.len(), |n| from + n);
        // Where the line ends but for a `\r` the framer left (a line ended `\r\r\n`).
        let line = i[from..stop].trim_end_matches('\r');
        let end = from + line.len();
        let frame = from > 0 && is_frame(line);
        if framed && !frame {
            return Ok((&i[from - 1..], error(stack(&i[..from - 1], b), None, b)));
        }
        framed |= frame;
        if framed {
            if let Some(at) = line.find(" => ") {
                return Ok((&i[from + at..], error(stack(&i[..from + at], b), None, b)));
            }
            if line.ends_with(" {") {
                let (rest, props) = collection(&i[end - 1..], b)?;
                return Ok((rest, error(stack(&i[..end - 2], b), Some(props), b)));
            }
            if line.ends_with(',') || stop == i.len() {
                let text = line.strip_suffix(',').map_or(end, |_| end - 1);
                return Ok((&i[text..], error(stack(&i[..text], b), None, b)));
            }
        }
        from = stop + 1;
    }
    fail(i, "unknown value")
}

/// Whether a line of a printed stack is one of its frames (`    at f (file.js:1:2)`, or what
/// stands for frames a cause repeats: `    ... 4 lines matching cause stack trace ...`).
fn is_frame(line: &str) -> bool {
    let line = line.trim_start_matches(' ');
    line.starts_with("at ") || line.starts_with("... ")
}

/// A stack as the error holds it (`err.stack`), without the indentation `util.inspect` put before
/// each line after the first (the error's depth in the record, so that the same error read the
/// same wherever it stood): frames indented by four spaces, as V8 writes them, message lines not.
/// Made in `b` when it runs over several lines.
fn stack<'a>(printed: &'a str, b: &'a Bump) -> &'a str {
    let Some((first, rest)) = printed.split_once('\n') else {
        return printed;
    };
    let mut text = bumpalo::collections::String::with_capacity_in(printed.len(), b);
    text.push_str(first.trim_end_matches('\r'));
    for line in rest.split('\n') {
        let line = line.trim_end_matches('\r');
        text.push('\n');
        if is_frame(line) {
            text.push_str("    ");
        }
        text.push_str(line.trim_start_matches(' '));
    }
    text.into_bump_str()
}

/// A date (`2026-12-02T10:00:00.000Z`, `Invalid Date`), `text`, and what follows it in `rest`:
/// its own properties, when it has some (`Invalid Date { y: 2 }`), read and left out.
pub(super) fn date<'a>(rest: &'a str, text: &'a str, b: &'a Bump) -> Res<'a, Js<'a>> {
    let rest = match rest.strip_prefix(' ') {
        Some(props) if props.starts_with('{') => collection(props, b)?.0,
        _ => rest,
    };
    Ok((rest, Js::Str(text)))
}
