//! nom pieces the text-format grammars share (Rust Debug values, Node literals).

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::is_not;
use nom::character::complete::char;
use nom::combinator::map;
use nom::error::ParseError;
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
    let piece = alt((map(is_not(special), Piece::Text), map(preceded(char('\\'), escape), Piece::Char)));
    fold_many0(piece, String::new, |mut s, p| {
        match p {
            Piece::Text(t) => s.push_str(t),
            Piece::Char(c) => s.push(c),
        }
        s
    })
}
