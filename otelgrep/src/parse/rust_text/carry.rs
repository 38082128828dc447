//! What a Rust text framer knows between two pieces of one input ([`Carry`]), whether a piece
//! may be cut before a line ([`Carry::clean_before`]), and what a piece framed from a guessed
//! state read of it ([`Inherited`]): the parallel path frames each region from the state the
//! last region merged ended in (the regions in between may still be being read), and keeps the
//! region only if what it read of that guess is what the region before really left
//! ([`Carry::rebase`]).

use std::sync::Arc;

use super::super::Resources;
use super::super::Signal;
use super::{block_header, index, is_resource_line, parse_resource, record_start};
use crate::model::{Resource, Scope};

/// What a framer knows between records: where a stream is cut ([`last_cut`]), the
/// framer of the next piece starts from the state the last one ended in, as if it had read the
/// lines before (resources per signal, the Metrics block's scope, whether the block printed a
/// resource). Carried as state, not as lines put in front of the next piece: lines said less
/// than the framer knows (a Metrics block opened by a record start with no header, a section
/// going on across another format's lines: fuzz findings, one after another).
#[derive(Debug, Clone, Default)]
pub struct Carry {
    pub(super) block: Option<Signal>,
    pub(super) resources: [Arc<Resource>; 3],
    pub(super) scope: Option<Arc<Scope>>,
    pub(super) printed: [Vec<Arc<Resource>>; 3],
    pub(super) block_resource: bool,
    /// What was still open where the text ended: whether a cut there was clean
    /// ([`Carry::clean_before`]).
    pub(super) open: Open,
    /// What of the state the piece started from its framing read, and what it set itself.
    pub(super) inherited: Inherited,
}

/// What a text left open at its end, as the next line would find it.
#[derive(Debug, Clone, Default)]
pub struct Open {
    /// The block being read.
    pub(super) block: Option<Signal>,
    /// The signal of the current record, if one was being read.
    pub(super) current: Option<Signal>,
    /// The signal of a record another signal's block interrupted (it may resume after that
    /// block).
    pub(super) suspended: Option<Signal>,
    /// A resource or scope section was being read.
    pub(super) section: bool,
    /// A record of another format: an object not closed, a Collector tree.
    pub(super) other: bool,
}

impl Carry {
    /// Whether the text this carry ended is read as the whole input would read it when `line`,
    /// a block header or a record start, follows: nothing runs on across it, so the text could
    /// be cut before it. The rules the cut search keeps ([`last_cut`]), on the state the read
    /// ended in: no object or tree still open; before a header, no suspended record and none
    /// the header interrupts; before a record start, in its own block, no suspended record of
    /// another signal (one of its own it ends).
    pub fn clean_before(&self, line: &[u8]) -> bool {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else { return false };
        match (block_header(line), record_start(line)) {
            (Some(signal), _) => self.open.clean_before_header(signal),
            (None, Some(signal)) => self.open.clean_before_record(signal),
            _ => false,
        }
    }
}

impl Open {
    /// A block header of `signal` may follow: no object or tree open, no suspended record, and
    /// none the header interrupts.
    pub fn clean_before_header(&self, signal: Signal) -> bool {
        !self.other && self.suspended.is_none() && !self.interrupted_by(signal)
    }

    /// Whether a block of `signal` starting now interrupts the current record (one of another
    /// signal, not a metric: it is suspended, and may resume after the block).
    pub(super) fn interrupted_by(&self, signal: Signal) -> bool {
        self.current.is_some_and(|c| c != signal && c != Signal::Metrics)
    }

    /// A record start of `signal` may follow: no object or tree open, in its own block, and no
    /// suspended record of another signal (one of its own it ends).
    pub fn clean_before_record(&self, signal: Signal) -> bool {
        !self.other && self.block == Some(signal) && self.suspended.is_none_or(|s| s == signal)
    }
}

