//! The layers an input goes through before its records are framed: bytes (already opened by
//! `input.rs`), then text (`text.rs`: encodings), then lines (`wrappers.rs`: wrappers taken off,
//! sources told apart), then records and values ([`super::ingest_with`]: the framers and
//! parsers). Each layer knows nothing of the others' details: the formats never see a Docker
//! prefix, and the wrappers never see JSON.

use super::{Ending, Format, Ranged, Reading, Report, Sink, ingest_with, otlp_proto, regions, text, wrappers};

/// Reads one input's bytes into the command's sink `S`, through every layer: the records are
/// framed on this thread and parsed on worker threads. `release` is called with byte ranges of
/// `bytes` that no batch still being parsed refers to. `only` restricts recognition to one format
/// (`--input-format`); everything else is foreign.
pub fn ingest<S: Sink>(
    name: &str,
    bytes: &[u8],
    config: &S::Config,
    only: Option<Format>,
    release: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<(Report, S)> {
    // The text layer first: UTF-16 decoded, marks dropped; bytes that are not UTF-8 repaired only
    // when the framers meet one (most inputs never pay for it).
    // Binary OTLP has no encoding and no lines: it goes to the framers as it is.
    let binary = only.is_none_or(|o| o == Format::OtlpProto) && otlp_proto::is_binary(bytes);
    let decoded = if binary {
        text::Text { bytes: std::borrow::Cow::Borrowed(bytes), encoding: None, bad_lines: Vec::new() }
    } else {
        let mut decoded = text::decode(bytes);
        if let std::borrow::Cow::Borrowed(b) = decoded.bytes {
            decoded.bytes = std::borrow::Cow::Borrowed(text::without_cut_char(b));
        }
        decoded
    };
    let shift = match &decoded.bytes {
        std::borrow::Cow::Borrowed(b) => Some(b.as_ptr() as usize - bytes.as_ptr() as usize),
        std::borrow::Cow::Owned(_) => None,
    };
    let encoding = decoded.encoding;
    // Then the lines layer: wrappers taken off, each source's lines a text of its own (a large
    // text as a stream, each source's in pieces: not unwrapped whole as a copy).
    let wrapping = if binary { None } else { wrappers::recognise(&decoded.bytes) };
    // Pages of a mapped input are released; decoded bytes go when the call ends.
    let moved = |offset: usize, len: usize| {
        if let Some(shift) = shift {
            release(offset + shift, len);
        }
    };
    if let Some(wrapping) = wrapping
        && decoded.bytes.len() > super::STREAM_CHUNK
    {
        let mut reader = Releasing { bytes: &decoded.bytes, at: 0, released: 0, release: &moved };
        let (mut report, sink, _) = super::stream::ingest_wrapped::<S>(name, &mut reader, config, only, wrapping)?;
        report.encoding = encoding;
        return Ok((report, sink));
    }
    let unwrapped = wrapping.map(|w| w.split(&decoded.bytes));
    let (mut report, ranged) = match unwrapped {
        None => {
            if let (std::borrow::Cow::Borrowed(body), false) = (&decoded.bytes, binary)
                && body.len() > super::STREAM_CHUNK
            {
                // A large text with a byte that is not UTF-8 is read as a stream, each piece
                // repaired on its own, not copied whole (a 166 MB capture with one Latin-1 line
                // took 522 MB, against 71 MB without it; found by a new-user check).
                let reading = Reading {
                    region_bytes: regions::region_bytes(body.len()),
                    bad_lines: &[],
                    ending: Ending::Input,
                    binary,
                    carry: None,
                };
                match ingest_with::<Ranged<S>>(name, body, config, only, &moved, &reading)? {
                    Some(done) => done,
                    None => {
                        let mut reader = Releasing { bytes: body, at: 0, released: 0, release: &moved };
                        let chunk = super::STREAM_CHUNK;
                        let (mut report, sink, _) =
                            super::ingest_stream::<S>(name, &mut reader, config, only, chunk, super::LONGEST_PIECE)?;
                        report.encoding = encoding;
                        return Ok((report, sink));
                    }
                }
            } else {
                let as_is = if binary { AsIs::MaybeBinary } else { AsIs::Text };
                ingest_text::<S>(name, decoded, config, only, &moved, (Ending::Input, None), as_is)?
            }
        }
        Some(unwrapped) => {
            let mut all: Option<(Report, Ranged<S>)> = None;
            let several = unwrapped.sources.iter().filter(|s| !s.name.is_empty()).count() > 1;
            for source in unwrapped.sources {
                let text = text::Text { bytes: source.text.into(), encoding, bad_lines: Vec::new() };
                let (mut report, ranged) =
                    ingest_text::<S>(name, text, config, only, &|_, _| {}, (Ending::Input, None), AsIs::Text)?;
                // Lines are numbered as in the capture, not in the source's own text.
                for e in &mut report.errors {
                    e.line = source.lines.get(e.line as usize - 1).copied().unwrap_or(e.line);
                }
                if several && !source.name.is_empty() {
                    report.sources.push(source.name);
                }
                all = Some(join(all, (report, ranged)));
            }
            let (mut report, ranged) = all.unwrap_or_else(|| (Report::default(), Ranged::new(config)));
            report.errors.sort_by_key(|e| e.line);
            report.wrappers = unwrapped.found;
            (report, ranged)
        }
    };
    report.range = ranged.range;
    report.in_window = ranged.in_window;
    report.encoding = encoding;
    Ok((report, ranged.inner))
}

/// A mapped text read as a stream: what was read is released every few tens of MB, as a read of
/// the mapping releases what was parsed.
struct Releasing<'a> {
    bytes: &'a [u8],
    at: usize,
    released: usize,
    release: &'a (dyn Fn(usize, usize) + Sync),
}

