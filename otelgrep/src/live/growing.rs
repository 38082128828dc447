//! One growing text, read as it grows: what arrives is cut where a record starts and read once
//! (`parse::Pieces`), what the writer wrote whole is read at once, and the record still being
//! written waits. A followed input is one such text, or one per source when its lines are
//! wrapped (Docker Compose services, pods): each source's lines are a text of their own.

use crate::parse::{Format, ParseError, Pieces, Report, Settled, Sink};

pub struct Growing<'c, S: Sink> {
    pieces: Pieces<'c, S>,
    /// Bytes after the last cut: the record still being written.
    pub pending: Vec<u8>,
    /// How much was pending when it was last tried as settled, and found unfinished.
    tried: usize,
    /// How much was pending when a record start was last looked for in it.
    scanned: usize,
    /// Whether the text was found to hold records without end marks (Rust text).
    unmarked: bool,
}

impl<'c, S: Sink + Clone> Growing<'c, S> {
    pub fn new(name: &str, config: &'c S::Config, only: Option<Format>) -> Self {
        Growing {
            pieces: Pieces::new(name, config, only),
            pending: Vec::new(),
            tried: usize::MAX,
            scanned: 0,
            unmarked: false,
        }
    }

    /// Reads what arrived: every record that another has started after, and what was written
    /// whole (the blocks of formats without end marks once the writer `paused`).
    pub fn take(&mut self, paused: bool) -> anyhow::Result<()> {
        // Looked for only when something arrived: an idle loop does not scan the pending bytes.
        if self.scanned != self.pending.len() {
            if let Some(at) = self.pieces.record_start(&self.pending) {
                let (piece, next) = self.pending.split_at(at);
                self.pieces.piece(piece, next, false, None)?;
                self.pending.drain(..at);
            }
            self.scanned = self.pending.len();
        }
        let complete = memchr::memrchr(b'\n', &self.pending).map_or(0, |n| n + 1);
        // Each length of what is pending is tried once; a text without end marks only at pauses
        // (under load a block is taken when the next header comes, its tail not read again at
        // every arrival).
        if complete > 0 && self.tried != self.pending.len() && (paused || !self.unmarked) {
            match self.pieces.settled(&self.pending[..complete], paused)? {
                Settled::Taken(n) => {
                    self.pending.drain(..n);
                    self.tried = usize::MAX;
                    self.scanned = self.pending.len();
                }
                Settled::Unfinished => self.tried = self.pending.len(),
                Settled::Wait => self.unmarked = true,
            }
        }
        Ok(())
    }

    /// The records complete so far (`rows`: not those of a last block without end mark, which
    /// may still grow).
    pub fn so_far(&mut self, rows: bool) -> anyhow::Result<(Report, S)> {
        let complete = memchr::memrchr(b'\n', &self.pending).map_or(0, |n| n + 1);
        self.pieces.so_far(&self.pending[..complete], rows)
    }

    /// Everything read, the last record cut if unfinished.
    pub fn finish(mut self) -> anyhow::Result<(Report, S)> {
        let rest = std::mem::take(&mut self.pending);
        self.pieces.piece(&rest, &[], true, None)?;
        let (report, sink, _) = self.pieces.finish();
        Ok((report, sink))
    }

    /// The records that could not be read so far.
    pub fn errors(&self) -> &[ParseError] {
        self.pieces.errors()
    }
}