impl Carry {
    /// Whether a piece whose text is `text` (its first line is looked at), and whose framing
    /// ended in `self`, was read as the whole input reads it when the text before it ended in
    /// `truth` (`guess` being what it started from): nothing of the text before runs on into it,
    /// and whatever it read of `guess` (a resource, a scope, the resources printed) is what
    /// `truth` holds. If so, the state it really ended in: its own where it set a field,
    /// `truth`'s where it did not.
    pub fn rebase(&self, text: &[u8], guess: &Carry, truth: &Carry) -> Result<Carry, Stale> {
        let line = &text[..memchr::memchr(b'\n', text).unwrap_or(text.len())];
        let clean = if block_header_or_start(line) {
            truth.clean_before(line)
        } else {
            // Another format's record (an object's `{` line) ends the current Rust record as a
            // piece's end does; what else is open, or another block, would go on across it.
            let open = &truth.open;
            open.suspended.is_none() && !open.section && truth.block == guess.block
        };
        let Inherited { read, set } = self.inherited;
        let same = |bit: u16, equal: bool| read & bit == 0 || equal;
        let knows = (0..3).all(|s| {
            same(RESOURCE << s, guess.resources[s] == truth.resources[s])
                && same(PRINTED << s, guess.printed[s] == truth.printed[s])
        }) && same(SCOPE, guess.scope == truth.scope)
            && same(BLOCK_RESOURCE, guess.block_resource == truth.block_resource);
        if !clean {
            return Err(Stale::RunsOn);
        }
        if !knows {
            return Err(Stale::Read);
        }
        // A field read (and found equal) but not set is `truth`'s as well; one set is the piece's.
        let own = |bit: u16| set & bit != 0;
        Ok(Carry {
            block: self.block,
            resources: std::array::from_fn(|s| {
                if own(RESOURCE << s) { &self.resources[s] } else { &truth.resources[s] }.clone()
            }),
            scope: if own(SCOPE) { &self.scope } else { &truth.scope }.clone(),
            printed: std::array::from_fn(|s| {
                if own(PRINTED << s) { &self.printed[s] } else { &truth.printed[s] }.clone()
            }),
            block_resource: if own(BLOCK_RESOURCE) { self.block_resource } else { truth.block_resource },
            open: self.open.clone(),
            inherited: Inherited::default(),
        })
    }

    /// This state as a framer leaves it that reads `text`, as far as the resources go that
    /// `text` prints right after a block header (where opentelemetry-stdout prints them): found
    /// by their `Resource` lines, without framing `text`. What a region after `text` is framed
    /// from, before the state the text really ends in is known ([`Carry::rebase`] checks it).
    /// `resources`: those read so far, each printed section read once.
    pub fn print_resources(&mut self, text: &[u8], resources: &mut Resources) {
        const RESOURCE_LINE: &[u8] = b"\nResource\n";
        for at in memchr::memmem::find_iter(text, RESOURCE_LINE) {
            let before = &text[..at];
            let header = &before[memchr::memrchr(b'\n', before).map_or(0, |i| i + 1)..];
            let Some(signal) = std::str::from_utf8(header).ok().and_then(block_header) else { continue };
            let section: Vec<&str> = text[at + RESOURCE_LINE.len()..]
                .split(|&b| b == b'\n')
                .map_while(|l| std::str::from_utf8(l).ok().filter(|l| is_resource_line(l.as_bytes())))
                .collect();
            // Most blocks print the resource before, read again only by comparing its lines.
            let r = resources.intern_lines(&section, || parse_resource(&section));
            let printed = &mut self.printed[index(signal)];
            if !printed.iter().any(|p| Arc::ptr_eq(p, &r) || **p == *r) {
                printed.push(r.clone());
            }
            self.resources[index(signal)] = r;
        }
    }

    /// `self` (the state the last region merged ended in) with the resources that `printed`
    /// says were printed since ([`Carry::print_resources`]).
    pub fn with_resources(&self, printed: &Carry) -> Carry {
        Carry { resources: printed.resources.clone(), printed: printed.printed.clone(), ..self.clone() }
    }
}

/// How a piece framed from a guess went wrong ([`Carry::rebase`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Something of the text before runs on into the piece (a record it interrupted, an object
    /// not closed): the two are read as one.
    RunsOn,
    /// The piece read a field of the guess that the text before left otherwise: it is read again
    /// from the right state.
    Read,
}

/// Whether a line (with or without its `\r`) is a Rust block header or record start.
fn block_header_or_start(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line).is_ok_and(|l| block_header(l).is_some() || record_start(l).is_some())
}

/// The fields of a [`Carry`] a framer read before setting them, and those it set: bits
/// [`RESOURCE`] and [`PRINTED`] shifted by a signal's index, [`SCOPE`], [`BLOCK_RESOURCE`].
#[derive(Clone, Copy, Default)]
pub struct Inherited {
    read: u16,
    set: u16,
}

/// Bookkeeping of one framing, not part of what the framer knows: left out of what a report
/// shows, so that an input read in regions or pieces shows as it does read whole.
impl std::fmt::Debug for Inherited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inherited")
    }
}

pub(super) const RESOURCE: u16 = 1;
pub(super) const PRINTED: u16 = 1 << 3;
pub(super) const SCOPE: u16 = 1 << 6;
pub(super) const BLOCK_RESOURCE: u16 = 1 << 7;

impl Inherited {
    /// A field is read: from the state the framer started from, unless it set it since.
    pub(super) fn read(&mut self, bit: u16) {
        if self.set & bit == 0 {
            self.read |= bit;
        }
    }

    pub(super) fn set(&mut self, bit: u16) {
        self.set |= bit;
    }

