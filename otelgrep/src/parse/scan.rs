//! Cheap record-boundary scans: where records start and end, without parsing them. The input
//! is bytes: it is checked to be UTF-8 as it is cut, a block of about 64 KiB (ending at a line
//! end) at a time ahead of the pieces (pieces end at newlines, so no character spans two), which
//! reads every byte once, while it is in cache, instead of in a pass of its own before framing,
//! and costs one call per block, not one per line (a Rust capture's lines are 30 bytes: a call
//! per line was an eighth of its framing).

/// A piece of a Python console capture.
#[derive(Debug, PartialEq)]
pub enum Piece<'a> {
    /// A line outside any Python object (another format's, or foreign), without its `\r`s.
    Line { line: u64, text: &'a str },
    /// A whole object, from its `{` line to its `}` line (or a JSON array, from its `[` line to
    /// its `]` line); `line` is 1-based.
    Object { line: u64, text: &'a str },
    /// An object opened at `line` and never closed, and its second line if it came (which tells
    /// whose record it was, as an object's does).
    Truncated { line: u64, second: Option<&'a str> },
    /// Bytes at this offset are not UTF-8; nothing after them is cut.
    NotUtf8 { offset: usize },
}

/// A record's second line (where the exporters put the first key), as `str::lines` gives it.
pub fn second_line(text: &str) -> Option<&str> {
    let rest = &text[memchr::memchr(b'\n', text.as_bytes())? + 1..];
    let line = &rest[..memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len())];
    (!rest.is_empty()).then(|| line.strip_suffix('\r').unwrap_or(line))
}

/// `line.trim_start()`, for the second line of every brace record, which the framer and the
/// readers look at to tell formats apart: its leading blanks skipped a byte at a time when an
/// ASCII character that is no whitespace follows them, else by `trim_start` (which, three times a
/// record, with the Python reader's `split('"')` of the first key, was 2% of reading a Python
/// capture's instructions).
pub fn lead_trimmed(line: &str) -> &str {
    let b = line.as_bytes();
    let at = b.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(b.len());
    match b.get(at) {
        Some(&c) if c.is_ascii() && !matches!(c, b'\n' | b'\x0b' | b'\x0c' | b'\r') => &line[at..],
        _ => line.trim_start(),
    }
}

/// A line without its trailing `\r`s.
fn trim_cr(line: &str) -> &str {
    line.trim_end_matches('\r')
}

/// Splits a capture into Python console objects and foreign lines.
///
/// The Python exporters write `json.dumps(obj, indent=4)`: an object opens with a line that is
/// exactly `{` and closes with a line that is exactly `}`, and JSON escapes every control
/// character, so no line inside an object can be either. A `{` line, or a record on one line
/// (`{"…`), met inside an object means the previous one was cut short (a killed process); it is
/// reported and scanning resumes there.
/// Trailing `\r`s are ignored (Windows writes `\r\n`, and `\r\r\n` after the closing brace).
///
/// Inside an object only braces are looked at (a SIMD search), not every line: the object's lines
/// are counted in one pass when it closes. Most of a Python capture is inside objects.
pub fn python_objects(text: &[u8]) -> Objects<'_> {
    Objects { text, lines: LineIter::new(text) }
}

pub struct Objects<'a> {
    text: &'a [u8],
    /// Where the next line outside an object starts, and its number less one.
    lines: LineIter<'a>,
}

/// How an object opened at a `{` line ends.
enum Close {
    /// At a `}` line: `end` is that line's end (before its `\n`), `line` its number.
    Closed { end: usize, line: u64 },
    /// At a line at column 0 that does not close it (another `{` line, a record on one line, a
    /// line written after a cut), which starts at `start` and is line `line`.
    Reopened { start: usize, line: u64 },
    /// At a `}{` line (a capture without its last line break, another appended to it): the
    /// object ends at `end`, after the `}`, and the next opens on the same line.
    Seam { end: usize, line: u64 },
    /// Never.
    Open,
}