impl std::io::Read for Releasing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        if self.at >= self.released + super::RELEASE_STEP {
            let (from, to) = (self.released & !4095, self.at & !4095);
            (self.release)(from, to - from);
            self.released = to;
        }
        Ok(n)
    }
}

/// What a text is, as [`ingest_text`] first tries it as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AsIs {
    /// An input's bytes as they came, which may be binary OTLP.
    MaybeBinary,
    /// Text: read as it is, and again repaired if the framers meet a byte that is not UTF-8.
    Text,
    /// A piece of a stream that held such bytes before: checked first, and repaired at once if
    /// it needs it (a Rust capture with a Latin-1 line every 20 MB had most of its pieces read up
    /// to their first bad byte, then again repaired).
    Suspect,
}

/// One text (a whole input, or one source of a wrapped one) into the sink: read as it is, or,
/// when a byte is not UTF-8, read again repaired (see [`text::repair`]; for a sink that does not
/// hold its records, [`Sink::HELD`], repaired before it is read), [`Report::repaired`] then set.
/// `around`: what follows the text, and where a stream's previous piece left the Rust text framer.
pub(super) fn ingest_text<S: Sink>(
    name: &str,
    text: text::Text<'_>,
    config: &S::Config,
    only: Option<Format>,
    release: &dyn Fn(usize, usize),
    (ending, carry): (Ending, Option<&super::rust_text::Carry>),
    as_is: AsIs,
) -> anyhow::Result<(Report, Ranged<S>)> {
    let binary = as_is == AsIs::MaybeBinary;
    let reading =
        Reading { region_bytes: regions::region_bytes(text.bytes.len()), bad_lines: &[], ending, binary, carry };
    // A sink that writes records out as it gets them (an export) cannot be given a text that is
    // read again: the records read before the bad byte were written twice, and a record cut
    // there once (a summary skipped one record that an export wrote). Such a text is repaired
    // first, and so is a suspect one.
    if ((S::HELD && as_is != AsIs::Suspect) || reads_as_is(&text.bytes, binary, only))
        && let Some(done) = ingest_with::<Ranged<S>>(name, &text.bytes, config, only, release, &reading)?
    {
        return Ok(done);
    }
    let repaired = text::repair(text);
    let reading = Reading { bad_lines: &repaired.bad_lines, ..reading };
    let again = ingest_with::<Ranged<S>>(name, &repaired.bytes, config, only, &|_, _| {}, &reading)?;
    let (mut report, ranged) = again.ok_or_else(|| anyhow::anyhow!("{name}: not UTF-8 text even once repaired"))?;
    report.repaired = true;
    Ok((report, ranged))
}

/// Whether [`ingest_with`] reads `bytes` as they are, without sending them to be repaired:
/// binary OTLP, or text with nothing to repair.
fn reads_as_is(bytes: &[u8], binary: bool, only: Option<Format>) -> bool {
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    (binary && only.is_none_or(|o| o == Format::OtlpProto) && otlp_proto::is_binary(body))
        || text::needs_no_repair(bytes)
}

/// What was read so far (if anything) and what was read next, as one reading.
pub(super) fn join<S: Sink>(
    so_far: Option<(Report, Ranged<S>)>,
    (report, ranged): (Report, Ranged<S>),
) -> (Report, Ranged<S>) {
    match so_far {
        None => (report, ranged),
        Some((mut r, mut s)) => {
            r.merge(report);
            s.merge(ranged);
            (r, s)
        }
    }
}
