//! nom pieces the text-format grammars share (Rust Debug values, Node literals).

use std::cell::Cell;

use nom::IResult;
use nom::Parser;
use nom::branch::alt;
use nom::character::complete::char;
use nom::combinator::map;
use nom::error::{ErrorKind, ParseError};
use nom::multi::fold_many0;
use nom::sequence::preceded;

/// The inside of a quoted string: runs of characters that are not in `special` (the quote and the
/// backslash), and a backslash followed by what `escape` makes of it. The quotes are the caller's.
pub fn unescaped<'a, E, P>(special: &'static str, escape: P) -> impl Parser<&'a str, Output = String, Error = E>
where
    E: ParseError<&'a str>,
    P: Parser<&'a str, Output = char, Error = E>,
{
    enum Piece<'a> {
        Text(&'a str),
        Char(char),
    }
    let piece = alt((map(run(special), Piece::Text), map(preceded(char('\\'), escape), Piece::Char)));
    fold_many0(piece, String::new, |mut s, p| {
        match p {
            Piece::Text(t) => s.push_str(t),
            Piece::Char(c) => s.push(c),
        }
        s
    })
}

/// nom's `is_not(special)` for ASCII `special` characters: the longest non-empty run of characters
/// not in it, found a byte at a time (`is_not` looks each character up in `special` as a string,
/// which was a seventh of reading a Node capture).
fn run<'a, E: ParseError<&'a str>>(special: &'static str) -> impl Fn(&'a str) -> IResult<&'a str, &'a str, E> {
    debug_assert!(special.is_ascii());
    move |i: &'a str| {
        let stops = special.as_bytes();
        let n = match stops {
            [a, b] => memchr::memchr2(*a, *b, i.as_bytes()),
            _ => i.bytes().position(|c| stops.contains(&c)),
        }
        .unwrap_or(i.len());
        // ASCII stops end the run at a character boundary.
        if n == 0 { Err(nom::Err::Error(E::from_error_kind(i, ErrorKind::IsNot))) } else { Ok((&i[n..], &i[..n])) }
    }
}

/// nom's `multispace0` (spaces, TABs, `\r`, `\n`), a byte at a time.
pub fn spaces<'a, E: ParseError<&'a str>>(i: &'a str) -> IResult<&'a str, &'a str, E> {
    let n = i.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).count();
    Ok((&i[n..], &i[..n]))
}

/// How deep values may nest in the text grammars, as deep as the JSON readers go: their parsers
/// recurse once a level, and a Node record nested 15,000 deep overflowed a worker thread's stack
/// and aborted the run (a new-user check; a Rust `ListAny` too). Exporters print a few levels.
pub const DEEPEST: u32 = super::skim::DEEPEST;

thread_local! {
    /// The values being read on this thread, each inside the last.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// `parse`, reading a value one level inside the one being read; `None` past [`DEEPEST`] levels
/// (the caller says so).
pub fn nested<T>(parse: impl FnOnce() -> T) -> Option<T> {
    /// Puts the depth back however `parse` ends.
    struct Level(u32);
    impl Drop for Level {
        fn drop(&mut self) {
            DEPTH.set(self.0);
        }
    }
    let depth = DEPTH.get();
    if depth >= DEEPEST {
        return None;
    }
    let _level = Level(depth);
    DEPTH.set(depth + 1);
    Some(parse())
}