impl<'a> Iterator for Objects<'a> {
    type Item = Piece<'a>;
    fn next(&mut self) -> Option<Piece<'a>> {
        let (start, end, n) = self.lines.next()?;
        let line = &self.text[start..end];
        let is_open = is_brace_line(line, b'{') || is_brace_line(line, b'[');
        let (piece, checked) = if !is_open {
            match self.lines.utf8(start, end) {
                Ok(line) => return Some(Piece::Line { line: n, text: trim_cr(line) }),
                Err(offset) => (Piece::NotUtf8 { offset }, Err(offset)),
            }
        } else {
            let close = if line[0] == b'{' { close(self.text, end, n) } else { close_array(self.text, end, n) };
            match close {
                Close::Closed { end, line } => {
                    (self.lines.pos, self.lines.line) = (end + 1, line);
                    match self.lines.utf8(start, end) {
                        Ok(text) => return Some(Piece::Object { line: n, text }),
                        Err(offset) => (Piece::NotUtf8 { offset }, Err(offset)),
                    }
                }
                Close::Seam { end, line } => {
                    // The next object opens at the `{` that follows on the same line.
                    (self.lines.pos, self.lines.line) = (end, line - 1);
                    match self.lines.utf8(start, end) {
                        Ok(text) => return Some(Piece::Object { line: n, text }),
                        Err(offset) => (Piece::NotUtf8 { offset }, Err(offset)),
                    }
                }
                Close::Reopened { start: next, line } => {
                    (self.lines.pos, self.lines.line) = (next, line - 1);
                    let text = self.lines.utf8(start, next);
                    (Piece::Truncated { line: n, second: text.ok().and_then(second_line) }, text.map(|_| ()))
                }
                Close::Open => {
                    let rest = &self.text[start..];
                    let lines = memchr::memchr_iter(b'\n', rest).count() + usize::from(!rest.ends_with(b"\n"));
                    (self.lines.pos, self.lines.line) = (self.text.len(), n - 1 + lines as u64);
                    let text = self.lines.utf8(start, self.text.len());
                    (Piece::Truncated { line: n, second: text.ok().and_then(second_line) }, text.map(|_| ()))
                }
            }
        };
        match checked {
            // Nothing after bytes that are not text is cut: the input is refused whole.
            Err(offset) => {
                self.lines.pos = self.text.len();
                Some(Piece::NotUtf8 { offset })
            }
            Ok(_) => Some(piece),
        }
    }
}

/// Whether a line (without its `\n`) is exactly `brace`, trailing `\r`s aside.
fn is_brace_line(line: &[u8], brace: u8) -> bool {
    line.first() == Some(&brace) && line[1..].iter().all(|&c| c == b'\r')
}

/// Finds how the object whose `{` line ends at `end` (line `n`) ends.
fn close(b: &[u8], end: usize, n: u64) -> Close {
    close_at(b, end, n, b'}')
}

/// Finds how the array whose `[` line ends at `end` (line `n`) ends: at a `]` line, or where a
/// `{` or `[` line opens the next record (pretty-printed JSON arrays of OTLP requests indent their
/// elements, so no line inside one is a bare brace or bracket).
fn close_array(b: &[u8], end: usize, n: u64) -> Close {
    close_at(b, end, n, b']')
}

/// The first line after `end` at column 0: every line inside a pretty-printed object or array is
/// indented but its closing line (`closer`), so a line at column 0 that is not one closes, or
/// starts the next record (`{`, `[`, `{"…`), or was written after a cut (a killed app's capture
/// with the next run's appended: a Rust capture after a cut Python object was once taken into it,
/// whole). Blank lines are inside.
fn close_at(b: &[u8], end: usize, n: u64, closer: u8) -> Close {
    if let Some((at, line)) = column_zero(b, end, n) {
        let first = b[at];
        let line_end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i);
        if closer == b'}' && first == b'}' && is_brace_line(&b[at + 1..line_end], b'{') {
            return Close::Seam { end: at + 1, line };
        }
        if first == closer && is_brace_line(&b[at..line_end], closer) {
            return Close::Closed { end: line_end, line };
        }
        return Close::Reopened { start: at, line };
    }
    Close::Open
}

