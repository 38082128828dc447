//! Where a stream of Rust text is cut without framing it twice. The cut search
//! ([`super::record_start_before`]) frames a whole piece to find the last line that nothing is
//! left open across, and the read of the piece frames it again: on a Rust stream the search
//! was a third of the CPU time. Instead, once the search has cut at a Rust record start or
//! block header, the reading thread proposes the last line of that kind (found from the end,
//! `Log #` in the todo app's capture: opentelemetry-stdout alternating its signals leaves a
//! record of one suspended across the other's block, where it may resume, so that other lines
//! are no place to cut), and the read of the piece before it tells whether nothing ran on
//! across it ([`crate::parse::rust_text::Carry::clean_before`], on the state the read ended
//! in). A proposal that was not clean is cut again where the search finds, and that stream is
//! searched from then on, as before (a stream of records suspended across blocks failed one
//! proposal after another, each a piece read twice: 60% slower than searching).

use std::sync::atomic::{AtomicU8, Ordering};

use super::Cut;
use crate::parse::Format;

/// The kinds of line proposed: record starts by their first word, block headers whole.
const KINDS: [&[u8]; 6] = [b"Span #", b"Metric #", b"Log #", b"Spans", b"Metrics", b"Logs"];
/// No kind yet: the search cuts, and the kind of the line it cuts at is proposed next.
const LEARN: u8 = KINDS.len() as u8;
/// None, for good: the search cuts.
const OFF: u8 = LEARN + 1;

/// What the reading thread proposes, shared with the thread that reads the pieces, which stops
/// the proposals when one fails.
pub(super) struct Proposals {
    kind: AtomicU8,
}

impl Default for Proposals {
    fn default() -> Self {
        Proposals { kind: AtomicU8::new(LEARN) }
    }
}

impl Proposals {
    /// Where `buf` is cut: at the last line of the kind proposed in the last eighth of its
    /// whole lines, when a Rust text may be read and `buf` holds some (`rust` is set once one
    /// does); else where the search finds (whose line's kind is proposed next, when none is).
    pub(super) fn cut(&self, buf: &[u8], only: Option<Format>, rust: &mut bool) -> Option<Cut> {
        let kind = self.kind.load(Ordering::Relaxed);
        if kind < LEARN && only.is_none_or(|o| o == Format::RustText) {
            *rust = *rust || super::has_rust_structure(buf);
            if let Some(at) = last_of_kind(buf, kind).filter(|_| *rust) {
                return Some(Cut::Proposed(at));
            }
        }
        let at = super::record_start_before(buf, only, rust)?;
        if kind == LEARN
            && let Some(learnt) = kind_of(first_line(&buf[at..]))
        {
            self.kind.store(learnt, Ordering::Relaxed);
        }
        Some(Cut::Clean(at))
    }

    /// A proposal was not clean: none is made from now on.
    pub(super) fn failed(&self) {
        self.kind.store(OFF, Ordering::Relaxed);
    }
}

/// Where the last line of `kind` in the last eighth of `buf`'s whole lines starts, found from
/// the end.
fn last_of_kind(buf: &[u8], kind: u8) -> Option<usize> {
    let complete = memchr::memrchr(b'\n', buf)?;
    let from = complete - complete / 8;
    let mut end = complete;
    while let Some(nl) = memchr::memrchr(b'\n', &buf[from..end]).map(|i| from + i) {
        if kind_of(&buf[nl + 1..end]) == Some(kind) {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}

fn first_line(text: &[u8]) -> &[u8] {
    &text[..memchr::memchr(b'\n', text).unwrap_or(text.len())]
}

/// The kind of a Rust block header or record start line.
fn kind_of(line: &[u8]) -> Option<u8> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !crate::parse::rust_text::is_structure(line) {
        return None;
    }
    // The first three are record starts, the others headers.
    KINDS.iter().enumerate().position(|(i, k)| if i < 3 { line.starts_with(k) } else { line == *k }).map(|k| k as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Rust text ending with `tail`, whose lines are the last eighth of its whole lines.
    fn ending(tail: &[u8]) -> Vec<u8> {
        let body = b"\t Body: a\n".repeat(8 * tail.len() / 10);
        [&b"Logs\nLog #0\n"[..], &body, tail].concat()
    }

    #[test]
    fn the_search_teaches_the_kind_proposed_and_a_failure_stops_them() {
        // A log suspended across the Spans block: its record starts are no place to cut.
        let tail = b"Log #7\n\t Body: a\nSpans\nSpan #0\n\tName: b\nSpan #1\n\tName: c\n";
        let text = ending(tail);
        let at = |line: &[u8]| text.len() - tail.len() + memchr::memmem::find(tail, line).unwrap();
        let proposals = Proposals::default();
        let mut rust = false;
        assert_eq!(proposals.cut(&text, None, &mut rust), Some(Cut::Clean(at(b"Log #7"))), "searched");
        assert!(rust);
        assert_eq!(proposals.cut(&text, None, &mut rust), Some(Cut::Proposed(at(b"Log #7"))), "learnt");
        assert_eq!(proposals.cut(&text, Some(Format::PythonJson), &mut rust), None);
        // Looked for in the last eighth only, else searched.
        let far = ending(b"Span #0\n\tName: b\n");
        assert_eq!(proposals.cut(&far, None, &mut rust), Some(Cut::Clean(b"Logs\n".len())));
        proposals.failed();
        assert_eq!(proposals.cut(&text, None, &mut rust), Some(Cut::Clean(at(b"Log #7"))), "failed");
        assert_eq!(proposals.cut(&text, None, &mut rust), Some(Cut::Clean(at(b"Log #7"))), "for good");
    }

    #[test]
    fn kinds_are_the_framer_s_structure_lines() {
        assert_eq!(kind_of(b"Span #12"), Some(0));
        assert_eq!(kind_of(b"Metric #0\r"), Some(1));
        assert_eq!(kind_of(b"Logs"), Some(5));
        assert_eq!(kind_of(b"Span #x"), None);
        assert_eq!(kind_of(b"Spans and more"), None);
    }
}
