//! How a followed answer reaches the user. On a terminal it is redrawn in place, under a line
//! saying how fresh it is (no flicker: the cursor goes back up, lines are overwritten and cleared
//! to their end, only what is left below is erased); notes wait under it and go to stderr at the
//! end. Into a pipe or a file, each answer is a block of its own, blocks parted by one blank line,
//! so that `tail` and scripts can take the last; new rows (`spans`, `logs`) are appended, a CSV
//! header only once.

use std::io::Write;
use std::time::Duration;

/// Notes kept on a terminal's screen under the answer.
const NOTES_SHOWN: usize = 5;

pub struct Screen {
    terminal: bool,
    /// Lines drawn last (on a terminal), to go back over.
    drawn: usize,
    /// Whether anything was printed yet (the blank line between blocks, the CSV header).
    printed: bool,
    csv: bool,
    notes: Vec<String>,
}

impl Screen {
    /// `terminal`: redraw in place (standard output is a terminal); `csv`: rows appended after
    /// the first print lose their header line.
    pub fn new(terminal: bool, csv: bool) -> Screen {
        Screen { terminal, drawn: 0, printed: false, csv, notes: Vec::new() }
    }

    /// A note for stderr: at once into a pipe, kept under the answer on a terminal.
    pub fn note(&mut self, note: &str, err: &mut dyn Write) -> anyhow::Result<()> {
        if self.terminal {
            self.notes.push(note.to_string());
            Ok(())
        } else {
            writeln!(err, "{note}")?;
            Ok(err.flush()?)
        }
    }

    /// The whole answer so far; `latest` is the time of the newest record read.
    pub fn show(
        &mut self,
        text: &[u8],
        latest: Option<i64>,
        refresh: Duration,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        if !self.terminal {
            return self.block(text, out);
        }
        let when = latest.map_or_else(
            || "no record yet".to_string(),
            |t| format!("last record {}", crate::parse::time::format_rfc3339(t)),
        );
        let head = format!("otelgrep: following, every {}; {when}; Ctrl+C to stop", seconds(refresh));
        let mut lines: Vec<&[u8]> = vec![head.as_bytes()];
        lines.extend(text.strip_suffix(b"\n").unwrap_or(text).split(|b| *b == b'\n'));
        let notes: Vec<&[u8]> = self.notes.iter().rev().take(NOTES_SHOWN).rev().map(|n| n.as_bytes()).collect();
        lines.extend(notes);
        // What does not fit on the screen is left out (a cursor cannot go back above it).
        let rows = size().0.saturating_sub(1).max(2);
        if lines.len() > rows {
            lines.truncate(rows - 1);
            lines.push(b"... (more than the terminal holds: --top N shows fewer rows)");
        }
        // A line wider than the terminal would wrap onto two, and the cursor would not go back
        // over all of them: each is cut at the terminal's width.
        let width = size().1;
        let lines: Vec<Vec<u8>> = lines.iter().map(|l| clip(l, width)).collect();
        let mut frame = Vec::with_capacity(text.len() + 64 * lines.len());
        if self.drawn > 0 {
            // Back to the first line drawn.
            write!(frame, "\r\x1b[{}A", self.drawn)?;
        }
        for line in &lines {
            frame.extend_from_slice(line);
            frame.extend_from_slice(b"\x1b[K\n");
        }
        frame.extend_from_slice(b"\x1b[J");
        out.write_all(&frame)?;
        out.flush()?;
        self.drawn = lines.len();
        self.printed = true;
        Ok(())
    }

    /// New rows, appended.
    pub fn rows(&mut self, text: &[u8], out: &mut dyn Write) -> anyhow::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let text = if self.csv && self.printed {
            // The header is the first line (a CSV field holding a line break is quoted, and
            // never in a header).
            memchr::memchr(b'\n', text).map_or(&[][..], |n| &text[n + 1..])
        } else {
            text
        };
        out.write_all(text)?;
        out.flush()?;
        self.printed = true;
        Ok(())
    }

    /// One block of a pipe's output.
    fn block(&mut self, text: &[u8], out: &mut dyn Write) -> anyhow::Result<()> {
        if self.printed {
            out.write_all(b"\n")?;
        }
        out.write_all(text)?;
        out.flush()?;
        self.printed = true;
        Ok(())
    }

    /// Takes the live drawing off the terminal, for the final answer.
    pub fn clear(&mut self, out: &mut dyn Write) -> anyhow::Result<()> {
        if self.terminal && self.drawn > 0 {
            write!(out, "\r\x1b[{}A\x1b[J", self.drawn)?;
            self.drawn = 0;
        }
        Ok(())
    }

    /// The notes a terminal kept, to stderr.
    pub fn notes_left(&mut self, err: &mut dyn Write) -> anyhow::Result<()> {
        for note in self.notes.drain(..) {
            writeln!(err, "{note}")?;
        }
        Ok(())
    }

    /// The final answer: the whole of it, or the last new rows.
    pub fn last(&mut self, text: &[u8], rows: bool, out: &mut dyn Write) -> anyhow::Result<()> {
        if rows {
            return self.rows(text, out);
        }
        if self.terminal {
            out.write_all(text)?;
            return Ok(out.flush()?);
        }
        self.block(text, out)
    }
}

/// `1s`, `500ms`, `2.5s`.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The terminal's height and width (`LINES` and `COLUMNS` when it cannot be asked, else 24 by
/// 80).
fn size() -> (usize, usize) {
    #[cfg(target_os = "linux")]
    if let Ok(size) = rustix::termios::tcgetwinsize(std::io::stdout()) {
        if size.ws_row > 0 && size.ws_col > 0 {
            return (usize::from(size.ws_row), usize::from(size.ws_col));
        }
    }
    let var = |name: &str, or: usize| std::env::var(name).ok().and_then(|l| l.parse().ok()).unwrap_or(or);
    (var("LINES", 24), var("COLUMNS", 80))
}

/// `line` cut to `width` characters on the screen; colour codes take no room, and one is reset
/// after a cut.
fn clip(line: &[u8], width: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(line);
    let mut out = String::with_capacity(text.len());
    let (mut shown, mut chars, mut coloured) = (0, text.chars().peekable(), false);
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // A CSI sequence: ESC [ parameters, then one final byte.
            out.push(c);
            coloured = true;
            if chars.peek() == Some(&'[') {
                out.push(chars.next().unwrap_or('['));
                for c in chars.by_ref() {
                    out.push(c);
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        if shown == width {
            if coloured {
                out.push_str("\x1b[0m");
            }
            break;
        }
        out.push(c);
        shown += 1;
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn lines_are_cut_at_the_width_colours_taking_no_room() {
        assert_eq!(clip(b"abcdef", 4), b"abcd");
        assert_eq!(clip(b"ab", 4), b"ab");
        assert_eq!(clip("\x1b[1mab\x1b[0m\u{2502}cd".as_bytes(), 3), "\x1b[1mab\x1b[0m\u{2502}\x1b[0m".as_bytes());
    }
}