/// The first line after `from` (a line end, `\n`, on line `n`) that starts with something other
/// than a space, a TAB, `\r` or `\n`: where it starts and its number. A pretty-printed record's
/// lines are short: a `memchr` call for each was a tenth of reading a Node capture (and of
/// framing a Python one). Sixteen bytes are looked at at a time ([`column_zero_sse2`]), the last
/// few by [`newlines`], eight at a time.
fn column_zero(b: &[u8], from: usize, n: u64) -> Option<(usize, u64)> {
    #[cfg(target_arch = "x86_64")]
    let (from, n) = match column_zero_sse2(b, from, n) {
        Ok(found) => return Some(found),
        Err(reached) => reached,
    };
    let mut line = n;
    for newline in newlines(&b[from..]) {
        line += 1;
        match b.get(from + newline + 1)? {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => return Some((from + newline + 1, line)),
        }
    }
    None
}

/// [`column_zero`] sixteen bytes at a time, with SSE2 (in every x86-64 processor): the newlines
/// of a block and the blanks one byte after them compared at once, so that a line costs nothing
/// of its own (a newline at a time, eight bytes at a time, a Node record's 30-byte lines cost 90
/// instructions each: a tenth of reading the capture). Newlines are counted in sixteen byte-wide
/// counters, summed every 255 blocks, before one overflows (a popcount per block was half the
/// loop: x86-64's baseline has no instruction for it). The start found and its line number, or
/// where the blocks ran out (16 bytes and one from the end) and the line there.
#[cfg(target_arch = "x86_64")]
fn column_zero_sse2(b: &[u8], mut at: usize, mut line: u64) -> Result<(usize, u64), (usize, u64)> {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of x86-64, so each of its instructions is there to run; every load
    // reads 16 bytes from `at` or `at + 1`, which `at + 17 <= b.len()` keeps inside `b`, and
    // `loadu` takes any alignment.
    unsafe {
        let eq = |v: __m128i, c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
        let sum = |counts: __m128i| {
            let halves = _mm_sad_epu8(counts, _mm_setzero_si128());
            (_mm_cvtsi128_si64(halves) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(halves, halves))) as u64
        };
        let (mut counts, mut blocks) = (_mm_setzero_si128(), 0);
        while at + 17 <= b.len() {
            let newlines = eq(_mm_loadu_si128(b.as_ptr().add(at).cast()), b'\n');
            let next = _mm_loadu_si128(b.as_ptr().add(at + 1).cast());
            let blank = _mm_or_si128(
                _mm_or_si128(eq(next, b' '), eq(next, b'\t')),
                _mm_or_si128(eq(next, b'\r'), eq(next, b'\n')),
            );
            let starts = _mm_movemask_epi8(_mm_andnot_si128(blank, newlines)) as u32;
            if starts != 0 {
                // The newlines up to and including the one before the line found.
                let i = starts.trailing_zeros();
                let before = _mm_movemask_epi8(newlines) as u32 & (u32::MAX >> (31 - i));
                return Ok((at + i as usize + 1, line + sum(counts) + u64::from(before.count_ones())));
            }
            // Each newline's byte is all ones, -1: subtracted, it counts one.
            counts = _mm_sub_epi8(counts, newlines);
            blocks += 1;
            if blocks == 255 {
                (line, counts, blocks) = (line + sum(counts), _mm_setzero_si128(), 0);
            }
            at += 16;
        }
        Err((at, line + sum(counts)))
    }
}

/// The high bit of each byte of `x` that is zero, and of no other (exact: nothing carries).
fn zeros(x: u64) -> u64 {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW) + LOW) | x | LOW)
}

