//! Where a stream of Rust text may be cut into pieces: at lines where no record is left open
//! across the cut, so that the next piece's framer, started from the state the last one ended in
//! ([`super::Carry`]), frames it as the whole input would be. `stream.rs` and `pieces.rs` use it;
//! the framer is the parent module's.

use super::{Fed, Framer, Resources, Signal, block_header, record_start};

/// Where the last line of `text` that starts a block or a record (`Spans`, `Log #3`) starts, at
/// which the text may be cut: no record is left open across it. A header is such a line where
/// no record is suspended and none is interrupted by it (unlocked exporters interleave their
/// blocks line by line, and a record interrupted by another signal's block resumes after it); a
/// record start in its own block where no record of another signal is suspended (one of its
/// own it ends), and every line since the block's header was Rust text. An
/// opentelemetry-stdout text alternating signals (a log, then a Metrics block) always has a
/// suspended record at its headers: its record starts are where it is cut. With `trees`, lines a
/// Collector tree takes are left to it, as framing does (they share `Metric #n` with Rust text).
pub fn last_clean_start(text: &str, trees: bool) -> Option<usize> {
    let mut framer = Framer::default();
    let mut collector = crate::parse::collector_debug::Framer::default();
    let mut resources = Resources::default();
    let mut best = None;
    // Whether every line since the last header was the Rust framer's: a line of another format
    // (a JSON line, an object) is not fed to it in a read, so a section may go on across it
    // (kept from when the next piece's framer was told the state in lines, which could not say
    // so; the carried state ends sections as the cut line does).
    let mut pure = false;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let in_tree = trees && collector.offer(line, n as u64 + 1, &mut resources) == Some(true);
        collector.done.clear();
        if in_tree {
            // Another format's line: a Rust section may go on across it.
            pure = false;
            continue;
        }
        let header = block_header(line);
        let clean = if let Some(signal) = header {
            framer.suspended.is_none() && !framer.interrupted_by(signal)
        } else if let Some(signal) = record_start(line) {
            // In its own block only: a record started in another signal's block gets that
            // signal's last resource and scope from wherever they were printed.
            pure && framer.block == Some(signal) && framer.suspended.as_ref().is_none_or(|s| s.signal == signal)
        } else {
            false
        };
        if clean {
            best = Some(line.as_ptr() as usize - text.as_ptr() as usize);
        }
        let fed = framer.feed(line, n as u64 + 1, &mut resources);
        pure = header.is_some() || (pure && fed == Fed::Taken);
        framer.done.clear();
    }
    best
}

/// Whether `line` starts a Rust block or record (`Spans`, `Span #3`): what a stream cut before
/// it ends its current record at, as the line would.
pub fn is_structure(line: &[u8]) -> bool {
    structure_line(line).is_some()
}

/// The block a column-0 line opens or goes on with: a header's or a record start's signal.
fn structure_line(line: &[u8]) -> Option<Signal> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line).ok()?;
    block_header(line).or_else(|| record_start(line))
}
