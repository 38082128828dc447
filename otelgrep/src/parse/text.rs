//! The text layer: an input's bytes as UTF-8 text, whatever encoding the capture arrived in. No
//! lines and no formats here.
//!
//! PowerShell's `Tee-Object` and `>` write UTF-16 with a byte-order mark: decoded. A UTF-8 mark is
//! skipped wherever a line starts with one (two captures concatenated). Bytes that are not UTF-8
//! (a Latin-1 character an app printed, a capture cut inside a character) are replaced, and the
//! ranges of the lines that held them are kept: a record that holds such a line is skipped and
//! named, a foreign line stays foreign. Most captures need none of this: [`decode`] borrows them
//! as they are, and the repair runs only when the framers meet a byte that is not UTF-8.

use std::borrow::Cow;
use std::ops::Range;

/// An input as text: the bytes, now UTF-8, and what was done to get there.
#[derive(Debug)]
pub struct Text<'a> {
    pub bytes: Cow<'a, [u8]>,
    /// The encoding it was decoded from, when not UTF-8 (`UTF-16LE`).
    pub encoding: Option<&'static str>,
    /// Byte ranges (in `bytes`) of the lines that held bytes that were not UTF-8, in order.
    pub bad_lines: Vec<Range<usize>>,
}

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Decodes UTF-16 (by its byte-order mark) and drops a UTF-8 mark at the start; borrows
/// everything else as it is (see [`repair`] for bytes that are not UTF-8 and marks further on).
pub fn decode(bytes: &[u8]) -> Text<'_> {
    let utf16 = match bytes {
        [0xff, 0xfe, ..] => Some((true, "UTF-16LE")),
        [0xfe, 0xff, ..] => Some((false, "UTF-16BE")),
        _ => None,
    };
    if let Some((little, name)) = utf16 {
        return Text {
            bytes: Cow::Owned(from_utf16(&bytes[2..], little)),
            encoding: Some(name),
            bad_lines: Vec::new(),
        };
    }
    without_mark(bytes)
}

/// UTF-8 text with a mark at its start dropped, everything else borrowed as it is: a piece of a
/// stream whose encoding its start decided (UTF-16 streams are read whole), where bytes FE FF
/// opening a piece are text like any other (taken for a UTF-16 mark, an unwrapped line that began
/// with them was lost: the 53rd fuzz finding).
pub fn without_mark(bytes: &[u8]) -> Text<'_> {
    // A mark opening a later line is rare and costs a pass to find: the framers meet it, and the
    // text is then repaired (see [`repair`]).
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    Text { bytes: Cow::Borrowed(body), encoding: None, bad_lines: Vec::new() }
}

/// `bytes` without a character cut short at their very end (a capture of a killed process), as
/// [`repair`] drops it: a text that is otherwise UTF-8 is then read as it lies, not copied and
/// read twice (150 copies of a capture cut so took 481 MB and five times as long).
pub fn without_cut_char(bytes: &[u8]) -> &[u8] {
    let cut = last_char_cut(bytes);
    // Only when what is left does not end so too: `repair` replaces a lead byte that the next
    // does not continue, and drops only the last (`\xc2\xe5`: the first replaced, the second
    // dropped; a fuzz finding).
    if cut.len() < bytes.len() && last_char_cut(cut).len() == cut.len() { cut } else { bytes }
}

/// `bytes` without a last character cut short, if it is.
fn last_char_cut(bytes: &[u8]) -> &[u8] {
    let n = bytes.len();
    // Where the last character starts (up to three continuation bytes back), and whether the
    // bytes from there are one cut short, as `repair` finds it (the end came before it was whole).
    let Some(start) = (n.saturating_sub(3)..n).rev().find(|&i| bytes[i] & 0xc0 != 0x80) else { return bytes };
    match std::str::from_utf8(&bytes[start..]) {
        Err(e) if e.valid_up_to() == 0 && e.error_len().is_none() => &bytes[..start],
        _ => bytes,
    }
}

