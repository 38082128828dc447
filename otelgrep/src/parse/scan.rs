//! Cheap record-boundary scans: where records start and end, without parsing them.

/// A piece of a Python console capture.
#[derive(Debug, PartialEq)]
pub enum Piece<'a> {
    /// A line outside any Python object (another format's, or foreign), without its `\r`s.
    Line { line: u64, text: &'a str },
    /// A whole object, from its `{` line to its `}` line; `line` is 1-based.
    Object { line: u64, text: &'a str },
    /// An object opened at `line` and never closed.
    Truncated { line: u64 },
}

/// Splits a capture into Python console objects and foreign lines.
///
/// The Python exporters write `json.dumps(obj, indent=4)`: an object opens with a line that is
/// exactly `{` and closes with a line that is exactly `}`, and JSON escapes every control
/// character, so no line inside an object can be either. A `{` line met inside an object means the
/// previous one was cut short (a killed process); it is reported and scanning resumes there.
/// Trailing `\r`s are ignored (Windows writes `\r\n`, and `\r\r\n` after the closing brace).
pub fn python_objects(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut lines = LineIter { text, pos: 0, line: 0 };
    let mut pending: Option<(u64, usize)> = None; // an opened object: its line and byte offset
    let mut done = false;
    std::iter::from_fn(move || {
        loop {
            if done {
                return None;
            }
            let Some((start, end, n)) = lines.next() else {
                done = true;
                return pending.take().map(|(line, _)| Piece::Truncated { line });
            };
            let content = text[start..end].trim_end_matches('\r');
            match (content, pending) {
                ("{", Some((line, _))) => {
                    pending = Some((n, start));
                    return Some(Piece::Truncated { line });
                }
                ("{", None) => pending = Some((n, start)),
                ("}", Some((line, from))) => {
                    pending = None;
                    return Some(Piece::Object { line, text: &text[from..end] });
                }
                (_, Some(_)) => {}
                (_, None) => return Some(Piece::Line { line: n, text: content }),
            }
        }
    })
}

/// Every line as a [`Piece::Line`], for inputs where no brace-framed format is read.
pub fn lines(text: &str) -> impl Iterator<Item = Piece<'_>> {
    LineIter { text, pos: 0, line: 0 }
        .map(move |(start, end, n)| Piece::Line { line: n, text: text[start..end].trim_end_matches('\r') })
}

/// Lines as (start, end-without-newline, 1-based number).
struct LineIter<'a> {
    text: &'a str,
    pos: usize,
    line: u64,
}

impl Iterator for LineIter<'_> {
    type Item = (usize, usize, u64);
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let end = memchr::memchr(b'\n', &self.text.as_bytes()[start..]).map_or(self.text.len(), |i| start + i);
        self.pos = end + 1;
        self.line += 1;
        Some((start, end, self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_foreign_lines_and_a_truncated_tail() {
        let text = " * Debug mode: off\n{\n    \"a\": 1\n}\r\n{braces} in text\n{\n    \"b\": [\n";
        let pieces: Vec<Piece> = python_objects(text).collect();
        assert_eq!(
            pieces,
            [
                Piece::Line { line: 1, text: " * Debug mode: off" },
                Piece::Object { line: 2, text: "{\n    \"a\": 1\n}\r" },
                Piece::Line { line: 5, text: "{braces} in text" },
                Piece::Truncated { line: 6 },
            ]
        );
    }

    #[test]
    fn an_object_cut_short_by_the_next_one_is_reported_and_the_next_is_read() {
        let text = "{\n    \"a\": \n{\n    \"b\": 2\n}";
        let pieces: Vec<Piece> = python_objects(text).collect();
        assert_eq!(pieces, [Piece::Truncated { line: 1 }, Piece::Object { line: 3, text: "{\n    \"b\": 2\n}" }]);
    }
}
