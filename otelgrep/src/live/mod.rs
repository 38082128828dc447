//! `--follow`: a command's answer while the app still runs. Each input's thread (`source.rs`)
//! sends bytes as they are written; they are cut where a record starts and read once, into the
//! same sinks a whole read fills (`parse::Pieces`), so aggregates grow and percentiles stay exact.
//! Every `--refresh` with something new, the command prints what it would print for the records
//! complete so far (`screen.rs`: redrawn in place on a terminal, a block each into a pipe; new
//! rows only for `spans` and `logs`). Ctrl+C, or the end of every input, prints the final answer:
//! what the command prints without `--follow`.

mod growing;
mod listing;
mod screen;
mod source;
mod wrapped;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::inputs::shown_name;
use crate::parse::{Format, Report, Sink, add};
use growing::Growing;
pub use listing::{Buckets, NewRows};
pub use screen::Screen;
use source::Event;
use wrapped::Wrapped;

/// A Rust block or Collector tree (no end mark) is taken once the writer has paused this long: an
/// unlocked exporter interleaving two blocks line by line writes them at once.
const SETTLE: Duration = Duration::from_millis(100);

/// Bytes kept while an input reads as plain text, in case its wrappers show later.
const REPLAY: usize = 64 << 10;

/// How often the loop looks at Ctrl+C when nothing arrives.
const TICK: Duration = Duration::from_millis(100);

/// After Ctrl+C, how long the writer of standard input is given to write its last records and
/// close the pipe.
const WAIT_FOR_WRITER: Duration = Duration::from_secs(10);

/// Bytes read before a snapshot waits for the next refresh: a large file followed from its
/// start is read in pieces of about this size.
const BATCH: usize = 32 << 20;

/// How the answer is printed.
pub struct Show<'p, S> {
    /// Prints the answer for the inputs so far (`last`: the final one) on `out`, notes on `err`.
    pub print: &'p mut crate::Print<'p, S>,
    /// Whether each print is only what is new (rows of `spans`, `logs`), not the whole answer.
    pub rows: bool,
    pub screen: Screen,
    pub refresh: Duration,
}

/// How an input is read as it grows, once its first bytes have said.
enum Reading<'c, S: Sink> {
    /// Not known yet: nothing came, or too little to tell.
    Undecided,
    /// Boxed: one per input, and the variants' sizes differ.
    Plain(Box<Growing<'c, S>>),
    /// Lines in wrappers, each source a text of its own.
    Wrapped(Wrapped<'c, S>),
    /// UTF-16 and binary OTLP: every byte so far, read whole at every refresh.
    Whole(Vec<u8>),
}

/// One input being followed.
struct Followed<'c, S: Sink> {
    name: String,
    config: &'c S::Config,
    only: Option<Format>,
    /// What earlier files under this name gave (before a rotation or truncation).
    done: Option<(Report, S)>,
    reading: Reading<'c, S>,
    /// Bytes not read yet, before the reading is decided.
    first: Vec<u8>,
    ended: bool,
    last_data: Instant,
    /// The bad records said so far (a wrapped input's sources find theirs out of line order).
    said: std::collections::HashSet<String>,
    /// Every byte of an input read as plain text while it is short: wrappers first seen after a
    /// line of their own (`Attaching to app-1`, then a pause) are still recognised.
    replay: Option<Vec<u8>>,
    /// What `no telemetry found` says of an input without a record.
    bytes: u64,
    lines: u64,
    first_line: Vec<u8>,
    /// Whether the last line read has no line break yet.
    open: bool,
}

impl<'c, S: Sink + Clone> Followed<'c, S> {
    fn new(name: &str, config: &'c S::Config, only: Option<Format>) -> Self {
        Followed {
            name: name.to_string(),
            config,
            only,
            done: None,
            reading: Reading::Undecided,
            first: Vec::new(),
            ended: false,
            last_data: Instant::now(),
            said: Default::default(),
            replay: None,
            bytes: 0,
            lines: 0,
            first_line: Vec::new(),
            open: false,
        }
    }