/// Where each `\n` of `b` is, found eight bytes at a time: `memchr_iter`'s call per line cost
/// more than its search on lines as short as a record's (a quarter of the thread that frames a
/// Rust capture).
fn newlines(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let (mut at, mut found) = (0, 0u64);
    std::iter::from_fn(move || {
        loop {
            if found != 0 {
                let newline = at - 8 + found.trailing_zeros() as usize / 8;
                found &= found - 1;
                return Some(newline);
            }
            let Some(word) = b.get(at..at + 8) else { break };
            found = zeros(u64::from_le_bytes(word.try_into().unwrap_or_default()) ^ u64::from_le_bytes([b'\n'; 8]));
            at += 8;
        }
        // The last bytes, fewer than eight.
        let newline = at + memchr::memchr(b'\n', b.get(at..)?)?;
        at = newline + 1;
        Some(newline)
    })
}

/// Every line as a [`Piece::Line`], for inputs where no brace-framed format is read.
pub fn lines(text: &[u8]) -> Lines<'_> {
    Lines(LineIter::new(text))
}

pub struct Lines<'a>(LineIter<'a>);

impl<'a> Iterator for Lines<'a> {
    type Item = Piece<'a>;
    fn next(&mut self) -> Option<Piece<'a>> {
        let (start, end, n) = self.0.next()?;
        Some(match self.0.utf8(start, end) {
            Ok(line) => Piece::Line { line: n, text: trim_cr(line) },
            Err(offset) => {
                self.0.pos = self.0.text.len();
                Piece::NotUtf8 { offset }
            }
        })
    }
}

/// Either cut: Python objects and lines, or lines only.
pub enum Pieces<'a> {
    Objects(Objects<'a>),
    Lines(Lines<'a>),
}

impl<'a> Pieces<'a> {
    /// Lines read so far (all of them once the pieces run out, unless the input was not UTF-8).
    pub fn lines_read(&self) -> u64 {
        match self {
            Pieces::Objects(o) => o.lines.line,
            Pieces::Lines(l) => l.0.line,
        }
    }

    /// Takes the lines from here on while `accept` says each may be taken, giving each to `take`
    /// (see [`LineIter::run`]); how many.
    pub fn run(&mut self, accept: impl Fn(&[u8]) -> bool, take: impl FnMut(&'a str)) -> u64 {
        match self {
            Pieces::Objects(o) => o.lines.run(accept, take),
            Pieces::Lines(l) => l.0.run(accept, take),
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;
    fn next(&mut self) -> Option<Piece<'a>> {
        match self {
            Pieces::Objects(o) => o.next(),
            Pieces::Lines(l) => l.next(),
        }
    }
}

/// Lines as (start, end-without-newline, 1-based number).
struct LineIter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
    /// The block of the text last checked to be UTF-8, and where it starts.
    checked: &'a str,
    checked_at: usize,
    /// A run met bytes that are not UTF-8: no run is taken again (the pieces stop there).
    bad_ahead: bool,
}

/// Bytes checked to be UTF-8 at a time, ahead of the pieces (then to the next line end).
const CHECK_BLOCK: usize = 64 << 10;

impl<'a> LineIter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineIter { text, pos: 0, line: 0, checked: "", checked_at: 0, bad_ahead: false }
    }

    /// Takes the lines from here on while `accept` says each may be taken, giving each to
    /// `take`, without their `\r`s and without looking at them otherwise: lines that no framer
    /// but the caller's could want (no brace line: `accept` says). A line with no newline after
    /// it ends the run, and so do bytes that are not UTF-8 (the pieces then say where). How many
    /// it took.
    fn run(&mut self, accept: impl Fn(&[u8]) -> bool, mut take: impl FnMut(&'a str)) -> u64 {
        if self.bad_ahead {
            return 0;
        }
        let (start, mut n) = (self.pos, 0);
        let Some(rest) = self.text.get(start..) else { return 0 };
        for newline in newlines(rest) {
            let (at, newline) = (self.pos, start + newline);
            // Without its `\r`s, as a piece's line is.
            let end = at + self.text[at..newline].iter().rposition(|&b| b != b'\r').map_or(0, |i| i + 1);
            if !accept(&self.text[at..end]) {
                break;
            }
            // Most lines are inside the block checked last, and sliced from it.
            let Ok(line) = self.utf8(at, end) else {
                self.bad_ahead = true;
                break;
            };
            take(line);
            (self.pos, n) = (newline + 1, n + 1);
        }
        self.line += n;
        n
    }

    /// `text[start..end]` (whole lines) as text, or where it stops being UTF-8: checked with the
    /// lines after it up to a block's end, unless the last block checked holds it. Inlined, the
    /// common case is a comparison and a slice: called for each 30-byte line of a Rust capture,
    /// it was 8% of reading one, half of it the call's entry and exit.
    #[inline]
    fn utf8(&mut self, start: usize, end: usize) -> Result<&'a str, usize> {
        let held = start >= self.checked_at && end <= self.checked_at + self.checked.len();
        if !held {
            self.check_block(start, end)?;
        }
        let (from, to) = (start - self.checked_at, end - self.checked_at);
        // Pieces start and end at line ends, which are character boundaries.
        self.checked.get(from..to).ok_or(start)
    }

    /// Checks the block of text from `start` to the first line end at least [`CHECK_BLOCK`] on
    /// (and at least to `end`), or says where it stops being UTF-8 before `end`.
    #[inline(never)]
    fn check_block(&mut self, start: usize, end: usize) -> Result<(), usize> {
        let text = self.text;
        let want = end.max(start + CHECK_BLOCK).min(text.len());
        let block_end = memchr::memchr(b'\n', &text[want..]).map_or(text.len(), |i| want + i);
        self.checked_at = start;
        self.checked = match simdutf8::compat::from_utf8(&text[start..block_end]) {
            Ok(block) => block,
            Err(e) if start + e.valid_up_to() < end => {
                self.checked = "";
                return Err(start + e.valid_up_to());
            }
            // The bad byte is after this piece: the block is checked up to it.
            Err(e) => std::str::from_utf8(&text[start..start + e.valid_up_to()]).unwrap_or(""),
        };
        Ok(())
    }
}