    /// `signal`'s bit of a per-signal field (`RESOURCE`, `PRINTED`).
    pub(super) fn of(bit: u16, signal: Signal) -> u16 {
        bit << index(signal)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Framer;
    use super::*;
    use crate::parse::Resources;

    /// The state a framer ends in that reads `text` from `from`.
    fn framed(text: &str, from: &Carry) -> Carry {
        let (mut framer, mut resources) = (Framer::resume(from), Resources::default());
        for (n, line) in text.lines().enumerate() {
            framer.feed(line, n as u64 + 1, &mut resources);
        }
        framer.carry(&mut resources, false)
    }

    fn resource(name: &str) -> String {
        format!("Resource\n\t ->  service.name=String(Static(\"{name}\"))\n")
    }

    const LOG: &str = "\t Body: String(Owned(\"x\"))\n\t Attributes:\n";
    const SPAN: &str = "\tName         : GET /\n\tTraceId      : 01\n";

    /// The text before the pieces: a Spans and a Logs block, each printing its resource, then a
    /// Metrics block and a Logs block, after which nothing is left suspended (the Metrics header
    /// ends the suspended span and suspends the log record, which the next log record ends).
    fn before() -> String {
        let metric = "Metrics\nMetric #0\n\t\tName         : m\n";
        format!(
            "Spans\n{}Span #0\n{SPAN}Logs\n{}Log #0\n{LOG}{metric}Logs\nLog #1\n{LOG}",
            resource("s"),
            resource("a")
        )
    }

    #[test]
    fn a_piece_that_read_a_guessed_resource_is_kept_only_when_the_text_before_left_it() {
        let truth = framed(&before(), &Carry::default());
        let piece = format!("Log #2\n{LOG}");
        // Framed from nothing, the piece gave its record no resource: it is read again.
        let guess = Carry::default();
        assert_eq!(framed(&piece, &guess).rebase(piece.as_bytes(), &guess, &truth).err(), Some(Stale::Read));
        // Framed from a state whose Spans resource is another, it read only the Logs one.
        let mut guess = truth.clone();
        guess.resources[index(Signal::Spans)] = Arc::new(Resource::default());
        let kept = framed(&piece, &guess).rebase(piece.as_bytes(), &guess, &truth).unwrap();
        assert_eq!(kept.resources, truth.resources);
        assert_eq!(kept.printed, truth.printed);
    }

    #[test]
    fn a_piece_keeps_what_it_set_itself_and_takes_the_rest_from_the_text_before() {
        let truth = framed(&before(), &Carry::default());
        let piece = format!("Logs\n{}Log #0\n{LOG}", resource("b"));
        let mut guess = truth.clone();
        guess.resources[index(Signal::Spans)] = Arc::new(Resource::default());
        let kept = framed(&piece, &guess).rebase(piece.as_bytes(), &guess, &truth).unwrap();
        assert_eq!(kept.resources[index(Signal::Spans)], truth.resources[index(Signal::Spans)]);
        let b = &kept.resources[index(Signal::Logs)];
        assert_eq!(b.attributes, [("service.name".to_string(), crate::model::Value::Str("b".into()))]);
        assert_eq!(kept.printed[index(Signal::Logs)].len(), 2);
        // The same piece framed from a state that had printed other resources would have
        // listed them otherwise: read again.
        let guess = Carry::default();
        assert_eq!(framed(&piece, &guess).rebase(piece.as_bytes(), &guess, &truth).err(), Some(Stale::Read));
    }

    #[test]
    fn a_record_that_runs_on_into_a_piece_joins_the_two() {
        // The Spans block interrupts the last log record, which may resume after it: a span's
        // record start is no place to start a piece.
        let text = format!("{}Spans\nSpan #1\n{SPAN}", before());
        let truth = framed(&text, &Carry::default());
        let piece = format!("Span #2\n{SPAN}");
        let read = framed(&piece, &truth);
        assert_eq!(read.rebase(piece.as_bytes(), &truth, &truth).err(), Some(Stale::RunsOn));
        // Another format's record after a resource section still open: the section would go on
        // after it.
        let open = framed("Logs\nResource\n\t ->  a=I64(1)\n", &Carry::default());
        assert_eq!(open.clone().rebase(b"{\n", &open, &open).err(), Some(Stale::RunsOn));
    }

    #[test]
    fn resources_are_found_where_a_framer_finds_them() {
        let text = format!("{}Metrics\n{}Spans\n{}Span #1\n{SPAN}", before(), resource("m"), resource("t"));
        let mut printed = Carry::default();
        printed.print_resources(text.as_bytes(), &mut Resources::default());
        let truth = framed(&text, &Carry::default());
        assert_eq!((printed.resources, printed.printed), (truth.resources, truth.printed));
    }
}