    /// Bytes that arrived.
    fn push(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len() as u64;
        self.lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
        self.open = !bytes.ends_with(b"\n");
        if self.first_line.is_empty() {
            self.first_line = crate::parse::first_line(bytes).to_vec();
        }
        self.last_data = Instant::now();
        if let Some(mut all) = self.replay.take() {
            all.extend_from_slice(bytes);
            if let Some(wrapping) = crate::parse::wrappers::recognise(&all[..all.len().min(REPLAY)]) {
                // Read as plain text so far, wrapped after all: read again, unwrapped.
                let mut w = Wrapped::new(shown_name(&self.name), self.config, self.only, wrapping);
                w.push(&all);
                self.reading = Reading::Wrapped(w);
                return;
            }
            if all.len() <= REPLAY {
                self.replay = Some(all);
            }
        }
        match &mut self.reading {
            Reading::Undecided => self.first.extend_from_slice(bytes),
            Reading::Plain(g) => g.pending.extend_from_slice(bytes),
            Reading::Wrapped(w) => w.push(bytes),
            Reading::Whole(all) => all.extend_from_slice(bytes),
        }
    }

    /// Reads what arrived: every record that another has started after, and what was written
    /// whole.
    fn take(&mut self) -> anyhow::Result<()> {
        self.decide(false);
        let paused = self.last_data.elapsed() >= SETTLE;
        match &mut self.reading {
            Reading::Plain(g) => g.take(paused),
            Reading::Wrapped(w) => w.take(paused),
            Reading::Undecided | Reading::Whole(_) => Ok(()),
        }
    }

    /// Decides how the input is read from what its text starts with, once enough came (or, with
    /// `now`, whatever came), never from nothing (a file empty or not there yet, or started over).
    fn decide(&mut self, now: bool) {
        if matches!(self.reading, Reading::Undecided) {
            let lines = memchr::memchr_iter(b'\n', &self.first).count();
            let few = lines < 16 && self.first.len() < 64 << 10;
            if self.first.is_empty() || (few && !now && !self.ended && self.last_data.elapsed() < SETTLE) {
                return;
            }
            let first = std::mem::take(&mut self.first);
            let name = shown_name(&self.name);
            self.reading = if whole(&first, self.only) {
                Reading::Whole(first)
            } else if let Some(wrapping) = crate::parse::wrappers::recognise(&first) {
                let mut w = Wrapped::new(name, self.config, self.only, wrapping);
                w.push(&first);
                Reading::Wrapped(w)
            } else {
                let mut g = Growing::new(name, self.config, self.only);
                self.replay = (first.len() <= REPLAY).then(|| first.clone());
                g.pending = first;
                Reading::Plain(Box::new(g))
            };
        }
    }

    /// Whether anything waits for the rest of its record.
    fn pending(&self) -> bool {
        match &self.reading {
            Reading::Undecided => !self.first.is_empty(),
            Reading::Plain(g) => !g.pending.is_empty(),
            Reading::Wrapped(w) => w.pending(),
            Reading::Whole(_) => false,
        }
    }

    /// The records that could not be read so far.
    fn errors(&self) -> Vec<crate::parse::ParseError> {
        match &self.reading {
            Reading::Plain(g) => g.errors().to_vec(),
            Reading::Wrapped(w) => w.errors(),
            Reading::Undecided | Reading::Whole(_) => Vec::new(),
        }
    }

    /// The records complete so far (`rows`: a listing's, see [`Growing::so_far`]).
    fn so_far(&mut self, rows: bool) -> anyhow::Result<(Report, S)> {
        let name = shown_name(&self.name);
        let now = match &mut self.reading {
            Reading::Undecided => (Report::default(), S::new(self.config)),
            Reading::Plain(g) => g.so_far(rows)?,
            Reading::Wrapped(w) => w.so_far(rows)?,
            Reading::Whole(all) => {
                let complete = memchr::memrchr(b'\n', all).map_or(0, |n| n + 1);
                crate::parse::ingest::<S>(name, &all[..complete], self.config, self.only, &|_, _| {})?
            }
        };
        Ok(match &self.done {
            Some(before) => add(before.clone(), now),
            None => now,
        })
    }

