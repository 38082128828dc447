//! A followed capture whose lines are wrapped (Docker Compose, `kubectl --prefix`, CRI files,
//! journald, timestamps, colours): the wrappers recognised on its first lines are taken off every
//! whole line that comes (a line in parts once its last part came), and each source's lines grow a text of their own, read once as it grows
//! (`growing.rs`). Errors name the line of the capture, as a whole read does.

use super::growing::Growing;
use crate::parse::wrappers::{Carry, Unwrapped, Wrapping};
use crate::parse::{Format, ParseError, Report, Sink};

pub struct Wrapped<'c, S: Sink> {
    name: String,
    config: &'c S::Config,
    only: Option<Format>,
    wrapping: Wrapping,
    /// Lines in parts whose last part has not come yet.
    carry: Carry,
    /// Bytes after the last whole line.
    rest: Vec<u8>,
    /// Lines of the capture taken so far.
    lines: u64,
    sources: Vec<Source<'c, S>>,
    /// What was taken off, and from how many lines.
    found: Vec<(&'static str, usize)>,
}

struct Source<'c, S: Sink> {
    name: String,
    growing: Growing<'c, S>,
    /// The capture's line number of each of the source's lines.
    numbers: Vec<u64>,
}

impl<'c, S: Sink + Clone> Wrapped<'c, S> {
    pub fn new(name: &str, config: &'c S::Config, only: Option<Format>, wrapping: Wrapping) -> Self {
        Wrapped {
            name: name.to_string(),
            config,
            only,
            wrapping,
            carry: Carry::default(),
            rest: Vec::new(),
            lines: 0,
            sources: Vec::new(),
            found: Vec::new(),
        }
    }

    /// Takes the wrappers off the whole lines of what arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.rest.extend_from_slice(bytes);
        let complete = memchr::memrchr(b'\n', &self.rest).map_or(0, |n| n + 1);
        if complete > 0 {
            let whole: Vec<u8> = self.rest.drain(..complete).collect();
            self.route(&whole);
        }
    }

    fn route(&mut self, text: &[u8]) {
        let unwrapped = self.wrapping.split_more(text, self.lines, &mut self.carry);
        self.lines += crate::parse::line_count(text);
        self.add(unwrapped);
    }

    /// Each source's lines to its own text.
    fn add(&mut self, unwrapped: Unwrapped) {
        for source in unwrapped.sources {
            let at = match self.sources.iter().position(|s| s.name == source.name) {
                Some(at) => at,
                None => {
                    let growing = Growing::new(&self.name, self.config, self.only);
                    self.sources.push(Source { name: source.name, growing, numbers: Vec::new() });
                    self.sources.len() - 1
                }
            };
            let s = &mut self.sources[at];
            s.growing.pending.extend_from_slice(&source.text);
            s.numbers.extend_from_slice(&source.lines);
        }
        crate::parse::wrappers::add_found(&mut self.found, unwrapped.found);
    }

    pub fn take(&mut self, paused: bool) -> anyhow::Result<()> {
        for s in &mut self.sources {
            s.growing.take(paused)?;
        }
        Ok(())
    }

    /// Whether anything is still waiting for the rest of its record or line.
    pub fn pending(&self) -> bool {
        !self.rest.is_empty() || !self.carry.is_empty() || self.sources.iter().any(|s| !s.growing.pending.is_empty())
    }

    pub fn so_far(&mut self, rows: bool) -> anyhow::Result<(Report, S)> {
        let mut parts = Vec::with_capacity(self.sources.len());
        for s in &mut self.sources {
            parts.push((s.name.clone(), s.growing.so_far(rows)?));
        }
        Ok(self.combine(parts))
    }

    /// Everything read: a last line without its line break is a line too.
    pub fn finish(mut self) -> anyhow::Result<(Report, S)> {
        let rest = std::mem::take(&mut self.rest);
        if !rest.is_empty() {
            self.route(&rest);
        }
        let carried = std::mem::take(&mut self.carry).finish();
        self.add(carried);
        let mut parts = Vec::with_capacity(self.sources.len());
        let mut numbers = Vec::with_capacity(self.sources.len());
        for s in std::mem::take(&mut self.sources) {
            parts.push((s.name, s.growing.finish()?));
            numbers.push(s.numbers);
        }
        Ok(combine(parts, &numbers, &self.found, self.config))
    }

    /// The records that could not be read so far, at the capture's lines.
    pub fn errors(&self) -> Vec<ParseError> {
        let mut all: Vec<ParseError> = self
            .sources
            .iter()
            .flat_map(|s| s.growing.errors().iter().map(|e| at_capture_line(e.clone(), &s.numbers)))
            .collect();
        all.sort_by_key(|e| e.line);
        all
    }

    fn combine(&self, parts: Vec<(String, (Report, S))>) -> (Report, S) {
        let numbers: Vec<Vec<u64>> = self.sources.iter().map(|s| s.numbers.clone()).collect();
        combine(parts, &numbers, &self.found, self.config)
    }
}

/// An error at a source's line, at the capture's line instead.
fn at_capture_line(mut e: ParseError, numbers: &[u64]) -> ParseError {
    e.line = (e.line as usize).checked_sub(1).and_then(|i| numbers.get(i)).copied().unwrap_or(e.line);
    e
}

/// The sources' readings as one, as a whole read of the capture gives it.
fn combine<S: Sink>(
    parts: Vec<(String, (Report, S))>,
    numbers: &[Vec<u64>],
    found: &[(&'static str, usize)],
    config: &S::Config,
) -> (Report, S) {
    let several = parts.iter().filter(|(name, _)| !name.is_empty()).count() > 1;
    let mut all: Option<(Report, S)> = None;
    for ((name, (mut report, sink)), numbers) in parts.into_iter().zip(numbers) {
        report.errors = report.errors.into_iter().map(|e| at_capture_line(e, numbers)).collect();
        if several && !name.is_empty() {
            report.sources.push(name);
        }
        all = Some(match all {
            None => (report, sink),
            Some(before) => crate::parse::add(before, (report, sink)),
        });
    }
    let (mut report, sink) = all.unwrap_or_else(|| (Report::default(), S::new(config)));
    report.errors.sort_by_key(|e| e.line);
    report.wrappers = found.to_vec();
    (report, sink)
}