/// UTF-16 code units to UTF-8. A lone surrogate becomes U+FFFD; an odd last byte (a capture cut
/// inside a code unit) is dropped, so the record it was in is cut, like any other.
fn from_utf16(bytes: &[u8], little: bool) -> Vec<u8> {
    let units = bytes
        .chunks_exact(2)
        .map(|p| if little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    let mut out = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    // A mark after the first (captures concatenated) is not text either.
    let out = out.into_bytes();
    if memchr::memmem::find(&out, UTF8_BOM).is_some() { without_marks(&out) } else { out }
}

/// `bytes` without the UTF-8 byte-order marks that open a line.
fn without_marks(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for mut line in bytes.split_inclusive(|b| *b == b'\n') {
        // Every mark: a line may open with several (captures concatenated more than once).
        while let Some(rest) = line.strip_prefix(UTF8_BOM) {
            line = rest;
        }
        out.extend_from_slice(line);
    }
    out
}

/// Whether a text is read as it is, with nothing for [`repair`] to do past a mark opening the
/// text (which the reader drops itself): all UTF-8, and no mark opening a later line.
pub fn needs_no_repair(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok() && memchr::memmem::find(bytes, b"\n\xef\xbb\xbf").is_none()
}

/// Drops the byte-order marks that open lines, then replaces what is not UTF-8 in `text` (U+FFFD
/// for each bad sequence) and notes the lines that held it. Bytes cut short at the very end (a
/// capture cut inside a character) are dropped instead: the record they were in is then cut, as a
/// killed process leaves it.
pub fn repair(text: Text<'_>) -> Text<'static> {
    let bytes = &text.bytes[..];
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let mut bad_lines: Vec<Range<usize>> = Vec::new();
    // One copy, marks or not: the stretches between lines opened by a mark are repaired onto
    // `out` one after another, the marks left out (a copy without them first, then the repaired
    // copy, held two copies of a 64 MB stream piece at once).
    let mut at = 0;
    while at < bytes.len() {
        // `at` starts a line: every mark opening it (captures concatenated more than once).
        while bytes[at..].starts_with(UTF8_BOM) {
            at += UTF8_BOM.len();
        }
        let end = memchr::memmem::find(&bytes[at..], b"\n\xef\xbb\xbf").map_or(bytes.len(), |i| at + i + 1);
        repair_onto(&bytes[at..end], &mut out, &mut bad_lines);
        at = end;
    }
    // Each bad line ends at its newline (or the end).
    for r in &mut bad_lines {
        r.end = memchr::memchr(b'\n', &out[r.start..]).map_or(out.len(), |i| r.start + i);
    }
    Text { bytes: Cow::Owned(out), encoding: text.encoding, bad_lines }
}

/// Appends `bytes` to `out`, each sequence that is not UTF-8 replaced (U+FFFD) and its line noted
/// in `bad_lines`; an unfinished sequence at the very end (a capture cut inside a character) is
/// dropped. `out` ends with a line break or is empty when called, or `bytes` goes on its line.
fn repair_onto(bytes: &[u8], out: &mut Vec<u8>, bad_lines: &mut Vec<Range<usize>>) {
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.extend_from_slice(s.as_bytes());
                break;
            }
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                out.extend_from_slice(good);
                let Some(len) = e.error_len() else {
                    // An unfinished sequence at the end: the input was cut inside a character.
                    break;
                };
                let line_start = memchr::memrchr(b'\n', out).map_or(0, |i| i + 1);
                out.extend_from_slice("\u{fffd}".as_bytes());
                match bad_lines.last_mut() {
                    Some(last) if last.start == line_start => {}
                    _ => bad_lines.push(line_start..line_start),
                }
                rest = &after[len..];
            }
        }
    }
}

/// The first bad line that `span` (a record's text, as a byte range of the text) touches.
pub fn touches(bad_lines: &[Range<usize>], span: Range<usize>) -> Option<usize> {
    let i = bad_lines.partition_point(|r| r.end < span.start);
    bad_lines.get(i).filter(|r| r.start < span.end.max(span.start + 1)).map(|r| r.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_either_mark_is_decoded() {
        let text = "{\n    \"name\": \"caf\u{e9} ✓\"\n}\n";
        let le: Vec<u8> = [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = [0xfe, 0xff].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        for (bytes, name) in [(le, "UTF-16LE"), (be, "UTF-16BE")] {
            let t = decode(&bytes);
            assert_eq!((std::str::from_utf8(&t.bytes).unwrap(), t.encoding), (text, Some(name)));
        }
    }

    #[test]
    fn marks_at_line_starts_are_dropped() {
        let t = repair(decode(b"\xef\xbb\xbfa\n\xef\xbb\xbfb\nc\xef\xbb\xbf\n"));
        assert_eq!(&t.bytes[..], b"a\nb\nc\xef\xbb\xbf\n");
    }

    #[test]
    fn marks_and_bad_bytes_are_taken_in_one_copy() {
        // Two marks opening the first line, one the second; bad bytes on the first and third.
        let t = repair(decode(b"\xef\xbb\xbf\xef\xbb\xbfa\xe9\n\xef\xbb\xbfb\nc\xff\n"));
        assert_eq!(std::str::from_utf8(&t.bytes).unwrap(), "a\u{fffd}\nb\nc\u{fffd}\n");
        assert_eq!(t.bad_lines, vec![0..4, 7..11]);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced_and_their_lines_noted() {
        let t = repair(decode(b"ok\ncaf\xe9 au lait\nfine\nbad \xff\xfe end"));
        assert_eq!(std::str::from_utf8(&t.bytes).unwrap(), "ok\ncaf\u{fffd} au lait\nfine\nbad \u{fffd}\u{fffd} end");
        assert_eq!(t.bad_lines, [3..17, 23..37]);
        assert_eq!(touches(&t.bad_lines, 0..2), None);
        assert_eq!(touches(&t.bad_lines, 0..5), Some(3));
        assert_eq!(touches(&t.bad_lines, 18..22), None);
        // Cut inside a character: the unfinished sequence is dropped, nothing is marked bad.
        let t = repair(decode("x ✓".as_bytes().split_at(4).0));
        assert_eq!((&t.bytes[..], t.bad_lines.len()), (&b"x "[..], 0));
    }

    /// A character cut short at the very end goes as `repair` drops it; anything else stays
    /// (a bad byte is `repair`'s to replace).
    #[test]
    fn a_character_cut_at_the_end_is_dropped_as_repair_drops_it() {
        let check = "x ✓".as_bytes();
        for cut in 0..=check.len() {
            let bytes = &check[..cut];
            assert_eq!(without_cut_char(bytes), &repair(decode(bytes)).bytes[..], "cut at {cut}");
        }
        // A Latin-1 `é` last is the start of a three-byte character to both.
        assert_eq!(without_cut_char(b"caf\xe9"), b"caf");
        // A lead byte not continued, then one cut: left to `repair` (the first is replaced).
        assert_eq!(without_cut_char(b"a\xc2\xe5"), b"a\xc2\xe5");
        assert_eq!(&repair(decode(b"a\xc2\xe5")).bytes[..], "a\u{fffd}".as_bytes());
        for kept in [&b"ok \xff"[..], b"\xe0\x80", b"", b"a"] {
            assert_eq!(without_cut_char(kept), kept);
        }
    }
}