impl Iterator for LineIter<'_> {
    type Item = (usize, usize, u64);
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let end = memchr::memchr(b'\n', &self.text[start..]).map_or(self.text.len(), |i| start + i);
        self.pos = end + 1;
        self.line += 1;
        Some((start, end, self.line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lead_trimmed` is `trim_start`, whatever follows the blanks: ASCII, other whitespace
    /// (ASCII's and Unicode's), or nothing.
    #[test]
    fn lead_trimmed_is_trim_start() {
        let texts = [
            "",
            "   ",
            "x",
            "    \"name\": 1",
            "\t\"Name\": x",
            "  \u{a0}x",
            "  \u{3000}\"k\"",
            " \x0b x",
            "  \r",
            "  \x0c y",
            "  é",
            " \u{85}a",
            "\u{2003}a",
            " \t \u{2028} z",
            "\u{1c}a",
        ];
        for t in texts {
            assert_eq!(lead_trimmed(t), t.trim_start(), "{t:?}");
        }
    }

    /// Newlines found eight bytes at a time are those `memchr` finds, on texts of every length.
    #[test]
    fn newlines_as_memchr_finds_them() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..300 {
            crate::xorshift(&mut seed);
            let text: Vec<u8> =
                (0..len).map(|i| if (seed >> (i % 64)) & 3 == 0 { b'\n' } else { b'a' + (i % 7) as u8 }).collect();
            assert_eq!(
                newlines(&text).collect::<Vec<_>>(),
                memchr::memchr_iter(b'\n', &text).collect::<Vec<_>>(),
                "{len}"
            );
        }
    }

    /// Sixteen and eight bytes at a time find the line a newline at a time finds: every start, on
    /// texts of blanks, newlines and line starts in every arrangement a block can hold, and texts
    /// long enough for several blocks and a tail.
    #[test]
    fn column_zero_as_a_line_at_a_time() {
        let by_line = |b: &[u8], from: usize, n: u64| {
            let mut line = n;
            for nl in memchr::memchr_iter(b'\n', &b[from..]) {
                line += 1;
                match b.get(from + nl + 1) {
                    None => return None,
                    Some(b' ' | b'\t' | b'\r' | b'\n') => {}
                    Some(_) => return Some((from + nl + 1, line)),
                }
            }
            None
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| (crate::xorshift(&mut seed) % n as u64) as usize;
        for round in 0..20_000 {
            // Mostly blanks and newlines, as inside a record, with a few line starts; in every
            // other text, starts rarer still, so that blocks pass with none.
            let starts = if round % 2 == 0 { 8 } else { 7 + next(40) };
            let text: Vec<u8> = (0..next(80))
                .map(|_| *[b' ', b'\n', b'\n', b'\t', b'\r', b' ', b'}', b'a'].get(next(starts)).unwrap_or(&b' '))
                .collect();
            for from in 0..text.len() {
                assert_eq!(
                    column_zero(&text, from, 7),
                    by_line(&text, from, 7),
                    "{:?} from {from}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        // Past 255 blocks of sixteen bytes with no line start, where the newline counters are
        // summed before they overflow.
        for len in [4_079, 4_080, 4_097, 9_000, 40_000] {
            let mut text: Vec<u8> = (0..len).map(|_| [b' ', b'\n', b'\n', b'\t'][next(4)]).collect();
            text.extend_from_slice(b"\n}\n");
            for from in [0, 1, 17, 255] {
                assert_eq!(column_zero(&text, from, 7), by_line(&text, from, 7), "{len} from {from}");
            }
        }
    }

    #[test]
    fn objects_foreign_lines_and_a_truncated_tail() {
        let text = " * Debug mode: off\n{\n    \"a\": 1\n}\r\n{braces} in text\n{\n    \"b\": [\n";
        let pieces: Vec<Piece> = python_objects(text.as_bytes()).collect();
        assert_eq!(
            pieces,
            [
                Piece::Line { line: 1, text: " * Debug mode: off" },
                Piece::Object { line: 2, text: "{\n    \"a\": 1\n}\r" },
                Piece::Line { line: 5, text: "{braces} in text" },
                Piece::Truncated { line: 6, second: Some("    \"b\": [") },
            ]
        );
    }

    #[test]
    fn an_object_cut_short_by_the_next_one_is_reported_and_the_next_is_read() {
        let text = "{\n    \"a\": \n{\n    \"b\": 2\n}";
        let pieces: Vec<Piece> = python_objects(text.as_bytes()).collect();
        assert_eq!(
            pieces,
            [
                Piece::Truncated { line: 1, second: Some("    \"a\": ") },
                Piece::Object { line: 3, text: "{\n    \"b\": 2\n}" }
            ]
        );
    }

    /// A killed app's capture with the next run's appended: the object cut short ends at the
    /// first line at column 0 (every line inside an object is indented), and what follows is read
    /// (a Rust capture after a cut Python object was once taken into it, whole: a new user's
    /// check).
    #[test]
    fn an_object_cut_short_ends_at_the_first_line_at_column_0() {
        let text = "{\n    \"a\": \"x\nSpans\nResource\n\t ->  k=v\n}\n";
        let pieces: Vec<Piece> = python_objects(text.as_bytes()).collect();
        assert_eq!(
            pieces,
            [
                Piece::Truncated { line: 1, second: Some("    \"a\": \"x") },
                Piece::Line { line: 3, text: "Spans" },
                Piece::Line { line: 4, text: "Resource" },
                Piece::Line { line: 5, text: "\t ->  k=v" },
                Piece::Line { line: 6, text: "}" },
            ]
        );
        assert_eq!(pieces, line_by_line(text));
    }

    #[test]
    fn line_numbers_run_on_after_objects_and_braces_inside_them() {
        let text = "{\r\n    \"a\": {\r\n  }x\r\n  { not a line of its own\r\n    }\r\n}\r\r\nafter\n{\n}";
        let pieces: Vec<Piece> = python_objects(text.as_bytes()).collect();
        assert_eq!(
            pieces,
            [
                Piece::Object {
                    line: 1,
                    text: "{\r\n    \"a\": {\r\n  }x\r\n  { not a line of its own\r\n    }\r\n}\r\r"
                },
                Piece::Line { line: 7, text: "after" },
                Piece::Object { line: 8, text: "{\n}" },
            ]
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_stop_the_cut_where_they_are() {
        let text = b"ok\n{\n    \"a\": \"\xff\"\n}\nafter\n";
        let pieces: Vec<Piece> = python_objects(text).collect();
        assert_eq!(pieces, [Piece::Line { line: 1, text: "ok" }, Piece::NotUtf8 { offset: 15 }]);
        let pieces: Vec<Piece> = lines(b"a\n\xc3(\nb").collect();
        assert_eq!(pieces, [Piece::Line { line: 1, text: "a" }, Piece::NotUtf8 { offset: 2 }]);
        // In an object cut short, too.
        let pieces: Vec<Piece> = python_objects(b"{\n    \xe2\x82\n{\n}").collect();
        assert_eq!(pieces, [Piece::NotUtf8 { offset: 6 }]);
    }

    #[test]
    fn a_capture_appended_to_one_without_its_last_line_break_is_two_objects() {
        let text = "{\n    \"a\": 1\n}{\n    \"b\": 2\n}\nafter";
        let pieces: Vec<Piece> = python_objects(text.as_bytes()).collect();
        assert_eq!(
            pieces,
            [
                Piece::Object { line: 1, text: "{\n    \"a\": 1\n}" },
                Piece::Object { line: 3, text: "{\n    \"b\": 2\n}" },
                Piece::Line { line: 6, text: "after" },
            ]
        );
        assert_eq!(pieces, line_by_line(text));
    }

    #[test]
    fn the_second_line_is_what_str_lines_says() {
        for text in ["{\n  a\n}", "{\r\n  a\r\n}", "{", "{\n", "{\na", "", "\n\n", "{\n\r\n"] {
            assert_eq!(second_line(text), text.lines().nth(1), "{text:?}");
        }
    }

    /// The framing as first written, a line at a time: the brace search must cut every input the
    /// same way.
    fn line_by_line(text: &str) -> Vec<Piece<'_>> {
        let mut out = Vec::new();
        let mut pending: Option<(u64, usize)> = None;
        for (start, end, n) in LineIter::new(text.as_bytes()) {
            let content = text[start..end].trim_end_matches('\r');
            match (content, pending) {
                ("{", Some((line, from))) => {
                    out.push(Piece::Truncated { line, second: second_line(&text[from..start]) });
                    pending = Some((n, start));
                }
                ("{", None) => pending = Some((n, start)),
                ("}", Some((line, from))) => {
                    pending = None;
                    out.push(Piece::Object { line, text: &text[from..end] });
                }
                ("}{", Some((line, from))) => {
                    out.push(Piece::Object { line, text: &text[from..start + 1] });
                    pending = Some((n, start + 1));
                }
                // A line at column 0 cannot be inside an object: it was cut before it.
                (c, Some((line, from))) if !c.is_empty() && !c.starts_with([' ', '\t']) => {
                    out.push(Piece::Truncated { line, second: second_line(&text[from..start]) });
                    pending = None;
                    out.push(Piece::Line { line: n, text: content });
                }
                (_, Some(_)) => {}
                (_, None) => out.push(Piece::Line { line: n, text: content }),
            }
        }
        if let Some((line, from)) = pending {
            out.push(Piece::Truncated { line, second: second_line(&text[from..]) });
        }
        out
    }

    #[test]
    fn every_sample_and_every_cut_of_it_is_framed_as_line_by_line() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/samples");
        let mut checked = 0;
        for dir in std::fs::read_dir(root).unwrap() {
            for file in std::fs::read_dir(dir.unwrap().path()).into_iter().flatten() {
                let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
                // Whole, cut inside records at a few points, and with a record's closing line lost.
                let mut variants = vec![text.clone(), text.replacen("\n}\n", "\n", 3)];
                for k in 1..8 {
                    let mut at = text.len() * k / 8;
                    while !text.is_char_boundary(at) {
                        at += 1;
                    }
                    variants.push(text[..at].to_string());
                }
                for v in &variants {
                    assert_eq!(python_objects(v.as_bytes()).collect::<Vec<_>>(), line_by_line(v));
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "samples not found under {root}");
    }
}