    /// Everything read, the last record cut if unfinished: the input ended or starts over.
    fn finish(&mut self) -> anyhow::Result<(Report, S)> {
        // Too little came to tell before the end: read as it is.
        self.decide(true);
        let name = shown_name(&self.name).to_string();
        self.replay = None;
        let now = match std::mem::replace(&mut self.reading, Reading::Undecided) {
            Reading::Undecided => (Report::default(), S::new(self.config)),
            Reading::Plain(g) => g.finish()?,
            Reading::Wrapped(w) => w.finish()?,
            Reading::Whole(all) => crate::parse::ingest::<S>(&name, &all, self.config, self.only, &|_, _| {})?,
        };
        Ok(match self.done.take() {
            Some(before) => add(before, now),
            None => now,
        })
    }
}

/// Whether an input is read whole at every refresh rather than as it grows: UTF-16 and binary
/// OTLP.
fn whole(start: &[u8], only: Option<Format>) -> bool {
    start.starts_with(&[0xff, 0xfe])
        || start.starts_with(&[0xfe, 0xff])
        || (only.is_none_or(|o| o == Format::OtlpProto) && crate::parse::otlp_proto::may_be_binary(start))
}

/// Follows `files` (see the module's text) until Ctrl+C or the end of every input; returns the
/// exit code a run without `--follow` would give for what was read.
pub fn follow<S: Sink + Clone>(
    files: &[String],
    only: Option<Format>,
    strict: bool,
    config: &S::Config,
    show: Show<'_, S>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    if let Some(export) = files.iter().find(|f| std::path::Path::new(f).is_dir()) {
        anyhow::bail!("{export} is an export folder, read whole: --follow follows captures as they are written");
    }
    let Show { print, rows, mut screen, refresh } = show;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let (to, events) = mpsc::channel();
    for (i, name) in files.iter().enumerate() {
        source::start(i, name, to.clone());
    }
    drop(to);
    let mut inputs: Vec<Followed<S>> = files.iter().map(|f| Followed::new(f, config, only)).collect();
    let mut last_print: Option<Instant> = None;
    let mut printed_version = None;
    let mut printed_text: Option<Vec<u8>> = None;
    let mut dirty = false;
    let mut notes = Vec::new();
    let mut errors = 0usize;
    let mut stopping: Option<Instant> = None;
    loop {
        let mut batch = 0;
        // A print that is due is not kept waiting for the next tick.
        let wait = match last_print {
            Some(t) if dirty => refresh.saturating_sub(t.elapsed()).clamp(Duration::from_millis(10), TICK),
            _ => TICK,
        };
        let mut event = events.recv_timeout(wait);
        loop {
            match event {
                Ok(Event::Data(i, bytes)) => {
                    batch += bytes.len();
                    inputs[i].push(&bytes);
                    dirty = true;
                }
                Ok(Event::Restart(i, why)) => {
                    let input = &mut inputs[i];
                    let read = input.finish()?;
                    input.done = Some(read);
                    notes.push(why);
                    dirty = true;
                }
                Ok(Event::Note(note)) => {
                    if !note.is_empty() {
                        notes.push(note);
                    }
                }
                Ok(Event::End(i, why)) => {
                    inputs[i].ended = true;
                    if let Some(why) = why {
                        notes.push(format!("{}: {why}", shown_name(&inputs[i].name)));
                    }
                    dirty = true;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Every reader has stopped (each says why first): nothing more can come.
                    inputs.iter_mut().for_each(|i| i.ended = true);
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
            }
            if batch >= BATCH {
                break;
            }
            event = events.try_recv().map_err(|e| match e {
                mpsc::TryRecvError::Empty => mpsc::RecvTimeoutError::Timeout,
                mpsc::TryRecvError::Disconnected => mpsc::RecvTimeoutError::Disconnected,
            });
        }
        for input in &mut inputs {
            input.take()?;
            // Bad records are said as they are found.
            let found = input.errors();
            for e in found {
                let e = e.to_string();
                if input.said.insert(e.clone()) {
                    errors += 1;
                    if errors <= crate::ERRORS_SHOWN {
                        notes.push(e);
                    }
                }
            }
        }
        for note in notes.drain(..) {
            screen.note(&format!("otelgrep: {note}"), err)?;
        }
        if strict && errors > 0 {
            writeln!(err, "otelgrep: a record could not be read (--strict)")?;
            return Ok(ExitCode::from(2));
        }
        if inputs.iter().all(|i| i.ended) {
            break;
        }
        if stop.swap(false, Ordering::Relaxed) {
            // Ctrl+C in a terminal reaches the app writing into our standard input too, and its
            // last export comes after it: a pipe is read until it closes (a second Ctrl+C, or
            // WAIT_FOR_WRITER, ends the wait). Files end here.
            let waiting = inputs.iter().any(|i| i.name == "-" && !i.ended);
            if !waiting || stopping.is_some() {
                break;
            }
            stopping = Some(Instant::now());
        }
        if stopping.is_some_and(|t| t.elapsed() >= WAIT_FOR_WRITER) {
            break;
        }
        let due = last_print.is_none_or(|t| t.elapsed() >= refresh);
        if dirty && due {
            let mut snapshot = Vec::with_capacity(inputs.len());
            let mut version = Vec::with_capacity(inputs.len());
            for input in &mut inputs {
                let (report, sink) = input.so_far(rows)?;
                // Whole lines too: a record may grow without the count of records changing (a
                // Collector or Rust metric's next data point: its second point was never shown).
                version.push((report.records.clone(), report.foreign_lines, report.errors.len(), input.lines));
                snapshot.push((input.name.clone(), report, sink));
            }
            // A record still settling is looked at again at the next tick.
            dirty = inputs.iter().any(|i| i.pending() && i.last_data.elapsed() < SETTLE);
            if printed_version.as_ref() != Some(&version) {
                let latest = snapshot.iter().filter_map(|(_, r, _)| r.range.map(|r| r.1)).max();
                let mut text = Vec::new();
                print(snapshot, false, &mut text, &mut std::io::sink())?;
                // Shown when it changed (lines that change nothing print nothing).
                if printed_text.as_ref() != Some(&text) {
                    if rows {
                        screen.rows(&text, out)?;
                    } else {
                        screen.show(&text, latest, refresh, out)?;
                    }
                    printed_text = Some(text);
                    last_print = Some(Instant::now());
                }
                printed_version = Some(version);
            }
        }
    }
    // The final answer: everything read, an unfinished last record cut as at the end of a file.
    let mut all = Vec::with_capacity(inputs.len());
    let mut nothing = Vec::new();
    for input in &mut inputs {
        let (report, sink) = input.finish()?;
        if report.records.is_empty() && report.errors.is_empty() {
            let lines = input.lines + u64::from(input.open);
            nothing.push(crate::no_telemetry(shown_name(&input.name), input.bytes == 0, lines, &input.first_line));
        }
        all.push((input.name.clone(), report, sink));
    }
    screen.clear(out)?;
    screen.notes_left(err)?;
    let Some(all) = crate::report_read(all, nothing, strict, errors.min(crate::ERRORS_SHOWN), err)? else {
        return Ok(ExitCode::from(2));
    };
    let code = crate::exit_code(&all);
    let mut text = Vec::new();
    print(all, true, &mut text, err)?;
    screen.last(&text, rows, out)?;
    Ok(code)
}
